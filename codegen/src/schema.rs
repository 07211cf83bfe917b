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
        // `type: object, nullable: true, allOf: [$ref]` (redocly requires the `type` beside
        // `nullable`) means "this object, or null", as the generators read it: the subschemas would
        // reject the null that `type` alone admits, so the whole schema is what becomes nullable.
        let composed = ["allOf", "anyOf", "oneOf", "$ref"].iter().any(|k| out.contains_key(*k));
        match out.get("type").cloned().filter(|_| !composed) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nullable_composition_admits_null_beside_its_subschemas() {
        let spec = json!({ "components": { "schemas": { "Out": { "type": "object" } } } });
        let schema = json!({
            "type": "object",
            "nullable": true,
            "allOf": [{ "$ref": "#/components/schemas/Out" }]
        });
        let converted = json_schema(&spec, &schema, true).unwrap();
        let any_of = converted.pointer("/anyOf").and_then(Value::as_array).expect("anyOf: the schema or null");
        assert_eq!(any_of.len(), 2, "{converted}");
        assert_eq!(any_of[1], json!({ "type": "null" }));
        assert!(any_of[0].get("allOf").is_some(), "the object's own schema is kept: {converted}");
    }

    #[test]
    fn a_nullable_scalar_gains_null_in_its_type_and_enum() {
        let spec = json!({});
        let schema = json!({ "type": "string", "nullable": true, "enum": ["a"] });
        let converted = json_schema(&spec, &schema, true).unwrap();
        assert_eq!(converted.pointer("/type"), Some(&json!(["string", "null"])), "{converted}");
        assert_eq!(converted.pointer("/enum"), Some(&json!(["a", null])), "{converted}");
    }
}
