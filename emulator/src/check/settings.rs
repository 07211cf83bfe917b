//! A task's advanced settings and excluded paths: ShowTaskSettings, UpdateTaskSettings,
//! ShowTaskPathTree and UpdateIgnorePath.
//!
//! The settings are [`catalogue::SETTINGS`]; an unknown key, or a value outside a setting's
//! options, is 400. The repository tree holds the files of the task's languages
//! ([`catalogue::LANGUAGES`]) and a README; UpdateIgnorePath excludes (`all`) or includes again
//! (`unchecked`) a directory or file of it, and the next run leaves the excluded files unchecked.

use codearts::check::types;

use super::catalogue::{self, SETTINGS};
use super::{Task, body, done, invalid, slice, window};
use crate::dispatch::Call;
use crate::reply::{Reply, make, ok, shorten};
use crate::state::EmulatorState;

/// `GET /v2/{project_id}/tasks/{task_id}/settings` (ShowTaskSettings).
pub(crate) fn show_task_settings(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 1000, 10)?;
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let all: Vec<types::TaskAdvancedSettings> = SETTINGS
        .iter()
        .map(|(key, _, options, description)| {
            make!(types::TaskAdvancedSettings {
                key: Some(key.to_string()),
                value: Some(task.setting(key).to_string()),
                option_value: Some(options.to_string()),
                description: Some(description.to_string())
            })
        })
        .collect();
    ok(&make!(types::TaskSettingsResponse { info: slice(all, offset, limit), total: Some(SETTINGS.len() as i32) }))
}

/// `POST /v2/{project_id}/tasks/{task_id}/settings` (UpdateTaskSettings).
pub(crate) fn update_task_settings(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateTaskSettingsRequestBody = body(call)?;
    let mut changes = Vec::new();
    for item in &request.task_advanced_settings {
        let Some((key, _, options, _)) = SETTINGS.iter().find(|(k, ..)| *k == item.key.trim()) else {
            let known: Vec<&str> = SETTINGS.iter().map(|(k, ..)| *k).collect();
            return Err(invalid(format!("Unknown setting `{}` (known: {}).", shorten(&item.key), known.join(", "))));
        };
        let value = item.value.trim();
        if !options.is_empty() && !options.split(',').any(|o| o.eq_ignore_ascii_case(value)) {
            return Err(invalid(format!("Setting {key} takes one of {options}.")));
        }
        changes.push((key.to_string(), value.to_string()));
    }
    let mut data = state.data();
    let task = data.check_task_mut(call.path("task_id"))?;
    task.settings.extend(changes);
    done()
}

/// Every directory and file of a task's repository.
fn tree(task: &Task) -> (Vec<&'static str>, std::collections::BTreeSet<String>) {
    let files = catalogue::files(&task.languages());
    let folders = catalogue::folders(&files);
    (files, folders)
}

/// `unchecked`, `all` (excluded) or `half` (something under it excluded).
fn checkbox(task: &Task, path: &str, files: &[&str]) -> &'static str {
    if catalogue::is_ignored(&task.ignored, path) {
        "all"
    } else if files.iter().any(|f| f.starts_with(&format!("{path}/")) && catalogue::is_ignored(&task.ignored, f)) {
        "half"
    } else {
        "unchecked"
    }
}

/// `GET /v2/{project_id}/tasks/{task_id}/listpathtree` (ShowTaskPathTree): the directories and
/// files directly under `current_path` (the root when omitted or `/`), directories first.
pub(crate) fn show_task_path_tree(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let (offset, limit) = window(call, 1000, 10)?;
    let current = call.query.optional("current_path").unwrap_or("").trim().trim_matches('/').to_string();
    let data = state.data();
    let task = data.check_task(call.path("task_id"))?;
    let (files, folders) = tree(task);
    if !current.is_empty() && !folders.contains(&current) && !files.contains(&current.as_str()) {
        return Err(invalid(format!("The repository has no path {}.", shorten(&current))));
    }
    let parent = |p: &str| p.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
    let children: Vec<(String, bool)> = folders
        .iter()
        .filter(|d| parent(d) == current)
        .map(|d| (d.clone(), false))
        .chain(files.iter().filter(|f| parent(f) == current).map(|f| (f.to_string(), true)))
        .collect();
    let total = children.len();
    let nodes: Vec<types::TreeNode> = children
        .into_iter()
        .map(|(path, leaf)| {
            make!(types::TreeNode {
                file_name: Some(path.rsplit('/').next().unwrap_or_default().to_string()),
                checkbox_status: Some(types::CheckboxStatus::from(checkbox(task, &path, &files))),
                file_path: Some(path),
                is_leaf: Some(leaf)
            })
        })
        .collect();
    ok(&make!(types::PathTreeResponse { info: slice(nodes, offset, limit), total: Some(total as i32) }))
}

/// `POST /v2/{project_id}/tasks/{task_id}/config-ignorepath` (UpdateIgnorePath).
pub(crate) fn update_ignore_path(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateIgnorePathRequestBody = body(call)?;
    let mut data = state.data();
    let task = data.check_task_mut(call.path("task_id"))?;
    let (files, folders) = tree(task);
    let mut changes = Vec::new();
    for item in &request.ignore_path_settings {
        let path = item.file_path.trim().trim_matches('/').to_string();
        if !folders.contains(&path) && !files.contains(&path.as_str()) {
            return Err(invalid(format!("The repository has no path {}.", shorten(&item.file_path))));
        }
        match item.checkbox_status.as_str() {
            "all" => changes.push((path, true)),
            "unchecked" => changes.push((path, false)),
            "half" => {} // What is under it says which parts are excluded.
            _ => return Err(invalid("checkbox_status must be all, half or unchecked.")),
        }
    }
    for (path, exclude) in changes {
        // A path is excluded once: by itself or by no directory above it.
        task.ignored.retain(|i| !(i == &path || i.starts_with(&format!("{path}/"))));
        if exclude {
            task.ignored.insert(path);
        }
    }
    done()
}
