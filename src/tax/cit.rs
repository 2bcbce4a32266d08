//! Corporate income tax of one tax year (reference §3).
//!
//! - 国家税务总局公告2019年第36号, from 2020-01-01: an eligible 综试区 retail exporter without
//!   purchase invoices (the 无票免税 route) is assessed on taxable income = (total income −
//!   non-taxable − exempt income) × 4 %. Before 2020 the method does not exist.
//! - Small-and-low-profit relief (小型微利企业), 2019–2027: taxable income ≤ RMB 3 m, ≤ 300
//!   employees, ≤ RMB 50 m assets, not a restricted industry; the rate per band by year.
//!   Above any limit there is no relief at all (the cliff).
//! - Otherwise 25 %, or 15 % for a high/new-technology enterprise on the book method.

use super::{date, money};
use crate::model::said::Said;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// How taxable income is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// 核定征收: total income × the deemed rate (36号).
    Deemed,
    /// 查账征收: taxable income from the books (given).
    Book,
}

/// What the assessment needs to know of the enterprise's year.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub year: i32,
    pub method: Method,
    /// 收入总额: all income of the year, CNY (export revenue plus any other income).
    pub total_income: Decimal,
    /// 不征税收入.
    pub non_taxable_income: Decimal,
    /// 免税收入 (e.g. CIT Law Art. 26 items): excluded before the deemed rate.
    pub exempt_income: Decimal,
    /// Taxable income from the books, for the book method.
    pub book_taxable_income: Option<Decimal>,
    pub employees: u32,
    pub total_assets: Decimal,
    pub restricted_industry: bool,
    pub high_tech: bool,
}

impl Input {
    /// A year with only its method and total income: no other income items, no headcount
    /// or assets, no restricted industry, not high-tech.
    pub fn new(year: i32, method: Method, total_income: Decimal) -> Input {
        Input {
            year,
            method,
            total_income,
            non_taxable_income: Decimal::ZERO,
            exempt_income: Decimal::ZERO,
            book_taxable_income: None,
            employees: 0,
            total_assets: Decimal::ZERO,
            restricted_industry: false,
            high_tech: false,
        }
    }
}

/// Parameters; defaults as the reference states them.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// The uniform deemed taxable-income rate of 36号.
    pub deemed_rate: Decimal,
    /// 36号 in force.
    pub deemed_from: NaiveDate,
    pub standard_rate: Decimal,
    pub high_tech_rate: Decimal,
    /// Whether the 15 % high-tech rate may combine with deemed assessment (unverified;
    /// generally not).
    pub high_tech_with_deemed: bool,
    pub small_profit_income_limit: Decimal,
    pub small_profit_employee_limit: u32,
    pub small_profit_asset_limit: Decimal,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            deemed_rate: Decimal::new(4, 2),
            deemed_from: date(2020, 1, 1),
            standard_rate: Decimal::new(25, 2),
            high_tech_rate: Decimal::new(15, 2),
            high_tech_with_deemed: false,
            small_profit_income_limit: Decimal::from(3_000_000),
            small_profit_employee_limit: 300,
            small_profit_asset_limit: Decimal::from(50_000_000),
        }
    }
}

/// One band of the tax computation: `base` × `rate` = `tax`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub label: String,
    pub base: Decimal,
    pub rate: Decimal,
    pub tax: Decimal,
}

/// The result of a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub year: i32,
    pub method: Method,
    /// 应纳税所得额; `None` when it cannot be found (e.g. deemed method before 2020, book
    /// method without book figures).
    pub taxable_income: Option<Decimal>,
    pub tax: Option<Decimal>,
    pub small_profit: bool,
    pub bands: Vec<Band>,
    pub reasons: Vec<Said>,
}

/// The small-and-low-profit effective rates of a tax year: (≤ RMB 1 m, RMB 1–3 m) and the
/// instruments, or `None` outside 2019–2027.
pub fn small_profit_rates(year: i32) -> Option<(Decimal, Decimal, &'static str)> {
    let pct = |tenths: i64| Decimal::new(tenths, 3);
    match year {
        2019 | 2020 => Some((pct(50), pct(100), "财税〔2019〕13号")),
        2021 => Some((
            pct(25),
            pct(100),
            "财税〔2019〕13号 + 财政部 税务总局公告2021年第12号",
        )),
        2022 => Some((
            pct(25),
            pct(50),
            "财政部 税务总局公告2021年第12号 + 2022年第13号",
        )),
        2023..=2027 => Some((
            pct(50),
            pct(50),
            "财政部 税务总局公告2023年第6号 / 2023年第12号",
        )),
        _ => None,
    }
}

/// Assesses one year.
pub fn assess(input: &Input, params: &Params) -> Assessment {
    let mut reasons = Vec::new();
    let year = input.year;
    let taxable = match input.method {
        Method::Deemed => {
            if date(year, 12, 31) < params.deemed_from {
                reasons.push(Said::new(
                    format!(
                        "核定应税所得率 4%（国家税务总局公告2019年第36号）自 {} 起适用，{year} 年没有这一方法：请查账征收",
                        params.deemed_from
                    ),
                    format!(
                        "the 4 % deemed method (国家税务总局公告2019年第36号) applies from {}: it does not exist for {year}; assess on the books instead",
                        params.deemed_from
                    ),
                ));
                None
            } else {
                let base = input.total_income - input.non_taxable_income - input.exempt_income;
                let base = base.max(Decimal::ZERO);
                let t = money(base * params.deemed_rate);
                let (income, non_taxable, exempt, rate) = (
                    money(input.total_income),
                    money(input.non_taxable_income),
                    money(input.exempt_income),
                    params.deemed_rate,
                );
                reasons.push(Said::new(
                    format!(
                        "核定应纳税所得额（36号）：（收入总额 {income} − 不征税收入 {non_taxable} − 免税收入 {exempt}）× {rate} = {t}"
                    ),
                    format!(
                        "deemed taxable income (36号): (income {income} − non-taxable {non_taxable} − exempt {exempt}) × {rate} = {t}"
                    ),
                ));
                Some(t)
            }
        }
        Method::Book => match input.book_taxable_income {
            Some(t) => {
                reasons.push(Said::new(
                    format!("查账确定的应纳税所得额：{}", money(t)),
                    format!("taxable income from the books: {}", money(t)),
                ));
                Some(money(t))
            }
            None => {
                reasons.push(Said::fixed(
                    "查账征收：未给出账面应纳税所得额，不计算税额",
                    "book method: no taxable income from the books was given, so no tax is computed",
                ));
                None
            }
        },
    };
    let Some(taxable) = taxable else {
        return Assessment {
            year,
            method: input.method,
            taxable_income: None,
            tax: None,
            small_profit: false,
            bands: Vec::new(),
            reasons,
        };
    };
    let taxable = taxable.max(Decimal::ZERO);
    let mut failures = Vec::new();
    if taxable > params.small_profit_income_limit {
        let limit = params.small_profit_income_limit;
        failures.push(Said::new(
            format!("应纳税所得额 {taxable} 超过 {limit} 元"),
            format!("taxable income {taxable} is above RMB {limit}"),
        ));
    }
    if input.employees > params.small_profit_employee_limit {
        let (n, limit) = (input.employees, params.small_profit_employee_limit);
        failures.push(Said::new(
            format!("从业人数 {n} 人，超过 {limit} 人"),
            format!("{n} employees, more than {limit}"),
        ));
    }
    if input.total_assets > params.small_profit_asset_limit {
        let (assets, limit) = (input.total_assets, params.small_profit_asset_limit);
        failures.push(Said::new(
            format!("资产总额 {assets} 元，超过 {limit} 元"),
            format!("total assets {assets} above RMB {limit}"),
        ));
    }
    if input.restricted_industry {
        failures.push(Said::fixed(
            "从事国家限制或禁止行业",
            "restricted or prohibited industry",
        ));
    }
    let table = small_profit_rates(year);
    if table.is_none() {
        failures.push(Said::new(
            format!("未建模 {year} 年的小型微利企业优惠"),
            format!("no small-and-low-profit relief is modelled for {year}"),
        ));
    }
    let mut bands = Vec::new();
    let small_profit = failures.is_empty();
    match table {
        Some((low, high, instruments)) if small_profit => {
            let million = Decimal::from(1_000_000);
            let first = taxable.min(million);
            bands.push(band("≤ RMB 1 m", first, low));
            if taxable > million {
                bands.push(band("RMB 1–3 m", taxable - million, high));
            }
            let (low, high) = (pct(low), pct(high));
            reasons.push(Said::new(
                format!(
                    "{year} 年为小型微利企业：100 万元以下部分实际税负 {low}，100 万至 300 万元部分 {high}（{instruments}）"
                ),
                format!(
                    "small and low-profit enterprise in {year}: effective {low} up to RMB 1 m and {high} from 1 m to 3 m ({instruments})"
                ),
            ));
        }
        _ => {
            let high_tech =
                input.high_tech && (input.method == Method::Book || params.high_tech_with_deemed);
            let rate = if high_tech {
                params.high_tech_rate
            } else {
                params.standard_rate
            };
            if !failures.is_empty() {
                let failed = Said::listing("", "", &failures);
                reasons.push(Said::new(
                    format!(
                        "不属于小型微利企业（{}）：全部所得按 {} 计税",
                        failed.zh,
                        pct(rate)
                    ),
                    format!(
                        "not small and low-profit ({}): the whole income at {}",
                        failed.en,
                        pct(rate)
                    ),
                ));
            }
            if input.high_tech && !high_tech {
                reasons.push(Said::fixed(
                    "高新技术企业 15% 税率不与核定征收同时适用（未核实；参数 high_tech_with_deemed）",
                    "high-tech 15 % not combined with deemed assessment (unverified; parameter high_tech_with_deemed)",
                ));
            }
            let label = if high_tech {
                "high-tech rate"
            } else {
                "standard rate"
            };
            bands.push(band(label, taxable, rate));
        }
    }
    let tax = bands.iter().map(|b| b.tax).sum();
    Assessment {
        year,
        method: input.method,
        taxable_income: Some(taxable),
        tax: Some(tax),
        small_profit,
        bands,
        reasons,
    }
}

fn band(label: &str, base: Decimal, rate: Decimal) -> Band {
    Band {
        label: label.to_string(),
        base,
        rate,
        tax: money(base * rate),
    }
}

/// A rate as a percentage, e.g. 2.5 %.
pub fn pct(rate: Decimal) -> String {
    format!("{} %", (rate * Decimal::ONE_HUNDRED).normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deemed(year: i32, revenue: i64) -> Input {
        Input {
            employees: 50,
            total_assets: Decimal::from(10_000_000),
            ..Input::new(year, Method::Deemed, Decimal::from(revenue))
        }
    }

    fn tax(input: &Input) -> Decimal {
        assess(input, &Params::default()).tax.unwrap()
    }

    #[test]
    fn deemed_income_is_four_percent_of_income_less_exempt() {
        let mut i = deemed(2023, 10_000_000);
        i.exempt_income = Decimal::from(1_000_000);
        let a = assess(&i, &Params::default());
        assert_eq!(a.taxable_income, Some(Decimal::from(360_000)));
    }

    #[test]
    fn below_one_million_bands() {
        // Revenue 10 m → taxable 400,000.
        assert_eq!(tax(&deemed(2020, 10_000_000)), Decimal::from(20_000));
        assert_eq!(tax(&deemed(2021, 10_000_000)), Decimal::from(10_000));
        assert_eq!(tax(&deemed(2022, 10_000_000)), Decimal::from(10_000));
        assert_eq!(tax(&deemed(2023, 10_000_000)), Decimal::from(20_000));
    }

    #[test]
    fn the_cliff_at_three_million() {
        let a = assess(&deemed(2025, 80_000_000), &Params::default());
        assert!(!a.small_profit);
        assert_eq!(a.taxable_income, Some(Decimal::from(3_200_000)));
        assert_eq!(a.tax, Some(Decimal::from(800_000)));
        // Exactly 3 m is still small-profit.
        let a = assess(&deemed(2025, 75_000_000), &Params::default());
        assert!(a.small_profit);
        assert_eq!(a.tax, Some(Decimal::from(150_000)));
    }

    #[test]
    fn headcount_assets_and_industry_lose_the_relief() {
        let mut i = deemed(2023, 50_000_000);
        i.employees = 301;
        assert_eq!(tax(&i), Decimal::from(500_000));
        let mut i = deemed(2023, 50_000_000);
        i.total_assets = Decimal::from(50_000_001);
        assert_eq!(tax(&i), Decimal::from(500_000));
        let mut i = deemed(2023, 50_000_000);
        i.restricted_industry = true;
        assert_eq!(tax(&i), Decimal::from(500_000));
        let mut i = deemed(2023, 50_000_000);
        i.employees = 300;
        i.total_assets = Decimal::from(50_000_000);
        assert_eq!(tax(&i), Decimal::from(100_000));
    }

    #[test]
    fn before_2020_the_deemed_method_does_not_exist() {
        let a = assess(&deemed(2019, 50_000_000), &Params::default());
        assert_eq!(a.tax, None);
        assert_eq!(a.taxable_income, None);
        assert!(
            a.reasons[0].en.contains("does not exist for 2019"),
            "{:?}",
            a.reasons
        );
    }

    #[test]
    fn book_method_and_high_tech() {
        let mut i = deemed(2024, 0);
        i.method = Method::Book;
        assert_eq!(assess(&i, &Params::default()).tax, None);
        i.book_taxable_income = Some(Decimal::from(4_000_000));
        assert_eq!(tax(&i), Decimal::from(1_000_000));
        i.high_tech = true;
        assert_eq!(tax(&i), Decimal::from(600_000));
        // Deemed: high-tech does not apply by default.
        let mut d = deemed(2024, 100_000_000);
        d.high_tech = true;
        assert_eq!(tax(&d), Decimal::from(1_000_000));
    }

    #[test]
    fn years_outside_the_relief_tables_pay_the_standard_rate() {
        let a = assess(&deemed(2028, 10_000_000), &Params::default());
        assert!(!a.small_profit);
        assert_eq!(a.tax, Some(Decimal::from(100_000)));
        assert!(a.reasons.iter().any(|r| r.en.contains("2028")));
    }
}
