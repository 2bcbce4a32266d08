//! 605 declaration-list cancellation (撤销申请单) and its receipt 606 (2022 spec §2.2).

use super::schema::*;
use crate::{business_root, element, receipt_root};

element! {
    /// 撤销申请单: asks customs to withdraw one released list.
    InvtCancel = "InvtCancel" in CEB_NS, "撤销申请单 list cancellation" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 record GUID";
        app_type: Str<'a> = "appType", text(1, 1), 1..=1, "报送类型 1 new, 2 change, 3 delete";
        app_time: Str<'a> = "appTime", Kind::Time14, 1..=1, "报送时间 submission time";
        app_status: Str<'a> = "appStatus", text(1, 1), 1..=1, "业务状态 1 draft, 2 declare";
        customs_code: Str<'a> = "customsCode", text(4, 4), 1..=1, "申报海关代码 declaring customs";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Option<Str<'a>> = "preNo", text(18, 18), 0..=1, "预录入编号 e-port pre-entry no.";
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "清单编号 customs inventory no. to cancel";
        reason: Str<'a> = "reason", text(0, 1000), 1..=1, "撤单原因 reason for cancelling";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        agent_name: Str<'a> = "agentName", text(0, 100), 1..=1, "申报企业名称 declaring enterprise name";
        ebc_code: Str<'a> = "ebcCode", text(0, 18), 1..=1, "电商企业代码 e-commerce enterprise code";
        ebc_name: Str<'a> = "ebcName", text(0, 100), 1..=1, "电商企业名称 e-commerce enterprise name";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

business_root! {
    /// CEB605: list cancellations.
    Ceb605Message = "CEB605Message", InvtCancel, "InvtCancel", "出口撤销申请单报文 list cancellation message"
}

element! {
    /// 606 receipt for one cancellation.
    InvtCancelReturn = "InvtCancelReturn" in CEB_NS, "撤销申请单回执 list cancellation receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "系统唯一序号 GUID of the cancellation this answers";
        agent_code: Str<'a> = "agentCode", text(0, 18), 1..=1, "申报企业代码 declaring enterprise code";
        cop_no: Str<'a> = "copNo", text(0, 30), 1..=1, "企业内部编号 enterprise internal no.";
        pre_no: Str<'a> = "preNo", text(18, 18), 1..=1, "预录入编号 e-port pre-entry no.";
        invt_no: Str<'a> = "invtNo", text(0, 20), 1..=1, "清单编号 customs inventory no.";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 processing status";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "回执时间 receipt time";
        return_info: Str<'a> = "returnInfo", text(0, 1000), 1..=1, "回执信息 receipt text or rejection reason";
    }
}

receipt_root! {
    /// CEB606: cancellation receipts.
    Ceb606Message = "CEB606Message", InvtCancelReturn, "InvtCancelReturn", "出口撤销申请单回执报文 list cancellation receipt message"
}
