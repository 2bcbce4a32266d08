//! Decode throughput on fragmented parcels (CEB603 with 1–3 items), against a bare quick-xml
//! event scan of the same bytes in the same run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use single_window::ceb;
use single_window::load::parcels::corpus;
use std::hint::black_box;

/// Reads every event and touches it, nothing more: the floor any decoder sits on.
fn bare_scan(xml: &str) -> usize {
    let mut reader = Reader::from_str(xml);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return n,
            Ok(e) => n += black_box(&e).len(),
        }
    }
}

fn typed_decode(xml: &str) -> usize {
    let prepared = match ceb::prepare(xml.as_bytes()) {
        Ok(p) => p,
        Err(_) => return 0,
    };
    let decoded = ceb::decode_str(&prepared.text);
    decoded.diagnostics.len() + usize::from(decoded.message.is_some())
}

fn bench(c: &mut Criterion) {
    let messages = corpus(2025, 2000, 500);
    let bytes: usize = messages.iter().map(String::len).sum();
    for (unit, throughput) in [
        ("messages", Throughput::Elements(messages.len() as u64)),
        ("bytes", Throughput::Bytes(bytes as u64)),
    ] {
        let mut group = c.benchmark_group(format!("decode_603/{unit}"));
        group.throughput(throughput);
        group.bench_function("bare_quick_xml_scan", |b| {
            b.iter(|| messages.iter().map(|m| bare_scan(m)).sum::<usize>())
        });
        group.bench_function("typed_decode", |b| {
            b.iter(|| messages.iter().map(|m| typed_decode(m)).sum::<usize>())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
