//! `single-window schemas DIR`: regenerate our XSDs.

use anyhow::Context;
use single_window::ceb::xsd::xsd_for;
use single_window::model::MessageType;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in all_schemas() {
        let path = dir.join(format!("{name}.xsd"));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("wrote {} schemas to {}", MessageType::ALL.len() + 1, dir.display());
    Ok(ExitCode::SUCCESS)
}

/// Every schema we ship: one per message root, plus the DxpMsg wrapper.
pub fn all_schemas() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = MessageType::ALL
        .iter()
        .map(|t| (t.root_name(), xsd_for(t.schema())))
        .collect();
    out.push(("DxpMsg", xsd_for(single_window::model::dxp::DxpMsg::SCHEMA)));
    out
}
