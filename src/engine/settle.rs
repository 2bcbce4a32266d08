//! What leaves the engine's memory, when, and how a settled key is answered afterwards.
//!
//! A list leaves once it is finished with: closed (899) or cancelled, and with it the order
//! and waybill it settled, as one parcel record in the cold store (`cold`), exactly as they
//! were; refused or deleted, leaving its order and waybill to wait for another list. An order
//! or waybill that waits longer than the retention without a list leaves too. A document
//! naming a settled key brings its parcel back into memory first, so it is answered exactly
//! as if it had never left (a duplicate, a change refused, the same GUID again); it leaves
//! again at the next settle. A customs list number leaves a record of its own: numbers are
//! never given twice, and a cancellation of an old list is answered from it.

use super::cold::{self, Batch};
use super::{Engine, ListId, ListState, ListStatus, OrderSlot, WaybillSlot};
use crate::rules::links::{Key, KeyRef};
use chrono::{Duration, NaiveDateTime};
use compact_str::CompactString;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

/// The lists in memory, by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Lists {
    map: HashMap<ListId, ListState>,
    /// The id the next list gets.
    next: ListId,
}

impl Lists {
    pub fn get(&self, id: ListId) -> Option<&ListState> {
        self.map.get(&id)
    }

    /// Adds a list; its id.
    pub fn push(&mut self, list: ListState) -> ListId {
        self.next += 1;
        self.map.insert(self.next, list);
        self.next
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (ListId, &ListState)> {
        self.map.iter().map(|(id, l)| (*id, l))
    }
}

/// A list's id names a list in memory wherever it is used: an order, a waybill or a serial
/// that names a list is settled with it. (Timers may outlive it: they look first.)
impl std::ops::Index<ListId> for Lists {
    type Output = ListState;

    fn index(&self, id: ListId) -> &ListState {
        match self.map.get(&id) {
            Some(l) => l,
            None => panic!("list {id} is named but not in memory"),
        }
    }
}

impl std::ops::IndexMut<ListId> for Lists {
    fn index_mut(&mut self, id: ListId) -> &mut ListState {
        match self.map.get_mut(&id) {
            Some(l) => l,
            None => panic!("list {id} is named but not in memory"),
        }
    }
}

/// A parcel out of memory: its order slot and waybill slot (each with its key, when they
/// settled with it) and its list, exactly as they were in memory.
#[derive(Debug, Serialize, Deserialize)]
struct Parcel {
    order: Option<(Key, OrderSlot)>,
    waybill: Option<(Key, WaybillSlot)>,
    list: Option<ListState>,
}

/// A customs list number given out, and what became of its list (a cancellation is
/// answered from it; a number is never given twice).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SettledSerial {
    pub invt_no: String,
    pub ebc: CompactString,
    pub status: ListStatus,
}

/// Cold tables of the engine: parcels by number, order and waybill keys naming their
/// parcel, serials of list numbers.
const PARCELS: u8 = b'p';
const ORDERS: u8 = b'o';
const WAYBILLS: u8 = b'w';
const SERIALS: u8 = b's';

fn key_of(table: u8, key: KeyRef<'_>) -> Vec<u8> {
    cold::key(table, &[key.0.as_bytes(), key.1.as_bytes()])
}

fn serial_key(serial: u32) -> Vec<u8> {
    cold::key(SERIALS, &[&serial.to_be_bytes()])
}

fn parcel_key(number: u64) -> Vec<u8> {
    cold::key(PARCELS, &[&number.to_be_bytes()])
}

impl Engine {
    /// Where settled records go (without one, nothing leaves memory: `check`, `replay`).
    pub fn attach_cold(&mut self, store: std::sync::Arc<dyn cold::ColdStore>) {
        self.cold.attach(store);
    }

    pub(super) fn cold_mut(&mut self) -> &mut cold::Cold {
        &mut self.cold
    }

    /// Brings back into memory the parcel an order key settled with, if it is out of it: a
    /// document for it is then answered exactly as if it had never left.
    pub(super) fn bring_back_order(&mut self, key: KeyRef<'_>) {
        if !self.orders.contains_key(&key) && self.cold.attached() {
            self.bring_back(&key_of(ORDERS, key));
        }
    }

    /// Like `bring_back_order`, by waybill key.
    pub(super) fn bring_back_waybill(&mut self, key: KeyRef<'_>) {
        if !self.waybills.contains_key(&key) && self.cold.attached() {
            self.bring_back(&key_of(WAYBILLS, key));
        }
    }

    fn bring_back(&mut self, pointer: &[u8]) {
        let Some(number) = self.cold.read::<u64>(pointer) else {
            return;
        };
        let Some(parcel) = self.cold.read::<Parcel>(&parcel_key(number)) else {
            return;
        };
        let id = parcel.list.map(|list| {
            let serial = list.invt_no.map(|n| n.serial);
            let id = self.lists.push(list);
            if let Some(serial) = serial {
                self.stored.insert(serial, id);
            }
            id
        });
        // A key in memory again since is newer than what settled: it stays.
        if let Some((key, mut slot)) = parcel.order
            && !self.orders.contains_key(&key)
        {
            slot.list = id;
            self.orders.insert(key, slot);
        }
        if let Some((key, mut slot)) = parcel.waybill
            && !self.waybills.contains_key(&key)
        {
            slot.list = id;
            self.waybills.insert(key, slot);
        }
    }

    /// Where the list of a settled order stands (without bringing it back).
    pub(super) fn settled_list_status(&self, key: KeyRef<'_>) -> Option<ListStatus> {
        let number = self.cold.read::<u64>(&key_of(ORDERS, key))?;
        let parcel = self.cold.read::<Parcel>(&parcel_key(number))?;
        parcel.list.map(|l| l.status)
    }

    /// The settled record of a customs list number's serial not in memory.
    pub(super) fn settled_serial(&self, serial: u32) -> Option<SettledSerial> {
        if self.stored.contains_key(&serial) || !self.cold.attached() {
            return None;
        }
        self.cold.read(&serial_key(serial))
    }

    /// Takes out of memory what is finished with (see the module documentation); what it
    /// leaves behind, as records for the cold store. `retention`: how long an order or
    /// waybill waits for its list in memory, counted on the engine's time `now`.
    pub(super) fn settle(&mut self, now: NaiveDateTime, retention: Duration) -> Batch {
        let mut batch = Batch::new();
        if !self.cold.attached() {
            return batch;
        }
        let finished: Vec<ListId> = self
            .lists
            .map
            .iter()
            .filter(|(_, l)| l.status >= ListStatus::Closed)
            .map(|(id, _)| *id)
            .collect();
        for id in finished {
            self.settle_list(id, &mut batch);
        }
        let old = |touched: NaiveDateTime| now - touched > retention;
        let waiting: Vec<Key> = (self.orders.iter())
            .filter(|(_, s)| s.list.is_none() && old(s.touched))
            .map(|(k, _)| k.clone())
            .collect();
        for key in waiting {
            let slot = self.orders.remove(&key);
            let parcel = Parcel {
                order: slot.map(|s| (key, s)),
                waybill: None,
                list: None,
            };
            self.put_parcel(parcel, &mut batch);
        }
        let waiting: Vec<Key> = (self.waybills.iter())
            .filter(|(_, s)| s.list.is_none() && old(s.touched))
            .map(|(k, _)| k.clone())
            .collect();
        for key in waiting {
            let slot = self.waybills.remove(&key);
            let parcel = Parcel {
                order: None,
                waybill: slot.map(|s| (key, s)),
                list: None,
            };
            self.put_parcel(parcel, &mut batch);
        }
        batch
    }

    /// A parcel's records: the parcel under a new number, and its keys naming it.
    fn put_parcel(&mut self, parcel: Parcel, batch: &mut Batch) {
        self.parcels_settled += 1;
        let number = self.parcels_settled;
        if let Some((key, _)) = &parcel.order {
            batch.insert(key_of(ORDERS, key.as_ref()), cold::encode(&number));
        }
        if let Some((key, _)) = &parcel.waybill {
            batch.insert(key_of(WAYBILLS, key.as_ref()), cold::encode(&number));
        }
        batch.insert(parcel_key(number), cold::encode(&parcel));
    }

    /// A finished list leaves memory. Closed or cancelled, its order and waybill (if it is
    /// theirs) leave with it; refused or deleted, they stay to wait for another list, and
    /// no longer name it (a refused or deleted list counts for nothing there).
    fn settle_list(&mut self, id: ListId, batch: &mut Batch) {
        let Some(list) = self.lists.map.remove(&id) else {
            return;
        };
        let facts = &list.record.facts;
        let done = matches!(list.status, ListStatus::Closed | ListStatus::Cancelled);
        if let Some(n) = list.invt_no {
            self.stored.remove(&n.serial);
            let record = SettledSerial {
                invt_no: n.format(&list.record),
                ebc: facts.ebc_code.clone(),
                status: list.status,
            };
            batch.insert(serial_key(n.serial), cold::encode(&record));
        }
        let order_key = facts.order_key().to_owned();
        let waybill_key = facts.waybill_key().to_owned();
        let ours_order = self
            .orders
            .get(&order_key)
            .is_some_and(|s| s.list == Some(id));
        let ours_waybill = (self.waybills.get(&waybill_key)).is_some_and(|s| s.list == Some(id));
        if !done {
            if ours_order && let Some(slot) = self.orders.get_mut(&order_key) {
                slot.list = None;
            }
            if ours_waybill && let Some(slot) = self.waybills.get_mut(&waybill_key) {
                slot.list = None;
            }
            return;
        }
        let order = ours_order
            .then(|| self.orders.remove(&order_key))
            .flatten()
            .map(|s| (order_key, s));
        let waybill = ours_waybill
            .then(|| self.waybills.remove(&waybill_key))
            .flatten()
            .map(|s| (waybill_key, s));
        let parcel = Parcel {
            order,
            waybill,
            list: Some(list),
        };
        self.put_parcel(parcel, batch);
    }
}
