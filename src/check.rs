//! `check`: bytes → decoded → findings per business document → the receipts the single window
//! would send back. Pure: the receipt time comes in as an argument.

use crate::ceb::{self, Transport, decode::is_fatal};
use crate::diagnostic::Diagnostic;
use crate::model::registry::Registry;
use crate::model::reply::{Reply, accepted_info, clip_chars, eport_number, fnv};
use crate::model::said::Said;
use crate::model::schema::{Element, Kind, Value, View, documents_member, find_text, find_view};
use crate::model::time::format17;
use crate::model::{Message, MessageType};
use crate::rules::{self, Context, Params, Related};
use chrono::NaiveDateTime;
use serde::Serialize;
use std::borrow::Cow;

/// The verdict on one business document (or on the whole message when it cannot be read).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DocumentReport {
    /// e.g. `CEB603`; `Unknown` when the root is not a known message.
    pub message: String,
    /// 1-based position of the document in its message; 0 for the message as a whole.
    pub index: usize,
    /// Business key, e.g. `orderNo / logisticsNo`.
    pub key: String,
    pub guid: String,
    pub accepted: bool,
    #[serde(rename = "returnStatus")]
    pub return_status: String,
    #[serde(rename = "returnInfo")]
    pub return_info: String,
    /// What `returnInfo` says, in English.
    #[serde(rename = "en")]
    pub return_info_en: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything `check` learned from one input.
#[derive(Debug, Clone, Default)]
pub struct MessageReport {
    pub documents: Vec<DocumentReport>,
    /// The receipt message the single window sends back (CEB900 when unreadable).
    pub receipt: Option<Receipt>,
    pub encoding: &'static str,
    pub transport: Option<Transport>,
}

/// A receipt message ready to write.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// e.g. `CEB604Message`.
    pub root: &'static str,
    pub xml: String,
}

/// `returnStatus` of CEB900 receipts: the XML could not be read, or its shape is wrong.
pub const STATUS_NOT_XML: &str = "-1";
pub const STATUS_BAD_SHAPE: &str = "-2";
pub const STATUS_UNKNOWN_TYPE: &str = "-3";
/// `returnStatus` of a document whose format is right but which breaks a rule: 海关退单.
pub const STATUS_REJECTED: &str = "100";

/// Checks one received message against the shipped registry and default parameters.
pub fn check_bytes(bytes: &[u8], now: NaiveDateTime) -> MessageReport {
    let params = Params::default();
    let ctx = Context {
        registry: Registry::shipped(),
        params: &params,
        related: None,
    };
    check_bytes_in(bytes, now, &ctx)
}

/// Notes what a message tells the rules that link documents (its orders, payment receipts
/// and waybills), keeping only the documents that pass every check on their own (`ctx` should
/// carry no related documents). Unreadable input tells nothing.
pub fn note_related(bytes: &[u8], ctx: &Context<'_>, related: &mut Related) {
    let limits = &ctx.params.limits;
    let Ok(prepared) = ceb::prepare_with(bytes, limits) else {
        return;
    };
    // Only orders, payment receipts and waybills link documents: nothing else need be decoded.
    if !matches!(
        ceb::root_local_name(&prepared.text),
        Some("CEB303Message" | "CEB403Message" | "CEB505Message")
    ) {
        return;
    }
    let decoded = ceb::decode_str_with(&prepared.text, limits);
    // A message with format errors is refused whole by the e-port: it links nothing.
    if decoded.diagnostics.iter().any(Diagnostic::is_error) {
        return;
    }
    let Some(message) = &decoded.message else {
        return;
    };
    let findings = rules::check_message(message, &decoded.diagnostics, ctx);
    let clean = |f: &[rules::Finding]| {
        !f.iter()
            .any(|f| f.rule.severity == crate::diagnostic::Severity::Error)
    };
    if !clean(&findings.envelope) {
        return;
    }
    related.note(message, |k| {
        findings.documents.get(k).is_some_and(|f| clean(f))
    });
}

/// Plays checked messages through the single window at their business time (`appTime`),
/// one at a time in the order they come, which must not go back in time.
pub struct Playback<'e> {
    engine: &'e mut crate::engine::SingleWindow,
    last: Option<NaiveDateTime>,
}

impl<'e> Playback<'e> {
    pub fn new(engine: &'e mut crate::engine::SingleWindow) -> Self {
        Playback { engine, last: None }
    }

    /// Plays one message, with the documents `check` accepted (by position, see
    /// [`accepted_documents`]), and returns what the single window sent up to its time;
    /// `None`, playing nothing, when it comes before the last message played.
    pub fn play(
        &mut self,
        message: &Message<'_>,
        accepted: &[bool],
    ) -> Option<Vec<crate::engine::Outgoing>> {
        let time = business_time(message)?;
        if self.last.is_some_and(|last| time < last) {
            return None;
        }
        self.last = Some(time);
        Some(if accepted.contains(&true) {
            self.engine
                .play(message, time, |k| accepted.get(k).copied().unwrap_or(false))
        } else {
            self.engine.advance(time)
        })
    }

    /// Everything sent up to `settle` after the last message played.
    pub fn finish(self, settle: chrono::Duration) -> Vec<crate::engine::Outgoing> {
        match self.last {
            Some(last) => self.engine.advance(last + settle),
            None => Vec::new(),
        }
    }
}

/// Which documents of a message `check` accepted, by position in the message.
pub fn accepted_documents(report: &MessageReport) -> Vec<bool> {
    report
        .documents
        .iter()
        .map(|d| d.accepted && d.index > 0)
        .collect()
}

/// Reads a message as the e-port does, only to decode it (no rules): for playing again a
/// message already checked.
pub fn decode_only(bytes: &[u8], limits: &crate::ceb::Limits) -> Option<ReceivedMessage> {
    let prepared = ceb::prepare_with(bytes, limits).ok()?;
    let text = prepared.text.into_owned().into_boxed_str();
    ReceivedMessage::try_new(text, |text| {
        ceb::decode_str_with(text, limits).message.ok_or(())
    })
    .ok()
}

/// Runs the documents `check` accepted through the single window in the order of their
/// business time (`appTime`; ties keep the input order) and returns every receipt it sends up
/// to `settle` after the last of them.
pub fn run_lifecycle(
    inputs: &[(&[u8], &MessageReport)],
    engine: &mut crate::engine::SingleWindow,
    settle: chrono::Duration,
) -> Vec<crate::engine::Outgoing> {
    let mut timed = Vec::new();
    for (i, (bytes, report)) in inputs.iter().enumerate() {
        let Ok(prepared) = ceb::prepare(bytes) else {
            continue;
        };
        let decoded = ceb::decode_str(&prepared.text);
        let Some(message) = decoded.message else {
            continue;
        };
        let Some(time) = business_time(&message) else {
            continue;
        };
        timed.push((time, i, message.into_static(), accepted_documents(report)));
    }
    timed.sort_by_key(|(time, i, _, _)| (*time, *i));
    let mut playback = Playback::new(engine);
    let mut out = Vec::new();
    for (_, _, message, accepted) in &timed {
        out.extend(playback.play(message, accepted).unwrap_or_default());
    }
    out.extend(playback.finish(settle));
    out
}

/// Checks one received message: format, then the rules of the catalog.
pub fn check_bytes_in(bytes: &[u8], now: NaiveDateTime, ctx: &Context<'_>) -> MessageReport {
    check_inner(bytes, When::At(now), ctx)
}

/// The time the e-port answers at.
#[derive(Debug, Clone, Copy)]
enum When {
    /// The simulator's clock.
    At(NaiveDateTime),
    /// The message's business time, if it has one.
    Business { otherwise: NaiveDateTime },
}

impl When {
    fn of(self, message: Option<&Message<'_>>) -> NaiveDateTime {
        match self {
            When::At(t) => t,
            When::Business { otherwise } => message.and_then(business_time).unwrap_or(otherwise),
        }
    }
}

/// When a message was made: its first document's `appTime`.
pub fn business_time(message: &Message<'_>) -> Option<NaiveDateTime> {
    let root = message.as_element();
    documents_member(root)
        .and_then(|d| root.child(d, 0))
        .and_then(|doc| find_text(doc, "appTime"))
        .and_then(crate::model::time::parse_digits)
}

/// Like `check_bytes_in`, also handing back the decoded message when it could be read, so a
/// caller feeding the engine need not decode it twice.
pub fn check_and_decode(
    bytes: &[u8],
    now: NaiveDateTime,
    ctx: &Context<'_>,
) -> (MessageReport, Option<ReceivedMessage>) {
    decode_and_check(bytes, When::At(now), ctx)
}

/// `check_and_decode` on virtual time: the e-port answers at the message's own business time
/// (its first document's `appTime`, as customs then plays it), or `otherwise`.
pub fn check_and_decode_on_business_time(
    bytes: &[u8],
    otherwise: NaiveDateTime,
    ctx: &Context<'_>,
) -> (MessageReport, Option<ReceivedMessage>) {
    decode_and_check(bytes, When::Business { otherwise }, ctx)
}

fn decode_and_check(
    bytes: &[u8],
    when: When,
    ctx: &Context<'_>,
) -> (MessageReport, Option<ReceivedMessage>) {
    let prepared = match ceb::prepare_with(bytes, &ctx.params.limits) {
        Ok(p) => p,
        Err(unreadable) => return (unreadable_input(bytes, unreadable, when.of(None)), None),
    };
    // The message keeps its own copy of the text and borrows its values from it: one copy of
    // the text costs less than owning every value (`Message::into_static`).
    let text = prepared.text.into_owned().into_boxed_str();
    let mut report = None;
    let message = ReceivedMessage::try_new(text, |text| {
        let (checked, message) = check_text(text, prepared.encoding, prepared.transport, when, ctx);
        report = Some(checked);
        message.ok_or(())
    })
    .ok();
    (report.unwrap_or_default(), message)
}

self_cell::self_cell!(
    /// A decoded message together with the text its values borrow from, so it can go to
    /// another thread as it is.
    pub struct ReceivedMessage {
        owner: Box<str>,
        #[covariant]
        dependent: Message,
    }
);

impl ReceivedMessage {
    pub fn message(&self) -> &Message<'_> {
        self.borrow_dependent()
    }
}

fn check_inner(bytes: &[u8], when: When, ctx: &Context<'_>) -> MessageReport {
    match ceb::prepare_with(bytes, &ctx.params.limits) {
        Ok(p) => check_text(&p.text, p.encoding, p.transport, when, ctx).0,
        Err(unreadable) => unreadable_input(bytes, unreadable, when.of(None)),
    }
}

/// The report on input that is not a readable text at all.
fn unreadable_input(
    bytes: &[u8],
    unreadable: ceb::Unreadable,
    now: NaiveDateTime,
) -> MessageReport {
    let report = unreadable_report(
        "Unknown",
        "",
        unreadable.diagnostics,
        &String::from_utf8_lossy(bytes),
        unreadable.transport.as_ref(),
        now,
    );
    MessageReport {
        transport: unreadable.transport,
        ..report
    }
}

/// Checks a message text: decoded, then the rules; the decoded message when it could be read.
fn check_text<'t>(
    text: &'t str,
    encoding: &'static str,
    transport: Option<Transport>,
    when: When,
    ctx: &Context<'_>,
) -> (MessageReport, Option<Message<'t>>) {
    let decoded = ceb::decode_str_with(text, &ctx.params.limits);
    let now = when.of(decoded.message.as_ref());
    let mut report = match &decoded.message {
        Some(message) if !decoded.diagnostics.iter().any(is_fatal) => document_reports(
            message,
            decoded.diagnostics.clone(),
            text,
            transport.as_ref(),
            now,
            ctx,
        ),
        _ => unreadable_report(
            &decoded.root,
            "",
            decoded.diagnostics.clone(),
            text,
            transport.as_ref(),
            now,
        ),
    };
    report.encoding = encoding;
    report.transport = transport;
    (report, decoded.message)
}

/// A message that decoded: split findings per document and answer each.
fn document_reports(
    message: &Message<'_>,
    diagnostics: Vec<Diagnostic>,
    text: &str,
    transport: Option<&Transport>,
    now: NaiveDateTime,
    ctx: &Context<'_>,
) -> MessageReport {
    let kind = message.message_type();
    let root = message.as_element();
    let Some(docs_member) = documents_member(root) else {
        return unreadable_report(
            kind.root_name(),
            guid_of(root),
            diagnostics,
            text,
            transport,
            now,
        );
    };
    let doc_name = root.schema().members[docs_member].name;
    let prefix = ["/", kind.root_name(), "/", doc_name, "["].concat();
    let count = match root.view(docs_member) {
        View::Children(n) => n,
        _ => 0,
    };
    // Format findings per document, by the index in their path (`…/Inventory[k]` or
    // `…/Inventory[k]/…`): one pass, however many documents and findings there are. The
    // rest (envelope, root, a document past the most a message may hold) are outside.
    let mut format_of: Vec<Vec<Diagnostic>> = vec![Vec::new(); count];
    let mut outside = Vec::new();
    let mut format_count = 0;
    for d in diagnostics {
        let k = d
            .path
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once(']'))
            .filter(|(_, tail)| tail.is_empty() || tail.starts_with('/'))
            .and_then(|(k, _)| k.parse::<usize>().ok())
            .filter(|k| (1..=count).contains(k));
        format_count += 1;
        match k {
            Some(k) => format_of[k - 1].push(d),
            None => outside.push(d),
        }
    }
    // Findings outside every document make the whole message unusable.
    if outside.iter().any(Diagnostic::is_error) {
        let mut all: Vec<Diagnostic> = format_of.into_iter().flatten().chain(outside).collect();
        all.sort_by_key(|d| (d.line, d.column));
        return unreadable_report(kind.root_name(), guid_of(root), all, text, transport, now);
    }
    // Rules see the format findings, so a value that failed those is not judged again.
    let findings = rules::check_message(message, format_of.iter().flatten(), ctx);
    let (envelope, mut rule_diags) = rule_diagnostics(
        findings,
        text,
        ctx.params
            .limits
            .max_diagnostics
            .saturating_sub(format_count),
    );
    let mut documents = Vec::with_capacity(count);
    let mut replies = Vec::with_capacity(count);
    for (k, own) in format_of.into_iter().enumerate() {
        let Some(doc) = root.child(docs_member, k) else {
            continue;
        };
        let mut mine = own;
        mine.extend(outside.iter().cloned());
        let format_ok = !mine.iter().any(Diagnostic::is_error);
        mine.extend(envelope.iter().cloned());
        mine.append(
            rule_diags
                .get_mut(k)
                .map(std::mem::take)
                .as_mut()
                .unwrap_or(&mut Vec::new()),
        );
        mine.sort_by_key(|d| (d.line, d.column));
        let accepted = !mine.iter().any(Diagnostic::is_error);
        let guid = find_text(doc, "guid").unwrap_or_default().to_string();
        let reply = if kind.is_receipt() {
            Reply::default()
        } else {
            reply_for(kind, doc, accepted, format_ok, &mine, now)
        };
        documents.push(DocumentReport {
            message: kind.label().to_string(),
            index: k + 1,
            key: business_key(kind, doc),
            guid,
            accepted,
            return_status: reply.status.clone(),
            return_info: reply.info.zh.to_string(),
            return_info_en: reply.info.en.to_string(),
            diagnostics: mine,
        });
        replies.push((doc, reply));
    }
    let receipt = kind
        .receipt_type()
        .map(|receipt_kind| receipt_message(receipt_kind, guid_of(root), &replies));
    MessageReport {
        documents,
        receipt,
        encoding: "UTF-8",
        transport: None,
    }
}

/// The rule findings of a message as diagnostics: the envelope's, and each document's. At
/// most `budget` are listed; past it, a document's remaining findings are counted in one
/// `E-UNLISTED` finding (an error when any of them is one, so the verdict stays the same).
fn rule_diagnostics(
    findings: rules::MessageFindings,
    text: &str,
    mut budget: usize,
) -> (Vec<Diagnostic>, Vec<Vec<Diagnostic>>) {
    let max = budget;
    let n_envelope = findings.envelope.len();
    let mut all = findings.envelope;
    // (document, findings listed for it, the unlisted ones: how many, any error).
    let mut per_document = Vec::with_capacity(findings.documents.len());
    for doc in findings.documents {
        let listed = doc.len().min(budget);
        budget -= listed;
        let mut doc = doc.into_iter();
        all.extend(doc.by_ref().take(listed));
        let rest: Vec<rules::Finding> = doc.collect();
        let unlisted = rest.first().map(|first| {
            let any_error = rest
                .iter()
                .any(|f| f.rule.severity == crate::diagnostic::Severity::Error);
            (first.path.clone(), rest.len(), any_error)
        });
        per_document.push((listed, unlisted));
    }
    // Every listed finding and each unlisted batch's first place, located in one pass.
    let marker_rule = rules::catalog::rule("E-UNLISTED");
    for (_, unlisted) in &per_document {
        if let (Some((path, n, _)), Some(rule)) = (unlisted, marker_rule) {
            all.push(rules::Finding {
                rule,
                path: path.clone(),
                found: format!("{n} more"),
                expected: format!("at most {max} rule findings listed per message (max_diagnostics)"),
                zh: format!("此处起本单证还有{n}条规则检查结果未列出（max_diagnostics）。"),
                en: format!("{n} more rule findings of this document from here on are not listed (max_diagnostics)."),
            });
        }
    }
    let mut diags = rules::into_diagnostics(all, text).into_iter();
    let envelope: Vec<Diagnostic> = diags.by_ref().take(n_envelope).collect();
    let mut documents: Vec<Vec<Diagnostic>> = per_document
        .iter()
        .map(|(listed, _)| diags.by_ref().take(*listed).collect())
        .collect();
    for (doc, (_, unlisted)) in documents.iter_mut().zip(&per_document) {
        if let Some((_, _, any_error)) = unlisted
            && let Some(mut marker) = diags.next()
        {
            if !any_error {
                marker.severity = crate::diagnostic::Severity::Warning;
            }
            doc.push(marker);
        }
    }
    (envelope, documents)
}

/// The reply to one document of a business message.
fn reply_for(
    kind: MessageType,
    doc: &dyn Element<'_>,
    accepted: bool,
    format_ok: bool,
    diags: &[Diagnostic],
    now: NaiveDateTime,
) -> Reply {
    let guid = find_text(doc, "guid").unwrap_or_default();
    let (status, info) = if accepted {
        (
            "2".to_string(),
            accepted_info(find_text(doc, "appType").unwrap_or("1"), guid),
        )
    } else if format_ok {
        // The format is right but a rule is broken: customs sends the document back (退单).
        (STATUS_REJECTED.to_string(), summarize(diags))
    } else {
        (format_error_status(kind).to_string(), summarize(diags))
    };
    Reply {
        status,
        info,
        time: format17(now),
        // Customs' receipts of the document carry the same numbers (`eport_number`).
        pre_no: eport_number('B', guid, now.date()),
        sum_no: eport_number('S', guid, now.date()),
        changing: matches!(find_text(doc, "appType"), Some("2" | "3")),
    }
}

/// The "format check failed" status of each message (2018 spec table 7-3; the 2022 spec has
/// no export table, and 213/215 have no published range).
pub fn format_error_status(kind: MessageType) -> &'static str {
    match kind {
        MessageType::Ceb303 => "-302001",
        MessageType::Ceb403 => "-402001",
        MessageType::Ceb505 => "-502001",
        MessageType::Ceb509 => "-506001",
        MessageType::Ceb603 => "-602001",
        MessageType::Ceb605 => "-606001",
        MessageType::Ceb701 => "-702001",
        MessageType::Ceb507 => "-802001",
        MessageType::Ceb607 => "-902001",
        _ => STATUS_BAD_SHAPE,
    }
}

/// Report and CEB900 receipt for a message that cannot be taken apart into documents.
fn unreadable_report(
    root: &str,
    guid: &str,
    diagnostics: Vec<Diagnostic>,
    original: &str,
    transport: Option<&Transport>,
    now: NaiveDateTime,
) -> MessageReport {
    let status = if diagnostics.iter().any(|d| d.code == "E-XML-ROOT") {
        STATUS_UNKNOWN_TYPE
    } else if diagnostics.iter().any(is_fatal) {
        STATUS_NOT_XML
    } else {
        STATUS_BAD_SHAPE
    };
    let info = summarize(&diagnostics);
    let receipt = format_error_receipt(root, status, &info.zh, original, transport, now);
    let code = MessageType::from_root_name(root).map_or("Unknown", MessageType::label);
    MessageReport {
        documents: vec![DocumentReport {
            message: code.to_string(),
            index: 0,
            key: if guid.is_empty() {
                "(message)".into()
            } else {
                guid.to_string()
            },
            guid: guid.to_string(),
            accepted: false,
            return_status: status.to_string(),
            return_info: info.zh.into_owned(),
            return_info_en: info.en.into_owned(),
            diagnostics,
        }],
        receipt: Some(receipt),
        encoding: "UTF-8",
        transport: None,
    }
}

/// CEB900: the format-error receipt.
fn format_error_receipt(
    root: &str,
    status: &str,
    info: &str,
    original: &str,
    transport: Option<&Transport>,
    now: NaiveDateTime,
) -> Receipt {
    use crate::model::format_error::{Ceb900Message, MessageReturn};
    let guid = guid_from(original.as_bytes(), b"CEB900");
    // The original text is echoed only while it is small enough to be useful.
    let ori = if original.len() <= 64 * 1024 {
        Cow::Owned(original.to_string())
    } else {
        Cow::Borrowed("")
    };
    let message = Ceb900Message {
        guid: guid.clone().into(),
        version: "1.0".into(),
        returns: vec![MessageReturn {
            guid: guid.into(),
            return_status: status.to_string().into(),
            return_info: clip_chars(info, 1000).into(),
            return_time: format17(now).into(),
            ori_cop_msg_id: Cow::Owned(transport.map(|t| t.cop_msg_id.clone()).unwrap_or_default()),
            ori_message_type: MessageType::from_root_name(root)
                .map_or("Unknown", MessageType::root_name)
                .into(),
            ori_biz_message: ori,
        }],
    };
    Receipt {
        root: MessageType::Ceb900.root_name(),
        xml: ceb::encode(&message),
    }
}

/// Builds the receipt message answering every document, copying the fields the receipt shares
/// with the document by name and filling the assigned ones from the reply.
fn receipt_message(
    kind: MessageType,
    source_guid: &str,
    replies: &[(&dyn Element<'_>, Reply)],
) -> Receipt {
    let mut message = Message::new(kind);
    let root = message.as_element_mut();
    let guid = guid_from(source_guid.as_bytes(), kind.root_name().as_bytes());
    set_by_name(root, "guid", Value::Text(guid.into()));
    set_by_name(root, "version", Value::Text("1.0".into()));
    if let Some(returns) = documents_member(root) {
        for (doc, reply) in replies {
            if let Some(ret) = root.push_child(returns) {
                fill_return(ret, *doc, reply);
            }
        }
    }
    Receipt {
        root: kind.root_name(),
        xml: ceb::encode(message.as_element()),
    }
}

fn fill_return(ret: &mut dyn Element<'_>, doc: &dyn Element<'_>, reply: &Reply) {
    let schema = ret.schema();
    for (i, m) in schema.members.iter().enumerate() {
        // A number the document carries is echoed when the receipt can hold it; otherwise
        // the one the e-port assigned is used.
        let own_or_assigned = |assigned: &str| {
            let own = find_text(doc, m.name).filter(|v| !v.is_empty() && fits(v, m.kind));
            Value::Text(Cow::Owned(own.unwrap_or(assigned).to_string()))
        };
        let value = match m.name {
            "returnStatus" => Value::Text(reply.status.clone().into()),
            "returnInfo" => Value::Text(clip_chars(&reply.info.zh, 1000).into()),
            "returnTime" => Value::Text(reply.time.clone().into()),
            // A change or deletion names the number its document was given; a new one
            // gets the e-port's.
            "preNo" if reply.changing => own_or_assigned(&reply.pre_no),
            "preNo" => Value::Text(Cow::Owned(reply.pre_no.clone())),
            // Customs numbers a list when it stores it (120): the e-port's receipt only echoes
            // the number a document names (a cancellation's list), never makes one up.
            "invtNo" => own_or_assigned(""),
            "sumNo" if reply.changing => own_or_assigned(&reply.sum_no),
            "sumNo" => Value::Text(Cow::Owned(reply.sum_no.clone())),
            name => match (m.kind, find_view(doc, name)) {
                (Kind::Int { .. }, Some(View::Int(n))) => Value::Int(n),
                (_, Some(View::Text(t))) => Value::Text(Cow::Owned(fit(name, t, m.kind))),
                _ => continue,
            },
        };
        ret.set_value(i, value);
    }
}

fn fits(value: &str, kind: Kind) -> bool {
    match kind {
        Kind::Text { min, max } => {
            (usize::from(min)..=usize::from(max)).contains(&value.chars().count())
        }
        _ => true,
    }
}

/// A value from a rejected document made to fit the receipt's schema, so the receipt itself
/// is always valid: over-long text is cut, a malformed GUID is replaced by one derived from it.
fn fit(name: &str, value: &str, kind: Kind) -> String {
    match kind {
        Kind::Text { .. } if name == "guid" && !fits(value, kind) => {
            guid_from(value.as_bytes(), b"guid")
        }
        Kind::Text { max, .. } => clip_chars(value, usize::from(max)),
        _ => value.to_string(),
    }
}

fn guid_of<'r>(root: &'r dyn Element<'_>) -> &'r str {
    find_text(root, "guid").unwrap_or_default()
}

fn set_by_name<'a>(el: &mut dyn Element<'a>, name: &str, value: Value<'a>) {
    if let Some(i) = el.schema().members.iter().position(|m| m.name == name) {
        el.set_value(i, value);
    }
}

/// The key users know a document by: the same one customs' receipts of it carry
/// (`engine::Outgoing::key`), its business key as the cross-check joins on it.
fn business_key(kind: MessageType, doc: &dyn Element<'_>) -> String {
    use MessageType::*;
    let fields: &[&str] = match kind {
        Ceb303 | Ceb304 | Ceb403 | Ceb404 | Ceb603 | Ceb604 => &["ebpCode", "orderNo"],
        Ceb505 | Ceb506 | Ceb215 | Ceb216 => &["logisticsCode", "logisticsNo"],
        Ceb507 | Ceb508 | Ceb509 | Ceb510 | Ceb607 | Ceb608 => &["copNo", "billNo"],
        Ceb605 | Ceb606 => &["invtNo"],
        Ceb213 | Ceb214 => &["invtNo", "coElNo"],
        Ceb701 | Ceb702 => &["ebcCode", "copNo"],
        Ceb792 => &["sumNo", "declSeqNo"],
        Ceb900 => &["guid"],
    };
    let parts: Vec<&str> = fields
        .iter()
        .filter_map(|f| find_text(doc, f))
        .filter(|v| !v.is_empty())
        .collect();
    if parts.is_empty() {
        find_text(doc, "guid").unwrap_or_default().to_string()
    } else {
        parts.join(" / ")
    }
}

/// `returnInfo` naming each error with its place (the Chinese within the field's 1,000
/// characters).
fn summarize(diags: &[Diagnostic]) -> Said {
    let errors = || diags.iter().filter(|d| d.is_error());
    let zh: Vec<String> = errors()
        .map(|d| format!("[{}:{}] {}({}:{})", d.code, d.path, d.zh, d.line, d.column))
        .collect();
    let en: Vec<String> = errors()
        .map(|d| format!("[{}:{}] {} ({}:{})", d.code, d.path, d.en, d.line, d.column))
        .collect();
    Said::new(clip_chars(&zh.join("；"), 1000), en.join("; "))
}

/// An upper-case UUID-shaped GUID derived from the input, so repeated checks agree.
fn guid_from(seed: &[u8], salt: &[u8]) -> String {
    let hi = fnv(&[seed, salt].concat());
    let lo = fnv(&[salt, seed].concat());
    uuid::Uuid::from_u64_pair(hi, lo)
        .hyphenated()
        .to_string()
        .to_uppercase()
}
