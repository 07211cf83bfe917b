//! The IAM calls the SDK makes: password login (`POST /v3/auth/tokens`, the body of section 3.1 of
//! the Build reference) and the project lookup (`GET /v3/projects?name=…`).
//!
//! IAM's own errors have IAM's shape, `{"error": {"code": 401, "message": …, "title": …}}`, not the
//! CodeArts one.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::reply::{Query, json_response};
use crate::state::{EmulatorState, IssuedToken, User, add, fmt_iam, hex};

/// How long an issued token is valid (section 3.2 of the reference: 24 hours).
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Deserialize)]
struct LoginRequest {
    auth: LoginAuth,
}

#[derive(Deserialize)]
struct LoginAuth {
    identity: Identity,
    #[serde(default)]
    scope: Option<Scope>,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(default)]
    methods: Vec<String>,
    #[serde(default)]
    password: Option<PasswordIdentity>,
}

#[derive(Deserialize)]
struct PasswordIdentity {
    user: UserRef,
}

#[derive(Deserialize)]
struct UserRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    password: String,
    #[serde(default)]
    domain: Option<NameOrId>,
}

#[derive(Deserialize)]
struct NameOrId {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Scope {
    #[serde(default)]
    project: Option<NameOrId>,
    #[serde(default)]
    domain: Option<NameOrId>,
}

/// IAM's error body.
fn iam_error(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    json_response(status, &json!({ "error": { "code": status.as_u16(), "message": message, "title": title } }))
}

fn user_matches(user: &User, wanted: &UserRef) -> bool {
    if let Some(id) = &wanted.id {
        return user.id == *id;
    }
    let Some(name) = &wanted.name else { return false };
    let domain = wanted.domain.as_ref();
    let domain_ok = match (domain.and_then(|d| d.id.as_ref()), domain.and_then(|d| d.name.as_ref())) {
        (Some(id), _) => user.domain_id == *id,
        (None, Some(domain_name)) => user.domain_name == *domain_name,
        (None, None) => false,
    };
    user.name == *name && domain_ok
}

/// Constant-time equality of two secrets' bytes (lengths may differ).
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// `POST /v3/auth/tokens`: a project-scoped token for a password login, in `X-Subject-Token`.
pub(crate) async fn create_token(State(state): State<EmulatorState>, body: Bytes) -> Response {
    let request: LoginRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return iam_error(StatusCode::BAD_REQUEST, &format!("The request body is invalid: {e}.")),
    };
    let auth = request.auth;
    let Some(password) = auth.identity.password.filter(|_| auth.identity.methods.iter().any(|m| m == "password"))
    else {
        return iam_error(StatusCode::BAD_REQUEST, "The emulator supports the password method only.");
    };
    let wanted = password.user;
    if wanted.id.is_none() && wanted.domain.as_ref().is_none_or(|d| d.id.is_none() && d.name.is_none()) {
        return iam_error(StatusCode::BAD_REQUEST, "A user given by name needs its domain (name or id).");
    }
    let settings = state.settings();
    let user = settings
        .users
        .iter()
        .position(|u| user_matches(u, &wanted) && same_secret(u.password.expose_secret(), &wanted.password));
    let Some(user) = user else {
        return iam_error(StatusCode::UNAUTHORIZED, "The username or password is wrong.");
    };
    let scope = auth.scope.unwrap_or(Scope { project: None, domain: None });
    let Some(project) = scope.project else {
        let why = if scope.domain.is_some() {
            "CodeArts accepts project-scoped tokens only; scope the token to a project."
        } else {
            "The token must be scoped to a project (scope.project.name or scope.project.id)."
        };
        return iam_error(StatusCode::BAD_REQUEST, why);
    };
    let project = settings.projects.iter().position(|p| match (&project.id, &project.name) {
        (Some(id), _) => p.id == *id,
        (None, Some(name)) => p.name == *name,
        (None, None) => false,
    });
    let Some(project) = project else {
        return iam_error(StatusCode::UNAUTHORIZED, "The project does not exist or the user has no access to it.");
    };

    let now = state.now();
    let expires = add(now, TOKEN_LIFETIME);
    let token = {
        let mut data = state.data();
        data.tokens.retain(|_, t| t.expires > now);
        let seed = data.seed("token");
        let token = format!("MIIemu{}", hex(&format!("{seed}/{}", state.shared.token_salt), 64));
        data.tokens.insert(token.clone(), IssuedToken { user, project, expires });
        token
    };
    let (u, p) = (&settings.users[user], &settings.projects[project]);
    let domain = json!({ "id": u.domain_id, "name": u.domain_name });
    let body = json!({
        "token": {
            "expires_at": fmt_iam(expires),
            "issued_at": fmt_iam(now),
            "methods": ["password"],
            "project": { "id": p.id, "name": p.name, "domain": domain },
            "user": { "id": u.id, "name": u.name, "domain": domain },
            "catalog": [],
            "roles": [{ "id": "0", "name": "te_admin" }],
        }
    });
    let mut response = json_response(StatusCode::CREATED, &body);
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}

/// `GET /v3/projects?name=…`: the account's IAM projects, filtered by name.
pub(crate) async fn list_projects(State(state): State<EmulatorState>, request: axum::extract::Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(caller) = parts.extensions.get::<Caller>().copied() else {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information."}),
        );
    };
    let query = Query::parse(parts.uri.query().unwrap_or_default(), &codearts::build::operations::SERVICE);
    let settings = state.settings();
    let domain_id = &settings.users[caller.user].domain_id;
    let name = query.optional("name");
    let projects: Vec<_> = settings
        .projects
        .iter()
        .filter(|p| name.is_none_or(|n| p.name == n))
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "domain_id": domain_id,
                "parent_id": domain_id,
                "is_domain": false,
                "enabled": true,
                "description": "",
                "links": { "self": format!("/v3/projects/{}", p.id), "next": null, "previous": null },
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "projects": projects, "links": { "self": "/v3/projects", "next": null, "previous": null } }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("demo-password", "demo-password"));
        assert!(!same_secret("demo-password", "demo-passwore"));
        assert!(!same_secret("demo-password", "demo-password2"));
        assert!(!same_secret("", "x"));
        assert!(same_secret("", ""));
    }
}
