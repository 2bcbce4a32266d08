//! VAT, export-refund and consumption-tax rates per commodity, dated, from a CSV table the
//! user can supply. The shipped sample (`seeds/tax/rates.csv`) is embedded; its rates are
//! illustrative — check them against the SAT refund-rate library before relying on them.
//!
//! Columns: `hs_prefix,from,to,vat_rate,refund_rate,consumption_tax_rate,refund_cancelled,note`.
//! A line matches a commodity whose HS code starts with `hs_prefix` (empty: every code) on
//! dates `from..=to` (`to` empty: open). The longest matching prefix wins.

use super::{TaxError, csv_fields};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The shipped sample table.
pub const SAMPLE: &str = include_str!("../../seeds/tax/rates.csv");

/// The rates of one commodity group over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub hs_prefix: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Applicable VAT rate (e.g. 0.13).
    pub vat: Decimal,
    /// Export refund rate (退税率).
    pub refund: Decimal,
    /// Ad-valorem consumption-tax rate; 0 when the goods bear none.
    pub consumption: Decimal,
    /// Refund and exemption cancelled by MOF/SAT: the goods are taxed as a domestic sale.
    pub refund_cancelled: bool,
    pub note: String,
}

/// A table of commodity rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rates {
    rows: Vec<Rate>,
}

impl Rates {
    /// The shipped sample.
    pub fn sample() -> Rates {
        // The sample is tested to parse; an empty table would only leave lines unassessed.
        Rates::parse(SAMPLE, "seeds/tax/rates.csv").unwrap_or_default()
    }

    /// Reads a table from CSV text; `source_name` names it in error messages.
    pub fn parse(text: &str, source_name: &str) -> Result<Rates, TaxError> {
        let err = |line: usize, message: String| TaxError::Table {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let mut rows = Vec::new();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let expected =
            "hs_prefix,from,to,vat_rate,refund_rate,consumption_tax_rate,refund_cancelled,note";
        match lines.next() {
            Some((_, header)) if header.trim().trim_start_matches('\u{feff}') == expected => {}
            Some((n, header)) => {
                return Err(err(
                    n + 1,
                    format!("the header should be `{expected}`, found `{header}`"),
                ));
            }
            None => return Err(err(1, "the table is empty".into())),
        }
        for (n, line) in lines {
            let n = n + 1;
            let f = csv_fields(line);
            if f.len() != 8 {
                return Err(err(n, format!("expected 8 fields, found {}", f.len())));
            }
            let date = |s: &str, what: &str| {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| err(n, format!("{what} `{s}` is not a date YYYY-MM-DD")))
            };
            let rate = |s: &str, what: &str| {
                let v: Decimal = s
                    .trim()
                    .parse()
                    .map_err(|_| err(n, format!("{what} `{s}` is not a number such as 0.13")))?;
                if v < Decimal::ZERO || v > Decimal::ONE {
                    return Err(err(n, format!("{what} {v} should be a fraction in 0..=1")));
                }
                Ok(v)
            };
            let prefix = f[0].trim();
            if !prefix.chars().all(|c| c.is_ascii_digit()) {
                return Err(err(n, format!("hs_prefix `{prefix}` should be digits")));
            }
            let from = date(&f[1], "from")?;
            let to = match f[2].trim() {
                "" => None,
                s => Some(date(s, "to")?),
            };
            if to.is_some_and(|t| t < from) {
                return Err(err(n, format!("`to` is before `from` ({from})")));
            }
            let refund_cancelled = match f[6].trim() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" | "" => false,
                other => {
                    return Err(err(
                        n,
                        format!("refund_cancelled `{other}` should be true or false"),
                    ));
                }
            };
            rows.push(Rate {
                hs_prefix: prefix.to_string(),
                from,
                to,
                vat: rate(&f[3], "vat_rate")?,
                refund: rate(&f[4], "refund_rate")?,
                consumption: rate(&f[5], "consumption_tax_rate")?,
                refund_cancelled,
                note: f[7].trim().to_string(),
            });
        }
        Ok(Rates { rows })
    }

    /// The rates of the commodity `gcode` on `date`: the longest matching prefix in force.
    pub fn lookup(&self, gcode: &str, date: NaiveDate) -> Option<&Rate> {
        self.rows
            .iter()
            .filter(|r| {
                gcode.starts_with(&r.hs_prefix) && r.from <= date && r.to.is_none_or(|t| date <= t)
            })
            .max_by_key(|r| r.hs_prefix.len())
    }

    pub fn rows(&self) -> &[Rate] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_sample_parses_and_covers_every_code() {
        let rates = Rates::parse(SAMPLE, "sample").unwrap();
        assert!(rates.rows().len() > 5);
        for year in 2019..=2027 {
            assert!(
                rates.lookup("0000000000", d(year, 6, 1)).is_some(),
                "{year}"
            );
        }
    }

    #[test]
    fn the_longest_prefix_in_force_wins() {
        let rates = Rates::sample();
        // Batteries: refund 9 % until 2026-03-31, 6 % to the end of 2026, then cancelled.
        let r = rates.lookup("8507600090", d(2026, 3, 31)).unwrap();
        assert_eq!(r.refund, Decimal::new(9, 2));
        let r = rates.lookup("8507600090", d(2026, 4, 1)).unwrap();
        assert_eq!(r.refund, Decimal::new(6, 2));
        let r = rates.lookup("8507600090", d(2027, 1, 1)).unwrap();
        assert!(r.refund_cancelled);
        // Before the 2019-04-01 rate change the default is 16 %.
        assert_eq!(
            rates.lookup("6109100021", d(2019, 3, 31)).unwrap().vat,
            Decimal::new(16, 2)
        );
        assert_eq!(
            rates.lookup("6109100021", d(2019, 4, 1)).unwrap().vat,
            Decimal::new(13, 2)
        );
    }

    #[test]
    fn bad_tables_say_where() {
        let header =
            "hs_prefix,from,to,vat_rate,refund_rate,consumption_tax_rate,refund_cancelled,note";
        let bad_rate = format!("{header}\n61,2020-01-01,,13%,0.13,0,false,x\n");
        let e = Rates::parse(&bad_rate, "my.csv").unwrap_err().to_string();
        assert!(e.contains("my.csv line 2") && e.contains("13%"), "{e}");
        let bad_date = format!("{header}\n61,2020-13-01,,0.13,0.13,0,false,x\n");
        assert!(
            Rates::parse(&bad_date, "t")
                .unwrap_err()
                .to_string()
                .contains("2020-13-01")
        );
        assert!(
            Rates::parse("a,b\n", "t")
                .unwrap_err()
                .to_string()
                .contains("header")
        );
        let short = format!("{header}\n61,2020-01-01\n");
        assert!(
            Rates::parse(&short, "t")
                .unwrap_err()
                .to_string()
                .contains("8 fields")
        );
    }
}
