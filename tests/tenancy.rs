//! Tenancy: a document is its declaring enterprise's. Another enterprise, with its own token
//! and the shipped registry, can neither file, change, delete nor cancel it, nor take over its
//! receipts by copying a GUID — over HTTP and through the file drop.

mod common;

use common::server::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// Enterprise A of the shipped registry: 4403966Z01, sender of every example message.
const A: &str = "DXPENT0000031415";
const A_TOKEN: &str = "token-of-a";
/// Enterprise B: 3301966K12, a platform and e-commerce enterprise of its own.
const B: &str = "DXPENT0000027183";
const B_TOKEN: &str = "token-of-b";

fn text(name: &str) -> String {
    String::from_utf8(seed(name)).unwrap()
}

/// The message as B sends it: B's BaseTransfer.
fn sent_by_b(xml: &str) -> String {
    let start = xml.find("<ceb:BaseTransfer>").unwrap();
    let end = xml.find("</ceb:BaseTransfer>").unwrap();
    let transfer = xml[start..end]
        .replace("4403966Z01", "3301966K12")
        .replace(
            "深圳市海贸优选电子商务有限公司",
            "杭州云帆跨境电子商务有限公司",
        )
        .replace(A, B);
    format!("{}{transfer}{}", &xml[..start], &xml[end..])
}

/// Replaces the text of the first `<ceb:name>` element.
fn with(xml: &str, name: &str, value: &str) -> String {
    let open = format!("<ceb:{name}>");
    let start = xml.find(&open).unwrap() + open.len();
    let end = start + xml[start..].find('<').unwrap();
    format!("{}{value}{}", &xml[..start], &xml[end..])
}

fn status(answer: &Answer) -> String {
    let t = answer.text();
    let at = t.find("<ceb:returnStatus>").unwrap() + "<ceb:returnStatus>".len();
    t[at..at + t[at..].find('<').unwrap()].to_string()
}

fn config(filedrop: &Path) -> String {
    format!(
        "{QUICK_CUSTOMS}\n[[enterprise]]\ndxp_id = \"{A}\"\ntoken = \"{A_TOKEN}\"\n\n\
         [[enterprise]]\ndxp_id = \"{B}\"\ntoken = \"{B_TOKEN}\"\n\n\
         [[filedrop]]\ndxp_id = \"{B}\"\ninbox = \"{0}/in\"\noutbox = \"{0}/out\"\n\
         archive = \"{0}/archive\"\nerror = \"{0}/error\"\npoll_ms = 20\n",
        filedrop.display()
    )
}

fn roots_and_statuses(receipts: &[Value]) -> Vec<(String, String)> {
    receipts
        .iter()
        .map(|r| {
            (
                r["root"].as_str().unwrap().to_string(),
                r["returnStatus"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn another_enterprise_cannot_act_on_a_document_or_take_its_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    let server = Server::start(dir.path(), "", &config(&drop));
    for name in PARCEL {
        let answer = server.post(A_TOKEN, &seed(name));
        assert_eq!(
            (answer.status, status(&answer)),
            (200, "2".into()),
            "{name}"
        );
    }
    let order = text("CEB303-retail-order.xml");
    let list = text("CEB603-retail-list-9610.xml");
    let own = |xml: &str| {
        sent_by_b(xml)
            .replace("<ceb:ebpCode>4403966Z01", "<ceb:ebpCode>3301966K12")
            .replace("<ceb:ebcCode>4403966Z01", "<ceb:ebcCode>3301966K12")
    };
    // B's own order, under A's order GUID: taken as B's, and routes nothing of A's to B.
    let copy = with(&own(&order), "orderNo", "B-COPY-0001");
    let answer = server.post(B_TOKEN, copy.as_bytes());
    assert_eq!(status(&answer), "2", "{}", answer.text());

    // B, as itself, on A's documents: each refused by the e-port with the rule's reason.
    let hostile = [
        ("delete A's order", with(&sent_by_b(&order), "appType", "3")),
        ("file a list for A", sent_by_b(&list)),
        (
            "cancel A's list",
            sent_by_b(&text("CEB605-list-cancellation.xml")),
        ),
        (
            "a parcel in A's name",
            sent_by_b(&text("CEB505-waybill-2.xml")),
        ),
    ];
    for (what, xml) in &hostile {
        let answer = server.post(B_TOKEN, xml.as_bytes());
        assert_eq!(answer.status, 200, "{what}: stored and answered");
        assert_eq!(status(&answer), "100", "{what}: {}", answer.text());
        assert!(
            answer.text().contains("REG-MANDATE"),
            "{what}: {}",
            answer.text()
        );
    }
    // A change of A's order in B's own name passes the e-port, and customs refuses it.
    let change = with(
        &with(
            &sent_by_b(&order).replace("<ceb:ebcCode>4403966Z01", "<ceb:ebcCode>3301966K12"),
            "appType",
            "2",
        ),
        "guid",
        "5E1A0C2D-7B3F-4C8E-9A61-0000000B0102",
    );
    assert_eq!(status(&server.post(B_TOKEN, change.as_bytes())), "2");

    // Through the file drop too: the same refusal, in B's outbox.
    let started = Instant::now();
    while !drop.join("in").exists() {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(drop.join("in/delete.xml"), &hostile[0].1).unwrap();

    // A's parcel goes its whole way, every receipt to A.
    let mine = server.pull_until(A_TOKEN, |r| {
        r.iter()
            .any(|r| r["root"] == "CEB604Message" && r["returnStatus"] == "800")
    });
    let stored = mine
        .iter()
        .find(|r| r["root"] == "CEB604Message" && r["returnStatus"] == "120")
        .unwrap()["xml"]
        .as_str()
        .unwrap()
        .to_string();
    let invt_no = stored
        .split("<ceb:invtNo>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(!invt_no.is_empty());
    let mine = roots_and_statuses(&mine);
    for expected in [("CEB304Message", "120"), ("CEB604Message", "399")] {
        assert!(
            mine.contains(&(expected.0.into(), expected.1.into())),
            "{mine:?}"
        );
    }
    assert!(
        !mine.iter().any(|(_, s)| s == "100" || s.starts_with('-')),
        "{mine:?}"
    );
    // B gets the answers to its own documents only: never A's 120, 399 or list number.
    let theirs = server.pull_until(B_TOKEN, |r| {
        r.iter()
            .any(|r| r["root"] == "CEB304Message" && r["returnStatus"] == "-304001")
    });
    let pairs = roots_and_statuses(&theirs);
    assert!(
        !pairs
            .iter()
            .any(|(_, s)| ["120", "399", "800"].contains(&s.as_str())),
        "{pairs:?}"
    );
    assert!(
        !theirs
            .iter()
            .any(|r| r["xml"].as_str().unwrap().contains(invt_no)),
        "A's list number {invt_no} leaked to B"
    );
    let refusal = theirs
        .iter()
        .find(|r| r["returnStatus"] == "-304001")
        .unwrap();
    assert!(
        refusal["returnInfo"]
            .as_str()
            .unwrap()
            .contains("其他电商企业"),
        "{refusal}"
    );
    // The dropped file was answered like the POST: 100 in B's outbox.
    let started = Instant::now();
    loop {
        let out: Vec<String> = std::fs::read_dir(drop.join("out"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if out.iter().any(|n| n.ends_with(".CEB304Message.100.xml")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{out:?} {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A's taxes count A's own declaration only.
    let tax = server
        .http("GET", "/tax/declarations?year=2025", Some(A_TOKEN), b"")
        .json();
    assert_eq!(tax["declarations"].as_array().unwrap().len(), 1, "{tax:#}");
}
