//! Retries, safe by default.
//!
//! Whether a failed attempt is resent depends on two things: *where* it failed, and whether the
//! operation is *idempotent* (declared per operation by the spec: by HTTP method, overridable with
//! `x-codearts-idempotent`).
//!
//! | failure | any operation | idempotent operations only |
//! | --- | --- | --- |
//! | connection could not be established (refused, DNS, connect timeout) — the request was provably never sent | retried | |
//! | 429, 502, 503, 504; the error codes the service's spec declares retryable (`x-codearts-error-codes`: Build's `CB.00060100` "network busy", `CB.00060211` "too many requests", Check's "network busy", …) | | retried |
//! | read timeout, connection reset or closed after the request was written | | retried |
//! | 401 while using a refreshable IAM token | refreshed once, resent once | |
//! | anything else (400, 403, 404, other 5xx, decode errors) | never | never |
//!
//! An operation that starts something (`RunJob`, `StopBuildJob`, `CreateBuildJob`, … — every POST
//! unless the spec says otherwise) is therefore never resent once it may have reached the server:
//! a retried `RunJob` could start two builds.
//!
//! Backoff is capped exponential with full jitter (a uniformly random delay between zero and
//! `min(max_backoff, initial_backoff × 2^(attempt−1))`); a `Retry-After` header (seconds or an HTTP
//! date) replaces the computed delay. The total time budget bounds the attempts and the waits.
//!
//! The decision is pluggable: a [`RetryClassifier`] set on the configuration is asked first (for
//! example to resend on a service-specific code, or never to resend anything), and may leave any
//! attempt to these rules ([`DefaultClassifier`]).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

/// Waits between attempts. The default is `tokio::time::sleep`; tests (and applications with their
/// own clock) substitute another with [`crate::ConfigBuilder::sleep`].
pub trait Sleep: Send + Sync + std::fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// [`Sleep`] on tokio's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// How often and how long to retry. Set per client in [`crate::Config`] and per call with
/// [`crate::CallExt::call_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Backoff ceiling of the first retry.
    pub initial_backoff: Duration,
    /// Largest backoff between two attempts.
    pub max_backoff: Duration,
    /// Time budget for all attempts and waits of one call; no retry starts after it.
    pub total_budget: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms initial and 5 s maximum backoff, 60 s budget: enough to ride out a
    /// gateway hiccup or a burst of throttling without hiding an outage from the caller.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            total_budget: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..Self::default() }
    }

    /// The full-jitter delay before attempt `attempt + 1` (`attempt` ≥ 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(1u32 << (attempt.saturating_sub(1)).min(20));
        let ceiling = exp.min(self.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// What went wrong with one attempt, as far as resending is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The connection was never established: nothing reached the server.
    NotSent,
    /// It may have reached the server (timeout, reset after writing, a body that broke off).
    MaybeSent,
    /// The server answered with a status (or error code) that says "try again".
    Transient,
    /// Anything else.
    Permanent,
}

impl Failure {
    pub(crate) fn of_error(e: &reqwest::Error) -> Failure {
        if e.is_connect() {
            Failure::NotSent
        } else if e.is_timeout() || e.is_request() || e.is_body() {
            Failure::MaybeSent
        } else {
            Failure::Permanent
        }
    }

    /// An error status, with the error code the body carries (looked up in the service's catalogue).
    pub(crate) fn of_status(status: u16, code: Option<&str>, service: &crate::runtime::ServiceMeta) -> Failure {
        let transient_code = code.and_then(|c| service.error_code(c)).is_some_and(|k| k.retryable);
        if matches!(status, 429 | 502 | 503 | 504) || transient_code { Failure::Transient } else { Failure::Permanent }
    }

    /// May an attempt that failed like this be resent?
    pub fn retryable(self, idempotent: bool) -> bool {
        match self {
            Failure::NotSent => true,
            Failure::MaybeSent | Failure::Transient => idempotent,
            Failure::Permanent => false,
        }
    }
}

/// One failed attempt, as a [`RetryClassifier`] sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// The service's tables (its error codes among them).
    pub service: &'static crate::runtime::ServiceMeta,
    /// The operation, with whether the spec declares it safe to resend.
    pub operation: &'static crate::runtime::OperationMeta,
    /// Which attempt failed (1 is the first).
    pub number: u32,
    /// How the SDK's own rules read the failure.
    pub failure: Failure,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The error code of the answer's body, when it has one.
    pub error_code: Option<&'a str>,
}

/// What a [`RetryClassifier`] decides about one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAction {
    /// Resend (within the policy's attempts and budget).
    Retry,
    /// Do not resend: the error goes to the caller.
    Stop,
    /// No opinion: the SDK's own rules ([`DefaultClassifier`]) decide.
    Default,
}

/// Decides whether a failed attempt is resent, as aws-smithy's `ClassifyRetry` or gax's retry
/// policy do. Set one with [`crate::ConfigBuilder::retry_classifier`]; it is asked first, and
/// [`RetryAction::Default`] leaves the attempt to [`DefaultClassifier`]. A classifier that answers
/// `Retry` for an operation that is not idempotent after a [`Failure::MaybeSent`] overrides the
/// SDK's safety rule: that is the classifier's responsibility (a resent `RunJob` may start a second
/// build).
pub trait RetryClassifier: Send + Sync + std::fmt::Debug {
    /// The decision for one failed attempt.
    fn classify(&self, attempt: &Attempt<'_>) -> RetryAction;
}

/// The SDK's rules (the table at the top of this module): anything never sent is resent;
/// idempotent operations are also resent after throttling, gateway errors, the service's
/// retryable error codes, timeouts and broken connections.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultClassifier;

impl RetryClassifier for DefaultClassifier {
    fn classify(&self, attempt: &Attempt<'_>) -> RetryAction {
        if attempt.failure.retryable(attempt.operation.idempotent) { RetryAction::Retry } else { RetryAction::Stop }
    }
}

/// `Retry-After`: delta-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Default::default()
        };
        for attempt in 1..40 {
            let d = p.backoff(attempt);
            let ceiling =
                Duration::from_millis(100).saturating_mul(1 << (attempt - 1).min(20)).min(Duration::from_secs(1));
            assert!(d <= ceiling, "attempt {attempt}: {d:?} > {ceiling:?}");
        }
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| p.backoff(5)).collect();
        assert!(distinct.len() > 1, "full jitter varies the delay");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert("retry-after", httpdate::fmt_http_date(now + Duration::from_secs(30)).parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    #[cfg(feature = "build")]
    fn the_retry_matrix() {
        let build = &crate::build::operations::SERVICE;
        assert!(Failure::NotSent.retryable(false));
        assert!(!Failure::MaybeSent.retryable(false));
        assert!(Failure::MaybeSent.retryable(true));
        for status in [429, 502, 503, 504] {
            assert_eq!(Failure::of_status(status, None, build), Failure::Transient);
        }
        assert_eq!(Failure::of_status(500, Some("CB.00060100"), build), Failure::Transient);
        assert_eq!(Failure::of_status(500, Some("CB.00060101"), build), Failure::Permanent);
        for status in [400, 401, 403, 404, 500, 501] {
            assert_eq!(Failure::of_status(status, None, build), Failure::Permanent);
        }
        assert!(!Failure::Transient.retryable(false));
    }

    #[test]
    #[cfg(all(feature = "build", feature = "check"))]
    fn error_codes_are_the_services_own() {
        // Build's "network busy" means nothing to Check, and the other way round.
        let (build, check) = (&crate::build::operations::SERVICE, &crate::check::operations::SERVICE);
        assert_eq!(Failure::of_status(500, Some("CB.00060100"), check), Failure::Permanent);
        assert_eq!(Failure::of_status(500, Some("CB.00060100"), build), Failure::Transient);
    }
}
