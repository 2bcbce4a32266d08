//! Schema-driven encoder: writes any message element as indented XML with the `ceb:` prefix.

use crate::model::schema::{Element, Kind, Schema, View, prefix_of};
use quick_xml::escape::{escape, partial_escape};
use std::fmt::Write as _;

/// Writes a whole document: XML declaration, root with namespace declarations, content.
pub fn encode(root: &dyn Element<'_>) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_element(&mut out, root, 0, true);
    out
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push('\t');
    }
}

/// Text content, escaped only when it holds a character that needs it (the common case is
/// plain text, copied as it is).
fn push_text(out: &mut String, t: &str) {
    if memchr::memchr3(b'<', b'>', b'&', t.as_bytes()).is_some() {
        out.push_str(&partial_escape(t));
    } else {
        out.push_str(t);
    }
}

/// `<prefix:name` — pieces pushed one by one: `write!` costs several times more here.
fn open_tag(out: &mut String, prefix: &str, name: &str) {
    out.push('<');
    out.push_str(prefix);
    out.push(':');
    out.push_str(name);
}

/// `</prefix:name>` and a line break.
fn close_tag(out: &mut String, prefix: &str, name: &str) {
    out.push_str("</");
    out.push_str(prefix);
    out.push(':');
    out.push_str(name);
    out.push_str(">\n");
}

fn write_element(out: &mut String, el: &dyn Element<'_>, depth: usize, is_root: bool) {
    let schema = el.schema();
    let prefix = prefix_of(schema.ns);
    indent(out, depth);
    open_tag(out, prefix, schema.name);
    for (i, m) in schema.members.iter().enumerate() {
        if let (Kind::Attr { .. }, View::Text(v)) = (m.kind, el.view(i)) {
            let _ = write!(out, " {}=\"{}\"", m.name, escape(v));
        }
    }
    if is_root {
        let _ = write!(out, " xmlns:{prefix}=\"{}\"", schema.ns);
        if has_signature(el, schema) {
            out.push_str(" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"");
        }
    }
    out.push_str(">\n");
    for (i, m) in schema.members.iter().enumerate() {
        match (m.kind, el.view(i)) {
            (Kind::Attr { .. }, _) | (_, View::Absent) => {}
            (Kind::Record(_), View::Children(n)) => {
                for k in 0..n {
                    if let Some(child) = el.child(i, k) {
                        write_element(out, child, depth + 1, false);
                    }
                }
            }
            (Kind::Raw { .. }, View::Text(raw)) => {
                indent(out, depth + 1);
                out.push_str(raw.trim());
                out.push('\n');
            }
            (_, View::Texts(list)) => {
                for t in list {
                    indent(out, depth + 1);
                    open_tag(out, prefix, m.name);
                    out.push('>');
                    push_text(out, t.as_ref());
                    close_tag(out, prefix, m.name);
                }
            }
            (_, view) => {
                indent(out, depth + 1);
                open_tag(out, prefix, m.name);
                out.push('>');
                match view {
                    View::Text(t) => push_text(out, t),
                    View::Decimal(d) => {
                        let _ = write!(out, "{d}");
                    }
                    View::Int(n) => {
                        let _ = write!(out, "{n}");
                    }
                    View::Absent | View::Children(_) | View::Texts(_) => {}
                }
                close_tag(out, prefix, m.name);
            }
        }
    }
    indent(out, depth);
    close_tag(out, prefix, schema.name);
}

fn has_signature(el: &dyn Element<'_>, schema: &Schema) -> bool {
    schema.members.iter().enumerate().any(|(i, m)| {
        matches!(m.kind, Kind::Raw { ns } if ns == crate::model::schema::DSIG_NS)
            && el.view(i) != View::Absent
    })
}
