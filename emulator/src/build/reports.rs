//! Reports: unit-test results and coverage (ShowReportSummary, ListJunitCoverageSummary,
//! DownloadJunitCoverageZip), the repositories and branches a job built (ListRepository,
//! ListRepoBranch), and the daily success ratio and build times (ShowJobBuildSuccessRatio,
//! ShowJobBuildTime).
//!
//! A step whose name mentions `test` runs unit tests: once it has ended it has a report of 10 tests,
//! all passed when the step succeeded, one failure when it failed. Its coverage report is a zip of
//! a `index.html` and a `jacoco.xml`. `root_id` is the report's ID (stable per build and step).
//! The success ratio and build times cover the builds of the repository (and `branch`, `all` by
//! default) created in the last `interval` days (0: today only), finished ones only.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::archive;
use super::jobs::find;
use super::records::build_of;
use super::{success, typed};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, build_number, file, shorten};
use crate::state::{Build, EmulatorState, Job, Outcome, Phase, StepState, fmt_millis, uuid};
use codearts::build::types;

/// Tests each test step runs.
const TESTS: i32 = 10;

/// The test steps of a build that have ended: (step index, report ID, passed).
fn test_reports(build: &Build, now: SystemTime) -> Vec<(usize, String, bool, SystemTime, i32)> {
    let view = build.view(now);
    build
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.name.to_ascii_lowercase().contains("test"))
        .filter_map(|(i, _)| {
            let s = &view.steps[i];
            let ended = s.ended?;
            let passed = s.state == StepState::Success;
            Some((i, uuid(&format!("{}/report/{i}", build.record_id)), passed, ended, view.step_ms(i)))
        })
        .collect()
}

fn report_json(
    job: &Job,
    build: &Build,
    region: &str,
    (i, root, passed, ended, ms): &(usize, String, bool, SystemTime, i32),
) -> Value {
    let failures = if *passed { 0 } else { 1 };
    json!({
        "build_no": build.number, "job_id": job.id, "region": region, "root_id": root,
        "stage_name": format!("stage{}", i + 1), "genrate_time": fmt_millis(*ended), "execution_time": ms,
        "total": TESTS, "success": TESTS - failures, "failures": failures, "errors": 0, "others": 0,
        "success_density": f64::from(TESTS - failures) / f64::from(TESTS), "is_success": passed,
    })
}

fn job_and_build<'a>(
    data: &'a crate::state::Data,
    call: &Call<'_>,
    id: &str,
) -> Result<(&'a Job, &'a Build), ApiError> {
    let no = build_number("build_no", call.query.required("build_no")?)?;
    let job = find(data, id)?;
    Ok((job, build_of(job, no)?))
}

/// `GET /v1/report/{job_id}/summary?build_no=…` (ShowReportSummary): each test step's result and
/// their sum (404 when the build has run no tests yet).
pub(crate) fn show_report_summary(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let (job, build) = job_and_build(&data, call, call.path("job_id"))?;
    let region = state.settings().region();
    let reports = test_reports(build, now);
    if reports.is_empty() {
        return Err(ApiError::not_found(format!("Build #{} of {} has no test report.", build.number, job.id)));
    }
    let subs: Vec<Value> = reports.iter().map(|r| report_json(job, build, region, r)).collect();
    let sum = |k: &str| subs.iter().map(|s| s[k].as_i64().unwrap_or(0)).sum::<i64>();
    let (total, passed) = (sum("total"), sum("success"));
    let last = reports.last().map(|r| r.3).unwrap_or(now);
    let summary = json!({
        "build_no": build.number, "job_id": job.id, "region": region, "root_id": uuid(&format!("{}/report", build.record_id)),
        "stage_name": "summary", "genrate_time": fmt_millis(last), "execution_time": sum("execution_time"),
        "total": total, "success": passed, "failures": sum("failures"), "errors": 0, "others": 0,
        "success_density": if total == 0 { 0.0 } else { passed as f64 / total as f64 }, "is_success": passed == total,
    });
    success::<types::ShowReportSummaryBody>(json!({"sub_summarys": subs, "summary": summary}))
}

/// `GET /v1/report/junit/coverage/list?job_id=…&build_no=…` (ListJunitCoverageSummary).
pub(crate) fn list_junit_coverage_summary(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let (job, build) = job_and_build(&data, call, call.query.required("job_id")?)?;
    let region = state.settings().region();
    let list: Vec<Value> = test_reports(build, now)
        .iter()
        .map(|(i, root, ..)| {
            json!({"build_no": build.number, "job_id": job.id, "region": region, "root_id": root, "stage_name": format!("stage{}", i + 1)})
        })
        .collect();
    success::<types::ListJunitCoverageSummary>(json!({"unit_summary_list": list}))
}

/// `GET /v1/report/junit/coverage/download?job_id=…&build_no=…&root_id=…` (DownloadJunitCoverageZip).
pub(crate) fn download_junit_coverage_zip(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let root = call.query.required("root_id")?.to_string();
    let now = state.now();
    let data = state.data();
    let (job, build) = job_and_build(&data, call, call.query.required("job_id")?)?;
    let Some((i, _, passed, ..)) = test_reports(build, now).into_iter().find(|r| r.1 == root) else {
        return Err(ApiError::not_found(format!("Build #{} has no coverage report {}.", build.number, shorten(&root))));
    };
    let covered = if passed { 80 } else { 60 };
    let step = &build.steps[i].name;
    let html = format!(
        "<html><body><h1>Coverage of {} #{}: {step}</h1><p>Lines: {covered}%</p></body></html>\n",
        job.name, build.number
    );
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<report name=\"{}\"><counter type=\"LINE\" missed=\"{}\" covered=\"{covered}\"/></report>\n",
        job.id,
        100 - covered
    );
    file(
        &format!("coverage-{root}.zip"),
        archive::zip(&[("index.html".into(), html.into_bytes()), ("jacoco.xml".into(), xml.into_bytes())]),
    )
}

/// `GET /v1/report/{job_id}/repositories` (ListRepository): the job's repositories; `latest` is the
/// one its last build checked out (the first code source before any build).
pub(crate) fn list_repository(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let mut repositories = job.repository_names();
    for b in &job.builds {
        if let Some(r) = &b.repo_name
            && !repositories.contains(r)
        {
            repositories.push(r.clone());
        }
    }
    let latest = job.builds.last().and_then(|b| b.repo_name.clone()).or_else(|| repositories.first().cloned());
    success::<types::Repositories>(json!({"latest": latest, "repositories": repositories}))
}

/// The job's builds of `repository` (and `branch` unless `all`).
fn builds_of<'a>(job: &'a Job, repository: &str, branch: &str) -> Vec<&'a Build> {
    job.builds
        .iter()
        .filter(|b| b.repo_name.as_deref() == Some(repository))
        .filter(|b| branch.eq_ignore_ascii_case("all") || b.branch == branch)
        .collect()
}

/// `GET /v1/report/branches?job_id=…&repository_name=…` (ListRepoBranch): the branches built.
pub(crate) fn list_repo_branch(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let repository = call.query.required("repository_name")?.to_string();
    let data = state.data();
    let job = find(&data, call.query.required("job_id")?)?;
    let mut branches: Vec<String> = Vec::new();
    for b in builds_of(job, &repository, "all") {
        if !branches.contains(&b.branch) {
            branches.push(b.branch.clone());
        }
    }
    typed::<types::BranchesBody>(json!({"status": "success", "result": branches}))
}

/// A finished build, how it ended, and its duration (ms).
type Finished<'a> = (&'a Build, Phase, i32);

/// The finished builds of the report's repository and branch within the last `interval` days.
fn window<'a>(state: &EmulatorState, call: &Call<'_>, job: &'a Job) -> Result<(String, Vec<Finished<'a>>), ApiError> {
    let repository = call.query.required("repository_name")?;
    let branch = call.query.optional("branch").filter(|b| !b.trim().is_empty()).unwrap_or("all").to_string();
    let interval = call.query.required_int("interval", 0..=30)?;
    let now = state.now();
    let today = crate::state::date_of(now);
    let first = today - time::Duration::days(interval);
    let list = builds_of(job, repository, &branch)
        .into_iter()
        .filter(|b| crate::state::date_of(b.created) >= first)
        .map(|b| {
            let view = b.view(now);
            (b, view.phase, view.duration_ms())
        })
        .filter(|(_, p, _)| p.is_finished())
        .collect();
    Ok((branch, list))
}

/// `GET /v1/report/ratio` (ShowJobBuildSuccessRatio): per day, the percentage of successful builds.
pub(crate) fn show_job_build_success_ratio(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let job = find(&data, call.query.required("job_id")?)?;
    let (branch, builds) = window(state, call, job)?;
    let ok = |p: &Phase| *p == Phase::Finished(Outcome::Success);
    let mut days: Vec<(String, i32, i32)> = Vec::new();
    for (b, phase, _) in &builds {
        let day = crate::state::date_of(b.created).to_string();
        match days.iter_mut().find(|d| d.0 == day) {
            Some(d) => {
                d.1 += 1;
                d.2 += i32::from(ok(phase));
            }
            None => days.push((day, 1, i32::from(ok(phase)))),
        }
    }
    let total = builds.len() as i32;
    let good = builds.iter().filter(|(_, p, _)| ok(p)).count() as i32;
    let every_day: Vec<Value> =
        days.iter().map(|(d, n, s)| json!({"date": d, "success_ratio": s * 100 / n.max(&1)})).collect();
    typed::<types::ShowJobBuildSuccessRatio>(json!({"status": "success", "result": {
        "job_id": job.id, "branch": branch, "every_day_report": every_day, "total_count": total,
        "total_success_count": good, "total_success_ratio_fraction": format!("{good}/{total}"),
    }}))
}

/// `GET /v1/report/time` (ShowJobBuildTime): each finished build's duration (ms), and their mean,
/// longest and shortest (0 without builds).
pub(crate) fn show_job_build_time(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let job = find(&data, call.query.required("job_id")?)?;
    let (_, builds) = window(state, call, job)?;
    let times: Vec<i32> = builds.iter().map(|(_, _, ms)| *ms).collect();
    let chart: Vec<Value> = builds
        .iter()
        .map(|(b, p, ms)| {
            json!({"build_number": b.number, "build_result": p.as_str(), "build_time": ms, "daily_build_number": b.daily_number})
        })
        .collect();
    let avg =
        if times.is_empty() { 0.0 } else { times.iter().map(|t| f64::from(*t)).sum::<f64>() / times.len() as f64 };
    typed::<types::ShowJobBuildTime>(json!({"status": "success", "result": {
        "job_id": job.id, "chart": chart, "avg_build_time": avg,
        "max_build_time": times.iter().max().copied().unwrap_or(0), "min_build_time": times.iter().min().copied().unwrap_or(0),
    }}))
}
