//! CodeArts Build: every operation, for builds in every state (queued, running, succeeded, failed,
//! stopped), and the `CB.*` error answers.

use std::time::Duration;

use codearts_emulator::{DEFAULT_KEYSTORE, Emulator, ManualClock};
use serde_json::{Value, json};

use crate::support::harness::Spec;
use crate::{Checker, call, errors, validator};

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

    // Delete.
    c.ok(call("DeleteBuildJob", format!("/v3/jobs/{job}/delete"))).await;

    c.assert_all_covered(70);
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
