//! `codearts build` workflow commands beyond running builds, end to end against the emulator on
//! 127.0.0.1: copying a job, the recycle bin, keystore files, job groups and a build's stages.
//! Run with `cargo test -p codearts-cli --test build`.

use std::time::Duration;

use assert_cmd::Command;
use codearts::CallExt;
use codearts::build::{Client, types};
use codearts::wait::{BuildOutcome, WaitOptions, wait_for_build};
use codearts_emulator::{DEFAULT_AK, DEFAULT_SK, Emulator, RunningEmulator};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_codearts");
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const USAGE: i32 = 2;
const ERROR: i32 = 1;

struct Env {
    emulator: RunningEmulator,
    client: Client,
    home: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Env {
    fn new() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let emulator = rt
            .block_on(Emulator::builder().step_duration(Duration::from_millis(20)).start())
            .expect("the emulator starts");
        let config = emulator.config_builder().credentials(emulator.aksk_credentials()).build().unwrap();
        let client = Client::from_config(&config).unwrap();
        Env { emulator, client, home: tempfile::tempdir().unwrap(), rt }
    }

    fn cli(&self, json: bool) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
            .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", self.emulator.iam_project_id())
            .env("CODEARTS_PROJECT_ID", PROJECT)
            .args(["--endpoint", self.emulator.base_url()])
            .timeout(Duration::from_secs(60));
        if json {
            cmd.args(["--output", "json"]);
        }
        cmd
    }

    fn run(&self, json: bool, args: &[&str]) -> Run {
        let output = self.cli(json).args(args).output().expect("the binary runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn create_job(&self, name: &str, steps: &[&str]) -> String {
        let body = codearts_emulator::fixtures::build_job(PROJECT, name, steps, Vec::new());
        let created = self.rt.block_on(self.client.create_build_job().body(body).call()).expect("job created");
        created.result.and_then(|r| r.job_id).expect("a job id")
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "exit status\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

#[test]
fn copy_a_job_then_delete_restore_and_purge_it() {
    let env = Env::new();
    let job = env.create_job("service", &["Build with Maven", "Package"]);

    // A copy under the proposed name, then one under a given name.
    let copied = env.run(true, &["build", "copy", &job]).expect(0).json();
    let proposed = copied["result"]["job_id"].as_str().unwrap().to_string();
    let named = env.run(false, &["build", "copy", &job, "--name", "service-staging"]).expect(0);
    assert!(named.stdout.contains("service-staging"), "{}", named.stdout);
    let shown = env.run(true, &["build", "job", "show", &proposed]).expect(0).json();
    assert_eq!(shown["result"]["job_name"], "service-copy");
    let steps: Vec<&str> =
        shown["result"]["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(steps, ["Build with Maven", "Package"], "the copy has the source's steps");
    // The same name twice is the service's error, exit status 1.
    env.run(false, &["build", "copy", &job, "--name", "service-staging"]).expect(ERROR);

    // Delete the copy (the generated DeleteTheJob command), find it in the recycle bin, restore it.
    env.run(true, &["build", "delete-the-job", "--job-id", &proposed]).expect(0);
    let bin = env.run(true, &["build", "recycle-bin", "list"]).expect(0).json();
    assert_eq!(bin["jobs"][0]["job_id"], proposed.as_str());
    let table = env.run(false, &["build", "recycle-bin", "list", "--search", "copy"]).expect(0);
    assert!(table.stdout.contains("service-copy"), "{}", table.stdout);
    env.run(false, &["build", "job", "show", &proposed]).expect(ERROR);
    env.run(false, &["build", "recycle-bin", "restore", &proposed]).expect(0);
    env.run(true, &["build", "job", "show", &proposed]).expect(0);

    // Delete both copies; purge one by ID, then the rest with --all.
    let staging = env.run(true, &["build", "copy", &job, "--name", "service-qa"]).expect(0).json();
    let staging = staging["result"]["job_id"].as_str().unwrap().to_string();
    for id in [&proposed, &staging] {
        env.run(true, &["build", "delete-the-job", "--job-id", id]).expect(0);
    }
    env.run(false, &["build", "recycle-bin", "purge", &proposed]).expect(0);
    let bin = env.run(true, &["build", "recycle-bin", "list"]).expect(0).json();
    assert_eq!(bin["jobs"].as_array().unwrap().len(), 1);
    env.run(false, &["build", "recycle-bin", "purge", "--all"]).expect(0);
    let bin = env.run(false, &["build", "recycle-bin", "list"]).expect(0);
    assert!(bin.stdout.contains("empty"), "{}", bin.stdout);
    // Purging nothing is a usage error; nothing is sent.
    env.run(false, &["build", "recycle-bin", "purge"]).expect(USAGE);
    env.run(false, &["build", "recycle-bin", "restore", &proposed]).expect(ERROR);
}

#[test]
fn keystores_upload_list_download() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("release.jks");
    let bytes: Vec<u8> = (0u8..=255).cycle().take(3000).collect();
    std::fs::write(&file, &bytes).unwrap();
    let path = file.to_str().unwrap();

    // Without the privacy consent: a usage error, nothing sent.
    env.run(false, &["build", "keystores", "upload", path]).expect(USAGE);
    let uploaded = env
        .run(
            true,
            &["build", "keystores", "upload", path, "--description", "release key", "--accept-privacy-statement"],
        )
        .expect(0)
        .json();
    let id = uploaded["result"]["keystore_id"].as_str().unwrap().to_string();

    let listed = env.run(true, &["build", "keystores", "list"]).expect(0).json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|k| k["keystore_name"].as_str().unwrap()).collect();
    assert!(names.contains(&"release.jks") && names.contains(&codearts_emulator::DEFAULT_KEYSTORE), "{names:?}");
    let table = env.run(false, &["build", "keystores", "list", "--search", "release"]).expect(0);
    assert!(table.stdout.contains(&id) && !table.stdout.contains("android"), "{}", table.stdout);

    // The bytes uploaded come back, to a file and to stdout.
    let out = dir.path().join("back.jks");
    env.run(false, &["build", "keystores", "download", &id, "-o", out.to_str().unwrap()]).expect(0);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let output = env.cli(false).args(["build", "keystores", "download", &id]).output().unwrap();
    assert_eq!(output.stdout, bytes);

    // An empty file is refused by the service (CB.00060212); an unknown ID by the CLI.
    let empty = dir.path().join("empty.jks");
    std::fs::write(&empty, b"").unwrap();
    let refused =
        env.run(false, &["build", "keystores", "upload", empty.to_str().unwrap(), "--accept-privacy-statement"]);
    let refused = refused.expect(ERROR);
    assert!(refused.stderr.contains("CB.00060212"), "{}", refused.stderr);
    env.run(false, &["build", "keystores", "download", "ffffffffffffffffffffffffffffffff"]).expect(ERROR);
}

#[test]
fn groups_and_stages() {
    let env = Env::new();
    let empty = env.run(false, &["build", "groups", "list"]).expect(0);
    assert!(empty.stdout.contains("no job groups"), "{}", empty.stdout);
    let create = |name: &str, parent: &str| {
        let body = types::JobGroupRequestBody::builder().name(name.to_string()).parent_id(parent.to_string());
        let created = env.rt.block_on(env.client.create_job_group().project_id(PROJECT).body(body).call()).unwrap();
        created.result[0].id.clone().unwrap()
    };
    let root = create("services", "");
    create("payments", &root);
    let tree = env.run(false, &["build", "groups", "list"]).expect(0);
    let lines: Vec<&str> = tree.stdout.lines().collect();
    assert!(lines.iter().any(|l| l.contains("services")), "{}", tree.stdout);
    assert!(lines.iter().any(|l| l.contains("  payments") && l.contains(&format!("{root}."))), "{}", tree.stdout);

    // A build's stages: the implicit checkout first, then the job's steps, all succeeded.
    let job = env.create_job("staged", &["Build with Maven", "Unit tests"]);
    let outcome = env.rt.block_on(async {
        let started =
            codearts::wait::start_build(&env.client, types::RunJobRequestBody::builder().job_id(&job)).await.unwrap();
        let options = WaitOptions {
            max_wait: Duration::from_secs(30),
            initial_interval: Duration::from_millis(10),
            max_interval: Duration::from_millis(20),
        };
        wait_for_build(&env.client, &job, started.build_no, options).await.unwrap()
    });
    assert!(matches!(outcome, BuildOutcome::Succeeded(_)), "{outcome:?}");
    let stages = env.run(false, &["build", "stages", &job, "1"]).expect(0);
    let names: Vec<&str> = stages.stdout.lines().skip(1).collect();
    assert_eq!(names.len(), 3, "{}", stages.stdout);
    assert!(names[0].contains("Code checkout") && names[0].contains("SUCCESS"), "{}", stages.stdout);
    assert!(names[2].contains("Unit tests"), "{}", stages.stdout);
    env.run(false, &["build", "stages", &job, "9"]).expect(ERROR);
}
