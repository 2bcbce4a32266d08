//! `check` on arbitrary bytes: it must answer every input, explain every rejection, and write
//! only well-formed receipts; never panic, hang or run out of memory (libFuzzer watches those).
#![no_main]

use libfuzzer_sys::fuzz_target;
use single_window::ceb::{Limits, wellformed};
use single_window::check::check_bytes;

fuzz_target!(|data: &[u8]| {
    let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid time");
    let report = check_bytes(data, now);
    assert!(!report.documents.is_empty(), "every input gets a verdict");
    for doc in &report.documents {
        assert!(
            doc.accepted || doc.diagnostics.iter().any(|d| d.is_error()),
            "a rejection names its reason: {doc:?}"
        );
    }
    let receipt = report.receipt.expect("every input is answered");
    if let Err(refused) = wellformed::check(&receipt.xml, &Limits::default()) {
        panic!(
            "the receipt is not well-formed: {refused:?}\n{}",
            receipt.xml
        );
    }
});
