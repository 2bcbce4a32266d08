//! What enterprises send after release: the summary application (701) of a period, and for
//! a returned parcel the return application (213) and the tally of the goods (215). Built
//! from the generated list they follow, so they match it.

use super::bills::{SITE_OPERATOR_NAME, batch_guid, site_operator};
use crate::model::Message;
use crate::model::envelope::BaseTransfer;
use crate::model::inventory::Ceb603Message;
use crate::model::refund::{
    Ceb213Message, Ceb215Message, InvtRefund, InvtRefundDetail, InvtRefundHead, InvtRefundList,
};
use crate::model::summary::{Ceb701Message, SummaryApply, SummaryApplyHead};
use crate::model::time::format14;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A 701 of enterprise `transfer.cop_code` for every list of it released between `from` and
/// `to` (a time window: the body stays empty), sent at `at`.
pub fn summary(
    transfer: &BaseTransfer<'static>,
    customs: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    at: NaiveDateTime,
) -> Message<'static> {
    let code = transfer.cop_code.clone();
    let name = transfer.cop_name.clone();
    let id = format!("{code}{}{}", format14(from), format14(to));
    Message::Ceb701(Ceb701Message {
        guid: Cow::Owned(batch_guid("summary-message", &id)),
        version: "1.0".into(),
        documents: vec![SummaryApply {
            head: SummaryApplyHead {
                guid: Cow::Owned(batch_guid("summary", &id)),
                app_type: "1".into(),
                app_time: Cow::Owned(format14(at)),
                app_status: "2".into(),
                customs_code: Cow::Owned(customs.to_string()),
                cop_no: Cow::Owned(format!("S{}", format14(at))),
                agent_code: code.clone(),
                agent_name: name.clone(),
                ebc_code: code.clone(),
                ebc_name: name.clone(),
                decl_agent_code: code,
                decl_agent_name: name,
                start_time: Some(Cow::Owned(format14(from))),
                end_time: Some(Cow::Owned(format14(to))),
                summary_flag: "1".into(),
                item_name_flag: "1".into(),
                msg_count: 1,
                msg_seq_no: 1,
                ..SummaryApplyHead::default()
            },
            items: Vec::new(),
        }],
        base_transfer: transfer.clone(),
        ..Ceb701Message::default()
    })
}

/// The GUID of the return application (213) of a list; its tally (215) has its own.
pub fn return_guid(list: &Ceb603Message<'_>) -> String {
    batch_guid("return", head_guid(list))
}

pub fn tally_guid(list: &Ceb603Message<'_>) -> String {
    batch_guid("tally", head_guid(list))
}

fn head_guid<'l>(list: &'l Ceb603Message<'_>) -> &'l str {
    list.documents.first().map_or("", |d| d.head.guid.as_ref())
}

/// The internal number of a return: the list's copNo with R (213) or T (215) for its B.
fn return_no(list: &Ceb603Message<'_>, prefix: char) -> String {
    let cop = list
        .documents
        .first()
        .map_or("", |d| d.head.cop_no.as_ref());
    let tail: String = cop.chars().skip(1).take(18).collect();
    format!("{prefix}{tail}")
}

/// A return application (213) for one unit of the first item of `list` (customs number
/// `invt_no`), sent by the list's sender at `at`. `None` when the list has no item.
pub fn return_application(
    list: &Ceb603Message<'static>,
    invt_no: &str,
    at: NaiveDateTime,
) -> Option<Message<'static>> {
    let doc = list.documents.first()?;
    let (h, item) = (&doc.head, doc.items.first()?);
    let qty = Decimal::ONE.min(item.qty);
    // The legal quantity of that one unit (net weight when the legal unit is kg).
    let qty1 = if item.qty.is_zero() {
        item.qty1
    } else {
        (item.qty1 * qty / item.qty).round_dp(5)
    };
    Some(Message::Ceb213(Ceb213Message {
        guid: Cow::Owned(batch_guid("return-message", &h.guid)),
        version: "1.0".into(),
        documents: vec![InvtRefund {
            head: InvtRefundHead {
                guid: Cow::Owned(return_guid(list)),
                app_type: "1".into(),
                app_time: Cow::Owned(format14(at)),
                app_status: "2".into(),
                customs_code: h.customs_code.clone(),
                ebp_code: h.ebp_code.clone(),
                ebp_name: h.ebp_name.clone(),
                ebc_code: h.ebc_code.clone(),
                ebc_name: h.ebc_name.clone(),
                logistics_no: h.logistics_no.clone(),
                logistics_code: h.logistics_code.clone(),
                logistics_name: h.logistics_name.clone(),
                co_el_no: Cow::Owned(return_no(list, 'R')),
                invt_no: Cow::Owned(invt_no.to_string()),
                trade_mode: Some("9661".into()),
                agent_code: h.agent_code.clone(),
                agent_name: h.agent_name.clone(),
                bill_no: h.logistics_no.clone(),
                ie_flag: "I".into(),
                traf_mode: h.traf_mode.clone(),
                traf_name: "粤B00000".into(),
                port_code: h.port_code.clone(),
                reason: "买家退货".into(),
                country: h.country.clone(),
                voyage_no: Cow::Owned(at.format("%Y%m%d").to_string()),
                ..InvtRefundHead::default()
            },
            items: vec![InvtRefundList {
                gnum: item.gnum,
                gcode: item.gcode.clone(),
                gname: item.gname.clone(),
                gmodel: item.gmodel.clone(),
                qty,
                qty1,
                unit: item.unit.clone(),
                unit1: item.unit1.clone(),
                ..InvtRefundList::default()
            }],
        }],
        base_transfer: list.base_transfer.clone(),
        ..Ceb213Message::default()
    }))
}

/// The tally (215) of the returned parcel of `list`, reported at `at` by the supervised site
/// (the tally is the site operator's document, not the seller's).
pub fn return_tally(
    list: &Ceb603Message<'static>,
    invt_no: &str,
    at: NaiveDateTime,
) -> Option<Message<'static>> {
    let h = &list.documents.first()?.head;
    Some(Message::Ceb215(Ceb215Message {
        guid: Cow::Owned(batch_guid("tally-message", &h.guid)),
        version: "1.0".into(),
        documents: vec![InvtRefundDetail {
            guid: Cow::Owned(tally_guid(list)),
            app_type: "1".into(),
            app_time: Cow::Owned(format14(at)),
            app_status: "2".into(),
            customs_code: h.customs_code.clone(),
            operator_code: Cow::Owned(site_operator(&h.customs_code)),
            operator_name: SITE_OPERATOR_NAME.into(),
            logistics_code: h.logistics_code.clone(),
            logistics_name: h.logistics_name.clone(),
            logistics_no: h.logistics_no.clone(),
            invt_no: Some(Cow::Owned(invt_no.to_string())),
            co_el_no: Cow::Owned(return_no(list, 'T')),
            bill_no: h.logistics_no.clone(),
            ie_flag: "I".into(),
            traf_mode: h.traf_mode.clone(),
            traf_name: "粤B00000".into(),
            voyage_no: Cow::Owned(at.format("%Y%m%d").to_string()),
            location: Some("监管场所退货区".into()),
            ..InvtRefundDetail::default()
        }],
        base_transfer: super::bills::site_transfer(&h.customs_code),
        ..Ceb215Message::default()
    }))
}
