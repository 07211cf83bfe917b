//! The emulator's fault-injection layer against a tiny router of its own, on 127.0.0.1: what a raw
//! TCP client, reqwest and the SDK each see for every knob, and that the knobs count, match path
//! prefixes and change while the server runs.
#![cfg(feature = "build")]

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use codearts::build::{Client, types};
use codearts::region::Service;
use codearts::retry::RetryPolicy;
use codearts::{CallExt, Config, ErrorKind};
use codearts_emulator::faults::{self, Fault, FaultKind, Faults, GARBAGE_JSON};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const JOB: &str = "f9d6c8466d614a9788e9a0acf6c15f46";
const STATUS_PATH: &str = "/v3/jobs/f9d6c8466d614a9788e9a0acf6c15f46/status";
/// Long enough that half of it is clearly a truncation.
const TEXT: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

/// A running test server: its base URL, its fault controller, and how many requests reached a handler.
struct TestServer {
    base: String,
    addr: std::net::SocketAddr,
    faults: Faults,
    handled: Arc<AtomicUsize>,
}

impl TestServer {
    async fn start() -> TestServer {
        let handled = Arc::new(AtomicUsize::new(0));
        let router = Router::new()
            .route(
                "/v3/jobs/{job_id}/status",
                get(|State(n): State<Arc<AtomicUsize>>| async move {
                    n.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::json!({ "result": true }))
                }),
            )
            .route(
                "/v3/jobs/build",
                post(|State(n): State<Arc<AtomicUsize>>| async move {
                    n.fetch_add(1, Ordering::SeqCst);
                    axum::Json(serde_json::json!({ "octopus_job_name": "job-7", "actual_build_number": "7" }))
                }),
            )
            .route(
                "/text",
                get(|State(n): State<Arc<AtomicUsize>>| async move {
                    n.fetch_add(1, Ordering::SeqCst);
                    TEXT
                }),
            )
            .fallback(|State(n): State<Arc<AtomicUsize>>| async move {
                n.fetch_add(1, Ordering::SeqCst);
                (StatusCode::NOT_FOUND, "no such route")
            })
            .with_state(handled.clone());
        let faults = Faults::new();
        let app = faults::layer(router, faults.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer { base: format!("http://{addr}"), addr, faults, handled }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }

    /// Sends one raw `GET path` on a fresh connection and reads until the server closes it.
    async fn raw_get(&self, path: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        // A reset instead of an orderly close is also "no more bytes": keep what arrived.
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
            .await
            .expect("the server closes the connection");
        received
    }
}

fn http() -> reqwest::Client {
    codearts::install_crypto_provider();
    reqwest::Client::builder().build().unwrap()
}

/// An SDK client for the Build service at `base`, retrying up to `max_attempts` with short backoffs
/// (a `Retry-After` header still replaces the backoff).
fn sdk(base: &str, max_attempts: u32) -> Client {
    let retry = RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        total_budget: Duration::from_secs(30),
    };
    let config = Config::builder().endpoint(Service::Build, base).retry(retry).build().unwrap();
    Client::from_config(&config).unwrap()
}

fn run_body() -> types::builder::RunJobRequestBody {
    types::RunJobRequestBody::builder().job_id(JOB)
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn without_faults_the_router_answers_normally() {
    let server = TestServer::start().await;
    let response = http().get(server.url("/text")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), TEXT);
    let status = sdk(&server.base, 1).show_job_status().job_id(JOB).call().await.unwrap();
    assert_eq!(status.result, Some(true));
    assert_eq!(server.handled(), 2);
    assert_eq!(server.faults.injected(), 0);
}

#[tokio::test]
async fn latency_delays_every_answer_or_only_those_under_a_prefix() {
    let server = TestServer::start().await;
    let client = http();
    let delay = Duration::from_millis(500);

    server.faults.set_latency(delay);
    let started = Instant::now();
    assert_eq!(client.get(server.url("/text")).send().await.unwrap().status(), 200);
    assert!(started.elapsed() >= delay, "delayed: {:?}", started.elapsed());

    server.faults.set_latency_on("/v3/", delay);
    let started = Instant::now();
    assert_eq!(client.get(server.url("/text")).send().await.unwrap().status(), 200);
    assert!(started.elapsed() < delay, "another path is not delayed: {:?}", started.elapsed());
    let started = Instant::now();
    assert_eq!(client.get(server.url(STATUS_PATH)).send().await.unwrap().status(), 200);
    assert!(started.elapsed() >= delay, "the prefix is delayed: {:?}", started.elapsed());

    server.faults.set_latency(Duration::ZERO);
    let started = Instant::now();
    assert_eq!(client.get(server.url(STATUS_PATH)).send().await.unwrap().status(), 200);
    assert!(started.elapsed() < delay, "latency turned off: {:?}", started.elapsed());
    assert_eq!(server.faults.injected(), 0, "latency is not a counted fault");
}

#[tokio::test]
async fn throttle_answers_429_with_retry_after_then_lets_requests_through() {
    let server = TestServer::start().await;
    let client = http();
    server.faults.inject(Fault::throttle(2, 7));
    for _ in 0..2 {
        let response = client.get(server.url("/text")).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], "APIGW.0308");
        assert!(body["error_msg"].is_string());
    }
    let response = client.get(server.url("/text")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.handled(), 1, "throttled requests never reach the handler");
    assert_eq!(server.faults.injected(), 2);
    assert!(server.faults.pending().is_empty());
}

/// The SDK waits as long as `Retry-After` says, then retries the GET and succeeds.
#[tokio::test]
async fn the_sdk_honours_retry_after_on_a_throttled_get() {
    let server = TestServer::start().await;
    server.faults.inject(Fault::throttle(1, 1));
    let started = Instant::now();
    let status = sdk(&server.base, 3).show_job_status().job_id(JOB).call().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(status.result, Some(true));
    assert!(elapsed >= Duration::from_secs(1), "waited Retry-After: {elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(server.faults.injected(), 1);
    assert_eq!(server.handled(), 1);
}

#[tokio::test]
async fn a_burst_of_server_errors_with_the_chosen_status() {
    let server = TestServer::start().await;
    let client = http();
    server.faults.inject(Fault::server_error(3, 503));
    for _ in 0..3 {
        let response = client.get(server.url("/text")).send().await.unwrap();
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error_code"], "CB.00060101");
    }
    assert_eq!(client.get(server.url("/text")).send().await.unwrap().status(), 200);

    // The SDK rides out a shorter 502 burst on a GET, and reports a 500 it must not retry.
    server.faults.inject(Fault::server_error(2, 502));
    let status = sdk(&server.base, 3).show_job_status().job_id(JOB).call().await.unwrap();
    assert_eq!(status.result, Some(true));
    server.faults.inject(Fault::server_error(1, 500));
    let err = sdk(&server.base, 3).show_job_status().job_id(JOB).call().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), Some("CB.00060101"));
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.faults.injected(), 6);
}

#[test]
#[should_panic(expected = "5xx")]
fn a_server_error_must_be_5xx() {
    let _ = Fault::server_error(1, 404);
}

/// From the client's side a dropped connection is exactly that: not a byte of response, then EOF.
#[tokio::test]
async fn a_dropped_connection_sends_nothing_at_all() {
    let server = TestServer::start().await;
    server.faults.inject(Fault::drop_connection(1));
    let received = server.raw_get("/text").await;
    assert!(received.is_empty(), "nothing is sent: {:?}", String::from_utf8_lossy(&received));
    assert_eq!(server.handled(), 0);

    // The next request is answered normally.
    let received = String::from_utf8(server.raw_get("/text").await).unwrap();
    assert!(received.starts_with("HTTP/1.1 200 OK\r\n"), "{received}");
    assert!(received.ends_with(TEXT), "{received}");
}

#[tokio::test]
async fn reqwest_and_the_sdk_see_a_dropped_connection() {
    let server = TestServer::start().await;
    server.faults.inject(Fault::drop_connection(1));
    let err = http().get(server.url("/text")).send().await.unwrap_err();
    assert!(err.status().is_none() && err.is_request(), "a transport error: {err:?}");

    // A GET is retried and succeeds; RunJob (a POST that starts a build) is never resent.
    server.faults.inject(Fault::drop_connection(2));
    let status = sdk(&server.base, 3).show_job_status().job_id(JOB).call().await.unwrap();
    assert_eq!(status.result, Some(true));
    server.faults.inject(Fault::drop_connection(1));
    let err = sdk(&server.base, 3).run_job().body(run_body()).call().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.handled(), 1, "only the successful GET reached a handler");
    assert_eq!(server.faults.injected(), 4);
}

/// A truncated body: the handler ran, its status and headers arrive with the full Content-Length,
/// then half the body, then the connection closes.
#[tokio::test]
async fn a_truncated_body_stops_short_of_its_content_length() {
    let server = TestServer::start().await;
    server.faults.inject(Fault::truncated_body(1));
    let received = String::from_utf8(server.raw_get("/text").await).unwrap();
    let (head, body) = received.split_once("\r\n\r\n").expect("the head arrives whole");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains(&format!("content-length: {}\r\n", TEXT.len())), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert_eq!(body, &TEXT[..TEXT.len() / 2]);
    assert_eq!(server.handled(), 1, "the handler did its work");

    server.faults.inject(Fault::truncated_body(1));
    let response = http().get(server.url("/text")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "reading the body fails");
}

#[tokio::test]
async fn a_truncated_empty_body_still_declares_more_than_it_sends() {
    let server = TestServer::start().await;
    let app = faults::layer(Router::new().route("/empty", get(|| async { "" })), server.faults.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    server.faults.inject(Fault::truncated_body(1));
    let err = async {
        let response = http().get(format!("http://{addr}/empty")).send().await?;
        assert_eq!(response.headers()["content-length"], "1");
        response.bytes().await
    }
    .await;
    assert!(err.is_err(), "{err:?}");
}

/// The SDK retries a GET whose answer broke off, and gets the whole answer the second time.
#[tokio::test]
async fn the_sdk_retries_a_get_whose_body_broke_off() {
    let server = TestServer::start().await;
    server.faults.inject(Fault::truncated_body(1).on_path("/v3/jobs/"));
    let status = sdk(&server.base, 3).show_job_status().job_id(JOB).call().await.unwrap();
    assert_eq!(status.result, Some(true));
    assert_eq!(server.handled(), 2);
    assert_eq!(server.faults.injected(), 1);
}

#[tokio::test]
async fn garbage_json_is_a_200_that_does_not_parse() {
    let server = TestServer::start().await;
    server.faults.inject(Fault::garbage_json(2));
    let response = http().get(server.url(STATUS_PATH)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert_eq!(text, GARBAGE_JSON);
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());

    let err = sdk(&server.base, 3).show_job_status().job_id(JOB).call().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.attempts(), 1, "a decode error is not retried");
    assert_eq!(server.handled(), 0);
}

#[tokio::test]
async fn faults_are_limited_to_their_prefix_and_taken_in_order() {
    let server = TestServer::start().await;
    let client = http();
    server.faults.inject(Fault::throttle(1, 1).on_path("/v3/jobs/"));
    server.faults.inject(Fault::server_error(1, 504).on_path("/v3/jobs/"));
    server.faults.inject(Fault::garbage_json(1).on_path("/nowhere"));

    // Another path is untouched, and so are the queued faults.
    assert_eq!(client.get(server.url("/text")).send().await.unwrap().status(), 200);
    let pending = server.faults.pending();
    assert_eq!(pending.len(), 3);
    assert_eq!(pending[0].kind(), &FaultKind::Throttle { retry_after_secs: 1 });
    assert_eq!(pending[0].path_prefix(), Some("/v3/jobs/"));
    assert_eq!(pending[0].remaining(), 1);

    let status = |path: &'static str| {
        let client = client.clone();
        let url = server.url(path);
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(STATUS_PATH).await, 429);
    assert_eq!(status(STATUS_PATH).await, 504);
    assert_eq!(status(STATUS_PATH).await, 200);
    assert_eq!(status("/nowhere/at/all").await, 200, "the fallback's 404 body is garbage JSON's 200");
    assert_eq!(status("/nowhere/at/all").await, 404, "the fallback is wrapped too");
    assert_eq!(server.faults.injected(), 3);

    // clear() empties the queue and turns latency off, at run time.
    server.faults.inject(Fault::drop_connection(5));
    server.faults.set_latency(Duration::from_secs(5));
    server.faults.clear();
    assert!(server.faults.pending().is_empty());
    assert_eq!(status("/text").await, 200);
}

#[tokio::test]
async fn a_fault_with_count_zero_is_not_queued() {
    let faults = Faults::new();
    faults.inject(Fault::new(FaultKind::GarbageJson, 0));
    assert!(faults.pending().is_empty());
}

/// The knobs on the real emulator: a read through the SDK rides out a 429 and a 503 burst, while
/// `RunJob` meeting a dropped connection is not resent (the emulator records no build).
#[tokio::test]
async fn faults_wrap_the_emulator() {
    let injected = Faults::new();
    let layer_faults = injected.clone();
    let emulator = codearts_emulator::Emulator::builder()
        .start_with(move |router| faults::layer(router, layer_faults))
        .await
        .unwrap();
    let config = emulator
        .config_builder()
        .credentials(emulator.password_credentials())
        .retry(RetryPolicy { initial_backoff: Duration::from_millis(1), ..RetryPolicy::default() })
        .build()
        .unwrap();
    let client = Client::from_config(&config).unwrap();
    let job = "0123456789abcdef0123456789abcdef";

    injected.inject(Fault::throttle(1, 0).on_path("/v3/jobs/"));
    injected.inject(Fault::server_error(1, 503).on_path("/v3/jobs/"));
    let err = client.show_job_status().job_id(job).call().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "after the faults, the emulator's own answer: {err}");
    assert_eq!(err.attempts(), 3);
    assert_eq!(injected.injected(), 2);

    injected.inject(Fault::drop_connection(1).on_path("/v3/jobs/build"));
    let body = types::RunJobRequestBody::builder().job_id(job);
    let err = client.run_job().body(body).call().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(err.attempts(), 1, "RunJob is never resent once it may have reached the server");
}
