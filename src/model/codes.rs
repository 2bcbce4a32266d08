//! The customs code tables (currency, country, unit, trade mode, receipt status, …) shipped as
//! CSV under `seeds/codes/` and embedded in the binary, so checks and generators need no files
//! at run time and the data stays reviewable as plain text.

use std::borrow::Cow;
use std::sync::OnceLock;

/// One shipped code table; each maps to one CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeTable {
    Currency,
    Country,
    Unit,
    TransportMode,
    Packaging,
    TradeMode,
    CustomsDistrict,
    OrderType,
    AppType,
    AppStatus,
    StatisticsFlag,
    FeeFlag,
    IeFlag,
    SummaryFlag,
    SubscribeStatus,
    ReturnStatus,
}

impl CodeTable {
    /// Every table, in declaration order (also the index into the parsed cache).
    pub const ALL: [CodeTable; 16] = [
        CodeTable::Currency,
        CodeTable::Country,
        CodeTable::Unit,
        CodeTable::TransportMode,
        CodeTable::Packaging,
        CodeTable::TradeMode,
        CodeTable::CustomsDistrict,
        CodeTable::OrderType,
        CodeTable::AppType,
        CodeTable::AppStatus,
        CodeTable::StatisticsFlag,
        CodeTable::FeeFlag,
        CodeTable::IeFlag,
        CodeTable::SummaryFlag,
        CodeTable::SubscribeStatus,
        CodeTable::ReturnStatus,
    ];

    /// The CSV's file name under `seeds/codes/`.
    pub fn file_name(self) -> &'static str {
        match self {
            CodeTable::Currency => "currency.csv",
            CodeTable::Country => "country.csv",
            CodeTable::Unit => "unit.csv",
            CodeTable::TransportMode => "transport_mode.csv",
            CodeTable::Packaging => "packaging.csv",
            CodeTable::TradeMode => "trade_mode.csv",
            CodeTable::CustomsDistrict => "customs_district.csv",
            CodeTable::OrderType => "order_type.csv",
            CodeTable::AppType => "app_type.csv",
            CodeTable::AppStatus => "app_status.csv",
            CodeTable::StatisticsFlag => "statistics_flag.csv",
            CodeTable::FeeFlag => "fee_flag.csv",
            CodeTable::IeFlag => "ie_flag.csv",
            CodeTable::SummaryFlag => "summary_flag.csv",
            CodeTable::SubscribeStatus => "subscribe_status.csv",
            CodeTable::ReturnStatus => "return_status.csv",
        }
    }

    /// A short English name for messages and CLI output.
    pub fn name(self) -> &'static str {
        match self {
            CodeTable::Currency => "currency",
            CodeTable::Country => "country",
            CodeTable::Unit => "unit",
            CodeTable::TransportMode => "transport mode",
            CodeTable::Packaging => "packaging",
            CodeTable::TradeMode => "trade mode",
            CodeTable::CustomsDistrict => "customs district",
            CodeTable::OrderType => "order type",
            CodeTable::AppType => "application type",
            CodeTable::AppStatus => "application status",
            CodeTable::StatisticsFlag => "statistics flag",
            CodeTable::FeeFlag => "fee flag",
            CodeTable::IeFlag => "import/export flag",
            CodeTable::SummaryFlag => "summary flag",
            CodeTable::SubscribeStatus => "subscribe status",
            CodeTable::ReturnStatus => "return status",
        }
    }

    /// The name of the optional 4th column, if this table has one.
    pub fn extra_column(self) -> Option<&'static str> {
        match self {
            CodeTable::Currency => Some("iso"),
            CodeTable::TradeMode => Some("kind"),
            CodeTable::ReturnStatus => Some("stage"),
            _ => None,
        }
    }

    /// The embedded CSV text, exposed so tests can validate exactly what ships.
    pub fn source(self) -> &'static str {
        match self {
            CodeTable::Currency => include_str!("../../seeds/codes/currency.csv"),
            CodeTable::Country => include_str!("../../seeds/codes/country.csv"),
            CodeTable::Unit => include_str!("../../seeds/codes/unit.csv"),
            CodeTable::TransportMode => include_str!("../../seeds/codes/transport_mode.csv"),
            CodeTable::Packaging => include_str!("../../seeds/codes/packaging.csv"),
            CodeTable::TradeMode => include_str!("../../seeds/codes/trade_mode.csv"),
            CodeTable::CustomsDistrict => include_str!("../../seeds/codes/customs_district.csv"),
            CodeTable::OrderType => include_str!("../../seeds/codes/order_type.csv"),
            CodeTable::AppType => include_str!("../../seeds/codes/app_type.csv"),
            CodeTable::AppStatus => include_str!("../../seeds/codes/app_status.csv"),
            CodeTable::StatisticsFlag => include_str!("../../seeds/codes/statistics_flag.csv"),
            CodeTable::FeeFlag => include_str!("../../seeds/codes/fee_flag.csv"),
            CodeTable::IeFlag => include_str!("../../seeds/codes/ie_flag.csv"),
            CodeTable::SummaryFlag => include_str!("../../seeds/codes/summary_flag.csv"),
            CodeTable::SubscribeStatus => include_str!("../../seeds/codes/subscribe_status.csv"),
            CodeTable::ReturnStatus => include_str!("../../seeds/codes/return_status.csv"),
        }
    }
}

/// One row of a code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeEntry {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// The table's 4th column (`iso`, `kind` or `stage`), or `""` when it has none.
    pub extra: &'static str,
}

/// Parsed tables, indexed like `CodeTable::ALL`; filled lazily so unused tables cost nothing.
static TABLES: [OnceLock<Vec<CodeEntry>>; CodeTable::ALL.len()] =
    [const { OnceLock::new() }; CodeTable::ALL.len()];

/// All rows of a table, sorted by code.
pub fn entries(table: CodeTable) -> &'static [CodeEntry] {
    TABLES[table as usize].get_or_init(|| parse_table(table.source()))
}

/// The row for `code`, found by binary search so lookups never allocate.
pub fn lookup(table: CodeTable, code: &str) -> Option<&'static CodeEntry> {
    let rows = entries(table);
    rows.binary_search_by(|e| e.code.cmp(code))
        .ok()
        .and_then(|i| rows.get(i))
}

/// Whether `code` is in the table.
pub fn contains(table: CodeTable, code: &str) -> bool {
    lookup(table, code).is_some()
}

/// Parses a whole embedded CSV (header first). Rows that are malformed or have fewer than three
/// fields are skipped rather than panicking: the data is ours and the tests reject such rows.
/// Duplicate codes keep their first row so the binary search stays deterministic.
fn parse_table(text: &'static str) -> Vec<CodeEntry> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<CodeEntry> = text
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .filter_map(split_record)
        .filter_map(|fields| {
            let mut it = fields.into_iter().map(leak);
            Some(CodeEntry {
                code: it.next()?,
                name_zh: it.next()?,
                name_en: it.next()?,
                extra: it.next().unwrap_or(""),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(b.code));
    rows.dedup_by(|later, earlier| later.code == earlier.code);
    rows
}

/// Turns a field into a `'static` string. Only fields that contained a doubled quote own their
/// text; leaking them is bounded because each table is parsed once.
fn leak(field: Cow<'static, str>) -> &'static str {
    match field {
        Cow::Borrowed(s) => s,
        Cow::Owned(s) => Box::leak(s.into_boxed_str()),
    }
}

/// Splits one RFC 4180 record (one line; a trailing `\r` is ignored) into its fields.
/// Quoted fields may hold commas and `""` for a quote; fields borrow from `line` unless they
/// contain such an escape. `None` for a malformed line: an unterminated quote, text after a
/// closing quote, or a bare quote inside an unquoted field.
pub fn split_record(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let (field, after) = quoted_field(quoted)?;
            fields.push(field);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Some(fields),
                None => return None,
            }
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let (field, after) = rest.split_at(end);
            if field.contains('"') {
                return None;
            }
            fields.push(Cow::Borrowed(field));
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None => return Some(fields),
            }
        }
    }
}

/// Reads a quoted field's body (after its opening quote); returns it and the text after the
/// closing quote.
fn quoted_field(body: &str) -> Option<(Cow<'_, str>, &str)> {
    let mut owned: Option<String> = None;
    let mut start = 0;
    loop {
        let q = start + body.get(start..)?.find('"')?;
        if body.get(q + 1..q + 2) == Some("\"") {
            owned
                .get_or_insert_with(String::new)
                .push_str(body.get(start..=q)?);
            start = q + 2;
        } else {
            let tail = body.get(start..q)?;
            let after = body.get(q + 1..)?;
            let field = match owned {
                Some(mut s) => {
                    s.push_str(tail);
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(tail),
            };
            return Some((field, after));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_indexed_by_discriminant() {
        for (i, table) in CodeTable::ALL.iter().enumerate() {
            assert_eq!(*table as usize, i);
        }
    }

    #[test]
    fn quoted_fields_keep_commas_and_doubled_quotes() {
        let fields = split_record("038,万个,\"10,000 \"\"pieces\"\"\",x\r").expect("well-formed");
        assert_eq!(fields, ["038", "万个", "10,000 \"pieces\"", "x"]);
        assert!(matches!(fields[1], Cow::Borrowed(_)));
        assert!(matches!(fields[2], Cow::Owned(_)));
    }

    #[test]
    fn quoted_field_without_escapes_borrows() {
        let fields = split_record("\"a,b\",\"\",c").expect("well-formed");
        assert_eq!(fields, ["a,b", "", "c"]);
        assert!(fields.iter().all(|f| matches!(f, Cow::Borrowed(_))));
    }

    #[test]
    fn empty_fields_are_kept() {
        assert_eq!(split_record("398,x,y,").expect("ok"), ["398", "x", "y", ""]);
        assert_eq!(split_record("").expect("ok"), [""]);
    }

    #[test]
    fn malformed_records_are_refused() {
        assert_eq!(split_record("a,\"unterminated"), None);
        assert_eq!(split_record("a,\"b\"c,d"), None);
        assert_eq!(split_record("a,b\"c"), None);
    }

    #[test]
    fn short_and_malformed_rows_are_skipped_not_fatal() {
        let rows = parse_table(
            "code,name_zh,name_en\nB,乙,b\nonly,two\nA,甲,\"a \"\"x\"\"\"\n\"bad\nA,dup,dup\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].code, "A");
        assert_eq!(rows[0].name_en, "a \"x\"");
        assert_eq!(rows[1].code, "B");
        assert_eq!(rows[1].extra, "");
    }
}
