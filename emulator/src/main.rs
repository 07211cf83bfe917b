//! `codearts-emulator`: the CodeArts emulator (Build, Check, Pipeline and IAM) on a loopback port,
//! for other languages' clients, conformance tools and trying the API by hand.
//!
//! ```text
//! cargo run -p codearts-emulator -- [--port 8937] [--step-ms 50] [--retain 100] [--no-demo]
//! ```
//!
//! It listens on 127.0.0.1 only, creates the demo resources (as `codearts emulator` does), prints
//! its URL, the credentials, the demo resources and the environment that points the SDK, the CLI
//! or a vendor SDK at it, and runs until interrupted.

use std::process::ExitCode;
use std::time::Duration;

use codearts_emulator::{DEFAULT_PORT, DEFAULT_RETAIN, DEFAULT_STEP_DURATION, Demo, Emulator};

const USAGE: &str = "usage: codearts-emulator [--port PORT] [--step-ms MILLISECONDS] [--retain N] [--no-demo]

  --port PORT          loopback port to listen on (default 8937; 0 picks a free one)
  --step-ms MS         how long each build step takes, in milliseconds (default 50)
  --retain N           finished builds, check runs and pipeline runs kept per job, task and
                       pipeline, with their logs; older ones are forgotten (default 100)
  --no-demo            start empty, without the demo resources";

struct Args {
    port: u16,
    step: Duration,
    retain: usize,
    demo: bool,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args { port: DEFAULT_PORT, step: DEFAULT_STEP_DURATION, retain: DEFAULT_RETAIN, demo: true };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--no-demo" => parsed.demo = false,
            "--port" => {
                let v = value("--port")?;
                parsed.port = v.parse().map_err(|_| format!("--port: `{v}` is not a port number"))?;
            }
            "--retain" => {
                let v = value("--retain")?;
                parsed.retain =
                    v.parse().ok().filter(|n| *n > 0).ok_or(format!("--retain: `{v}` is not a positive number"))?;
            }
            "--step-ms" => {
                let v = value("--step-ms")?;
                let ms: u64 = v.parse().map_err(|_| format!("--step-ms: `{v}` is not a number of milliseconds"))?;
                parsed.step = Duration::from_millis(ms);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(parsed))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let emulator = match Emulator::builder().port(args.port).step_duration(args.step).retain(args.retain).start().await
    {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let demo = if args.demo {
        match emulator.seed_demo().await {
            Ok(demo) => demo,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        Demo::default()
    };
    print!("{}", emulator.instructions(&demo));
    println!("  (build steps take {} ms)", args.step.as_millis());
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
