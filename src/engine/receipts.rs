//! The receipts the engine sends: lists (604), orders (304), payment receipts (404),
//! waybills (506), consolidation (608), arrival (508), departure (510), cancellation (606).
//!
//! A list's receipts and those of the documents it was checked against are the bulk of the
//! traffic, so they are kept as a shared reference to what they answer and built into a
//! message only when read (`message`, `xml`). The others are few and built when made.

use crate::ceb;
use crate::model::Message;
use crate::model::arrival::{Arrival, ArrivalReturn, Ceb508Message};
use crate::model::cancel::{Ceb606Message, InvtCancel, InvtCancelReturn};
use crate::model::departure::{Ceb510Message, Departure, DepartureReturn};
use crate::model::ids::Guid;
use crate::model::inventory::{Ceb604Message, InventoryReturn};
use crate::model::logistics::{Ceb506Message, LogisticsReturn};
use crate::model::order::{Ceb304Message, OrderReturn};
use crate::model::receipts::{Ceb404Message, ReceiptsReturn};
use crate::model::reply::{clip, fnv};
use crate::model::said::Said;
use crate::model::schema::{documents_member, find_text};
use crate::model::time::format17;
use crate::model::waybill::{Ceb608Message, WayBill, WayBillReturn};
use crate::rules::links::{Key, KeyRef, ListFacts, OrderFacts, ReceiptFacts, WaybillFacts};
use chrono::{NaiveDate, NaiveDateTime};
use compact_str::CompactString;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A receipt the engine sends, and when. (Kept in checkpoints as `snapshot::Stored`.)
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub due: NaiveDateTime,
    /// e.g. `CEB604Message`.
    pub root: &'static str,
    pub status: &'static str,
    /// The DXP id it goes to: whoever sent the document it answers (never looked up by a
    /// GUID, which anyone can copy).
    to: CompactString,
    body: Body,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum Body {
    /// CEB604 for a list as it stood.
    List {
        list: Arc<ListRecord>,
        invt_no: Option<InvtNo>,
        info: Info,
    },
    /// CEB304, CEB404 or CEB506 for a document the list was checked against.
    Linked { list: Arc<ListRecord>, doc: Linked },
    /// Any other receipt, built when it was made.
    Built {
        key: String,
        info: Said,
        #[serde(with = "super::snapshot::message_xml")]
        message: Box<Message<'static>>,
        /// The document answered, when it is not the `guid` of the return record (a 792
        /// answers the 701 it came from).
        answers: Option<String>,
    },
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum Linked {
    Order(Arc<OrderFacts>),
    Payment(Arc<ReceiptFacts>),
    Waybill(Arc<WaybillFacts>),
}

/// A receipt's `returnInfo`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum Info {
    /// The text followed by the answered document's GUID in brackets.
    Tagged(Said),
    Text(Said),
}

impl Info {
    fn text(&self, guid: &str) -> Cow<'_, str> {
        match self {
            Info::Tagged(said) => Cow::Owned(format!("{}[{guid}]", said.zh)),
            Info::Text(said) => Cow::Borrowed(&said.zh),
        }
    }

    fn english(&self, guid: &str) -> Cow<'_, str> {
        match self {
            Info::Tagged(said) => Cow::Owned(format!("{}[{guid}]", said.en)),
            Info::Text(said) => Cow::Borrowed(&said.en),
        }
    }
}

impl From<Said> for Info {
    fn from(said: Said) -> Self {
        Info::Text(said)
    }
}

impl Outgoing {
    /// Its fields, for a checkpoint.
    pub(super) fn into_parts(
        self,
    ) -> (
        NaiveDateTime,
        &'static str,
        &'static str,
        CompactString,
        Body,
    ) {
        (self.due, self.root, self.status, self.to, self.body)
    }

    /// An `Outgoing` back from a checkpoint.
    pub(super) fn from_parts(
        due: NaiveDateTime,
        root: &'static str,
        status: &'static str,
        to: CompactString,
        body: Body,
    ) -> Outgoing {
        Outgoing {
            due,
            root,
            status,
            to,
            body,
        }
    }

    /// The DXP id of the enterprise it goes to (empty when the document's sender is unknown).
    pub fn to(&self) -> &str {
        &self.to
    }

    /// The same receipt, going to `dxp`.
    pub(super) fn sent_to(mut self, dxp: &str) -> Outgoing {
        self.set_to(dxp);
        self
    }

    pub(super) fn set_to(&mut self, dxp: &str) {
        self.to = dxp.into();
    }

    /// The business key it answers, e.g. `ebpCode / orderNo`.
    pub fn key(&self) -> String {
        match &self.body {
            Body::List { list, .. } => order_key(&list.facts),
            Body::Linked { list, doc } => match doc {
                Linked::Waybill(_) => {
                    format!(
                        "{} / {}",
                        list.facts.logistics_code, list.facts.logistics_no
                    )
                }
                Linked::Order(_) | Linked::Payment(_) => order_key(&list.facts),
            },
            Body::Built { key, .. } => key.clone(),
        }
    }

    /// Its `returnInfo`: the reason, in Chinese.
    pub fn info(&self) -> Cow<'_, str> {
        match &self.body {
            Body::Built { info, .. } => Cow::Borrowed(&info.zh),
            _ => self.info_answering(&self.answers()),
        }
    }

    /// `info()` for a caller that has `answers()` already.
    pub fn info_answering(&self, answers: &str) -> Cow<'_, str> {
        match &self.body {
            Body::List { info, .. } => info.text(answers),
            Body::Linked { .. } => Cow::Owned(format!("{}[{answers}]", LINKED.zh)),
            Body::Built { info, .. } => Cow::Borrowed(&info.zh),
        }
    }

    /// What `info()` says, in English (for people; the receipt carries the Chinese).
    pub fn english(&self) -> Cow<'_, str> {
        self.english_answering(&self.answers())
    }

    /// `english()` for a caller that has `answers()` already.
    pub fn english_answering(&self, answers: &str) -> Cow<'_, str> {
        match &self.body {
            Body::List { info, .. } => info.english(answers),
            Body::Linked { .. } => Cow::Owned(format!("{}[{answers}]", LINKED.en)),
            Body::Built { info, .. } => Cow::Borrowed(&info.en),
        }
    }

    /// The GUID of the document this receipt answers (the `guid` of its return record).
    pub fn answers(&self) -> String {
        match &self.body {
            Body::List { list, .. } => list.guid.to_string(),
            Body::Linked { doc, .. } => match doc {
                Linked::Order(o) => o.guid.to_string(),
                Linked::Payment(p) => p.guid.to_string(),
                Linked::Waybill(w) => w.guid.to_string(),
            },
            Body::Built {
                answers: Some(guid),
                ..
            } => guid.clone(),
            Body::Built { message, .. } => {
                let root = message.as_element();
                documents_member(root)
                    .and_then(|i| root.child(i, 0))
                    .and_then(|ret| find_text(ret, "guid"))
                    .unwrap_or_default()
                    .to_string()
            }
        }
    }

    /// For a receipt made for a list as it stood: the list's GUID and the customs list number
    /// it carries (empty before one is assigned), read without building the message (the
    /// ledger follows every list receipt).
    pub fn list_return(&self) -> Option<(&Guid, String)> {
        match &self.body {
            Body::List { list, invt_no, .. } => Some((
                &list.guid,
                invt_no.map(|n| n.format(list)).unwrap_or_default(),
            )),
            _ => None,
        }
    }

    /// The receipt as a typed message.
    pub fn message(&self) -> Message<'static> {
        self.message_saying(&self.info()).into_static()
    }

    /// The receipt as a typed message, its `returnInfo` being `info` (what `info()` gives),
    /// borrowing what it can from the records it answers (it is usually encoded at once).
    fn message_saying<'s>(&'s self, info: &'s str) -> Message<'s> {
        let (status, due) = (self.status, self.due);
        match &self.body {
            Body::List { list, invt_no, .. } => list_message(list, *invt_no, status, info, due),
            Body::Linked { list, doc } => {
                let f = &list.facts;
                match doc {
                    Linked::Order(o) => {
                        order_message(o, KeyRef(&f.ebp_code, &f.order_no), status, info, due)
                    }
                    Linked::Payment(p) => payment_message(p, &f.order_no, status, info, due),
                    Linked::Waybill(w) => waybill_message(w, f.waybill_key(), status, info, due),
                }
            }
            Body::Built { message, .. } => (**message).clone(),
        }
    }

    /// The same receipt, answering the document with GUID `guid`.
    pub(super) fn answering(mut self, guid: &str) -> Outgoing {
        if let Body::Built { answers, .. } = &mut self.body {
            *answers = Some(guid.to_string());
        }
        self
    }

    /// The receipt as the CEB XML sent to the enterprise.
    pub fn xml(&self) -> String {
        self.xml_saying(&self.info())
    }

    /// `xml()` for a caller that has `info()` already.
    pub fn xml_saying(&self, info: &str) -> String {
        ceb::encode(self.message_saying(info).as_element())
    }
}

/// Two receipts are the same when they say the same thing at the same time.
impl PartialEq for Outgoing {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.root, self.status) == (other.due, other.root, other.status)
            && self.key() == other.key()
            && self.info() == other.info()
            && self.message() == other.message()
    }
}

fn order_key(f: &ListFacts) -> String {
    format!("{} / {}", f.ebp_code, f.order_no)
}

/// The `returnInfo` of the receipts an order, payment receipt and waybill get when the list
/// naming them passed the cross-check.
const LINKED: Said = Said::fixed("逻辑校验通过", "Passed the logic check");

/// The e-port's pre-entry number: B + date + 9-digit serial (spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct PreNo {
    pub date: NaiveDate,
    pub serial: u64,
}

impl PreNo {
    /// The number the e-port gives the document with this GUID received on `day`
    /// (`model::reply::eport_number`).
    pub fn of(guid: &str, day: NaiveDate) -> PreNo {
        PreNo {
            date: day,
            serial: crate::model::reply::eport_serial(guid),
        }
    }
}

impl fmt::Display for PreNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::model::reply::numbered('B', self.date, self.serial))
    }
}

/// What a list's receipts say of it; shared by the list and its receipts in flight, and
/// replaced (not changed) when the list is.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct ListRecord {
    pub facts: ListFacts,
    pub guid: Guid,
    /// Who sent it (DXP id): its receipts go back there.
    pub sender: CompactString,
    pub agent_code: CompactString,
    pub cop_no: CompactString,
    pub customs_code: CompactString,
    pub statistics_flag: CompactString,
    pub pre_no: PreNo,
}

/// A customs list number: the list's 4-digit customs + year + E + a 9-digit serial (spec §5;
/// the E for export is unverified).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct InvtNo {
    pub year: u16,
    pub serial: u32,
}

impl InvtNo {
    pub fn format(self, list: &ListRecord) -> String {
        format!("{}{}E{:09}", list.customs_code, self.year, self.serial)
    }

    /// The serial of a list number in this form, if it is one.
    pub fn serial_of(invt_no: &str) -> Option<u32> {
        let (_, digits) = invt_no.rsplit_once('E')?;
        digits.parse().ok()
    }
}

/// CEB604 for one list.
pub(super) fn list(
    list: &Arc<ListRecord>,
    invt_no: Option<InvtNo>,
    status: &'static str,
    info: Info,
    due: NaiveDateTime,
) -> Outgoing {
    Outgoing {
        due,
        root: "CEB604Message",
        status,
        to: list.sender.clone(),
        body: Body::List {
            list: Arc::clone(list),
            invt_no,
            info,
        },
    }
}

fn list_message<'a>(
    list: &'a ListRecord,
    invt_no: Option<InvtNo>,
    status: &'a str,
    info: &'a str,
    due: NaiveDateTime,
) -> Message<'a> {
    let f = &list.facts;
    let ret = InventoryReturn {
        guid: list.guid.to_string().into(),
        agent_code: list.agent_code.as_str().into(),
        cop_no: list.cop_no.as_str().into(),
        pre_no: list.pre_no.to_string().into(),
        invt_no: invt_no.map(|n| n.format(list)).unwrap_or_default().into(),
        ebc_code: f.ebc_code.as_str().into(),
        ebp_code: f.ebp_code.as_str().into(),
        order_no: f.order_no.as_str().into(),
        statistics_flag: list.statistics_flag.as_str().into(),
        return_status: status.into(),
        return_time: format17(due).into(),
        return_info: clip(info, 1000).into(),
    };
    Message::Ceb604(Ceb604Message {
        guid: receipt_guid(&list.guid, status, info).into(),
        version: "1.0".into(),
        returns: vec![ret],
    })
}

/// 304, 404 and 506 once the list naming the order, payment and waybill passed the
/// cross-check: 120 逻辑校验通过.
pub(super) fn linked(
    list: &Arc<ListRecord>,
    order: Option<&Arc<OrderFacts>>,
    payment: Option<&Arc<ReceiptFacts>>,
    waybill: Option<&Arc<WaybillFacts>>,
    due: NaiveDateTime,
    out: &mut Vec<Outgoing>,
) {
    let order = order.map(|o| {
        (
            o.sender.clone(),
            Linked::Order(Arc::clone(o)),
            "CEB304Message",
        )
    });
    let payment = payment.map(|p| {
        (
            p.sender.clone(),
            Linked::Payment(Arc::clone(p)),
            "CEB404Message",
        )
    });
    let waybill = waybill.map(|w| {
        (
            w.sender.clone(),
            Linked::Waybill(Arc::clone(w)),
            "CEB506Message",
        )
    });
    for (to, doc, root) in [order, payment, waybill].into_iter().flatten() {
        out.push(Outgoing {
            due,
            root,
            status: "120",
            to,
            body: Body::Linked {
                list: Arc::clone(list),
                doc,
            },
        });
    }
}

/// A receipt built now.
pub(super) fn built(
    due: NaiveDateTime,
    root: &'static str,
    key: String,
    status: &'static str,
    info: Said,
    message: Message<'static>,
) -> Outgoing {
    Outgoing {
        due,
        root,
        status,
        to: CompactString::default(),
        body: Body::Built {
            key,
            info,
            message: Box::new(message),
            answers: None,
        },
    }
}

/// 304 for an order (its key and facts) that is not answered through its list: a refused
/// duplicate, change or deletion.
pub(super) fn order_answer(
    key: &Key,
    order: &OrderFacts,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    refused(
        key,
        (&order.guid, &order.sender),
        "CEB304Message",
        status,
        info,
        due,
        |info| order_message(order, key.as_ref(), status, info, due).into_static(),
    )
}

/// A receipt for a document not answered through its list, built now: `info` is followed by
/// the document's GUID.
fn refused(
    key: &Key,
    (guid, sender): (&Guid, &str),
    root: &'static str,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
    message: impl FnOnce(&str) -> Message<'static>,
) -> Outgoing {
    let info = info.tagged(&guid.to_string());
    let message = message(&info.zh);
    let key = format!("{} / {}", key.0, key.1);
    built(due, root, key, status, info, message).sent_to(sender)
}

fn order_message<'a>(
    order: &'a OrderFacts,
    KeyRef(ebp_code, order_no): KeyRef<'a>,
    status: &'a str,
    info: &'a str,
    due: NaiveDateTime,
) -> Message<'a> {
    Message::Ceb304(Ceb304Message {
        guid: receipt_guid(&order.guid, status, info).into(),
        version: "1.0".into(),
        returns: vec![OrderReturn {
            guid: order.guid.to_string().into(),
            ebp_code: ebp_code.into(),
            ebc_code: order.ebc_code.as_str().into(),
            order_no: order_no.into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.into(),
        }],
    })
}

/// 404 for a payment receipt not answered through its list.
pub(super) fn payment_answer(
    key: &Key,
    receipt: &ReceiptFacts,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    refused(
        key,
        (&receipt.guid, &receipt.sender),
        "CEB404Message",
        status,
        info,
        due,
        |info| payment_message(receipt, &key.1, status, info, due).into_static(),
    )
}

fn payment_message<'a>(
    receipt: &'a ReceiptFacts,
    order_no: &'a str,
    status: &'a str,
    info: &'a str,
    due: NaiveDateTime,
) -> Message<'a> {
    Message::Ceb404(Ceb404Message {
        guid: receipt_guid(&receipt.guid, status, info).into(),
        version: "1.0".into(),
        returns: vec![ReceiptsReturn {
            guid: receipt.guid.to_string().into(),
            ebc_code: receipt.ebc_code.as_str().into(),
            order_no: order_no.into(),
            pay_no: receipt.pay_no.as_deref().map(Into::into),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.into(),
        }],
    })
}

/// 506 for a waybill not answered through its list.
pub(super) fn waybill_answer(
    key: &Key,
    waybill: &WaybillFacts,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    refused(
        key,
        (&waybill.guid, &waybill.sender),
        "CEB506Message",
        status,
        info,
        due,
        |info| waybill_message(waybill, key.as_ref(), status, info, due).into_static(),
    )
}

fn waybill_message<'a>(
    waybill: &'a WaybillFacts,
    KeyRef(logistics_code, logistics_no): KeyRef<'a>,
    status: &'a str,
    info: &'a str,
    due: NaiveDateTime,
) -> Message<'a> {
    Message::Ceb506(Ceb506Message {
        guid: receipt_guid(&waybill.guid, status, info).into(),
        version: "1.0".into(),
        returns: vec![LogisticsReturn {
            guid: waybill.guid.to_string().into(),
            logistics_code: logistics_code.into(),
            logistics_no: logistics_no.into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.into(),
        }],
    })
}

pub(super) fn waybill(
    w: &WayBill<'_>,
    pre_no: PreNo,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &w.head;
    let info = info.tagged(&h.guid);
    let message = Ceb608Message {
        guid: receipt_guid(&h.guid, status, &info.zh).into(),
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
            return_info: info.zh.to_string().into(),
        }],
    };
    built(
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
    pre_no: PreNo,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &a.head;
    let info = info.tagged(&h.guid);
    let bill = h.bill_no.as_deref().unwrap_or_default();
    let message = Ceb508Message {
        guid: receipt_guid(&h.guid, status, &info.zh).into(),
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
            return_info: info.zh.to_string().into(),
        }],
    };
    built(
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
    pre_no: PreNo,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    let h = &d.head;
    let info = info.tagged(&h.guid);
    let message = Ceb510Message {
        guid: receipt_guid(&h.guid, status, &info.zh).into(),
        version: "1.0".into(),
        returns: vec![DepartureReturn {
            guid: h.guid.to_string().into(),
            logistics_code: h.logistics_code.to_string().into(),
            cop_no: h.cop_no.to_string().into(),
            pre_no: pre_no.to_string().into(),
            msg_seq_no: h.msg_seq_no,
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.zh.to_string().into(),
        }],
    };
    let bill = h.bill_no.as_deref().unwrap_or_default();
    built(
        due,
        "CEB510Message",
        format!("{} / {bill}", h.cop_no),
        status,
        info,
        Message::Ceb510(message),
    )
}

pub(super) fn cancel(
    c: &InvtCancel<'_>,
    pre_no: PreNo,
    status: &'static str,
    info: &Said,
    due: NaiveDateTime,
) -> Outgoing {
    let info = info.tagged(&c.guid);
    let message = Ceb606Message {
        guid: receipt_guid(&c.guid, status, &info.zh).into(),
        version: "1.0".into(),
        returns: vec![InvtCancelReturn {
            guid: c.guid.to_string().into(),
            agent_code: c.agent_code.to_string().into(),
            cop_no: c.cop_no.to_string().into(),
            pre_no: pre_no.to_string().into(),
            invt_no: c.invt_no.to_string().into(),
            return_status: status.into(),
            return_time: format17(due).into(),
            return_info: info.zh.to_string().into(),
        }],
    };
    built(
        due,
        "CEB606Message",
        c.invt_no.to_string(),
        status,
        info,
        Message::Ceb606(message),
    )
}

/// A receipt's own GUID, derived from what it answers so a replay gives the same one.
pub(super) fn receipt_guid(answered: &impl fmt::Display, status: &str, info: &str) -> String {
    let fnv_on = |h: u64, bytes: &[u8]| {
        bytes
            .iter()
            .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
    };
    let second = fnv_on(
        fnv_on(0xcbf2_9ce4_8422_2325, status.as_bytes()),
        info.as_bytes(),
    );
    let id = uuid::Uuid::from_u64_pair(fnv(answered.to_string().as_bytes()), second);
    let mut buf = uuid::Uuid::encode_buffer();
    id.hyphenated().encode_upper(&mut buf).to_string()
}
