//! Property-based fuzzing (proptest) of everything that reads untrusted input: the response decoding
//! of every operation, the tolerant error-body parser, and the AK/SK signer's canonicalisation.
//!
//! Each property runs `PROPTEST_CASES` cases (proptest's default, 256, unless set), so
//! `cargo test --test fuzz` takes seconds; BENCHMARKS.md records a run of 1,000,000 cases each:
//!
//! ```sh
//! PROPTEST_CASES=1000000 cargo test --release --test fuzz
//! ```
//!
//! Decoding is fuzzed through the same functions `.call()` uses (the generated code's
//! `serde_json::from_slice` into the operation's output type, the runtime's `Operation::decode_path`,
//! the conversion into `codearts::Error`), with no server in between, so a million cases take
//! minutes; `call_survives_any_answer` then drives real `.call()`s through a loopback server for a
//! tenth of the cases. Path-parameter encoding is fuzzed in tests/input_safety.rs.
#![cfg(all(feature = "build", feature = "check", feature = "pipeline"))]

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codearts::auth::signer::{canonical_query, canonical_request};
use codearts::auth::{AkSk, Signer};
use codearts::build::ResponseValue;
use codearts::error::{ErrorBody, SNIPPET_MAX_CHARS, parse};
use codearts::runtime::Operation;
use codearts::{CallExt, ErrorKind};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

// --- every operation's decoding -----------------------------------------------------------------

/// One operation's decoding, as `.call()` runs it.
struct Op {
    service: &'static str,
    id: &'static str,
    /// Everything `.call()` does with a body: the 200 decode (JSON operations) and the error-body
    /// decode and conversion (all operations).
    decode: fn(&[u8]) -> Result<(), TestCaseError>,
}

/// A JSON operation's 200 body and error body.
fn decode_json<O>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    O: Operation,
    O::Output: DeserializeOwned + Serialize + PartialEq + Debug,
    O::ErrorBody: DeserializeOwned + Serialize,
{
    // What progenitor's `ResponseValue::from_response` does with a 200 body.
    match serde_json::from_slice::<O::Output>(bytes) {
        Ok(value) => {
            // The runtime only asks for a path when decoding failed; it must never invent one.
            prop_assert_eq!(O::decode_path(bytes), None, "{}: a path for a body that decodes", O::META.id);
            // What decodes re-encodes to something that decodes to the same value: no field is
            // read under one name and written under another, no value is lost on the way.
            let again = serde_json::to_vec(&value).map_err(|e| TestCaseError::fail(format!("re-encoding: {e}")))?;
            let back: O::Output = serde_json::from_slice(&again)
                .map_err(|e| TestCaseError::fail(format!("{}: re-encoded value does not decode: {e}", O::META.id)))?;
            prop_assert_eq!(back, value);
        }
        Err(e) => {
            let data_error = e.is_data();
            // What `.call()` does with a body that does not decode: the JSON path of the failure,
            // then the conversion into `codearts::Error`.
            let path = O::decode_path(bytes);
            if data_error {
                prop_assert!(path.is_some(), "{}: no JSON path for a body of the wrong shape", O::META.id);
            }
            let error = codearts::Error::from(codearts::build::Error::<O::ErrorBody>::InvalidResponsePayload(
                Bytes::copy_from_slice(bytes),
                e,
            ));
            prop_assert_eq!(error.kind(), ErrorKind::Decode);
            let _ = (error.to_string(), format!("{error:?}"));
        }
    }
    decode_error_body::<O>(bytes)
}

/// The documented error body (progenitor decodes it for documented error statuses), its conversion
/// into `codearts::Error`, and the tolerant parser the runtime applies to the raw body.
fn decode_error_body<O>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    O: Operation,
    O::ErrorBody: DeserializeOwned + Serialize,
{
    if let Ok(body) = serde_json::from_slice::<O::ErrorBody>(bytes) {
        let value = ResponseValue::new(body, reqwest::StatusCode::BAD_REQUEST, reqwest::header::HeaderMap::new());
        let error = codearts::Error::from(codearts::build::Error::<O::ErrorBody>::ErrorResponse(value));
        prop_assert_eq!(error.kind(), ErrorKind::Service);
        prop_assert_eq!(error.status(), Some(400));
        let _ = (error.to_string(), format!("{error:?}"));
    }
    let _ = parse(Some("application/json"), bytes);
    Ok(())
}

/// Downloads: a 200 body is handed over as a stream, so only error bodies are decoded.
fn decode_download<O>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    O: Operation,
    O::ErrorBody: DeserializeOwned + Serialize,
{
    decode_error_body::<O>(bytes)
}

/// The operations of one service, from its generated `for_each_operation!` (so every operation of
/// every spec is fuzzed, and none is listed by hand).
macro_rules! operations_of {
    ($service:ident; $( $kind:ident $op:ident ),* $(,)?) => {
        vec![$(operations_of!(@one $service $kind $op)),*]
    };
    (@one $service:ident json $op:ident) => {
        Op {
            service: stringify!($service),
            id: <codearts::$service::builder::$op<'static> as Operation>::META.id,
            decode: decode_json::<codearts::$service::builder::$op<'static>>,
        }
    };
    (@one $service:ident download $op:ident) => {
        Op {
            service: stringify!($service),
            id: <codearts::$service::builder::$op<'static> as Operation>::META.id,
            decode: decode_download::<codearts::$service::builder::$op<'static>>,
        }
    };
}

/// Every operation of every spec.
fn operations() -> Vec<Op> {
    let mut all: Vec<Op> = codearts::build::for_each_operation!(operations_of);
    all.extend(codearts::check::for_each_operation!(operations_of));
    all.extend(codearts::pipeline::for_each_operation!(operations_of));
    all
}

fn decode_everywhere(ops: &[Op], bytes: &[u8]) -> Result<(), TestCaseError> {
    for op in ops {
        (op.decode)(bytes).map_err(|e| TestCaseError::fail(format!("{} {}: {e}", op.service, op.id)))?;
    }
    Ok(())
}

#[test]
fn every_operation_is_fuzzed() {
    let fuzzed: BTreeSet<(&str, &str)> = operations().iter().map(|op| (op.service, op.id)).collect();
    let declared: BTreeSet<(&str, &str)> = codearts::build::operations::OPERATIONS
        .iter()
        .map(|m| ("build", m.id))
        .chain(codearts::check::operations::OPERATIONS.iter().map(|m| ("check", m.id)))
        .chain(codearts::pipeline::operations::OPERATIONS.iter().map(|m| ("pipeline", m.id)))
        .collect();
    assert_eq!(fuzzed, declared, "every operation of every spec is fuzzed");
}

/// The documented success examples of every spec (the corrected version where there is one), with
/// the operation each belongs to, as the specs reference them.
fn examples() -> &'static [(&'static str, String, Vec<u8>)] {
    static EXAMPLES: std::sync::OnceLock<Vec<(&'static str, String, Vec<u8>)>> = std::sync::OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
        let mut out = Vec::new();
        for (service, file) in
            [("build", "codearts-build.yaml"), ("check", "codearts-check.yaml"), ("pipeline", "codearts-pipeline.yaml")]
        {
            let spec = codearts_codegen::errata::load_yaml(&root.join(file)).expect("a spec");
            for ex in codearts_codegen::errata::examples_of(&spec) {
                let success = ex.media_pointer.contains("/responses/2");
                if ex.location != codearts_codegen::errata::Location::Response
                    || !success
                    || !ex.media_type.contains("json")
                {
                    continue;
                }
                let path = root.join(&ex.file);
                let corrected = path.parent().unwrap().join("corrected").join(path.file_name().unwrap());
                let path = if corrected.exists() { corrected } else { path };
                out.push((service, ex.operation.clone(), std::fs::read(&path).expect("an example")));
            }
        }
        assert!(out.len() >= 200, "the documented examples are found");
        out
    })
}

#[test]
fn every_example_belongs_to_an_operation() {
    let ids: BTreeSet<&str> = operations().iter().map(|op| op.id).collect();
    for (_, id, _) in examples() {
        assert!(ids.contains(id.as_str()), "example of unknown operation {id}");
    }
}

/// Property names and enumerated values of both specs: arbitrary JSON built from them reaches the
/// generated types' fields with values of every type instead of bouncing off unknown keys.
fn vocabulary() -> &'static [String] {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        fn walk(value: &Value, out: &mut BTreeSet<String>) {
            match value {
                Value::Object(map) => {
                    for (key, inner) in map {
                        match (key.as_str(), inner) {
                            ("properties", Value::Object(props)) => out.extend(props.keys().cloned()),
                            ("enum", Value::Array(values)) => {
                                out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_owned)))
                            }
                            _ => {}
                        }
                        walk(inner, out);
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut words = BTreeSet::new();
        for spec in ["spec/codearts-build.yaml", "spec/codearts-check.yaml"] {
            let text =
                std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(spec)).expect("the spec");
            let value: Value = serde_norway::from_str(&text).expect("the spec parses");
            walk(&value, &mut words);
        }
        assert!(words.len() > 100, "the specs' property names are found");
        words.into_iter().collect()
    })
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![3 => select(vocabulary()), 1 => "[a-z_]{0,10}", 1 => any::<String>()]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Boundaries of the generated integer types (i32 counts, i64 timestamps).
        select(vec![i32::MIN as i64 - 1, i32::MAX as i64 + 1, -1, 0, 1, i64::MAX, i64::MIN]).prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("JSON has no NaN or infinity", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        select(vocabulary()).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// One change to a JSON document: a node (chosen by `Index` among all of them) replaced, removed or
/// duplicated.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(Index, Value),
    Remove(Index),
    Duplicate(Index),
    Insert(Index, String, Value),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), arb_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        2 => (any::<Index>(), arb_key(), arb_json()).prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
    ]
}

/// JSON pointers of every node of `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                pointers(inner, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                pointers(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn mutate(doc: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match mutation {
        Mutation::Replace(i, v) => {
            if let Some(node) = doc.pointer_mut(&pick(i)) {
                *node = v.clone();
            }
        }
        Mutation::Remove(i) | Mutation::Duplicate(i) => {
            let pointer = pick(i);
            let Some((parent, last)) = pointer.rsplit_once('/') else { return };
            let duplicate = matches!(mutation, Mutation::Duplicate(_));
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    let key = last.replace("~1", "/").replace("~0", "~");
                    if !duplicate {
                        map.remove(&key);
                    }
                }
                Some(Value::Array(items)) => {
                    let n: usize = last.parse().unwrap_or(0);
                    if n < items.len() {
                        if duplicate {
                            let copy = items[n].clone();
                            items.insert(n, copy);
                        } else {
                            items.remove(n);
                        }
                    }
                }
                _ => {}
            }
        }
        Mutation::Insert(i, key, v) => match doc.pointer_mut(&pick(i)) {
            Some(Value::Object(map)) => {
                map.insert(key.clone(), v.clone());
            }
            Some(Value::Array(items)) => items.push(v.clone()),
            _ => {}
        },
    }
}

/// Byte-level damage: what a proxy that truncates or corrupts a body does.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(Index),
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<Index>().prop_map(Damage::Truncate),
        (any::<Index>(), 1..=255u8).prop_map(|(i, b)| Damage::Flip(i, b)),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Damage::Insert(i, b)),
        (any::<Index>(), 1..64usize).prop_map(|(i, n)| Damage::Delete(i, n)),
    ]
}

fn damage(bytes: &mut Vec<u8>, damage: &Damage) {
    let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    match damage {
        Damage::Truncate(i) => bytes.truncate(at(i, bytes.len())),
        Damage::Flip(i, b) => {
            if !bytes.is_empty() {
                let n = at(i, bytes.len());
                bytes[n] ^= b;
            }
        }
        Damage::Insert(i, b) => {
            let n = at(i, bytes.len() + 1);
            bytes.splice(n..n, b.iter().copied());
        }
        Damage::Delete(i, len) => {
            let n = at(i, bytes.len());
            let end = (n + len).min(bytes.len());
            bytes.drain(n..end);
        }
    }
}

fn ops() -> &'static [Op] {
    static OPS: std::sync::OnceLock<Vec<Op>> = std::sync::OnceLock::new();
    OPS.get_or_init(operations)
}

proptest! {
    /// Arbitrary bytes as the body of every operation.
    #[test]
    fn any_bytes_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everywhere(ops(), &bytes)?;
    }

    /// Arbitrary JSON (keys and enum values drawn mostly from the specs) as every operation's body.
    #[test]
    fn any_json_decodes_or_fails_cleanly(value in arb_json()) {
        decode_everywhere(ops(), &serde_json::to_vec(&value).expect("JSON"))?;
    }

    /// The documented examples, changed node by node and then damaged byte by byte, as their own
    /// operation's body and every other's.
    #[test]
    fn mutated_examples_decode_or_fail_cleanly(
        which in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 0..4),
        damages in prop::collection::vec(arb_damage(), 0..3),
    ) {
        let (service, id, original) = &examples()[which.index(examples().len())];
        let mut bytes = match serde_json::from_slice::<Value>(original) {
            Ok(mut doc) => {
                for m in &mutations {
                    mutate(&mut doc, m);
                }
                serde_json::to_vec(&doc).expect("JSON")
            }
            // An example the vendor printed as invalid JSON (see spec/errata) is damaged as is.
            Err(_) => original.clone(),
        };
        for d in &damages {
            damage(&mut bytes, d);
        }
        let own: Vec<&Op> = ops().iter().filter(|op| op.service == *service && op.id == id).collect();
        prop_assert_eq!(own.len(), 1);
        (own[0].decode)(&bytes)?;
        decode_everywhere(ops(), &bytes)?;
    }
}

// --- the error-body parser ----------------------------------------------------------------------

const CODE_KEYS: &[&str] = &["error_code", "errorCode", "code"];
const MESSAGE_KEYS: &[&str] = &["error_msg", "errorMsg", "message"];
const REQUEST_ID_KEYS: &[&str] = &["request_id", "requestId"];

/// The documented rule for one field: the first key whose value is a non-blank string (trimmed) or
/// a number (as text).
fn expected_text(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.get(*key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn check_snippet_invariants(parsed: &ErrorBody) -> Result<(), TestCaseError> {
    if parsed.code.is_some() || parsed.message.is_some() {
        prop_assert_eq!(&parsed.raw_snippet, &None, "a snippet beside a code or message");
    }
    if let Some(snippet) = &parsed.raw_snippet {
        prop_assert!(!snippet.is_empty());
        prop_assert!(snippet.chars().count() <= SNIPPET_MAX_CHARS, "snippet of {} chars", snippet.chars().count());
        prop_assert!(!snippet.starts_with(' ') && !snippet.ends_with(' '));
        prop_assert!(!snippet.contains("  "));
        prop_assert!(snippet.chars().all(|c| c == ' ' || !(c.is_whitespace() || c.is_control())));
    }
    Ok(())
}

fn arb_error_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[ \t]{0,2}[A-Za-z0-9.]{0,12}[ \t\n]{0,2}".prop_map(Value::from),
        arb_leaf(),
        Just(Value::from("   ")),
        Just(Value::Array(vec![])),
        Just(Value::Object(Map::new())),
    ]
}

/// An object with some of the recognised keys (any types of value) and some noise.
fn arb_error_object() -> impl Strategy<Value = Map<String, Value>> {
    let key = select([CODE_KEYS, MESSAGE_KEYS, REQUEST_ID_KEYS, &["title", "error", "status"][..]].concat());
    prop::collection::vec((key, arb_error_value()), 0..7)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

proptest! {
    /// Any bytes: no panic, a bounded clean snippet exactly when nothing was recognised, and the
    /// content type is only a hint.
    #[test]
    fn error_parser_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024), html in any::<bool>()) {
        let parsed = parse(None, &bytes);
        check_snippet_invariants(&parsed)?;
        let content_type = if html { "text/html" } else { "application/json;charset=UTF-8" };
        prop_assert_eq!(parse(Some(content_type), &bytes), parsed);
    }

    /// JSON objects of the recognised shapes with values of every type, nested under `error` or
    /// not, behind any whitespace and an optional byte order mark: the documented rules hold.
    #[test]
    fn error_parser_follows_the_documented_rules(
        top in arb_error_object(),
        nested in prop::option::of(arb_error_object()),
        bom in any::<bool>(),
        padding in "[ \t\r\n]{0,3}",
    ) {
        let mut object = top;
        if let Some(nested) = &nested {
            object.insert("error".into(), Value::Object(nested.clone()));
        }
        let mut body = Vec::new();
        if bom {
            body.extend_from_slice(b"\xEF\xBB\xBF");
        }
        body.extend_from_slice(padding.as_bytes());
        body.extend_from_slice(&serde_json::to_vec(&object).expect("JSON"));
        let parsed = parse(Some("application/json"), &body);

        let inner = nested.as_ref();
        let field = |keys: &[&str]| expected_text(&object, keys).or_else(|| inner.and_then(|n| expected_text(n, keys)));
        prop_assert_eq!(&parsed.code, &field(CODE_KEYS));
        prop_assert_eq!(&parsed.message, &field(MESSAGE_KEYS));
        prop_assert_eq!(&parsed.request_id, &field(REQUEST_ID_KEYS));
        check_snippet_invariants(&parsed)?;
        // What `.call()` then reports for a documented error status.
        if let Some(code) = &parsed.code {
            let _ = codearts::build::operations::SERVICE.error_code(code);
        }
    }

    /// A documented error body of any content becomes a service error with its status, code and
    /// message, whatever they are.
    #[test]
    fn documented_error_bodies_convert(
        code in prop::option::of(any::<String>()),
        message in prop::option::of(any::<String>()),
        status in 400u16..600,
    ) {
        let body: codearts::build::types::ErrorResponse =
            codearts::build::types::ErrorResponse::builder().error_code(code.clone()).error_msg(message.clone()).try_into().unwrap();
        let status = reqwest::StatusCode::from_u16(status).expect("a status");
        let value = ResponseValue::new(body, status, reqwest::header::HeaderMap::new());
        let error = codearts::Error::from(codearts::build::Error::ErrorResponse(value));
        prop_assert_eq!(error.kind(), ErrorKind::Service);
        prop_assert_eq!(error.status(), Some(status.as_u16()));
        let expected = code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        prop_assert_eq!(error.code(), expected);
        let _ = (error.to_string(), format!("{error:?}"), error.is_retryable(), error.is_throttled());
    }
}

// --- the signer ---------------------------------------------------------------------------------

/// A header as a test might set one: a name (some of them the signer treats specially) and bytes.
fn arb_header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let name = prop_oneof![
        select(vec![
            "host",
            "x-sdk-date",
            "authorization",
            "content-type",
            "x-security-token",
            "x-project-id",
            "accept",
            "api-version",
            "x_underscore",
            "X-Mixed-Case",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,16}",
        any::<String>(),
    ];
    let value = prop_oneof![
        "[ \t]{0,2}[ -~]{0,24}[ \t]{0,2}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..24),
    ];
    (name, value)
}

fn arb_url() -> impl Strategy<Value = url::Url> {
    let base = select(vec![
        "https://build-backend.eu-west-101.myhuaweicloud.eu",
        "http://127.0.0.1:8937",
        "https://[::1]:443",
        "http://example.com:80",
        "https://xn--bcher-kva.example",
    ]);
    let path = prop_oneof!["(/[a-zA-Z0-9%._~ -]{0,8}){0,5}", any::<String>()];
    let query =
        prop_oneof![prop::collection::vec((any::<String>(), any::<String>()), 0..5).prop_map(Some), Just(None),];
    let raw_query = prop::option::of(prop_oneof!["[a-z0-9=&%+ ]{0,24}", any::<String>()]);
    (base, path, query, raw_query).prop_map(|(base, path, query, raw)| {
        let mut url = url::Url::parse(base).expect("a base URL");
        url.set_path(&path);
        if let Some(pairs) = query {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(&k, &v);
            }
        }
        if let Some(raw) = raw {
            url.set_query(Some(&raw));
        }
        url
    })
}

fn arb_time() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        // 1970 to 2100: the times that matter.
        (0u64..4_102_444_800).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        // Beyond year 9999, and before 1970: both must be errors, not panics.
        (253_402_300_800u64..u64::MAX / 4).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        (1u64..1_000_000_000).prop_map(|s| UNIX_EPOCH - Duration::from_secs(s)),
    ]
}

fn header_map(headers: &[(String, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) {
            map.append(name, value);
        }
    }
    map
}

/// The signature as the module docs define it, written as plainly as possible (every step
/// allocates, nothing is special-cased): the oracle for `Signer`'s optimised implementation.
fn reference_authorization(
    ak: &str,
    sk: &str,
    method: &str,
    url: &url::Url,
    headers: &HeaderMap,
    body: &[u8],
    sign_host: bool,
) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    const UNRESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let encode = |bytes: &[u8]| percent_encoding::percent_encode(bytes, UNRESERVED).to_string();
    let mut uri = url
        .path()
        .split('/')
        .map(|segment| encode(&percent_encoding::percent_decode_str(segment).collect::<Vec<u8>>()))
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    pairs.sort();
    let query =
        pairs.iter().map(|(k, v)| format!("{}={}", encode(k.as_bytes()), encode(v.as_bytes()))).collect::<Vec<_>>();
    let mut names: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| !n.contains('_') && *n != "content-type" && *n != "authorization" && (sign_host || *n != "host"))
        .collect();
    names.sort();
    names.dedup();
    let mut canonical = format!("{method}\n{uri}\n{}\n", query.join("&"));
    for name in &names {
        let mut values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| String::from_utf8(v.as_bytes().to_vec()).expect("signed values are UTF-8").trim().to_owned())
            .collect();
        values.sort();
        for value in values {
            canonical.push_str(&format!("{name}:{value}\n"));
        }
    }
    canonical.push_str(&format!("\n{}\n{}", names.join(";"), hex::encode(Sha256::digest(body))));
    let date = headers["x-sdk-date"].to_str().expect("a date");
    let string_to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(sk.as_bytes()).expect("any key");
    mac.update(string_to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature={signature}", names.join(";"))
}

/// The query and path shapes the signer's fast paths must tell apart from the general case (the
/// first, `==`, is what this fuzzing found: a second `=` belongs to the value and is encoded).
#[test]
fn signer_fast_paths_agree_with_the_reference() {
    let signer = Signer::new(AkSk::new("AK", "SK"));
    for target in [
        "/v3/jobs?==",
        "/v3/jobs?a=b=c",
        "/v3/jobs?a&&b=",
        "/v3/jobs?=x&a",
        "/v3/jobs?a=%3D&b=+",
        "/v3/jobs?page_size=10&page_index=0",
        "/v3/a%2Fb/jobs",
        "/v3/a b/~x/",
        "",
    ] {
        let url = url::Url::parse(&format!("https://example.com{target}")).unwrap();
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        signer.sign(&mut request, UNIX_EPOCH + Duration::from_secs(1_700_000_000)).unwrap();
        let headers = request.headers();
        let expected = reference_authorization("AK", "SK", "GET", request.url(), headers, b"", true);
        assert_eq!(headers["authorization"], expected.as_str(), "{target}");
        assert_eq!(headers["x-sdk-date"], "20231114T221320Z");
    }
}

proptest! {
    /// Any method, URL, headers, body, time and credentials: signing never panics; on success the
    /// signature is the one the module docs define (checked against a plain re-implementation) and
    /// the one the public parts give, and signing again changes nothing; on failure the request is
    /// untouched.
    #[test]
    fn signing_any_request(
        method in prop_oneof![select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]).prop_map(str::to_owned), "[A-Z]{1,10}"],
        url in arb_url(),
        headers in prop::collection::vec(arb_header(), 0..8),
        body in prop::option::of(prop::collection::vec(any::<u8>(), 0..256)),
        now in arb_time(),
        ak in prop_oneof![3 => Just("HPUAEXAMPLEAK".to_owned()), 1 => any::<String>()],
        sk in prop_oneof![3 => Just("example-secret".to_owned()), 1 => any::<String>()],
        token in prop::option::of(prop_oneof!["[A-Za-z0-9+/=]{1,40}", any::<String>()]),
        sign_host in any::<bool>(),
    ) {
        let mut credentials = AkSk::new(ak.clone(), sk.clone());
        if let Some(token) = token {
            credentials = credentials.with_security_token(token);
        }
        let signer = Signer::new(credentials).sign_host(sign_host);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
        let mut request = reqwest::Request::new(method, url);
        *request.headers_mut() = header_map(&headers);
        if let Some(body) = &body {
            *request.body_mut() = Some(reqwest::Body::from(body.clone()));
        }
        let before = request.headers().clone();
        match signer.sign(&mut request, now) {
            Err(_) => prop_assert_eq!(request.headers(), &before, "a failed signing changed the request"),
            Ok(()) => {
                let signed_headers = request.headers().clone();
                // UTF-8, not necessarily ASCII: an AK of any text is sent as is.
                let authorization = String::from_utf8(signed_headers["authorization"].as_bytes().to_vec())
                    .map_err(|e| TestCaseError::fail(format!("Authorization is not UTF-8: {e}")))?;
                let signed = signer.signed_headers(&signed_headers);
                let prefix = format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={}, Signature=", signed.join(";"));
                prop_assert!(authorization.starts_with(&prefix), "{authorization}");
                let signature = &authorization[prefix.len()..];
                prop_assert!(signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
                prop_assert!(signed.iter().any(|h| h == "x-sdk-date"));
                prop_assert!(!signed.iter().any(|h| h == "authorization" || h == "content-type" || h.contains('_')));
                prop_assert_eq!(sign_host, signed.iter().any(|h| h == "host"));
                let body = body.unwrap_or_default();
                let method = request.method().as_str();
                let expected = reference_authorization(&ak, &sk, method, request.url(), &signed_headers, &body, sign_host);
                prop_assert_eq!(&authorization, &expected);
                // X-Sdk-Date against the `time` crate's formatting of the same instant.
                let since = now.duration_since(UNIX_EPOCH).expect("after 1970");
                let utc = time::OffsetDateTime::UNIX_EPOCH + since;
                let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
                let date = utc.format(&format).expect("a date");
                prop_assert_eq!(signed_headers["x-sdk-date"].to_str().ok(), Some(date.as_str()));
                // The same signature from the public parts (`Signer::authorization`).
                let again = signer.authorization(request.method().as_str(), request.url(), &signed_headers, &body);
                prop_assert_eq!(again.ok(), Some(authorization.clone()));
                // Signing a signed request again at the same time changes nothing.
                signer.sign(&mut request, now).map_err(|e| TestCaseError::fail(format!("re-signing: {e}")))?;
                prop_assert_eq!(request.headers(), &signed_headers);
            }
        }
    }

    /// The canonical query is independent of the pairs' order, uses only the unreserved set, `%XX`,
    /// `=` and `&`, and decodes back to exactly the sorted pairs.
    #[test]
    fn canonical_query_is_order_independent_and_reversible(
        pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..8).prop_shuffle(),
        seed in any::<u64>(),
    ) {
        let canonical = canonical_query(&pairs);
        let mut shuffled = pairs.clone();
        // A second, different order.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(canonical_query(&shuffled), canonical.clone());
        prop_assert!(canonical.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%=&".contains(&b)), "{canonical}");
        let mut sorted = pairs.clone();
        sorted.sort();
        let decoded: Vec<(String, String)> = if pairs.is_empty() {
            prop_assert_eq!(&canonical, "");
            Vec::new()
        } else {
            canonical
                .split('&')
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("k=v");
                    let d = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().expect("UTF-8").into_owned();
                    (d(k), d(v))
                })
                .collect()
        };
        prop_assert_eq!(decoded, sorted);
    }

    /// The canonical request is deterministic and does not depend on the order headers were added
    /// in (names sorted, repeated values sorted).
    #[test]
    fn canonical_request_is_independent_of_header_order(
        url in arb_url(),
        headers in prop::collection::vec(arb_header(), 0..8).prop_shuffle(),
        body in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let signer = Signer::new(AkSk::new("AK", "SK"));
        let forward = header_map(&headers);
        let mut reversed_list = headers.clone();
        reversed_list.reverse();
        let reversed = header_map(&reversed_list);
        let signed = signer.signed_headers(&forward);
        prop_assert_eq!(&signed, &signer.signed_headers(&reversed));
        let a = canonical_request("POST", &url, &forward, &signed, &body);
        prop_assert_eq!(&a, &canonical_request("POST", &url, &forward, &signed, &body));
        prop_assert_eq!(&a, &canonical_request("POST", &url, &reversed, &signed, &body));
        // Method, URI (always ending in `/`), query, one line per value, names, hash.
        let mut lines = a.lines();
        prop_assert_eq!(lines.next(), Some("POST"));
        let uri = lines.next().unwrap_or_default();
        prop_assert!(uri.starts_with('/') && uri.ends_with('/'), "{uri}");
        prop_assert!(a.ends_with(&hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body))));
    }
}

// --- whole calls through a loopback server ------------------------------------------------------

/// What the loopback server answers next.
#[derive(Debug, Clone, Default)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

struct Loopback {
    runtime: tokio::runtime::Runtime,
    client: codearts::build::Client,
    answer: Arc<Mutex<Answer>>,
}

fn loopback() -> &'static Loopback {
    static LOOPBACK: std::sync::OnceLock<Loopback> = std::sync::OnceLock::new();
    LOOPBACK.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let answer = Arc::new(Mutex::new(Answer::default()));
        let shared = answer.clone();
        let base = runtime.block_on(async move {
            let app = axum::Router::new().fallback(move || {
                let shared = shared.clone();
                async move {
                    let answer = shared.lock().unwrap().clone();
                    let mut response = axum::response::Response::new(axum::body::Body::from(answer.body));
                    *response.status_mut() = axum::http::StatusCode::from_u16(answer.status).unwrap();
                    if let Some(ct) = answer.content_type.and_then(|ct| axum::http::HeaderValue::from_str(&ct).ok()) {
                        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
                    }
                    response
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            base
        });
        // No retries: an answer is what one attempt gets, and no backoff sleeps slow the cases.
        let config = codearts::Config::builder()
            .endpoint(codearts::region::Service::Build, &base)
            .credentials(codearts::credentials::Credentials::token("fuzz-token"))
            .retry(codearts::retry::RetryPolicy::none())
            .build()
            .unwrap();
        let client = codearts::build::Client::from_config(&config).unwrap();
        Loopback { runtime, client, answer }
    })
}

fn arb_answer() -> impl Strategy<Value = Answer> {
    let status = prop_oneof![
        4 => Just(200u16),
        3 => select(vec![201u16, 202, 204, 299, 304, 400, 401, 403, 404, 405, 409, 418, 429, 500, 502, 503, 504, 599]),
    ];
    let content_type = prop::option::of(select(vec![
        "application/json",
        "application/json;charset=UTF-8",
        "text/html",
        "text/plain",
        "application/octet-stream",
    ]));
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        arb_json().prop_map(|v| serde_json::to_vec(&v).expect("JSON")),
        (any::<Index>(), any::<Index>()).prop_map(|(which, cut)| {
            // A documented example, cut short.
            let (_, _, example) = &examples()[which.index(examples().len())];
            example[..cut.index(example.len() + 1)].to_vec()
        }),
        (arb_error_object()).prop_map(|o| serde_json::to_vec(&o).expect("JSON")),
    ];
    (status, content_type, body).prop_map(|(status, content_type, body)| Answer {
        status,
        content_type: content_type.map(str::to_owned),
        body,
    })
}

/// A typed outcome, for any status and body, through the real `.call()`.
fn check_call<T: Debug>(answer: &Answer, result: Result<T, codearts::Error>) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => prop_assert_eq!(answer.status, 200, "only a 200 gives a value"),
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"));
            prop_assert!(e.operation().is_some());
            if answer.status >= 400 {
                prop_assert_eq!(e.kind(), ErrorKind::Service);
                prop_assert_eq!(e.status(), Some(answer.status));
                // The raw body reached the tolerant parser, whatever progenitor made of it.
                let parsed = parse(None, &answer.body);
                prop_assert_eq!(e.code(), parsed.code.as_deref());
            } else {
                prop_assert_eq!(e.kind(), ErrorKind::Decode);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // A real HTTP exchange per case: a tenth of the configured cases (at least 32).
        cases: (ProptestConfig::default().cases / 10).max(32),
        ..ProptestConfig::default()
    })]

    /// Any status, content type and body, as the answer to a small read, the largest list, a POST
    /// that starts a build, and a download read to its end.
    #[test]
    fn call_survives_any_answer(answer in arb_answer(), op in 0..4usize) {
        let lb = loopback();
        *lb.answer.lock().unwrap() = answer.clone();
        let client = &lb.client;
        lb.runtime.block_on(async {
            match op {
                0 => check_call(&answer, client.show_job_status().job_id("f9d6c8466d614a9788e9a0acf6c15f46").call().await),
                1 => check_call(&answer, client.list_templates().page("1").call().await),
                2 => {
                    let body = codearts::build::types::RunJobRequestBody::builder().job_id("f9d6c8466d614a9788e9a0acf6c15f46");
                    check_call(&answer, client.run_job().body(body).call().await)
                }
                _ => {
                    let mut sink = Vec::new();
                    let result = codearts::logs::download_build_log(client, "2cc26382-b2cb-4234-8eb0-b37d362f4d4c", &mut sink).await;
                    if let Ok(n) = &result {
                        prop_assert_eq!(*n as usize, sink.len());
                        prop_assert_eq!(&sink, &answer.body, "the log is the body, byte for byte");
                    }
                    check_call(&answer, result)
                }
            }
        })?;
    }
}
