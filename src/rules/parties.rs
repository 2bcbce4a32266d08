//! Party rules: the transmitter and every enterprise named in a document must be registered
//! with customs for the role it plays there (the registry is a parameter: `--registry`).

use super::{Context, Out};
use crate::model::ids::{EnterpriseCode, check_customs_code, check_uscc, classify_enterprise_code};
use crate::model::registry::Role;
use crate::model::schema::{Element, View};

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

/// Only well-formed codes are looked up: a malformed one already has its own finding.
fn well_formed(code: &str) -> bool {
    match classify_enterprise_code(code) {
        EnterpriseCode::Uscc => check_uscc(code).is_ok(),
        EnterpriseCode::Customs => check_customs_code(code).is_ok(),
        EnterpriseCode::Placeholder | EnterpriseCode::Unknown => false,
    }
}

/// Every party field of a document (and its records).
pub(super) fn check(el: &dyn Element<'_>, path: &str, ctx: &Context<'_>, out: &mut Out<'_>) {
    let schema = el.schema();
    for (i, m) in schema.members.iter().enumerate() {
        match el.view(i) {
            View::Text(code) => {
                let Some(roles) = roles_for(m.name) else {
                    continue;
                };
                if !well_formed(code) || roles.iter().any(|r| ctx.registry.has_role(code, *r)) {
                    continue;
                }
                let wanted: Vec<&str> = roles.iter().map(|r| r.en()).collect();
                let wanted_zh: Vec<&str> = roles.iter().map(|r| r.zh()).collect();
                let (zh, en) = match ctx.registry.get(code) {
                    Some(e) => (
                        format!(
                            "{}（{}）已备案，但不是{}。",
                            code,
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
                        format!("{} 的企业 {code} 未在海关备案。", m.name),
                        format!(
                            "The enterprise {code} in {} is not registered with customs.",
                            m.name
                        ),
                    ),
                };
                out.report(
                    "REG-ROLE",
                    format!("{path}/{}", m.name),
                    &[],
                    code.to_string(),
                    format!("an enterprise registered as {}", wanted.join(" or ")),
                    zh,
                    en,
                );
            }
            View::Children(n) => {
                for k in 0..n {
                    if let Some(child) = el.child(i, k) {
                        let step = if m.max > 1 {
                            format!("{path}/{}[{}]", m.name, k + 1)
                        } else {
                            format!("{path}/{}", m.name)
                        };
                        check(child, &step, ctx, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The transmitter (`BaseTransfer`): registered, and sending from its own DXP id.
pub(super) fn transmitter(
    root: &dyn Element<'_>,
    root_path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let path = format!("{root_path}/BaseTransfer");
    let (Some(cop), Some(dxp)) = (
        crate::check::find_text(root, "copCode"),
        crate::check::find_text(root, "dxpId"),
    ) else {
        return;
    };
    match ctx.registry.get(cop) {
        None => out.report(
            "REG-TRANSMITTER",
            format!("{path}/copCode"),
            &[],
            cop.to_string(),
            "an enterprise registered with customs".into(),
            format!("传输企业 {cop} 未在海关备案。"),
            format!("The transmitter {cop} is not registered with customs."),
        ),
        Some(e) => {
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
            }
        }
    }
}
