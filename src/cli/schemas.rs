//! `single-window schemas DIR`: regenerate our XSDs.

use anyhow::Context;
use single_window::ceb::xsd::all_schemas;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let schemas = all_schemas();
    for (name, text) in &schemas {
        let path = dir.join(format!("{name}.xsd"));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    writeln!(
        std::io::stdout().lock(),
        "wrote {} schemas to {}",
        schemas.len(),
        dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
