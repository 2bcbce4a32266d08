//! The engine's state as bytes and back, for checkpoints: serde derives on the state, with
//! these helpers for what serde cannot take as it is. Texts the engine keeps as
//! `&'static str` (receipt roots, return statuses) are looked up again in their tables, and a
//! receipt built ahead of time is kept as its XML.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Every `returnStatus` the engine gives. A status outside it cannot come back from a
/// checkpoint, so adding one means adding it here (a test sends every kind through).
const STATUSES: &[&str] = &[
    "2", "100", "120", "300", "399", "500", "800", "899", "A", "-304001", "-404001", "-504001",
    "-604001",
];

/// An `Outgoing` as kept in a checkpoint: its `&'static str` texts as text, looked up again
/// in their tables when it comes back.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Stored {
    due: chrono::NaiveDateTime,
    root: String,
    status: String,
    to: compact_str::CompactString,
    body: super::receipts::Body,
}

impl From<super::Outgoing> for Stored {
    fn from(o: super::Outgoing) -> Stored {
        let (due, root, status, to, body) = o.into_parts();
        Stored {
            due,
            root: root.to_string(),
            status: status.to_string(),
            to,
            body,
        }
    }
}

impl serde::Serialize for super::Outgoing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored::from(self.clone()).serialize(s)
    }
}

// By hand: a derive would tie the input's lifetime to the `&'static str` fields.
impl<'de> Deserialize<'de> for super::Outgoing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Stored::deserialize(d)?;
        let root = crate::model::MessageType::from_root_name(&s.root)
            .map(crate::model::MessageType::root_name)
            .ok_or_else(|| D::Error::custom(format!("unknown receipt root {:?}", s.root)))?;
        let status = STATUSES
            .iter()
            .find(|x| **x == s.status)
            .copied()
            .ok_or_else(|| D::Error::custom(format!("unknown returnStatus {:?}", s.status)))?;
        Ok(super::Outgoing::from_parts(
            s.due, root, status, s.to, s.body,
        ))
    }
}

/// A `chrono::Duration` as whole milliseconds (the engine's delays are no finer).
pub(crate) mod millis {
    use super::*;
    use chrono::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_milliseconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::milliseconds(i64::deserialize(d)?))
    }
}

/// A typed message kept as its XML, decoded again when read.
pub(super) mod message_xml {
    use super::*;
    use crate::model::Message;

    pub fn serialize<S, M>(m: &M, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        M: std::ops::Deref<Target = Message<'static>>,
    {
        s.serialize_str(&crate::ceb::encode(m.as_element()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Message<'static>>, D::Error> {
        let xml = String::deserialize(d)?;
        let decoded = crate::ceb::decode_str(&xml);
        match decoded.message {
            Some(m) if decoded.diagnostics.is_empty() => Ok(Box::new(m.into_static())),
            _ => Err(D::Error::custom(format!(
                "a stored receipt does not decode: {}",
                decoded.root
            ))),
        }
    }
}

/// Why a state could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("engine state: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
    #[error("engine state: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
}

/// Encodes a value of the engine's state (MessagePack, structs as arrays: compact, and
/// self-describing enough for the types that read themselves from any shape, as decimals do).
pub fn to_bytes<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, SnapshotError> {
    Ok(rmp_serde::to_vec(value)?)
}

/// Decodes what `to_bytes` wrote.
pub fn from_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, SnapshotError> {
    Ok(rmp_serde::from_slice(bytes)?)
}
