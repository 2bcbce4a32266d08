//! How much one message may ask of the decoder. Checked by the well-formedness scan before
//! any decoding, so hostile input is refused after one linear pass instead of costing the
//! work (a message over a limit is answered like any unreadable one: CEB900, -1).

/// Where the limits are stated, for the findings they give.
pub const SOURCE: &str = "single-window decoder limits (README: check)";

/// Limits on one message text (a `DxpMsg` wrapper and the message inside it are each one).
/// The defaults leave room for the largest message the 2022 spec allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Elements in one message. Default 250,000: the largest CEB603 the spec allows (100
    /// lists of 100 items) has about 215,000.
    pub max_elements: usize,
    /// Elements open at once. Default 32: CEB messages nest at most 6 deep, a signature 9.
    pub max_depth: usize,
    /// Attributes on one element, namespace declarations included. Default 32; no element
    /// of the spec has more than 6.
    pub max_attributes: usize,
    /// Bytes of one text (between two tags, as written) or attribute value. Default 4 MiB,
    /// the server's default body limit: the one long value is a `DxpMsg`'s Base64 `Data`.
    pub max_value_bytes: usize,
    /// Bytes of one element or attribute name, prefix included. Default 1,000; the longest
    /// name of the spec has 30.
    pub max_name_bytes: usize,
    /// Findings listed per message. Default 1,000; past it, each document gets one finding
    /// saying how many more there are (its verdict stays the same).
    pub max_diagnostics: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_elements: 250_000,
            max_depth: 32,
            max_attributes: 32,
            max_value_bytes: 4 * 1024 * 1024,
            max_name_bytes: 1000,
            max_diagnostics: 1000,
        }
    }
}

/// A limit a message went over: its name (the field of [`Limits`]) and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: &'static str,
    pub value: usize,
}

impl Exceeded {
    /// What went over the limit, in Chinese and in English.
    pub fn describe(&self) -> (String, String) {
        let v = self.value;
        match self.limit {
            "max_elements" => (format!("元素超过{v}个"), format!("more than {v} elements")),
            "max_depth" => (
                format!("元素嵌套超过{v}层"),
                format!("elements nested more than {v} deep"),
            ),
            "max_attributes" => (
                format!("一个元素的属性超过{v}个"),
                format!("more than {v} attributes on one element"),
            ),
            "max_value_bytes" => (
                format!("一个文本或属性值超过{v}字节"),
                format!("a text or attribute value longer than {v} bytes"),
            ),
            "max_name_bytes" => (
                format!("一个名称超过{v}字节"),
                format!("a name longer than {v} bytes"),
            ),
            other => (format!("超过{other} = {v}"), format!("over {other} = {v}")),
        }
    }
}
