//! The e-port's side of ingest, in a loop, for profilers: every message the load generator
//! sends (orders, payments, waybills, lists, bills) read, checked and split for the engine,
//! as `POST /ceb` does before the message is stored
//! (`cargo build --profile profiling --example profile_ingest`).

use single_window::check::check_and_decode;
use single_window::load::parcels::registry;
use single_window::load::traffic::{Config, Traffic};
use single_window::rules::{Context, Params};
use single_window::server::core::Checked;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 12, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default();
    let mut config = Config::new(7, 20_000.0, start);
    config.duration = Some(std::time::Duration::from_secs(1));
    let enterprises = config.enterprises;
    let messages: Vec<_> = Traffic::new(config).map(|o| o.body).collect();
    let reg = registry(enterprises);
    let params = Params::default();
    let ctx = Context {
        registry: &reg,
        params: &params,
        related: None,
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let now = start + chrono::Duration::hours(1);
    let started = std::time::Instant::now();
    let mut refused = 0;
    for _ in 0..rounds {
        for m in &messages {
            let (report, message) = check_and_decode(m, now, &ctx);
            let checked = Checked::new("DXPENT0000000001", report, message, now);
            refused += checked.accepted.iter().filter(|a| !**a).count();
        }
    }
    let n = (rounds * messages.len()) as f64;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:.0} messages/s checked ({:.1} µs each), {refused} documents refused",
        n / secs,
        secs / n * 1e6
    );
}
