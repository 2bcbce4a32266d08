//! An enterprise's tax profile, with the dates each state of it holds: the facts the export
//! VAT, CIT and FX rules ask about (综试区, taxpayer type, refund filing, trading or producing,
//! headcount, assets, industry).

use super::TaxError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// VAT taxpayer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Taxpayer {
    /// 一般纳税人.
    General,
    /// 小规模纳税人.
    SmallScale,
}

/// Whether the exporter buys the goods it exports or makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// 外贸企业: refund = purchase amount × refund rate; needs purchase invoices.
    Trading,
    /// 生产企业: 免抵退 on the FOB value.
    Producing,
}

/// The enterprise's facts from a date on (until the next period starts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day these facts hold.
    pub from: NaiveDate,
    /// Registered in a cross-border e-commerce comprehensive pilot zone (综试区).
    #[serde(default)]
    pub pilot_zone: bool,
    /// Records each export (date, goods, unit, qty, price, amount) on the zone's online
    /// comprehensive service platform (线上综合服务平台).
    #[serde(default)]
    pub platform_recording: bool,
    /// Customs codes of the zone's customs (where its exports must be declared for
    /// 财税〔2018〕103号 and the 4 % method). Empty: any customs counts.
    #[serde(default)]
    pub zone_customs: Vec<String>,
    /// Holds a tax registration (税务登记).
    #[serde(default = "yes")]
    pub tax_registered: bool,
    pub taxpayer: Taxpayer,
    /// Export refund/exemption qualification filed (出口退(免)税备案).
    #[serde(default)]
    pub refund_filed: bool,
    pub kind: Kind,
    /// Annual average headcount (incl. dispatched workers).
    #[serde(default)]
    pub employees: u32,
    /// Annual average total assets, CNY.
    #[serde(default)]
    pub total_assets: Decimal,
    /// In a restricted or prohibited industry.
    #[serde(default)]
    pub restricted_industry: bool,
    /// Certified high/new-technology enterprise (15 % CIT).
    #[serde(default)]
    pub high_tech: bool,
}

fn yes() -> bool {
    true
}

impl Period {
    /// A period from `from` of a tax-registered enterprise with nothing else filed or known:
    /// not in a zone, no refund filing, no headcount or assets.
    pub fn new(from: NaiveDate, taxpayer: Taxpayer, kind: Kind) -> Period {
        Period {
            from,
            pilot_zone: false,
            platform_recording: false,
            zone_customs: Vec::new(),
            tax_registered: true,
            taxpayer,
            refund_filed: false,
            kind,
            employees: 0,
            total_assets: Decimal::ZERO,
            restricted_industry: false,
            high_tech: false,
        }
    }
}

/// An enterprise's profile over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Customs code (or credit code) as on its declarations' `ebcCode`.
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// Its states, each from a date; sorted by `validate`.
    #[serde(rename = "period")]
    pub periods: Vec<Period>,
}

impl Profile {
    /// Sorts the periods and refuses an empty profile or two periods from the same day.
    pub fn validate(mut self) -> Result<Profile, TaxError> {
        if self.periods.is_empty() {
            return Err(TaxError::Profile(format!(
                "enterprise {}: give at least one [[enterprise.period]] with a `from` date",
                self.code
            )));
        }
        self.periods.sort_by_key(|p| p.from);
        if let Some(w) = self.periods.windows(2).find(|w| w[0].from == w[1].from) {
            return Err(TaxError::Profile(format!(
                "enterprise {}: two periods start on {}",
                self.code, w[0].from
            )));
        }
        Ok(self)
    }

    /// The facts that hold on `date`: the last period starting on or before it. `None`
    /// before the first period.
    pub fn on(&self, date: NaiveDate) -> Option<&Period> {
        self.periods.iter().rev().find(|p| p.from <= date)
    }

    /// The facts that hold at the end of a tax year: CIT and FX judge the year as a whole.
    pub fn for_year(&self, year: i32) -> Option<&Period> {
        self.on(NaiveDate::from_ymd_opt(year, 12, 31)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn period(from: NaiveDate, taxpayer: Taxpayer) -> Period {
        Period::new(from, taxpayer, Kind::Trading)
    }

    #[test]
    fn the_period_in_force_is_the_last_started() {
        let p = Profile {
            code: "X".into(),
            name: String::new(),
            periods: vec![
                period(d(2023, 7, 1), Taxpayer::General),
                period(d(2020, 1, 1), Taxpayer::SmallScale),
            ],
        }
        .validate()
        .unwrap();
        assert!(p.on(d(2019, 12, 31)).is_none());
        assert_eq!(p.on(d(2023, 6, 30)).unwrap().taxpayer, Taxpayer::SmallScale);
        assert_eq!(p.on(d(2023, 7, 1)).unwrap().taxpayer, Taxpayer::General);
        assert_eq!(p.for_year(2023).unwrap().taxpayer, Taxpayer::General);
        assert!(p.for_year(2019).is_none());
    }

    #[test]
    fn an_empty_or_ambiguous_profile_is_refused() {
        let empty = Profile {
            code: "X".into(),
            name: String::new(),
            periods: vec![],
        };
        assert!(empty.validate().is_err());
        let twice = Profile {
            code: "X".into(),
            name: String::new(),
            periods: vec![
                period(d(2020, 1, 1), Taxpayer::General),
                period(d(2020, 1, 1), Taxpayer::SmallScale),
            ],
        };
        let err = twice.validate().unwrap_err().to_string();
        assert!(err.contains("2020-01-01"), "{err}");
    }
}
