//! Downloads are streamed: the first chunk reaches the caller while the server is still holding
//! back the rest. A client that buffered the whole body would wait forever and time out here.

use futures::StreamExt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A one-shot HTTP/1.1 server that sends a chunked body in two parts, the second only after
/// `release` fires.
async fn two_part_server(first: &'static [u8], second: &'static [u8]) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (release, released) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut seen = Vec::new();
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut buf).await.unwrap();
            assert!(n > 0, "client closed before sending its request");
            seen.extend_from_slice(&buf[..n]);
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(format!("{:x}\r\n", first.len()).as_bytes()).await.unwrap();
        sock.write_all(first).await.unwrap();
        sock.write_all(b"\r\n").await.unwrap();
        sock.flush().await.unwrap();
        let _ = released.await;
        sock.write_all(format!("{:x}\r\n", second.len()).as_bytes()).await.unwrap();
        sock.write_all(second).await.unwrap();
        sock.write_all(b"\r\n0\r\n\r\n").await.unwrap();
        sock.flush().await.unwrap();
    });
    (base, release)
}

#[tokio::test]
async fn build_log_arrives_chunk_by_chunk() {
    let (base, release) = two_part_server(b"[INFO] step 1 started\n", b"[INFO] step 1 finished\n").await;
    let config = codearts::Config::builder().endpoint(codearts::region::Service::Build, &base).build().unwrap();
    let client = codearts::build::Client::from_config(&config).unwrap();
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        client.download_build_log().record_id("2cc26382-b2cb-4234-8eb0-b37d362f4d4c").send(),
    )
    .await
    .expect("headers arrive before the body is complete")
    .expect("download starts");
    let mut stream = response.into_inner().into_inner();

    let first = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the first chunk is delivered while the server still holds the rest")
        .expect("a chunk")
        .expect("no transport error");
    assert_eq!(&first[..], b"[INFO] step 1 started\n");

    release.send(()).unwrap();
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(rest, b"[INFO] step 1 finished\n");
}
