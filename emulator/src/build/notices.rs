//! Notification settings of a build job: ListNotice, UpdateNotice and DisableNotice.
//!
//! Every job has three channels, `DING_TALK`, `MAIL` and `MESSAGE` (UpdateNotice and DisableNotice
//! also accept `DingTalk`, `email` and `message`, any case), each with the five events of the
//! reference's example: `buildJobFail`, `updateConfigJob`, `buildJobSuccess`, `deleteJob`,
//! `forbiddenJob`. A new job starts as that example does (mail on a failed build). UpdateNotice sets a
//! channel's events to exactly the ones named; DisableNotice turns all of a channel's events off.
//! Only the job's creator may change them.

use super::jobs::{find, find_owned};
use crate::dispatch::Call;
use crate::reply::make;
use crate::reply::{ApiError, Reply, json_body, ok, shorten};
use crate::state::{EmulatorState, NOTICE_EVENTS, notice_channel};
use codearts::build::types;

fn channel(name: &str) -> Result<&'static str, ApiError> {
    notice_channel(name).ok_or_else(|| {
        ApiError::invalid(format!(
            "notice_type must be message, email or DingTalk (or MESSAGE, MAIL, DING_TALK), not `{}`.",
            shorten(name)
        ))
    })
}

fn changed(job_id: String) -> Reply {
    ok(&make!(types::NoticeOperationResponse {
        result: Some(make!(types::NoticeJobResult { job_id: Some(job_id) }).into()),
        error: None,
        status: Some("success".into())
    }))
}

/// `GET /v3/jobs/notice/{job_id}/query` (ListNotice).
pub(crate) fn list_notice(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let data = state.data();
    let job = find(&data, id)?;
    ok(&make!(types::ListNoticeResponse {
        result: job
            .notices
            .iter()
            .map(|n| make!(types::QueryJobNoticeItems {
                notice_type: Some(n.channel.into()),
                enable_map: n
                    .enabled
                    .iter()
                    .map(|(event, on)| (event.to_string(), *on))
                    .collect::<std::collections::HashMap<_, _>>(),
                param_config: n.param_config.clone()
            }))
            .collect::<Vec<_>>(),
        error: None,
        status: Some("success".into())
    }))
}

/// `POST /v3/jobs/notice/{job_id}/update` (UpdateNotice).
pub(crate) fn update_notice(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let request: types::UpdateNoticeRequestBody = json_body(&call.body, None)?;
    let channel = channel(&request.notice_type)?;
    if let Some(unknown) = request.enabled_event_type_names.iter().find(|e| !NOTICE_EVENTS.contains(&e.as_str())) {
        return Err(ApiError::invalid(format!(
            "Unknown event `{}` in enabled_event_type_names; the events are {}.",
            shorten(unknown),
            NOTICE_EVENTS.join(", ")
        )));
    }
    let mut data = state.data();
    let job = find_owned(&mut data, id, call.caller, "change the notifications of")?;
    if let Some(notice) = job.notices.iter_mut().find(|n| n.channel == channel) {
        for (event, on) in notice.enabled.iter_mut() {
            *on = request.enabled_event_type_names.iter().any(|e| e == event);
        }
        if request.param_config.is_some() {
            notice.param_config = request.param_config;
        }
    }
    changed(job.id.clone())
}

/// `POST /v3/jobs/notice/{job_id}/disable?notice_type=…` (DisableNotice).
pub(crate) fn disable_notice(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let channel = channel(call.query.required("notice_type")?)?;
    let mut data = state.data();
    let job = find_owned(&mut data, id, call.caller, "change the notifications of")?;
    if let Some(notice) = job.notices.iter_mut().find(|n| n.channel == channel) {
        notice.enabled.values_mut().for_each(|on| *on = false);
    }
    changed(job.id.clone())
}
