//! IAM: token authentication and IAM project-id resolution.
//!
//! Huawei Cloud APIs accept either an AK/SK signature ([`crate::auth`]) or an IAM **token** in the
//! `X-Auth-Token` header. This module provides the token side:
//!
//! - [`TokenProvider`] hands out a [`Token`]: either a static one ([`TokenProvider::fixed`]) or one
//!   obtained by password login against IAM ([`TokenProvider::password`]), cached, refreshed ahead of
//!   its expiry and fetched **single-flight**: however many tasks ask at once while no usable token is
//!   cached, IAM is called once and every caller gets the same token (or the same error).
//! - [`resolve_project_id`] finds the **IAM project id** of a region (`GET /v3/projects?name=<region>`,
//!   the value of the `X-Project-Id` header), and [`ProjectIdCache`] remembers it. This is not the
//!   CodeArts project id (32 hex characters in CodeArts paths), which is always an explicit argument.
//!
//! # Password login
//!
//! [`TokenProvider::password`] sends `POST {iam}/v3/auth/tokens` with `Content-Type: application/json`
//! and the project-scoped body of section 3.1 of the CodeArts Build API reference:
//!
//! ```json
//! {"auth": {"identity": {"methods": ["password"],
//!                        "password": {"user": {"name": "<user>", "password": "<password>",
//!                                              "domain": {"name": "<domain>"}}}},
//!           "scope": {"project": {"name": "eu-west-101"}}}}
//! ```
//!
//! (`"project": {"id": "..."}` for [`ProjectScope::Id`]). The token is the `X-Subject-Token` response
//! header and its expiry is `token.expires_at` in the response body (RFC 3339, such as
//! `2019-02-13T06:52:13.855000Z`).
//!
//! **Expiry fallback.** When the body has no `token.expires_at`, or it cannot be parsed, the token is
//! assumed to expire [23 hours](ASSUMED_LIFETIME) after it was received. IAM tokens are valid for 24
//! hours (section 3.2 of the reference); assuming one hour less keeps the guess on the safe side of
//! the truth even if the response was slow or the clocks disagree, and costs one extra login a day at
//! most. Guessing beats failing: the header carried a perfectly good token.
//!
//! # Refresh ahead of expiry
//!
//! A cached token is replaced once it is within [`refresh_ahead`](TokenProvider::refresh_ahead) of its
//! expiry — by default [5 minutes](DEFAULT_REFRESH_AHEAD). A token that is valid when it is read must
//! still be valid when the request that carries it reaches the gateway, including retries and their
//! backoff, and the local clock may disagree with IAM's by a few minutes; five minutes covers both
//! comfortably, while costing only 5 of a token's 1440 minutes (logins happen every 23 h 55 min
//! instead of 24 h). It does not need to cover a long log download: a token is only checked when a
//! request starts.
//!
//! # After a 401
//!
//! When a service rejects a token as expired, call [`TokenProvider::invalidate`] with the token that
//! was rejected, then [`TokenProvider::token`] again. `invalidate` forgets the cached token only if it
//! is still the rejected one, so when many requests fail with the same token at once, the first
//! invalidation causes one login and the others find the new token already cached.
//! [`TokenProvider::is_refreshable`] tells whether retrying can help at all (a fixed token stays the
//! same).
//!
//! # Secrets
//!
//! Passwords and tokens are held as [`SecretString`]s. The `Debug` output of every type here redacts
//! them, no [`IamError`] contains them, and [`Token::header_value`] marks the header value sensitive.
//!
//! # Example
//!
//! ```no_run
//! use codearts::iam::{PasswordLogin, ProjectIdCache, ProjectScope, TokenProvider};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! codearts::install_crypto_provider();
//! let http = reqwest::Client::new();
//! let iam = url::Url::parse("https://iam.eu-west-101.myhuaweicloud.eu")?;
//! let login = PasswordLogin {
//!     domain: "my-account".into(),
//!     user: "my-user".into(),
//!     password: "my-password".into(),
//!     scope: ProjectScope::Name("eu-west-101".into()),
//! };
//! let tokens = TokenProvider::password(iam.clone(), login, http.clone());
//!
//! let token = tokens.token().await?; // logs in; later calls hit the cache
//! let projects = ProjectIdCache::new();
//! let project_id = projects.resolve(&iam, "eu-west-101", &http, &|request| token.authorize(request)).await?;
//! println!("IAM project id: {project_id}");
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

use crate::auth::SignError;

/// The request header that carries a token to a Huawei Cloud service.
pub const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";

/// The IAM response header that carries a newly issued token.
pub const SUBJECT_TOKEN_HEADER: &str = "X-Subject-Token";

/// How long before its expiry a cached token is replaced, unless [`TokenProvider::refresh_ahead`] says
/// otherwise. See the [module docs](self#refresh-ahead-of-expiry) for why 5 minutes.
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// The lifetime assumed for a token whose response gave no usable `token.expires_at`: 23 hours, one
/// less than the 24 hours IAM tokens are valid. See the [module docs](self#password-login).
pub const ASSUMED_LIFETIME: Duration = Duration::from_secs(23 * 60 * 60);

/// Where a token is valid: one IAM project, by name or by id.
///
/// A region's default project is named after the region (`eu-west-101`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectScope {
    /// The project's name, such as the region name `eu-west-101`.
    Name(String),
    /// The project's IAM id.
    Id(String),
}

/// What a password login sends to IAM. `Debug` redacts the password.
#[derive(Clone)]
pub struct PasswordLogin {
    /// The account (domain) name the user belongs to.
    pub domain: String,
    /// The IAM user name.
    pub user: String,
    /// The user's password.
    pub password: SecretString,
    /// The project the token is scoped to.
    pub scope: ProjectScope,
}

impl fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .field("password", &"[REDACTED]")
            .field("scope", &self.scope)
            .finish()
    }
}

/// An IAM token and when it expires. `Debug` redacts the token.
///
/// Two tokens are equal when their values are equal.
#[derive(Clone)]
pub struct Token {
    value: SecretString,
    expires_at: Option<SystemTime>,
}

impl Token {
    /// A token with this value, expiring at `expires_at` (`None`: never, as far as this crate knows).
    pub fn new(value: impl Into<SecretString>, expires_at: Option<SystemTime>) -> Self {
        Token { value: value.into(), expires_at }
    }

    /// The token itself, to send as `X-Auth-Token`. Keep it out of logs.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }

    /// When the token expires; `None` for a [fixed](TokenProvider::fixed) token.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The token as an `X-Auth-Token` header value, marked sensitive (so HTTP libraries that honour
    /// the flag keep it out of their logs).
    pub fn header_value(&self) -> Result<HeaderValue, IamError> {
        let mut value = HeaderValue::from_str(self.expose()).map_err(|_| IamError::InvalidToken)?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Sets the `X-Auth-Token` header of `request` to this token, replacing any there.
    pub fn authorize(&self, request: &mut reqwest::Request) -> Result<(), IamError> {
        request.headers_mut().insert(AUTH_TOKEN_HEADER, self.header_value()?);
        Ok(())
    }

    /// Whether the token is expired at `now`.
    fn expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether the token expires within `ahead` of `now` (and so is due for replacement).
    fn due(&self, now: SystemTime, ahead: Duration) -> bool {
        match self.expires_at {
            None => false,
            Some(at) => now.checked_add(ahead).is_none_or(|limit| limit >= at),
        }
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Token {}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token").field("value", &"[REDACTED]").field("expires_at", &self.expires_at).finish()
    }
}

/// Why a token or an IAM project id could not be obtained.
///
/// No variant contains a password or a token. `Clone`, so that every caller waiting on one IAM call
/// gets its error (hence the [`Arc`]s around the errors that are not `Clone` themselves).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    /// The request to IAM could not be sent, or its response could not be read.
    #[error("IAM request failed: {0}")]
    Http(#[source] Arc<reqwest::Error>),
    /// IAM answered with a non-success status.
    #[error("IAM answered HTTP {status}{}", status_detail(.code.as_deref(), .message.as_deref()))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The error code found in the body (`APIGW.0301`, or IAM's numeric `"code": 401` as text).
        code: Option<String>,
        /// The error message found in the body or, when it had none, a short snippet of the body
        /// (see [`crate::error::parse`]).
        message: Option<String>,
    },
    /// IAM accepted the login but its response has no usable `X-Subject-Token` header (missing, empty
    /// or not visible ASCII).
    #[error("IAM accepted the login, but its response has no usable X-Subject-Token header")]
    MissingSubjectToken,
    /// A successful IAM response had a body this crate cannot read.
    #[error("IAM response body is not as documented: {0}")]
    InvalidBody(String),
    /// IAM has no project of this name visible to the credentials.
    #[error("IAM has no project named `{region}` visible to these credentials")]
    NoProject {
        /// The region (project name) that was looked up.
        region: String,
    },
    /// IAM has several projects of this name visible to the credentials.
    #[error(
        "IAM has {} projects named `{region}` ({}): set the IAM project id explicitly",
        .ids.len(),
        .ids.join(", ")
    )]
    AmbiguousProject {
        /// The region (project name) that was looked up.
        region: String,
        /// The ids of the projects of that name.
        ids: Vec<String>,
    },
    /// The IAM endpoint cannot have an IAM path appended to it.
    #[error("invalid IAM endpoint: {0}")]
    InvalidEndpoint(String),
    /// The token contains characters that are not allowed in an HTTP header.
    #[error("the token contains characters that are not allowed in an HTTP header")]
    InvalidToken,
    /// A request to IAM could not be signed with AK/SK.
    #[error("could not sign the IAM request: {0}")]
    Sign(#[source] Arc<SignError>),
}

impl From<reqwest::Error> for IamError {
    fn from(e: reqwest::Error) -> Self {
        IamError::Http(Arc::new(e))
    }
}

impl From<SignError> for IamError {
    fn from(e: SignError) -> Self {
        IamError::Sign(Arc::new(e))
    }
}

/// `": CODE message"`, `": CODE"`, `": message"` or nothing.
fn status_detail(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(": {code} {message}"),
        (Some(text), None) | (None, Some(text)) => format!(": {text}"),
        (None, None) => String::new(),
    }
}

/// Hands out IAM tokens: a fixed one, or one from password login, cached and refreshed ahead of its
/// expiry. Cloning is cheap and clones share the cache. See the [module docs](self).
#[derive(Clone)]
pub struct TokenProvider {
    source: Arc<Source>,
    refresh_ahead: Duration,
}

enum Source {
    Fixed(Token),
    Password(Box<PasswordSource>),
}

struct PasswordSource {
    endpoint: Url,
    login: PasswordLogin,
    http: reqwest::Client,
    /// The cache. Held for the whole of a login, which is what makes logins single-flight.
    state: tokio::sync::Mutex<CacheState>,
    /// Logins finished (successfully or not); changed only while `state` is locked.
    attempts: AtomicU64,
}

#[derive(Default)]
struct CacheState {
    token: Option<Token>,
    /// The error of the last login, when it failed.
    last_failure: Option<IamError>,
}

impl TokenProvider {
    /// A static token, never refreshed ([`Token::expires_at`] is `None`). Leading and trailing
    /// whitespace is removed (a token pasted from a file often ends with a newline; tokens never
    /// contain whitespace).
    pub fn fixed(token: SecretString) -> Self {
        let trimmed = token.expose_secret().trim();
        let token = if trimmed.len() == token.expose_secret().len() { token } else { trimmed.into() };
        TokenProvider { source: Arc::new(Source::Fixed(Token::new(token, None))), refresh_ahead: DEFAULT_REFRESH_AHEAD }
    }

    /// Tokens from password login against the IAM endpoint `iam_endpoint` (such as
    /// `https://iam.eu-west-101.myhuaweicloud.eu`; `/v3/auth/tokens` is appended to its path).
    ///
    /// No request is made until [`TokenProvider::token`] is called. `http`'s timeouts apply to the
    /// login.
    pub fn password(iam_endpoint: Url, login: PasswordLogin, http: reqwest::Client) -> Self {
        TokenProvider {
            source: Arc::new(Source::Password(Box::new(PasswordSource {
                endpoint: iam_endpoint,
                login,
                http,
                state: tokio::sync::Mutex::new(CacheState::default()),
                attempts: AtomicU64::new(0),
            }))),
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
        }
    }

    /// Replaces a cached token once it is within `ahead` of its expiry (default
    /// [`DEFAULT_REFRESH_AHEAD`], 5 minutes; see the [module docs](self#refresh-ahead-of-expiry)).
    ///
    /// A token IAM issues with less than `ahead` to live is due at once, so every call logs in again.
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = ahead;
        self
    }

    /// Whether this provider can obtain a new token (password login) or always returns the same one
    /// (a fixed token).
    pub fn is_refreshable(&self) -> bool {
        matches!(*self.source, Source::Password(_))
    }

    /// A token to send: the cached one, or a new one when none is cached or the cached one is within
    /// [`refresh_ahead`](Self::refresh_ahead) of its expiry.
    ///
    /// Single-flight: while one caller logs in, the others wait for it and then get its token — or
    /// its error, so that a wrong password makes one failed login, not one per waiting caller (which
    /// could lock the IAM user). A caller that arrives after a failure tries again.
    pub async fn token(&self) -> Result<Token, IamError> {
        let source = match &*self.source {
            Source::Fixed(token) => return Ok(token.clone()),
            Source::Password(source) => source,
        };
        let seen = source.attempts.load(Ordering::Acquire);
        let mut state = source.state.lock().await;
        let now = SystemTime::now();
        if let Some(token) = &state.token
            && !token.due(now, self.refresh_ahead)
        {
            return Ok(token.clone());
        }
        if source.attempts.load(Ordering::Acquire) != seen {
            // A login finished while this caller waited: share its outcome rather than log in again.
            // Its token may already be due (IAM issued it with less than `refresh_ahead` to live), but
            // it is as new as any.
            if let Some(error) = &state.last_failure {
                return Err(error.clone());
            }
            if let Some(token) = &state.token
                && !token.expired(now)
            {
                return Ok(token.clone());
            }
        }
        let outcome = source.login().await;
        match &outcome {
            Ok(token) => {
                state.token = Some(token.clone());
                state.last_failure = None;
            }
            Err(error) => state.last_failure = Some(error.clone()),
        }
        source.attempts.fetch_add(1, Ordering::Release);
        outcome
    }

    /// Forgets the cached token if it is still `rejected`, so that the next [`token`](Self::token)
    /// logs in again. Call it after a service answered 401 because the token expired.
    ///
    /// If the cache already holds another token (someone else invalidated `rejected` and got a new
    /// one), nothing happens: N concurrent 401s with the same token cause one login. Waits for a
    /// login in progress. Does nothing for a fixed token.
    pub async fn invalidate(&self, rejected: &Token) {
        if let Source::Password(source) = &*self.source {
            let mut state = source.state.lock().await;
            if state.token.as_ref() == Some(rejected) {
                state.token = None;
            }
        }
    }
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("TokenProvider");
        match &*self.source {
            Source::Fixed(token) => out.field("fixed", token),
            Source::Password(source) => out.field("endpoint", &source.endpoint.as_str()).field("login", &source.login),
        };
        out.field("refresh_ahead", &self.refresh_ahead).finish()
    }
}

impl PasswordSource {
    /// One password login.
    async fn login(&self) -> Result<Token, IamError> {
        let url = iam_url(&self.endpoint, "/v3/auth/tokens")?;
        let response =
            self.http.post(url).header(CONTENT_TYPE, "application/json").body(login_body(&self.login)).send().await?;
        if !response.status().is_success() {
            return Err(status_error(response).await);
        }
        let value = response
            .headers()
            .get(SUBJECT_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| SecretString::from(v.to_owned()))
            .ok_or(IamError::MissingSubjectToken)?;
        let received = SystemTime::now();
        let body = response.bytes().await?;
        let expires_at = expires_at(&body).unwrap_or(received + ASSUMED_LIFETIME);
        Ok(Token::new(value, Some(expires_at)))
    }
}

/// The JSON body of a project-scoped password login (section 3.1 of the Build reference).
fn login_body(login: &PasswordLogin) -> Vec<u8> {
    let project = match &login.scope {
        ProjectScope::Name(name) => serde_json::json!({ "name": name }),
        ProjectScope::Id(id) => serde_json::json!({ "id": id }),
    };
    let body = serde_json::json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": login.user,
                        "password": login.password.expose_secret(),
                        "domain": { "name": login.domain },
                    }
                }
            },
            "scope": { "project": project },
        }
    });
    body.to_string().into_bytes()
}

/// `token.expires_at` of a login response body, if present and RFC 3339.
fn expires_at(body: &[u8]) -> Option<SystemTime> {
    #[derive(Deserialize)]
    struct Body {
        token: TokenBody,
    }
    #[derive(Deserialize)]
    struct TokenBody {
        expires_at: String,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    OffsetDateTime::parse(body.token.expires_at.trim(), &Rfc3339).ok().map(SystemTime::from)
}

/// `path` appended to the IAM endpoint's path; query and fragment dropped.
fn iam_url(endpoint: &Url, path: &str) -> Result<Url, IamError> {
    if !matches!(endpoint.scheme(), "http" | "https") || endpoint.cannot_be_a_base() || endpoint.host().is_none() {
        return Err(IamError::InvalidEndpoint(format!("`{}` is not an http(s) URL with a host", endpoint.as_str())));
    }
    if !endpoint.username().is_empty() || endpoint.password().is_some() {
        // Not echoed: the user info may be a secret.
        return Err(IamError::InvalidEndpoint("the URL must not contain a user name or password".into()));
    }
    let mut url = endpoint.clone();
    let prefix = endpoint.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// [`IamError::Status`] from a non-success response, its body parsed by [`crate::error::parse`].
async fn status_error(response: reqwest::Response) -> IamError {
    let status = response.status().as_u16();
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response.bytes().await.unwrap_or_default();
    let parsed = crate::error::parse(content_type.as_deref(), &body);
    IamError::Status { status, code: parsed.code, message: parsed.message.or(parsed.raw_snippet) }
}

/// Adds authentication to a request to IAM: a token header ([`Token::authorize`]) or an AK/SK
/// signature (`|r| Ok(signer.sign(r, SystemTime::now())?)`).
pub type Authorize<'a> = &'a (dyn Fn(&mut reqwest::Request) -> Result<(), IamError> + Sync);

/// The IAM project id of `region`: `GET {iam}/v3/projects?name=<region>`, authenticated by
/// `authorize`, and the one project of that name in the answer.
///
/// No project of that name is [`IamError::NoProject`]; several are [`IamError::AmbiguousProject`]
/// (naming their ids). Use a [`ProjectIdCache`] to look each region up once.
pub async fn resolve_project_id(
    iam_endpoint: &Url,
    region: &str,
    http: &reqwest::Client,
    authorize: Authorize<'_>,
) -> Result<String, IamError> {
    #[derive(Deserialize)]
    struct Projects {
        projects: Vec<Project>,
    }
    #[derive(Deserialize)]
    struct Project {
        id: String,
        name: String,
    }

    let mut url = iam_url(iam_endpoint, "/v3/projects")?;
    url.query_pairs_mut().append_pair("name", region);
    let mut request = http.get(url).header(ACCEPT, "application/json").build()?;
    authorize(&mut request)?;
    let response = http.execute(request).await?;
    if !response.status().is_success() {
        return Err(status_error(response).await);
    }
    let body = response.bytes().await?;
    let projects: Projects = serde_json::from_slice(&body).map_err(|e| {
        IamError::InvalidBody(format!("GET /v3/projects: {e} (expected {{\"projects\": [{{\"id\", \"name\"}}]}})"))
    })?;
    // IAM filters by name already; filtering again guards against a server that ignored the query.
    let mut ids: Vec<String> = projects.projects.into_iter().filter(|p| p.name == region).map(|p| p.id).collect();
    match ids.len() {
        0 => Err(IamError::NoProject { region: region.to_owned() }),
        1 => Ok(ids.remove(0)),
        _ => Err(IamError::AmbiguousProject { region: region.to_owned(), ids }),
    }
}

/// Remembers [`resolve_project_id`]'s answers, per IAM endpoint and region.
///
/// Single-flight per key: concurrent lookups of one region make one request. Failures are not
/// cached. A project id depends on the account, so use one cache per set of credentials. Cloning is
/// cheap and clones share the cache.
#[derive(Clone, Default)]
pub struct ProjectIdCache {
    entries: Arc<std::sync::Mutex<ProjectIds>>,
}

/// One cell per (IAM endpoint, region); a cell is filled once, by one of the callers that wait on it.
type ProjectIds = HashMap<(String, String), Arc<tokio::sync::OnceCell<String>>>;

impl ProjectIdCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The IAM project id of `region`: the cached one, or [`resolve_project_id`]'s answer, which is
    /// then cached.
    pub async fn resolve(
        &self,
        iam_endpoint: &Url,
        region: &str,
        http: &reqwest::Client,
        authorize: Authorize<'_>,
    ) -> Result<String, IamError> {
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            entries.entry((iam_endpoint.as_str().to_owned(), region.to_owned())).or_default().clone()
        };
        cell.get_or_try_init(|| resolve_project_id(iam_endpoint, region, http, authorize)).await.cloned()
    }

    /// The cached IAM project id of `region` at this endpoint, if any.
    pub fn cached(&self, iam_endpoint: &Url, region: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(&(iam_endpoint.as_str().to_owned(), region.to_owned())).and_then(|cell| cell.get().cloned())
    }
}

impl fmt::Debug for ProjectIdCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let resolved = entries.iter().filter_map(|((endpoint, region), cell)| Some((endpoint, region, cell.get()?)));
        f.debug_struct("ProjectIdCache").field("resolved", &resolved.collect::<Vec<_>>()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_rfc3339() {
        let at = expires_at(br#"{"token":{"expires_at":"2019-02-13T06:52:13.855000Z","methods":["password"]}}"#);
        let expected = OffsetDateTime::from_unix_timestamp_nanos(1_550_040_733_855_000_000).unwrap();
        assert_eq!(at, Some(SystemTime::from(expected)));
        assert_eq!(expires_at(br#"{"token":{"expires_at":"tomorrow"}}"#), None);
        assert_eq!(expires_at(br#"{"token":{}}"#), None);
        assert_eq!(expires_at(b"not json"), None);
    }

    #[test]
    fn iam_url_appends_to_the_endpoint_path() {
        let url = |s: &str| iam_url(&Url::parse(s).unwrap(), "/v3/projects").map(|u| u.to_string());
        assert_eq!(url("https://iam.example").unwrap(), "https://iam.example/v3/projects");
        assert_eq!(url("https://iam.example/prefix/").unwrap(), "https://iam.example/prefix/v3/projects");
        assert_eq!(url("https://iam.example/prefix?x=1#f").unwrap(), "https://iam.example/prefix/v3/projects");
        assert!(matches!(url("mailto:a@b"), Err(IamError::InvalidEndpoint(_))));
        let err = url("https://user:hunter2@iam.example").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn due_and_expired() {
        let now = SystemTime::now();
        let soon = Token::new("t", Some(now + Duration::from_secs(60)));
        assert!(soon.due(now, DEFAULT_REFRESH_AHEAD));
        assert!(!soon.due(now, Duration::from_secs(30)));
        assert!(!soon.expired(now));
        assert!(soon.expired(now + Duration::from_secs(60)));
        assert!(soon.due(now, Duration::MAX), "an overflowing margin makes every token due");
        let never = Token::new("t", None);
        assert!(!never.due(now, Duration::MAX) && !never.expired(now));
    }

    #[test]
    fn status_display() {
        let e = IamError::Status { status: 401, code: Some("401".into()), message: Some("wrong password".into()) };
        assert_eq!(e.to_string(), "IAM answered HTTP 401: 401 wrong password");
        let e = IamError::Status { status: 502, code: None, message: None };
        assert_eq!(e.to_string(), "IAM answered HTTP 502");
    }
}
