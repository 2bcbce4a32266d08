//! Export returns (2022 spec §2.3, 公告2020年第44号): 213 return list (退货申请单) with
//! receipt 214, and 215 return arrival (入区明细单) with receipt 216.

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 退货申请单表头: asks to bring back goods of a released export list.
    InvtRefundHead = "InvtRefundHead" in CEB_NS, "退货申请单表头 return application head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        loct_no: Option<Str<'a>> = "loctNo", text(0, 10), 0..=1, "监管场所代码 supervised site code";
        ebp_code: Str<'a> = "ebpCode", text(0, 18), 1..=1, "电商平台代码 platform code, as in the original list";
        ebp_name: Str<'a> = "ebpName", text(0, 100), 1..=1, "电商平台名称 e-commerce platform name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code, as in the original list";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        logistics_no: Str<'a> = "logisticsNo", text(0, 80), 1..=1, "物流运单编号 original or inbound waybill no.";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        co_el_no: Str<'a> = "coElNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(0, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "原出口清单编号 original export list no.";
        trade_mode: Option<Str<'a>> = "tradeMode", text(4, 4), 0..=1, "贸易方式 return trade mode 9661/1261";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        agent_name: Str<'a> = "agentName", text(0, 100), 1..=1, "申报企业名称 declaring enterprise name";
        bill_no: Str<'a> = "billNo", text(0, 37), 1..=1, "提运单号 bill of lading no., the waybill no. if none";
        ie_flag: Str<'a> = "ieFlag", text(0, 1), 1..=1, "进出口标记 I for a return";
        traf_mode: Str<'a> = "trafMode", text(0, 1), 1..=1, "运输方式 transport mode";
        traf_name: Str<'a> = "trafName", text(0, 100), 1..=1, "运输工具名称 means of transport";
        port_code: Str<'a> = "portCode", text(0, 4), 1..=1, "进境口岸 customs code of the port of entry";
        reason: Str<'a> = "reason", text(0, 500), 1..=1, "退货原因 reason for the return";
        country: Str<'a> = "country", text(0, 3), 1..=1, "启运国（地区） country the goods come back from";
        voyage_no: Str<'a> = "voyageNo", text(0, 32), 1..=1, "航班航次号 voyage or flight no.";
        note: Option<Str<'a>> = "note", text(0, 500), 0..=1, "备注 remark";
    }
}

element! {
    /// 退货申请单表体: one returned item of the original list.
    InvtRefundList = "InvtRefundList" in CEB_NS, "退货申请单表体 returned item" {
        gnum: i64 = "gnum", int(4), 1..=1, "商品序号 item no. in the original list";
        gcode: Str<'a> = "gcode", text(0, 10), 1..=1, "商品编码 HS code, as in the original list";
        gname: Str<'a> = "gname", text(0, 250), 1..=1, "商品名称 goods name";
        gmodel: Str<'a> = "gmodel", text(0, 250), 1..=1, "商品规格型号 specification and model";
        qty: rust_decimal::Decimal = "qty", N19_5, 1..=1, "申报数量 quantity, at most the original";
        qty1: rust_decimal::Decimal = "qty1", N19_5, 1..=1, "法定数量 first legal quantity";
        unit: Str<'a> = "unit", text(3, 3), 1..=1, "申报计量单位 declared unit";
        unit1: Str<'a> = "unit1", text(3, 3), 1..=1, "法定计量单位 legal unit";
        qty2: Option<rust_decimal::Decimal> = "qty2", N19_5, 0..=1, "第二数量 second legal quantity";
        unit2: Option<Str<'a>> = "unit2", text(3, 3), 0..=1, "第二计量单位 second legal unit";
        note: Option<Str<'a>> = "note", text(0, 500), 0..=1, "备注 remark";
    }
}

element! {
    /// One return application: head plus 1..100 items.
    InvtRefund = "InvtRefund" in CEB_NS, "退货申请单 return application" {
        head: InvtRefundHead<'a> = "InvtRefundHead", record(InvtRefundHead::SCHEMA), 1..=1, "退货申请单表头 application head";
        items: Vec<InvtRefundList<'a>> = "InvtRefundList", record(InvtRefundList::SCHEMA), 1..=100, "退货申请单表体 returned items";
    }
}

business_root! {
    /// CEB213: return applications.
    Ceb213Message = "CEB213Message", InvtRefund, "InvtRefund", "出口退货申请单报文 return application message"
}

element! {
    /// 214 receipt for one return application.
    RefundReturn = "RefundReturn" in CEB_NS, "退货申请单回执 return application receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the application this answers";
        ebp_code: Option<Str<'a>> = "ebpCode", text(0, 18), 0..=1, "电商平台代码 e-commerce platform code";
        ebc_code: Option<Str<'a>> = "ebcCode", text(0, 18), 0..=1, "电商企业代码 e-commerce enterprise code";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        co_el_no: Str<'a> = "coElNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(0, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "清单编号 customs inventory no.";
        return_status: Str<'a> = "returnStatus", text(0, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB214: return application receipts.
    Ceb214Message = "CEB214Message", RefundReturn, "RefundReturn", "出口退货申请单回执报文 return application receipt message"
}

element! {
    /// 入区明细单: the site operator reports a returned parcel came back in.
    InvtRefundDetail = "InvtRefundDetail" in CEB_NS, "退货入区明细单 return arrival" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        operator_code: Str<'a> = "operatorCode", text(0, 18), 1..=1, "监管场所经营人代码 supervised-site operator code";
        operator_name: Str<'a> = "operatorName", text(0, 100), 1..=1, "监管场所经营人名称 supervised-site operator name";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        logistics_no: Str<'a> = "logisticsNo", text(0, 80), 1..=1, "物流运单编号 waybill no.";
        invt_no: Option<Str<'a>> = "invtNo", text(0, 20), 0..=1, "清单编号 customs inventory no.";
        co_el_no: Str<'a> = "coElNo", text(0, 20), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(0, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        bill_no: Str<'a> = "billNo", text(0, 37), 1..=1, "提运单号 bill of lading no.";
        ie_flag: Str<'a> = "ieFlag", text(1, 1), 1..=1, "进出口标记 I for a return";
        traf_mode: Str<'a> = "trafMode", text(1, 1), 1..=1, "运输方式 transport mode";
        traf_name: Str<'a> = "trafName", text(0, 100), 1..=1, "运输工具名称 means of transport";
        voyage_no: Str<'a> = "voyageNo", text(0, 32), 1..=1, "航班航次号 voyage or flight no.";
        location: Option<Str<'a>> = "location", text(0, 250), 0..=1, "卸货或存放地点 unload or storage location";
        note: Option<Str<'a>> = "note", text(0, 250), 0..=1, "备注 remark";
    }
}

business_root! {
    /// CEB215: return arrivals.
    Ceb215Message = "CEB215Message", InvtRefundDetail, "InvtRefundDetail", "出口退货入区明细单报文 return arrival message"
}

element! {
    /// 216 receipt for one return arrival.
    InvtRefundDetailReturn = "InvtRefundDetailReturn" in CEB_NS, "退货入区明细单回执 return arrival receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the arrival this answers";
        operator_code: Str<'a> = "operatorCode", text(0, 18), 1..=1, "监管场所经营人代码 supervised-site operator code";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_no: Str<'a> = "logisticsNo", text(0, 80), 1..=1, "物流运单编号 waybill no.";
        co_el_no: Str<'a> = "coElNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(0, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        return_status: Str<'a> = "returnStatus", text(0, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB216: return arrival receipts.
    Ceb216Message = "CEB216Message", InvtRefundDetailReturn, "InvtRefundDetailReturn", "出口退货入区明细单回执报文 return arrival receipt message"
}
