//! Whatever bytes arrive, `check` answers with a receipt and located diagnostics, and never
//! panics or hangs; hostile input is refused by the limits before the work, and the findings
//! listed per message are capped, so the cost stays linear (timings: `benches/decode.rs`).

use chrono::NaiveDate;
use proptest::prelude::*;
use single_window::ceb::Limits;
use single_window::check::{MessageReport, STATUS_NOT_XML, check_bytes, check_bytes_in};
use single_window::model::registry::Registry;
use single_window::rules::{Context, Params};

const SEEDS: [&str; 4] = [
    include_str!("../seeds/messages/valid/CEB603-retail-list-9610.xml"),
    include_str!("../seeds/messages/valid/CEB303-retail-order.xml"),
    include_str!("../seeds/messages/valid/CEB607-consolidation.xml"),
    include_str!("../seeds/messages/valid/DxpMsg-wrapped-retail-list.xml"),
];

fn now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid time")
}

fn check(bytes: &[u8]) -> MessageReport {
    check_bytes(bytes, now())
}

fn check_within(bytes: &[u8], limits: Limits) -> MessageReport {
    let params = Params {
        limits,
        ..Params::default()
    };
    let ctx = Context {
        registry: Registry::shipped(),
        params: &params,
        related: None,
    };
    check_bytes_in(bytes, now(), &ctx)
}

/// The one finding of a message refused by a limit, which must be `limit`.
fn refused_by(report: &MessageReport, limit: &str) {
    assert_eq!(report.documents.len(), 1);
    let doc = &report.documents[0];
    assert!(!doc.accepted);
    assert_eq!(doc.return_status, STATUS_NOT_XML);
    let codes: Vec<&str> = doc.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E-XML-LIMIT"], "{:#?}", doc.diagnostics);
    let d = &doc.diagnostics[0];
    assert!(
        d.zh.contains(limit) && d.en.contains(limit) && d.expected.contains(limit),
        "the finding names the limit {limit}: {d:?}"
    );
    assert_eq!(
        report.receipt.as_ref().map(|r| r.root),
        Some("CEB900Message")
    );
}

/// The list seed with `extra` inside its head.
fn list_with_in_head(extra: &str) -> String {
    SEEDS[0].replacen(
        "<ceb:InventoryHead>",
        &format!("<ceb:InventoryHead>{extra}"),
        1,
    )
}

/// What must hold for any input at all.
fn assert_answered(bytes: &[u8]) {
    let report = check(bytes);
    assert!(!report.documents.is_empty(), "every input yields a verdict");
    assert!(report.receipt.is_some(), "every input is answered");
    for doc in &report.documents {
        if !doc.accepted {
            assert!(
                doc.diagnostics.iter().any(|d| d.is_error()),
                "a rejection names its reason: {doc:?}"
            );
        }
        for d in &doc.diagnostics {
            assert!(
                d.line >= 1 && d.column >= 1,
                "every finding is located: {d:?}"
            );
            assert!(
                !d.zh.is_empty() && !d.en.is_empty(),
                "explained in both languages: {d:?}"
            );
        }
    }
}

/// One edit of a valid message at a chosen place.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn apply(text: &str, edit: &Edit) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    let n = b.len();
    // Earlier edits may have emptied the text: positions are taken modulo at least 1.
    let wrap = n.max(1);
    match edit {
        Edit::Delete { at, len } => {
            let at = at % wrap;
            b.drain(at..(at + len).min(n));
        }
        Edit::Insert { at, bytes } => {
            let at = at % wrap;
            b.splice(at..at, bytes.iter().copied());
        }
        Edit::Duplicate { at, len } => {
            let at = at % wrap;
            let piece = b[at..(at + len).min(n)].to_vec();
            b.splice(at..at, piece);
        }
        Edit::Truncate { at } => b.truncate(at % wrap),
    }
    b
}

fn edit() -> impl Strategy<Value = Edit> {
    let markup = prop_oneof![
        Just(b"<".to_vec()),
        Just(b"</ceb:x>".to_vec()),
        Just(b"&amp;".to_vec()),
        Just(b"&bogus;".to_vec()),
        Just(b"<![CDATA[x]]>".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just("中".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 1..16),
    ];
    prop_oneof![
        (any::<usize>(), 1..200usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), markup).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 1..400usize).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        assert_answered(&bytes);
    }

    #[test]
    fn damaged_messages_are_answered(seed in 0..SEEDS.len(), edits in proptest::collection::vec(edit(), 1..4)) {
        let mut text = SEEDS[seed].to_string();
        let mut bytes = text.as_bytes().to_vec();
        for e in &edits {
            bytes = apply(&text, e);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        assert_answered(&bytes);
    }
}

#[test]
fn deep_nesting_and_huge_values_do_not_overflow() {
    let head = "<ceb:CEB603Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" guid=\"x\" version=\"1.0\"><ceb:Inventory><ceb:InventoryHead><ceb:note>";
    let deep = format!("{head}{}", "<a>".repeat(200_000));
    assert_answered(deep.as_bytes());
    let nested_unknown = format!(
        "{head}</ceb:note><x>{}{}</x>",
        "<y>".repeat(50_000),
        "</y>".repeat(50_000)
    );
    assert_answered(nested_unknown.as_bytes());
    let huge = SEEDS[0].replace(
        "<ceb:gname>棉制针织T恤衫</ceb:gname>",
        &format!("<ceb:gname>{}</ceb:gname>", "很长".repeat(500_000)),
    );
    let report = check(huge.as_bytes());
    let finding = report.documents[0]
        .diagnostics
        .iter()
        .find(|d| d.code == "E-XML-LENGTH")
        .expect("too long");
    assert!(
        finding.found.len() < 1000,
        "the value found is shown shortened"
    );
}

#[test]
fn empty_and_blank_inputs_are_answered() {
    for input in [
        &b""[..],
        b"   \n",
        b"\xEF\xBB\xBF",
        b"<?xml version=\"1.0\"?>",
        b"<!-- only a comment -->",
    ] {
        assert_answered(input);
    }
}

#[test]
fn a_million_empty_elements_are_refused_before_the_work() {
    let report = check(list_with_in_head(&"<x/>".repeat(1_000_000)).as_bytes());
    refused_by(&report, "max_elements");
    let d = &report.documents[0].diagnostics[0];
    assert_eq!(d.found, "more than 250000 elements");
    // Refused at the element past the limit, not at the end of the input.
    assert_eq!(d.line, 4, "{d:?}");
}

#[test]
fn findings_are_capped_per_message_and_the_rest_counted() {
    // Within the element limit, every unknown element is a finding: 1,000 are listed.
    let n = 240_000;
    let report = check(list_with_in_head(&"<x/>".repeat(n)).as_bytes());
    let doc = &report.documents[0];
    assert!(!doc.accepted);
    let unknown = doc
        .diagnostics
        .iter()
        .filter(|d| d.code == "E-XML-UNKNOWN")
        .count();
    assert_eq!(unknown, Limits::default().max_diagnostics);
    let rest: Vec<_> = doc
        .diagnostics
        .iter()
        .filter(|d| d.code == "E-UNLISTED")
        .collect();
    assert_eq!(rest.len(), 1, "{:#?}", doc.diagnostics.last());
    assert_eq!(rest[0].found, format!("{} more", n - 1000));
    assert_eq!(rest[0].path, "/CEB603Message/Inventory[1]");
    assert_eq!(doc.diagnostics.len(), 1001);
}

#[test]
fn a_document_whose_findings_are_not_listed_keeps_its_verdict() {
    // Ten lists, one with ten unknown elements, the others valid: with at most five findings
    // listed, the bad list is still rejected and the others accepted.
    let inventory = {
        let from = SEEDS[0].find("\t<ceb:Inventory>").expect("a list");
        let to =
            SEEDS[0].find("\t</ceb:Inventory>").expect("its end") + "\t</ceb:Inventory>\n".len();
        &SEEDS[0][from..to]
    };
    let bad = inventory.replacen(
        "<ceb:InventoryHead>",
        &format!("<ceb:InventoryHead>{}", "<x/>".repeat(10)),
        1,
    );
    let mut lists = vec![inventory.to_string(); 10];
    lists[3] = bad;
    let message = SEEDS[0].replacen(inventory, &lists.concat(), 1);
    let limits = Limits {
        max_diagnostics: 5,
        ..Limits::default()
    };
    let report = check_within(message.as_bytes(), limits);
    assert_eq!(report.documents.len(), 10);
    for (k, doc) in report.documents.iter().enumerate() {
        if k == 3 {
            assert!(!doc.accepted);
            let codes: Vec<&str> = doc.diagnostics.iter().map(|d| d.code).collect();
            assert_eq!(codes[..5], ["E-XML-UNKNOWN"; 5]);
            assert_eq!(codes[5..], ["E-UNLISTED"]);
            assert_eq!(doc.diagnostics[5].found, "5 more");
        } else {
            assert!(doc.accepted, "{k}: {:#?}", doc.diagnostics);
        }
    }
}

#[test]
fn rule_findings_are_capped_too() {
    // Every item's total is wrong: one rule finding per item, ten lists of two items.
    let inventory = {
        let from = SEEDS[0].find("\t<ceb:Inventory>").expect("a list");
        let to =
            SEEDS[0].find("\t</ceb:Inventory>").expect("its end") + "\t</ceb:Inventory>\n".len();
        &SEEDS[0][from..to]
    };
    let wrong = inventory
        .replace(
            "<ceb:totalPrice>99.80</ceb:totalPrice>",
            "<ceb:totalPrice>99.70</ceb:totalPrice>",
        )
        .replace(
            "<ceb:totalPrice>128.00</ceb:totalPrice>",
            "<ceb:totalPrice>127.00</ceb:totalPrice>",
        );
    let message = SEEDS[0].replacen(inventory, &wrong.repeat(10), 1);
    let all = check(message.as_bytes());
    let total =
        |r: &MessageReport| -> usize { r.documents.iter().map(|d| d.diagnostics.len()).sum() };
    let uncapped = total(&all);
    assert!(uncapped >= 20, "every item is found: {uncapped}");
    let limits = Limits {
        max_diagnostics: 7,
        ..Limits::default()
    };
    let capped = check_within(message.as_bytes(), limits);
    let unlisted: Vec<&str> = capped
        .documents
        .iter()
        .flat_map(|d| &d.diagnostics)
        .filter(|d| d.code == "E-UNLISTED")
        .map(|d| d.found.as_str())
        .collect();
    assert!(
        total(&capped) <= 7 + capped.documents.len(),
        "{}",
        total(&capped)
    );
    assert!(!unlisted.is_empty());
    for (a, b) in all.documents.iter().zip(&capped.documents) {
        assert_eq!(a.accepted, b.accepted, "the verdicts stay the same");
        assert_eq!(a.return_status, b.return_status);
    }
}

#[test]
fn every_limit_refuses_before_the_work_and_names_itself() {
    let deep = list_with_in_head(&format!("{}{}", "<x>".repeat(40), "</x>".repeat(40)));
    refused_by(&check(deep.as_bytes()), "max_depth");
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"1\"")).collect();
    let many_attributes = list_with_in_head(&format!("<x{attrs}/>"));
    refused_by(&check(many_attributes.as_bytes()), "max_attributes");
    let name = list_with_in_head(&format!("<{}/>", "n".repeat(2000)));
    refused_by(&check(name.as_bytes()), "max_name_bytes");
    let limits = Limits {
        max_value_bytes: 10,
        ..Limits::default()
    };
    refused_by(
        &check_within(SEEDS[1].as_bytes(), limits),
        "max_value_bytes",
    );
    let limits = Limits {
        max_elements: 10,
        ..Limits::default()
    };
    refused_by(&check_within(SEEDS[1].as_bytes(), limits), "max_elements");
    // The limits hold inside a DxpMsg wrapper too.
    refused_by(&check_within(SEEDS[3].as_bytes(), limits), "max_elements");
}
