//! `single-window load` as a real process: reproducible folder output that `check` accepts
//! with exactly the deliberate faults refused; a short open-model run against a started
//! server with acknowledgements, end-to-end receipts, summaries (702/792) and returns
//! (214/216) in the JSON report; thresholds and bad input setting the exit code.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_single-window"))
}

fn load(args: &[&str]) -> Output {
    bin()
        .arg("load")
        .args(args)
        .arg("--quiet")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The messages written into `dir` (its `*.xml`), by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "xml"))
        })
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Writes a folder of traffic: 300 messages/s for 2 s.
fn folder(dir: &Path, seed: &str, extra: &[&str]) -> Output {
    let target = dir.join("out");
    let report = dir.join("report");
    let mut args = vec![
        "--target",
        target.to_str().unwrap(),
        "--rate",
        "300",
        "--duration",
        "2",
        "--seed",
        seed,
        "--enterprises",
        "20",
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    load(&args)
}

#[test]
fn the_same_seed_writes_the_same_bytes_in_send_order() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    for (dir, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        let out = folder(dir.path(), seed, &["--summaries"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let (fa, fb, fc) = (
        files(&a.path().join("out")),
        files(&b.path().join("out")),
        files(&c.path().join("out")),
    );
    assert!(fa.len() > 600, "{}", fa.len());
    assert!(fa == fb, "same seed, different output");
    assert_ne!(fa, fc, "another seed, the same output");
    // Names sort in send order: parcels first (an order opens the run), summaries last.
    let names: Vec<&String> = fa.keys().collect();
    assert!(names[0].ends_with(".CEB303.xml"), "{:?}", &names[..3]);
    assert!(names.last().unwrap().ends_with(".CEB701.xml"));
    let r = report(&a.path().join("report"));
    assert_eq!(r["folder"]["messages"], fa.len() as u64);
    assert!(r["folder"]["per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_folder_checks_clean_but_for_the_faults_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let setup = load(&[
        "--setup",
        dir.path().join("setup").to_str().unwrap(),
        "--enterprises",
        "20",
    ]);
    assert!(setup.status.success(), "{}", text(&setup));
    let out = folder(dir.path(), "9", &["--faults", "0.15", "--summaries"]);
    assert!(out.status.success(), "{}", text(&out));
    let faulty = report(&dir.path().join("report"))["folder"]["faulty"]
        .as_u64()
        .unwrap();
    assert!(faulty > 5, "{faulty}");

    // The registry the traffic needs is written beside it, and the report says so.
    let beside = dir.path().join("out/registry.toml");
    assert_eq!(
        std::fs::read(&beside).unwrap(),
        std::fs::read(dir.path().join("setup/registry.toml")).unwrap()
    );
    assert!(text(&out).contains("--registry"), "{}", text(&out));
    // `check` without it says where it is.
    let unregistered = bin()
        .arg("check")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&unregistered.stderr)
            .contains(&format!("--registry {}", beside.display())),
        "{}",
        String::from_utf8_lossy(&unregistered.stderr)
    );
    let check = bin()
        .args(["check", "--json", "--registry"])
        .arg(&beside)
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&check.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let statuses = |d: &Value| -> Vec<String> {
        d["customs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["returnStatus"].as_str().unwrap().to_string())
            .collect()
    };
    let lists: Vec<&Value> = lines.iter().filter(|d| d["message"] == "CEB603").collect();
    let refused: Vec<&&Value> = lists
        .iter()
        .filter(|d| d["accepted"] == false || statuses(d).contains(&"100".to_string()))
        .collect();
    // One refused list per broken parcel: its own error, its order's, or 三单比对.
    assert_eq!(refused.len() as u64, faulty, "{:#?}", &refused[..1]);
    for list in lists.iter().filter(|d| !refused.contains(d)) {
        assert!(
            statuses(list).contains(&"899".to_string()),
            "a valid list did not close: {list:#}"
        );
    }
    // Bills and summaries are accepted, and each summary gets its 120.
    for kind in ["CEB607", "CEB507", "CEB509", "CEB701"] {
        let docs: Vec<&Value> = lines.iter().filter(|d| d["message"] == kind).collect();
        assert!(!docs.is_empty(), "no {kind}");
        assert!(
            docs.iter().all(|d| d["accepted"] == true),
            "{kind}: {:#}",
            docs[0]
        );
    }
    let summaries: Vec<&Value> = lines.iter().filter(|d| d["message"] == "CEB701").collect();
    assert!(
        summaries
            .iter()
            .all(|d| statuses(d).contains(&"120".to_string())),
        "{:#}",
        summaries[0]
    );
}

/// What `check` printed from customs' section on, and the receipts it wrote, by name.
fn customs_of(check: &Output, receipts: &Path) -> (String, BTreeMap<String, Vec<u8>>) {
    let out = String::from_utf8_lossy(&check.stdout).into_owned();
    let from = out
        .find("customs, on the documents' business time:")
        .expect("a customs section");
    let written = files(receipts)
        .into_iter()
        .filter(|(name, _)| name.starts_with("customs-"))
        .collect();
    (out[from..].to_string(), written)
}

#[test]
fn check_plays_files_out_of_business_time_order_as_it_plays_them_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let out = folder(dir.path(), "5", &["--summaries"]);
    assert!(out.status.success(), "{}", text(&out));
    let sorted = dir.path().join("out");
    // The same messages with the later half of the business day named first: `check` plays
    // those as they come, finds the run going back in time, and must play it all again
    // sorted. Messages of one time keep their order, so sorted they come as before.
    let shuffled = dir.path().join("shuffled");
    std::fs::create_dir(&shuffled).unwrap();
    let messages = files(&sorted);
    let app_time = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        let at = text.find("appTime>").map_or(0, |i| i + "appTime>".len());
        text[at..].chars().take(14).collect::<String>()
    };
    let times: Vec<String> = messages.values().map(|b| app_time(b)).collect();
    let middle = times[times.len() / 2].clone();
    for ((name, bytes), time) in messages.iter().zip(&times) {
        let group = if *time > middle { "a" } else { "b" };
        std::fs::write(shuffled.join(format!("{group}-{name}")), bytes).unwrap();
    }
    let check = |folder: &Path, receipts: &Path| {
        bin()
            .args(["check", "--registry"])
            .arg(sorted.join("registry.toml"))
            .arg("--receipts")
            .arg(receipts)
            .arg(folder)
            .output()
            .unwrap()
    };
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b) = (check(&sorted, &a_dir), check(&shuffled, &b_dir));
    let (a_text, a_written) = customs_of(&a, &a_dir);
    let (b_text, b_written) = customs_of(&b, &b_dir);
    assert!(a_text.contains("CEB792Message"), "{}", &a_text[..500]);
    let differ = a_text.lines().zip(b_text.lines()).find(|(a, b)| a != b);
    assert!(
        differ.is_none() && a_text.len() == b_text.len(),
        "out of order: {differ:?}"
    );
    assert!(a_written.len() > 100, "{}", a_written.len());
    // Nothing is left of the first, abandoned playing.
    assert_eq!(a_written.len(), b_written.len());
    assert!(a_written == b_written, "the receipts written differ");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server on the configuration `load --setup` wrote; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let port = free_port();
        let setup = load(&[
            "--setup",
            dir.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--enterprises",
            "10",
        ]);
        assert!(setup.status.success(), "{}", text(&setup));
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = bin()
            .args(["serve", "--config"])
            .arg(dir.join("serve.toml"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "no server");
            std::thread::sleep(Duration::from_millis(10));
        }
        Server {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    fn drive(&self, report: &Path, extra: &[&str]) -> Output {
        let url = format!("http://127.0.0.1:{}/ceb", self.port);
        let tokens = self.dir.join("serve.toml");
        let mut args = vec![
            "--target",
            &url,
            "--tokens",
            tokens.to_str().unwrap(),
            "--enterprises",
            "10",
            "--report",
            report.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        load(&args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_open_model_run_follows_parcels_summaries_and_returns_to_their_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let out = server.drive(
        &dir.path().join("r1"),
        &[
            "--rate",
            "200",
            "--duration",
            "3",
            "--faults",
            "0.05",
            "--returns",
            "0.2",
            "--summaries",
            "--seed",
            "3",
            "--max-error-rate",
            "0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let r = report(&dir.path().join("r1"));
    let s = &r["stats"];
    assert!(s["answered"].as_u64().unwrap() > 500, "{s:#}");
    assert_eq!(s["errors"], 0, "{:#}", s["errors_by_kind"]);
    assert_eq!(s["rejected_unexpected"], 0);
    for field in ["p50", "p90", "p99", "p999", "max", "mean", "count"] {
        assert!(s["ack"][field].as_f64().unwrap() > 0.0, "ack {field}");
        assert!(s["e2e"][field].as_f64().unwrap() > 0.0, "e2e {field}");
    }
    assert!(s["timeline"].as_array().unwrap().len() >= 3);
    let o = &r["outcomes"];
    let n = |k: &str| o[k].as_u64().unwrap();
    assert_eq!(
        n("pending") + n("lost") + n("refused_unexpected"),
        0,
        "{o:#}"
    );
    assert_eq!(n("closed") + n("refused_expected"), n("parcels"), "{o:#}");
    assert_eq!(n("refused_expected"), n("faulty"), "{o:#}");
    assert_eq!(s["e2e"]["count"].as_u64().unwrap(), n("closed"));
    // Summaries: a 702 (120) each, and declarations (792).
    assert!(n("summaries_sent") > 0);
    assert_eq!(n("summaries_accepted"), n("summaries_sent"), "{o:#}");
    assert!(n("declarations") > 0, "{o:#}");
    // Returns: 214 800 then 216 399 for every one.
    assert!(n("returns_sent") > 0, "{o:#}");
    assert_eq!(n("returns_accepted"), n("returns_sent"), "{o:#}");
    assert_eq!(n("tallied"), n("returns_sent"), "{o:#}");
    let html = std::fs::read_to_string(dir.path().join("r1/report.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("<script src"),
        "self-contained"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("r1/summary.txt"))
            .unwrap()
            .contains("PASS")
    );

    // A p99 no target can meet fails the run (exit 1); a closed-model run passes its own.
    let strict = server.drive(
        &dir.path().join("r2"),
        &[
            "--rate",
            "100",
            "--duration",
            "1",
            "--seed",
            "4",
            "--max-p99",
            "0.001",
        ],
    );
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
    assert!(text(&strict).contains("FAIL"));
    let closed = server.drive(
        &dir.path().join("r3"),
        &[
            "--closed",
            "--connections",
            "4",
            "--duration",
            "1",
            "--seed",
            "5",
            "--max-p99",
            "60000",
        ],
    );
    assert_eq!(closed.status.code(), Some(0), "{}", text(&closed));
    assert_eq!(report(&dir.path().join("r3"))["model"]["kind"], "closed");
}

#[test]
fn errors_set_the_exit_code_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: every message is a connection error.
    let dead = format!("http://127.0.0.1:{}/ceb", free_port());
    let report_dir = dir.path().join("r");
    let args = |limit: Option<&'static str>| {
        let mut a = vec![
            "--target".to_string(),
            dead.clone(),
            "--rate".into(),
            "50".into(),
            "--duration".into(),
            "0.5".into(),
            "--no-receipts".into(),
            "--drain".into(),
            "2".into(),
            "--report".into(),
            report_dir.to_str().unwrap().into(),
        ];
        if let Some(limit) = limit {
            a.extend(["--max-error-rate".to_string(), limit.to_string()]);
        }
        a
    };
    let run = |limit| {
        let a = args(limit);
        load(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // Without a limit, errors fail the run.
    let unlimited = run(None);
    assert_eq!(unlimited.status.code(), Some(1), "{}", text(&unlimited));
    assert!(String::from_utf8_lossy(&unlimited.stdout).contains("FAIL"));
    let failing = run(Some("1%"));
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing));
    let r = report(&report_dir);
    assert!(r["stats"]["errors"].as_u64().unwrap() > 0);
    assert!(
        r["stats"]["errors_by_kind"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("connect")),
        "{:#}",
        r["stats"]["errors_by_kind"]
    );
    let tolerant = run(Some("100%"));
    assert_eq!(tolerant.status.code(), Some(0), "{}", text(&tolerant));

    for bad in [
        vec!["--target", "x", "--rate", "0"],
        vec!["--target", "https://127.0.0.1/ceb"],
        vec!["--target", "x", "--faults", "2"],
        vec!["--target", "x", "--mix", "1,2"],
        vec!["--target", "x", "--returns", "0.1"],
    ] {
        let out = load(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("single-window:"),
            "{bad:?}: {}",
            text(&out)
        );
    }
}
