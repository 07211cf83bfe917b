//! Reading the errors CodeArts services return.
//!
//! Two building blocks, independent of any service feature:
//!
//! - [`parse`] turns any error response body — the services' own JSON, the API gateway's JSON, an
//!   HTML page from a proxy, plain text, nothing at all — into an [`ErrorBody`] with the code,
//!   message and request ID it could find, or a bounded snippet of the body when it found none. It
//!   never fails.
//! - [`CATALOGUE`] lists the error codes the CodeArts Build reference documents, each with its
//!   HTTP status, message, a remedy and whether retrying can help; [`lookup`] finds one by code and
//!   [`is_gateway_code`] recognises the API gateway's own `APIGW.*` codes.
//!
//! [`Error`] is the one error type every call returns, whatever failed; it classifies a failed
//! response by parsing its body here and consulting the catalogue, so that
//! retry decisions and error messages do not depend on which service or gateway answered.
//!
//! ```
//! use codearts::error::{lookup, parse};
//!
//! let body = parse(Some("application/json"), br#"{"error_msg":"Too many requests","error_code":"CB.00060211"}"#);
//! let known = body.code.as_deref().and_then(lookup).expect("a documented code");
//! assert!(known.retryable);
//!
//! let page = parse(Some("text/html"), b"<html><body><h1>502 Bad Gateway</h1></body></html>");
//! assert_eq!(page.code, None);
//! assert_eq!(page.raw_snippet.as_deref(), Some("<html><body><h1>502 Bad Gateway</h1></body></html>"));
//! ```

mod body;
mod catalogue;
mod unified;

pub use body::{ErrorBody, SNIPPET_MAX_CHARS, parse};
pub use catalogue::{CATALOGUE, KnownError, is_gateway_code, lookup};
pub(crate) use unified::{BodyTooLarge, request_id_header, to_custom};
// Used by the log streams, which only the `build` feature compiles.
#[cfg(feature = "build")]
pub(crate) use unified::from_reqwest;
pub use unified::{Error, ErrorKind};
