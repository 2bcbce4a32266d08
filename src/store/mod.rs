//! The server's durable store on sled: an event log of everything the single window received
//! (replayed through the pure engine on start, which brings back its state and its timers),
//! the receipts it produced (by enterprise, under stable ids) and the delivery cursors.
//!
//! Trees:
//! - `log`: sequence (u64, big-endian) → [`Entry`]; written and flushed before a message is
//!   acknowledged.
//! - `receipts`: dxpId, 0, receipt id (u64, big-endian) → [`StoredReceipt`]. Receipts can
//!   always be made again from the log, so they are written without waiting for a flush.
//! - `meta`: cursors and markers, by name.

use chrono::{DateTime, NaiveDateTime};
use std::path::Path;

/// Errors of the store: sled's, or a record that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store: damaged record in {tree} at {key}")]
    Damaged { tree: &'static str, key: String },
}

/// What the log records: a message received, a test-support event, or a reset.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A CEB message as received (raw bytes) from an enterprise.
    Message { sender: String, bytes: Vec<u8> },
    /// A customs event forced by test support on the list of an order.
    Force {
        event: String,
        ebp_code: String,
        order_no: String,
    },
    /// Test support: forget every document (receipt ids still go on increasing).
    Reset,
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// When the e-port checked it: the time written into its synchronous receipt.
    pub checked: NaiveDateTime,
    /// When it was stored: the engine's time for it (never decreasing along the log).
    pub stored: NaiveDateTime,
    pub event: Event,
}

/// A receipt as stored for delivery.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredReceipt {
    /// Stable: the same receipt has the same id after any restart.
    pub id: u64,
    /// When customs sent it, `yyyy-mm-dd hh:mm:ss.sss`.
    pub time: String,
    /// e.g. `CEB604Message`.
    pub root: String,
    #[serde(rename = "returnStatus")]
    pub status: String,
    /// The business key it answers.
    pub key: String,
    /// The GUID of the document it answers.
    pub answers: String,
    #[serde(rename = "returnInfo")]
    pub info: String,
    pub xml: String,
}

/// The sled databases and their trees: the log and the cursors in one, the receipts in
/// another, so that the flush that acknowledges messages writes only what must be durable.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    receipts_db: sled::Db,
    log: sled::Tree,
    receipts: sled::Tree,
    meta: sled::Tree,
}

impl Store {
    /// Opens (or creates) the store in `dir` (`log/` and `receipts/` below it).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let open = |name: &str| {
            sled::Config::new()
                .path(dir.join(name))
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(128 * 1024 * 1024)
                // Durability comes from our own flushes; sled's timer only adds writes.
                .flush_every_ms(Some(1000))
                .open()
        };
        let db = open("log")?;
        let receipts_db = open("receipts")?;
        Ok(Store {
            log: db.open_tree("log")?,
            receipts: receipts_db.open_tree("receipts")?,
            meta: db.open_tree("meta")?,
            db,
            receipts_db,
        })
    }

    /// Appends entries under the given sequence numbers (not yet durable: see `flush`).
    pub fn append(&self, entries: &[(u64, Entry)]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (seq, entry) in entries {
            batch.insert(&seq.to_be_bytes(), encode_entry(entry));
        }
        self.log.apply_batch(batch)?;
        Ok(())
    }

    /// Makes every log entry and cursor written so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Makes every receipt stored so far durable.
    pub fn flush_receipts(&self) -> Result<(), StoreError> {
        self.receipts_db.flush()?;
        Ok(())
    }

    /// The last sequence number in the log (0 when empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self
            .log
            .last()?
            .map(|(k, _)| be_u64(&k).unwrap_or(0))
            .unwrap_or(0))
    }

    /// Every log entry in order.
    pub fn log(&self) -> impl Iterator<Item = Result<(u64, Entry), StoreError>> + '_ {
        self.log.iter().map(|item| {
            let (k, v) = item?;
            let damaged = || StoreError::Damaged {
                tree: "log",
                key: hex(&k),
            };
            let seq = be_u64(&k).ok_or_else(damaged)?;
            let entry = decode_entry(&v).ok_or_else(damaged)?;
            Ok((seq, entry))
        })
    }

    /// Stores receipts for their enterprises (overwriting the same id is harmless: a replay
    /// makes the same receipt again).
    pub fn put_receipts(&self, receipts: &[(String, StoredReceipt)]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (dxp, r) in receipts {
            batch.insert(receipt_key(dxp, r.id), encode_receipt(r));
        }
        self.receipts.apply_batch(batch)?;
        Ok(())
    }

    /// Up to `limit` receipts of `dxp` with ids above `after`, in id order.
    pub fn receipts_after(
        &self,
        dxp: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredReceipt>, StoreError> {
        let start = receipt_key(dxp, after.saturating_add(1));
        let end = receipt_key(dxp, u64::MAX);
        let mut out = Vec::new();
        for item in self.receipts.range(start..=end).take(limit) {
            let (k, v) = item?;
            out.push(decode_receipt(&v).ok_or_else(|| StoreError::Damaged {
                tree: "receipts",
                key: hex(&k),
            })?);
        }
        Ok(out)
    }

    /// One receipt of `dxp` by id.
    pub fn receipt(&self, dxp: &str, id: u64) -> Result<Option<StoredReceipt>, StoreError> {
        let Some(v) = self.receipts.get(receipt_key(dxp, id))? else {
            return Ok(None);
        };
        decode_receipt(&v).map(Some).ok_or(StoreError::Damaged {
            tree: "receipts",
            key: format!("{dxp}/{id}"),
        })
    }

    /// How many receipts of `dxp` have ids above `after`, and the highest id.
    pub fn backlog(&self, dxp: &str, after: u64) -> Result<(u64, u64), StoreError> {
        let start = receipt_key(dxp, after.saturating_add(1));
        let end = receipt_key(dxp, u64::MAX);
        let mut count = 0;
        let mut last = after;
        for item in self.receipts.range(start..=end).keys() {
            let k = item?;
            count += 1;
            last = k
                .len()
                .checked_sub(8)
                .and_then(|i| be_u64(&k[i..]))
                .unwrap_or(last);
        }
        Ok((count, last))
    }

    /// Every stored receipt whose business key mentions `text` (test support; scans all).
    pub fn receipts_mentioning(&self, text: &str) -> Result<Vec<StoredReceipt>, StoreError> {
        let mut out = Vec::new();
        for item in self.receipts.iter().values() {
            if let Some(r) = decode_receipt(&item?)
                && r.key.contains(text)
            {
                out.push(r);
            }
        }
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// A number kept under `name` (0 when never set).
    pub fn counter(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self
            .meta
            .get(name.as_bytes())?
            .and_then(|v| be_u64(&v))
            .unwrap_or(0))
    }

    /// Keeps a number under `name`.
    pub fn set_counter(&self, name: &str, value: u64) -> Result<(), StoreError> {
        self.meta.insert(name.as_bytes(), &value.to_be_bytes())?;
        Ok(())
    }
}

fn receipt_key(dxp: &str, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(dxp.len() + 9);
    k.extend_from_slice(dxp.as_bytes());
    k.push(0);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

fn be_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Milliseconds since the epoch of a naive (local) time, as stored.
fn millis(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

fn from_millis(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// Largest message or receipt a record may hold once decompressed.
const MAX_RECORD: u32 = 256 * 1024 * 1024;

// Records are length-prefixed fields: simple, and no escaping of the XML they carry.

fn put(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(&(field.len() as u32).to_be_bytes());
    out.extend_from_slice(field);
}

/// Reads length-prefixed fields back.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn field(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize;
        self.take(len)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.field()?.to_vec()).ok()
    }

    /// A field written by `lz4_flex::compress_prepend_size`.
    fn compressed(&mut self) -> Option<Vec<u8>> {
        let field = self.field()?;
        // A damaged length must not make us allocate without bound.
        let claimed = u32::from_le_bytes(field.get(..4)?.try_into().ok()?);
        if claimed > MAX_RECORD {
            return None;
        }
        lz4_flex::decompress_size_prepended(field).ok()
    }

    fn u64(&mut self) -> Option<u64> {
        be_u64(self.take(8)?)
    }
}

fn encode_entry(e: &Entry) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&millis(e.checked).to_be_bytes());
    out.extend_from_slice(&millis(e.stored).to_be_bytes());
    match &e.event {
        Event::Message { sender, bytes } => {
            out.push(b'M');
            put(&mut out, sender.as_bytes());
            put(&mut out, &lz4_flex::compress_prepend_size(bytes));
        }
        Event::Force {
            event,
            ebp_code,
            order_no,
        } => {
            out.push(b'F');
            put(&mut out, event.as_bytes());
            put(&mut out, ebp_code.as_bytes());
            put(&mut out, order_no.as_bytes());
        }
        Event::Reset => out.push(b'R'),
    }
    out
}

fn decode_entry(b: &[u8]) -> Option<Entry> {
    let mut f = Fields(b);
    let checked = from_millis(f.u64()? as i64)?;
    let stored = from_millis(f.u64()? as i64)?;
    let event = match f.take(1)?[0] {
        b'M' => Event::Message {
            sender: f.text()?,
            bytes: f.compressed()?,
        },
        b'F' => Event::Force {
            event: f.text()?,
            ebp_code: f.text()?,
            order_no: f.text()?,
        },
        b'R' => Event::Reset,
        _ => return None,
    };
    Some(Entry {
        checked,
        stored,
        event,
    })
}

fn encode_receipt(r: &StoredReceipt) -> Vec<u8> {
    let mut out = Vec::with_capacity(r.xml.len() + 200);
    out.extend_from_slice(&r.id.to_be_bytes());
    for field in [&r.time, &r.root, &r.status, &r.key, &r.answers, &r.info] {
        put(&mut out, field.as_bytes());
    }
    put(&mut out, &lz4_flex::compress_prepend_size(r.xml.as_bytes()));
    out
}

fn decode_receipt(b: &[u8]) -> Option<StoredReceipt> {
    let mut f = Fields(b);
    Some(StoredReceipt {
        id: f.u64()?,
        time: f.text()?,
        root: f.text()?,
        status: f.text()?,
        key: f.text()?,
        answers: f.text()?,
        info: f.text()?,
        xml: String::from_utf8(f.compressed()?).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap()
    }

    #[test]
    fn entries_and_receipts_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let entries = vec![
            (
                1,
                Entry {
                    checked: time("2025-03-10 10:00:00.125"),
                    stored: time("2025-03-10 10:00:00.250"),
                    event: Event::Message {
                        sender: "DXPENT0000031415".into(),
                        bytes: vec![0xef, 0xbb, 0xbf, b'<', 0xc4, 0xe3],
                    },
                },
            ),
            (
                2,
                Entry {
                    checked: time("2025-03-10 10:00:01.000"),
                    stored: time("2025-03-10 10:00:01.000"),
                    event: Event::Force {
                        event: "release".into(),
                        ebp_code: "4403966Z01".into(),
                        order_no: "ORD1".into(),
                    },
                },
            ),
            (
                3,
                Entry {
                    checked: time("2025-03-10 10:00:02.000"),
                    stored: time("2025-03-10 10:00:02.000"),
                    event: Event::Reset,
                },
            ),
        ];
        store.append(&entries).unwrap();
        store.flush().unwrap();
        let back: Vec<(u64, Entry)> = store.log().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, entries);
        assert_eq!(store.last_seq().unwrap(), 3);

        let receipt = |id: u64| StoredReceipt {
            id,
            time: "2025-03-10 10:00:02.000".into(),
            root: "CEB604Message".into(),
            status: "120".into(),
            key: "4403966Z01 / ORD1".into(),
            answers: "G".into(),
            info: "逻辑校验通过".into(),
            xml: "<CEB604Message/>".into(),
        };
        store
            .put_receipts(&[
                ("A".into(), receipt(1)),
                ("AB".into(), receipt(2)),
                ("A".into(), receipt(3)),
            ])
            .unwrap();
        let a: Vec<u64> = store
            .receipts_after("A", 0, 10)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            a,
            [1, 3],
            "a prefix of another enterprise's id must not leak"
        );
        assert_eq!(store.receipts_after("A", 1, 10).unwrap()[0], receipt(3));
        assert_eq!(store.backlog("A", 0).unwrap(), (2, 3));
        assert_eq!(store.receipt("AB", 2).unwrap(), Some(receipt(2)));
        assert_eq!(store.receipt("A", 2).unwrap(), None);
        assert_eq!(store.receipts_mentioning("ORD1").unwrap().len(), 3);
    }
}
