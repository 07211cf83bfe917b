//! AK/SK request signing: `SDK-HMAC-SHA256`, the algorithm of the Huawei Cloud API Gateway.
//!
//! A [`Signer`] turns an access key (AK) and secret key (SK) into the headers the gateway checks:
//!
//! ```text
//! CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQuery "\n"
//!                    CanonicalHeaders "\n" SignedHeaders "\n" hex(SHA-256(body))
//! StringToSign     = "SDK-HMAC-SHA256" "\n" X-Sdk-Date "\n" hex(SHA-256(CanonicalRequest))
//! Authorization    = "SDK-HMAC-SHA256 Access=" AK ", SignedHeaders=" SignedHeaders
//!                    ", Signature=" hex(HMAC-SHA-256(SK, StringToSign))
//! ```
//!
//! - **CanonicalURI**: the URL path, split on `/`; each segment is percent-decoded and re-encoded with
//!   the vendor SDKs' unreserved set (`A-Z a-z 0-9 - _ . ~`, everything else `%XX`); `/` is kept and
//!   a trailing `/` is appended when missing (`/v3/jobs` → `/v3/jobs/`).
//! - **CanonicalQuery**: the decoded query pairs sorted by key, then value, each encoded with the same
//!   set (a space is `%20`) and joined as `k=v&k=v`. See [`canonical_query`].
//! - **CanonicalHeaders**: one `name:value` line per signed header, names lowercased and sorted, values
//!   trimmed; a header sent several times gives one line per value, values sorted (as the vendor's Go
//!   API Gateway signer does). **SignedHeaders**: those names joined with `;`.
//!
//! # Which headers are signed
//!
//! Every header present on the request when [`Signer::sign`] runs, except:
//!
//! - names containing `_`, and `content-type`: the vendor SDKs never sign them and the gateway verifies
//!   what those SDKs send (the vendor's own test vectors, in this crate's tests, depend on it);
//! - `authorization`, which carries the signature itself (so signing a request twice gives the same
//!   result);
//! - `host` when [`Signer::sign_host`] is `false`.
//!
//! Headers the generated clients set while *building* a request (`accept`, `api-version`, …) are on
//! the request at signing time and go on the wire unchanged, so they are signed. Headers reqwest or
//! hyper add later, at *send* time — the client's `default_headers` (and reqwest's default
//! `accept: */*` when the request has none), `content-length`, `accept-encoding` — are never present
//! at signing time, so they are not signed. The gateway only checks the headers listed in
//! `SignedHeaders`, so unsigned additions do not break the signature; changing a signed header or the
//! body after signing does. Sign last, immediately before the request is executed.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use codearts::auth::{AkSk, Signer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let signer = Signer::new(AkSk::new("MY-ACCESS-KEY", "my-secret-key"));
//!
//! codearts::install_crypto_provider(); // reqwest needs a TLS provider; the SDK uses ring
//! let http = reqwest::Client::new();
//! let mut request = http
//!     .post("https://build-backend.eu-west-101.myhuaweicloud.eu/v3/jobs/build")
//!     .json(&serde_json::json!({ "job_id": "f9d6c8466d614a9788e9a0acf6c15f46" }))
//!     .build()?;
//! signer.sign(&mut request, SystemTime::now())?;
//!
//! let authorization = request.headers()["authorization"].to_str()?;
//! assert!(authorization.starts_with("SDK-HMAC-SHA256 Access=MY-ACCESS-KEY, SignedHeaders=host;x-sdk-date, Signature="));
//! assert_eq!(request.headers()["host"], "build-backend.eu-west-101.myhuaweicloud.eu");
//! // Then: http.execute(request).await
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::header::{AUTHORIZATION, HOST, HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use url::Url;

/// The algorithm name that starts the `Authorization` value and the string to sign.
const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The signing time header (`%Y%m%dT%H%M%SZ`, UTC).
const X_SDK_DATE: &str = "x-sdk-date";
/// The temporary-credential header.
const X_SECURITY_TOKEN: &str = "x-security-token";
/// `X-Sdk-Date`'s format: `20060102T150405Z`.
const DATE_FORMAT: &[BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
/// Everything but the vendor SDKs' unreserved set `A-Z a-z 0-9 - _ . ~` is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Access key / secret key credentials, optionally with the security token of temporary credentials.
///
/// The secret key and the token are [`SecretString`]s: they are zeroed on drop, and `Debug` shows
/// `[REDACTED]` in their place.
///
/// ```
/// use codearts::auth::AkSk;
///
/// let credentials = AkSk::new("MY-ACCESS-KEY", "my-secret-key").with_security_token("my-token");
/// let shown = format!("{credentials:?}");
/// assert!(shown.contains("MY-ACCESS-KEY") && !shown.contains("my-secret-key") && !shown.contains("my-token"));
/// ```
#[derive(Clone)]
pub struct AkSk {
    ak: String,
    sk: SecretString,
    security_token: Option<SecretString>,
}

impl AkSk {
    /// Credentials from an access key (AK) and its secret key (SK).
    pub fn new(ak: impl Into<String>, sk: impl Into<SecretString>) -> Self {
        AkSk { ak: ak.into(), sk: sk.into(), security_token: None }
    }

    /// Adds the security token of temporary credentials: [`Signer::sign`] sends it as
    /// `X-Security-Token`, and signs it.
    pub fn with_security_token(mut self, token: impl Into<SecretString>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// The access key (not a secret: it is sent in every `Authorization` header).
    pub fn ak(&self) -> &str {
        &self.ak
    }
}

impl fmt::Debug for AkSk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkSk")
            .field("ak", &self.ak)
            .field("sk", &"[REDACTED]")
            .field("security_token", &self.security_token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// Why a request could not be signed. No message contains a secret key, a token or a header value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The body is a stream, but the signature covers the SHA-256 of the whole body.
    #[error(
        "the request body is a stream, but AK/SK signing covers the SHA-256 of the whole body: build the request with a body of bytes"
    )]
    StreamingBody,
    /// The access key or the secret key is empty.
    #[error("the access key (AK) or the secret key (SK) is empty")]
    MissingCredentials,
    /// The access key cannot be sent in an HTTP header.
    #[error("the access key (AK) contains characters that are not allowed in an HTTP header")]
    InvalidAccessKey,
    /// The security token cannot be sent in an HTTP header.
    #[error("the security token contains characters that are not allowed in an HTTP header")]
    InvalidSecurityToken,
    /// The `Host` header is to be signed, but the URL has no host to take it from.
    #[error("the request URL has no host to put in the signed Host header")]
    MissingHost,
    /// [`Signer::authorization`] was given headers without `X-Sdk-Date`.
    #[error("the headers have no X-Sdk-Date to sign with")]
    MissingDate,
    /// The signing time cannot be written as an `X-Sdk-Date`.
    #[error("the signing time cannot be written as an X-Sdk-Date: it must lie between 1970 and 9999")]
    InvalidTime,
    /// A header to be signed has a value that is not UTF-8 text.
    #[error("the value of header `{name}` is not UTF-8 text, so it cannot be signed")]
    InvalidHeaderValue {
        /// The header's (lowercase) name.
        name: String,
    },
}

/// Signs requests with AK/SK credentials (`SDK-HMAC-SHA256`). See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Signer {
    credentials: AkSk,
    sign_host: bool,
}

impl Signer {
    /// A signer for these credentials that signs the `Host` header (see [`Signer::sign_host`]).
    pub fn new(credentials: AkSk) -> Self {
        Signer { credentials, sign_host: true }
    }

    /// Whether to sign the `Host` header (default `true`, as the vendor's Python SDK does).
    ///
    /// When `true`, [`Signer::sign`] sets `Host` from the URL — its host, plus `:port` when the port
    /// is not the scheme's default — unless the request already has one, and signs it. That is safe
    /// with reqwest: a reqwest request carries no `Host` of its own, and hyper fills one in at send
    /// time only when the request has none, from the same URL by the same rule, so the header on the
    /// wire is byte for byte the one that was signed. Signing it ties the signature to the endpoint it
    /// was made for.
    ///
    /// Turn it off when something between the client and the gateway rewrites `Host` (a proxy that
    /// does not forward it unchanged). When `false`, `Host` is never signed, even if the request has
    /// one (the vendor's Go SDK signs without it too).
    pub fn sign_host(mut self, sign_host: bool) -> Self {
        self.sign_host = sign_host;
        self
    }

    /// Signs `request` as made at `now` (normally [`SystemTime::now()`]).
    ///
    /// Sets `X-Sdk-Date` from `now` (replacing any already there), `X-Security-Token` when the
    /// credentials have one, `Host` when signing it and the request has none, and finally
    /// `Authorization`. The body hashed is `request.body().and_then(|b| b.as_bytes())`, or nothing when
    /// there is no body. On error the request is left unchanged.
    ///
    /// # Errors
    ///
    /// [`SignError::StreamingBody`] for a streaming body (the signature needs its hash),
    /// [`SignError::MissingHost`] when `Host` is to be signed and the URL has none, and the
    /// credential, time and header-value errors of [`SignError`].
    pub fn sign(&self, request: &mut reqwest::Request, now: SystemTime) -> Result<(), SignError> {
        let body = match request.body() {
            None => &[][..],
            Some(body) => body.as_bytes().ok_or(SignError::StreamingBody)?,
        };
        // Work on a copy, so that the request is untouched if anything fails.
        let mut headers = request.headers().clone();
        headers.insert(X_SDK_DATE, HeaderValue::try_from(format_date(now)?).expect("the date is ASCII digits"));
        if let Some(token) = &self.credentials.security_token {
            let mut value =
                HeaderValue::from_str(token.expose_secret()).map_err(|_| SignError::InvalidSecurityToken)?;
            value.set_sensitive(true);
            headers.insert(X_SECURITY_TOKEN, value);
        }
        if self.sign_host && !headers.contains_key(HOST) {
            let host = host_of(request.url()).ok_or(SignError::MissingHost)?;
            headers.insert(HOST, HeaderValue::try_from(host).map_err(|_| SignError::MissingHost)?);
        }
        let authorization = self.authorization(request.method().as_str(), request.url(), &headers, body)?;
        let mut value = HeaderValue::try_from(authorization).map_err(|_| SignError::InvalidAccessKey)?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
        *request.headers_mut() = headers;
        Ok(())
    }

    /// The names of the headers in `headers` that [`Signer::sign`] signs: lowercase and sorted. See
    /// [which headers are signed](self#which-headers-are-signed).
    pub fn signed_headers(&self, headers: &HeaderMap) -> Vec<String> {
        let mut names: Vec<String> = headers
            .keys()
            .map(HeaderName::as_str)
            .filter(|name| {
                !name.contains('_')
                    && *name != "content-type"
                    && *name != "authorization"
                    && (self.sign_host || *name != "host")
            })
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The `Authorization` value for a request made of these explicit parts, signed at the date in
    /// its `X-Sdk-Date` header, over the headers chosen by [`Signer::signed_headers`].
    ///
    /// [`Signer::sign`] is this plus setting the headers; this is the way to check a signature
    /// against a fixed date. `headers` must already hold everything that is to be signed (`Host`
    /// when signing it, `X-Security-Token` when the credentials have one).
    ///
    /// # Errors
    ///
    /// [`SignError::MissingDate`] without `X-Sdk-Date`, [`SignError::MissingCredentials`] for an
    /// empty AK or SK, and [`SignError::InvalidHeaderValue`] when a signed header is not UTF-8.
    pub fn authorization(
        &self,
        method: &str,
        url: &Url,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, SignError> {
        let credentials = &self.credentials;
        if credentials.ak.is_empty() || credentials.sk.expose_secret().is_empty() {
            return Err(SignError::MissingCredentials);
        }
        let date = headers.get(X_SDK_DATE).ok_or(SignError::MissingDate)?;
        let date = date.to_str().map_err(|_| SignError::InvalidHeaderValue { name: X_SDK_DATE.into() })?;
        let signed = self.signed_headers(headers);
        for name in &signed {
            if headers.get_all(name.as_str()).iter().any(|value| std::str::from_utf8(value.as_bytes()).is_err()) {
                return Err(SignError::InvalidHeaderValue { name: name.clone() });
            }
        }
        let canonical = canonical_request(method, url, headers, &signed, body);
        let string_to_sign = format!("{ALGORITHM}\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(credentials.sk.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        Ok(format!("{ALGORITHM} Access={}, SignedHeaders={}, Signature={signature}", credentials.ak, signed.join(";")))
    }
}

/// The canonical request: what the string to sign hashes. See the [module docs](self).
///
/// `signed` lists the header names to sign, lowercase and sorted, as [`Signer::signed_headers`] gives
/// them; each is looked up in `headers` (a signed `host` missing from `headers` is taken from `url`).
/// Header values that are not UTF-8 are read lossily ([`Signer::authorization`] rejects them).
///
/// ```
/// use codearts::auth::signer::canonical_request;
///
/// let url = url::Url::parse("https://example.huaweicloud.com/path?limit=1").unwrap();
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-sdk-date", "20060102T150405Z".parse().unwrap());
/// assert_eq!(
///     canonical_request("GET", &url, &headers, &["x-sdk-date".to_string()], b""),
///     "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n\
///      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
/// );
/// ```
pub fn canonical_request(method: &str, url: &Url, headers: &HeaderMap, signed: &[String], body: &[u8]) -> String {
    let query: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut out = format!("{method}\n{}\n{}\n", canonical_uri(url.path()), canonical_query(&query));
    for name in signed {
        let mut values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_owned())
            .collect();
        if values.is_empty() && name == "host" {
            values.extend(host_of(url));
        }
        values.sort();
        for value in values {
            out.push_str(name);
            out.push(':');
            out.push_str(&value);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&signed.join(";"));
    out.push('\n');
    out.push_str(&hex::encode(Sha256::digest(body)));
    out
}

/// The canonical query string of decoded `(key, value)` pairs: sorted by key, then by value (before
/// encoding, as the vendor SDKs sort), each encoded with the unreserved set `A-Z a-z 0-9 - _ . ~`
/// (a space is `%20`), joined as `k=v&k=v`. A key without a value gives `k=`.
///
/// ```
/// use codearts::auth::signer::canonical_query;
///
/// let pairs = [("path".to_string(), "/tmp/a b".to_string()), ("limit".to_string(), "1".to_string())];
/// assert_eq!(canonical_query(&pairs), "limit=1&path=%2Ftmp%2Fa%20b");
/// ```
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .into_iter()
        .map(|(key, value)| format!("{}={}", encode(key.as_bytes()), encode(value.as_bytes())))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical URI of a (percent-encoded) URL path: each segment decoded and re-encoded with the
/// unreserved set, `/` kept, a trailing `/` appended when missing.
fn canonical_uri(path: &str) -> String {
    let mut uri = path
        .split('/')
        .map(|segment| encode(&percent_decode_str(segment).collect::<Vec<u8>>()))
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn encode(bytes: &[u8]) -> String {
    percent_encode(bytes, ENCODE).to_string()
}

/// `Host` as hyper writes it from a URL: the host, plus `:port` when it is not the scheme's default
/// (`Url::port` is `None` for a default port).
fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// `now` as an `X-Sdk-Date`: `%Y%m%dT%H%M%SZ` in UTC.
fn format_date(now: SystemTime) -> Result<String, SignError> {
    let since_epoch = now.duration_since(UNIX_EPOCH).map_err(|_| SignError::InvalidTime)?;
    let since_epoch = time::Duration::try_from(since_epoch).map_err(|_| SignError::InvalidTime)?;
    let utc = OffsetDateTime::UNIX_EPOCH.checked_add(since_epoch).ok_or(SignError::InvalidTime)?;
    utc.format(DATE_FORMAT).map_err(|_| SignError::InvalidTime)
}
