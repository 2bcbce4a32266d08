//! Links between the documents of one parcel, for the files checked together: the list
//! against its order, payment receipt and waybill (三单比对 within one run). Only documents
//! that passed every check themselves are remembered; the first one seen for a key wins.

use super::{Context, Out, Params, Place};
use crate::model::Message;
use crate::model::ids::Guid;
use crate::model::inventory::Inventory;
use crate::model::logistics::Logistics;
use crate::model::order::Order;
use crate::model::receipts::Receipts;
use compact_str::CompactString;
use hashbrown::{Equivalent, HashMap};
use rust_decimal::Decimal;

/// (ebpCode, orderNo) or (logisticsCode, logisticsNo).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Key(pub CompactString, pub CompactString);

/// A key borrowed from a document's fields: looks a `Key` up without building one. Hashes
/// as `Key` does (a `CompactString` hashes as its `str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyRef<'a>(pub &'a str, pub &'a str);

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

impl Key {
    pub fn as_ref(&self) -> KeyRef<'_> {
        KeyRef(&self.0, &self.1)
    }
}

impl KeyRef<'_> {
    pub fn to_owned(self) -> Key {
        Key(self.0.into(), self.1.into())
    }
}

/// What the other documents of the run say.
#[derive(Debug, Clone, Default)]
pub struct Related {
    pub orders: HashMap<Key, OrderFacts>,
    pub receipts: HashMap<Key, ReceiptFacts>,
    pub waybills: HashMap<Key, WaybillFacts>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OrderFacts {
    /// The order's own GUID, which its receipts (304) answer.
    pub guid: Guid,
    /// Who sent it (DXP id): its receipts go back there. Empty when not known.
    pub sender: CompactString,
    pub order_type: CompactString,
    pub ebc_code: CompactString,
    pub goods_value: Decimal,
    pub freight: Decimal,
    pub currency: CompactString,
    pub items: Vec<ItemFacts>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ItemFacts {
    pub gnum: i64,
    pub item_no: CompactString,
    pub qty: Decimal,
    pub total_price: Decimal,
    pub currency: CompactString,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReceiptFacts {
    pub guid: Guid,
    /// Who sent it (DXP id): its receipts go back there. Empty when not known.
    pub sender: CompactString,
    pub pay_no: Option<CompactString>,
    pub ebc_code: CompactString,
    pub charge: Decimal,
    pub currency: CompactString,
}

/// What the cross-check needs of a declaration list (kept by the engine while it waits).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ListFacts {
    pub ebp_code: CompactString,
    pub order_no: CompactString,
    pub ebc_code: CompactString,
    pub trade_mode: CompactString,
    pub logistics_code: CompactString,
    pub logistics_no: CompactString,
    pub gross_weight: Decimal,
    pub items: Vec<ItemFacts>,
}

impl ListFacts {
    pub fn of(list: &Inventory<'_>) -> Self {
        let h = &list.head;
        ListFacts {
            ebp_code: h.ebp_code.as_ref().into(),
            order_no: h.order_no.as_ref().into(),
            ebc_code: h.ebc_code.as_ref().into(),
            trade_mode: h.trade_mode.as_ref().into(),
            logistics_code: h.logistics_code.as_ref().into(),
            logistics_no: h.logistics_no.as_ref().into(),
            gross_weight: h.gross_weight,
            items: list
                .items
                .iter()
                .map(|i| ItemFacts {
                    gnum: i.gnum,
                    item_no: i.item_no.as_ref().into(),
                    qty: i.qty,
                    total_price: i.total_price,
                    currency: i.currency.as_ref().into(),
                })
                .collect(),
        }
    }

    pub fn order_key(&self) -> KeyRef<'_> {
        KeyRef(&self.ebp_code, &self.order_no)
    }

    pub fn waybill_key(&self) -> KeyRef<'_> {
        KeyRef(&self.logistics_code, &self.logistics_no)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WaybillFacts {
    pub guid: Guid,
    /// Who sent it (DXP id): its receipts go back there. Empty when not known.
    pub sender: CompactString,
    pub ebc_code: Option<CompactString>,
    pub gross_weight: Decimal,
}

/// The documents a list names, where known.
#[derive(Debug, Clone, Copy, Default)]
pub struct Named<'a> {
    pub order: Option<&'a OrderFacts>,
    pub receipt: Option<&'a ReceiptFacts>,
    pub waybill: Option<&'a WaybillFacts>,
}

impl Related {
    /// The documents of the run that `list` names.
    pub fn named(&self, list: &ListFacts) -> Named<'_> {
        Named {
            order: self.orders.get(&list.order_key()),
            receipt: self.receipts.get(&list.order_key()),
            waybill: self.waybills.get(&list.waybill_key()),
        }
    }

    /// Remembers the documents of `message` whose index `accepted` says passed their checks.
    /// Adds what `later` noted, keeping what was noted first when both know a key (as
    /// `note` does).
    pub fn absorb(&mut self, later: Related) {
        for (key, facts) in later.orders {
            self.orders.entry(key).or_insert(facts);
        }
        for (key, facts) in later.receipts {
            self.receipts.entry(key).or_insert(facts);
        }
        for (key, facts) in later.waybills {
            self.waybills.entry(key).or_insert(facts);
        }
    }

    pub fn note(&mut self, message: &Message<'_>, accepted: impl Fn(usize) -> bool) {
        let kept = |k: &usize| accepted(*k);
        match message {
            Message::Ceb303(m) => {
                for (_, order) in m.documents.iter().enumerate().filter(|(k, _)| kept(k)) {
                    let (key, facts) = OrderFacts::of(order);
                    self.orders.entry(key).or_insert(facts);
                }
            }
            Message::Ceb403(m) => {
                for (_, r) in m.documents.iter().enumerate().filter(|(k, _)| kept(k)) {
                    let (key, facts) = ReceiptFacts::of(r);
                    self.receipts.entry(key).or_insert(facts);
                }
            }
            Message::Ceb505(m) => {
                for (_, w) in m.documents.iter().enumerate().filter(|(k, _)| kept(k)) {
                    let (key, facts) = WaybillFacts::of(w);
                    self.waybills.entry(key).or_insert(facts);
                }
            }
            _ => {}
        }
    }
}

impl OrderFacts {
    /// The facts of an order and its key (ebpCode, orderNo).
    pub fn of(order: &Order<'_>) -> (Key, OrderFacts) {
        let h = &order.head;
        let facts = OrderFacts {
            guid: Guid::new(&h.guid),
            sender: CompactString::default(),
            order_type: h.order_type.as_ref().into(),
            ebc_code: h.ebc_code.as_ref().into(),
            goods_value: h.goods_value,
            freight: h.freight,
            currency: h.currency.as_ref().into(),
            items: order
                .items
                .iter()
                .map(|i| ItemFacts {
                    gnum: i.gnum,
                    item_no: i.item_no.as_ref().into(),
                    qty: i.qty,
                    total_price: i.total_price,
                    currency: i.currency.as_ref().into(),
                })
                .collect(),
        };
        (
            Key(h.ebp_code.as_ref().into(), h.order_no.as_ref().into()),
            facts,
        )
    }
}

impl ReceiptFacts {
    /// The facts of a payment receipt and its key (ebpCode, orderNo).
    pub fn of(r: &Receipts<'_>) -> (Key, ReceiptFacts) {
        let facts = ReceiptFacts {
            guid: Guid::new(&r.guid),
            sender: CompactString::default(),
            pay_no: r.pay_no.as_deref().map(Into::into),
            ebc_code: r.ebc_code.as_ref().into(),
            charge: r.charge,
            currency: r.currency.as_ref().into(),
        };
        (
            Key(r.ebp_code.as_ref().into(), r.order_no.as_ref().into()),
            facts,
        )
    }
}

impl WaybillFacts {
    /// The facts of a waybill and its key (logisticsCode, logisticsNo).
    pub fn of(w: &Logistics<'_>) -> (Key, WaybillFacts) {
        let facts = WaybillFacts {
            guid: Guid::new(&w.guid),
            sender: CompactString::default(),
            ebc_code: w.ebc_code.as_deref().map(Into::into),
            gross_weight: w.gross_weight,
        };
        (
            Key(
                w.logistics_code.as_ref().into(),
                w.logistics_no.as_ref().into(),
            ),
            facts,
        )
    }
}

/// The list against the documents it names, when the run has them.
pub(super) fn inventory(list: &Inventory<'_>, path: &str, ctx: &Context<'_>, out: &mut Out<'_>) {
    if let Some(related) = ctx.related {
        let facts = ListFacts::of(list);
        compare(&facts, path, related.named(&facts), ctx.params, out);
    }
}

/// The cross-check itself: a list against its order, payment receipt and waybill, where known.
pub(super) fn compare(
    list: &ListFacts,
    path: &str,
    named: Named<'_>,
    params: &Params,
    out: &mut Out<'_>,
) {
    let head = Place(path, "InventoryHead");
    if let Some(order) = named.order {
        order_type(
            &order.order_type,
            &list.trade_mode,
            &list.order_no,
            &head,
            out,
        );
        differ(
            out,
            "LINK-EBC",
            &head,
            "ebcCode",
            &order.ebc_code,
            &list.ebc_code,
            "订单",
            "order",
        );
        items(list, order, path, params, out);
        match named.receipt {
            Some(receipt) => {
                differ(
                    out,
                    "LINK-RECEIPT-EBC",
                    &head,
                    "ebcCode",
                    &receipt.ebc_code,
                    &list.ebc_code,
                    "收款单",
                    "payment receipt",
                );
                let due = order.goods_value + order.freight;
                if receipt.currency == order.currency
                    && (receipt.charge - due).abs() > params.amount_tolerance
                {
                    out.report(
                        "LINK-RECEIPT-AMOUNT",
                        format!("{head}/orderNo"),
                        &[],
                        format!("charge {}", receipt.charge),
                        format!("goodsValue + freight = {due}"),
                        format!("收款金额 {} 与订单商品价格加运费 {due} 不符。", receipt.charge),
                        format!("The amount received, {}, differs from the order's goods value plus freight, {due}.", receipt.charge),
                    );
                }
            }
            None => out.report(
                "TM-9610-RECEIPT",
                format!("{head}/orderNo"),
                &[],
                list.order_no.to_string(),
                "a payment receipt (CEB403) for this order".into(),
                format!("订单 {} 没有收款单。", list.order_no),
                format!("Order {} has no payment receipt.", list.order_no),
            ),
        }
    }
    if let Some(waybill) = named.waybill {
        if let Some(ebc) = &waybill.ebc_code {
            differ(
                out,
                "LINK-WAYBILL-EBC",
                &head,
                "ebcCode",
                ebc,
                &list.ebc_code,
                "运单",
                "waybill",
            );
        }
        let allowed = waybill.gross_weight * params.weight_tolerance;
        if (waybill.gross_weight - list.gross_weight).abs() > allowed {
            out.report(
                "LINK-WEIGHT",
                format!("{head}/grossWeight"),
                &[],
                list.gross_weight.to_string(),
                format!(
                    "the waybill's {} kg (± {})",
                    waybill.gross_weight,
                    allowed.round_dp(3)
                ),
                format!(
                    "清单毛重 {} 千克与运单毛重 {} 千克相差过大。",
                    list.gross_weight, waybill.gross_weight
                ),
                format!(
                    "The list's gross weight {} kg is far from the waybill's {} kg.",
                    list.gross_weight, waybill.gross_weight
                ),
            );
        }
    }
}

fn order_type(order_type: &str, mode: &str, order_no: &str, head: &Place<'_>, out: &mut Out<'_>) {
    let expected = match mode {
        "9610" => "E",
        "9710" => "B",
        "9810" => "W",
        _ => return,
    };
    if order_type != expected {
        out.report(
            "TM-ORDER-TYPE",
            format!("{head}/orderNo"),
            &[],
            format!("orderType {order_type}"),
            format!("orderType {expected} for trade mode {mode}"),
            format!("订单 {order_no} 的订单类型为 {order_type}，贸易方式 {mode} 要求 {expected}。"),
            format!(
                "Order {order_no} has orderType {order_type}; trade mode {mode} needs {expected}."
            ),
        );
    }
}

/// Each list item against the order item with the same `gnum`.
fn items(list: &ListFacts, order: &OrderFacts, path: &str, params: &Params, out: &mut Out<'_>) {
    for (j, item) in list.items.iter().enumerate() {
        let at = super::Nth(path, "InventoryList", j);
        let Some(ordered) = order.items.iter().find(|o| o.gnum == item.gnum) else {
            out.report_once(
                "LINK-ITEM-MISSING",
                format!("{at}/gnum"),
                item.gnum.to_string(),
                format!("one of the order's item numbers 1..{}", order.items.len()),
                format!("订单中没有序号为 {} 的商品。", item.gnum),
                format!("The order has no item number {}.", item.gnum),
            );
            continue;
        };
        differ(
            out,
            "LINK-ITEM-DIFF",
            &at,
            "itemNo",
            &ordered.item_no,
            &item.item_no,
            "订单",
            "order",
        );
        differ(
            out,
            "LINK-ITEM-DIFF",
            &at,
            "currency",
            &ordered.currency,
            &item.currency,
            "订单",
            "order",
        );
        if ordered.qty != item.qty {
            differ(
                out,
                "LINK-ITEM-DIFF",
                &at,
                "qty",
                &ordered.qty.to_string(),
                &item.qty.to_string(),
                "订单",
                "order",
            );
        }
        if (ordered.total_price - item.total_price).abs() > params.amount_tolerance {
            differ(
                out,
                "LINK-ITEM-DIFF",
                &at,
                "totalPrice",
                &ordered.total_price.to_string(),
                &item.total_price.to_string(),
                "订单",
                "order",
            );
        }
    }
}

/// Reports `field` when the list's value differs from the other document's, naming both.
#[allow(clippy::too_many_arguments)]
fn differ(
    out: &mut Out<'_>,
    code: &str,
    record: &dyn std::fmt::Display,
    field: &str,
    theirs: &str,
    ours: &str,
    doc_zh: &str,
    doc_en: &str,
) {
    if theirs == ours {
        return;
    }
    out.report_once(
        code,
        format!("{record}/{field}"),
        ours.to_string(),
        format!("{theirs}, as in the {doc_en}"),
        format!("清单的 {field} 为“{ours}”，{doc_zh}中为“{theirs}”。"),
        format!("The list's {field} is \"{ours}\" but the {doc_en} says \"{theirs}\"."),
    );
}
