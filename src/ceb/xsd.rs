//! Writes our XSD for a message from the same member tables the codec uses, so the schemas in
//! `schemas/` cannot drift from the decoder. `single-window schemas DIR` regenerates them.

use crate::model::MessageType;
use crate::model::dxp::DxpMsg;
use crate::model::schema::{Kind, Member, NO_LIMIT, Schema, UNBOUNDED};
use std::fmt::Write as _;

/// Every schema we ship, named by root element: one per message type plus the `DxpMsg` wrapper.
pub fn all_schemas() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = MessageType::ALL
        .iter()
        .map(|t| (t.root_name(), xsd_for(t.schema())))
        .collect();
    out.push((DxpMsg::SCHEMA.name, xsd_for(DxpMsg::SCHEMA)));
    out
}

/// The XSD text for one root element.
pub fn xsd_for(root: &Schema) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<!-- single-window schema, generated from the member tables in src/model by `single-window schemas`; do not edit by hand. -->\n");
    let _ = writeln!(
        out,
        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{}\" elementFormDefault=\"qualified\" attributeFormDefault=\"unqualified\">",
        root.ns
    );
    element(&mut out, root, None, 1);
    out.push_str("</xs:schema>\n");
    out
}

fn pad(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn occurs(member: Option<&Member>) -> String {
    let Some(m) = member else {
        return String::new();
    };
    let mut s = String::new();
    if m.min != 1 {
        let _ = write!(s, " minOccurs=\"{}\"", m.min);
    }
    if m.max == UNBOUNDED {
        s.push_str(" maxOccurs=\"unbounded\"");
    } else if m.max != 1 {
        let _ = write!(s, " maxOccurs=\"{}\"", m.max);
    }
    s
}

fn doc(out: &mut String, text: &str, depth: usize) {
    pad(out, depth);
    let _ = writeln!(
        out,
        "<xs:annotation><xs:documentation>{}</xs:documentation></xs:annotation>",
        quick_xml::escape::escape(text)
    );
}

/// A complex element: its members in sequence, then its attributes.
fn element(out: &mut String, schema: &Schema, member: Option<&Member>, depth: usize) {
    pad(out, depth);
    let _ = writeln!(
        out,
        "<xs:element name=\"{}\"{}>",
        schema.name,
        occurs(member)
    );
    doc(out, schema.doc, depth + 1);
    pad(out, depth + 1);
    out.push_str("<xs:complexType>\n");
    pad(out, depth + 2);
    out.push_str("<xs:sequence>\n");
    for m in schema.members {
        match m.kind {
            Kind::Attr { .. } => {}
            Kind::Record(child) => element(out, child, Some(m), depth + 3),
            Kind::Raw { ns } if ns != schema.ns => {
                pad(out, depth + 3);
                let _ = writeln!(
                    out,
                    "<xs:any namespace=\"{ns}\" processContents=\"skip\"{}/>",
                    occurs(Some(m))
                );
            }
            Kind::Raw { .. } => {
                pad(out, depth + 3);
                let _ = writeln!(out, "<xs:element name=\"{}\"{}>", m.name, occurs(Some(m)));
                doc(out, m.doc, depth + 4);
                pad(out, depth + 4);
                out.push_str("<xs:complexType><xs:sequence><xs:any processContents=\"skip\" minOccurs=\"0\" maxOccurs=\"unbounded\"/></xs:sequence></xs:complexType>\n");
                pad(out, depth + 3);
                out.push_str("</xs:element>\n");
            }
            _ => {
                let fixed = match m.kind {
                    Kind::Fixed { value } => format!(" fixed=\"{value}\""),
                    _ => String::new(),
                };
                pad(out, depth + 3);
                let _ = writeln!(
                    out,
                    "<xs:element name=\"{}\"{}{fixed}>",
                    m.name,
                    occurs(Some(m))
                );
                doc(out, m.doc, depth + 4);
                simple_type(out, m.kind, depth + 4);
                pad(out, depth + 3);
                out.push_str("</xs:element>\n");
            }
        }
    }
    pad(out, depth + 2);
    out.push_str("</xs:sequence>\n");
    for m in schema
        .members
        .iter()
        .filter(|m| matches!(m.kind, Kind::Attr { .. }))
    {
        pad(out, depth + 2);
        let use_ = if m.min > 0 { "required" } else { "optional" };
        let _ = writeln!(out, "<xs:attribute name=\"{}\" use=\"{use_}\">", m.name);
        doc(out, m.doc, depth + 3);
        simple_type(out, m.kind, depth + 3);
        pad(out, depth + 2);
        out.push_str("</xs:attribute>\n");
    }
    pad(out, depth + 1);
    out.push_str("</xs:complexType>\n");
    pad(out, depth);
    out.push_str("</xs:element>\n");
}

fn simple_type(out: &mut String, kind: Kind, depth: usize) {
    let facets = match kind {
        Kind::Attr { min, max } | Kind::Text { min, max } => {
            let mut f = String::new();
            if min == max {
                let _ = write!(f, "<xs:length value=\"{min}\"/>");
            } else {
                if min > 0 {
                    let _ = write!(f, "<xs:minLength value=\"{min}\"/>");
                }
                if max != NO_LIMIT {
                    let _ = write!(f, "<xs:maxLength value=\"{max}\"/>");
                }
            }
            ("xs:string", f)
        }
        Kind::Fixed { value } => (
            "xs:string",
            format!("<xs:length value=\"{}\"/>", value.chars().count()),
        ),
        Kind::Decimal { total, frac } => (
            "xs:decimal",
            format!("<xs:totalDigits value=\"{total}\"/><xs:fractionDigits value=\"{frac}\"/>"),
        ),
        Kind::Int { digits } => ("xs:int", format!("<xs:totalDigits value=\"{digits}\"/>")),
        Kind::Time14 => ("xs:string", "<xs:pattern value=\"[0-9]{14}\"/>".into()),
        Kind::Time17 => ("xs:string", "<xs:pattern value=\"[0-9]{17}\"/>".into()),
        Kind::Date8 => ("xs:string", "<xs:pattern value=\"[0-9]{8}\"/>".into()),
        Kind::Base64 => ("xs:base64Binary", String::new()),
        Kind::Record(_) | Kind::Raw { .. } => return,
    };
    pad(out, depth);
    let _ = writeln!(
        out,
        "<xs:simpleType><xs:restriction base=\"{}\">{}</xs:restriction></xs:simpleType>",
        facets.0, facets.1
    );
}
