//! What the single window answers for one business document, and the helpers its answers
//! share: numbers derived from the input, texts cut to the receipt's limit.

use crate::model::said::Said;

/// The answer to one document: status, text and the numbers the e-port/customs assigned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    /// `returnStatus`: 2 accepted for declaration, 100 rejected, negative = format error …
    pub status: String,
    /// `returnInfo`, in Chinese as the real system writes it, with its English.
    pub info: Said,
    /// `returnTime`, `yyyyMMddHHmmssSSS`.
    pub time: String,
    /// e-port pre-entry number (`preNo`, 18 characters).
    pub pre_no: String,
    /// summary application number (`sumNo`) for 701.
    pub sum_no: String,
    /// The document changes or deletes an earlier one (appType 2 or 3): it names the numbers
    /// that one was given, and they are echoed.
    pub changing: bool,
}

/// The conventional `returnInfo` for a document accepted by the e-port.
pub fn accepted_info(app_type: &str, guid: &str) -> Said {
    let action = match app_type {
        "2" => Said::fixed("变更申报成功", "change accepted"),
        "3" => Said::fixed("删除申报成功", "deletion accepted"),
        _ => Said::fixed("新增申报成功", "new filing accepted"),
    };
    action.tagged(guid)
}

/// The 9-digit serial of the numbers the e-port gives a document (preNo, sumNo), from its
/// GUID: customs' receipts carry the same number as the e-port's, in any run. The e-port
/// is stateless, so serials are not checked for clashes: among a million documents of one
/// day about 500 pairs share one (a receipt's GUID always tells them apart).
pub fn eport_serial(guid: &str) -> u64 {
    fnv(guid.as_bytes()) % 1_000_000_000
}

/// A number the e-port gives a document: its letter (`B` preNo, `S` sumNo), the day it was
/// received, the serial of its GUID — 18 characters.
pub fn eport_number(letter: char, guid: &str, day: chrono::NaiveDate) -> String {
    numbered(letter, day, eport_serial(guid))
}

/// A letter, a day and a 9-digit serial: the form of the e-port's numbers.
pub fn numbered(letter: char, day: chrono::NaiveDate, serial: u64) -> String {
    format!("{letter}{}{serial:09}", crate::model::time::format8(day))
}

/// FNV-1a: a stable hash so numbers and GUIDs derived from input are the same on every run.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// At most `max` characters of `s` (receipt texts have a length limit).
pub fn clip_chars(s: &str, max: usize) -> String {
    clip(s, max).to_string()
}

/// `clip_chars` without the copy.
pub fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
