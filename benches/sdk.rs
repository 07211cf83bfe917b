//! SDK benchmarks against hand-written baselines measured in the same run, against the same
//! loopback server (issue 6). See BENCHMARKS.md for the figures and how to read them.
//!
//! ```sh
//! cargo bench --bench sdk              # full run: the figures in BENCHMARKS.md (reports, exits 0)
//! cargo bench --bench sdk -- --quick   # CI: fewer iterations, a 64 MiB log, generous bounds enforced
//! cargo bench --bench sdk -- --only signing   # one part: calls (small, list, large), signing, download
//! ```
//!
//! - **Per call**: `Client::from_config` with a static token + `.call()` against `reqwest` +
//!   `serde_json` sending the same headers (`X-Auth-Token` included) and decoding into the same
//!   generated type, for a small answer, a list of 100 jobs and 1,000 templates. Calls alternate
//!   SDK/baseline (the order flips every round) and each call is timed on its own; the medians are
//!   compared. AK/SK calls are timed alongside, for information (their extra cost is the signing).
//! - **Signing**: `Signer::sign` of two typical requests (a list GET with a query, the RunJob POST
//!   with the reference's body) against one bare HMAC-SHA256 over the same string to sign (checked
//!   to give the same signature); the cryptography alone is timed too, for the record.
//! - **Download**: `codearts::logs::download_build_log` of a generated log to a file against raw
//!   reqwest streaming to a file. Each download runs in a child process (this binary re-executed
//!   with `--child`) that reports its own time and peak RSS (`VmHWM`), so the server's memory and
//!   the other runs' allocations never count; the server stays in this process and generates the
//!   log on the fly from one repeated 64 KiB chunk.
//!
//! The server runs on its own thread with its own single-threaded runtime and the client on the
//! main thread with another: one core each on the 2-core machines this project runs on.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use codearts::auth::signer::canonical_request;
use codearts::auth::{AkSk, Signer};
use codearts::build::types;
use codearts::credentials::Credentials;
use codearts::region::Service;
use codearts::{CallExt, Config};
use futures::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

const TOKEN: &str = "bench-static-iam-token-0123456789abcdef";
const AK: &str = "BENCHACCESSKEY0000000";
const SK: &str = "bench-secret-key-0123456789abcdefghijklmnop";
const JOB_ID: &str = "f9d6c8466d614a9788e9a0acf6c15f46";
const RECORD_ID: &str = "2cc26382-b2cb-4234-8eb0-b37d362f4d4c";
const PROJECT_ID: &str = "2ea6a5d2b2ef4ff3ab5d21c1a4e4e2a6";
/// What the generated clients send as `api-version` (the spec's `info.version`).
const API_VERSION: &str = "2023-11-30";
const MIB: u64 = 1024 * 1024;

/// How much work each part does.
#[derive(Clone, Copy)]
struct Plan {
    name: &'static str,
    /// (warm-up calls, measured calls) per comparison.
    small: (usize, usize),
    list: (usize, usize),
    large: (usize, usize),
    /// (rounds, operations per round) of the signing comparison.
    signing: (usize, usize),
    log_bytes: u64,
    /// Downloads per side (alternating SDK/baseline).
    downloads: usize,
    /// Whether missing a bound fails the run.
    enforce: bool,
}

const FULL: Plan = Plan {
    name: "full",
    small: (200, 2000),
    list: (100, 2000),
    // 3.5 MB per answer, ~14 ms a call: 500 calls of each contender take about 20 s.
    large: (10, 500),
    signing: (400, 500),
    log_bytes: 1024 * MIB,
    // A gigabyte takes about 0.6 s, and one run in four or five is slowed by something else on the
    // machine (on either side): nine a side keep the medians clear of those.
    downloads: 9,
    enforce: false,
};

/// CI's short version: enough calls for a stable median, few enough to finish in seconds.
const QUICK: Plan = Plan {
    name: "quick",
    small: (100, 1000),
    list: (50, 500),
    large: (3, 40),
    signing: (100, 200),
    log_bytes: 64 * MIB,
    downloads: 5,
    enforce: true,
};

/// `cargo test --benches` runs bench binaries without `--bench`: a smoke run that only proves the
/// bench still works.
const SMOKE: Plan = Plan {
    name: "smoke",
    small: (2, 10),
    list: (2, 10),
    large: (1, 3),
    signing: (5, 10),
    log_bytes: MIB,
    downloads: 1,
    enforce: false,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let plan = if args.iter().any(|a| a == "--quick") {
        QUICK
    } else if args.iter().any(|a| a == "--bench") {
        FULL
    } else {
        SMOKE
    };
    codearts::install_crypto_provider();
    println!("codearts SDK benchmarks — {} mode; load average at start: {}", plan.name, loadavg());
    let payloads = Arc::new(Payloads::new());
    println!(
        "payloads: ShowJobStatus {} B, ShowJobListByProjectId (100 jobs) {} B, ListTemplates (1,000 templates) {} B",
        payloads.status.len(),
        payloads.jobs.len(),
        payloads.templates.len()
    );
    let base = start_server(payloads.clone());

    // `--only calls|small|list|large|signing|download`: one part alone (to profile it, or to repeat
    // a figure); `calls` is small, list and large.
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map(String::as_str);
    let runs = move |part: &str| {
        only.is_none_or(|o| o == part || (o == "calls" && ["small", "list", "large"].contains(&part)))
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let mut results = Vec::new();
    if runs("small") || runs("list") || runs("large") {
        results.extend(runtime.block_on(per_call(&base, plan, &runs)));
    }
    if runs("signing") {
        results.extend(signing(plan));
    }
    if runs("download") {
        results.extend(downloads(&base, &payloads, plan));
    }

    println!("\n{:<52} {:>14} {:>14} {:>8} {:>10}  result", "comparison", "SDK", "baseline", "ratio", "target");
    let mut failed = false;
    for r in &results {
        let verdict = if r.meets(r.target) {
            "PASS"
        } else if plan.enforce && !r.meets(r.ci_bound) {
            failed = true;
            "FAIL (beyond CI bound)"
        } else {
            "MISSED"
        };
        println!(
            "{:<52} {:>14} {:>14} {:>8.3} {:>10}  {verdict}",
            r.name,
            r.sdk,
            r.baseline,
            r.ratio,
            r.target.describe()
        );
    }
    println!("load average at end: {}", loadavg());
    if plan.enforce {
        println!("CI bounds (quick mode fails only beyond these):");
        for r in &results {
            println!("  {:<50} {}", r.name, r.ci_bound.describe());
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

// --- results ----------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Bound {
    /// SDK / baseline must be at most this.
    RatioAtMost(f64),
    /// SDK / baseline must be at least this (throughput).
    RatioAtLeast(f64),
    /// The SDK's figure must be at most this many MiB.
    MibAtMost(f64),
}

impl Bound {
    fn describe(self) -> String {
        match self {
            Bound::RatioAtMost(x) => format!("≤ {x}×"),
            Bound::RatioAtLeast(x) => format!("≥ {x}×"),
            Bound::MibAtMost(x) => format!("≤ {x} MiB"),
        }
    }
}

struct Outcome {
    name: String,
    sdk: String,
    baseline: String,
    /// SDK / baseline (or the SDK's figure for [`Bound::MibAtMost`]).
    ratio: f64,
    target: Bound,
    /// What quick mode enforces: far enough beyond the target that CI noise cannot reach it.
    ci_bound: Bound,
}

impl Outcome {
    fn meets(&self, bound: Bound) -> bool {
        match bound {
            Bound::RatioAtMost(x) | Bound::MibAtMost(x) => self.ratio <= x,
            Bound::RatioAtLeast(x) => self.ratio >= x,
        }
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn show(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos >= 10_000_000 {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else if nanos >= 10_000 {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{nanos} ns")
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

// --- the loopback server ----------------------------------------------------------------------

/// The answers, serialised once: the server's cost per call is a header check and a copy.
struct Payloads {
    status: Bytes,
    jobs: Bytes,
    templates: Bytes,
    /// 64 KiB of log lines, repeated to make a log of `log_bytes` bytes.
    log_chunk: Bytes,
    log_bytes: AtomicU64,
}

fn example(name: &str) -> serde_json::Value {
    let path = format!("{}/spec/examples/build/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

impl Payloads {
    fn new() -> Payloads {
        let status = serde_json::to_vec(&example("4.4-ShowJobStatus.response.json")).expect("JSON");

        // The reference's job, 100 times with distinct ids and names.
        let jobs = example("4.5-ShowJobListByProjectId.response.json");
        let job = jobs["jobs"][0].clone();
        let jobs: Vec<serde_json::Value> = (0..100)
            .map(|i| {
                let mut job = job.clone();
                job["id"] = format!("{i:032x}").into();
                job["job_name"] = format!("job-{i}").into();
                job
            })
            .collect();
        let jobs = serde_json::to_vec(&serde_json::json!({ "total": 100, "jobs": jobs })).expect("JSON");

        // The reference's (corrected) template query answer, its items replicated to 1,000.
        let mut templates = example("corrected/4.20-ListTemplates.response.json");
        let items = templates["result"]["items"].as_array().expect("items").clone();
        let scaled: Vec<serde_json::Value> = (0..1000)
            .map(|i| {
                let mut item = items[i % items.len()].clone();
                item["id"] = format!("{i:024x}").into();
                item["uuid"] = format!("{i:032x}").into();
                item["nick_name"] = format!("template-{i}").into();
                item
            })
            .collect();
        templates["result"]["items"] = scaled.into();
        templates["result"]["total_size"] = 1000.into();
        let templates = serde_json::to_vec(&templates).expect("JSON");

        let mut log_chunk = String::with_capacity(64 * 1024);
        let mut line = 0u64;
        while log_chunk.len() < 64 * 1024 - 100 {
            let _ = writeln!(log_chunk, "[2024-01-01 00:00:00] [INFO] step 1: building module {line} ... ok");
            line += 1;
        }
        while log_chunk.len() < 64 * 1024 {
            log_chunk.push('.');
        }

        Payloads {
            status: status.into(),
            jobs: jobs.into(),
            templates: templates.into(),
            log_chunk: log_chunk.into(),
            log_bytes: 0.into(),
        }
    }
}

/// Starts the server on its own thread; returns its base URL. It lives as long as the process.
fn start_server(payloads: Arc<Payloads>) -> String {
    let router = Router::new()
        .route("/v3/jobs/{job_id}/status", get(|s, h| json(s, h, |p: &Payloads| p.status.clone())))
        .route("/v3/{project_id}/jobs", get(|s, h| json(s, h, |p: &Payloads| p.jobs.clone())))
        .route("/v3/templates/query", get(|s, h| json(s, h, |p: &Payloads| p.templates.clone())))
        .route("/v4/{record_id}/download-log", get(download))
        .with_state(payloads);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
            tx.send(listener.local_addr().expect("an address")).expect("the main thread waits");
            axum::serve(listener, router).await.expect("the server runs");
        });
    });
    format!("http://{}", rx.recv().expect("the server starts"))
}

/// Both clients authenticate: a token (SDK and baseline) or an AK/SK signature (SDK, informational).
fn authorised(headers: &HeaderMap) -> bool {
    headers.get("x-auth-token").is_some_and(|v| v == TOKEN)
        || headers.get(header::AUTHORIZATION).is_some_and(|v| v.as_bytes().starts_with(b"SDK-HMAC-SHA256 "))
}

async fn json(
    State(payloads): State<Arc<Payloads>>,
    headers: HeaderMap,
    pick: impl Fn(&Payloads) -> Bytes,
) -> Response {
    if !authorised(&headers) {
        return reply(StatusCode::UNAUTHORIZED, "application/json", r#"{"error_code":"APIGW.0301"}"#.into());
    }
    reply(StatusCode::OK, "application/json;charset=UTF-8", pick(&payloads))
}

fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    response
}

/// `GET /v4/{record_id}/download-log`: a log of `log_bytes` bytes, generated chunk by chunk.
async fn download(
    State(payloads): State<Arc<Payloads>>,
    Path(record_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) || record_id != RECORD_ID {
        return reply(StatusCode::UNAUTHORIZED, "application/json", r#"{"error_code":"APIGW.0301"}"#.into());
    }
    let size = payloads.log_bytes.load(Ordering::SeqCst);
    let chunk = payloads.log_chunk.clone();
    let body = futures::stream::unfold(size, move |left| {
        let chunk = chunk.clone();
        async move {
            let take = left.min(chunk.len() as u64) as usize;
            (take > 0).then(|| (Ok::<_, Infallible>(chunk.slice(..take)), left - take as u64))
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, size.into());
    response
}

// --- per-call overhead ------------------------------------------------------------------------

/// A reqwest client configured as the SDK configures its own (`config.rs`: connect and read
/// timeouts, user agent), as a hand-written client would be.
fn baseline_http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("codearts-rust/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client")
}

fn sdk_client(base: &str, credentials: Credentials) -> codearts::build::Client {
    let config = Config::builder().endpoint(Service::Build, base).credentials(credentials).build().expect("a config");
    codearts::build::Client::from_config(&config).expect("a client")
}

/// The hand-written call: the headers the generated code and the runtime send (`accept`,
/// `api-version`, `x-auth-token`), the SDK's 30 s per-attempt deadline, the status checked, the
/// body read and decoded into the generated type.
async fn baseline_get<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    let response = request
        .header(header::ACCEPT, "application/json")
        .header("api-version", API_VERSION)
        .header("x-auth-token", TOKEN)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("the baseline call succeeds");
    assert!(response.status().is_success(), "baseline: HTTP {}", response.status());
    let body = response.bytes().await.expect("the baseline body");
    serde_json::from_slice(&body).expect("the baseline body decodes")
}

/// Times `rounds` calls of each of three contenders (expressions giving a future), interleaved: one
/// call of each per round, the order rotating every round so that none always runs on caches
/// warmed by another. Returns each contender's per-call samples.
macro_rules! interleave3 {
    ($rounds:expr, $a:expr, $b:expr, $c:expr) => {{
        let rounds: usize = $rounds;
        let mut samples: [Vec<Duration>; 3] = std::array::from_fn(|_| Vec::with_capacity(rounds));
        for round in 0..rounds {
            for k in 0..3 {
                let i = (k + round) % 3;
                let started = Instant::now();
                match i {
                    0 => drop(std::hint::black_box($a.await)),
                    1 => drop(std::hint::black_box($b.await)),
                    _ => drop(std::hint::black_box($c.await)),
                }
                samples[i].push(started.elapsed());
            }
        }
        samples
    }};
}

/// Warms up, then times SDK (token), baseline and SDK (AK/SK) calls interleaved; asserts first that
/// all three decode the same value.
macro_rules! compare3 {
    ($label:expr, $plan:expr, $a:expr, $b:expr, $c:expr) => {{
        let (warmup, calls): (usize, usize) = $plan;
        let first = $a.await;
        assert_eq!(first, $b.await, "the SDK and the baseline decode the same answer");
        assert_eq!(first, $c.await, "AK/SK and token calls decode the same answer");
        interleave3!(warmup, $a, $b, $c);
        let [sdk, baseline, aksk] = interleave3!(calls, $a, $b, $c);
        (first, report($label, calls, sdk, baseline, aksk))
    }};
}

async fn per_call(base: &str, plan: Plan, runs: &dyn Fn(&str) -> bool) -> Vec<Outcome> {
    let sdk = sdk_client(base, Credentials::token(TOKEN));
    let sdk_aksk = sdk_client(base, Credentials::aksk(AK, SK));
    let http = baseline_http();
    let mut out = Vec::new();

    if runs("small") {
        // (a) ShowJobStatus: a small answer.
        let (_, outcomes) = compare3!(
            "ShowJobStatus (15 B answer)",
            plan.small,
            async { sdk.show_job_status().job_id(JOB_ID).call().await.expect("the SDK call succeeds") },
            baseline_get::<types::ShowJobStatusResponse>(http.get(format!("{base}/v3/jobs/{JOB_ID}/status"))),
            async { sdk_aksk.show_job_status().job_id(JOB_ID).call().await.expect("the AK/SK call succeeds") }
        );
        out.extend(outcomes);
    }

    if runs("list") {
        // (b) ShowJobListByProjectId: 100 jobs.
        let (first, outcomes) = compare3!(
            "ShowJobListByProjectId (100 jobs)",
            plan.list,
            async {
                let call = sdk.show_job_list_by_project_id().project_id(PROJECT_ID).page_index(0).page_size(100);
                call.call().await.expect("the SDK call succeeds")
            },
            baseline_get::<types::ShowJobListByProjectIdResponse>(
                http.get(format!("{base}/v3/{PROJECT_ID}/jobs")).query(&[("page_index", 0), ("page_size", 100)])
            ),
            async {
                let call = sdk_aksk.show_job_list_by_project_id().project_id(PROJECT_ID).page_index(0).page_size(100);
                call.call().await.expect("the AK/SK call succeeds")
            }
        );
        assert_eq!(first.jobs.len(), 100);
        out.extend(outcomes);
    }

    if runs("large") {
        // (c) ListTemplates: the largest documented payload, scaled to 1,000 templates.
        let (first, outcomes) = compare3!(
            "ListTemplates (1,000 templates)",
            plan.large,
            async { sdk.list_templates().page("0").page_size("1000").call().await.expect("the SDK call succeeds") },
            baseline_get::<types::ListTemplatesResponse>(
                http.get(format!("{base}/v3/templates/query")).query(&[("page", "0"), ("page_size", "1000")])
            ),
            async {
                sdk_aksk.list_templates().page("0").page_size("1000").call().await.expect("the AK/SK call succeeds")
            }
        );
        assert_eq!(first.result.as_ref().map(|r| r.items.len()), Some(1000));
        out.extend(outcomes);
    }
    out
}

/// The token SDK against the baseline is the overhead target; the AK/SK line is for information.
fn report(
    label: &str,
    calls: usize,
    mut sdk: Vec<Duration>,
    mut baseline: Vec<Duration>,
    mut aksk: Vec<Duration>,
) -> Vec<Outcome> {
    let (sdk, baseline, aksk) = (median(&mut sdk), median(&mut baseline), median(&mut aksk));
    println!(
        "{label}: {calls} calls each; median SDK {} / baseline {} / SDK with AK/SK {}",
        show(sdk),
        show(baseline),
        show(aksk)
    );
    let ratio = |x: Duration| x.as_secs_f64() / baseline.as_secs_f64();
    vec![
        Outcome {
            name: format!("per call, token: {label}"),
            sdk: show(sdk),
            baseline: show(baseline),
            ratio: ratio(sdk),
            target: Bound::RatioAtMost(1.05),
            // Quick mode's medians come from a few hundred calls on a shared CI machine; a real
            // regression (an extra copy of the body, a per-call allocation storm) costs far more
            // than 2×, while scheduler noise stays well below it.
            ci_bound: Bound::RatioAtMost(2.0),
        },
        Outcome {
            name: format!("per call, AK/SK (info): {label}"),
            sdk: show(aksk),
            baseline: show(baseline),
            ratio: ratio(aksk),
            // No target of its own: it is the token call plus one signing, measured below.
            target: Bound::RatioAtMost(f64::INFINITY),
            ci_bound: Bound::RatioAtMost(f64::INFINITY),
        },
    ]
}

// --- signing ----------------------------------------------------------------------------------

/// `Signer::sign` of two typical requests — a list read (a GET with a query, no body: most calls)
/// and RunJob (a POST with the reference's body) — each against one bare HMAC-SHA256 of the same
/// string to sign.
fn signing(plan: Plan) -> Vec<Outcome> {
    let http = reqwest::Client::builder().build().expect("a reqwest client");
    let get = http
        .get(format!("https://build-backend.eu-west-101.myhuaweicloud.eu/v3/{PROJECT_ID}/jobs"))
        .query(&[("page_index", "0"), ("page_size", "100")])
        .header(header::ACCEPT, "application/json")
        .header("api-version", API_VERSION)
        .build()
        .expect("a request");
    let body = serde_json::to_vec(&example("corrected/4.6-RunJob.request.json")).expect("JSON");
    let post = http
        .post("https://build-backend.eu-west-101.myhuaweicloud.eu/v3/jobs/build")
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/json")
        .header("api-version", API_VERSION)
        .body(body.clone())
        .build()
        .expect("a request");
    vec![
        sign_one("AK/SK signing, GET ShowJobListByProjectId", get, &[], plan),
        sign_one("AK/SK signing, POST RunJob", post, &body, plan),
    ]
}

/// Alternating rounds of `per_round` signings and `per_round` bare HMACs; the medians of the
/// per-operation times are compared.
fn sign_one(label: &str, mut request: reqwest::Request, body: &[u8], plan: Plan) -> Outcome {
    let signer = Signer::new(AkSk::new(AK, SK));
    let now = SystemTime::now();
    signer.sign(&mut request, now).expect("signs");

    // The string to sign of that request, rebuilt from the public parts, and proof that one HMAC of
    // it is exactly the signature `sign` produced.
    let date = request.headers()["x-sdk-date"].to_str().expect("ASCII").to_owned();
    let signed = signer.signed_headers(request.headers());
    let method = request.method().as_str().to_owned();
    let canonical = canonical_request(&method, request.url(), request.headers(), &signed, body);
    let string_to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let bare = || {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(std::hint::black_box(SK).as_bytes()).expect("any key");
        mac.update(std::hint::black_box(string_to_sign.as_bytes()));
        mac.finalize().into_bytes()
    };
    let authorization = request.headers()["authorization"].to_str().expect("ASCII").to_owned();
    assert!(authorization.ends_with(&format!("Signature={}", hex::encode(bare()))), "same string to sign");

    let (rounds, per_round) = plan.signing;
    let (mut sdk, mut baseline) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..rounds + rounds / 10 {
        let mut time_sign = || {
            let started = Instant::now();
            for _ in 0..per_round {
                signer.sign(std::hint::black_box(&mut request), now).expect("signs");
            }
            started.elapsed() / per_round as u32
        };
        let time_bare = || {
            let started = Instant::now();
            for _ in 0..per_round {
                std::hint::black_box(bare());
            }
            started.elapsed() / per_round as u32
        };
        let (s, b) = if round % 2 == 0 {
            let s = time_sign();
            (s, time_bare())
        } else {
            let b = time_bare();
            (time_sign(), b)
        };
        // The first tenth of the rounds is the warm-up.
        if round >= rounds / 10 {
            sdk.push(s);
            baseline.push(b);
        }
    }
    let (sdk, baseline) = (median(&mut sdk), median(&mut baseline));
    // For the record: the cryptography any signer of this request must do — SHA-256 of the body and
    // of the canonical request, then HMAC of the string to sign (with the key's pads precomputed, as
    // `Signer` keeps them) — timed alone.
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(SK.as_bytes()).expect("any key");
    let floor = {
        let mut samples: Vec<Duration> = (0..rounds / 4 + 1)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..per_round {
                    let body_hash = Sha256::digest(std::hint::black_box(body));
                    let canonical_hash = Sha256::digest(std::hint::black_box(canonical.as_bytes()));
                    let mut mac = keyed.clone();
                    mac.update(std::hint::black_box(string_to_sign.as_bytes()));
                    std::hint::black_box((body_hash, canonical_hash, mac.finalize().into_bytes()));
                }
                started.elapsed() / per_round as u32
            })
            .collect();
        median(&mut samples)
    };
    println!(
        "{label}: the cryptography alone takes {} ({:.2}× the bare HMAC)",
        show(floor),
        floor.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "{label}: {rounds} rounds of {per_round}; median Signer::sign {} / bare HMAC-SHA256 {} (body {} B, canonical request {} B, string to sign {} B)",
        show(sdk),
        show(baseline),
        body.len(),
        canonical.len(),
        string_to_sign.len()
    );
    Outcome {
        name: format!("{label} vs one bare HMAC-SHA256"),
        sdk: show(sdk),
        baseline: show(baseline),
        ratio: sdk.as_secs_f64() / baseline.as_secs_f64(),
        target: Bound::RatioAtMost(3.0),
        // A pure CPU loop, yet on this 2-vCPU VM the same binary measures 3.2× in one process and
        // 5× in the next (layout-dependent; no hardware counters to say more). 8× still catches
        // what a regression looks like: the signer before its rewrite measured 12-15×.
        ci_bound: Bound::RatioAtMost(8.0),
    }
}

// --- downloads --------------------------------------------------------------------------------

/// What a child reports: bytes written, seconds, peak RSS in KiB.
struct Download {
    bytes: u64,
    seconds: f64,
    peak_kib: u64,
}

fn downloads(base: &str, payloads: &Payloads, plan: Plan) -> Vec<Outcome> {
    payloads.log_bytes.store(plan.log_bytes, Ordering::SeqCst);
    // In memory (tmpfs) where there is one: on disk, the kernel's writeback of the previous runs'
    // gigabytes throttles whichever run is writing when it starts, which swamps the difference
    // being measured. The file is written through the same calls either way.
    let shm = std::path::Path::new("/dev/shm");
    let dir =
        if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.expect("a temporary directory");
    println!("downloads go to files in {}", dir.path().display());
    let mut sdk = Vec::new();
    let mut raw = Vec::new();
    for round in 0..plan.downloads {
        let order: [&str; 2] = if round % 2 == 0 { ["sdk", "raw"] } else { ["raw", "sdk"] };
        for who in order {
            let result = run_child(who, base, dir.path());
            assert_eq!(result.bytes, plan.log_bytes, "{who}: the whole log was written");
            println!(
                "download {who}: {} MiB in {:.3} s = {:.0} MiB/s, peak RSS {:.1} MiB",
                result.bytes / MIB,
                result.seconds,
                result.bytes as f64 / MIB as f64 / result.seconds,
                result.peak_kib as f64 / 1024.0
            );
            if who == "sdk" { sdk.push(result) } else { raw.push(result) }
        }
    }
    let throughput = |runs: &[Download]| {
        let mut rates: Vec<f64> = runs.iter().map(|r| r.bytes as f64 / MIB as f64 / r.seconds).collect();
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let peak = |runs: &[Download]| runs.iter().map(|r| r.peak_kib).max().unwrap_or(0) as f64 / 1024.0;
    let (sdk_rate, raw_rate) = (throughput(&sdk), throughput(&raw));
    let best = |runs: &[Download]| runs.iter().map(|r| r.bytes as f64 / MIB as f64 / r.seconds).fold(0.0, f64::max);
    println!(
        "download medians: SDK {sdk_rate:.0} MiB/s, raw {raw_rate:.0} MiB/s; best runs: SDK {:.0} MiB/s, raw {:.0} MiB/s",
        best(&sdk),
        best(&raw)
    );
    let (sdk_peak, raw_peak) = (peak(&sdk), peak(&raw));
    let size = format!("{} MiB", plan.log_bytes / MIB);
    vec![
        Outcome {
            name: format!("DownloadBuildLog {size} to a file: throughput"),
            sdk: format!("{sdk_rate:.0} MiB/s"),
            baseline: format!("{raw_rate:.0} MiB/s"),
            ratio: sdk_rate / raw_rate,
            target: Bound::RatioAtLeast(0.9),
            // Runs of well under a second on a shared machine are noisy (0.8-1.2 between full
            // runs of the same binary); a download path that buffered or copied the log would fall
            // far below half the raw rate.
            ci_bound: Bound::RatioAtLeast(0.5),
        },
        Outcome {
            name: format!("DownloadBuildLog {size} to a file: peak RSS"),
            sdk: format!("{sdk_peak:.1} MiB"),
            baseline: format!("{raw_peak:.1} MiB"),
            ratio: sdk_peak,
            target: Bound::MibAtMost(32.0),
            // Peak RSS is not timing noise: the target itself is enforced (a buffered 64 MiB log
            // would exceed it at once).
            ci_bound: Bound::MibAtMost(32.0),
        },
    ]
}

fn run_child(who: &str, base: &str, dir: &std::path::Path) -> Download {
    let exe = std::env::current_exe().expect("the bench binary");
    let output =
        std::process::Command::new(exe).args(["--child", who, base]).arg(dir).output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{who} child failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).expect("the child reports");
    let fields: Vec<&str> = line.split_whitespace().collect();
    Download {
        bytes: fields[0].parse().expect("bytes"),
        seconds: fields[1].parse().expect("seconds"),
        peak_kib: fields[2].parse().expect("KiB"),
    }
}

/// `--child sdk|raw BASE DIR`: one download of the server's log to a file in DIR, reported as
/// `RESULT <bytes> <seconds> <VmHWM KiB>`.
fn child(args: &[String]) -> ExitCode {
    let [who, base, dir] = args else {
        eprintln!("usage: --child sdk|raw BASE DIR");
        return ExitCode::FAILURE;
    };
    codearts::install_crypto_provider();
    let path = std::path::Path::new(dir).join(format!("{who}.log"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (written, seconds) = runtime.block_on(async {
        let file = tokio::fs::File::create(&path).await.expect("a log file");
        // Clients are built before the clock starts: the figure is the transfer.
        let (sdk, http) = (sdk_client(base, Credentials::token(TOKEN)), baseline_http());
        let started = Instant::now();
        let written = if who == "sdk" {
            codearts::logs::download_build_log(&sdk, RECORD_ID, file).await.expect("the SDK download")
        } else {
            raw_download(&http, base, RECORD_ID, file).await
        };
        (written, started.elapsed().as_secs_f64())
    });
    let _ = std::fs::remove_file(&path);
    println!("RESULT {written} {seconds} {}", peak_rss_kib());
    ExitCode::SUCCESS
}

/// The hand-written download: same headers, the body streamed chunk by chunk into the file.
async fn raw_download(http: &reqwest::Client, base: &str, record_id: &str, mut file: tokio::fs::File) -> u64 {
    let response = http
        .get(format!("{base}/v4/{record_id}/download-log"))
        .header("api-version", API_VERSION)
        .header("x-auth-token", TOKEN)
        .send()
        .await
        .expect("the raw download starts");
    assert!(response.status().is_success(), "raw download: HTTP {}", response.status());
    let mut stream = response.bytes_stream();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("the raw download continues");
        file.write_all(&chunk).await.expect("writes");
        written += chunk.len() as u64;
    }
    file.flush().await.expect("flushes");
    written
}

/// This process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
