//! `cargo xtask changes [BASE] [--markdown]`: what changed in the specs since `BASE` (default: the
//! last `v*` tag, else the first commit), per service and operation, each change marked breaking or
//! not for the Rust API the generator emits, and the version bump that calls for.
//!
//! The rules follow what the generator emits (spec/README.md, "Conventions"): types are
//! `#[non_exhaustive]` with builders and `new(required…)`, string enums are `#[non_exhaustive]`
//! with an `Unknown(String)` catch-all, operations are builder methods that check required
//! parameters when sent. So an added operation, optional parameter, optional field, enum value or
//! paginator breaks no caller; a removed operation, parameter or field, a retype, a renamed type, a
//! new required parameter or field, and a field whose required flag flips (`T` ↔ `Option<T>`, and
//! `new(…)` gains or loses an argument) do.

use crate::surface::{self, Change, Compare, Difference, Surface};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

pub const COMPARE: Compare = Compare {
    names: true,
    strict_widths: true,
    response_required: true,
    closedness: true,
    statuses_within: false,
    extensions: true,
};

/// Where a change goes in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Breaking,
    Added,
    Deprecated,
    Changed,
}

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Breaking => "Breaking",
            Section::Added => "Added",
            Section::Deprecated => "Deprecated",
            Section::Changed => "Changed (not breaking)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub op: String,
    pub section: Section,
    pub breaking: bool,
    /// One line, without the operation.
    pub text: String,
    pub difference: Difference,
}

/// One service's changes.
pub struct ServiceChanges {
    pub title: String,
    pub module: String,
    pub entries: Vec<Entry>,
}

/// Whether a difference breaks the generated Rust API, and which section it belongs to.
pub fn classify(d: &Difference, new: &Surface) -> (bool, Section) {
    let param_or_body = d.in_parameters() || d.pointer == "/request" || d.pointer == "/response";
    let required_now = new.ops.get(&d.op).and_then(|o| o.items.get(&d.pointer)).is_some_and(|i| i.required);
    let closed_now = new.ops.get(&d.op).and_then(|o| o.items.get(&d.pointer)).is_some_and(|i| i.closed);
    match d.change {
        Change::OperationAdded => (false, Section::Added),
        Change::OperationRemoved => (true, Section::Breaking),
        Change::Deprecated => (false, Section::Deprecated),
        Change::Undeprecated | Change::Moved | Change::Status => (false, Section::Changed),
        Change::Paginated => (false, Section::Added),
        Change::Unpaginated => (true, Section::Breaking),
        // JSON, multipart and octet-stream bodies are set and read by different generated methods.
        Change::Media => {
            let kind = |m: &str| m.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if kind(&d.before) == kind(&d.after) { (false, Section::Changed) } else { (true, Section::Breaking) }
        }
        Change::Added if required_now => (true, Section::Breaking),
        Change::Added => (false, Section::Added),
        Change::Removed => (true, Section::Breaking),
        Change::MadeRequired => (true, Section::Breaking),
        // A parameter or a body that may now be left out: every call that sets it still compiles and
        // sends the same. A field becomes `Option<T>` and leaves `new(…)`.
        Change::MadeOptional if param_or_body => (false, Section::Changed),
        Change::MadeOptional => (true, Section::Breaking),
        Change::Retyped | Change::Renamed | Change::EnumOpened | Change::EnumClosed => (true, Section::Breaking),
        Change::ValuesAdded => (false, Section::Added),
        // Removing a variant breaks a closed enum; documented values of a string are prose.
        Change::ValuesRemoved if closed_now => (true, Section::Breaking),
        Change::ValuesRemoved => (false, Section::Changed),
    }
}

/// `/parameters/query/limit` → query parameter `limit`; `/request/scms/0/url` → request field
/// `scms[].url`; `/response/map/*` → response field `map{}`.
pub fn place(pointer: &str) -> String {
    if let Some(rest) = pointer.strip_prefix("/parameters/") {
        let (loc, name) = rest.split_once('/').unwrap_or((rest, ""));
        return format!("{loc} parameter `{name}`");
    }
    let (body, rest) = match pointer.strip_prefix("/request") {
        Some(r) => ("request", r),
        None => ("response", pointer.strip_prefix("/response").unwrap_or(pointer)),
    };
    if rest.is_empty() {
        return format!("{body} body");
    }
    let mut name = String::new();
    for token in rest.trim_start_matches('/').split('/') {
        match token {
            "0" => name += "[]",
            "*" => name += "{}",
            t => {
                if !name.is_empty() {
                    name.push('.');
                }
                name += &t.replace("~1", "/").replace("~0", "~");
            }
        }
    }
    if name.starts_with("[]") || name.starts_with("{}") {
        format!("{body} items `{name}`")
    } else {
        format!("{body} field `{name}`")
    }
}

fn text(d: &Difference) -> String {
    let at = place(&d.pointer);
    match d.change {
        Change::OperationAdded => format!("new operation ({})", d.after),
        Change::OperationRemoved => format!("operation removed (was {})", d.before),
        Change::Deprecated => "deprecated".into(),
        Change::Undeprecated => "no longer deprecated".into(),
        Change::Paginated => "paginated (`into_paginator()`)".into(),
        Change::Unpaginated => "no longer paginated (`into_paginator()` removed)".into(),
        Change::Moved => format!("moved from {} to {}", d.before, d.after),
        Change::Status => format!("success statuses {} → {}", d.before, d.after),
        Change::Media => format!("{at}: media type {} → {}", d.before, d.after),
        Change::Added => format!("{at} added ({})", d.after),
        Change::Removed => format!("{at} removed (was {})", d.before),
        Change::MadeRequired => format!("{at} is now required"),
        Change::MadeOptional => format!("{at} is now optional"),
        Change::Retyped => format!("{at} retyped {} → {}", d.before, d.after),
        Change::Renamed => format!("{at}: type `{}` renamed `{}`", d.before, d.after),
        Change::EnumOpened => format!("{at}: enumeration becomes a string (values {})", d.after),
        Change::EnumClosed => format!("{at}: string becomes an enumeration ({})", d.after),
        Change::ValuesAdded => format!("{at}: values added: {}", d.after),
        Change::ValuesRemoved => format!("{at}: values removed: {}", d.after),
    }
}

/// The changes from `old` to `new` of one service.
pub fn changes(old: &Surface, new: &Surface) -> Vec<Entry> {
    surface::diff(old, new, COMPARE)
        .into_iter()
        .map(|d| {
            let (breaking, section) = classify(&d, new);
            Entry { op: d.op.clone(), section, breaking, text: text(&d), difference: d }
        })
        .collect()
}

/// The version the changes call for, from `current` (`0.y.z` bumps `y` on a breaking change and `z`
/// otherwise; from 1.0 on, major for breaking, minor for additions, patch for the rest).
pub fn bump(current: &str, entries: &[Entry]) -> Option<(String, &'static str)> {
    if entries.is_empty() {
        return None;
    }
    let nums: Vec<u64> = current.split(['.', '-', '+']).take(3).map(|n| n.parse().unwrap_or(0)).collect();
    let (major, minor, patch) =
        (nums.first().copied().unwrap_or(0), nums.get(1).copied().unwrap_or(0), nums.get(2).copied().unwrap_or(0));
    let breaking = entries.iter().any(|e| e.breaking);
    let added = entries.iter().any(|e| e.section == Section::Added);
    Some(match (major, breaking, added) {
        (0, true, _) => (format!("0.{}.0", minor + 1), "breaking changes: 0.x bumps the minor version"),
        (0, false, _) => (format!("0.{minor}.{}", patch + 1), "no breaking change: 0.x bumps the patch version"),
        (_, true, _) => (format!("{}.0.0", major + 1), "breaking changes"),
        (_, false, true) => (format!("{major}.{}.0", minor + 1), "additions only"),
        (_, false, false) => (format!("{major}.{minor}.{}", patch + 1), "no breaking change, no addition"),
    })
}

/// The revision to compare with: the last `v*` tag, else the first commit.
pub fn default_base(root: &Path) -> Result<String> {
    if let Ok(tag) = git(root, &["describe", "--tags", "--abbrev=0", "--match", "v*"]) {
        return Ok(tag.trim().to_string());
    }
    let roots = git(root, &["rev-list", "--max-parents=0", "HEAD"])?;
    roots.lines().last().map(str::to_string).context("the repository has no commit")
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("git").args(args).current_dir(root).output().context("running git")?;
    if !out.status.success() {
        bail!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A spec as it was at `rev` (an empty surface where the file did not exist).
fn surface_at(root: &Path, rev: &str, spec: &str) -> Result<Surface> {
    let exists = git(root, &["cat-file", "-e", &format!("{rev}:{spec}")]).is_ok();
    if !exists {
        return Ok(Surface::default());
    }
    let text = git(root, &["show", &format!("{rev}:{spec}")])?;
    let doc: Value = serde_norway::from_str(&text).with_context(|| format!("{rev}:{spec}"))?;
    Ok(surface::of_openapi(&doc))
}

/// Every service's changes from `base` to the working tree.
pub fn collect(root: &Path, base: &str) -> Result<Vec<ServiceChanges>> {
    collect_for(root, base, codearts_codegen::SERVICES.iter().map(|s| (s.module, s.spec)))
}

/// The changes of the given `(module, spec file)` services from `base` to the working tree.
pub fn collect_for<'a>(
    root: &Path,
    base: &str,
    services: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<ServiceChanges>> {
    git(root, &["rev-parse", "--verify", &format!("{base}^{{commit}}")])
        .with_context(|| format!("{base} is no revision"))?;
    let mut out = Vec::new();
    for (module, spec) in services {
        let old = surface_at(root, base, spec)?;
        let doc = codearts_codegen::errata::load_yaml(&root.join(spec)).map_err(anyhow::Error::msg)?;
        let title = doc.pointer("/info/title").and_then(Value::as_str).unwrap_or(spec).to_string();
        let new = surface::of_openapi(&doc);
        out.push(ServiceChanges { title, module: module.to_string(), entries: changes(&old, &new) });
    }
    Ok(out)
}

/// The crate's version in the root Cargo.toml.
pub fn crate_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(v) = line.strip_prefix("version") {
            return Ok(v.trim().trim_start_matches('=').trim().trim_matches('"').to_string());
        }
    }
    bail!("Cargo.toml: no [package] version")
}

pub fn text_report(base: &str, services: &[ServiceChanges], version: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Changes to the specs since {base} (the working tree)");
    let all: Vec<Entry> = services.iter().flat_map(|s| s.entries.iter().cloned()).collect();
    for s in services {
        let count = |sec| s.entries.iter().filter(|e| e.section == sec).count();
        let ops = |c: Change| s.entries.iter().filter(|e| e.difference.change == c).count();
        let _ = writeln!(
            out,
            "\n{} (codearts::{}): operations {} added, {} deprecated, {} removed; {} breaking, {} added, {} deprecated, {} other",
            s.title,
            s.module,
            ops(Change::OperationAdded),
            ops(Change::Deprecated),
            ops(Change::OperationRemoved),
            count(Section::Breaking),
            count(Section::Added),
            count(Section::Deprecated),
            count(Section::Changed),
        );
        for e in &s.entries {
            let mark = if e.breaking { "BREAKING" } else { "ok      " };
            let _ = writeln!(out, "  {mark} {}: {}", e.op, e.text);
        }
    }
    out += "\n";
    match bump(version, &all) {
        Some((next, why)) => {
            let _ = writeln!(out, "suggested version: {version} → {next} ({why})");
        }
        None => {
            let _ = writeln!(out, "no change to the API: {version} stays");
        }
    }
    out
}

/// The CHANGELOG.md section.
pub fn markdown(base: &str, services: &[ServiceChanges], version: &str) -> String {
    let mut out = String::new();
    let all: Vec<Entry> = services.iter().flat_map(|s| s.entries.iter().cloned()).collect();
    let heading = match bump(version, &all) {
        Some((next, why)) => format!("## {next} (unreleased)\n\nAPI changes since `{base}`; {why}.\n"),
        None => format!("## Unreleased\n\nNo change to the API since `{base}`.\n"),
    };
    out += &heading;
    for s in services.iter().filter(|s| !s.entries.is_empty()) {
        let _ = writeln!(out, "\n### {} (`codearts::{}`)", s.title, s.module);
        for section in [Section::Breaking, Section::Added, Section::Deprecated, Section::Changed] {
            let entries: Vec<&Entry> = s.entries.iter().filter(|e| e.section == section).collect();
            if entries.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n**{}**\n", section.title());
            // New operations in one line: a whole new service would otherwise be a page of bullets.
            let new_ops: Vec<String> = entries
                .iter()
                .filter(|e| e.difference.change == Change::OperationAdded)
                .map(|e| format!("`{}`", e.op))
                .collect();
            if !new_ops.is_empty() {
                let _ = writeln!(out, "- {} new operations: {}", new_ops.len(), new_ops.join(", "));
            }
            for e in entries.iter().filter(|e| e.difference.change != Change::OperationAdded) {
                let _ = writeln!(out, "- `{}`: {}", e.op, e.text);
            }
        }
    }
    out
}

/// `cargo xtask changes [BASE] [--markdown]`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut base = None;
    let mut md = false;
    for a in args {
        match a.as_str() {
            "--markdown" => md = true,
            flag if flag.starts_with('-') => {
                bail!("cargo xtask changes: unknown flag {flag} (usage: changes [BASE] [--markdown])")
            }
            rev if base.is_none() => base = Some(rev.to_string()),
            extra => bail!("cargo xtask changes: one BASE revision only, not also {extra:?}"),
        }
    }
    let base = match base {
        Some(b) => b,
        None => default_base(root)?,
    };
    let services = collect(root, &base)?;
    let version = crate_version(root)?;
    let short =
        git(root, &["rev-parse", "--short", &base]).map(|s| s.trim().to_string()).unwrap_or_else(|_| base.clone());
    let label = if short.starts_with(&base) || base.starts_with(&short) { short } else { format!("{base} ({short})") };
    print!("{}", if md { markdown(&label, &services, &version) } else { text_report(&label, &services, &version) });
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Every kind of change, on the fixture specs in `xtask/fixtures/changes/` (each edit is
    //! commented in new.yaml), detected and classified for the generated Rust API.

    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/changes").join(name)
    }

    fn surface_of(name: &str) -> Surface {
        surface::of_openapi(&codearts_codegen::errata::load_yaml(&fixture(name)).unwrap())
    }

    fn fixture_changes() -> Vec<Entry> {
        changes(&surface_of("old.yaml"), &surface_of("new.yaml"))
    }

    #[test]
    fn every_kind_of_change_is_found_and_classified() {
        use Change as C;
        #[rustfmt::skip]
        let expected: &[(&str, &str, Change, bool, Section)] = &[
            ("CreateJob", "/request/arch", C::ValuesRemoved, false, Section::Changed),
            ("CreateJob", "/request/kind", C::ValuesAdded, false, Section::Added),
            ("CreateJob", "/request/label", C::Added, false, Section::Added),
            ("CreateJob", "/request/name", C::MadeOptional, true, Section::Breaking),
            ("CreateJob", "/request/note", C::Removed, true, Section::Breaking),
            ("CreateJob", "/request/owner", C::MadeRequired, true, Section::Breaking),
            ("CreateJob", "/request/size", C::Retyped, true, Section::Breaking),
            ("CreateJob", "/request/team", C::Added, true, Section::Breaking),
            ("CreateJob", "/response", C::Media, false, Section::Changed),
            ("CreateJob", "/response", C::Renamed, true, Section::Breaking),
            ("DeleteJob", "/", C::Deprecated, false, Section::Deprecated),
            ("ListJobs", "/", C::Unpaginated, true, Section::Breaking),
            ("ListJobs", "/parameters/query/filter", C::Added, false, Section::Added),
            ("ListJobs", "/parameters/query/legacy", C::Removed, true, Section::Breaking),
            ("ListJobs", "/parameters/query/limit", C::MadeOptional, false, Section::Changed),
            ("ListJobs", "/parameters/query/region", C::Added, true, Section::Breaking),
            ("ListJobs", "/response/jobs/0/level", C::EnumClosed, true, Section::Breaking),
            ("ListJobs", "/response/jobs/0/started", C::Added, false, Section::Added),
            ("ListJobs", "/response/jobs/0/state", C::ValuesRemoved, true, Section::Breaking),
            ("ListJobs", "/response/total", C::Retyped, true, Section::Breaking),
            ("OldStatus", "/", C::OperationRemoved, true, Section::Breaking),
            ("RemoveJob", "/", C::OperationAdded, false, Section::Added),
            ("ShowLog", "/", C::Moved, false, Section::Changed),
            ("Upload", "/request", C::Media, true, Section::Breaking),
        ];
        let found: Vec<(String, String, Change, bool, Section)> = fixture_changes()
            .into_iter()
            .map(|e| (e.op, e.difference.pointer, e.difference.change, e.breaking, e.section))
            .collect();
        let expected: Vec<(String, String, Change, bool, Section)> =
            expected.iter().map(|(o, p, c, b, s)| (o.to_string(), p.to_string(), c.clone(), *b, *s)).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn lines_name_what_changed_in_the_users_terms() {
        let texts: Vec<String> = fixture_changes().iter().map(|e| format!("{}: {}", e.op, e.text)).collect();
        for line in [
            "CreateJob: request field `size` retyped integer(int32) → integer(int64)",
            "CreateJob: response body: type `Created` renamed `NewJob`",
            "ListJobs: query parameter `region` added (string, required)",
            "ListJobs: response field `jobs[].state`: values removed: failed",
            "ShowLog: moved from GET /v1/jobs/{job_id}/logs to GET /v2/jobs/{job_id}/logs",
            "OldStatus: operation removed (was GET /v1/old)",
        ] {
            assert!(texts.iter().any(|t| t == line), "no line {line:?} in {texts:#?}");
        }
    }

    #[test]
    fn no_change_no_bump() {
        let same = changes(&surface_of("old.yaml"), &surface_of("old.yaml"));
        assert!(same.is_empty(), "{same:#?}");
        assert_eq!(bump("0.1.0", &same), None);
    }

    #[test]
    fn semver_bumps_follow_the_0x_rules() {
        let all = fixture_changes();
        let additions: Vec<Entry> =
            all.iter().filter(|e| !e.breaking && e.section == Section::Added).cloned().collect();
        let cosmetic: Vec<Entry> =
            all.iter().filter(|e| e.section == Section::Changed && !e.breaking).cloned().collect();
        assert_eq!(bump("0.1.3", &all).unwrap().0, "0.2.0");
        assert_eq!(bump("0.1.3", &additions).unwrap().0, "0.1.4");
        assert_eq!(bump("1.2.3", &all).unwrap().0, "2.0.0");
        assert_eq!(bump("1.2.3", &additions).unwrap().0, "1.3.0");
        assert_eq!(bump("1.2.3", &cosmetic).unwrap().0, "1.2.4");
    }

    #[test]
    fn markdown_sections_per_service() {
        let services = vec![ServiceChanges {
            title: "Fixture Service".into(),
            module: "fixture".into(),
            entries: fixture_changes(),
        }];
        let md = markdown("v0.1.0", &services, "0.1.0");
        assert!(md.starts_with("## 0.2.0 (unreleased)\n\nAPI changes since `v0.1.0`; breaking changes"), "{md}");
        assert!(md.contains("### Fixture Service (`codearts::fixture`)"), "{md}");
        let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("no {needle:?} in {md}"));
        assert!(at("**Breaking**") < at("**Added**") && at("**Added**") < at("**Deprecated**"));
        assert!(md.contains("- 1 new operations: `RemoveJob`"), "{md}");
        assert!(md.contains("- `ListJobs`: query parameter `legacy` removed (was string)"), "{md}");
        assert!(md.contains("- `DeleteJob`: deprecated"), "{md}");
    }

    fn run_git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn the_base_is_the_last_v_tag_else_the_first_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let spec = "spec/fixture.yaml";
        std::fs::create_dir_all(root.join("spec")).unwrap();
        run_git(root, &["init", "-q"]);
        // The first commit has no spec: everything in the working tree is new.
        std::fs::write(root.join("README"), "x").unwrap();
        run_git(root, &["add", "-A"]);
        run_git(root, &["commit", "-qm", "first"]);
        let first = git(root, &["rev-parse", "HEAD"]).unwrap().trim().to_string();
        std::fs::copy(fixture("old.yaml"), root.join(spec)).unwrap();
        run_git(root, &["add", "-A"]);
        run_git(root, &["commit", "-qm", "spec"]);
        run_git(root, &["tag", "v0.1.0"]);
        run_git(root, &["tag", "other-tag"]);
        std::fs::copy(fixture("new.yaml"), root.join(spec)).unwrap();

        assert_eq!(default_base(root).unwrap(), "v0.1.0");
        let since_tag = collect_for(root, "v0.1.0", [("fixture", spec)]).unwrap();
        assert_eq!(since_tag[0].entries, fixture_changes());
        let since_first = collect_for(root, &first, [("fixture", spec)]).unwrap();
        assert!(since_first[0].entries.iter().all(|e| e.difference.change == Change::OperationAdded));
        assert_eq!(since_first[0].entries.len(), 6);

        run_git(root, &["tag", "-d", "v0.1.0"]);
        assert_eq!(default_base(root).unwrap(), first);
        assert!(collect_for(root, "no-such-rev", [("fixture", spec)]).is_err());
    }

    #[test]
    fn places_read_as_fields() {
        assert_eq!(place("/parameters/query/limit"), "query parameter `limit`");
        assert_eq!(place("/request"), "request body");
        assert_eq!(place("/request/scms/0/url"), "request field `scms[].url`");
        assert_eq!(place("/response/0/name"), "response items `[].name`");
        assert_eq!(place("/response/map/*"), "response field `map{}`");
    }
}
