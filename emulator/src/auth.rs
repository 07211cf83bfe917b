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
//!   The canonical URI is the gateway's: the path decoded as a whole, then split on `/`, so a path
//!   value holding a `/` verifies whether it arrives as `ab%2Fcd` (the vendor's Python SDK and this
//!   SDK) or as a literal `/` (the vendor's Go and Java SDKs). A body signed as `UNSIGNED-PAYLOAD`
//!   (`X-Sdk-Content-Sha256`, as the vendor SDKs sign multipart and other non-JSON bodies) is not
//!   hashed; with an empty body the vendor SDKs disagree (Python signs the empty hash, Go and Java the
//!   header's value), and both are accepted.
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
    let request = Signed { method: parts.method.as_str(), uri: &parts.uri, headers: &parts.headers, body };
    check_signature(&state.settings().keys, &request, authorization, SystemTime::now())
}

/// What a signature covers.
struct Signed<'a> {
    method: &'a str,
    uri: &'a axum::http::Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// [`verify_signature`] against these keys, at `now`.
fn check_signature(
    keys: &[crate::state::AccessKey],
    request: &Signed<'_>,
    authorization: &str,
    now: SystemTime,
) -> Result<usize, Refusal> {
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
    let key = keys.iter().find(|k| k.ak == access).ok_or_else(|| Refusal::incorrect("the access key is unknown"))?;

    let headers = request.headers;
    let date = header(headers, "x-sdk-date").ok_or_else(|| Refusal::incorrect("the X-Sdk-Date header is missing"))?;
    let signed_at = PrimitiveDateTime::parse(date, format_description!("[year][month][day]T[hour][minute][second]Z"))
        .map_err(|_| Refusal::incorrect("X-Sdk-Date is not of the form 20060102T150405Z"))?
        .assume_utc();
    let skew = (time::OffsetDateTime::from(now) - signed_at).unsigned_abs();
    if skew > MAX_CLOCK_SKEW {
        return Err(Refusal::incorrect("X-Sdk-Date is more than 15 minutes away from the server's time"));
    }

    let signed: Vec<String> = signed.split(';').map(|s| s.trim().to_ascii_lowercase()).collect();
    if let Some(missing) = signed.iter().find(|name| *name != "host" && !headers.contains_key(name.as_str())) {
        return Err(Refusal::incorrect(format!("the signed header {missing} is missing")));
    }
    let host = header(headers, "host").unwrap_or("localhost");
    let path_and_query = request.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let url = url::Url::parse(&format!("http://{host}{path_and_query}"))
        .map_err(|_| Refusal::incorrect("the request URL cannot be reconstructed"))?;
    let canonical = canonical_request(request.method, &url, headers, &signed, request.body);
    let expected = hex::decode(signature).map_err(|_| Refusal::incorrect("the signature is not hexadecimal"))?;
    let matches = |canonical: &str| -> Result<bool, Refusal> {
        let string_to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.sk.expose_secret().as_bytes())
            .map_err(|_| Refusal::incorrect("the secret key cannot be used"))?;
        mac.update(string_to_sign.as_bytes());
        Ok(mac.verify_slice(&expected).is_ok())
    };
    if matches(&canonical)? {
        return Ok(key.user);
    }
    // An empty body with `X-Sdk-Content-Sha256`: the Go and Java SDKs sign the header's value where
    // the Python SDK (and `canonical_request`) signs the empty body's hash.
    if let Some(given) = header(headers, "x-sdk-content-sha256")
        && request.body.is_empty()
        && let Some(head) = canonical.strip_suffix(EMPTY_BODY_SHA256)
        && matches(&format!("{head}{given}"))?
    {
        return Ok(key.user);
    }
    Err(Refusal::incorrect("the signature does not match"))
}

/// `hex(SHA-256(""))`, the last line of a canonical request without a body.
const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn key(ak: &str, sk: &str) -> crate::state::AccessKey {
        crate::state::AccessKey { ak: ak.into(), sk: SecretString::from(sk.to_owned()), user: 7 }
    }

    fn at(date: &str) -> SystemTime {
        let format = format_description!("[year][month][day]T[hour][minute][second]Z");
        SystemTime::from(PrimitiveDateTime::parse(date, format).unwrap().assume_utc())
    }

    /// A request as the gateway receives it: the vendor's URI and headers on the wire.
    fn wire(case: &serde_json::Value, authorization: &str) -> (axum::http::Uri, HeaderMap) {
        let url = url::Url::parse(case["vendor"]["url"].as_str().unwrap()).unwrap();
        let uri: axum::http::Uri = url[url::Position::BeforePath..].parse().unwrap();
        let mut headers = HeaderMap::new();
        for (name, value) in case["vendor"]["headers"].as_object().unwrap() {
            // The vendor's header values are Python `str`s holding the UTF-8 bytes as ISO-8859-1.
            let bytes: Vec<u8> = value.as_str().unwrap().chars().map(|c| c as u32 as u8).collect();
            headers.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(&bytes).unwrap(),
            );
        }
        if let Some(content_type) = case["headers"]["Content-Type"].as_str() {
            headers.insert("content-type", HeaderValue::from_str(content_type).unwrap());
        }
        headers.insert("authorization", HeaderValue::from_str(authorization).unwrap());
        (uri, headers)
    }

    fn vectors() -> Vec<serde_json::Value> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/signing-vectors.json");
        let text = std::fs::read_to_string(path).unwrap();
        let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
        vectors["cases"].as_array().unwrap().clone()
    }

    /// Every request the vendor's own signer signed (both its header choices) is accepted as it
    /// arrives, and the same request with a byte of the body, the path or a signed header changed
    /// is refused.
    #[test]
    fn vendor_signed_requests_verify() {
        let cases = vectors();
        assert!(cases.len() >= 16);
        for case in &cases {
            let name = case["name"].as_str().unwrap();
            let keys = [key(case["ak"].as_str().unwrap(), case["sk"].as_str().unwrap())];
            let now = at(case["date"].as_str().unwrap()) + Duration::from_secs(60);
            let body = case["body"].as_str().unwrap().as_bytes();
            for authorization in [&case["vendor"]["authorization"], &case["vendor_exact"]["authorization"]] {
                let authorization = authorization.as_str().unwrap();
                let (uri, headers) = wire(case, authorization);
                let request = Signed { method: case["method"].as_str().unwrap(), uri: &uri, headers: &headers, body };
                let user = check_signature(&keys, &request, authorization, now);
                assert_eq!(user.map_err(|r| r.message).ok(), Some(7), "{name}");

                let other_uri: axum::http::Uri = format!("{}x", uri.path()).parse().unwrap();
                let tampered = Signed { uri: &other_uri, ..request };
                assert!(check_signature(&keys, &tampered, authorization, now).is_err(), "{name}: path");
                let mut changed_headers = headers.clone();
                changed_headers.insert("x-sdk-date", HeaderValue::from_str("20261204T013001Z").unwrap());
                let tampered = Signed { headers: &changed_headers, ..request };
                assert!(check_signature(&keys, &tampered, authorization, now).is_err(), "{name}: header");
                let unsigned = case["vendor"]["canonical_request"].as_str().unwrap().ends_with("UNSIGNED-PAYLOAD");
                if !body.is_empty() && !unsigned {
                    let mut other_body = body.to_vec();
                    other_body[0] ^= 1;
                    let tampered = Signed { body: &other_body, ..request };
                    assert!(check_signature(&keys, &tampered, authorization, now).is_err(), "{name}: body");
                }
            }
        }
    }

    /// A `/` inside a path value verifies in both of its wire forms (Python: `%2F`; Go and Java: a
    /// literal `/`): the canonical URI decodes the whole path first.
    #[test]
    fn an_encoded_slash_verifies_in_either_wire_form() {
        let case = vectors().into_iter().find(|c| c["name"] == "get-slash-in-path-value").unwrap();
        let keys = [key("AccessKey", "SecretKey")];
        let now = at("20261204T013000Z");
        let authorization = case["vendor"]["authorization"].as_str().unwrap();
        let (uri, headers) = wire(&case, authorization);
        assert!(uri.path().contains("ab%2Fcd"), "{uri}");
        let literal: axum::http::Uri = uri.path().replace("%2F", "/").parse().unwrap();
        for uri in [&uri, &literal] {
            let request = Signed { method: "GET", uri, headers: &headers, body: b"" };
            assert!(check_signature(&keys, &request, authorization, now).is_ok(), "{uri}");
        }
    }

    /// Outside the 15 minutes, a good signature is refused.
    #[test]
    fn a_stale_date_is_refused() {
        let case = vectors().into_iter().next().unwrap();
        let keys = [key("AccessKey", "SecretKey")];
        let authorization = case["vendor"]["authorization"].as_str().unwrap();
        let (uri, headers) = wire(&case, authorization);
        let request = Signed { method: case["method"].as_str().unwrap(), uri: &uri, headers: &headers, body: b"" };
        let late = at(case["date"].as_str().unwrap()) + Duration::from_secs(16 * 60);
        let refusal = check_signature(&keys, &request, authorization, late).map(|_| ()).unwrap_err();
        assert!(refusal.message.contains("15 minutes"), "{}", refusal.message);
    }

    /// An empty body with `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` verifies signed either way.
    #[test]
    fn an_empty_unsigned_payload_verifies_signed_either_way() {
        let signer = codearts::auth::Signer::new(codearts::auth::AkSk::new("AccessKey", "SecretKey"));
        let now = at("20261204T013000Z");
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("h"));
        headers.insert("x-sdk-date", HeaderValue::from_static("20261204T013000Z"));
        headers.insert("x-sdk-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
        let url = url::Url::parse("http://h/v1/upload").unwrap();
        let signed = signer.signed_headers(&headers);
        let python = signer.authorization("POST", &url, &headers, b"").unwrap();
        let canonical = canonical_request("POST", &url, &headers, &signed, b"");
        let go_canonical = format!("{}UNSIGNED-PAYLOAD", canonical.strip_suffix(EMPTY_BODY_SHA256).unwrap());
        let string_to_sign =
            format!("SDK-HMAC-SHA256\n20261204T013000Z\n{}", hex::encode(Sha256::digest(go_canonical)));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"SecretKey").unwrap();
        mac.update(string_to_sign.as_bytes());
        let go = format!(
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders={}, Signature={}",
            signed.join(";"),
            hex::encode(mac.finalize().into_bytes())
        );
        assert_ne!(python, go);
        let uri: axum::http::Uri = "/v1/upload".parse().unwrap();
        let keys = [key("AccessKey", "SecretKey")];
        for authorization in [&python, &go] {
            let request = Signed { method: "POST", uri: &uri, headers: &headers, body: b"" };
            assert!(check_signature(&keys, &request, authorization, now).is_ok(), "{authorization}");
        }
        let request = Signed { method: "POST", uri: &uri, headers: &headers, body: b"" };
        assert!(check_signature(&keys, &request, &python.replace("Signature=", "Signature=0"), now).is_err());
    }
}
