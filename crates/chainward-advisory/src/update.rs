//! `db update`: download the OSV exports (`<base>/<ecosystem>/all.zip`) and swap them in.
//!
//! Steps, all-or-nothing:
//! 1. For each ecosystem, a conditional GET (`If-None-Match` / `If-Modified-Since` from the
//!    last run with the same URL). `304 Not Modified` means nothing to do for it.
//! 2. Each body streams to a temporary file beside the database (never into it), checking
//!    the announced length: a connection that drops half-way is an error.
//! 3. One transaction over all ecosystems: each archive is read under [`ArchiveLimits`],
//!    every `.json` entry must be a valid OSV record naming a package of that ecosystem (or
//!    none), and is applied with the same rules as `db import`. Records that an earlier
//!    update brought from that ecosystem and that are gone from the new export are removed.
//! 4. Commit, with the new ETag/Last-Modified. Any failure before the commit (network, a
//!    corrupt zip, a bad record, a full disk, an interruption) leaves the previous data as
//!    it was: the transaction is rolled back and the temporary files deleted.

use std::collections::HashSet;
use std::io::{BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use chainward_types::Ecosystem;

use crate::archive::{ArchiveLimits, BoundedZip};
use crate::db::{AdvisoryDb, UpdateState};
use crate::error::UpdateError;
use crate::import::ImportCounts;
use crate::time::{format_rfc3339, system_time_micros};

/// Where the OSV project publishes its exports.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems `db update` fetches by default.
pub const DEFAULT_ECOSYSTEMS: [Ecosystem; 3] =
    [Ecosystem::Npm, Ecosystem::CratesIo, Ecosystem::PyPI];

const TEMP_PREFIX: &str = ".chainward-download-";

/// Options of [`AdvisoryDb::update`].
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    /// The base URL; `<base>/<ecosystem>/all.zip` is downloaded.
    pub base_url: String,
    /// The ecosystems to update.
    pub ecosystems: Vec<Ecosystem>,
    /// Longest wait to connect.
    pub connect_timeout: Duration,
    /// Longest wait for the response head, and for each read of the body.
    pub read_timeout: Duration,
    /// Largest download accepted per ecosystem.
    pub max_download_bytes: u64,
    /// Limits on the archives.
    pub limits: ArchiveLimits,
    /// Use `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY` from the environment.
    pub proxy_from_env: bool,
    /// The time recorded as the update time (default: now).
    pub now: Option<SystemTime>,
}

impl Default for UpdateConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            ecosystems: DEFAULT_ECOSYSTEMS.to_vec(),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            max_download_bytes: 8 << 30,
            limits: ArchiveLimits::default(),
            proxy_from_env: true,
            now: None,
        }
    }
}

impl UpdateConfig {
    /// The URL of one ecosystem's export.
    pub fn url_for(&self, ecosystem: Ecosystem) -> String {
        format!(
            "{}/{}/all.zip",
            self.base_url.trim_end_matches('/'),
            ecosystem.as_str()
        )
    }
}

/// Progress of an update, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateProgress<'a> {
    /// Asking the server for one ecosystem's export.
    Requesting {
        /// The ecosystem.
        ecosystem: Ecosystem,
        /// The URL.
        url: &'a str,
    },
    /// Bytes of the export received so far.
    Downloading {
        /// The ecosystem.
        ecosystem: Ecosystem,
        /// Bytes received.
        done: u64,
        /// Bytes announced, when the server said.
        total: Option<u64>,
    },
    /// The server's export has not changed since the last update.
    NotModified {
        /// The ecosystem.
        ecosystem: Ecosystem,
    },
    /// Archive entries checked and applied so far.
    Applying {
        /// The ecosystem.
        ecosystem: Ecosystem,
        /// Entries done.
        done: u64,
        /// Entries in the archive.
        total: u64,
    },
}

/// What happened to one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcosystemUpdate {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The URL.
    pub url: String,
    /// False when the server answered `304 Not Modified`.
    pub changed: bool,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Records in the export.
    pub records: u64,
    /// What happened to those records.
    pub counts: ImportCounts,
}

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateReport {
    /// One entry per requested ecosystem, in order.
    pub ecosystems: Vec<EcosystemUpdate>,
    /// Advisories removed because a new export no longer has them.
    pub removed: u64,
}

enum Download {
    NotModified,
    Fresh {
        file: tempfile::NamedTempFile,
        bytes: u64,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

impl AdvisoryDb {
    /// Downloads the OSV exports of `config.ecosystems` and swaps them in atomically (see
    /// the module documentation of the steps). On `Err`, nothing changed.
    pub fn update(
        &mut self,
        config: &UpdateConfig,
        progress: &mut dyn FnMut(UpdateProgress<'_>),
    ) -> Result<UpdateReport, UpdateError> {
        if config.ecosystems.is_empty() {
            return Err(UpdateError::Config("no ecosystem to update".to_owned()));
        }
        let base = config.base_url.trim();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(UpdateError::Config(format!(
                "the update base URL must be http:// or https://: `{base}`"
            )));
        }
        let now = config.now.unwrap_or_else(SystemTime::now);
        let now_text = format_rfc3339(system_time_micros(now));
        let dir = self
            .path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        remove_stale_downloads(&dir);
        let previous = self.update_states()?;
        let agent = agent(config);

        // 1–2. Download everything first.
        let mut downloads = Vec::new();
        for &ecosystem in &config.ecosystems {
            let url = config.url_for(ecosystem);
            let prev = previous
                .iter()
                .find(|s| s.ecosystem == ecosystem.as_str() && s.url == url);
            progress(UpdateProgress::Requesting {
                ecosystem,
                url: &url,
            });
            let dl = download(&agent, &url, prev, &dir, config, ecosystem, progress)?;
            if matches!(dl, Download::NotModified) {
                progress(UpdateProgress::NotModified { ecosystem });
            }
            downloads.push((ecosystem, url, dl, prev.cloned()));
        }

        // 3. One transaction over all of them.
        let mut report = UpdateReport::default();
        let writer = self.writer(now)?;
        let mut seen = HashSet::new();
        let mut changed = Vec::new();
        for (ecosystem, url, dl, prev) in downloads {
            match dl {
                Download::NotModified => {
                    let records = prev.as_ref().map_or(0, |p| p.records);
                    if let Some(mut state) = prev {
                        state.checked_at.clone_from(&now_text);
                        writer.set_update_state(&state)?;
                    }
                    report.ecosystems.push(EcosystemUpdate {
                        ecosystem,
                        url,
                        changed: false,
                        bytes: 0,
                        records,
                        counts: ImportCounts::default(),
                    });
                }
                Download::Fresh {
                    file,
                    bytes,
                    etag,
                    last_modified,
                } => {
                    let reader = file.reopen().map_err(|source| UpdateError::Io {
                        path: file.path().to_path_buf(),
                        source,
                    })?;
                    let invalid = |message: String| UpdateError::InvalidExport {
                        url: url.clone(),
                        message,
                    };
                    let mut zip =
                        BoundedZip::new(BufReader::new(reader), config.limits).map_err(&invalid)?;
                    let total = zip.len() as u64;
                    let origin = format!("update:{}", ecosystem.as_str());
                    let mut counts = ImportCounts::default();
                    let mut records = 0;
                    let mut next = 0;
                    while next < zip.len() {
                        let batch = zip.batch(&mut next, 1024);
                        if let Some((entry, msg)) = batch.errors.into_iter().next() {
                            return Err(invalid(match entry {
                                Some(e) => format!("entry {e}: {msg}"),
                                None => msg,
                            }));
                        }
                        for (entry, parsed) in batch.records {
                            let rec = parsed.map_err(|e| invalid(format!("entry {entry}: {e}")))?;
                            if !rec.packages.is_empty() && !rec.has_ecosystem(ecosystem) {
                                return Err(invalid(format!(
                                    "entry {entry}: {} names no {} package",
                                    rec.id,
                                    ecosystem.as_str()
                                )));
                            }
                            records += 1;
                            let outcome = writer.apply(&rec, &origin)?;
                            tally(&mut counts, outcome);
                            seen.insert(rec.id);
                        }
                        progress(UpdateProgress::Applying {
                            ecosystem,
                            done: next as u64,
                            total,
                        });
                        if batch.stop {
                            return Err(invalid("the archive exceeds the size limits".to_owned()));
                        }
                    }
                    writer.set_update_state(&UpdateState {
                        ecosystem: ecosystem.as_str().to_owned(),
                        url: url.clone(),
                        etag,
                        last_modified,
                        checked_at: now_text.clone(),
                        changed_at: now_text.clone(),
                        records,
                    })?;
                    changed.push(origin);
                    report.ecosystems.push(EcosystemUpdate {
                        ecosystem,
                        url,
                        changed: true,
                        bytes,
                        records,
                        counts,
                    });
                }
            }
        }
        for origin in &changed {
            report.removed += writer.remove_vanished(origin, &seen)?;
        }
        writer.log("update", &report)?;
        // 4. Commit.
        writer.commit()?;
        Ok(report)
    }
}

fn tally(counts: &mut ImportCounts, outcome: crate::db::Outcome) {
    use crate::db::Outcome;
    match outcome {
        Outcome::Added => counts.added += 1,
        Outcome::Updated => counts.updated += 1,
        Outcome::Unchanged => counts.unchanged += 1,
        Outcome::Outdated => counts.skipped += 1,
    }
}

fn agent(config: &UpdateConfig) -> ureq::Agent {
    let mut builder = ureq::Agent::config_builder()
        .timeout_connect(Some(config.connect_timeout))
        .timeout_recv_response(Some(config.read_timeout))
        .timeout_per_read(Some(config.read_timeout))
        .http_status_as_error(false)
        .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")));
    if !config.proxy_from_env {
        builder = builder.proxy(None);
    }
    builder.build().into()
}

fn download(
    agent: &ureq::Agent,
    url: &str,
    prev: Option<&UpdateState>,
    dir: &Path,
    config: &UpdateConfig,
    ecosystem: Ecosystem,
    progress: &mut dyn FnMut(UpdateProgress<'_>),
) -> Result<Download, UpdateError> {
    let network = |e: &dyn std::fmt::Display| UpdateError::Network {
        url: url.to_owned(),
        message: e.to_string(),
    };
    let mut request = agent.get(url);
    if let Some(prev) = prev {
        if let Some(etag) = &prev.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(lm) = &prev.last_modified {
            request = request.header("If-Modified-Since", lm);
        }
    }
    let response = request.call().map_err(|e| network(&e))?;
    match response.status().as_u16() {
        304 if prev.is_some() => return Ok(Download::NotModified),
        200 => {}
        status => {
            return Err(UpdateError::Http {
                url: url.to_owned(),
                status,
            });
        }
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let total = response.body().content_length();
    let too_large = || UpdateError::TooLarge {
        url: url.to_owned(),
        limit: config.max_download_bytes,
    };
    if total.is_some_and(|t| t > config.max_download_bytes) {
        return Err(too_large());
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UpdateError::Io { path, source }
    };
    let mut file = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".zip")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    let mut reader = response.into_body().into_reader();
    let mut buf = vec![0_u8; 256 << 10];
    let mut done: u64 = 0;
    progress(UpdateProgress::Downloading {
        ecosystem,
        done,
        total,
    });
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(match total {
                    Some(expected) if done < expected => UpdateError::Truncated {
                        url: url.to_owned(),
                        received: done,
                        expected,
                    },
                    _ => network(&format!(
                        "the transfer was interrupted after {done} bytes: {e}"
                    )),
                });
            }
        };
        done += n as u64;
        if done > config.max_download_bytes {
            return Err(too_large());
        }
        file.write_all(&buf[..n]).map_err(io(file.path()))?;
        progress(UpdateProgress::Downloading {
            ecosystem,
            done,
            total,
        });
    }
    if let Some(expected) = total
        && done != expected
    {
        return Err(UpdateError::Truncated {
            url: url.to_owned(),
            received: done,
            expected,
        });
    }
    file.as_file_mut().flush().map_err(io(file.path()))?;
    Ok(Download::Fresh {
        file,
        bytes: done,
        etag,
        last_modified,
    })
}

/// Deletes downloads a killed update left behind (older than a day, so a concurrent
/// update's files are safe).
fn remove_stale_downloads(dir: &Path) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(86_400));
        if stale {
            let _ = fs_err::remove_file(entry.path());
        }
    }
}
