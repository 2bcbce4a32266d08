//! The single window as its users see it: the engine (三单比对 and the customs lifecycle of
//! each list), the ledger of declarations it feeds, and what comes after release and reads
//! the ledger — summary declarations (701 → 702, 792) and export returns (213 → 214,
//! 215 → 216). Same use as the engine: accept documents, advance time, collect receipts.

use super::ledger::{Ledger, ReturnRecord, Summary};
use super::receipts::Outgoing;
use super::summary::{Numbers, Options, deadline, group, not_summarisable, summary_day};
use super::{Engine, EngineConfig, kept, returns, summary};
use crate::model::Message;
use crate::model::refund::{InvtRefund, InvtRefundDetail};
use crate::model::reply::{eport_number, numbered};
use crate::model::said::Said;
use crate::model::summary::SummaryApply;
use crate::model::time::{date_of, parse_digits};
use crate::rules::Params;
use chrono::NaiveDateTime;

/// Counts of what the engine holds in memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkingSet {
    pub declarations: usize,
    pub lists: usize,
    pub orders: usize,
    pub waybills: usize,
    pub timers: usize,
}

/// The engine, its ledger, summaries and returns.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SingleWindow {
    engine: Engine,
    ledger: Ledger,
    /// Receipts made here, or taken from the engine early, not yet handed out.
    waiting: Vec<Outgoing>,
    /// Serial of the declaration numbers (`declSeqNo`, entry ids) of summaries.
    serial: u64,
}

impl SingleWindow {
    pub fn new(config: EngineConfig, params: Params) -> Self {
        SingleWindow {
            engine: Engine::new(config, params),
            ..SingleWindow::default()
        }
    }

    /// Back from a checkpoint: the state, under the configuration it runs with now.
    pub fn restored(mut self, config: EngineConfig, params: Params) -> Self {
        self.engine.config = config;
        self.engine.params = params;
        self
    }

    /// Where finished documents and declarations go (see `engine::cold`): without one
    /// nothing leaves memory.
    pub fn attach_cold(&mut self, store: std::sync::Arc<dyn super::cold::ColdStore>) {
        self.engine.attach_cold(store.clone());
        self.ledger.attach_cold(store);
    }

    /// Takes out of memory what is finished with, for the checkpoint of log position
    /// `version` (`now`: the engine's time). The records to write to the cold store, tagged
    /// their versions, before that checkpoint: everything settled, not yet confirmed written.
    pub fn settle(&mut self, version: u64, now: NaiveDateTime) -> super::cold::Batches {
        let retention = self.engine.config.retention;
        let settled = self.engine.settle(now, retention);
        let mut batches = self.engine.cold_mut().hand_over(version, settled);
        let settled = self.ledger.settle();
        batches.extend(self.ledger.cold_mut().hand_over(version, settled));
        batches
    }

    /// The batch of `version` is in the cold store: it is read from there now.
    pub fn written(&mut self, version: u64) {
        self.engine.cold_mut().written(version);
        self.ledger.cold_mut().written(version);
    }

    /// Forgets every document (test support), from log position `version` on: what settled
    /// before is not read any more.
    pub fn reset(&mut self, version: u64) {
        let fresh = SingleWindow::new(self.engine.config.clone(), self.engine.params.clone());
        let engine_cold = std::mem::take(self.engine.cold_mut());
        let ledger_cold = std::mem::take(self.ledger.cold_mut());
        *self = fresh;
        *self.engine.cold_mut() = engine_cold;
        *self.ledger.cold_mut() = ledger_cold;
        self.engine.cold_mut().forget_before(version);
        self.ledger.cold_mut().forget_before(version);
    }

    /// What the engine holds in memory: lists, order keys, waybill keys, pending timers,
    /// declarations.
    pub fn working_set(&self) -> WorkingSet {
        WorkingSet {
            declarations: self.ledger.len(),
            lists: self.engine.lists.len(),
            orders: self.engine.orders.len(),
            waybills: self.engine.waybills.len(),
            timers: self.engine.timers.len() + self.waiting.len(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Every declaration list, with its summary and returns.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, once the run is over.
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    /// Plays one message at `at` on virtual time: returns every receipt due by then, then
    /// takes the documents `accepted` lets through (by index), received by the e-port then.
    pub fn play(
        &mut self,
        message: &Message<'_>,
        at: NaiveDateTime,
        accepted: impl Fn(usize) -> bool,
    ) -> Vec<Outgoing> {
        let due = self.advance(at);
        self.accept_documents(message, at, at, accepted);
        due
    }

    /// Takes the documents of a message the e-port accepted.
    pub fn accept(&mut self, message: &Message<'_>, now: NaiveDateTime) {
        self.accept_documents(message, now, now, |_| true);
    }

    /// Like `accept`, for the documents (by index) that `accepted` lets through, received
    /// by the e-port at `received` (see `Engine::accept_documents`).
    pub fn accept_documents(
        &mut self,
        message: &Message<'_>,
        now: NaiveDateTime,
        received: NaiveDateTime,
        accepted: impl Fn(usize) -> bool,
    ) {
        self.engine.received = received.date();
        // A summary or a return reads the ledger: it must know what happened by now.
        self.catch_up(now);
        self.ledger.record_documents(message, now, &accepted);
        // What is made here answers this message: it goes back to its sender.
        let made_before = self.waiting.len();
        match message {
            Message::Ceb701(m) => {
                for app in kept(&m.documents, &accepted) {
                    self.summarise(app, now);
                }
            }
            Message::Ceb213(m) => {
                for app in kept(&m.documents, &accepted) {
                    self.return_application(app, now);
                }
            }
            Message::Ceb215(m) => {
                for tally in kept(&m.documents, &accepted) {
                    self.tally(tally, now);
                }
            }
            _ => self
                .engine
                .accept_documents(message, now, received, accepted),
        }
        let sender = crate::model::schema::find_text(message.as_element(), "dxpId");
        for receipt in &mut self.waiting[made_before..] {
            receipt.set_to(sender.unwrap_or_default());
        }
    }

    /// Every receipt due by `now`, in order.
    pub fn advance(&mut self, now: NaiveDateTime) -> Vec<Outgoing> {
        self.catch_up(now);
        let (mut due, later): (Vec<Outgoing>, Vec<Outgoing>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|o| o.due <= now);
        self.waiting = later;
        // Stable: receipts due at the same time keep the order they were made in.
        due.sort_by_key(|o| o.due);
        due
    }

    /// Takes what the engine has due by `now` into the ledger, keeping the receipts.
    fn catch_up(&mut self, now: NaiveDateTime) {
        let due = self.engine.advance(now);
        for o in &due {
            self.ledger.observe(o);
        }
        self.waiting.extend(due);
    }

    /// A summary application (701): its lists, named or by time window, are merged into
    /// declarations (792), answered by 702.
    fn summarise(&mut self, app: &SummaryApply<'_>, now: NaiveDateTime) {
        let h = &app.head;
        let pre_no = self.engine.pre_no(&h.guid);
        let config = &self.engine.config;
        let (answer_due, result_due) = (now + config.store_delay, now + config.conclude_delay);
        // Deadlines are judged on the simulator's clock, the one the releases were made on.
        let date = now.date();
        // The number the e-port gave the application, in every answer to it.
        let sum_no = eport_number('S', &h.guid, self.engine.received);
        let refuse = |reasons: &[Said]| {
            let info = Said::listing("汇总申请退单：", "Summary refused: ", reasons);
            let sum_no = Some(sum_no.as_str());
            summary::application_receipt(h, pre_no, sum_no, "100", info.tagged(&h.guid), answer_due)
        };
        if h.app_type.as_ref() != "1" {
            let reason = Said::fixed(
                "汇总申请一经受理即已处理，不能变更或删除",
                "a summary application is dealt with once accepted: it cannot be changed or deleted",
            );
            self.waiting.push(refuse(&[reason]));
            return;
        }
        self.bring_back_lists_of(app);
        let (ids, mut reasons, simplified) = self.lists_of(app);
        if reasons.is_empty() && ids.is_empty() {
            reasons.push(Said::fixed(
                "没有可汇总的已放行清单",
                "no released list to summarise",
            ));
        }
        if !reasons.is_empty() {
            self.waiting.push(refuse(&reasons));
            return;
        }
        let options = Options {
            by_producer: h.summary_flag.as_ref() == "2",
            by_item_name: h.item_name_flag.as_ref() == "1",
        };
        let rows: Vec<_> = ids.iter().filter_map(|&i| self.ledger.row(i)).collect();
        let late = rows
            .iter()
            .filter(|r| summary_day(r).is_some_and(|d| deadline(d) < date))
            .count();
        let groups = group(&rows, options);
        let mut said = vec![Said::new(
            format!("汇总申请已受理，生成报关单 {} 份", groups.len()),
            format!("Summary accepted: {} declaration(s)", groups.len()),
        )];
        if late > 0 {
            said.push(Said::new(
                format!("{late} 份清单的汇总申请已逾期（应在结关次月15日前申报）"),
                format!(
                    "{late} list(s) summarised late (due by the 15th of the month after closing)"
                ),
            ));
        }
        if simplified > 0 {
            said.push(Said::new(
                format!("{simplified} 份简化申报清单汇总统计，不生成报关单"),
                format!("{simplified} simplified list(s) only counted, no declaration made"),
            ));
        }
        let info = Said::listing("", "", &said).tagged(&h.guid);
        let answer =
            summary::application_receipt(h, pre_no, Some(&sum_no), "120", info, answer_due);
        let mut results = vec![answer];
        let mut summaries = Vec::new();
        for g in &groups {
            let decl_seq_no = next_number(&mut self.serial, now);
            let entry_id = format!("{}{}1{:09}", h.customs_code, now.format("%Y"), self.serial);
            let numbers = Numbers {
                sum_no: &sum_no,
                decl_seq_no: &decl_seq_no,
                entry_id: &entry_id,
            };
            results.push(summary::result(h, g, numbers, result_due));
            summaries.push(Summary {
                sum_no: sum_no.clone(),
                decl_seq_no,
                entry_id,
                made_at: result_due,
                lists: g.lists.iter().map(|l| l.id()).collect(),
                warnings: g.warnings.clone(),
            });
        }
        for s in summaries {
            self.ledger.add_summary(s);
        }
        self.waiting.extend(results);
    }

    /// Brings back into memory the lists a summary application names or its window holds.
    fn bring_back_lists_of(&mut self, app: &SummaryApply<'_>) {
        let h = &app.head;
        let window = h.start_time.as_deref().and_then(parse_digits);
        match window.zip(h.end_time.as_deref().and_then(parse_digits)) {
            Some((start, end)) => self.ledger.bring_back_exported(&h.ebc_code, start, end),
            None => {
                for item in &app.items {
                    self.ledger.bring_back_invt_no(&item.invt_no);
                }
            }
        }
    }

    /// The ledger ids of the lists an application names (or its window holds), what is wrong
    /// with the ones named, and how many simplified (flag A) lists it left out.
    fn lists_of(&self, app: &SummaryApply<'_>) -> (Vec<u32>, Vec<Said>, usize) {
        let h = &app.head;
        let (mut ids, mut reasons, mut simplified) = (Vec::new(), Vec::new(), 0);
        let window = h.start_time.as_deref().and_then(parse_digits);
        let window = window.zip(h.end_time.as_deref().and_then(parse_digits));
        if let Some((start, end)) = window {
            // A window: the body is ignored (spec §2.21).
            for row in self.ledger.rows() {
                let exported = row.closed_at().or(row.released_at());
                if row.ebc_code() != h.ebc_code.as_ref()
                    || !exported.is_some_and(|t| start <= t && t <= end)
                {
                    continue;
                }
                match not_summarisable(&row) {
                    None => ids.push(row.id()),
                    Some(_) if row.statistics_flag() == "A" => simplified += 1,
                    Some(_) => {}
                }
            }
            return (ids, reasons, simplified);
        }
        for item in &app.items {
            let invt_no = item.invt_no.as_ref();
            let Some(row) = self.ledger.by_invt_no(invt_no) else {
                reasons.push(Said::new(
                    format!("清单 {invt_no} 不存在"),
                    format!("no list {invt_no}"),
                ));
                continue;
            };
            if row.ebc_code() != h.ebc_code.as_ref() {
                reasons.push(Said::new(
                    format!(
                        "清单 {invt_no} 的电商企业为 {}，不是 {}",
                        row.ebc_code(),
                        h.ebc_code
                    ),
                    format!(
                        "the list {invt_no} is e-commerce enterprise {}'s, not {}'s",
                        row.ebc_code(),
                        h.ebc_code
                    ),
                ));
                continue;
            }
            match not_summarisable(&row) {
                None if ids.contains(&row.id()) => {}
                None => ids.push(row.id()),
                Some(_) if row.statistics_flag() == "A" => simplified += 1,
                Some(why) => reasons.push(Said::new(
                    format!("清单 {invt_no}：{}", why.zh),
                    format!("list {invt_no}: {}", why.en),
                )),
            }
        }
        (ids, reasons, simplified)
    }

    /// A return application (213) → 214: accepted when the original list allows it.
    fn return_application(&mut self, app: &InvtRefund<'_>, now: NaiveDateTime) {
        let h = &app.head;
        if self.ledger.has_return(&h.guid) {
            return; // delivered again
        }
        let pre_no = self.engine.pre_no(&h.guid);
        let due = now + self.engine.config.store_delay;
        if h.app_type.as_ref() != "1" {
            let info = Said::fixed(
                "退货申请退单：模拟器不受理退货申请的变更或删除，请另行申报",
                "Return refused: the simulator takes no change or deletion of a return application; file a new one",
            )
            .tagged(&h.guid);
            let receipt = returns::application_receipt(app, pre_no, "100", info, due);
            self.waiting.push(receipt);
            return;
        }
        // The year since release is counted on the simulator's clock, as the release was.
        let date = now.date();
        self.ledger.bring_back_invt_no(&h.invt_no);
        let original = self.ledger.by_invt_no(&h.invt_no);
        let receipt = match returns::check_application(app, original, date) {
            Ok((list, lines)) => {
                self.ledger.add_return(ReturnRecord {
                    guid: h.guid.to_string(),
                    list,
                    logistics_no: h.logistics_no.to_string(),
                    applied_at: now,
                    // The tax book dates a return by its own declaration, as it dates exports.
                    app_date: date_of(&h.app_time).unwrap_or(date),
                    tallied_at: None,
                    lines,
                });
                let info = Said::fixed("退货申请审核通过", "Return approved").tagged(&h.guid);
                returns::application_receipt(app, pre_no, "800", info, due)
            }
            Err(reasons) => {
                let info =
                    Said::listing("退货申请退单：", "Return refused: ", &reasons).tagged(&h.guid);
                returns::application_receipt(app, pre_no, "100", info, due)
            }
        };
        self.waiting.push(receipt);
    }

    /// The tally of returned goods (215) → 216, against an accepted return application.
    fn tally(&mut self, tally: &InvtRefundDetail<'_>, now: NaiveDateTime) {
        let pre_no = self.engine.pre_no(&tally.guid);
        let due = now + self.engine.config.store_delay;
        let invt_no = tally.invt_no.as_deref().filter(|n| !n.is_empty());
        let found = self.ledger.find_return(&tally.logistics_no, invt_no);
        let tallied = found.and_then(|at| self.ledger.return_at(at)?.tallied_at);
        let (status, info) = match (found, tallied) {
            (Some(at), None) => {
                self.ledger.tally_return(at, now);
                ("399", Said::fixed("退货理货核注成功", "Return tallied"))
            }
            (Some(_), Some(at)) => (
                "100",
                Said::new(
                    format!("退货已于 {at} 理货，不能重复理货"),
                    format!("The return was tallied on {at} already"),
                ),
            ),
            (None, _) => (
                "100",
                Said::new(
                    format!("运单 {} 没有已审核通过的退货申请", tally.logistics_no),
                    format!(
                        "No approved return application for waybill {}",
                        tally.logistics_no
                    ),
                ),
            ),
        };
        let info = info.tagged(&tally.guid);
        let receipt = returns::tally_receipt(tally, pre_no, status, info, due);
        self.waiting.push(receipt);
    }
}

/// The next declaration number of a summary: S + date + 9-digit serial (18 characters).
fn next_number(serial: &mut u64, now: NaiveDateTime) -> String {
    *serial += 1;
    numbered('S', now.date(), *serial)
}
