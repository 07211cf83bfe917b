//! Build logs, derived from a build's timeline: every line has the time at which it is written, and
//! a download returns the lines whose time has come. So the log of a running build grows with the
//! clock, and is complete (ending in `Finished: <RESULT>`) once the build has finished.
//!
//! Each step writes five lines spread over its duration (start, command, two progress lines, then
//! `Step finished` or `Step failed` at its end); the build writes a header when it is queued and
//! when it starts, a `Build stopped` line when stopped, and the `Finished:` line. `DEBUG` lines
//! (parameters, working directories) appear only at `log_level=DEBUG`. A line looks like
//! `2024-05-01T10:00:00.050+00:00 [INFO] [Build with Maven] Step started (…)`.

use std::time::SystemTime;

use crate::state::{Build, Job, Phase, Settings, StepState, add, fmt_millis};

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One line, with the step it belongs to (`None`: the build's own lines).
struct Line {
    at: SystemTime,
    level: Level,
    step: Option<usize>,
    text: String,
}

/// Every line written by `now`, in time order.
fn lines(job: &Job, build: &Build, settings: &Settings, now: SystemTime) -> Vec<Line> {
    let mut out = Vec::new();
    let mut write = |at: SystemTime, level: Level, step: Option<usize>, text: String| {
        if build.reached(at, now) {
            out.push(Line { at, level, step, text });
        }
    };
    let user = settings.users.get(build.user).map_or("unknown", |u| u.name.as_str());
    write(
        build.created,
        Level::Info,
        None,
        format!("Build #{} of build task {} ({}) queued, record {}", build.number, job.name, job.id, build.record_id),
    );
    write(
        build.created,
        Level::Debug,
        None,
        format!("Daily build number {}, execution {}", build.daily_number, build.execution_id),
    );
    let start = build.queue_end();
    write(start, Level::Info, None, format!("Started by user {user}"));
    let flavor = job.flavor.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
    write(start, Level::Info, None, format!("Running on a {} executor{flavor} in {}", job.arch, settings.region()));
    for (name, value, sensitive) in &build.parameters {
        let value = if *sensitive { "*****" } else { value.as_str() };
        write(start, Level::Debug, None, format!("Parameter {name}={value}"));
    }
    let quarter = build.step_duration / 4;
    let view = build.view(now);
    // Steps after a failing one never run.
    for (i, step) in build.steps.iter().enumerate().take(build.last_step() + 1) {
        let begin = build.step_start(i);
        let at = |n: u32| add(begin, quarter * n);
        let name = &step.name;
        write(begin, Level::Info, Some(i), format!("[{name}] Step started ({})", step.module_id));
        write(at(1), Level::Debug, Some(i), format!("[{name}] Working directory /workspace/{}", job.name));
        let command = step.command.as_deref().and_then(|c| c.lines().find(|l| !l.trim().is_empty()));
        let command = command.unwrap_or("run the build module");
        write(at(1), Level::Info, Some(i), format!("[{name}] $ {}", command.trim()));
        write(at(2), Level::Info, Some(i), format!("[{name}] Working... (50%)"));
        write(at(3), Level::Info, Some(i), format!("[{name}] Working... (75%)"));
        let end = build.step_start(i + 1);
        match view.steps.get(i).map(|s| (s.state, s.ended)) {
            Some((StepState::Success, Some(ended))) if ended == end => {
                write(end, Level::Info, Some(i), format!("[{name}] Step finished: success"))
            }
            Some((StepState::Error, Some(ended))) if ended == end => {
                write(end, Level::Error, Some(i), format!("[{name}] Step failed: the command exited with code 1"))
            }
            _ => {}
        }
    }
    // The build's end: written at the stop or the natural end, which `reached` would exclude.
    if let (Phase::Finished(_), Some(finished)) = (view.phase, view.finished) {
        if let Some(stop) = build.stop.as_ref().filter(|_| build.effective_stop().is_some()) {
            let stopper = settings.users.get(stop.user).map_or("unknown", |u| u.name.as_str());
            let running = view.steps.iter().position(|s| s.state == StepState::Error && s.ended == Some(finished));
            out.push(Line {
                at: finished,
                level: Level::Warn,
                step: running,
                text: format!("Build stopped by user {stopper}"),
            });
        }
        if let Some(failed) = build.fail_at.filter(|_| build.effective_stop().is_none()) {
            let step = build.steps.get(failed).map_or("?", |s| s.name.as_str());
            out.push(Line {
                at: finished,
                level: Level::Error,
                step: None,
                text: format!("Build failed at step {step}"),
            });
        }
        out.push(Line {
            at: finished,
            level: Level::Info,
            step: None,
            text: format!("Finished: {}", view.phase.as_str()),
        });
    }
    out.sort_by_key(|l| l.at);
    out
}

fn render<'a>(lines: impl Iterator<Item = &'a Line>, debug: bool) -> String {
    let mut text = String::new();
    for line in lines.filter(|l| debug || l.level != Level::Debug) {
        text.push_str(&fmt_millis(line.at));
        text.push_str(" [");
        text.push_str(line.level.as_str());
        text.push_str("] ");
        text.push_str(&line.text);
        text.push('\n');
    }
    text
}

/// The full log of a build as of `now`.
pub(crate) fn full_log(job: &Job, build: &Build, settings: &Settings, now: SystemTime, debug: bool) -> String {
    render(lines(job, build, settings, now).iter(), debug)
}

/// The log of the steps named `task_name` as of `now`; `None` when the build has no such step.
pub(crate) fn task_log(
    job: &Job,
    build: &Build,
    settings: &Settings,
    now: SystemTime,
    task_name: &str,
    debug: bool,
) -> Option<String> {
    let steps: Vec<usize> =
        build.steps.iter().enumerate().filter(|(_, s)| s.name == task_name).map(|(i, _)| i).collect();
    if steps.is_empty() {
        return None;
    }
    let all = lines(job, build, settings, now);
    Some(render(all.iter().filter(|l| l.step.is_some_and(|s| steps.contains(&s))), debug))
}
