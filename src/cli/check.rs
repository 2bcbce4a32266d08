//! `single-window check`: read files, run the pure check, print findings, write receipts.

use anyhow::Context as _;
use chrono::NaiveDate;
use single_window::check::{
    DocumentReport, MessageReport, Receipt, check_bytes_on_business_time, note_related,
    run_lifecycle,
};
use single_window::engine::ledger::Ledger;
use single_window::engine::{EngineConfig, Outgoing, SingleWindow, summary};
use single_window::model::registry::Registry;
use single_window::rules::{Context, Params, Related};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(
    paths: &[PathBuf],
    json: bool,
    receipts: Option<&Path>,
    registry: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let files = collect_files(paths)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no *.xml file in {}: give CEB message files or folders holding them",
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let loaded;
    let registry = match registry {
        Some(path) => {
            loaded = Registry::load(path)?;
            &loaded
        }
        None => Registry::shipped(),
    };
    // First pass: the orders, receipts and waybills among the inputs that pass their own
    // checks, for the rules linking documents.
    let params = Params::default();
    let alone = Context {
        registry,
        params: &params,
        related: None,
    };
    let mut related = Related::default();
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        note_related(&bytes, &alone, &mut related);
    }
    let ctx = Context {
        registry,
        params: &params,
        related: Some(&related),
    };
    if let Some(dir) = receipts {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let now = chrono::Local::now().naive_local();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut totals = Totals::default();
    let mut checked = Vec::with_capacity(files.len());
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        // Virtual time: the e-port answers each message when it was made, as customs plays it.
        let report = check_bytes_on_business_time(&bytes, now, &ctx);
        let name = file.display().to_string();
        for doc in &report.documents {
            totals.add(doc);
            if !json {
                write_human(&mut out, &name, doc)?;
            }
        }
        if let (Some(dir), Some(receipt)) = (receipts, &report.receipt) {
            write_receipt(dir, file, receipt)?;
        }
        checked.push((name, bytes, report));
    }
    // What customs does with the accepted documents, on their business time.
    let mut engine = SingleWindow::new(EngineConfig::default(), params.clone());
    let inputs: Vec<(&[u8], &MessageReport)> =
        checked.iter().map(|(_, b, r)| (b.as_slice(), r)).collect();
    let lifecycle = run_lifecycle(&inputs, &mut engine, chrono::Duration::days(7));
    if !json && !lifecycle.is_empty() {
        writeln!(out, "customs, on the documents' business time:")?;
    }
    for (n, receipt) in lifecycle.iter().enumerate() {
        let refused = receipt.status == "100" || receipt.status.starts_with('-');
        totals.customs_receipts += 1;
        totals.customs_refusals += usize::from(refused);
        if !json {
            writeln!(
                out,
                "  {}  {}  {}  {}  {}",
                receipt.due.format("%Y-%m-%d %H:%M:%S"),
                receipt.root,
                receipt.key(),
                receipt.status,
                receipt.info()
            )?;
        }
        if let Some(dir) = receipts {
            let path = dir.join(format!(
                "customs-{:04}.{}.{}.xml",
                n + 1,
                receipt.root,
                receipt.status
            ));
            std::fs::write(&path, receipt.xml())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let open = engine.engine().open_lists();
    if !json && !open.is_empty() {
        writeln!(
            out,
            "still with customs when the run ends (a week after the last message):"
        )?;
        for (key, a) in &open {
            writeln!(out, "  {key}  {} / {}", a.zh, a.en)?;
        }
    }
    if !json && let Some(last) = lifecycle.last() {
        write_ledger(&mut out, engine.ledger(), last.due.date())?;
    }
    if json {
        // One object per document, with what customs answered it (receipts by the GUID they
        // answer, gathered once).
        let mut answering: std::collections::HashMap<String, Vec<&Outgoing>> =
            std::collections::HashMap::new();
        for o in &lifecycle {
            answering.entry(o.answers()).or_default().push(o);
        }
        for (name, _, report) in &checked {
            for doc in &report.documents {
                let customs = (!doc.guid.is_empty())
                    .then(|| answering.get(&doc.guid))
                    .flatten()
                    .map_or(&[][..], Vec::as_slice);
                writeln!(out, "{}", json_line(name, doc, customs))?;
            }
        }
    } else {
        writeln!(
            out,
            "{} error(s), {} warning(s) in {} document(s): {} accepted, {} rejected; customs sent {} receipt(s), {} refusal(s)",
            totals.errors,
            totals.warnings,
            totals.documents,
            totals.accepted,
            totals.rejected,
            totals.customs_receipts,
            totals.customs_refusals
        )?;
    }
    Ok(if totals.rejected + totals.customs_refusals > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Default)]
struct Totals {
    documents: usize,
    accepted: usize,
    rejected: usize,
    errors: usize,
    warnings: usize,
    customs_receipts: usize,
    customs_refusals: usize,
}

impl Totals {
    fn add(&mut self, doc: &DocumentReport) {
        self.documents += 1;
        if doc.accepted {
            self.accepted += 1;
        } else {
            self.rejected += 1;
        }
        let errors = doc.diagnostics.iter().filter(|d| d.is_error()).count();
        self.errors += errors;
        self.warnings += doc.diagnostics.len() - errors;
    }
}

/// Every file named, and every *.xml under every folder named, in a stable order.
fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        {
            found.push(path);
        }
    }
    Ok(())
}

fn json_line(file: &str, doc: &DocumentReport, customs: &[&Outgoing]) -> String {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("file".into(), file.into());
        let receipts: Vec<serde_json::Value> = customs
            .iter()
            .map(|o| {
                serde_json::json!({
                    "time": o.due.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
                    "receipt": o.root,
                    "returnStatus": o.status,
                    "returnInfo": o.info(),
                })
            })
            .collect();
        obj.insert("customs".into(), receipts.into());
    }
    value.to_string()
}

fn write_human(
    out: &mut impl std::io::Write,
    file: &str,
    doc: &DocumentReport,
) -> std::io::Result<()> {
    let verdict = if doc.accepted { "accepted" } else { "rejected" };
    let status = if doc.return_status.is_empty() {
        String::new()
    } else {
        format!(" (returnStatus {})", doc.return_status)
    };
    writeln!(
        out,
        "{file}  {}  {}  {verdict}{status}",
        doc.message, doc.key
    )?;
    for d in &doc.diagnostics {
        writeln!(
            out,
            "  {} {}  {}  at {}:{}",
            d.severity.as_str(),
            d.code,
            d.path,
            d.line,
            d.column
        )?;
        writeln!(
            out,
            "    found    {}",
            if d.found.is_empty() {
                "(nothing)"
            } else {
                &d.found
            }
        )?;
        writeln!(out, "    expected {}", d.expected)?;
        writeln!(out, "    {}", d.zh)?;
        writeln!(out, "    {}", d.en)?;
        writeln!(out, "    source   {}", d.source)?;
    }
    Ok(())
}

fn write_receipt(dir: &Path, file: &Path, receipt: &Receipt) -> anyhow::Result<()> {
    let stem = file
        .file_stem()
        .map_or_else(|| "message".into(), |s| s.to_string_lossy());
    let path = dir.join(format!("{stem}.{}.xml", receipt.root));
    std::fs::write(&path, &receipt.xml).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// What became of the released lists after release: the summary declarations made, the lists
/// still awaiting one (and those past their deadline on `today`), and the returns.
fn write_ledger(out: &mut impl Write, ledger: &Ledger, today: NaiveDate) -> anyhow::Result<()> {
    for s in ledger.summaries() {
        writeln!(
            out,
            "summary {} → declaration {} (报关单 {}): {} list(s)",
            s.sum_no,
            s.decl_seq_no,
            s.entry_id,
            s.lists.len()
        )?;
        for warning in &s.warnings {
            writeln!(out, "  warning  {warning}")?;
        }
    }
    let awaiting: Vec<_> = ledger
        .rows()
        .filter(|r| r.status().is_exported() && summary::not_summarisable(r).is_none())
        .collect();
    if !awaiting.is_empty() {
        let overdue = summary::overdue(awaiting.iter().copied(), today);
        writeln!(
            out,
            "{} released list(s) await a summary declaration; on {today}, {} past the deadline (15th of the next month){}",
            awaiting.len(),
            overdue.len(),
            overdue
                .iter()
                .filter_map(|r| r.invt_no())
                .map(|n| format!(" {n}"))
                .collect::<String>()
        )?;
    }
    for r in ledger.returns() {
        let list = ledger.row(r.list);
        let lines: Vec<String> = r
            .lines
            .iter()
            .map(|(gnum, back)| format!("item {gnum} qty {}", back.qty))
            .collect();
        writeln!(
            out,
            "return {} of list {}: {}; {}",
            r.guid,
            list.and_then(|l| l.invt_no()).unwrap_or_default(),
            lines.join(", "),
            r.tallied_at
                .map_or("not yet tallied".to_string(), |t| format!("tallied {t}"))
        )?;
    }
    Ok(())
}
