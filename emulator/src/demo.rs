//! The demo state a newcomer starts from, and what to tell them: the one front door shared by the
//! `codearts-emulator` binary and `codearts emulator`, so that following either one can run a
//! build at once.
//!
//! The demo resources are created through the SDK over HTTP, exactly as any client would create
//! them, so they are what the API makes of such requests.

use codearts::CallExt;
use codearts::build::Client;
use codearts::region::Service;

use crate::{DEFAULT_AK, DEFAULT_IAM_PROJECT_NAME, DEFAULT_SK, RunningEmulator};

/// The demo CodeArts project (the ID of the Build reference's examples).
pub const DEMO_PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";

/// The demo jobs: name, steps, and what a run does. The emulator fails a step whose name contains
/// "fail".
const DEMO_JOBS: &[(&str, &[&str], &str)] = &[
    ("demo-build", &["Build with Maven", "Unit tests", "Package"], "succeeds"),
    ("demo-failing", &["Build with Maven", "Integration tests that fail"], "fails at its last step"),
];

/// The demo check tasks: repository name, branch, and what a check finds (the emulator's Java
/// rules on its three Java files; a branch named *fail* fails).
const DEMO_CHECK_TASKS: &[(&str, &str, &str)] = &[
    ("java-demo", "master", "finds 3 critical, 6 major, 6 minor, 3 suggestion defects"),
    ("java-demo", "fail-demo", "fails"),
];

/// What the demo holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Demo {
    /// The CodeArts project of the demo resources.
    pub project_id: String,
    /// The demo build jobs: (ID, name, what a run does).
    pub jobs: Vec<(String, String, String)>,
    /// The demo check tasks: (ID, name, what a check does).
    pub check_tasks: Vec<(String, String, String)>,
    /// The demo pipelines: (ID, name, what a run does).
    pub pipelines: Vec<(String, String, String)>,
}

/// The demo pipeline: a build stage, a manual review, a deploy stage.
const DEMO_PIPELINE: (&str, &str) = ("demo-pipeline", "builds, waits for a manual review, deploys");

/// The demo pipeline's definition (PipelineDTO.definition: a JSON string).
fn demo_definition() -> String {
    serde_json::json!({"stages": [
        {"name": "Build", "identifier": "build", "pre": [{"task": "official_devcloud_autoTrigger"}],
         "jobs": [{"name": "Build", "identifier": "build-job", "steps": [
             {"name": "Compile", "task": "official_devcloud_cloudBuild"},
             {"name": "Unit tests", "task": "official_devcloud_cloudBuild"}]}]},
        {"name": "Review", "identifier": "review",
         "jobs": [{"name": "Approve", "identifier": "approve-job", "steps": [
             {"name": "Manual review", "task": "official_devcloud_manualReview"}]}]},
        {"name": "Deploy", "identifier": "deploy",
         "jobs": [{"name": "Deploy", "identifier": "deploy-job", "steps": [
             {"name": "Deploy to test", "task": "official_devcloud_deploy"}]}]}
    ]})
    .to_string()
}

/// Why the demo could not be created (the emulator answered its own client with an error).
#[derive(Debug)]
pub struct DemoError(pub codearts::Error);

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "creating the demo resources: {}", self.0)
    }
}

impl std::error::Error for DemoError {}

impl RunningEmulator {
    /// Creates the demo resources (see [`Demo`]) through the SDK, signed with the first key pair.
    pub async fn seed_demo(&self) -> Result<Demo, DemoError> {
        let config = self.config_builder().credentials(self.aksk_credentials()).build().map_err(DemoError)?;
        let client = Client::from_config(&config).map_err(DemoError)?;
        let mut demo = Demo { project_id: DEMO_PROJECT.to_string(), ..Demo::default() };
        for (name, steps, what) in DEMO_JOBS {
            let body = crate::fixtures::build_job(DEMO_PROJECT, name, steps, Vec::new());
            let response = client.create_build_job().body(body).call().await.map_err(DemoError)?;
            if let Some(id) = response.result.and_then(|r| r.job_id) {
                demo.jobs.push((id, name.to_string(), what.to_string()));
            }
        }
        let check = codearts::check::Client::from_config(&config).map_err(DemoError)?;
        for (repo, branch, what) in DEMO_CHECK_TASKS {
            let languages = vec![codearts::check::types::Language::from("JAVA".to_string())];
            let response = check
                .create_task()
                .project_id(DEMO_PROJECT)
                .body_map(|b| {
                    b.git_url(format!("git@example.com:demo/{repo}.git")).git_branch(*branch).language(Some(languages))
                })
                .call()
                .await
                .map_err(DemoError)?;
            if let Some(id) = response.task_id {
                demo.check_tasks.push((id, format!("{repo}_{branch}"), what.to_string()));
            }
        }
        let pipelines = codearts::pipeline::Client::from_config(&config).map_err(DemoError)?;
        let (name, what) = DEMO_PIPELINE;
        let body = codearts::pipeline::types::PipelineDto::builder()
            .name(name.to_string())
            .description(what.to_string())
            .is_publish(false)
            .definition(demo_definition());
        let created =
            pipelines.create_pipeline_new().project_id(DEMO_PROJECT).body(body).call().await.map_err(DemoError)?;
        if let Some(id) = created.pipeline_id {
            demo.pipelines.push((id, name.to_string(), what.to_string()));
        }
        Ok(demo)
    }

    /// What to tell a newcomer: the endpoint, the credentials, the demo resources, and the
    /// environment that points the SDK (`Config::from_env`), the `codearts` CLI and the vendor's
    /// own SDKs at this emulator (they all read `HUAWEICLOUD_SDK_*`).
    pub fn instructions(&self, demo: &Demo) -> String {
        let url = self.base_url();
        let region = DEFAULT_IAM_PROJECT_NAME;
        let mut text = format!(
            "CodeArts emulator (Build, Check, Pipeline and IAM) listening on {url} (loopback only; Ctrl-C stops it)\n\
             \x20 IAM project: {region} ({})\n\
             \x20 AK/SK: {DEFAULT_AK} / {DEFAULT_SK}; password login: domain demo, user demo, password demo-password\n",
            self.iam_project_id()
        );
        if !demo.jobs.is_empty() || !demo.pipelines.is_empty() {
            text += &format!("\nDemo CodeArts project {}:\n", demo.project_id);
            let width = demo.jobs.iter().chain(&demo.pipelines).map(|(_, name, _)| name.len()).max().unwrap_or(0);
            for (id, name, what) in &demo.jobs {
                text += &format!("  build job {id}  {name:width$}  {what}\n");
            }
            for (id, name, what) in &demo.pipelines {
                text += &format!("  pipeline  {id}  {name:width$}  {what}\n");
            }
        }
        text += "\nIn another shell, point the codearts CLI and SDK (or a vendor SDK) at it:\n";
        text += &format!("  export HUAWEICLOUD_SDK_REGION={region}\n");
        for service in [Service::Build, Service::Check, Service::Pipeline] {
            text += &format!("  export {}={url}\n", service.env_override_var(region));
        }
        text += &format!("  export HUAWEICLOUD_SDK_IAM_ENDPOINT={url}\n");
        text += &format!("  export HUAWEICLOUD_SDK_AK={DEFAULT_AK} HUAWEICLOUD_SDK_SK={DEFAULT_SK}\n");
        text += &format!("  export HUAWEICLOUD_SDK_PROJECT_ID={}\n", self.iam_project_id());
        if !demo.project_id.is_empty() {
            text += &format!("  export CODEARTS_PROJECT_ID={}\n", demo.project_id);
        }
        text += "  codearts build jobs list\n";
        if let Some((id, _, _)) = demo.jobs.first() {
            text += &format!("  codearts build run {id} --follow\n");
        }
        if !demo.check_tasks.is_empty() {
            text += "\nDemo check tasks (CodeArts Check):\n";
            let width = demo.check_tasks.iter().map(|(_, name, _)| name.len()).max().unwrap_or(0);
            for (id, name, what) in &demo.check_tasks {
                text += &format!("  check task {id}  {name:width$}  {what}\n");
            }
            if let Some((id, _, _)) = demo.check_tasks.first() {
                text +=
                    &format!("  codearts check run {id} --fail-on critical=0,major=10   # exit 6: the gate fails\n");
                text += &format!("  codearts check defects {id} --severity critical\n");
            }
        }
        if let Some((id, _, _)) = demo.pipelines.first() {
            text += &format!("  codearts pipeline run {id} --follow   # then: codearts pipeline approve RUN\n");
        }
        text
    }
}
