//! Keystore files (the v2 "files" API): UploadKeystore (a multipart form), ListKeystore,
//! ListKeystoreSearch, DownloadKeystoreByName, UpdateKeystore, DeleteKeystore and the per-user
//! permissions (AddKeystorePermission, UpdateKeystorePermission, ShowKeystorePermission,
//! DeleteKeystorePermission).
//!
//! Files belong to an account (domain). The uploaded bytes are what every download returns
//! (DownloadKeystoreByName, and the v3 DownloadKeystore by file name). The files configured when
//! the emulator starts ([`crate::EmulatorBuilder::keystore`]) are there from the start, created by
//! the account's first user. An upload is refused unless it is a non-empty file (`CB.00060212`) of
//! at most 100 KB named `*.xml`, `*.key`, `*.keystore`, `*.jks`, `*.crt` or `*.pem`, with a
//! `privacy` consent; names are unique in the account. The creator may do everything; another user
//! of the account downloads with `usage`, changes with `modify`, deletes with `delete` permission,
//! and manages permissions with `setting`.

use std::time::SystemTime;

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use super::{domain_of, epoch_secs, success, typed, user};
use crate::auth::Caller;
use crate::dispatch::Call;
use crate::reply::{ApiError, INVALID_FILE_NAME, Reply, file, json_body, non_blank, page, shorten};
use crate::state::{Data, EmulatorState, Settings, hex32};
use codearts::build::types;

/// The largest file UploadKeystore takes (the user guide's 100 KB).
const MAX_FILE_BYTES: usize = 100 * 1024;
/// The file types UploadKeystore takes.
const EXTENSIONS: &[&str] = &[".xml", ".key", ".keystore", ".jks", ".crt", ".pem"];
/// The code for an empty upload.
const EMPTY_FILE: &str = "CB.00060212";

/// A keystore file.
pub(crate) struct Keystore {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) description: String,
    pub(crate) share: i32,
    pub(crate) domain_id: String,
    pub(crate) creator: usize,
    pub(crate) created: SystemTime,
    pub(crate) updated: (SystemTime, usize),
    pub(crate) permissions: Vec<Permission>,
}

/// One user's permission on a keystore file.
#[derive(Clone)]
pub(crate) struct Permission {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) user_name: String,
    pub(crate) setting: bool,
    pub(crate) delete: bool,
    pub(crate) modify: bool,
    pub(crate) usage: bool,
    pub(crate) can_absent: bool,
}

/// What a user wants to do with a file.
#[derive(Clone, Copy)]
enum Right {
    Usage,
    Modify,
    Delete,
    Setting,
}

/// Adds the configured files to every account, once.
fn seed(data: &mut Data, settings: &Settings, now: SystemTime) {
    if data.build.keystores_seeded {
        return;
    }
    data.build.keystores_seeded = true;
    let mut domains: Vec<(usize, String)> = Vec::new();
    for (i, u) in settings.users.iter().enumerate() {
        if !domains.iter().any(|(_, d)| *d == u.domain_id) {
            domains.push((i, u.domain_id.clone()));
        }
    }
    for (creator, domain) in domains {
        for (name, bytes) in &settings.keystores {
            data.build.keystores.push(Keystore {
                id: hex32(&format!("keystore/{domain}/{name}")),
                name: name.clone(),
                bytes: bytes.clone(),
                description: "Configured when the emulator started".into(),
                share: 0,
                domain_id: domain.clone(),
                creator,
                created: now,
                updated: (now, creator),
                permissions: Vec::new(),
            });
        }
    }
}

/// The keystores of the caller's account, seeded.
fn account<'a>(
    data: &'a mut Data,
    settings: &Settings,
    caller: Caller,
    now: SystemTime,
) -> (&'a mut Vec<Keystore>, String) {
    seed(data, settings, now);
    (&mut data.build.keystores, domain_of(settings, caller))
}

fn may(k: &Keystore, settings: &Settings, caller: Caller, right: Right) -> bool {
    if k.creator == caller.user {
        return true;
    }
    let id = &settings.users[caller.user].id;
    k.permissions.iter().filter(|p| p.user_id == *id).any(|p| match right {
        Right::Usage => p.usage,
        Right::Modify => p.modify,
        Right::Delete => p.delete,
        Right::Setting => p.setting,
    })
}

/// The index of keystore `id` of the caller's account that the caller may use for `right`: 404
/// when there is none, 403 without the right.
fn find(
    data: &mut Data,
    settings: &Settings,
    caller: Caller,
    now: SystemTime,
    id: &str,
    right: Right,
) -> Result<usize, ApiError> {
    let (keystores, domain) = account(data, settings, caller, now);
    let i = keystores
        .iter()
        .position(|k| k.domain_id == domain && k.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| ApiError::not_found(format!("Keystore file {} does not exist.", shorten(id))))?;
    if !may(&keystores[i], settings, caller, right) {
        return Err(ApiError::forbidden(format!("The caller has no permission for keystore file {id}.")));
    }
    Ok(i)
}

/// One part of a multipart form.
struct Part<'a> {
    name: String,
    file_name: Option<String>,
    body: &'a [u8],
}

/// The value of `key="…"` (or `key=…`) in a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find_bytes(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// The parts of a `multipart/form-data` body (RFC 7578), or 400 naming what is wrong.
fn multipart<'a>(call: &'a Call<'_>) -> Result<Vec<Part<'a>>, ApiError> {
    let content_type = call.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    parse_multipart(content_type, &call.body[..])
}

/// The parts of `body` sent with `content_type`.
fn parse_multipart<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, ApiError> {
    if !content_type.trim().to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::invalid("UploadKeystore takes a multipart/form-data body."));
    }
    let boundary = disposition_param(content_type, "boundary")
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::invalid("The multipart/form-data content type has no boundary."))?;
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut at = find_bytes(body, delimiter.as_bytes(), 0)
        .ok_or_else(|| ApiError::invalid("The multipart body does not start with its boundary."))?;
    loop {
        at += delimiter.len();
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        let head_start = at + 2; // past CRLF
        let head_end = find_bytes(body, b"\r\n\r\n", head_start)
            .ok_or_else(|| ApiError::invalid("A multipart part has no end of headers."))?;
        let head = String::from_utf8_lossy(body.get(head_start..head_end).unwrap_or_default()).into_owned();
        let next = find_bytes(body, format!("\r\n{delimiter}").as_bytes(), head_end + 4)
            .ok_or_else(|| ApiError::invalid("The multipart body does not end with its closing boundary."))?;
        let disposition = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition")))
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| ApiError::invalid("A multipart part has no Content-Disposition."))?;
        let name = disposition_param(&disposition, "name")
            .ok_or_else(|| ApiError::invalid("A multipart part has no name."))?;
        parts.push(Part {
            name,
            file_name: disposition_param(&disposition, "filename"),
            body: &body[head_end + 4..next],
        });
        at = next + 2;
    }
}

/// `POST /v2/keystore/upload` (UploadKeystore): the form parts `file` (the file, with its name),
/// `privacy` and `description`.
pub(crate) fn upload_keystore(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let parts = multipart(call)?;
    let part = |name: &str| parts.iter().find(|p| p.name == name);
    let file_part = part("file").ok_or_else(|| ApiError::invalid("The form part file is required."))?;
    let text = |p: Option<&Part<'_>>| p.map(|p| String::from_utf8_lossy(p.body).into_owned());
    let privacy = text(part("privacy")).unwrap_or_default();
    non_blank(&privacy, "privacy")?;
    let description = text(part("description")).unwrap_or_default();
    let name = file_part.file_name.clone().unwrap_or_default();
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().to_string();
    if name.trim().is_empty() || name.chars().count() > 500 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            INVALID_FILE_NAME,
            "Invalid file name. The file part needs a file name of 1 to 500 characters.",
        ));
    }
    if !EXTENSIONS.iter().any(|e| name.to_ascii_lowercase().ends_with(e)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            INVALID_FILE_NAME,
            format!(
                "Invalid file name. `{}` is not of a type the service takes ({}).",
                shorten(&name),
                EXTENSIONS.join(", ")
            ),
        ));
    }
    if file_part.body.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, EMPTY_FILE, "The file cannot be empty."));
    }
    if file_part.body.len() > MAX_FILE_BYTES {
        return Err(ApiError::invalid(format!("The file may have at most {MAX_FILE_BYTES} bytes.")));
    }
    let settings = state.settings();
    let now = state.now();
    let mut data = state.data();
    let seed_id = data.seed("keystore");
    let (keystores, domain) = account(&mut data, settings, call.caller, now);
    if keystores.iter().any(|k| k.domain_id == domain && k.name == name) {
        return Err(ApiError::invalid(format!("A file named `{}` exists already.", shorten(&name))));
    }
    let id = hex32(&seed_id);
    keystores.push(Keystore {
        id: id.clone(),
        name,
        bytes: file_part.body.to_vec(),
        description,
        share: 0,
        domain_id: domain,
        creator: call.caller.user,
        created: now,
        updated: (now, call.caller.user),
        permissions: Vec::new(),
    });
    success::<types::UploadKeystoreResponse>(json!({"keystore_id": id}))
}

/// `GET /v2/keystore/name` (ListKeystore): the account's files the caller may use.
pub(crate) fn list_keystore(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let settings = state.settings();
    let mut data = state.data();
    let (keystores, domain) = account(&mut data, settings, call.caller, state.now());
    let list: Vec<Value> = keystores
        .iter()
        .filter(|k| k.domain_id == domain && may(k, settings, call.caller, Right::Usage))
        .map(|k| json!({"id": k.id, "keystore_name": k.name}))
        .collect();
    typed::<types::ListKeystore>(json!({"status": "success", "result": list}))
}

/// `2024-9-23 17:42`, the list's time layout.
fn short_time(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!("{}-{}-{} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

fn permission_json(k: &Keystore, p: &Permission, settings: &Settings) -> Value {
    json!({
        "id": p.id, "keystore_id": k.id, "user_name": p.user_name,
        "is_creator": settings.users.get(k.creator).is_some_and(|u| u.id == p.user_id),
        "setting": p.setting, "delete": p.delete, "modify": p.modify, "usage": p.usage, "can_absent": p.can_absent,
    })
}

/// `GET /v2/keystore/list` (ListKeystoreSearch): the account's files, `search` matching names
/// (case-insensitive substring), with the caller's permissions; `page` from 1.
pub(crate) fn list_keystore_search(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.optional_int("page", 1..=i64::from(i32::MAX), 1)? as usize;
    let size = call.query.optional_int("page_size", 1..=100, 10)? as usize;
    let search = call.query.optional("search").map(|s| s.trim().to_lowercase()).unwrap_or_default();
    let settings = state.settings();
    let mut data = state.data();
    let (keystores, domain) = account(&mut data, settings, call.caller, state.now());
    let list: Vec<Value> = keystores
        .iter()
        .filter(|k| k.domain_id == domain && k.name.to_lowercase().contains(&search))
        .map(|k| {
            let (creator_id, creator) = user(settings, k.creator);
            let (updater_id, updater) = user(settings, k.updated.1);
            let right = |r| may(k, settings, call.caller, r);
            json!({
                "id": k.id, "keystore_name": k.name, "description": k.description, "share": k.share,
                "domain_id": k.domain_id, "domain_name": settings.users[call.caller.user].domain_name,
                "create_time": short_time(k.created), "create_time_stamp": epoch_secs(k.created).to_string(),
                "create_user_id": creator_id, "create_user_name": creator,
                "update_time": short_time(k.updated.0), "update_time_stamp": epoch_secs(k.updated.0).to_string(),
                "update_user_id": updater_id, "update_user_name": updater,
                "permission": {
                    "keystore_id": k.id, "setting": right(Right::Setting), "delete": right(Right::Delete),
                    "modify": right(Right::Modify), "usage": right(Right::Usage),
                },
            })
        })
        .collect();
    let total = list.len();
    success::<types::ListKeystoreSearchResponseBody>(json!({"keystore_list": page(list, no - 1, size), "total": total}))
}

/// `GET /v2/keystore/download?name=…&domain_id=…&id=…` (DownloadKeystoreByName): the bytes
/// uploaded.
pub(crate) fn download_keystore_by_name(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let name = call.query.required("name")?.to_string();
    let domain = call.query.required("domain_id")?;
    let id = call.query.required("id")?.to_string();
    let settings = state.settings();
    if domain_of(settings, call.caller) != domain {
        return Err(ApiError::not_found(format!(
            "Account {} has no keystore file visible to this user.",
            shorten(domain)
        )));
    }
    let mut data = state.data();
    let i = find(&mut data, settings, call.caller, state.now(), &id, Right::Usage)?;
    let k = &data.build.keystores[i];
    if k.name != name {
        return Err(ApiError::not_found(format!("Keystore file {id} is not named `{}`.", shorten(&name))));
    }
    file(&k.name, k.bytes.clone())
}

/// The bytes of the account's file named `name`, for the v3 DownloadKeystore (the configured
/// files and uploaded ones alike).
pub(crate) fn bytes_by_name(state: &EmulatorState, caller: Caller, name: &str) -> Option<Vec<u8>> {
    let settings = state.settings();
    let mut data = state.data();
    let (keystores, domain) = account(&mut data, settings, caller, state.now());
    keystores
        .iter()
        .find(|k| k.domain_id == domain && k.name == name && may(k, settings, caller, Right::Usage))
        .map(|k| k.bytes.clone())
}

/// `POST /v2/keystore/update/{id}` (UpdateKeystore): name, description and sharing.
pub(crate) fn update_keystore(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateKeystoreRequestBody = json_body(&call.body, None)?;
    let id = call.path("id");
    if !request.id.eq_ignore_ascii_case(id) {
        return Err(ApiError::invalid("id in the body is not the path's."));
    }
    non_blank(&request.keystore_name, "keystore_name")?;
    if !(0..=1).contains(&request.share) {
        return Err(ApiError::invalid("share is 0 (private) or 1 (shared)."));
    }
    let settings = state.settings();
    let now = state.now();
    let mut data = state.data();
    let i = find(&mut data, settings, call.caller, now, id, Right::Modify)?;
    let domain = data.build.keystores[i].domain_id.clone();
    if data
        .build
        .keystores
        .iter()
        .enumerate()
        .any(|(j, k)| j != i && k.domain_id == domain && k.name == request.keystore_name)
    {
        return Err(ApiError::invalid(format!("A file named `{}` exists already.", shorten(&request.keystore_name))));
    }
    let k = &mut data.build.keystores[i];
    k.name = request.keystore_name;
    k.description = request.description;
    k.share = request.share;
    k.updated = (now, call.caller.user);
    typed::<types::DefaultResponseBody>(json!({"status": "success"}))
}

/// `DELETE /v2/keystore/{keystore_id}/delete` (DeleteKeystore).
pub(crate) fn delete_keystore(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let settings = state.settings();
    let mut data = state.data();
    let i = find(&mut data, settings, call.caller, state.now(), call.path("keystore_id"), Right::Delete)?;
    let k = data.build.keystores.remove(i);
    success::<types::ResponseString>(json!(k.id))
}

/// The user of the caller's account with ID `user_id`, or 400.
fn account_user(settings: &Settings, caller: Caller, user_id: &str) -> Result<usize, ApiError> {
    let domain = domain_of(settings, caller);
    settings
        .users
        .iter()
        .position(|u| u.id == user_id && u.domain_id == domain)
        .ok_or_else(|| ApiError::invalid(format!("The account has no user {}.", shorten(user_id))))
}

/// `POST /v2/keystore/permission/add` (AddKeystorePermission): a user's rights on a file (one entry
/// per user; adding again replaces it). Answers with the permission's ID.
pub(crate) fn add_keystore_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::AddKeystorePermissionRequestBody = json_body(&call.body, None)?;
    let settings = state.settings();
    account_user(settings, call.caller, &request.user_id)?;
    let mut data = state.data();
    let seed = data.seed("keystore-permission");
    let i = find(&mut data, settings, call.caller, state.now(), &request.keystore_id, Right::Setting)?;
    let k = &mut data.build.keystores[i];
    let id = hex32(&seed);
    k.permissions.retain(|p| p.user_id != request.user_id);
    k.permissions.push(Permission {
        id: id.clone(),
        user_id: request.user_id,
        user_name: request.user_name,
        setting: request.setting,
        delete: request.delete,
        modify: request.modify,
        usage: request.usage,
        can_absent: request.can_absent,
    });
    success::<types::ResponseString>(json!(id))
}

/// `POST /v2/keystore/permission/edit` (UpdateKeystorePermission).
pub(crate) fn update_keystore_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let request: types::UpdateKeystorePermissionRequestBody = json_body(&call.body, None)?;
    let settings = state.settings();
    let mut data = state.data();
    let i = find(&mut data, settings, call.caller, state.now(), &request.keystore_id, Right::Setting)?;
    let k = &mut data.build.keystores[i];
    let p = k
        .permissions
        .iter_mut()
        .find(|p| p.id.eq_ignore_ascii_case(&request.id))
        .ok_or_else(|| ApiError::not_found(format!("Permission {} does not exist.", shorten(&request.id))))?;
    p.user_name = request.user_name;
    p.delete = request.delete;
    p.modify = request.modify;
    p.usage = request.usage;
    if let Some(c) = request.can_absent {
        p.can_absent = c;
    }
    success::<types::ResponseString>(json!(p.id))
}

/// `GET /v2/keystore/permission/{keystore_id}/query` (ShowKeystorePermission): the creator first,
/// then the users given rights; `page` from 1.
pub(crate) fn show_keystore_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let no = call.query.required_int("page", 0..=i64::from(i32::MAX))?.max(1) as usize;
    let size = call.query.required_int("page_size", 1..=100)? as usize;
    let settings = state.settings();
    let mut data = state.data();
    let i = find(&mut data, settings, call.caller, state.now(), call.path("keystore_id"), Right::Usage)?;
    let k = &data.build.keystores[i];
    let (creator_id, creator_name) = user(settings, k.creator);
    let owner = Permission {
        id: hex32(&format!("{}/creator", k.id)),
        user_id: creator_id,
        user_name: creator_name,
        setting: true,
        delete: true,
        modify: true,
        usage: true,
        can_absent: false,
    };
    let list: Vec<Value> =
        std::iter::once(&owner).chain(&k.permissions).map(|p| permission_json(k, p, settings)).collect();
    let total = list.len();
    success::<types::ShowKeystorePermissionResponseBody>(
        json!({"permission_list": page(list, no - 1, size), "total": total}),
    )
}

/// `DELETE /v2/keystore/permission/{permission_id}/delete` (DeleteKeystorePermission).
pub(crate) fn delete_keystore_permission(state: &EmulatorState, call: &Call<'_>) -> Reply {
    let id = call.path("permission_id").to_string();
    let settings = state.settings();
    let mut data = state.data();
    let (keystores, domain) = account(&mut data, settings, call.caller, state.now());
    let Some(k) = keystores
        .iter_mut()
        .find(|k| k.domain_id == domain && k.permissions.iter().any(|p| p.id.eq_ignore_ascii_case(&id)))
    else {
        return Err(ApiError::not_found(format!("Permission {} does not exist.", shorten(&id))));
    };
    if !may(k, settings, call.caller, Right::Setting) {
        return Err(ApiError::forbidden("The caller may not change the permissions of this file."));
    }
    k.permissions.retain(|p| !p.id.eq_ignore_ascii_case(&id));
    success::<types::ResponseString>(json!(id))
}

#[cfg(test)]
mod tests {
    use super::parse_multipart;

    const TYPE: &str = "multipart/form-data; boundary=XyZ";

    #[test]
    fn parts_with_binary_contents() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"privacy\"\r\n\r\ntrue\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jks\"\r\nContent-Type: application/octet-stream\r\n\r\n\
\x00\r\n--X\xff\r\n--XyZ--\r\n";
        let parts = parse_multipart(TYPE, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].body), ("privacy", &b"true"[..]));
        assert_eq!(parts[1].file_name.as_deref(), Some("a.jks"));
        assert_eq!(parts[1].body, b"\x00\r\n--X\xff", "a near-boundary inside the file is content");
    }

    #[test]
    fn malformed_forms_are_400s() {
        let cases: [(&str, &[u8]); 5] = [
            ("application/json", b"{}"),
            ("multipart/form-data", b"--XyZ--\r\n"),
            (TYPE, b"no boundary here"),
            (TYPE, b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated"),
            (TYPE, b"--XyZ\r\nX-Other: 1\r\n\r\nv\r\n--XyZ--"),
        ];
        for (content_type, body) in cases {
            let e = parse_multipart(content_type, body).err().unwrap_or_else(|| panic!("{content_type} {body:?}"));
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(e.code, "CB.00060200");
        }
        assert!(parse_multipart(TYPE, b"--XyZ--").unwrap().is_empty());
    }
}
