//! Test support (config `test_support`, on by default; every route takes the admin token):
//!
//! - `POST /test/force` `{"ebpCode", "orderNo", "event": "release" | "inspect" | "reject"}`:
//!   customs does that to the order's list now (409 with the reason when the list is not in a
//!   state the event can follow). Logged like a message, so a restart replays it.
//! - `GET /test/documents?ebpCode=…&orderNo=…`: where the list stands, what it waits for
//!   next and when customs' next step is due, and every receipt that
//!   names the order (the e-port's and customs'), oldest first.
//! - `POST /test/reset`: forgets every document (receipt ids keep increasing). Logged too.

use super::App;
use super::core::{Query as EngineQuery, Submission, Work, parse_forced};
use super::ingest::stored;
use super::problem::Problem;
use crate::store::Event;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::oneshot;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceRequest {
    ebp_code: String,
    order_no: String,
    event: String,
}

/// POST /test/force.
pub async fn force(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = app.admin(&headers) {
        return r.into_response();
    }
    // Any content type: the body is read as JSON.
    let req: ForceRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return Problem::bad_request(
                "bad-body",
                format!("请求体应为 {{\"ebpCode\", \"orderNo\", \"event\"}}：{e}"),
                format!("expected {{\"ebpCode\", \"orderNo\", \"event\"}}: {e}"),
            )
            .into_response();
        }
    };
    let Some(event) = parse_forced(&req.event) else {
        return Problem::bad_request(
            "unknown-event",
            format!("未知事件 {:?}：应为 release、inspect 或 reject", req.event),
            format!("unknown event {:?}: release, inspect or reject", req.event),
        )
        .into_response();
    };
    let (reply_tx, reply) = oneshot::channel();
    let work = Work::Force {
        event,
        ebp_code: req.ebp_code.clone(),
        order_no: req.order_no.clone(),
        reply: Some(reply_tx),
    };
    let logged = Event::Force {
        event: req.event,
        ebp_code: req.ebp_code,
        order_no: req.order_no,
    };
    if let Err(refusal) = log(&app, logged, work).await {
        return refusal;
    }
    match reply.await {
        Ok(Ok(())) => Json(serde_json::json!({ "ok": true })).into_response(),
        Ok(Err(why)) => {
            Problem::new(StatusCode::CONFLICT, "not-now", why.zh, why.en).into_response()
        }
        Err(_) => Problem::stopping().into_response(),
    }
}

/// POST /test/reset.
pub async fn reset(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if let Err(r) = app.admin(&headers) {
        return r.into_response();
    }
    // Answered once the engine has started afresh, so what is read next sees the reset.
    let (reply, done) = oneshot::channel();
    let seq = match log(&app, Event::Reset, Work::Reset { reply: Some(reply) }).await {
        Ok(seq) => seq,
        Err(r) => return r,
    };
    match done.await {
        Ok(()) => Json(serde_json::json!({ "ok": true, "seq": seq })).into_response(),
        Err(_) => Problem::stopping().into_response(),
    }
}

/// Stores an event in the log and hands it to the engine.
async fn log(app: &App, event: Event, work: Work) -> Result<u64, Response> {
    let (ack, answer) = oneshot::channel();
    let submission = Submission {
        checked: app.core.now(),
        event,
        work,
        ack,
    };
    stored(app, submission, answer)
        .await
        .map_err(IntoResponse::into_response)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentQuery {
    ebp_code: String,
    order_no: String,
}

/// GET /test/documents.
pub async fn document(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<DocumentQuery>, QueryRejection>,
) -> Response {
    if let Err(r) = app.admin(&headers) {
        return r.into_response();
    }
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return Problem::bad_query(e.body_text()).into_response(),
    };
    let (reply, status) = oneshot::channel();
    let asked = app.core.query(EngineQuery::ListStatus {
        ebp_code: q.ebp_code.clone(),
        order_no: q.order_no.clone(),
        reply,
    });
    if asked.is_err() {
        return Problem::busy().into_response();
    }
    let Ok(status) = status.await else {
        return Problem::stopping().into_response();
    };
    if q.order_no.is_empty() {
        return Problem::bad_request("bad-query", "orderNo 为空", "orderNo is empty")
            .into_response();
    }
    let history = match app.store.receipts_mentioning(&q.order_no) {
        Ok(h) => h,
        Err(e) => return Problem::internal(e).into_response(),
    };
    if status.is_none() && history.is_empty() {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "no-such-order",
            format!("没有订单 {} / {} 的清单或回执", q.ebp_code, q.order_no),
            format!(
                "no list or receipt for order {} / {}",
                q.ebp_code, q.order_no
            ),
        )
        .into_response();
    }
    let history: Vec<serde_json::Value> = history
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "time": r.time,
                "root": r.root,
                "returnStatus": r.status,
                "returnInfo": r.info,
                "en": r.en,
                "key": r.key,
            })
        })
        .collect();
    let awaiting = status.as_ref().map(|a| {
        serde_json::json!({
            "zh": a.zh,
            "en": a.en,
            "due": a.due.map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()),
        })
    });
    Json(serde_json::json!({
        "ebpCode": q.ebp_code,
        "orderNo": q.order_no,
        "listStatus": status.map(|a| format!("{:?}", a.status)),
        "awaiting": awaiting,
        "history": history,
    }))
    .into_response()
}
