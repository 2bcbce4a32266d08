//! The engine bench's work in a loop, for profilers.

use chrono::{Duration, NaiveDate};
use single_window::engine::{Engine, EngineConfig};
use single_window::load::parcels::shuffled_documents;
use single_window::rules::Params;

// The allocator of the `single-window` binary, so the figures are those of the program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let docs = shuffled_documents(7, 5_000, 500);
    let start = NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let config = EngineConfig {
        release_waits_for_arrival: false,
        ..EngineConfig::default()
    };
    let started = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..5 {
        let mut engine = Engine::new(config.clone(), Params::default());
        for m in &docs {
            engine.accept(m, start);
        }
        n += engine.advance(start + Duration::days(1)).len();
    }
    println!(
        "{:.0} documents/s ({n} receipts)",
        (5 * docs.len()) as f64 / started.elapsed().as_secs_f64()
    );
}
