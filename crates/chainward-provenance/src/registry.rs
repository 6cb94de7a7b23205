//! An npm registry client: packuments, attestations and signing keys, cached on disk with
//! `ETag` revalidation, fetched concurrently on a few threads.
//!
//! [`Registry`] is blocking (`ureq`, rustls with the webpki roots) and shareable across
//! threads. It only fetches and parses; verifying what it returns is the caller's job
//! ([`registry_keys`](crate::registry_keys), [`npm`](crate::npm)).
//!
//! Invariants:
//! - Every answer is cached under `cache_dir`, one file per URL, named after the hex SHA-256
//!   of the URL (see `cache.rs`). Online, a cached entry is revalidated (`If-None-Match`,
//!   `If-Modified-Since`); a `304` serves it. Offline, nothing touches the network.
//! - "Not found" (404, 410) is never cached, and drops any entry cached before.
//! - A corrupt cache entry is treated as absent, never a panic.
//! - Bodies are capped at [`MAX_BODY_BYTES`], after gzip decoding too.
//! - Only URLs on the configured registry (same scheme, host and port) are fetched.
//!
//! Non-goals: tarballs (see `chainward-integrity`), authentication, npm's `.npmrc`.

mod cache;
mod error;
mod packument;

use std::io::Read as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::IgnoredAny;

use self::cache::{Cache, Entry};
pub use self::error::RegistryError;
pub use self::packument::{AdvertisedAttestations, Packument, PackumentVersion, RegistrySignature};

/// The public npm registry.
pub const DEFAULT_REGISTRY_URL: &str = "https://registry.npmjs.org";

/// The largest body accepted, before and after gzip decoding (the largest packuments, such as
/// `next`, are tens of MB).
pub const MAX_BODY_BYTES: u64 = 256 << 20;

/// The longest pause before a retry, even when `Retry-After` asks for more.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// The pause before the first retry; it doubles for each further one.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Redirects followed per request.
const MAX_REDIRECTS: u32 = 5;

/// Characters escaped in a package name or version inside a URL path: everything but
/// unreserved characters and `@`. `/` is written `%2f`, as npm does.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// How [`Registry`] reaches the registry and where it caches answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Base URL of the registry, default [`DEFAULT_REGISTRY_URL`]. It may have a path prefix
    /// (mirrors such as `https://host/repository/npm/`); the trailing slash is optional.
    pub url: String,
    /// Root of the on-disk cache (the caller passes `<home>/cache/npm-registry`; the default,
    /// `npm-registry-cache`, is relative to the working directory). Created on the first write.
    pub cache_dir: std::path::PathBuf,
    /// Never touch the network: answer from the cache, or fail with
    /// [`RegistryError::NotCached`].
    pub offline: bool,
    /// Worker threads of [`Registry::packuments`] and [`Registry::attestations_many`]
    /// (default 16; 0 counts as 1).
    pub concurrency: usize,
    /// Time allowed to connect (DNS, TCP and TLS), default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body included, default 60 s.
    pub request_timeout: Duration,
    /// Retries after a connection failure, a timeout, a 429 or a 5xx answer (default 2).
    pub retries: u32,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            url: DEFAULT_REGISTRY_URL.to_owned(),
            cache_dir: std::path::PathBuf::from("npm-registry-cache"),
            offline: false,
            concurrency: 16,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retries: 2,
        }
    }
}

/// The outcome of a registry request that did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched<T> {
    /// The registry (or the cache) has it.
    Found {
        /// The parsed answer, or the raw body.
        value: T,
        /// True when the body came from the cache (offline, or revalidated with a 304).
        from_cache: bool,
    },
    /// The registry answered 404 or 410.
    NotFound,
}

impl<T> Fetched<T> {
    /// The value, when found.
    #[must_use]
    pub fn found(self) -> Option<T> {
        match self {
            Self::Found { value, .. } => Some(value),
            Self::NotFound => None,
        }
    }

    /// A reference to the value, when found.
    #[must_use]
    pub fn as_found(&self) -> Option<&T> {
        match self {
            Self::Found { value, .. } => Some(value),
            Self::NotFound => None,
        }
    }

    /// True when the value came from the cache.
    #[must_use]
    pub fn is_from_cache(&self) -> bool {
        matches!(
            self,
            Self::Found {
                from_cache: true,
                ..
            }
        )
    }

    /// Applies `f` to the value, when found.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        match self {
            Self::Found { value, from_cache } => Fetched::Found {
                value: f(value),
                from_cache,
            },
            Self::NotFound => Fetched::NotFound,
        }
    }
}

/// Scheme, host and port of a URL, lowercased, with the default port filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn parse(url: &str) -> Result<Self, RegistryError> {
        let invalid = |message: &str| RegistryError::InvalidUrl {
            url: url.to_owned(),
            message: message.to_owned(),
        };
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|e: ureq::http::uri::InvalidUri| invalid(&e.to_string()))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| invalid("no scheme"))?
            .to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err(invalid("the scheme is not http or https")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("no host"))?
            .to_ascii_lowercase();
        Ok(Self {
            scheme,
            host,
            port: uri.port_u16().unwrap_or(default_port),
        })
    }

    fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// A blocking npm registry client with an on-disk cache. `Send + Sync`: share one.
pub struct Registry {
    config: RegistryConfig,
    /// `config.url` without the trailing slashes.
    base: String,
    origin: Origin,
    agent: ureq::Agent,
    cache: Cache,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One answer from the network.
enum Answer {
    /// 200: the body (decoded) and its validators.
    Body(Entry),
    /// 304 to a conditional request.
    NotModified,
    /// 404 or 410.
    Gone,
}

/// A failed attempt, and whether (and after how long) to try again.
struct Failure {
    error: RegistryError,
    retry: Retry,
}

enum Retry {
    No,
    /// After the usual backoff.
    Backoff,
    /// After what the server asked for (`Retry-After`, capped).
    After(Duration),
}

impl Registry {
    /// A client for `config.url`. Nothing is fetched, and the cache directory is not created
    /// yet.
    ///
    /// Proxies come from `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, except for
    /// a registry on a loopback address, which is always reached directly.
    ///
    /// # Errors
    ///
    /// [`RegistryError::InvalidUrl`] when `config.url` is not an absolute http(s) URL with a
    /// host, or has a query or fragment.
    pub fn new(config: RegistryConfig) -> Result<Self, RegistryError> {
        let base = config.url.trim_end_matches('/').to_owned();
        let origin = Origin::parse(&base)?;
        if base.contains(['?', '#']) {
            return Err(RegistryError::InvalidUrl {
                url: config.url.clone(),
                message: "a registry URL has no query or fragment".to_owned(),
            });
        }
        let concurrency = config.concurrency.max(1);
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .max_redirects(MAX_REDIRECTS)
            .max_idle_connections(concurrency.max(10))
            .max_idle_connections_per_host(concurrency)
            .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")));
        if origin.is_loopback() {
            builder = builder.proxy(None);
        }
        let agent = builder.build().new_agent();
        let cache = Cache::new(config.cache_dir.clone());
        Ok(Self {
            config,
            base,
            origin,
            agent,
            cache,
        })
    }

    /// The registry base URL, without a trailing slash.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The configuration this client was built with.
    #[must_use]
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// The URL of `name`'s packument: `{url}/{name}`, a scoped name written `@scope%2fname`.
    #[must_use]
    pub fn packument_url(&self, name: &str) -> String {
        format!("{}/{}", self.base, escape(name))
    }

    /// The URL of the attestations of `name@version`:
    /// `{url}/-/npm/v1/attestations/{name}@{version}`.
    #[must_use]
    pub fn attestations_url(&self, name: &str, version: &str) -> String {
        format!(
            "{}/-/npm/v1/attestations/{}@{}",
            self.base,
            escape(name),
            escape(version)
        )
    }

    /// The URL of the registry's signing keys: `{url}/-/npm/v1/keys`.
    #[must_use]
    pub fn keys_url(&self) -> String {
        format!("{}/-/npm/v1/keys", self.base)
    }

    /// `GET {url}/{name}` (`Accept: application/json`), parsed.
    ///
    /// # Errors
    ///
    /// Any [`RegistryError`] but `ForeignUrl` and `InvalidUrl`; a body that does not parse is
    /// [`RegistryError::Parse`] and is not cached.
    pub fn packument(&self, name: &str) -> Result<Fetched<Packument>, RegistryError> {
        let url = self.packument_url(name);
        self.get(&url, &|body| Packument::parse(body, &url))
    }

    /// `GET {url}/-/npm/v1/attestations/{name}@{version}`: the raw body, checked to be JSON
    /// and nothing more (the caller verifies it).
    ///
    /// # Errors
    ///
    /// As [`Self::packument`].
    pub fn attestations(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Fetched<Vec<u8>>, RegistryError> {
        self.get_json(&self.attestations_url(name, version))
    }

    /// `GET` an absolute attestations URL as advertised in `dist.attestations.url`: the raw
    /// body, checked to be JSON. Only URLs on the configured registry are fetched; with a
    /// mirror, the advertised `registry.npmjs.org` URL is refused, and
    /// [`Self::attestations`] asks the mirror instead.
    ///
    /// # Errors
    ///
    /// [`RegistryError::ForeignUrl`] when the scheme, host or port differs from the
    /// configured registry's; [`RegistryError::InvalidUrl`] when `url` is not an absolute
    /// http(s) URL; otherwise as [`Self::packument`].
    pub fn attestations_at(&self, url: &str) -> Result<Fetched<Vec<u8>>, RegistryError> {
        if Origin::parse(url)? != self.origin {
            return Err(RegistryError::ForeignUrl {
                url: url.to_owned(),
                registry: self.base.clone(),
            });
        }
        self.get_json(url)
    }

    /// `GET {url}/-/npm/v1/keys`: the raw body, checked to be JSON.
    ///
    /// # Errors
    ///
    /// As [`Self::packument`].
    pub fn keys(&self) -> Result<Fetched<Vec<u8>>, RegistryError> {
        self.get_json(&self.keys_url())
    }

    /// [`Self::packument`] for every name, on up to `config.concurrency` threads. Calls
    /// `on_done` once per name as it completes (from the worker threads) and returns the
    /// results in the order of `names`.
    pub fn packuments(
        &self,
        names: &[String],
        on_done: &(dyn Fn() + Sync),
    ) -> Vec<Result<Fetched<Packument>, RegistryError>> {
        self.run_many(names, on_done, |name| self.packument(name))
    }

    /// [`Self::attestations`] for every `(name, version)`, as [`Self::packuments`] does.
    pub fn attestations_many(
        &self,
        items: &[(String, String)],
        on_done: &(dyn Fn() + Sync),
    ) -> Vec<Result<Fetched<Vec<u8>>, RegistryError>> {
        self.run_many(items, on_done, |(name, version)| {
            self.attestations(name, version)
        })
    }

    /// Runs `job` over `items` on a pool of scoped threads pulling from a shared index.
    fn run_many<I: Sync, T: Send>(
        &self,
        items: &[I],
        on_done: &(dyn Fn() + Sync),
        job: impl Fn(&I) -> T + Sync,
    ) -> Vec<T> {
        let workers = self.config.concurrency.clamp(1, items.len().max(1));
        if workers == 1 {
            return items
                .iter()
                .map(|item| {
                    let result = job(item);
                    on_done();
                    result
                })
                .collect();
        }
        let next = AtomicUsize::new(0);
        let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(item) = items.get(i) else {
                                break;
                            };
                            mine.push((i, job(item)));
                            on_done();
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| match handle.join() {
                    Ok(mine) => mine,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        done.sort_unstable_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, result)| result).collect()
    }

    /// A JSON body, kept raw.
    fn get_json(&self, url: &str) -> Result<Fetched<Vec<u8>>, RegistryError> {
        self.get(url, &|body| {
            serde_json::from_slice::<IgnoredAny>(body)
                .map(|_| body.to_vec())
                .map_err(|e| RegistryError::Parse {
                    url: url.to_owned(),
                    message: e.to_string(),
                })
        })
    }

    /// Answers `url` from the cache or the network, revalidating a cached entry.
    ///
    /// `decode` turns a body into the value; a cached body it rejects is a corrupt entry.
    fn get<T>(
        &self,
        url: &str,
        decode: &dyn Fn(&[u8]) -> Result<T, RegistryError>,
    ) -> Result<Fetched<T>, RegistryError> {
        // 1. Look in the cache.
        let mut cached = self.cache.load(url)?;
        if self.config.offline {
            return match cached.map(|entry| decode(&entry.body)) {
                Some(Ok(value)) => Ok(Fetched::Found {
                    value,
                    from_cache: true,
                }),
                Some(Err(_)) | None => Err(RegistryError::NotCached {
                    url: url.to_owned(),
                }),
            };
        }
        loop {
            // 2. Ask the registry, conditionally when something is cached.
            match self.request(url, cached.as_ref())? {
                // 3. Not modified: serve the cached body, unless it turns out corrupt, in
                //    which case ask again unconditionally.
                Answer::NotModified => {
                    let Some(entry) = cached.take() else {
                        return Err(RegistryError::Http {
                            url: url.to_owned(),
                            status: 304,
                        });
                    };
                    if let Ok(value) = decode(&entry.body) {
                        return Ok(Fetched::Found {
                            value,
                            from_cache: true,
                        });
                    }
                }
                // 4. A new body: parse it, then cache it.
                Answer::Body(entry) => {
                    let value = decode(&entry.body)?;
                    self.cache.store(url, &entry)?;
                    return Ok(Fetched::Found {
                        value,
                        from_cache: false,
                    });
                }
                // 5. Gone: forget what was cached.
                Answer::Gone => {
                    if cached.is_some() {
                        self.cache.remove(url);
                    }
                    return Ok(Fetched::NotFound);
                }
            }
        }
    }

    /// One logical request, with retries.
    fn request(&self, url: &str, cached: Option<&Entry>) -> Result<Answer, RegistryError> {
        let mut retries = 0;
        loop {
            match self.attempt(url, cached) {
                Ok(answer) => return Ok(answer),
                Err(failure) => {
                    let delay = match failure.retry {
                        Retry::No => return Err(failure.error),
                        _ if retries >= self.config.retries => return Err(failure.error),
                        Retry::Backoff => FIRST_RETRY_DELAY
                            .saturating_mul(1 << retries.min(8))
                            .min(MAX_RETRY_DELAY),
                        Retry::After(delay) => delay.min(MAX_RETRY_DELAY),
                    };
                    retries += 1;
                    std::thread::sleep(delay);
                }
            }
        }
    }

    /// One HTTP exchange.
    fn attempt(&self, url: &str, cached: Option<&Entry>) -> Result<Answer, Failure> {
        let mut request = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .header("Accept-Encoding", "gzip");
        if let Some(entry) = cached {
            if let Some(etag) = &entry.etag {
                request = request.header("If-None-Match", etag);
            }
            if let Some(last_modified) = &entry.last_modified {
                request = request.header("If-Modified-Since", last_modified);
            }
        }
        let mut response = request.call().map_err(|e| self.failure(url, e))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        match status {
            200 => {}
            304 if cached.is_some() => return Ok(Answer::NotModified),
            404 | 410 => return Ok(Answer::Gone),
            429 | 500..=599 => {
                let retry = header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(Retry::Backoff, |s| Retry::After(Duration::from_secs(s)));
                return Err(Failure {
                    error: RegistryError::Http {
                        url: url.to_owned(),
                        status,
                    },
                    retry,
                });
            }
            _ => {
                return Err(Failure {
                    error: RegistryError::Http {
                        url: url.to_owned(),
                        status,
                    },
                    retry: Retry::No,
                });
            }
        }
        let too_large = || Failure {
            error: RegistryError::TooLarge {
                url: url.to_owned(),
                limit: MAX_BODY_BYTES,
            },
            retry: Retry::No,
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let gzip =
            header("content-encoding").is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
        let declared = response.body().content_length();
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(too_large());
        }
        let capacity = usize::try_from(declared.unwrap_or(0)).unwrap_or(0);
        let mut body = Vec::with_capacity(capacity);
        response
            .body_mut()
            .as_reader()
            .take(MAX_BODY_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.failure(url, ureq::Error::from(e)))?;
        if body.len() as u64 > MAX_BODY_BYTES {
            return Err(too_large());
        }
        // ureq decodes gzip itself when its `gzip` feature is on (another crate may enable
        // it): decode only what still starts with the gzip magic.
        if gzip && body.starts_with(&[0x1f, 0x8b]) {
            let mut decoded = Vec::new();
            flate2::read::MultiGzDecoder::new(body.as_slice())
                .take(MAX_BODY_BYTES + 1)
                .read_to_end(&mut decoded)
                .map_err(|e| Failure {
                    error: RegistryError::Network {
                        url: url.to_owned(),
                        message: format!("the gzip-encoded body does not decode: {e}"),
                    },
                    retry: Retry::Backoff,
                })?;
            if decoded.len() as u64 > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body = decoded;
        }
        Ok(Answer::Body(Entry {
            body,
            etag,
            last_modified,
        }))
    }

    /// Classifies a transport error.
    fn failure(&self, url: &str, error: ureq::Error) -> Failure {
        let url = url.to_owned();
        let timeout = |what: &str| Failure {
            error: RegistryError::Timeout {
                url: url.clone(),
                message: what.to_owned(),
            },
            retry: Retry::Backoff,
        };
        let network = |retry: Retry, message: String| Failure {
            error: RegistryError::Network {
                url: url.clone(),
                message,
            },
            retry,
        };
        match error {
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => timeout(
                &format!("connecting, limit {:?}", self.config.connect_timeout),
            ),
            ureq::Error::Timeout(_) => timeout(&format!(
                "the request took longer than {:?}",
                self.config.request_timeout
            )),
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                timeout(&e.to_string())
            }
            ureq::Error::Io(e) => network(Retry::Backoff, e.to_string()),
            e @ (ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)) => network(Retry::Backoff, e.to_string()),
            e => network(Retry::No, e.to_string()),
        }
    }
}

/// Escapes a package name (or version) for a URL path as npm does: `@scope/name` becomes
/// `@scope%2fname`.
fn escape(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT)
        .to_string()
        .replace("%2F", "%2f")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(url: &str) -> Registry {
        Registry::new(RegistryConfig {
            url: url.to_owned(),
            ..RegistryConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn escapes_names_as_npm_does() {
        assert_eq!(escape("@scope/name"), "@scope%2fname");
        assert_eq!(escape("lodash.merge"), "lodash.merge");
        assert_eq!(escape("a b?c#d"), "a%20b%3Fc%23d");
        assert_eq!(escape("1.0.0-rc.1+build.5"), "1.0.0-rc.1%2Bbuild.5");
    }

    #[test]
    fn builds_urls_under_a_path_prefix() {
        let r = registry("https://host.example/repository/npm/");
        assert_eq!(r.url(), "https://host.example/repository/npm");
        assert_eq!(
            r.packument_url("@types/node"),
            "https://host.example/repository/npm/@types%2fnode"
        );
        assert_eq!(
            r.attestations_url("@types/node", "1.0.0"),
            "https://host.example/repository/npm/-/npm/v1/attestations/@types%2fnode@1.0.0"
        );
        assert_eq!(
            r.keys_url(),
            "https://host.example/repository/npm/-/npm/v1/keys"
        );
    }

    #[test]
    fn compares_origins_with_default_ports() {
        let a = Origin::parse("https://Registry.npmjs.org/x").unwrap();
        assert_eq!(
            a,
            Origin::parse("https://registry.npmjs.org:443/y").unwrap()
        );
        assert_ne!(a, Origin::parse("http://registry.npmjs.org/x").unwrap());
        assert_ne!(
            a,
            Origin::parse("https://registry.npmjs.org:8443/x").unwrap()
        );
        assert!(Origin::parse("http://[::1]:8080/").unwrap().is_loopback());
        assert!(
            Origin::parse("http://localhost:8080/")
                .unwrap()
                .is_loopback()
        );
        assert!(!a.is_loopback());
    }

    #[test]
    fn rejects_invalid_registry_urls() {
        for url in [
            "registry.npmjs.org",
            "ftp://registry.npmjs.org",
            "https:///x",
            "https://r.example/?q=1",
            "",
        ] {
            let result = Registry::new(RegistryConfig {
                url: url.to_owned(),
                ..RegistryConfig::default()
            });
            assert!(
                matches!(result, Err(RegistryError::InvalidUrl { .. })),
                "{url}: {result:?}"
            );
        }
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Registry>();
    }
}
