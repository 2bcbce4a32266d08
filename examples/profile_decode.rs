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
    let started = Instant::now();
    let events: usize = (0..rounds).map(|_| bare_scan_all(&messages)).sum();
    let bare = started.elapsed();
    let started = Instant::now();
    let clean: usize = (0..rounds).map(|_| typed_decode_all(&messages)).sum();
    let typed = started.elapsed();
    println!(
        "{events} event bytes, {clean} clean messages; bare scan {bare:?}, typed decode {typed:?}, ratio {:.0} %",
        100.0 * bare.as_secs_f64() / typed.as_secs_f64()
    );
}
