//! One command per operation of every spec: `codearts <service> <operation-in-kebab-case>`, built
//! at run time from the table `build.rs` derives from the specs (so a new operation is a new
//! command without code), and run through the SDK's by-name calls (`codearts::dynamic`) and
//! paginators (`codearts::paginate::ByName`).
//!
//! Flags: one per path and query parameter (its name in kebab case; required ones enforced by
//! clap), one per scalar field of a JSON body (`--body FILE|-` takes the whole body, and the field
//! flags override its fields), one per field of a form (`--file PATH` for files). A parameter
//! whose name another flag already has gets a `param-` prefix, a body field a `body-` prefix. A body
//! is checked against the operation's schema before anything is sent. List operations take
//! `--page N` and `--page-size N` (mapped onto the vendor's own paging parameters, whatever they
//! are called and counted from), `--all` to walk every page and `--limit N` to stop early.
//! Downloads go to `-o FILE` or stdout.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use clap::{Arg, ArgAction, ArgMatches, Command};
use codearts::dynamic::{Answer, Callable, Input};
use codearts::paginate::ByName;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;

use crate::error::{CliError, io};
use crate::output::Output;

/// One operation, as `build.rs` describes it.
#[derive(Debug, Deserialize)]
pub struct Op {
    pub service: String,
    pub id: String,
    pub command: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub deprecated: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub struct Param {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub help: String,
    pub kind: String,
    pub values: Vec<String>,
    pub default: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Body {
    /// `json`, `form` or `bytes`.
    pub format: String,
    pub media_type: String,
    pub required: bool,
    /// The body's JSON type (`object`, `array`, `string`).
    pub top_level: String,
    pub fields: Vec<Field>,
    /// The body's JSON Schema, referring into the service's definitions.
    pub schema: Value,
}

#[derive(Debug, Deserialize)]
pub struct Field {
    pub name: String,
    pub required: bool,
    pub help: String,
    /// `string`, `integer`, `number`, `boolean`, `array` (of scalars) or `file`.
    pub kind: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Paging {
    /// A query parameter, or `body.<field>`.
    pub page: String,
    pub size: String,
    /// Dotted path of the items in the answer.
    pub items: String,
    /// The page position counts items, not pages.
    pub offset: bool,
    pub first_page: u64,
    pub max_size: Option<u32>,
}

/// Every operation of every service.
pub static OPERATIONS: LazyLock<Vec<Op>> = LazyLock::new(|| {
    serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/operations.json")))
        .expect("build.rs writes a valid operation table")
});

/// The services, with the title their command shows.
pub const SERVICES: &[(&str, &str)] = &[
    ("build", "CodeArts Build: build jobs, builds, logs, keystores, templates."),
    ("check", "CodeArts Check: code-check tasks, defects, rule sets."),
    ("pipeline", "CodeArts Pipeline: pipelines, runs, templates, rules, plug-ins."),
];

fn definitions(service: &str) -> &'static str {
    match service {
        "build" => include_str!(concat!(env!("OUT_DIR"), "/definitions-build.json")),
        "check" => include_str!(concat!(env!("OUT_DIR"), "/definitions-check.json")),
        _ => include_str!(concat!(env!("OUT_DIR"), "/definitions-pipeline.json")),
    }
}

/// The operation behind `codearts <service> <command>`.
pub fn find(service: &str, command: &str) -> Option<&'static Op> {
    OPERATIONS.iter().find(|o| o.service == service && o.command == command)
}

/// Where a flag's value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Param(usize),
    Field(usize),
}

/// Flags every per-operation command may define itself, besides the operation's own.
const OWN_FLAGS: &[&str] = &["body", "all", "limit", "page", "page-size", "output-file", "help"];

/// The operation's flags: (long name, where its value goes). Deterministic, so building the
/// command and reading its matches agree.
fn flags(op: &Op, reserved: &BTreeSet<String>) -> Vec<(String, Target)> {
    let mut taken: BTreeSet<String> = reserved.clone();
    taken.extend(OWN_FLAGS.iter().map(|s| s.to_string()));
    let mut out = Vec::new();
    let paging_names: Vec<&str> = op.paging.iter().flat_map(|p| [p.page.as_str(), p.size.as_str()]).collect();
    for (i, p) in op.params.iter().enumerate() {
        if paging_names.contains(&p.name.as_str()) {
            continue;
        }
        let kebab = heck::ToKebabCase::to_kebab_case(p.name.as_str());
        let name = if taken.contains(&kebab) { format!("param-{kebab}") } else { kebab };
        taken.insert(name.clone());
        out.push((name, Target::Param(i)));
    }
    if let Some(body) = &op.body
        && body.top_level == "object"
    {
        for (i, f) in body.fields.iter().enumerate() {
            if paging_names.contains(&format!("body.{}", f.name).as_str()) {
                continue;
            }
            let kebab = heck::ToKebabCase::to_kebab_case(f.name.as_str());
            let name = if taken.contains(&kebab) { format!("body-{kebab}") } else { kebab };
            if taken.contains(&name) {
                continue;
            }
            taken.insert(name.clone());
            out.push((name, Target::Field(i)));
        }
    }
    out
}

fn help_of(text: &str, values: &[String], default: Option<&str>) -> (String, String) {
    let short = text.split(". ").next().unwrap_or(text).trim_end_matches('.').to_string();
    let mut long = text.to_string();
    if !values.is_empty() {
        long.push_str(&format!(" [values: {}]", values.join(", ")));
    }
    if let Some(d) = default {
        long.push_str(&format!(" [default on the service: {d}]"));
    }
    (short, long)
}

fn value_arg(name: &str, kind: &str, help: (String, String)) -> Arg {
    let mut arg = Arg::new(name.to_string()).long(name.to_string()).help(help.0).long_help(help.1);
    arg = match kind {
        "integer" => arg.value_name("N").value_parser(clap::value_parser!(i64)),
        "number" => arg.value_name("X").value_parser(clap::value_parser!(f64)),
        "boolean" => arg.value_name("BOOL").value_parser(clap::value_parser!(bool)),
        "array" => arg.value_name("A,B").action(ArgAction::Append).value_delimiter(','),
        "file" => arg.value_name("PATH").value_parser(clap::value_parser!(std::path::PathBuf)),
        _ => arg.value_name("VALUE"),
    };
    arg
}

/// The clap command of `op`. `reserved`: the long names of the global flags.
pub fn command(op: &'static Op, reserved: &BTreeSet<String>, order: usize) -> Command {
    let mut about = op.summary.clone();
    if op.deprecated {
        about = format!("[deprecated] {about}");
    }
    let long_about =
        format!("{}\n\n{}\n\nVendor operation: {} ({} {}).", op.summary, op.description, op.id, op.method, op.path);
    let mut cmd = Command::new(op.command.clone()).about(about).long_about(long_about).display_order(order);
    for (name, target) in flags(op, reserved) {
        let arg = match target {
            Target::Param(i) => {
                let p = &op.params[i];
                let required = p.required || p.location == "path";
                value_arg(&name, &p.kind, help_of(&p.help, &p.values, p.default.as_deref())).required(required)
            }
            Target::Field(i) => {
                let body = op.body.as_ref().expect("fields belong to a body");
                let f = &body.fields[i];
                let help = help_of(&f.help, &f.values, None);
                let arg = value_arg(
                    &name,
                    &f.kind,
                    (format!("Body: {}", help.0), format!("Body field `{}`: {}", f.name, help.1)),
                );
                match (body.format.as_str(), f.required) {
                    ("form", true) => arg.required(true),
                    (_, true) => arg.required_unless_present("body"),
                    _ => arg,
                }
            }
        };
        cmd = cmd.arg(arg);
    }
    if let Some(body) = &op.body
        && body.format != "form"
    {
        let what = if body.format == "json" {
            format!(
                "The request body as JSON, from FILE or `-` (stdin); checked against {}'s schema before sending.",
                op.id
            )
        } else {
            format!("The request body ({}), from FILE or `-` (stdin).", body.media_type)
        };
        let no_fields = body.fields.iter().all(|f| !f.required) || body.top_level != "object";
        cmd = cmd.arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE|-")
                .help(what)
                .required(body.required && no_fields && (body.top_level != "object" || body.fields.is_empty())),
        );
    }
    if let Some(paging) = &op.paging {
        cmd = cmd
            .arg(
                Arg::new("page")
                    .long("page")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .help(format!("Page number, from 1 (sets the vendor's `{}`)", paging.page)),
            )
            .arg(
                Arg::new("page-size")
                    .long("page-size")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u32).range(1..))
                    .help(format!(
                        "Items per page (the vendor's `{}`; at most {})",
                        paging.size,
                        paging.max_size.map_or("the service's limit".to_string(), |m| m.to_string())
                    )),
            )
            .arg(
                Arg::new("all")
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .conflicts_with("page")
                    .help("Walk every page and print every item"),
            )
            .arg(
                Arg::new("limit")
                    .long("limit")
                    .value_name("N")
                    .value_parser(clap::value_parser!(usize))
                    .requires("all")
                    .help("With --all: stop after N items"),
            );
    }
    if is_download(op) {
        cmd = cmd.arg(
            Arg::new("output-file")
                .short('o')
                .long("output-file")
                .value_name("FILE")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("Write the download to FILE instead of stdout"),
        );
    }
    cmd
}

fn is_download<O: std::ops::Deref<Target = Op>>(op: O) -> bool {
    find_meta(&op).is_some_and(|m| m.download)
}

fn find_meta(op: &Op) -> Option<&'static codearts::runtime::OperationMeta> {
    let service: &'static codearts::runtime::ServiceMeta = match op.service.as_str() {
        "build" => &codearts::build::operations::SERVICE,
        "check" => &codearts::check::operations::SERVICE,
        _ => &codearts::pipeline::operations::SERVICE,
    };
    service.operations.iter().find(|m| m.id == op.id)
}

/// Adds the per-operation commands to each service's command of `cli` (creating the service's
/// command where no hand-written one exists). Hand-written commands keep their names.
pub fn augment(mut cli: Command) -> Command {
    let reserved: BTreeSet<String> = cli.get_arguments().filter_map(|a| a.get_long().map(str::to_string)).collect();
    for (service, about) in SERVICES {
        if cli.find_subcommand(service).is_none() {
            cli = cli.subcommand(Command::new(*service).about(*about).subcommand_required(true));
        }
        let reserved = reserved.clone();
        cli = cli.mut_subcommand(*service, move |mut svc| {
            let hand_written: BTreeSet<String> = svc.get_subcommands().map(|c| c.get_name().to_string()).collect();
            for (i, op) in OPERATIONS.iter().filter(|o| o.service == *service).enumerate() {
                if hand_written.contains(&op.command) {
                    continue;
                }
                svc = svc.subcommand(command(op, &reserved, 1000 + i));
            }
            svc.after_help(
                "The commands in lower case with hyphens call one operation each, named after the \
                 vendor's operation (run-job = RunJob); the first ones are workflows.",
            )
        });
    }
    cli
}

/// A usage error (exit status 2): nothing was sent.
fn usage(message: String) -> CliError {
    CliError::Usage(message)
}

/// The dynamic input of `op` from its matches.
fn input(op: &Op, matches: &ArgMatches, reserved: &BTreeSet<String>) -> Result<Input, CliError> {
    let mut input = Input::new();
    let mut fields = Map::new();
    for (name, target) in flags(op, reserved) {
        match target {
            Target::Param(i) => {
                if let Some(v) = arg_text(matches, &name, &op.params[i].kind) {
                    input = input.arg(&op.params[i].name, v);
                }
            }
            Target::Field(i) => {
                let f = &op.body.as_ref().expect("a body").fields[i];
                if let Some(v) = arg_json(matches, &name, &f.kind) {
                    fields.insert(f.name.clone(), v);
                }
            }
        }
    }
    let Some(body) = &op.body else { return Ok(input) };
    match body.format.as_str() {
        "form" => {
            let mut form = codearts::multipart::Form::new();
            for (name, target) in flags(op, reserved) {
                let Target::Field(i) = target else { continue };
                let f = &body.fields[i];
                if f.kind == "file" {
                    if let Some(path) = matches.get_one::<std::path::PathBuf>(&name) {
                        let data = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
                        let file_name =
                            path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| f.name.clone());
                        form = form.file(&f.name, file_name, data);
                    }
                } else if let Some(v) = fields.get(&f.name) {
                    form = form.text(&f.name, v.as_str().map_or_else(|| v.to_string(), str::to_string));
                }
            }
            input = input.form(form);
        }
        "bytes" => {
            if let Some(source) = matches.get_one::<String>("body") {
                input.bytes = Some(read_source(source)?.into());
            }
        }
        _ => {
            let mut doc = match matches.get_one::<String>("body") {
                Some(source) => {
                    let bytes = read_source(source)?;
                    serde_json::from_slice::<Value>(&bytes)
                        .map_err(|e| usage(format!("--body {source}: not JSON: {e}")))?
                }
                None if fields.is_empty() && !body.required => return Ok(input),
                None => Value::Object(Map::new()),
            };
            if !fields.is_empty() {
                let Value::Object(obj) = &mut doc else {
                    return Err(usage(format!("{}'s body is not an object: give it whole with --body", op.id)));
                };
                obj.extend(fields);
            }
            check_body(op, body, &doc)?;
            input = input.body(doc);
        }
    }
    Ok(input)
}

fn read_source(source: &str) -> Result<Vec<u8>, CliError> {
    if source == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map_err(io("reading the body from stdin"))?;
        Ok(buf)
    } else {
        std::fs::read(source).map_err(io(format!("reading {source}")))
    }
}

/// The body against the operation's schema: the first problem, naming where it is.
fn check_body(op: &Op, body: &Body, doc: &Value) -> Result<(), CliError> {
    let mut root = match &body.schema {
        Value::Object(m) => m.clone(),
        _ => return Ok(()),
    };
    let defs: Value = serde_json::from_str(definitions(&op.service)).unwrap_or(Value::Null);
    if let Some(d) = defs.get("definitions") {
        root.insert("definitions".into(), d.clone());
    }
    root.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    let validator = jsonschema::draft7::new(&Value::Object(root))
        .map_err(|e| CliError::Unexpected(format!("{}'s schema does not compile: {e}", op.id)))?;
    let place = |e: &jsonschema::ValidationError| {
        let at = e.instance_path().to_string();
        if at.is_empty() { "the body".to_string() } else { format!("body field {at}") }
    };
    let mut unlisted = Vec::new();
    for e in validator.iter_errors(doc) {
        // A value the spec does not list is sent anyway, with a warning: the SDK's enums accept
        // values the vendor adds later, and so does the command line.
        if matches!(e.kind(), jsonschema::error::ValidationErrorKind::Enum { .. }) {
            unlisted.push(format!("{} {e}", place(&e)));
            continue;
        }
        return Err(usage(format!("{} does not fit {}'s schema: {e}; nothing was sent", place(&e), op.id)));
    }
    for warning in unlisted {
        eprintln!("warning: {warning} (sending it anyway)");
    }
    Ok(())
}

fn arg_text(matches: &ArgMatches, name: &str, kind: &str) -> Option<String> {
    match kind {
        "integer" => matches.get_one::<i64>(name).map(i64::to_string),
        "number" => matches.get_one::<f64>(name).map(f64::to_string),
        "boolean" => matches.get_one::<bool>(name).map(bool::to_string),
        "array" => matches.get_many::<String>(name).map(|v| v.cloned().collect::<Vec<_>>().join(",")),
        "file" => None,
        _ => matches.get_one::<String>(name).cloned(),
    }
}

fn arg_json(matches: &ArgMatches, name: &str, kind: &str) -> Option<Value> {
    match kind {
        "integer" => matches.get_one::<i64>(name).map(|v| json!(v)),
        "number" => matches.get_one::<f64>(name).map(|v| json!(v)),
        "boolean" => matches.get_one::<bool>(name).map(|v| json!(v)),
        "array" => matches.get_many::<String>(name).map(|v| json!(v.cloned().collect::<Vec<_>>())),
        "file" => None,
        _ => matches.get_one::<String>(name).map(|v| json!(v)),
    }
}

/// Sets the page position and size of one page (`--page`, `--page-size`) in the input: always when
/// the operation requires them (page 1 of the largest size the reference allows, up to 100), else
/// only when given.
fn set_page(op: &Op, paging: &Paging, matches: &ArgMatches, mut input: Input) -> Input {
    let page = matches.get_one::<u64>("page").copied();
    let size = matches.get_one::<u32>("page-size").copied();
    let required = op.params.iter().any(|p| p.required && (p.name == paging.page || p.name == paging.size));
    if page.is_none() && size.is_none() && !required {
        return input;
    }
    let size_value = size.unwrap_or_else(|| paging.max_size.unwrap_or(100).clamp(1, 100));
    let n = page.unwrap_or(1);
    let position = if paging.offset { (n - 1) * u64::from(size_value) } else { paging.first_page + n - 1 };
    let mut set = |name: &str, value: Value| match name.strip_prefix("body.") {
        Some(field) => {
            let mut body = input.body.take().unwrap_or_else(|| json!({}));
            if let Value::Object(m) = &mut body {
                m.insert(field.to_string(), value);
            }
            input.body = Some(body);
        }
        None => {
            let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            input = std::mem::take(&mut input).arg(name, text);
        }
    };
    set(&paging.page, json!(position));
    set(&paging.size, json!(size_value));
    input
}

/// Runs the per-operation command `op`.
pub async fn run(
    global: &crate::args::GlobalArgs,
    out: &Output,
    op: &'static Op,
    matches: &ArgMatches,
    reserved: &BTreeSet<String>,
) -> Result<(), CliError> {
    let mut input = input(op, matches, reserved)?;
    let all = matches.try_get_one::<bool>("all").ok().flatten().copied().unwrap_or(false);
    if let Some(paging) = &op.paging
        && !all
    {
        input = set_page(op, paging, matches, input);
    }
    let config = crate::config::load(global)?;
    let run = Invocation { op, input, matches, out, all };
    match op.service.as_str() {
        "build" => {
            let client = codearts::build::Client::from_config(&config)?;
            run.call(&client, codearts::build::operations::CALLABLE, codearts::build::operations::PAGINATED).await
        }
        "check" => {
            let client = codearts::check::Client::from_config(&config)?;
            run.call(&client, codearts::check::operations::CALLABLE, codearts::check::operations::PAGINATED).await
        }
        _ => {
            let client = codearts::pipeline::Client::from_config(&config)?;
            run.call(&client, codearts::pipeline::operations::CALLABLE, codearts::pipeline::operations::PAGINATED).await
        }
    }
}

/// One run of a per-operation command, ready to send.
struct Invocation<'a> {
    op: &'static Op,
    input: Input,
    matches: &'a ArgMatches,
    out: &'a Output,
    all: bool,
}

impl Invocation<'_> {
    async fn call<C>(
        self,
        client: &C,
        callables: &'static [Callable<C>],
        paginated: &'static [ByName<C>],
    ) -> Result<(), CliError> {
        let Invocation { op, input, matches, out, all } = self;
        if all {
            let by_name = paginated
                .iter()
                .find(|p| p.paging.operation == op.id)
                .ok_or_else(|| CliError::Unexpected(format!("{} has no paginator", op.id)))?;
            let limit = matches.get_one::<usize>("limit").copied();
            let size = matches.get_one::<u32>("page-size").copied().unwrap_or_else(|| by_name.paging.default_size());
            let mut pages = (by_name.pages)(client, &input, size).map_err(usage_or_api)?;
            let mut items = Vec::new();
            let spinner = out.spinner(format!("{}: reading pages", op.id));
            while let Some(page) = pages.next().await {
                items.extend(page?.items);
                if let Some(bar) = &spinner {
                    bar.set_message(format!("{}: {} items", op.id, items.len()));
                }
                if limit.is_some_and(|l| items.len() >= l) {
                    break;
                }
            }
            drop(spinner);
            if let Some(l) = limit {
                items.truncate(l);
            }
            return out.answer(&Value::Array(items), None);
        }
        let callable = callables
            .iter()
            .find(|c| c.operation.id == op.id)
            .ok_or_else(|| CliError::Unexpected(format!("{} is not callable", op.id)))?;
        let spinner = out.spinner(format!("{} …", op.id));
        let answer = (callable.call)(client, &input).await.map_err(usage_or_api);
        drop(spinner);
        match answer? {
            Answer::Json(value) => out.answer(&value, op.paging.as_ref().map(|p| p.items.as_str())),
            Answer::Download(stream) => {
                download(op, stream, matches.get_one::<std::path::PathBuf>("output-file"), out).await
            }
        }
    }
}

/// An invalid input the SDK found before sending is a usage error (exit 2); anything else is an
/// API error.
fn usage_or_api(e: codearts::Error) -> CliError {
    if e.kind() == codearts::ErrorKind::InvalidInput && e.attempts() == 0 {
        CliError::Usage(format!("{e}; nothing was sent"))
    } else {
        CliError::Api(e)
    }
}

async fn download(
    op: &Op,
    mut stream: codearts::build::ByteStream,
    file: Option<&std::path::PathBuf>,
    out: &Output,
) -> Result<(), CliError> {
    let mut sink: Box<dyn tokio::io::AsyncWrite + Unpin> = match file {
        Some(path) => {
            Box::new(tokio::fs::File::create(path).await.map_err(io(format!("creating {}", path.display())))?)
        }
        None => Box::new(tokio::io::stdout()),
    };
    let bar = out.byte_counter(op.id.clone());
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| CliError::Unexpected(format!("{}: the download broke off: {e}", op.id)))?;
        total += chunk.len() as u64;
        sink.write_all(&chunk).await.map_err(io("writing the download"))?;
        if let Some(bar) = &bar {
            bar.set_position(total);
        }
    }
    sink.flush().await.map_err(io("writing the download"))?;
    drop(bar);
    if let Some(path) = file {
        eprintln!("saved {total} bytes to {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_every_spec_is_a_command_with_a_flag_per_parameter() {
        let tree = crate::command_tree();
        // clap's own consistency checks over the whole tree (duplicate flags, bad requirements).
        tree.clone().debug_assert();
        let services: [(&str, &[codearts::runtime::OperationMeta], &[codearts::validate::Parameter]); 3] = [
            ("build", codearts::build::operations::OPERATIONS, codearts::build::operations::PARAMETERS),
            ("check", codearts::check::operations::OPERATIONS, codearts::check::operations::PARAMETERS),
            ("pipeline", codearts::pipeline::operations::OPERATIONS, codearts::pipeline::operations::PARAMETERS),
        ];
        let mut count = 0;
        for (name, operations, parameters) in services {
            let service = tree.find_subcommand(name).unwrap_or_else(|| panic!("no `codearts {name}`"));
            for meta in operations {
                let command = heck::ToKebabCase::to_kebab_case(meta.id);
                let sub = service
                    .find_subcommand(&command)
                    .unwrap_or_else(|| panic!("no `codearts {name} {command}` for {}", meta.id));
                count += 1;
                let op = find(name, &command).expect("in the table");
                let longs: Vec<&str> = sub.get_arguments().filter_map(|a| a.get_long()).collect();
                for p in parameters.iter().filter(|p| p.operation == meta.id) {
                    let paged = op.paging.as_ref().is_some_and(|g| g.page == p.name || g.size == p.name);
                    let kebab = heck::ToKebabCase::to_kebab_case(p.name);
                    let expected = if paged { "page".to_string() } else { kebab.clone() };
                    assert!(
                        longs.contains(&expected.as_str()) || longs.contains(&format!("param-{kebab}").as_str()),
                        "{}: no flag for {} among {longs:?}",
                        meta.id,
                        p.name
                    );
                }
            }
        }
        assert_eq!(count, OPERATIONS.len());
        assert!(count >= 270, "{count}");
    }

    #[test]
    fn a_parameter_named_like_a_global_or_own_flag_is_prefixed() {
        let reserved: BTreeSet<String> = ["region".to_string()].into();
        let op = Op {
            service: "build".into(),
            id: "X".into(),
            command: "x".into(),
            method: "GET".into(),
            path: "/x".into(),
            summary: String::new(),
            description: String::new(),
            deprecated: false,
            params: ["region", "all", "job_id"]
                .iter()
                .map(|n| Param {
                    name: n.to_string(),
                    location: "query".into(),
                    required: false,
                    help: String::new(),
                    kind: "string".into(),
                    values: Vec::new(),
                    default: None,
                })
                .collect(),
            body: None,
            paging: None,
        };
        let names: Vec<String> = flags(&op, &reserved).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["param-region", "param-all", "job-id"]);
    }
}
