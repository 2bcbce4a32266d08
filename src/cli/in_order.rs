//! Work on every core, results in input order: `check` reads and checks files in parallel,
//! but prints them and plays them through customs one after another.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// Items a worker takes at a time: fewer hand-overs between threads.
const BATCH: usize = 16;

/// Runs `work` on every item, on every core, and hands each result to `sink` in item order.
/// Workers run at most `window` items ahead of the sink, so memory stays bounded; the first
/// error of `sink` stops the run and is returned.
pub fn for_each_in_order<T, R, E>(
    items: &[T],
    window: usize,
    work: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let window = window.max(BATCH);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let handed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Vec<R>)>(window / BATCH);
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, handed, stop, work) = (&next, &handed, &stop, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(BATCH, Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    while i >= handed.load(Ordering::Acquire) + window {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    // A send fails only once the sink has stopped.
                    let batch = items[i..].iter().take(BATCH).map(work).collect();
                    if tx.send((i, batch)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut early: BTreeMap<usize, Vec<R>> = BTreeMap::new();
        let mut expected = 0;
        for (i, batch) in rx {
            early.insert(i, batch);
            while let Some(batch) = early.remove(&expected) {
                for result in batch {
                    if let Err(e) = sink(result) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
                expected += BATCH;
                handed.store(expected, Ordering::Release);
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_item_order_whatever_the_work_takes() {
        let items: Vec<u64> = (0..2_000).collect();
        let mut seen = Vec::new();
        let done: Result<(), ()> = for_each_in_order(
            &items,
            7,
            |&i| {
                // Uneven work, so that workers finish out of order.
                if i % 13 == 0 {
                    std::thread::sleep(Duration::from_micros(300));
                }
                i * 2
            },
            |r| {
                seen.push(r);
                Ok(())
            },
        );
        assert!(done.is_ok());
        assert_eq!(seen, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn the_sinks_error_stops_the_run() {
        let items: Vec<u32> = (0..10_000).collect();
        let mut seen = 0;
        let done = for_each_in_order(
            &items,
            4,
            |&i| i,
            |i| {
                seen += 1;
                if i == 100 { Err(i) } else { Ok(()) }
            },
        );
        assert_eq!(done, Err(100));
        assert_eq!(seen, 101);
    }
}
