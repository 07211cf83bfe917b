//! Loopback servers for the runtime tests (`tests/runtime.rs`), all on 127.0.0.1:
//!
//! - [`Server`]: an HTTP server that records every request and answers each one with whatever a
//!   test's handler returns for it (status, headers, body, a delay before the answer, or a body that
//!   trickles out chunk by chunk), so a test can script "503 once, then 200" or route IAM and service
//!   paths on one port, and count exactly how many requests arrived.
//! - [`RawServer`]: a bare TCP server that reads each request and then misbehaves on purpose (closes
//!   mid-response, resets the connection before answering), counting the requests it read.
//! - [`refused_base`]: the address of a port nothing listens on.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// A header's value as text (`None` when absent or not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
    /// Waited before anything (headers included) is sent.
    delay: Duration,
    /// When set, the body is sent as these chunks, each after this pause (headers go out at once).
    trickle: Option<(Vec<Bytes>, Duration)>,
}

impl Reply {
    /// `status` with a body of `content_type`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            trickle: None,
        }
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::new(status, "application/json", serde_json::to_vec(&body).unwrap())
    }

    /// The CodeArts error body `{"error_code": code, "error_msg": message}`.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Reply::json(status, serde_json::json!({ "error_code": code, "error_msg": message }))
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Waits `delay` before answering at all.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends the headers at once, then `chunks` one by one, each after `every`.
    pub fn trickle(mut self, chunks: &[&'static [u8]], every: Duration) -> Self {
        self.trickle = Some((chunks.iter().map(|c| Bytes::from_static(c)).collect(), every));
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct State {
    handler: Box<Handler>,
    requests: Mutex<Vec<Recorded>>,
}

/// A recording HTTP/1.1 server on 127.0.0.1; shut down when dropped.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    state: Arc<State>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// Starts a server that answers the `n`-th request (0-based, counted over all paths) `req` with
    /// `handler(req, n)`.
    pub async fn start(handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Self {
        let state = Arc::new(State { handler: Box::new(handler), requests: Mutex::new(Vec::new()) });
        let st = state.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let st = st.clone();
            async move { handle(st, req).await }
        });
        let (base, tx) = super::serve_loopback(app).await;
        Server { base, state, _shutdown: tx }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The requests received so far whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.path.starts_with(prefix)).collect()
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }
}

async fn handle(state: Arc<State>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let recorded = Recorded {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    };
    let reply = {
        let mut requests = state.requests.lock().unwrap();
        let index = requests.len();
        requests.push(recorded.clone());
        drop(requests);
        (state.handler)(&recorded, index)
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut builder = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        builder =
            builder.header(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    let body = match reply.trickle {
        None => Body::from(reply.body),
        Some((chunks, every)) => {
            Body::from_stream(futures::stream::unfold(chunks.into_iter(), move |mut rest| async move {
                let chunk = rest.next()?;
                tokio::time::sleep(every).await;
                Some((Ok::<_, std::io::Error>(chunk), rest))
            }))
        }
    };
    builder.body(body).unwrap()
}

/// How a [`RawServer`] misbehaves after reading a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehave {
    /// Writes these bytes (a truncated response) and closes the connection.
    WriteThenClose(&'static [u8]),
    /// Resets the connection (RST, `SO_LINGER` 0) without sending a byte.
    Reset,
}

/// A TCP server on 127.0.0.1 that reads each request in full (head and `Content-Length` body) and
/// then misbehaves; it counts the requests it read. Stops when dropped.
pub struct RawServer {
    pub base: String,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    pub async fn start(how: Misbehave) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let counter = counter.clone();
                tokio::spawn(async move {
                    serve_badly(socket, how, &counter).await;
                });
            }
        });
        RawServer { base, requests, task }
    }

    /// How many complete requests were read.
    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_badly(socket: TcpStream, how: Misbehave, counter: &AtomicUsize) {
    // One request per connection: read it whole, then misbehave.
    let Some(mut socket) = super::raw::read_request(socket).await else { return };
    counter.fetch_add(1, Ordering::SeqCst);
    match how {
        Misbehave::WriteThenClose(bytes) => {
            let _ = socket.write_all(bytes).await;
            let _ = socket.flush().await;
            let _ = socket.shutdown().await;
        }
        Misbehave::Reset => {
            // SO_LINGER 0 turns the close into a RST; with a zero timeout, closing does not block.
            #[allow(deprecated)]
            let _ = socket.set_linger(Some(Duration::ZERO));
        }
    }
    drop(socket);
}

/// `http://127.0.0.1:<port>` of a port that was free a moment ago and has no listener now: connecting
/// is refused.
pub fn refused_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
