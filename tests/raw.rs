//! `codearts::raw`: any path, authenticated like the generated calls, with the matched operation's
//! retry rules; a path can never leave the service's endpoint.

#![cfg(feature = "build")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use codearts::build::Client;
use codearts::raw::{RawRequest, send};
use codearts::region::Service;
use codearts::retry::RetryPolicy;
use codearts::{CallExt, Config, ErrorKind};
use codearts_emulator::Emulator;
use serde_json::{Value, json};
use support::RecordingSleep;
use support::mock::MockServer;

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";

fn recording_client(base: &str) -> Client {
    let policy = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
        total_budget: Duration::from_secs(10),
    };
    let config = Config::builder()
        .endpoint(Service::Build, base)
        .retry(policy)
        .sleep(Arc::new(RecordingSleep::default()))
        .credentials(codearts::credentials::Credentials::token("raw-token"))
        .build()
        .unwrap();
    Client::from_config(&config).unwrap()
}

#[tokio::test]
async fn raw_calls_reach_the_emulator_with_the_clients_credentials() {
    let emulator = Emulator::builder().start().await.unwrap();
    for (n, credentials) in [emulator.password_credentials(), emulator.aksk_credentials()].into_iter().enumerate() {
        let config = emulator.config_builder().credentials(credentials).build().unwrap();
        let client = Client::from_config(&config).unwrap();
        let jobs = send(&client, RawRequest::new("GET", format!("/v3/{PROJECT}/jobs?page_index=1&page_size=10")))
            .await
            .unwrap();
        assert_eq!(jobs.status, 200);
        assert_eq!(jobs.operation, Some("ShowJobListByProjectId"));
        let body: Value = serde_json::from_slice(&jobs.body).unwrap();
        assert_eq!(body["total"], 0);

        // A body, signed with it: a job created raw is visible to the typed client.
        let name = format!("raw-{n}");
        let create = json!({"project_id": PROJECT, "job_name": name, "steps": [], "parameters": [],
            "scms": [{"url": "git@example.com:demo/raw.git", "scm_type": "codehub", "branch": "master",
                      "repo_id": "1", "web_url": "https://example.com/demo/raw"}],
            "arch": "x86-64", "auto_update_sub_module": "false", "flavor": "2u8g",
            "host_type": "devcloud.cloudbuild.host.type.default", "build_config_type": "yaml"});
        let created = send(&client, RawRequest::new("POST", "/v3/jobs/create").json(&create)).await.unwrap();
        let id =
            serde_json::from_slice::<Value>(&created.body).unwrap()["result"]["job_id"].as_str().unwrap().to_string();
        assert!(client.show_job_status().job_id(&id).call().await.is_ok());
        send(&client, RawRequest::new("DELETE", format!("/v3/jobs/{id}/delete"))).await.unwrap_err();
        send(&client, RawRequest::new("POST", format!("/v3/jobs/{id}/delete"))).await.unwrap();
    }
}

#[tokio::test]
async fn error_statuses_are_typed_errors() {
    let emulator = Emulator::builder().start().await.unwrap();
    let config = emulator.config_builder().credentials(emulator.password_credentials()).build().unwrap();
    let client = Client::from_config(&config).unwrap();
    let missing =
        send(&client, RawRequest::new("GET", "/v3/jobs/ffffffffffffffffffffffffffffffff/status")).await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert_eq!(missing.code(), Some("CB.00060214"));
    assert_eq!(missing.operation(), Some("ShowJobStatus"));
    let nowhere = send(&client, RawRequest::new("GET", "/v9/nothing/here")).await.unwrap_err();
    assert_eq!(nowhere.status(), Some(404));
    assert_eq!(nowhere.operation(), Some("raw request"));
}

#[tokio::test]
async fn a_path_never_leaves_the_endpoint() {
    let server = MockServer::start().await;
    let client = recording_client(&server.base);
    for path in ["//evil.example/x", "http://evil.example/x", "relative/path"] {
        let e = send(&client, RawRequest::new("GET", path)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{path}: {e}");
    }
    assert!(server.take_requests().is_empty(), "nothing was sent");
    // Dot segments and an `@` stay within the endpoint: the request reaches this server.
    server.respond_json(200, &json!({}));
    send(&client, RawRequest::new("GET", "/../../x@evil.example")).await.unwrap();
    let sent = server.take_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/x@evil.example");
    assert!(send(&client, RawRequest::new("NOT A METHOD", "/x")).await.is_err());
}

#[tokio::test]
async fn the_matched_operations_retry_rules_apply() {
    let server = MockServer::start().await;
    let client = recording_client(&server.base);
    let busy = json!({"error_code": "APIGW.0308", "error_msg": "busy"});

    // A read is retried on 503, up to the policy's attempts.
    server.respond_json(503, &busy);
    let status = send(&client, RawRequest::new("GET", "/v3/jobs/f9d6c8466d614a9788e9a0acf6c15f46/status")).await;
    assert_eq!(status.unwrap_err().attempts(), 3);
    assert_eq!(server.take_requests().len(), 3);
    server.respond_json(200, &json!({"result": true}));
    let status = send(&client, RawRequest::new("GET", "/v3/jobs/f9d6c8466d614a9788e9a0acf6c15f46/status")).await;
    assert_eq!(status.unwrap().operation, Some("ShowJobStatus"));
    assert_eq!(server.take_requests().len(), 1);

    // RunJob (it starts a build) is sent once.
    server.respond_json(503, &busy);
    let run = send(
        &client,
        RawRequest::new("POST", "/v3/jobs/build").json(&json!({"job_id": "f9d6c8466d614a9788e9a0acf6c15f46"})),
    )
    .await
    .unwrap_err();
    assert_eq!(run.status(), Some(503));
    assert_eq!(run.attempts(), 1);
    let sent = server.take_requests();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].headers["content-type"].to_str().unwrap().starts_with("application/json"));

    // A path no operation declares is sent once.
    server.respond_json(503, &busy);
    assert!(send(&client, RawRequest::new("GET", "/v9/unknown")).await.is_err());
    assert_eq!(server.take_requests().len(), 1);
}
