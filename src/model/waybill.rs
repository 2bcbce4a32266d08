//! 607 consolidation list (总分单) and its receipt 608 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 总分单表头: ties a master bill to the parcels' waybills.
    WayBillHead = "WayBillHead" in CEB_NS, "总分单表头 consolidation head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(18, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        agent_name: Str<'a> = "agentName", text(0, 100), 1..=1, "申报企业名称 declaring enterprise name";
        loct_no: Option<Str<'a>> = "loctNo", text(0, 10), 0..=1, "监管场所代码 supervised site code";
        traf_mode: Str<'a> = "trafMode", text(1, 1), 1..=1, "运输方式 transport mode";
        traf_name: Str<'a> = "trafName", text(0, 100), 1..=1, "运输工具名称 means of transport";
        voyage_no: Str<'a> = "voyageNo", text(0, 32), 1..=1, "航班航次号 voyage or flight no.";
        bill_no: Str<'a> = "billNo", text(0, 37), 1..=1, "提运单号 bill of lading or master AWB no.";
        domestic_traf_no: Option<Str<'a>> = "domesticTrafNo", text(0, 100), 0..=1, "境内运输工具编号 domestic vehicle no.";
        gross_weight: rust_decimal::Decimal = "grossWeight", N19_5, 1..=1, "毛重（公斤） gross weight, kg";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        msg_count: i64 = "msgCount", int(9), 1..=1, "报文总数 messages after split, 1 if unsplit";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of this message from 1";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 总分单表体: one parcel waybill under the master bill.
    WayBillList = "WayBillList" in CEB_NS, "总分单表体 consolidated waybill" {
        gnum: i64 = "gnum", int(5), 1..=1, "序号 sequence from 1";
        total_package_no: Option<Str<'a>> = "totalPackageNo", text(0, 60), 0..=1, "总包号 master package no.";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no.";
        invt_no: Option<Str<'a>> = "invtNo", text(0, 20), 0..=1, "清单编号 original export list no., for returned goods";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// One consolidation: head plus the waybills.
    WayBill = "WayBill" in CEB_NS, "总分单 consolidation list" {
        head: WayBillHead<'a> = "WayBillHead", record(WayBillHead::SCHEMA), 1..=1, "总分单表头 consolidation head";
        items: Vec<WayBillList<'a>> = "WayBillList", record(WayBillList::SCHEMA), 1..=UNBOUNDED, "总分单表体 consolidated waybills";
    }
}

business_root! {
    /// CEB607: consolidation lists.
    Ceb607Message = "CEB607Message", WayBill, "WayBill", "出口总分单报文 consolidation message"
}

element! {
    /// 608 receipt for one consolidation.
    WayBillReturn = "WayBillReturn" in CEB_NS, "总分单回执 consolidation receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the consolidation this answers";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Str<'a> = "preNo", text(18, 18), 1..=1, "预录入编号 e-port pre-entry no.";
        bill_no: Str<'a> = "billNo", text(0, 37), 1..=1, "提运单号 bill of lading no.";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of the message answered";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB608: consolidation receipts.
    Ceb608Message = "CEB608Message", WayBillReturn, "WayBillReturn", "出口总分单回执报文 consolidation receipt message"
}
