//! OpenAPI 3.0 schema objects → JSON Schema draft 7, for validating examples and answers.
//!
//! Strict validation is stricter than the spec: objects that declare `properties` are closed, so a renamed
//! or undocumented field in an example is reported; `int32`/`int64` get their ranges, so an example
//! that would not fit the generated Rust type is reported too.

use serde_json::{Map, Value, json};

/// `schema` (an OpenAPI schema or `$ref`) as a JSON Schema draft-7 document with the spec's
/// components under `definitions`: closed objects when `strict`, the spec's own openness otherwise.
/// Give it to any draft-7 validator (`jsonschema::draft7::new`).
pub fn json_schema(spec: &Value, schema: &Value, strict: bool) -> Result<Value, String> {
    let mut definitions = Map::new();
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, s) in schemas {
            definitions.insert(name.clone(), convert(s, strict));
        }
    }
    let mut root = match convert(schema, strict) {
        Value::Object(m) => m,
        other => return Err(format!("schema is not an object: {other}")),
    };
    root.insert("definitions".into(), Value::Object(definitions));
    root.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    Ok(Value::Object(root))
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
