//! What a list waits for next, and when customs' next step is due. A status alone does not
//! say why nothing happens (a released list waits for its departure, a concluded one for its
//! arrival at the site): `/test/documents` and `check` say it, in Chinese and English.

use super::{Action, Engine, ListState, ListStatus, Step};
use crate::rules::links::KeyRef;
use chrono::NaiveDateTime;

/// What comes next for a list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Awaiting {
    pub status: ListStatus,
    /// What customs waits for, or does next.
    pub zh: String,
    pub en: String,
    /// When customs' next step is due; none while it waits for a document.
    pub due: Option<NaiveDateTime>,
}

impl Engine {
    /// What the list of an order waits for next (none when the order has no list).
    pub fn awaiting(&self, ebp_code: &str, order_no: &str) -> Option<Awaiting> {
        let key = KeyRef(ebp_code, order_no);
        match self.orders.get(&key).and_then(|s| s.list) {
            Some(id) => self.lists.get(id).map(|list| self.awaiting_of(id, list)),
            None => self
                .settled_list_status(key)
                .map(|status| told(status, None, &[], true)),
        }
    }

    /// Every list in memory not finished with, by its order's key, with what it waits for.
    pub fn open_lists(&self) -> Vec<(String, Awaiting)> {
        let mut out: Vec<(String, Awaiting)> = (self.lists.iter())
            .filter(|(_, l)| l.status < ListStatus::Closed)
            .map(|(id, l)| {
                let f = &l.record.facts;
                let key = format!("{} / {}", f.ebp_code, f.order_no);
                (key, self.awaiting_of(id, l))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn awaiting_of(&self, id: super::ListId, list: &ListState) -> Awaiting {
        let next = (self.timers.iter())
            .filter_map(|t| match t.action {
                Action::List(l, step) if l == id && step.applies_to(list.status) => {
                    Some((t.due, step))
                }
                _ => None,
            })
            .min_by_key(|(due, _)| *due);
        // A release falls due only for a parcel that arrived, when customs waits for that.
        let arrived = !self.config.release_waits_for_arrival
            || self.slots(&list.record.facts).1.is_some_and(|w| w.arrived);
        told(list.status, next, &self.missing(list), arrived)
    }
}

/// The words for a list in `status` whose next timed step is `next`, missing `missing`
/// (documents) and, unless `arrived`, its parcel's arrival at the site.
fn told(
    status: ListStatus,
    next: Option<(NaiveDateTime, Step)>,
    missing: &[&str],
    arrived: bool,
) -> Awaiting {
    let at = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let (zh, en) = match (status, next) {
        (ListStatus::Waiting, Some((due, Step::Expire))) => {
            let en: Vec<&str> = missing.iter().map(|m| english(m)).collect();
            (
                format!(
                    "等待{}；{} 前未到齐则退单（100）",
                    missing.join("、"),
                    at(due)
                ),
                format!(
                    "waiting for its {}; sent back (100) at {} unless all come",
                    en.join(", "),
                    at(due)
                ),
            )
        }
        (ListStatus::Concluded, Some((due, Step::Release))) if !arrived => (
            format!(
                "等待运抵监管场所（CEB507），然后放行（800），最早 {}",
                at(due)
            ),
            format!(
                "waiting for the parcel's arrival at the supervised site (CEB507); released (800) then, not before {}",
                at(due)
            ),
        ),
        (_, Some((due, step))) => {
            let (zh, en) = match step {
                Step::Expire | Step::Decide => (
                    "入库（120）或退单（100）",
                    "stored (120) or sent back (100)",
                ),
                Step::Review => ("人工审核（300）", "manual review (300)"),
                Step::Inspect => ("查验（500）", "inspection (500)"),
                Step::Conclude => ("审结（399）", "concluded (399)"),
                Step::Release => ("放行（800）", "released (800)"),
                Step::Close => ("结关（899）", "closed (899)"),
            };
            (
                format!("海关下一步：{zh}，{} 到期", at(due)),
                format!("customs' next step: {en}, due {}", at(due)),
            )
        }
        (ListStatus::Concluded, None) => (
            "等待运抵监管场所（CEB507），然后放行（800）".into(),
            "waiting for the parcel's arrival at the supervised site (CEB507); released (800) then"
                .into(),
        ),
        (ListStatus::Released, None) => (
            "等待离境（CEB509），然后结关（899）".into(),
            "waiting for the departure (CEB509); closed (899) then".into(),
        ),
        (ListStatus::Closed, None) => (
            "已结关，无后续（退货请申报 CEB213）".into(),
            "closed: nothing follows (a return is filed as CEB213)".into(),
        ),
        (ListStatus::Cancelled, None) => {
            ("已撤销，无后续".into(), "cancelled: nothing follows".into())
        }
        (ListStatus::Deleted, None) => (
            "已删除，可重新申报".into(),
            "deleted: a new list may be filed".into(),
        ),
        (ListStatus::Rejected, None) => (
            "已退单，可改正后重新申报".into(),
            "sent back: a corrected list may be filed".into(),
        ),
        (_, None) => ("等待海关处理".into(), "with customs".into()),
    };
    Awaiting {
        status,
        zh,
        en,
        due: next.map(|(due, _)| due),
    }
}

/// The English name of a document a list waits for (`Engine::missing` names them in Chinese).
pub(super) fn english(zh: &str) -> &'static str {
    match zh {
        "订单" => "order",
        "收款单" => "payment receipt",
        "运单" => "waybill",
        _ => "documents",
    }
}
