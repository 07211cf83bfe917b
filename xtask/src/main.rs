//! `cargo xtask validate` — proves each spec against the reference's own examples and our lint rules.
//! `cargo xtask regen` — rewrites the reviewable snapshot of the generated API in `generated/`.
//! `cargo xtask drift [--update] [--verbose]` — each spec against the pinned API Explorer definitions.
//! `cargo xtask changes [BASE] [--markdown]` — the change log of the specs since BASE, breaking or not.

use codearts_codegen::{self as codegen, errata};
mod changes;
mod drift;
mod lint;
mod pagination;
mod rust_types;
mod schema;
mod surface;

use anyhow::{Context, Result, bail};
use errata::{Erratum, Kind, Location};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("validate") => validate(),
        Some("regen") => regen(),
        Some("test") => test_all(),
        Some("drift") => drift_cmd(&args[1..]),
        Some("changes") => changes::run(&root(), &args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <validate|regen|drift [--update] [--verbose]|changes [BASE] [--markdown]|test>"
            );
            return std::process::ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `cargo xtask drift [--update] [--verbose]`.
fn drift_cmd(args: &[String]) -> Result<()> {
    let root = root();
    let mut verbose = false;
    let mut update = false;
    for a in args {
        match a.as_str() {
            "--verbose" | "-v" => verbose = true,
            "--update" => update = true,
            other => {
                bail!("cargo xtask drift: unknown argument {other:?} (usage: cargo xtask drift [--update] [--verbose])")
            }
        }
    }
    if update {
        drift::update(&root)?;
    }
    drift::run(&root, verbose)
}

fn root() -> PathBuf {
    // The workspace the command runs in: a CARGO_TARGET_DIR shared by several checkouts may hand one
    // of them another's binary, whose CARGO_MANIFEST_DIR is the other checkout.
    let mut dir = std::env::current_dir().unwrap_or_default();
    loop {
        if dir.join("xtask").is_dir() && dir.join("spec").is_dir() {
            return dir;
        }
        if !dir.pop() {
            return Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf();
        }
    }
}

/// Everything CI checks, in the order that fails fastest: the specs (and their drift from the
/// pinned API Explorer definitions), formatting, lints, each
/// service feature on its own, that the SDK compiles no server, then every test of the workspace.
fn test_all() -> Result<()> {
    validate()?;
    drift::run(&root(), false)?;
    let steps: &[&[&str]] = &[
        &["fmt", "--all", "--check"],
        &["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"],
        &["check", "--package", "codearts", "--no-default-features", "--features", "build"],
        &["check", "--package", "codearts", "--no-default-features", "--features", "check"],
        &["check", "--package", "codearts", "--no-default-features", "--features", "pipeline"],
    ];
    for args in steps {
        cargo(args)?;
    }
    no_server_in_the_sdk()?;
    cargo(&["test", "--workspace"])
}

fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("==> cargo {}", args.join(" "));
    let status = std::process::Command::new(&cargo).args(args).current_dir(root()).status()?;
    if !status.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(())
}

/// A downstream `cargo build` of `codearts` with its default features compiles no HTTP server: the
/// emulator and the CLI are crates of their own. Read from `cargo tree -e features` (normal edges).
fn no_server_in_the_sdk() -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let args = ["tree", "--package", "codearts", "--edges", "normal,features", "--prefix", "none", "--format", "{p}"];
    println!("==> cargo {}", args.join(" "));
    let out = std::process::Command::new(&cargo).args(args).current_dir(root()).output()?;
    if !out.status.success() {
        bail!("`cargo tree` failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    // A server is hyper's `server` feature or a server framework. tower-http alone is no sign of one:
    // reqwest 0.13 follows redirects with its client-side `follow-redirect` layer.
    let servers: BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| match l.trim_end_matches(" (*)") {
            "hyper feature \"server\"" => Some("hyper (feature server)"),
            l => l.split_whitespace().next().filter(|name| matches!(*name, "axum" | "codearts-emulator" | "clap")),
        })
        .collect();
    if !servers.is_empty() {
        bail!("the SDK's default build compiles {servers:?}: they belong in the emulator or CLI crates");
    }
    println!("    codearts (default features) depends on no server or CLI crate");
    Ok(())
}

fn regen() -> Result<()> {
    let root = root();
    for service in codegen::SERVICES {
        let spec = codegen::load_spec(&root.join(service.spec)).map_err(anyhow::Error::msg)?;
        let code = codegen::generate(service, &spec).map_err(anyhow::Error::msg)?;
        let out = root.join("generated").join(service.generated_file());
        let old = std::fs::read_to_string(&out).unwrap_or_default();
        if old == code {
            println!("generated/{}: up to date", service.generated_file());
        } else {
            std::fs::write(&out, code).with_context(|| out.display().to_string())?;
            println!("generated/{}: rewritten (review with `git diff generated/`)", service.generated_file());
        }
    }
    Ok(())
}

/// Problems found in one service, reported together so one run shows everything to fix.
#[derive(Default)]
struct Report {
    problems: Vec<String>,
}

impl Report {
    fn push(&mut self, p: impl Into<String>) {
        self.problems.push(p.into());
    }
}

fn validate() -> Result<()> {
    let root = root();
    let mut failed = 0;
    for service in codegen::SERVICES {
        let mut report = Report::default();
        let mut table = validate_service(&root, service, &mut report)?;
        // The generated types (compiled into this binary) against the real specs' examples.
        let spec_path = root.join(service.spec);
        let spec = errata::load_yaml(&spec_path).map_err(anyhow::Error::msg)?;
        let stem = spec_path.file_stem().unwrap_or_default().to_string_lossy().to_string();
        let spec_dir = errata::spec_dir(&spec_path);
        let errata =
            errata::load_errata(&spec_dir.join("errata").join(format!("{stem}.yaml"))).map_err(anyhow::Error::msg)?;
        let types = rust_types::check(
            &spec,
            &spec_dir,
            &rust_types::rust_schemas(service.module),
            &errata,
            &mut report.problems,
        )?;
        table += &format!(
            "  {:<16} {} example documents judged alike by the spec and the generated types ({} inline schemas)\n",
            "rust types", types.compared, types.inline
        );
        print!("{table}");
        if !report.problems.is_empty() {
            failed += report.problems.len();
            for p in &report.problems {
                println!("  FAIL {p}");
            }
        }
        println!();
    }
    if failed > 0 {
        bail!("{failed} problem(s)");
    }
    println!("all specs valid");
    Ok(())
}

fn validate_service(root: &Path, service: &codegen::Service, report: &mut Report) -> Result<String> {
    let spec_path = root.join(service.spec);
    let spec_dir = errata::spec_dir(&spec_path);
    let spec = errata::load_yaml(&spec_path).map_err(anyhow::Error::msg)?;

    // 1. It is an OpenAPI 3.0 document as openapiv3 (and so progenitor) reads it.
    let parsed = codegen::load_spec(&spec_path);
    if let Err(e) = &parsed {
        report.push(format!("openapiv3 cannot parse the spec: {e}"));
    }

    // 2. Our lint rules.
    let stats = lint::lint(&spec, report);
    let paginated = pagination::check(&spec, report);

    // 3. Examples and errata.
    let stem = spec_path.file_stem().unwrap_or_default().to_string_lossy().to_string();
    let errata_path = spec_dir.join("errata").join(format!("{stem}.yaml"));
    let errata = errata::load_errata(&errata_path).map_err(anyhow::Error::msg)?;
    let ex_stats = check_examples(&spec, &spec_dir, service, &errata, report)?;

    // The sources errata still describe what the pinned API Explorer definitions say.
    let sources = drift::Sources::load(root, service.spec)?;
    let found = drift::drift(&sources);
    for p in drift::stale_errata(&sources, &found) {
        report.push(p);
    }

    // 4. The snapshot is what the spec generates now.
    let snapshot = match &parsed {
        // progenitor panics on some invalid inputs (a `default` response with a body): report that
        // as a problem next to the lint that explains it, instead of aborting the run.
        Ok(openapi) => match std::panic::catch_unwind(|| codegen::generate(service, openapi))
            .unwrap_or_else(|_| Err("progenitor panicked on this spec (see the lint problems above)".to_string()))
        {
            Ok(code) => {
                let file = root.join("generated").join(service.generated_file());
                if std::fs::read_to_string(&file).ok().as_deref() == Some(code.as_str()) {
                    "up to date".to_string()
                } else {
                    report.push(format!(
                        "generated/{} is stale: run `cargo xtask regen` and review the diff",
                        service.generated_file()
                    ));
                    "STALE".to_string()
                }
            }
            Err(e) => {
                report.push(e);
                "progenitor failed".to_string()
            }
        },
        Err(_) => "not generated".to_string(),
    };

    let title = spec.pointer("/info/title").and_then(Value::as_str).unwrap_or(&stem);
    let mut out = format!("{title} ({})\n", service.spec);
    let row = |k: &str, v: String| format!("  {k:<16} {v}\n");
    out += &row(
        "operations",
        format!("{}/{} ({} deprecated)", stats.operations, stats.expected_operations, stats.deprecated),
    );
    out += &row(
        "parameters",
        format!(
            "{} (path {}, query {}; {} required)",
            stats.path_params + stats.query_params,
            stats.path_params,
            stats.query_params,
            stats.required_params
        ),
    );
    out += &row("request bodies", format!("{} ({} fields in {} schemas)", stats.bodies, stats.fields, stats.schemas));
    out += &row(
        "examples",
        format!(
            "{}/{} validated ({} as printed, {} after errata); request lines {}/{}",
            ex_stats.validated,
            ex_stats.total,
            ex_stats.clean,
            ex_stats.validated - ex_stats.clean,
            ex_stats.lines_ok,
            stats.operations
        ),
    );
    let kinds: BTreeMap<String, usize> = errata.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(format!("{:?}", e.kind)).or_default() += 1;
        m
    });
    out += &row(
        "errata",
        format!("{} ({})", errata.len(), kinds.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")),
    );
    out += &row(
        "sources errata",
        format!(
            "{} ({} checked against the pinned explorer definitions; drift: {} differences, {} unreconciled)",
            sources.errata.len(),
            drift::checked_count(&sources),
            found.differences.len(),
            found.unreconciled().count()
        ),
    );
    out += &row("repairs", ex_stats.repairs.to_string());
    out += &row("pagination", format!("{paginated} operation(s) declare x-codearts-pagination"));
    out += &row("snapshot", format!("generated/{} {snapshot}", service.generated_file()));
    Ok(out)
}

#[derive(Default)]
struct ExampleStats {
    total: usize,
    validated: usize,
    clean: usize,
    lines_ok: usize,
    repairs: usize,
}

fn check_examples(
    spec: &Value,
    spec_dir: &Path,
    service: &codegen::Service,
    errata: &[Erratum],
    report: &mut Report,
) -> Result<ExampleStats> {
    let mut stats = ExampleStats::default();
    let examples = errata::examples_of(spec);
    let operations = lint::operations(spec);

    // Errata are well-formed and about something that exists.
    let mut ids = BTreeSet::new();
    for e in errata {
        if !ids.insert(e.id.clone()) {
            report.push(format!("erratum {}: duplicate id", e.id));
        }
        if !operations.iter().any(|o| o.id == e.operation) {
            report.push(format!("erratum {}: no operation {}", e.id, e.operation));
        }
        if e.location != Location::RequestLine && !examples.iter().any(|x| e.concerns(x)) {
            report.push(format!("erratum {}: {} has no {:?} example", e.id, e.operation, e.location));
        }
    }

    // Every stored example is referenced by the spec, and every reference has a file.
    let dir = spec_dir.join("examples").join(service.module);
    let referenced: BTreeSet<PathBuf> = examples.iter().map(|x| spec_dir.join(&x.file)).collect();
    for entry in std::fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") && !referenced.contains(&path) {
            report.push(format!("{} is not referenced by any externalValue", path.display()));
        }
    }
    stats.repairs = check_repairs(spec_dir, &dir, report)?;

    for ex in &examples {
        stats.total += 1;
        let path = spec_dir.join(&ex.file);
        let Ok(raw) = std::fs::read_to_string(&path) else {
            report.push(format!("{}: externalValue {} does not exist", ex.operation, ex.file));
            continue;
        };
        let relevant: Vec<&Erratum> = errata.iter().filter(|e| e.concerns(ex)).collect();
        // Each erratum's claim is true of the raw example.
        for e in &relevant {
            if let Err(m) = e.check_fact(&raw) {
                report.push(format!("erratum {} no longer matches {}: {m}", e.id, ex.file));
            }
        }
        if !ex.media_type.contains("json") {
            continue;
        }
        let Some(schema) = spec.pointer(&format!("{}/schema", ex.media_pointer)) else {
            report.push(format!("{}: no schema for {}", ex.operation, ex.file));
            continue;
        };
        let validator = schema::validator(spec, schema)?;
        // As printed: errors here are fine only where an erratum sits.
        let raw_errors = match serde_json::from_str::<Value>(&raw) {
            Ok(doc) => schema::errors(&validator, &doc),
            Err(e) => vec![(String::new(), format!("not JSON: {e}"))],
        };
        for (ptr, msg) in &raw_errors {
            let covered =
                relevant.iter().any(|e| under(ptr, e.pointer.as_deref().unwrap_or("")) || e.kind == Kind::InvalidJson);
            if !covered {
                report.push(format!("{} at {ptr:?}: {msg} — no erratum records this", ex.file));
            }
        }
        // As the spec decided: with follow-table corrections applied it must validate cleanly.
        match errata::corrected_example(errata, ex, &raw, spec_dir) {
            Ok(doc) => {
                let errs = schema::errors(&validator, &doc);
                if errs.is_empty() {
                    stats.validated += 1;
                    if raw_errors.is_empty() {
                        stats.clean += 1;
                    }
                } else {
                    for (ptr, msg) in errs {
                        report.push(format!("{} (after errata) at {ptr:?}: {msg}", ex.file));
                    }
                }
            }
            Err(m) => report.push(m),
        }
    }

    // Example request lines against method, path and query parameters.
    for op in &operations {
        let Some(line) = op.example_request.as_deref() else { continue };
        let mismatches = lint::request_line_mismatches(op, line);
        let line_errata: Vec<&Erratum> =
            errata.iter().filter(|e| e.operation == op.id && e.location == Location::RequestLine).collect();
        for m in &mismatches {
            if !line_errata.iter().any(|e| m.matches(e)) {
                report.push(format!("{}: example request line: {} — no erratum records this", op.id, m.describe()));
            }
        }
        for e in &line_errata {
            if !mismatches.iter().any(|m| m.matches(e)) {
                report.push(format!("erratum {} no longer matches the example request line of {}", e.id, op.id));
            }
        }
        if mismatches.iter().all(|m| line_errata.iter().any(|e| m.matches(e))) {
            stats.lines_ok += 1;
        }
    }
    Ok(stats)
}

fn check_repairs(spec_dir: &Path, dir: &Path, report: &mut Report) -> Result<usize> {
    let path = dir.join("REPAIRS.yaml");
    let repairs = errata::load_yaml(&path).map_err(anyhow::Error::msg)?;
    let list = repairs.as_array().cloned().unwrap_or_default();
    for r in &list {
        let file = r.get("file").and_then(Value::as_str).unwrap_or_default();
        let what = r.get("repair").and_then(Value::as_str).unwrap_or_default();
        if what.is_empty() {
            report.push(format!("{}: a repair without a `repair` description", path.display()));
        }
        if file.starts_with("examples/") && !spec_dir.join(file).exists() {
            report.push(format!("{}: repair names {file}, which does not exist", path.display()));
        }
    }
    Ok(list.len())
}

/// Is JSON pointer `p` at or under `base`?
fn under(p: &str, base: &str) -> bool {
    p == base || (p.starts_with(base) && p[base.len()..].starts_with('/'))
}

#[cfg(test)]
mod tests {
    //! The validator must fail on what it promises to catch. Each test mutates a copy of the real
    //! specs and checks the problem is reported; the pristine copy must pass.

    use super::*;

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// Validates the Build spec in a scratch copy after `mutate`, returning the problems.
    fn problems_after(mutate: impl FnOnce(&Path)) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("spec"), &dir.path().join("spec"));
        copy_dir(&root().join("generated"), &dir.path().join("generated"));
        mutate(dir.path());
        let mut report = Report::default();
        validate_service(dir.path(), &codegen::SERVICES[0], &mut report).unwrap();
        report.problems
    }

    fn edit(root: &Path, file: &str, from: &str, to: &str) {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn assert_reports(problems: &[String], needle: &str) {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "expected a problem containing {needle:?}, got {problems:#?}"
        );
    }

    #[test]
    fn the_real_specs_pass() {
        assert_eq!(problems_after(|_| {}), Vec::<String>::new());
    }

    #[test]
    fn an_unrecorded_field_rename_fails() {
        let p = problems_after(|r| {
            edit(r, "spec/examples/build/4.4-ShowJobStatus.response.json", "\"result\"", "\"results\"")
        });
        assert_reports(&p, "4.4-ShowJobStatus.response.json");
        assert_reports(&p, "no erratum records this");
    }

    #[test]
    fn a_removed_erratum_uncovers_its_mismatch() {
        let p = problems_after(|r| {
            edit(
                r,
                "spec/errata/codearts-build.yaml",
                "pointer: /history_records\n  table: array",
                "pointer: /nowhere\n  table: array",
            )
        });
        assert_reports(&p, "4.1-ShowListPeriodHistory.response.json at \"/history_records\"");
    }

    #[test]
    fn a_stale_erratum_fails() {
        let p = problems_after(|r| {
            let path = r.join("spec/errata/codearts-build.yaml");
            let mut text = std::fs::read_to_string(&path).unwrap();
            text.push_str(
                "- id: bogus\n  section: '4.4'\n  operation: ShowJobStatus\n  location: response\n  kind: shape\n  pointer: /result\n  table: boolean\n  example: string\n  decision: follow-table\n  why: test\n",
            );
            std::fs::write(path, text).unwrap();
        });
        assert_reports(&p, "erratum bogus no longer matches");
    }

    #[test]
    fn an_unrecorded_request_line_mismatch_fails() {
        let p = problems_after(|r| edit(r, "spec/errata/codearts-build.yaml", "kind: method", "kind: path"));
        assert_reports(&p, "ListJobConfig: example request line: method POST where the operation is GET");
    }

    #[test]
    fn pagination_declarations_are_checked() {
        // An undeclared paging operation, a missing parameter and an items path that is no array.
        let p = problems_after(|r| {
            let spec = "spec/codearts-build.yaml";
            edit(
                r,
                spec,
                "      x-codearts-pagination:\n        page: offset\n",
                "      x-removed:\n        page: offset\n",
            );
            edit(r, spec, "page: page_index", "page: page_number");
            edit(r, spec, "items: result.items", "items: result.total_size");
        });
        assert_reports(&p, "ShowListPeriodHistory: has paging parameter(s) offset, limit but no x-codearts-pagination");
        assert_reports(&p, "ShowJobListByProjectId: x-codearts-pagination.page `page_number` is not a query parameter");
        assert_reports(&p, "ListTemplates: x-codearts-pagination.items `result.total_size` is `integer`, not an array");
    }

    #[test]
    fn a_stale_snapshot_fails() {
        let p = problems_after(|r| edit(r, "spec/codearts-build.yaml", "summary: ", "summary: Changed. "));
        assert_reports(&p, "is stale");
    }

    #[test]
    fn lint_rules_fire() {
        let p = problems_after(|r| {
            edit(r, "spec/codearts-build.yaml", "operationId: ShowJobStatus", "operationId: ShowListHistory");
            edit(
                r,
                "spec/codearts-build.yaml",
                "  schemas:\n",
                "  schemas:\n    Orphan:\n      type: object\n      properties:\n        a: {type: string}\n",
            );
        });
        assert_reports(&p, "collides with");
        assert_reports(&p, "component schemas/Orphan is not used");
    }

    #[test]
    fn auth_headers_and_default_bodies_are_rejected() {
        let p = problems_after(|r| {
            edit(
                r,
                "spec/codearts-build.yaml",
                "      parameters:\n",
                "      parameters:\n      - name: X-Auth-Token\n        in: header\n        required: true\n        schema: {type: string}\n",
            );
            edit(
                r,
                "spec/codearts-build.yaml",
                "      responses:\n",
                "      responses:\n        default:\n          $ref: '#/components/responses/BadRequest'\n",
            );
        });
        assert_reports(&p, "header X-Auth-Token is authentication's");
        assert_reports(&p, "a `default` response with a body");
    }

    #[test]
    fn example_ids_are_checked_against_their_formats() {
        // A job ID one character short in a path, an uppercase tenant ID in a query.
        let p = problems_after(|r| {
            let spec = "spec/codearts-build.yaml";
            edit(
                r,
                spec,
                "jobs/901878212b1a49be9c1a1054c272762a/status",
                "jobs/901878212b1a49be9c1a1054c272762/status",
            );
            edit(r, spec, "domain_id=60021bab32fd450aa2cb89226f425e06", "domain_id=60021BAB32FD450AA2CB89226F425E06");
        });
        assert_reports(
            &p,
            "ShowJobStatus: example request line: parameter job_id is \"901878212b1a49be9c1a1054c272762\", which does \
             not have its documented format (^[0-9a-zA-Z]{32}$, minLength 32, maxLength 32) — no erratum records this",
        );
        assert_reports(
            &p,
            "DownloadKeystore: example request line: parameter domain_id is \"60021BAB32FD450AA2CB89226F425E06\"",
        );
    }

    #[test]
    fn an_example_id_mismatch_needs_an_erratum_and_the_erratum_a_mismatch() {
        let erratum = "- id: test-job_id-value\n  section: '4.4'\n  operation: ShowJobStatus\n  location: request-line\n  \
                       kind: value\n  pointer: /job_id\n  table: 32 letters and digits\n  \
                       example: 901878212b1a49be9c1a1054c272762\n  decision: follow-table\n  why: test\n";
        let append = |r: &Path| {
            let path = r.join("spec/errata/codearts-build.yaml");
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(path, text + erratum).unwrap();
        };
        let recorded = problems_after(|r| {
            edit(
                r,
                "spec/codearts-build.yaml",
                "jobs/901878212b1a49be9c1a1054c272762a/status",
                "jobs/901878212b1a49be9c1a1054c272762/status",
            );
            append(r);
        });
        assert_eq!(recorded, Vec::<String>::new());
        let stale = problems_after(append);
        assert_reports(&stale, "erratum test-job_id-value no longer matches the example request line of ShowJobStatus");
    }

    #[test]
    fn parameter_format_rules_fire() {
        let p = problems_after(|r| {
            let spec = "spec/codearts-build.yaml";
            // One job_id loses its pattern, the tenant ID's pattern loses its anchors, the template
            // UUID may be empty and the permission entry ID loses its reason for having no pattern.
            edit(r, spec, "          pattern: ^[0-9a-zA-Z]{32}$\n", "");
            edit(r, spec, "pattern: ^[0-9a-z]{32}$", "pattern: '[0-9a-z]{32}'");
            edit(
                r,
                spec,
                "          minLength: 1\n          x-codearts-format: template UUID",
                "          x-codearts-format: template UUID",
            );
            edit(
                r,
                spec,
                "x-codearts-no-pattern: The API Explorer definition describes it only as the file permission",
                "x-codearts-why: The API Explorer definition describes it only as the file permission",
            );
        });
        assert_reports(
            &p,
            "ShowListPeriodHistory: parameter job_id: an ID path parameter needs the reference's format",
        );
        assert_reports(&p, "parameter job_id: format");
        assert_reports(&p, "DownloadKeystore: parameter domain_id: pattern \"[0-9a-z]{32}\" must be anchored");
        assert_reports(&p, "DeleteTemplates: parameter uuid: a string path parameter needs minLength 1");
        assert_reports(&p, "DeleteKeystorePermission: parameter permission_id: an ID path parameter needs");
    }

    #[test]
    fn a_sources_erratum_the_pinned_definition_contradicts_fails() {
        // DeleteBuildJob-job_id-format records the explorer's lowercase-only pattern; the vendor widens it.
        let p = problems_after(|r| {
            edit(r, "spec/vendor/explorer/codearts-build/DeleteBuildJob.json", "^[0-9a-z]{32}$", "^[0-9a-zA-Z]{32}$")
        });
        assert_reports(&p, "sources erratum DeleteBuildJob-job_id-format: the pinned explorer definition does not say");
        assert_eq!(p.len(), 1, "{p:#?}");
    }

    #[test]
    fn an_unreferenced_example_file_fails() {
        let p = problems_after(|r| std::fs::write(r.join("spec/examples/build/stray.json"), "{}").unwrap());
        assert_reports(&p, "stray.json is not referenced");
    }
}
