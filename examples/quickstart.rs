//! The main job, end to end: run a build job, check its status, read its record and history, and
//! stream its log to stdout.
//!
//! Until the CodeArts Build emulator exists (see the issues), this example starts its own loopback
//! stand-in that answers with the vendor reference's documented examples, so it runs with no cloud
//! account and no network. With credentials in the environment or the profile file (see
//! `codearts::credentials`) and `CODEARTS_JOB_ID` set, the same calls go to the real region.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use axum::Router;
use axum::extract::Path;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use codearts::build::{Client, types};
use codearts::region::Service;
use codearts::{CallExt, Config};
use futures::StreamExt;
use std::io::Write;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // With credentials in the environment (or ~/.huaweicloud/credentials) and CODEARTS_JOB_ID set,
    // the same calls go to the real region; otherwise to a local stand-in.
    let real = match (std::env::var("CODEARTS_JOB_ID"), Config::from_env()) {
        (Ok(job), Ok(config)) => Some((job, config)),
        _ => None,
    };
    let (job_id, config) = match real {
        Some(real) => real,
        None => {
            let endpoint = start_stand_in().await?;
            println!("No credentials and CODEARTS_JOB_ID: using a local stand-in at {endpoint} that answers with");
            println!("the vendor reference's documented examples (a mock, not the real service).\n");
            let config = Config::builder().endpoint(Service::Build, endpoint).build()?;
            ("f9d6c8466d614a9788e9a0acf6c15f46".to_string(), config)
        }
    };
    let client = Client::from_config(&config)?;

    // 4.6 RunJob: start a build. The body is typed; unknown fields are impossible to misspell.
    let run = client
        .run_job()
        .body(types::RunJobRequestBody {
            job_id: job_id.clone(),
            parameter: vec![types::RunJobParameterItem { name: "releaseVersion".into(), value: "1.0.0".into() }],
            scm: None,
        })
        .call()
        .await?;
    let build_no: i32 = run.actual_build_number.as_deref().unwrap_or("1").parse()?;
    println!("1. run_job            -> octopus job {:?}, build #{build_no}", run.octopus_job_name);

    // 4.4 ShowJobStatus: is the job running?
    let status = client.show_job_status().job_id(&job_id).call().await?;
    println!("2. show_job_status    -> running: {:?}", status.result);

    // 4.12 ShowRecordDetail: the build record.
    let record = client.show_record_detail().job_id(&job_id).build_no(build_no).call().await?;
    let detail = record.result.unwrap_or_default();
    println!("3. show_record_detail -> record {:?}, status {:?}, branch {:?}", detail.id, detail.status, detail.branch);

    // 4.2 ShowListHistory: recent builds of the job.
    let history = client.show_list_history().job_id(&job_id).offset(0).limit(10).interval(7).call().await?;
    println!("4. show_list_history  -> {:?} builds in the last 7 days", history.total);
    for h in &history.history_records {
        println!("     #{:?} {:?} from {:?} to {:?}", h.build_number, h.result, h.start_time, h.end_time);
    }

    // 4.10 DownloadBuildLog: stream the full log, chunk by chunk, without holding it in memory.
    let record_id = detail.build_record_id.or(detail.id).unwrap_or_else(|| "unknown".into());
    let log = client.download_build_log().record_id(&record_id).call().await?;
    println!("5. download_build_log -> streaming the log of record {record_id}:");
    let mut stream = log.into_inner();
    let mut stdout = std::io::stdout().lock();
    let mut bytes = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        stdout.write_all(&chunk)?;
    }
    println!("   ({bytes} bytes)\n\nDone: 5 operations of CodeArts Build called through the generated client.");
    Ok(())
}

/// A loopback stand-in for CodeArts Build answering with the reference's examples.
async fn start_stand_in() -> std::io::Result<String> {
    fn example(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/examples/build").join(name);
        std::fs::read_to_string(path).expect("the spec's examples ship with the crate")
    }
    fn json(body: String) -> ([(axum::http::HeaderName, &'static str); 1], String) {
        ([(CONTENT_TYPE, "application/json")], body)
    }
    // 4.2's example prints one record where the table says a list (erratum 4.2-history_records-shape).
    let history = {
        let mut v: serde_json::Value = serde_json::from_str(&example("4.2-ShowListHistory.response.json")).unwrap();
        let record = v["history_records"].take();
        v["history_records"] = serde_json::json!([record]);
        v.to_string()
    };
    let app = Router::new()
        .route("/v3/jobs/build", post(|| async { json(example("4.6-RunJob.response.json")) }))
        .route("/v3/jobs/{job_id}/status", get(|| async { json(example("4.4-ShowJobStatus.response.json")) }))
        .route(
            "/v4/jobs/{job_id}/{build_no}/record-info",
            get(|| async { json(example("4.12-ShowRecordDetail.response.json")) }),
        )
        .route("/v3/jobs/{job_id}/history", get(move || async move { json(history) }))
        .route(
            "/v4/{record_id}/download-log",
            get(|Path(record): Path<String>| async move {
                let log = format!(
                    "[INFO] record {record}: checkout master\n[INFO] Build with Maven: mvn package\n[INFO] BUILD SUCCESS\n"
                );
                ([(CONTENT_TYPE, "application/octet-stream")], log)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(endpoint)
}
