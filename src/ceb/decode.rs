//! Schema-driven decoder on quick-xml: namespace-aware (any prefix or a default namespace),
//! borrows text from the input, and reports every structural and format problem at once.
//! The common shapes (`<x>`, `<x>text</x>`, indentation) are read straight from the input;
//! everything else goes through quick-xml, and tests hold the two paths to the same result.

use super::limits::Limits;
use super::wellformed::{self, Reason, Refused};
use crate::diagnostic::{Diagnostic, SPEC_2022, Severity, locate};
use crate::model::schema::{
    CEB_NS, DSIG_NS, DXP_NS, Element, Kind, Member, NO_LIMIT, Schema, Str, Value,
};
use crate::model::{Message, MessageType};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::str::FromStr;

/// The outcome of decoding one XML text.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The typed message; `None` when the XML is not well-formed or its root is unknown.
    pub message: Option<Message<'a>>,
    /// Every finding, in document order, with line and column filled in.
    pub diagnostics: Vec<Diagnostic>,
    /// Name of the root element as found (`Unknown` when there is none).
    pub root: String,
}

/// Decodes one CEB message (already UTF-8; `ceb::prepare` turns received bytes into text),
/// within the default [`Limits`].
pub fn decode_str(xml: &str) -> Decoded<'_> {
    decode_str_with(xml, &Limits::default())
}

/// `decode_str` within the given limits.
pub fn decode_str_with<'a>(xml: &'a str, limits: &Limits) -> Decoded<'a> {
    let mut d = Decoder::new(xml, limits);
    let mut message = None;
    if let Some((ns, start, shape, at)) = d.find_root() {
        let name = local_str(&start);
        d.root_name = name.to_string();
        match MessageType::from_root_name(name).filter(|_| ns == Ns::Ceb) {
            Some(kind) => {
                let mut m = Message::new(kind);
                d.decode_root(m.as_element_mut(), &start, shape, at);
                message = Some(m);
            }
            None => d.wrong_root(
                ns,
                name,
                "an export CEB message root in namespace http://www.chinaport.gov.cn/ceb",
                at,
            ),
        }
    } else if !d.fatal {
        d.syntax_error(0, "there is no root element");
    }
    let root = d.root_name.clone();
    let diagnostics = d.finish();
    let message = message.filter(|_| {
        !diagnostics
            .iter()
            .any(|x| matches!(x.code, "E-XML-SYNTAX" | "E-XML-ROOT" | "E-XML-LIMIT"))
    });
    Decoded {
        message,
        diagnostics,
        root,
    }
}

/// Decodes a document whose root type is known in advance (e.g. the `DxpMsg` wrapper).
/// Returns the diagnostics; the element is only trustworthy when none is fatal.
pub fn decode_into<'a>(xml: &'a str, el: &mut dyn Element<'a>) -> Vec<Diagnostic> {
    decode_into_with(xml, el, &Limits::default())
}

/// `decode_into` within the given limits.
pub fn decode_into_with<'a>(
    xml: &'a str,
    el: &mut dyn Element<'a>,
    limits: &Limits,
) -> Vec<Diagnostic> {
    let mut d = Decoder::new(xml, limits);
    if let Some((ns, start, shape, at)) = d.find_root() {
        let name = local_str(&start);
        let schema = el.schema();
        if name == schema.name && ns.matches(schema.ns) {
            d.decode_root(el, &start, shape, at);
        } else {
            let expected = format!("{} in namespace {}", schema.name, schema.ns);
            d.wrong_root(ns, name, &expected, at);
        }
    } else if !d.fatal {
        d.syntax_error(0, "there is no root element");
    }
    d.finish()
}

/// True for the diagnostics that mean the XML could not be read at all.
pub fn is_fatal(d: &Diagnostic) -> bool {
    matches!(
        d.code,
        "E-XML-SYNTAX" | "E-XML-ROOT" | "E-XML-ENCODING" | "E-DXP-DATA" | "E-XML-LIMIT"
    )
}

/// Namespaces the decoder distinguishes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ns {
    Ceb,
    Dxp,
    Dsig,
    None,
    Other,
}

impl Ns {
    fn of_uri(uri: &str) -> Ns {
        match uri {
            CEB_NS => Ns::Ceb,
            DXP_NS => Ns::Dxp,
            DSIG_NS => Ns::Dsig,
            _ => Ns::Other,
        }
    }

    fn matches(self, uri: &str) -> bool {
        matches!(
            (self, uri),
            (Ns::Ceb, CEB_NS) | (Ns::Dxp, DXP_NS) | (Ns::Dsig, DSIG_NS)
        )
    }
}

/// Whether an element was `<a>…</a>` or `<a/>`.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Open,
    Empty,
}

/// A namespace declaration in scope: prefix (`""` for the default namespace), what it names,
/// and the depth of the element that declared it.
struct Binding {
    prefix: Box<str>,
    ns: Ns,
    depth: u32,
}

struct Decoder<'a> {
    reader: Reader<&'a [u8]>,
    /// Namespace scopes, resolved here rather than by quick-xml's `NsReader`: the URI is
    /// compared once per declaration instead of once per element.
    bindings: Vec<Binding>,
    depth: u32,
    /// Bytes consumed by the fast paths behind quick-xml's back (its offsets do not count them).
    skipped: usize,
    /// The last event quick-xml produced was text: it then expects markup next, so the input
    /// must not be read around it.
    after_text: bool,
    input: &'a str,
    diags: Vec<Diagnostic>,
    /// Record path: element name and its 1-based index (0 = not repeatable).
    path: Vec<(&'a str, u32)>,
    fatal: bool,
    root_name: String,
    limits: Limits,
    /// Findings past `max_diagnostics`, counted per document instead of listed.
    unlisted: Vec<Unlisted<'a>>,
}

/// Findings not listed in one document (or outside every document).
struct Unlisted<'a> {
    /// The document: the first two steps of the findings' paths.
    key: Vec<(&'a str, u32)>,
    /// Where the first of them was.
    at: usize,
    count: usize,
}

/// The words of one finding: the value found, what was expected, the texts.
struct Words {
    found: String,
    expected: String,
    zh: String,
    en: String,
}

impl<'a> Decoder<'a> {
    fn finish(mut self) -> Vec<Diagnostic> {
        let max = self.limits.max_diagnostics;
        for u in std::mem::take(&mut self.unlisted) {
            let n = u.count;
            self.diags.push(Diagnostic {
                code: "E-UNLISTED",
                severity: Severity::Error,
                path: path_of(&u.key, None),
                line: 0,
                column: 0,
                found: format!("{n} more"),
                expected: format!("at most {max} findings listed per message (max_diagnostics)"),
                zh: format!("此处起还有{n}处格式错误未列出（每条报文最多列出{max}条，max_diagnostics）：请先修正已列出的错误。"),
                en: format!("{n} more format errors from here on are not listed (at most {max} are listed per message, max_diagnostics): fix the listed ones first."),
                source: super::limits::SOURCE,
                offset: u.at,
            });
        }
        let mut diags = std::mem::take(&mut self.diags);
        diags.sort_by_key(|x| x.offset);
        locate(self.input, &mut diags);
        diags
    }

    fn new(input: &'a str, limits: &Limits) -> Self {
        let mut reader = Reader::from_str(input);
        let config = reader.config_mut();
        // End tags are matched here (`end_tag`, `skip`), so the fast paths (`plain_start`,
        // `plain_text`) can read straight from the input without quick-xml's stack of open
        // names getting in the way.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        Decoder {
            reader,
            bindings: Vec::new(),
            depth: 0,
            skipped: 0,
            after_text: false,
            input,
            diags: Vec::new(),
            path: Vec::new(),
            fatal: false,
            root_name: "Unknown".into(),
            limits: *limits,
            unlisted: Vec::new(),
        }
        .scanned()
    }

    /// Refuses, before any decoding, a text that is not well-formed or is over a limit.
    fn scanned(mut self) -> Self {
        let Err(refused) = wellformed::check(self.input, &self.limits) else {
            return self;
        };
        let Refused {
            at,
            reason,
            root,
            path,
        } = *refused;
        if let Some(root) = root {
            self.root_name = root;
        }
        match reason {
            Reason::Syntax(detail) => self.syntax_error(at, &detail),
            Reason::Limit(exceeded) => {
                let (what_zh, what_en) = exceeded.describe();
                let (limit, value) = (exceeded.limit, exceeded.value);
                self.diags.push(Diagnostic {
                    code: "E-XML-LIMIT",
                    severity: Severity::Error,
                    path: String::new(),
                    line: 0,
                    column: 0,
                    found: what_en.clone(),
                    expected: format!("{limit} = {value} at most"),
                    zh: format!("报文超出本系统的解码限制：{what_zh}（{limit} = {value}）。此类报文不予解析：请检查报文是否完整、正确后重新发送。"),
                    en: format!("The message is over a decoding limit of the single window: {what_en} ({limit} = {value}). Such a message is not read: check that it is complete and correct, then send it again."),
                    source: super::limits::SOURCE,
                    offset: at,
                });
                self.fatal = true;
            }
        }
        if let Some(d) = self.diags.last_mut() {
            d.path = path;
        }
        self
    }

    /// Next event with its namespace and start offset; `None` at end of input or on a
    /// well-formedness error (then `fatal` is set).
    fn next(&mut self) -> Option<(Ns, Event<'a>, usize)> {
        if self.fatal {
            return None;
        }
        let at = self.pos();
        match self.reader.read_event() {
            Ok(Event::Eof) => None,
            Ok(ev) => {
                self.after_text = matches!(ev, Event::Text(_) | Event::GeneralRef(_));
                let ns = match &ev {
                    Event::Start(s) => self.open(s),
                    Event::Empty(s) => {
                        let ns = self.open(s);
                        self.close();
                        ns
                    }
                    Event::End(_) => {
                        self.close();
                        Ns::None
                    }
                    _ => Ns::None,
                };
                Some((ns, ev, at))
            }
            Err(e) => {
                let at = self.reader.error_position() as usize + self.skipped;
                self.syntax_error(at, &e.to_string());
                None
            }
        }
    }

    /// Offset of the next unread byte.
    fn pos(&self) -> usize {
        self.reader.buffer_position() as usize + self.skipped
    }

    /// Enters an element: records its namespace declarations and resolves its name.
    fn open(&mut self, start: &BytesStart<'a>) -> Ns {
        self.depth += 1;
        let attrs = start.attributes_raw();
        if !attrs.trim_ascii().is_empty() && attrs.contains("xmlns") {
            for attr in start.attributes().flatten() {
                let key = attr.key.as_ref();
                let prefix = match key.strip_prefix("xmlns") {
                    Some("") => "",
                    Some(rest) => match rest.strip_prefix(':') {
                        Some(p) => p,
                        None => continue,
                    },
                    None => continue,
                };
                let ns = if attr.value.is_empty() {
                    Ns::None
                } else {
                    Ns::of_uri(&attr.value)
                };
                self.bindings.push(Binding {
                    prefix: prefix.into(),
                    ns,
                    depth: self.depth,
                });
            }
        }
        let prefix = split_qname(start.name().into_inner()).0;
        match self.bindings.iter().rev().find(|b| &*b.prefix == prefix) {
            Some(b) => b.ns,
            None if prefix.is_empty() => Ns::None,
            None => Ns::Other,
        }
    }

    /// Leaves an element: its declarations go out of scope.
    fn close(&mut self) {
        while self.bindings.last().is_some_and(|b| b.depth == self.depth) {
            self.bindings.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn syntax_error(&mut self, at: usize, detail: &str) {
        self.fatal = true;
        self.diags.push(Diagnostic {
            code: "E-XML-SYNTAX",
            severity: Severity::Error,
            path: self.path_string(None),
            line: 0,
            column: 0,
            found: detail.to_string(),
            expected: "well-formed XML".into(),
            zh: format!("XML格式错误：{detail}。请修正此处的标签或字符后重新发送。"),
            en: format!("The XML is not well-formed: {detail}. Fix the markup at this position and send again."),
            source: "W3C XML 1.0",
            offset: at,
        });
    }

    fn path_string(&self, leaf: Option<&str>) -> String {
        path_of(&self.path, leaf)
    }

    /// Records a finding; its words are only made while findings are still listed.
    fn report(
        &mut self,
        code: &'static str,
        at: usize,
        leaf: Option<&str>,
        words: impl FnOnce() -> Words,
    ) {
        if self.diags.len() >= self.limits.max_diagnostics {
            self.unlisted(at);
            return;
        }
        let path = self.path_string(leaf);
        let Words {
            found,
            expected,
            zh,
            en,
        } = words();
        self.diags.push(Diagnostic {
            code,
            severity: Severity::Error,
            path,
            line: 0,
            column: 0,
            found,
            expected,
            zh,
            en,
            source: SPEC_2022,
            offset: at,
        });
    }

    /// Counts a finding past `max_diagnostics` against its document.
    fn unlisted(&mut self, at: usize) {
        let key = &self.path[..self.path.len().min(2)];
        match self.unlisted.iter_mut().find(|u| u.key == key) {
            Some(u) => u.count += 1,
            None => self.unlisted.push(Unlisted {
                key: key.to_vec(),
                at,
                count: 1,
            }),
        }
    }

    /// Finds the root element: its namespace, start tag, shape and offset.
    fn find_root(&mut self) -> Option<(Ns, BytesStart<'a>, Shape, usize)> {
        loop {
            let (ns, ev, at) = self.next()?;
            match ev {
                Event::Start(s) => return Some((ns, s, Shape::Open, at)),
                Event::Empty(s) => return Some((ns, s, Shape::Empty, at)),
                Event::Text(t) if !is_blank(&t) => {
                    self.syntax_error(at, "text before the root element");
                    return None;
                }
                Event::End(e) => {
                    let name = e.name().into_inner().to_string();
                    self.syntax_error(at, &format!("the end tag `</{name}>` has no start tag"));
                    return None;
                }
                _ => {}
            }
        }
    }

    /// Decodes the whole document into `el` once its root element is known to fit.
    fn decode_root(
        &mut self,
        el: &mut dyn Element<'a>,
        start: &BytesStart<'a>,
        shape: Shape,
        at: usize,
    ) {
        self.path.push((el.schema().name, 0));
        self.element(el, start, shape, at);
        self.path.pop();
        self.trailing();
    }

    fn wrong_root(&mut self, ns: Ns, name: &str, expected: &str, at: usize) {
        let (zh, en) = if ns.matches(CEB_NS)
            || ns.matches(DXP_NS)
            || !expected.starts_with("an export")
        {
            (
                format!(
                    "无法识别的报文类型 {name}：根元素应为 CEB303Message、CEB603Message 等出口报文之一（或 DxpMsg 传输报文）。"
                ),
                format!(
                    "Unknown message type {name}: the root must be one of the export messages such as CEB303Message or CEB603Message (or a DxpMsg wrapper)."
                ),
            )
        } else {
            (
                format!(
                    "根元素{name}不在海关命名空间 {CEB_NS} 中：请声明 xmlns:ceb=\"{CEB_NS}\" 并使用 ceb: 前缀（或默认命名空间）。"
                ),
                format!(
                    "The root element {name} is not in the customs namespace {CEB_NS}: declare xmlns:ceb=\"{CEB_NS}\" and use the ceb: prefix (or a default namespace)."
                ),
            )
        };
        self.report("E-XML-ROOT", at, Some(name), || Words {
            found: format!("{name} in {}", ns_label(ns)),
            expected: expected.to_string(),
            zh,
            en,
        });
        self.fatal = true;
    }

    /// After the root: only whitespace, comments and processing instructions may follow.
    fn trailing(&mut self) {
        while let Some((_, ev, at)) = self.next() {
            match ev {
                Event::Start(_) | Event::Empty(_) => {
                    self.syntax_error(at, "a second root element after the end of the message");
                    return;
                }
                Event::End(e) => {
                    let name = e.name().into_inner().to_string();
                    self.syntax_error(at, &format!("the end tag `</{name}>` has no start tag"));
                    return;
                }
                Event::Text(t) if !is_blank(&t) => {
                    self.syntax_error(at, "text after the end of the message");
                    return;
                }
                _ => {}
            }
        }
    }

    /// Decodes the attributes and children of one element into `el`.
    fn element(
        &mut self,
        el: &mut dyn Element<'a>,
        start: &BytesStart<'a>,
        shape: Shape,
        at: usize,
    ) {
        let schema = el.schema();
        self.attributes(el, schema, start, at);
        let mut counts = [0u32; 64];
        // Where each member first occurred, and where the element ends: a missing member is
        // reported where it belongs, before the next member present.
        let mut first_at = [usize::MAX; 64];
        let mut end_at = at;
        let mut last = 0usize;
        if shape == Shape::Open {
            loop {
                self.skip_indentation();
                let Some((ns, ev, pos)) = self.plain_start().or_else(|| self.next()) else {
                    if !self.fatal {
                        self.syntax_error(self.input.len(), "the input ends inside an element");
                    }
                    return;
                };
                let (child, child_shape) = match ev {
                    Event::End(e) => {
                        if !self.end_tag(start, &e, pos) {
                            return;
                        }
                        end_at = pos;
                        break;
                    }
                    Event::Start(s) => (s, Shape::Open),
                    Event::Empty(s) => (s, Shape::Empty),
                    Event::Text(t) => {
                        if !is_blank(&t) {
                            self.unexpected_text(schema, pos, &t.xml10_content());
                        }
                        continue;
                    }
                    Event::CData(c) => {
                        self.unexpected_text(schema, pos, &c.xml10_content());
                        continue;
                    }
                    Event::GeneralRef(_) => {
                        self.unexpected_text(schema, pos, "&…;");
                        continue;
                    }
                    _ => continue,
                };
                if let Some(i) = self.child(
                    el,
                    schema,
                    &mut counts,
                    &mut last,
                    ns,
                    child,
                    child_shape,
                    pos,
                ) {
                    first_at[i] = first_at[i].min(pos);
                }
                if self.fatal {
                    return;
                }
            }
        }
        self.check_counts(schema, &counts, &first_at, end_at);
    }

    fn unexpected_text(&mut self, schema: &Schema, at: usize, text: &str) {
        self.report("E-XML-TEXT", at, None, || {
            let shown = clip(text.trim());
            Words {
                expected: format!("only child elements inside {}", schema.name),
                zh: format!("{}下不能直接出现文本“{shown}”：请把它放进对应的子元素，或删除。", schema.name),
                en: format!("Text \"{shown}\" appears directly inside {}: put it in the right child element or remove it.", schema.name),
                found: shown,
            }
        });
    }

    fn attributes(
        &mut self,
        el: &mut dyn Element<'a>,
        schema: &Schema,
        start: &BytesStart<'a>,
        at: usize,
    ) {
        let mut seen = 0u64;
        for attr in start.attributes() {
            let attr = match attr {
                Ok(a) => a,
                Err(e) => {
                    self.syntax_error(at, &e.to_string());
                    return;
                }
            };
            let key = attr.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") || key.starts_with("xsi:") {
                continue;
            }
            let name = key;
            let found = schema
                .members
                .iter()
                .position(|m| m.name == name && matches!(m.kind, Kind::Attr { .. }));
            let Some(i) = found else {
                self.report("E-XML-UNKNOWN", at, Some(&format!("@{name}")), || Words {
                    found: name.to_string(),
                    expected: format!(
                        "only the attributes {} on {}",
                        attr_names(schema),
                        schema.name
                    ),
                    zh: format!("{}上不允许属性 {name}：请删除。", schema.name),
                    en: format!(
                        "The attribute {name} is not allowed on {}: remove it.",
                        schema.name
                    ),
                });
                continue;
            };
            seen |= 1 << i;
            let value = match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v,
                Err(e) => {
                    self.syntax_error(at, &e.to_string());
                    return;
                }
            };
            let member = &schema.members[i];
            // Attribute values are few and short: owning them keeps the borrow simple.
            let value: Str<'a> = Cow::Owned(value.into_owned());
            if let Some(v) = self.simple(member, value, at, &format_args!("@{name}")) {
                el.set_value(i, v);
            }
        }
        for (i, m) in schema.members.iter().enumerate() {
            if matches!(m.kind, Kind::Attr { .. }) && m.min > 0 && seen & (1 << i) == 0 {
                self.report("E-XML-MISSING", at, Some(&format!("@{}", m.name)), || {
                    Words {
                        found: String::new(),
                        expected: format!("attribute {} ({})", m.name, m.doc),
                        zh: format!(
                            "{}缺少必填属性 {}（{}）：请补上。",
                            schema.name, m.name, m.doc
                        ),
                        en: format!(
                            "{} lacks the required attribute {} ({}): add it.",
                            schema.name, m.name, m.doc
                        ),
                    }
                });
            }
        }
    }

    /// One child element of `el`: finds its member, checks order and count, decodes it.
    /// Returns the member it belongs to, if any.
    #[allow(clippy::too_many_arguments)]
    fn child(
        &mut self,
        el: &mut dyn Element<'a>,
        schema: &'static Schema,
        counts: &mut [u32; 64],
        last: &mut usize,
        ns: Ns,
        start: BytesStart<'a>,
        shape: Shape,
        at: usize,
    ) -> Option<usize> {
        let name = local_str(&start);
        let Some(i) = find_member(schema, *last, name) else {
            self.report("E-XML-UNKNOWN", at, Some(name), || Words {
                found: name.to_string(),
                expected: format!(
                    "one of the elements of {}: {}",
                    schema.name,
                    element_names(schema)
                ),
                zh: format!("{}中不允许元素 {name}：请检查拼写（区分大小写）或删除。", schema.name),
                en: format!("The element {name} is not allowed in {}: check the spelling (case matters) or remove it.", schema.name),
            });
            let _ = self.skip(&start, shape);
            return None;
        };
        let member = &schema.members[i];
        let expected_ns = match member.kind {
            Kind::Record(s) => s.ns,
            Kind::Raw { ns } => ns,
            _ => schema.ns,
        };
        if !ns.matches(expected_ns) {
            // It is the member, misplaced in a namespace: count it, so it is not also "missing".
            counts[i] += 1;
            self.report("E-XML-NAMESPACE", at, Some(name), || Words {
                found: format!("{name} in {}", ns_label(ns)),
                expected: format!("{name} in namespace {expected_ns}"),
                zh: format!("元素 {name} 的命名空间不对：应属于 {expected_ns}（例如使用已声明的 ceb: 前缀）。"),
                en: format!("The element {name} is in the wrong namespace: it belongs to {expected_ns} (e.g. use the declared ceb: prefix)."),
            });
            let _ = self.skip(&start, shape);
            return Some(i);
        }
        counts[i] += 1;
        let n = counts[i];
        // The leaf of the path, for diagnostics: built only where one may be needed (list
        // records, the bulk of repeated members, never need it).
        let leaf = || -> Cow<'_, str> {
            if member.max > 1 {
                Cow::Owned(format!("{name}[{n}]"))
            } else {
                Cow::Borrowed(name)
            }
        };
        if n > member.max {
            self.report("E-XML-COUNT", at, Some(&leaf()), || Words {
                found: format!("{n} × {name}"),
                expected: format!("at most {} × {name}", member.max),
                zh: format!("{name}最多出现{}次，这里是第{n}次：请删除多余的{name}。", member.max),
                en: format!("{name} may occur at most {} time(s); this is occurrence {n}: remove the extra {name}.", member.max),
            });
            let _ = self.skip(&start, shape);
            return None;
        }
        if i < *last {
            let after = schema.members[*last].name;
            self.report("E-XML-ORDER", at, Some(&leaf()), || Words {
                found: format!("{name} after {after}"),
                expected: format!("{name} before {after} (the order of {})", schema.name),
                zh: format!("元素 {name} 位置错误：在 {} 中它必须位于 {after} 之前，请按规范顺序排列。", schema.name),
                en: format!("The element {name} is out of place: in {} it must come before {after}; put the elements in the spec's order.", schema.name),
            });
        } else {
            *last = i;
        }
        match member.kind {
            Kind::Record(_) => {
                let index = if member.max > 1 { n } else { 0 };
                if let Some(child) = el.push_child(i) {
                    self.path.push((member.name, index));
                    self.element(child, &start, shape, at);
                    self.path.pop();
                } else {
                    let _ = self.skip(&start, shape);
                }
            }
            Kind::Raw { .. } => {
                let Some(end) = self.skip(&start, shape) else {
                    return Some(i);
                };
                let raw = &self.input[at..end.min(self.input.len())];
                el.set_value(i, Value::Text(Cow::Borrowed(raw)));
            }
            _ => {
                let leaf = leaf();
                let Some(text) = self.text(&start, shape, &leaf) else {
                    return Some(i);
                };
                if let Some(v) = self.simple(member, text, at, &leaf) {
                    el.set_value(i, v);
                }
            }
        }
        Some(i)
    }

    /// Reports members that occur fewer times than required.
    fn check_counts(
        &mut self,
        schema: &Schema,
        counts: &[u32; 64],
        first_at: &[usize; 64],
        end_at: usize,
    ) {
        for (i, m) in schema.members.iter().enumerate() {
            if matches!(m.kind, Kind::Attr { .. }) || counts[i] >= m.min {
                continue;
            }
            let at = first_at[i + 1..schema.members.len()]
                .iter()
                .copied()
                .find(|&p| p != usize::MAX)
                .unwrap_or(end_at);
            if counts[i] == 0 {
                self.report("E-XML-MISSING", at, Some(m.name), || Words {
                    found: String::new(),
                    expected: format!("{} ({}), {}", m.name, m.doc, m.kind.describe()),
                    zh: format!(
                        "{}缺少必填元素 {}（{}）：请按规范补上。",
                        schema.name, m.name, m.doc
                    ),
                    en: format!(
                        "{} lacks the required element {} ({}): add it where the spec places it.",
                        schema.name, m.name, m.doc
                    ),
                });
            } else {
                self.report("E-XML-COUNT", at, Some(m.name), || Words {
                    found: format!("{} × {}", counts[i], m.name),
                    expected: format!("at least {} × {}", m.min, m.name),
                    zh: format!("{}至少应出现{}次，实际{}次。", m.name, m.min, counts[i]),
                    en: format!(
                        "{} must occur at least {} times; found {}.",
                        m.name, m.min, counts[i]
                    ),
                });
            }
        }
    }

    /// Reads the text content of a simple element up to its end tag.
    fn text(&mut self, start: &BytesStart<'a>, shape: Shape, leaf: &str) -> Option<Str<'a>> {
        if shape == Shape::Empty {
            return Some(Cow::Borrowed(""));
        }
        if let Some(text) = self.plain_text(start) {
            return Some(text);
        }
        let mut out: Option<Cow<'a, str>> = None;
        loop {
            let Some((_, ev, at)) = self.next() else {
                if !self.fatal {
                    self.syntax_error(self.input.len(), "the input ends inside an element");
                }
                return None;
            };
            let piece: Cow<'a, str> = match ev {
                Event::End(e) if self.end_tag(start, &e, at) => break,
                Event::End(_) => return None,
                Event::Text(t) => t.xml10_content(),
                Event::CData(c) => c.xml10_content(),
                Event::GeneralRef(r) => match resolve_entity(&r) {
                    Some(c) => Cow::Owned(c.to_string()),
                    None => {
                        let detail = format!("unknown entity &{};", &*r.into_inner());
                        self.syntax_error(at, &detail);
                        return None;
                    }
                },
                Event::Start(s) => {
                    self.element_in_text(start, leaf, &s, Shape::Open, at);
                    continue;
                }
                Event::Empty(s) => {
                    self.element_in_text(start, leaf, &s, Shape::Empty, at);
                    continue;
                }
                _ => continue,
            };
            out = Some(match out {
                None => piece,
                Some(prev) => Cow::Owned(prev.into_owned() + &piece),
            });
        }
        Some(out.unwrap_or(Cow::Borrowed("")))
    }

    fn element_in_text(
        &mut self,
        start: &BytesStart<'a>,
        leaf: &str,
        inner: &BytesStart<'a>,
        shape: Shape,
        at: usize,
    ) {
        let inner_name = local_str(inner).to_string();
        let name = local_str(start).to_string();
        self.report("E-XML-TEXT", at, Some(leaf), || Words {
            found: format!("element {inner_name}"),
            expected: format!("text only inside {name}"),
            zh: format!("{name} 只能包含文本，不能包含子元素 {inner_name}：请删除 {inner_name}。"),
            en: format!(
                "{name} holds text only, not the child element {inner_name}: remove {inner_name}."
            ),
        });
        let _ = self.skip(inner, shape);
    }

    /// Skips an element and everything inside it, checking that it is well-formed; returns the
    /// offset just after it.
    fn skip(&mut self, start: &BytesStart<'a>, shape: Shape) -> Option<usize> {
        if shape == Shape::Empty {
            return Some(self.pos());
        }
        // Skipped elements are rare (unknown ones, signatures): owned names keep this simple.
        let mut open = vec![start.name().into_inner().to_string()];
        while let Some((_, ev, at)) = self.next() {
            match ev {
                Event::Start(s) => open.push(s.name().into_inner().to_string()),
                Event::End(e) => {
                    let expected = open.pop().unwrap_or_default();
                    let found = e.name().into_inner();
                    if found != expected {
                        self.mismatched_end(&expected, found, at);
                        return None;
                    }
                    if open.is_empty() {
                        return Some(self.pos());
                    }
                }
                _ => {}
            }
        }
        if !self.fatal {
            self.syntax_error(self.input.len(), "the input ends inside an element");
        }
        None
    }

    /// Checks that an end tag closes `start`; reports a syntax error when it does not.
    fn end_tag(
        &mut self,
        start: &BytesStart<'a>,
        end: &quick_xml::events::BytesEnd<'_>,
        at: usize,
    ) -> bool {
        let expected = start.name().into_inner();
        let found = end.name().into_inner();
        if expected == found {
            return true;
        }
        self.mismatched_end(expected, found, at);
        false
    }

    fn mismatched_end(&mut self, expected: &str, found: &str, at: usize) {
        self.syntax_error(
            at,
            &format!("expected `</{expected}>`, but `</{found}>` was found"),
        );
    }

    /// Skips the whitespace between child elements straight from the input: it carries
    /// nothing, and reading it as events is a good part of the parsing work.
    fn skip_indentation(&mut self) {
        let rest: &'a [u8] = self.reader.get_ref();
        let n = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        *self.reader.get_mut() = &rest[n..];
        self.skipped += n;
    }

    /// Fast path for a start tag without attributes, `<x>`, read straight from the input.
    /// `None` (reader untouched) for anything else: end tags, comments, attributes, `<x/>`.
    fn plain_start(&mut self) -> Option<(Ns, Event<'a>, usize)> {
        if self.after_text || self.fatal {
            return None;
        }
        let rest: &'a [u8] = self.reader.get_ref();
        if rest.first() != Some(&b'<') || matches!(rest.get(1), None | Some(b'/' | b'!' | b'?')) {
            return None;
        }
        // One pass to the `>`, giving up at anything a plain name cannot hold.
        let mut gt = None;
        for (i, &b) in rest.iter().enumerate().skip(1) {
            match b {
                b'>' => {
                    gt = Some(i);
                    break;
                }
                b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'"' | b'\'' | b'=' | b'<' => return None,
                _ => {}
            }
        }
        let gt = gt?;
        let name = &rest[1..gt];
        let at = self.pos();
        let from = self.input.len() - rest.len() + 1;
        let name = self.input.get(from..from + name.len())?;
        *self.reader.get_mut() = &rest[gt + 1..];
        self.skipped += gt + 1;
        let start = BytesStart::from_content(name, name.len());
        let ns = self.open(&start);
        Some((ns, Event::Start(start), at))
    }

    /// Fast path for the usual `<x>text</x>`: takes the text and the end tag straight from the
    /// input when the text holds no markup, entity or carriage return (which need quick-xml's
    /// full treatment). `None` leaves the reader where it was.
    fn plain_text(&mut self, start: &BytesStart<'a>) -> Option<Str<'a>> {
        let rest: &'a [u8] = self.reader.get_ref();
        // One pass finds the end of the text and anything that would need the general path.
        let lt = memchr::memchr3(b'<', b'&', b'\r', rest).filter(|&p| rest[p] == b'<')?;
        let name = start.name().into_inner().as_bytes();
        let end = rest.get(lt..lt + name.len() + 3)?;
        if !(end.starts_with(b"</") && &end[2..2 + name.len()] == name && end.ends_with(b">")) {
            return None;
        }
        let from = self.input.len() - rest.len();
        let text = self.input.get(from..from + lt)?;
        *self.reader.get_mut() = &rest[lt + name.len() + 3..];
        self.skipped += lt + name.len() + 3;
        self.close();
        Some(Cow::Borrowed(text))
    }

    /// Checks and converts one simple value; `None` (with a diagnostic) when it is invalid.
    fn simple(
        &mut self,
        member: &Member,
        raw: Str<'a>,
        at: usize,
        leaf: &dyn std::fmt::Display,
    ) -> Option<Value<'a>> {
        let problem = match member.kind {
            Kind::Attr { min, max } | Kind::Text { min, max } => match check_len(&raw, min, max) {
                None => return Some(Value::Text(raw)),
                Some(p) => p,
            },
            Kind::Fixed { value } if raw == value => return Some(Value::Text(raw)),
            Kind::Fixed { value } => problem(
                format!("规范规定此项固定填写“{value}”"),
                format!("the spec fixes this field to \"{value}\""),
            ),
            Kind::Decimal { total, frac } => match parse_decimal(raw.trim(), total, frac) {
                Ok(d) => return Some(Value::Decimal(d)),
                Err(p) => p,
            },
            Kind::Int { digits } => match parse_int(raw.trim(), digits) {
                Ok(n) => return Some(Value::Int(n)),
                Err(p) => p,
            },
            Kind::Time14 | Kind::Time17 | Kind::Date8 => {
                match check_time(raw.trim(), member.kind) {
                    None => return Some(Value::Text(raw)),
                    Some(p) => p,
                }
            }
            Kind::Base64 => return Some(Value::Text(raw)),
            Kind::Record(_) | Kind::Raw { .. } => return None,
        };
        let code = match member.kind {
            Kind::Attr { .. } | Kind::Text { .. } => "E-XML-LENGTH",
            Kind::Fixed { .. } => "E-XML-FIXED",
            Kind::Decimal { .. } | Kind::Int { .. } => "E-XML-NUMBER",
            _ => "E-XML-DATE",
        };
        let name = member.name;
        self.report(code, at, Some(&leaf.to_string()), || Words {
            found: clip(&raw),
            expected: member.kind.describe(),
            zh: format!(
                "{name}（{}）的值“{}”不符合要求：{}。",
                member.doc,
                clip(&raw),
                problem.zh
            ),
            en: format!(
                "The value \"{}\" of {name} ({}) is not valid: {}.",
                clip(&raw),
                member.doc,
                problem.en
            ),
        });
        None
    }
}

/// An XPath from its steps (element name and 1-based index, 0 = not repeatable).
fn path_of(steps: &[(&str, u32)], leaf: Option<&str>) -> String {
    let mut s = String::new();
    for (name, idx) in steps {
        s.push('/');
        s.push_str(name);
        if *idx > 0 {
            let _ = write!(s, "[{idx}]");
        }
    }
    if let Some(leaf) = leaf {
        s.push('/');
        s.push_str(leaf);
    }
    s
}

/// A format problem in one value, said in both languages.
struct Problem {
    zh: String,
    en: String,
}

fn problem(zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem {
        zh: zh.into(),
        en: en.into(),
    }
}

fn check_len(s: &str, min: u16, max: u16) -> Option<Problem> {
    // Byte length bounds the character count from above, so most values need no counting.
    let max = if max == NO_LIMIT {
        usize::MAX
    } else {
        usize::from(max)
    };
    let min = usize::from(min);
    if s.len() >= min && s.len() <= max && (min == 0 || s.is_ascii()) {
        return None;
    }
    let n = s.chars().count();
    if n > max {
        Some(problem(
            format!("长度为{n}个字符，最多允许{max}个，请缩短"),
            format!("it is {n} characters long and at most {max} are allowed; shorten it"),
        ))
    } else if n < min {
        Some(problem(
            if min == max {
                format!("长度为{n}个字符，必须正好{min}个")
            } else {
                format!("长度为{n}个字符，至少需要{min}个")
            },
            if min == max {
                format!("it is {n} characters long and must be exactly {min}")
            } else {
                format!("it is {n} characters long and must be at least {min}")
            },
        ))
    } else {
        None
    }
}

/// `xs:decimal` with `totalDigits`/`fractionDigits` facets.
fn parse_decimal(s: &str, total: u8, frac: u8) -> Result<Decimal, Problem> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if body.is_empty()
        || (int_part.is_empty() && frac_part.is_empty())
        || !digits_ok(int_part)
        || !digits_ok(frac_part)
    {
        return Err(problem(
            "不是数字（应只含数字和一个小数点）",
            "it is not a number (digits and at most one decimal point)",
        ));
    }
    let int_digits = int_part.trim_start_matches('0').len();
    let frac_digits = frac_part.trim_end_matches('0').len();
    if frac_digits > usize::from(frac) {
        return Err(problem(
            format!("小数位数为{frac_digits}，最多{frac}位"),
            format!("it has {frac_digits} decimals and at most {frac} are allowed"),
        ));
    }
    if int_digits + frac_digits > usize::from(total) {
        return Err(problem(
            format!("有效数字{}位，最多{total}位", int_digits + frac_digits),
            format!(
                "it has {} significant digits and at most {total} are allowed",
                int_digits + frac_digits
            ),
        ));
    }
    // The digits are checked above, so the value can be built directly; the general parser is
    // only needed when the scale would exceed what `Decimal` holds.
    let scale = frac_part.len();
    if int_part.len() + scale <= 28 {
        let mantissa = int_part
            .bytes()
            .chain(frac_part.bytes())
            .fold(0i128, |m, b| m * 10 + i128::from(b - b'0'));
        let signed = if s.starts_with('-') {
            -mantissa
        } else {
            mantissa
        };
        return Ok(Decimal::from_i128_with_scale(signed, scale as u32));
    }
    Decimal::from_str(s).map_err(|_| problem("超出数值范围", "it is out of range"))
}

/// `xs:int` with a `totalDigits` facet.
fn parse_int(s: &str, digits: u8) -> Result<i64, Problem> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem("不是整数", "it is not a whole number"));
    }
    let significant = body.trim_start_matches('0').len();
    if significant > usize::from(digits) {
        return Err(problem(
            format!("有{significant}位数字，最多{digits}位"),
            format!("it has {significant} digits and at most {digits} are allowed"),
        ));
    }
    let n: i64 = s
        .parse()
        .map_err(|_| problem("超出数值范围", "it is out of range"))?;
    if i32::try_from(n).is_err() {
        return Err(problem("超出数值范围", "it is out of range"));
    }
    Ok(n)
}

/// A 14/17-digit time or 8-digit date that names a real calendar moment.
fn check_time(s: &str, kind: Kind) -> Option<Problem> {
    let (len, zh, en) = match kind {
        Kind::Time14 => (
            14,
            "YYYYMMDDhhmmss（14位数字）",
            "YYYYMMDDhhmmss (14 digits)",
        ),
        Kind::Time17 => (
            17,
            "yyyyMMddHHmmssSSS（17位数字）",
            "yyyyMMddHHmmssSSS (17 digits)",
        ),
        _ => (8, "YYYYMMDD（8位数字）", "YYYYMMDD (8 digits)"),
    };
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(problem(
            format!("格式应为{zh}"),
            format!("the form must be {en}"),
        ));
    }
    if crate::model::time::parse_digits(s).is_none() {
        return Some(problem(
            format!("不是真实的日期时间，格式应为{zh}"),
            format!("it is not a real date and time; the form is {en}"),
        ));
    }
    None
}

fn resolve_entity(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match &*r.clone().into_inner() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// The member named `name`, looking first where the sequence says it should be.
fn find_member(schema: &Schema, last: usize, name: &str) -> Option<usize> {
    let members = schema.members;
    let is = |m: &Member| m.name == name && !matches!(m.kind, Kind::Attr { .. });
    (last..members.len())
        .find(|&i| is(&members[i]))
        .or_else(|| (0..last).find(|&i| is(&members[i])))
}

fn is_blank(t: &quick_xml::events::BytesText<'_>) -> bool {
    t.as_ref().bytes().all(|b| b.is_ascii_whitespace())
}

fn local_str<'x>(start: &'x BytesStart<'_>) -> &'x str {
    split_qname(start.name().into_inner()).1
}

/// `prefix:local` → (`prefix`, `local`); names are short, so a byte loop beats a searcher.
fn split_qname(name: &str) -> (&str, &str) {
    match name.bytes().position(|b| b == b':') {
        Some(p) => (&name[..p], &name[p + 1..]),
        None => ("", name),
    }
}

fn element_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema
        .members
        .iter()
        .filter(|m| !matches!(m.kind, Kind::Attr { .. }))
        .map(|m| m.name)
        .collect();
    names.join(", ")
}

fn attr_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema
        .members
        .iter()
        .filter(|m| matches!(m.kind, Kind::Attr { .. }))
        .map(|m| m.name)
        .collect();
    names.join(", ")
}

fn ns_label(ns: Ns) -> &'static str {
    match ns {
        Ns::Ceb => CEB_NS,
        Ns::Dxp => DXP_NS,
        Ns::Dsig => DSIG_NS,
        Ns::None => "no namespace",
        Ns::Other => "another namespace",
    }
}

/// Long values are shortened in messages.
fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimals_are_built_exactly_as_the_general_parser_would() {
        for s in [
            "0",
            "49.90",
            "-1.5",
            "+2",
            "00012.34000",
            ".5",
            "5.",
            "12345678901234.12345",
            "0.00001",
        ] {
            let fast = parse_decimal(s, 19, 5).unwrap_or_else(|_| panic!("{s} is valid"));
            let general = Decimal::from_str(s.strip_prefix('+').unwrap_or(s)).expect("parses");
            assert_eq!(fast, general, "{s}");
            assert_eq!(fast.to_string(), general.to_string(), "{s} keeps its scale");
        }
        for s in [
            "1,5",
            "1.2.3",
            "",
            "-",
            ".",
            "1e3",
            "12345678901234567890",
            "1.000001",
        ] {
            assert!(parse_decimal(s, 19, 5).is_err(), "{s} is not N19,5");
        }
    }
}
