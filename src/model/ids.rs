//! Identifier checks: unified social credit codes, customs registration codes, GUIDs.
//!
//! Pure functions used by the validation rules. They allocate nothing when the
//! input is valid; only building an error (or its message) allocates.
//! Facts: reference `ceb-export-messages.md` §5, §5.1, §5.2.

use std::fmt;

/// The 31 symbols of GB 32100-2015 (0-9A-Z without I, O, S, V, Z); a symbol's value is its index.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights for USCC positions 1–17 (3^(i−1) mod 31).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights for the 8 organisation-code characters before its check character.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Short English name of the USCC alphabet, shared by the messages.
const USCC_ALPHABET_EN: &str = "0-9A-Z without I, O, S, V, Z";

/// Writes a character so that invisible ones (spaces, controls) still show up in a message.
struct Shown(char);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_control() || self.0.is_whitespace() {
            write!(f, "U+{:04X}", self.0 as u32)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Writes a string character by character through [`Shown`].
struct ShownStr<'a>(&'a str);

impl fmt::Display for ShownStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.chars().try_for_each(|c| write!(f, "{}", Shown(c)))
    }
}

// ---------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015)
// ---------------------------------------------------------------------------

/// Why a string is not a valid unified social credit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsccError {
    /// Not 18 characters (counted as characters, not bytes).
    Length { found: usize },
    /// A character outside the 31-symbol alphabet; `position` is 1-based.
    /// Lower-case letters land here too: the standard only defines upper case.
    BadChar { position: usize, found: char },
    /// The embedded organisation code (positions 9–17) fails its GB 11714 check.
    OrgCheck { expected: char, found: char },
    /// The 18th (check) character does not match positions 1–17.
    Check { expected: char, found: char },
}

impl UsccError {
    /// One-sentence Chinese explanation with the fix.
    pub fn zh(&self) -> String {
        match *self {
            Self::Length { found } => {
                format!("统一社会信用代码应为18位，实际为{found}位：请核对是否漏填或多填了字符。")
            }
            Self::BadChar { position, found } => format!(
                "第{position}位字符“{}”不允许：统一社会信用代码只能使用数字和除I、O、S、V、Z以外的大写字母。",
                Shown(found)
            ),
            Self::OrgCheck { expected, found } => format!(
                "第17位（组织机构代码校验码）应为“{}”，实际为“{}”：请核对第9–17位的组织机构代码。",
                Shown(expected),
                Shown(found)
            ),
            Self::Check { expected, found } => format!(
                "校验位应为“{}”，实际为“{}”：请核对统一社会信用代码。",
                Shown(expected),
                Shown(found)
            ),
        }
    }

    /// One-sentence English explanation with the fix.
    pub fn en(&self) -> String {
        match *self {
            Self::Length { found } => format!(
                "A unified social credit code has 18 characters, not {found}: check for missing or extra characters."
            ),
            Self::BadChar { position, found } => format!(
                "Character {position} ({}) is not allowed: a unified social credit code uses only digits and upper-case letters other than I, O, S, V and Z.",
                Shown(found)
            ),
            Self::OrgCheck { expected, found } => format!(
                "Character 17, the check character of the embedded organisation code, should be {}, not {}: check positions 9-17.",
                Shown(expected),
                Shown(found)
            ),
            Self::Check { expected, found } => format!(
                "The check character should be {}, not {}: check the unified social credit code.",
                Shown(expected),
                Shown(found)
            ),
        }
    }

    /// Short English description of what a valid value looks like here.
    pub fn expected(&self) -> String {
        match *self {
            Self::Length { .. } => format!("18 characters from {USCC_ALPHABET_EN}"),
            Self::BadChar { position, .. } => {
                format!("a character from {USCC_ALPHABET_EN} at position {position}")
            }
            Self::OrgCheck { expected, .. } => format!(
                "an organisation code in positions 9-17 whose check character (position 17) is {expected}"
            ),
            Self::Check { expected, .. } => {
                format!("18 characters from {USCC_ALPHABET_EN} whose 18th is {expected}")
            }
        }
    }
}

impl fmt::Display for UsccError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for UsccError {}

/// Value (0–30) of a USCC symbol, `None` outside the alphabet (including lower case).
fn uscc_value(c: char) -> Option<u32> {
    USCC_ALPHABET
        .iter()
        .position(|&b| char::from(b) == c)
        .map(|i| i as u32)
}

/// Value of an organisation-code character: digits as themselves, A=10 … Z=35.
fn org_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' | 'A'..='Z' => c.to_digit(36),
        _ => None,
    }
}

/// USCC check character for a weighted sum. The outer `% 31` matters: without it a
/// sum divisible by 31 would give 31 (out of range) instead of 0.
fn uscc_check_from_sum(sum: u32) -> char {
    char::from(USCC_ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// GB 11714 check character for a weighted sum: 11 − (sum mod 11), with 10 → X and 11 → 0.
fn org_check_from_sum(sum: u32) -> char {
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

/// Validates an 18-character unified social credit code (GB 32100-2015): length,
/// alphabet, the embedded GB 11714 organisation-code check, then the 18th check character.
///
/// The pos 1 / pos 1–2 restrictions some validators apply are not checked: the
/// reference could not verify the authoritative table.
pub fn check_uscc(code: &str) -> Result<(), UsccError> {
    let len = code.chars().count();
    if len != 18 {
        return Err(UsccError::Length { found: len });
    }
    let mut chars = ['\0'; 18];
    let mut sum = 0u32;
    for (i, c) in code.chars().enumerate() {
        let v = uscc_value(c).ok_or(UsccError::BadChar {
            position: i + 1,
            found: c,
        })?;
        chars[i] = c;
        if i < 17 {
            sum += v * USCC_WEIGHTS[i];
        }
    }
    let mut org_sum = 0u32;
    for (c, w) in chars[8..16].iter().zip(ORG_WEIGHTS) {
        // Every USCC symbol is also an organisation-code character.
        org_sum += org_value(*c).unwrap_or(0) * w;
    }
    let org_expected = org_check_from_sum(org_sum);
    if chars[16] != org_expected {
        return Err(UsccError::OrgCheck {
            expected: org_expected,
            found: chars[16],
        });
    }
    let expected = uscc_check_from_sum(sum);
    if chars[17] != expected {
        return Err(UsccError::Check {
            expected,
            found: chars[17],
        });
    }
    Ok(())
}

/// The check character for the first 17 characters (None if any is outside the alphabet,
/// or there are not exactly 17), so generators can build valid codes.
///
/// This does not check the embedded organisation code; use [`org_check_char`] for position 17.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0usize;
    for c in first17.chars() {
        let w = *USCC_WEIGHTS.get(n)?;
        sum += uscc_value(c)? * w;
        n += 1;
    }
    (n == 17).then(|| uscc_check_from_sum(sum))
}

/// The GB 11714 check character for 8 organisation-code characters (digits, A–Z), so
/// generators can fill USCC position 17. None if not exactly 8 such characters.
pub fn org_check_char(first8: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0usize;
    for c in first8.chars() {
        let w = *ORG_WEIGHTS.get(n)?;
        sum += org_value(c)? * w;
        n += 1;
    }
    (n == 8).then(|| org_check_from_sum(sum))
}

// ---------------------------------------------------------------------------
// Customs registration code (海关注册编码)
// ---------------------------------------------------------------------------

/// Why a string is not a valid 10-character customs registration code.
///
/// There is no known check digit, so only the layout is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomsCodeError {
    /// Not 10 characters.
    Length { found: usize },
    /// Positions 1–4 (region of registration) are not all digits; `found` is those 4 characters.
    Region { found: String },
    /// Position 5 (economic-zone type) is not one of 1, 2, 3, 4, 5, 9.
    ZoneType { found: char },
    /// Position 6 (enterprise type) is not a digit 1–9.
    EnterpriseType { found: char },
    /// A sequence character (positions 7–10, 1-based `position`) is not a digit or upper-case letter.
    Sequence { position: usize, found: char },
}

impl CustomsCodeError {
    /// One-sentence Chinese explanation with the fix.
    pub fn zh(&self) -> String {
        match self {
            Self::Length { found } => format!(
                "海关注册编码应为10位，实际为{found}位：请核对编码，或改填18位统一社会信用代码。"
            ),
            Self::Region { found } => format!(
                "前4位“{}”应为数字（注册地行政区划）：请核对海关注册编码。",
                ShownStr(found)
            ),
            Self::ZoneType { found } => format!(
                "第5位“{}”应为经济区划类型（数字1–9）：请核对海关注册编码。",
                Shown(*found)
            ),
            Self::EnterpriseType { found } => format!(
                "第6位“{}”应为企业性质代码1–9：请核对海关注册编码。",
                Shown(*found)
            ),
            Self::Sequence { position, found } => format!(
                "第{position}位“{}”应为数字或大写字母（顺序号）：请核对海关注册编码。",
                Shown(*found)
            ),
        }
    }

    /// One-sentence English explanation with the fix.
    pub fn en(&self) -> String {
        match self {
            Self::Length { found } => format!(
                "A customs registration code has 10 characters, not {found}: check the code or use the 18-character unified social credit code instead."
            ),
            Self::Region { found } => format!(
                "The first 4 characters ({}) should be digits (region of registration): check the customs registration code.",
                ShownStr(found)
            ),
            Self::ZoneType { found } => format!(
                "Character 5 ({}) should be an economic-zone type (a digit 1-9): check the customs registration code.",
                Shown(*found)
            ),
            Self::EnterpriseType { found } => format!(
                "Character 6 ({}) should be an enterprise-type digit 1-9: check the customs registration code.",
                Shown(*found)
            ),
            Self::Sequence { position, found } => format!(
                "Character {position} ({}) should be a digit or an upper-case letter (sequence number): check the customs registration code.",
                Shown(*found)
            ),
        }
    }

    /// Short English description of what a valid value looks like here.
    pub fn expected(&self) -> String {
        match self {
            Self::Length { .. } => {
                "10 characters: 4 digits, zone type, enterprise type, 4 digits or upper-case letters"
                    .to_owned()
            }
            Self::Region { .. } => "4 digits (region of registration) in positions 1-4".to_owned(),
            Self::ZoneType { .. } => "a digit 1-9 (economic-zone type) at position 5".to_owned(),
            Self::EnterpriseType { .. } => "a digit 1-9 (enterprise type) at position 6".to_owned(),
            Self::Sequence { position, .. } => {
                format!("a digit or upper-case letter at position {position}")
            }
        }
    }
}

impl fmt::Display for CustomsCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for CustomsCodeError {}

/// Validates the layout of a 10-character customs registration code: digits in
/// positions 1–4, zone type in 5, enterprise type in 6, `[0-9A-Z]` in 7–10.
///
/// Real codes carry letters in the sequence part (e.g. `4403161FMD`); the exact
/// rule for 7–10 is inferred, not documented. Position 5: the published zone types are
/// 1–5 and 9, but `330766K00Q`, quoted as real, has 6, so any digit 1–9 is taken.
pub fn check_customs_code(code: &str) -> Result<(), CustomsCodeError> {
    let len = code.chars().count();
    if len != 10 {
        return Err(CustomsCodeError::Length { found: len });
    }
    let mut chars = ['\0'; 10];
    for (slot, c) in chars.iter_mut().zip(code.chars()) {
        *slot = c;
    }
    if !chars[..4].iter().all(char::is_ascii_digit) {
        return Err(CustomsCodeError::Region {
            found: chars[..4].iter().collect(),
        });
    }
    if !matches!(chars[4], '1'..='9') {
        return Err(CustomsCodeError::ZoneType { found: chars[4] });
    }
    if !matches!(chars[5], '1'..='9') {
        return Err(CustomsCodeError::EnterpriseType { found: chars[5] });
    }
    for (i, &c) in chars.iter().enumerate().skip(6) {
        if !(c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(CustomsCodeError::Sequence {
                position: i + 1,
                found: c,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Enterprise-code classification
// ---------------------------------------------------------------------------

/// What kind of enterprise code a field holds, so a rule can pick the right check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnterpriseCode {
    /// 18 ASCII letters/digits: validate with [`check_uscc`].
    Uscc,
    /// 10 ASCII letters/digits: validate with [`check_customs_code`].
    Customs,
    /// `无` (foreign platform `ebpCode`) or `NO` (unregistered producer `ownerCode`);
    /// whether the field allows it is up to the rule.
    Placeholder,
    /// Anything else.
    Unknown,
}

/// Classifies an enterprise code by length and content only (no check-digit validation).
///
/// Letters of either case count, so that a lower-case USCC is classified as one and
/// [`check_uscc`] can then point at the offending character.
pub fn classify_enterprise_code(code: &str) -> EnterpriseCode {
    if code == "无" || code == "NO" {
        return EnterpriseCode::Placeholder;
    }
    if !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return EnterpriseCode::Unknown;
    }
    match code.len() {
        18 => EnterpriseCode::Uscc,
        10 => EnterpriseCode::Customs,
        _ => EnterpriseCode::Unknown,
    }
}

// ---------------------------------------------------------------------------
// GUID
// ---------------------------------------------------------------------------

/// Letter case of a well-formed GUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidCase {
    /// No lower-case letters, as the spec asks.
    Upper,
    /// Valid hex form but with lower-case letters (as in the official samples):
    /// a warning, not an error.
    Lower,
}

/// Why a string is not a GUID in the 8-4-4-4-12 hex form.
///
/// The XSD checks only the length; treat [`GuidError::Shape`] as a warning if the
/// simulator should accept what customs accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidError {
    /// Not 36 characters.
    Length { found: usize },
    /// 36 characters, but not hex digits in the 8-4-4-4-12 form.
    Shape,
}

impl GuidError {
    /// One-sentence Chinese explanation with the fix.
    pub fn zh(&self) -> String {
        match *self {
            Self::Length { found } => format!(
                "GUID应为36位，实际为{found}位：请使用8-4-4-4-12格式的大写十六进制GUID。"
            ),
            Self::Shape => "GUID应为8-4-4-4-12格式的十六进制字符：请按此格式生成大写GUID，如“3F2504E0-4F89-11D3-9A0C-0305E82C3301”。".to_owned(),
        }
    }

    /// One-sentence English explanation with the fix.
    pub fn en(&self) -> String {
        match *self {
            Self::Length { found } => format!(
                "A GUID has 36 characters, not {found}: use an upper-case GUID in the 8-4-4-4-12 hex form."
            ),
            Self::Shape => "A GUID should be hex digits in the 8-4-4-4-12 form: generate an upper-case one such as 3F2504E0-4F89-11D3-9A0C-0305E82C3301.".to_owned(),
        }
    }

    /// Short English description of what a valid value looks like here.
    pub fn expected(&self) -> String {
        match *self {
            Self::Length { .. } => "36 characters in the 8-4-4-4-12 hex form".to_owned(),
            Self::Shape => {
                "upper-case hex digits in the 8-4-4-4-12 form, e.g. 3F2504E0-4F89-11D3-9A0C-0305E82C3301"
                    .to_owned()
            }
        }
    }
}

impl fmt::Display for GuidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for GuidError {}

/// A document's GUID as kept in memory: 16 bytes when it is in the spec's form (36
/// characters, 8-4-4-4-12 upper-case hexadecimal), else its text as sent. Either way it gives
/// back exactly the text it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Guid {
    Packed([u8; 16]),
    Text(compact_str::CompactString),
}

impl Guid {
    pub fn new(text: &str) -> Guid {
        match packed(text.as_bytes()) {
            Some(bytes) => Guid::Packed(bytes),
            None => Guid::Text(text.into()),
        }
    }

    /// Calls `f` with the GUID's text (written on the stack when packed).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Guid::Packed(bytes) => {
                let mut buf = uuid::Uuid::encode_buffer();
                f(uuid::Uuid::from_bytes(*bytes)
                    .hyphenated()
                    .encode_upper(&mut buf))
            }
            Guid::Text(text) => f(text),
        }
    }
}

/// The 16 bytes of a GUID in the spec's form (8-4-4-4-12 upper-case hexadecimal), which is
/// exactly what packing gives back.
fn packed(text: &[u8]) -> Option<[u8; 16]> {
    /// Where each byte's two hexadecimal digits start.
    const DIGITS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    if text.len() != 36 || [8, 13, 18, 23].iter().any(|&i| text[i] != b'-') {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (byte, &at) in bytes.iter_mut().zip(&DIGITS) {
        *byte = nibble(text[at])? << 4 | nibble(text[at + 1])?;
    }
    Some(bytes)
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl PartialEq<str> for Guid {
    fn eq(&self, other: &str) -> bool {
        self.with_str(|s| s == other)
    }
}

/// GUID: 36 characters in the 8-4-4-4-12 hex form. The spec asks for upper-case, but
/// official samples are lower-case, so case is reported rather than rejected.
pub fn check_guid(guid: &str) -> Result<GuidCase, GuidError> {
    let len = guid.chars().count();
    if len != 36 {
        return Err(GuidError::Length { found: len });
    }
    // 36 characters but more than 36 bytes means a non-ASCII character: not hex.
    if guid.len() != 36 {
        return Err(GuidError::Shape);
    }
    let mut lower = false;
    for (i, b) in guid.bytes().enumerate() {
        match (i, b) {
            (8 | 13 | 18 | 23, b'-') => {}
            (8 | 13 | 18 | 23, _) => return Err(GuidError::Shape),
            (_, b'0'..=b'9' | b'A'..=b'F') => {}
            (_, b'a'..=b'f') => lower = true,
            _ => return Err(GuidError::Shape),
        }
    }
    Ok(if lower {
        GuidCase::Lower
    } else {
        GuidCase::Upper
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1u32;
        for &got in &USCC_WEIGHTS {
            assert_eq!(got, w);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn alphabet_has_31_distinct_symbols_without_i_o_s_v_z() {
        for (i, &b) in USCC_ALPHABET.iter().enumerate() {
            assert!(!b"IOSVZ".contains(&b));
            assert!(!USCC_ALPHABET[..i].contains(&b));
        }
    }

    #[test]
    fn check_from_sum_wraps_to_zero() {
        assert_eq!(uscc_check_from_sum(0), '0');
        assert_eq!(uscc_check_from_sum(31 * 7), '0');
        assert_eq!(uscc_check_from_sum(1), 'Y');
    }

    #[test]
    fn org_check_maps_10_and_11() {
        // 11 - (sum mod 11): sum ≡ 1 → 10 → X; sum ≡ 0 → 11 → 0.
        assert_eq!(org_check_from_sum(1), 'X');
        assert_eq!(org_check_from_sum(0), '0');
        assert_eq!(org_check_from_sum(2), '9');
    }

    #[test]
    fn shown_makes_invisible_characters_visible() {
        assert_eq!(Shown(' ').to_string(), "U+0020");
        assert_eq!(Shown('\n').to_string(), "U+000A");
        assert_eq!(Shown('a').to_string(), "a");
    }
}
