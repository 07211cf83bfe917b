//! A quality gate for CI: run a CodeArts Check task, wait for it, and fail when its unresolved
//! defects exceed thresholds per severity (`codearts::wait::{run_check_and_wait, Gate}`).
//!
//! `cargo run --example check_gate -- [GATE] [TASK_ID]`, GATE like `critical=0,major=10` (each
//! threshold counts the defects of that severity or a more severe one; default
//! `critical=5,major=10`). With no credentials in the environment it runs on the embedded
//! emulator and creates a Java task first (the emulator finds 3 critical, 6 major, 6 minor and 3
//! suggestion defects in it: the default gate passes, `critical=0` fails). Against the real region
//! (credentials and `CODEARTS_PROJECT_ID` set) pass the task's ID. Exits non-zero when the check
//! does not finish or the gate fails.

use std::time::Duration;

use codearts::check::{Client, types};
use codearts::wait::{CheckOutcome, Gate, Severity, WaitOptions, run_check_and_wait};
use codearts::{CallExt, Config};
use codearts_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let gate: Gate = args.next().as_deref().unwrap_or("critical=5,major=10").parse()?;
    let task_arg = args.next();

    // The real region when configured, the emulator otherwise (kept alive until the end).
    let (client, _emulator, project) = match (std::env::var("CODEARTS_PROJECT_ID"), Config::from_env()) {
        (Ok(project), Ok(config)) => {
            println!("Credentials found: running against {:?}.", config.region());
            (Client::from_config(&config)?, None, project)
        }
        _ => {
            let emulator = Emulator::builder().step_duration(Duration::from_millis(100)).start().await?;
            println!(
                "No credentials in the environment: running against the embedded CodeArts emulator at {}.",
                emulator.base_url()
            );
            let config = emulator.config_builder().credentials(emulator.password_credentials()).build()?;
            (Client::from_config(&config)?, Some(emulator), "6ecbc5bac7c8442fb3d2563d53c13582".to_string())
        }
    };

    let task_id = match task_arg {
        Some(id) => id,
        None => {
            // A task checks one branch of one repository, here in Java with the project's default
            // rule set.
            let created = client
                .create_task()
                .project_id(&project)
                .body_map(|b| {
                    b.git_url("git@example.com:demo/java-demo.git")
                        .git_branch("master")
                        .language(Some(vec![types::Language::from("JAVA".to_string())]))
                })
                .call()
                .await?;
            let id = created.task_id.ok_or("CreateTask returned no task ID")?;
            println!("created check task {id}");
            id
        }
    };

    // RunTask is sent once (never resent); then ShowProgressDetail is polled with a growing,
    // jittered interval, and after a success ShowTaskDefectsStatistic gives the summary.
    let options = WaitOptions {
        max_wait: Duration::from_secs(1800),
        initial_interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(10),
    };
    let run = run_check_and_wait(&client, &task_id, options).await?;
    let summary = match run.outcome? {
        CheckOutcome::Finished { summary, .. } => summary,
        CheckOutcome::Failed(_) => return Err(format!("the check of task {task_id} failed (see ShowTasklog)").into()),
        CheckOutcome::Stopped(_) => return Err(format!("the check of task {task_id} was stopped").into()),
        CheckOutcome::TimedOut { .. } => return Err(format!("the check of task {task_id} is still running").into()),
    };
    println!("check finished: {summary}");

    // The most severe pending defects, for the log of the CI step.
    let worst =
        client.show_task_defects().task_id(&task_id).severity(Severity::Critical.code()).limit(5).call().await?;
    for defect in &worst.defects {
        println!(
            "  critical: {} at {}:{}",
            defect.rule_name.as_deref().unwrap_or("?"),
            defect.file_path.as_deref().unwrap_or("?"),
            defect.line_number.as_deref().unwrap_or("?")
        );
    }

    let verdict = gate.evaluate(&summary);
    println!("quality gate {gate}: {verdict}");
    if verdict.passed() { Ok(()) } else { Err(format!("quality gate {gate} {verdict}").into()) }
}
