//! Findings as values: decoding and checking collect every one and never stop at the first.

use serde::Serialize;

/// Error: the document is rejected. Warning: it is accepted and the user is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Where the field facts of the format checks come from.
pub const SPEC_2022: &str = "海关跨境电商统一版系统企业对接报文规范（202205版） §2";

/// One finding at one place of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `E-XML-LENGTH`.
    pub code: &'static str,
    pub severity: Severity,
    /// XPath of the element, e.g. `/CEB603Message/Inventory[1]/InventoryList[2]/qty`.
    pub path: String,
    /// 1-based line and column (in characters) of the element; 0 when unknown.
    pub line: u32,
    pub column: u32,
    /// The value found (`""` when absent).
    pub found: String,
    /// What was expected.
    pub expected: String,
    /// What is wrong and how to fix it, in Chinese and in English.
    pub zh: String,
    pub en: String,
    /// The regulation or spec section that says so.
    pub source: &'static str,
    /// Byte offset in the decoded UTF-8 text, used to compute line and column.
    #[serde(skip)]
    pub offset: usize,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Fills `line`/`column` of every diagnostic from its byte offset in one pass over `text`.
/// The column is counted on as the scan goes (never again from the start of the line), so
/// the cost is linear however many findings share one long line.
pub fn locate(text: &str, diags: &mut [Diagnostic]) {
    let mut order: Vec<usize> = (0..diags.len()).collect();
    order.sort_by_key(|&i| diags[i].offset);
    let bytes = text.as_bytes();
    // Line and column (in characters, 0-based) of the byte at `scanned`.
    let (mut line, mut column, mut scanned) = (1u32, 0u32, 0usize);
    for i in order {
        let target = floor_char_boundary(text, diags[i].offset.min(text.len())).max(scanned);
        let segment = &bytes[scanned..target];
        match memchr::memrchr(b'\n', segment) {
            Some(last) => {
                line += memchr::memchr_iter(b'\n', segment).count() as u32;
                column = chars_in(&segment[last + 1..]);
            }
            None => column += chars_in(segment),
        }
        scanned = target;
        diags[i].line = line;
        diags[i].column = column + 1;
    }
}

/// Characters in a slice of UTF-8 that starts and ends on character boundaries.
fn chars_in(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u32
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: usize) -> Diagnostic {
        Diagnostic {
            code: "T",
            severity: Severity::Error,
            path: String::new(),
            line: 0,
            column: 0,
            found: String::new(),
            expected: String::new(),
            zh: String::new(),
            en: String::new(),
            source: "",
            offset,
        }
    }

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "ab\n中文<x>\n\nz";
        let mut d = vec![at(text.find("<x>").unwrap()), at(0), at(text.len() - 1)];
        locate(text, &mut d);
        assert_eq!((d[0].line, d[0].column), (2, 3));
        assert_eq!((d[1].line, d[1].column), (1, 1));
        assert_eq!((d[2].line, d[2].column), (4, 1));
    }

    #[test]
    fn columns_on_a_long_line_are_counted_on_not_again() {
        let text = format!("x\n{}", "中<a/>".repeat(1000));
        // Given in reverse order: `locate` sorts them itself.
        let mut offsets: Vec<usize> = text.match_indices("<a/>").map(|(i, _)| i).collect();
        offsets.reverse();
        let mut d: Vec<Diagnostic> = offsets.iter().map(|&o| at(o)).collect();
        locate(&text, &mut d);
        for (k, d) in d.iter().rev().enumerate() {
            // Each `中<a/>` is 5 characters; the k-th `<a/>` follows k of them and one `中`.
            assert_eq!((d.line, d.column), (2, 5 * k as u32 + 2));
        }
    }
}
