//! Receipts for the messages that are not lists: orders (304), payment receipts (404),
//! waybills (506), consolidation (608), arrival (508), departure (510), cancellation (606).

use super::{Outgoing, receipt_guid};
use crate::model::Message;
use crate::model::arrival::{Arrival, ArrivalReturn, Ceb508Message};
use crate::model::cancel::{Ceb606Message, InvtCancel, InvtCancelReturn};
use crate::model::departure::{Ceb510Message, Departure, DepartureReturn};
use crate::model::logistics::{Ceb506Message, Logistics, LogisticsReturn};
use crate::model::order::{Ceb304Message, Order, OrderReturn};
use crate::model::receipts::{Ceb404Message, Receipts, ReceiptsReturn};
use crate::model::time::format17;
use crate::model::waybill::{Ceb608Message, WayBill, WayBillReturn};
use crate::rules::Related;
use crate::rules::links::Key;
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
    let mut out = Vec::new();
    let time = format17(due);
    if let Some(order) = known.orders.get(key) {
        let info = format!("逻辑校验通过[{}]", order.guid);
        let message = Ceb304Message {
            guid: receipt_guid(&order.guid, status, &info).into(),
            version: "1.0".into(),
            returns: vec![OrderReturn {
                guid: order.guid.clone().into(),
                ebp_code: key.0.clone().into(),
                ebc_code: order.ebc_code.clone().into(),
                order_no: key.1.clone().into(),
                return_status: status.into(),
                return_time: time.clone().into(),
                return_info: info.clone().into(),
            }],
        };
        out.push(outgoing(
            due,
            "CEB304Message",
            format!("{} / {}", key.0, key.1),
            status,
            info,
            Message::Ceb304(message),
        ));
    }
    if let Some(receipt) = known.receipts.get(key) {
        let info = format!("逻辑校验通过[{}]", receipt.guid);
        let message = Ceb404Message {
            guid: receipt_guid(&receipt.guid, status, &info).into(),
            version: "1.0".into(),
            returns: vec![ReceiptsReturn {
                guid: receipt.guid.clone().into(),
                ebc_code: receipt.ebc_code.clone().into(),
                order_no: key.1.clone().into(),
                pay_no: receipt.pay_no.clone().map(Into::into),
                return_status: status.into(),
                return_time: time.clone().into(),
                return_info: info.clone().into(),
            }],
        };
        out.push(outgoing(
            due,
            "CEB404Message",
            format!("{} / {}", key.0, key.1),
            status,
            info,
            Message::Ceb404(message),
        ));
    }
    if let Some(w) = known.waybills.get(waybill) {
        let info = format!("逻辑校验通过[{}]", w.guid);
        let message = Ceb506Message {
            guid: receipt_guid(&w.guid, status, &info).into(),
            version: "1.0".into(),
            returns: vec![LogisticsReturn {
                guid: w.guid.clone().into(),
                logistics_code: waybill.0.clone().into(),
                logistics_no: waybill.1.clone().into(),
                return_status: status.into(),
                return_time: time.into(),
                return_info: info.clone().into(),
            }],
        };
        out.push(outgoing(
            due,
            "CEB506Message",
            format!("{} / {}", waybill.0, waybill.1),
            status,
            info,
            Message::Ceb506(message),
        ));
    }
    out
}

/// 304 answering an order itself (a refused duplicate, change or deletion).
pub(super) fn order_answer(
    order: &Order<'_>,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &order.head;
    let info = format!("{info}[{}]", h.guid);
    let message = Ceb304Message {
        guid: receipt_guid(&h.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![OrderReturn {
            guid: h.guid.to_string().into(),
            ebp_code: h.ebp_code.to_string().into(),
            ebc_code: h.ebc_code.to_string().into(),
            order_no: h.order_no.to_string().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let key = format!("{} / {}", h.ebp_code, h.order_no);
    outgoing(
        due,
        "CEB304Message",
        key,
        status,
        info,
        Message::Ceb304(message),
    )
}

/// 404 answering a payment receipt itself.
pub(super) fn payment_answer(
    r: &Receipts<'_>,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let info = format!("{info}[{}]", r.guid);
    let message = Ceb404Message {
        guid: receipt_guid(&r.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![ReceiptsReturn {
            guid: r.guid.to_string().into(),
            ebc_code: r.ebc_code.to_string().into(),
            order_no: r.order_no.to_string().into(),
            pay_no: r.pay_no.as_ref().map(|n| n.to_string().into()),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let key = format!("{} / {}", r.ebp_code, r.order_no);
    outgoing(
        due,
        "CEB404Message",
        key,
        status,
        info,
        Message::Ceb404(message),
    )
}

/// 506 answering a waybill itself.
pub(super) fn waybill_answer(
    w: &Logistics<'_>,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let info = format!("{info}[{}]", w.guid);
    let message = Ceb506Message {
        guid: receipt_guid(&w.guid, status, &info).into(),
        version: "1.0".into(),
        returns: vec![LogisticsReturn {
            guid: w.guid.to_string().into(),
            logistics_code: w.logistics_code.to_string().into(),
            logistics_no: w.logistics_no.to_string().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.clone().into(),
        }],
    };
    let key = format!("{} / {}", w.logistics_code, w.logistics_no);
    outgoing(
        due,
        "CEB506Message",
        key,
        status,
        info,
        Message::Ceb506(message),
    )
}
