//! OpenAPI 3.0 schema objects → JSON Schema draft 7, for validating examples with `jsonschema`.
//!
//! Validation is stricter than the spec: objects that declare `properties` are closed, so a renamed
//! or undocumented field in an example is reported; `int32`/`int64` get their ranges, so an example
//! that would not fit the generated Rust type is reported too.

use anyhow::{Result, anyhow};
use serde_json::{Map, Value, json};

/// A validator for `schema` (an OpenAPI schema or `$ref`) with the spec's components in scope.
pub fn validator(spec: &Value, schema: &Value) -> Result<jsonschema::Validator> {
    let mut definitions = Map::new();
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, s) in schemas {
            definitions.insert(name.clone(), convert(s, true));
        }
    }
    let mut root = match convert(schema, true) {
        Value::Object(m) => m,
        other => return Err(anyhow!("schema is not an object: {other}")),
    };
    root.insert("definitions".into(), Value::Object(definitions));
    root.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    jsonschema::draft7::new(&Value::Object(root)).map_err(|e| anyhow!("invalid schema: {e}"))
}

/// Every error as (instance JSON pointer, message).
pub fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<(String, String)> {
    validator.iter_errors(doc).map(|e| (e.instance_path().to_string(), e.to_string())).collect()
}

const OPENAPI_ONLY: [&str; 8] =
    ["nullable", "example", "discriminator", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly"];

fn convert(node: &Value, strict: bool) -> Value {
    let Value::Object(obj) = node else { return node.clone() };
    if let Some(Value::String(r)) = obj.get("$ref") {
        return json!({ "$ref": r.replace("#/components/schemas/", "#/definitions/") });
    }
    let mut out = Map::new();
    for (k, v) in obj {
        if OPENAPI_ONLY.contains(&k.as_str()) || k.starts_with("x-") {
            continue;
        }
        let v = match k.as_str() {
            "properties" => Value::Object(
                v.as_object().into_iter().flatten().map(|(n, s)| (n.clone(), convert(s, strict))).collect(),
            ),
            "items" | "not" => convert(v, strict),
            "additionalProperties" if v.is_object() => convert(v, strict),
            // Members of allOf are merged by the validator: closing each would reject the others' fields.
            "allOf" => Value::Array(v.as_array().into_iter().flatten().map(|s| convert(s, false)).collect()),
            "oneOf" | "anyOf" => Value::Array(v.as_array().into_iter().flatten().map(|s| convert(s, strict)).collect()),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    if strict && out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    match obj.get("format").and_then(Value::as_str) {
        Some("int32") => {
            out.entry("minimum").or_insert(json!(i32::MIN));
            out.entry("maximum").or_insert(json!(i32::MAX));
        }
        Some("int64") => {
            out.entry("minimum").or_insert(json!(i64::MIN));
            out.entry("maximum").or_insert(json!(i64::MAX));
        }
        _ => {}
    }
    if obj.get("nullable") == Some(&Value::Bool(true)) {
        match out.get("type").cloned() {
            Some(Value::String(t)) => {
                out.insert("type".into(), json!([t, "null"]));
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            _ => return json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
        }
    }
    Value::Object(out)
}
