//! Every CodeArts Build operation against a recording loopback server: the documented method, path,
//! query and body go out; the reference's 200 example decodes and re-serializes unchanged (errata
//! applied); every documented error status decodes into `ErrorResponse`.

mod support;

use codearts::build::{Client, types};
use codearts::region::Service;
use serde_json::{Value, json};
use std::sync::LazyLock;
use support::harness::{Expect, Spec, download, round_trip};
use support::mock::MockServer;

static SPEC: LazyLock<Spec> = LazyLock::new(|| Spec::load("codearts-build.yaml"));

const JOB: &str = "cb5fa20de5fd4cf8be681d4bd6fdd2f6";
const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const RECORD: &str = "2cc26382-b2cb-4234-8eb0-b37d362f4d4c";

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let config = codearts::Config::builder().endpoint(Service::Build, &server.base).build().unwrap();
    (server, Client::from_config(&config).unwrap())
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).expect("the example fits the typed body")
}

fn expect<'a>(op: &'a str, path_params: &'a [&'a str], query: &'a [(&'a str, &'a str)]) -> Expect<'a> {
    Expect { op, path_params, query, body: None, response: None }
}

#[tokio::test]
async fn show_list_period_history() {
    let (s, c) = setup().await;
    let q = [("offset", "0"), ("limit", "10"), ("start_time", "2021-01-04"), ("end_time", "2021-01-14")];
    round_trip(&s, &SPEC, expect("ShowListPeriodHistory", &[JOB], &q), || {
        c.show_list_period_history()
            .job_id(JOB)
            .offset(0)
            .limit(10)
            .start_time("2021-01-04")
            .end_time("2021-01-14")
            .send()
    })
    .await;
}

#[tokio::test]
async fn show_list_history() {
    let (s, c) = setup().await;
    let q = [("interval", "7"), ("offset", "0"), ("limit", "10")];
    round_trip(&s, &SPEC, expect("ShowListHistory", &[JOB], &q), || {
        c.show_list_history().job_id(JOB).interval(7).offset(0).limit(10).send()
    })
    .await;
}

#[tokio::test]
async fn download_keystore() {
    let (s, c) = setup().await;
    let q = [("file_name", "android.keystore"), ("domain_id", "60021bab32fd450aa2cb89226f425e06")];
    download(&s, &SPEC, expect("DownloadKeystore", &[], &q), || {
        c.download_keystore().file_name("android.keystore").domain_id("60021bab32fd450aa2cb89226f425e06").send()
    })
    .await;
}

#[tokio::test]
async fn show_job_status() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ShowJobStatus", &[JOB], &[]), || c.show_job_status().job_id(JOB).send()).await;
}

#[tokio::test]
async fn show_job_list_by_project_id() {
    let (s, c) = setup().await;
    let q = [("page_index", "1"), ("page_size", "10")];
    round_trip(&s, &SPEC, expect("ShowJobListByProjectId", &[PROJECT], &q), || {
        c.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(10).send()
    })
    .await;
}

#[tokio::test]
async fn run_job() {
    let (s, c) = setup().await;
    let body = SPEC.request_example("RunJob");
    let e = Expect { body: Some(body.clone()), ..expect("RunJob", &[], &[]) };
    round_trip(&s, &SPEC, e, || c.run_job().body(typed::<types::RunJobRequestBody>(&body)).send()).await;
}

#[tokio::test]
async fn show_last_history() {
    let (s, c) = setup().await;
    let q = [("repository_name", "maven-demo")];
    round_trip(&s, &SPEC, expect("ShowLastHistory", &[PROJECT], &q), || {
        c.show_last_history().project_id(PROJECT).repository_name("maven-demo").send()
    })
    .await;
}

#[tokio::test]
async fn show_history_details() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ShowHistoryDetails", &[JOB, "1"], &[]), || {
        c.show_history_details().job_id(JOB).build_number(1).send()
    })
    .await;
}

#[tokio::test]
async fn show_job_success_ratio() {
    let (s, c) = setup().await;
    let q = [("start_time", "2021-12-01"), ("end_time", "2021-12-01")];
    round_trip(&s, &SPEC, expect("ShowJobSuccessRatio", &[JOB], &q), || {
        c.show_job_success_ratio().job_id(JOB).start_time("2021-12-01").end_time("2021-12-01").send()
    })
    .await;
}

#[tokio::test]
async fn download_build_log() {
    let (s, c) = setup().await;
    download(&s, &SPEC, expect("DownloadBuildLog", &[RECORD], &[("log_level", "INFO")]), || {
        c.download_build_log().record_id(RECORD).log_level("INFO").send()
    })
    .await;
}

#[tokio::test]
async fn download_task_log() {
    let (s, c) = setup().await;
    let q = [("task_name", "Build with Maven"), ("log_level", "DEBUG")];
    download(&s, &SPEC, expect("DownloadTaskLog", &[RECORD], &q), || {
        c.download_task_log().record_id(RECORD).task_name("Build with Maven").log_level("DEBUG").send()
    })
    .await;
}

#[tokio::test]
async fn show_record_detail() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ShowRecordDetail", &[JOB, "61"], &[]), || {
        c.show_record_detail().job_id(JOB).build_no(61).send()
    })
    .await;
}

#[tokio::test]
async fn show_output_info() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ShowOutputInfo", &[JOB, "61"], &[]), || {
        c.show_output_info().job_id(JOB).build_no(61).send()
    })
    .await;
}

#[tokio::test]
async fn stop_build_job() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("StopBuildJob", &[JOB, "2"], &[]), || {
        c.stop_build_job().job_id(JOB).build_no(2).send()
    })
    .await;
}

#[tokio::test]
async fn delete_build_job() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("DeleteBuildJob", &[JOB], &[]), || c.delete_build_job().job_id(JOB).send()).await;
}

#[tokio::test]
async fn disable_build_job() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("DisableBuildJob", &[JOB], &[]), || c.disable_build_job().job_id(JOB).send()).await;
}

#[tokio::test]
async fn enable_build_job() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("EnableBuildJob", &[JOB], &[]), || c.enable_build_job().job_id(JOB).send()).await;
}

/// The reference prints no request example for 4.18/4.19; this body uses every table of them.
fn job_body(with_job_id: bool) -> Value {
    let mut body = json!({
        "arch": "x86-64",
        "project_id": PROJECT,
        "job_name": "maven-demo",
        "auto_update_sub_module": "false",
        "flavor": "2u8g",
        "host_type": "devcloud.cloudbuild.host.type.default",
        "build_config_type": "form",
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
        "steps": [{
            "module_id": "devcloud2018.codeci_action_20057.action",
            "name": "Build with Maven",
            "version": "",
            "enable": true,
            "properties": {"command": "mvn package -Dmaven.test.skip=true", "image": "maven3.5.3-jdk8-open", "cache": true}
        }]
    });
    if with_job_id {
        body["job_id"] = json!(JOB);
    }
    body
}

#[tokio::test]
async fn create_build_job() {
    let (s, c) = setup().await;
    let body = job_body(false);
    let e = Expect { body: Some(body.clone()), ..expect("CreateBuildJob", &[], &[]) };
    round_trip(&s, &SPEC, e, || c.create_build_job().body(typed::<types::CreateBuildJobRequestBody>(&body)).send())
        .await;
}

#[tokio::test]
async fn update_build_job() {
    let (s, c) = setup().await;
    let body = job_body(true);
    let e = Expect { body: Some(body.clone()), ..expect("UpdateBuildJob", &[], &[]) };
    round_trip(&s, &SPEC, e, || c.update_build_job().body(typed::<types::UpdateBuildJobRequestBody>(&body)).send())
        .await;
}

#[tokio::test]
async fn list_templates() {
    let (s, c) = setup().await;
    let q = [("name", "123"), ("page", "1"), ("page_size", "10")];
    round_trip(&s, &SPEC, expect("ListTemplates", &[], &q), || {
        c.list_templates().name("123").page("1").page_size("10").send()
    })
    .await;
}

#[tokio::test]
async fn create_templates() {
    let (s, c) = setup().await;
    // 4.21 prints no request example; this one uses every table of the body.
    let body = json!({
        "name": "maven-template",
        "description": "Maven build",
        "tool_type": "maven",
        "parameters": [{"name": "hudson.model.StringParameterDefinition", "params": [{"name": "name", "value": "codeBranch"}]}],
        "template": {"steps": [{
            "module_id": "devcloud2018.codeci_action_20057.action",
            "name": "Build with Maven",
            "version": "",
            "enable": true,
            "properties": {"command": "mvn package"}
        }]}
    });
    let e = Expect { body: Some(body.clone()), ..expect("CreateTemplates", &[], &[]) };
    round_trip(&s, &SPEC, e, || c.create_templates().body(typed::<types::CreateTemplatesRequestBody>(&body)).send())
        .await;
}

#[tokio::test]
async fn delete_templates() {
    let (s, c) = setup().await;
    const UUID: &str = "ca9c83214d6344b9bd26d14ba0b519d9";
    let uuid = UUID;
    // 4.22 prints "None" as its example response; this body follows Table 4-215.
    let response = json!({"status": "success", "result": [{"id": "1", "uuid": uuid, "name": "maven-template"}]});
    let e = Expect { response: Some(response), ..expect("DeleteTemplates", &[UUID], &[]) };
    round_trip(&s, &SPEC, e, || c.delete_templates().uuid(uuid).send()).await;
}

#[tokio::test]
async fn list_notice() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ListNotice", &[JOB], &[]), || c.list_notice().job_id(JOB).send()).await;
}

#[tokio::test]
async fn update_notice() {
    let (s, c) = setup().await;
    // 4.24 prints no request example.
    let body = json!({"notice_type": "email", "enabled_event_type_names": ["buildJobSuccess", "buildJobFailed"], "param_config": ""});
    let e = Expect { body: Some(body.clone()), ..expect("UpdateNotice", &[JOB], &[]) };
    round_trip(&s, &SPEC, e, || {
        c.update_notice().job_id(JOB).body(typed::<types::UpdateNoticeRequestBody>(&body)).send()
    })
    .await;
}

#[tokio::test]
async fn disable_notice() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("DisableNotice", &[JOB], &[("notice_type", "message")]), || {
        c.disable_notice().job_id(JOB).notice_type("message").send()
    })
    .await;
}

#[tokio::test]
async fn list_job_config() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ListJobConfig", &[JOB], &[("get_all_parameters", "true")]), || {
        c.list_job_config().job_id(JOB).get_all_parameters("true").send()
    })
    .await;
}

#[tokio::test]
#[allow(deprecated)]
async fn download_log_by_record_id() {
    let (s, c) = setup().await;
    download(&s, &SPEC, expect("DownloadLogByRecordId", &[RECORD], &[]), || {
        c.download_log_by_record_id().record_id(RECORD).send()
    })
    .await;
}

#[tokio::test]
#[allow(deprecated)]
async fn show_flow_graph() {
    let (s, c) = setup().await;
    let id = "2ab0e6a3-3e1a-4708-bb16-fff2b0999027";
    round_trip(&s, &SPEC, expect("ShowFlowGraph", &[id], &[]), || c.show_flow_graph().build_flow_record_id(id).send())
        .await;
}

#[tokio::test]
#[allow(deprecated)]
async fn show_record_info() {
    let (s, c) = setup().await;
    round_trip(&s, &SPEC, expect("ShowRecordInfo", &[JOB, "61"], &[]), || {
        c.show_record_info().job_id(JOB).build_no(61).send()
    })
    .await;
}

#[tokio::test]
#[allow(deprecated)]
async fn stop_job() {
    let (s, c) = setup().await;
    let body = SPEC.request_example("StopJob");
    let e = Expect { body: Some(body.clone()), ..expect("StopJob", &[], &[]) };
    round_trip(&s, &SPEC, e, || c.stop_job().body(typed::<types::StopJobRequestBody>(&body)).send()).await;
}
