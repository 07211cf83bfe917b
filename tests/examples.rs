//! The compiled examples run against the embedded emulator and do what their docs say. `cargo test`
//! builds `examples/` before the integration tests, next to this test's own binary.

#![cfg(feature = "build")]

use std::path::PathBuf;
use std::process::Command;

/// Runs `examples/<name>.rs` with no credentials anywhere (so it picks the emulator); returns stdout.
fn run(name: &str, args: &[&str]) -> String {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let exe: PathBuf = deps.parent().unwrap().join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "{} was not built (cargo test builds examples)", exe.display());
    let empty_home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(&exe);
    cmd.args(args).env("HOME", empty_home.path()).env_remove("CODEARTS_PROJECT_ID");
    for (key, _) in std::env::vars() {
        if key.starts_with("HUAWEICLOUD_SDK_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("embedded CodeArts Build emulator"), "{name} must say it used the emulator:\n{stdout}");
    stdout
}

#[test]
fn quickstart_runs_the_whole_flow_on_the_emulator() {
    let out = run("quickstart", &[]);
    for step in ["1. create_build_job", "2. run_job", "3. following the log", "Finished: SUCCESS", "build #1: SUCCESS"]
    {
        assert!(out.contains(step), "missing {step:?}:\n{out}");
    }
    assert!(out.contains("show_job_success_ratio -> Some(1.0)"), "{out}");
}

#[test]
fn run_and_wait_reports_the_finished_build() {
    let out = run("run_and_wait", &[]);
    assert!(out.contains("started build #1"), "{out}");
    assert!(out.contains("build #1 succeeded in"), "{out}");
}

#[test]
fn tail_logs_prints_each_log_line_once_and_saves_a_step_log() {
    let out = run("tail_logs", &[]);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("| ")).collect();
    assert!(lines.last().is_some_and(|l| l.ends_with("Finished: SUCCESS")), "{out}");
    let unique: std::collections::BTreeSet<&&str> = lines.iter().collect();
    assert_eq!(unique.len(), lines.len(), "a line was printed twice:\n{out}");
    assert!(out.contains(&format!("the build has finished: {} line(s)", lines.len())), "{out}");
    let saved = out.lines().find(|l| l.starts_with("saved the log of step")).expect("a saved step log");
    let path = saved.rsplit(" to ").next().unwrap();
    let log = std::fs::read_to_string(path).unwrap();
    assert!(log.contains("[Build with Maven]") && !log.contains("[Code checkout]"), "{log}");
    std::fs::remove_file(path).ok();
}

#[test]
fn list_all_jobs_walks_three_pages_and_the_history() {
    let out = run("list_all_jobs", &[]);
    assert_eq!(out.lines().filter(|l| l.starts_with("  page ")).count(), 7, "{out}");
    assert!(out.contains("  page 3: "), "{out}");
    let builds: Vec<&str> = out.lines().filter(|l| l.starts_with("  #")).collect();
    assert_eq!(builds, ["  #4 SUCCESS", "  #3 SUCCESS", "  #2 SUCCESS", "  #1 SUCCESS"], "{out}");
}

#[test]
fn error_handling_shows_typed_errors() {
    let out = run("error_handling", &[]);
    assert!(out.contains("not found?  true"), "{out}");
    assert!(out.contains("with RetryPolicy::none(): 1 attempt(s)"), "{out}");
    assert!(out.contains("a malformed job ID:"), "{out}");
}
