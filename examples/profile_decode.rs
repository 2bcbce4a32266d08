//! A long decode loop over the bench corpus, for `perf record` and friends:
//! `cargo build --profile profiling --example profile_decode`.
//! Prints the time of a bare quick-xml scan and of the typed decode over the same bytes.

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::time::Instant;

fn main() {
    let messages = single_window::load::parcels::corpus(2025, 2000, 500);
    let rounds = 20;
    let started = Instant::now();
    let mut events = 0usize;
    for _ in 0..rounds {
        for m in &messages {
            let mut reader = Reader::from_str(m);
            while let Ok(e) = reader.read_event() {
                if matches!(e, Event::Eof) {
                    break;
                }
                events += 1;
            }
        }
    }
    let bare = started.elapsed();
    let started = Instant::now();
    let mut decoded = 0usize;
    for _ in 0..rounds {
        for m in &messages {
            if let Ok(p) = single_window::ceb::prepare(m.as_bytes()) {
                let d = single_window::ceb::decode_str(&p.text);
                decoded += usize::from(d.message.is_some() && d.diagnostics.is_empty());
            }
        }
    }
    let typed = started.elapsed();
    println!(
        "{events} events, {decoded} clean messages; bare scan {bare:?}, typed decode {typed:?}, ratio {:.0} %",
        100.0 * bare.as_secs_f64() / typed.as_secs_f64()
    );
}
