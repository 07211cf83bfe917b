//! A tolerant parser of error response bodies.
//!
//! Huawei Cloud services do not agree on one error shape, and what reaches a client is not always
//! what the service wrote: the API gateway in front of CodeArts answers authentication and
//! throttling failures itself, and a load balancer or proxy may answer with an HTML page. [`parse`]
//! takes whatever came back and pulls out a code, a message and a request ID where it can find them,
//! and a short, bounded snippet of the body where it cannot. It never fails and never panics.

use serde_json::{Map, Value};

/// Keys that carry the error code, in order of preference.
const CODE_KEYS: &[&str] = &["error_code", "errorCode", "code"];
/// Keys that carry the error message, in order of preference.
const MESSAGE_KEYS: &[&str] = &["error_msg", "errorMsg", "message"];
/// Keys that carry the gateway's request ID, in order of preference.
const REQUEST_ID_KEYS: &[&str] = &["request_id", "requestId"];

/// Maximum length of [`ErrorBody::raw_snippet`], in characters.
pub const SNIPPET_MAX_CHARS: usize = 200;

/// What could be read from an error response body.
///
/// Either the body had a recognised JSON shape and `code` and/or `message` are set, or it did not
/// and `raw_snippet` holds the start of the body so that the error can still be reported
/// meaningfully (`None` only when the body was empty or blank).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// The service's error code, such as `CB.00060101` or `APIGW.0301`. Numeric codes (`"code": 401`)
    /// are rendered as their decimal text.
    pub code: Option<String>,
    /// The human-readable error message.
    pub message: Option<String>,
    /// The request ID the API gateway includes in its own errors; quote it to support.
    pub request_id: Option<String>,
    /// When no code or message was found: at most [`SNIPPET_MAX_CHARS`] characters from the start of
    /// the body, decoded as lossy UTF-8, with runs of whitespace and control characters collapsed
    /// into single spaces and both ends trimmed. `None` for a body with nothing printable in it
    /// (empty, or only whitespace and control characters), and whenever a code or message was found.
    pub raw_snippet: Option<String>,
}

/// Reads an error response body.
///
/// Recognised shapes (JSON objects; other keys are ignored):
///
/// - `{"error_code": "CB.00060101", "error_msg": "..."}` — CodeArts services;
/// - `{"error_code": "APIGW.0301", "error_msg": "...", "request_id": "..."}` — the API gateway;
/// - `{"errorCode": "...", "errorMsg": "..."}`;
/// - `{"code": "...", "message": "..."}`, with `code` also accepted as a number;
/// - `{"error": {...}}` wrapping any of the above (as IAM does); top-level fields win over nested
///   ones.
///
/// A field of the wrong type (an array, an object, a boolean, `null`) or a blank string is treated
/// as absent, and the next key in the list above is tried. Anything else — HTML, plain text, invalid
/// or truncated JSON, JSON of another shape — yields a [`raw_snippet`](ErrorBody::raw_snippet)
/// instead.
///
/// `content_type` is a hint only: the body is sniffed rather than trusted to its label, because
/// gateways and proxies mislabel error pages (JSON served as `text/plain`, HTML as
/// `application/json`). A JSON body is recognised whenever, after an optional UTF-8 byte order mark
/// and whitespace, it starts with `{`.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> ErrorBody {
    let _ = content_type;
    let mut out = ErrorBody::default();
    if let Some(object) = json_object(body) {
        let nested = match object.get("error") {
            Some(Value::Object(inner)) => Some(inner),
            _ => None,
        };
        let field = |keys: &[&str]| first_text(&object, keys).or_else(|| nested.and_then(|n| first_text(n, keys)));
        out.code = field(CODE_KEYS);
        out.message = field(MESSAGE_KEYS);
        out.request_id = field(REQUEST_ID_KEYS);
    }
    if out.code.is_none() && out.message.is_none() {
        out.raw_snippet = snippet(body);
    }
    out
}

/// The body as a JSON object, if it is one.
fn json_object(body: &[u8]) -> Option<Map<String, Value>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if body[start] != b'{' {
        return None;
    }
    match serde_json::from_slice(&body[start..]) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// The first of `keys` whose value is a non-blank string or a number, as text.
fn first_text(object: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.get(*key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// At most [`SNIPPET_MAX_CHARS`] characters from the start of `body`, whitespace collapsed.
///
/// Decodes lazily, so a huge body costs no more than its first few hundred characters (plus any run
/// of leading whitespace).
fn snippet(body: &[u8]) -> Option<String> {
    let chars = body.utf8_chunks().flat_map(|chunk| {
        let invalid = if chunk.invalid().is_empty() { None } else { Some(char::REPLACEMENT_CHARACTER) };
        chunk.valid().chars().chain(invalid)
    });
    let mut out = String::new();
    let mut taken = 0;
    let mut pending_space = false;
    for c in chars {
        if c.is_whitespace() || c.is_control() {
            pending_space = taken > 0;
            continue;
        }
        if pending_space {
            if taken + 1 >= SNIPPET_MAX_CHARS {
                break;
            }
            out.push(' ');
            taken += 1;
            pending_space = false;
        }
        out.push(c);
        taken += 1;
        if taken == SNIPPET_MAX_CHARS {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_collapses_and_bounds() {
        assert_eq!(snippet(b""), None);
        assert_eq!(snippet(b" \r\n\t "), None);
        assert_eq!(snippet(b"  a \n\n b\t"), Some("a b".into()));
        assert_eq!(snippet(b"a\0b"), Some("a b".into()));
        assert_eq!(snippet(b"\xffx"), Some("\u{FFFD}x".into()));
        let long = "x ".repeat(1000);
        let s = snippet(long.as_bytes()).unwrap();
        assert_eq!(s.chars().count(), SNIPPET_MAX_CHARS - 1, "never ends on a dangling space");
        assert!(!s.ends_with(' '));
    }
}
