//! Memory per open parcel, in bytes of live heap (criterion with a measurement of its own: a
//! counting allocator). Each sample feeds whole parcels (order, payment receipt, waybill,
//! list) into a fresh engine and lets customs store them, so every parcel is open and
//! waiting for release; the heap it then holds, per parcel:
//!
//! - `single_window`: what `serve` keeps (the engine and the ledger of declarations);
//! - `engine`: the customs engine alone;
//! - baseline `raw_messages`: the four messages kept as they came over the wire, what a
//!   server keeping every document would hold.
//!
//! `cargo bench --bench memory` (the goal is 1 KiB for `single_window`).

use chrono::{Duration, NaiveDate, NaiveDateTime};
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use single_window::engine::{Engine, EngineConfig, SingleWindow};
use single_window::load::parcels::{Rng, parcel};
use single_window::model::Message;
use single_window::rules::Params;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes of live heap: criterion's value is what `iter_custom` returns.
struct HeapBytes;

impl Measurement for HeapBytes {
    type Intermediate = ();
    type Value = f64;

    fn start(&self) {}

    fn end(&self, (): ()) -> f64 {
        0.0
    }

    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }

    fn zero(&self) -> f64 {
        0.0
    }

    fn to_f64(&self, v: &f64) -> f64 {
        *v
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Bytes
    }
}

struct Bytes;

impl ValueFormatter for Bytes {
    fn scale_values(&self, _typical: f64, _values: &mut [f64]) -> &'static str {
        "B"
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        _throughput: &Throughput,
        _values: &mut [f64],
    ) -> &'static str {
        "B"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "B"
    }
}

fn messages(parcels: u64) -> Vec<Message<'static>> {
    let mut rng = Rng::new(7);
    (1..=parcels)
        .flat_map(|serial| parcel(&mut rng, serial, 500).into_messages())
        .collect()
}

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
}

/// Live heap added by `hold` while the value it returns lives.
fn held<T>(hold: impl FnOnce() -> T) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    let kept = hold();
    let after = LIVE.load(Ordering::Relaxed);
    drop(kept);
    (after - before) as f64
}

fn bench(c: &mut Criterion<HeapBytes>) {
    let mut group = c.benchmark_group("open_parcel_bytes");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    // Customs has stored every list, none is released yet (release waits for arrival).
    let stored = |now: NaiveDateTime| now + Duration::seconds(60);
    group.bench_function("single_window", |b| {
        b.iter_custom(|n| {
            let docs = messages(n);
            held(|| {
                let mut w = SingleWindow::new(EngineConfig::default(), Params::default());
                for m in &docs {
                    w.accept(m, start());
                }
                drop(w.advance(stored(start())));
                w
            })
        })
    });
    group.bench_function("engine", |b| {
        b.iter_custom(|n| {
            let docs = messages(n);
            held(|| {
                let mut e = Engine::new(EngineConfig::default(), Params::default());
                for m in &docs {
                    e.accept(m, start());
                }
                drop(e.advance(stored(start())));
                e
            })
        })
    });
    group.bench_function("raw_messages", |b| {
        b.iter_custom(|n| {
            let docs = messages(n);
            held(|| {
                docs.iter()
                    .map(|m| single_window::ceb::encode(m.as_element()).into_bytes())
                    .collect::<Vec<_>>()
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(HeapBytes);
    targets = bench
}
criterion_main!(benches);
