//! The load generator's own speed: the seeded traffic (parcels, bills, encoding) written into a
//! folder, one file per message, against the baseline of writing the same number of
//! pre-made messages (the same bytes) to files in the same run; and the generation alone.
//! The folder is on /dev/shm when there is one, so the figures are the generator's and not
//! the disk's (see README, Load generator, for a disk).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use single_window::load::traffic::{Config, Traffic};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

// The allocator of the `single-window` binary, so the figures are those of the program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 20,000 messages: one second at 20,000 messages/s.
fn traffic() -> Traffic {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 12, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default();
    let mut c = Config::new(11, 20_000.0, start);
    c.duration = Some(Duration::from_secs(1));
    Traffic::new(c)
}

fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).expect("a scratch folder in /dev/shm")
    } else {
        tempfile::tempdir().expect("a scratch folder")
    }
}

fn bench(c: &mut Criterion) {
    let premade: Vec<_> = traffic().collect();
    let n = premade.len() as u64;
    let mut group = c.benchmark_group("load");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    // A fresh folder each time, made and removed outside the measurement.
    group.bench_function("premade_messages_to_files", |b| {
        b.iter_batched(
            scratch,
            |dir| {
                for o in &premade {
                    let path = dir.path().join(single_window::load::target::file_name(o));
                    std::fs::write(path, &o.body).expect("written");
                }
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("generate_to_files", |b| {
        b.iter_batched(
            scratch,
            |dir| {
                let written = single_window::load::drive::folder(traffic(), dir.path(), false)
                    .expect("written");
                black_box(written);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("generate_only", |b| {
        b.iter(|| black_box(traffic().map(|o| o.body.len()).sum::<usize>()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
