//! The cold store on sled: settled records of the engine and the ledger, each under its key
//! and the version (log position) of the checkpoint whose batch wrote it, flushed before the
//! checkpoint that counts on it.

use super::{Store, StoreError};
use crate::engine::cold::{Batch, ColdStore};

/// A record's key as stored: the key, then its version counted down, so the newest version
/// of a key comes first (sled reads forwards faster than backwards).
fn versioned(key: &[u8], version: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 8);
    k.extend_from_slice(key);
    k.extend_from_slice(&(u64::MAX - version).to_be_bytes());
    k
}

/// The version a stored key ends with, and the record key before it.
fn split(stored: &[u8]) -> Option<(&[u8], u64)> {
    let at = stored.len().checked_sub(8)?;
    let version = u64::MAX - u64::from_be_bytes(stored[at..].try_into().ok()?);
    Some((&stored[..at], version))
}

impl Store {
    /// Writes a batch of settled records under `version`, and flushes it. In pieces: one
    /// large sled batch held up the readers of the store (receipt pulls) for most of a
    /// second. A piece written without the rest is never read: readers see a version only
    /// once its checkpoint is made.
    pub fn put_cold(&self, batch: &Batch, version: u64) -> Result<(), StoreError> {
        let records: Vec<_> = batch.iter().collect();
        for piece in records.chunks(1000) {
            let mut b = sled::Batch::default();
            for (k, v) in piece {
                b.insert(versioned(k, version), v.as_slice());
            }
            self.cold.apply_batch(b)?;
        }
        self.cold_db.flush()?;
        Ok(())
    }
}

impl ColdStore for Store {
    fn get(&self, key: &[u8], floor: u64, visible: u64) -> Option<Vec<u8>> {
        if floor > visible {
            return None;
        }
        let newest = self
            .cold
            .range(versioned(key, visible)..=versioned(key, floor))
            .next()?;
        match newest {
            Ok((_, v)) => Some(v.to_vec()),
            Err(e) => {
                tracing::error!(error = %e, "the cold store could not be read");
                None
            }
        }
    }

    fn scan(&self, prefix: &[u8], floor: u64, visible: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for item in self.cold.scan_prefix(prefix) {
            let Ok((stored, value)) = item else {
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
                _ => out.push((key.to_vec(), value.to_vec())),
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
        assert_eq!(store.get(b"a\0", 0, 9).as_deref(), Some(&b"2"[..]));
        assert_eq!(store.get(b"a\0", 0, 8).as_deref(), Some(&b"1"[..]));
        assert_eq!(store.get(b"a\0", 6, 8), None);
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
