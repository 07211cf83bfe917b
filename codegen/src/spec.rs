//! The project's OpenAPI extensions, read as data (their meaning is in `spec/README.md`).

use serde::Deserialize;
use serde_json::Value;

/// `x-codearts-pagination` of one operation: how it pages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Pagination {
    /// The page position: a query parameter (`offset`) or a JSON body field (`body.offset`).
    pub page: String,
    /// What the position counts.
    #[serde(default)]
    pub kind: PageKind,
    /// For [`PageKind::Page`]: the number of the first page (0 or 1).
    #[serde(default)]
    pub first_page: Option<u64>,
    /// The page size: a query parameter or `body.<field>`.
    pub size: String,
    /// The largest page size the reference allows.
    #[serde(default)]
    pub max_size: Option<u32>,
    /// Dotted path of the items array in the 200 body (`''`: the body is the array).
    pub items: String,
    /// Dotted path of the total number of items, if the body has one.
    #[serde(default)]
    pub total: Option<String>,
}

/// What a page position counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageKind {
    /// A page number.
    #[default]
    Page,
    /// An item offset.
    Offset,
}

impl Pagination {
    /// The operation's declaration, if it has one.
    pub fn of(operation: &Value) -> Option<Result<Pagination, String>> {
        let decl = operation.get("x-codearts-pagination")?;
        Some(serde_json::from_value(decl.clone()).map_err(|e| format!("x-codearts-pagination: {e}")))
    }
}

/// One entry of a spec's `x-codearts-error-codes` catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCode {
    /// The code, as in the body's `error_code` (`CB.00060100`).
    pub code: String,
    /// The HTTP status the reference documents with it.
    pub status: u16,
    /// The reference's message for it.
    pub message: String,
    /// What the caller can do about it (this project's wording).
    #[serde(default)]
    pub remedy: Option<String>,
    /// Sending the same request again later may succeed (the reference says so: busy, try again).
    pub retryable: bool,
    /// What the code means, for the SDK's error predicates and the emulator's answers.
    #[serde(default)]
    pub class: Option<ErrorClass>,
    /// For an `invalid-parameter` code that answers only some parameters (Build's "invalid task
    /// ID"): their names.
    #[serde(default)]
    pub parameters: Vec<String>,
}

/// What a documented error code means, where the SDK's predicates care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// The resource or URL does not exist.
    NotFound,
    /// Too many requests.
    Throttled,
    /// A parameter or body field is missing or malformed.
    InvalidParameter,
    /// The request conflicts with the resource's state (it is already running, not waiting, …).
    Conflict,
}

/// A spec's error-code catalogue (`x-codearts-error-codes` at the document's root).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodes {
    /// Where the table was transcribed from.
    #[serde(default)]
    pub source: Option<Value>,
    /// The codes, in the reference's order.
    #[serde(default)]
    pub codes: Vec<ErrorCode>,
}

impl ErrorCodes {
    /// The document's catalogue (empty when it declares none).
    pub fn of(spec: &Value) -> Result<ErrorCodes, String> {
        match spec.get("x-codearts-error-codes") {
            None => Ok(ErrorCodes::default()),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("x-codearts-error-codes: {e}")),
        }
    }
}

/// The node a local `$ref` points at (or `node` itself).
pub fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r.strip_prefix('#').and_then(|p| spec.pointer(p)).unwrap_or(&Value::Null),
        None => node,
    }
}

/// The schema a dotted path (`result.items`; `''` is `schema` itself) reaches, following `$ref`s.
pub fn walk<'a>(spec: &'a Value, schema: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(resolve(spec, schema));
    }
    path.split('.').try_fold(resolve(spec, schema), |node, field| {
        node.get("properties").and_then(|p| p.get(field)).map(|s| resolve(spec, s))
    })
}

/// The schema of a media-type map's JSON entry (`application/json`, with or without parameters).
pub fn json_media(content: &Value) -> Option<&Value> {
    content.as_object()?.iter().find(|(mt, _)| mt.starts_with("application/json")).and_then(|(_, m)| m.get("schema"))
}
