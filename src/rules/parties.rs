//! Party rules: the transmitter and every enterprise named in a document must be registered
//! with customs for the role it plays there (the registry is a parameter: `--registry`).

use super::{Context, Out, Place};
use crate::model::MessageType;
use crate::model::registry::Role;
use crate::model::schema::{Element, Kind, find_text};

/// The roles that may fill each party field.
fn roles_for(field: &str) -> Option<&'static [Role]> {
    Some(match field {
        "ebpCode" => &[Role::Platform],
        "ebcCode" => &[Role::Ecommerce],
        "logisticsCode" => &[Role::Logistics],
        "payCode" => &[Role::Payment],
        // The declarant is a customs broker, or an enterprise declaring for itself.
        "agentCode" | "declAgentCode" => &[Role::Agent, Role::Broker],
        "operatorCode" => &[Role::Operator],
        // The producer/seller is often the e-commerce enterprise itself.
        "ownerCode" => &[Role::Producer, Role::Ecommerce],
        _ => return None,
    })
}

/// A well-formed party code must be registered for a role that may fill its field.
pub(super) fn registered(
    field: &str,
    code: &str,
    path: &Place<'_>,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let Some(roles) = roles_for(field) else {
        return;
    };
    if roles.iter().any(|r| ctx.registry.has_role(code, *r)) {
        return;
    }
    let wanted: Vec<&str> = roles.iter().map(|r| r.en()).collect();
    let wanted_zh: Vec<&str> = roles.iter().map(|r| r.zh()).collect();
    let (zh, en) = match ctx.registry.get(code) {
        Some(e) => (
            format!(
                "{code}（{}）已备案，但不是{}。",
                e.name,
                wanted_zh.join("或")
            ),
            format!(
                "{code} ({}) is registered, but not as {}.",
                e.name,
                wanted.join(" or ")
            ),
        ),
        None => (
            format!("{field} 的企业 {code} 未在海关备案。"),
            format!("The enterprise {code} in {field} is not registered with customs."),
        ),
    };
    out.report(
        "REG-ROLE",
        path.to_string(),
        &[],
        code.to_string(),
        format!("an enterprise registered as {}", wanted.join(" or ")),
        zh,
        en,
    );
}

/// The transmitter (`BaseTransfer`): registered, and sending from its own DXP id. Returns
/// its code when it is one, so the documents' mandates can be checked against it.
pub(super) fn transmitter<'r>(
    root: &'r dyn Element<'_>,
    root_path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) -> Option<&'r str> {
    let path = [root_path, "/BaseTransfer"].concat();
    let (Some(cop), Some(dxp)) = (
        crate::model::schema::find_text(root, "copCode"),
        crate::model::schema::find_text(root, "dxpId"),
    ) else {
        return None;
    };
    let Some(e) = ctx.registry.get(cop) else {
        out.report(
            "REG-TRANSMITTER",
            format!("{path}/copCode"),
            &[],
            cop.to_string(),
            "an enterprise registered with customs".into(),
            format!("传输企业 {cop} 未在海关备案。"),
            format!("The transmitter {cop} is not registered with customs."),
        );
        return None;
    };
    if let Some(own) = e.dxp_id.as_deref()
        && own != dxp
    {
        out.report(
            "REG-TRANSMITTER",
            format!("{path}/dxpId"),
            &[],
            dxp.to_string(),
            format!("{own}, the DXP id registered for {cop}"),
            format!("传输企业 {cop} 备案的 DXP 编号为 {own}，报文中为 {dxp}。"),
            format!("The transmitter {cop} is registered with DXP id {own}, not {dxp}."),
        );
        return None;
    }
    // An enterprise without a DXP id of its own is not a way to send as it from another's.
    if let Some(other) = ctx.registry.by_dxp_id(dxp).filter(|o| o.code != cop) {
        out.report(
            "REG-TRANSMITTER",
            format!("{path}/copCode"),
            &[],
            cop.to_string(),
            format!(
                "{}, the enterprise registered with DXP id {dxp}",
                other.code
            ),
            format!(
                "DXP 编号 {dxp} 备案为 {}（{}）的，不能以 {cop} 的名义传输。",
                other.code, other.name
            ),
            format!(
                "DXP id {dxp} is registered to {} ({}): it cannot transmit as {cop}.",
                other.code, other.name
            ),
        );
        return None;
    }
    Some(cop)
}

/// The party fields a document's transmitter must act for (any one of them), and the party
/// whose mandate that declarant needs in turn (rules §1.4: who transmits which data).
fn declarants(kind: MessageType) -> (&'static [&'static str], Option<&'static str>) {
    use MessageType::*;
    match kind {
        Ceb303 | Ceb403 => (&["ebcCode", "ebpCode"], None),
        Ceb505 | Ceb509 => (&["logisticsCode"], None),
        Ceb507 | Ceb215 => (&["operatorCode", "logisticsCode"], None),
        Ceb607 => (&["agentCode", "logisticsCode"], None),
        Ceb603 | Ceb605 | Ceb701 | Ceb213 => (&["agentCode"], Some("ebcCode")),
        _ => (&[], None),
    }
}

/// A document is its declaring enterprise's: the transmitter must be that enterprise or one
/// it mandated, and a declaring agent must be the e-commerce enterprise or mandated by it.
/// Parties not registered for their role are left to REG-ROLE (no cascade).
pub(super) fn mandate(
    doc: &dyn Element<'_>,
    path: &str,
    kind: MessageType,
    transmitter: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let (fields, principal) = declarants(kind);
    let parties: Vec<(&str, &str)> = fields
        .iter()
        .filter_map(|f| Some((*f, find_text(doc, f)?)))
        .filter(|(f, code)| fills_role(f, code, ctx))
        .collect();
    let Some(&(field, declarant)) = parties.first() else {
        return;
    };
    if !parties
        .iter()
        .any(|(_, code)| ctx.registry.may_act_for(transmitter, code))
    {
        let named: Vec<String> = parties.iter().map(|(f, c)| format!("{f} {c}")).collect();
        out.report(
            "REG-MANDATE",
            field_path(doc, path, field),
            &[],
            transmitter.to_string(),
            format!("{} or an enterprise it mandated", named.join(" / ")),
            format!(
                "传输企业 {transmitter} 不是该单证的申报企业（{}），也未受其委托：单证归申报企业所有，他人不能申报、变更、删除或撤销。",
                named.join("、")
            ),
            format!(
                "The transmitter {transmitter} is not the document's declaring enterprise ({}) nor mandated by it: a document is its declarant's, nobody else may file, change, delete or cancel it.",
                named.join(", ")
            ),
        );
        return;
    }
    let Some(pfield) = principal else {
        return;
    };
    let Some(owner) = find_text(doc, pfield).filter(|c| fills_role(pfield, c, ctx)) else {
        return;
    };
    if !ctx.registry.may_act_for(declarant, owner) {
        out.report(
            "REG-MANDATE",
            field_path(doc, path, field),
            &[],
            declarant.to_string(),
            format!("{pfield} {owner} or an agent it mandated"),
            format!("申报企业 {declarant} 未受电商企业 {owner} 委托，不能为其申报。"),
            format!("The declaring agent {declarant} has no mandate from the e-commerce enterprise {owner} to declare for it."),
        );
    }
}

/// Whether `code` is registered for a role that may fill `field`.
fn fills_role(field: &str, code: &str, ctx: &Context<'_>) -> bool {
    roles_for(field).is_some_and(|roles| roles.iter().any(|r| ctx.registry.has_role(code, *r)))
}

/// The XPath of a field of a document, in the document or in its head.
fn field_path(doc: &dyn Element<'_>, path: &str, field: &str) -> String {
    let schema = doc.schema();
    if schema.members.iter().any(|m| m.name == field) {
        return format!("{path}/{field}");
    }
    schema
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m.kind, Kind::Record(_)) && m.max == 1)
        .find(|(i, _)| {
            doc.child(*i, 0)
                .is_some_and(|c| find_text(c, field).is_some())
        })
        .map_or_else(
            || format!("{path}/{field}"),
            |(_, m)| format!("{path}/{}/{field}", m.name),
        )
}
