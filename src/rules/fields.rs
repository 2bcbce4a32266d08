//! Field rules, by field name over any document: empty mandatory values, code-table
//! membership, enterprise codes, GUIDs and the integer digits of N19,5 values.

use super::{Context, Out, Place, parties};
use crate::model::MessageType;
use crate::model::codes::{CodeTable, entries, lookup};
use crate::model::ids::{
    EnterpriseCode, GuidCase, check_customs_code, check_guid, check_uscc, classify_enterprise_code,
};
use crate::model::schema::{Element, Kind, Member, Schema, View, xpath_step};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Mandatory strings that may legitimately be empty.
const MAY_BE_EMPTY: &[&str] = &["itemNameFlag", "note", "returnInfo", "loctNo"];

/// Fields holding enterprise codes.
const ENTERPRISE_CODES: &[&str] = &[
    "ebpCode",
    "ebcCode",
    "logisticsCode",
    "agentCode",
    "ownerCode",
    "payCode",
    "operatorCode",
    "copCode",
    "declAgentCode",
    "iacCode",
];

/// The code table a field's value must come from.
fn table_of(field: &str) -> Option<CodeTable> {
    Some(match field {
        "currency" | "fCurrency" | "iCurrency" => CodeTable::Currency,
        "country" => CodeTable::Country,
        "unit" | "unit1" | "unit2" => CodeTable::Unit,
        "trafMode" => CodeTable::TransportMode,
        "wrapType" => CodeTable::Packaging,
        "appType" => CodeTable::AppType,
        "appStatus" => CodeTable::AppStatus,
        "orderType" => CodeTable::OrderType,
        "statisticsFlag" => CodeTable::StatisticsFlag,
        "ieFlag" => CodeTable::IeFlag,
        "summaryFlag" => CodeTable::SummaryFlag,
        _ => return None,
    })
}

/// What the field rules do with one member, worked out once per element type.
#[derive(Debug, Clone, Copy)]
struct FieldRule {
    kind: FieldKind,
    /// Mandatory text that may not be empty.
    must_fill: bool,
}

#[derive(Debug, Clone, Copy)]
enum FieldKind {
    Plain,
    Table(CodeTable),
    District,
    Enterprise,
    Guid,
}

fn classify(m: &Member) -> FieldRule {
    let kind = if let Some(table) = table_of(m.name) {
        FieldKind::Table(table)
    } else if matches!(m.name, "customsCode" | "portCode") {
        FieldKind::District
    } else if ENTERPRISE_CODES.contains(&m.name) {
        FieldKind::Enterprise
    } else if m.name == "guid" {
        FieldKind::Guid
    } else {
        FieldKind::Plain
    };
    let must_fill =
        m.min > 0 && matches!(m.kind, Kind::Text { .. }) && !MAY_BE_EMPTY.contains(&m.name);
    FieldRule { kind, must_fill }
}

/// The field rules of every member of `schema`, by member index. Classifying by name costs a
/// string comparison per rule and field, so it is done once for every element type.
fn rules_of(schema: &'static Schema) -> Option<&'static [FieldRule]> {
    // Keyed by element name: names are unique in the customs namespace, while the address of
    // a schema constant is not guaranteed to be.
    static CACHE: OnceLock<HashMap<&'static str, Vec<FieldRule>>> = OnceLock::new();
    fn add(schema: &'static Schema, cache: &mut HashMap<&'static str, Vec<FieldRule>>) {
        if cache.contains_key(&key(schema)) {
            return;
        }
        cache.insert(key(schema), schema.members.iter().map(classify).collect());
        for m in schema.members {
            if let Kind::Record(child) = m.kind {
                add(child, cache);
            }
        }
    }
    fn key(schema: &'static Schema) -> &'static str {
        schema.name
    }
    let cache = CACHE.get_or_init(|| {
        let mut cache = HashMap::new();
        for t in MessageType::ALL {
            add(t.schema(), &mut cache);
        }
        cache
    });
    cache.get(&key(schema)).map(Vec::as_slice)
}

/// Walks every simple value of `el` (and its records), `path` being `el`'s XPath.
pub(super) fn check(el: &dyn Element<'_>, path: &str, ctx: &Context<'_>, out: &mut Out<'_>) {
    let schema = el.schema();
    let rules = rules_of(schema);
    for (i, m) in schema.members.iter().enumerate() {
        match el.view(i) {
            View::Text(v) => {
                let rule = rules
                    .and_then(|r| r.get(i).copied())
                    .unwrap_or_else(|| classify(m));
                text(m, rule, v, path, ctx, out);
            }
            View::Decimal(d) => decimal(m, d, path, out),
            View::Children(n) => {
                for k in 0..n {
                    if let Some(child) = el.child(i, k) {
                        let step = xpath_step(path, m.name, (m.max > 1).then_some(k + 1));
                        check(child, &step, ctx, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `parent` is the XPath of the record holding the field.
fn text(
    m: &Member,
    rule: FieldRule,
    value: &str,
    parent: &str,
    ctx: &Context<'_>,
    out: &mut Out<'_>,
) {
    let field = m.name;
    let path = &Place(parent, field);
    if is_blank(value) {
        if rule.must_fill {
            out.report(
                "FIELD-EMPTY",
                path.to_string(),
                &[],
                String::new(),
                format!("{field} ({})", m.doc),
                format!("{field}（{}）为空。", m.doc),
                format!("{field} ({}) is empty.", m.doc),
            );
        }
        return;
    }
    match rule.kind {
        FieldKind::Plain => {}
        FieldKind::Table(table) => {
            if lookup(table, value).is_none() {
                code_not_in_table(field, value, table, path, out);
            }
        }
        FieldKind::District => {
            if !is_customs_district(value) {
                out.report(
                    "CODE-VALUE",
                    path.to_string(),
                    &[],
                    value.to_string(),
                    "a 4-digit customs code (关区代码), e.g. 5349".into(),
                    format!("{field} 的值“{value}”不是4位数字关区代码。"),
                    format!("{field} \"{value}\" is not a 4-digit customs code."),
                );
            }
        }
        FieldKind::Enterprise => {
            if enterprise_code(field, value, path, out) {
                parties::registered(field, value, path, ctx, out);
            }
        }
        FieldKind::Guid => guid(value, path, out),
    }
}

/// Blank without trimming the common case: a value starting with a visible character.
fn is_blank(value: &str) -> bool {
    value
        .bytes()
        .next()
        .is_none_or(|b| b.is_ascii_whitespace() || !b.is_ascii())
        && value.trim().is_empty()
}

fn code_not_in_table(
    field: &str,
    value: &str,
    table: CodeTable,
    path: &Place<'_>,
    out: &mut Out<'_>,
) {
    // Letters where the customs table has numbers: name the customs code (CNY → 142).
    let hint = entries(table)
        .iter()
        .find(|e| !e.extra.is_empty() && e.extra.eq_ignore_ascii_case(value))
        .map(|e| {
            (
                format!("（应填 {}，{}）", e.code, e.name_zh),
                format!(" (use {}, {})", e.code, e.name_en),
            )
        });
    let (hint_zh, hint_en) = hint.unwrap_or_default();
    out.report(
        "CODE-VALUE",
        path.to_string(),
        &[],
        value.to_string(),
        format!("a code of the customs {} table", table.name()),
        format!(
            "{field} 的值“{value}”不在海关{}代码表中{hint_zh}。",
            table_zh(table)
        ),
        format!(
            "{field} \"{value}\" is not in the customs {} table{hint_en}.",
            table.name()
        ),
    );
}

fn table_zh(table: CodeTable) -> &'static str {
    match table {
        CodeTable::Currency => "币制",
        CodeTable::Country => "国别（地区）",
        CodeTable::Unit => "计量单位",
        CodeTable::TransportMode => "运输方式",
        CodeTable::Packaging => "包装种类",
        CodeTable::TradeMode => "监管方式",
        CodeTable::CustomsDistrict => "关区",
        CodeTable::OrderType => "订单类型",
        CodeTable::AppType => "报送类型",
        CodeTable::AppStatus => "业务状态",
        CodeTable::StatisticsFlag => "申报业务类型",
        CodeTable::FeeFlag => "费用标志",
        CodeTable::IeFlag => "进出口标记",
        CodeTable::SummaryFlag => "汇总申请类型",
        CodeTable::SubscribeStatus => "订阅状态",
        CodeTable::ReturnStatus => "回执状态",
    }
}

fn is_customs_district(value: &str) -> bool {
    value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit())
}

/// Reports a malformed enterprise code; true when the code is well-formed (and so worth
/// looking up in the registry).
fn enterprise_code(field: &str, value: &str, path: &Place<'_>, out: &mut Out<'_>) -> bool {
    let (code, expected, zh, en) = match classify_enterprise_code(value) {
        EnterpriseCode::Uscc => match check_uscc(value) {
            Ok(()) => return true,
            Err(e) => ("ID-USCC", e.expected(), e.zh(), e.en()),
        },
        EnterpriseCode::Customs => match check_customs_code(value) {
            Ok(()) => return true,
            Err(e) => ("ID-CUSTOMS-CODE", e.expected(), e.zh(), e.en()),
        },
        // 无 only for a foreign platform, NO only for an unregistered producer.
        EnterpriseCode::Placeholder if placeholder_allowed(field, value) => return false,
        EnterpriseCode::Placeholder | EnterpriseCode::Unknown => (
            "ID-ENTERPRISE-CODE",
            "a 10-character customs code or an 18-character unified social credit code".to_string(),
            format!("值“{value}”既不是10位海关注册编码，也不是18位统一社会信用代码。"),
            format!(
                "\"{value}\" is neither a 10-character customs code nor an 18-character unified social credit code."
            ),
        ),
    };
    out.report(
        code,
        path.to_string(),
        &[],
        value.to_string(),
        expected,
        format!("{field}：{zh}"),
        format!("{field}: {en}"),
    );
    false
}

fn placeholder_allowed(field: &str, value: &str) -> bool {
    matches!((field, value), ("ebpCode", "无") | ("ownerCode", "NO"))
}

fn guid(value: &str, path: &Place<'_>, out: &mut Out<'_>) {
    let example = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94";
    match check_guid(value) {
        Ok(GuidCase::Upper) => {}
        Ok(GuidCase::Lower) => out.report(
            "ID-GUID-CASE",
            path.to_string(),
            &[],
            value.to_string(),
            format!("upper-case letters, e.g. {example}"),
            format!("guid“{value}”含小写字母。"),
            format!("guid \"{value}\" has lower-case letters."),
        ),
        Err(e) => out.report(
            "ID-GUID",
            path.to_string(),
            &[],
            value.to_string(),
            format!("36 characters 8-4-4-4-12 hexadecimal, e.g. {example}"),
            format!("guid“{value}”{}", e.zh()),
            format!("guid \"{value}\": {}", e.en()),
        ),
    }
}

fn decimal(m: &Member, value: &Decimal, parent: &str, out: &mut Out<'_>) {
    let path = &Place(parent, m.name);
    // N19,5: 19 digits of which 5 decimals, so at most 14 before the point.
    let limit = Decimal::from(100_000_000_000_000i64);
    if value.abs() >= limit {
        out.report(
            "NUM-INTEGER-DIGITS",
            path.to_string(),
            &[],
            value.to_string(),
            "at most 14 digits before the decimal point".into(),
            format!("{}（{}）的值 {value} 整数部分超过14位。", m.name, m.doc),
            format!(
                "{} ({}) {value} has more than 14 digits before the point.",
                m.name, m.doc
            ),
        );
    }
}
