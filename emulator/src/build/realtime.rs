//! Reading a build's log while it runs: DownloadRealTimeLog (v3), DownloadBuildRealTimeLog and
//! ShowActionIInfo (v1), and the v1 full download DownloadBuildFullLog.
//!
//! Offsets are byte offsets into the INFO log as DownloadBuildLog serves it at that moment, so a
//! client that asks again from the offset it was given reads every byte exactly once, and the
//! pieces put together are the full log. `has_more_data` / `has_more` stay true while the build
//! runs (more will be written) and while unread bytes remain. A piece never splits a UTF-8
//! character: it ends before a character that would not fit.

use serde_json::json;

use super::builds::find_build;
use super::logs::full_log;
use super::{archive, success, typed};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, build_number, file};
use crate::state::EmulatorState;
use codearts::build::types;

/// The default and largest piece DownloadRealTimeLog returns.
const MAX_PIECE: usize = 1_000_000;

/// The v1 piece size (`size`, "fixed at 1000").
const V1_PIECE: usize = 1000;

/// The log of build `no` of job `id` as of now, and whether the build has finished.
fn log_of(state: &EmulatorState, id: &str, no: i32) -> Result<(String, bool), ApiError> {
    let now = state.now();
    let data = state.data();
    let (job, build) = find_build(&data, id, no)?;
    Ok((full_log(job, build, state.settings(), now, false), build.view(now).phase.is_finished()))
}

/// `log[from..]`, at most `max` bytes, ending on a character boundary.
fn piece(log: &str, from: usize, max: usize) -> &str {
    let start = (from.min(log.len())..=log.len()).find(|i| log.is_char_boundary(*i)).unwrap_or(log.len());
    let mut end = start.saturating_add(max).min(log.len());
    while !log.is_char_boundary(end) {
        end -= 1;
    }
    &log[start..end]
}

/// `GET /v3/jobs/{job_id}/{build_no}/real-time-log?offset=…&length=…` (DownloadRealTimeLog).
pub(crate) fn download_real_time_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.path("build_no"))?;
    let offset = call.query.required_int("offset", 0..=i64::MAX)? as usize;
    let length = call.query.optional_int("length", 1..=i64::MAX, MAX_PIECE as i64)?.min(MAX_PIECE as i64) as usize;
    let (log, finished) = log_of(state, call.path("job_id"), no)?;
    let content = piece(&log, offset, length);
    let start = offset.min(log.len());
    let next = start + content.len();
    typed::<types::RealTimeLogResponseBody>(json!({
        "status": "success",
        "result": {
            "content": content,
            "offset": start,
            "current_offset": next,
            "has_more_data": !finished || next < log.len(),
        },
    }))
}

/// The v1 piece between `start_offset` and `end_offset` (at most `size` bytes; `end_offset` 0
/// means "as far as there is"). `sort=DESC` returns the piece's lines last first.
fn v1_piece(state: &EmulatorState, call: &Call<'_>, id: &str, no: i32) -> Reply {
    let start = call.query.required_int("start_offset", 0..=i64::from(i32::MAX))? as usize;
    let end = call.query.required_int("end_offset", 0..=i64::from(i32::MAX))? as usize;
    let descending = call.query.optional_choice("sort", &["AES", "DESC"])? == Some("DESC");
    let size = match call.query.optional("size") {
        None => V1_PIECE,
        Some(v) => crate::reply::parse_int("size", v, 1..=MAX_PIECE as i64)? as usize,
    };
    if end != 0 && end < start {
        return Err(ApiError::invalid("end_offset must not be less than start_offset."));
    }
    let (log, finished) = log_of(state, id, no)?;
    let max = if end == 0 { size } else { (end - start).min(size) };
    let text = piece(&log, start, max);
    let from = start.min(log.len());
    let next = from + text.len();
    let text = if descending { text.lines().rev().map(|l| format!("{l}\n")).collect() } else { text.to_string() };
    success::<types::OctopusV3LogResponseBody>(json!({
        "log": text,
        "start_offset": from,
        "end_offset": next,
        "has_more": !finished || next < log.len(),
        "location": "OCTOPUS",
    }))
}

/// `GET /v1/log/{job_id}/{build_no}/real-time-log` (DownloadBuildRealTimeLog).
pub(crate) fn download_build_real_time_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = build_number("build_no", call.path("build_no"))?;
    v1_piece(state, call, call.path("job_id"), no)
}

/// `GET /v1/log/stage/page?job_id=…&build_no=…` (ShowActionIInfo): the same pieces, the build
/// named in the query.
pub(crate) fn show_action_i_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.query.required("job_id")?.to_string();
    let no = build_number("build_no", call.query.required("build_no")?)?;
    v1_piece(state, call, &id, no)
}

/// `GET /v1/log/{record_id}/download-log` (DownloadBuildFullLog): DownloadBuildLog, as a gzip file
/// with `compress=true`.
pub(crate) fn download_build_full_log(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("record_id");
    let debug = call.query.optional_choice("log_level", &["INFO", "DEBUG"])? == Some("DEBUG");
    let compress = call.query.optional_choice("compress", &["true", "false"])? == Some("true");
    let now = state.now();
    let data = state.data();
    let (job, build) = super::builds::find_record(&data, id)?;
    let log = full_log(job, build, state.settings(), now, debug);
    if compress {
        file(&format!("{id}.log.gz"), archive::gzip(log.as_bytes()))
    } else {
        file(&format!("{id}.log"), log)
    }
}

#[cfg(test)]
mod tests {
    use super::piece;

    #[test]
    fn pieces_never_split_a_character() {
        let log = "ab€cd";
        assert_eq!(piece(log, 0, 3), "ab");
        assert_eq!(piece(log, 2, 3), "€");
        assert_eq!(piece(log, 3, 10), "cd", "an offset inside a character starts at the next one");
        assert_eq!(piece(log, 99, 10), "");
    }
}
