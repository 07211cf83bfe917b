//! Shared test support: the spec's examples and errata, a recording mock server, and the
//! per-operation round-trip harness.

#![allow(dead_code)]

pub mod args;
pub mod body;
pub mod harness;
pub mod loopback;
pub mod mock;
pub mod raw;

/// Serves `app` on 127.0.0.1 (an ephemeral port) until the returned sender is dropped.
pub async fn serve_loopback(app: axum::Router) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .ok();
    });
    (base, tx)
}

/// A [`codearts::retry::Sleep`] that returns at once and remembers every delay it was asked for, so
/// tests assert on backoff and `Retry-After` without waiting.
#[derive(Debug, Default)]
pub struct RecordingSleep(std::sync::Mutex<Vec<std::time::Duration>>);

impl RecordingSleep {
    pub fn recorded(&self) -> Vec<std::time::Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl codearts::retry::Sleep for RecordingSleep {
    fn sleep(&self, duration: std::time::Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}
