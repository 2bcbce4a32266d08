//! Export tax and foreign exchange: VAT and consumption-tax treatment of each export line
//! (退(免)税 / 免税 / 无票免税 / 征税, 9810 pre-refund and its reconciliation), the corporate
//! income tax of a year (4 % deemed taxable income, small-and-low-profit relief, standard
//! rate) and the FX registration threshold.
//!
//! Pure, like the rest of the core: no I/O, no clock. Every rule is judged on the export's own
//! business date. Inputs are plain values (`vat::LineFacts` from a ledger row, a `Profile`,
//! tables), so a server can call the same functions on the data an enterprise declared.
//!
//! Facts the reference marks unverified are parameters with documented defaults
//! (`vat::Params`, `cit::Params`, `fx::Params`).

pub mod annual;
pub mod cit;
pub mod exports;
pub mod fx;
pub mod inputs;
pub mod profile;
pub mod rates;
pub mod vat;

pub use profile::{Kind, Period, Profile, Taxpayer};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

/// Bad tax input: a table or a profile that cannot be used. Messages say where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    #[error("{source_name} line {line}: {message}")]
    Table {
        source_name: String,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Profile(String),
}

/// Rounds an amount of money to the fen (2 places, halves away from zero).
pub fn money(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A calendar date from numbers known to be valid (used for the rules' fixed dates).
pub(crate) const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => NaiveDate::MIN,
    }
}

/// Splits one line of CSV: commas, fields optionally in double quotes ("" inside quotes is
/// a quote).
pub(crate) fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_rounds_halves_away_from_zero() {
        assert_eq!(money(Decimal::new(12345, 3)), Decimal::new(1235, 2));
        assert_eq!(money(Decimal::new(-12345, 3)), Decimal::new(-1235, 2));
        assert_eq!(money(Decimal::new(12344, 3)), Decimal::new(1234, 2));
    }

    #[test]
    fn csv_fields_take_quotes() {
        assert_eq!(
            csv_fields("a,\"b,c\",\"d\"\"e\","),
            vec!["a", "b,c", "d\"e", ""]
        );
    }
}
