//! The load generator's work, for profilers: making the messages (planning and encoding, one
//! thread); or, given a folder, the folder writer (`drive::folder`) into it.
//!
//! `cargo build --profile profiling --example profile_load`, then
//! `target/profiling/examples/profile_load [RATE] [DIR]` (one second of traffic at RATE).

use single_window::load::traffic::{Config, Traffic};
use std::time::{Duration, Instant};

// The allocator of the `single-window` binary, so the figures are those of the program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn traffic(messages: f64) -> Traffic {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 12, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default();
    // One second of schedule at `messages` per second.
    let mut c = Config::new(11, messages, start);
    c.duration = Some(Duration::from_secs(1));
    Traffic::new(c)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let messages: f64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000.0);
    if let Some(dir) = args.next() {
        return to_folder(messages, std::path::Path::new(&dir));
    }

    // The messages as they come: planned and encoded, on this thread.
    let started = Instant::now();
    let (mut n, mut bytes) = (0usize, 0usize);
    for o in traffic(messages) {
        n += 1;
        bytes += o.body.len();
    }
    let made = started.elapsed();
    let each = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{n} messages ({:.0} bytes each): {:.2} µs each",
        bytes as f64 / n as f64,
        each(made)
    );
}

fn to_folder(messages: f64, dir: &std::path::Path) {
    let _ = std::fs::remove_dir_all(dir);
    match single_window::load::drive::folder(traffic(messages), dir, false) {
        Ok(w) => println!(
            "to the folder: {} messages in {:.2} s, {:.0} messages/s",
            w.messages,
            w.seconds,
            w.messages as f64 / w.seconds
        ),
        Err(e) => eprintln!("writing {}: {e:#}", dir.display()),
    }
    let _ = std::fs::remove_dir_all(dir);
}
