//! The seeded stream of messages a load run sends: fragmented parcels (order, payment
//! receipt where the date requires one, waybill, then the declaration list), and per carrier
//! a bill every so often (consolidation, arrival at the supervised site, departure), each
//! message due on the arrival schedule. A share of parcels is broken on purpose.
//!
//! Each new parcel starts at a free slot of the schedule with its order; its other documents
//! follow a little later in causal order; bills close after their lists. The business times
//! (`appTime`) are the start time plus each message's place in the schedule, so the same
//! seed, start and schedule always give the same bytes.

use super::bills::{self, Bill, SITE_DXP};
use super::parcels::{self, CARRIERS, Parcel, Rng};
use super::schedule::Schedule;
use crate::model::envelope::BaseTransfer;
use crate::model::inventory::Ceb603Message;
use crate::model::time::{format8, format14};
use crate::model::{Message, MessageType};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// What a load run generates.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// E-commerce enterprises (sellers); the first `platforms` of them are platforms too.
    pub enterprises: u64,
    pub platforms: u64,
    /// Relative weights of 9610, 9710 and 9810 parcels.
    pub mix: [u32; 3],
    /// Share of parcels with a deliberate fault (0–1).
    pub faults: f64,
    /// Share of released parcels that come back (0–1): marked here, sent by the driver.
    pub returns: f64,
    /// Business time of the schedule's start.
    pub start: NaiveDateTime,
    pub schedule: Schedule,
    /// No new parcel after this much schedule time (those begun are completed).
    pub duration: Option<Duration>,
    /// At most this many parcels.
    pub parcels: Option<u64>,
    /// A carrier's open bill is closed this long after its first list.
    pub bill_every: Duration,
}

impl Config {
    /// The defaults of `single-window load`, at `rate` messages per second.
    pub fn new(seed: u64, rate: f64, start: NaiveDateTime) -> Config {
        Config {
            seed,
            enterprises: 50,
            platforms: 5,
            mix: [80, 12, 8],
            faults: 0.02,
            returns: 0.0,
            start,
            schedule: Schedule::constant(rate),
            duration: Some(Duration::from_secs(60)),
            parcels: None,
            bill_every: Duration::from_secs(1),
        }
    }
}

/// The deliberate faults: each makes the simulator answer with a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// A list item's totalPrice is not qty × price: the e-port refuses the list (100).
    Total,
    /// The order's currency is not a code of the table: the e-port refuses the order; the
    /// list then waits for it in vain and customs sends it back (100).
    Code,
    /// The order says one more of the first item than the list: 三单比对 fails (100).
    Mismatch,
}

impl Fault {
    pub const ALL: [Fault; 3] = [Fault::Total, Fault::Code, Fault::Mismatch];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Total => "wrong-total",
            Fault::Code => "bad-code",
            Fault::Mismatch => "three-flow-mismatch",
        }
    }
}

/// The parcel a message belongs to, and what the driver needs to follow it.
#[derive(Debug, Clone)]
pub struct ParcelRef {
    pub id: u32,
    /// The parcel's first message (its end-to-end clock starts with it).
    pub first: bool,
    pub fault: Option<Fault>,
    /// On the list message: the list's document GUID (what its receipts answer).
    pub list_guid: Option<String>,
    /// On the list message of a parcel that will come back: the list, for the 213 and 215.
    pub returned: Option<Arc<Ceb603Message<'static>>>,
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Place in the send order, from 1.
    pub seq: u64,
    /// When it is due, from the schedule's start.
    pub due: Duration,
    /// The DXP id it is sent as (picks the token).
    pub dxp: String,
    pub kind: MessageType,
    pub body: bytes::Bytes,
    pub parcel: Option<ParcelRef>,
    /// This document is broken on purpose: a refusal is the expected answer.
    pub faulty: bool,
}

impl Outgoing {
    /// A message made outside the schedule (returns, summaries), encoded.
    pub fn made(message: &Message<'_>, due: Duration) -> Outgoing {
        Outgoing::encoded(message, due, &mut String::new())
    }

    /// `made`, encoding in `scratch` and copying the text out at its size.
    fn encoded(message: &Message<'_>, due: Duration, scratch: &mut String) -> Outgoing {
        scratch.clear();
        crate::ceb::encode_into(scratch, message.as_element());
        Outgoing {
            seq: 0,
            due,
            dxp: crate::model::schema::find_text(message.as_element(), "dxpId")
                .unwrap_or_default()
                .to_string(),
            kind: message.message_type(),
            body: bytes::Bytes::copy_from_slice(scratch.as_bytes()),
            parcel: None,
            faulty: false,
        }
    }
}

/// A message just made.
struct Pending {
    message: Message<'static>,
    parcel: Option<ParcelRef>,
    faulty: bool,
    /// For a list: its carrier, waybill and gross weight, to put in the carrier's bill.
    waybill: Option<(usize, String, Decimal)>,
}

/// A message encoded, waiting for its time. Messages are encoded as soon as they are made,
/// while their parts are still in the cache: the queue holds most of a second of traffic
/// (tens of thousands of messages at high rates), and as one block of text a message waits
/// far more cheaply than as the few dozen scattered allocations of its parts, which had to
/// be read back from memory to encode and free them.
struct Queued {
    o: Outgoing,
    waybill: Option<(usize, String, Decimal)>,
}

/// A carrier's bill being filled.
struct OpenBill {
    opened: Duration,
    waybills: Vec<String>,
    gross: Decimal,
}

/// Destination countries with their rough share of China's cross-border e-commerce exports
/// (US, UK, Japan, Germany, France, Spain, Russia, Thailand, Korea, Malaysia, Singapore, …).
const DESTINATIONS: &[(&str, u32)] = &[
    ("502", 34),
    ("303", 10),
    ("116", 8),
    ("304", 7),
    ("305", 5),
    ("312", 5),
    ("344", 5),
    ("136", 4),
    ("133", 4),
    ("122", 3),
    ("132", 3),
    ("601", 3),
    ("501", 3),
    ("110", 2),
    ("307", 2),
    ("309", 2),
];

/// After 2024-12-15 a 9610 list no longer needs a payment receipt (公告2024年第167号 era rule
/// of the catalog); before it, the receipt is sent.
fn payment_required(mode: &str, date: NaiveDate) -> bool {
    mode == "9610" && NaiveDate::from_ymd_opt(2024, 12, 15).is_some_and(|d| date < d)
}

/// The seeded message stream.
pub struct Traffic {
    config: Config,
    rng: Rng,
    serial_base: u64,
    run: u64,
    /// Next slot of the schedule.
    slot: u64,
    seq: u64,
    parcels: u64,
    /// Boxed: the map shifts its values as it inserts.
    pending: BTreeMap<(Duration, u64), Box<Queued>>,
    /// Where messages are encoded before their text is copied out.
    scratch: String,
    order: u64,
    bills: Vec<Option<OpenBill>>,
    bill_seq: u64,
    /// Sellers that sent at least one list, for the summaries.
    sellers: BTreeSet<u64>,
    closing: bool,
    last_due: Duration,
    faulty: u64,
}

impl Traffic {
    pub fn new(config: Config) -> Traffic {
        let run = config.seed % 999;
        Traffic {
            rng: Rng::new(config.seed),
            // Order, waybill and list numbers of different seeds do not meet.
            serial_base: (run + 1) * 1_000_000_000,
            run,
            slot: 0,
            seq: 0,
            parcels: 0,
            pending: BTreeMap::new(),
            scratch: String::with_capacity(64 * 1024),
            order: 0,
            bills: (0..CARRIERS).map(|_| None).collect(),
            bill_seq: 0,
            sellers: BTreeSet::new(),
            closing: false,
            last_due: Duration::ZERO,
            faulty: 0,
            config,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Parcels begun so far.
    pub fn parcels(&self) -> u64 {
        self.parcels
    }

    /// Of which broken on purpose.
    pub fn faulty(&self) -> u64 {
        self.faulty
    }

    /// Business time of a point of the schedule.
    pub fn business_time(&self, due: Duration) -> NaiveDateTime {
        self.config.start + chrono::Duration::milliseconds(due.as_millis() as i64)
    }

    /// When the last message was due.
    pub fn last_due(&self) -> Duration {
        self.last_due
    }

    /// The summary applications (701) closing the run, one per seller, for every list
    /// released from the start to `at`, sent at `at` (business time).
    pub fn summaries(&self, at: NaiveDateTime, due: Duration) -> Vec<Outgoing> {
        self.summary_messages(at)
            .iter()
            .map(|m| Outgoing::made(m, due))
            .collect()
    }

    pub fn summary_messages(&self, at: NaiveDateTime) -> Vec<Message<'static>> {
        self.sellers
            .iter()
            .map(|&ent| {
                let transfer = seller_transfer(ent);
                super::after::summary(&transfer, "5314", self.config.start, at, at)
            })
            .collect()
    }

    fn encode(&mut self, p: Pending) -> Queued {
        let mut o = Outgoing::encoded(&p.message, Duration::ZERO, &mut self.scratch);
        o.parcel = p.parcel;
        o.faulty = p.faulty;
        Queued {
            o,
            waybill: p.waybill,
        }
    }

    fn push(&mut self, at: Duration, p: Pending) {
        self.order += 1;
        let q = self.encode(p);
        self.pending.insert((at, self.order), Box::new(q));
    }

    /// The slot's due time, or `None` once the schedule's end is passed.
    fn open_slot(&self) -> Option<Duration> {
        let t = self.config.schedule.due(self.slot);
        let over_time = self.config.duration.is_some_and(|d| t >= d);
        let over_count = self.config.parcels.is_some_and(|n| self.parcels >= n);
        (!over_time && !over_count).then_some(t)
    }

    /// Begins a parcel at `t`: its order now, the rest later.
    fn start_parcel(&mut self, t: Duration) -> Pending {
        let c = &self.config;
        let rng = &mut self.rng;
        let id = self.parcels as u32;
        self.parcels += 1;
        let serial = self.serial_base + self.parcels;
        let mut p = parcels::parcel(rng, serial, c.enterprises.max(1));
        let mode = {
            let total: u32 = c.mix.iter().sum();
            let mut x = rng.below(u64::from(total.max(1))) as u32;
            let mut i = 0;
            while i < 2 && x >= c.mix[i] {
                x -= c.mix[i];
                i += 1;
            }
            ["9610", "9710", "9810"][i]
        };
        // Platforms: a few big ones take most parcels.
        let platforms = c.platforms.clamp(1, c.enterprises.max(1));
        let u = rng.below(1_000_000) as f64 / 1e6;
        let platform = ((u * u) * platforms as f64) as u64;
        let country = {
            let total: u32 = DESTINATIONS.iter().map(|d| d.1).sum();
            let mut x = rng.below(u64::from(total)) as u32;
            let mut pick = DESTINATIONS[0].0;
            for (code, w) in DESTINATIONS {
                if x < *w {
                    pick = code;
                    break;
                }
                x -= w;
            }
            pick
        };
        let fault =
            (rng.below(1_000_000) < (c.faults * 1e6) as u64).then(|| *rng.pick(&Fault::ALL));
        self.faulty += u64::from(fault.is_some());
        let returned = fault.is_none() && rng.below(1_000_000) < (c.returns * 1e6) as u64;
        // The documents follow the order within about a second: payment, waybill, then list.
        let gap = |rng: &mut Rng, lo: u64, hi: u64| Duration::from_millis(lo + rng.below(hi - lo));
        let pay_at = t + gap(rng, 20, 200);
        let bill_at = t + gap(rng, 50, 400);
        let list_at = t + gap(rng, 400, 900);
        let times = [t, pay_at, bill_at, list_at].map(|d| self.business_time(d));
        adapt(&mut p, mode, platform, country, &times);
        if let Some(f) = fault {
            break_parcel(&mut p, f);
        }
        let h = &p.list.documents[0].head;
        let carrier = h.logistics_code[h.logistics_code.len().saturating_sub(2)..]
            .parse::<usize>()
            .unwrap_or(0)
            % CARRIERS as usize;
        p.waybill.base_transfer.dxp_id = shared_carrier_dxp(carrier);
        let waybill = (carrier, h.logistics_no.to_string(), h.gross_weight);
        let list_guid = h.guid.to_string();
        if let Some(Ok(ent)) = h.ebc_code.get(6..).map(str::parse::<u64>) {
            self.sellers.insert(ent);
        }
        let parcel = |first: bool| {
            Some(ParcelRef {
                id,
                first,
                fault,
                list_guid: None,
                returned: None,
            })
        };
        let Parcel {
            order,
            receipt,
            waybill: logistics,
            list,
        } = p;
        if payment_required(mode, times[1].date()) {
            let payment = Pending {
                message: Message::Ceb403(receipt),
                parcel: parcel(false),
                faulty: false,
                waybill: None,
            };
            self.push(pay_at, payment);
        }
        let logistics = Pending {
            message: Message::Ceb505(logistics),
            parcel: parcel(false),
            faulty: false,
            waybill: None,
        };
        self.push(bill_at, logistics);
        let list = Pending {
            parcel: Some(ParcelRef {
                id,
                first: false,
                fault,
                list_guid: Some(list_guid),
                returned: returned.then(|| Arc::new(list.clone())),
            }),
            message: Message::Ceb603(list),
            faulty: fault == Some(Fault::Total),
            waybill: Some(waybill),
        };
        self.push(list_at, list);
        Pending {
            message: Message::Ceb303(order),
            parcel: parcel(true),
            faulty: fault == Some(Fault::Code),
            waybill: None,
        }
    }

    /// Puts a list's waybill into its carrier's bill, closing the bill when full.
    fn add_to_bill(&mut self, t: Duration, (carrier, no, gross): (usize, String, Decimal)) {
        let bill = self.bills[carrier].get_or_insert_with(|| OpenBill {
            opened: t,
            waybills: Vec::new(),
            gross: Decimal::ZERO,
        });
        bill.waybills.push(no);
        bill.gross += gross;
        if bill.waybills.len() >= 200 {
            self.close_bill(carrier, t);
        }
    }

    /// Bills open for long enough, or all of them once the run is closing.
    fn close_due_bills(&mut self, t: Duration) {
        for carrier in 0..self.bills.len() {
            let due = self.bills[carrier]
                .as_ref()
                .is_some_and(|b| self.closing || b.opened + self.config.bill_every <= t);
            if due {
                self.close_bill(carrier, t);
            }
        }
    }

    /// The consolidation now, the arrival a moment later, the departure after that.
    fn close_bill(&mut self, carrier: usize, t: Duration) {
        let Some(open) = self.bills[carrier].take() else {
            return;
        };
        self.bill_seq += 1;
        let no = format!("MB{:03}{:09}", self.run, self.bill_seq);
        let code = parcels::carrier_code(carrier as u64);
        let name = "深圳市邮政速递";
        let bill = Bill {
            code: &code,
            name,
            customs: "5314",
            no: &no,
            waybills: &open.waybills,
        };
        let transfer = BaseTransfer {
            cop_code: Cow::Owned(code.clone()),
            cop_name: name.into(),
            dxp_mode: "DXP".into(),
            dxp_id: shared_carrier_dxp(carrier),
            note: None,
        };
        let arrive = t + Duration::from_millis(200);
        let leave = arrive + Duration::from_millis(500);
        let messages = [
            (
                t,
                bills::consolidation(&bill, open.gross, self.business_time(t), transfer.clone()),
            ),
            (arrive, bills::arrival(&bill, self.business_time(arrive))),
            (
                leave,
                bills::departure(&bill, self.business_time(leave), transfer),
            ),
        ];
        for (at, message) in messages {
            let p = Pending {
                message,
                parcel: None,
                faulty: false,
                waybill: None,
            };
            self.push(at, p);
        }
    }

    fn emit(&mut self, due: Duration, q: Queued) -> Outgoing {
        if let Some(w) = q.waybill {
            self.add_to_bill(due, w);
        }
        self.seq += 1;
        self.last_due = due;
        Outgoing {
            seq: self.seq,
            due,
            ..q.o
        }
    }
}

impl Iterator for Traffic {
    type Item = Outgoing;

    fn next(&mut self) -> Option<Outgoing> {
        let slot = self.open_slot();
        let t = match slot {
            Some(t) => t,
            None => {
                // Past the end: finish the parcels begun, close every bill, then stop.
                self.closing = true;
                let t = self.config.schedule.due(self.slot).max(self.last_due);
                self.close_due_bills(t);
                let (&(at, order), _) = self.pending.first_key_value()?;
                let p = self.pending.remove(&(at, order))?;
                self.slot += 1;
                return Some(self.emit(at.max(t), *p));
            }
        };
        self.slot += 1;
        self.close_due_bills(t);
        let ready = self
            .pending
            .first_key_value()
            .is_some_and(|(&(at, _), _)| at <= t);
        let q = if ready {
            self.pending.pop_first().map(|(_, q)| *q)
        } else {
            None
        };
        let q = match q {
            Some(q) => q,
            None => {
                let order = self.start_parcel(t);
                self.encode(order)
            }
        };
        Some(self.emit(t, q))
    }
}

/// The DXP id a generated carrier transmits with.
pub fn carrier_dxp(carrier: usize) -> String {
    format!("DXPLGS{carrier:010}")
}

/// `carrier_dxp`, made once per process for every carrier (every waybill names one).
fn shared_carrier_dxp(carrier: usize) -> Cow<'static, str> {
    static IDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let ids = IDS.get_or_init(|| (0..CARRIERS as usize).map(carrier_dxp).collect());
    match ids.get(carrier) {
        Some(id) => Cow::Borrowed(id),
        None => Cow::Owned(carrier_dxp(carrier)),
    }
}

/// Every DXP id the traffic is sent as: sellers, carriers and the supervised site.
pub fn dxp_ids(enterprises: u64) -> Vec<String> {
    (0..enterprises.clamp(1, 10_000))
        .map(parcels::dxp_id)
        .chain((0..CARRIERS as usize).map(carrier_dxp))
        .chain([SITE_DXP.to_string()])
        .collect()
}

fn seller_transfer(ent: u64) -> BaseTransfer<'static> {
    BaseTransfer {
        cop_code: Cow::Owned(parcels::enterprise_code(ent)),
        cop_name: Cow::Owned(parcels::enterprise_name(ent)),
        dxp_mode: "DXP".into(),
        dxp_id: Cow::Owned(parcels::dxp_id(ent)),
        note: None,
    }
}

/// Makes a generated parcel one of the run's: trade mode, platform, destination and the
/// business times of its four documents (order, payment receipt, waybill, list).
fn adapt(
    p: &mut Parcel,
    mode: &'static str,
    platform: u64,
    country: &'static str,
    at: &[NaiveDateTime; 4],
) {
    let order_type = match mode {
        "9710" => "B",
        "9810" => "W",
        _ => "E",
    };
    let [ebp, ebp_name, _] = parcels::enterprise(platform);
    let time = |i: usize| -> Cow<'static, str> { Cow::Owned(format14(at[i])) };

    let o = &mut p.order.documents[0].head;
    o.app_time = time(0);
    o.order_type = order_type.into();
    o.ebp_code = ebp.clone();
    o.ebp_name = ebp_name.clone();

    let r = &mut p.receipt.documents[0];
    r.app_time = time(1);
    r.accounting_date = time(1);
    r.ebp_code = ebp.clone();
    r.ebp_name = ebp_name.clone();

    p.waybill.documents[0].app_time = time(2);

    let l = &mut p.list.documents[0];
    l.head.app_time = time(3);
    l.head.ie_date = Cow::Owned(format8(at[3].date()));
    l.head.ebp_code = ebp;
    l.head.ebp_name = ebp_name;
    l.head.trade_mode = mode.into();
    l.head.country = country.into();
    l.head.pod = country.into();
    for item in &mut l.items {
        item.country = country.into();
    }
}

/// Breaks a parcel the way `fault` says.
fn break_parcel(p: &mut Parcel, fault: Fault) {
    match fault {
        Fault::Total => {
            if let Some(item) = p.list.documents[0].items.first_mut() {
                item.total_price += Decimal::ONE;
            }
        }
        Fault::Code => p.order.documents[0].head.currency = "999".into(),
        Fault::Mismatch => {
            let o = &mut p.order.documents[0];
            if let Some(item) = o.items.first_mut() {
                item.qty += Decimal::ONE;
                item.total_price = item.price * item.qty;
            }
            o.head.goods_value = o.items.iter().map(|i| i.total_price).sum();
            p.receipt.documents[0].charge = o.head.goods_value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rate: f64, secs: u64) -> Config {
        let start = NaiveDate::from_ymd_opt(2024, 12, 2)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap_or_default();
        let mut c = Config::new(7, rate, start);
        c.duration = Some(Duration::from_secs(secs));
        c
    }

    #[test]
    fn messages_are_due_in_order_and_each_parcel_goes_in_causal_order() {
        let all: Vec<Outgoing> = Traffic::new(config(500.0, 4)).collect();
        assert!(all.len() > 1500, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0].due <= w[1].due));
        assert!(all.iter().enumerate().all(|(i, o)| o.seq == i as u64 + 1));
        // For every parcel: order first, list last of its four.
        let mut seen: BTreeMap<u32, Vec<MessageType>> = BTreeMap::new();
        for o in &all {
            if let Some(p) = &o.parcel {
                seen.entry(p.id).or_default().push(o.kind);
            }
        }
        for kinds in seen.values() {
            assert_eq!(kinds[0], MessageType::Ceb303, "{kinds:?}");
            assert_eq!(*kinds.last().unwrap(), MessageType::Ceb603, "{kinds:?}");
        }
        // Every list's waybill is in a bill sent after the list: arrivals come last per bill.
        let kinds: Vec<MessageType> = all.iter().map(|o| o.kind).collect();
        for k in [
            MessageType::Ceb607,
            MessageType::Ceb507,
            MessageType::Ceb509,
        ] {
            assert!(kinds.contains(&k), "{k:?}");
        }
        assert_eq!(kinds.last(), Some(&MessageType::Ceb509));
        // Before 2024-12-15 the 9610 parcels carry a payment receipt.
        assert!(kinds.contains(&MessageType::Ceb403));
    }

    #[test]
    fn the_rate_holds_and_the_same_seed_gives_the_same_bytes() {
        let a: Vec<Outgoing> = Traffic::new(config(1000.0, 2)).collect();
        let in_time = a.iter().filter(|o| o.due < Duration::from_secs(2)).count();
        assert!((1990..=2000).contains(&in_time), "{in_time}");
        let b: Vec<Outgoing> = Traffic::new(config(1000.0, 2)).collect();
        assert!(a.iter().zip(&b).all(|(x, y)| x.body == y.body));
        let mut other = config(1000.0, 2);
        other.seed = 8;
        let c: Vec<Outgoing> = Traffic::new(other).collect();
        assert_ne!(a[0].body, c[0].body);
    }

    #[test]
    fn the_fault_share_is_kept() {
        let mut c = config(2000.0, 5);
        c.faults = 0.1;
        let all: Vec<Outgoing> = Traffic::new(c).collect();
        let lists: Vec<&ParcelRef> = all
            .iter()
            .filter(|o| o.kind == MessageType::Ceb603)
            .filter_map(|o| o.parcel.as_ref())
            .collect();
        let faulty = lists.iter().filter(|p| p.fault.is_some()).count();
        let share = faulty as f64 / lists.len() as f64;
        assert!((0.07..0.13).contains(&share), "{share}");
    }
}
