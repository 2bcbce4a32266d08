//! 403 payment receipt (收款单) and its receipt 404 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 收款单: the money received for one order.
    Receipts = "Receipts" in CEB_NS, "收款单 payment receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        ebp_code: Str<'a> = "ebpCode", text(0, 18), 1..=1, "电商平台代码 e-commerce platform code";
        ebp_name: Str<'a> = "ebpName", text(0, 100), 1..=1, "电商平台名称 e-commerce platform name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        order_no: Str<'a> = "orderNo", text(0, 60), 1..=1, "订单编号 platform order no.";
        pay_code: Option<Str<'a>> = "payCode", text(0, 18), 0..=1, "支付企业代码 payment enterprise code, required for domestic payers";
        pay_name: Str<'a> = "payName", text(0, 100), 1..=1, "支付企业名称 payment enterprise name, 现金支付 if offline";
        pay_no: Option<Str<'a>> = "payNo", text(0, 60), 0..=1, "支付交易编号 payment transaction no.";
        charge: rust_decimal::Decimal = "charge", N19_5, 1..=1, "收款金额 amount received";
        currency: Str<'a> = "currency", text(3, 3), 1..=1, "币制 currency";
        accounting_date: Str<'a> = "accountingDate", Kind::Time14, 1..=1, "到账时间 funds arrival time";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

business_root! {
    /// CEB403: payment receipts.
    Ceb403Message = "CEB403Message", Receipts, "Receipts", "收款单报文 payment receipt message"
}

element! {
    /// 404 receipt for one payment receipt.
    ReceiptsReturn = "ReceiptsReturn" in CEB_NS, "收款单回执 payment receipt answer" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the document this answers";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        order_no: Str<'a> = "orderNo", text(0, 60), 1..=1, "订单编号 platform order no.";
        pay_no: Option<Str<'a>> = "payNo", text(0, 60), 0..=1, "支付交易编号 payment transaction no.";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB404: payment receipt answers.
    Ceb404Message = "CEB404Message", ReceiptsReturn, "ReceiptsReturn", "收款单回执报文 payment receipt answer message"
}
