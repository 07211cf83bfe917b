//! The per-operation commands (`codearts <service> <operation>`), `codearts api`, completions, man
//! pages and `config show`, end to end: the binary against the emulator on 127.0.0.1, with a layer
//! in front that counts the requests reaching it (so "nothing was sent" is checked, not assumed).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use codearts_emulator::{DEFAULT_AK, DEFAULT_SK, Emulator, RunningEmulator};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_codearts");
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const USAGE: i32 = 2;
const ERROR: i32 = 1;

struct Env {
    emulator: RunningEmulator,
    /// CodeArts requests that reached the emulator (IAM's are not counted).
    requests: Arc<AtomicUsize>,
    home: tempfile::TempDir,
    // Last: the emulator shuts down before the runtime serving it goes.
    _rt: tokio::runtime::Runtime,
}

impl Env {
    fn start() -> Env {
        Self::with_latency(Duration::ZERO)
    }

    /// Every answer takes `latency` (for the progress display).
    fn with_latency(latency: Duration) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let emulator = rt
            .block_on(Emulator::builder().step_duration(Duration::from_millis(20)).start_with(move |router| {
                router.layer(axum::middleware::from_fn(
                    move |req: axum::extract::Request, next: axum::middleware::Next| {
                        let counter = counter.clone();
                        async move {
                            if !req.uri().path().starts_with("/v3/auth") && req.uri().path() != "/v3/projects" {
                                counter.fetch_add(1, Ordering::SeqCst);
                            }
                            tokio::time::sleep(latency).await;
                            next.run(req).await
                        }
                    },
                ))
            }))
            .unwrap();
        Env { emulator, requests, home: tempfile::tempdir().unwrap(), _rt: rt }
    }

    fn cli(&self) -> Command {
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

    fn json(&self, args: &[&str]) -> Value {
        let out = self.cli().args(["--output", "json"]).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn sent(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn write(&self, name: &str, body: &Value) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, body.to_string()).unwrap();
        path.to_string_lossy().to_string()
    }

    /// A job created with the generated command and a body from a file.
    fn create_job(&self, name: &str) -> String {
        let body = serde_json::to_value(codearts_emulator::fixtures::build_job(PROJECT, name, &["Build"], Vec::new()))
            .unwrap();
        let file = self.write(&format!("{name}.json"), &body);
        let created = self.json(&["build", "create-build-job", "--body", &file]);
        created["result"]["job_id"].as_str().expect("a job id").to_string()
    }
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_generated_command_takes_a_body_file_and_prints_each_format() {
    let env = Env::start();
    let job = env.create_job("from-file");

    let status = env.json(&["build", "show-job-status", "--job-id", &job]);
    assert_eq!(status, json!({"result": false}));

    let yaml = env.cli().args(["--output", "yaml", "build", "show-job-status", "--job-id", &job]).output().unwrap();
    assert!(yaml.status.success());
    assert_eq!(String::from_utf8_lossy(&yaml.stdout).trim(), "result: false");

    let table = env.cli().args(["build", "show-job-status", "--job-id", &job]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&table.stdout).trim(), "result  false");

    // A list as a table: the declared items as rows, the telling columns first.
    let listed = env
        .cli()
        .env("COLUMNS", "100")
        .args(["build", "show-job-list-by-project-id", "--project-id", PROJECT])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("ID"), "{text}");
    assert!(text.lines().any(|l| l.contains(&job) && l.contains("from-file")), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100 || !l.contains("  ")), "fits 100 columns:\n{text}");
}

#[test]
fn all_walks_every_page_and_limit_stops_early() {
    let env = Env::start();
    let jobs: Vec<String> = (0..5).map(|i| env.create_job(&format!("job-{i}"))).collect();
    let before = env.sent();
    let all = env.json(&["build", "show-job-list-by-project-id", "--project-id", PROJECT, "--all", "--page-size", "2"]);
    let ids: Vec<&str> = all.as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, jobs.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(env.sent() - before, 3, "three pages of 2");

    let before = env.sent();
    let some = env.json(&[
        "build",
        "show-job-list-by-project-id",
        "--project-id",
        PROJECT,
        "--all",
        "--page-size",
        "2",
        "--limit",
        "3",
    ]);
    assert_eq!(some.as_array().unwrap().len(), 3);
    assert_eq!(env.sent() - before, 2, "stops after the page that reached the limit");

    // One page, by number from 1 whatever the vendor counts from.
    let page2 =
        env.json(&["build", "show-job-list-by-project-id", "--project-id", PROJECT, "--page", "2", "--page-size", "2"]);
    let ids: Vec<&str> = page2["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![jobs[2].as_str(), jobs[3].as_str()]);
}

#[test]
fn bad_input_exits_2_with_one_line_and_sends_nothing() {
    let env = Env::start();
    let bad_body = env.write("bad.json", &json!({"job_id": 5}));
    let not_json = env.write("not.json", &json!("x"));
    std::fs::write(&not_json, "{not json").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["build", "run-job", "--body", &bad_body], "body field /job_id does not fit RunJob's schema"),
        (vec!["build", "run-job", "--body", &not_json], "not JSON"),
        (vec!["build", "show-job-status"], "--job-id"),
        (vec!["build", "show-job-status", "--job-id", "x", "--no-such-flag"], "--no-such-flag"),
        (vec!["build", "show-job-status", "--job-id", "../../etc"], "job_id"),
        (vec!["build", "show-job-list-by-project-id", "--project-id", PROJECT, "--page", "0"], "--page"),
        (vec!["build", "show-job-list-by-project-id", "--project-id", PROJECT, "--limit", "3"], "--all"),
    ];
    for (args, needle) in cases {
        let out = env.cli().args(&args).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(USAGE), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: one line: {stderr}");
    }
    assert_eq!(env.sent(), 0, "nothing reached the service");

    // An API error is status 1, in one line naming the operation and the code.
    let out =
        env.cli().args(["build", "show-job-status", "--job-id", "ffffffffffffffffffffffffffffffff"]).output().unwrap();
    assert_eq!(out.status.code(), Some(ERROR));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("ShowJobStatus") && stderr.contains("CB.00060214"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1);
}

#[test]
fn downloads_go_to_a_file_or_stdout() {
    let env = Env::start();
    let job = env.create_job("downloads");
    let started = env.json(&["build", "run-job", "--job-id", &job]);
    let build_no = started["actual_build_number"].as_str().unwrap().to_string();
    let record = loop {
        let detail = env.json(&["build", "show-record-detail", "--job-id", &job, "--build-no", &build_no]);
        if detail["result"]["status"] == "SUCCESS" {
            break detail["result"]["build_record_id"].as_str().unwrap().to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let file = env.home.path().join("build.log");
    let out =
        env.cli().args(["build", "download-build-log", "--record-id", &record, "-o"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.trim_end().ends_with("Finished: SUCCESS"), "{saved}");
    assert!(stderr_of(&out).contains(&format!("saved {} bytes", saved.len())));
    let out = env.cli().args(["build", "download-build-log", "--record-id", &record]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), saved);
}

#[test]
fn api_calls_any_path_signed() {
    let env = Env::start();
    let job = env.create_job("raw");
    let out =
        env.cli().args(["api", "GET", &format!("/v3/jobs/{job}/status"), "--output", "json", "-i"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), json!({"result": false}));
    assert!(stderr_of(&out).starts_with("HTTP 200 (ShowJobStatus)"), "{}", stderr_of(&out));

    let out = env.cli().args(["api", "GET", "/v9/nowhere"]).output().unwrap();
    assert_eq!(out.status.code(), Some(ERROR));
    let out = env.cli().args(["api", "GET", "//elsewhere.example/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(USAGE), "{}", stderr_of(&out));
    let body = env.write("jobs.json", &json!({"page_index": 1}));
    let listed = env
        .cli()
        .args([
            "--output",
            "json",
            "api",
            "GET",
            &format!("/v3/{PROJECT}/jobs"),
            "-q",
            "page_index=1",
            "-q",
            "page_size=10",
        ])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    assert_eq!(serde_json::from_slice::<Value>(&listed.stdout).unwrap()["total"], 1);
    let _ = body;
}

#[test]
fn completions_man_pages_and_config_show() {
    let env = Env::start();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = Command::new(BIN).args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("show-job-status") && script.contains("list-pipelines"), "{shell}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).args(["man", "--dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let page = std::fs::read_to_string(dir.path().join("codearts.1")).unwrap();
    assert!(page.contains(".TH codearts"), "{page}");
    assert!(dir.path().join("codearts-build-show-job-status.1").exists());

    let out = env.cli().args(["--output", "json", "config", "show"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(!shown.contains(DEFAULT_SK) && !shown.contains(DEFAULT_AK), "no secret: {shown}");
    let doc: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(doc["credentials"]["value"], "AK/SK");
    assert_eq!(doc["endpoint.pipeline"]["value"], env.emulator.base_url());
}

#[test]
fn progress_draws_on_a_terminal_and_never_when_piped() {
    let env = Env::with_latency(Duration::from_millis(600));
    let job = env.create_job("progress");
    // Piped: no progress on stderr.
    let out = env.cli().args(["build", "show-job-status", "--job-id", &job]).output().unwrap();
    assert!(out.status.success());
    assert!(stderr_of(&out).is_empty(), "{:?}", stderr_of(&out));

    // In a pseudo-terminal (util-linux `script`): the spinner names the operation.
    let line = format!(
        "HOME={home} HUAWEICLOUD_SDK_AK={DEFAULT_AK} HUAWEICLOUD_SDK_SK={DEFAULT_SK} HUAWEICLOUD_SDK_PROJECT_ID={project} \
         {BIN} --endpoint {url} build show-job-status --job-id {job}",
        home = env.home.path().display(),
        project = env.emulator.iam_project_id(),
        url = env.emulator.base_url(),
    );
    let out = std::process::Command::new("script").args(["-qec", &line, "/dev/null"]).output().expect("script(1) runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("ShowJobStatus …"), "the spinner was drawn: {screen:?}");
    assert!(screen.contains("result  false"), "{screen:?}");
}
