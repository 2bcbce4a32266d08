//! Export returns (退货, 海关总署公告2020年第44号): a return application (CEB213) for all or part
//! of the items of an exported list, within one year of its release and never more than was
//! exported → CEB214; the tally of the goods when they come back (CEB215) → CEB216.

use super::ledger::{Returned, Row};
use super::receipts::{Outgoing, PreNo, built};
use crate::model::Message;
use crate::model::refund::{
    Ceb214Message, Ceb216Message, InvtRefund, InvtRefundDetail, InvtRefundDetailReturn,
    RefundReturn,
};
use crate::model::said::Said;
use crate::model::time::format17;
use chrono::{Months, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

/// An application that may go ahead: the ledger id of its list and what comes back of each
/// line (by `gnum`).
pub type Allowed = (u32, Vec<(u32, Returned)>);

/// The ledger id of the exported list and what the application may take back of it, line by
/// line; or every reason it may not (each naming the field and both values).
pub fn check_application(
    app: &InvtRefund<'_>,
    original: Option<Row<'_>>,
    date: NaiveDate,
) -> Result<Allowed, Vec<Said>> {
    let h = &app.head;
    let Some(list) = original else {
        return Err(vec![Said::new(
            format!("原出口清单 {} 不存在", h.invt_no),
            format!("no exported list {}", h.invt_no),
        )]);
    };
    let Some(released) = list.released_at().filter(|_| list.status().is_exported()) else {
        return Err(vec![Said::new(
            format!("原出口清单 {} 未放行，不能退货", h.invt_no),
            format!(
                "the exported list {} is not released: nothing can be returned",
                h.invt_no
            ),
        )]);
    };
    let mut reasons = Vec::new();
    let mut differ = |field: &str, ours: &str, original: &str| {
        if ours != original {
            reasons.push(Said::new(
                format!("{field} 为“{ours}”，原清单为“{original}”"),
                format!(
                    "{field} is \u{201c}{ours}\u{201d}, the list's is \u{201c}{original}\u{201d}"
                ),
            ));
        }
    };
    differ("ebpCode", &h.ebp_code, list.ebp_code());
    differ("ebcCode", &h.ebc_code, list.ebc_code());
    let last = released.date() + Months::new(12);
    if date > last {
        reasons.push(Said::new(
            format!(
                "申请日期 {date} 已超过出口放行之日（{}）起1年（最迟 {last}）",
                released.date()
            ),
            format!(
                "applied on {date}, more than a year after the release ({}; {last} at the latest)",
                released.date()
            ),
        ));
    }
    let mut lines = Vec::new();
    for item in &app.items {
        let gnum = u32::try_from(item.gnum).unwrap_or(0);
        let Some(line) = list.lines().find(|l| l.gnum() == gnum) else {
            reasons.push(Said::new(
                format!("原清单没有序号为 {} 的商品", item.gnum),
                format!("the list has no item {}", item.gnum),
            ));
            continue;
        };
        let at = format!("第{gnum}项");
        let mut differ = |field: &str, ours: &str, original: &str| {
            if ours != original {
                reasons.push(Said::new(
                    format!("{at} {field} 为“{ours}”，原清单为“{original}”"),
                    format!(
                        "item {gnum}: {field} is \u{201c}{ours}\u{201d}, the list's is \u{201c}{original}\u{201d}"
                    ),
                ));
            }
        };
        differ("gcode", &item.gcode, line.gcode());
        differ("unit", &item.unit, line.unit());
        differ("unit1", &item.unit1, line.unit1());
        let before = line.returned();
        let mut at_most = |field: &str, asked: Decimal, exported: Decimal, back: Decimal| {
            if asked > exported - back {
                reasons.push(Said::new(
                    format!(
                        "{at} {field} {asked} 超过可退数量 {}（出口 {exported}，已退 {back}）",
                        exported - back
                    ),
                    format!(
                        "item {gnum}: {field} {asked} is more than the {} left to return ({exported} exported, {back} returned)",
                        exported - back
                    ),
                ));
            }
        };
        at_most("qty", item.qty, line.qty(), before.qty);
        at_most("qty1", item.qty1, line.qty1(), before.qty1);
        let qty2 = item.qty2.unwrap_or_default();
        at_most("qty2", qty2, line.qty2().unwrap_or_default(), before.qty2);
        lines.push((
            gnum,
            Returned {
                qty: item.qty,
                qty1: item.qty1,
                qty2,
            },
        ));
    }
    if reasons.is_empty() {
        Ok((list.id(), lines))
    } else {
        Err(reasons)
    }
}

/// CEB214 for a return application.
pub(super) fn application_receipt(
    app: &InvtRefund<'_>,
    pre_no: PreNo,
    status: &'static str,
    info: Said,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &app.head;
    let message = Ceb214Message {
        guid: super::receipts::receipt_guid(&h.guid, status, &info.zh).into(),
        version: "1.0".into(),
        returns: vec![RefundReturn {
            guid: h.guid.to_string().into(),
            ebp_code: Some(h.ebp_code.to_string().into()),
            ebc_code: Some(h.ebc_code.to_string().into()),
            agent_code: h.agent_code.to_string().into(),
            co_el_no: h.co_el_no.to_string().into(),
            pre_no: Some(pre_no.to_string().into()),
            invt_no: h.invt_no.to_string().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: crate::model::reply::clip_chars(&info.zh, 1000).into(),
        }],
    };
    let key = format!("{} / {}", h.invt_no, h.co_el_no);
    built(
        due,
        "CEB214Message",
        key,
        status,
        info,
        Message::Ceb214(message),
    )
}

/// CEB216 for the tally of returned goods.
pub(super) fn tally_receipt(
    tally: &InvtRefundDetail<'_>,
    pre_no: PreNo,
    status: &'static str,
    info: Said,
    due: NaiveDateTime,
) -> Outgoing {
    let message = Ceb216Message {
        guid: super::receipts::receipt_guid(&tally.guid, status, &info.zh).into(),
        version: "1.0".into(),
        returns: vec![InvtRefundDetailReturn {
            guid: tally.guid.to_string().into(),
            operator_code: tally.operator_code.to_string().into(),
            logistics_code: tally.logistics_code.to_string().into(),
            logistics_no: tally.logistics_no.to_string().into(),
            co_el_no: tally.co_el_no.to_string().into(),
            pre_no: Some(pre_no.to_string().into()),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: crate::model::reply::clip_chars(&info.zh, 1000).into(),
        }],
    };
    let key = format!("{} / {}", tally.logistics_code, tally.logistics_no);
    built(
        due,
        "CEB216Message",
        key,
        status,
        info,
        Message::Ceb216(message),
    )
}
