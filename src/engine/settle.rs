//! What leaves the engine's memory, when, and how a settled key is answered afterwards.
//!
//! A list leaves once it is finished with: closed (899) or cancelled, and with it the order
//! and waybill it settled; refused or deleted, leaving its order and waybill to wait for
//! another list. An order or waybill that waits longer than the retention without a list
//! leaves too. Each leaves a compact record in the cold store (`cold`): enough to answer a
//! document sent again (the same GUID changes nothing), a duplicate, a change or deletion
//! (refused: the key is settled), a cancellation of an old list, and to keep customs list
//! numbers unique. A settled key never comes back into memory.

use super::cold::{self, Batch};
use super::{Engine, ListId, ListState, ListStatus};
use crate::model::ids::Guid;
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

/// A settled document: who sent it and whose it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Doc {
    pub guid: Guid,
    pub ebc: CompactString,
}

/// A settled list, as its order or waybill remembers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SettledList {
    pub guid: Guid,
    pub ebc: CompactString,
    pub status: ListStatus,
}

/// A settled order key: its order, payment receipt and list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SettledOrder {
    pub order: Option<Doc>,
    pub payment: Option<Doc>,
    pub list: Option<SettledList>,
}

/// A settled waybill key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SettledWaybill {
    pub waybill: Option<Doc>,
    pub list: Option<SettledList>,
}

/// A customs list number given out, and what became of its list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SettledSerial {
    pub invt_no: String,
    pub ebc: CompactString,
    pub status: ListStatus,
}

/// Cold tables of the engine.
const ORDERS: u8 = b'o';
const WAYBILLS: u8 = b'w';
const SERIALS: u8 = b's';

fn key_of(table: u8, key: KeyRef<'_>) -> Vec<u8> {
    cold::key(table, &[key.0.as_bytes(), key.1.as_bytes()])
}

fn serial_key(serial: u32) -> Vec<u8> {
    cold::key(SERIALS, &[&serial.to_be_bytes()])
}

impl Engine {
    /// Where settled records go (without one, nothing leaves memory: `check`, `replay`).
    pub fn attach_cold(&mut self, store: std::sync::Arc<dyn cold::ColdStore>) {
        self.cold.attach(store);
    }

    pub(super) fn cold_mut(&mut self) -> &mut cold::Cold {
        &mut self.cold
    }

    /// The settled record of an order key not in memory.
    pub(super) fn settled_order(&self, key: KeyRef<'_>) -> Option<SettledOrder> {
        if self.orders.contains_key(&key) || !self.cold.attached() {
            return None;
        }
        self.cold.read(&key_of(ORDERS, key))
    }

    /// The settled record of a waybill key not in memory.
    pub(super) fn settled_waybill(&self, key: KeyRef<'_>) -> Option<SettledWaybill> {
        if self.waybills.contains_key(&key) || !self.cold.attached() {
            return None;
        }
        self.cold.read(&key_of(WAYBILLS, key))
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
            if let Some(slot) = self.orders.remove(&key) {
                let record = SettledOrder {
                    order: slot.order.map(|o| Doc {
                        guid: o.guid.clone(),
                        ebc: o.ebc_code.clone(),
                    }),
                    payment: slot.payment.map(|p| Doc {
                        guid: p.guid.clone(),
                        ebc: p.ebc_code.clone(),
                    }),
                    list: None,
                };
                batch.insert(key_of(ORDERS, key.as_ref()), cold::encode(&record));
            }
        }
        let waiting: Vec<Key> = (self.waybills.iter())
            .filter(|(_, s)| s.list.is_none() && old(s.touched))
            .map(|(k, _)| k.clone())
            .collect();
        for key in waiting {
            if let Some(slot) = self.waybills.remove(&key) {
                let record = SettledWaybill {
                    waybill: slot.waybill.map(|w| Doc {
                        guid: w.guid.clone(),
                        ebc: w.ebc_code.clone().unwrap_or_default(),
                    }),
                    list: None,
                };
                batch.insert(key_of(WAYBILLS, key.as_ref()), cold::encode(&record));
            }
        }
        batch
    }

    /// A finished list leaves memory. Closed or cancelled, its order and waybill (if it is
    /// theirs) leave with it; refused or deleted, they stay to wait for another list.
    fn settle_list(&mut self, id: ListId, batch: &mut Batch) {
        let Some(list) = self.lists.map.remove(&id) else {
            return;
        };
        let facts = &list.record.facts;
        let settled = SettledList {
            guid: list.record.guid.clone(),
            ebc: facts.ebc_code.clone(),
            status: list.status,
        };
        let done = matches!(list.status, ListStatus::Closed | ListStatus::Cancelled);
        let order_key = facts.order_key();
        if self
            .orders
            .get(&order_key)
            .is_some_and(|s| s.list == Some(id))
        {
            if done {
                if let Some(slot) = self.orders.remove(&order_key) {
                    let record = SettledOrder {
                        order: slot.order.map(|o| Doc {
                            guid: o.guid.clone(),
                            ebc: o.ebc_code.clone(),
                        }),
                        payment: slot.payment.map(|p| Doc {
                            guid: p.guid.clone(),
                            ebc: p.ebc_code.clone(),
                        }),
                        list: Some(settled.clone()),
                    };
                    batch.insert(key_of(ORDERS, order_key), cold::encode(&record));
                }
            } else if let Some(slot) = self.orders.get_mut(&order_key) {
                slot.list = None;
            }
        }
        let waybill_key = facts.waybill_key();
        if self
            .waybills
            .get(&waybill_key)
            .is_some_and(|s| s.list == Some(id))
        {
            if done {
                if let Some(slot) = self.waybills.remove(&waybill_key) {
                    let record = SettledWaybill {
                        waybill: slot.waybill.map(|w| Doc {
                            guid: w.guid.clone(),
                            ebc: w.ebc_code.clone().unwrap_or_default(),
                        }),
                        list: Some(settled.clone()),
                    };
                    batch.insert(key_of(WAYBILLS, waybill_key), cold::encode(&record));
                }
            } else if let Some(slot) = self.waybills.get_mut(&waybill_key) {
                slot.list = None;
            }
        }
        if let Some(n) = list.invt_no {
            self.stored.remove(&n.serial);
            let record = SettledSerial {
                invt_no: n.format(&list.record),
                ebc: facts.ebc_code.clone(),
                status: list.status,
            };
            batch.insert(serial_key(n.serial), cold::encode(&record));
        }
    }
}
