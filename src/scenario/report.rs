//! The outputs of a replay: receipts (`receipts.tsv` or `receipts/*.xml`), `ledger.csv`
//! (one row per declared line), `treatments.csv` (one row per line of the period: its
//! treatment, amounts and reasons), `summary.json` and `summary.csv` (figures per enterprise
//! and year) and the analyst's report (`report.md` or a self-contained `report.html`).
//! Nothing in them depends on the clock or on hash order, so a replay writes the same bytes.

use super::{ReceiptOutput, ReportFormat, Scenario, ScenarioError, file_error};
use crate::engine::Outgoing;
use crate::engine::ledger::{Ledger, Row, Status};
use crate::model::said::Said;
use crate::tax::annual::Year;
use crate::tax::cit::pct;
use crate::tax::exports::Treated;
use crate::tax::inputs::Assumptions;
use crate::tax::vat::{Regime, ReturnAdjustment};
use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Files being written during a replay.
pub struct Writers {
    dir: PathBuf,
    receipts: ReceiptOutput,
    log: Option<BufWriter<File>>,
    written: u64,
}

impl Writers {
    /// Creates the output folder (and the receipt log or folder).
    pub fn create(dir: &Path, receipts: ReceiptOutput) -> Result<Writers, ScenarioError> {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        let log = match receipts {
            ReceiptOutput::Log => {
                let path = dir.join("receipts.tsv");
                let mut w = BufWriter::new(File::create(&path).map_err(|e| file_error(&path, e))?);
                writeln!(w, "time\tmessage\tkey\treturnStatus\treturnInfo")
                    .map_err(|e| file_error(&path, e))?;
                Some(w)
            }
            ReceiptOutput::Xml => {
                let path = dir.join("receipts");
                std::fs::create_dir_all(&path).map_err(|e| file_error(&path, e))?;
                None
            }
            ReceiptOutput::None => None,
        };
        Ok(Writers {
            dir: dir.to_path_buf(),
            receipts,
            log,
            written: 0,
        })
    }

    /// Writes one receipt the engine sent.
    pub fn receipt(&mut self, o: &Outgoing) -> Result<(), ScenarioError> {
        self.written += 1;
        match (&mut self.log, self.receipts) {
            (Some(w), _) => {
                fn one_field(text: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
                    if text.contains(['\t', '\n']) {
                        text.replace(['\t', '\n'], " ").into()
                    } else {
                        text
                    }
                }
                let (info, en) = (one_field(o.info()), one_field(o.english()));
                let t = o.due;
                writeln!(
                    w,
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}\t{}\t{}\t{}\t{info}\t{en}",
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    o.root,
                    o.key(),
                    o.status,
                )
                .map_err(|e| file_error(&self.dir.join("receipts.tsv"), e))
            }
            (None, ReceiptOutput::Xml) => {
                let path = self
                    .dir
                    .join("receipts")
                    .join(format!("{:07}.{}.{}.xml", self.written, o.root, o.status));
                std::fs::write(&path, o.xml()).map_err(|e| file_error(&path, e))
            }
            _ => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<(), ScenarioError> {
        if let Some(w) = &mut self.log {
            w.flush()
                .map_err(|e| file_error(&self.dir.join("receipts.tsv"), e))?;
        }
        Ok(())
    }
}

/// A CSV file being written.
struct Csv {
    path: PathBuf,
    w: BufWriter<File>,
    /// The row being written (kept to save an allocation per row).
    line: String,
}

impl Csv {
    fn create(path: PathBuf, header: &[&str]) -> Result<Csv, ScenarioError> {
        let w = BufWriter::new(File::create(&path).map_err(|e| file_error(&path, e))?);
        let mut csv = Csv {
            path,
            w,
            line: String::new(),
        };
        csv.row(header.iter().copied())?;
        Ok(csv)
    }

    fn row<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> Result<(), ScenarioError> {
        self.line.clear();
        csv_line(&mut self.line, fields);
        self.w
            .write_all(self.line.as_bytes())
            .map_err(|e| file_error(&self.path, e))
    }

    fn finish(mut self) -> Result<(), ScenarioError> {
        self.w.flush().map_err(|e| file_error(&self.path, e))
    }
}

/// Appends one CSV line (fields quoted where they must be, then a newline) to `line`.
pub fn csv_line<'a>(line: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(f);
        }
    }
    line.push('\n');
}

/// `YYYY-MM-DD hh:mm:ss` (written millions of times: no format-string parsing).
fn stamp(t: NaiveDateTime) -> String {
    let d = crate::model::time::format14(t);
    let part = |r: std::ops::Range<usize>| d.get(r).unwrap_or_default();
    format!(
        "{}-{}-{} {}:{}:{}",
        part(0..4),
        part(4..6),
        part(6..8),
        part(8..10),
        part(10..12),
        part(12..14)
    )
}

fn time(t: Option<NaiveDateTime>) -> String {
    t.map(stamp).unwrap_or_default()
}

/// An amount with two decimals.
fn amt(d: Decimal) -> String {
    format!("{:.2}", d)
}

/// An amount with two decimals and thousands separators, for people.
pub fn grouped(d: Decimal) -> String {
    let s = amt(d);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{frac}")
}

const LEDGER_HEADER: &[&str] = &[
    "guid",
    "invtNo",
    "status",
    "ebcCode",
    "ebpCode",
    "ownerCode",
    "orderNo",
    "logisticsCode",
    "logisticsNo",
    "tradeMode",
    "customsCode",
    "portCode",
    "country",
    "statisticsFlag",
    "appTime",
    "ieDate",
    "acceptedAt",
    "storedAt",
    "releasedAt",
    "closedAt",
    "endedAt",
    "gnum",
    "gcode",
    "itemName",
    "qty",
    "unit",
    "price",
    "totalPrice",
    "currency",
    "destination",
];

fn write_ledger(path: PathBuf, ledger: &Ledger) -> Result<(), ScenarioError> {
    let mut csv = Csv::create(path, LEDGER_HEADER)?;
    for row in ledger.rows() {
        let head = [
            row.guid().to_string(),
            row.invt_no().unwrap_or_default().to_string(),
            row.status().name().to_string(),
            row.ebc_code().to_string(),
            row.ebp_code().to_string(),
            row.owner_code().to_string(),
            row.order_no().to_string(),
            row.logistics_code().to_string(),
            row.logistics_no().to_string(),
            row.trade_mode().to_string(),
            row.customs_code().to_string(),
            row.port_code().to_string(),
            row.country().to_string(),
            row.statistics_flag().to_string(),
            time(row.app_time()),
            row.ie_date().map(|d| d.to_string()).unwrap_or_default(),
            time(Some(row.accepted_at())),
            time(row.stored_at()),
            time(row.released_at()),
            time(row.closed_at()),
            time(row.ended_at()),
        ];
        for line in row.lines() {
            let fields = [
                line.gnum().to_string(),
                line.gcode().to_string(),
                line.item_name().to_string(),
                line.qty().normalize().to_string(),
                line.unit().to_string(),
                line.price().normalize().to_string(),
                line.total_price().normalize().to_string(),
                line.currency().to_string(),
                line.country().to_string(),
            ];
            csv.row(head.iter().chain(fields.iter()).map(String::as_str))?;
        }
    }
    csv.finish()
}

/// The columns of `treatments.csv` (and of the server's `/tax/declarations?format=csv`).
pub const TREATMENT_HEADER: &[&str] = &[
    "guid",
    "invtNo",
    "ebcCode",
    "orderNo",
    "tradeMode",
    "statisticsFlag",
    "customsCode",
    "exportDate",
    "status",
    "gnum",
    "gcode",
    "itemName",
    "fobCny",
    "vatRate",
    "refundRate",
    "consumptionRate",
    "purchaseInvoice",
    "purchaseAmount",
    "proceedsReceived",
    "regime",
    "regimeZh",
    "basis",
    "vatRefund",
    "ctRefund",
    "outputVat",
    "consumptionTax",
    "reconciliation",
    "reconciledOn",
    "reconciliationDeadline",
    "adjustment",
    "provisional",
    "why",
    "computation",
    "returnedQty",
    "returnedOn",
    "returnedFobCny",
    "returnRefundRepaid",
    "returnTaxReversed",
];

/// The `TREATMENT_HEADER` fields of a treated line; `why` names its reasons.
pub fn treatment_fields<'a>(t: &Treated<'_, 'a>, why: &'a str) -> Vec<Cow<'a, str>> {
    let (row, line, i, tr) = (t.row, t.line, t.inputs, t.treatment);
    let returned = |f: fn(&ReturnAdjustment) -> Decimal| -> Cow<'a, str> {
        if tr.returns.is_empty() {
            Cow::Borrowed("")
        } else {
            amt(tr.returns.iter().map(f).sum()).into()
        }
    };
    let returned_qty = if tr.returns.is_empty() {
        Cow::Borrowed("")
    } else {
        let qty: Decimal = tr.returns.iter().map(|r| r.qty).sum();
        qty.normalize().to_string().into()
    };
    let returned_on: Vec<String> = tr.returns.iter().map(|r| r.on.to_string()).collect();
    let r = tr.reconciliation.as_ref();
    let yes_no = |b: bool| Cow::Borrowed(if b { "true" } else { "false" });
    vec![
        row.guid().into(),
        row.invt_no().unwrap_or_default().into(),
        row.ebc_code().into(),
        row.order_no().into(),
        row.trade_mode().into(),
        row.statistics_flag().into(),
        row.customs_code().into(),
        row.export_date().to_string().into(),
        row.status().name().into(),
        line.gnum().to_string().into(),
        line.gcode().into(),
        line.item_name().into(),
        amt(tr.fob_cny).into(),
        tr.vat_rate.normalize().to_string().into(),
        tr.refund_rate.normalize().to_string().into(),
        tr.consumption_rate.normalize().to_string().into(),
        yes_no(i.purchase_invoice),
        amt(i.purchase_amount).into(),
        yes_no(i.proceeds_received),
        tr.regime.code().into(),
        tr.regime.zh().into(),
        tr.basis.into(),
        amt(tr.vat_refund).into(),
        amt(tr.ct_refund).into(),
        amt(tr.output_vat).into(),
        amt(tr.consumption_tax).into(),
        r.map_or(Cow::Borrowed(""), |r| r.outcome.code().into()),
        r.map_or(Cow::Borrowed(""), |r| r.booked_on.to_string().into()),
        r.map_or(Cow::Borrowed(""), |r| r.deadline.to_string().into()),
        r.map_or(Cow::Borrowed(""), |r| amt(r.adjustment).into()),
        yes_no(tr.provisional),
        why.into(),
        tr.computation.join(" | ").into(),
        returned_qty,
        returned_on.join(" ").into(),
        returned(|r| r.fob_cny),
        returned(|r| r.refund_repaid),
        returned(|r| r.tax_reversed),
    ]
}

/// Why a declaration that was not exported has no tax treatment.
pub fn not_exported_why(row: &Row<'_>) -> Said {
    match row.status() {
        Status::Rejected => Said::fixed("海关退单：未出口", "rejected by customs: not exported"),
        Status::Cancelled => Said::fixed("已撤销（605）：未出口", "cancelled (605): not exported"),
        Status::Deleted => Said::fixed(
            "申报人已删除：未出口",
            "deleted by the sender: not exported",
        ),
        _ => Said::fixed("（尚）未放行", "not released (yet)"),
    }
}

/// Rows for the period's declarations that were not exported: no tax treatment, and why.
pub fn not_exported_fields(row: &Row<'_>) -> Vec<String> {
    let why = not_exported_why(row);
    let mut f = vec![String::new(); TREATMENT_HEADER.len()];
    f[0] = row.guid().into();
    f[1] = row.invt_no().unwrap_or_default().into();
    f[2] = row.ebc_code().into();
    f[3] = row.order_no().into();
    f[4] = row.trade_mode().into();
    f[5] = row.statistics_flag().into();
    f[6] = row.customs_code().into();
    f[7] = row.export_date().to_string();
    f[8] = row.status().name().into();
    f[19] = "not-exported".into();
    f[20] = "未出口".into();
    f[32] = why.en.into_owned();
    f
}

/// Writes ledger, treatments, summaries and the report; returns the year figures.
pub fn write_all(
    scenario: &Scenario,
    ledger: &Ledger,
    writers: &mut Writers,
) -> Result<Vec<Year>, ScenarioError> {
    writers.finish()?;
    let dir = writers.dir.clone();
    if !scenario.spec.report.tables {
        let years = scenario.book.assess(
            ledger,
            scenario.spec.period.from,
            scenario.spec.period.to,
            |_| {},
        );
        return write_summaries(scenario, ledger, &dir, years, &Reasons::default());
    }
    // The ledger is written on a second thread while the lines are treated.
    std::thread::scope(|scope| {
        let ledger_file = scope.spawn(|| write_ledger(dir.join("ledger.csv"), ledger));
        let treated = write_treatments(scenario, ledger, &dir);
        let written = ledger_file
            .join()
            .unwrap_or_else(|_| Err(ScenarioError::Invalid("writing ledger.csv failed".into())));
        let (years, why) = treated?;
        written?;
        write_summaries(scenario, ledger, &dir, years, &why)
    })
}

/// treatments.csv and reasons.csv; the year figures and the reason sets.
fn write_treatments(
    scenario: &Scenario,
    ledger: &Ledger,
    dir: &Path,
) -> Result<(Vec<Year>, Reasons), ScenarioError> {
    let mut csv = Csv::create(dir.join("treatments.csv"), TREATMENT_HEADER)?;
    let mut failed = None;
    // Each distinct set of reasons once, numbered in order of first use (W1, W2 …):
    // treatments.csv names it, reasons.csv and the report spell it out.
    let mut why = Reasons::default();
    let (from, to) = (scenario.spec.period.from, scenario.spec.period.to);
    let years = scenario.book.assess(ledger, from, to, |t| {
        if failed.is_none() {
            let id = why.id(t.treatment.regime, &t.treatment.reasons);
            let fields = treatment_fields(&t, id);
            if let Err(e) = csv.row(fields.iter().map(|f| f.as_ref())) {
                failed = Some(e);
            }
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    for row in ledger.rows() {
        let day = row.export_date();
        if !row.status().is_exported() && day >= from && day <= to {
            let f = not_exported_fields(&row);
            csv.row(f.iter().map(String::as_str))?;
        }
    }
    csv.finish()?;
    let mut reasons = Csv::create(
        dir.join("reasons.csv"),
        &["why", "regime", "lines", "reasons", "reasons_zh"],
    )?;
    for (id, regime, lines, text) in &why.list {
        reasons.row([
            id.as_str(),
            regime.code(),
            &lines.to_string(),
            text.en.as_ref(),
            text.zh.as_ref(),
        ])?;
    }
    reasons.finish()?;
    Ok((years, why))
}

/// summary.json, summary.csv and the report.
fn write_summaries(
    scenario: &Scenario,
    ledger: &Ledger,
    dir: &Path,
    years: Vec<Year>,
    why: &Reasons,
) -> Result<Vec<Year>, ScenarioError> {
    let json = serde_json::to_string_pretty(&years)
        .map_err(|e| file_error(&dir.join("summary.json"), e))?;
    let path = dir.join("summary.json");
    std::fs::write(&path, json + "\n").map_err(|e| file_error(&path, e))?;
    write_summary_csv(dir.join("summary.csv"), &years)?;
    let ids: WhyIds = why
        .list
        .iter()
        .map(|(id, r, _, text)| {
            let key = format!("{}: {}", r.code(), text.en);
            (key, (id.clone(), text.zh.to_string()))
        })
        .collect();
    let blocks = report_blocks(scenario, ledger, &years, &ids);
    let (name, text) = match scenario.spec.report.format {
        ReportFormat::Markdown => ("report.md", markdown(&blocks)),
        ReportFormat::Html => ("report.html", html(&scenario.spec.name, &blocks)),
    };
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| file_error(&path, e))?;
    Ok(years)
}

/// Distinct reason sets, numbered in order of first use.
#[derive(Default)]
struct Reasons {
    /// Hash of a set → its positions in `list`.
    by_hash: std::collections::HashMap<u64, Vec<usize>>,
    sets: Vec<(Regime, Vec<Said>)>,
    /// (id, regime, lines, text).
    list: Vec<(String, Regime, u64, Said)>,
}

impl Reasons {
    fn id(&mut self, regime: Regime, reasons: &[Said]) -> &str {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (regime, reasons).hash(&mut h);
        let candidates = self.by_hash.entry(h.finish()).or_default();
        let n = match candidates
            .iter()
            .find(|&&i| self.sets[i].0 == regime && self.sets[i].1 == reasons)
        {
            Some(&n) => n,
            None => {
                let n = self.list.len();
                candidates.push(n);
                self.sets.push((regime, reasons.to_vec()));
                let join = |text: fn(&Said) -> &str| {
                    reasons.iter().map(text).collect::<Vec<_>>().join(" | ")
                };
                let text = Said::new(join(|r| &r.zh), join(|r| &r.en));
                self.list.push((format!("W{}", n + 1), regime, 0, text));
                n
            }
        };
        let entry = &mut self.list[n];
        entry.2 += 1;
        &entry.0
    }
}

/// The headline figures of a year by name (the names `[[expect]]` and `--what-if` use).
pub fn metrics(y: &Year) -> Vec<(&'static str, String)> {
    let lines = |r: Regime| y.by_regime.get(&r).map_or(0, |t| t.lines).to_string();
    let cit = y.cit.as_ref();
    let fx = y.fx.as_ref();
    let opt = |d: Option<Decimal>| d.map(amt).unwrap_or_else(|| "n/a".into());
    vec![
        ("declarations", y.declarations.to_string()),
        ("lines", y.lines.to_string()),
        ("export_revenue_cny", amt(y.export_revenue)),
        ("lines_refund", lines(Regime::Refund)),
        ("lines_pre_refund", lines(Regime::PreRefund)),
        ("lines_exempt", lines(Regime::Exempt)),
        ("lines_exempt_no_invoice", lines(Regime::ExemptNoInvoice)),
        ("lines_taxed", lines(Regime::Taxed)),
        ("lines_unassessed", lines(Regime::Unassessed)),
        ("lines_provisional", y.provisional_lines.to_string()),
        ("vat_refund", amt(y.vat_refund)),
        ("ct_refund", amt(y.ct_refund)),
        ("pre_refund", amt(y.pre_refund)),
        (
            "reconciliation_adjustment",
            amt(y.reconciliation_adjustment),
        ),
        ("output_vat", amt(y.output_vat)),
        ("consumption_tax", amt(y.consumption_tax)),
        ("returns", y.returns.to_string()),
        ("returned_fob_cny", amt(y.returned_fob_cny)),
        ("return_refund_repaid", amt(y.return_refund_repaid)),
        ("return_tax_reversed", amt(y.return_tax_reversed)),
        ("net_vat_position", amt(y.net_vat_position)),
        (
            "cit_method",
            cit.map_or("n/a".into(), |c| format!("{:?}", c.method).to_lowercase()),
        ),
        (
            "cit_total_income",
            cit.map_or("n/a".into(), |c| amt(c.total_income)),
        ),
        (
            "cit_taxable_income",
            opt(cit.and_then(|c| c.taxable_income)),
        ),
        ("cit_tax", opt(cit.and_then(|c| c.tax))),
        (
            "cit_small_profit",
            cit.map_or("n/a".into(), |c| c.small_profit.to_string()),
        ),
        ("fx_receipts_usd", amt(y.fx_receipts_usd)),
        (
            "fx_standing",
            fx.map_or("n/a".into(), |f| f.standing.name().to_string()),
        ),
        (
            "fx_register_by",
            fx.and_then(|f| f.register_by)
                .map_or(String::new(), |d| d.to_string()),
        ),
    ]
}

fn write_summary_csv(path: PathBuf, years: &[Year]) -> Result<(), ScenarioError> {
    let names: Vec<&str> = years
        .first()
        .map(|y| metrics(y).iter().map(|(n, _)| *n).collect())
        .unwrap_or_else(|| metrics(&Year::default()).iter().map(|(n, _)| *n).collect());
    let header: Vec<&str> = ["enterprise", "year"].into_iter().chain(names).collect();
    let mut csv = Csv::create(path, &header)?;
    for y in years {
        let values: Vec<String> = [y.enterprise.clone(), y.year.to_string()]
            .into_iter()
            .chain(metrics(y).into_iter().map(|(_, v)| v))
            .collect();
        csv.row(values.iter().map(String::as_str))?;
    }
    csv.finish()
}

/// A piece of a report, rendered to Markdown or HTML.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(u8, String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table(header.iter().map(|s| s.to_string()).collect(), rows)
}

/// Checks the scenario's `[[expect]]` figures: (expectation text, got, met).
pub fn check_expectations(scenario: &Scenario, years: &[Year]) -> Vec<(String, String, bool)> {
    scenario
        .spec
        .expect
        .iter()
        .map(|e| {
            let got = years
                .iter()
                .find(|y| y.enterprise == e.enterprise && y.year == e.year)
                .and_then(|y| {
                    metrics(y)
                        .into_iter()
                        .find(|(n, _)| *n == e.metric)
                        .map(|(_, v)| v)
                })
                .unwrap_or_else(|| "(no such figure)".into());
            let met = got == e.value;
            (
                format!("{} {} {} = {}", e.enterprise, e.year, e.metric, e.value),
                got,
                met,
            )
        })
        .collect()
}

fn report_blocks(
    scenario: &Scenario,
    ledger: &Ledger,
    years: &[Year],
    why_ids: &WhyIds,
) -> Vec<Block> {
    let spec = &scenario.spec;
    let mut b = vec![Block::Heading(1, format!("Replay: {}", spec.name))];
    if !spec.description.trim().is_empty() {
        b.push(Block::Para(spec.description.trim().to_string()));
    }
    let mut facts = vec![
        format!(
            "Period: {} to {} (export dates).",
            spec.period.from, spec.period.to
        ),
        format!("Seed: {}.", spec.seed),
        format!(
            "Traffic: {} generated parcels in {} stream(s), {} message file path(s).",
            spec.traffic.iter().map(|s| s.parcels).sum::<u64>(),
            spec.traffic.len(),
            spec.messages.len()
        ),
    ];
    if !scenario.changes.is_empty() {
        facts.push(format!(
            "What-if changes: `{}`.",
            scenario.changes.join("`, `")
        ));
    }
    b.push(Block::List(facts));

    b.push(Block::Heading(2, "Customs".into()));
    b.push(Block::Para(
        "Every list went through the simulated customs (三单比对, 120 → 399 → 800 → 899); only released or closed lists count as exports.".into(),
    ));
    b.push(table(
        &["status", "declarations"],
        ledger
            .count_by_status()
            .into_iter()
            .map(|(s, n)| vec![s.name().to_string(), n.to_string()])
            .collect(),
    ));

    b.push(Block::Heading(
        2,
        "Headline figures (CNY unless noted)".into(),
    ));
    b.push(table(
        &[
            "enterprise",
            "year",
            "lines",
            "exports FOB",
            "VAT refund",
            "output VAT + CT",
            "9810 adjustment",
            "CIT method",
            "CIT",
            "FX receipts USD",
            "FX",
        ],
        years
            .iter()
            .map(|y| {
                vec![
                    y.enterprise.clone(),
                    y.year.to_string(),
                    y.lines.to_string(),
                    grouped(y.export_revenue),
                    grouped(y.vat_refund + y.ct_refund),
                    grouped(y.output_vat + y.consumption_tax),
                    grouped(y.reconciliation_adjustment),
                    y.cit.as_ref().map_or("no profile".into(), |c| {
                        format!("{:?}", c.method).to_lowercase()
                    }),
                    y.cit
                        .as_ref()
                        .and_then(|c| c.tax)
                        .map_or("not computed".into(), grouped),
                    grouped(y.fx_receipts_usd),
                    y.fx.as_ref()
                        .map_or(String::new(), |f| f.standing.name().into()),
                ]
            })
            .collect(),
    ));

    let checks = check_expectations(scenario, years);
    if !checks.is_empty() {
        b.push(Block::Heading(2, "Expected figures".into()));
        b.push(Block::Para(
            "✓ the figure is what the scenario's `[[expect]]` says, ✗ it is not. In a what-if \
             run the expectations are the base scenario's: a ✗ there shows a figure the change \
             moved. 预期数值：✓ 与情景设定一致，✗ 不一致（假设分析中为基准情景的预期，✗ 即被改变的数值）。"
                .into(),
        ));
        b.push(table(
            &["expected", "got", "met"],
            checks
                .into_iter()
                .map(|(e, got, met)| vec![e, got, if met { "✓".into() } else { "✗".into() }])
                .collect(),
        ));
    }

    for e in &scenario.book.enterprises {
        let p = &e.profile;
        b.push(Block::Heading(
            2,
            format!("Enterprise {} {}", p.code, p.name),
        ));
        b.push(table(
            &[
                "from",
                "综试区",
                "platform",
                "taxpayer",
                "refund filed",
                "kind",
                "employees",
                "assets",
            ],
            p.periods
                .iter()
                .map(|q| {
                    vec![
                        q.from.to_string(),
                        yes_no(q.pilot_zone),
                        yes_no(q.platform_recording),
                        format!("{:?}", q.taxpayer).to_lowercase(),
                        yes_no(q.refund_filed),
                        format!("{:?}", q.kind).to_lowercase(),
                        q.employees.to_string(),
                        grouped(q.total_assets),
                    ]
                })
                .collect(),
        ));
        b.push(Block::Para(
            assumptions_text(&e.assumptions).en.into_owned(),
        ));
        for y in years.iter().filter(|y| y.enterprise == p.code) {
            year_blocks(&mut b, y, why_ids);
        }
    }

    b.push(Block::Heading(2, "Rules, parameters and caveats".into()));
    let book = &scenario.book;
    b.push(Block::List(vec![
        format!(
            "Rates: {} ({} rows); exchange rates: {}. The shipped samples are illustrative.",
            spec.tax
                .rates
                .as_ref()
                .map_or("shipped sample seeds/tax/rates.csv".into(), |p| p.display().to_string()),
            book.rates.rows().len(),
            spec.tax
                .fx_rates
                .as_ref()
                .map_or("shipped sample seeds/tax/fx_rates.csv".into(), |p| p.display().to_string()),
        ),
        format!(
            "A 9610 list flagged B counts as merged into a customs declaration: {} (unverified inference); the same for 9710/9810: {}.",
            book.vat.summary_gives_declaration, book.vat.b2b_summary_gives_declaration
        ),
        format!(
            "Small-scale collection rate on deemed sales: {} (whether the temporary 1 % applies is unverified).",
            pct(book.vat.small_scale_rate)
        ),
        format!(
            "9810 pre-refunds are taken as completed {} days after export; reconciliation window to 30 April of the next year.",
            book.vat.pre_refund_lag_days
        ),
        format!(
            "Exports from {} are provisional: VAT Law era, carry-over of the CBEC rules unverified.",
            book.vat.provisional_from
        ),
        format!(
            "CIT: 4 % deemed rate from {}; high-tech 15 % with the deemed method: {} (unverified).",
            book.cit.deemed_from, book.cit.high_tech_with_deemed
        ),
        format!(
            "FX: exempt below USD {}, warning from USD {} (from {}); exemption kept after 汇发〔2024〕11号: {} (unverified). FX receipts are counted on the export date.",
            book.fx.threshold_usd, book.fx.warning_usd, book.fx.warning_from, book.fx.exemption_after_2024
        ),
        format!(
            "Returned goods (CEB213) undo their share of the export on the return's date: refund repaid, deemed-sale tax reversed, revenue reduced; FX receipts unchanged. Re-entry free of import taxes for exports {} to {} back within {} months (not food, taken as HS 01–24); the export side is read the same outside that window.",
            book.vat.return_relief_from, book.vat.return_relief_to, book.vat.return_relief_months
        ),
        "Consumption-tax amounts (refund on purchase, tax on deemed sales) follow background knowledge, not a re-read text.".into(),
    ]));
    b.push(Block::Para(
        "Files: treatments.csv (every line of the period with its treatment, amounts and `why`), reasons.csv (each `why` spelled out), ledger.csv (every declared line with its customs lifecycle), summary.csv and summary.json (the figures above), receipts.tsv (every receipt customs sent).".into(),
    ));
    b
}

/// The assumptions of an enterprise in one sentence.
pub fn assumptions_text(a: &Assumptions) -> Said {
    let (invoices, cost) = (pct(a.invoice_share), pct(a.purchase_ratio));
    let (proceeds, fx) = (pct(a.proceeds_share), pct(a.fx_receipt_share));
    let (always_zh, always_en) = if a.invoiced_goods.is_empty() {
        (String::new(), String::new())
    } else {
        let goods = a.invoiced_goods.join(", ");
        (
            format!("，商品编码 {goods} 总有"),
            format!(" and always for HS {goods}"),
        )
    };
    Said::new(
        format!(
            "假定：{invoices} 的商品行取得进货发票{always_zh}；进货成本为离岸价的 {cost}；{proceeds} 的申报按期收汇；货值的 {fx} 以外汇收取。"
        ),
        format!(
            "Assumptions: purchase invoices on {invoices} of lines{always_en}; purchase cost {cost} of FOB; proceeds in time on {proceeds} of declarations; {fx} of the value received as FX."
        ),
    )
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// A year's `why` key (regime and English reasons) → its id in reasons.csv and the reasons in
/// Chinese.
type WhyIds = std::collections::HashMap<String, (String, String)>;

fn year_blocks(b: &mut Vec<Block>, y: &Year, why_ids: &WhyIds) {
    b.push(Block::Heading(3, format!("{} in {}", y.enterprise, y.year)));
    b.push(table(
        &["treatment", "", "lines", "FOB CNY"],
        y.by_regime
            .iter()
            .map(|(r, t)| {
                vec![
                    r.code().to_string(),
                    r.zh().to_string(),
                    t.lines.to_string(),
                    grouped(t.fob_cny),
                ]
            })
            .collect(),
    ));
    let mut amounts = vec![
        format!(
            "VAT refund {} (of which 9810 pre-refund {}), consumption-tax refund {}.",
            grouped(y.vat_refund),
            grouped(y.pre_refund),
            grouped(y.ct_refund)
        ),
        format!(
            "Deemed-sale output VAT {}, consumption tax {}.",
            grouped(y.output_vat),
            grouped(y.consumption_tax)
        ),
        format!(
            "Net VAT/CT position after reconciliation: {}.",
            grouped(y.net_vat_position)
        ),
    ];
    if !y.reconciliations.is_empty() {
        let outcomes: Vec<String> = y
            .reconciliations
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        amounts.push(format!(
            "9810 reconciliations booked this year: {}; adjustment {}.",
            outcomes.join(", "),
            grouped(y.reconciliation_adjustment)
        ));
    }
    if y.returns > 0 {
        amounts.push(format!(
            "{} returned line(s) booked this year: revenue −{}, refunds repaid {}, deemed-sale tax reversed {}.",
            y.returns,
            grouped(y.returned_fob_cny),
            grouped(y.return_refund_repaid),
            grouped(y.return_tax_reversed)
        ));
    }
    if y.provisional_lines > 0 {
        amounts.push(format!(
            "{} lines are provisional (exported under the VAT Law).",
            y.provisional_lines
        ));
    }
    b.push(Block::List(amounts));
    b.push(Block::Para(
        "Why (lines per treatment and reasons; `why` in treatments.csv names the row):".into(),
    ));
    let mut why: Vec<(&String, &u64)> = y.why.iter().collect();
    why.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    b.push(table(
        &["why", "lines", "treatment and reasons", "原因"],
        why.into_iter()
            .map(|(k, n)| {
                let (id, zh) = why_ids.get(k).cloned().unwrap_or_default();
                vec![id, n.to_string(), k.clone(), zh]
            })
            .collect(),
    ));
    if let Some(c) = &y.cit {
        let mut items: Vec<String> = c.reasons.iter().map(both).collect();
        for (label, base, rate, tax) in &c.bands {
            items.push(format!(
                "{label}: {} × {} = {}",
                grouped(*base),
                pct(*rate),
                grouped(*tax)
            ));
        }
        items.push(match c.tax {
            Some(t) => format!(
                "CIT {} (total income {}).",
                grouped(t),
                grouped(c.total_income)
            ),
            None => "CIT not computed (see above).".into(),
        });
        b.push(Block::Para("Corporate income tax:".into()));
        b.push(Block::List(items));
    }
    if let Some(f) = &y.fx {
        let mut items = vec![format!("Standing: {}.", f.standing.name())];
        items.extend(f.reasons.iter().map(both));
        b.push(Block::Para("Foreign exchange:".into()));
        b.push(Block::List(items));
    }
}

/// A reason in English, then in Chinese.
fn both(reason: &Said) -> String {
    format!("{} / {}", reason.en, reason.zh)
}

/// Renders blocks as Markdown.
pub fn markdown(blocks: &[Block]) -> String {
    let mut s = String::new();
    let cell = |c: &str| c.replace('|', "\\|").replace('\n', " ");
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                s.push_str(&format!("{} {text}\n\n", "#".repeat(usize::from(*level))))
            }
            Block::Para(text) => s.push_str(&format!("{text}\n\n")),
            Block::List(items) => {
                for i in items {
                    s.push_str(&format!("- {i}\n"));
                }
                s.push('\n');
            }
            Block::Table(header, rows) => {
                let line = |cells: &[String]| {
                    format!(
                        "| {} |\n",
                        cells
                            .iter()
                            .map(|c| cell(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )
                };
                s.push_str(&line(header));
                s.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
                for r in rows {
                    s.push_str(&line(r));
                }
                s.push('\n');
            }
        }
    }
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders blocks as one self-contained HTML page.
pub fn html(title: &str, blocks: &[Block]) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45}}\ntable{{border-collapse:collapse;margin:.5rem 0 1rem}}\ntd,th{{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}}\nth{{background:#f3f3f3;text-align:left}}\ncode{{background:#f3f3f3}}\n</style>\n</head>\n<body>\n",
        escape(title)
    );
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                s.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text)))
            }
            Block::Para(text) => s.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::List(items) => {
                s.push_str("<ul>\n");
                for i in items {
                    s.push_str(&format!("<li>{}</li>\n", escape(i)));
                }
                s.push_str("</ul>\n");
            }
            Block::Table(header, rows) => {
                s.push_str("<table>\n<tr>");
                for h in header {
                    s.push_str(&format!("<th>{}</th>", escape(h)));
                }
                s.push_str("</tr>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        s.push_str(&format!("<td>{}</td>", escape(c)));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</table>\n");
            }
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

/// The figures of two runs side by side: every metric of every enterprise-year, the
/// differing ones first.
pub fn comparison(changes: &[String], base: &[Year], alt: &[Year]) -> Vec<Block> {
    let mut keys: Vec<(String, i32)> = base
        .iter()
        .chain(alt)
        .map(|y| (y.enterprise.clone(), y.year))
        .collect();
    keys.sort();
    keys.dedup();
    let find = |ys: &[Year], k: &(String, i32)| {
        ys.iter()
            .find(|y| y.enterprise == k.0 && y.year == k.1)
            .map(metrics)
            .unwrap_or_default()
    };
    let mut differing = Vec::new();
    let mut all = Vec::new();
    for k in &keys {
        let (a, b) = (find(base, k), find(alt, k));
        let names: Vec<&str> = a.iter().chain(&b).map(|(n, _)| *n).collect();
        let mut seen = Vec::new();
        for n in names {
            if seen.contains(&n) {
                continue;
            }
            seen.push(n);
            let get = |m: &[(&str, String)]| {
                m.iter()
                    .find(|(x, _)| *x == n)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let (va, vb) = (get(&a), get(&b));
            let diff = match (va.parse::<Decimal>(), vb.parse::<Decimal>()) {
                (Ok(x), Ok(y)) if x != y => format!("{:+}", y - x),
                (Ok(_), Ok(_)) => String::new(),
                _ if va != vb => "changed".into(),
                _ => String::new(),
            };
            let row = vec![
                k.0.clone(),
                k.1.to_string(),
                n.to_string(),
                va,
                vb,
                diff.clone(),
            ];
            if !diff.is_empty() {
                differing.push(row.clone());
            }
            all.push(row);
        }
    }
    let header = [
        "enterprise",
        "year",
        "figure",
        "base",
        "what-if",
        "difference",
    ];
    vec![
        Block::Heading(1, "What-if comparison".into()),
        Block::Para(format!("Changes: `{}`.", changes.join("`, `"))),
        Block::Heading(2, "Differences".into()),
        if differing.is_empty() {
            Block::Para("No figure differs.".into())
        } else {
            table(&header, differing)
        },
        Block::Heading(2, "All figures".into()),
        table(&header, all),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(grouped(Decimal::new(123456789, 2)), "1,234,567.89");
        assert_eq!(grouped(Decimal::new(-100000, 0)), "-100,000.00");
        assert_eq!(grouped(Decimal::ZERO), "0.00");
    }

    #[test]
    fn renders_both_formats() {
        let blocks = vec![
            Block::Heading(1, "A <b>".into()),
            Block::Table(vec!["x".into()], vec![vec!["a|b".into()]]),
        ];
        let md = markdown(&blocks);
        assert!(md.contains("# A <b>") && md.contains("a\\|b"), "{md}");
        let h = html("t", &blocks);
        assert!(
            h.contains("<h1>A &lt;b&gt;</h1>") && h.contains("<td>a|b</td>"),
            "{h}"
        );
    }

    #[test]
    fn comparison_lists_differences_first() {
        let a = Year {
            enterprise: "E".into(),
            year: 2023,
            lines: 10,
            ..Year::default()
        };
        let b = Year {
            lines: 12,
            ..a.clone()
        };
        let blocks = comparison(&["x=1".into()], &[a], &[b]);
        let Block::Table(_, rows) = &blocks[3] else {
            panic!("{blocks:?}")
        };
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][2..], ["lines", "10", "12", "+2"]);
    }
}
