//! Logs. **Build** (feature `build`): download a whole log or one step's log to any
//! `AsyncWrite` in constant memory, and follow a running build's log as a stream of lines.
//! **Pipeline** (feature `pipeline`): follow one step's log of a pipeline run
//! (`follow_pipeline_step_log`), or every step of a run in order (`follow_pipeline_run_log`),
//! through ShowPipelineLog's offset paging; and read a finished step's log whole
//! (`read_pipeline_step_log`).
//!
//! ```no_run
//! # #[cfg(feature = "build")]
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use futures_util::StreamExt;
//!
//! let record = "2cc26382-b2cb-4234-8eb0-b37d362f4d4c";
//! // To any AsyncWrite (a `tokio::fs::File`, a socket, stdout, a Vec):
//! let mut log = Vec::new();
//! let bytes = codearts::logs::download_build_log(client, record, &mut log).await?;
//! println!("{bytes} bytes");
//!
//! // Line by line while the build runs; the stream ends once the build has finished.
//! let lines = codearts::logs::follow_build_log(client, "f9d6c8466d614a9788e9a0acf6c15f46", 7, record, Default::default());
//! let mut lines = std::pin::pin!(lines);
//! while let Some(line) = lines.next().await {
//!     println!("{}", line?);
//! }
//! # Ok(()) }
//! ```

use std::time::Duration;

#[cfg(feature = "build")]
mod build;
#[cfg(feature = "build")]
pub use build::*;
#[cfg(feature = "pipeline")]
mod pipeline;
#[cfg(feature = "pipeline")]
pub use pipeline::*;

/// How the followers (`follow_build_log`, `follow_pipeline_step_log`, `follow_pipeline_run_log`)
/// poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowOptions {
    /// The pause between two polls. Default: 2 s.
    pub interval: Duration,
    /// How many polls in a row may fail (each failure is yielded as an `Err`) before the stream
    /// ends. Default: 5.
    pub max_consecutive_errors: u32,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions { interval: Duration::from_secs(2), max_consecutive_errors: 5 }
    }
}
