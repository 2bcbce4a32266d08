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

/// `yyyyMMddHHmmssSSS`, the receipt time format. Written field by field: every receipt has
/// one, and a format string would be parsed again each time.
pub fn format17(t: NaiveDateTime) -> String {
    let milli = t.nanosecond() % 1_000_000_000 / 1_000_000;
    format!("{}{milli:03}", format14(t))
}

/// `YYYYMMDDhhmmss`. Digits pushed one field at a time: the load generator writes several per
/// parcel, and `format!` costs a few times more.
pub fn format14(t: NaiveDateTime) -> String {
    let mut s = String::with_capacity(14);
    match u64::try_from(t.year()) {
        Ok(year) if year <= 9999 => push_padded(&mut s, year, 4),
        // Never in the spec's range; written as before.
        _ => {
            let (y, mo, d) = (t.year(), t.month(), t.day());
            let (h, mi, sec) = (t.hour(), t.minute(), t.second());
            return format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{sec:02}");
        }
    }
    for n in [t.month(), t.day(), t.hour(), t.minute(), t.second()] {
        push_padded(&mut s, u64::from(n), 2);
    }
    s
}

/// `YYYYMMDD`, as chrono's `%Y%m%d` writes it.
pub fn format8(d: NaiveDate) -> String {
    let mut s = String::with_capacity(14);
    match u64::try_from(d.year()) {
        Ok(year) if year <= 9999 => push_padded(&mut s, year, 4),
        // Years chrono writes with a sign (never in the spec's range).
        _ => return d.format("%Y%m%d").to_string(),
    }
    push_padded(&mut s, u64::from(d.month()), 2);
    push_padded(&mut s, u64::from(d.day()), 2);
    s
}

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
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(format14(t), format!("{y:04}0304050607"));
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
}
