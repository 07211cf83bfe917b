//! `codearts api METHOD PATH`: a signed raw call (`codearts::raw`), as `gh api` does.

use codearts::raw::{RawRequest, send};

use crate::args::{ApiArgs, ApiService, GlobalArgs};
use crate::error::{CliError, io};
use crate::output::Output;

pub async fn run(global: &GlobalArgs, out: &Output, args: ApiArgs) -> Result<(), CliError> {
    let config = crate::config::load(global)?;
    let service = args.service.unwrap_or_else(|| guess(&args.method, &args.path));
    let mut request = RawRequest::new(&args.method, &args.path);
    for (k, v) in &args.query {
        request = request.query(k, v);
    }
    if let Some(source) = &args.body {
        let bytes = if source == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map_err(io("reading the body from stdin"))?;
            buf
        } else {
            std::fs::read(source).map_err(io(format!("reading {source}")))?
        };
        let body: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| CliError::Usage(format!("--body {source}: not JSON: {e}; nothing was sent")))?;
        request = request.json(&body);
    }
    let answer = match service {
        ApiService::Build => send(&codearts::build::Client::from_config(&config)?, request).await,
        ApiService::Check => send(&codearts::check::Client::from_config(&config)?, request).await,
        ApiService::Pipeline => send(&codearts::pipeline::Client::from_config(&config)?, request).await,
    }
    .map_err(|e| {
        if e.kind() == codearts::ErrorKind::InvalidInput && e.attempts() == 0 {
            CliError::Usage(format!("{e}; nothing was sent"))
        } else {
            CliError::Api(e)
        }
    })?;
    if args.include {
        eprintln!("HTTP {}{}", answer.status, answer.operation.map(|o| format!(" ({o})")).unwrap_or_default());
        for (name, value) in &answer.headers {
            eprintln!("{name}: {}", value.to_str().unwrap_or("<binary>"));
        }
    }
    match serde_json::from_slice::<serde_json::Value>(&answer.body) {
        Ok(value) => out.answer(&value, None),
        Err(_) => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&answer.body).and_then(|()| stdout.flush()).map_err(io("writing to stdout"))
        }
    }
}

/// The service whose spec declares `method path`; Build when none does.
fn guess(method: &str, path: &str) -> ApiService {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let fits = |template: &str| {
        let (t, a): (Vec<&str>, Vec<&str>) =
            (template.trim_start_matches('/').split('/').collect(), path.trim_start_matches('/').split('/').collect());
        t.len() == a.len() && t.iter().zip(&a).all(|(t, a)| t.starts_with('{') || t == a)
    };
    let declares = |ops: &[codearts::runtime::OperationMeta]| {
        ops.iter().any(|o| o.method.eq_ignore_ascii_case(method) && fits(o.path))
    };
    if declares(codearts::build::operations::OPERATIONS) {
        ApiService::Build
    } else if declares(codearts::check::operations::OPERATIONS) {
        ApiService::Check
    } else if declares(codearts::pipeline::operations::OPERATIONS) {
        ApiService::Pipeline
    } else {
        ApiService::Build
    }
}
