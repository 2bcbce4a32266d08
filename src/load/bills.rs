//! The messages of a batch of parcels under one bill: the consolidation (607, 总分单), the
//! supervised site's arrival report (507) and the carrier's departure report (509). Their
//! GUIDs are fixed by the bill, so the same traffic always gives the same bytes.

use crate::model::Message;
use crate::model::arrival::{Arrival, ArrivalHead, ArrivalList, Ceb507Message};
use crate::model::departure::{Ceb509Message, Departure, DepartureHead, DepartureList};
use crate::model::envelope::BaseTransfer;
use crate::model::time::{format8, format14};
use crate::model::waybill::{Ceb607Message, WayBill, WayBillHead, WayBillList};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The DXP id the supervised sites' operator transmits with.
pub const SITE_DXP: &str = "DXPSITE0000000001";

pub const SITE_OPERATOR_NAME: &str = "监管场所经营人";

/// The code of the operator of the supervised site at `customs`.
pub fn site_operator(customs: &str) -> String {
    format!("{customs}980001")
}

/// One carrier's batch of waybills under a bill at one customs.
#[derive(Debug, Clone, Copy)]
pub struct Bill<'a> {
    /// The carrier's code and name.
    pub code: &'a str,
    pub name: &'a str,
    pub customs: &'a str,
    /// The bill (master waybill) number.
    pub no: &'a str,
    pub waybills: &'a [String],
}

/// The site operator as transmitter.
pub fn site_transfer(customs: &str) -> BaseTransfer<'static> {
    BaseTransfer {
        cop_code: Cow::Owned(site_operator(customs)),
        cop_name: SITE_OPERATOR_NAME.into(),
        dxp_mode: "DXP".into(),
        dxp_id: SITE_DXP.into(),
        note: None,
    }
}

/// The site's arrival report (507) for a bill.
pub fn arrival(b: &Bill<'_>, at: NaiveDateTime) -> Message<'static> {
    let Bill {
        code,
        name,
        customs,
        no: bill,
        waybills,
    } = *b;
    Message::Ceb507(Ceb507Message {
        guid: Cow::Owned(batch_guid("arrival-message", bill)),
        version: "1.0".into(),
        documents: vec![Arrival {
            head: ArrivalHead {
                guid: Cow::Owned(batch_guid("arrival", bill)),
                app_type: "1".into(),
                app_time: Cow::Owned(format14(at)),
                app_status: "2".into(),
                customs_code: Cow::Owned(customs.to_string()),
                cop_no: Cow::Owned(bill.to_string()),
                operator_code: Cow::Owned(site_operator(customs)),
                operator_name: SITE_OPERATOR_NAME.into(),
                ie_flag: "E".into(),
                traf_mode: "4".into(),
                bill_no: Some(Cow::Owned(bill.to_string())),
                domestic_traf_no: "粤B00000".into(),
                logistics_code: Cow::Owned(code.to_string()),
                logistics_name: Cow::Owned(name.to_string()),
                msg_count: 1,
                msg_seq_no: 1,
                ..ArrivalHead::default()
            },
            items: waybills
                .iter()
                .enumerate()
                .map(|(i, no)| ArrivalList {
                    gnum: i as i64 + 1,
                    logistics_no: Cow::Owned(no.clone()),
                    ..ArrivalList::default()
                })
                .collect(),
        }],
        base_transfer: site_transfer(customs),
        ..Ceb507Message::default()
    })
}

/// The carrier's departure report (509) for a bill, sent by `transfer`.
pub fn departure(
    b: &Bill<'_>,
    at: NaiveDateTime,
    transfer: BaseTransfer<'static>,
) -> Message<'static> {
    let Bill {
        code,
        name,
        customs,
        no: bill,
        waybills,
    } = *b;
    Message::Ceb509(Ceb509Message {
        guid: Cow::Owned(batch_guid("departure-message", bill)),
        version: "1.0".into(),
        documents: vec![Departure {
            head: DepartureHead {
                guid: Cow::Owned(batch_guid("departure", bill)),
                app_type: "1".into(),
                app_time: Cow::Owned(format14(at)),
                app_status: "2".into(),
                customs_code: Cow::Owned(customs.to_string()),
                cop_no: Cow::Owned(bill.to_string()),
                logistics_code: Cow::Owned(code.to_string()),
                logistics_name: Cow::Owned(name.to_string()),
                traf_mode: "4".into(),
                bill_no: Some(Cow::Owned(bill.to_string())),
                leave_time: Cow::Owned(format14(at)),
                msg_count: 1,
                msg_seq_no: 1,
                ..DepartureHead::default()
            },
            items: waybills
                .iter()
                .enumerate()
                .map(|(i, no)| DepartureList {
                    gnum: i as i64 + 1,
                    logistics_no: Cow::Owned(no.clone()),
                    ..DepartureList::default()
                })
                .collect(),
        }],
        base_transfer: transfer,
        ..Ceb509Message::default()
    })
}

/// The carrier's consolidation (607) of a bill, declared by the carrier itself (registered as
/// declaring agent too), sent by `transfer`.
pub fn consolidation(
    b: &Bill<'_>,
    gross_weight: Decimal,
    at: NaiveDateTime,
    transfer: BaseTransfer<'static>,
) -> Message<'static> {
    let Bill {
        code,
        name,
        customs,
        no: bill,
        waybills,
    } = *b;
    let package: Cow<'static, str> = Cow::Owned(format!("BAG{bill}"));
    Message::Ceb607(Ceb607Message {
        guid: Cow::Owned(batch_guid("consolidation-message", bill)),
        version: "1.0".into(),
        documents: vec![WayBill {
            head: WayBillHead {
                guid: Cow::Owned(batch_guid("consolidation", bill)),
                app_type: "1".into(),
                app_time: Cow::Owned(format14(at)),
                app_status: "2".into(),
                customs_code: Cow::Owned(customs.to_string()),
                cop_no: Cow::Owned(bill.to_string()),
                agent_code: Cow::Owned(code.to_string()),
                agent_name: Cow::Owned(name.to_string()),
                loct_no: Some(Cow::Owned(format!("{customs}01"))),
                traf_mode: "4".into(),
                traf_name: "粤B00000".into(),
                voyage_no: Cow::Owned(format8(at.date())),
                bill_no: Cow::Owned(bill.to_string()),
                gross_weight,
                logistics_code: Cow::Owned(code.to_string()),
                logistics_name: Cow::Owned(name.to_string()),
                msg_count: 1,
                msg_seq_no: 1,
                ..WayBillHead::default()
            },
            items: waybills
                .iter()
                .enumerate()
                .map(|(i, no)| WayBillList {
                    gnum: i as i64 + 1,
                    total_package_no: Some(package.clone()),
                    logistics_no: Cow::Owned(no.clone()),
                    ..WayBillList::default()
                })
                .collect(),
        }],
        base_transfer: transfer,
        ..Ceb607Message::default()
    })
}

/// A GUID fixed by what it names, so replays agree.
pub fn batch_guid(what: &str, id: &str) -> String {
    let a = crate::model::reply::fnv(what.as_bytes());
    let b = crate::model::reply::fnv(id.as_bytes());
    super::parcels::guid_text(a, b)
}
