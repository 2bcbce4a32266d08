//! The event log: an append-only file, `events.log`, of one record per group commit.
//!
//! A plain file rather than a sled tree because this is the write an acknowledgement waits
//! for: appending and `fdatasync` cost a few microseconds of CPU, where sled woke its I/O
//! threads on every flush (they took 14–30 % of the server's CPU, as measured).
//!
//! Record: payload length (u32), its bitwise complement (u32), CRC-32 of the payload (u32);
//! payload = sequence number of the first entry (u64), entry count (u32), the entries (each
//! length-prefixed). All big-endian.
//! A crash can leave the last record half written; it was never acknowledged (the flush had
//! not returned), so opening the log cuts it off. A bad record anywhere else is damage, and
//! the store refuses to start rather than lose what follows.

use super::{Entry, Event, Fields, StoreError, append_compressed, from_millis, millis, put};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Record header: length, its complement (so a damaged length is told from a cut record),
/// CRC-32 of the payload.
const HEADER: usize = 12;

/// Largest group commit the log reads back (one of large messages stays far below).
const MAX_COMMIT: u32 = 1 << 30;

pub struct EventLog {
    path: PathBuf,
    file: Mutex<File>,
    last_seq: AtomicU64,
}

impl EventLog {
    /// Opens (or creates) the log, cutting off a half-written last record.
    pub fn open(path: &Path) -> Result<EventLog, StoreError> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let len = file.metadata()?.len();
        let mut valid = 0u64;
        let mut last_seq = 0u64;
        let mut reader = Records::new(File::open(path)?);
        loop {
            match reader.next_record() {
                Ok(Some((first, entries))) => {
                    last_seq = first + entries.len() as u64 - 1;
                    valid = reader.offset;
                }
                Ok(None) => break,
                Err(Bad::Torn) => {
                    tracing::warn!(
                        kept = valid,
                        cut = len - valid,
                        "the event log ends in a record a crash left half written; cutting it off"
                    );
                    file.set_len(valid)?;
                    file.sync_all()?;
                    break;
                }
                Err(Bad::Damaged(at)) => return Err(damaged(path, at)),
                Err(Bad::Io(e)) => return Err(e.into()),
            }
        }
        Ok(EventLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            last_seq: AtomicU64::new(last_seq),
        })
    }

    /// Appends entries with consecutive sequence numbers as one record (durable after `sync`).
    pub fn append(&self, entries: &[(u64, Entry)]) -> Result<(), StoreError> {
        let Some((first, _)) = entries.first() else {
            return Ok(());
        };
        debug_assert!(entries.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        // The header goes in front once the payload is known: one buffer, no second copy.
        // Sized for the worst case up front: growing a buffer of megabytes showed in profiles.
        let most: usize = entries.iter().map(|(_, e)| most_encoded(e)).sum();
        let mut record = Vec::with_capacity(HEADER + 12 + most);
        record.resize(HEADER, 0);
        record.extend_from_slice(&first.to_be_bytes());
        record.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for (_, entry) in entries {
            encode_entry(&mut record, entry);
        }
        let payload = &record[HEADER..];
        let len = payload.len() as u32;
        let crc = crc32fast::hash(payload);
        record[..4].copy_from_slice(&len.to_be_bytes());
        record[4..8].copy_from_slice(&(!len).to_be_bytes());
        record[8..HEADER].copy_from_slice(&crc.to_be_bytes());
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&record)?;
        self.last_seq
            .store(first + entries.len() as u64 - 1, Ordering::SeqCst);
        Ok(())
    }

    /// Makes every record appended so far durable.
    pub fn sync(&self) -> Result<(), StoreError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.sync_data()?;
        Ok(())
    }

    /// The last sequence number in the log (0 when empty).
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    /// Every entry in order, with its sequence number; the first error ends it.
    pub fn entries(&self) -> impl Iterator<Item = Result<(u64, Entry), StoreError>> + '_ {
        let mut records = Some(File::open(&self.path).map(Records::new));
        let mut pending = Vec::new().into_iter();
        let mut seq = 0;
        std::iter::from_fn(move || {
            loop {
                if let Some(entry) = pending.next() {
                    seq += 1;
                    return Some(Ok((seq, entry)));
                }
                let mut reader = match records.take()? {
                    Ok(reader) => reader,
                    Err(e) => return Some(Err(e.into())),
                };
                match reader.next_record() {
                    Ok(Some((first, entries))) => {
                        seq = first - 1;
                        pending = entries.into_iter();
                        records = Some(Ok(reader));
                    }
                    // Only a record being appended while we read can be cut short here.
                    Ok(None) | Err(Bad::Torn) => return None,
                    Err(Bad::Io(e)) => return Some(Err(e.into())),
                    Err(Bad::Damaged(at)) => return Some(Err(damaged(&self.path, at))),
                }
            }
        })
    }
}

fn damaged(path: &Path, at: u64) -> StoreError {
    StoreError::Damaged {
        tree: "event log",
        key: format!("{} byte {at}", path.display()),
    }
}

/// Why a record could not be read.
enum Bad {
    /// The file ends inside the record: the last write did not finish.
    Torn,
    /// The record at this offset is not what was written.
    Damaged(u64),
    Io(std::io::Error),
}

/// Reads records one by one from the start of the file.
struct Records {
    reader: BufReader<File>,
    offset: u64,
}

impl Records {
    fn new(file: File) -> Records {
        Records {
            reader: BufReader::with_capacity(1 << 20, file),
            offset: 0,
        }
    }

    fn next_record(&mut self) -> Result<Option<(u64, Vec<Entry>)>, Bad> {
        let at = self.offset;
        let mut head = [0u8; HEADER];
        match read_full(&mut self.reader, &mut head)? {
            0 => return Ok(None),
            HEADER => {}
            _ => return Err(Bad::Torn),
        }
        let word = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (len, check, crc) = (word(0), word(4), word(8));
        if check != !len || len > MAX_COMMIT {
            // A crash may leave zeros where the last record was going; anything else is damage.
            let zeros = head.iter().all(|b| *b == 0) && self.rest_is_zero()?;
            return Err(if zeros { Bad::Torn } else { Bad::Damaged(at) });
        }
        let mut payload = vec![0u8; len as usize];
        if read_full(&mut self.reader, &mut payload)? < payload.len() {
            return Err(Bad::Torn);
        }
        if crc32fast::hash(&payload) != crc {
            // Garbage in the last record's bytes is a torn write too.
            return Err(if self.rest_is_zero()? {
                Bad::Torn
            } else {
                Bad::Damaged(at)
            });
        }
        let record = decode_payload(&payload).ok_or(Bad::Damaged(at))?;
        self.offset += (HEADER + payload.len()) as u64;
        Ok(Some(record))
    }

    /// Whether nothing but zeros follows (or nothing at all).
    fn rest_is_zero(&mut self) -> Result<bool, Bad> {
        let mut buf = [0u8; 8192];
        loop {
            match read_full(&mut self.reader, &mut buf)? {
                0 => return Ok(true),
                n if buf[..n].iter().any(|b| *b != 0) => return Ok(false),
                _ => {}
            }
        }
    }
}

/// Reads until `buf` is full or the file ends; how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, Bad> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Bad::Io(e)),
        }
    }
    Ok(filled)
}

fn decode_payload(b: &[u8]) -> Option<(u64, Vec<Entry>)> {
    let mut f = Fields(b);
    let first = f.u64()?;
    let count = f.u32()?;
    if first == 0 || count == 0 {
        return None;
    }
    let entries = (0..count)
        .map(|_| decode_entry(f.field()?))
        .collect::<Option<Vec<_>>>()?;
    Some((first, entries))
}

/// The most bytes `encode_entry` writes for `e`.
fn most_encoded(e: &Entry) -> usize {
    let fields = match &e.event {
        Event::Message { sender, bytes } => {
            sender.len() + 12 + lz4_flex::block::get_maximum_output_size(bytes.len())
        }
        Event::Force {
            event,
            ebp_code,
            order_no,
        } => event.len() + ebp_code.len() + order_no.len() + 12,
        Event::Reset => 0,
    };
    4 + 17 + fields
}

/// Appends `e` as one length-prefixed field.
fn encode_entry(out: &mut Vec<u8>, e: &Entry) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&millis(e.checked).to_be_bytes());
    out.extend_from_slice(&millis(e.stored).to_be_bytes());
    match &e.event {
        Event::Message { sender, bytes } => {
            out.push(b'M');
            put(out, sender.as_bytes());
            put_compressed(out, bytes);
        }
        Event::Force {
            event,
            ebp_code,
            order_no,
        } => {
            out.push(b'F');
            put(out, event.as_bytes());
            put(out, ebp_code.as_bytes());
            put(out, order_no.as_bytes());
        }
        Event::Reset => out.push(b'R'),
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// Appends what `put(out, &lz4_flex::compress_prepend_size(bytes))` would, without the
/// intermediate buffer.
fn put_compressed(out: &mut Vec<u8>, bytes: &[u8]) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    append_compressed(out, bytes);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

fn decode_entry(b: &[u8]) -> Option<Entry> {
    let mut f = Fields(b);
    let checked = from_millis(f.u64()? as i64)?;
    let stored = from_millis(f.u64()? as i64)?;
    let event = match f.take(1)?[0] {
        b'M' => Event::Message {
            sender: f.text()?,
            bytes: f.compressed()?.into(),
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

    #[test]
    fn compressing_in_place_writes_what_compress_prepend_size_does() {
        for text in [
            &b""[..],
            b"x",
            &b"<CEB303Message>abc</CEB303Message>".repeat(70),
        ] {
            let mut in_place = vec![7];
            put_compressed(&mut in_place, text);
            let mut plain = vec![7];
            put(&mut plain, &lz4_flex::compress_prepend_size(text));
            assert_eq!(in_place, plain);
        }
    }

    fn time(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap()
    }

    fn entries() -> Vec<(u64, Entry)> {
        vec![
            (
                1,
                Entry {
                    checked: time("2025-03-10 10:00:00.125"),
                    stored: time("2025-03-10 10:00:00.250"),
                    event: Event::Message {
                        sender: "DXPENT0000031415".into(),
                        bytes: vec![0xef, 0xbb, 0xbf, b'<', 0xc4, 0xe3].into(),
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
        ]
    }

    fn read_all(log: &EventLog) -> Vec<(u64, Entry)> {
        log.entries().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn entries_read_back_in_order_across_commits_and_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let log = EventLog::open(&path).unwrap();
        assert_eq!(log.last_seq(), 0);
        assert!(read_all(&log).is_empty());
        log.append(&entries()[..2]).unwrap();
        log.append(&entries()[2..]).unwrap();
        log.sync().unwrap();
        assert_eq!(read_all(&log), entries());
        assert_eq!(log.last_seq(), 3);
        drop(log);
        let log = EventLog::open(&path).unwrap();
        assert_eq!(log.last_seq(), 3);
        assert_eq!(read_all(&log), entries());
    }

    /// A log of two records (entry 1, then entries 2 and 3), closed.
    fn two_commits(dir: &Path) -> PathBuf {
        let path = dir.join("events.log");
        let log = EventLog::open(&path).unwrap();
        log.append(&entries()[..1]).unwrap();
        log.append(&entries()[1..]).unwrap();
        log.sync().unwrap();
        path
    }

    #[test]
    fn a_half_written_last_record_is_cut_off_and_the_log_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = two_commits(dir.path());
        let full = std::fs::read(&path).unwrap();
        let first_len = HEADER + u32::from_be_bytes(full[..4].try_into().unwrap()) as usize;
        for cut in [first_len + 3, first_len + HEADER + 1, full.len() - 1] {
            std::fs::write(&path, &full[..cut]).unwrap();
            let log = EventLog::open(&path).unwrap();
            assert_eq!(std::fs::metadata(&path).unwrap().len(), first_len as u64);
            assert_eq!(read_all(&log), entries()[..1]);
            assert_eq!(log.last_seq(), 1);
            // Appending after the cut continues the numbering.
            log.append(&entries()[1..]).unwrap();
            log.sync().unwrap();
            assert_eq!(read_all(&log), entries());
        }
        // Garbage in place of the last record's bytes is a torn write too.
        let mut garbled = full.clone();
        let last = garbled.len() - 1;
        garbled[last] ^= 0xff;
        std::fs::write(&path, &garbled).unwrap();
        let log = EventLog::open(&path).unwrap();
        assert_eq!(read_all(&log), entries()[..1]);
        drop(log);
        // So are zeros where the last record was going.
        let mut zeroed = full[..first_len].to_vec();
        zeroed.resize(full.len(), 0);
        std::fs::write(&path, &zeroed).unwrap();
        let log = EventLog::open(&path).unwrap();
        assert_eq!(read_all(&log), entries()[..1]);
    }

    #[test]
    fn damage_before_the_end_stops_the_store_instead_of_losing_what_follows() {
        let dir = tempfile::tempdir().unwrap();
        let path = two_commits(dir.path());
        let good = std::fs::read(&path).unwrap();
        // A flipped payload byte, then a flipped length byte, of the first record.
        for at in [HEADER + 4, 1] {
            let mut bytes = good.clone();
            bytes[at] ^= 0xff;
            std::fs::write(&path, &bytes).unwrap();
            let refused = EventLog::open(&path).err().map(|e| e.to_string());
            assert!(
                refused.as_deref().is_some_and(|e| e.contains("byte 0")),
                "{refused:?}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing is cut");
        }
    }
}
