//! 509 departure list (离境单) and its receipt 510 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 离境单表头: the carrier reports the means of transport left the country.
    DepartureHead = "DepartureHead" in CEB_NS, "离境单表头 departure list head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(18, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        traf_mode: Str<'a> = "trafMode", text(1, 1), 1..=1, "运输方式 transport mode";
        traf_name: Option<Str<'a>> = "trafName", text(0, 100), 0..=1, "运输工具名称 means of transport";
        voyage_no: Option<Str<'a>> = "voyageNo", text(0, 32), 0..=1, "航班航次号 voyage or flight no.";
        bill_no: Option<Str<'a>> = "billNo", text(0, 37), 0..=1, "提运单号 bill of lading or master AWB no.";
        leave_time: Str<'a> = "leaveTime", Kind::Time14, 1..=1, "离境时间 departure time";
        msg_count: i64 = "msgCount", int(9), 1..=1, "报文总数 messages after split, 1 if unsplit";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of this message from 1";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 离境单表体: one waybill that left.
    DepartureList = "DepartureList" in CEB_NS, "离境单表体 departed waybill" {
        gnum: i64 = "gnum", int(5), 1..=1, "序号 sequence from 1";
        total_package_no: Option<Str<'a>> = "totalPackageNo", text(0, 37), 0..=1, "总包号 master package no.";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no.";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// One departure list: head plus the waybills.
    Departure = "Departure" in CEB_NS, "离境单 departure list" {
        head: DepartureHead<'a> = "DepartureHead", record(DepartureHead::SCHEMA), 1..=1, "离境单表头 departure head";
        items: Vec<DepartureList<'a>> = "DepartureList", record(DepartureList::SCHEMA), 1..=UNBOUNDED, "离境单表体 departed waybills";
    }
}

business_root! {
    /// CEB509: departure lists.
    Ceb509Message = "CEB509Message", Departure, "Departure", "出口离境单报文 departure list message"
}

element! {
    /// 510 receipt for one departure list.
    DepartureReturn = "DepartureReturn" in CEB_NS, "离境单回执 departure list receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the list this answers";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Str<'a> = "preNo", text(18, 18), 1..=1, "预录入编号 e-port pre-entry no.";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of the message answered";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB510: departure list receipts.
    Ceb510Message = "CEB510Message", DepartureReturn, "DepartureReturn", "出口离境单回执报文 departure list receipt message"
}
