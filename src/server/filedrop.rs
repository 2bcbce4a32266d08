//! File drop, as the e-port's client software works: the enterprise drops messages into an
//! inbox folder; each is stored like a POST, then moved to the archive folder (or, refused, to
//! the error folder with a `.reason.txt` beside it); every receipt for the enterprise is
//! written to the outbox folder as `<id>.<root>.<returnStatus>.xml`, in id order. A file
//! that is not a readable CEB message is not stored: its CEB900 receipt is written to the
//! outbox as `<file name>.CEB900Message.xml`.
//!
//! Files whose names start with `.` are skipped, so a client can write `.name.xml` and rename
//! it when complete. A file larger than `max_body_bytes` goes to the error folder unread.
//!
//! A file is stored once: once its message is durable, a marker (name and checksum) is kept
//! in the store and flushed before the file is moved; while the move fails (another
//! filesystem, permissions) it is retried, with the marker saying the message is already in,
//! and the marker goes once the move succeeded. Only a crash in the moment between the
//! message becoming durable and its marker (or a stop at the end of its grace period in that
//! moment) stores it again on restart; the engine answers a document sent twice as a
//! duplicate and changes nothing.

use super::App;
use super::config::FileDropConfig;
use super::delivery::{self, Sink};
use super::ingest::{Refusal, submit};
use crate::store::StoredReceipt;
use axum::http::StatusCode;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Writes receipts into an outbox folder.
struct Outbox(PathBuf);

impl Sink for Outbox {
    async fn deliver(&self, r: &StoredReceipt) -> Result<(), String> {
        let name = format!("{:012}.{}.{}.xml", r.id, r.root, r.status);
        write_atomically(&self.0, &name, r.xml.as_bytes()).map_err(|e| e.to_string())
    }
}

/// Writes `dir/name` through a hidden temporary file, so readers never see half a file.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// Creates the folders and starts, for every file drop, the inbox watcher and the outbox
/// writer.
pub fn spawn_all(
    app: &Arc<App>,
    stop: &watch::Receiver<bool>,
    tasks: &mut JoinSet<()>,
) -> std::io::Result<()> {
    for f in &app.config.filedrop {
        for dir in [&f.inbox, &f.outbox, &f.archive, &f.error] {
            std::fs::create_dir_all(dir)?;
        }
        let Some(channel) = app.channel("filedrop", &f.dxp_id) else {
            continue;
        };
        tasks.spawn(delivery::run(
            channel,
            Outbox(f.outbox.clone()),
            app.delivery_env(stop),
            |m| &m.dropped,
        ));
        tasks.spawn(watch_inbox(app.clone(), f.clone(), stop.clone()));
    }
    Ok(())
}

async fn watch_inbox(app: Arc<App>, f: FileDropConfig, mut stop: watch::Receiver<bool>) {
    let poll = Duration::from_millis(f.poll_ms.max(10));
    while !*stop.borrow() {
        match waiting_files(&f.inbox) {
            Ok(files) => {
                for file in files {
                    if *stop.borrow() || !take(&app, &f, &file).await {
                        break;
                    }
                }
            }
            Err(e) => {
                tracing::error!(inbox = %f.inbox.display(), error = %e, "cannot list the inbox")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {},
            _ = stop.changed() => {},
        }
    }
}

/// The `*.xml` files of the inbox, by name.
fn waiting_files(inbox: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(inbox)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let xml = Path::new(name.as_ref())
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        if xml && !name.starts_with('.') && entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Stores one dropped file and moves it; false when the server is too busy (try later).
async fn take(app: &App, f: &FileDropConfig, file: &Path) -> bool {
    let Some(name) = file.file_name() else {
        return true;
    };
    let limit = app.config.max_body_bytes as u64;
    match std::fs::metadata(file) {
        Ok(m) if m.len() > limit => {
            let why = format!(
                "413 Payload Too Large\na message may have at most {limit} bytes (max_body_bytes); this file has {}\n",
                m.len()
            );
            report(file, refuse(f, name, &why));
            return true;
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "cannot read a dropped file");
            return true;
        }
    }
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "cannot read a dropped file");
            return true;
        }
    };
    let marker = marker_name(&f.dxp_id, name, &bytes);
    let already = app.store.counter(&marker).is_ok_and(|seq| seq > 0);
    if !already {
        match submit(app, &f.dxp_id, bytes.into()).await {
            Ok(stored) => {
                tracing::debug!(file = %file.display(), seq = stored.seq, "dropped file stored");
                let kept = app
                    .store
                    .set_counter(&marker, stored.seq)
                    .and_then(|()| app.store.flush_meta());
                if let Err(e) = kept {
                    tracing::error!(file = %file.display(), error = %e, "cannot mark a dropped file stored");
                }
            }
            Err(refusal) if refusal.status() == StatusCode::SERVICE_UNAVAILABLE => return false,
            Err(refusal) => {
                // Not a readable CEB message: its CEB900 goes to the outbox too, named after
                // the file (it was not stored, so it has no receipt id).
                if let Refusal::Receipt(xml) = &refusal {
                    let mut receipt = name.to_os_string();
                    receipt.push(".CEB900Message.xml");
                    let written = std::fs::write(f.outbox.join(receipt), xml);
                    report(file, written);
                }
                report(file, refuse(f, name, &refusal.text()));
                return true;
            }
        }
    }
    match std::fs::rename(file, f.archive.join(name)) {
        Ok(()) => {
            let cleared = app
                .store
                .remove_counter(&marker)
                .and_then(|()| app.store.flush_meta());
            if let Err(e) = cleared {
                tracing::warn!(file = %file.display(), error = %e, "cannot clear a dropped file's marker");
            }
        }
        // Stored already: the next look only tries the move again.
        Err(e) => report(file, Err(e)),
    }
    true
}

/// Moves a refused file to the error folder with its reason beside it.
fn refuse(f: &FileDropConfig, name: &std::ffi::OsStr, why: &str) -> std::io::Result<()> {
    let mut reason_name = name.to_os_string();
    reason_name.push(".reason.txt");
    std::fs::write(f.error.join(reason_name), why)
        .and_then(|()| std::fs::rename(f.inbox.join(name), f.error.join(name)))
}

fn report(file: &Path, moved: std::io::Result<()>) {
    if let Err(e) = moved {
        tracing::error!(file = %file.display(), error = %e, "cannot move a dropped file");
    }
}

/// The store's key for "this file, with these bytes, is stored".
fn marker_name(dxp: &str, name: &std::ffi::OsStr, bytes: &[u8]) -> String {
    format!(
        "filedrop-stored/{dxp}/{}/{}/{:08x}",
        name.to_string_lossy(),
        bytes.len(),
        crc32fast::hash(bytes)
    )
}
