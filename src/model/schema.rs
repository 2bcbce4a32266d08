//! The element schema as data: every message element declares its members once, and the
//! decoder, encoder, XSD writer and test generators all walk the same table.

use rust_decimal::Decimal;
use std::borrow::Cow;

/// Text borrowed from the input buffer when possible.
pub type Str<'a> = Cow<'a, str>;

/// The customs CEB namespace.
pub const CEB_NS: &str = "http://www.chinaport.gov.cn/ceb";
/// The China E-port DXP transport namespace.
pub const DXP_NS: &str = "http://www.chinaport.gov.cn/dxp";
/// W3C XML signature namespace (`ds:Signature`).
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Prefix we write for a namespace.
pub fn prefix_of(ns: &str) -> &'static str {
    match ns {
        DXP_NS => "dxp",
        DSIG_NS => "ds",
        _ => "ceb",
    }
}

/// One element type: its XML name, namespace and members in document order.
#[derive(Debug)]
pub struct Schema {
    pub name: &'static str,
    pub ns: &'static str,
    pub doc: &'static str,
    pub members: &'static [Member],
}

/// One attribute or child element of an element type.
#[derive(Debug)]
pub struct Member {
    /// XML local name.
    pub name: &'static str,
    pub kind: Kind,
    /// Occurrences allowed (`max` = `UNBOUNDED` for no limit).
    pub min: u32,
    pub max: u32,
    /// What the field means, Chinese then English; used in diagnostics and XSD annotations.
    pub doc: &'static str,
}

pub const UNBOUNDED: u32 = u32::MAX;

/// What a member holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A root attribute (string with length bounds in characters).
    Attr { min: u16, max: u16 },
    /// A string with length bounds in characters (`C36`, `C..60`, `C1..10`).
    Text { min: u16, max: u16 },
    /// A string the spec fixes to one value (`fFlag`/`iFlag` of 603 are always `3`, total price).
    Fixed { value: &'static str },
    /// Decimal with at most `total` significant digits and `frac` decimals (`N19,5`).
    Decimal { total: u8, frac: u8 },
    /// Integer (`xs:int`) with at most `digits` digits.
    Int { digits: u8 },
    /// `YYYYMMDDhhmmss`.
    Time14,
    /// `yyyyMMddHHmmssSSS`.
    Time17,
    /// `YYYYMMDD`.
    Date8,
    /// Base64 binary (the `DxpMsg` `Data` element), kept as text.
    Base64,
    /// A child element with members of its own.
    Record(&'static Schema),
    /// Any XML in the given namespace, kept verbatim (`ds:Signature`, `ExtendMessage/Message`).
    Raw { ns: &'static str },
}

impl Kind {
    pub fn is_simple(self) -> bool {
        !matches!(self, Kind::Record(_) | Kind::Raw { .. } | Kind::Attr { .. })
    }

    /// Short description of the expected form, for diagnostics (`C..60`, `N19,5` …).
    pub fn describe(self) -> String {
        match self {
            Kind::Attr { min, max } | Kind::Text { min, max } => {
                if min == max {
                    format!("C{max}: exactly {max} characters")
                } else if min == 0 {
                    format!("C..{max}: at most {max} characters")
                } else {
                    format!("C{min}..{max}: {min} to {max} characters")
                }
            }
            Kind::Fixed { value } => format!("always \"{value}\""),
            Kind::Decimal { total, frac } => {
                format!(
                    "N{total},{frac}: a decimal number with at most {total} digits, {frac} after the point"
                )
            }
            Kind::Int { digits } => {
                format!("N{digits}: a whole number with at most {digits} digits")
            }
            Kind::Time14 => "YYYYMMDDhhmmss: 14 digits, a real date and time".into(),
            Kind::Time17 => "yyyyMMddHHmmssSSS: 17 digits, a real date and time".into(),
            Kind::Date8 => "YYYYMMDD: 8 digits, a real calendar date".into(),
            Kind::Base64 => "Base64 data".into(),
            Kind::Record(s) => format!("element {}", s.name),
            Kind::Raw { ns } => format!("any XML in namespace {ns}"),
        }
    }
}

/// Text length bound meaning "no maximum" (`oriBizMessage`).
pub const NO_LIMIT: u16 = u16::MAX;

/// Shorthands used by the `element!` tables.
pub const fn text(min: u16, max: u16) -> Kind {
    Kind::Text { min, max }
}
pub const fn attr(min: u16, max: u16) -> Kind {
    Kind::Attr { min, max }
}
pub const fn int(digits: u8) -> Kind {
    Kind::Int { digits }
}
/// `N19,5`, the spec's amount, quantity and weight type.
pub const N19_5: Kind = Kind::Decimal { total: 19, frac: 5 };
pub const fn record(schema: &'static Schema) -> Kind {
    Kind::Record(schema)
}
pub const SIGNATURE: Kind = Kind::Raw { ns: DSIG_NS };
pub const ANY_CEB: Kind = Kind::Raw { ns: CEB_NS };

/// A simple value handed from the decoder to an element.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Str<'a>),
    Decimal(Decimal),
    Int(i64),
}

/// A simple value read back from an element by the encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View<'r> {
    Absent,
    Text(&'r str),
    Decimal(&'r Decimal),
    Int(i64),
    /// The member holds child elements; read them with `Element::child`.
    Children(usize),
    /// A repeated simple text member.
    Texts(&'r [Str<'r>]),
}

/// An element whose members are described by a `Schema`: object-safe so the codec can walk
/// any message without being generic over it.
pub trait Element<'a>: std::fmt::Debug {
    fn schema(&self) -> &'static Schema;
    /// Store a decoded simple value (text, number, attribute, raw XML) for member `i`.
    fn set_value(&mut self, i: usize, value: Value<'a>);
    /// Append a fresh child for record member `i` and return it to be filled.
    fn push_child(&mut self, i: usize) -> Option<&mut dyn Element<'a>>;
    /// Read member `i`.
    fn view(&self, i: usize) -> View<'_>;
    /// The `k`-th child of record member `i`.
    fn child(&self, i: usize, k: usize) -> Option<&dyn Element<'a>>;
}

/// How a Rust field type stores one member; implemented for the handful of field shapes.
pub trait Slot<'a> {
    fn put(&mut self, _value: Value<'a>) {}
    fn push(&mut self) -> Option<&mut dyn Element<'a>> {
        None
    }
    fn view(&self) -> View<'_>;
    fn child(&self, _k: usize) -> Option<&dyn Element<'a>> {
        None
    }
}

impl<'a> Slot<'a> for Str<'a> {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Text(t) = value {
            *self = t;
        }
    }
    fn view(&self) -> View<'_> {
        View::Text(self)
    }
}

impl<'a> Slot<'a> for Option<Str<'a>> {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Text(t) = value {
            *self = Some(t);
        }
    }
    fn view(&self) -> View<'_> {
        self.as_deref().map_or(View::Absent, View::Text)
    }
}

impl<'a> Slot<'a> for Vec<Str<'a>> {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Text(t) = value {
            self.push(t);
        }
    }
    fn view(&self) -> View<'_> {
        View::Texts(self)
    }
}

impl<'a> Slot<'a> for Decimal {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Decimal(d) = value {
            *self = d;
        }
    }
    fn view(&self) -> View<'_> {
        View::Decimal(self)
    }
}

impl<'a> Slot<'a> for Option<Decimal> {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Decimal(d) = value {
            *self = Some(d);
        }
    }
    fn view(&self) -> View<'_> {
        self.as_ref().map_or(View::Absent, View::Decimal)
    }
}

impl<'a> Slot<'a> for i64 {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Int(n) = value {
            *self = n;
        }
    }
    fn view(&self) -> View<'_> {
        View::Int(*self)
    }
}

impl<'a> Slot<'a> for Option<i64> {
    fn put(&mut self, value: Value<'a>) {
        if let Value::Int(n) = value {
            *self = Some(n);
        }
    }
    fn view(&self) -> View<'_> {
        self.map_or(View::Absent, View::Int)
    }
}

impl<'a, T: Element<'a> + Default> Slot<'a> for Vec<T> {
    fn push(&mut self) -> Option<&mut dyn Element<'a>> {
        self.push(T::default());
        self.last_mut().map(|e| e as &mut dyn Element<'a>)
    }
    fn view(&self) -> View<'_> {
        View::Children(self.len())
    }
    fn child(&self, k: usize) -> Option<&dyn Element<'a>> {
        self.get(k).map(|e| e as &dyn Element<'a>)
    }
}

/// Turns a borrowed document into one that owns its text (to keep it past the input buffer).
pub trait IntoStatic {
    type Static: 'static;
    fn into_static(self) -> Self::Static;
}

impl IntoStatic for Str<'_> {
    type Static = Str<'static>;
    fn into_static(self) -> Str<'static> {
        Cow::Owned(self.into_owned())
    }
}

impl<T: IntoStatic> IntoStatic for Option<T> {
    type Static = Option<T::Static>;
    fn into_static(self) -> Self::Static {
        self.map(T::into_static)
    }
}

impl<T: IntoStatic> IntoStatic for Vec<T> {
    type Static = Vec<T::Static>;
    fn into_static(self) -> Self::Static {
        self.into_iter().map(T::into_static).collect()
    }
}

impl IntoStatic for Decimal {
    type Static = Decimal;
    fn into_static(self) -> Decimal {
        self
    }
}

impl IntoStatic for i64 {
    type Static = i64;
    fn into_static(self) -> i64 {
        self
    }
}

/// Declares a message element: the struct, its schema table and its `Element` impl.
///
/// ```ignore
/// element! {
///     /// doc
///     OrderList = "OrderList" in CEB_NS, "订单表体 order item" {
///         gnum: i64 = "gnum", int(5), 1..=1, "商品序号 item sequence";
///     }
/// }
/// ```
#[macro_export]
macro_rules! element {
    (
        $(#[$meta:meta])*
        $name:ident = $xml:literal in $ns:expr, $doc:literal {
            $( $field:ident : $ty:ty = $xname:literal, $kind:expr, $min:literal ..= $max:expr, $fdoc:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name<'a> {
            $( #[doc = $fdoc] pub $field: $ty, )*
        }

        impl<'a> $name<'a> {
            pub const SCHEMA: &'static $crate::model::schema::Schema = &$crate::model::schema::Schema {
                name: $xml,
                ns: $ns,
                doc: $doc,
                members: &[ $( $crate::model::schema::Member {
                    name: $xname, kind: $kind, min: $min, max: $max, doc: $fdoc,
                }, )* ],
            };
        }

        impl<'a> $crate::model::schema::IntoStatic for $name<'a> {
            type Static = $name<'static>;
            fn into_static(self) -> $name<'static> {
                $name {
                    $( $field: $crate::model::schema::IntoStatic::into_static(self.$field), )*
                }
            }
        }

        impl<'a> $crate::model::schema::Element<'a> for $name<'a> {
            fn schema(&self) -> &'static $crate::model::schema::Schema {
                Self::SCHEMA
            }
            #[allow(unused_assignments, unused_variables, unused_mut)]
            fn set_value(&mut self, i: usize, value: $crate::model::schema::Value<'a>) {
                let mut n = 0usize;
                $( if i == n { return $crate::model::schema::Slot::put(&mut self.$field, value); } n += 1; )*
            }
            #[allow(unused_assignments, unused_variables, unused_mut)]
            fn push_child(&mut self, i: usize) -> Option<&mut dyn $crate::model::schema::Element<'a>> {
                let mut n = 0usize;
                $( if i == n { return $crate::model::schema::Slot::push(&mut self.$field); } n += 1; )*
                None
            }
            #[allow(unused_assignments, unused_variables, unused_mut)]
            fn view(&self, i: usize) -> $crate::model::schema::View<'_> {
                let mut n = 0usize;
                $( if i == n { return $crate::model::schema::Slot::view(&self.$field); } n += 1; )*
                $crate::model::schema::View::Absent
            }
            #[allow(unused_assignments, unused_variables, unused_mut)]
            fn child(&self, i: usize, k: usize) -> Option<&dyn $crate::model::schema::Element<'a>> {
                let mut n = 0usize;
                $( if i == n { return $crate::model::schema::Slot::child(&self.$field, k); } n += 1; )*
                None
            }
        }

        /// A single required child element.
        impl<'a> $crate::model::schema::Slot<'a> for $name<'a> {
            fn push(&mut self) -> Option<&mut dyn $crate::model::schema::Element<'a>> {
                Some(self)
            }
            fn view(&self) -> $crate::model::schema::View<'_> {
                $crate::model::schema::View::Children(1)
            }
            fn child(&self, k: usize) -> Option<&dyn $crate::model::schema::Element<'a>> {
                (k == 0).then_some(self as &dyn $crate::model::schema::Element<'a>)
            }
        }

        /// An optional child element.
        impl<'a> $crate::model::schema::Slot<'a> for Option<$name<'a>> {
            fn push(&mut self) -> Option<&mut dyn $crate::model::schema::Element<'a>> {
                Some(self.insert($name::default()))
            }
            fn view(&self) -> $crate::model::schema::View<'_> {
                $crate::model::schema::View::Children(usize::from(self.is_some()))
            }
            fn child(&self, k: usize) -> Option<&dyn $crate::model::schema::Element<'a>> {
                self.as_ref().filter(|_| k == 0).map(|e| e as &dyn $crate::model::schema::Element<'a>)
            }
        }
    };
}

/// The member holding the documents of a root (its first record member).
pub fn documents_member(root: &dyn Element<'_>) -> Option<usize> {
    root.schema()
        .members
        .iter()
        .position(|m| matches!(m.kind, Kind::Record(_)))
}

/// A simple member of `el` or of its single-occurrence children (the head), by XML name.
pub fn find_view<'r>(el: &'r dyn Element<'_>, name: &str) -> Option<View<'r>> {
    let schema = el.schema();
    if let Some(i) = schema
        .members
        .iter()
        .position(|m| m.name == name && !matches!(m.kind, Kind::Record(_)))
    {
        return Some(el.view(i));
    }
    schema
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m.kind, Kind::Record(_)) && m.max == 1)
        .find_map(|(i, _)| el.child(i, 0).and_then(|c| find_view(c, name)))
}

/// The XPath `parent/name`, or `parent/name[index]` for a repeated member (joined by hand:
/// paths are built for every record checked, and the formatting machinery cost more).
pub fn xpath_step(parent: &str, name: &str, index: Option<usize>) -> String {
    let mut path = String::with_capacity(parent.len() + name.len() + 8);
    path.push_str(parent);
    path.push('/');
    path.push_str(name);
    if let Some(index) = index {
        path.push('[');
        crate::model::time::push_padded(&mut path, index as u64, 1);
        path.push(']');
    }
    path
}

/// Text of a member found by `find_view`.
pub fn find_text<'r>(el: &'r dyn Element<'_>, name: &str) -> Option<&'r str> {
    match find_view(el, name)? {
        View::Text(t) => Some(t),
        _ => None,
    }
}
