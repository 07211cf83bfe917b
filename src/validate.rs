//! Parameter checks made before a request is sent.
//!
//! The specs give each ID parameter the format the vendor's reference documents for it, as standard
//! OpenAPI `pattern`, `minLength` and `maxLength` (plus `x-codearts-format`, a short description for
//! messages). Code generation keeps those formats out of progenitor's hands, so builder methods take
//! plain strings, and lists them instead in each service's `operations::PARAMETERS`. Before anything
//! is sent — before credentials are even fetched — the generated hook calls [`check_request`] on the
//! URL the builder produced:
//!
//! - every path parameter must still sit in its own segment of the operation's path template (the
//!   only values that cannot are `.` and `..`, which URL parsers resolve away), and
//! - every path and query parameter with a documented format must match it.
//!
//! A failure is an [`Error`] of kind [`ErrorKind::InvalidInput`] naming the parameter, the value and
//! the expected format (`job_id "abc/../x" is not a valid job ID (32 letters and digits)`); `.call()`
//! adds the operation. Nothing reaches the network.
//!
//! Path parameters are percent-encoded by [`encode_path`], which the generated code calls instead of
//! progenitor's encoder: everything but RFC 3986's unreserved characters is encoded, so a value can
//! never add a segment, a query or a fragment, and reaches the server as exactly the string given.

use crate::error::{Error, ErrorKind};
use crate::runtime::{OperationMeta, ServiceMeta};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// A segment of the URL path.
    Path,
    /// A query-string parameter.
    Query,
}

/// One path or query parameter of an operation, as its spec declares it (generated into each
/// service's `operations::PARAMETERS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter {
    /// The operation's vendor name (`ShowJobStatus`).
    pub operation: &'static str,
    /// The parameter's name (`job_id`).
    pub name: &'static str,
    /// Path or query.
    pub location: Location,
    /// The spec marks it required.
    pub required: bool,
    /// An array the spec sends as one comma-separated value (`style: form, explode: false`).
    pub comma_separated: bool,
    /// The schema is `type: string` (integers cannot be `.` or `..`).
    pub string: bool,
    /// The spec's `pattern`: an anchored regular expression the whole value must match.
    pub pattern: Option<&'static str>,
    /// The spec's `minLength`, in characters.
    pub min_length: Option<usize>,
    /// The spec's `maxLength`, in characters.
    pub max_length: Option<usize>,
    /// What a valid value is, for messages (`job ID (32 letters and digits)`).
    pub format: Option<&'static str>,
}

impl Parameter {
    /// The spec documents a format for this parameter.
    pub fn is_constrained(&self) -> bool {
        self.pattern.is_some() || self.min_length.is_some() || self.max_length.is_some()
    }

    /// Checks one value against the documented format.
    pub fn check(&self, value: &str) -> Result<(), Error> {
        let length = value.chars().count();
        let long_enough = self.min_length.is_none_or(|min| length >= min);
        let short_enough = self.max_length.is_none_or(|max| length <= max);
        let matches = match self.pattern {
            None => true,
            Some(pattern) => compiled(pattern)
                .map_err(|e| invalid(format!("{}: the spec's pattern {pattern} does not compile ({e})", self.name)))?
                .is_match(value),
        };
        if long_enough && short_enough && matches {
            Ok(())
        } else {
            Err(invalid(format!("{} {} is not a valid {}", self.name, shown(value), self.describe())))
        }
    }

    /// The expected format in words: the spec's `x-codearts-format`, else the constraints.
    fn describe(&self) -> String {
        if let Some(format) = self.format {
            return format.to_string();
        }
        let mut parts = Vec::new();
        if let Some(p) = self.pattern {
            parts.push(format!("matching {p}"));
        }
        match (self.min_length, self.max_length) {
            (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters")),
            (Some(min), None) => parts.push(format!("at least {min} characters")),
            (None, Some(max)) => parts.push(format!("at most {max} characters")),
            (None, None) => {}
        }
        format!("value ({})", parts.join(", "))
    }

    /// The error for a path value of `.` or `..`, which cannot be sent as a segment.
    fn dot_segment(&self, value: &str) -> Error {
        self.check(value).err().unwrap_or_else(|| {
            invalid(format!("{} {value:?} cannot be sent: \".\" and \"..\" would change the request path", self.name))
        })
    }
}

/// Joins the values of every comma-separated array parameter of `operation` into one (progenitor
/// sends `k=a&k=b`; the spec says `k=a,b`). Other parameters keep their order.
pub fn join_comma_separated(url: &mut url::Url, operation: &str, service: &ServiceMeta) {
    let comma: Vec<&str> = service
        .parameters
        .iter()
        // The flags first: most parameters are not comma-separated, and the name compare is the cost.
        .filter(|p| p.comma_separated && p.location == Location::Query && p.operation == operation)
        .map(|p| p.name)
        .collect();
    if comma.is_empty() || url.query().is_none() {
        return;
    }
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let mut joined: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match joined.iter_mut().find(|(name, _)| *name == k && comma.contains(&k.as_str())) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            None => joined.push((k, v)),
        }
    }
    url.query_pairs_mut().clear().extend_pairs(joined);
}

/// Percent-encodes one path parameter: every byte but ASCII letters, digits and `-._~`.
///
/// progenitor's own encoder leaves `\` (which URL parsers treat as `/` in http(s) URLs) and
/// characters such as `;` (which some servers strip as path parameters) as they are; this one
/// encodes them, so the server decodes exactly the string given. Only `.` and `..` survive
/// unchanged and are resolved away by URL parsing, which [`check_request`] rejects.
pub fn encode_path(segment: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Checks the URL a generated builder produced for operation `snake_id` (progenitor's snake_case
/// operation id) against the operation's path template and its parameters' documented formats.
/// `base_url` is the client's base URL, which the generated code prefixes to the template.
pub fn check_request(url: &url::Url, base_url: &str, snake_id: &str, service: &ServiceMeta) -> Result<(), Error> {
    let Some(meta) = service.operation(snake_id) else { return Ok(()) };
    let plan = plan(service, meta, base_url)?;
    let params: &[&Parameter] = &plan.params;
    let find = |name: &str, location: Location| params.iter().find(|p| p.name == name && p.location == location);
    let expected: Vec<Segment> = plan.expected.iter().map(|s| Segment::of(s)).collect();
    let actual = segments(url);
    // An empty placeholder segment is no value either (`/update/.` parses as `/update/`, whose last
    // segment is empty; `//` in the middle is another path to many servers).
    if expected.len() == actual.len() {
        for (e, a) in expected.iter().zip(&actual) {
            if let (Segment::Placeholder(name), true) = (e, a.is_empty()) {
                return Err(match find(name, Location::Path) {
                    Some(p) if p.check("").is_err() => p.check("").unwrap_err(),
                    _ => invalid(format!(
                        "{name} \"\" cannot be sent: an empty path segment would change the request path"
                    )),
                });
            }
        }
    }
    let fits = expected.len() == actual.len()
        && expected.iter().zip(&actual).all(|(e, a)| matches!(e, Segment::Placeholder(_)) || e == &Segment::Literal(a));
    if !fits {
        return Err(dot_segment_error(meta, params, &expected, &actual));
    }
    for (e, a) in expected.iter().zip(&actual) {
        if let Segment::Placeholder(name) = e
            && let Some(p) = find(name, Location::Path)
            && p.is_constrained()
        {
            p.check(&percent_encoding::percent_decode_str(a).decode_utf8_lossy())?;
        }
    }
    for (name, value) in url.query_pairs() {
        if let Some(p) = find(&name, Location::Query)
            && p.is_constrained()
        {
            p.check(&value)?;
        }
    }
    Ok(())
}

/// What [`check_request`] needs of one operation under one base URL: its parameters and the
/// segments of its path template joined to the base URL. Computed once per thread and operation
/// (kept until the base URL changes): filtering every parameter of the service and parsing the
/// joined URL on every call were a fifth of the SDK's own per-call cost.
struct Plan {
    base_url: String,
    params: Vec<&'static Parameter>,
    /// The template's segments as URL parsing leaves them (`%7Bname%7D` for a placeholder).
    expected: Vec<String>,
}

thread_local! {
    /// Keyed by the addresses of the service's parameter table and of the operation's entry: at
    /// most one plan per operation of each table.
    static PLANS: std::cell::RefCell<HashMap<(usize, usize), std::rc::Rc<Plan>>> = std::cell::RefCell::new(HashMap::new());
}

fn plan(service: &ServiceMeta, meta: &'static OperationMeta, base_url: &str) -> Result<std::rc::Rc<Plan>, Error> {
    let key = (service.parameters.as_ptr() as usize, std::ptr::from_ref(meta) as usize);
    if let Some(plan) = PLANS.with_borrow(|plans| plans.get(&key).filter(|p| p.base_url == base_url).cloned()) {
        return Ok(plan);
    }
    // The template parsed the way the generated code builds URLs (`{base}{path}`), so that the base
    // URL's own path and placeholders line up with the request's segments.
    let expected = url::Url::parse(&format!("{base_url}{}", meta.path))
        .map_err(|e| invalid(format!("the base URL {base_url:?} cannot be joined with {}: {e}", meta.path)))?;
    let service_parameters: &'static [Parameter] = service.parameters;
    let plan = std::rc::Rc::new(Plan {
        base_url: base_url.to_owned(),
        params: service_parameters.iter().filter(|p| p.operation == meta.id).collect(),
        expected: segments(&expected).iter().map(|s| (*s).to_owned()).collect(),
    });
    PLANS.with_borrow_mut(|plans| plans.insert(key, plan.clone()));
    Ok(plan)
}

/// A segment of a path template.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

impl<'a> Segment<'a> {
    /// `%7Bname%7D` (a placeholder after URL parsing) or a literal.
    fn of(s: &'a str) -> Self {
        match s.strip_prefix("%7B").and_then(|s| s.strip_suffix("%7D")) {
            Some(name) => Segment::Placeholder(name),
            None => Segment::Literal(s),
        }
    }
}

fn segments(url: &url::Url) -> Vec<&str> {
    url.path_segments().map(Iterator::collect).unwrap_or_default()
}

/// The request's path lost segments: a string path parameter was `.` or `..`. Names the parameter
/// and the value when exactly one reading explains the path.
fn dot_segment_error(meta: &OperationMeta, params: &[&Parameter], expected: &[Segment], actual: &[&str]) -> Error {
    let candidates: Vec<&&Parameter> = params.iter().filter(|p| p.location == Location::Path && p.string).collect();
    let mut readings = Vec::new();
    for p in &candidates {
        for dots in [".", ".."] {
            // The template with this parameter set to `dots`, resolved as a URL parser would;
            // other placeholders match any segment.
            let substituted = expected.iter().map(|s| match s {
                Segment::Placeholder(n) if *n == p.name => Some(dots),
                Segment::Placeholder(_) => None,
                Segment::Literal(l) => Some(*l),
            });
            let resolved = resolve_dots(substituted.collect());
            if resolved.len() == actual.len() && resolved.iter().zip(actual).all(|(r, a)| r.is_none_or(|r| r == *a)) {
                readings.push((p, dots));
            }
        }
    }
    match readings.as_slice() {
        [(p, dots)] => p.dot_segment(dots),
        _ => {
            let names: Vec<&str> = candidates.iter().map(|p| p.name).collect();
            invalid(format!(
                "a path parameter ({}) would change the request path {} (\".\" and \"..\" cannot be sent as path \
                 parameters)",
                names.join(", "),
                meta.path
            ))
        }
    }
}

/// Removes dot segments as WHATWG URL parsing does (`None` is a segment of unknown value).
fn resolve_dots(segments: Vec<Option<&str>>) -> Vec<Option<&str>> {
    let last = segments.len().saturating_sub(1);
    let mut out = Vec::new();
    for (i, s) in segments.into_iter().enumerate() {
        match s {
            Some(".") => {}
            Some("..") => {
                out.pop();
            }
            other => {
                out.push(other);
                continue;
            }
        }
        // A trailing dot segment leaves the path ending in `/`.
        if i == last {
            out.push(Some(""));
        }
    }
    if out.is_empty() {
        out.push(Some(""));
    }
    out
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

/// A value for a message: quoted and escaped, at most 64 characters.
fn shown(value: &str) -> String {
    const MAX: usize = 64;
    let head: String = value.chars().take(MAX).collect();
    let mut out = format!("{head:?}");
    if value.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// Each pattern is compiled once (they are few: one per documented ID format) and kept for the life
/// of the process: a `Regex` clone would start with an empty lazy-DFA cache and rebuild it on every
/// call, which was half the SDK's own per-call cost (BENCHMARKS.md).
fn compiled(pattern: &'static str) -> Result<&'static regex::Regex, regex::Error> {
    static CACHE: LazyLock<Mutex<HashMap<&'static str, &'static regex::Regex>>> = LazyLock::new(Mutex::default);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = cache.get(pattern) {
        return Ok(r);
    }
    // Bounded: only the spec's static patterns reach here.
    let r: &'static regex::Regex = Box::leak(Box::new(regex::Regex::new(pattern)?));
    cache.insert(pattern, r);
    Ok(r)
}

#[cfg(all(test, feature = "build", feature = "check"))]
mod tests {
    use super::*;

    fn all_parameters() -> impl Iterator<Item = &'static Parameter> {
        crate::build::operations::PARAMETERS.iter().chain(crate::check::operations::PARAMETERS)
    }

    fn param(operation: &str, name: &str) -> &'static Parameter {
        all_parameters()
            .find(|p| p.operation == operation && p.name == name)
            .unwrap_or_else(|| panic!("{operation} has no parameter {name}"))
    }

    #[track_caller]
    fn rejected(p: &Parameter, value: &str) -> String {
        let e = p.check(value).expect_err(value);
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        e.message().unwrap_or_default().to_string()
    }

    /// The cases every 32-character ID format must reject.
    fn assert_rejects_malformed(p: &Parameter, valid: &str) {
        assert!(p.check(valid).is_ok(), "{valid}");
        let short = &valid[1..];
        let long = format!("{valid}0");
        for bad in [
            short,
            long.as_str(),
            "",
            "../",
            "..",
            ".",
            &format!("{}../", &valid[3..]),
            &format!("{}?a=b", &valid[4..]),
            &format!("{}#frag", &valid[5..]),
            &format!("{}%2F", &valid[3..]),
            &format!("{}/", &valid[1..]),
            &format!("{}é", &valid[1..]),
            &format!("{} ", &valid[1..]),
            &format!("{}\n", &valid[1..]),
        ] {
            let message = rejected(p, bad);
            assert!(message.starts_with(&format!("{} {bad:?} is not a valid ", p.name)), "{message}");
        }
    }

    #[test]
    fn job_ids_are_32_letters_and_digits() {
        for op in ["ShowJobStatus", "ShowRecordDetail", "DeleteBuildJob", "ListNotice", "ShowListPeriodHistory"] {
            let p = param(op, "job_id");
            assert_rejects_malformed(p, "cb5fa20de5fd4cf8be681d4bd6fdd2f6");
            // "Digits and letters", either case.
            assert!(p.check("CB5FA20DE5FD4CF8BE681D4BD6FDD2F6").is_ok());
            assert!(p.check("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").is_ok());
            assert_eq!(rejected(p, "abc/../x"), "job_id \"abc/../x\" is not a valid job ID (32 letters and digits)");
            assert!(rejected(p, "cb5fa20de5fd4cf8be681d4bd6fdd2f-").contains("job ID"));
        }
    }

    #[test]
    fn project_ids_are_32_digits_and_lowercase_letters() {
        for op in ["ShowJobListByProjectId", "ShowLastHistory"] {
            let p = param(op, "project_id");
            assert_rejects_malformed(p, "6ecbc5bac7c8442fb3d2563d53c13582");
            assert_eq!(
                rejected(p, "6ECBC5BAC7C8442FB3D2563D53C13582"),
                "project_id \"6ECBC5BAC7C8442FB3D2563D53C13582\" is not a valid CodeArts project ID \
                 (32 digits and lowercase letters)"
            );
        }
    }

    #[test]
    fn domain_ids_are_32_digits_and_lowercase_letters() {
        let p = param("DownloadKeystore", "domain_id");
        assert_eq!(p.location, Location::Query);
        assert_rejects_malformed(p, "60021bab32fd450aa2cb89226f425e06");
        assert!(
            rejected(p, "60021BAB32FD450AA2CB89226F425E06").contains("tenant ID (32 digits and lowercase letters)")
        );
    }

    #[test]
    fn record_ids_are_36_digits_lowercase_letters_and_hyphens() {
        for op in ["DownloadBuildLog", "DownloadTaskLog", "DownloadLogByRecordId"] {
            let p = param(op, "record_id");
            assert_rejects_malformed(p, "2cc26382-b2cb-4234-8eb0-b37d362f4d4c");
            assert!(p.check("------------------------------------").is_ok(), "hyphens anywhere, as documented");
            assert!(rejected(p, "2CC26382-B2CB-4234-8EB0-B37D362F4D4C").contains("build record ID"));
            assert!(rejected(p, "2cc26382_b2cb_4234_8eb0_b37d362f4d4c").contains("build record ID"));
        }
    }

    #[test]
    fn ids_without_a_documented_format_only_must_not_be_empty() {
        // The Build spec's only ID without a documented format.
        for (op, name) in [("DeleteKeystorePermission", "permission_id")] {
            let p = param(op, name);
            assert_eq!(p.pattern, None);
            for fine in ["x", "2ab0e6a3-3e1a-4708-bb16-fff2b0999027", "a b/c?d#e", "..."] {
                assert!(p.check(fine).is_ok(), "{name} {fine:?}");
            }
            assert!(rejected(p, "").starts_with(&format!("{name} \"\" is not a valid ")));
        }
    }

    #[test]
    fn every_pattern_compiles_and_is_anchored() {
        for p in all_parameters() {
            if let Some(pattern) = p.pattern {
                compiled(pattern).unwrap_or_else(|e| panic!("{} {}: {e}", p.operation, p.name));
                assert!(pattern.starts_with('^') && pattern.ends_with('$'), "{pattern}");
                assert!(p.format.is_some(), "{} {} has a pattern but no x-codearts-format", p.operation, p.name);
            }
        }
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let message = rejected(param("ShowJobStatus", "job_id"), &"x".repeat(1000));
        assert!(message.len() < 200, "{message}");
        assert!(message.contains(&format!("\"{}\"…", "x".repeat(64))), "{message}");
    }

    #[test]
    fn encoding_leaves_only_unreserved_characters() {
        assert_eq!(encode_path("abc-._~XYZ019"), "abc-._~XYZ019");
        assert_eq!(encode_path("a/b\\c?d#e%f g;h"), "a%2Fb%5Cc%3Fd%23e%25f%20g%3Bh");
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    fn check(url: &str, snake: &str) -> Result<(), Error> {
        let url = url::Url::parse(url).unwrap();
        check_request(&url, "http://127.0.0.1:9", snake, &crate::build::operations::SERVICE)
    }

    #[test]
    fn requests_are_checked_segment_by_segment() {
        check("http://127.0.0.1:9/v3/jobs/cb5fa20de5fd4cf8be681d4bd6fdd2f6/status", "show_job_status").unwrap();
        check("http://127.0.0.1:9/v3/jobs/cb5fa20de5fd4cf8be681d4bd6fdd2f6/7/stop", "stop_build_job").unwrap();
        let e = check("http://127.0.0.1:9/v3/jobs/abc%2F..%2Fx/status", "show_job_status").unwrap_err();
        assert_eq!(e.message(), Some("job_id \"abc/../x\" is not a valid job ID (32 letters and digits)"));
        let e = check("http://127.0.0.1:9/v3/keystore?file_name=a&domain_id=NOPE", "download_keystore").unwrap_err();
        assert!(e.message().unwrap().starts_with("domain_id \"NOPE\" is not a valid tenant ID"), "{e}");
    }

    #[test]
    fn dot_segments_are_named() {
        // `/v3/jobs/../status` and `/v3/jobs/./status`, as URL parsing leaves them.
        let e = check("http://127.0.0.1:9/v3/status", "show_job_status").unwrap_err();
        assert_eq!(e.message(), Some("job_id \"..\" is not a valid job ID (32 letters and digits)"));
        let e = check("http://127.0.0.1:9/v3/jobs/status", "show_job_status").unwrap_err();
        assert_eq!(e.message(), Some("job_id \".\" is not a valid job ID (32 letters and digits)"));
        // A parameter that has no pattern gets its own message.
        let e = check("http://127.0.0.1:9/v2/keystore/permission/delete", "delete_keystore_permission").unwrap_err();
        assert_eq!(
            e.message(),
            Some("permission_id \".\" cannot be sent: \".\" and \"..\" would change the request path")
        );
    }
}
