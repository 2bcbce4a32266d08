//! Foreign exchange: conversion through a dated rate table, and the 贸易外汇收支企业名录
//! registration threshold for small cross-border e-commerce exporters.
//!
//! Rules (reference §4): from 汇发〔2019〕28号 Art. 5 an enterprise whose goods-trade receipts
//! and payments in a year each stay **below** USD 200,000 need not register; banks and SAFE
//! watch cumulative amounts, with an early warning band from USD 180,000. Until 2021 SAFE
//! listed enterprises above the threshold monthly and they had one month to register; from
//! 2021 banks should require registration before any further receipt. The day numbers and
//! whether the exemption survives 汇发〔2024〕11号 are unverified: see `Params`.

use super::{TaxError, csv_fields, date};
use crate::model::said::Said;
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Customs currency code of the US dollar.
pub const USD: &str = "502";
/// Customs currency code of the yuan.
pub const CNY: &str = "142";

/// The shipped sample of exchange rates (illustrative yearly averages).
pub const SAMPLE: &str = include_str!("../../seeds/tax/fx_rates.csv");

/// Yuan per unit of each currency, each rate from a date until the next one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FxRates {
    /// currency → (from, CNY per unit), sorted by date.
    rates: BTreeMap<String, Vec<(NaiveDate, Decimal)>>,
}

impl FxRates {
    /// The shipped sample.
    pub fn sample() -> FxRates {
        // Tested to parse; an empty table would only leave amounts unconverted.
        FxRates::parse(SAMPLE, "seeds/tax/fx_rates.csv").unwrap_or_default()
    }

    /// Reads `currency,from,cny_per_unit` CSV (with that header).
    pub fn parse(text: &str, source_name: &str) -> Result<FxRates, TaxError> {
        let err = |line: usize, message: String| TaxError::Table {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let mut table = FxRates::default();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        match lines.next() {
            Some((_, h))
                if h.trim().trim_start_matches('\u{feff}') == "currency,from,cny_per_unit" => {}
            Some((n, h)) => {
                return Err(err(
                    n + 1,
                    format!("the header should be `currency,from,cny_per_unit`, found `{h}`"),
                ));
            }
            None => return Err(err(1, "the table is empty".into())),
        }
        for (n, line) in lines {
            let f = csv_fields(line);
            if f.len() != 3 {
                return Err(err(n + 1, format!("expected 3 fields, found {}", f.len())));
            }
            let from = NaiveDate::parse_from_str(f[1].trim(), "%Y-%m-%d")
                .map_err(|_| err(n + 1, format!("from `{}` is not a date YYYY-MM-DD", f[1])))?;
            let rate: Decimal = f[2]
                .trim()
                .parse()
                .map_err(|_| err(n + 1, format!("cny_per_unit `{}` is not a number", f[2])))?;
            table
                .insert(f[0].trim(), from, rate)
                .map_err(|m| err(n + 1, m))?;
        }
        Ok(table)
    }

    /// Adds (or replaces) the rate of `currency` from `from` on.
    pub fn insert(
        &mut self,
        currency: &str,
        from: NaiveDate,
        cny_per_unit: Decimal,
    ) -> Result<(), String> {
        if cny_per_unit <= Decimal::ZERO {
            return Err(format!(
                "the rate of {currency} from {from} must be positive"
            ));
        }
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "currency `{currency}` should be a customs currency code such as 502 (USD)"
            ));
        }
        let list = self.rates.entry(currency.to_string()).or_default();
        list.retain(|(d, _)| *d != from);
        list.push((from, cny_per_unit));
        list.sort_by_key(|(d, _)| *d);
        Ok(())
    }

    /// Yuan per unit of `currency` on `date` (the yuan is always 1).
    pub fn cny_per_unit(&self, currency: &str, date: NaiveDate) -> Option<Decimal> {
        if currency == CNY {
            return Some(Decimal::ONE);
        }
        self.rates
            .get(currency)?
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .map(|(_, r)| *r)
    }

    /// `amount` of `currency` in yuan on `date`.
    pub fn to_cny(&self, amount: Decimal, currency: &str, date: NaiveDate) -> Option<Decimal> {
        Some(amount * self.cny_per_unit(currency, date)?)
    }

    /// An amount in yuan in US dollars on `date`.
    pub fn cny_to_usd(&self, cny: Decimal, date: NaiveDate) -> Option<Decimal> {
        let rate = self.cny_per_unit(USD, date)?;
        cny.checked_div(rate)
    }
}

/// Parameters of the FX rules; defaults as the reference states them.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Exempt from registration while receipts and payments are each below this (USD).
    pub threshold_usd: Decimal,
    /// Early warning from this amount (USD).
    pub warning_usd: Decimal,
    /// 汇发〔2019〕28号 in force (issue day unverified: 2019-10-23).
    pub exemption_from: NaiveDate,
    /// Early warning and "register before further receipts" (SAFE Q&A of 2021; the month is
    /// unverified: 2021-03-01).
    pub warning_from: NaiveDate,
    /// Whether the exemption survives 汇发〔2024〕11号 (from 2024-06-01); unverified, assumed yes.
    pub exemption_after_2024: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            threshold_usd: Decimal::from(200_000),
            warning_usd: Decimal::from(180_000),
            exemption_from: date(2019, 10, 23),
            warning_from: date(2021, 3, 1),
            exemption_after_2024: true,
        }
    }
}

/// 汇发〔2024〕11号: banks register enterprises directly, from 2024-06-01.
const BANK_REGISTRATION_FROM: NaiveDate = date(2024, 6, 1);

/// Where an enterprise stands with the 名录 in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Below the warning band: no registration needed.
    Exempt,
    /// In the warning band (180,000 ≤ amount < 200,000).
    Warning,
    /// At or above the threshold: must register.
    MustRegister,
    /// No exemption in force on the date: any goods-trade receipt needs registration.
    NoExemption,
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Exempt => "exempt",
            Standing::Warning => "early warning",
            Standing::MustRegister => "must register",
            Standing::NoExemption => "registration required (no exemption in force)",
        }
    }
}

/// The FX position of one enterprise in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub year: i32,
    pub receipts_usd: Decimal,
    pub payments_usd: Decimal,
    pub standing: Standing,
    /// First day cumulative receipts reached the warning band / the threshold.
    pub warning_on: Option<NaiveDate>,
    pub threshold_on: Option<NaiveDate>,
    /// By when it must be registered, when it must.
    pub register_by: Option<NaiveDate>,
    pub reasons: Vec<Said>,
}

/// Judges a year from the enterprise's receipts by day (USD) and its payments for the year.
pub fn assess(
    year: i32,
    receipts_by_day: &BTreeMap<NaiveDate, Decimal>,
    payments_usd: Decimal,
    params: &Params,
) -> Assessment {
    let mut cumulative = Decimal::ZERO;
    let (mut warning_on, mut threshold_on) = (None, None);
    for (day, usd) in receipts_by_day.range(year_range(year)) {
        cumulative += *usd;
        if warning_on.is_none() && cumulative >= params.warning_usd {
            warning_on = Some(*day);
        }
        if threshold_on.is_none() && cumulative >= params.threshold_usd {
            threshold_on = Some(*day);
        }
    }
    let receipts_usd = super::money(cumulative);
    let larger = receipts_usd.max(payments_usd);
    let year_end = date(year, 12, 31);
    let mut reasons = Vec::new();
    let exemption_in_force = year_end >= params.exemption_from
        && (params.exemption_after_2024 || year_end < BANK_REGISTRATION_FROM);
    if !exemption_in_force {
        let from = params.exemption_from;
        let (ended_zh, ended_en) = if params.exemption_after_2024 {
            ("", "")
        } else {
            (
                "；假定已由汇发〔2024〕11号于2024-06-01终止",
                "; assumed ended by 汇发〔2024〕11号 on 2024-06-01",
            )
        };
        reasons.push(Said::new(
            format!("{year} 年没有有效的小额出口免于名录登记规定（汇发〔2019〕28号第五条，自 {from}{ended_zh}）"),
            format!(
                "no small-exporter exemption in force in {year} (汇发〔2019〕28号 Art. 5 from {from}{ended_en})"
            ),
        ));
        return Assessment {
            year,
            receipts_usd,
            payments_usd,
            standing: Standing::NoExemption,
            warning_on,
            threshold_on,
            register_by: receipts_by_day
                .range(year_range(year))
                .next()
                .map(|(d, _)| *d),
            reasons,
        };
    }
    let warning_applies = year_end >= params.warning_from;
    let standing = if larger >= params.threshold_usd {
        Standing::MustRegister
    } else if warning_applies && larger >= params.warning_usd {
        Standing::Warning
    } else {
        Standing::Exempt
    };
    let threshold = params.threshold_usd;
    reasons.push(Said::new(
        format!(
            "收汇 {receipts_usd} 美元、付汇 {payments_usd} 美元：两者均低于 {threshold} 美元时才免于名录登记（汇发〔2019〕28号第五条）"
        ),
        format!(
            "receipts USD {receipts_usd}, payments USD {payments_usd}: exempt from 名录 registration only while each stays below USD {threshold} (汇发〔2019〕28号 Art. 5)"
        ),
    ));
    let mut register_by = None;
    if standing == Standing::MustRegister {
        let crossed = threshold_on.unwrap_or(year_end);
        if crossed >= params.warning_from {
            register_by = Some(crossed);
            let (bank_zh, bank_en) = if crossed >= BANK_REGISTRATION_FROM {
                (
                    "；按汇发〔2024〕11号直接在银行办理",
                    "; registered at the bank directly under 汇发〔2024〕11号",
                )
            } else {
                ("", "")
            };
            reasons.push(Said::new(
                format!(
                    "{crossed} 达到登记标准：银行应在下一笔收汇前要求办理名录登记（外汇局问答 2021{bank_zh}）"
                ),
                format!(
                    "threshold reached on {crossed}: banks should require registration before the next receipt (SAFE Q&A 2021{bank_en})"
                ),
            ));
        } else {
            // SAFE's monthly list comes out in the next month; one month to register.
            let listed = first_of_next_month(crossed);
            let by = listed.checked_add_months(Months::new(1)).unwrap_or(listed);
            register_by = Some(by);
            reasons.push(Said::new(
                format!(
                    "{crossed} 达到登记标准：外汇局次月列入名单，应在一个月内（{by} 前）办理名录登记（外汇局问答 2020）"
                ),
                format!(
                    "threshold reached on {crossed}: listed by SAFE in the month after, register within one month, by {by} (SAFE Q&A 2020)"
                ),
            ));
        }
    } else if standing == Standing::Warning {
        let warning = params.warning_usd;
        let (since_zh, since_en) = warning_on
            .map_or(("付汇".to_string(), "payments".to_string()), |d| {
                (d.to_string(), d.to_string())
            });
        reasons.push(Said::new(
            format!("自 {since_zh} 起进入 {warning} 美元预警区间"),
            format!("in the early-warning band from USD {warning} (since {since_en})"),
        ));
    }
    Assessment {
        year,
        receipts_usd,
        payments_usd,
        standing,
        warning_on: warning_on.filter(|_| warning_applies),
        threshold_on,
        register_by,
        reasons,
    }
}

fn year_range(year: i32) -> std::ops::RangeInclusive<NaiveDate> {
    date(year, 1, 1)..=date(year, 12, 31)
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_add_months(Months::new(1)).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn days(entries: &[(NaiveDate, i64)]) -> BTreeMap<NaiveDate, Decimal> {
        entries
            .iter()
            .map(|(d, v)| (*d, Decimal::from(*v)))
            .collect()
    }

    #[test]
    fn the_threshold_is_exclusive_and_the_warning_inclusive() {
        let p = Params::default();
        let a = assess(2023, &days(&[(d(2023, 3, 1), 179_999)]), Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::Exempt);
        let a = assess(2023, &days(&[(d(2023, 3, 1), 180_000)]), Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::Warning);
        assert_eq!(a.warning_on, Some(d(2023, 3, 1)));
        let a = assess(2023, &days(&[(d(2023, 3, 1), 199_999)]), Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::Warning);
        let r = days(&[(d(2023, 3, 1), 150_000), (d(2023, 5, 9), 50_000)]);
        let a = assess(2023, &r, Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::MustRegister);
        assert_eq!(a.threshold_on, Some(d(2023, 5, 9)));
        assert_eq!(a.register_by, Some(d(2023, 5, 9)));
    }

    #[test]
    fn payments_count_alone_and_other_years_do_not() {
        let p = Params::default();
        let r = days(&[(d(2022, 12, 31), 500_000), (d(2023, 1, 1), 10)]);
        let a = assess(2023, &r, Decimal::from(200_000), &p);
        assert_eq!(a.receipts_usd, Decimal::from(10));
        assert_eq!(a.standing, Standing::MustRegister);
    }

    #[test]
    fn in_2020_the_monthly_list_gives_a_month() {
        let p = Params::default();
        let a = assess(2020, &days(&[(d(2020, 8, 20), 250_000)]), Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::MustRegister);
        assert_eq!(a.register_by, Some(d(2020, 10, 1)));
        // No warning band before 2021.
        let a = assess(2020, &days(&[(d(2020, 8, 20), 190_000)]), Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::Exempt);
    }

    #[test]
    fn before_the_exemption_registration_is_needed() {
        let p = Params::default();
        let a = assess(2018, &days(&[(d(2018, 8, 20), 1)]), Decimal::ZERO, &p);
        assert_eq!(a.standing, Standing::NoExemption);
        let gone = Params {
            exemption_after_2024: false,
            ..Params::default()
        };
        assert_eq!(
            assess(2025, &days(&[(d(2025, 2, 1), 1)]), Decimal::ZERO, &gone).standing,
            Standing::NoExemption
        );
    }

    #[test]
    fn rates_convert_by_date() {
        let rates = FxRates::sample();
        let r2022 = rates.cny_per_unit(USD, d(2022, 6, 1)).unwrap();
        let r2023 = rates.cny_per_unit(USD, d(2023, 6, 1)).unwrap();
        assert_ne!(r2022, r2023);
        assert_eq!(
            rates.to_cny(Decimal::TEN, CNY, d(2000, 1, 1)),
            Some(Decimal::TEN)
        );
        assert_eq!(rates.cny_per_unit("999", d(2023, 1, 1)), None);
        let usd = rates
            .cny_to_usd(r2023 * Decimal::from(5), d(2023, 6, 1))
            .unwrap();
        assert_eq!(usd, Decimal::from(5));
        let e = FxRates::parse("currency,from,cny_per_unit\n502,2023-01-01,abc\n", "fx.csv");
        assert!(e.unwrap_err().to_string().contains("fx.csv line 2"));
    }
}
