//! Fault injection: make the emulator misbehave the way a real endpoint and the networks in front of
//! it do, so a client's reliability (retries, `Retry-After`, timeouts, broken bodies) can be tested
//! against it.
//!
//! [`Faults`] is a cheap, cloneable controller (an `Arc` inside): keep one clone in the test and hand
//! another to [`layer`], which wraps any [`axum::Router`] (routes and fallback alike). Every knob can
//! be changed while the server runs, and every injected fault can be limited to the paths that start
//! with a prefix ([`Fault::on_path`]).
//!
//! | knob | what the client sees | does the request reach the handler? |
//! | --- | --- | --- |
//! | [`Faults::set_latency`] | every answer delayed by a fixed time | yes, after the delay |
//! | [`Fault::throttle`] | `429` with `Retry-After: <seconds>` and an `APIGW.0308` error body | no |
//! | [`Fault::server_error`] | the chosen 5xx with a `CB.00060101` error body | no |
//! | [`Fault::drop_connection`] | the connection closed without a single byte of response | no |
//! | [`Fault::truncated_body`] | the handler's status and headers, a `Content-Length` larger than what follows, the first half of the body, then the connection closes | yes: the work is done, the answer is lost |
//! | [`Fault::garbage_json`] | `200`, `Content-Type: application/json`, body `{"not json` | no |
//!
//! Injected faults are counted: each [`Fault`] answers its first `count` matching requests, then
//! retires. When several are queued, a request takes the first one (in the order they were
//! injected) whose prefix matches, so "two 429s, then one 503, then normal answers" is three calls to
//! [`Faults::inject`].
//!
//! ```ignore
//! use codearts_emulator::faults::{self, Fault, Faults};
//! use std::time::Duration;
//!
//! let faults = Faults::new();
//! let app = faults::layer(router, faults.clone());
//! // ... serve `app` ...
//! faults.inject(Fault::throttle(2, 1).on_path("/v3/jobs/"));   // two 429s, Retry-After: 1
//! faults.inject(Fault::server_error(1, 503));                  // then one 503, any path
//! faults.set_latency(Duration::from_millis(50));               // and every answer 50 ms late
//! ```
//!
//! How the broken transports are produced: axum cannot close a connection from a handler, so a
//! dropped connection is a response whose body fails before its first frame. hyper then aborts the
//! connection before flushing the status line, and the client reads end-of-stream with no response
//! at all (as when a load balancer resets an idle connection). A truncated body declares its full
//! `Content-Length`, sends half of the bytes, pauses so that they are flushed, then fails, and hyper
//! closes the connection.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use futures_core::Stream;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

/// The body of an injected garbage-JSON answer: the start of an object that never ends.
pub const GARBAGE_JSON: &str = r#"{"not json"#;

/// How long a truncated body waits after its partial data (so that it reaches the client) before the
/// connection is broken.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(20);

/// What one injected fault does to a response. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// `429 Too Many Requests` with `Retry-After: retry_after_secs`.
    Throttle {
        /// The `Retry-After` header's value, in seconds.
        retry_after_secs: u64,
    },
    /// A 5xx answer with this status.
    ServerError {
        /// The status, 500–599.
        status: u16,
    },
    /// The connection is closed without any response.
    DropConnection,
    /// The handler's answer, cut short: `Content-Length` larger than the bytes that are sent.
    TruncatedBody,
    /// `200` with the body [`GARBAGE_JSON`].
    GarbageJson,
}

/// A fault to inject into the next `count` matching requests: build one with a constructor, narrow it
/// with [`on_path`](Fault::on_path), queue it with [`Faults::inject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    remaining: u32,
    path_prefix: Option<String>,
}

impl Fault {
    /// A fault of `kind` for the next `count` matching requests.
    pub fn new(kind: FaultKind, count: u32) -> Self {
        if let FaultKind::ServerError { status } = kind {
            assert!((500..=599).contains(&status), "a server error is a 5xx status, not {status}");
        }
        Fault { kind, remaining: count, path_prefix: None }
    }

    /// `count` answers `429` with `Retry-After: retry_after_secs`.
    pub fn throttle(count: u32, retry_after_secs: u64) -> Self {
        Fault::new(FaultKind::Throttle { retry_after_secs }, count)
    }

    /// A burst of `count` answers with the 5xx `status` (panics on a status outside 500–599).
    pub fn server_error(count: u32, status: u16) -> Self {
        Fault::new(FaultKind::ServerError { status }, count)
    }

    /// `count` connections closed without a response.
    pub fn drop_connection(count: u32) -> Self {
        Fault::new(FaultKind::DropConnection, count)
    }

    /// `count` answers whose body stops halfway, short of its `Content-Length`.
    pub fn truncated_body(count: u32) -> Self {
        Fault::new(FaultKind::TruncatedBody, count)
    }

    /// `count` answers `200` with a body that is not JSON ([`GARBAGE_JSON`]).
    pub fn garbage_json(count: u32) -> Self {
        Fault::new(FaultKind::GarbageJson, count)
    }

    /// Only requests whose path starts with `prefix` (such as `/v3/jobs/`) trigger this fault.
    pub fn on_path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// What the fault does.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }

    /// How many more requests it will answer.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }

    /// The path prefix it is limited to, if any.
    pub fn path_prefix(&self) -> Option<&str> {
        self.path_prefix.as_deref()
    }

    fn matches(&self, path: &str) -> bool {
        self.remaining > 0 && self.path_prefix.as_deref().is_none_or(|prefix| path.starts_with(prefix))
    }
}

#[derive(Debug, Default)]
struct Knobs {
    latency: Duration,
    latency_prefix: Option<String>,
    queue: Vec<Fault>,
    injected: u64,
}

/// The fault-injection controller: cloneable, every clone controls the same server. See the
/// [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    knobs: Arc<Mutex<Knobs>>,
}

impl Faults {
    /// No latency, no faults.
    pub fn new() -> Self {
        Faults::default()
    }

    fn knobs(&self) -> MutexGuard<'_, Knobs> {
        // The lock is never held across a panic that matters: a poisoned lock still holds valid knobs.
        self.knobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Delays every answer by `latency` (`Duration::ZERO` turns it off), on every path.
    pub fn set_latency(&self, latency: Duration) {
        let mut knobs = self.knobs();
        knobs.latency = latency;
        knobs.latency_prefix = None;
    }

    /// Delays the answers to paths starting with `prefix` by `latency`; other paths get none.
    pub fn set_latency_on(&self, prefix: impl Into<String>, latency: Duration) {
        let mut knobs = self.knobs();
        knobs.latency = latency;
        knobs.latency_prefix = Some(prefix.into());
    }

    /// Queues `fault` behind the faults already queued.
    pub fn inject(&self, fault: Fault) {
        let mut knobs = self.knobs();
        knobs.queue.retain(|f| f.remaining > 0);
        if fault.remaining > 0 {
            knobs.queue.push(fault);
        }
    }

    /// Removes every queued fault and the latency.
    pub fn clear(&self) {
        let mut knobs = self.knobs();
        knobs.queue.clear();
        knobs.latency = Duration::ZERO;
        knobs.latency_prefix = None;
    }

    /// The faults still queued, with their remaining counts.
    pub fn pending(&self) -> Vec<Fault> {
        self.knobs().queue.iter().filter(|f| f.remaining > 0).cloned().collect()
    }

    /// How many requests have been answered with a fault so far (latency alone does not count).
    pub fn injected(&self) -> u64 {
        self.knobs().injected
    }

    /// The delay and the fault (consumed) for a request to `path`.
    fn take(&self, path: &str) -> (Duration, Option<FaultKind>) {
        let mut knobs = self.knobs();
        let delay = match knobs.latency_prefix.as_deref() {
            Some(prefix) if !path.starts_with(prefix) => Duration::ZERO,
            _ => knobs.latency,
        };
        let kind = knobs.queue.iter_mut().find(|f| f.matches(path)).map(|fault| {
            fault.remaining -= 1;
            fault.kind.clone()
        });
        if kind.is_some() {
            knobs.injected += 1;
            knobs.queue.retain(|f| f.remaining > 0);
        }
        (delay, kind)
    }
}

/// Wraps every route and the fallback of `router` with the faults `faults` controls.
pub fn layer(router: Router, faults: Faults) -> Router {
    router.layer(middleware::from_fn_with_state(faults, inject))
}

async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let (delay, kind) = faults.take(request.uri().path());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match kind {
        None => next.run(request).await,
        Some(FaultKind::Throttle { retry_after_secs }) => {
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "APIGW.0308",
                "The throttling threshold has been reached (injected fault).",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(FaultKind::ServerError { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error_response(status, "CB.00060101", &format!("Injected fault: HTTP {}.", status.as_u16()))
        }
        Some(FaultKind::DropConnection) => Response::new(Body::from_stream(Broken::new(None))),
        Some(FaultKind::TruncatedBody) => truncate(next.run(request).await).await,
        Some(FaultKind::GarbageJson) => {
            let mut response = Response::new(Body::from(GARBAGE_JSON));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error_code": code, "error_msg": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The handler's `response` with its body cut in half and its full length declared.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        // The handler's own body failed: the connection breaks anyway.
        return Response::from_parts(parts, Body::from_stream(Broken::new(None)));
    };
    let sent = bytes.len() / 2;
    let declared = bytes.len().max(sent + 1);
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
    Response::from_parts(parts, Body::from_stream(Broken::new(Some(bytes.slice(..sent)))))
}

/// A body stream that yields `partial` (if any and not empty), waits [`TRUNCATE_PAUSE`] so it is
/// flushed, then fails; with nothing to send it fails at once.
struct Broken {
    partial: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Broken {
    fn new(partial: Option<Bytes>) -> Self {
        let partial = partial.filter(|bytes| !bytes.is_empty());
        let pause = partial.as_ref().map(|_| Box::pin(tokio::time::sleep(TRUNCATE_PAUSE)));
        Broken { partial, pause }
    }
}

impl Stream for Broken {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(bytes) = self.partial.take() {
            return Poll::Ready(Some(Ok(bytes)));
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection broken by fault injection",
        ))))
    }
}
