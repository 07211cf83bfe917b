//! What every example needs first: a Build client, against the real region when credentials are
//! in the environment (or `~/.huaweicloud/credentials`) and `CODEARTS_PROJECT_ID` is set, and against
//! the embedded emulator on 127.0.0.1 otherwise, and a small job to play with.

#![allow(dead_code)] // each example uses its own part of this module

use codearts::Config;
use codearts::build::{Client, types};
use codearts_emulator::{Emulator, RunningEmulator};
use std::time::Duration;

/// A connected client; keeps the emulator (if any) alive until dropped.
pub struct Session {
    pub client: Client,
    /// The CodeArts project whose jobs the example creates or lists.
    pub project: String,
    pub emulator: Option<RunningEmulator>,
}

/// Connects as described in the module docs and says which of the two it is doing. `step` is how
/// long each build step takes on the emulator.
pub async fn connect(step: Duration) -> Result<Session, Box<dyn std::error::Error>> {
    if let (Ok(project), Ok(config)) = (std::env::var("CODEARTS_PROJECT_ID"), Config::from_env()) {
        println!("Credentials found: running against {:?}.\n", config.region());
        return Ok(Session { client: Client::from_config(&config)?, project, emulator: None });
    }
    let emulator = Emulator::builder().step_duration(step).start().await?;
    println!(
        "No credentials in the environment: running against the embedded CodeArts Build emulator at {}\n\
         (a local stand-in, not the real service; set HUAWEICLOUD_SDK_AK/SK, a region and\n\
         CODEARTS_PROJECT_ID to run the same flow for real).\n",
        emulator.base_url()
    );
    let config = emulator.config_builder().credentials(emulator.password_credentials()).build()?;
    Ok(Session {
        client: Client::from_config(&config)?,
        project: "6ecbc5bac7c8442fb3d2563d53c13582".to_string(),
        emulator: Some(emulator),
    })
}

/// A CreateBuildJob body: a Maven build and an upload step, with one build parameter.
pub fn job_body(project: &str, name: &str) -> types::CreateBuildJobRequestBody {
    let body = serde_json::json!({
        "arch": "x86-64",
        "project_id": project,
        "job_name": name,
        "parameters": [{"name": "hudson.model.StringParameterDefinition", "params": [
            {"name": "name", "value": "releaseVersion"}, {"name": "type", "value": "normalparam"},
            {"name": "defaults", "value": "1.0.0"}
        ]}],
        "scms": [{"url": "git@example.com:demo/maven-demo.git", "scm_type": "codehub", "branch": "master",
                  "web_url": "https://example.com/demo/maven-demo"}],
        "steps": [
            {"module_id": "devcloud2018.codeci_action_20057.action", "name": "Build with Maven", "enable": true,
             "properties": {"command": "mvn package -Dmaven.test.skip=true"}},
            {"module_id": "devcloud2018.codeci_action_20043.action", "name": "Upload to Release Repo", "enable": true,
             "properties": {}}
        ]
    });
    serde_json::from_value(body).expect("a valid CreateBuildJob body")
}

/// Creates a job named `name` and returns its ID.
pub async fn create_job(session: &Session, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    use codearts::CallExt;
    let job = session.client.create_build_job().body(job_body(&session.project, name)).call().await?;
    Ok(job.result.and_then(|r| r.job_id).ok_or("CreateBuildJob returned no job id")?)
}
