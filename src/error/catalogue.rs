//! The CodeArts Build error codes the vendor reference documents (section 7.2, "Error Code
//! Description"), as data.
//!
//! Codes, HTTP statuses and messages are the reference's; the remedies are this crate's own
//! wording. Codes starting with `APIGW.` come from the API gateway in front of the service, not from
//! CodeArts itself, and are not listed here: see [`is_gateway_code`].

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
    /// Whether sending the same request again later may succeed.
    ///
    /// True exactly for the two codes whose documented message tells the caller to try again later:
    /// `CB.00060100` ("Network busy") and `CB.00060211` ("Too many requests"). It is deliberately
    /// not derived from the status: both are documented as `500`, the same status as
    /// `CB.00060101` (internal error), which says nothing about being transient and may well recur;
    /// retrying a non-idempotent call such as starting a build after an unexplained failure could
    /// also start it twice. A retry policy should still back off, and for "Too many requests" honour
    /// any `Retry-After` header.
    pub retryable: bool,
}

/// Every error code in the reference's table, in the reference's order.
pub const CATALOGUE: &[KnownError] = &[
    KnownError {
        code: "CB.00060100",
        status: 500,
        message: "Network busy. Try again later.",
        remedy: "The service is temporarily overloaded; wait a little and send the request again.",
        retryable: true,
    },
    KnownError {
        code: "CB.00060101",
        status: 500,
        message: "Internal error.",
        remedy: "The service failed on its side; if it persists, contact support with the error code.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060200",
        status: 400,
        message: "Invalid parameter.",
        remedy: "A request parameter has an invalid value; correct it before sending again.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060201",
        status: 400,
        message: "Invalid task ID.",
        remedy: "Pass the ID of an existing task.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060202",
        status: 400,
        message: "Invalid service ID.",
        remedy: "Use a service ID made only of lowercase letters and digits.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060203",
        status: 400,
        message: "Invalid file name.",
        remedy: "Give a non-empty file name of at most 500 characters.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060211",
        status: 500,
        message: "Too many requests. Try again later.",
        remedy: "The request rate limit was exceeded; slow down and send the request again after a pause.",
        retryable: true,
    },
    KnownError {
        code: "CB.00060212",
        status: 400,
        message: "The file cannot be empty.",
        remedy: "Select a file to upload.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060213",
        status: 400,
        message: "You can upload a maximum of x files.",
        remedy: "Upload fewer files per request.",
        retryable: false,
    },
    KnownError {
        code: "CB.00060214",
        status: 404,
        message: "URL not found.",
        remedy: "The request URL is wrong; check the endpoint and the path.",
        retryable: false,
    },
];

/// The documented error with this code, if any.
///
/// Surrounding whitespace is ignored and letters match case-insensitively, so `" cb.00060101"`
/// finds `CB.00060101`.
pub fn lookup(code: &str) -> Option<&'static KnownError> {
    let code = code.trim();
    CATALOGUE.iter().find(|known| known.code.eq_ignore_ascii_case(code))
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
