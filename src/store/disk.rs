//! The disk under the event log and the checkpoints: a folder of named files, behind a trait
//! so tests can put a simulated disk there that loses what was not synced, tears the last
//! write, fails a sync or fills up (`SimDisk`), the way a real one does when the power goes.
//!
//! Only what the store needs: append to a file and sync it, read a file back from an offset,
//! write a new file whole, rename, remove, list, and sync the folder itself (a rename or a new
//! file is durable only once the folder is).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A folder of files.
pub trait Disk: Send + Sync {
    /// The names of the files in the folder, sorted.
    fn list(&self) -> io::Result<Vec<String>>;
    /// The size of a file.
    fn len(&self, name: &str) -> io::Result<u64>;
    /// Up to `max` bytes of a file from `offset` (fewer at its end).
    fn read_at(&self, name: &str, offset: u64, max: usize) -> io::Result<Vec<u8>>;
    /// Appends to a file, creating it if need be (durable after `sync`).
    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// Makes what was appended to a file durable.
    fn sync(&self, name: &str) -> io::Result<()>;
    /// Cuts a file to `len` bytes, durably.
    fn truncate(&self, name: &str, len: u64) -> io::Result<()>;
    /// Writes a whole new file and syncs it (not yet its name: see `sync_dir`).
    fn write_synced(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Makes the folder's names (new files, renames, removals) durable.
    fn sync_dir(&self) -> io::Result<()>;
}

/// A whole file, read in pieces.
pub fn read_all(disk: &dyn Disk, name: &str) -> io::Result<Vec<u8>> {
    let len = disk.len(name)?;
    disk.read_at(name, 0, usize::try_from(len).unwrap_or(usize::MAX))
}

/// A real folder.
pub struct FsDisk {
    dir: PathBuf,
    /// Files open for appending, kept open: the log appends to one at every commit.
    open: Mutex<BTreeMap<String, File>>,
}

impl FsDisk {
    pub fn new(dir: &Path) -> io::Result<FsDisk> {
        std::fs::create_dir_all(dir)?;
        Ok(FsDisk {
            dir: dir.to_path_buf(),
            open: Mutex::new(BTreeMap::new()),
        })
    }

    fn open(&self) -> MutexGuard<'_, BTreeMap<String, File>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn with_file<R>(
        &self,
        name: &str,
        f: impl FnOnce(&mut File) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut open = self.open();
        if !open.contains_key(name) {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(name))?;
            open.insert(name.to_string(), file);
        }
        match open.get_mut(name) {
            Some(file) => f(file),
            None => Err(io::Error::other("file not open")),
        }
    }
}

impl Disk for FsDisk {
    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn len(&self, name: &str) -> io::Result<u64> {
        Ok(std::fs::metadata(self.path(name))?.len())
    }

    fn read_at(&self, name: &str, offset: u64, max: usize) -> io::Result<Vec<u8>> {
        let mut file = File::open(self.path(name))?;
        file.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::new();
        file.take(max as u64).read_to_end(&mut out)?;
        Ok(out)
    }

    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.with_file(name, |f| f.write_all(bytes))
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        self.with_file(name, |f| f.sync_data())
    }

    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        self.open().remove(name);
        let file = OpenOptions::new().write(true).open(self.path(name))?;
        file.set_len(len)?;
        file.sync_all()
    }

    fn write_synced(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.open().remove(name);
        let mut file = File::create(self.path(name))?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut open = self.open();
        open.remove(from);
        open.remove(to);
        std::fs::rename(self.path(from), self.path(to))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.open().remove(name);
        std::fs::remove_file(self.path(name))
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}

/// What a simulated disk does wrong, when asked to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Every sync fails (as `fsync` does when the device reports an error).
    pub fail_sync: bool,
    /// Writes beyond this many bytes in all fail with "no space left on device".
    pub capacity: Option<u64>,
}

#[derive(Debug, Default, Clone)]
struct SimFile {
    /// What a crash keeps.
    durable: Vec<u8>,
    /// Appended, not yet synced: a crash keeps some prefix of it, maybe none.
    pending: Vec<u8>,
}

impl SimFile {
    fn content(&self) -> Vec<u8> {
        let mut all = self.durable.clone();
        all.extend_from_slice(&self.pending);
        all
    }
}

#[derive(Debug, Default)]
struct SimState {
    files: BTreeMap<String, SimFile>,
    /// The names as of the last `sync_dir`: a crash goes back to them.
    durable_names: BTreeMap<String, SimFile>,
    faults: Faults,
    /// Bumped by each crash: handles of the disk from before it write nothing more.
    generation: u64,
}

/// A disk in memory that can crash: see the module documentation. Clones share one disk.
#[derive(Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<SimState>>,
    /// The generation this handle belongs to.
    generation: u64,
}

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state for a write by this handle: refused once the disk crashed under it.
    fn live(&self) -> io::Result<MutexGuard<'_, SimState>> {
        let state = self.state();
        if state.generation != self.generation {
            return Err(io::Error::other("the process crashed"));
        }
        Ok(state)
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    /// The power goes: every file keeps what was synced plus `keep(name, pending)` bytes of
    /// what was not (a torn write), names go back to the last folder sync, and handles made
    /// before the crash can write no more. Returns a handle for the process that starts next.
    pub fn crash(&self, mut keep: impl FnMut(&str, usize) -> usize) -> SimDisk {
        let mut state = self.state();
        let names = std::mem::take(&mut state.durable_names);
        let mut files = BTreeMap::new();
        for (name, synced) in names {
            // What was synced under a durable name survives; what was appended after it and
            // not synced is torn at a chosen point.
            let pending = state
                .files
                .get(&name)
                .map(|f| f.pending.as_slice())
                .unwrap_or(&[]);
            let kept = keep(&name, pending.len()).min(pending.len());
            let mut durable = synced.durable;
            durable.extend_from_slice(&pending[..kept]);
            files.insert(
                name,
                SimFile {
                    durable,
                    pending: Vec::new(),
                },
            );
        }
        state.durable_names = files.clone();
        state.files = files;
        state.generation += 1;
        SimDisk {
            state: self.state.clone(),
            generation: state.generation,
        }
    }

    /// Total bytes in all files (what a capacity counts).
    fn used(state: &SimState) -> u64 {
        state
            .files
            .values()
            .map(|f| (f.durable.len() + f.pending.len()) as u64)
            .sum()
    }

    fn room(state: &SimState, more: usize) -> io::Result<()> {
        match state.faults.capacity {
            Some(cap) if SimDisk::used(state) + more as u64 > cap => Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "no space left on device (simulated)",
            )),
            _ => Ok(()),
        }
    }
}

fn not_found(name: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{name}: no such file"))
}

impl Disk for SimDisk {
    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.state().files.keys().cloned().collect())
    }

    fn len(&self, name: &str) -> io::Result<u64> {
        let state = self.state();
        let f = state.files.get(name).ok_or_else(|| not_found(name))?;
        Ok((f.durable.len() + f.pending.len()) as u64)
    }

    fn read_at(&self, name: &str, offset: u64, max: usize) -> io::Result<Vec<u8>> {
        let state = self.state();
        let f = state.files.get(name).ok_or_else(|| not_found(name))?;
        let all = f.content();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
        let end = start.saturating_add(max).min(all.len());
        Ok(all[start..end].to_vec())
    }

    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.live()?;
        SimDisk::room(&state, bytes.len())?;
        state
            .files
            .entry(name.to_string())
            .or_default()
            .pending
            .extend_from_slice(bytes);
        Ok(())
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        let mut state = self.live()?;
        if state.faults.fail_sync {
            return Err(io::Error::other(
                "input/output error (simulated failed fsync)",
            ));
        }
        let f = state.files.get_mut(name).ok_or_else(|| not_found(name))?;
        let pending = std::mem::take(&mut f.pending);
        f.durable.extend_from_slice(&pending);
        // A file the folder already knows keeps its synced content across a crash.
        let content = f.clone();
        if let Some(d) = state.durable_names.get_mut(name) {
            *d = content;
        }
        Ok(())
    }

    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        let mut state = self.live()?;
        let f = state.files.get_mut(name).ok_or_else(|| not_found(name))?;
        let mut all = f.content();
        all.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        *f = SimFile {
            durable: all,
            pending: Vec::new(),
        };
        let content = f.clone();
        if let Some(d) = state.durable_names.get_mut(name) {
            *d = content;
        }
        Ok(())
    }

    fn write_synced(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.live()?;
        SimDisk::room(&state, bytes.len())?;
        if state.faults.fail_sync {
            return Err(io::Error::other(
                "input/output error (simulated failed fsync)",
            ));
        }
        let file = SimFile {
            durable: bytes.to_vec(),
            pending: Vec::new(),
        };
        // Written over an existing name: the same file, so its new content is durable.
        if let Some(d) = state.durable_names.get_mut(name) {
            *d = file.clone();
        }
        state.files.insert(name.to_string(), file);
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut state = self.live()?;
        let f = state.files.remove(from).ok_or_else(|| not_found(from))?;
        state.files.insert(to.to_string(), f);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        let mut state = self.live()?;
        state.files.remove(name).ok_or_else(|| not_found(name))?;
        Ok(())
    }

    fn sync_dir(&self) -> io::Result<()> {
        let mut state = self.live()?;
        if state.faults.fail_sync {
            return Err(io::Error::other(
                "input/output error (simulated failed fsync)",
            ));
        }
        // Names become durable with the content each file had synced.
        let names: BTreeMap<String, SimFile> = state
            .files
            .iter()
            .map(|(n, f)| {
                (
                    n.clone(),
                    SimFile {
                        durable: f.durable.clone(),
                        pending: Vec::new(),
                    },
                )
            })
            .collect();
        state.durable_names = names;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_keeps_what_was_synced_and_tears_what_was_not() {
        let disk = SimDisk::new();
        disk.append("a", b"hello").unwrap();
        disk.sync("a").unwrap();
        disk.sync_dir().unwrap();
        disk.append("a", b" world").unwrap();
        disk.write_synced("b.tmp", b"new").unwrap();
        let after = disk.crash(|_, pending| pending / 2);
        assert_eq!(read_all(&after, "a").unwrap(), b"hello wo");
        assert!(after.len("b.tmp").is_err(), "a name not synced is gone");
        assert!(
            disk.append("a", b"!").is_err(),
            "the crashed process writes no more"
        );
        after.append("a", b"!").unwrap();
        assert_eq!(read_all(&after, "a").unwrap(), b"hello wo!");
    }

    #[test]
    fn faults_fail_syncs_and_fill_the_disk() {
        let disk = SimDisk::new();
        disk.set_faults(Faults {
            fail_sync: true,
            capacity: Some(8),
        });
        disk.append("a", b"12345").unwrap();
        assert!(disk.sync("a").is_err());
        let full = disk.append("a", b"6789");
        assert_eq!(full.map_err(|e| e.kind()), Err(io::ErrorKind::StorageFull));
        disk.set_faults(Faults::default());
        disk.sync("a").unwrap();
        assert_eq!(read_all(&disk, "a").unwrap(), b"12345");
    }

    #[test]
    fn the_real_folder_does_the_same_things() {
        let dir = tempfile::tempdir().unwrap();
        let disk = FsDisk::new(dir.path()).unwrap();
        disk.append("log", b"abc").unwrap();
        disk.append("log", b"def").unwrap();
        disk.sync("log").unwrap();
        assert_eq!(disk.read_at("log", 2, 3).unwrap(), b"cde");
        disk.truncate("log", 4).unwrap();
        disk.append("log", b"X").unwrap();
        assert_eq!(read_all(&disk, "log").unwrap(), b"abcdX");
        disk.write_synced("c.tmp", b"ck").unwrap();
        disk.rename("c.tmp", "c").unwrap();
        disk.sync_dir().unwrap();
        assert_eq!(disk.list().unwrap(), vec!["c", "log"]);
        disk.remove("c").unwrap();
        assert_eq!(disk.list().unwrap(), vec!["log"]);
    }
}
