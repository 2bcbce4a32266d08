//! Pull delivery: `GET /receipts?after=ID&limit=N&wait=S` lists the caller's receipts with ids
//! above `after` (JSON, oldest first, `next` being the cursor for the following call), waiting
//! up to `wait` seconds (at most 30) for one when there is none yet; `GET /receipts/{id}` is one
//! receipt's XML. Only the caller's own receipts are ever shown: another's id is 404.

use super::App;
use super::problem::Problem;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

#[derive(serde::Deserialize)]
pub struct Cursor {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    #[serde(default)]
    wait: u64,
}

/// GET /receipts.
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    q: Result<Query<Cursor>, QueryRejection>,
) -> Response {
    let dxp = match app.enterprise(&headers) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return Problem::bad_query(e.body_text()).into_response(),
    };
    // Asking for what comes after an id says the caller has every receipt up to it.
    // (No further than what exists: a cursor from the future marks nothing as had.)
    app.pulled
        .note(&dxp, q.after.min(*app.core.latest.borrow()));
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(q.wait.min(30));
    let mut latest = app.core.latest.clone();
    loop {
        latest.borrow_and_update();
        let receipts = match app
            .store
            .receipts_after_blocking(&dxp, q.after, limit)
            .await
        {
            Ok(r) => r,
            Err(e) => return Problem::internal(e).into_response(),
        };
        let waited_enough = tokio::time::Instant::now() >= deadline;
        if !receipts.is_empty() || waited_enough {
            let next = receipts.last().map_or(q.after, |r| r.id);
            return Json(serde_json::json!({ "receipts": receipts, "next": next })).into_response();
        }
        // Woken when any receipt is stored; ours or not, look again.
        if tokio::time::timeout_at(deadline, latest.changed())
            .await
            .is_ok_and(|r| r.is_err())
        {
            return Problem::stopping().into_response();
        }
    }
}

/// GET /receipts/{id}.
pub async fn one(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<u64>, PathRejection>,
) -> Response {
    let dxp = match app.enterprise(&headers) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let id = match id {
        Ok(Path(id)) => id,
        Err(e) => {
            return Problem::bad_request(
                "bad-path",
                format!("回执编号应为数字：{}", e.body_text()),
                format!("a receipt id is a number: {}", e.body_text()),
            )
            .into_response();
        }
    };
    let store = app.store.clone();
    let found = tokio::task::spawn_blocking(move || store.receipt(&dxp, id)).await;
    let found =
        found.unwrap_or_else(|e| Err(crate::store::StoreError::Io(std::io::Error::other(e))));
    match found {
        Ok(Some(r)) => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            r.xml,
        )
            .into_response(),
        Ok(None) => Problem::new(
            StatusCode::NOT_FOUND,
            "no-such-receipt",
            format!("您没有编号为 {id} 的回执"),
            format!("you have no receipt {id}"),
        )
        .into_response(),
        Err(e) => Problem::internal(e).into_response(),
    }
}
