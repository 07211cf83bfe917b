//! Round trips of every stored example of every spec, found by walking the specs' examples (one
//! test per example file, plus one per operation that has none): each operation is called through
//! the generated client by name (`codearts::<service>::operations::CALLABLE`) against a recording
//! loopback server, with the parameters of its example request line and its request example as the
//! body, and answered with its examples.
//!
//! - a request example: the documented method, path, query, content type and body go out, once;
//! - a success example: it decodes into the typed answer and re-encodes to the same JSON (errata
//!   applied); where an erratum follows the table against the example, the example as printed is a
//!   typed decode error, never a panic;
//! - an error example (and every documented error status): a service error with that status and
//!   code;
//! - a download: the bytes arrive unchanged;
//! - retries: on 503 and 429, a gateway's HTML 502 page, a 504, a reset connection and a
//!   truncated body, an idempotent operation is sent up to the policy's attempts, any other once — and every operation that starts or creates something (`Run…`, `Create…`,
//!   `Execute…`, `Retry…`) is of the second kind, every read (`List…`, `Show…`, even as POST) of the
//!   first.
//!
//! `cargo test --test round_trips -- --list` names them all.

use std::collections::BTreeMap;
use std::sync::Arc;

use codearts::dynamic::{Answer, Callable, Input};
use codearts::region::Service;
use codearts_codegen::errata::{self, ExampleRef, Location};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};

mod support;
use support::harness::{Spec, assert_json_eq};
use support::mock::MockServer;

/// One service: its spec file, its endpoint, its callable operations.
struct ServiceUnderTest<C: 'static> {
    file: &'static str,
    endpoint: Service,
    callable: &'static [Callable<C>],
    forms: &'static [codearts::multipart::FormField],
    client: fn(&codearts::Config) -> C,
}

/// What one trial does with one operation.
#[derive(Clone)]
enum Role {
    /// Sends the request example (or none), answered with the success example (or `{}`).
    Request(Option<ExampleRef>),
    /// Answered with this success example.
    Response(ExampleRef),
    /// Answered with this error example, for that status.
    Error(ExampleRef, u16),
    /// A download.
    Download,
    /// Answered 503 (and then 429) every time: resent up to the policy's attempts when the
    /// operation is idempotent, sent once when it starts or creates something.
    Retry,
    /// Faults below the status line, each on every connection: a gateway's HTML 502 page, a 504,
    /// the connection reset once the request arrived, a body cut short. The same rule: idempotent
    /// operations are resent up to the policy's attempts, the others are sent once.
    Faults,
}

/// Operations that start or create something: never resent once they may have reached the server.
const STARTS: &[&str] = &["Create", "Run", "Execute", "Retry", "Start", "Copy", "Upload"];
/// Reads, whatever their method (POST for reads is common in Pipeline): retried.
const READS: &[&str] = &["List", "Show", "Get", "Query", "Download", "Check"];

/// Removes `null`, empty-object and empty-array members: for an optional field, the vendor's
/// `null`, `{}` or `[]` and its absence mean the same to a client (answer-only arrays re-encode as
/// `[]`).
fn normalize(v: Value) -> Value {
    let absent = |v: &Value| {
        v.is_null() || v.as_object().is_some_and(|m| m.is_empty()) || v.as_array().is_some_and(|a| a.is_empty())
    };
    match v {
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, normalize(v))).filter(|(_, v)| !absent(v)).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        v => v,
    }
}

struct Case {
    spec: Arc<Spec>,
    /// The JSON request body's schema, when the operation takes one.
    body_schema: Option<Value>,
    /// The form fields of a `multipart/form-data` body: (name, is a file).
    form: Vec<(String, bool)>,
    operation: String,
    method: String,
    template: String,
    content_type: Option<String>,
    args: Vec<(String, String)>,
    errors: Vec<u16>,
}

impl Case {
    fn input(&self, body: Option<Value>) -> Input {
        let mut input = self.args.iter().fold(Input::new(), |i, (n, v)| i.arg(n.clone(), v.clone()));
        input.body = body;
        if !self.form.is_empty() {
            let form = self.form.iter().fold(codearts::multipart::Form::new(), |f, (name, file)| match file {
                true => f.file(name.clone(), "icon.png", vec![0x89, b'P', b'N', b'G']),
                false => f.text(name.clone(), "x"),
            });
            input.form = Some(form);
        }
        input
    }

    /// The body to send: the request example as decided, or the smallest one the schema accepts.
    fn body(&self, example: Option<&ExampleRef>) -> Result<Option<Value>, Failed> {
        match (example, &self.body_schema) {
            (Some(ex), _) => Ok(Some(self.decided(ex)?.0)),
            (None, Some(schema)) => Ok(Some(support::body::minimal(&self.spec.doc, schema))),
            (None, None) => Ok(None),
        }
    }

    /// Whether the example as printed must fail to decode: an erratum that follows the table
    /// against it changes a type (or mends invalid JSON). Renamed, extra or missing fields decode,
    /// since answers are open to fields the spec does not list.
    fn printed_breaks_decoding(&self, ex: &ExampleRef) -> bool {
        self.spec.errata.iter().filter(|e| e.concerns(ex) && e.decision == errata::Decision::FollowTable).any(|e| {
            matches!(e.kind, errata::Kind::InvalidJson)
                || (e.kind == errata::Kind::Shape
                    && e.fix_value.is_none()
                    && e.table.as_ref() != Some(&json!("number")))
        })
    }

    fn decided(&self, ex: &ExampleRef) -> Result<(Value, Option<String>), Failed> {
        let raw = std::fs::read_to_string(self.spec.dir.join(&ex.file))
            .map_err(|e| Failed::from(format!("{}: {e}", ex.file)))?;
        let decided = errata::corrected_example(&self.spec.errata, ex, &raw, &self.spec.dir).map_err(Failed::from)?;
        let printed: Option<Value> = serde_json::from_str(&raw).ok();
        let differs = printed.as_ref() != Some(&decided);
        Ok((decided, differs.then_some(raw)))
    }

    /// The one request the server received, checked against the operation's method, path, query,
    /// content type and (when given) body.
    fn check_request(&self, server: &MockServer, body: Option<&Value>) -> Result<(), Failed> {
        let requests = server.take_requests();
        if requests.len() != 1 {
            return Err(format!("{} requests were sent, not one", requests.len()).into());
        }
        let r = &requests[0];
        if r.method.as_str() != self.method {
            return Err(format!("method {} is not {}", r.method, self.method).into());
        }
        let wanted_path: Vec<String> = self
            .template
            .trim_start_matches('/')
            .split('/')
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default(),
                None => s.to_string(),
            })
            .collect();
        let sent_path: Vec<String> = r
            .path
            .trim_start_matches('/')
            .split('/')
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        if sent_path != wanted_path {
            return Err(format!("path {} is not /{}", r.path, wanted_path.join("/")).into());
        }
        let path_names: Vec<&str> =
            self.template.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        let mut sent = r.query_pairs();
        let mut wanted: Vec<(String, String)> =
            self.args.iter().filter(|(n, _)| !path_names.contains(&n.as_str())).cloned().collect();
        sent.sort();
        wanted.sort();
        if sent != wanted {
            return Err(format!("query {sent:?} is not {wanted:?}").into());
        }
        if !self.form.is_empty() {
            let content_type = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if !content_type.starts_with("multipart/form-data; boundary=") {
                return Err(format!("content type {content_type:?} is not a multipart form's").into());
            }
            let text = String::from_utf8_lossy(&r.body);
            for (name, _) in &self.form {
                if !text.contains(&format!("name=\"{name}\"")) {
                    return Err(format!("the form lacks field {name}").into());
                }
            }
        }
        if let Some(body) = body {
            let content_type = r.headers.get("content-type").and_then(|v| v.to_str().ok());
            if content_type != self.content_type.as_deref() {
                return Err(format!("content type {content_type:?} is not the spec's {:?}", self.content_type).into());
            }
            let sent: Value =
                serde_json::from_slice(&r.body).map_err(|e| Failed::from(format!("the body is not JSON: {e}")))?;
            std::panic::catch_unwind(|| {
                assert_json_eq(&normalize(body.clone()), &normalize(sent.clone()), "request body")
            })
            .map_err(|_| Failed::from(format!("request body {sent} is not the example {body}")))?;
        }
        Ok(())
    }
}

fn run<C: Send + Sync + 'static>(
    service: &ServiceUnderTest<C>,
    case: &Case,
    callable: &Callable<C>,
    role: &Role,
) -> Result<(), Failed> {
    let rt =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Failed::from(e.to_string()))?;
    rt.block_on(async {
        let server = MockServer::start().await;
        let policy = match role {
            Role::Retry | Role::Faults => codearts::retry::RetryPolicy {
                max_attempts: 3,
                initial_backoff: std::time::Duration::from_millis(1),
                max_backoff: std::time::Duration::from_millis(1),
                total_budget: std::time::Duration::from_secs(30),
            },
            _ => codearts::retry::RetryPolicy::none(),
        };
        let config = codearts::Config::builder()
            .endpoint(service.endpoint, &server.base)
            .retry(policy)
            .sleep(Arc::new(support::RecordingSleep::default()))
            .build()
            .map_err(|e| Failed::from(e.to_string()))?;
        let client = (service.client)(&config);
        match role {
            Role::Faults => faults(service, case, callable).await,
            Role::Retry => {
                let id = callable.operation.id;
                let starts = STARTS.iter().any(|p| id.starts_with(p));
                let reads = READS.iter().any(|p| id.starts_with(p));
                if starts && callable.operation.idempotent {
                    return Err(format!("{id} starts or creates something but is marked idempotent").into());
                }
                if reads && !callable.operation.idempotent {
                    return Err(format!("{id} reads but is not retried (x-codearts-idempotent: true?)").into());
                }
                let expected = if callable.operation.idempotent { 3 } else { 1 };
                let body = ex_request_body(case)?;
                for (status, code) in [(503, "APIGW.0308"), (429, "APIGW.0308")] {
                    server.respond_json(status, &json!({"error_code": code, "error_msg": "busy"}));
                    let answer = (callable.call)(&client, &case.input(body.clone())).await;
                    let sent = server.take_requests().len();
                    match answer {
                        Err(e) if e.status() == Some(status) && e.attempts() as usize == sent && sent == expected => {}
                        other => {
                            return Err(format!(
                                "{status}: sent {sent} time(s), expected {expected} (idempotent: {}): {other:?}",
                                callable.operation.idempotent
                            )
                            .into());
                        }
                    }
                }
                Ok(())
            }
            Role::Request(example) => {
                let body = case.body(example.as_ref())?;
                server.respond_json(200, &json!({}));
                let input = case.input(body.clone());
                let answer = (callable.call)(&client, &input).await;
                if let Err(e) = &answer
                    && e.kind() == codearts::ErrorKind::InvalidInput
                {
                    return Err(format!("the client refused its own example: {e}").into());
                }
                case.check_request(&server, body.as_ref())
            }
            Role::Response(ex) => {
                let (decided, raw) = case.decided(ex)?;
                server.respond_json(200, &decided);
                let body = ex_request_body(case)?;
                let answer =
                    (callable.call)(&client, &case.input(body)).await.map_err(|e| Failed::from(format!("{e}")))?;
                case.check_request(&server, None)?;
                let Answer::Json(back) = answer else { return Err("a download answered a JSON example".into()) };
                let mut diffs = Vec::new();
                support::harness::json_diff(
                    &normalize(decided.clone()),
                    &normalize(back.clone()),
                    String::new(),
                    &mut diffs,
                );
                if !diffs.is_empty() {
                    return Err(format!("the example does not re-encode to itself: {}", diffs.join("; ")).into());
                }
                if let Some(raw) = raw.filter(|_| case.printed_breaks_decoding(ex)) {
                    // The example as printed contradicts the spec's types (an erratum follows the table).
                    server.respond(200, "application/json", raw);
                    let body = ex_request_body(case)?;
                    match (callable.call)(&client, &case.input(body)).await {
                        Err(e) if e.kind() == codearts::ErrorKind::Decode => {}
                        other => return Err(format!("the example as printed should not decode: {other:?}").into()),
                    }
                }
                Ok(())
            }
            Role::Error(ex, status) => {
                let (decided, _) = case.decided(ex)?;
                server.respond_json(*status, &decided);
                let body = ex_request_body(case)?;
                match (callable.call)(&client, &case.input(body)).await {
                    Err(e) if e.status() == Some(*status) => {
                        let code = decided.get("error_code").and_then(Value::as_str).map(str::trim);
                        if e.code() != code.filter(|c| !c.is_empty()) {
                            return Err(format!("code {:?} is not the example's {code:?}", e.code()).into());
                        }
                        Ok(())
                    }
                    other => Err(format!("status {status} should be a service error: {other:?}").into()),
                }
            }
            Role::Download => {
                let content: Vec<u8> = (0..20_000u32).flat_map(|i| format!("[INFO] line {i}\n").into_bytes()).collect();
                server.respond(200, "application/octet-stream", content.clone());
                let answer =
                    (callable.call)(&client, &case.input(None)).await.map_err(|e| Failed::from(e.to_string()))?;
                case.check_request(&server, None)?;
                let Answer::Download(stream) = answer else { return Err("not a download".into()) };
                use futures::TryStreamExt;
                let got: Vec<u8> = stream
                    .into_inner()
                    .map_ok(|b| b.to_vec())
                    .try_concat()
                    .await
                    .map_err(|e| Failed::from(e.to_string()))?;
                if got != content {
                    return Err(format!("{} bytes arrived, {} were sent", got.len(), content.len()).into());
                }
                for status in &case.errors {
                    let body = json!({"error_code": "TEST.001", "error_msg": format!("status {status}")});
                    server.respond_json(*status, &body);
                    match (callable.call)(&client, &case.input(None)).await {
                        Err(e) if e.status() == Some(*status) && e.code() == Some("TEST.001") => {}
                        other => return Err(format!("status {status}: {other:?}").into()),
                    }
                }
                Ok(())
            }
        }
    })
}

/// The body to send with a response or error example: the request example, if the operation has
/// one, else the smallest the schema accepts (its body may be required).
/// The [`Role::Faults`] trial: each fault on every connection of a scripted server, and the count
/// of requests that reached it.
async fn faults<C>(service: &ServiceUnderTest<C>, case: &Case, callable: &Callable<C>) -> Result<(), Failed> {
    use support::raw::{Scripted, Step};
    const GATEWAY_PAGE: &str =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
    let html_502 = || {
        let head = format!("Content-Type: text/html\r\nContent-Length: {}\r\n", GATEWAY_PAGE.len());
        vec![Step::head("502 Bad Gateway", &head), Step::Write(GATEWAY_PAGE.as_bytes().to_vec())]
    };
    let json_504 = || {
        let body = r#"{"error_code":"APIGW.0504","error_msg":"Backend timeout"}"#;
        let head = format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
        vec![Step::head("504 Gateway Timeout", &head), Step::Write(body.as_bytes().to_vec())]
    };
    let reset = || vec![Step::Reset];
    // A success head promising 4096 bytes, 10 of them sent, then the connection closed.
    let truncated = || {
        let ct = if callable.operation.download { "application/octet-stream" } else { "application/json" };
        vec![
            Step::head("200 OK", &format!("Content-Type: {ct}\r\nContent-Length: 4096\r\n")),
            Step::Write(b"{\"result\":".to_vec()),
        ]
    };
    let body = ex_request_body(case)?;
    let scripts: [(&str, &dyn Fn() -> Vec<Step>); 4] =
        [("HTML 502", &html_502), ("504", &json_504), ("reset", &reset), ("truncated body", &truncated)];
    for (fault, script) in scripts {
        let steps = script();
        let server = Scripted::start(move |_| steps.clone()).await;
        let config = codearts::Config::builder()
            .endpoint(service.endpoint, &server.base)
            .retry(codearts::retry::RetryPolicy {
                max_attempts: 3,
                initial_backoff: std::time::Duration::from_millis(1),
                max_backoff: std::time::Duration::from_millis(1),
                total_budget: std::time::Duration::from_secs(30),
            })
            .sleep(Arc::new(support::RecordingSleep::default()))
            .build()
            .map_err(|e| Failed::from(e.to_string()))?;
        let client = (service.client)(&config);
        let answer = (callable.call)(&client, &case.input(body.clone())).await;
        let answer = match answer {
            // A download's head arrives whole; the cut shows while its bytes are read.
            Ok(Answer::Download(mut stream)) => {
                use futures_util::StreamExt;
                let mut outcome = Ok(());
                while let Some(chunk) = stream.next().await {
                    if let Err(e) = chunk {
                        outcome = Err(e.to_string());
                        break;
                    }
                }
                outcome
            }
            Ok(other) => return Err(format!("{fault}: answered {other:?}").into()),
            Err(e) => Err(e.to_string()),
        };
        let sent = server.count();
        // A download cut short has been handed to the caller: nothing can resend it.
        let resendable = callable.operation.idempotent && !(callable.operation.download && fault == "truncated body");
        let expected = if resendable { 3 } else { 1 };
        match answer {
            Err(e) if sent == expected && !e.is_empty() => {}
            other => {
                return Err(format!(
                    "{fault}: sent {sent} time(s), expected {expected} (idempotent: {}): {other:?}",
                    callable.operation.idempotent
                )
                .into());
            }
        }
    }
    Ok(())
}

fn ex_request_body(case: &Case) -> Result<Option<Value>, Failed> {
    let example = case.spec.examples.iter().find(|x| x.operation == case.operation && x.location == Location::Request);
    case.body(example)
}

fn trials<C: Send + Sync + 'static>(service: &'static ServiceUnderTest<C>, out: &mut Vec<Trial>) {
    let spec = Arc::new(Spec::load(service.file));
    let module = service.file.trim_start_matches("codearts-").trim_end_matches(".yaml");
    let mut seen_operations = BTreeMap::new();
    for (path, item) in spec.doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
            let callable = service.callable.iter().find(|c| c.operation.id == id).expect("every operation is callable");
            let content_type =
                op.pointer("/requestBody/content").and_then(Value::as_object).and_then(|c| c.keys().next().cloned());
            let errors: Vec<u16> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|s| s.parse::<u16>().ok())
                .filter(|s| *s >= 400)
                .collect();
            let body_schema = op
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .and_then(|c| c.iter().find(|(mt, _)| mt.starts_with("application/json")))
                .map(|(_, m)| m["schema"].clone());
            let form: Vec<(String, bool)> =
                if callable.operation.multipart { service_forms(service, id) } else { Vec::new() };
            let case = Arc::new(Case {
                spec: spec.clone(),
                body_schema,
                form,
                operation: id.to_string(),
                method: method.to_uppercase(),
                template: path.clone(),
                content_type,
                args: support::args::arguments(&spec.doc, op, path),
                errors,
            });
            let examples: Vec<ExampleRef> = spec.examples.iter().filter(|x| x.operation == id).cloned().collect();
            let mut roles: Vec<(String, Role)> = Vec::new();
            if callable.operation.download {
                roles.push(("download".into(), Role::Download));
            }
            for ex in &examples {
                let name = ex.file.rsplit('/').next().unwrap_or(&ex.file).to_string();
                let status: u16 = ex
                    .media_pointer
                    .split("/responses/")
                    .nth(1)
                    .and_then(|s| s.split('/').next())
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                match ex.location {
                    Location::Request if ex.media_type.contains("json") => {
                        roles.push((name, Role::Request(Some(ex.clone()))))
                    }
                    Location::Response if status >= 400 => roles.push((name, Role::Error(ex.clone(), status))),
                    Location::Response if ex.media_type.contains("json") && !callable.operation.download => {
                        roles.push((name, Role::Response(ex.clone())))
                    }
                    _ => {}
                }
            }
            if !roles.iter().any(|(_, r)| matches!(r, Role::Request(_) | Role::Download)) {
                roles.push(("request".into(), Role::Request(None)));
            }
            roles.push(("retry".into(), Role::Retry));
            roles.push(("faults".into(), Role::Faults));
            seen_operations.insert(id.to_string(), ());
            for (name, role) in roles {
                let case = case.clone();
                let callable_id = id.to_string();
                out.push(Trial::test(format!("{module}::{id}::{name}"), move || {
                    let callable = service.callable.iter().find(|c| c.operation.id == callable_id).unwrap();
                    run(service, &case, callable, &role)
                }));
            }
        }
    }
    assert_eq!(
        seen_operations.len(),
        service.callable.len(),
        "{}: every callable operation is in the spec",
        service.file
    );
}

/// The form fields of operation `id`.
fn service_forms<C>(service: &ServiceUnderTest<C>, id: &str) -> Vec<(String, bool)> {
    service.forms.iter().filter(|f| f.operation == id).map(|f| (f.name.to_string(), f.file)).collect()
}

static BUILD: ServiceUnderTest<codearts::build::Client> = ServiceUnderTest {
    file: "codearts-build.yaml",
    endpoint: Service::Build,
    callable: codearts::build::operations::CALLABLE,
    forms: codearts::build::operations::FORM_FIELDS,
    client: |c| codearts::build::Client::from_config(c).expect("a client"),
};

static CHECK: ServiceUnderTest<codearts::check::Client> = ServiceUnderTest {
    file: "codearts-check.yaml",
    endpoint: Service::Check,
    callable: codearts::check::operations::CALLABLE,
    forms: codearts::check::operations::FORM_FIELDS,
    client: |c| codearts::check::Client::from_config(c).expect("a client"),
};

static PIPELINE: ServiceUnderTest<codearts::pipeline::Client> = ServiceUnderTest {
    file: "codearts-pipeline.yaml",
    endpoint: Service::Pipeline,
    callable: codearts::pipeline::operations::CALLABLE,
    forms: codearts::pipeline::operations::FORM_FIELDS,
    client: |c| codearts::pipeline::Client::from_config(c).expect("a client"),
};

fn main() {
    let args = Arguments::from_args();
    let mut all = Vec::new();
    trials(&BUILD, &mut all);
    trials(&CHECK, &mut all);
    trials(&PIPELINE, &mut all);
    libtest_mimic::run(&args, all).exit();
}
