//! `codearts-emulator`: the CodeArts Build (and IAM) emulator on a loopback port, for other languages'
//! clients, conformance tools and trying the API by hand.
//!
//! ```text
//! cargo run --features emulator --bin codearts-emulator -- [--port 8937] [--step-ms 50]
//! ```
//!
//! It listens on 127.0.0.1 only, prints its URL, the demo credentials and the environment that
//! points the SDK at it, and runs until interrupted.

use std::process::ExitCode;
use std::time::Duration;

use codearts::emulator::{
    DEFAULT_AK, DEFAULT_DOMAIN, DEFAULT_IAM_PROJECT_ID, DEFAULT_IAM_PROJECT_NAME, DEFAULT_PASSWORD, DEFAULT_PORT,
    DEFAULT_SK, DEFAULT_STEP_DURATION, DEFAULT_USER, Emulator,
};
use codearts::region::Service;

const USAGE: &str = "usage: codearts-emulator [--port PORT] [--step-ms MILLISECONDS]

  --port PORT          loopback port to listen on (default 8937; 0 picks a free one)
  --step-ms MS         how long each build step takes, in milliseconds (default 50)";

struct Args {
    port: u16,
    step: Duration,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args { port: DEFAULT_PORT, step: DEFAULT_STEP_DURATION };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |name: &str| inline.clone().or_else(|| args.next()).ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("--port")?;
                parsed.port = v.parse().map_err(|_| format!("--port: `{v}` is not a port number"))?;
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
    let emulator = match Emulator::builder().port(args.port).step_duration(args.step).start().await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let url = emulator.base_url();
    let region = DEFAULT_IAM_PROJECT_NAME;
    println!("CodeArts Build emulator listening on {url} (loopback only; Ctrl-C stops it)");
    println!("  CodeArts Build and IAM endpoint: {url}");
    println!("  IAM project: {region} ({DEFAULT_IAM_PROJECT_ID})");
    println!("  password login: domain {DEFAULT_DOMAIN}, user {DEFAULT_USER}, password {DEFAULT_PASSWORD}");
    println!("  AK/SK: {DEFAULT_AK} / {DEFAULT_SK}");
    println!("  build steps take {} ms", args.step.as_millis());
    println!();
    println!("To point the codearts SDK (Config::from_env) at it:");
    println!("  export HUAWEICLOUD_SDK_REGION={region}");
    println!("  export {}={url}", Service::Build.env_override_var(region));
    println!("  export HUAWEICLOUD_SDK_IAM_ENDPOINT={url}");
    println!("  export HUAWEICLOUD_SDK_AK={DEFAULT_AK} HUAWEICLOUD_SDK_SK={DEFAULT_SK}");
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
