//! The event log: one record per group commit. Key: the sequence number of its first entry
//! (u64, big-endian); value: the entry count (u32) and the entries, each length-prefixed.

use super::{Entry, Event, Fields, Store, StoreError, be_u64, from_millis, hex, millis, put};

impl Store {
    /// Appends entries with consecutive sequence numbers, as one record (not yet durable: see
    /// `flush`).
    pub fn append(&self, entries: &[(u64, Entry)]) -> Result<(), StoreError> {
        let Some((first, _)) = entries.first() else {
            return Ok(());
        };
        debug_assert!(entries.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        let mut record = Vec::new();
        record.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for (_, entry) in entries {
            put(&mut record, &encode_entry(entry));
        }
        self.log.insert(first.to_be_bytes(), record)?;
        Ok(())
    }

    /// The last sequence number in the log (0 when empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        let Some((k, v)) = self.log.last()? else {
            return Ok(0);
        };
        let first = be_u64(&k).ok_or_else(|| damaged(&k))?;
        let count = Fields(&v).u32().ok_or_else(|| damaged(&k))?;
        Ok(first + u64::from(count).saturating_sub(1))
    }

    /// Every log entry in order, with its sequence number.
    pub fn log(&self) -> impl Iterator<Item = Result<(u64, Entry), StoreError>> + '_ {
        self.log.iter().flat_map(|item| {
            let record = item.map_err(StoreError::from).and_then(|(k, v)| {
                let first = be_u64(&k).ok_or_else(|| damaged(&k))?;
                decode_record(&v)
                    .map(|entries| (first, entries))
                    .ok_or_else(|| damaged(&k))
            });
            let entries: Vec<Result<(u64, Entry), StoreError>> = match record {
                Ok((first, entries)) => entries
                    .into_iter()
                    .zip(first..)
                    .map(|(e, seq)| Ok((seq, e)))
                    .collect(),
                Err(e) => vec![Err(e)],
            };
            entries
        })
    }
}

fn damaged(key: &[u8]) -> StoreError {
    StoreError::Damaged {
        tree: "log",
        key: hex(key),
    }
}

fn decode_record(b: &[u8]) -> Option<Vec<Entry>> {
    let mut f = Fields(b);
    let count = f.u32()?;
    (0..count).map(|_| decode_entry(f.field()?)).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn time(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap()
    }

    #[test]
    fn entries_read_back_in_order_across_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.last_seq().unwrap(), 0);
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
        store.append(&entries[..2]).unwrap();
        store.append(&entries[2..]).unwrap();
        store.flush().unwrap();
        let back: Vec<(u64, Entry)> = store.log().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, entries);
        assert_eq!(store.last_seq().unwrap(), 3);
    }

    #[test]
    fn a_store_of_another_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.set_counter("format", 1).unwrap();
            store.flush().unwrap();
        }
        let refused = Store::open(dir.path()).err().map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("layout 1")),
            "{refused:?}"
        );
    }
}
