//! Raw calls: any method and path of a service, authenticated (IAM token or AK/SK signature) and
//! sent through the same runtime as the generated operations — for what the specs do not have yet,
//! as `gh api` or `az rest` do.
//!
//! A path that matches an operation of the service's spec is sent as that operation: its retry
//! rules apply (a read is retried on throttling and gateway errors; RunJob is never resent) and its
//! error codes classify the answer. Any other path is sent once. The path is always relative to the
//! service's endpoint: a value that would leave it (an absolute URL, `//host`) is refused.
//!
//! ```no_run
//! # #[cfg(feature = "build")]
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::raw::{RawRequest, send};
//!
//! let answer = send(client, RawRequest::new("GET", "/v3/jobs/f9d6c8466d614a9788e9a0acf6c15f46/status")).await?;
//! println!("{} {}", answer.status, String::from_utf8_lossy(&answer.body));
//! # Ok(()) }
//! ```

use bytes::Bytes;

use crate::error::{Error, ErrorKind};
use crate::runtime::{OperationMeta, Runtime};

/// One raw request.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// Path and optional query, relative to the service's endpoint (`/v3/jobs/…/status?x=1`).
    pub path: String,
    /// Extra query pairs.
    pub query: Vec<(String, String)>,
    /// The body and its content type.
    pub body: Option<(String, Bytes)>,
}

impl RawRequest {
    /// `method` on `path`, no body.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        RawRequest { method: method.into(), path: path.into(), query: Vec::new(), body: None }
    }

    /// Adds a query pair.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body (sent with the content type the matched operation declares, else
    /// `application/json`).
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(("application/json".into(), Bytes::from(body.to_string())));
        self
    }
}

/// What a raw call answered (a success status: an error status is an [`Error`]).
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The spec's operation the request matched, if any.
    pub operation: Option<&'static str>,
}

/// The operation of `runtime`'s service whose method and path template `path` matches (a literal
/// segment beats a placeholder).
pub fn operation_for(runtime: &Runtime, method: &str, path: &str) -> Option<&'static OperationMeta> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let actual: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let rank = |op: &OperationMeta| -> Vec<bool> {
        op.path.trim_start_matches('/').split('/').map(|s| s.starts_with('{')).collect()
    };
    runtime
        .service()
        .operations
        .iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method))
        .filter(|op| {
            let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
            template.len() == actual.len()
                && template.iter().zip(&actual).all(|(t, a)| if t.starts_with('{') { !a.is_empty() } else { t == a })
        })
        .min_by_key(|op| rank(op))
}

/// Sends `request` with `client`'s runtime (its endpoint, credentials and retry policy).
pub async fn send<C: progenitor_client::ClientInfo<Runtime>>(
    client: &C,
    request: RawRequest,
) -> Result<RawResponse, Error> {
    let runtime = client.inner();
    let invalid = |m: String| Error::new(ErrorKind::InvalidInput, m);
    let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| invalid(format!("{:?} is not an HTTP method", request.method)))?;
    if !request.path.starts_with('/') || request.path.starts_with("//") {
        return Err(invalid(format!(
            "the path {:?} must start with one `/`: it is relative to the service's endpoint",
            request.path
        )));
    }
    let base = url::Url::parse(runtime.base_url()).map_err(|e| invalid(format!("the endpoint is not a URL: {e}")))?;
    let mut url = base
        .join(&format!("{}{}", base.path().trim_end_matches('/'), request.path))
        .map_err(|e| invalid(format!("{:?} is not a path: {e}", request.path)))?;
    if url.origin() != base.origin() {
        return Err(invalid(format!("the path {:?} leaves the service's endpoint", request.path)));
    }
    if !request.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&request.query);
    }
    let operation = operation_for(runtime, method.as_str(), url.path());
    let mut http = reqwest::Request::new(method, url);
    if let Some((content_type, body)) = request.body {
        let declared = operation.and_then(|o| o.content_type).filter(|_| content_type == "application/json");
        let value = reqwest::header::HeaderValue::from_str(declared.unwrap_or(&content_type))
            .map_err(|_| invalid(format!("{content_type:?} is not a content type")))?;
        http.headers_mut().insert(reqwest::header::CONTENT_TYPE, value);
        *http.body_mut() = Some(body.into());
    }
    runtime.send_raw(http, operation).await
}
