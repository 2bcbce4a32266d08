//! Golden cases: every message under `seeds/messages/invalid` states in a leading comment what
//! checking it must find (`expect: CODE PATH at LINE:COLUMN`, one line per finding, errors and
//! warnings; `at FIRST-LAST:COLUMN` for one on each of those lines) and what the single window answers (`receipt: ROOT STATUS[,STATUS…]`, one status
//! per document). Files in `valid/` state nothing and must be accepted without any finding.
//! All seeds are checked together, as `single-window check seeds/messages` does, so the rules
//! linking documents (a list and its order) see each other. The CLI is exercised too.

use chrono::NaiveDate;
use single_window::check::{check_bytes_in, note_related};
use single_window::model::MessageType;
use single_window::model::registry::Registry;
use single_window::rules::catalog::RULES;
use single_window::rules::{Context, Params, Related};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/messages")
}

fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("seed folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

/// The lines of a seed's comment that start with `key`.
fn stated(bytes: &[u8], key: &str) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| l.trim().strip_prefix(key))
        .map(str::to_string)
        .collect()
}

/// `CODE PATH at FIRST-LAST:COLUMN` stands for one finding on each line from FIRST to LAST
/// (a seed with a thousand findings states them in one line).
fn expand(expected: &str) -> Vec<String> {
    let lines = expected.rsplit_once(" at ").and_then(|(head, place)| {
        let (lines, column) = place.split_once(':')?;
        let (first, last) = lines.split_once('-')?;
        let (first, last): (u32, u32) = (first.parse().ok()?, last.parse().ok()?);
        Some(
            (first..=last)
                .map(|l| format!("{head} at {l}:{column}"))
                .collect(),
        )
    });
    lines.unwrap_or_else(|| vec![expected.to_string()])
}

struct Outcome {
    expected: Vec<String>,
    found: Vec<String>,
    expected_receipt: Vec<String>,
    /// `ROOT STATUS,STATUS…` as answered.
    receipt: String,
    all_accepted: bool,
}

/// What all the seeds together say about orders and receipts.
fn related() -> &'static Related {
    static RELATED: OnceLock<Related> = OnceLock::new();
    RELATED.get_or_init(|| {
        let params = Params::default();
        let alone = Context {
            registry: Registry::shipped(),
            params: &params,
            related: None,
        };
        let mut related = Related::default();
        for dir in ["valid", "invalid"] {
            for path in xml_files(&seeds().join(dir)) {
                note_related(
                    &std::fs::read(path).expect("seed readable"),
                    &alone,
                    &mut related,
                );
            }
        }
        related
    })
}

fn check_seed(path: &Path) -> Outcome {
    let bytes = std::fs::read(path).expect("seed readable");
    let now = NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid time");
    let params = Params::default();
    let ctx = Context {
        registry: Registry::shipped(),
        params: &params,
        related: Some(related()),
    };
    let report = check_bytes_in(&bytes, now, &ctx);
    let found: Vec<String> = report
        .documents
        .iter()
        .flat_map(|d| d.diagnostics.iter())
        .map(|d| {
            let path = if d.path.is_empty() { "-" } else { &d.path };
            format!("{} {path} at {}:{}", d.code, d.line, d.column)
        })
        .collect();
    let statuses: Vec<&str> = report
        .documents
        .iter()
        .map(|d| d.return_status.as_str())
        .collect();
    Outcome {
        expected: stated(&bytes, "expect: ")
            .iter()
            .flat_map(|e| expand(e))
            .collect(),
        found,
        expected_receipt: stated(&bytes, "receipt: "),
        receipt: format!(
            "{} {}",
            report.receipt.map_or("none", |r| r.root),
            statuses.join(",")
        ),
        all_accepted: report.documents.iter().all(|d| d.accepted),
    }
}

#[test]
fn valid_seeds_are_accepted_and_cover_every_business_message() {
    let mut covered = BTreeSet::new();
    for path in xml_files(&seeds().join("valid")) {
        let o = check_seed(&path);
        assert!(
            o.expected.is_empty() && o.expected_receipt.is_empty(),
            "{}: valid seeds state nothing",
            path.display()
        );
        assert!(
            o.found.is_empty() && o.all_accepted,
            "{}: {:#?}",
            path.display(),
            o.found
        );
        let root = o.receipt.split(' ').next().unwrap_or_default();
        let answered = MessageType::ALL
            .into_iter()
            .find(|t| t.receipt_type().map(MessageType::root_name) == Some(root))
            .unwrap_or_else(|| panic!("{}: answered with {root}", path.display()));
        covered.insert(answered);
    }
    let business: BTreeSet<MessageType> = MessageType::ALL
        .into_iter()
        .filter(|t| !t.is_receipt())
        .collect();
    assert_eq!(
        covered, business,
        "a valid seed for every enterprise → customs message"
    );
}

#[test]
fn invalid_seeds_find_exactly_what_they_state() {
    let files = xml_files(&seeds().join("invalid"));
    assert!(files.len() >= 15);
    for path in files {
        let o = check_seed(&path);
        assert!(
            !o.expected.is_empty(),
            "{}: an invalid seed states what is wrong",
            path.display()
        );
        assert_eq!(o.found, o.expected, "{}", path.display());
        assert_eq!(vec![o.receipt], o.expected_receipt, "{}", path.display());
    }
}

#[test]
fn every_rule_has_a_failing_seed_and_a_passing_one() {
    let stated: BTreeSet<String> = xml_files(&seeds().join("invalid"))
        .iter()
        .flat_map(|p| stated(&std::fs::read(p).expect("seed readable"), "expect: "))
        .filter_map(|e| e.split(' ').next().map(str::to_string))
        .collect();
    let valid: Vec<MessageType> = xml_files(&seeds().join("valid"))
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            MessageType::ALL
                .into_iter()
                .find(|t| name.starts_with(t.label()))
        })
        .collect();
    for rule in RULES {
        assert!(
            stated.contains(rule.code),
            "no invalid seed shows {}",
            rule.code
        );
        // Valid seeds give no finding at all (tested above); one must be a message the rule judges.
        assert!(
            rule.messages.is_empty() || rule.messages.iter().any(|m| valid.contains(m)),
            "no valid seed of a message {} applies to",
            rule.code
        );
    }
}

#[test]
fn cli_check_reports_and_writes_receipts() {
    let bin = env!("CARGO_BIN_EXE_single-window");
    // Nothing to check is a usage error, never a silent success.
    let empty = tempfile::tempdir().expect("temp dir");
    for path in [empty.path().to_path_buf(), empty.path().join("missing")] {
        let out = Command::new(bin)
            .arg("check")
            .arg(&path)
            .output()
            .expect("binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        assert!(stderr.contains(&*path.to_string_lossy()), "{stderr}");
    }
    let out = Command::new(bin)
        .arg("check")
        .arg(seeds().join("valid"))
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0 error(s)") && stdout.contains("accepted"),
        "{stdout}"
    );
    // The 9610, 9710 and 9810 parcels of the valid folder each reach 结关 at customs.
    for order in ["ORD202503100001", "B2B202503100001", "OWB202503100001"] {
        let closed = stdout
            .lines()
            .any(|l| l.contains(order) && l.contains("  899  结关"));
        assert!(closed, "{order} not closed:\n{stdout}");
    }
    assert!(stdout.contains("0 refusal(s)"), "{stdout}");

    // Its receipts, e-port and customs ones, are written and read back as valid messages.
    let all = tempfile::tempdir().expect("temp dir");
    let out = Command::new(bin)
        .arg("check")
        .arg("--receipts")
        .arg(all.path())
        .arg(seeds().join("valid"))
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0));
    let written: Vec<PathBuf> = std::fs::read_dir(all.path())
        .expect("receipts written")
        .map(|e| e.expect("entry").path())
        .collect();
    let customs = written
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("customs-"))
        })
        .count();
    // 28 for the parcels, then the summary (702, 792) and the return (214, 216).
    assert_eq!(customs, 32, "{written:?}");
    for kind in [
        "CEB702Message.120",
        "CEB792Message",
        "CEB214Message.800",
        "CEB216Message.399",
    ] {
        assert!(
            written.iter().any(|p| p.to_string_lossy().contains(kind)),
            "a {kind} receipt: {written:?}"
        );
    }
    for path in &written {
        let xml = std::fs::read_to_string(path).expect("receipt readable");
        let d = single_window::ceb::decode_str(&xml);
        assert!(
            d.diagnostics.is_empty() && d.message.is_some(),
            "{}: {:#?}",
            path.display(),
            d.diagnostics
        );
    }

    let receipts = tempfile::tempdir().expect("temp dir");
    let out = Command::new(bin)
        .arg("check")
        .arg("--receipts")
        .arg(receipts.path())
        .arg(seeds().join("invalid/CEB603-missing-orderNo.xml"))
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a rejected document makes the exit code 1"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("E-XML-MISSING") && stdout.contains("18:4"),
        "{stdout}"
    );
    let written: Vec<PathBuf> = std::fs::read_dir(receipts.path())
        .expect("receipts written")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let receipt = std::fs::read_to_string(&written[0]).expect("receipt readable");
    assert!(
        receipt.contains("CEB604Message")
            && receipt.contains("<ceb:returnStatus>-602001</ceb:returnStatus>"),
        "{receipt}"
    );

    let check_json = |path: &Path| -> Vec<serde_json::Value> {
        let out = Command::new(bin)
            .args(["check", "--json"])
            .arg(path)
            .output()
            .expect("binary runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    };
    let docs = check_json(&seeds().join("invalid/CEB603-second-list-bad.xml"));
    assert_eq!(docs.len(), 2, "one object per document");
    assert_eq!(docs[0]["message"], "CEB603");
    // Alone in the run, the accepted list never sees its order and waybill: customs sends it
    // back when the waiting window ends, and says so on the document's own object.
    let customs = docs[0]["customs"].as_array().expect("customs receipts");
    assert_eq!(customs.len(), 1, "{customs:?}");
    assert_eq!(customs[0]["returnStatus"], "100");
    assert!(
        customs[0]["returnInfo"]
            .as_str()
            .is_some_and(|i| i.contains("未收到订单、运单")),
        "{customs:?}"
    );
    assert!(
        customs[0]["en"]
            .as_str()
            .is_some_and(|i| i.starts_with("Sent back: no order, waybill came within 120 minutes")),
        "{customs:?}"
    );
    // Over every seed, a refused document has no customs receipt, even when it shares its
    // GUID with a valid seed that customs answered.
    let all = check_json(&seeds());
    let answered = |d: &serde_json::Value| d["customs"].as_array().is_some_and(|c| !c.is_empty());
    assert!(all.iter().any(answered));
    let wrong: Vec<&serde_json::Value> = all
        .iter()
        .filter(|d| d["accepted"] == false && answered(d))
        .collect();
    assert!(wrong.is_empty(), "{:?}", wrong.first().map(|d| &d["file"]));
    // The e-port's refusal in English too, naming the rule as the Chinese does.
    assert!(
        docs[1]["en"]
            .as_str()
            .is_some_and(|i| i.starts_with("[E-XML-NUMBER") && i.contains("is not a number")),
        "{}",
        docs[1]
    );
    assert_eq!(
        docs[1]["customs"].as_array().map(Vec::len),
        Some(0),
        "the rejected list never reaches customs"
    );
    assert_eq!(docs[0]["accepted"], true);
    assert_eq!(docs[1]["accepted"], false);
    assert_eq!(docs[1]["returnStatus"], "-602001");
    // The key customs gives the list too: its platform and order.
    assert_eq!(docs[1]["key"], "4403966Z01 / ORD202503100002");
    assert!(
        docs[1]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("CEB603-second-list-bad.xml"))
    );
    let d = &docs[1]["diagnostics"][0];
    for key in [
        "code", "severity", "path", "line", "column", "found", "expected", "zh", "en",
    ] {
        assert!(!d[key].is_null(), "diagnostic has {key}: {d}");
    }
    assert_eq!(d["line"], 121, "the line the seed states");

    let out = Command::new(bin)
        .arg("check")
        .arg("no/such/file.xml")
        .output()
        .expect("binary runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "unreadable input is a usage error"
    );
}
