//! Build templates: CreateTemplates, ListTemplates and DeleteTemplates.
//!
//! Templates belong to an account (domain): every user of the account sees and may delete them, and
//! names are unique within it. ListTemplates matches `name` as a case-insensitive substring and
//! counts `page` from 1 (0 is taken as the first page too); `page_size` is 1 to 100 (default 10).

use crate::dispatch::Call;
use crate::reply::make;
use crate::reply::{ApiError, Reply, is_hex32, json_body, non_blank, ok, page, shorten};
use crate::state::{EmulatorState, Settings, Template, fmt_millis, hex, hex32};
use codearts::build::types;

pub(crate) fn item(template: &Template, settings: &Settings) -> types::CreateTemplatesItems {
    let user = settings.users.get(template.user);
    make!(types::CreateTemplatesItems {
        create_time: Some(fmt_millis(template.created)),
        description: template.description.clone(),
        domain_id: Some(template.domain_id.clone()),
        domain_name: user.map(|u| u.domain_name.clone()),
        favourite: Some(false),
        id: Some(template.id.clone()),
        name: Some(template.name.clone()),
        parameters: template.parameters.clone(),
        public: Some(false),
        scope: Some("custom".into()),
        template: Some(make!(types::QueryTemplate { steps: template.steps.clone() })),
        tool_type: template.tool_type.clone(),
        type_: Some("custom".into()),
        user_id: user.map(|u| u.id.clone()),
        user_name: user.map(|u| u.name.clone()),
        uuid: Some(template.uuid.clone()),
        weight: Some(0.0)
    })
}

pub(crate) fn query_item(template: &Template, settings: &Settings) -> types::QueryTemplatesItems {
    let i = item(template, settings);
    make!(types::QueryTemplatesItems {
        create_time: i.create_time,
        description: i.description,
        domain_id: i.domain_id,
        domain_name: i.domain_name,
        favourite: i.favourite,
        i18n: i.i18n,
        id: i.id,
        intl_description: i.intl_description,
        name: i.name,
        nick_name: i.user_name.clone(),
        parameters: i.parameters,
        public: i.public,
        scope: i.scope,
        template: i.template.map(|t| make!(types::QueryTemplateVo { steps: t.steps })),
        tool_type: i.tool_type,
        type_: i.type_,
        user_id: i.user_id,
        user_name: i.user_name,
        uuid: i.uuid,
        weight: i.weight
    })
}

/// `POST /v3/templates/create` (CreateTemplates).
pub(crate) fn create_templates(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let answer = create(state, call)?;
    ok(&make!(types::CreateTemplatesResponse { result: Some(answer), status: Some("success".into()) }))
}

/// Creates the template of a CreateTemplates (or v1 CreateTemplate) body.
pub(crate) fn create(state: &EmulatorState, call: &Call<'_>) -> Result<types::CreateTemplatesItems, ApiError> {
    let request: types::CreateTemplatesRequestBody = json_body(&call.body, None)?;
    non_blank(&request.name, "name")?;
    if request.name.chars().count() > 128 {
        return Err(ApiError::invalid("name may have at most 128 characters."));
    }
    if request.template.steps.is_empty() {
        return Err(ApiError::invalid("template.steps must hold at least one step."));
    }
    for (i, step) in request.template.steps.iter().enumerate() {
        non_blank(&step.module_id, &format!("template.steps[{i}].module_id"))?;
    }
    let settings = state.settings();
    let domain_id = settings.users[call.caller.user].domain_id.clone();
    let now = state.now();
    let mut data = state.data();
    if data.templates.iter().any(|t| t.domain_id == domain_id && t.name == request.name) {
        return Err(ApiError::invalid(format!("A template named `{}` already exists.", shorten(&request.name))));
    }
    let seed = data.seed("template");
    let template = Template {
        id: hex(&format!("{seed}/id"), 24),
        uuid: hex32(&format!("{seed}/uuid")),
        name: request.name,
        description: request.description,
        tool_type: request.tool_type,
        parameters: request.parameters.unwrap_or_default(),
        steps: request
            .template
            .steps
            .into_iter()
            .map(|s| {
                make!(types::BuildJobStepInfo {
                    enable: s.enable.or(Some(true)),
                    module_id: Some(s.module_id),
                    name: s.name,
                    properties: s.properties.unwrap_or_default(),
                    version: s.version
                })
            })
            .collect::<Vec<_>>(),
        created: now,
        user: call.caller.user,
        domain_id,
    };
    let answer = item(&template, settings);
    data.templates.push(template);
    Ok(answer)
}

/// `GET /v3/templates/query` (ListTemplates).
pub(crate) fn list_templates(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let index = call.query.optional_int("page", 0..=i64::from(i32::MAX), 1)?;
    let size = call.query.optional_int("page_size", 1..=100, 10)?;
    let name = call.query.optional("name").map(|n| n.trim().to_lowercase()).unwrap_or_default();
    let settings = state.settings();
    let domain_id = &settings.users[call.caller.user].domain_id;
    let data = state.data();
    let matching: Vec<&Template> =
        data.templates.iter().filter(|t| t.domain_id == *domain_id && t.name.to_lowercase().contains(&name)).collect();
    let total = i32::try_from(matching.len()).unwrap_or(i32::MAX);
    let shown = page(matching, (index.max(1) - 1) as usize, size as usize);
    ok(&make!(types::ListTemplatesResponse {
        result: Some(make!(types::QueryTemplatesResult {
            total_size: Some(total),
            items: shown.into_iter().map(|t| query_item(t, settings)).collect::<Vec<_>>()
        })),
        error: None,
        status: Some("success".into())
    }))
}

/// `DELETE /v3/templates/{uuid}/delete` (DeleteTemplates): answers with the deleted template.
pub(crate) fn delete_templates(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let uuid = call.path("uuid");
    if !is_hex32(uuid) {
        return Err(ApiError::invalid(format!(
            "A template UUID is 32 hexadecimal characters, not `{}`.",
            shorten(uuid)
        )));
    }
    let settings = state.settings();
    let domain_id = &settings.users[call.caller.user].domain_id;
    let mut data = state.data();
    let Some(index) =
        data.templates.iter().position(|t| t.domain_id == *domain_id && t.uuid.eq_ignore_ascii_case(uuid))
    else {
        return Err(ApiError::not_found(format!("Template {uuid} does not exist.")));
    };
    let template = data.templates.remove(index);
    ok(&make!(types::DeleteTemplatesResponse {
        result: vec![item(&template, settings)],
        status: Some("success".into())
    }))
}
