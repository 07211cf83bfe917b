//! `multipart/form-data` bodies (keystore uploads, plug-in and icon uploads).
//!
//! The builder of every operation whose spec declares a form body has a generated `form()` setter
//! taking a [`Form`]; the runtime sets the `Content-Type` (with the form's boundary) and checks,
//! before anything is sent, that the form has every field the spec marks required.
//!
//! ```no_run
//! # #[cfg(feature = "build")]
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::CallExt;
//! use codearts::multipart::Form;
//!
//! let form = Form::new()
//!     .file("file", "release.keystore", std::fs::read("release.keystore").unwrap_or_default())
//!     .text("privacy", "true")
//!     .text("description", "release signing key");
//! client.upload_keystore().form(form).call().await?;
//! # Ok(()) }
//! ```
//!
//! Bodies are built in memory (an upload is signed whole with AK/SK, like the vendor SDKs do), so
//! they suit the small files these operations take.

use bytes::{BufMut, Bytes, BytesMut};

/// A field of a generated service's form bodies (`codearts::<service>::operations::FORM_FIELDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormField {
    /// The operation's vendor name.
    pub operation: &'static str,
    /// The field's name.
    pub name: &'static str,
    /// A file part (`type: string, format: binary`), not text.
    pub file: bool,
    /// The spec marks it required.
    pub required: bool,
}

/// A `multipart/form-data` body under construction.
#[derive(Clone)]
pub struct Form {
    boundary: String,
    parts: Vec<Part>,
}

#[derive(Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl std::fmt::Debug for Form {
    /// Names only: a form may carry a keystore, which must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<(&str, usize)> = self.parts.iter().map(|p| (p.name.as_str(), p.data.len())).collect();
        f.debug_struct("Form").field("fields (name, bytes)", &fields).finish()
    }
}

impl Default for Form {
    fn default() -> Self {
        Self::new()
    }
}

impl Form {
    /// An empty form with a fresh random boundary.
    pub fn new() -> Self {
        let boundary: String = (0..32).map(|_| fastrand::alphanumeric()).collect();
        Form { boundary: format!("codearts-{boundary}"), parts: Vec::new() }
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file part (`application/octet-stream`).
    pub fn file(self, name: impl Into<String>, file_name: impl Into<String>, data: impl Into<Bytes>) -> Self {
        self.file_with_type(name, file_name, "application/octet-stream", data)
    }

    /// Adds a file part with its own content type.
    pub fn file_with_type(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: Some(content_type.into()),
            data: data.into(),
        });
        self
    }

    /// The boundary between the parts.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The encoded body (RFC 7578). Quotes, CR and LF in names are escaped as browsers do, so a
    /// name cannot break out of its header.
    pub fn into_body(self) -> Bytes {
        let size: usize = self.parts.iter().map(|p| p.data.len() + p.name.len() + 160).sum();
        let mut out = BytesMut::with_capacity(size + self.boundary.len() + 8);
        for p in &self.parts {
            out.put_slice(b"--");
            out.put_slice(self.boundary.as_bytes());
            out.put_slice(b"\r\nContent-Disposition: form-data; name=\"");
            out.put_slice(escape(&p.name).as_bytes());
            out.put_slice(b"\"");
            if let Some(file) = &p.file_name {
                out.put_slice(b"; filename=\"");
                out.put_slice(escape(file).as_bytes());
                out.put_slice(b"\"");
            }
            out.put_slice(b"\r\n");
            if let Some(t) = &p.content_type {
                out.put_slice(b"Content-Type: ");
                out.put_slice(t.replace(['\r', '\n'], "").as_bytes());
                out.put_slice(b"\r\n");
            }
            out.put_slice(b"\r\n");
            out.put_slice(&p.data);
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"--");
        out.put_slice(self.boundary.as_bytes());
        out.put_slice(b"--\r\n");
        out.freeze()
    }
}

fn escape(s: &str) -> String {
    s.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

/// What the runtime needs to know of an encoded form: its boundary and its field names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inspected {
    pub(crate) boundary: String,
    pub(crate) fields: Vec<String>,
}

/// Reads the boundary and field names of a body [`Form::into_body`] encoded (or any well-formed
/// `multipart/form-data` body starting with its boundary line); `None` for anything else.
pub(crate) fn inspect(body: &[u8]) -> Option<Inspected> {
    let line_end = body.windows(2).position(|w| w == b"\r\n")?;
    let first = std::str::from_utf8(&body[..line_end]).ok()?;
    let boundary = first.strip_prefix("--")?.to_string();
    if boundary.is_empty() || boundary.len() > 70 {
        return None;
    }
    let delimiter = format!("\r\n--{boundary}");
    let mut fields = Vec::new();
    let mut rest = &body[line_end + 2..];
    loop {
        let head_end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let name = head.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            if !key.trim().eq_ignore_ascii_case("content-disposition") {
                return None;
            }
            let start = value.find("name=\"")? + "name=\"".len();
            let len = value[start..].find('"')?;
            Some(value[start..start + len].to_string())
        })?;
        fields.push(name);
        let data = &rest[head_end + 4..];
        let next = data.windows(delimiter.len()).position(|w| w == delimiter.as_bytes())?;
        rest = &data[next + delimiter.len()..];
        if rest.starts_with(b"--") {
            return Some(Inspected { boundary, fields });
        }
        rest = rest.strip_prefix(b"\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_reads_back() {
        let form = Form::new().text("privacy", "true").file("file", "a \"b\".jks", vec![0u8, 13, 10, 45, 45]);
        let boundary = form.boundary().to_string();
        let body = form.into_body();
        let seen = inspect(&body).unwrap();
        assert_eq!(seen.boundary, boundary);
        assert_eq!(seen.fields, vec!["privacy", "file"]);
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("filename=\"a %22b%22.jks\""), "{text}");
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }

    #[test]
    fn anything_else_is_not_a_form() {
        assert_eq!(inspect(b""), None);
        assert_eq!(inspect(b"{\"a\":1}"), None);
        assert_eq!(inspect(b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"), None);
    }

    #[test]
    fn debug_shows_no_content() {
        let form = Form::new().file("file", "k.jks", b"SECRET-KEYSTORE".to_vec());
        let shown = format!("{form:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("file"));
    }
}
