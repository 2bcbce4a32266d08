//! Settled records, out of the working set. What can no longer change (a closed parcel, a
//! refused list, a document past its retention) leaves the engine's memory at the next
//! checkpoint and is kept in a `ColdStore` (the server's: a sled tree), from where the engine
//! reads it back by key: exact duplicate checks over all history, cancellations and returns
//! of old lists, summaries and tax over past months.
//!
//! The engine stays pure: it only reads through the trait, and hands what settled to its
//! caller (`SingleWindow::settle`), who writes it in one batch tagged with the checkpoint's
//! log position before the checkpoint itself. A read sees only batches of checkpoints that
//! were made before (`visible`) and after the last reset (`floor`): so after a crash, what a
//! lost checkpoint wrote is not seen until the replay has written it again, and a replay
//! reads exactly what the first run read. Until its batch is confirmed written, a record is
//! read from here (`flushing`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where settled records are kept: versions of a key, each written by the batch of one
/// checkpoint (its log position).
pub trait ColdStore: Send + Sync {
    /// The newest version of `key` written by a batch in `floor..=visible`.
    fn get(&self, key: &[u8], floor: u64, visible: u64) -> Option<Vec<u8>>;
    /// Every key starting with `prefix`, with its newest version in `floor..=visible`, in key
    /// order.
    fn scan(&self, prefix: &[u8], floor: u64, visible: u64) -> Vec<(Vec<u8>, Vec<u8>)>;
}

/// A batch of settled records for the store: key → value, written with one version.
pub type Batch = BTreeMap<Vec<u8>, Vec<u8>>;

/// Batches handed over for writing, each with its version, oldest first.
pub type Batches = Vec<(u64, Arc<Batch>)>;

/// The engine's view of the cold store.
#[derive(Default, Serialize, Deserialize)]
pub struct Cold {
    #[serde(skip)]
    store: Option<Arc<dyn ColdStore>>,
    /// Handed over for writing, not yet confirmed, oldest first.
    #[serde(skip)]
    flushing: Batches,
    /// Batches up to this version are readable.
    visible: u64,
    /// Batches before this version are forgotten (a reset).
    floor: u64,
}

impl std::fmt::Debug for Cold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cold")
            .field("attached", &self.store.is_some())
            .field("flushing", &self.flushing.len())
            .field("visible", &self.visible)
            .field("floor", &self.floor)
            .finish()
    }
}

impl Cold {
    /// Whether settled records go anywhere: without a store, nothing leaves memory.
    pub fn attached(&self) -> bool {
        self.store.is_some()
    }

    pub fn attach(&mut self, store: Arc<dyn ColdStore>) {
        self.store = Some(store);
    }

    /// The record under `key`.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(v) = self.flushing.iter().rev().find_map(|(_, b)| b.get(key)) {
            return Some(v.clone());
        }
        self.store.as_ref()?.get(key, self.floor, self.visible)
    }

    /// A record read back as `T` (a record that does not decode counts as absent).
    pub fn read<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Option<T> {
        rmp_serde::from_slice(&self.get(key)?).ok()
    }

    /// Every record whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all: BTreeMap<Vec<u8>, Vec<u8>> = match &self.store {
            Some(s) => s
                .scan(prefix, self.floor, self.visible)
                .into_iter()
                .collect(),
            None => BTreeMap::new(),
        };
        for (_, batch) in &self.flushing {
            for (k, v) in batch.range(prefix.to_vec()..) {
                if !k.starts_with(prefix) {
                    break;
                }
                all.insert(k.clone(), v.clone());
            }
        }
        all.into_iter().collect()
    }

    /// Takes `records` as settled by the batch of `version`, and returns every batch not yet
    /// confirmed written (an earlier one that failed goes again with this one).
    pub fn hand_over(&mut self, version: u64, records: Batch) -> Batches {
        if !records.is_empty() {
            self.flushing.push((version, Arc::new(records)));
        }
        self.visible = self.visible.max(version);
        self.flushing.clone()
    }

    /// The batches up to `version` are written: what they held is read from the store now.
    pub fn written(&mut self, version: u64) {
        self.flushing.retain(|(v, _)| *v > version);
    }

    /// Everything settled before `version` is forgotten (a reset).
    pub fn forget_before(&mut self, version: u64) {
        self.floor = version;
        self.flushing.clear();
    }
}

/// Encodes a settled record.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Sized for most records at once: growing the buffer showed in profiles.
    let mut out = Vec::with_capacity(1024);
    // Plain data, written into memory: encoding cannot fail.
    let _ = rmp_serde::encode::write(&mut out, value);
    out
}

/// A key of table `table` made of text fields, each ended by a 0 byte (texts of CEB
/// messages never hold one), so that a key is never a prefix of another.
pub fn key(table: u8, fields: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + fields.iter().map(|f| f.len() + 1).sum::<usize>());
    k.push(table);
    for f in fields {
        k.extend_from_slice(f);
        k.push(0);
    }
    k
}

/// Versions of each key: (key, version) → value.
type Versions = BTreeMap<(Vec<u8>, u64), Vec<u8>>;

/// A cold store in memory, for tests and for runs that keep everything anyway.
#[derive(Default)]
pub struct MemoryStore(std::sync::Mutex<Versions>);

impl MemoryStore {
    /// Writes a batch under `version`.
    pub fn put(&self, version: u64, batch: &Batch) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for (k, v) in batch {
            m.insert((k.clone(), version), v.clone());
        }
    }
}

impl ColdStore for MemoryStore {
    fn get(&self, key: &[u8], floor: u64, visible: u64) -> Option<Vec<u8>> {
        if floor > visible {
            return None;
        }
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.range((key.to_vec(), floor)..=(key.to_vec(), visible))
            .next_back()
            .map(|(_, v)| v.clone())
    }

    fn scan(&self, prefix: &[u8], floor: u64, visible: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for ((k, v), value) in m.range((prefix.to_vec(), 0)..) {
            if !k.starts_with(prefix) {
                break;
            }
            if (floor..=visible).contains(v) {
                out.insert(k.clone(), value.clone());
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_while_flushing_then_from_the_store_and_only_what_was_visible() {
        let store = Arc::new(MemoryStore::default());
        let mut cold = Cold::default();
        cold.attach(store.clone());
        let k = key(b'O', &[b"ebp", b"order"]);
        let batch = cold.hand_over(10, BTreeMap::from([(k.clone(), b"v10".to_vec())]));
        assert_eq!(
            cold.get(&k).as_deref(),
            Some(&b"v10"[..]),
            "read while flushing"
        );
        for (v, b) in &batch {
            store.put(*v, b);
        }
        cold.written(10);
        assert_eq!(
            cold.get(&k).as_deref(),
            Some(&b"v10"[..]),
            "read from the store"
        );
        // A batch a crashed run wrote past what this run has made visible is not read.
        store.put(20, &BTreeMap::from([(k.clone(), b"v20".to_vec())]));
        assert_eq!(cold.get(&k).as_deref(), Some(&b"v10"[..]));
        // A failed batch goes again with the next one.
        let first = cold.hand_over(30, BTreeMap::from([(key(b'O', &[b"a"]), b"x".to_vec())]));
        let second = cold.hand_over(40, BTreeMap::new());
        assert_eq!(first.len(), 1);
        assert_eq!(first, second, "the unconfirmed batch goes again");
        assert_eq!(cold.scan(b"O").len(), 2);
        cold.forget_before(41);
        assert_eq!(cold.get(&k), None, "forgotten by a reset");
    }
}
