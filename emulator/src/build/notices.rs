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

/// The channels the v1 API adds to the v3 ones (webhook robots), by their v1 names.
const V1_CHANNELS: [&str; 2] = ["WECOM", "FEISHU"];

/// A v1 `notice_type`: the v3 channels, and WECOM and FEISHU.
fn v1_channel(name: &str) -> Result<&'static str, ApiError> {
    V1_CHANNELS.iter().copied().find(|c| c.eq_ignore_ascii_case(name.trim())).map_or_else(|| channel(name), Ok)
}

/// `GET /v1/job/{job_id}/notice` (ShowJobNoticeConfigInfo): ListNotice.
pub(crate) fn show_job_notice_config_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    list_notice(state, call)
}

/// `PUT /v1/job/{job_id}/notice` (UpdateNewNoticeNew): as UpdateNotice, for the v1 channels too
/// (a WECOM or FEISHU channel is added to the job's settings when first set); `send_switch`
/// `false` turns the channel's events off whatever is named.
pub(crate) fn update_new_notice_new(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("job_id");
    let request: types::V1UpdateNoticeRequestBody = json_body(&call.body, None)?;
    let channel = v1_channel(request.notice_type.as_str())?;
    if let Some(unknown) = request.enabled_event_type_names.iter().find(|e| !NOTICE_EVENTS.contains(&e.as_str())) {
        return Err(ApiError::invalid(format!(
            "Unknown event `{}` in enabled_event_type_names; the events are {}.",
            shorten(unknown),
            NOTICE_EVENTS.join(", ")
        )));
    }
    let off = request.send_switch.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("false"));
    let mut data = state.data();
    let job = find_owned(&mut data, id, call.caller, "change the notifications of")?;
    if !job.notices.iter().any(|n| n.channel == channel) {
        job.notices.push(crate::state::Notice {
            channel,
            enabled: NOTICE_EVENTS.iter().map(|e| (*e, false)).collect(),
            param_config: None,
        });
    }
    if let Some(notice) = job.notices.iter_mut().find(|n| n.channel == channel) {
        for (event, on) in notice.enabled.iter_mut() {
            *on = !off && request.enabled_event_type_names.iter().any(|e| e == event);
        }
        if request.param_config.is_some() {
            notice.param_config = request.param_config;
        }
    }
    changed(job.id.clone())
}

/// `POST /v1/job/check/webhook-url` (CheckWebhookUrl): whether a robot webhook URL is usable for a
/// channel (WECOM, DING_TALK or FEISHU): an `https` URL with a host; 400 otherwise.
pub(crate) fn check_webhook_url(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::CheckWebhookUrlRequestBody = json_body(&call.body, Some("job_id"))?;
    find(&state.data(), &request.job_id)?;
    let channel = v1_channel(request.notice_type.as_str())?;
    if !matches!(channel, "WECOM" | "DING_TALK" | "FEISHU") {
        return Err(ApiError::invalid(format!(
            "{channel} notifications have no webhook; WECOM, DING_TALK and FEISHU do."
        )));
    }
    let usable = url::Url::parse(request.webhook_url.trim())
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()));
    if !usable {
        return Err(ApiError::invalid(format!("webhook_url `{}` is not an https URL.", shorten(&request.webhook_url))));
    }
    super::typed::<types::DefaultResponseBody>(serde_json::json!({"status": "success"}))
}
