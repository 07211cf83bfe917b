//! The runtime behind every generated client: authentication, retries, timeouts and tracing.
//!
//! progenitor's hooks hand each request to [`Runtime`]: `pre` adds what needs a round trip to IAM
//! (a token, the IAM project id) once per call; `exec` runs the attempts, signing each one afresh
//! with AK/SK, applying the per-attempt deadline and the retry policy (`crate::retry`), and
//! recording a `tracing` span per attempt. Every body but a successful download's is read whole
//! within its attempt, so a response that breaks off is a failed attempt (resent only for
//! idempotent operations), and an error body reaches [`Error`] raw, for the tolerant parser.
//! Reading is bounded: a JSON body over `ConfigBuilder::max_response_body` fails the call, and an
//! error body is cut at [`ERROR_BODY_PREFIX`].

use crate::error::{BodyTooLarge, Error, ErrorKind, request_id_header, to_custom};
use crate::iam::{ProjectIdCache, Token, TokenProvider};
use crate::retry::{Attempt, DefaultClassifier, Failure, RetryAction, RetryClassifier, RetryPolicy};
use reqwest::header::{HeaderName, HeaderValue};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// An operation of a spec, as the runtime needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationMeta {
    /// The vendor operation name (`RunJob`).
    pub id: &'static str,
    /// Its snake_case form, as progenitor reports it to hooks (`run_job`).
    pub snake_id: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// Safe to resend after it may have reached the server.
    pub idempotent: bool,
    /// The 200 body is a file download (no per-attempt deadline: it may take long).
    pub download: bool,
    /// The reference marks it "to be taken offline".
    pub deprecated: bool,
    /// The request body's content type as the spec declares it (`application/json;charset=UTF-8`),
    /// when the operation has a body.
    pub content_type: Option<&'static str>,
    /// The success answer's content type as the spec declares it, when it has a body.
    pub response_content_type: Option<&'static str>,
    /// The body is `multipart/form-data` (built with [`crate::multipart::Form`]).
    pub multipart: bool,
}

/// One service as its spec declares it: its operations, their parameters, its error codes and
/// form fields. Generated (`codearts::<service>::operations::SERVICE`).
#[derive(Debug)]
pub struct ServiceMeta {
    /// The spec's title (`CodeArts Build`).
    pub name: &'static str,
    /// Whose endpoint its clients call.
    pub endpoint: crate::region::Service,
    /// Every operation, in spec order.
    pub operations: &'static [OperationMeta],
    /// Every path and query parameter of every operation.
    pub parameters: &'static [crate::validate::Parameter],
    /// The service's error codes (`x-codearts-error-codes`).
    pub error_codes: &'static [crate::error::KnownError],
    /// The fields of every `multipart/form-data` body.
    pub form_fields: &'static [crate::multipart::FormField],
}

impl ServiceMeta {
    /// The documented error with this code, if the service documents it (surrounding whitespace
    /// is ignored and letters match case-insensitively).
    pub fn error_code(&self, code: &str) -> Option<&'static crate::error::KnownError> {
        let code = code.trim();
        self.error_codes.iter().find(|known| known.code.eq_ignore_ascii_case(code))
    }

    /// The operation progenitor calls `snake` (`run_job`), or with vendor name `snake`.
    pub fn operation(&self, snake: &str) -> Option<&'static OperationMeta> {
        thread_local! {
            /// The last operation found (and its table's address): a call looks its operation up
            /// three times (checks, preparation, attempts), and a scan of a table of 135 names was
            /// the SDK's largest per-call cost after the request itself.
            static LAST: std::cell::Cell<Option<(usize, &'static OperationMeta)>> = const { std::cell::Cell::new(None) };
        }
        let table = self.operations.as_ptr() as usize;
        if let Some((t, last)) = LAST.get()
            && t == table
            && (last.snake_id == snake || last.id == snake)
        {
            return Some(last);
        }
        let operations: &'static [OperationMeta] = self.operations;
        let found = operations.iter().find(|o| o.snake_id == snake || o.id == snake)?;
        LAST.set(Some((table, found)));
        Some(found)
    }
}

/// Implemented (by generated code) for every operation builder, so that [`CallExt::call`] knows
/// which operation it runs and what it returns.
pub trait Operation: Sized + Send {
    /// The 200 body.
    type Output: Send;
    /// The documented error body.
    type ErrorBody: serde::Serialize + Send;
    /// The operation's facts from the spec.
    const META: &'static OperationMeta;
    /// Its service's tables.
    const SERVICE: &'static ServiceMeta;
    /// The JSON path at which `bytes` fail to decode into [`Operation::Output`] (generated for
    /// JSON operations; downloads have none).
    fn decode_path(_bytes: &[u8]) -> Option<String> {
        None
    }
    /// progenitor's `send()`.
    fn send_raw(
        self,
    ) -> impl Future<
        Output = Result<progenitor_client::ResponseValue<Self::Output>, progenitor_client::Error<Self::ErrorBody>>,
    > + Send;
}

/// Per-call options for [`CallExt::call_with`].
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Replaces the client's retry policy for this call.
    pub retry: Option<RetryPolicy>,
}

/// `.call()` on any operation builder: sends it through the runtime and returns the typed 200 body
/// or one [`Error`] carrying the operation, status, code, message, request id and attempt count.
pub trait CallExt: Operation {
    /// Sends the request with the client's retry policy.
    fn call(self) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        self.call_with(CallOptions::default())
    }

    /// Sends the request with per-call options.
    fn call_with(self, options: CallOptions) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

impl<T: Operation> CallExt for T {
    fn call_with(self, options: CallOptions) -> impl Future<Output = Result<Self::Output, Error>> + Send {
        let context = Arc::new(CallContext { retry: options.retry, ..CallContext::default() });
        async move {
            let result = CALL.scope(context.clone(), self.send_raw()).await;
            let error = match (result, context.error_response()) {
                (Ok(value), _) => return Ok(value.into_inner()),
                // The runtime failed the call before sending (invalid input, credentials): its typed
                // error, kept in the call's context (progenitor's hooks can only carry a string).
                (Err(progenitor_client::Error::Custom(_)), _) if context.has_error() => {
                    context.take_error().unwrap_or_else(|| Error::new(ErrorKind::InvalidInput, "invalid request"))
                }
                // A documented error status: progenitor decoded (or failed to decode) the body into
                // the spec's error type, which drops other shapes and fails on non-JSON bodies. The
                // runtime kept the raw body: parse that tolerantly instead.
                (
                    Err(
                        progenitor_client::Error::ErrorResponse(_)
                        | progenitor_client::Error::InvalidResponsePayload(..),
                    ),
                    Some((status, headers, body)),
                ) => Error::service(status, &headers, &body),
                (Err(progenitor_client::Error::UnexpectedResponse(response)), _) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let body = response.bytes().await.unwrap_or_default();
                    let mut e = Error::service(status, &headers, &body);
                    if status < 400 {
                        e = Error::new(ErrorKind::Decode, format!("undocumented status {status}"));
                    }
                    e
                }
                (Err(progenitor_client::Error::InvalidResponsePayload(bytes, e)), None) => {
                    let path = T::decode_path(&bytes);
                    let mut err =
                        Error::from(progenitor_client::Error::<T::ErrorBody>::InvalidResponsePayload(bytes, e));
                    if let Some(path) = path {
                        err = err.at_json_path(&path);
                    }
                    err
                }
                (Err(other), _) => Error::from(other),
            };
            let mut error = error.with_operation(T::META.id).with_service(T::SERVICE).with_attempts(context.attempts());
            error.set_request_id_if_absent(context.request_id());
            Err(error)
        }
    }
}

/// The JSON path of the first field of `bytes` that does not decode into `T`.
pub fn json_path<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<String> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(de).err().map(|e| e.path().to_string())
}

type RawResponse = (u16, reqwest::header::HeaderMap, bytes::Bytes);

#[derive(Default)]
struct CallContext {
    retry: Option<RetryPolicy>,
    attempts: Mutex<u32>,
    request_id: Mutex<Option<String>>,
    /// The last attempt's error status (≥ 400), headers and raw body.
    error_response: Mutex<Option<RawResponse>>,
    /// The typed error of a call the runtime failed before sending.
    error: Mutex<Option<Error>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl CallContext {
    fn error_response(&self) -> Option<RawResponse> {
        lock(&self.error_response).clone()
    }
    fn set_error_response(&self, value: Option<RawResponse>) {
        *lock(&self.error_response) = value;
    }
    fn attempts(&self) -> u32 {
        *lock(&self.attempts)
    }
    fn request_id(&self) -> Option<String> {
        lock(&self.request_id).clone()
    }
    fn has_error(&self) -> bool {
        lock(&self.error).is_some()
    }
    fn take_error(&self) -> Option<Error> {
        lock(&self.error).take()
    }
}

tokio::task_local! {
    static CALL: Arc<CallContext>;
}

/// How requests are authenticated.
#[derive(Clone)]
pub(crate) enum Auth {
    /// Nothing (an emulator, a test server, or headers of the caller's own reqwest client).
    None,
    /// AK/SK signing of every attempt.
    AkSk(crate::auth::Signer),
    /// An IAM token (static, or from password login and refreshed).
    Token(TokenProvider),
}

struct Shared {
    service: &'static ServiceMeta,
    base_url: String,
    /// The HTTP client, credentials and IAM project of the [`crate::Config`], shared with every
    /// other client made from it.
    identity: crate::config::Identity,
    retry: RetryPolicy,
    classifier: Option<Arc<dyn RetryClassifier>>,
    attempt_timeout: Duration,
    sleep: Arc<dyn crate::retry::Sleep>,
    max_body: u64,
}

#[derive(Clone)]
pub(crate) enum ProjectHeader {
    None,
    Fixed(String),
    Resolve { cache: ProjectIdCache, iam: url::Url, region: String },
}

/// The state a generated client holds: its service, endpoint, and the [`crate::Config`]'s shared
/// identity (cheap to clone).
#[derive(Clone)]
pub struct Runtime(Arc<Shared>);

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.0.identity.auth {
            Auth::None => "none",
            Auth::AkSk(_) => "AK/SK",
            Auth::Token(_) => "IAM token",
        };
        f.debug_struct("Runtime")
            .field("service", &self.0.service.name)
            .field("base_url", &self.0.base_url)
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

/// How one attempt ended.
enum Attempted {
    /// The call's result: a response for the generated code to decode, or a transport error.
    Done(reqwest::Result<reqwest::Response>),
    /// The token was refreshed after a 401: send again at once (the gateway refused the request,
    /// so resending is safe for any operation).
    Refreshed,
    /// A failure the retry rules decide about, with the result to return if they say no.
    Failed {
        failure: Failure,
        status: Option<u16>,
        code: Option<String>,
        wait_hint: Option<Duration>,
        result: reqwest::Result<reqwest::Response>,
    },
}

impl Runtime {
    pub(crate) fn new(config: &crate::Config, service: &'static ServiceMeta) -> Result<Self, Error> {
        let parts = config.runtime_parts(service.endpoint)?;
        Ok(Runtime(Arc::new(Shared {
            service,
            base_url: parts.base_url,
            identity: parts.identity,
            retry: parts.retry,
            classifier: parts.classifier,
            attempt_timeout: parts.attempt_timeout,
            sleep: parts.sleep,
            max_body: parts.max_response_body,
        })))
    }

    /// The service endpoint the client calls.
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    /// The reqwest client every attempt goes through (shared by every client of the configuration).
    pub fn http(&self) -> &reqwest::Client {
        &self.0.identity.http
    }

    /// The service the client calls.
    pub fn service(&self) -> &'static ServiceMeta {
        self.0.service
    }

    /// Before the attempts, once per call: the request's parameters against the spec's formats,
    /// its content type, and credentials that need IAM. A failure is kept typed in the call's
    /// context for `.call()`; progenitor's `.send()` gets it as a string that converts back into
    /// an [`Error`] of the same kind.
    pub(crate) async fn pre(&self, request: &mut reqwest::Request, base_url: &str, snake: &str) -> Result<(), String> {
        let meta = self.0.service.operation(snake);
        if let Some(meta) = meta {
            crate::validate::join_comma_separated(request.url_mut(), meta.id, self.0.service);
        }
        let result = match crate::validate::check_request(request.url(), base_url, snake, self.0.service) {
            Ok(()) => match self.body_headers(request, meta) {
                Ok(()) => self.prepare(request).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        result.map_err(|e| {
            let text = to_custom(&e);
            let _ = CALL.try_with(|c| *lock(&c.error) = Some(e));
            text
        })
    }

    /// The content type the spec declares (`application/json;charset=UTF-8`, a multipart form's
    /// boundary), and a multipart form's required fields.
    fn body_headers(&self, request: &mut reqwest::Request, meta: Option<&OperationMeta>) -> Result<(), Error> {
        let Some(meta) = meta else { return Ok(()) };
        if meta.multipart {
            let body = request.body().and_then(|b| b.as_bytes()).unwrap_or_default();
            let form = crate::multipart::inspect(body).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "{} takes a multipart/form-data body: set it with .form(codearts::multipart::Form)",
                        meta.id
                    ),
                )
            })?;
            let missing: Vec<&str> = self
                .0
                .service
                .form_fields
                .iter()
                .filter(|f| f.operation == meta.id && f.required && !form.fields.iter().any(|n| n == f.name))
                .map(|f| f.name)
                .collect();
            if !missing.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{}: the form lacks the required field(s) {}", meta.id, missing.join(", ")),
                ));
            }
            let value = format!("multipart/form-data; boundary={}", form.boundary);
            insert(request, "content-type", &value, false)?;
        } else if let Some(content_type) = meta.content_type
            && request.body().is_some()
            && content_type != "application/json"
            && !content_type.starts_with("application/octet-stream")
        {
            insert(request, "content-type", content_type, false)?;
        }
        Ok(())
    }

    async fn prepare(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let identity = &self.0.identity;
        match &identity.project {
            ProjectHeader::None => {}
            ProjectHeader::Fixed(id) => insert(request, "x-project-id", id, false)?,
            ProjectHeader::Resolve { cache, iam, region } => {
                let id = match &identity.auth {
                    Auth::AkSk(signer) => {
                        let signer = signer.clone();
                        cache
                            .resolve(iam, region, &identity.http, &move |r: &mut reqwest::Request| {
                                signer
                                    .sign(r, SystemTime::now())
                                    .map_err(|e| crate::iam::IamError::InvalidBody(e.to_string()))
                            })
                            .await
                    }
                    _ => return Ok(()),
                }
                .map_err(|e| Error::new(ErrorKind::Credentials, format!("resolving the IAM project id: {e}")))?;
                insert(request, "x-project-id", &id, false)?;
            }
        }
        match &identity.auth {
            Auth::None => {}
            Auth::AkSk(_) => {
                if request.body().is_some_and(|b| b.as_bytes().is_none()) {
                    return Err(Error::new(ErrorKind::InvalidInput, "a streaming body cannot be signed with AK/SK"));
                }
            }
            Auth::Token(provider) => {
                let token = provider.token().await.map_err(|e| Error::new(ErrorKind::Credentials, e.to_string()))?;
                insert(request, "x-auth-token", token.expose(), true)?;
            }
        }
        Ok(())
    }

    /// A raw request (`crate::raw`): authenticated like any call, sent through [`Runtime::exec`] as
    /// `operation` when it matched one (its retry rules apply), once otherwise.
    pub(crate) async fn send_raw(
        &self,
        mut request: reqwest::Request,
        operation: Option<&'static OperationMeta>,
    ) -> Result<crate::raw::RawResponse, Error> {
        let context = Arc::new(CallContext::default());
        let label = operation.map_or("raw request", |o| o.id);
        let finish = |e: Error| {
            let mut e = e.with_operation(label).with_service(self.0.service).with_attempts(context.attempts());
            e.set_request_id_if_absent(context.request_id());
            e
        };
        self.prepare(&mut request).await.map_err(finish)?;
        let snake = operation.map_or("", |o| o.snake_id);
        let result = CALL.scope(context.clone(), self.exec(request, snake)).await;
        let response = result.map_err(|e| finish(crate::error::from_reqwest(e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| finish(crate::error::from_reqwest(e)))?;
        if status >= 400 {
            return Err(finish(Error::service(status, &headers, &body)));
        }
        Ok(crate::raw::RawResponse { status, headers, body, operation: operation.map(|o| o.id) })
    }

    /// The attempts of one call: [`Runtime::attempt`] until it succeeds, fails for good, or the
    /// retry rules (the configuration's classifier, then [`crate::retry::DefaultClassifier`]) and
    /// the policy's attempts and budget say stop.
    pub(crate) async fn exec(&self, mut request: reqwest::Request, snake: &str) -> reqwest::Result<reqwest::Response> {
        let meta = self.0.service.operation(snake);
        let policy = CALL.try_with(|c| c.retry.clone()).ok().flatten().unwrap_or_else(|| self.0.retry.clone());
        let started = Instant::now();
        let mut refreshed_token = false;
        let mut attempt = 0u32;
        // A body that cannot be cloned (a stream) is sent once, as is. (Asked of the body: cloning
        // the whole request to find out cost a header map and a URL per call.)
        let resendable = request.body().is_none_or(|b| b.as_bytes().is_some());
        loop {
            attempt += 1;
            let _ = CALL.try_with(|c| {
                *lock(&c.attempts) = attempt;
                c.set_error_response(None);
            });
            let (failure, status, code, wait_hint, result) =
                match self.attempt(&mut request, meta, attempt, resendable, &mut refreshed_token).await {
                    Attempted::Done(result) => return result,
                    Attempted::Refreshed => continue,
                    Attempted::Failed { failure, status, code, wait_hint, result } => {
                        (failure, status, code, wait_hint, result)
                    }
                };
            let Some(operation) = meta else { return result };
            let decision = Attempt {
                service: self.0.service,
                operation,
                number: attempt,
                failure,
                status,
                error_code: code.as_deref(),
            };
            let action = match self.0.classifier.as_ref().map(|c| c.classify(&decision)) {
                Some(RetryAction::Retry) => RetryAction::Retry,
                Some(RetryAction::Stop) => RetryAction::Stop,
                _ => DefaultClassifier.classify(&decision),
            };
            let delay = wait_hint.unwrap_or_else(|| policy.backoff(attempt));
            let may_resend = action == RetryAction::Retry && resendable && attempt < policy.max_attempts;
            if !may_resend || started.elapsed() + delay > policy.total_budget {
                return result;
            }
            tracing::debug!(operation = operation.id, attempt, ?failure, ?delay, "retrying");
            self.0.sleep.sleep(delay).await;
        }
    }

    /// One attempt: signed afresh, under the per-attempt deadline, its body read whole unless it is
    /// a download, traced in its own span.
    async fn attempt(
        &self,
        request: &mut reqwest::Request,
        meta: Option<&'static OperationMeta>,
        attempt: u32,
        resendable: bool,
        refreshed_token: &mut bool,
    ) -> Attempted {
        let (operation, download) = meta.map_or(("unknown", false), |m| (m.id, m.download));
        let identity = &self.0.identity;
        let mut this = match request.try_clone() {
            Some(copy) => copy,
            None => std::mem::replace(request, reqwest::Request::new(reqwest::Method::GET, placeholder())),
        };
        if !download {
            *this.timeout_mut() = Some(self.0.attempt_timeout);
        }
        if let Auth::AkSk(signer) = &identity.auth {
            // Signed afresh every attempt: the gateway rejects an X-Sdk-Date ~15 min old.
            let _ = signer.sign(&mut this, SystemTime::now());
        }
        let span = tracing::info_span!(
            "codearts.attempt",
            operation,
            attempt,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty
        );
        let response = match identity.http.execute(this).instrument(span.clone()).await {
            Ok(response) => response,
            Err(e) => {
                tracing::debug!(parent: &span, error = %e, "attempt failed");
                let failure = Failure::of_error(&e);
                return Attempted::Failed { failure, status: None, code: None, wait_hint: None, result: Err(e) };
            }
        };
        let status = response.status().as_u16();
        let request_id = request_id_header(response.headers());
        span.record("status", status);
        if let Some(id) = &request_id {
            span.record("request_id", id.as_str());
        }
        let _ = CALL.try_with(|c| *lock(&c.request_id) = request_id);
        if status == 401
            && !*refreshed_token
            && resendable
            && let Auth::Token(provider) = &identity.auth
            && provider.is_refreshable()
            && let Some(rejected) = request.headers().get("x-auth-token").and_then(|v| v.to_str().ok())
        {
            // A token that expired early (or was revoked): refresh once and resend.
            *refreshed_token = true;
            let rejected = Token::new(rejected.to_string(), None);
            provider.invalidate(&rejected).await;
            if let Ok(token) = provider.token().await
                && let Ok(mut value) = HeaderValue::from_str(token.expose())
            {
                value.set_sensitive(true);
                request.headers_mut().insert("x-auth-token", value);
                tracing::debug!(parent: &span, "token rejected; refreshed it and resending");
                return Attempted::Refreshed;
            }
        }
        if download && status < 400 {
            // A download's body is a stream for the caller to read: handed over as is.
            return Attempted::Done(Ok(response));
        }
        // Anything else is read whole within the attempt (and its deadline), so that a body that
        // breaks off is a failed attempt like any other.
        match Buffered::read(response, operation, self.0.max_body).await {
            Ok(buffered) => {
                if status < 400 {
                    return Attempted::Done(Ok(buffered.into_response()));
                }
                let wait_hint = crate::retry::retry_after(&buffered.headers, SystemTime::now());
                let raw = (status, buffered.headers.clone(), buffered.body.clone());
                let _ = CALL.try_with(|c| c.set_error_response(Some(raw)));
                let code = crate::error::parse(None, &buffered.body).code;
                let failure = Failure::of_status(status, code.as_deref(), self.0.service);
                let result = Ok(buffered.into_response());
                Attempted::Failed { failure, status: Some(status), code, wait_hint, result }
            }
            Err(ReadError::TooLarge(head, why)) => {
                // Not retried: the same request would get the same answer.
                tracing::debug!(parent: &span, error = %why, "response body over the limit");
                Attempted::Done(Ok(head.into_too_large(why)))
            }
            Err(ReadError::Broken(e)) => {
                // The request was written and the response began: it may have taken effect
                // (reqwest reports this as a decode error).
                tracing::debug!(parent: &span, error = %e, "the response broke off");
                Attempted::Failed {
                    failure: Failure::MaybeSent,
                    status: Some(status),
                    code: None,
                    wait_hint: None,
                    result: Err(e),
                }
            }
        }
    }
}

/// How much of an error body (status ≥ 400) is read: the parser needs only its start (a JSON
/// error is well under 1 KiB; an HTML page's snippet is 200 characters), and a gateway's error page
/// may be arbitrarily large. The rest is dropped with the connection.
pub const ERROR_BODY_PREFIX: u64 = 64 * 1024;

/// A response read whole within its attempt.
struct Buffered {
    status: http::StatusCode,
    version: http::Version,
    headers: reqwest::header::HeaderMap,
    url: url::Url,
    body: bytes::Bytes,
}

enum ReadError {
    /// The body broke off (reset, truncated, timed out).
    Broken(reqwest::Error),
    /// A JSON body over the limit: the response's head (with no body), and why.
    TooLarge(Box<Buffered>, BodyTooLarge),
}

impl Buffered {
    /// Reads the body whole, or an error body's first [`ERROR_BODY_PREFIX`] bytes, never more
    /// than `limit`: a `Content-Length` over it is refused before reading, and a body without one
    /// is counted as it arrives. Returning early drops the response, and with it the connection.
    async fn read(mut response: reqwest::Response, operation: &'static str, limit: u64) -> Result<Buffered, ReadError> {
        let (status, version) = (response.status(), response.version());
        let (headers, url) = (response.headers().clone(), response.url().clone());
        let head = move |body| Buffered { status, version, headers, url, body };
        let error = status.as_u16() >= 400;
        let declared = response.content_length();
        if !error && let Some(n) = declared.filter(|n| *n > limit) {
            let why = BodyTooLarge { operation, limit, declared: Some(n) };
            return Err(ReadError::TooLarge(Box::new(head(bytes::Bytes::new())), why));
        }
        let keep = usize::try_from(if error { limit.min(ERROR_BODY_PREFIX) } else { limit }).unwrap_or(usize::MAX);
        let expected = declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
        let mut body = bytes::BytesMut::with_capacity(expected.min(keep));
        while let Some(chunk) = response.chunk().await.map_err(ReadError::Broken)? {
            let room = keep - body.len();
            if chunk.len() > room {
                if !error {
                    let why = BodyTooLarge { operation, limit, declared: None };
                    return Err(ReadError::TooLarge(Box::new(head(bytes::Bytes::new())), why));
                }
                body.extend_from_slice(&chunk[..room]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(head(body.freeze()))
    }

    /// The response again, its body in memory, for the generated code to decode.
    fn into_response(mut self) -> reqwest::Response {
        let body = reqwest::Body::from(std::mem::take(&mut self.body));
        self.into_response_with(body)
    }

    /// The response again with `body`.
    fn into_response_with(self, body: reqwest::Body) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        let mut rebuilt = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url)
            .body(body)
            .expect("status, version and URL come from a valid response");
        *rebuilt.headers_mut() = self.headers;
        reqwest::Response::from(rebuilt)
    }

    /// The response again, its body failing with `why` when read: `.call()` and progenitor's
    /// `.send()` both report a decode error instead of decoding a truncated body.
    fn into_too_large(mut self, why: BodyTooLarge) -> reqwest::Response {
        self.headers.remove(reqwest::header::CONTENT_LENGTH);
        let body = futures_util::stream::once(async move { Err::<bytes::Bytes, BodyTooLarge>(why) });
        self.into_response_with(reqwest::Body::wrap_stream(body))
    }
}

fn placeholder() -> url::Url {
    url::Url::parse("http://127.0.0.1/").expect("a valid URL")
}

fn insert(request: &mut reqwest::Request, name: &'static str, value: &str, sensitive: bool) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, format!("{name} is not a valid header value")))?;
    value.set_sensitive(sensitive);
    request.headers_mut().insert(HeaderName::from_static(name), value);
    Ok(())
}
