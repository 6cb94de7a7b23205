//! A TUF client for the Sigstore TUF repository: keeps the Sigstore trusted root and the npm
//! registry keys current, following the "detailed client workflow" of the TUF specification
//! 1.0 as Sigstore's own clients (python-tuf, tuf-js, sigstore-go) do.
//!
//! [`TufClient::refresh`] walks the workflow with one fixed `now`:
//!
//! 1. Root: fetch `N+1.root.json` until the repository answers 404. Each new root must be
//!    signed by a threshold of the trusted root's root keys AND a threshold of its own root
//!    keys, and have version N+1. The final root must not be expired. When the timestamp or
//!    snapshot keys changed, the stored timestamp and snapshot are dropped (spec 5.3.11).
//! 2. Timestamp: `timestamp.json`, signed by the root's timestamp role; no rollback of its
//!    version nor of the snapshot version it names, against the stored timestamp; unexpired.
//! 3. Snapshot: `VERSION.snapshot.json` (consistent snapshots) or `snapshot.json`; length and
//!    hashes from the timestamp when it lists them; signed by the snapshot role; the version
//!    the timestamp names; no targets metadata removed or rolled back against the stored
//!    snapshot; unexpired.
//! 4. Targets: `VERSION.targets.json` or `targets.json`; length, hashes and version from the
//!    snapshot; signed by the targets role; unexpired.
//!
//! [`TufClient::target`] then looks a target up (top-level targets first, then a pre-order
//! walk of the delegations whose `paths` or `path_hash_prefixes` cover the name, honouring
//! `terminating`; delegated metadata is fetched, checked against the snapshot and verified
//! with the delegating role's keys and threshold), downloads it as `targets/HASH.NAME` under
//! consistent snapshots (`targets/registry.npmjs.org/HASH.keys.json` for a name in a
//! directory) and checks its length and hashes. In Sigstore's repository, `trusted_root.json`
//! is a top-level target and `registry.npmjs.org/keys.json` belongs to the terminating
//! delegated role `registry.npmjs.org` (paths `registry.npmjs.org/*`).
//!
//! Signatures are verified over the canonical JSON (OLPC) of `signed`. A threshold counts each
//! key once: by key id, and by key material (two ids for one key count once). Supported keys:
//! `ecdsa-sha2-nistp256` and `ecdsa-sha2-nistp384` (PEM SubjectPublicKeyInfo, hex DER
//! signatures) and `ed25519` (hex key and signature); other keys never count.
//!
//! Verified metadata is written to the metadata directory atomically as it is accepted, and
//! the stored root is where the next run starts (the embedded root when it is newer).
//!
//! Non-goals: TAP 15 succinct delegations, caching target files, mirrors.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chainward_types::Timestamp;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use sigstore_verify::crypto::{SigningScheme, VerificationKey};
use sigstore_verify::types::{DerPublicKey, SignatureBytes};

/// The initial trusted root of Sigstore's public-good TUF repository (version 16, as
/// `@sigstore/tuf` 5.0.1 ships it in its seeds, byte for byte). The tests verify that it follows
/// from version 13 through real rotations.
pub const SIGSTORE_TUF_ROOT: &[u8] = include_bytes!("../trust/sigstore-tuf-root.json");

/// Sigstore's public-good TUF repository.
pub const SIGSTORE_TUF_URL: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The Sigstore trusted root, a target of [`SIGSTORE_TUF_URL`].
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";

/// The npm registry signing keys, a target of [`SIGSTORE_TUF_URL`] (delegated role
/// `registry.npmjs.org`).
pub const NPM_KEYS_TARGET: &str = "registry.npmjs.org/keys.json";

/// The largest root or timestamp metadata accepted, in bytes.
pub const MAX_ROOT_BYTES: u64 = 512 * 1024;

/// The largest snapshot or targets metadata, or target file, accepted, in bytes.
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// How many root versions one refresh walks at most.
const MAX_ROOT_ROTATIONS: u64 = 256;

/// How many delegated roles one lookup visits at most.
const MAX_DELEGATIONS: usize = 32;

const TOP_LEVEL_ROLES: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// A role name or target path segment in a URL or a file name: everything but unreserved
/// characters is escaped (so `/` is too).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An error of the TUF client. Each names what failed: the role, its version, the URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// The repository URL is not an absolute http(s) URL.
    #[error("`{url}` is not a TUF repository URL: {message}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// A request failed: connection, TLS, timeout, or an HTTP status other than 200 and 404.
    #[error("fetching {url} failed: {message}")]
    Fetch {
        /// The URL requested.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The answer is larger than allowed (the size limit of its kind, or the length the
    /// metadata gives it).
    #[error("{url} is larger than the {limit} bytes allowed")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A file the update needs is not in the repository (404).
    #[error("{what} is not in the repository ({url}: not found)")]
    Missing {
        /// What was asked for (`snapshot version 3`, `target registry.npmjs.org/keys.json`).
        what: String,
        /// The URL requested.
        url: String,
    },
    /// Metadata does not parse, or is not what its role requires.
    #[error("{origin} is malformed: {message}")]
    Malformed {
        /// Where it came from (`timestamp metadata from https://...`).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// Metadata lacks a threshold of valid signatures from the keys that must sign it.
    #[error(
        "{origin} (version {version}) has {valid} valid signature(s) from {signers}, \
         {threshold} needed"
    )]
    Threshold {
        /// The role.
        role: String,
        /// The version of the metadata.
        version: u64,
        /// Where it came from.
        origin: String,
        /// Which keys were asked (`the root keys of trusted root version 14`).
        signers: String,
        /// Distinct keys whose signature verified.
        valid: u64,
        /// Signatures needed.
        threshold: u64,
    },
    /// Metadata has another version than the one expected (root N+1, or what the timestamp
    /// or snapshot names).
    #[error("{role} metadata from {url} has version {found}, expected {expected}")]
    VersionMismatch {
        /// The role.
        role: String,
        /// The URL it came from.
        url: String,
        /// The version expected.
        expected: u64,
        /// The version found.
        found: u64,
    },
    /// A version lower than the trusted one was offered (a rollback attack, or a repository
    /// gone back in time).
    #[error(
        "rollback of {role} metadata refused: version {offered} offered, version {trusted} trusted"
    )]
    Rollback {
        /// The role (`timestamp`, `snapshot`, or a targets role named in the snapshot).
        role: String,
        /// The version already trusted.
        trusted: u64,
        /// The version offered.
        offered: u64,
    },
    /// Metadata removed from the snapshot that a trusted snapshot lists.
    #[error(
        "the new snapshot (version {version}) no longer lists {name}, which the trusted one does"
    )]
    Removed {
        /// The version of the new snapshot.
        version: u64,
        /// The metadata file dropped.
        name: String,
    },
    /// Metadata is expired (a freeze attack, or a repository not kept up).
    #[error("{role} metadata version {version} expired at {expires} (now {now})")]
    Expired {
        /// The role.
        role: String,
        /// Its version.
        version: u64,
        /// When it expired.
        expires: Timestamp,
        /// The time of the update.
        now: Timestamp,
    },
    /// A file's length differs from what the metadata gives.
    #[error("{what} from {url} is {found} bytes, its metadata gives {expected}")]
    LengthMismatch {
        /// What it is.
        what: String,
        /// The URL it came from.
        url: String,
        /// The length the metadata gives.
        expected: u64,
        /// The length received.
        found: u64,
    },
    /// A file does not match a hash the metadata gives.
    #[error("{what} from {url} does not match its {algorithm} hash")]
    HashMismatch {
        /// What it is.
        what: String,
        /// The URL it came from.
        url: String,
        /// The hash algorithm (`sha256`, `sha512`).
        algorithm: String,
    },
    /// No trusted targets metadata lists a target of this name.
    #[error("no trusted targets metadata lists a target named `{name}`")]
    UnknownTarget {
        /// The target name.
        name: String,
    },
    /// [`TufClient::target`] was called before a successful [`TufClient::refresh`].
    #[error("the TUF metadata is not refreshed: call refresh first")]
    NotRefreshed,
    /// Reading or writing the metadata directory failed.
    #[error("TUF metadata at {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Fetches repository files. `Ok(None)` means the file does not exist (404).
pub trait Fetcher {
    /// GETs `url`, refusing a body of more than `max` bytes ([`TufError::TooLarge`]).
    ///
    /// # Errors
    ///
    /// [`TufError::Fetch`] for a transport failure or an unexpected status,
    /// [`TufError::TooLarge`] for a body over `max`.
    fn fetch(&self, url: &str, max: u64) -> Result<Option<Vec<u8>>, TufError>;
}

impl<T: Fetcher + ?Sized> Fetcher for &T {
    fn fetch(&self, url: &str, max: u64) -> Result<Option<Vec<u8>>, TufError> {
        (**self).fetch(url, max)
    }
}

impl<T: Fetcher + ?Sized> Fetcher for Box<T> {
    fn fetch(&self, url: &str, max: u64) -> Result<Option<Vec<u8>>, TufError> {
        (**self).fetch(url, max)
    }
}

/// A blocking HTTP(S) [`Fetcher`] (ureq, rustls with the webpki roots). 404 and 410 are
/// "not found", and so is 403, which object stores (Sigstore's CDN is one) answer for a
/// missing object. Proxies come from the environment, except for loopback addresses.
pub struct HttpFetcher {
    agent: ureq::Agent,
    direct: ureq::Agent,
}

impl std::fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFetcher").finish_non_exhaustive()
    }
}

impl Default for HttpFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpFetcher {
    /// A fetcher with a 10 s connect timeout and a 60 s limit per request.
    #[must_use]
    pub fn new() -> Self {
        let builder = || {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(Duration::from_secs(10)))
                .timeout_global(Some(Duration::from_secs(60)))
                .max_redirects(5)
                .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")))
        };
        Self {
            agent: builder().build().new_agent(),
            direct: builder().proxy(None).build().new_agent(),
        }
    }
}

impl Fetcher for HttpFetcher {
    fn fetch(&self, url: &str, max: u64) -> Result<Option<Vec<u8>>, TufError> {
        let failed = |message: String| TufError::Fetch {
            url: url.to_owned(),
            message,
        };
        let agent = if is_loopback(url) {
            &self.direct
        } else {
            &self.agent
        };
        let mut response = agent.get(url).call().map_err(|e| failed(e.to_string()))?;
        match response.status().as_u16() {
            200 => {}
            403 | 404 | 410 => return Ok(None),
            status => return Err(failed(format!("HTTP status {status}"))),
        }
        let too_large = || TufError::TooLarge {
            url: url.to_owned(),
            limit: max,
        };
        if response.body().content_length().is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(max.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| failed(e.to_string()))?;
        if body.len() as u64 > max {
            return Err(too_large());
        }
        Ok(Some(body))
    }
}

/// Whether `url`'s host is a loopback address (reached without a proxy).
fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    match uri.host() {
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// The versions of the trusted metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataVersions {
    /// The trusted root.
    pub root: u64,
    /// The trusted timestamp, once there is one.
    pub timestamp: Option<u64>,
    /// The trusted snapshot, once there is one.
    pub snapshot: Option<u64>,
    /// The trusted top-level targets, once refreshed.
    pub targets: Option<u64>,
}

/// A TUF client for one repository. See the [module docs](self) for the workflow.
pub struct TufClient<F = HttpFetcher> {
    /// The repository URL without trailing slashes.
    base: String,
    dir: PathBuf,
    fetcher: F,
    root: Trusted<RootBody>,
    timestamp: Option<Trusted<TimestampBody>>,
    snapshot: Option<Trusted<SnapshotBody>>,
    targets: Option<Trusted<TargetsBody>>,
    /// The `now` of the last successful refresh.
    refreshed_at: Option<Timestamp>,
}

impl<F> std::fmt::Debug for TufClient<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TufClient")
            .field("url", &self.base)
            .field("dir", &self.dir)
            .field("versions", &self.versions())
            .finish_non_exhaustive()
    }
}

impl<F> TufClient<F> {
    /// The repository URL, without trailing slashes.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The metadata directory.
    #[must_use]
    pub fn metadata_dir(&self) -> &Path {
        &self.dir
    }

    /// The versions of the trusted metadata.
    #[must_use]
    pub fn versions(&self) -> MetadataVersions {
        MetadataVersions {
            root: self.root.version,
            timestamp: self.timestamp.as_ref().map(|t| t.version),
            snapshot: self.snapshot.as_ref().map(|t| t.version),
            targets: self.targets.as_ref().map(|t| t.version),
        }
    }

    /// The trusted root metadata, as the repository served it.
    #[must_use]
    pub fn root_json(&self) -> &[u8] {
        &self.root.raw
    }
}

impl<F: Fetcher> TufClient<F> {
    /// A client for `repo_url` that keeps its metadata in `metadata_dir`. The trusted root is
    /// the stored `root.json` when there is one, or `embedded_root` when that is newer (or
    /// nothing is stored). Nothing is fetched and nothing is written yet.
    ///
    /// # Errors
    ///
    /// [`TufError::InvalidUrl`] for a URL that is not absolute http(s);
    /// [`TufError::Malformed`] or [`TufError::Threshold`] when the embedded or the stored root
    /// does not parse or is not signed by a threshold of its own root keys;
    /// [`TufError::Io`] when the stored root cannot be read.
    pub fn new(
        repo_url: &str,
        metadata_dir: impl Into<PathBuf>,
        embedded_root: &[u8],
        fetcher: F,
    ) -> Result<Self, TufError> {
        let base = repo_url.trim_end_matches('/').to_owned();
        let invalid = |message: &str| TufError::InvalidUrl {
            url: repo_url.to_owned(),
            message: message.to_owned(),
        };
        let uri: ureq::http::Uri = base.parse().map_err(|_| invalid("it does not parse"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(invalid("an absolute http(s) URL with a host is needed"));
        }
        if base.contains(['?', '#']) {
            return Err(invalid("a repository URL has no query or fragment"));
        }
        let dir = metadata_dir.into();

        let root = self_signed_root(embedded_root, "the embedded root")?;
        let path = dir.join("root.json");
        let root = match read_optional(&path)? {
            Some(bytes) => {
                let origin = format!("the stored root {}", path.display());
                let stored = self_signed_root(&bytes, &origin)?;
                if stored.version >= root.version {
                    stored
                } else {
                    root
                }
            }
            None => root,
        };
        Ok(Self {
            base,
            dir,
            fetcher,
            root,
            timestamp: None,
            snapshot: None,
            targets: None,
            refreshed_at: None,
        })
    }

    /// Updates the trusted metadata from the repository (root, timestamp, snapshot, top-level
    /// targets), with `now` as the time for every expiry check. Verified metadata is stored
    /// as it is accepted, so a failure part-way keeps what was verified before it.
    ///
    /// # Errors
    ///
    /// A [`TufError`] naming the role, version and URL of the first check that failed.
    pub fn refresh(&mut self, now: Timestamp) -> Result<(), TufError> {
        self.refreshed_at = None;
        self.targets = None;
        self.update_root(now)?;
        self.load_stored_timestamp_and_snapshot();
        self.update_timestamp(now)?;
        self.update_snapshot(now)?;
        self.update_targets(now)?;
        self.refreshed_at = Some(now);
        Ok(())
    }

    /// Downloads the target `name` (such as [`TRUSTED_ROOT_TARGET`] or [`NPM_KEYS_TARGET`])
    /// and checks it against its length and hashes in the trusted targets metadata, walking
    /// delegations when the top-level targets do not list it. Delegated metadata is checked
    /// against the snapshot, verified, checked for expiry at the time of the last refresh, and
    /// stored.
    ///
    /// # Errors
    ///
    /// [`TufError::NotRefreshed`] before a successful [`Self::refresh`];
    /// [`TufError::UnknownTarget`] when no trusted role lists `name`; [`TufError::Missing`]
    /// when the repository does not have the file; [`TufError::LengthMismatch`],
    /// [`TufError::TooLarge`] or [`TufError::HashMismatch`] when it does not match; the errors
    /// of [`Self::refresh`] for delegated metadata.
    pub fn target(&self, name: &str) -> Result<Vec<u8>, TufError> {
        let (Some(now), Some(targets)) = (self.refreshed_at, self.targets.as_ref()) else {
            return Err(TufError::NotRefreshed);
        };
        let file =
            self.find_target(name, targets, now)?
                .ok_or_else(|| TufError::UnknownTarget {
                    name: name.to_owned(),
                })?;
        let what = format!("target {name}");
        if supported_hash(&file.hashes).is_none() {
            return Err(TufError::Malformed {
                origin: format!("the targets metadata of {what}"),
                message: "it gives no sha256, sha384 or sha512 hash".to_owned(),
            });
        }
        let url = self.target_url(name, &file);
        let bytes = self
            .fetcher
            .fetch(&url, file.length.min(MAX_METADATA_BYTES))?
            .ok_or_else(|| TufError::Missing {
                what: what.clone(),
                url: url.clone(),
            })?;
        check_length_and_hashes(&bytes, Some(file.length), &file.hashes, &what, &url)?;
        Ok(bytes)
    }

    // -----------------------------------------------------------------------------------------
    // 1. Root

    fn update_root(&mut self, now: Timestamp) -> Result<(), TufError> {
        let original = self.root.clone();
        let mut stored = read_optional(&self.dir.join("root.json"))?.as_deref()
            == Some(self.root.raw.as_slice());
        for _ in 0..MAX_ROOT_ROTATIONS {
            let version = self.root.version + 1;
            let url = format!("{}/{version}.root.json", self.base);
            // 1.1 Fetch N+1.root.json until the repository answers 404.
            let Some(bytes) = self.fetcher.fetch(&url, MAX_ROOT_BYTES)? else {
                break;
            };
            let origin = format!("root metadata from {url}");
            let (envelope, new) = parse_metadata::<RootBody>(&bytes, "root", &origin)?;
            // 1.2 Signed by a threshold of the trusted root's root keys...
            let trusted = &self.root;
            verify_role(
                &envelope,
                &trusted.body.keys,
                trusted.body.role("root", &origin)?,
                &Context {
                    role: "root",
                    version: new.version,
                    origin: &origin,
                    signers: &format!("the root keys of trusted root version {}", trusted.version),
                },
            )?;
            // 1.3 ...and by a threshold of its own root keys.
            verify_role(
                &envelope,
                &new.body.keys,
                new.body.role("root", &origin)?,
                &Context {
                    role: "root",
                    version: new.version,
                    origin: &origin,
                    signers: "its own root keys",
                },
            )?;
            // 1.4 Version N+1.
            if new.version != version {
                return Err(TufError::VersionMismatch {
                    role: "root".to_owned(),
                    url,
                    expected: version,
                    found: new.version,
                });
            }
            // 1.5 Trust it and store it (its expiry only matters for the final root).
            self.root = Trusted::new(new, bytes);
            self.store("root.json", &self.root.raw)?;
            stored = true;
        }
        if !stored {
            self.store("root.json", &self.root.raw)?;
        }
        // 1.6 The final root must not be expired.
        check_expiry("root", &self.root, now)?;
        // 1.7 New timestamp or snapshot keys: forget the stored timestamp and snapshot, so
        // that rollback protection restarts from what the new keys signed (spec 5.3.11).
        for role in ["timestamp", "snapshot"] {
            if original.body.role_keys(role) != self.root.body.role_keys(role) {
                self.remove_stored("timestamp.json")?;
                self.remove_stored("snapshot.json")?;
                self.timestamp = None;
                self.snapshot = None;
                break;
            }
        }
        Ok(())
    }

    /// Loads the stored timestamp and snapshot as the trusted versions that new ones must not
    /// roll back. Stored metadata that no longer verifies with the trusted root is ignored.
    fn load_stored_timestamp_and_snapshot(&mut self) {
        self.timestamp = self.load_stored("timestamp");
        self.snapshot = self.load_stored("snapshot");
    }

    fn load_stored<T: DeserializeOwned>(&self, role: &str) -> Option<Trusted<T>> {
        let path = self.dir.join(format!("{role}.json"));
        let bytes = read_optional(&path).ok()??;
        let origin = format!("the stored {role} {}", path.display());
        let (envelope, parsed) = parse_metadata::<T>(&bytes, role, &origin).ok()?;
        let context = Context {
            role,
            version: parsed.version,
            origin: &origin,
            signers: "the trusted root",
        };
        let keys = self.root.body.role(role, &origin).ok()?;
        verify_role(&envelope, &self.root.body.keys, keys, &context).ok()?;
        Some(Trusted::new(parsed, bytes))
    }

    // -----------------------------------------------------------------------------------------
    // 2. Timestamp

    fn update_timestamp(&mut self, now: Timestamp) -> Result<(), TufError> {
        let url = format!("{}/timestamp.json", self.base);
        // 2.1 Fetch timestamp.json.
        let bytes = self
            .fetcher
            .fetch(&url, MAX_ROOT_BYTES)?
            .ok_or_else(|| TufError::Missing {
                what: "timestamp metadata".to_owned(),
                url: url.clone(),
            })?;
        let origin = format!("timestamp metadata from {url}");
        let (envelope, new) = parse_metadata::<TimestampBody>(&bytes, "timestamp", &origin)?;
        new.body.snapshot_meta(&origin)?;
        // 2.2 Signed by a threshold of the root's timestamp keys.
        verify_role(
            &envelope,
            &self.root.body.keys,
            self.root.body.role("timestamp", &origin)?,
            &Context {
                role: "timestamp",
                version: new.version,
                origin: &origin,
                signers: &format!("the timestamp keys of root version {}", self.root.version),
            },
        )?;
        // 2.3 No rollback of the timestamp, nor of the snapshot version it names.
        if let Some(trusted) = &self.timestamp {
            if new.version < trusted.version {
                return Err(TufError::Rollback {
                    role: "timestamp".to_owned(),
                    trusted: trusted.version,
                    offered: new.version,
                });
            }
            let trusted_snapshot = trusted.body.snapshot_meta(&origin)?.version;
            let offered_snapshot = new.body.snapshot_meta(&origin)?.version;
            if offered_snapshot < trusted_snapshot {
                return Err(TufError::Rollback {
                    role: "snapshot".to_owned(),
                    trusted: trusted_snapshot,
                    offered: offered_snapshot,
                });
            }
            if new.version == trusted.version {
                // The same version: keep the trusted one (spec 5.4.3).
                check_expiry("timestamp", trusted, now)?;
                return Ok(());
            }
        }
        // 2.4 Not expired.
        let new = Trusted::new(new, bytes);
        check_expiry("timestamp", &new, now)?;
        self.store("timestamp.json", &new.raw)?;
        self.timestamp = Some(new);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // 3. Snapshot

    /// Fetches the metadata file `{name}.json` of `role` that `meta` (from the timestamp or
    /// the snapshot) lists, within the length it gives, and checks its length and hashes.
    /// Returns the bytes and the URL.
    fn fetch_listed(
        &self,
        role: &str,
        name: &str,
        meta: &MetaFile,
    ) -> Result<(Vec<u8>, String), TufError> {
        let url = if self.root.body.consistent_snapshot {
            format!("{}/{}.{name}.json", self.base, meta.version)
        } else {
            format!("{}/{name}.json", self.base)
        };
        let what = format!("{role} metadata version {}", meta.version);
        let limit = meta
            .length
            .unwrap_or(MAX_METADATA_BYTES)
            .min(MAX_METADATA_BYTES);
        let bytes = self
            .fetcher
            .fetch(&url, limit)?
            .ok_or_else(|| TufError::Missing {
                what: what.clone(),
                url: url.clone(),
            })?;
        check_length_and_hashes(&bytes, meta.length, &meta.hashes, &what, &url)?;
        Ok((bytes, url))
    }

    fn update_snapshot(&mut self, now: Timestamp) -> Result<(), TufError> {
        let Some(timestamp) = &self.timestamp else {
            return Err(TufError::NotRefreshed);
        };
        let meta = timestamp
            .body
            .snapshot_meta("the trusted timestamp")?
            .clone();
        // 3.1 Fetch it, within the length the timestamp gives, and check its hashes.
        let (bytes, url) = self.fetch_listed("snapshot", "snapshot", &meta)?;
        let origin = format!("snapshot metadata from {url}");
        let (envelope, new) = parse_metadata::<SnapshotBody>(&bytes, "snapshot", &origin)?;
        // 3.2 Signed by a threshold of the root's snapshot keys.
        verify_role(
            &envelope,
            &self.root.body.keys,
            self.root.body.role("snapshot", &origin)?,
            &Context {
                role: "snapshot",
                version: new.version,
                origin: &origin,
                signers: &format!("the snapshot keys of root version {}", self.root.version),
            },
        )?;
        // 3.3 The version the timestamp names.
        if new.version != meta.version {
            return Err(TufError::VersionMismatch {
                role: "snapshot".to_owned(),
                url,
                expected: meta.version,
                found: new.version,
            });
        }
        // 3.4 No targets metadata removed or rolled back.
        if let Some(trusted) = &self.snapshot {
            for (name, old) in &trusted.body.meta {
                let Some(offered) = new.body.meta.get(name) else {
                    return Err(TufError::Removed {
                        version: new.version,
                        name: name.clone(),
                    });
                };
                if offered.version < old.version {
                    return Err(TufError::Rollback {
                        role: name.trim_end_matches(".json").to_owned(),
                        trusted: old.version,
                        offered: offered.version,
                    });
                }
            }
        }
        // 3.5 Not expired.
        let new = Trusted::new(new, bytes);
        check_expiry("snapshot", &new, now)?;
        self.store("snapshot.json", &new.raw)?;
        self.snapshot = Some(new);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // 4. Targets

    fn update_targets(&mut self, now: Timestamp) -> Result<(), TufError> {
        let root = &self.root.body;
        let targets = self.load_targets_role(
            "targets",
            &root.keys,
            root.role("targets", "the trusted root")?,
            &format!("the targets keys of root version {}", self.root.version),
            now,
        )?;
        self.targets = Some(targets);
        Ok(())
    }

    /// Fetches, checks against the snapshot, verifies, checks for expiry and stores the
    /// targets metadata of `role` (top-level or delegated).
    fn load_targets_role(
        &self,
        role: &str,
        keys: &BTreeMap<String, KeyWire>,
        role_keys: &RoleKeys,
        signers: &str,
        now: Timestamp,
    ) -> Result<Trusted<TargetsBody>, TufError> {
        let Some(snapshot) = &self.snapshot else {
            return Err(TufError::NotRefreshed);
        };
        let file_name = format!("{role}.json");
        let meta = snapshot
            .body
            .meta
            .get(&file_name)
            .ok_or_else(|| TufError::Malformed {
                origin: format!("snapshot metadata version {}", snapshot.version),
                message: format!("it does not list {file_name}"),
            })?;
        let escaped = utf8_percent_encode(role, SEGMENT).to_string();
        // 4.1 Fetch it, within the length the snapshot gives, and check its hashes.
        let (bytes, url) = self.fetch_listed(role, &escaped, meta)?;
        let origin = format!("{role} metadata from {url}");
        let (envelope, new) = parse_metadata::<TargetsBody>(&bytes, "targets", &origin)?;
        new.body.check_delegations(&origin)?;
        // 4.2 Signed by a threshold of the role's keys.
        verify_role(
            &envelope,
            keys,
            role_keys,
            &Context {
                role,
                version: new.version,
                origin: &origin,
                signers,
            },
        )?;
        // 4.3 The version the snapshot names.
        if new.version != meta.version {
            return Err(TufError::VersionMismatch {
                role: role.to_owned(),
                url,
                expected: meta.version,
                found: new.version,
            });
        }
        // 4.4 Not expired.
        let new = Trusted::new(new, bytes);
        check_expiry(role, &new, now)?;
        self.store(&format!("{escaped}.json"), &new.raw)?;
        Ok(new)
    }

    // -----------------------------------------------------------------------------------------
    // 5. Targets and delegations

    /// The target `name` from the top-level targets or, failing that, a pre-order depth-first
    /// walk of the delegations that cover it (spec 5.6.7).
    fn find_target(
        &self,
        name: &str,
        top: &Trusted<TargetsBody>,
        now: Timestamp,
    ) -> Result<Option<TargetFile>, TufError> {
        if let Some(file) = top.body.targets.get(name) {
            return Ok(Some(file.clone()));
        }
        // Roles still to visit (a stack), each with the delegations that name it.
        let mut to_visit: Vec<(DelegatedRole, Rc<Delegations>)> = Vec::new();
        push_children(&mut to_visit, &top.body, name);
        let mut visited: HashSet<String> = HashSet::new();
        while let Some((role, delegations)) = to_visit.pop() {
            if visited.len() >= MAX_DELEGATIONS {
                break;
            }
            if !visited.insert(role.name.clone()) {
                continue;
            }
            let role_keys = RoleKeys {
                keyids: role.keyids.clone(),
                threshold: role.threshold,
            };
            let metadata = self.load_targets_role(
                &role.name,
                &delegations.keys,
                &role_keys,
                &format!("the keys delegated to role {}", role.name),
                now,
            )?;
            if let Some(file) = metadata.body.targets.get(name) {
                return Ok(Some(file.clone()));
            }
            push_children(&mut to_visit, &metadata.body, name);
        }
        Ok(None)
    }

    /// `BASE/targets/NAME`, or `BASE/targets/DIR/HASH.FILE` under consistent snapshots.
    fn target_url(&self, name: &str, file: &TargetFile) -> String {
        let segments: Vec<String> = name
            .split('/')
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect();
        let (file_name, dirs) = segments
            .split_last()
            .map_or(("", &[][..]), |(f, d)| (f.as_str(), d));
        let mut url = format!("{}/targets/", self.base);
        for dir in dirs {
            let _ = write!(url, "{dir}/");
        }
        if self.root.body.consistent_snapshot
            && let Some((_, hash)) = supported_hash(&file.hashes)
        {
            let _ = write!(url, "{}.", hash.to_ascii_lowercase());
        }
        url.push_str(file_name);
        url
    }

    // -----------------------------------------------------------------------------------------
    // Storage

    /// Writes `name` in the metadata directory atomically (a temporary file renamed over it).
    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), TufError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TufError::Io { path, source }
        };
        fs_err::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let path = self.dir.join(name);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = self
            .dir
            .join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let written = (|| {
            let mut file = fs_err::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            fs_err::rename(&temp, &path)
        })();
        if let Err(source) = written {
            let _ = fs_err::remove_file(&temp);
            return Err(TufError::Io { path, source });
        }
        Ok(())
    }

    fn remove_stored(&self, name: &str) -> Result<(), TufError> {
        let path = self.dir.join(name);
        match fs_err::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(TufError::Io { path, source }),
        }
    }
}

/// Queues the roles of `parent`'s delegations that cover `name`, to be visited in their order;
/// a terminating one cuts off the roles after it and everything still queued.
fn push_children(
    to_visit: &mut Vec<(DelegatedRole, Rc<Delegations>)>,
    parent: &TargetsBody,
    name: &str,
) {
    let Some(delegations) = &parent.delegations else {
        return;
    };
    let delegations = Rc::new(delegations.clone());
    let mut children = Vec::new();
    for role in &delegations.roles {
        if role.covers(name) {
            children.push((role.clone(), Rc::clone(&delegations)));
            if role.terminating {
                to_visit.clear();
                break;
            }
        }
    }
    children.reverse();
    to_visit.extend(children);
}

/// The hash a consistent-snapshot target name uses: sha256, else sha512, else sha384.
fn supported_hash(hashes: &BTreeMap<String, String>) -> Option<(&str, &str)> {
    ["sha256", "sha512", "sha384"]
        .into_iter()
        .find_map(|a| hashes.get(a).map(|h| (a, h.as_str())))
}

/// Reads a file, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, TufError> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TufError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses a root and checks it is signed by a threshold of its own root keys (the embedded
/// root, or the stored one).
fn self_signed_root(bytes: &[u8], origin: &str) -> Result<Trusted<RootBody>, TufError> {
    let (envelope, root) = parse_metadata::<RootBody>(bytes, "root", origin)?;
    verify_role(
        &envelope,
        &root.body.keys,
        root.body.role("root", origin)?,
        &Context {
            role: "root",
            version: root.version,
            origin,
            signers: "its own root keys",
        },
    )?;
    Ok(Trusted::new(root, bytes.to_vec()))
}

fn check_expiry<T>(role: &str, metadata: &Trusted<T>, now: Timestamp) -> Result<(), TufError> {
    if now >= metadata.expires {
        return Err(TufError::Expired {
            role: role.to_owned(),
            version: metadata.version,
            expires: metadata.expires,
            now,
        });
    }
    Ok(())
}

/// Checks a file against the length and hashes its metadata gives. Every hash given in a
/// supported algorithm (sha256, sha384, sha512) must match, and at least one must be given
/// when any is: a file listed only with unknown algorithms is refused.
fn check_length_and_hashes(
    bytes: &[u8],
    length: Option<u64>,
    hashes: &BTreeMap<String, String>,
    what: &str,
    url: &str,
) -> Result<(), TufError> {
    if let Some(expected) = length {
        let found = bytes.len() as u64;
        if found != expected {
            return Err(TufError::LengthMismatch {
                what: what.to_owned(),
                url: url.to_owned(),
                expected,
                found,
            });
        }
    }
    let mut checked = 0;
    for (algorithm, expected) in hashes {
        let actual = match algorithm.as_str() {
            "sha256" => hex::encode(Sha256::digest(bytes)),
            "sha384" => hex::encode(Sha384::digest(bytes)),
            "sha512" => hex::encode(Sha512::digest(bytes)),
            _ => continue,
        };
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(TufError::HashMismatch {
                what: what.to_owned(),
                url: url.to_owned(),
                algorithm: algorithm.clone(),
            });
        }
        checked += 1;
    }
    if checked == 0 && !hashes.is_empty() {
        return Err(TufError::Malformed {
            origin: format!("the metadata of {what}"),
            message: format!(
                "none of its hashes ({}) is sha256, sha384 or sha512",
                hashes.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Metadata

/// Metadata accepted as trusted: its header, its role body, and the bytes as served.
#[derive(Debug, Clone)]
struct Trusted<T> {
    version: u64,
    expires: Timestamp,
    body: T,
    raw: Vec<u8>,
}

impl<T> Trusted<T> {
    fn new(parsed: Parsed<T>, raw: Vec<u8>) -> Self {
        Self {
            version: parsed.version,
            expires: parsed.expires,
            body: parsed.body,
            raw,
        }
    }
}

/// Parsed (not yet verified) metadata.
struct Parsed<T> {
    version: u64,
    expires: Timestamp,
    body: T,
}

/// The signed part in canonical form, and its signatures.
struct Envelope {
    canonical: Vec<u8>,
    signatures: Vec<SignatureWire>,
}

#[derive(Deserialize)]
struct EnvelopeWire {
    signed: Value,
    signatures: Vec<SignatureWire>,
}

#[derive(Deserialize)]
struct SignatureWire {
    keyid: String,
    sig: String,
}

/// The fields every role's `signed` has.
#[derive(Deserialize)]
struct HeaderWire {
    #[serde(rename = "_type")]
    kind: String,
    spec_version: String,
    version: u64,
    expires: String,
}

/// Parses metadata of `role_type`, checking its header, into its canonical signed bytes and
/// its body.
fn parse_metadata<T: DeserializeOwned>(
    bytes: &[u8],
    role_type: &str,
    origin: &str,
) -> Result<(Envelope, Parsed<T>), TufError> {
    let malformed = |message: String| TufError::Malformed {
        origin: origin.to_owned(),
        message,
    };
    let wire: EnvelopeWire =
        serde_json::from_slice(bytes).map_err(|e| malformed(format!("not TUF metadata: {e}")))?;
    let canonical = canonical_json(&wire.signed).map_err(|e| malformed(e.to_string()))?;
    let header = HeaderWire::deserialize(&wire.signed).map_err(|e| malformed(e.to_string()))?;
    if header.kind != role_type {
        return Err(malformed(format!(
            "it is {} metadata, {role_type} metadata expected",
            header.kind
        )));
    }
    if header.spec_version.split('.').next() != Some("1") {
        return Err(malformed(format!(
            "spec_version {} is not 1.x",
            header.spec_version
        )));
    }
    if header.version == 0 {
        return Err(malformed("version 0 (versions start at 1)".to_owned()));
    }
    let expires = Timestamp::parse_rfc3339(&header.expires)
        .ok_or_else(|| malformed(format!("expires `{}` is not a time", header.expires)))?;
    let body = T::deserialize(wire.signed).map_err(|e| malformed(e.to_string()))?;
    Ok((
        Envelope {
            canonical,
            signatures: wire.signatures,
        },
        Parsed {
            version: header.version,
            expires,
            body,
        },
    ))
}

#[derive(Debug, Clone, Deserialize)]
struct RootBody {
    #[serde(default)]
    consistent_snapshot: bool,
    keys: BTreeMap<String, KeyWire>,
    roles: BTreeMap<String, RoleKeys>,
}

impl RootBody {
    fn role(&self, role: &str, origin: &str) -> Result<&RoleKeys, TufError> {
        self.roles.get(role).ok_or_else(|| TufError::Malformed {
            origin: origin.to_owned(),
            message: format!("the root has no {role} role"),
        })
    }

    /// A role's threshold and keys, to tell whether a new root changed them.
    fn role_keys(&self, role: &str) -> Option<(u64, BTreeMap<&str, Option<&KeyWire>>)> {
        let keys = self.roles.get(role)?;
        let by_id = keys
            .keyids
            .iter()
            .map(|id| (id.as_str(), self.keys.get(id)))
            .collect();
        Some((keys.threshold, by_id))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct KeyWire {
    keytype: String,
    scheme: String,
    keyval: KeyValWire,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct KeyValWire {
    #[serde(default)]
    public: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RoleKeys {
    keyids: Vec<String>,
    threshold: u64,
}

#[derive(Debug, Clone, Deserialize)]
struct MetaFile {
    version: u64,
    #[serde(default)]
    length: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct TimestampBody {
    meta: BTreeMap<String, MetaFile>,
}

impl TimestampBody {
    fn snapshot_meta(&self, origin: &str) -> Result<&MetaFile, TufError> {
        self.meta
            .get("snapshot.json")
            .ok_or_else(|| TufError::Malformed {
                origin: origin.to_owned(),
                message: "the timestamp does not list snapshot.json".to_owned(),
            })
    }
}

#[derive(Debug, Clone, Deserialize)]
struct SnapshotBody {
    meta: BTreeMap<String, MetaFile>,
}

#[derive(Debug, Clone, Deserialize)]
struct TargetsBody {
    #[serde(default)]
    targets: BTreeMap<String, TargetFile>,
    #[serde(default)]
    delegations: Option<Delegations>,
}

impl TargetsBody {
    /// Delegations must not reuse a top-level role name (their metadata would take its file
    /// name), and a role gives `paths` or `path_hash_prefixes`, not both.
    fn check_delegations(&self, origin: &str) -> Result<(), TufError> {
        let Some(delegations) = &self.delegations else {
            return Ok(());
        };
        for role in &delegations.roles {
            let message = if TOP_LEVEL_ROLES.contains(&role.name.as_str()) {
                format!("it delegates to `{}`, a top-level role name", role.name)
            } else if role.paths.is_some() && role.path_hash_prefixes.is_some() {
                format!(
                    "delegated role `{}` has both paths and path_hash_prefixes",
                    role.name
                )
            } else {
                continue;
            };
            return Err(TufError::Malformed {
                origin: origin.to_owned(),
                message,
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
struct TargetFile {
    length: u64,
    hashes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Delegations {
    #[serde(default)]
    keys: BTreeMap<String, KeyWire>,
    /// Absent with TAP 15 succinct roles, which are not supported (nothing is delegated).
    #[serde(default)]
    roles: Vec<DelegatedRole>,
}

#[derive(Debug, Clone, Deserialize)]
struct DelegatedRole {
    name: String,
    keyids: Vec<String>,
    threshold: u64,
    #[serde(default)]
    terminating: bool,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    path_hash_prefixes: Option<Vec<String>>,
}

impl DelegatedRole {
    /// Whether the role is trusted for target `name`.
    fn covers(&self, name: &str) -> bool {
        if let Some(paths) = &self.paths {
            return paths.iter().any(|p| path_matches(p, name));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let hash = hex::encode(Sha256::digest(name.as_bytes()));
            return prefixes
                .iter()
                .any(|p| hash.starts_with(&p.to_ascii_lowercase()));
        }
        false
    }
}

/// A TUF path pattern against a target name: the same number of `/`-separated segments, each
/// matching as a shell wildcard (`*`, `?`, `[seq]`, `[!seq]`), so `*` never crosses a `/`.
fn path_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let name: Vec<&str> = name.split('/').collect();
    pattern.len() == name.len()
        && pattern
            .iter()
            .zip(&name)
            .all(|(p, n)| wildcard_matches(p.as_bytes(), n.as_bytes()))
}

/// Shell wildcard matching of one segment (bytes; `?` and sets match one byte).
fn wildcard_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: its pattern position and the text it has eaten.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'[') => match_set(&pattern[p..], text[t]),
            Some(&c) => (c == text[t]).then_some(1),
            None => None,
        };
        match step {
            Some(len) => {
                p += len;
                t += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the set at the start of `pattern` (`[abc]`, `[a-z]`, `[!abc]`); the
/// pattern length consumed when it matches. An unclosed `[` is a literal.
fn match_set(pattern: &[u8], c: u8) -> Option<usize> {
    let mut i = 1;
    let negate = matches!(pattern.get(i), Some(b'!'));
    if negate {
        i += 1;
    }
    let start = i;
    let mut matched = false;
    loop {
        match pattern.get(i) {
            None => return (c == b'[').then_some(1),
            Some(b']') if i > start => break,
            Some(&lo) => {
                if pattern.get(i + 1) == Some(&b'-')
                    && pattern.get(i + 2).is_some_and(|&b| b != b']')
                {
                    let hi = pattern[i + 2];
                    matched |= lo <= c && c <= hi;
                    i += 3;
                } else {
                    matched |= lo == c;
                    i += 1;
                }
            }
        }
    }
    (matched != negate).then_some(i + 1)
}

// ---------------------------------------------------------------------------------------------
// Signatures

/// What a threshold check is about, for its error.
struct Context<'a> {
    role: &'a str,
    version: u64,
    origin: &'a str,
    signers: &'a str,
}

/// Checks that a threshold of `role`'s keys signed the envelope. Each key counts once, by
/// id and by key material; signatures by other keys, unsupported keys and signatures that do
/// not verify do not count.
fn verify_role(
    envelope: &Envelope,
    keys: &BTreeMap<String, KeyWire>,
    role: &RoleKeys,
    context: &Context<'_>,
) -> Result<(), TufError> {
    if role.threshold == 0 {
        return Err(TufError::Malformed {
            origin: context.origin.to_owned(),
            message: format!("{} has threshold 0", context.signers),
        });
    }
    let authorized: HashSet<&str> = role.keyids.iter().map(String::as_str).collect();
    let mut counted_ids: HashSet<&str> = HashSet::new();
    let mut counted_keys: HashSet<Vec<u8>> = HashSet::new();
    for signature in &envelope.signatures {
        let id = signature.keyid.as_str();
        if !authorized.contains(id) || counted_ids.contains(id) || signature.sig.is_empty() {
            continue;
        }
        let Some(key) = keys.get(id).and_then(verification_key) else {
            continue;
        };
        if counted_keys.contains(key.as_bytes()) {
            continue;
        }
        let Ok(sig) = hex::decode(&signature.sig) else {
            continue;
        };
        if key
            .verify(&envelope.canonical, &SignatureBytes::new(sig))
            .is_ok()
        {
            counted_ids.insert(id);
            counted_keys.insert(key.as_bytes().to_vec());
        }
    }
    let valid = counted_ids.len() as u64;
    if valid < role.threshold {
        return Err(TufError::Threshold {
            role: context.role.to_owned(),
            version: context.version,
            origin: context.origin.to_owned(),
            signers: context.signers.to_owned(),
            valid,
            threshold: role.threshold,
        });
    }
    Ok(())
}

/// The verification key of a TUF key, `None` for an unsupported or malformed one.
fn verification_key(key: &KeyWire) -> Option<VerificationKey> {
    let public = key.keyval.public.as_deref()?;
    let spki = |scheme| {
        let der = DerPublicKey::from_pem(public).ok()?;
        VerificationKey::from_spki_with_scheme(&der, scheme).ok()
    };
    match (key.keytype.as_str(), key.scheme.as_str()) {
        ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
            spki(SigningScheme::EcdsaP256Sha256)
        }
        ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => {
            spki(SigningScheme::EcdsaP384Sha384)
        }
        ("ed25519", "ed25519") => {
            let raw = hex::decode(public).ok()?;
            if raw.len() != 32 {
                return None;
            }
            // SubjectPublicKeyInfo { id-Ed25519 (1.3.101.112), BIT STRING key } (RFC 8410).
            let mut der = vec![
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
            ];
            der.extend_from_slice(&raw);
            VerificationKey::from_spki_with_scheme(&DerPublicKey::new(der), SigningScheme::Ed25519)
                .ok()
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON

/// A value that has no canonical JSON form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no canonical JSON for {0} (only integers are allowed)")]
pub struct CanonicalJsonError(pub String);

/// The OLPC canonical JSON of `value`, the bytes TUF signs: object keys sorted (by their
/// UTF-8 bytes), no whitespace, strings with only `\` and `"` escaped (everything else
/// verbatim), integers only.
///
/// # Errors
///
/// [`CanonicalJsonError`] for a number that is not an integer.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, CanonicalJsonError> {
    let mut out = Vec::new();
    write_canonical(value, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(CanonicalJsonError(format!("the number {n}")));
            }
        }
        Value::String(s) => write_canonical_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_string(key, out);
                out.push(b':');
                write_canonical(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_canonical_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_escapes_only_quote_and_backslash() {
        let value: Value = serde_json::from_str(
            r#"{"b": [1, -2, true, null], "a": "x\"y\\z\n\u00e9", "A": {"d": 1, "c": 2}}"#,
        )
        .unwrap();
        let canonical = canonical_json(&value).unwrap();
        assert_eq!(
            canonical,
            "{\"A\":{\"c\":2,\"d\":1},\"a\":\"x\\\"y\\\\z\n\u{e9}\",\"b\":[1,-2,true,null]}"
                .as_bytes()
        );
    }

    #[test]
    fn canonical_json_refuses_floats() {
        let value: Value = serde_json::from_str(r#"{"a": 1.5}"#).unwrap();
        assert!(canonical_json(&value).is_err());
    }

    #[test]
    fn path_patterns_match_segment_by_segment() {
        assert!(path_matches(
            "registry.npmjs.org/*",
            "registry.npmjs.org/keys.json"
        ));
        assert!(!path_matches(
            "registry.npmjs.org/*",
            "registry.npmjs.org/a/keys.json"
        ));
        assert!(!path_matches("registry.npmjs.org/*", "trusted_root.json"));
        assert!(path_matches("*", "trusted_root.json"));
        assert!(!path_matches("*", "a/b"));
        assert!(path_matches("*/*.json", "a/b.json"));
        assert!(path_matches("file?.t[xy]t", "file1.txt"));
        assert!(!path_matches("file?.t[!xy]t", "file1.txt"));
        assert!(path_matches("v[0-9]*", "v1beta"));
        assert!(!path_matches("v[0-9]*", "vx"));
        assert!(path_matches("a*b*c", "aXXbYYbc"));
        assert!(!path_matches("a*b*c", "aXXbYYb"));
        assert!(path_matches("[", "["));
    }

    #[test]
    fn path_hash_prefixes_cover_names_by_sha256() {
        let name = "registry.npmjs.org/keys.json";
        let hash = hex::encode(Sha256::digest(name.as_bytes()));
        let role = |prefix: &str| DelegatedRole {
            name: "r".into(),
            keyids: Vec::new(),
            threshold: 1,
            terminating: false,
            paths: None,
            path_hash_prefixes: Some(vec![prefix.to_owned()]),
        };
        assert!(role(&hash[..4]).covers(name));
        let other = if hash.starts_with('0') { "1" } else { "0" };
        assert!(!role(other).covers(name));
    }

    /// RFC 8032 section 7.1, test 1 (empty message).
    #[test]
    fn ed25519_keys_verify() {
        let key = KeyWire {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyValWire {
                public: Some(
                    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".into(),
                ),
            },
        };
        let signature = hex::decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        )
        .unwrap();
        let key = verification_key(&key).expect("ed25519 key");
        key.verify(b"", &SignatureBytes::new(signature.clone()))
            .expect("verifies");
        assert!(key.verify(b"x", &SignatureBytes::new(signature)).is_err());
    }

    #[test]
    fn embedded_root_is_sigstore_root_16_and_self_signed() {
        let root = self_signed_root(SIGSTORE_TUF_ROOT, "embedded").unwrap();
        assert_eq!(root.version, 16);
        assert!(root.body.consistent_snapshot);
        assert_eq!(root.body.roles["root"].threshold, 3);
    }

    #[test]
    fn loopback_urls_are_recognised() {
        assert!(is_loopback("http://127.0.0.1:8080/x"));
        assert!(is_loopback("http://localhost/x"));
        assert!(is_loopback("http://[::1]:80/x"));
        assert!(!is_loopback(
            "https://tuf-repo-cdn.sigstore.dev/1.root.json"
        ));
    }
}
