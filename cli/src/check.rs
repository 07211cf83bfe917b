//! `codearts check …`: CodeArts Check through `codearts::check::Client`.

use codearts::CallExt;
use codearts::check::{Client, types};

use crate::args::{CheckCommand, GlobalArgs};
use crate::config;
use crate::error::CliError;
use crate::output::Output;

/// The repository token of `check run --git-url`: an environment variable, so that it never
/// appears in the process list or the shell's history.
const ACCESS_TOKEN_VAR: &str = "CODEARTS_CHECK_ACCESS_TOKEN";

pub async fn run(global: &GlobalArgs, out: &Output, command: CheckCommand) -> Result<(), CliError> {
    let config = config::load(global)?;
    let client = Client::from_config(&config)?;
    match command {
        CheckCommand::Run { task, git_url, git_branch, username } => {
            let access_token = std::env::var(ACCESS_TOKEN_VAR).ok().filter(|t| !t.is_empty());
            let body = types::RunRequestV2::builder()
                .access_token(access_token)
                .git_branch(git_branch)
                .git_url(git_url)
                .username(username);
            let response = client.run_task().task_id(&task).body(body).call().await?;
            if out.is_json() {
                return out.json(&response);
            }
            match response.exec_id {
                Some(id) => out.text(&format!("started check task {task}: execution {id}")),
                None => out.text(&format!("started check task {task} (the service returned no execution ID)")),
            }
        }
    }
}
