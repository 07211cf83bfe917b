//! The fault-injection reliability suite: the SDK against loopback servers (127.0.0.1 only) that
//! misbehave on purpose — every error status the reference documents, throttling, gateway errors,
//! connections reset or closed at each point of a response, truncated, malformed, empty, oversized
//! and stalled bodies, a failing DNS resolver, a refused connection — on an idempotent read
//! (`ShowJobStatus`, a GET) and on `RunJob` (a POST that starts a build).
//!
//! Every case asserts the typed outcome (kind, status, code, the `is_*` predicates, attempts) and
//! the exact number of requests the server saw: a read is resent where the retry matrix allows it
//! (`codearts::retry`), `RunJob` never once it may have reached the server. Waits between attempts
//! go through a recording `Sleep` that returns at once, so `Retry-After` is asserted exactly and
//! costs no time; stalls use real timeouts of 150–200 ms. The whole file runs in about a second.

mod support;

use codearts::build::{Client, types};
use codearts::region::Service;
use codearts::retry::RetryPolicy;
use codearts::{CallExt, Config, ConfigBuilder, Error, ErrorKind, Timeouts};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};
use support::RecordingSleep;
use support::loopback::{Reply, Server, refused_base};
use support::raw::{Scripted, Step};

const JOB: &str = "f9d6c8466d614a9788e9a0acf6c15f46";
const RECORD: &str = "2cc26382-b2cb-4234-8eb0-b37d362f4d4c";
/// Attempts per call in every case: a retried call is seen exactly this often.
const MAX_ATTEMPTS: u32 = 3;
/// A body far larger than any cap in this file; a capped read must stop well short of it.
const HUGE: u64 = 64 * 1024 * 1024;
const CAP: u64 = 64 * 1024;
const BAD_GATEWAY_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The two operations every fault is tried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// ShowJobStatus: a GET, idempotent, resent on transient failures.
    Get,
    /// RunJob: a POST that starts a build, never resent once it may have reached the server.
    Run,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Get => "ShowJobStatus",
            Op::Run => "RunJob",
        }
    }

    async fn call(self, client: &Client) -> Result<(), Error> {
        match self {
            Op::Get => client.show_job_status().job_id(JOB).call().await.map(|r| assert_eq!(r.result, Some(true))),
            Op::Run => {
                let body = types::RunJobRequestBody::builder().job_id(JOB);
                client
                    .run_job()
                    .body(body)
                    .call()
                    .await
                    .map(|r| assert_eq!(r.actual_build_number.as_deref(), Some("7")))
            }
        }
    }

    /// The 200 body the operation documents.
    fn ok(self) -> Reply {
        match self {
            Op::Get => Reply::json(200, json!({ "result": true })),
            Op::Run => Reply::json(200, json!({ "octopus_job_name": "job-7", "actual_build_number": "7" })),
        }
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: MAX_ATTEMPTS,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        total_budget: Duration::from_secs(60),
    }
}

/// Short enough that a hung case fails fast; the stall cases shorten them further.
fn timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), read: Duration::from_secs(5), attempt: Duration::from_secs(5) }
}

fn builder(base: &str) -> (ConfigBuilder, Arc<RecordingSleep>) {
    let sleep = Arc::new(RecordingSleep::default());
    let builder =
        Config::builder().endpoint(Service::Build, base).retry(policy()).timeouts(timeouts()).sleep(sleep.clone());
    (builder, sleep)
}

fn client_from(builder: ConfigBuilder) -> Client {
    Client::from_config(&builder.build().expect("a valid config")).expect("a client")
}

fn client(base: &str) -> (Client, Arc<RecordingSleep>) {
    let (builder, sleep) = builder(base);
    (client_from(builder), sleep)
}

/// The failure a case expects. Every predicate is asserted, so the defaults (`false`, one
/// attempt) are claims too.
#[derive(Debug, Clone)]
struct Want {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<&'static str>,
    retryable: bool,
    throttled: bool,
    not_found: bool,
    attempts: u32,
    /// A substring of the message.
    says: Option<&'static str>,
}

impl Want {
    fn kind(kind: ErrorKind) -> Want {
        Want {
            kind,
            status: None,
            code: None,
            retryable: false,
            throttled: false,
            not_found: false,
            attempts: 1,
            says: None,
        }
    }
    fn service(status: u16, code: Option<&'static str>) -> Want {
        Want { status: Some(status), code, ..Want::kind(ErrorKind::Service) }
    }
    fn retryable(self) -> Want {
        Want { retryable: true, ..self }
    }
    fn throttled(self) -> Want {
        Want { throttled: true, ..self }
    }
    fn not_found(self) -> Want {
        Want { not_found: true, ..self }
    }
    fn attempts(self, attempts: u32) -> Want {
        Want { attempts, ..self }
    }
    fn says(self, text: &'static str) -> Want {
        Want { says: Some(text), ..self }
    }
}

#[track_caller]
fn check(err: &Error, op: Op, want: &Want) {
    let got = (
        err.kind(),
        err.status(),
        err.code(),
        err.is_retryable(),
        err.is_throttled(),
        err.is_timeout(),
        err.is_not_found(),
        err.attempts(),
    );
    let expected = (
        want.kind,
        want.status,
        want.code,
        want.retryable,
        want.throttled,
        want.kind == ErrorKind::Timeout,
        want.not_found,
        want.attempts,
    );
    assert_eq!(got, expected, "(kind, status, code, retryable, throttled, timeout, not_found, attempts) of {err:?}");
    assert_eq!(err.operation(), Some(op.name()), "{err:?}");
    let line = err.to_string();
    assert!(line.starts_with(op.name()) && !line.contains('\n'), "one line naming the operation: {line}");
    if let Some(text) = want.says {
        assert!(err.message().is_some_and(|m| m.contains(text)), "`{text}` missing from {err:?}");
    }
}

/// Serves `reply` to every request and checks the call fails as `want` after exactly `requests`
/// requests and `waits` recorded waits.
async fn every_request_gets(op: Op, reply: Reply, want: Want, requests: usize, waits: usize) {
    let server = Server::start(move |_, _| reply.clone()).await;
    let (client, sleep) = client(&server.base);
    let err = op.call(&client).await.expect_err("the call fails");
    check(&err, op, &want);
    assert_eq!(server.count(), requests, "requests the server saw");
    assert_eq!(sleep.recorded().len(), waits, "waits between attempts: {:?}", sleep.recorded());
}

/// Runs `script` for every request and checks the call fails as `want` after exactly `requests`.
async fn every_connection_runs(op: Op, script: fn() -> Vec<Step>, timeouts: Timeouts, want: Want, requests: usize) {
    let server = Scripted::start(move |_| script()).await;
    let (builder, sleep) = builder(&server.base);
    let client = client_from(builder.timeouts(timeouts));
    let err = op.call(&client).await.expect_err("the call fails");
    check(&err, op, &want);
    assert_eq!(server.count(), requests, "requests the server saw");
    assert_eq!(sleep.recorded().len(), requests.saturating_sub(1), "one wait before each resend");
}

// ---------------------------------------------------------------------------------------------
// 1. The error statuses the reference documents for every operation: 400, 401, 403, 404, 500.
//    None is transient: each is answered once, on a read as on RunJob.
// ---------------------------------------------------------------------------------------------

fn bad_request() -> (Reply, Want) {
    (
        Reply::error(400, "CB.00060200", "Invalid parameter."),
        Want::service(400, Some("CB.00060200")).says("Invalid parameter."),
    )
}

/// 401 from the API gateway (no refreshable IAM token here: nothing to refresh and resend).
fn unauthorized() -> (Reply, Want) {
    (
        Reply::error(401, "APIGW.0301", "Incorrect IAM authentication information"),
        Want::service(401, Some("APIGW.0301")).says("Incorrect IAM authentication information"),
    )
}

/// 403: the reference documents no code for it; CodeArts answers `CB.00060200` with a reason.
fn forbidden() -> (Reply, Want) {
    (
        Reply::error(403, "CB.00060200", "No permission. Not a member of the project."),
        Want::service(403, Some("CB.00060200")).says("No permission."),
    )
}

fn not_found() -> (Reply, Want) {
    (Reply::error(404, "CB.00060214", "URL not found."), Want::service(404, Some("CB.00060214")).not_found())
}

/// 500 "Internal error." says nothing about being transient, and may well recur.
fn internal_error() -> (Reply, Want) {
    (
        Reply::error(500, "CB.00060101", "Internal error."),
        Want::service(500, Some("CB.00060101")).says("Internal error."),
    )
}

#[tokio::test]
async fn get_400_is_answered_once() {
    let (reply, want) = bad_request();
    every_request_gets(Op::Get, reply, want, 1, 0).await;
}

#[tokio::test]
async fn run_job_400_is_answered_once() {
    let (reply, want) = bad_request();
    every_request_gets(Op::Run, reply, want, 1, 0).await;
}

#[tokio::test]
async fn get_401_is_answered_once() {
    let (reply, want) = unauthorized();
    every_request_gets(Op::Get, reply, want, 1, 0).await;
}

#[tokio::test]
async fn run_job_401_is_answered_once() {
    let (reply, want) = unauthorized();
    every_request_gets(Op::Run, reply, want, 1, 0).await;
}

#[tokio::test]
async fn get_403_is_answered_once() {
    let (reply, want) = forbidden();
    every_request_gets(Op::Get, reply, want, 1, 0).await;
}

#[tokio::test]
async fn run_job_403_is_answered_once() {
    let (reply, want) = forbidden();
    every_request_gets(Op::Run, reply, want, 1, 0).await;
}

#[tokio::test]
async fn get_404_is_answered_once() {
    let (reply, want) = not_found();
    every_request_gets(Op::Get, reply, want, 1, 0).await;
}

#[tokio::test]
async fn run_job_404_is_answered_once() {
    let (reply, want) = not_found();
    every_request_gets(Op::Run, reply, want, 1, 0).await;
}

#[tokio::test]
async fn get_500_internal_error_is_answered_once() {
    let (reply, want) = internal_error();
    every_request_gets(Op::Get, reply, want, 1, 0).await;
}

#[tokio::test]
async fn run_job_500_internal_error_is_answered_once() {
    let (reply, want) = internal_error();
    every_request_gets(Op::Run, reply, want, 1, 0).await;
}

/// The one 500 the catalogue documents as transient ("Network busy. Try again later.").
#[tokio::test]
async fn get_500_network_busy_is_resent_up_to_max_attempts() {
    let reply = Reply::error(500, "CB.00060100", "Network busy. Try again later.");
    let want = Want::service(500, Some("CB.00060100")).retryable().attempts(MAX_ATTEMPTS);
    every_request_gets(Op::Get, reply, want, MAX_ATTEMPTS as usize, 2).await;
}

/// Transient, but RunJob reached the service: the caller decides (`is_retryable()` says it may help).
#[tokio::test]
async fn run_job_500_network_busy_is_sent_once() {
    let reply = Reply::error(500, "CB.00060100", "Network busy. Try again later.");
    every_request_gets(Op::Run, reply, Want::service(500, Some("CB.00060100")).retryable(), 1, 0).await;
}

// ---------------------------------------------------------------------------------------------
// 2. Throttling (429) and Retry-After
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_429_waits_retry_after_seconds_exactly_then_succeeds() {
    let server = Server::start(|_, n| {
        if n == 0 { Reply::error(429, "APIGW.0308", "throttled").header("Retry-After", "7") } else { Op::Get.ok() }
    })
    .await;
    let (client, sleep) = client(&server.base);
    Op::Get.call(&client).await.expect("the second attempt succeeds");
    assert_eq!(server.count(), 2);
    assert_eq!(sleep.recorded(), vec![Duration::from_secs(7)], "Retry-After replaces the backoff");
}

#[tokio::test]
async fn get_429_waits_until_a_retry_after_http_date_then_succeeds() {
    let server = Server::start(|_, n| {
        if n == 0 {
            let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
            Reply::error(429, "APIGW.0308", "throttled").header("Retry-After", &at)
        } else {
            Op::Get.ok()
        }
    })
    .await;
    let (client, sleep) = client(&server.base);
    Op::Get.call(&client).await.expect("the second attempt succeeds");
    assert_eq!(server.count(), 2);
    let waits = sleep.recorded();
    assert_eq!(waits.len(), 1);
    // An HTTP date has whole seconds: 30 s ahead is 29–30 s away when read.
    assert!((28..=30).contains(&waits[0].as_secs()), "waited {:?} for a date 30 s ahead", waits[0]);
}

#[tokio::test]
async fn get_429_every_time_is_resent_up_to_max_attempts_and_throttled() {
    let reply =
        Reply::error(429, "APIGW.0308", "The throttling threshold has been reached.").header("Retry-After", "1");
    let want = Want::service(429, Some("APIGW.0308")).retryable().throttled().attempts(MAX_ATTEMPTS);
    let server = Server::start(move |_, _| reply.clone()).await;
    let (client, sleep) = client(&server.base);
    check(&Op::Get.call(&client).await.unwrap_err(), Op::Get, &want);
    assert_eq!(server.count(), MAX_ATTEMPTS as usize);
    assert_eq!(sleep.recorded(), vec![Duration::from_secs(1); 2]);
}

/// A 429 is `Transient` in `codearts::retry`, and transient failures are resent only for
/// idempotent operations. The gateway probably refused RunJob before CodeArts saw it, but the
/// client cannot tell a gateway's 429 from one raised behind it, and a second build is worse than
/// an error the caller can act on: `is_throttled()` and `is_retryable()` tell it to try later.
#[tokio::test]
async fn run_job_429_is_not_resent() {
    let reply =
        Reply::error(429, "APIGW.0308", "The throttling threshold has been reached.").header("Retry-After", "1");
    every_request_gets(Op::Run, reply, Want::service(429, Some("APIGW.0308")).retryable().throttled(), 1, 0).await;
}

// ---------------------------------------------------------------------------------------------
// 3. Gateway errors: 502, 503, 504
// ---------------------------------------------------------------------------------------------

async fn gateway_error(op: Op, status: u16) {
    let reply = Reply::error(status, "APIGW.0500", "gateway trouble");
    let (requests, attempts) = if op == Op::Get { (MAX_ATTEMPTS as usize, MAX_ATTEMPTS) } else { (1, 1) };
    let want = Want::service(status, Some("APIGW.0500")).retryable().attempts(attempts);
    every_request_gets(op, reply, want, requests, requests - 1).await;
}

#[tokio::test]
async fn get_502_is_resent_up_to_max_attempts() {
    gateway_error(Op::Get, 502).await;
}

#[tokio::test]
async fn get_503_is_resent_up_to_max_attempts() {
    gateway_error(Op::Get, 503).await;
}

#[tokio::test]
async fn get_504_is_resent_up_to_max_attempts() {
    gateway_error(Op::Get, 504).await;
}

#[tokio::test]
async fn run_job_502_is_sent_once() {
    gateway_error(Op::Run, 502).await;
}

#[tokio::test]
async fn run_job_503_is_sent_once() {
    gateway_error(Op::Run, 503).await;
}

#[tokio::test]
async fn run_job_504_is_sent_once() {
    gateway_error(Op::Run, 504).await;
}

#[tokio::test]
async fn get_503_then_200_recovers_on_the_second_attempt() {
    let server =
        Server::start(|_, n| if n == 0 { Reply::error(503, "APIGW.0503", "unavailable") } else { Op::Get.ok() }).await;
    let (client, sleep) = client(&server.base);
    Op::Get.call(&client).await.expect("recovered");
    assert_eq!(server.count(), 2);
    let waits = sleep.recorded();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= Duration::from_millis(100), "full jitter under the first ceiling: {waits:?}");
}

// ---------------------------------------------------------------------------------------------
// 4. Broken connections: reset or closed before any response byte, reset after the head, a body
//    shorter than its Content-Length. The request was written each time: reads are resent,
//    RunJob is not.
// ---------------------------------------------------------------------------------------------

fn reset_at_once() -> Vec<Step> {
    vec![Step::Reset]
}

fn closed_at_once() -> Vec<Step> {
    vec![]
}

fn reset_after_head() -> Vec<Step> {
    vec![Step::head("200 OK", "Content-Type: application/json\r\nContent-Length: 64\r\n"), Step::Reset]
}

fn truncated_body() -> Vec<Step> {
    vec![
        Step::head("200 OK", "Content-Type: application/json\r\nContent-Length: 100\r\n"),
        Step::Write(br#"{"result":"#.to_vec()),
    ]
}

fn broken(op: Op) -> (Want, usize) {
    match op {
        Op::Get => (Want::kind(ErrorKind::Transport).retryable().attempts(MAX_ATTEMPTS), MAX_ATTEMPTS as usize),
        Op::Run => (Want::kind(ErrorKind::Transport).retryable(), 1),
    }
}

#[tokio::test]
async fn get_reset_before_any_response_byte_is_resent() {
    let (want, requests) = broken(Op::Get);
    every_connection_runs(Op::Get, reset_at_once, timeouts(), want, requests).await;
}

#[tokio::test]
async fn run_job_reset_before_any_response_byte_is_not_resent() {
    let (want, requests) = broken(Op::Run);
    every_connection_runs(Op::Run, reset_at_once, timeouts(), want, requests).await;
}

#[tokio::test]
async fn get_closed_before_any_response_byte_is_resent() {
    let (want, requests) = broken(Op::Get);
    every_connection_runs(Op::Get, closed_at_once, timeouts(), want, requests).await;
}

#[tokio::test]
async fn run_job_closed_before_any_response_byte_is_not_resent() {
    let (want, requests) = broken(Op::Run);
    every_connection_runs(Op::Run, closed_at_once, timeouts(), want, requests).await;
}

#[tokio::test]
async fn get_reset_after_the_response_head_is_resent() {
    let (want, requests) = broken(Op::Get);
    every_connection_runs(Op::Get, reset_after_head, timeouts(), want.says("reset by peer"), requests).await;
}

#[tokio::test]
async fn run_job_reset_after_the_response_head_is_not_resent() {
    let (want, requests) = broken(Op::Run);
    every_connection_runs(Op::Run, reset_after_head, timeouts(), want.says("reset by peer"), requests).await;
}

#[tokio::test]
async fn get_body_shorter_than_its_content_length_is_resent() {
    let (want, requests) = broken(Op::Get);
    // Said as what happened, not as reqwest's "error decoding response body" (the cause, "end of
    // file before message length reached", follows and is checked on RunJob below).
    every_connection_runs(Op::Get, truncated_body, timeouts(), want.says("the response body broke off"), requests)
        .await;
}

#[tokio::test]
async fn run_job_body_shorter_than_its_content_length_is_not_resent() {
    let (want, requests) = broken(Op::Run);
    every_connection_runs(
        Op::Run,
        truncated_body,
        timeouts(),
        want.says("end of file before message length reached"),
        requests,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// 5. Bodies that do not decode. A decode error is final: the same request gets the same answer.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_invalid_json_is_a_decode_error_sent_once() {
    let reply = Reply::new(200, "application/json", r#"{"result": tru"#);
    every_request_gets(Op::Get, reply, Want::kind(ErrorKind::Decode), 1, 0).await;
}

#[tokio::test]
async fn get_wrong_typed_json_names_the_json_path() {
    let server = Server::start(|_, _| {
        Reply::json(200, json!({ "history_records": [{ "record_id": "r1", "build_number": "seven" }], "total": 1 }))
    })
    .await;
    let (client, sleep) = client(&server.base);
    let err = client.show_list_history().job_id(JOB).interval(7).limit(10).offset(0).call().await.unwrap_err();
    assert_eq!((err.kind(), err.status(), err.attempts()), (ErrorKind::Decode, None, 1), "{err:?}");
    assert!(!err.is_retryable() && !err.is_timeout());
    assert_eq!(err.operation(), Some("ShowListHistory"));
    assert!(
        err.message().is_some_and(|m| m.contains("`history_records[0].build_number`")),
        "the path of the string where an integer belongs: {err:?}"
    );
    assert_eq!(server.count(), 1);
    assert!(sleep.recorded().is_empty());
}

/// A proxy's HTML page on a 502: a service error with a snippet of the page and no code; a 502 is
/// transient, so the read is resent.
#[tokio::test]
async fn get_html_502_gateway_page_is_resent_then_reported_with_a_snippet() {
    let want = Want::service(502, None).retryable().attempts(MAX_ATTEMPTS).says("502 Bad Gateway");
    every_request_gets(Op::Get, Reply::new(502, "text/html", BAD_GATEWAY_PAGE), want, MAX_ATTEMPTS as usize, 2).await;
}

#[tokio::test]
async fn run_job_html_502_gateway_page_is_sent_once() {
    let want = Want::service(502, None).retryable().says("502 Bad Gateway");
    every_request_gets(Op::Run, Reply::new(502, "text/html", BAD_GATEWAY_PAGE), want, 1, 0).await;
}

#[tokio::test]
async fn get_empty_200_is_a_decode_error_sent_once() {
    let want = Want::kind(ErrorKind::Decode).says("empty");
    every_request_gets(Op::Get, Reply::new(200, "application/json", ""), want, 1, 0).await;
}

// ---------------------------------------------------------------------------------------------
// 6. The response body cap (`ConfigBuilder::max_response_body`)
// ---------------------------------------------------------------------------------------------

/// Runs `script` with a 64 KiB cap; returns the error and the server, settled.
async fn capped(op: Op, script: fn() -> Vec<Step>) -> (Error, Scripted) {
    let server = Scripted::start(move |_| script()).await;
    let (builder, sleep) = builder(&server.base);
    let client = client_from(builder.max_response_body(CAP));
    let err = op.call(&client).await.expect_err("over the cap");
    assert!(sleep.recorded().is_empty(), "never retried");
    server.settled().await;
    (err, server)
}

fn huge_declared() -> Vec<Step> {
    vec![
        Step::head("200 OK", &format!("Content-Type: application/json\r\nContent-Length: {HUGE}\r\n")),
        Step::Body { prefix: b"{\"result\":\"", total: HUGE, chunked: false },
    ]
}

fn huge_chunked() -> Vec<Step> {
    vec![
        Step::head("200 OK", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"),
        Step::Body { prefix: b"{\"result\":\"", total: HUGE, chunked: true },
    ]
}

/// Refused on its Content-Length: the client never reads the body, and drops the connection.
#[tokio::test]
async fn get_body_declared_over_the_cap_is_refused_unread() {
    let (err, server) = capped(Op::Get, huge_declared).await;
    check(&err, Op::Get, &Want::kind(ErrorKind::Decode).says("declares 67108864 bytes, over the 64 KiB limit"));
    assert!(err.to_string().contains("max_response_body"), "names the setting: {err}");
    assert_eq!(server.count(), 1);
    assert!(server.body_bytes_sent() < HUGE, "the client hung up: {} of {HUGE} bytes sent", server.body_bytes_sent());
}

/// No Content-Length: counted as it arrives, and cut off once past the cap.
#[tokio::test]
async fn get_chunked_body_over_the_cap_is_cut_off() {
    let (err, server) = capped(Op::Get, huge_chunked).await;
    check(&err, Op::Get, &Want::kind(ErrorKind::Decode).says("exceeds the 64 KiB limit"));
    assert_eq!(server.count(), 1);
    assert!(server.body_bytes_sent() < HUGE, "the client hung up: {} of {HUGE} bytes sent", server.body_bytes_sent());
}

#[tokio::test]
async fn run_job_body_over_the_cap_is_not_resent() {
    let (err, server) = capped(Op::Run, huge_chunked).await;
    check(&err, Op::Run, &Want::kind(ErrorKind::Decode).says("exceeds the 64 KiB limit"));
    assert_eq!(server.count(), 1);
    assert!(server.body_bytes_sent() < HUGE, "{} of {HUGE} bytes sent", server.body_bytes_sent());
}

/// The cap is inclusive: a body of exactly the cap decodes, one byte less of cap refuses it.
#[tokio::test]
async fn a_body_exactly_at_the_cap_decodes() {
    let body = br#"{"result":true}"#;
    let server = Server::start(|_, _| Op::Get.ok()).await;
    for (cap, decodes) in [(body.len() as u64, true), (body.len() as u64 - 1, false)] {
        let (builder, _) = builder(&server.base);
        let client = client_from(builder.max_response_body(cap));
        match Op::Get.call(&client).await {
            Ok(()) => assert!(decodes, "cap {cap}"),
            Err(err) => {
                assert!(!decodes, "cap {cap}: {err:?}");
                check(&err, Op::Get, &Want::kind(ErrorKind::Decode).says("over the 14 bytes limit"));
            }
        }
    }
    assert_eq!(server.count(), 2);
}

/// A gateway's huge HTML error page: only its start is read (for the snippet), the connection
/// is dropped, and the 502 is still a transient service error that a read resends.
#[tokio::test]
async fn get_huge_html_error_page_is_read_only_in_part() {
    let server = Scripted::start(|_| {
        vec![
            Step::head("502 Bad Gateway", "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n"),
            Step::Body { prefix: b"<html><body><h1>502 Bad Gateway</h1>", total: HUGE, chunked: true },
        ]
    })
    .await;
    let (client, sleep) = client(&server.base); // the default 32 MiB cap: error bodies stop at 64 KiB
    let err = Op::Get.call(&client).await.unwrap_err();
    check(&err, Op::Get, &Want::service(502, None).retryable().attempts(MAX_ATTEMPTS).says("502 Bad Gateway"));
    assert_eq!(server.count(), MAX_ATTEMPTS as usize);
    assert_eq!(sleep.recorded().len(), 2);
    server.settled().await;
    let sent = server.body_bytes_sent();
    assert!(sent < u64::from(MAX_ATTEMPTS) * HUGE / 4, "{sent} bytes sent over {MAX_ATTEMPTS} attempts");
}

#[tokio::test]
async fn downloads_are_not_capped() {
    let log: Vec<u8> = (0..20_000u32).flat_map(|i| format!("[INFO] line {i}\n").into_bytes()).collect();
    assert!(log.len() as u64 > 4 * CAP);
    let body = log.clone();
    let server = Server::start(move |_, _| Reply::new(200, "application/octet-stream", body.clone())).await;
    let (builder, _) = builder(&server.base);
    let client = client_from(builder.max_response_body(CAP));
    let mut got = Vec::new();
    let n = codearts::logs::download_build_log(&client, RECORD, &mut got).await.expect("not capped");
    assert_eq!((n, got.len()), (log.len() as u64, log.len()));
    assert!(got == log);
    assert_eq!(server.count(), 1);
}

#[test]
fn a_zero_cap_is_refused_at_configuration() {
    let err =
        Config::builder().endpoint(Service::Build, "http://127.0.0.1:1").max_response_body(0).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("max_response_body"), "{err}");
    let config = Config::builder().endpoint(Service::Build, "http://127.0.0.1:1").build().unwrap();
    assert_eq!(config.max_response_body(), codearts::config::DEFAULT_MAX_RESPONSE_BODY);
}

// ---------------------------------------------------------------------------------------------
// 7. Stalls: the head arrives, then nothing. The attempt deadline (JSON calls) or the read
//    timeout (downloads) ends the wait; timeouts here are 150–200 ms.
// ---------------------------------------------------------------------------------------------

fn stall_after_head() -> Vec<Step> {
    vec![
        Step::head("200 OK", "Content-Type: application/json\r\nContent-Length: 100\r\n"),
        Step::Stall { at_most: Duration::from_secs(5) },
    ]
}

fn short_deadline() -> Timeouts {
    Timeouts { attempt: Duration::from_millis(150), ..timeouts() }
}

#[tokio::test]
async fn get_stalled_after_the_head_times_out_and_is_resent() {
    let want = Want::kind(ErrorKind::Timeout).retryable().attempts(MAX_ATTEMPTS);
    every_connection_runs(Op::Get, stall_after_head, short_deadline(), want, MAX_ATTEMPTS as usize).await;
}

#[tokio::test]
async fn run_job_stalled_after_the_head_times_out_once() {
    every_connection_runs(Op::Run, stall_after_head, short_deadline(), Want::kind(ErrorKind::Timeout).retryable(), 1)
        .await;
}

/// A download has no attempt deadline (it may take minutes) but the read timeout still bounds
/// silence: the bytes before the stall are delivered, then a typed timeout. Mid-stream nothing is
/// resent: the caller already holds part of the log.
#[tokio::test]
async fn download_stalled_mid_body_hits_the_read_timeout() {
    let server = Scripted::start(|_| {
        vec![
            Step::head("200 OK", "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n"),
            Step::Write(b"line 1\nline 2\n".to_vec()),
            Step::Stall { at_most: Duration::from_secs(5) },
        ]
    })
    .await;
    let (builder, sleep) = builder(&server.base);
    let timeouts = Timeouts { read: Duration::from_millis(200), attempt: Duration::from_millis(50), ..timeouts() };
    let client = client_from(builder.timeouts(timeouts));
    let mut got = Vec::new();
    let err = codearts::logs::download_build_log(&client, RECORD, &mut got).await.unwrap_err();
    assert_eq!(got, b"line 1\nline 2\n", "what arrived before the stall, and no attempt deadline cut it");
    assert_eq!((err.kind(), err.operation()), (ErrorKind::Timeout, Some("DownloadBuildLog")), "{err:?}");
    assert!(err.is_timeout() && err.is_retryable());
    assert_eq!(server.count(), 1);
    assert!(sleep.recorded().is_empty());
}

/// Before the head, the read timeout fails the attempt itself; a download is a GET: resent.
#[tokio::test]
async fn download_stalled_before_the_head_is_resent() {
    let server = Scripted::start(|_| vec![Step::Stall { at_most: Duration::from_secs(5) }]).await;
    let (builder, sleep) = builder(&server.base);
    let timeouts = Timeouts { read: Duration::from_millis(150), ..timeouts() };
    let client = client_from(builder.timeouts(timeouts));
    let err = match client.download_build_log().record_id(RECORD).call().await {
        Ok(_) => panic!("no head ever arrives"),
        Err(err) => err,
    };
    assert_eq!((err.kind(), err.operation(), err.attempts()), (ErrorKind::Timeout, Some("DownloadBuildLog"), 3));
    assert!(err.is_timeout() && err.is_retryable());
    assert_eq!(server.count(), MAX_ATTEMPTS as usize);
    assert_eq!(sleep.recorded().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 8. Nothing sent: DNS failure, refused connection, and plain http refused up front
// ---------------------------------------------------------------------------------------------

/// A resolver that counts its calls and either fails or answers 127.0.0.1:`port`.
#[derive(Debug, Clone)]
struct TestResolver {
    calls: Arc<AtomicUsize>,
    to_port: Option<u16>,
}

impl reqwest::dns::Resolve for TestResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (host, port) = (name.as_str().to_string(), self.to_port);
        Box::pin(async move {
            match port {
                Some(port) => Ok(Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], port)))) as _),
                None => Err(format!("test resolver: no such host {host}").into()),
            }
        })
    }
}

/// A caller's reqwest client resolving names with `resolver` (no proxy: the resolver must see them).
fn http_with(resolver: TestResolver) -> reqwest::Client {
    codearts::install_crypto_provider();
    reqwest::Client::builder()
        .dns_resolver(resolver)
        .no_proxy()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// The name never resolves, so the request provably never left: even RunJob is retried. A server
/// listens on the endpoint's port, to show that nothing reached it.
#[tokio::test]
async fn dns_failure_is_retried_as_never_sent_even_for_run_job() {
    let server = Server::start(|_, _| Op::Run.ok()).await;
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let http = http_with(TestResolver { calls: calls.clone(), to_port: None });
    let sleep = Arc::new(RecordingSleep::default());
    let config = Config::builder()
        .endpoint(Service::Build, format!("https://codearts-build.test.invalid:{port}"))
        .http_client(http)
        .retry(policy())
        .sleep(sleep.clone())
        .build()
        .unwrap();
    let client = Client::from_config(&config).unwrap();
    let err = Op::Run.call(&client).await.unwrap_err();
    check(
        &err,
        Op::Run,
        &Want::kind(ErrorKind::Transport)
            .retryable()
            .attempts(MAX_ATTEMPTS)
            .says("test resolver: no such host codearts-build.test.invalid"),
    );
    assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS as usize, "one lookup per attempt");
    assert_eq!(server.count(), 0, "nothing was sent");
    assert_eq!(sleep.recorded().len(), 2);
}

/// Plain http off loopback is refused when the configuration is built: no lookup, no request. The
/// same client with `allow_insecure_http(true)` does reach the server, so the refusal is what
/// stopped it.
#[tokio::test]
async fn plain_http_off_loopback_is_refused_before_any_request() {
    let server = Server::start(|_, _| Op::Get.ok()).await;
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let http = http_with(TestResolver { calls: calls.clone(), to_port: Some(port) });
    let endpoint = format!("http://codearts-build.test.invalid:{port}");

    let err = Config::builder().endpoint(Service::Build, &endpoint).http_client(http.clone()).build().unwrap_err();
    assert_eq!((err.kind(), err.status(), err.attempts()), (ErrorKind::InvalidInput, None, 0), "{err:?}");
    assert!(err.to_string().contains("https"), "says what to do: {err}");
    assert!(!err.is_retryable());
    assert_eq!((calls.load(Ordering::SeqCst), server.count()), (0, 0), "nothing looked up, nothing sent");

    let allowed = Config::builder()
        .endpoint(Service::Build, &endpoint)
        .http_client(http)
        .allow_insecure_http(true)
        .build()
        .unwrap();
    Op::Get.call(&Client::from_config(&allowed).unwrap()).await.expect("the control call gets through");
    assert_eq!((calls.load(Ordering::SeqCst), server.count()), (1, 1));
}

/// Nothing listens: the connection is refused, nothing was sent, so even RunJob is retried.
#[tokio::test]
async fn run_job_connection_refused_is_retried_as_never_sent() {
    let (client, sleep) = client(&refused_base());
    let err = Op::Run.call(&client).await.unwrap_err();
    check(&err, Op::Run, &Want::kind(ErrorKind::Transport).retryable().attempts(MAX_ATTEMPTS));
    assert_eq!(sleep.recorded().len(), 2);
}

#[tokio::test]
async fn get_connection_refused_is_retried_as_never_sent() {
    let (client, sleep) = client(&refused_base());
    let err = Op::Get.call(&client).await.unwrap_err();
    check(&err, Op::Get, &Want::kind(ErrorKind::Transport).retryable().attempts(MAX_ATTEMPTS));
    assert_eq!(sleep.recorded().len(), 2);
}
