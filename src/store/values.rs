//! Large settled records beside the cold store, in append-only files (`ledger-values/values-N.dat`):
//! the ledger's tree keeps a small value inline and, for a large one (a parcel, a ledger row:
//! kilobytes), a pointer here, so the tree's compactions rewrite keys and pointers, not
//! kilobytes. The files are read through the operating system's page cache, which does not
//! count against the server's memory.
//!
//! Crash safety needs no more than the order of writes: values are written and synced before
//! the checkpoint that makes their pointers readable (see `cold`), so a pointer a reader can
//! see never names bytes that were not synced. Bytes a crash left without a checkpoint are
//! never named, and are overwritten or left behind.

use super::StoreError;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// A value up to this size is kept inline in the tree.
const INLINE_MAX: usize = 64;
/// A file of values is closed once it is this large.
const FILE_BYTES: u64 = 1 << 30;

/// How a value is stored in the tree: its first byte says which.
const INLINE: u8 = 0;
const POINTER: u8 = 1;

/// Where a value is: file, offset, length and checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pointer {
    file: u32,
    offset: u64,
    len: u32,
    crc: u32,
}

impl Pointer {
    const BYTES: usize = 1 + 4 + 8 + 4 + 4;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::BYTES);
        out.push(POINTER);
        out.extend_from_slice(&self.file.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.len.to_be_bytes());
        out.extend_from_slice(&self.crc.to_be_bytes());
        out
    }

    fn decode(stored: &[u8]) -> Option<Pointer> {
        if stored.len() != Self::BYTES || stored[0] != POINTER {
            return None;
        }
        let field = |at: usize, n: usize| &stored[at..at + n];
        Some(Pointer {
            file: u32::from_be_bytes(field(1, 4).try_into().ok()?),
            offset: u64::from_be_bytes(field(5, 8).try_into().ok()?),
            len: u32::from_be_bytes(field(13, 4).try_into().ok()?),
            crc: u32::from_be_bytes(field(17, 4).try_into().ok()?),
        })
    }
}

/// The file being appended to and where its end is.
struct Tail {
    file: u32,
    end: u64,
    /// Written since the last sync (each file once).
    unsynced: Vec<Arc<File>>,
}

/// The files of values: every one open for reading, the newest for appending too.
pub(super) struct Values {
    dir: PathBuf,
    files: RwLock<Vec<Arc<File>>>,
    tail: Mutex<Tail>,
}

fn file_name(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("values-{n:06}.dat"))
}

fn open_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

impl Values {
    /// Opens the files of values in `dir`, numbered from 0.
    pub fn open(dir: &Path) -> Result<Values, StoreError> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        while file_name(dir, files.len() as u32).exists() {
            files.push(Arc::new(open_file(&file_name(dir, files.len() as u32))?));
        }
        if files.is_empty() {
            files.push(Arc::new(open_file(&file_name(dir, 0))?));
        }
        let last = files.len() as u32 - 1;
        // Bytes after the last synced value (a crash's) are never named: appending after
        // them keeps every offset given out valid.
        let end = files[last as usize].metadata()?.len();
        Ok(Values {
            dir: dir.to_path_buf(),
            files: RwLock::new(files),
            tail: Mutex::new(Tail {
                file: last,
                end,
                unsynced: Vec::new(),
            }),
        })
    }

    /// What to keep in the tree for `value`: the value itself when small, else a pointer to it
    /// written here (durable after `sync`).
    pub fn store(&self, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        if value.len() <= INLINE_MAX {
            let mut out = Vec::with_capacity(1 + value.len());
            out.push(INLINE);
            out.extend_from_slice(value);
            return Ok(out);
        }
        let len = u32::try_from(value.len()).map_err(|_| StoreError::TooLarge {
            bytes: value.len() as u64,
            limit: u32::MAX as u64,
        })?;
        let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.end >= FILE_BYTES {
            let next = tail.file + 1;
            let file = Arc::new(open_file(&file_name(&self.dir, next))?);
            let mut files = self.files.write().unwrap_or_else(PoisonError::into_inner);
            files.push(file);
            tail.file = next;
            tail.end = 0;
        }
        let file = self
            .file(tail.file)
            .ok_or_else(|| self.damaged(tail.file))?;
        // At our own end, not the file's: what a failed write left is overwritten.
        file.write_all_at(value, tail.end)?;
        let pointer = Pointer {
            file: tail.file,
            offset: tail.end,
            len,
            crc: crc32fast::hash(value),
        };
        tail.end += value.len() as u64;
        if !tail.unsynced.iter().any(|f| Arc::ptr_eq(f, &file)) {
            tail.unsynced.push(file);
        }
        Ok(pointer.encode())
    }

    /// Makes every value written so far durable.
    pub fn sync(&self) -> Result<(), StoreError> {
        let unsynced = {
            let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut tail.unsynced)
        };
        for (i, file) in unsynced.iter().enumerate() {
            if let Err(e) = file.sync_data() {
                // Synced again next time: nothing that needed it is readable yet.
                let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
                tail.unsynced.extend(unsynced[i..].iter().cloned());
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// The value kept in the tree as `stored`.
    pub fn load(&self, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
        match stored.first() {
            Some(&INLINE) => Ok(stored[1..].to_vec()),
            _ => {
                let p = Pointer::decode(stored).ok_or_else(|| self.damaged(u32::MAX))?;
                let file = self.file(p.file).ok_or_else(|| self.damaged(p.file))?;
                let mut value = vec![0; p.len as usize];
                file.read_exact_at(&mut value, p.offset)?;
                if crc32fast::hash(&value) != p.crc {
                    return Err(StoreError::Damaged {
                        tree: "ledger values",
                        key: format!("{} at {}", file_name(&self.dir, p.file).display(), p.offset),
                    });
                }
                Ok(value)
            }
        }
    }

    /// Bytes of the files on disk.
    pub fn size_on_disk(&self) -> u64 {
        let files = self.files.read().unwrap_or_else(PoisonError::into_inner);
        files
            .iter()
            .filter_map(|f| f.metadata().ok())
            .map(|m| m.len())
            .sum()
    }

    fn file(&self, n: u32) -> Option<Arc<File>> {
        let files = self.files.read().unwrap_or_else(PoisonError::into_inner);
        files.get(n as usize).cloned()
    }

    fn damaged(&self, file: u32) -> StoreError {
        StoreError::Damaged {
            tree: "ledger values",
            key: format!("a pointer to file {file} in {}", self.dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_stay_inline_and_large_ones_come_back_from_the_files_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let large = vec![7u8; 5000];
        let (small_stored, large_stored) = {
            let values = Values::open(dir.path()).unwrap();
            let s = values.store(b"tiny").unwrap();
            let l = values.store(&large).unwrap();
            values.sync().unwrap();
            assert_eq!(s[0], INLINE);
            assert_eq!(l.len(), Pointer::BYTES);
            (s, l)
        };
        let values = Values::open(dir.path()).unwrap();
        assert_eq!(values.load(&small_stored).unwrap(), b"tiny");
        assert_eq!(values.load(&large_stored).unwrap(), large);
        // Appended after what is there: the first value is still where it was.
        let again = values.store(&[9u8; 100]).unwrap();
        assert_ne!(again, large_stored);
        assert_eq!(values.load(&large_stored).unwrap(), large);
        assert_eq!(values.load(&again).unwrap(), vec![9u8; 100]);
    }

    #[test]
    fn a_damaged_value_is_reported_not_returned() {
        let dir = tempfile::tempdir().unwrap();
        let values = Values::open(dir.path()).unwrap();
        let stored = values.store(&[1u8; 300]).unwrap();
        values.sync().unwrap();
        let file = open_file(&file_name(dir.path(), 0)).unwrap();
        file.write_all_at(b"xx", 10).unwrap();
        let e = values.load(&stored).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        assert!(values.load(&[POINTER, 1, 2]).is_err(), "a short pointer");
    }
}
