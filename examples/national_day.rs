//! A national peak day through the single window on virtual time, as `replay` plays a
//! scenario (no HTTP): generated parcels (order, payment receipt, waybill, list; carriers'
//! arrivals and departures; 2 % faulty), each message as its XML bytes through decode and
//! every rule (the e-port's receipt), then the engine with its simulated customs and the
//! ledger, every customs receipt rendered to XML; what is finished with settles into the
//! on-disk ledger (sled, in a temporary folder) as `serve` does at its checkpoints. With
//! `--summaries`, a summary application (701) per seller closes the day (each brings every
//! declaration it sums back into memory: see docs/benchmarks.md).
//!
//! Two threads: one generates and checks, the other runs the engine. The traffic keeps the
//! national day's average pace (20 M parcels, 80 M messages in 24 hours of business time),
//! so `--parcels N` plays the first N parcels of that day.
//!
//! `cargo run --release --example national_day -- [--parcels N] [--seed S] [--summaries]`
//! (`scripts/national-day.sh` runs it and keeps its output).

use anyhow::Context as _;
use chrono::NaiveDate;
use single_window::check::check_and_decode;
use single_window::engine::{EngineConfig, SingleWindow};
use single_window::load::parcels;
use single_window::load::traffic::{Config, Traffic};
use single_window::model::registry::Registry;
use single_window::model::schema::find_text;
use single_window::rules::{Context, Params};
use single_window::server::core::Checked;
use single_window::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A national peak day: 80 M messages in 86,400 s.
const NATIONAL_RATE: f64 = 80_000_000.0 / 86_400.0;
const ENTERPRISES: u64 = 500;
/// Messages between two settles (what `serve` does at a checkpoint).
const SETTLE_EVERY: u64 = 50_000;
/// Messages handed from the checking thread to the engine at once.
const BATCH: usize = 2_000;

struct Options {
    parcels: u64,
    seed: u64,
    summaries: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        parcels: 200_000,
        seed: 1,
        summaries: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().context("a value is missing");
        match a.as_str() {
            "--parcels" => o.parcels = value()?.parse()?,
            "--seed" => o.seed = value()?.parse()?,
            "--summaries" => o.summaries = true,
            other => anyhow::bail!("unknown option {other}: --parcels N, --seed S, --summaries"),
        }
    }
    Ok(o)
}

/// One message as the engine gets it: business time and what the e-port's check made of it.
struct Played {
    at: chrono::NaiveDateTime,
    checked: Checked,
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix(field)?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

/// FNV-1a, folding every receipt into one fingerprint of the run.
fn fold(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x100_0000_01b3);
    }
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let start = NaiveDate::from_ymd_opt(2025, 11, 11)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .context("start")?;
    let mut config = Config::new(o.seed, NATIONAL_RATE, start);
    config.enterprises = ENTERPRISES;
    config.platforms = 20;
    config.parcels = Some(o.parcels);
    config.duration = None;
    config.bill_every = Duration::from_secs(60);
    let registry = Arc::new(parcels::registry(ENTERPRISES));
    let folder = std::env::temp_dir().join(format!("national-day-{}", uuid::Uuid::new_v4()));
    let store = Store::open(&folder)?;
    let result = play(&o, config, &registry, &store);
    drop(store);
    let removed = std::fs::remove_dir_all(&folder);
    if let Err(e) = removed {
        eprintln!("could not remove {}: {e}", folder.display());
    }
    result
}

fn play(
    o: &Options,
    config: Config,
    registry: &Arc<Registry>,
    store: &Store,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Played>>(8);
    let checker = {
        let registry = registry.clone();
        let summaries = o.summaries;
        std::thread::Builder::new()
            .name("generate+check".into())
            .spawn(move || {
                let params = Params::default();
                let ctx = Context {
                    registry: &registry,
                    params: &params,
                    related: None,
                };
                let mut batch = Vec::with_capacity(BATCH);
                let mut last = None;
                let check = |dxp: &str, bytes: &[u8], at| {
                    let (report, message) = check_and_decode(bytes, at, &ctx);
                    Played {
                        at,
                        checked: Checked::new(dxp, report, message, at),
                    }
                };
                let begin = config.start;
                let mut traffic = Traffic::new(config);
                for m in traffic.by_ref() {
                    let at = begin + chrono::Duration::milliseconds(m.due.as_millis() as i64);
                    last = Some(at);
                    batch.push(check(&m.dxp, &m.body, at));
                    if batch.len() == BATCH && tx.send(std::mem::take(&mut batch)).is_err() {
                        return;
                    }
                }
                // The day closes with a summary application per seller, an hour on.
                let at = last.unwrap_or_default() + chrono::Duration::hours(1);
                let closing = if summaries {
                    traffic.summary_messages(at)
                } else {
                    Vec::new()
                };
                for m in closing {
                    let dxp = find_text(m.as_element(), "dxpId").unwrap_or_default();
                    let xml = single_window::ceb::encode(m.as_element());
                    batch.push(check(dxp, xml.as_bytes(), at));
                }
                let _ = tx.send(batch);
            })?
    };
    let mut window = SingleWindow::new(EngineConfig::default(), Params::default());
    window.attach_cold(Arc::new(store.clone()));
    let (mut messages, mut eport, mut customs, mut receipt_bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut fingerprint = 0xcbf2_9ce4_8422_2325u64;
    let mut now = None;
    let mut reported = Instant::now();
    let settle = |window: &mut SingleWindow, version: u64, at| -> anyhow::Result<()> {
        for (v, batch) in window.settle(version, at) {
            store.put_cold(&batch, v)?;
        }
        window.written(version);
        Ok(())
    };
    for batch in rx {
        for Played { at, checked } in batch {
            for r in window.advance(at) {
                let xml = r.xml();
                fold(&mut fingerprint, xml.as_bytes());
                receipt_bytes += xml.len() as u64;
                customs += 1;
            }
            if let Some(r) = &checked.receipt {
                fold(&mut fingerprint, r.xml.as_bytes());
                receipt_bytes += r.xml.len() as u64;
                eport += 1;
            }
            if let Some(message) = &checked.message {
                let accepted = &checked.accepted;
                window.accept_documents(message.message(), at, at, |k| {
                    accepted.get(k).copied().unwrap_or(false)
                });
            }
            messages += 1;
            now = Some(at);
            if messages.is_multiple_of(SETTLE_EVERY) {
                settle(&mut window, messages, at)?;
            }
        }
        if reported.elapsed() > Duration::from_secs(10) {
            reported = Instant::now();
            let w = window.working_set();
            eprintln!(
                "{:>7.0} s  {messages} messages ({:.0}/s)  business time {}  in memory: {} declarations, {} lists  RSS {} MiB",
                started.elapsed().as_secs_f64(),
                messages as f64 / started.elapsed().as_secs_f64(),
                now.map(|t| t.format("%H:%M:%S").to_string())
                    .unwrap_or_default(),
                w.declarations,
                w.lists,
                rss_kib("VmRSS:") / 1024
            );
        }
    }
    if checker.join().is_err() {
        anyhow::bail!("the generating thread stopped unexpectedly");
    }
    // Customs finishes what is under way: reviews, inspections, the last departures.
    let end = now.unwrap_or_default() + chrono::Duration::days(2);
    for r in window.advance(end) {
        let xml = r.xml();
        fold(&mut fingerprint, xml.as_bytes());
        receipt_bytes += xml.len() as u64;
        customs += 1;
    }
    settle(&mut window, messages + 1, end)?;
    let seconds = started.elapsed().as_secs_f64();
    let w = window.working_set();
    println!(
        "national day: {} parcels, {messages} messages in {seconds:.1} s ({:.0} messages/s) on {} cores",
        o.parcels,
        messages as f64 / seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "receipts: {eport} from the e-port, {customs} from customs, {:.1} MB of XML; fingerprint {fingerprint:016x}",
        receipt_bytes as f64 / 1e6
    );
    println!(
        "peak RSS {} MiB; at the end in memory: {} declarations, {} lists, {} orders, {} waybills, {} timers; ledger on disk {:.1} MB",
        rss_kib("VmHWM:") / 1024,
        w.declarations,
        w.lists,
        w.orders,
        w.waybills,
        w.timers,
        store.size_on_disk() as f64 / 1e6
    );
    Ok(())
}
