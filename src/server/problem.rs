//! Every refusal of the HTTP API in one shape: its status, a stable code a program can match,
//! and the reason in Chinese and English —
//! `{"error": {"code": "bad-query", "zh": "…", "en": "…"}}`. (The e-port's CEB900 for a body
//! that is not a CEB message is the exception: it is the receipt the real e-port sends.)

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Problem {
        Problem {
            status,
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn bad_request(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, code, zh, en)
    }

    pub fn stopping() -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "stopping",
            "服务正在停止",
            "the server is stopping",
        )
    }

    pub fn busy() -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "服务繁忙，请稍后重试",
            "busy: retry shortly",
        )
    }

    /// A failure of the server itself (its store), with what it said.
    pub fn internal(e: impl std::fmt::Display) -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("服务内部错误：{e}"),
            format!("the server failed: {e}"),
        )
    }

    /// Query parameters the route cannot read, with the framework's reason.
    pub fn bad_query(reason: impl std::fmt::Display) -> Problem {
        Problem::bad_request(
            "bad-query",
            format!("查询参数有误：{reason}"),
            format!("bad query parameters: {reason}"),
        )
    }

    /// The text of a file-drop reason or a log line: status, code and both reasons.
    pub fn text(&self) -> String {
        format!("{} {}\n{}\n{}\n", self.status, self.code, self.zh, self.en)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "zh": self.zh, "en": self.en }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match self.status {
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}
