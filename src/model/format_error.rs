//! CEB900, the format-error receipt the single window sends when a message cannot be read
//! or breaks its schema (defined in the import XSD, used for every message).

use super::schema::*;
use crate::element;

element! {
    /// 报文格式校验回执: why a whole message was refused.
    MessageReturn = "MessageReturn" in CEB_NS, "报文格式校验回执 format-error receipt" {
        guid: Str<'a> = "guid", text(36, 36), 1..=1, "36位唯一序号 receipt GUID";
        return_status: Str<'a> = "returnStatus", text(1, 10), 1..=1, "回执状态 negative: format error";
        return_info: Str<'a> = "returnInfo", text(0, 5000), 1..=1, "回执详细信息 what is wrong";
        return_time: Str<'a> = "returnTime", Kind::Time17, 1..=1, "操作时间 receipt time";
        ori_cop_msg_id: Str<'a> = "oriCopMsgId", text(0, 255), 1..=1, "原始传输报文的copMsgId CopMsgId of the DXP message, empty if unwrapped";
        ori_message_type: Str<'a> = "oriMessageType", text(0, 15), 1..=1, "原始报文类型 root of the refused message, Unknown if unreadable";
        ori_biz_message: Str<'a> = "oriBizMessage", text(0, NO_LIMIT), 1..=1, "原始报文内容 the refused message text";
    }
}

element! {
    /// CEB900: one format-error receipt.
    Ceb900Message = "CEB900Message" in CEB_NS, "报文格式校验回执报文 format-error receipt message" {
        guid: Str<'a> = "guid", attr(36, 36), 1..=1, "报文的36位系统唯一序号 message GUID";
        version: Str<'a> = "version", attr(1, 10), 1..=1, "报文版本号 message version, 1.0";
        returns: Vec<MessageReturn<'a>> = "MessageReturn", record(MessageReturn::SCHEMA), 1..=1, "回执 the receipt";
    }
}
