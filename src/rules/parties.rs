//! Party rules: the transmitter and every enterprise named in a document must be registered
//! with customs for the role it plays there (the registry is a parameter: `--registry`).

use super::{Context, Out, Place};
use crate::model::registry::Role;
use crate::model::schema::Element;

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

/// The transmitter (`BaseTransfer`): registered, and sending from its own DXP id.
pub(super) fn transmitter(
    root: &dyn Element<'_>,
    root_path: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let path = [root_path, "/BaseTransfer"].concat();
    let (Some(cop), Some(dxp)) = (
        crate::model::schema::find_text(root, "copCode"),
        crate::model::schema::find_text(root, "dxpId"),
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
