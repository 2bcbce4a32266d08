//! Scenario replay end to end: the shipped analyst scenarios give their headline figures,
//! a replay is byte-identical when run again, --what-if changes what it should, generated
//! traffic is what the e-port accepts, and message files play through the same engine.

use single_window::check::{check_bytes_in, note_related};
use single_window::rules::{Context, Params, Related};
use single_window::scenario::replay::{self, Replay};
use single_window::scenario::report;
use single_window::scenario::traffic::{Generator, registry};
use single_window::scenario::{Scenario, ScenarioError};
use single_window::tax::annual::Year;
use std::path::{Path, PathBuf};

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds/scenarios")
        .join(name)
}

fn replay(name: &str, what_if: &[&str], out: &Path) -> (Scenario, Replay) {
    let changes: Vec<String> = what_if.iter().map(|s| s.to_string()).collect();
    let s = Scenario::load(&scenario_path(name), &changes).unwrap();
    let r = replay::run(&s, out, &mut |_, _| {}).unwrap();
    (s, r)
}

fn year<'a>(years: &'a [Year], enterprise: &str, y: i32) -> &'a Year {
    years
        .iter()
        .find(|x| x.enterprise == enterprise && x.year == y)
        .unwrap_or_else(|| panic!("no figures for {enterprise} {y}"))
}

fn metric(y: &Year, name: &str) -> String {
    report::metrics(y)
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// A small-scale 综试区 trading enterprise, as a scenario's `[[enterprise]]`.
fn zone_seller(code: &str) -> String {
    format!(
        "[[enterprise]]\ncode = \"{code}\"\n[[enterprise.period]]\nfrom = 2020-01-01\npilot_zone = true\nplatform_recording = true\ntaxpayer = \"small-scale\"\nkind = \"trading\"\n"
    )
}

/// Every `[[expect]]` of the scenario holds.
fn expectations_met(s: &Scenario, r: &Replay) {
    let checks = report::check_expectations(s, &r.years);
    assert!(
        !checks.is_empty(),
        "{} states no expected figures",
        s.spec.name
    );
    let failed: Vec<_> = checks.iter().filter(|c| !c.2).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn zone_retail_seller_without_invoices() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = replay("zone-retail-no-invoices.toml", &[], dir.path());
    expectations_met(&s, &r);
    let (y22, y23) = (
        year(&r.years, "4403960001", 2022),
        year(&r.years, "4403960001", 2023),
    );
    for y in [y22, y23] {
        // Every line 无票免税, nothing refunded or taxed, the 4 % method.
        assert_eq!(metric(y, "lines_exempt_no_invoice"), metric(y, "lines"));
        assert_eq!(metric(y, "vat_refund"), "0.00");
        assert_eq!(metric(y, "output_vat"), "0.00");
        assert_eq!(metric(y, "cit_method"), "deemed");
        assert_eq!(metric(y, "fx_standing"), "must register");
    }
    // The same kind of year: the ≤ 1 m band at 2.5 % in 2022 and 5 % in 2023.
    let cit = |y: &Year| y.cit.as_ref().and_then(|c| c.tax).unwrap();
    let taxable = |y: &Year| y.cit.as_ref().and_then(|c| c.taxable_income).unwrap();
    assert_eq!(
        cit(y22),
        single_window::tax::money(taxable(y22) * rust_decimal::Decimal::new(25, 3))
    );
    assert_eq!(
        cit(y23),
        single_window::tax::money(taxable(y23) * rust_decimal::Decimal::new(5, 2))
    );
    let small = year(&r.years, "4403960002", 2023);
    assert_eq!(metric(small, "fx_standing"), "exempt");
    // Every reason in Chinese as well as English: the treatments' (reasons.csv), CIT's, FX's.
    let han = |t: &str| t.contains(|c: char| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let csv = std::fs::read_to_string(dir.path().join("reasons.csv")).unwrap();
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("why,regime,lines,reasons,reasons_zh"));
    assert!(rows.clone().count() >= 1, "{csv}");
    for row in rows {
        let zh = row.rsplit(',').next().unwrap_or_default();
        assert!(han(zh) && zh.contains("条件"), "{row}");
    }
    for y in [y22, y23, small] {
        let said =
            (y.cit.iter().flat_map(|c| &c.reasons)).chain(y.fx.iter().flat_map(|f| &f.reasons));
        for reason in said {
            assert!(han(&reason.zh) && reason.zh != reason.en, "{reason:?}");
        }
    }
}

#[test]
fn seller_with_invoices_on_part_of_its_goods() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = replay("partial-invoices.toml", &[], dir.path());
    expectations_met(&s, &r);
    let y = year(&r.years, "3301960001", 2024);
    let n = |m: &str| metric(y, m).parse::<u64>().unwrap();
    assert!(n("lines_refund") > 0 && n("lines_exempt_no_invoice") > 0 && n("lines_taxed") > 0);
    assert!(
        n("lines_exempt") > 0,
        "late proceeds with an invoice: 96号 Art. 2"
    );
    assert_eq!(metric(y, "cit_method"), "book");
    // Book taxable income 1.4 m: 1 m × 5 % + 0.4 m × 5 % (2024).
    assert_eq!(metric(y, "cit_tax"), "70000.00");
    // Headsets always carry invoices: every retail headset line is refunded.
    let treatments = std::fs::read_to_string(dir.path().join("treatments.csv")).unwrap();
    let headsets: Vec<&str> = treatments
        .lines()
        .filter(|l| l.contains(",8517629900,") && l.contains(",9610,"))
        .collect();
    assert!(!headsets.is_empty());
    assert!(
        headsets
            .iter()
            .all(|l| l.contains(",refund,") || l.contains(",exempt,")),
        "{:?}",
        headsets.iter().find(|l| !l.contains(",refund,"))
    );
}

#[test]
fn overseas_warehouse_pre_refunded_then_reconciled() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = replay("overseas-warehouse-pre-refund.toml", &[], dir.path());
    expectations_met(&s, &r);
    let (y25, y26) = (
        year(&r.years, "3302960001", 2025),
        year(&r.years, "3302960001", 2026),
    );
    // January exports before 2025-01-27 are refunded once sold; the rest pre-refunded.
    assert!(metric(y25, "lines_refund").parse::<u64>().unwrap() > 0);
    assert!(metric(y25, "lines_pre_refund").parse::<u64>().unwrap() > 0);
    assert_eq!(metric(y25, "reconciliation_adjustment"), "0.00");
    // Reconciled in 2026: repayments and reductions, so the adjustment is negative.
    assert!(metric(y26, "reconciliation_adjustment").starts_with('-'));
    assert_eq!(metric(y26, "lines_provisional"), metric(y26, "lines"));
    assert_eq!(
        metric(y26, "cit_small_profit"),
        "false",
        "3.4 m is over the cliff"
    );
}

#[test]
fn replay_is_byte_identical() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    replay("partial-invoices.toml", &[], a.path());
    replay("partial-invoices.toml", &[], b.path());
    let mut names: Vec<String> = std::fs::read_dir(a.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let x = std::fs::read(a.path().join(&name)).unwrap();
        let y = std::fs::read(b.path().join(&name)).unwrap();
        assert!(x == y, "{name} differs between two replays");
    }
}

#[test]
fn what_if_changes_the_figures_it_should() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, base) = replay("zone-retail-no-invoices.toml", &[], a.path());
    let (s, alt) = replay(
        "zone-retail-no-invoices.toml",
        &[
            "enterprise.4403960001.period.0.pilot_zone=false",
            "traffic.1.parcels=0",
        ],
        b.path(),
    );
    assert_eq!(s.changes.len(), 2);
    // Out of the zone, no invoices: every line is a deemed domestic sale, and the deemed CIT
    // method no longer applies.
    let (x, y) = (
        year(&base.years, "4403960001", 2023),
        year(&alt.years, "4403960001", 2023),
    );
    assert_eq!(metric(x, "lines"), metric(y, "lines"), "same traffic");
    assert_eq!(metric(y, "lines_taxed"), metric(y, "lines"));
    assert_ne!(metric(y, "output_vat"), "0.00");
    assert_eq!(metric(y, "cit_method"), "book");
    let blocks = report::comparison(&s.changes, &base.years, &alt.years);
    let md = report::markdown(&blocks);
    assert!(
        md.contains("| 4403960001 | 2023 | lines_taxed | 0 | "),
        "{md}"
    );
    // The what-if's report marks the base's expectations it moved, and says what ✗ means.
    let report = std::fs::read_to_string(b.path().join("report.md")).unwrap();
    assert!(report.contains("| ✗ |"), "{report}");
    assert!(report.contains("✗ it is not"), "{report}");
    assert!(
        !alt.years
            .iter()
            .any(|y| y.enterprise == "4403960002" && y.lines > 0),
        "the second stream was switched off"
    );
}

#[test]
fn generated_traffic_passes_the_e_port_checks() {
    for (mode, from) in [
        ("9610", "2023-03-01"),
        ("9610", "2025-03-01"),
        ("9710", "2023-03-01"),
        ("9810", "2022-03-01"),
    ] {
        let text = format!(
            r#"
name = "t"
seed = 5
period = {{ from = "{from}", to = "{from}" }}
[[enterprise]]
code = "3301960001"
name = "杭州测试电子商务有限公司"
[[enterprise.period]]
from = 2020-01-01
taxpayer = "general"
kind = "trading"
[[traffic]]
enterprise = "3301960001"
parcels = 30
trade_mode = "{mode}"
customs = "2901"
value_scale = "2"
"#
        );
        let s = Scenario::from_text(&text, Path::new("t"), Path::new("."), &[]).unwrap();
        let mut g = Generator::new(&s.spec);
        let mut events = Vec::new();
        let day = s.spec.period.from;
        g.day(day, &mut events);
        g.day(day.succ_opt().unwrap(), &mut events);
        let reg = registry(&s.spec);
        let params = Params::default();
        let alone = Context {
            registry: &reg,
            params: &params,
            related: None,
        };
        let encoded: Vec<String> = events
            .iter()
            .map(|e| single_window::ceb::encode(e.message.as_element()))
            .collect();
        let mut related = Related::default();
        for m in &encoded {
            note_related(m.as_bytes(), &alone, &mut related);
        }
        let ctx = Context {
            registry: &reg,
            params: &params,
            related: Some(&related),
        };
        for (m, e) in encoded.iter().zip(&events) {
            let report = check_bytes_in(m.as_bytes(), e.at, &ctx);
            for d in &report.documents {
                assert!(
                    d.accepted,
                    "{mode} {}: {} {:#?}",
                    d.message,
                    d.key,
                    d.diagnostics
                        .iter()
                        .map(|x| (&x.code, &x.en))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn message_files_play_through_the_same_engine() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("files.toml");
    let messages = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/messages/valid");
    std::fs::write(
        &scenario,
        format!(
            r#"
name = "seed messages"
period = {{ from = 2025-03-01, to = 2025-03-31 }}
{}
[[messages]]
path = "{}"
"#,
            zone_seller("4403966Z01"),
            messages.display().to_string().replace('\\', "/")
        ),
    )
    .unwrap();
    let s = Scenario::load(&scenario, &[]).unwrap();
    let out = dir.path().join("out");
    let r = replay::run(&s, &out, &mut |_, _| {}).unwrap();
    assert!(r.ledger.len() >= 3, "the seed 9610/9710/9810 lists");
    let closed = r
        .ledger
        .rows()
        .filter(|row| row.ebc_code() == "4403966Z01" && row.status().is_exported())
        .count();
    assert!(closed >= 1, "{:?}", r.ledger.count_by_status());
    let y = year(&r.years, "4403966Z01", 2025);
    assert!(y.lines >= 1);
    let tsv = std::fs::read_to_string(out.join("receipts.tsv")).unwrap();
    assert!(tsv.contains("CEB604Message"));
}

#[test]
fn bad_scenarios_are_explained() {
    let missing = Scenario::load(Path::new("/nonexistent/s.toml"), &[]).unwrap_err();
    assert!(matches!(missing, ScenarioError::File { .. }));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(
        &p,
        r#"
name = "t"
period = { from = 2023-01-01, to = 2023-12-31 }
[[enterprise]]
code = "A"
[[enterprise.period]]
from = 2020-01-01
taxpayer = "general"
kind = "trading"
[[traffic]]
enterprise = "B"
parcels = 1
"#,
    )
    .unwrap();
    let e = Scenario::load(&p, &[]).unwrap_err().to_string();
    assert!(e.contains("enterprise `B`"), "{e}");
    let e = Scenario::load(
        &p,
        &[
            "traffic.0.enterprise=A".into(),
            "traffic.0.trade_mode=0110".into(),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("trade_mode `0110`"), "{e}");
    assert!(Scenario::load(&p, &["traffic.0.enterprise=A".into()]).is_ok());
}

#[test]
fn html_report_and_xml_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    let text = format!(
        r#"
name = "small <html> check"
seed = 3
period = {{ from = 2024-05-01, to = 2024-05-02 }}
[report]
format = "html"
receipts = "xml"
{}
[[traffic]]
enterprise = "4403960001"
parcels = 12
"#,
        zone_seller("4403960001")
    );
    std::fs::write(&p, text).unwrap();
    let s = Scenario::load(&p, &[]).unwrap();
    let out = dir.path().join("out");
    let r = replay::run(&s, &out, &mut |_, _| {}).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("small &lt;html&gt; check"));
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "self-contained"
    );
    let xml: Vec<_> = std::fs::read_dir(out.join("receipts")).unwrap().collect();
    assert_eq!(xml.len() as u64, r.receipts);
    assert!(!out.join("report.md").exists());
    // Without tables: summaries and report only.
    let s = Scenario::load(&p, &["report.tables=false".into()]).unwrap();
    let out = dir.path().join("lean");
    replay::run(&s, &out, &mut |_, _| {}).unwrap();
    assert!(out.join("summary.csv").exists() && !out.join("treatments.csv").exists());
}

/// `replay --out` into a folder of an earlier replay empties it first; into a folder of
/// something else it refuses, touching nothing.
#[test]
fn replay_writes_into_a_fresh_folder_only() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    let text = format!(
        "name = \"small\"\nseed = 3\nperiod = {{ from = 2024-05-01, to = 2024-05-02 }}\n{}\n\
         [[traffic]]\nenterprise = \"4403960001\"\nparcels = 5\n",
        zone_seller("4403960001")
    );
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    let replay = || {
        Command::new(env!("CARGO_BIN_EXE_single-window"))
            .arg("replay")
            .arg(&p)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .output()
            .unwrap()
    };
    assert!(replay().status.success());
    let stale = out.join("left-from-before.csv");
    std::fs::write(&stale, "old").unwrap();
    let again = replay();
    assert!(again.status.success(), "{again:?}");
    assert!(!stale.exists(), "the earlier run's files are gone");
    assert!(
        std::fs::read_dir(&out).unwrap().count() > 1,
        "the new outputs"
    );

    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_single-window"))
        .arg("replay")
        .arg(&p)
        .arg("--out")
        .arg(&mine)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep"
    );
}
