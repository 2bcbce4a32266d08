//! The ledger of declaration lists: what was declared (603) and what customs made of it
//! (604, 606), kept beside the engine and fed by its caller. It is the one place later
//! stages read exports from — tax treatment, FX, summary declarations, returns.
//!
//! Feed it every 603 the engine accepted (`record`, same time and filter as the engine) and
//! every receipt the engine sends (`observe`). Rows come back in the order they were
//! recorded, so two identical replays read the same ledger.
//!
//! Compact on purpose (a year of a mid-size seller is a million lists): codes and names that
//! repeat are interned. With a cold store attached (`attach_cold`), a finished declaration
//! (closed, refused, cancelled, deleted) leaves memory at the next `settle`, indexed by GUID,
//! list number, enterprise and export date, enterprise and release, and returned waybill;
//! what needs it again (a return, a summary) brings it back (`bring_back`), and it leaves
//! again once done. Without one (`check`, `replay`), everything stays in memory.

use super::cold::{self, Batch, Cold};
use crate::engine::Outgoing;
use crate::model::Message;
use crate::model::inventory::Inventory;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Where a declaration stands, as its receipts tell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Status {
    /// Accepted by the e-port, no customs answer yet.
    Declared,
    /// 120 入库.
    Stored,
    /// 300 人工审核.
    Review,
    /// 500 查验.
    Inspection,
    /// 399 审结.
    Concluded,
    /// 800 放行.
    Released,
    /// 899 结关.
    Closed,
    /// 100 退单, or refused by the engine (negative status).
    Rejected,
    /// Withdrawn by a cancellation (605 → 606 399).
    Cancelled,
    /// Deleted by its sender (appType 3) before customs stored it.
    Deleted,
}

impl Status {
    /// Released or closed: the goods left (or may leave) the country under this list.
    pub fn is_exported(self) -> bool {
        matches!(self, Status::Released | Status::Closed)
    }

    /// Short English name, as written in tables.
    pub fn name(self) -> &'static str {
        match self {
            Status::Declared => "declared",
            Status::Stored => "stored",
            Status::Review => "review",
            Status::Inspection => "inspection",
            Status::Concluded => "concluded",
            Status::Released => "released",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Deleted => "deleted",
        }
    }
}

/// Interned strings: repeated codes and names cost 4 bytes each.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Interner {
    strings: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.into());
        self.index.insert(s.into(), i);
        i
    }

    fn get(&self, i: u32) -> &str {
        self.strings.get(i as usize).map_or("", |s| s)
    }
}

/// A declaration as the cold store keeps it: with the strings it names, its ids counting in
/// `strings`.
#[derive(serde::Serialize, serde::Deserialize)]
struct FlatRow {
    strings: Vec<Box<str>>,
    decl: Decl,
}

impl FlatRow {
    /// `decl` of `ledger`, its string ids renumbered into a table of its own.
    fn of(ledger: &Ledger, decl: &Decl) -> FlatRow {
        let mut ids: Vec<u32> = Vec::with_capacity(32);
        let mut local = |i: u32| match ids.iter().position(|x| *x == i) {
            Some(at) => at as u32,
            None => {
                ids.push(i);
                ids.len() as u32 - 1
            }
        };
        let mut d = decl.clone();
        for id in [
            &mut d.ebp,
            &mut d.ebc,
            &mut d.owner,
            &mut d.logistics_code,
            &mut d.trade_mode,
            &mut d.customs,
            &mut d.port,
            &mut d.country,
            &mut d.statistics_flag,
            &mut d.traf_mode,
        ] {
            *id = local(*id);
        }
        for line in &mut d.lines {
            for id in [
                &mut line.gcode,
                &mut line.item_name,
                &mut line.unit,
                &mut line.country,
                &mut line.currency,
                &mut line.unit1,
                &mut line.unit2,
            ] {
                *id = local(*id);
            }
        }
        let strings = ids.iter().map(|&i| ledger.strings.get(i).into()).collect();
        FlatRow { strings, decl: d }
    }

    /// A ledger of this one declaration, under `id`, to read it through.
    fn into_ledger(self, id: u32) -> Ledger {
        let mut one = Ledger::default();
        one.strings.strings = self.strings;
        one.decls.insert(id, self.decl);
        one
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Decl {
    guid: Box<str>,
    order_no: Box<str>,
    logistics_no: Box<str>,
    invt_no: Option<Box<str>>,
    ebp: u32,
    ebc: u32,
    owner: u32,
    logistics_code: u32,
    trade_mode: u32,
    customs: u32,
    port: u32,
    country: u32,
    statistics_flag: u32,
    traf_mode: u32,
    gross_weight: Decimal,
    net_weight: Decimal,
    /// The summary declaration (CEB792) it was merged into, by place in `summaries`.
    summary: Option<u32>,
    app_time: Option<NaiveDateTime>,
    ie_date: Option<NaiveDate>,
    accepted_at: NaiveDateTime,
    stored_at: Option<NaiveDateTime>,
    released_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    /// When it was rejected, cancelled or deleted.
    ended_at: Option<NaiveDateTime>,
    status: Status,
    lines: Vec<LineRec>,
    /// Returned quantities by the line's `gnum`.
    returned: Vec<(u32, Returned)>,
    /// Its accepted return applications, in the order accepted.
    returns: Vec<ReturnRecord>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct LineRec {
    gnum: u32,
    gcode: u32,
    item_name: u32,
    unit: u32,
    country: u32,
    currency: u32,
    qty: Decimal,
    price: Decimal,
    total_price: Decimal,
    qty1: Decimal,
    unit1: u32,
    qty2: Option<Decimal>,
    unit2: u32,
}

/// Quantities of a goods line that came back (export returns, CEB213), by unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Returned {
    pub qty: Decimal,
    pub qty1: Decimal,
    pub qty2: Decimal,
}

/// An accepted return application (CEB213) for part or all of a list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReturnRecord {
    pub guid: String,
    /// The original list, by ledger id.
    pub list: u32,
    /// The waybill the goods come back under.
    pub logistics_no: String,
    pub applied_at: NaiveDateTime,
    /// Its business date (`appTime`), on which the tax rules judge it.
    pub app_date: NaiveDate,
    /// When the goods were tallied on arrival (CEB215).
    pub tallied_at: Option<NaiveDateTime>,
    /// What comes back, by the original line's `gnum`.
    pub lines: Vec<(u32, Returned)>,
}

/// A summary declaration customs made of released lists (CEB792): one future 报关单.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// 汇总申请编号, of the application (CEB701) it came from.
    pub sum_no: String,
    /// 汇总统一编号, one per 报关单.
    pub decl_seq_no: String,
    /// The 报关单 number the simulator gives it.
    pub entry_id: String,
    pub made_at: NaiveDateTime,
    /// The lists merged, by ledger id.
    pub lists: Vec<u32>,
    /// Where the merge keys of the notice and the application's options disagree.
    pub warnings: Vec<crate::model::said::Said>,
}

/// Which date of a declaration a query filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOf {
    /// `ieDate`, the export date declared on the list (the tax date).
    Export,
    /// When the e-port accepted it.
    Accepted,
    Released,
    Closed,
}

/// A selection of rows: by status and by a date range (inclusive; open ends allowed).
#[derive(Debug, Clone)]
pub struct Query {
    /// Empty: any status.
    pub statuses: Vec<Status>,
    pub date: DateOf,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Query {
    /// Every exported (released or closed) declaration whose export date is in `from..=to`.
    pub fn exported_between(from: NaiveDate, to: NaiveDate) -> Query {
        Query {
            statuses: vec![Status::Released, Status::Closed],
            date: DateOf::Export,
            from: Some(from),
            to: Some(to),
        }
    }
}

/// The ledger of declaration lists; see the module documentation.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    strings: Interner,
    /// The declarations in memory, by id: ids count the declarations recorded, from 0.
    decls: BTreeMap<u32, Decl>,
    next_id: u32,
    by_guid: HashMap<Box<str>, u32>,
    /// The live declaration of each (ebpCode, orderNo, ebcCode): the engine keys lists by
    /// order, and only the list's own enterprise may change or delete it.
    by_order: HashMap<(u32, Box<str>, u32), u32>,
    by_invt_no: HashMap<Box<str>, u32>,
    summaries: Vec<Summary>,
    /// The declarations with return applications, by the waybill the goods come back under,
    /// and by the application's GUID.
    returns_by_waybill: HashMap<Box<str>, Vec<u32>>,
    return_guids: HashMap<Box<str>, u32>,
    /// Finished declarations, out of memory.
    cold: Cold,
}

/// Cold tables of the ledger.
const ROWS: u8 = b'R';
const GUIDS: u8 = b'G';
const INVT_NOS: u8 = b'I';
const BY_EXPORT_DATE: u8 = b'E';
const BY_RELEASE: u8 = b'X';
const RETURN_WAYBILLS: u8 = b'T';
const RETURN_GUIDS: u8 = b'U';

/// A declaration id in a cold key (text, so keys sort as ids do).
fn id_text(id: u32) -> String {
    padded(u64::from(id), 10)
}

/// `n` in decimal, zero-padded to `width` (written by hand: keys are made for every row).
fn padded(n: u64, width: usize) -> String {
    let mut out = String::with_capacity(width);
    crate::model::time::push_padded(&mut out, n, width);
    out
}

impl Ledger {
    pub fn new() -> Self {
        Ledger::default()
    }

    /// Where finished declarations go (without one, nothing leaves memory).
    pub fn attach_cold(&mut self, store: std::sync::Arc<dyn cold::ColdStore>) {
        self.cold.attach(store);
    }

    pub(super) fn cold_mut(&mut self) -> &mut Cold {
        &mut self.cold
    }

    /// Records the lists of an accepted 603 message (other messages are ignored).
    pub fn record(&mut self, message: &Message<'_>, accepted_at: NaiveDateTime) {
        self.record_documents(message, accepted_at, |_| true);
    }

    /// Like `record`, for the documents (by index) `accepted` lets through, as
    /// `Engine::accept_documents` takes them.
    pub fn record_documents(
        &mut self,
        message: &Message<'_>,
        accepted_at: NaiveDateTime,
        accepted: impl Fn(usize) -> bool,
    ) {
        let Message::Ceb603(m) = message else {
            return;
        };
        for (k, list) in m.documents.iter().enumerate() {
            if accepted(k) {
                self.record_list(list, accepted_at);
            }
        }
    }

    /// One list, with the engine's rules for changes and deletions: a change (appType 2)
    /// replaces the facts of the live list of its order until it is released, a deletion
    /// (3) removes it until customs stored it; anything else new is a row of its own.
    fn record_list(&mut self, list: &Inventory<'_>, at: NaiveDateTime) {
        let h = &list.head;
        let settled = || {
            self.cold
                .get(&cold::key(GUIDS, &[h.guid.as_bytes()]))
                .is_some()
        };
        if self.by_guid.contains_key(h.guid.as_ref()) || settled() {
            return; // delivered again
        }
        let ebp = self.strings.intern(&h.ebp_code);
        let ebc = self.strings.intern(&h.ebc_code);
        let order_key = (ebp, Box::<str>::from(h.order_no.as_ref()), ebc);
        let live = self.by_order.get(&order_key).copied();
        let live_status = live.and_then(|i| self.decls.get(&i)).map(|d| d.status);
        match (h.app_type.as_ref(), live, live_status) {
            ("2", Some(i), Some(s)) if s < Status::Released => {
                let fresh = self.decl_of(list, at);
                if let Some(d) = self.decls.get_mut(&i) {
                    // Keeps the original GUID, numbers and lifecycle, as the engine does.
                    *d = Decl {
                        guid: d.guid.clone(),
                        invt_no: d.invt_no.take(),
                        accepted_at: d.accepted_at,
                        stored_at: d.stored_at,
                        status: d.status,
                        ..fresh
                    };
                }
            }
            ("3", Some(i), Some(s)) if s < Status::Stored => {
                if let Some(d) = self.decls.get_mut(&i) {
                    d.status = Status::Deleted;
                    d.ended_at = Some(at);
                }
                self.by_order.remove(&order_key);
            }
            ("2" | "3", ..) => {} // refused by the engine: nothing to change
            _ => {
                let i = self.next_id;
                self.next_id += 1;
                let decl = self.decl_of(list, at);
                self.by_guid.insert(decl.guid.clone(), i);
                self.decls.insert(i, decl);
                if live.is_none() {
                    self.by_order.insert(order_key, i);
                }
            }
        }
    }

    fn decl_of(&mut self, list: &Inventory<'_>, at: NaiveDateTime) -> Decl {
        let h = &list.head;
        let mut lines = Vec::with_capacity(list.items.len());
        for item in &list.items {
            let name = item.item_name.as_deref().unwrap_or(&item.gname);
            lines.push(LineRec {
                gnum: u32::try_from(item.gnum).unwrap_or(0),
                gcode: self.strings.intern(&item.gcode),
                item_name: self.strings.intern(name),
                unit: self.strings.intern(&item.unit),
                country: self.strings.intern(&item.country),
                currency: self.strings.intern(&item.currency),
                qty: item.qty,
                price: item.price,
                total_price: item.total_price,
                qty1: item.qty1,
                unit1: self.strings.intern(&item.unit1),
                qty2: item.qty2,
                unit2: self
                    .strings
                    .intern(item.unit2.as_deref().unwrap_or_default()),
            });
        }
        let s = &mut self.strings;
        Decl {
            guid: h.guid.as_ref().into(),
            order_no: h.order_no.as_ref().into(),
            logistics_no: h.logistics_no.as_ref().into(),
            invt_no: h
                .invt_no
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(Into::into),
            ebp: s.intern(&h.ebp_code),
            ebc: s.intern(&h.ebc_code),
            owner: s.intern(&h.owner_code),
            logistics_code: s.intern(&h.logistics_code),
            trade_mode: s.intern(&h.trade_mode),
            customs: s.intern(&h.customs_code),
            port: s.intern(&h.port_code),
            country: s.intern(&h.country),
            statistics_flag: s.intern(&h.statistics_flag),
            traf_mode: s.intern(&h.traf_mode),
            gross_weight: h.gross_weight,
            net_weight: h.net_weight,
            summary: None,
            app_time: crate::model::time::parse_digits(&h.app_time),
            ie_date: crate::model::time::date_of(&h.ie_date),
            accepted_at: at,
            stored_at: None,
            released_at: None,
            closed_at: None,
            ended_at: None,
            status: Status::Declared,
            lines,
            returned: Vec::new(),
            returns: Vec::new(),
        }
    }

    /// Learns from a receipt of the engine: 604 moves a list on, 606 399 cancels one.
    pub fn observe(&mut self, receipt: &Outgoing) {
        let at = receipt.due;
        if !matches!(receipt.root, "CEB604Message" | "CEB606Message") {
            return;
        }
        // Most are receipts for a list as it stood: read those without building the message.
        if let Some((guid, invt_no)) = receipt.list_return() {
            let i = guid.with_str(|g| self.by_guid.get(g).copied());
            if let Some(i) = i {
                self.list_receipt(i, &invt_no, receipt.status, at);
            }
            return;
        }
        match receipt.message() {
            Message::Ceb604(m) => {
                for r in &m.returns {
                    if let Some(&i) = self.by_guid.get(r.guid.as_ref()) {
                        self.list_receipt(i, &r.invt_no, &r.return_status, at);
                    }
                }
            }
            Message::Ceb606(m) => {
                for r in &m.returns {
                    if r.return_status != "399" {
                        continue;
                    }
                    let Some(&i) = self.by_invt_no.get(r.invt_no.as_ref()) else {
                        continue;
                    };
                    if let Some(d) = self.decls.get_mut(&i) {
                        d.status = Status::Cancelled;
                        d.ended_at = Some(at);
                    }
                }
            }
            _ => {}
        }
    }

    /// A list's receipt: its customs number once assigned, and its status.
    fn list_receipt(&mut self, i: u32, invt_no: &str, status: &str, at: NaiveDateTime) {
        if !invt_no.is_empty() && !self.by_invt_no.contains_key(invt_no) {
            self.by_invt_no.insert(invt_no.into(), i);
        }
        let Some(d) = self.decls.get_mut(&i) else {
            return;
        };
        if !invt_no.is_empty() {
            d.invt_no = Some(invt_no.into());
        }
        apply_status(d, status, at);
    }

    /// Number of declarations in memory (every status).
    pub fn len(&self) -> usize {
        self.decls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.decls.is_empty()
    }

    /// Number of goods lines of the declarations in memory.
    pub fn line_count(&self) -> usize {
        self.decls.values().map(|d| d.lines.len()).sum()
    }

    /// Every declaration in memory, in the order recorded.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.decls.iter().map(move |(&id, decl)| Row {
            ledger: self,
            id,
            decl,
        })
    }

    /// The declarations a query selects, in the order recorded.
    pub fn select<'a>(&'a self, q: &'a Query) -> impl Iterator<Item = Row<'a>> + 'a {
        self.rows().filter(move |r| {
            (q.statuses.is_empty() || q.statuses.contains(&r.status()))
                && match r.date_of(q.date) {
                    Some(d) => q.from.is_none_or(|f| d >= f) && q.to.is_none_or(|t| d <= t),
                    None => q.from.is_none() && q.to.is_none(),
                }
        })
    }

    /// The declaration with this GUID.
    pub fn by_guid(&self, guid: &str) -> Option<Row<'_>> {
        self.row(*self.by_guid.get(guid)?)
    }

    /// The declaration with this customs list number (`invtNo`).
    pub fn by_invt_no(&self, invt_no: &str) -> Option<Row<'_>> {
        self.row(*self.by_invt_no.get(invt_no)?)
    }

    /// The declaration with this ledger id.
    pub fn row(&self, id: u32) -> Option<Row<'_>> {
        Some(Row {
            ledger: self,
            id,
            decl: self.decls.get(&id)?,
        })
    }

    /// The summary declarations made so far, in the order made.
    pub fn summaries(&self) -> &[Summary] {
        &self.summaries
    }

    /// Records a summary declaration and links its lists to it; returns its place.
    pub fn add_summary(&mut self, summary: Summary) -> u32 {
        let id = self.summaries.len() as u32;
        for list in &summary.lists {
            if let Some(d) = self.decls.get_mut(list) {
                d.summary = Some(id);
            }
        }
        self.summaries.push(summary);
        id
    }

    /// Records an accepted return application: its quantities count as returned at once, so a
    /// second application cannot claim them again.
    pub fn add_return(&mut self, record: ReturnRecord) {
        let Some(d) = self.decls.get_mut(&record.list) else {
            return;
        };
        for &(gnum, back) in &record.lines {
            let at = match d.returned.iter().position(|(g, _)| *g == gnum) {
                Some(at) => at,
                None => {
                    d.returned.push((gnum, Returned::default()));
                    d.returned.len() - 1
                }
            };
            let r = &mut d.returned[at].1;
            r.qty += back.qty;
            r.qty1 += back.qty1;
            r.qty2 += back.qty2;
        }
        let lists = self
            .returns_by_waybill
            .entry(record.logistics_no.as_str().into())
            .or_default();
        if !lists.contains(&record.list) {
            lists.push(record.list);
        }
        self.return_guids
            .insert(record.guid.as_str().into(), record.list);
        d.returns.push(record);
    }

    /// Whether a return application with this GUID was accepted.
    pub fn has_return(&self, guid: &str) -> bool {
        self.return_guids.contains_key(guid)
            || self
                .cold
                .get(&cold::key(RETURN_GUIDS, &[guid.as_bytes()]))
                .is_some()
    }

    /// The accepted return application coming back under waybill `logistics_no` (of the
    /// list `invt_no`, if given): its list and place among the list's returns, brought into
    /// memory.
    pub fn find_return(
        &mut self,
        logistics_no: &str,
        invt_no: Option<&str>,
    ) -> Option<(u32, usize)> {
        let prefix = cold::key(RETURN_WAYBILLS, &[logistics_no.as_bytes()]);
        for (key, _) in self.cold.scan(&prefix) {
            if let Some(id) = key_id(&key) {
                self.bring_back(id);
            }
        }
        let lists = self.returns_by_waybill.get(logistics_no)?;
        lists.iter().find_map(|&list| {
            let d = self.decls.get(&list)?;
            if invt_no.is_some_and(|n| d.invt_no.as_deref() != Some(n)) {
                return None;
            }
            let at = d
                .returns
                .iter()
                .position(|r| r.logistics_no == logistics_no)?;
            Some((list, at))
        })
    }

    /// Notes that the goods of a return application arrived and were tallied.
    pub fn tally_return(&mut self, (list, at): (u32, usize), when: NaiveDateTime) {
        if let Some(r) = self
            .decls
            .get_mut(&list)
            .and_then(|d| d.returns.get_mut(at))
        {
            r.tallied_at = Some(when);
        }
    }

    /// A return application, by its list and place (see `find_return`).
    pub fn return_at(&self, (list, at): (u32, usize)) -> Option<&ReturnRecord> {
        self.decls.get(&list)?.returns.get(at)
    }

    /// Every accepted return application in memory, by list then in the order accepted.
    pub fn returns(&self) -> impl Iterator<Item = &ReturnRecord> {
        self.decls.values().flat_map(|d| d.returns.iter())
    }

    /// Brings the declaration `id` back into memory if it left (to be changed: it leaves
    /// again at the next `settle`).
    pub fn bring_back(&mut self, id: u32) {
        if self.decls.contains_key(&id) {
            return;
        }
        let key = cold::key(ROWS, &[id_text(id).as_bytes()]);
        let Some(one) = self.cold.read::<FlatRow>(&key).map(|f| f.into_ledger(id)) else {
            return;
        };
        if let Some(row) = one.row(id) {
            let copy = self.copy_row(&row);
            self.index(id, &copy);
            self.decls.insert(id, copy);
        }
    }

    /// Brings back the declaration with this list number, if one left; its id.
    pub fn bring_back_invt_no(&mut self, invt_no: &str) -> Option<u32> {
        if let Some(&id) = self.by_invt_no.get(invt_no) {
            return Some(id);
        }
        let id = self
            .cold
            .get(&cold::key(INVT_NOS, &[invt_no.as_bytes()]))
            .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())?;
        self.bring_back(id);
        Some(id)
    }

    /// Brings back every declaration of e-commerce enterprise `ebc` released or closed
    /// within `from..=to` (a summary application's window).
    pub fn bring_back_exported(&mut self, ebc: &str, from: NaiveDateTime, to: NaiveDateTime) {
        let prefix = cold::key(BY_RELEASE, &[ebc.as_bytes()]);
        let (from, to) = (stamp(from), stamp(to));
        for (key, _) in self.cold.scan(&prefix) {
            let fields: Vec<&[u8]> = key[prefix.len()..].split(|b| *b == 0).collect();
            let at = fields.first().and_then(|f| std::str::from_utf8(f).ok());
            if at.is_some_and(|t| (from.as_str()..=to.as_str()).contains(&t))
                && let Some(id) = key_id(&key)
            {
                self.bring_back(id);
            }
        }
    }

    /// The indexes of a declaration in memory.
    fn index(&mut self, id: u32, d: &Decl) {
        self.by_guid.insert(d.guid.clone(), id);
        if let Some(n) = &d.invt_no {
            self.by_invt_no.insert(n.clone(), id);
        }
        for r in &d.returns {
            let lists = self
                .returns_by_waybill
                .entry(r.logistics_no.as_str().into())
                .or_default();
            if !lists.contains(&id) {
                lists.push(id);
            }
            self.return_guids.insert(r.guid.as_str().into(), id);
        }
    }

    /// Takes the finished declarations out of memory: the records they leave in the cold
    /// store. None without a cold store.
    pub fn settle(&mut self) -> Batch {
        let mut batch = Batch::new();
        if !self.cold.attached() {
            return batch;
        }
        let finished: Vec<u32> = (self.decls.iter())
            .filter(|(_, d)| d.status >= Status::Closed)
            .map(|(id, _)| *id)
            .collect();
        for id in finished {
            let Some(row) = self.row(id) else { continue };
            let idt = id_text(id);
            let ebc = row.ebc_code().as_bytes().to_vec();
            let flat = FlatRow::of(self, row.decl);
            batch.insert(cold::key(ROWS, &[idt.as_bytes()]), cold::encode(&flat));
            batch.insert(
                cold::key(GUIDS, &[row.guid().as_bytes()]),
                idt.clone().into_bytes(),
            );
            if let Some(n) = row.invt_no() {
                batch.insert(
                    cold::key(INVT_NOS, &[n.as_bytes()]),
                    idt.clone().into_bytes(),
                );
            }
            if row.status().is_exported() {
                let day = crate::model::time::format8(row.export_date());
                let e = cold::key(BY_EXPORT_DATE, &[&ebc, day.as_bytes(), idt.as_bytes()]);
                batch.insert(e, Vec::new());
                if let Some(t) = row.closed_at().or(row.released_at()) {
                    let x = cold::key(BY_RELEASE, &[&ebc, stamp(t).as_bytes(), idt.as_bytes()]);
                    batch.insert(x, Vec::new());
                }
            }
            for r in row.returns() {
                let t = cold::key(
                    RETURN_WAYBILLS,
                    &[r.logistics_no.as_bytes(), idt.as_bytes()],
                );
                batch.insert(t, Vec::new());
                let u = cold::key(RETURN_GUIDS, &[r.guid.as_bytes()]);
                batch.insert(u, idt.clone().into_bytes());
            }
            self.forget(id);
        }
        batch
    }

    /// Drops a declaration from memory, with its indexes.
    fn forget(&mut self, id: u32) {
        let Some(d) = self.decls.remove(&id) else {
            return;
        };
        self.by_guid.remove(&d.guid);
        if let Some(n) = &d.invt_no {
            self.by_invt_no.remove(n);
        }
        let order = (d.ebp, d.order_no.clone(), d.ebc);
        if self.by_order.get(&order) == Some(&id) {
            self.by_order.remove(&order);
        }
        for r in &d.returns {
            if let Some(lists) = self.returns_by_waybill.get_mut(r.logistics_no.as_str()) {
                lists.retain(|l| *l != id);
                if lists.is_empty() {
                    self.returns_by_waybill.remove(r.logistics_no.as_str());
                }
            }
            self.return_guids.remove(r.guid.as_str());
        }
    }

    /// The declarations of e-commerce enterprise `ebc` with an export date in `from..=to`,
    /// in memory or not, as a ledger of their own (with their summaries and returns): lets
    /// the thread that owns the ledger hand a part of it to another (e.g. one enterprise's
    /// exports for its tax report) and go on.
    pub fn gather(&self, ebc: &str, from: NaiveDate, to: NaiveDate) -> Ledger {
        let mut out =
            self.subset(|r| r.ebc_code() == ebc && (from..=to).contains(&r.export_date()));
        let prefix = cold::key(BY_EXPORT_DATE, &[ebc.as_bytes()]);
        let (from, to) = (
            from.format("%Y%m%d").to_string(),
            to.format("%Y%m%d").to_string(),
        );
        for (key, _) in self.cold.scan(&prefix) {
            let day = key[prefix.len()..].split(|b| *b == 0).next();
            let day = day.and_then(|d| std::str::from_utf8(d).ok());
            if !day.is_some_and(|d| (from.as_str()..=to.as_str()).contains(&d)) {
                continue;
            }
            let Some(id) = key_id(&key) else { continue };
            if self.decls.contains_key(&id) || out.decls.contains_key(&id) {
                continue;
            }
            let row_key = cold::key(ROWS, &[id_text(id).as_bytes()]);
            if let Some(one) = self
                .cold
                .read::<FlatRow>(&row_key)
                .map(|f| f.into_ledger(id))
                && let Some(row) = one.row(id)
            {
                out.copy_in(&row, self);
            }
        }
        out
    }

    /// A copy of `row` (from any ledger) with its strings interned here.
    fn copy_row(&mut self, row: &Row<'_>) -> Decl {
        let d = row.decl;
        let mut s = |i: u32| self.strings.intern(row.ledger.strings.get(i));
        let lines = d
            .lines
            .iter()
            .map(|rec| LineRec {
                gcode: s(rec.gcode),
                item_name: s(rec.item_name),
                unit: s(rec.unit),
                country: s(rec.country),
                currency: s(rec.currency),
                unit1: s(rec.unit1),
                unit2: s(rec.unit2),
                ..rec.clone()
            })
            .collect();
        Decl {
            ebp: s(d.ebp),
            ebc: s(d.ebc),
            owner: s(d.owner),
            logistics_code: s(d.logistics_code),
            trade_mode: s(d.trade_mode),
            customs: s(d.customs),
            port: s(d.port),
            country: s(d.country),
            statistics_flag: s(d.statistics_flag),
            traf_mode: s(d.traf_mode),
            lines,
            ..d.clone()
        }
    }

    /// Copies `row` into this ledger under its own id, with the summary it is in (looked up
    /// in `summaries_of`, the ledger the summary ids refer to).
    fn copy_in(&mut self, row: &Row<'_>, summaries_of: &Ledger) {
        let mut copy = self.copy_row(row);
        copy.summary = row
            .decl
            .summary
            .and_then(|s| summaries_of.summaries.get(s as usize))
            .map(|s| {
                let at = self.summaries.iter().position(|x| x == s);
                let at = at.unwrap_or_else(|| {
                    self.summaries.push(s.clone());
                    self.summaries.len() - 1
                });
                at as u32
            });
        self.index(row.id, &copy);
        self.next_id = self.next_id.max(row.id + 1);
        self.decls.insert(row.id, copy);
    }

    /// A ledger of copies of the declarations in memory that `keep` selects, under their own
    /// ids, with their lines, returns and the summaries they are in.
    pub fn subset(&self, keep: impl Fn(&Row<'_>) -> bool) -> Ledger {
        let mut out = Ledger::new();
        for row in self.rows().filter(|r| keep(r)) {
            out.copy_in(&row, self);
            let live = self
                .by_order
                .get(&(row.decl.ebp, Box::<str>::from(row.order_no()), row.decl.ebc))
                .is_some_and(|&i| i == row.id);
            if live {
                let key = (
                    out.strings.intern(row.ebp_code()),
                    Box::<str>::from(row.order_no()),
                    out.strings.intern(row.ebc_code()),
                );
                out.by_order.insert(key, row.id);
            }
        }
        out
    }

    /// Declarations in memory by status, for a quick overview.
    pub fn count_by_status(&self) -> Vec<(Status, usize)> {
        let mut counts: Vec<(Status, usize)> = Vec::new();
        for d in self.decls.values() {
            match counts.iter_mut().find(|(s, _)| *s == d.status) {
                Some((_, n)) => *n += 1,
                None => counts.push((d.status, 1)),
            }
        }
        counts.sort();
        counts
    }
}

/// A time in a cold key: milliseconds since the epoch, as 15 digits (so keys sort as times).
fn stamp(t: NaiveDateTime) -> String {
    padded(t.and_utc().timestamp_millis().max(0) as u64, 15)
}

/// The declaration id a cold index key ends with (its last field).
fn key_id(key: &[u8]) -> Option<u32> {
    let body = key.strip_suffix(&[0])?;
    let last = body.rsplit(|b| *b == 0).next()?;
    std::str::from_utf8(last).ok()?.parse().ok()
}

fn apply_status(d: &mut Decl, status: &str, at: NaiveDateTime) {
    let next = match status {
        "120" => Status::Stored,
        "300" => Status::Review,
        "500" => Status::Inspection,
        "399" => Status::Concluded,
        "800" => Status::Released,
        "899" => Status::Closed,
        "100" => Status::Rejected,
        s if s.starts_with('-') => Status::Rejected,
        _ => return,
    };
    match next {
        Status::Stored => d.stored_at = Some(at),
        Status::Released => d.released_at = Some(at),
        Status::Closed => d.closed_at = Some(at),
        Status::Rejected => d.ended_at = Some(at),
        _ => {}
    }
    d.status = next;
}

/// One declaration of the ledger, read-only.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    ledger: &'a Ledger,
    id: u32,
    decl: &'a Decl,
}

impl<'a> Row<'a> {
    fn s(&self, i: u32) -> &'a str {
        self.ledger.strings.get(i)
    }

    /// Its place in the ledger, a stable id.
    pub fn id(&self) -> u32 {
        self.id
    }
    pub fn guid(&self) -> &'a str {
        &self.decl.guid
    }
    /// 运输方式, the transport mode code.
    pub fn traf_mode(&self) -> &'a str {
        self.s(self.decl.traf_mode)
    }
    pub fn gross_weight(&self) -> Decimal {
        self.decl.gross_weight
    }
    pub fn net_weight(&self) -> Decimal {
        self.decl.net_weight
    }
    /// The summary declaration it was merged into.
    pub fn summary(&self) -> Option<&'a Summary> {
        self.ledger.summaries.get(self.decl.summary? as usize)
    }
    /// The return applications accepted for it.
    pub fn returns(&self) -> impl Iterator<Item = &'a ReturnRecord> + 'a {
        self.decl.returns.iter()
    }
    pub fn order_no(&self) -> &'a str {
        &self.decl.order_no
    }
    pub fn logistics_no(&self) -> &'a str {
        &self.decl.logistics_no
    }
    /// The customs list number, once customs stored the list.
    pub fn invt_no(&self) -> Option<&'a str> {
        self.decl.invt_no.as_deref()
    }
    pub fn ebp_code(&self) -> &'a str {
        self.s(self.decl.ebp)
    }
    /// The e-commerce enterprise (consignor): whose export this is.
    pub fn ebc_code(&self) -> &'a str {
        self.s(self.decl.ebc)
    }
    pub fn owner_code(&self) -> &'a str {
        self.s(self.decl.owner)
    }
    pub fn logistics_code(&self) -> &'a str {
        self.s(self.decl.logistics_code)
    }
    pub fn trade_mode(&self) -> &'a str {
        self.s(self.decl.trade_mode)
    }
    pub fn customs_code(&self) -> &'a str {
        self.s(self.decl.customs)
    }
    pub fn port_code(&self) -> &'a str {
        self.s(self.decl.port)
    }
    /// 运抵国, the country of arrival.
    pub fn country(&self) -> &'a str {
        self.s(self.decl.country)
    }
    /// A (simplified, 汇总统计) or B (汇总申报: merged into a customs declaration).
    pub fn statistics_flag(&self) -> &'a str {
        self.s(self.decl.statistics_flag)
    }
    pub fn app_time(&self) -> Option<NaiveDateTime> {
        self.decl.app_time
    }
    /// The declared export date (`ieDate`).
    pub fn ie_date(&self) -> Option<NaiveDate> {
        self.decl.ie_date
    }
    pub fn accepted_at(&self) -> NaiveDateTime {
        self.decl.accepted_at
    }
    pub fn stored_at(&self) -> Option<NaiveDateTime> {
        self.decl.stored_at
    }
    pub fn released_at(&self) -> Option<NaiveDateTime> {
        self.decl.released_at
    }
    pub fn closed_at(&self) -> Option<NaiveDateTime> {
        self.decl.closed_at
    }
    /// When it was rejected, cancelled or deleted.
    pub fn ended_at(&self) -> Option<NaiveDateTime> {
        self.decl.ended_at
    }
    pub fn status(&self) -> Status {
        self.decl.status
    }

    /// The business date of the export: `ieDate`, else the day of `appTime`, else the day
    /// it was accepted.
    pub fn export_date(&self) -> NaiveDate {
        self.decl
            .ie_date
            .or(self.decl.app_time.map(|t| t.date()))
            .unwrap_or(self.decl.accepted_at.date())
    }

    /// The date `which` of this declaration, if it has one.
    pub fn date_of(&self, which: DateOf) -> Option<NaiveDate> {
        match which {
            DateOf::Export => Some(self.export_date()),
            DateOf::Accepted => Some(self.decl.accepted_at.date()),
            DateOf::Released => self.decl.released_at.map(|t| t.date()),
            DateOf::Closed => self.decl.closed_at.map(|t| t.date()),
        }
    }

    /// Its goods lines, in declared order.
    pub fn lines(&self) -> impl Iterator<Item = Line<'a>> + 'a {
        let (ledger, decl) = (self.ledger, self.decl);
        decl.lines.iter().map(move |rec| Line { ledger, decl, rec })
    }
}

/// One goods line of a declaration, read-only.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    ledger: &'a Ledger,
    decl: &'a Decl,
    rec: &'a LineRec,
}

impl<'a> Line<'a> {
    pub fn gnum(&self) -> u32 {
        self.rec.gnum
    }
    /// HS code (10 characters, or 4 under simplified declaration).
    pub fn gcode(&self) -> &'a str {
        self.ledger.strings.get(self.rec.gcode)
    }
    /// `itemName`, else `gname`.
    pub fn item_name(&self) -> &'a str {
        self.ledger.strings.get(self.rec.item_name)
    }
    pub fn unit(&self) -> &'a str {
        self.ledger.strings.get(self.rec.unit)
    }
    /// 最终目的国, the final destination.
    pub fn country(&self) -> &'a str {
        self.ledger.strings.get(self.rec.country)
    }
    /// Customs currency code, e.g. 142 (CNY), 502 (USD).
    pub fn currency(&self) -> &'a str {
        self.ledger.strings.get(self.rec.currency)
    }
    pub fn qty(&self) -> Decimal {
        self.rec.qty
    }
    /// Unit price, FOB.
    pub fn price(&self) -> Decimal {
        self.rec.price
    }
    /// qty × price, FOB, in `currency`.
    pub fn total_price(&self) -> Decimal {
        self.rec.total_price
    }
    /// 法定数量 and its unit.
    pub fn qty1(&self) -> Decimal {
        self.rec.qty1
    }
    pub fn unit1(&self) -> &'a str {
        self.ledger.strings.get(self.rec.unit1)
    }
    /// 第二数量 and its unit (empty when the goods have none).
    pub fn qty2(&self) -> Option<Decimal> {
        self.rec.qty2
    }
    pub fn unit2(&self) -> &'a str {
        self.ledger.strings.get(self.rec.unit2)
    }
    /// What came back of this line under accepted return applications.
    pub fn returned(&self) -> Returned {
        (self.decl.returned.iter())
            .find(|(g, _)| *g == self.rec.gnum)
            .map(|(_, r)| *r)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, EngineConfig, Profile};
    use crate::load::parcels::{Rng, parcel};
    use crate::rules::Params;
    use chrono::Duration;

    fn t(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 3, 1)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap()
    }

    /// Plays parcels through the engine, feeding the ledger as a caller must.
    fn play(n: u64) -> Ledger {
        let config = EngineConfig {
            release_waits_for_arrival: false,
            profile: Profile {
                review_per_mille: 0,
                inspection_per_mille: 0,
                ..Profile::default()
            },
            ..EngineConfig::default()
        };
        let mut engine = Engine::new(config, Params::default());
        let mut ledger = Ledger::new();
        let mut rng = Rng::new(3);
        for serial in 1..=n {
            let p = parcel(&mut rng, serial, 5);
            for m in [
                Message::Ceb303(p.order),
                Message::Ceb403(p.receipt),
                Message::Ceb505(p.waybill),
                Message::Ceb603(p.list),
            ] {
                engine.accept(&m, t(1));
                ledger.record(&m, t(1));
            }
        }
        for o in engine.advance(t(1) + Duration::days(1)) {
            ledger.observe(&o);
        }
        ledger
    }

    #[test]
    fn follows_lists_to_release() {
        let ledger = play(20);
        assert_eq!(ledger.len(), 20);
        assert_eq!(ledger.count_by_status(), vec![(Status::Released, 20)]);
        let row = ledger.rows().next().unwrap();
        assert!(row.invt_no().is_some_and(|n| n.starts_with("5314")));
        assert!(row.released_at().is_some());
        assert_eq!(
            ledger.by_invt_no(row.invt_no().unwrap()).unwrap().guid(),
            row.guid()
        );
        let total: usize = ledger.rows().map(|r| r.lines().count()).sum();
        assert_eq!(total, ledger.line_count());
        let line = row.lines().next().unwrap();
        assert_eq!(line.gnum(), 1);
        assert_eq!(line.total_price(), line.qty() * line.price());
    }

    #[test]
    fn selects_by_status_and_date() {
        let ledger = play(10);
        let march = |d| NaiveDate::from_ymd_opt(2025, 3, d).unwrap();
        let all = Query::exported_between(march(1), march(31));
        assert_eq!(ledger.select(&all).count(), 10);
        let first_week = Query::exported_between(march(1), march(7));
        let n = ledger.select(&first_week).count();
        let by_hand = ledger
            .rows()
            .filter(|r| r.export_date() <= march(7))
            .count();
        assert_eq!(n, by_hand);
        let rejected = Query {
            statuses: vec![Status::Rejected],
            date: DateOf::Export,
            from: None,
            to: None,
        };
        assert_eq!(ledger.select(&rejected).count(), 0);
    }

    #[test]
    fn a_subset_copies_the_rows_it_keeps_with_their_lines_and_returns() {
        let mut ledger = play(10);
        let third = ledger.row(2).unwrap();
        let (guid, gnum) = (
            third.guid().to_string(),
            third.lines().next().unwrap().gnum(),
        );
        let back = Returned {
            qty: Decimal::ONE,
            ..Returned::default()
        };
        ledger.add_return(ReturnRecord {
            guid: "R1".into(),
            list: 2,
            logistics_no: "L".into(),
            applied_at: t(5),
            app_date: t(5).date(),
            tallied_at: None,
            lines: vec![(gnum, back)],
        });
        let part = ledger.subset(|r| r.id() % 2 == 0);
        assert_eq!(part.len(), 5);
        let copy = part.by_guid(&guid).unwrap();
        let original = ledger.by_guid(&guid).unwrap();
        assert_eq!(copy.id(), 2, "a copy keeps its id");
        assert_eq!(
            part.by_invt_no(original.invt_no().unwrap()).unwrap().id(),
            2
        );
        let (a, b): (Vec<_>, Vec<_>) = (copy.lines().collect(), original.lines().collect());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (x.gcode(), x.item_name(), x.total_price(), x.currency()),
                (y.gcode(), y.item_name(), y.total_price(), y.currency())
            );
        }
        assert_eq!(
            (copy.ebc_code(), copy.status()),
            (original.ebc_code(), original.status())
        );
        assert_eq!(copy.returns().count(), 1);
        assert_eq!(copy.lines().next().unwrap().returned().qty, Decimal::ONE);
        assert_eq!(part.row(0).unwrap().returns().count(), 0);
    }

    #[test]
    fn a_list_without_its_documents_is_rejected_and_a_duplicate_is_its_own_row() {
        let mut engine = Engine::new(EngineConfig::default(), Params::default());
        let mut ledger = Ledger::new();
        let mut rng = Rng::new(9);
        let p = parcel(&mut rng, 1, 1);
        let mut again = p.list.clone();
        again.documents[0].head.guid = "00000000-0000-0000-0000-000000000001".into();
        for m in [Message::Ceb603(p.list), Message::Ceb603(again)] {
            engine.accept(&m, t(1));
            ledger.record(&m, t(1));
        }
        for o in engine.advance(t(5)) {
            ledger.observe(&o);
        }
        assert_eq!(
            ledger.count_by_status(),
            vec![(Status::Rejected, 2)],
            "the first waits in vain, the second is a duplicate"
        );
    }
}
