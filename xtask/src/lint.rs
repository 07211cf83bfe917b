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
    /// Path and query parameters with a documented format.
    pub formats: Vec<ParamFormat>,
}

/// A parameter's documented format (`pattern`, `minLength`, `maxLength` of its schema).
pub struct ParamFormat {
    pub name: String,
    pub in_path: bool,
    pub pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
}

impl ParamFormat {
    fn of(spec: &Value, p: &Value) -> Option<ParamFormat> {
        let schema = resolve(spec, p.get("schema")?);
        let format = ParamFormat {
            name: p.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            in_path: p.get("in").and_then(Value::as_str) == Some("path"),
            pattern: schema.get("pattern").and_then(Value::as_str).map(str::to_string),
            min_length: schema.get("minLength").and_then(Value::as_u64),
            max_length: schema.get("maxLength").and_then(Value::as_u64),
        };
        (format.pattern.is_some() || format.min_length.is_some() || format.max_length.is_some()).then_some(format)
    }

    /// Does `value` have this format? (`Err` when the pattern does not compile.)
    pub fn accepts(&self, value: &str) -> Result<bool, String> {
        let length = value.chars().count() as u64;
        let pattern_ok = match &self.pattern {
            Some(p) => regex::Regex::new(p).map_err(|e| e.to_string())?.is_match(value),
            None => true,
        };
        Ok(pattern_ok
            && self.min_length.is_none_or(|min| length >= min)
            && self.max_length.is_none_or(|max| length <= max))
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.pattern {
            parts.push(p.clone());
        }
        if let Some(min) = self.min_length {
            parts.push(format!("minLength {min}"));
        }
        if let Some(max) = self.max_length {
            parts.push(format!("maxLength {max}"));
        }
        parts.join(", ")
    }
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
                formats: params
                    .iter()
                    .filter(|p| matches!(p.get("in").and_then(Value::as_str), Some("path" | "query")))
                    .filter_map(|p| ParamFormat::of(spec, p))
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
    // Parameter name → (operation, its schema's format keywords): one name, one format.
    let mut formats: BTreeMap<String, (String, Value)> = BTreeMap::new();
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
            // Provenance: a section of a seed reference (with its title and example line), or a
            // help-center page and/or an API Explorer definition (spec/README.md, "Operations").
            let reference = |field: &str| op.pointer(&format!("/x-codearts-reference/{field}")).and_then(Value::as_str);
            let from_section = reference("section").is_some();
            let required: &[&str] = if from_section {
                &["title", "example-request"]
            } else if reference("page").is_some() {
                &["title", "edition"]
            } else {
                &["explorer", "edition"]
            };
            if !from_section && reference("page").is_none() && reference("explorer").is_none() {
                report.push(format!("{id}: x-codearts-reference needs a section, a page or an explorer definition"));
            }
            for field in required {
                if reference(field).is_none() {
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
                if matches!(p.get("in").and_then(Value::as_str), Some("path" | "query")) {
                    lint_format(spec, id, p, &mut formats, report);
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
            // The seed references list one set of error statuses for every operation; pages and
            // API Explorer definitions list each operation's own.
            let listed_errors = responses.keys().filter(|s| s.starts_with('4') || s.starts_with('5')).count();
            if !from_section && listed_errors == 0 {
                report.push(format!("{id}: no error status is listed"));
            }
            for status in error_statuses.iter().filter(|_| from_section) {
                if !responses.contains_key(status.as_str()) {
                    report.push(format!("{id}: error status {status} is not listed"));
                }
            }
            for (status, r) in &responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = resolve(spec, r).get("content").and_then(Value::as_object);
                    let schema = content
                        .and_then(|c| c.iter().find(|(mt, _)| mt.starts_with("application/json")))
                        .and_then(|(_, m)| m.get("schema"));
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
    untranslated(spec, "", report);
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

/// The format rules for one path or query parameter (see spec/README.md, "Parameters"):
/// - a path parameter is never empty (`minLength` ≥ 1) and one whose name ends in `_id` has the
///   reference's format as a `pattern`, or says why not in `x-codearts-no-pattern`;
/// - a `pattern` is anchored (`^…$`, since JSON Schema patterns match anywhere), compiles, and comes
///   with `x-codearts-format`, the words the SDK's error message uses;
/// - an identifier (a path parameter or a `*_id`) has the same format in every operation.
fn lint_format(
    spec: &Value,
    id: &str,
    p: &Value,
    formats: &mut BTreeMap<String, (String, Value)>,
    report: &mut Report,
) {
    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
    let in_path = p.get("in").and_then(Value::as_str) == Some("path");
    let schema = p.get("schema").map(|s| resolve(spec, s)).unwrap_or(&Value::Null);
    let string = schema.get("type").and_then(Value::as_str) == Some("string");
    let pattern = schema.get("pattern");
    let exempt = schema.get("x-codearts-no-pattern");
    let format = schema.get("x-codearts-format");
    let (min, max) = (schema.get("minLength"), schema.get("maxLength"));
    let here = format!("{id}: parameter {name}");

    if let Some(pattern) = pattern {
        match pattern.as_str() {
            Some(p) if p.starts_with('^') && p.ends_with('$') => {
                if let Err(e) = regex::Regex::new(p) {
                    report.push(format!("{here}: pattern {p} does not compile: {e}"));
                }
            }
            _ => report
                .push(format!("{here}: pattern {pattern} must be anchored (^…$): JSON Schema patterns match anywhere")),
        }
        if exempt.is_some() {
            report.push(format!("{here}: has both a pattern and x-codearts-no-pattern"));
        }
    }
    if exempt.is_some_and(|w| w.as_str().is_none_or(|w| w.trim().is_empty())) {
        report.push(format!("{here}: x-codearts-no-pattern must say why the parameter has no pattern"));
    }
    if (pattern.is_some() || min.is_some() || max.is_some()) && format.and_then(Value::as_str).is_none_or(str::is_empty)
    {
        report.push(format!(
            "{here}: a constrained parameter needs x-codearts-format (what a valid value is, for errors)"
        ));
    }
    if let (Some(a), Some(b)) = (min.and_then(Value::as_u64), max.and_then(Value::as_u64))
        && a > b
    {
        report.push(format!("{here}: minLength {a} exceeds maxLength {b}"));
    }
    if in_path && string {
        if min.and_then(Value::as_u64).is_none_or(|m| m < 1) {
            report.push(format!(
                "{here}: a string path parameter needs minLength 1 or more (an empty segment changes the path)"
            ));
        }
        if name.ends_with("_id") && pattern.is_none() && exempt.is_none() {
            report.push(format!(
                "{here}: an ID path parameter needs the reference's format as `pattern`, or `x-codearts-no-pattern: <why>`"
            ));
        }
    }
    let keywords: serde_json::Map<String, Value> = ["pattern", "minLength", "maxLength", "x-codearts-format"]
        .iter()
        .filter_map(|k| schema.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    let keywords = Value::Object(keywords);
    // One ID, one format: an identifier (a path parameter, or any `*_id`) means the same thing in
    // every operation. Other names (`name`, `page_size`) are each operation's own.
    let identifier = in_path || name.ends_with("_id");
    if !identifier {
        return;
    }
    match formats.get(name) {
        Some((other, theirs)) if *theirs != keywords => {
            report.push(format!("{here}: format {keywords} differs from {other}'s {theirs}"))
        }
        Some(_) => {}
        None => {
            formats.insert(name.to_string(), (id.to_string(), keywords));
        }
    }
}

/// A contradiction between an example request line and its operation.
pub struct Mismatch {
    kind: Kind,
    table: String,
    example: String,
    /// For `value`: `/<parameter name>`.
    pointer: String,
}

impl Mismatch {
    pub fn matches(&self, e: &Erratum) -> bool {
        let s = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).unwrap_or_default().to_string();
        e.kind == self.kind
            && match self.kind {
                Kind::Method | Kind::Path => s(&e.table) == self.table && s(&e.example) == self.example,
                Kind::QueryMissing => s(&e.table) == self.table,
                Kind::Value => e.pointer.as_deref() == Some(self.pointer.as_str()) && s(&e.example) == self.example,
                _ => s(&e.example) == self.example,
            }
    }

    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Method => format!("method {} where the operation is {}", self.example, self.table),
            Kind::Path => format!("path {} does not match {}", self.example, self.table),
            Kind::QueryMissing => format!("required query parameter {} is absent", self.table),
            Kind::Value => format!(
                "parameter {} is {:?}, which does not have its documented format ({})",
                self.pointer.trim_start_matches('/'),
                self.example,
                self.table
            ),
            _ => format!("query parameter {} is not documented", self.example),
        }
    }
}

pub fn request_line_mismatches(op: &Operation, line: &str) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let (method, url) = line.trim().split_once(char::is_whitespace).unwrap_or((line, ""));
    let url = url.trim();
    if !method.eq_ignore_ascii_case(&op.method) {
        out.push(Mismatch {
            kind: Kind::Method,
            table: op.method.to_uppercase(),
            example: method.to_string(),
            pointer: String::new(),
        });
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
        out.push(Mismatch {
            kind: Kind::Path,
            table: op.path.clone(),
            example: path.to_string(),
            pointer: String::new(),
        });
    }
    // The example's IDs against their documented formats (placeholders such as `{job_id}` aside).
    let mut values: Vec<(bool, &str, &str)> = Vec::new();
    if t.len() == e.len() {
        for (t, e) in t.iter().zip(&e) {
            if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}'))
                && !(e.starts_with('{') && e.ends_with('}'))
            {
                values.push((true, name, e));
            }
        }
    }
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        values.push((false, k, v));
    }
    for (in_path, name, value) in values {
        let Some(f) = op.formats.iter().find(|f| f.name == name && f.in_path == in_path) else { continue };
        // A pattern that does not compile is reported by the lint; it cannot judge examples.
        if f.accepts(value) == Ok(false) {
            out.push(Mismatch {
                kind: Kind::Value,
                table: f.describe(),
                example: value.to_string(),
                pointer: format!("/{name}"),
            });
        }
    }
    let names: Vec<&str> =
        query.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k)).collect();
    for n in &names {
        if !op.query.iter().any(|(q, _)| q == n) {
            out.push(Mismatch {
                kind: Kind::QueryExtra,
                table: String::new(),
                example: n.to_string(),
                pointer: String::new(),
            });
        }
    }
    for (q, required) in &op.query {
        if *required && !names.contains(&q.as_str()) {
            out.push(Mismatch {
                kind: Kind::QueryMissing,
                table: q.clone(),
                example: String::new(),
                pointer: String::new(),
            });
        }
    }
    out
}

/// Descriptions are paraphrased in English: no draft marker (`ZH:`) and no CJK text may remain in
/// the spec's own prose (examples are stored files and keep the vendor's text).
fn untranslated(node: &Value, at: &str, report: &mut Report) {
    match node {
        Value::Object(m) => {
            for (k, v) in m {
                untranslated(v, &format!("{at}/{}", pointer_token(k)), report);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                untranslated(v, &format!("{at}/{i}"), report);
            }
        }
        Value::String(s) => {
            let cjk = s
                .chars()
                .any(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}'));
            if s.starts_with("ZH:") || cjk {
                report.push(format!("{at}: untranslated text {:?}", s.chars().take(40).collect::<String>()));
            }
        }
        _ => {}
    }
}
