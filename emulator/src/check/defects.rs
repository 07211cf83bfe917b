//! Defects: ShowTaskDefects, ShowTaskDefectsStatistic and UpdateDefectStatus.
//!
//! A task's defects are the issues of its latest successful run; each starts pending (`0`) and
//! keeps the status UpdateDefectStatus gives it (`1` resolved, `2` ignored) through later runs
//! that find it again. ShowTaskDefects filters by `status_ids` (default `0`, as the reference says)
//! and `severity` (comma-separated), in run order, `offset` an item offset. The statistic's
//! severity counts are of the pending defects: what is still to be fixed.

use codearts::check::types;

use super::catalogue::Finding;
use super::{body, done, fmt_local, fmt_zulu, invalid, slice, value_list, window};
use crate::dispatch::Call;
use crate::reply::{Reply, make, ok, shorten};
use crate::state::EmulatorState;

fn defect(f: &Finding, status: &str, created: &str) -> types::DefectInfoV2 {
    let line = f.line as i32;
    let fragment = (line - 1..=line + 1)
        .map(|n| {
            let main = n == line;
            make!(types::DefectFragmentV2 {
                line_num: Some(n.to_string()),
                line_content: Some(if main { format!("    // {}", f.rule.name) } else { String::new() }),
                start_offset: Some(if main { 4 } else { -1 }),
                end_offset: Some(if main { 6 } else { -1 })
            })
        })
        .collect::<Vec<_>>();
    make!(types::DefectInfoV2 {
        defect_id: Some(f.id.clone()),
        defect_checker_name: Some(f.rule.name.to_string()),
        defect_content: Some(f.rule.description.to_string()),
        defect_level: Some(types::DefectSeverity::from(f.severity.to_string())),
        defect_status: Some(types::DefectStatus::from(status)),
        rule_id: Some(f.rule.id.to_string()),
        rule_name: Some(f.rule.name.to_string()),
        rule_system_tags: Some(f.rule.tag.to_string()),
        file_path: Some(f.file.to_string()),
        line_number: Some(f.line.to_string()),
        created_at: Some(created.to_string()),
        issue_key: Some(f.id.to_uppercase()),
        fragment: fragment,
        events: vec![make!(types::DefectEvents {
            path: Some(f.file.to_string()),
            line: Some(line),
            end_line: Some(line),
            main: Some(true),
            description: Some(f.rule.description.to_string()),
            tag: Some(f.rule.tag.to_string())
        })]
    })
}

/// `GET /v2/tasks/{task_id}/defects-detail` (ShowTaskDefects).
pub(crate) fn show_task_defects(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 100, 10)?;
    let statuses = value_list("status_ids", call.query.optional("status_ids").unwrap_or("0"), &["0", "1", "2"])?;
    let severities = value_list("severity", call.query.optional("severity").unwrap_or(""), &["0", "1", "2", "3"])?;
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let created = task.last_success(now).and_then(|r| r.ended(now)).map(fmt_zulu).unwrap_or_default();
    let matching: Vec<types::DefectInfoV2> = task
        .defects(now)
        .into_iter()
        .filter(|(f, status)| {
            (statuses.is_empty() || statuses.contains(status))
                && (severities.is_empty() || severities.contains(&f.severity.to_string().as_str()))
        })
        .map(|(f, status)| defect(f, status, &created))
        .collect();
    let total = matching.len();
    ok(&make!(types::ShowDefectsDetailResponseV2 {
        defects: slice(matching, offset, limit),
        total: Some(total as i32)
    }))
}

/// `GET /v2/tasks/{task_id}/defects-statistic` (ShowTaskDefectsStatistic).
pub(crate) fn show_task_defects_statistic(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let now = state.now();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let mut severity = [0; 4];
    let mut status = [0; 3];
    for (f, s) in task.defects(now) {
        let s: usize = s.parse().unwrap_or(0);
        status[s.min(2)] += 1;
        if s == 0 {
            severity[usize::from(f.severity.min(3))] += 1;
        }
    }
    let last = task.last_success(now);
    ok(&make!(types::ShowDefectsStatisticResponseV2 {
        severity: Some(make!(types::StatisticSeverityV2 {
            critical: Some(severity[0]),
            major: Some(severity[1]),
            minor: Some(severity[2]),
            suggestion: Some(severity[3])
        })),
        status: Some(make!(types::StatisticStatusV2 {
            unresolved: Some(status[0]),
            resolved: Some(status[1]),
            dismissed: Some(status[2])
        })),
        last_check_time: last.map(|r| fmt_local(r.started)),
        last_check_finish_time: last.and_then(|r| r.ended(now)).map(fmt_local)
    }))
}

/// `PUT /v2/tasks/{task_id}/defect-status` (UpdateDefectStatus): the defect must be one of the
/// task's current defects.
pub(crate) fn update_defect_status(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateDefectRequestBody = body(call)?;
    if !request.defect_status.is_known() {
        return Err(invalid("defect_status must be 0 (pending), 1 (resolved) or 2 (ignored)."));
    }
    let now = state.now();
    let mut data = state.data();
    let task = data.check_task_mut(call.path("task_id"))?;
    let id = request.defect_id.trim();
    if !task.defects(now).iter().any(|(f, _)| f.id.eq_ignore_ascii_case(id)) {
        return Err(invalid(format!("Task {} has no defect {}.", task.id, shorten(id))));
    }
    task.statuses.insert(id.to_ascii_lowercase(), request.defect_status.as_str().to_string());
    done()
}
