//! The runtime against loopback servers (127.0.0.1 only): retries and their safety, `Retry-After`,
//! broken connections, IAM tokens and AK/SK signing, the unified error, timeouts, per-call options,
//! secrets in traces, and configuration.
//!
//! Waits between attempts go through a recording [`Sleep`] that returns at once, so backoff and
//! `Retry-After` are asserted exactly and never cost wall-clock time.

mod support;
use support::loopback;

use codearts::auth::AkSk;
use codearts::auth::signer::canonical_request;
use codearts::build::{Client, types};
use codearts::credentials::{Chain, Credentials};
use codearts::region::Service;
use codearts::retry::RetryPolicy;
use codearts::{CallExt, CallOptions, Config, ConfigBuilder, Error, ErrorKind, Timeouts};
use futures::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use loopback::{Misbehave, RawServer, Recorded, Reply, Server, refused_base};
use secrecy::SecretString;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use support::RecordingSleep;

const JOB: &str = "f9d6c8466d614a9788e9a0acf6c15f46";
const RECORD: &str = "2cc26382-b2cb-4234-8eb0-b37d362f4d4c";
const REGION: &str = "eu-west-101";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `max_attempts` attempts, 100 ms initial and 1 s maximum backoff, 60 s budget.
fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
        total_budget: Duration::from_secs(60),
    }
}

/// A config builder for a Build endpoint at `base` with `retry` and a recording sleep.
fn builder(base: &str, retry: RetryPolicy) -> (ConfigBuilder, Arc<RecordingSleep>) {
    let sleep = Arc::new(RecordingSleep::default());
    let builder = Config::builder().endpoint(Service::Build, base).retry(retry).sleep(sleep.clone());
    (builder, sleep)
}

fn new_client(base: &str, retry: RetryPolicy) -> (Client, Arc<RecordingSleep>) {
    let (builder, sleep) = builder(base, retry);
    (Client::from_config(&builder.build().unwrap()).unwrap(), sleep)
}

fn status_ok() -> Reply {
    Reply::json(200, json!({ "result": true }))
}

fn run_ok() -> Reply {
    Reply::json(
        200,
        json!({ "octopus_job_name": "job-7", "actual_build_number": "7", "daily_build_number": "20240101.1" }),
    )
}

/// `first` for the first request, `then` for every later one.
fn first_then(first: Reply, then: Reply) -> impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static {
    move |_, n| if n == 0 { first.clone() } else { then.clone() }
}

async fn show_status(client: &Client) -> Result<types::ShowJobStatusResponse, Error> {
    client.show_job_status().job_id(JOB).call().await
}

fn run_body() -> types::builder::RunJobRequestBody {
    types::RunJobRequestBody::builder().job_id(JOB)
}

async fn run_job(client: &Client) -> Result<types::RunJobResponse, Error> {
    client.run_job().body(run_body()).call().await
}

// ---------------------------------------------------------------------------------------------
// 1. The retry matrix
// ---------------------------------------------------------------------------------------------

/// 429, 502, 503 and 504 are retried for an idempotent GET, never for RunJob (which starts a build).
#[tokio::test]
async fn throttling_and_gateway_statuses_retry_reads_but_never_run_job() {
    for status in [429u16, 502, 503, 504] {
        let first = Reply::error(status, "APIGW.0308", "try again");

        let server = Server::start(first_then(first.clone(), status_ok())).await;
        let (client, sleep) = new_client(&server.base, policy(3));
        let ok = show_status(&client).await.unwrap_or_else(|e| panic!("GET after {status}: {e}"));
        assert_eq!(ok.result, Some(true));
        assert_eq!(server.count(), 2, "GET after {status}: one retry");
        assert_eq!(sleep.recorded().len(), 1, "GET after {status}: one wait");

        let server = Server::start(first_then(first, run_ok())).await;
        let (client, sleep) = new_client(&server.base, policy(3));
        let err = run_job(&client).await.expect_err("RunJob is not resent");
        assert_eq!(server.count(), 1, "RunJob after {status}: sent exactly once");
        assert_eq!(err.kind(), ErrorKind::Service);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.attempts(), 1);
        assert_eq!(err.operation(), Some("RunJob"));
        assert!(sleep.recorded().is_empty());
    }
}

/// A 500 with the reference's "network busy" code is transient: GET retries it, RunJob does not.
#[tokio::test]
async fn network_busy_500_retries_reads_only() {
    let busy = Reply::error(500, "CB.00060100", "Network busy. Try again later.");

    let server = Server::start(first_then(busy.clone(), status_ok())).await;
    let (client, _) = new_client(&server.base, policy(3));
    assert_eq!(show_status(&client).await.unwrap().result, Some(true));
    assert_eq!(server.count(), 2);

    let server = Server::start(first_then(busy, run_ok())).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = run_job(&client).await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!((err.status(), err.code()), (Some(500), Some("CB.00060100")));
}

/// Other 500s and client errors are final for every operation; the error still carries the body
/// the retry logic had to read (its code and message).
#[tokio::test]
async fn permanent_failures_are_sent_once() {
    let cases = [
        (500u16, "CB.00060101", "Internal error."),
        (400, "CB.00060001", "Invalid parameter."),
        (403, "CB.00060200", "No permission."),
        (404, "CB.00060214", "URL not found."),
    ];
    for (status, code, message) in cases {
        let failure = Reply::error(status, code, message);

        let server = Server::start(first_then(failure.clone(), status_ok())).await;
        let (client, sleep) = new_client(&server.base, policy(3));
        let err = show_status(&client).await.expect_err("not retried");
        assert_eq!(server.count(), 1, "GET {status} {code}");
        assert_eq!((err.status(), err.code(), err.message()), (Some(status), Some(code), Some(message)));
        assert_eq!(err.attempts(), 1);
        assert!(sleep.recorded().is_empty());

        let server = Server::start(first_then(failure, run_ok())).await;
        let (client, _) = new_client(&server.base, policy(3));
        let err = run_job(&client).await.expect_err("not retried");
        assert_eq!(server.count(), 1, "RunJob {status} {code}");
        assert_eq!((err.status(), err.code()), (Some(status), Some(code)));
    }
}

#[tokio::test]
async fn max_attempts_bounds_the_retries() {
    let server = Server::start(|_, _| Reply::error(503, "APIGW.0503", "unavailable")).await;
    let (client, sleep) = new_client(&server.base, policy(4));
    let err = show_status(&client).await.unwrap_err();
    assert_eq!(server.count(), 4);
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.status(), Some(503));
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
    let waits = sleep.recorded();
    assert_eq!(waits.len(), 3);
    // Capped exponential backoff with full jitter: ceilings 100 ms, 200 ms, 400 ms.
    for (i, wait) in waits.iter().enumerate() {
        let ceiling = Duration::from_millis(100) * (1 << i);
        assert!(*wait <= ceiling, "wait {i}: {wait:?} > {ceiling:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Retry-After
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_after_seconds_replace_the_backoff() {
    let server = Server::start(first_then(
        Reply::error(429, "CB.00060211", "Too many requests").header("Retry-After", "7"),
        status_ok(),
    ))
    .await;
    let (client, sleep) = new_client(&server.base, policy(3));
    show_status(&client).await.unwrap();
    assert_eq!(server.count(), 2);
    assert_eq!(sleep.recorded(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    let server =
        Server::start(first_then(Reply::error(503, "APIGW.0503", "later").header("Retry-After", &at), status_ok()))
            .await;
    let (client, sleep) = new_client(&server.base, policy(3));
    show_status(&client).await.unwrap();
    assert_eq!(server.count(), 2);
    let waits = sleep.recorded();
    assert_eq!(waits.len(), 1);
    let secs = waits[0].as_secs_f64();
    assert!((28.0..=32.0).contains(&secs), "waited {secs} s for a date 30 s ahead");
}

#[tokio::test]
async fn without_retry_after_the_wait_is_the_jittered_backoff() {
    let server = Server::start(first_then(Reply::error(503, "APIGW.0503", "later"), status_ok())).await;
    let retry =
        RetryPolicy { initial_backoff: Duration::from_millis(300), max_backoff: Duration::from_secs(2), ..policy(3) };
    let (client, sleep) = new_client(&server.base, retry);
    show_status(&client).await.unwrap();
    let waits = sleep.recorded();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= Duration::from_millis(300), "{:?} exceeds the first backoff ceiling", waits[0]);
}

#[tokio::test]
async fn retry_after_beyond_the_budget_is_not_waited_for() {
    let server =
        Server::start(first_then(Reply::error(503, "APIGW.0503", "later").header("Retry-After", "120"), status_ok()))
            .await;
    let (client, sleep) = new_client(&server.base, policy(3)); // 60 s budget
    let err = show_status(&client).await.unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(err.status(), Some(503));
    assert!(sleep.recorded().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3, 4. Broken and refused connections
// ---------------------------------------------------------------------------------------------

const TRUNCATED: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"octo";

#[tokio::test]
async fn run_job_is_sent_once_when_the_response_breaks_off() {
    let server = RawServer::start(Misbehave::WriteThenClose(TRUNCATED)).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = run_job(&client).await.expect_err("the body broke off");
    assert!(matches!(err.kind(), ErrorKind::Transport | ErrorKind::Decode), "{err:?}");
    assert_eq!(server.count(), 1, "RunJob may have started a build: never resent");
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn a_read_is_retried_when_the_response_breaks_off() {
    let server = RawServer::start(Misbehave::WriteThenClose(TRUNCATED)).await;
    let (client, sleep) = new_client(&server.base, policy(3));
    let err = show_status(&client).await.expect_err("every attempt breaks off");
    assert!(matches!(err.kind(), ErrorKind::Transport | ErrorKind::Decode), "{err:?}");
    assert_eq!(server.count(), 3, "an idempotent read is resent");
    assert_eq!(err.attempts(), 3);
    assert_eq!(sleep.recorded().len(), 2);
}

#[tokio::test]
async fn a_reset_before_any_response_byte_resends_reads_only() {
    let server = RawServer::start(Misbehave::Reset).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = run_job(&client).await.expect_err("reset");
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert_eq!(server.count(), 1, "the request was written: RunJob is not resent");
    assert_eq!(err.attempts(), 1);

    let server = RawServer::start(Misbehave::Reset).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = show_status(&client).await.expect_err("reset");
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert_eq!(server.count(), 3);
    assert_eq!(err.attempts(), 3);
}

/// Nothing was sent when the connection was refused, so even RunJob is retried.
#[tokio::test]
async fn refused_connections_are_retried_for_every_operation() {
    let base = refused_base();
    let (client, sleep) = new_client(&base, policy(3));
    let err = run_job(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.operation(), Some("RunJob"));
    assert_eq!(sleep.recorded().len(), 2);

    let err = show_status(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.attempts(), 3);
}

// ---------------------------------------------------------------------------------------------
// 5. IAM tokens
// ---------------------------------------------------------------------------------------------

/// A mock IAM and Build service on one port. Logins issue `<prefix>-1`, `<prefix>-2`, … valid for an
/// hour; `service` answers the Build requests.
struct Cloud {
    server: Server,
    logins: Arc<AtomicUsize>,
}

impl Cloud {
    async fn start(
        token_prefix: &'static str,
        login_delay: Duration,
        service: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Cloud {
        let logins = Arc::new(AtomicUsize::new(0));
        let counter = logins.clone();
        let server = Server::start(move |req, _| match req.path.as_str() {
            "/v3/auth/tokens" => {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
                let expires = expires.format(&time::format_description::well_known::Rfc3339).unwrap();
                Reply::json(201, json!({ "token": { "expires_at": expires } }))
                    .header("X-Subject-Token", &format!("{token_prefix}-{n}"))
                    .delay(login_delay)
            }
            "/v3/projects" => Reply::json(200, json!({ "projects": [{ "id": "proj-eu", "name": REGION }] })),
            _ => service(req),
        })
        .await;
        Cloud { server, logins }
    }

    fn password_config(&self, password: &str) -> Config {
        Config::builder()
            .region(REGION)
            .endpoint(Service::Build, &self.server.base)
            .endpoint(Service::Iam, &self.server.base)
            .credentials(Credentials::Password {
                domain: "acme".into(),
                user: "ci-bot".into(),
                password: SecretString::from(password.to_string()),
            })
            .retry(policy(3))
            .sleep(Arc::new(RecordingSleep::default()))
            .build()
            .unwrap()
    }

    fn service_requests(&self) -> Vec<Recorded> {
        self.server.requests_to("/v3/jobs")
    }

    fn iam_requests(&self) -> usize {
        self.server.requests().iter().filter(|r| r.path.starts_with("/v3/auth") || r.path == "/v3/projects").count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_login_is_single_flight_under_200_concurrent_calls() {
    // The login takes a while, so all 200 calls find the cache cold and wait on the same login.
    let cloud = Cloud::start("tok", Duration::from_millis(150), |_| status_ok()).await;
    let client = Client::from_config(&cloud.password_config("pw")).unwrap();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { show_status(&client).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("every call succeeds");
    }
    assert_eq!(cloud.logins.load(Ordering::SeqCst), 1, "exactly one IAM login");
    assert_eq!(cloud.iam_requests(), 1);
    let requests = cloud.service_requests();
    assert_eq!(requests.len(), 200);
    assert!(requests.iter().all(|r| r.header("x-auth-token") == Some("tok-1")));

    // The login is the project-scoped password body of section 3.1.
    let login = &cloud.server.requests_to("/v3/auth/tokens")[0];
    assert_eq!(login.method, "POST");
    let body: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
    assert_eq!(body["auth"]["identity"]["methods"], json!(["password"]));
    assert_eq!(body["auth"]["identity"]["password"]["user"]["name"], "ci-bot");
    assert_eq!(body["auth"]["identity"]["password"]["user"]["password"], "pw");
    assert_eq!(body["auth"]["identity"]["password"]["user"]["domain"]["name"], "acme");
    assert_eq!(body["auth"]["scope"]["project"]["name"], REGION);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_resends() {
    // The first token is rejected as expired, the next accepted.
    let cloud = Cloud::start("tok", Duration::ZERO, |req| match req.header("x-auth-token") {
        Some("tok-1") => Reply::error(401, "APIGW.0307", "The token has expired."),
        _ => status_ok(),
    })
    .await;
    let client = Client::from_config(&cloud.password_config("pw")).unwrap();
    assert_eq!(show_status(&client).await.unwrap().result, Some(true));
    assert_eq!(cloud.logins.load(Ordering::SeqCst), 2, "one login, one refresh");
    let tokens: Vec<_> =
        cloud.service_requests().iter().map(|r| r.header("x-auth-token").unwrap_or_default().to_string()).collect();
    assert_eq!(tokens, ["tok-1", "tok-2"]);

    // The refreshed token is cached: the next call needs no login.
    show_status(&client).await.unwrap();
    assert_eq!(cloud.logins.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_second_401_is_returned_not_looped_on() {
    let cloud = Cloud::start("tok", Duration::ZERO, |_| {
        Reply::error(401, "APIGW.0301", "Incorrect IAM authentication information.")
    })
    .await;
    let client = Client::from_config(&cloud.password_config("pw")).unwrap();
    let err = show_status(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("APIGW.0301"));
    assert_eq!(cloud.logins.load(Ordering::SeqCst), 2, "one login and one refresh, no more");
    assert_eq!(cloud.service_requests().len(), 2);
}

#[tokio::test]
async fn a_static_token_is_sent_as_is_and_never_refreshed() {
    let cloud = Cloud::start("never", Duration::ZERO, |req| match req.path.ends_with("/status") {
        true => status_ok(),
        false => Reply::error(401, "APIGW.0307", "The token has expired."),
    })
    .await;
    let config = Config::builder()
        .region(REGION)
        .endpoint(Service::Build, &cloud.server.base)
        .endpoint(Service::Iam, &cloud.server.base)
        .credentials(Credentials::Token(SecretString::from("static-token-1")))
        .sleep(Arc::new(RecordingSleep::default()))
        .build()
        .unwrap();
    let client = Client::from_config(&config).unwrap();
    show_status(&client).await.unwrap();
    assert_eq!(cloud.service_requests()[0].header("x-auth-token"), Some("static-token-1"));

    // RunJob's path (/v3/jobs/build) answers 401: nothing to refresh, so it is the answer.
    let err = run_job(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(cloud.service_requests().len(), 2);
    assert_eq!(cloud.iam_requests(), 0, "a static token needs no IAM");
    assert_eq!(cloud.logins.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------------------------
// 6. AK/SK
// ---------------------------------------------------------------------------------------------

/// Checks `req`'s `SDK-HMAC-SHA256` signature by recomputing it from what the server received
/// (method, path, query, the headers it names, body), signed with `sk`.
fn verify_signature(req: &Recorded, base: &str, ak: &str, sk: &str) {
    let authorization = req.header("authorization").expect("an Authorization header");
    let rest = authorization.strip_prefix("SDK-HMAC-SHA256 ").unwrap_or_else(|| panic!("{authorization}"));
    let mut access = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(", ") {
        match part.split_once('=') {
            Some(("Access", v)) => access = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => panic!("unexpected part `{part}` in {authorization}"),
        }
    }
    assert_eq!(access, Some(ak));
    let signed: Vec<String> = signed.expect("SignedHeaders").split(';').map(str::to_string).collect();
    assert!(signed.iter().any(|h| h == "x-sdk-date"), "X-Sdk-Date is signed: {signed:?}");
    assert!(signed.iter().any(|h| h == "host"), "Host is signed: {signed:?}");
    let date = req.header("x-sdk-date").expect("X-Sdk-Date");
    let query = req.query.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
    let url = url::Url::parse(&format!("{base}{}{query}", req.path)).unwrap();
    let canonical = canonical_request(req.method.as_str(), &url, &req.headers, &signed, &req.body);
    let string_to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(sk.as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    assert_eq!(signature, Some(expected.as_str()), "signature of {} {}", req.method, req.path);
}

const AK: &str = "AKTESTACCESSKEY";
const SK: &str = "sk-test-secret";

#[tokio::test]
async fn aksk_requests_are_signed_and_the_project_id_is_resolved_once() {
    let cloud = Cloud::start("unused", Duration::ZERO, |req| match req.path.ends_with("/status") {
        true => status_ok(),
        false => run_ok(),
    })
    .await;
    let config = Config::builder()
        .region(REGION)
        .endpoint(Service::Build, &cloud.server.base)
        .endpoint(Service::Iam, &cloud.server.base)
        .credentials(Credentials::AkSk(AkSk::new(AK, SK)))
        .sleep(Arc::new(RecordingSleep::default()))
        .build()
        .unwrap();
    let client = Client::from_config(&config).unwrap();
    show_status(&client).await.unwrap();
    run_job(&client).await.unwrap();

    let all = cloud.server.requests();
    assert_eq!(all.len(), 3);
    let lookup = &all[0];
    assert_eq!((lookup.method.as_str(), lookup.path.as_str()), ("GET", "/v3/projects"));
    assert_eq!(lookup.query.as_deref(), Some("name=eu-west-101"));
    verify_signature(lookup, &cloud.server.base, AK, SK);
    assert_eq!(cloud.iam_requests(), 1, "the project id is cached");
    for req in &all[1..] {
        assert!(req.header("authorization").unwrap().starts_with(&format!("SDK-HMAC-SHA256 Access={AK}, ")));
        assert!(req.header("x-sdk-date").is_some());
        assert_eq!(req.header("x-project-id"), Some("proj-eu"));
        assert!(req.header("x-auth-token").is_none());
        verify_signature(req, &cloud.server.base, AK, SK);
    }
    // The POST's signature covers its JSON body.
    assert_eq!(all[2].path, "/v3/jobs/build");
    assert!(!all[2].body.is_empty());
}

#[tokio::test]
async fn a_configured_project_id_needs_no_iam_and_temporary_credentials_sign_their_token() {
    let cloud = Cloud::start("unused", Duration::ZERO, |_| status_ok()).await;
    let config = Config::builder()
        .region(REGION)
        .endpoint(Service::Build, &cloud.server.base)
        .endpoint(Service::Iam, &cloud.server.base)
        .credentials(Credentials::AkSk(AkSk::new(AK, SK).with_security_token("temporary-token")))
        .iam_project_id("p1")
        .build()
        .unwrap();
    let client = Client::from_config(&config).unwrap();
    show_status(&client).await.unwrap();
    show_status(&client).await.unwrap();
    assert_eq!(cloud.iam_requests(), 0);
    let requests = cloud.service_requests();
    assert_eq!(requests.len(), 2);
    for req in &requests {
        assert_eq!(req.header("x-project-id"), Some("p1"));
        assert_eq!(req.header("x-security-token"), Some("temporary-token"));
        assert!(req.header("authorization").unwrap().contains("x-security-token"), "the token is signed");
        verify_signature(req, &cloud.server.base, AK, SK);
    }
}

/// Each attempt is signed when it is sent: after a 503 that took over a second, the resent GET
/// carries a later `X-Sdk-Date` (second resolution) and a valid signature for it.
#[tokio::test]
async fn a_retried_request_is_signed_afresh() {
    let server = Server::start(first_then(
        Reply::error(503, "APIGW.0503", "later").delay(Duration::from_millis(1100)),
        status_ok(),
    ))
    .await;
    let (builder, _) = builder(&server.base, policy(3));
    let config = builder.credentials(Credentials::AkSk(AkSk::new(AK, SK))).iam_project_id("p1").build().unwrap();
    let client = Client::from_config(&config).unwrap();
    show_status(&client).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for req in &requests {
        verify_signature(req, &server.base, AK, SK);
    }
    assert!(
        requests[1].header("x-sdk-date") > requests[0].header("x-sdk-date"),
        "{:?} then {:?}",
        requests[0].header("x-sdk-date"),
        requests[1].header("x-sdk-date")
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_service_error_names_everything_in_one_line() {
    let server =
        Server::start(|_, _| Reply::error(404, "CB.00060214", "URL not found.").header("X-Request-Id", "req-4f2a"))
            .await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = show_status(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.operation(), Some("ShowJobStatus"));
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("CB.00060214"));
    assert_eq!(err.message(), Some("URL not found."));
    assert_eq!(err.request_id(), Some("req-4f2a"));
    assert!(err.is_not_found());
    assert!(!err.is_throttled() && !err.is_timeout() && !err.is_retryable());
    let line = err.to_string();
    assert!(!line.contains('\n'), "{line}");
    for part in ["ShowJobStatus", "404", "CB.00060214", "URL not found.", "req-4f2a"] {
        assert!(line.contains(part), "`{part}` missing from `{line}`");
    }
}

#[tokio::test]
async fn throttling_is_recognised() {
    let server =
        Server::start(|_, _| Reply::error(429, "APIGW.0308", "The throttling threshold has been reached.")).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = client
        .show_job_status()
        .job_id(JOB)
        .call_with(CallOptions { retry: Some(RetryPolicy::none()) })
        .await
        .unwrap_err();
    assert!(err.is_throttled() && err.is_retryable(), "{err:?}");
    assert!(!err.is_not_found());
}

#[tokio::test]
async fn the_attempt_deadline_is_a_timeout() {
    let server = Server::start(|_, _| status_ok().delay(Duration::from_secs(2))).await;
    let (builder, _) = builder(&server.base, RetryPolicy::none());
    let timeouts = Timeouts { attempt: Duration::from_millis(200), ..Timeouts::default() };
    let client = Client::from_config(&builder.timeouts(timeouts).build().unwrap()).unwrap();
    let err = show_status(&client).await.expect_err("the server answers after the deadline");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_timeout() && err.is_retryable());
    assert_eq!(err.status(), None);
    assert_eq!(err.operation(), Some("ShowJobStatus"));
}

#[tokio::test]
async fn an_html_gateway_page_gives_a_snippet() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
    let server = Server::start(move |_, _| Reply::new(502, "text/html", page)).await;
    let (client, _) = new_client(&server.base, RetryPolicy::none());
    let err = show_status(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.code(), None);
    assert!(err.message().is_some_and(|m| m.contains("502 Bad Gateway")), "{err:?}");
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error() {
    let server = Server::start(|_, _| Reply::new(200, "application/json", "")).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = show_status(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert_eq!(server.count(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn a_decode_error_names_the_json_path() {
    let server = Server::start(|_, _| Reply::json(200, json!({ "history_records": [], "total": "12" }))).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = client.show_list_history().job_id(JOB).interval(7).limit(10).offset(0).call().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert_eq!(err.operation(), Some("ShowListHistory"));
    assert!(err.message().is_some_and(|m| m.contains("`total`")), "{err:?}");
}

/// Whatever an error body looks like — another JSON shape, another field naming, plain text, nothing
/// — on a documented or an undocumented status, the error is a service error with its status and
/// whatever code and message the tolerant parser finds.
#[tokio::test]
async fn unknown_error_shapes_are_still_service_errors() {
    struct Case {
        reply: Reply,
        status: u16,
        code: Option<&'static str>,
        message: Option<&'static str>,
    }
    let cases = [
        // Undocumented status, unknown JSON shape.
        Case { reply: Reply::json(418, json!({ "fault": { "detail": 1 } })), status: 418, code: None, message: None },
        // Documented status, unknown JSON shape.
        Case { reply: Reply::json(400, json!({ "fault": { "detail": 1 } })), status: 400, code: None, message: None },
        // Documented status, the camelCase shape.
        Case {
            reply: Reply::json(400, json!({ "errorCode": "CB.00060001", "errorMsg": "Invalid parameter." })),
            status: 400,
            code: Some("CB.00060001"),
            message: Some("Invalid parameter."),
        },
        // Documented status, the API gateway's shape with a request id in the body.
        Case {
            reply: Reply::json(
                403,
                json!({ "error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information", "request_id": "gw-1" }),
            ),
            status: 403,
            code: Some("APIGW.0301"),
            message: Some("Incorrect IAM authentication information"),
        },
        // Documented status, plain text.
        Case {
            reply: Reply::new(500, "text/plain", "upstream exploded"),
            status: 500,
            code: None,
            message: Some("upstream exploded"),
        },
        // Documented status, no body at all.
        Case { reply: Reply::new(403, "text/plain", ""), status: 403, code: None, message: None },
    ];
    for case in cases {
        let reply = case.reply.clone();
        let server = Server::start(move |_, _| reply.clone()).await;
        let (client, _) = new_client(&server.base, RetryPolicy::none());
        let err = show_status(&client).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Service, "{:?}: {err:?}", case.reply);
        assert_eq!(err.status(), Some(case.status), "{err:?}");
        assert_eq!(err.code(), case.code, "{err:?}");
        if let Some(message) = case.message {
            assert!(err.message().is_some_and(|m| m.contains(message)), "{err:?}");
        }
        assert_eq!(err.operation(), Some("ShowJobStatus"));
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Downloads have no attempt deadline
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn downloads_outlive_the_attempt_deadline_that_json_calls_obey() {
    let every = Duration::from_millis(150);
    let server = Server::start(move |req, _| {
        if req.path.ends_with("/download-log") {
            Reply::new(200, "application/octet-stream", "")
                .trickle(&[b"line 1\n", b"line 2\n", b"line 3\n", b"line 4\n"], every)
        } else {
            Reply::new(200, "application/json", "").trickle(&[b"{\"result\"", b":", b"true", b"}"], every)
        }
    })
    .await;
    let (builder, _) = builder(&server.base, RetryPolicy::none());
    let timeouts = Timeouts { attempt: Duration::from_millis(200), ..Timeouts::default() };
    let client = Client::from_config(&builder.timeouts(timeouts).build().unwrap()).unwrap();

    let mut log = client.download_build_log().record_id(RECORD).call().await.expect("the download starts");
    let mut text = Vec::new();
    while let Some(chunk) = log.next().await {
        text.extend_from_slice(&chunk.expect("no deadline cuts the download"));
    }
    assert_eq!(text, b"line 1\nline 2\nline 3\nline 4\n");

    let err = show_status(&client).await.expect_err("a JSON call is bounded by the attempt deadline");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// 9. Per-call options
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_per_call_retry_policy_replaces_the_clients() {
    let server = Server::start(|_, _| Reply::error(503, "APIGW.0503", "unavailable")).await;
    let (client, _) = new_client(&server.base, policy(3));
    let err = client
        .show_job_status()
        .job_id(JOB)
        .call_with(CallOptions { retry: Some(RetryPolicy::none()) })
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(err.attempts(), 1);

    // The client's own policy is untouched.
    show_status(&client).await.unwrap_err();
    assert_eq!(server.count(), 1 + 3);

    let err = client.show_job_status().job_id(JOB).call_with(CallOptions { retry: Some(policy(5)) }).await.unwrap_err();
    assert_eq!(err.attempts(), 5);
    assert_eq!(server.count(), 1 + 3 + 5);
}

// ---------------------------------------------------------------------------------------------
// 10. Secrets never leak
// ---------------------------------------------------------------------------------------------

/// A thread-safe buffer the fmt subscriber writes into.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const SECRET_SK: &str = "sk-SECRET-7f3a9c1e";
const SECRET_SECURITY_TOKEN: &str = "sectok-SECRET-41d2";
const SECRET_IAM_TOKEN: &str = "iamtok-SECRET-9b8e";
const SECRET_PASSWORD: &str = "pw-SECRET-c0ffee";
const SECRET_STATIC_TOKEN: &str = "static-SECRET-5e5e";
const SECRETS: [&str; 5] = [SECRET_SK, SECRET_SECURITY_TOKEN, SECRET_IAM_TOKEN, SECRET_PASSWORD, SECRET_STATIC_TOKEN];

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} contains the secret `{secret}`:\n{text}");
    }
}

/// Signed, token and password calls, successful, retried and failing, with TRACE output captured
/// (current-thread runtime: the scoped subscriber sees every task). No secret appears in the output,
/// in any config's `Debug`, or in any error's `Display` or `Debug`.
#[tokio::test]
async fn secrets_appear_in_no_trace_config_or_error() {
    // tracing caches, per callsite and process-wide, whether any subscriber is interested. With a
    // single scoped subscriber registered, a callsite first hit by a test running in parallel on
    // another thread (without one) is cached as uninteresting, and this subscriber would never see
    // it. A second registered dispatcher makes tracing ask every live subscriber instead.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);

    let mut configs = Vec::new();
    let mut errors = Vec::new();

    // The service: 503 once (a retry), then 200 for reads; 404 for RunJob; 401 for the first IAM
    // token (a refresh).
    let retried = Arc::new(AtomicUsize::new(0));
    let cloud = Cloud::start(SECRET_IAM_TOKEN, Duration::ZERO, move |req| {
        if req.header("x-auth-token") == Some(&format!("{SECRET_IAM_TOKEN}-1")) {
            return Reply::error(401, "APIGW.0307", "The token has expired.");
        }
        if req.path.ends_with("/build") {
            return Reply::error(404, "CB.00060214", "URL not found.").header("X-Request-Id", "req-1");
        }
        match retried.fetch_add(1, Ordering::SeqCst) % 2 {
            0 => Reply::error(503, "APIGW.0503", "unavailable"),
            _ => status_ok(),
        }
    })
    .await;
    let base = cloud.server.base.clone();
    let cloud_config = |credentials: Credentials| {
        Config::builder()
            .region(REGION)
            .endpoint(Service::Build, &base)
            .endpoint(Service::Iam, &base)
            .credentials(credentials)
            .sleep(Arc::new(RecordingSleep::default()))
    };

    // AK/SK with a security token; the project id is resolved through IAM.
    let aksk = Credentials::AkSk(AkSk::new(AK, SECRET_SK).with_security_token(SECRET_SECURITY_TOKEN));
    configs.push(cloud_config(aksk.clone()).build().unwrap());
    // A static token.
    configs.push(cloud_config(Credentials::Token(SecretString::from(SECRET_STATIC_TOKEN))).build().unwrap());
    // A password login.
    let password = Credentials::Password {
        domain: "acme".into(),
        user: "ci-bot".into(),
        password: SecretString::from(SECRET_PASSWORD),
    };
    configs.push(cloud_config(password.clone()).build().unwrap());
    for config in &configs {
        let client = Client::from_config(config).unwrap();
        show_status(&client).await.unwrap();
        errors.push(run_job(&client).await.unwrap_err());
    }

    // Failing before any answer: nothing listens, and a login IAM refuses.
    let refused = refused_base();
    let config = Config::builder()
        .endpoint(Service::Build, &refused)
        .credentials(aksk)
        .iam_project_id("p1")
        .sleep(Arc::new(RecordingSleep::default()))
        .build()
        .unwrap();
    errors.push(run_job(&Client::from_config(&config).unwrap()).await.unwrap_err());
    configs.push(config);
    let iam_refuses = Server::start(|_, _| {
        Reply::json(401, json!({ "error": { "code": 401, "message": "The username or password is wrong." } }))
    })
    .await;
    let config = Config::builder()
        .region(REGION)
        .endpoint(Service::Build, &iam_refuses.base)
        .endpoint(Service::Iam, &iam_refuses.base)
        .credentials(password)
        .build()
        .unwrap();
    let err = show_status(&Client::from_config(&config).unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials, "{err:?}");
    errors.push(err);
    configs.push(config);

    // The calls really ran, with the secrets on the wire.
    let wire: Vec<Recorded> = cloud.server.requests();
    let sent = |name: &str, value: &str| wire.iter().any(|r| r.header(name).is_some_and(|v| v.contains(value)));
    assert!(sent("x-security-token", SECRET_SECURITY_TOKEN));
    assert!(sent("x-auth-token", SECRET_STATIC_TOKEN));
    assert!(sent("x-auth-token", &format!("{SECRET_IAM_TOKEN}-2")));
    assert!(wire.iter().any(|r| String::from_utf8_lossy(&r.body).contains(SECRET_PASSWORD)));

    drop(guard);
    let trace = captured.text();
    assert!(trace.contains("codearts.attempt"), "the attempts were traced:\n{trace}");
    assert!(trace.contains("retrying"), "TRACE output captured the retry:\n{trace}");
    assert!(trace.contains("token rejected"), "TRACE output captured the token refresh:\n{trace}");
    assert_no_secret("the TRACE output", &trace);
    for config in &configs {
        assert_no_secret("a config's Debug", &format!("{config:?}"));
    }
    assert_eq!(errors.len(), 5);
    for err in &errors {
        assert_no_secret("an error's Display", &err.to_string());
        assert_no_secret("an error's Debug", &format!("{err:?}"));
    }
}

// ---------------------------------------------------------------------------------------------
// 11. Configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn from_chain_takes_credentials_from_the_injected_environment_before_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("credentials");
    std::fs::write(&profile, "[basic]\nak = PROFILE-AK\nsk = profile-secret\nregion = cn-north-4\n").unwrap();
    let env = std::collections::HashMap::from([
        ("HUAWEICLOUD_SDK_AK", "ENV-AK"),
        ("HUAWEICLOUD_SDK_SK", "env-secret"),
        ("HUAWEICLOUD_SDK_REGION", REGION),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "env-project"),
    ]);
    let chain = Chain::new().env(move |name| env.get(name).map(|v| v.to_string())).profile_path(&profile);
    let config = Config::from_chain(&chain).unwrap();
    let shown = format!("{config:?}");
    assert!(shown.contains("ENV-AK") && !shown.contains("PROFILE-AK"), "{shown}");
    assert!(shown.contains("env-project"), "{shown}");
    assert!(!shown.contains("env-secret"), "{shown}");
    assert_eq!(config.region(), Some(REGION));

    // Without credentials in the environment, the profile's are used.
    let chain = Chain::new().env(|_| None).profile_path(&profile);
    let config = Config::from_chain(&chain).unwrap();
    let shown = format!("{config:?}");
    assert!(shown.contains("PROFILE-AK") && !shown.contains("profile-secret"), "{shown}");
    assert_eq!(config.region(), Some("cn-north-4"));

    // Nothing anywhere: a credentials error that names the sources tried.
    let chain = Chain::new().env(|_| None).profile_path(dir.path().join("missing"));
    let err = Config::from_chain(&chain).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    let message = err.to_string();
    assert!(message.contains("environment") && message.contains("profile"), "{message}");
}

#[test]
fn an_unknown_region_lists_the_known_ones() {
    let err = Config::builder().region("mars-north-1").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let message = err.to_string();
    for part in ["mars-north-1", "cn-north-4", "eu-west-101"] {
        assert!(message.contains(part), "`{part}` missing from {message}");
    }
}

#[test]
fn plain_http_is_refused_off_loopback_unless_allowed() {
    let err = Config::builder().endpoint(Service::Build, "http://build.example.internal").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("https"), "{err}");

    Config::builder()
        .endpoint(Service::Build, "http://build.example.internal")
        .allow_insecure_http(true)
        .build()
        .unwrap();
    Config::builder().endpoint(Service::Build, "https://build.example.internal").build().unwrap();
    Config::builder().endpoint(Service::Build, "http://127.0.0.1:8080").build().unwrap();
    Config::builder().endpoint(Service::Build, "http://localhost:8080").build().unwrap();
    // An IAM endpoint is checked the same way.
    let err = Config::builder().endpoint(Service::Iam, "http://iam.example.internal").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
