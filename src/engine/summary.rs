//! Summary declarations (清单核放、汇总申报): customs releases lists one by one; the lists an
//! enterprise exported in a month are later merged into customs declarations (报关单), one
//! summary result (CEB792) per declaration.
//!
//! The merge keys are those of 海关总署公告2018年第194号 — list head: same consignor (ebcCode),
//! transport mode, producer/seller (ownerCode), country of arrival and port of exit; list
//! body: same final destination country, 10-digit commodity code and currency — narrowed or
//! widened by the application's options: `summaryFlag` 1 merges by consignor without regard
//! to the producer, 2 by consignor and producer; `itemNameFlag` 1 keeps items of different
//! names apart. Head keys decide which lists share a declaration, body keys which items share
//! one of its goods lines (`gseqno`).
//!
//! Lists under the simplified route (statisticsFlag A, 汇总统计) are only counted: they make no
//! declaration. Pure: the engine's caller passes the ledger rows in.

use super::ledger::Row;
use super::receipts::{Outgoing, PreNo, built, receipt_guid};
use crate::model::Message;
use crate::model::reply::clip_chars;
use crate::model::said::Said;
use crate::model::summary::{
    Ceb702Message, Ceb792Message, SummaryApplyHead, SummaryResult, SummaryResultHead,
    SummaryResultList, SummaryReturn,
};
use crate::model::time::format17;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The options of a summary application (CEB701 `summaryFlag`, `itemNameFlag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `summaryFlag` 2: lists of different producers/sellers go to different declarations.
    pub by_producer: bool,
    /// `itemNameFlag` 1: items of different names go to different goods lines.
    pub by_item_name: bool,
}

/// One future customs declaration: the lists merged into it and their items.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    pub lists: Vec<Row<'a>>,
    pub items: Vec<Item<'a>>,
    /// Where the notice's merge keys and the application's options disagree (Chinese).
    pub warnings: Vec<Said>,
}

/// One list item in a declaration, with the goods line (`gseqno`, from 1) it falls in.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub list: Row<'a>,
    pub gnum: u32,
    pub gseqno: u32,
    pub gcode: &'a str,
}

/// Merges lists into declarations, in the order the lists are given (so the same lists give
/// the same declarations and line numbers).
pub fn group<'a>(lists: &[Row<'a>], options: Options) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut by_head: HashMap<[&'a str; 5], usize> = HashMap::new();
    for &list in lists {
        let producer = if options.by_producer {
            list.owner_code()
        } else {
            ""
        };
        let head = [
            list.ebc_code(),
            list.traf_mode(),
            producer,
            list.country(),
            list.port_code(),
        ];
        let at = *by_head.entry(head).or_insert_with(|| {
            groups.push(Group {
                lists: Vec::new(),
                items: Vec::new(),
                warnings: Vec::new(),
            });
            groups.len() - 1
        });
        groups[at].lists.push(list);
    }
    for g in &mut groups {
        let mut lines: HashMap<[&'a str; 4], u32> = HashMap::new();
        for &list in &g.lists {
            for line in list.lines() {
                let name = if options.by_item_name {
                    line.item_name()
                } else {
                    ""
                };
                let body = [line.country(), line.gcode(), line.currency(), name];
                let next = lines.len() as u32 + 1;
                let gseqno = *lines.entry(body).or_insert(next);
                g.items.push(Item {
                    list,
                    gnum: line.gnum(),
                    gseqno,
                    gcode: line.gcode(),
                });
            }
        }
        g.warnings = disagreements(&g.lists, options);
    }
    groups
}

/// What `summaryFlag` 1 merges although the notice keeps it apart: lists of different
/// producers/sellers in one declaration.
fn disagreements(lists: &[Row<'_>], options: Options) -> Vec<Said> {
    if options.by_producer {
        return Vec::new();
    }
    let mut producers: Vec<&str> = lists.iter().map(|l| l.owner_code()).collect();
    producers.sort_unstable();
    producers.dedup();
    if producers.len() < 2 {
        return Vec::new();
    }
    vec![Said::new(
        format!(
            "按收发货人汇总（summaryFlag=1）合并了{}个生产销售单位（{}）的清单；海关总署公告2018年第194号要求同一生产销售单位",
            producers.len(),
            producers.join("、")
        ),
        format!(
            "summarised by consignor (summaryFlag=1), merging the lists of {} producers/sellers ({}); notice 2018 No. 194 asks for one producer/seller per declaration",
            producers.len(),
            producers.join(", ")
        ),
    )]
}

/// Why a list cannot go into a summary declaration, if it cannot.
pub fn not_summarisable(list: &Row<'_>) -> Option<Said> {
    if !list.status().is_exported() {
        return Some(Said::fixed("清单未放行", "the list is not released"));
    }
    if list.statistics_flag() == "A" {
        return Some(Said::fixed(
            "简化申报清单（statisticsFlag=A）汇总统计，不生成报关单",
            "a simplified list (statisticsFlag=A) is only counted: it makes no declaration",
        ));
    }
    if list.summary().is_some() {
        return Some(Said::fixed(
            "清单已汇总",
            "the list is already in a summary",
        ));
    }
    None
}

/// The day a list counts as exported for the summary: its 结关, else its release.
pub fn summary_day(list: &Row<'_>) -> Option<NaiveDate> {
    list.closed_at().or(list.released_at()).map(|t| t.date())
}

/// The last day to summarise lists exported on `day`: the 15th of the next month
/// (公告2018年第194号; the roll to the next working day when the 15th is a holiday is not
/// applied, as the holiday calendar is not modelled).
pub fn deadline(day: NaiveDate) -> NaiveDate {
    let (year, month) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 15).unwrap_or(day)
}

/// Exported lists, eligible for a declaration, still unsummarised on `today` although their
/// deadline has passed.
pub fn overdue<'a>(lists: impl Iterator<Item = Row<'a>>, today: NaiveDate) -> Vec<Row<'a>> {
    lists
        .filter(|l| not_summarisable(l).is_none())
        .filter(|l| summary_day(l).is_some_and(|d| deadline(d) < today))
        .collect()
}

/// CEB702 for a summary application.
pub(super) fn application_receipt(
    app: &SummaryApplyHead<'_>,
    pre_no: PreNo,
    sum_no: Option<&str>,
    status: &'static str,
    info: Said,
    due: NaiveDateTime,
) -> Outgoing {
    let message = Ceb702Message {
        guid: receipt_guid(&app.guid, status, &info.zh).into(),
        version: "1.0".into(),
        returns: vec![SummaryReturn {
            guid: app.guid.to_string().into(),
            agent_code: app.agent_code.to_string().into(),
            ebc_code: app.ebc_code.to_string().into(),
            cop_no: app.cop_no.to_string().into(),
            pre_no: pre_no.to_string().into(),
            sum_no: sum_no.map(|n| n.to_string().into()),
            msg_seq_no: app.msg_seq_no,
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: clip_chars(&info.zh, 1000).into(),
        }],
    };
    let key = format!("{} / {}", app.ebc_code, app.cop_no);
    built(
        due,
        "CEB702Message",
        key,
        status,
        info,
        Message::Ceb702(message),
    )
}

/// The numbers customs gives one summary declaration.
pub(super) struct Numbers<'n> {
    pub sum_no: &'n str,
    pub decl_seq_no: &'n str,
    pub entry_id: &'n str,
}

/// CEB792 for one declaration of an application.
pub(super) fn result(
    app: &SummaryApplyHead<'_>,
    group: &Group<'_>,
    numbers: Numbers<'_>,
    due: NaiveDateTime,
) -> Outgoing {
    let gross: Decimal = group.lists.iter().map(|l| l.gross_weight()).sum();
    let net: Decimal = group.lists.iter().map(|l| l.net_weight()).sum();
    let guid = receipt_guid(&numbers.decl_seq_no, "A", numbers.sum_no);
    let warnings = Said::listing("", "", &group.warnings);
    let head = SummaryResultHead {
        guid: guid.clone().into(),
        customs_code: app.customs_code.to_string().into(),
        sum_no: numbers.sum_no.to_string().into(),
        op_date: format17(due).into(),
        decl_seq_no: numbers.decl_seq_no.to_string().into(),
        dec_tmp_no: None,
        dec_pre_no: None,
        entry_id: Some(numbers.entry_id.to_string().into()),
        dec_state: DECLARED.into(),
        agent_code: app.agent_code.to_string().into(),
        agent_name: app.agent_name.to_string().into(),
        ebc_code: app.ebc_code.to_string().into(),
        ebc_name: app.ebc_name.to_string().into(),
        decl_agent_code: app.decl_agent_code.to_string().into(),
        decl_agent_name: app.decl_agent_name.to_string().into(),
        gross_weight: gross,
        net_weight: net,
        msg_count: 1,
        msg_seq_no: 1,
        note: (!warnings.zh.is_empty()).then(|| clip_chars(&warnings.zh, 1000).into()),
    };
    let items = group
        .items
        .iter()
        .map(|i| SummaryResultList {
            invt_no: i.list.invt_no().unwrap_or_default().to_string().into(),
            logistics_no: i.list.logistics_no().to_string().into(),
            gseqno: i64::from(i.gseqno),
            gnum: i64::from(i.gnum),
            gcode: i.gcode.to_string().into(),
        })
        .collect();
    let message = Ceb792Message {
        guid: guid.into(),
        version: "1.0".into(),
        returns: vec![SummaryResult { head, items }],
    };
    let key = format!("{} / {}", numbers.sum_no, numbers.decl_seq_no);
    let done = Said::new(
        format!(
            "汇总完成：{} 份清单，报关单 {}",
            group.lists.len(),
            numbers.entry_id
        ),
        format!(
            "Summary declared: {} list(s), declaration {}",
            group.lists.len(),
            numbers.entry_id
        ),
    );
    let info = if group.warnings.is_empty() {
        done
    } else {
        Said::new(
            format!("{}；{}", done.zh, warnings.zh),
            format!("{}; {}", done.en, warnings.en),
        )
    };
    built(
        due,
        "CEB792Message",
        key,
        DECLARED,
        info,
        Message::Ceb792(message),
    )
    .answering(&app.guid)
}

/// `decState` of the declarations the simulator makes. The spec leaves the values to customs
/// and shows only "A"; the simulator uses it for every declaration it makes.
const DECLARED: &str = "A";

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_deadline_is_the_15th_of_the_next_month() {
        assert_eq!(deadline(day(2025, 3, 1)), day(2025, 4, 15));
        assert_eq!(deadline(day(2025, 3, 31)), day(2025, 4, 15));
        assert_eq!(deadline(day(2025, 12, 31)), day(2026, 1, 15));
    }
}
