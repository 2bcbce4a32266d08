//! The enterprise registry: the shipped seed file, the code formats it uses, and the
//! errors a user's registry file can produce.

use single_window::model::registry::{Enterprise, Registry, RegistryError, Role, SHIPPED_TOML};
use std::collections::BTreeSet;
use std::path::Path;

fn parse(text: &str) -> Result<Registry, RegistryError> {
    Registry::from_toml(text, "test.toml")
}

/// The error and its sources, as `{:#}` prints them.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

fn enterprise(code: &str, roles: &[Role]) -> Enterprise {
    Enterprise {
        code: code.to_owned(),
        name: format!("测试企业{code}"),
        roles: roles.to_vec(),
        dxp_id: None,
        customs: None,
        pilot_zone: None,
        filings: Vec::new(),
        agents: Vec::new(),
    }
}

// --- Code formats, re-implemented here on purpose (independent of src/model/ids.rs) ---

const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// GB 32100 unified social credit code, including the embedded GB 11714 organisation code.
fn is_valid_uscc(code: &str) -> bool {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let Some(values) = chars
        .iter()
        .map(|&c| USCC_ALPHABET.find(c).map(|i| i as u32))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let sum: u32 = values[..17]
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    if (31 - sum % 31) % 31 != values[17] {
        return false;
    }
    // Positions 9-17: organisation code, its own check character last.
    let org = &chars[8..17];
    let org_sum: u32 = org[..8]
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(c, w)| c.to_digit(36).expect("alphabet is base-36") * w)
        .sum();
    let expected = match 11 - org_sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).expect("digit"),
    };
    org[8] == expected
}

/// 10-char customs registration code: region digits, zone type, enterprise type, sequence.
fn is_valid_customs_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b"123459".contains(&b[4])
        && (b'1'..=b'9').contains(&b[5])
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

#[test]
fn code_checkers_accept_known_codes_and_reject_altered_ones() {
    for good in [
        "9144030071526726XG",
        "91440300MA5F3K2P8K",
        "91440300MA5G7T1R5T",
    ] {
        assert!(is_valid_uscc(good), "{good}");
    }
    // Wrong final check, wrong organisation-code check, letter outside the alphabet, length.
    for bad in [
        "9144030071526726XH",
        "91440300MA5F3K2P7K",
        "91440300MA5F3K2POK",
        "91440300MA5F3K2P8",
    ] {
        assert!(!is_valid_uscc(bad), "{bad}");
    }
    assert!(is_valid_customs_code("4403966Z01"));
    for bad in [
        "4403066Z01",
        "4403906Z01",
        "4403966z01",
        "440396Z01",
        "A403966Z01",
    ] {
        assert!(!is_valid_customs_code(bad), "{bad}");
    }
}

// --- The shipped registry ---

#[test]
fn shipped_registry_parses() {
    let parsed = Registry::from_toml(SHIPPED_TOML, "seeds/enterprises.toml")
        .unwrap_or_else(|e| panic!("shipped registry must parse: {e}"));
    assert!(parsed.len() >= 12, "only {} enterprises", parsed.len());
    // `shipped()` falls back to empty on failure; make sure it did not.
    assert_eq!(Registry::shipped().len(), parsed.len());
    assert!(!Registry::shipped().is_empty());
    assert_eq!(Registry::shipped().enterprises(), parsed.enterprises());
}

#[test]
fn shipped_registry_has_the_example_enterprises() {
    use Role::*;
    let reg = Registry::shipped();
    let expected: [(&str, &str, &[Role]); 6] = [
        (
            "4403966Z01",
            "深圳市海贸优选电子商务有限公司",
            &[Platform, Ecommerce],
        ),
        ("4403946L02", "深圳市速邮国际物流有限公司", &[Logistics]),
        ("4403968A03", "深圳市通关宝报关有限公司", &[Agent, Broker]),
        ("4419966P04", "东莞市美家家居用品有限公司", &[Producer]),
        (
            "91440300MA5F3K2P8K",
            "深圳市汇付通支付服务有限公司",
            &[Payment],
        ),
        (
            "4403946S05",
            "深圳前海国际物流监管场所有限公司",
            &[Operator],
        ),
    ];
    for (code, name, roles) in expected {
        let e = reg
            .get(code)
            .unwrap_or_else(|| panic!("{code} missing from the shipped registry"));
        assert_eq!(e.code, code);
        assert_eq!(e.name, name, "{code}");
        let got: BTreeSet<Role> = e.roles.iter().copied().collect();
        let want: BTreeSet<Role> = roles.iter().copied().collect();
        assert_eq!(got, want, "roles of {code}");
        for role in Role::ALL {
            assert_eq!(
                reg.has_role(code, role),
                want.contains(&role),
                "{code} {role:?}"
            );
        }
    }
    let platform = reg.get("4403966Z01").unwrap();
    assert_eq!(platform.dxp_id.as_deref(), Some("DXPENT0000031415"));
    assert_eq!(platform.customs.as_deref(), Some("5349"));
    assert_eq!(platform.pilot_zone.as_deref(), Some("深圳"));
}

#[test]
fn shipped_codes_are_well_formed() {
    for e in Registry::shipped().enterprises() {
        let ok = match e.code.len() {
            10 => is_valid_customs_code(&e.code),
            18 => is_valid_uscc(&e.code),
            _ => false,
        };
        assert!(ok, "{} ({}) is not a valid enterprise code", e.code, e.name);
    }
    let uscc = Registry::shipped()
        .enterprises()
        .iter()
        .filter(|e| e.code.len() == 18)
        .count();
    assert!(uscc >= 3, "expected several USCC codes, found {uscc}");
}

#[test]
fn shipped_optional_fields_are_plausible() {
    let districts = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/codes/customs_district.csv"),
    )
    .expect("customs district table");
    let districts: BTreeSet<&str> = districts
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let reg = Registry::shipped();
    let mut with_dxp = 0;
    for e in reg.enterprises() {
        assert!(!e.roles.is_empty(), "{}", e.code);
        assert!(!e.name.is_empty(), "{}", e.code);
        if let Some(c) = &e.customs {
            assert!(
                districts.contains(c.as_str()),
                "{}: unknown customs {c}",
                e.code
            );
        }
        if let Some(id) = &e.dxp_id {
            with_dxp += 1;
            assert!(
                id.len() == 16
                    && id.starts_with("DXPENT")
                    && id[6..].bytes().all(|b| b.is_ascii_digit()),
                "{}: DXP id {id}",
                e.code
            );
            assert_eq!(reg.by_dxp_id(id).map(|x| &x.code), Some(&e.code));
        }
    }
    assert!(with_dxp >= 2, "some enterprises should transmit");
    assert!(
        with_dxp < reg.len(),
        "not every enterprise transmits itself"
    );
    let districts_used: BTreeSet<&str> = reg
        .enterprises()
        .iter()
        .filter_map(|e| e.customs.as_deref())
        .collect();
    assert!(districts_used.len() >= 5, "{districts_used:?}");
}

/// Every party code and DXP id in the valid example messages is registered for its role.
#[test]
fn example_messages_use_registered_parties() {
    let tags: [(&str, Option<Role>); 10] = [
        ("ebpCode", Some(Role::Platform)),
        ("ebcCode", Some(Role::Ecommerce)),
        ("logisticsCode", Some(Role::Logistics)),
        ("payCode", Some(Role::Payment)),
        ("agentCode", Some(Role::Agent)),
        ("operatorCode", Some(Role::Operator)),
        ("ownerCode", Some(Role::Producer)),
        ("declAgentCode", Some(Role::Broker)),
        ("copCode", None),
        ("dxpId", None),
    ];
    let reg = Registry::shipped();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/messages/valid");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("valid seeds") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "xml") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("readable seed");
        // Codes are ASCII, so a lossy view of a GBK file still shows them intact.
        let text = String::from_utf8_lossy(&bytes);
        for (tag, role) in tags {
            let open = format!("<ceb:{tag}>");
            for piece in text.split(open.as_str()).skip(1) {
                let value = piece.split('<').next().unwrap_or("").trim();
                if value.is_empty() || value == "无" || value == "NO" {
                    continue;
                }
                seen += 1;
                let file = path.display();
                match (tag, role) {
                    ("dxpId", _) => assert!(reg.by_dxp_id(value).is_some(), "{file}: {value}"),
                    (_, Some(role)) => {
                        assert!(
                            reg.has_role(value, role),
                            "{file}: {tag} {value} not {role:?}"
                        )
                    }
                    (_, None) => assert!(reg.get(value).is_some(), "{file}: {tag} {value}"),
                }
            }
        }
    }
    assert!(
        seen > 50,
        "found only {seen} party codes; did the seed layout change?"
    );
}

// --- Lookups ---

#[test]
fn has_role_is_false_for_roles_not_held_and_unknown_codes() {
    let reg = Registry::shipped();
    assert!(reg.has_role("4403946L02", Role::Logistics));
    assert!(!reg.has_role("4403946L02", Role::Platform));
    assert!(!reg.has_role("4403946L02", Role::Agent));
    assert!(!reg.has_role("0000000000", Role::Logistics));
    assert!(!reg.has_role("", Role::Logistics));
    // Lookups are exact: no trimming, no case folding.
    assert!(reg.get(" 4403946L02").is_none());
    assert!(reg.get("4403946l02").is_none());
}

#[test]
fn by_dxp_id_finds_the_transmitter() {
    let reg = Registry::shipped();
    let e = reg
        .by_dxp_id("DXPENT0000031415")
        .expect("example transmitter");
    assert_eq!(e.code, "4403966Z01");
    assert!(reg.by_dxp_id("DXPENT0000000000").is_none());
    // A code is not a DXP id.
    assert!(reg.by_dxp_id("4403966Z01").is_none());
    // The customs-side receiver is not an enterprise.
    assert!(reg.by_dxp_id("DXPEDCCEB0000003").is_none());
}

// --- File errors ---

#[test]
fn minimal_file_parses_with_optional_fields_absent() {
    let reg = parse(
        "[[enterprise]]\ncode = \"1234966A01\"\nname = \"甲\"\nroles = [\"logistics\", \"logistics\", \"payment\"]\n",
    )
    .expect("valid");
    let e = reg.get("1234966A01").expect("present");
    assert_eq!(
        e.roles,
        [Role::Logistics, Role::Payment],
        "repeated role kept once"
    );
    assert_eq!(
        (&e.dxp_id, &e.customs, &e.pilot_zone),
        (&None, &None, &None)
    );
    assert!(
        parse("")
            .expect("empty file is an empty registry")
            .is_empty()
    );
}

#[test]
fn duplicate_code_is_an_error_naming_the_code() {
    let text = "\
[[enterprise]]
code = \"4403966Z01\"
name = \"甲\"
roles = [\"platform\"]

[[enterprise]]
code = \"4403966Z01\"
name = \"乙\"
roles = [\"logistics\"]
";
    let err = parse(text).expect_err("duplicate");
    match &err {
        RegistryError::Duplicate {
            code,
            line,
            first_line,
            ..
        } => {
            assert_eq!(code, "4403966Z01");
            assert_eq!((*line, *first_line), (Some(7), Some(2)));
        }
        other => panic!("expected Duplicate, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("4403966Z01"), "{msg}");
    assert!(msg.contains("test.toml"), "{msg}");
    assert!(msg.contains('7'), "{msg}");
}

#[test]
fn duplicate_dxp_id_is_an_error() {
    let text = "\
[[enterprise]]
code = \"4403966Z01\"
name = \"甲\"
roles = [\"platform\"]
dxp_id = \"DXPENT0000000001\"

[[enterprise]]
code = \"4403946L02\"
name = \"乙\"
roles = [\"logistics\"]
dxp_id = \"DXPENT0000000001\"
";
    let err = parse(text).expect_err("duplicate dxp id");
    assert!(
        matches!(err, RegistryError::DuplicateDxpId { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("DXPENT0000000001") && msg.contains("4403966Z01"),
        "{msg}"
    );
}

#[test]
fn unknown_role_is_an_error_with_its_line() {
    let text = "\
[[enterprise]]
code = \"4403966Z01\"
name = \"甲\"
roles = [\"platform\", \"shipper\"]
";
    let err = parse(text).expect_err("unknown role");
    assert!(matches!(err, RegistryError::Toml { .. }), "{err:?}");
    let msg = chain(&err);
    assert!(msg.contains("test.toml"), "{msg}");
    assert!(msg.contains("line 4"), "{msg}");
    assert!(msg.contains("shipper"), "{msg}");
}

#[test]
fn unknown_field_is_an_error_with_its_line() {
    let text = "\
[[enterprise]]
code = \"4403966Z01\"
name = \"甲\"
roles = [\"platform\"]
pilotzone = \"深圳\"
";
    let err = parse(text).expect_err("misspelt key");
    assert!(matches!(err, RegistryError::Toml { .. }), "{err:?}");
    let msg = chain(&err);
    assert!(msg.contains("line 5"), "{msg}");
    assert!(msg.contains("pilotzone"), "{msg}");

    let err = parse("[[enterprises]]\ncode = \"4403966Z01\"\n").expect_err("misspelt table");
    assert!(chain(&err).contains("line 1"), "{err:?}");
}

#[test]
fn missing_required_field_is_an_error() {
    let err = parse("[[enterprise]]\ncode = \"4403966Z01\"\nroles = [\"platform\"]\n")
        .expect_err("no name");
    assert!(chain(&err).contains("name"), "{err:?}");
}

#[test]
fn blank_or_untrimmed_values_are_rejected() {
    let entry = |code: &str, roles: &str, extra: &str| {
        format!("[[enterprise]]\ncode = \"{code}\"\nname = \"甲\"\nroles = {roles}\n{extra}")
    };
    let cases = [
        (entry(" 4403966Z01", "[\"platform\"]", ""), "code", 2),
        (entry("4403966Z01 ", "[\"platform\"]", ""), "code", 2),
        (entry("", "[\"platform\"]", ""), "code", 2),
        (entry("4403966Z01", "[]", ""), "roles", 4),
        (
            entry("4403966Z01", "[\"platform\"]", "dxp_id = \"\"\n"),
            "dxp_id",
            5,
        ),
        (
            entry("4403966Z01", "[\"platform\"]", "customs = \"5349 \"\n"),
            "customs",
            5,
        ),
    ];
    for (text, want_field, want_line) in &cases {
        let err = parse(text).expect_err(text);
        match &err {
            RegistryError::EmptyField { field, line, .. } => {
                assert_eq!(field, want_field, "{text}");
                assert_eq!(*line, Some(*want_line), "{text}");
            }
            other => panic!("{text}: expected EmptyField, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(*want_field) && msg.contains("test.toml"),
            "{msg}"
        );
    }
    let msg = parse(&cases[0].0).unwrap_err().to_string();
    assert!(msg.contains("whitespace"), "{msg}");
}

#[test]
fn load_reads_a_file_and_reports_a_missing_one() {
    let missing = Path::new("/nonexistent-dir/enterprises.toml");
    match Registry::load(missing) {
        Err(RegistryError::Io { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }
    let msg = Registry::load(missing).unwrap_err().to_string();
    assert!(msg.contains("/nonexistent-dir/enterprises.toml"), "{msg}");

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, SHIPPED_TOML).expect("write");
    let reg = Registry::load(&file).expect("copy of the shipped registry loads");
    assert_eq!(reg.len(), Registry::shipped().len());

    std::fs::write(&file, "[[enterprise]]\ncode = 1\n").expect("write");
    let msg = chain(&Registry::load(&file).unwrap_err());
    assert!(msg.contains("mine.toml") && msg.contains("line 2"), "{msg}");
}

// --- insert ---

#[test]
fn insert_adds_an_enterprise_and_rejects_duplicates() {
    let mut reg = Registry::shipped().clone();
    let before = reg.len();
    let mut e = enterprise("91440300MA5G7T1R5T", &[Role::Ecommerce, Role::Platform]);
    e.dxp_id = Some("DXPENT0000099999".to_owned());
    reg.insert(e.clone()).expect("new enterprise");
    assert_eq!(reg.len(), before + 1);
    assert_eq!(reg.get("91440300MA5G7T1R5T"), Some(&e));
    assert_eq!(reg.enterprises().last(), Some(&e));
    assert!(reg.has_role("91440300MA5G7T1R5T", Role::Platform));
    assert!(!reg.has_role("91440300MA5G7T1R5T", Role::Logistics));
    assert_eq!(reg.by_dxp_id("DXPENT0000099999"), Some(&e));
    // The shipped registry itself is untouched.
    assert!(Registry::shipped().get("91440300MA5G7T1R5T").is_none());

    let err = reg
        .insert(enterprise("4403966Z01", &[Role::Logistics]))
        .expect_err("already registered");
    assert!(matches!(&err, RegistryError::Duplicate { code, .. } if code == "4403966Z01"));
    assert!(err.to_string().contains("4403966Z01"), "{err}");

    let mut clash = enterprise("1234966A01", &[Role::Logistics]);
    clash.dxp_id = Some("DXPENT0000031415".to_owned());
    let err = reg.insert(clash).expect_err("DXP id taken");
    assert!(
        matches!(err, RegistryError::DuplicateDxpId { .. }),
        "{err:?}"
    );

    for bad in [
        enterprise(" 1234966A01", &[Role::Logistics]),
        enterprise("", &[Role::Logistics]),
        enterprise("1234966A01", &[]),
    ] {
        let err = reg.insert(bad).expect_err("invalid");
        assert!(matches!(err, RegistryError::EmptyField { .. }), "{err:?}");
    }
    // Failed inserts leave the registry unchanged.
    assert_eq!(reg.len(), before + 1);
    assert!(reg.get("1234966A01").is_none());

    let mut empty = Registry::default();
    assert!(empty.is_empty());
    empty
        .insert(enterprise("1234966A01", &[Role::Agent]))
        .expect("insert into empty");
    assert_eq!(empty.len(), 1);
    assert!(empty.has_role("1234966A01", Role::Agent));
}

// --- Role ---

#[test]
fn role_names_match_the_file_format() {
    let mut zh = BTreeSet::new();
    let mut en = BTreeSet::new();
    for role in Role::ALL {
        assert_eq!(role.key().parse::<Role>(), Ok(role));
        let text = format!(
            "[[enterprise]]\ncode = \"1234966A01\"\nname = \"甲\"\nroles = [\"{}\"]\n",
            role.key()
        );
        let reg = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", role.key()));
        assert!(reg.has_role("1234966A01", role));
        assert!(
            zh.insert(role.zh()) && en.insert(role.en()),
            "{role:?} names repeat"
        );
    }
    assert!("Platform".parse::<Role>().is_err());
    assert_eq!(Role::ALL.len(), 8);
}
