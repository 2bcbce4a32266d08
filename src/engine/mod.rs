//! The single window's engine: documents the e-port accepted arrive in any order; a declaration
//! list waits for the order, payment receipt and waybill it names, is cross-checked against
//! them (三单比对) and then carried through the customs lifecycle, 120 入库 → 399 审结 →
//! 800 放行, or sent back with 100 退单 naming what differs or what never came. Pure: time is
//! passed in and every number it assigns is derived from its inputs, so a replay gives the
//! same receipts.
//!
//! Consolidation (607 → 608), arrival at the supervised site (507 → 508; release waits for it
//! unless configured otherwise) and departure (509 → 510) move the lists of their waybills on
//! to 899 结关.
//!
//! A list may be changed (appType 2) until released, deleted (3) until stored, cancelled (605)
//! once recorded and until closed; a second list for the same order is a duplicate.
//!
//! When a list passes the cross-check, its order, payment receipt and waybill get 120 too
//! (304/404/506); they may be changed or deleted until a list using them is with customs.

use crate::model::Message;
use crate::model::cancel::InvtCancel;
use crate::model::ids::Guid;
use crate::model::inventory::Inventory;
use crate::model::reply::fnv;
use crate::model::said::Said;
use crate::rules::links::Named;
use crate::rules::links::{Key, KeyRef, ListFacts, OrderFacts, ReceiptFacts, WaybillFacts};
use crate::rules::{Params, catalog, cross_check};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use hashbrown::HashMap;
use receipts::{Info, InvtNo, ListRecord, PreNo};
use std::collections::BinaryHeap;
use std::sync::Arc;

/// `returnStatus` of a list sent again for an order that already has one (spec 2018 table
/// 7-3: −604001… is "processing failed" for lists).
pub const STATUS_DUPLICATE: &str = "-604001";

/// Timing of the simulated customs. None of these is published; the defaults are plausible.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a list waits for the documents it names before it is sent back.
    pub wait_window: Duration,
    /// From a complete, consistent list to 120 入库 (or to 100 退单 when it is not consistent).
    pub store_delay: Duration,
    /// From 120 to 399 审结.
    pub conclude_delay: Duration,
    /// From 399 to 800 放行.
    pub release_delay: Duration,
    /// Release only once the parcel has arrived at the supervised site (507).
    pub release_waits_for_arrival: bool,
    /// Review, inspection, drill refusals and the spread of the delays.
    pub profile: Profile,
    /// Outcomes forced by configuration, by `orderNo` (as the `[SW:…]` note markers do).
    pub scenarios: std::collections::HashMap<String, Scenario>,
    /// With a cold store: how long an order or waybill waits in memory for its list; then it
    /// waits on disk, and a document naming it (its list, a duplicate, a change) brings it
    /// back first. Short, so documents whose partners never come cannot fill memory.
    pub retention: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            wait_window: Duration::hours(2),
            store_delay: Duration::seconds(2),
            conclude_delay: Duration::seconds(30),
            release_delay: Duration::minutes(5),
            release_waits_for_arrival: true,
            profile: Profile::default(),
            scenarios: std::collections::HashMap::new(),
            retention: Duration::minutes(10),
        }
    }
}

/// Why a forced event cannot be done now, in Chinese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotNow {
    pub zh: &'static str,
    pub en: &'static str,
}

/// A customs event forced on a list by test support (`Engine::force`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forced {
    /// 800 放行 now.
    Release,
    /// 500 查验 now.
    Inspect,
    /// 100 退单 now.
    Reject,
}

/// Where a list stands, in lifecycle order (so a status can be compared with "at least").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ListStatus {
    /// Accepted by the e-port (2), waiting for the documents it names.
    Waiting,
    /// Complete and consistent; customs is storing it.
    Checked,
    Stored,
    /// 300 人工审核.
    Review,
    /// 500 查验.
    Inspection,
    Concluded,
    Released,
    /// Left the country (899 结关).
    Closed,
    /// Withdrawn by a cancellation (605) after it was recorded.
    Cancelled,
    /// Deleted by its sender (appType 3) before customs stored it.
    Deleted,
    Rejected,
}

/// What the engine keeps of one list: what its receipts say, where it stands.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct ListState {
    record: Arc<ListRecord>,
    date: Option<NaiveDate>,
    /// Its customs list number (`invtNo`), once stored.
    invt_no: Option<InvtNo>,
    status: ListStatus,
    /// Concluded, held until the parcel arrives at the supervised site.
    held_for_arrival: bool,
    /// What customs does with it, fixed when it arrives.
    scenario: Scenario,
    draws: Draws,
}

/// A timed step of one list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
enum Step {
    /// The waiting window of the list ended.
    Expire,
    /// Customs answers a complete list: 120 or 100.
    Decide,
    Review,
    Inspect,
    Conclude,
    Release,
    Close,
}

impl Step {
    /// Whether the step moves a list in `status` on (`Engine::step`); any other is a timer
    /// left over from a state the list has left, and does nothing.
    fn applies_to(self, status: ListStatus) -> bool {
        use ListStatus::*;
        match self {
            Step::Expire => status == Waiting,
            Step::Decide => status == Checked,
            Step::Review => status == Stored,
            Step::Inspect => matches!(status, Stored | Review),
            Step::Conclude => matches!(status, Stored | Review | Inspection),
            Step::Release => status == Concluded,
            Step::Close => status == Released,
        }
    }

    /// Names the step in the draws of its delay.
    fn name(self) -> &'static str {
        match self {
            Step::Expire => "Expire",
            Step::Decide => "Decide",
            Step::Review => "Review",
            Step::Inspect => "Inspect",
            Step::Conclude => "Conclude",
            Step::Release => "Release",
            Step::Close => "Close",
        }
    }
}

/// Lists are named by a number counted from 1, never used again.
type ListId = u64;

/// What a timer does when it falls due.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Action {
    List(ListId, Step),
    /// A receipt already made.
    Send(Box<Outgoing>),
}

/// A timer; ordered so that the heap's top is the earliest, and equal times keep their order.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Timer {
    due: NaiveDateTime,
    seq: u64,
    action: Action,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl Eq for Timer {}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

/// What the engine knows under an order key (ebpCode, orderNo).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct OrderSlot {
    order: Option<Arc<OrderFacts>>,
    payment: Option<Arc<ReceiptFacts>>,
    /// The newest list for the order; a list waiting for its order or payment receipt is
    /// found through it when they come.
    list: Option<ListId>,
    /// When a document last came for it (its retention counts from there).
    touched: NaiveDateTime,
}

/// What the engine knows under a waybill key (logisticsCode, logisticsNo).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct WaybillSlot {
    waybill: Option<Arc<WaybillFacts>>,
    list: Option<ListId>,
    /// Reported arrived at (507) and departed from (509) the supervised site.
    arrived: bool,
    departed: bool,
    /// When a document last came for it (its retention counts from there).
    touched: NaiveDateTime,
}

/// The engine's state is what a checkpoint keeps; its configuration comes from the caller.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Engine {
    #[serde(skip)]
    config: EngineConfig,
    #[serde(skip)]
    params: Params,
    orders: HashMap<Key, OrderSlot>,
    waybills: HashMap<Key, WaybillSlot>,
    lists: settle::Lists,
    /// The list of each customs list number, by its serial.
    stored: HashMap<u32, ListId>,
    /// What settled: out of memory, read back by key (see `settle`).
    cold: cold::Cold,
    /// Parcels settled so far (each is numbered in the cold store).
    parcels_settled: u64,
    timers: BinaryHeap<Timer>,
    seq: u64,
    /// The day the e-port received the message being taken: the numbers it gives carry it.
    #[serde(skip)]
    received: NaiveDate,
}

impl Engine {
    pub fn new(config: EngineConfig, params: Params) -> Self {
        Engine {
            config,
            params,
            ..Engine::default()
        }
    }

    /// Takes the documents of a message the e-port accepted (it answered them with 2).
    /// Receipts come from `advance`, when they are due.
    pub fn accept(&mut self, message: &Message<'_>, now: NaiveDateTime) {
        self.accept_documents(message, now, now, |_| true);
    }

    /// Like `accept`, for the documents (by index) that `accepted` lets through: the others
    /// were refused by the e-port and never reach customs. `received`: when the e-port
    /// checked the message (in `serve` a little before `now`, the time it was stored); the
    /// numbers given to its documents carry that day, as the e-port's own receipt does.
    pub fn accept_documents(
        &mut self,
        message: &Message<'_>,
        now: NaiveDateTime,
        received: NaiveDateTime,
        accepted: impl Fn(usize) -> bool,
    ) {
        self.received = received.date();
        // Receipts go back to whoever sent the document: the e-port has checked that the
        // envelope's DXP id is the sender's own.
        let sender =
            crate::model::schema::find_text(message.as_element(), "dxpId").unwrap_or_default();
        match message {
            Message::Ceb303(m) => {
                for order in kept(&m.documents, &accepted) {
                    let (key, mut facts) = OrderFacts::of(order);
                    facts.sender = sender.into();
                    self.bring_back_order(key.as_ref());
                    let slot = self.orders.entry(key.clone()).or_default();
                    slot.touched = now;
                    let earlier = slot.order.as_deref().map(|f| &f.guid);
                    let used = in_customs(&self.lists, slot.list);
                    let other = slot
                        .order
                        .as_deref()
                        .is_some_and(|o| foreign(&o.ebc_code, &o.sender, &facts.ebc_code, sender));
                    let app_type = &order.head.app_type;
                    match side_verdict(app_type, earlier, &facts.guid, used, other) {
                        Verdict::Refuse(reason) => {
                            let due = now + self.config.store_delay;
                            self.send(receipts::order_answer(
                                &key, &facts, "-304001", &reason, due,
                            ));
                        }
                        verdict => {
                            let list = slot.list;
                            // A payment receipt of another enterprise that came first is not
                            // this order's: it is dropped, so it cannot spoil the cross-check.
                            let stray = (verdict == Verdict::Store)
                                .then(|| {
                                    slot.payment.take_if(|p| {
                                        foreign(&facts.ebc_code, sender, &p.ebc_code, &p.sender)
                                    })
                                })
                                .flatten();
                            if settle(&mut slot.order, facts, verdict) {
                                self.wake(list, now);
                            }
                            if let Some(p) = stray {
                                let due = now + self.config.store_delay;
                                let reason = Said::fixed(
                                    "处理失败：收款单的电商企业与订单不符，已作废",
                                    "Refused: the payment receipt's e-commerce enterprise is not the order's; it is void",
                                );
                                self.send(receipts::payment_answer(
                                    &key, &p, "-404001", &reason, due,
                                ));
                            }
                        }
                    }
                }
            }
            Message::Ceb403(m) => {
                for r in kept(&m.documents, &accepted) {
                    let (key, mut facts) = ReceiptFacts::of(r);
                    facts.sender = sender.into();
                    self.bring_back_order(key.as_ref());
                    let slot = self.orders.entry(key.clone()).or_default();
                    slot.touched = now;
                    let earlier = slot.payment.as_deref().map(|f| &f.guid);
                    let used = in_customs(&self.lists, slot.list);
                    let owner = (slot.order.as_deref().map(|o| (&o.ebc_code, &o.sender)))
                        .or(slot.payment.as_deref().map(|p| (&p.ebc_code, &p.sender)));
                    let other =
                        owner.is_some_and(|(ebc, by)| foreign(ebc, by, &facts.ebc_code, sender));
                    match side_verdict(&r.app_type, earlier, &facts.guid, used, other) {
                        Verdict::Refuse(reason) => {
                            let due = now + self.config.store_delay;
                            self.send(receipts::payment_answer(
                                &key, &facts, "-404001", &reason, due,
                            ));
                        }
                        verdict => {
                            let list = slot.list;
                            if settle(&mut slot.payment, facts, verdict) {
                                self.wake(list, now);
                            }
                        }
                    }
                }
            }
            Message::Ceb505(m) => {
                for w in kept(&m.documents, &accepted) {
                    let (key, mut facts) = WaybillFacts::of(w);
                    facts.sender = sender.into();
                    self.bring_back_waybill(key.as_ref());
                    let slot = self.waybills.entry(key.clone()).or_default();
                    slot.touched = now;
                    let earlier = slot.waybill.as_deref().map(|f| &f.guid);
                    let used = in_customs(&self.lists, slot.list);
                    // The carrier is in the key (and mandated by the e-port's check).
                    match side_verdict(&w.app_type, earlier, &facts.guid, used, false) {
                        Verdict::Refuse(reason) => {
                            let due = now + self.config.store_delay;
                            self.send(receipts::waybill_answer(
                                &key, &facts, "-504001", &reason, due,
                            ));
                        }
                        verdict => {
                            let list = slot.list;
                            if settle(&mut slot.waybill, facts, verdict) {
                                self.wake(list, now);
                            }
                        }
                    }
                }
            }
            Message::Ceb603(m) => {
                for list in kept(&m.documents, &accepted) {
                    self.list_arrives(list, now, sender);
                }
            }
            Message::Ceb605(m) => {
                for c in kept(&m.documents, &accepted) {
                    self.cancel(c, now, sender);
                }
            }
            Message::Ceb607(m) => {
                for w in kept(&m.documents, &accepted) {
                    let h = &w.head;
                    if h.msg_seq_no == h.msg_count {
                        let pre_no = self.pre_no(&h.guid);
                        let receipt = receipts::waybill(
                            w,
                            pre_no,
                            "399",
                            &Said::fixed("总分单审核通过", "Consolidation approved"),
                            now + self.config.store_delay,
                        );
                        self.send(receipt.sent_to(sender));
                    }
                }
            }
            Message::Ceb507(m) => {
                for a in kept(&m.documents, &accepted) {
                    for item in &a.items {
                        let key = KeyRef(&a.head.logistics_code, &item.logistics_no);
                        self.bring_back_waybill(key);
                        let slot = self.waybills.entry(key.to_owned()).or_default();
                        slot.touched = now;
                        slot.arrived = true;
                        // A list held for its parcel's arrival is released now.
                        if let Some(id) = slot.list
                            && std::mem::take(&mut self.lists[id].held_for_arrival)
                        {
                            self.schedule(now, id, Step::Release);
                        }
                    }
                    if a.head.msg_seq_no == a.head.msg_count {
                        let pre_no = self.pre_no(&a.head.guid);
                        let due = now + self.config.store_delay;
                        for (status, info) in [
                            ("399", Said::fixed("审核成功", "Arrival approved")),
                            ("800", Said::fixed("放行", "Released")),
                        ] {
                            let receipt = receipts::arrival(a, pre_no, status, &info, due);
                            self.send(receipt.sent_to(sender));
                        }
                    }
                }
            }
            Message::Ceb509(m) => {
                for d in kept(&m.documents, &accepted) {
                    for item in &d.items {
                        let key = KeyRef(&d.head.logistics_code, &item.logistics_no);
                        self.bring_back_waybill(key);
                        let slot = self.waybills.entry(key.to_owned()).or_default();
                        slot.touched = now;
                        slot.departed = true;
                        if let Some(list) = slot.list
                            && self.lists[list].status == ListStatus::Released
                        {
                            self.schedule(now + self.config.store_delay, list, Step::Close);
                        }
                    }
                    if d.head.msg_seq_no == d.head.msg_count {
                        let pre_no = self.pre_no(&d.head.guid);
                        let due = now + self.config.store_delay;
                        let receipt = receipts::departure(
                            d,
                            pre_no,
                            "399",
                            &Said::fixed("离境审核通过", "Departure approved"),
                            due,
                        );
                        self.send(receipt.sent_to(sender));
                    }
                }
            }
            _ => {}
        }
    }

    /// A list: new, delivered again, a duplicate, a change (appType 2) or a deletion (3).
    fn list_arrives(&mut self, list: &Inventory<'_>, now: NaiveDateTime, sender: &str) {
        let h = &list.head;
        let key = KeyRef(&h.ebp_code, &h.order_no);
        self.bring_back_order(key);
        self.bring_back_waybill(KeyRef(&h.logistics_code, &h.logistics_no));
        let slot = self.orders.get(&key);
        let order_ebc = slot.and_then(|s| s.order.as_deref()).map(|o| &o.ebc_code);
        // A list of another enterprise than the order's is sent back by the cross-check: it
        // does not hold the order's place, so it cannot block the order's own list.
        let earlier = slot
            .and_then(|slot| slot.list)
            .map(|i| (i, &self.lists[i]))
            .filter(|(_, l)| !matches!(l.status, ListStatus::Rejected | ListStatus::Deleted))
            .filter(|(_, l)| order_ebc.is_none_or(|e| *e == l.record.facts.ebc_code))
            .map(|(i, l)| {
                let same = l.record.guid == *h.guid;
                (i, l.status, same, l.record.facts.ebc_code == *h.ebc_code)
            });
        let waybill_key = KeyRef(&h.logistics_code, &h.logistics_no);
        let waybill_taken = self.waybill_taken(waybill_key);
        let refusal = match (h.app_type.as_ref(), earlier) {
            // The same list delivered again changes nothing.
            (_, Some((_, _, true, true))) => return,
            ("2" | "3", Some((_, _, _, false))) => Some(Said::fixed(
                "处理失败：该订单的清单属于其他电商企业，不能变更或删除",
                "Refused: the list of this order is another e-commerce enterprise's; it cannot be changed or deleted",
            )),
            ("2", Some((_, status, ..))) if status >= ListStatus::Released => Some(Said::fixed(
                "处理失败：清单已放行，不能变更",
                "Refused: the list is released and cannot be changed",
            )),
            ("2", Some((i, ..))) => {
                self.change_list(i, ListFacts::of(list), now);
                None
            }
            ("3", Some((_, status, ..))) if status >= ListStatus::Stored => Some(Said::fixed(
                "处理失败：清单已入库，不能删除，请申请撤销（CEB605）",
                "Refused: the list is stored and cannot be deleted; apply for its cancellation (CEB605)",
            )),
            ("3", Some((i, ..))) => {
                self.lists[i].status = ListStatus::Deleted;
                None
            }
            ("2" | "3", None) => Some(Said::fixed(
                "处理失败：没有可变更或删除的清单",
                "Refused: there is no list to change or delete",
            )),
            (_, Some(_)) => Some(Said::fixed(
                "处理失败，业务主键重复：该订单的清单已申报",
                "Refused, duplicate business key: a list for this order was already filed",
            )),
            (_, None) if waybill_taken => Some(Said::fixed(
                "处理失败：该运单已被另一份清单申报",
                "Refused: another list already names this waybill",
            )),
            (_, None) => {
                let state = self.new_list(list, sender);
                let waybill_key = state.record.facts.waybill_key().to_owned();
                let id = self.lists.push(state);
                let waybill = self.waybills.entry(waybill_key).or_default();
                (waybill.list, waybill.touched) = (Some(id), now);
                let order = self.orders.entry(key.to_owned()).or_default();
                (order.list, order.touched) = (Some(id), now);
                self.try_complete(id, now);
                // Only a list still waiting needs the end of its window.
                if self.lists[id].status == ListStatus::Waiting {
                    let window = self.config.wait_window;
                    self.schedule(now + window, id, Step::Expire);
                }
                None
            }
        };
        if let Some(reason) = refusal {
            // Answered on the document sent, which never becomes a second record.
            let answered = self.new_list(list, sender);
            let info = reason.tagged(&h.guid);
            let due = now + self.config.store_delay;
            let receipt =
                receipts::list(&answered.record, None, STATUS_DUPLICATE, info.into(), due);
            self.send(receipt);
        }
    }

    /// Whether a live list already uses the waybill of `key`. As for orders, a list of
    /// another enterprise than the waybill's own does not count.
    fn waybill_taken(&self, key: KeyRef<'_>) -> bool {
        let Some(slot) = self.waybills.get(&key) else {
            return false;
        };
        let owner = slot.waybill.as_deref().and_then(|w| w.ebc_code.as_ref());
        slot.list.is_some_and(|i| {
            let l = &self.lists[i];
            !matches!(
                l.status,
                ListStatus::Rejected | ListStatus::Deleted | ListStatus::Cancelled
            ) && owner.is_none_or(|e| *e == l.record.facts.ebc_code)
        })
    }

    fn new_list(&mut self, list: &Inventory<'_>, sender: &str) -> ListState {
        let h = &list.head;
        let record = ListRecord {
            facts: ListFacts::of(list),
            guid: Guid::new(&h.guid),
            sender: sender.into(),
            agent_code: h.agent_code.as_ref().into(),
            cop_no: h.cop_no.as_ref().into(),
            customs_code: h.customs_code.as_ref().into(),
            statistics_flag: h.statistics_flag.as_ref().into(),
            pre_no: self.pre_no(&h.guid),
        };
        let draws = Draws::new(&self.config.profile, &h.guid);
        ListState {
            record: Arc::new(record),
            draws,
            date: crate::model::time::date_of(&h.app_time),
            invt_no: None,
            status: ListStatus::Waiting,
            held_for_arrival: false,
            scenario: self
                .config
                .scenarios
                .get(h.order_no.as_ref())
                .copied()
                .or_else(|| h.note.as_deref().and_then(Scenario::from_note))
                .unwrap_or_else(|| Scenario::drawn(&self.config.profile, draws)),
        }
    }

    /// A change before release: the new facts count; a list customs already stored is
    /// cross-checked again at once.
    fn change_list(&mut self, id: ListId, facts: ListFacts, now: NaiveDateTime) {
        let list = &mut self.lists[id];
        let mut record = (*list.record).clone();
        record.facts = facts;
        list.record = Arc::new(record);
        if list.status == ListStatus::Waiting {
            self.try_complete(id, now);
            return;
        }
        if list.status < ListStatus::Stored {
            return;
        }
        let reasons = self.cross_check_errors(id);
        if !reasons.is_empty() {
            let list = &mut self.lists[id];
            list.status = ListStatus::Rejected;
            let info = Said::listing("海关退单：变更后", "Sent back after the change: ", &reasons);
            let due = now + self.config.store_delay;
            let receipt = receipts::list(&list.record, list.invt_no, "100", info.into(), due);
            self.send(receipt);
        }
    }

    /// The errors of the cross-check of a list, each as `[code] reason`.
    fn cross_check_errors(&self, id: ListId) -> Vec<Said> {
        let list = &self.lists[id];
        let facts = &list.record.facts;
        let (order, waybill) = self.slots(facts);
        let named = Named {
            order: order.and_then(|o| o.order.as_deref()),
            receipt: order.and_then(|o| o.payment.as_deref()),
            waybill: waybill.and_then(|w| w.waybill.as_deref()),
        };
        cross_check(facts, list.date, named, &self.params)
            .iter()
            .filter(|f| f.rule.severity == crate::diagnostic::Severity::Error)
            .map(|f| {
                let code = f.rule.code;
                Said::new(format!("[{code}] {}", f.zh), format!("[{code}] {}", f.en))
            })
            .collect()
    }

    /// A cancellation (605) of a recorded list, not yet closed.
    fn cancel(&mut self, c: &InvtCancel<'_>, now: NaiveDateTime, sender: &str) {
        // Only the list's own e-commerce enterprise may cancel it; to anyone else it does not
        // exist (the answer tells nothing of another's list).
        let id = InvtNo::serial_of(&c.invt_no)
            .and_then(|serial| self.stored.get(&serial))
            .copied()
            .filter(|&i| {
                let list = &self.lists[i];
                list.invt_no.map(|n| n.format(&list.record)).as_deref() == Some(&c.invt_no)
                    && list.record.facts.ebc_code == *c.ebc_code
            });
        let status = id.map(|i| self.lists[i].status).or_else(|| {
            InvtNo::serial_of(&c.invt_no)
                .and_then(|serial| self.settled_serial(serial))
                .filter(|s| s.invt_no == c.invt_no.as_ref() && s.ebc == *c.ebc_code)
                .map(|s| s.status)
        });
        let (code, info) = match status {
            Some(ListStatus::Closed) => (
                "100",
                Said::fixed(
                    "清单已结关，不能撤销：请申请退货（CEB213）",
                    "The list is closed and cannot be cancelled: apply for a return (CEB213)",
                ),
            ),
            Some(ListStatus::Cancelled) => (
                "100",
                Said::fixed(
                    "重复申报：清单已撤销",
                    "Filed twice: the list is already cancelled",
                ),
            ),
            Some(s) if s >= ListStatus::Stored && s <= ListStatus::Released => {
                ("399", Said::fixed("撤销成功", "Cancelled"))
            }
            _ => (
                "100",
                Said::fixed(
                    "清单不存在或尚未入库",
                    "No such list, or it is not stored yet",
                ),
            ),
        };
        if code == "399"
            && let Some(i) = id
        {
            self.lists[i].status = ListStatus::Cancelled;
        }
        let pre_no = self.pre_no(&c.guid);
        let receipt = receipts::cancel(c, pre_no, code, &info, now + self.config.store_delay);
        self.send(receipt.sent_to(sender));
    }

    fn send(&mut self, receipt: Outgoing) {
        self.push_timer(receipt.due, Action::Send(Box::new(receipt)));
    }

    fn schedule(&mut self, due: NaiveDateTime, list: ListId, step: Step) {
        self.push_timer(due, Action::List(list, step));
    }

    fn push_timer(&mut self, due: NaiveDateTime, action: Action) {
        self.seq += 1;
        let seq = self.seq;
        self.timers.push(Timer { due, seq, action });
    }

    /// Every receipt due by `now`, in order; steps due later stay scheduled.
    pub fn advance(&mut self, now: NaiveDateTime) -> Vec<Outgoing> {
        let mut out = Vec::new();
        while self.timers.peek().is_some_and(|t| t.due <= now) {
            let Some(timer) = self.timers.pop() else {
                break;
            };
            match timer.action {
                Action::List(list, step) => self.step(list, step, timer.due, &mut out),
                Action::Send(receipt) => out.push(*receipt),
            }
        }
        out
    }

    /// Where the list of an order stands.
    pub fn list_status(&self, ebp_code: &str, order_no: &str) -> Option<ListStatus> {
        let key = KeyRef(ebp_code, order_no);
        match self.orders.get(&key) {
            Some(slot) => slot.list.map(|i| self.lists[i].status),
            None => self.settled_list_status(key),
        }
    }

    /// Test support: makes customs do `event` to the list of an order now, whatever its own
    /// course would have been. Refused (with the reason) when the list is not in a state the
    /// event can follow; a forced release also counts the parcel as arrived.
    pub fn force(
        &mut self,
        ebp_code: &str,
        order_no: &str,
        event: Forced,
        now: NaiveDateTime,
    ) -> Result<(), NotNow> {
        let not_now = |zh, en| Err(NotNow { zh, en });
        self.bring_back_order(KeyRef(ebp_code, order_no));
        let Some(id) = self
            .orders
            .get(&KeyRef(ebp_code, order_no))
            .and_then(|slot| slot.list)
        else {
            return not_now("该订单没有清单", "no list for this order");
        };
        let list = &mut self.lists[id];
        match (event, list.status) {
            (Forced::Reject, s) if s <= ListStatus::Concluded => {
                list.status = ListStatus::Rejected;
                let info = Info::Tagged(Said::fixed(
                    "海关退单：测试注入",
                    "Sent back: injected by a test",
                ));
                let receipt = receipts::list(&list.record, list.invt_no, "100", info, now);
                self.send(receipt);
            }
            (Forced::Inspect, ListStatus::Stored | ListStatus::Review) => {
                self.schedule(now, id, Step::Inspect);
            }
            (Forced::Release, s) if (ListStatus::Stored..=ListStatus::Concluded).contains(&s) => {
                list.status = ListStatus::Concluded;
                list.held_for_arrival = false;
                let waybill = list.record.facts.waybill_key();
                self.waybills.entry(waybill.to_owned()).or_default().arrived = true;
                self.schedule(now, id, Step::Release);
            }
            (Forced::Reject, _) => {
                return not_now("清单已办结", "the list is already finished with");
            }
            (Forced::Inspect, _) => {
                return not_now(
                    "只有已入库（120 或 300）的清单可查验",
                    "only a stored list (120 or 300) can be inspected",
                );
            }
            (Forced::Release, _) => {
                return not_now(
                    "只有已入库至审结（120 至 399）的清单可放行",
                    "only a stored list (120 to 399) can be released",
                );
            }
        }
        Ok(())
    }

    /// The delay before `step` of a list: drawn around the nominal one, plus any scenario delay.
    fn delay_for(&self, id: ListId, step: Step, nominal: Duration) -> Duration {
        let list = &self.lists[id];
        customs::jittered(&self.config.profile, list.draws, step.name(), nominal)
            + list.scenario.extra_delay
    }

    /// The pre-entry number of the document with this GUID: the one the e-port gave it.
    fn pre_no(&self, guid: &str) -> PreNo {
        PreNo::of(guid, self.received)
    }

    fn wake(&mut self, list: Option<ListId>, now: NaiveDateTime) {
        if let Some(id) = list {
            self.try_complete(id, now);
        }
    }

    /// What the engine knows under the order and the waybill keys of a list.
    fn slots(&self, facts: &ListFacts) -> (Option<&OrderSlot>, Option<&WaybillSlot>) {
        (
            self.orders.get(&facts.order_key()),
            self.waybills.get(&facts.waybill_key()),
        )
    }

    /// The documents a waiting list still lacks, named (in Chinese) for the reply.
    fn missing(&self, list: &ListState) -> Vec<&'static str> {
        let facts = &list.record.facts;
        let (order, waybill) = self.slots(facts);
        let mut missing = Vec::new();
        if order.is_none_or(|o| o.order.is_none()) {
            missing.push("订单");
        }
        // The dated rule of the catalog says when a 9610 list needs its payment receipt.
        let receipt_required = facts.trade_mode == "9610"
            && catalog::rule("TM-9610-RECEIPT")
                .is_some_and(|r| list.date.is_none_or(|d| r.in_force(d)));
        if receipt_required && order.is_none_or(|o| o.payment.is_none()) {
            missing.push("收款单");
        }
        if waybill.is_none_or(|w| w.waybill.is_none()) {
            missing.push("运单");
        }
        missing
    }

    /// Moves a waiting list on when everything it names has arrived.
    fn try_complete(&mut self, id: ListId, now: NaiveDateTime) {
        let list = &self.lists[id];
        if list.status != ListStatus::Waiting || !self.missing(list).is_empty() {
            return;
        }
        self.lists[id].status = ListStatus::Checked;
        let delay = self.delay_for(id, Step::Decide, self.config.store_delay);
        self.schedule(now + delay, id, Step::Decide);
    }

    /// Takes one timed step of a list, adding the receipts it sends now to `out`.
    fn step(&mut self, id: ListId, step: Step, due: NaiveDateTime, out: &mut Vec<Outgoing>) {
        // A timer of a list already settled (say, the waiting window of a closed one).
        let Some(list) = self.lists.get(id) else {
            return;
        };
        if !step.applies_to(list.status) {
            return;
        }
        let (status, (code, info), next) = match (step, list.status) {
            (Step::Expire, ListStatus::Waiting) => {
                let missing = self.missing(list);
                let minutes = self.config.wait_window.num_minutes();
                let en: Vec<&str> = missing.iter().map(|m| awaiting::english(m)).collect();
                let info = Said::new(
                    format!("海关退单：超过{minutes}分钟未收到{}", missing.join("、")),
                    format!(
                        "Sent back: no {} came within {minutes} minutes",
                        en.join(", ")
                    ),
                );
                (ListStatus::Rejected, ("100", Info::Tagged(info)), None)
            }
            (Step::Decide, ListStatus::Checked) => {
                let errors = self.cross_check_errors(id);
                if list.scenario.refuse {
                    let info = Info::Tagged(Said::fixed(
                        "海关退单：模拟退单（场景设定）",
                        "Sent back: as the scenario says",
                    ));
                    (ListStatus::Rejected, ("100", info), None)
                } else if errors.is_empty() {
                    let next = if list.scenario.review {
                        Step::Review
                    } else if list.scenario.inspect {
                        Step::Inspect
                    } else {
                        Step::Conclude
                    };
                    (
                        ListStatus::Stored,
                        (
                            "120",
                            Info::Tagged(Said::fixed("逻辑校验通过", "Passed the logic check")),
                        ),
                        Some((self.config.conclude_delay, next)),
                    )
                } else {
                    let info = Said::listing("海关退单：", "Sent back: ", &errors);
                    (ListStatus::Rejected, ("100", info.into()), None)
                }
            }
            (Step::Review, ListStatus::Stored) => {
                let next = if list.scenario.inspect {
                    Step::Inspect
                } else {
                    Step::Conclude
                };
                let delay = self.config.profile.review_delay;
                (
                    ListStatus::Review,
                    (
                        "300",
                        Info::Tagged(Said::fixed("人工审核", "Manual review")),
                    ),
                    Some((delay, next)),
                )
            }
            (Step::Inspect, ListStatus::Stored | ListStatus::Review) => {
                let delay = self.config.profile.inspection_delay;
                (
                    ListStatus::Inspection,
                    ("500", Info::Tagged(Said::fixed("查验", "Inspection"))),
                    Some((delay, Step::Conclude)),
                )
            }
            (Step::Conclude, ListStatus::Stored | ListStatus::Review | ListStatus::Inspection) => (
                ListStatus::Concluded,
                (
                    "399",
                    Info::Tagged(Said::fixed("海关审结", "Concluded by customs")),
                ),
                Some((self.config.release_delay, Step::Release)),
            ),
            (Step::Release, ListStatus::Concluded) => {
                let site = self.slots(&list.record.facts).1;
                let arrived = site.is_some_and(|w| w.arrived);
                if self.config.release_waits_for_arrival && !arrived {
                    self.lists[id].held_for_arrival = true;
                    return;
                }
                let next = (site.is_some_and(|w| w.departed))
                    .then_some((self.config.store_delay, Step::Close));
                (
                    ListStatus::Released,
                    ("800", Info::Tagged(Said::fixed("放行", "Released"))),
                    next,
                )
            }
            (Step::Close, ListStatus::Released) => (
                ListStatus::Closed,
                ("899", Info::Tagged(Said::fixed("结关", "Closed"))),
                None,
            ),
            // A step for a state the list already left (e.g. the window of a completed list).
            _ => return,
        };
        let list = &mut self.lists[id];
        list.status = status;
        let silent = list.scenario.silent;
        if status == ListStatus::Stored {
            // The serial comes from the list's GUID, so a list keeps its number in any run;
            // the next free one is taken when two GUIDs meet.
            let hash = list.record.guid.with_str(|g| fnv(g.as_bytes()));
            let mut serial = (hash % u64::from(INVT_SERIALS)) as u32;
            while self.stored.contains_key(&serial) || self.settled_serial(serial).is_some() {
                serial = (serial + 1) % INVT_SERIALS;
            }
            self.stored.insert(serial, id);
            // The year is the list's own (its declaration's), not the day customs stores it.
            let year = self.lists[id].date.map_or(due.year(), |d| d.year());
            self.lists[id].invt_no = Some(InvtNo {
                year: u16::try_from(year).unwrap_or_default(),
                serial,
            });
        }
        let list = &self.lists[id];
        if !silent {
            out.push(receipts::list(&list.record, list.invt_no, code, info, due));
        }
        if status == ListStatus::Stored && !silent {
            // The order, payment receipt and waybill learn that they matched (304/404/506).
            let (order, waybill) = self.slots(&list.record.facts);
            receipts::linked(
                &list.record,
                order.and_then(|o| o.order.as_ref()),
                order.and_then(|o| o.payment.as_ref()),
                waybill.and_then(|w| w.waybill.as_ref()),
                due,
                out,
            );
        }
        if let Some((delay, step)) = next {
            let delay = self.delay_for(id, step, delay);
            self.schedule(due + delay, id, step);
        }
    }
}

/// How many serials a customs list number has (9 digits).
const INVT_SERIALS: u32 = 1_000_000_000;

/// Whether a list is with customs: stored and not yet finished with, so the documents it
/// was checked against may no longer change.
fn in_customs(lists: &settle::Lists, list: Option<ListId>) -> bool {
    list.and_then(|i| lists.get(i))
        .is_some_and(|l| (ListStatus::Stored..=ListStatus::Closed).contains(&l.status))
}

mod awaiting;
pub mod cold;
pub mod customs;
pub mod ledger;
mod receipts;
pub mod returns;
mod settle;
pub mod snapshot;
pub mod summary;
mod window;

pub use awaiting::Awaiting;
pub use customs::{Draws, Profile, Scenario};
pub use receipts::Outgoing;
pub use window::{SingleWindow, WorkingSet};

/// What becomes of an order, payment receipt or waybill the e-port accepted.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Store,
    Remove,
    /// Delivered again: nothing changes.
    Ignore,
    Refuse(Said),
}

/// New (appType 1), change (2) or deletion (3) of a document customs may already have (its
/// GUID is `earlier`) and that a list in customs may be using (`used`).
/// Whether a document (of e-commerce enterprise `ebc`, sent by `by`) comes from another
/// enterprise than the one whose document holds the key (`owner`, sent by `owner_by`). One
/// sender's mistake in its own documents is left to the cross-check, which names the field.
fn foreign(owner: &str, owner_by: &str, ebc: &str, by: &str) -> bool {
    owner != ebc && owner_by != by
}

/// A document of another e-commerce enterprise than the one already there (`foreign`) is
/// refused whatever it asks: a document is its enterprise's.
fn side_verdict(
    app_type: &str,
    earlier: Option<&Guid>,
    guid: &Guid,
    used: bool,
    foreign: bool,
) -> Verdict {
    match (app_type, earlier) {
        _ if foreign => Verdict::Refuse(Said::fixed(
            "处理失败：该单证属于其他电商企业",
            "Refused: the document is another e-commerce enterprise's",
        )),
        (_, Some(e)) if e == guid => Verdict::Ignore,
        ("2" | "3", None) => Verdict::Refuse(Said::fixed(
            "处理失败：没有可变更或删除的单证",
            "Refused: there is no document to change or delete",
        )),
        ("2" | "3", Some(_)) if used => Verdict::Refuse(Said::fixed(
            "处理失败：单证已被入库的清单使用，不能变更或删除",
            "Refused: a stored list uses the document; it cannot be changed or deleted",
        )),
        ("2", Some(_)) => Verdict::Store,
        ("3", Some(_)) => Verdict::Remove,
        (_, Some(_)) => Verdict::Refuse(Said::fixed(
            "处理失败，业务主键重复：该单证已申报",
            "Refused, duplicate business key: the document was already filed",
        )),
        (_, None) => Verdict::Store,
    }
}

/// Stores or removes the facts of an order, payment or waybill as `verdict` says; true when
/// new facts were stored, so lists waiting for them may go on.
fn settle<F>(slot: &mut Option<Arc<F>>, facts: F, verdict: Verdict) -> bool {
    match verdict {
        Verdict::Store => {
            *slot = Some(Arc::new(facts));
            true
        }
        Verdict::Remove => {
            *slot = None;
            false
        }
        Verdict::Ignore | Verdict::Refuse(_) => false,
    }
}

/// The documents `accepted` lets through, by index.
fn kept<'d, T>(docs: &'d [T], accepted: &impl Fn(usize) -> bool) -> impl Iterator<Item = &'d T> {
    docs.iter()
        .enumerate()
        .filter(|(k, _)| accepted(*k))
        .map(|(_, d)| d)
}
