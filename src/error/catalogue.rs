//! A service's documented error codes, as data. Each spec declares its catalogue
//! (`x-codearts-error-codes`, checked by `cargo xtask validate`); the generator turns it into
//! `codearts::<service>::operations::ERROR_CODES`, and the runtime looks codes up in the catalogue
//! of the service that answered (a code is one service's: Build's "network busy" means nothing
//! to Check).
//!
//! Codes, HTTP statuses and messages are the reference's; the remedies are this crate's own
//! wording. Codes starting with `APIGW.` come from the API gateway in front of the service, not from
//! CodeArts itself, and are not listed: see [`is_gateway_code`].

/// One documented error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KnownError {
    /// The error code, as in the body's `error_code` field (`CB.00060101`).
    pub code: &'static str,
    /// The HTTP status the reference documents for this code.
    pub status: u16,
    /// The reference's error message for this code.
    pub message: &'static str,
    /// What the caller can do about it.
    pub remedy: &'static str,
    /// Whether sending the same request again later may succeed: true exactly for the codes whose
    /// documented message tells the caller to try again later ("network busy", "too many
    /// requests"). It is deliberately not derived from the status: a 500 "internal error" says
    /// nothing about being transient, and retrying a call that starts something after an
    /// unexplained failure could start it twice.
    pub retryable: bool,
    /// What the code means, where the SDK's predicates care (`Error::is_not_found`,
    /// `Error::is_throttled`) and for servers that answer in the service's codes (the emulator).
    pub class: Option<ErrorClass>,
    /// For an [`ErrorClass::InvalidParameter`] code that answers only some parameters (Build's
    /// "invalid task ID" for `job_id`): their names.
    pub parameters: &'static [&'static str],
}

/// What a documented error code means, for the SDK's error predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The resource (or URL) does not exist.
    NotFound,
    /// The caller sends too many requests.
    Throttled,
    /// A parameter or body field is missing or malformed.
    InvalidParameter,
    /// The request conflicts with the resource's state.
    Conflict,
}

/// Whether `code` is an API gateway error code (`APIGW.0301` and the like).
///
/// Such errors are raised by the gateway in front of the service — authentication, authorisation,
/// throttling, routing — before the request reaches CodeArts, and Huawei Cloud documents them in a
/// separate API gateway error code list. Surrounding whitespace is ignored and the prefix matches
/// case-insensitively; something must follow `APIGW.`.
pub fn is_gateway_code(code: &str) -> bool {
    let code = code.trim();
    code.len() > "APIGW.".len()
        && code.get(.."APIGW.".len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case("APIGW."))
}
