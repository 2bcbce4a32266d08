//! The XML codec: bytes as clients send them (BOM, GBK, `DxpMsg`) → typed messages, and back.

pub mod decode;
pub mod encode;
mod gb;
pub mod limits;
pub mod wellformed;
pub mod xsd;

pub use decode::{Decoded, decode_into, decode_into_with, decode_str, decode_str_with};
pub use encode::{encode, encode_into};
pub use limits::Limits;

use crate::diagnostic::{Diagnostic, Severity, locate};
use crate::model::dxp::DxpMsg;
use base64::Engine as _;
use std::borrow::Cow;

/// The DXP transport envelope a message arrived in, kept for answering in kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transport {
    pub cop_msg_id: String,
    pub sender_id: String,
    pub msg_type: String,
}

/// Received bytes turned into the UTF-8 text of one CEB message, ready for `decode_str`.
#[derive(Debug)]
pub struct Prepared<'b> {
    pub text: Cow<'b, str>,
    /// The encoding the bytes were declared in (`UTF-8`, `GBK`, …).
    pub encoding: &'static str,
    /// Present when the message came wrapped in a `DxpMsg`.
    pub transport: Option<Transport>,
}

/// Why bytes could not be turned into a CEB message text: the findings, located in `text`.
#[derive(Debug)]
pub struct Unreadable {
    pub diagnostics: Vec<Diagnostic>,
    pub transport: Option<Transport>,
}

/// Strips a byte-order mark, transcodes GB2312/GBK/GB18030 (or any other declared encoding
/// known to encoding_rs) to UTF-8 and unwraps a `DxpMsg` (Base64 `Data`). Borrows when it can.
pub fn prepare(bytes: &[u8]) -> Result<Prepared<'_>, Unreadable> {
    prepare_with(bytes, &Limits::default())
}

/// `prepare`, reading a `DxpMsg` wrapper within the given limits.
pub fn prepare_with<'b>(bytes: &'b [u8], limits: &Limits) -> Result<Prepared<'b>, Unreadable> {
    let (text, encoding) = to_utf8(bytes).map_err(|d| Unreadable {
        diagnostics: vec![*d],
        transport: None,
    })?;
    if root_local_name(&text) != Some("DxpMsg") {
        return Ok(Prepared {
            text,
            encoding,
            transport: None,
        });
    }
    let (inner, transport) = unwrap_dxp(&text, limits)?;
    let (inner_text, inner_encoding) = to_utf8(&inner).map_err(|d| Unreadable {
        diagnostics: vec![*d],
        transport: Some(transport.clone()),
    })?;
    Ok(Prepared {
        text: Cow::Owned(inner_text.into_owned()),
        encoding: inner_encoding,
        transport: Some(transport),
    })
}

/// Decodes the `DxpMsg` wrapper and its Base64 payload.
fn unwrap_dxp(text: &str, limits: &Limits) -> Result<(Vec<u8>, Transport), Unreadable> {
    let mut dxp = DxpMsg::default();
    let mut diags = decode_into_with(text, &mut dxp, limits);
    let transport = Transport {
        cop_msg_id: dxp.trans_info.cop_msg_id.to_string(),
        sender_id: dxp.trans_info.sender_id.to_string(),
        msg_type: dxp.trans_info.msg_type.to_string(),
    };
    if diags.iter().any(Diagnostic::is_error) {
        return Err(Unreadable {
            diagnostics: diags,
            transport: Some(transport),
        });
    }
    let compact: String = dxp
        .data
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => Ok((bytes, transport)),
        Err(e) => {
            let offset = text.find("Data>").unwrap_or(0);
            diags.push(Diagnostic {
                code: "E-DXP-DATA",
                severity: Severity::Error,
                path: "/DxpMsg/Data".into(),
                line: 0,
                column: 0,
                found: e.to_string(),
                expected: "the Base64 encoding of one CEB message".into(),
                zh: format!("DxpMsg 的 Data 不是有效的 Base64（{e}）：请对完整的 CEB 报文做 Base64 编码后放入 Data。"),
                en: format!("The DxpMsg Data is not valid Base64 ({e}): Base64-encode the whole CEB message and put it in Data."),
                source: "海关跨境电商统一版系统企业对接报文规范（202205版） 终端节点报文",
                offset,
            });
            locate(text, &mut diags);
            Err(Unreadable {
                diagnostics: diags,
                transport: Some(transport),
            })
        }
    }
}

/// Wraps a CEB message text in a `DxpMsg` addressed from `sender` to `receiver`.
pub fn wrap_dxp(
    ceb_xml: &str,
    msg_type: &str,
    cop_msg_id: &str,
    sender: &str,
    receiver: &str,
    created: &str,
) -> String {
    use crate::model::dxp::{ReceiverIds, TransInfo};
    let msg = DxpMsg {
        ver: "1.0".into(),
        trans_info: TransInfo {
            cop_msg_id: cop_msg_id.into(),
            sender_id: sender.into(),
            receiver_ids: ReceiverIds {
                receiver_id: vec![receiver.into()],
            },
            creat_time: created.into(),
            msg_type: msg_type.into(),
        },
        data: base64::engine::general_purpose::STANDARD
            .encode(ceb_xml.as_bytes())
            .into(),
        ..DxpMsg::default()
    };
    encode(&msg)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The document as UTF-8 text and the name of the encoding it was in.
fn to_utf8(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), Box<Diagnostic>> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes)
        && enc != encoding_rs::UTF_8
    {
        return transcode(&bytes[bom_len..], enc);
    }
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let label = declared_encoding(bytes);
    let enc = match label.as_deref() {
        None => encoding_rs::UTF_8,
        Some(l) => match encoding_rs::Encoding::for_label(l.as_bytes()) {
            Some(e) => e,
            None => {
                return Err(encoding_problem(
                    bytes,
                    0,
                    &format!("unsupported encoding \"{l}\""),
                ));
            }
        },
    };
    // encoding_rs reads every GB label with the GB18030 tables (WHATWG), which hold more
    // than the encoding declared: bytes outside the declared table are refused, as libxml2
    // (iconv) refuses them.
    if let Some(bad) = label.as_deref().and_then(|l| gb::first_invalid(l, bytes)) {
        let (prefix, _) = enc.decode_without_bom_handling(&bytes[..bad]);
        let what = format!(
            "bytes that are not valid {}",
            label.as_deref().unwrap_or_default()
        );
        return Err(encoding_problem(prefix.as_bytes(), prefix.len(), &what));
    }
    if enc == encoding_rs::UTF_8 {
        // The SIMD check costs a fraction of the standard one; that one runs only to say
        // where a bad byte is.
        if let Ok(s) = simdutf8::basic::from_utf8(bytes) {
            return Ok((Cow::Borrowed(s), "UTF-8"));
        }
        return match std::str::from_utf8(bytes) {
            Ok(s) => Ok((Cow::Borrowed(s), "UTF-8")),
            Err(e) => Err(encoding_problem(
                bytes,
                e.valid_up_to(),
                "bytes that are not valid UTF-8",
            )),
        };
    }
    transcode(bytes, enc)
}

fn transcode<'b>(
    bytes: &'b [u8],
    enc: &'static encoding_rs::Encoding,
) -> Result<(Cow<'b, str>, &'static str), Box<Diagnostic>> {
    use encoding_rs::DecoderResult;
    let mut decoder = enc.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut out = String::with_capacity(capacity);
    let (result, _read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok((Cow::Owned(out), enc.name())),
        // `out` holds the text up to the bad bytes, which locates them.
        DecoderResult::Malformed(..) | DecoderResult::OutputFull => Err(encoding_problem(
            out.as_bytes(),
            out.len(),
            &format!("bytes that are not valid {}", enc.name()),
        )),
    }
}

fn encoding_problem(bytes: &[u8], valid_up_to: usize, what: &str) -> Box<Diagnostic> {
    let prefix = String::from_utf8_lossy(&bytes[..valid_up_to.min(bytes.len())]).into_owned();
    let mut d = Diagnostic {
        code: "E-XML-ENCODING",
        severity: Severity::Error,
        path: String::new(),
        line: 0,
        column: 0,
        found: what.to_string(),
        expected: "UTF-8, or GB2312/GBK/GB18030 declared in the XML declaration".into(),
        zh: format!(
            "报文编码错误（{what}）：请以 UTF-8 发送，或在 XML 声明中写明 encoding=\"GBK\" 等实际编码。"
        ),
        en: format!(
            "The message encoding is wrong ({what}): send UTF-8, or declare the real encoding such as encoding=\"GBK\" in the XML declaration."
        ),
        source: "W3C XML 1.0 §4.3.3",
        offset: prefix.len(),
    };
    locate(&prefix, std::slice::from_mut(&mut d));
    Box::new(d)
}

/// The `encoding` pseudo-attribute of the XML declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Local name of the first element, found by a cheap scan (skips declarations and comments).
pub fn root_local_name(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = &comment[comment.find("-->")? + 3..];
            continue;
        }
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let qname = &rest[..end];
        return Some(qname.rsplit(':').next().unwrap_or(qname));
    }
}
