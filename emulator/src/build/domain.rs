//! The account (domain) and its resources: ShowUserChargeType, ShowDomainsStatuses,
//! ShowDomainStatus, ShowSummaryBuildJobInfo, ShowUserOverPackageQuota, ShowRelatedProject,
//! ListRelatedProjectInfo, ShowPackageSpecCountDown and ShowAvailableInnerSpec.
//!
//! Every emulator account is a normal account on the free package without a build quota: no
//! package expires (the countdown is empty), and the executor flavors are the service's built-in
//! ones for the architecture. The related CodeArts projects are those holding the account's jobs,
//! in order of their first job; the summary counts the account's jobs and builds.

use serde_json::{Value, json};

use super::{domain_of, success, typed, user};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, json_body, page, shorten};
use crate::state::{EmulatorState, Outcome, Phase};
use codearts::build::types;

/// `GET /v1/domain/charge-type` (ShowUserChargeType).
pub(crate) fn show_user_charge_type(_: &EmulatorState, _: &Call<'_>) -> Reply {
    success::<types::ShowUserChargeTypeResponse>(
        json!({"type": "FREE", "charge_type": "free", "main_resource_list": []}),
    )
}

fn domain_status(state: &EmulatorState, domain: &str, name: &str) -> Value {
    json!({
        "domain_id": domain, "domain_name": name, "domain_business_type": "NORMAL", "domain_type": 1,
        "status": 1, "allow_custom_env": 1, "free_quota": true, "free_package_quota": false, "is_federation": 0,
        "is_whitelist": 0, "package_type": "CODEARTS_FREE", "region": state.settings().region(), "service_name": "CodeCI",
        "spec_threshold": "[]",
    })
}

/// `POST /v1/domain/domains-statuses` (ShowDomainsStatuses): the statuses of the accounts named in
/// `domain_ids` (comma-separated); accounts the emulator does not know are left out.
pub(crate) fn show_domains_statuses(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::DomainsStatusesRequestBody = json_body(&call.body, None)?;
    crate::reply::not_null(call, &["domain_ids"])?;
    let ids: Vec<&str> =
        request.domain_ids.as_deref().unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let mut out: Vec<Value> = Vec::new();
    for id in ids {
        if let Some(u) = state.settings().users.iter().find(|u| u.domain_id == id)
            && !out.iter().any(|v| v["domain_id"] == id)
        {
            out.push(domain_status(state, &u.domain_id, &u.domain_name));
        }
    }
    success::<types::DomainStatusesResponseBody>(json!(out))
}

/// `GET /v1/domain/status` (ShowDomainStatus): the caller's account.
pub(crate) fn show_domain_status(_: &EmulatorState, _: &Call<'_>) -> Reply {
    success::<types::ShowDomainStatus>(json!({"allow_custom_env": 1, "free_quota": true, "status": 1}))
}

/// `GET /v1/domain/job-summary` (ShowSummaryBuildJobInfo): the account's jobs, their builds, and
/// the mean success percentage of the finished ones.
pub(crate) fn show_summary_build_job_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = domain_of(state.settings(), call.caller);
    let now = state.now();
    let data = state.data();
    let jobs: Vec<_> = data.jobs.iter().filter(|j| j.domain_id == domain).collect();
    let phases: Vec<Phase> = jobs.iter().flat_map(|j| j.builds.iter().map(|b| b.view(now).phase)).collect();
    let finished = phases.iter().filter(|p| p.is_finished()).count();
    let good = phases.iter().filter(|p| **p == Phase::Finished(Outcome::Success)).count();
    success::<types::JobSummaryBody>(json!({"summary": {
        "job_total": jobs.len(), "build_no": phases.len(),
        "avg_success_ratio": (good * 100).checked_div(finished).unwrap_or(0),
        "version_total": good.to_string(),
    }}))
}

/// `GET /v1/domain/package/quota?project_id=…` (ShowUserOverPackageQuota).
pub(crate) fn show_user_over_package_quota(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.query.required("project_id")?.to_ascii_lowercase();
    let now = state.now();
    let data = state.data();
    let used: i64 = data
        .jobs
        .iter()
        .filter(|j| j.project_id == project)
        .flat_map(|j| j.builds.iter().map(|b| i64::from(b.view(now).duration_ms())))
        .sum();
    success::<types::ShowUserOverPackageQuota>(json!({
        "build_quota": "unlimit", "is_over_quota": false, "used_quota": format!("{}", used / 60_000),
    }))
}

/// The account's CodeArts projects (those holding its jobs), `search` matching their IDs.
fn related(state: &EmulatorState, call: &Call<'_>, search: &str) -> Vec<Value> {
    let settings = state.settings();
    let domain = domain_of(settings, call.caller);
    let data = state.data();
    let mut out: Vec<Value> = Vec::new();
    for job in data.jobs.iter().filter(|j| j.domain_id == domain && j.project_id.contains(search)) {
        if out.iter().any(|v| v["identifier"] == job.project_id.as_str()) {
            continue;
        }
        let (author, _) = user(settings, job.creator);
        out.push(json!({
            "identifier": job.project_id, "name": format!("project-{}", &job.project_id[..8.min(job.project_id.len())]),
            "author_domain_id": domain, "author_id": author, "is_creator": job.creator == call.caller.user, "status": 1,
        }));
    }
    out
}

/// `GET /v1/domain/project/related` (ShowRelatedProject).
pub(crate) fn show_related_project(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let list = related(state, call, "");
    let total = list.len();
    success::<types::ShowRelatedProject>(json!({"project_info_list": list, "total": total}))
}

/// `GET /v1/domain/project/related-page` (ListRelatedProjectInfo): `page_no` from 1.
pub(crate) fn list_related_project_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page_no", 1..=i64::from(i32::MAX), 1)? as usize;
    let size = call.query.optional_int("page_size", 1..=100, 10)? as usize;
    let search = call.query.optional("search").map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
    let list = related(state, call, &search);
    let total = list.len();
    success::<types::ListRelatedProjectInfo>(json!({"project_info_list": page(list, no - 1, size), "total": total}))
}

/// `POST /v2/resource/countdown` (ShowPackageSpecCountDown): the packages about to expire (none
/// on the free package).
pub(crate) fn show_package_spec_count_down(_: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::CountdownRequestBody = json_body(&call.body, None)?;
    crate::reply::non_blank(&request.service_type, "service_type")?;
    typed::<types::ShowPackageSpecCountDownResponse>(json!({"status": "success", "result": []}))
}

/// `GET /v2/resource/spec?project_id=…&arch=…` (ShowAvailableInnerSpec): the executor flavors of
/// the architecture (`x86-64` or `arm`), a top-level array.
pub(crate) fn show_available_inner_spec(_: &EmulatorState, call: &Call<'_>) -> Reply {
    call.query.required("project_id")?;
    let arch = call.query.required("arch")?;
    let flavors: &[&str] = match arch.trim().to_ascii_lowercase().as_str() {
        "x86-64" | "x86" => &["DEFAULT", "2U8G", "4U8G", "4U16G", "8U16G", "16U32G"],
        "arm" => &["DEFAULT", "2U8G", "4U16G", "8U32G"],
        _ => {
            return Err(ApiError::invalid(format!("arch must be x86-64 or arm, not `{}`.", shorten(arch))));
        }
    };
    crate::reply::ok(&flavors)
}
