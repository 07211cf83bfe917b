//! CodeArts Check against the emulator: running a task and waiting for it (`codearts::wait`),
//! the defect summary and the quality gate, stopping, timing out, and the defect and task
//! paginators. Exact counts follow from the emulator's catalogue (docs/check.md): a Java task
//! checks 3 files with 6 rules (1 critical, 2 major, 2 minor, 1 suggestion each).

#![cfg(feature = "check")]

use std::time::Duration;

use codearts::check::{Client, types};
use codearts::wait::{CheckOutcome, DefectSummary, Gate, Severity, WaitOptions, run_check_and_wait, wait_for_check};
use codearts::{CallExt, Error};
use codearts_emulator::{Emulator, ManualClock, RunningEmulator};
use futures::StreamExt;

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const FAST_STEP: Duration = Duration::from_millis(20);
const SLOW_STEP: Duration = Duration::from_secs(10);

fn client_for(emulator: &RunningEmulator) -> Client {
    let config = emulator.config_builder().credentials(emulator.password_credentials()).build().expect("a config");
    Client::from_config(&config).expect("a client")
}

fn quick() -> WaitOptions {
    WaitOptions {
        max_wait: Duration::from_secs(20),
        initial_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(40),
    }
}

async fn create_task(client: &Client, repo: &str, branch: &str, languages: &[&str]) -> String {
    let languages: Vec<types::Language> = languages.iter().map(|l| types::Language::from(l.to_string())).collect();
    let created = client
        .create_task()
        .project_id(PROJECT)
        .body_map(|b| {
            b.git_url(format!("git@example.com:demo/{repo}.git")).git_branch(branch).language(Some(languages))
        })
        .call()
        .await
        .expect("CreateTask");
    created.task_id.expect("a task ID")
}

#[tokio::test]
async fn a_check_finishes_with_its_defect_summary() -> Result<(), Error> {
    let emulator = Emulator::builder().step_duration(FAST_STEP).start().await.expect("the emulator starts");
    let client = client_for(&emulator);
    let task = create_task(&client, "java-demo", "master", &["JAVA"]).await;
    let run = run_check_and_wait(&client, &task, quick()).await?;
    assert!(run.check.exec_id.as_deref().is_some_and(|id| id.len() == 32), "{:?}", run.check);
    let CheckOutcome::Finished { progress, summary } = run.outcome? else { panic!("the check did not finish") };
    assert_eq!(progress.task_status.map(|s| *s), Some(2));
    assert_eq!(summary, DefectSummary { critical: 3, major: 6, minor: 6, suggestion: 3 });
    assert_eq!(summary.total(), 18);

    // The gate: no critical defect allowed fails; ten at or above major fails too (3 + 6 = 9 passes).
    let verdict = "critical=0,major=10".parse::<Gate>().unwrap().evaluate(&summary);
    assert_eq!(verdict.violations.len(), 1);
    assert_eq!((verdict.violations[0].severity, verdict.violations[0].found), (Severity::Critical, 3));
    assert!("critical=3,major=9".parse::<Gate>().unwrap().evaluate(&summary).passed());
    assert!(!"major=8".parse::<Gate>().unwrap().evaluate(&summary).passed());

    // Resolving the critical defects makes the gate pass on the next read of the summary.
    let critical: Vec<types::DefectInfoV2> = client
        .show_task_defects()
        .task_id(&task)
        .severity("0")
        .into_paginator()
        .page_size(2)
        .items()
        .map(|d| d.expect("a defect"))
        .collect()
        .await;
    assert_eq!(critical.len(), 3);
    for defect in &critical {
        client
            .update_defect_status()
            .task_id(&task)
            .body_map(|b| b.defect_id(defect.defect_id.clone().unwrap()).defect_status(types::DefectStatus::X1))
            .call()
            .await?;
    }
    let statistic = client.show_task_defects_statistic().task_id(&task).call().await?;
    let after = DefectSummary::from_statistic(&statistic);
    assert_eq!(after, DefectSummary { critical: 0, major: 6, minor: 6, suggestion: 3 });
    assert!("critical=0,major=10".parse::<Gate>().unwrap().evaluate(&after).passed());
    Ok(())
}

#[tokio::test]
async fn defects_and_tasks_paginate() -> Result<(), Error> {
    let emulator = Emulator::builder().step_duration(FAST_STEP).start().await.expect("the emulator starts");
    let client = client_for(&emulator);
    let task = create_task(&client, "polyglot", "master", &["JAVA", "go"]).await;
    for i in 0..4 {
        create_task(&client, &format!("more-{i}"), "main", &["PYTHON"]).await;
    }
    let run = run_check_and_wait(&client, &task, quick()).await?;
    assert!(matches!(run.outcome?, CheckOutcome::Finished { .. }));

    // 2 languages × 3 files × 6 rules, pending only by default, all statuses on request.
    let all: Vec<types::DefectInfoV2> = client
        .show_task_defects()
        .task_id(&task)
        .status_ids("0,1,2")
        .into_paginator()
        .page_size(7)
        .items()
        .map(|d| d.expect("a defect"))
        .collect()
        .await;
    assert_eq!(all.len(), 36);
    let mut ids: Vec<&str> = all.iter().map(|d| d.defect_id.as_deref().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 36, "no defect twice across pages");
    let pages: Vec<_> =
        client.show_task_defects().task_id(&task).into_paginator().page_size(10).pages().collect().await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.as_ref().unwrap().items.len()).collect();
    assert_eq!(sizes, vec![10, 10, 10, 6]);
    let majors = client.show_task_defects().task_id(&task).severity("1").limit(100).call().await?;
    assert_eq!(majors.total, Some(12));

    let tasks: Vec<types::SimpleTaskInfoV2> = client
        .show_task_list_by_project_id()
        .project_id(PROJECT)
        .into_paginator()
        .page_size(2)
        .items()
        .map(|t| t.expect("a task"))
        .collect()
        .await;
    assert_eq!(tasks.len(), 5);
    assert_eq!(tasks[0].task_id.as_deref(), Some(task.as_str()));
    Ok(())
}

/// An emulator on a manual clock: runs stay where they are until the test advances it.
async fn manual() -> (RunningEmulator, Client, ManualClock) {
    let clock = ManualClock::starting_now();
    let emulator =
        Emulator::builder().step_duration(SLOW_STEP).clock(clock.clone()).start().await.expect("the emulator starts");
    let client = client_for(&emulator);
    (emulator, client, clock)
}

#[tokio::test]
async fn a_stopped_check_and_a_failed_one() -> Result<(), Error> {
    let (_emulator, client, clock) = manual().await;
    let task = create_task(&client, "stop-me", "master", &["JAVA"]).await;
    let started = codearts::wait::start_check(&client, &task).await?;
    // Running it again while it checks is the service's "task is running".
    let again = codearts::wait::start_check(&client, &task).await.unwrap_err();
    assert_eq!((again.status(), again.code()), (Some(400), Some("CC.00050015")), "{again}");
    clock.advance(SLOW_STEP);
    client.stop_task_by_id().task_id(&task).call().await?;
    let outcome = started.wait(&client, quick()).await?;
    assert!(
        matches!(&outcome, CheckOutcome::Stopped(p) if p.task_status.as_ref().map(|s| **s) == Some(3)),
        "{outcome:?}"
    );

    let failing = create_task(&client, "broken", "fail-on-purpose", &["JAVA"]).await;
    let started = codearts::wait::start_check(&client, &failing).await?;
    clock.advance(SLOW_STEP * 4);
    assert!(matches!(started.wait(&client, quick()).await?, CheckOutcome::Failed(_)));
    Ok(())
}

#[tokio::test]
async fn a_check_that_outlasts_the_wait_times_out() -> Result<(), Error> {
    let (_emulator, client, _clock) = manual().await;
    let task = create_task(&client, "slow", "master", &["JAVA"]).await;
    let options = WaitOptions { max_wait: Duration::from_millis(120), ..quick() };
    let started = std::time::Instant::now();
    let run = run_check_and_wait(&client, &task, options).await?;
    let CheckOutcome::TimedOut { last: Some(last) } = run.outcome? else { panic!("expected a timeout") };
    assert_eq!(last.task_status.map(|s| *s), Some(0));
    assert_eq!(last.progress.and_then(|p| p.ratio).as_deref(), Some("0%"));
    assert!(started.elapsed() < Duration::from_secs(5));
    Ok(())
}

#[tokio::test]
async fn waiting_for_an_unknown_task_is_the_services_error() {
    let (_emulator, client, _clock) = manual().await;
    let e = wait_for_check(&client, "0123456789abcdef0123456789abcdef", quick()).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(400), Some("CC.00050000")), "{e}");
    let e = wait_for_check(&client, "not/a task", quick()).await.unwrap_err();
    assert!(e.to_string().contains("task_id"), "checked before sending: {e}");
}

/// `examples/check_gate.rs` on the emulator (`cargo test` builds the examples first): the default
/// gate passes, `critical=0` fails the process.
#[test]
fn the_gate_example_passes_and_fails_as_documented() {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let exe = deps.parent().unwrap().join("examples").join(format!("check_gate{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "{} was not built (cargo test builds examples)", exe.display());
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(args).env("HOME", home.path()).env_remove("CODEARTS_PROJECT_ID");
        for (key, _) in std::env::vars() {
            if key.starts_with("HUAWEICLOUD_SDK_") {
                cmd.env_remove(key);
            }
        }
        cmd.output().unwrap()
    };
    let passed = run(&[]);
    let stdout = String::from_utf8_lossy(&passed.stdout);
    assert!(passed.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&passed.stderr));
    assert!(stdout.contains("embedded CodeArts emulator"), "{stdout}");
    assert!(stdout.contains("check finished: critical 3, major 6, minor 6, suggestion 3"), "{stdout}");
    assert!(stdout.contains("quality gate critical=5,major=10: passed"), "{stdout}");
    let failed = run(&["critical=0"]);
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stdout).contains("failed: 3 critical (at most 0 allowed)"));
}
