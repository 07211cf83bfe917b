//! CodeArts Build: every operation, for builds in every state (queued, running, succeeded, failed,
//! stopped), and the `CB.*` error answers.

use std::time::Duration;

use codearts_emulator::{DEFAULT_KEYSTORE, Emulator, ManualClock};
use serde_json::{Value, json};

use crate::support::harness::Spec;
use crate::{Call, Checker, call, errors, validator};

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const STEP: Duration = Duration::from_secs(10);

fn job_body(name: &str, steps: &[&str]) -> Value {
    json!({
        "arch": "x86-64",
        "project_id": PROJECT,
        "job_name": name,
        "auto_update_sub_module": "false",
        "flavor": "2u8g",
        "host_type": "devcloud.cloudbuild.host.type.default",
        "build_config_type": "yaml",
        "parameters": [{
            "name": "hudson.model.StringParameterDefinition",
            "params": [
                {"name": "name", "value": "releaseVersion"},
                {"name": "type", "value": "normalparam"},
                {"name": "defaults", "value": "1.0.0"},
                {"name": "options", "value": "a,b", "limits": [{"disable": "0", "display_name": "A", "name": "a"}]}
            ]
        }],
        "scms": [{
            "url": "git@example.com:demo/maven-demo.git",
            "scm_type": "codehub",
            "branch": "master",
            "repo_id": "2111699211",
            "web_url": "https://example.com/demo/maven-demo",
            "is_auto_build": false,
            "build_type": "branch",
            "depth": "1",
            "end_point_id": "",
            "source": "REPO"
        }],
        "steps": steps.iter().map(|name| json!({
            "module_id": "devcloud2018.codeci_action_20057.action",
            "name": name,
            "version": "1.0",
            "enable": true,
            "properties": {"command": "mvn package", "image": "maven3.5.3-jdk8-open", "cache": true}
        })).collect::<Vec<_>>()
    })
}

/// The GET operations about one build, validated in whatever state the build is.
async fn build_reads(c: &mut Checker, job: &str, no: u32, record: &str) {
    c.ok(call("ShowRecordDetail", format!("/v4/jobs/{job}/{no}/record-info"))).await;
    c.ok(call("ShowRecordInfo", format!("/v3/jobs/{job}/{no}/record-info"))).await;
    c.ok(call("ShowHistoryDetails", format!("/v3/jobs/{job}/{no}/history-details"))).await;
    c.ok(call("ShowOutputInfo", format!("/v3/jobs/{job}/{no}/output-info"))).await;
    c.ok(call("ShowFlowGraph", format!("/v3/{record}/flow-graph"))).await;
    c.ok(call("ShowJobStatus", format!("/v3/jobs/{job}/status"))).await;
    c.ok(call("ShowListHistory", format!("/v3/jobs/{job}/history")).q("offset", 0).q("limit", 100).q("interval", 30))
        .await;
    c.ok(call("ShowJobListByProjectId", format!("/v3/{PROJECT}/jobs")).q("page_index", 1).q("page_size", 100)).await;
    c.ok(call("DownloadBuildLog", format!("/v4/{record}/download-log")).q("log_level", "DEBUG")).await;
    c.ok(call("DownloadLogByRecordId", format!("/v3/{record}/download-log"))).await;
}

async fn run(c: &mut Checker, job: &str, parameters: Value) -> (u32, String) {
    let body = json!({"job_id": job, "parameter": parameters, "scm": {"build_tag": null, "build_commit_id": "2f37dd494927d2c6259417c58e5faeb72bfe7150"}});
    let started = c.ok(call("RunJob", "/v3/jobs/build").body(body)).await;
    let no: u32 = started["actual_build_number"].as_str().unwrap().parse().unwrap();
    let record = c.ok(call("ShowRecordDetail", format!("/v4/jobs/{job}/{no}/record-info"))).await;
    (no, record["result"]["build_record_id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_says() {
    let clock =
        ManualClock::new(time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap()).into());
    let emulator = Emulator::builder().step_duration(STEP).clock(clock.clone()).start().await.unwrap();
    let mut c = Checker::new(&emulator, "codearts-build.yaml").await;
    let today = {
        let now = time::OffsetDateTime::from(clock.now());
        format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
    };

    // Jobs.
    let created = c
        .ok(call("CreateBuildJob", "/v3/jobs/create")
            .body(job_body("maven-demo", &["Build with Maven", "Build Docker image"])))
        .await;
    let job = created["result"]["job_id"].as_str().unwrap().to_string();
    let mut update = job_body("maven-demo", &["Build with Maven", "Build Docker image"]);
    update["job_id"] = json!(job);
    c.ok(call("UpdateBuildJob", "/v3/jobs/update").body(update)).await;
    c.ok(call("ListJobConfig", format!("/v3/jobs/{job}/query"))).await;
    c.ok(call("ListJobConfig", format!("/v3/jobs/{job}/query")).q("get_all_parameters", "true")).await;
    c.ok(call("ShowJobListByProjectId", format!("/v3/{PROJECT}/jobs")).q("page_index", 1).q("page_size", 10)).await;
    c.ok(call("ShowJobStatus", format!("/v3/jobs/{job}/status"))).await;
    c.ok(call("DisableBuildJob", format!("/v3/jobs/{job}/disable"))).await;
    c.ok(call("ShowJobListByProjectId", format!("/v3/{PROJECT}/jobs")).q("page_index", 1).q("page_size", 10)).await;
    c.ok(call("EnableBuildJob", format!("/v3/jobs/{job}/recover"))).await;

    // A build in each state: queued, running, succeeded; then failed and stopped ones.
    let (no, record) = run(&mut c, &job, json!([{"name": "releaseVersion", "value": "2.0.0"}])).await;
    build_reads(&mut c, &job, no, &record).await;
    clock.advance(STEP * 2);
    build_reads(&mut c, &job, no, &record).await;
    c.ok(call("DownloadTaskLog", format!("/v4/{record}/task-log")).q("task_name", "Code checkout")).await;
    clock.advance(STEP * 5);
    build_reads(&mut c, &job, no, &record).await;
    c.ok(call("DownloadTaskLog", format!("/v4/{record}/task-log"))
        .q("task_name", "Build with Maven")
        .q("log_level", "INFO"))
        .await;

    let (failed, failed_record) = run(&mut c, &job, json!([{"name": "fail", "value": "true"}])).await;
    clock.advance(STEP * 10);
    build_reads(&mut c, &job, failed, &failed_record).await;

    let (stopped, stopped_record) = run(&mut c, &job, json!([])).await;
    clock.advance(STEP * 2);
    c.ok(call("StopBuildJob", format!("/v3/jobs/{job}/{stopped}/stop"))).await;
    c.ok(call("StopBuildJob", format!("/v3/jobs/{job}/{no}/stop"))).await; // already finished
    build_reads(&mut c, &job, stopped, &stopped_record).await;
    let (old_stop, _) = run(&mut c, &job, json!([])).await;
    c.ok(call("StopJob", "/v3/jobs/stop").body(json!({"job_id": job, "build_no": old_stop.to_string()}))).await;
    c.ok(call("StopJob", "/v3/jobs/stop").body(json!({"job_id": job, "build_no": old_stop.to_string()}))).await;

    // History over all of them.
    c.ok(call("ShowListPeriodHistory", format!("/v3/jobs/{job}/period-history"))
        .q("offset", 0)
        .q("limit", 10)
        .q("start_time", &today)
        .q("end_time", &today))
        .await;
    c.ok(call("ShowJobSuccessRatio", format!("/v3/jobs/{job}/success-ratio"))
        .q("start_time", &today)
        .q("end_time", &today))
        .await;
    c.ok(call("ShowLastHistory", format!("/v3/jobs/{PROJECT}/last-history")).q("repository_name", "maven-demo")).await;

    // Templates.
    let template = json!({
        "name": "maven-template",
        "description": "Maven build",
        "tool_type": "maven",
        "parameters": [{"name": "hudson.model.StringParameterDefinition", "params": [{"name": "name", "value": "codeBranch"}]}],
        "template": {"steps": [{"module_id": "devcloud2018.codeci_action_20057.action", "name": "Build with Maven", "version": "", "enable": true, "properties": {"command": "mvn package"}}]}
    });
    let created = c.ok(call("CreateTemplates", "/v3/templates/create").body(template)).await;
    let uuid = created["result"]["uuid"].as_str().unwrap().to_string();
    c.ok(call("ListTemplates", "/v3/templates/query").q("name", "maven").q("page", "1").q("page_size", "10")).await;
    c.ok(call("ListTemplates", "/v3/templates/query")).await;
    c.ok(call("DeleteTemplates", format!("/v3/templates/{uuid}/delete"))).await;

    // Notifications.
    c.ok(call("ListNotice", format!("/v3/jobs/notice/{job}/query"))).await;
    let notice = json!({"notice_type": "email", "enabled_event_type_names": ["buildJobSuccess", "buildJobFail"], "param_config": ""});
    c.ok(call("UpdateNotice", format!("/v3/jobs/notice/{job}/update")).body(notice)).await;
    c.ok(call("DisableNotice", format!("/v3/jobs/notice/{job}/disable")).q("notice_type", "message")).await;
    c.ok(call("ListNotice", format!("/v3/jobs/notice/{job}/query"))).await;

    // Keystore.
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
    let domain = projects["projects"][0]["domain_id"].as_str().unwrap().to_string();
    c.ok(call("DownloadKeystore", "/v3/keystore").q("file_name", DEFAULT_KEYSTORE).q("domain_id", &domain)).await;

    // The v1/v2 surface, on the same job and its builds.
    v1_surface(&mut c, &clock, &job, no, &record, &domain, &today).await;

    // Delete.
    c.ok(call("DeleteBuildJob", format!("/v3/jobs/{job}/delete"))).await;

    c.assert_all_covered(190);
}

/// A multipart/form-data body of text fields and one file part.
fn form(boundary: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    let (name, file_name, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// Sends UploadKeystore as a multipart form and validates the answer; returns it.
async fn upload(c: &mut Checker, file_name: &str, bytes: &[u8]) -> Value {
    let boundary = "codearts-conformance-boundary";
    let body = form(boundary, &[("privacy", "true"), ("description", "release key")], ("file", file_name, bytes));
    let response = c
        .http
        .post(format!("{}/v2/keystore/upload", c.base))
        .header("x-auth-token", &c.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    let (_, _, operation) = c.operation("UploadKeystore");
    let schema = operation["responses"]["200"]["content"]["application/json"]["schema"].clone();
    c.validate("UploadKeystore", &schema, &doc);
    c.covered.insert("UploadKeystore".into());
    doc
}

/// Every v1/v2 operation, on the job `job` (with builds, the first `no` of record `record`).
async fn v1_surface(c: &mut Checker, clock: &ManualClock, job: &str, no: u32, record: &str, domain: &str, today: &str) {
    // v1 jobs: create, round trip with v3, copy, update, disable.
    let mut body = job_body("v1-job", &["Build with Maven", "Unit tests"]);
    body["group_id"] = json!("");
    body["build_if_code_updated"] = json!(true);
    body["timeout"] = json!({"limit": "4", "unit": "hour"});
    body["triggers"] = json!([{"name": "timer", "parameters": [{"name": "cron", "value": "0 0 * * *"}]}]);
    let created = c.ok(call("CreateNewJob", "/v1/job/create").body(body)).await;
    let v1 = created["result"]["job_id"].as_str().unwrap().to_string();
    let v3 = c.ok(call("ListJobConfig", format!("/v3/jobs/{v1}/query"))).await;
    assert_eq!(v3["result"]["timeout"]["unit"], "hour");
    c.ok(call("ShowJobConfig", format!("/v1/job/{job}/config")).q("get_all_params", "true")).await;
    let config = c.ok(call("ShowJobConfig", format!("/v1/job/{v1}/config"))).await;
    assert_eq!(config["result"]["triggers"][0]["name"], "timer");
    let mut update = job_body("v1-job-renamed", &["Build with Maven", "Unit tests"]);
    update["job_id"] = json!(v1);
    c.ok(call("UpdateNewJob", "/v1/job/update").body(update)).await;
    c.ok(call("ShowJobInfo", format!("/v1/job/{job}/info"))).await;
    c.ok(call("ShowJobInfo", format!("/v1/job/{v1}/info"))).await;
    let name = c.ok(call("ShowCopyName", format!("/v1/job/{v1}/copy-name"))).await;
    let mut copy = job_body(name["result"].as_str().unwrap(), &["Build with Maven"]);
    copy["copy_job_id"] = json!(v1);
    let copied = c.ok(call("CopyJob", "/v1/job/copy").body(copy)).await;
    let copy_id = copied["result"]["job_id"].as_str().unwrap().to_string();
    c.ok(
        call("DisableTheJob", format!("/v1/job/{copy_id}/disable")).body(json!({"disabled": true, "reason": "frozen"}))
    )
    .await;
    c.ok(call("ShowDisable", format!("/v1/job/{copy_id}/check/disable"))).await;
    c.ok(call("DisableTheJob", format!("/v1/job/{copy_id}/disable")).body(json!({"disabled": false}))).await;
    c.ok(call("ShowDisable", format!("/v1/job/{copy_id}/check/disable"))).await;
    c.ok(call("ListJob", "/v1/job/list").q("page_index", 1).q("page_size", 10).q("sort_field", "job_name")).await;
    c.ok(call("ListJob", "/v1/job/list").q("build_status", "success,fail").q("sort_order", "DESC")).await;
    c.ok(call("ListProjectJobs", format!("/v1/job/{PROJECT}/list")).q("page_index", 1).q("page_size", 10)).await;
    c.ok(call("CheckJobNameIsExists", "/v1/job/check/exist").q("project_id", PROJECT).q("job_name", "v1-job-renamed"))
        .await;
    c.ok(call("CheckJobCountIsTopLimit", "/v1/job/check/count")).await;
    c.ok(call("ShowRunningStatus", format!("/v1/job/{job}/running-status"))).await;
    c.ok(call("ShowRunningStatus", format!("/v1/job/{v1}/running-status"))).await;
    c.ok(call("ShowJobStepStatus", format!("/v1/job/{job}/status"))).await;
    c.ok(call("ShowJobStepStatus", format!("/v1/job/{job}/status")).q("build_no", no)).await;
    c.ok(call("ShowBuildDetails", format!("/v1/job/{job}/{no}/build-info"))).await;
    c.ok(call("ListUpdateJobHistory", format!("/v1/job/{v1}/history")).q("page_no", 1).q("page_size", 10)).await;
    c.ok(call("ShowJobConfigDiff", format!("/v1/job/{v1}/diff")).q("original_no", "1").q("revisedl_no", "2")).await;
    c.ok(call("ShowJobPipelineInfo", format!("/v1/job/{job}/pipeline-info"))).await;
    c.ok(call("AddFavouriteTask", format!("/v1/job/{job}/follow"))).await;
    c.ok(call("RemoverFavouriteTask", format!("/v1/job/{job}/unfollow"))).await;
    c.ok(call("ListBuildParameter", format!("/v1/job/{job}/{no}/history-parameters"))).await;
    c.ok(call("ShowBuildParamsList", "/v1/job/build-params")).await;
    c.ok(call("ShowDefaultBuildParameters", "/v1/job/default-parameters")).await;
    c.ok(call("ShowJobSystemParameters", "/v1/job/system-parameters")).await;
    c.ok(call("ListEndPoints", format!("/v1/job/{PROJECT}/nexus")).q("limit", 10).q("offset", 0)).await;

    // A v1 build: ExecuteJob, its real-time log while it runs, StopTheJob on another.
    let started = c.ok(call("ExecuteJob", "/v1/job/execute").body(json!({"job_id": v1}))).await;
    let v1_no = started["actual_build_number"].as_str().unwrap().to_string();
    clock.advance(STEP * 2);
    let piece = c
        .ok(call("DownloadRealTimeLog", format!("/v3/jobs/{v1}/{v1_no}/real-time-log")).q("offset", 0).q("length", 100))
        .await;
    assert_eq!(piece["result"]["has_more_data"], true);
    c.ok(call("DownloadBuildRealTimeLog", format!("/v1/log/{v1}/{v1_no}/real-time-log"))
        .q("start_offset", 0)
        .q("end_offset", 0)
        .q("size", "1000"))
        .await;
    clock.advance(STEP * 10);
    c.ok(call("ShowActionIInfo", "/v1/log/stage/page")
        .q("job_id", &v1)
        .q("build_no", &v1_no)
        .q("start_offset", 0)
        .q("end_offset", 500)
        .q("sort", "DESC"))
        .await;
    let stopped = c.ok(call("ExecuteJob", "/v1/job/execute").body(json!({"job_id": v1}))).await;
    let stop_no = stopped["actual_build_number"].as_str().unwrap().to_string();
    c.ok(call("StopTheJob", format!("/v1/job/{v1}/stop")).q("build_no", &stop_no)).await;

    // Records and stages.
    let range =
        |c: Call<'static>| c.q("start_time", format!("{today} 00:00:00")).q("end_time", format!("{today} 23:59:59"));
    c.ok(range(call("ListBuildInfoRecord", format!("/v3/jobs/{job}/build-info-records"))).q("page_index", 0)).await;
    c.ok(range(call("ListBuildInfoRecordByJobId", format!("/v1/record/{job}/list"))).q("page_size", 5)).await;
    c.ok(call("ShowBuildInfoRecord", format!("/v1/record/{job}/{no}/build-info-record"))).await;
    let detail = c.ok(call("ShowJobBuildRecordDetail", format!("/v1/record/{job}/{no}/record-info"))).await;
    let build_project = detail["result"]["build_project_id"].as_str().unwrap().to_string();
    c.ok(call("ListBriefRecord", "/v1/record/brief").q("limit", 10).body(json!([build_project]))).await;
    c.ok(call("ListRecords", format!("/v1/record/{build_project}/records"))
        .q("page", 1)
        .q("limit", 10)
        .q("triggers", "MANUAL")
        .q("branches", "master")
        .q("from_date", today)
        .q("to_date", today))
        .await;
    c.ok(call("ShowJobTotal", format!("/v1/record/{build_project}/statistics"))).await;
    c.ok(call("ShowBuildRecord", format!("/v1/record/{record}/info"))).await;
    c.ok(call("ShowBuildRecordBuildScript", format!("/v1/record/{record}/build-script"))).await;
    c.ok(call("ShowBuildRecordFlowGraph", format!("/v1/record/{record}/flow-graph"))).await;
    let stages = c.ok(call("ShowBuildRecordFullStages", format!("/v1/record/{record}/full-stages"))).await;
    assert_eq!(stages["result"]["build_stages"]["stage1"]["display_name"], "Code checkout");
    c.ok(call("DownloadBuildFullLog", format!("/v1/log/{record}/download-log"))).await;
    c.ok(call("DownloadBuildFullLog", format!("/v1/log/{record}/download-log")).q("compress", "true")).await;

    // Reports of the v1 job's finished build (its "Unit tests" step).
    let summary = c.ok(call("ShowReportSummary", format!("/v1/report/{v1}/summary")).q("build_no", &v1_no)).await;
    assert_eq!(summary["result"]["summary"]["total"], 10);
    let coverage = c
        .ok(call("ListJunitCoverageSummary", "/v1/report/junit/coverage/list").q("job_id", &v1).q("build_no", &v1_no))
        .await;
    let root = coverage["result"]["unit_summary_list"][0]["root_id"].as_str().unwrap().to_string();
    c.ok(call("DownloadJunitCoverageZip", "/v1/report/junit/coverage/download")
        .q("job_id", &v1)
        .q("build_no", &v1_no)
        .q("root_id", &root))
        .await;
    c.ok(call("ListRepository", format!("/v1/report/{job}/repositories"))).await;
    c.ok(call("ListRepoBranch", "/v1/report/branches").q("job_id", job).q("repository_name", "maven-demo")).await;
    for (op, path) in [("ShowJobBuildSuccessRatio", "/v1/report/ratio"), ("ShowJobBuildTime", "/v1/report/time")] {
        c.ok(call(op, path).q("job_id", job).q("repository_name", "maven-demo").q("interval", 7)).await;
        c.ok(call(op, path).q("job_id", job).q("repository_name", "maven-demo").q("branch", "master").q("interval", 0))
            .await;
    }

    // Notifications and webhooks (v1).
    c.ok(call("ShowJobNoticeConfigInfo", format!("/v1/job/{job}/notice"))).await;
    let notice = json!({"notice_type": "WECOM", "enabled_event_type_names": ["buildJobFail"], "param_config": "{}"});
    c.ok(call("UpdateNewNoticeNew", format!("/v1/job/{job}/notice")).body(notice)).await;
    c.ok(call("ShowJobNoticeConfigInfo", format!("/v1/job/{job}/notice"))).await;
    let hook = json!({"job_id": job, "notice_type": "DING_TALK", "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=x"});
    c.ok(call("CheckWebhookUrl", "/v1/job/check/webhook-url").body(hook)).await;

    // Permissions.
    c.ok(call("ApplyProjectPermission", "/v1/job/project/permission")
        .body(json!({"job_id": job, "project_id": PROJECT, "project_switch": true})))
        .await;
    let roles = json!({"job_ids": [job], "project_id": PROJECT, "project_switch": true, "permissions": [
        {"role_id": 3, "role_name": "developer", "is_view": true, "is_execute": true, "is_copy": true, "is_modify": true,
         "is_delete": false, "is_forbidden": false, "is_manager": false, "count": 0, "id": 0}]});
    c.ok(call("BatchUpdateJobRolePermission", "/v1/job/permissions/batch").body(roles)).await;
    c.ok(call("CheckJobInternal", "/v1/job/permission/internal")).await;
    c.ok(call("ShowDefaultProjectPermission", "/v1/job/project/default-permission")
        .q("project_id", PROJECT)
        .q("job_id", job))
        .await;
    c.ok(call("ShowJobRolePermission", "/v1/job/permission/role").q("job_id", job)).await;
    c.ok(call("ShowProjectJobPermission", "/v1/job/permission").q("project_id", PROJECT).q("job_id", job)).await;
    c.ok(call("ShowProjectPermission", "/v1/domain/user-permission").q("project_id", PROJECT)).await;

    // Groups.
    let group = |name: &str, parent: &str| json!({"project_id": PROJECT, "name": name, "parent_id": parent});
    let root_group =
        c.ok(call("CreateJobGroup", format!("/v1/job/{PROJECT}/group/create")).body(group("services", ""))).await;
    let root_id = root_group["result"][0]["id"].as_str().unwrap().to_string();
    let a = c.ok(call("CreateJobGroup", format!("/v1/job/{PROJECT}/group/create")).body(group("a", &root_id))).await;
    let a = a["result"][0]["id"].as_str().unwrap().to_string();
    let b = c.ok(call("CreateJobGroup", format!("/v1/job/{PROJECT}/group/create")).body(group("b", &root_id))).await;
    let b = b["result"][0]["id"].as_str().unwrap().to_string();
    c.ok(call("UpdateJobGroup", format!("/v1/job/{PROJECT}/group/update"))
        .body(json!({"id": a, "name": "a-renamed", "project_id": PROJECT})))
        .await;
    c.ok(call("SwitchedPacket", format!("/v1/job/{PROJECT}/group/swap"))
        .q("source_group_id", &a)
        .q("target_group_id", &b))
        .await;
    let moved = c
        .ok(call("MoveGroup", format!("/v1/job/{PROJECT}/group/move"))
            .body(json!({"group_id": a, "jobs": [{"job_id": v1, "job_name": "v1-job-renamed"}]})))
        .await;
    assert_eq!(moved["result"][0]["group_path_id"], format!("{root_id}.{a}"));
    let tree = c.ok(call("ListGroupTree", format!("/v1/job/{PROJECT}/group/tree"))).await;
    assert_eq!(tree["result"][0]["children"].as_array().unwrap().len(), 2);
    c.ok(call("ListProjectJobs", format!("/v1/job/{PROJECT}/list"))
        .q("page_index", 1)
        .q("page_size", 10)
        .q("by_group", "true")
        .q("group_path_id", format!("{root_id}.{a}")))
        .await;
    c.ok(call("DeleteGroup", format!("/v1/job/{PROJECT}/group/delete")).q("id", &b)).await;

    // Keystores: upload, list, download, permissions, update, delete.
    let uploaded = upload(c, "release.jks", b"\xfe\xed\xfe\xedrelease").await;
    let keystore = uploaded["result"]["keystore_id"].as_str().unwrap().to_string();
    c.ok(call("ListKeystore", "/v2/keystore/name")).await;
    c.ok(call("ListKeystoreSearch", "/v2/keystore/list").q("page", 1).q("page_size", 10).q("search", "release")).await;
    c.ok(call("DownloadKeystoreByName", "/v2/keystore/download")
        .q("name", "release.jks")
        .q("domain_id", domain)
        .q("id", &keystore))
        .await;
    let listed = c.ok(call("ListKeystoreSearch", "/v2/keystore/list")).await;
    let me = listed["result"]["keystore_list"][0]["create_user_id"].as_str().unwrap().to_string();
    let grant = json!({"keystore_id": keystore, "user_id": me, "user_name": "demo", "setting": true, "delete": false,
        "modify": true, "usage": true, "can_absent": false});
    let granted = c.ok(call("AddKeystorePermission", "/v2/keystore/permission/add").body(grant)).await;
    let permission = granted["result"].as_str().unwrap().to_string();
    c.ok(call("UpdateKeystorePermission", "/v2/keystore/permission/edit").body(json!({"id": permission,
        "keystore_id": keystore, "user_name": "demo", "delete": true, "modify": true, "usage": true})))
        .await;
    c.ok(call("ShowKeystorePermission", format!("/v2/keystore/permission/{keystore}/query"))
        .q("page", 1)
        .q("page_size", 10))
        .await;
    c.ok(call("UpdateKeystore", format!("/v2/keystore/update/{keystore}"))
        .body(json!({"id": keystore, "keystore_name": "release-2.jks", "description": "renamed", "share": 1})))
        .await;
    c.ok(call("DeleteKeystorePermission", format!("/v2/keystore/permission/{permission}/delete"))).await;
    c.ok(call("DeleteKeystore", format!("/v2/keystore/{keystore}/delete"))).await;

    // v1 templates, official templates, favourites.
    let template = json!({"name": "v1-template", "template": {"steps": [{"module_id": "devcloud2018.codeci_action_20057.action", "name": "Build", "enable": true, "properties": {"command": "make"}}]}});
    let created = c.ok(call("CreateTemplate", "/v1/template/create").body(template)).await;
    let uuid = created["result"]["uuid"].as_str().unwrap().to_string();
    c.ok(call("AddFavouriteCustomTemplate", format!("/v1/template/custom/{uuid}/follow"))).await;
    c.ok(call("ListCustomTemplate", "/v1/template/custom").q("filter", "favourite").q("page", 1).q("page_size", 10))
        .await;
    c.ok(call("RemoverFavouriteCustomTemplate", format!("/v1/template/custom/{uuid}/unfollow"))).await;
    c.ok(call("ShowTemplate", format!("/v1/template/{uuid}/custom"))).await;
    let official = c.ok(call("ListOfficialTemplate", "/v1/template/officialtemplates").q("name", "maven")).await;
    let official = official["result"]["items"][0]["uuid"].as_str().unwrap().to_string();
    c.ok(call("AddFavouriteOfficialTemplate", format!("/v1/template/official/{official}/follow"))).await;
    c.ok(call("RemoverFavouriteOfficialTemplate", format!("/v1/template/official/{official}/unfollow"))).await;
    c.ok(call("ListRecommendOfficialTemplate", "/v1/template/recommend")
        .body(json!({"git_url": "git@example.com:demo/maven-demo.git", "branch": "master", "tags": "maven"})))
        .await;
    c.ok(call("SaveTemplateUsedInfo", "/v1/template/used-info").body(json!({"job_id": v1, "template_id": official})))
        .await;
    c.ok(call("ShowYamlTemplate", format!("/v1/template/{job}/default-template")).q("default_host", "x86-64")).await;
    let images = c.ok(call("ShowImageTemplateList", "/v1/image/templates")).await;
    let image = images["result"]["image_templates"][0]["image_id"].as_str().unwrap().to_string();
    c.ok(call("ShowDockerfileTemplate", "/v1/image/dockerfile-template").q("image_id", image)).await;
    c.ok(call("DeleteTemplate", format!("/v1/template/{uuid}/delete"))).await;

    // The account, resources and packages.
    c.ok(call("ShowUserChargeType", "/v1/domain/charge-type")).await;
    c.ok(call("ShowDomainsStatuses", "/v1/domain/domains-statuses").body(json!({"domain_ids": domain}))).await;
    c.ok(call("ShowSummaryBuildJobInfo", "/v1/domain/job-summary")).await;
    c.ok(call("ShowUserOverPackageQuota", "/v1/domain/package/quota").q("project_id", PROJECT)).await;
    c.ok(call("ShowRelatedProject", "/v1/domain/project/related")).await;
    c.ok(call("ListRelatedProjectInfo", "/v1/domain/project/related-page").q("page_no", 1).q("page_size", 10)).await;
    c.ok(call("ShowDomainStatus", "/v1/domain/status")).await;
    c.ok(call("ShowPackageSpecCountDown", "/v2/resource/countdown")
        .body(json!({"service_type": "x86-64", "resource_id": PROJECT, "reminder_day": "7"})))
        .await;
    c.ok(call("ShowAvailableInnerSpec", "/v2/resource/spec").q("project_id", PROJECT).q("arch", "x86-64")).await;
    let configured = first_keystore(c).await;
    c.ok(call("ShowKeystorePermission", format!("/v2/keystore/permission/{configured}/query"))
        .q("page", 1)
        .q("page_size", 10))
        .await;

    // The recycle bin: delete, batch delete, list, restore, purge, clear, keep time.
    c.ok(call("SetKeepTime", "/v1/job/keep-time").body(json!({"keep_time": 29}))).await;
    c.ok(call("DeleteTheJob", format!("/v1/job/{copy_id}/delete"))).await;
    c.ok(call("BatchDeleteBuildJobs", "/v1/job/batch-delete").body(json!({"job_ids": [v1]}))).await;
    let bin = c.ok(call("ListRecyclingJob", "/v1/job/recycling-jobs").q("page_no", 1).q("page_size", 10)).await;
    assert_eq!(bin["result"]["total"], 2);
    assert_eq!(bin["result"]["keep_time"], 29);
    c.ok(call("RestoreRecyclingJobs", "/v1/job/recycling-restoration").body(json!({"job_ids": [v1]}))).await;
    c.ok(call("ShowJobConfig", format!("/v1/job/{v1}/config"))).await;
    c.ok(call("DeleteRecyclingJobs", "/v1/job/recycling-deletion").body(json!({"job_ids": [copy_id]}))).await;
    c.ok(call("DeleteTheJob", format!("/v1/job/{v1}/delete"))).await;
    c.ok(call("ClearRecyclingJobs", "/v1/job/recycling-empty")).await;
    let bin = c.ok(call("ListRecyclingJob", "/v1/job/recycling-jobs")).await;
    assert_eq!(bin["result"]["total"], 0);
}

/// The ID of the account's first keystore file (the configured one).
async fn first_keystore(c: &mut Checker) -> String {
    let list = c.ok(call("ListKeystore", "/v2/keystore/name")).await;
    list["result"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn error_answers_fit_error_response() {
    let emulator = Emulator::builder().start().await.unwrap();
    let mut c = Checker::new(&emulator, "codearts-build.yaml").await;
    let job = "ffffffffffffffffffffffffffffffff";
    let record = "00000000-0000-0000-0000-000000000000";
    let (bad, invalid, missing) = (400, "CB.00060200", "CB.00060214");

    // Malformed job IDs.
    for (op, path) in [
        ("ShowJobStatus", "/v3/jobs/nope/status"),
        ("ShowListHistory", "/v3/jobs/nope/history"),
        ("ShowRecordDetail", "/v4/jobs/nope/1/record-info"),
        ("StopBuildJob", "/v3/jobs/nope/1/stop"),
        ("DeleteBuildJob", "/v3/jobs/nope/delete"),
        ("ListNotice", "/v3/jobs/notice/nope/query"),
    ] {
        c.error(call(op, path), bad, "CB.00060201").await;
    }
    c.error(call("RunJob", "/v3/jobs/build").body(json!({"job_id": "nope"})), bad, "CB.00060201").await;
    c.error(call("StopJob", "/v3/jobs/stop").body(json!({"build_no": "1"})), bad, "CB.00060201").await;

    // Other invalid parameters.
    c.error(call("ShowJobListByProjectId", "/v3/nope/jobs").q("page_index", 1).q("page_size", 10), bad, invalid).await;
    c.error(call("ShowJobListByProjectId", format!("/v3/{PROJECT}/jobs")).q("page_index", 1), bad, invalid).await;
    c.error(
        call("ShowListPeriodHistory", format!("/v3/jobs/{job}/period-history")).q("offset", 0).q("limit", 10),
        bad,
        invalid,
    )
    .await;
    c.error(
        call("ShowJobSuccessRatio", format!("/v3/jobs/{job}/success-ratio")).q("start_time", "x").q("end_time", "y"),
        bad,
        invalid,
    )
    .await;
    c.error(call("DownloadBuildLog", "/v4/short/download-log"), bad, invalid).await;
    c.error(call("DownloadTaskLog", format!("/v4/{record}/task-log")), bad, invalid).await;
    c.error(call("DownloadKeystore", "/v3/keystore").q("domain_id", "x"), bad, "CB.00060203").await;
    // A file name but a malformed tenant ID (the SDK refuses this one before sending, so only raw
    // HTTP reaches the emulator's own check).
    let keystore = call("DownloadKeystore", "/v3/keystore").q("file_name", "android.keystore");
    c.error(keystore.q("domain_id", "NOT-A-DOMAIN"), bad, invalid).await;
    c.error(call("CreateBuildJob", "/v3/jobs/create").body(json!({"job_name": "x"})), bad, invalid).await;
    c.error(call("CreateTemplates", "/v3/templates/create").body(json!([])), bad, invalid).await;
    c.error(call("ListTemplates", "/v3/templates/query").q("page_size", "0"), bad, invalid).await;
    c.error(call("DeleteTemplates", "/v3/templates/nope/delete"), bad, invalid).await;
    c.error(call("DisableNotice", format!("/v3/jobs/notice/{job}/disable")), bad, invalid).await;

    // Unknown resources.
    for (op, path) in [
        ("ShowJobStatus", format!("/v3/jobs/{job}/status")),
        ("ListJobConfig", format!("/v3/jobs/{job}/query")),
        ("ShowHistoryDetails", format!("/v3/jobs/{job}/1/history-details")),
        ("ShowOutputInfo", format!("/v3/jobs/{job}/1/output-info")),
        ("ShowRecordInfo", format!("/v3/jobs/{job}/1/record-info")),
        ("DisableBuildJob", format!("/v3/jobs/{job}/disable")),
        ("EnableBuildJob", format!("/v3/jobs/{job}/recover")),
        ("ShowFlowGraph", format!("/v3/{record}/flow-graph")),
        ("DownloadLogByRecordId", format!("/v3/{record}/download-log")),
        ("DeleteTemplates", format!("/v3/templates/{job}/delete")),
    ] {
        c.error(call(op, path), 404, missing).await;
    }
    c.error(
        call("ShowLastHistory", format!("/v3/jobs/{PROJECT}/last-history")).q("repository_name", "x"),
        404,
        missing,
    )
    .await;
    c.error(
        call("UpdateNotice", format!("/v3/jobs/notice/{job}/update"))
            .body(json!({"notice_type": "email", "enabled_event_type_names": []})),
        404,
        missing,
    )
    .await;
    let mut update = job_body("x", &["Build"]);
    update["job_id"] = json!(job);
    c.error(call("UpdateBuildJob", "/v3/jobs/update").body(update), 404, missing).await;
}

#[test]
fn the_check_is_strict() {
    let spec = Spec::load("codearts-build.yaml");
    let status = json!({"$ref": "#/components/schemas/ShowJobStatusResponse"});
    let check = validator(&spec.doc, &status);
    assert!(errors(&check, &json!({"result": true})).is_empty());
    assert!(!errors(&check, &json!({"result": true, "undocumented": 1})).is_empty(), "objects are closed");
    assert!(!errors(&check, &json!({"result": "true"})).is_empty(), "types are checked");
    let record = json!({"$ref": "#/components/schemas/ShowRecordDetailResponse"});
    let check = validator(&spec.doc, &record);
    assert!(!errors(&check, &json!({"result": {"build_no": 3_000_000_000u64}})).is_empty(), "int32 range");
}

/// Bad input to every operation (malformed path IDs, no query, bodies that are not JSON, of the
/// wrong shape, empty): never a 500, and every error in Build's own codes and the spec's
/// `ErrorResponse`.
#[tokio::test]
async fn bad_input_to_every_operation_is_a_build_error_never_a_500() {
    let emulator = Emulator::builder().start().await.unwrap();
    let c = Checker::new(&emulator, "codearts-build.yaml").await;
    let fills = ["x", "ffffffffffffffffffffffffffffffff", "00000000-0000-0000-0000-000000000000", "0"];
    let bodies: [Option<&[u8]>; 5] = [None, Some(b"{"), Some(b"[]"), Some(b"{}"), Some(b"\"text\"")];
    let mut answered = 0;
    let error_body = validator(&c.spec.doc, &json!({"$ref": "#/components/schemas/ErrorResponse"}));
    for op in c.operations() {
        let (method, template, _) = c.operation(&op);
        for fill in fills {
            let path: String = template
                .split('/')
                .map(|s| if s.starts_with('{') { fill.to_string() } else { s.to_string() })
                .collect::<Vec<_>>()
                .join("/");
            for body in bodies {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let mut request = c.http.request(method, format!("{}{path}", c.base)).header("x-auth-token", &c.token);
                if let Some(body) = body {
                    request = request.header("content-type", "application/json").body(body.to_vec());
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                assert!(status < 500, "{op} {path} {body:?}: {status} {text}");
                answered += 1;
                if status >= 400 {
                    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{op}: {e}: {text}"));
                    let code = doc["error_code"].as_str().unwrap_or_default();
                    assert!(code.starts_with("CB.") || code.starts_with("APIGW."), "{op} {path}: {doc}");
                    let wrong = errors(&error_body, &doc);
                    assert!(wrong.is_empty(), "{op} {path}: {wrong:?}");
                }
            }
        }
    }
    assert!(answered >= 135 * 20, "{answered}");
}
