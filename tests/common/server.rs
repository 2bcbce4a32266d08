//! Test support for `single-window serve` as a real process: a server on its own data
//! folder, a minimal HTTP/1.1 client, and the shipped seeds.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ME: &str = "DXPENT0000031415";
pub const MY_TOKEN: &str = "token-of-31415";
pub const OTHER: &str = "DXPENT0000024490";
pub const OTHER_TOKEN: &str = "token-of-24490";
pub const ADMIN: &str = "admin-secret";

pub fn seed(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds/messages/valid")
            .join(name),
    )
    .unwrap()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Quick customs, so receipts come within a second.
pub const QUICK_CUSTOMS: &str = "[customs]\nstore_delay_ms = 100\nconclude_delay_ms = 100\nrelease_delay_ms = 100\nrelease_waits_for_arrival = false\nreview_per_mille = 0\ninspection_per_mille = 0\n";

/// A running server on its own data folder; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Server {
    /// Writes `serve.toml` (top-level keys, then tables) in `dir` and starts the binary.
    pub fn start(dir: &Path, top: &str, tables: &str) -> Server {
        let port = free_port();
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\ndata = \"{}\"\nadmin_token = \"{ADMIN}\"\n{top}\n{tables}\n\
             [[enterprise]]\ndxp_id = \"{OTHER}\"\ntoken = \"{OTHER_TOKEN}\"\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("serve.toml"), config).unwrap();
        Server::run(dir, port)
    }

    /// Starts the binary on the `serve.toml` already in `dir` (with a new port).
    pub fn run(dir: &Path, port: u16) -> Server {
        let text = std::fs::read_to_string(dir.join("serve.toml")).unwrap();
        let text = text
            .lines()
            .map(|l| {
                if l.starts_with("listen = ") {
                    format!("listen = \"127.0.0.1:{port}\"")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.join("serve.toml"), text).unwrap();
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_single-window"))
            .args(["serve", "--config"])
            .arg(dir.join("serve.toml"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Server {
            child,
            port,
            dir: dir.to_path_buf(),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server did not start: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    /// Stops it with SIGTERM and waits for its exit, which must be a clean one.
    pub fn terminate(mut self) {
        let term = format!("kill -TERM {}", self.child.id());
        // The shell's own kill: no procps needed.
        let sent = Command::new("sh").args(["-c", &term]).status();
        assert!(sent.is_ok_and(|s| s.success()));
        let started = Instant::now();
        let exit = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no exit on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(exit.success(), "{exit:?}\n{}", self.log());
    }

    /// Every receipt of the token's enterprise, in id order.
    pub fn all_receipts(&self, token: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .http(
                    "GET",
                    &format!("/receipts?after={after}&limit=1000"),
                    Some(token),
                    b"",
                )
                .json();
            let got = page["receipts"].as_array().unwrap().clone();
            if got.is_empty() {
                return all;
            }
            after = page["next"].as_u64().unwrap();
            all.extend(got);
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    pub fn http(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> Answer {
        http(self.port, method, path, token, body)
    }

    pub fn post(&self, token: &str, body: &[u8]) -> Answer {
        self.http("POST", "/ceb", Some(token), body)
    }

    /// Pulls receipts of the token's enterprise until `done` holds for all pulled so far.
    pub fn pull_until(&self, token: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = 0;
        let started = Instant::now();
        loop {
            if done(&all) {
                return all;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "receipts did not come: {all:#?}"
            );
            let answer = self.http(
                "GET",
                &format!("/receipts?after={after}&wait=1"),
                Some(token),
                b"",
            );
            assert_eq!(answer.status, 200, "{}", answer.text());
            let page = answer.json();
            after = page["next"].as_u64().unwrap();
            all.extend(page["receipts"].as_array().unwrap().iter().cloned());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// One HTTP/1.1 exchange on a fresh connection.
pub fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> Answer {
    try_http(port, method, path, token, body).unwrap()
}

pub fn try_http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let headers = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = headers
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let mut body = raw[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut reader = BufReader::new(&mut b);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        let mut chunk = vec![0; n + 2];
        reader.read_exact(&mut chunk).unwrap();
        out.extend_from_slice(&chunk[..n]);
    }
}

pub fn statuses(receipts: &[Value], root: &str) -> Vec<String> {
    receipts
        .iter()
        .filter(|r| r["root"] == root)
        .map(|r| r["returnStatus"].as_str().unwrap().to_string())
        .collect()
}

pub const PARCEL: [&str; 4] = [
    "CEB303-retail-order.xml",
    "CEB403-payment-receipt.xml",
    "CEB505-waybill.xml",
    "CEB603-retail-list-9610.xml",
];
