//! The webhook client: one JSON POST, bounded in time, with the answer reduced to what the retry policy
//! needs (the status, `Retry-After`, a short piece of the body). Errors never carry the URL: webhook URLs
//! are credentials (Slack's, Discord's and Teams Workflows' URLs are the only secret they have).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::error_chain;
use crate::notify::{retry_after, scrub, PostError, Reply, WebhookClient};

/// hyper with rustls (the AWS SDK's TLS stack and the system's roots). No connection pool: a webhook
/// call is rare, a pooled connection would sit frozen between invocations, and a POST on a connection
/// the server has since closed is an ambiguous failure that could send a message twice.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the system's TLS root certificates could not be loaded: {0}")]
pub struct TlsRootsError(#[source] std::io::Error);

impl HttpClient {
    pub fn new() -> Result<HttpClient, TlsRootsError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(TlsRootsError)?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(https);
        Ok(HttpClient { client })
    }
}

/// At most this much of an answer's body is read.
const BODY_LIMIT: usize = 4096;
/// And this much of it is kept for messages.
const BODY_SHOWN: usize = 200;

/// What of an answer's body is read.
#[derive(Clone, Copy)]
enum Read {
    /// A webhook's: none on success (nothing more is said there), the start on failure.
    Failures,
    /// An API's: all of it, success or not, up to [`API_BODY_LIMIT`].
    All,
}

/// The most of an API's answer that is read: Slack's chat.postMessage echoes the message, which is
/// tens of kilobytes at most.
const API_BODY_LIMIT: usize = 1 << 20;

impl WebhookClient for HttpClient {
    async fn post(&self, url: &str, body: Vec<u8>, timeout: Duration) -> Result<Reply, PostError> {
        self.send(url, body, None, timeout, Read::Failures).await
    }

    async fn call(
        &self,
        url: &str,
        body: Vec<u8>,
        token: &str,
        timeout: Duration,
    ) -> Result<Reply, PostError> {
        self.send(url, body, Some(token), timeout, Read::All).await
    }
}

impl HttpClient {
    async fn send(
        &self,
        url: &str,
        body: Vec<u8>,
        token: Option<&str>,
        timeout: Duration,
        read: Read,
    ) -> Result<Reply, PostError> {
        let mut request = http::Request::post(url)
            // Slack asks for the charset, and warns without it.
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .header(
                http::header::USER_AGENT,
                concat!("trailwatch-alarm-notifier/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(token) = token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            // http's errors say which part is invalid, not the URL itself; still, say it in our words.
            // A token with a byte a header cannot hold fails here too: never shown.
            .map_err(|_| {
                PostError::Failed("the URL (or the token) is not valid in an HTTP request".into())
            })?;
        let started = tokio::time::Instant::now();
        let response = match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => return Err(PostError::Timeout(timeout)),
            Ok(Err(e)) => return Err(PostError::Failed(scrub(&error_chain(&e), url))),
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        if response.status().is_success() && matches!(read, Read::Failures) {
            // Delivered. The body says nothing more, and waiting for it could turn a delivery into a
            // timeout, and a retry into a second message.
            return Ok(Reply {
                status,
                retry_after: None,
                body: String::new(),
            });
        }
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, std::time::SystemTime::now()));
        let (limit, wait) = match read {
            Read::Failures => (BODY_LIMIT, BODY_WAIT),
            // The answer is the result: it gets what is left of the attempt's time.
            Read::All => (API_BODY_LIMIT, timeout),
        };
        // A body that does not arrive in time, or is too long, still leaves the status.
        let budget = timeout.saturating_sub(started.elapsed()).min(wait);
        let body =
            tokio::time::timeout(budget, Limited::new(response.into_body(), limit).collect())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| b.to_bytes())
                .unwrap_or_default();
        // The URL's parts go before the text is cut, so no piece of them survives at the cut.
        let text = scrub(&String::from_utf8_lossy(&body), url);
        // An API's answer is kept whole when it is the result; a failure's, as a webhook's, is cut to
        // what a message can show (a proxy's error page is no reason to log a megabyte).
        let text: String = match read {
            Read::All if (200..300).contains(&status) => text,
            _ => text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(BODY_SHOWN)
                .collect(),
        };
        Ok(Reply {
            status,
            retry_after,
            body: text.trim().to_owned(),
        })
    }
}

/// The longest wait for the body of an error answer.
const BODY_WAIT: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    /// A real server on 127.0.0.1: a status, a Retry-After, a body, and a server that never answers.
    #[tokio::test]
    async fn posts_json_and_reads_the_answer_or_times_out() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    let mut seen = Vec::new();
                    loop {
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&seen);
                        if let Some((head, body)) = text.split_once("\r\n\r\n") {
                            let length: usize = head
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse().unwrap())
                                })
                                .unwrap_or(0);
                            if body.len() < length {
                                continue;
                            }
                            if head.starts_with("POST /hang") {
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                return;
                            }
                            assert!(
                                head.contains("content-type: application/json; charset=utf-8"),
                                "{head}"
                            );
                            let body = format!("rejected {body}");
                            let answer = format!(
                                "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len(),
                            );
                            socket.write_all(answer.as_bytes()).await.unwrap();
                            return;
                        }
                    }
                });
            }
        });
        let client = HttpClient::new().unwrap();
        let reply = client
            .post(
                &format!("http://{addr}/hook"),
                br#"{"text":"hi"}"#.to_vec(),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert_eq!(reply.status, 429);
        assert_eq!(reply.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(reply.body, r#"rejected {"text":"hi"}"#);
        let started = std::time::Instant::now();
        let err = client
            .post(
                &format!("http://{addr}/hang"),
                b"{}".to_vec(),
                Duration::from_millis(300),
            )
            .await
            .unwrap_err();
        assert_eq!(err, PostError::Timeout(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(5));
        // Nobody listening: an error that does not show the URL.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let url = format!("http://127.0.0.1:{port}/services/T0/B0/SECRET");
        let err = client
            .post(&url, b"{}".to_vec(), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, PostError::Failed(m) if !m.contains("SECRET")),
            "{err}"
        );
    }
}
