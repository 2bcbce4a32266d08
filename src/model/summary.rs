//! 701 summary application (汇总申请单), its receipt 702 and the summary result 792 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 汇总申请单表头: asks customs to merge released lists into one goods declaration.
    SummaryApplyHead = "SummaryApplyHead" in CEB_NS, "汇总申请单表头 summary application head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(0, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        sum_no: Option<Str<'a>> = "sumNo", text(0, 18), 0..=1, "汇总申请编号 customs summary application no.";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        agent_name: Str<'a> = "agentName", text(0, 100), 1..=1, "申报企业名称 declaring enterprise name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        decl_agent_code: Str<'a> = "declAgentCode", text(0, 18), 1..=1, "报关单位代码 customs broker code";
        decl_agent_name: Str<'a> = "declAgentName", text(0, 100), 1..=1, "报关单位名称 customs broker name";
        start_time: Option<Str<'a>> = "startTime", Kind::Time14, 0..=1, "汇总开始时间 summary window start";
        end_time: Option<Str<'a>> = "endTime", Kind::Time14, 0..=1, "汇总结束时间 summary window end";
        loct_no: Option<Str<'a>> = "loctNo", text(0, 10), 0..=1, "监管场所代码 supervised site code";
        summary_flag: Str<'a> = "summaryFlag", text(1, 1), 1..=1, "汇总申请类型 1 by consignor, 2 by consignor and producer/seller";
        item_name_flag: Str<'a> = "itemNameFlag", text(1, 1), 1..=1, "商品名称汇总标志 1 by original item name";
        msg_count: i64 = "msgCount", int(9), 1..=1, "报文总数 messages after split, 1 if unsplit";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of this message from 1";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 汇总申请单表体: one released list to merge.
    SummaryApplyList = "SummaryApplyList" in CEB_NS, "汇总申请单表体 list to summarise" {
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "清单编号 customs inventory no.";
    }
}

element! {
    /// One summary application: head plus the lists.
    SummaryApply = "SummaryApply" in CEB_NS, "汇总申请单 summary application" {
        head: SummaryApplyHead<'a> = "SummaryApplyHead", record(SummaryApplyHead::SCHEMA), 1..=1, "汇总申请单表头 application head";
        items: Vec<SummaryApplyList<'a>> = "SummaryApplyList", record(SummaryApplyList::SCHEMA), 0..=UNBOUNDED, "汇总申请单表体 lists to summarise";
    }
}

business_root! {
    /// CEB701: summary applications.
    Ceb701Message = "CEB701Message", SummaryApply, "SummaryApply", "汇总申请单报文 summary application message"
}

element! {
    /// 702 receipt for one summary application.
    SummaryReturn = "SummaryReturn" in CEB_NS, "汇总申请单回执 summary application receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the application this answers";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Str<'a> = "preNo", text(18, 18), 1..=1, "预录入编号 e-port pre-entry no.";
        sum_no: Option<Str<'a>> = "sumNo", text(18, 18), 0..=1, "汇总申请编号 customs summary application no.";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of the message answered";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB702: summary application receipts.
    Ceb702Message = "CEB702Message", SummaryReturn, "SummaryReturn", "汇总申请单回执报文 summary application receipt message"
}

element! {
    /// 汇总结果单表头: the summary customs formed, one per goods declaration.
    SummaryResultHead = "SummaryResultHead" in CEB_NS, "汇总结果单表头 summary result head" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        sum_no: Str<'a> = "sumNo", text(18, 18), 1..=1, "汇总申请编号 summary application no.";
        op_date: Str<'a> = "opDate", Kind::Time17, 1..=1, "汇总处理时间 summary processing time";
        decl_seq_no: Str<'a> = "declSeqNo", text(18, 18), 1..=1, "汇总统一编号 summary unified no., one per goods declaration";
        dec_tmp_no: Option<Str<'a>> = "decTmpNo", text(18, 18), 0..=1, "报关单暂存编号 goods declaration temp no.";
        dec_pre_no: Option<Str<'a>> = "decPreNo", text(18, 18), 0..=1, "报关单预录入编号 goods declaration pre-entry no.";
        entry_id: Option<Str<'a>> = "entryId", text(18, 18), 0..=1, "报关单号 goods declaration no.";
        dec_state: Str<'a> = "decState", text(1, 3), 1..=1, "报关单状态 goods declaration status";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        agent_name: Str<'a> = "agentName", text(0, 100), 1..=1, "申报企业名称 declaring enterprise name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        decl_agent_code: Str<'a> = "declAgentCode", text(0, 18), 1..=1, "报关单位代码 customs broker code";
        decl_agent_name: Str<'a> = "declAgentName", text(0, 100), 1..=1, "报关单位名称 customs broker name";
        gross_weight: rust_decimal::Decimal = "grossWeight", N19_5, 1..=1, "毛重（公斤） gross weight, kg";
        net_weight: rust_decimal::Decimal = "netWeight", N19_5, 1..=1, "净重（公斤） net weight, kg";
        msg_count: i64 = "msgCount", int(9), 1..=1, "报文总数 messages after split, 1 if unsplit";
        msg_seq_no: i64 = "msgSeqNo", int(9), 1..=1, "报文序号 sequence of this message from 1";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// 汇总结果单表体: one list item merged into the summary.
    SummaryResultList = "SummaryResultList" in CEB_NS, "汇总结果单表体 summarised item" {
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "清单编号 customs inventory no.";
        logistics_no: Str<'a> = "logisticsNo", text(0, 32), 1..=1, "物流运单编号 waybill no.";
        gseqno: i64 = "gseqno", int(5), 1..=1, "汇总商品序号 item no. within the summary";
        gnum: i64 = "gnum", int(5), 1..=1, "清单商品序号 item no. within the list";
        gcode: Str<'a> = "gcode", text(10, 10), 1..=1, "商品编码 HS code";
    }
}

element! {
    /// One summary result: head plus the merged items.
    SummaryResult = "SummaryResult" in CEB_NS, "汇总结果单 summary result" {
        head: SummaryResultHead<'a> = "SummaryResultHead", record(SummaryResultHead::SCHEMA), 1..=1, "汇总结果单表头 result head";
        items: Vec<SummaryResultList<'a>> = "SummaryResultList", record(SummaryResultList::SCHEMA), 0..=UNBOUNDED, "汇总结果单表体 merged items";
    }
}

receipt_root! {
    /// CEB792: summary results (customs → enterprise).
    Ceb792Message = "CEB792Message", SummaryResult, "SummaryResult", "汇总结果单报文 summary result message"
}
