//! The server started in this process, on a simulated disk, with its listener and its stop
//! passed in: a disk that fills answers 503 (never 200), health says why, and both recover by
//! themselves once there is room again.

mod common;

use common::server::*;
use single_window::server::{Config, serve};
use single_window::store::disk::{Disk, Faults, SimDisk};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A server on `disk`, in a runtime of its own; stopped by sending on the returned channel.
fn start(
    dir: &std::path::Path,
    disk: SimDisk,
) -> (
    u16,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let config: Config = toml::from_str(&format!(
        "data = \"{}\"\nadmin_token = \"{ADMIN}\"\ncheckpoint_secs = 3600\n[[enterprise]]\ndxp_id = \"{ME}\"\ntoken = \"{MY_TOKEN}\"\n",
        dir.display()
    ))
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let disk: Arc<dyn Disk> = Arc::new(disk);
            serve(config, listener, Some(disk), async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    (port, stop, thread)
}

fn order(n: u32) -> Vec<u8> {
    let text = String::from_utf8(seed("CEB303-retail-order.xml")).unwrap();
    let guid_at = text.find("<ceb:guid>").unwrap() + "<ceb:guid>".len();
    let mut changed = text.clone();
    // Another order each time: its own GUID and order number.
    changed.replace_range(guid_at..guid_at + 8, &format!("{n:08}"));
    changed
        .replace("<ceb:orderNo>", &format!("<ceb:orderNo>N{n:04}"))
        .into_bytes()
}

#[test]
fn a_full_disk_answers_503_says_so_in_health_and_recovers_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let disk = SimDisk::new();
    let (port, stop, thread) = start(dir.path(), disk.clone());
    let started = Instant::now();
    while try_http(port, "GET", "/healthz", None, b"").is_err() {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(10));
    }
    let first = http(port, "POST", "/ceb", Some(MY_TOKEN), &order(1));
    assert_eq!(first.status, 200, "{}", first.text());

    // Not a byte more fits.
    let used: u64 = disk
        .list()
        .unwrap()
        .iter()
        .map(|n| disk.len(n).unwrap())
        .sum();
    disk.set_faults(Faults {
        capacity: Some(used),
        ..Faults::default()
    });
    for n in 2..5 {
        let refused = http(port, "POST", "/ceb", Some(MY_TOKEN), &order(n));
        assert_eq!(refused.status, 503, "{}", refused.text());
        assert!(refused.text().contains("no space"), "{}", refused.text());
        assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
    }
    let health = http(port, "GET", "/healthz", None, b"");
    assert_eq!(health.status, 503);
    assert!(health.text().contains("no space"), "{}", health.text());

    // Room again: health clears by itself and messages go in, numbered after the first.
    disk.set_faults(Faults::default());
    let started = Instant::now();
    while http(port, "GET", "/healthz", None, b"").status != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "health did not clear"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let again = http(port, "POST", "/ceb", Some(MY_TOKEN), &order(5));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.header("x-sw-seq").as_deref(), Some("2"));

    // What was acknowledged is all there, once: the two 304s.
    let receipts = {
        let started = Instant::now();
        loop {
            let page = http(port, "GET", "/receipts?after=0", Some(MY_TOKEN), b"").json();
            let got = page["receipts"].as_array().unwrap().clone();
            if got.len() >= 2 || started.elapsed() > Duration::from_secs(10) {
                break got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    stop.send(()).unwrap();
    thread.join().unwrap();
}
