//! An operation's parameters for a test call: its example request line's values, with every required
//! parameter the line lacks (or prints as a placeholder such as `{job_id}`) given a value of its
//! type and format.

use serde_json::{Value, json};

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    codearts_codegen::spec::resolve(spec, node)
}

/// A value of the documented format for a parameter called `name`.
fn of_format(name: &str) -> String {
    match name {
        "record_id" | "build_project_id" | "build_flow_record_id" => "2cc26382-b2cb-4234-8eb0-b37d362f4d4c".into(),
        n if n.ends_with("_id") || n == "id" || n == "uuid" => "0123456789abcdef0123456789abcdef".into(),
        n if n.ends_with("time") || n.ends_with("date") => "2024-01-02".into(),
        _ => "1".into(),
    }
}

/// A value of `schema`'s type for parameter `name`: its first enumerated value, `true`, or one of
/// its format.
fn of_type(name: &str, schema: &Value) -> String {
    match (schema["enum"].get(0), schema["type"].as_str()) {
        (Some(first), _) => first.as_str().map(str::to_string).unwrap_or_else(|| first.to_string()),
        (None, Some("boolean")) => "true".into(),
        _ => of_format(name),
    }
}

/// The example request line's path and query values, by parameter name (placeholders left out).
fn from_example_line(op: &Value, template: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let line = op.pointer("/x-codearts-reference/example-request").and_then(Value::as_str).unwrap_or_default();
    let Some(url) = line.split_whitespace().find(|w| w.contains("://")) else { return out };
    let Ok(url) = url::Url::parse(&url.replace("{endpoint}", "x")) else { return out };
    out.extend(url.query_pairs().into_owned());
    let actual: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    let wanted: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    if actual.len() == wanted.len() {
        for (t, a) in wanted.iter().zip(&actual) {
            if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                out.push((name.into(), percent_encoding::percent_decode_str(a).decode_utf8_lossy().into()));
            }
        }
    }
    out.retain(|(_, v)| !v.starts_with('{'));
    out
}

/// The path and query parameters to call `op` (at `template`) with: the example line's values of
/// declared parameters, then a value of its type for every required one still missing.
pub fn arguments(spec: &Value, op: &Value, template: &str) -> Vec<(String, String)> {
    let params: Vec<&Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(spec, p))
        .filter(|p| matches!(p["in"].as_str(), Some("path" | "query")))
        .collect();
    let mut out = from_example_line(op, template);
    // Declared parameters only, and only values of their documented format (an example line that
    // prints a malformed ID has an erratum; the call needs a well-formed one).
    out.retain(|(n, v)| params.iter().any(|p| p["name"] == json!(n) && fits(resolve(spec, &p["schema"]), v)));
    for p in params {
        let name = p["name"].as_str().unwrap_or_default();
        if p["required"] == json!(true) && !out.iter().any(|(n, _)| n == name) {
            out.push((name.into(), of_type(name, resolve(spec, &p["schema"]))));
        }
    }
    out
}

/// Whether `value` has the format `schema` documents (pattern and lengths).
fn fits(schema: &Value, value: &str) -> bool {
    let chars = value.chars().count() as u64;
    let pattern_ok = schema["pattern"].as_str().is_none_or(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(value)));
    pattern_ok
        && schema["minLength"].as_u64().is_none_or(|n| chars >= n)
        && schema["maxLength"].as_u64().is_none_or(|n| chars <= n)
}
