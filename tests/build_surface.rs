//! The full CodeArts Build surface through the SDK against the emulator: the v1 and v3 APIs as one
//! job, copies, the recycle bin, keystore uploads (AK/SK-signed multipart) and downloads, records and
//! stages consistent with the builds run, and the real-time log read piece by piece. Plus the rule
//! that lets other tools bundle the specs: every `externalValue` is a JSON document.

#![cfg(feature = "build")]

use std::time::Duration;

use codearts::build::{Client, types};
use codearts::multipart::Form;
use codearts::{CallExt, Error};
use codearts_emulator::{DEFAULT_KEYSTORE, Emulator, ManualClock, RunningEmulator};
use serde_json::{Value, json};

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const STEP: Duration = Duration::from_secs(10);

struct Env {
    _emulator: RunningEmulator,
    clock: ManualClock,
    client: Client,
}

impl Env {
    /// An emulator on a manual clock at noon today, and a client signing with AK/SK.
    async fn new() -> Env {
        let noon = time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap());
        let clock = ManualClock::new(noon.into());
        let emulator = Emulator::builder().step_duration(STEP).clock(clock.clone()).start().await.unwrap();
        let config = emulator.config_builder().credentials(emulator.aksk_credentials()).build().unwrap();
        let client = Client::from_config(&config).unwrap();
        Env { _emulator: emulator, clock, client }
    }

    fn advance(&self, steps: u32) {
        self.clock.advance(STEP * steps);
    }

    fn today(&self) -> String {
        let now = time::OffsetDateTime::from(self.clock.now());
        format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
    }
}

/// A job body (v1 and v3 take the same fields) with string-valued step settings.
fn job(name: &str, steps: &[&str]) -> Value {
    json!({
        "arch": "x86-64", "project_id": PROJECT, "job_name": name, "flavor": "2u8g", "host_type": "devcloud",
        "build_config_type": "ACTION", "auto_update_sub_module": "false",
        "parameters": [{"name": "hudson.model.StringParameterDefinition", "params": [
            {"name": "name", "value": "releaseVersion"}, {"name": "defaults", "value": "1.0.0"}]}],
        "scms": [{"url": "git@example.com:demo/maven-demo.git", "scm_type": "codehub", "branch": "master",
            "repo_id": "2111699211", "web_url": "https://example.com/demo/maven-demo", "enable_git_lfs": false}],
        "steps": steps.iter().map(|s| json!({"module_id": "devcloud2018.codeci_action_20043.action", "name": s,
            "enable": true, "version": "1.0", "properties": {"command": format!("echo {s}"), "cache": true}})).collect::<Vec<_>>(),
    })
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("the body fits the spec")
}

fn code(e: &Error) -> String {
    e.code().unwrap_or_default().to_string()
}

#[tokio::test]
async fn v1_and_v3_are_views_of_one_job() {
    let env = Env::new().await;
    let mut v1 = job("one-job", &["Build with Maven"]);
    v1["timeout"] = json!({"limit": "2", "unit": "hour"});
    v1["triggers"] = json!([{"name": "nightly", "parameters": [{"name": "cron", "value": "0 2 * * *"}]}]);
    v1["build_if_code_updated"] = json!(true);
    let created =
        env.client.create_new_job().body(body::<types::V1CreateBuildJobRequestBody>(v1)).call().await.unwrap();
    let id = created.result.unwrap().job_id.unwrap();

    // Read through v3: the same configuration, the v1-only fields included.
    let v3 = env.client.list_job_config().job_id(&id).call().await.unwrap().result.unwrap();
    assert_eq!(v3.job_name.as_deref(), Some("one-job"));
    assert_eq!(v3.timeout.as_ref().and_then(|t| t.unit.as_deref()), Some("hour"));
    assert_eq!(v3.triggers[0].name, "nightly");
    assert_eq!(v3.build_if_code_updated, Some(true));
    let step = &v3.steps.as_ref().unwrap()[0];
    assert_eq!(step.properties.get("command"), Some(&json!("echo Build with Maven")));

    // Change it through v3, read it through v1.
    let mut update = job("one-job", &["Build with Maven", "Package"]);
    update["job_id"] = json!(id);
    env.client.update_build_job().body(body::<types::UpdateBuildJobRequestBody>(update)).call().await.unwrap();
    let config = env.client.show_job_config().job_id(&id).call().await.unwrap().result.unwrap();
    let steps = config.steps.unwrap();
    let names: Vec<_> = steps.iter().map(|s| s.name.clone().unwrap()).collect();
    assert_eq!(names, ["Build with Maven", "Package"]);
    assert_eq!(steps[1].properties.get("cache"), Some(&json!(true)), "non-object settings round-trip");
    assert!(config.timeout.is_none(), "a full update replaces the configuration");

    // Both changes are in the history; the diff names the added step.
    let history = env.client.list_update_job_history().job_id(&id).call().await.unwrap().result.unwrap();
    assert_eq!(history.total, Some(2));
    let diff = env.client.show_job_config_diff().job_id(&id).original_no("1").revisedl_no("2").call().await.unwrap();
    let diff = diff.result.unwrap();
    assert!(diff.lines().any(|l| l.starts_with('+') && l.contains("Package")), "{diff}");
    assert!(diff.lines().any(|l| l.starts_with('-') && l.contains("nightly")), "{diff}");

    // A v1 build is a v4 record; disabling through v1 stops v3 runs.
    let run =
        env.client.execute_job().body(body::<types::RunJobRequestBody>(json!({"job_id": id}))).call().await.unwrap();
    assert_eq!(run.actual_build_number.as_deref(), Some("1"));
    let record = env.client.show_record_detail().job_id(&id).build_no(1).call().await.unwrap().result.unwrap();
    assert_eq!(record.status.as_deref(), Some("QUEUED"));
    let disable = body::<types::DisableTheJobRequestBody>(json!({"disabled": true, "reason": "release freeze"}));
    env.client.disable_the_job().job_id(&id).body(disable).call().await.unwrap();
    let refused = env.client.run_job().body_map(|b| b.job_id(&id)).call().await.unwrap_err();
    assert_eq!(code(&refused), "CB.00060200");
    let why = env.client.show_disable().job_id(&id).call().await.unwrap().result.unwrap();
    assert_eq!((why.disabled, why.reson.as_deref()), (Some(1), Some("release freeze")));

    // Favourites show in the v3 list.
    env.client.add_favourite_task().job_id(&id).call().await.unwrap();
    let list = env.client.show_job_list_by_project_id().project_id(PROJECT).page_index(1).page_size(10).call().await;
    assert_eq!(list.unwrap().jobs[0].favorite, Some(true));
}

#[tokio::test]
async fn a_copy_takes_what_its_body_leaves_out_from_the_source() {
    let env = Env::new().await;
    let created = env
        .client
        .create_build_job()
        .body(body::<types::CreateBuildJobRequestBody>(job("source", &["Build"])))
        .call()
        .await;
    let source = created.unwrap().result.unwrap().job_id.unwrap();
    let notice = body::<types::UpdateNoticeRequestBody>(
        json!({"notice_type": "email", "enabled_event_type_names": ["buildJobSuccess"]}),
    );
    env.client.update_notice().job_id(&source).body(notice).call().await.unwrap();

    let name = env.client.show_copy_name().job_id(&source).call().await.unwrap().result.unwrap();
    assert_eq!(name, "source-copy");
    let mut copy = job(&name, &["Build", "Extra step"]);
    copy["copy_job_id"] = json!(source);
    copy.as_object_mut().unwrap().remove("parameters");
    let copied = env.client.copy_job().body(body::<types::CopyBuildJobRequestBody>(copy.clone())).call().await.unwrap();
    let copy_id = copied.result.unwrap().job_id.unwrap();
    assert_ne!(copy_id, source);
    let config = env.client.list_job_config().job_id(&copy_id).call().await.unwrap().result.unwrap();
    assert_eq!(config.steps.unwrap().len(), 2, "the body's steps");
    assert_eq!(config.parameters.len(), 1, "the source's parameters");
    let notices = env.client.list_notice().job_id(&copy_id).call().await.unwrap().result;
    let mail = notices.iter().find(|n| n.notice_type.as_deref() == Some("MAIL")).unwrap();
    assert_eq!(mail.enable_map.get("buildJobSuccess"), Some(&true), "the source's notifications");
    assert_eq!(env.client.show_copy_name().job_id(&source).call().await.unwrap().result.unwrap(), "source-copy-1");

    // Copying again under a taken name, or from a job that does not exist.
    let again =
        env.client.copy_job().body(body::<types::CopyBuildJobRequestBody>(copy.clone())).call().await.unwrap_err();
    assert_eq!(code(&again), "CB.00060200");
    copy["copy_job_id"] = json!("ffffffffffffffffffffffffffffffff");
    copy["job_name"] = json!("other");
    let missing = env.client.copy_job().body(body::<types::CopyBuildJobRequestBody>(copy)).call().await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn the_recycle_bin_keeps_deleted_jobs_until_restored_purged_or_expired() {
    let env = Env::new().await;
    let create = |name: &str| {
        let b = body::<types::CreateBuildJobRequestBody>(job(name, &["Build"]));
        let client = env.client.clone();
        async move { client.create_build_job().body(b).call().await.unwrap().result.unwrap().job_id.unwrap() }
    };
    let (a, b) = (create("a").await, create("b").await);
    env.client.run_job().body_map(|x| x.job_id(&a)).call().await.unwrap();
    env.client.delete_build_job().job_id(&a).call().await.unwrap();
    env.client.delete_the_job().job_id(&b).call().await.unwrap();
    assert!(env.client.show_job_status().job_id(&a).call().await.unwrap_err().is_not_found());
    let bin = env.client.list_recycling_job().call().await.unwrap().result.unwrap();
    let ids: Vec<_> = bin.job_list.iter().map(|j| j.job_id.clone().unwrap()).collect();
    assert_eq!(ids, [b.clone(), a.clone()], "latest deletion first");
    assert_eq!(bin.keep_time, Some(30));

    // A restore brings the job back with its build; a reused name blocks it.
    let reuse = create("a").await;
    let jobs = |ids: &[&str]| body::<types::JobsRequestBody>(json!({"job_ids": ids}));
    let blocked = env.client.restore_recycling_jobs().body(jobs(&[&a])).call().await.unwrap_err();
    assert_eq!(code(&blocked), "CB.00060200");
    env.client.delete_build_job().job_id(&reuse).call().await.unwrap();
    env.client.delete_recycling_jobs().body(jobs(&[&reuse])).call().await.unwrap();
    env.client.restore_recycling_jobs().body(jobs(&[&a])).call().await.unwrap();
    let record = env.client.show_record_detail().job_id(&a).build_no(1).call().await.unwrap();
    assert_eq!(record.result.unwrap().codeci_job_id.as_deref(), Some(a.as_str()));
    let unknown = env.client.restore_recycling_jobs().body(jobs(&[&a])).call().await.unwrap_err();
    assert!(unknown.is_not_found(), "no longer in the bin: {unknown}");

    // The keep time: a day later, with one day kept, the bin is empty.
    env.client
        .set_keep_time()
        .body(body::<types::SetKeepTimeRequestBody>(json!({"keep_time": 1})))
        .call()
        .await
        .unwrap();
    let refused =
        env.client.set_keep_time().body(body::<types::SetKeepTimeRequestBody>(json!({"keep_time": 31}))).call().await;
    assert_eq!(code(&refused.unwrap_err()), "CB.00060200");
    assert_eq!(env.client.list_recycling_job().call().await.unwrap().result.unwrap().total, Some(1));
    env.clock.advance(Duration::from_secs(86_400 + 1));
    assert_eq!(env.client.list_recycling_job().call().await.unwrap().result.unwrap().total, Some(0));

    // Clear empties what is left.
    env.client.delete_the_job().job_id(&a).call().await.unwrap();
    env.client.clear_recycling_jobs().call().await.unwrap();
    assert_eq!(env.client.list_recycling_job().call().await.unwrap().result.unwrap().total, Some(0));
}

#[tokio::test]
async fn uploaded_keystore_bytes_come_back_on_download() {
    let env = Env::new().await;
    let bytes: Vec<u8> = (0..=255u8).rev().cycle().take(5000).collect();
    let form =
        Form::new().file("file", "release.jks", bytes.clone()).text("privacy", "true").text("description", "signing");
    let uploaded = env.client.upload_keystore().form(form).call().await.unwrap();
    let id = uploaded.result.unwrap().keystore_id.unwrap();

    let names = env.client.list_keystore().call().await.unwrap().result;
    let names: Vec<_> = names.iter().map(|k| k.keystore_name.clone().unwrap()).collect();
    assert_eq!(names, [DEFAULT_KEYSTORE, "release.jks"]);
    let listed = env.client.list_keystore_search().search("release").call().await.unwrap().result.unwrap();
    let entry = serde_json::to_value(&listed.keystore_list[0]).unwrap();
    let domain = entry["domain_id"].as_str().unwrap().to_string();

    let collect = |s: codearts::build::ByteStream| async move {
        use futures::StreamExt;
        let mut out = Vec::new();
        let mut s = s.into_inner();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    };
    let stream = env.client.download_keystore_by_name().name("release.jks").domain_id(&domain).id(&id).call().await;
    assert_eq!(collect(stream.unwrap()).await, bytes);
    let v3 = env.client.download_keystore().file_name("release.jks").domain_id(&domain).call().await.unwrap();
    assert_eq!(collect(v3).await, bytes, "the v3 download serves uploaded files too");

    // Renamed, it downloads under its new name only; deleted, it is gone.
    let update = json!({"id": id, "keystore_name": "release-2024.jks", "description": "", "share": 0});
    env.client.update_keystore().id(&id).body(body::<types::UpdateKeystoreRequestBody>(update)).call().await.unwrap();
    let old = env.client.download_keystore_by_name().name("release.jks").domain_id(&domain).id(&id).call().await;
    assert!(old.err().is_some_and(|e| e.is_not_found()));
    env.client.delete_keystore().keystore_id(&id).call().await.unwrap();
    let gone = env.client.download_keystore_by_name().name("release-2024.jks").domain_id(&domain).id(&id).call().await;
    assert!(gone.err().is_some_and(|e| e.is_not_found()));

    // Refused uploads, in Build's codes.
    let upload = |name: &str, data: &[u8]| {
        let form = Form::new().file("file", name.to_string(), data.to_vec()).text("privacy", "true");
        let client = env.client.clone();
        async move { client.upload_keystore().form(form).call().await.unwrap_err() }
    };
    assert_eq!(code(&upload("empty.jks", b"").await), "CB.00060212");
    assert_eq!(code(&upload("notes.txt", b"x").await), "CB.00060203");
    assert_eq!(code(&upload("big.jks", &vec![1; 200 * 1024]).await), "CB.00060200");
    assert_eq!(code(&upload(DEFAULT_KEYSTORE, b"x").await), "CB.00060200", "names are unique");
}

#[tokio::test]
async fn records_and_stages_follow_the_builds_run() {
    let env = Env::new().await;
    let b = body::<types::CreateBuildJobRequestBody>(job("staged", &["Compile", "Unit tests"]));
    let id = env.client.create_build_job().body(b).call().await.unwrap().result.unwrap().job_id.unwrap();
    let run = |fail: bool| {
        let client = env.client.clone();
        let id = id.clone();
        async move {
            let p = if fail { vec![types::RunJobParameterItem::new("fail", "Compile")] } else { vec![] };
            client.run_job().body_map(|b| b.job_id(&id).parameter(p)).call().await.unwrap()
        }
    };
    run(false).await;
    env.advance(2); // queued one step, then checkout
    let record = env.client.show_record_detail().job_id(&id).build_no(1).call().await.unwrap().result.unwrap();
    let record_id = record.build_record_id.unwrap();
    let stages = env.client.show_build_record_full_stages().record_id(&record_id).call().await.unwrap();
    let stages = stages.result.unwrap().build_stages;
    let status = |k: &str| stages[k].status.clone().unwrap();
    assert_eq!(
        (status("stage1"), status("stage2"), status("stage3")),
        ("SUCCESS".into(), "RUNNING".into(), "PENDING".into())
    );
    env.advance(3);
    run(true).await;
    env.advance(10);

    let v1 = env.client.show_build_record().record_id(&record_id).call().await.unwrap().result.unwrap();
    assert_eq!((v1.status.as_deref(), v1.build_no.as_deref()), (Some("SUCCESS"), Some("1")));
    let failed = env.client.show_job_build_record_detail().job_id(&id).build_no(2).call().await.unwrap();
    let failed = failed.result.unwrap();
    assert_eq!(failed.status.as_deref(), Some("FAILURE"));
    let stages = env.client.show_build_record_full_stages().record_id(failed.build_record_id.as_ref().unwrap()).call();
    let stages = stages.await.unwrap().result.unwrap().build_stages;
    let statuses: Vec<_> = (1..=3).map(|i| stages[&format!("stage{i}")].status.clone().unwrap()).collect();
    assert_eq!(statuses, ["SUCCESS", "FAILURE", "SKIPPED"]);

    // The lists agree with ShowListHistory: two builds, newest first.
    let day = env.today();
    let (from, to) = (format!("{day} 00:00:00"), format!("{day} 23:59:59"));
    let info = env.client.list_build_info_record().job_id(&id).start_time(&from).end_time(&to).call().await.unwrap();
    let states: Vec<_> = info.result.unwrap().job_build_states.iter().map(|s| s.state.clone().unwrap()).collect();
    assert_eq!(states, ["FAILURE", "SUCCESS"]);
    let project = record.build_project_id.unwrap();
    let records = env.client.list_records().build_project_id(&project).call().await.unwrap().result.unwrap();
    assert_eq!(records.data.len(), 2);
    // A list parameter goes as one comma-separated value (style form, explode false).
    let branches = |b: &[&str]| {
        let client = env.client.clone();
        let (project, b): (String, Vec<String>) = (project.clone(), b.iter().map(|s| s.to_string()).collect());
        async move { client.list_records().build_project_id(&project).branches(b).call().await.unwrap().result.unwrap() }
    };
    assert_eq!(branches(&["dev", "master"]).await.data.len(), 2);
    assert_eq!(branches(&["dev", "release"]).await.data.len(), 0);
    let total = env.client.show_job_total().build_project_id(&project).call().await.unwrap().result.unwrap();
    assert_eq!(total.total, Some(2));
    let brief = env.client.list_brief_record().limit(1).body(vec![project.clone()]).call().await.unwrap();
    assert_eq!(brief.result[0].brief_build_record_dtos.len(), 1);
    // The unit-test step's report: 10 tests, all passed in build 1.
    let report = env.client.show_report_summary().job_id(&id).build_no(1).call().await.unwrap().result.unwrap();
    assert_eq!(report.summary.unwrap().failures, Some(0));
    let no_tests = env.client.show_report_summary().job_id(&id).build_no(2).call().await.unwrap_err();
    assert!(no_tests.is_not_found(), "build 2 failed before its tests");
}

#[tokio::test]
async fn the_real_time_log_returns_what_the_build_has_written() {
    let env = Env::new().await;
    let b = body::<types::CreateBuildJobRequestBody>(job("tail-€", &["Compile", "Package"]));
    let id = env.client.create_build_job().body(b).call().await.unwrap().result.unwrap().job_id.unwrap();
    env.client.run_job().body_map(|b| b.job_id(&id)).call().await.unwrap();

    // Read from the offset given back, in small pieces, while the clock moves.
    let mut text = String::new();
    let mut offset = 0i64;
    for _ in 0..200 {
        let piece = env.client.download_real_time_log().job_id(&id).build_no(1).offset(offset).length(64).call().await;
        let piece = piece.unwrap().result.unwrap();
        assert_eq!(piece.offset, Some(offset));
        text.push_str(piece.content.as_deref().unwrap_or_default());
        offset = piece.current_offset.unwrap();
        if piece.has_more_data == Some(false) {
            break;
        }
        if piece.content.as_deref().is_none_or(str::is_empty) {
            env.clock.advance(STEP / 4);
        }
    }
    assert!(text.ends_with("Finished: SUCCESS\n"), "{text}");
    let record = env.client.show_record_detail().job_id(&id).build_no(1).call().await.unwrap().result.unwrap();
    let mut full = Vec::new();
    codearts::logs::download_build_log(&env.client, record.build_record_id.as_ref().unwrap(), &mut full).await.unwrap();
    assert_eq!(text.as_bytes(), full, "the pieces are the log, every byte once");

    // The v1 reads give the same bytes.
    let v1 =
        env.client.download_build_real_time_log().job_id(&id).build_no(1).start_offset(0).end_offset(0).size("100000");
    let v1 = v1.call().await.unwrap().result.unwrap();
    assert_eq!(v1.log.as_deref(), Some(text.as_str()));
    assert_eq!(v1.has_more, Some(false));
    let bad = env.client.download_real_time_log().job_id(&id).build_no(9).offset(0).call().await.unwrap_err();
    assert!(bad.is_not_found());
}

/// Every `externalValue` of every spec resolves to a file holding a JSON document, so that
/// third-party bundlers and generators can read the specs (`scripts/bundle-specs.sh` runs one).
#[test]
fn every_external_value_is_a_json_document() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let mut checked = 0;
    for name in ["codearts-build.yaml", "codearts-check.yaml", "codearts-pipeline.yaml"] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        for line in text.lines() {
            let Some(file) = line.trim().strip_prefix("externalValue:") else { continue };
            let path = root.join(file.trim());
            let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {}: {e}", path.display()));
            if let Err(e) = serde_json::from_str::<Value>(&doc) {
                panic!("{name}: {} is not JSON: {e}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} examples found");
}
