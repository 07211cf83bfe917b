//! The API surface of one service, as both `cargo xtask drift` and `cargo xtask changes` compare it:
//! per operation its method, path, success status and media types, and every parameter and body
//! field flattened to a pointer (`/parameters/query/limit`, `/request/scms/0/url`,
//! `/response/result/*`), with its required flag, type and enumeration. Our OpenAPI specs and the
//! vendor's Swagger 2.0 API Explorer definitions both become one [`Surface`], so one [`diff`] serves
//! "the vendor changed" (drift) and "we changed" (changes).
//!
//! Pointers follow the sources errata: an array's items are `/0`, a map's values `/*`.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Headers that carry authentication or framing; neither source's operation declares them as its own.
const TRANSPORT_HEADERS: &[&str] =
    &["x-auth-token", "content-type", "authorization", "x-sdk-date", "x-project-id", "host"];

/// How deep a body is followed: deeper than any table of the references, and a stop for cycles.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surface {
    pub ops: BTreeMap<String, Op>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Op {
    pub method: String,
    pub path: String,
    pub deprecated: bool,
    /// The success status whose body is `/response` (200, else the first 2xx).
    pub status: String,
    /// Every success (2xx) status the operation declares.
    pub statuses: BTreeSet<String>,
    /// `x-codearts-pagination` (the generator emits `into_paginator()`); our specs only.
    pub paginated: bool,
    pub request_media: Option<String>,
    pub response_media: Option<String>,
    /// Parameters (`/parameters/<in>/<name>`), the bodies (`/request`, `/response`) and their fields.
    pub items: BTreeMap<String, Item>,
    /// Names a `required` list gives that are no property of its object (a slip of the vendor's).
    pub dangling_required: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub required: bool,
    /// `string`, `integer(int32)`, `integer(int64)`, `number`, `boolean`, `binary`, `array`,
    /// `object`, `map`, `any`, or `oneOf(a|b)`.
    pub ty: String,
    /// The named schema (component or definition) the item's type is, if any.
    pub name: Option<String>,
    /// Enumerated values: `enum` (closed: the generator emits a Rust enum) or `x-codearts-values`
    /// (documented values of a plain string).
    pub values: Option<BTreeSet<String>>,
    pub closed: bool,
    pub pattern: Option<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
}

impl Item {
    /// The type without an integer's width: what a retype is when only one side states the width.
    pub fn base_ty(&self) -> &str {
        self.ty.split('(').next().unwrap_or(&self.ty)
    }
}

/// Which dialect a document is: our OpenAPI 3.0 specs or the explorer's Swagger 2.0 definitions.
#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    OpenApi,
    Swagger,
}

struct Walker<'a> {
    doc: &'a Value,
    dialect: Dialect,
    dangling: std::cell::RefCell<BTreeSet<String>>,
}

impl<'a> Walker<'a> {
    fn resolve(&self, node: &'a Value) -> (&'a Value, Option<String>) {
        let mut node = node;
        let mut name = None;
        for _ in 0..8 {
            let Some(r) = node.get("$ref").and_then(Value::as_str) else { break };
            name = r.rsplit('/').next().map(str::to_string);
            node = r.strip_prefix('#').and_then(|p| self.doc.pointer(p)).unwrap_or(&Value::Null);
        }
        (node, name)
    }

    /// Adds `schema` at `ptr` and everything under it.
    fn schema(&self, schema: &'a Value, ptr: &str, required: bool, items: &mut BTreeMap<String, Item>, depth: usize) {
        let (node, name) = self.resolve(schema);
        let mut item = Item { required, name: name.clone(), ..Item::default() };
        if depth > MAX_DEPTH {
            item.ty = "object".into();
            items.insert(ptr.to_string(), item);
            return;
        }
        let merged = merge_all_of(self, node);
        let node = merged.as_ref().unwrap_or(node);
        constraints(node, &mut item);
        if self.dialect == Dialect::Swagger && item.values.is_none() {
            item.values = node.get("description").and_then(Value::as_str).and_then(described_values);
        }
        let branches = node.get("oneOf").or_else(|| node.get("anyOf")).and_then(Value::as_array);
        let mut children: Vec<(String, &Value, bool)> = Vec::new();
        if let Some(branches) = branches {
            let mut tys = Vec::new();
            for b in branches {
                let (b, _) = self.resolve(b);
                tys.push(self.type_of(b));
                for (k, v, req) in self.children_of(b) {
                    children.push((k, v, req));
                }
            }
            tys.sort();
            tys.dedup();
            item.ty = format!("oneOf({})", tys.join("|"));
        } else {
            item.ty = self.type_of(node);
            children = self.children_of(node);
        }
        items.insert(ptr.to_string(), item);
        if let (Some(req), Some(props)) =
            (node.get("required").and_then(Value::as_array), node.get("properties").and_then(Value::as_object))
        {
            for name in req.iter().filter_map(Value::as_str).filter(|n| !props.contains_key(*n)) {
                self.dangling.borrow_mut().insert(format!("{ptr}/{}", escape(name)));
            }
        }
        for (key, child, req) in children {
            let at = format!("{ptr}/{key}");
            if !items.contains_key(&at) {
                self.schema(child, &at, req, items, depth + 1);
            }
        }
    }

    fn type_of(&self, node: &Value) -> String {
        let t = node.get("type").and_then(Value::as_str);
        let format = node.get("format").and_then(Value::as_str);
        match t {
            Some("integer") => match format {
                Some(f @ ("int32" | "int64")) => format!("integer({f})"),
                _ => "integer".into(),
            },
            Some("long") => "integer(int64)".into(),
            Some("float" | "double" | "number") => "number".into(),
            Some("file") => "binary".into(),
            Some("string") if format == Some("binary") => "binary".into(),
            Some("object") | None => {
                if node.get("properties").is_some_and(|p| p.as_object().is_some_and(|m| !m.is_empty())) {
                    "object".into()
                } else if node.get("additionalProperties").is_some_and(|a| a.is_object() && !is_any(a)) {
                    "map".into()
                } else if t.is_some() || node.get("properties").is_some() {
                    "object".into()
                } else if node.get("items").is_some() {
                    "array".into()
                } else {
                    "any".into()
                }
            }
            Some(other) => other.to_string(),
        }
    }

    fn children_of(&self, node: &'a Value) -> Vec<(String, &'a Value, bool)> {
        let mut out = Vec::new();
        let required: BTreeSet<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                out.push((escape(k), v, required.contains(k.as_str())));
            }
        }
        if let Some(items) = node.get("items") {
            out.push(("0".to_string(), items, false));
        }
        if let Some(ap) = node.get("additionalProperties").filter(|a| a.is_object() && !is_any(a)) {
            out.push(("*".to_string(), ap, false));
        }
        out
    }
}

/// `allOf` merged into one object schema (properties and required lists), if there is one.
fn merge_all_of(w: &Walker, node: &Value) -> Option<Value> {
    let parts = node.get("allOf")?.as_array()?;
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    let mut merged = node.as_object()?.clone();
    merged.remove("allOf");
    let own = Value::Object(merged.clone());
    for part in parts.iter().chain(std::iter::once(&own)) {
        let (part, _) = w.resolve(part);
        let part = merge_all_of(w, part).unwrap_or_else(|| part.clone());
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            props.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
    }
    merged.insert("type".into(), "object".into());
    merged.insert("properties".into(), Value::Object(props));
    merged.insert("required".into(), Value::Array(required));
    Some(Value::Object(merged))
}

fn is_any(v: &Value) -> bool {
    v.as_object().is_some_and(|m| m.keys().all(|k| k == "description"))
}

/// A property name as a pointer token.
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn constraints(node: &Value, item: &mut Item) {
    let values = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| !x.is_null())
                    .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(e) = node.get("enum") {
        item.values = Some(values(e));
        item.closed = true;
    } else if let Some(e) = node.get("x-codearts-values") {
        item.values = Some(values(e));
    }
    item.pattern = node.get("pattern").and_then(Value::as_str).map(str::to_string);
    item.minimum = node.get("minimum").and_then(Value::as_f64);
    item.maximum = node.get("maximum").and_then(Value::as_f64);
    item.min_length = node.get("minLength").and_then(Value::as_u64);
    item.max_length = node.get("maxLength").and_then(Value::as_u64);
}

/// The values an explorer description enumerates. The definitions never use `enum`; their
/// descriptions list values under a "value range" heading, one `- value: meaning` (or `- value。`)
/// per line. A list whose items are prose (Chinese words, ranges) enumerates nothing.
pub fn described_values(desc: &str) -> Option<BTreeSet<String>> {
    let start = desc.find("**取值范围")?;
    let rest = &desc[start..];
    let body = &rest[rest.find('\n')? + 1..];
    let body = body.find("\n**").map_or(body, |end| &body[..end]);
    let mut out = BTreeSet::new();
    for line in body.lines().map(str::trim).filter(|l| l.starts_with("- ")) {
        let item = line[2..].trim();
        let token = item.split([':', '：', '。']).next().unwrap_or_default().trim();
        let token = token.trim_matches(|c| matches!(c, '"' | '\'' | '‘' | '’' | '“' | '”' | '`'));
        let plain = |c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '#' | '+' | '=' | '<' | '>' | '!' | ' ')
        };
        if token.is_empty() || !token.chars().all(plain) || token.contains("  ") {
            return None;
        }
        out.insert(token.to_string());
    }
    (!out.is_empty()).then_some(out)
}

fn is_transport_header(param: &Value) -> bool {
    param.get("in").and_then(Value::as_str) == Some("header")
        && param
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| TRANSPORT_HEADERS.contains(&n.to_ascii_lowercase().as_str()))
}

fn success_statuses(responses: Option<&Value>) -> BTreeSet<String> {
    responses
        .and_then(Value::as_object)
        .map(|m| m.keys().filter(|k| k.starts_with('2')).cloned().collect())
        .unwrap_or_default()
}

fn success_status(responses: &Value) -> Option<(&String, &Value)> {
    let map = responses.as_object()?;
    map.get_key_value("200").or_else(|| map.iter().filter(|(k, _)| k.starts_with('2')).min_by_key(|(k, _)| *k))
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// The surface of one of our OpenAPI 3.0 specs.
pub fn of_openapi(spec: &Value) -> Surface {
    let w = Walker { doc: spec, dialect: Dialect::OpenApi, dangling: Default::default() };
    let mut surface = Surface::default();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else { return surface };
    for (path, item) in paths {
        let shared: Vec<&Value> =
            item.get("parameters").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
        for method in METHODS {
            let Some(o) = item.get(*method) else { continue };
            let Some(id) = o.get("operationId").and_then(Value::as_str) else { continue };
            let mut op = Op {
                method: method.to_uppercase(),
                path: path.clone(),
                deprecated: o.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                paginated: o.get("x-codearts-pagination").is_some(),
                ..Op::default()
            };
            let own = o.get("parameters").and_then(Value::as_array).into_iter().flatten();
            for p in shared.iter().copied().chain(own) {
                let (p, _) = w.resolve(p);
                if is_transport_header(p) {
                    continue;
                }
                let (Some(name), Some(loc)) =
                    (p.get("name").and_then(Value::as_str), p.get("in").and_then(Value::as_str))
                else {
                    continue;
                };
                let required = p.get("required").and_then(Value::as_bool).unwrap_or(false) || loc == "path";
                let schema = p.get("schema").unwrap_or(&Value::Null);
                w.schema(schema, &format!("/parameters/{loc}/{}", escape(name)), required, &mut op.items, 0);
            }
            if let Some(body) = o.get("requestBody") {
                let (body, _) = w.resolve(body);
                if let Some((media, m)) = body.get("content").and_then(Value::as_object).and_then(|c| c.iter().next()) {
                    op.request_media = Some(media.clone());
                    let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
                    w.schema(m.get("schema").unwrap_or(&Value::Null), "/request", required, &mut op.items, 0);
                }
            }
            op.statuses = success_statuses(o.get("responses"));
            if let Some((status, r)) = o.get("responses").and_then(success_status) {
                op.status = status.clone();
                let (r, _) = w.resolve(r);
                if let Some((media, m)) = r.get("content").and_then(Value::as_object).and_then(|c| c.iter().next()) {
                    op.response_media = Some(media.clone());
                    w.schema(m.get("schema").unwrap_or(&Value::Null), "/response", false, &mut op.items, 0);
                }
            }
            op.dangling_required = w.dangling.take();
            surface.ops.insert(id.to_string(), op);
        }
    }
    surface
}

/// The surface of one API Explorer definition (one Swagger 2.0 document per operation), keyed by
/// the definition's operation name.
pub fn of_explorer(doc: &Value) -> Option<(String, Op)> {
    let w = Walker { doc, dialect: Dialect::Swagger, dangling: Default::default() };
    let (path, item) = doc.get("paths")?.as_object()?.iter().next()?;
    let (method, o) = item.as_object()?.iter().find(|(m, _)| METHODS.contains(&m.as_str()))?;
    let name = o.get("operationId").or_else(|| doc.get("name")).and_then(Value::as_str).map(str::to_string)?;
    let mut op = Op {
        method: method.to_uppercase(),
        path: path.clone(),
        deprecated: o.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        ..Op::default()
    };
    // The document-level `consumes` is a JSON text ("[\"application/json;charset=UTF-8\"]").
    let doc_consumes: Vec<String> =
        doc.get("consumes").and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let consumes: Vec<String> = o
        .get("consumes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .filter(|v: &Vec<String>| !v.is_empty())
        .unwrap_or(doc_consumes);
    let mut form = serde_json::Map::new();
    let mut form_required = Vec::new();
    for p in o.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        let p = match p.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                doc.get("parameters").and_then(|ps| ps.get(r.rsplit('/').next().unwrap_or_default())).unwrap_or(p)
            }
            None => p,
        };
        if is_transport_header(p) {
            continue;
        }
        let (Some(pname), Some(loc)) = (p.get("name").and_then(Value::as_str), p.get("in").and_then(Value::as_str))
        else {
            continue;
        };
        let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
        match loc {
            "body" => {
                op.request_media = Some(consumes.first().cloned().unwrap_or_else(|| "application/json".into()));
                w.schema(p.get("schema").unwrap_or(&Value::Null), "/request", required, &mut op.items, 0);
            }
            "formData" => {
                form.insert(pname.to_string(), p.clone());
                if required {
                    form_required.push(Value::from(pname));
                }
            }
            _ => {
                // A Swagger 2.0 parameter is its own schema (type, format, enum, items, limits).
                let required = required || loc == "path";
                w.schema(p, &format!("/parameters/{loc}/{}", escape(pname)), required, &mut op.items, 0);
            }
        }
    }
    if !form.is_empty() {
        op.request_media = Some(
            consumes
                .iter()
                .find(|c| c.starts_with("multipart/"))
                .cloned()
                .unwrap_or_else(|| "multipart/form-data".into()),
        );
        let schema = serde_json::json!({"type": "object", "properties": form, "required": form_required});
        let w = Walker { doc: &schema, dialect: Dialect::Swagger, dangling: Default::default() };
        w.schema(&schema, "/request", true, &mut op.items, 0);
    }
    op.statuses = success_statuses(o.get("responses"));
    if let Some((status, r)) = o.get("responses").and_then(success_status) {
        op.status = status.clone();
        if let Some(schema) = r.get("schema") {
            let produces = o.get("produces").and_then(Value::as_array).and_then(|a| a.first()).and_then(Value::as_str);
            op.response_media = Some(produces.unwrap_or("application/json").to_string());
            w.schema(schema, "/response", false, &mut op.items, 0);
        }
    }
    op.dangling_required = w.dangling.take();
    Some((name, op))
}

/// What differs between two surfaces, from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    OperationAdded,
    OperationRemoved,
    Deprecated,
    Undeprecated,
    /// `x-codearts-pagination` declared or dropped.
    Paginated,
    Unpaginated,
    /// Method or path (`before`/`after`: `GET /v1/…`).
    Moved,
    /// The success statuses.
    Status,
    /// The request or response media type (pointer `/request` or `/response`).
    Media,
    Added,
    Removed,
    MadeRequired,
    MadeOptional,
    Retyped,
    /// Same type under another schema name (the generated Rust type's name).
    Renamed,
    /// An `enum` became documented values of a plain string, or the reverse.
    EnumOpened,
    EnumClosed,
    ValuesAdded,
    ValuesRemoved,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub op: String,
    pub pointer: String,
    pub change: Change,
    pub before: String,
    pub after: String,
}

impl Difference {
    pub fn in_parameters(&self) -> bool {
        self.pointer.starts_with("/parameters/")
    }
}

/// What to compare.
#[derive(Clone, Copy, Default)]
pub struct Compare {
    /// Schema names (for `changes`: they are the generated types' names; the explorer's names are
    /// its own and not compared).
    pub names: bool,
    /// Integer widths when only one side states one (the explorer leaves most unstated).
    pub strict_widths: bool,
    /// Required flags of response fields (the specs make every response field optional by
    /// convention: response tables have no Mandatory column).
    pub response_required: bool,
    /// Whether values are a Rust enum (`enum`) or documented strings (`x-codearts-values`); the
    /// explorer never says, so drift compares only the values.
    pub closedness: bool,
    /// Success statuses: only those `new` declares and `old` does not (a spec that also accepts
    /// another success status than the explorer's breaks no one).
    pub statuses_within: bool,
    /// Our own extensions (pagination), which the explorer does not have.
    pub extensions: bool,
}

/// Every difference from `old` to `new`. Under an item that was added, removed or retyped, nothing
/// more is reported: the one line says it.
pub fn diff(old: &Surface, new: &Surface, how: Compare) -> Vec<Difference> {
    let mut out = Vec::new();
    let d = |op: &str, pointer: &str, change, before: String, after: String| Difference {
        op: op.to_string(),
        pointer: pointer.to_string(),
        change,
        before,
        after,
    };
    for (id, o) in &old.ops {
        if !new.ops.contains_key(id) {
            out.push(d(id, "/", Change::OperationRemoved, line(o), String::new()));
        }
    }
    for (id, n) in &new.ops {
        let Some(o) = old.ops.get(id) else {
            out.push(d(id, "/", Change::OperationAdded, String::new(), line(n)));
            continue;
        };
        if o.deprecated != n.deprecated {
            let c = if n.deprecated { Change::Deprecated } else { Change::Undeprecated };
            out.push(d(id, "/", c, String::new(), String::new()));
        }
        if how.extensions && o.paginated != n.paginated {
            let c = if n.paginated { Change::Paginated } else { Change::Unpaginated };
            out.push(d(id, "/", c, String::new(), String::new()));
        }
        if (o.method.as_str(), o.path.as_str()) != (n.method.as_str(), n.path.as_str()) {
            out.push(d(id, "/", Change::Moved, line(o), line(n)));
        }
        let statuses_differ =
            if how.statuses_within { !n.statuses.is_subset(&o.statuses) } else { o.statuses != n.statuses };
        if statuses_differ {
            let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
            out.push(d(id, "/responses", Change::Status, list(&o.statuses), list(&n.statuses)));
        }
        for (ptr, a, b) in
            [("/request", &o.request_media, &n.request_media), ("/response", &o.response_media, &n.response_media)]
        {
            if let (Some(a), Some(b)) = (a, b)
                && a != b
            {
                out.push(d(id, ptr, Change::Media, a.clone(), b.clone()));
            }
        }
        // Items, parents before children; a pointer under one already reported is skipped.
        let mut cut: Vec<String> = Vec::new();
        let pointers: BTreeSet<&String> = o.items.keys().chain(n.items.keys()).collect();
        for ptr in pointers {
            if cut.iter().any(|c| ptr.starts_with(c.as_str()) && ptr[c.len()..].starts_with('/')) {
                continue;
            }
            match (o.items.get(ptr), n.items.get(ptr)) {
                (Some(a), None) => {
                    out.push(d(id, ptr, Change::Removed, describe(a), String::new()));
                    cut.push(ptr.clone());
                }
                (None, Some(b)) => {
                    out.push(d(id, ptr, Change::Added, String::new(), describe(b)));
                    cut.push(ptr.clone());
                }
                (Some(a), Some(b)) => {
                    let response = ptr.starts_with("/response");
                    if a.required != b.required && (how.response_required || !response) {
                        let c = if b.required { Change::MadeRequired } else { Change::MadeOptional };
                        out.push(d(id, ptr, c, describe(a), describe(b)));
                    }
                    let same_ty = a.ty == b.ty
                        || (!how.strict_widths
                            && a.base_ty() == "integer"
                            && b.base_ty() == "integer"
                            && (a.ty == "integer" || b.ty == "integer"));
                    if !same_ty {
                        out.push(d(id, ptr, Change::Retyped, a.ty.clone(), b.ty.clone()));
                        cut.push(ptr.clone());
                        continue;
                    }
                    // A named type under another name (an inline type that gets a name, or the
                    // reverse, is reported by what else changed with it).
                    if how.names
                        && let (Some(x), Some(y)) = (&a.name, &b.name)
                        && x != y
                        && (a.closed || b.closed || a.ty == "object" || a.ty.starts_with("oneOf"))
                    {
                        out.push(d(id, ptr, Change::Renamed, x.clone(), y.clone()));
                    }
                    values(id, ptr, a, b, how, &mut out);
                }
                (None, None) => {}
            }
        }
    }
    out.sort();
    out
}

fn values(id: &str, ptr: &str, a: &Item, b: &Item, how: Compare, out: &mut Vec<Difference>) {
    let push = |out: &mut Vec<Difference>, change, before: String, after: String| {
        out.push(Difference { op: id.to_string(), pointer: ptr.to_string(), change, before, after })
    };
    let list = |s: &BTreeSet<String>| {
        s.iter().map(|v| if v.is_empty() { "\"\"".to_string() } else { v.clone() }).collect::<Vec<_>>().join(", ")
    };
    let empty = BTreeSet::new();
    let (va, vb) = (a.values.as_ref().unwrap_or(&empty), b.values.as_ref().unwrap_or(&empty));
    if !how.closedness {
    } else if a.closed && !b.closed {
        push(out, Change::EnumOpened, list(va), list(vb));
    } else if !a.closed && b.closed {
        push(out, Change::EnumClosed, list(va), list(vb));
    }
    // Values only compare where both sides list some: a side without a list says nothing about them.
    if a.values.is_none() || b.values.is_none() {
        return;
    }
    let added: BTreeSet<String> = vb.difference(va).cloned().collect();
    let removed: BTreeSet<String> = va.difference(vb).cloned().collect();
    if !added.is_empty() {
        push(out, Change::ValuesAdded, list(va), list(&added));
    }
    if !removed.is_empty() {
        push(out, Change::ValuesRemoved, list(vb), list(&removed));
    }
}

pub fn line(op: &Op) -> String {
    format!("{} {}", op.method, op.path)
}

/// `string, required` / `integer(int64)` / `enum Kind` — one item in a report line.
pub fn describe(item: &Item) -> String {
    let mut s = match (&item.name, item.closed) {
        (Some(n), true) => format!("enum {n}"),
        (Some(n), false) if item.ty == "object" => format!("{} {n}", item.ty),
        _ => item.ty.clone(),
    };
    if item.required {
        s += ", required";
    }
    s
}
