//! The engine: a parcel's documents in any order reach the same receipts; a mismatch or a
//! missing document sends the list back naming it; the same inputs give the same receipts.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use single_window::ceb::decode_str;
use single_window::engine::{Engine, EngineConfig, ListStatus, Outgoing, Profile, Scenario};
use single_window::load::parcels::{Parcel, Rng, parcel};
use single_window::model::Message;
use single_window::rules::Params;

fn start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, 31)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("valid time")
}

fn messages(p: &Parcel) -> Vec<Message<'static>> {
    vec![
        Message::Ceb303(p.order.clone()),
        Message::Ceb403(p.receipt.clone()),
        Message::Ceb505(p.waybill.clone()),
        Message::Ceb603(p.list.clone()),
    ]
}

/// Plain customs: no review, inspection or jitter, so the path and its times are exact.
fn plain() -> EngineConfig {
    EngineConfig {
        profile: Profile {
            review_per_mille: 0,
            inspection_per_mille: 0,
            jitter_per_mille: 0,
            ..Profile::default()
        },
        ..EngineConfig::default()
    }
}

/// Plain customs that releases without waiting for an arrival report: these tests look at
/// the cross-check.
fn no_arrival_needed() -> EngineConfig {
    EngineConfig {
        release_waits_for_arrival: false,
        ..plain()
    }
}

/// Feeds the messages in the given order, a minute apart, then lets a day pass.
fn run(msgs: &[Message<'static>], order: &[usize]) -> (Engine, Vec<Outgoing>) {
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    let mut out = Vec::new();
    let mut now = start();
    for &i in order {
        engine.accept(&msgs[i], now);
        out.extend(engine.advance(now));
        now += Duration::minutes(1);
    }
    out.extend(engine.advance(now + Duration::days(1)));
    (engine, out)
}

/// The statuses the list got (604), in order.
fn statuses(out: &[Outgoing]) -> Vec<&str> {
    out.iter()
        .filter(|o| o.root == "CEB604Message")
        .map(|o| o.status)
        .collect()
}

fn receipts_decode(out: &[Outgoing]) {
    for o in out {
        let xml = o.xml();
        let d = decode_str(&xml);
        assert!(d.diagnostics.is_empty(), "{:#?}\n{xml}", d.diagnostics);
        assert_eq!(d.root, o.root);
    }
}

fn permutation(seed: u64) -> Vec<usize> {
    let mut order = vec![0, 1, 2, 3];
    let mut rng = Rng::new(seed);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_arrival_order_reaches_release_with_the_same_receipts(seed in any::<u64>(), shuffle in any::<u64>()) {
        let p = parcel(&mut Rng::new(seed), seed, 50);
        let msgs = messages(&p);
        let (engine, in_order) = run(&msgs, &[0, 1, 2, 3]);
        let (_, shuffled) = run(&msgs, &permutation(shuffle));
        prop_assert_eq!(statuses(&in_order), vec!["120", "399", "800"]);
        // The order, payment receipt and waybill each hear once that they matched.
        let mut others: Vec<(&str, &str)> = in_order
            .iter()
            .filter(|o| o.root != "CEB604Message")
            .map(|o| (o.root, o.status))
            .collect();
        others.sort();
        prop_assert_eq!(others, vec![("CEB304Message", "120"), ("CEB404Message", "120"), ("CEB506Message", "120")]);
        prop_assert_eq!(statuses(&shuffled), statuses(&in_order));
        let infos = |o: &[Outgoing]| o.iter().map(|x| x.info().to_string()).collect::<Vec<_>>();
        prop_assert_eq!(infos(&shuffled), infos(&in_order));
        let head = &p.list.documents[0].head;
        prop_assert_eq!(engine.list_status(&head.ebp_code, &head.order_no), Some(ListStatus::Released));
        receipts_decode(&in_order);
    }

    #[test]
    fn a_field_that_differs_from_the_order_sends_the_list_back_naming_it(seed in any::<u64>(), shuffle in any::<u64>()) {
        let mut p = parcel(&mut Rng::new(seed), seed, 50);
        p.order.documents[0].items[0].item_no = "OTHER-SKU".into();
        let (_, out) = run(&messages(&p), &permutation(shuffle));
        prop_assert_eq!(statuses(&out), vec!["100"]);
        prop_assert!(out[0].info().contains("LINK-ITEM-DIFF") && out[0].info().contains("OTHER-SKU"), "{}", out[0].info());
        receipts_decode(&out);
    }
}

#[test]
fn a_list_whose_waybill_never_comes_is_sent_back_after_the_window() {
    let p = parcel(&mut Rng::new(1), 1, 50);
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for i in [0, 1, 3] {
        engine.accept(&msgs[i], start());
    }
    assert!(
        engine.advance(start() + Duration::minutes(119)).is_empty(),
        "still waiting"
    );
    // It says for what, and until when.
    let head = &p.list.documents[0].head;
    let waiting = engine
        .awaiting(&head.ebp_code, &head.order_no)
        .expect("a list");
    assert!(
        waiting.en.contains("waiting for its waybill") && waiting.zh.contains("运单"),
        "{waiting:?}"
    );
    assert_eq!(waiting.due, Some(start() + Duration::minutes(120)));
    let out = engine.advance(start() + Duration::minutes(120));
    assert_eq!(statuses(&out), vec!["100"]);
    assert!(
        out[0].info().contains("运单") && !out[0].info().contains("订单"),
        "{}",
        out[0].info()
    );
    // The waybill arriving late changes nothing: the list was sent back.
    engine.accept(&msgs[2], start() + Duration::minutes(121));
    assert!(engine.advance(start() + Duration::days(1)).is_empty());
}

#[test]
fn before_2024_12_15_a_retail_list_also_waits_for_its_payment_receipt() {
    let mut p = parcel(&mut Rng::new(2), 2, 50);
    p.list.documents[0].head.app_time = "20240601100000".into();
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for i in [0, 2, 3] {
        engine.accept(&msgs[i], start());
    }
    let out = engine.advance(start() + Duration::days(1));
    assert_eq!(statuses(&out), vec!["100"]);
    assert!(out[0].info().contains("收款单"), "{}", out[0].info());

    // From 2024-12-15 the same parcel needs no receipt.
    let mut p = parcel(&mut Rng::new(2), 2, 50);
    p.list.documents[0].head.app_time = "20250101100000".into();
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for i in [0, 2, 3] {
        engine.accept(&msgs[i], start());
    }
    assert_eq!(
        statuses(&engine.advance(start() + Duration::days(1))),
        vec!["120", "399", "800"]
    );
}

#[test]
fn the_same_inputs_give_the_same_receipts_and_the_steps_keep_their_delays() {
    let p = parcel(&mut Rng::new(3), 3, 50);
    let msgs = messages(&p);
    let (_, a) = run(&msgs, &[3, 2, 1, 0]);
    let (_, b) = run(&msgs, &[3, 2, 1, 0]);
    assert_eq!(a, b);
    let config = no_arrival_needed();
    let list: Vec<&Outgoing> = a.iter().filter(|o| o.root == "CEB604Message").collect();
    // The last document arrives at start + 3 min.
    let complete = start() + Duration::minutes(3);
    assert_eq!(list[0].due, complete + config.store_delay);
    assert_eq!(list[1].due, list[0].due + config.conclude_delay);
    assert_eq!(list[2].due, list[1].due + config.release_delay);
}

/// An arrival (507) and a departure (509) report naming the parcel's waybill.
fn site_reports(p: &Parcel) -> (Message<'static>, Message<'static>) {
    use single_window::model::arrival::{Arrival, ArrivalHead, ArrivalList, Ceb507Message};
    use single_window::model::departure::{Ceb509Message, Departure, DepartureHead, DepartureList};
    let h = &p.list.documents[0].head;
    let arrival = Ceb507Message {
        guid: "A0000000-0000-4000-8000-000000000001".into(),
        version: "1.0".into(),
        documents: vec![Arrival {
            head: ArrivalHead {
                guid: "A0000000-0000-4000-8000-000000000002".into(),
                customs_code: h.customs_code.clone(),
                cop_no: "A20250331000001".into(),
                logistics_code: h.logistics_code.clone(),
                bill_no: Some("BILL0001".into()),
                msg_count: 1,
                msg_seq_no: 1,
                ..ArrivalHead::default()
            },
            items: vec![ArrivalList {
                gnum: 1,
                logistics_no: h.logistics_no.clone(),
                ..ArrivalList::default()
            }],
        }],
        base_transfer: p.list.base_transfer.clone(),
        ..Ceb507Message::default()
    };
    let departure = Ceb509Message {
        guid: "D0000000-0000-4000-8000-000000000001".into(),
        version: "1.0".into(),
        documents: vec![Departure {
            head: DepartureHead {
                guid: "D0000000-0000-4000-8000-000000000002".into(),
                customs_code: h.customs_code.clone(),
                cop_no: "D20250331000001".into(),
                logistics_code: h.logistics_code.clone(),
                bill_no: Some("BILL0001".into()),
                msg_count: 1,
                msg_seq_no: 1,
                ..DepartureHead::default()
            },
            items: vec![DepartureList {
                gnum: 1,
                logistics_no: h.logistics_no.clone(),
                ..DepartureList::default()
            }],
        }],
        base_transfer: p.list.base_transfer.clone(),
        ..Ceb509Message::default()
    };
    (Message::Ceb507(arrival), Message::Ceb509(departure))
}

#[test]
fn release_waits_for_arrival_and_departure_closes_the_list() {
    let p = parcel(&mut Rng::new(4), 4, 50);
    let (arrival, departure) = site_reports(&p);
    let mut engine = Engine::new(plain(), Params::default());
    for m in messages(&p) {
        engine.accept(&m, start());
    }
    // Concluded, its release not yet due: it is the arrival that is awaited, not the 800.
    let early = {
        let mut e = Engine::new(plain(), Params::default());
        for m in messages(&p) {
            e.accept(&m, start());
        }
        e.advance(start() + Duration::minutes(1));
        let h = &p.list.documents[0].head;
        e.awaiting(&h.ebp_code, &h.order_no).expect("a list")
    };
    assert_eq!(early.status, ListStatus::Concluded);
    assert!(
        early.en.contains("arrival") && early.en.contains("not before"),
        "{early:?}"
    );
    let held = engine.advance(start() + Duration::hours(1));
    assert_eq!(
        statuses(&held),
        vec!["120", "399"],
        "no release before the parcel arrived"
    );
    let head = &p.list.documents[0].head;
    assert_eq!(
        engine.list_status(&head.ebp_code, &head.order_no),
        Some(ListStatus::Concluded)
    );
    // What it waits for is said, with no due time: a document must come.
    let awaiting = |engine: &Engine| {
        engine
            .awaiting(&head.ebp_code, &head.order_no)
            .expect("a list")
    };
    let held = awaiting(&engine);
    assert!(
        held.en.contains("arrival") && held.zh.contains("CEB507"),
        "{held:?}"
    );
    assert_eq!(held.due, None);

    let arrived = start() + Duration::hours(2);
    engine.accept(&arrival, arrived);
    // The release is due now: the next step and its time are said.
    let next = awaiting(&engine);
    assert!(next.en.contains("released (800)"), "{next:?}");
    assert_eq!(next.due, Some(arrived));
    let out = engine.advance(arrived + Duration::minutes(10));
    let released = awaiting(&engine);
    assert!(released.en.contains("departure (CEB509)"), "{released:?}");
    let seen: Vec<(&str, &str)> = out.iter().map(|o| (o.root, o.status)).collect();
    // (304/404/506 came with 120, before the arrival.)
    assert_eq!(
        seen,
        vec![
            ("CEB604Message", "800"),
            ("CEB508Message", "399"),
            ("CEB508Message", "800")
        ]
    );

    let left = arrived + Duration::hours(3);
    engine.accept(&departure, left);
    let out = engine.advance(left + Duration::minutes(10));
    let seen: Vec<(&str, &str)> = out.iter().map(|o| (o.root, o.status)).collect();
    assert_eq!(
        seen,
        vec![("CEB604Message", "899"), ("CEB510Message", "399")]
    );
    assert_eq!(
        engine.list_status(&head.ebp_code, &head.order_no),
        Some(ListStatus::Closed)
    );
    assert!(engine.open_lists().is_empty());
    receipts_decode(&out);
}

#[test]
fn a_second_list_for_the_same_order_is_a_duplicate_and_redelivery_changes_nothing() {
    let p = parcel(&mut Rng::new(5), 5, 50);
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in &msgs {
        engine.accept(m, start());
    }
    // The very same list again: an idempotent re-delivery.
    engine.accept(&msgs[3], start());
    let mut other = p.list.clone();
    other.documents[0].head.guid = "B0000000-0000-4000-8000-000000000009".into();
    engine.accept(&Message::Ceb603(other), start() + Duration::minutes(1));
    let out = engine.advance(start() + Duration::days(1));
    assert_eq!(
        statuses(&out),
        vec!["120", "399", "-604001", "800"],
        "{out:#?}"
    );
    let dup = out
        .iter()
        .find(|o| o.status == "-604001")
        .expect("duplicate receipt");
    assert!(dup.info().contains("重复"), "{}", dup.info());
    receipts_decode(&out);
}

/// The statuses a parcel's list gets when its note carries `note`.
fn with_note(note: &str, config: EngineConfig) -> (Engine, Vec<Outgoing>) {
    let mut p = parcel(&mut Rng::new(6), 6, 50);
    p.list.documents[0].head.note = Some(note.to_string().into());
    let mut engine = Engine::new(config, Params::default());
    for m in messages(&p) {
        engine.accept(&m, start());
    }
    let out = engine.advance(start() + Duration::days(2));
    (engine, out)
}

#[test]
fn scenario_markers_in_the_note_force_the_path() {
    let cases = [
        ("[SW:review]", vec!["120", "300", "399", "800"]),
        ("[SW:inspect]", vec!["120", "500", "399", "800"]),
        (
            "请加急 [SW:review][SW:inspect]",
            vec!["120", "300", "500", "399", "800"],
        ),
        ("[SW:refuse]", vec!["100"]),
        ("[SW:silent]", vec![]),
        ("no marker", vec!["120", "399", "800"]),
    ];
    for (note, expected) in cases {
        let (_, out) = with_note(note, no_arrival_needed());
        assert_eq!(statuses(&out), expected, "{note}");
        receipts_decode(&out);
    }
    let (_, out) = with_note("[SW:delay=3600]", no_arrival_needed());
    assert_eq!(
        out[0].due,
        start() + Duration::hours(1) + Duration::seconds(2),
        "{out:#?}"
    );
    let (engine, _) = with_note("[SW:silent]", no_arrival_needed());
    let p = parcel(&mut Rng::new(6), 6, 50);
    let head = &p.list.documents[0].head;
    assert_eq!(
        engine.list_status(&head.ebp_code, &head.order_no),
        Some(ListStatus::Released),
        "silent, but done"
    );
}

#[test]
fn configured_scenarios_work_like_markers() {
    let p = parcel(&mut Rng::new(6), 6, 50);
    let mut config = no_arrival_needed();
    config.scenarios.insert(
        p.list.documents[0].head.order_no.to_string(),
        Scenario {
            inspect: true,
            ..Scenario::default()
        },
    );
    let (_, out) = with_note("", config);
    assert_eq!(statuses(&out), vec!["120", "500", "399", "800"]);
}

#[test]
fn the_profile_draws_reviews_at_its_rate_and_spreads_delays_reproducibly() {
    let config = EngineConfig {
        release_waits_for_arrival: false,
        profile: Profile {
            review_per_mille: 200,
            ..Profile::default()
        },
        ..EngineConfig::default()
    };
    let run_all = || {
        let mut engine = Engine::new(config.clone(), Params::default());
        let mut rng = Rng::new(11);
        for serial in 1..=1000 {
            let p = parcel(&mut rng, serial, 50);
            for m in messages(&p) {
                engine.accept(&m, start());
            }
        }
        engine.advance(start() + Duration::days(3))
    };
    let out = run_all();
    let reviewed = out.iter().filter(|o| o.status == "300").count();
    assert!(
        (150..=250).contains(&reviewed),
        "{reviewed} of 1000 reviewed at 200 per mille"
    );
    assert_eq!(
        out.iter().filter(|o| o.status == "800").count(),
        1000,
        "all released in the end"
    );
    // Stored 2 s ± 50 % after the last document: spread, within bounds, and the same each run.
    let stored: Vec<i64> = out
        .iter()
        .filter(|o| o.status == "120")
        .map(|o| (o.due - start()).num_milliseconds())
        .collect();
    assert!(
        stored.iter().all(|ms| (1000..=3000).contains(ms)),
        "{stored:?}"
    );
    assert!(stored.iter().any(|&ms| ms != stored[0]), "delays vary");
    assert_eq!(run_all(), out, "the same seed gives the same receipts");
}

/// The parcel's list as sent again with another GUID and `app_type`, changed by `edit`.
fn resent(
    p: &Parcel,
    app_type: &str,
    edit: impl Fn(&mut single_window::model::inventory::Inventory<'static>),
) -> Message<'static> {
    let mut list = p.list.clone();
    let doc = &mut list.documents[0];
    doc.head.guid = format!("C0000000-0000-4000-8000-00000000000{app_type}").into();
    doc.head.app_type = app_type.to_string().into();
    edit(doc);
    Message::Ceb603(list)
}

#[test]
fn a_change_before_release_is_checked_again_and_after_release_refused() {
    let p = parcel(&mut Rng::new(8), 8, 50);
    let msgs = messages(&p);
    // Changed after 入库 so that it no longer matches its order: sent back.
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in &msgs {
        engine.accept(m, start());
    }
    let stored = engine.advance(start() + Duration::seconds(10));
    assert_eq!(statuses(&stored), vec!["120"]);
    let changed = resent(&p, "2", |d| d.items[0].item_no = "CHANGED".into());
    engine.accept(&changed, start() + Duration::seconds(10));
    let out = engine.advance(start() + Duration::days(1));
    assert_eq!(statuses(&out), vec!["100"]);
    assert!(
        out[0].info().contains("变更后") && out[0].info().contains("CHANGED"),
        "{}",
        out[0].info()
    );

    // A change that keeps it consistent lets it go on; after release a change is refused.
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in &msgs {
        engine.accept(m, start());
    }
    engine.accept(
        &resent(&p, "2", |d| d.head.note = Some("改运输工具".into())),
        start(),
    );
    let out = engine.advance(start() + Duration::days(1));
    assert_eq!(statuses(&out), vec!["120", "399", "800"]);
    engine.accept(&resent(&p, "2", |_| {}), start() + Duration::days(1));
    let out = engine.advance(start() + Duration::days(2));
    assert_eq!(statuses(&out), vec!["-604001"]);
    assert!(out[0].info().contains("已放行"), "{}", out[0].info());
}

#[test]
fn a_deletion_before_storage_removes_the_list_and_a_new_one_may_follow() {
    let p = parcel(&mut Rng::new(9), 9, 50);
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    engine.accept(&msgs[3], start());
    engine.accept(&resent(&p, "3", |_| {}), start() + Duration::minutes(1));
    let head = &p.list.documents[0].head;
    assert_eq!(
        engine.list_status(&head.ebp_code, &head.order_no),
        Some(ListStatus::Deleted)
    );
    for m in &msgs[..3] {
        engine.accept(m, start() + Duration::minutes(2));
    }
    assert!(
        engine.advance(start() + Duration::days(1)).is_empty(),
        "a deleted list gets no receipts"
    );
    // The list filed again as new goes through.
    engine.accept(&resent(&p, "1", |_| {}), start() + Duration::days(1));
    assert_eq!(
        statuses(&engine.advance(start() + Duration::days(2))),
        vec!["120", "399", "800"]
    );
}

#[test]
fn a_recorded_list_can_be_cancelled_until_it_is_closed() {
    use single_window::model::cancel::{Ceb605Message, InvtCancel};
    let p = parcel(&mut Rng::new(10), 10, 50);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in messages(&p) {
        engine.accept(&m, start());
    }
    let out = engine.advance(start() + Duration::seconds(10));
    let xml = out[0].xml();
    let d = decode_str(&xml);
    let Some(Message::Ceb604(r)) = d.message else {
        panic!("a 604")
    };
    let invt_no = r.returns[0].invt_no.to_string();
    assert_eq!(
        invt_no.len(),
        18,
        "customs + year + E + 9 digits: {invt_no}"
    );
    let ebc = p.list.documents[0].head.ebc_code.to_string();
    let cancel_by = |invt: &str, ebc: &str| {
        Message::Ceb605(Ceb605Message {
            documents: vec![InvtCancel {
                guid: "E0000000-0000-4000-8000-000000000001".into(),
                invt_no: invt.to_string().into(),
                reason: "买家取消".into(),
                ebc_code: ebc.to_string().into(),
                ..InvtCancel::default()
            }],
            ..Ceb605Message::default()
        })
    };
    let cancel = |invt: &str| cancel_by(invt, &ebc);
    // Another enterprise knowing the list number cannot cancel it: to it the list is unknown.
    engine.accept(
        &cancel_by(&invt_no, "3301966K12"),
        start() + Duration::seconds(15),
    );
    let foreign = engine.advance(start() + Duration::seconds(19));
    assert_eq!(
        foreign
            .iter()
            .map(|o| (o.root, o.status))
            .collect::<Vec<_>>(),
        vec![("CEB606Message", "100")]
    );
    assert!(
        foreign[0].info().contains("清单不存在"),
        "{}",
        foreign[0].info()
    );
    engine.accept(&cancel(&invt_no), start() + Duration::seconds(20));
    engine.accept(&cancel(&invt_no), start() + Duration::seconds(30));
    engine.accept(
        &cancel("00002025E000000000"),
        start() + Duration::seconds(40),
    );
    let out = engine.advance(start() + Duration::days(1));
    let seen: Vec<(&str, &str)> = out.iter().map(|o| (o.root, o.status)).collect();
    assert_eq!(
        seen,
        vec![
            ("CEB606Message", "399"),
            ("CEB606Message", "100"),
            ("CEB606Message", "100")
        ],
        "cancelled, then a duplicate, then an unknown list; the cancelled list is not released"
    );
    let head = &p.list.documents[0].head;
    assert_eq!(
        engine.list_status(&head.ebp_code, &head.order_no),
        Some(ListStatus::Cancelled)
    );
    receipts_decode(&out);
}

/// One thing that can happen to the engine.
#[derive(Debug, Clone)]
enum Event {
    /// Document `doc` of parcel `parcel`, possibly re-sent with appType `app_type` under a
    /// new GUID.
    Doc {
        parcel: usize,
        doc: usize,
        app_type: u8,
        new_guid: bool,
    },
    Arrive {
        parcel: usize,
    },
    Depart {
        parcel: usize,
    },
    Cancel {
        parcel: usize,
        known: bool,
    },
    Wait {
        minutes: u16,
    },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => (0..3usize, 0..4usize, 1..4u8, any::<bool>())
            .prop_map(|(parcel, doc, app_type, new_guid)| Event::Doc { parcel, doc, app_type, new_guid }),
        1 => (0..3usize).prop_map(|parcel| Event::Arrive { parcel }),
        1 => (0..3usize).prop_map(|parcel| Event::Depart { parcel }),
        1 => (0..3usize, any::<bool>()).prop_map(|(parcel, known)| Event::Cancel { parcel, known }),
        2 => (0..600u16).prop_map(|minutes| Event::Wait { minutes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_sequence_of_documents_upsets_the_engine(seed in any::<u64>(), events in proptest::collection::vec(event(), 1..60)) {
        use single_window::model::cancel::{Ceb605Message, InvtCancel};
        let parcels: Vec<Parcel> = (0..3).map(|i| parcel(&mut Rng::new(seed ^ i), seed.wrapping_add(i), 20)).collect();
        let mut engine = Engine::new(EngineConfig::default(), Params::default());
        let mut now = start();
        let mut out = Vec::new();
        let mut invt_nos: Vec<String> = Vec::new();
        for (n, e) in events.iter().enumerate() {
            match e {
                Event::Doc { parcel, doc, app_type, new_guid } => {
                    let mut m = messages(&parcels[*parcel]).swap_remove(*doc);
                    if let Message::Ceb603(l) = &mut m {
                        let head = &mut l.documents[0].head;
                        head.app_type = app_type.to_string().into();
                        if *new_guid {
                            head.guid = format!("F0000000-0000-4000-8000-{n:012}").into();
                        }
                    }
                    engine.accept(&m, now);
                }
                Event::Arrive { parcel } | Event::Depart { parcel } => {
                    let (arrival, departure) = site_reports(&parcels[*parcel]);
                    engine.accept(if matches!(e, Event::Arrive { .. }) { &arrival } else { &departure }, now);
                }
                Event::Cancel { parcel, known } => {
                    let invt = if *known { invt_nos.get(*parcel).cloned().unwrap_or_default() } else { "00002025E000000000".into() };
                    let cancel = Ceb605Message {
                        documents: vec![InvtCancel { guid: format!("E0000000-0000-4000-8000-{n:012}").into(), invt_no: invt.into(), ..InvtCancel::default() }],
                        ..Ceb605Message::default()
                    };
                    engine.accept(&Message::Ceb605(cancel), now);
                }
                Event::Wait { minutes } => now += Duration::minutes(i64::from(*minutes)),
            }
            let step = engine.advance(now);
            for o in &step {
                if let Message::Ceb604(r) = o.message()
                    && !r.returns[0].invt_no.is_empty()
                    && !invt_nos.contains(&r.returns[0].invt_no.to_string())
                {
                    invt_nos.push(r.returns[0].invt_no.to_string());
                }
            }
            out.extend(step);
        }
        out.extend(engine.advance(now + Duration::days(30)));
        // Every receipt is a valid message, in due order.
        receipts_decode(&out);
        prop_assert!(out.windows(2).all(|w| w[0].due <= w[1].due));
        // Nothing waits forever: a week after the last event no timer is left to fire.
        prop_assert!(engine.advance(now + Duration::days(60)).is_empty());
    }
}

#[test]
fn orders_payments_and_waybills_can_be_changed_until_their_list_is_with_customs() {
    let p = parcel(&mut Rng::new(12), 12, 50);
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    // The order arrives, is sent again as new (duplicate), then changed, before any list.
    engine.accept(&msgs[0], start());
    let mut again = p.order.clone();
    again.documents[0].head.guid = "D1000000-0000-4000-8000-000000000001".into();
    engine.accept(&Message::Ceb303(again.clone()), start());
    let mut change = again.clone();
    change.documents[0].head.app_type = "2".into();
    change.documents[0].items[0].item_no = "OTHER-SKU".into();
    engine.accept(&Message::Ceb303(change), start());
    // The list, receipt and waybill follow: the list no longer matches the changed order.
    for m in &msgs[1..] {
        engine.accept(m, start() + Duration::minutes(1));
    }
    let out = engine.advance(start() + Duration::days(1));
    let duplicate: Vec<(&str, std::borrow::Cow<str>)> = out
        .iter()
        .filter(|o| o.root == "CEB304Message")
        .map(|o| (o.status, o.info()))
        .collect();
    assert_eq!(duplicate.len(), 1, "{out:#?}");
    assert_eq!(duplicate[0].0, "-304001");
    assert!(duplicate[0].1.contains("重复"), "{duplicate:?}");
    assert_eq!(statuses(&out), vec!["100"]);
    assert!(
        out.iter().any(|o| o.info().contains("OTHER-SKU")),
        "the change counted"
    );
    receipts_decode(&out);

    // Once the list is stored, its waybill can no longer be deleted.
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in &msgs {
        engine.accept(m, start());
    }
    engine.advance(start() + Duration::seconds(10));
    let mut delete = p.waybill.clone();
    delete.documents[0].guid = "D2000000-0000-4000-8000-000000000001".into();
    delete.documents[0].app_type = "3".into();
    engine.accept(&Message::Ceb505(delete), start() + Duration::seconds(10));
    let out = engine.advance(start() + Duration::days(1));
    let refused: Vec<&Outgoing> = out.iter().filter(|o| o.root == "CEB506Message").collect();
    assert_eq!(refused.len(), 1, "{out:#?}");
    assert_eq!(refused[0].status, "-504001");
    assert_eq!(statuses(&out), vec!["399", "800"], "the list goes on");
}

/// The same message sent by another enterprise (its BaseTransfer) with its own parties.
fn as_intruder(m: &Message<'static>) -> Message<'static> {
    use single_window::model::envelope::BaseTransfer;
    let intruder = BaseTransfer {
        cop_code: "3301966K12".into(),
        cop_name: "杭州云帆跨境电子商务有限公司".into(),
        dxp_mode: "DXP".into(),
        dxp_id: "DXPENT0000027183".into(),
        note: None,
    };
    let mut m = m.clone();
    match &mut m {
        Message::Ceb303(o) => {
            o.base_transfer = intruder;
            o.documents[0].head.ebc_code = "3301966K12".into();
        }
        Message::Ceb403(r) => {
            r.base_transfer = intruder;
            r.documents[0].ebc_code = "3301966K12".into();
        }
        Message::Ceb603(l) => {
            l.base_transfer = intruder;
            l.documents[0].head.ebc_code = "3301966K12".into();
        }
        _ => unreachable!("orders, payments and lists only"),
    }
    m
}

#[test]
fn receipts_go_to_the_sender_of_the_document_not_to_whoever_copied_its_guid() {
    let p = parcel(&mut Rng::new(21), 21, 50);
    let msgs = messages(&p);
    let seller = p.list.base_transfer.dxp_id.to_string();
    let carrier = p.waybill.base_transfer.dxp_id.to_string();
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in &msgs {
        engine.accept(m, start());
    }
    // Another enterprise sends its own order and list under the same GUIDs (another order).
    for m in [&msgs[0], &msgs[3]] {
        let mut copy = as_intruder(m);
        match &mut copy {
            Message::Ceb303(o) => o.documents[0].head.order_no = "COPY-1".into(),
            Message::Ceb603(l) => l.documents[0].head.order_no = "COPY-1".into(),
            _ => {}
        }
        engine.accept(&copy, start() + Duration::seconds(1));
    }
    let out = engine.advance(start() + Duration::days(1));
    let to = |root: &str, status: &str| -> Vec<&str> {
        out.iter()
            .filter(|o| o.root == root && o.status == status)
            .map(|o| o.to())
            .collect()
    };
    assert_eq!(to("CEB604Message", "120"), vec![seller.as_str()]);
    assert_eq!(to("CEB604Message", "399"), vec![seller.as_str()]);
    assert_eq!(to("CEB304Message", "120"), vec![seller.as_str()]);
    assert_eq!(to("CEB404Message", "120"), vec![seller.as_str()]);
    assert_eq!(to("CEB506Message", "120"), vec![carrier.as_str()]);
    // The copied list names the parcel's waybill, which carries a list already: refused, and
    // the answer goes to its sender.
    assert_eq!(to("CEB604Message", "-604001"), vec!["DXPENT0000027183"]);
}

#[test]
fn another_enterprise_can_neither_change_nor_block_a_parcel_that_is_not_its_own() {
    let p = parcel(&mut Rng::new(22), 22, 50);
    let msgs = messages(&p);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    let mut now = start();
    let mut step = |engine: &mut Engine, m: &Message<'static>| {
        engine.accept(m, now);
        now += Duration::milliseconds(1);
    };
    step(&mut engine, &msgs[0]);
    // A list and a payment receipt of another enterprise for this order: they cannot hold
    // its place, and a change of the order by another enterprise is refused.
    step(&mut engine, &as_intruder(&msgs[3]));
    step(&mut engine, &as_intruder(&msgs[1]));
    let mut change = as_intruder(&msgs[0]);
    if let Message::Ceb303(o) = &mut change {
        o.documents[0].head.app_type = "2".into();
        o.documents[0].head.guid = "C0000000-0000-4000-8000-0000000000C2".into();
    }
    step(&mut engine, &change);
    for m in &msgs[1..] {
        step(&mut engine, m);
    }
    let out = engine.advance(start() + Duration::days(1));
    let mine: Vec<(&str, &str)> = out
        .iter()
        .filter(|o| o.to() != "DXPENT0000027183")
        .map(|o| (o.root, o.status))
        .collect();
    assert!(
        mine.contains(&("CEB604Message", "800")),
        "the parcel's own list goes through: {mine:?}"
    );
    assert!(
        !mine.iter().any(|(_, s)| s.starts_with('-') || *s == "100"),
        "{mine:?}"
    );
    let theirs: Vec<(&str, &str, String)> = out
        .iter()
        .filter(|o| o.to() == "DXPENT0000027183")
        .map(|o| (o.root, o.status, o.info().into_owned()))
        .collect();
    assert!(
        theirs.iter().any(|(r, s, i)| *r == "CEB404Message"
            && *s == "-404001"
            && i.contains("其他电商企业")),
        "{theirs:?}"
    );
    assert!(
        theirs.iter().any(|(r, s, i)| *r == "CEB304Message"
            && *s == "-304001"
            && i.contains("其他电商企业")),
        "{theirs:?}"
    );
    assert!(
        theirs
            .iter()
            .any(|(r, s, _)| *r == "CEB604Message" && *s == "100"),
        "the intruder's list is sent back by the cross-check: {theirs:?}"
    );
}

#[test]
fn a_waybill_carries_one_list() {
    let p = parcel(&mut Rng::new(23), 23, 50);
    let msgs = messages(&p);
    let other = parcel(&mut Rng::new(24), 24, 50);
    let mut engine = Engine::new(no_arrival_needed(), Params::default());
    for m in &msgs {
        engine.accept(m, start());
    }
    // Another order's list naming the same waybill: refused at once, the first one goes on.
    let mut second = other.list.clone();
    second.documents[0].head.logistics_code = p.list.documents[0].head.logistics_code.clone();
    second.documents[0].head.logistics_no = p.list.documents[0].head.logistics_no.clone();
    engine.accept(&Message::Ceb303(other.order.clone()), start());
    engine.accept(&Message::Ceb603(second), start() + Duration::seconds(1));
    let out = engine.advance(start() + Duration::days(1));
    let lists: Vec<(&str, String)> = out
        .iter()
        .filter(|o| o.root == "CEB604Message")
        .map(|o| (o.status, o.info().into_owned()))
        .collect();
    assert!(
        lists
            .iter()
            .any(|(s, i)| *s == "-604001" && i.contains("运单")),
        "{lists:?}"
    );
    assert_eq!(
        lists.iter().filter(|(s, _)| *s == "800").count(),
        1,
        "{lists:?}"
    );
}

/// A window that settles what it can after every step, into a cold store when `cold`
/// (without one, nothing leaves memory).
struct Settling {
    window: single_window::engine::SingleWindow,
    store: std::sync::Arc<single_window::engine::cold::MemoryStore>,
    version: u64,
}

impl Settling {
    fn new(cold: bool) -> Settling {
        let mut window =
            single_window::engine::SingleWindow::new(no_arrival_needed(), Params::default());
        let store = std::sync::Arc::new(single_window::engine::cold::MemoryStore::default());
        if cold {
            window.attach_cold(store.clone());
        }
        Settling {
            window,
            store,
            version: 0,
        }
    }

    /// Takes `m` (if any) at `now`, then advances to `until` and settles there: the receipts.
    fn step(
        &mut self,
        m: Option<&Message<'static>>,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> Vec<Outgoing> {
        if let Some(m) = m {
            self.window.accept(m, now);
        }
        let out = self.window.advance(until);
        self.version += 1;
        for (v, batch) in self.window.settle(self.version, until) {
            self.store.put(v, &batch);
        }
        self.window.written(self.version);
        out
    }
}

/// Plays a parcel's story through a window: its documents, its departure, then (once it is
/// long closed) the same list again, a duplicate order, a second list for it, its
/// cancellation, a return and its tally, and a summary; with a cold store (and everything
/// finished settled out of memory after every message) or without one.
fn story(
    cold: bool,
) -> (
    Vec<(String, String, String, String)>,
    single_window::engine::WorkingSet,
) {
    use single_window::load::{after, bills};
    let p = parcel(&mut Rng::new(31), 31, 50);
    let mut settling = Settling::new(cold);
    let mut out = Vec::new();
    let mut now = start();
    let mut play = |out: &mut Vec<Outgoing>, m: &Message<'static>, now| {
        out.extend(settling.step(Some(m), now, now + Duration::minutes(30)));
    };
    let list = p.list.clone();
    for m in messages(&p) {
        play(&mut out, &m, now);
    }
    let h = &p.list.documents[0].head;
    let waybills = vec![h.logistics_no.to_string()];
    let bill = bills::Bill {
        code: &h.logistics_code,
        name: &h.logistics_name,
        customs: &h.customs_code,
        no: "BILL0001",
        waybills: &waybills,
    };
    now += Duration::minutes(40);
    let departure = bills::departure(&bill, now, p.list.base_transfer.clone());
    play(&mut out, &departure, now);
    let invt_no = out
        .iter()
        .filter(|o| o.root == "CEB604Message" && o.status == "120")
        .find_map(|o| {
            let xml = o.xml();
            Some(
                xml.split("<ceb:invtNo>")
                    .nth(1)?
                    .split('<')
                    .next()?
                    .to_string(),
            )
        })
        .expect("the list was stored");
    now += Duration::days(2);
    let mut order_again = p.order.clone();
    order_again.documents[0].head.guid = "C0000000-0000-4000-8000-0000000000A1".into();
    let second_list = resent(&p, "1", |_| {});
    let cancel = Message::Ceb605(single_window::model::cancel::Ceb605Message {
        documents: vec![single_window::model::cancel::InvtCancel {
            guid: "E0000000-0000-4000-8000-000000000002".into(),
            invt_no: invt_no.clone().into(),
            ebc_code: h.ebc_code.clone(),
            ..Default::default()
        }],
        ..Default::default()
    });
    let late = [
        Message::Ceb603(list.clone()),
        Message::Ceb303(order_again),
        second_list,
        cancel,
        after::return_application(&list, &invt_no, now).expect("a return"),
        after::return_tally(&list, &invt_no, now + Duration::hours(1)).expect("a tally"),
        after::summary(
            &list.base_transfer,
            &h.customs_code,
            start(),
            now + Duration::days(1),
            now + Duration::days(1),
        ),
    ];
    for m in &late {
        now += Duration::hours(2);
        play(&mut out, m, now);
    }
    let told = out
        .iter()
        .map(|o| {
            (
                o.root.to_string(),
                o.status.to_string(),
                o.to().to_string(),
                o.xml(),
            )
        })
        .collect();
    (told, settling.window.working_set())
}

#[test]
fn settling_finished_parcels_out_of_memory_changes_no_answer() {
    let (kept, in_memory) = story(false);
    let (settled, left) = story(true);
    let statuses: Vec<(&str, &str)> = settled
        .iter()
        .map(|(root, status, ..)| (root.as_str(), status.as_str()))
        .collect();
    // The closed list again: nothing; the order again: refused; a second list: refused; the
    // cancellation: refused (closed); the return 800 and its tally 399; the summary.
    for expected in [
        ("CEB604Message", "899"),
        ("CEB304Message", "-304001"),
        ("CEB604Message", "-604001"),
        ("CEB606Message", "100"),
        ("CEB214Message", "800"),
        ("CEB216Message", "399"),
        ("CEB702Message", "120"),
    ] {
        assert!(statuses.contains(&expected), "{expected:?} in {statuses:?}");
    }
    assert_eq!(settled, kept, "the same receipts, byte for byte");
    assert!(in_memory.lists > 0 && in_memory.declarations > 0);
    assert_eq!(
        (left.lists, left.orders, left.waybills),
        (0, 0, 0),
        "{left:?}"
    );
    assert_eq!(left.declarations, 0, "{left:?}");
}

/// The receipts of a parcel whose list comes three hours after its order, payment receipt and
/// waybill, with the window settling after each step (with a cold store: what waited longer
/// than the retention leaves memory), and the working set just before the list.
fn late_list(cold: bool) -> (Vec<String>, single_window::engine::WorkingSet) {
    let p = parcel(&mut Rng::new(7), 7, 50);
    let mut settling = Settling::new(cold);
    let mut out = Vec::new();
    let mut step = |m: Option<&Message<'static>>, now| {
        out.extend(settling.step(m, now, now).iter().map(|o| o.xml()));
        settling.window.working_set()
    };
    let now = start();
    let documents = messages(&p);
    let (list, partners) = documents.split_last().expect("four documents");
    for m in partners {
        step(Some(m), now);
    }
    let before = step(None, now + Duration::hours(3));
    step(Some(list), now + Duration::hours(3));
    step(None, now + Duration::days(1));
    (out, before)
}

#[test]
fn partners_that_waited_on_disk_come_back_for_their_late_list() {
    let (kept, in_memory) = late_list(false);
    let (parked, on_disk) = late_list(true);
    assert_eq!((in_memory.orders, in_memory.waybills), (1, 1));
    assert_eq!((on_disk.orders, on_disk.waybills), (0, 0), "{on_disk:?}");
    assert_eq!(parked, kept, "the same receipts, byte for byte");
    assert!(
        parked
            .iter()
            .any(|x| x.contains("CEB604Message") && x.contains(">800<")),
        "the late list was released"
    );
}
