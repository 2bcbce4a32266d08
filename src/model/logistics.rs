//! 505 export waybill (物流运单) and its receipt 506 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 运单: one parcel's waybill.
    Logistics = "Logistics" in CEB_NS, "物流运单 waybill" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no., unique per carrier within 6 months";
        freight: rust_decimal::Decimal = "freight", N19_5, 1..=1, "运费 freight";
        insured_fee: rust_decimal::Decimal = "insuredFee", N19_5, 1..=1, "保价费 insurance fee";
        currency: Str<'a> = "currency", text(3, 3), 1..=1, "币制 currency";
        gross_weight: rust_decimal::Decimal = "grossWeight", N19_5, 1..=1, "毛重（公斤） gross weight, kg";
        pack_no: i64 = "packNo", int(9), 1..=1, "件数 number of packages";
        goods_info: Str<'a> = "goodsInfo", text(0, 200), 1..=1, "主要货物信息 main goods information";
        ebc_code: Option<Str<'a>> = "ebcCode", text(0, 18), 0..=1, "电商企业代码 e-commerce enterprise code";
        ebc_name: Option<Str<'a>> = "ebcName", text(0, 100), 0..=1, "电商企业名称 e-commerce enterprise name";
        ebc_telephone: Option<Str<'a>> = "ebcTelephone", text(0, 50), 0..=1, "电商企业电话 e-commerce enterprise phone";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

business_root! {
    /// CEB505: export waybills.
    Ceb505Message = "CEB505Message", Logistics, "Logistics", "出口运单报文 export waybill message"
}

element! {
    /// 506 receipt for one waybill.
    LogisticsReturn = "LogisticsReturn" in CEB_NS, "运单回执 waybill receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the waybill this answers";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no.";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB506: waybill receipts.
    Ceb506Message = "CEB506Message", LogisticsReturn, "LogisticsReturn", "出口运单回执报文 waybill receipt message"
}
