//! Lifecycle cases as data: each `seeds/lifecycle/*.toml` sends seed messages to the engine at
//! given times and states every receipt customs sends, in order
//! (`TIME ROOT KEY STATUS [start of returnInfo]`). Customs runs without review, inspection or
//! delay spread here, so times are exact.

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;
use single_window::ceb::{decode_str, prepare};
use single_window::engine::{EngineConfig, Profile, SingleWindow};
use single_window::rules::Params;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    release_waits_for_arrival: Option<bool>,
    step: Vec<Step>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    /// `YYYY-MM-DDThh:mm:ss`.
    at: String,
    send: String,
}

impl Step {
    fn time(&self) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&self.at, "%Y-%m-%dT%H:%M:%S")
            .unwrap_or_else(|e| panic!("step time {}: {e}", self.at))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    receipts: Vec<String>,
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

fn run(case: &Case) -> Vec<(String, String)> {
    let config = EngineConfig {
        release_waits_for_arrival: case.release_waits_for_arrival.unwrap_or(true),
        profile: Profile {
            review_per_mille: 0,
            inspection_per_mille: 0,
            jitter_per_mille: 0,
            ..Profile::default()
        },
        ..EngineConfig::default()
    };
    let mut engine = SingleWindow::new(config, Params::default());
    let mut out = Vec::new();
    for step in &case.step {
        let bytes = std::fs::read(seeds().join(&step.send))
            .unwrap_or_else(|e| panic!("{}: {e}", step.send));
        let prepared = prepare(&bytes).unwrap_or_else(|_| panic!("{} is readable", step.send));
        let decoded = decode_str(&prepared.text);
        let message = decoded
            .message
            .unwrap_or_else(|| panic!("{} decodes", step.send));
        out.extend(engine.play(&message, step.time(), |_| true));
    }
    let last = case
        .step
        .last()
        .map_or_else(NaiveDateTime::default, Step::time);
    out.extend(engine.advance(last + Duration::days(7)));
    out.iter()
        .map(|o| {
            let head = format!(
                "{} {} {} {}",
                o.due.format("%Y-%m-%d %H:%M:%S"),
                o.root,
                o.key(),
                o.status
            );
            (head, o.info().to_string())
        })
        .collect()
}

#[test]
fn every_lifecycle_case_gives_exactly_the_receipts_it_states() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(seeds().join("lifecycle"))
        .expect("seeds/lifecycle")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for path in files {
        let text = std::fs::read_to_string(&path).expect("case readable");
        let case: Case =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!case.description.is_empty());
        let got = run(&case);
        let shown = got
            .iter()
            .map(|(h, i)| format!("{h} {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            got.len(),
            case.expect.receipts.len(),
            "{}:\n{shown}",
            path.display()
        );
        for ((head, info), expected) in got.iter().zip(&case.expect.receipts) {
            let rest = expected.strip_prefix(head.as_str()).map(str::trim_start);
            assert!(
                rest.is_some_and(|r| info.starts_with(r)),
                "{}: expected {expected}\n got:\n{shown}",
                path.display()
            );
        }
    }
}
