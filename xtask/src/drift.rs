//! `cargo xtask drift`: each spec against the vendor's API Explorer definitions pinned in
//! `spec/vendor/PINS.yaml`. Every difference is either decided by an entry of
//! `spec/errata/<service>.sources.yaml` (matched by operation, pointer and kind) or reported as
//! unreconciled, which fails the command. `cargo xtask validate` checks the other direction: every
//! sources erratum still describes what the pinned definitions say ([`stale_errata`]).
//!
//! The comparison leaves out, by the specs' conventions (spec/README.md, "Drift"): descriptions,
//! examples, error responses, response fields' required flags (every response field is optional),
//! whether values are a closed `enum` (the explorer never says: it lists values in descriptions),
//! and integer widths the explorer does not state.

use crate::surface::{self, Change, Compare, Difference, Item, Surface};
use anyhow::{Context, Result, bail};
use codearts_codegen::errata::{self, Decision, Erratum, Kind, Location};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How drift compares the spec (old) with the explorer (new).
pub const COMPARE: Compare = Compare {
    names: false,
    strict_widths: false,
    response_required: false,
    closedness: false,
    statuses_within: true,
    extensions: false,
};

/// One entry of `spec/errata/<service>.sources.yaml`: where the sources of a spec disagree and which
/// one the spec follows. `sources.explorer` is what the API Explorer definition says there; the
/// leading facets of that text are machine-checked (see [`Claim`]), the rest is the reader's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesErratum {
    pub id: String,
    pub operation: String,
    pub kind: ErratumKind,
    pub pointer: String,
    pub sources: BTreeMap<String, Value>,
    pub decision: SourceDecision,
    pub why: String,
    /// Further places the same disagreement and decision apply to, as `Operation /pointer` (one
    /// schema the spec reuses, one table printed for several operations).
    #[serde(default)]
    pub also: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErratumKind {
    /// The operation itself (present, deprecated, its success status at `/responses`).
    Operation,
    /// Its method and path.
    Path,
    /// A request or response media type (`/request`, `/response`).
    ContentType,
    /// Anything about one parameter (presence, type, format, limits).
    Parameter,
    /// A body field's presence.
    Field,
    /// A required flag.
    Required,
    /// A type.
    Type,
    /// Enumerated values.
    Enum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceDecision {
    FollowExplorer,
    FollowSdk,
    FollowPage,
    FollowTable,
    AcceptBoth,
}

impl SourcesErratum {
    fn explorer_text(&self) -> Option<String> {
        self.sources.get("explorer").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// Where the entry applies: its operation and pointer, then each of `also`.
    pub fn places(&self) -> Vec<(String, String)> {
        let mut out = vec![(self.operation.clone(), self.pointer.clone())];
        for place in &self.also {
            let (op, ptr) = place.split_once(' ').unwrap_or((place.as_str(), "/"));
            out.push((op.trim().to_string(), ptr.trim().to_string()));
        }
        out
    }

    fn applies(&self, d: &Difference) -> bool {
        kind_fits(self.kind, d) && self.places().iter().any(|(op, ptr)| *op == d.op && *ptr == d.pointer)
    }

    /// Whether this entry decides `d` (a difference from the spec to the explorer). An entry whose
    /// decision is to follow the explorer decides nothing: where it applies the two must agree.
    pub fn decides(&self, d: &Difference) -> bool {
        self.decision != SourceDecision::FollowExplorer && self.applies(d)
    }
}

/// The erratum kinds that can decide a difference.
fn kind_fits(kind: ErratumKind, d: &Difference) -> bool {
    use ErratumKind as K;
    match d.change {
        Change::OperationAdded
        | Change::OperationRemoved
        | Change::Deprecated
        | Change::Undeprecated
        | Change::Status
        | Change::Paginated
        | Change::Unpaginated => kind == K::Operation,
        Change::Moved => matches!(kind, K::Path | K::Operation),
        Change::Media => kind == K::ContentType,
        Change::Added | Change::Removed => {
            if d.in_parameters() {
                kind == K::Parameter
            } else {
                matches!(kind, K::Field | K::Required)
            }
        }
        Change::MadeRequired | Change::MadeOptional => {
            kind == K::Required || (d.in_parameters() && kind == K::Parameter)
        }
        Change::Retyped | Change::Renamed => {
            matches!(kind, K::Type | K::Field) || (d.in_parameters() && kind == K::Parameter)
        }
        Change::EnumOpened | Change::EnumClosed | Change::ValuesAdded | Change::ValuesRemoved => {
            kind == K::Enum || (d.in_parameters() && kind == K::Parameter)
        }
    }
}

/// One machine-checkable statement of a `sources.explorer` text. The text is read up to its first
/// parenthesis or semicolon, split at commas; facets it does not recognise are prose.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    Present,
    Absent,
    Required,
    Optional,
    /// A JSON type (`integer(int32)` when the text says `integer (int32)`).
    Type(String),
    Media(String),
    /// `METHOD /path`.
    Line(String, String),
    Pattern(String),
    Minimum(f64),
    Maximum(f64),
    MinLength(u64),
    MaxLength(u64),
    /// The values an `enum` entry lists.
    Values(BTreeSet<String>),
    /// An `enum` entry's bare type: the definition lists no values.
    NoValues,
    /// `no limits`: no pattern, range or length.
    NoLimits,
    /// The success status (at `/responses`).
    Status(String),
    /// `required, listed as startOffset`: the definition's required list names a property it does
    /// not define (under this name).
    RequiredAs(String),
}

const TYPES: &[&str] = &["string", "integer", "number", "boolean", "array", "object"];

pub fn claims(kind: ErratumKind, pointer: &str, text: &str) -> Vec<Claim> {
    let text = text.trim();
    if pointer == "/responses" && text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
        return vec![Claim::Status(text.to_string())];
    }
    if kind == ErratumKind::ContentType {
        let media = text.split(" (").next().unwrap_or_default().trim();
        return if media.contains('/') { vec![Claim::Media(media.to_string())] } else { Vec::new() };
    }
    if let Some(width) = ["int32", "int64"].iter().find(|w| text.starts_with(&format!("integer ({w})"))) {
        return vec![Claim::Type(format!("integer({width})"))];
    }
    let head = text.split([';', '(']).next().unwrap_or_default().trim();
    if let Some((method, path)) = head.split_once(' ')
        && matches!(method, "GET" | "POST" | "PUT" | "DELETE" | "PATCH")
        && path.starts_with('/')
    {
        return vec![Claim::Line(method.to_string(), path.trim().to_string())];
    }
    if kind == ErratumKind::Enum {
        // An enum entry's explorer text is the values it lists, or a bare type: it lists none.
        if TYPES.contains(&head) {
            return vec![Claim::NoValues];
        }
        let values: BTreeSet<String> =
            head.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
        if !head.starts_with("pattern")
            && !values.is_empty()
            && values.iter().all(|v| !v.contains(' ') && v != "absent" && v != "present")
        {
            return vec![Claim::Values(values)];
        }
    }
    let mut out = Vec::new();
    for facet in head.split(", ").map(str::trim) {
        let (word, arg) = facet.split_once(' ').map_or((facet, ""), |(w, a)| (w, a.trim()));
        if let Some(name) = facet.strip_prefix("listed as ") {
            if let Some(Claim::Required) = out.last() {
                out.pop();
                out.push(Claim::RequiredAs(name.trim().to_string()));
            }
            continue;
        }
        let claim = match (word, arg) {
            ("present", "") => Claim::Present,
            ("absent", "") => Claim::Absent,
            ("required", "") => Claim::Required,
            ("optional", "") => Claim::Optional,
            ("untyped", "") => Claim::Type("any".into()),
            ("no", "limits") => Claim::NoLimits,
            // A parameter entry naming the parameter: the definition has it under that name.
            (name, "") if kind == ErratumKind::Parameter && pointer.rsplit('/').next() == Some(name) => Claim::Present,
            (t, "") if TYPES.contains(&t) => Claim::Type(t.to_string()),
            ("pattern", p) if !p.is_empty() => Claim::Pattern(p.to_string()),
            (p, "") if p.starts_with('^') => Claim::Pattern(p.to_string()),
            ("minimum", n) => match n.parse() {
                Ok(n) => Claim::Minimum(n),
                Err(_) => continue,
            },
            ("maximum", n) => match n.parse() {
                Ok(n) => Claim::Maximum(n),
                Err(_) => continue,
            },
            ("minLength", n) => match n.parse() {
                Ok(n) => Claim::MinLength(n),
                Err(_) => continue,
            },
            ("maxLength", n) => match n.parse() {
                Ok(n) => Claim::MaxLength(n),
                Err(_) => continue,
            },
            (m, "") if m.contains('/') && !m.starts_with('/') => Claim::Media(m.to_string()),
            _ => continue,
        };
        out.push(claim);
    }
    out
}

/// What `surface` says that `claim` gets wrong at `pointer` of `op`, if anything.
pub fn check_claim(surface: &Surface, op: &str, pointer: &str, claim: &Claim) -> Option<String> {
    let Some(o) = surface.ops.get(op) else {
        return (*claim != Claim::Absent).then(|| format!("{op} is not defined"));
    };
    let item = o.items.get(pointer);
    let ok = |cond: bool, actual: String| (!cond).then_some(actual);
    let described = |i: Option<&Item>| i.map_or("absent".to_string(), surface::describe);
    match claim {
        Claim::Present | Claim::Absent => {
            let present = match pointer {
                "/" => true,
                "/responses" => !o.statuses.is_empty(),
                _ => item.is_some(),
            };
            ok(present == (*claim == Claim::Present), if present { "present".into() } else { "absent".into() })
        }
        Claim::Required => {
            ok(item.is_some_and(|i| i.required) || o.dangling_required.contains(pointer), described(item))
        }
        Claim::Optional => ok(item.is_some_and(|i| !i.required), described(item)),
        Claim::RequiredAs(name) => {
            let sibling = format!("{}/{}", pointer.rsplit_once('/').map_or("", |(parent, _)| parent), name);
            ok(
                o.dangling_required.contains(&sibling) || o.items.get(&sibling).is_some_and(|i| i.required),
                format!("{sibling}: {}", described(o.items.get(&sibling))),
            )
        }
        Claim::NoLimits => ok(
            item.is_some_and(|i| {
                i.pattern.is_none()
                    && i.minimum.is_none()
                    && i.maximum.is_none()
                    && i.min_length.is_none()
                    && i.max_length.is_none()
            }),
            described(item),
        ),
        Claim::Status(s) => ok(o.statuses.contains(s), o.statuses.iter().cloned().collect::<Vec<_>>().join(", ")),
        Claim::NoValues => ok(item.is_some_and(|i| i.values.is_none()), described(item)),
        Claim::Type(t) => ok(
            item.is_some_and(|i| {
                i.ty == *t
                    || i.base_ty() == t
                    || (t == "object" && matches!(i.ty.as_str(), "map" | "any"))
                    || (t == "string" && i.ty == "binary")
            }),
            item.map_or("absent".into(), |i| i.ty.clone()),
        ),
        Claim::Media(m) => {
            let actual = match pointer {
                "/request" => o.request_media.clone(),
                _ => o.response_media.clone(),
            };
            ok(actual.as_deref() == Some(m.as_str()), actual.unwrap_or_else(|| "no body".into()))
        }
        Claim::Line(method, path) => ok(o.method == *method && o.path == *path, surface::line(o)),
        Claim::Pattern(p) => ok(
            item.is_some_and(|i| i.pattern.as_deref() == Some(p.as_str())),
            format!("pattern {:?}", item.and_then(|i| i.pattern.clone())),
        ),
        Claim::Minimum(n) => {
            ok(item.is_some_and(|i| i.minimum == Some(*n)), format!("minimum {:?}", item.and_then(|i| i.minimum)))
        }
        Claim::Maximum(n) => {
            ok(item.is_some_and(|i| i.maximum == Some(*n)), format!("maximum {:?}", item.and_then(|i| i.maximum)))
        }
        Claim::MinLength(n) => ok(
            item.is_some_and(|i| i.min_length == Some(*n)),
            format!("minLength {:?}", item.and_then(|i| i.min_length)),
        ),
        Claim::MaxLength(n) => ok(
            item.is_some_and(|i| i.max_length == Some(*n)),
            format!("maxLength {:?}", item.and_then(|i| i.max_length)),
        ),
        Claim::Values(v) => {
            let actual = item.and_then(|i| i.values.clone());
            ok(
                actual.as_ref() == Some(v),
                actual.map_or("no values".into(), |a| a.into_iter().collect::<Vec<_>>().join(", ")),
            )
        }
    }
}

/// One service's sources: its spec, pinned explorer folder and sources errata.
pub struct Sources {
    pub name: String,
    pub spec: Surface,
    pub explorer: Surface,
    pub errata: Vec<SourcesErratum>,
    /// The example errata (`spec/errata/<service>.yaml`): an example that contradicts its table
    /// and made the spec accept both forms decides the difference to a definition that has one.
    pub example_errata: Vec<Erratum>,
    pub pin: Option<Pin>,
}

impl Sources {
    pub fn load(root: &Path, spec_rel: &str) -> Result<Sources> {
        let name = Path::new(spec_rel).file_stem().unwrap_or_default().to_string_lossy().to_string();
        let spec = errata::load_yaml(&root.join(spec_rel)).map_err(anyhow::Error::msg)?;
        let explorer = explorer_surface(&root.join("spec/vendor/explorer").join(&name))?;
        let errata = load_errata(&root.join("spec/errata").join(format!("{name}.sources.yaml")))?;
        let example_errata =
            errata::load_errata(&root.join("spec/errata").join(format!("{name}.yaml"))).map_err(anyhow::Error::msg)?;
        let pin = pins(root)?.remove(&name);
        Ok(Sources { name, spec: surface::of_openapi(&spec), explorer, errata, example_errata, pin })
    }
}

pub fn load_errata(path: &Path) -> Result<Vec<SourcesErratum>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let list: Option<Vec<SourcesErratum>> =
        serde_norway::from_str(&text).with_context(|| path.display().to_string())?;
    Ok(list.unwrap_or_default())
}

/// The surface of every definition in one vendored folder.
pub fn explorer_surface(dir: &Path) -> Result<Surface> {
    let mut out = Surface::default();
    for file in json_files(dir)? {
        let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
        let doc: Value = serde_json::from_str(&text).with_context(|| file.display().to_string())?;
        let (name, op) = surface::of_explorer(&doc)
            .with_context(|| format!("{}: not one operation's definition", file.display()))?;
        out.ops.insert(name, op);
    }
    Ok(out)
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| dir.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// The result of comparing one service.
pub struct Drift {
    pub differences: Vec<(Difference, Option<String>)>,
}

impl Drift {
    pub fn unreconciled(&self) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(|(_, e)| e.is_none()).map(|(d, _)| d)
    }
}

pub fn drift(sources: &Sources) -> Drift {
    let differences =
        surface::diff(&sources.spec, &sources.explorer, COMPARE)
            .into_iter()
            .map(|d| {
                let by =
                    sources.errata.iter().find(|e| e.decides(&d)).map(|e| e.id.clone()).or_else(|| {
                        sources.example_errata.iter().find(|e| example_decides(e, &d)).map(|e| e.id.clone())
                    });
                (d, by)
            })
            .collect();
    Drift { differences }
}

/// Whether an example erratum decides `d`: the spec accepts the example's form beside the table's
/// (a shape it accepts both ways, a field only the example shows), so it differs from a definition
/// that knows one form. Example pointers index arrays; surface pointers say `/0` for every item.
fn example_decides(e: &Erratum, d: &Difference) -> bool {
    if e.operation != d.op || e.decision == Decision::FollowTable {
        return false;
    }
    let body = match e.location {
        Location::Request => "/request",
        Location::Response => "/response",
        Location::RequestLine => return false,
    };
    let base = format!("{body}{}", generic_pointer(e.pointer.as_deref().unwrap_or("")));
    let name =
        |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(|n| format!("{base}/{}", errata::pointer_token(n)));
    match e.kind {
        Kind::Shape => d.change == Change::Retyped && d.pointer == base,
        Kind::ExtraField => {
            matches!(d.change, Change::Removed | Change::Added) && Some(&d.pointer) == name(&e.example).as_ref()
        }
        Kind::FieldName => {
            matches!(d.change, Change::Removed | Change::Added)
                && (Some(&d.pointer) == name(&e.example).as_ref() || Some(&d.pointer) == name(&e.table).as_ref())
        }
        _ => false,
    }
}

/// `/items/3/name` → `/items/0/name`.
fn generic_pointer(p: &str) -> String {
    p.split('/')
        .map(|t| if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) { "0" } else { t })
        .collect::<Vec<_>>()
        .join("/")
}

/// Sources errata that no longer describe a real difference, one line each:
/// - the operation is in neither the spec nor the explorer;
/// - a checked facet of `sources.explorer` is not what the pinned definition says (at any of the
///   entry's places);
/// - the decision is to follow the explorer, yet the spec differs from it there.
///
/// What the other sources say (the SDK facts, the pages, the 2023 tables) is the reader's to check:
/// the explorer is the source that moves with `drift --update`.
pub fn stale_errata(sources: &Sources, drift: &Drift) -> Vec<String> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for e in &sources.errata {
        if !ids.insert(&e.id) {
            out.push(format!("sources erratum {}: duplicate id", e.id));
        }
        if e.why.trim().is_empty() {
            out.push(format!("sources erratum {}: no `why` (the reason for the decision)", e.id));
        }
        let Some(text) = e.explorer_text() else {
            out.push(format!("sources erratum {}: no `sources.explorer` (what the explorer definition says)", e.id));
            continue;
        };
        let claims = claims(e.kind, &e.pointer, &text);
        for (op, ptr) in e.places() {
            if !sources.spec.ops.contains_key(&op) && !sources.explorer.ops.contains_key(&op) {
                out.push(format!(
                    "sources erratum {}: {op} is neither in the spec nor in the explorer definitions",
                    e.id
                ));
                continue;
            }
            let wrong: Vec<String> = claims
                .iter()
                .filter_map(|c| {
                    check_claim(&sources.explorer, &op, &ptr, c).map(|actual| format!("{c:?} (it says {actual})"))
                })
                .collect();
            if !wrong.is_empty() {
                out.push(format!(
                    "sources erratum {}: the pinned explorer definition does not say {text:?} at {op} {ptr}: {}",
                    e.id,
                    wrong.join("; ")
                ));
                continue;
            }
            let departs: Vec<&Difference> = drift
                .differences
                .iter()
                .map(|(d, _)| d)
                .filter(|d| d.op == op && d.pointer == ptr && kind_fits(e.kind, d))
                .collect();
            if e.decision == SourceDecision::FollowExplorer
                && let Some(d) = departs.first()
            {
                out.push(format!(
                    "sources erratum {}: decided follow-explorer, but the spec differs from the explorer: {}",
                    e.id,
                    describe(d)
                ));
            }
        }
    }
    out
}

/// How many entries have at least one machine-checked facet.
pub fn checked_count(sources: &Sources) -> usize {
    sources
        .errata
        .iter()
        .filter(|e| e.explorer_text().is_some_and(|t| !claims(e.kind, &e.pointer, &t).is_empty()))
        .count()
}

/// A difference in words, from the spec (before) to the explorer (after).
pub fn describe(d: &Difference) -> String {
    let what = match d.change {
        Change::OperationAdded => format!("operation only in the explorer ({})", d.after),
        Change::OperationRemoved => format!("operation only in the spec ({})", d.before),
        Change::Deprecated => "deprecated in the explorer, not in the spec".into(),
        Change::Undeprecated => "deprecated in the spec, not in the explorer".into(),
        Change::Paginated | Change::Unpaginated => "pagination (the explorer declares none)".into(),
        Change::Moved => format!("the spec says {}, the explorer {}", d.before, d.after),
        Change::Status => format!("success status: the spec {}, the explorer {}", d.before, d.after),
        Change::Media => format!("media type: the spec {}, the explorer {}", d.before, d.after),
        Change::Added => format!("only in the explorer ({})", d.after),
        Change::Removed => format!("only in the spec ({})", d.before),
        Change::MadeRequired => "required in the explorer, optional in the spec".into(),
        Change::MadeOptional => "required in the spec, optional in the explorer".into(),
        Change::Retyped => format!("type: the spec {}, the explorer {}", d.before, d.after),
        Change::Renamed => format!("schema: the spec {}, the explorer {}", d.before, d.after),
        Change::EnumOpened | Change::EnumClosed => "enumeration: closed on one side only".into(),
        Change::ValuesAdded => {
            format!("values the explorer lists and the spec does not: {} (spec: {})", d.after, d.before)
        }
        Change::ValuesRemoved => {
            format!("values the spec lists and the explorer does not: {} (explorer: {})", d.after, d.before)
        }
    };
    format!("{} {}: {what}", d.op, d.pointer)
}

/// The erratum kind a difference would be recorded under (for the report's hints and counts).
pub fn kind_name(d: &Difference) -> &'static str {
    match d.change {
        Change::OperationAdded
        | Change::OperationRemoved
        | Change::Deprecated
        | Change::Undeprecated
        | Change::Status => "operation",
        Change::Moved => "path",
        Change::Media => "content-type",
        Change::Added | Change::Removed if d.in_parameters() => "parameter",
        Change::Added | Change::Removed => "field",
        Change::MadeRequired | Change::MadeOptional => "required",
        Change::Retyped | Change::Renamed => "type",
        _ => "enum",
    }
}

/// A pinned crate of API Explorer definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Pin {
    pub krate: String,
    pub version: String,
    pub sha256: String,
}

/// The `explorer:` pins of `spec/vendor/PINS.yaml`, by service.
pub fn pins(root: &Path) -> Result<BTreeMap<String, Pin>> {
    let path = root.join("spec/vendor/PINS.yaml");
    let doc = errata::load_yaml(&path).map_err(anyhow::Error::msg)?;
    let mut out = BTreeMap::new();
    for (service, pin) in doc.get("explorer").and_then(Value::as_object).into_iter().flatten() {
        let field = |k: &str| pin.get(k).and_then(Value::as_str).map(str::to_string).unwrap_or_default();
        out.insert(service.clone(), Pin { krate: field("crate"), version: field("version"), sha256: field("sha256") });
    }
    Ok(out)
}

/// `cargo xtask drift [--verbose]`: every service against its pinned definitions.
pub fn run(root: &Path, verbose: bool) -> Result<()> {
    let mut unreconciled = 0;
    let mut out = String::new();
    for service in codearts_codegen::SERVICES {
        let sources = Sources::load(root, service.spec)?;
        let drift = drift(&sources);
        out += &report(&sources, &drift, verbose);
        unreconciled += drift.unreconciled().count();
    }
    print!("{out}");
    if unreconciled > 0 {
        bail!(
            "{unreconciled} unreconciled difference(s) between the specs and the pinned explorer definitions: change the \
             spec, or record the decision in spec/errata/<service>.sources.yaml (operation, pointer, kind, sources, \
             decision, why)"
        );
    }
    println!("drift: every difference is decided by a sources erratum");
    Ok(())
}

pub fn report(sources: &Sources, drift: &Drift, verbose: bool) -> String {
    let mut out = String::new();
    let pin = sources.pin.as_ref().map_or("(no pin)".to_string(), |p| format!("{} {}", p.krate, p.version));
    let _ = writeln!(out, "{} against {pin}", sources.name);
    let total = drift.differences.len();
    let open: Vec<&Difference> = drift.unreconciled().collect();
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (d, by) in &drift.differences {
        let k = kinds.entry(kind_name(d)).or_default();
        k.0 += 1;
        if by.is_none() {
            k.1 += 1;
        }
    }
    let _ = writeln!(
        out,
        "  {} operations in the spec, {} explorer definitions; {total} differences, {} decided by errata, {} unreconciled",
        sources.spec.ops.len(),
        sources.explorer.ops.len(),
        total - open.len(),
        open.len()
    );
    if !kinds.is_empty() {
        let by_kind: Vec<String> = kinds.iter().map(|(k, (n, u))| format!("{k} {n} ({u} open)")).collect();
        let _ = writeln!(out, "  by kind: {}", by_kind.join(", "));
    }
    for (d, by) in &drift.differences {
        match by {
            None => {
                let _ = writeln!(out, "  UNRECONCILED [{}] {}", kind_name(d), describe(d));
            }
            Some(id) if verbose => {
                let _ = writeln!(out, "  decided by {id}: {}", describe(d));
            }
            Some(_) => {}
        }
    }
    out
}

/// A crate of definitions as fetched: its version, the sha256 of its `.crate` file and where cargo
/// unpacked it.
pub struct Fetched {
    pub version: String,
    pub sha256: String,
    pub dir: PathBuf,
}

/// `cargo xtask drift --update`: moves every explorer pin to the newest version on crates.io and
/// rewrites its vendored folder and `spec/vendor/PINS.yaml`. The crates are fetched by cargo itself
/// (a scratch package depending on each at `*`), so the registry, its checksums and any mirror or
/// proxy configuration are cargo's.
pub fn update(root: &Path) -> Result<()> {
    let pins = pins(root)?;
    let crates: Vec<&str> = pins.values().map(|p| p.krate.as_str()).collect();
    let scratch = tempfile::tempdir()?;
    let fetched = fetch_newest(scratch.path(), &crates)?;
    for (service, pin) in &pins {
        let f = fetched.get(&pin.krate).with_context(|| format!("cargo did not resolve {}", pin.krate))?;
        if f.version == pin.version && f.sha256 != pin.sha256 {
            bail!(
                "{} {}: crates.io's checksum {} is not the pinned {}; the pin or the registry is wrong",
                pin.krate,
                f.version,
                f.sha256,
                pin.sha256
            );
        }
        let summary = apply_update(
            root,
            service,
            &Pin { krate: pin.krate.clone(), version: f.version.clone(), sha256: f.sha256.clone() },
            &f.dir,
        )?;
        println!("{summary}");
    }
    Ok(())
}

/// Runs cargo in `scratch` to resolve and unpack the newest version of each crate.
fn fetch_newest(scratch: &Path, crates: &[&str]) -> Result<BTreeMap<String, Fetched>> {
    let mut manifest = String::from(
        "[package]\nname = \"codearts-drift-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\npath = \"lib.rs\"\n\n[workspace]\n\n[dependencies]\n",
    );
    for c in crates {
        manifest += &format!("{c:?} = \"*\"\n");
    }
    std::fs::write(scratch.join("Cargo.toml"), manifest)?;
    std::fs::write(scratch.join("lib.rs"), "")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = |args: &[&str]| -> Result<Vec<u8>> {
        println!("==> cargo {} (in a scratch package)", args.join(" "));
        let out = std::process::Command::new(&cargo)
            .args(args)
            .current_dir(scratch)
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .with_context(|| format!("running cargo {}", args.join(" ")))?;
        if !out.status.success() {
            bail!("`cargo {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
        }
        Ok(out.stdout)
    };
    run(&["generate-lockfile"])?;
    let metadata: Value = serde_json::from_slice(&run(&["metadata", "--format-version", "1"])?)?;
    let lock = std::fs::read_to_string(scratch.join("Cargo.lock"))?;
    let checksums = lock_checksums(&lock);
    let mut out = BTreeMap::new();
    for p in metadata.get("packages").and_then(Value::as_array).into_iter().flatten() {
        let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let name = field("name");
        if !crates.contains(&name.as_str()) {
            continue;
        }
        let version = field("version");
        let sha256 = checksums
            .get(&(name.clone(), version.clone()))
            .cloned()
            .with_context(|| format!("{name} {version}: no checksum in Cargo.lock"))?;
        let dir = Path::new(&field("manifest_path")).parent().map(Path::to_path_buf).unwrap_or_default();
        out.insert(name, Fetched { version, sha256, dir });
    }
    Ok(out)
}

/// `(name, version) → checksum` of a Cargo.lock.
fn lock_checksums(lock: &str) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for block in lock.split("[[package]]").skip(1) {
        let get = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|r| r.trim().strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_string())
            })
        };
        if let (Some(n), Some(v), Some(c)) = (get("name "), get("version "), get("checksum ")) {
            out.insert((n, v), c);
        }
    }
    out
}

/// Replaces the vendored definitions of `service` with the operation definitions found in
/// `crate_dir` (every `.json` file under it that is one), stored as `<Operation>.json`,
/// pretty-printed with sorted keys, and moves the pin. Returns one line saying what changed.
pub fn apply_update(root: &Path, service: &str, pin: &Pin, crate_dir: &Path) -> Result<String> {
    let mut new: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![crate_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
                let Ok(doc) = serde_json::from_str::<Value>(&text) else { continue };
                if let Some((name, _)) = surface::of_explorer(&doc) {
                    new.insert(name, canonical_json(&doc));
                }
            }
        }
    }
    if new.is_empty() {
        bail!("{} {}: no API Explorer definition in {}", pin.krate, pin.version, crate_dir.display());
    }
    let folder = root.join("spec/vendor/explorer").join(service);
    std::fs::create_dir_all(&folder)?;
    let mut old: BTreeMap<String, String> = BTreeMap::new();
    for file in json_files(&folder)? {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy().to_string();
        old.insert(stem, std::fs::read_to_string(&file)?);
        std::fs::remove_file(&file)?;
    }
    for (name, text) in &new {
        std::fs::write(folder.join(format!("{name}.json")), text)?;
    }
    let added = new.keys().filter(|k| !old.contains_key(*k)).count();
    let removed = old.keys().filter(|k| !new.contains_key(*k)).count();
    let changed = new.iter().filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v)).count();
    let before = pins(root)?.remove(service).map(|p| p.version).unwrap_or_else(|| "(unpinned)".into());
    write_pin(root, service, pin)?;
    Ok(format!(
        "{service}: {} {before} → {} ({} definitions: {added} added, {removed} removed, {changed} changed)",
        pin.krate,
        pin.version,
        new.len()
    ))
}

/// Moves one pin in `spec/vendor/PINS.yaml`, keeping the file's comments and layout.
fn write_pin(root: &Path, service: &str, pin: &Pin) -> Result<()> {
    let path = root.join("spec/vendor/PINS.yaml");
    let text = std::fs::read_to_string(&path)?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let start = lines
        .iter()
        .position(|l| l.trim_end() == format!("  {service}:"))
        .with_context(|| format!("{}: no explorer pin for {service}", path.display()))?;
    let mut seen = 0;
    for line in lines.iter_mut().skip(start + 1).take_while(|l| l.starts_with("    ")) {
        for (key, value) in [("version", &pin.version), ("sha256", &pin.sha256), ("crate", &pin.krate)] {
            if line.trim_start().starts_with(&format!("{key}:")) {
                *line = format!("    {key}: {value}");
                seen += 1;
            }
        }
    }
    if seen != 3 {
        bail!("{}: the pin of {service} lacks crate, version or sha256", path.display());
    }
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(())
}

/// The vendored form: keys sorted, one space of indentation, non-ASCII kept, a final newline (what
/// Python's `json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False)` writes).
pub fn canonical_json(doc: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, serde_json::ser::PrettyFormatter::with_indent(b" "));
    serde::Serialize::serialize(&sorted(doc), &mut ser).expect("a JSON value serializes");
    String::from_utf8(buf).expect("serde_json writes UTF-8") + "\n"
}

#[cfg(test)]
mod tests {
    //! Drift on modified copies of the real definitions and specs, the sources errata's checks,
    //! and `--update`'s rewriting on a stand-in crate (no network).

    use super::*;

    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }

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

    /// A scratch copy of `spec/`.
    fn scratch() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_root().join("spec"), &dir.path().join("spec"));
        dir
    }

    fn edit_json(root: &Path, file: &str, f: impl FnOnce(&mut Value)) {
        let path = root.join(file);
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        f(&mut doc);
        std::fs::write(path, canonical_json(&doc)).unwrap();
    }

    fn edit(root: &Path, file: &str, from: &str, to: &str) {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn open(d: &Drift) -> Vec<String> {
        d.unreconciled().map(|d| format!("[{}] {}", kind_name(d), describe(d))).collect()
    }

    const CHECK: &str = "spec/codearts-check.yaml";
    const RUN_TASK: &str = "spec/vendor/explorer/codearts-check/RunTask.json";

    #[test]
    fn the_pinned_definitions_leave_nothing_unreconciled() {
        for service in codearts_codegen::SERVICES {
            let sources = Sources::load(&repo_root(), service.spec).unwrap();
            let d = drift(&sources);
            assert!(!d.differences.is_empty(), "{}: the comparison found nothing at all", sources.name);
            assert_eq!(open(&d), Vec::<String>::new(), "{}", sources.name);
            assert_eq!(stale_errata(&sources, &d), Vec::<String>::new(), "{}", sources.name);
        }
    }

    #[test]
    fn drift_reports_what_a_modified_definition_changed() {
        let dir = scratch();
        let root = dir.path();
        edit_json(root, RUN_TASK, |doc| {
            let body = &mut doc["definitions"]["RunRequestV2"];
            body["properties"]["priority"] = serde_json::json!({"type": "integer", "format": "int32"});
            body["properties"]["git_branch"]["type"] = "integer".into();
            body["required"] = serde_json::json!(["git_url"]);
            let op = &mut doc["paths"]["/v2/tasks/{task_id}/run"]["post"];
            op["parameters"].as_array_mut().unwrap().push(serde_json::json!(
                {"in": "query", "name": "mode", "required": false, "type": "string"}
            ));
        });
        // A new operation, and values grown in a description's value list.
        edit_json(root, RUN_TASK, |_| {});
        let mut extra: Value = serde_json::from_str(&std::fs::read_to_string(root.join(RUN_TASK)).unwrap()).unwrap();
        extra["paths"]["/v2/tasks/{task_id}/run"]["post"]["operationId"] = "RunTaskAgain".into();
        let paths = extra["paths"].as_object_mut().unwrap();
        let item = paths.remove("/v2/tasks/{task_id}/run").unwrap();
        paths.insert("/v3/tasks/{task_id}/run".into(), item);
        std::fs::write(root.join("spec/vendor/explorer/codearts-check/RunTaskAgain.json"), canonical_json(&extra))
            .unwrap();
        edit(
            root,
            "spec/vendor/explorer/codearts-check/ShowTaskDefects.json",
            "- 2:已忽略。",
            "- 2:已忽略。\\n- 3:已延期。",
        );

        let sources = Sources::load(root, CHECK).unwrap();
        let d = drift(&sources);
        let found = open(&d);
        for line in [
            "[operation] RunTaskAgain /: operation only in the explorer (POST /v3/tasks/{task_id}/run)",
            "[field] RunTask /request/priority: only in the explorer (integer(int32))",
            "[type] RunTask /request/git_branch: type: the spec string, the explorer integer",
            "[required] RunTask /request/git_url: required in the explorer, optional in the spec",
            "[parameter] RunTask /parameters/query/mode: only in the explorer (string)",
            "[enum] ShowTaskDefects /response/defects/0/defect_status: values the explorer lists and the spec does not: 3 (spec: 0, 1, 2)",
        ] {
            assert!(found.iter().any(|f| f == line), "missing {line:?} in {found:#?}");
        }
        assert_eq!(found.len(), 6, "{found:#?}");
    }

    #[test]
    fn a_sources_erratum_decides_its_difference() {
        let dir = scratch();
        let root = dir.path();
        edit_json(root, RUN_TASK, |doc| {
            doc["definitions"]["RunRequestV2"]["properties"]["priority"] = serde_json::json!({"type": "string"});
            doc["definitions"]["RunRequestV2"]["properties"]["queue"] = serde_json::json!({"type": "string"});
        });
        let erratum = "\n- id: test-RunTask-priority\n  operation: RunTask\n  kind: field\n  pointer: /request/priority\n  \
                       also:\n  - RunTask /request/queue\n  sources:\n    explorer: present\n    sdk: absent\n  \
                       decision: follow-sdk\n  why: test\n";
        let errata = root.join("spec/errata/codearts-check.sources.yaml");
        let before = open(&drift(&Sources::load(root, CHECK).unwrap()));
        assert_eq!(before.len(), 2, "{before:#?}");
        std::fs::write(&errata, std::fs::read_to_string(&errata).unwrap() + erratum).unwrap();
        let sources = Sources::load(root, CHECK).unwrap();
        let d = drift(&sources);
        assert_eq!(open(&d), Vec::<String>::new());
        assert!(
            d.differences
                .iter()
                .any(|(d, by)| d.pointer == "/request/queue" && by.as_deref() == Some("test-RunTask-priority"))
        );
        assert_eq!(stale_errata(&sources, &d), Vec::<String>::new());
        // Following the explorer decides nothing: the difference stays open and the entry is wrong.
        std::fs::write(
            &errata,
            std::fs::read_to_string(&errata)
                .unwrap()
                .replace("decision: follow-sdk\n  why: test", "decision: follow-explorer\n  why: test"),
        )
        .unwrap();
        let sources = Sources::load(root, CHECK).unwrap();
        let d = drift(&sources);
        assert_eq!(open(&d).len(), 2);
        let stale = stale_errata(&sources, &d);
        assert!(
            stale.iter().any(|s| s.contains("test-RunTask-priority: decided follow-explorer, but the spec differs")),
            "{stale:#?}"
        );
    }

    #[test]
    fn a_sources_erratum_the_definitions_no_longer_bear_out_is_stale() {
        let dir = scratch();
        let root = dir.path();
        // RunTask-ref records that the explorer has `ref` (the SDK does not); the vendor drops it.
        edit_json(root, RUN_TASK, |doc| {
            doc["definitions"]["RunRequestV2"]["properties"].as_object_mut().unwrap().remove("ref");
        });
        // CreateRuleset-rule_config_list-rule_id records the explorer's string; it becomes an integer.
        edit(
            root,
            "spec/vendor/explorer/codearts-check/CreateRuleset.json",
            "\"rule_id\": {\n",
            "\"rule_id\": {\n       \"format\": \"int64\",\n",
        );
        edit_json(root, "spec/vendor/explorer/codearts-check/CreateRuleset.json", |doc| {
            fn retype(v: &mut Value) {
                match v {
                    Value::Object(m) => {
                        if let Some(r) = m.get_mut("rule_id").and_then(Value::as_object_mut) {
                            r.insert("type".into(), "integer".into());
                        }
                        m.values_mut().for_each(retype);
                    }
                    Value::Array(a) => a.iter_mut().for_each(retype),
                    _ => {}
                }
            }
            retype(doc);
        });
        let sources = Sources::load(root, CHECK).unwrap();
        let stale = stale_errata(&sources, &drift(&sources));
        for id in ["RunTask-ref", "CreateRuleset-rule_config_list-rule_id"] {
            assert!(
                stale
                    .iter()
                    .any(|s| s
                        .starts_with(&format!("sources erratum {id}: the pinned explorer definition does not say"))),
                "{id} not reported in {stale:#?}"
            );
        }
        assert_eq!(stale.len(), 2, "{stale:#?}");
    }

    #[test]
    fn a_follow_explorer_entry_the_spec_departs_from_is_stale() {
        let dir = scratch();
        let root = dir.path();
        // ShowTaskDefectsStatistic-last_check_finish_time: the spec follows the explorer and has the field
        // (the first schema that lists it).
        edit(root, CHECK, "        last_check_finish_time:\n", "        last_check_finish_time_renamed:\n");
        let sources = Sources::load(root, CHECK).unwrap();
        let stale = stale_errata(&sources, &drift(&sources));
        assert!(
            stale.iter().any(|s| s.starts_with(
                "sources erratum ShowTaskDefectsStatistic-last_check_finish_time: decided follow-explorer"
            )),
            "{stale:#?}"
        );
    }

    #[test]
    fn claims_read_the_recorded_forms() {
        use ErratumKind as K;
        assert_eq!(claims(K::Field, "/request/x", "present"), vec![Claim::Present]);
        assert_eq!(claims(K::Field, "/request/x", "absent (no body parameter)"), vec![Claim::Absent]);
        assert_eq!(claims(K::Required, "/request/x", "required"), vec![Claim::Required]);
        assert_eq!(claims(K::Type, "/request/x", "integer (int32)"), vec![Claim::Type("integer(int32)".into())]);
        assert_eq!(claims(K::Type, "/request/x", "untyped"), vec![Claim::Type("any".into())]);
        assert_eq!(
            claims(K::ContentType, "/response", "application/json;charset=UTF-8"),
            vec![Claim::Media("application/json;charset=UTF-8".into())]
        );
        assert_eq!(
            claims(K::Parameter, "/parameters/query/limit", "integer, minimum 10, maximum 500"),
            vec![Claim::Type("integer".into()), Claim::Minimum(10.0), Claim::Maximum(500.0)]
        );
        assert_eq!(
            claims(K::Parameter, "/parameters/path/id", "pattern ^[0-9a-z]{32}$"),
            vec![Claim::Pattern("^[0-9a-z]{32}$".into())]
        );
        assert_eq!(claims(K::Parameter, "/parameters/query/get_all_params", "get_all_params"), vec![Claim::Present]);
        assert_eq!(claims(K::Parameter, "/parameters/path/id", "no limits"), vec![Claim::NoLimits]);
        assert_eq!(claims(K::Enum, "/request/x", "string"), vec![Claim::NoValues]);
        assert_eq!(
            claims(K::Enum, "/request/x", "draft, formal"),
            vec![Claim::Values(["draft".to_string(), "formal".to_string()].into())]
        );
        assert_eq!(claims(K::Operation, "/responses", "201"), vec![Claim::Status("201".into())]);
        assert_eq!(
            claims(K::Path, "/", "POST /v5/{id}/pass"),
            vec![Claim::Line("POST".into(), "/v5/{id}/pass".into())]
        );
        assert_eq!(
            claims(K::Required, "/request/start_offset", "required, listed as startOffset (no such property)"),
            vec![Claim::RequiredAs("startOffset".into())]
        );
        // Prose is not a claim.
        assert_eq!(claims(K::Operation, "/", "responses 200"), Vec::<Claim>::new());
    }

    #[test]
    fn values_are_read_from_the_explorers_value_lists() {
        let v = surface::described_values(
            "**参数解释:**\n问题状态。\n**取值范围:**\n- 0:待处理。\n- 1:已解决。\n**默认取值:**\n不涉及。",
        );
        assert_eq!(v, Some(["0".to_string(), "1".to_string()].into()));
        let v = surface::described_values("**取值范围**:\n- codehub。\n- \"GMT Standard Time\"。");
        assert_eq!(v, Some(["codehub".to_string(), "GMT Standard Time".to_string()].into()));
        // A list of prose enumerates nothing.
        assert_eq!(surface::described_values("**取值范围:**\n- 构建。\n- 部署。"), None);
        assert_eq!(surface::described_values("**取值范围:**\n不涉及。"), None);
    }

    #[test]
    fn the_vendored_form_is_reproduced_byte_for_byte() {
        // So `--update` to the pinned version rewrites nothing.
        let mut n = 0;
        for dir in std::fs::read_dir(repo_root().join("spec/vendor/explorer")).unwrap() {
            for file in json_files(&dir.unwrap().path()).unwrap() {
                let text = std::fs::read_to_string(&file).unwrap();
                let doc: Value = serde_json::from_str(&text).unwrap();
                assert!(canonical_json(&doc) == text, "{} is not in the vendored form", file.display());
                n += 1;
            }
        }
        assert!(n > 200, "only {n} definitions");
    }

    #[test]
    fn update_rewrites_the_folder_and_moves_the_pin() {
        let dir = scratch();
        let root = dir.path();
        let pins_before = std::fs::read_to_string(root.join("spec/vendor/PINS.yaml")).unwrap();
        // A stand-in for the unpacked crate: one definition changed, one new, one dropped, plus
        // files that are not definitions.
        let krate = tempfile::tempdir().unwrap();
        let defs = krate.path().join("definitions");
        copy_dir(&root.join("spec/vendor/explorer/codearts-check"), &defs);
        std::fs::remove_file(defs.join("UpdateCodeGate.json")).unwrap();
        edit_json(krate.path(), "definitions/RunTask.json", |doc| doc["summary"] = "changed".into());
        let mut extra: Value =
            serde_json::from_str(&std::fs::read_to_string(defs.join("RunTask.json")).unwrap()).unwrap();
        extra["paths"]["/v2/tasks/{task_id}/run"]["post"]["operationId"] = "RunTaskAgain".into();
        std::fs::write(defs.join("nested-name.json"), serde_json::to_string(&extra).unwrap()).unwrap();
        std::fs::write(krate.path().join("Cargo.toml"), "[package]\n").unwrap();
        std::fs::write(krate.path().join("index.json"), "[1, 2]").unwrap();

        let pin = Pin {
            krate: "huawei-cloud-api-definitions-CodeArtsCheck".into(),
            version: "0.1.20270101".into(),
            sha256: "ab".repeat(32),
        };
        let summary = apply_update(root, "codearts-check", &pin, krate.path()).unwrap();
        assert_eq!(
            summary,
            "codearts-check: huawei-cloud-api-definitions-CodeArtsCheck 0.1.20261030 → 0.1.20270101 (33 definitions: 1 added, 1 removed, 1 changed)"
        );
        let folder = root.join("spec/vendor/explorer/codearts-check");
        assert!(!folder.join("UpdateCodeGate.json").exists());
        let again = std::fs::read_to_string(folder.join("RunTaskAgain.json")).unwrap();
        assert_eq!(again, canonical_json(&extra), "stored in the vendored form, named by its operation");
        assert_eq!(pins(root).unwrap()["codearts-check"], pin);
        assert_eq!(pins(root).unwrap()["codearts-build"], pins(&repo_root()).unwrap()["codearts-build"]);
        // Only the two lines of the moved pin differ; comments stay.
        let pins_after = std::fs::read_to_string(root.join("spec/vendor/PINS.yaml")).unwrap();
        let changed: Vec<(&str, &str)> = pins_before.lines().zip(pins_after.lines()).filter(|(a, b)| a != b).collect();
        assert_eq!(changed.len(), 2, "{changed:#?}");
        assert_eq!(pins_before.lines().count(), pins_after.lines().count());
        // And drift reads the new folder.
        let d = drift(&Sources::load(root, CHECK).unwrap());
        assert!(open(&d).iter().any(|l| l.starts_with("[operation] RunTaskAgain /")), "{:#?}", open(&d));
    }

    #[test]
    fn checksums_come_from_the_lock_file() {
        let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.2\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ff00\"\n\n[[package]]\nname = \"local\"\nversion = \"0.0.0\"\n";
        let sums = lock_checksums(lock);
        assert_eq!(sums.len(), 1);
        assert_eq!(sums[&("a".to_string(), "0.1.2".to_string())], "ff00");
    }
}
