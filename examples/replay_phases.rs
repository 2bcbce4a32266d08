//! Where a replay's time goes: generating the traffic, the engine, the ledger, the tax and
//! the writing — for the year-of-a-mid-size-seller budget.
//!
//! `cargo run --release --example replay_phases -- [PARCELS]` (default 100,000).

use chrono::{Duration, NaiveDate};
use single_window::engine::ledger::Ledger;
use single_window::engine::{Engine, EngineConfig};
use single_window::rules::Params;
use single_window::scenario::Scenario;
use single_window::scenario::traffic::{Generator, days};
use std::path::Path;
use std::time::Instant;

// As in the binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parcels: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let text = format!(
        r#"
name = "phases"
period = {{ from = 2025-01-01, to = 2025-12-31 }}
[[enterprise]]
code = "4403960001"
[[enterprise.period]]
from = 2020-01-01
pilot_zone = true
platform_recording = true
taxpayer = "general"
kind = "trading"
[[traffic]]
enterprise = "4403960001"
parcels = {parcels}
"#
    );
    let s = Scenario::from_text(&text, Path::new("phases"), Path::new("."), &[])?;
    let (from, to) = (s.spec.period.from, s.spec.period.to);
    let t = Instant::now();
    let mut g = Generator::new(&s.spec);
    let mut events = Vec::new();
    let mut n = 0;
    for day in days(from, to) {
        events.clear();
        n += g.day(day, &mut events);
    }
    let gen_s = t.elapsed().as_secs_f64();
    println!("generate only: {n} parcels in {gen_s:.1} s");
    let t = Instant::now();
    let mut g = Generator::new(&s.spec);
    let mut engine = Engine::new(EngineConfig::default(), Params::default());
    let mut ledger = Ledger::new();
    let mut receipts = 0u64;
    let mut docs = 0u64;
    for day in days(from, to.succ_opt().unwrap_or(to)) {
        events.clear();
        g.day(day, &mut events);
        for e in &events {
            for o in engine.advance(e.at) {
                ledger.observe(&o);
                receipts += 1;
            }
            engine.accept(&e.message, e.at);
            ledger.record(&e.message, e.at);
            docs += 1;
        }
    }
    let end = NaiveDate::from_ymd_opt(2026, 1, 10)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    receipts += engine.advance(end + Duration::days(1)).len() as u64;
    let all_s = t.elapsed().as_secs_f64();
    println!("generate + engine + ledger: {docs} messages, {receipts} receipts in {all_s:.1} s");
    let t = Instant::now();
    let mut lines = 0u64;
    let years = s.book.assess(&ledger, from, to, |_| lines += 1);
    println!(
        "tax: {lines} lines, {} years in {:.1} s",
        years.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
