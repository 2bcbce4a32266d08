//! The checkpoint thread: writes the state the engine thread encoded (after flushing the
//! receipts it counts), then lets go of the log segments that no kept checkpoint needs and
//! that are past their retention. Off the engine thread, so the disk's time is not the
//! engine's.

use super::CoreConfig;
use super::engine::EngineState;
use crate::server::metrics::Metrics;
use crate::store::{Store, StoreError, checkpoint};
use chrono::NaiveDateTime;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

/// What health calls checkpoints when one cannot be written.
const PART: &str = "checkpoints";

/// A state to write.
struct Job {
    seq: u64,
    clock: Option<NaiveDateTime>,
    state: Vec<u8>,
    /// What settled: written to the cold store before the state.
    settled: crate::engine::cold::Batches,
    /// When the engine thread began encoding it.
    began: Instant,
}

/// The engine thread's handle on the checkpoint thread.
pub(super) struct Checkpointer {
    jobs: Option<SyncSender<Job>>,
    busy: Arc<AtomicBool>,
    /// The newest checkpoint written (its log position).
    written: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    pub fn start(
        store: &Store,
        config: &CoreConfig,
        metrics: &Arc<Metrics>,
    ) -> Result<Checkpointer, StoreError> {
        let (jobs, rx) = sync_channel::<Job>(1);
        let busy = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let thread = {
            let (store, config, metrics, busy, written) = (
                store.clone(),
                config.clone(),
                metrics.clone(),
                busy.clone(),
                written.clone(),
            );
            std::thread::Builder::new()
                .name("sw-checkpoint".into())
                .spawn(move || run(&store, rx, &config, &metrics, &busy, &written))?
        };
        count_log(store, metrics);
        Ok(Checkpointer {
            jobs: Some(jobs),
            busy,
            written,
            thread: Some(thread),
        })
    }

    /// Whether the last checkpoint is written (a new one waits until it is).
    pub fn is_idle(&self) -> bool {
        !self.busy.load(Ordering::SeqCst)
    }

    /// The newest checkpoint written since `confirmed` (which moves on to it), if any.
    pub fn written_since(&self, confirmed: &mut u64) -> Option<u64> {
        let newest = self.written.load(Ordering::SeqCst);
        (newest > *confirmed).then(|| {
            *confirmed = newest;
            newest
        })
    }

    /// Encodes `state` (here, on the engine thread: it must not change meanwhile) and hands
    /// it over to be written, after what settled.
    pub fn offer(
        &self,
        state: &EngineState,
        settled: crate::engine::cold::Batches,
        metrics: &Metrics,
    ) {
        let began = Instant::now();
        let bytes = match state.to_bytes() {
            Ok(b) => b,
            Err(e) => {
                // A bug, not the disk: the log keeps everything, so nothing is lost.
                tracing::error!(error = %e, "the engine's state could not be encoded");
                metrics.checkpoint_failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let job = Job {
            seq: state.seq(),
            clock: state.clock(),
            state: bytes,
            settled,
            began,
        };
        if let Some(jobs) = &self.jobs {
            self.busy.store(true, Ordering::SeqCst);
            if jobs.send(job).is_err() {
                self.busy.store(false, Ordering::SeqCst);
            }
        }
    }

    /// Waits for what was handed over to be written, and ends the thread.
    pub fn finish(mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    store: &Store,
    jobs: Receiver<Job>,
    config: &CoreConfig,
    metrics: &Metrics,
    busy: &AtomicBool,
    written_mark: &AtomicU64,
) {
    for job in jobs {
        let t = Instant::now();
        let cold =
            (job.settled.iter()).try_for_each(|(version, batch)| store.put_cold(batch, *version));
        let cold_ms = t.elapsed().as_millis() as u64;
        let written = cold.and_then(|()| store.flush_receipts()).and_then(|()| {
            let made = chrono::Utc::now().timestamp_millis();
            let size = checkpoint::write(
                store.disk().as_ref(),
                job.seq,
                made,
                &job.state,
                config.checkpoints_kept,
            )?;
            Ok((made, size))
        });
        match written {
            Ok((made, size)) => {
                written_mark.store(job.seq, Ordering::SeqCst);
                metrics.checkpoints.fetch_add(1, Ordering::Relaxed);
                metrics.checkpoint_seq.store(job.seq, Ordering::Relaxed);
                metrics.checkpoint_made_ms.store(made, Ordering::Relaxed);
                metrics.checkpoint_bytes.store(size, Ordering::Relaxed);
                let took = job.began.elapsed();
                metrics
                    .checkpoint_millis
                    .store(took.as_millis() as u64, Ordering::Relaxed);
                tracing::info!(
                    seq = job.seq,
                    bytes = size,
                    records = job.settled.iter().map(|(_, b)| b.len()).sum::<usize>(),
                    cold_ms,
                    ms = took.as_millis() as u64,
                    "checkpoint written"
                );
                if metrics.health.has(PART) {
                    metrics.health.clear(PART);
                    tracing::info!("checkpoints are written again");
                }
                if let Err(e) = let_go_of_old_log(store, job.clock, config.log_retention, metrics) {
                    tracing::warn!(error = %e, "old log segments could not be removed");
                }
            }
            Err(e) => {
                // Nothing is lost: the log after the last good checkpoint is all kept.
                metrics.checkpoint_failures.fetch_add(1, Ordering::Relaxed);
                metrics
                    .health
                    .set(PART, format!("cannot write a checkpoint: {e}"));
                tracing::warn!(error = %e, seq = job.seq, "a checkpoint could not be written; the log is kept");
            }
        }
        busy.store(false, Ordering::SeqCst);
    }
}

/// Removes the log segments that every kept checkpoint is past and that were closed longer
/// than `retention` ago (by the engine's time `now`).
fn let_go_of_old_log(
    store: &Store,
    now: Option<NaiveDateTime>,
    retention: Duration,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    let disk = store.disk().as_ref();
    let oldest = checkpoint::names(disk)?
        .last()
        .and_then(|n| checkpoint::read(disk, n).ok())
        .map(|c| c.seq);
    let (Some(oldest), Some(now)) = (oldest, now) else {
        return Ok(());
    };
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    // A segment may go once the next one starts at or before what the oldest checkpoint
    // covers, and that next one began (this one was closed) before the retention.
    let mut keep_from = None;
    for next in store.segments().iter().skip(1) {
        if next.first > oldest + 1 {
            break;
        }
        let closed = store
            .log_from(next.first)
            .next()
            .and_then(Result::ok)
            .map(|(_, e)| e.stored);
        if closed.is_none_or(|t| now - t < retention) {
            break;
        }
        keep_from = Some(next.first);
    }
    if let Some(seq) = keep_from {
        let freed = store.remove_log_before(seq)?;
        metrics
            .log_removed_bytes
            .fetch_add(freed, Ordering::Relaxed);
        tracing::debug!(before = seq, bytes = freed, "old log segments removed");
    }
    count_log(store, metrics);
    Ok(())
}

fn count_log(store: &Store, metrics: &Metrics) {
    let segments = store.segments();
    let bytes: u64 = segments.iter().map(|s| s.bytes).sum();
    metrics.log_bytes.store(bytes, Ordering::Relaxed);
    metrics
        .ledger_bytes
        .store(store.size_on_disk(), Ordering::Relaxed);
    metrics
        .log_segments
        .store(segments.len() as u64, Ordering::Relaxed);
}
