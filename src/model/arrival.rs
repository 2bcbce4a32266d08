//! 507 arrival report (运抵单) and its receipt 508 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 运抵单表头: the site operator reports a batch arrived at the supervised site.
    ArrivalHead = "ArrivalHead" in CEB_NS, "运抵单表头 arrival report head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(18, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        operator_code: Str<'a> = "operatorCode", text(0, 18), 1..=1, "监管场所经营人代码 supervised-site operator code";
        operator_name: Str<'a> = "operatorName", text(0, 100), 1..=1, "监管场所经营人名称 supervised-site operator name";
        loct_no: Option<Str<'a>> = "loctNo", text(0, 10), 0..=1, "监管场所代码 supervised site code";
        ie_flag: Str<'a> = "ieFlag", text(1, 1), 1..=1, "进出口标记 I import, E export";
        traf_mode: Str<'a> = "trafMode", text(1, 1), 1..=1, "运输方式 transport mode";
        bill_no: Option<Str<'a>> = "billNo", text(0, 37), 0..=1, "提运单号 bill of lading or master AWB no.";
        domestic_traf_no: Str<'a> = "domesticTrafNo", text(0, 100), 1..=1, "境内运输工具编号 domestic vehicle no.";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        logistics_name: Str<'a> = "logisticsName", text(0, 100), 1..=1, "物流企业名称 logistics enterprise name";
        msg_count: i64 = "msgCount", int(9), 1..=1, "报文总数 messages after split, 1 if unsplit";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of this message from 1";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 运抵单表体: one waybill that arrived.
    ArrivalList = "ArrivalList" in CEB_NS, "运抵单表体 arrived waybill" {
        gnum: i64 = "gnum", int(5), 1..=1, "序号 sequence from 1";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no.";
        total_package_no: Option<Str<'a>> = "totalPackageNo", text(0, 37), 0..=1, "总包号 master package no.";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// One arrival report: head plus the waybills.
    Arrival = "Arrival" in CEB_NS, "运抵单 arrival report" {
        head: ArrivalHead<'a> = "ArrivalHead", record(ArrivalHead::SCHEMA), 1..=1, "运抵单表头 arrival head";
        items: Vec<ArrivalList<'a>> = "ArrivalList", record(ArrivalList::SCHEMA), 0..=UNBOUNDED, "运抵单表体 arrived waybills";
    }
}

business_root! {
    /// CEB507: arrival reports.
    Ceb507Message = "CEB507Message", Arrival, "Arrival", "出口运抵单报文 arrival report message"
}

element! {
    /// 508 receipt for one arrival report.
    ArrivalReturn = "ArrivalReturn" in CEB_NS, "运抵单回执 arrival report receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the report this answers";
        operator_code: Str<'a> = "operatorCode", text(0, 18), 1..=1, "监管场所经营人代码 supervised-site operator code";
        logistics_code: Str<'a> = "logisticsCode", text(0, 18), 1..=1, "物流企业代码 logistics enterprise code";
        pre_no: Str<'a> = "preNo", text(18, 18), 1..=1, "预录入编号 e-port pre-entry no.";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        bill_no: Str<'a> = "billNo", text(0, 37), 1..=1, "提运单号 bill of lading no.";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of the message answered";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB508: arrival report receipts.
    Ceb508Message = "CEB508Message", ArrivalReturn, "ArrivalReturn", "出口运抵单回执报文 arrival report receipt message"
}
