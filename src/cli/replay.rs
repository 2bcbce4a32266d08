//! `single-window replay`: run a scenario on virtual time and write its outputs; with
//! `--what-if`, run it again with changes and compare.

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use single_window::scenario::replay::{self, Replay};
use single_window::scenario::report::{self, Block};
use single_window::scenario::{ReportFormat, Scenario};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    scenario_path: &Path,
    out: &Path,
    what_if: &[String],
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let base = Scenario::load(scenario_path, &[])?;
    let mut w = std::io::stdout().lock();
    fresh_output(out)?;
    if what_if.is_empty() {
        let r = play(&base, out, quiet)?;
        print_summary(&mut w, &base, &r, out)?;
        return Ok(expectations(&mut w, &base, &r)?);
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
        write!(w, "{}", report::markdown(&blocks[2..4]))?;
    } else {
        writeln!(w, "No figure differs.")?;
    }
    writeln!(
        w,
        "base in {}, what-if in {}, comparison in {}",
        out.join("base").display(),
        out.join("what-if").display(),
        path.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What marks a folder as a replay's output: only such a folder (or an empty one, or none)
/// is written into, and it is emptied first so no file of an earlier run is left beside
/// the new ones.
const MARKER: &str = ".single-window-replay";

fn fresh_output(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .peekable();
        if entries.peek().is_some() {
            anyhow::ensure!(
                out.join(MARKER).exists(),
                "{} is not empty and holds no earlier replay: give --out an empty or new folder",
                out.display()
            );
            std::fs::remove_dir_all(out).with_context(|| format!("emptying {}", out.display()))?;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let marker = out.join(MARKER);
    std::fs::write(
        &marker,
        "written by single-window replay; emptied by the next one\n",
    )
    .with_context(|| format!("writing {}", marker.display()))
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

fn print_summary(
    w: &mut dyn Write,
    scenario: &Scenario,
    r: &Replay,
    out: &Path,
) -> std::io::Result<()> {
    writeln!(
        w,
        "{}: {} parcels, {} messages through the engine, {} receipts; {} declarations in the ledger",
        scenario.spec.name,
        r.parcels,
        r.messages,
        r.receipts,
        r.ledger.len()
    )?;
    for y in &r.years {
        let cit = y
            .cit
            .as_ref()
            .and_then(|c| c.tax)
            .map_or("not computed".into(), report::grouped);
        writeln!(
            w,
            "  {} {}: {} lines, FOB {} CNY, VAT refund {}, output VAT {}, CIT {}, FX {}",
            y.enterprise,
            y.year,
            y.lines,
            report::grouped(y.export_revenue),
            report::grouped(y.vat_refund),
            report::grouped(y.output_vat),
            cit,
            y.fx.as_ref().map_or("", |f| f.standing.name())
        )?;
    }
    writeln!(
        w,
        "outputs in {} (played in {:.1} s, written in {:.1} s)",
        out.display(),
        r.seconds.0,
        r.seconds.1
    )
}

/// Exit 1 when a figure the scenario expects is not met.
fn expectations(w: &mut dyn Write, scenario: &Scenario, r: &Replay) -> std::io::Result<ExitCode> {
    let checks = report::check_expectations(scenario, &r.years);
    let failed: Vec<_> = checks.iter().filter(|(_, _, met)| !met).collect();
    for (e, got, _) in &failed {
        writeln!(w, "  expected {e}, got {got}")?;
    }
    if !checks.is_empty() {
        writeln!(
            w,
            "{} of {} expected figures met",
            checks.len() - failed.len(),
            checks.len()
        )?;
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
