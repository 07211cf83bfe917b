//! The v1 template API: custom templates (CreateTemplate, ListCustomTemplate, ShowTemplate,
//! DeleteTemplate — the same templates as the v3 CreateTemplates/ListTemplates/DeleteTemplates),
//! official templates (ListOfficialTemplate, ListRecommendOfficialTemplate), favourites of both,
//! SaveTemplateUsedInfo, the job's YAML template (ShowYamlTemplate) and the image templates
//! (ShowImageTemplateList, ShowDockerfileTemplate).
//!
//! Official templates are a fixed catalogue (Maven, Gradle, npm, Go, Python, Docker). A template is
//! a favourite of the users who follow it (`favourite` in every list, for the caller).
//! ListCustomTemplate's `filter` is `all` (the default), `mine` (the caller's) or `favourite`.
//! ListRecommendOfficialTemplate recommends the official templates whose tool the repository's
//! name or the `tags` mention, or all of them when none does.

use serde_json::{Value, json};

use super::jobs::find;
use super::templates::query_item;
use super::{domain_of, success, typed};
use crate::dispatch::Call;
use crate::reply::{ApiError, Reply, file, json_body, page, shorten};
use crate::state::{EmulatorState, Template, hex32};
use codearts::build::types;

/// The official templates: (tool type, name, language, module, command).
const OFFICIAL: &[(&str, &str, &str, &str, &str)] = &[
    (
        "maven",
        "Maven",
        "Java",
        "devcloud2018.codeci_action_20043.action",
        "mvn package -Dmaven.test.failure.ignore=true -U -e -X -B",
    ),
    ("gradle", "Gradle", "Java", "devcloud2018.codeci_action_20044.action", "gradle build"),
    ("npm", "npm", "Node.js", "devcloud2018.codeci_action_20045.action", "npm install && npm run build"),
    ("go", "Go", "Go", "devcloud2018.codeci_action_20046.action", "go build ./..."),
    ("python", "Python", "Python", "devcloud2018.codeci_action_20047.action", "python setup.py bdist_wheel"),
    ("docker", "Docker", "Docker", "devcloud2018.codeci_action_20057.action", "docker build -t app ."),
];

/// The UUID of official template `tool`.
fn official_uuid(tool: &str) -> String {
    hex32(&format!("official-template/{tool}"))
}

fn official_json(state: &EmulatorState, call: &Call<'_>, entry: &(&str, &str, &str, &str, &str)) -> Value {
    let (tool, name, language, module, command) = *entry;
    let uuid = official_uuid(tool);
    let favourite = state.data().build.template_favourites.contains(&(call.caller.user, uuid.clone()));
    json!({
        "uuid": uuid, "name": name, "language": language, "tool_type": tool, "type": "official", "scope": "official",
        "public": true, "favourite": favourite, "nick_name": "CodeArts", "weight": 1.0,
        "description": format!("Builds a {language} project with {name}."),
        "parameters": [],
        "template": {"steps": [{"module_id": module, "name": format!("Build with {name}"), "enable": true,
            "properties": {"command": command}}]},
    })
}

/// The caller's account's template `uuid`, or 404 (400 for a UUID that is not 32 hex digits).
fn custom<'a>(data: &'a crate::state::Data, domain: &str, uuid: &str) -> Result<&'a Template, ApiError> {
    if !crate::reply::is_hex32(uuid) {
        return Err(ApiError::invalid(format!(
            "A template UUID is 32 hexadecimal characters, not `{}`.",
            shorten(uuid)
        )));
    }
    data.templates
        .iter()
        .find(|t| t.domain_id == domain && t.uuid.eq_ignore_ascii_case(uuid))
        .ok_or_else(|| ApiError::not_found(format!("Template {uuid} does not exist.")))
}

/// A custom template as the v1 lists show it (with the caller's favourite flag).
fn custom_json(
    state: &EmulatorState,
    call: &Call<'_>,
    t: &Template,
    favourites: &std::collections::BTreeSet<(usize, String)>,
) -> Value {
    let mut v = json!(query_item(t, state.settings()));
    v["favourite"] = json!(favourites.contains(&(call.caller.user, t.uuid.clone())));
    v
}

/// `POST /v1/template/create` (CreateTemplate): CreateTemplates, answering the UUID.
pub(crate) fn create_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let created = super::templates::create(state, call)?;
    typed::<types::StatusSuccessResultWithUuid>(json!({"status": "success", "result": {"uuid": created.uuid}}))
}

/// `GET /v1/template/custom` (ListCustomTemplate): `name` a case-insensitive substring, `page`
/// from 1, `page_size` 1 to 100 (default 10).
pub(crate) fn list_custom_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page", 1..=i64::from(i32::MAX), 1)? as usize;
    let size = call.query.optional_int("page_size", 1..=100, 10)? as usize;
    let name = call.query.optional("name").map(|n| n.trim().to_lowercase()).unwrap_or_default();
    let filter = call.query.optional_choice("filter", &["all", "mine", "favourite"])?.unwrap_or("all");
    let domain = domain_of(state.settings(), call.caller);
    let data = state.data();
    let favourites = &data.build.template_favourites;
    let items: Vec<Value> = data
        .templates
        .iter()
        .filter(|t| t.domain_id == domain && t.name.to_lowercase().contains(&name))
        .filter(|t| match filter {
            "mine" => t.user == call.caller.user,
            "favourite" => favourites.contains(&(call.caller.user, t.uuid.clone())),
            _ => true,
        })
        .map(|t| custom_json(state, call, t, favourites))
        .collect();
    let total = items.len();
    success::<types::QueryCustomTemplatesResponseBody>(json!({"items": page(items, no - 1, size), "total_size": total}))
}

/// `GET /v1/template/{uuid}/custom` (ShowTemplate).
pub(crate) fn show_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = domain_of(state.settings(), call.caller);
    let data = state.data();
    let t = custom(&data, &domain, call.path("uuid"))?;
    success::<types::ShowTemplateResponse>(custom_json(state, call, t, &data.build.template_favourites))
}

/// `DELETE /v1/template/{uuid}/delete` (DeleteTemplate).
pub(crate) fn delete_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = domain_of(state.settings(), call.caller);
    let mut data = state.data();
    let uuid = custom(&data, &domain, call.path("uuid"))?.uuid.clone();
    data.templates.retain(|t| t.uuid != uuid);
    data.build.template_favourites.retain(|(_, u)| *u != uuid);
    typed::<types::StatusSuccessResult>(json!({"status": "success"}))
}

fn follow(state: &EmulatorState, call: &Call<'_>, official: bool, on: bool) -> Reply {
    let given = call.path("uuid");
    let domain = domain_of(state.settings(), call.caller);
    let mut data = state.data();
    let uuid = if official {
        OFFICIAL
            .iter()
            .map(|e| official_uuid(e.0))
            .find(|u| u.eq_ignore_ascii_case(given))
            .ok_or_else(|| ApiError::not_found(format!("There is no official template {}.", shorten(given))))?
    } else {
        custom(&data, &domain, given)?.uuid.clone()
    };
    if on {
        data.build.template_favourites.insert((call.caller.user, uuid));
    } else {
        data.build.template_favourites.remove(&(call.caller.user, uuid));
    }
    typed::<types::TemplateResponseBody>(json!({"status": "success"}))
}

/// `POST /v1/template/custom/{uuid}/follow` (AddFavouriteCustomTemplate).
pub(crate) fn add_favourite_custom_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    follow(state, call, false, true)
}

/// `POST /v1/template/custom/{uuid}/unfollow` (RemoverFavouriteCustomTemplate).
pub(crate) fn remover_favourite_custom_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    follow(state, call, false, false)
}

/// `POST /v1/template/official/{uuid}/follow` (AddFavouriteOfficialTemplate).
pub(crate) fn add_favourite_official_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    follow(state, call, true, true)
}

/// `POST /v1/template/official/{uuid}/unfollow` (RemoverFavouriteOfficialTemplate).
pub(crate) fn remover_favourite_official_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    follow(state, call, true, false)
}

/// `GET /v1/template/officialtemplates` (ListOfficialTemplate): `name` a case-insensitive
/// substring; `page` from 1.
pub(crate) fn list_official_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page", 0..=i64::from(i32::MAX), 1)?.max(1) as usize;
    let size = call.query.optional_int("page_size", 1..=100, 10)? as usize;
    let name = call.query.optional("name").map(|n| n.trim().to_lowercase()).unwrap_or_default();
    let items: Vec<Value> =
        OFFICIAL.iter().filter(|e| e.1.to_lowercase().contains(&name)).map(|e| official_json(state, call, e)).collect();
    let total = items.len();
    success::<types::ListOfficialTemplate>(json!({"items": page(items, no - 1, size), "total_size": total}))
}

/// `POST /v1/template/recommend` (ListRecommendOfficialTemplate).
pub(crate) fn list_recommend_official_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::ListRecommendOfficialTemplateRequestBody = json_body(&call.body, None)?;
    crate::reply::non_blank(&request.git_url, "git_url")?;
    crate::reply::non_blank(&request.branch, "branch")?;
    let hints = format!("{} {}", request.git_url, request.tags.unwrap_or_default()).to_lowercase();
    let mut chosen: Vec<_> = OFFICIAL.iter().filter(|e| hints.contains(e.0)).collect();
    if chosen.is_empty() {
        chosen = OFFICIAL.iter().collect();
    }
    let items: Vec<Value> = chosen
        .into_iter()
        .map(|e| {
            let mut v = official_json(state, call, e);
            v.as_object_mut().map(|o| o.remove("language"));
            v["id"] = json!(&official_uuid(e.0)[..24]);
            v
        })
        .collect();
    let total = items.len();
    success::<types::ListTemplatesResponse>(json!({"items": items, "total_size": total}))
}

/// `POST /v1/template/used-info` (SaveTemplateUsedInfo): records that the job was made from the
/// template (custom or official).
pub(crate) fn save_template_used_info(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::SaveTemplateUsedInfoRequestBody = json_body(&call.body, Some("job_id"))?;
    let domain = domain_of(state.settings(), call.caller);
    let mut data = state.data();
    find(&data, &request.job_id)?;
    let known = OFFICIAL.iter().any(|e| official_uuid(e.0).eq_ignore_ascii_case(&request.template_id))
        || data.templates.iter().any(|t| {
            t.domain_id == domain && (t.uuid.eq_ignore_ascii_case(&request.template_id) || t.id == request.template_id)
        });
    if !known {
        return Err(ApiError::not_found(format!("Template {} does not exist.", shorten(&request.template_id))));
    }
    data.build.template_uses.push((request.job_id, request.template_id));
    success::<types::SaveTemplateUsedInfo>(json!("success"))
}

/// `GET /v1/template/{job_id}/default-template` (ShowYamlTemplate): the job's steps as a build
/// configuration in YAML, for moving the job to configuration as code.
pub(crate) fn show_yaml_template(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let host = call.query.optional("default_host").filter(|h| !h.trim().is_empty());
    let data = state.data();
    let job = find(&data, call.path("job_id"))?;
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut yaml = format!(
        "version: 2.0\nparams:\n  - name: codeBranch\n    value: {}\nenv:\n  resource:\n    type: docker\n    arch: {}\nsteps:\n  BUILD:\n",
        quote(job.scms.first().and_then(|s| s.branch.as_deref()).unwrap_or("master")),
        quote(host.unwrap_or(job.arch.as_str())),
    );
    for step in job.steps.iter().filter(|s| s.enable != Some(false)) {
        let command = step.properties.as_ref().and_then(|p| p.get("command")).and_then(Value::as_str).unwrap_or("");
        yaml += &format!(
            "    - name: {}\n      module: {}\n      inputs:\n        command: {}\n",
            quote(&step.name),
            quote(&step.module_id),
            quote(command)
        );
    }
    success::<types::ResponseString>(json!(yaml))
}

/// The image templates: (ID, label, title, base image, tools).
const IMAGES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "e1579739-cd2e-11e9-b7c2-286ed489051f",
        "arm-centos7-base-1.0.1",
        "CentOS 7-based arm Base Image",
        "centos",
        "OpenJDK 1.8, Maven 3.5.3, Git",
    ),
    (
        "2a9d6f3c-5b3e-4c1a-9f7e-0c1d2e3f4a5b",
        "x86-ubuntu18-base-1.0.0",
        "Ubuntu 18.04-based x86 Base Image",
        "ubuntu",
        "Git, Wget, zip, GCC, Make",
    ),
];

/// `GET /v1/image/templates` (ShowImageTemplateList).
pub(crate) fn show_image_template_list(_: &EmulatorState, _: &Call<'_>) -> Reply {
    let list: Vec<Value> = IMAGES
        .iter()
        .map(|(id, label, title, base, tools)| {
            json!({
                "image_id": id, "image_label": label, "title": title, "base_image": base, "image_name": "special_base_image",
                "organization": "codeci", "create_time": "2021-08-17T00:00:00.000Z",
                "description": format!("A {base}-based build image with {tools}."),
            })
        })
        .collect();
    success::<types::ShowImageTemplateListResponseBody>(json!({"image_templates": list}))
}

/// `GET /v1/image/dockerfile-template?image_id=…` (ShowDockerfileTemplate): a Dockerfile that
/// starts from the image.
pub(crate) fn show_dockerfile_template(_: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.query.required("image_id")?;
    let Some((_, label, _, base, _)) = IMAGES.iter().find(|i| i.0 == id) else {
        return Err(ApiError::not_found(format!("There is no image template {}.", shorten(id))));
    };
    let dockerfile = format!(
        "# Dockerfile template of {label}\nFROM swr.example.com/codeci/{label}\n# Based on {base}; add your tools below.\nRUN echo ready\n"
    );
    file("Dockerfile", dockerfile)
}
