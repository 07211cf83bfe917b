//! CodeArts Pipeline: every operation, for runs in every state (running, waiting for a review or a
//! checkpoint, completed, failed, retried, rejected, stopped), and the `DEVPIPE.*` error answers.

use std::time::Duration;

use codearts_emulator::{Emulator, ManualClock, RunningEmulator};
use serde_json::{Value, json};

use crate::{Checker, call};

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const OTHER_PROJECT: &str = "0123456789abcdef0123456789abcdef";
const STEP: Duration = Duration::from_secs(10);

/// Build (an entry trigger, one build step), Review (a manual review step), Deploy (a manual entry
/// checkpoint, one deploy step).
pub fn definition(build_step: &str) -> String {
    json!({"stages": [
        {"name": "Build", "identifier": "stage-build", "pre": [{"task": "official_devcloud_autoTrigger", "sequence": 0}],
         "jobs": [{"name": "Build", "identifier": "job-build", "steps": [
             {"name": build_step, "task": "official_devcloud_cloudBuild", "inputs": [{"key": "jobId", "value": "b1"}]}]}]},
        {"name": "Review", "identifier": "stage-review",
         "jobs": [{"name": "Review", "identifier": "job-review", "steps": [
             {"name": "Manual review", "task": "official_devcloud_manualReview"}]}]},
        {"name": "Deploy", "identifier": "stage-deploy", "pre": [{"task": "official_devcloud_manual", "sequence": 0}],
         "jobs": [{"name": "Deploy", "identifier": "job-deploy", "steps": [
             {"name": "Deploy to test", "task": "official_devcloud_deploy"}]}]}
    ]})
    .to_string()
}

fn pipeline_body(name: &str, group: Option<&str>) -> Value {
    json!({
        "name": name, "description": "Build, review, deploy", "is_publish": false,
        "definition": definition("Compile"), "group_id": group,
        "sources": [{"type": "code", "params": {"git_type": "codehub", "codehub_id": "2111699211", "default_branch": "master",
            "git_url": "https://example.com/demo/web.git", "repo_name": "web", "alias": "web"}}],
        "variables": [{"name": "releaseVersion", "value": "1.0.0", "type": "string", "is_runtime": true, "sequence": 1}],
    })
}

async fn domain_of(c: &Checker) -> String {
    let projects: Value = c
        .http
        .get(format!("{}/v3/projects", c.base))
        .header("x-auth-token", &c.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    projects["projects"][0]["domain_id"].as_str().unwrap().to_string()
}

/// (stage index, job index, step index) → the step's (job run ID, step run ID); for `pre` checks
/// the job index is `None`.
fn ids(run: &Value, stage: usize, job: Option<usize>, step: usize) -> (String, String) {
    let s = &run["stages"][stage];
    match job {
        Some(j) => {
            let job = &s["jobs"][j];
            (job["id"].as_str().unwrap().into(), job["steps"][step]["id"].as_str().unwrap().into())
        }
        None => (s["jobs"][0]["id"].as_str().unwrap().into(), s["pre"][step]["id"].as_str().unwrap().into()),
    }
}

struct Runs<'a> {
    pipeline: &'a str,
}

impl Runs<'_> {
    fn base(&self) -> String {
        format!("/v5/{PROJECT}/api/pipelines/{}", self.pipeline)
    }

    async fn start(&self, c: &mut Checker, variables: Value) -> String {
        let started = c
            .ok(call("RunPipeline", format!("{}/run", self.base())).body(
                json!({"description": "conformance", "variables": variables, "choose_stages": [], "choose_jobs": []}),
            ))
            .await;
        started["pipeline_run_id"].as_str().unwrap().to_string()
    }

    async fn detail(&self, c: &mut Checker, run: &str) -> Value {
        c.ok(call("ShowPipelineRunDetail", format!("{}/pipeline-runs/detail", self.base())).q("pipeline_run_id", run))
            .await
    }

    /// The reads about a run, validated in whatever state it is.
    async fn reads(&self, c: &mut Checker, run: &str) -> Value {
        let detail = self.detail(c, run).await;
        let (job, step) = ids(&detail, 0, Some(0), 0);
        let runs = format!("{}/pipeline-runs/{run}", self.base());
        c.ok(call("ShowPipelineLog", format!("{runs}/jobs/{job}/steps/{step}/logs"))
            .body(json!({"start_offset": 0, "end_offset": 0, "limit": 100, "sort": "asc"})))
            .await;
        c.ok(call("ShowStepOutputs", format!("{runs}/steps/outputs")).q("step_run_ids", &step)).await;
        c.ok(call("ShowPipelineArtifacts", format!("{runs}/artifacts"))).await;
        c.ok(call("ListPipelineRuns", format!("{}/pipeline-runs/list", self.base()))
            .body(json!({"offset": 0, "limit": 10, "show_job_details": true})))
            .await;
        let number = detail["run_number"].to_string();
        c.ok(call("ShowPipleineStatus", format!("/v3/pipelines/{}/status", self.pipeline)).q("build_id", number)).await;
        c.ok(call("ListPipelines", format!("/v5/{PROJECT}/api/pipelines/list")).body(json!({"offset": 0, "limit": 10})))
            .await;
        c.ok(call("BatchShowPipelinesLatestStatus", format!("/v5/{PROJECT}/api/pipelines/status"))
            .body(json!([self.pipeline])))
            .await;
        detail
    }
}

async fn start() -> (RunningEmulator, ManualClock, Checker) {
    let clock =
        ManualClock::new(time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap()).into());
    let emulator = Emulator::builder().step_duration(STEP).clock(clock.clone()).start().await.unwrap();
    let c = Checker::new(&emulator, "codearts-pipeline.yaml").await;
    (emulator, clock, c)
}

/// A multipart upload of one `upload_file`, validated like [`Checker::ok`].
async fn upload(c: &mut Checker, op: &str, path: String, query: &[(&str, &str)]) {
    let boundary = "conformance-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"upload_file\"; filename=\"icon.png\"\r\nContent-Type: application/octet-stream\r\n\r\n\u{89}PNG-bytes\r\n--{boundary}--\r\n"
    );
    let response = c
        .http
        .post(format!("{}{path}", c.base))
        .query(query)
        .header("x-auth-token", &c.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{op}: {text}");
    let (_, _, operation) = c.operation(op);
    let schema = operation["responses"]["200"]["content"]["application/json"]["schema"].clone();
    let doc: Value = serde_json::from_str(&text).unwrap();
    c.validate(op, &schema, &doc);
    c.covered.insert(op.to_string());
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_says() {
    let (emulator, clock, mut c) = start().await;
    let domain = domain_of(&c).await;
    let v5 = format!("/v5/{PROJECT}/api");

    // Groups, tags, parameter groups.
    let group = c
        .ok(call("CreatePipelineGroup", format!("{v5}/pipeline-group/create"))
            .body(json!({"name": "web", "project_id": PROJECT})))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sub = c
        .ok(call("CreatePipelineGroup", format!("{v5}/pipeline-group/create"))
            .body(json!({"name": "web-nightly", "project_id": PROJECT, "parent_id": group})))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("UpdatePipelineGroup", format!("{v5}/pipeline-group/update")).body(json!({"id": sub, "name": "nightly"})))
        .await;
    c.ok(call("CreatePipelineTag", format!("{v5}/pipeline-tag/create"))
        .body(json!({"name": "release", "color": "#ff0000"})))
        .await;
    let tags = c.ok(call("ListPipelineTag", format!("{v5}/pipeline-tag/list"))).await;
    let tag = tags[0]["tag_id"].as_str().unwrap().to_string();
    let vg = c
        .ok(call("CreateVariableGroup", format!("{v5}/pipeline/variable/group/create")).body(json!({
            "name": "shared", "description": "shared parameters", "projectId": PROJECT,
            "variables": [{"name": "token", "value": "s3cret", "is_secret": true, "type": "string", "sequence": 1},
                          {"name": "region", "value": "cn-north-4", "is_secret": false, "type": "string", "sequence": 2}]})))
        .await["pipeline_variable_group_id"]
        .as_str()
        .unwrap()
        .to_string();
    let groups = c
        .ok(call("ListVariableGroups", format!("{v5}/pipeline/variable/group/list"))
            .body(json!({"offset": 0, "limit": 10})))
        .await;
    assert_eq!(groups["pipeline_variable_groups"][0]["variables"][0]["value"], "*****", "secrets are masked");

    // Pipelines.
    let pipeline = c
        .ok(call("CreatePipelineNew", format!("{v5}/pipelines")).body(pipeline_body("web-deploy", Some(&group))))
        .await["pipeline_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut update = pipeline_body("web-deploy", Some(&group));
    update["variable_group_ids"] = json!([vg]);
    c.ok(call("UpdatePipelineInfo", format!("{v5}/pipelines/{pipeline}")).body(update)).await;
    let detail = c.ok(call("ShowPipelineDetail", format!("{v5}/pipelines/{pipeline}"))).await;
    assert_eq!((detail["name"].as_str(), detail["group_name"].as_str()), (Some("web-deploy"), Some("web")));
    c.ok(call("ShowVariableGroupDetail", format!("{v5}/pipeline/variable/group/{vg}"))).await;
    let tree = c.ok(call("ShowPipelineGroupTree", format!("{v5}/pipeline-group/tree"))).await;
    assert_eq!(tree[0]["pipeline_count"], 1);
    assert_eq!(tree[0]["children"][0]["name"], "nightly");
    c.ok(call("ListPipelines", format!("{v5}/pipelines/list"))
        .body(json!({"offset": 0, "limit": 10, "name": "web", "sort_key": "name", "sort_dir": "asc"})))
        .await;
    c.ok(call("ListPipelineSimpleInfo", "/v3/pipelines/list")
        .body(json!({"offset": 0, "limit": 10, "project_ids": PROJECT})))
        .await;

    // A run: build, review (accepted), checkpoint (passed), deploy.
    let runs = Runs { pipeline: &pipeline };
    let run = runs.start(&mut c, json!([{"name": "releaseVersion", "value": "2.0.0"}])).await;
    let d = runs.reads(&mut c, &run).await;
    assert_eq!(d["status"], "RUNNING");
    clock.advance(STEP * 2);
    let d = runs.reads(&mut c, &run).await;
    assert_eq!(d["stages"][1]["jobs"][0]["status"], "PAUSED", "{d:#}");
    let (job, step) = ids(&d, 1, Some(0), 0);
    let base = runs.base();
    c.ok(call("AcceptManualReview", format!("{base}/pipeline-runs/{run}/jobs/{job}/steps/{step}/pass"))
        .q("approval_description", "ok"))
        .await;
    let d = runs.reads(&mut c, &run).await;
    assert_eq!(d["stages"][2]["status"], "PAUSED", "{d:#}");
    let (_, checkpoint) = ids(&d, 2, None, 0);
    c.ok(call("AcceptCheckpoint", format!("{base}/pipeline-runs/{run}/steps/{checkpoint}/manual/pass"))).await;
    clock.advance(STEP * 2);
    let d = runs.reads(&mut c, &run).await;
    assert_eq!(d["status"], "COMPLETED", "{d:#}");
    c.ok(call("ShowPipelineRunDetail", format!("{base}/pipeline-runs/detail")).q("pipeline_run_number", 1)).await;
    c.ok(call("ShowPipelineRunDetail", format!("{base}/pipeline-runs/detail"))).await;
    let today = {
        let now = time::OffsetDateTime::from(clock.now());
        format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
    };
    let results = c
        .ok(call("ListPipleineBuildResult", "/v3/pipelines/build-result")
            .q("project_id", PROJECT)
            .q("start_date", &today)
            .q("end_date", &today)
            .q("offset", 0)
            .q("limit", 10))
        .await;
    assert_eq!(results["total"], 1);

    // A failed run, retried, then rejected at the review.
    let failed = runs.start(&mut c, json!([{"name": "fail", "value": "Compile"}])).await;
    clock.advance(STEP * 2);
    let d = runs.reads(&mut c, &failed).await;
    assert_eq!(d["status"], "FAILED");
    c.ok(call("RetryPipelineRun", format!("{base}/pipeline-runs/{failed}/retry")).body(json!({}))).await;
    clock.advance(STEP * 2);
    let d = runs.reads(&mut c, &failed).await;
    assert_eq!(d["status"], "RUNNING", "{d:#}");
    let (job, step) = ids(&d, 1, Some(0), 0);
    c.ok(call("RejectManualReview", format!("{base}/pipeline-runs/{failed}/jobs/{job}/steps/{step}/refuse"))
        .q("approval_description", "no"))
        .await;
    assert_eq!(runs.reads(&mut c, &failed).await["status"], "FAILED");

    // Stopped runs, new and old API.
    let stopped = runs.start(&mut c, json!([])).await;
    c.ok(call("StopPipelineRun", format!("{base}/pipeline-runs/{stopped}/stop"))).await;
    assert_eq!(runs.reads(&mut c, &stopped).await["status"], "CANCELED");
    let old = c
        .ok(call("StartNewPipeline", format!("/v3/pipelines/{pipeline}/start"))
            .body(json!({"build_params": [{"name": "releaseVersion", "type": "string", "value": "3.0.0"}]})))
        .await["build_id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("StopPipelineNew", format!("/v3/pipelines/{pipeline}/stop")).q("build_id", &old)).await;
    c.ok(call("ShowPipleineStatus", format!("/v3/pipelines/{pipeline}/status"))).await;

    // Templates.
    let t5 = format!("/v5/{domain}/api/pipeline-templates");
    let template_body = json!({"name": "build-review-deploy", "language": "none", "definition": definition("Compile"),
        "is_system": false, "domain_id": domain, "is_show_source": true, "description": "three stages",
        "variables": [{"name": "releaseVersion", "value": "1.0.0", "type": "string"}]});
    let template = c.ok(call("CreatePipelineTemplate", t5.clone()).body(template_body.clone())).await["templateId"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("UpdatePipelineTemplate", format!("{t5}/{template}")).body(template_body)).await;
    c.ok(call("ShowPipelineTemplateDetail", format!("{t5}/{template}"))).await;
    c.ok(call("ListPipelineTemplates", format!("{t5}/list")).body(json!({"offset": 0, "limit": 10, "name": "build"})))
        .await;
    let from_template = c
        .ok(call("CreatePipelineByTemplateId", format!("{v5}/pipeline-templates/{template}/create-pipeline")).body(
            json!({
            "name": "from-template", "is_publish": false, "description": "made from a template",
            "sources": [{"type": "code", "params": {"git_type": "codehub", "default_branch": "main"}}],
            "variables": [{"name": "releaseVersion", "value": "9.9.9"}]}),
        ))
        .await["pipeline_id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("ListTemplates", "/v3/templates").q("template_type", "pipeline").q("is_build_in", "false")).await;
    c.ok(call("ShowTemplateDetail", format!("/v3/templates/{template}")).q("template_type", "pipeline")).await;
    let mut legacy = c.spec.request_example("CreatePipelineByTemplate");
    legacy["workflow"]["project_id"] = json!(PROJECT);
    legacy["workflow"]["name"] = json!("legacy-deploy");
    let task = c.ok(call("CreatePipelineByTemplate", "/v3/templates/task").body(legacy)).await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = c.ok(call("ShowInstanceStatus", format!("/v3/templates/{task}/status"))).await;
    assert_eq!(status["task_status"], "succeeded");

    // Alert policies.
    let alerts = format!("/v5/{domain}/api/alert/policies");
    let policy = c
        .ok(call("CreateAlertPolicy", alerts.clone()).body(c.spec.request_example("CreateAlertPolicy")))
        .await["policyId"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("ShowAlertPolicy", format!("{alerts}/{policy}"))).await;

    // Rules and policies.
    let v2 = format!("/v2/{domain}");
    let rule = c.ok(call("CreateRule", format!("{v2}/rules/create")).body(c.spec.request_example("CreateRule"))).await
        ["rule_id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("UpdateRule", format!("{v2}/rules/{rule}/update")).body(c.spec.request_example("UpdateRule"))).await;
    c.ok(call("ShowRule", format!("{v2}/rules/{rule}/detail"))).await;
    c.ok(call("ListRule", format!("{v2}/rules/query")).q("offset", 0).q("limit", 10)).await;
    let rule_set = c
        .ok(call("CreateStrategy", format!("{v2}/tenant/rule-sets/create"))
            .body(json!({"name": "gate", "rules": [{"id": rule, "is_valid": true}]})))
        .await["rule_set_id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("UpdateStrategy", format!("{v2}/tenant/rule-sets/{rule_set}/update"))
        .body(json!({"name": "gate-2", "rules": [{"id": rule, "is_valid": false}]})))
        .await;
    c.ok(call("SwitchStrategy", format!("{v2}/tenant/rule-sets/{rule_set}/switch")).body(json!({"is_valid": false})))
        .await;
    let shown = c.ok(call("ShowStrategy", format!("{v2}/tenant/rule-sets/{rule_set}/detail"))).await;
    assert_eq!(
        (shown["is_valid"].as_bool(), shown["rule_instances"][0]["id"].as_str()),
        (Some(false), Some(rule.as_str()))
    );
    c.ok(call("ListStrategy", format!("{v2}/tenant/rule-sets/query"))
        .q("offset", 0)
        .q("limit", 10)
        .q("include_tenant_rule_set", true))
        .await;
    let listed = c
        .ok(call("ListProjectStrategy", format!("/v2/{PROJECT}/rule-sets/query"))
            .q("offset", 0)
            .q("limit", 10)
            .q("include_tenant_rule_set", true))
        .await;
    assert_eq!(listed["total"], 1);
    c.ok(call("ShowProjectStrategy", format!("/v2/{PROJECT}/rule-sets/{rule_set}/gray/detail"))).await;
    let os = c
        .ok(call("CreateOpenSourceStrategy", format!("{v2}/tenant/open-source/rule-sets/create"))
            .body(json!({"name": "licenses", "content": {}})))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(call("UpdateOpenSourceStrategy", format!("{v2}/tenant/open-source/rule-sets/{os}/update"))
        .body(json!({"name": "licenses-2", "content": {}})))
        .await;
    c.ok(call("SwitchOpenSourceStrategy", format!("{v2}/tenant/open-source/rule-sets/{os}/switch"))
        .body(json!({"is_valid": true})))
        .await;
    c.ok(call("ShowOpenSourceStrategy", format!("{v2}/tenant/open-source/rule-sets/{os}/detail"))).await;
    c.ok(call("ListOpenSourceStrategy", format!("{v2}/tenant/open-source/rule-sets/query"))).await;
    c.ok(call("ListProjectOpenSourceStrategy", format!("/v2/{PROJECT}/open-source/rule-sets/query"))
        .q("include_tenant_rule_set", true))
        .await;
    c.ok(call("ShowProjectOpenSourceStrategy", format!("/v2/{PROJECT}/open-source/rule-sets/{os}/detail"))).await;

    // Publishers and plug-ins.
    let v1 = format!("/v1/{domain}");
    c.ok(call("CreatePublisher", format!("{v1}/publisher/create")).body(c.spec.request_example("CreatePublisher")))
        .await;
    let publishers =
        c.ok(call("ListPublisher", format!("{v1}/publisher/query-all")).q("offset", 0).q("limit", 10)).await;
    let publisher = publishers["data"][0]["publisher_unique_id"].as_str().unwrap().to_string();
    c.ok(call("ListAvailablePublisher", format!("{v1}/publisher/optional-publisher"))).await;
    c.ok(call("ShowPublisher", format!("{v1}/publisher/detail")).body(json!([publisher]))).await;
    upload(
        &mut c,
        "UploadPublisherIcon",
        format!("{v1}/common/upload-publisher-icon"),
        &[("publisher_en_name", "aaa")],
    )
    .await;
    let mut plugin = c.spec.request_example("CreatePluginDraft");
    plugin["input_info"] = json!([{"name": "script", "type": "input", "default_value": "env", "layout_content": ""}]);
    plugin["output_info"] = json!([{"name": "result", "source": "stdout", "type": "string", "description": "output"}]);
    c.ok(call("CreatePluginDraft", format!("{v1}/agent-plugin/create-draft")).body(plugin.clone())).await;
    c.ok(call("UpdatePluginDraft", format!("{v1}/agent-plugin/edit-draft")).body(plugin.clone())).await;
    let part = json!({"plugin_name": "apie_test", "version": "0.0.1"});
    c.ok(call("PublishPluginDraft", format!("{v1}/agent-plugin/publish-draft")).body(part.clone())).await;
    let mut next = plugin.clone();
    next["version"] = json!("0.0.2");
    c.ok(call("CreatePluginVersion", format!("{v1}/agent-plugin/create")).body(next)).await;
    c.ok(call("DeletePluginDraft", format!("{v1}/agent-plugin/delete-draft"))
        .q("plugin_name", "apie_test")
        .q("version", "0.0.2"))
        .await;
    c.ok(call("UpdatePluginBaseInfo", format!("{v1}/agent-plugin/update-info")).body(json!({
        "plugin_name": "apie_test", "display_name": "API test", "business_type": "Normal",
        "business_type_display_name": "General", "description": "renamed"})))
        .await;
    let release = json!({"plugin_name": "apie_test", "publisher_unique_id": publisher, "version": "0.0.1"});
    c.ok(call("PublishPlugin", format!("{v1}/agent-plugin/publish-plugin")).body(release.clone())).await;
    c.ok(call("PublishPluginBind", format!("{v1}/agent-plugin/publish-plugin-bind")).body(release)).await;
    upload(&mut c, "UploadPluginIcon", format!("{v1}/common/upload-plugin-icon"), &[("plugin_name", "apie_test")])
        .await;
    let all = c
        .ok(call("ListPlugins", format!("{v1}/agent-plugin/query-all"))
            .q("offset", "0")
            .q("limit", "20")
            .body(json!({"regex_name": "", "business_type": ["Normal"]})))
        .await;
    assert!(all["data"].as_array().unwrap().iter().any(|p| p["plugin_name"] == "apie_test"), "{all}");
    c.ok(call("ListPLuginVersion", format!("{v1}/agent-plugin/query"))
        .q("plugin_name", "apie_test")
        .q("offset", "0")
        .q("limit", "10"))
        .await;
    c.ok(call("ListPluginVersionNumber", format!("{v1}/agent-plugin/all-version"))
        .q("plugin_name", "apie_test")
        .q("offset", "0")
        .q("limit", "10"))
        .await;
    c.ok(call("ShowPluginVersion", format!("{v1}/agent-plugin/detail"))
        .q("plugin_name", "apie_test")
        .q("version", "0.0.1"))
        .await;
    c.ok(call("ShowPluginInputs", format!("{v1}/agent-plugin/plugin-input")).body(json!([part]))).await;
    c.ok(call("ShowPluginOutputs", format!("{v1}/agent-plugin/plugin-output")).body(json!([part]))).await;
    c.ok(call("ShowPluginMetrics", format!("{v1}/agent-plugin/plugin-metrics")).body(json!([part]))).await;
    c.ok(call("ListStagePlugins", format!("{v1}/relation/stage-plugins")).body(json!({}))).await;
    c.ok(call("ListBasePlugins", format!("{v1}/relation/plugin/single"))
        .q("attribution", "official")
        .q("offset", "0")
        .q("limit", "10"))
        .await;
    c.ok(call("ListBasePluginsNewPost", format!("{v1}/relation/plugins"))
        .q("offset", 0)
        .q("limit", 10)
        .body(json!({"business_type": "Normal"})))
        .await;

    // Basic plug-ins.
    let v3 = format!("/v3/{domain}/extension");
    c.ok(call("CreateBasicPlugin", format!("{v3}/info/add")).body(c.spec.request_example("CreateBasicPlugin"))).await;
    let mut basic = c.spec.request_example("CreateBasicPlugin");
    basic["description"] = json!("single step");
    c.ok(call("UpdateBasicPlugin", format!("{v3}/info/update")).body(basic)).await;
    upload(
        &mut c,
        "UploadBasicPlugin",
        format!("{v3}/upload"),
        &[("plugin_name", "basic_plugin"), ("business_type", "Normal")],
    )
    .await;
    c.ok(call("ShowBasicPlugin", format!("{v3}/detail")).q("plugin_name", "basic_plugin").q("version", "0.0.1")).await;
    c.ok(call("ListBasePlugins", format!("{v1}/relation/plugin/single"))
        .q("attribution", "custom")
        .q("offset", "0")
        .q("limit", "10"))
        .await;
    c.ok(call("ListModulesDetail", "/v2/extensions/modules").q("locations", "devcloud.cloudbuild.action")).await;
    c.ok(call("DeleteBasicPlugin", format!("{v3}/info/delete"))
        .q("plugin_name", "basic_plugin")
        .q("type", "Normal")
        .q("version", "0.0.1"))
        .await;
    c.ok(call("DeleteBasicPlugin", format!("{v3}/info/delete")).q("plugin_name", "basic_plugin").q("type", "Normal"))
        .await;

    // Endpoints.
    let endpoints = c
        .ok(call("ListEndpointsDetails", "/v1/serviceconnection/endpoints")
            .q("project_uuid", PROJECT)
            .q("region_name", "eu-west-101"))
        .await;
    let endpoint = endpoints["result"]["endpoints"][0]["uuid"].as_str().unwrap().to_string();
    let echoed = c
        .ok(call("InvokeEndpointProxy", "/v1/serviceconnection/endpointproxy").body(json!({
            "endpoint_uuid": endpoint, "project_uuid": PROJECT, "region_name": "eu-west-101",
            "url": "/api/v1/jobs", "data": {"page": 1}})))
        .await;
    assert_eq!(echoed["result"]["data"]["page"], 1);

    // Pipelines as code.
    let v6 = format!("/v6/{domain}/api/pac/pipelines/actions");
    let repo = "https://example.com/demo/web.git";
    c.ok(call("RunActionsPipeline", format!("{v6}/run")).body(json!({"https_url": repo, "branch": "main",
        "file_path": ".gitcode/workflows/build.yml"})))
        .await;
    let (_, pac_pipeline, pac_run) = emulator.state().actions_runs().pop().unwrap();
    c.ok(call("ListActionsPipelineRuns", v6.clone()).body(json!({"https_url": repo, "page": 1, "page_size": "10"})))
        .await;
    c.ok(call("ListActionsPipelineRunsByRunIds", format!("{v6}/list")).body(json!({"pipeline_run_ids": [pac_run]})))
        .await;
    c.ok(call("RetryRunActionsPipeline", format!("{v6}/rerun"))
        .body(json!({"pipeline_id": pac_pipeline, "pipeline_run_id": pac_run})))
        .await;
    c.ok(call("ShowActionsRunsDetail", format!("{v6}/{pac_pipeline}/{pac_run}"))).await;
    c.ok(call("DeleteActionsRunPipeline", format!("{v6}/{pac_pipeline}/{pac_run}"))).await;

    // Moving, deleting.
    c.ok(call("BatchMovePipelineToGroup", format!("{v5}/pipeline-group/pipeline/move")).body(json!({"group_id": sub,
        "pipelines": [{"pipeline_id": from_template, "pipeline_name": "from-template"}]})))
        .await;
    c.ok(call("DeleteStrategy", format!("{v2}/tenant/rule-sets/{rule_set}/delete"))).await;
    c.ok(call("DeleteRule", format!("{v2}/rules/{rule}/delete"))).await;
    c.ok(call("DeleteOpenSourceStrategy", format!("{v2}/tenant/open-source/rule-sets/{os}/delete"))).await;
    c.ok(call("DeleteAlertPolicy", format!("{alerts}/{policy}"))).await;
    c.ok(call("DeletePublisher", format!("{v1}/publisher/delete")).q("publisher_unique_id", &publisher)).await;
    c.ok(call("DeletePipelineTemplate", format!("{t5}/{template}"))).await;
    c.ok(call("DeletePipelineTag", format!("{v5}/pipeline-tag/delete")).q("tagId", &tag)).await;
    c.ok(call("DeleteVariableGroup", format!("{v5}/pipeline/variable/group/delete")).q("id", &vg)).await;
    c.ok(call("RemovePipeline", format!("/v3/pipelines/{from_template}"))).await;
    c.ok(call("DeletePipeline", format!("{v5}/pipelines/{pipeline}"))).await;
    c.ok(call("DeletePipelineGroup", format!("{v5}/pipeline-group/delete")).q("id", &sub)).await;
    c.ok(call("DeletePipelineGroup", format!("{v5}/pipeline-group/delete")).q("id", &group)).await;
    let tree = c.ok(call("ShowPipelineGroupTree", format!("{v5}/pipeline-group/tree"))).await;
    assert_eq!(tree, json!([]));

    c.assert_all_covered(150);
}

#[tokio::test]
async fn error_answers_are_pipelines_own() {
    let (_emulator, clock, mut c) = start().await;
    let domain = domain_of(&c).await;
    let v5 = format!("/v5/{PROJECT}/api");
    let pipeline = c.ok(call("CreatePipelineNew", format!("{v5}/pipelines")).body(pipeline_body("errors", None))).await
        ["pipeline_id"]
        .as_str()
        .unwrap()
        .to_string();
    let unknown = "ffffffffffffffffffffffffffffffff";

    // Unknown pipeline: 404 DEVPIPE.00011401; another project's: 400 DEVPIPE.00011136.
    c.error(call("ShowPipelineDetail", format!("{v5}/pipelines/{unknown}")), 404, "DEVPIPE.00011401").await;
    c.error(call("RunPipeline", format!("{v5}/pipelines/{unknown}/run")).body(json!({})), 404, "DEVPIPE.00011401")
        .await;
    c.error(call("ShowPipleineStatus", format!("/v3/pipelines/{unknown}/status")), 404, "DEVPIPE.00011401").await;
    c.error(
        call("ShowPipelineDetail", format!("/v5/{OTHER_PROJECT}/api/pipelines/{pipeline}")),
        400,
        "DEVPIPE.00011136",
    )
    .await;
    // Unknown template: DEVPIPE.00011203.
    c.error(
        call("ShowPipelineTemplateDetail", format!("/v5/{domain}/api/pipeline-templates/{unknown}")),
        404,
        "DEVPIPE.00011203",
    )
    .await;

    // Malformed input: the gateway's invalid-parameter code (no DEVPIPE code is published for it).
    c.error(call("CreatePipelineNew", format!("{v5}/pipelines")).body(json!({"name": "x"})), 400, "APIGW.0201").await;
    let mut bad = pipeline_body("bad-definition", None);
    bad["definition"] = json!("not json");
    c.error(call("CreatePipelineNew", format!("{v5}/pipelines")).body(bad), 400, "APIGW.0201").await;
    c.error(
        call("CreatePipelineNew", format!("{v5}/pipelines")).body(pipeline_body("errors", None)),
        400,
        "APIGW.0201",
    )
    .await;
    c.error(call("ShowPipelineDetail", format!("{v5}/pipelines/not-an-id")), 400, "APIGW.0201").await;

    // Another account's resources: 403.
    c.error(call("ListRule", format!("/v2/{unknown}/rules/query")).q("offset", 0).q("limit", 10), 403, "APIGW.0201")
        .await;

    // A review on a step that is not waiting, a retry of a run that did not fail: 400.
    let runs = Runs { pipeline: &pipeline };
    let run = runs.start(&mut c, json!([])).await;
    let d = runs.detail(&mut c, &run).await;
    let (job, step) = ids(&d, 1, Some(0), 0);
    let base = runs.base();
    c.error(
        call("AcceptManualReview", format!("{base}/pipeline-runs/{run}/jobs/{job}/steps/{step}/pass")),
        400,
        "APIGW.0201",
    )
    .await;
    c.error(call("RetryPipelineRun", format!("{base}/pipeline-runs/{run}/retry")).body(json!({})), 400, "APIGW.0201")
        .await;
    clock.advance(STEP * 2);
    c.ok(call("AcceptManualReview", format!("{base}/pipeline-runs/{run}/jobs/{job}/steps/{step}/pass"))).await;
    c.error(
        call("RejectManualReview", format!("{base}/pipeline-runs/{run}/jobs/{job}/steps/{step}/refuse")),
        400,
        "APIGW.0201",
    )
    .await;
    // A step of another job, an unknown run.
    let (other_job, _) = ids(&d, 0, Some(0), 0);
    c.error(
        call("AcceptManualReview", format!("{base}/pipeline-runs/{run}/jobs/{other_job}/steps/{step}/pass")),
        404,
        "DEVPIPE.00011401",
    )
    .await;
    c.error(call("StopPipelineRun", format!("{base}/pipeline-runs/{unknown}/stop")), 404, "DEVPIPE.00011401").await;
    c.error(
        call("ShowPipelineLog", format!("{base}/pipeline-runs/{run}/jobs/{job}/steps/{step}/logs"))
            .body(json!({"limit": 0, "sort": "asc"})),
        400,
        "APIGW.0201",
    )
    .await;
}
