//! Pipelines as code (GitCode Actions, the v6 APIs): RunActionsPipeline, RetryRunActionsPipeline,
//! ListActionsPipelineRuns, ListActionsPipelineRunsByRunIds, ShowActionsRunsDetail and
//! DeleteActionsRunPipeline.
//!
//! The reference gives these answers no fields beyond `error_code` and `error_msg` (the
//! `GitCodeError` body: empty on success), so what the emulator keeps is only what makes the calls
//! consistent with each other: a run of a repository's pipeline file exists once it was started,
//! can be rerun, listed (for a repository URL) and deleted, and an unknown one is 404. A run's
//! pipeline ID is derived from the repository and the file, its run ID is new each time.

use serde_json::{Value, json};

use codearts::pipeline::types;

use super::{Kind, answer, body, create_doc, invalid, own_account};
use crate::dispatch::Call;
use crate::reply::{Reply, shorten};
use crate::state::{EmulatorState, hex32};

fn done() -> Reply {
    answer::<types::GitCodeError>(json!({}))
}

fn https_url(url: &str) -> Result<(), crate::reply::ApiError> {
    if !url.starts_with("https://") || url.len() < 12 {
        return Err(invalid("https_url is the repository's https URL."));
    }
    Ok(())
}

/// `POST /v6/{domain_id}/api/pac/pipelines/actions/run` (RunActionsPipeline).
pub(crate) fn run_actions_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let request: types::ActionsManualRunPipelineDto = body(call)?;
    let url = request.https_url.clone().unwrap_or_default();
    https_url(&url)?;
    let file = request.file_path.clone().unwrap_or_else(|| ".gitcode/workflows/pipeline.yml".into());
    let pipeline_id = hex32(&format!("actions/{url}/{file}"));
    let now = state.now();
    let mut data = state.data();
    let value = json!({"https_url": url, "file_path": file, "pipeline_id": pipeline_id,
        "branch": request.branch, "tag": request.tag, "commit_id": request.commit_id, "attempts": 1});
    create_doc(&mut data, Kind::ActionsRun, &domain, &file, value, call.caller.user, now);
    done()
}

fn find_run<'a>(
    data: &'a mut crate::state::Data,
    domain: &str,
    pipeline_id: &str,
    run_id: &str,
) -> Result<&'a mut super::Doc, crate::reply::ApiError> {
    let found = data.pipeline.doc_mut(Kind::ActionsRun, domain, run_id).filter(|d| {
        d.value.get("pipeline_id").and_then(Value::as_str).is_some_and(|p| p.eq_ignore_ascii_case(pipeline_id))
    });
    found.ok_or_else(|| super::pipeline_not_found(&format!("{}/{}", shorten(pipeline_id), shorten(run_id))))
}

/// `POST /v6/{domain_id}/api/pac/pipelines/actions/rerun` (RetryRunActionsPipeline).
pub(crate) fn retry_run_actions_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let request: types::ActionsReRunPipelineDto = body(call)?;
    let mut data = state.data();
    let run = find_run(
        &mut data,
        &domain,
        request.pipeline_id.as_deref().unwrap_or_default(),
        request.pipeline_run_id.as_deref().unwrap_or_default(),
    )?;
    let attempts = run.value.get("attempts").and_then(Value::as_i64).unwrap_or(1) + 1;
    run.value["attempts"] = json!(attempts);
    done()
}

/// `POST /v6/{domain_id}/api/pac/pipelines/actions` (ListActionsPipelineRuns): 404 when the
/// repository has no run.
pub(crate) fn list_actions_pipeline_runs(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let request: types::ActionsPipelineRunsQueryDto = body(call)?;
    https_url(&request.https_url)?;
    let data = state.data();
    let any = data
        .pipeline
        .docs(Kind::ActionsRun, &domain)
        .any(|d| d.value.get("https_url") == Some(&json!(request.https_url)));
    if !any {
        return Err(super::pipeline_not_found(&request.https_url));
    }
    done()
}

/// `POST /v6/{domain_id}/api/pac/pipelines/actions/list` (ListActionsPipelineRunsByRunIds): 404
/// when one of the runs does not exist.
pub(crate) fn list_actions_pipeline_runs_by_run_ids(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let request: types::ActionsPipelineRunsPollingQueryDto = body(call)?;
    let data = state.data();
    for id in request.pipeline_run_ids.iter().flatten() {
        if data.pipeline.doc(Kind::ActionsRun, &domain, id).is_none() {
            return Err(super::not_found(format!("Pipeline run {} does not exist.", shorten(id))));
        }
    }
    done()
}

/// `GET /v6/{domain_id}/api/pac/pipelines/actions/{pipeline_id}/{pipeline_run_id}` (ShowActionsRunsDetail).
pub(crate) fn show_actions_runs_detail(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let mut data = state.data();
    find_run(&mut data, &domain, call.path("pipeline_id"), call.path("pipeline_run_id"))?;
    done()
}

/// `DELETE /v6/{domain_id}/api/pac/pipelines/actions/{pipeline_id}/{pipeline_run_id}` (DeleteActionsRunPipeline).
pub(crate) fn delete_actions_run_pipeline(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let domain = own_account(state, call)?;
    let mut data = state.data();
    let id = find_run(&mut data, &domain, call.path("pipeline_id"), call.path("pipeline_run_id"))?.id.clone();
    data.pipeline.remove(Kind::ActionsRun, &domain, &id);
    done()
}

impl EmulatorState {
    /// The pipeline-as-code runs started with RunActionsPipeline, oldest first, as
    /// (repository https URL, pipeline ID, pipeline run ID): the API answers RunActionsPipeline with
    /// no IDs, so this is how a test learns them.
    pub fn actions_runs(&self) -> Vec<(String, String, String)> {
        let data = self.data();
        data.pipeline
            .docs
            .iter()
            .filter(|d| d.kind == Kind::ActionsRun)
            .map(|d| {
                let field = |k: &str| d.value.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                (field("https_url"), field("pipeline_id"), d.id.clone())
            })
            .collect()
    }
}
