//! `POST /ceb`: a CEB message in, the e-port's receipt out, once the message is durable.
//!
//! The answer is the receipt the e-port sends at once (CEB304, CEB604 … with `returnStatus`
//! 2 for each accepted document, or the rejection), DxpMsg-wrapped when the request was.
//! Header `X-SW-Seq` carries the message's place in the log. Refusals: 401 (token), 400 (not
//! a readable CEB message: the CEB900 receipt, not stored; or a receipt sent as a message),
//! 403 (`BaseTransfer/dxpId` or `DxpMsg` `SenderId` is not the caller's), 413 (too large),
//! 503 with `Retry-After` (queue full).

use super::App;
use super::admission::{Shed, Ticket, foreign_sender};
use super::core::{Checked, Refused, Submission, Work};
use super::problem::Problem;
use crate::check::check_and_decode;
use crate::model::schema::find_text;
use crate::rules::Context;
use crate::store::Event;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::oneshot;

/// DXP id the simulated e-port answers from in `DxpMsg` envelopes.
pub const EPORT_DXP_ID: &str = "DXPEDCCEB0000003";

/// A message stored: its place in the log and the e-port's receipt (as sent back).
pub struct Stored {
    pub seq: u64,
    pub receipt: String,
}

/// Why a message was not stored.
pub enum Refusal {
    /// The e-port's CEB900 receipt (XML, 400): the body is not a readable CEB message.
    Receipt(String),
    Problem(Problem),
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Receipt(_) => StatusCode::BAD_REQUEST,
            Refusal::Problem(p) => p.status,
        }
    }

    /// The reason as a file-drop writes it beside a refused file.
    pub fn text(&self) -> String {
        match self {
            Refusal::Receipt(xml) => format!("{}\n{xml}\n", StatusCode::BAD_REQUEST),
            Refusal::Problem(p) => p.text(),
        }
    }
}

impl From<Problem> for Refusal {
    fn from(p: Problem) -> Refusal {
        Refusal::Problem(p)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Receipt(xml) => (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
                xml,
            )
                .into_response(),
            Refusal::Problem(p) => p.into_response(),
        }
    }
}

/// Checks a message sent by `dxp`, stores it and waits until it is durable.
pub async fn submit(app: &App, dxp: &str, bytes: Bytes) -> Result<Stored, Refusal> {
    let now = app.core.now();
    let ctx = Context {
        registry: &app.registry,
        params: &app.params,
        related: None,
    };
    let (mut report, message) = check_and_decode(&bytes, now, &ctx);
    let count = |a: &std::sync::atomic::AtomicU64| a.fetch_add(1, Ordering::Relaxed);
    let Some(message) = message.filter(|_| report.documents.iter().all(|d| d.index > 0)) else {
        count(&app.metrics.unreadable);
        // The CEB900 receipt says what is wrong; the message is not stored.
        return Err(match &report.receipt {
            Some(r) => Refusal::Receipt(r.xml.clone()),
            None => Problem::bad_request("not-ceb", "不是 CEB 报文", "not a CEB message").into(),
        });
    };
    let kind = message.message().message_type();
    if kind.is_receipt() {
        count(&app.metrics.unreadable);
        return Err(Problem::bad_request(
            "receipt-sent",
            format!("{} 是海关发出的回执，不是企业申报的报文", kind.root_name()),
            format!(
                "{} is a receipt customs sends, not a message an enterprise sends",
                kind.root_name()
            ),
        )
        .into());
    }
    let declared = find_text(message.message().as_element(), "dxpId").unwrap_or_default();
    let transport = report.transport.take();
    let sender_id = transport.as_ref().map(|t| t.sender_id.as_str());
    if declared != dxp || sender_id.is_some_and(|s| s != dxp) {
        count(&app.metrics.forbidden);
        let and_sender =
            |and: &str| sender_id.map_or(String::new(), |s| format!("{and}DxpMsg SenderId ({s})"));
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "not-your-dxp-id",
            format!(
                "您是 {dxp}：BaseTransfer/dxpId（{declared}）{}必须是您自己的",
                and_sender("和 ")
            ),
            format!(
                "you are {dxp}: BaseTransfer/dxpId ({declared}){} must be yours",
                and_sender(" and ")
            ),
        )
        .into());
    }
    let checked = Checked::new(dxp, report, Some(message), now);
    let receipt = match (&checked.receipt, &transport) {
        (Some(r), Some(t)) => crate::ceb::wrap_dxp(
            &r.xml,
            &r.root,
            &t.cop_msg_id,
            EPORT_DXP_ID,
            dxp,
            &crate::model::time::rfc3339(now),
        ),
        (Some(r), None) => r.xml.clone(),
        (None, _) => String::new(),
    };
    let (ack, answer) = oneshot::channel();
    let submission = Submission {
        checked: now,
        event: Event::Message {
            sender: dxp.to_string(),
            bytes,
        },
        work: Work::Message(Box::new(checked)),
        ack,
    };
    let seq = stored(app, submission, answer).await?;
    count(&app.metrics.ingested);
    Ok(Stored { seq, receipt })
}

/// Queues a submission and waits for it to be durable.
pub async fn stored(
    app: &App,
    submission: Submission,
    answer: oneshot::Receiver<Result<u64, String>>,
) -> Result<u64, Refusal> {
    match app.core.submit(submission) {
        Ok(()) => {}
        Err(Refused::Busy) => {
            app.metrics.overloaded.fetch_add(1, Ordering::Relaxed);
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue-full",
                "等待存储的报文过多，请稍后重试",
                "too many messages waiting to be stored: retry shortly",
            )
            .into());
        }
        Err(Refused::Stopped) => return Err(Problem::stopping().into()),
    }
    match answer.await {
        Ok(Ok(seq)) => Ok(seq),
        // The disk failed (full, fsync error): nothing was acknowledged; retry later.
        Ok(Err(e)) => Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-stored",
            format!("未存储（磁盘故障，请稍后重试）：{e}"),
            format!("not stored: {e}"),
        )
        .into()),
        Err(_) => Err(Problem::stopping().into()),
    }
}

/// POST /ceb: shed when the server is saturated (see `admission`), 403 at once for a message
/// naming another enterprise's DXP id, then checked and stored.
pub async fn post_ceb(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let started = std::time::Instant::now();
    let dxp = match app.enterprise(&headers) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let mut ticket = match app.admission.enter() {
        Ok(t) => t,
        Err(shed) => return shed_answer(shed),
    };
    let bytes = match read_body(body, &mut ticket, app.config.max_body_bytes).await {
        Ok(b) => b,
        Err(refusal) => return refusal.into_response(),
    };
    if let Some(found) = foreign_sender(&bytes, &dxp) {
        app.metrics.forbidden.fetch_add(1, Ordering::Relaxed);
        return Problem::new(
            StatusCode::FORBIDDEN,
            "not-your-dxp-id",
            format!("您是 {dxp}：报文的发送方（BaseTransfer/dxpId、DxpMsg SenderId）为 {found}"),
            format!("you are {dxp}: the message names {found} as its sender (BaseTransfer/dxpId, DxpMsg SenderId)"),
        )
        .into_response();
    }
    if let Err(shed) = app.admission.on_time() {
        return shed_answer(shed);
    }
    match submit(&app, &dxp, bytes).await {
        Ok(stored) => {
            app.metrics.ack_latency.observe(started.elapsed());
            app.admission.acknowledged(started.elapsed());
            let mut response = (
                [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
                stored.receipt,
            )
                .into_response();
            response
                .headers_mut()
                .insert("x-sw-seq", HeaderValue::from(stored.seq));
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

fn shed_answer(shed: Shed) -> Response {
    shed.problem().into_response()
}

/// Reads a request body, counting its bytes in flight as they come: 413 past `limit`, 503
/// past the bytes all requests in flight may hold.
async fn read_body(body: Body, ticket: &mut Ticket<'_>, limit: usize) -> Result<Bytes, Refusal> {
    let too_large = || {
        Refusal::from(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("报文最多 {limit} 字节（max_body_bytes）"),
            format!("a message may have at most {limit} bytes (max_body_bytes)"),
        ))
    };
    let mut body = body;
    let mut first: Option<Bytes> = None;
    let mut more: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Refusal::from(Problem::bad_request(
                "bad-body",
                format!("无法读取请求体：{e}"),
                format!("cannot read the body: {e}"),
            ))
        })?;
        // Trailers carry nothing a message needs.
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        let have = first.as_ref().map_or(0, Bytes::len) + more.len();
        if have + chunk.len() > limit {
            return Err(too_large());
        }
        ticket
            .grow(chunk.len())
            .map_err(|shed| Refusal::from(shed.problem()))?;
        // One chunk (the usual small message) is kept as it came, without a copy.
        match &first {
            None => first = Some(chunk),
            Some(f) => {
                if more.is_empty() {
                    more.extend_from_slice(f);
                }
                more.extend_from_slice(&chunk);
            }
        }
    }
    Ok(if more.is_empty() {
        first.unwrap_or_default()
    } else {
        Bytes::from(more)
    })
}

/// POST /baseline: reads the body and answers at once, storing nothing — the plain HTTP cost
/// the benchmark compares ingest with.
pub async fn baseline(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = app.operator(&headers) {
        return e.into_response();
    }
    format!("{}\n", body.len()).into_response()
}
