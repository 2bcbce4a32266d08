//! Following parcels to their end through the simulator's receipts: a list's 899 (结关) is a
//! parcel's final receipt, its 100 (or a refusal of the list itself) a refusal. Released
//! parcels chosen for a return get their 213 once the list's 800 is seen, and the 215 once
//! the 214 accepted it; summary applications wait for their 702.

use super::after;
use super::traffic::{Fault, Outgoing};
use crate::model::inventory::Ceb603Message;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a parcel stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    Closed,
    Refused,
    /// A message of it was never answered (transport error or dropped).
    Lost,
}

struct Parcel {
    start: Instant,
    fault: Option<Fault>,
    end: End,
    returned: Option<Arc<Ceb603Message<'static>>>,
    invt_no: Option<String>,
    return_sent: bool,
}

/// What a document sent after release was.
enum After {
    Return(u32),
    Tally,
    Summary,
}

/// How the parcels and what followed them ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcomes {
    pub parcels: u64,
    pub faulty: u64,
    /// Closed (899): the end-to-end latency is theirs.
    pub closed: u64,
    /// Faulty parcels refused, as they should be.
    pub refused_expected: u64,
    /// Valid parcels refused (also an error).
    pub refused_unexpected: u64,
    /// Faulty parcels that went through all the same.
    pub faulty_closed: u64,
    pub lost: u64,
    /// Still waiting for their final receipt when the run ended.
    pub pending: u64,
    pub summaries_sent: u64,
    pub summaries_accepted: u64,
    pub summaries_refused: u64,
    pub declarations: u64,
    pub returns_sent: u64,
    pub returns_accepted: u64,
    pub returns_refused: u64,
    pub tallies_sent: u64,
    pub tallied: u64,
    pub tallies_refused: u64,
}

/// A receipt as the pull API lists it.
#[derive(Debug, serde::Deserialize)]
pub struct Receipt {
    pub root: String,
    #[serde(rename = "returnStatus")]
    pub status: String,
    #[serde(default)]
    pub answers: Option<String>,
    #[serde(default)]
    pub xml: Option<String>,
}

#[derive(Default)]
pub struct Tracker {
    parcels: Vec<Option<Parcel>>,
    lists: HashMap<String, u32>,
    after: HashMap<String, After>,
    out: Outcomes,
    /// Return and tally delay after the receipt that allows them.
    pub delay: Duration,
}

/// The text of the first element ending in `name` (e.g. `<ceb:invtNo>`), when not empty.
fn element_text(xml: &str, name: &str) -> Option<String> {
    let tag = format!("{name}>");
    let at = xml.find(&tag)? + tag.len();
    let rest = &xml[at..];
    Some(rest[..rest.find('<')?].trim().to_string()).filter(|s| !s.is_empty())
}

impl Tracker {
    pub fn new(delay: Duration) -> Tracker {
        Tracker {
            delay,
            ..Tracker::default()
        }
    }

    fn parcel(&mut self, id: u32) -> Option<&mut Parcel> {
        self.parcels.get_mut(id as usize)?.as_mut()
    }

    /// A message is handed to the target; `start` is when it was due.
    pub fn dispatched(&mut self, o: &Outgoing, start: Instant) {
        let Some(p) = &o.parcel else {
            if o.kind == crate::model::MessageType::Ceb701 {
                self.expect(&o.body, After::Summary);
                self.out.summaries_sent += 1;
            }
            return;
        };
        if p.first {
            let i = p.id as usize;
            if self.parcels.len() <= i {
                self.parcels.resize_with(i + 1, || None);
            }
            self.parcels[i] = Some(Parcel {
                start,
                fault: p.fault,
                end: End::Open,
                returned: None,
                invt_no: None,
                return_sent: false,
            });
            self.out.parcels += 1;
            self.out.faulty += u64::from(p.fault.is_some());
        }
        if let Some(guid) = &p.list_guid {
            self.lists.insert(guid.clone(), p.id);
            let returned = p.returned.clone();
            if let Some(parcel) = self.parcel(p.id) {
                parcel.returned = returned;
            }
        }
    }

    /// Notes the document GUID of a message sent after release.
    fn expect(&mut self, body: &[u8], what: After) {
        // The head's guid is the first <…:guid> element (the root's guid is an attribute).
        let text = String::from_utf8_lossy(body);
        if let Some(guid) = element_text(&text, "guid") {
            self.after.insert(guid, what);
        }
    }

    fn end(&mut self, id: u32, end: End, now: Instant) -> Option<Duration> {
        let p = self.parcel(id)?;
        if p.end != End::Open {
            return None;
        }
        p.end = end;
        let (fault, start) = (p.fault, p.start);
        match (end, fault) {
            (End::Closed, None) => self.out.closed += 1,
            (End::Closed, Some(_)) => self.out.faulty_closed += 1,
            (End::Refused, Some(_)) => self.out.refused_expected += 1,
            (End::Refused, None) => self.out.refused_unexpected += 1,
            (End::Lost, _) => self.out.lost += 1,
            (End::Open, _) => {}
        }
        (end == End::Closed && fault.is_none()).then(|| now.saturating_duration_since(start))
    }

    /// The target's answer to a message: a list refused outright ends its parcel, a message
    /// never answered loses it, and a document sent after release that was refused will get
    /// no receipt.
    pub fn answered(&mut self, o: &Outgoing, answer: &super::stats::Answer) {
        use super::stats::Answer;
        match (o.parcel.as_ref(), answer) {
            (Some(p), Answer::Error(_)) => {
                self.end(p.id, End::Lost, Instant::now());
            }
            (Some(p), Answer::Rejected(_)) if p.list_guid.is_some() => {
                self.end(p.id, End::Refused, Instant::now());
            }
            (None, Answer::Rejected(_) | Answer::Error(_)) => {
                let text = String::from_utf8_lossy(&o.body);
                let Some(guid) = element_text(&text, "guid") else {
                    return;
                };
                match self.after.remove(&guid) {
                    Some(After::Return(_)) => self.out.returns_refused += 1,
                    Some(After::Tally) => self.out.tallies_refused += 1,
                    Some(After::Summary) => self.out.summaries_refused += 1,
                    None => {}
                }
            }
            _ => {}
        }
    }

    /// One receipt pulled at `now`: returns the end-to-end latency when it closed a parcel,
    /// and the messages it calls for (due after the tracker's delay).
    pub fn receipt(&mut self, r: &Receipt, now: Instant) -> (Option<Duration>, Vec<Outgoing>) {
        let mut send = Vec::new();
        let answers = r.answers.as_deref().unwrap_or_default();
        let status = r.status.as_str();
        if status == "2" {
            return (None, send); // the e-port's acknowledgement, already counted
        }
        let refused = status == "100" || status.starts_with('-');
        match r.root.as_str() {
            "CEB604Message" => {
                let Some(&id) = self.lists.get(answers) else {
                    return (None, send);
                };
                match status {
                    "120" => {
                        let no = r.xml.as_deref().and_then(|x| element_text(x, "invtNo"));
                        if let Some(p) = self.parcel(id)
                            && p.returned.is_some()
                        {
                            p.invt_no = no;
                        }
                    }
                    "800" => {
                        // Once per parcel, even if the same receipt is pulled twice.
                        let plan = self.parcel(id).and_then(|p| {
                            let plan = (p.returned.clone()?, p.invt_no.clone()?);
                            (!std::mem::replace(&mut p.return_sent, true)).then_some(plan)
                        });
                        if let Some((list, no)) = plan
                            && let Some(m) = after::return_application(&list, &no, wall_now())
                        {
                            self.after
                                .insert(after::return_guid(&list), After::Return(id));
                            self.out.returns_sent += 1;
                            send.push(Outgoing::made(&m, self.delay));
                        }
                    }
                    "899" => return (self.end(id, End::Closed, now), send),
                    _ if refused => {
                        self.end(id, End::Refused, now);
                    }
                    _ => {}
                }
            }
            "CEB214Message" => {
                let Some(After::Return(id)) = self.after.remove(answers) else {
                    return (None, send);
                };
                if refused {
                    self.out.returns_refused += 1;
                } else {
                    self.out.returns_accepted += 1;
                    let plan = self
                        .parcel(id)
                        .and_then(|p| Some((p.returned.clone()?, p.invt_no.clone()?)));
                    if let Some((list, no)) = plan
                        && let Some(m) = after::return_tally(&list, &no, wall_now())
                    {
                        self.after.insert(after::tally_guid(&list), After::Tally);
                        self.out.tallies_sent += 1;
                        send.push(Outgoing::made(&m, self.delay));
                    }
                }
            }
            "CEB216Message" | "CEB702Message" => self.settle(&r.root, answers, refused),
            "CEB792Message" => self.out.declarations += 1,
            _ => {}
        }
        (None, send)
    }

    /// Every parcel ended and everything sent after release answered.
    pub fn settled(&self) -> bool {
        self.after.is_empty() && self.parcels.iter().flatten().all(|p| p.end != End::Open)
    }

    /// A tally or summary answered by customs.
    fn settle(&mut self, root: &str, answers: &str, refused: bool) {
        if self.after.remove(answers).is_none() {
            return;
        }
        let o = &mut self.out;
        let count = match (root, refused) {
            ("CEB216Message", false) => &mut o.tallied,
            ("CEB216Message", true) => &mut o.tallies_refused,
            (_, false) => &mut o.summaries_accepted,
            (_, true) => &mut o.summaries_refused,
        };
        *count += 1;
    }

    /// Everything sent after release has been answered.
    pub fn after_settled(&self) -> bool {
        self.after.is_empty()
    }

    /// Parcels not ended yet.
    pub fn open(&self) -> u64 {
        self.parcels
            .iter()
            .flatten()
            .filter(|p| p.end == End::Open)
            .count() as u64
    }

    pub fn outcomes(&self) -> Outcomes {
        Outcomes {
            pending: self.open(),
            ..self.out.clone()
        }
    }
}

/// Business time now: what returns sent after a receipt carry.
fn wall_now() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::traffic::{Config, Traffic};
    use crate::model::MessageType;

    fn receipt(root: &str, status: &str, answers: &str, xml: &str) -> Receipt {
        Receipt {
            root: root.into(),
            status: status.into(),
            answers: Some(answers.into()),
            xml: Some(xml.into()),
        }
    }

    #[test]
    fn a_returned_parcel_gets_one_return_and_one_tally_and_closes_on_its_899() {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 3, 3)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap();
        let mut c = Config::new(3, 100.0, start);
        c.returns = 1.0;
        c.faults = 0.0;
        let mut tracker = Tracker::new(Duration::ZERO);
        let t0 = Instant::now();
        let mut list = None;
        for o in Traffic::new(c) {
            if o.parcel.as_ref().is_some_and(|p| p.id == 0) {
                tracker.dispatched(&o, t0);
                if o.kind == MessageType::Ceb603 {
                    list = o.parcel.and_then(|p| p.list_guid);
                    break;
                }
            }
        }
        let guid = list.expect("the first parcel's list");
        let invt = "<ceb:invtNo>53142025E000000001</ceb:invtNo>";
        let now = Instant::now();
        assert!(
            tracker
                .receipt(&receipt("CEB604Message", "120", &guid, invt), now)
                .1
                .is_empty()
        );
        let first = tracker
            .receipt(&receipt("CEB604Message", "800", &guid, ""), now)
            .1;
        let again = tracker
            .receipt(&receipt("CEB604Message", "800", &guid, ""), now)
            .1;
        assert_eq!(first.len(), 1);
        assert!(
            again.is_empty(),
            "a receipt pulled twice sends no second return"
        );
        assert_eq!(first[0].kind, MessageType::Ceb213);
        assert!(String::from_utf8_lossy(&first[0].body).contains("53142025E000000001"));
        let app = element_text(&String::from_utf8_lossy(&first[0].body), "guid").unwrap();
        let tally = tracker
            .receipt(&receipt("CEB214Message", "800", &app, ""), now)
            .1;
        assert_eq!(tally.len(), 1);
        assert_eq!(tally[0].kind, MessageType::Ceb215);
        let tally_guid = element_text(&String::from_utf8_lossy(&tally[0].body), "guid").unwrap();
        assert!(!tracker.settled());
        tracker.receipt(&receipt("CEB216Message", "399", &tally_guid, ""), now);
        let (e2e, _) = tracker.receipt(&receipt("CEB604Message", "899", &guid, ""), now);
        assert!(e2e.is_some());
        let o = tracker.outcomes();
        assert_eq!((o.returns_sent, o.returns_accepted, o.tallied), (1, 1, 1));
        assert_eq!((o.closed, o.pending), (1, 0));
        // Only the first parcel was dispatched, so all is settled.
        assert!(tracker.settled());
    }
}
