//! One declaration, every agency: an enterprise reads the tax treatment of its own
//! declarations and its FX standing from what it already declared. Same bearer token and
//! access control as receipts; JSON unless asked for CSV.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /tax/declarations?year=Y` (or `from=…&to=…`, `format=csv`) | each declaration exported in the period with the VAT/CT treatment of every line: amounts, reasons with their regulation, provisional flag, 9810 reconciliation, returns; then the declarations not exported |
//! | `GET /tax/summary?year=Y` | the year's figures: VAT/CT, returns, CIT, FX (a replay's `summary.json` entry) |
//! | `GET /fx?year=Y` | the year's FX receipts and 名录 registration standing |
//!
//! Whose declarations: the lists whose `ebcCode` is the registry code of the caller's DXP id
//! (the e-commerce enterprise whose export it is, whoever transmitted it). The facts customs
//! data does not carry come from that enterprise's `tax_profile` in the configuration, else
//! from a default; every answer lists what was assumed. The engine thread hands over a copy of
//! the enterprise's rows and the tax is worked out on a blocking thread, so a large request
//! does not hold up ingest.

use super::config::Config;
use super::core::Query as EngineQuery;
use super::problem::Problem;
use super::{App, Unauthorized};
use crate::engine::ledger::Ledger;
use crate::model::registry::{Enterprise, Registry};
use crate::model::said::Said;
use crate::scenario::report::{
    TREATMENT_HEADER, assumptions_text, csv_line, metrics, not_exported_fields, not_exported_why,
    treatment_fields,
};
use crate::scenario::{self, EnterpriseSpec};
use crate::tax::exports::{TaxBook, Treated};
use crate::tax::{Kind, Period, Taxpayer};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The tax book of every enterprise that has a token, and who each DXP id is.
pub struct TaxDesk {
    book: TaxBook,
    by_dxp: HashMap<String, Filer>,
}

/// An enterprise as the tax routes see it.
struct Filer {
    code: String,
    name: String,
    /// A `tax_profile` was configured.
    configured: bool,
    /// The facts and assumptions the answers rest on without having been given.
    assumed: Vec<Said>,
}

impl TaxDesk {
    /// The desk for the enterprises behind `dxp_ids`; refuses a `tax_profile` that names
    /// another enterprise than the registry's for its DXP id, or bad tables.
    pub fn new(
        config: &Config,
        registry: &Registry,
        dxp_ids: impl IntoIterator<Item = String>,
    ) -> Result<TaxDesk, String> {
        let mut specs = Vec::new();
        let mut by_dxp = HashMap::new();
        for dxp in dxp_ids {
            let configured = config
                .enterprise
                .iter()
                .find(|e| e.dxp_id == dxp)
                .and_then(|e| e.tax_profile.clone());
            let Some(e) = registry.by_dxp_id(&dxp) else {
                if configured.is_some() {
                    return Err(format!(
                        "the tax_profile of {dxp}: the registry has no enterprise with this DXP id"
                    ));
                }
                continue;
            };
            let given = configured.is_some();
            let (spec, mut assumed) = match configured {
                Some(spec) if spec.code != e.code => {
                    return Err(format!(
                        "the tax_profile of {dxp} names enterprise {}, but the registry gives {dxp} the code {}",
                        spec.code, e.code
                    ));
                }
                Some(spec) => (spec, Vec::new()),
                None => default_profile(e, &dxp),
            };
            assumed.push(assumptions_text(&spec.assumptions));
            let filer = Filer {
                code: e.code.clone(),
                name: e.name.clone(),
                configured: given,
                assumed,
            };
            if !specs.iter().any(|s: &EnterpriseSpec| s.code == spec.code) {
                specs.push(spec);
            }
            by_dxp.insert(dxp, filer);
        }
        let seed = config.customs.engine_config().profile.seed;
        let book = scenario::tax_book(&config.tax, &config.fx_rates, &specs, seed, Path::new("."))
            .map_err(|e| e.to_string())?;
        Ok(TaxDesk { book, by_dxp })
    }
}

/// The profile of an enterprise nobody described: the plainest small 综试区 seller, from the
/// registry's facts, and the sentences that say so.
fn default_profile(e: &Enterprise, dxp: &str) -> (EnterpriseSpec, Vec<Said>) {
    let zone = e.pilot_zone.is_some();
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let period = Period {
        pilot_zone: zone,
        platform_recording: zone,
        ..Period::new(from, Taxpayer::SmallScale, Kind::Trading)
    };
    let mut assumed = vec![Said::new(
        format!(
            "{dxp} 没有配置 tax_profile：假定为已办理税务登记的小规模纳税人、外贸企业，未办理出口退（免）税备案，未给出从业人数和资产总额。"
        ),
        format!(
            "No tax_profile is configured for {dxp}: assumed a tax-registered small-scale taxpayer, a trading (外贸) enterprise, without an export refund filing, no headcount or assets given."
        ),
    )];
    assumed.push(match &e.pilot_zone {
        Some(city) => Said::new(
            format!(
                "注册在{city}综试区（据企业备案），出口信息在综试区平台登记，任一海关均视为综试区海关（假定）。"
            ),
            format!(
                "Registered in the {city} 综试区 (from the registry), recording its exports on the zone's platform, any customs counting as the zone's (assumed)."
            ),
        ),
        None => Said::fixed(
            "不在综试区（企业备案未载明）。",
            "Not in a 综试区 (the registry names none).",
        ),
    });
    assumed.push(Said::fixed(
        "企业所得税在36号允许时按核定征收（4%），否则查账征收（未给出账面数据：不计算）；没有其他收入，没有付汇。",
        "CIT by the 4 % method where 36号 allows it, else from the books (none given: not computed); no other income, no FX payments.",
    ));
    let spec = EnterpriseSpec {
        code: e.code.clone(),
        name: e.name.clone(),
        cit_method: Default::default(),
        periods: vec![period],
        assumptions: Default::default(),
        years: Vec::new(),
    };
    (spec, assumed)
}

/// A refused request.
enum Refused {
    Token(Unauthorized),
    Problem(Problem),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Token(u) => u.into_response(),
            Refused::Problem(p) => p.into_response(),
        }
    }
}

fn bad_period(zh: impl Into<String>, en: impl Into<String>) -> Refused {
    Refused::Problem(Problem::bad_request("bad-period", zh, en))
}

/// The query as asked, or what is wrong with it (after the caller's token is checked).
fn query_of(q: Result<Query<PeriodQuery>, QueryRejection>) -> Result<PeriodQuery, Refused> {
    q.map(|Query(q)| q)
        .map_err(|e| Refused::Problem(Problem::bad_query(e.body_text())))
}

/// The period asked for: `year`, or `from` and `to`; this year when none is given.
#[derive(serde::Deserialize)]
pub struct PeriodQuery {
    year: Option<i32>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Option<String>,
}

impl PeriodQuery {
    /// The year asked for; by default the server's (`today`).
    fn year(&self, today: NaiveDateTime) -> Result<i32, Refused> {
        let year = self.year.unwrap_or_else(|| today.year());
        if (1900..=9999).contains(&year) {
            Ok(year)
        } else {
            Err(bad_period(
                format!("年份 {year} 有误：请给出如 2025 的年份"),
                format!("year {year}: give a year such as 2025"),
            ))
        }
    }

    fn period(&self, today: NaiveDateTime) -> Result<(NaiveDate, NaiveDate), Refused> {
        match (self.from, self.to, self.year) {
            (Some(_), Some(_), Some(_)) => Err(bad_period(
                "请给出 year，或 from 与 to，不要同时给出",
                "give either year or from and to",
            )),
            (Some(from), Some(to), None) if from <= to => Ok((from, to)),
            (Some(_), Some(_), None) => {
                Err(bad_period("`to` 早于 `from`", "`to` is before `from`"))
            }
            (Some(_), None, _) | (None, Some(_), _) => Err(bad_period(
                "请同时给出 from 与 to（YYYY-MM-DD），或给出 year",
                "give both from and to (YYYY-MM-DD), or year",
            )),
            (None, None, _) => {
                let year = self.year(today)?;
                let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN);
                Ok((day(1, 1), day(12, 31)))
            }
        }
    }
}

/// The caller's DXP id and enterprise, or why not.
fn caller<'a>(app: &'a App, headers: &HeaderMap) -> Result<(String, &'a Filer), Refused> {
    let dxp = app.enterprise(headers).map_err(Refused::Token)?;
    match app.tax.by_dxp.get(&dxp) {
        Some(f) => Ok((dxp, f)),
        None => Err(Refused::Problem(Problem::new(
            StatusCode::NOT_FOUND,
            "no-enterprise",
            format!(
                "{dxp} 在企业名录中没有对应企业，因此没有自己的申报（申报按 ebcCode 归属企业）"
            ),
            format!(
                "{dxp} has no enterprise in the registry, so no declarations of its own (declarations are an enterprise's by their ebcCode)"
            ),
        ))),
    }
}

/// A copy of the enterprise's declarations with an export date in `from..=to`.
async fn declarations_of(
    app: &App,
    code: &str,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Ledger, Refused> {
    let (reply, answer) = oneshot::channel();
    let asked = app.core.query(EngineQuery::Declarations {
        ebc_code: code.to_string(),
        from,
        to,
        reply,
    });
    if asked.is_err() {
        return Err(Refused::Problem(Problem::busy()));
    }
    answer
        .await
        .map_err(|_| Refused::Problem(Problem::stopping()))
}

/// Runs `work` on a blocking thread (the tax of many lines takes a while).
async fn off_the_runtime(work: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Problem::internal(e).into_response())
}

/// The caller's enterprise left the registry between the check and the work.
fn unknown_enterprise() -> Response {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no-enterprise",
        "未知企业",
        "unknown enterprise",
    )
    .into_response()
}

fn who(dxp: &str, f: &Filer) -> Value {
    json!({ "dxpId": dxp, "code": f.code, "name": f.name })
}

fn profile(f: &Filer) -> Value {
    json!({ "configured": f.configured, "assumed": f.assumed })
}

/// GET /tax/declarations.
pub async fn declarations(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let (dxp, filer) = match caller(&app, &headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let q = match query_of(q) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Problem::bad_request(
                "bad-format",
                format!("格式 {other:?} 有误：应为 json 或 csv"),
                format!("format {other:?}: json or csv"),
            )
            .into_response();
        }
    };
    let (from, to) = match q.period(app.core.now()) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let ledger = match declarations_of(&app, &filer.code, (from, to)).await {
        Ok(l) => l,
        Err(r) => return r.into_response(),
    };
    let app = app.clone();
    off_the_runtime(move || {
        let Some(filer) = app.tax.by_dxp.get(&dxp) else {
            return unknown_enterprise();
        };
        if csv {
            return treatments_csv(&app.tax.book, &ledger, from, to);
        }
        let mut declarations: Vec<Value> = Vec::new();
        let mut last = None;
        app.tax.book.assess(&ledger, from, to, |t| {
            if last != Some(t.row.id()) {
                last = Some(t.row.id());
                declarations.push(declaration_json(&t));
            }
            if let Some(lines) = declarations
                .last_mut()
                .and_then(|d| d["lines"].as_array_mut())
            {
                lines.push(line_json(&t));
            }
        });
        let not_exported: Vec<Value> = ledger
            .rows()
            .filter(|r| !r.status().is_exported())
            .map(|r| {
                json!({
                    "guid": r.guid(),
                    "orderNo": r.order_no(),
                    "invtNo": r.invt_no(),
                    "exportDate": r.export_date(),
                    "status": r.status().name(),
                    "why": not_exported_why(&r),
                })
            })
            .collect();
        let empty = declarations.is_empty() && not_exported.is_empty();
        let mut body = json!({
            "enterprise": who(&dxp, filer),
            "period": { "from": from, "to": to },
            "profile": profile(filer),
            "declarations": declarations,
            "notExported": not_exported,
        });
        // An empty answer says why, as the year's figures do.
        if empty {
            body["note"] = json!({
                "zh": format!("{from} 至 {to} 没有本企业的出口申报（按清单自身的出口日期计）"),
                "en": format!("no declarations of this enterprise from {from} to {to} (by the lists' own export dates)"),
            });
        }
        Json(body).into_response()
    })
    .await
}

fn declaration_json(t: &Treated<'_, '_>) -> Value {
    let row = t.row;
    json!({
        "guid": row.guid(),
        "invtNo": row.invt_no(),
        "orderNo": row.order_no(),
        "logisticsNo": row.logistics_no(),
        "tradeMode": row.trade_mode(),
        "customsCode": row.customs_code(),
        "statisticsFlag": row.statistics_flag(),
        "exportDate": row.export_date(),
        "status": row.status().name(),
        "entryId": row.summary().map(|s| s.entry_id.as_str()),
        "lines": [],
    })
}

fn line_json(t: &Treated<'_, '_>) -> Value {
    let (line, i, tr) = (t.line, t.inputs, t.treatment);
    let reconciliation = tr.reconciliation.as_ref().map(|r| {
        json!({
            "outcome": r.outcome.code(),
            "opens": r.opens,
            "deadline": r.deadline,
            "bookedOn": r.booked_on,
            "adjustment": r.adjustment,
            "finalRefund": r.final_refund,
        })
    });
    let returns: Vec<Value> = tr
        .returns
        .iter()
        .map(|r| {
            json!({
                "on": r.on,
                "qty": r.qty,
                "share": r.share.round_dp(4),
                "fobCny": r.fob_cny,
                "refundRepaid": r.refund_repaid,
                "taxReversed": r.tax_reversed,
                "relief": r.relief,
            })
        })
        .collect();
    json!({
        "gnum": line.gnum(),
        "gcode": line.gcode(),
        "itemName": line.item_name(),
        "qty": line.qty(),
        "currency": line.currency(),
        "fob": line.total_price(),
        "fobCny": tr.fob_cny,
        "vatRate": tr.vat_rate,
        "refundRate": tr.refund_rate,
        "consumptionRate": tr.consumption_rate,
        "assumed": {
            "purchaseInvoice": i.purchase_invoice,
            "purchaseAmount": i.purchase_amount,
            "proceedsReceived": i.proceeds_received,
        },
        "regime": tr.regime.code(),
        "regimeZh": tr.regime.zh(),
        "basis": tr.basis,
        "reasons": tr.reasons,
        "computation": tr.computation,
        "vatRefund": tr.vat_refund,
        "ctRefund": tr.ct_refund,
        "outputVat": tr.output_vat,
        "consumptionTax": tr.consumption_tax,
        "provisional": tr.provisional,
        "reconciliation": reconciliation,
        "returns": returns,
    })
}

/// The declarations as `treatments.csv` rows (`why` spelled out).
fn treatments_csv(book: &TaxBook, ledger: &Ledger, from: NaiveDate, to: NaiveDate) -> Response {
    let mut text = String::new();
    csv_line(&mut text, TREATMENT_HEADER.iter().copied());
    book.assess(ledger, from, to, |t| {
        let why = (t.treatment.reasons.iter())
            .map(|r| r.en.as_ref())
            .collect::<Vec<_>>()
            .join(" | ");
        let fields = treatment_fields(&t, &why);
        csv_line(&mut text, fields.iter().map(|f| f.as_ref()));
    });
    for row in ledger.rows().filter(|r| !r.status().is_exported()) {
        let fields = not_exported_fields(&row);
        csv_line(&mut text, fields.iter().map(String::as_str));
    }
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response()
}

/// The year's figures of the caller, or the answer refusing the request.
async fn year_of(
    app: &Arc<App>,
    headers: &HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
    answer: impl FnOnce(&crate::tax::annual::Year) -> Value + Send + 'static,
) -> Response {
    let (dxp, filer) = match caller(app, headers) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let q = match query_of(q) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    if q.from.is_some() || q.to.is_some() {
        return bad_period(
            "请给出 year：年度数字按纳税年度计算",
            "give a year: figures are per tax year",
        )
        .into_response();
    }
    let year = match q.year(app.core.now()) {
        Ok(y) => y,
        Err(r) => return r.into_response(),
    };
    let window = TaxBook::year_window(year);
    let ledger = match declarations_of(app, &filer.code, window).await {
        Ok(l) => l,
        Err(r) => return r.into_response(),
    };
    let app = app.clone();
    off_the_runtime(move || {
        let Some(filer) = app.tax.by_dxp.get(&dxp) else {
            return unknown_enterprise();
        };
        let y = app.tax.book.year_of(&ledger, &filer.code, year);
        let mut body = json!({
            "enterprise": who(&dxp, filer),
            "year": year,
            "profile": profile(filer),
        });
        // Empty figures are said to be for want of exports, not left to be guessed.
        if y.lines == 0 {
            body["note"] = json!({
                "zh": format!("{year} 年度没有本企业出口的申报（按清单自身的出口日期计）：各项数字为零"),
                "en": format!("no exports of this enterprise in {year} (by the lists' own export dates): every figure is zero"),
            });
        }
        if let (Some(into), Value::Object(extra)) = (body.as_object_mut(), answer(&y)) {
            into.extend(extra);
        }
        Json(body).into_response()
    })
    .await
}

/// GET /tax/summary.
pub async fn summary(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    year_of(&app, &headers, q, |y| {
        let metrics: serde_json::Map<String, Value> = metrics(y)
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::String(v)))
            .collect();
        json!({ "metrics": metrics, "summary": y })
    })
    .await
}

/// GET /fx.
pub async fn fx(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Response {
    let params = app.tax.book.fx.clone();
    year_of(&app, &headers, q, move |y| {
        let mut by_month: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
        for (day, usd) in &y.receipts_by_day {
            *by_month.entry(day.format("%Y-%m").to_string()).or_default() += *usd;
        }
        let by_month: BTreeMap<String, rust_decimal::Decimal> = by_month
            .into_iter()
            .map(|(m, usd)| (m, crate::tax::money(usd)))
            .collect();
        json!({
            "threshold_usd": params.threshold_usd,
            "warning_usd": params.warning_usd,
            "fx": y.fx,
            "standing": y.fx.as_ref().map(|f| f.standing.name()),
            "receipts_by_month": by_month,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enterprise_without_a_profile_gets_the_default_and_is_told_so() {
        let registry = Registry::shipped();
        let dxp = "DXPENT0000031415";
        let desk = TaxDesk::new(&Config::default(), registry, [dxp.to_string()]).unwrap();
        let f = &desk.by_dxp[dxp];
        assert_eq!(f.code, "4403966Z01");
        assert!(!f.configured);
        assert!(
            f.assumed[0].en.contains("small-scale") && f.assumed[0].zh.contains("小规模纳税人"),
            "{:?}",
            f.assumed
        );
        assert!(
            f.assumed[1].en.contains("深圳") && f.assumed[1].zh.contains("深圳综试区"),
            "{:?}",
            f.assumed
        );
        let e = &desk.book.enterprises[0];
        assert!(e.profile.periods[0].pilot_zone);
    }

    #[test]
    fn a_profile_naming_another_enterprise_is_refused() {
        let text = "[[enterprise]]\ndxp_id = \"DXPENT0000031415\"\ntoken = \"t\"\n\
            [enterprise.tax_profile]\ncode = \"3302966W21\"\n\
            [[enterprise.tax_profile.period]]\nfrom = \"2024-01-01\"\ntaxpayer = \"general\"\nkind = \"trading\"\n";
        let config: Config = toml::from_str(text).unwrap();
        let ids = config.enterprise.iter().map(|e| e.dxp_id.clone());
        let err = TaxDesk::new(&config, Registry::shipped(), ids)
            .err()
            .unwrap_or_default();
        assert!(err.contains("4403966Z01"), "{err}");
    }
}
