//! Waiting for something a service started to finish: a build ([`wait_for_build`],
//! [`run_and_wait`]), a code check (`wait_for_check`, `run_check_and_wait`, with a quality `Gate`). Every waiter polls with the same [`WaitOptions`] (a jittered, growing interval
//! and a maximum wait), is cancel-safe and adds no retries of its own.
//!
//! # Builds
//!
//! [`wait_for_build`] polls ShowRecordDetail (`GET /v4/jobs/{job_id}/{build_no}/record-info`) with
//! a jittered, growing interval until the record's `status` is terminal or the maximum wait runs
//! out:
//!
//! ```no_run
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::wait::{BuildOutcome, WaitOptions, wait_for_build};
//!
//! match wait_for_build(client, "f9d6c8466d614a9788e9a0acf6c15f46", 7, WaitOptions::default()).await? {
//!     BuildOutcome::Succeeded(record) => println!("done in {:?} ms", record.duration),
//!     BuildOutcome::Failed(record) => eprintln!("failed: {:?}", record.err_msg),
//!     BuildOutcome::Stopped(_) => eprintln!("stopped"),
//!     BuildOutcome::TimedOut { .. } => eprintln!("still running"),
//! }
//! # Ok(()) }
//! ```
//!
//! Statuses (compared case-insensitively): `SUCCESS`/`SUCCEEDED` → [`BuildOutcome::Succeeded`];
//! `FAILURE`/`FAILED`/`ERROR` → [`BuildOutcome::Failed`]; `ABORTED`/`STOPPED`/`CANCELED`/`CANCELLED`
//! → [`BuildOutcome::Stopped`]; anything else (`QUEUED`, `RUNNING`, …) means "not finished yet".
//!
//! [`run_and_wait`] starts a build with RunJob and then waits for it, keeping the two failures apart:
//! an `Err` means no build is known to have started, while a failure of the wait itself comes back
//! beside the started build's number so the caller can resume with [`StartedBuild::wait`].
//!
//! ```no_run
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::build::types::RunJobRequestBody;
//! use codearts::wait::{WaitOptions, run_and_wait};
//!
//! let body = RunJobRequestBody::builder().job_id("f9d6c8466d614a9788e9a0acf6c15f46");
//! let run = run_and_wait(client, body, WaitOptions::default()).await?;
//! println!("build #{}: {:?}", run.build.build_no, run.outcome);
//! # Ok(()) }
//! ```
//!
//! **Errors.** Each poll is one `.call()`: the runtime already retries transient failures of this
//! idempotent GET within the client's retry policy. An error that still surfaces ends the wait and
//! is returned as `Err` — the waiter does not add a second layer of retries.
//!
//! **Cancel safety.** The future holds no state outside itself and changes nothing on the server:
//! dropping it (e.g. in `tokio::select!` or under `tokio::time::timeout`) simply stops polling; the
//! build keeps running. Call it again to resume waiting.
//!
//! **Tracing.** Every poll emits one `DEBUG` event (target `codearts::wait`) with the job id, build
//! number, poll number, status and the delay before the next poll.

use std::time::Duration;

use crate::error::Error;

#[cfg(feature = "build")]
mod build;
#[cfg(feature = "build")]
pub use build::*;
#[cfg(feature = "check")]
mod check;
#[cfg(feature = "check")]
pub use check::*;

/// How long and how often a waiter polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up (with the waiter's `TimedOut` outcome) after this long. Default: 1 hour.
    pub max_wait: Duration,
    /// The interval after the first poll. Default: 2 s.
    pub initial_interval: Duration,
    /// The interval doubles after each poll up to this. Default: 30 s.
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            max_wait: Duration::from_secs(3600),
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
        }
    }
}

impl WaitOptions {
    /// The sleep before poll `poll + 1`: the interval `initial · 2^(poll-1)`, capped at
    /// `max_interval`, with "equal jitter" (uniform in `[interval/2, interval]`) so that many
    /// waiters do not poll in lockstep.
    pub(crate) fn delay(&self, poll: u32) -> Duration {
        let factor = 2u32.saturating_pow(poll.saturating_sub(1).min(30));
        let interval = self.initial_interval.saturating_mul(factor).min(self.max_interval.max(self.initial_interval));
        let half = interval / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// How [`poll_until`] ended: with the poll that saw the end, or with the last poll when the
/// maximum wait ran out.
#[derive(Debug)]
pub(crate) enum Polled<T> {
    Finished(T),
    TimedOut(T),
}

/// The loop every waiter shares: calls `poll` (one request) until it reports `true` (finished) or
/// `options.max_wait` has passed, sleeping [`WaitOptions::delay`] in between. An error ends the
/// wait. `what` names the waited-for thing in the `DEBUG` event of each poll (target
/// `codearts::wait`), beside the status text `poll` returns.
pub(crate) async fn poll_until<T, F, Fut>(options: &WaitOptions, what: &str, mut poll: F) -> Result<Polled<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(T, String, bool), Error>>,
{
    let deadline = tokio::time::Instant::now() + options.max_wait;
    let mut count = 0u32;
    loop {
        count += 1;
        let (value, status, finished) = poll().await?;
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let delay = options.delay(count).min(remaining);
        tracing::debug!(target: "codearts::wait", what, poll = count, status, finished, next_poll_in = ?delay, "polled");
        if finished {
            return Ok(Polled::Finished(value));
        }
        if remaining.is_zero() {
            return Ok(Polled::TimedOut(value));
        }
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_jittered_and_capped() {
        let o = WaitOptions {
            max_wait: Duration::from_secs(60),
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_millis(350),
        };
        for _ in 0..50 {
            let d1 = o.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d2 = o.delay(2);
            assert!(d2 >= Duration::from_millis(100) && d2 <= Duration::from_millis(200), "{d2:?}");
            let d9 = o.delay(40);
            assert!(d9 >= Duration::from_millis(175) && d9 <= Duration::from_millis(350), "{d9:?}");
        }
    }
}
