//! Checks each operation's `x-codearts-pagination` declaration (see spec/README.md, "Pagination")
//! against the operation it describes.

use crate::Report;
use crate::errata::METHODS;
use serde_json::Value;

/// Query parameters that mean an operation pages: it must then declare how.
const PAGING_PARAMS: [&str; 6] = ["offset", "limit", "page", "page_index", "page_size", "page_no"];
const KEYS: [&str; 7] = ["page", "kind", "first-page", "size", "max-size", "items", "total"];

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r.strip_prefix('#').and_then(|p| spec.pointer(p)).unwrap_or(&Value::Null),
        None => node,
    }
}

/// The schema a dotted path (`result.items`) reaches from `schema`, following `$ref`s.
fn walk<'a>(spec: &'a Value, schema: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(resolve(spec, schema), |node, field| {
        node.get("properties").and_then(|p| p.get(field)).map(|s| resolve(spec, s))
    })
}

fn type_of(schema: &Value) -> &str {
    schema.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Reports every problem with the pagination declarations of `spec`; returns how many operations
/// declare pagination.
pub fn check(spec: &Value, report: &mut Report) -> usize {
    let mut declared = 0;
    for item in spec.get("paths").and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?");
            let query: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
                .map(|p| resolve(spec, p))
                .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
                .collect();
            let param = |name: &str| query.iter().find(|p| p.get("name").and_then(Value::as_str) == Some(name));
            if let Some(why) = op.get("x-codearts-no-pagination") {
                if why.as_str().is_none_or(|w| w.trim().is_empty()) {
                    report.push(format!("{id}: x-codearts-no-pagination must say why the operation does not page"));
                }
                if op.get("x-codearts-pagination").is_some() {
                    report.push(format!("{id}: both x-codearts-pagination and x-codearts-no-pagination"));
                }
                continue;
            }
            let Some(decl) = op.get("x-codearts-pagination") else {
                let paging: Vec<&str> = PAGING_PARAMS.iter().copied().filter(|n| param(n).is_some()).collect();
                if !paging.is_empty() {
                    report.push(format!(
                        "{id}: has paging parameter(s) {} but no x-codearts-pagination",
                        paging.join(", ")
                    ));
                }
                continue;
            };
            declared += 1;
            let Some(decl) = decl.as_object() else {
                report.push(format!("{id}: x-codearts-pagination must be a mapping"));
                continue;
            };
            for key in decl.keys().filter(|k| !KEYS.contains(&k.as_str())) {
                report.push(format!("{id}: x-codearts-pagination: unknown key `{key}`"));
            }
            let text = |key: &str| decl.get(key).and_then(Value::as_str);
            // A page position in the query (`offset`) or in the JSON request body (`body.offset`).
            let request_body = op
                .get("requestBody")
                .and_then(|b| b.get("content"))
                .and_then(Value::as_object)
                .and_then(|c| c.iter().find(|(mt, _)| mt.starts_with("application/json")))
                .and_then(|(_, m)| m.get("schema"));
            for key in ["page", "size"] {
                let Some(name) = text(key) else {
                    report.push(format!("{id}: x-codearts-pagination.{key} missing"));
                    continue;
                };
                let (found, what) = match name.strip_prefix("body.") {
                    Some(field) => (request_body.and_then(|b| walk(spec, b, field)), "a field of the request body"),
                    None => (param(name).and_then(|p| p.get("schema")).map(|s| resolve(spec, s)), "a query parameter"),
                };
                match found.map(type_of) {
                    None => report
                        .push(format!("{id}: x-codearts-pagination.{key} `{name}` is not {what} of the operation")),
                    Some("integer" | "string") => {}
                    Some(other) => report.push(format!(
                        "{id}: x-codearts-pagination.{key} `{name}` has type `{other}`, not integer or string"
                    )),
                }
            }
            match text("kind").unwrap_or("page") {
                // A page number: the first page's number is part of the contract.
                "page" => {
                    if !matches!(decl.get("first-page").and_then(Value::as_u64), Some(0 | 1)) {
                        report.push(format!("{id}: x-codearts-pagination.first-page must be 0 or 1"));
                    }
                }
                // An item offset: the next page starts where this one's items end.
                "offset" => {
                    if decl.contains_key("first-page") {
                        report.push(format!("{id}: x-codearts-pagination.first-page means nothing for kind offset"));
                    }
                }
                other => report.push(format!("{id}: x-codearts-pagination.kind `{other}` is not page or offset")),
            }
            if decl.get("max-size").is_some_and(|v| v.as_u64().is_none_or(|n| n == 0)) {
                report.push(format!("{id}: x-codearts-pagination.max-size must be a positive integer"));
            }
            let body = op
                .pointer("/responses/200/content")
                .and_then(Value::as_object)
                .and_then(|c| c.iter().find(|(mt, _)| mt.starts_with("application/json")))
                .and_then(|(_, m)| m.get("schema"));
            let Some(body) = body else {
                report.push(format!("{id}: pages but has no application/json 200 body"));
                continue;
            };
            match text("items") {
                None => report.push(format!("{id}: x-codearts-pagination.items missing")),
                Some(path) => match (if path.is_empty() { Some(resolve(spec, body)) } else { walk(spec, body, path) })
                    .map(type_of)
                {
                    Some("array") => {}
                    Some(other) => {
                        report.push(format!("{id}: x-codearts-pagination.items `{path}` is `{other}`, not an array"))
                    }
                    None => report.push(format!("{id}: x-codearts-pagination.items `{path}` is not in the 200 body")),
                },
            }
            if let Some(path) = text("total") {
                match walk(spec, body, path).map(type_of) {
                    Some("integer") => {}
                    Some(other) => {
                        report.push(format!("{id}: x-codearts-pagination.total `{path}` is `{other}`, not an integer"))
                    }
                    None => report.push(format!("{id}: x-codearts-pagination.total `{path}` is not in the 200 body")),
                }
            }
        }
    }
    declared
}
