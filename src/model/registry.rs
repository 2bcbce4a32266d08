//! The enterprise registry (企业备案库): which enterprises are registered with
//! customs, and for which roles.
//!
//! Customs accept a filing only from parties registered for the role they play
//! in it (rules §1.3), so the validation rules look every party code and the
//! transmitter's DXP id up here. The default registry is `seeds/enterprises.toml`,
//! built into the binary; users can load their own file instead.
//!
//! Codes are not checked for shape here: the validator reports malformed codes
//! in messages, and a registry entry with an odd code simply never matches.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// Text of the built-in registry, so a CLI can print it as a template.
pub const SHIPPED_TOML: &str = include_str!("../../seeds/enterprises.toml");

/// Name used for the built-in registry in error messages.
const SHIPPED_ORIGIN: &str = "seeds/enterprises.toml";

/// A role an enterprise may be registered for; each matches a party field of
/// the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 跨境电商平台企业 (`ebpCode`).
    Platform,
    /// 跨境电商企业 (`ebcCode`).
    Ecommerce,
    /// 物流企业 (`logisticsCode`).
    Logistics,
    /// 支付企业 (`payCode`).
    Payment,
    /// 申报企业 (`agentCode`).
    Agent,
    /// 监管场所经营人 (`operatorCode`).
    Operator,
    /// 生产销售企业 (`ownerCode`).
    Producer,
    /// 报关企业 (`declAgentCode`).
    Broker,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 8] = [
        Role::Platform,
        Role::Ecommerce,
        Role::Logistics,
        Role::Payment,
        Role::Agent,
        Role::Operator,
        Role::Producer,
        Role::Broker,
    ];

    /// The name used in the registry file.
    pub fn key(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::Ecommerce => "ecommerce",
            Role::Logistics => "logistics",
            Role::Payment => "payment",
            Role::Agent => "agent",
            Role::Operator => "operator",
            Role::Producer => "producer",
            Role::Broker => "broker",
        }
    }

    /// Chinese name, as in customs documents.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Platform => "跨境电商平台企业",
            Role::Ecommerce => "跨境电商企业",
            Role::Logistics => "物流企业",
            Role::Payment => "支付企业",
            Role::Agent => "申报企业",
            Role::Operator => "监管场所经营人",
            Role::Producer => "生产销售企业",
            Role::Broker => "报关企业",
        }
    }

    /// English name, for diagnostics.
    pub fn en(self) -> &'static str {
        match self {
            Role::Platform => "e-commerce platform",
            Role::Ecommerce => "e-commerce enterprise",
            Role::Logistics => "logistics enterprise",
            Role::Payment => "payment enterprise",
            Role::Agent => "declaring agent",
            Role::Operator => "supervision-site operator",
            Role::Producer => "producer/seller",
            Role::Broker => "customs broker",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.en())
    }
}

/// Parses the registry-file name (`"logistics"`), e.g. from a command line.
impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.key() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error(
    "unknown role `{0}`, expected one of platform, ecommerce, logistics, payment, agent, operator, producer, broker"
)]
pub struct UnknownRole(pub String);

/// One registered enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    /// 10-char customs code or 18-char unified social credit code, as used in messages.
    pub code: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Set only for enterprises that transmit messages themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dxp_id: Option<String>,
    /// Customs district of registration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customs: Option<String>,
    /// 跨境电子商务综合试验区 (city name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot_zone: Option<String>,
    /// Business-model filings with customs, e.g. `9810` (出口海外仓业务模式备案, required
    /// before 2024-12-15).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filings: Vec<String>,
    /// Enterprises it has mandated (委托) to transmit or declare its documents, by code: a
    /// carrier's waybills sent by the seller, a seller's lists declared by its agent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
}

impl Enterprise {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Why a registry could not be built. Messages name the file and, where
/// known, the line. `Toml` and `Io` leave the underlying error to `source()`
/// rather than repeat it, so print with `{:#}` (anyhow) or walk the chain.
#[derive(thiserror::Error, Debug)]
pub enum RegistryError {
    /// Syntax error, unknown key or unknown role. The toml error (the
    /// `source`, shown by `{:#}` / error chains) carries the line.
    #[error("{origin}: invalid enterprise registry")]
    Toml {
        origin: String,
        #[source]
        source: toml::de::Error,
    },
    /// The same enterprise code registered twice.
    #[error("{}enterprise code `{code}` is registered twice{}", at(.origin, *.line), first(*.first_line))]
    Duplicate {
        origin: String,
        line: Option<usize>,
        code: String,
        first_line: Option<usize>,
    },
    /// The same DXP id given to two enterprises, which would make the
    /// transmitter ambiguous.
    #[error("{}DXP id `{dxp_id}` of `{code}` is already used by `{other}`", at(.origin, *.line))]
    DuplicateDxpId {
        origin: String,
        line: Option<usize>,
        dxp_id: String,
        code: String,
        other: String,
    },
    #[error("cannot read enterprise registry {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A required field is empty (`roles = []`, `code = ""`), or a text field
    /// is blank or has leading/trailing whitespace, which would never match a
    /// code in a message.
    #[error("{}{}", at(.origin, *.line), empty_field_message(.code, .field, .value))]
    EmptyField {
        origin: String,
        line: Option<usize>,
        /// Code of the enterprise, empty when the code itself is the problem.
        code: String,
        field: &'static str,
        /// The offending value, when it is not simply empty.
        value: String,
    },
}

fn at(origin: &str, line: Option<usize>) -> String {
    match (origin.is_empty(), line) {
        (true, _) => String::new(),
        (false, Some(line)) => format!("{origin}:{line}: "),
        (false, None) => format!("{origin}: "),
    }
}

fn first(line: Option<usize>) -> String {
    line.map(|l| format!(" (first at line {l})"))
        .unwrap_or_default()
}

fn empty_field_message(code: &str, field: &str, value: &str) -> String {
    let whose = if code.is_empty() {
        String::from("enterprise")
    } else {
        format!("enterprise `{code}`")
    };
    if value.trim().is_empty() {
        format!("{whose}: field `{field}` is empty")
    } else {
        format!("{whose}: field `{field}` = {value:?} has leading or trailing whitespace")
    }
}

/// File layout; `Spanned` keeps byte offsets so entry errors can name a line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    enterprise: Vec<RawEnterprise>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnterprise {
    code: Spanned<String>,
    name: Spanned<String>,
    roles: Spanned<Vec<Role>>,
    dxp_id: Option<Spanned<String>>,
    customs: Option<Spanned<String>>,
    pilot_zone: Option<Spanned<String>>,
    #[serde(default)]
    filings: Vec<String>,
    #[serde(default)]
    agents: Vec<String>,
}

/// Registered enterprises, indexed by code and by DXP id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    enterprises: Vec<Enterprise>,
    by_code: HashMap<String, usize>,
    by_dxp_id: HashMap<String, usize>,
}

impl Registry {
    /// The built-in registry, parsed on first use. Its validity is checked by
    /// tests, so a parse failure here yields an empty registry, not a panic.
    pub fn shipped() -> &'static Registry {
        static SHIPPED: OnceLock<Registry> = OnceLock::new();
        SHIPPED
            .get_or_init(|| Registry::from_toml(SHIPPED_TOML, SHIPPED_ORIGIN).unwrap_or_default())
    }

    /// Parses a registry file; `origin` names it in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Registry, RegistryError> {
        let raw: RawFile = toml::from_str(text).map_err(|source| RegistryError::Toml {
            origin: origin.to_owned(),
            source,
        })?;
        let line_of = |offset: usize| Some(line_at(text, offset));
        let mut registry = Registry::default();
        // Line of each entry's `code`, to point at the first of two duplicates.
        let mut lines = Vec::with_capacity(raw.enterprise.len());
        for entry in raw.enterprise {
            let line = line_of(entry.code.span().start);
            let enterprise = entry.into_enterprise(origin, &line_of)?;
            registry.add(enterprise, origin, line, &lines)?;
            lines.push(line);
        }
        Ok(registry)
    }

    /// Reads and parses a registry file.
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Io {
            path: path.to_owned(),
            source,
        })?;
        Registry::from_toml(&text, &path.display().to_string())
    }

    pub fn get(&self, code: &str) -> Option<&Enterprise> {
        self.by_code.get(code).map(|&i| &self.enterprises[i])
    }

    /// Whether `code` is registered and holds `role`; false for unknown codes.
    pub fn has_role(&self, code: &str, role: Role) -> bool {
        self.get(code).is_some_and(|e| e.has_role(role))
    }

    /// Whether `actor` may transmit or declare for `principal`: it is the principal, or the
    /// principal named it among its `agents`.
    pub fn may_act_for(&self, actor: &str, principal: &str) -> bool {
        actor == principal
            || self
                .get(principal)
                .is_some_and(|p| p.agents.iter().any(|a| a == actor))
    }

    /// The enterprise transmitting under `dxp_id`, to check a message's sender.
    pub fn by_dxp_id(&self, dxp_id: &str) -> Option<&Enterprise> {
        self.by_dxp_id.get(dxp_id).map(|&i| &self.enterprises[i])
    }

    /// All enterprises, in file (then insertion) order.
    pub fn enterprises(&self) -> &[Enterprise] {
        &self.enterprises
    }

    /// The registry in the file format `load` reads (e.g. a generated one, for `serve`).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        #[derive(Serialize)]
        struct File<'a> {
            enterprise: &'a [Enterprise],
        }
        toml::to_string(&File {
            enterprise: &self.enterprises,
        })
    }

    pub fn len(&self) -> usize {
        self.enterprises.len()
    }

    pub fn is_empty(&self) -> bool {
        self.enterprises.is_empty()
    }

    /// Adds an enterprise (generators of synthetic traffic register their own).
    /// The same checks as for a file apply; on error the registry is unchanged.
    pub fn insert(&mut self, mut e: Enterprise) -> Result<(), RegistryError> {
        check_text(&e.code, "code", "", "", None)?;
        check_text(&e.name, "name", &e.code, "", None)?;
        if e.roles.is_empty() {
            return Err(empty("", None, &e.code, "roles", String::new()));
        }
        for (field, value) in [
            ("dxp_id", &e.dxp_id),
            ("customs", &e.customs),
            ("pilot_zone", &e.pilot_zone),
        ] {
            if let Some(value) = value {
                check_text(value, field, &e.code, "", None)?;
            }
        }
        dedup_roles(&mut e.roles);
        self.add(e, "", None, &[])
    }

    /// Checks uniqueness and indexes `e`. `lines[i]` is the line of entry `i`
    /// when loading a file, empty otherwise.
    fn add(
        &mut self,
        e: Enterprise,
        origin: &str,
        line: Option<usize>,
        lines: &[Option<usize>],
    ) -> Result<(), RegistryError> {
        if let Some(&i) = self.by_code.get(e.code.as_str()) {
            return Err(RegistryError::Duplicate {
                origin: origin.to_owned(),
                line,
                code: e.code,
                first_line: lines.get(i).copied().flatten(),
            });
        }
        if let Some(dxp_id) = &e.dxp_id
            && let Some(&i) = self.by_dxp_id.get(dxp_id.as_str())
        {
            return Err(RegistryError::DuplicateDxpId {
                origin: origin.to_owned(),
                line,
                dxp_id: dxp_id.clone(),
                code: e.code,
                other: self.enterprises[i].code.clone(),
            });
        }
        let index = self.enterprises.len();
        self.by_code.insert(e.code.clone(), index);
        if let Some(dxp_id) = &e.dxp_id {
            self.by_dxp_id.insert(dxp_id.clone(), index);
        }
        self.enterprises.push(e);
        Ok(())
    }
}

impl RawEnterprise {
    fn into_enterprise(
        self,
        origin: &str,
        line_of: &dyn Fn(usize) -> Option<usize>,
    ) -> Result<Enterprise, RegistryError> {
        let line = |value: &Spanned<String>| line_of(value.span().start);
        check_text(self.code.get_ref(), "code", "", origin, line(&self.code))?;
        let code = self.code.into_inner();
        // The code is valid from here on, so later errors can name it.
        let text = |field: &'static str, value: Spanned<String>| {
            check_text(value.get_ref(), field, &code, origin, line(&value))
                .map(|()| value.into_inner())
        };
        let opt = |field: &'static str, value: Option<Spanned<String>>| {
            value.map(|v| text(field, v)).transpose()
        };
        let name = text("name", self.name)?;
        let dxp_id = opt("dxp_id", self.dxp_id)?;
        let customs = opt("customs", self.customs)?;
        let pilot_zone = opt("pilot_zone", self.pilot_zone)?;
        if self.roles.get_ref().is_empty() {
            let line = line_of(self.roles.span().start);
            return Err(empty(origin, line, &code, "roles", String::new()));
        }
        let mut roles = self.roles.into_inner();
        dedup_roles(&mut roles);
        Ok(Enterprise {
            code,
            name,
            roles,
            dxp_id,
            customs,
            pilot_zone,
            filings: self.filings,
            agents: self.agents,
        })
    }
}

/// Drops repeated roles, keeping the first occurrence's order.
fn dedup_roles(roles: &mut Vec<Role>) {
    let mut seen = Vec::with_capacity(roles.len());
    roles.retain(|r| {
        let new = !seen.contains(r);
        if new {
            seen.push(*r);
        }
        new
    });
}

/// Rejects empty, blank or untrimmed text. `code` names the enterprise in
/// the message; pass "" when the code itself is checked.
fn check_text(
    value: &str,
    field: &'static str,
    code: &str,
    origin: &str,
    line: Option<usize>,
) -> Result<(), RegistryError> {
    if value.is_empty() || value.trim() != value {
        return Err(empty(origin, line, code, field, value.to_owned()));
    }
    Ok(())
}

fn empty(
    origin: &str,
    line: Option<usize>,
    code: &str,
    field: &'static str,
    value: String,
) -> RegistryError {
    RegistryError::EmptyField {
        origin: origin.to_owned(),
        line,
        code: code.to_owned(),
        field,
        value,
    }
}

/// 1-based line number of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
