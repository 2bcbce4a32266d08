//! The worked examples of the rules reference as tests: CIT §3.4 (4 % deemed taxable income
//! with the small-and-low-profit relief by year, the RMB 3 m cliff), the deemed-sale output
//! VAT of §2.4, the 9810 reconciliation of §2.5, the FX thresholds of §4; and a ledger row
//! treated end to end through the public API a server would call.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use single_window::tax::cit::{self, Input, Method};
use single_window::tax::fx::{self, FxRates, Standing};
use single_window::tax::rates::Rates;
use single_window::tax::vat::{self, LineFacts, LineInputs, Outcome, OverseasSale, Regime};
use single_window::tax::{Kind, Period, Taxpayer};
use std::collections::BTreeMap;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn deemed(year: i32, revenue: i64) -> Input {
    Input {
        employees: 100,
        total_assets: Decimal::from(20_000_000),
        ..Input::new(year, Method::Deemed, Decimal::from(revenue))
    }
}

fn cit_tax(year: i32, revenue: i64) -> Option<Decimal> {
    cit::assess(&deemed(year, revenue), &cit::Params::default()).tax
}

/// §3.4: revenue 10 m, 50 m and 80 m in each rule year, small-profit tests met.
#[test]
fn cit_worked_examples_by_year() {
    let m = Decimal::from;
    let table: [(i64, [(i32, i64); 9]); 3] = [
        (
            10_000_000,
            [
                (2020, 20_000),
                (2021, 10_000),
                (2022, 10_000),
                (2023, 20_000),
                (2024, 20_000),
                (2025, 20_000),
                (2026, 20_000),
                (2027, 20_000),
                (2020, 20_000),
            ],
        ),
        (
            50_000_000,
            [
                (2020, 150_000),
                (2021, 125_000),
                (2022, 75_000),
                (2023, 100_000),
                (2024, 100_000),
                (2025, 100_000),
                (2026, 100_000),
                (2027, 100_000),
                (2021, 125_000),
            ],
        ),
        (
            80_000_000,
            [
                (2020, 800_000),
                (2021, 800_000),
                (2022, 800_000),
                (2023, 800_000),
                (2024, 800_000),
                (2025, 800_000),
                (2026, 800_000),
                (2027, 800_000),
                (2022, 800_000),
            ],
        ),
    ];
    for (revenue, years) in table {
        for (year, expected) in years {
            assert_eq!(
                cit_tax(year, revenue),
                Some(m(expected)),
                "revenue {revenue} in {year}"
            );
        }
    }
}

/// §3.4 last column: not small-profit, the standard 25 % on the whole.
#[test]
fn cit_worked_examples_not_small_profit() {
    for (revenue, expected) in [
        (10_000_000, 100_000),
        (50_000_000, 500_000),
        (80_000_000, 800_000),
    ] {
        let mut i = deemed(2024, revenue);
        i.employees = 400;
        let a = cit::assess(&i, &cit::Params::default());
        assert!(!a.small_profit);
        assert_eq!(a.tax, Some(Decimal::from(expected)), "revenue {revenue}");
    }
}

/// Before 2020-01-01 the 4 % method does not exist: no figure, and the reason says so.
#[test]
fn cit_deemed_method_before_2020_is_refused() {
    let a = cit::assess(&deemed(2019, 50_000_000), &cit::Params::default());
    assert_eq!((a.taxable_income, a.tax), (None, None));
    assert!(
        a.reasons.iter().any(|r| r.en.contains("2020-01-01")),
        "{:?}",
        a.reasons
    );
    // The book method still works in 2019, with the 2019 relief (5 % / 10 %).
    let mut book = deemed(2019, 0);
    book.method = Method::Book;
    book.book_taxable_income = Some(Decimal::from(2_000_000));
    assert_eq!(
        cit::assess(&book, &cit::Params::default()).tax,
        Some(Decimal::from(150_000))
    );
}

fn general_trader() -> Period {
    Period {
        refund_filed: true,
        ..Period::new(d(2019, 1, 1), Taxpayer::General, Kind::Trading)
    }
}

fn retail_line(day: NaiveDate, fob: i64) -> LineFacts<'static> {
    LineFacts {
        trade_mode: "9610",
        export_date: day,
        customs_code: "5314",
        statistics_flag: "B",
        gcode: "6109100021",
        fob: Decimal::from(fob),
        currency: "142",
        qty: Decimal::ONE,
        returns: Vec::new(),
    }
}

fn inputs(invoice: bool, purchase: i64) -> LineInputs {
    LineInputs {
        purchase_invoice: invoice,
        purchase_amount: Decimal::from(purchase),
        proceeds_received: true,
        overseas: None,
    }
}

/// §2.4: FOB 11,300 of 13 % goods, general taxpayer, no bonded materials → output VAT 1,300.
#[test]
fn deemed_sale_worked_example() {
    let t = vat::treat(
        &retail_line(d(2024, 6, 1), 11_300),
        Some(&general_trader()),
        &inputs(false, 0),
        &Rates::sample(),
        &FxRates::sample(),
        &vat::Params::default(),
    );
    assert_eq!(t.regime, Regime::Taxed);
    assert_eq!(t.output_vat, Decimal::from(1_300));
    assert!(
        t.computation[0].contains("11300.00 ÷ (1 + 13 %) × 13 % = 1300.00"),
        "{:?}",
        t.computation
    );
}

/// Consumption tax where the table says so (cosmetics in the sample): refunded on the purchase
/// amount when refunded, due on the deemed sale when taxed.
#[test]
fn consumption_tax_follows_the_table() {
    let mut line = retail_line(d(2024, 6, 1), 11_300);
    line.gcode = "3304990099";
    let run = |invoice| {
        vat::treat(
            &line,
            Some(&general_trader()),
            &inputs(invoice, 6_000),
            &Rates::sample(),
            &FxRates::sample(),
            &vat::Params::default(),
        )
    };
    let refunded = run(true);
    assert_eq!(
        (refunded.regime, refunded.ct_refund),
        (Regime::Refund, Decimal::from(900))
    );
    let taxed = run(false);
    assert_eq!(
        (taxed.regime, taxed.consumption_tax),
        (Regime::Taxed, Decimal::from(1_500))
    );
}

/// §2.5 explainer: 1,300 pre-refunded; at reconciliation the right refund is 1,235 → reverse
/// 1,300, declare 1,235, difference 65 carried to the period.
#[test]
fn pre_refund_reconciliation_worked_example() {
    let mut line = retail_line(d(2025, 3, 14), 20_000);
    line.trade_mode = "9810";
    let mut i = inputs(true, 10_000); // 10,000 × 13 % = 1,300
    i.overseas = Some((
        OverseasSale::SoldAt(Decimal::new(95, 2)),
        Some(d(2026, 1, 20)),
    ));
    let t = vat::treat(
        &line,
        Some(&general_trader()),
        &i,
        &Rates::sample(),
        &FxRates::sample(),
        &vat::Params::default(),
    );
    assert_eq!(
        (t.regime, t.vat_refund),
        (Regime::PreRefund, Decimal::from(1_300))
    );
    let r = t.reconciliation.unwrap();
    assert_eq!(r.outcome, Outcome::Adjusted);
    assert_eq!(r.final_refund, Decimal::from(1_235));
    assert_eq!(r.adjustment, Decimal::from(-65));
    assert_eq!(r.deadline, d(2026, 4, 30));
}

/// §4: exempt below USD 200,000 (exclusive), early warning from 180,000, through a rate table.
#[test]
fn fx_threshold_through_the_rate_table() {
    let rates = FxRates::sample();
    let day = d(2023, 6, 1);
    let rate = rates.cny_per_unit(fx::USD, day).unwrap();
    let by_day = |cny: Decimal| {
        let usd = rates.cny_to_usd(cny, day).unwrap();
        BTreeMap::from([(day, usd)])
    };
    let standing = |usd: i64| {
        fx::assess(
            2023,
            &by_day(rate * Decimal::from(usd)),
            Decimal::ZERO,
            &fx::Params::default(),
        )
        .standing
    };
    assert_eq!(standing(179_999), Standing::Exempt);
    assert_eq!(standing(180_000), Standing::Warning);
    assert_eq!(standing(199_999), Standing::Warning);
    assert_eq!(standing(200_000), Standing::MustRegister);
}

/// What a server calls: a ledger fed by the engine, a tax book, treatments and annual figures.
#[test]
fn a_ledger_treated_through_the_tax_book() {
    use chrono::Duration;
    use single_window::engine::ledger::Ledger;
    use single_window::engine::{Engine, EngineConfig};
    use single_window::load::parcels::{Rng, parcel};
    use single_window::model::Message;
    use single_window::tax::annual::CitMethod;
    use single_window::tax::exports::{Enterprise, TaxBook};
    use single_window::tax::inputs::Assumptions;
    use single_window::tax::{Profile, cit};

    let config = EngineConfig {
        release_waits_for_arrival: false,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(config, single_window::rules::Params::default());
    let mut ledger = Ledger::new();
    let at = d(2025, 3, 31).and_hms_opt(9, 0, 0).unwrap();
    let mut rng = Rng::new(11);
    let mut code = String::new();
    for serial in 1..=50 {
        let p = parcel(&mut rng, serial, 1);
        code = p.list.documents[0].head.ebc_code.to_string();
        for m in [
            Message::Ceb303(p.order),
            Message::Ceb403(p.receipt),
            Message::Ceb505(p.waybill),
            Message::Ceb603(p.list),
        ] {
            engine.accept(&m, at);
            ledger.record(&m, at);
        }
    }
    for o in engine.advance(at + Duration::days(2)) {
        ledger.observe(&o);
    }
    let book = TaxBook {
        enterprises: vec![Enterprise {
            profile: Profile {
                code: code.clone(),
                name: String::new(),
                periods: vec![Period {
                    pilot_zone: true,
                    platform_recording: true,
                    ..general_trader()
                }],
            },
            assumptions: Assumptions::default(),
            cit_method: CitMethod::Auto,
            years: vec![],
        }],
        rates: Rates::sample(),
        fx_rates: FxRates::sample(),
        vat: vat::Params::default(),
        cit: cit::Params::default(),
        fx: fx::Params::default(),
        seed: 1,
    };
    let mut seen = 0;
    let years = book.assess(&ledger, d(2025, 1, 1), d(2025, 12, 31), |t| {
        assert_eq!(
            t.treatment.regime,
            Regime::ExemptNoInvoice,
            "{:?}",
            t.treatment.reasons
        );
        seen += 1;
    });
    assert_eq!(seen, ledger.line_count());
    assert_eq!(years.len(), 1);
    assert_eq!(years[0].enterprise, code);
    assert_eq!(years[0].cit.as_ref().unwrap().method, Method::Deemed);
}

fn treat_returned(
    line: &LineFacts<'_>,
    period: &Period,
    i: &LineInputs,
) -> single_window::tax::vat::Treatment {
    vat::treat(
        line,
        Some(period),
        i,
        &Rates::sample(),
        &FxRates::sample(),
        &vat::Params::default(),
    )
}

/// §2.7: 10 pieces refunded on a purchase of 6,000 (780 at 13 %); 4 come back within six
/// months, 2 more after: each return repays its share of the refund and takes its share of
/// the revenue back, on its own date; only the first is inside the re-entry relief.
#[test]
fn returned_goods_repay_their_share_of_the_refund() {
    let mut line = retail_line(d(2024, 6, 1), 11_300);
    line.qty = Decimal::TEN;
    line.returns = vec![
        (d(2024, 8, 1), Decimal::from(4)),
        (d(2025, 1, 15), Decimal::from(2)),
    ];
    let t = treat_returned(&line, &general_trader(), &inputs(true, 6_000));
    assert_eq!(
        (t.regime, t.vat_refund),
        (Regime::Refund, Decimal::from(780))
    );
    let r = &t.returns;
    assert_eq!(r.len(), 2);
    // 780 × 4/10 = 312, 11,300 × 4/10 = 4,520; then 780 × 2/10 = 156, 11,300 × 2/10 = 2,260.
    assert_eq!(
        (r[0].refund_repaid, r[0].fob_cny, r[0].tax_reversed),
        (Decimal::from(312), Decimal::from(4_520), Decimal::ZERO)
    );
    assert_eq!(
        (r[1].refund_repaid, r[1].fob_cny),
        (Decimal::from(156), Decimal::from(2_260))
    );
    assert!(r[0].relief, "back within 6 months of a 2024 export");
    assert!(!r[1].relief, "back after 6 months");
    let reasons: Vec<&str> = t.reasons.iter().map(|r| r.en.as_ref()).collect();
    let reasons = reasons.join(" | ");
    assert!(
        reasons.contains("refund on the returned goods is repaid"),
        "{reasons}"
    );
    assert!(reasons.contains("outside the return relief"), "{reasons}");
}

/// §2.7 and §2.4: a deemed sale of 11,300 (output VAT 1,300) half returned: 650 of output VAT
/// reversed as a sales return, 5,650 of revenue back.
#[test]
fn returned_goods_of_a_deemed_sale_reverse_its_tax() {
    let mut line = retail_line(d(2024, 6, 1), 11_300);
    line.qty = Decimal::TWO;
    line.returns = vec![(d(2024, 7, 1), Decimal::ONE)];
    let t = treat_returned(&line, &general_trader(), &inputs(false, 0));
    assert_eq!(
        (t.regime, t.output_vat),
        (Regime::Taxed, Decimal::from(1_300))
    );
    let r = &t.returns[0];
    assert_eq!(
        (r.tax_reversed, r.refund_repaid, r.fob_cny),
        (Decimal::from(650), Decimal::ZERO, Decimal::from(5_650))
    );
    assert!(r.relief);
    assert!(
        t.reasons.iter().any(|s| s.en.contains("sales return")),
        "{:?}",
        t.reasons
    );
}

/// §2.5 with §2.7: 1,300 pre-refunded on 10 pieces; 2 come back (260 repaid on return), the 8
/// kept are reconciled sold at 95 %: 1,040 → 988, adjustment −52. In all 988 = 1,300 × 0.8 ×
/// 0.95 is kept.
#[test]
fn returned_goods_leave_the_pre_refund_reconciliation_to_the_rest() {
    let mut line = retail_line(d(2025, 3, 14), 20_000);
    line.trade_mode = "9810";
    line.qty = Decimal::TEN;
    line.returns = vec![(d(2025, 5, 1), Decimal::TWO)];
    let mut i = inputs(true, 10_000);
    i.overseas = Some((
        OverseasSale::SoldAt(Decimal::new(95, 2)),
        Some(d(2026, 1, 20)),
    ));
    let t = treat_returned(&line, &general_trader(), &i);
    assert_eq!(t.regime, Regime::PreRefund);
    assert_eq!(t.returns[0].refund_repaid, Decimal::from(260));
    let r = t.reconciliation.unwrap();
    assert_eq!(
        (r.outcome, r.final_refund, r.adjustment),
        (Outcome::Adjusted, Decimal::from(988), Decimal::from(-52))
    );
}

/// The year figures book each return in the year it comes back: 2024 keeps 780 − 312 of the
/// refund and 11,300 − 4,520 = 6,780 of income; 2025 repays 156 and loses 2,260 of revenue.
#[test]
fn returns_are_booked_in_the_year_they_come_back() {
    use single_window::tax::Profile;
    use single_window::tax::annual::Accumulator;
    let mut line = retail_line(d(2024, 6, 1), 11_300);
    line.qty = Decimal::TEN;
    line.returns = vec![
        (d(2024, 8, 1), Decimal::from(4)),
        (d(2025, 1, 15), Decimal::from(2)),
    ];
    let t = treat_returned(&line, &general_trader(), &inputs(true, 6_000));
    let mut acc = Accumulator::new();
    acc.declaration("E1", line.export_date);
    acc.line("E1", line.export_date, &t, Decimal::ZERO);
    let profile = Profile {
        code: "E1".into(),
        name: String::new(),
        periods: vec![general_trader()],
    };
    let years = acc.finish(
        &[profile],
        &BTreeMap::new(),
        &cit::Params::default(),
        &fx::Params::default(),
    );
    let (y2024, y2025) = (&years[0], &years[1]);
    assert_eq!((y2024.year, y2025.year), (2024, 2025));
    assert_eq!(
        (
            y2024.returns,
            y2024.return_refund_repaid,
            y2024.returned_fob_cny
        ),
        (1, Decimal::from(312), Decimal::from(4_520))
    );
    assert_eq!(y2024.net_vat_position, Decimal::from(468));
    assert_eq!(
        y2024.cit.as_ref().unwrap().total_income,
        Decimal::from(6_780)
    );
    assert_eq!((y2025.lines, y2025.returns), (0, 1));
    assert_eq!(y2025.net_vat_position, Decimal::from(-156));
    assert_eq!(y2025.returned_fob_cny, Decimal::from(2_260));
}
