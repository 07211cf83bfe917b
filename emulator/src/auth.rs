//! The API gateway in front of every route: a request ID on every answer, and authentication of
//! every request except the IAM login itself.
//!
//! A request is let through when it carries either
//!
//! - `X-Auth-Token` with a token this emulator issued (`POST /v3/auth/tokens`) that has not expired
//!   on the emulator's clock, or
//! - an AK/SK signature (`Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`)
//!   by a configured key pair, recomputed here exactly as [`crate::auth::Signer`] computes it (the
//!   canonical request of [`canonical_request`] over the headers the client says it signed, the
//!   SHA-256 of the body, HMAC-SHA256 with the secret key), with an `X-Sdk-Date` no more than
//!   15 minutes away from the system clock (the client's clock is real time, not the emulator's).
//!
//! An `X-Project-Id` header, when present, must name the token's project (or, with AK/SK, a
//! configured project). Everything else is a 401 with the gateway's body:
//! `{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information: …",
//! "request_id": …}` (`APIGW.0307` for an expired token).

use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::reply::{ApiError, INVALID_PARAMETER, json_response};
use super::state::{EmulatorState, hex32};
use codearts::auth::signer::canonical_request;

/// The largest request body the emulator reads.
pub(crate) const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How far `X-Sdk-Date` may be from the system clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The only path that needs no credentials.
const LOGIN_PATH: &str = "/v3/auth/tokens";

/// Who is calling: set by [`gateway`] for every authenticated request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    /// Index of the IAM user.
    pub(crate) user: usize,
    /// Index of the IAM project.
    pub(crate) project: usize,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().copied().ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "APIGW.0301", "Incorrect IAM authentication information.")
        })
    }
}

/// A gateway refusal.
struct Refusal {
    code: &'static str,
    message: String,
}

impl Refusal {
    fn incorrect(detail: impl AsRef<str>) -> Self {
        Refusal {
            code: "APIGW.0301",
            message: format!("Incorrect IAM authentication information: {}", detail.as_ref()),
        }
    }
}

/// The gateway's own error body (it adds `request_id` to the CodeArts fields).
fn gateway_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    json_response(status, &serde_json::json!({ "error_code": code, "error_msg": message, "request_id": request_id }))
}

/// The middleware: request ID, body buffering, authentication.
pub(crate) async fn gateway(State(state): State<EmulatorState>, request: Request, next: Next) -> Response {
    let request_id = {
        let mut data = state.data();
        hex32(&data.seed("request"))
    };
    let (parts, body) = request.into_parts();
    let mut response = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Err(_) => gateway_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_PARAMETER,
            &format!("Invalid parameter. The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."),
            &request_id,
        ),
        Ok(bytes) => {
            let caller = if parts.uri.path() == LOGIN_PATH { Ok(None) } else { authenticate(&state, &parts, &bytes) };
            match caller {
                Err(refusal) => gateway_error(StatusCode::UNAUTHORIZED, refusal.code, &refusal.message, &request_id),
                Ok(caller) => {
                    let mut request = Request::from_parts(parts, Body::from(bytes));
                    if let Some(caller) = caller {
                        request.extensions_mut().insert(caller);
                    }
                    next.run(request).await
                }
            }
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn authenticate(state: &EmulatorState, parts: &Parts, body: &Bytes) -> Result<Option<Caller>, Refusal> {
    let headers = &parts.headers;
    if let Some(token) = headers.get("x-auth-token") {
        let token = token.to_str().map_err(|_| Refusal::incorrect("the token is not text"))?.trim();
        let data = state.data();
        let issued = data.tokens.get(token).ok_or_else(|| Refusal::incorrect("the token is not valid"))?;
        if issued.expires <= state.now() {
            return Err(Refusal { code: "APIGW.0307", message: "The token has expired.".into() });
        }
        let caller = Caller { user: issued.user, project: issued.project };
        drop(data);
        check_project_header(state, headers, Some(caller.project))?;
        return Ok(Some(caller));
    }
    if let Some(authorization) = headers.get("authorization") {
        let authorization =
            authorization.to_str().map_err(|_| Refusal::incorrect("the Authorization header is not text"))?;
        let user = verify_signature(state, parts, authorization, body)?;
        let project = check_project_header(state, headers, None)?;
        return Ok(Some(Caller { user, project }));
    }
    Err(Refusal::incorrect("the request carries neither X-Auth-Token nor an AK/SK signature"))
}

/// The project `X-Project-Id` names (the token's own when `token_project` is given), or the first
/// project when the header is absent.
fn check_project_header(
    state: &EmulatorState,
    headers: &HeaderMap,
    token_project: Option<usize>,
) -> Result<usize, Refusal> {
    let projects = &state.settings().projects;
    let Some(named) = header(headers, "x-project-id") else { return Ok(token_project.unwrap_or(0)) };
    let index = projects.iter().position(|p| p.id == named);
    match (index, token_project) {
        (Some(i), None) => Ok(i),
        (Some(i), Some(t)) if i == t => Ok(i),
        (Some(_), Some(_)) => Err(Refusal::incorrect("X-Project-Id names another project than the token's scope")),
        (None, _) => Err(Refusal::incorrect("X-Project-Id names no project of this account")),
    }
}

/// Checks an `SDK-HMAC-SHA256` signature and returns the user of its access key.
fn verify_signature(state: &EmulatorState, parts: &Parts, authorization: &str, body: &Bytes) -> Result<usize, Refusal> {
    let fields = authorization
        .trim()
        .strip_prefix("SDK-HMAC-SHA256 ")
        .ok_or_else(|| Refusal::incorrect("the Authorization header is not an SDK-HMAC-SHA256 signature"))?;
    let (mut access, mut signed, mut signature) = (None, None, None);
    for field in fields.split(',') {
        match field.trim().split_once('=') {
            Some(("Access", v)) => access = Some(v.trim()),
            Some(("SignedHeaders", v)) => signed = Some(v.trim()),
            Some(("Signature", v)) => signature = Some(v.trim()),
            _ => {}
        }
    }
    let (Some(access), Some(signed), Some(signature)) = (access, signed, signature) else {
        return Err(Refusal::incorrect("the signature lacks Access, SignedHeaders or Signature"));
    };
    let key = state
        .settings()
        .keys
        .iter()
        .find(|k| k.ak == access)
        .ok_or_else(|| Refusal::incorrect("the access key is unknown"))?;

    let headers = &parts.headers;
    let date = header(headers, "x-sdk-date").ok_or_else(|| Refusal::incorrect("the X-Sdk-Date header is missing"))?;
    let signed_at = PrimitiveDateTime::parse(date, format_description!("[year][month][day]T[hour][minute][second]Z"))
        .map_err(|_| Refusal::incorrect("X-Sdk-Date is not of the form 20060102T150405Z"))?
        .assume_utc();
    let skew = (time::OffsetDateTime::from(SystemTime::now()) - signed_at).unsigned_abs();
    if skew > MAX_CLOCK_SKEW {
        return Err(Refusal::incorrect("X-Sdk-Date is more than 15 minutes away from the server's time"));
    }

    let signed: Vec<String> = signed.split(';').map(|s| s.trim().to_ascii_lowercase()).collect();
    if let Some(missing) = signed.iter().find(|name| *name != "host" && !headers.contains_key(name.as_str())) {
        return Err(Refusal::incorrect(format!("the signed header {missing} is missing")));
    }
    let host = header(headers, "host").unwrap_or("localhost");
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = url::Url::parse(&format!("http://{host}{path_and_query}"))
        .map_err(|_| Refusal::incorrect("the request URL cannot be reconstructed"))?;
    let canonical = canonical_request(parts.method.as_str(), &url, headers, &signed, body);
    let string_to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let expected = hex::decode(signature).map_err(|_| Refusal::incorrect("the signature is not hexadecimal"))?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.sk.expose_secret().as_bytes())
        .map_err(|_| Refusal::incorrect("the secret key cannot be used"))?;
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&expected).map_err(|_| Refusal::incorrect("the signature does not match"))?;
    Ok(key.user)
}
