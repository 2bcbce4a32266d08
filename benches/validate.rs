//! Validation throughput on fragmented parcels: bytes → decoded → every rule of the catalog,
//! against a bare quick-xml event scan of the same bytes in the same run. Also the whole
//! `check` pipeline (validation plus the receipt written back).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use single_window::ceb;
use single_window::check::check_bytes_in;
use single_window::load::parcels::{corpus, registry};
use single_window::rules::{Context, Params, check_message};
use std::hint::black_box;

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

/// Decode and run every rule; the number of findings (0 for this corpus).
fn validate(xml: &str, ctx: &Context<'_>) -> usize {
    let Ok(prepared) = ceb::prepare(xml.as_bytes()) else {
        return 1;
    };
    let decoded = ceb::decode_str(&prepared.text);
    let Some(message) = &decoded.message else {
        return 1;
    };
    let found = check_message(message, &decoded.diagnostics, ctx);
    decoded.diagnostics.len()
        + found.envelope.len()
        + found.documents.iter().map(Vec::len).sum::<usize>()
}

fn bench(c: &mut Criterion) {
    const ENTERPRISES: u64 = 500;
    let messages = corpus(2025, 2000, ENTERPRISES);
    let reg = registry(ENTERPRISES);
    let params = Params::default();
    let ctx = Context {
        registry: &reg,
        params: &params,
        related: None,
    };
    let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .unwrap_or_default();
    assert_eq!(
        messages.iter().map(|m| validate(m, &ctx)).sum::<usize>(),
        0,
        "the corpus is valid"
    );
    let mut group = c.benchmark_group("validate_603");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("bare_quick_xml_scan", |b| {
        b.iter(|| messages.iter().map(|m| bare_scan(m)).sum::<usize>())
    });
    group.bench_function("decode_and_validate", |b| {
        b.iter(|| messages.iter().map(|m| validate(m, &ctx)).sum::<usize>())
    });
    group.bench_function("check_with_receipt", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| check_bytes_in(m.as_bytes(), now, &ctx).documents.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
