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
    let mut chain = Chain::new();
    if let Some(profile) = &global.profile {
        // An explicit profile is the source: the chain would otherwise prefer credentials in the
        // environment. The environment is still read to locate the profile file.
        chain = chain.profile_section(profile).env(|name| match name {
            ENV_CREDENTIALS_FILE | "HOME" | "USERPROFILE" => std::env::var(name).ok(),
            _ => None,
        });
    }
    let resolved = chain.resolve().map_err(|e| match (&global.profile, e) {
        // Name the profile's problem alone: the other sources were skipped on purpose.
        (Some(profile), CredentialsError::NotFound { tried }) => {
            let why = tried
                .iter()
                .find(|(source, _)| source.starts_with("profile"))
                .map_or_else(|| "no profile file".to_string(), |(source, why)| format!("{source}: {why}"));
            CliError::Config(format!("--profile {profile}: no credentials in {why}"))
        }
        (_, e) => CliError::Credentials(e),
    })?;

    let mut builder = Config::builder()
        .credentials(resolved.credentials)
        .env_endpoint_overrides(true)
        .user_agent_suffix(concat!("codearts-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(region) = global.region.clone().or(resolved.region) {
        builder = builder.region(region);
    }
    if let Some(id) = global.project_id.clone().or(resolved.project_id) {
        builder = builder.iam_project_id(id);
    }
    if let Some(iam) = resolved.iam_endpoint {
        builder = builder.endpoint(Service::Iam, iam);
    }
    // `--endpoint`: every service at one URL (the emulator); then each service's own, which win.
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
    Ok(builder.build()?)
}
