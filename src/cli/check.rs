//! `single-window check`: read files, run the pure check, print findings, write receipts.

use super::in_order::for_each_in_order;
use anyhow::Context as _;
use chrono::{NaiveDate, NaiveDateTime};
use indicatif::{ProgressBar, ProgressStyle};
use single_window::check::{
    DocumentReport, MessageReport, Playback, Receipt, ReceivedMessage, accepted_documents,
    business_time, check_and_decode_on_business_time, decode_only, note_related,
};
use single_window::engine::ledger::Ledger;
use single_window::engine::{EngineConfig, Outgoing, SingleWindow, summary};
use single_window::model::registry::Registry;
use single_window::rules::{Context, Params, Related};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Files read ahead of the one being printed: enough to keep every core busy.
const WINDOW: usize = 256;
/// How long customs goes on after the last message.
const SETTLE_DAYS: i64 = 7;

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
        None => {
            // Traffic from `load` carries the registry it was made for beside it.
            for path in paths.iter().map(|p| p.join("registry.toml")) {
                if path.is_file() {
                    eprintln!(
                        "note: {} is beside these messages; `--registry {}` checks against it (now: the shipped registry)",
                        path.display(),
                        path.display()
                    );
                }
            }
            Registry::shipped()
        }
    };
    let params = Params::default();
    let bar = progress(files.len());
    let related = link(&files, registry, &params, &bar)?;
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
    let mut customs = Customs::new(json, receipts);
    // Documents as JSON lines, printed once customs' answers are known.
    let mut json_lines: Vec<(String, String)> = Vec::new();
    // The files with a business time, in case they must be played again in its order.
    let mut timed: Vec<(NaiveDateTime, usize, Vec<bool>)> = Vec::new();
    let mut engine = SingleWindow::new(EngineConfig::default(), params.clone());
    let mut playback = Some(Playback::new(&mut engine));
    bar.set_message("checking");
    bar.set_position(0);
    let indexed: Vec<(usize, &PathBuf)> = files.iter().enumerate().collect();
    for_each_in_order(
        &indexed,
        WINDOW,
        |&(i, file)| -> anyhow::Result<(usize, MessageReport, Option<ReceivedMessage>)> {
            let bytes = read(file)?;
            // Virtual time: the e-port answers each message when it was made, as customs
            // plays it.
            let (report, message) = check_and_decode_on_business_time(&bytes, now, &ctx);
            Ok((i, report, message))
        },
        |checked| -> anyhow::Result<()> {
            let (i, report, message) = checked?;
            let file = &files[i];
            let name = file.display().to_string();
            for doc in &report.documents {
                totals.add(doc);
                if json {
                    // Only what the e-port accepted reaches customs: a refused document
                    // sharing a GUID with an accepted one was never answered by customs.
                    let guid = if doc.accepted {
                        doc.guid.clone()
                    } else {
                        String::new()
                    };
                    json_lines.push((guid, json_document(&name, doc)));
                } else {
                    write_human(&mut out, &name, doc)?;
                }
            }
            if let (Some(dir), Some(receipt)) = (receipts, &report.receipt) {
                write_receipt(dir, file, receipt)?;
            }
            if let Some(message) = &message
                && let Some(time) = business_time(message.message())
            {
                let accepted = accepted_documents(&report);
                // Files in business-time order are played as they are checked; others are
                // played again, sorted, once all are checked.
                if let Some(p) = &mut playback {
                    match p.play(message.message(), &accepted) {
                        Some(sent) => customs.take(&sent)?,
                        None => {
                            playback = None;
                            customs.forget()?;
                        }
                    }
                }
                timed.push((time, i, accepted));
            }
            bar.inc(1);
            Ok(())
        },
    )?;
    let settle = chrono::Duration::days(SETTLE_DAYS);
    let mut replayed;
    let engine = match playback {
        Some(p) => {
            customs.take(&p.finish(settle))?;
            &engine
        }
        None => {
            replayed = SingleWindow::new(EngineConfig::default(), params.clone());
            let playback = play_sorted(&files, timed, &params, &mut replayed, &mut customs, &bar)?;
            customs.take(&playback.finish(settle))?;
            &replayed
        }
    };
    bar.finish_and_clear();
    totals.customs_receipts = customs.count;
    totals.customs_refusals = customs.refusals;
    if json {
        for (guid, line) in &json_lines {
            writeln!(out, "{}", customs.attach(guid, line))?;
        }
    } else {
        if customs.count > 0 {
            writeln!(out, "customs, on the documents' business time:")?;
            out.write_all(customs.lines.as_bytes())?;
        }
        let open = engine.engine().open_lists();
        if !open.is_empty() {
            writeln!(
                out,
                "still with customs when the run ends (a week after the last message):"
            )?;
            for (key, a) in &open {
                writeln!(out, "  {key}  {} / {}", a.zh, a.en)?;
            }
        }
        if let Some(last) = customs.last_due {
            write_ledger(&mut out, engine.ledger(), last.date())?;
        }
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

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

/// A bar on the terminal for runs long enough to want one (indicatif draws nothing when
/// standard error is not a terminal).
fn progress(files: usize) -> ProgressBar {
    if files < 2_000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} files (eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

/// First pass: the orders, payment receipts and waybills among the inputs that pass their own
/// checks, for the rules linking documents.
fn link(
    files: &[PathBuf],
    registry: &Registry,
    params: &Params,
    bar: &ProgressBar,
) -> anyhow::Result<Related> {
    let alone = Context {
        registry,
        params,
        related: None,
    };
    bar.set_message("linking");
    let mut related = Related::default();
    for_each_in_order(
        files,
        WINDOW,
        |file| -> anyhow::Result<Related> {
            let mut noted = Related::default();
            note_related(&read(file)?, &alone, &mut noted);
            Ok(noted)
        },
        |noted| -> anyhow::Result<()> {
            related.absorb(noted?);
            bar.inc(1);
            Ok(())
        },
    )?;
    Ok(related)
}

/// Plays the files that came out of business-time order through `engine`, sorted by it
/// (ties keep the input order).
fn play_sorted<'e>(
    files: &[PathBuf],
    mut timed: Vec<(NaiveDateTime, usize, Vec<bool>)>,
    params: &Params,
    engine: &'e mut SingleWindow,
    customs: &mut Customs,
    bar: &ProgressBar,
) -> anyhow::Result<Playback<'e>> {
    timed.sort_by_key(|&(time, i, _)| (time, i));
    bar.set_message("customs");
    bar.set_position(0);
    bar.set_length(timed.len() as u64);
    let mut playback = Playback::new(engine);
    for_each_in_order(
        &timed,
        WINDOW,
        |(_, i, accepted)| -> anyhow::Result<(Option<ReceivedMessage>, Vec<bool>)> {
            Ok((
                decode_only(&read(&files[*i])?, &params.limits),
                accepted.clone(),
            ))
        },
        |decoded| -> anyhow::Result<()> {
            let (message, accepted) = decoded?;
            if let Some(sent) = message.and_then(|m| playback.play(m.message(), &accepted)) {
                customs.take(&sent)?;
            }
            bar.inc(1);
            Ok(())
        },
    )?;
    Ok(playback)
}

/// What customs sent, kept as it will be printed: lines for the terminal, or what each
/// document's JSON object says of it; the receipts themselves written at once.
struct Customs<'d> {
    json: bool,
    dir: Option<&'d Path>,
    count: usize,
    refusals: usize,
    last_due: Option<NaiveDateTime>,
    lines: String,
    by_document: HashMap<String, Vec<serde_json::Value>>,
    written: Vec<PathBuf>,
}

impl<'d> Customs<'d> {
    fn new(json: bool, dir: Option<&'d Path>) -> Self {
        Customs {
            json,
            dir,
            count: 0,
            refusals: 0,
            last_due: None,
            lines: String::new(),
            by_document: HashMap::new(),
            written: Vec::new(),
        }
    }

    fn take(&mut self, sent: &[Outgoing]) -> anyhow::Result<()> {
        for receipt in sent {
            self.count += 1;
            self.refusals +=
                usize::from(receipt.status == "100" || receipt.status.starts_with('-'));
            self.last_due = Some(receipt.due);
            let answers = receipt.answers();
            let (info, english) = (
                receipt.info_answering(&answers),
                receipt.english_answering(&answers),
            );
            if self.json {
                let said = serde_json::json!({
                    "time": receipt.due.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
                    "receipt": receipt.root,
                    "returnStatus": receipt.status,
                    "returnInfo": info,
                    "en": english,
                });
                self.by_document.entry(answers).or_default().push(said);
            } else {
                // The English under the Chinese, without the GUID said once already.
                let tag = format!("[{answers}]");
                let _ = writeln!(
                    self.lines,
                    "  {}  {}  {}  {}  {info}\n      {}",
                    receipt.due.format("%Y-%m-%d %H:%M:%S"),
                    receipt.root,
                    receipt.key(),
                    receipt.status,
                    english.strip_suffix(tag.as_str()).unwrap_or(&english)
                );
            }
            if let Some(dir) = self.dir {
                let path = dir.join(format!(
                    "customs-{:04}.{}.{}.xml",
                    self.count, receipt.root, receipt.status
                ));
                std::fs::write(&path, receipt.xml())
                    .with_context(|| format!("writing {}", path.display()))?;
                self.written.push(path);
            }
        }
        Ok(())
    }

    /// Drops what was taken so far (the files came out of order and will be played again).
    fn forget(&mut self) -> anyhow::Result<()> {
        for path in self.written.drain(..) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
        *self = Customs::new(self.json, self.dir);
        Ok(())
    }

    /// A document's JSON object (`{...}`) with `customs`: the receipts it was sent.
    fn attach(&self, guid: &str, object: &str) -> String {
        let sent = (!guid.is_empty())
            .then(|| self.by_document.get(guid))
            .flatten()
            .map_or(&[][..], Vec::as_slice);
        let customs = serde_json::Value::from(sent.to_vec());
        match object.strip_suffix('}') {
            Some(open) => format!("{open},\"customs\":{customs}}}"),
            None => object.to_string(),
        }
    }
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
        let entry = entry?;
        let path = entry.path();
        // The entry's own type needs no system call; only a link is followed to see.
        let kind = entry.file_type()?;
        if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
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

/// A document's JSON object, without what customs did with it (`Customs::attach` adds it).
fn json_document(file: &str, doc: &DocumentReport) -> String {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("file".into(), file.into());
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
            writeln!(out, "  warning  {}\n           {}", warning.zh, warning.en)?;
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
