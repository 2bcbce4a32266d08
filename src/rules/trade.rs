//! Trade-mode rules: which trade mode, where, when and up to what value a list may be used,
//! and what returns must say. Dated by the catalog; judged on the document's own date.

use super::{Context, Out, Place};
use crate::model::Message;
use crate::model::codes::{CodeTable, lookup};
use crate::model::inventory::Inventory;
use crate::model::refund::InvtRefund;
use rust_decimal::Decimal;
use std::sync::OnceLock;

pub(super) fn check(
    message: &Message<'_>,
    k: usize,
    path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    match message {
        Message::Ceb603(m) => {
            if let Some(list) = m.documents.get(k) {
                inventory(list, &Place(path, "InventoryHead"), path, ctx, out);
            }
        }
        Message::Ceb213(m) => {
            if let Some(r) = m.documents.get(k) {
                refund(r, &Place(path, "InvtRefundHead"), out);
            }
        }
        Message::Ceb507(m) => {
            if let Some(a) = m.documents.get(k) {
                direction(&Place(path, "ArrivalHead"), &a.head.ie_flag, "E", out);
            }
        }
        Message::Ceb215(m) => {
            if let Some(d) = m.documents.get(k) {
                direction(&path, &d.ie_flag, "I", out);
            }
        }
        _ => {}
    }
}

fn inventory(
    list: &Inventory<'_>,
    head: &Place<'_>,
    path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let h = &list.head;
    let mode = h.trade_mode.as_ref();
    direction(head, &h.ie_flag, "E", out);
    if lookup(CodeTable::TradeMode, mode).is_none_or(|e| e.extra != "export") {
        out.report(
            "TM-EXPORT-MODE",
            format!("{head}/tradeMode"),
            &[],
            mode.to_string(),
            "9610, 1210, 9710 or 9810".into(),
            format!("贸易方式“{mode}”不能用于出口清单。"),
            format!("Trade mode \"{mode}\" is not one for export lists."),
        );
    }
    if out.active("TM-B2B-NOT-YET").is_some() {
        out.report(
            "TM-B2B-NOT-YET",
            format!("{head}/tradeMode"),
            &[],
            mode.to_string(),
            "9610 or 1210 before 2020-07-01".into(),
            format!("申报日期早于2020年7月1日，不能使用贸易方式 {mode}。"),
            format!("The filing is dated before 2020-07-01, when {mode} did not exist."),
        );
    }
    if out.active("TM-B2B-PILOT-CUSTOMS").is_some() && !pilot_customs(&h.customs_code, out.date) {
        out.report(
            "TM-B2B-PILOT-CUSTOMS",
            format!("{head}/customsCode"),
            &[],
            h.customs_code.to_string(),
            "a pilot customs for the filing date".into(),
            format!(
                "申报海关 {} 在申报日期不是 {mode} 试点海关。",
                h.customs_code
            ),
            format!(
                "Customs {} was not a {mode} pilot customs on the filing date.",
                h.customs_code
            ),
        );
    }
    if out.active("TM-B2B-LIST-CEILING").is_some() {
        ceiling(list, head, path, ctx, out);
    }
    let licence = h.license_no.as_deref().filter(|l| !l.trim().is_empty());
    if h.statistics_flag == "A" {
        if let Some(licence) = licence {
            out.report(
                "TM-SIMPLIFIED-LICENCE",
                format!("{head}/licenseNo"),
                &[],
                licence.to_string(),
                "no licence under statisticsFlag A".into(),
                format!("简化申报（A）的清单填了许可证号 {licence}。"),
                format!("A simplified (A) list carries licence {licence}."),
            );
        }
        for (j, item) in list.items.iter().enumerate() {
            if item.gcode.len() == 10 && !item.gcode.ends_with("000000") {
                out.report(
                    "TM-SIMPLIFIED-HEADING",
                    format!("{path}/InventoryList[{}]/gcode", j + 1),
                    &[],
                    item.gcode.to_string(),
                    format!("{}000000", item.gcode.get(..4).unwrap_or_default()),
                    format!("简化申报的商品编码 {} 后6位不是0。", item.gcode),
                    format!(
                        "The commodity code {} of a simplified list does not end in six zeros.",
                        item.gcode
                    ),
                );
            }
        }
    }
    super::links::inventory(list, path, ctx, out);
    filing_9810(h.ebc_code.as_ref(), head, ctx, out);
}

/// The 9710/9810 list ceiling: RMB 5,000 per consignment, and no licence.
fn ceiling(
    list: &Inventory<'_>,
    head: &Place<'_>,
    path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    if let Some(licence) = list
        .head
        .license_no
        .as_deref()
        .filter(|l| !l.trim().is_empty())
    {
        out.report(
            "TM-B2B-LIST-CEILING",
            format!("{head}/licenseNo"),
            &[],
            licence.to_string(),
            "no licence on a 9710/9810 list".into(),
            format!("清单涉证（许可证号 {licence}），须以报关单申报。"),
            format!(
                "The consignment involves licence {licence} and must go by customs declaration."
            ),
        );
    }
    let mut total = Decimal::ZERO;
    for item in &list.items {
        // A currency without a configured rate cannot be converted; CODE-VALUE reports
        // unknown currencies, and known ones have rates in the default parameters.
        let Some(rate) = ctx.params.cny_per_unit.get(item.currency.as_ref()) else {
            return;
        };
        total += item.total_price * rate;
    }
    let limit = ctx.params.list_ceiling_cny;
    if total > limit {
        out.report(
            "TM-B2B-LIST-CEILING",
            format!("{head}/tradeMode"),
            &[&format!("{path}/InventoryList")],
            format!("{} yuan", total.round_dp(2)),
            format!("at most {limit} yuan per consignment"),
            format!(
                "本票货值折合人民币 {} 元，超过 {limit} 元。",
                total.round_dp(2)
            ),
            format!(
                "The consignment is worth {} yuan, above {limit}.",
                total.round_dp(2)
            ),
        );
    }
}

/// Pilot customs for 9710/9810 before the nationwide roll-out, by the customs code's first two
/// digits (seeds/pilot_customs.csv; codes not in the reference are marked there).
fn pilot_customs(customs: &str, date: Option<chrono::NaiveDate>) -> bool {
    static TABLE: OnceLock<Vec<(String, chrono::NaiveDate)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        include_str!("../../seeds/pilot_customs.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let prefix = f.next()?.to_string();
                let from = f
                    .nth(2)
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())?;
                Some((prefix, from))
            })
            .collect()
    });
    let Some(date) = date else { return true };
    table
        .iter()
        .any(|(prefix, from)| customs.starts_with(prefix.as_str()) && date >= *from)
}

fn filing_9810(ebc: &str, head: &Place<'_>, ctx: &Context<'_>, out: &mut Out<'_>) {
    if out.active("REG-9810-FILING").is_none() {
        return;
    }
    let filed = ctx
        .registry
        .get(ebc)
        .is_some_and(|e| e.filings.iter().any(|f| f == "9810"));
    if !filed {
        out.report(
            "REG-9810-FILING",
            format!("{head}/ebcCode"),
            &[],
            ebc.to_string(),
            "an enterprise with the 9810 business-model filing".into(),
            format!("电商企业 {ebc} 没有出口海外仓业务模式备案。"),
            format!("E-commerce enterprise {ebc} has no overseas-warehouse business filing."),
        );
    }
}

fn refund(r: &InvtRefund<'_>, head: &Place<'_>, out: &mut Out<'_>) {
    let h = &r.head;
    direction(head, &h.ie_flag, "I", out);
    if let Some(mode) = h.trade_mode.as_deref().filter(|m| !m.is_empty())
        && lookup(CodeTable::TradeMode, mode).is_none_or(|e| e.extra != "return")
    {
        out.report(
            "TM-RETURN-MODE",
            format!("{head}/tradeMode"),
            &[],
            mode.to_string(),
            "9661 or 1261".into(),
            format!("退货监管方式“{mode}”不对。"),
            format!("\"{mode}\" is not a return trade mode."),
        );
    }
    if h.country == "142" {
        out.report(
            "RETURN-COUNTRY",
            format!("{head}/country"),
            &[],
            h.country.to_string(),
            "the country the goods come back from, not 142".into(),
            "启运国填了142中国。".into(),
            "The country of origin of the return is 142 (China).".into(),
        );
    }
}

/// `ieFlag` (of the record at `record`) must say which way the goods move.
fn direction(record: &dyn std::fmt::Display, flag: &str, expected: &str, out: &mut Out<'_>) {
    if flag != expected && (flag == "I" || flag == "E") {
        out.report(
            "CODE-IE-FLAG",
            format!("{record}/ieFlag"),
            &[],
            flag.to_string(),
            expected.to_string(),
            format!("进出口标记应为 {expected}，实际为 {flag}。"),
            format!("ieFlag should be {expected}, not {flag}."),
        );
    }
}
