//! The engine thread's receipts on their way to the store: numbered in the order made,
//! gathered for a moment (sled's cost is per write, not per byte), encoded and stored in one
//! write together with the engine's time, then announced to pull clients.
//!
//! They are stored without waiting for a flush: a checkpoint flushes them before it is
//! written, and a start makes again (same ids, same bytes) every receipt after the newest
//! checkpoint. When the store fails (a full disk), they wait here and are tried again.

use crate::engine::Outgoing;
use crate::model::time::readable_millis;
use crate::server::metrics::Metrics;
use crate::store::{Store, StoredReceipt};
use chrono::NaiveDateTime;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// A receipt made by the engine thread, encoded when it is stored.
pub(super) enum Body {
    Ready(StoredReceipt),
    Outgoing(Box<Outgoing>),
}

pub(super) struct Produced {
    pub id: u64,
    pub dxp: String,
    pub body: Body,
}

/// Encodes receipts for storage.
pub(super) fn encode(produced: Vec<Produced>) -> Vec<(String, StoredReceipt)> {
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
                        en: o.english_answering(&answers).into_owned(),
                        answers,
                    }
                }
            };
            (p.dxp, receipt)
        })
        .collect()
}

/// How long receipts wait to be stored together.
const RECEIPT_LINGER: Duration = Duration::from_millis(20);

/// What health calls the receipt store when it cannot be written.
const PART: &str = "receipt store";

pub(super) struct ReceiptWriter {
    store: Store,
    latest: watch::Sender<u64>,
    waiting: Vec<Produced>,
    /// Encoded, not yet stored (the store failed).
    encoded: Vec<(String, StoredReceipt)>,
    /// When the oldest waiting receipt was made (or the last failed write).
    since: Option<Instant>,
    highest: u64,
}

impl ReceiptWriter {
    pub fn new(store: Store, latest: watch::Sender<u64>) -> ReceiptWriter {
        let highest = *latest.borrow();
        ReceiptWriter {
            store,
            latest,
            waiting: Vec::new(),
            encoded: Vec::new(),
            since: None,
            highest,
        }
    }

    pub fn add(&mut self, out: &mut Vec<Produced>, metrics: &Metrics) {
        if out.is_empty() {
            return;
        }
        metrics
            .receipt_queue
            .fetch_add(out.len() as i64, Ordering::Relaxed);
        self.since.get_or_insert_with(Instant::now);
        self.waiting.append(out);
    }

    /// How long the engine may wait for work before what waits here must be stored.
    pub fn wait(&self) -> Duration {
        match self.since {
            Some(t) => RECEIPT_LINGER.saturating_sub(t.elapsed()),
            None => Duration::from_millis(100),
        }
    }

    pub fn due(&self) -> bool {
        self.waiting.len() >= 4096 || self.since.is_some_and(|t| t.elapsed() >= RECEIPT_LINGER)
    }

    /// Stores what waits, with the engine's time `clock` (after a restart the server's time
    /// starts no earlier: the receipts handed out were made by then). False when the store
    /// failed: the receipts wait and are tried again.
    pub fn store_waiting(&mut self, clock: Option<NaiveDateTime>, metrics: &Metrics) -> bool {
        self.since = None;
        if !self.waiting.is_empty() {
            self.encoded
                .extend(encode(std::mem::take(&mut self.waiting)));
        }
        if self.encoded.is_empty() {
            return true;
        }
        if let Err(e) = self.store.put_receipts(&self.encoded, clock) {
            if !metrics.health.has(PART) {
                tracing::error!(error = %e, "storing receipts failed; they wait and are tried again");
            }
            metrics
                .health
                .set(PART, format!("cannot store receipts: {e}"));
            self.since = Some(Instant::now());
            return false;
        }
        if metrics.health.has(PART) {
            metrics.health.clear(PART);
            tracing::info!("receipts are stored again");
        }
        let n = self.encoded.len();
        if let Some(max) = self.encoded.iter().map(|(_, r)| r.id).max() {
            self.highest = self.highest.max(max);
        }
        self.encoded.clear();
        metrics.receipt_queue.fetch_sub(n as i64, Ordering::Relaxed);
        metrics.receipts.fetch_add(n as u64, Ordering::Relaxed);
        self.latest.send_replace(self.highest);
        true
    }
}
