//! The on-disk cache of registry answers: one file per URL.
//!
//! The file is named after the hex SHA-256 of the URL and holds a magic line, a one-line JSON
//! header (URL, `ETag`, `Last-Modified`, body length and SHA-256) and the body. An entry whose
//! magic, header, URL, length or digest does not match is corrupt and treated as absent.
//! Entries are replaced atomically: written to a temporary file in the same directory, then
//! renamed over the old one, so readers see the old entry or the new one, never half of one.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::RegistryError;

/// The first line of every entry; a format change bumps the version.
const MAGIC: &[u8] = b"chainward npm-registry cache v1\n";

/// A cached answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// The response body, decoded (never gzip).
    pub(super) body: Vec<u8>,
    /// The `ETag` response header.
    pub(super) etag: Option<String>,
    /// The `Last-Modified` response header.
    pub(super) last_modified: Option<String>,
}

/// The header line of an entry.
#[derive(Serialize, Deserialize)]
struct Header {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    length: u64,
    sha256: String,
}

/// The cache directory.
#[derive(Debug, Clone)]
pub(super) struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The file holding the entry for `url`.
    pub(super) fn path(&self, url: &str) -> PathBuf {
        self.dir.join(hex::encode(Sha256::digest(url.as_bytes())))
    }

    /// The entry for `url`; `None` when there is none or it is corrupt.
    pub(super) fn load(&self, url: &str) -> Result<Option<Entry>, RegistryError> {
        let path = self.path(url);
        match fs_err::read(&path) {
            Ok(bytes) => Ok(decode(&bytes, url)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(RegistryError::Cache { path, source }),
        }
    }

    /// Replaces the entry for `url`, atomically.
    pub(super) fn store(&self, url: &str, entry: &Entry) -> Result<(), RegistryError> {
        let cache_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RegistryError::Cache { path, source }
        };
        fs_err::create_dir_all(&self.dir).map_err(cache_err(&self.dir))?;
        let path = self.path(url);
        let header = Header {
            url: url.to_owned(),
            etag: entry.etag.clone(),
            last_modified: entry.last_modified.clone(),
            length: entry.body.len() as u64,
            sha256: hex::encode(Sha256::digest(&entry.body)),
        };
        let mut header = serde_json::to_vec(&header).map_err(|e| RegistryError::Cache {
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        header.push(b'\n');

        let temp = self.temp_path(&path);
        let written = (|| {
            let mut file = fs_err::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            file.write_all(MAGIC)?;
            file.write_all(&header)?;
            file.write_all(&entry.body)?;
            file.flush()?;
            drop(file);
            fs_err::rename(&temp, &path)
        })();
        if let Err(source) = written {
            let _ = fs_err::remove_file(&temp);
            return Err(RegistryError::Cache { path, source });
        }
        Ok(())
    }

    /// Removes the entry for `url`, if any. Failures are ignored: a stale entry is only
    /// served offline, and a later [`Self::store`] replaces it.
    pub(super) fn remove(&self, url: &str) {
        let _ = fs_err::remove_file(self.path(url));
    }

    /// A temporary file name next to `path`, unique within this machine's processes.
    fn temp_path(&self, path: &Path) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        self.dir
            .join(format!(".{name}.{}.{n}.tmp", std::process::id()))
    }
}

/// Parses an entry file; `None` when anything does not match.
fn decode(bytes: &[u8], url: &str) -> Option<Entry> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let newline = rest.iter().position(|&b| b == b'\n')?;
    let (header, body) = rest.split_at(newline);
    let body = body.get(1..)?;
    let header: Header = serde_json::from_slice(header).ok()?;
    if header.url != url
        || header.length != body.len() as u64
        || header.sha256 != hex::encode(Sha256::digest(body))
    {
        return None;
    }
    Some(Entry {
        body: body.to_vec(),
        etag: header.etag,
        last_modified: header.last_modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            body: b"{\"a\":1}\n".to_vec(),
            etag: Some("\"e1\"".into()),
            last_modified: None,
        }
    }

    #[test]
    fn round_trips_and_replaces_an_entry() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("nested"));
        assert_eq!(cache.load("https://r/a").unwrap(), None);
        cache.store("https://r/a", &entry()).unwrap();
        assert_eq!(cache.load("https://r/a").unwrap(), Some(entry()));
        let newer = Entry {
            body: b"{}".to_vec(),
            etag: None,
            last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        };
        cache.store("https://r/a", &newer).unwrap();
        assert_eq!(cache.load("https://r/a").unwrap(), Some(newer));
        // Only the entry is left: no temporary files.
        assert_eq!(
            fs_err::read_dir(dir.path().join("nested")).unwrap().count(),
            1
        );
    }

    #[test]
    fn treats_a_damaged_entry_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        cache.store("https://r/a", &entry()).unwrap();
        let path = cache.path("https://r/a");
        let good = fs_err::read(&path).unwrap();

        // Truncated body.
        fs_err::write(&path, &good[..good.len() - 2]).unwrap();
        assert_eq!(cache.load("https://r/a").unwrap(), None);
        // A flipped body byte.
        let mut flipped = good.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        fs_err::write(&path, &flipped).unwrap();
        assert_eq!(cache.load("https://r/a").unwrap(), None);
        // Garbage, and an empty file.
        fs_err::write(&path, b"\x00\xffnot an entry").unwrap();
        assert_eq!(cache.load("https://r/a").unwrap(), None);
        fs_err::write(&path, b"").unwrap();
        assert_eq!(cache.load("https://r/a").unwrap(), None);
        // The entry of another URL copied under this name.
        fs_err::write(&path, &good).unwrap();
        fs_err::copy(&path, cache.path("https://r/b")).unwrap();
        assert_eq!(cache.load("https://r/b").unwrap(), None);
    }
}
