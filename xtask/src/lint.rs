//! The project's lint rules for spec documents (see spec/README.md, "Conventions").

use crate::Report;
use crate::errata::{Erratum, Kind, METHODS, pointer_token};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Headers that authentication owns; an operation never declares them.
const AUTH_HEADERS: [&str; 7] =
    ["x-auth-token", "authorization", "x-sdk-date", "x-security-token", "x-project-id", "x-domain-id", "host"];

pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub example_request: Option<String>,
    /// (name, required) of query parameters.
    pub query: Vec<(String, bool)>,
}

#[derive(Default)]
pub struct Stats {
    pub operations: usize,
    pub expected_operations: u64,
    pub deprecated: usize,
    pub path_params: usize,
    pub query_params: usize,
    pub required_params: usize,
    pub bodies: usize,
    pub schemas: usize,
    pub fields: usize,
}

/// Resolves a local `$ref` (or returns the node itself).
fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r.strip_prefix('#').and_then(|p| spec.pointer(p)).unwrap_or(&Value::Null),
        None => node,
    }
}

pub fn operations(spec: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let shared = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let params: Vec<Value> = shared
                .iter()
                .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
                .map(|p| resolve(spec, p).clone())
                .collect();
            out.push(Operation {
                id: op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_string(),
                method: method.to_string(),
                path: path.clone(),
                example_request: op
                    .pointer("/x-codearts-reference/example-request")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                query: params
                    .iter()
                    .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
                    .map(|p| {
                        (
                            p.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                            p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        )
                    })
                    .collect(),
            });
        }
    }
    out
}

/// snake_case as progenitor (heck) derives method names from operationIds.
fn snake(id: &str) -> String {
    heck::ToSnakeCase::to_snake_case(id)
}

pub fn lint(spec: &Value, report: &mut Report) -> Stats {
    let mut stats = Stats::default();
    if spec.get("openapi").and_then(Value::as_str) != Some("3.0.3") {
        report.push("`openapi` must be 3.0.3");
    }
    stats.expected_operations =
        spec.pointer("/info/x-codearts-reference/operations").and_then(Value::as_u64).unwrap_or(0);
    if stats.expected_operations == 0 {
        report.push("info.x-codearts-reference.operations must give the reference's operation count");
    }
    let error_statuses: Vec<String> = spec
        .pointer("/info/x-codearts-reference/error-statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_u64().map(|n| n.to_string()))
        .collect();
    if error_statuses.is_empty() {
        report.push("info.x-codearts-reference.error-statuses must list the reference's error statuses");
    }
    let declared_tags: BTreeSet<&str> = spec
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect();
    if spec.pointer("/components/securitySchemes").and_then(Value::as_object).is_none_or(|m| m.is_empty()) {
        report.push("components.securitySchemes must declare the authentication schemes");
    }

    let mut snake_ids: BTreeMap<String, String> = BTreeMap::new();
    let all_ids: BTreeSet<String> = operations(spec).into_iter().map(|o| o.id).collect();
    for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            stats.operations += 1;
            let where_ = format!("{} {path}", method.to_uppercase());
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default();
            if id.is_empty() {
                report.push(format!("{where_}: no operationId"));
            } else if let Some(other) = snake_ids.insert(snake(id), id.to_string()) {
                report.push(format!("{where_}: operationId {id} collides with {other} after snake_case"));
            }
            let tags = op.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
            if tags.is_empty() {
                report.push(format!("{id}: no tag"));
            }
            for t in tags.iter().filter_map(Value::as_str) {
                if !declared_tags.contains(t) {
                    report.push(format!("{id}: tag {t:?} is not declared in the top-level tags"));
                }
            }
            for field in ["summary", "description"] {
                if op.get(field).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
                    report.push(format!("{id}: no {field}"));
                }
            }
            for field in ["section", "title", "example-request"] {
                if op.pointer(&format!("/x-codearts-reference/{field}")).and_then(Value::as_str).is_none() {
                    report.push(format!("{id}: x-codearts-reference.{field} missing (provenance)"));
                }
            }
            if op.get("x-codearts-idempotent").is_some_and(|v| !v.is_boolean()) {
                report.push(format!("{id}: x-codearts-idempotent must be true or false"));
            }
            if op.get("deprecated").and_then(Value::as_bool) == Some(true) {
                stats.deprecated += 1;
                match op.get("x-codearts-successor").and_then(Value::as_str) {
                    Some(s) if all_ids.contains(s) => {}
                    Some(s) => report.push(format!("{id}: x-codearts-successor {s} is not an operation")),
                    None => report.push(format!("{id}: deprecated without x-codearts-successor")),
                }
            }

            // Parameters.
            let mut seen_path = BTreeSet::new();
            let params = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten());
            for p in params {
                let p = resolve(spec, p);
                let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                if p.get("schema").and_then(|s| resolve(spec, s).get("type")).is_none() {
                    report.push(format!("{id}: parameter {name} has no typed schema"));
                }
                if required {
                    stats.required_params += 1;
                }
                match p.get("in").and_then(Value::as_str) {
                    Some("path") => {
                        stats.path_params += 1;
                        seen_path.insert(name.to_string());
                        if !required {
                            report.push(format!("{id}: path parameter {name} must be required"));
                        }
                        if !template.contains(name) {
                            report.push(format!("{id}: path parameter {name} is not in the path {path}"));
                        }
                    }
                    Some("query") => stats.query_params += 1,
                    Some("header") if AUTH_HEADERS.contains(&name.to_ascii_lowercase().as_str()) => {
                        report.push(format!("{id}: header {name} is authentication's; declare it in securitySchemes"))
                    }
                    _ => {}
                }
            }
            for missing in template.difference(&seen_path) {
                report.push(format!("{id}: path placeholder {{{missing}}} has no parameter"));
            }
            if op.get("requestBody").is_some() {
                stats.bodies += 1;
            }

            // Responses: a 200, the reference's error statuses explicitly, never a default with a body.
            let responses = op.get("responses").and_then(Value::as_object).cloned().unwrap_or_default();
            if !responses.contains_key("200") {
                report.push(format!("{id}: no 200 response"));
            }
            if responses.get("default").is_some_and(|r| resolve(spec, r).get("content").is_some()) {
                report.push(format!("{id}: a `default` response with a body (progenitor panics on it)"));
            }
            for status in &error_statuses {
                if !responses.contains_key(status.as_str()) {
                    report.push(format!("{id}: error status {status} is not listed"));
                }
            }
            for (status, r) in &responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = resolve(spec, r).pointer("/content/application~1json/schema");
                    if schema.and_then(|s| s.get("$ref")).and_then(Value::as_str)
                        != Some("#/components/schemas/ErrorResponse")
                    {
                        report.push(format!("{id}: response {status} does not use ErrorResponse"));
                    }
                }
            }
        }
    }

    // No unused components: walk every $ref reachable from the paths.
    let mut reached = BTreeSet::new();
    let mut stack: Vec<&Value> = vec![spec.get("paths").unwrap_or(&Value::Null)];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str)
                    && reached.insert(r.to_string())
                {
                    match r.strip_prefix('#').and_then(|p| spec.pointer(p)) {
                        Some(target) => stack.push(target),
                        None => report.push(format!("$ref {r} does not resolve")),
                    }
                }
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    for kind in ["schemas", "responses", "parameters", "requestBodies"] {
        for (name, s) in spec.pointer(&format!("/components/{kind}")).and_then(Value::as_object).into_iter().flatten() {
            let r = format!("#/components/{kind}/{}", pointer_token(name));
            if !reached.contains(&r) {
                report.push(format!("component {kind}/{name} is not used by any operation"));
            }
            if kind == "schemas" {
                stats.schemas += 1;
                stats.fields += s.get("properties").and_then(Value::as_object).map_or(0, |p| p.len());
            }
        }
    }
    stats
}

/// A contradiction between an example request line and its operation.
pub struct Mismatch {
    kind: Kind,
    table: String,
    example: String,
}

impl Mismatch {
    pub fn matches(&self, e: &Erratum) -> bool {
        let s = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).unwrap_or_default().to_string();
        e.kind == self.kind
            && match self.kind {
                Kind::Method | Kind::Path => s(&e.table) == self.table && s(&e.example) == self.example,
                Kind::QueryMissing => s(&e.table) == self.table,
                _ => s(&e.example) == self.example,
            }
    }

    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Method => format!("method {} where the operation is {}", self.example, self.table),
            Kind::Path => format!("path {} does not match {}", self.example, self.table),
            Kind::QueryMissing => format!("required query parameter {} is absent", self.table),
            _ => format!("query parameter {} is not documented", self.example),
        }
    }
}

pub fn request_line_mismatches(op: &Operation, line: &str) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let (method, url) = line.trim().split_once(char::is_whitespace).unwrap_or((line, ""));
    let url = url.trim();
    if !method.eq_ignore_ascii_case(&op.method) {
        out.push(Mismatch { kind: Kind::Method, table: op.method.to_uppercase(), example: method.to_string() });
    }
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_query = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let t: Vec<&str> = op.path.split('/').collect();
    let e: Vec<&str> = path.split('/').collect();
    let same = t.len() == e.len()
        && t.iter().zip(&e).all(|(t, e)| {
            let placeholder = |s: &str| s.starts_with('{') && s.ends_with('}');
            if placeholder(t) { !placeholder(e) || t == e } else { t == e }
        });
    if !same {
        out.push(Mismatch { kind: Kind::Path, table: op.path.clone(), example: path.to_string() });
    }
    let names: Vec<&str> =
        query.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k)).collect();
    for n in &names {
        if !op.query.iter().any(|(q, _)| q == n) {
            out.push(Mismatch { kind: Kind::QueryExtra, table: String::new(), example: n.to_string() });
        }
    }
    for (q, required) in &op.query {
        if *required && !names.contains(&q.as_str()) {
            out.push(Mismatch { kind: Kind::QueryMissing, table: q.clone(), example: String::new() });
        }
    }
    out
}
