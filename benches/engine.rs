//! Engine throughput: whole parcels (order, payment receipt, waybill, list) arriving shuffled,
//! many enterprises, through cross-check and lifecycle to release; baseline in the same run:
//! the same documents inserted into a plain hash map by business key.

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use single_window::engine::{Engine, EngineConfig};
use single_window::load::parcels::shuffled_documents;
use single_window::model::Message;
use single_window::rules::Params;
use std::collections::HashMap;
use std::hint::black_box;

// The allocator of the `single-window` binary, so the figures are those of the program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    const PARCELS: u64 = 5_000;
    let docs = shuffled_documents(7, PARCELS, 500);
    let start = NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let config = EngineConfig {
        release_waits_for_arrival: false,
        ..EngineConfig::default()
    };
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("hash_map_insert_by_key", |b| {
        b.iter(|| {
            let mut map: HashMap<(String, String), &Message<'static>> = HashMap::new();
            for m in &docs {
                let key = match m {
                    Message::Ceb303(o) => (
                        o.documents[0].head.ebp_code.to_string(),
                        o.documents[0].head.order_no.to_string(),
                    ),
                    Message::Ceb403(r) => (
                        r.documents[0].ebp_code.to_string(),
                        r.documents[0].order_no.to_string(),
                    ),
                    Message::Ceb505(w) => (
                        w.documents[0].logistics_code.to_string(),
                        w.documents[0].logistics_no.to_string(),
                    ),
                    Message::Ceb603(l) => (
                        l.documents[0].head.order_no.to_string(),
                        l.documents[0].head.logistics_no.to_string(),
                    ),
                    _ => continue,
                };
                map.insert(key, m);
            }
            black_box(map.len())
        })
    });
    group.bench_function("engine_to_release", |b| {
        b.iter(|| {
            let mut engine = Engine::new(config.clone(), Params::default());
            for m in &docs {
                engine.accept(m, start);
            }
            black_box(engine.advance(start + Duration::days(1)).len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
