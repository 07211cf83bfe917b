//! CodeArts Build: the handlers of its operations, by vendor name, and the Build state beyond jobs
//! and builds (the recycle bin, groups, keystores, template favourites).
//!
//! The v1 and v2 families (the console's API) are views of the same state as the v3/v4 ones: a job
//! created with CreateNewJob is the job ListJobConfig shows, and a build started with ExecuteJob is
//! the build ShowRecordDetail reports.

mod archive;
mod builds;
mod domain;
mod groups;
mod jobs;
mod keystores;
mod logs;
mod notices;
mod permissions;
mod realtime;
mod records;
mod recycle;
mod reports;
mod templates;
mod templates_v1;
mod v1jobs;

use std::collections::{BTreeSet, HashMap};
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::Caller;
use crate::dispatch::Handler;
use crate::reply::{ApiError, INTERNAL_ERROR, Reply, ok};
use crate::state::{Job, Settings};
use codearts::build::types;

/// The handler of Build operation `id`.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    Some(match id {
        // v3 jobs
        "CreateBuildJob" => jobs::create_build_job,
        "UpdateBuildJob" => jobs::update_build_job,
        "ListJobConfig" => jobs::list_job_config,
        "ShowJobListByProjectId" => jobs::list_jobs,
        "DeleteBuildJob" => jobs::delete_build_job,
        "DisableBuildJob" => jobs::disable_build_job,
        "EnableBuildJob" => jobs::enable_build_job,
        "ShowJobStatus" => jobs::show_job_status,
        // v3/v4 builds, records, history, logs
        "RunJob" => builds::run_job,
        "StopBuildJob" => builds::stop_build_job,
        "StopJob" => builds::stop_job,
        "ShowRecordDetail" => builds::show_record_detail,
        "ShowRecordInfo" => builds::show_record_info,
        "ShowOutputInfo" => builds::show_output_info,
        "ShowFlowGraph" => builds::show_flow_graph,
        "ShowListHistory" => builds::show_list_history,
        "ShowListPeriodHistory" => builds::show_list_period_history,
        "ShowHistoryDetails" => builds::show_history_details,
        "ShowJobSuccessRatio" => builds::show_job_success_ratio,
        "ShowLastHistory" => builds::show_last_history,
        "DownloadBuildLog" => builds::download_build_log,
        "DownloadTaskLog" => builds::download_task_log,
        "DownloadLogByRecordId" => builds::download_log_by_record_id,
        "DownloadKeystore" => builds::download_keystore,
        // v3 templates and notifications
        "CreateTemplates" => templates::create_templates,
        "ListTemplates" => templates::list_templates,
        "DeleteTemplates" => templates::delete_templates,
        "ListNotice" => notices::list_notice,
        "UpdateNotice" => notices::update_notice,
        "DisableNotice" => notices::disable_notice,
        // v1 jobs
        "CreateNewJob" => v1jobs::create_new_job,
        "UpdateNewJob" => v1jobs::update_new_job,
        "ShowJobConfig" => v1jobs::show_job_config,
        "ShowJobInfo" => v1jobs::show_job_info,
        "CopyJob" => v1jobs::copy_job,
        "ShowCopyName" => v1jobs::show_copy_name,
        "DisableTheJob" => v1jobs::disable_the_job,
        "ShowDisable" => v1jobs::show_disable,
        "ListJob" => v1jobs::list_job,
        "ListProjectJobs" => v1jobs::list_project_jobs,
        "CheckJobNameIsExists" => v1jobs::check_job_name_is_exists,
        "CheckJobCountIsTopLimit" => v1jobs::check_job_count_is_top_limit,
        "ShowRunningStatus" => v1jobs::show_running_status,
        "ShowJobStepStatus" => v1jobs::show_job_step_status,
        "ShowBuildDetails" => v1jobs::show_build_details,
        "ExecuteJob" => v1jobs::execute_job,
        "StopTheJob" => v1jobs::stop_the_job,
        "ListUpdateJobHistory" => v1jobs::list_update_job_history,
        "ShowJobConfigDiff" => v1jobs::show_job_config_diff,
        "ShowJobPipelineInfo" => v1jobs::show_job_pipeline_info,
        "AddFavouriteTask" => v1jobs::add_favourite_task,
        "RemoverFavouriteTask" => v1jobs::remover_favourite_task,
        "ListBuildParameter" => v1jobs::list_build_parameter,
        "ShowBuildParamsList" => v1jobs::show_build_params_list,
        "ShowDefaultBuildParameters" => v1jobs::show_default_build_parameters,
        "ShowJobSystemParameters" => v1jobs::show_job_system_parameters,
        "ListEndPoints" => v1jobs::list_end_points,
        // recycle bin
        "DeleteTheJob" => recycle::delete_the_job,
        "BatchDeleteBuildJobs" => recycle::batch_delete_build_jobs,
        "ListRecyclingJob" => recycle::list_recycling_job,
        "RestoreRecyclingJobs" => recycle::restore_recycling_jobs,
        "DeleteRecyclingJobs" => recycle::delete_recycling_jobs,
        "ClearRecyclingJobs" => recycle::clear_recycling_jobs,
        "SetKeepTime" => recycle::set_keep_time,
        // notifications and webhooks (v1)
        "ShowJobNoticeConfigInfo" => notices::show_job_notice_config_info,
        "UpdateNewNoticeNew" => notices::update_new_notice_new,
        "CheckWebhookUrl" => notices::check_webhook_url,
        // permissions
        "ApplyProjectPermission" => permissions::apply_project_permission,
        "BatchUpdateJobRolePermission" => permissions::batch_update_job_role_permission,
        "CheckJobInternal" => permissions::check_job_internal,
        "ShowDefaultProjectPermission" => permissions::show_default_project_permission,
        "ShowJobRolePermission" => permissions::show_job_role_permission,
        "ShowProjectJobPermission" => permissions::show_project_job_permission,
        "ShowProjectPermission" => permissions::show_project_permission,
        // groups
        "CreateJobGroup" => groups::create_job_group,
        "UpdateJobGroup" => groups::update_job_group,
        "DeleteGroup" => groups::delete_group,
        "ListGroupTree" => groups::list_group_tree,
        "MoveGroup" => groups::move_group,
        "SwitchedPacket" => groups::switched_packet,
        // v1 records and stages
        "ListBuildInfoRecord" => records::list_build_info_record,
        "ListBuildInfoRecordByJobId" => records::list_build_info_record,
        "ShowBuildInfoRecord" => records::show_build_info_record,
        "ListBriefRecord" => records::list_brief_record,
        "ListRecords" => records::list_records,
        "ShowBuildRecord" => records::show_build_record,
        "ShowBuildRecordBuildScript" => records::show_build_record_build_script,
        "ShowBuildRecordFlowGraph" => records::show_build_record_flow_graph,
        "ShowBuildRecordFullStages" => records::show_build_record_full_stages,
        "ShowJobBuildRecordDetail" => records::show_job_build_record_detail,
        "ShowJobTotal" => records::show_job_total,
        // real-time logs
        "DownloadRealTimeLog" => realtime::download_real_time_log,
        "DownloadBuildRealTimeLog" => realtime::download_build_real_time_log,
        "ShowActionIInfo" => realtime::show_action_i_info,
        "DownloadBuildFullLog" => realtime::download_build_full_log,
        // keystores (v2)
        "UploadKeystore" => keystores::upload_keystore,
        "ListKeystore" => keystores::list_keystore,
        "ListKeystoreSearch" => keystores::list_keystore_search,
        "DownloadKeystoreByName" => keystores::download_keystore_by_name,
        "UpdateKeystore" => keystores::update_keystore,
        "DeleteKeystore" => keystores::delete_keystore,
        "AddKeystorePermission" => keystores::add_keystore_permission,
        "UpdateKeystorePermission" => keystores::update_keystore_permission,
        "ShowKeystorePermission" => keystores::show_keystore_permission,
        "DeleteKeystorePermission" => keystores::delete_keystore_permission,
        // v1 templates
        "CreateTemplate" => templates_v1::create_template,
        "ListCustomTemplate" => templates_v1::list_custom_template,
        "ShowTemplate" => templates_v1::show_template,
        "DeleteTemplate" => templates_v1::delete_template,
        "AddFavouriteCustomTemplate" => templates_v1::add_favourite_custom_template,
        "RemoverFavouriteCustomTemplate" => templates_v1::remover_favourite_custom_template,
        "AddFavouriteOfficialTemplate" => templates_v1::add_favourite_official_template,
        "RemoverFavouriteOfficialTemplate" => templates_v1::remover_favourite_official_template,
        "ListOfficialTemplate" => templates_v1::list_official_template,
        "ListRecommendOfficialTemplate" => templates_v1::list_recommend_official_template,
        "SaveTemplateUsedInfo" => templates_v1::save_template_used_info,
        "ShowYamlTemplate" => templates_v1::show_yaml_template,
        "ShowImageTemplateList" => templates_v1::show_image_template_list,
        "ShowDockerfileTemplate" => templates_v1::show_dockerfile_template,
        // reports
        "ListJunitCoverageSummary" => reports::list_junit_coverage_summary,
        "DownloadJunitCoverageZip" => reports::download_junit_coverage_zip,
        "ShowReportSummary" => reports::show_report_summary,
        "ListRepoBranch" => reports::list_repo_branch,
        "ListRepository" => reports::list_repository,
        "ShowJobBuildSuccessRatio" => reports::show_job_build_success_ratio,
        "ShowJobBuildTime" => reports::show_job_build_time,
        // account (domain), resources and packages
        "ShowUserChargeType" => domain::show_user_charge_type,
        "ShowDomainsStatuses" => domain::show_domains_statuses,
        "ShowSummaryBuildJobInfo" => domain::show_summary_build_job_info,
        "ShowUserOverPackageQuota" => domain::show_user_over_package_quota,
        "ShowRelatedProject" => domain::show_related_project,
        "ListRelatedProjectInfo" => domain::list_related_project_info,
        "ShowDomainStatus" => domain::show_domain_status,
        "ShowPackageSpecCountDown" => domain::show_package_spec_count_down,
        "ShowAvailableInnerSpec" => domain::show_available_inner_spec,
        _ => return None,
    })
}

/// Build's state beyond jobs and builds.
#[derive(Default)]
pub(crate) struct BuildData {
    /// Deleted jobs, oldest deletion first, until restored, purged, or older than the keep time.
    pub(crate) recycle_bin: Vec<Recycled>,
    /// Days a deleted job stays in the recycle bin, by account (domain ID); 7 unless set.
    pub(crate) keep_days: HashMap<String, i32>,
    /// Job groups, in creation order.
    pub(crate) groups: Vec<groups::Group>,
    /// Keystore files uploaded (or configured at start), in creation order.
    pub(crate) keystores: Vec<keystores::Keystore>,
    /// Whether the configured keystore files have been added to `keystores`.
    pub(crate) keystores_seeded: bool,
    /// Templates (by UUID) each user (by index) follows.
    pub(crate) template_favourites: BTreeSet<(usize, String)>,
    /// (job ID, template ID) pairs SaveTemplateUsedInfo recorded.
    pub(crate) template_uses: Vec<(String, String)>,
}

/// A deleted job in the recycle bin.
pub(crate) struct Recycled {
    pub(crate) job: Job,
    pub(crate) deleted: SystemTime,
}

/// A job's settings that only the v1 API (and the newer v3 fields) carries.
#[derive(Default)]
pub(crate) struct JobExtras {
    pub(crate) created: Option<SystemTime>,
    pub(crate) group_id: Option<String>,
    pub(crate) build_if_code_updated: Option<bool>,
    pub(crate) timeout: Option<types::CreateBuildTimeout>,
    pub(crate) triggers: Vec<types::Trigger>,
    /// Users (by index) who follow the job.
    pub(crate) favourites: BTreeSet<usize>,
    /// Who disabled the job, when, and why.
    pub(crate) disabled_by: Option<(SystemTime, usize, String)>,
    /// The configuration after each change: creation first.
    pub(crate) revisions: Vec<Revision>,
    /// Whether the project's role permissions apply (ApplyProjectPermission).
    pub(crate) project_permission: bool,
    /// Role permissions (BatchUpdateJobRolePermission), by role ID.
    pub(crate) roles: Vec<permissions::RolePermission>,
}

/// One configuration change of a job.
pub(crate) struct Revision {
    pub(crate) at: SystemTime,
    pub(crate) user: usize,
    pub(crate) kind: &'static str,
    /// The v1 view of the configuration after the change.
    pub(crate) config: Value,
}

/// A 200 answer with `value` read as the generated type `T` (the operation's response type) and
/// written back: so the answer has the spec's shape. A value that does not fit is the emulator's
/// own bug, answered 500 with the reason (the conformance tests fail on it).
pub(crate) fn typed<T: Serialize + DeserializeOwned>(value: Value) -> Reply {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => ok(&v),
        Err(e) => Err(ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            INTERNAL_ERROR,
            format!("Internal error. The emulator's answer does not fit the spec at {}: {}", e.path(), e.inner()),
        )),
    }
}

/// `{"status": "success", "result": result}` as `T`.
pub(crate) fn success<T: Serialize + DeserializeOwned>(result: Value) -> Reply {
    typed::<T>(serde_json::json!({"status": "success", "result": result}))
}

/// A conversion between two generated types of the same JSON shape (a v1 body into the v3 job
/// state, a v3 field into its v1 twin); a field that does not fit is a 400 naming it.
pub(crate) fn convert<A: Serialize, B: DeserializeOwned>(value: &A, what: &str) -> Result<B, ApiError> {
    let json = serde_json::to_value(value).map_err(|e| ApiError::invalid(format!("{what}: {e}.")))?;
    serde_path_to_error::deserialize(json)
        .map_err(|e| ApiError::invalid(format!("{what} is invalid at {}: {}.", e.path(), e.inner())))
}

/// The caller's account (domain) ID.
pub(crate) fn domain_of(settings: &Settings, caller: Caller) -> String {
    settings.users[caller.user].domain_id.clone()
}

/// The user `index`'s ID and name (empty for an unknown index).
pub(crate) fn user(settings: &Settings, index: usize) -> (String, String) {
    settings.users.get(index).map(|u| (u.id.clone(), u.name.clone())).unwrap_or_default()
}

/// `2025-06-05T07:31:13+0000`, the layout of the v1 group and template answers.
pub(crate) fn fmt_offset(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000"))
        .unwrap_or_default()
}

/// `2024-09-20 14:38:49`, the layout of the recycle bin and report answers.
pub(crate) fn fmt_plain(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
        .unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub(crate) fn epoch_secs(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A list of IDs in a body: each a job ID (`CB.00060201` otherwise), at least one.
pub(crate) fn job_ids(ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(ApiError::invalid("job_ids must name at least one build task."));
    }
    for id in ids {
        crate::reply::job_id(id)?;
    }
    Ok(())
}

/// `t` in the record layout (`2022-10-11T08:28:42.000+00:00`), or null.
pub(crate) fn millis_opt(t: Option<SystemTime>) -> Value {
    t.map_or(Value::Null, |t| Value::String(crate::state::fmt_millis(t)))
}
