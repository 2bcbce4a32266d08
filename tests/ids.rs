//! Identifier checks (`model::ids`) against the facts of the CEB reference §5, §5.1, §5.2.
//!
//! The trap test and the generators recompute sums here from the reference's own tables,
//! so a wrong weight or alphabet in the library fails these tests.

use proptest::prelude::*;
use single_window::model::ids::{
    CustomsCodeError, EnterpriseCode, GuidCase, GuidError, UsccError, check_customs_code,
    check_guid, check_uscc, classify_enterprise_code, org_check_char, uscc_check_char,
};

/// §5.1 alphabet and weights, copied from the reference.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value(c: char) -> u32 {
    ALPHABET.find(c).expect("char in alphabet") as u32
}

fn weighted_sum(first17: &str) -> u32 {
    first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| value(c) * w)
        .sum()
}

/// Deterministic generator (64-bit LCG) so failures are reproducible without a seed file.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn symbol(&mut self) -> char {
        let i = (self.next() % 31) as usize;
        ALPHABET.as_bytes()[i] as char
    }
}

/// 16 random symbols, then the organisation-code check at position 17, then the USCC check.
fn valid_code(rng: &mut Lcg) -> String {
    let mut code: String = (0..16).map(|_| rng.symbol()).collect();
    let org = org_check_char(&code[8..16]).expect("org check char");
    code.push(org);
    let check = uscc_check_char(&code).expect("uscc check char");
    code.push(check);
    code
}

// --- USCC -----------------------------------------------------------------

#[test]
fn worked_example_from_reference() {
    assert_eq!(check_uscc("9144030071526726XG"), Ok(()));
    assert_eq!(uscc_check_char("9144030071526726X"), Some('G'));
    assert_eq!(org_check_char("71526726"), Some('X'));
}

#[test]
fn known_valid_codes() {
    for code in [
        "91440300MA5F3K2P8K",
        "91440300MA5G7T1R5T",
        "9144030071526726XG",
    ] {
        assert_eq!(check_uscc(code), Ok(()), "{code}");
    }
}

#[test]
fn trap_sum_divisible_by_31_gives_check_zero() {
    // Found by hand: weighted sum of this prefix is a multiple of 31.
    let prefix = "91440307MA5G7T1R5";
    assert_eq!(weighted_sum(prefix) % 31, 0);
    assert_eq!(uscc_check_char(prefix), Some('0'));
    assert_eq!(check_uscc("91440307MA5G7T1R50"), Ok(()));
    // The buggy `31 - sum % 31` would index past the alphabet; any other char is wrong.
    assert_eq!(
        check_uscc("91440307MA5G7T1R5Y"),
        Err(UsccError::Check {
            expected: '0',
            found: 'Y'
        })
    );

    // Construct more: vary position 2 (weight 3) until the sum is divisible by 31.
    let mut rng = Lcg(7);
    let mut found = 0;
    for _ in 0..200 {
        let code = valid_code(&mut rng);
        for c in ALPHABET.chars() {
            let mut prefix: String = code[..17].to_owned();
            prefix.replace_range(1..2, &c.to_string());
            if weighted_sum(&prefix).is_multiple_of(31) {
                assert_eq!(uscc_check_char(&prefix), Some('0'), "{prefix}");
                assert_eq!(check_uscc(&format!("{prefix}0")), Ok(()), "{prefix}0");
                found += 1;
            }
        }
    }
    assert_eq!(
        found, 200,
        "exactly one symbol per code should make the sum divisible"
    );
}

#[test]
fn check_char_matches_reference_formula() {
    let mut rng = Lcg(1);
    for _ in 0..2000 {
        let code = valid_code(&mut rng);
        let expected = (31 - weighted_sum(&code[..17]) % 31) % 31;
        assert_eq!(
            uscc_check_char(&code[..17]),
            ALPHABET.chars().nth(expected as usize)
        );
    }
}

#[test]
fn uscc_length_errors() {
    assert_eq!(check_uscc(""), Err(UsccError::Length { found: 0 }));
    assert_eq!(
        check_uscc("9144030071526726X"),
        Err(UsccError::Length { found: 17 })
    );
    assert_eq!(
        check_uscc("9144030071526726XG0"),
        Err(UsccError::Length { found: 19 })
    );
    // Counted in characters, not bytes.
    assert_eq!(
        check_uscc("中44030071526726XG"),
        Err(UsccError::Length { found: 17 })
    );
}

#[test]
fn uscc_bad_char_errors() {
    // Lower case is not part of the alphabet.
    assert_eq!(
        check_uscc("91440300ma5F3K2P8K"),
        Err(UsccError::BadChar {
            position: 9,
            found: 'm'
        })
    );
    for (letter, position) in [('I', 3), ('O', 10), ('S', 18), ('V', 1), ('Z', 12)] {
        let mut code = "9144030071526726XG".to_owned();
        code.replace_range(position - 1..position, &letter.to_string());
        assert_eq!(
            check_uscc(&code),
            Err(UsccError::BadChar {
                position,
                found: letter
            }),
            "{code}"
        );
    }
    assert_eq!(
        check_uscc("9144030071526726X中"),
        Err(UsccError::BadChar {
            position: 18,
            found: '中'
        })
    );
    assert_eq!(uscc_check_char("914403007152672-X"), None);
    assert_eq!(uscc_check_char("9144030071526726x"), None);
    assert_eq!(uscc_check_char("9144030071526726"), None);
    assert_eq!(uscc_check_char("9144030071526726XG"), None);
}

#[test]
fn uscc_org_check_error() {
    // Position 17 is the organisation code's check character: X expected.
    assert_eq!(
        check_uscc("91440300715267260G"),
        Err(UsccError::OrgCheck {
            expected: 'X',
            found: '0'
        })
    );
    // Even when the 18th character is recomputed to match, the org code stays invalid.
    let check = uscc_check_char("9144030071526726A").expect("check");
    assert_eq!(
        check_uscc(&format!("9144030071526726A{check}")),
        Err(UsccError::OrgCheck {
            expected: 'X',
            found: 'A'
        })
    );
}

#[test]
fn uscc_check_error() {
    let err = check_uscc("9144030071526726X0").unwrap_err();
    assert_eq!(
        err,
        UsccError::Check {
            expected: 'G',
            found: '0'
        }
    );
    assert_eq!(
        UsccError::Check {
            expected: '3',
            found: '0'
        }
        .zh(),
        "校验位应为“3”，实际为“0”：请核对统一社会信用代码。"
    );
    assert_eq!(
        UsccError::Check {
            expected: '3',
            found: '0'
        }
        .en(),
        "The check character should be 3, not 0: check the unified social credit code."
    );
    assert_eq!(
        UsccError::Check {
            expected: '3',
            found: '0'
        }
        .expected(),
        "18 characters from 0-9A-Z without I, O, S, V, Z whose 18th is 3"
    );
}

#[test]
fn org_check_char_cases() {
    assert_eq!(org_check_char("71526726"), Some('X'));
    assert_eq!(org_check_char("MA5F3K2P"), Some('8'));
    assert_eq!(org_check_char("MA5G7T1R"), Some('5'));
    // Organisation codes may use any upper-case letter, including those USCC excludes.
    assert!(org_check_char("ZZZZZZZZ").is_some());
    // sum = 0 → 11 - 0 = 11 → '0'.
    assert_eq!(org_check_char("00000000"), Some('0'));
    assert_eq!(org_check_char("7152672"), None);
    assert_eq!(org_check_char("715267261"), None);
    assert_eq!(org_check_char("7152672a"), None);
}

#[test]
fn round_trip_generated_codes() {
    let mut rng = Lcg(42);
    for _ in 0..10_000 {
        let code = valid_code(&mut rng);
        assert_eq!(check_uscc(&code), Ok(()), "{code}");
    }
}

#[test]
fn any_single_change_invalidates_a_code() {
    let mut rng = Lcg(2024);
    let replacements: Vec<char> = ALPHABET.chars().chain("IOSVZaxo-中 ".chars()).collect();
    for _ in 0..200 {
        let code = valid_code(&mut rng);
        let chars: Vec<char> = code.chars().collect();
        for pos in 0..18 {
            for &r in &replacements {
                if r == chars[pos] {
                    continue;
                }
                let mut mutated = chars.clone();
                mutated[pos] = r;
                let mutated: String = mutated.into_iter().collect();
                let err = check_uscc(&mutated).expect_err(&mutated);
                if ALPHABET.contains(r) {
                    match err {
                        UsccError::OrgCheck { .. } => assert!((8..17).contains(&pos), "{mutated}"),
                        UsccError::Check { .. } => {}
                        other => panic!("{mutated}: {other:?}"),
                    }
                    if pos == 17 {
                        assert!(matches!(err, UsccError::Check { .. }), "{mutated}");
                    }
                } else {
                    assert_eq!(
                        err,
                        UsccError::BadChar {
                            position: pos + 1,
                            found: r
                        },
                        "{mutated}"
                    );
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn prop_round_trip(body in "[0-9A-HJ-NPQRTUWXY]{16}") {
        let org = org_check_char(&body[8..16]).unwrap();
        let prefix = format!("{body}{org}");
        let check = uscc_check_char(&prefix).unwrap();
        prop_assert_eq!(check_uscc(&format!("{prefix}{check}")), Ok(()));
    }

    #[test]
    fn prop_never_panics(s in "\\PC{0,20}") {
        let _ = check_uscc(&s);
        let _ = check_customs_code(&s);
        let _ = check_guid(&s);
        let _ = classify_enterprise_code(&s);
    }
}

#[test]
fn uscc_messages_are_one_sentence_each() {
    let errors = [
        UsccError::Length { found: 17 },
        UsccError::BadChar {
            position: 5,
            found: 'o',
        },
        UsccError::BadChar {
            position: 5,
            found: ' ',
        },
        UsccError::OrgCheck {
            expected: 'X',
            found: '0',
        },
        UsccError::Check {
            expected: 'G',
            found: '0',
        },
    ];
    for e in errors {
        assert!(
            e.zh().ends_with('。') && e.zh().contains('：'),
            "{}",
            e.zh()
        );
        assert!(e.en().ends_with('.') && e.en().contains(": "), "{}", e.en());
        assert!(!e.expected().is_empty());
        assert_eq!(e.to_string(), e.en());
    }
    assert!(
        UsccError::BadChar {
            position: 5,
            found: ' '
        }
        .en()
        .contains("U+0020")
    );
    assert!(
        UsccError::OrgCheck {
            expected: 'X',
            found: '0'
        }
        .zh()
        .contains("“X”")
    );
}

// --- Customs registration code ---------------------------------------------

#[test]
fn customs_codes_valid() {
    for code in [
        "4403966Z01",
        "4403946L02",
        "4403968A03",
        "4403161FMD",
        "33169667BG",
        "3301964J31",
    ] {
        assert_eq!(check_customs_code(code), Ok(()), "{code}");
    }
}

#[test]
fn real_code_with_zone_type_6_is_accepted() {
    // Listed as a real code in reference §5.2 although its position 5 is outside the
    // documented zone types 1-5, 9: the documented list is not complete.
    assert_eq!(check_customs_code("330766K00Q"), Ok(()));
}

#[test]
fn customs_code_errors() {
    assert_eq!(
        check_customs_code("440316"),
        Err(CustomsCodeError::Length { found: 6 })
    );
    assert_eq!(
        check_customs_code("44031619FMD"),
        Err(CustomsCodeError::Length { found: 11 })
    );
    assert_eq!(
        check_customs_code("4403061FMD"),
        Err(CustomsCodeError::ZoneType { found: '0' })
    );
    assert_eq!(check_customs_code("4403761FMD"), Ok(()));
    assert_eq!(
        check_customs_code("44A3161FMD"),
        Err(CustomsCodeError::Region {
            found: "44A3".to_owned()
        })
    );
    assert_eq!(
        check_customs_code("4403101FMD"),
        Err(CustomsCodeError::EnterpriseType { found: '0' })
    );
    assert_eq!(
        check_customs_code("44031A1FMD"),
        Err(CustomsCodeError::EnterpriseType { found: 'A' })
    );
    assert_eq!(
        check_customs_code("4403161fMD"),
        Err(CustomsCodeError::Sequence {
            position: 8,
            found: 'f'
        })
    );
    assert_eq!(
        check_customs_code("440316-FMD"),
        Err(CustomsCodeError::Sequence {
            position: 7,
            found: '-'
        })
    );
    assert_eq!(
        check_customs_code("4403161FM中"),
        Err(CustomsCodeError::Sequence {
            position: 10,
            found: '中'
        })
    );
}

#[test]
fn customs_code_messages() {
    let errors = [
        CustomsCodeError::Length { found: 6 },
        CustomsCodeError::Region {
            found: "44A3".to_owned(),
        },
        CustomsCodeError::ZoneType { found: '0' },
        CustomsCodeError::EnterpriseType { found: '0' },
        CustomsCodeError::Sequence {
            position: 8,
            found: 'f',
        },
    ];
    for e in &errors {
        assert!(
            e.zh().ends_with('。') && e.zh().contains('：'),
            "{}",
            e.zh()
        );
        assert!(e.en().ends_with('.') && e.en().contains(": "), "{}", e.en());
        assert!(!e.expected().is_empty());
    }
    assert!(errors[2].zh().contains("“0”"));
    assert!(errors[1].en().contains("44A3"));
    assert!(errors[4].expected().contains("position 8"));
}

// --- Classification -----------------------------------------------------------

#[test]
fn classify_examples() {
    use EnterpriseCode::*;
    let cases = [
        ("9144030071526726XG", Uscc),
        ("91440300MA5F3K2P8K", Uscc),
        // Shape only: a wrong check character is still a USCC-shaped code.
        ("9144030071526726X0", Uscc),
        ("91440300ma5f3k2p8k", Uscc),
        ("4403966Z01", Customs),
        ("4403061FMD", Customs),
        ("无", Placeholder),
        ("NO", Placeholder),
        ("no", Unknown),
        ("", Unknown),
        ("440316", Unknown),
        ("9144030071526726X", Unknown),
        ("9144030071526726-G", Unknown),
        ("4403 66Z01", Unknown),
        ("无无无无无无无无无无", Unknown),
    ];
    for (code, kind) in cases {
        assert_eq!(classify_enterprise_code(code), kind, "{code:?}");
    }
}

// --- GUID ---------------------------------------------------------------------

#[test]
fn guid_cases() {
    assert_eq!(
        check_guid("3F2504E0-4F89-11D3-9A0C-0305E82C3301"),
        Ok(GuidCase::Upper)
    );
    assert_eq!(
        check_guid("12345678-1234-1234-1234-123456789012"),
        Ok(GuidCase::Upper)
    );
    assert_eq!(
        check_guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        Ok(GuidCase::Lower)
    );
    // Mixed case still has lower-case letters.
    assert_eq!(
        check_guid("3F2504E0-4F89-11D3-9A0C-0305E82C330a"),
        Ok(GuidCase::Lower)
    );
}

#[test]
fn guid_errors() {
    assert_eq!(check_guid(""), Err(GuidError::Length { found: 0 }));
    assert_eq!(
        check_guid("3F2504E04F8911D39A0C0305E82C3301"),
        Err(GuidError::Length { found: 32 })
    );
    assert_eq!(
        check_guid("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"),
        Err(GuidError::Length { found: 38 })
    );
    // The 36-char non-UUID string seen in a published client.
    assert_eq!(
        check_guid("UWXFZT-WEASLEY-20230712211001-VD9XLC"),
        Err(GuidError::Shape)
    );
    // Hyphen misplaced, non-hex letter, non-ASCII character.
    assert_eq!(
        check_guid("3F2504E04-F89-11D3-9A0C-0305E82C3301"),
        Err(GuidError::Shape)
    );
    assert_eq!(
        check_guid("3F2504G0-4F89-11D3-9A0C-0305E82C3301"),
        Err(GuidError::Shape)
    );
    assert_eq!(
        check_guid("3F2504E0-4F89-11D3-9A0C-0305E82C330中"),
        Err(GuidError::Shape)
    );
    assert_eq!(
        check_guid("3F2504E0-4F89-11D3-9A0C-0305E82C3301-"),
        Err(GuidError::Length { found: 37 })
    );
    for e in [GuidError::Length { found: 32 }, GuidError::Shape] {
        assert!(
            e.zh().ends_with('。') && e.zh().contains('：'),
            "{}",
            e.zh()
        );
        assert!(e.en().ends_with('.') && e.en().contains(": "), "{}", e.en());
        assert!(!e.expected().is_empty());
    }
}

proptest! {
    /// A GUID kept in memory gives back exactly the text it was made from, packed or not.
    #[test]
    fn a_kept_guid_gives_back_its_text(text in "[0-9A-Fa-f-]{0,40}|[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}") {
        let guid = single_window::model::ids::Guid::new(&text);
        prop_assert_eq!(guid.to_string(), text.clone());
        prop_assert!(guid == *text.as_str());
    }
}

#[test]
fn only_guids_in_the_spec_form_are_packed() {
    use single_window::model::ids::Guid;
    let canonical = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94";
    assert!(matches!(Guid::new(canonical), Guid::Packed(_)));
    assert!(matches!(
        Guid::new(&canonical.to_lowercase()),
        Guid::Text(_)
    ));
    assert!(matches!(
        Guid::new(&canonical.replace('-', "_")),
        Guid::Text(_)
    ));
    assert!(matches!(
        Guid::new("4CDE1CFDEDED46B1946CB8022E42FC94"),
        Guid::Text(_)
    ));
    assert_ne!(Guid::new(canonical), Guid::new(&canonical.to_lowercase()));
}
