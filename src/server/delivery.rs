//! Delivery of one enterprise's receipts through one channel (push or file drop): in id order,
//! at least once, from a cursor kept in the store, retrying with back-off.
//!
//! The cursor moves only after a receipt was delivered; a crash in between delivers it again,
//! under the same id (receipt ids are stable, see `core`).

use super::config::PushConfig;
use super::metrics::Metrics;
use crate::store::{Store, StoreError, StoredReceipt};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

/// One channel of one enterprise and where it stands.
pub struct Channel {
    /// `push` or `filedrop`.
    pub kind: &'static str,
    pub dxp: String,
    state: Mutex<ChannelState>,
    /// Woken by a clear, so a waiting retry starts over at once.
    wake: Notify,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ChannelState {
    /// Every receipt up to this id is delivered (or cleared).
    pub cursor: u64,
    #[serde(rename = "lastError")]
    pub last_error: Option<String>,
    /// Failed attempts in a row.
    pub failures: u32,
    #[serde(skip)]
    pub retry_at: Option<Instant>,
}

/// Where a receipt goes.
pub trait Sink: Send + Sync + 'static {
    /// Delivers one receipt; an error is retried later.
    fn deliver(
        &self,
        receipt: &StoredReceipt,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

impl Channel {
    /// The channel with its cursor as stored.
    pub fn open(store: &Store, kind: &'static str, dxp: &str) -> Result<Channel, StoreError> {
        let cursor = store.counter(&cursor_name(kind, dxp))?;
        Ok(Channel {
            kind,
            dxp: dxp.to_string(),
            state: Mutex::new(ChannelState {
                cursor,
                ..ChannelState::default()
            }),
            wake: Notify::new(),
        })
    }

    /// A copy of where the channel stands.
    pub fn state(&self) -> ChannelState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Receipts not yet delivered, and the highest receipt id of the enterprise.
    pub fn backlog(&self, store: &Store) -> (u64, u64) {
        store
            .backlog(&self.dxp, self.state().cursor)
            .unwrap_or((0, 0))
    }

    /// Skips every receipt stored so far; returns how many were skipped.
    pub fn clear(&self, store: &Store) -> Result<u64, StoreError> {
        let (count, last) = store.backlog(&self.dxp, self.state().cursor)?;
        self.advance(store, last)?;
        if let Ok(mut s) = self.state.lock() {
            s.failures = 0;
            s.last_error = None;
            s.retry_at = None;
        }
        self.wake.notify_one();
        Ok(count)
    }

    /// Moves the cursor forward (never back) and keeps it.
    fn advance(&self, store: &Store, id: u64) -> Result<(), StoreError> {
        let cursor = match self.state.lock() {
            Ok(mut s) => {
                s.cursor = s.cursor.max(id);
                s.cursor
            }
            Err(_) => return Ok(()),
        };
        store.set_counter(&cursor_name(self.kind, &self.dxp), cursor)
    }

    fn failed(&self, error: String, retry: &PushConfig) -> Duration {
        let Ok(mut s) = self.state.lock() else {
            return Duration::from_millis(retry.retry_max_ms);
        };
        s.failures = s.failures.saturating_add(1);
        let factor = 1u64 << s.failures.saturating_sub(1).min(20);
        let wait = Duration::from_millis(
            retry
                .retry_min_ms
                .saturating_mul(factor)
                .min(retry.retry_max_ms),
        );
        s.last_error = Some(error);
        s.retry_at = Some(Instant::now() + wait);
        wait
    }

    fn succeeded(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.failures = 0;
            s.last_error = None;
            s.retry_at = None;
        }
    }
}

fn cursor_name(kind: &str, dxp: &str) -> String {
    format!("cursor/{kind}/{dxp}")
}

/// What a delivery loop works with.
pub struct Env {
    pub store: Store,
    /// The highest receipt id stored: a change means there may be more to deliver.
    pub latest: watch::Receiver<u64>,
    pub stop: watch::Receiver<bool>,
    pub retry: PushConfig,
    pub metrics: Arc<Metrics>,
}

/// Delivers the channel's receipts until `stop` turns true; `delivered` picks the counter.
pub async fn run(
    channel: Arc<Channel>,
    sink: impl Sink,
    env: Env,
    delivered: fn(&Metrics) -> &AtomicU64,
) {
    let Env {
        store,
        mut latest,
        mut stop,
        retry,
        metrics,
    } = env;
    while !*stop.borrow() {
        let cursor = channel.state().cursor;
        let batch = match store
            .receipts_after_blocking(&channel.dxp, cursor, 64)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, channel = channel.kind, dxp = %channel.dxp, "reading receipts failed");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = latest.changed() => {},
                () = channel.wake.notified() => {},
                _ = stop.changed() => {},
            }
            continue;
        }
        for receipt in batch {
            if channel.state().cursor >= receipt.id {
                continue; // cleared meanwhile
            }
            match sink.deliver(&receipt).await {
                Ok(()) => {
                    channel.succeeded();
                    delivered(&metrics).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Err(e) = channel.advance(&store, receipt.id) {
                        tracing::error!(error = %e, "keeping a delivery cursor failed");
                    }
                }
                Err(error) => {
                    metrics
                        .push_failures
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(channel = channel.kind, dxp = %channel.dxp, id = receipt.id, %error, "delivery failed; retrying later");
                    let wait = channel.failed(error, &retry);
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {},
                        () = channel.wake.notified() => {},
                        _ = stop.changed() => {},
                    }
                    break;
                }
            }
        }
    }
}
