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

use crate::ceb;
use crate::model::Message;
use crate::model::cancel::InvtCancel;
use crate::model::inventory::{Ceb604Message, Inventory, InventoryReturn};
use crate::model::reply::clip_chars;
use crate::model::time::format17;
use crate::rules::links::{Key, ListFacts, OrderFacts, ReceiptFacts, WaybillFacts};
use crate::rules::{Finding, Params, Related, catalog, cross_check};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, HashMap, HashSet};

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
    pub scenarios: HashMap<String, Scenario>,
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
            scenarios: HashMap::new(),
        }
    }
}

/// A receipt the engine sends, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub due: NaiveDateTime,
    /// e.g. `CEB604Message`.
    pub root: &'static str,
    pub status: &'static str,
    /// The business key it answers, e.g. `ebpCode / orderNo`.
    key: String,
    info: String,
    /// The receipt itself; encoded only when it is delivered (`xml`). Boxed: receipts are
    /// moved around in bulk and a message is large.
    message: Box<Message<'static>>,
}

impl Outgoing {
    /// The business key it answers, e.g. `ebpCode / orderNo`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Its `returnInfo`: the reason, in Chinese.
    pub fn info(&self) -> &str {
        &self.info
    }

    /// The receipt as a typed message.
    pub fn message(&self) -> &Message<'static> {
        &self.message
    }

    /// The receipt as the CEB XML sent to the enterprise.
    pub fn xml(&self) -> String {
        ceb::encode(self.message.as_element())
    }

    /// The GUID of the document this receipt answers (the `guid` of its return record).
    pub fn answers(&self) -> &str {
        let root = self.message.as_element();
        crate::model::schema::documents_member(root)
            .and_then(|i| root.child(i, 0))
            .and_then(|ret| crate::model::schema::find_text(ret, "guid"))
            .unwrap_or_default()
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// What the engine keeps of one list: its facts, the numbers it was given, where it stands.
#[derive(Debug, Clone)]
struct ListState {
    facts: ListFacts,
    /// The keys of its waybill, kept so lookups need not build them.
    waybill_key: Key,
    guid: String,
    agent_code: String,
    cop_no: String,
    customs_code: String,
    statistics_flag: String,
    date: Option<NaiveDate>,
    pre_no: String,
    invt_no: String,
    status: ListStatus,
    /// Concluded, held until the parcel arrives at the supervised site.
    held_for_arrival: bool,
    /// What customs does with it, fixed when it arrives.
    scenario: Scenario,
}

/// A timed step of one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// What a timer does when it falls due.
#[derive(Debug, Clone)]
enum Timer {
    List(Key, Step),
    /// A receipt already made (bill-level receipts: 508, 510, 608).
    Send(Box<Outgoing>),
}

#[derive(Debug, Default)]
pub struct Engine {
    config: EngineConfig,
    params: Params,
    known: Related,
    lists: HashMap<Key, ListState>,
    /// Lists waiting on an order, a receipt or a waybill, by that document's key.
    waiting_on_order: HashMap<Key, Vec<Key>>,
    waiting_on_waybill: HashMap<Key, Vec<Key>>,
    /// Waybills (logisticsCode, logisticsNo) reported arrived at and departed from the site.
    arrived: HashSet<Key>,
    departed: HashSet<Key>,
    /// The list (by order key) of each waybill, and of each customs list number.
    list_of_waybill: HashMap<Key, Key>,
    by_invt_no: HashMap<String, Key>,
    /// Timed steps in due order; the sequence number keeps equal times in arrival order.
    timers: BTreeMap<(NaiveDateTime, u64), Timer>,
    seq: u64,
    /// Serial of the pre-entry numbers the e-port assigns.
    serial: u64,
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
        self.accept_documents(message, now, |_| true);
    }

    /// Like `accept`, for the documents (by index) that `accepted` lets through: the others
    /// were refused by the e-port and never reach customs.
    pub fn accept_documents(
        &mut self,
        message: &Message<'_>,
        now: NaiveDateTime,
        accepted: impl Fn(usize) -> bool,
    ) {
        match message {
            Message::Ceb303(m) => {
                for order in kept(&m.documents, &accepted) {
                    let (key, facts) = OrderFacts::of(order);
                    let earlier = self.known.orders.get(&key).map(|f| f.guid.as_str());
                    let used = self.in_customs(&key);
                    match side_verdict(&order.head.app_type, earlier, &facts.guid, used) {
                        Verdict::Refuse(reason) => {
                            let due = now + self.config.store_delay;
                            self.send(receipts::order_answer(&key, &facts, "-304001", reason, due));
                        }
                        verdict => {
                            if settle(&mut self.known.orders, &key, facts, verdict) {
                                let waiting = self.waiting_on_order.remove(&key);
                                self.wake(waiting, now);
                            }
                        }
                    }
                }
            }
            Message::Ceb403(m) => {
                for r in kept(&m.documents, &accepted) {
                    let (key, facts) = ReceiptFacts::of(r);
                    let earlier = self.known.receipts.get(&key).map(|f| f.guid.as_str());
                    let used = self.in_customs(&key);
                    match side_verdict(&r.app_type, earlier, &facts.guid, used) {
                        Verdict::Refuse(reason) => {
                            let due = now + self.config.store_delay;
                            self.send(receipts::payment_answer(
                                &key, &facts, "-404001", reason, due,
                            ));
                        }
                        verdict => {
                            if settle(&mut self.known.receipts, &key, facts, verdict) {
                                let waiting = self.waiting_on_order.remove(&key);
                                self.wake(waiting, now);
                            }
                        }
                    }
                }
            }
            Message::Ceb505(m) => {
                for w in kept(&m.documents, &accepted) {
                    let (key, facts) = WaybillFacts::of(w);
                    let earlier = self.known.waybills.get(&key).map(|f| f.guid.as_str());
                    let list = self.list_of_waybill.get(&key).cloned();
                    let used = list.is_some_and(|l| self.in_customs(&l));
                    match side_verdict(&w.app_type, earlier, &facts.guid, used) {
                        Verdict::Refuse(reason) => {
                            let due = now + self.config.store_delay;
                            self.send(receipts::waybill_answer(
                                &key, &facts, "-504001", reason, due,
                            ));
                        }
                        verdict => {
                            if settle(&mut self.known.waybills, &key, facts, verdict) {
                                let waiting = self.waiting_on_waybill.remove(&key);
                                self.wake(waiting, now);
                            }
                        }
                    }
                }
            }
            Message::Ceb603(m) => {
                for list in kept(&m.documents, &accepted) {
                    self.list_arrives(list, now);
                }
            }
            Message::Ceb605(m) => {
                for c in kept(&m.documents, &accepted) {
                    self.cancel(c, now);
                }
            }
            Message::Ceb607(m) => {
                for w in kept(&m.documents, &accepted) {
                    let h = &w.head;
                    if h.msg_seq_no == h.msg_count {
                        let pre_no = self.next_pre_no(now);
                        let receipt = receipts::waybill(
                            w,
                            &pre_no,
                            "399",
                            "总分单审核通过",
                            now + self.config.store_delay,
                        );
                        self.send(receipt);
                    }
                }
            }
            Message::Ceb507(m) => {
                for a in kept(&m.documents, &accepted) {
                    let code = a.head.logistics_code.to_string();
                    for item in &a.items {
                        let key = (code.clone(), item.logistics_no.to_string());
                        self.arrived.insert(key.clone());
                        self.on_arrival(&key, now);
                    }
                    if a.head.msg_seq_no == a.head.msg_count {
                        let pre_no = self.next_pre_no(now);
                        let due = now + self.config.store_delay;
                        self.send(receipts::arrival(a, &pre_no, "399", "审核成功", due));
                        self.send(receipts::arrival(a, &pre_no, "800", "放行", due));
                    }
                }
            }
            Message::Ceb509(m) => {
                for d in kept(&m.documents, &accepted) {
                    let code = d.head.logistics_code.to_string();
                    for item in &d.items {
                        let key = (code.clone(), item.logistics_no.to_string());
                        self.departed.insert(key.clone());
                        if let Some(list) = self.list_of_waybill.get(&key).cloned()
                            && self
                                .lists
                                .get(&list)
                                .is_some_and(|l| l.status == ListStatus::Released)
                        {
                            self.schedule(now + self.config.store_delay, &list, Step::Close);
                        }
                    }
                    if d.head.msg_seq_no == d.head.msg_count {
                        let pre_no = self.next_pre_no(now);
                        self.send(receipts::departure(
                            d,
                            &pre_no,
                            "399",
                            "离境审核通过",
                            now + self.config.store_delay,
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether the list of `key` (an order key) is with customs: stored and not yet finished
    /// with, so the documents it was checked against may no longer change.
    fn in_customs(&self, key: &Key) -> bool {
        self.lists
            .get(key)
            .is_some_and(|l| (ListStatus::Stored..=ListStatus::Closed).contains(&l.status))
    }

    /// A list: new, delivered again, a duplicate, a change (appType 2) or a deletion (3).
    fn list_arrives(&mut self, list: &Inventory<'_>, now: NaiveDateTime) {
        let facts = ListFacts::of(list);
        let key = facts.order_key();
        let h = &list.head;
        let earlier = self
            .lists
            .get(&key)
            .filter(|l| !matches!(l.status, ListStatus::Rejected | ListStatus::Deleted));
        let refusal = match (h.app_type.as_ref(), earlier) {
            // The same list delivered again changes nothing.
            (_, Some(e)) if e.guid == h.guid.as_ref() => return,
            ("2", Some(e)) if e.status >= ListStatus::Released => {
                Some("处理失败：清单已放行，不能变更")
            }
            ("2", Some(_)) => {
                self.change_list(&key, facts, now);
                None
            }
            ("3", Some(e)) if e.status >= ListStatus::Stored => {
                Some("处理失败：清单已入库，不能删除，请申请撤销（CEB605）")
            }
            ("3", Some(_)) => {
                if let Some(l) = self.lists.get_mut(&key) {
                    l.status = ListStatus::Deleted;
                }
                None
            }
            ("2" | "3", None) => Some("处理失败：没有可变更或删除的清单"),
            (_, Some(_)) => Some("处理失败，业务主键重复：该订单的清单已申报"),
            (_, None) => {
                let state = self.new_list(list, facts, now);
                self.list_of_waybill
                    .insert(state.waybill_key.clone(), key.clone());
                self.lists.insert(key.clone(), state);
                let window = self.config.wait_window;
                self.schedule(now + window, &key, Step::Expire);
                self.try_complete(&key, now);
                None
            }
        };
        if let Some(reason) = refusal {
            // Answered on the document sent, which never becomes a second record.
            let answered = self.new_list(list, ListFacts::of(list), now);
            let info = format!("{reason}[{}]", h.guid);
            let due = now + self.config.store_delay;
            self.send(list_receipt(&answered, STATUS_DUPLICATE, &info, due));
        }
    }

    fn new_list(
        &mut self,
        list: &Inventory<'_>,
        facts: ListFacts,
        now: NaiveDateTime,
    ) -> ListState {
        let h = &list.head;
        ListState {
            waybill_key: facts.waybill_key(),
            guid: h.guid.to_string(),
            agent_code: h.agent_code.to_string(),
            cop_no: h.cop_no.to_string(),
            customs_code: h.customs_code.to_string(),
            statistics_flag: h.statistics_flag.to_string(),
            date: crate::model::time::date_of(&h.app_time),
            pre_no: self.next_pre_no(now),
            invt_no: String::new(),
            status: ListStatus::Waiting,
            held_for_arrival: false,
            scenario: self
                .config
                .scenarios
                .get(h.order_no.as_ref())
                .copied()
                .or_else(|| h.note.as_deref().and_then(Scenario::from_note))
                .unwrap_or_else(|| Scenario::drawn(&self.config.profile, &h.guid)),
            facts,
        }
    }

    /// A change before release: the new facts count; a list customs already stored is
    /// cross-checked again at once.
    fn change_list(&mut self, key: &Key, facts: ListFacts, now: NaiveDateTime) {
        let Some(list) = self.lists.get_mut(key) else {
            return;
        };
        list.facts = facts;
        if list.status == ListStatus::Waiting {
            self.try_complete(key, now);
            return;
        }
        if list.status < ListStatus::Stored {
            return;
        }
        let findings = cross_check(&list.facts, list.date, &self.known, &self.params);
        let reasons: Vec<String> = findings
            .iter()
            .filter(|f| f.rule.severity == crate::diagnostic::Severity::Error)
            .map(|f| format!("[{}] {}", f.rule.code, f.zh))
            .collect();
        if !reasons.is_empty() {
            list.status = ListStatus::Rejected;
            let info = format!("海关退单：变更后{}", reasons.join("；"));
            let receipt = list_receipt(list, "100", &info, now + self.config.store_delay);
            self.send(receipt);
        }
    }

    /// A cancellation (605) of a recorded list, not yet closed.
    fn cancel(&mut self, c: &InvtCancel<'_>, now: NaiveDateTime) {
        let key = self.by_invt_no.get(c.invt_no.as_ref()).cloned();
        let status = key
            .as_ref()
            .and_then(|k| self.lists.get(k))
            .map(|l| l.status);
        let (code, info) = match status {
            Some(ListStatus::Closed) => ("100", "清单已结关，不能撤销：请申请退货（CEB213）"),
            Some(ListStatus::Cancelled) => ("100", "重复申报：清单已撤销"),
            Some(s) if s >= ListStatus::Stored && s <= ListStatus::Released => ("399", "撤销成功"),
            _ => ("100", "清单不存在或尚未入库"),
        };
        if code == "399"
            && let Some(list) = key.and_then(|k| self.lists.get_mut(&k))
        {
            list.status = ListStatus::Cancelled;
        }
        let pre_no = self.next_pre_no(now);
        let receipt = receipts::cancel(c, &pre_no, code, info, now + self.config.store_delay);
        self.send(receipt);
    }

    /// A held list is released once its parcel has arrived.
    fn on_arrival(&mut self, waybill: &Key, now: NaiveDateTime) {
        let Some(key) = self.list_of_waybill.get(waybill).cloned() else {
            return;
        };
        if let Some(list) = self.lists.get_mut(&key)
            && list.held_for_arrival
        {
            list.held_for_arrival = false;
            self.schedule(now, &key, Step::Release);
        }
    }

    fn send(&mut self, receipt: Outgoing) {
        self.seq += 1;
        self.timers
            .insert((receipt.due, self.seq), Timer::Send(Box::new(receipt)));
    }

    /// Every receipt due by `now`, in order; steps due later stay scheduled.
    pub fn advance(&mut self, now: NaiveDateTime) -> Vec<Outgoing> {
        let mut out = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((due, _), timer) = entry.remove_entry();
            match timer {
                Timer::List(key, step) => out.extend(self.step(&key, step, due)),
                Timer::Send(receipt) => out.push(*receipt),
            }
        }
        out
    }

    /// Where the list of an order stands.
    pub fn list_status(&self, ebp_code: &str, order_no: &str) -> Option<ListStatus> {
        self.lists
            .get(&(ebp_code.to_string(), order_no.to_string()))
            .map(|l| l.status)
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
    ) -> Result<(), &'static str> {
        let key = (ebp_code.to_string(), order_no.to_string());
        let Some(list) = self.lists.get_mut(&key) else {
            return Err("no list for this order");
        };
        match (event, list.status) {
            (Forced::Reject, s) if s <= ListStatus::Concluded => {
                list.status = ListStatus::Rejected;
                let info = format!("海关退单：测试注入[{}]", list.guid);
                let receipt = list_receipt(list, "100", &info, now);
                self.send(receipt);
            }
            (Forced::Inspect, ListStatus::Stored | ListStatus::Review) => {
                self.schedule(now, &key, Step::Inspect);
            }
            (Forced::Release, s) if (ListStatus::Stored..=ListStatus::Concluded).contains(&s) => {
                list.status = ListStatus::Concluded;
                list.held_for_arrival = false;
                self.arrived.insert(list.waybill_key.clone());
                self.schedule(now, &key, Step::Release);
            }
            (Forced::Reject, _) => return Err("the list is already finished with"),
            (Forced::Inspect, _) => return Err("only a stored list (120 or 300) can be inspected"),
            (Forced::Release, _) => return Err("only a stored list (120 to 399) can be released"),
        }
        Ok(())
    }

    /// The delay before `step` of a list: drawn around the nominal one, plus any scenario delay.
    fn delay_for(&self, key: &Key, step: Step, nominal: Duration) -> Duration {
        let Some(list) = self.lists.get(key) else {
            return nominal;
        };
        customs::jittered(&self.config.profile, &list.guid, step.name(), nominal)
            + list.scenario.extra_delay
    }

    /// The e-port's pre-entry number: B + date + 9-digit serial (spec §5).
    fn next_pre_no(&mut self, now: NaiveDateTime) -> String {
        self.serial += 1;
        format!("B{}{:09}", now.format("%Y%m%d"), self.serial)
    }

    fn wake(&mut self, lists: Option<Vec<Key>>, now: NaiveDateTime) {
        for key in lists.unwrap_or_default() {
            self.try_complete(&key, now);
        }
    }

    fn schedule(&mut self, due: NaiveDateTime, key: &Key, step: Step) {
        self.seq += 1;
        self.timers
            .insert((due, self.seq), Timer::List(key.clone(), step));
    }

    /// The documents a waiting list still lacks, named (in Chinese) for the reply.
    fn missing(&self, list: &ListState) -> Vec<&'static str> {
        let order_key = (list.facts.ebp_code.clone(), list.facts.order_no.clone());
        let mut missing = Vec::new();
        if !self.known.orders.contains_key(&order_key) {
            missing.push("订单");
        }
        // The dated rule of the catalog says when a 9610 list needs its payment receipt.
        let receipt_required = list.facts.trade_mode == "9610"
            && catalog::rule("TM-9610-RECEIPT")
                .is_some_and(|r| list.date.is_none_or(|d| r.in_force(d)));
        if receipt_required && !self.known.receipts.contains_key(&order_key) {
            missing.push("收款单");
        }
        if !self.known.waybills.contains_key(&list.waybill_key) {
            missing.push("运单");
        }
        missing
    }

    /// Moves a waiting list on when everything it names has arrived.
    fn try_complete(&mut self, key: &Key, now: NaiveDateTime) {
        let Some(list) = self.lists.get(key) else {
            return;
        };
        if list.status != ListStatus::Waiting {
            return;
        }
        let missing = self.missing(list);
        if missing.is_empty() {
            if let Some(list) = self.lists.get_mut(key) {
                list.status = ListStatus::Checked;
            }
            let delay = self.delay_for(key, Step::Decide, self.config.store_delay);
            self.schedule(now + delay, key, Step::Decide);
            return;
        }
        let (order_key, waybill_key) = (list.facts.order_key(), list.waybill_key.clone());
        let waiting = self.waiting_on_order.entry(order_key).or_default();
        if !waiting.contains(key) {
            waiting.push(key.clone());
        }
        let waiting = self.waiting_on_waybill.entry(waybill_key).or_default();
        if !waiting.contains(key) {
            waiting.push(key.clone());
        }
    }

    fn step(&mut self, key: &Key, step: Step, due: NaiveDateTime) -> Option<Outgoing> {
        let list = self.lists.get(key)?;
        let (status, info, next) = match (step, list.status) {
            (Step::Expire, ListStatus::Waiting) => {
                let zh = self.missing(list);
                let info = format!(
                    "海关退单：超过{}分钟未收到{}[{}]",
                    self.config.wait_window.num_minutes(),
                    zh.join("、"),
                    list.guid
                );
                (ListStatus::Rejected, ("100", info), None)
            }
            (Step::Decide, ListStatus::Checked) => {
                let findings = cross_check(&list.facts, list.date, &self.known, &self.params);
                let errors: Vec<&Finding> = findings
                    .iter()
                    .filter(|f| f.rule.severity == crate::diagnostic::Severity::Error)
                    .collect();
                if list.scenario.refuse {
                    let info = format!("海关退单：模拟退单（场景设定）[{}]", list.guid);
                    (ListStatus::Rejected, ("100", info), None)
                } else if errors.is_empty() {
                    let info = format!("逻辑校验通过[{}]", list.guid);
                    let next = if list.scenario.review {
                        Step::Review
                    } else if list.scenario.inspect {
                        Step::Inspect
                    } else {
                        Step::Conclude
                    };
                    (
                        ListStatus::Stored,
                        ("120", info),
                        Some((self.config.conclude_delay, next)),
                    )
                } else {
                    let reasons: Vec<String> = errors
                        .iter()
                        .map(|f| format!("[{}] {}", f.rule.code, f.zh))
                        .collect();
                    (
                        ListStatus::Rejected,
                        ("100", format!("海关退单：{}", reasons.join("；"))),
                        None,
                    )
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
                    ("300", format!("人工审核[{}]", list.guid)),
                    Some((delay, next)),
                )
            }
            (Step::Inspect, ListStatus::Stored | ListStatus::Review) => {
                let delay = self.config.profile.inspection_delay;
                (
                    ListStatus::Inspection,
                    ("500", format!("查验[{}]", list.guid)),
                    Some((delay, Step::Conclude)),
                )
            }
            (Step::Conclude, ListStatus::Stored | ListStatus::Review | ListStatus::Inspection) => (
                ListStatus::Concluded,
                ("399", format!("海关审结[{}]", list.guid)),
                Some((self.config.release_delay, Step::Release)),
            ),
            (Step::Release, ListStatus::Concluded) => {
                let waybill = &list.waybill_key;
                if self.config.release_waits_for_arrival && !self.arrived.contains(waybill) {
                    if let Some(list) = self.lists.get_mut(key) {
                        list.held_for_arrival = true;
                    }
                    return None;
                }
                let next = self
                    .departed
                    .contains(waybill)
                    .then_some((self.config.store_delay, Step::Close));
                (
                    ListStatus::Released,
                    ("800", format!("放行[{}]", list.guid)),
                    next,
                )
            }
            (Step::Close, ListStatus::Released) => (
                ListStatus::Closed,
                ("899", format!("结关[{}]", list.guid)),
                None,
            ),
            // A step for a state the list already left (e.g. the window of a completed list).
            _ => return None,
        };
        let list = self.lists.get_mut(key)?;
        if status == ListStatus::Stored {
            // 4-digit customs + year + E + 9 digits (spec §5; the E for export is unverified).
            // The digits come from the list's GUID, so a list keeps its number in any replay.
            let serial = crate::model::reply::fnv(list.guid.as_bytes()) % 1_000_000_000;
            list.invt_no = format!("{}{}E{serial:09}", list.customs_code, due.format("%Y"));
            let invt_no = list.invt_no.clone();
            self.by_invt_no.insert(invt_no, key.clone());
        }
        list.status = status;
        let silent = list.scenario.silent;
        let receipt = list_receipt(list, info.0, &info.1, due);
        if status == ListStatus::Stored && !silent {
            // The order, payment receipt and waybill learn that they matched (304/404/506).
            let linked = receipts::linked(key, &list.waybill_key, &self.known, "120", due);
            for r in linked {
                self.send(r);
            }
        }
        if let Some((delay, step)) = next {
            let delay = self.delay_for(key, step, delay);
            self.schedule(due + delay, key, step);
        }
        (!silent).then_some(receipt)
    }
}

pub mod customs;
mod receipts;

pub use customs::{Profile, Scenario};

/// What becomes of an order, payment receipt or waybill the e-port accepted.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Store,
    Remove,
    /// Delivered again: nothing changes.
    Ignore,
    Refuse(&'static str),
}

/// New (appType 1), change (2) or deletion (3) of a document customs may already have (its
/// GUID is `earlier`) and that a list in customs may be using (`used`).
fn side_verdict(app_type: &str, earlier: Option<&str>, guid: &str, used: bool) -> Verdict {
    match (app_type, earlier) {
        (_, Some(e)) if e == guid => Verdict::Ignore,
        ("2" | "3", None) => Verdict::Refuse("处理失败：没有可变更或删除的单证"),
        ("2" | "3", Some(_)) if used => {
            Verdict::Refuse("处理失败：单证已被入库的清单使用，不能变更或删除")
        }
        ("2", Some(_)) => Verdict::Store,
        ("3", Some(_)) => Verdict::Remove,
        (_, Some(_)) => Verdict::Refuse("处理失败，业务主键重复：该单证已申报"),
        (_, None) => Verdict::Store,
    }
}

/// Stores or removes the facts of an order, payment or waybill as `verdict` says; true when
/// new facts were stored, so lists waiting for them may go on.
fn settle<F>(map: &mut HashMap<Key, F>, key: &Key, facts: F, verdict: Verdict) -> bool {
    match verdict {
        Verdict::Store => {
            map.insert(key.clone(), facts);
            true
        }
        Verdict::Remove => {
            map.remove(key);
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

/// CEB604 for one list.
fn list_receipt(
    list: &ListState,
    status: &'static str,
    info: &str,
    due: NaiveDateTime,
) -> Outgoing {
    let f = &list.facts;
    let ret = InventoryReturn {
        guid: list.guid.clone().into(),
        agent_code: list.agent_code.clone().into(),
        cop_no: list.cop_no.clone().into(),
        pre_no: list.pre_no.clone().into(),
        invt_no: list.invt_no.clone().into(),
        ebc_code: f.ebc_code.clone().into(),
        ebp_code: f.ebp_code.clone().into(),
        order_no: f.order_no.clone().into(),
        statistics_flag: list.statistics_flag.clone().into(),
        return_status: status.into(),
        return_time: format17(due).into(),
        return_info: clip_chars(info, 1000).into(),
    };
    let message = Ceb604Message {
        guid: receipt_guid(&list.guid, status, info).into(),
        version: "1.0".into(),
        returns: vec![ret],
    };
    Outgoing {
        due,
        root: "CEB604Message",
        key: format!("{} / {}", f.ebp_code, f.order_no),
        status,
        info: info.to_string(),
        message: Box::new(Message::Ceb604(message)),
    }
}

/// A receipt's own GUID, derived from what it answers so a replay gives the same one.
fn receipt_guid(answered: &str, status: &str, info: &str) -> String {
    let fnv = |h: u64, bytes: &[u8]| {
        bytes
            .iter()
            .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
    };
    let second = fnv(
        fnv(0xcbf2_9ce4_8422_2325, status.as_bytes()),
        info.as_bytes(),
    );
    let id = uuid::Uuid::from_u64_pair(crate::model::reply::fnv(answered.as_bytes()), second);
    let mut buf = uuid::Uuid::encode_buffer();
    id.hyphenated().encode_upper(&mut buf).to_string()
}
