//! Group commit: the writer takes what is waiting, stamps it with the server's time, appends
//! it to the log as one record, flushes once, and only then answers each submission and hands
//! the entries to the engine.
//!
//! When the disk fails (full, or a failed `fsync`) the batch is answered with the reason (503
//! at the door), health says what is wrong, and the log cuts off what the failed write left;
//! the writer goes on and takes messages again as soon as the disk does.

use super::clock::ServerClock;
use super::{CoreConfig, Stopping, Submission, ToEngine};
use crate::server::metrics::Metrics;
use crate::store::{Entry, Event, Store};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

/// A flush, or a wait for the engine, longer than this is logged: every acknowledgement
/// behind it waits as long.
const LOGGED_WAIT: Duration = Duration::from_millis(20);

/// What health calls the log when it cannot be written.
const PART: &str = "event log";

pub(super) fn run(
    store: Store,
    rx: Receiver<Submission>,
    engine: SyncSender<ToEngine>,
    clock: &ServerClock,
    config: &CoreConfig,
    metrics: &Metrics,
    stopping: &Stopping,
) {
    let mut seq = store.last_seq();
    let mut batch: Vec<Submission> = Vec::with_capacity(config.max_batch);
    let mut last_flush = Instant::now();
    loop {
        match rx.recv_timeout(config.tick) {
            Ok(first) => batch.push(first),
            Err(RecvTimeoutError::Timeout) => {
                // Nothing queued for a whole tick: when stopping, all is written.
                if stopping.requested.load(Ordering::SeqCst)
                    || engine.send(ToEngine::Tick(clock.now())).is_err()
                {
                    return;
                }
                // A disk that failed is tried again while idle, so health clears by itself.
                if metrics.health.has(PART) && store.repair_log().is_ok() {
                    metrics.health.clear(PART);
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Gathers until the commit cycle is over (at once after a quiet spell, or when a
        // whole batch is already waiting). Sleeping through the cycle, rather than waking for
        // each message, spares a thread switch per message here and a futex wake-up in the
        // sender.
        let wait = (last_flush + config.commit_cycle).saturating_duration_since(Instant::now());
        let full = metrics.ingest_queue.load(Ordering::Relaxed) >= config.max_batch as i64;
        if !wait.is_zero() && !full {
            std::thread::sleep(wait);
        }
        let mut bytes = event_bytes(&batch[0].event);
        while batch.len() < config.max_batch && bytes < config.max_batch_bytes {
            match rx.try_recv() {
                Ok(s) => {
                    bytes += event_bytes(&s.event);
                    batch.push(s);
                }
                Err(_) => break,
            }
        }
        metrics
            .ingest_queue
            .fetch_sub(batch.len() as i64, Ordering::Relaxed);
        let now = clock.now();
        let mut entries = Vec::with_capacity(batch.len());
        for (k, s) in batch.iter_mut().enumerate() {
            let entry = Entry {
                checked: s.checked,
                stored: now,
                // Moved, not copied: the submission needs only its answer channel now.
                event: std::mem::replace(&mut s.event, Event::Reset),
            };
            entries.push((seq + 1 + k as u64, entry));
        }
        last_flush = Instant::now();
        let written = store.append(&entries).and_then(|()| store.flush());
        let took = last_flush.elapsed();
        metrics.observe_flush(took, batch.len());
        if took > LOGGED_WAIT {
            tracing::warn!(
                ms = took.as_millis() as u64,
                entries = batch.len(),
                "a group commit was slow to reach the disk"
            );
        }
        if let Err(e) = written {
            // Nothing of this batch was acknowledged, nor reaches the engine; the log cuts
            // off what it left (now, or before its next write).
            let reason = format!("cannot write the event log: {e}");
            tracing::error!(error = %e, entries = batch.len(), "{reason}; answered 503");
            metrics.health.set(PART, reason.clone());
            let _ = store.repair_log();
            for s in batch.drain(..) {
                let _ = s.ack.send(Err(reason.clone()));
            }
            continue;
        }
        if metrics.health.has(PART) {
            metrics.health.clear(PART);
            tracing::info!("the event log is written again");
        }
        seq += batch.len() as u64;
        let first = seq + 1 - batch.len() as u64;
        let mut works = Vec::with_capacity(batch.len());
        for (k, s) in batch.drain(..).enumerate() {
            let _ = s.ack.send(Ok(first + k as u64));
            works.push(s.work);
        }
        // The engine's queue is bounded in messages, not commits: a hiccup of the engine (a
        // table growing, a checkpoint) must not hold up acknowledgements while there is
        // room. Only with `queue` messages behind does the writer wait for it.
        let waiting = Instant::now();
        while metrics.engine_queue.load(Ordering::Relaxed) > config.queue as i64 {
            if stopping.engine_done.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let waited = waiting.elapsed();
        if waited > LOGGED_WAIT {
            tracing::warn!(
                ms = waited.as_millis() as u64,
                "the engine fell behind; the writer waited for it"
            );
        }
        metrics
            .engine_queue
            .fetch_add(works.len() as i64, Ordering::Relaxed);
        // One hand-over per commit: a wake-up per message cost more than the engine's work.
        if engine.send(ToEngine::Entries(now, seq, works)).is_err() {
            return;
        }
    }
}

/// The size of what an event puts in the log, roughly (for the batch's byte limit).
fn event_bytes(event: &Event) -> usize {
    match event {
        Event::Message { bytes, .. } => bytes.len(),
        _ => 64,
    }
}
