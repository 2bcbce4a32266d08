//! Generated traffic: streams of parcels of one enterprise, spread over days, built with the
//! seeded parcel generator (`load::parcels`) and adapted to the stream (enterprise, dates,
//! trade mode, customs, values). Each day also brings the supervised site's arrival report
//! for that day's parcels (21:00) and the departure of the previous day's (09:00), so lists
//! are released and closed as in life.

use super::{ScenarioError, Spec};
use crate::load::bills::{
    Bill, SITE_OPERATOR_NAME, arrival, departure, site_operator, site_transfer,
};
use crate::load::parcels::{Parcel, Rng, parcel};
use crate::model::Message;
use crate::model::envelope::BaseTransfer;
use crate::model::time::format14;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One stream of generated parcels, as written in the scenario (`[[traffic]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// Code of a scenario enterprise: the consignor (ebcCode) and declarant of the parcels.
    pub enterprise: String,
    /// Parcels over the stream's dates.
    pub parcels: u64,
    /// 9610, 9710 or 9810 (orders E, B or W).
    #[serde(default = "d_mode")]
    pub trade_mode: String,
    /// Dates of the stream (default: the scenario period).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Declaring customs and port of exit.
    #[serde(default = "d_customs")]
    pub customs: String,
    /// A (simplified, 汇总统计) or B (汇总申报).
    #[serde(default = "d_flag")]
    pub statistics_flag: String,
    /// Multiplies the generated unit prices (about 25–160 yuan).
    #[serde(default = "d_scale")]
    pub value_scale: Decimal,
    /// Relative volume per calendar month (12 numbers); default even.
    #[serde(default)]
    pub monthly_weights: Vec<u32>,
    /// Platform code (ebpCode); default the enterprise itself.
    pub platform: Option<String>,
}

fn d_mode() -> String {
    "9610".into()
}
fn d_customs() -> String {
    "5314".into()
}
fn d_flag() -> String {
    "B".into()
}
fn d_scale() -> Decimal {
    Decimal::ONE
}

impl Stream {
    pub(super) fn validate(&self, i: usize, spec: &Spec) -> Result<(), ScenarioError> {
        let bad = |m: String| ScenarioError::Invalid(format!("[[traffic]] #{}: {m}", i + 1));
        if !spec.enterprises.iter().any(|e| e.code == self.enterprise) {
            return Err(bad(format!(
                "enterprise `{}` is not one of the scenario's [[enterprise]] codes",
                self.enterprise
            )));
        }
        if !matches!(self.trade_mode.as_str(), "9610" | "9710" | "9810") {
            return Err(bad(format!(
                "trade_mode `{}`: use 9610, 9710 or 9810",
                self.trade_mode
            )));
        }
        if !matches!(self.statistics_flag.as_str(), "A" | "B") {
            return Err(bad(format!(
                "statistics_flag `{}`: use A or B",
                self.statistics_flag
            )));
        }
        if self.customs.len() != 4 || !self.customs.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad(format!(
                "customs `{}`: a 4-digit customs code",
                self.customs
            )));
        }
        if !self.monthly_weights.is_empty() && self.monthly_weights.len() != 12 {
            return Err(bad("monthly_weights needs 12 numbers".into()));
        }
        if self.value_scale <= Decimal::ZERO {
            return Err(bad("value_scale must be positive".into()));
        }
        let (from, to) = self.dates(spec);
        if to < from {
            return Err(bad(format!("`to` ({to}) is before `from` ({from})")));
        }
        if self.parcels >= 1_000_000_000 {
            return Err(bad("at most 999,999,999 parcels per stream".into()));
        }
        Ok(())
    }

    fn dates(&self, spec: &Spec) -> (NaiveDate, NaiveDate) {
        (
            self.from.unwrap_or(spec.period.from),
            self.to.unwrap_or(spec.period.to),
        )
    }

    fn weight(&self, day: NaiveDate) -> u128 {
        self.monthly_weights
            .get(day.month0() as usize)
            .map_or(1, |w| u128::from(*w))
    }
}

/// A message to play at a virtual time; `seq` keeps equal times in a fixed order.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: NaiveDateTime,
    pub seq: u64,
    pub message: Message<'static>,
}

struct State {
    stream: Stream,
    from: NaiveDate,
    to: NaiveDate,
    rng: Rng,
    /// Σ weights over the stream's days, and over the days before the current one.
    total_weight: u128,
    weight_before: u128,
    made: u64,
    serial_base: u64,
    name: String,
}

/// Makes the traffic of all streams, one day at a time.
pub struct Generator {
    states: Vec<State>,
    /// Waybills that arrived yesterday, by customs and carrier: they leave today.
    leaving: BTreeMap<(String, String, String), Vec<String>>,
    seq: u64,
}

impl Generator {
    pub fn new(spec: &Spec) -> Generator {
        let states = spec
            .traffic
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (from, to) = s.dates(spec);
                let total_weight = days(from, to).map(|d| s.weight(d)).sum();
                let name = spec
                    .enterprises
                    .iter()
                    .find(|e| e.code == s.enterprise)
                    .map(|e| e.name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| format!("企业{}", s.enterprise));
                State {
                    stream: s.clone(),
                    from,
                    to,
                    rng: Rng::new(spec.seed ^ (0x9E37_79B9 * (i as u64 + 1))),
                    total_weight,
                    weight_before: 0,
                    made: 0,
                    serial_base: (i as u64 + 1) * 1_000_000_000,
                    name,
                }
            })
            .collect();
        Generator {
            states,
            leaving: BTreeMap::new(),
            seq: 0,
        }
    }

    /// Parcels over all streams.
    pub fn total_parcels(&self) -> u64 {
        self.states.iter().map(|s| s.stream.parcels).sum()
    }

    /// The events of `day`, in time order: departures of yesterday's parcels, today's
    /// parcels (order, payment receipt when required, waybill, list), today's arrivals.
    /// Returns the number of parcels made.
    pub fn day(&mut self, day: NaiveDate, out: &mut Vec<Event>) -> u64 {
        let start = out.len();
        let morning = day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
        let leaving = std::mem::take(&mut self.leaving);
        for ((customs, code, name), waybills) in leaving {
            let no = bill_no("D", morning, &customs, &code);
            let transfer = BaseTransfer {
                cop_code: Cow::Owned(code.clone()),
                cop_name: Cow::Owned(name.clone()),
                ..site_transfer(&customs)
            };
            let bill = Bill {
                code: &code,
                name: &name,
                customs: &customs,
                no: &no,
                waybills: &waybills,
            };
            let m = departure(&bill, morning, transfer);
            self.push(out, morning, m);
        }
        let mut arriving: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
        let mut made = 0;
        for k in 0..self.states.len() {
            let n = self.states[k].count_for(day);
            for _ in 0..n {
                let s = &mut self.states[k];
                s.made += 1;
                let serial = s.serial_base + s.made;
                let mut p = parcel(&mut s.rng, serial, 1);
                // Business hours 08:00–20:00; the list a minute after its documents.
                let secs = 8 * 3600 + s.rng.below(12 * 3600) as i64;
                let at = day.and_time(NaiveTime::MIN) + Duration::seconds(secs);
                adapt(&mut p, &s.stream, &s.name, at);
                let h = &p.list.documents[0].head;
                arriving
                    .entry((
                        s.stream.customs.clone(),
                        h.logistics_code.to_string(),
                        h.logistics_name.to_string(),
                    ))
                    .or_default()
                    .push(h.logistics_no.to_string());
                let receipt_needed = s.stream.trade_mode == "9610"
                    && day < NaiveDate::from_ymd_opt(2024, 12, 15).unwrap_or(NaiveDate::MAX);
                self.push(out, at, Message::Ceb303(p.order));
                if receipt_needed {
                    self.push(out, at, Message::Ceb403(p.receipt));
                }
                self.push(out, at, Message::Ceb505(p.waybill));
                self.push(out, at + Duration::seconds(60), Message::Ceb603(p.list));
                made += 1;
            }
        }
        let evening = day.and_time(NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default());
        for ((customs, code, name), waybills) in &arriving {
            let no = bill_no("A", evening, customs, code);
            let bill = Bill {
                code,
                name,
                customs,
                no: &no,
                waybills,
            };
            let m = arrival(&bill, evening);
            self.push(out, evening, m);
        }
        self.leaving = arriving;
        out[start..].sort_by_key(|e| (e.at, e.seq));
        made
    }

    fn push(&mut self, out: &mut Vec<Event>, at: NaiveDateTime, message: Message<'static>) {
        self.seq += 1;
        out.push(Event {
            at,
            seq: self.seq,
            message,
        });
    }
}

impl State {
    /// Parcels of this stream on `day`: its share of the total by weight, rounded so the
    /// days add up exactly to the stream's parcels.
    fn count_for(&mut self, day: NaiveDate) -> u64 {
        if day < self.from || day > self.to || self.total_weight == 0 {
            return 0;
        }
        let n = u128::from(self.stream.parcels);
        let before = n * self.weight_before / self.total_weight;
        self.weight_before += self.stream.weight(day);
        let upto = n * self.weight_before / self.total_weight;
        u64::try_from(upto - before).unwrap_or(0)
    }
}

/// Every day from `from` to `to`.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Makes a generated parcel the stream's: its enterprise, time, trade mode, customs, values.
fn adapt(p: &mut Parcel, s: &Stream, name: &str, at: NaiveDateTime) {
    let code: Cow<'static, str> = Cow::Owned(s.enterprise.clone());
    let name: Cow<'static, str> = Cow::Owned(name.to_string());
    let platform: Cow<'static, str> =
        Cow::Owned(s.platform.clone().unwrap_or(s.enterprise.clone()));
    let time: Cow<'static, str> = Cow::Owned(format14(at));
    let order_type = match s.trade_mode.as_str() {
        "9710" => "B",
        "9810" => "W",
        _ => "E",
    };
    let transfer = |b: &mut BaseTransfer<'static>| {
        b.cop_code = code.clone();
        b.cop_name = name.clone();
        b.dxp_id = Cow::Owned(dxp_id(&s.enterprise));
    };
    let price = |p: Decimal| (p * s.value_scale).round_dp(2);

    let o = &mut p.order.documents[0];
    o.head.app_time = time.clone();
    o.head.order_type = order_type.into();
    o.head.ebp_code = platform.clone();
    o.head.ebp_name = name.clone();
    o.head.ebc_code = code.clone();
    o.head.ebc_name = name.clone();
    for item in &mut o.items {
        item.price = price(item.price);
        item.total_price = item.price * item.qty;
    }
    o.head.goods_value = o.items.iter().map(|i| i.total_price).sum();
    transfer(&mut p.order.base_transfer);

    let r = &mut p.receipt.documents[0];
    r.app_time = time.clone();
    r.accounting_date = time.clone();
    r.ebp_code = platform.clone();
    r.ebp_name = name.clone();
    r.ebc_code = code.clone();
    r.ebc_name = name.clone();
    r.charge = o.head.goods_value;
    transfer(&mut p.receipt.base_transfer);

    let w = &mut p.waybill.documents[0];
    w.app_time = time.clone();
    w.ebc_code = Some(code.clone());
    w.ebc_name = Some(name.clone());

    let l = &mut p.list.documents[0];
    let h = &mut l.head;
    h.app_time = Cow::Owned(format14(at + Duration::seconds(60)));
    h.ie_date = Cow::Owned(at.format("%Y%m%d").to_string());
    h.customs_code = Cow::Owned(s.customs.clone());
    h.port_code = Cow::Owned(s.customs.clone());
    h.ebp_code = platform;
    h.ebp_name = name.clone();
    for c in [&mut h.ebc_code, &mut h.agent_code, &mut h.owner_code] {
        *c = code.clone();
    }
    for n in [&mut h.ebc_name, &mut h.agent_name, &mut h.owner_name] {
        *n = name.clone();
    }
    h.trade_mode = Cow::Owned(s.trade_mode.clone());
    h.statistics_flag = Cow::Owned(s.statistics_flag.clone());
    for item in &mut l.items {
        item.price = price(item.price);
        item.total_price = item.price * item.qty;
    }
    transfer(&mut p.list.base_transfer);
}

/// The DXP id a scenario enterprise transmits with.
fn dxp_id(code: &str) -> String {
    format!("DXPENT{code}")
}

/// A registry in which the generated traffic of `spec` is valid: the scenario enterprises
/// (platform, e-commerce enterprise, declarant and producer of their own parcels, with the
/// 9810 filing when they ship to overseas warehouses), the generator's carriers and payer,
/// and the supervised sites' operators.
pub fn registry(spec: &Spec) -> crate::model::registry::Registry {
    use crate::model::registry::{Enterprise, Role};
    let mut registry = crate::load::parcels::registry(1);
    for e in &spec.enterprises {
        let ships_9810 = spec
            .traffic
            .iter()
            .any(|s| s.enterprise == e.code && s.trade_mode == "9810");
        // Codes are distinct (the scenario refuses duplicates); a clash with the generator's
        // own parties leaves that party as it was.
        let _ = registry.insert(Enterprise {
            code: e.code.clone(),
            name: if e.name.is_empty() {
                format!("企业{}", e.code)
            } else {
                e.name.clone()
            },
            roles: vec![Role::Platform, Role::Ecommerce, Role::Agent, Role::Producer],
            dxp_id: Some(dxp_id(&e.code)),
            customs: None,
            pilot_zone: None,
            filings: if ships_9810 {
                vec!["9810".into()]
            } else {
                Vec::new()
            },
            agents: Vec::new(),
        });
    }
    for platform in spec.traffic.iter().filter_map(|s| s.platform.as_ref()) {
        let _ = registry.insert(Enterprise {
            code: platform.clone(),
            name: format!("电商平台{platform}"),
            roles: vec![Role::Platform],
            dxp_id: None,
            customs: None,
            pilot_zone: None,
            filings: Vec::new(),
            agents: Vec::new(),
        });
    }
    let mut sites: Vec<&str> = spec.traffic.iter().map(|s| s.customs.as_str()).collect();
    sites.sort();
    sites.dedup();
    for customs in sites {
        let _ = registry.insert(Enterprise {
            code: site_operator(customs),
            name: SITE_OPERATOR_NAME.into(),
            roles: vec![Role::Operator],
            dxp_id: None,
            customs: Some(customs.to_string()),
            pilot_zone: None,
            filings: Vec::new(),
            agents: Vec::new(),
        });
    }
    registry
}

/// The bill of a day's batch of one carrier at one customs: prefix, customs, date, the
/// carrier code's last 4 digits.
fn bill_no(prefix: &str, at: NaiveDateTime, customs: &str, carrier: &str) -> String {
    let tail = carrier
        .get(carrier.len().saturating_sub(4)..)
        .unwrap_or(carrier);
    format!("{prefix}{customs}{}{tail}", at.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use std::path::Path;

    fn spec(weights: &str) -> Spec {
        let text = format!(
            r#"
name = "t"
period = {{ from = "2023-01-01", to = "2023-12-31" }}
[[enterprise]]
code = "4403960001"
[[enterprise.period]]
from = "2020-01-01"
taxpayer = "general"
kind = "trading"
[[traffic]]
enterprise = "4403960001"
parcels = 1000
trade_mode = "9710"
{weights}
"#
        );
        Scenario::from_text(&text, Path::new("t"), Path::new("."), &[])
            .unwrap()
            .spec
    }

    #[test]
    fn days_add_up_to_the_stream_and_follow_the_weights() {
        let s = spec("monthly_weights = [0,0,0,0,0,0,0,0,0,0,1,3]");
        let mut g = Generator::new(&s);
        let mut by_month = [0u64; 12];
        let mut events = Vec::new();
        for day in days(s.period.from, s.period.to) {
            by_month[day.month0() as usize] += g.day(day, &mut events);
        }
        assert_eq!(by_month.iter().sum::<u64>(), 1000);
        assert_eq!(by_month[0], 0);
        assert!(by_month[11] > 2 * by_month[10], "{by_month:?}");
    }

    #[test]
    fn a_day_is_in_time_order_and_adapted() {
        let s = spec("");
        let mut g = Generator::new(&s);
        let mut events = Vec::new();
        let day = NaiveDate::from_ymd_opt(2023, 3, 1).unwrap();
        g.day(day, &mut events);
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
        let list = events
            .iter()
            .find_map(|e| match &e.message {
                Message::Ceb603(m) => Some(&m.documents[0].head),
                _ => None,
            })
            .unwrap();
        assert_eq!(list.ebc_code, "4403960001");
        assert_eq!(list.trade_mode, "9710");
        assert_eq!(list.ie_date, "20230301");
        assert!(
            events
                .iter()
                .all(|e| !matches!(e.message, Message::Ceb403(_)))
        );
        assert!(matches!(events.last().unwrap().message, Message::Ceb507(_)));
        let mut next = Vec::new();
        g.day(day.succ_opt().unwrap(), &mut next);
        assert!(matches!(next[0].message, Message::Ceb509(_)));
    }
}
