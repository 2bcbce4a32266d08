//! Validation beyond the message format: code tables, identifiers, arithmetic inside a
//! document, dated trade-mode rules and the registration of every party. Pure: the business
//! date comes from the document itself, the registry and parameters are passed in.

pub mod catalog;
mod consistency;
mod fields;
pub mod links;
mod parties;
mod trade;

pub use links::Related;

use crate::diagnostic::{Diagnostic, locate};
use crate::model::registry::Registry;
use crate::model::schema::{Element, View};
use crate::model::{Message, MessageType};
use catalog::Rule;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Tunable parameters. None of these has a published value; each default is documented.
#[derive(Debug, Clone)]
pub struct Params {
    /// Largest accepted difference between a declared amount and the one computed from its
    /// parts (totalPrice vs qty × price, goodsValue vs Σ totalPrice), in the document currency.
    pub amount_tolerance: Decimal,
    /// The 9710/9810 list ceiling per consignment, in yuan (公告2020年第75号: RMB 5,000).
    pub list_ceiling_cny: Decimal,
    /// Yuan per unit of each currency (customs numeric code), for the list ceiling.
    pub cny_per_unit: BTreeMap<String, Decimal>,
    /// Largest accepted difference between a list's and its waybill's gross weight, as a
    /// fraction of the waybill's (parcels are weighed again by the carrier).
    pub weight_tolerance: Decimal,
    /// How much one message may ask of the decoder (elements, depth, values, findings).
    pub limits: crate::ceb::Limits,
}

impl Default for Params {
    fn default() -> Self {
        // Illustrative rates (yuan per unit, 2025 orders of magnitude): configure the real
        // customs monthly rates for serious use.
        let rates = [
            ("142", "1"),
            ("502", "7.2"),
            ("300", "7.8"),
            ("303", "9.2"),
            ("110", "0.92"),
            ("116", "0.048"),
            ("501", "5.2"),
            ("601", "4.7"),
            ("132", "5.4"),
            ("133", "0.0052"),
        ];
        Params {
            amount_tolerance: Decimal::new(1, 2),
            list_ceiling_cny: Decimal::from(5000),
            weight_tolerance: Decimal::new(10, 2),
            limits: crate::ceb::Limits::default(),
            cny_per_unit: rates
                .iter()
                .filter_map(|(c, r)| Some(((*c).to_string(), r.parse().ok()?)))
                .collect(),
        }
    }
}

/// Everything a check needs besides the message.
pub struct Context<'c> {
    pub registry: &'c Registry,
    pub params: &'c Params,
    /// Other documents known to the caller; `None` when checking one message alone.
    pub related: Option<&'c Related>,
}

/// One rule broken at one place.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    /// XPath of the element the finding is about.
    pub path: String,
    pub found: String,
    pub expected: String,
    /// What is wrong here, said in both languages; the rule adds how to comply.
    pub zh: String,
    pub en: String,
}

impl Finding {
    /// As a diagnostic, located in `text` (the message the finding is about).
    pub fn into_diagnostic(self, text: &str) -> Diagnostic {
        let mut d = self.unlocated(0);
        d.offset = locate_path(text, &d.path).unwrap_or(0);
        locate(text, std::slice::from_mut(&mut d));
        d
    }

    /// As a diagnostic at `offset`, line and column not yet filled in.
    fn unlocated(self, offset: usize) -> Diagnostic {
        Diagnostic {
            code: self.rule.code,
            severity: self.rule.severity,
            offset,
            path: self.path,
            line: 0,
            column: 0,
            found: self.found,
            expected: self.expected,
            zh: format!("{}{}", self.zh, self.rule.zh),
            en: format!("{} {}", self.en, self.rule.en),
            source: self.rule.source,
        }
    }
}

/// Many findings as diagnostics, located in `text` in one pass over it however many there are
/// (locating each on its own re-reads the text: quadratic for a message full of findings).
pub fn into_diagnostics(findings: Vec<Finding>, text: &str) -> Vec<Diagnostic> {
    if findings.is_empty() {
        // Most documents: locating nothing would still read the whole text.
        return Vec::new();
    }
    let offsets = locate_paths(text, findings.iter().map(|f| f.path.as_str()));
    let mut diags: Vec<Diagnostic> = findings
        .into_iter()
        .zip(offsets)
        .map(|(f, at)| f.unlocated(at.unwrap_or(0)))
        .collect();
    locate(text, &mut diags);
    diags
}

/// Collects the findings of one document; knows its scope (message, trade mode, date) and
/// which elements already failed the format checks, so no finding repeats one of those.
pub(crate) struct Out<'o> {
    findings: &'o mut Vec<Finding>,
    kind: MessageType,
    trade_mode: &'o str,
    date: Option<NaiveDate>,
    /// Paths with format errors and their ancestors: values there are unreliable, so rules
    /// about them are skipped.
    broken: &'o Broken,
}

/// The paths with format errors, each with every ancestor, so that whether a path has a
/// format error at or below it is one look-up (not a scan of every error for every finding).
#[derive(Default)]
pub(crate) struct Broken(HashSet<String>);

impl Broken {
    fn new<'p>(paths: impl Iterator<Item = &'p str>) -> Self {
        let mut set = HashSet::new();
        for path in paths {
            let mut end = path.len();
            while end > 0 && set.insert(path[..end].to_string()) {
                end = path[..end].rfind('/').unwrap_or(0);
            }
        }
        Broken(set)
    }

    /// Whether `path` or an element below it failed the format checks.
    fn at_or_below(&self, path: &str) -> bool {
        !self.0.is_empty() && self.0.contains(path)
    }
}

impl Out<'_> {
    /// Whether `code` is in force for this document.
    pub(crate) fn active(&self, code: &str) -> Option<&'static Rule> {
        let rule = catalog::rule(code)?;
        let mode_ok = rule.trade_modes.is_empty() || rule.trade_modes.contains(&self.trade_mode);
        let date_ok = self.date.is_none_or(|d| rule.in_force(d));
        (rule.applies_to(self.kind) && mode_ok && date_ok).then_some(rule)
    }

    /// Records a finding unless the rule is not in force or one of `involved` (paths) failed
    /// the format checks.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn report(
        &mut self,
        code: &str,
        path: String,
        involved: &[&str],
        found: String,
        expected: String,
        zh: String,
        en: String,
    ) {
        let Some(rule) = self.active(code) else {
            return;
        };
        let broken = |p: &str| self.broken.at_or_below(p);
        if broken(&path) || involved.iter().any(|p| broken(p)) {
            return;
        }
        self.findings.push(Finding {
            rule,
            path,
            found,
            expected,
            zh,
            en,
        });
    }

    /// Like `report`, unless another rule already rejected the same element: a value that is
    /// wrong in itself is not reported again for disagreeing with another document.
    pub(crate) fn report_once(
        &mut self,
        code: &str,
        path: String,
        found: String,
        expected: String,
        zh: String,
        en: String,
    ) {
        let taken = self
            .findings
            .iter()
            .any(|f| f.path == path && f.rule.severity == crate::diagnostic::Severity::Error);
        if !taken {
            self.report(code, path, &[], found, expected, zh, en);
        }
    }
}

/// An element's XPath as its record's path and its name, joined only when a finding needs it.
pub(crate) struct Place<'p>(pub &'p str, pub &'p str);

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0, self.1)
    }
}

/// The XPath of the `index`-th (from 0) record `name` under a path, joined only when needed.
pub(crate) struct Nth<'p>(pub &'p str, pub &'p str, pub usize);

impl std::fmt::Display for Nth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}[{}]", self.0, self.1, self.2 + 1)
    }
}

/// The rule findings of one decoded message, per document (index into the documents) plus
/// the findings about the envelope, which concern every document.
pub struct MessageFindings {
    pub documents: Vec<Vec<Finding>>,
    pub envelope: Vec<Finding>,
}

/// Checks every document of a decoded message. `format` holds the decoder's diagnostics, so
/// values that failed the format checks are not judged again.
pub fn check_message<'f>(
    message: &Message<'_>,
    format: impl IntoIterator<Item = &'f Diagnostic>,
    ctx: &Context<'_>,
) -> MessageFindings {
    let kind = message.message_type();
    let root = message.as_element();
    let root_path = ["/", kind.root_name()].concat();
    let broken = Broken::new(
        format
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| d.path.as_str()),
    );
    let mut envelope = Vec::new();
    let mut documents = Vec::new();
    let schema = root.schema();
    let docs_member = crate::model::schema::documents_member(root);
    let first_doc_date = docs_member
        .and_then(|i| root.child(i, 0))
        .and_then(business_date);
    let transmitter = {
        let mut out = Out {
            findings: &mut envelope,
            kind,
            trade_mode: "",
            date: first_doc_date,
            broken: &broken,
        };
        parties::transmitter(root, &root_path, ctx, &mut out)
    };
    if kind.is_receipt() {
        return MessageFindings {
            documents,
            envelope,
        };
    }
    let Some(docs) = docs_member else {
        return MessageFindings {
            documents,
            envelope,
        };
    };
    let doc_name = schema.members[docs].name;
    let count = match root.view(docs) {
        View::Children(n) => n,
        _ => 0,
    };
    for k in 0..count {
        let mut findings = Vec::new();
        if let Some(doc) = root.child(docs, k) {
            let path = crate::model::schema::xpath_step(&root_path, doc_name, Some(k + 1));
            let trade_mode = crate::model::schema::find_text(doc, "tradeMode").unwrap_or("");
            let mut out = Out {
                findings: &mut findings,
                kind,
                trade_mode,
                date: business_date(doc),
                broken: &broken,
            };
            fields::check(doc, &path, ctx, &mut out);
            if let Some(transmitter) = transmitter {
                parties::mandate(doc, &path, kind, transmitter, ctx, &mut out);
            }
            consistency::check(message, k, &path, ctx, &mut out);
            trade::check(message, k, &path, ctx, &mut out);
        }
        documents.push(findings);
    }
    MessageFindings {
        documents,
        envelope,
    }
}

/// The cross-check (三单比对) of a list against the documents it names, as findings at the
/// list's paths; for the engine, which keeps a list's facts while its documents arrive.
pub fn cross_check(
    list: &links::ListFacts,
    date: Option<NaiveDate>,
    named: links::Named<'_>,
    params: &Params,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut out = Out {
        findings: &mut findings,
        kind: MessageType::Ceb603,
        trade_mode: &list.trade_mode,
        date,
        broken: &Broken::default(),
    };
    links::compare(list, "/CEB603Message/Inventory[1]", named, params, &mut out);
    findings
}

/// The date a document's rules are judged on: its own `appTime` (the filing), not the clock.
pub fn business_date(doc: &dyn Element<'_>) -> Option<NaiveDate> {
    crate::model::schema::find_text(doc, "appTime")
        .or_else(|| crate::model::schema::find_text(doc, "ieDate"))
        .and_then(crate::model::time::date_of)
}

/// Byte offset of the element an XPath such as `/CEB603Message/Inventory[2]/InventoryList[1]/qty`
/// names (by local names, `[k]` counting same-named siblings from 1). Run only for findings, so
/// it may re-read the text.
pub fn locate_path(text: &str, path: &str) -> Option<usize> {
    locate_paths(text, std::iter::once(path)).pop().flatten()
}

/// `locate_path` for many paths in one pass over `text`: the paths' steps form a tree, and
/// only the elements on it are looked into (every other one is skipped whole). An absent
/// element is placed at its nearest ancestor that exists.
pub fn locate_paths<'p>(text: &str, paths: impl Iterator<Item = &'p str>) -> Vec<Option<usize>> {
    use quick_xml::events::Event;
    // Node 0 stands above the root; a node is reached by (parent, local name, index).
    let mut tree: HashMap<(usize, &str, usize), usize> = HashMap::new();
    let mut offset: Vec<Option<usize>> = vec![None];
    let chains: Vec<Vec<usize>> = paths
        .map(|path| {
            let mut node = 0;
            let steps = path.trim_start_matches('/').split('/');
            steps
                .map(|step| {
                    let (name, index) = match step.split_once('[') {
                        Some((name, rest)) => {
                            (name, rest.trim_end_matches(']').parse().unwrap_or(1))
                        }
                        None => (step, 1),
                    };
                    node = *tree.entry((node, name, index)).or_insert_with(|| {
                        offset.push(None);
                        offset.len() - 1
                    });
                    node
                })
                .collect()
        })
        .collect();
    let mut reader = quick_xml::reader::Reader::from_str(text);
    // The node of each open element on the tree, with how often each name occurred among
    // its children so far.
    let mut open: Vec<(usize, HashMap<&str, usize>)> = vec![(0, HashMap::new())];
    loop {
        let at = reader.buffer_position() as usize;
        let (start, empty) = match reader.read_event() {
            Ok(Event::Start(s)) => (s, false),
            Ok(Event::Empty(s)) => (s, true),
            Ok(Event::End(_)) => {
                open.pop();
                if open.is_empty() {
                    break;
                }
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        let qname = start.name().into_inner();
        // The name as a slice of `text` (the tag starts at `at`), so it can be kept.
        let Some(qname) = text
            .get(at + 1..at + 1 + qname.len())
            .filter(|n| *n == qname)
        else {
            break;
        };
        let local = qname.rsplit(':').next().unwrap_or(qname);
        let Some((node, counts)) = open.last_mut() else {
            break;
        };
        let n = counts.entry(local).or_insert(0);
        *n += 1;
        match tree.get(&(*node, local, *n)) {
            Some(&child) => {
                offset[child] = Some(at);
                if !empty {
                    open.push((child, HashMap::new()));
                }
            }
            None => {
                if !empty && reader.read_to_end(start.name()).is_err() {
                    break;
                }
            }
        }
    }
    chains
        .iter()
        .map(|chain| chain.iter().rev().find_map(|&node| offset[node]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::locate_path;

    const XML: &str = "<r:Root xmlns:r=\"u\">\n <r:A><r:x>1</r:x></r:A>\n <r:A>\n  <r:y/>\n  <r:x>2</r:x>\n </r:A>\n</r:Root>";

    #[test]
    fn paths_are_found_by_local_name_and_index() {
        let at = |p: &str| locate_path(XML, p).map(|o| &XML[o..o + 6]);
        assert_eq!(at("/Root/A[2]/x"), Some("<r:x>2"));
        assert_eq!(at("/Root/A[1]/x"), Some("<r:x>1"));
        assert_eq!(at("/Root/A[2]/y"), Some("<r:y/>"));
        // An absent element is shown at its nearest ancestor that exists.
        assert_eq!(at("/Root/A[1]/z"), Some("<r:A><"));
        assert_eq!(at("/Root/A[3]/x"), Some("<r:Roo"));
        assert_eq!(locate_path("not xml", "/Root"), None);
    }

    #[test]
    fn many_paths_are_found_in_one_pass_as_each_alone() {
        let paths = [
            "/Root/A[2]/x",
            "/Root/A[1]/x",
            "/Root/A[2]/y",
            "/Root/A[1]/z",
            "/Root/A[3]/x",
            "/Root/A[2]/x",
            "/Other",
        ];
        let alone: Vec<Option<usize>> = paths.iter().map(|p| locate_path(XML, p)).collect();
        assert_eq!(super::locate_paths(XML, paths.into_iter()), alone);
    }
}
