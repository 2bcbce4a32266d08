//! The cold store: settled records of the engine and the ledger, each under its key and the
//! version (log position) of the checkpoint whose batch wrote it, made durable before the
//! checkpoint that counts on it. In an LSM tree (fjall): its memory is its block cache and
//! write buffers, whatever the number of records (sled kept a page in memory for every 16
//! keys it ever held, so the server grew without end), and a batch is one sequential write.
//! A large record's value is in the files of `values`, and the tree holds a pointer to it.
//!
//! Most lookups are of keys never settled (every new document is checked against history).
//! The versions of a key can only be found by a range read, which the tree's Bloom filters
//! cannot answer, so each settled key also has a marker in a keyspace of its own (`keys`):
//! a point read there, stopped by the filters for a key never settled, comes first.

use super::{Store, StoreError};
use crate::engine::cold::{Batch, ColdStore};

/// A record's key as stored: the key, then its version counted down, so the newest version
/// of a key comes first.
pub(super) fn versioned(key: &[u8], version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 8);
    k.extend_from_slice(key);
    k.extend_from_slice(&(u64::MAX - version).to_be_bytes());
    k
}

/// The version a stored key ends with, and the record key before it.
pub(super) fn split(stored: &[u8]) -> Option<(&[u8], u64)> {
    let at = stored.len().checked_sub(8)?;
    let version = u64::MAX - u64::from_be_bytes(stored[at..].try_into().ok()?);
    Some((&stored[..at], version))
}

impl Store {
    /// Writes a batch of settled records under `version`, and makes it durable.
    pub fn put_cold(&self, batch: &Batch, version: u64) -> Result<(), StoreError> {
        let mut b = self.ledger.batch();
        for (k, v) in batch {
            b.insert(&self.cold, versioned(k, version), self.values.store(v)?);
            b.insert(&self.keys, k.as_slice(), []);
        }
        b.commit()?;
        self.values.sync()?;
        self.ledger.persist(fjall::PersistMode::SyncAll)?;
        Ok(())
    }

    /// A stored value as it was put.
    fn value(&self, stored: &[u8]) -> Option<Vec<u8>> {
        match self.values.load(stored) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = %e, "the cold store could not be read");
                None
            }
        }
    }
}

impl ColdStore for Store {
    fn get(&self, key: &[u8], floor: u64, visible: u64) -> Option<Vec<u8>> {
        if floor > visible {
            return None;
        }
        match self.keys.contains_key(key) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::error!(error = %e, "the cold store could not be read");
                return None;
            }
        }
        let newest = self
            .cold
            .range(versioned(key, visible)..=versioned(key, floor))
            .next()?;
        match newest.value() {
            Ok(v) => self.value(&v),
            Err(e) => {
                tracing::error!(error = %e, "the cold store could not be read");
                None
            }
        }
    }

    fn scan(&self, prefix: &[u8], floor: u64, visible: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for item in self.cold.prefix(prefix) {
            let Ok((stored, value)) = item.into_inner() else {
                tracing::error!("the cold store could not be read");
                break;
            };
            let Some((key, version)) = split(&stored) else {
                continue;
            };
            if !(floor..=visible).contains(&version) {
                continue;
            }
            // The versions of a key come newest first: the first in the window is the one.
            match out.last() {
                Some((last, _)) if last.as_slice() == key => {}
                _ => match self.value(&value) {
                    Some(v) => out.push((key.to_vec(), v)),
                    None => break,
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_visible_version_of_each_key_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let batch = |pairs: &[(&[u8], &[u8])]| -> Batch {
            pairs
                .iter()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect()
        };
        store
            .put_cold(&batch(&[(b"a\0", b"1"), (b"ab\0", b"x")]), 5)
            .unwrap();
        store.put_cold(&batch(&[(b"a\0", b"2")]), 9).unwrap();
        let large = vec![3u8; 4000];
        store.put_cold(&batch(&[(b"big\0", &large)]), 9).unwrap();
        assert_eq!(store.get(b"big\0", 0, 9), Some(large), "through a pointer");
        assert_eq!(store.get(b"a\0", 0, 9).as_deref(), Some(&b"2"[..]));
        assert_eq!(store.get(b"a\0", 0, 8).as_deref(), Some(&b"1"[..]));
        assert_eq!(store.get(b"a\0", 6, 8), None);
        assert_eq!(store.get(b"b\0", 0, 9), None, "never settled");
        assert!(
            store.keys.contains_key(b"ab\0").unwrap(),
            "a marker per key"
        );
        let all = store.scan(b"a", 0, 9);
        assert_eq!(
            all,
            vec![
                (b"a\0".to_vec(), b"2".to_vec()),
                (b"ab\0".to_vec(), b"x".to_vec())
            ]
        );
        assert_eq!(store.scan(b"a", 0, 5)[0].1, b"1");
    }
}
