//! Build logs: downloads to any writer and following a running build's log.

use std::collections::VecDeque;

use futures_core::Stream;
use futures_util::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::FollowOptions;
use crate::build::{ByteStream, Client};
use crate::error::{Error, ErrorKind, from_reqwest};
use crate::runtime::CallExt;
use crate::wait::{poll_record, terminal};

/// Streams a download to `writer` chunk by chunk; returns the number of bytes written.
async fn copy(stream: ByteStream, operation: &'static str, mut writer: impl AsyncWrite + Unpin) -> Result<u64, Error> {
    let mut stream = stream.into_inner();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| from_reqwest(e).with_operation(operation))?;
        writer.write_all(&chunk).await.map_err(|e| write_error(operation, e))?;
        written += chunk.len() as u64;
    }
    writer.flush().await.map_err(|e| write_error(operation, e))?;
    Ok(written)
}

/// A failure of the caller's writer (reported as [`ErrorKind::Transport`]: there is no I/O kind).
fn write_error(operation: &'static str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Transport, format!("writing the log failed: {e}")).with_operation(operation).with_source(e)
}

/// Downloads the full log of build record `record_id` (DownloadBuildLog) to `writer`, chunk by
/// chunk, and flushes it. Returns the number of bytes written. A download that breaks off is an
/// `Err` after the bytes received so far were written.
pub async fn download_build_log(
    client: &Client,
    record_id: &str,
    writer: impl AsyncWrite + Unpin,
) -> Result<u64, Error> {
    let stream = client.download_build_log().record_id(record_id).call().await?;
    copy(stream, "DownloadBuildLog", writer).await
}

/// Downloads the log of the step named `step_name` of build record `record_id` (DownloadTaskLog)
/// to `writer`, like [`download_build_log`].
pub async fn download_step_log(
    client: &Client,
    record_id: &str,
    step_name: &str,
    writer: impl AsyncWrite + Unpin,
) -> Result<u64, Error> {
    let stream = client.download_task_log().record_id(record_id).task_name(step_name).call().await?;
    copy(stream, "DownloadTaskLog", writer).await
}

struct Follow {
    client: Client,
    job_id: String,
    build_no: i32,
    record_id: String,
    options: FollowOptions,
    /// Bytes of the log already delivered (as complete lines).
    offset: u64,
    queue: VecDeque<Result<String, Error>>,
    polls: u64,
    errors: u32,
    done: bool,
}

impl Follow {
    /// One poll: the build's status first, then the log, so that a log read after a terminal
    /// status is the final one.
    async fn round(&mut self) {
        if self.polls > 0 {
            tokio::time::sleep(self.options.interval).await;
        }
        self.polls += 1;
        let result = async {
            let record = poll_record(&self.client, &self.job_id, self.build_no).await?;
            let finished = terminal(record.status.as_deref()).is_some();
            let stream = self.client.download_build_log().record_id(&self.record_id).call().await?;
            self.read_new(stream, finished).await?;
            Ok::<bool, Error>(finished)
        }
        .await;
        match result {
            Ok(finished) => {
                self.errors = 0;
                self.done = finished;
            }
            Err(e) => {
                self.errors += 1;
                tracing::debug!(record_id = %self.record_id, errors = self.errors, error = %e, "following the log: poll failed");
                self.queue.push_back(Err(e));
                if self.errors >= self.options.max_consecutive_errors.max(1) {
                    self.done = true;
                }
            }
        }
    }

    /// Skips the bytes already delivered, queues each new complete line and advances the offset
    /// past it. Only the current incomplete line is held in memory; when `finished`, it is
    /// delivered too (the log will not grow any more).
    async fn read_new(&mut self, stream: ByteStream, finished: bool) -> Result<(), Error> {
        let mut stream = stream.into_inner();
        let mut position = 0u64;
        let mut partial: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| from_reqwest(e).with_operation("DownloadBuildLog"))?;
            let end = position + chunk.len() as u64;
            if end <= self.offset {
                position = end;
                continue;
            }
            let skip = self.offset.saturating_sub(position) as usize;
            position = end;
            let mut rest = &chunk[skip..];
            while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
                partial.extend_from_slice(&rest[..newline]);
                self.offset += partial.len() as u64 + 1;
                self.queue.push_back(Ok(String::from_utf8_lossy(&partial).into_owned()));
                partial.clear();
                rest = &rest[newline + 1..];
            }
            partial.extend_from_slice(rest);
        }
        if finished && !partial.is_empty() {
            self.offset += partial.len() as u64;
            self.queue.push_back(Ok(String::from_utf8_lossy(&partial).into_owned()));
        }
        Ok(())
    }
}

/// Follows the log of build `build_no` of job `job_id`, whose record ID is `record_id`: polls the
/// full log every `options.interval` and yields each new complete line (without its `\n`), so every
/// byte of the log is delivered exactly once; once ShowRecordDetail reports the build finished, it
/// reads the log a last time, yields the remainder (a last line without `\n` included) and ends.
///
/// The runtime already retries each poll's idempotent GETs; a failure that still surfaces is
/// yielded as one `Err` and polling continues from the same offset, until
/// `options.max_consecutive_errors` polls in a row have failed. Lines are decoded as UTF-8, invalid
/// sequences replaced. Dropping the stream stops polling. The stream is not `Unpin`: pin it
/// (`std::pin::pin!`, or `StreamExt::boxed`).
pub fn follow_build_log(
    client: &Client,
    job_id: impl Into<String>,
    build_no: i32,
    record_id: impl Into<String>,
    options: FollowOptions,
) -> impl Stream<Item = Result<String, Error>> + Send + 'static {
    let state = Follow {
        client: client.clone(),
        job_id: job_id.into(),
        build_no,
        record_id: record_id.into(),
        options,
        offset: 0,
        queue: VecDeque::new(),
        polls: 0,
        errors: 0,
        done: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.queue.pop_front() {
                return Some((item, state));
            }
            if state.done {
                return None;
            }
            state.round().await;
        }
    })
}
