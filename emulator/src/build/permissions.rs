//! Job permissions by project role: ApplyProjectPermission, BatchUpdateJobRolePermission,
//! CheckJobInternal, ShowDefaultProjectPermission, ShowJobRolePermission,
//! ShowProjectJobPermission and ShowProjectPermission.
//!
//! Each job has a permission set per role; it starts as the defaults below and
//! BatchUpdateJobRolePermission replaces the roles it names. The caller's own rights on a job
//! (ShowProjectJobPermission) are the emulator's ownership rule, the same as the job lists'
//! flags: everyone may view, run and copy; the creator alone may modify, delete, disable and manage
//! it. Every user of the emulator is an administrator of every CodeArts project
//! (ShowProjectPermission).

use std::time::SystemTime;

use serde_json::{Value, json};

use super::jobs::{find, find_owned};
use super::millis_opt as fmt_millis_opt;
use super::{success, typed};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, json_body};
use crate::state::{EmulatorState, Job};
use codearts::build::types;

/// A role's rights on a job.
#[derive(Clone)]
pub(crate) struct RolePermission {
    pub(crate) role_id: i32,
    pub(crate) role_name: String,
    /// is_modify, is_delete, is_view, is_execute, is_copy, is_forbidden, is_manager.
    pub(crate) rights: [bool; 7],
    pub(crate) updated: Option<SystemTime>,
}

const RIGHTS: [&str; 7] = ["is_modify", "is_delete", "is_view", "is_execute", "is_copy", "is_forbidden", "is_manager"];

/// The roles every job starts with: (role ID, name, rights).
const DEFAULT_ROLES: &[(i32, &str, [bool; 7])] = &[
    (-1, "project_admin", [true; 7]),
    (-3, "creator", [true; 7]),
    (3, "developer", [false, false, true, true, true, false, false]),
    (6, "tester", [false, false, true, true, false, false, false]),
    (7, "viewer", [false, false, true, false, false, false, false]),
];

fn rights_json(rights: &[bool; 7]) -> serde_json::Map<String, Value> {
    RIGHTS.iter().zip(rights).map(|(k, v)| (k.to_string(), json!(v))).collect()
}

/// The job's roles: the defaults, replaced by those set.
fn roles(job: &Job) -> Vec<RolePermission> {
    let mut out: Vec<RolePermission> = DEFAULT_ROLES
        .iter()
        .map(|(id, name, rights)| RolePermission {
            role_id: *id,
            role_name: name.to_string(),
            rights: *rights,
            updated: None,
        })
        .collect();
    for set in &job.extras.roles {
        match out.iter_mut().find(|r| r.role_id == set.role_id) {
            Some(r) => *r = set.clone(),
            None => out.push(set.clone()),
        }
    }
    out
}

/// `POST /v1/job/project/permission` (ApplyProjectPermission): whether the job follows the
/// project's role permissions.
pub(crate) fn apply_project_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::ProjectPermissionRequestBody = json_body(&call.body, Some("job_id"))?;
    let mut data = state.data();
    let job = find_owned(&mut data, request.job_id.as_deref().unwrap_or_default(), call.caller, "manage")?;
    if let Some(project) = request.project_id.as_deref()
        && !project.eq_ignore_ascii_case(&job.project_id)
    {
        return Err(ApiError::invalid(format!("Build task {} is not in project {project}.", job.id)));
    }
    job.extras.project_permission = request.project_switch.unwrap_or(true);
    success::<types::ResponseString>(json!("success"))
}

/// `POST /v1/job/permissions/batch` (BatchUpdateJobRolePermission): sets the named roles' rights
/// on every job named (the caller must have created them all; all or none).
pub(crate) fn batch_update_job_role_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::RolePermissionsRequestBody = json_body(&call.body, None)?;
    let job_ids = request.job_ids.clone().unwrap_or_default();
    super::job_ids(&job_ids)?;
    let now = state.now();
    let set: Vec<RolePermission> = request
        .permissions
        .iter()
        .flatten()
        .map(|p| {
            let role_id = p.role_id.ok_or_else(|| ApiError::invalid("permissions[].role_id is required."))?;
            let name = DEFAULT_ROLES.iter().find(|(id, _, _)| *id == role_id).map(|(_, n, _)| n.to_string());
            let flags = [p.is_modify, p.is_delete, p.is_view, p.is_execute, p.is_copy, p.is_forbidden, p.is_manager];
            Ok(RolePermission {
                role_id,
                role_name: p.role_name.clone().or(name).unwrap_or_else(|| format!("role {role_id}")),
                rights: flags.map(|f| f.unwrap_or(false)),
                updated: Some(now),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let mut data = state.data();
    for id in &job_ids {
        find_owned(&mut data, id, call.caller, "manage")?;
    }
    for id in &job_ids {
        let job = find_owned(&mut data, id, call.caller, "manage")?;
        for role in &set {
            job.extras.roles.retain(|r| r.role_id != role.role_id);
            job.extras.roles.push(role.clone());
        }
        if let Some(switch) = request.project_switch {
            job.extras.project_permission = switch;
        }
    }
    success::<types::ResponseString>(json!("success"))
}

/// `GET /v1/job/permission/internal` (CheckJobInternal): whether the account's jobs use the
/// service's own role permissions (always, on the emulator).
pub(crate) fn check_job_internal(_: &EmulatorState, _: &Call<'_>) -> Reply {
    typed::<types::CheckJobInternal>(json!({"status": "success", "result": true}))
}

/// `GET /v1/job/project/default-permission` (ShowDefaultProjectPermission): the roles' rights a
/// new job of the project starts with.
pub(crate) fn show_default_project_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    call.query.required("project_id")?;
    let data = state.data();
    find(&data, call.query.required("job_id")?)?;
    let list: Vec<Value> = DEFAULT_ROLES
        .iter()
        .map(|(id, name, rights)| {
            let mut v = Value::Object(rights_json(rights));
            v["role_id"] = json!(id);
            v["role_name"] = json!(name);
            v
        })
        .collect();
    success::<types::ShowDefaultProjectPermissionResponseBody>(json!(list))
}

/// `GET /v1/job/permission/role?job_id=…` (ShowJobRolePermission).
pub(crate) fn show_job_role_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let data = state.data();
    let job = find(&data, call.query.required("job_id")?)?;
    let created = job.extras.created;
    let list: Vec<Value> = roles(job)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut v = Value::Object(rights_json(&r.rights));
            v["id"] = json!(i + 1);
            v["job_id"] = json!(job.id);
            v["role_id"] = json!(r.role_id);
            v["role_name"] = json!(r.role_name);
            v["count"] = json!(0);
            v["create_time"] = json!(fmt_millis_opt(created));
            v["last_update_time"] = json!(fmt_millis_opt(r.updated.or(created)));
            v
        })
        .collect();
    typed::<types::ShowJobRolePermission>(json!({"status": "success", "result": list}))
}

/// `GET /v1/job/permission?project_id=…&job_id=…` (ShowProjectJobPermission): the caller's rights
/// on the job.
pub(crate) fn show_project_job_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.query.required("project_id")?.to_ascii_lowercase();
    let data = state.data();
    let job = find(&data, call.query.required("job_id")?)?;
    if job.project_id != project {
        return Err(ApiError::not_found(format!("Project {project} has no build task {}.", job.id)));
    }
    let owner = job.owned_by(call.caller.user);
    let mut v = Value::Object(rights_json(&[owner, owner, true, true, true, owner, owner]));
    v["job_id"] = json!(job.id);
    v["role_id"] = json!(if owner { -3 } else { -1 });
    v["count"] = json!(0);
    v["create_time"] = json!(fmt_millis_opt(job.extras.created));
    v["last_update_time"] = json!(fmt_millis_opt(job.extras.revisions.last().map(|r| r.at)));
    typed::<types::ShowJobPermission>(json!({"status": "success", "result": v}))
}

/// `GET /v1/domain/user-permission?project_id=…` (ShowProjectPermission): the caller's rights in
/// the project (an administrator's, on the emulator).
pub(crate) fn show_project_permission(_: &EmulatorState, call: &Call<'_>) -> Reply {
    let project = call.query.required("project_id")?.to_ascii_lowercase();
    success::<types::ShowUserProjectPermission>(json!({
        "project_id": project, "role_id": "-1", "role_ids": ["-1"], "role_name": "project_admin",
        "role_names": ["project_admin"], "create_permission": true, "copy_permission": true,
        "delete_permission": true, "execute_permission": true, "forbidden_permission": true,
        "group_permission": true, "manager_permission": true, "modify_permission": true, "view_permission": true,
    }))
}
