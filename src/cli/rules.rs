//! `single-window rules [CODE]`: the rule catalog, or one rule explained.

use single_window::rules::catalog::{RULES, markdown, rule};
use std::process::ExitCode;

pub fn run(code: Option<&str>, as_markdown: bool) -> anyhow::Result<ExitCode> {
    if as_markdown {
        print!("{}", markdown());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(code) = code else {
        for r in RULES {
            println!(
                "{:<22} {:<8} {:<12} {:<10} {}  {}",
                r.code,
                r.severity.as_str(),
                r.trade_modes_label(),
                r.dates_label(),
                r.title_zh,
                r.title_en
            );
        }
        println!(
            "{} rules; `single-window rules CODE` explains one.",
            RULES.len()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let Some(r) = rule(&code.to_uppercase()) else {
        eprintln!("single-window: no rule {code}; `single-window rules` lists them");
        return Ok(ExitCode::from(2));
    };
    println!(
        "{}  {}  {} / {}",
        r.code,
        r.severity.as_str(),
        r.title_zh,
        r.title_en
    );
    println!("  {}", r.zh);
    println!("  {}", r.en);
    println!("  messages     {}", r.messages_label());
    println!("  trade modes  {}", r.trade_modes_label());
    println!("  in force     {}", r.dates_label());
    println!("  source       {}", r.source);
    Ok(ExitCode::SUCCESS)
}
