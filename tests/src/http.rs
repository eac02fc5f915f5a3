//! A real HTTP/1.1 client (hyper's) for the tests, blocking for simplicity:
//! each call runs on a small private runtime. Only 127.0.0.1 is ever a target.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// What came back: status, one header of interest, body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body as text (lossy).
    pub body: String,
}

/// `GET url`, failing after 5 seconds. `Err` carries a readable reason, for
/// use inside [`crate::wait::until`].
pub fn get(url: &str) -> Result<Answer, String> {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "tests only send traffic to 127.0.0.1, not to {url}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds without resources to fail on");
    runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let uri: hyper::Uri = url.parse().map_err(|e| format!("bad url {url}: {e}"))?;
        let answer = tokio::time::timeout(Duration::from_secs(5), async {
            let resp = client
                .get(uri)
                .await
                .map_err(|e| format!("GET {url}: {e}"))?;
            let status = resp.status().as_u16();
            let content_type = resp
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("GET {url}: reading body: {e}"))?
                .to_bytes();
            Ok(Answer {
                status,
                content_type,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        })
        .await
        .map_err(|_| format!("GET {url}: no answer within 5s"))?;
        answer
    })
}

/// `GET url` that must answer 200; panics otherwise.
pub fn get_ok(url: &str) -> Answer {
    let answer = get(url).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        answer.status, 200,
        "GET {url} answered {}: {}",
        answer.status, answer.body
    );
    answer
}

/// A free TCP port on 127.0.0.1, found by binding port 0 and letting go.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0 works on any host with loopback")
}
