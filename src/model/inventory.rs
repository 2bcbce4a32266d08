//! 603 export declaration list (申报清单) and its receipt 604 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 清单表头: one parcel's declaration list head.
    InventoryHead = "InventoryHead" in CEB_NS, "出口清单表头 declaration list head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        ebp_code: Str<'a> = "ebpCode", text(0, 18), 1..=1, "电商平台代码 e-commerce platform code";
        ebp_name: Str<'a> = "ebpName", text(0, 100), 1..=1, "电商平台名称 e-commerce platform name";
        order_no: Str<'a> = "orderNo", text(0, 60), 1..=1, "订单编号 platform order no.";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no.";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(18, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        invt_no: Option<Str<'a>> = "invtNo", text(0, 20), 0..=1, "清单编号 customs inventory no.";
        ie_flag: Str<'a> = "ieFlag", text(1, 1), 1..=1, "进出口标记 I import, E export";
        port_code: Str<'a> = "portCode", text(4, 4), 1..=1, "出口口岸代码 customs code of the port of exit";
        ie_date: Str<'a> = "ieDate", Kind::Date8, 1..=1, "出口日期 export date";
        statistics_flag: Str<'a> = "statisticsFlag", text(1, 1), 1..=1, "申报业务类型 A simplified, B summary declaration";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        agent_name: Str<'a> = "agentName", text(0, 100), 1..=1, "申报企业名称 declaring enterprise name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise (consignor) code";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        owner_code: Str<'a> = "ownerCode", text(0, 18), 1..=1, "生产销售单位代码 producer/seller code";
        owner_name: Str<'a> = "ownerName", text(0, 100), 1..=1, "生产销售单位名称 producer/seller name";
        iac_code: Option<Str<'a>> = "iacCode", text(0, 18), 0..=1, "区内企业代码 in-zone warehouse enterprise code";
        iac_name: Option<Str<'a>> = "iacName", text(0, 100), 0..=1, "区内企业名称 in-zone warehouse enterprise name";
        ems_no: Option<Str<'a>> = "emsNo", text(0, 30), 0..=1, "账册编号 account book no.";
        trade_mode: Str<'a> = "tradeMode", text(4, 4), 1..=1, "贸易方式 trade mode 9610/1210/9710/9810";
        traf_mode: Str<'a> = "trafMode", text(1, 1), 1..=1, "运输方式 transport mode";
        traf_name: Option<Str<'a>> = "trafName", text(0, 100), 0..=1, "运输工具名称 means of transport";
        voyage_no: Option<Str<'a>> = "voyageNo", text(0, 32), 0..=1, "航班航次号 voyage or flight no.";
        bill_no: Option<Str<'a>> = "billNo", text(0, 37), 0..=1, "提运单号 bill of lading or master AWB no.";
        total_package_no: Option<Str<'a>> = "totalPackageNo", text(0, 37), 0..=1, "总包号 master package no.";
        loct_no: Option<Str<'a>> = "loctNo", text(0, 10), 0..=1, "监管场所代码 supervised site code";
        license_no: Option<Str<'a>> = "licenseNo", text(0, 19), 0..=1, "许可证号 licence no.";
        country: Str<'a> = "country", text(3, 3), 1..=1, "运抵国（地区） country of arrival";
        pod: Str<'a> = "POD", text(3, 4), 1..=1, "指运港代码 port of destination";
        freight: rust_decimal::Decimal = "freight", N19_5, 1..=1, "运费 freight";
        f_currency: Str<'a> = "fCurrency", text(3, 3), 1..=1, "运费币制 freight currency";
        f_flag: Str<'a> = "fFlag", Kind::Fixed { value: "3" }, 1..=1, "运费标志 always 3, total amount";
        insured_fee: rust_decimal::Decimal = "insuredFee", N19_5, 1..=1, "保费 insurance fee";
        i_currency: Str<'a> = "iCurrency", text(3, 3), 1..=1, "保费币制 insurance currency";
        i_flag: Str<'a> = "iFlag", Kind::Fixed { value: "3" }, 1..=1, "保费标志 always 3, total amount";
        wrap_type: Str<'a> = "wrapType", text(1, 1), 1..=1, "包装种类代码 packaging type";
        pack_no: i64 = "packNo", int(9), 1..=1, "件数 number of packages";
        gross_weight: rust_decimal::Decimal = "grossWeight", N19_5, 1..=1, "毛重（公斤） gross weight, kg";
        net_weight: rust_decimal::Decimal = "netWeight", N19_5, 1..=1, "净重（公斤） net weight, kg";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 清单表体: one goods item of the list.
    InventoryList = "InventoryList" in CEB_NS, "出口清单表体 declaration list item" {
        gnum: i64 = "gnum", int(5), 1..=1, "商品序号 item sequence from 1, matches the order's gnum";
        item_no: Str<'a> = "itemNo", text(0, 20), 1..=1, "企业商品货号 enterprise SKU";
        item_record_no: Option<Str<'a>> = "itemRecordNo", text(0, 30), 0..=1, "账册备案料号 account-book item record no.";
        item_name: Option<Str<'a>> = "itemName", text(0, 250), 0..=1, "企业商品品名 enterprise item name";
        gcode: Str<'a> = "gcode", text(10, 10), 1..=1, "商品编码 HS code, 10 characters";
        gname: Str<'a> = "gname", text(0, 250), 1..=1, "商品名称 goods name";
        gmodel: Str<'a> = "gmodel", text(0, 250), 1..=1, "商品规格型号 specification and model";
        bar_code: Str<'a> = "barCode", text(0, 50), 1..=1, "条形码 barcode, 无 if none";
        country: Str<'a> = "country", text(3, 3), 1..=1, "最终目的国（地区） final destination country";
        currency: Str<'a> = "currency", text(3, 3), 1..=1, "币制 currency";
        qty: rust_decimal::Decimal = "qty", N19_5, 1..=1, "申报数量 declared quantity";
        qty1: rust_decimal::Decimal = "qty1", N19_5, 1..=1, "法定数量 first legal quantity";
        qty2: Option<rust_decimal::Decimal> = "qty2", N19_5, 0..=1, "第二数量 second legal quantity";
        unit: Str<'a> = "unit", text(3, 3), 1..=1, "申报计量单位 declared unit";
        unit1: Str<'a> = "unit1", text(3, 3), 1..=1, "法定计量单位 legal unit";
        unit2: Option<Str<'a>> = "unit2", text(0, 3), 0..=1, "第二计量单位 second legal unit";
        price: rust_decimal::Decimal = "price", N19_5, 1..=1, "单价 unit price";
        total_price: rust_decimal::Decimal = "totalPrice", N19_5, 1..=1, "总价 total price";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// One parcel's declaration list: head plus 1..100 items.
    Inventory = "Inventory" in CEB_NS, "出口清单 export declaration list" {
        head: InventoryHead<'a> = "InventoryHead", record(InventoryHead::SCHEMA), 1..=1, "清单表头 list head";
        items: Vec<InventoryList<'a>> = "InventoryList", record(InventoryList::SCHEMA), 1..=100, "清单表体 list items";
    }
}

business_root! {
    /// CEB603: export declaration lists.
    Ceb603Message = "CEB603Message", Inventory, "Inventory", "出口清单数据报文 export declaration list message"
}

element! {
    /// 604 receipt for one declaration list.
    InventoryReturn = "InventoryReturn" in CEB_NS, "出口清单回执 declaration list receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the list this answers";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Str<'a> = "preNo", text(18, 18), 1..=1, "预录入编号 e-port pre-entry no.";
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "清单编号 customs inventory no.";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        ebp_code: Str<'a> = "ebpCode", text(0, 18), 1..=1, "电商平台代码 e-commerce platform code";
        order_no: Str<'a> = "orderNo", text(0, 60), 1..=1, "订单编号 platform order no.";
        statistics_flag: Str<'a> = "statisticsFlag", text(1, 1), 1..=1, "申报业务类型 A simplified, B summary declaration";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB604: declaration list receipts.
    Ceb604Message = "CEB604Message", InventoryReturn, "InventoryReturn", "出口清单回执报文 declaration list receipt message"
}
