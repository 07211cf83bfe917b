//! No path parameter can change where a request goes.
//!
//! Two properties over arbitrary strings (`../`, `..`, `/`, `?`, `#`, `%2F`, `%00`, `\`, control
//! characters, unicode, empty, …):
//!
//! (a) Pure, fast: the encoder the generated code calls (`codearts::validate::encode_path`), joined
//!     into every path template of both services as the generated code joins it and parsed as
//!     reqwest parses it, gives exactly the template's segments, with the parameter's segment
//!     decoding to the input and no query or fragment; the only exceptions, `.` and `..`, are
//!     rejected by `codearts::validate::check_request` even with every documented format removed.
//!     `PROPTEST_CASES` sets the number of values (default 2,000); the ignored test runs a million:
//!     `cargo test --release --features emulator --test input_safety -- --ignored --nocapture`.
//!
//! (b) End to end, through the generated clients against a recording loopback server, with the
//!     checks on: a value outside its documented format is a typed `InvalidInput` error and no
//!     request arrives; any other value (parameters without a pattern, query parameters, integer
//!     path parameters) arrives in its own segment or query pair, decoded exactly as given.
//!     `INPUT_SAFETY_E2E_CASES` sets the number of values (default 128).

mod support;

use codearts::region::Service;
use codearts::runtime::{OperationMeta, ServiceMeta};
use codearts::validate::{Location, Parameter, check_request, encode_path};
use codearts::{CallExt, Error, ErrorKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use support::mock::{MockServer, Recorded};

fn env_count(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    // No regression files: the failing value is printed, and these runs are reproducible enough.
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Strings built to break URLs, arbitrary unicode, and well-formed IDs (so that valid values are
/// exercised end to end too).
fn values() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("../"),
        Just(".."),
        Just("."),
        Just("/"),
        Just("\\"),
        Just("?"),
        Just("#"),
        Just("&"),
        Just("="),
        Just("%"),
        Just("%2F"),
        Just("%2f"),
        Just("%00"),
        Just("%2e"),
        Just("%2E%2E"),
        Just("%5C"),
        Just(";"),
        Just("+"),
        Just(" "),
        Just("\t"),
        Just("\n"),
        Just("\r"),
        Just("\0"),
        Just("\u{7f}"),
        Just("é"),
        Just("🦀"),
        Just("\u{202e}"),
        Just("{"),
        Just("}"),
        Just("@"),
        Just(":"),
        Just("a"),
        Just("Z"),
        Just("9"),
        Just("-"),
    ];
    prop_oneof![
        4 => prop::collection::vec(piece, 0..8).prop_map(|p| p.concat()),
        2 => any::<String>(),
        2 => "[0-9a-zA-Z./%?#\\\\-]{0,40}",
        1 => prop_oneof![Just(String::new()), Just(".".to_string()), Just("..".to_string())],
        1 => "[0-9a-zA-Z]{32}",
        1 => "[0-9a-z]{32}",
        1 => "[0-9a-z-]{36}",
    ]
}

/// Every service the SDK compiles.
fn services() -> [&'static ServiceMeta; 3] {
    [
        &codearts::build::operations::SERVICE,
        &codearts::check::operations::SERVICE,
        &codearts::pipeline::operations::SERVICE,
    ]
}

/// Every operation of every service, with its service.
fn operations() -> impl Iterator<Item = (&'static ServiceMeta, &'static OperationMeta)> {
    services().into_iter().flat_map(|s| s.operations.iter().map(move |op| (s, op)))
}

/// `service` with every parameter's documented format removed: the property must hold without them.
fn unconstrained(service: &'static ServiceMeta) -> &'static ServiceMeta {
    let parameters: Vec<Parameter> = service
        .parameters
        .iter()
        .map(|p| Parameter { pattern: None, min_length: None, max_length: None, format: None, ..*p })
        .collect();
    Box::leak(Box::new(ServiceMeta { parameters: Vec::leak(parameters), ..*service }))
}

fn placeholder(segment: &str) -> Option<&str> {
    segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8().expect("the SDK encodes UTF-8").into_owned()
}

#[test]
fn the_generated_code_encodes_path_parameters_with_validate_encode_path() {
    // Property (a) is about `encode_path` only if the generated code really calls it.
    for (name, code) in [
        ("codearts_build.rs", include_str!("../generated/codearts_build.rs")),
        ("codearts_check.rs", include_str!("../generated/codearts_check.rs")),
    ] {
        assert!(code.contains("use crate::validate::encode_path;"), "{name}");
        assert!(!code.contains("progenitor_client::{encode_path"), "{name}");
        assert!(code.contains("encode_path(&"), "{name} encodes path parameters");
        // The pre hook hands every request to the runtime, which checks it (`validate::check_request`).
        assert!(code.contains(".pre(request, &self.baseurl, info.operation_id)"), "{name}'s pre hook");
    }
}

/// Property (a) for `cases` values; returns the number of (template, parameter, value) checks.
fn path_property(cases: u32) -> u64 {
    let plain: Vec<(&'static str, &'static ServiceMeta)> =
        services().into_iter().map(|s| (s.name, unconstrained(s))).collect();
    let plain_of = |service: &ServiceMeta| plain.iter().find(|(n, _)| *n == service.name).map(|(_, s)| *s).unwrap();
    let checks = AtomicU64::new(0);
    let bases = ["http://127.0.0.1:9", "http://127.0.0.1:9/gateway/build"];
    runner(cases)
        .run(&(values(), 0..bases.len()), |(value, base)| {
            let base = bases[base];
            for (service, op) in operations() {
                let service = plain_of(service);
                let template: Vec<&str> = op.path.split('/').skip(1).collect();
                for (at, name) in template.iter().enumerate().filter_map(|(i, s)| placeholder(s).map(|n| (i, n))) {
                    checks.fetch_add(1, Ordering::Relaxed);
                    // As the generated code builds it: other placeholders get an ordinary value.
                    let path: Vec<String> = template
                        .iter()
                        .enumerate()
                        .map(|(i, s)| match placeholder(s) {
                            _ if i == at => encode_path(&value),
                            Some(_) => "7".to_string(),
                            None => s.to_string(),
                        })
                        .collect();
                    let url = reqwest::Url::parse(&format!("{base}/{}", path.join("/")))
                        .map_err(|e| TestCaseError::fail(format!("{}: {e}", op.id)))?;
                    let checked = check_request(&url, base, op.snake_id, service);
                    if value == "." || value == ".." || value.is_empty() {
                        // The one thing encoding cannot carry: URL parsing resolves it away.
                        let e = checked.err().ok_or_else(|| {
                            TestCaseError::fail(format!(
                                "{} {}: a dot segment in {name} is not rejected",
                                service.name, op.id
                            ))
                        })?;
                        prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                        // Named when it is a string parameter (integers are never dots, so a dot
                        // placed where an integer goes can be blamed on the string beside it).
                        let string =
                            service.parameters.iter().any(|p| p.operation == op.id && p.name == name && p.string);
                        if string {
                            prop_assert!(e.message().unwrap_or_default().contains(name), "{}: {e}", op.id);
                        }
                        continue;
                    }
                    prop_assert!(checked.is_ok(), "{} {name}={value:?}: {:?}", op.id, checked.err());
                    let prefix = reqwest::Url::parse(base).unwrap().path().trim_matches('/').to_string();
                    let prefix = if prefix.is_empty() { 0 } else { prefix.split('/').count() };
                    let got: Vec<&str> = url.path_segments().unwrap().collect();
                    let got = &got[prefix..];
                    prop_assert_eq!(got.len(), template.len(), "{} {}={:?}: {}", op.id, name, value, url);
                    for (i, (g, t)) in got.iter().zip(&template).enumerate() {
                        match placeholder(t) {
                            _ if i == at => prop_assert_eq!(decode(g), value.clone(), "{} {}", op.id, url),
                            Some(_) => prop_assert_eq!(*g, "7"),
                            None => prop_assert_eq!(g, t, "{} {}", op.id, url),
                        }
                    }
                    prop_assert_eq!(url.query(), None, "{} {}", op.id, url);
                    prop_assert_eq!(url.fragment(), None, "{} {}", op.id, url);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    checks.into_inner()
}

#[test]
fn no_path_parameter_changes_the_path_query_or_fragment() {
    let cases = env_count("PROPTEST_CASES", 2_000);
    let checks = path_property(cases);
    eprintln!("{cases} values, {checks} template/parameter/value checks");
    let placeholders =
        operations().map(|(_, op)| op.path.split('/').filter_map(placeholder).count() as u64).sum::<u64>();
    // Every template's every placeholder: the three specs' 272 operations hold this many.
    assert!(placeholders > 250, "{placeholders} placeholders");
    assert_eq!(checks, u64::from(cases) * placeholders, "every placeholder of every template, for every value");
}

#[test]
#[ignore = "a million values: about 100 s with --release on 2 cores"]
fn no_path_parameter_changes_the_path_query_or_fragment_a_million_values() {
    let started = std::time::Instant::now();
    let checks = path_property(1_000_000);
    eprintln!("1000000 values, {checks} template/parameter/value checks in {:.1?}", started.elapsed());
}

// --- (b) end to end -------------------------------------------------------------------------------

const JOB: &str = "cb5fa20de5fd4cf8be681d4bd6fdd2f6";
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const RECORD: &str = "2cc26382-b2cb-4234-8eb0-b37d362f4d4c";

struct Env {
    rt: tokio::runtime::Runtime,
    server: MockServer,
    build: codearts::build::Client,
    check: codearts::check::Client,
}

impl Env {
    fn new() -> Env {
        // The server runs on the runtime's worker while each case blocks on its calls.
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let server = rt.block_on(MockServer::start());
        server.respond_json(200, &serde_json::json!({}));
        let config = codearts::Config::builder()
            .endpoint(Service::Build, &server.base)
            .endpoint(Service::Check, &server.base)
            .build()
            .unwrap();
        let build = codearts::build::Client::from_config(&config).unwrap();
        let check = codearts::check::Client::from_config(&config).unwrap();
        Env { rt, server, build, check }
    }

    /// Runs one call and returns what reached the server.
    fn sent<T>(&self, call: impl Future<Output = Result<T, Error>>) -> (Result<T, Error>, Vec<Recorded>) {
        let result = self.rt.block_on(call);
        (result, self.server.take_requests())
    }
}

fn format_of(operation: &str, name: &str) -> &'static Parameter {
    codearts::build::operations::PARAMETERS
        .iter()
        .chain(codearts::check::operations::PARAMETERS)
        .find(|p| p.operation == operation && p.name == name)
        .unwrap_or_else(|| panic!("{operation} has no parameter {name}"))
}

/// Either `value` is valid for `operation`'s `name` and exactly one request arrived with it as the
/// path segment at `at` of `template` (decoded) — or the call failed with InvalidInput naming the
/// parameter and its format and nothing arrived.
fn outcome<T>(
    operation: &str,
    name: &str,
    value: &str,
    template: &str,
    (result, requests): (Result<T, Error>, Vec<Recorded>),
) -> Result<(), TestCaseError> {
    let p = format_of(operation, name);
    let dot = value == "." || value == ".." || value.is_empty();
    if p.check(value).is_err() || dot {
        let e = result.err().ok_or_else(|| TestCaseError::fail(format!("{operation} accepted {name}={value:?}")))?;
        prop_assert!(requests.is_empty(), "{operation} {name}={value:?} reached the server: {requests:?}");
        prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e);
        prop_assert_eq!(e.operation(), Some(operation));
        prop_assert_eq!(e.attempts(), 0);
        let message = e.message().unwrap_or_default();
        prop_assert!(message.starts_with(&format!("{name} ")), "{}", message);
        if !dot {
            prop_assert!(message.contains(p.format.unwrap()), "{}", message);
        }
        return Ok(());
    }
    prop_assert_eq!(requests.len(), 1, "{} {}={:?}: {:?}", operation, name, value, result.err());
    let path: Vec<&str> = requests[0].path.split('/').skip(1).collect();
    let template: Vec<&str> = template.split('/').skip(1).collect();
    prop_assert_eq!(path.len(), template.len(), "{:?}", requests[0].path);
    for (got, want) in path.iter().zip(&template) {
        match placeholder(want) {
            Some(n) if n == name => prop_assert_eq!(decode(got), value),
            Some(_) => {}
            None => prop_assert_eq!(got, want),
        }
    }
    Ok(())
}

/// A query parameter without a format: one request, the path intact, the pair decoded as given.
fn query_arrives(
    path: &str,
    expected: &[(&str, &str)],
    (result, requests): (Result<impl Sized, Error>, Vec<Recorded>),
) -> Result<(), TestCaseError> {
    prop_assert_eq!(requests.len(), 1, "{:?}", result.err());
    prop_assert_eq!(&requests[0].path, path);
    let mut pairs = requests[0].query_pairs();
    pairs.sort();
    let mut want: Vec<(String, String)> = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    want.sort();
    prop_assert_eq!(pairs, want);
    Ok(())
}

#[test]
fn through_the_client_malformed_ids_never_leave_and_other_values_arrive_exactly() {
    let env = Env::new();
    let (c, k) = (&env.build, &env.check);
    let cases = env_count("INPUT_SAFETY_E2E_CASES", 128);
    runner(cases)
        .run(&(values(), any::<i32>()), |(v, n)| {
            // Path parameters with a pattern.
            let t = "/v3/jobs/{job_id}/status";
            outcome("ShowJobStatus", "job_id", &v, t, env.sent(c.show_job_status().job_id(&v).call()))?;
            let t = "/v3/jobs/{job_id}/{build_no}/stop";
            outcome("StopBuildJob", "job_id", &v, t, env.sent(c.stop_build_job().job_id(&v).build_no(7).call()))?;
            let t = "/v3/{project_id}/jobs";
            let call = c.show_job_list_by_project_id().project_id(&v).page_index(1).page_size(10).call();
            outcome("ShowJobListByProjectId", "project_id", &v, t, env.sent(call))?;
            let t = "/v4/{record_id}/download-log";
            outcome("DownloadBuildLog", "record_id", &v, t, env.sent(c.download_build_log().record_id(&v).call()))?;

            // More path parameters of each kind (`outcome` knows whether each has a format).
            let t = "/v3/templates/{uuid}/delete";
            outcome("DeleteTemplates", "uuid", &v, t, env.sent(c.delete_templates().uuid(&v).call()))?;
            let t = "/v3/{build_flow_record_id}/flow-graph";
            #[allow(deprecated)]
            let call = c.show_flow_graph().build_flow_record_id(&v).call();
            outcome("ShowFlowGraph", "build_flow_record_id", &v, t, env.sent(call))?;
            let body = codearts::check::types::RunRequestV2::default();
            let t = "/v2/tasks/{task_id}/run";
            outcome("RunTask", "task_id", &v, t, env.sent(k.run_task().task_id(&v).body(body).call()))?;

            // A query parameter with a format.
            let call = c.download_keystore().file_name("android.keystore").domain_id(&v).call();
            let (result, requests) = env.sent(call);
            if format_of("DownloadKeystore", "domain_id").check(&v).is_ok() {
                query_arrives(
                    "/v3/keystore",
                    &[("file_name", "android.keystore"), ("domain_id", &v)],
                    (result, requests),
                )?;
            } else {
                prop_assert!(requests.is_empty());
                prop_assert_eq!(result.err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
            }

            // A query parameter with a length: any string of that length arrives as given.
            let path = format!("/v4/{RECORD}/task-log");
            let call = c.download_task_log().record_id(RECORD).task_name(&v).call();
            let (result, requests) = env.sent(call);
            if format_of("DownloadTaskLog", "task_name").check(&v).is_ok() {
                query_arrives(&path, &[("task_name", &v)], (result, requests))?;
            } else {
                prop_assert!(requests.is_empty());
                prop_assert_eq!(result.err().map(|e| e.kind()), Some(ErrorKind::InvalidInput));
            }
            // Query parameters without a format: any string arrives as given.
            let path = format!("/v3/jobs/{PROJECT}/last-history");
            let call = c.show_last_history().project_id(PROJECT).repository_name(&v).call();
            query_arrives(&path, &[("repository_name", &v)], env.sent(call))?;

            // An integer path parameter: its decimal form, in its own segment.
            let (_, requests) = env.sent(c.stop_build_job().job_id(JOB).build_no(n).call());
            prop_assert_eq!(requests.len(), 1);
            prop_assert_eq!(&requests[0].path, &format!("/v3/jobs/{JOB}/{n}/stop"));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_traversal_attempt_is_a_clear_error_and_nothing_is_sent() {
    let env = Env::new();
    let (result, requests) = env.sent(env.build.show_job_status().job_id("abc/../x").call());
    let e = result.unwrap_err();
    assert!(requests.is_empty(), "{requests:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.operation(), Some("ShowJobStatus"));
    assert_eq!(e.message(), Some("job_id \"abc/../x\" is not a valid job ID (32 letters and digits)"));
    assert_eq!(
        e.to_string(),
        "ShowJobStatus: invalid input: job_id \"abc/../x\" is not a valid job ID (32 letters and digits)"
    );

    // progenitor's own `send()` goes through the same check.
    let (result, requests) =
        env.sent(async { env.build.show_job_status().job_id("..").send().await.map_err(Error::from) });
    assert!(requests.is_empty());
    let e = result.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.message(), Some("job_id \"..\" is not a valid job ID (32 letters and digits)"));

    // A keystore permission ID has no documented format, but `..` still cannot be sent.
    let (result, requests) = env.sent(env.build.delete_keystore_permission().permission_id("..").call());
    assert!(requests.is_empty());
    assert_eq!(
        result.unwrap_err().message(),
        Some("permission_id \"..\" cannot be sent: \".\" and \"..\" would change the request path")
    );

    // The reference's own IDs pass.
    let (result, requests) = env.sent(env.build.show_job_status().job_id(JOB).call());
    assert!(result.is_ok(), "{:?}", result.err());
    assert_eq!(requests[0].path, format!("/v3/jobs/{JOB}/status"));
}

#[test]
fn query_formats_are_checked_too() {
    let env = Env::new();
    let (result, requests) = env.sent(
        env.build
            .download_keystore()
            .file_name("android.keystore")
            .domain_id("60021BAB32FD450AA2CB89226F425E06")
            .call(),
    );
    assert!(requests.is_empty());
    let Err(e) = result else { panic!("a malformed tenant ID was accepted") };
    assert_eq!(e.operation(), Some("DownloadKeystore"));
    assert_eq!(
        e.message(),
        Some(
            "domain_id \"60021BAB32FD450AA2CB89226F425E06\" is not a valid tenant ID (32 digits and lowercase letters)"
        )
    );
    assert!(Location::Query == format_of("DownloadKeystore", "domain_id").location);
}
