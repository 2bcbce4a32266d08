//! The engine thread: plays each stored entry through the pure engine at the time it was
//! stored, numbers the receipts it makes in that order, answers questions about what it
//! holds, and now and then hands a checkpoint of its state to the checkpoint thread.

use super::checkpoints::Checkpointer;
use super::receipts::{Body, Produced, ReceiptWriter};
use super::{Checked, CoreConfig, Query, Stopping, ToEngine, Work, parse_forced};
use crate::check::check_and_decode;
use crate::engine::snapshot::{self, SnapshotError};
use crate::engine::{EngineConfig, SingleWindow};
use crate::rules::{Context, Params};
use crate::server::metrics::Metrics;
use crate::store::{Entry, Event};
use chrono::NaiveDateTime;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Everything the engine thread owns; all of it but the configuration goes into a
/// checkpoint.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct EngineState {
    engine: SingleWindow,
    /// Receipt ids are a count of the receipts made, in order.
    next_id: u64,
    /// The latest time the engine was moved to.
    clock: Option<NaiveDateTime>,
    /// The last log entry played.
    seq: u64,
}

impl EngineState {
    pub fn new(config: EngineConfig, params: Params) -> EngineState {
        EngineState {
            engine: SingleWindow::new(config, params),
            next_id: 1,
            clock: None,
            seq: 0,
        }
    }

    /// The state a checkpoint kept, under the configuration in force now.
    pub fn restore(
        bytes: &[u8],
        config: EngineConfig,
        params: Params,
    ) -> Result<EngineState, SnapshotError> {
        let state: EngineState = snapshot::from_bytes(bytes)?;
        Ok(EngineState {
            engine: state.engine.restored(config, params),
            ..state
        })
    }

    /// The state as a checkpoint keeps it.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SnapshotError> {
        snapshot::to_bytes(self)
    }

    /// The id the next receipt gets.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    pub fn clock(&self) -> Option<NaiveDateTime> {
        self.clock
    }

    /// The last log entry played.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn window(&self) -> &SingleWindow {
        &self.engine
    }

    pub fn window_mut(&mut self) -> &mut SingleWindow {
        &mut self.engine
    }

    /// Takes out of memory what is finished with; the records for the cold store, to be
    /// written with the checkpoint of this state.
    fn settle(&mut self) -> crate::engine::cold::Batches {
        let now = self.clock.unwrap_or_default();
        self.engine.settle(self.seq, now)
    }

    /// Notes what the engine holds in memory.
    fn count(&self, metrics: &Metrics) {
        let w = self.engine.working_set();
        metrics.open_lists.store(w.lists as u64, Ordering::Relaxed);
        metrics
            .open_orders
            .store(w.orders as u64, Ordering::Relaxed);
        metrics
            .open_waybills
            .store(w.waybills as u64, Ordering::Relaxed);
        metrics.timers.store(w.timers as u64, Ordering::Relaxed);
    }

    /// Moves the engine's clock to `now` (never back), taking the receipts that fall due.
    pub fn advance(&mut self, now: NaiveDateTime, out: &mut Vec<Produced>) {
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

    /// Plays log entry `seq`: the clock moves to its time first, then the engine takes it.
    pub fn apply(&mut self, seq: u64, stored: NaiveDateTime, work: Work, out: &mut Vec<Produced>) {
        debug_assert!(seq == self.seq + 1, "log entries are played in order, once");
        self.seq = seq;
        self.advance(stored, out);
        let now = self.clock.unwrap_or(stored);
        match work {
            Work::Message(checked) => {
                let Checked {
                    sender,
                    message,
                    accepted,
                    receipt,
                    checked,
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
                    self.engine
                        .accept_documents(message.message(), now, checked, |k| {
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
                    let _ = reply.send(result);
                }
            }
            Work::Reset { reply } => {
                self.engine.reset(seq);
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            Work::Skip => {}
        }
        // Receipts due at once (e.g. a forced event) go out with the entry.
        self.advance(now, out);
    }

    fn answer(&self, query: Query) {
        match query {
            Query::ListStatus {
                ebp_code,
                order_no,
                reply,
            } => {
                let _ = reply.send(self.engine.engine().awaiting(&ebp_code, &order_no));
            }
            Query::Declarations {
                ebc_code,
                from,
                to,
                reply,
            } => {
                let ledger = self.engine.ledger().gather(&ebc_code, from, to);
                let _ = reply.send(ledger);
            }
        }
    }
}

/// What a log entry asks of the engine, rebuilt from the log alone (for a replay).
pub(super) fn work_of(entry: &Entry, ctx: &Context<'_>) -> Work {
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

/// When the next checkpoint is due: after so many entries, or so long after the last one —
/// but never sooner than `COST_SHARE` times what encoding the last one cost this thread,
/// so a large working set cannot spend the engine's time on checkpoints and fall behind.
struct Due {
    entries: u64,
    since: Instant,
    /// What handing over the last checkpoint took on this thread.
    cost: Duration,
}

/// Checkpoints take at most one part in this many of the engine thread's time.
const COST_SHARE: u32 = 10;

impl Due {
    fn new(cost: Duration) -> Due {
        Due {
            entries: 0,
            since: Instant::now(),
            cost,
        }
    }

    fn now(&self, config: &CoreConfig) -> bool {
        let elapsed = self.since.elapsed();
        let wanted = self.entries >= config.checkpoint_records
            || (self.entries > 0 && elapsed >= config.checkpoint_interval);
        wanted && elapsed >= self.cost * COST_SHARE
    }
}

pub(super) fn run(
    mut state: EngineState,
    rx: Receiver<ToEngine>,
    mut receipts: ReceiptWriter,
    checkpointer: Checkpointer,
    config: &CoreConfig,
    metrics: &Metrics,
    stopping: &Stopping,
) {
    let mut out = Vec::new();
    let mut due = Due::new(Duration::ZERO);
    let mut confirmed = 0;
    state.count(metrics);
    loop {
        let msg = match rx.recv_timeout(receipts.wait()) {
            Ok(msg) => msg,
            Err(RecvTimeoutError::Timeout) => {
                // Idle: what waits is stored now. The writer sends nothing after it is done,
                // so an empty queue then is the end.
                receipts.store_waiting(state.clock, metrics);
                if stopping.writer_done.load(Ordering::SeqCst) {
                    break;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match msg {
            ToEngine::Entries(stored, last, works) => {
                metrics
                    .engine_queue
                    .fetch_sub(works.len() as i64, Ordering::Relaxed);
                let first = last + 1 - works.len() as u64;
                due.entries += works.len() as u64;
                for (k, work) in works.into_iter().enumerate() {
                    state.apply(first + k as u64, stored, work, &mut out);
                }
            }
            ToEngine::Tick(now) => state.advance(now, &mut out),
            ToEngine::Query(q) => state.answer(q),
        }
        receipts.add(&mut out, metrics);
        if receipts.due() {
            receipts.store_waiting(state.clock, metrics);
        }
        if let Some(version) = checkpointer.written_since(&mut confirmed) {
            state.engine.written(version);
        }
        if due.now(config) && checkpointer.is_idle() {
            // Every receipt made so far is in the store before the state that counts them is
            // handed over: the checkpoint thread flushes the store, then writes the state.
            if receipts.store_waiting(state.clock, metrics) {
                let started = Instant::now();
                let settled = state.settle();
                state.count(metrics);
                checkpointer.offer(&state, settled, metrics);
                due = Due::new(started.elapsed());
            }
        }
    }
    // Stopping: everything stored, and a last checkpoint so the next start has no log to
    // replay.
    if receipts.store_waiting(state.clock, metrics) && due.entries > 0 {
        let settled = state.settle();
        checkpointer.offer(&state, settled, metrics);
    }
    checkpointer.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parcels::{self, Rng};

    #[test]
    fn a_checkpoint_waits_ten_times_what_the_last_one_cost() {
        let config = CoreConfig {
            checkpoint_records: 10,
            ..CoreConfig::default()
        };
        let mut due = Due::new(Duration::ZERO);
        assert!(!due.now(&config), "nothing to checkpoint");
        due.entries = 10;
        assert!(due.now(&config), "enough entries, a cheap last checkpoint");
        let mut due = Due::new(Duration::from_millis(30));
        due.entries = 10;
        assert!(!due.now(&config), "too soon after an expensive one");
        std::thread::sleep(Duration::from_millis(320));
        assert!(due.now(&config), "due again after ten times its cost");
    }

    /// Plays `n` parcels (each message a log entry), half a second apart.
    fn played(n: u64) -> (EngineState, Vec<Produced>) {
        let registry = parcels::registry(3);
        let params = Params::default();
        let ctx = Context {
            registry: &registry,
            params: &params,
            related: None,
        };
        let mut state = EngineState::new(EngineConfig::default(), Params::default());
        let mut rng = Rng::new(5);
        let mut out = Vec::new();
        let mut t = chrono::NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap();
        let mut seq = 0;
        for serial in 1..=n {
            for m in parcels::parcel(&mut rng, serial, 3).into_messages() {
                let sender = crate::model::schema::find_text(m.as_element(), "dxpId")
                    .unwrap_or_default()
                    .to_string();
                let entry = Entry {
                    checked: t,
                    stored: t,
                    event: Event::Message {
                        sender,
                        bytes: crate::ceb::encode(m.as_element()).into_bytes().into(),
                    },
                };
                seq += 1;
                state.apply(seq, t, work_of(&entry, &ctx), &mut out);
                t += chrono::Duration::milliseconds(500);
            }
        }
        (state, out)
    }

    #[test]
    fn a_state_back_from_its_bytes_goes_on_as_the_state_itself_would() {
        let (mut state, _) = played(6);
        let bytes = state.to_bytes().unwrap();
        let mut back = EngineState::restore(&bytes, EngineConfig::default(), Params::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let later = state.clock().unwrap() + chrono::Duration::days(1);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        state.advance(later, &mut a);
        back.advance(later, &mut b);
        assert!(!a.is_empty());
        let xml = |out: Vec<Produced>| -> Vec<(u64, String, String)> {
            super::super::receipts::encode(out)
                .into_iter()
                .map(|(dxp, r)| (r.id, dxp, r.xml))
                .collect()
        };
        assert_eq!(xml(a), xml(b));
    }
}
