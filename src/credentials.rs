//! The credential chain: where the SDK finds who you are.
//!
//! [`Chain::resolve`] looks in three sources, in this order, and stops at the first that has
//! credentials:
//!
//! 1. **explicit** — [`Credentials`] given to [`Chain::explicit`] in code;
//! 2. **environment** — the variables below;
//! 3. **profile file** — an INI file, by default `~/.huaweicloud/credentials` (see below).
//!
//! A source that is *half* configured — an AK without its SK, a user name without a password — is an
//! error ([`CredentialsError::Incomplete`]), reported as such rather than skipped: falling through to
//! the next source would quietly run as somebody else. When no source has anything,
//! [`CredentialsError::NotFound`] names every source tried and why it had nothing.
//!
//! Everything in one [`Resolved`] comes from the one source that supplied the credentials: explicit
//! credentials come with no project, domain, region or IAM endpoint (the `Config` builder sets
//! those), and the environment's `HUAWEICLOUD_SDK_PROJECT_ID` is not mixed into credentials read
//! from the profile file.
//!
//! # Kinds of credentials
//!
//! Within one source the first complete kind wins, in this order:
//!
//! 1. **AK/SK** ([`Credentials::AkSk`]): requests are signed (`SDK-HMAC-SHA256`, see
//!    [`crate::auth::Signer`]); with a security token they are temporary credentials;
//! 2. **static IAM token** ([`Credentials::Token`]), sent as `X-Auth-Token`;
//! 3. **password login** ([`Credentials::Password`]) against IAM `POST /v3/auth/tokens`.
//!
//! The first kind with *any* of its variables set decides: if it is incomplete, the source is in
//! error even when a later kind is complete.
//!
//! # Environment variables
//!
//! The vendor SDKs' names:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `HUAWEICLOUD_SDK_AK` | access key |
//! | `HUAWEICLOUD_SDK_SK` | secret key |
//! | `HUAWEICLOUD_SDK_SECURITY_TOKEN` | security token of temporary AK/SK credentials (needs AK and SK) |
//! | `HUAWEICLOUD_SDK_PROJECT_ID` | IAM project id, sent as `X-Project-Id` (not the CodeArts project id) |
//! | `HUAWEICLOUD_SDK_DOMAIN_ID` | account (domain) id |
//! | `HUAWEICLOUD_SDK_REGION_ID` | region, e.g. `cn-north-4` (the vendor's name) |
//! | `HUAWEICLOUD_SDK_IAM_ENDPOINT` | IAM endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com` |
//! | `HUAWEICLOUD_SDK_CREDENTIALS_FILE` | path of the profile file |
//!
//! and this crate's own, for what the vendor SDKs do not offer:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `HUAWEICLOUD_SDK_REGION` | region (same as `HUAWEICLOUD_SDK_REGION_ID`; if both are set they must agree) |
//! | `HUAWEICLOUD_SDK_AUTH_TOKEN` | a static IAM token |
//! | `HUAWEICLOUD_SDK_USERNAME` | IAM user name, for password login |
//! | `HUAWEICLOUD_SDK_PASSWORD` | IAM user password, for password login |
//! | `HUAWEICLOUD_SDK_DOMAIN_NAME` | account (domain) name the user belongs to, for password login |
//!
//! An empty (or all-blank) variable counts as unset. Values that are not secret (AK, ids, region,
//! endpoint, user and domain names) are trimmed of surrounding whitespace; secrets (SK, tokens,
//! password) are taken byte for byte.
//!
//! Per-service endpoint overrides (`HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_<REGION>` …) are read by
//! [`crate::region::Endpoints::from_env_overrides`], not here.
//!
//! # Profile file
//!
//! The path is, in this order: [`Chain::profile_path`]; `HUAWEICLOUD_SDK_CREDENTIALS_FILE`;
//! `$HOME/.huaweicloud/credentials` (`%USERPROFILE%` when `HOME` is unset). An INI file whose
//! `[basic]` section (or the one [`Chain::profile_section`] names) holds the vendor's keys `ak`,
//! `sk`, `security_token`, `project_id`, `iam_endpoint`, `domain_id`, and this crate's `region` (or
//! `region_id`), `auth_token`, `username`, `password`, `domain_name` (same meanings as the variables
//! above):
//!
//! ```ini
//! # Huawei Cloud credentials
//! [basic]
//! ak = MY-ACCESS-KEY
//! sk = my-secret-key
//! project_id = 0123456789abcdef0123456789abcdef
//! iam_endpoint = https://iam.eu-west-101.myhuaweicloud.eu
//!
//! [global]
//! ; other sections are ignored
//! ```
//!
//! The syntax is the common INI subset the vendor SDKs read:
//!
//! - `[section]` headers; section names and keys are case-insensitive; other sections, unknown keys
//!   and lines before the first section are ignored;
//! - `key = value` or `key: value`, whitespace around key and value ignored;
//! - lines whose first non-blank character is `#` or `;` are comments. There are **no inline
//!   comments**: everything after the `=` is the value, so a password may contain `#` or `;`;
//! - a value wrapped in matching `"…"` or `'…'` is unquoted (no escapes are interpreted), which keeps
//!   leading or trailing spaces of a secret;
//! - in `[basic]`, a line that is not a key/value pair, or a key given twice, is an error naming the
//!   line number (never the line, which could hold a secret).
//!
//! # Secrets
//!
//! Secret keys, tokens and passwords are [`SecretString`]s: `Debug` of [`Credentials`] and
//! [`Resolved`] shows `[REDACTED]` in their place, and no [`CredentialsError`] message contains a
//! value read from any source.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use codearts::credentials::{Chain, Credentials, Source};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Tests inject the environment instead of touching the process's.
//! let env: HashMap<&str, &str> = HashMap::from([
//!     ("HUAWEICLOUD_SDK_AK", "MY-ACCESS-KEY"),
//!     ("HUAWEICLOUD_SDK_SK", "my-secret-key"),
//!     ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
//! ]);
//! let resolved = Chain::new()
//!     .env(move |name| env.get(name).map(|value| value.to_string()))
//!     .resolve()?;
//! assert_eq!(resolved.source, Source::Environment);
//! assert_eq!(resolved.region.as_deref(), Some("cn-north-4"));
//! assert!(matches!(&resolved.credentials, Credentials::AkSk(aksk) if aksk.ak() == "MY-ACCESS-KEY"));
//! assert!(!format!("{resolved:?}").contains("my-secret-key"));
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::auth::AkSk;

/// `HUAWEICLOUD_SDK_AK`: access key.
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// `HUAWEICLOUD_SDK_SK`: secret key.
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN`: security token of temporary AK/SK credentials.
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// `HUAWEICLOUD_SDK_PROJECT_ID`: IAM project id (header `X-Project-Id`).
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// `HUAWEICLOUD_SDK_DOMAIN_ID`: account (domain) id.
pub const ENV_DOMAIN_ID: &str = "HUAWEICLOUD_SDK_DOMAIN_ID";
/// `HUAWEICLOUD_SDK_REGION`: region (this crate's name).
pub const ENV_REGION: &str = "HUAWEICLOUD_SDK_REGION";
/// `HUAWEICLOUD_SDK_REGION_ID`: region (the vendor SDKs' name).
pub const ENV_REGION_ID: &str = "HUAWEICLOUD_SDK_REGION_ID";
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`: IAM endpoint.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// `HUAWEICLOUD_SDK_AUTH_TOKEN`: a static IAM token.
pub const ENV_AUTH_TOKEN: &str = "HUAWEICLOUD_SDK_AUTH_TOKEN";
/// `HUAWEICLOUD_SDK_USERNAME`: IAM user name for password login.
pub const ENV_USERNAME: &str = "HUAWEICLOUD_SDK_USERNAME";
/// `HUAWEICLOUD_SDK_PASSWORD`: IAM user password for password login.
pub const ENV_PASSWORD: &str = "HUAWEICLOUD_SDK_PASSWORD";
/// `HUAWEICLOUD_SDK_DOMAIN_NAME`: account (domain) name for password login.
pub const ENV_DOMAIN_NAME: &str = "HUAWEICLOUD_SDK_DOMAIN_NAME";
/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`: path of the profile file.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// The profile file's section that holds the credentials (unless [`Chain::profile_section`] names
/// another).
const PROFILE_SECTION: &str = "basic";
/// The keys of the profile file's `[basic]` section that this crate reads.
const KNOWN_PROFILE_KEYS: &[&str] = &[
    "ak",
    "sk",
    "security_token",
    "project_id",
    "domain_id",
    "region",
    "region_id",
    "iam_endpoint",
    "auth_token",
    "username",
    "password",
    "domain_name",
];

/// Who the SDK authenticates as.
///
/// `Debug` never shows a secret key, token or password:
///
/// ```
/// use codearts::credentials::Credentials;
///
/// let password = Credentials::password("my-account", "ci-bot", "hunter2-secret");
/// let shown = format!("{password:?}");
/// assert!(shown.contains("ci-bot") && !shown.contains("hunter2-secret"));
/// ```
#[derive(Clone)]
pub enum Credentials {
    /// Access key, secret key and, for temporary credentials, a security token: requests are
    /// signed with [`crate::auth::Signer`].
    AkSk(AkSk),
    /// A static IAM token, sent as `X-Auth-Token`. It is not refreshed: when it expires, calls fail
    /// with 401.
    Token(SecretString),
    /// IAM password login (`POST /v3/auth/tokens`): the token obtained is cached and refreshed.
    Password {
        /// The account (domain) name the user belongs to.
        domain: String,
        /// The IAM user name.
        user: String,
        /// The user's password.
        password: SecretString,
    },
}

impl Credentials {
    /// AK/SK credentials (add a security token with [`AkSk::with_security_token`] and
    /// [`Credentials::AkSk`] for temporary credentials).
    pub fn aksk(ak: impl Into<String>, sk: impl Into<SecretString>) -> Self {
        Credentials::AkSk(AkSk::new(ak, sk))
    }

    /// A static IAM token.
    pub fn token(token: impl Into<SecretString>) -> Self {
        Credentials::Token(token.into())
    }

    /// Password login of IAM user `user` of account (domain) `domain`.
    pub fn password(domain: impl Into<String>, user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Credentials::Password { domain: domain.into(), user: user.into(), password: password.into() }
    }

    /// A short name of the kind: `"AK/SK"`, `"token"` or `"password"` (for logs and messages).
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::AkSk(_) => "AK/SK",
            Credentials::Token(_) => "token",
            Credentials::Password { .. } => "password",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AkSk(aksk) => f.debug_tuple("AkSk").field(aksk).finish(),
            Credentials::Token(_) => f.debug_tuple("Token").field(&"[REDACTED]").finish(),
            Credentials::Password { domain, user, password: _ } => f
                .debug_struct("Password")
                .field("domain", domain)
                .field("user", user)
                .field("password", &"[REDACTED]")
                .finish(),
        }
    }
}

/// Where [`Resolved`] credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Given in code, to [`Chain::explicit`].
    Explicit,
    /// The `HUAWEICLOUD_SDK_*` environment variables.
    Environment,
    /// The profile file at this path.
    Profile(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Explicit => f.write_str("explicit"),
            Source::Environment => f.write_str("environment"),
            Source::Profile(path) => write!(f, "profile {}", path.display()),
        }
    }
}

/// The outcome of [`Chain::resolve`]: credentials, and the settings found beside them in the same
/// source. `Debug` redacts secrets (through [`Credentials`]'s `Debug`).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The credentials.
    pub credentials: Credentials,
    /// The IAM project id, sent as `X-Project-Id`. This is **not** the CodeArts project id (the
    /// 32 hex characters in CodeArts paths), which is always an explicit argument.
    pub project_id: Option<String>,
    /// The account (domain) id.
    pub domain_id: Option<String>,
    /// The region, e.g. `cn-north-4`.
    pub region: Option<String>,
    /// The IAM endpoint, e.g. `https://iam.cn-north-4.myhuaweicloud.com`.
    pub iam_endpoint: Option<String>,
    /// Which source all of the above came from.
    pub source: Source,
}

/// Why [`Chain::resolve`] found no usable credentials. No message contains a value read from any
/// source; they name variables, keys, files and line numbers only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No source had any credentials.
    #[error("no Huawei Cloud credentials found; tried {}", format_tried(.tried))]
    NotFound {
        /// Each source tried, in order (`"explicit"`, `"environment"`, `"profile <path>"`), and
        /// why it had nothing.
        tried: Vec<(String, String)>,
    },
    /// A source is half configured (an AK without its SK, a user name without a password, …) or
    /// contradicts itself.
    #[error("incomplete credentials in {origin}: {reason}")]
    Incomplete {
        /// The source (`"environment"`, `"profile <path>"`).
        origin: String,
        /// What is missing or contradictory.
        reason: String,
    },
    /// The profile file exists but cannot be read or parsed.
    #[error("cannot use profile {}: {reason}", .path.display())]
    Profile {
        /// The profile file's path.
        path: PathBuf,
        /// Why (an I/O error, or the line number of a syntax error).
        reason: String,
    },
}

fn format_tried(tried: &[(String, String)]) -> String {
    tried.iter().map(|(source, why)| format!("{source}: {why}")).collect::<Vec<_>>().join("; ")
}

pub(crate) type EnvFn = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The credential chain: explicit > environment > profile file. See the [module docs](self).
///
/// The environment is read through a function, the process's by default, so tests and programs
/// that keep settings elsewhere can supply their own. It is used for both the credential variables
/// and for locating the profile file (`HUAWEICLOUD_SDK_CREDENTIALS_FILE`, `HOME`).
pub struct Chain {
    explicit: Option<Credentials>,
    env: EnvFn,
    profile_path: Option<PathBuf>,
    /// The profile file's section to read; `[basic]` when `None`.
    profile_section: Option<String>,
}

impl Default for Chain {
    fn default() -> Self {
        Chain::new()
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("explicit", &self.explicit)
            .field("profile_path", &self.profile_path)
            .field("profile_section", &self.profile_section)
            .finish_non_exhaustive()
    }
}

impl Chain {
    /// A chain over the process environment (`std::env::var`) and the default profile path.
    pub fn new() -> Self {
        Chain {
            explicit: None,
            env: std::sync::Arc::new(|name| std::env::var(name).ok()),
            profile_path: None,
            profile_section: None,
        }
    }

    /// Credentials given in code: when set, they are used and nothing else is read.
    pub fn explicit(mut self, credentials: Credentials) -> Self {
        self.explicit = Some(credentials);
        self
    }

    /// Reads environment variables through `env` instead of `std::env::var`.
    pub fn env(mut self, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = std::sync::Arc::new(env);
        self
    }

    /// The environment this chain reads (for the endpoint overrides of `Config::from_chain`).
    pub(crate) fn environment(&self) -> EnvFn {
        self.env.clone()
    }

    /// Reads the profile file at `path`, instead of `HUAWEICLOUD_SDK_CREDENTIALS_FILE` or
    /// `~/.huaweicloud/credentials`.
    pub fn profile_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile_path = Some(path.into());
        self
    }

    /// Reads section `[name]` of the profile file (same keys and rules as `[basic]`) instead of
    /// `[basic]`: several accounts or regions in one file, chosen per run (the CLI's `--profile`).
    ///
    /// ```
    /// use codearts::credentials::{Chain, Source};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::env::temp_dir().join(format!("codearts-profile-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("credentials");
    /// std::fs::write(&path, "[basic]\nak = A\nsk = a\n\n[staging]\nak = B\nsk = b\nregion = cn-north-4\n")?;
    /// let no_env = |_: &str| None;
    /// let staging = Chain::new().env(no_env).profile_path(&path).profile_section("staging").resolve()?;
    /// assert_eq!(staging.region.as_deref(), Some("cn-north-4"));
    /// assert_eq!(staging.source, Source::Profile(path.clone()));
    /// let missing = Chain::new().env(no_env).profile_path(&path).profile_section("prod").resolve();
    /// assert!(missing.unwrap_err().to_string().contains("no [prod] section"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn profile_section(mut self, name: impl Into<String>) -> Self {
        self.profile_section = Some(name.into());
        self
    }

    /// Finds the credentials: explicit, then environment, then profile file.
    pub fn resolve(&self) -> Result<Resolved, CredentialsError> {
        let mut tried = Vec::new();

        match &self.explicit {
            Some(credentials) => {
                return Ok(Resolved {
                    credentials: credentials.clone(),
                    project_id: None,
                    domain_id: None,
                    region: None,
                    iam_endpoint: None,
                    source: Source::Explicit,
                });
            }
            None => tried.push(("explicit".to_string(), "no credentials given in code".to_string())),
        }

        let env = Settings::from_env(&*self.env);
        match env.into_resolved(Source::Environment, ENV_NAMES)? {
            Ok(resolved) => return Ok(resolved),
            Err(why) => tried.push((Source::Environment.to_string(), why)),
        }

        match self.profile_location() {
            Err(why) => tried.push(("profile".to_string(), why)),
            Ok(path) => {
                let source = Source::Profile(path.clone());
                let section = self.profile_section.as_deref().unwrap_or(PROFILE_SECTION);
                match read_profile(&path, section)? {
                    Err(why) => tried.push((source.to_string(), why)),
                    Ok(settings) => match settings.into_resolved(source.clone(), PROFILE_NAMES)? {
                        Ok(resolved) => return Ok(resolved),
                        Err(why) => tried.push((source.to_string(), why)),
                    },
                }
            }
        }

        Err(CredentialsError::NotFound { tried })
    }

    /// The profile file's path, or why there is none.
    fn profile_location(&self) -> Result<PathBuf, String> {
        if let Some(path) = &self.profile_path {
            return Ok(path.clone());
        }
        if let Some(path) = non_blank((self.env)(ENV_CREDENTIALS_FILE)) {
            return Ok(PathBuf::from(path));
        }
        let home = non_blank((self.env)("HOME")).or_else(|| non_blank((self.env)("USERPROFILE")));
        match home {
            Some(home) => Ok(Path::new(&home).join(".huaweicloud").join("credentials")),
            None => Err(format!("{ENV_CREDENTIALS_FILE} is not set and there is no home directory (HOME is not set)")),
        }
    }
}

/// `Some` only for a value with a non-blank character.
fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// How one source names each setting (variable names or INI keys), for messages.
struct Names {
    ak: &'static str,
    sk: &'static str,
    security_token: &'static str,
    auth_token: &'static str,
    username: &'static str,
    password: &'static str,
    domain_name: &'static str,
    region: &'static str,
    region_alias: &'static str,
}

const ENV_NAMES: &Names = &Names {
    ak: ENV_AK,
    sk: ENV_SK,
    security_token: ENV_SECURITY_TOKEN,
    auth_token: ENV_AUTH_TOKEN,
    username: ENV_USERNAME,
    password: ENV_PASSWORD,
    domain_name: ENV_DOMAIN_NAME,
    region: ENV_REGION,
    region_alias: ENV_REGION_ID,
};

const PROFILE_NAMES: &Names = &Names {
    ak: "ak",
    sk: "sk",
    security_token: "security_token",
    auth_token: "auth_token",
    username: "username",
    password: "password",
    domain_name: "domain_name",
    region: "region",
    region_alias: "region_id",
};

/// The settings one source has, before they are checked. Blank values are already `None`;
/// non-secret values are trimmed.
#[derive(Default)]
struct Settings {
    ak: Option<String>,
    sk: Option<SecretString>,
    security_token: Option<SecretString>,
    auth_token: Option<SecretString>,
    username: Option<String>,
    password: Option<SecretString>,
    domain_name: Option<String>,
    project_id: Option<String>,
    domain_id: Option<String>,
    region: Option<String>,
    region_alias: Option<String>,
    iam_endpoint: Option<String>,
}

impl Settings {
    fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let plain = |name: &str| non_blank(env(name)).map(|v| v.trim().to_string());
        let secret = |name: &str| non_blank(env(name)).map(SecretString::from);
        Settings {
            ak: plain(ENV_AK),
            sk: secret(ENV_SK),
            security_token: secret(ENV_SECURITY_TOKEN),
            auth_token: secret(ENV_AUTH_TOKEN),
            username: plain(ENV_USERNAME),
            password: secret(ENV_PASSWORD),
            domain_name: plain(ENV_DOMAIN_NAME),
            project_id: plain(ENV_PROJECT_ID),
            domain_id: plain(ENV_DOMAIN_ID),
            region: plain(ENV_REGION),
            region_alias: plain(ENV_REGION_ID),
            iam_endpoint: plain(ENV_IAM_ENDPOINT),
        }
    }

    fn from_profile(mut keys: HashMap<String, String>) -> Self {
        let mut plain = |key: &str| non_blank(keys.remove(key)).map(|v| v.trim().to_string());
        let ak = plain("ak");
        let username = plain("username");
        let domain_name = plain("domain_name");
        let project_id = plain("project_id");
        let domain_id = plain("domain_id");
        let region = plain("region");
        let region_alias = plain("region_id");
        let iam_endpoint = plain("iam_endpoint");
        let mut secret = |key: &str| non_blank(keys.remove(key)).map(SecretString::from);
        Settings {
            ak,
            sk: secret("sk"),
            security_token: secret("security_token"),
            auth_token: secret("auth_token"),
            username,
            password: secret("password"),
            domain_name,
            project_id,
            domain_id,
            region,
            region_alias,
            iam_endpoint,
        }
    }

    /// `Ok(Ok(_))`: credentials; `Ok(Err(why))`: this source has none; `Err(_)`: it is half
    /// configured.
    fn into_resolved(self, source: Source, names: &Names) -> Result<Result<Resolved, String>, CredentialsError> {
        let incomplete = |reason: String| CredentialsError::Incomplete { origin: source.to_string(), reason };

        let credentials = if self.ak.is_some() || self.sk.is_some() || self.security_token.is_some() {
            match (self.ak, self.sk) {
                (Some(ak), Some(sk)) => {
                    let aksk = AkSk::new(ak, sk);
                    Credentials::AkSk(match self.security_token {
                        Some(token) => aksk.with_security_token(token),
                        None => aksk,
                    })
                }
                (Some(_), None) => return Err(incomplete(format!("{} is set but {} is not", names.ak, names.sk))),
                (None, Some(_)) => return Err(incomplete(format!("{} is set but {} is not", names.sk, names.ak))),
                (None, None) => {
                    return Err(incomplete(format!(
                        "{} is set but {} and {} are not",
                        names.security_token, names.ak, names.sk
                    )));
                }
            }
        } else if let Some(token) = self.auth_token {
            Credentials::Token(token)
        } else if self.username.is_some() || self.password.is_some() || self.domain_name.is_some() {
            let missing: Vec<&str> = [
                (self.username.is_none(), names.username),
                (self.password.is_none(), names.password),
                (self.domain_name.is_none(), names.domain_name),
            ]
            .into_iter()
            .filter_map(|(missing, name)| missing.then_some(name))
            .collect();
            match (self.username, self.password, self.domain_name) {
                (Some(user), Some(password), Some(domain)) => Credentials::Password { domain, user, password },
                _ => {
                    return Err(incomplete(format!(
                        "password login needs {}, {} and {}; {} not set",
                        names.username,
                        names.password,
                        names.domain_name,
                        missing.join(" and "),
                    )));
                }
            }
        } else {
            return Ok(Err(format!(
                "none of {}/{}, {}, {}/{}/{} is set",
                names.ak, names.sk, names.auth_token, names.username, names.password, names.domain_name
            )));
        };

        let region = match (self.region, self.region_alias) {
            (Some(a), Some(b)) if a != b => {
                return Err(incomplete(format!(
                    "{} and {} are both set, to different regions",
                    names.region, names.region_alias
                )));
            }
            (a, b) => a.or(b),
        };

        Ok(Ok(Resolved {
            credentials,
            project_id: self.project_id,
            domain_id: self.domain_id,
            region,
            iam_endpoint: self.iam_endpoint,
            source,
        }))
    }
}

/// Reads `section` of the profile file: `Ok(Err(why))` when it has no such section (or does not
/// exist).
fn read_profile(path: &Path, section: &str) -> Result<Result<Settings, String>, CredentialsError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Err("file not found".to_string())),
        Err(e) => return Err(CredentialsError::Profile { path: path.to_path_buf(), reason: e.to_string() }),
    };
    let text = String::from_utf8(text).map_err(|_| CredentialsError::Profile {
        path: path.to_path_buf(),
        reason: "the file is not UTF-8 text".to_string(),
    })?;
    match parse_section(&text, section) {
        Ok(Some(keys)) => Ok(Ok(Settings::from_profile(keys))),
        Ok(None) => Ok(Err(format!("no [{section}] section"))),
        Err(reason) => Err(CredentialsError::Profile { path: path.to_path_buf(), reason }),
    }
}

/// Parses the INI `text` and returns the keys (lowercased) and values of section `wanted`
/// (case-insensitive), `None` when there is no such section. See the [module docs](self) for the
/// syntax. Errors name a line number, never the line.
///
/// ```
/// use codearts::credentials::parse_section;
///
/// let text = "; comment\n[other]\nak = not-this-one\n\n[Basic]\n  AK = \"  spaced  \"\nsk=a#b;c\n";
/// let basic = parse_section(text, "basic").unwrap().unwrap();
/// assert_eq!(basic["ak"], "  spaced  ");
/// assert_eq!(basic["sk"], "a#b;c");
/// assert_eq!(parse_section(text, "missing").unwrap(), None);
/// ```
pub fn parse_section(text: &str, wanted: &str) -> Result<Option<HashMap<String, String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: Option<HashMap<String, String>> = None;
    let mut inside = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            // `[name]`, optionally followed by a comment.
            let name = header.rfind(']').and_then(|end| {
                let rest = header[end + 1..].trim_start();
                (rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')).then(|| &header[..end])
            });
            let Some(name) = name else {
                return Err(format!("line {number}: a section header must be `[name]`"));
            };
            inside = name.trim().eq_ignore_ascii_case(wanted);
            if inside {
                found.get_or_insert_with(HashMap::new);
            }
            continue;
        }
        if !inside {
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            return Err(format!("line {number}: expected `key = value` in [{wanted}]"));
        };
        let key = line[..split].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(format!("line {number}: a key is missing before the `{}`", &line[split..split + 1]));
        }
        let value = unquote(line[split + 1..].trim());
        let keys = found.get_or_insert_with(HashMap::new);
        if keys.insert(key.clone(), value.to_string()).is_some() {
            // Name the key only if it is one of ours: an unknown "key" could be a pasted secret.
            return Err(match KNOWN_PROFILE_KEYS.contains(&key.as_str()) {
                true => format!("line {number}: key `{key}` is set twice in [{wanted}]"),
                false => format!("line {number}: a key is set twice in [{wanted}]"),
            });
        }
    }
    Ok(found)
}

/// Removes one pair of matching surrounding quotes.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}
