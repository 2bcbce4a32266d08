//! Every message type of the export set, and a message of any of those types.

use super::schema::{Element, IntoStatic, Schema};
use super::{
    arrival::*, cancel::*, departure::*, format_error::*, inventory::*, logistics::*, order::*,
    receipts::*, refund::*, summary::*, waybill::*,
};

/// Lists every message type once: variant, struct, root element name, receipt type.
macro_rules! message_types {
    ($($variant:ident => $ty:ident, $root:literal, $receipt:expr;)*) => {
        /// A CEB message type, named by its number.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MessageType {
            $($variant,)*
        }

        impl MessageType {
            pub const ALL: [MessageType; [$(MessageType::$variant),*].len()] = [$(MessageType::$variant),*];

            /// Root element name, e.g. `CEB603Message`.
            pub fn root_name(self) -> &'static str {
                match self {
                    $(MessageType::$variant => $root,)*
                }
            }

            pub fn from_root_name(name: &str) -> Option<Self> {
                match name {
                    $($root => Some(MessageType::$variant),)*
                    _ => None,
                }
            }

            /// The receipt customs answers this type with (`None` for receipts themselves).
            pub fn receipt_type(self) -> Option<Self> {
                match self {
                    $(MessageType::$variant => $receipt,)*
                }
            }

            pub fn schema(self) -> &'static Schema {
                match self {
                    $(MessageType::$variant => $ty::SCHEMA,)*
                }
            }
        }

        /// One decoded message of any type.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Message<'a> {
            $($variant($ty<'a>),)*
        }

        impl<'a> Message<'a> {
            /// An empty message of the given type, ready to be filled by the decoder.
            pub fn new(kind: MessageType) -> Self {
                match kind {
                    $(MessageType::$variant => Message::$variant($ty::default()),)*
                }
            }

            pub fn message_type(&self) -> MessageType {
                match self {
                    $(Message::$variant(_) => MessageType::$variant,)*
                }
            }

            pub fn as_element(&self) -> &dyn Element<'a> {
                match self {
                    $(Message::$variant(m) => m,)*
                }
            }

            pub fn as_element_mut(&mut self) -> &mut dyn Element<'a> {
                match self {
                    $(Message::$variant(m) => m,)*
                }
            }

            /// Detaches the message from the input buffer.
            pub fn into_static(self) -> Message<'static> {
                match self {
                    $(Message::$variant(m) => Message::$variant(m.into_static()),)*
                }
            }
        }
    };
}

use MessageType as T;

message_types! {
    Ceb303 => Ceb303Message, "CEB303Message", Some(T::Ceb304);
    Ceb304 => Ceb304Message, "CEB304Message", None;
    Ceb403 => Ceb403Message, "CEB403Message", Some(T::Ceb404);
    Ceb404 => Ceb404Message, "CEB404Message", None;
    Ceb505 => Ceb505Message, "CEB505Message", Some(T::Ceb506);
    Ceb506 => Ceb506Message, "CEB506Message", None;
    Ceb507 => Ceb507Message, "CEB507Message", Some(T::Ceb508);
    Ceb508 => Ceb508Message, "CEB508Message", None;
    Ceb509 => Ceb509Message, "CEB509Message", Some(T::Ceb510);
    Ceb510 => Ceb510Message, "CEB510Message", None;
    Ceb603 => Ceb603Message, "CEB603Message", Some(T::Ceb604);
    Ceb604 => Ceb604Message, "CEB604Message", None;
    Ceb605 => Ceb605Message, "CEB605Message", Some(T::Ceb606);
    Ceb606 => Ceb606Message, "CEB606Message", None;
    Ceb607 => Ceb607Message, "CEB607Message", Some(T::Ceb608);
    Ceb608 => Ceb608Message, "CEB608Message", None;
    Ceb701 => Ceb701Message, "CEB701Message", Some(T::Ceb702);
    Ceb702 => Ceb702Message, "CEB702Message", None;
    Ceb792 => Ceb792Message, "CEB792Message", None;
    Ceb213 => Ceb213Message, "CEB213Message", Some(T::Ceb214);
    Ceb214 => Ceb214Message, "CEB214Message", None;
    Ceb215 => Ceb215Message, "CEB215Message", Some(T::Ceb216);
    Ceb216 => Ceb216Message, "CEB216Message", None;
    Ceb900 => Ceb900Message, "CEB900Message", None;
}

impl MessageType {
    /// The short name users know a type by, e.g. `CEB603`.
    pub fn label(self) -> &'static str {
        &self.root_name()[..6]
    }

    /// Customs → enterprise messages (receipts and the 792 summary result).
    pub fn is_receipt(self) -> bool {
        self.receipt_type().is_none()
    }
}
