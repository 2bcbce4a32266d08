//! Seeded, realistic small parcels: the declaration list (1–3 items, spread-out values and
//! weights, many enterprises and destinations) and, for whole parcels, the order, payment
//! receipt and waybill that match it.

use crate::model::envelope::BaseTransfer;
use crate::model::inventory::{Ceb603Message, Inventory, InventoryHead, InventoryList};
use crate::model::logistics::{Ceb505Message, Logistics};
use crate::model::order::{Ceb303Message, Order, OrderHead, OrderList};
use crate::model::receipts::{Ceb403Message, Receipts};
use crate::model::registry::Registry;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A small deterministic generator (SplitMix64): the same seed gives the same corpus anywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A GUID in the spec's upper-case 8-4-4-4-12 form.
    pub fn guid(&mut self) -> String {
        let high = self.next_u64();
        guid_text(high, self.next_u64())
    }
}

/// The GUID of the 128 bits `high`, `low` in the spec's upper-case 8-4-4-4-12 form (the
/// text of `uuid::Uuid::from_u64_pair(high, low)`, upper-cased), written directly: a parcel
/// has eight of them.
pub fn guid_text(high: u64, low: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bits = (u128::from(high) << 64) | u128::from(low);
    let mut text = [b'-'; 36];
    let mut at = 0;
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            at += 1;
        }
        text[at] = HEX[((bits >> (124 - 4 * i)) & 0xF) as usize];
        at += 1;
    }
    // Only hex digits and hyphens were written.
    std::str::from_utf8(&text).unwrap_or_default().to_owned()
}

/// `prefix` and `n` zero-padded to `width` digits, as `format!("{prefix}{n:0width$}")`.
fn numbered(prefix: &str, n: u64, width: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + width);
    s.push_str(prefix);
    crate::model::time::push_padded(&mut s, n, width);
    s
}

/// (HS code, goods name, declared unit, legal unit, typical unit price in CNY)
const GOODS: &[(&str, &str, &str, &str, i64)] = &[
    ("6109100021", "棉制针织T恤衫", "011", "035", 4990),
    ("6204620021", "棉制女式长裤", "011", "035", 8900),
    ("8517629900", "蓝牙耳机", "007", "007", 12900),
    ("4202920000", "帆布手提包", "007", "007", 6800),
    ("9503008900", "塑料玩具", "011", "035", 2500),
    ("8504401400", "手机充电器", "007", "007", 3900),
    ("6404199000", "运动鞋", "025", "025", 15900),
    ("3304990099", "护肤霜", "007", "035", 9900),
];

/// Destination countries seen in CEB traffic (US, UK, Japan, Spain, Germany, Thailand …).
const COUNTRIES: &[&str] = &[
    "502", "303", "116", "312", "304", "136", "601", "501", "110", "132",
];

/// Carriers the parcels are spread over.
pub const CARRIERS: u64 = 20;

/// The payment enterprise of every generated parcel (a valid unified social credit code).
const PAYER: (&str, &str) = ("91440300MA5F3K2P8K", "深圳市汇付通支付服务有限公司");

/// The customs code of generated enterprise `ent` (< 10,000): a valid 10-character shape.
pub fn enterprise_code(ent: u64) -> String {
    format!("4403{:02}{:04}", 96 + ent % 4, ent % 10_000)
}

pub fn enterprise_name(ent: u64) -> String {
    format!("深圳跨境电商企业{ent}有限公司")
}

pub fn carrier_code(carrier: u64) -> String {
    format!("44031800{carrier:02}")
}

pub fn dxp_id(ent: u64) -> String {
    format!("DXPENT{ent:010}")
}

/// Enterprises a run may have (`--enterprises` is at most this).
const MAX_ENTERPRISES: u64 = 10_000;

/// The code, name and DXP id of each enterprise a run may pick and of each carrier, made once
/// per process: a parcel's documents borrow them instead of formatting and allocating each
/// (a dozen per parcel).
struct Names {
    enterprises: Vec<[String; 3]>,
    carriers: Vec<String>,
}

fn names() -> &'static Names {
    static NAMES: std::sync::OnceLock<Names> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| Names {
        enterprises: (0..MAX_ENTERPRISES)
            .map(|e| [enterprise_code(e), enterprise_name(e), dxp_id(e)])
            .collect(),
        carriers: (0..CARRIERS).map(carrier_code).collect(),
    })
}

/// Enterprise `ent`'s code, name and DXP id, borrowed from the table when it has them.
pub fn enterprise(ent: u64) -> [Cow<'static, str>; 3] {
    match names().enterprises.get(ent as usize) {
        Some([code, name, dxp]) => [code.into(), name.into(), dxp.into()],
        None => [enterprise_code(ent), enterprise_name(ent), dxp_id(ent)].map(Cow::Owned),
    }
}

/// Carrier `carrier`'s code, borrowed from the table when it has it.
fn carrier(carrier: u64) -> Cow<'static, str> {
    match names().carriers.get(carrier as usize) {
        Some(code) => code.into(),
        None => carrier_code(carrier).into(),
    }
}

/// The registry the generated traffic is valid against: every enterprise the generator may
/// pick (platform, seller, declarant and producer of its own parcels, with the 9810 filing),
/// every carrier (also declaring its own consolidations) and the operator of the supervised
/// site at 5314.
pub fn registry(enterprises: u64) -> Registry {
    use crate::model::registry::{Enterprise, Role};
    let mut registry = Registry::default();
    let entries = (0..enterprises.clamp(1, 10_000))
        .map(|ent| Enterprise {
            code: enterprise_code(ent),
            name: enterprise_name(ent),
            roles: vec![Role::Platform, Role::Ecommerce, Role::Agent, Role::Producer],
            dxp_id: Some(dxp_id(ent)),
            customs: Some("5314".into()),
            pilot_zone: Some("深圳".into()),
            filings: vec!["9810".into()],
            agents: Vec::new(),
        })
        .chain(std::iter::once(Enterprise {
            code: PAYER.0.into(),
            name: PAYER.1.into(),
            roles: vec![Role::Payment],
            dxp_id: None,
            customs: None,
            pilot_zone: Some("深圳".into()),
            filings: Vec::new(),
            agents: Vec::new(),
        }))
        .chain((0..CARRIERS).map(|c| Enterprise {
            code: carrier_code(c),
            name: format!("深圳市邮政速递{c}"),
            roles: vec![Role::Logistics, Role::Agent],
            dxp_id: None,
            customs: Some("5314".into()),
            pilot_zone: None,
            filings: Vec::new(),
            agents: Vec::new(),
        }))
        .chain(std::iter::once(Enterprise {
            code: super::bills::site_operator("5314"),
            name: super::bills::SITE_OPERATOR_NAME.into(),
            roles: vec![Role::Operator],
            dxp_id: None,
            customs: Some("5314".into()),
            pilot_zone: None,
            filings: Vec::new(),
            agents: Vec::new(),
        }));
    for e in entries {
        // Codes and DXP ids are distinct by construction, so insert cannot fail here.
        let _ = registry.insert(e);
    }
    registry
}

/// One declaration list message (one parcel) from enterprise `ent` of `enterprises`.
pub fn parcel_list(rng: &mut Rng, serial: u64, enterprises: u64) -> Ceb603Message<'static> {
    let ent = rng.below(enterprises.max(1));
    let [code, name, dxp] = enterprise(ent);
    let carrier = carrier(rng.below(CARRIERS));
    let country = *rng.pick(COUNTRIES);
    let items: Vec<InventoryList<'static>> = (0..1 + rng.below(3))
        .map(|i| {
            let (gcode, gname, unit, unit1, base) = *rng.pick(GOODS);
            let qty = Decimal::from(1 + rng.below(3));
            let cents = base / 2 + rng.below(base as u64) as i64;
            let price = Decimal::new(cents, 2);
            let net = Decimal::new(50 + rng.below(900) as i64, 3) * qty;
            InventoryList {
                gnum: i as i64 + 1,
                item_no: numbered("SKU", rng.below(1_000_000), 6).into(),
                gcode: gcode.into(),
                gname: gname.into(),
                gmodel: "无".into(),
                bar_code: "无".into(),
                country: country.into(),
                currency: "142".into(),
                qty,
                qty1: if unit == unit1 { qty } else { net },
                unit: unit.into(),
                unit1: unit1.into(),
                price,
                total_price: price * qty,
                ..InventoryList::default()
            }
        })
        .collect();
    let net: Decimal = items
        .iter()
        .map(|i| {
            if i.unit1 == "035" {
                i.qty1
            } else {
                Decimal::new(3, 1)
            }
        })
        .sum();
    let gross = net + Decimal::new(50 + rng.below(300) as i64, 3);
    let day = 1 + rng.below(28);
    let head = InventoryHead {
        guid: rng.guid().into(),
        app_type: "1".into(),
        app_time: {
            let mut t = numbered("202503", day, 2);
            for n in [rng.below(24), rng.below(60), rng.below(60)] {
                crate::model::time::push_padded(&mut t, n, 2);
            }
            t.into()
        },
        app_status: "2".into(),
        customs_code: "5314".into(),
        ebp_code: code.clone(),
        ebp_name: name.clone(),
        order_no: numbered("ORD", serial, 14).into(),
        logistics_code: carrier,
        logistics_name: "深圳市邮政速递".into(),
        logistics_no: numbered("YT", serial, 12).into(),
        cop_no: numbered("B", serial, 17).into(),
        ie_flag: "E".into(),
        port_code: "5314".into(),
        ie_date: numbered("202503", day, 2).into(),
        statistics_flag: "B".into(),
        agent_code: code.clone(),
        agent_name: name.clone(),
        ebc_code: code.clone(),
        ebc_name: name.clone(),
        owner_code: code.clone(),
        owner_name: name.clone(),
        trade_mode: "9610".into(),
        traf_mode: "4".into(),
        country: country.into(),
        pod: country.into(),
        freight: Decimal::ZERO,
        f_currency: "142".into(),
        f_flag: "3".into(),
        insured_fee: Decimal::ZERO,
        i_currency: "142".into(),
        i_flag: "3".into(),
        wrap_type: "2".into(),
        pack_no: 1,
        gross_weight: gross,
        net_weight: net,
        ..InventoryHead::default()
    };
    Ceb603Message {
        guid: rng.guid().into(),
        version: "1.0".into(),
        documents: vec![Inventory { head, items }],
        base_transfer: BaseTransfer {
            cop_code: code,
            cop_name: name,
            dxp_mode: "DXP".into(),
            dxp_id: dxp,
            note: None,
        },
        ..Ceb603Message::default()
    }
}

/// `count` encoded parcel lists from `seed`.
pub fn corpus(seed: u64, count: usize, enterprises: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| crate::ceb::encode(&parcel_list(&mut rng, i as u64 + 1, enterprises)))
        .collect()
}

/// The four documents of one parcel, consistent with each other: order (303), payment receipt
/// (403), waybill (505) and declaration list (603).
#[derive(Debug, Clone)]
pub struct Parcel {
    pub order: Ceb303Message<'static>,
    pub receipt: Ceb403Message<'static>,
    pub waybill: Ceb505Message<'static>,
    pub list: Ceb603Message<'static>,
}

impl Parcel {
    /// Its four messages in sending order: order, payment receipt, waybill, list.
    pub fn into_messages(self) -> [crate::model::Message<'static>; 4] {
        use crate::model::Message;
        [
            Message::Ceb303(self.order),
            Message::Ceb403(self.receipt),
            Message::Ceb505(self.waybill),
            Message::Ceb603(self.list),
        ]
    }
}

/// The documents of `parcels` whole parcels, shuffled so that a parcel's documents arrive in
/// any order and interleaved with others' (the engine's bench and profiles).
pub fn shuffled_documents(
    seed: u64,
    parcels: u64,
    enterprises: u64,
) -> Vec<crate::model::Message<'static>> {
    let mut rng = Rng::new(seed);
    let mut docs: Vec<_> = (1..=parcels)
        .flat_map(|serial| parcel(&mut rng, serial, enterprises).into_messages())
        .collect();
    for i in (1..docs.len()).rev() {
        docs.swap(i, rng.below(i as u64 + 1) as usize);
    }
    docs
}

/// A whole parcel: the list of `parcel_list` and the order, receipt and waybill it names.
pub fn parcel(rng: &mut Rng, serial: u64, enterprises: u64) -> Parcel {
    let list = parcel_list(rng, serial, enterprises);
    let h = &list.documents[0].head;
    let items = &list.documents[0].items;
    let goods_value: Decimal = items.iter().map(|i| i.total_price).sum();
    let order = Ceb303Message {
        guid: rng.guid().into(),
        version: "1.0".into(),
        documents: vec![Order {
            head: OrderHead {
                guid: rng.guid().into(),
                app_type: "1".into(),
                app_time: h.app_time.clone(),
                app_status: "2".into(),
                order_type: "E".into(),
                order_no: h.order_no.clone(),
                ebp_code: h.ebp_code.clone(),
                ebp_name: h.ebp_name.clone(),
                ebc_code: h.ebc_code.clone(),
                ebc_name: h.ebc_name.clone(),
                goods_value,
                freight: Decimal::ZERO,
                currency: "142".into(),
                note: None,
            },
            items: items
                .iter()
                .map(|i| OrderList {
                    gnum: i.gnum,
                    item_no: i.item_no.clone(),
                    item_name: i.gname.clone(),
                    unit: i.unit.clone(),
                    currency: i.currency.clone(),
                    qty: i.qty,
                    price: i.price,
                    total_price: i.total_price,
                    ..OrderList::default()
                })
                .collect(),
        }],
        base_transfer: list.base_transfer.clone(),
        ..Ceb303Message::default()
    };
    let receipt = Ceb403Message {
        guid: rng.guid().into(),
        version: "1.0".into(),
        documents: vec![Receipts {
            guid: rng.guid().into(),
            app_type: "1".into(),
            app_time: h.app_time.clone(),
            app_status: "2".into(),
            ebp_code: h.ebp_code.clone(),
            ebp_name: h.ebp_name.clone(),
            ebc_code: h.ebc_code.clone(),
            ebc_name: h.ebc_name.clone(),
            order_no: h.order_no.clone(),
            pay_code: Some(PAYER.0.into()),
            pay_name: PAYER.1.into(),
            pay_no: Some(numbered("PAY", serial, 16).into()),
            charge: goods_value,
            currency: "142".into(),
            accounting_date: h.app_time.clone(),
            note: None,
        }],
        base_transfer: list.base_transfer.clone(),
        ..Ceb403Message::default()
    };
    let goods_info: Vec<&str> = items.iter().map(|i| i.gname.as_ref()).collect();
    let waybill = Ceb505Message {
        guid: rng.guid().into(),
        version: "1.0".into(),
        documents: vec![Logistics {
            guid: rng.guid().into(),
            app_type: "1".into(),
            app_time: h.app_time.clone(),
            app_status: "2".into(),
            logistics_code: h.logistics_code.clone(),
            logistics_name: h.logistics_name.clone(),
            logistics_no: h.logistics_no.clone(),
            freight: h.freight,
            insured_fee: h.insured_fee,
            currency: "142".into(),
            gross_weight: h.gross_weight,
            pack_no: h.pack_no,
            goods_info: goods_info.join("、").into(),
            ebc_code: Some(h.ebc_code.clone()),
            ebc_name: Some(h.ebc_name.clone()),
            ebc_telephone: None,
            note: None,
        }],
        // The carrier transmits its own waybill.
        base_transfer: BaseTransfer {
            cop_code: h.logistics_code.clone(),
            cop_name: h.logistics_name.clone(),
            dxp_mode: "DXP".into(),
            dxp_id: numbered("DXPLGS", serial, 10).into(),
            note: None,
        },
        ..Ceb505Message::default()
    };
    Parcel {
        order,
        receipt,
        waybill,
        list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_numbers_are_written_as_before() {
        let mut rng = Rng::new(3);
        for (high, low) in [(0, 0), (u64::MAX, 1), (rng.next_u64(), rng.next_u64())] {
            let before = uuid::Uuid::from_u64_pair(high, low)
                .hyphenated()
                .to_string()
                .to_uppercase();
            assert_eq!(guid_text(high, low), before);
        }
        assert_eq!(numbered("ORD", 42, 14), format!("ORD{:014}", 42));
        assert_eq!(numbered("B", 123_456, 3), "B123456");
    }

    #[test]
    fn names_come_from_the_table_or_are_made() {
        for ent in [0, 49, MAX_ENTERPRISES - 1, MAX_ENTERPRISES, 123_456] {
            let [code, name, dxp] = enterprise(ent);
            assert_eq!(code, enterprise_code(ent));
            assert_eq!(name, enterprise_name(ent));
            assert_eq!(dxp, dxp_id(ent));
            assert_eq!(
                matches!(code, Cow::Borrowed(_)),
                ent < MAX_ENTERPRISES,
                "{ent}"
            );
        }
        assert_eq!(carrier(CARRIERS - 1), carrier_code(CARRIERS - 1));
        assert_eq!(carrier(CARRIERS + 5), carrier_code(CARRIERS + 5));
    }
}
