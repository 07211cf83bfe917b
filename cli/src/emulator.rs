//! `codearts emulator`: the emulator (`codearts-emulator`) on a loopback port with its demo
//! resources, and the environment that points this CLI at it: the same front door as the
//! `codearts-emulator` binary.

use codearts_emulator::{Demo, Emulator};

use crate::args::EmulatorArgs;
use crate::error::{CliError, io};

pub async fn run(args: EmulatorArgs) -> Result<(), CliError> {
    let emulator = Emulator::builder()
        .port(args.port)
        .step_duration(args.step)
        .retain(usize::try_from(args.retain).unwrap_or(usize::MAX))
        .start()
        .await
        .map_err(io(format!("cannot listen on 127.0.0.1:{}", args.port)))?;
    let demo = if args.no_demo {
        Demo::default()
    } else {
        emulator.seed_demo().await.map_err(|e| CliError::Unexpected(e.to_string()))?
    };
    print!("{}", emulator.instructions(&demo));
    println!("  (build steps take {})", humantime::format_duration(args.step));
    tokio::signal::ctrl_c().await.map_err(io("waiting for Ctrl-C"))?;
    emulator.shutdown().await;
    Ok(())
}
