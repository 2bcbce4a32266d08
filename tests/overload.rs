//! Load shedding, the operator's routes and a bounded stop, through the real binary.

mod common;

use common::server::*;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn me() -> String {
    format!("[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n")
}

#[test]
fn bodies_past_the_bytes_in_flight_are_shed_with_503_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        "max_body_bytes = 3000000\nmax_in_flight_mb = 1",
        &me(),
    );
    // More than all requests in flight may hold, less than one may be.
    let mut big = seed("CEB303-retail-order.xml");
    big.extend(std::iter::repeat_n(b' ', 2_000_000));
    let shed = server.post(MY_TOKEN, &big);
    assert_eq!(shed.status, 503, "{}", shed.text());
    assert_eq!(shed.header("retry-after").as_deref(), Some("1"));
    assert!(shed.text().contains("bytes in flight"), "{}", shed.text());
    // Given back: the next message goes in, first in the log.
    let ok = server.post(MY_TOKEN, &seed("CEB303-retail-order.xml"));
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.header("x-sw-seq").as_deref(), Some("1"));
    let metrics = server.http("GET", "/metrics", Some(ADMIN), b"").text();
    assert!(
        metrics.contains("sw_shed_total{reason=\"bytes\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("sw_in_flight_requests "), "{metrics}");
}

#[test]
fn a_message_for_another_enterprise_is_refused_before_it_is_read_as_xml() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "", &me());
    // Not even well-formed: the 403 comes from the sender it names, not from the parser.
    let body = format!("<ceb:dxpId>{OTHER}</ceb:dxpId><<<");
    let refused = server.post(MY_TOKEN, body.as_bytes());
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains(OTHER), "{}", refused.text());
    let metrics = server.http("GET", "/metrics", Some(ADMIN), b"").text();
    assert!(
        metrics.contains("sw_refused_total{reason=\"forbidden\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sw_refused_total{reason=\"unreadable\"} 0"),
        "{metrics}"
    );
}

#[test]
fn metrics_and_baseline_need_the_admin_token_unless_made_public() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "", &me());
    for (method, path) in [("GET", "/metrics"), ("POST", "/baseline")] {
        assert_eq!(server.http(method, path, None, b"x").status, 401, "{path}");
        assert_eq!(
            server.http(method, path, Some(MY_TOKEN), b"x").status,
            403,
            "{path}: an enterprise's token is not the operator's"
        );
        assert_eq!(
            server.http(method, path, Some(ADMIN), b"x").status,
            200,
            "{path}"
        );
    }
    let open_dir = tempfile::tempdir().unwrap();
    let open = Server::start(open_dir.path(), "public_metrics = true", &me());
    assert_eq!(open.http("GET", "/metrics", None, b"").status, 200);
    // Health stays open to anyone: load balancers ask it.
    assert_eq!(server.http("GET", "/healthz", None, b"").status, 200);
}

#[test]
fn a_stop_is_bounded_by_the_grace_period_and_a_restart_right_after_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "shutdown_grace_secs = 1", &me());
    let ok = server.post(MY_TOKEN, &seed("CEB303-retail-order.xml"));
    assert_eq!(ok.status, 200, "{}", ok.text());
    // A long poll that would hold a graceful stop for half a minute.
    let mut poll = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        poll,
        "GET /receipts?after=1000000&wait=30 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {MY_TOKEN}\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let stopping = Instant::now();
    server.terminate();
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(10), "stop took {took:?}");
    let mut rest = Vec::new();
    let _ = poll.read_to_end(&mut rest);
    // Started again at once on the same folder: what was stored is there.
    let again = Server::run(dir.path(), free_port());
    let receipts = again.pull_until(MY_TOKEN, |r| !r.is_empty());
    assert_eq!(receipts[0]["root"], "CEB304Message");
}
