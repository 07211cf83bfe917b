//! The per-operation round trip: for one operation of a spec, check that the generated client sends
//! the documented method, path, query and body; that the reference's 200 example decodes into the
//! typed response and re-serializes to the same JSON; and that every documented error status decodes
//! into the error schema.

use super::mock::MockServer;
use codearts_codegen::errata::{self, ExampleRef, Location};
use progenitor_client::{ByteStream, Error, ResponseValue};
use serde::Serialize;
use serde_json::{Value, json};
use std::future::Future;
use std::path::{Path, PathBuf};

/// One spec with its examples and errata, loaded once per test binary.
pub struct Spec {
    pub dir: PathBuf,
    pub doc: Value,
    pub errata: Vec<errata::Erratum>,
    pub examples: Vec<ExampleRef>,
}

impl Spec {
    pub fn load(file: &str) -> Spec {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec").join(file);
        let doc = errata::load_yaml(&path).unwrap();
        let dir = errata::spec_dir(&path);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let errata = errata::load_errata(&dir.join("errata").join(format!("{stem}.yaml"))).unwrap();
        let examples = errata::examples_of(&doc);
        Spec { dir, doc, errata, examples }
    }

    /// (method, path template, error statuses) of an operation.
    pub fn operation(&self, id: &str) -> (String, String, Vec<u16>) {
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op.get("operationId").and_then(Value::as_str) == Some(id) {
                    let statuses = op["responses"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .filter_map(|s| s.parse::<u16>().ok())
                        .filter(|s| *s >= 400)
                        .collect();
                    return (method.to_uppercase(), path.clone(), statuses);
                }
            }
        }
        panic!("no operation {id} in the spec");
    }

    fn example(&self, id: &str, location: Location) -> Option<(&ExampleRef, String)> {
        let ex = self.examples.iter().find(|x| x.operation == id && x.location == location)?;
        let raw = std::fs::read_to_string(self.dir.join(&ex.file)).unwrap();
        Some((ex, raw))
    }

    /// The example as the spec decided it (errata applied) and, if different, the raw example text.
    pub fn decided_example(&self, id: &str, location: Location) -> Option<(Value, Option<String>)> {
        let (ex, raw) = self.example(id, location)?;
        let decided = errata::corrected_example(&self.errata, ex, &raw, &self.dir).unwrap();
        let as_printed: Option<Value> = serde_json::from_str(&raw).ok();
        let differs = as_printed.as_ref() != Some(&decided);
        Some((decided, differs.then_some(raw)))
    }

    /// The request body example of an operation, as decided.
    pub fn request_example(&self, id: &str) -> Value {
        self.decided_example(id, Location::Request).expect("a request example").0
    }
}

/// What the client must put on the wire.
pub struct Expect<'a> {
    pub op: &'a str,
    /// Concrete path parameter values, in template order.
    pub path_params: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    pub body: Option<Value>,
    /// A 200 body for operations whose reference prints no example response.
    pub response: Option<Value>,
}

/// Removes `null` and empty-object members: an optional field the vendor prints as `null` (or an
/// optional free-form map it prints as `{}`) and one it leaves out mean the same to a client, and
/// the generated types omit `None` and empty maps when serializing.
pub fn strip_nulls(v: Value) -> Value {
    let absent = |v: &Value| v.is_null() || v.as_object().is_some_and(|m| m.is_empty());
    match v {
        Value::Object(m) => {
            Value::Object(m.into_iter().filter(|(_, v)| !absent(v)).map(|(k, v)| (k, strip_nulls(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        v => v,
    }
}

/// The JSON pointers at which two documents differ, with both values.
pub fn json_diff(expected: &Value, actual: &Value, at: String, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let p = format!("{at}/{}", errata::pointer_token(k));
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => json_diff(x, y, p, out),
                    (x, y) => out.push(format!("{p}: expected {x:?}, got {y:?}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                json_diff(x, y, format!("{at}/{i}"), out);
            }
        }
        // `1608004535000` and `1608004535000.0` are the same JSON number; a `number` field is f64.
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        (x, y) if x != y => out.push(format!("{at}: expected {x}, got {y}")),
        _ => {}
    }
}

#[track_caller]
pub fn assert_json_eq(expected: &Value, actual: &Value, what: &str) {
    let mut diffs = Vec::new();
    json_diff(expected, actual, String::new(), &mut diffs);
    if !diffs.is_empty() {
        let shown: Vec<String> = diffs.iter().take(20).map(|d| d.chars().take(300).collect()).collect();
        panic!("{what} differs at {} place(s):\n  {}", diffs.len(), shown.join("\n  "));
    }
}

fn concrete_path(template: &str, params: &[&str]) -> String {
    let mut values = params.iter();
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                values.next().expect("a value per path parameter").to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn check_request(server: &MockServer, spec: &Spec, expect: &Expect<'_>) {
    let (method, template, _) = spec.operation(expect.op);
    let requests = server.take_requests();
    assert_eq!(requests.len(), 1, "{}: exactly one request is sent", expect.op);
    let r = &requests[0];
    assert_eq!(r.method.as_str(), method, "{}: method", expect.op);
    assert_eq!(r.path, concrete_path(&template, expect.path_params), "{}: path", expect.op);
    let mut sent = r.query_pairs();
    let mut want: Vec<(String, String)> = expect.query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    sent.sort();
    want.sort();
    assert_eq!(sent, want, "{}: query", expect.op);
    match &expect.body {
        Some(body) => {
            assert_eq!(
                r.headers.get("content-type").and_then(|v| v.to_str().ok()),
                Some("application/json"),
                "{}: content type of the body",
                expect.op
            );
            let sent: Value = serde_json::from_slice(&r.body).expect("the body is JSON");
            assert_json_eq(&strip_nulls(body.clone()), &strip_nulls(sent), &format!("{}: request body", expect.op));
        }
        None => assert!(r.body.is_empty(), "{}: no body is sent", expect.op),
    }
}

/// Serves each documented error status with an error body and checks it decodes into `E`.
async fn check_errors<T, E, F, Fut>(server: &MockServer, spec: &Spec, expect: &Expect<'_>, call: &F)
where
    E: Serialize + std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, Error<E>>>,
{
    let (_, _, statuses) = spec.operation(expect.op);
    assert!(!statuses.is_empty(), "{}: documents error statuses", expect.op);
    for status in statuses {
        let body =
            json!({ "error_code": format!("CB.000{status}00"), "error_msg": format!("status {status} for the test") });
        server.respond_json(status, &body);
        match call().await {
            Err(Error::ErrorResponse(rv)) => {
                assert_eq!(rv.status().as_u16(), status, "{}: status", expect.op);
                assert_json_eq(
                    &body,
                    &serde_json::to_value(rv.into_inner()).unwrap(),
                    &format!("{} {status}", expect.op),
                );
            }
            Err(other) => panic!("{}: status {status} should decode into the error schema, got {other:?}", expect.op),
            Ok(v) => panic!("{}: status {status} should be an error, got Ok({})", expect.op, v.status()),
        }
        check_request(server, spec, expect);
    }
}

/// The full round trip of a JSON operation.
pub async fn round_trip<T, E, F, Fut>(server: &MockServer, spec: &Spec, expect: Expect<'_>, call: F)
where
    T: Serialize + std::fmt::Debug,
    E: Serialize + std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, Error<E>>>,
{
    let (decided, raw) = match (&expect.response, spec.decided_example(expect.op, Location::Response)) {
        (None, Some(example)) => example,
        (Some(own), None) => (own.clone(), None),
        (None, None) => panic!("{}: the reference prints no 200 example; the test must give one", expect.op),
        (Some(_), Some(_)) => panic!("{}: the reference prints a 200 example; use it", expect.op),
    };

    // The reference's 200 example, as the spec decided it, decodes and re-serializes unchanged.
    server.respond_json(200, &decided);
    let value = call().await.unwrap_or_else(|e| panic!("{}: the 200 example does not decode: {e:?}", expect.op));
    assert_eq!(value.status().as_u16(), 200);
    check_request(server, spec, &expect);
    let back = serde_json::to_value(value.into_inner()).unwrap();
    assert_json_eq(&strip_nulls(decided), &strip_nulls(back), &format!("{}: re-serialized 200 example", expect.op));

    // Where an erratum follows the table against the example, the example as printed is rejected
    // with a typed decode error (never a panic) — this is what the erratum warns users about.
    if let Some(raw) = raw {
        server.respond(200, "application/json", raw);
        match call().await {
            Err(Error::InvalidResponsePayload(..)) => {}
            other => panic!("{}: the example as printed should be a decode error, got {other:?}", expect.op),
        }
        check_request(server, spec, &expect);
    }

    check_errors(server, spec, &expect, &call).await;
}

/// The round trip of a download: bytes arrive as sent, errors decode as JSON.
pub async fn download<E, F, Fut>(server: &MockServer, spec: &Spec, expect: Expect<'_>, call: F)
where
    E: Serialize + std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<ResponseValue<ByteStream>, Error<E>>>,
{
    use futures::TryStreamExt;
    let content: Vec<u8> = (0..100_000u32).flat_map(|i| format!("[INFO] line {i}\n").into_bytes()).collect();
    server.respond(200, "application/octet-stream", content.clone());
    let value = call().await.unwrap_or_else(|e| panic!("{}: download failed: {e:?}", expect.op));
    check_request(server, spec, &expect);
    let got: Vec<u8> = value.into_inner().into_inner().map_ok(|b| b.to_vec()).try_concat().await.unwrap();
    assert_eq!(got.len(), content.len(), "{}: all bytes arrive", expect.op);
    assert!(got == content, "{}: bytes arrive unchanged", expect.op);
    check_errors(server, spec, &expect, &call).await;
}
