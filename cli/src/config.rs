//! The SDK [`Config`] from the credential chain and the global flags.

use codearts::Config;
use codearts::credentials::{Chain, CredentialsError, ENV_CREDENTIALS_FILE};
use codearts::region::Service;

use crate::args::GlobalArgs;
use crate::error::CliError;

/// Runs the SDK's credential chain (environment, then profile file; with `--profile`, that
/// profile's section only) and applies the flags over what it found.
///
/// This is `Config::from_chain` with the flags layered on top: it returns a finished `Config`,
/// while the flags must override the region and project the chain found.
pub fn load(global: &GlobalArgs) -> Result<Config, CliError> {
    resolve(global, false).map(|(config, _)| config)
}

/// [`load`], and where the credentials came from; with `lenient`, no credentials is not an error
/// (the configuration has none, and the reason is returned instead of the source).
fn resolve(global: &GlobalArgs, lenient: bool) -> Result<(Config, String), CliError> {
    let mut chain = Chain::new();
    if let Some(profile) = &global.profile {
        // An explicit profile is the source: the chain would otherwise prefer credentials in the
        // environment. The environment is still read to locate the profile file.
        chain = chain.profile_section(profile).env(|name| match name {
            ENV_CREDENTIALS_FILE | "HOME" | "USERPROFILE" => std::env::var(name).ok(),
            _ => None,
        });
    }
    let resolved = match chain.resolve() {
        Ok(resolved) => resolved,
        Err(e) if lenient => {
            let mut builder = Config::builder().env_endpoint_overrides(true);
            if let Some(region) = global.region.clone().or_else(|| std::env::var("HUAWEICLOUD_SDK_REGION").ok()) {
                builder = builder.region(region);
            }
            if let Some(id) = &global.iam_project_id {
                builder = builder.iam_project_id(id.clone());
            }
            return Ok((overrides(global, builder).build()?, format!("none found ({e})")));
        }
        Err(e) => {
            return Err(match (&global.profile, e) {
                // Name the profile's problem alone: the other sources were skipped on purpose.
                (Some(profile), CredentialsError::NotFound { tried }) => {
                    let why = tried
                        .iter()
                        .find(|(source, _)| source.starts_with("profile"))
                        .map_or_else(|| "no profile file".to_string(), |(source, why)| format!("{source}: {why}"));
                    CliError::Config(format!("--profile {profile}: no credentials in {why}"))
                }
                (_, e) => CliError::Credentials(e),
            });
        }
    };
    let source = resolved.source.to_string();
    let mut builder = Config::builder()
        .credentials(resolved.credentials)
        .env_endpoint_overrides(true)
        .user_agent_suffix(concat!("codearts-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(region) = global.region.clone().or(resolved.region) {
        builder = builder.region(region);
    }
    if let Some(id) = global.iam_project_id.clone().or(resolved.project_id) {
        builder = builder.iam_project_id(id);
    }
    if let Some(iam) = resolved.iam_endpoint {
        builder = builder.endpoint(Service::Iam, iam);
    }
    Ok((overrides(global, builder).build()?, source))
}

/// The endpoint flags over `builder`: `--endpoint` (every service at one URL: the emulator), then
/// each service's own, which win.
fn overrides(global: &GlobalArgs, mut builder: codearts::ConfigBuilder) -> codearts::ConfigBuilder {
    let one = |service| global.endpoint.clone().map(|url| (service, url));
    let own = [
        (Service::Build, &global.build_endpoint),
        (Service::Check, &global.check_endpoint),
        (Service::Pipeline, &global.pipeline_endpoint),
        (Service::Iam, &global.iam_endpoint),
    ];
    for (service, url) in
        Service::ALL.into_iter().filter_map(one).chain(own.iter().filter_map(|(s, u)| Some((*s, (*u).clone()?))))
    {
        builder = builder.endpoint(service, url);
    }
    builder
}

/// `codearts config show`: what [`load`] resolves, and where each part came from. Secrets are
/// never printed: the credentials are named by kind and source only.
pub fn show(global: &GlobalArgs, out: &crate::output::Output) -> Result<(), CliError> {
    let (config, found) = resolve(global, true)?;
    let (source, why_none) = match found.strip_prefix("none found ") {
        Some(why) => ("not set".to_string(), Some(why.trim_matches(['(', ')']).to_string())),
        None => (found, None),
    };
    let from_flag = |flag: &Option<String>| flag.is_some() || global.endpoint.is_some();
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let region_source = match (&global.region, config.region()) {
        (Some(_), _) => "--region".to_string(),
        (None, Some(_)) if why_none.is_some() => "HUAWEICLOUD_SDK_REGION".to_string(),
        _ => source.clone(),
    };
    rows.push(("region".into(), config.region().unwrap_or("-").to_string(), region_source));
    for (service, flag, name) in [
        (Service::Build, &global.build_endpoint, "build"),
        (Service::Check, &global.check_endpoint, "check"),
        (Service::Pipeline, &global.pipeline_endpoint, "pipeline"),
        (Service::Iam, &global.iam_endpoint, "iam"),
    ] {
        let (url, from) = match config.endpoint_url(service) {
            Ok(url) if from_flag(flag) => {
                (url, format!("--{name}-endpoint, --endpoint or CODEARTS_{}_ENDPOINT", name.to_uppercase()))
            }
            Ok(url) if config.endpoint_is_explicit(service) => (url, source.clone()),
            Ok(url) => {
                let var = config.region().map(|r| service.env_override_var(r));
                match var.filter(|v| std::env::var_os(v).is_some()) {
                    Some(var) => (url, var),
                    None => (url, "the region's endpoint".to_string()),
                }
            }
            Err(_) if config.region().is_none() => ("-".into(), "no region and no endpoint given".to_string()),
            Err(e) => ("-".into(), e.to_string()),
        };
        rows.push((format!("endpoint.{name}"), url, from));
    }
    let credentials_from = why_none.unwrap_or_else(|| source.clone());
    rows.push(("credentials".into(), config.credentials_kind().unwrap_or("none").to_string(), credentials_from));
    let project_from = if global.iam_project_id.is_some() { "--iam-project-id".to_string() } else { source };
    rows.push((
        "iam_project_id".into(),
        config.iam_project_id().unwrap_or("- (looked up from the region)").to_string(),
        project_from,
    ));
    if out.is_json() {
        let doc: serde_json::Map<String, serde_json::Value> =
            rows.iter().map(|(k, v, f)| (k.clone(), serde_json::json!({"value": v, "from": f}))).collect();
        return out.json(&doc);
    }
    let table: Vec<Vec<String>> = rows.into_iter().map(|(k, v, f)| vec![k, v, f]).collect();
    out.table(&["SETTING", "VALUE", "FROM"], &table)
}
