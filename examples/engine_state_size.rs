//! Heap kept by the engine per open parcel: feeds whole parcels without letting time pass
//! (so every list is still open) and counts the live heap before and after.
//! `cargo run --release --example engine_state_size`

use chrono::NaiveDate;
use single_window::engine::{Engine, EngineConfig};
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

fn main() {
    const PARCELS: u64 = 10_000;
    let mut rng = Rng::new(7);
    let docs: Vec<Message<'static>> = (1..=PARCELS)
        .flat_map(|serial| {
            let p = parcel(&mut rng, serial, 500);
            [
                Message::Ceb303(p.order),
                Message::Ceb403(p.receipt),
                Message::Ceb505(p.waybill),
                Message::Ceb603(p.list),
            ]
        })
        .collect();
    let now = NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default();
    let before = LIVE.load(Ordering::Relaxed);
    let mut engine = Engine::new(EngineConfig::default(), Params::default());
    for (k, m) in docs.iter().enumerate() {
        if k % 4 == 0 {
            engine.accept(m, now);
        }
    }
    let a = LIVE.load(Ordering::Relaxed);
    println!("orders {}", (a - before) / PARCELS as isize);
    for (k, m) in docs.iter().enumerate() {
        if k % 4 == 1 {
            engine.accept(m, now);
        }
    }
    let b = LIVE.load(Ordering::Relaxed);
    println!("payments {}", (b - a) / PARCELS as isize);
    for (k, m) in docs.iter().enumerate() {
        if k % 4 == 2 {
            engine.accept(m, now);
        }
    }
    let c = LIVE.load(Ordering::Relaxed);
    println!("waybills {}", (c - b) / PARCELS as isize);
    for (k, m) in docs.iter().enumerate() {
        if k % 4 == 3 {
            engine.accept(m, now);
        }
    }
    let d = LIVE.load(Ordering::Relaxed);
    println!("lists {}", (d - c) / PARCELS as isize);
    let out = engine.advance(now + chrono::Duration::seconds(60));
    let n = out.len();
    drop(out);
    let e = LIVE.load(Ordering::Relaxed);
    println!(
        "after 60s ({n} out) total {}",
        (e - before) / PARCELS as isize
    );
    let after = e;
    println!(
        "{} open parcels: {} bytes of engine state, {} bytes per parcel",
        PARCELS,
        after - before,
        (after - before) / PARCELS as isize
    );
    drop(engine);
}
