//! Push delivery: every receipt of an enterprise with a `callback` is POSTed there as XML
//! (headers `X-SW-Receipt-Id`, `X-SW-Dxp-Id`), in id order; anything but a 2xx answer within
//! the timeout is retried with doubling back-off. `GET /push` shows the caller's backlog,
//! `DELETE /push` skips it. Plain `http://` callbacks only.

use super::App;
use super::delivery::{self, Channel, Sink};
use super::problem::Problem;
use crate::store::StoredReceipt;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// POSTs receipts to one callback URL.
struct Callback {
    client: Client<HttpConnector, Full<Bytes>>,
    url: hyper::Uri,
    dxp: String,
    timeout: Duration,
}

impl Sink for Callback {
    async fn deliver(&self, r: &StoredReceipt) -> Result<(), String> {
        let request = hyper::Request::post(self.url.clone())
            .header("content-type", "application/xml; charset=utf-8")
            .header("x-sw-receipt-id", r.id)
            .header("x-sw-dxp-id", self.dxp.as_str())
            .body(Full::new(Bytes::from(r.xml.clone())))
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("{e}"))?;
            let status = response.status();
            // Read the answer so the connection can be used again.
            let _ = response.into_body().collect().await;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("callback answered {status}"))
            }
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("no answer within {:?}", self.timeout))?
    }
}

/// Starts a delivery loop for every enterprise with a callback.
pub fn spawn_all(app: &Arc<App>, stop: &watch::Receiver<bool>, tasks: &mut JoinSet<()>) {
    let client = Client::builder(TokioExecutor::new()).build_http();
    for e in &app.config.enterprise {
        let Some(url) = &e.callback else { continue };
        let Some(channel) = app.channel("push", &e.dxp_id) else {
            continue;
        };
        let url: hyper::Uri = match url.parse() {
            Ok(u) => u,
            Err(err) => {
                tracing::error!(dxp = %e.dxp_id, %url, error = %err, "callback is not a URL; not pushing");
                continue;
            }
        };
        let sink = Callback {
            client: client.clone(),
            url,
            dxp: e.dxp_id.clone(),
            timeout: Duration::from_millis(app.config.push.timeout_ms.max(1)),
        };
        tasks.spawn(delivery::run(channel, sink, app.delivery_env(stop), |m| {
            &m.pushed
        }));
    }
}

/// GET /push: the caller's push channel.
pub async fn status(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let (dxp, channel) = match own_channel(&app, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let state = channel.state();
    let (backlog, _) = channel.backlog(&app.store);
    let retry_in_ms = state.retry_at.map(|t| {
        t.saturating_duration_since(std::time::Instant::now())
            .as_millis() as u64
    });
    Json(serde_json::json!({
        "dxpId": dxp,
        "cursor": state.cursor,
        "backlog": backlog,
        "failures": state.failures,
        "lastError": state.last_error,
        "retryInMs": retry_in_ms,
    }))
    .into_response()
}

/// DELETE /push: skips every receipt not yet pushed.
pub async fn clear(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let (_, channel) = match own_channel(&app, &headers) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match channel.clear(&app.store) {
        Ok(n) => Json(serde_json::json!({ "cleared": n, "cursor": channel.state().cursor }))
            .into_response(),
        Err(e) => Problem::internal(e).into_response(),
    }
}

/// The caller and its push channel; 401 or 404 when there is none.
fn own_channel(app: &App, headers: &HeaderMap) -> Result<(String, Arc<Channel>), Box<Response>> {
    let dxp = app
        .enterprise(headers)
        .map_err(|r| Box::new(r.into_response()))?;
    match app.channel("push", &dxp) {
        Some(channel) => Ok((dxp, channel)),
        None => Err(Box::new(
            Problem::new(
                StatusCode::NOT_FOUND,
                "no-callback",
                "未为您配置回调地址",
                "no callback is configured for you",
            )
            .into_response(),
        )),
    }
}

/// The channel of `kind` for `dxp`, if configured.
pub(super) fn find(channels: &[Arc<Channel>], kind: &str, dxp: &str) -> Option<Arc<Channel>> {
    channels
        .iter()
        .find(|c| c.kind == kind && c.dxp == dxp)
        .cloned()
}
