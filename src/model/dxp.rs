//! The DXP transport wrapper (`DxpMsg`, 2022 spec ch. 4): routing data plus the CEB message
//! as Base64.

use super::schema::*;
use crate::element;

element! {
    /// Receivers of the message (usually the customs DXP node).
    ReceiverIds = "ReceiverIds" in DXP_NS, "接收方 receivers" {
        receiver_id: Vec<Str<'a>> = "ReceiverId", text(1, 16), 1..=5, "接收方ID receiver DXP id";
    }
}

element! {
    /// Routing data of one transfer.
    TransInfo = "TransInfo" in DXP_NS, "传输信息 transfer information" {
        cop_msg_id: Str<'a> = "CopMsgId", text(1, 255), 1..=1, "企业报文ID sender's message id";
        sender_id: Str<'a> = "SenderId", text(1, 16), 1..=1, "发送方ID sender DXP id";
        receiver_ids: ReceiverIds<'a> = "ReceiverIds", record(ReceiverIds::SCHEMA), 1..=1, "接收方 receivers";
        creat_time: Str<'a> = "CreatTime", text(1, 40), 1..=1, "创建时间 creation time, xs:dateTime";
        msg_type: Str<'a> = "MsgType", text(0, 30), 1..=1, "报文类型 CEB message type, e.g. CEB603Message";
    }
}

element! {
    /// The transport envelope around one CEB message.
    DxpMsg = "DxpMsg" in DXP_NS, "传输报文 DXP transport message" {
        ver: Str<'a> = "ver", attr(1, 10), 1..=1, "版本 transport version, 1.0";
        id: Option<Str<'a>> = "Id", attr(0, 64), 0..=1, "标识 signature reference id";
        trans_info: TransInfo<'a> = "TransInfo", record(TransInfo::SCHEMA), 1..=1, "传输信息 routing data";
        data: Str<'a> = "Data", Kind::Base64, 1..=1, "业务数据 the CEB message, Base64";
        add_info: Option<Str<'a>> = "AddInfo", Kind::Raw { ns: DXP_NS }, 0..=1, "附加信息 additional information, kept verbatim";
        signature: Option<Str<'a>> = "Signature", SIGNATURE, 0..=1, "数字签名 transport signature, kept verbatim";
    }
}
