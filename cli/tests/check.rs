//! `codearts check …` end to end against the emulator started in this process on 127.0.0.1: the
//! quality gate's exit statuses (0 passed, 6 failed), a failed (3), stopped (4) and timed-out (5)
//! check, and the defect listing. A Java task on the emulator has 3 critical, 6 major, 6 minor and
//! 3 suggestion defects (docs/check.md). Run with `cargo test -p codearts-cli --test check`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use codearts::CallExt;
use codearts::check::{Client, types};
use codearts_emulator::{DEFAULT_AK, DEFAULT_SK, Emulator, ManualClock, RunningEmulator};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_codearts");
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const FAST_STEP: Duration = Duration::from_millis(20);
const SLOW_STEP: Duration = Duration::from_secs(10);

const USAGE: i32 = 2;
const FAILED: i32 = 3;
const STOPPED: i32 = 4;
const TIMED_OUT: i32 = 5;
const GATE_FAILED: i32 = 6;

struct Env {
    emulator: RunningEmulator,
    client: Client,
    clock: Option<ManualClock>,
    home: tempfile::TempDir,
    // Last: the emulator shuts down before its runtime goes.
    rt: tokio::runtime::Runtime,
}

impl Env {
    fn start(manual: bool) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let clock = manual.then(ManualClock::starting_now);
        let mut builder = Emulator::builder().step_duration(if manual { SLOW_STEP } else { FAST_STEP });
        if let Some(clock) = &clock {
            builder = builder.clock(clock.clone());
        }
        let emulator = rt.block_on(builder.start()).expect("the emulator starts");
        let config = emulator.config_builder().credentials(emulator.aksk_credentials()).build().unwrap();
        let client = Client::from_config(&config).unwrap();
        Env { emulator, client, clock, home: tempfile::tempdir().unwrap(), rt }
    }

    fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
            .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", self.emulator.iam_project_id())
            .args(["--endpoint", self.emulator.base_url()]);
        cmd
    }

    /// The binary printing tables.
    fn table_cli(&self) -> Command {
        let mut cmd = Command::from_std(self.command());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }

    /// The binary printing JSON.
    fn cli(&self) -> Command {
        let mut cmd = self.table_cli();
        cmd.args(["--output", "json"]);
        cmd
    }

    fn task(&self, repo: &str, branch: &str) -> String {
        let created = self
            .rt
            .block_on(
                self.client
                    .create_task()
                    .project_id(PROJECT)
                    .body_map(|b| {
                        b.git_url(format!("git@example.com:demo/{repo}.git"))
                            .git_branch(branch)
                            .language(Some(vec![types::Language::from("JAVA".to_string())]))
                    })
                    .call(),
            )
            .expect("CreateTask");
        created.task_id.expect("a task ID")
    }

    fn task_status(&self, task: &str) -> Option<i32> {
        let progress = self.rt.block_on(self.client.show_progress_detail().task_id(task).call()).unwrap();
        progress.task_status.map(|s| *s)
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "exit status\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("the binary runs");
    Run {
        code: output.status.code().expect("an exit status, not a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn run_wait_prints_the_summary_and_the_gate_decides_the_exit_status() {
    let env = Env::start(false);
    let task = env.task("java-demo", "master");
    let out = run(env.cli().args(["check", "run", &task, "--wait", "--poll-interval", "10ms"])).expect(0).json();
    assert_eq!(out["outcome"], "finished");
    assert_eq!(out["summary"], json!({"critical": 3, "major": 6, "minor": 6, "suggestion": 3}));
    assert!(out["exec_id"].as_str().is_some_and(|e| e.len() == 32), "{out}");
    assert!(out.get("gate").is_none());

    // 3 critical > 0: the gate fails, exit 6, with the summary still printed.
    let failed = run(env.table_cli().args([
        "check",
        "run",
        &task,
        "--fail-on",
        "critical=0,major=10",
        "--poll-interval",
        "10ms",
    ]))
    .expect(GATE_FAILED);
    assert!(failed.stdout.contains("18 unresolved defects"), "{}", failed.stdout);
    assert!(failed.stdout.lines().any(|l| l.split_whitespace().eq(["critical", "3"])), "{}", failed.stdout);
    assert_eq!(failed.stderr, "error: quality gate critical=0,major=10 failed: 3 critical (at most 0 allowed)\n");

    // At or above major: 3 + 6 = 9 ≤ 9 passes; major=8 does not.
    let passed =
        run(env.cli().args(["check", "run", &task, "--fail-on", "critical=3,major=9", "--poll-interval", "10ms"]))
            .expect(0)
            .json();
    assert_eq!(passed["gate"], json!({"gate": "critical=3,major=9", "passed": true, "violations": []}));
    let failed = run(env.cli().args(["check", "run", &task, "--fail-on", "major=8", "--poll-interval", "10ms"]))
        .expect(GATE_FAILED)
        .json();
    assert_eq!(failed["gate"]["violations"], json!([{"severity": "major", "found": 9, "allowed": 8}]));

    // Ignoring the critical defects: the same gate passes.
    let critical = run(env.cli().args(["check", "defects", &task, "--severity", "critical", "--status", "pending"]))
        .expect(0)
        .json();
    let critical = critical.as_array().unwrap().clone();
    assert_eq!(critical.len(), 3);
    for defect in &critical {
        let id = defect["defect_id"].as_str().unwrap();
        run(env.cli().args([
            "check",
            "update-defect-status",
            "--task-id",
            &task,
            "--defect-id",
            id,
            "--defect-status",
            "2",
        ]))
        .expect(0);
    }
    run(env.cli().args(["check", "run", &task, "--fail-on", "critical=0,major=10", "--poll-interval", "10ms"]))
        .expect(0);
}

#[test]
fn defects_list_filters_and_pages() {
    let env = Env::start(false);
    let task = env.task("listing", "master");
    run(env.cli().args(["check", "run", &task, "--wait", "--poll-interval", "10ms"])).expect(0);
    let all = run(env.cli().args(["check", "defects", &task, "--status", "all"])).expect(0).json();
    assert_eq!(all.as_array().unwrap().len(), 18);
    let some = run(env.cli().args(["check", "defects", &task, "--severity", "major,2"])).expect(0).json();
    assert_eq!(some.as_array().unwrap().len(), 12);
    let limited = run(env.cli().args(["check", "defects", &task, "--limit", "4"])).expect(0).json();
    assert_eq!(limited.as_array().unwrap().len(), 4);
    let none = run(env.table_cli().args(["check", "defects", &task, "--status", "resolved"])).expect(0);
    assert!(none.stdout.contains("no matching defects"), "{}", none.stdout);
    let table = run(env.table_cli().args(["check", "defects", &task, "--severity", "critical"])).expect(0);
    assert!(table.stdout.starts_with("ID") && table.stdout.contains("SEVERITY"), "{}", table.stdout);
    assert_eq!(table.stdout.lines().filter(|l| l.contains(" critical ")).count(), 3, "{}", table.stdout);
    let bad = run(env.cli().args(["check", "defects", &task, "--severity", "blocker"])).expect(USAGE);
    assert!(bad.stderr.contains("--severity: `blocker`"), "{}", bad.stderr);
    let status = run(env.table_cli().args(["check", "status", &task])).expect(0);
    assert_eq!(status.stdout.trim(), format!("check task {task}: succeeded"));
}

#[test]
fn a_failed_check_exits_3_and_a_bad_gate_is_a_usage_error() {
    let env = Env::start(false);
    let task = env.task("broken", "master");
    let out = run(env.table_cli().args([
        "check",
        "run",
        &task,
        "--git-branch",
        "fail-on-purpose",
        "--fail-on",
        "critical=0",
        "--poll-interval",
        "10ms",
    ]))
    .expect(FAILED);
    assert!(out.stderr.contains(&format!("the check of task {task} failed")), "{}", out.stderr);
    let bad = run(env.cli().args(["check", "run", &task, "--fail-on", "blocker=1"])).expect(USAGE);
    assert!(bad.stderr.contains("unknown severity `blocker`"), "{}", bad.stderr);
    assert_eq!(env.task_status(&task), Some(1), "the bad gate sent nothing: the failed check is the latest");
}

#[test]
fn stop_ends_a_waiting_run_with_4_and_max_wait_with_5() {
    let env = Env::start(true);
    let task = env.task("long", "master");
    let mut waiting = env.command();
    waiting
        .args(["--output", "json", "check", "run", &task, "--wait", "--poll-interval", "20ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = waiting.spawn().unwrap();
    let start = Instant::now();
    while env.task_status(&task) != Some(0) {
        assert!(start.elapsed() < Duration::from_secs(30), "the check did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    env.clock.as_ref().unwrap().advance(SLOW_STEP);
    let status = run(env.table_cli().args(["check", "status", &task])).expect(0);
    assert_eq!(status.stdout.trim(), format!("check task {task}: checking, 25% done"));
    run(env.cli().args(["check", "stop", &task])).expect(0);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(STOPPED), "{stderr}");
    assert_eq!(stderr, format!("error: the check of task {task} was stopped\n"));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["outcome"], "stopped");

    // The clock stands still: the check never ends.
    let out = run(env.table_cli().args(["check", "run", &task, "--max-wait", "200ms", "--poll-interval", "20ms"]))
        .expect(TIMED_OUT);
    assert!(out.stderr.contains("is still checking (0%) after 200ms"), "{}", out.stderr);
    // Running it again while it checks is the service's own error.
    let again = run(env.cli().args(["check", "run", &task])).expect(1);
    assert!(again.stderr.contains("CC.00050015"), "{}", again.stderr);
}

#[test]
fn the_demo_check_task_runs_and_its_gate_fails() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(BIN)
        .env_clear()
        .args(["emulator", "--port", "0", "--step", "10ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    while !printed.contains("codearts check defects") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("the emulator stopped printing:\n{printed}");
        }
        printed += &line;
    }
    let url = printed.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).unwrap().to_string();
    let task = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("check task "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    let home = tempfile::tempdir().unwrap();
    let out = run(Command::new(BIN)
        .env_clear()
        .env("HOME", home.path())
        .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
        .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", "a4a5d4098fb4474fa22cd05f897d6b99")
        .args(["--endpoint", &url, "--output", "json"])
        .args(["check", "run", &task, "--fail-on", "critical=0,major=10", "--poll-interval", "10ms"])
        .timeout(Duration::from_secs(60)));
    let _ = child.kill();
    let _ = child.wait();
    let out = out.expect(GATE_FAILED).json();
    assert_eq!(out["summary"], json!({"critical": 3, "major": 6, "minor": 6, "suggestion": 3}), "{printed}");
}
