//! `codearts emulator`: the library's emulator (`codearts::emulator`) on a loopback port, with a
//! demo project, and the environment that points this CLI at it.

use codearts::CallExt;
use codearts::build::{Client, types};
use codearts::emulator::{DEFAULT_AK, DEFAULT_SK, Emulator, RunningEmulator};
use serde_json::json;

use crate::args::EmulatorArgs;
use crate::error::{CliError, io};

/// The demo CodeArts project (the ID of the reference's examples).
pub const DEMO_PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";

/// The demo jobs: name, steps, and what a run does. The emulator fails a step whose name
/// contains "fail".
const DEMO_JOBS: &[(&str, &[&str], &str)] = &[
    ("demo-build", &["Build with Maven", "Unit tests", "Package"], "succeeds"),
    ("demo-failing", &["Build with Maven", "Integration tests that fail"], "fails at its last step"),
];

pub async fn run(args: EmulatorArgs) -> Result<(), CliError> {
    let emulator = Emulator::builder()
        .port(args.port)
        .step_duration(args.step)
        .start()
        .await
        .map_err(io(format!("cannot listen on 127.0.0.1:{}", args.port)))?;
    let demo = if args.no_demo_jobs { Vec::new() } else { seed(&emulator).await? };
    let url = emulator.base_url();
    let mut text = format!(
        "CodeArts Build emulator listening on {url} (loopback only; Ctrl-C stops it)\n\
         build steps take {}\n",
        humantime::format_duration(args.step)
    );
    if !demo.is_empty() {
        text += &format!("demo project {DEMO_PROJECT}:\n");
        let width = demo.iter().map(|(_, name, _)| name.len()).max().unwrap_or(0);
        for (id, name, what) in &demo {
            text += &format!("  job {id}  {name:width$}  {what}\n");
        }
    }
    text += &format!(
        "\nPoint the codearts CLI at it (in another shell):\n\
         \x20 export CODEARTS_ENDPOINT={url}\n\
         \x20 export HUAWEICLOUD_SDK_AK={DEFAULT_AK} HUAWEICLOUD_SDK_SK={DEFAULT_SK}\n\
         \x20 export HUAWEICLOUD_SDK_PROJECT_ID={}\n\
         \x20 export CODEARTS_PROJECT_ID={DEMO_PROJECT}\n\
         \x20 codearts build jobs list\n",
        emulator.iam_project_id()
    );
    if let Some((id, _, _)) = demo.first() {
        text += &format!("  codearts build run {id} --follow\n");
    }
    print!("{text}");
    tokio::signal::ctrl_c().await.map_err(io("waiting for Ctrl-C"))?;
    emulator.shutdown().await;
    Ok(())
}

/// Creates the demo jobs through the SDK, as any client would; returns (ID, name, what it does).
async fn seed(emulator: &RunningEmulator) -> Result<Vec<(String, &'static str, &'static str)>, CliError> {
    let config = emulator.config_builder().credentials(emulator.aksk_credentials()).build()?;
    let client = Client::from_config(&config)?;
    let mut created = Vec::new();
    for (name, steps, what) in DEMO_JOBS {
        let body: types::CreateBuildJobRequestBody = serde_json::from_value(json!({
            "arch": "x86-64",
            "project_id": DEMO_PROJECT,
            "job_name": name,
            "flavor": "2u8g",
            "host_type": "devcloud.cloudbuild.host.type.default",
            "build_config_type": "form",
            "scms": [{
                "url": "git@codehub.example.com:demo/maven-demo.git",
                "scm_type": "codehub",
                "branch": "master",
                "repo_id": "2111699211",
                "web_url": "https://codehub.example.com/demo/maven-demo"
            }],
            "steps": steps.iter().map(|step| json!({
                "module_id": "devcloud2018.codeci_action_20057.action",
                "name": step,
                "enable": true,
                "properties": {"command": format!("echo {step}")}
            })).collect::<Vec<_>>()
        }))
        .map_err(|e| CliError::Unexpected(format!("the demo job {name} does not fit the API: {e}")))?;
        let response = client.create_build_job().body(body).call().await?;
        let id = response
            .result
            .and_then(|r| r.job_id)
            .ok_or_else(|| CliError::Unexpected(format!("CreateBuildJob answered without the ID of {name}")))?;
        created.push((id, *name, *what));
    }
    Ok(created)
}
