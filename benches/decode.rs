//! Decode throughput on fragmented parcels (CEB603 with 1–3 items), against a bare quick-xml
//! event scan of the same bytes in the same run; and the cost of hostile input (a list whose
//! head holds 10 k … 1 M empty unknown elements), checked with the default limits and with
//! no element limit, against the same bare scan: linear, and refused past the limit.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use single_window::ceb::{self, Limits};
use single_window::check::check_bytes_in;
use single_window::load::parcels::corpus;
use single_window::model::registry::Registry;
use single_window::rules::{Context, Params};
use std::hint::black_box;
use std::time::Duration;

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

/// The whole of `check` (decode, rules, receipt) on one message within `limits`.
fn check_within(bytes: &[u8], limits: Limits) -> usize {
    let params = Params {
        limits,
        ..Params::default()
    };
    let ctx = Context {
        registry: Registry::shipped(),
        params: &params,
        related: None,
    };
    let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap_or_default();
    let report = check_bytes_in(bytes, now, &ctx);
    report.documents.iter().map(|d| d.diagnostics.len()).sum()
}

fn hostile(c: &mut Criterion) {
    let seed = include_str!("../seeds/messages/valid/CEB603-retail-list-9610.xml");
    let mut group = c.benchmark_group("empty_elements");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    let unlimited = Limits {
        max_elements: usize::MAX,
        ..Limits::default()
    };
    for n in [10_000usize, 40_000, 80_000, 1_000_000] {
        let xml = seed.replacen(
            "<ceb:InventoryHead>",
            &format!("<ceb:InventoryHead>{}", "<x/>".repeat(n)),
            1,
        );
        group.throughput(Throughput::Bytes(xml.len() as u64));
        group.bench_with_input(BenchmarkId::new("bare_quick_xml_scan", n), &xml, |b, x| {
            b.iter(|| bare_scan(x))
        });
        group.bench_with_input(BenchmarkId::new("check", n), &xml, |b, x| {
            b.iter(|| check_within(x.as_bytes(), Limits::default()))
        });
        group.bench_with_input(
            BenchmarkId::new("check_no_element_limit", n),
            &xml,
            |b, x| b.iter(|| check_within(x.as_bytes(), unlimited)),
        );
    }
    group.finish();
}

criterion_group!(benches, bench, hostile);
criterion_main!(benches);
