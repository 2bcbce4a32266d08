//! The spec's digit-string times: `YYYYMMDD`, `YYYYMMDDhhmmss`, `yyyyMMddHHmmssSSS`.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Parses an 8-, 14- or 17-digit time into a real calendar moment; `None` for anything else.
pub fn parse_digits(s: &str) -> Option<NaiveDateTime> {
    if !matches!(s.len(), 8 | 14 | 17) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?;
    if s.len() == 8 {
        return date.and_hms_opt(0, 0, 0);
    }
    let milli = if s.len() == 17 { num(14..17)? } else { 0 };
    let time = NaiveTime::from_hms_milli_opt(num(8..10)?, num(10..12)?, num(12..14)?, milli)?;
    Some(date.and_time(time))
}

/// The business date of a 14-digit or 8-digit time field.
pub fn date_of(s: &str) -> Option<NaiveDate> {
    parse_digits(s).map(|t| t.date())
}

// Times are written in the ingest path, several per message: digit by digit, since a format
// string (`format!` or chrono's `format`) is parsed again on every call and costs several
// times more.

/// `n` in decimal, zero-padded to at least `width` digits: `format!("{n:0width$}")` without
/// the formatting machinery.
pub fn push_padded(out: &mut String, mut n: u64, width: usize) {
    // u64::MAX has 20 digits; the zeros before the digits are the padding.
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    while n > 0 {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = i.min(digits.len().saturating_sub(width.max(1)));
    for _ in digits.len()..width {
        out.push('0');
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

fn push_digits(out: &mut String, n: u32, width: u32) {
    push_padded(out, u64::from(n), width as usize);
}

fn push_date(out: &mut String, d: NaiveDate, sep: &str) {
    match u32::try_from(d.year()) {
        Ok(year) if year <= 9999 => push_digits(out, year, 4),
        // Years chrono writes with a sign or a fifth digit (never in the spec's range).
        _ => out.push_str(&d.format("%Y").to_string()),
    }
    out.push_str(sep);
    push_digits(out, d.month(), 2);
    out.push_str(sep);
    push_digits(out, d.day(), 2);
}

fn millis(t: NaiveDateTime) -> u32 {
    t.nanosecond() % 1_000_000_000 / 1_000_000
}

/// Date, `between`, then time, the fields of each joined by the given separators; then the
/// milliseconds after `millis` when given.
fn date_time(
    t: NaiveDateTime,
    [date_sep, between, time_sep]: [&str; 3],
    millis_sep: Option<&str>,
) -> String {
    let mut out = String::with_capacity(24);
    push_date(&mut out, t.date(), date_sep);
    out.push_str(between);
    push_digits(&mut out, t.hour(), 2);
    out.push_str(time_sep);
    push_digits(&mut out, t.minute(), 2);
    out.push_str(time_sep);
    push_digits(&mut out, t.second(), 2);
    if let Some(sep) = millis_sep {
        out.push_str(sep);
        push_digits(&mut out, millis(t), 3);
    }
    out
}

/// `YYYYMMDD`.
pub fn format8(d: NaiveDate) -> String {
    let mut out = String::with_capacity(8);
    push_date(&mut out, d, "");
    out
}

/// `YYYYMMDDhhmmss`.
pub fn format14(t: NaiveDateTime) -> String {
    date_time(t, ["", "", ""], None)
}

/// `yyyyMMddHHmmssSSS`, the receipt time format.
pub fn format17(t: NaiveDateTime) -> String {
    date_time(t, ["", "", ""], Some(""))
}

/// `YYYY-MM-DDThh:mm:ss` (RFC 3339 without a zone, as the DXP envelope writes it).
pub fn rfc3339(t: NaiveDateTime) -> String {
    date_time(t, ["-", "T", ":"], None)
}

/// `YYYY-MM-DD hh:mm:ss.mmm`, the time shown with a stored receipt.
pub fn readable_millis(t: NaiveDateTime) -> String {
    date_time(t, ["-", " ", ":"], Some("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_chrono_would() {
        let t = NaiveDate::from_ymd_opt(2024, 3, 9)
            .and_then(|d| d.and_hms_milli_opt(7, 5, 4, 32))
            .unwrap();
        assert_eq!(format8(t.date()), t.format("%Y%m%d").to_string());
        assert_eq!(format14(t), t.format("%Y%m%d%H%M%S").to_string());
        assert_eq!(format17(t), "20240309070504032");
        assert_eq!(rfc3339(t), t.format("%Y-%m-%dT%H:%M:%S").to_string());
        assert_eq!(
            readable_millis(t),
            t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
        );
        // A leap second's nanoseconds run past a billion; its milliseconds stay three digits.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .unwrap();
        assert_eq!(format17(leap), "20161231235959500");
    }

    #[test]
    fn digits_are_written_as_format_writes_them() {
        for (y, m, d, hh, mm, ss) in [
            (2024, 1, 2, 3, 4, 5),
            (999, 12, 31, 23, 59, 59),
            (0, 1, 1, 0, 0, 0),
        ] {
            let t = NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(hh, mm, ss))
                .unwrap();
            assert_eq!(format14(t), t.format("%Y%m%d%H%M%S").to_string());
            assert_eq!(format8(t.date()), t.format("%Y%m%d").to_string());
        }
        for y in [-1, 10_000, 12_345] {
            let d = NaiveDate::from_ymd_opt(y, 3, 4).unwrap();
            assert_eq!(format8(d), d.format("%Y%m%d").to_string());
            let t = d.and_hms_opt(5, 6, 7).unwrap();
            assert_eq!(format14(t), t.format("%Y%m%d%H%M%S").to_string());
            assert_eq!(rfc3339(t), t.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
        for (n, width) in [
            (0, 0),
            (0, 3),
            (7, 2),
            (123, 2),
            (42, 10),
            (u64::MAX, 5),
            (u64::MAX, 22),
        ] {
            let mut s = "x".to_string();
            push_padded(&mut s, n, width);
            assert_eq!(s, format!("x{n:0width$}"));
        }
    }

    #[test]
    fn real_dates_only() {
        assert!(parse_digits("20240229").is_some());
        assert!(parse_digits("20230229").is_none());
        assert!(parse_digits("20241301").is_none());
        assert!(parse_digits("20240101240000").is_none());
        assert!(parse_digits("20240101235959").is_some());
        assert!(parse_digits("20240101235959999").is_some());
        assert!(parse_digits("2024010123595").is_none());
        assert!(parse_digits("2024-01-01").is_none());
    }

    #[test]
    fn formats_round_trip() {
        let t = parse_digits("20251231083005042").unwrap();
        assert_eq!(format17(t), "20251231083005042");
        assert_eq!(format14(t), "20251231083005");
        assert_eq!(format8(t.date()), "20251231");
    }
}
