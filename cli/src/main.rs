//! `codearts`: the command line for CodeArts Build, Check and Pipeline (crate `codearts-cli`).
//!
//! ```text
//! cargo run -p codearts-cli -- build run f9d6c8466d614a9788e9a0acf6c15f46 --follow
//! ```
//!
//! Hand-written on top of the SDK and kept apart from the generated code: every call goes through
//! the generated clients and the library's helpers (`codearts::wait`, `codearts::logs`,
//! `codearts::paginate`, the credential chain). The workflow commands ([`build`], [`check`]) are
//! clap derive ([`args`]); beside them, one command per operation of every spec is built from the
//! specs' table ([`operations`]). This binary builds the [`codearts::Config`] ([`config`]), runs
//! the command and formats what came back ([`output`], [`table`]). Exit statuses are in [`error`].

mod api;
mod args;
mod build;
mod check;
mod config;
mod emulator;
mod error;
mod operations;
mod output;
mod pipeline;
mod table;

use std::collections::BTreeSet;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use args::{Cli, Command, ConfigCommand, GlobalArgs};
use error::CliError;
use output::Output;

/// The whole command tree: the workflow commands and one command per operation.
pub fn command_tree() -> clap::Command {
    operations::augment(Cli::command())
}

#[tokio::main]
async fn main() -> ExitCode {
    let tree = command_tree();
    let reserved: BTreeSet<String> = tree.get_arguments().filter_map(|a| a.get_long().map(str::to_string)).collect();
    // Usage errors exit here with status 2 (`error::USAGE`), in one line; --help and --version
    // with 0.
    let matches = match tree.try_get_matches() {
        Ok(m) => m,
        Err(e) if e.use_stderr() => {
            eprintln!("{}", one_line_usage(&e));
            return ExitCode::from(error::USAGE);
        }
        Err(e) => e.exit(),
    };
    let global = match GlobalArgs::from_arg_matches(&matches) {
        Ok(g) => g,
        Err(e) => e.exit(),
    };
    let out = Output::new(global.output);
    let result = match generated(&matches) {
        Some((op, op_matches)) => operations::run(&global, &out, op, op_matches, &reserved).await,
        None => match Cli::from_arg_matches(&matches) {
            Ok(cli) => run(cli, &out).await,
            Err(e) => e.exit(),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `codearts … | head`: the reader went away, which is not an error of ours.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.one_line());
            ExitCode::from(e.exit_code())
        }
    }
}

/// clap's message up to its first blank line (the problem, without the usage and the tip), on one
/// line: `error: the following required arguments were not provided: --job-id <VALUE>`.
fn one_line_usage(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let problem: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    problem.join(" ")
}

/// The per-operation command the matches chose, if any (hand-written commands keep their names).
fn generated(matches: &clap::ArgMatches) -> Option<(&'static operations::Op, &clap::ArgMatches)> {
    let (service, sub) = matches.subcommand()?;
    let (name, op_matches) = sub.subcommand()?;
    let hand_written = Cli::command().find_subcommand(service).is_some_and(|s| s.find_subcommand(name).is_some());
    if hand_written {
        return None;
    }
    operations::find(service, name).map(|op| (op, op_matches))
}

async fn run(cli: Cli, out: &Output) -> Result<(), CliError> {
    match cli.command {
        Command::Build(command) => build::run(&cli.global, out, command).await,
        Command::Check(command) => check::run(&cli.global, out, command).await,
        Command::Pipeline(command) => pipeline::run(&cli.global, out, command).await,
        Command::Emulator(args) => emulator::run(args).await,
        Command::Api(args) => api::run(&cli.global, out, args).await,
        Command::Config(ConfigCommand::Show) => config::show(&cli.global, out),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command_tree(), "codearts", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { dir } => {
            std::fs::create_dir_all(&dir).map_err(error::io(format!("creating {}", dir.display())))?;
            clap_mangen::generate_to(command_tree(), &dir)
                .map_err(error::io(format!("writing to {}", dir.display())))?;
            eprintln!("wrote the man pages to {}", dir.display());
            Ok(())
        }
    }
}
