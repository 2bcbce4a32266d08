//! The event log: append-only segment files `events-<first seq>.log` (20 digits, so names
//! sort in log order), one record per group commit. A segment is closed once it passes
//! `segment_bytes`; whole segments below what a checkpoint covers can then be removed.
//!
//! Plain files rather than a sled tree because this is the write an acknowledgement waits
//! for: appending and `fdatasync` cost a few microseconds of CPU, where sled woke its I/O
//! threads on every flush (they took 14–30 % of the server's CPU, as measured).
//!
//! Record: payload length (u32), its bitwise complement (u32), CRC-32 of the payload (u32);
//! payload = sequence number of the first entry (u64), entry count (u32), the entries (each
//! length-prefixed). All big-endian.
//! A crash can leave the last record of the last segment half written; it was never
//! acknowledged (the flush had not returned), so opening the log cuts it off. A bad record
//! anywhere else is damage, and the store refuses to start rather than lose what follows.

use super::disk::Disk;
use super::{Entry, Event, Fields, StoreError, append_compressed, from_millis, millis, put};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Record header: length, its complement (so a damaged length is told from a cut record),
/// CRC-32 of the payload.
const HEADER: usize = 12;

/// Largest group commit the log reads back; the writer cuts its batches well below it.
pub const MAX_COMMIT: u32 = 1 << 30;

/// The name of the segment whose first entry is `first`.
fn segment_name(first: u64) -> String {
    format!("events-{first:020}.log")
}

/// The first sequence number of a segment, from its name.
fn segment_first(name: &str) -> Option<u64> {
    name.strip_prefix("events-")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

/// One segment: its name, first sequence number and size.
#[derive(Debug, Clone)]
pub struct Segment {
    pub name: String,
    pub first: u64,
    pub bytes: u64,
}

struct Tail {
    segments: Vec<Segment>,
    /// A segment was started since the last sync: its name must be made durable too.
    new_segment: bool,
    /// The size of the last segment and the last sequence number at the last good sync: what
    /// a failed append or sync is rolled back to.
    synced: (u64, u64),
    /// An append or a sync failed and what it left has not been cut off yet.
    broken: bool,
}

pub struct EventLog {
    disk: Arc<dyn Disk>,
    tail: Mutex<Tail>,
    last_seq: AtomicU64,
    segment_bytes: u64,
}

impl EventLog {
    /// Opens (or creates) the log on `disk`, cutting off a half-written last record.
    pub fn open(disk: Arc<dyn Disk>, segment_bytes: u64) -> Result<EventLog, StoreError> {
        let mut segments = Vec::new();
        for name in disk.list()? {
            if let Some(first) = segment_first(&name) {
                let bytes = disk.len(&name)?;
                segments.push(Segment { name, first, bytes });
            }
        }
        segments.sort_by_key(|s| s.first);
        let mut last_seq = segments.first().map_or(0, |s| s.first.saturating_sub(1));
        if let Some(last) = segments.last_mut() {
            // Only the last segment can end in a torn write: it alone is read through here.
            last_seq = last.first.saturating_sub(1);
            let mut reader = Records::new(disk.clone(), &last.name, 0);
            let mut valid = 0u64;
            loop {
                match reader.next_record() {
                    Ok(Some((first, entries))) => {
                        last_seq = first + entries.len() as u64 - 1;
                        valid = reader.offset;
                    }
                    Ok(None) => break,
                    Err(Bad::Torn) => {
                        tracing::warn!(
                            segment = %last.name,
                            kept = valid,
                            cut = last.bytes - valid,
                            "the event log ends in a record a crash left half written; cutting it off"
                        );
                        disk.truncate(&last.name, valid)?;
                        last.bytes = valid;
                        break;
                    }
                    Err(Bad::Damaged(at)) => return Err(damaged(&last.name, at)),
                    Err(Bad::Io(e)) => return Err(e.into()),
                }
            }
        }
        let synced = (segments.last().map_or(0, |s| s.bytes), last_seq);
        Ok(EventLog {
            disk,
            tail: Mutex::new(Tail {
                segments,
                new_segment: false,
                synced,
                broken: false,
            }),
            last_seq: AtomicU64::new(last_seq),
            segment_bytes: segment_bytes.max(1),
        })
    }

    fn tail(&self) -> std::sync::MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(|p| p.into_inner())
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
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|l| *l <= MAX_COMMIT)
            .ok_or(StoreError::TooLarge {
                bytes: payload.len() as u64,
                limit: u64::from(MAX_COMMIT),
            })?;
        let crc = crc32fast::hash(payload);
        record[..4].copy_from_slice(&len.to_be_bytes());
        record[4..8].copy_from_slice(&(!len).to_be_bytes());
        record[8..HEADER].copy_from_slice(&crc.to_be_bytes());
        let mut tail = self.tail();
        if tail.broken {
            self.roll_back(&mut tail)?;
        }
        let roll = tail
            .segments
            .last()
            .is_none_or(|s| s.bytes >= self.segment_bytes);
        if roll {
            // The record before is synced (every append is followed by a sync): a rollback
            // to the start of the new segment keeps all of the old one.
            tail.synced = (0, first - 1);
            tail.segments.push(Segment {
                name: segment_name(*first),
                first: *first,
                bytes: 0,
            });
            tail.new_segment = true;
        }
        let Some(current) = tail.segments.last_mut() else {
            return Err(StoreError::Io(std::io::Error::other("no segment")));
        };
        if let Err(e) = self.disk.append(&current.name, &record) {
            // Part of it may be there: it is cut off before anything else is written.
            tail.broken = true;
            return Err(e.into());
        }
        current.bytes += record.len() as u64;
        self.last_seq
            .store(first + entries.len() as u64 - 1, Ordering::SeqCst);
        Ok(())
    }

    /// Makes every record appended so far durable. When that fails, what was appended since
    /// the last good sync is cut off before anything more is written: none of it was
    /// acknowledged, and a replay must not find it.
    pub fn sync(&self) -> Result<(), StoreError> {
        let mut tail = self.tail();
        let Some(current) = tail.segments.last() else {
            return Ok(());
        };
        let (name, bytes) = (current.name.clone(), current.bytes);
        let synced = self.disk.sync(&name).and_then(|()| {
            if tail.new_segment {
                self.disk.sync_dir()?;
            }
            Ok(())
        });
        if let Err(e) = synced {
            tail.broken = true;
            return Err(e.into());
        }
        tail.new_segment = false;
        tail.synced = (bytes, self.last_seq());
        Ok(())
    }

    /// Cuts the last segment back to its last good sync, if an append or a sync failed.
    pub fn repair(&self) -> Result<(), StoreError> {
        let mut tail = self.tail();
        if tail.broken {
            self.roll_back(&mut tail)?;
        }
        Ok(())
    }

    fn roll_back(&self, tail: &mut Tail) -> Result<(), StoreError> {
        let (bytes, seq) = tail.synced;
        if let Some(current) = tail.segments.last_mut() {
            if self.disk.len(&current.name).is_ok() {
                self.disk.truncate(&current.name, bytes)?;
            }
            current.bytes = bytes;
        }
        self.last_seq.store(seq, Ordering::SeqCst);
        tail.broken = false;
        tracing::info!(seq, "the event log is back at its last good sync");
        Ok(())
    }

    /// The last sequence number in the log (0 when empty).
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> Vec<Segment> {
        self.tail().segments.clone()
    }

    /// Removes the segments whose entries all come before `seq`, oldest first (never the
    /// last one); the bytes freed.
    pub fn remove_before(&self, seq: u64) -> Result<u64, StoreError> {
        let mut tail = self.tail();
        let mut freed = 0;
        while tail.segments.len() > 1 && tail.segments[1].first <= seq {
            let gone = tail.segments.remove(0);
            self.disk.remove(&gone.name)?;
            freed += gone.bytes;
        }
        if freed > 0 {
            self.disk.sync_dir()?;
        }
        Ok(freed)
    }

    /// Every entry from sequence number `from` on, in order; the first error ends it.
    pub fn entries_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Entry), StoreError>> + '_ {
        let segments = self.segments();
        // The last segment that starts at or before `from` holds it (or the log starts later).
        let start = segments.iter().rposition(|s| s.first <= from).unwrap_or(0);
        let last = segments.len().saturating_sub(1);
        let mut segments = segments.into_iter().enumerate().skip(start);
        let mut reader: Option<(Records, bool)> = None;
        let mut pending = Vec::new().into_iter();
        let mut seq = 0;
        std::iter::from_fn(move || {
            loop {
                if let Some(entry) = pending.next() {
                    seq += 1;
                    if seq < from {
                        continue;
                    }
                    return Some(Ok((seq, entry)));
                }
                if reader.is_none() {
                    let (i, segment) = segments.next()?;
                    reader = Some((Records::new(self.disk.clone(), &segment.name, 0), i == last));
                }
                let (records, is_last) = reader.as_mut()?;
                match records.next_record() {
                    Ok(Some((first, entries))) => {
                        seq = first - 1;
                        pending = entries.into_iter();
                    }
                    Ok(None) => reader = None,
                    // Only a record being appended while we read can be cut short, at the end.
                    Err(Bad::Torn) if *is_last => return None,
                    Err(Bad::Torn) => return Some(Err(damaged(&records.name, records.offset))),
                    Err(Bad::Io(e)) => return Some(Err(e.into())),
                    Err(Bad::Damaged(at)) => return Some(Err(damaged(&records.name, at))),
                }
            }
        })
    }
}

/// Reads a file of the disk from an offset, a megabyte at a time.
struct DiskReader {
    disk: Arc<dyn Disk>,
    name: String,
    offset: u64,
    buf: Vec<u8>,
    at: usize,
}

impl Read for DiskReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.buf.len() {
            self.buf = self.disk.read_at(&self.name, self.offset, 1 << 20)?;
            self.offset += self.buf.len() as u64;
            self.at = 0;
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn damaged(segment: &str, at: u64) -> StoreError {
    StoreError::Damaged {
        tree: "event log",
        key: format!("{segment} byte {at}"),
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

/// Reads records one by one from an offset of a segment.
struct Records {
    reader: DiskReader,
    name: String,
    offset: u64,
}

impl Records {
    fn new(disk: Arc<dyn Disk>, name: &str, offset: u64) -> Records {
        Records {
            reader: DiskReader {
                disk,
                name: name.to_string(),
                offset,
                buf: Vec::new(),
                at: 0,
            },
            name: name.to_string(),
            offset,
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
        log.entries_from(1).collect::<Result<_, _>>().unwrap()
    }

    fn open(dir: &std::path::Path, segment_bytes: u64) -> EventLog {
        let disk = Arc::new(super::super::disk::FsDisk::new(dir).unwrap());
        EventLog::open(disk, segment_bytes).unwrap()
    }

    const FIRST: &str = "events-00000000000000000001.log";

    #[test]
    fn entries_read_back_in_order_across_commits_and_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 1 << 20);
        assert_eq!(log.last_seq(), 0);
        assert!(read_all(&log).is_empty());
        log.append(&entries()[..2]).unwrap();
        log.append(&entries()[2..]).unwrap();
        log.sync().unwrap();
        assert_eq!(read_all(&log), entries());
        assert_eq!(log.last_seq(), 3);
        drop(log);
        let log = open(dir.path(), 1 << 20);
        assert_eq!(log.last_seq(), 3);
        assert_eq!(read_all(&log), entries());
        let from_two: Vec<u64> = log.entries_from(2).map(|e| e.unwrap().0).collect();
        assert_eq!(from_two, [2, 3]);
    }

    #[test]
    fn segments_roll_and_whole_ones_below_a_checkpoint_go() {
        let dir = tempfile::tempdir().unwrap();
        // Every record starts a new segment.
        let log = open(dir.path(), 1);
        for e in entries() {
            log.append(&[e]).unwrap();
            log.sync().unwrap();
        }
        let firsts: Vec<u64> = log.segments().iter().map(|s| s.first).collect();
        assert_eq!(firsts, [1, 2, 3]);
        let from_three: Vec<u64> = log.entries_from(3).map(|e| e.unwrap().0).collect();
        assert_eq!(from_three, [3]);
        // Entries from 2 on must stay: the segment of 1 goes; then from 3 on.
        assert!(log.remove_before(2).unwrap() > 0);
        assert_eq!(log.segments().len(), 2);
        log.remove_before(3).unwrap();
        assert_eq!(log.segments().len(), 1);
        drop(log);
        let log = open(dir.path(), 1);
        assert_eq!(log.last_seq(), 3);
        assert_eq!(read_all(&log), entries()[2..]);
    }

    /// A log of two records (entry 1, then entries 2 and 3), closed.
    fn two_commits(dir: &std::path::Path) -> std::path::PathBuf {
        let log = open(dir, 1 << 20);
        log.append(&entries()[..1]).unwrap();
        log.append(&entries()[1..]).unwrap();
        log.sync().unwrap();
        dir.join(FIRST)
    }

    #[test]
    fn a_half_written_last_record_is_cut_off_and_the_log_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = two_commits(dir.path());
        let full = std::fs::read(&path).unwrap();
        let first_len = HEADER + u32::from_be_bytes(full[..4].try_into().unwrap()) as usize;
        for cut in [first_len + 3, first_len + HEADER + 1, full.len() - 1] {
            std::fs::write(&path, &full[..cut]).unwrap();
            let log = open(dir.path(), 1 << 20);
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
        let log = open(dir.path(), 1 << 20);
        assert_eq!(read_all(&log), entries()[..1]);
        drop(log);
        // So are zeros where the last record was going.
        let mut zeroed = full[..first_len].to_vec();
        zeroed.resize(full.len(), 0);
        std::fs::write(&path, &zeroed).unwrap();
        let log = open(dir.path(), 1 << 20);
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
            let disk = Arc::new(super::super::disk::FsDisk::new(dir.path()).unwrap());
            let refused = EventLog::open(disk, 1 << 20).err().map(|e| e.to_string());
            assert!(
                refused.as_deref().is_some_and(|e| e.contains("byte 0")),
                "{refused:?}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing is cut");
        }
    }
}
