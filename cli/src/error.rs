//! The CLI's errors and exit statuses.

use std::fmt;

use codearts::credentials::CredentialsError;

// Success is 0 (`ExitCode::SUCCESS`).
/// An API call failed (the service answered with an error, or could not be reached), the
/// credentials or configuration are unusable, or a local file could not be written.
pub const ERROR: u8 = 1;
/// The command line is wrong (clap's own status for usage errors).
pub const USAGE: u8 = 2;
/// The build finished and failed.
pub const BUILD_FAILED: u8 = 3;
/// The build was stopped (aborted) before it finished.
pub const BUILD_STOPPED: u8 = 4;
/// `--max-wait` ran out before the build finished (the build goes on).
pub const TIMED_OUT: u8 = 5;

/// The exit statuses, for `--help`.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success (a waited-for build succeeded)
  1  API, credentials, network or file error
  2  usage error
  3  the build failed (the failing step is named on stderr)
  4  the build was stopped
  5  --max-wait ran out before the build finished";

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
    /// A build ended other than successfully (or was not waited for long enough).
    Build { status: u8, message: String },
    /// Another error, with what was being done.
    Context { context: String, source: Box<CliError> },
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Build { status, .. } => *status,
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
            CliError::Build { message, .. } => f.write_str(message),
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
