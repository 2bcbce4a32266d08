//! Annual figures per enterprise: treated lines added up by tax year, then the year's CIT
//! and FX assessed. Years are calendar years of the export date; a 9810 reconciliation
//! adjustment and a return count in the year they are booked.

use super::vat::{Regime, Treatment};
use super::{Profile, cit, fx, money};
use crate::model::said::Said;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How CIT is assessed for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CitMethod {
    /// The 4 % method when every export line of the year went 无票免税 from a 综试区
    /// enterprise recording on the platform; the books otherwise.
    #[default]
    Auto,
    Deemed,
    Book,
}

/// What an enterprise's year needs besides its exports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearInputs {
    pub year: i32,
    /// Income other than export sales (收入总额 is all income).
    #[serde(default)]
    pub other_income: Decimal,
    #[serde(default)]
    pub non_taxable_income: Decimal,
    #[serde(default)]
    pub exempt_income: Decimal,
    /// Taxable income from the books (book method).
    pub book_taxable_income: Option<Decimal>,
    /// Goods-trade FX payments of the year, USD.
    #[serde(default)]
    pub payments_usd: Decimal,
}

/// Count and FOB value of the lines of one regime.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub lines: u64,
    pub fob_cny: Decimal,
}

/// The figures of one enterprise's year.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Year {
    pub enterprise: String,
    pub year: i32,
    pub declarations: u64,
    pub lines: u64,
    /// FOB value of the exported lines, CNY.
    pub export_revenue: Decimal,
    pub by_regime: BTreeMap<Regime, Tally>,
    pub vat_refund: Decimal,
    pub ct_refund: Decimal,
    /// Pre-refunded (HWC-YT) in the year; included in `vat_refund`.
    pub pre_refund: Decimal,
    /// Reconciliation adjustments booked in the year (negative: repaid or recovered).
    pub reconciliation_adjustment: Decimal,
    pub reconciliations: BTreeMap<String, u64>,
    pub output_vat: Decimal,
    pub consumption_tax: Decimal,
    /// Returns of goods lines booked in the year (by the return's date).
    pub returns: u64,
    /// FOB value of the goods returned in the year, CNY: export revenue reversed.
    pub returned_fob_cny: Decimal,
    /// VAT and consumption-tax refunds repaid on goods returned in the year.
    pub return_refund_repaid: Decimal,
    /// Deemed-sale output VAT and consumption tax reversed on goods returned in the year.
    pub return_tax_reversed: Decimal,
    pub provisional_lines: u64,
    /// How many lines got each treatment for each set of reasons (`regime: reasons`, in
    /// English; `reasons.csv` of a replay has them in Chinese too).
    pub why: BTreeMap<String, u64>,
    /// Refund minus the taxes of deemed sales, after reconciliation and returns.
    pub net_vat_position: Decimal,
    /// FX receipts by day, USD (what the FX assessment walks).
    #[serde(skip)]
    pub receipts_by_day: BTreeMap<NaiveDate, Decimal>,
    pub fx_receipts_usd: Decimal,
    pub cit: Option<CitSummary>,
    pub fx: Option<FxSummary>,
}

/// The CIT of a year, flattened for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitSummary {
    pub method: cit::Method,
    pub total_income: Decimal,
    pub taxable_income: Option<Decimal>,
    pub tax: Option<Decimal>,
    pub small_profit: bool,
    pub bands: Vec<(String, Decimal, Decimal, Decimal)>,
    pub reasons: Vec<Said>,
}

/// The FX standing of a year, flattened for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FxSummary {
    pub receipts_usd: Decimal,
    pub payments_usd: Decimal,
    pub standing: fx::Standing,
    pub warning_on: Option<NaiveDate>,
    pub threshold_on: Option<NaiveDate>,
    pub register_by: Option<NaiveDate>,
    pub reasons: Vec<Said>,
}

/// Adds up treated lines by enterprise and year.
#[derive(Debug, Default)]
pub struct Accumulator {
    years: BTreeMap<(String, i32), Year>,
    /// Reused for the `why` key of each line.
    scratch: String,
}

impl Accumulator {
    pub fn new() -> Self {
        Accumulator::default()
    }

    fn year(&mut self, enterprise: &str, year: i32) -> &mut Year {
        self.years
            .entry((enterprise.to_string(), year))
            .or_insert_with(|| Year {
                enterprise: enterprise.to_string(),
                year,
                ..Year::default()
            })
    }

    /// Counts a declaration of `enterprise` exported on `day`.
    pub fn declaration(&mut self, enterprise: &str, day: NaiveDate) {
        self.year(enterprise, day.year()).declarations += 1;
    }

    /// Adds one treated line exported on `day`; `receipt_usd` is the FX it brings in.
    pub fn line(&mut self, enterprise: &str, day: NaiveDate, t: &Treatment, receipt_usd: Decimal) {
        // The `why` key, built in a reused buffer: most lines share a few keys.
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        key.push_str(t.regime.code());
        key.push_str(": ");
        for (i, r) in t.reasons.iter().enumerate() {
            if i > 0 {
                key.push_str(" | ");
            }
            key.push_str(&r.en);
        }
        self.line_with_key(enterprise, day, t, receipt_usd, &key);
        self.scratch = key;
    }

    fn line_with_key(
        &mut self,
        enterprise: &str,
        day: NaiveDate,
        t: &Treatment,
        receipt_usd: Decimal,
        key: &str,
    ) {
        let y = self.year(enterprise, day.year());
        y.lines += 1;
        y.export_revenue += t.fob_cny;
        let tally = y.by_regime.entry(t.regime).or_default();
        tally.lines += 1;
        tally.fob_cny += t.fob_cny;
        y.vat_refund += t.vat_refund;
        y.ct_refund += t.ct_refund;
        y.output_vat += t.output_vat;
        y.consumption_tax += t.consumption_tax;
        if t.regime == Regime::PreRefund {
            y.pre_refund += t.vat_refund;
        }
        if t.provisional {
            y.provisional_lines += 1;
        }
        match y.why.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                y.why.insert(key.to_string(), 1);
            }
        }
        if receipt_usd > Decimal::ZERO {
            *y.receipts_by_day.entry(day).or_default() += receipt_usd;
        }
        if let Some(r) = &t.reconciliation {
            let later = self.year(enterprise, r.booked_on.year());
            later.reconciliation_adjustment += r.adjustment;
            *later
                .reconciliations
                .entry(r.outcome.code().to_string())
                .or_default() += 1;
        }
        for r in &t.returns {
            let later = self.year(enterprise, r.on.year());
            later.returns += 1;
            later.returned_fob_cny += r.fob_cny;
            later.return_refund_repaid += r.refund_repaid;
            later.return_tax_reversed += r.tax_reversed;
        }
    }

    /// Makes sure `enterprise` has figures for `year`, zero when nothing happened in it.
    pub fn open(&mut self, enterprise: &str, year: i32) {
        self.year(enterprise, year);
    }

    /// Assesses CIT and FX for every year that has figures (and every year named in
    /// `inputs`), in order of enterprise and year.
    pub fn finish(
        mut self,
        profiles: &[Profile],
        inputs: &BTreeMap<String, (CitMethod, Vec<YearInputs>)>,
        cit_params: &cit::Params,
        fx_params: &fx::Params,
    ) -> Vec<Year> {
        for (enterprise, (_, years)) in inputs {
            for y in years {
                self.year(enterprise, y.year);
            }
        }
        let mut out = Vec::new();
        for ((enterprise, year), mut y) in self.years {
            let (method, years) = inputs
                .get(&enterprise)
                .map(|(m, ys)| (*m, ys.as_slice()))
                .unwrap_or((CitMethod::Auto, &[]));
            let extra = years
                .iter()
                .find(|i| i.year == year)
                .cloned()
                .unwrap_or(YearInputs {
                    year,
                    ..YearInputs::default()
                });
            y.export_revenue = money(y.export_revenue);
            y.net_vat_position = y.vat_refund + y.ct_refund + y.reconciliation_adjustment
                - y.return_refund_repaid
                - (y.output_vat + y.consumption_tax - y.return_tax_reversed);
            let profile = profiles
                .iter()
                .find(|p| p.code == enterprise)
                .and_then(|p| p.for_year(year));
            y.cit = profile.map(|p| assess_cit(&y, p, method, &extra, cit_params));
            let fxa = fx::assess(year, &y.receipts_by_day, extra.payments_usd, fx_params);
            y.fx_receipts_usd = fxa.receipts_usd;
            y.fx = Some(FxSummary {
                receipts_usd: fxa.receipts_usd,
                payments_usd: fxa.payments_usd,
                standing: fxa.standing,
                warning_on: fxa.warning_on,
                threshold_on: fxa.threshold_on,
                register_by: fxa.register_by,
                reasons: fxa.reasons,
            });
            out.push(y);
        }
        out
    }
}

fn assess_cit(
    y: &Year,
    p: &super::Period,
    method: CitMethod,
    extra: &YearInputs,
    params: &cit::Params,
) -> CitSummary {
    let no_invoice = y
        .by_regime
        .get(&Regime::ExemptNoInvoice)
        .map_or(0, |t| t.lines);
    let mut reasons = Vec::new();
    let method = match method {
        CitMethod::Deemed => {
            reasons.push(Said::fixed(
                "场景选定核定征收（4%）",
                "4 % method chosen in the scenario",
            ));
            cit::Method::Deemed
        }
        CitMethod::Book => {
            reasons.push(Said::fixed(
                "场景选定查账征收",
                "book method chosen in the scenario",
            ));
            cit::Method::Book
        }
        CitMethod::Auto => {
            let eligible_enterprise = p.pilot_zone && p.platform_recording;
            if eligible_enterprise && no_invoice > 0 && no_invoice == y.lines {
                reasons.push(Said::new(
                    format!(
                        "核定征收（4%）：{} 年全部 {} 条出口商品均为综试区内在平台登记的企业无票免税（国家税务总局公告2019年第36号）",
                        y.year, y.lines
                    ),
                    format!(
                        "4 % method: all {} export lines of {} went 无票免税 from a 综试区 enterprise recording on the platform (国家税务总局公告2019年第36号)",
                        y.lines, y.year
                    ),
                ));
                cit::Method::Deemed
            } else {
                reasons.push(if !eligible_enterprise {
                    Said::fixed(
                        "查账征收：不是在综试区平台登记的综试区企业",
                        "book method: not a 综试区 enterprise recording on its platform",
                    )
                } else {
                    let (not, all, year) = (y.lines - no_invoice, y.lines, y.year);
                    Said::new(
                        format!(
                            "查账征收：{year} 年 {all} 条出口商品中有 {not} 条不是无票免税，而36号只适用于未取得有效进货凭证的出口货物"
                        ),
                        format!(
                            "book method: {not} of {all} export lines of {year} were not 无票免税, and 36号 covers exporters of goods without purchase vouchers"
                        ),
                    )
                });
                cit::Method::Book
            }
        }
    };
    // Returned goods take their revenue back with them, in the year they return.
    let total_income = money(y.export_revenue - y.returned_fob_cny + extra.other_income);
    if y.returned_fob_cny > Decimal::ZERO {
        let (revenue, returned, year) = (y.export_revenue, y.returned_fob_cny, y.year);
        reasons.push(Said::new(
            format!("出口收入 {revenue:.2} 减去 {year} 年退运货物 {returned:.2}"),
            format!("export revenue {revenue:.2} less {returned:.2} of goods returned in {year}"),
        ));
    }
    let a = cit::assess(
        &cit::Input {
            year: y.year,
            method,
            total_income,
            non_taxable_income: extra.non_taxable_income,
            exempt_income: extra.exempt_income,
            book_taxable_income: extra.book_taxable_income,
            employees: p.employees,
            total_assets: p.total_assets,
            restricted_industry: p.restricted_industry,
            high_tech: p.high_tech,
        },
        params,
    );
    reasons.extend(a.reasons);
    CitSummary {
        method,
        total_income,
        taxable_income: a.taxable_income,
        tax: a.tax,
        small_profit: a.small_profit,
        bands: a
            .bands
            .into_iter()
            .map(|b| (b.label, b.base, b.rate, b.tax))
            .collect(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tax::vat::{LineFacts, LineInputs, Params, treat};
    use crate::tax::{Kind, Period, Taxpayer, fx::FxRates, rates::Rates};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn profile() -> Profile {
        Profile {
            code: "E1".into(),
            name: String::new(),
            periods: vec![Period {
                pilot_zone: true,
                platform_recording: true,
                employees: 20,
                total_assets: Decimal::from(5_000_000),
                ..Period::new(d(2019, 1, 1), Taxpayer::SmallScale, Kind::Trading)
            }],
        }
    }

    fn add(acc: &mut Accumulator, p: &Profile, day: NaiveDate, fob: i64, invoice: bool) {
        let facts = LineFacts {
            trade_mode: "9610",
            export_date: day,
            customs_code: "5314",
            statistics_flag: "B",
            gcode: "6109100021",
            fob: Decimal::from(fob),
            currency: "142",
            qty: Decimal::ONE,
            returns: Vec::new(),
        };
        let inputs = LineInputs {
            purchase_invoice: invoice,
            purchase_amount: Decimal::ZERO,
            proceeds_received: true,
            overseas: None,
        };
        let fx = FxRates::sample();
        let t = treat(
            &facts,
            p.on(day),
            &inputs,
            &Rates::sample(),
            &fx,
            &Params::default(),
        );
        let usd = fx.cny_to_usd(t.fob_cny, day).unwrap();
        acc.declaration("E1", day);
        acc.line("E1", day, &t, usd);
    }

    #[test]
    fn a_no_invoice_year_gets_the_deemed_method_and_a_mixed_one_not() {
        let p = profile();
        let mut acc = Accumulator::new();
        add(&mut acc, &p, d(2022, 3, 1), 25_000_000, false);
        add(&mut acc, &p, d(2022, 9, 1), 25_000_000, false);
        add(&mut acc, &p, d(2023, 3, 1), 50_000_000, false);
        add(&mut acc, &p, d(2023, 3, 2), 1_000, true);
        let years = acc.finish(
            &[p],
            &BTreeMap::new(),
            &cit::Params::default(),
            &fx::Params::default(),
        );
        assert_eq!(years.len(), 2);
        let y2022 = &years[0];
        assert_eq!(y2022.export_revenue, Decimal::from(50_000_000));
        let cit = y2022.cit.as_ref().unwrap();
        assert_eq!(cit.method, cit::Method::Deemed);
        assert_eq!(cit.tax, Some(Decimal::from(75_000)));
        assert_eq!(
            y2022.fx.as_ref().unwrap().standing,
            fx::Standing::MustRegister
        );
        let cit = years[1].cit.as_ref().unwrap();
        assert_eq!(cit.method, cit::Method::Book);
        assert_eq!(cit.tax, None, "no book figures given");
        assert_eq!(years[1].by_regime[&Regime::Exempt].lines, 1);
    }
}
