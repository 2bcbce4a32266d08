//! A long decode loop over the bench corpus, for profilers:
//! `cargo build --profile profiling --example profile_decode`, then e.g.
//! `ROUNDS=2 valgrind --tool=callgrind target/profiling/examples/profile_decode` and compare the
//! inclusive instruction counts of `bare_scan_all` and `typed_decode_all` (a figure that does not
//! depend on how busy the machine is). Also prints wall-clock times.

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::hint::black_box;
use std::time::Instant;

#[inline(never)]
fn bare_scan_all(messages: &[String]) -> usize {
    let mut events = 0;
    for m in messages {
        let mut reader = Reader::from_str(m);
        while let Ok(e) = reader.read_event() {
            if matches!(e, Event::Eof) {
                break;
            }
            events += black_box(&e).len();
        }
    }
    events
}

#[inline(never)]
fn typed_decode_all(messages: &[String]) -> usize {
    let mut clean = 0;
    for m in messages {
        if let Ok(p) = single_window::ceb::prepare(m.as_bytes()) {
            let d = single_window::ceb::decode_str(&p.text);
            clean += usize::from(d.message.is_some() && d.diagnostics.is_empty());
        }
    }
    clean
}

fn main() {
    let messages = single_window::load::parcels::corpus(2025, 2000, 500);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    // Rounds alternate between the two so that a machine slowing down or speeding up (shared
    // virtual machines do) affects both alike; the median of the per-round ratios is printed.
    let mut ratios = Vec::with_capacity(rounds);
    let (mut bare_total, mut typed_total) = (0.0, 0.0);
    let mut checksum = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        checksum += bare_scan_all(&messages);
        let bare = started.elapsed().as_secs_f64();
        let started = Instant::now();
        checksum += typed_decode_all(&messages);
        let typed = started.elapsed().as_secs_f64();
        ratios.push(bare / typed);
        bare_total += bare;
        typed_total += typed;
    }
    ratios.sort_by(f64::total_cmp);
    let n = (rounds * messages.len()) as f64;
    println!(
        "bare scan {:.0} messages/s, typed decode {:.0} messages/s, median ratio {:.0} % (checksum {checksum})",
        n / bare_total,
        n / typed_total,
        100.0 * ratios.get(rounds / 2).copied().unwrap_or_default()
    );
}
