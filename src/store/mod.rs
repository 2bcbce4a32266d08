//! The server's durable store on sled: an event log of everything the single window received
//! (replayed through the pure engine on start, which brings back its state and its timers),
//! the receipts it produced (by enterprise, under stable ids) and the delivery cursors.
//!
//! In the data folder:
//! - `events-<seq>.log` ([`log`]): the event log in segments, one record per group commit,
//!   written and synced before any of its messages is acknowledged;
//! - `checkpoint-<seq>.ckpt` ([`checkpoint`]): the engine's state as of a place in the log,
//!   so a start replays only what came after it;
//! - `receipts/` (sled, [`receipts`]): chunks of one enterprise's receipts, keyed by dxpId and
//!   the first receipt id. Receipts can always be made again from the log, so they are written
//!   without waiting for a flush;
//! - `meta/` (sled): cursors and markers, by name.
//!
//! Few, larger records matter here: sled's cost is per record (and per wake-up of its I/O
//! threads), not per byte, so a record per receipt cost more CPU than checking the message did.

pub mod checkpoint;
mod cold;
pub mod disk;
mod log;
mod receipts;
mod values;

use chrono::{DateTime, NaiveDateTime};
use disk::Disk;
use log::EventLog;
pub use log::{MAX_COMMIT, Segment};
use std::path::Path;
use std::sync::Arc;
/// Errors of the store: sled's, or a record that cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store: {0}")]
    Io(#[from] std::io::Error),
    #[error("store: the settled ledger: {0}")]
    Ledger(#[from] fjall::Error),
    #[error("store: damaged record in {tree} at {key}")]
    Damaged { tree: &'static str, key: String },
    #[error(
        "store: the data folder was written in layout {found} by another version (this one \
         writes layout {FORMAT}); move it away or start with an empty --data folder"
    )]
    Format { found: u64 },
    #[error(
        "store: the data folder is in layout {found}; this version writes layout {FORMAT}. \
         Run `single-window serve --migrate` once (with the same --data or --config): it \
         renames a layout-2 events.log into the first log segment, moves the settled ledger \
         out of sled (layout 3), marks its keys (layout 4), and keeps everything else"
    )]
    NeedsMigration { found: u64 },
    #[error(
        "store: the log starts at entry {first} but the newest usable checkpoint covers only up \
         to entry {covered}: the entries in between are gone. Restore the data folder from a \
         backup, or start with an empty --data folder"
    )]
    Gap { covered: u64, first: u64 },
    #[error("store: a log record of {bytes} bytes is over the limit of {limit}")]
    TooLarge { bytes: u64, limit: u64 },
}

/// What the log records: a message received, a test-support event, or a reset.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A CEB message as received (raw bytes) from an enterprise.
    /// (`Bytes`: the request body is stored as it came, not copied.)
    Message { sender: String, bytes: bytes::Bytes },
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
    /// What `returnInfo` says, in English (for people; the receipt carries the Chinese).
    pub en: String,
    pub xml: String,
}

/// The event log, and the sled databases for receipts and for cursors.
#[derive(Clone)]
pub struct Store {
    disk: Arc<dyn Disk>,
    events: Arc<EventLog>,
    meta_db: sled::Db,
    receipts_db: sled::Db,
    receipts: sled::Tree,
    meta: sled::Tree,
    /// Settled records (`cold`), in an LSM tree of their own.
    ledger: fjall::Database,
    cold: fjall::Keyspace,
    /// A marker for each key in `cold`, found by point reads (see `cold`).
    keys: fjall::Keyspace,
    /// The large values of settled records, beside `cold`.
    values: Arc<values::Values>,
}

/// The layout this version writes, kept in `meta`; older layouts are refused, not misread.
/// Layout 6 is layout 5 with the engine's state (checkpoints) without its pre-entry serial:
/// numbers come from GUIDs since, so a layout-5 history would not replay to its receipts.
const FORMAT: u64 = 6;
const FORMAT_KEY: &str = "format";

/// Where the settled ledger is: an LSM tree, its large values beside it. Layout 3 kept the
/// ledger in sled (`ledger/`, tree `cold`), values inline.
const LEDGER_DIR: &str = "ledger-lsm";
const VALUES_DIR: &str = "ledger-values";
const LAYOUT_3_LEDGER: &str = "ledger";

/// Where layout 2 kept its one log file.
const LAYOUT_2_LOG: &str = "events.log";

/// How the store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// A log segment is closed once it is this large.
    pub segment_bytes: u64,
    /// Move a layout-2 folder to this layout (`serve --migrate`).
    pub migrate: bool,
    /// Block cache of the settled ledger (MiB): every new document's key is looked up there
    /// (most lookups of keys never settled stop at the tree's filters).
    pub ledger_cache_mb: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            segment_bytes: 64 * 1024 * 1024,
            migrate: false,
            ledger_cache_mb: 64,
        }
    }
}

impl Store {
    /// Opens (or creates) the store in the folder `dir`, with default options.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, &StoreOptions::default())
    }

    /// Opens (or creates) the store in `dir`: its log and checkpoints on the real disk.
    pub fn open_with(dir: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        let disk: Arc<dyn Disk> = Arc::new(disk::FsDisk::new(dir)?);
        Store::open_on(dir, disk, options)
    }

    /// Opens the store with its log and checkpoints on `disk` (a simulated one in tests) and
    /// its sled databases in `dir`.
    pub fn open_on(
        dir: &Path,
        disk: Arc<dyn Disk>,
        options: &StoreOptions,
    ) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        // Page caches bounded: they are most of the memory sled takes.
        let open = |name: &str, cache_mb: u64| {
            let config = sled::Config::new()
                .path(dir.join(name))
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(cache_mb * 1024 * 1024)
                // Small, frequent flushes: a second's worth of receipts written at once kept
                // the disk busy long enough to stall the event log's flushes behind it (acks
                // waited up to 100 ms at 10,000 messages/s).
                .flush_every_ms(Some(100));
            open_waiting(&config, name)
        };
        let meta_db = open("meta", 4)?;
        let meta = meta_db.open_tree("meta")?;
        let format = match meta.get(FORMAT_KEY)?.and_then(|v| be_u64(&v)) {
            Some(f) => f,
            // Layout 1 kept the log in a sled database `log/`.
            None if dir.join("log").exists() => 1,
            None => {
                meta.insert(FORMAT_KEY, &FORMAT.to_be_bytes())?;
                meta_db.flush()?;
                FORMAT
            }
        };
        let receipts_db = open("receipts", 32)?;
        let ledger = open_ledger(&dir.join(LEDGER_DIR), options.ledger_cache_mb)?;
        let cold = ledger.keyspace("settled", keyspace_options)?;
        let keys = ledger.keyspace("settled-keys", keyspace_options)?;
        let values = Arc::new(values::Values::open(&dir.join(VALUES_DIR))?);
        match format {
            FORMAT => {}
            2..=4 if options.migrate => {
                // Layout 2: the same records in one file; the first segment is named by its
                // first entry (the log's first).
                if disk.list()?.iter().any(|n| n == LAYOUT_2_LOG) {
                    disk.rename(LAYOUT_2_LOG, "events-00000000000000000001.log")?;
                    disk.sync_dir()?;
                }
                // Layout 3: the ledger in sled; copied afresh if a migration was cut short.
                if dir.join(LAYOUT_3_LEDGER).exists() {
                    cold.clear()?;
                    let old = open(LAYOUT_3_LEDGER, 4)?;
                    for item in old.open_tree("cold")?.iter() {
                        let (key, value) = item?;
                        cold.insert(key.to_vec(), values.store(&value)?)?;
                    }
                    values.sync()?;
                    drop(old);
                }
                // Layout 4 had no markers of the settled keys.
                for item in cold.iter() {
                    let key = item.key()?;
                    if let Some((k, _)) = cold::split(&key) {
                        keys.insert(k, [])?;
                    }
                }
                ledger.persist(fjall::PersistMode::SyncAll)?;
                meta.insert(FORMAT_KEY, &FORMAT.to_be_bytes())?;
                meta_db.flush()?;
                if dir.join(LAYOUT_3_LEDGER).exists() {
                    std::fs::remove_dir_all(dir.join(LAYOUT_3_LEDGER))?;
                }
                tracing::info!("moved the data folder from layout {format} to layout {FORMAT}");
            }
            2..=4 => return Err(StoreError::NeedsMigration { found: format }),
            found => return Err(StoreError::Format { found }),
        }
        Ok(Store {
            cold,
            keys,
            values,
            ledger,
            events: Arc::new(EventLog::open(disk.clone(), options.segment_bytes)?),
            disk,
            receipts: receipts_db.open_tree("receipts")?,
            meta,
            meta_db,
            receipts_db,
        })
    }

    /// Appends entries with consecutive sequence numbers (durable after `flush`).
    pub fn append(&self, entries: &[(u64, Entry)]) -> Result<(), StoreError> {
        self.events.append(entries)
    }

    /// Makes every log entry appended so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.events.sync()
    }

    /// Cuts off what a failed append or flush left in the log (a no-op when none failed).
    pub fn repair_log(&self) -> Result<(), StoreError> {
        self.events.repair()
    }

    /// The last sequence number in the log (0 when empty).
    pub fn last_seq(&self) -> u64 {
        self.events.last_seq()
    }

    /// Every log entry from sequence number `from` on, in order.
    pub fn log_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Entry), StoreError>> + '_ {
        self.events.entries_from(from)
    }

    /// The log's segments, oldest first.
    pub fn segments(&self) -> Vec<Segment> {
        self.events.segments()
    }

    /// Removes the log segments whose entries all come before `seq`; the bytes freed.
    pub fn remove_log_before(&self, seq: u64) -> Result<u64, StoreError> {
        self.events.remove_before(seq)
    }

    /// Bytes of the sled databases (receipts, cursors) and the ledger on disk.
    pub fn size_on_disk(&self) -> u64 {
        let size = |db: &sled::Db| db.size_on_disk().unwrap_or(0);
        size(&self.meta_db)
            + size(&self.receipts_db)
            + self.ledger.disk_space().unwrap_or(0)
            + self.values.size_on_disk()
    }

    /// The disk of the log and the checkpoints.
    pub fn disk(&self) -> &Arc<dyn Disk> {
        &self.disk
    }

    /// Makes every cursor and marker set so far durable.
    pub fn flush_meta(&self) -> Result<(), StoreError> {
        self.meta_db.flush()?;
        Ok(())
    }

    /// Makes every receipt stored so far durable.
    pub fn flush_receipts(&self) -> Result<(), StoreError> {
        self.receipts_db.flush()?;
        Ok(())
    }

    /// A number kept under `name` (0 when never set).
    pub fn counter(&self, name: &str) -> Result<u64, StoreError> {
        Ok(self
            .meta
            .get(name.as_bytes())?
            .and_then(|v| be_u64(&v))
            .unwrap_or(0))
    }

    /// Forgets the number under `name`.
    pub fn remove_counter(&self, name: &str) -> Result<(), StoreError> {
        self.meta.remove(name.as_bytes())?;
        Ok(())
    }

    /// Keeps a number under `name`.
    pub fn set_counter(&self, name: &str, value: u64) -> Result<(), StoreError> {
        self.meta.insert(name.as_bytes(), &value.to_be_bytes())?;
        Ok(())
    }
}

/// How long a start waits for another process (a server still stopping after SIGTERM) to
/// let go of a database.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens a sled database, waiting up to `LOCK_WAIT` while another process holds its lock.
fn open_waiting(config: &sled::Config, name: &str) -> sled::Result<sled::Db> {
    waiting_for_lock(
        name,
        || config.open(),
        |e| matches!(e, sled::Error::Io(e) if e.to_string().contains("could not acquire lock")),
    )
}

/// Opens the settled ledger, waiting like `open_waiting`.
fn open_ledger(path: &Path, cache_mb: u64) -> fjall::Result<fjall::Database> {
    let open = || {
        fjall::Database::builder(path)
            .cache_size(cache_mb.max(1) * 1024 * 1024)
            // Written at checkpoints and made durable then; nothing else needs its journal.
            .manual_journal_persist(true)
            .open()
    };
    waiting_for_lock(LEDGER_DIR, open, |e| matches!(e, fjall::Error::Locked))
}

/// How the ledger's keyspaces are laid out. Their filters and indexes are cut in partitions
/// at every level: whole, the filter of one large table is megabytes, and once the block
/// cache could no longer hold every table's filter (13 minutes into a soak at 6,000
/// messages/s), each lookup of a key never settled read one back from the file and hashed
/// it — the engine's thread then spent three quarters of its time there. A partition is a
/// block like any other.
fn keyspace_options() -> fjall::KeyspaceCreateOptions {
    use fjall::config::PartitioningPolicy;
    fjall::KeyspaceCreateOptions::default()
        .filter_block_partitioning_policy(PartitioningPolicy::all(true))
        .index_block_partitioning_policy(PartitioningPolicy::all(true))
}

/// `open()` again every 100 ms while it fails with an error that `locked` says is another
/// process's lock, for up to `LOCK_WAIT`.
fn waiting_for_lock<T, E>(
    name: &str,
    open: impl Fn() -> Result<T, E>,
    locked: impl Fn(&E) -> bool,
) -> Result<T, E> {
    let started = std::time::Instant::now();
    let mut said = false;
    loop {
        match open() {
            Err(e) if locked(&e) && started.elapsed() < LOCK_WAIT => {
                if !said {
                    tracing::warn!(
                        database = name,
                        "another process holds the data folder (a server still stopping?): waiting up to {} s",
                        LOCK_WAIT.as_secs()
                    );
                    said = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            opened => return opened,
        }
    }
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

/// Largest message or receipt chunk a record may hold once decompressed.
const MAX_RECORD: u32 = 256 * 1024 * 1024;

// Records are length-prefixed fields: simple, and no escaping of the XML they carry.

fn put(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(&(field.len() as u32).to_be_bytes());
    out.extend_from_slice(field);
}

/// Appends what `lz4_flex::compress_prepend_size(bytes)` would return, compressing straight
/// into `out`.
fn append_compressed(out: &mut Vec<u8>, bytes: &[u8]) {
    let at = out.len();
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    let start = out.len();
    out.resize(
        start + lz4_flex::block::get_maximum_output_size(bytes.len()),
        0,
    );
    match lz4_flex::block::compress_into(bytes, &mut out[start..]) {
        Ok(written) => out.truncate(start + written),
        // Cannot happen with the worst-case size reserved; if it did, the plain way.
        Err(_) => {
            out.truncate(at);
            out.extend_from_slice(&lz4_flex::compress_prepend_size(bytes));
        }
    }
}

fn decompress(compressed: &[u8]) -> Option<Vec<u8>> {
    decompress_limited(compressed, MAX_RECORD as usize)
}

/// What `append_compressed` wrote, unless it claims to be larger than `max` (a damaged
/// length must not make us allocate without bound).
fn decompress_limited(compressed: &[u8], max: usize) -> Option<Vec<u8>> {
    let claimed = u32::from_le_bytes(compressed.get(..4)?.try_into().ok()?);
    if claimed as usize > max {
        return None;
    }
    lz4_flex::decompress_size_prepended(compressed).ok()
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
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.field()?.to_vec()).ok()
    }

    /// A field written by `lz4_flex::compress_prepend_size`.
    fn compressed(&mut self) -> Option<Vec<u8>> {
        decompress(self.field()?)
    }

    /// The rest, written by `lz4_flex::compress_prepend_size`.
    fn decompress_rest(self) -> Option<Vec<u8>> {
        decompress(self.0)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        be_u64(self.take(8)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(dir: &Path) -> Option<String> {
        Store::open(dir).err().map(|e| e.to_string())
    }

    #[test]
    fn a_start_waits_for_a_server_still_letting_go_of_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        // Held: a second open fails at once without waiting…
        let config = sled::Config::new().path(dir.path().join("meta"));
        assert!(config.open().is_err());
        let ledger = fjall::Database::builder(dir.path().join(LEDGER_DIR)).open();
        assert!(matches!(ledger, Err(fjall::Error::Locked)));
        // … and succeeds by waiting once the holder lets go.
        let holder = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(first);
        });
        let second = Store::open(dir.path());
        assert!(second.is_ok(), "{:?}", second.err());
        holder.join().unwrap();
    }

    #[test]
    fn a_store_of_another_layout_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.set_counter(FORMAT_KEY, 1).unwrap();
            store.flush_meta().unwrap();
        }
        let refused = refusal(dir.path());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("layout 1")),
            "{refused:?}"
        );

        // Layout 1 kept its log in a sled database `log/` and no format marker.
        let old = tempfile::tempdir().unwrap();
        std::fs::create_dir(old.path().join("log")).unwrap();
        let refused = refusal(old.path());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("layout 1")),
            "{refused:?}"
        );

        let fresh = tempfile::tempdir().unwrap();
        assert!(Store::open(fresh.path()).is_ok());
        assert!(Store::open(fresh.path()).is_ok(), "a store opens again");
    }

    #[test]
    fn a_layout_2_folder_is_refused_with_the_way_to_migrate_and_migrates_keeping_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let entry = Entry {
            checked: NaiveDateTime::default(),
            stored: NaiveDateTime::default(),
            event: Event::Reset,
        };
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .append(&[(1, entry.clone()), (2, entry.clone())])
                .unwrap();
            store.flush().unwrap();
            store.set_counter(FORMAT_KEY, 2).unwrap();
            store.flush_meta().unwrap();
        }
        // Layout 2 had the same records in one file.
        std::fs::rename(
            dir.path().join("events-00000000000000000001.log"),
            dir.path().join(LAYOUT_2_LOG),
        )
        .unwrap();
        let refused = refusal(dir.path());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("--migrate")),
            "{refused:?}"
        );
        let options = StoreOptions {
            migrate: true,
            ..StoreOptions::default()
        };
        let store = Store::open_with(dir.path(), &options).unwrap();
        assert_eq!(store.last_seq(), 2);
        let seqs: Vec<u64> = store.log_from(1).map(|e| e.unwrap().0).collect();
        assert_eq!(seqs, [1, 2]);
        drop(store);
        assert!(Store::open(dir.path()).is_ok(), "migrated once for all");
    }

    #[test]
    fn a_layout_3_ledger_is_migrated_with_its_values_moved_beside_it() {
        use crate::engine::cold::ColdStore;
        let dir = tempfile::tempdir().unwrap();
        let large = vec![5u8; 3000];
        {
            let store = Store::open(dir.path()).unwrap();
            store.set_counter(FORMAT_KEY, 3).unwrap();
            store.flush_meta().unwrap();
            // Layout 3 kept records as they were, under the same versioned keys, in sled.
            let old = sled::open(dir.path().join(LAYOUT_3_LEDGER)).unwrap();
            let tree = old.open_tree("cold").unwrap();
            tree.insert(cold::versioned(b"small\0", 4), &b"s"[..])
                .unwrap();
            tree.insert(cold::versioned(b"large\0", 4), large.as_slice())
                .unwrap();
            old.flush().unwrap();
        }
        let refused = refusal(dir.path());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("layout 3") && e.contains("--migrate")),
            "{refused:?}"
        );
        let options = StoreOptions {
            migrate: true,
            ..StoreOptions::default()
        };
        let store = Store::open_with(dir.path(), &options).unwrap();
        assert_eq!(store.get(b"small\0", 0, 4).as_deref(), Some(&b"s"[..]));
        assert_eq!(store.get(b"large\0", 0, 4), Some(large));
        assert!(
            store.values.size_on_disk() >= 3000,
            "the large value moved out"
        );
        assert!(
            !dir.path().join(LAYOUT_3_LEDGER).exists(),
            "the old ledger is gone"
        );
        drop(store);
        assert!(Store::open(dir.path()).is_ok(), "migrated once for all");
    }

    #[test]
    fn a_layout_4_ledger_gets_the_markers_of_its_keys() {
        use crate::engine::cold::ColdStore;
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            // Layout 4 wrote the versioned records without markers.
            let pointer = store.values.store(b"v").unwrap();
            store
                .cold
                .insert(cold::versioned(b"old\0", 7), pointer)
                .unwrap();
            store.set_counter(FORMAT_KEY, 4).unwrap();
            store.flush_meta().unwrap();
            assert_eq!(store.get(b"old\0", 0, 7), None, "unmarked, unseen");
        }
        assert!(refusal(dir.path()).is_some_and(|e| e.contains("layout 4")));
        let options = StoreOptions {
            migrate: true,
            ..StoreOptions::default()
        };
        let store = Store::open_with(dir.path(), &options).unwrap();
        assert_eq!(store.get(b"old\0", 0, 7).as_deref(), Some(&b"v"[..]));
    }
}
