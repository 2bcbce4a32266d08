//! The two threads behind the HTTP front: the **writer** orders what arrives, appends it to
//! the log and flushes a whole batch at once (group commit) before acknowledging any of it;
//! the **engine** thread owns the pure engine and plays the log through it, entry by entry, at
//! the time each was stored, then encodes the receipts it made and stores them for delivery
//! (a third thread for that cost more in hand-overs than it saved).
//!
//! Determinism is what makes this crash-safe: the engine's only inputs are the log entries and
//! their stored times, which never decrease along the log, and the clock ticks it gets between
//! them (advancing in steps gives the same receipts as advancing at once). So a replay of the
//! log after a crash produces the same receipts in the same order, and numbering them in that
//! order gives every receipt the same id it had before.

use super::metrics::Metrics;
use crate::check::{MessageReport, ReceivedMessage, check_and_decode};
use crate::engine::ledger::Ledger;
use crate::engine::{EngineConfig, Forced, Outgoing, SingleWindow};
use crate::model::time::readable_millis;
use crate::rules::{Context, Params};
use crate::store::{Entry, Event, Store, StoreError, StoredReceipt};
use chrono::{NaiveDate, NaiveDateTime};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
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
            xml: r.xml,
        });
        Checked {
            sender: sender.to_string(),
            message,
            accepted,
            receipt,
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
        reply: Option<oneshot::Sender<Result<(), String>>>,
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
        reply: oneshot::Sender<Option<String>>,
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

enum ToEngine {
    /// The entries of one group commit, stored at one time.
    Entries(NaiveDateTime, Vec<Work>),
    Tick(NaiveDateTime),
    Query(Query),
}

/// A receipt made by the engine, encoded when it is stored.
enum Body {
    Ready(StoredReceipt),
    Outgoing(Box<Outgoing>),
}

struct Produced {
    id: u64,
    dxp: String,
    body: Body,
}

/// Tunables of the core.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Submissions waiting to be stored before new ones are turned away (503).
    pub queue: usize,
    /// Most entries written by one flush.
    pub max_batch: usize,
    /// Shortest time from the start of one flush to the start of the next.
    pub commit_cycle: Duration,
    /// How often the engine's clock moves on when nothing arrives.
    pub tick: Duration,
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

/// Where the engine stands after a replay, and what it still owes the store.
struct EngineState {
    engine: SingleWindow,
    config: EngineConfig,
    params: Params,
    /// Receipt ids are a count of the receipts made, in order.
    next_id: u64,
    /// The latest time the engine was moved to.
    clock: Option<NaiveDateTime>,
}

impl EngineState {
    fn new(config: EngineConfig, params: Params) -> EngineState {
        EngineState {
            engine: SingleWindow::new(config.clone(), params.clone()),
            config,
            params,
            next_id: 1,
            clock: None,
        }
    }

    fn advance(&mut self, now: NaiveDateTime, out: &mut Vec<Produced>) {
        if self.clock.is_some_and(|c| c > now) {
            return;
        }
        self.clock = Some(now);
        for receipt in self.engine.advance(now) {
            // The engine knows who sent each document it answers.
            let dxp = receipt.to().to_string();
            out.push(Produced {
                id: self.take_id(),
                dxp,
                body: Body::Outgoing(Box::new(receipt)),
            });
        }
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Plays one log entry: the clock moves to its time first, then the engine takes it.
    fn apply(&mut self, stored: NaiveDateTime, work: Work, out: &mut Vec<Produced>) {
        self.advance(stored, out);
        let now = self.clock.unwrap_or(stored);
        match work {
            Work::Message(checked) => {
                let Checked {
                    sender,
                    message,
                    accepted,
                    receipt,
                } = *checked;
                if let Some(mut r) = receipt {
                    r.id = self.take_id();
                    out.push(Produced {
                        id: r.id,
                        dxp: sender,
                        body: Body::Ready(r),
                    });
                }
                if let Some(message) = message {
                    self.engine.accept_documents(message.message(), now, |k| {
                        accepted.get(k).copied().unwrap_or(false)
                    });
                }
            }
            Work::Force {
                event,
                ebp_code,
                order_no,
                reply,
            } => {
                let result = self
                    .engine
                    .engine_mut()
                    .force(&ebp_code, &order_no, event, now);
                if let Some(reply) = reply {
                    let _ = reply.send(result.map_err(str::to_string));
                }
            }
            Work::Reset { reply } => {
                self.engine = SingleWindow::new(self.config.clone(), self.params.clone());
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            Work::Skip => {}
        }
        // Receipts due at once (e.g. a forced event) go out with the entry.
        self.advance(now, out);
    }
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

/// What a log entry asks of the engine, rebuilt from the log alone (for a replay).
fn work_of(entry: &Entry, ctx: &Context<'_>) -> Work {
    match &entry.event {
        Event::Message { sender, bytes } => {
            let (report, message) = check_and_decode(bytes, entry.checked, ctx);
            Work::Message(Box::new(Checked::new(
                sender,
                report,
                message,
                entry.checked,
            )))
        }
        Event::Force {
            event,
            ebp_code,
            order_no,
        } => match parse_forced(event) {
            Some(event) => Work::Force {
                event,
                ebp_code: ebp_code.clone(),
                order_no: order_no.clone(),
                reply: None,
            },
            None => Work::Skip,
        },
        Event::Reset => Work::Reset { reply: None },
    }
}

/// The meta counter below which every receipt is known to be durably stored.
const STORED_MARK: &str = "receipts_durable_below";

/// Replays the log and starts the threads. Returns once the engine is where it was.
pub fn start(
    store: Store,
    engine_config: EngineConfig,
    params: Params,
    registry: Arc<crate::model::registry::Registry>,
    config: &CoreConfig,
    metrics: Arc<Metrics>,
) -> Result<(Core, Vec<std::thread::JoinHandle<()>>), StoreError> {
    let mut state = EngineState::new(engine_config, params.clone());
    let durable_below = store.counter(STORED_MARK)?;
    store.drop_receipts_from(durable_below)?;
    let mut last_time: Option<NaiveDateTime> = None;
    let mut replayed = 0u64;
    {
        let ctx = Context {
            registry: &registry,
            params: &params,
            related: None,
        };
        let mut out = Vec::new();
        for item in store.log() {
            let (_, entry) = item?;
            let work = work_of(&entry, &ctx);
            state.apply(entry.stored, work, &mut out);
            last_time = Some(entry.stored);
            replayed += 1;
            // Receipts from before the last known flush are in the store already.
            out.retain(|p| p.id >= durable_below);
            if out.len() >= 1024 {
                store.put_receipts(&encode(std::mem::take(&mut out)))?;
            }
        }
        store.put_receipts(&encode(out))?;
    }
    tracing::info!(
        entries = replayed,
        receipts = state.next_id - 1,
        "replayed the log"
    );
    let first_id = state.next_id;
    let (latest_tx, latest) = watch::channel(first_id - 1);
    let (submit, submit_rx) = sync_channel::<Submission>(config.queue.max(1));
    // Entries travel a commit at a time, each of one message or more; the writer keeps the
    // engine's queue to `queue` messages, so this many commits always fit.
    let (engine_tx, engine_rx) = sync_channel::<ToEngine>(config.queue + 1);
    let stopping = Arc::new(Stopping::default());
    let mut threads = Vec::new();
    {
        let store = store.clone();
        let metrics = metrics.clone();
        let engine_tx = engine_tx.clone();
        let seq = store.last_seq();
        let cfg = config.clone();
        let stopping = stopping.clone();
        threads.push(spawn("sw-writer", move || {
            writer(
                store,
                submit_rx,
                engine_tx,
                (seq, last_time),
                &cfg,
                &metrics,
                &stopping,
            );
            stopping.writer_done.store(true, Ordering::SeqCst);
        })?);
    }
    {
        let metrics = metrics.clone();
        let stopping = stopping.clone();
        let receipts = ReceiptWriter::new(store, latest_tx);
        threads.push(spawn("sw-engine", move || {
            // Set however the loop ends, a panic included: the writer may be waiting for it.
            struct Done(Arc<Stopping>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.engine_done.store(true, Ordering::SeqCst);
                }
            }
            let done = Done(stopping);
            engine_loop(state, engine_rx, receipts, &metrics, &done.0);
        })?);
    }
    Ok((
        Core {
            submit,
            engine: engine_tx,
            metrics,
            stopping,
            latest,
        },
        threads,
    ))
}

fn spawn(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| StoreError::Sled(sled::Error::Io(e)))
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

/// The wall clock, as the naive local time the engine works in, in whole milliseconds: the
/// log keeps milliseconds, and a replay must see exactly the times the live engine saw.
pub fn wall_clock() -> NaiveDateTime {
    use chrono::SubsecRound as _;
    chrono::Local::now().naive_local().trunc_subsecs(3)
}

/// A flush, or a wait for the engine, longer than this is logged: every acknowledgement
/// behind it waits as long.
const LOGGED_WAIT: Duration = Duration::from_millis(20);

/// Group commit: takes what is waiting, stamps and appends it, flushes once, then answers.
fn writer(
    store: Store,
    rx: Receiver<Submission>,
    engine: SyncSender<ToEngine>,
    (mut seq, mut last): (u64, Option<NaiveDateTime>),
    config: &CoreConfig,
    metrics: &Metrics,
    stopping: &Stopping,
) {
    // Never before the last stored time, so the engine's clock only moves forward.
    let mut stamp = move || {
        let now = wall_clock().max(last.unwrap_or_default());
        last = Some(now);
        now
    };
    let mut batch: Vec<Submission> = Vec::with_capacity(config.max_batch);
    let mut last_flush = std::time::Instant::now();
    loop {
        match rx.recv_timeout(config.tick) {
            Ok(first) => batch.push(first),
            Err(RecvTimeoutError::Timeout) => {
                // Nothing queued for a whole tick: when stopping, all is written.
                if stopping.requested.load(Ordering::SeqCst)
                    || engine.send(ToEngine::Tick(stamp())).is_err()
                {
                    return;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Gathers until the commit cycle is over (at once after a quiet spell, or when a
        // whole batch is already waiting). Sleeping through the cycle, rather than waking for
        // each message, spares a thread switch per message here and a futex wake-up in the
        // sender.
        let wait =
            (last_flush + config.commit_cycle).saturating_duration_since(std::time::Instant::now());
        let full = metrics.ingest_queue.load(Ordering::Relaxed) >= config.max_batch as i64;
        if !wait.is_zero() && !full {
            std::thread::sleep(wait);
        }
        while batch.len() < config.max_batch {
            match rx.try_recv() {
                Ok(s) => batch.push(s),
                Err(_) => break,
            }
        }
        metrics
            .ingest_queue
            .fetch_sub(batch.len() as i64, Ordering::Relaxed);
        let now = stamp();
        let mut entries = Vec::with_capacity(batch.len());
        for s in &mut batch {
            seq += 1;
            let entry = Entry {
                checked: s.checked,
                stored: now,
                // Moved, not copied: the submission needs only its answer channel now.
                event: std::mem::replace(&mut s.event, Event::Reset),
            };
            entries.push((seq, entry));
        }
        last_flush = std::time::Instant::now();
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
            // What was appended may or may not survive; answering anything else now could
            // make the engine's state differ from a replay, so the writer stops here.
            tracing::error!(error = %e, "the store failed; no more messages are taken");
            for s in batch.drain(..) {
                let _ = s.ack.send(Err(e.to_string()));
            }
            return;
        }
        let first = seq + 1 - batch.len() as u64;
        let mut works = Vec::with_capacity(batch.len());
        for (k, s) in batch.drain(..).enumerate() {
            let _ = s.ack.send(Ok(first + k as u64));
            works.push(s.work);
        }
        // The engine's queue is bounded in messages, not commits: a hiccup of the engine (a
        // table growing, a slow receipt write) must not hold up acknowledgements while there
        // is room. Only with `queue` messages behind does the writer wait for it.
        let waiting = std::time::Instant::now();
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
        if engine.send(ToEngine::Entries(now, works)).is_err() {
            return;
        }
    }
}

fn engine_loop(
    mut state: EngineState,
    rx: Receiver<ToEngine>,
    mut receipts: ReceiptWriter,
    metrics: &Metrics,
    stopping: &Stopping,
) {
    let mut out = Vec::new();
    loop {
        let msg = match rx.recv_timeout(receipts.wait()) {
            Ok(msg) => msg,
            Err(RecvTimeoutError::Timeout) => {
                // Idle: what waits is stored now. The writer sends nothing after it is done,
                // so an empty queue then is the end.
                if receipts.store_waiting(metrics).is_err() {
                    return;
                }
                if stopping.writer_done.load(Ordering::SeqCst) {
                    break;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match msg {
            ToEngine::Entries(stored, works) => {
                metrics
                    .engine_queue
                    .fetch_sub(works.len() as i64, Ordering::Relaxed);
                for work in works {
                    state.apply(stored, work, &mut out);
                }
            }
            ToEngine::Tick(now) => state.advance(now, &mut out),
            ToEngine::Query(Query::ListStatus {
                ebp_code,
                order_no,
                reply,
            }) => {
                let status = state.engine.engine().list_status(&ebp_code, &order_no);
                let _ = reply.send(status.map(|s| format!("{s:?}")));
            }
            ToEngine::Query(Query::Declarations {
                ebc_code,
                from,
                to,
                reply,
            }) => {
                let ledger = state
                    .engine
                    .ledger()
                    .subset(|r| r.ebc_code() == ebc_code && (from..=to).contains(&r.export_date()));
                let _ = reply.send(ledger);
            }
        }
        receipts.add(&mut out, metrics);
        if receipts.due() && receipts.store_waiting(metrics).is_err() {
            return;
        }
    }
    if receipts.store_waiting(metrics).is_ok() {
        receipts.mark_durable();
    }
}

/// Encodes receipts for storage.
fn encode(produced: Vec<Produced>) -> Vec<(String, StoredReceipt)> {
    produced
        .into_iter()
        .map(|p| {
            let receipt = match p.body {
                Body::Ready(r) => r,
                Body::Outgoing(o) => {
                    let answers = o.answers();
                    let info = o.info_answering(&answers);
                    StoredReceipt {
                        id: p.id,
                        time: readable_millis(o.due),
                        root: o.root.to_string(),
                        status: o.status.to_string(),
                        key: o.key(),
                        xml: o.xml_saying(&info),
                        info: info.into_owned(),
                        answers,
                    }
                }
            };
            (p.dxp, receipt)
        })
        .collect()
}

/// How long receipts wait to be stored together (sled's cost is per write, not per byte).
const RECEIPT_LINGER: Duration = Duration::from_millis(20);

/// The engine thread's receipts on their way to the store: gathered for a moment, encoded
/// and stored in one write, then announced to pull clients.
struct ReceiptWriter {
    store: Store,
    latest: watch::Sender<u64>,
    waiting: Vec<Produced>,
    /// When the oldest waiting receipt was made.
    since: Option<std::time::Instant>,
    highest: u64,
    last_mark: std::time::Instant,
}

impl ReceiptWriter {
    fn new(store: Store, latest: watch::Sender<u64>) -> ReceiptWriter {
        let highest = *latest.borrow();
        ReceiptWriter {
            store,
            latest,
            waiting: Vec::new(),
            since: None,
            highest,
            last_mark: std::time::Instant::now(),
        }
    }

    fn add(&mut self, out: &mut Vec<Produced>, metrics: &Metrics) {
        if out.is_empty() {
            return;
        }
        metrics
            .receipt_queue
            .fetch_add(out.len() as i64, Ordering::Relaxed);
        self.since.get_or_insert_with(std::time::Instant::now);
        self.waiting.append(out);
    }

    /// How long the engine may wait for work before what waits here must be stored.
    fn wait(&self) -> Duration {
        match self.since {
            Some(t) => RECEIPT_LINGER.saturating_sub(t.elapsed()),
            None => Duration::from_millis(100),
        }
    }

    fn due(&self) -> bool {
        self.waiting.len() >= 4096 || self.since.is_some_and(|t| t.elapsed() >= RECEIPT_LINGER)
    }

    /// Stores what waits. An error stops the engine: receipts not stored are not marked
    /// durable, so a replay after restart makes and stores them again.
    fn store_waiting(&mut self, metrics: &Metrics) -> Result<(), StoreError> {
        self.since = None;
        if !self.waiting.is_empty() {
            let n = self.waiting.len();
            let encoded = encode(std::mem::take(&mut self.waiting));
            if let Some(max) = encoded.iter().map(|(_, r)| r.id).max() {
                self.highest = self.highest.max(max);
            }
            if let Err(e) = self.store.put_receipts(&encoded) {
                tracing::error!(error = %e, "storing receipts failed");
                return Err(e);
            }
            metrics.receipt_queue.fetch_sub(n as i64, Ordering::Relaxed);
            metrics.receipts.fetch_add(n as u64, Ordering::Relaxed);
            self.latest.send_replace(self.highest);
        }
        if self.last_mark.elapsed() >= Duration::from_secs(1) {
            self.last_mark = std::time::Instant::now();
            self.mark_durable();
        }
        Ok(())
    }

    /// After a flush, every receipt up to `highest` is durable: a replay need not store them.
    fn mark_durable(&self) {
        let result = self
            .store
            .flush_receipts()
            .and_then(|()| self.store.set_counter(STORED_MARK, self.highest + 1))
            .and_then(|()| self.store.flush_meta());
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not mark receipts durable");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        work_of(&entry, &ctx)
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
        };
        let (core, threads) = start(
            Store::open(dir.path()).unwrap(),
            EngineConfig::default(),
            Params::default(),
            Arc::new(crate::model::registry::Registry::default()),
            &config,
            metrics.clone(),
        )
        .unwrap();
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
