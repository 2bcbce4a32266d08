//! The tables of the Chinese encodings as declared, not as encoding_rs reads them: it reads
//! every GB label with the GB18030 decoder (WHATWG), which maps the user-defined areas and
//! four-byte sequences that GBK and GB2312 do not have. These are the byte pairs glibc's iconv
//! (what libxml2 and so xmllint use) decodes, measured pair by pair.

/// Offset of the first byte sequence that `label` (a GB encoding) does not define, if any.
pub fn first_invalid(label: &str, bytes: &[u8]) -> Option<usize> {
    let label = label.trim();
    let is = |names: &[&str]| names.iter().any(|n| label.eq_ignore_ascii_case(n));
    if is(&["gbk", "x-gbk"]) {
        pairs(bytes, true, gbk_pair)
    } else if is(&[
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "csgb2312",
        "iso-ir-58",
        "csiso58gb231280",
        "chinese",
    ]) {
        pairs(bytes, false, gb2312_pair)
    } else if is(&["gb18030"]) {
        lone_euro(bytes)
    } else {
        None
    }
}

/// Walks one- and two-byte characters; `euro`: whether the single byte 0x80 (€) is one.
fn pairs(bytes: &[u8], euro: bool, pair: fn(u8, u8) -> bool) -> Option<usize> {
    let mut i = 0;
    while let Some(n) = bytes[i..].iter().position(|&b| b >= 0x80) {
        i += n;
        if bytes[i] == 0x80 && euro {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(&trail) if pair(bytes[i], trail) => i += 2,
            _ => return Some(i),
        }
    }
    None
}

/// GB18030 has no single byte 0x80 (encoding_rs reads it as €, as GBK has it).
fn lone_euro(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(n) = bytes[i..].iter().position(|&b| b >= 0x80) {
        i += n;
        match bytes[i] {
            0x80 => return Some(i),
            // Four bytes when the second is a digit, two otherwise; encoding_rs judges them.
            _ if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 4,
            _ => i += 2,
        }
        i = i.min(bytes.len());
    }
    None
}

fn within(b: u8, ranges: &[(u8, u8)]) -> bool {
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&b))
}

/// GBK (CP936 as glibc has it): GB2312, its extension rows and the GBK symbols, without the
/// user-defined areas (AAA1–AFFE, F8A1–FEFE, A140–A7A0) and a few unassigned cells.
fn gbk_pair(lead: u8, trail: u8) -> bool {
    if !(0x81..=0xFE).contains(&lead) || !within(trail, &[(0x40, 0x7E), (0x80, 0xFE)]) {
        return false;
    }
    let holes: &[(u8, u8)] = match lead {
        0xA1 | 0xA3 => &[(0x40, 0xA0)],
        0xA2 => &[
            (0x40, 0xA0),
            (0xAB, 0xB0),
            (0xE3, 0xE4),
            (0xEF, 0xF0),
            (0xFD, 0xFE),
        ],
        0xA4 => &[(0x40, 0xA0), (0xF4, 0xFE)],
        0xA5 => &[(0x40, 0xA0), (0xF7, 0xFE)],
        0xA6 => &[
            (0x40, 0xA0),
            (0xB9, 0xC0),
            (0xD9, 0xDF),
            (0xEC, 0xED),
            (0xF3, 0xF3),
            (0xF6, 0xFE),
        ],
        0xA7 => &[(0x40, 0xA0), (0xC2, 0xD0), (0xF2, 0xFE)],
        0xA8 => &[
            (0x96, 0xA0),
            (0xBC, 0xBC),
            (0xBF, 0xBF),
            (0xC1, 0xC4),
            (0xEA, 0xFE),
        ],
        0xA9 => &[
            (0x58, 0x58),
            (0x5B, 0x5B),
            (0x5D, 0x5F),
            (0x89, 0x95),
            (0x97, 0xA3),
            (0xF0, 0xFE),
        ],
        0xAA..=0xAF | 0xF8..=0xFD => &[(0xA1, 0xFE)],
        0xD7 => &[(0xFA, 0xFE)],
        0xFE => &[(0x50, 0xFE)],
        _ => &[],
    };
    !within(trail, holes)
}

/// GB2312 (EUC-CN): rows A1–F7, cells A1–FE, less the unassigned ones.
fn gb2312_pair(lead: u8, trail: u8) -> bool {
    if !(0xA1..=0xF7).contains(&lead) || !(0xA1..=0xFE).contains(&trail) {
        return false;
    }
    let holes: &[(u8, u8)] = match lead {
        0xA2 => &[(0xA1, 0xB0), (0xE3, 0xE4), (0xEF, 0xF0), (0xFD, 0xFE)],
        0xA4 => &[(0xF4, 0xFE)],
        0xA5 => &[(0xF7, 0xFE)],
        0xA6 => &[(0xB9, 0xC0), (0xD9, 0xFE)],
        0xA7 => &[(0xC2, 0xD0), (0xF2, 0xFE)],
        0xA8 => &[(0xBB, 0xC4), (0xEA, 0xFE)],
        0xA9 => &[(0xA1, 0xA3), (0xF0, 0xFE)],
        0xAA..=0xAF => &[(0xA1, 0xFE)],
        0xD7 => &[(0xFA, 0xFE)],
        _ => &[],
    };
    !within(trail, holes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(pair: fn(u8, u8) -> bool) -> usize {
        (0..=255u8)
            .flat_map(|l| (0..=255u8).map(move |t| (l, t)))
            .filter(|&(l, t)| pair(l, t))
            .count()
    }

    #[test]
    fn the_tables_hold_as_many_characters_as_glibcs() {
        // Counted with iconv over every byte pair.
        assert_eq!(count(gbk_pair), 21_791);
        assert_eq!(count(gb2312_pair), 7_445);
    }

    #[test]
    fn bytes_outside_the_declared_table_are_found() {
        let text = "<a>中文</a>".as_bytes();
        // E4 B8 reads as a GBK pair; AD E6 falls in a user-defined area.
        assert_eq!(first_invalid("GBK", text), Some(5), "UTF-8 is not GBK");
        assert_eq!(first_invalid("GBK", b"<a>\xD6\xD0\x80</a>"), None);
        assert_eq!(first_invalid("GBK", b"<a>\xAA\xA1</a>"), Some(3));
        assert_eq!(first_invalid("gbk", b"<a>\x81\x30\x81\x30</a>"), Some(3));
        assert_eq!(first_invalid("GB2312", b"<a>\xD6\xD0\x81\x40</a>"), Some(5));
        assert_eq!(
            first_invalid("GB18030", b"<a>\x81\x30\x81\x30\x80</a>"),
            Some(7)
        );
        assert_eq!(first_invalid("GB18030", b"<a>\xAA\xA1</a>"), None);
        assert_eq!(first_invalid("UTF-8", b"\xAA"), None);
    }
}
