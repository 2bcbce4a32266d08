//! Summary declarations (701 → 702, 792) and export returns (213 → 214, 215 → 216) through the
//! single window: merge keys as table-driven cases, every exported B-flag list in exactly one
//! summary, and the quantity, time and field checks of returns.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use rust_decimal::Decimal;
use single_window::ceb::decode_str;
use single_window::engine::{EngineConfig, Outgoing, Profile, SingleWindow};
use single_window::load::parcels::{Parcel, Rng, parcel};
use single_window::model::Message;
use single_window::rules::Params;

fn at(month: u32, day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, month, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .expect("a real time")
}

/// Parcels of one enterprise, each changed by `edit`, released in March 2025.
fn released(n: u64, edit: impl Fn(u64, &mut Parcel)) -> SingleWindow {
    let config = EngineConfig {
        release_waits_for_arrival: false,
        profile: Profile {
            review_per_mille: 0,
            inspection_per_mille: 0,
            ..Profile::default()
        },
        ..EngineConfig::default()
    };
    let mut window = SingleWindow::new(config, Params::default());
    let mut rng = Rng::new(11);
    for serial in 1..=n {
        let mut p = parcel(&mut rng, serial, 1);
        // One country of arrival and destination, so that only the edits tell lists apart.
        let list = &mut p.list.documents[0];
        list.head.country = "502".into();
        for item in &mut list.items {
            item.country = "502".into();
        }
        edit(serial, &mut p);
        for m in [
            Message::Ceb303(p.order),
            Message::Ceb403(p.receipt),
            Message::Ceb505(p.waybill),
            Message::Ceb603(p.list),
        ] {
            window.accept(&m, at(3, 10, 9));
        }
    }
    let out = window.advance(at(3, 11, 9));
    assert_eq!(
        out.iter()
            .filter(|o| o.root == "CEB604Message" && o.status == "800")
            .count(),
        n as usize,
        "every list released"
    );
    window
}

/// The customs numbers of the released lists, in the order declared.
fn invt_nos(window: &SingleWindow) -> Vec<String> {
    window
        .ledger()
        .rows()
        .filter_map(|r| r.invt_no().map(str::to_string))
        .collect()
}

fn ebc(window: &SingleWindow) -> String {
    let row = window.ledger().rows().next().expect("a list");
    row.ebc_code().to_string()
}

/// Sends a message written as XML at `time` and returns what the window answers within a day.
fn send(
    window: &mut SingleWindow,
    xml: impl FnOnce(&SingleWindow) -> String,
    time: NaiveDateTime,
) -> Vec<Outgoing> {
    let xml = xml(window);
    let decoded = decode_str(&xml);
    assert!(decoded.diagnostics.is_empty(), "{:#?}", decoded.diagnostics);
    let message = decoded.message.expect("a message");
    window.accept(&message, time);
    window.advance(time + Duration::days(1))
}

/// A summary application naming `lists`, or, when `lists` is empty, the window March 2025.
fn application(ebc: &str, summary_flag: &str, lists: &[String], time: NaiveDateTime) -> String {
    let window = if lists.is_empty() {
        "<startTime>20250301000000</startTime><endTime>20250331235959</endTime>"
    } else {
        ""
    };
    let body: String = lists
        .iter()
        .map(|n| format!("<SummaryApplyList><invtNo>{n}</invtNo></SummaryApplyList>"))
        .collect();
    format!(
        r#"<CEB701Message xmlns="http://www.chinaport.gov.cn/ceb" guid="00000000-0000-0000-0000-000000000701" version="1.0"><SummaryApply><SummaryApplyHead><guid>5E1A0C2D-7B3F-4C8E-9A61-00000000{:04}</guid><appType>1</appType><appTime>{}</appTime><appStatus>2</appStatus><customsCode>5314</customsCode><copNo>SUM1</copNo><agentCode>{ebc}</agentCode><agentName>代理</agentName><ebcCode>{ebc}</ebcCode><ebcName>电商</ebcName><declAgentCode>{ebc}</declAgentCode><declAgentName>报关行</declAgentName>{window}<summaryFlag>{summary_flag}</summaryFlag><itemNameFlag>1</itemNameFlag><msgCount>1</msgCount><msgSeqNo>1</msgSeqNo></SummaryApplyHead>{body}</SummaryApply><BaseTransfer><copCode>{ebc}</copCode><copName>电商</copName><dxpMode>DXP</dxpMode><dxpId>DXPENT0000000001</dxpId></BaseTransfer></CEB701Message>"#,
        lists.len(),
        time.format("%Y%m%d%H%M%S"),
    )
}

/// One 792 result: its lists' numbers, its items as (gcode, gseqno), its note.
type Declaration = (Vec<String>, Vec<(String, i64)>, String);

/// What the 792 results of an answer say.
fn declarations(out: &[Outgoing]) -> Vec<Declaration> {
    out.iter()
        .filter_map(|o| match o.message() {
            Message::Ceb792(m) => Some(m),
            _ => None,
        })
        .flat_map(|m| m.returns)
        .map(|r| {
            let mut lists: Vec<String> = r.items.iter().map(|i| i.invt_no.to_string()).collect();
            lists.dedup();
            let lines = r
                .items
                .iter()
                .map(|i| (i.gcode.to_string(), i.gseqno))
                .collect();
            (
                lists,
                lines,
                r.head.note.map(|n| n.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

fn answer(out: &[Outgoing], root: &str) -> (String, String) {
    let o = out
        .iter()
        .find(|o| o.root == root)
        .unwrap_or_else(|| panic!("a {root} in {out:#?}"));
    (o.status.to_string(), o.info().to_string())
}

/// Table of merge-key cases: what is changed on the second of two lists, with `summaryFlag`,
/// and how many declarations and warnings result.
#[test]
fn merge_keys_decide_the_declarations() {
    struct Case {
        name: &'static str,
        edit: fn(&mut Parcel),
        summary_flag: &'static str,
        declarations: usize,
        warned: bool,
    }
    let cases = [
        Case {
            name: "same keys",
            edit: |_| {},
            summary_flag: "1",
            declarations: 1,
            warned: false,
        },
        Case {
            name: "different producer, merged by consignor only",
            edit: |p| p.list.documents[0].head.owner_code = "4403960Z99".into(),
            summary_flag: "1",
            declarations: 1,
            warned: true,
        },
        Case {
            name: "different producer, merged by consignor and producer",
            edit: |p| p.list.documents[0].head.owner_code = "4403960Z99".into(),
            summary_flag: "2",
            declarations: 2,
            warned: false,
        },
        Case {
            name: "different transport mode",
            edit: |p| p.list.documents[0].head.traf_mode = "5".into(),
            summary_flag: "1",
            declarations: 2,
            warned: false,
        },
        Case {
            name: "different port of exit",
            edit: |p| p.list.documents[0].head.port_code = "5316".into(),
            summary_flag: "1",
            declarations: 2,
            warned: false,
        },
        Case {
            name: "different country of arrival",
            edit: |p| p.list.documents[0].head.country = "304".into(),
            summary_flag: "1",
            declarations: 2,
            warned: false,
        },
    ];
    for case in cases {
        let mut window = released(2, |serial, p| {
            if serial == 2 {
                (case.edit)(p);
            }
        });
        let lists = invt_nos(&window);
        let xml = application(&ebc(&window), case.summary_flag, &lists, at(4, 2, 9));
        let out = send(&mut window, |_: &SingleWindow| xml, at(4, 2, 9));
        assert_eq!(answer(&out, "CEB702Message").0, "120", "{}", case.name);
        let decls = declarations(&out);
        assert_eq!(decls.len(), case.declarations, "{}: {decls:?}", case.name);
        let warned = decls
            .iter()
            .any(|(_, _, note)| note.contains("生产销售单位"));
        assert_eq!(warned, case.warned, "{}: {decls:?}", case.name);
        for list in &lists {
            let row = window.ledger().by_invt_no(list).expect("in the ledger");
            assert!(row.summary().is_some(), "{}: {list} linked", case.name);
        }
    }
}

/// Items of the same commodity code share a goods line unless their currency differs.
#[test]
fn a_currency_change_makes_its_own_goods_line() {
    let same_goods = |serial: u64, p: &mut Parcel| {
        let items = &mut p.list.documents[0].items;
        items.truncate(1);
        items[0].gcode = "6109100021".into();
        items[0].gname = "棉制针织T恤衫".into();
        if serial == 3 {
            items[0].currency = "502".into();
            p.order.documents[0].items[0].currency = "502".into();
        }
    };
    let mut window = released(3, same_goods);
    let lists = invt_nos(&window);
    let out = send(
        &mut window,
        |w: &SingleWindow| application(&ebc(w), "1", &lists, at(4, 2, 9)),
        at(4, 2, 9),
    );
    let decls = declarations(&out);
    assert_eq!(decls.len(), 1, "{decls:?}");
    let lines: Vec<i64> = decls[0].1.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(lines, vec![1, 1, 2], "the USD item has its own line");
}

/// A list under the simplified route (flag A) makes no declaration; the rest are merged.
#[test]
fn a_simplified_list_is_counted_not_declared() {
    let mut window = released(3, |serial, p| {
        if serial == 2 {
            p.list.documents[0].head.statistics_flag = "A".into();
        }
    });
    let lists = invt_nos(&window);
    let out = send(
        &mut window,
        |w: &SingleWindow| application(&ebc(w), "1", &[], at(4, 2, 9)),
        at(4, 2, 9),
    );
    let (status, info) = answer(&out, "CEB702Message");
    assert_eq!(status, "120");
    assert!(info.contains("1 份简化申报清单"), "{info}");
    let decls = declarations(&out);
    assert_eq!(decls.len(), 1);
    assert_eq!(decls[0].0, vec![lists[0].clone(), lists[2].clone()]);
    let a = window.ledger().by_invt_no(&lists[1]).expect("the A list");
    assert!(a.summary().is_none());
}

/// An application after the 15th of the next month is accepted with a warning; lists never
/// summarised by then are reported as overdue.
#[test]
fn a_late_application_is_warned_and_overdue_lists_are_reported() {
    let mut window = released(2, |_, _| {});
    let lists = invt_nos(&window);
    let overdue = single_window::engine::summary::overdue(
        window.ledger().rows(),
        NaiveDate::from_ymd_opt(2025, 4, 16).expect("a day"),
    );
    assert_eq!(overdue.len(), 2, "both lists are overdue on 16 April");
    let on_time =
        single_window::engine::summary::overdue(window.ledger().rows(), at(4, 15, 0).date());
    assert!(on_time.is_empty(), "the 15th is still in time");
    let out = send(
        &mut window,
        |w: &SingleWindow| application(&ebc(w), "1", &lists[..1], at(4, 20, 9)),
        at(4, 20, 9),
    );
    let (status, info) = answer(&out, "CEB702Message");
    assert_eq!(status, "120");
    assert!(info.contains("1 份清单的汇总申请已逾期"), "{info}");
    let left = single_window::engine::summary::overdue(window.ledger().rows(), at(4, 21, 0).date());
    assert_eq!(left.len(), 1, "the list not named is still overdue");
}

/// Naming a list twice over two applications, or one of another enterprise, is refused.
#[test]
fn a_list_is_summarised_once() {
    let mut window = released(1, |_, _| {});
    let lists = invt_nos(&window);
    let ebc = ebc(&window);
    let first = send(
        &mut window,
        |_: &SingleWindow| application(&ebc, "1", &lists, at(4, 2, 9)),
        at(4, 2, 9),
    );
    assert_eq!(answer(&first, "CEB702Message").0, "120");
    let again = send(
        &mut window,
        |_: &SingleWindow| application(&ebc, "1", &lists, at(4, 3, 9)),
        at(4, 3, 9),
    );
    let (status, info) = answer(&again, "CEB702Message");
    assert_eq!(status, "100");
    assert!(info.contains("已汇总"), "{info}");
    // Refused, the application keeps the sumNo the e-port gave it.
    let refusal = again
        .iter()
        .find(|o| o.root == "CEB702Message")
        .map(Outgoing::xml);
    assert!(
        refusal
            .as_deref()
            .is_some_and(|x| x.contains("<ceb:sumNo>S")),
        "{refusal:?}"
    );
    let other = send(
        &mut window,
        |_: &SingleWindow| application("4403960Z99", "1", &lists, at(4, 4, 9)),
        at(4, 4, 9),
    );
    assert_eq!(answer(&other, "CEB702Message").0, "100");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Whatever the mix of producers, modes and flags, a window application puts every
    /// exported B-flag list in exactly one declaration and no A-flag list in any.
    #[test]
    fn every_b_list_is_in_exactly_one_declaration(
        edits in proptest::collection::vec((0u8..3, 0u8..2, 0u8..4), 1..12),
        by_producer in any::<bool>(),
    ) {
        let mut window = released(edits.len() as u64, |serial, p| {
            let (producer, mode, flag) = edits[serial as usize - 1];
            let h = &mut p.list.documents[0].head;
            h.owner_code = format!("4403960Z{producer:02}").into();
            h.traf_mode = if mode == 0 { "4".into() } else { "5".into() };
            if flag == 0 {
                h.statistics_flag = "A".into();
            }
        });
        let flag = if by_producer { "2" } else { "1" };
        let out = send(&mut window, |w: &SingleWindow| application(&ebc(w), flag, &[], at(4, 2, 9)), at(4, 2, 9));
        let decls = declarations(&out);
        for row in window.ledger().rows() {
            let n = row.invt_no().expect("numbered");
            let times = decls.iter().filter(|(lists, _, _)| lists.iter().any(|l| l == n)).count();
            let expected = usize::from(row.statistics_flag() == "B");
            prop_assert_eq!(times, expected, "{}", n);
            prop_assert_eq!(row.summary().is_some(), expected == 1);
        }
    }
}

/// A return application for `qty` of the first line of a list, as XML.
fn return_application(
    window: &SingleWindow,
    list: u32,
    guid: u32,
    qty: Decimal,
    time: NaiveDateTime,
) -> String {
    let row = window.ledger().row(list).expect("a list");
    let line = row.lines().next().expect("a line");
    // The legal quantity in proportion (it is a weight for goods counted in pieces).
    let qty1 = line.qty1() * qty / line.qty();
    format!(
        r#"<CEB213Message xmlns="http://www.chinaport.gov.cn/ceb" guid="00000000-0000-0000-0000-000000000213" version="1.0"><InvtRefund><InvtRefundHead><guid>5E1A0C2D-7B3F-4C8E-9A61-00000000{guid:04}</guid><appType>1</appType><appTime>{}</appTime><appStatus>2</appStatus><customsCode>5314</customsCode><ebpCode>{}</ebpCode><ebpName>平台</ebpName><ebcCode>{}</ebcCode><ebcName>电商</ebcName><logisticsNo>{}</logisticsNo><logisticsCode>{}</logisticsCode><logisticsName>物流</logisticsName><coElNo>R{guid}</coElNo><invtNo>{}</invtNo><tradeMode>9661</tradeMode><agentCode>{}</agentCode><agentName>代理</agentName><billNo>B1</billNo><ieFlag>I</ieFlag><trafMode>4</trafMode><trafName>车</trafName><portCode>5314</portCode><reason>买家退货</reason><country>502</country><voyageNo>1</voyageNo></InvtRefundHead><InvtRefundList><gnum>{}</gnum><gcode>{}</gcode><gname>商品</gname><gmodel>无</gmodel><qty>{qty}</qty><qty1>{qty1}</qty1><unit>{}</unit><unit1>{}</unit1></InvtRefundList></InvtRefund><BaseTransfer><copCode>{}</copCode><copName>电商</copName><dxpMode>DXP</dxpMode><dxpId>DXPENT0000000001</dxpId></BaseTransfer></CEB213Message>"#,
        time.format("%Y%m%d%H%M%S"),
        row.ebp_code(),
        row.ebc_code(),
        row.logistics_no(),
        row.logistics_code(),
        row.invt_no().expect("numbered"),
        row.ebc_code(),
        line.gnum(),
        line.gcode(),
        line.unit(),
        line.unit1(),
        row.ebc_code(),
    )
}

/// The first list whose first line has at least two pieces, and that number.
fn a_list_of_several_pieces(window: &SingleWindow) -> (u32, Decimal) {
    window
        .ledger()
        .rows()
        .find_map(|r| {
            let qty = r.lines().next()?.qty();
            (qty >= Decimal::TWO).then_some((r.id(), qty))
        })
        .expect("some parcel has two pieces of its first item")
}

/// Returns never take back more than was exported, counting earlier returns; they must come
/// within a year of release and name the original goods.
#[test]
fn returns_are_checked_against_the_original_list() {
    let mut window = released(12, |_, _| {});
    let (list, qty) = a_list_of_several_pieces(&window);
    let some = qty - Decimal::ONE;
    let first = send(
        &mut window,
        |w: &SingleWindow| return_application(w, list, 1, some, at(4, 1, 9)),
        at(4, 1, 9),
    );
    assert_eq!(answer(&first, "CEB214Message").0, "800");
    let row = window.ledger().row(list).expect("the list");
    assert_eq!(
        row.lines().next().expect("its line").returned().qty,
        some,
        "the ledger shows the return"
    );
    assert_eq!(row.returns().count(), 1);

    let too_many = send(
        &mut window,
        |w: &SingleWindow| return_application(w, list, 2, Decimal::TWO, at(4, 2, 9)),
        at(4, 2, 9),
    );
    let (status, info) = answer(&too_many, "CEB214Message");
    assert_eq!(status, "100");
    assert!(info.contains("qty 2 超过可退数量 1"), "{info}");

    let rest = send(
        &mut window,
        |w: &SingleWindow| return_application(w, list, 3, Decimal::ONE, at(4, 3, 9)),
        at(4, 3, 9),
    );
    assert_eq!(answer(&rest, "CEB214Message").0, "800");
    let row = window.ledger().row(list).expect("the list");
    assert_eq!(
        row.lines().next().expect("its line").returned().qty,
        qty,
        "all came back"
    );

    let other = (list + 1) % 12;
    let gcode = window
        .ledger()
        .row(other)
        .and_then(|r| r.lines().next())
        .map(|l| l.gcode().to_string())
        .expect("a code");
    let wrong_code = return_application(&window, other, 5, Decimal::ONE, at(4, 5, 9)).replace(
        &format!("<gcode>{gcode}</gcode>"),
        "<gcode>0000000000</gcode>",
    );
    let (status, info) = answer(
        &send(&mut window, |_: &SingleWindow| wrong_code, at(4, 5, 9)),
        "CEB214Message",
    );
    assert_eq!(status, "100");
    assert!(
        info.contains("gcode 为“0000000000”") && info.contains(&gcode),
        "{info}"
    );

    // More than a year after release, on the simulator's clock.
    let a_year_on = NaiveDate::from_ymd_opt(2026, 3, 12)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a time");
    let late = send(
        &mut window,
        |w: &SingleWindow| return_application(w, other, 4, Decimal::ONE, a_year_on),
        a_year_on,
    );
    let (status, info) = answer(&late, "CEB214Message");
    assert_eq!(status, "100");
    assert!(info.contains("起1年"), "{info}");
}

/// The tally of returned goods matches an accepted application once.
#[test]
fn a_return_is_tallied_once() {
    let mut window = released(1, |_, _| {});
    let row = window.ledger().rows().next().expect("the list");
    let (logistics_code, logistics_no, invt_no) = (
        row.logistics_code().to_string(),
        row.logistics_no().to_string(),
        row.invt_no().expect("numbered").to_string(),
    );
    let tally = |guid: u32| {
        format!(
            r#"<CEB215Message xmlns="http://www.chinaport.gov.cn/ceb" guid="00000000-0000-0000-0000-000000000215" version="1.0"><InvtRefundDetail><guid>5E1A0C2D-7B3F-4C8E-9A61-00000000{guid:04}</guid><appType>1</appType><appTime>20250410090000</appTime><appStatus>2</appStatus><customsCode>5314</customsCode><operatorCode>{logistics_code}</operatorCode><operatorName>场所</operatorName><logisticsCode>{logistics_code}</logisticsCode><logisticsName>物流</logisticsName><logisticsNo>{logistics_no}</logisticsNo><invtNo>{invt_no}</invtNo><coElNo>T{guid}</coElNo><billNo>B1</billNo><ieFlag>I</ieFlag><trafMode>4</trafMode><trafName>车</trafName><voyageNo>1</voyageNo></InvtRefundDetail><BaseTransfer><copCode>{logistics_code}</copCode><copName>物流</copName><dxpMode>DXP</dxpMode><dxpId>DXPENT0000000001</dxpId></BaseTransfer></CEB215Message>"#
        )
    };
    let before = send(&mut window, |_: &SingleWindow| tally(10), at(4, 1, 9));
    assert_eq!(
        answer(&before, "CEB216Message").0,
        "100",
        "no application yet"
    );
    let applied = send(
        &mut window,
        |w: &SingleWindow| return_application(w, 0, 11, Decimal::ONE, at(4, 2, 9)),
        at(4, 2, 9),
    );
    assert_eq!(answer(&applied, "CEB214Message").0, "800");
    let tallied = send(&mut window, |_: &SingleWindow| tally(12), at(4, 10, 9));
    assert_eq!(answer(&tallied, "CEB216Message").0, "399");
    let record = window.ledger().returns().next().expect("a return");
    assert!(record.tallied_at.is_some());
    let again = send(&mut window, |_: &SingleWindow| tally(13), at(4, 11, 9));
    assert_eq!(answer(&again, "CEB216Message").0, "100");
}

/// The tax engine sees what came back: one piece of a refunded line is returned on 1 April
/// 2025, so the line repays that piece's share of its refund and of its revenue, then, in the
/// year's figures, the enterprise's 2025 income is that much lower.
#[test]
fn a_return_reaches_the_tax_book() {
    use single_window::tax::annual::CitMethod;
    use single_window::tax::exports::{Enterprise, TaxBook};
    use single_window::tax::inputs::Assumptions;
    use single_window::tax::vat::Regime;
    use single_window::tax::{Kind, Period, Profile, Taxpayer, cit, fx, money, rates, vat};

    let mut window = released(12, |_, _| {});
    let (list, qty) = a_list_of_several_pieces(&window);
    let applied = send(
        &mut window,
        |w: &SingleWindow| return_application(w, list, 21, Decimal::ONE, at(4, 1, 9)),
        at(4, 1, 9),
    );
    assert_eq!(answer(&applied, "CEB214Message").0, "800");
    let code = ebc(&window);
    let from = NaiveDate::from_ymd_opt(2020, 1, 1).expect("a date");
    let book = TaxBook {
        enterprises: vec![Enterprise {
            profile: Profile {
                code: code.clone(),
                name: String::new(),
                periods: vec![Period {
                    refund_filed: true,
                    ..Period::new(from, Taxpayer::General, Kind::Trading)
                }],
            },
            assumptions: Assumptions {
                invoice_share: Decimal::ONE,
                ..Assumptions::default()
            },
            cit_method: CitMethod::Book,
            years: vec![],
        }],
        rates: rates::Rates::sample(),
        fx_rates: fx::FxRates::sample(),
        vat: vat::Params::default(),
        cit: cit::Params::default(),
        fx: fx::Params::default(),
        seed: 1,
    };
    let ledger = window.ledger();
    let year = |y| {
        let d = |m, day| NaiveDate::from_ymd_opt(y, m, day).expect("a date");
        (d(1, 1), d(12, 31))
    };
    let (from, to) = year(2025);
    let (mut fob, mut repaid) = (Decimal::ZERO, Decimal::ZERO);
    let mut all_fob = Decimal::ZERO;
    book.assess(ledger, from, to, |t| {
        let tr = t.treatment;
        assert_eq!(tr.regime, Regime::Refund, "{:?}", tr.reasons);
        all_fob += tr.fob_cny;
        if t.row.id() == list && t.line.gnum() == 1 {
            // By hand: refund = FOB × 60 % purchase ratio × 13 %; one piece of `qty` back.
            let refund =
                money(money(t.line.total_price() * Decimal::new(6, 1)) * Decimal::new(13, 2));
            assert_eq!(tr.vat_refund, refund);
            let r = &tr.returns[0];
            assert_eq!(r.on, NaiveDate::from_ymd_opt(2025, 4, 1).expect("a date"));
            assert_eq!(r.refund_repaid, money(refund / qty));
            assert_eq!(r.fob_cny, money(t.line.total_price() / qty));
            assert!(r.relief);
            (fob, repaid) = (r.fob_cny, r.refund_repaid);
        } else {
            assert!(tr.returns.is_empty());
        }
    });
    assert!(repaid > Decimal::ZERO);
    let y = book.year_of(ledger, &code, 2025);
    assert_eq!(
        (y.returns, y.returned_fob_cny, y.return_refund_repaid),
        (1, fob, repaid)
    );
    assert_eq!(
        y.cit.as_ref().expect("a profile").total_income,
        money(all_fob) - fob
    );
    assert_eq!(y.net_vat_position, y.vat_refund + y.ct_refund - repaid);
}
