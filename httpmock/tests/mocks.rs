//! The typed mocks against the SDK's own clients, one service at a time: the mock matches what the
//! client sends (method, path, parameters, JSON body) and the client decodes what the mock answers.

use codearts::credentials::Credentials;
use codearts::region::Service;
use codearts::{CallExt, Config};
use httpmock::MockServer;

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";

fn config(server: &MockServer) -> Config {
    Service::ALL
        .iter()
        .fold(Config::builder(), |b, s| b.endpoint(*s, server.base_url()))
        .credentials(Credentials::token("mock-token"))
        .iam_project_id("a4a5d4098fb4474fa22cd05f897d6b99")
        .retry(codearts::retry::RetryPolicy::none())
        .build()
        .unwrap()
}

#[cfg(feature = "build")]
#[tokio::test]
async fn build_mocks_match_the_call_and_answer_typed_bodies() {
    use codearts::build::{Client, types};
    use codearts_httpmock::build::MockServerExt;

    let server = MockServer::start_async().await;
    let job = "f9d6c8466d614a9788e9a0acf6c15f46";
    let status = server.show_job_status(|when, then| {
        when.job_id(job);
        then.ok(&types::ShowJobStatusResponse::builder().result(true).try_into().unwrap());
    });
    let client = Client::from_config(&config(&server)).unwrap();
    assert_eq!(client.show_job_status().job_id(job).call().await.unwrap().result, Some(true));
    status.assert_calls(1);

    // A different job is not matched by that mock: httpmock answers 404 and the client says so.
    let other = "0123456789abcdef0123456789abcdef";
    let error = client.show_job_status().job_id(other).call().await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    status.assert_calls(1);

    // The typed error answers decode into the service-aware error.
    let missing = server.show_job_status(|when, then| {
        when.job_id(other);
        then.not_found(
            &types::ErrorResponse::builder()
                .error_code("CB.00060214".to_string())
                .error_msg("The job does not exist.".to_string())
                .try_into()
                .unwrap(),
        );
    });
    let error = client.show_job_status().job_id(other).call().await.unwrap_err();
    assert_eq!(error.code(), Some("CB.00060214"));
    assert!(error.is_not_found());
    missing.assert();
}

#[cfg(feature = "check")]
#[tokio::test]
async fn check_mocks_match_the_request_body() {
    use codearts::check::{Client, types};
    use codearts_httpmock::check::MockServerExt;

    let server = MockServer::start_async().await;
    let task = "2b31ed520xxxxxxebedb6e57xxxxxxxx";
    let body: types::RunRequestV2 = types::RunRequestV2::builder().git_branch("main".to_string()).try_into().unwrap();
    let run = server.run_task(|when, then| {
        when.task_id(task).body(&body);
        then.ok(&types::RunTaskInfoV2::builder().exec_id("exec-1".to_string()).try_into().unwrap());
    });
    let client = Client::from_config(&config(&server)).unwrap();
    let started = client.run_task().task_id(task).body(body.clone()).call().await.unwrap();
    assert_eq!(started.exec_id.as_deref(), Some("exec-1"));
    run.assert();

    // Another body does not match.
    let other = types::RunRequestV2::builder().git_branch("dev".to_string());
    assert!(client.run_task().task_id(task).body(other).call().await.is_err());
    run.assert_calls(1);
}

#[cfg(feature = "pipeline")]
#[tokio::test]
async fn pipeline_mocks_cover_post_for_read() {
    use codearts::pipeline::{Client, types};
    use codearts_httpmock::pipeline::MockServerExt;

    let server = MockServer::start_async().await;
    let query: types::ListPipelineQuery = types::ListPipelineQuery::builder().limit(10).offset(0).try_into().unwrap();
    let page = types::ListPipelinesPage::builder()
        .total(1)
        .pipelines(vec![
            types::ListPipelinesPagePipelines::builder()
                .pipeline_id("1f4e3e2bd5ab4ee6b3f1e9c0d8e7a6b5".to_string())
                .name("deploy".to_string())
                .try_into()
                .unwrap(),
        ])
        .try_into()
        .unwrap();
    let list = server.list_pipelines(|when, then| {
        when.project_id(PROJECT).body(&query);
        then.ok(&page);
    });
    let client = Client::from_config(&config(&server)).unwrap();
    let answer = client.list_pipelines().project_id(PROJECT).body(query.clone()).call().await.unwrap();
    assert_eq!(answer.total, Some(1));
    assert_eq!(answer.pipelines[0].name.as_deref(), Some("deploy"));
    list.assert();
}
