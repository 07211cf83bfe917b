//! The emulator's answers against the specs: for every operation of each service's spec, a 200
//! body validates against the operation's response schema with the same strict converter
//! `cargo xtask validate` uses for the reference's examples (objects closed, so an undocumented or
//! misspelt field fails; integer formats range-checked), downloads answer the declared binary type,
//! and error answers validate against the spec's `ErrorResponse` with a status the operation
//! documents. Requests are raw HTTP, so what is checked is the wire, not what the generated client
//! happens to accept. One module per service.

#[path = "../support/mod.rs"]
mod support;

#[cfg(feature = "build")]
mod build;
#[cfg(feature = "check")]
mod check;
#[cfg(feature = "pipeline")]
mod pipeline;

use std::collections::BTreeSet;

use codearts_emulator::RunningEmulator;
use serde_json::{Value, json};
use support::harness::Spec;

/// A strict validator for `schema` (an OpenAPI schema or `$ref`) with the spec's components in scope.
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let root = codearts_codegen::schema::json_schema(spec, schema, true).unwrap();
    jsonschema::draft7::new(&root).unwrap()
}

/// Every error as (instance JSON pointer, message).
fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<(String, String)> {
    validator.iter_errors(doc).map(|e| (e.instance_path().to_string(), e.to_string())).collect()
}

/// A raw, token-authenticated HTTP client of one emulator, checking answers against the spec.
pub struct Checker {
    pub spec: Spec,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    /// Every operation a 200 answer was validated for.
    pub covered: BTreeSet<String>,
    /// How many bodies were validated.
    pub validated: usize,
}

/// One request: the operation, its concrete path, query and JSON body.
pub struct Call<'a> {
    op: &'a str,
    path: String,
    query: Vec<(&'a str, String)>,
    body: Option<Value>,
}

pub fn call<'a>(op: &'a str, path: impl Into<String>) -> Call<'a> {
    Call { op, path: path.into(), query: Vec::new(), body: None }
}

impl<'a> Call<'a> {
    pub fn q(mut self, name: &'a str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl Checker {
    /// A checker of `spec_file`'s operations (`spec/<spec_file>`), logged in as the default user.
    pub async fn new(emulator: &RunningEmulator, spec_file: &str) -> Checker {
        codearts::install_crypto_provider();
        let http = reqwest::Client::new();
        let base = emulator.base_url().to_string();
        let login = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "password": "demo-password", "domain": {"name": "demo"}}}},
            "scope": {"project": {"id": emulator.iam_project_id()}}}});
        let response = http.post(format!("{base}/v3/auth/tokens")).json(&login).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let token = response.headers()["x-subject-token"].to_str().unwrap().to_string();
        Checker { spec: Spec::load(spec_file), http, base, token, covered: BTreeSet::new(), validated: 0 }
    }

    /// The spec's operation `op`: method, path template, and the operation object.
    pub fn operation(&self, op: &str) -> (String, String, &Value) {
        for (path, item) in self.spec.doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if operation.get("operationId").and_then(Value::as_str) == Some(op) {
                    return (method.to_uppercase(), path.clone(), operation);
                }
            }
        }
        panic!("no operation {op} in the spec");
    }

    /// Every operation ID of the spec.
    pub fn operations(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for item in self.spec.doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                    out.insert(id.to_string());
                }
            }
        }
        out
    }

    pub async fn send(&self, c: &Call<'_>) -> reqwest::Response {
        let (method, template, _) = self.operation(c.op);
        assert_eq!(
            template.split('/').count(),
            c.path.split('/').count(),
            "{}: {} does not fit {template}",
            c.op,
            c.path
        );
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request =
            self.http.request(method, format!("{}{}", self.base, c.path)).header("x-auth-token", &self.token);
        if !c.query.is_empty() {
            request = request.query(&c.query);
        }
        if let Some(body) = &c.body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub fn validate(&mut self, what: &str, schema: &Value, doc: &Value) {
        let validator = validator(&self.spec.doc, schema);
        let errors = errors(&validator, doc);
        assert!(errors.is_empty(), "{what}: the body does not fit the spec: {errors:#?}\nbody: {doc:#}");
        self.validated += 1;
    }

    /// Sends `c`, expects 200, validates the body against the spec; returns the JSON body (or
    /// `Value::Null` for a download).
    pub async fn ok(&mut self, c: Call<'_>) -> Value {
        let response = self.send(&c).await;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(status, 200, "{} {}: {}", c.op, c.path, String::from_utf8_lossy(&bytes));
        let (_, _, operation) = self.operation(c.op);
        let content = operation["responses"]["200"]["content"].as_object().unwrap().clone();
        let declared: Vec<&String> = content.keys().collect();
        assert!(
            content.contains_key(content_type.as_str()),
            "{}: answered {content_type}, the spec declares {declared:?}",
            c.op
        );
        self.covered.insert(c.op.to_string());
        if !content_type.starts_with("application/json") {
            assert!(!bytes.is_empty(), "{}: an empty download", c.op);
            return Value::Null;
        }
        let schema = content[&content_type]["schema"].clone();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        self.validate(&format!("{} {}", c.op, c.path), &schema, &doc);
        doc
    }

    /// Sends `c`, expects `status` with error code `code` in a body that fits the spec's
    /// `ErrorResponse`, and a status the spec documents for the operation.
    pub async fn error(&mut self, c: Call<'_>, status: u16, code: &str) {
        let response = self.send(&c).await;
        assert_eq!(response.status().as_u16(), status, "{} {}", c.op, c.path);
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc["error_code"], code, "{} {}: {doc}", c.op, c.path);
        let (_, _, operation) = self.operation(c.op);
        let documented = &operation["responses"][status.to_string()];
        assert!(documented.is_object(), "{}: status {status} is not documented", c.op);
        self.validate(
            &format!("{} {} ({status})", c.op, c.path),
            &json!({"$ref": "#/components/schemas/ErrorResponse"}),
            &doc,
        );
    }

    /// Asserts that every operation of the spec had a validated 200 answer.
    pub fn assert_all_covered(&self, at_least: usize) {
        let missing: Vec<String> = self.operations().difference(&self.covered).cloned().collect();
        assert!(missing.is_empty(), "operations without a validated 200 answer: {missing:?}");
        assert!(self.validated >= at_least, "only {} bodies validated", self.validated);
    }
}
