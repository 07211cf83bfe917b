//! Reading the errors CodeArts services return.
//!
//! Two building blocks, independent of any service feature:
//!
//! - [`parse`] turns any error response body — the services' own JSON, the API gateway's JSON, an
//!   HTML page from a proxy, plain text, nothing at all — into an [`ErrorBody`] with the code,
//!   message and request ID it could find, or a bounded snippet of the body when it found none. It
//!   never fails.
//! - [`KnownError`]: one entry of a service's error-code catalogue (HTTP status, message, a remedy,
//!   whether retrying can help), which each spec declares and the generator emits as
//!   `codearts::<service>::operations::ERROR_CODES`; [`is_gateway_code`] recognises the API
//!   gateway's own `APIGW.*` codes.
//!
//! [`Error`] is the one error type every call returns, whatever failed; it classifies a failed
//! response by parsing its body here and consulting the answering service's catalogue
//! ([`Error::known`]).
//!
//! ```
//! use codearts::error::parse;
//!
//! # #[cfg(feature = "build")] {
//! let body = parse(Some("application/json"), br#"{"error_msg":"Too many requests","error_code":"CB.00060211"}"#);
//! let code = body.code.as_deref().expect("a code");
//! let known = codearts::build::operations::SERVICE.error_code(code).expect("a documented Build code");
//! assert!(known.retryable);
//! # }
//!
//! let page = parse(Some("text/html"), b"<html><body><h1>502 Bad Gateway</h1></body></html>");
//! assert_eq!(page.code, None);
//! assert_eq!(page.raw_snippet.as_deref(), Some("<html><body><h1>502 Bad Gateway</h1></body></html>"));
//! ```

mod body;
mod catalogue;
mod unified;

pub use body::{ErrorBody, SNIPPET_MAX_CHARS, parse};
pub use catalogue::{ErrorClass, KnownError, is_gateway_code};
pub(crate) use unified::{BodyTooLarge, from_reqwest, request_id_header, to_custom};
pub use unified::{Error, ErrorKind};
