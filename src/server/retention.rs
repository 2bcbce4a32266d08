//! Receipt retention: a receipt is removed once it is older than `receipt_retention_minutes`
//! (by the server's time) and its enterprise has it — delivered by push or file drop (the
//! channel's cursor passed it, or the enterprise skipped it with `DELETE /push`) or pulled
//! (the enterprise asked for receipts after it, which says it has it). A receipt past retention that its enterprise does not have yet is kept,
//! for as long as it takes, and counted in `sw_receipts_past_retention{dxp_id}`: nothing is
//! dropped unseen.
//!
//! Every minute the sweep notes "receipts up to id N were stored by time T", so the age of a
//! receipt is known without reading it.

use super::App;
use crate::store::{Store, StoreError};
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How often the sweep runs.
const EVERY: Duration = Duration::from_secs(60);

/// The highest `after` each enterprise has pulled from: it has every receipt up to it.
#[derive(Default)]
pub struct Pulled(Mutex<HashMap<String, u64>>);

impl Pulled {
    /// What the store kept of it.
    pub fn load(store: &Store, dxps: impl Iterator<Item = String>) -> Result<Pulled, StoreError> {
        let mut map = HashMap::new();
        for dxp in dxps {
            let at = store.counter(&pulled_name(&dxp))?;
            map.insert(dxp, at);
        }
        Ok(Pulled(Mutex::new(map)))
    }

    /// `dxp` asked for receipts after `after`.
    pub fn note(&self, dxp: &str, after: u64) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(dxp) {
            Some(at) => *at = (*at).max(after),
            None => {
                map.insert(dxp.to_string(), after);
            }
        }
    }

    pub fn get(&self, dxp: &str) -> u64 {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(dxp).copied().unwrap_or(0)
    }

    /// Keeps what was noted, so a restart does not forget who has what.
    fn save(&self, store: &Store) -> Result<(), StoreError> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (dxp, at) in map {
            store.set_counter(&pulled_name(&dxp), at)?;
        }
        Ok(())
    }
}

fn pulled_name(dxp: &str) -> String {
    format!("pulled/{dxp}")
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub removed: u64,
    /// Receipts past retention kept because their enterprise does not have them yet.
    pub past_retention: Vec<(String, u64)>,
}

/// Notes that receipts up to `latest` were stored by `now`, then removes those stored
/// before `now - retention` that their enterprise has (`has(dxp)`: every id up to it).
pub fn sweep(
    store: &Store,
    now: NaiveDateTime,
    latest: u64,
    retention: chrono::Duration,
    has: impl Fn(&str) -> u64,
) -> Result<Swept, StoreError> {
    store.mark_receipts(now, latest)?;
    let old = store.receipts_stored_before(now - retention)?;
    let mut swept = Swept::default();
    if old == 0 {
        return Ok(swept);
    }
    for dxp in store.receipt_holders()? {
        let had = has(&dxp);
        swept.removed += store.remove_receipts_through(&dxp, old.min(had))?;
        if had < old {
            let waiting = store.receipts_between(&dxp, had, old)?;
            if waiting > 0 {
                swept.past_retention.push((dxp, waiting));
            }
        }
    }
    Ok(swept)
}

/// Sweeps every minute until `stop`.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let retention =
        chrono::Duration::minutes(app.config.receipt_retention_minutes.min(i64::MAX as u64) as i64);
    while !*stop.borrow() {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {},
            _ = stop.changed() => return,
        }
        let app = app.clone();
        let done = tokio::task::spawn_blocking(move || {
            let Some(now) = app.store.receipts_clock()? else {
                return Ok(Swept::default());
            };
            let latest = *app.core.latest.borrow();
            let has = |dxp: &str| {
                let delivered = app
                    .channels
                    .iter()
                    .filter(|c| c.dxp == dxp)
                    .map(|c| c.state().cursor);
                delivered.fold(app.pulled.get(dxp), u64::max)
            };
            let swept = sweep(&app.store, now, latest, retention, has)?;
            app.pulled.save(&app.store)?;
            app.metrics.note_retention(&swept);
            Ok::<_, StoreError>(swept)
        })
        .await;
        match done {
            Ok(Ok(s)) if s.removed > 0 => {
                tracing::info!(removed = s.removed, "receipts past retention removed")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "receipt retention: sweep failed"),
            Err(e) => tracing::warn!(error = %e, "receipt retention: sweep stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredReceipt;

    fn receipt(id: u64) -> StoredReceipt {
        StoredReceipt {
            id,
            time: String::new(),
            root: "CEB304Message".into(),
            status: "2".into(),
            key: String::new(),
            answers: String::new(),
            info: String::new(),
            en: String::new(),
            xml: format!("<r>{id}</r>"),
        }
    }

    #[test]
    fn old_receipts_go_once_their_enterprise_has_them_and_the_others_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let t0 = chrono::NaiveDate::from_ymd_opt(2025, 3, 10)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap();
        let minutes = chrono::Duration::minutes;
        // Receipts 1–4 stored by t0 (A pulled 1–3, B nothing), 5–6 an hour later.
        for (dxp, ids) in [("A", [1, 3]), ("B", [2, 4])] {
            let rs: Vec<_> = ids.iter().map(|i| (dxp.to_string(), receipt(*i))).collect();
            store.put_receipts(&rs[..1], None).unwrap();
            store.put_receipts(&rs[1..], None).unwrap();
        }
        let has = |dxp: &str| if dxp == "A" { 3 } else { 0 };
        let first = sweep(&store, t0, 4, minutes(30), has).unwrap();
        assert_eq!(first, Swept::default(), "nothing is old yet");
        store
            .put_receipts(&[("A".into(), receipt(5)), ("B".into(), receipt(6))], None)
            .unwrap();
        let later = sweep(&store, t0 + minutes(60), 6, minutes(30), has).unwrap();
        assert_eq!(later.removed, 2, "A's 1 and 3");
        assert_eq!(later.past_retention, vec![("B".to_string(), 2)]);
        let ids = |dxp: &str| -> Vec<u64> {
            store
                .receipts_after(dxp, 0, 100)
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids("A"), [5]);
        assert_eq!(ids("B"), [2, 4, 6]);
        // Once B has them, they go too; the young ones stay.
        let all = sweep(&store, t0 + minutes(61), 6, minutes(30), |_| 6).unwrap();
        assert_eq!(all.removed, 2);
        assert!(all.past_retention.is_empty());
        assert_eq!(ids("B"), [6]);
    }
}
