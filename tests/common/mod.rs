//! Test support: a schema-driven generator of valid values from entropy bytes, so proptest can
//! shrink the bytes while every message type gets covered by the same code.
#![allow(dead_code)]

pub mod server;

use rust_decimal::Decimal;
use single_window::model::schema::{DSIG_NS, DXP_NS, Element, Kind, Value, prefix_of};
use std::borrow::Cow;

/// Reads choices from a byte string; past the end it keeps answering zero.
pub struct Entropy<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Entropy<'b> {
    pub fn new(bytes: &'b [u8]) -> Self {
        Entropy { bytes, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let raw = u64::from_le_bytes([
            self.byte(),
            self.byte(),
            self.byte(),
            self.byte(),
            0,
            0,
            0,
            0,
        ]);
        lo + raw % (hi - lo + 1)
    }
}

/// Characters that exercise escaping, multi-byte text and the ordinary case.
const ALPHABET: &[char] = &[
    'A', 'Z', 'a', 'z', '0', '9', '-', '_', ' ', '&', '<', '>', '"', '\'', '中', '国', '货', '（',
    '）', 'é', '😀',
];

fn text(e: &mut Entropy<'_>, min: u16, max: u16) -> String {
    let max = max.min(min.max(12));
    let len = e.range(u64::from(min), u64::from(max)) as usize;
    let mut s: String = (0..len)
        .map(|_| ALPHABET[e.range(0, ALPHABET.len() as u64 - 1) as usize])
        .collect();
    // Leading or trailing blanks are legal but would make a round trip depend on layout.
    if len > 0 {
        if s.starts_with(' ') {
            s.replace_range(0..1, "X");
        }
        if s.ends_with(' ') {
            s.pop();
            s.push('Y');
        }
    }
    s
}

fn digits(e: &mut Entropy<'_>, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + e.range(0, 9) as u8))
        .collect()
}

fn time(e: &mut Entropy<'_>, kind: Kind) -> String {
    let date = format!(
        "{:04}{:02}{:02}",
        e.range(2018, 2027),
        e.range(1, 12),
        e.range(1, 28)
    );
    let clock = format!(
        "{:02}{:02}{:02}",
        e.range(0, 23),
        e.range(0, 59),
        e.range(0, 59)
    );
    match kind {
        Kind::Date8 => date,
        Kind::Time14 => date + &clock,
        _ => format!("{date}{clock}{:03}", e.range(0, 999)),
    }
}

fn decimal(e: &mut Entropy<'_>, total: u8, frac: u8) -> Decimal {
    let scale = e.range(0, u64::from(frac)) as u32;
    let int_digits = e.range(0, u64::from(total.min(14)) - u64::from(scale.min(14))) as u32;
    let limit = 10u64.pow(int_digits + scale).max(1);
    let mantissa = e.range(0, limit - 1);
    Decimal::from_i128_with_scale(i128::from(mantissa), scale)
}

/// A signature with the structure xmldsig-core-schema.xsd requires (values are not real).
const SIGNATURE: &str = concat!(
    "<ds:Signature><ds:SignedInfo>",
    "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>",
    "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#rsa-sha1\"/>",
    "<ds:Reference URI=\"\"><ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/>",
    "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>",
    "</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
);

/// Fills every member of `el` with a valid value (optional members only sometimes).
pub fn fill<'a>(el: &mut dyn Element<'a>, e: &mut Entropy<'_>, depth: usize) {
    let schema = el.schema();
    for (i, m) in schema.members.iter().enumerate() {
        let cap = if depth == 0 { 3 } else { 2 };
        let count = if m.min == m.max {
            m.min
        } else {
            e.range(u64::from(m.min), u64::from(m.max.min(m.min.max(cap)))) as u32
        };
        if count == 0 {
            continue;
        }
        match m.kind {
            Kind::Record(_) => {
                for _ in 0..count {
                    if let Some(child) = el.push_child(i) {
                        fill(child, e, depth + 1);
                    }
                }
            }
            Kind::Raw { ns } => {
                let xml = if ns == DSIG_NS {
                    SIGNATURE.to_string()
                } else {
                    // Any child the official schema allows there: a file name in DXP AddInfo,
                    // free content in ExtendMessage/Message.
                    let p = prefix_of(ns);
                    let child = if ns == DXP_NS { "FileName" } else { "note" };
                    format!(
                        "<{p}:{0}><{p}:{child}>n{1}</{p}:{child}></{p}:{0}>",
                        m.name,
                        e.range(0, 99)
                    )
                };
                el.set_value(i, Value::Text(Cow::Owned(xml)));
            }
            Kind::Attr { min, max } | Kind::Text { min, max } => {
                for _ in 0..count {
                    el.set_value(i, Value::Text(Cow::Owned(text(e, min, max))));
                }
            }
            Kind::Fixed { value } => el.set_value(i, Value::Text(Cow::Borrowed(value))),
            Kind::Decimal { total, frac } => {
                el.set_value(i, Value::Decimal(decimal(e, total, frac)))
            }
            Kind::Int { digits: n } => {
                let max = 10i64.pow(u32::from(n.min(9))) - 1;
                el.set_value(i, Value::Int(e.range(0, max as u64) as i64));
            }
            Kind::Time14 | Kind::Time17 | Kind::Date8 => {
                el.set_value(i, Value::Text(Cow::Owned(time(e, m.kind))));
            }
            Kind::Base64 => {
                el.set_value(i, Value::Text(Cow::Owned(format!("QUJD{}", digits(e, 0)))))
            }
        }
    }
}
