//! The one error type users `?` on, whatever failed.

use super::{ErrorBody, ErrorClass, KnownError, is_gateway_code};
use crate::runtime::ServiceMeta;
use std::fmt;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input was rejected before anything was sent (a malformed ID, a bad config).
    InvalidInput,
    /// No usable credentials, or IAM refused them.
    Credentials,
    /// A connect, read or per-attempt deadline, or the retry budget, ran out.
    Timeout,
    /// The connection failed (refused, reset, TLS, DNS).
    Transport,
    /// A response arrived but could not be decoded into the documented type, or its body was over
    /// `ConfigBuilder::max_response_body` (the message names the limit; never retried).
    Decode,
    /// The service answered with an error status.
    Service,
}

/// Any failure of a CodeArts call: its kind, the operation, the HTTP status and the service's
/// error code, message and request id when there was a response, and how many attempts were made.
///
/// `Display` is one line: operation, status, code, message and request id. Secrets never appear:
/// nothing here holds a header or a request body.
pub struct Error(Box<Inner>);

/// Boxed, so that `Result<T, Error>` stays small on the happy path.
struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    attempts: u32,
    status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    service: Option<&'static ServiceMeta>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            operation: None,
            attempts: 0,
            status: None,
            code: None,
            message: Some(message.into()),
            request_id: None,
            service: None,
            source: None,
        }))
    }

    pub(crate) fn with_service(mut self, service: &'static ServiceMeta) -> Self {
        self.0.service = Some(service);
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.0.operation = Some(operation);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    /// Names the JSON path of the field that failed to decode.
    pub(crate) fn at_json_path(mut self, path: &str) -> Self {
        let message = self.0.message.take().unwrap_or_default();
        self.0.message = Some(format!("at `{path}`: {message}"));
        self
    }

    pub(crate) fn set_request_id_if_absent(&mut self, id: Option<String>) {
        if self.0.request_id.is_none() {
            self.0.request_id = id;
        }
    }

    /// A service error from a status, the response headers and the raw body.
    pub(crate) fn service(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Self {
        let parsed = super::parse(headers.get("content-type").and_then(|v| v.to_str().ok()), body);
        Self::from_body(status, headers, parsed)
    }

    pub(crate) fn from_body(status: u16, headers: &reqwest::header::HeaderMap, body: ErrorBody) -> Self {
        let ErrorBody { code, message, request_id, raw_snippet } = body;
        Error(Box::new(Inner {
            kind: ErrorKind::Service,
            operation: None,
            attempts: 0,
            status: Some(status),
            code,
            message: message.or(raw_snippet),
            request_id: request_id_header(headers).or(request_id),
            service: None,
            source: None,
        }))
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The service's error code (`CB.00060200`, `APIGW.0301`, …), when it sent one.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The service's error message, or a short snippet of an undecodable body, or a description.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The request id (`X-Request-Id`), to quote to the vendor's support.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The vendor operation name (`RunJob`), when known.
    pub fn operation(&self) -> Option<&'static str> {
        self.0.operation
    }

    /// How many attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The answering service's catalogue entry for the error code, when the service documents
    /// it (the catalogue is the service's own, from its spec's `x-codearts-error-codes`).
    pub fn known(&self) -> Option<&'static KnownError> {
        self.0.service?.error_code(self.0.code.as_deref()?)
    }

    /// The name of the service that answered (`CodeArts Build`), when known.
    pub fn service_name(&self) -> Option<&'static str> {
        self.0.service.map(|s| s.name)
    }

    /// The resource does not exist (404, or a code the service documents as "not found").
    pub fn is_not_found(&self) -> bool {
        self.0.status == Some(404) || self.known().is_some_and(|k| k.class == Some(ErrorClass::NotFound))
    }

    /// The service is throttling the caller (429, or a code the service documents as "too many
    /// requests").
    pub fn is_throttled(&self) -> bool {
        self.0.status == Some(429) || self.known().is_some_and(|k| k.class == Some(ErrorClass::Throttled))
    }

    /// A deadline or the retry budget ran out.
    pub fn is_timeout(&self) -> bool {
        self.0.kind == ErrorKind::Timeout
    }

    /// Trying again later may succeed: throttling, gateway errors, timeouts, broken connections,
    /// and the codes the service documents as transient. (Whether it is *safe* to resend is the
    /// operation's business: see `crate::retry`.)
    pub fn is_retryable(&self) -> bool {
        match self.0.kind {
            ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Service => {
                matches!(self.0.status, Some(429 | 502 | 503 | 504)) || self.known().is_some_and(|k| k.retryable)
            }
            _ => false,
        }
    }

    /// The error code is the API gateway's (`APIGW.*`) rather than the service's.
    pub fn is_gateway_error(&self) -> bool {
        self.0.code.as_deref().is_some_and(is_gateway_code)
    }
}

/// `X-Request-Id`, the header Huawei Cloud's gateway sets on every response.
pub(crate) fn request_id_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.operation.unwrap_or("codearts"))?;
        match self.0.status {
            Some(status) => write!(f, ": HTTP {status}")?,
            None => write!(f, ": {}", kind_text(self.0.kind))?,
        }
        if let Some(code) = &self.0.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.0.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &self.0.request_id {
            write!(f, " (request id {id})")?;
        }
        if self.0.attempts > 1 {
            write!(f, " after {} attempts", self.0.attempts)?;
        }
        Ok(())
    }
}

fn kind_text(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "invalid input",
        ErrorKind::Credentials => "credentials",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Transport => "transport error",
        ErrorKind::Decode => "undecodable response",
        ErrorKind::Service => "service error",
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("operation", &self.0.operation)
            .field("attempts", &self.0.attempts)
            .field("status", &self.0.status)
            .field("code", &self.0.code)
            .field("message", &self.0.message)
            .field("request_id", &self.0.request_id)
            .field("service", &self.0.service.map(|s| s.name))
            .field("source", &self.0.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Classifies a reqwest error: a deadline is a timeout, anything else a transport failure.
const BROKEN_BODY: &str = "the response body broke off";

pub(crate) fn from_reqwest(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Transport };
    // reqwest's Display includes the URL, which carries no secret (auth is in headers); its causes
    // say what actually happened ("Connection refused", "end of file before message length reached").
    // The SDK decodes JSON itself, so a reqwest "decode"/"body" error is always a body that broke
    // off mid-read (reset, truncated, stalled); reqwest's own wording ("error decoding response
    // body") would send the reader looking for a JSON problem.
    let broken_body = e.is_decode() || e.is_body();
    let mut message = if broken_body { BROKEN_BODY.to_string() } else { e.to_string() };
    let mut cause = std::error::Error::source(&e);
    let mut last = String::new();
    while let Some(c) = cause {
        let text = c.to_string();
        if text != last {
            message = format!("{message}: {text}");
        }
        last = text;
        cause = c.source();
    }
    Error::new(kind, message).with_source(e)
}

impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    /// Converts what a generated `send()` returns. `.call()` (see `crate::CallExt`) adds the
    /// operation, the attempt count and the JSON path of a decode failure.
    fn from(e: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(m) => Error::new(ErrorKind::InvalidInput, m),
            P::CommunicationError(e) | P::InvalidUpgrade(e) => from_reqwest(e),
            P::ResponseBodyError(e) => {
                if let Some(too_large) = BodyTooLarge::find(&e) {
                    return Error::new(ErrorKind::Decode, too_large.to_string())
                        .with_operation(too_large.operation)
                        .with_source(e);
                }
                let mut err = from_reqwest(e);
                let message = err.0.message.take().unwrap_or_default();
                err.0.message = Some(match err.0.kind == ErrorKind::Transport && !message.starts_with(BROKEN_BODY) {
                    true => format!("{BROKEN_BODY}: {message}"),
                    false => message,
                });
                err
            }
            P::ErrorResponse(rv) => {
                let status = rv.status().as_u16();
                let headers = rv.headers().clone();
                let body = serde_json::to_vec(&rv.into_inner()).unwrap_or_default();
                Error::service(status, &headers, &body)
            }
            P::InvalidResponsePayload(bytes, e) => {
                let snippet = super::parse(None, &bytes).raw_snippet;
                let mut err =
                    Error::new(ErrorKind::Decode, format!("the response does not match the documented type: {e}"))
                        .with_source(e);
                if bytes.is_empty() {
                    err.0.message = Some("the response body is empty".into());
                } else if let Some(s) = snippet.filter(|_| !bytes.starts_with(b"{") && !bytes.starts_with(b"[")) {
                    err.0.message = Some(format!("the response is not JSON: {s}"));
                }
                err
            }
            P::UnexpectedResponse(response) => {
                // The body is not read here (this conversion is synchronous); `.call()` reads it.
                let status = response.status().as_u16();
                let mut err = Error::from_body(status, response.headers(), ErrorBody::default());
                if status < 400 {
                    err.0.kind = ErrorKind::Decode;
                    err.0.message = Some(format!("undocumented status {status}"));
                }
                err
            }
            P::Custom(m) => from_custom(&m),
        }
    }
}

/// A JSON response body over `ConfigBuilder::max_response_body`. The runtime hands the generated
/// code a response whose body fails with this, so that `.send()` fails too; the conversion above
/// finds it in the reqwest error's causes and makes it a [`ErrorKind::Decode`] error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTooLarge {
    pub(crate) operation: &'static str,
    pub(crate) limit: u64,
    /// The `Content-Length` the server announced, when that alone exceeded the limit.
    pub(crate) declared: Option<u64>,
}

impl BodyTooLarge {
    fn find(e: &reqwest::Error) -> Option<BodyTooLarge> {
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            if let Some(found) = c.downcast_ref::<BodyTooLarge>() {
                return Some(*found);
            }
            cause = c.source();
        }
        None
    }
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = human_bytes(self.limit);
        match self.declared {
            Some(n) => write!(f, "the response body declares {n} bytes, over the {limit} limit")?,
            None => write!(f, "the response body exceeds the {limit} limit")?,
        }
        write!(f, " (ConfigBuilder::max_response_body)")
    }
}

impl std::error::Error for BodyTooLarge {}

/// `32 MiB`, `64 KiB`, or `1000 bytes`: exact, and readable for the usual powers of two.
fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    match n {
        n if n >= KIB * KIB && n % (KIB * KIB) == 0 => format!("{} MiB", n / (KIB * KIB)),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

/// Hooks can only fail with progenitor's `Error::Custom(String)`; the runtime encodes the kind as
/// a `[kind]` prefix so that the conversion restores it.
pub(crate) fn to_custom(e: &Error) -> String {
    let kind = match e.0.kind {
        ErrorKind::InvalidInput => "invalid-input",
        ErrorKind::Credentials => "credentials",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Transport => "transport",
        ErrorKind::Decode => "decode",
        ErrorKind::Service => "service",
    };
    format!("[{kind}] {}", e.0.message.as_deref().unwrap_or_default())
}

fn from_custom(m: &str) -> Error {
    let (kind, message) = match m.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some(("credentials", rest)) => (ErrorKind::Credentials, rest),
        Some(("timeout", rest)) => (ErrorKind::Timeout, rest),
        Some(("transport", rest)) => (ErrorKind::Transport, rest),
        Some(("decode", rest)) => (ErrorKind::Decode, rest),
        Some(("service", rest)) => (ErrorKind::Service, rest),
        Some(("invalid-input", rest)) => (ErrorKind::InvalidInput, rest),
        _ => (ErrorKind::InvalidInput, m),
    };
    Error::new(kind, message)
}
