//! The shipped code tables (`seeds/codes/*.csv`): shape of every file, and spot checks of facts
//! taken from the CEB reference (§3) so a wrong edit of the data fails here.

use single_window::model::codes::{CodeEntry, CodeTable, contains, entries, lookup, split_record};
use std::collections::HashSet;
use std::path::Path;

fn get(table: CodeTable, code: &str) -> &'static CodeEntry {
    lookup(table, code).unwrap_or_else(|| panic!("{} {code} missing", table.name()))
}

#[test]
fn every_table_is_well_formed() {
    for table in CodeTable::ALL {
        let file = table.file_name();
        let mut lines = table.source().lines();
        let header = lines.next().unwrap_or_default();
        let expected_header = match table.extra_column() {
            Some(extra) => format!("code,name_zh,name_en,{extra}"),
            None => "code,name_zh,name_en".to_string(),
        };
        assert_eq!(header, expected_header, "{file}: header");
        let columns = if table.extra_column().is_some() { 4 } else { 3 };

        let mut codes = HashSet::new();
        let mut rows = 0;
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            assert!(!line.trim().is_empty(), "{file}:{n}: blank line");
            assert!(!line.ends_with('\r'), "{file}:{n}: CRLF line ending");
            let fields = split_record(line).unwrap_or_else(|| panic!("{file}:{n}: malformed"));
            assert_eq!(fields.len(), columns, "{file}:{n}: column count");
            let code = &fields[0];
            assert!(!code.is_empty(), "{file}:{n}: empty code");
            assert_eq!(code.trim(), code, "{file}:{n}: code has surrounding spaces");
            assert!(!fields[1].trim().is_empty(), "{file}:{n}: empty name_zh");
            assert!(!fields[2].trim().is_empty(), "{file}:{n}: empty name_en");
            assert!(
                codes.insert(code.to_string()),
                "{file}:{n}: duplicate code {code}"
            );
            rows += 1;
        }
        assert!(rows > 0, "{file}: no rows");
        // Nothing was skipped by the runtime parser, and every row is found again.
        assert_eq!(entries(table).len(), rows, "{file}: parsed row count");
        for code in &codes {
            assert_eq!(
                get(table, code).code,
                code.as_str(),
                "{file}: lookup {code}"
            );
        }
    }
}

#[test]
fn embedded_text_matches_the_files_on_disk() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/codes");
    for table in CodeTable::ALL {
        let on_disk = std::fs::read_to_string(dir.join(table.file_name()))
            .unwrap_or_else(|e| panic!("{}: {e}", table.file_name()));
        assert_eq!(on_disk, table.source(), "{}", table.file_name());
    }
}

#[test]
fn entries_are_sorted_for_binary_search() {
    for table in CodeTable::ALL {
        let rows = entries(table);
        assert!(
            rows.windows(2).all(|w| w[0].code < w[1].code),
            "{} not strictly sorted",
            table.name()
        );
    }
}

#[test]
fn names_and_files_are_distinct() {
    let files: HashSet<_> = CodeTable::ALL.iter().map(|t| t.file_name()).collect();
    let names: HashSet<_> = CodeTable::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(files.len(), CodeTable::ALL.len());
    assert_eq!(names.len(), CodeTable::ALL.len());
    assert_eq!(CodeTable::Currency.file_name(), "currency.csv");
    assert_eq!(CodeTable::Currency.name(), "currency");
}

#[test]
fn currency_facts() {
    let cny = get(CodeTable::Currency, "142");
    assert_eq!((cny.name_zh, cny.extra), ("人民币", "CNY"));
    assert_eq!(get(CodeTable::Currency, "502").extra, "USD");
    assert_eq!(get(CodeTable::Currency, "303").extra, "GBP");
    assert_eq!(get(CodeTable::Currency, "116").extra, "JPY");
    assert_eq!(get(CodeTable::Currency, "300").extra, "EUR");
    assert_eq!(entries(CodeTable::Currency).len(), 23);
}

#[test]
fn country_facts() {
    assert_eq!(get(CodeTable::Country, "142").name_en, "China");
    assert_eq!(get(CodeTable::Country, "303").name_en, "United Kingdom");
    assert_eq!(get(CodeTable::Country, "502").name_en, "United States");
    assert_eq!(get(CodeTable::Country, "110").name_zh, "中国香港");
    // Values seen in real CEB messages.
    for code in ["312", "110", "303", "116", "136"] {
        assert!(contains(CodeTable::Country, code), "country {code}");
    }
}

#[test]
fn unit_facts() {
    assert_eq!(get(CodeTable::Unit, "011").name_zh, "件");
    assert_eq!(get(CodeTable::Unit, "035").name_zh, "千克");
    assert_eq!(get(CodeTable::Unit, "122").name_zh, "罐");
    // The wrong mapping the reference warns about (013 根, 023 箱, 038 吨) must not be used.
    assert_eq!(get(CodeTable::Unit, "013").name_zh, "枝");
    assert_eq!(get(CodeTable::Unit, "023").name_zh, "幅");
    assert_eq!(get(CodeTable::Unit, "038").name_zh, "万个");
    assert_eq!(get(CodeTable::Unit, "038").name_en, "10,000 pieces");
    assert!(!contains(CodeTable::Unit, "11"), "codes are zero-padded");
}

#[test]
fn transport_and_packaging_facts() {
    assert_eq!(get(CodeTable::TransportMode, "5").name_zh, "航空运输");
    assert!(
        get(CodeTable::TransportMode, "5")
            .name_en
            .to_lowercase()
            .contains("air")
    );
    assert_eq!(get(CodeTable::TransportMode, "4").name_zh, "公路运输");
    assert_eq!(get(CodeTable::Packaging, "2").name_zh, "纸箱");
}

#[test]
fn trade_mode_facts() {
    for code in ["9610", "1210", "9710", "9810"] {
        assert_eq!(get(CodeTable::TradeMode, code).extra, "export", "{code}");
    }
    for code in ["9661", "1261"] {
        assert_eq!(get(CodeTable::TradeMode, code).extra, "return", "{code}");
    }
    assert_eq!(entries(CodeTable::TradeMode).len(), 6);
}

#[test]
fn return_status_facts() {
    let concluded = get(CodeTable::ReturnStatus, "399");
    assert_eq!(
        (concluded.name_zh, concluded.extra),
        ("海关审结", "concluded")
    );
    let released = get(CodeTable::ReturnStatus, "800");
    assert_eq!((released.name_zh, released.extra), ("放行", "released"));
    assert_eq!(get(CodeTable::ReturnStatus, "100").extra, "rejected");
    assert_eq!(get(CodeTable::ReturnStatus, "899").name_zh, "结关");
    for code in ["501", "502", "503", "599"] {
        assert_eq!(
            get(CodeTable::ReturnStatus, code).extra,
            "detained",
            "{code}"
        );
    }
    assert_eq!(get(CodeTable::ReturnStatus, "700").extra, "returned");
    // In neither spec; one client's constant list only.
    assert!(
        get(CodeTable::ReturnStatus, "400")
            .name_en
            .contains("(unverified)")
    );
    const STAGES: [&str; 15] = [
        "draft",
        "eport",
        "sent",
        "failed",
        "rejected",
        "stored",
        "review",
        "concluded",
        "inspection",
        "transferred",
        "suspended",
        "released",
        "closed",
        "detained",
        "returned",
    ];
    for e in entries(CodeTable::ReturnStatus) {
        assert!(STAGES.contains(&e.extra), "{}: stage {}", e.code, e.extra);
        assert!(
            !e.code.starts_with('-'),
            "negative codes are ranges, not rows"
        );
    }
}

#[test]
fn customs_district_facts() {
    assert_eq!(get(CodeTable::CustomsDistrict, "5314").name_zh, "深关邮办");
    assert_eq!(get(CodeTable::CustomsDistrict, "5300").name_zh, "深圳海关");
    assert!(
        entries(CodeTable::CustomsDistrict)
            .iter()
            .all(|e| e.code.len() == 4)
    );
}

#[test]
fn small_flag_tables() {
    let codes = |t: CodeTable| -> Vec<&str> { entries(t).iter().map(|e| e.code).collect() };
    assert_eq!(codes(CodeTable::OrderType), ["B", "E", "W"]);
    assert_eq!(codes(CodeTable::AppType), ["1", "2", "3"]);
    assert_eq!(codes(CodeTable::AppStatus), ["1", "2"]);
    assert_eq!(codes(CodeTable::StatisticsFlag), ["A", "B"]);
    assert_eq!(codes(CodeTable::FeeFlag), ["1", "2", "3"]);
    assert_eq!(codes(CodeTable::IeFlag), ["E", "I"]);
    assert_eq!(codes(CodeTable::SummaryFlag), ["1", "2"]);
    assert_eq!(codes(CodeTable::SubscribeStatus), ["ALL", "DATA", "RET"]);
    assert_eq!(get(CodeTable::AppType, "2").name_zh, "变更");
    assert_eq!(get(CodeTable::AppStatus, "1").name_zh, "暂存");
}

#[test]
fn unknown_codes_are_none() {
    assert!(lookup(CodeTable::Currency, "999").is_none());
    assert!(lookup(CodeTable::Currency, "CNY").is_none());
    assert!(lookup(CodeTable::Unit, "").is_none());
    assert!(lookup(CodeTable::TradeMode, "1239").is_none());
    assert!(!contains(CodeTable::ReturnStatus, "-1"));
    assert!(
        !contains(CodeTable::OrderType, "e"),
        "codes are case-sensitive"
    );
}
