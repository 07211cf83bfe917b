//! CodeArts Build: the handlers of its operations, by vendor name.

mod builds;
mod jobs;
mod logs;
mod notices;
mod templates;

use crate::dispatch::Handler;

/// The handler of Build operation `id`.
pub(crate) fn handler(id: &str) -> Option<Handler> {
    Some(match id {
        "CreateBuildJob" => jobs::create_build_job,
        "UpdateBuildJob" => jobs::update_build_job,
        "ListJobConfig" => jobs::list_job_config,
        "ShowJobListByProjectId" => jobs::list_jobs,
        "DeleteBuildJob" => jobs::delete_build_job,
        "DisableBuildJob" => jobs::disable_build_job,
        "EnableBuildJob" => jobs::enable_build_job,
        "ShowJobStatus" => jobs::show_job_status,
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
        "CreateTemplates" => templates::create_templates,
        "ListTemplates" => templates::list_templates,
        "DeleteTemplates" => templates::delete_templates,
        "ListNotice" => notices::list_notice,
        "UpdateNotice" => notices::update_notice,
        "DisableNotice" => notices::disable_notice,
        _ => return None,
    })
}
