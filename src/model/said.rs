//! A text the simulator writes for people, in Chinese and English. What goes into a customs
//! message (`returnInfo`, `note`) is the Chinese; the English stands beside it in JSON and on
//! the terminal.

use std::borrow::Cow;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "Stored")]
pub struct Said {
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Said {
    pub const fn fixed(zh: &'static str, en: &'static str) -> Said {
        Said {
            zh: Cow::Borrowed(zh),
            en: Cow::Borrowed(en),
        }
    }

    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Said {
        Said {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Reasons after a heading (which ends in its own separator): `标题：甲；乙` and
    /// `Heading: a; b`.
    pub fn listing(zh: &str, en: &str, reasons: &[Said]) -> Said {
        let (mut z, mut e) = (zh.to_string(), en.to_string());
        for (n, r) in reasons.iter().enumerate() {
            if n > 0 {
                z.push('；');
                e.push_str("; ");
            }
            z.push_str(&r.zh);
            e.push_str(&r.en);
        }
        Said::new(z, e)
    }

    /// The same text followed by the answered document's GUID in brackets, as customs writes.
    pub fn tagged(&self, guid: &str) -> Said {
        Said::new(
            format!("{}[{guid}]", self.zh),
            format!("{}[{guid}]", self.en),
        )
    }
}

/// How a text was kept: a checkpoint (or the ledger in it) written before the English was
/// kept beside the Chinese holds the Chinese alone.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Stored {
    Chinese(String),
    /// As `rmp_serde::to_vec` writes a struct (untagged enums read no struct from an array).
    Pair(String, String),
    Both {
        zh: String,
        en: String,
    },
}

impl From<Stored> for Said {
    fn from(stored: Stored) -> Said {
        match stored {
            // Nothing better to show than the Chinese.
            Stored::Chinese(zh) => Said::new(zh.clone(), zh),
            Stored::Pair(zh, en) | Stored::Both { zh, en } => Said::new(zh, en),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_was_kept_before_the_english_and_after() {
        let old = rmp_serde::to_vec(&"逻辑校验通过").unwrap();
        let said: Said = rmp_serde::from_slice(&old).unwrap();
        assert_eq!(said, Said::fixed("逻辑校验通过", "逻辑校验通过"));
        let new = Said::fixed("放行", "released");
        let kept: Said = rmp_serde::from_slice(&rmp_serde::to_vec(&new).unwrap()).unwrap();
        assert_eq!(kept, new);
        let named: Said = rmp_serde::from_slice(&rmp_serde::to_vec_named(&new).unwrap()).unwrap();
        assert_eq!(named, new);
    }

    #[test]
    fn listing_joins_in_each_language() {
        let reasons = [Said::fixed("甲", "a"), Said::fixed("乙", "b")];
        let said = Said::listing("海关退单：", "Sent back: ", &reasons);
        assert_eq!(said.zh, "海关退单：甲；乙");
        assert_eq!(said.en, "Sent back: a; b");
    }
}
