//! Every operation by its name, with its parameters as strings and its body as JSON: the generated
//! table `codearts::<service>::operations::CALLABLE` (one entry per operation of the spec).
//!
//! This is how a command line calls any operation from its flags, and how a test suite drives every
//! operation of a spec from its stored examples, without code written per operation. The request
//! still goes through the generated builder, so it is checked exactly as a typed call is: the body
//! is decoded into the operation's request type first (a field that does not fit is an
//! [`ErrorKind::InvalidInput`] error naming its JSON path, and nothing is sent), parameters are
//! parsed as their types and checked against the spec's formats, and the answer is the typed
//! response, re-encoded as JSON.
//!
//! ```no_run
//! # #[cfg(feature = "build")]
//! # async fn demo(client: &codearts::build::Client) -> Result<(), codearts::Error> {
//! use codearts::dynamic::{Answer, Input};
//!
//! let status = codearts::build::operations::CALLABLE.iter().find(|c| c.operation.id == "ShowJobStatus").unwrap();
//! let input = Input::new().arg("job_id", "f9d6c8466d614a9788e9a0acf6c15f46");
//! if let Answer::Json(body) = (status.call)(client, &input).await? {
//!     println!("{body}");
//! }
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::error::{Error, ErrorKind};
use crate::runtime::{CallExt, Operation, OperationMeta};

/// What one call takes: parameters by name, a JSON body, a form, or raw bytes.
#[derive(Debug, Clone, Default)]
pub struct Input {
    args: Vec<(String, String)>,
    /// The JSON body, decoded into the operation's request type before anything is sent.
    pub body: Option<serde_json::Value>,
    /// The `multipart/form-data` body of an upload.
    pub form: Option<crate::multipart::Form>,
    /// The raw body of an operation that takes `application/octet-stream`.
    pub bytes: Option<bytes::Bytes>,
}

impl Input {
    /// Nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets path or query parameter `name` (parsed as its type; an array takes comma-separated
    /// values).
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets the form body.
    pub fn form(mut self, form: crate::multipart::Form) -> Self {
        self.form = Some(form);
        self
    }

    /// The value of parameter `name`, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.args.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}

/// What one call answered.
pub enum Answer {
    /// The typed answer of a JSON operation, as JSON.
    Json(serde_json::Value),
    /// A download's body, streamed.
    Download(progenitor_client::ByteStream),
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Json(v) => f.debug_tuple("Json").field(v).finish(),
            Answer::Download(_) => f.write_str("Download(..)"),
        }
    }
}

/// A call under way.
pub type Pending<'a> = Pin<Box<dyn Future<Output = Result<Answer, Error>> + Send + 'a>>;

/// One operation of a service, callable by name.
pub struct Callable<C: 'static> {
    /// The operation.
    pub operation: &'static OperationMeta,
    /// Sends it with `input` (through `.call()`: the runtime's checks, auth and retries apply).
    pub call: for<'a> fn(&'a C, &'a Input) -> Pending<'a>,
}

impl<C> std::fmt::Debug for Callable<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callable").field("operation", &self.operation.id).finish_non_exhaustive()
    }
}

/// `body` as the operation's request type `T`, or an error naming the JSON path that does not fit.
pub fn typed<T: serde::de::DeserializeOwned>(operation: &'static str, body: &serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." || path.is_empty() { String::new() } else { format!(" at `{path}`") };
        Error::new(ErrorKind::InvalidInput, format!("the request body does not fit the spec{at}: {}", e.into_inner()))
            .with_operation(operation)
    })
}

/// Parameter `name`'s string as type `T`.
pub fn parse<T: std::str::FromStr>(operation: &'static str, name: &str, value: &str, what: &str) -> Result<T, Error> {
    value.trim().parse().map_err(|_| {
        Error::new(ErrorKind::InvalidInput, format!("{name} {value:?} is not {what}")).with_operation(operation)
    })
}

/// Sends a JSON operation and re-encodes its typed answer.
pub async fn json<B>(builder: B) -> Result<Answer, Error>
where
    B: Operation + CallExt,
    B::Output: serde::Serialize,
{
    let output = builder.call().await?;
    serde_json::to_value(output)
        .map(Answer::Json)
        .map_err(|e| Error::new(ErrorKind::Decode, format!("the answer does not re-encode: {e}")))
}

/// Sends a download.
pub async fn download<B>(builder: B) -> Result<Answer, Error>
where
    B: Operation<Output = progenitor_client::ByteStream> + CallExt,
{
    builder.call().await.map(Answer::Download)
}
