//! # codearts-emulator
//!
//! A stateful, in-memory emulator of Huawei Cloud CodeArts and of the IAM calls clients make: for
//! tests (of the `codearts` SDK, and of any client: the vendor's own SDKs, other languages'), and
//! for trying the SDK without a cloud account.
//!
//! Requests are routed by the SDK's own operation tables (`codearts::<service>::operations`): the
//! method, path template, parameter formats and required flags the client checks before sending are
//! what the emulator checks on arrival, and a malformed request is answered in the service's own
//! error codes (its spec's `x-codearts-error-codes`). Answers are built from the SDK's generated
//! types, serialized, so they have the spec's shape by construction (and the SDK's
//! `tests/emulator_conformance.rs` validates them against the specs' schemas). CodeArts Build is
//! served with real semantics (below); every operation has a handler or says it has none (501).
//!
//! # Three ways to start it
//!
//! **In-process, in tests** (port 0: the system picks a free port; shut down when dropped):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use codearts::{CallExt, build::Client};
//! use codearts_emulator::Emulator;
//!
//! let emulator = Emulator::builder().start().await?;
//! let config = emulator.config_builder().credentials(emulator.password_credentials()).build()?;
//! let client = Client::from_config(&config)?;
//! let jobs = client.show_job_list_by_project_id()
//!     .project_id("6ecbc5bac7c8442fb3d2563d53c13582").page_index(1).page_size(10)
//!     .call().await?;
//! assert_eq!(jobs.total, Some(0));
//! # Ok(()) }
//! ```
//!
//! **As a binary** on a chosen loopback port, for other languages and for poking at it by hand:
//! `cargo run -p codearts-emulator -- --port 8937 --step-ms 500` (or `codearts emulator`, the
//! same front door). It creates the demo resources ([`RunningEmulator::seed_demo`]) and prints its
//! URL, the credentials, the demo resources and the environment that points the SDK, the CLI or a
//! vendor SDK at it ([`RunningEmulator::instructions`]).
//!
//! **As a library in your own test suite**: depend on `codearts-emulator` (as a dev-dependency),
//! start it as above, and build request bodies with [`fixtures`]; or embed [`router`] in a server
//! of your own.
//!
//! # Semantics
//!
//! **Authentication.** `POST /v3/auth/tokens` takes the password-login body of section 3.1 (the user
//! by name and domain, or by id; the project scope by name or id) and answers 201 with the token in
//! `X-Subject-Token` and `{"token": {"expires_at", "issued_at", "project": {"id", "name"}, "user", …}}`;
//! a wrong password is 401 with IAM's body `{"error": {"code": 401, "message": …}}`. Tokens live 24
//! hours on the emulator's clock. `GET /v3/projects?name=…` lists the IAM projects. Every other
//! request needs a token the emulator issued (`X-Auth-Token`) or an AK/SK signature
//! (`SDK-HMAC-SHA256`) by a configured key pair, recomputed with [`crate::auth::signer`]'s canonical
//! request over the headers the client signed and the body, with an `X-Sdk-Date` at most 15 minutes
//! from the system clock; an `X-Project-Id` header must name the token's (or, with AK/SK, a
//! configured) project. Anything else is 401 `{"error_code": "APIGW.0301", "error_msg": "Incorrect
//! IAM authentication information: …", "request_id": …}` (`APIGW.0307` for an expired token). Every
//! answer carries `X-Request-Id`.
//!
//! **Jobs.** CreateBuildJob, UpdateBuildJob (a full replacement of the configuration; builds and
//! notifications stay), ListJobConfig (`get_all_parameters=true` adds the system parameter
//! `codeBranch`), ShowJobListByProjectId (the CodeArts project's jobs in creation order),
//! DisableBuildJob (the job cannot run until EnableBuildJob), DeleteBuildJob (the job and its builds
//! go to the recycle bin; later calls about them are 404 until it is restored). Job names are unique within a CodeArts project. Every user
//! sees every job and may run it; only the job's creator may update, disable, restore or delete it
//! or change its notifications (403 otherwise) — which the list's permission flags report
//! (`is_modify`, `is_delete`, `is_forbidden`; `is_view`, `is_execute`, `is_copy` are always true).
//! The list's `last_build_status` is Jenkins' colour (`blue`, `red`, `aborted`, `notbuilt`, with
//! `_anime` while a build runs) and `health_score` the success share of the last five builds.
//!
//! **Builds.** RunJob plans a build: an implicit first step `Code checkout`, then the job's enabled
//! steps. It is `QUEUED` for one step duration, then `RUNNING` through each step for one step
//! duration, then `SUCCESS`; or `FAILURE` at the first step whose name contains `fail` (any case) or
//! that the run parameter `fail` names (`fail=true`: the last step; `fail=<step name>`: that one);
//! or `ABORTED` when StopBuildJob or StopJob stops it while queued or running (stopping a finished
//! build reports `success: false`; stopping a stopped one again succeeds). Records, history and the
//! flow graph use the results `QUEUED`, `RUNNING`, `SUCCESS`, `FAILURE`, `ABORTED`; step statuses
//! are `running`, `success`, `error` or empty. The full log (DownloadBuildLog, and the deprecated
//! DownloadLogByRecordId) and each step's log (DownloadTaskLog, by step name) hold the lines whose
//! time has come, so they grow while the build runs and end with `Finished: <RESULT>`; `DEBUG` lines
//! appear only with `log_level=DEBUG`. A successful build has a package (ShowOutputInfo; an image too
//! when a step mentions docker or image). ShowLastHistory is the latest successful build, in the
//! project, of the jobs whose code source is the named repository (the last segment of its URL).
//! ShowFlowGraph's graph is the build itself: the emulator starts no sub-jobs. Sensitive parameters
//! (type `encryptparam` or `password`, or `sensitive=true`) are masked as `*****`.
//!
//! Nothing runs in the background: every answer is computed from a build's timestamps and the
//! clock, so the same clock reading always gives the same answer. With a [`ManualClock`]
//! ([`EmulatorBuilder::clock`]) a test steps through a build exactly, without sleeping.
//!
//! **History.** ShowListHistory covers builds created in the last `interval` (1–30) days,
//! ShowListPeriodHistory and ShowJobSuccessRatio those created between two `yyyy-MM-dd` dates (UTC,
//! both included; at most 30 days apart for the period history). Newest first; `offset` is a page
//! index from 0 and `limit` a page size of 1–100. The success ratio counts finished builds only.
//! History `record_id`s are the build record IDs the log downloads take (the reference's examples
//! print daily build numbers there).
//!
//! **Templates, notifications, keystore.** Templates belong to the account: its users list (name
//! matched as a case-insensitive substring; `page` from 1), create (names unique) and delete them.
//! Each job has the channels `DING_TALK`, `MAIL`, `MESSAGE` (UpdateNotice and DisableNotice also
//! take `DingTalk`, `email`, `message`) with the events `buildJobFail`, `updateConfigJob`,
//! `buildJobSuccess`, `deleteJob`, `forbiddenJob`; a new job starts as the reference's example
//! (mail on failure). UpdateNotice sets a channel's events to exactly those named; DisableNotice
//! turns a channel off. DownloadKeystore serves the configured keystore files to the caller's own
//! account (`domain_id`).
//!
//! **The v1/v2 API** (the console's) is a view of the same state: CreateNewJob, UpdateNewJob and
//! ShowJobConfig are the job ListJobConfig shows (with `timeout`, `triggers`, `group_id`,
//! `build_if_code_updated`), ExecuteJob is RunJob, the v1 records and stages (ListRecords,
//! ShowBuildRecord, ShowBuildRecordFullStages, ListBuildInfoRecord, …) are the builds above, each
//! step a stage. CopyJob makes a new job from its body, taking what the body leaves out (parameters,
//! code sources, triggers, group, timeout) and the notifications from the source. DeleteTheJob,
//! BatchDeleteBuildJobs and DeleteBuildJob move jobs to the recycle bin (ListRecyclingJob), from
//! which RestoreRecyclingJobs brings them back with their builds, DeleteRecyclingJobs and
//! ClearRecyclingJobs purge them, and the keep time (SetKeepTime, 30 days unless set) expires them.
//! Job groups form a tree per project (`path_id` is the dotted IDs from the root); MoveGroup puts
//! jobs in one. Favourites are per user. Keystore files (UploadKeystore, a multipart form: a
//! non-empty `.xml`, `.key`, `.keystore`, `.jks`, `.crt` or `.pem` of at most 100 KB, or
//! `CB.00060212`/`CB.00060203`) come back byte for byte from DownloadKeystoreByName and the v3
//! DownloadKeystore; the creator may do everything, other users what their permissions allow. The
//! real-time logs (DownloadRealTimeLog, DownloadBuildRealTimeLog, ShowActionIInfo) serve byte
//! ranges of the log as it stands, so reading on from the offset returned gives every byte once.
//! A test step (its name mentions `test`) has a JUnit report of 10 tests and a coverage zip. The
//! official templates and image templates are a fixed catalogue; reports, the account's status and
//! quotas are computed from the jobs and builds.
//!
//! **CodeArts Check.** Tasks for a repository branch and languages, with a rule set per language
//! (system ones, user-defined ones, a project default); a run goes through four phases of one step
//! duration each and succeeds (or fails, for a branch named `*fail*`, or is stopped); its defects
//! follow from the rule sets, excluded paths and settings (a Java task: 3 critical, 6 major, 6
//! minor, 3 suggestion), change status, and feed the statistics and metrics. Running a task that
//! is checking is 400 `CC.00050015`; other bad input 400 `CC.00050000`. Details: `docs/check.md`.
//!
//! **Validation.** A malformed job ID (not 32 hex digits) is 400 `CB.00060201`; a malformed CodeArts
//! project ID, template UUID (32 hex digits) or record ID (36 characters, UUID-shaped), a missing,
//! malformed or out-of-range parameter or body field, and a body that is not a JSON object are 400
//! `CB.00060200` (a bad keystore file name, `CB.00060203`); an unknown job, build, record, template,
//! repository or URL is 404 `CB.00060214`; a method the spec does not declare on a known path is
//! 405 (with `Allow`). ShowJobListByProjectId's `page_index` and ListTemplates' `page` count from 1
//! (0 is the first page too).
//!
//! **Pipeline.** Every CodeArts Pipeline operation is served: pipelines kept per CodeArts project,
//! runs that go through their stages → jobs → steps on the emulator clock, manual reviews and
//! checkpoints that wait for a decision, stop and retry, step logs paged by offset, and templates,
//! groups, tags, parameter groups, alert policies, rules, policies, plug-ins and publishers kept with
//! their CRUD semantics; unknown resources are 404 `DEVPIPE.00011401` (templates
//! `DEVPIPE.00011203`), a pipeline of another project 400 `DEVPIPE.00011136`. The rules are in the
//! repository's `docs/pipeline.md`.
//!
//! # Extending it
//!
//! [`router`] returns the whole service as an axum [`Router`] and [`EmulatorBuilder::start_with`]
//! serves a router wrapped by the caller: the place for layers that inject latency or faults.

mod auth;
mod build;
mod check;
mod demo;
mod dispatch;
pub mod faults;
pub mod fixtures;
mod iam;
mod pipeline;
mod reply;
mod state;

pub use demo::{DEMO_PROJECT, Demo, DemoError};
pub use state::{EmulatorState, ManualClock};

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::{ExposeSecret, SecretString};

use codearts::credentials::Credentials;
use codearts::region::Service;
use codearts::{Config, ConfigBuilder};
use state::{AccessKey, Clock, Data, IamProject, Settings, Shared, User, hex32};

/// The default account (domain) name.
pub const DEFAULT_DOMAIN: &str = "demo";
/// The default IAM user name.
pub const DEFAULT_USER: &str = "demo";
/// The default user's password.
pub const DEFAULT_PASSWORD: &str = "demo-password";
/// The default access key.
pub const DEFAULT_AK: &str = "EMULATORAK";
/// The default secret key.
pub const DEFAULT_SK: &str = "EMULATORSK";
/// The default IAM project's name (a region name).
pub const DEFAULT_IAM_PROJECT_NAME: &str = "eu-west-101";
/// The default IAM project's ID (the one of section 7.3's example).
pub const DEFAULT_IAM_PROJECT_ID: &str = "a4a5d4098fb4474fa22cd05f897d6b99";
/// How long each build step takes by default (and how long a build is queued).
pub const DEFAULT_STEP_DURATION: Duration = Duration::from_millis(50);
/// The keystore file every account has unless [`EmulatorBuilder::keystore`] adds others.
pub const DEFAULT_KEYSTORE: &str = "android.keystore";
/// The port the `codearts-emulator` binary listens on by default.
pub const DEFAULT_PORT: u16 = 8937;
/// Finished builds, check runs and pipeline runs kept per job, task and pipeline by default.
pub const DEFAULT_RETAIN: usize = 100;

/// The emulator. Start one with [`Emulator::builder`].
#[derive(Debug)]
pub struct Emulator {
    _private: (),
}

impl Emulator {
    /// A builder with the defaults: one user (`demo`/`demo`/`demo-password`), one key pair
    /// (`EMULATORAK`/`EMULATORSK`), one IAM project (`eu-west-101`), 50 ms steps, the system clock,
    /// and port 0 on 127.0.0.1.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Configures and starts an emulator.
#[derive(Clone)]
pub struct EmulatorBuilder {
    step_duration: Duration,
    retain: usize,
    users: Vec<(String, String, SecretString)>,
    keys: Vec<(String, SecretString)>,
    projects: Vec<(String, String)>,
    keystores: Vec<(String, Vec<u8>)>,
    port: u16,
    clock: Option<ManualClock>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            step_duration: DEFAULT_STEP_DURATION,
            retain: DEFAULT_RETAIN,
            users: Vec::new(),
            keys: Vec::new(),
            projects: Vec::new(),
            keystores: Vec::new(),
            port: 0,
            clock: None,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("step_duration", &self.step_duration)
            .field("retain", &self.retain)
            .field("users", &self.users.iter().map(|(d, n, _)| (d, n)).collect::<Vec<_>>())
            .field("access_keys", &self.keys.iter().map(|(ak, _)| ak).collect::<Vec<_>>())
            .field("iam_projects", &self.projects)
            .field("keystores", &self.keystores.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .field("port", &self.port)
            .field("clock", &self.clock)
            .finish()
    }
}

impl EmulatorBuilder {
    /// How long each build step takes on the emulator's clock (default 50 ms). A build is also
    /// queued this long before its first step.
    /// How many finished builds of one job, runs of one check task and runs of one pipeline the
    /// emulator keeps (default [`DEFAULT_RETAIN`]): the oldest finished ones beyond it are
    /// forgotten, with their logs, so that a long test suite does not grow it without bound. What
    /// is still running is always kept.
    pub fn retain(mut self, finished: usize) -> Self {
        self.retain = finished.max(1);
        self
    }

    pub fn step_duration(mut self, duration: Duration) -> Self {
        self.step_duration = duration;
        self
    }

    /// Adds an IAM user of account (domain) `domain`. The first call replaces the default user; the
    /// first user owns the access keys.
    pub fn user(mut self, domain: impl Into<String>, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((domain.into(), name.into(), SecretString::from(password.into())));
        self
    }

    /// Adds an access key pair, acting as the first user. The first call replaces the default pair.
    pub fn aksk(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.keys.push((ak.into(), SecretString::from(sk.into())));
        self
    }

    /// Adds an IAM project (name, 32-hex ID). The first call replaces the default project; the first
    /// project is the one [`RunningEmulator::config_builder`] uses and whose name the records report
    /// as their region.
    pub fn iam_project(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.projects.push((name.into(), id.into()));
        self
    }

    /// Adds a keystore file that DownloadKeystore serves to every account. The first call replaces
    /// the default `android.keystore`.
    pub fn keystore(mut self, file_name: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.keystores.push((file_name.into(), contents.into()));
        self
    }

    /// The loopback port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Reads the time from `clock` instead of the system clock (signature dates are still checked
    /// against the system clock, which is what the client signs with).
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The state of a new emulator with these settings, for [`router`].
    pub fn state(self) -> EmulatorState {
        let mut users = self.users;
        if users.is_empty() {
            users.push((DEFAULT_DOMAIN.into(), DEFAULT_USER.into(), SecretString::from(DEFAULT_PASSWORD)));
        }
        let users: Vec<User> = users
            .into_iter()
            .map(|(domain, name, password)| User {
                id: hex32(&format!("user/{domain}/{name}")),
                domain_id: hex32(&format!("domain/{domain}")),
                name,
                password,
                domain_name: domain,
            })
            .collect();
        let mut keys = self.keys;
        if keys.is_empty() {
            keys.push((DEFAULT_AK.into(), SecretString::from(DEFAULT_SK)));
        }
        let mut projects = self.projects;
        if projects.is_empty() {
            projects.push((DEFAULT_IAM_PROJECT_NAME.into(), DEFAULT_IAM_PROJECT_ID.into()));
        }
        let mut keystores = self.keystores;
        if keystores.is_empty() {
            keystores.push((DEFAULT_KEYSTORE.into(), demo_keystore()));
        }
        let salt = RandomState::new().build_hasher().finish();
        EmulatorState {
            shared: Arc::new(Shared {
                settings: Settings {
                    step_duration: self.step_duration,
                    retain: self.retain,
                    users,
                    keys: keys.into_iter().map(|(ak, sk)| AccessKey { ak, sk, user: 0 }).collect(),
                    projects: projects.into_iter().map(|(name, id)| IamProject { id, name }).collect(),
                    keystores,
                },
                clock: self.clock.map_or(Clock::System, Clock::Manual),
                data: Mutex::new(Data::default()),
                token_salt: salt,
            }),
        }
    }

    /// Starts the emulator on 127.0.0.1. Fails only when the port cannot be bound.
    pub async fn start(self) -> std::io::Result<RunningEmulator> {
        self.start_with(|router| router).await
    }

    /// Starts the emulator serving `wrap(router(state))`: the hook for layers around the whole
    /// service (fault injection, latency, request logging).
    pub async fn start_with(self, wrap: impl FnOnce(Router) -> Router) -> std::io::Result<RunningEmulator> {
        let port = self.port;
        let state = self.state();
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let app = wrap(router(state.clone()));
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = signal.await;
                })
                .await;
        });
        Ok(RunningEmulator {
            addr,
            base_url: format!("http://{addr}"),
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }
}

/// A few bytes that start like a Java keystore (magic `FEEDFEED`, version 2): the default keystore.
fn demo_keystore() -> Vec<u8> {
    let mut bytes = vec![0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 0];
    bytes.extend_from_slice(b"codearts-emulator demo keystore; not a real key store\n");
    bytes
}

/// A running emulator; it stops when dropped (or on [`RunningEmulator::shutdown`]).
pub struct RunningEmulator {
    addr: SocketAddr,
    base_url: String,
    state: EmulatorState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningEmulator").field("base_url", &self.base_url).field("state", &self.state).finish()
    }
}

impl RunningEmulator {
    /// `http://127.0.0.1:<port>`: the endpoint of every service it serves, and of IAM.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its state.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// The first IAM project's ID.
    pub fn iam_project_id(&self) -> &str {
        &self.state.settings().projects[0].id
    }

    /// A [`ConfigBuilder`] pointed at the emulator: every service's endpoint (Build, Check,
    /// Pipeline, IAM) is its base URL and the IAM project is its first one. Add credentials (such as
    /// [`password_credentials`](Self::password_credentials)) and build.
    pub fn config_builder(&self) -> ConfigBuilder {
        Service::ALL
            .iter()
            .fold(Config::builder(), |b, service| b.endpoint(*service, &self.base_url))
            .iam_project_id(self.iam_project_id())
    }

    /// Password-login credentials of the first user.
    pub fn password_credentials(&self) -> Credentials {
        let user = &self.state.settings().users[0];
        Credentials::password(&user.domain_name, &user.name, user.password.expose_secret())
    }

    /// AK/SK credentials of the first key pair.
    pub fn aksk_credentials(&self) -> Credentials {
        let key = &self.state.settings().keys[0];
        Credentials::aksk(&key.ak, key.sk.expose_secret())
    }

    /// Stops accepting connections, lets requests in flight finish, and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The whole service (IAM and every operation of every CodeArts service the emulator serves) as
/// an axum [`Router`] over `state`, for serving it yourself or wrapping it in layers.
///
/// ```
/// use codearts_emulator::{Emulator, router};
///
/// let app = router(Emulator::builder().state());
/// # let _ = app;
/// ```
pub fn router(state: EmulatorState) -> Router {
    Router::new()
        // IAM
        .route("/v3/auth/tokens", post(iam::create_token))
        .route("/v3/projects", get(iam::list_projects))
        // Every CodeArts operation: routed by the SDK's operation tables (`dispatch`).
        .fallback(serve)
        .layer(DefaultBodyLimit::max(auth::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::gateway))
        .with_state(state)
}

/// The handler of `service`'s operation `id`.
fn handler(service: &codearts::runtime::ServiceMeta, id: &str) -> Option<dispatch::Handler> {
    match service.endpoint {
        Service::Build => build::handler(id),
        Service::Check => check::handler(id),
        Service::Pipeline => pipeline::handler(id),
        _ => None,
    }
}

/// One CodeArts request: routed, checked, handed to its operation's handler.
async fn serve(State(state): State<EmulatorState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(caller) = parts.extensions.get::<auth::Caller>().copied() else {
        return reply::ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            "Incorrect IAM authentication information.",
        )
        .into_response();
    };
    // The gateway has buffered the body already; this only takes it.
    let body = axum::body::to_bytes(body, auth::MAX_BODY_BYTES).await.unwrap_or_default();
    let call = match dispatch::route(&parts.method, parts.uri.path(), parts.uri.query(), &parts.headers, caller, body) {
        Ok(call) => call,
        Err(answer) => return *answer,
    };
    let answer = match handler(call.service, call.op.id) {
        Some(handler) => handler(&state, &call),
        None => Err(reply::ApiError::new(
            axum::http::StatusCode::NOT_IMPLEMENTED,
            "APIGW.0101",
            format!("The emulator does not serve {} yet.", call.op.id),
        )),
    };
    let mut response = answer.unwrap_or_else(IntoResponse::into_response);
    // Success answers carry the content type the spec declares (`application/json;charset=UTF-8`).
    if response.status().is_success()
        && let Some(declared) = call.op.response_content_type.filter(|t| t.starts_with("application/json"))
        && response.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v == "application/json")
        && let Ok(value) = axum::http::HeaderValue::from_str(declared)
    {
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unserved(service: Service) -> Vec<&'static str> {
        dispatch::operations()
            .filter(|(meta, op)| meta.endpoint == service && handler(meta, op.id).is_none())
            .map(|(_, op)| op.id)
            .collect()
    }

    #[test]
    fn every_build_operation_has_a_handler() {
        assert_eq!(unserved(Service::Build), Vec::<&str>::new(), "Build operations the emulator does not serve");
    }

    #[test]
    fn every_check_operation_has_a_handler() {
        assert_eq!(unserved(Service::Check), Vec::<&str>::new(), "Check operations the emulator does not serve");
    }

    #[test]
    fn every_pipeline_operation_has_a_handler() {
        assert_eq!(unserved(Service::Pipeline), Vec::<&str>::new(), "Pipeline operations the emulator does not serve");
    }
}
