//! The threads behind the HTTP front: the **writer** (`writer`) orders what arrives, appends
//! it to the log and flushes a whole batch at once (group commit) before acknowledging any of
//! it; the **engine** thread (`engine`) owns the pure engine and plays the log through it,
//! entry by entry, at the time each was stored, stores the receipts it made (`receipts`) and
//! now and then hands a checkpoint of its state to the **checkpoint** thread
//! (`checkpoints`), which writes it and lets old log segments go. A start loads the newest
//! good checkpoint and replays the log after it (`recover`).
//!
//! Determinism is what makes this crash-safe: the engine's only inputs are the log entries and
//! their stored times, which never decrease along the log (`clock`), and the clock ticks it
//! gets between them (advancing in steps gives the same receipts as advancing at once). So a
//! replay of the log after a checkpoint produces the same receipts in the same order as the
//! first time, and numbering them in that order gives every receipt the same id it had.

mod checkpoints;
pub mod clock;
mod engine;
mod receipts;
mod recover;
mod writer;

use super::metrics::Metrics;
use crate::check::{MessageReport, ReceivedMessage};
use crate::engine::ledger::Ledger;
use crate::engine::{EngineConfig, Forced};
use crate::model::registry::Registry;
use crate::model::time::readable_millis;
use crate::rules::Params;
use crate::store::{Event, Store, StoreError, StoredReceipt};
use chrono::{NaiveDate, NaiveDateTime};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// What the e-port made of one received message, ready for the engine.
pub struct Checked {
    pub sender: String,
    /// The decoded message, when it could be read.
    pub message: Option<ReceivedMessage>,
    /// Per document: accepted by the e-port (only those reach customs).
    pub accepted: Vec<bool>,
    /// The e-port's own receipt (id assigned by the engine thread).
    pub receipt: Option<StoredReceipt>,
    /// When the e-port checked it: the day its numbers carry.
    pub checked: NaiveDateTime,
}

impl Checked {
    /// Splits a check report into what the engine needs.
    pub fn new(
        sender: &str,
        report: MessageReport,
        message: Option<ReceivedMessage>,
        now: NaiveDateTime,
    ) -> Checked {
        let key = (report.documents.iter())
            .filter(|d| d.index > 0)
            .map(|d| d.key.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let accepted = report
            .documents
            .iter()
            .map(|d| d.accepted && d.index > 0)
            .collect();
        // The e-port's receipt takes its texts from the first document (moved, not copied).
        let first = report.documents.into_iter().next().unwrap_or_default();
        let receipt = report.receipt.map(|r| StoredReceipt {
            id: 0,
            time: readable_millis(now),
            root: r.root.to_string(),
            status: first.return_status,
            key,
            answers: first.guid,
            info: first.return_info,
            en: first.return_info_en,
            xml: r.xml,
        });
        Checked {
            sender: sender.to_string(),
            message,
            accepted,
            receipt,
            checked: now,
        }
    }
}

/// Work for the engine, in log order.
pub enum Work {
    Message(Box<Checked>),
    Force {
        event: Forced,
        ebp_code: String,
        order_no: String,
        /// Told whether the engine could do it (absent in a replay).
        reply: Option<oneshot::Sender<Result<(), crate::engine::NotNow>>>,
    },
    Reset {
        /// Told once the engine has started afresh (absent in a replay).
        reply: Option<oneshot::Sender<()>>,
    },
    /// An entry written by an older or newer version that this one cannot play.
    Skip,
}

/// Something to append to the log, with its answer channel.
pub struct Submission {
    pub checked: NaiveDateTime,
    pub event: Event,
    pub work: Work,
    /// The log sequence number once durable, or why it could not be stored.
    pub ack: oneshot::Sender<Result<u64, String>>,
}

/// A question for the engine thread.
pub enum Query {
    /// Where the list of an order stands.
    ListStatus {
        ebp_code: String,
        order_no: String,
        reply: oneshot::Sender<Option<crate::engine::Awaiting>>,
    },
    /// A copy of the declarations of one e-commerce enterprise (`ebcCode`) with an export
    /// date in `from..=to`, so its tax is worked out off this thread.
    Declarations {
        ebc_code: String,
        from: NaiveDate,
        to: NaiveDate,
        reply: oneshot::Sender<Ledger>,
    },
}

/// What the writer and the API hand the engine thread.
enum ToEngine {
    /// The entries of one group commit (with the sequence number of the last), stored at
    /// one time.
    Entries(NaiveDateTime, u64, Vec<Work>),
    Tick(NaiveDateTime),
    Query(Query),
}

/// Tunables of the core.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Submissions waiting to be stored before new ones are turned away (503).
    pub queue: usize,
    /// Most entries written by one flush.
    pub max_batch: usize,
    /// Most bytes of messages written by one flush.
    pub max_batch_bytes: usize,
    /// Shortest time from the start of one flush to the start of the next.
    pub commit_cycle: Duration,
    /// How often the engine's clock moves on when nothing arrives.
    pub tick: Duration,
    /// A checkpoint is made after this many log entries …
    pub checkpoint_records: u64,
    /// … or this long after the last one, whichever comes first (if anything came).
    pub checkpoint_interval: Duration,
    /// How many checkpoints are kept (the newest good one is used; the others are there in
    /// case it is damaged).
    pub checkpoints_kept: usize,
    /// Log segments are kept at least this long after they were closed, checkpoint or not.
    pub log_retention: Duration,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            queue: 16_384,
            max_batch: 4096,
            max_batch_bytes: 64 << 20,
            commit_cycle: Duration::from_millis(2),
            tick: Duration::from_millis(100),
            checkpoint_records: 50_000,
            checkpoint_interval: Duration::from_secs(10),
            checkpoints_kept: 3,
            log_retention: Duration::from_secs(3600),
        }
    }
}

/// Handles to the running core.
#[derive(Clone)]
pub struct Core {
    submit: SyncSender<Submission>,
    engine: SyncSender<ToEngine>,
    metrics: Arc<Metrics>,
    /// Set by `stop`: the writer finishes what is queued and ends, then the engine.
    stopping: Arc<Stopping>,
    /// The highest receipt id stored so far.
    pub latest: watch::Receiver<u64>,
    clock: Arc<clock::ServerClock>,
}

#[derive(Default)]
struct Stopping {
    requested: AtomicBool,
    writer_done: AtomicBool,
    engine_done: AtomicBool,
}

/// Why a submission was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The queue is full: try again shortly.
    Busy,
    /// The core has stopped (shutting down, or the store failed).
    Stopped,
}

/// Parses a forced event's name as the log and the API write it.
pub fn parse_forced(name: &str) -> Option<Forced> {
    match name {
        "release" => Some(Forced::Release),
        "inspect" => Some(Forced::Inspect),
        "reject" => Some(Forced::Reject),
        _ => None,
    }
}

/// What the core is started with besides its store.
pub struct Setup {
    pub engine: EngineConfig,
    pub params: Params,
    pub registry: Arc<Registry>,
    pub config: CoreConfig,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn clock::Clock>,
}

/// Loads the newest good checkpoint, replays the log after it and starts the threads.
/// Returns once the engine is where it was.
pub fn start(
    store: Store,
    setup: Setup,
) -> Result<(Core, Vec<std::thread::JoinHandle<()>>), StoreError> {
    let Setup {
        engine: engine_config,
        params,
        registry,
        config,
        metrics,
        clock,
    } = setup;
    let recovered = recover::recover(&store, engine_config, params, &registry, &metrics)?;
    let server_clock = Arc::new(clock::ServerClock::new(clock, recovered.clock_floor));
    let state = recovered.state;
    let (latest_tx, latest) = watch::channel(state.next_id() - 1);
    let (submit, submit_rx) = sync_channel::<Submission>(config.queue.max(1));
    // Entries travel a commit at a time, each of one message or more; the writer keeps the
    // engine's queue to `queue` messages, so this many commits always fit.
    let (engine_tx, engine_rx) = sync_channel::<ToEngine>(config.queue + 1);
    let stopping = Arc::new(Stopping::default());
    let mut threads = Vec::new();
    let checkpointer = checkpoints::Checkpointer::start(&store, &config, &metrics)?;
    {
        let store = store.clone();
        let metrics = metrics.clone();
        let engine_tx = engine_tx.clone();
        let cfg = config.clone();
        let stopping = stopping.clone();
        let clock = server_clock.clone();
        threads.push(spawn("sw-writer", move || {
            writer::run(
                store, submit_rx, engine_tx, &clock, &cfg, &metrics, &stopping,
            );
            stopping.writer_done.store(true, Ordering::SeqCst);
        })?);
    }
    {
        let metrics = metrics.clone();
        let stopping = stopping.clone();
        let receipts = receipts::ReceiptWriter::new(store, latest_tx);
        let cfg = config.clone();
        threads.push(spawn("sw-engine", move || {
            // Set however the loop ends, a panic included: the writer may be waiting for it.
            struct Done(Arc<Stopping>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.engine_done.store(true, Ordering::SeqCst);
                }
            }
            let done = Done(stopping);
            engine::run(
                state,
                engine_rx,
                receipts,
                checkpointer,
                &cfg,
                &metrics,
                &done.0,
            );
        })?);
    }
    Ok((
        Core {
            submit,
            engine: engine_tx,
            metrics,
            stopping,
            latest,
            clock: server_clock,
        },
        threads,
    ))
}

fn spawn(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, StoreError> {
    Ok(std::thread::Builder::new().name(name.into()).spawn(f)?)
}

impl Core {
    /// Queues a submission for storage; `Busy` when the queue is full.
    pub fn submit(&self, s: Submission) -> Result<(), Refused> {
        match self.submit.try_send(s) {
            Ok(()) => {
                self.metrics.ingest_queue.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(Refused::Busy),
            Err(TrySendError::Disconnected(_)) => Err(Refused::Stopped),
        }
    }

    /// The server's time: what the e-port dates its receipts with.
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    /// Asks the threads to finish what is queued and end (they are joined by the caller).
    pub fn stop(&self) {
        self.stopping.requested.store(true, Ordering::SeqCst);
    }

    /// Asks the engine thread a question.
    pub fn query(&self, q: Query) -> Result<(), Refused> {
        match self.engine.try_send(ToEngine::Query(q)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(Refused::Busy),
            Err(TrySendError::Disconnected(_)) => Err(Refused::Stopped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Context;
    use crate::store::Entry;

    fn replayed(event: Event) -> Work {
        let registry = crate::model::registry::Registry::default();
        let params = Params::default();
        let ctx = Context {
            registry: &registry,
            params: &params,
            related: None,
        };
        let entry = Entry {
            checked: NaiveDateTime::default(),
            stored: NaiveDateTime::default(),
            event,
        };
        engine::work_of(&entry, &ctx)
    }

    #[test]
    fn a_forced_event_this_version_does_not_know_is_skipped_in_a_replay_not_a_reset() {
        let forced = |name: &str| Event::Force {
            event: name.into(),
            ebp_code: "4403966Z01".into(),
            order_no: "ORD1".into(),
        };
        assert!(matches!(replayed(forced("quarantine")), Work::Skip));
        assert!(matches!(
            replayed(forced("release")),
            Work::Force {
                event: Forced::Release,
                ..
            }
        ));
        assert!(matches!(
            replayed(Event::Reset),
            Work::Reset { reply: None }
        ));
    }

    /// A core on a fresh store with a one-second commit cycle.
    fn slow_committing_core(
        max_batch: usize,
    ) -> (
        Core,
        Vec<std::thread::JoinHandle<()>>,
        Arc<Metrics>,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let metrics = Arc::new(Metrics::default());
        let config = CoreConfig {
            queue: 64,
            max_batch,
            commit_cycle: Duration::from_millis(1000),
            tick: Duration::from_millis(20),
            ..CoreConfig::default()
        };
        let setup = Setup {
            engine: EngineConfig::default(),
            params: Params::default(),
            registry: Arc::new(Registry::default()),
            config,
            metrics: metrics.clone(),
            clock: Arc::new(clock::WallClock),
        };
        let (core, threads) = start(Store::open(dir.path()).unwrap(), setup).unwrap();
        (core, threads, metrics, dir)
    }

    /// Submits an entry no version plays: stored and acknowledged like a message.
    fn submit(core: &Core) -> oneshot::Receiver<Result<u64, String>> {
        let (ack, answer) = oneshot::channel();
        let event = Event::Force {
            event: "test".into(),
            ebp_code: String::new(),
            order_no: String::new(),
        };
        let (checked, work) = (NaiveDateTime::default(), Work::Skip);
        core.submit(Submission {
            checked,
            event,
            work,
            ack,
        })
        .unwrap();
        answer
    }

    fn stop(core: Core, threads: Vec<std::thread::JoinHandle<()>>) {
        core.stop();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn messages_within_a_commit_cycle_share_a_flush_and_one_after_a_quiet_spell_goes_at_once() {
        let (core, threads, metrics, _dir) = slow_committing_core(64);
        let flushes = || metrics.flushes.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1100));
        let first = std::time::Instant::now();
        assert_eq!(submit(&core).blocking_recv().unwrap(), Ok(1));
        assert!(
            first.elapsed() < Duration::from_millis(800),
            "{:?}",
            first.elapsed()
        );
        assert_eq!(flushes(), 1);
        // Two more at once: they wait for the cycle to end, then go together.
        let (second, third) = (submit(&core), submit(&core));
        assert_eq!(second.blocking_recv().unwrap(), Ok(2));
        assert_eq!(third.blocking_recv().unwrap(), Ok(3));
        assert_eq!(flushes(), 2);
        assert!(
            first.elapsed() >= Duration::from_millis(900),
            "{:?}",
            first.elapsed()
        );
        stop(core, threads);
    }

    #[test]
    fn a_whole_batch_waiting_goes_without_waiting_for_the_cycle() {
        let (core, threads, metrics, _dir) = slow_committing_core(2);
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(submit(&core).blocking_recv().unwrap(), Ok(1));
        // Five more at once, with batches of two: whether the writer sees a whole batch
        // waiting when it takes the second or sleeps out the cycle first, the next two are
        // waiting by the time the second and third are written.
        let answers: Vec<_> = (0..5).map(|_| submit(&core)).collect();
        let mut answers = answers.into_iter();
        let mut next = || answers.next().unwrap().blocking_recv().unwrap();
        assert_eq!((next(), next()), (Ok(2), Ok(3)));
        // Two more (a whole batch) were already waiting: written at once, not a cycle later.
        let after = std::time::Instant::now();
        assert_eq!((next(), next()), (Ok(4), Ok(5)));
        assert!(
            after.elapsed() < Duration::from_millis(800),
            "{:?}",
            after.elapsed()
        );
        assert_eq!(next(), Ok(6));
        assert_eq!(metrics.flushes.load(Ordering::SeqCst), 4);
        stop(core, threads);
    }
}
