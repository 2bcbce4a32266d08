//! Well-formedness as xmllint (libxml2-utils) judges it: whatever `check` is given, the receipt
//! it writes is well-formed XML, and input xmllint rejects is never accepted (it is answered
//! with CEB900, returnStatus -1). Mutants of valid messages are judged by both.

use chrono::NaiveDate;
use proptest::prelude::*;
use single_window::check::{MessageReport, STATUS_NOT_XML, check_bytes};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const SEEDS: [&[u8]; 5] = [
    include_bytes!("../seeds/messages/valid/CEB603-retail-list-9610.xml"),
    include_bytes!("../seeds/messages/valid/CEB303-retail-order.xml"),
    include_bytes!("../seeds/messages/valid/CEB603-retail-list-gbk.xml"),
    include_bytes!("../seeds/messages/valid/CEB607-consolidation.xml"),
    include_bytes!("../seeds/messages/valid/DxpMsg-wrapped-retail-list.xml"),
];

fn check(bytes: &[u8]) -> MessageReport {
    let now = NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid time");
    check_bytes(bytes, now)
}

/// Whether xmllint is installed; says once that the test is skipped when it is not.
fn have_xmllint() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        let found = Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!("xmllint not found (install libxml2-utils): well-formedness tests skipped");
        }
        found
    })
}

/// xmllint's verdict on a document: `Err` holds its complaint.
fn xmllint(bytes: &[u8]) -> Result<(), String> {
    let mut child = Command::new("xmllint")
        .args(["--noout", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(bytes).expect("xmllint reads its input");
    }
    let out = child.wait_with_output().expect("xmllint ends");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// What must hold for any input: the receipt is well-formed, and input xmllint rejects is
/// answered as not well-formed.
fn assert_judged_like_xmllint(input: &[u8]) {
    let report = check(input);
    let receipt = report.receipt.as_ref().expect("every input is answered");
    if let Err(e) = xmllint(receipt.xml.as_bytes()) {
        panic!(
            "the receipt is not well-formed:\n{e}\n{}\ninput: {:?}",
            receipt.xml,
            String::from_utf8_lossy(input)
        );
    }
    assert!(!receipt.xml.contains('\0'), "a receipt holds no NUL");
    if let Err(e) = xmllint(input) {
        let accepted = report.documents.iter().any(|d| d.accepted);
        let status: Vec<&str> = report
            .documents
            .iter()
            .map(|d| d.return_status.as_str())
            .collect();
        assert!(
            !accepted && receipt.root == "CEB900Message" && status == [STATUS_NOT_XML],
            "xmllint rejects this input ({e}), but we answered {} {status:?}: {:#?}\ninput: {:?}",
            receipt.root,
            report.documents,
            String::from_utf8_lossy(input)
        );
    }
}

/// One edit of a message: flip a bit, or insert one of the pieces hostile input is made of.
#[derive(Debug, Clone)]
enum Edit {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, piece: &'static [u8] },
    Delete { at: usize, len: usize },
}

const PIECES: &[&[u8]] = &[
    b"<",
    b"&",
    b"\0",
    b"]]>",
    b"<!DOCTYPE x>",
    b"<?xml ?>",
    b"<?xml version=\"1.0\"?>",
    b"\"",
    b"'",
    b"&#0;",
    b"&#xD800;",
    b"<!--",
    b"--",
    b"\x01",
    b"\xEF\xBF\xBE",
    b"\xAA\xA1",
    b"\x81\x30\x81\x30",
    b"\xFF",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        (any::<usize>(), proptest::sample::select(PIECES))
            .prop_map(|(at, piece)| Edit::Insert { at, piece }),
        (any::<usize>(), 1..8usize).prop_map(|(at, len)| Edit::Delete { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let wrap = bytes.len().max(1);
    match *edit {
        Edit::Flip { at, bit } => {
            if let Some(b) = bytes.get_mut(at % wrap) {
                *b ^= 1 << bit;
            }
        }
        Edit::Insert { at, piece } => {
            let at = (at % wrap).min(bytes.len());
            bytes.splice(at..at, piece.iter().copied());
        }
        Edit::Delete { at, len } => {
            let at = (at % wrap).min(bytes.len());
            bytes.drain(at..(at + len).min(bytes.len()));
        }
    }
}

proptest! {
    // Each case runs xmllint twice (a few milliseconds each).
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn mutants_are_judged_as_xmllint_judges_them(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 1..3),
    ) {
        if have_xmllint() {
            let mut bytes = SEEDS[seed].to_vec();
            for e in &edits {
                apply(&mut bytes, e);
            }
            assert_judged_like_xmllint(&bytes);
        }
    }
}

/// The cases the issue names, each in a valid message.
#[test]
fn what_xmllint_rejects_is_answered_with_ceb900() {
    if !have_xmllint() {
        return;
    }
    let list = std::str::from_utf8(SEEDS[0]).expect("UTF-8 seed");
    let value = "<ceb:gname>棉制针织T恤衫</ceb:gname>";
    let with = |v: &str| list.replace(value, &format!("<ceb:gname>{v}</ceb:gname>"));
    let mut cases: Vec<Vec<u8>> = [
        with("棉\0制"),
        with("棉\u{1b}制"),
        with("棉\u{FFFF}制"),
        with("<!DOCTYPE x>"),
        with("a]]>b"),
        with("&#0;"),
        with("&#xD800;"),
        with("&nbsp;"),
        list.replace("<ceb:gname>", "<?xml version=\"1.0\"?><ceb:gname>"),
        format!("\n{list}"),
        list.replacen("guid=\"", "guid=\"x", 1)
            .replacen("\" version", " version", 1),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    // GBK bytes outside the table (a user-defined area), and a GB18030-only sequence.
    for bad in [&b"\xAA\xA1"[..], b"\x81\x30\x81\x30"] {
        let gbk = SEEDS[2];
        let at = gbk
            .windows(b"<ceb:gname>".len())
            .position(|w| w == b"<ceb:gname>")
            .expect("a gname")
            + b"<ceb:gname>".len();
        cases.push([&gbk[..at], bad, &gbk[at..]].concat());
    }
    for input in &cases {
        assert!(xmllint(input).is_err(), "xmllint rejects the case");
        assert_judged_like_xmllint(input);
    }
}

#[test]
fn valid_seeds_and_their_receipts_are_well_formed() {
    if !have_xmllint() {
        return;
    }
    for seed in SEEDS {
        assert_eq!(xmllint(seed), Ok(()));
        let report = check(seed);
        assert!(report.documents.iter().all(|d| d.accepted));
        assert_judged_like_xmllint(seed);
    }
}
