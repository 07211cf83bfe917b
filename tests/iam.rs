//! IAM token authentication and project-id resolution (`codearts::iam`) against a loopback IAM
//! stand-in that counts its requests: login body and response handling, caching, refresh ahead of
//! expiry, single-flight under 200 concurrent callers, invalidation after a 401, error statuses,
//! project lookup, and that no password or token ever shows in `Debug`, `Display` or errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use codearts::auth::{AkSk, Signer};
use codearts::iam::{
    DEFAULT_REFRESH_AHEAD, IamError, PasswordLogin, ProjectIdCache, ProjectScope, Token, TokenProvider,
    resolve_project_id,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

/// Recognisable secrets: no formatted output may contain them.
const PASSWORD: &str = "pa55-SECRET-w0rd";
const TOKEN_PREFIX: &str = "MIIsecret-token-";
const FIXED_TOKEN: &str = "MIIfixed-SECRET-token";

/// How the stand-in answers `POST /v3/auth/tokens`.
#[derive(Clone)]
enum Login {
    /// 201 with `X-Subject-Token: MIIsecret-token-<n>` (n counts logins from 1) and this expiry.
    Issue(Expiry),
    /// 201 and a body, but no `X-Subject-Token`.
    NoSubjectToken,
    /// This status, content type and body.
    Fail(u16, &'static str, &'static str),
}

#[derive(Clone)]
enum Expiry {
    /// `token.expires_at` this long after the response, as RFC 3339.
    In(Duration),
    /// `token.expires_at` with this text.
    Text(&'static str),
    /// No `token.expires_at` at all.
    Missing,
}

struct Iam {
    logins: AtomicUsize,
    project_lookups: AtomicUsize,
    delay: Mutex<Duration>,
    login: Mutex<Login>,
    /// Headers and body of the last login request.
    last_login: Mutex<Option<(HeaderMap, Bytes)>>,
    /// Answer to `GET /v3/projects`: status and body.
    projects: Mutex<(u16, Value)>,
    /// Query and headers of the last project lookup.
    last_lookup: Mutex<Option<(Option<String>, HeaderMap)>>,
}

struct Server {
    iam: Arc<Iam>,
    endpoint: Url,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start(login: Login) -> Server {
        let iam = Arc::new(Iam {
            logins: AtomicUsize::new(0),
            project_lookups: AtomicUsize::new(0),
            delay: Mutex::new(Duration::ZERO),
            login: Mutex::new(login),
            last_login: Mutex::new(None),
            projects: Mutex::new((200, json!({ "projects": [] }))),
            last_lookup: Mutex::new(None),
        });
        let app = axum::Router::new()
            .route("/v3/auth/tokens", post(login_handler))
            .route("/v3/projects", get(projects_handler))
            .with_state(iam.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let endpoint = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .ok();
        });
        Server { iam, endpoint, _shutdown: tx }
    }

    fn logins(&self) -> usize {
        self.iam.logins.load(Ordering::SeqCst)
    }

    fn lookups(&self) -> usize {
        self.iam.project_lookups.load(Ordering::SeqCst)
    }

    fn set_delay(&self, delay: Duration) {
        *self.iam.delay.lock().unwrap() = delay;
    }

    fn set_login(&self, login: Login) {
        *self.iam.login.lock().unwrap() = login;
    }

    fn set_projects(&self, status: u16, body: Value) {
        *self.iam.projects.lock().unwrap() = (status, body);
    }

    fn provider(&self, scope: ProjectScope) -> TokenProvider {
        TokenProvider::password(self.endpoint.clone(), login(scope), http_client())
    }
}

fn login(scope: ProjectScope) -> PasswordLogin {
    PasswordLogin { domain: "my-domain".into(), user: "my-user".into(), password: SecretString::from(PASSWORD), scope }
}

fn region_scope() -> ProjectScope {
    ProjectScope::Name("eu-west-101".into())
}

fn rfc3339(at: SystemTime) -> String {
    OffsetDateTime::from(at).format(&Rfc3339).unwrap()
}

async fn login_handler(State(iam): State<Arc<Iam>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = iam.logins.fetch_add(1, Ordering::SeqCst) + 1;
    *iam.last_login.lock().unwrap() = Some((headers, body));
    let delay = *iam.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let reply = iam.login.lock().unwrap().clone();
    let token_body = |expiry: &Expiry| {
        let mut token = json!({ "methods": ["password"], "catalog": [], "issued_at": rfc3339(SystemTime::now()) });
        match expiry {
            Expiry::In(d) => token["expires_at"] = json!(rfc3339(SystemTime::now() + *d)),
            Expiry::Text(text) => token["expires_at"] = json!(text),
            Expiry::Missing => {}
        }
        json!({ "token": token }).to_string()
    };
    match reply {
        Login::Issue(expiry) => (
            StatusCode::CREATED,
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                ("x-subject-token".parse().unwrap(), format!("{TOKEN_PREFIX}{n}")),
            ],
            token_body(&expiry),
        )
            .into_response(),
        Login::NoSubjectToken => {
            (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], token_body(&Expiry::Missing))
                .into_response()
        }
        Login::Fail(status, content_type, body) => {
            (StatusCode::from_u16(status).unwrap(), [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
    }
}

async fn projects_handler(State(iam): State<Arc<Iam>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    iam.project_lookups.fetch_add(1, Ordering::SeqCst);
    *iam.last_lookup.lock().unwrap() = Some((query, headers));
    let delay = *iam.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let (status, body) = iam.projects.lock().unwrap().clone();
    (StatusCode::from_u16(status).unwrap(), [(header::CONTENT_TYPE, "application/json")], body.to_string())
        .into_response()
}

/// Fails if `text` contains the password or any token this suite hands out.
fn assert_no_secret(text: &str) {
    for secret in [PASSWORD, TOKEN_PREFIX, FIXED_TOKEN] {
        assert!(!text.contains(secret), "secret `{secret}` leaked into: {text}");
    }
}

/// `Display` and `Debug` of an error, and of its whole source chain.
fn error_text(e: &IamError) -> String {
    let mut out = format!("{e} | {e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!(" | {s} | {s:?}"));
        source = s.source();
    }
    out
}

#[tokio::test]
async fn login_sends_the_reference_body_and_reads_token_and_expiry() {
    let server = Server::start(Login::Issue(Expiry::Text("2099-02-13T06:52:13.855000Z"))).await;
    let token = server.provider(region_scope()).token().await.unwrap();

    assert_eq!(server.logins(), 1);
    assert_eq!(token.expose(), format!("{TOKEN_PREFIX}1"), "the token is the X-Subject-Token header");
    let expected = OffsetDateTime::parse("2099-02-13T06:52:13.855Z", &Rfc3339).unwrap();
    assert_eq!(token.expires_at(), Some(SystemTime::from(expected)), "the expiry is token.expires_at");

    let (headers, body) = server.iam.last_login.lock().unwrap().clone().unwrap();
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers.get("x-auth-token").is_none(), "logging in needs no token");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        json!({
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": { "name": "my-user", "password": PASSWORD, "domain": { "name": "my-domain" } }
                    }
                },
                "scope": { "project": { "name": "eu-west-101" } }
            }
        })
    );
}

#[tokio::test]
async fn login_scoped_by_project_id() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(86400)))).await;
    server.provider(ProjectScope::Id("0123456789abcdef0123456789abcdef".into())).token().await.unwrap();
    let (_, body) = server.iam.last_login.lock().unwrap().clone().unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["auth"]["scope"], json!({ "project": { "id": "0123456789abcdef0123456789abcdef" } }));
}

#[tokio::test]
async fn endpoint_path_prefix_is_kept() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(86400)))).await;
    let mut endpoint = server.endpoint.clone();
    endpoint.set_path("/");
    let provider = TokenProvider::password(endpoint, login(region_scope()), http_client());
    provider.token().await.unwrap();
    assert_eq!(server.logins(), 1, "`/` + `/v3/auth/tokens` must not become `//v3/auth/tokens`");
}

#[tokio::test]
async fn missing_or_unparsable_expiry_assumes_23_hours() {
    for expiry in [Expiry::Missing, Expiry::Text("next Tuesday")] {
        let server = Server::start(Login::Issue(expiry)).await;
        let before = SystemTime::now();
        let token = server.provider(region_scope()).token().await.unwrap();
        let after = SystemTime::now();
        let at = token.expires_at().expect("a password token always has an expiry");
        let hours_23 = Duration::from_secs(23 * 3600);
        assert!(at >= before + hours_23 && at <= after + hours_23, "{at:?} is not 23 h from now");
    }
}

#[tokio::test]
async fn cached_token_is_reused_without_a_request() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    let provider = server.provider(region_scope());
    let first = provider.token().await.unwrap();
    let second = provider.token().await.unwrap();
    let from_clone = provider.clone().token().await.unwrap();
    assert_eq!(server.logins(), 1, "cache hits make no request; clones share the cache");
    assert_eq!(first, second);
    assert_eq!(first, from_clone);
}

#[tokio::test]
async fn token_within_refresh_ahead_of_expiry_is_refreshed() {
    // Expires in 1 s, default margin 5 min: due at once, so every call logs in again.
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(1)))).await;
    let provider = server.provider(region_scope());
    let a = provider.token().await.unwrap();
    let b = provider.token().await.unwrap();
    let c = provider.token().await.unwrap();
    assert_eq!(server.logins(), 3);
    assert!(a != b && b != c, "each refresh is a new token");

    // Expires in 2 h: a 3 h margin refreshes every call, a 1 h margin does not.
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(2 * 3600)))).await;
    let eager = server.provider(region_scope()).refresh_ahead(Duration::from_secs(3 * 3600));
    eager.token().await.unwrap();
    eager.token().await.unwrap();
    assert_eq!(server.logins(), 2);
    let relaxed = server.provider(region_scope()).refresh_ahead(Duration::from_secs(3600));
    relaxed.token().await.unwrap();
    relaxed.token().await.unwrap();
    assert_eq!(server.logins(), 3);

    // Expires in 6 min, default margin 5 min: cached.
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(6 * 60)))).await;
    let provider = server.provider(region_scope());
    provider.token().await.unwrap();
    provider.token().await.unwrap();
    assert_eq!(server.logins(), 1);
    assert_eq!(DEFAULT_REFRESH_AHEAD, Duration::from_secs(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_callers_cause_one_login() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    server.set_delay(Duration::from_millis(100));
    let provider = server.provider(region_scope());

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.token().await })
        })
        .collect();
    let tokens: Vec<Token> =
        futures::future::try_join_all(tasks).await.unwrap().into_iter().map(Result::unwrap).collect();

    assert_eq!(server.logins(), 1, "no token cached: exactly one IAM call for 200 callers");
    assert!(tokens.iter().all(|t| *t == tokens[0]), "every caller gets the same token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_callers_with_an_expired_token_cause_one_login() {
    // Tokens expire in 6 min; a 10 min margin makes the cached one due, as if it had expired. The
    // refreshed token is due as well, so this also checks that callers who waited for a login take
    // its token instead of logging in again.
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(6 * 60)))).await;
    let provider = server.provider(region_scope()).refresh_ahead(Duration::from_secs(10 * 60));
    let stale = provider.token().await.unwrap();
    assert_eq!(server.logins(), 1);
    server.set_delay(Duration::from_millis(100));

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.token().await })
        })
        .collect();
    let tokens: Vec<Token> =
        futures::future::try_join_all(tasks).await.unwrap().into_iter().map(Result::unwrap).collect();

    assert_eq!(server.logins(), 2, "one refresh for 200 callers");
    assert!(tokens.iter().all(|t| *t == tokens[0] && *t != stale));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_callers_with_a_truly_expired_token_cause_one_login() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(1)))).await;
    let provider = server.provider(region_scope()).refresh_ahead(Duration::ZERO);
    let expired = provider.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(expired.expires_at().unwrap() <= SystemTime::now());
    server.set_login(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600))));
    server.set_delay(Duration::from_millis(100));

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.token().await })
        })
        .collect();
    let tokens: Vec<Token> =
        futures::future::try_join_all(tasks).await.unwrap().into_iter().map(Result::unwrap).collect();

    assert_eq!(server.logins(), 2, "one refresh for 200 callers");
    assert!(tokens.iter().all(|t| *t == tokens[0] && *t != expired));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_a_failed_login() {
    // A wrong password must cost one failed login, not 200 (which could lock the IAM user).
    let server = Server::start(Login::Fail(
        401,
        "application/json",
        r#"{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}"#,
    ))
    .await;
    server.set_delay(Duration::from_millis(100));
    let provider = server.provider(region_scope());

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.token().await })
        })
        .collect();
    for outcome in futures::future::try_join_all(tasks).await.unwrap() {
        assert!(matches!(outcome, Err(IamError::Status { status: 401, .. })), "{outcome:?}");
    }
    assert_eq!(server.logins(), 1);

    // A caller arriving after the failure tries again.
    server.set_login(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600))));
    server.set_delay(Duration::ZERO);
    assert_eq!(provider.token().await.unwrap().expose(), format!("{TOKEN_PREFIX}2"));
}

#[tokio::test]
async fn invalidating_the_cached_token_refreshes_once() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    let provider = server.provider(region_scope());
    let first = provider.token().await.unwrap();
    assert!(provider.is_refreshable());

    provider.invalidate(&first).await;
    let second = provider.token().await.unwrap();
    assert_eq!(server.logins(), 2, "a rejected token is replaced");
    assert_ne!(first, second);

    // The old token again (a late 401 from a request sent before the refresh): nothing to do.
    provider.invalidate(&first).await;
    assert_eq!(provider.token().await.unwrap(), second);
    assert_eq!(server.logins(), 2, "invalidating a token that is no longer cached costs nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_401s_cause_one_refresh() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    let provider = server.provider(region_scope());
    let rejected = provider.token().await.unwrap();
    server.set_delay(Duration::from_millis(100));

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let provider = provider.clone();
            let rejected = rejected.clone();
            tokio::spawn(async move {
                provider.invalidate(&rejected).await;
                provider.token().await
            })
        })
        .collect();
    let tokens: Vec<Token> =
        futures::future::try_join_all(tasks).await.unwrap().into_iter().map(Result::unwrap).collect();

    assert_eq!(server.logins(), 2, "the first login plus exactly one refresh");
    assert!(tokens.iter().all(|t| *t == tokens[0] && *t != rejected));
}

#[tokio::test]
async fn fixed_token_is_never_refreshed() {
    let provider = TokenProvider::fixed(SecretString::from(format!("{FIXED_TOKEN}\n")));
    let token = provider.token().await.unwrap();
    assert_eq!(token.expose(), FIXED_TOKEN, "surrounding whitespace is trimmed");
    assert_eq!(token.expires_at(), None);
    assert!(!provider.is_refreshable());
    provider.invalidate(&token).await;
    assert_eq!(provider.token().await.unwrap(), token);

    let value = token.header_value().unwrap();
    assert!(value.is_sensitive());
    let mut request = http_client().get("http://127.0.0.1/").build().unwrap();
    token.authorize(&mut request).unwrap();
    assert_eq!(request.headers()["x-auth-token"], FIXED_TOKEN);
    assert_no_secret(&format!("{:?}", request.headers()));

    let bad = Token::new("line\nbreak", None);
    assert!(matches!(bad.header_value(), Err(IamError::InvalidToken)));
}

#[tokio::test]
async fn iam_error_statuses_are_parsed() {
    let cases = [
        // IAM's own shape: {"error": {"code": 401, "message": ...}}.
        (
            401,
            "application/json",
            r#"{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}"#,
            Some("401"),
            Some("The username or password is wrong."),
        ),
        // The API gateway's shape.
        (
            429,
            "application/json",
            r#"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached","request_id":"r-1"}"#,
            Some("APIGW.0308"),
            Some("The throttling threshold has been reached"),
        ),
        // A proxy's HTML page: a snippet in place of a message.
        (
            502,
            "text/html",
            "<html><body>Bad Gateway</body></html>",
            None,
            Some("<html><body>Bad Gateway</body></html>"),
        ),
        (503, "text/plain", "", None, None),
    ];
    for (status, content_type, body, code, message) in cases {
        let server = Server::start(Login::Fail(status, content_type, body)).await;
        let err = server.provider(region_scope()).token().await.unwrap_err();
        match &err {
            IamError::Status { status: s, code: c, message: m } => {
                assert_eq!(*s, status);
                assert_eq!(c.as_deref(), code);
                assert_eq!(m.as_deref(), message);
            }
            other => panic!("expected IamError::Status, got {other:?}"),
        }
        let shown = err.to_string();
        assert!(shown.contains(&status.to_string()), "{shown}");
        if let Some(code) = code {
            assert!(shown.contains(code), "{shown}");
        }
        assert_no_secret(&error_text(&err));
    }
}

#[tokio::test]
async fn missing_subject_token_is_an_error() {
    let server = Server::start(Login::NoSubjectToken).await;
    let err = server.provider(region_scope()).token().await.unwrap_err();
    assert!(matches!(err, IamError::MissingSubjectToken), "{err:?}");
    assert!(err.to_string().contains("X-Subject-Token"));
}

#[tokio::test]
async fn unreachable_iam_is_an_http_error_without_secrets() {
    // Bind then drop a listener: its port refuses connections.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let provider = TokenProvider::password(endpoint, login(region_scope()), http_client());
    let err = provider.token().await.unwrap_err();
    assert!(matches!(err, IamError::Http(_)), "{err:?}");
    assert_no_secret(&error_text(&err));
}

#[tokio::test]
async fn nothing_formatted_contains_a_secret() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    let login = login(region_scope());
    let provider = TokenProvider::password(server.endpoint.clone(), login.clone(), http_client());
    let before = format!("{provider:?}");
    let token = provider.token().await.unwrap();
    assert!(token.expose().starts_with(TOKEN_PREFIX), "the test's secrets are the real ones");
    let fixed = TokenProvider::fixed(SecretString::from(FIXED_TOKEN));
    let fixed_token = fixed.token().await.unwrap();

    let shown = [
        format!("{login:?}"),
        format!("{login:#?}"),
        before,
        format!("{provider:?}"),
        format!("{provider:#?}"),
        format!("{token:?}"),
        format!("{token:#?}"),
        format!("{fixed:?}"),
        format!("{fixed_token:?}"),
    ];
    for text in &shown {
        assert_no_secret(text);
        assert!(text.contains("REDACTED"), "{text}");
    }
    assert!(shown[0].contains("my-user") && shown[0].contains("my-domain"), "non-secrets stay visible: {}", shown[0]);
}

fn token_auth(token: &Token) -> impl Fn(&mut reqwest::Request) -> Result<(), IamError> + Sync + '_ {
    move |request| token.authorize(request)
}

#[tokio::test]
async fn project_id_is_resolved_and_cached() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    server.set_projects(
        200,
        json!({ "projects": [{ "id": "05041fffa40025702f6dc009cc6f8f33", "name": "eu-west-101", "domain_id": "d" }], "links": {} }),
    );
    let http = http_client();
    let token = Token::new(FIXED_TOKEN, None);
    let cache = ProjectIdCache::new();

    let id = cache.resolve(&server.endpoint, "eu-west-101", &http, &token_auth(&token)).await.unwrap();
    assert_eq!(id, "05041fffa40025702f6dc009cc6f8f33");
    let (query, headers) = server.iam.last_lookup.lock().unwrap().clone().unwrap();
    assert_eq!(query.as_deref(), Some("name=eu-west-101"));
    assert_eq!(headers["x-auth-token"], FIXED_TOKEN, "the request is authorised by the callback");

    let again = cache.clone().resolve(&server.endpoint, "eu-west-101", &http, &token_auth(&token)).await.unwrap();
    assert_eq!(again, id);
    assert_eq!(server.lookups(), 1, "the second lookup is served from the cache (shared by clones)");
    assert_eq!(cache.cached(&server.endpoint, "eu-west-101"), Some(id.clone()));
    assert_eq!(cache.cached(&server.endpoint, "eu-west-102"), None);
    assert!(format!("{cache:?}").contains(&id));

    // Another region is another lookup.
    let _ = cache.resolve(&server.endpoint, "eu-west-102", &http, &token_auth(&token)).await;
    assert_eq!(server.lookups(), 2);
}

#[tokio::test]
async fn project_lookup_can_be_signed_with_aksk() {
    let server = Server::start(Login::Issue(Expiry::Missing)).await;
    server.set_projects(200, json!({ "projects": [{ "id": "p-1", "name": "eu-west-101" }] }));
    let signer = Signer::new(AkSk::new("MY-ACCESS-KEY", "my-SECRET-key"));
    let sign = |request: &mut reqwest::Request| Ok(signer.sign(request, SystemTime::now())?);
    let id = resolve_project_id(&server.endpoint, "eu-west-101", &http_client(), &sign).await.unwrap();
    assert_eq!(id, "p-1");
    let (_, headers) = server.iam.last_lookup.lock().unwrap().clone().unwrap();
    let authorization = headers["authorization"].to_str().unwrap();
    assert!(authorization.starts_with("SDK-HMAC-SHA256 Access=MY-ACCESS-KEY, "), "{authorization}");
    assert!(headers.contains_key("x-sdk-date"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_project_lookups_make_one_request() {
    let server = Server::start(Login::Issue(Expiry::In(Duration::from_secs(24 * 3600)))).await;
    server.set_projects(200, json!({ "projects": [{ "id": "p-1", "name": "eu-west-101" }] }));
    server.set_delay(Duration::from_millis(100));
    let http = http_client();
    let cache = ProjectIdCache::new();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (cache, http, endpoint) = (cache.clone(), http.clone(), server.endpoint.clone());
            tokio::spawn(async move { cache.resolve(&endpoint, "eu-west-101", &http, &|_| Ok(())).await })
        })
        .collect();
    for id in futures::future::try_join_all(tasks).await.unwrap() {
        assert_eq!(id.unwrap(), "p-1");
    }
    assert_eq!(server.lookups(), 1);
}

#[tokio::test]
async fn no_matching_project_is_an_error_naming_the_region() {
    let server = Server::start(Login::Issue(Expiry::Missing)).await;
    // An answer that ignored the name filter: projects of other names do not count.
    server.set_projects(200, json!({ "projects": [{ "id": "other", "name": "eu-west-101_sub" }] }));
    let http = http_client();
    let err = resolve_project_id(&server.endpoint, "eu-west-101", &http, &|_| Ok(())).await.unwrap_err();
    assert!(matches!(&err, IamError::NoProject { region } if region == "eu-west-101"), "{err:?}");
    assert!(err.to_string().contains("eu-west-101"), "{err}");

    // Failures are not cached.
    let cache = ProjectIdCache::new();
    assert!(cache.resolve(&server.endpoint, "eu-west-101", &http, &|_| Ok(())).await.is_err());
    server.set_projects(200, json!({ "projects": [{ "id": "p-1", "name": "eu-west-101" }] }));
    assert_eq!(cache.resolve(&server.endpoint, "eu-west-101", &http, &|_| Ok(())).await.unwrap(), "p-1");
}

#[tokio::test]
async fn several_matching_projects_is_an_error_naming_their_ids() {
    let server = Server::start(Login::Issue(Expiry::Missing)).await;
    server.set_projects(
        200,
        json!({ "projects": [{ "id": "id-one", "name": "eu-west-101" }, { "id": "id-two", "name": "eu-west-101" }] }),
    );
    let err = resolve_project_id(&server.endpoint, "eu-west-101", &http_client(), &|_| Ok(())).await.unwrap_err();
    match &err {
        IamError::AmbiguousProject { region, ids } => {
            assert_eq!(region, "eu-west-101");
            assert_eq!(ids, &["id-one", "id-two"]);
        }
        other => panic!("expected AmbiguousProject, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("eu-west-101") && shown.contains("id-one") && shown.contains("id-two"), "{shown}");
}

#[tokio::test]
async fn project_lookup_failures() {
    let server = Server::start(Login::Issue(Expiry::Missing)).await;
    let http = http_client();

    server.set_projects(403, json!({ "error": { "code": 403, "message": "You have no right to do this action." } }));
    let err = resolve_project_id(&server.endpoint, "eu-west-101", &http, &|_| Ok(())).await.unwrap_err();
    assert!(matches!(&err, IamError::Status { status: 403, code: Some(c), .. } if c == "403"), "{err:?}");

    server.set_projects(200, json!({ "project": [] }));
    let err = resolve_project_id(&server.endpoint, "eu-west-101", &http, &|_| Ok(())).await.unwrap_err();
    assert!(matches!(&err, IamError::InvalidBody(m) if m.contains("projects")), "{err:?}");

    // The callback's error is returned and nothing is sent.
    let before = server.lookups();
    let err =
        resolve_project_id(&server.endpoint, "eu-west-101", &http, &|_| Err(IamError::InvalidToken)).await.unwrap_err();
    assert!(matches!(err, IamError::InvalidToken));
    assert_eq!(server.lookups(), before);
}

/// A reqwest client; the SDK makes rustls use *ring*, which must be installed before any client is built.
fn http_client() -> reqwest::Client {
    codearts::install_crypto_provider();
    reqwest::Client::new()
}
