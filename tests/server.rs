//! `single-window serve` as a real process: ingest, receipts by pull, push and file drop,
//! access control, size limit, test support, graceful stop, and a `kill -9` under load.

mod common;

use common::server::*;
use serde_json::Value;
use single_window::load::parcels::{self, Rng};
use single_window::model::schema::{documents_member, find_text};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn a_parcel_goes_in_by_http_and_its_receipts_come_back_in_order_by_pull() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        "",
        &format!("{QUICK_CUSTOMS}\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n"),
    );
    let mut seqs = Vec::new();
    for name in PARCEL {
        let answer = server.post(MY_TOKEN, &seed(name));
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
        assert!(
            answer
                .text()
                .contains("<ceb:returnStatus>2</ceb:returnStatus>"),
            "{}",
            answer.text()
        );
        seqs.push(answer.header("x-sw-seq").unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(seqs, [1, 2, 3, 4]);
    let receipts = server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"800".into())
    });
    // The e-port's own receipts first, then customs': 120 → 399 → 800 for the list.
    assert_eq!(
        statuses(&receipts, "CEB604Message"),
        ["2", "120", "399", "800"]
    );
    assert_eq!(statuses(&receipts, "CEB304Message"), ["2", "120"]);
    let ids: Vec<u64> = receipts.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids in order: {ids:?}");
    // One receipt by id, as XML.
    let one = server.http("GET", &format!("/receipts/{}", ids[0]), Some(MY_TOKEN), b"");
    assert_eq!(one.status, 200);
    assert!(one.text().contains("CEB304Message"));

    // GBK and DxpMsg-wrapped messages are read too; the wrapped one is answered wrapped.
    let gbk = server.post(MY_TOKEN, &seed("CEB603-retail-list-gbk.xml"));
    assert_eq!(gbk.status, 200, "{}", gbk.text());
    assert!(gbk.text().contains("CEB604Message"));
    let wrapped = server.post(MY_TOKEN, &seed("DxpMsg-wrapped-retail-list.xml"));
    assert_eq!(wrapped.status, 200, "{}", wrapped.text());
    assert!(wrapped.text().contains("<dxp:DxpMsg"), "{}", wrapped.text());
    assert!(
        wrapped
            .text()
            .contains("<dxp:ReceiverId>DXPENT0000031415</dxp:ReceiverId>")
    );

    // The B2B parcel the shipped summary application names beside the retail list.
    for name in [
        "CEB303-b2b-order-9710.xml",
        "CEB505-waybill-2.xml",
        "CEB603-b2b-list-9710.xml",
    ] {
        assert_eq!(server.post(MY_TOKEN, &seed(name)).status, 200, "{name}");
    }
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message")
            .iter()
            .filter(|s| *s == "800")
            .count()
            >= 2
    });
    // After release, the shipped files as they are: a summary application naming both
    // lists by the numbers customs gave them, a return of the retail list and its tally.
    for name in [
        "CEB701-summary-application.xml",
        "CEB213-return-application.xml",
        "CEB215-return-arrival.xml",
    ] {
        let answer = server.post(MY_TOKEN, &seed(name));
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
    }
    let after = server.pull_until(MY_TOKEN, |r| {
        !statuses(r, "CEB792Message").is_empty() && !statuses(r, "CEB216Message").is_empty()
    });
    assert_eq!(
        statuses(&after, "CEB702Message"),
        ["2", "120"],
        "{after:#?}"
    );
    assert_eq!(
        statuses(&after, "CEB214Message"),
        ["2", "800"],
        "{after:#?}"
    );
    assert_eq!(
        statuses(&after, "CEB216Message"),
        ["2", "399"],
        "{after:#?}"
    );
    same_identity_in_every_receipt_of_a_document(&after);

    let metrics = server.http("GET", "/metrics", Some(ADMIN), b"").text();
    assert!(metrics.contains("sw_ingested_total 12"), "{metrics}");
    // An enterprise's token is told it is the wrong kind, no token that it is missing.
    let theirs = server.http("GET", "/metrics", Some(MY_TOKEN), b"");
    assert_eq!(
        (theirs.status, theirs.json()["error"]["code"].clone()),
        (403, "admin-only".into())
    );
    assert_eq!(server.http("GET", "/metrics", None, b"").status, 401);
    assert!(
        metrics.contains("sw_ack_latency_seconds_count 12"),
        "{metrics}"
    );
    assert_eq!(server.http("GET", "/healthz", None, b"").status, 200);
}

/// The e-port's receipt of a document and customs' carry the same key and numbers: for each
/// document (the GUID a receipt answers) and kind of receipt, one `key`, one `preNo`, one
/// `sumNo`, and one `invtNo` once customs gave it.
fn same_identity_in_every_receipt_of_a_document(receipts: &[Value]) {
    let field = |xml: &str, name: &str| {
        let open = format!("<ceb:{name}>");
        let value = xml.split(&open).nth(1)?.split('<').next()?;
        (!value.is_empty()).then(|| value.to_string())
    };
    let mut seen: HashMap<(String, String), Vec<&Value>> = HashMap::new();
    for r in receipts {
        let document = (r["answers"].to_string(), r["root"].to_string());
        seen.entry(document).or_default().push(r);
    }
    let mut compared = 0;
    for ((document, root), group) in &seen {
        let one = |what: &dyn Fn(&Value) -> Option<String>| {
            let values: std::collections::BTreeSet<String> =
                group.iter().filter_map(|r| what(r)).collect();
            assert!(values.len() <= 1, "{root} of {document}: {values:?}");
        };
        one(&|r| r["key"].as_str().map(str::to_string));
        for name in ["preNo", "sumNo", "invtNo"] {
            one(&|r| field(r["xml"].as_str()?, name));
        }
        compared += usize::from(group.len() > 1);
    }
    assert!(
        compared >= 5,
        "documents answered by the e-port and customs: {compared}"
    );
}

/// One declaration, every agency: the enterprise reads the tax of the list it declared (a
/// general taxpayer with invoices: 退(免)税 on 60 % of FOB at 13 %), then of the piece that
/// came back, and its FX receipts; another enterprise sees none of it; no token, no answer.
#[test]
fn an_enterprise_reads_the_tax_and_fx_of_its_own_declarations() {
    let dir = tempfile::tempdir().unwrap();
    let profile = "[enterprise.tax_profile]\ncode = \"4403966Z01\"\n\
        [[enterprise.tax_profile.period]]\nfrom = 2020-01-01\ntaxpayer = \"general\"\nkind = \"trading\"\n\
        refund_filed = true\npilot_zone = true\nplatform_recording = true\n\
        [enterprise.tax_profile.assumptions]\ninvoice_share = \"1\"\n";
    let server = Server::start(
        dir.path(),
        "",
        &format!(
            "{QUICK_CUSTOMS}\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n{profile}"
        ),
    );
    for name in PARCEL {
        assert_eq!(server.post(MY_TOKEN, &seed(name)).status, 200, "{name}");
    }
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"800".into())
    });
    let get = |path: &str, token: Option<&str>| server.http("GET", path, token, b"");

    let answer = get("/tax/declarations?year=2025", Some(MY_TOKEN));
    assert_eq!(answer.status, 200, "{}", answer.text());
    let mine = answer.json();
    assert_eq!(mine["enterprise"]["code"], "4403966Z01");
    assert_eq!(mine["profile"]["configured"], true);
    let decls = mine["declarations"].as_array().unwrap();
    assert_eq!(decls.len(), 1, "{mine:#}");
    assert_eq!(decls[0]["exportDate"], "2025-03-11");
    let lines = decls[0]["lines"].as_array().unwrap();
    // 99.80 × 60 % × 13 % = 7.7844 → 7.78; 128.00 × 60 % × 13 % = 9.984 → 9.98.
    let refunds: Vec<&str> = lines
        .iter()
        .map(|l| l["vatRefund"].as_str().unwrap())
        .collect();
    assert_eq!(refunds, ["7.78", "9.98"]);
    assert_eq!(lines[0]["regime"], "refund");
    assert_eq!(lines[0]["basis"], "财税〔2013〕96号 Art. 1");
    // Each reason in both languages.
    let reason = &lines[0]["reasons"][0];
    assert!(
        reason["en"]
            .as_str()
            .is_some_and(|r| r.contains("Art. 1 (退(免)税) met: in force; general taxpayer"))
            && reason["zh"]
                .as_str()
                .is_some_and(|r| r.contains("Art. 1 (退(免)税) 条件满足：已生效；一般纳税人")),
        "{:#}",
        lines[0]
    );
    assert_eq!(lines[0]["provisional"], false);
    assert_eq!(lines[0]["returns"].as_array().unwrap().len(), 0);

    // One of the two T-shirts comes back.
    let back = seed("CEB213-return-application.xml");
    assert_eq!(server.post(MY_TOKEN, &back).status, 200);
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB214Message").contains(&"800".into())
    });
    let mine = get(
        "/tax/declarations?from=2025-03-01&to=2025-03-31",
        Some(MY_TOKEN),
    )
    .json();
    let line = &mine["declarations"][0]["lines"][0];
    let r = &line["returns"][0];
    assert_eq!(
        (
            &r["on"],
            &r["qty"],
            &r["refundRepaid"],
            &r["fobCny"],
            &r["relief"]
        ),
        (
            &Value::from("2025-04-20"),
            &Value::from("1"),
            &Value::from("3.89"),
            &Value::from("49.90"),
            &Value::from(true)
        ),
        "{line:#}"
    );
    let csv = get("/tax/declarations?year=2025&format=csv", Some(MY_TOKEN));
    assert_eq!(csv.status, 200);
    let csv = csv.text();
    assert!(csv.starts_with("guid,invtNo,ebcCode"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let summary = get("/tax/summary?year=2025", Some(MY_TOKEN)).json();
    let m = &summary["metrics"];
    assert_eq!(m["export_revenue_cny"], "227.80", "{summary:#}");
    assert_eq!(m["vat_refund"], "17.76");
    assert_eq!(m["return_refund_repaid"], "3.89");
    assert_eq!(m["returned_fob_cny"], "49.90");
    assert_eq!(m["net_vat_position"], "13.87");
    assert_eq!(m["cit_total_income"], "177.90");

    // 227.80 ÷ 7.18 = 31.727 USD, far below the 180,000 warning.
    let fx = get("/fx?year=2025", Some(MY_TOKEN)).json();
    assert_eq!(fx["fx"]["receipts_usd"], "31.73", "{fx:#}");
    assert_eq!(fx["fx"]["standing"], "exempt");
    assert_eq!(fx["receipts_by_month"]["2025-03"], "31.73");

    // Another enterprise sees nothing of it, and is told what its default profile assumes.
    let theirs = get("/tax/declarations?year=2025", Some(OTHER_TOKEN)).json();
    assert_eq!(theirs["enterprise"]["code"], "3302966W21");
    assert_eq!(theirs["declarations"].as_array().unwrap().len(), 0);
    assert_eq!(theirs["notExported"].as_array().unwrap().len(), 0);
    assert_eq!(theirs["profile"]["configured"], false);
    let assumed = &theirs["profile"]["assumed"][0];
    assert!(
        assumed["en"]
            .as_str()
            .is_some_and(|t| t.contains("small-scale"))
            && assumed["zh"]
                .as_str()
                .is_some_and(|t| t.contains("小规模纳税人")),
        "{theirs:#}"
    );
    let their_fx = get("/fx?year=2025", Some(OTHER_TOKEN)).json();
    assert_eq!(their_fx["fx"]["receipts_usd"], "0", "{their_fx:#}");
    // A year without declarations says so, instead of answering zeros unexplained.
    let empty = get("/tax/summary?year=1999", Some(MY_TOKEN)).json();
    assert!(
        empty["note"]["en"]
            .as_str()
            .is_some_and(|t| t.contains("no exports")),
        "{empty:#}"
    );
    assert!(summary.get("note").is_none(), "{summary:#}");
    let none = get("/tax/declarations?year=1999", Some(MY_TOKEN)).json();
    assert!(
        none["note"]["zh"]
            .as_str()
            .is_some_and(|t| t.contains("没有"))
            && none["note"]["en"]
                .as_str()
                .is_some_and(|t| t.contains("no declarations")),
        "{none:#}"
    );
    let bad = get("/tax/summary?year=soon", Some(MY_TOKEN));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], "bad-query");
    for path in [
        "/tax/declarations?year=2025",
        "/tax/summary",
        "/fx?year=2025",
    ] {
        assert_eq!(get(path, None).status, 401, "{path}");
        assert_eq!(get(path, Some("wrong")).status, 401, "{path}");
    }
    assert_eq!(
        get("/tax/declarations?from=2025-01-01", Some(MY_TOKEN)).status,
        400
    );
    assert_eq!(
        get("/tax/declarations?format=xls", Some(MY_TOKEN)).status,
        400
    );
}

#[test]
fn tokens_sender_identity_junk_and_size_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        "max_body_bytes = 20000",
        &format!("[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n"),
    );
    let order = seed("CEB303-retail-order.xml");
    assert_eq!(server.http("POST", "/ceb", None, &order).status, 401);
    assert_eq!(server.post("wrong", &order).status, 401);
    assert_eq!(server.http("GET", "/receipts", None, b"").status, 401);
    // Another enterprise may not send as DXPENT0000031415.
    let forbidden = server.post(OTHER_TOKEN, &order);
    assert_eq!(forbidden.status, 403, "{}", forbidden.text());
    assert!(forbidden.text().contains(ME));
    // Junk gets the CEB900 receipt and is not stored.
    let junk = server.post(MY_TOKEN, b"this is not xml");
    assert_eq!(junk.status, 400);
    assert!(junk.text().contains("CEB900Message"), "{}", junk.text());
    // A receipt is not something an enterprise sends.
    let receipt =
        b"<CEB304Message xmlns=\"http://www.chinaport.gov.cn/ceb\" guid=\"x\" version=\"1.0\"/>";
    assert_eq!(server.post(MY_TOKEN, receipt).status, 400);
    let big = vec![b' '; 30_000];
    let too_large = server.post(MY_TOKEN, &big);
    assert_eq!(too_large.status, 413);
    // Every refusal has one shape: a code, and the reason in Chinese and English.
    let refused = |answer: &Answer, code: &str, says: &str| {
        let body = answer.json();
        let error = &body["error"];
        assert_eq!(error["code"], code, "{body}");
        assert!(
            error["en"].as_str().is_some_and(|t| t.contains(says)),
            "{body}"
        );
        assert!(
            error["zh"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
    };
    refused(&too_large, "too-large", "20000 bytes");
    refused(
        &server.post("wrong", &order),
        "unauthorized",
        "bearer token",
    );
    refused(&forbidden, "not-your-dxp-id", ME);
    let bad_query = server.http("GET", "/receipts?after=yesterday", Some(MY_TOKEN), b"");
    assert_eq!(bad_query.status, 400);
    refused(&bad_query, "bad-query", "after");
    let nowhere = server.http("GET", "/nowhere", Some(MY_TOKEN), b"");
    assert_eq!(nowhere.status, 404);
    refused(&nowhere, "no-such-route", "/nowhere");
    let wrong_method = server.http("DELETE", "/ceb", Some(MY_TOKEN), b"");
    assert_eq!(wrong_method.status, 405);
    refused(&wrong_method, "no-such-method", "DELETE");

    let ok = server.post(MY_TOKEN, &order);
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        ok.header("x-sw-seq").as_deref(),
        Some("1"),
        "refused ones were not stored"
    );
    let mine = server.pull_until(MY_TOKEN, |r| !r.is_empty());
    let id = mine[0]["id"].as_u64().unwrap();
    // Someone else's receipts are not found, by list or by id.
    let theirs = server
        .http("GET", "/receipts?after=0", Some(OTHER_TOKEN), b"")
        .json();
    assert_eq!(theirs["receipts"].as_array().unwrap().len(), 0);
    assert_eq!(
        server
            .http("GET", &format!("/receipts/{id}"), Some(OTHER_TOKEN), b"")
            .status,
        404
    );
    let metrics = server.http("GET", "/metrics", Some(ADMIN), b"").text();
    assert!(
        metrics.contains("sw_refused_total{reason=\"forbidden\"} 1"),
        "{metrics}"
    );
}

/// A callback that fails its first `failures` calls, then records what it gets.
/// What a callback received: (receipt id, XML), in arrival order.
type Received = Arc<Mutex<Vec<(u64, String)>>>;

fn callback(failures: usize) -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let record = got.clone();
    std::thread::spawn(move || {
        let mut calls = 0;
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            // Keep-alive: several requests per connection.
            loop {
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                if head.is_empty() {
                    break;
                }
                let value = |name: &str| {
                    head.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                };
                let len: usize = value("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                calls += 1;
                let status = if calls <= failures {
                    "500 Internal Server Error"
                } else {
                    let id = value("x-sw-receipt-id")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    record
                        .lock()
                        .unwrap()
                        .push((id, String::from_utf8_lossy(&body).into_owned()));
                    "200 OK"
                };
                let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                if reader.get_mut().write_all(answer.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    (port, got)
}

#[test]
fn push_retries_a_failing_callback_and_delivers_in_order_and_the_backlog_can_be_cleared() {
    let (port, got) = callback(2);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        "",
        &format!(
            "{QUICK_CUSTOMS}\n[push]\nretry_min_ms = 50\nretry_max_ms = 200\n\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\ncallback = \"http://127.0.0.1:{port}/receipts\"\n"
        ),
    );
    for name in PARCEL {
        assert_eq!(server.post(MY_TOKEN, &seed(name)).status, 200);
    }
    let pulled = server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"800".into())
    });
    let started = Instant::now();
    while got.lock().unwrap().len() < pulled.len() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "push did not catch up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pushed = got.lock().unwrap().clone();
    // Every receipt pulled was pushed, in the same order, with the same id and XML.
    let pulled: Vec<(u64, String)> = pulled
        .iter()
        .map(|r| {
            (
                r["id"].as_u64().unwrap(),
                r["xml"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(pushed[..pulled.len()], pulled[..]);
    // Receipts made after the pull (e.g. the 899) may still be on their way: the backlog
    // must drain, not be empty at this very moment.
    let started = Instant::now();
    loop {
        let status = server.http("GET", "/push", Some(MY_TOKEN), b"").json();
        if status["backlog"] == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{status}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.http("GET", "/push", Some(OTHER_TOKEN), b"").status,
        404
    );
    let metrics = server.http("GET", "/metrics", Some(ADMIN), b"").text();
    assert!(metrics.contains("sw_push_failures_total 2"), "{metrics}");
    let cleared = server.http("DELETE", "/push", Some(MY_TOKEN), b"");
    assert_eq!(cleared.status, 200, "{}", cleared.text());
}

#[test]
fn a_dead_callback_builds_a_backlog_that_can_be_seen_and_cleared() {
    let dead = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        "",
        &format!(
            "[push]\nretry_min_ms = 5000\n\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\ncallback = \"http://127.0.0.1:{dead}/\"\n"
        ),
    );
    for name in &PARCEL[..2] {
        assert_eq!(server.post(MY_TOKEN, &seed(name)).status, 200);
    }
    let started = Instant::now();
    let status = loop {
        let s = server.http("GET", "/push", Some(MY_TOKEN), b"").json();
        if s["backlog"] == 2 && !s["lastError"].is_null() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{s}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status["cursor"], 0);
    let cleared = server.http("DELETE", "/push", Some(MY_TOKEN), b"").json();
    assert_eq!(cleared["cleared"], 2, "{cleared}");
    let after = server.http("GET", "/push", Some(MY_TOKEN), b"").json();
    assert_eq!(after["backlog"], 0, "{after}");
}

#[test]
fn file_drop_stores_inbox_files_archives_or_refuses_them_and_writes_receipts_to_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("drop");
    let table = format!(
        "{QUICK_CUSTOMS}\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n\n[[filedrop]]\ndxp_id = \"{ME}\"\ninbox = \"{0}/in\"\noutbox = \"{0}/out\"\narchive = \"{0}/archive\"\nerror = \"{0}/error\"\npoll_ms = 20\n",
        d.display()
    );
    let server = Server::start(dir.path(), "", &table);
    let started = Instant::now();
    while !d.join("in").exists() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(10));
    }
    for (i, name) in PARCEL.iter().enumerate() {
        std::fs::write(d.join("in").join(format!("{i}-{name}")), seed(name)).unwrap();
    }
    std::fs::write(d.join("in/9-junk.xml"), b"<broken").unwrap();
    std::fs::write(d.join("in/.still-writing.xml"), b"<broken").unwrap();
    let outbox = |d: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(d.join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            // Stored receipts only (a CEB900 of a file never stored has no id).
            .filter(|n| !n.starts_with('.') && !n.ends_with("CEB900Message.xml"))
            .collect();
        names.sort();
        names
    };
    let started = Instant::now();
    while !outbox(&d)
        .iter()
        .any(|n| n.ends_with("CEB604Message.800.xml"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}\n{}",
            outbox(&d),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let names = outbox(&d);
    assert!(names[0].ends_with(".CEB304Message.2.xml"), "{names:?}");
    let first = std::fs::read_to_string(d.join("out").join(&names[0])).unwrap();
    assert!(first.contains("<ceb:returnStatus>2</ceb:returnStatus>"));
    let mut archived: Vec<_> = std::fs::read_dir(d.join("archive"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    archived.sort();
    assert_eq!(archived.len(), 4, "{archived:?}");
    assert!(d.join("error/9-junk.xml").exists());
    let reason = std::fs::read_to_string(d.join("error/9-junk.xml.reason.txt")).unwrap();
    assert!(
        reason.starts_with("400") && reason.contains("CEB900Message"),
        "{reason}"
    );
    // Its CEB900 is in the outbox too, named after the file.
    let ceb900 = std::fs::read_to_string(d.join("out/9-junk.xml.CEB900Message.xml")).unwrap();
    assert!(ceb900.contains("<ceb:CEB900Message"), "{ceb900}");
    assert!(
        d.join("in/.still-writing.xml").exists(),
        "hidden files are left alone"
    );
    // The same receipts are there by pull, under the same ids.
    let pulled = server.pull_until(MY_TOKEN, |r| r.len() >= names.len());
    for (name, r) in names.iter().zip(&pulled) {
        assert!(
            name.starts_with(&format!("{:012}.", r["id"].as_u64().unwrap())),
            "{name}"
        );
    }
}

#[test]
fn test_support_forces_customs_events_shows_history_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    // Slow customs: the list stays stored (120) until forced on.
    let slow = "[customs]\nstore_delay_ms = 50\nconclude_delay_ms = 600000\nreview_per_mille = 0\ninspection_per_mille = 0\n";
    let server = Server::start(
        dir.path(),
        "",
        &format!("{slow}\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n"),
    );
    for name in PARCEL {
        assert_eq!(server.post(MY_TOKEN, &seed(name)).status, 200);
    }
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"120".into())
    });
    let force = |event: &str, token: &str| {
        let body = format!(
            "{{\"ebpCode\":\"4403966Z01\",\"orderNo\":\"ORD202503100001\",\"event\":\"{event}\"}}"
        );
        server.http("POST", "/test/force", Some(token), body.as_bytes())
    };
    assert_eq!(
        force("inspect", MY_TOKEN).status,
        403,
        "an enterprise token is not enough"
    );
    assert_eq!(force("explode", ADMIN).status, 400);
    let inspect = force("inspect", ADMIN);
    assert_eq!(inspect.status, 200, "{}", inspect.text());
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"500".into())
    });
    let release = force("release", ADMIN);
    assert_eq!(release.status, 200, "{}", release.text());
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"800".into())
    });
    let document = || {
        let path = "/test/documents?ebpCode=4403966Z01&orderNo=ORD202503100001";
        server.http("GET", path, Some(ADMIN), b"").json()
    };
    let reject = force("reject", ADMIN);
    assert_eq!(reject.status, 409, "a released list cannot be sent back");
    let doc = document();
    assert_eq!(doc["listStatus"], "Released", "{doc}");
    // Released, it waits for its departure, in both languages.
    let awaiting = &doc["awaiting"];
    assert!(
        awaiting["en"]
            .as_str()
            .is_some_and(|t| t.contains("CEB509"))
            && awaiting["zh"].as_str().is_some_and(|t| t.contains("离境")),
        "{doc}"
    );
    let history: Vec<(&str, &str)> = doc["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["root"].as_str().unwrap(),
                r["returnStatus"].as_str().unwrap(),
            )
        })
        .filter(|(root, _)| *root == "CEB604Message")
        .collect();
    assert_eq!(
        history,
        [
            ("CEB604Message", "2"),
            ("CEB604Message", "120"),
            ("CEB604Message", "500"),
            ("CEB604Message", "800")
        ]
    );
    // Every receipt's text in English beside customs' Chinese, the e-port's as well.
    let english: Vec<&str> = (doc["history"].as_array().unwrap().iter())
        .filter(|r| r["root"] == "CEB604Message")
        .map(|r| {
            r["en"]
                .as_str()
                .unwrap_or_default()
                .split('[')
                .next()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        english,
        [
            "new filing accepted",
            "Passed the logic check",
            "Inspection",
            "Released"
        ],
        "{doc}"
    );
    assert_eq!(
        server.http("POST", "/test/reset", Some(ADMIN), b"").status,
        200
    );
    let doc = document();
    assert!(doc["listStatus"].is_null(), "{doc}");
    let unknown = server.http(
        "GET",
        "/test/documents?ebpCode=4403966Z01&orderNo=NO-SUCH-ORDER",
        Some(ADMIN),
        b"",
    );
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "no-such-order");
    // After a reset the same list is new again.
    assert_eq!(server.post(MY_TOKEN, &seed(PARCEL[3])).status, 200);

    // Graceful stop on SIGTERM: exit 0, and a restart replays it all (the forced events too).
    let before = server
        .pull_until(MY_TOKEN, |r| statuses(r, "CEB604Message").len() >= 5)
        .len();
    server.terminate();
    let again = Server::run(dir.path(), free_port());
    let after = again.pull_until(MY_TOKEN, |r| r.len() >= before);
    assert_eq!(after.len(), before);

    // Switched off, the routes are not there.
    let off = tempfile::tempdir().unwrap();
    let server = Server::start(off.path(), "test_support = false", "");
    assert_eq!(
        server.http("POST", "/test/reset", Some(ADMIN), b"").status,
        404
    );
}

#[test]
fn a_restart_after_a_quiet_spell_lists_every_receipt_once_under_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        "",
        &format!("{QUICK_CUSTOMS}\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n"),
    );
    for name in PARCEL {
        assert_eq!(server.post(MY_TOKEN, &seed(name)).status, 200);
    }
    // Customs' receipts come from timers after the last message; then a second of quiet.
    server.pull_until(MY_TOKEN, |r| {
        statuses(r, "CEB604Message").contains(&"800".into())
    });
    std::thread::sleep(Duration::from_millis(1500));
    let before = server.all_receipts(MY_TOKEN);
    let mut server = server;
    for graceful in [true, false] {
        if graceful {
            server.terminate();
        } else {
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            drop(server);
        }
        server = Server::run(dir.path(), free_port());
        // Time for the timers to be played again, had they been lost.
        std::thread::sleep(Duration::from_millis(1000));
        let after = server.all_receipts(MY_TOKEN);
        assert_eq!(after, before, "graceful stop: {graceful}");
    }
}

/// Generated parcels (all four messages), with the registry and tokens they need.
struct Traffic {
    messages: Vec<(String, Vec<u8>, String)>,
    registry: String,
    tokens: BTreeMap<String, String>,
}

const CARRIER: &str = "DXPLGS0000000001";

fn traffic(parcels: u64) -> Traffic {
    let registry = parcels::registry(3);
    let mut rng = Rng::new(99);
    let mut messages = Vec::new();
    let mut tokens = BTreeMap::new();
    for serial in 1..=parcels {
        let mut p = parcels::parcel(&mut rng, serial, 3);
        p.waybill.base_transfer.dxp_id = CARRIER.into();
        for m in p.into_messages() {
            let dxp = find_text(m.as_element(), "dxpId").unwrap().to_string();
            // The document's GUID, which its receipts name (not the message's).
            let root = m.as_element();
            let doc = documents_member(root)
                .and_then(|i| root.child(i, 0))
                .unwrap();
            let guid = find_text(doc, "guid").unwrap().to_string();
            tokens.insert(dxp.clone(), format!("t-{dxp}"));
            messages.push((
                dxp,
                single_window::ceb::encode(m.as_element()).into_bytes(),
                guid,
            ));
        }
    }
    Traffic {
        messages,
        registry: registry.to_toml().unwrap(),
        tokens,
    }
}

#[test]
fn after_kill_9_under_load_every_acknowledged_message_and_receipt_is_there_under_the_same_id() {
    let t = traffic(1000);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("registry.toml"), &t.registry).unwrap();
    let mut tables = String::from(
        "[customs]\nstore_delay_ms = 300\nconclude_delay_ms = 300\nrelease_delay_ms = 300\nrelease_waits_for_arrival = false\nreview_per_mille = 0\ninspection_per_mille = 0\n",
    );
    for (dxp, token) in &t.tokens {
        tables.push_str(&format!(
            "\n[[enterprise]]\ndxp_id = \"{dxp}\"\ntoken = \"{token}\"\n"
        ));
    }
    let top = format!(
        "registry = \"{}\"",
        dir.path().join("registry.toml").display()
    );
    let server = Server::start(dir.path(), &top, &tables);
    let port = server.port;

    // Four senders; each message's GUID is noted once it is acknowledged.
    let acked = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let messages = Arc::new(t.messages);
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (acked, next, stop, messages, tokens) = (
                acked.clone(),
                next.clone(),
                stop.clone(),
                messages.clone(),
                t.tokens.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((dxp, body, _)) = messages.get(k) else {
                        return;
                    };
                    match try_http(port, "POST", "/ceb", Some(&tokens[dxp]), body) {
                        Ok(a) if a.status == 200 => acked.lock().unwrap().push(k),
                        Ok(a) => panic!("{} {}", a.status, a.text()),
                        // The server died mid-request: not acknowledged.
                        Err(_) => return,
                    }
                    // Paced, so the load is still going when the kill comes.
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    // Receipts as seen before the crash, by id.
    let pull_all = |port: u16| -> HashMap<u64, (String, Value)> {
        let mut all = HashMap::new();
        for (dxp, token) in &t.tokens {
            let mut after = 0;
            loop {
                let Ok(a) = try_http(
                    port,
                    "GET",
                    &format!("/receipts?after={after}&limit=1000"),
                    Some(token),
                    b"",
                ) else {
                    return all;
                };
                if a.status != 200 {
                    return all;
                }
                let page = a.json();
                let got = page["receipts"].as_array().unwrap().clone();
                if got.is_empty() {
                    break;
                }
                after = page["next"].as_u64().unwrap();
                for r in got {
                    all.insert(r["id"].as_u64().unwrap(), (dxp.clone(), r));
                }
            }
        }
        all
    };
    let started = Instant::now();
    while acked.lock().unwrap().len() < 1000 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let some customs timers fall due, and some not, then pull and kill in the middle of it.
    std::thread::sleep(Duration::from_millis(400));
    let before = pull_all(port);
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.join().unwrap();
    }
    let acked: Vec<usize> = acked.lock().unwrap().clone();
    assert!(
        acked.len() < messages.len(),
        "the kill came before the end of the load"
    );
    assert!(!before.is_empty());

    let restarted = Server::run(dir.path(), free_port());
    // Every acknowledged message has its e-port receipt; and customs goes on: every list whose
    // whole parcel was acknowledged is released, timers having resumed after the restart.
    let acked_guids: std::collections::HashSet<&str> =
        acked.iter().map(|&k| messages[k].2.as_str()).collect();
    let started = Instant::now();
    let after = loop {
        let after = pull_all(restarted.port);
        let has = |guid: &str, status: &str| {
            after
                .values()
                .any(|(_, r)| r["answers"] == guid && r["returnStatus"] == status)
        };
        // Lists whose whole parcel was acknowledged and accepted by the e-port (2) must be
        // released by customs: their timers went on after the restart.
        let complete: Vec<usize> = (0..messages.len() / 4)
            .filter(|p| {
                (0..4).all(|i| acked.contains(&(p * 4 + i)) && has(&messages[p * 4 + i].2, "2"))
            })
            .collect();
        let waiting = complete
            .iter()
            .filter(|p| !has(&messages[*p * 4 + 3].2, "800"))
            .count();
        if !complete.is_empty() && waiting == 0 {
            break after;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{waiting} of {} lists not released after restart: {:?}",
            complete.len(),
            complete
                .iter()
                .filter(|p| !has(&messages[*p * 4 + 3].2, "800"))
                .map(|p| {
                    let g = &messages[p * 4 + 3].2;
                    (
                        p,
                        after
                            .values()
                            .filter(|(_, r)| r["xml"].as_str().unwrap().contains(g.as_str()))
                            .map(|(_, r)| {
                                format!(
                                    "{} {} {} {}",
                                    r["id"], r["root"], r["returnStatus"], r["returnInfo"]
                                )
                            })
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Every acknowledged message is there: the e-port's receipt answers it.
    for guid in &acked_guids {
        assert!(
            after.values().any(|(_, r)| r["answers"] == *guid),
            "acknowledged message {guid} lost: k={:?} acked={} max={:?} xml-mention={:?}",
            acked.iter().find(|&&k| messages[k].2 == *guid),
            acked.len(),
            acked.iter().max(),
            after
                .values()
                .filter(|(_, r)| r["xml"].as_str().unwrap().contains(guid))
                .map(|(_, r)| (
                    r["id"].clone(),
                    r["root"].clone(),
                    r["returnStatus"].clone(),
                    r["answers"].clone()
                ))
                .collect::<Vec<_>>()
        );
    }
    // Nothing seen before the crash changed its id or its content.
    for (id, (dxp, r)) in &before {
        let (dxp2, r2) = after.get(id).unwrap_or_else(|| panic!("receipt {id} lost"));
        assert_eq!((dxp, r), (dxp2, r2), "receipt {id} changed");
    }
    // And no receipt is there twice under two ids.
    let mut seen = std::collections::HashSet::new();
    for (_, r) in after.values() {
        assert!(
            seen.insert(r["xml"].as_str().unwrap().to_string()),
            "a receipt delivered twice: {r}"
        );
    }
}

#[test]
fn a_dropped_file_is_stored_once_while_it_cannot_be_moved_and_a_too_large_one_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("drop");
    let table = format!(
        "[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n\n[[filedrop]]\ndxp_id = \"{ME}\"\ninbox = \"{0}/in\"\noutbox = \"{0}/out\"\narchive = \"{0}/archive\"\nerror = \"{0}/error\"\npoll_ms = 20\n",
        d.display()
    );
    let server = Server::start(dir.path(), "max_body_bytes = 20000", &table);
    let started = Instant::now();
    while !d.join("in").exists() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(10));
    }
    // A folder in the archive under the file's name: every move fails (as across
    // filesystems or without permission), whoever runs the test.
    std::fs::create_dir_all(d.join("archive/order.xml/blocked")).unwrap();
    std::fs::write(d.join("in/order.xml"), seed("CEB303-retail-order.xml")).unwrap();
    let mut big = seed("CEB303-retail-order.xml");
    big.extend(std::iter::repeat_n(b' ', 30_000));
    std::fs::write(d.join("in/big.xml"), &big).unwrap();
    let ingested = |server: &Server| {
        let m = server.http("GET", "/metrics", Some(ADMIN), b"").text();
        m.lines()
            .find_map(|l| l.strip_prefix("sw_ingested_total "))
            .map(|n| n.parse::<u64>().unwrap())
    };
    let started = Instant::now();
    while ingested(&server) != Some(1) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Twenty-five looks at the inbox later: still once, the file still there.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ingested(&server), Some(1));
    assert!(d.join("in/order.xml").exists());
    let reason = std::fs::read_to_string(d.join("error/big.xml.reason.txt")).unwrap();
    assert!(
        reason.starts_with("413") && reason.contains("20000"),
        "{reason}"
    );
    assert!(d.join("error/big.xml").exists());
    // Once the way is clear the file is moved, and not stored again.
    std::fs::remove_dir_all(d.join("archive/order.xml")).unwrap();
    let started = Instant::now();
    while !d.join("archive/order.xml").is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ingested(&server), Some(1));
    assert_eq!(server.all_receipts(MY_TOKEN).len(), 1);
}

/// Start-up errors say what failed, where and what to do, once, and leave nothing behind.
#[test]
fn start_up_errors_say_what_where_and_what_to_do_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_single-window"))
            .arg("serve")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let refused = |out: &std::process::Output, says: &[&str]| {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        for s in says {
            assert!(stderr.contains(s), "{s:?} in {stderr}");
        }
        // The cause is told once, not once per layer.
        let cause = stderr.rsplit(": ").next().unwrap_or_default().trim();
        assert_eq!(stderr.matches(cause).count(), 1, "{stderr}");
    };
    // The address is taken.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = serve(&["--listen", &addr, "--data", "d1"]);
    refused(&out, &["cannot listen on", &addr, "--listen", "in use"]);
    assert!(
        !dir.path().join("d1").exists(),
        "no data folder left behind"
    );
    // The configuration is not there.
    let out = serve(&["--config", "nothere.toml"]);
    refused(&out, &["cannot read nothere.toml", "No such file"]);
    // The tokens file is broken.
    std::fs::create_dir_all(dir.path().join("d2")).unwrap();
    std::fs::write(dir.path().join("d2/tokens.toml"), "admin = [").unwrap();
    let out = serve(&["--listen", "127.0.0.1:0", "--data", "d2"]);
    refused(&out, &["tokens.toml", "remove the file"]);
}
