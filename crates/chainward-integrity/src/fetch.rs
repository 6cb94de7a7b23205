//! Downloading archives that a cache does not hold (online only).
//!
//! [`HttpFetch`] is a blocking HTTP client (`ureq`, rustls with the webpki roots): bounded
//! time and body, one retry on connection failures, timeouts and 5xx answers, and errors
//! that name the URL. Downloaded bytes are verified by the caller like cached ones.

use std::io::Read as _;
use std::time::Duration;

/// Downloads one URL into memory, bounded.
pub trait Fetch: Send + Sync {
    /// Fetches `url`; fails when the body exceeds `max_bytes`.
    fn fetch(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, String>;
}

/// How [`HttpFetch`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Time allowed to connect (DNS and TCP and TLS handshake).
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body included.
    pub request_timeout: Duration,
    /// Retries after a connection failure, a timeout or a 5xx answer.
    pub retries: u32,
    /// Pause before a retry.
    pub retry_delay: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(300),
            retries: 1,
            retry_delay: Duration::from_millis(500),
        }
    }
}

/// A blocking HTTP(S) downloader.
pub struct HttpFetch {
    agent: ureq::Agent,
    config: HttpConfig,
}

impl Default for HttpFetch {
    fn default() -> Self {
        Self::new(HttpConfig::default())
    }
}

impl std::fmt::Debug for HttpFetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFetch")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Whether a failed attempt is worth repeating.
enum Failure {
    Retry(String),
    Final(String),
}

impl HttpFetch {
    /// A client with these timeouts and retries.
    pub fn new(config: HttpConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .http_status_as_error(false)
            .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self { agent, config }
    }

    fn attempt(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, Failure> {
        let mut response = self.agent.get(url).call().map_err(|e| {
            let transient = matches!(
                e,
                ureq::Error::Io(_)
                    | ureq::Error::Timeout(_)
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::HostNotFound
                    | ureq::Error::Protocol(_)
            );
            if transient {
                Failure::Retry(e.to_string())
            } else {
                Failure::Final(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        if status >= 500 {
            return Err(Failure::Retry(format!("HTTP status {status}")));
        }
        if status >= 300 {
            return Err(Failure::Final(format!("HTTP status {status}")));
        }
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(n) = declared
            && n > max_bytes
        {
            return Err(Failure::Final(format!(
                "the body of {n} bytes is larger than the {max_bytes}-byte limit"
            )));
        }
        // Read one byte past the limit to tell "exactly at the limit" from "over it".
        let capacity = declared.unwrap_or(0).min(max_bytes);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        response
            .body_mut()
            .as_reader()
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| Failure::Retry(format!("reading the body: {e}")))?;
        if body.len() as u64 > max_bytes {
            return Err(Failure::Final(format!(
                "the body is larger than the {max_bytes}-byte limit"
            )));
        }
        Ok(body)
    }
}

impl Fetch for HttpFetch {
    fn fetch(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!("GET {url}: not an http(s) URL"));
        }
        let mut tries = 0;
        loop {
            match self.attempt(url, max_bytes) {
                Ok(body) => return Ok(body),
                Err(Failure::Retry(_)) if tries < self.config.retries => {
                    tries += 1;
                    std::thread::sleep(self.config.retry_delay);
                }
                Err(Failure::Retry(why) | Failure::Final(why)) => {
                    let attempts = if tries > 0 {
                        format!(" (after {} attempts)", tries + 1)
                    } else {
                        String::new()
                    };
                    return Err(format!("GET {url}: {why}{attempts}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Serves `responses` in turn (status, body) to successive connections on 127.0.0.1.
    fn serve(responses: Vec<(u16, Vec<u8>)>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for (status, body) in responses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        (format!("http://{addr}"), hits)
    }

    fn quick() -> HttpFetch {
        HttpFetch::new(HttpConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            retries: 1,
            retry_delay: Duration::from_millis(1),
        })
    }

    #[test]
    fn retries_once_after_a_server_error() {
        let (base, hits) = serve(vec![(503, b"busy".to_vec()), (200, b"tarball".to_vec())]);
        let body = quick().fetch(&format!("{base}/a.tgz"), 100).unwrap();
        assert_eq!(body, b"tarball");
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn does_not_retry_client_errors_and_names_the_url() {
        let (base, hits) = serve(vec![(404, b"no".to_vec()), (200, b"x".to_vec())]);
        let url = format!("{base}/missing.tgz");
        let err = quick().fetch(&url, 100).unwrap_err();
        assert!(err.contains(&url) && err.contains("404"), "{err}");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn refuses_bodies_over_the_limit() {
        let (base, _) = serve(vec![(200, vec![0u8; 1000])]);
        let err = quick().fetch(&format!("{base}/big.tgz"), 999).unwrap_err();
        assert!(err.contains("limit"), "{err}");
    }

    #[test]
    fn reports_connection_failures_after_a_retry() {
        // A port nothing listens on: bind, learn the port, close.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/a.tgz");
        let err = quick().fetch(&url, 100).unwrap_err();
        assert!(err.contains(&url) && err.contains("2 attempts"), "{err}");
        assert!(quick().fetch("git+ssh://x/y", 1).is_err());
    }
}
