//! The npm cache (`_cacache`): content by integrity, and its index.
//!
//! Read directly, the way `cacache` lays it out (npm 5 and later):
//! - content: `content-v2/<algorithm>/<hex[0..2]>/<hex[2..4]>/<hex[4..]>`, the file's bytes
//!   addressed by their own hash (npm writes SHA-512 addresses);
//! - index: `index-v5/<h[0..2]>/<h[2..4]>/<h[4..]>` where `h` is the SHA-256 of the key,
//!   one bucket file of lines `\n<sha1 of json>\t<json>`, appended; the last valid line for
//!   the key wins, and `"integrity": null` deletes. npm's keys for downloads are
//!   `make-fetch-happen:request-cache:<url>`.
//!
//! Nothing here writes to the cache; a content file is only found here, and the caller
//! hashes what it reads (a file that does not hash to its own address is a poisoned cache).

use std::io;
use std::path::{Path, PathBuf};

use chainward_types::{Hash, HashAlgorithm};
use serde::Deserialize;
use sha2::Digest as _;

/// The prefix of the index keys npm (`make-fetch-happen`) writes for downloaded URLs.
pub const NPM_KEY_PREFIX: &str = "make-fetch-happen:request-cache:";

/// Largest index bucket read (buckets hold a few lines per key).
const MAX_BUCKET_BYTES: u64 = 16 * 1024 * 1024;

/// A `_cacache` folder.
#[derive(Debug, Clone)]
pub struct Cacache {
    root: PathBuf,
}

/// One index entry: what the cache says a key maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The key (`make-fetch-happen:request-cache:<url>`).
    pub key: String,
    /// The content's integrity (SRI), every token parsed.
    pub integrity: Vec<Hash>,
    /// The content size, when recorded.
    pub size: Option<u64>,
}

/// A content file found in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The file.
    pub path: PathBuf,
    /// The hash it is stored under (what its bytes must hash to).
    pub address: Hash,
    /// Its size on disk.
    pub size: u64,
}

#[derive(Deserialize)]
struct IndexLineWire {
    key: String,
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

impl Cacache {
    /// The cache at `root` (the `_cacache` folder itself).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The `_cacache` folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The index key npm uses for a downloaded URL.
    pub fn npm_key(url: &str) -> String {
        format!("{NPM_KEY_PREFIX}{url}")
    }

    /// Where content with this hash is stored (whether or not it is there).
    pub fn content_path(&self, hash: &Hash) -> PathBuf {
        let hex = &hash.hex;
        let mut p = self.root.join("content-v2").join(hash.algorithm.as_str());
        if hex.len() > 4 {
            p.push(&hex[..2]);
            p.push(&hex[2..4]);
            p.push(&hex[4..]);
        } else {
            p.push(hex);
        }
        p
    }

    /// The index bucket file of a key (whether or not it is there).
    pub fn bucket_path(&self, key: &str) -> PathBuf {
        let h = hex::encode(sha2::Sha256::digest(key.as_bytes()));
        self.root
            .join("index-v5")
            .join(&h[..2])
            .join(&h[2..4])
            .join(&h[4..])
    }

    /// The current index entry of `key`: `None` when the key was never written or was
    /// deleted. Lines whose checksum does not match their JSON are skipped, as cacache
    /// skips them.
    pub fn read_index(&self, key: &str) -> io::Result<Option<IndexEntry>> {
        let path = self.bucket_path(key);
        let len = match fs_err::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if len > MAX_BUCKET_BYTES {
            return Err(io::Error::other(format!(
                "{}: index bucket of {len} bytes is larger than the {MAX_BUCKET_BYTES}-byte limit",
                path.display()
            )));
        }
        let text = fs_err::read(&path)?;
        Ok(parse_bucket(&text, key))
    }

    /// Finds the content for a package: first by each of the lockfile's hashes (strongest
    /// first), then through the index entry of `url`. `Ok(None)` when the cache does not
    /// hold it.
    pub fn find(&self, integrity: &[Hash], url: Option<&str>) -> io::Result<Option<Content>> {
        if let Some(c) = self.find_by_hashes(integrity)? {
            return Ok(Some(c));
        }
        let Some(url) = url else { return Ok(None) };
        match self.read_index(&Self::npm_key(url))? {
            Some(entry) => self.find_by_hashes(&entry.integrity),
            None => Ok(None),
        }
    }

    fn find_by_hashes(&self, hashes: &[Hash]) -> io::Result<Option<Content>> {
        let mut sorted: Vec<&Hash> = hashes.iter().collect();
        sorted.sort_by_key(|h| std::cmp::Reverse(strength(h.algorithm)));
        for hash in sorted {
            let path = self.content_path(hash);
            match fs_err::metadata(&path) {
                Ok(m) if m.is_file() => {
                    return Ok(Some(Content {
                        path,
                        address: hash.clone(),
                        size: m.len(),
                    }));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

/// How strong an algorithm is, for picking one of several hashes (higher is stronger).
pub fn strength(algorithm: HashAlgorithm) -> u8 {
    match algorithm {
        HashAlgorithm::Sha512 => 6,
        HashAlgorithm::Sha384 => 5,
        HashAlgorithm::Blake2b256 => 4,
        HashAlgorithm::Sha256 => 3,
        HashAlgorithm::Sha224 => 2,
        HashAlgorithm::Sha1 => 1,
        _ => 0,
    }
}

/// The last valid entry for `key` in a bucket's bytes.
fn parse_bucket(text: &[u8], key: &str) -> Option<IndexEntry> {
    let mut found: Option<IndexEntry> = None;
    for line in text.split(|&b| b == b'\n') {
        let Some(tab) = line.iter().position(|&b| b == b'\t') else {
            continue;
        };
        let (sum, json) = (&line[..tab], &line[tab + 1..]);
        if json.is_empty() || !hex::encode(sha1::Sha1::digest(json)).as_bytes().eq(sum) {
            continue;
        }
        let Ok(wire) = serde_json::from_slice::<IndexLineWire>(json) else {
            continue;
        };
        if wire.key != key {
            continue;
        }
        found = match wire.integrity {
            None => None, // deleted
            Some(sri) => Some(IndexEntry {
                key: wire.key,
                integrity: Hash::from_sri(&sri).unwrap_or_default(),
                size: wire.size,
            }),
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str) -> String {
        format!(
            "\n{}\t{json}",
            hex::encode(sha1::Sha1::digest(json.as_bytes()))
        )
    }

    #[test]
    fn lays_out_content_and_index_paths_as_cacache() {
        let c = Cacache::new("/c");
        let h = Hash::from_hex(HashAlgorithm::Sha512, &"ab".repeat(64)).unwrap();
        assert_eq!(
            c.content_path(&h),
            Path::new("/c/content-v2/sha512/ab/ab").join("ab".repeat(62))
        );
        // sha256("a") = ca978112...
        let b = c.bucket_path("a");
        assert!(
            b.starts_with(
                "/c/index-v5/ca/97/8112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            ),
            "{}",
            b.display()
        );
    }

    #[test]
    fn last_valid_index_line_wins_and_null_deletes() {
        let sri = "sha512-".to_owned() + &"A".repeat(86) + "==";
        let good = format!(r#"{{"key":"k","integrity":"{sri}","size":3}}"#);
        let other = r#"{"key":"other","integrity":null}"#;
        let text = line(&good) + &line(other) + "\ngarbage\tline";
        let e = parse_bucket(text.as_bytes(), "k").unwrap();
        assert_eq!(e.size, Some(3));
        assert_eq!(e.integrity.len(), 1);
        // A forged line (bad checksum) is skipped.
        let forged = text.clone()
            + &format!(
                "\n{}\t{}",
                "0".repeat(40),
                r#"{"key":"k","integrity":null}"#
            );
        assert!(parse_bucket(forged.as_bytes(), "k").is_some());
        let deleted = text + &line(r#"{"key":"k","integrity":null}"#);
        assert!(parse_bucket(deleted.as_bytes(), "k").is_none());
    }
}
