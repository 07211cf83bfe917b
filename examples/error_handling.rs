//! What a failed call tells you, and how to act on it: `codearts::Error`.
//!
//! Every `.call()` fails with one `Error` whose `kind()` says what went wrong (`InvalidInput`,
//! `Credentials`, `Timeout`, `Transport`, `Decode`, `Service`), with the operation, HTTP status,
//! the service's error code and message, the request id and the number of attempts made, plus
//! predicates (`is_not_found`, `is_throttled`, `is_retryable`, `is_timeout`). Its `Display` is one
//! line and never contains a credential.

mod common;

use codearts::build::types::RunJobRequestBody;
use codearts::retry::RetryPolicy;
use codearts::{CallExt, CallOptions, Error, ErrorKind};
use std::time::Duration;

fn describe(what: &str, e: &Error) {
    println!("{what}:");
    println!("  display     {e}");
    println!("  kind        {:?}", e.kind());
    println!("  operation   {:?}", e.operation());
    println!("  status      {:?}", e.status());
    println!("  code        {:?}", e.code());
    println!("  message     {:?}", e.message());
    println!("  request id  {:?}", e.request_id());
    println!("  attempts    {}", e.attempts());
    println!("  not found?  {}  throttled? {}  retryable? {}", e.is_not_found(), e.is_throttled(), e.is_retryable());
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect(Duration::from_millis(50)).await?;
    let client = &session.client;

    // 1. A job that does not exist: a service error with the vendor's code, not retried.
    let missing = "0000000000000000000000000000dead";
    match client.show_job_status().job_id(missing).call().await {
        Ok(status) => println!("unexpectedly found: {status:?}"),
        Err(e) if e.is_not_found() || e.kind() == ErrorKind::Service => describe("a job that does not exist", &e),
        Err(e) => return Err(e.into()),
    }

    // 2. An ID that cannot be one: rejected before anything is sent (or, for a parameter the
    //    reference gives no format for, sent percent-encoded so it cannot leave its path segment).
    match client.show_job_status().job_id("../../v3/jobs?x=1#frag").call().await {
        Ok(_) => println!("unexpectedly accepted a malformed ID"),
        Err(e) => describe("a malformed job ID", &e),
    }

    // 3. Per-call retry policy: no retries for this one read, e.g. in a health check that must answer fast.
    let once = CallOptions { retry: Some(RetryPolicy::none()) };
    if let Err(e) = client.show_job_status().job_id(missing).call_with(once).await {
        println!("with RetryPolicy::none(): {} attempt(s)", e.attempts());
    }

    // 4. Starting a build is never resent once it may have reached the server, whatever the policy:
    //    on an ambiguous failure, look at the job's history before running it again.
    let body = RunJobRequestBody::builder().job_id(missing);
    match client.run_job().body(body).call().await {
        Ok(run) => println!("started {:?}", run.actual_build_number),
        Err(e) if e.is_retryable() => println!("may or may not have started; check the history: {e}"),
        Err(e) => describe("running a job that does not exist", &e),
    }
    Ok(())
}
