//! Scenarios for tax analysts: a TOML file describing enterprises and their tax profiles, a
//! period, the traffic (generated parcels and/or message files), the customs profile and the
//! tax inputs; replayed through the real engine on virtual time (`replay`), written out as
//! receipts, ledger, treatment table, annual summary and a report (`report`).
//!
//! A shell: it reads files and writes them. The same scenario gives byte-identical outputs.
//! The format is documented in docs/scenarios.md.

pub mod replay;
pub mod report;
pub mod traffic;

use crate::tax::annual::{CitMethod, YearInputs};
use crate::tax::exports::{Enterprise, TaxBook};
use crate::tax::inputs::Assumptions;
use crate::tax::{Period, Profile, cit, fx, rates::Rates, vat};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why a scenario cannot be run: the message says which file and what to change.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("--what-if {0}")]
    WhatIf(String),
    #[error(transparent)]
    Tax(#[from] crate::tax::TaxError),
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The scenario file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seeds the generated traffic, customs draws and per-line tax draws.
    #[serde(default)]
    pub seed: u64,
    pub period: PeriodSpec,
    #[serde(default)]
    pub customs: CustomsSpec,
    #[serde(default)]
    pub tax: TaxSpec,
    #[serde(default)]
    pub report: ReportSpec,
    #[serde(default, rename = "fx_rate")]
    pub fx_rates: Vec<FxRateSpec>,
    #[serde(rename = "enterprise")]
    pub enterprises: Vec<EnterpriseSpec>,
    #[serde(default)]
    pub traffic: Vec<traffic::Stream>,
    #[serde(default)]
    pub messages: Vec<MessagesSpec>,
    /// Enterprise registry for message files (default: the shipped one).
    pub registry: Option<PathBuf>,
    /// Headline figures the scenario is expected to produce (checked by tests and shown in
    /// the report).
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// The replayed period (inclusive).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodSpec {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The simulated customs (see `engine::Profile`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomsSpec {
    #[serde(default = "d_review")]
    pub review_per_mille: u32,
    #[serde(default = "d_inspection")]
    pub inspection_per_mille: u32,
    #[serde(default)]
    pub refusal_per_mille: u32,
    #[serde(default = "d_jitter")]
    pub jitter_per_mille: u32,
    #[serde(default = "d_wait")]
    pub wait_window_minutes: i64,
    /// Release waits for the parcel's arrival at the supervised site (the replay sends
    /// arrivals and departures for generated parcels).
    #[serde(default = "yes")]
    pub release_waits_for_arrival: bool,
}

fn d_review() -> u32 {
    20
}
fn d_inspection() -> u32 {
    10
}
fn d_jitter() -> u32 {
    500
}
fn d_wait() -> i64 {
    120
}
fn yes() -> bool {
    true
}

impl Default for CustomsSpec {
    fn default() -> Self {
        CustomsSpec {
            review_per_mille: d_review(),
            inspection_per_mille: d_inspection(),
            refusal_per_mille: 0,
            jitter_per_mille: d_jitter(),
            wait_window_minutes: d_wait(),
            release_waits_for_arrival: true,
        }
    }
}

/// Tables and the parameters of the rules the reference leaves unverified.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxSpec {
    /// Commodity rate table (CSV, relative to the scenario); default the shipped sample.
    pub rates: Option<PathBuf>,
    /// Exchange-rate table (CSV); default the shipped sample; `[[fx_rate]]` entries add to it.
    pub fx_rates: Option<PathBuf>,
    pub small_scale_rate: Option<Decimal>,
    pub summary_gives_declaration: Option<bool>,
    pub b2b_summary_gives_declaration: Option<bool>,
    pub pre_refund_lag_days: Option<u32>,
    pub high_tech_with_deemed: Option<bool>,
    pub fx_exemption_after_2024: Option<bool>,
}

/// Report options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    #[serde(default)]
    pub format: ReportFormat,
    #[serde(default)]
    pub receipts: ReceiptOutput,
    /// Write ledger.csv, treatments.csv and reasons.csv (off: summaries and report only,
    /// for very large replays).
    #[serde(default = "yes")]
    pub tables: bool,
}

impl Default for ReportSpec {
    fn default() -> Self {
        ReportSpec {
            format: ReportFormat::Markdown,
            receipts: ReceiptOutput::Log,
            tables: true,
        }
    }
}

/// The human report's format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportFormat {
    #[default]
    Markdown,
    /// One self-contained HTML file.
    Html,
}

/// How receipts are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptOutput {
    /// One line per receipt in `receipts.tsv` (time, message, key, status, info, its English).
    #[default]
    Log,
    /// Each receipt as its CEB XML file under `receipts/` (small scenarios).
    Xml,
    None,
}

/// An extra exchange rate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxRateSpec {
    pub currency: String,
    pub from: NaiveDate,
    pub cny_per_unit: Decimal,
}

/// An enterprise: its profile periods, tax assumptions and year inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseSpec {
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cit_method: CitMethod,
    #[serde(rename = "period")]
    pub periods: Vec<Period>,
    #[serde(default)]
    pub assumptions: Assumptions,
    #[serde(default, rename = "year")]
    pub years: Vec<YearInputs>,
}

/// Message files (a file, or every *.xml under a folder) played at their `appTime`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesSpec {
    pub path: PathBuf,
}

/// An expected headline figure: `metric` of `enterprise` in `year` equals `value`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub enterprise: String,
    pub year: i32,
    pub metric: String,
    pub value: String,
}

/// A loaded, checked scenario, ready to replay.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub spec: Spec,
    /// Folder relative paths are resolved against.
    pub base: PathBuf,
    pub book: TaxBook,
    /// The `--what-if` changes applied, as given.
    pub changes: Vec<String>,
}

impl Scenario {
    /// Reads a scenario file, applying `what_if` changes (`key=value`).
    pub fn load(path: &Path, what_if: &[String]) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Scenario::from_text(&text, path, &base, what_if)
    }

    /// Reads a scenario from its text; `path` names it in errors, `base` resolves paths.
    pub fn from_text(
        text: &str,
        path: &Path,
        base: &Path,
        what_if: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let original: toml::Value = toml::from_str(text).map_err(|e| file_error(path, e))?;
        let spec_with = |guess: bool| -> Result<Spec, ScenarioError> {
            let mut value = original.clone();
            for change in what_if {
                apply_change(&mut value, change, guess)?;
            }
            dates_as_strings(&mut value);
            Spec::deserialize(value).map_err(|e| file_error(path, e))
        };
        // A new key's value is guessed (true/false, integer, text); if the guess does not fit
        // the field, the changes are tried again as text.
        let spec = spec_with(true).or_else(|e| spec_with(false).map_err(|_| e))?;
        let book = build_book(&spec, base)?;
        validate(&spec)?;
        Ok(Scenario {
            spec,
            base: base.to_path_buf(),
            book,
            changes: what_if.to_vec(),
        })
    }

    /// A path of the scenario, resolved against its folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.base.join(p)
    }
}

fn validate(spec: &Spec) -> Result<(), ScenarioError> {
    let p = &spec.period;
    if p.to < p.from {
        return Err(ScenarioError::Invalid(format!(
            "period: `to` ({}) is before `from` ({})",
            p.to, p.from
        )));
    }
    if spec.enterprises.is_empty() {
        return Err(ScenarioError::Invalid(
            "give at least one [[enterprise]]".into(),
        ));
    }
    for (i, s) in spec.traffic.iter().enumerate() {
        s.validate(i, spec)?;
    }
    if spec.traffic.is_empty() && spec.messages.is_empty() {
        return Err(ScenarioError::Invalid(
            "no traffic: give [[traffic]] streams or [[messages]] files".into(),
        ));
    }
    Ok(())
}

fn build_book(spec: &Spec, base: &Path) -> Result<TaxBook, ScenarioError> {
    tax_book(
        &spec.tax,
        &spec.fx_rates,
        &spec.enterprises,
        spec.seed,
        base,
    )
}

/// The tax book of enterprises written as a scenario's `[[enterprise]]` entries, with the
/// tables and parameters of a `[tax]` table and `[[fx_rate]]` entries (paths relative to
/// `base`); `seed` seeds the per-line draws of the assumptions. The server builds its book
/// with this too.
pub fn tax_book(
    tax: &TaxSpec,
    extra_fx_rates: &[FxRateSpec],
    enterprise_specs: &[EnterpriseSpec],
    seed: u64,
    base: &Path,
) -> Result<TaxBook, ScenarioError> {
    let read = |p: &Path| {
        let full = base.join(p);
        std::fs::read_to_string(&full)
            .map_err(|e| file_error(&full, e))
            .map(|text| (text, full.display().to_string()))
    };
    let rates = match &tax.rates {
        Some(p) => {
            let (text, name) = read(p)?;
            Rates::parse(&text, &name)?
        }
        None => Rates::sample(),
    };
    let mut fx_rates = match &tax.fx_rates {
        Some(p) => {
            let (text, name) = read(p)?;
            fx::FxRates::parse(&text, &name)?
        }
        None => fx::FxRates::sample(),
    };
    for r in extra_fx_rates {
        fx_rates
            .insert(&r.currency, r.from, r.cny_per_unit)
            .map_err(|m| ScenarioError::Invalid(format!("[[fx_rate]]: {m}")))?;
    }
    let mut enterprises = Vec::new();
    for e in enterprise_specs {
        if enterprises
            .iter()
            .any(|x: &Enterprise| x.profile.code == e.code)
        {
            return Err(ScenarioError::Invalid(format!(
                "enterprise {} is given twice",
                e.code
            )));
        }
        e.assumptions.validate(&format!("enterprise {}", e.code))?;
        let profile = Profile {
            code: e.code.clone(),
            name: e.name.clone(),
            periods: e.periods.clone(),
        }
        .validate()?;
        enterprises.push(Enterprise {
            profile,
            assumptions: e.assumptions.clone(),
            cit_method: e.cit_method,
            years: e.years.clone(),
        });
    }
    let t = tax;
    let dv = vat::Params::default();
    let vat = vat::Params {
        small_scale_rate: t.small_scale_rate.unwrap_or(dv.small_scale_rate),
        summary_gives_declaration: t
            .summary_gives_declaration
            .unwrap_or(dv.summary_gives_declaration),
        b2b_summary_gives_declaration: t
            .b2b_summary_gives_declaration
            .unwrap_or(dv.b2b_summary_gives_declaration),
        pre_refund_lag_days: t.pre_refund_lag_days.unwrap_or(dv.pre_refund_lag_days),
        ..dv
    };
    let cit = cit::Params {
        high_tech_with_deemed: t.high_tech_with_deemed.unwrap_or(false),
        ..cit::Params::default()
    };
    let fx = fx::Params {
        exemption_after_2024: t.fx_exemption_after_2024.unwrap_or(true),
        ..fx::Params::default()
    };
    Ok(TaxBook {
        enterprises,
        rates,
        fx_rates,
        vat,
        cit,
        fx,
        seed,
    })
}

/// TOML dates (unquoted `2023-01-01`) become strings, so the typed fields read either form.
pub fn dates_as_strings(v: &mut toml::Value) {
    match v {
        toml::Value::Datetime(d) => *v = toml::Value::String(d.to_string()),
        toml::Value::Array(a) => a.iter_mut().for_each(dates_as_strings),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| dates_as_strings(v)),
        _ => {}
    }
}

/// Applies one `--what-if key=value`. Keys are dotted paths; in an array, a number picks by
/// position and any other word picks the entry whose `code` (or `enterprise`) is that word,
/// e.g. `enterprise.4403960001.assumptions.invoice_share=0.5`.
pub fn apply_change(
    root: &mut toml::Value,
    change: &str,
    guess: bool,
) -> Result<(), ScenarioError> {
    let bad = |m: String| ScenarioError::WhatIf(format!("`{change}`: {m}"));
    let (key, raw) = change
        .split_once('=')
        .ok_or_else(|| bad("expected key=value".into()))?;
    let parts: Vec<&str> = key.trim().split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad("empty part in the key".into()));
    }
    let raw = raw.trim();
    let mut cur = root;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        cur = match cur {
            toml::Value::Table(t) => {
                if last {
                    let value = typed_like(t.get(*part), raw, guess);
                    t.insert((*part).to_string(), value);
                    return Ok(());
                }
                if !t.contains_key(*part) {
                    t.insert((*part).to_string(), toml::Value::Table(toml::Table::new()));
                }
                t.get_mut(*part)
                    .ok_or_else(|| bad(format!("no `{part}`")))?
            }
            toml::Value::Array(a) => {
                // An entry's code first (codes are often all digits), else a position.
                let by_code = a.iter().position(|e| {
                    ["code", "enterprise"]
                        .iter()
                        .any(|k| e.get(k).and_then(|v| v.as_str()) == Some(*part))
                });
                let idx = match (by_code, part.parse::<usize>()) {
                    (Some(i), _) => i,
                    (None, Ok(n)) if n < a.len() => n,
                    (None, Ok(_)) => {
                        return Err(bad(format!(
                            "no entry with code `{part}`, and only {} entries by position",
                            a.len()
                        )));
                    }
                    (None, Err(_)) => return Err(bad(format!("no entry with code `{part}`"))),
                };
                if last {
                    let value = typed_like(a.get(idx), raw, guess);
                    a[idx] = value;
                    return Ok(());
                }
                &mut a[idx]
            }
            _ => return Err(bad(format!("`{part}` is inside a plain value"))),
        };
    }
    Ok(())
}

/// `raw` as a TOML value of the same kind as `existing`; when there is none, guessed (or text
/// when `guess` is off).
fn typed_like(existing: Option<&toml::Value>, raw: &str, guess: bool) -> toml::Value {
    let unquoted = raw.trim_matches('"').to_string();
    match existing {
        Some(toml::Value::Integer(_)) => raw
            .parse()
            .map_or(toml::Value::String(unquoted), toml::Value::Integer),
        Some(toml::Value::Boolean(_)) => raw
            .parse()
            .map_or(toml::Value::String(unquoted), toml::Value::Boolean),
        Some(toml::Value::Float(_)) => raw
            .parse()
            .map_or(toml::Value::String(unquoted), toml::Value::Float),
        Some(_) => toml::Value::String(unquoted),
        None if !guess => toml::Value::String(unquoted),
        None => match raw {
            "true" => toml::Value::Boolean(true),
            "false" => toml::Value::Boolean(false),
            _ => raw
                .parse()
                .map_or(toml::Value::String(unquoted), toml::Value::Integer),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
seed = 1
period = { from = 2023-01-01, to = "2023-12-31" }
[[enterprise]]
code = "4403960001"
[[enterprise.period]]
from = "2020-01-01"
taxpayer = "small-scale"
kind = "trading"
[enterprise.assumptions]
invoice_share = "0.2"
[[traffic]]
enterprise = "4403960001"
parcels = 10
"#;

    fn load(text: &str, what_if: &[&str]) -> Result<Scenario, ScenarioError> {
        let changes: Vec<String> = what_if.iter().map(|s| s.to_string()).collect();
        Scenario::from_text(text, Path::new("t.toml"), Path::new("."), &changes)
    }

    #[test]
    fn loads_dates_in_either_form() {
        let s = load(MINIMAL, &[]).unwrap();
        assert_eq!(
            s.spec.period.from,
            NaiveDate::from_ymd_opt(2023, 1, 1).unwrap()
        );
        assert_eq!(
            s.book.enterprises[0].assumptions.invoice_share,
            Decimal::new(2, 1)
        );
    }

    #[test]
    fn what_if_changes_by_code_and_by_position() {
        let s = load(
            MINIMAL,
            &[
                "enterprise.4403960001.assumptions.invoice_share=0.5",
                "enterprise.0.period.0.taxpayer=general",
                "traffic.0.parcels=20",
            ],
        )
        .unwrap();
        let e = &s.book.enterprises[0];
        assert_eq!(e.assumptions.invoice_share, Decimal::new(5, 1));
        assert_eq!(e.profile.periods[0].taxpayer, crate::tax::Taxpayer::General);
        assert_eq!(s.spec.traffic[0].parcels, 20);
    }

    #[test]
    fn bad_input_gives_clear_errors() {
        let e = load(MINIMAL, &["enterprise.999.code=1"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no entry with code `999`"), "{e}");
        let e = load(MINIMAL, &["nonsense"]).unwrap_err().to_string();
        assert!(e.contains("key=value"), "{e}");
        let e = load(&MINIMAL.replace("small-scale", "tiny"), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.toml") && e.contains("tiny"), "{e}");
        let e = load(&MINIMAL.replace("\"0.2\"", "\"2\""), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("invoice_share is 2"), "{e}");
        let e = load(
            &MINIMAL.replace("to = \"2023-12-31\"", "to = \"2022-12-31\""),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("before"), "{e}");
    }
}
