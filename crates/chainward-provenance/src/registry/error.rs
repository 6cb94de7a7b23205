//! [`RegistryError`]: everything that can go wrong while asking an npm registry.

use std::path::PathBuf;

/// A registry request that could not be answered.
///
/// Every variant names the URL (or, for the cache, the file) it is about. A missing package
/// is not an error: it is [`Fetched::NotFound`](super::Fetched::NotFound).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The configured registry URL, or an advertised attestation URL, is not an absolute
    /// `http(s)://host[:port][/path]` URL.
    #[error("invalid registry URL `{url}`: {message}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The registry answered with a status that is neither success, "not modified" nor
    /// "not found" (after the retries, for 429 and 5xx).
    #[error("GET {url}: the registry answered HTTP {status}")]
    Http {
        /// The URL asked for.
        url: String,
        /// The HTTP status code of the last answer.
        status: u16,
    },
    /// The connection failed, or broke while the body was being read (after the retries).
    #[error("GET {url}: {message}")]
    Network {
        /// The URL asked for.
        url: String,
        /// What failed.
        message: String,
    },
    /// The registry did not answer in time (after the retries).
    #[error("GET {url}: timed out ({message})")]
    Timeout {
        /// The URL asked for.
        url: String,
        /// Which limit was hit.
        message: String,
    },
    /// The body is larger than the limit.
    #[error("GET {url}: the body is larger than the {limit}-byte limit")]
    TooLarge {
        /// The URL asked for.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Offline mode, and the cache holds no (usable) answer for this URL.
    #[error("GET {url}: offline, and the answer is not in the cache")]
    NotCached {
        /// The URL that would have been asked for.
        url: String,
    },
    /// The body is not the JSON expected; the message says where (line and column).
    #[error("GET {url}: invalid JSON: {message}")]
    Parse {
        /// The URL the body came from.
        url: String,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// Reading or writing the on-disk cache failed.
    #[error("registry cache {}: {source}", path.display())]
    Cache {
        /// The cache file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An absolute URL does not point at the configured registry (scheme, host and port must
    /// all match), so it is not fetched.
    #[error("refusing to fetch {url}: it is not on the configured registry {registry}")]
    ForeignUrl {
        /// The URL that was refused.
        url: String,
        /// The configured registry URL.
        registry: String,
    },
}

impl RegistryError {
    /// The URL this error is about, when it is about one (every variant but [`Self::Cache`]).
    #[must_use]
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::InvalidUrl { url, .. }
            | Self::Http { url, .. }
            | Self::Network { url, .. }
            | Self::Timeout { url, .. }
            | Self::TooLarge { url, .. }
            | Self::NotCached { url }
            | Self::Parse { url, .. }
            | Self::ForeignUrl { url, .. } => Some(url),
            Self::Cache { .. } => None,
        }
    }
}
