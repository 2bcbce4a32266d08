//! `single-window rules [CODE]`: the rule catalog, or one rule explained.

use single_window::rules::catalog::{RULES, markdown, rule};
use std::io::Write as _;
use std::process::ExitCode;

pub fn run(code: Option<&str>, as_markdown: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if as_markdown {
        write!(out, "{}", markdown())?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(code) = code else {
        writeln!(
            out,
            "{:<22} {:<8} {:<12} {:<10} title 中文  English",
            "code", "severity", "trade modes", "in force"
        )?;
        for r in RULES {
            writeln!(
                out,
                "{:<22} {:<8} {:<12} {:<10} {}  {}",
                r.code,
                r.severity.as_str(),
                r.trade_modes_label(),
                r.dates_label(),
                r.title_zh,
                r.title_en
            )?;
        }
        writeln!(
            out,
            "{} rules; `single-window rules CODE` explains one.",
            RULES.len()
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    let Some(r) = rule(&code.to_uppercase()) else {
        eprintln!("single-window: no rule {code}; `single-window rules` lists them");
        return Ok(ExitCode::from(2));
    };
    writeln!(
        out,
        "{}  {}  {} / {}",
        r.code,
        r.severity.as_str(),
        r.title_zh,
        r.title_en
    )?;
    writeln!(out, "  {}", r.zh)?;
    writeln!(out, "  {}", r.en)?;
    writeln!(out, "  messages     {}", r.messages_label())?;
    writeln!(out, "  trade modes  {}", r.trade_modes_label())?;
    writeln!(out, "  in force     {}", r.dates_label())?;
    writeln!(out, "  source       {}", r.source)?;
    Ok(ExitCode::SUCCESS)
}
