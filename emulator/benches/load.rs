//! The emulator under load: `CLIENTS` concurrent clients × `CALLS` calls each, mixed across the three
//! services, through the SDK's clients (one `Config`, one IAM login) against the emulator binary in
//! its own process, so that its memory is its own.
//!
//! ```text
//! cargo bench -p codearts-emulator --bench load [-- --clients 200 --calls 50 --retain 100]
//! ```
//!
//! Each call is one of: Build ShowJobListByProjectId, Check ShowTaskListByProjectId, Pipeline
//! ListPipelines (a POST read), and every tenth a Build RunJob, which starts a build and so makes the
//! emulator keep records and logs. Prints the calls, the errors (any error fails the run: exit 1),
//! p50/p90/p99/max latency, the throughput, the machine's load, and the emulator's resident memory
//! (VmRSS at the end, VmHWM the peak) read from /proc, with `--retain N` (the bound on finished
//! builds, runs and logs kept per job, task and pipeline) passed to the emulator. `cargo test
//! --benches` runs it small (10 × 5) as a smoke test.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codearts::Config;
use codearts::raw::{RawRequest, send};
use codearts::region::Service;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

struct Args {
    clients: usize,
    calls: usize,
    retain: Option<usize>,
}

fn args() -> Args {
    let mut args = Args { clients: 200, calls: 50, retain: None };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok()).expect("a number after the flag");
        match a.as_str() {
            "--clients" => args.clients = value(),
            "--calls" => args.calls = value(),
            "--retain" => args.retain = Some(value()),
            // `cargo test --benches` passes no `--bench`: run small, as a smoke test.
            "--bench" => {}
            _ => {}
        }
    }
    if !std::env::args().any(|a| a == "--bench") {
        args.clients = args.clients.min(10);
        args.calls = args.calls.min(5);
    }
    args
}

/// The emulator's resident memory in KiB: (VmRSS, VmHWM).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Emulator {
    child: Child,
    url: String,
    project: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(retain: Option<usize>) -> Emulator {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codearts-emulator"));
    cmd.args(["--port", "0", "--step-ms", "20"]);
    if let Some(n) = retain {
        cmd.args(["--retain", &n.to_string()]);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("the emulator binary starts");
    let stdout = tokio::process::ChildStdout::from_std(child.stdout.take().unwrap()).unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let (mut url, mut project) = (None, None);
    while let Ok(Some(line)) = lines.next_line().await {
        if url.is_none()
            && let Some(start) = line.find("http://127.0.0.1:")
        {
            url = Some(line[start..].split_whitespace().next().unwrap().to_string());
        }
        if let Some(id) = line.split("CODEARTS_PROJECT_ID=").nth(1) {
            project = Some(id.trim().to_string());
        }
        if line.contains("build steps take") {
            break;
        }
    }
    // Keep draining its output so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Emulator { child, url: url.expect("the emulator printed its URL"), project: project.expect("a demo project") }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::main]
async fn main() {
    let args = args();
    let emulator = start(args.retain).await;
    let pid = emulator.child.id();
    // AK/SK: every request signed, as CI tools on a service account send them.
    let config = Service::ALL
        .iter()
        .fold(Config::builder(), |b, service| b.endpoint(*service, &emulator.url))
        .iam_project_id(codearts_emulator::DEFAULT_IAM_PROJECT_ID)
        .credentials(codearts::credentials::Credentials::aksk(
            codearts_emulator::DEFAULT_AK,
            codearts_emulator::DEFAULT_SK,
        ))
        .build()
        .expect("a config");
    let build = codearts::build::Client::from_config(&config).unwrap();
    let check = codearts::check::Client::from_config(&config).unwrap();
    let pipeline = codearts::pipeline::Client::from_config(&config).unwrap();
    let project = emulator.project.clone();
    let jobs = send(
        &build,
        RawRequest::new("GET", format!("/v3/{project}/jobs")).query("page_index", "0").query("page_size", "10"),
    )
    .await
    .expect("the demo jobs");
    let jobs: serde_json::Value = serde_json::from_slice(&jobs.body).unwrap();
    let job =
        jobs["jobs"].as_array().and_then(|j| j.iter().find(|j| j["disabled"] != true)).expect("an enabled job")["id"]
            .as_str()
            .unwrap()
            .to_string();

    let (rss_before, _) = memory(pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let (build, check, pipeline, project, job) =
            (build.clone(), check.clone(), pipeline.clone(), project.clone(), job.clone());
        let calls = args.calls;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(calls);
            let mut errors = Vec::new();
            for i in 0..calls {
                let t = Instant::now();
                let result = match (c + i) % 10 {
                    0 => send(&build, RawRequest::new("POST", "/v3/jobs/build").json(&json!({ "job_id": job }))).await,
                    1 | 4 | 7 => {
                        send(
                            &build,
                            RawRequest::new("GET", format!("/v3/{project}/jobs"))
                                .query("page_index", "0")
                                .query("page_size", "10"),
                        )
                        .await
                    }
                    2 | 5 | 8 => send(&check, RawRequest::new("GET", format!("/v2/{project}/tasks"))).await,
                    _ => {
                        send(
                            &pipeline,
                            RawRequest::new("POST", format!("/v5/{project}/api/pipelines/list"))
                                .json(&json!({ "offset": 0, "limit": 10 })),
                        )
                        .await
                    }
                };
                latencies.push(t.elapsed());
                match result {
                    Ok(r) if r.status < 300 => {}
                    Ok(r) => errors.push(format!("HTTP {}: {}", r.status, String::from_utf8_lossy(&r.body))),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (l, e) = t.await.expect("a client task");
        latencies.extend(l);
        errors.extend(e);
    }
    let elapsed = started.elapsed();
    // Let the started builds finish, so that what the emulator keeps afterwards is what it retains.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss, hwm) = memory(pid);
    latencies.sort();
    let total = latencies.len();
    println!(
        "emulator load: {} clients x {} calls = {total} calls in {:.2} s ({:.0} calls/s), {} errors, load {}",
        args.clients,
        args.calls,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        errors.len(),
        load()
    );
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.9).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "emulator memory: RSS {:.1} MiB before, {:.1} MiB after (peak {:.1} MiB); retain {}",
        rss_before as f64 / 1024.0,
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        args.retain.map_or("default".to_string(), |n| n.to_string())
    );
    if let Some(e) = errors.first() {
        eprintln!("first error: {e}");
        std::process::exit(1);
    }
}
