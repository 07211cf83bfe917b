//! A loopback HTTP server that records every request it receives and answers with whatever the
//! test queued. Unlike a matcher-based mock it lets a test assert on exactly what was sent
//! (method, path, raw query, headers, body bytes) and on how many requests arrived.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// Query pairs, percent-decoded, in the order sent.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes()).into_owned().collect()
    }
}

#[derive(Clone)]
struct Canned {
    status: StatusCode,
    content_type: String,
    body: Bytes,
}

#[derive(Default)]
struct State {
    canned: Mutex<Option<Canned>>,
    requests: Mutex<Vec<Recorded>>,
}

pub struct MockServer {
    pub base: String,
    state: Arc<State>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl MockServer {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let st = state.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let st = st.clone();
            async move { handle(st, req).await }
        });
        let (base, tx) = super::serve_loopback(app).await;
        MockServer { base, state, _shutdown: tx }
    }

    /// Answers every following request with `status`, `content_type` and `body`.
    pub fn respond(&self, status: u16, content_type: &str, body: impl Into<Bytes>) {
        *self.state.canned.lock().unwrap() = Some(Canned {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: content_type.to_string(),
            body: body.into(),
        });
    }

    pub fn respond_json(&self, status: u16, body: &serde_json::Value) {
        self.respond(status, "application/json", serde_json::to_vec(body).unwrap());
    }

    /// The requests received since the last call.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.state.requests.lock().unwrap())
    }
}

async fn handle(state: Arc<State>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    state.requests.lock().unwrap().push(Recorded {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    });
    let canned = state.canned.lock().unwrap().clone();
    match canned {
        Some(c) => Response::builder()
            .status(c.status)
            .header(header::CONTENT_TYPE, c.content_type)
            .body(Body::from(c.body))
            .unwrap(),
        None => Response::builder().status(StatusCode::NOT_IMPLEMENTED).body(Body::empty()).unwrap(),
    }
}
