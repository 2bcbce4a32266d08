//! 303 e-commerce order (电子订单) and its receipt 304 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 订单表头: one order's head.
    OrderHead = "OrderHead" in CEB_NS, "电子订单表头 order head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        order_type: Str<'a> = "orderType", text(1, 1), 1..=1, "订单类型 E B2C export, B B2B export, W overseas-warehouse booking";
        order_no: Str<'a> = "orderNo", text(0, 60), 1..=1, "订单编号 platform order no.";
        ebp_code: Str<'a> = "ebpCode", text(0, 18), 1..=1, "电商平台代码 e-commerce platform code";
        ebp_name: Str<'a> = "ebpName", text(0, 100), 1..=1, "电商平台名称 e-commerce platform name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        goods_value: rust_decimal::Decimal = "goodsValue", N19_5, 1..=1, "商品价格 goods value, FOB";
        freight: rust_decimal::Decimal = "freight", N19_5, 1..=1, "运杂费 freight, 0 if none";
        currency: Str<'a> = "currency", text(3, 3), 1..=1, "币制 currency";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 订单表体: one goods item of the order.
    OrderList = "OrderList" in CEB_NS, "电子订单表体 order item" {
        gnum: i64 = "gnum", int(5), 1..=1, "商品序号 item sequence from 1";
        item_no: Str<'a> = "itemNo", text(0, 30), 1..=1, "企业商品货号 enterprise SKU";
        item_name: Str<'a> = "itemName", text(0, 250), 1..=1, "企业商品名称 enterprise item name";
        item_describe: Option<Str<'a>> = "itemDescribe", text(0, 1000), 0..=1, "企业商品描述 item description";
        bar_code: Option<Str<'a>> = "barCode", text(0, 50), 0..=1, "条形码 barcode";
        unit: Str<'a> = "unit", text(3, 3), 1..=1, "计量单位 declared unit";
        currency: Str<'a> = "currency", text(3, 3), 1..=1, "币制 currency";
        qty: rust_decimal::Decimal = "qty", N19_5, 1..=1, "数量 quantity";
        price: rust_decimal::Decimal = "price", N19_5, 1..=1, "单价 unit price";
        total_price: rust_decimal::Decimal = "totalPrice", N19_5, 1..=1, "总价 total price";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// One order: head plus 1..100 items.
    Order = "Order" in CEB_NS, "电子订单 e-commerce order" {
        head: OrderHead<'a> = "OrderHead", record(OrderHead::SCHEMA), 1..=1, "订单表头 order head";
        items: Vec<OrderList<'a>> = "OrderList", record(OrderList::SCHEMA), 1..=100, "订单表体 order items";
    }
}

business_root! {
    /// CEB303: export orders.
    Ceb303Message = "CEB303Message", Order, "Order", "出口电子订单报文 export order message"
}

element! {
    /// 304 receipt for one order.
    OrderReturn = "OrderReturn" in CEB_NS, "电子订单回执 order receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the order this answers";
        ebp_code: Str<'a> = "ebpCode", text(0, 18), 1..=1, "电商平台代码 e-commerce platform code";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        order_no: Str<'a> = "orderNo", text(0, 60), 1..=1, "订单编号 platform order no.";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB304: order receipts.
    Ceb304Message = "CEB304Message", OrderReturn, "OrderReturn", "出口电子订单回执报文 order receipt message"
}
