//! Receipts for the messages that are not lists: orders (304), payment receipts (404),
//! waybills (506), consolidation (608), arrival (508), departure (510), cancellation (606).

use super::{Outgoing, receipt_guid};
use crate::model::Message;
use crate::model::arrival::{Arrival, ArrivalReturn, Ceb508Message};
use crate::model::cancel::{Ceb606Message, InvtCancel, InvtCancelReturn};
use crate::model::departure::{Ceb510Message, Departure, DepartureReturn};
use crate::model::logistics::{Ceb506Message, LogisticsReturn};
use crate::model::order::{Ceb304Message, OrderReturn};
use crate::model::receipts::{Ceb404Message, ReceiptsReturn};
use crate::model::time::format17;
use crate::model::waybill::{Ceb608Message, WayBill, WayBillReturn};
use crate::rules::Related;
use crate::rules::links::{Key, OrderFacts, ReceiptFacts, WaybillFacts};
use chrono::NaiveDateTime;

pub(super) fn waybill(
    w: &WayBill<'_>,
    pre_no: &str,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &w.head;
    let info = format!("{info}[{}]", h.guid);
    let message = Ceb608Message {
        guid: receipt_guid(&h.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![WayBillReturn {
            guid: h.guid.to_string().into(),
            agent_code: h.agent_code.to_string().into(),
            logistics_code: h.logistics_code.to_string().into(),
            cop_no: h.cop_no.to_string().into(),
            pre_no: pre_no.to_string().into(),
            bill_no: h.bill_no.to_string().into(),
            msg_seq_no: h.msg_seq_no,
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    outgoing(
        due,
        "CEB608Message",
        format!("{} / {}", h.cop_no, h.bill_no),
        status,
        info,
        Message::Ceb608(message),
    )
}

pub(super) fn arrival(
    a: &Arrival<'_>,
    pre_no: &str,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &a.head;
    let info = format!("{info}[{}]", h.guid);
    let bill = h.bill_no.as_deref().unwrap_or_default();
    let message = Ceb508Message {
        guid: receipt_guid(&h.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![ArrivalReturn {
            guid: h.guid.to_string().into(),
            operator_code: h.operator_code.to_string().into(),
            logistics_code: h.logistics_code.to_string().into(),
            pre_no: pre_no.to_string().into(),
            cop_no: h.cop_no.to_string().into(),
            bill_no: bill.to_string().into(),
            msg_seq_no: h.msg_seq_no,
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    outgoing(
        due,
        "CEB508Message",
        format!("{} / {bill}", h.cop_no),
        status,
        info,
        Message::Ceb508(message),
    )
}

pub(super) fn departure(
    d: &Departure<'_>,
    pre_no: &str,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &d.head;
    let info = format!("{info}[{}]", h.guid);
    let message = Ceb510Message {
        guid: receipt_guid(&h.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![DepartureReturn {
            guid: h.guid.to_string().into(),
            logistics_code: h.logistics_code.to_string().into(),
            cop_no: h.cop_no.to_string().into(),
            pre_no: pre_no.to_string().into(),
            msg_seq_no: h.msg_seq_no,
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let bill = h.bill_no.as_deref().unwrap_or_default();
    outgoing(
        due,
        "CEB510Message",
        format!("{} / {bill}", h.cop_no),
        status,
        info,
        Message::Ceb510(message),
    )
}

fn outgoing(
    due: NaiveDateTime,
    root: &'static str,
    key: String,
    status: &'static str,
    info: String,
    message: Message<'static>,
) -> Outgoing {
    Outgoing {
        due,
        root,
        key,
        status,
        info,
        message: Box::new(message),
    }
}

pub(super) fn cancel(
    c: &InvtCancel<'_>,
    pre_no: &str,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let info = format!("{info}[{}]", c.guid);
    let message = Ceb606Message {
        guid: receipt_guid(&c.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![InvtCancelReturn {
            guid: c.guid.to_string().into(),
            agent_code: c.agent_code.to_string().into(),
            cop_no: c.cop_no.to_string().into(),
            pre_no: pre_no.to_string().into(),
            invt_no: c.invt_no.to_string().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    outgoing(
        due,
        "CEB606Message",
        c.invt_no.to_string(),
        status,
        info,
        Message::Ceb606(message),
    )
}

/// 304, 404 and 506 once the list naming the order, payment and waybill passed the
/// cross-check (120 逻辑校验通过).
pub(super) fn linked(
    key: &Key,
    waybill: &Key,
    known: &Related,
    status: &'static str,
    due: NaiveDateTime,
) -> Vec<Outgoing> {
    let info = "逻辑校验通过";
    let order = known
        .orders
        .get(key)
        .map(|o| order_answer(key, o, status, info, due));
    let payment = known
        .receipts
        .get(key)
        .map(|r| payment_answer(key, r, status, info, due));
    let shipment = known
        .waybills
        .get(waybill)
        .map(|w| waybill_answer(waybill, w, status, info, due));
    order.into_iter().chain(payment).chain(shipment).collect()
}

/// 304 for an order (its key and facts): passed, or a refused duplicate, change or deletion.
pub(super) fn order_answer(
    key: &Key,
    order: &OrderFacts,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let info = format!("{info}[{}]", order.guid);
    let message = Ceb304Message {
        guid: receipt_guid(&order.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![OrderReturn {
            guid: order.guid.clone().into(),
            ebp_code: key.0.clone().into(),
            ebc_code: order.ebc_code.clone().into(),
            order_no: key.1.clone().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let key = format!("{} / {}", key.0, key.1);
    outgoing(
        due,
        "CEB304Message",
        key,
        status,
        info,
        Message::Ceb304(message),
    )
}

/// 404 for a payment receipt.
pub(super) fn payment_answer(
    key: &Key,
    receipt: &ReceiptFacts,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let info = format!("{info}[{}]", receipt.guid);
    let message = Ceb404Message {
        guid: receipt_guid(&receipt.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![ReceiptsReturn {
            guid: receipt.guid.clone().into(),
            ebc_code: receipt.ebc_code.clone().into(),
            order_no: key.1.clone().into(),
            pay_no: receipt.pay_no.clone().map(Into::into),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let key = format!("{} / {}", key.0, key.1);
    outgoing(
        due,
        "CEB404Message",
        key,
        status,
        info,
        Message::Ceb404(message),
    )
}

/// 506 for a waybill.
pub(super) fn waybill_answer(
    key: &Key,
    waybill: &WaybillFacts,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let info = format!("{info}[{}]", waybill.guid);
    let message = Ceb506Message {
        guid: receipt_guid(&waybill.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![LogisticsReturn {
            guid: waybill.guid.clone().into(),
            logistics_code: key.0.clone().into(),
            logistics_no: key.1.clone().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let key = format!("{} / {}", key.0, key.1);
    outgoing(
        due,
        "CEB506Message",
        key,
        status,
        info,
        Message::Ceb506(message),
    )
}
