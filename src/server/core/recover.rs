//! Start-up: the newest checkpoint that reads back whole (a damaged or half-written one is
//! skipped for the one before, saying which and why), then the log after it, played through
//! the engine as it was played the first time. Every receipt after the checkpoint is made
//! again, with the same ids and bytes, so the stored ones from before the crash are dropped
//! first (they were stored in chunks cut differently).

use super::engine::{EngineState, work_of};
use super::receipts::encode;
use crate::engine::EngineConfig;
use crate::model::registry::Registry;
use crate::rules::{Context, Params};
use crate::server::metrics::Metrics;
use crate::store::{Store, StoreError, checkpoint};
use chrono::NaiveDateTime;
use std::sync::atomic::Ordering;
use std::time::Instant;

pub(super) struct Recovered {
    pub state: EngineState,
    /// The server's time starts here: no earlier than anything it did before.
    pub clock_floor: NaiveDateTime,
}

pub(super) fn recover(
    store: &Store,
    config: EngineConfig,
    params: Params,
    registry: &Registry,
    metrics: &Metrics,
) -> Result<Recovered, StoreError> {
    let started = Instant::now();
    // The e-port's checks of the entries replayed run with the parameters of live ingest.
    let check_params = params.clone();
    let disk = store.disk().as_ref();
    let mut loaded = None;
    for name in checkpoint::names(disk)? {
        let state = checkpoint::read(disk, &name)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                EngineState::restore(&c.state, config.clone(), params.clone())
                    .map(|s| (c, s))
                    .map_err(|e| e.to_string())
            });
        match state {
            Ok(found) => {
                loaded = Some(found);
                break;
            }
            Err(why) => tracing::warn!(
                checkpoint = %name,
                reason = %why,
                "a checkpoint cannot be used; trying the one before"
            ),
        }
    }
    let (mut state, from) = match loaded {
        Some((c, state)) => {
            tracing::info!(
                checkpoint = %c.name,
                seq = state.seq(),
                bytes = c.state.len(),
                ms = started.elapsed().as_millis() as u64,
                "loaded the newest good checkpoint"
            );
            (state, c.name)
        }
        None => (EngineState::new(config, params), "no checkpoint".into()),
    };
    // Settled records are read as the first run read them: attached before the replay.
    state
        .window_mut()
        .attach_cold(std::sync::Arc::new(store.clone()));
    let loaded_ms = started.elapsed().as_millis() as u64;
    // The log must go on from just after the checkpoint.
    let first = store.segments().first().map_or(1, |s| s.first);
    if first > state.seq() + 1 {
        return Err(StoreError::Gap {
            covered: state.seq(),
            first,
        });
    }
    store.drop_receipts_from(state.next_id())?;
    let ctx = Context {
        registry,
        params: &check_params,
        related: None,
    };
    let replay_started = Instant::now();
    let mut out = Vec::new();
    let mut last_stored = None;
    let mut replayed = 0u64;
    for item in store.log_from(state.seq() + 1) {
        let (seq, entry) = item?;
        let work = work_of(&entry, &ctx);
        state.apply(seq, entry.stored, work, &mut out);
        last_stored = Some(entry.stored);
        replayed += 1;
        if out.len() >= 4096 {
            store.put_receipts(&encode(std::mem::take(&mut out)), state.clock())?;
        }
    }
    store.put_receipts(&encode(out), state.clock())?;
    let floor = [state.clock(), last_stored, store.receipts_clock()?]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default();
    let w = state.window().working_set();
    tracing::info!(
        from = %from,
        checkpoint_ms = loaded_ms,
        replayed,
        replay_ms = replay_started.elapsed().as_millis() as u64,
        receipts = state.next_id() - 1,
        open_lists = w.lists,
        timers = w.timers,
        "the engine is where it was"
    );
    metrics.replayed_entries.store(replayed, Ordering::Relaxed);
    Ok(Recovered {
        state,
        clock_floor: floor,
    })
}
