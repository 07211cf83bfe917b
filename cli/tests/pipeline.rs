//! `codearts pipeline …` end to end: the binary against the emulator started in this process on
//! 127.0.0.1 (AK/SK credentials in its environment, nothing else of the machine's): list, show,
//! run (--wait, --follow, --param, --stage), status (the stage → job → step tree), approve /
//! reject, stop, retry, logs, runs, and the exit statuses 3/4/5.

use std::time::Duration;

use assert_cmd::Command;
use codearts::CallExt;
use codearts::pipeline::{Client, types};
use codearts_emulator::{DEFAULT_AK, DEFAULT_SK, Emulator, RunningEmulator};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_codearts");
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const STEP: Duration = Duration::from_millis(20);

const FAILED: i32 = 3;
const STOPPED: i32 = 4;
const TIMED_OUT: i32 = 5;

struct Env {
    emulator: RunningEmulator,
    client: Client,
    home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Env {
    fn start(step: Duration) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let emulator = rt.block_on(Emulator::builder().step_duration(step).start()).expect("the emulator starts");
        let config = emulator.config_builder().credentials(emulator.aksk_credentials()).build().unwrap();
        let client = Client::from_config(&config).unwrap();
        Env { emulator, client, home: tempfile::tempdir().unwrap(), rt }
    }

    fn table_cli(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
            .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", self.emulator.iam_project_id())
            .env("CODEARTS_PROJECT_ID", PROJECT)
            .args(["--endpoint", self.emulator.base_url()])
            .timeout(Duration::from_secs(60));
        cmd
    }

    fn cli(&self) -> Command {
        let mut cmd = self.table_cli();
        cmd.args(["--output", "json"]);
        cmd
    }

    /// A pipeline of `stages`: (stage name, its job's steps).
    fn create(&self, name: &str, stages: &[(&str, &[&str])]) -> String {
        let stages: Vec<Value> = stages
            .iter()
            .map(|(stage, steps)| {
                json!({"name": stage, "identifier": format!("stage-{stage}"),
                    "jobs": [{"name": format!("{stage} job"), "identifier": format!("job-{stage}"),
                        "steps": steps.iter().map(|s| {
                            let task = if s.contains("review") { "official_devcloud_manualReview" } else { "official_devcloud_cloudBuild" };
                            json!({"name": s, "task": task})
                        }).collect::<Vec<_>>()}]})
            })
            .collect();
        let body: types::PipelineDto = serde_json::from_value(json!({
            "name": name, "is_publish": false, "definition": json!({"stages": stages}).to_string(),
            "variables": [{"name": "releaseVersion", "value": "1.0.0"}]}))
        .unwrap();
        let created =
            self.rt.block_on(self.client.create_pipeline_new().project_id(PROJECT).body(body).call()).unwrap();
        created.pipeline_id.unwrap()
    }
}

fn json_out(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    })
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn list_show_run_wait_status_logs_and_runs() {
    let env = Env::start(STEP);
    let pipeline = env.create("web", &[("Build", &["Compile", "Unit tests"]), ("Package", &["Zip"])]);

    let listed = env.table_cli().args(["pipeline", "list"]).output().unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains(&pipeline) && text.contains("web") && text.contains("never run"), "{text}");

    let shown = env.table_cli().args(["pipeline", "show", &pipeline]).output().unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("Build (Build job) → Package (Package job)") && text.contains("releaseVersion=1.0.0"),
        "{text}"
    );

    let run = env
        .cli()
        .args(["pipeline", "run", &pipeline, "--param", "releaseVersion=2.0.0", "--wait", "--poll-interval", "20ms"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let report = json_out(&run);
    assert_eq!(report["outcome"], "completed");
    let run_id = report["pipeline_run_id"].as_str().unwrap().to_string();

    let status = env.table_cli().args(["pipeline", "status", &pipeline, &run_id]).output().unwrap();
    let tree = String::from_utf8_lossy(&status.stdout);
    assert!(tree.starts_with("run #1 of pipeline web  COMPLETED"), "{tree}");
    assert!(tree.contains("├─ Build  COMPLETED") && tree.contains("└─ Package  COMPLETED"), "{tree}");
    assert!(tree.contains("│     ├─ Compile  COMPLETED") && tree.contains("      └─ Zip  COMPLETED"), "{tree}");

    let logs = env.table_cli().args(["pipeline", "logs", &pipeline, "--step", "Compile"]).output().unwrap();
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(
        text.starts_with("[")
            && text.contains("Start step Compile")
            && text.trim_end().ends_with("Finished: COMPLETED"),
        "{text}"
    );

    let runs = env.table_cli().args(["pipeline", "runs", &pipeline]).output().unwrap();
    let text = String::from_utf8_lossy(&runs.stdout);
    assert!(text.contains("#1") && text.contains("COMPLETED") && text.contains(&run_id), "{text}");
}

#[test]
fn follow_prints_every_steps_lines_then_the_tree() {
    let env = Env::start(STEP);
    let pipeline = env.create("followed", &[("Build", &["Compile"]), ("Test", &["Unit tests"])]);
    let run =
        env.table_cli().args(["pipeline", "run", &pipeline, "--follow", "--poll-interval", "20ms"]).output().unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    let compile = text.find("[Build / Compile]").expect("Compile's lines");
    let tests = text.find("[Test / Unit tests]").expect("the tests' lines");
    assert!(compile < tests, "in order: {text}");
    assert_eq!(text.matches("Start step Compile").count(), 1, "each line once: {text}");
    assert!(text.contains("run #1 of pipeline followed  COMPLETED"), "{text}");
}

#[test]
fn a_failed_run_exits_3_naming_the_step_and_retry_completes_it() {
    let env = Env::start(STEP);
    let pipeline = env.create("flaky", &[("Build", &["Compile"]), ("Test", &["Integration"])]);
    let run = env.cli().args(["pipeline", "run", &pipeline, "--param", "fail=Integration", "--wait"]).output().unwrap();
    assert_eq!(run.status.code(), Some(FAILED), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("failed at stage \"Test\", job \"Test job\", step \"Integration\""),
        "{}",
        stderr(&run)
    );
    let report = json_out(&run);
    assert_eq!((report["outcome"].as_str(), report["at"]["step"].as_str()), (Some("failed"), Some("Integration")));
    let run_id = report["pipeline_run_id"].as_str().unwrap();

    let retried = env.table_cli().args(["pipeline", "retry", &pipeline, run_id]).output().unwrap();
    assert!(retried.status.success(), "{}", stderr(&retried));
    std::thread::sleep(STEP * 10);
    let status = env.cli().args(["pipeline", "status", &pipeline, run_id]).output().unwrap();
    assert_eq!(json_out(&status)["status"], "COMPLETED");

    // Retrying a run that did not fail is the service's error: exit 1.
    let again = env.table_cli().args(["pipeline", "retry", &pipeline, run_id]).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
}

#[test]
fn a_review_exits_5_until_approved_and_a_rejection_fails_the_run() {
    let env = Env::start(STEP);
    let pipeline = env.create("reviewed", &[("Build", &["Compile"]), ("Release", &["Manual review", "Deploy"])]);
    let run =
        env.table_cli().args(["pipeline", "run", &pipeline, "--wait", "--poll-interval", "20ms"]).output().unwrap();
    assert_eq!(run.status.code(), Some(TIMED_OUT), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains("waits for the manual review \"Manual review\" of stage \"Release\""), "{message}");
    let run_id =
        message.split("codearts pipeline approve ").nth(1).unwrap().split_whitespace().nth(1).unwrap().to_string();
    let tree = String::from_utf8_lossy(&run.stdout);
    assert!(tree.contains("Release job  PAUSED"), "{tree}");

    let approved =
        env.table_cli().args(["pipeline", "approve", &pipeline, &run_id, "--comment", "ship it"]).output().unwrap();
    assert!(approved.status.success(), "{}", stderr(&approved));
    assert!(String::from_utf8_lossy(&approved.stdout).contains("approved \"Manual review\""));
    std::thread::sleep(STEP * 6);
    let status = env.cli().args(["pipeline", "status", &pipeline, &run_id]).output().unwrap();
    assert_eq!(json_out(&status)["status"], "COMPLETED");
    // Nothing waits any more: a usage error, nothing sent.
    let nothing = env.table_cli().args(["pipeline", "approve", &pipeline, &run_id]).output().unwrap();
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));

    let run = env.cli().args(["pipeline", "run", &pipeline, "--wait", "--poll-interval", "20ms"]).output().unwrap();
    assert_eq!(run.status.code(), Some(TIMED_OUT));
    let run_id = json_out(&run)["pipeline_run_id"].as_str().unwrap().to_string();
    let rejected = env.table_cli().args(["pipeline", "reject", &pipeline, &run_id]).output().unwrap();
    assert!(rejected.status.success(), "{}", stderr(&rejected));
    let status = env.cli().args(["pipeline", "status", &pipeline, &run_id]).output().unwrap();
    assert_eq!(json_out(&status)["status"], "FAILED");
}

#[test]
fn stop_exits_4_for_the_waiter_and_max_wait_exits_5() {
    let env = Env::start(Duration::from_millis(400));
    let pipeline = env.create("slow", &[("Build", &["One", "Two", "Three", "Four", "Five"])]);
    let started = env.cli().args(["pipeline", "run", &pipeline]).output().unwrap();
    assert!(started.status.success(), "{}", stderr(&started));
    let run_id = json_out(&started)["pipeline_run_id"].as_str().unwrap().to_string();
    let timed_out = env
        .table_cli()
        .args(["pipeline", "run", &pipeline, "--max-wait", "300ms", "--poll-interval", "50ms"])
        .output()
        .unwrap();
    assert_eq!(timed_out.status.code(), Some(TIMED_OUT), "{}", stderr(&timed_out));
    assert!(stderr(&timed_out).contains("still running after 300ms"), "{}", stderr(&timed_out));

    let stop = env.table_cli().args(["pipeline", "stop", &pipeline, &run_id]).output().unwrap();
    assert!(stop.status.success(), "{}", stderr(&stop));
    let status = env.cli().args(["pipeline", "status", &pipeline, &run_id]).output().unwrap();
    assert_eq!(json_out(&status)["status"], "CANCELED");

    // A waiter that sees the stop exits 4.
    let mut waiter = std::process::Command::new(BIN);
    waiter
        .env_clear()
        .env("HOME", env.home.path())
        .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
        .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", env.emulator.iam_project_id())
        .env("CODEARTS_PROJECT_ID", PROJECT)
        .args([
            "--endpoint",
            env.emulator.base_url(),
            "--output",
            "json",
            "pipeline",
            "run",
            &pipeline,
            "--wait",
            "--poll-interval",
            "50ms",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = waiter.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let runs = env.cli().args(["pipeline", "runs", &pipeline]).output().unwrap();
    let latest = json_out(&runs)[0]["pipeline_run_id"].as_str().unwrap().to_string();
    assert!(env.table_cli().args(["pipeline", "stop", &pipeline, &latest]).output().unwrap().status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(STOPPED), "{}", stderr(&output));
}

#[test]
fn unknown_pipelines_and_bad_input_are_errors() {
    let env = Env::start(STEP);
    let unknown =
        env.table_cli().args(["pipeline", "run", "ffffffffffffffffffffffffffffffff", "--wait"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("DEVPIPE.00011401"), "{}", stderr(&unknown));
    let bad = env.table_cli().args(["pipeline", "run", "p", "--param", "novalue"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let no_project = {
        let mut cmd = env.table_cli();
        cmd.env_remove("CODEARTS_PROJECT_ID");
        cmd.args(["pipeline", "list"]).output().unwrap()
    };
    assert_eq!(no_project.status.code(), Some(2), "{}", stderr(&no_project));
}
