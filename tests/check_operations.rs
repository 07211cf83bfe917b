//! The CodeArts Check operation against a recording loopback server (the second service proves the
//! multi-service layout: its own spec, generated module, examples and errata).

mod support;

use codearts::check::{Client, types};
use support::harness::{Expect, Spec, round_trip};
use support::mock::MockServer;

#[tokio::test]
async fn run_task() {
    let spec = Spec::load("codearts-check.yaml");
    let server = MockServer::start().await;
    let config = codearts::Config::builder().endpoint(codearts::region::Service::Check, &server.base).build().unwrap();
    let client = Client::from_config(&config).unwrap();
    let task = "2b31ed520xxxxxxebedb6e57xxxxxxxx";
    let body = spec.request_example("RunTask");
    let typed: types::RunTaskRequestBody = serde_json::from_value(body.clone()).unwrap();
    let expect = Expect { op: "RunTask", path_params: &[task], query: &[], body: Some(body), response: None };
    round_trip(&server, &spec, expect, || client.run_task().task_id(task).body(typed.clone()).send()).await;
}

#[tokio::test]
async fn services_are_separate_modules() {
    // The same error schema name in two specs yields two distinct types, one per service.
    let build = codearts::build::types::ErrorResponse { error_code: Some("CB.00060200".into()), error_msg: None };
    let check = codearts::check::types::ErrorResponse { error_code: Some("CC.00000000".into()), error_msg: None };
    assert_ne!(serde_json::to_value(build).unwrap(), serde_json::to_value(check).unwrap());
}
