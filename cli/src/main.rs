//! `codearts`: the command line for CodeArts Build, Check and Pipeline (crate `codearts-cli`).
//!
//! ```text
//! cargo run -p codearts-cli -- build run f9d6c8466d614a9788e9a0acf6c15f46 --follow
//! ```
//!
//! Hand-written on top of the SDK and kept apart from the generated code: every call goes through
//! the generated clients and the library's helpers (`codearts::wait`, `codearts::logs`,
//! `codearts::paginate`, the credential chain); this binary parses arguments ([`args`]), builds the
//! [`codearts::Config`] ([`config`]), runs the command ([`build`], [`check`], `emulator`) and
//! formats what came back ([`output`]). Exit statuses are in [`error`].

mod args;
mod build;
mod check;
mod config;
mod emulator;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use error::CliError;
use output::Output;

#[tokio::main]
async fn main() -> ExitCode {
    // Usage errors exit here with clap's status 2 (`error::USAGE`); --help and --version with 0.
    let cli = Cli::parse();
    let out = Output::new(cli.global.output);
    match run(cli, &out).await {
        Ok(()) => ExitCode::SUCCESS,
        // `codearts … | head`: the reader went away, which is not an error of ours.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.one_line());
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli, out: &Output) -> Result<(), CliError> {
    match cli.command {
        Command::Build(command) => build::run(&cli.global, out, command).await,
        Command::Check(command) => check::run(&cli.global, out, command).await,
        Command::Emulator(args) => emulator::run(args).await,
    }
}
