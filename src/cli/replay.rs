//! `single-window replay`: run a scenario on virtual time and write its outputs; with
//! `--what-if`, run it again with changes and compare.

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use single_window::scenario::replay::{self, Replay};
use single_window::scenario::report::{self, Block};
use single_window::scenario::{ReportFormat, Scenario};
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    scenario_path: &Path,
    out: &Path,
    what_if: &[String],
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let base = Scenario::load(scenario_path, &[])?;
    if what_if.is_empty() {
        let r = play(&base, out, quiet)?;
        print_summary(&base, &r, out);
        return Ok(expectations(&base, &r));
    }
    let variant = Scenario::load(scenario_path, what_if)?;
    let a = play(&base, &out.join("base"), quiet)?;
    let b = play(&variant, &out.join("what-if"), quiet)?;
    let blocks = report::comparison(what_if, &a.years, &b.years);
    let (name, text) = match base.spec.report.format {
        ReportFormat::Markdown => ("comparison.md", report::markdown(&blocks)),
        ReportFormat::Html => (
            "comparison.html",
            report::html("What-if comparison", &blocks),
        ),
    };
    let path = out.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    // The differences, on the terminal too.
    if let Some(Block::Table(..)) = blocks.get(3) {
        print!("{}", report::markdown(&blocks[2..4]));
    } else {
        println!("No figure differs.");
    }
    println!(
        "base in {}, what-if in {}, comparison in {}",
        out.join("base").display(),
        out.join("what-if").display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn play(scenario: &Scenario, out: &Path, quiet: bool) -> anyhow::Result<Replay> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} parcels ({per_sec})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(scenario.spec.name.clone());
    let result = replay::run(scenario, out, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    Ok(result?)
}

fn print_summary(scenario: &Scenario, r: &Replay, out: &Path) {
    println!(
        "{}: {} parcels, {} messages through the engine, {} receipts; {} declarations in the ledger",
        scenario.spec.name,
        r.parcels,
        r.messages,
        r.receipts,
        r.ledger.len()
    );
    for y in &r.years {
        let cit = y
            .cit
            .as_ref()
            .and_then(|c| c.tax)
            .map_or("not computed".into(), report::grouped);
        println!(
            "  {} {}: {} lines, FOB {} CNY, VAT refund {}, output VAT {}, CIT {}, FX {}",
            y.enterprise,
            y.year,
            y.lines,
            report::grouped(y.export_revenue),
            report::grouped(y.vat_refund),
            report::grouped(y.output_vat),
            cit,
            y.fx.as_ref().map_or("", |f| f.standing.name())
        );
    }
    println!(
        "outputs in {} (played in {:.1} s, written in {:.1} s)",
        out.display(),
        r.seconds.0,
        r.seconds.1
    );
}

/// Exit 1 when a figure the scenario expects is not met.
fn expectations(scenario: &Scenario, r: &Replay) -> ExitCode {
    let checks = report::check_expectations(scenario, &r.years);
    let failed: Vec<_> = checks.iter().filter(|(_, _, met)| !met).collect();
    for (e, got, _) in &failed {
        println!("  expected {e}, got {got}");
    }
    if !checks.is_empty() {
        println!(
            "{} of {} expected figures met",
            checks.len() - failed.len(),
            checks.len()
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
