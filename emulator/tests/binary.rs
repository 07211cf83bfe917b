//! The `codearts-emulator` binary: it serves on the port it prints, with the demo resources, and the
//! environment it prints is enough for the SDK (`Config::from_env`'s chain) to run a demo build.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use codearts::CallExt;
use codearts::credentials::Chain;

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns it with everything it printed up to the last instruction line.
fn start(args: &[&str]) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codearts-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let child = Killed(child);
    let mut printed = String::new();
    while !printed.contains("codearts build jobs list") {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "it stopped printing:\n{printed}");
        printed += &line;
    }
    // Keep the pipe open while it runs.
    std::mem::forget(out);
    (child, printed)
}

fn exports(printed: &str) -> Vec<(String, String)> {
    printed
        .lines()
        .filter_map(|l| l.trim().strip_prefix("export "))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_environment_runs_a_demo_build() {
    let (_child, printed) = start(&["--port", "0", "--step-ms", "5"]);
    let env = exports(&printed);
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let project = get("CODEARTS_PROJECT_ID").expect("the demo project is exported");
    let job = printed
        .lines()
        .find(|l| l.contains("demo-build"))
        .and_then(|l| l.split_whitespace().find(|w| w.len() == 32))
        .expect("the demo job is printed")
        .to_string();
    // Exactly what a newcomer's shell would have: nothing else of this machine's environment.
    let chain = Chain::new().env(move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()));
    let config = codearts::Config::from_chain(&chain).expect("the printed environment configures the SDK");
    let client = codearts::build::Client::from_config(&config).unwrap();
    let jobs =
        client.show_job_list_by_project_id().project_id(&project).page_index(1).page_size(10).call().await.unwrap();
    assert_eq!(jobs.total, Some(2), "{printed}");
    let options = codearts::wait::WaitOptions {
        max_wait: std::time::Duration::from_secs(30),
        initial_interval: std::time::Duration::from_millis(10),
        max_interval: std::time::Duration::from_millis(50),
    };
    let body = codearts::build::types::RunJobRequestBody::builder().job_id(&job);
    let run = codearts::wait::run_and_wait(&client, body, options).await.unwrap();
    assert!(matches!(run.outcome, Ok(codearts::wait::BuildOutcome::Succeeded(_))), "{:?}", run.outcome);
}

#[test]
fn no_demo_starts_empty_and_bad_arguments_are_usage_errors() {
    let (_child, printed) = start(&["--port", "0", "--no-demo"]);
    assert!(!printed.contains("demo-build"), "{printed}");
    assert!(!printed.contains("CODEARTS_PROJECT_ID"), "{printed}");
    let out = Command::new(env!("CARGO_BIN_EXE_codearts-emulator")).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
