//! Where the messages go: an HTTP endpoint taking CEB messages (the simulator's `POST /ceb`
//! or an integrator's own), over keep-alive HTTP/1.1 connections with a bearer token per
//! sender; or a folder, one file per message, named so that they sort in send order.

use crate::model::MessageType;
use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An `http://host[:port]/path` URL.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// Path and query of the endpoint messages are POSTed to.
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        let uri: hyper::Uri = url
            .parse()
            .with_context(|| format!("`{url}` is not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => bail!("`{url}`: only http:// is supported, not {other}://"),
            None => bail!("`{url}`: give a URL like http://127.0.0.1:8080/ceb"),
        }
        let host = uri
            .host()
            .with_context(|| format!("`{url}` names no host"))?
            .trim_matches(['[', ']'])
            .to_string();
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
        Ok(Endpoint {
            host,
            port: uri.port_u16().unwrap_or(80),
            path,
        })
    }

    /// `host:port`, for the Host header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Bearer tokens by DXP id, and one for senders without their own.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub tokens: HashMap<String, String>,
    pub default: Option<String>,
}

impl Auth {
    /// Reads tokens from a server configuration (`[[enterprise]]` with `dxp_id` and `token`)
    /// or from the `tokens.toml` the server generates (`[enterprise]` DXP id = token).
    pub fn load(path: &Path) -> anyhow::Result<HashMap<String, String>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading tokens from {}", path.display()))?;
        let value: toml::Table =
            toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
        let mut tokens = HashMap::new();
        match value.get("enterprise") {
            Some(toml::Value::Table(t)) => {
                for (dxp, token) in t {
                    if let Some(token) = token.as_str() {
                        tokens.insert(dxp.clone(), token.to_string());
                    }
                }
            }
            Some(toml::Value::Array(list)) => {
                for e in list {
                    if let (Some(dxp), Some(token)) = (
                        e.get("dxp_id").and_then(|v| v.as_str()),
                        e.get("token").and_then(|v| v.as_str()),
                    ) {
                        tokens.insert(dxp.to_string(), token.to_string());
                    }
                }
            }
            _ => {}
        }
        if tokens.is_empty() {
            bail!(
                "{} has no tokens: expected [[enterprise]] tables with dxp_id and token, or an [enterprise] table of DXP id = token",
                path.display()
            );
        }
        Ok(tokens)
    }

    pub fn token(&self, dxp: &str) -> Option<&str> {
        self.tokens
            .get(dxp)
            .map(String::as_str)
            .or(self.default.as_deref())
    }
}

/// What came back for one request.
pub struct Response {
    pub status: u16,
    pub body: Bytes,
}

/// One keep-alive connection, opened on first use and again after a failure.
pub struct Conn {
    host: String,
    port: u16,
    authority: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(endpoint: &Endpoint) -> Conn {
        Conn {
            host: endpoint.host.clone(),
            port: endpoint.port,
            authority: endpoint.authority(),
            sender: None,
        }
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| format!("connect: {}", e.kind()))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| "no connection".to_string())
    }

    /// Sends one request; an error is its kind, in a few words (the connection is dropped).
    pub async fn request(
        &mut self,
        method: hyper::Method,
        path: &str,
        token: Option<&str>,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Response, String> {
        let attempt = async {
            let authority = self.authority.clone();
            let sender = self.connect().await?;
            let mut request = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("host", authority)
                .header("content-type", "application/xml");
            if let Some(t) = token {
                request = request.header("authorization", format!("Bearer {t}"));
            }
            let request = request
                .body(Full::new(body))
                .map_err(|e| format!("request: {e}"))?;
            sender
                .ready()
                .await
                .map_err(|_| "connection closed".to_string())?;
            let response = sender.send_request(request).await.map_err(|e| {
                if e.is_incomplete_message() {
                    "connection closed".to_string()
                } else {
                    "http error".to_string()
                }
            })?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|_| "body cut off".to_string())?
                .to_bytes();
            Ok(Response { status, body })
        };
        let result = match tokio::time::timeout(timeout, attempt).await {
            Ok(r) => r,
            Err(_) => Err("timeout".to_string()),
        };
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

/// The `returnStatus` of a receipt, if the body is one.
pub fn return_status(body: &[u8]) -> Option<&str> {
    let at = memchr::memmem::find(body, b"returnStatus>")? + "returnStatus>".len();
    let rest = &body[at..];
    let end = memchr::memchr(b'<', rest)?;
    std::str::from_utf8(&rest[..end]).ok().map(str::trim)
}

/// The file a message is written to: its place in the send order and its type, e.g.
/// `0000000001.CEB303.xml`, so that a listing sorted by name is the send order.
fn push_file_name(out: &mut String, seq: u64, kind: MessageType) {
    crate::model::time::push_padded(out, seq, 10);
    out.push('.');
    out.push_str(kind.label());
    out.push_str(".xml");
}

/// A folder of message files.
pub struct Folder {
    dir: PathBuf,
}

impl Folder {
    pub fn create(dir: &Path) -> anyhow::Result<Folder> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Folder {
            dir: dir.to_path_buf(),
        })
    }

    /// Something to write files into the folder with, one per thread.
    pub fn writer(&self) -> FileWriter {
        FileWriter {
            path: self.dir.clone(),
            name: String::with_capacity(32),
        }
    }
}

/// Writes message files into a folder, making each file's path in place (no allocation per
/// file). Each file is one `open`, one `write` and one `close`.
pub struct FileWriter {
    /// The folder's path, between two files.
    path: PathBuf,
    name: String,
}

impl FileWriter {
    /// Writes message `seq` of type `kind`.
    pub fn write(&mut self, seq: u64, kind: MessageType, body: &[u8]) -> anyhow::Result<()> {
        self.name.clear();
        push_file_name(&mut self.name, seq, kind);
        self.path.push(&self.name);
        let written = std::fs::write(&self.path, body);
        let result = written.with_context(|| format!("writing {}", self.path.display()));
        self.path.pop();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_statuses_and_token_files_are_read() {
        let e = Endpoint::parse("http://127.0.0.1:8080/ceb").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("127.0.0.1", 8080, "/ceb")
        );
        assert_eq!(
            Endpoint::parse("http://localhost/x?y=1").unwrap().path,
            "/x?y=1"
        );
        assert!(Endpoint::parse("https://example.org/ceb").is_err());
        assert!(Endpoint::parse("not a url").is_err());
        assert_eq!(
            return_status(b"<ceb:returnStatus>100</ceb:returnStatus>"),
            Some("100")
        );
        assert_eq!(return_status(b"ok"), None);

        let dir = tempfile::tempdir().unwrap();
        let serve = dir.path().join("serve.toml");
        std::fs::write(
            &serve,
            "listen = \"x\"\n[[enterprise]]\ndxp_id = \"A\"\ntoken = \"ta\"\n",
        )
        .unwrap();
        assert_eq!(Auth::load(&serve).unwrap()["A"], "ta");
        let generated = dir.path().join("tokens.toml");
        std::fs::write(&generated, "admin = \"x\"\n[enterprise]\nB = \"tb\"\n").unwrap();
        assert_eq!(Auth::load(&generated).unwrap()["B"], "tb");
        std::fs::write(&generated, "admin = \"x\"\n").unwrap();
        assert!(Auth::load(&generated).is_err());
    }

    #[test]
    fn files_are_named_in_send_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let folder = Folder::create(&out).unwrap();
        let mut w = folder.writer();
        w.write(42, MessageType::Ceb303, b"<a/>").unwrap();
        w.write(12_345_678_901, MessageType::Ceb603, b"<b/>")
            .unwrap();
        let read = |name: &str| std::fs::read(out.join(name)).unwrap();
        assert_eq!(read("0000000042.CEB303.xml"), b"<a/>");
        assert_eq!(read("12345678901.CEB603.xml"), b"<b/>");
        let names = std::fs::read_dir(&out).unwrap().count();
        assert_eq!(names, 2);
    }
}
