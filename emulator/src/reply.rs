//! What every handler shares: the error answers (the reference's `CB.*` codes in the spec's
//! `ErrorResponse` body), the extractors for path and query parameters and JSON bodies that turn
//! every malformed input into such an answer (never into axum's plain-text rejections or a panic),
//! and the JSON and file answers.

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use codearts::error::ErrorClass;
use codearts::runtime::ServiceMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A value of a generated type, written like a struct literal: `make!(make!(types::X { a: 1, b: c }))`.
///
/// The generated types are `#[non_exhaustive]` (so that the spec can grow without breaking callers),
/// which rules out struct literals outside the SDK; this builds through `X::builder()` instead,
/// setting exactly the fields named. It compiles only for types that implement `Default`, which
/// typify derives exactly when a type has no required field: for those the builder's conversion
/// cannot fail, so the `unwrap_or_default` is never taken. (Every answer type is such a type: the
/// specs make response fields optional.)
macro_rules! make {
    ($($ty:ident)::+ { $($field:ident : $value:expr),* $(,)? }) => {
        <$($ty)::+>::try_from(<$($ty)::+>::builder() $(.$field($value))*).unwrap_or_default()
    };
}
pub(crate) use make;

/// Invalid parameter (400), CodeArts Build.
pub(crate) const INVALID_PARAMETER: &str = "CB.00060200";
/// Invalid task ID (400), CodeArts Build.
#[cfg(test)]
pub(crate) const INVALID_TASK_ID: &str = "CB.00060201";
/// Invalid file name (400), CodeArts Build.
pub(crate) const INVALID_FILE_NAME: &str = "CB.00060203";
/// Internal error (500), CodeArts Build.
pub(crate) const INTERNAL_ERROR: &str = "CB.00060101";

fn build() -> &'static ServiceMeta {
    &codearts::build::operations::SERVICE
}

/// The code of a failure the emulator itself finds, when the answering service's catalogue has no
/// code of that class: the API gateway's own.
const GATEWAY_INVALID: &str = "APIGW.0201";
/// The API gateway's answer to a URL it has no API for.
const GATEWAY_NOT_FOUND: &str = "APIGW.0101";

/// An error answer: status and the `{error_code, error_msg}` body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// What handlers return.
pub(crate) type Reply = Result<Response, ApiError>;

/// The first code of `class` in `service`'s catalogue (one naming `parameter`, if any does).
fn code_of(
    service: &ServiceMeta,
    class: ErrorClass,
    parameter: Option<&str>,
) -> Option<&'static codearts::error::KnownError> {
    let of_class = || service.error_codes.iter().filter(move |k| k.class == Some(class));
    parameter
        .and_then(|p| of_class().find(|k| k.parameters.contains(&p)))
        .or_else(|| of_class().find(|k| k.parameters.is_empty()))
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    /// An answer of `class` in `service`'s own codes (its catalogue's status, its message first).
    fn of_class(
        service: &ServiceMeta,
        class: ErrorClass,
        parameter: Option<&str>,
        detail: &str,
        fallback: (StatusCode, &'static str),
    ) -> Self {
        match code_of(service, class, parameter) {
            Some(known) => Self::new(
                StatusCode::from_u16(known.status).unwrap_or(fallback.0),
                known.code,
                format!("{} {detail}", known.message),
            ),
            None => Self::new(fallback.0, fallback.1, detail.to_string()),
        }
    }

    /// 400: a missing or malformed parameter or body field, in `service`'s codes.
    pub(crate) fn invalid_for(service: &ServiceMeta, detail: impl AsRef<str>) -> Self {
        Self::of_class(
            service,
            ErrorClass::InvalidParameter,
            None,
            detail.as_ref(),
            (StatusCode::BAD_REQUEST, GATEWAY_INVALID),
        )
    }

    /// 400: the path parameter `name` is malformed (a code that answers that parameter, if the
    /// service has one: Build's "invalid task ID" for `job_id`).
    pub(crate) fn invalid_id_for(service: &ServiceMeta, name: &str, detail: impl AsRef<str>) -> Self {
        Self::of_class(
            service,
            ErrorClass::InvalidParameter,
            Some(name),
            detail.as_ref(),
            (StatusCode::BAD_REQUEST, GATEWAY_INVALID),
        )
    }

    /// 404: an unknown resource, in `service`'s codes.
    pub(crate) fn not_found_for(service: &ServiceMeta, detail: impl AsRef<str>) -> Self {
        Self::of_class(service, ErrorClass::NotFound, None, detail.as_ref(), (StatusCode::NOT_FOUND, GATEWAY_NOT_FOUND))
    }

    /// 409 (or the service's conflict code): the resource's state forbids the request.
    pub(crate) fn conflict_for(service: &ServiceMeta, detail: impl AsRef<str>) -> Self {
        Self::of_class(service, ErrorClass::Conflict, None, detail.as_ref(), (StatusCode::CONFLICT, GATEWAY_INVALID))
    }

    /// 403: the caller may not do this to that resource (the service's invalid-parameter code,
    /// with a message that says why, where the reference documents no code for it).
    pub(crate) fn forbidden_for(service: &ServiceMeta, detail: impl AsRef<str>) -> Self {
        let mut e = Self::invalid_for(service, format!("No permission. {}", detail.as_ref()));
        e.status = StatusCode::FORBIDDEN;
        e
    }
}

/// CodeArts Build's answers (its handlers' shorthand).
impl ApiError {
    /// 400 `CB.00060200`.
    pub(crate) fn invalid(detail: impl AsRef<str>) -> Self {
        Self::invalid_for(build(), detail)
    }

    /// 400 `CB.00060201`.
    pub(crate) fn invalid_task_id(detail: impl AsRef<str>) -> Self {
        Self::invalid_id_for(build(), "job_id", detail)
    }

    /// 404 `CB.00060214`.
    pub(crate) fn not_found(detail: impl AsRef<str>) -> Self {
        Self::not_found_for(build(), detail)
    }

    /// 403 with `CB.00060200`.
    pub(crate) fn forbidden(detail: impl AsRef<str>) -> Self {
        Self::forbidden_for(build(), detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &serde_json::json!({ "error_code": self.code, "error_msg": self.message }))
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

/// The answer for paths no service has (the API gateway's).
pub(crate) fn unknown_url() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        GATEWAY_NOT_FOUND,
        "The API does not exist or has not been published in the environment.",
    )
}

/// The answer for a path of `service` called with a method its spec does not declare for it: 405,
/// in the service's invalid-parameter code, with `Allow`.
pub(crate) fn method_not_allowed(service: &ServiceMeta, allowed: &[&str]) -> Response {
    let mut error = ApiError::invalid_for(service, "The HTTP method is not allowed on this URL.");
    error.status = StatusCode::METHOD_NOT_ALLOWED;
    let mut response = error.into_response();
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The query string's pairs, percent-decoded; its errors are in the answering service's codes.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
    service: &'static ServiceMeta,
}

impl Query {
    /// The pairs of a raw query string sent to `service`.
    pub(crate) fn parse(raw: &str, service: &'static ServiceMeta) -> Self {
        Query { pairs: url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect(), service }
    }

    /// The first value of `name`, if present.
    pub(crate) fn optional(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, which must be present and not blank.
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.optional(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            Some(_) => Err(ApiError::invalid_for(self.service, format!("Query parameter {name} must not be empty."))),
            None => Err(ApiError::invalid_for(self.service, format!("Query parameter {name} is required."))),
        }
    }

    /// The required integer `name`, within `range`.
    pub(crate) fn required_int(&self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
        parse_int_for(self.service, name, self.required(name)?, range)
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
            Some(v) => parse_int_for(self.service, name, v, range),
        }
    }

    /// The optional `name`, which must be one of `allowed` when present.
    pub(crate) fn optional_choice<'a>(&self, name: &str, allowed: &[&'a str]) -> Result<Option<&'a str>, ApiError> {
        match self.optional(name) {
            None => Ok(None),
            Some(v) => allowed.iter().find(|a| a.eq_ignore_ascii_case(v.trim())).map(|a| Some(*a)).ok_or_else(|| {
                ApiError::invalid_for(
                    self.service,
                    format!("Query parameter {name} must be one of {}.", allowed.join(", ")),
                )
            }),
        }
    }
}

/// An integer parameter within `range`, in Build's codes.
pub(crate) fn parse_int(name: &str, text: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, ApiError> {
    parse_int_for(build(), name, text, range)
}

/// An integer parameter within `range`, in `service`'s codes.
pub(crate) fn parse_int_for(
    service: &ServiceMeta,
    name: &str,
    text: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    let value: i64 = text
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid_for(service, format!("Parameter {name} must be an integer.")))?;
    if !range.contains(&value) {
        return Err(ApiError::invalid_for(
            service,
            format!("Parameter {name} must be between {} and {}.", range.start(), range.end()),
        ));
    }
    Ok(value)
}

/// A build number path parameter: an integer of 1 or more.
pub(crate) fn build_number(name: &str, text: &str) -> Result<i32, ApiError> {
    parse_int(name, text, 1..=i64::from(i32::MAX)).map(|n| n as i32)
}

/// 32 hexadecimal digits: the shape of the template UUIDs the emulator makes.
pub(crate) fn is_hex32(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A body field carrying an ID the spec also takes as the path or query parameter `name`
/// (`job_id`, `project_id`): checked against that parameter's documented format, so that a body and
/// a path agree on what a valid ID is. 400 in Build's codes (`CB.00060201` for a job ID).
pub(crate) fn checked<'a>(name: &str, value: &'a str) -> Result<&'a str, ApiError> {
    let format = build().parameters.iter().find(|p| p.name == name && p.is_constrained());
    match format.map(|p| p.check(value)) {
        Some(Err(e)) => Err(ApiError::invalid_id_for(build(), name, e.message().unwrap_or_default())),
        _ => Ok(value),
    }
}

/// A job ID in a request body (see [`checked`]).
pub(crate) fn job_id(id: &str) -> Result<&str, ApiError> {
    checked("job_id", id)
}

/// At most 64 characters of untrusted input, for messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// A JSON request body sent to `service`: parsed into `T` (any JSON value: some operations take
/// a top-level array or string), or 400 in the service's invalid-parameter code naming what is wrong.
pub(crate) fn json_body_for<T: DeserializeOwned>(service: &ServiceMeta, bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |detail: String| ApiError::invalid_for(service, detail);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("The request body is required.".into()));
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("The request body is not JSON: {e}.")))?;
    deserialize_body(value).map_err(invalid)
}

fn deserialize_body<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            format!("The request body is invalid: {inner}.")
        } else {
            format!("The request body is invalid at {path}: {inner}.")
        }
    })
}

/// A JSON request body of CodeArts Build: parsed into `T`, or 400 `CB.00060200` naming what is
/// wrong. When `job_id_field` is given, that field must be present and a valid job ID first (400
/// `CB.00060201`).
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
    deserialize_body(value).map_err(ApiError::invalid)
}

/// `text` must not be blank; `what` names it in the error.
pub(crate) fn non_blank(text: &str, what: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() { Err(ApiError::invalid(format!("{what} must not be empty."))) } else { Ok(()) }
}

/// One page of `items`: page `index` (0-based) of `size` items.
pub(crate) fn page<T>(items: Vec<T>, index: usize, size: usize) -> Vec<T> {
    items.into_iter().skip(index.saturating_mul(size)).take(size).collect()
}

/// Refuses a body whose `fields` are present as JSON `null`: the spec types them (a string, an
/// array) without `nullable`, and the service answers such a body 400 rather than read it as absent.
pub(crate) fn not_null(call: &crate::dispatch::Call<'_>, fields: &[&str]) -> Result<(), ApiError> {
    let value: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
    match fields.iter().find(|f| value.get(**f).is_some_and(Value::is_null)) {
        Some(field) => Err(ApiError::invalid_for(call.service, format!("{field} must not be null."))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_hex32("f9d6c8466d614a9788e9a0acf6c15f46"));
        assert!(!is_hex32("f9d6c8466d614a9788e9a0acf6c15f4"));
        assert!(!is_hex32("g9d6c8466d614a9788e9a0acf6c15f46"));
        assert_eq!(job_id("nope").unwrap_err().code, INVALID_TASK_ID);
        // The spec's format: 32 letters and digits, not only hexadecimal ones.
        assert!(job_id("ZZZZc8466d614a9788e9a0acf6c15f46").is_ok());
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
