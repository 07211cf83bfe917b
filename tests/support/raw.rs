//! A scripted TCP server on 127.0.0.1 for faults below HTTP (`tests/reliability.rs`): for each
//! request it reads (head and `Content-Length` body, one request per connection) it runs a script of
//! byte-level steps — write these bytes, stream a large body and count what actually left, stall,
//! reset — so a test can break a response at any point and count exactly how many requests arrived
//! and how many body bytes the server managed to send before the client hung up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One step of a connection's script. After the last step the connection is closed (FIN), unless
/// the script reset it.
#[derive(Debug, Clone)]
pub enum Step {
    /// Writes these bytes (a response head, part of a body, …).
    Write(Vec<u8>),
    /// Streams a body of `total` bytes, `prefix` first and `x` after it, in 64 KiB pieces (in
    /// HTTP/1.1 chunked framing, with the final empty chunk, when `chunked`); stops at the first
    /// write that fails because the client went away. Bytes written count towards
    /// [`Scripted::body_bytes_sent`].
    Body { prefix: &'static [u8], total: u64, chunked: bool },
    /// Sends nothing more and waits until the client closes the connection (or `at_most` passes).
    Stall { at_most: Duration },
    /// Resets the connection (RST): `SO_LINGER` 0, then close. Ends the script.
    Reset,
}

impl Step {
    /// A response head with these extra header lines (each ending in `\r\n`), and
    /// `Connection: close` so the client never reuses a connection the script is about to break.
    pub fn head(status_line: &str, headers: &str) -> Step {
        Step::Write(format!("HTTP/1.1 {status_line}\r\n{headers}Connection: close\r\n\r\n").into_bytes())
    }
}

type Script = dyn Fn(usize) -> Vec<Step> + Send + Sync;

/// A scripted server; stops accepting when dropped.
pub struct Scripted {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    requests: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
    body_bytes: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    /// Starts a server that runs `script(n)` for the `n`-th request (0-based).
    pub async fn start(script: impl Fn(usize) -> Vec<Step> + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let script: Arc<Script> = Arc::new(script);
        let requests = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let body_bytes = Arc::new(AtomicU64::new(0));
        let (r, f, b) = (requests.clone(), finished.clone(), body_bytes.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let (script, r, f, b) = (script.clone(), r.clone(), f.clone(), b.clone());
                tokio::spawn(async move {
                    let Some(socket) = read_request(socket).await else { return };
                    let n = r.fetch_add(1, Ordering::SeqCst);
                    run(socket, script(n), &b).await;
                    f.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Scripted { base, requests, finished, body_bytes, task }
    }

    /// How many complete requests were read.
    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Body bytes written by [`Step::Body`] steps so far, over all connections (framing excluded).
    pub fn body_bytes_sent(&self) -> u64 {
        self.body_bytes.load(Ordering::SeqCst)
    }

    /// Waits (at most 5 s) until every request read so far has run its script to the end, so that
    /// [`Scripted::body_bytes_sent`] is final.
    pub async fn settled(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.finished.load(Ordering::SeqCst) < self.count() {
            assert!(Instant::now() < deadline, "the server's scripts did not finish");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request whole (head, and a `Content-Length` body); `None` if the client went away.
pub async fn read_request(mut socket: TcpStream) -> Option<TcpStream> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while seen.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    Some(socket)
}

async fn run(mut socket: TcpStream, steps: Vec<Step>, body_bytes: &AtomicU64) {
    for step in steps {
        match step {
            Step::Write(bytes) => {
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Step::Body { prefix, total, chunked } => {
                if !stream_body(&mut socket, prefix, total, chunked, body_bytes).await {
                    return;
                }
            }
            Step::Stall { at_most } => {
                // Whatever the client sends is ignored; EOF or an error means it hung up.
                let mut buf = [0u8; 1024];
                let _ = tokio::time::timeout(at_most, async {
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                })
                .await;
            }
            Step::Reset => {
                // SO_LINGER 0 turns the close into a RST; with a zero timeout, closing does not block.
                #[allow(deprecated)]
                let _ = socket.set_linger(Some(Duration::ZERO));
                return;
            }
        }
    }
    let _ = socket.flush().await;
    let _ = socket.shutdown().await;
}

/// Streams the body; false once a write failed (the client hung up).
async fn stream_body(socket: &mut TcpStream, prefix: &[u8], total: u64, chunked: bool, sent: &AtomicU64) -> bool {
    const PIECE: usize = 64 * 1024;
    let filler = vec![b'x'; PIECE];
    let mut written = 0u64;
    while written < total {
        let n = usize::try_from(total - written).unwrap_or(usize::MAX).min(PIECE);
        let mut piece = Vec::with_capacity(n + 16);
        if chunked {
            piece.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        }
        let start = usize::try_from(written).unwrap_or(usize::MAX).min(prefix.len());
        let from_prefix = (prefix.len() - start).min(n);
        piece.extend_from_slice(&prefix[start..start + from_prefix]);
        piece.extend_from_slice(&filler[..n - from_prefix]);
        if chunked {
            piece.extend_from_slice(b"\r\n");
        }
        if socket.write_all(&piece).await.is_err() {
            return false;
        }
        written += n as u64;
        sent.fetch_add(n as u64, Ordering::SeqCst);
    }
    !chunked || socket.write_all(b"0\r\n\r\n").await.is_ok()
}
