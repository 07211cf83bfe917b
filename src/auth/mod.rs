//! Authentication for Huawei Cloud APIs.
//!
//! - [`signer`] — AK/SK request signing (`SDK-HMAC-SHA256`, the Huawei Cloud API Gateway algorithm):
//!   [`Signer::sign`] adds `X-Sdk-Date`, `Authorization` (and `Host`, `X-Security-Token` where due) to a
//!   built [`reqwest::Request`] before it is sent.

pub mod signer;

pub use signer::{AkSk, SignError, Signer};
