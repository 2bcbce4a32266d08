//! Checkpoints: the engine's state as of a place in the log, in files
//! `checkpoint-<seq>.ckpt` (20 digits: names sort in log order), so a start replays only the
//! log after the newest good one.
//!
//! A checkpoint is written whole to a temporary file, synced, renamed into place and the
//! folder synced, so it is either all there or not there. It carries a checksum: one that a
//! crash or the disk damaged is told apart and skipped for the one before, with the reason
//! logged. The newest few are kept for that.
//!
//! File: magic `SWCKPT01`, sequence number covered (u64), when it was made (ms since the
//! epoch, i64), payload length (u64), CRC-32 of the payload (u32), payload (the state,
//! lz4-compressed). Big-endian.

use super::disk::{Disk, read_all};
use super::{StoreError, append_compressed, decompress_limited};

const MAGIC: &[u8; 8] = b"SWCKPT01";
const HEAD: usize = 8 + 8 + 8 + 8 + 4;
/// Largest state a checkpoint holds once decompressed.
const MAX_STATE: usize = u32::MAX as usize;

/// A checkpoint read back.
#[derive(Debug)]
pub struct Checkpoint {
    pub name: String,
    /// The last log entry the state includes.
    pub seq: u64,
    /// When it was made (wall clock, ms since the epoch).
    pub made_ms: i64,
    /// The state, as the engine encoded it.
    pub state: Vec<u8>,
}

fn name_of(seq: u64) -> String {
    format!("checkpoint-{seq:020}.ckpt")
}

fn seq_of(name: &str) -> Option<u64> {
    name.strip_prefix("checkpoint-")?
        .strip_suffix(".ckpt")?
        .parse()
        .ok()
}

/// The checkpoints on `disk`, newest first.
pub fn names(disk: &dyn Disk) -> Result<Vec<String>, StoreError> {
    let mut names: Vec<(u64, String)> = disk
        .list()?
        .into_iter()
        .filter_map(|n| Some((seq_of(&n)?, n)))
        .collect();
    names.sort();
    Ok(names.into_iter().rev().map(|(_, n)| n).collect())
}

/// Writes a checkpoint of `state` covering the log up to `seq` and keeps the newest `keep`;
/// the size written.
pub fn write(
    disk: &dyn Disk,
    seq: u64,
    made_ms: i64,
    state: &[u8],
    keep: usize,
) -> Result<u64, StoreError> {
    let mut payload = Vec::with_capacity(state.len() / 2 + 16);
    append_compressed(&mut payload, state);
    let mut file = Vec::with_capacity(HEAD + payload.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&seq.to_be_bytes());
    file.extend_from_slice(&made_ms.to_be_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    file.extend_from_slice(&crc32fast::hash(&payload).to_be_bytes());
    file.extend_from_slice(&payload);
    let name = name_of(seq);
    let temporary = format!("{name}.tmp");
    disk.write_synced(&temporary, &file)?;
    disk.rename(&temporary, &name)?;
    disk.sync_dir()?;
    // Older ones beyond `keep` go, and temporary files a crash left behind.
    for old in names(disk)?.into_iter().skip(keep.max(1)) {
        disk.remove(&old)?;
    }
    for stray in disk.list()?.iter().filter(|n| n.ends_with(".ckpt.tmp")) {
        disk.remove(stray)?;
    }
    Ok(file.len() as u64)
}

/// Why a checkpoint file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("it is shorter than its header ({0} bytes)")]
    Short(usize),
    #[error("it does not start with the checkpoint mark")]
    Magic,
    #[error("it holds {found} bytes where its header says {expected}: cut short")]
    Length { found: u64, expected: u64 },
    #[error("its checksum does not match: damaged")]
    Checksum,
    #[error("its state does not decompress")]
    Compressed,
    #[error("it cannot be read: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads and verifies one checkpoint file.
pub fn read(disk: &dyn Disk, name: &str) -> Result<Checkpoint, Unusable> {
    let bytes = read_all(disk, name)?;
    if bytes.len() < HEAD {
        return Err(Unusable::Short(bytes.len()));
    }
    if &bytes[..8] != MAGIC {
        return Err(Unusable::Magic);
    }
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        b
    };
    let seq = u64::from_be_bytes(word(8));
    let made_ms = i64::from_be_bytes(word(16));
    let expected = u64::from_be_bytes(word(24));
    let crc = u32::from_be_bytes([bytes[32], bytes[33], bytes[34], bytes[35]]);
    let payload = &bytes[HEAD..];
    if payload.len() as u64 != expected {
        return Err(Unusable::Length {
            found: payload.len() as u64,
            expected,
        });
    }
    if crc32fast::hash(payload) != crc {
        return Err(Unusable::Checksum);
    }
    let state = decompress_limited(payload, MAX_STATE).ok_or(Unusable::Compressed)?;
    Ok(Checkpoint {
        name: name.to_string(),
        seq,
        made_ms,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::super::disk::SimDisk;
    use super::*;

    #[test]
    fn the_newest_good_checkpoint_is_found_and_a_damaged_one_is_told_apart() {
        let disk = SimDisk::new();
        for seq in [10, 20, 30, 40] {
            let state = format!("state at {seq}").repeat(50);
            write(&disk, seq, 1_000 * seq as i64, state.as_bytes(), 3).unwrap();
        }
        assert_eq!(
            names(&disk).unwrap(),
            [
                "checkpoint-00000000000000000040.ckpt",
                "checkpoint-00000000000000000030.ckpt",
                "checkpoint-00000000000000000020.ckpt",
            ],
            "the newest three are kept"
        );
        let newest = read(&disk, &names(&disk).unwrap()[0]).unwrap();
        assert_eq!((newest.seq, newest.made_ms), (40, 40_000));
        assert_eq!(newest.state, "state at 40".repeat(50).as_bytes());

        // One byte flipped in the newest, the next one cut short.
        let [a, b, _] = <[String; 3]>::try_from(names(&disk).unwrap()).unwrap();
        let mut damaged = read_all(&disk, &a).unwrap();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        disk.write_synced(&a, &damaged).unwrap();
        let short = read_all(&disk, &b).unwrap();
        disk.write_synced(&b, &short[..short.len() - 3]).unwrap();
        assert!(matches!(read(&disk, &a), Err(Unusable::Checksum)));
        assert!(matches!(read(&disk, &b), Err(Unusable::Length { .. })));
        disk.write_synced(&b, b"SWCK").unwrap();
        assert!(matches!(read(&disk, &b), Err(Unusable::Short(4))));
    }

    #[test]
    fn a_crash_while_writing_leaves_the_previous_checkpoint_whole() {
        let disk = SimDisk::new();
        write(&disk, 5, 0, b"five", 2).unwrap();
        // The next one is half written when the power goes: its temporary file never got
        // its name.
        disk.append("checkpoint-00000000000000000009.ckpt.tmp", b"SWCKPT01\0\0")
            .unwrap();
        let after = disk.crash(|_, pending| pending);
        assert_eq!(
            names(&after).unwrap(),
            ["checkpoint-00000000000000000005.ckpt"]
        );
        assert_eq!(
            read(&after, &names(&after).unwrap()[0]).unwrap().state,
            b"five"
        );
    }
}
