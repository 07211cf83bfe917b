//! The per-operation commands' table, from the SDK's specs: for every operation of every service,
//! its command name, help texts, parameters, body fields and body schema (JSON Schema, for checking
//! a body before anything is sent), and how it pages. The CLI builds its clap tree from this table
//! at run time (`src/operations.rs`), so an operation added to a spec is a command without code.

use std::path::{Path, PathBuf};

use codearts_codegen::spec::{Pagination, resolve};
use serde_json::{Map, Value, json};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let root = manifest.parent().expect("the workspace root").to_path_buf();
    println!("cargo:rerun-if-changed=build.rs");
    let mut operations = Vec::new();
    for service in codearts_codegen::SERVICES {
        let path = root.join(service.spec);
        println!("cargo:rerun-if-changed={}", path.display());
        let spec = codearts_codegen::errata::load_yaml(&path).unwrap_or_else(|e| fail(&e));
        operations.extend(service_operations(service.module, &spec).unwrap_or_else(|e| fail(&e)));
        // The components once per service; each body schema refers into them.
        let definitions = codearts_codegen::schema::json_schema(&spec, &json!({}), false).unwrap_or_else(|e| fail(&e));
        write(&out.join(format!("definitions-{}.json", service.module)), &definitions.to_string());
    }
    write(&out.join("operations.json"), &Value::Array(operations).to_string());
}

fn service_operations(module: &str, spec: &Value) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let paths = spec.get("paths").and_then(Value::as_object).ok_or("the spec has no paths")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
            let text = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or_default().trim().to_string();
            let paging = match Pagination::of(op) {
                Some(decl) => {
                    let d = decl.map_err(|e| format!("{id}: {e}"))?;
                    json!({
                        "page": d.page, "size": d.size, "items": d.items,
                        "offset": matches!(d.kind, codearts_codegen::spec::PageKind::Offset),
                        "first_page": d.first_page.unwrap_or(0), "max_size": d.max_size,
                    })
                }
                None => Value::Null,
            };
            out.push(json!({
                "service": module,
                "id": id,
                "command": heck::ToKebabCase::to_kebab_case(id),
                "method": method.to_uppercase(),
                "path": path,
                "summary": text("summary"),
                "description": text("description"),
                "deprecated": op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                "params": params(spec, op),
                "body": body(spec, op, id)?,
                "paging": paging,
            }));
        }
    }
    Ok(out)
}

/// What a value of `schema` is, for flags: `string`, `integer`, `number`, `boolean`, `array`
/// (of scalars) or `other` (objects, arrays of objects: only through `--body`).
fn kind(spec: &Value, schema: &Value) -> &'static str {
    let schema = resolve(spec, schema);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => "string",
        Some("integer") => "integer",
        Some("number") => "number",
        Some("boolean") => "boolean",
        Some("array") => match kind(spec, schema.get("items").unwrap_or(&Value::Null)) {
            "string" | "integer" | "number" | "boolean" => "array",
            _ => "other",
        },
        _ if schema.get("enum").is_some() => "string",
        _ => "other",
    }
}

fn values(spec: &Value, schema: &Value) -> Vec<Value> {
    let schema = resolve(spec, schema);
    let list = schema.get("enum").or_else(|| resolve(spec, schema.get("items").unwrap_or(&Value::Null)).get("enum"));
    list.and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter(|x| !x.is_null())
                .map(|x| json!(x.as_str().map_or_else(|| x.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default()
}

fn params(spec: &Value, op: &Value) -> Vec<Value> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| resolve(spec, p))
        .filter(|p| matches!(p.get("in").and_then(Value::as_str), Some("path" | "query")))
        .map(|p| {
            let schema = p.get("schema").unwrap_or(&Value::Null);
            json!({
                "name": p["name"],
                "location": p["in"],
                "required": p.get("required").and_then(Value::as_bool).unwrap_or(false),
                "help": p.get("description").and_then(Value::as_str).unwrap_or_default().trim(),
                "kind": kind(spec, schema),
                "values": values(spec, schema),
                "default": resolve(spec, schema).get("default").map(|d| json!(d.as_str().map_or_else(|| d.to_string(), str::to_string))),
            })
        })
        .collect()
}

fn body(spec: &Value, op: &Value, id: &str) -> Result<Value, String> {
    let Some(request) = op.get("requestBody").map(|b| resolve(spec, b)) else { return Ok(Value::Null) };
    let Some(content) = request.get("content").and_then(Value::as_object) else { return Ok(Value::Null) };
    let Some((media, media_object)) = content.iter().next() else { return Ok(Value::Null) };
    let schema = media_object.get("schema").cloned().unwrap_or(json!({}));
    let resolved = resolve(spec, &schema);
    let required: Vec<&str> =
        resolved.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let mut fields = Vec::new();
    for (name, property) in resolved.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let binary = resolve(spec, property).get("format").and_then(Value::as_str) == Some("binary");
        let kind = if binary { "file" } else { kind(spec, property) };
        if kind == "other" {
            continue;
        }
        fields.push(json!({
            "name": name,
            "required": required.contains(&name.as_str()),
            "help": resolve(spec, property).get("description").and_then(Value::as_str).unwrap_or_default().trim(),
            "kind": kind,
            "values": values(spec, property),
        }));
    }
    let format = if media.starts_with("multipart/") {
        "form"
    } else if media.contains("json") {
        "json"
    } else {
        "bytes"
    };
    let mut converted = match codearts_codegen::schema::json_schema(spec, &schema, false) {
        Ok(Value::Object(m)) => m,
        Ok(_) => Map::new(),
        Err(e) => return Err(format!("{id}: {e}")),
    };
    converted.remove("definitions");
    converted.remove("$schema");
    Ok(json!({
        "format": format,
        "media_type": media,
        "required": request.get("required").and_then(Value::as_bool).unwrap_or(false),
        "top_level": resolved.get("type").and_then(Value::as_str).unwrap_or("object"),
        "fields": fields,
        "schema": Value::Object(converted),
    }))
}

fn write(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
