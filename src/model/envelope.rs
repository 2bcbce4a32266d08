//! Envelope parts shared by every business message (2022 spec §2.1).

use super::schema::*;
use crate::element;

element! {
    /// Transmitter identity (传输企业).
    BaseTransfer = "BaseTransfer" in CEB_NS, "基础报文传输实体 transmitter identity" {
        cop_code: Str<'a> = "copCode", text(0, 18), 1..=1, "传输企业代码 transmitting enterprise code";
        cop_name: Str<'a> = "copName", text(0, 100), 1..=1, "传输企业名称 transmitting enterprise name";
        dxp_mode: Str<'a> = "dxpMode", text(3, 3), 1..=1, "报文传输模式 transfer mode, always DXP";
        dxp_id: Str<'a> = "dxpId", text(0, 30), 1..=1, "报文传输编号 DXP id of the transmitter";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// Third-party subscription to data or receipts.
    BaseSubscribe = "BaseSubscribe" in CEB_NS, "基础回执订阅实体 third-party subscription" {
        status: Str<'a> = "status", text(0, 100), 1..=1, "用户订阅单证业务状态 ALL data and receipts, DATA data only, RET receipts only";
        dxp_mode: Str<'a> = "dxpMode", text(3, 3), 1..=1, "报文传输模式 transfer mode, always DXP";
        dxp_address: Str<'a> = "dxpAddress", text(0, 100), 1..=1, "报文传输地址 subscriber's DXP id";
        note: Option<Str<'a>> = "note", text(0, 1000), 0..=1, "备注 remark";
    }
}

element! {
    /// Free extension block.
    ExtendMessage = "ExtendMessage" in CEB_NS, "扩展自定义数据实体 free extension" {
        name: Str<'a> = "name", text(0, 30), 1..=1, "自定义报文名称 extension name";
        version: Str<'a> = "version", text(0, 30), 1..=1, "自定义报文版本 extension version";
        message: Str<'a> = "Message", ANY_CEB, 1..=1, "自定义报文实体 extension content (any XML)";
    }
}

/// Declares a business (enterprise → customs) message root: `guid`/`version` attributes,
/// 1..100 documents, then the shared envelope parts.
#[macro_export]
macro_rules! business_root {
    ($(#[$meta:meta])* $name:ident = $xml:literal, $doc:ident, $docname:literal, $zh:literal) => {
        $crate::element! {
            $(#[$meta])*
            $name = $xml in $crate::model::schema::CEB_NS, $zh {
                guid: $crate::model::schema::Str<'a> = "guid", $crate::model::schema::attr(36, 36), 1..=1, "报文的36位系统唯一序号 message GUID";
                version: $crate::model::schema::Str<'a> = "version", $crate::model::schema::attr(1, 10), 1..=1, "报文版本号 message version, 1.0";
                documents: Vec<$doc<'a>> = $docname, $crate::model::schema::record($doc::SCHEMA), 1..=100, "业务单证 the business documents, 1 to 100";
                base_transfer: $crate::model::envelope::BaseTransfer<'a> = "BaseTransfer", $crate::model::schema::record($crate::model::envelope::BaseTransfer::SCHEMA), 1..=1, "传输企业 transmitter identity";
                base_subscribe: Vec<$crate::model::envelope::BaseSubscribe<'a>> = "BaseSubscribe", $crate::model::schema::record($crate::model::envelope::BaseSubscribe::SCHEMA), 0..=5, "订阅 third-party subscriptions";
                signature: Option<$crate::model::schema::Str<'a>> = "Signature", $crate::model::schema::SIGNATURE, 0..=1, "数字签名 enveloped XML signature, kept verbatim";
                extend_message: Option<$crate::model::envelope::ExtendMessage<'a>> = "ExtendMessage", $crate::model::schema::record($crate::model::envelope::ExtendMessage::SCHEMA), 0..=1, "扩展 free extension";
            }
        }
    };
}

/// Declares a receipt (customs → enterprise) message root: `guid`/`version` and 1..100 returns.
#[macro_export]
macro_rules! receipt_root {
    ($(#[$meta:meta])* $name:ident = $xml:literal, $ret:ident, $retname:literal, $zh:literal) => {
        $crate::element! {
            $(#[$meta])*
            $name = $xml in $crate::model::schema::CEB_NS, $zh {
                guid: $crate::model::schema::Str<'a> = "guid", $crate::model::schema::attr(36, 36), 1..=1, "报文的36位系统唯一序号 message GUID";
                version: $crate::model::schema::Str<'a> = "version", $crate::model::schema::attr(1, 10), 1..=1, "报文版本号 message version, 1.0";
                returns: Vec<$ret<'a>> = $retname, $crate::model::schema::record($ret::SCHEMA), 1..=100, "回执 the receipts, 1 to 100";
            }
        }
    };
}
