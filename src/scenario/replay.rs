//! Replays a scenario: every message, generated or read from files, goes through the real
//! engine at its virtual time; the ledger follows the lists and their receipts; then the tax
//! rules treat every exported line and the year figures are assessed. Outputs are written
//! by `report`.

use super::report::{self, Writers};
use super::traffic::{Event, Generator, days};
use super::{Scenario, ScenarioError, file_error};
use crate::check::{check_bytes_in, note_related};
use crate::engine::ledger::Ledger;
use crate::engine::{EngineConfig, Profile, SingleWindow};
use crate::model::Message;
use crate::model::registry::Registry;
use crate::model::schema::{documents_member, find_text};
use crate::rules::{Context, Params, Related};
use crate::tax::annual::Year;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use std::path::{Path, PathBuf};

/// What a replay did, besides the files it wrote.
#[derive(Debug)]
pub struct Replay {
    pub parcels: u64,
    /// Messages played through the engine.
    pub messages: u64,
    pub receipts: u64,
    pub ledger: Ledger,
    pub years: Vec<Year>,
    /// Wall-clock seconds spent playing the traffic and writing the outputs (for the
    /// terminal only: never written to an output file).
    pub seconds: (f64, f64),
}

/// A message read from a file, with the documents the e-port accepted.
struct FileEvent {
    at: NaiveDateTime,
    message: Message<'static>,
    accepted: Vec<bool>,
}

/// How long after the last event the engine is left to run (reviews, inspections, closing).
const SETTLE_DAYS: i64 = 7;

/// Runs the scenario and writes every output into `out`. `progress` is told the parcels
/// made so far and the total after each day.
pub fn run(
    scenario: &Scenario,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Replay, ScenarioError> {
    let spec = &scenario.spec;
    let started = std::time::Instant::now();
    let files = read_messages(scenario)?;
    let c = &spec.customs;
    let config = EngineConfig {
        wait_window: Duration::minutes(c.wait_window_minutes.max(0)),
        release_waits_for_arrival: c.release_waits_for_arrival,
        profile: Profile {
            seed: spec.seed,
            review_per_mille: c.review_per_mille,
            inspection_per_mille: c.inspection_per_mille,
            refusal_per_mille: c.refusal_per_mille,
            jitter_per_mille: c.jitter_per_mille,
            ..Profile::default()
        },
        ..EngineConfig::default()
    };
    // The single window keeps the ledger of declarations beside its engine.
    let mut window = SingleWindow::new(config, Params::default());
    let mut writers = Writers::create(out, spec.report.receipts)?;
    let mut generator = Generator::new(spec);
    let total = generator.total_parcels();
    let first = files
        .first()
        .map_or(spec.period.from, |f| f.at.date().min(spec.period.from));
    let last = files
        .last()
        .map_or(spec.period.to, |f| f.at.date().max(spec.period.to));
    let (mut parcels, mut messages, mut receipts) = (0u64, 0u64, 0u64);
    let mut file_events = files.into_iter().peekable();
    // One day more than the period, for the departure of its last day's parcels.
    let end = last.succ_opt().unwrap_or(last);
    let period_end = spec.period.to;
    // The traffic of each day is made on a second thread while the engine plays the day
    // before: the same events in the same order, only sooner.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(NaiveDate, u64, Vec<Event>)>(4);
    let maker = std::thread::spawn(move || {
        for day in days(first, end) {
            let mut events = Vec::new();
            let made = generator.day(day, &mut events);
            let made = if day <= period_end { made } else { 0 };
            if tx.send((day, made, events)).is_err() {
                return;
            }
        }
    });
    for (day, made, events) in rx {
        parcels += made;
        let mut todays_files = Vec::new();
        while let Some(f) = file_events.next_if(|f| f.at.date() <= day) {
            todays_files.push(f);
        }
        // Files and generated events merged in time order (files first at equal times).
        let mut fi = todays_files.iter().peekable();
        let mut gi = events.iter().peekable();
        loop {
            let take_file = match (fi.peek(), gi.peek()) {
                (Some(f), Some(g)) => f.at <= g.at,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (at, message, accepted): (_, _, &[bool]) = if take_file {
                let Some(f) = fi.next() else { break };
                (f.at, &f.message, &f.accepted)
            } else {
                let Some(g) = gi.next() else { break };
                (g.at, &g.message, &[])
            };
            let keep = |k: usize| !take_file || accepted.get(k).copied().unwrap_or(false);
            for o in window.play(message, at, keep) {
                writers.receipt(&o)?;
                receipts += 1;
            }
            messages += 1;
        }
        progress(parcels, total);
    }
    if maker.join().is_err() {
        return Err(ScenarioError::Invalid(
            "the traffic generator stopped unexpectedly".into(),
        ));
    }
    let settle = end.and_hms_opt(23, 59, 59).unwrap_or_default() + Duration::days(SETTLE_DAYS);
    for o in window.advance(settle) {
        writers.receipt(&o)?;
        receipts += 1;
    }
    let played = started.elapsed().as_secs_f64();
    let years = report::write_all(scenario, window.ledger(), &mut writers)?;
    let written = started.elapsed().as_secs_f64() - played;
    Ok(Replay {
        seconds: (played, written),
        parcels,
        messages,
        receipts,
        ledger: window.into_ledger(),
        years,
    })
}

/// Reads, checks and times the scenario's message files (sorted by time, then file name).
fn read_messages(scenario: &Scenario) -> Result<Vec<FileEvent>, ScenarioError> {
    let mut files = Vec::new();
    for m in &scenario.spec.messages {
        collect(&scenario.resolve(&m.path), &mut files)?;
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    files.sort();
    let loaded;
    let registry = match &scenario.spec.registry {
        Some(p) => {
            let path = scenario.resolve(p);
            loaded = Registry::load(&path).map_err(|e| file_error(&path, e))?;
            &loaded
        }
        None => Registry::shipped(),
    };
    let params = Params::default();
    let alone = Context {
        registry,
        params: &params,
        related: None,
    };
    let mut contents = Vec::new();
    let mut related = Related::default();
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| file_error(f, e))?;
        note_related(&bytes, &alone, &mut related);
        contents.push(bytes);
    }
    let ctx = Context {
        registry,
        params: &params,
        related: Some(&related),
    };
    let mut out = Vec::new();
    for (f, bytes) in files.iter().zip(&contents) {
        let Ok(prepared) = crate::ceb::prepare(bytes) else {
            return Err(file_error(f, "not a readable CEB message"));
        };
        let decoded = crate::ceb::decode_str(&prepared.text);
        let Some(message) = decoded.message else {
            return Err(file_error(f, "not a readable CEB message"));
        };
        let root = message.as_element();
        let at = documents_member(root)
            .and_then(|d| root.child(d, 0))
            .and_then(|doc| find_text(doc, "appTime"))
            .and_then(crate::model::time::parse_digits)
            .ok_or_else(|| file_error(f, "no appTime to play the message at"))?;
        let report = check_bytes_in(bytes, at, &ctx);
        let mut accepted = Vec::new();
        for d in report.documents.iter().filter(|d| d.index > 0) {
            let k = d.index - 1;
            if accepted.len() <= k {
                accepted.resize(k + 1, false);
            }
            accepted[k] = d.accepted;
        }
        out.push(FileEvent {
            at,
            message: message.into_static(),
            accepted,
        });
    }
    out.sort_by_key(|f| f.at);
    Ok(out)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    let meta = std::fs::metadata(path).map_err(|e| file_error(path, e))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|e| file_error(path, e))?;
    for entry in entries {
        let p = entry.map_err(|e| file_error(path, e))?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "xml") {
            out.push(p);
        }
    }
    Ok(())
}
