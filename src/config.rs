//! One [`Config`] shared by every service client: where to call, with which credentials, and how
//! patiently.
//!
//! ```no_run
//! # async fn demo() -> Result<(), codearts::Error> {
//! use codearts::{CallExt, Config};
//!
//! // Region, credentials and project from the environment or ~/.huaweicloud/credentials.
//! let config = Config::from_env()?;
//! let build = codearts::build::Client::from_config(&config)?;
//! let status = build.show_job_status().job_id("f9d6c8466d614a9788e9a0acf6c15f46").call().await?;
//! println!("running: {:?}", status.result);
//! # Ok(()) }
//! ```

use crate::credentials::{Chain, Credentials};
use crate::error::{Error, ErrorKind};
use crate::iam::{PasswordLogin, ProjectIdCache, ProjectScope, TokenProvider};
use crate::region::{Endpoints, Service};
use crate::retry::{RetryClassifier, RetryPolicy, Sleep, TokioSleep};
use crate::runtime::{Auth, ProjectHeader};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Timeouts of every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection (DNS, TCP, TLS). Default 10 s.
    pub connect: Duration,
    /// Longest silence while reading a response, downloads included. Default 60 s.
    pub read: Duration,
    /// Deadline of one attempt of a JSON call (not of downloads, which may legitimately run for
    /// long; they are bounded by `read` instead). Default 30 s.
    pub attempt: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), read: Duration::from_secs(60), attempt: Duration::from_secs(30) }
    }
}

/// The default of [`ConfigBuilder::max_response_body`]: 32 MiB.
///
/// The largest JSON answers the Build reference documents are pages of at most 100 items; its
/// biggest example, one `ListTemplates` template with its build steps, is about 8 KiB, so a full
/// page is under 1 MiB. 32 MiB leaves a margin of over 30 times for larger real-world items, while
/// a misbehaving server or proxy can no longer make the client buffer without bound. Downloads
/// (build logs, keystore files) are streamed and never capped.
pub const DEFAULT_MAX_RESPONSE_BODY: u64 = 32 * 1024 * 1024;

/// Configuration shared by the clients of every service.
#[derive(Clone)]
pub struct Config {
    region: Option<String>,
    endpoints: Vec<(Service, String)>,
    allow_insecure_http: bool,
    env_overrides: bool,
    credentials: Option<Credentials>,
    iam_project_id: Option<String>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent_suffix: Option<String>,
    http: Option<reqwest::Client>,
    sleep: Arc<dyn Sleep>,
    max_response_body: u64,
    classifier: Option<Arc<dyn RetryClassifier>>,
    /// Where `HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>` overrides are read: the chain's environment
    /// for `from_chain`, the process's otherwise.
    override_env: Option<OverrideEnv>,
    /// The HTTP client, credentials and IAM project every client of this configuration (and of its
    /// clones) shares: made on the first `Client::from_config`, so that Build, Check and Pipeline
    /// clients share one connection pool, one token cache (one IAM login) and one project-id cache.
    identity: Arc<Mutex<Option<Identity>>>,
}

/// What the clients of one [`Config`] share.
#[derive(Clone)]
pub(crate) struct Identity {
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) project: ProjectHeader,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("endpoints", &self.endpoints)
            .field("credentials", &self.credentials)
            .field("iam_project_id", &self.iam_project_id)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("max_response_body", &self.max_response_body)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Config`].
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    region: Option<String>,
    endpoints: Vec<(Service, String)>,
    allow_insecure_http: bool,
    env_overrides: bool,
    credentials: Option<Credentials>,
    iam_project_id: Option<String>,
    timeouts: Option<Timeouts>,
    retry: Option<RetryPolicy>,
    user_agent_suffix: Option<String>,
    http: Option<reqwest::Client>,
    sleep: Option<Arc<dyn Sleep>>,
    max_response_body: Option<u64>,
    classifier: Option<Arc<dyn RetryClassifier>>,
    override_env: Option<OverrideEnv>,
}

/// The environment endpoint overrides are read from (shown by name only: it may hold secrets).
#[derive(Clone)]
struct OverrideEnv(crate::credentials::EnvFn);

impl std::fmt::Debug for OverrideEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<the credential chain's environment>")
    }
}

impl Config {
    /// A builder with nothing set. Installs the *ring* TLS provider (see
    /// [`install_crypto_provider`]) so that reqwest clients built afterwards can do TLS.
    pub fn builder() -> ConfigBuilder {
        install_crypto_provider();
        ConfigBuilder::default()
    }

    /// Runs the credential chain (see [`crate::credentials`]): explicit values are none here, then
    /// the environment, then the profile file. The region comes from `HUAWEICLOUD_SDK_REGION` or
    /// the profile; endpoint overrides from `HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>`.
    pub fn from_env() -> Result<Config, Error> {
        Self::from_chain(&Chain::new())
    }

    /// Like [`Config::from_env`], with a credential chain of the caller's (explicit credentials, an
    /// injected environment, another profile file).
    pub fn from_chain(chain: &Chain) -> Result<Config, Error> {
        let resolved = chain.resolve().map_err(|e| Error::new(ErrorKind::Credentials, e.to_string()))?;
        let mut builder = Config::builder().credentials(resolved.credentials);
        if let Some(region) = resolved.region {
            builder = builder.region(region);
        }
        if let Some(id) = resolved.project_id {
            builder = builder.iam_project_id(id);
        }
        if let Some(iam) = resolved.iam_endpoint {
            builder = builder.endpoint(Service::Iam, iam);
        }
        builder.override_env = Some(OverrideEnv(chain.environment()));
        builder.env_endpoint_overrides(true).build()
    }

    /// The region, if one was set.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The endpoint `service`'s clients call: the explicit override, else the region's (with the
    /// vendor's `HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>` variables when enabled).
    pub fn endpoint_url(&self, service: Service) -> Result<String, Error> {
        let endpoints = self.endpoints()?;
        let base = endpoints.get(service).map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
        Ok(base.as_str().trim_end_matches('/').to_string())
    }

    /// Whether `service`'s endpoint was given explicitly ([`ConfigBuilder::endpoint`]) rather than
    /// derived from the region.
    pub fn endpoint_is_explicit(&self, service: Service) -> bool {
        self.endpoints.iter().any(|(s, _)| *s == service)
    }

    /// The IAM project ID sent as `X-Project-Id`, if one was set (otherwise it is looked up from
    /// the region on first use, with AK/SK).
    pub fn iam_project_id(&self) -> Option<&str> {
        self.iam_project_id.as_deref()
    }

    /// The kind of credentials (`AK/SK`, `IAM token`, `password`), or `None`; never their values.
    pub fn credentials_kind(&self) -> Option<&'static str> {
        self.credentials.as_ref().map(|c| c.kind())
    }

    /// The largest JSON response body a call reads (see [`ConfigBuilder::max_response_body`]).
    pub fn max_response_body(&self) -> u64 {
        self.max_response_body
    }

    /// The region's endpoints with the explicit overrides applied.
    fn endpoints(&self) -> Result<Endpoints, Error> {
        let invalid = |e: crate::region::RegionError| Error::new(ErrorKind::InvalidInput, e.to_string());
        let mut endpoints = match &self.region {
            // With overrides, a region missing from the tables works when its endpoint is given.
            Some(region) if self.env_overrides => match &self.override_env {
                Some(OverrideEnv(env)) => Endpoints::resolve(region, |k| env(k)).map_err(invalid)?,
                None => Endpoints::resolve(region, |k| std::env::var(k).ok()).map_err(invalid)?,
            },
            Some(region) => Endpoints::for_region(region).map_err(invalid)?,
            None => Endpoints::empty(),
        }
        .allow_insecure_http(self.allow_insecure_http);
        for (service, url) in &self.endpoints {
            endpoints = endpoints.with_override(*service, url).map_err(invalid)?;
        }
        Ok(endpoints)
    }

    /// Everything a service's runtime needs, derived for `service`.
    pub(crate) fn runtime_parts(&self, service: Service) -> Result<RuntimeParts, Error> {
        let endpoints = self.endpoints()?;
        let base = endpoints.get(service).map_err(|e| Error::new(ErrorKind::InvalidInput, e.to_string()))?;
        let identity = self.identity(&endpoints)?;
        Ok(RuntimeParts {
            base_url: base.as_str().trim_end_matches('/').to_string(),
            identity,
            retry: self.retry.clone(),
            classifier: self.classifier.clone(),
            attempt_timeout: self.timeouts.attempt,
            sleep: self.sleep.clone(),
            max_response_body: self.max_response_body,
        })
    }

    /// The shared identity, made on first use (and kept only once it could be made).
    fn identity(&self, endpoints: &Endpoints) -> Result<Identity, Error> {
        let mut shared = self.identity.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(identity) = shared.as_ref() {
            return Ok(identity.clone());
        }
        let http = match &self.http {
            Some(http) => http.clone(),
            None => build_http(&self.timeouts, self.user_agent_suffix.as_deref())?,
        };
        let iam = endpoints.try_get(Service::Iam).cloned();
        let auth = match &self.credentials {
            None => Auth::None,
            Some(Credentials::AkSk(aksk)) => Auth::AkSk(crate::auth::Signer::new(aksk.clone())),
            Some(Credentials::Token(token)) => Auth::Token(TokenProvider::fixed(token.clone())),
            Some(Credentials::Password { domain, user, password }) => {
                let iam = iam.clone().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Credentials,
                        "password login needs the IAM endpoint: set a region or Service::Iam",
                    )
                })?;
                let scope = match (&self.iam_project_id, &self.region) {
                    (Some(id), _) => ProjectScope::Id(id.clone()),
                    (None, Some(region)) => ProjectScope::Name(region.clone()),
                    (None, None) => {
                        return Err(Error::new(
                            ErrorKind::Credentials,
                            "password login needs a region or an IAM project id",
                        ));
                    }
                };
                let login =
                    PasswordLogin { domain: domain.clone(), user: user.clone(), password: password.clone(), scope };
                Auth::Token(TokenProvider::password(iam, login, http.clone()))
            }
        };
        let project = match (&self.iam_project_id, &auth, &self.region, iam) {
            (Some(id), _, _, _) => ProjectHeader::Fixed(id.clone()),
            // AK/SK calls name their IAM project; a token already carries it.
            (None, Auth::AkSk(_), Some(region), Some(iam)) => {
                ProjectHeader::Resolve { cache: ProjectIdCache::new(), iam, region: region.clone() }
            }
            _ => ProjectHeader::None,
        };
        let identity = Identity { http, auth, project };
        *shared = Some(identity.clone());
        Ok(identity)
    }
}

pub(crate) struct RuntimeParts {
    pub(crate) base_url: String,
    pub(crate) identity: Identity,
    pub(crate) retry: RetryPolicy,
    pub(crate) classifier: Option<Arc<dyn RetryClassifier>>,
    pub(crate) attempt_timeout: Duration,
    pub(crate) sleep: Arc<dyn Sleep>,
    pub(crate) max_response_body: u64,
}

/// The reqwest client the SDK builds when the caller supplies none: rustls with the *ring*
/// provider (builds fast, no C toolchain), connect and read timeouts, and the SDK's user agent.
/// There is deliberately no total timeout: it would cut off long log downloads.
fn build_http(timeouts: &Timeouts, suffix: Option<&str>) -> Result<reqwest::Client, Error> {
    install_crypto_provider();
    let mut agent = format!("codearts-rust/{}", env!("CARGO_PKG_VERSION"));
    if let Some(s) = suffix {
        agent.push(' ');
        agent.push_str(s);
    }
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .user_agent(agent)
        .build()
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("building the HTTP client: {e}")))
}

/// Makes *ring* the process's rustls provider unless the application chose one already, so that
/// any reqwest client (the SDK's or the caller's) can do TLS. The SDK builds reqwest without a
/// default provider (aws-lc doubles a clean build): an application that builds its own
/// `reqwest::Client` before touching [`Config`] calls this first, or reqwest panics.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ConfigBuilder {
    /// The region (`eu-west-101`, `cn-north-4`, …): selects every service's endpoint.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// An explicit endpoint for one service, instead of (or without) the region's.
    pub fn endpoint(mut self, service: Service, url: impl Into<String>) -> Self {
        self.endpoints.push((service, url.into()));
        self
    }

    /// Reads `HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION>` endpoint overrides (the vendor SDKs'
    /// convention) from the environment.
    pub fn env_endpoint_overrides(mut self, yes: bool) -> Self {
        self.env_overrides = yes;
        self
    }

    /// Allows plain-http endpoints that are not loopback (loopback is always allowed).
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// Credentials to use; without any, requests carry no authentication.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The IAM project id (`X-Project-Id`). Not the CodeArts project id, which operations take
    /// as an argument. Resolved from the region through IAM when absent and AK/SK is used.
    pub fn iam_project_id(mut self, id: impl Into<String>) -> Self {
        self.iam_project_id = Some(id.into());
        self
    }

    /// Timeouts (see [`Timeouts`] for the defaults).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = Some(timeouts);
        self
    }

    /// Retry policy of every call (see [`crate::retry`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Appended to the `User-Agent` of the SDK's HTTP client.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Use this reqwest client (its own timeouts, proxy and TLS settings) instead of the SDK's.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Decides which failed attempts are resent, before the SDK's own rules (see
    /// [`crate::retry::RetryClassifier`]; it may answer [`crate::retry::RetryAction::Default`] to
    /// leave an attempt to them).
    pub fn retry_classifier(mut self, classifier: Arc<dyn RetryClassifier>) -> Self {
        self.classifier = Some(classifier);
        self
    }

    /// How to wait between attempts (default: tokio's timer).
    pub fn sleep(mut self, sleep: Arc<dyn Sleep>) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// The largest response body a JSON call reads, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_BODY`], 32 MiB). A larger answer — by its `Content-Length`, or counted
    /// as it arrives when it has none — fails the call with [`ErrorKind::Decode`] naming the
    /// operation and the limit, is not retried (the same request would get the same answer), and
    /// its connection is dropped without reading the rest. Error bodies are read only up to their
    /// first 64 KiB (or this limit, if smaller), enough for any error message. Downloads are not
    /// capped. Must be at least 1.
    pub fn max_response_body(mut self, bytes: u64) -> Self {
        self.max_response_body = Some(bytes);
        self
    }

    /// Checks the endpoints and builds the configuration.
    pub fn build(self) -> Result<Config, Error> {
        if self.max_response_body == Some(0) {
            return Err(Error::new(ErrorKind::InvalidInput, "max_response_body must be at least 1 byte"));
        }
        let config = Config {
            region: self.region,
            endpoints: self.endpoints,
            allow_insecure_http: self.allow_insecure_http,
            env_overrides: self.env_overrides,
            credentials: self.credentials,
            iam_project_id: self.iam_project_id,
            timeouts: self.timeouts.unwrap_or_default(),
            retry: self.retry.unwrap_or_default(),
            user_agent_suffix: self.user_agent_suffix,
            http: self.http,
            sleep: self.sleep.unwrap_or_else(|| Arc::new(TokioSleep)),
            max_response_body: self.max_response_body.unwrap_or(DEFAULT_MAX_RESPONSE_BODY),
            classifier: self.classifier,
            override_env: self.override_env,
            identity: Arc::new(Mutex::new(None)),
        };
        // Validate region and endpoints now, so a typo fails at start-up, not on the first call.
        config.endpoints()?;
        Ok(config)
    }
}
