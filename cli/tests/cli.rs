//! The `codearts` command-line tool end to end: the binary, run as a user would, against the
//! emulator started in this process on 127.0.0.1 (AK/SK credentials in its environment, nothing
//! else of the machine's). Run with `cargo test -p codearts-cli --test cli`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use codearts::CallExt;
use codearts::build::{Client, types};
use codearts::logs::{download_build_log, download_step_log};
use codearts::wait::{BuildOutcome, WaitOptions, wait_for_build};
use codearts_emulator::{DEFAULT_AK, DEFAULT_SK, Emulator, ManualClock, RunningEmulator};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_codearts");
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const OTHER_PROJECT: &str = "0123456789abcdef0123456789abcdef";
const UNKNOWN_JOB: &str = "fedcba9876543210fedcba9876543210";
/// Steps of the emulators that run on the system clock.
const FAST_STEP: Duration = Duration::from_millis(20);
/// Steps of the manual-clock emulators: builds stay where they are until a test moves the clock.
const SLOW_STEP: Duration = Duration::from_secs(10);

// The documented exit statuses.
const ERROR: i32 = 1;
const USAGE: i32 = 2;
const BUILD_FAILED: i32 = 3;
const BUILD_STOPPED: i32 = 4;
const TIMED_OUT: i32 = 5;

/// An emulator served by a runtime of its own, so that the tests drive the binary synchronously.
struct Env {
    emulator: RunningEmulator,
    client: Client,
    clock: Option<ManualClock>,
    home: tempfile::TempDir,
    // Last: the emulator shuts down before its runtime goes.
    rt: tokio::runtime::Runtime,
}

impl Env {
    /// Builds take `FAST_STEP` per step on the system clock.
    fn fast() -> Env {
        Self::start(FAST_STEP, None)
    }

    /// Builds advance only with [`Env::advance`].
    fn manual() -> Env {
        let noon = time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap());
        Self::start(SLOW_STEP, Some(ManualClock::new(noon.into())))
    }

    fn start(step: Duration, clock: Option<ManualClock>) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let mut builder = Emulator::builder().step_duration(step);
        if let Some(clock) = &clock {
            builder = builder.clock(clock.clone());
        }
        let emulator = rt.block_on(builder.start()).expect("the emulator starts");
        let config = emulator.config_builder().credentials(emulator.aksk_credentials()).build().unwrap();
        let client = Client::from_config(&config).unwrap();
        Env { emulator, client, clock, home: tempfile::tempdir().unwrap(), rt }
    }

    fn advance(&self, steps: f64) {
        self.clock.as_ref().expect("a manual clock").advance(SLOW_STEP.mul_f64(steps));
    }

    /// The binary with only the emulator's endpoint and AK/SK in its environment (an empty home:
    /// no profile file), printing JSON.
    fn cli(&self) -> Command {
        let mut cmd = self.table_cli();
        cmd.args(["--output", "json"]);
        cmd
    }

    /// The same, printing tables.
    fn table_cli(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
            .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
            .env("HUAWEICLOUD_SDK_PROJECT_ID", self.emulator.iam_project_id())
            .args(["--endpoint", self.emulator.base_url()])
            .timeout(Duration::from_secs(60));
        cmd
    }

    fn create_job(&self, project: &str, name: &str, steps: &[&str]) -> String {
        let body = codearts_emulator::fixtures::build_job(project, name, steps, Vec::new());
        let created = self.rt.block_on(self.client.create_build_job().body(body).call()).expect("job created");
        created.result.and_then(|r| r.job_id).expect("a job id")
    }

    /// Runs the job through the SDK and waits until it has finished; returns its record ID.
    fn build(&self, job: &str) -> String {
        self.rt.block_on(async {
            let body = types::RunJobRequestBody::builder().job_id(job);
            let started = codearts::wait::start_build(&self.client, body).await.unwrap();
            let options = WaitOptions {
                max_wait: Duration::from_secs(30),
                initial_interval: Duration::from_millis(10),
                max_interval: Duration::from_millis(20),
            };
            let outcome = wait_for_build(&self.client, job, started.build_no, options).await.unwrap();
            let BuildOutcome::Succeeded(record) = outcome else { panic!("{outcome:?}") };
            record.build_record_id.unwrap()
        })
    }

    fn full_log(&self, record_id: &str) -> Vec<u8> {
        let mut log = Vec::new();
        self.rt.block_on(download_build_log(&self.client, record_id, &mut log)).unwrap();
        log
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

fn poll_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

// --- listing and reading ---------------------------------------------------------------------------

#[test]
fn jobs_list_returns_every_job_of_the_project_across_pages() {
    let env = Env::fast();
    let names: Vec<String> = (0..5).map(|i| format!("job-{i}")).collect();
    for name in &names {
        env.create_job(PROJECT, name, &["Build"]);
    }
    env.create_job(OTHER_PROJECT, "elsewhere", &["Build"]);

    let out = run(env.cli().args(["build", "jobs", "list", "--project", PROJECT, "--page-size", "2"])).expect(0);
    let listed: Vec<String> =
        out.json().as_array().unwrap().iter().map(|j| j["job_name"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, names, "three pages of 2, 2 and 1 jobs, in creation order");

    let table =
        run(env.table_cli().args(["build", "jobs", "list", "--page-size", "2"]).env("CODEARTS_PROJECT_ID", PROJECT))
            .expect(0)
            .stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "a header and five jobs:\n{table}");
    assert!(lines[0].starts_with("ID") && lines[0].contains("NAME"), "{table}");
    assert!(names.iter().all(|n| table.contains(n.as_str())) && !table.contains("elsewhere"), "{table}");
}

#[test]
fn job_show_history_and_status_read_the_job() {
    let env = Env::fast();
    let job = env.create_job(PROJECT, "reader", &["Build", "Test"]);
    let config = run(env.cli().args(["build", "job", "show", &job])).expect(0).json();
    assert_eq!(config["result"]["job_name"], "reader");
    let steps: Vec<&str> =
        config["result"]["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(steps, ["Build", "Test"]);

    let records: Vec<String> = (0..3).map(|_| env.build(&job)).collect();
    let history = run(env.cli().args(["build", "history", &job, "--limit", "2"])).expect(0).json();
    let numbers: Vec<i64> = history.as_array().unwrap().iter().map(|r| r["build_number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2], "newest first, at most --limit");
    assert_eq!(history[0]["record_id"], records[2].as_str());
    let all = run(env.cli().args(["build", "history", &job])).expect(0).json();
    assert_eq!(all.as_array().unwrap().len(), 3);

    let running = run(env.cli().args(["build", "status", &job])).expect(0).json();
    assert_eq!(running, json!({"result": false}));
    let status = run(env.cli().args(["build", "status", &job, "--build-no", "2"])).expect(0).json();
    assert_eq!(status["record"]["status"], "SUCCESS");
    assert_eq!(status["record"]["build_record_id"], records[1].as_str());
    let step_statuses: Vec<(&str, &str)> = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(step_statuses, [("Code checkout", "success"), ("Build", "success"), ("Test", "success")]);
}

// --- running ---------------------------------------------------------------------------------------

#[test]
fn run_wait_on_a_succeeding_job_exits_0_with_the_final_record() {
    let env = Env::fast();
    let job = env.create_job(PROJECT, "green", &["Build", "Test"]);
    let out = run(env.cli().args(["build", "run", &job, "--wait", "--poll-interval", "20ms"])).expect(0);
    let report = out.json();
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["job_id"], job.as_str());
    assert_eq!(report["build_no"], 1);
    assert_eq!(report["record"]["status"], "SUCCESS");
    assert_eq!(report["steps"].as_array().unwrap().len(), 3);
    assert!(report.get("failed_step").is_none(), "{report}");
    assert_eq!(out.stderr, "", "nothing on stderr: no warning, and no progress display when piped");

    // Without --wait: the build is started and the command returns at once.
    let started = run(env.cli().args(["build", "run", &job])).expect(0).json();
    assert_eq!(started, json!({"job_id": job, "build_no": 2}));
}

#[test]
fn a_failing_build_exits_with_the_build_failed_status_and_names_the_step() {
    let env = Env::fast();
    // No step name contains "fail": the run parameter makes the emulator fail "Test", so this also
    // shows that --param reaches RunJob.
    let job = env.create_job(PROJECT, "red", &["Build", "Test", "Package"]);
    let out = run(env.cli().args(["build", "run", &job, "--wait", "--param", "fail=Test", "--poll-interval", "20ms"]))
        .expect(BUILD_FAILED);
    assert_eq!(out.stderr, format!("error: build #1 of job {job} failed at step \"Test\"\n"));
    let report = out.json();
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["failed_step"], "Test");
    assert_eq!(report["record"]["status"], "FAILURE");

    let table = run(env.table_cli().args(["build", "run", &job, "--wait", "--poll-interval", "20ms"])).expect(0);
    assert!(table.stdout.contains("SUCCESS"), "the same job without the parameter succeeds:\n{}", table.stdout);
}

#[test]
fn stop_stops_a_running_build_and_the_waiting_run_exits_stopped() {
    let env = Env::manual();
    let job = env.create_job(PROJECT, "long", &["Build"]);
    let mut waiting = std::process::Command::new(BIN);
    waiting
        .env_clear()
        .env("HOME", env.home.path())
        .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
        .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", env.emulator.iam_project_id())
        .args(["--endpoint", env.emulator.base_url(), "--output", "json"])
        .args(["build", "run", &job, "--wait", "--poll-interval", "20ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = KillOnDrop::new(waiting.spawn().unwrap());
    poll_until("the build to start", || {
        env.rt.block_on(env.client.show_record_detail().job_id(&job).build_no(1).call()).is_ok()
    });
    env.advance(1.5); // past the queue: running

    let stopped = run(env.cli().args(["build", "stop", &job, "1"])).expect(0).json();
    assert_eq!(stopped["success"], true);

    let output = child.wait_with_output();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(BUILD_STOPPED), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(stderr, format!("error: build #1 of job {job} was stopped\n"));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["outcome"], "stopped");
    assert_eq!(report["record"]["status"], "ABORTED");

    // A build that has finished on its own cannot be stopped: an error, not a silent success.
    let finished = env.create_job(PROJECT, "short", &["Build"]);
    let started = run(env.cli().args(["build", "run", &finished])).expect(0).json();
    assert_eq!(started["build_no"], 1);
    env.advance(10.0);
    let out = run(env.table_cli().args(["build", "stop", &finished, "1"])).expect(ERROR);
    assert!(out.stderr.contains("was not stopped") && out.stderr.contains("already finished"), "{}", out.stderr);
}

#[test]
fn max_wait_running_out_exits_with_the_timeout_status() {
    let env = Env::manual();
    let job = env.create_job(PROJECT, "stuck", &["Build"]);
    let out =
        run(env.cli().args(["build", "run", &job, "--max-wait", "200ms", "--poll-interval", "20ms"])).expect(TIMED_OUT);
    let report = out.json();
    assert_eq!(report["outcome"], "timed_out");
    assert_eq!(report["record"]["status"], "QUEUED", "the clock never moved");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("still QUEUED") && out.stderr.contains("--max-wait"), "{}", out.stderr);
}

#[test]
fn follow_prints_every_log_line_once_while_the_build_runs() {
    let env = Env::fast();
    let job = env.create_job(PROJECT, "followed", &["Build", "Test"]);
    let out = run(env.table_cli().args(["build", "run", &job, "--follow", "--poll-interval", "20ms"])).expect(0);
    let record_id = env.rt.block_on(env.client.show_record_detail().job_id(&job).build_no(1).call()).unwrap();
    let log = String::from_utf8(env.full_log(&record_id.result.unwrap().build_record_id.unwrap())).unwrap();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], format!("started build #1 of job {job}"));
    let log_lines: Vec<&str> = log.lines().collect();
    assert!(log_lines.len() > 10 && log_lines.last().unwrap().contains("Finished: SUCCESS"), "{log}");
    assert_eq!(lines[1..=log_lines.len()], log_lines[..], "the whole log, each line once, in order:\n{}", out.stdout);
    assert!(
        lines[log_lines.len() + 1..].iter().any(|l| l.starts_with("STATUS") && l.contains("SUCCESS")),
        "{}",
        out.stdout
    );

    // In JSON mode stdout stays one JSON document; the lines go to stderr.
    let out = run(env.cli().args(["build", "run", &job, "--follow", "--poll-interval", "20ms"])).expect(0);
    assert_eq!(out.json()["outcome"], "succeeded");
    assert!(out.stderr.contains("[Test] $ echo Test") && out.stderr.contains("Finished: SUCCESS"), "{}", out.stderr);
}

// --- logs --------------------------------------------------------------------------------------------

#[test]
fn logs_write_exactly_the_bytes_the_emulator_holds() {
    let env = Env::fast();
    let job = env.create_job(PROJECT, "logged", &["Build", "Test"]);
    let first = env.build(&job);
    let second = env.build(&job);
    let (first_log, second_log) = (env.full_log(&first), env.full_log(&second));
    assert_ne!(first_log, second_log);

    let file = env.home.path().join("build-1.log");
    let out = run(env.cli().args(["build", "logs", &job, "1", "-o"]).arg(&file)).expect(0).json();
    assert_eq!(std::fs::read(&file).unwrap(), first_log);
    assert_eq!(out["bytes"], first_log.len());
    assert_eq!(out["record_id"], first.as_str());

    // To stdout; JOB alone is the latest build; a record ID alone names its build.
    let stdout = env.table_cli().args(["build", "logs", &job, "1"]).output().unwrap();
    assert!(stdout.status.success());
    assert_eq!(stdout.stdout, first_log);
    assert_eq!(env.table_cli().args(["build", "logs", &job]).output().unwrap().stdout, second_log);
    assert_eq!(env.table_cli().args(["build", "logs", &first]).output().unwrap().stdout, first_log);

    // One step's log.
    let mut step_log = Vec::new();
    env.rt.block_on(download_step_log(&env.client, &second, "Test", &mut step_log)).unwrap();
    let step_file = env.home.path().join("test-step.log");
    run(env.cli().args(["build", "logs", &second, "--step", "Test", "-o"]).arg(&step_file)).expect(0);
    let written = std::fs::read(&step_file).unwrap();
    assert_eq!(written, step_log);
    assert!(String::from_utf8(written).unwrap().contains("echo Test"));
}

// --- errors ------------------------------------------------------------------------------------------

#[test]
fn api_errors_exit_1_with_one_line_and_no_secret() {
    let env = Env::fast();
    let out = run(env.cli().args(["build", "status", UNKNOWN_JOB, "--build-no", "1"])).expect(ERROR);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("error: ShowRecordDetail: HTTP 404 CB.00060214"), "{}", out.stderr);
    assert_eq!(out.stdout, "");

    // A malformed ID: refused by the client's checks of the spec's pattern, or by the service.
    let out = run(env.cli().args(["build", "job", "show", "not-a-job-id"])).expect(ERROR);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("error: ListJobConfig: "), "{}", out.stderr);
    assert!(out.stderr.contains("invalid input") || out.stderr.contains("HTTP 400 CB.00060201"), "{}", out.stderr);

    let out = run(env.cli().args(["build", "run", UNKNOWN_JOB, "--wait"])).expect(ERROR);
    assert!(out.stderr.starts_with("error: RunJob: HTTP 404"), "{}", out.stderr);

    // Refused credentials: the secret key appears nowhere.
    let wrong_sk = "not-the-emulators-secret-key";
    let out = run(env.cli().env("HUAWEICLOUD_SDK_SK", wrong_sk).args(["build", "history", UNKNOWN_JOB])).expect(ERROR);
    assert!(out.stderr.contains("HTTP 401") && out.stderr.contains("APIGW.0301"), "{}", out.stderr);
    assert!(!out.stderr.contains(wrong_sk) && !out.stdout.contains(wrong_sk));

    // No credentials at all.
    let out = run(env.cli().env_remove("HUAWEICLOUD_SDK_AK").env_remove("HUAWEICLOUD_SDK_SK").args([
        "build",
        "history",
        UNKNOWN_JOB,
    ]))
    .expect(ERROR);
    assert!(out.stderr.starts_with("error: no Huawei Cloud credentials found"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::fast();
    for args in [
        &["build", "run"][..],
        &["build", "run", UNKNOWN_JOB, "--param", "no-equals-sign"],
        &["build", "run", UNKNOWN_JOB, "--max-wait", "soon"],
        &["build", "history", UNKNOWN_JOB, "--days", "31"],
        &["build", "stop", UNKNOWN_JOB, "last"],
        &["build", "logs", "2cc26382-b2cb-4234-8eb0-b37d362f4d4c", "3"],
        &["--output", "xml", "build", "status", UNKNOWN_JOB],
        &["build", "explode"],
    ] {
        let out = run(env.cli().args(args)).expect(USAGE);
        assert!(out.stderr.starts_with("error: "), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
    }
    // --help is not an error.
    let help = run(env.cli().arg("--help")).expect(0).stdout;
    assert!(help.contains("Exit status:") && help.contains("3  the build, pipeline run or check failed"), "{help}");
}

// --- credentials ---------------------------------------------------------------------------------------

#[test]
fn profile_selects_a_section_of_the_profile_file_over_the_environment() {
    let env = Env::fast();
    env.create_job(PROJECT, "visible", &["Build"]);
    let file = env.home.path().join("credentials");
    let url = env.emulator.base_url();
    std::fs::write(
        &file,
        format!(
            "[basic]\nak = WRONGAK\nsk = wrong\n\n\
             [ci]\nak = {DEFAULT_AK}\nsk = {DEFAULT_SK}\nproject_id = {project}\n\n\
             [login]\nusername = demo\npassword = demo-password\ndomain_name = demo\niam_endpoint = {url}\nproject_id = {project}\n",
            project = env.emulator.iam_project_id()
        ),
    )
    .unwrap();
    let list = |profile: Option<&str>| {
        let mut cmd = env.cli();
        // Credentials in the environment that the emulator refuses.
        cmd.env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", &file).env("HUAWEICLOUD_SDK_SK", "wrong-too");
        if let Some(profile) = profile {
            cmd.args(["--profile", profile]);
        }
        run(cmd.args(["build", "jobs", "list", "--project", PROJECT]))
    };
    assert!(list(None).expect(ERROR).stderr.contains("HTTP 401"), "the environment wins without --profile");
    for profile in ["ci", "login"] {
        let jobs = list(Some(profile)).expect(0).json();
        assert_eq!(jobs[0]["job_name"], "visible", "profile {profile}");
    }
    let out = list(Some("missing")).expect(ERROR);
    assert!(out.stderr.contains("--profile missing") && out.stderr.contains("no [missing] section"), "{}", out.stderr);
}

// --- check -------------------------------------------------------------------------------------------

#[test]
fn check_run_starts_the_task() {
    use axum::routing::post;
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/v2/tasks/{task}/run",
        post({
            let seen = seen.clone();
            move |axum::extract::Path(task): axum::extract::Path<String>, body: axum::body::Bytes| async move {
                seen.lock().unwrap().push((task, serde_json::from_slice(&body).unwrap()));
                ([(axum::http::header::CONTENT_TYPE, "application/json")], r#"{"exec_id":"e-2a7c"}"#)
            }
        }),
    );
    rt.spawn(async move { axum::serve(listener, app).await });
    let home = tempfile::tempdir().unwrap();
    let out = run(Command::new(BIN)
        .env_clear()
        .env("HOME", home.path())
        .env("HUAWEICLOUD_SDK_AK", DEFAULT_AK)
        .env("HUAWEICLOUD_SDK_SK", DEFAULT_SK)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", "a4a5d4098fb4474fa22cd05f897d6b99")
        .env("CODEARTS_CHECK_ACCESS_TOKEN", "repo-token")
        .env("CODEARTS_ENDPOINT", &url)
        .args([
            "--output",
            "json",
            "check",
            "run",
            "2b31ed520e4d4a3ebedb6e5701a2c3d4",
            "--git-url",
            "https://example.invalid/r.git",
        ]))
    .expect(0);
    assert_eq!(out.json(), json!({"exec_id": "e-2a7c"}));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "2b31ed520e4d4a3ebedb6e5701a2c3d4");
    assert_eq!(seen[0].1, json!({"git_url": "https://example.invalid/r.git", "access_token": "repo-token"}));
}

// --- the emulator command ----------------------------------------------------------------------------

/// A child process of this test, killed if the test ends before it does.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    fn new(child: Child) -> Self {
        KillOnDrop(Some(child))
    }

    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("a child")
    }

    fn wait_with_output(mut self) -> std::process::Output {
        self.0.take().expect("a child").wait_with_output().unwrap()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn the_emulator_command_prints_instructions_that_work() {
    let mut child = KillOnDrop::new(
        std::process::Command::new(BIN)
            .env_clear()
            .args(["emulator", "--port", "0", "--step", "20ms"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut printed = String::new();
    let mut stdout = BufReader::new(child.child().stdout.take().unwrap());
    while !printed.contains("codearts build run") {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the emulator stopped printing:\n{printed}");
        printed += &line;
    }
    assert!(printed.contains("listening on http://127.0.0.1:"), "{printed}");
    let exports: Vec<(String, String)> = printed
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .flat_map(|l| l.split_whitespace())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let keys: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    for key in [
        "HUAWEICLOUD_SDK_REGION",
        "HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_EU_WEST_101",
        "HUAWEICLOUD_SDK_REGION_CODEARTSCHECK_EU_WEST_101",
        "HUAWEICLOUD_SDK_REGION_CODEARTSPIPELINE_EU_WEST_101",
        "HUAWEICLOUD_SDK_IAM_ENDPOINT",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "CODEARTS_PROJECT_ID",
    ] {
        assert!(keys.contains(&key), "{key} is not exported:\n{printed}");
    }
    let home = tempfile::tempdir().unwrap();
    let cli = || {
        let mut cmd = Command::new(BIN);
        cmd.env_clear().env("HOME", home.path()).envs(exports.iter().cloned()).args(["--output", "json"]);
        cmd
    };
    let jobs = run(cli().args(["build", "jobs", "list"])).expect(0).json();
    let names: Vec<&str> = jobs.as_array().unwrap().iter().map(|j| j["job_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["demo-build", "demo-failing"]);
    let failing = jobs[1]["id"].as_str().unwrap();
    let out = run(cli().args(["build", "run", failing, "--wait", "--poll-interval", "20ms"])).expect(BUILD_FAILED);
    assert!(out.stderr.contains("failed at step \"Integration tests that fail\""), "{}", out.stderr);
}
