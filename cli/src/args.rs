//! The command line (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::EXIT_STATUS_HELP;

/// Command line for Huawei Cloud CodeArts Build, Check and Pipeline.
///
/// Credentials, region and IAM project come from the environment (HUAWEICLOUD_SDK_AK/SK, …) or
/// ~/.huaweicloud/credentials, as for the Rust SDK; the flags below override them.
#[derive(Debug, Parser)]
#[command(name = "codearts", version, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Region, e.g. cn-north-4 (selects every service's endpoint).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// One endpoint for every service and IAM (the emulator's case, e.g. http://127.0.0.1:8937;
    /// plain http only on loopback). Against the cloud, give each service its own below, or use the
    /// region with the vendor's HUAWEICLOUD_SDK_REGION_<SERVICE>_<REGION> variables.
    #[arg(long, global = true, value_name = "URL", env = "CODEARTS_ENDPOINT")]
    pub endpoint: Option<String>,

    /// Endpoint of CodeArts Build instead of the region's.
    #[arg(long, global = true, value_name = "URL", env = "CODEARTS_BUILD_ENDPOINT")]
    pub build_endpoint: Option<String>,

    /// Endpoint of CodeArts Check instead of the region's.
    #[arg(long, global = true, value_name = "URL", env = "CODEARTS_CHECK_ENDPOINT")]
    pub check_endpoint: Option<String>,

    /// Endpoint of CodeArts Pipeline instead of the region's.
    #[arg(long, global = true, value_name = "URL", env = "CODEARTS_PIPELINE_ENDPOINT")]
    pub pipeline_endpoint: Option<String>,

    /// Endpoint of IAM (tokens, project IDs) instead of the region's.
    #[arg(long, global = true, value_name = "URL", env = "CODEARTS_IAM_ENDPOINT")]
    pub iam_endpoint: Option<String>,

    /// Read credentials from section [NAME] of the profile file (~/.huaweicloud/credentials or
    /// HUAWEICLOUD_SDK_CREDENTIALS_FILE) instead of [basic]; credentials in the environment are
    /// then ignored.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// IAM project ID (sent as X-Project-Id); not the CodeArts project ID, which commands take as
    /// --project-id.
    #[arg(long, global = true, value_name = "ID")]
    pub iam_project_id: Option<String>,

    /// Output format: `json` or `yaml` print the service's typed answers, for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// JSON documents on stdout.
    Json,
    /// YAML documents on stdout.
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// CodeArts Build: jobs, builds, logs, history.
    #[command(subcommand)]
    Build(BuildCommand),
    /// CodeArts Check: code-check tasks.
    #[command(subcommand)]
    Check(CheckCommand),
    /// CodeArts Pipeline: pipelines, runs (stages → jobs → steps), reviews, logs.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// Run the CodeArts emulator (Build, Check, Pipeline, IAM) on a loopback port, with the demo
    /// resources, until Ctrl-C.
    Emulator(EmulatorArgs),
    /// A signed call to any path of a service (for what the specs do not have yet), printing the
    /// answer's body.
    Api(ApiArgs),
    /// What the configuration resolves to, and from where (secrets redacted).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (codearts.1 and one per command) to a directory.
    Man {
        /// Directory to write them to.
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// HTTP method.
    pub method: String,
    /// Path (and query) relative to the service's endpoint, e.g. /v3/jobs/<job_id>/status.
    pub path: String,
    /// The service whose endpoint and credentials to use (default: the one whose spec declares
    /// the path, else build).
    #[arg(long, value_enum)]
    pub service: Option<ApiService>,
    /// A JSON body from FILE or `-` (stdin).
    #[arg(long, value_name = "FILE|-")]
    pub body: Option<String>,
    /// Query parameters, NAME=VALUE (repeatable).
    #[arg(short = 'q', long = "query", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub query: Vec<(String, String)>,
    /// Print the status line and headers on stderr too.
    #[arg(short = 'i', long)]
    pub include: bool,
}

/// A service for `codearts api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiService {
    Build,
    Check,
    Pipeline,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Region, endpoints, credentials and IAM project as resolved, each with where it came from.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum BuildCommand {
    /// The build jobs of a CodeArts project.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// One build job.
    #[command(subcommand)]
    Job(JobCommand),
    /// Start a build of a job (RunJob); optionally wait for it or follow its log.
    Run(RunArgs),
    /// Whether a job is running, or the status and steps of one build.
    Status(StatusArgs),
    /// Download a build's log (or one step's) to stdout or a file.
    Logs(LogsArgs),
    /// Stop a running build (StopBuildJob).
    Stop(StopArgs),
    /// A job's recent builds, newest first (ShowListHistory).
    History(HistoryArgs),
    /// Copy a job under a new name (CopyJob): its steps, parameters, code sources, notifications.
    Copy(CopyArgs),
    /// The stages of one build, with their status and times (ShowBuildRecordFullStages).
    Stages(StagesArgs),
    /// Deleted jobs: list, restore, purge (ListRecyclingJob, RestoreRecyclingJobs, DeleteRecyclingJobs).
    #[command(subcommand, name = "recycle-bin")]
    RecycleBin(RecycleBinCommand),
    /// Keystore files of the account: list, upload, download.
    #[command(subcommand)]
    Keystores(KeystoresCommand),
    /// The job groups of a CodeArts project (ListGroupTree).
    #[command(subcommand)]
    Groups(GroupsCommand),
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Build job ID of the job to copy (32 characters).
    pub job: String,
    /// Name of the copy (default: the name the service proposes, ShowCopyName).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct StagesArgs {
    /// Build job ID (32 characters).
    pub job: String,
    /// Build number.
    pub build_no: i32,
}

#[derive(Debug, Subcommand)]
pub enum RecycleBinCommand {
    /// The deleted jobs of the account, latest deletion first (ListRecyclingJob, all pages).
    List {
        /// Only jobs whose name contains this.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Bring deleted jobs back, with their builds (RestoreRecyclingJobs).
    Restore {
        /// Build job IDs.
        #[arg(required = true, value_name = "JOB")]
        jobs: Vec<String>,
    },
    /// Delete jobs from the recycle bin for good (DeleteRecyclingJobs), or all of them with --all
    /// (ClearRecyclingJobs).
    Purge {
        /// Build job IDs.
        #[arg(value_name = "JOB", required_unless_present = "all", conflicts_with = "all")]
        jobs: Vec<String>,
        /// Empty the whole recycle bin (the jobs the caller created).
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeystoresCommand {
    /// The account's keystore files (ListKeystoreSearch, all pages).
    List {
        /// Only files whose name contains this.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Upload a keystore file (UploadKeystore): .xml, .key, .keystore, .jks, .crt or .pem, at most
    /// 100 KB. Prints its ID.
    Upload {
        /// The file; its name is the keystore's name.
        file: PathBuf,
        /// Description of the file.
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
        /// Consent to the service's privacy statement for the file's sensitive content (the service
        /// requires it).
        #[arg(long, required = true)]
        accept_privacy_statement: bool,
    },
    /// Download a keystore file by ID (DownloadKeystoreByName) to a file or stdout.
    Download {
        /// Keystore file ID (32 characters, as `keystores list` shows).
        id: String,
        /// Write it to FILE instead of stdout.
        #[arg(short = 'o', long = "output-file", value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// The project's job groups as a tree.
    List {
        /// CodeArts project ID (32 hex characters; not the IAM project ID).
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID")]
        project: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List every build job of a CodeArts project (ShowJobListByProjectId, all pages).
    List {
        /// CodeArts project ID (32 hex characters; not the IAM project ID).
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID")]
        project: String,
        /// Jobs requested per page (the listing always goes through every page).
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
        page_size: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Show a job's configuration: code sources, parameters, steps (ListJobConfig).
    Show {
        /// Build job ID (32 characters).
        job: String,
        /// Include the system parameters too.
        #[arg(long)]
        all_parameters: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Build job ID (32 characters).
    pub job: String,
    /// A build parameter, NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Wait for the build to finish; the exit status tells how it ended.
    #[arg(long)]
    pub wait: bool,
    /// Print the build's log lines while it runs, then exit as with --wait.
    #[arg(long)]
    pub follow: bool,
    /// Give up waiting after this long (e.g. 90s, 10m, 1h; implies --wait). Default 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_wait: Option<Duration>,
    /// How often to poll while waiting or following (the wait backs off from here up to 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2s")]
    pub poll_interval: Duration,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Build job ID (32 characters).
    pub job: String,
    /// Show this build's record and steps instead of whether the job is running.
    #[arg(long, value_name = "N")]
    pub build_no: Option<i32>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  codearts build logs JOB 7            the log of build #7 of JOB
  codearts build logs JOB              the log of JOB's latest build (last 30 days)
  codearts build logs RECORD_ID        the log of a build record (a UUID)
  codearts build logs JOB 7 --step Build -o build.log")]
pub struct LogsArgs {
    /// Build job ID, or a build record ID (a UUID, as history and status show).
    #[arg(value_name = "JOB|RECORD_ID")]
    pub target: String,
    /// Build number (default: the job's latest build).
    #[arg(value_name = "BUILD_NO")]
    pub build_no: Option<i32>,
    /// Only the log of the step with this name.
    #[arg(long, value_name = "NAME")]
    pub step: Option<String>,
    /// Write the log to FILE instead of stdout.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Build job ID (32 characters).
    pub job: String,
    /// Build number.
    pub build_no: i32,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Build job ID (32 characters).
    pub job: String,
    /// Builds of the last N days (1-30).
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(i32).range(1..=30))]
    pub days: i32,
    /// At most N builds.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Start a check of a task (RunTask); optionally wait for it and apply a quality gate.
    Run(CheckRunArgs),
    /// Whether a task is checking, and how its latest check ended (ShowProgressDetail).
    Status {
        /// Check task ID.
        task: String,
    },
    /// Stop a task's check in progress (StopTaskById).
    Stop {
        /// Check task ID.
        task: String,
    },
    /// List a task's defects (ShowTaskDefects, every page), optionally by severity and status.
    Defects(DefectsArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  codearts check run TASK --wait                           wait; print the defects by severity
  codearts check run TASK --fail-on critical=0,major=10     exit 6 on more than 0 critical, or more
                                                            than 10 critical and major defects")]
pub struct CheckRunArgs {
    /// Check task ID.
    pub task: String,
    /// Wait for the check to end; the exit status tells how it ended.
    #[arg(long)]
    pub wait: bool,
    /// Quality gate (implies --wait): SEVERITY=MAX pairs, each allowing at most MAX defects of that
    /// severity or a more severe one (critical, major, minor, suggestion); exit status 6 when the
    /// unresolved defects exceed one.
    #[arg(long, value_name = "SEVERITY=MAX,...", value_parser = parse_gate)]
    pub fail_on: Option<codearts::wait::Gate>,
    /// Give up waiting after this long (e.g. 90s, 10m, 1h; implies --wait). Default 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_wait: Option<Duration>,
    /// How often to poll while waiting (the wait backs off from here up to 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2s")]
    pub poll_interval: Duration,
    /// Check this (temporary) repository instead of the task's (its token is read from
    /// CODEARTS_CHECK_ACCESS_TOKEN, never from the command line).
    #[arg(long, value_name = "URL")]
    pub git_url: Option<String>,
    /// Check this branch instead of the task's.
    #[arg(long, value_name = "BRANCH")]
    pub git_branch: Option<String>,
    /// User with access to that repository.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
}

#[derive(Debug, Args)]
pub struct DefectsArgs {
    /// Check task ID.
    pub task: String,
    /// Only these severities, comma-separated: critical, major, minor, suggestion (or 0-3).
    #[arg(long, value_name = "SEVERITY,...")]
    pub severity: Option<String>,
    /// Only these statuses, comma-separated: pending, resolved, ignored (or 0-2), or all.
    /// Default: pending, as the service does.
    #[arg(long, value_name = "STATUS,...")]
    pub status: Option<String>,
    /// At most N defects.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
}

/// The CodeArts project a pipeline command is about.
const PROJECT_HELP: &str = "CodeArts project ID (32 characters; not the IAM project ID)";

#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// List every pipeline of a CodeArts project with its latest run (ListPipelines, all pages).
    List {
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
        /// Pipelines requested per page.
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
        page_size: u32,
    },
    /// Show a pipeline: its stages, jobs and variables (ShowPipelineDetail).
    Show {
        /// Pipeline ID (32 characters).
        pipeline: String,
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
    },
    /// Start a run of a pipeline (RunPipeline); optionally wait for it or follow its step logs.
    Run(PipelineRunArgs),
    /// A run (the latest by default) as a tree of stages → jobs → steps with states and durations.
    Status {
        /// Pipeline ID (32 characters).
        pipeline: String,
        /// Run ID (default: the latest run).
        run: Option<String>,
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
    },
    /// Stop a running run (StopPipelineRun).
    Stop {
        /// Pipeline ID.
        pipeline: String,
        /// Run ID.
        run: String,
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
    },
    /// Rerun the failed part of a failed run (RetryPipelineRun).
    Retry {
        /// Pipeline ID.
        pipeline: String,
        /// Run ID.
        run: String,
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
    },
    /// Approve the manual review (or pass the checkpoint) a run waits for.
    Approve(ReviewArgs),
    /// Reject the manual review a run waits for: the run fails.
    Reject(ReviewArgs),
    /// Print the logs of a run's steps (the latest run by default), as they are now.
    Logs {
        /// Pipeline ID.
        pipeline: String,
        /// Run ID (default: the latest run).
        run: Option<String>,
        /// Only this step (its name or step run ID).
        #[arg(long, value_name = "NAME|ID")]
        step: Option<String>,
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
    },
    /// A pipeline's runs, newest first (ListPipelineRuns).
    Runs {
        /// Pipeline ID.
        pipeline: String,
        #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
        project: String,
        /// At most N runs.
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
}

#[derive(Debug, Args)]
pub struct PipelineRunArgs {
    /// Pipeline ID (32 characters).
    pub pipeline: String,
    #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
    pub project: String,
    /// A run variable, NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Run only this stage (its identifier or name; repeatable).
    #[arg(long = "stage", value_name = "STAGE")]
    pub stages: Vec<String>,
    /// Run only this job (its identifier or name; repeatable).
    #[arg(long = "job", value_name = "JOB")]
    pub jobs: Vec<String>,
    /// Description of the run.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Wait for the run to finish (or to wait for a review); the exit status tells how it ended.
    #[arg(long)]
    pub wait: bool,
    /// Print the steps' log lines while the run goes on, then exit as with --wait.
    #[arg(long)]
    pub follow: bool,
    /// Give up waiting after this long (e.g. 90s, 10m, 1h; implies --wait). Default 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_wait: Option<Duration>,
    /// How often to poll while waiting or following (the wait backs off from here up to 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2s")]
    pub poll_interval: Duration,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Pipeline ID.
    pub pipeline: String,
    /// Run ID.
    pub run: String,
    /// The review step (its name or step run ID; default: the one the run waits for).
    #[arg(long, value_name = "NAME|ID")]
    pub step: Option<String>,
    /// A comment for the decision.
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    #[arg(long, value_name = "ID", env = "CODEARTS_PROJECT_ID", help = PROJECT_HELP)]
    pub project: String,
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = codearts_emulator::DEFAULT_PORT)]
    pub port: u16,
    /// How long each build step takes.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "500ms")]
    pub step: Duration,
    /// Finished builds, check runs and pipeline runs kept per job, task and pipeline (with their
    /// logs); older ones are forgotten.
    #[arg(long, value_name = "N", default_value_t = codearts_emulator::DEFAULT_RETAIN as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub retain: u64,
    /// Start empty, without the demo resources.
    #[arg(long, alias = "no-demo-jobs")]
    pub no_demo: bool,
}

/// `NAME=VALUE` (the value may contain `=`).
fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

/// A quality gate, `critical=0,major=10`.
fn parse_gate(text: &str) -> Result<codearts::wait::Gate, String> {
    text.parse().map_err(|e: codearts::wait::GateParseError| e.to_string())
}

/// `90s`, `10m`, `1h30m`, `500ms`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("`{text}` is not a duration such as 90s, 10m or 1h: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn params_and_durations_parse() {
        assert_eq!(parse_param("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_param("fail="), Ok(("fail".into(), String::new())));
        assert!(parse_param("novalue").is_err());
        assert!(parse_param("=x").is_err());
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
    }
}
