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

/// `YYYYMMDDhhmmss`.
pub fn format14(t: NaiveDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
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
    }
}
