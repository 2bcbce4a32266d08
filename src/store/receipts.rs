//! Receipts by enterprise, in chunks: each write stores one record per enterprise holding its
//! receipts of that write. Key: dxpId, 0, id of the chunk's last receipt (u64, big-endian).
//! Value: the receipt count (u32), their ids (u64 each, so counting and skipping need no
//! decompression), then the receipts, length-prefixed and lz4-compressed together.
//!
//! Ids grow along the writes, so an enterprise's chunks are in id order and the receipt with
//! id N is in its first chunk that ends at or above N: every read is a forward range scan.

use super::{
    Fields, Store, StoreError, StoredReceipt, append_compressed, be_u64, from_millis, hex, millis,
    put,
};
use chrono::NaiveDateTime;
use std::collections::BTreeMap;

/// Where the engine's time at the last write is kept: no dxpId is empty, so no chunk key
/// starts with a 0 byte.
const CLOCK_KEY: &[u8] = b"\0clock";

/// Marks "receipts up to this id were stored by this time", for retention: prefix, then the
/// time (ms, big-endian) → the id.
const MARK_PREFIX: &[u8] = b"\0mark";

impl Store {
    /// Stores receipts for their enterprises, in id order (a chunk per enterprise), and the
    /// engine's time `clock` with them in the same write.
    pub fn put_receipts(
        &self,
        receipts: &[(String, StoredReceipt)],
        clock: Option<NaiveDateTime>,
    ) -> Result<(), StoreError> {
        let mut by_dxp: BTreeMap<&str, Vec<&StoredReceipt>> = BTreeMap::new();
        for (dxp, r) in receipts {
            by_dxp.entry(dxp).or_default().push(r);
        }
        let mut batch = sled::Batch::default();
        for (dxp, chunk) in by_dxp {
            let last = chunk.last().map_or(0, |r| r.id);
            batch.insert(chunk_key(dxp, last), encode_chunk(&chunk));
        }
        if let Some(t) = clock {
            batch.insert(CLOCK_KEY, &millis(t).to_be_bytes());
        }
        self.receipts.apply_batch(batch)?;
        Ok(())
    }

    /// The engine's time when receipts were last stored (none before the first).
    pub fn receipts_clock(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        Ok(self
            .receipts
            .get(CLOCK_KEY)?
            .and_then(|v| be_u64(&v))
            .and_then(|ms| from_millis(ms as i64)))
    }

    /// Forgets the chunks of receipts from `from` on: a restart makes those receipts again
    /// (with the same ids) and stores them in chunks cut differently. (A write ends below
    /// `from` or starts at it or above, so no chunk holds receipts on both sides.) Looks at
    /// each enterprise's last chunks only, not at every receipt.
    pub fn drop_receipts_from(&self, from: u64) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for dxp in self.receipt_holders()? {
            for item in self
                .receipts
                .range(chunk_key(&dxp, from)..=chunk_key(&dxp, u64::MAX))
            {
                batch.remove(item?.0);
            }
        }
        self.receipts.apply_batch(batch)?;
        Ok(())
    }

    /// Notes that every receipt up to `id` was stored by `at`.
    pub fn mark_receipts(&self, at: NaiveDateTime, id: u64) -> Result<(), StoreError> {
        self.receipts.insert(mark_key(at), &id.to_be_bytes())?;
        Ok(())
    }

    /// The highest id marked stored by `before` (0 when none), forgetting the older marks.
    pub fn receipts_stored_before(&self, before: NaiveDateTime) -> Result<u64, StoreError> {
        let mut found = 0;
        let mut older = Vec::new();
        for item in self.receipts.range(mark_key_ms(0)..mark_key(before)) {
            let (key, value) = item?;
            found = be_u64(&value).ok_or_else(|| damaged(&key))?;
            older.push(key);
        }
        // The newest of them still answers the next call; the rest are of no more use.
        older.pop();
        for key in older {
            self.receipts.remove(key)?;
        }
        Ok(found)
    }

    /// Every enterprise that has receipts.
    pub fn receipt_holders(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut next: Vec<u8> = vec![1];
        while let Some(item) = self.receipts.range(next.clone()..).next() {
            let (key, _) = item?;
            let Some(dxp) = key.len().checked_sub(9).and_then(|n| key.get(..n)) else {
                return Err(damaged(&key));
            };
            let dxp = String::from_utf8_lossy(dxp).into_owned();
            next = chunk_key(&dxp, u64::MAX);
            next.push(0);
            out.push(dxp);
        }
        Ok(out)
    }

    /// Removes the chunks of `dxp` whose receipts all have ids up to `through`; how many
    /// receipts went.
    pub fn remove_receipts_through(&self, dxp: &str, through: u64) -> Result<u64, StoreError> {
        let mut batch = sled::Batch::default();
        let mut removed = 0;
        for item in self
            .receipts
            .range(chunk_key(dxp, 0)..=chunk_key(dxp, through))
        {
            let (key, value) = item?;
            removed += Chunk::read(&key, &value)?.ids.len() as u64;
            batch.remove(key);
        }
        self.receipts.apply_batch(batch)?;
        Ok(removed)
    }

    /// `receipts_after` off the async runtime's threads (sled may take a moment while a
    /// large write is under way, and a runtime thread held meanwhile holds up every request).
    pub async fn receipts_after_blocking(
        &self,
        dxp: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredReceipt>, StoreError> {
        let (store, dxp) = (self.clone(), dxp.to_string());
        tokio::task::spawn_blocking(move || store.receipts_after(&dxp, after, limit))
            .await
            .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(e))))
    }

    /// Up to `limit` receipts of `dxp` with ids above `after`, in id order.
    pub fn receipts_after(
        &self,
        dxp: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredReceipt>, StoreError> {
        let mut out = Vec::new();
        for chunk in self.chunks_from(dxp, after.saturating_add(1)) {
            if out.len() >= limit {
                break;
            }
            let (key, value) = chunk?;
            let chunk = Chunk::read(&key, &value)?;
            if chunk.ids.iter().all(|id| *id <= after) {
                continue;
            }
            let wanted = limit - out.len();
            out.extend(
                chunk
                    .receipts(&key)?
                    .into_iter()
                    .filter(|r| r.id > after)
                    .take(wanted),
            );
        }
        Ok(out)
    }

    /// One receipt of `dxp` by id.
    pub fn receipt(&self, dxp: &str, id: u64) -> Result<Option<StoredReceipt>, StoreError> {
        let Some(chunk) = self.chunks_from(dxp, id).next() else {
            return Ok(None);
        };
        let (key, value) = chunk?;
        let chunk = Chunk::read(&key, &value)?;
        if !chunk.ids.contains(&id) {
            return Ok(None);
        }
        let receipts = chunk.receipts(&key)?;
        Ok(receipts.into_iter().find(|r| r.id == id))
    }

    /// How many receipts of `dxp` have ids above `after`, and the highest id.
    pub fn backlog(&self, dxp: &str, after: u64) -> Result<(u64, u64), StoreError> {
        let mut count = 0;
        let mut last = after;
        for chunk in self.chunks_from(dxp, after.saturating_add(1)) {
            let (key, value) = chunk?;
            for id in Chunk::read(&key, &value)?
                .ids
                .iter()
                .filter(|id| **id > after)
            {
                count += 1;
                last = last.max(*id);
            }
        }
        Ok((count, last))
    }

    /// How many receipts of `dxp` have ids in `after+1..=through` (one pass: a count from two
    /// scans could see a receipt stored in between).
    pub fn receipts_between(&self, dxp: &str, after: u64, through: u64) -> Result<u64, StoreError> {
        let mut count = 0;
        for chunk in self.chunks_from(dxp, after.saturating_add(1)) {
            let (key, value) = chunk?;
            let ids = Chunk::read(&key, &value)?.ids;
            count += ids
                .iter()
                .filter(|id| (after + 1..=through).contains(*id))
                .count() as u64;
            if ids.iter().all(|id| *id > through) {
                break;
            }
        }
        Ok(count)
    }

    /// Every stored receipt whose business key mentions `text` (test support; reads all).
    pub fn receipts_mentioning(&self, text: &str) -> Result<Vec<StoredReceipt>, StoreError> {
        let mut out = Vec::new();
        for item in self.receipts.range(vec![1u8]..) {
            let (key, value) = item?;
            let receipts = Chunk::read(&key, &value)?.receipts(&key)?;
            out.extend(receipts.into_iter().filter(|r| r.key.contains(text)));
        }
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// The chunks of `dxp` from the one that holds id `from` (or would) onwards.
    fn chunks_from(
        &self,
        dxp: &str,
        from: u64,
    ) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> {
        self.receipts
            .range(chunk_key(dxp, from)..=chunk_key(dxp, u64::MAX))
    }
}

fn chunk_key(dxp: &str, last: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(dxp.len() + 9);
    k.extend_from_slice(dxp.as_bytes());
    k.push(0);
    k.extend_from_slice(&last.to_be_bytes());
    k
}

fn mark_key(at: NaiveDateTime) -> Vec<u8> {
    mark_key_ms(millis(at).max(0) as u64)
}

fn mark_key_ms(ms: u64) -> Vec<u8> {
    let mut k = MARK_PREFIX.to_vec();
    k.extend_from_slice(&ms.to_be_bytes());
    k
}

fn damaged(key: &[u8]) -> StoreError {
    StoreError::Damaged {
        tree: "receipts",
        key: hex(key),
    }
}

fn encode_chunk(receipts: &[&StoredReceipt]) -> Vec<u8> {
    fn fields(r: &StoredReceipt) -> [&[u8]; 7] {
        [
            &r.time, &r.root, &r.status, &r.key, &r.answers, &r.info, &r.xml,
        ]
        .map(|f| f.as_bytes())
    }
    // Sized up front: growing it copied the whole chunk over and over.
    let size: usize = receipts
        .iter()
        .map(|r| 12 + r.en.len() + fields(r).iter().map(|f| 4 + f.len()).sum::<usize>())
        .sum();
    let mut body = Vec::with_capacity(size);
    for r in receipts {
        body.extend_from_slice(&r.id.to_be_bytes());
        for field in fields(r) {
            put(&mut body, field);
        }
    }
    // The English after all the receipts: a chunk written before it was kept ends here.
    for r in receipts {
        put(&mut body, r.en.as_bytes());
    }
    let mut out = Vec::with_capacity(4 + 8 * receipts.len() + body.len() / 3);
    out.extend_from_slice(&(receipts.len() as u32).to_be_bytes());
    for r in receipts {
        out.extend_from_slice(&r.id.to_be_bytes());
    }
    append_compressed(&mut out, &body);
    out
}

/// A chunk with its ids read and its receipts still compressed.
struct Chunk<'a> {
    ids: Vec<u64>,
    compressed: Fields<'a>,
}

impl<'a> Chunk<'a> {
    fn read(key: &[u8], value: &'a [u8]) -> Result<Chunk<'a>, StoreError> {
        let mut f = Fields(value);
        let ids = (|| {
            let count = f.u32()?;
            (0..count).map(|_| f.u64()).collect::<Option<Vec<u64>>>()
        })()
        .ok_or_else(|| damaged(key))?;
        Ok(Chunk { ids, compressed: f })
    }

    fn receipts(self, key: &[u8]) -> Result<Vec<StoredReceipt>, StoreError> {
        let body = self
            .compressed
            .decompress_rest()
            .ok_or_else(|| damaged(key))?;
        let mut f = Fields(&body);
        let mut receipts = self
            .ids
            .iter()
            .map(|id| {
                Some(StoredReceipt {
                    id: (f.u64()? == *id).then_some(*id)?,
                    time: f.text()?,
                    root: f.text()?,
                    status: f.text()?,
                    key: f.text()?,
                    answers: f.text()?,
                    info: f.text()?,
                    en: String::new(),
                    xml: f.text()?,
                })
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| damaged(key))?;
        if !f.0.is_empty() {
            for r in &mut receipts {
                r.en = f.text().ok_or_else(|| damaged(key))?;
            }
        }
        Ok(receipts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(id: u64) -> StoredReceipt {
        StoredReceipt {
            id,
            time: "2025-03-10 10:00:02.000".into(),
            root: "CEB604Message".into(),
            status: "120".into(),
            key: format!("4403966Z01 / ORD{id}"),
            answers: "G".into(),
            info: "逻辑校验通过".into(),
            en: format!("passed the logic check ({id})"),
            xml: "<CEB604Message/>".into(),
        }
    }

    #[test]
    fn a_chunk_kept_before_the_english_reads_without_it() {
        let r = receipt(7);
        let mut body = r.id.to_be_bytes().to_vec();
        for field in [
            &r.time, &r.root, &r.status, &r.key, &r.answers, &r.info, &r.xml,
        ] {
            put(&mut body, field.as_bytes());
        }
        let mut old = 1u32.to_be_bytes().to_vec();
        old.extend_from_slice(&r.id.to_be_bytes());
        append_compressed(&mut old, &body);
        let read = Chunk::read(b"k", &old).unwrap().receipts(b"k").unwrap();
        assert_eq!(
            read,
            vec![StoredReceipt {
                en: String::new(),
                ..r.clone()
            }]
        );
        let new = encode_chunk(&[&r]);
        assert_eq!(
            Chunk::read(b"k", &new).unwrap().receipts(b"k").unwrap(),
            vec![r]
        );
    }

    fn ids(receipts: Vec<StoredReceipt>) -> Vec<u64> {
        receipts.iter().map(|r| r.id).collect()
    }

    #[test]
    fn receipts_read_back_by_enterprise_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let put = |list: &[(&str, u64)]| {
            let list: Vec<(String, StoredReceipt)> = list
                .iter()
                .map(|(d, id)| (d.to_string(), receipt(*id)))
                .collect();
            store.put_receipts(&list, None).unwrap();
        };
        put(&[("A", 1), ("AB", 2), ("A", 3)]);
        put(&[("A", 4), ("B", 5)]);
        put(&[("A", 6)]);
        assert_eq!(
            ids(store.receipts_after("A", 0, 10).unwrap()),
            [1, 3, 4, 6],
            "a prefix of another enterprise's id must not leak"
        );
        assert_eq!(ids(store.receipts_after("A", 1, 10).unwrap()), [3, 4, 6]);
        assert_eq!(ids(store.receipts_after("A", 3, 1).unwrap()), [4]);
        assert_eq!(
            ids(store.receipts_after("A", 6, 10).unwrap()),
            Vec::<u64>::new()
        );
        assert_eq!(store.receipts_after("A", 1, 10).unwrap()[0], receipt(3));
        assert_eq!(store.backlog("A", 0).unwrap(), (4, 6));
        assert_eq!(store.backlog("A", 3).unwrap(), (2, 6));
        assert_eq!(store.backlog("C", 0).unwrap(), (0, 0));
        assert_eq!(store.receipt("AB", 2).unwrap(), Some(receipt(2)));
        assert_eq!(store.receipt("A", 2).unwrap(), None);
        assert_eq!(store.receipt("A", 4).unwrap(), Some(receipt(4)));
        assert_eq!(
            ids(store.receipts_mentioning("ORD").unwrap()),
            [1, 2, 3, 4, 5, 6]
        );

        // A restart re-makes receipts from 4 on, cut into other chunks.
        store.drop_receipts_from(4).unwrap();
        assert_eq!(ids(store.receipts_after("A", 0, 10).unwrap()), [1, 3]);
        put(&[("A", 4), ("B", 5), ("A", 6)]);
        assert_eq!(ids(store.receipts_after("A", 0, 10).unwrap()), [1, 3, 4, 6]);
        assert_eq!(store.receipt("B", 5).unwrap(), Some(receipt(5)));
        assert_eq!(ids(store.receipts_after("AB", 0, 10).unwrap()), [2]);

        // The engine's time goes with the receipts, and is not one of them.
        assert_eq!(store.receipts_clock().unwrap(), None);
        let t = chrono::NaiveDate::from_ymd_opt(2025, 3, 10)
            .and_then(|d| d.and_hms_milli_opt(10, 0, 2, 250))
            .unwrap();
        store
            .put_receipts(&[("A".to_string(), receipt(7))], Some(t))
            .unwrap();
        assert_eq!(store.receipts_clock().unwrap(), Some(t));
        assert_eq!(
            ids(store.receipts_mentioning("ORD").unwrap()),
            [1, 2, 3, 4, 5, 6, 7]
        );
    }
}
