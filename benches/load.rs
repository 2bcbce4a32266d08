//! The load generator's own speed: one second of the seeded traffic at 100,000 messages/s
//! (parcels, bills, encoding) written into a folder, one file per message, by
//! `drive::folder` (one thread making the messages, as many writer threads as cores), against
//! the baseline of writing the same messages, made beforehand, with as many threads, in the
//! same run; and the making alone on one thread. The folder is on /dev/shm when there is one,
//! so the figures are the generator's and not the disk's (see README, Load generator).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use single_window::load::target::Folder;
use single_window::load::traffic::{Config, Outgoing, Traffic};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

// The allocator of the `single-window` binary, so the figures are those of the program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One second at 100,000 messages/s (about 140,000 messages with the parcels and bills
/// completed after it).
fn traffic() -> Traffic {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 12, 2)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .unwrap_or_default();
    let mut c = Config::new(11, 100_000.0, start);
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

/// Writes `messages` into `dir` on `threads` threads, message i on thread i % threads.
fn write_premade(messages: &[Outgoing], dir: &Path, threads: usize) {
    let out = Folder::create(dir).expect("a folder");
    std::thread::scope(|s| {
        for t in 0..threads {
            let mut files = out.writer();
            s.spawn(move || {
                for o in messages.iter().skip(t).step_by(threads) {
                    files.write(o.seq, o.kind, &o.body).expect("written");
                }
            });
        }
    });
}

fn bench(c: &mut Criterion) {
    let premade: Vec<_> = traffic().collect();
    let writers = single_window::load::drive::folder_writers();
    let mut group = c.benchmark_group("load");
    group.throughput(Throughput::Elements(premade.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    // A fresh folder each time, made and removed outside the measurement.
    group.bench_function(format!("premade_to_files_{writers}_threads"), |b| {
        b.iter_batched(
            scratch,
            |dir| {
                write_premade(&premade, dir.path(), writers);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function(format!("generate_to_files_1+{writers}_threads"), |b| {
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
    group.bench_function("premade_to_files_1_thread", |b| {
        b.iter_batched(
            scratch,
            |dir| {
                write_premade(&premade, dir.path(), 1);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("generate_only_1_thread", |b| {
        b.iter(|| black_box(traffic().map(|o| o.body.len()).sum::<usize>()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
