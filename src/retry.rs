//! Retries, safe by default.
//!
//! Whether a failed attempt is resent depends on two things: *where* it failed, and whether the
//! operation is *idempotent* (declared per operation by the spec: by HTTP method, overridable with
//! `x-codearts-idempotent`).
//!
//! | failure | any operation | idempotent operations only |
//! | --- | --- | --- |
//! | connection could not be established (refused, DNS, connect timeout) — the request was provably never sent | retried | |
//! | 429, 502, 503, 504; `CB.00060100` "network busy"; `CB.00060211` "too many requests" | | retried |
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
pub(crate) enum Failure {
    /// The connection was never established: nothing reached the server.
    NotSent,
    /// It may have reached the server (timeout, reset after writing).
    MaybeSent,
    /// The server answered with a status that says "try again".
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

    pub(crate) fn of_status(status: u16, code: Option<&str>) -> Failure {
        let transient_code = code.and_then(crate::error::lookup).is_some_and(|k| k.retryable);
        if matches!(status, 429 | 502 | 503 | 504) || transient_code { Failure::Transient } else { Failure::Permanent }
    }

    /// May an attempt that failed like this be resent?
    pub(crate) fn retryable(self, idempotent: bool) -> bool {
        match self {
            Failure::NotSent => true,
            Failure::MaybeSent | Failure::Transient => idempotent,
            Failure::Permanent => false,
        }
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
    fn the_retry_matrix() {
        assert!(Failure::NotSent.retryable(false));
        assert!(!Failure::MaybeSent.retryable(false));
        assert!(Failure::MaybeSent.retryable(true));
        for status in [429, 502, 503, 504] {
            assert_eq!(Failure::of_status(status, None), Failure::Transient);
        }
        assert_eq!(Failure::of_status(500, Some("CB.00060100")), Failure::Transient);
        assert_eq!(Failure::of_status(500, Some("CB.00060101")), Failure::Permanent);
        for status in [400, 401, 403, 404, 500, 501] {
            assert_eq!(Failure::of_status(status, None), Failure::Permanent);
        }
        assert!(!Failure::Transient.retryable(false));
    }
}
