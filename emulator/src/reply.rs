//! What every handler shares: the error answers (the reference's `CB.*` codes in the spec's
//! `ErrorResponse` body), the extractors for path and query parameters and JSON bodies that turn
//! every malformed input into such an answer (never into axum's plain-text rejections or a panic),
//! and the JSON and file answers.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;

use crate::build::types;

/// Invalid parameter (400).
pub(crate) const INVALID_PARAMETER: &str = "CB.00060200";
/// Invalid task ID (400).
pub(crate) const INVALID_TASK_ID: &str = "CB.00060201";
/// Invalid file name (400).
pub(crate) const INVALID_FILE_NAME: &str = "CB.00060203";
/// URL not found (404): the emulator's answer for every unknown resource.
pub(crate) const NOT_FOUND: &str = "CB.00060214";
/// Internal error (500).
pub(crate) const INTERNAL_ERROR: &str = "CB.00060101";

/// An error answer: status and the `{error_code, error_msg}` body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// What handlers return.
pub(crate) type Reply = Result<Response, ApiError>;

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    /// 400 `CB.00060200`.
    pub(crate) fn invalid(detail: impl AsRef<str>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID_PARAMETER, format!("Invalid parameter. {}", detail.as_ref()))
    }

    /// 400 `CB.00060201`.
    pub(crate) fn invalid_task_id(detail: impl AsRef<str>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, INVALID_TASK_ID, format!("Invalid task ID. {}", detail.as_ref()))
    }

    /// 404 `CB.00060214`.
    pub(crate) fn not_found(detail: impl AsRef<str>) -> Self {
        Self::new(StatusCode::NOT_FOUND, NOT_FOUND, format!("URL not found. {}", detail.as_ref()))
    }

    /// 403: the caller may not do this to that resource. The reference documents no code for it;
    /// the emulator answers `CB.00060200` with a message that says why.
    pub(crate) fn forbidden(detail: impl AsRef<str>) -> Self {
        Self::new(StatusCode::FORBIDDEN, INVALID_PARAMETER, format!("No permission. {}", detail.as_ref()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = types::ErrorResponse { error_code: Some(self.code.to_string()), error_msg: Some(self.message) };
        json_response(self.status, &body)
    }
}

/// `status` with `body` as JSON.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(e) => {
            let text = format!(r#"{{"error_code":"{INTERNAL_ERROR}","error_msg":"Internal error. {e}"}}"#);
            let mut response = (StatusCode::INTERNAL_SERVER_ERROR, text).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}

/// 200 with `body` (a generated response type) as JSON.
pub(crate) fn ok<T: Serialize>(body: &T) -> Reply {
    Ok(json_response(StatusCode::OK, body))
}

/// 200 with a file download.
pub(crate) fn file(name: &str, bytes: impl Into<Bytes>) -> Reply {
    let mut response = (StatusCode::OK, bytes.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    let safe: String = name.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The fallback for paths the service does not have.
pub(crate) async fn unknown_url() -> ApiError {
    ApiError::not_found("The requested URL does not exist.")
}

/// The fallback for known paths called with a method the spec does not declare for them (axum adds
/// the `Allow` header).
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        INVALID_PARAMETER,
        "Invalid parameter. The HTTP method is not allowed on this URL.",
    )
}

/// The path parameters, by name, percent-decoded. A path that cannot be decoded is a 400.
pub(crate) struct Ids(HashMap<String, String>);

impl Ids {
    /// The parameter `name` (the router always has it for the routes that ask).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<HashMap<String, String>>::from_request_parts(parts, state).await {
            Ok(Path(map)) => Ok(Ids(map)),
            Err(e) => Err(ApiError::invalid(format!("The URL path cannot be read: {e}."))),
        }
    }
}

/// The query string's pairs, percent-decoded, with typed accessors that answer 400 for a missing
/// required or malformed value.
pub(crate) struct Query(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        Ok(Query(url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect()))
    }
}

impl Query {
    /// The first value of `name`, if present.
    pub(crate) fn optional(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, which must be present and not blank.
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.optional(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            Some(_) => Err(ApiError::invalid(format!("Query parameter {name} must not be empty."))),
            None => Err(ApiError::invalid(format!("Query parameter {name} is required."))),
        }
    }

    /// The required integer `name`, within `range`.
    pub(crate) fn required_int(&self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
        parse_int(name, self.required(name)?, range)
    }

    /// The optional integer `name` (given as a string, as the template query types it), within
    /// `range`, or `default`.
    pub(crate) fn optional_int(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> Result<i64, ApiError> {
        match self.optional(name) {
            None => Ok(default),
            Some(v) => parse_int(name, v, range),
        }
    }

    /// The optional `name`, which must be one of `allowed` when present.
    pub(crate) fn optional_choice<'a>(&self, name: &str, allowed: &[&'a str]) -> Result<Option<&'a str>, ApiError> {
        match self.optional(name) {
            None => Ok(None),
            Some(v) => allowed.iter().find(|a| a.eq_ignore_ascii_case(v.trim())).map(|a| Some(*a)).ok_or_else(|| {
                ApiError::invalid(format!("Query parameter {name} must be one of {}.", allowed.join(", ")))
            }),
        }
    }
}

/// An integer parameter within `range`.
pub(crate) fn parse_int(name: &str, text: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
    let value: i64 =
        text.trim().parse().map_err(|_| ApiError::invalid(format!("Parameter {name} must be an integer.")))?;
    if !range.contains(&value) {
        return Err(ApiError::invalid(format!(
            "Parameter {name} must be between {} and {}.",
            range.start(),
            range.end()
        )));
    }
    Ok(value)
}

/// A build number path parameter: an integer of 1 or more.
pub(crate) fn build_number(name: &str, text: &str) -> Result<i32, ApiError> {
    parse_int(name, text, 1..=i64::from(i32::MAX)).map(|n| n as i32)
}

/// 32 hexadecimal digits: the shape of job IDs, CodeArts project IDs and template UUIDs.
pub(crate) fn is_hex32(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A build record ID: 36 characters of digits, lowercase letters and hyphens.
pub(crate) fn is_record_id(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-')
}

/// A job ID path or body value, or 400 `CB.00060201`.
pub(crate) fn job_id(id: &str) -> Result<&str, ApiError> {
    if is_hex32(id) {
        Ok(id)
    } else {
        Err(ApiError::invalid_task_id(format!("A build task ID is 32 hexadecimal characters, not `{}`.", shorten(id))))
    }
}

/// A CodeArts project ID, or 400 `CB.00060200`.
pub(crate) fn project_id(id: &str) -> Result<&str, ApiError> {
    if is_hex32(id) {
        Ok(id)
    } else {
        Err(ApiError::invalid(format!("A CodeArts project ID is 32 hexadecimal characters, not `{}`.", shorten(id))))
    }
}

/// A build record ID, or 400 `CB.00060200`.
pub(crate) fn record_id(id: &str) -> Result<&str, ApiError> {
    if is_record_id(id) {
        Ok(id)
    } else {
        Err(ApiError::invalid(format!(
            "A build record ID is 36 characters of digits, lowercase letters and hyphens, not `{}`.",
            shorten(id)
        )))
    }
}

/// At most 64 characters of untrusted input, for messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// A JSON request body: parsed into `T`, or 400 `CB.00060200` naming what is wrong. When
/// `job_id_field` is given, that field must be present and a valid job ID first (400 `CB.00060201`).
pub(crate) fn json_body<T: DeserializeOwned>(bytes: &[u8], job_id_field: Option<&str>) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("The request body is required."));
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(format!("The request body is not JSON: {e}.")))?;
    let Value::Object(object) = &value else {
        return Err(ApiError::invalid("The request body must be a JSON object."));
    };
    if let Some(field) = job_id_field {
        match object.get(field) {
            Some(Value::String(id)) => {
                job_id(id)?;
            }
            Some(_) => return Err(ApiError::invalid_task_id(format!("{field} must be a string."))),
            None => return Err(ApiError::invalid_task_id(format!("{field} is required."))),
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::invalid(format!("The request body is invalid: {inner}."))
        } else {
            ApiError::invalid(format!("The request body is invalid at {path}: {inner}."))
        }
    })
}

/// `text` must not be blank; `what` names it in the error.
pub(crate) fn non_blank(text: &str, what: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() { Err(ApiError::invalid(format!("{what} must not be empty."))) } else { Ok(()) }
}

/// One page of `items`: page `index` (0-based) of `size` items.
pub(crate) fn page<T>(items: Vec<T>, index: usize, size: usize) -> Vec<T> {
    items.into_iter().skip(index.saturating_mul(size)).take(size).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_hex32("f9d6c8466d614a9788e9a0acf6c15f46"));
        assert!(!is_hex32("f9d6c8466d614a9788e9a0acf6c15f4"));
        assert!(!is_hex32("g9d6c8466d614a9788e9a0acf6c15f46"));
        assert!(is_record_id("2cc26382-b2cb-4234-8eb0-b37d362f4d4c"));
        assert!(!is_record_id("2CC26382-b2cb-4234-8eb0-b37d362f4d4c"));
        assert_eq!(job_id("nope").unwrap_err().code, INVALID_TASK_ID);
        assert_eq!(project_id("nope").unwrap_err().code, INVALID_PARAMETER);
    }

    #[test]
    fn bodies() {
        #[derive(serde::Deserialize, Debug)]
        struct B {
            #[allow(dead_code)]
            job_id: String,
            #[allow(dead_code)]
            n: i32,
        }
        let e = json_body::<B>(b"{", None).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, INVALID_PARAMETER));
        let e = json_body::<B>(b"[]", None).unwrap_err();
        assert_eq!(e.code, INVALID_PARAMETER);
        let e = json_body::<B>(br#"{"n": 1}"#, Some("job_id")).unwrap_err();
        assert_eq!(e.code, INVALID_TASK_ID);
        let e = json_body::<B>(br#"{"job_id": "x", "n": 1}"#, Some("job_id")).unwrap_err();
        assert_eq!(e.code, INVALID_TASK_ID);
        let e =
            json_body::<B>(br#"{"job_id": "f9d6c8466d614a9788e9a0acf6c15f46", "n": "x"}"#, Some("job_id")).unwrap_err();
        assert!(e.message.contains("at n"), "{}", e.message);
        assert!(json_body::<B>(br#"{"job_id": "f9d6c8466d614a9788e9a0acf6c15f46", "n": 1}"#, Some("job_id")).is_ok());
        assert_eq!(json_body::<B>(b"  ", None).unwrap_err().code, INVALID_PARAMETER);
    }

    #[test]
    fn ints_and_pages() {
        assert_eq!(parse_int("x", "5", 0..=10).unwrap(), 5);
        assert!(parse_int("x", "11", 0..=10).is_err());
        assert!(parse_int("x", "five", 0..=10).is_err());
        assert!(build_number("b", "0").is_err());
        assert_eq!(page((1..=25).collect(), 1, 10), (11..=20).collect::<Vec<_>>());
        assert_eq!(page((1..=25).collect(), 5, 10), Vec::<i32>::new());
        assert_eq!(shorten(&"x".repeat(100)).chars().count(), 65);
    }
}
