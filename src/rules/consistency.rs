//! Arithmetic and consistency inside one document: totals, weights, quantities, numbering.

use super::{Context, Nth, Out, Place};
use crate::model::Message;
use rust_decimal::Decimal;
use std::fmt::Display;

pub(super) fn check(
    message: &Message<'_>,
    k: usize,
    path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let tolerance = ctx.params.amount_tolerance;
    match message {
        Message::Ceb303(m) => {
            let Some(order) = m.documents.get(k) else {
                return;
            };
            let mut sum = Decimal::ZERO;
            for (j, item) in order.items.iter().enumerate() {
                let item_path = Nth(path, "OrderList", j);
                priced_item(
                    &item_path,
                    item.qty,
                    item.price,
                    item.total_price,
                    tolerance,
                    out,
                );
                sum += item.total_price;
            }
            gnum_sequence(path, "OrderList", order.items.iter().map(|i| i.gnum), out);
            let head = Place(path, "OrderHead");
            if (order.head.goods_value - sum).abs() > tolerance {
                out.report(
                    "SUM-GOODS-VALUE",
                    format!("{head}/goodsValue"),
                    &[&format!("{path}/OrderList")],
                    order.head.goods_value.to_string(),
                    format!("Σ totalPrice = {sum}"),
                    format!(
                        "商品价格 goodsValue 为 {}，表体总价合计为 {sum}。",
                        order.head.goods_value
                    ),
                    format!(
                        "goodsValue is {} but the items' totalPrice add up to {sum}.",
                        order.head.goods_value
                    ),
                );
            }
        }
        Message::Ceb603(m) => {
            let Some(list) = m.documents.get(k) else {
                return;
            };
            let head = Place(path, "InventoryHead");
            let h = &list.head;
            positive_weight(&head, "grossWeight", h.gross_weight, out);
            positive_weight(&head, "netWeight", h.net_weight, out);
            if h.net_weight > h.gross_weight {
                out.report(
                    "WEIGHT-NET-GROSS",
                    format!("{head}/netWeight"),
                    &[&format!("{head}/grossWeight")],
                    h.net_weight.to_string(),
                    format!("at most the gross weight {}", h.gross_weight),
                    format!(
                        "净重 {} 千克大于毛重 {} 千克。",
                        h.net_weight, h.gross_weight
                    ),
                    format!(
                        "The net weight {} kg exceeds the gross weight {} kg.",
                        h.net_weight, h.gross_weight
                    ),
                );
            }
            pack_count(&head, h.pack_no, out);
            for (j, item) in list.items.iter().enumerate() {
                let item_path = Nth(path, "InventoryList", j);
                priced_item(
                    &item_path,
                    item.qty,
                    item.price,
                    item.total_price,
                    tolerance,
                    out,
                );
                if item.unit == item.unit1 && item.qty != item.qty1 {
                    out.report(
                        "QTY-LEGAL-UNIT",
                        format!("{item_path}/qty1"),
                        &[
                            &format!("{item_path}/qty"),
                            &format!("{item_path}/unit"),
                            &format!("{item_path}/unit1"),
                        ],
                        item.qty1.to_string(),
                        format!("qty1 = qty = {}", item.qty),
                        format!(
                            "申报单位与法定单位同为 {}，法定数量 {} 应等于申报数量 {}。",
                            item.unit, item.qty1, item.qty
                        ),
                        format!(
                            "unit and unit1 are both {}, so qty1 ({}) must equal qty ({}).",
                            item.unit, item.qty1, item.qty
                        ),
                    );
                }
                second_unit(&item_path, item.unit2.as_deref(), item.qty2, out);
            }
            gnum_sequence(
                path,
                "InventoryList",
                list.items.iter().map(|i| i.gnum),
                out,
            );
        }
        Message::Ceb505(m) => {
            let Some(w) = m.documents.get(k) else { return };
            positive_weight(&path, "grossWeight", w.gross_weight, out);
            pack_count(&path, w.pack_no, out);
        }
        Message::Ceb507(m) => {
            let Some(a) = m.documents.get(k) else { return };
            gnum_sequence(path, "ArrivalList", a.items.iter().map(|i| i.gnum), out);
            message_sequence(
                &Place(path, "ArrivalHead"),
                a.head.msg_count,
                a.head.msg_seq_no,
                out,
            );
        }
        Message::Ceb509(m) => {
            let Some(d) = m.documents.get(k) else { return };
            gnum_sequence(path, "DepartureList", d.items.iter().map(|i| i.gnum), out);
            message_sequence(
                &Place(path, "DepartureHead"),
                d.head.msg_count,
                d.head.msg_seq_no,
                out,
            );
        }
        Message::Ceb607(m) => {
            let Some(w) = m.documents.get(k) else { return };
            let head = Place(path, "WayBillHead");
            positive_weight(&head, "grossWeight", w.head.gross_weight, out);
            gnum_sequence(path, "WayBillList", w.items.iter().map(|i| i.gnum), out);
            message_sequence(&head, w.head.msg_count, w.head.msg_seq_no, out);
        }
        Message::Ceb701(m) => {
            let Some(s) = m.documents.get(k) else { return };
            message_sequence(
                &Place(path, "SummaryApplyHead"),
                s.head.msg_count,
                s.head.msg_seq_no,
                out,
            );
        }
        Message::Ceb213(m) => {
            let Some(r) = m.documents.get(k) else { return };
            for (j, item) in r.items.iter().enumerate() {
                let item_path = Nth(path, "InvtRefundList", j);
                second_unit(&item_path, item.unit2.as_deref(), item.qty2, out);
            }
        }
        _ => {}
    }
}

/// totalPrice = qty × price, both prices above zero.
fn priced_item(
    path: &dyn Display,
    qty: Decimal,
    price: Decimal,
    total: Decimal,
    tolerance: Decimal,
    out: &mut Out<'_>,
) {
    for (field, value) in [("price", price), ("totalPrice", total)] {
        if value <= Decimal::ZERO {
            out.report(
                "POSITIVE-AMOUNT",
                format!("{path}/{field}"),
                &[],
                value.to_string(),
                "greater than 0".into(),
                format!("{field} 为 {value}。"),
                format!("{field} is {value}."),
            );
        }
    }
    let expected = qty.checked_mul(price);
    if expected.is_none_or(|e| (total - e).abs() > tolerance) {
        let shown =
            expected.map_or_else(|| "(too large)".to_string(), |e| e.normalize().to_string());
        out.report(
            "SUM-TOTAL-PRICE",
            format!("{path}/totalPrice"),
            &[&format!("{path}/qty"), &format!("{path}/price")],
            total.to_string(),
            format!("qty × price = {qty} × {price} = {shown} (tolerance {tolerance})"),
            format!("总价 {total} 不等于 数量 {qty} × 单价 {price} = {shown}。"),
            format!("totalPrice {total} is not qty {qty} × price {price} = {shown}."),
        );
    }
}

fn positive_weight(record: &dyn Display, field: &str, weight: Decimal, out: &mut Out<'_>) {
    if weight <= Decimal::ZERO {
        out.report(
            "WEIGHT-POSITIVE",
            format!("{record}/{field}"),
            &[],
            weight.to_string(),
            "greater than 0 kg".into(),
            format!("重量为 {weight} 千克。"),
            format!("The weight is {weight} kg."),
        );
    }
}

fn pack_count(record: &dyn Display, pack_no: i64, out: &mut Out<'_>) {
    if pack_no < 1 {
        out.report(
            "PACK-POSITIVE",
            format!("{record}/packNo"),
            &[],
            pack_no.to_string(),
            "at least 1".into(),
            format!("件数为 {pack_no}。"),
            format!("The package count is {pack_no}."),
        );
    }
}

/// `gnum` of the items named `item` under `path` must run 1..n.
fn gnum_sequence(path: &str, item: &str, gnums: impl Iterator<Item = i64>, out: &mut Out<'_>) {
    for (j, gnum) in gnums.enumerate() {
        let expected = j as i64 + 1;
        if gnum != expected {
            out.report(
                "SEQ-GNUM",
                format!("{path}/{item}[{}]/gnum", j + 1),
                &[],
                gnum.to_string(),
                expected.to_string(),
                format!("第{}项的序号应为 {expected}，实际为 {gnum}。", j + 1),
                format!("Item {} should be numbered {expected}, not {gnum}.", j + 1),
            );
            // One finding per list: the rest would only repeat the same shift.
            return;
        }
    }
}

fn second_unit(path: &dyn Display, unit2: Option<&str>, qty2: Option<Decimal>, out: &mut Out<'_>) {
    let has_unit = unit2.is_some_and(|u| !u.trim().is_empty());
    let problem = match (has_unit, qty2) {
        (true, None) => Some((
            "unit2",
            "qty2 greater than 0",
            "有第二单位但没有第二数量",
            "unit2 is given but qty2 is missing",
        )),
        (true, Some(q)) if q <= Decimal::ZERO => Some((
            "qty2",
            "qty2 greater than 0",
            "第二数量不大于0",
            "qty2 is not above 0",
        )),
        (false, Some(_)) => Some((
            "qty2",
            "no qty2 without unit2",
            "有第二数量但没有第二单位",
            "qty2 is given without unit2",
        )),
        _ => None,
    };
    if let Some((field, expected, zh, en)) = problem {
        let found = match field {
            "unit2" => unit2.unwrap_or_default().to_string(),
            _ => qty2.map(|q| q.to_string()).unwrap_or_default(),
        };
        out.report(
            "QTY-SECOND-UNIT",
            format!("{path}/{field}"),
            &[],
            found,
            expected.into(),
            format!("{zh}。"),
            format!("{en}."),
        );
    }
}

fn message_sequence(head: &dyn Display, count: i64, seq: i64, out: &mut Out<'_>) {
    if count < 1 || seq < 1 || seq > count {
        out.report(
            "SEQ-MESSAGE",
            format!("{head}/msgSeqNo"),
            &[&format!("{head}/msgCount")],
            format!("msgSeqNo {seq} of msgCount {count}"),
            "1 ≤ msgSeqNo ≤ msgCount".into(),
            format!("报文序号 {seq}、报文总数 {count} 不合规。"),
            format!("msgSeqNo {seq} with msgCount {count} is not valid."),
        );
    }
}
