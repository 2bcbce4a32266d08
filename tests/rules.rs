//! The rule catalog and the rules: generated valid traffic passes every rule, one damaged field
//! gives the finding for that field, the catalog is complete and documented, dates are honoured.

use chrono::NaiveDate;
use proptest::prelude::*;
use single_window::check::{check_bytes_in, note_related};
use single_window::load::parcels::{Rng, parcel as whole_parcel, parcel_list, registry};
use single_window::model::registry::Registry;
use single_window::rules::catalog::{RULES, markdown, rule};
use single_window::rules::{Context, Params, Related};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const ENTERPRISES: u64 = 50;

fn now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid time")
}

/// Findings (code, path) of one message checked against the generator's registry.
fn findings(xml: &str, reg: &Registry) -> Vec<(String, String)> {
    let params = Params::default();
    let ctx = Context {
        registry: reg,
        params: &params,
        related: None,
    };
    check_bytes_in(xml.as_bytes(), now(), &ctx)
        .documents
        .iter()
        .flat_map(|d| d.diagnostics.iter())
        .map(|d| (d.code.to_string(), d.path.clone()))
        .collect()
}

fn parcel(seed: u64) -> String {
    single_window::ceb::encode(&parcel_list(&mut Rng::new(seed), seed, ENTERPRISES))
}

/// Replaces the text of the first element `field` under `under` (a tag that comes before it).
fn set_field(xml: &str, under: &str, field: &str, value: &str) -> String {
    let from = xml.find(under).unwrap_or(0);
    let open = format!("<ceb:{field}>");
    let Some(start) = xml[from..].find(&open).map(|p| from + p + open.len()) else {
        return xml.to_string();
    };
    let end = start + xml[start..].find('<').unwrap_or(0);
    format!("{}{value}{}", &xml[..start], &xml[end..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_parcels_pass_every_rule(seed in any::<u64>()) {
        let reg = registry(ENTERPRISES);
        let found = findings(&parcel(seed), &reg);
        prop_assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn one_damaged_field_gives_the_finding_for_that_field(seed in any::<u64>(), pick in 0usize..9) {
        let reg = registry(ENTERPRISES);
        let xml = parcel(seed);
        let head = "/CEB603Message/Inventory[1]/InventoryHead";
        let item = "/CEB603Message/Inventory[1]/InventoryList[1]";
        let (damaged, code, path) = match pick {
            0 => (set_field(&xml, "<ceb:InventoryList>", "currency", "USD"), "CODE-VALUE", format!("{item}/currency")),
            1 => (set_field(&xml, "<ceb:InventoryList>", "totalPrice", "0.01"), "SUM-TOTAL-PRICE", format!("{item}/totalPrice")),
            2 => (set_field(&xml, "<ceb:InventoryHead>", "netWeight", "99999"), "WEIGHT-NET-GROSS", format!("{head}/netWeight")),
            3 => (set_field(&xml, "<ceb:InventoryHead>", "ebcCode", "91440300MA5F3K2P80"), "ID-USCC", format!("{head}/ebcCode")),
            4 => (set_field(&xml, "<ceb:InventoryHead>", "agentCode", "4403968A99"), "REG-ROLE", format!("{head}/agentCode")),
            5 => (set_field(&xml, "<ceb:InventoryHead>", "ieFlag", "I"), "CODE-IE-FLAG", format!("{head}/ieFlag")),
            6 => (set_field(&xml, "<ceb:InventoryHead>", "copNo", ""), "FIELD-EMPTY", format!("{head}/copNo")),
            7 => (set_field(&xml, "<ceb:InventoryHead>", "tradeMode", "0110"), "TM-EXPORT-MODE", format!("{head}/tradeMode")),
            _ => (set_field(&xml, "<ceb:InventoryList>", "gnum", "7"), "SEQ-GNUM", format!("{item}/gnum")),
        };
        let found = findings(&damaged, &reg);
        prop_assert!(
            found.contains(&(code.to_string(), path.clone())),
            "expected {code} at {path}, found {found:?}"
        );
        // No cascade: the damage is reported once, not echoed by other rules.
        prop_assert_eq!(found.len(), 1, "{:?}", found);
    }
}

/// The four documents of a generated parcel, encoded, and their findings checked together.
fn parcel_findings(
    seed: u64,
    edit: impl Fn(&mut single_window::load::parcels::Parcel),
) -> Vec<(String, String)> {
    let reg = registry(ENTERPRISES);
    let mut p = whole_parcel(&mut Rng::new(seed), seed, ENTERPRISES);
    edit(&mut p);
    let docs = [
        single_window::ceb::encode(&p.order),
        single_window::ceb::encode(&p.receipt),
        single_window::ceb::encode(&p.waybill),
        single_window::ceb::encode(&p.list),
    ];
    let params = Params::default();
    let alone = Context {
        registry: &reg,
        params: &params,
        related: None,
    };
    let mut related = Related::default();
    for d in &docs {
        note_related(d.as_bytes(), &alone, &mut related);
    }
    let ctx = Context {
        related: Some(&related),
        ..alone
    };
    docs.iter()
        .flat_map(|d| check_bytes_in(d.as_bytes(), now(), &ctx).documents)
        .flat_map(|d| d.diagnostics)
        .map(|d| (d.code.to_string(), d.path))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn whole_parcels_cross_check_clean(seed in any::<u64>()) {
        let found = parcel_findings(seed, |_| {});
        prop_assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn an_order_that_disagrees_with_its_list_is_named(seed in any::<u64>()) {
        let found = parcel_findings(seed, |p| {
            let item = &mut p.order.documents[0].items[0];
            item.qty += rust_decimal::Decimal::ONE;
            item.total_price = item.qty * item.price;
            p.order.documents[0].head.goods_value =
                p.order.documents[0].items.iter().map(|i| i.total_price).sum();
        });
        let item = "/CEB603Message/Inventory[1]/InventoryList[1]";
        prop_assert!(found.contains(&("LINK-ITEM-DIFF".into(), format!("{item}/qty"))), "{found:?}");
        prop_assert!(found.contains(&("LINK-ITEM-DIFF".into(), format!("{item}/totalPrice"))), "{found:?}");
    }
}

#[test]
fn catalog_codes_are_unique_and_every_code_the_checks_use_is_in_it() {
    let codes: BTreeSet<&str> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(codes.len(), RULES.len(), "duplicate rule codes");
    // Codes handed to `report`/`active` are string literals in src/rules: each must exist, or
    // the check would silently never fire.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut used = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("src/rules") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("source");
        for piece in text.split('"').skip(1).step_by(2) {
            let looks_like_code = piece.len() > 4
                && piece.starts_with(|c: char| c.is_ascii_uppercase())
                && piece.contains('-')
                && piece
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            if looks_like_code {
                used.insert(piece.to_string());
            }
        }
    }
    let missing: Vec<&String> = used.iter().filter(|c| rule(c).is_none()).collect();
    assert!(
        missing.is_empty(),
        "codes used but not in the catalog: {missing:?}"
    );
    for r in RULES {
        assert!(
            !r.zh.is_empty() && !r.en.is_empty() && !r.source.is_empty(),
            "{} lacks text or source",
            r.code
        );
    }
}

#[test]
fn rules_reference_is_generated_from_the_catalog() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == markdown(),
        "docs/rules.md is out of date: run `cargo run -- rules --markdown > docs/rules.md`"
    );
}

#[test]
fn dated_rules_apply_on_the_documents_own_date() {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let receipt = rule("TM-9610-RECEIPT").expect("rule");
    assert!(receipt.in_force(day(2024, 12, 14)));
    assert!(!receipt.in_force(day(2024, 12, 15)));
    let pilot = rule("TM-B2B-PILOT-CUSTOMS").expect("rule");
    assert!(!pilot.in_force(day(2020, 6, 30)));
    assert!(pilot.in_force(day(2020, 7, 1)));
    assert!(!pilot.in_force(day(2021, 7, 1)));

    // The same 9710 list outside the pilot customs: rejected when dated 2020, fine in 2025.
    let reg = registry(ENTERPRISES);
    let xml = parcel(7)
        .replace(
            "<ceb:tradeMode>9610</ceb:tradeMode>",
            "<ceb:tradeMode>9710</ceb:tradeMode>",
        )
        .replace(
            "<ceb:customsCode>5314</ceb:customsCode>",
            "<ceb:customsCode>4019</ceb:customsCode>",
        );
    let app_time = |x: &str, t: &str| {
        let start = x
            .find("<ceb:appTime>")
            .map_or(0, |p| p + "<ceb:appTime>".len());
        format!("{}{t}{}", &x[..start], &x[start + 14..])
    };
    let in_2020 = findings(&app_time(&xml, "20201015100000"), &reg);
    assert!(
        in_2020.iter().any(|(c, _)| c == "TM-B2B-PILOT-CUSTOMS"),
        "{in_2020:?}"
    );
    let in_2025 = findings(&app_time(&xml, "20250315100000"), &reg);
    assert!(
        !in_2025.iter().any(|(c, _)| c == "TM-B2B-PILOT-CUSTOMS"),
        "{in_2025:?}"
    );
}

#[test]
fn cli_lists_explains_and_takes_a_registry() {
    let bin = env!("CARGO_BIN_EXE_single-window");
    let out = Command::new(bin).arg("rules").output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("SUM-TOTAL-PRICE")
            && text.contains(&format!("{} rules", RULES.len()))
    );
    let out = Command::new(bin)
        .args(["rules", "tm-b2b-list-ceiling"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("公告2020年第75号") && text.contains("9710, 9810"),
        "{text}"
    );
    let out = Command::new(bin)
        .args(["rules", "NO-SUCH-RULE"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));

    // A registry without the declaring agent: the shipped valid list is then refused for it.
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let shipped = std::fs::read_to_string(seeds.join("enterprises.toml")).expect("registry");
    let without_agent = shipped.replacen("code = \"4403968A03\"", "code = \"4403968A04\"", 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, without_agent).expect("written");
    let list = seeds.join("messages/valid/CEB603-retail-list-9610.xml");
    let out = Command::new(bin)
        .arg("check")
        .arg("--registry")
        .arg(&file)
        .arg(&list)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("REG-ROLE") && text.contains("agentCode"),
        "{text}"
    );

    std::fs::write(&file, "[[enterprise]]\ncode = \"x\"\nrole = []\n").expect("written");
    let out = Command::new(bin)
        .arg("check")
        .arg("--registry")
        .arg(&file)
        .arg(&list)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken registry is a usage error"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("mine.toml"));
}

#[test]
fn a_reader_that_goes_away_stops_the_listing_without_a_panic() {
    use std::process::Stdio;
    let bin = env!("CARGO_BIN_EXE_single-window");
    for args in [
        &["rules"][..],
        &["rules", "--markdown"],
        &["rules", "SUM-TOTAL-PRICE"],
    ] {
        // A pipe whose reader is gone before the first line comes, as `| head -1` leaves it.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(bin)
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
