//! A request body for operations whose reference prints no request example: the smallest document
//! the spec's schema accepts (its required fields, each with a value of its type), so that a test
//! still checks what goes on the wire.

use serde_json::{Map, Value, json};

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    codearts_codegen::spec::resolve(spec, node)
}

/// The smallest value `schema` accepts (depth-limited for recursive schemas).
pub fn minimal(spec: &Value, schema: &Value) -> Value {
    value(spec, schema, 0)
}

fn value(spec: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(spec, schema);
    if depth > 8 {
        return Value::Null;
    }
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(first) = schema[key].get(0) {
            return value(spec, first, depth + 1);
        }
    }
    match schema["type"].as_str() {
        Some("string") => json!("x"),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        Some("number") => json!(1.0),
        Some("boolean") => json!(true),
        Some("array") => {
            let n = schema["minItems"].as_u64().unwrap_or(0) as usize;
            Value::Array((0..n).map(|_| value(spec, &schema["items"], depth + 1)).collect())
        }
        _ => {
            let mut out = Map::new();
            let required: Vec<&str> =
                schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            for name in required {
                out.insert(name.to_string(), value(spec, &schema["properties"][name], depth + 1));
            }
            Value::Object(out)
        }
    }
}
