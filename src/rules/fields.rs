//! Field rules, by field name over any document: empty mandatory values, code-table
//! membership, enterprise codes, GUIDs and the integer digits of N19,5 values.

use super::{Out, Place};
use crate::model::codes::{CodeTable, lookup};
use crate::model::ids::{
    EnterpriseCode, GuidCase, check_customs_code, check_guid, check_uscc, classify_enterprise_code,
};
use crate::model::schema::{Element, Kind, Member, View};
use rust_decimal::Decimal;

/// Mandatory strings that may legitimately be empty.
const MAY_BE_EMPTY: &[&str] = &["itemNameFlag", "note", "returnInfo", "loctNo"];

/// Fields holding enterprise codes.
pub(super) const ENTERPRISE_CODES: &[&str] = &[
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

/// Walks every simple value of `el` (and its records), `path` being `el`'s XPath.
pub(super) fn check(el: &dyn Element<'_>, path: &str, out: &mut Out<'_>) {
    let schema = el.schema();
    for (i, m) in schema.members.iter().enumerate() {
        match el.view(i) {
            View::Text(v) => text(m, v, path, out),
            View::Decimal(d) => decimal(m, d, path, out),
            View::Children(n) => {
                for k in 0..n {
                    if let Some(child) = el.child(i, k) {
                        let step = if m.max > 1 {
                            format!("{path}/{}[{}]", m.name, k + 1)
                        } else {
                            format!("{path}/{}", m.name)
                        };
                        check(child, &step, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `parent` is the XPath of the record holding the field.
fn text(m: &Member, value: &str, parent: &str, out: &mut Out<'_>) {
    let field = m.name;
    let path = &Place(parent, field);
    if value.trim().is_empty() {
        if m.min > 0 && matches!(m.kind, Kind::Text { .. }) && !MAY_BE_EMPTY.contains(&field) {
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
    if let Some(table) = table_of(field) {
        if lookup(table, value).is_none() {
            out.report(
                "CODE-VALUE",
                path.to_string(),
                &[],
                value.to_string(),
                format!("a code of the customs {} table", table.name()),
                format!("{field} 的值“{value}”不在海关{}代码表中。", table.name()),
                format!(
                    "{field} \"{value}\" is not in the customs {} table.",
                    table.name()
                ),
            );
        }
    } else if matches!(field, "customsCode" | "portCode") && !is_customs_district(value) {
        out.report(
            "CODE-VALUE",
            path.to_string(),
            &[],
            value.to_string(),
            "a 4-digit customs code (关区代码), e.g. 5349".into(),
            format!("{field} 的值“{value}”不是4位数字关区代码。"),
            format!("{field} \"{value}\" is not a 4-digit customs code."),
        );
    } else if ENTERPRISE_CODES.contains(&field) {
        enterprise_code(field, value, path, out);
    } else if field == "guid" {
        guid(value, path, out);
    }
}

fn is_customs_district(value: &str) -> bool {
    value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit())
}

fn enterprise_code(field: &str, value: &str, path: &Place<'_>, out: &mut Out<'_>) {
    match classify_enterprise_code(value) {
        EnterpriseCode::Uscc => {
            if let Err(e) = check_uscc(value) {
                out.report(
                    "ID-USCC",
                    path.to_string(),
                    &[],
                    value.to_string(),
                    e.expected(),
                    format!("{field}：{}", e.zh()),
                    format!("{field}: {}", e.en()),
                );
            }
        }
        EnterpriseCode::Customs => {
            if let Err(e) = check_customs_code(value) {
                out.report(
                    "ID-CUSTOMS-CODE",
                    path.to_string(),
                    &[],
                    value.to_string(),
                    e.expected(),
                    format!("{field}：{}", e.zh()),
                    format!("{field}: {}", e.en()),
                );
            }
        }
        // 无 only for a foreign platform, NO only for an unregistered producer.
        EnterpriseCode::Placeholder if placeholder_allowed(field, value) => {}
        EnterpriseCode::Placeholder | EnterpriseCode::Unknown => out.report(
            "ID-ENTERPRISE-CODE",
            path.to_string(),
            &[],
            value.to_string(),
            "a 10-character customs code or an 18-character unified social credit code".into(),
            format!("{field} 的值“{value}”既不是10位海关注册编码，也不是18位统一社会信用代码。"),
            format!(
                "{field} \"{value}\" is neither a 10-character customs code nor an 18-character unified social credit code."
            ),
        ),
    }
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
