//! Routing and request checks from the SDK's own operation tables
//! (`codearts::<service>::operations::SERVICE`): the same method, path template, parameter formats and
//! required flags the client checks before sending are what the emulator checks on arrival, so the
//! two cannot disagree, and an operation added to a spec is routed without code here.
//!
//! A request is matched against every operation of every service: segment by segment, a literal
//! segment of a template beats a placeholder, so `/v3/jobs/build` is RunJob and never
//! `/v3/{project_id}/jobs`-like templates. A path that matches no template is 404, one that matches
//! templates of other methods only is 405 with `Allow`. Path parameters are percent-decoded and
//! checked, like the query parameters, against the spec's formats (and required query parameters
//! must be there), before the operation's handler sees them: a failure is a 400 in the answering
//! service's own error codes.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use codearts::runtime::{OperationMeta, ServiceMeta};
use codearts::validate::Location;

use crate::auth::Caller;
use axum::response::{IntoResponse, Response};

use crate::reply::{ApiError, Query, Reply};
use crate::state::EmulatorState;

/// The services the emulator serves.
pub(crate) fn services() -> &'static [&'static ServiceMeta] {
    static SERVICES: &[&ServiceMeta] = &[
        &codearts::build::operations::SERVICE,
        &codearts::check::operations::SERVICE,
        &codearts::pipeline::operations::SERVICE,
    ];
    SERVICES
}

/// One operation's route.
struct Route {
    service: &'static ServiceMeta,
    op: &'static OperationMeta,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    Placeholder(&'static str),
}

fn parse_template(path: &'static str) -> Vec<Segment> {
    path.trim_start_matches('/')
        .split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => Segment::Placeholder(name),
            None => Segment::Literal(s),
        })
        .collect()
}

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    services()
        .iter()
        .flat_map(|service| {
            service.operations.iter().map(move |op| Route { service, op, segments: parse_template(op.path) })
        })
        .collect()
});

/// An operation's request as its handler sees it: checked, with its parameters by name.
pub(crate) struct Call<'a> {
    pub(crate) service: &'static ServiceMeta,
    pub(crate) op: &'static OperationMeta,
    pub(crate) caller: Caller,
    path: Vec<(&'static str, String)>,
    pub(crate) query: Query,
    /// The request headers (UploadKeystore reads its multipart boundary there).
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Bytes,
}

impl Call<'_> {
    /// The path parameter `name` (percent-decoded; checked against its format).
    pub(crate) fn path(&self, name: &str) -> &str {
        self.path.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// The JSON body as `T`, or 400 in the answering service's codes.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        crate::reply::json_body_for(self.service, &self.body)
    }
}

/// What an operation's handler is: every handler is a plain function of the state and the call.
pub(crate) type Handler = fn(&EmulatorState, &Call<'_>) -> Reply;

/// The outcome of matching a request line.
enum Found {
    Route(&'static Route, Vec<(&'static str, String)>),
    /// The path exists, in this service, with other methods.
    WrongMethod(&'static ServiceMeta, Vec<&'static str>),
    Nothing,
}

fn find(method: &Method, path: &str) -> Found {
    let actual: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // The best match: at the first segment where two candidates differ, a literal wins, whatever
    // their methods.
    let rank = |r: &Route| r.segments.iter().map(|s| matches!(s, Segment::Placeholder(_))).collect::<Vec<bool>>();
    let candidates = ROUTES.iter().filter(|r| {
        r.segments.len() == actual.len()
            && r.segments.iter().zip(&actual).all(|(s, a)| match s {
                Segment::Literal(l) => l == a,
                Segment::Placeholder(_) => !a.is_empty(),
            })
    });
    let mut candidates: Vec<&Route> = candidates.collect();
    // The services share one port here but not in the cloud: a path that one service's template
    // matches more literally than any other belongs to that service (Build's `/v3/templates/create`
    // is never Pipeline's `/v3/templates/{template_id}`, whatever the method).
    // Within a service too: `DELETE /v3/pipelines/list` is 405 (the path is POST's), not a DELETE
    // of pipeline "list". IDs are never such words, so no call meant for the placeholder is lost.
    if let Some(closest) = candidates.iter().min_by_key(|r| rank(r)).map(|r| (r.service.name, rank(r))) {
        candidates.retain(|r| r.service.name == closest.0 && rank(r) == closest.1);
    }
    let mut best: Option<&Route> = None;
    for r in candidates.iter().filter(|r| r.op.method.eq_ignore_ascii_case(method.as_str())) {
        if best.is_none_or(|b| rank(r) < rank(b)) {
            best = Some(r);
        }
    }
    // `Allow` names the methods of the path's own template only: `/v3/templates/create` is POST,
    // even though `GET /v3/templates/{uuid}` would match its shape.
    let closest = candidates.iter().map(|r| rank(r)).min();
    let mut allowed = Vec::new();
    let mut owner = None;
    for r in candidates.iter().filter(|r| Some(rank(r)) == closest) {
        if !r.op.method.eq_ignore_ascii_case(method.as_str()) && !allowed.contains(&r.op.method) {
            allowed.push(r.op.method);
            owner.get_or_insert(r.service);
        }
    }
    match best {
        Some(route) => {
            let params = route
                .segments
                .iter()
                .zip(&actual)
                .filter_map(|(s, a)| match s {
                    Segment::Placeholder(name) => {
                        Some((*name, percent_encoding::percent_decode_str(a).decode_utf8_lossy().into_owned()))
                    }
                    Segment::Literal(_) => None,
                })
                .collect();
            Found::Route(route, params)
        }
        None => match owner {
            Some(service) => Found::WrongMethod(service, allowed),
            None => Found::Nothing,
        },
    }
}

/// The operation behind a request, checked: its path and query parameters against the spec's
/// formats and required flags. `Err` is the answer to give instead (404, 405, or 400 in the
/// service's codes).
pub(crate) fn route<'a>(
    method: &Method,
    path: &str,
    raw_query: Option<&str>,
    headers: &'a HeaderMap,
    caller: Caller,
    body: Bytes,
) -> Result<Call<'a>, Box<Response>> {
    let (route, params) = match find(method, path) {
        Found::Route(route, params) => (route, params),
        Found::WrongMethod(service, allowed) => {
            return Err(Box::new(crate::reply::method_not_allowed(service, &allowed)));
        }
        Found::Nothing => return Err(Box::new(crate::reply::unknown_url().into_response())),
    };
    let (service, op) = (route.service, route.op);
    let query = Query::parse(raw_query.unwrap_or_default(), service);
    let invalid =
        |name: &str, detail: String| Err(Box::new(ApiError::invalid_id_for(service, name, detail).into_response()));
    for p in service.parameters.iter().filter(|p| p.operation == op.id) {
        match p.location {
            Location::Path => {
                let value = params.iter().find(|(n, _)| *n == p.name).map(|(_, v)| v.as_str()).unwrap_or_default();
                if let Err(e) = p.check(value) {
                    return Err(Box::new(
                        ApiError::invalid_id_for(service, p.name, e.message().unwrap_or_default()).into_response(),
                    ));
                }
            }
            Location::Query => match query.optional(p.name) {
                None if p.required => return invalid(p.name, format!("Query parameter {} is required.", p.name)),
                None => {}
                Some(value) => {
                    if let Err(e) = p.check(value) {
                        return invalid(p.name, e.message().unwrap_or_default().to_string());
                    }
                }
            },
        }
    }
    Ok(Call { service, op, caller, path: params, query, headers, body })
}

/// Every operation the emulator routes (for completeness checks).
#[cfg(test)]
pub(crate) fn operations() -> impl Iterator<Item = (&'static ServiceMeta, &'static OperationMeta)> {
    ROUTES.iter().map(|r| (r.service, r.op))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op_of(method: Method, path: &str) -> Option<&'static str> {
        match find(&method, path) {
            Found::Route(r, _) => Some(r.op.id),
            _ => None,
        }
    }

    #[test]
    fn literals_beat_placeholders() {
        assert_eq!(op_of(Method::POST, "/v3/jobs/build"), Some("RunJob"));
        assert_eq!(op_of(Method::POST, "/v3/jobs/stop"), Some("StopJob"));
        assert_eq!(op_of(Method::GET, "/v3/jobs/901878212b1a49be9c1a1054c272762a/status"), Some("ShowJobStatus"));
        assert_eq!(op_of(Method::GET, "/v3/6ecbc5bac7c8442fb3d2563d53c13582/jobs"), Some("ShowJobListByProjectId"));
    }

    #[test]
    fn wrong_methods_and_unknown_paths() {
        assert!(matches!(find(&Method::DELETE, "/v3/jobs/build"), Found::WrongMethod(_, m) if m == ["POST"]));
        // A literal path's own methods, not those of a placeholder template of the same shape.
        assert!(matches!(find(&Method::OPTIONS, "/v3/templates/create"), Found::WrongMethod(_, m) if m == ["POST"]));
        // ... and never another service's placeholder template (Pipeline's GET /v3/templates/{template_id}),
        // nor its own: DELETE /v3/pipelines/list is no DELETE of /v3/pipelines/{pipeline_id}.
        assert!(matches!(find(&Method::DELETE, "/v3/pipelines/list"), Found::WrongMethod(_, m) if m == ["POST"]));
        assert!(matches!(find(&Method::GET, "/v3/templates/create"), Found::WrongMethod(_, m) if m == ["POST"]));
        assert!(matches!(find(&Method::GET, "/v9/nothing"), Found::Nothing));
        assert!(matches!(find(&Method::GET, "/v3/jobs//status"), Found::Nothing), "an empty segment is no ID");
    }

    #[test]
    fn every_template_is_reachable() {
        // No operation is shadowed by another of the same method: its own template, filled with
        // placeholder names, routes to it.
        for r in ROUTES.iter() {
            let path: String = r
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => l.to_string(),
                    Segment::Placeholder(n) => format!("x{n}"),
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(r.op.method.as_bytes()).unwrap();
            assert_eq!(op_of(method, &format!("/{path}")), Some(r.op.id), "{} {}", r.op.method, r.op.path);
        }
    }
}
