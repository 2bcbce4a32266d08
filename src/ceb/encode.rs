//! Schema-driven encoder: writes any message element as indented XML with the `ceb:` prefix.

use crate::model::schema::{Element, Kind, Schema, View, prefix_of};
use rust_decimal::Decimal;

/// Writes a whole document: XML declaration, root with namespace declarations, content.
pub fn encode(root: &dyn Element<'_>) -> String {
    let mut out = String::with_capacity(4096);
    encode_into(&mut out, root);
    out
}

/// `encode`, appended to `out` (a writer reuses one buffer for all its messages).
pub fn encode_into(out: &mut String, root: &dyn Element<'_>) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_element(out, root, 0, true);
}

fn indent(out: &mut String, depth: usize) {
    const TABS: &str = "\t\t\t\t\t\t\t\t";
    match TABS.get(..depth) {
        Some(tabs) => out.push_str(tabs),
        None => (0..depth).for_each(|_| out.push('\t')),
    }
}

/// Text content, escaped only when it holds a character that needs it (the common case is
/// plain text, copied as it is). The values are short: a loop without an early exit, which
/// the compiler vectorises, is several times quicker than `memchr3` or `any`.
fn push_text(out: &mut String, t: &str) {
    let special = t
        .bytes()
        .fold(false, |found, b| found | needs_care(b, false));
    if special {
        push_escaped(out, t, false);
    } else {
        out.push_str(t);
    }
}

/// Bytes that may need escaping or replacing: markup, C0 controls, and the lead byte of
/// U+FFFE/U+FFFF (EF), which `push_escaped` looks at more closely.
fn needs_care(b: u8, attr: bool) -> bool {
    matches!(b, b'<' | b'>' | b'&' | 0xEF) | (b < 0x20) | (attr & matches!(b, b'"' | b'\''))
}

/// `t` escaped; a character XML 1.0 does not allow (a NUL, a control, U+FFFE) becomes U+FFFD,
/// so whatever a value held, the document written is well-formed.
fn push_escaped(out: &mut String, t: &str, attr: bool) {
    for c in t.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            c if !super::wellformed::is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// The decimal digits of `n`, into the end of `buf`; returns where they start.
fn digits(buf: &mut [u8; 40], mut n: u128) -> usize {
    let mut i = buf.len();
    // Most values fit 64 bits, whose division is much cheaper.
    while n > u128::from(u64::MAX) {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let mut n = n as u64;
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    i
}

fn push_ascii(out: &mut String, bytes: &[u8]) {
    // Only ever digits, signs and points.
    out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
}

/// `d` as its `Display` writes it (every digit of its scale, `0.5`, `-1.20`), without the
/// formatting machinery: a message has a dozen amounts and weights.
fn push_decimal(out: &mut String, d: &Decimal) {
    let mut buf = [b'0'; 40];
    let start = digits(&mut buf, d.mantissa().unsigned_abs());
    // The mantissa's digits, with leading zeros up to the scale and one before the point.
    let scale = d.scale() as usize;
    let start = start.min(buf.len() - scale - 1);
    let point = buf.len() - scale;
    if d.is_sign_negative() {
        out.push('-');
    }
    push_ascii(out, &buf[start..point]);
    if scale > 0 {
        out.push('.');
        push_ascii(out, &buf[point..]);
    }
}

fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    crate::model::time::push_padded(out, n.unsigned_abs(), 1);
}

/// The starts of a namespace's tags, `<ceb:` and `</ceb:`, whole: a tag is then pushed in
/// three pieces (`write!` costs several times more, and every piece costs a copy call).
#[derive(Clone, Copy)]
struct Tags {
    prefix: &'static str,
    open: &'static str,
    close: &'static str,
}

fn tags_of(ns: &str) -> Tags {
    let (prefix, open, close) = match prefix_of(ns) {
        "dxp" => ("dxp", "<dxp:", "</dxp:"),
        "ds" => ("ds", "<ds:", "</ds:"),
        _ => ("ceb", "<ceb:", "</ceb:"),
    };
    Tags {
        prefix,
        open,
        close,
    }
}

/// `<prefix:name`.
fn open_tag(out: &mut String, tags: Tags, name: &str) {
    out.push_str(tags.open);
    out.push_str(name);
}

/// `</prefix:name>` and a line break.
fn close_tag(out: &mut String, tags: Tags, name: &str) {
    out.push_str(tags.close);
    out.push_str(name);
    out.push_str(">\n");
}

/// ` name="value"`, the value escaped when it needs it.
fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    if value.bytes().any(|b| needs_care(b, true)) {
        push_escaped(out, value, true);
    } else {
        out.push_str(value);
    }
    out.push('"');
}

fn write_element(out: &mut String, el: &dyn Element<'_>, depth: usize, is_root: bool) {
    let schema = el.schema();
    let tags = tags_of(schema.ns);
    indent(out, depth);
    open_tag(out, tags, schema.name);
    // Members are read only where they are written: reading each one here too cost a good
    // part of the encoding.
    for (i, m) in schema.members.iter().enumerate() {
        if let Kind::Attr { .. } = m.kind
            && let View::Text(v) = el.view(i)
        {
            push_attr(out, m.name, v);
        }
    }
    if is_root {
        out.push_str(" xmlns:");
        out.push_str(tags.prefix);
        out.push_str("=\"");
        out.push_str(schema.ns);
        out.push('"');
        if has_signature(el, schema) {
            out.push_str(" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"");
        }
    }
    out.push_str(">\n");
    for (i, m) in schema.members.iter().enumerate() {
        if let Kind::Attr { .. } = m.kind {
            continue;
        }
        match (m.kind, el.view(i)) {
            (_, View::Absent) => {}
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
                    open_tag(out, tags, m.name);
                    out.push('>');
                    push_text(out, t.as_ref());
                    close_tag(out, tags, m.name);
                }
            }
            (_, view) => {
                indent(out, depth + 1);
                open_tag(out, tags, m.name);
                out.push('>');
                match view {
                    View::Text(t) => push_text(out, t),
                    View::Decimal(d) => push_decimal(out, d),
                    View::Int(n) => push_int(out, n),
                    View::Absent | View::Children(_) | View::Texts(_) => {}
                }
                close_tag(out, tags, m.name);
            }
        }
    }
    indent(out, depth);
    close_tag(out, tags, schema.name);
}

fn has_signature(el: &dyn Element<'_>, schema: &Schema) -> bool {
    schema.members.iter().enumerate().any(|(i, m)| {
        matches!(m.kind, Kind::Raw { ns } if ns == crate::model::schema::DSIG_NS)
            && el.view(i) != View::Absent
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_xml_forbids_is_never_written() {
        use crate::model::format_error::{Ceb900Message, MessageReturn};
        let message = Ceb900Message {
            guid: "a\0b\"c'<".into(),
            version: "1.0".into(),
            returns: vec![MessageReturn {
                ori_biz_message: "<x>\0\u{1b}\u{FFFE}\u{FFFF}]]>&\t\n中，</x>".into(),
                ..MessageReturn::default()
            }],
        };
        let xml = encode(&message);
        assert!(
            xml.contains(" guid=\"a\u{FFFD}b&quot;c&apos;&lt;\""),
            "{xml}"
        );
        assert!(
            xml.contains("&lt;x&gt;\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}]]&gt;&amp;\t\n中，&lt;/x&gt;"),
            "{xml}"
        );
        assert_eq!(
            super::super::wellformed::check(&xml, &super::super::Limits::default()),
            Ok(())
        );
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        let mut decimals = vec![
            Decimal::ZERO,
            Decimal::new(0, 5),
            Decimal::new(-0, 2),
            Decimal::new(5, 1),
            Decimal::new(-5, 3),
            Decimal::new(4990, 2),
            Decimal::new(-120, 2),
            Decimal::new(1, 28),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_i128_with_scale(12_345_678_901_234_567_890_123, 7),
        ];
        // A negative zero keeps its sign in Display.
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        decimals.push(negative_zero);
        let mut x = 7u64;
        for scale in 0..=28 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            decimals.push(Decimal::new(x as i64 >> (scale % 50), scale));
        }
        for d in decimals {
            let mut s = String::new();
            push_decimal(&mut s, &d);
            assert_eq!(s, d.to_string(), "{d:?}");
        }
        for n in [0, 1, -1, 9, 10, 99_999, -123_456, i64::MAX, i64::MIN] {
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
