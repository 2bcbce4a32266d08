//! XML 1.0 well-formedness, judged as libxml2 (xmllint) judges it, in one linear pass over
//! the text before any decoding; the decoder's [`Limits`] are enforced on the way. quick-xml
//! and the decoder's fast paths read what they are given; this pass is what makes sure that
//! nothing outside XML 1.0 is accepted (and so echoed into a receipt).
//!
//! Stricter than XML 1.0 in one point: a document type declaration is refused wherever it
//! stands (CEB messages have none, and a DTD is the door to entity expansion).

use super::limits::{Exceeded, Limits};
use memchr::memmem;

/// Why a text was refused, where, and how far the scan got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Byte offset of the problem.
    pub at: usize,
    pub reason: Reason,
    /// Local name of the root element, when the scan got as far as its start tag.
    pub root: Option<String>,
    /// The elements open at the problem, by local name: `/CEB603Message/Inventory`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Not well-formed, said in English (the decoder words the finding around it).
    Syntax(String),
    /// Over one of the limits.
    Limit(Exceeded),
}

/// Checks that `text` is one well-formed XML document within `limits`.
pub fn check(text: &str, limits: &Limits) -> Result<(), Box<Refused>> {
    let chars = first_bad_char(text);
    let mut s = Scanner {
        text,
        b: text.as_bytes(),
        pos: 0,
        limits,
        open: Vec::new(),
        attrs: Vec::new(),
        elements: 0,
        text_from: 0,
        root: None,
    };
    let structure = s.document().err();
    // The first problem in the text is the one reported, as a reader meets them.
    let (at, reason) = match (chars, structure) {
        (None, None) => return Ok(()),
        (Some((at, c)), Some((sat, _))) if at <= sat => (at, bad_char(c)),
        (Some((at, c)), None) => (at, bad_char(c)),
        (_, Some(problem)) => problem,
    };
    let root = s.root.map(|(from, to)| local(&text[from..to]).to_string());
    // The path at the character problem is not known (the scan stopped elsewhere or not at
    // all): it is left empty rather than guessed.
    let path = if chars.is_some_and(|(char_at, _)| char_at == at) {
        String::new()
    } else {
        s.path()
    };
    Err(Box::new(Refused {
        at,
        reason,
        root,
        path,
    }))
}

/// Whether XML 1.0 allows `c` in a document (production `Char`).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn bad_char(c: char) -> Reason {
    Reason::Syntax(format!(
        "the character U+{:04X} is not allowed in XML",
        u32::from(c)
    ))
}

/// The first character XML 1.0 does not allow: a C0 control other than tab, line feed and
/// carriage return, or U+FFFE/U+FFFF (surrogates cannot occur in a `str`).
fn first_bad_char(text: &str) -> Option<(usize, char)> {
    let b = text.as_bytes();
    // A branch-free test over blocks, which the compiler vectorises; only a block that has
    // one is searched byte by byte.
    let control = |x: u8| x < 0x20 && x != b'\t' && x != b'\n' && x != b'\r';
    // `&` rather than `&&`: no branch, so the loop runs on vector registers.
    let flag = |x: u8| {
        u8::from(x < 0x20) & u8::from(x != b'\t') & u8::from(x != b'\n') & u8::from(x != b'\r')
    };
    let mut first = None;
    for (k, block) in b.chunks(64).enumerate() {
        if block.iter().fold(0u8, |any, &x| any | flag(x)) != 0 {
            first = block
                .iter()
                .position(|&x| control(x))
                .map(|i| (k * 64 + i, char::from(block[i])));
            break;
        }
    }
    // U+FFFE and U+FFFF are EF BF BE and EF BF BF; only the part before a control needs it.
    let end = first.map_or(b.len(), |(at, _)| at);
    let nonchar = memmem::find_iter(&b[..end], b"\xEF\xBF")
        .find(|&i| matches!(b.get(i + 2), Some(0xBE | 0xBF)))
        .and_then(|i| Some((i, text[i..].chars().next()?)));
    nonchar.or(first)
}

type Step = Result<(), (usize, Reason)>;

fn syntax(at: usize, detail: impl Into<String>) -> (usize, Reason) {
    (at, Reason::Syntax(detail.into()))
}

/// `memchr3`, with the first bytes looked at one by one: values and indentation are short,
/// and memchr's set-up costs more than such a run.
fn find3(a: u8, b: u8, c: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 32;
    let near = &hay[..hay.len().min(NEAR)];
    match near.iter().position(|&x| x == a || x == b || x == c) {
        Some(n) => Some(n),
        None if hay.len() > NEAR => memchr::memchr3(a, b, c, &hay[NEAR..]).map(|n| n + NEAR),
        None => None,
    }
}

/// The bytes that end a run of character data: `<`, `&` and `]` (for `]]>`).
static TEXT_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'<' as usize] = true;
    t[b'&' as usize] = true;
    t[b']' as usize] = true;
    t
};

/// The next `<`, `&` or `]`: short runs by table, long ones (a Base64 payload) by memchr.
fn text_stop(hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 64;
    let near = &hay[..hay.len().min(NEAR)];
    match near.iter().position(|&x| TEXT_STOP[usize::from(x)]) {
        Some(n) => Some(n),
        None if hay.len() > NEAR => {
            memchr::memchr3(b'<', b'&', b']', &hay[NEAR..]).map(|n| n + NEAR)
        }
        None => None,
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

struct Scanner<'a, 'l> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    limits: &'l Limits,
    /// Names (byte ranges) of the open elements.
    open: Vec<(usize, usize)>,
    /// Names of the attributes of the start tag being read, to find a repeated one.
    attrs: Vec<(usize, usize)>,
    elements: usize,
    /// Where the current text began (after the last start or end tag).
    text_from: usize,
    root: Option<(usize, usize)>,
}

impl Scanner<'_, '_> {
    fn over(&self, at: usize, limit: &'static str, value: usize) -> (usize, Reason) {
        (at, Reason::Limit(Exceeded { limit, value }))
    }

    fn path(&self) -> String {
        let mut p = String::new();
        for &(from, to) in &self.open {
            p.push('/');
            p.push_str(local(&self.text[from..to]));
        }
        p
    }

    fn rest(&self) -> &[u8] {
        &self.b[self.pos..]
    }

    fn starts(&self, s: &[u8]) -> bool {
        self.rest().starts_with(s)
    }

    fn skip_space(&mut self) -> bool {
        let n = self.rest().iter().take_while(|&&b| is_space(b)).count();
        self.pos += n;
        n > 0
    }

    /// Prolog, root element, what may follow it.
    fn document(&mut self) -> Step {
        if self.starts(b"<?xml") && self.b.get(5).is_some_and(|&b| is_space(b)) {
            self.xml_decl()?;
        }
        self.misc(false)?;
        if self.pos >= self.b.len() {
            return Err(syntax(self.pos, "there is no root element"));
        }
        self.element()?;
        self.misc(true)
    }

    /// Whitespace, comments and processing instructions outside the root; stops at the root's
    /// start tag (before) or the end of the input (after).
    fn misc(&mut self, after_root: bool) -> Step {
        loop {
            self.skip_space();
            let at = self.pos;
            let Some(&first) = self.b.get(at) else {
                return Ok(());
            };
            if first != b'<' {
                let place = if after_root {
                    "after the end of the message"
                } else {
                    "before the root element"
                };
                return Err(syntax(at, format!("text {place}")));
            }
            match self.b.get(at + 1) {
                Some(b'?') => self.pi()?,
                Some(b'!') if self.starts(b"<!--") => self.comment()?,
                Some(b'!') => return Err(self.bang(at, false)),
                Some(b'/') if after_root => {
                    let name = self
                        .name_end(at + 2)
                        .map_or("", |end| &self.text[at + 2..end]);
                    return Err(syntax(
                        at,
                        format!("the end tag `</{name}>` has no start tag"),
                    ));
                }
                _ if after_root => {
                    return Err(syntax(
                        at,
                        "a second root element after the end of the message",
                    ));
                }
                _ => return Ok(()),
            }
        }
    }

    /// `<!` that starts neither a comment nor (in content) a CDATA section.
    fn bang(&self, at: usize, in_content: bool) -> (usize, Reason) {
        if self.b[at..].starts_with(b"<!DOCTYPE") {
            syntax(
                at,
                "a document type declaration (<!DOCTYPE …>) is not accepted: CEB messages have no DTD",
            )
        } else if in_content {
            syntax(
                at,
                "`<!` must start a comment `<!--` or a CDATA section `<![CDATA[`",
            )
        } else {
            syntax(at, "`<!` must start a comment `<!--` here")
        }
    }

    /// `<?xml version="1.x" encoding="…" standalone="yes|no"?>`, at the very start.
    fn xml_decl(&mut self) -> Step {
        self.pos = 5;
        let (from, to) = self.pseudo_attribute("version", true)?.unwrap_or_default();
        let version = &self.b[from..to];
        if !(version.starts_with(b"1.") && version[2..].iter().all(u8::is_ascii_digit)) {
            return Err(syntax(from, "the XML version must be 1.0"));
        }
        if let Some((from, to)) = self.pseudo_attribute("encoding", false)? {
            let name = &self.b[from..to];
            let ok = name.first().is_some_and(u8::is_ascii_alphabetic)
                && name
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
            if !ok {
                return Err(syntax(
                    from,
                    "the encoding name in the XML declaration is not valid",
                ));
            }
        }
        if let Some((from, to)) = self.pseudo_attribute("standalone", false)?
            && !matches!(&self.b[from..to], b"yes" | b"no")
        {
            return Err(syntax(from, "standalone must be \"yes\" or \"no\""));
        }
        self.skip_space();
        if !self.starts(b"?>") {
            return Err(syntax(self.pos, "the XML declaration must end with `?>`"));
        }
        self.pos += 2;
        Ok(())
    }

    /// ` name="value"` in the XML declaration: the value's byte range, or `None` when the
    /// (optional) pseudo-attribute is not next.
    fn pseudo_attribute(
        &mut self,
        name: &str,
        required: bool,
    ) -> Result<Option<(usize, usize)>, (usize, Reason)> {
        let save = self.pos;
        let spaced = self.skip_space();
        if !self.starts(name.as_bytes()) {
            self.pos = save;
            return if required {
                Err(syntax(save, format!("the XML declaration needs `{name}`")))
            } else {
                Ok(None)
            };
        }
        if !spaced {
            return Err(syntax(
                self.pos,
                format!("a space is needed before `{name}` in the XML declaration"),
            ));
        }
        self.pos += name.len();
        self.skip_space();
        if !self.starts(b"=") {
            return Err(syntax(
                self.pos,
                format!("`=` is needed after `{name}` in the XML declaration"),
            ));
        }
        self.pos += 1;
        self.skip_space();
        let quote = match self.rest().first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                return Err(syntax(
                    self.pos,
                    format!("the value of `{name}` must be quoted"),
                ));
            }
        };
        let from = self.pos + 1;
        let len =
            memchr::memchr2(quote, b'>', &self.b[from..]).filter(|&n| self.b[from + n] == quote);
        let Some(len) = len else {
            return Err(syntax(
                self.pos,
                format!("the value of `{name}` is not closed"),
            ));
        };
        self.pos = from + len + 1;
        Ok(Some((from, from + len)))
    }

    /// `<!-- … -->`, without `--` inside.
    fn comment(&mut self) -> Step {
        let at = self.pos;
        let from = at + 4;
        let Some(dashes) = memmem::find(&self.b[from..], b"--") else {
            return Err(syntax(at, "a comment is not closed with `-->`"));
        };
        if self.b.get(from + dashes + 2) != Some(&b'>') {
            return Err(syntax(
                from + dashes,
                "`--` is not allowed inside a comment",
            ));
        }
        self.pos = from + dashes + 3;
        Ok(())
    }

    /// `<?target …?>`; the target `xml` is only for the declaration at the start.
    fn pi(&mut self) -> Step {
        let at = self.pos;
        let Some(end) = self.name_end(at + 2) else {
            return Err(syntax(at, "a processing instruction needs a target name"));
        };
        self.check_name(at + 2, end)?;
        if self.text[at + 2..end].eq_ignore_ascii_case("xml") {
            return Err(syntax(
                at,
                "the XML declaration is allowed only at the very start of the document",
            ));
        }
        self.pos = end;
        if self.starts(b"?>") {
            self.pos += 2;
            return Ok(());
        }
        if !self.skip_space() {
            return Err(syntax(
                self.pos,
                "a space is needed after the target of a processing instruction",
            ));
        }
        match memmem::find(self.rest(), b"?>") {
            Some(n) => {
                self.pos += n + 2;
                Ok(())
            }
            None => Err(syntax(
                at,
                "a processing instruction is not closed with `?>`",
            )),
        }
    }

    /// The root element and everything in it, without recursion.
    fn element(&mut self) -> Step {
        self.start_tag()?;
        while !self.open.is_empty() {
            let at = self.content()?;
            self.pos = at;
            match self.b.get(at + 1) {
                Some(b'/') => self.end_tag()?,
                Some(b'!') if self.starts(b"<!--") => self.comment()?,
                Some(b'!') if self.starts(b"<![CDATA[") => {
                    let from = at + 9;
                    let Some(n) = memmem::find(&self.b[from..], b"]]>") else {
                        return Err(syntax(at, "a CDATA section is not closed with `]]>`"));
                    };
                    self.pos = from + n + 3;
                }
                Some(b'!') => return Err(self.bang(at, true)),
                Some(b'?') => self.pi()?,
                _ => self.start_tag()?,
            }
        }
        Ok(())
    }

    /// Character data up to the next `<`; returns its offset.
    fn content(&mut self) -> Result<usize, (usize, Reason)> {
        loop {
            let rest = self.rest();
            let Some(n) = text_stop(rest) else {
                return Err(syntax(self.b.len(), "the input ends inside an element"));
            };
            let at = self.pos + n;
            match self.b[at] {
                b'<' => {
                    self.value_len(self.text_from, at)?;
                    return Ok(at);
                }
                b'&' => self.pos = self.reference(at)?,
                _ if self.b[at..].starts_with(b"]]>") => {
                    return Err(syntax(at, "`]]>` is not allowed in text (write `]]&gt;`)"));
                }
                _ => self.pos = at + 1,
            }
        }
    }

    fn value_len(&self, from: usize, to: usize) -> Step {
        let max = self.limits.max_value_bytes;
        if to - from > max {
            return Err(self.over(from, "max_value_bytes", max));
        }
        Ok(())
    }

    /// `&name;` (one of the five predefined: there is no DTD) or `&#…;`/`&#x…;` naming a
    /// character XML allows; returns the offset after it.
    fn reference(&self, at: usize) -> Result<usize, (usize, Reason)> {
        let b = self.b;
        if b.get(at + 1) == Some(&b'#') {
            let (hex, from) = if b.get(at + 2) == Some(&b'x') {
                (true, at + 3)
            } else {
                (false, at + 2)
            };
            let radix = if hex { 16 } else { 10 };
            let digits = b[from..]
                .iter()
                .take_while(|c| char::from(**c).is_digit(radix))
                .count();
            if digits == 0 || b.get(from + digits) != Some(&b';') {
                return Err(syntax(
                    at,
                    "a character reference must be `&#digits;` or `&#xhex;`",
                ));
            }
            // Saturates: only whether the value is a character matters.
            let value = b[from..from + digits].iter().fold(0u32, |v, c| {
                let d = char::from(*c).to_digit(radix).unwrap_or(0);
                v.saturating_mul(radix).saturating_add(d).min(0x11_0000)
            });
            if !char::from_u32(value).is_some_and(is_xml_char) {
                return Err(syntax(
                    at,
                    format!(
                        "the character reference `{}` names no character XML allows",
                        &self.text[at..=from + digits]
                    ),
                ));
            }
            return Ok(from + digits + 1);
        }
        let end = self.name_end(at + 1).filter(|&e| b.get(e) == Some(&b';'));
        let Some(end) = end else {
            return Err(syntax(
                at,
                "`&` must start an entity reference such as `&amp;`",
            ));
        };
        match &self.text[at + 1..end] {
            "lt" | "gt" | "amp" | "quot" | "apos" => Ok(end + 1),
            name => Err(syntax(at, format!("unknown entity &{name};"))),
        }
    }

    /// `<name attr="value" …>` or `<name …/>`.
    fn start_tag(&mut self) -> Step {
        let at = self.pos;
        let Some(end) = self.name_end(at + 1) else {
            return Err(syntax(
                at,
                "`<` must start a tag (write `&lt;` for a `<` in text)",
            ));
        };
        self.check_name(at + 1, end)?;
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(self.over(at, "max_elements", self.limits.max_elements));
        }
        if self.open.len() >= self.limits.max_depth {
            return Err(self.over(at, "max_depth", self.limits.max_depth));
        }
        if self.root.is_none() {
            self.root = Some((at + 1, end));
        }
        self.pos = end;
        self.attrs.clear();
        loop {
            let spaced = self.skip_space();
            match self.rest().first() {
                Some(b'>') => {
                    self.open.push((at + 1, end));
                    self.pos += 1;
                    break;
                }
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    break;
                }
                None => return Err(syntax(self.b.len(), "the input ends inside a start tag")),
                Some(_) if !spaced => {
                    return Err(syntax(
                        self.pos,
                        "a space, `>` or `/>` is needed here in the start tag",
                    ));
                }
                Some(_) => self.attribute()?,
            }
        }
        self.text_from = self.pos;
        Ok(())
    }

    /// `name = "value"` in a start tag.
    fn attribute(&mut self) -> Step {
        let at = self.pos;
        let Some(end) = self.name_end(at) else {
            return Err(syntax(at, "an attribute name is expected here"));
        };
        self.check_name(at, end)?;
        let name = &self.b[at..end];
        if self.attrs.iter().any(|&(f, t)| &self.b[f..t] == name) {
            return Err(syntax(
                at,
                format!("the attribute {} is repeated", &self.text[at..end]),
            ));
        }
        if self.attrs.len() >= self.limits.max_attributes {
            return Err(self.over(at, "max_attributes", self.limits.max_attributes));
        }
        self.attrs.push((at, end));
        self.pos = end;
        self.skip_space();
        if !self.starts(b"=") {
            return Err(syntax(
                self.pos,
                format!("the attribute {} needs `=\"value\"`", &self.text[at..end]),
            ));
        }
        self.pos += 1;
        self.skip_space();
        let quote = match self.rest().first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err(syntax(self.pos, "an attribute value must be in quotes")),
        };
        let from = self.pos + 1;
        self.pos = from;
        loop {
            let Some(n) = find3(quote, b'<', b'&', self.rest()) else {
                return Err(syntax(from - 1, "an attribute value is not closed"));
            };
            let i = self.pos + n;
            match self.b[i] {
                b'<' => {
                    return Err(syntax(
                        i,
                        "`<` is not allowed in an attribute value (write `&lt;`)",
                    ));
                }
                b'&' => self.pos = self.reference(i)?,
                _ => {
                    self.value_len(from, i)?;
                    self.pos = i + 1;
                    return Ok(());
                }
            }
        }
    }

    /// `</name>`, closing the innermost open element.
    fn end_tag(&mut self) -> Step {
        let at = self.pos;
        // The usual case, `</name>` closing the innermost element, compared at once.
        if let Some(&(from, to)) = self.open.last() {
            let close = at + 2 + (to - from);
            if self.b.get(at + 2..close) == Some(&self.b[from..to])
                && self.b.get(close) == Some(&b'>')
            {
                self.open.pop();
                self.pos = close + 1;
                self.text_from = self.pos;
                return Ok(());
            }
        }
        let Some(end) = self.name_end(at + 2) else {
            return Err(syntax(at, "`</` must start an end tag"));
        };
        self.pos = end;
        self.skip_space();
        if !self.starts(b">") {
            return Err(syntax(self.pos, "`>` is needed to close the end tag"));
        }
        let found = &self.text[at + 2..end];
        let Some((from, to)) = self.open.last().copied() else {
            return Err(syntax(
                at,
                format!("the end tag `</{found}>` has no start tag"),
            ));
        };
        let expected = &self.text[from..to];
        if found != expected {
            return Err(syntax(
                at,
                format!("expected `</{expected}>`, but `</{found}>` was found"),
            ));
        }
        self.open.pop();
        self.pos += 1;
        self.text_from = self.pos;
        Ok(())
    }

    fn check_name(&self, from: usize, to: usize) -> Step {
        if to - from > self.limits.max_name_bytes {
            return Err(self.over(from, "max_name_bytes", self.limits.max_name_bytes));
        }
        Ok(())
    }

    /// End of the XML name starting at `from` (XML 1.0 fifth edition `Name`, colons
    /// included); `None` when no name starts there. ASCII goes by a table; only other
    /// characters are decoded.
    fn name_end(&self, from: usize) -> Option<usize> {
        let b = self.b;
        let first = *b.get(from)?;
        let mut i = if first < 0x80 {
            if NAME_ASCII[usize::from(first)] & START == 0 {
                return None;
            }
            from + 1
        } else {
            let c = self.text.get(from..)?.chars().next()?;
            if !is_name_start(c) {
                return None;
            }
            from + c.len_utf8()
        };
        loop {
            let rest = &b[i..];
            i += rest
                .iter()
                .position(|&c| NAME_ASCII[usize::from(c)] & CHAR == 0)
                .unwrap_or(rest.len());
            match b.get(i) {
                Some(&c) if c >= 0x80 => match self.text.get(i..).and_then(|t| t.chars().next()) {
                    Some(c) if is_name_char(c) => i += c.len_utf8(),
                    _ => return Some(i),
                },
                _ => return Some(i),
            }
        }
    }
}

const START: u8 = 1;
const CHAR: u8 = 2;

/// For each byte, whether it may start a name (`START`) and continue one (`CHAR`) as ASCII;
/// bytes of other characters have neither (they are decoded and judged by the rules below).
static NAME_ASCII: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphabetic() || b == b':' || b == b'_' {
            t[c] = START | CHAR;
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            t[c] = CHAR;
        }
        c += 1;
    }
    t
};

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, ':' | '_'
            | '\u{C0}'..='\u{D6}'
            | '\u{D8}'..='\u{F6}'
            | '\u{F8}'..='\u{2FF}'
            | '\u{370}'..='\u{37D}'
            | '\u{37F}'..='\u{1FFF}'
            | '\u{200C}'..='\u{200D}'
            | '\u{2070}'..='\u{218F}'
            | '\u{2C00}'..='\u{2FEF}'
            | '\u{3001}'..='\u{D7FF}'
            | '\u{F900}'..='\u{FDCF}'
            | '\u{FDF0}'..='\u{FFFD}'
            | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '.' | ':' | '_' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
        || (!c.is_ascii() && is_name_start(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(xml: &str) -> Result<(), String> {
        check(xml, &Limits::default()).map_err(|r| match r.reason {
            Reason::Syntax(s) => s,
            Reason::Limit(e) => format!("limit {}", e.limit),
        })
    }

    #[test]
    fn well_formed_documents_pass() {
        for xml in [
            "<a/>",
            "<?xml version=\"1.0\" encoding=\"GBK\" standalone=\"no\" ?>\n<a/>\n",
            "<?xml version='1.0'?><!-- c --><?pi x?><p:a xmlns:p=\"u\" b = 'x\"' c=\"&lt;&#65;&#x4e2d;\"><b>t&amp;t]]</b><![CDATA[<x>]]]><!----><c\n/></p:a><!--e-->",
            "<中文 属性=\"值\">文本</中文>",
            "<a\u{B7}b/>",
        ] {
            assert_eq!(verdict(xml), Ok(()), "{xml}");
        }
    }

    #[test]
    fn what_xmllint_rejects_is_refused() {
        for xml in [
            "",
            "  ",
            "<a>\u{0}</a>",
            "<a>\u{1b}</a>",
            "<a>\u{FFFE}</a>",
            "<a b=\"\u{FFFF}\"/>",
            "<!DOCTYPE a><a/>",
            "<a><!DOCTYPE a></a>",
            " <?xml version=\"1.0\"?><a/>",
            "<a/><?xml version=\"1.0\"?>",
            "<a><?XML x?></a>",
            "<a>]]></a>",
            "<a>&#0;</a>",
            "<a>&#xD800;</a>",
            "<a>&#x110000;</a>",
            "<a>&#X41;</a>",
            "<a>&#65</a>",
            "<a>&foo;</a>",
            "<a>&amp</a>",
            "<a b=\"1/>",
            "<a b='1\"/>",
            "<a b=\"<\"/>",
            "<a b=\"&\"/>",
            "<a b=1/>",
            "<a b/>",
            "<a b=\"1\" b=\"2\"/>",
            "<a b=\"1\"c=\"2\"/>",
            "<a><!-- x -- y --></a>",
            "<a><!-- x ---></a>",
            "<a><!-- x</a>",
            "<a><![CDATA[x</a>",
            "<![CDATA[x]]><a/>",
            "<1a/>",
            "<\u{B7}a/>",
            "<a></ a>",
            "<a></b>",
            "<a>",
            "<a/>x",
            "<a/><b/>",
            "<a/></a>",
            "<?xml encoding=\"UTF-8\"?><a/>",
            "<?xml version=\"2.0\"?><a/>",
            "<?xml version=\"1.0\"encoding=\"UTF-8\"?><a/>",
            "<?xml version=\"1.0\" encoding=\"9x\"?><a/>",
            "<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
            "<?xml version=\"1.0\" foo=\"x\"?><a/>",
            "<?xml?><a/>",
            "<a><? x?></a>",
        ] {
            assert!(verdict(xml).is_err(), "{xml:?} must be refused");
        }
    }

    #[test]
    fn limits_are_named() {
        let limits = Limits {
            max_elements: 3,
            max_depth: 2,
            max_attributes: 1,
            max_value_bytes: 4,
            max_name_bytes: 3,
            max_diagnostics: 1,
        };
        for (xml, limit) in [
            ("<a><b/><b/><b/></a>", "max_elements"),
            ("<a><b><c/></b></a>", "max_depth"),
            ("<a b=\"1\" c=\"2\"/>", "max_attributes"),
            ("<a>12345</a>", "max_value_bytes"),
            ("<a b=\"12345\"/>", "max_value_bytes"),
            ("<abcd/>", "max_name_bytes"),
        ] {
            let refused = check(xml, &limits).expect_err(xml);
            assert_eq!(
                refused.reason,
                Reason::Limit(Exceeded {
                    limit,
                    value: match limit {
                        "max_elements" => 3,
                        "max_depth" => 2,
                        "max_attributes" => 1,
                        "max_value_bytes" => 4,
                        _ => 3,
                    }
                }),
                "{xml}"
            );
        }
        assert_eq!(check("<a><b>1234</b></a>", &limits), Ok(()));
    }

    #[test]
    fn the_first_problem_is_reported_with_its_place() {
        let r = check("<r><a>\u{1}</a><b></c></r>", &Limits::default()).expect_err("bad");
        assert_eq!(r.at, 6);
        assert_eq!(r.root.as_deref(), Some("r"));
        let r = check("<p:r><a></c></p:r>", &Limits::default()).expect_err("bad");
        assert_eq!((r.at, r.path.as_str()), (8, "/r/a"));
    }
}
