//! The recycle bin: DeleteTheJob, BatchDeleteBuildJobs (and the v3 DeleteBuildJob) move jobs into
//! it, with their builds and settings; ListRecyclingJob lists it, RestoreRecyclingJobs brings jobs
//! back as they were, DeleteRecyclingJobs and ClearRecyclingJobs purge them. A job stays for the
//! account's keep time (SetKeepTime, 1 to 30 days; 30 unless set), then is purged by itself. While
//! in the bin a job is unknown to every other call (404), and its name is free again: a restore
//! into a project that has reused the name is refused (400).

use std::time::Duration;

use serde_json::{Value, json};

use super::{Recycled, domain_of, epoch_secs, fmt_plain, job_ids, success, typed, user};
use crate::auth::Caller;
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, json_body, page, shorten};
use crate::state::{Data, EmulatorState, add};
use codearts::build::types;

/// Days a deleted job stays unless the account sets otherwise.
const DEFAULT_KEEP_DAYS: i32 = 30;

fn keep_days(data: &Data, domain: &str) -> i32 {
    data.build.keep_days.get(domain).copied().unwrap_or(DEFAULT_KEEP_DAYS)
}

/// Drops the jobs whose keep time has run out.
fn expire(data: &mut Data, now: std::time::SystemTime) {
    let keep: Vec<i32> = data.build.recycle_bin.iter().map(|r| keep_days(data, &r.job.domain_id)).collect();
    let mut keep = keep.into_iter();
    data.build.recycle_bin.retain(|r| {
        let days = keep.next().unwrap_or(DEFAULT_KEEP_DAYS);
        add(r.deleted, Duration::from_secs(days.max(0) as u64 * 86_400)) > now
    });
}

/// Moves job `id` into the recycle bin (only its creator may): returns its ID and project.
pub(crate) fn recycle(state: &EmulatorState, caller: Caller, id: &str) -> Result<(String, String), ApiError> {
    let now = state.now();
    let mut data = state.data();
    let job = super::jobs::find_owned(&mut data, id, caller, "delete")?;
    let (id, project) = (job.id.clone(), job.project_id.clone());
    let index = data.jobs.iter().position(|j| j.id == id).unwrap_or_default();
    let job = data.jobs.remove(index);
    data.build.recycle_bin.push(Recycled { job, deleted: now });
    Ok((id, project))
}

/// `DELETE /v1/job/{job_id}/delete` (DeleteTheJob).
pub(crate) fn delete_the_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (id, project) = recycle(state, call.caller, call.path("job_id"))?;
    success::<types::DeleteTheJobResponseBody>(json!({"job_id": id, "project_id": project}))
}

/// `DELETE /v1/job/batch-delete` (BatchDeleteBuildJobs): all or none (every job must exist and be
/// the caller's); `job_id` of the answer lists them, comma-separated.
pub(crate) fn batch_delete_build_jobs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::BatchDeleteBuildJobsRequestBody = json_body(&call.body, None)?;
    job_ids(&request.job_ids)?;
    {
        let mut data = state.data();
        for id in &request.job_ids {
            super::jobs::find_owned(&mut data, id, call.caller, "delete")?;
        }
    }
    let mut project = String::new();
    for id in &request.job_ids {
        project = recycle(state, call.caller, id)?.1;
    }
    success::<types::DeleteTheJobResponseBody>(json!({"job_id": request.job_ids.join(","), "project_id": project}))
}

/// `GET /v1/job/recycling-jobs` (ListRecyclingJob): the account's deleted jobs, latest deletion
/// first; `search` matches names (case-insensitive substring); `page_no` from 1.
pub(crate) fn list_recycling_job(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page_no", 1..=i64::from(i32::MAX), 1)?;
    let size = call.query.optional_int("page_size", 1..=100, 10)?;
    let search = call.query.optional("search").map(|s| s.trim().to_lowercase()).unwrap_or_default();
    let settings = state.settings();
    let domain = domain_of(settings, call.caller);
    let mut data = state.data();
    expire(&mut data, state.now());
    let items: Vec<Value> = data
        .build
        .recycle_bin
        .iter()
        .rev()
        .filter(|r| r.job.domain_id == domain && r.job.name.to_lowercase().contains(&search))
        .map(|r| {
            let created = r.job.extras.created.unwrap_or(r.deleted);
            let (creator_id, creator_name) = user(settings, r.job.creator);
            json!({
                "job_id": r.job.id, "job_name": r.job.name, "project_id": r.job.project_id,
                "creator_id": creator_id, "creator_name": creator_name,
                "create_time": fmt_plain(created), "create_time_stamp": epoch_secs(created).to_string(),
                "delete_time": fmt_plain(r.deleted), "delete_time_stamp": epoch_secs(r.deleted).to_string(),
            })
        })
        .collect();
    let total = items.len();
    let keep = keep_days(&data, &domain);
    typed::<types::RecyclingJobs>(json!({
        "status": "success", "success": true,
        "result": {"job_list": page(items, (no - 1) as usize, size as usize), "total": total, "keep_time": keep},
    }))
}

/// The recycle-bin entries of `ids` that the caller may restore or purge (its own account's): 404
/// for an ID not in the bin, 403 for a job the caller did not create.
fn entries(data: &Data, caller: Caller, domain: &str, ids: &[String]) -> Result<Vec<usize>, ApiError> {
    ids.iter()
        .map(|id| {
            let i = data
                .build
                .recycle_bin
                .iter()
                .position(|r| r.job.domain_id == domain && r.job.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| ApiError::not_found(format!("Build task {} is not in the recycle bin.", shorten(id))))?;
            if !data.build.recycle_bin[i].job.owned_by(caller.user) {
                return Err(ApiError::forbidden(format!(
                    "Only the creator of build task {id} may restore or purge it."
                )));
            }
            Ok(i)
        })
        .collect()
}

/// `POST /v1/job/recycling-restoration` (RestoreRecyclingJobs): the jobs come back with their
/// builds and settings; all or none.
pub(crate) fn restore_recycling_jobs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::JobsRequestBody = json_body(&call.body, None)?;
    job_ids(&request.job_ids)?;
    let domain = domain_of(state.settings(), call.caller);
    let mut data = state.data();
    expire(&mut data, state.now());
    let found = entries(&data, call.caller, &domain, &request.job_ids)?;
    for &i in &found {
        let job = &data.build.recycle_bin[i].job;
        if data.jobs.iter().any(|j| j.project_id == job.project_id && j.name == job.name) {
            return Err(ApiError::invalid(format!(
                "A build task named `{}` exists again in project {}; rename it before restoring {}.",
                shorten(&job.name),
                job.project_id,
                job.id
            )));
        }
    }
    let mut found = found;
    found.sort_unstable();
    for i in found.into_iter().rev() {
        let entry = data.build.recycle_bin.remove(i);
        data.jobs.push(entry.job);
    }
    typed::<types::DefaultResponseBody>(json!({"status": "success"}))
}

/// `DELETE /v1/job/recycling-deletion` (DeleteRecyclingJobs): purges the jobs for good.
pub(crate) fn delete_recycling_jobs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::JobsRequestBody = json_body(&call.body, None)?;
    job_ids(&request.job_ids)?;
    let domain = domain_of(state.settings(), call.caller);
    let mut data = state.data();
    let mut found = entries(&data, call.caller, &domain, &request.job_ids)?;
    found.sort_unstable();
    found.dedup();
    for i in found.into_iter().rev() {
        data.build.recycle_bin.remove(i);
    }
    typed::<types::BuildJobStatusChangeResponse>(json!({"status": "success"}))
}

/// `DELETE /v1/job/recycling-empty` (ClearRecyclingJobs): purges every job of the account the
/// caller created.
pub(crate) fn clear_recycling_jobs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = domain_of(state.settings(), call.caller);
    let mut data = state.data();
    data.build.recycle_bin.retain(|r| r.job.domain_id != domain || !r.job.owned_by(call.caller.user));
    typed::<types::DefaultResponseBody>(json!({"status": "success"}))
}

/// `POST /v1/job/keep-time` (SetKeepTime): 1 to 30 days, for the caller's account.
pub(crate) fn set_keep_time(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::SetKeepTimeRequestBody = json_body(&call.body, None)?;
    let days = request.keep_time;
    if !(1..=30).contains(&days) {
        return Err(ApiError::invalid("keep_time must be between 1 and 30 days."));
    }
    let domain = domain_of(state.settings(), call.caller);
    state.data().build.keep_days.insert(domain, days);
    success::<types::SetKeepTime>(json!({"keep_time": days}))
}
