//! The spec's stored examples and errata, read the same way by `cargo xtask validate` and by the
//! round-trip tests, so the two cannot disagree on what an erratum means.

use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where in an operation's example an erratum sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    Request,
    Response,
    RequestLine,
}

/// What kind of contradiction between the vendor's example and its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Shape,
    FieldName,
    ExtraField,
    MissingField,
    Value,
    InvalidJson,
    Method,
    Path,
    QueryMissing,
    QueryExtra,
}

/// What the spec does about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// The spec says what the table says; the example is corrected mechanically for the round trip.
    FollowTable,
    /// The spec accepts the table's and the example's form.
    AcceptBoth,
    /// The spec accepts the example's name as an alias of the table's.
    Alias,
    /// The spec follows the example.
    FollowExample,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erratum {
    pub id: String,
    pub section: String,
    pub operation: String,
    pub location: Location,
    pub kind: Kind,
    #[serde(default)]
    pub pointer: Option<String>,
    #[serde(default)]
    pub table: Option<Value>,
    #[serde(default)]
    pub example: Option<Value>,
    pub decision: Decision,
    pub why: String,
    /// For a `follow-table` decision the mechanical correction cannot derive (a missing mandatory
    /// field, an out-of-range value, an unparsable document): the value the table implies.
    #[serde(default, rename = "fix-value")]
    pub fix_value: Option<Value>,
    /// For an `invalid-json` erratum decided `follow-table`: a file (relative to the spec) holding the
    /// document the table describes, with the vendor's structural slips mended and nothing else.
    #[serde(default, rename = "fix-file")]
    pub fix_file: Option<String>,
    /// Which example file, when an operation has more than one for this location.
    #[serde(default)]
    pub file: Option<String>,
}

/// One stored example, as the spec references it.
#[derive(Debug, Clone)]
pub struct ExampleRef {
    pub operation: String,
    pub method: String,
    pub path: String,
    pub location: Location,
    pub media_type: String,
    /// Path relative to the spec's directory, as written in `externalValue`.
    pub file: String,
    /// JSON pointer of the media type object in the spec (for schema lookup).
    pub media_pointer: String,
}

pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Escapes one JSON-pointer token.
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Reads a YAML or JSON document into a `serde_json::Value`.
pub fn load_yaml(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every `externalValue` example of request bodies and responses in a spec.
pub fn examples_of(spec: &Value) -> Vec<ExampleRef> {
    let mut out = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else { return out };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let operation = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_string();
            let op_ptr = format!("/paths/{}/{method}", pointer_token(path));
            let mut media = Vec::new();
            if let Some(content) = op.pointer("/requestBody/content").and_then(Value::as_object) {
                for (mt, m) in content {
                    media.push((
                        Location::Request,
                        mt,
                        m,
                        format!("{op_ptr}/requestBody/content/{}", pointer_token(mt)),
                    ));
                }
            }
            // Every response's examples: the 200 body's, and error bodies' where the source prints them
            // (an erratum on one of several response examples names its `file`).
            for (status, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                for (mt, m) in response.get("content").and_then(Value::as_object).into_iter().flatten() {
                    media.push((
                        Location::Response,
                        mt,
                        m,
                        format!("{op_ptr}/responses/{status}/content/{}", pointer_token(mt)),
                    ));
                }
            }
            for (location, mt, m, media_pointer) in media {
                let Some(examples) = m.get("examples").and_then(Value::as_object) else { continue };
                for ex in examples.values() {
                    // Where the vendor's printed example is not JSON, `externalValue` points at the
                    // corrected document (so that bundlers and generators can resolve it) and
                    // `x-codearts-printed` at the raw text, which is what the errata describe.
                    let printed = ex.get("x-codearts-printed").and_then(Value::as_str);
                    if let Some(file) = printed.or_else(|| ex.get("externalValue").and_then(Value::as_str)) {
                        out.push(ExampleRef {
                            operation: operation.clone(),
                            method: method.to_string(),
                            path: path.clone(),
                            location,
                            media_type: mt.clone(),
                            file: file.to_string(),
                            media_pointer: media_pointer.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// Loads an errata file (a YAML list).
pub fn load_errata(path: &Path) -> Result<Vec<Erratum>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

impl Erratum {
    /// Does this erratum concern that example?
    pub fn concerns(&self, ex: &ExampleRef) -> bool {
        self.operation == ex.operation
            && self.location == ex.location
            && self.file.as_deref().is_none_or(|f| f == ex.file)
    }

    fn pointer(&self) -> &str {
        self.pointer.as_deref().unwrap_or("")
    }

    fn text(v: &Option<Value>) -> Option<&str> {
        v.as_ref().and_then(Value::as_str)
    }

    /// Checks that the contradiction this erratum records is really in the raw example. An erratum
    /// that no longer describes the example fails here, so stale errata cannot pile up.
    pub fn check_fact(&self, raw: &str) -> Result<(), String> {
        let parsed: Result<Value, _> = serde_json::from_str(raw);
        if self.kind == Kind::InvalidJson {
            return match parsed {
                Err(_) => Ok(()),
                Ok(_) => Err("the example parses as JSON".into()),
            };
        }
        let doc = parsed.map_err(|e| format!("the example is not JSON ({e}) but the erratum is not `invalid-json`"))?;
        let at = doc.pointer(self.pointer());
        match self.kind {
            Kind::Shape => {
                let want_example = Self::text(&self.example).ok_or("`example` must name a JSON type")?;
                let want_table = Self::text(&self.table).ok_or("`table` must name a JSON type")?;
                let found = at.map(json_type).ok_or_else(|| format!("nothing at {}", self.pointer()))?;
                if !type_matches(found, want_example) {
                    return Err(format!("value at {} is {found}, not {want_example}", self.pointer()));
                }
                if type_matches(found, want_table) {
                    return Err(format!("value at {} already is a {want_table}", self.pointer()));
                }
                Ok(())
            }
            Kind::FieldName | Kind::ExtraField | Kind::MissingField => {
                let obj = at.and_then(Value::as_object).ok_or_else(|| format!("no object at {}", self.pointer()))?;
                if let (Kind::FieldName | Kind::ExtraField, Some(name)) = (self.kind, Self::text(&self.example)) {
                    if !obj.contains_key(name) {
                        return Err(format!("the object at {} has no field `{name}`", self.pointer()));
                    }
                } else if self.kind != Kind::MissingField {
                    return Err("`example` must name the example's field".into());
                }
                if let (Kind::FieldName | Kind::MissingField, Some(name)) = (self.kind, Self::text(&self.table)) {
                    if obj.contains_key(name) {
                        return Err(format!("the object at {} has the table's field `{name}`", self.pointer()));
                    }
                } else if self.kind != Kind::ExtraField {
                    return Err("`table` must name the table's field".into());
                }
                Ok(())
            }
            Kind::Value => {
                let want = self.example.as_ref().ok_or("`example` must give the example's value")?;
                match at {
                    Some(v) if v == want => Ok(()),
                    Some(v) => Err(format!("value at {} is {v}, not {want}", self.pointer())),
                    None => Err(format!("nothing at {}", self.pointer())),
                }
            }
            other => Err(format!("kind {other:?} does not apply to a {:?} example", self.location)),
        }
    }

    /// Applies the table's view to the example (only for `follow-table` decisions).
    pub fn apply_fix(&self, doc: &mut Value) -> Result<(), String> {
        if self.decision != Decision::FollowTable {
            return Ok(());
        }
        let pointer = self.pointer().to_string();
        if self.kind == Kind::InvalidJson {
            return Ok(()); // handled by `corrected_example`, which can read `fix-file`
        }
        let target = doc.pointer_mut(&pointer).ok_or_else(|| format!("nothing at {pointer}"))?;
        match self.kind {
            Kind::Shape | Kind::Value => {
                if let Some(v) = &self.fix_value {
                    *target = v.clone();
                    return Ok(());
                }
                if self.kind == Kind::Value {
                    return Ok(()); // documented, decodes either way
                }
                let table = Self::text(&self.table).unwrap_or_default();
                *target = match (table, target.take()) {
                    ("array", v) => Value::Array(vec![v]),
                    ("object", Value::Array(mut items)) if items.len() == 1 && items[0].is_object() => items.remove(0),
                    ("string", Value::Number(n)) => Value::String(n.to_string()),
                    ("string", Value::Bool(b)) => Value::String(b.to_string()),
                    ("integer" | "number", Value::String(s)) => {
                        serde_json::from_str(&s).map_err(|_| format!("`{s}` is not a number; give `fix-value`"))?
                    }
                    ("boolean", Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
                    (t, v) => {
                        return Err(format!("cannot turn {} into {t} mechanically; give `fix-value`", json_type(&v)));
                    }
                };
                Ok(())
            }
            Kind::FieldName => {
                let obj = target.as_object_mut().ok_or("not an object")?;
                let (from, to) =
                    (Self::text(&self.example).unwrap_or_default(), Self::text(&self.table).unwrap_or_default());
                let v = obj.remove(from).ok_or_else(|| format!("no field `{from}`"))?;
                obj.insert(to.to_string(), v);
                Ok(())
            }
            Kind::ExtraField => {
                let obj = target.as_object_mut().ok_or("not an object")?;
                obj.remove(Self::text(&self.example).unwrap_or_default());
                Ok(())
            }
            Kind::MissingField => {
                let obj = target.as_object_mut().ok_or("not an object")?;
                let v = self.fix_value.clone().ok_or("a `missing-field` erratum needs `fix-value`")?;
                obj.insert(Self::text(&self.table).unwrap_or_default().to_string(), v);
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The example as the spec's decisions read it: parsed (or replaced, for invalid JSON) and with every
/// `follow-table` erratum applied, in file order.
pub fn corrected_example(errata: &[Erratum], ex: &ExampleRef, raw: &str, spec_dir: &Path) -> Result<Value, String> {
    let relevant: Vec<&Erratum> = errata.iter().filter(|e| e.concerns(ex)).collect();
    let mut doc = match serde_json::from_str::<Value>(raw) {
        Ok(v) => v,
        Err(e) => {
            let fix = relevant.iter().find(|e| e.kind == Kind::InvalidJson && e.decision == Decision::FollowTable);
            match (fix.and_then(|e| e.fix_value.clone()), fix.and_then(|e| e.fix_file.as_deref())) {
                (Some(v), _) => v,
                (None, Some(file)) => {
                    let path = spec_dir.join(file);
                    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
                }
                (None, None) => {
                    return Err(format!(
                        "{}: not JSON ({e}) and no `invalid-json` erratum with `fix-value` or `fix-file`",
                        ex.file
                    ));
                }
            }
        }
    };
    for e in relevant.iter().filter(|e| e.kind != Kind::InvalidJson) {
        e.apply_fix(&mut doc).map_err(|m| format!("erratum {}: {m}", e.id))?;
    }
    Ok(doc)
}

/// JSON type name of a value (`integer` for whole numbers).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(found: &str, want: &str) -> bool {
    found == want || (want == "number" && found == "integer")
}

/// The spec's directory, from a spec path.
pub fn spec_dir(spec: &Path) -> PathBuf {
    spec.parent().map(Path::to_path_buf).unwrap_or_default()
}
