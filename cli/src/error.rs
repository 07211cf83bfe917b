//! The CLI's errors and exit statuses.

use std::fmt;

use codearts::credentials::CredentialsError;

// Success is 0 (`ExitCode::SUCCESS`).
/// An API call failed (the service answered with an error, or could not be reached), the
/// credentials or configuration are unusable, or a local file could not be written.
pub const ERROR: u8 = 1;
/// The command line is wrong (clap's own status for usage errors).
pub const USAGE: u8 = 2;
/// The waited-for build, pipeline run or check finished and failed.
pub const FAILED: u8 = 3;
/// The waited-for build, pipeline run or check was stopped before it finished.
pub const STOPPED: u8 = 4;
/// `--max-wait` ran out before the build, run or check finished (it goes on), or a pipeline run
/// is paused waiting for a manual review.
pub const TIMED_OUT: u8 = 5;
/// A quality gate failed: more defects at or above a severity than allowed (`check run --fail-on`).
pub const GATE_FAILED: u8 = 6;

/// The exit statuses, for `--help` (one set for every service).
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success (a waited-for build, run or check succeeded)
  1  API, credentials, network or file error
  2  usage error (a bad flag, a body that does not fit the operation; nothing was sent)
  3  the build, pipeline run or check failed (what failed is named on stderr)
  4  it was stopped
  5  --max-wait ran out before it finished (or a pipeline run waits for a review)
  6  a quality gate failed (check run --fail-on)";

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A call to the service failed.
    Api(codearts::Error),
    /// No usable credentials.
    Credentials(CredentialsError),
    /// Unusable configuration (a profile without credentials).
    Config(String),
    /// A command line that parsed but does not make sense.
    Usage(String),
    /// The service answered, but not with what the command needs (a missing field).
    Unexpected(String),
    /// A local file or stream failed.
    Io { what: String, source: std::io::Error },
    /// A waited-for build, run or check ended other than successfully (or was not waited for long
    /// enough), or a gate failed: `status` is one of the exit statuses above.
    Outcome { status: u8, message: String },
    /// Another error, with what was being done.
    Context { context: String, source: Box<CliError> },
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Outcome { status, .. } => *status,
            CliError::Context { source, .. } => source.exit_code(),
            CliError::Api(_)
            | CliError::Credentials(_)
            | CliError::Config(_)
            | CliError::Unexpected(_)
            | CliError::Io { .. } => ERROR,
        }
    }

    /// The message on one line (service messages may hold line breaks).
    pub fn one_line(&self) -> String {
        self.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Whether this is a write to a closed pipe (`codearts … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Io { source, .. } => source.kind() == std::io::ErrorKind::BrokenPipe,
            CliError::Api(e) => {
                // The log downloads report a failed writer as a transport error with the I/O cause.
                let mut cause = std::error::Error::source(e);
                while let Some(c) = cause {
                    if c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    {
                        return true;
                    }
                    cause = c.source();
                }
                false
            }
            CliError::Context { source, .. } => source.is_broken_pipe(),
            _ => false,
        }
    }

    /// This error, prefixed with what was being done.
    pub fn context(self, context: impl Into<String>) -> CliError {
        CliError::Context { context: context.into(), source: Box::new(self) }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Api(e) => write!(f, "{e}"),
            CliError::Credentials(e) => write!(f, "{e}"),
            CliError::Usage(m) | CliError::Config(m) | CliError::Unexpected(m) => f.write_str(m),
            CliError::Io { what, source } => write!(f, "{what}: {source}"),
            CliError::Outcome { message, .. } => f.write_str(message),
            CliError::Context { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl From<codearts::Error> for CliError {
    fn from(e: codearts::Error) -> Self {
        CliError::Api(e)
    }
}

/// Maps an I/O error with what was being done.
pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
    let what = what.into();
    move |source| CliError::Io { what, source }
}
