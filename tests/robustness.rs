//! Whatever bytes arrive, `check` answers with a receipt and located diagnostics, and never
//! panics or hangs.

use chrono::NaiveDate;
use proptest::prelude::*;
use single_window::check::{MessageReport, check_bytes};

const SEEDS: [&str; 4] = [
    include_str!("../seeds/messages/valid/CEB603-retail-list-9610.xml"),
    include_str!("../seeds/messages/valid/CEB303-retail-order.xml"),
    include_str!("../seeds/messages/valid/CEB607-consolidation.xml"),
    include_str!("../seeds/messages/valid/DxpMsg-wrapped-retail-list.xml"),
];

fn check(bytes: &[u8]) -> MessageReport {
    let now = NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid time");
    check_bytes(bytes, now)
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
