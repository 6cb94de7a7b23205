//! Bounded, streaming readers for package archives (`.tgz`, `.crate`, `.tar`, `.zip`).
//!
//! Archives are read, never unpacked: each entry is handed to a visitor with a reader over its
//! bytes. Reads are bounded by [`Limits`] (compressed size, unpacked size, entry count and
//! compression ratio). Entries with absolute paths, `..` components or links are still handed
//! to the visitor, with [`ArchiveEntry::path`] saying why they are unsafe, so callers can turn
//! them into findings; nothing is ever followed or written.

use std::cell::Cell;
use std::io::{self, Read, Seek};
use std::rc::Rc;

/// Bounds on what one archive may make us read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest archive file (compressed bytes).
    pub max_archive_bytes: u64,
    /// Largest total of unpacked entry sizes.
    pub max_unpacked_bytes: u64,
    /// Most entries.
    pub max_entries: u64,
    /// Largest ratio of unpacked to compressed bytes, applied once more than
    /// [`Limits::ratio_slack_bytes`] have been unpacked.
    pub max_ratio: u64,
    /// Unpacked bytes allowed before the ratio applies (small archives of repetitive text
    /// compress very well and are harmless).
    pub ratio_slack_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_archive_bytes: 1 << 30,
            max_unpacked_bytes: 4 << 30,
            max_entries: 250_000,
            max_ratio: 200,
            ratio_slack_bytes: 64 << 20,
        }
    }
}

/// Why an archive could not be read completely.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Reading failed (I/O error, or corrupt compressed data).
    #[error("cannot read archive: {0}")]
    Io(#[from] io::Error),
    /// The archive structure is invalid.
    #[error("corrupt archive: {0}")]
    Corrupt(String),
    /// A bound of [`Limits`] was reached; reading stopped there.
    #[error("archive exceeds the {what} limit ({limit}); reading stopped")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: u64,
    },
}

/// Why an entry's path is unsafe to use as a path inside a package folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafePath {
    /// `/etc/passwd`, `C:\x`, `\\server\share`.
    #[error("absolute path")]
    Absolute,
    /// A `..` component.
    #[error("path with a `..` component")]
    ParentDir,
    /// A NUL byte or an empty name.
    #[error("invalid path")]
    Invalid,
}

/// What kind of entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Directory,
    /// A symbolic link, with its target.
    Symlink(String),
    /// A hard link, with its target.
    Hardlink(String),
    /// Anything else (device, fifo, ...), with the tar type byte (0 for zip).
    Other(u8),
}

/// One entry of an archive.
pub struct ArchiveEntry<'a> {
    /// The entry name exactly as stored (lossy UTF-8).
    pub raw_path: String,
    /// The normalised relative path (`./` and empty components removed, `\` kept as is), or
    /// why it is unsafe.
    pub path: Result<String, UnsafePath>,
    /// The entry kind.
    pub kind: EntryKind,
    /// The declared unpacked size.
    pub size: u64,
    /// The entry's bytes (empty for anything but files).
    pub reader: &'a mut dyn Read,
}

/// Normalises an archive entry name into a safe relative path.
pub fn safe_path(raw: &str) -> Result<String, UnsafePath> {
    if raw.contains('\0') {
        return Err(UnsafePath::Invalid);
    }
    if raw.starts_with('/') || raw.starts_with('\\') {
        return Err(UnsafePath::Absolute);
    }
    let bytes = raw.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(UnsafePath::Absolute);
    }
    let mut parts = Vec::new();
    for part in raw.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(UnsafePath::ParentDir),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(UnsafePath::Invalid);
    }
    Ok(parts.join("/"))
}

/// Counts bytes read through it and refuses to read past a bound.
struct Counted<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        if self.read.get() > self.limit {
            return Err(io::Error::other(format!(
                "archive larger than the {} byte limit",
                self.limit
            )));
        }
        Ok(n)
    }
}

/// Shared bookkeeping of entry count, unpacked total and ratio.
struct Budget {
    limits: Limits,
    entries: u64,
    unpacked: u64,
}

impl Budget {
    fn admit(&mut self, size: u64, compressed_so_far: u64) -> Result<(), ArchiveError> {
        self.admit_size(size)?;
        if self.unpacked > self.limits.ratio_slack_bytes
            && self.unpacked / compressed_so_far.max(1) > self.limits.max_ratio
        {
            return Err(ArchiveError::Limit {
                what: "compression ratio",
                limit: self.limits.max_ratio,
            });
        }
        Ok(())
    }

    /// The entry-count and unpacked-size bounds only (tar: the ratio is checked on the bytes
    /// actually inflated, see [`Inflated`]).
    fn admit_size(&mut self, size: u64) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(ArchiveError::Limit {
                what: "entry count",
                limit: self.limits.max_entries,
            });
        }
        self.unpacked = self.unpacked.saturating_add(size);
        if self.unpacked > self.limits.max_unpacked_bytes {
            return Err(ArchiveError::Limit {
                what: "unpacked size",
                limit: self.limits.max_unpacked_bytes,
            });
        }
        Ok(())
    }
}

/// Counts the bytes a decompressor yields and refuses to go on once they exceed
/// [`Limits::max_ratio`] times the compressed bytes read (past [`Limits::ratio_slack_bytes`]).
/// Checked as bytes are inflated, not on declared sizes: a real package may hold a single
/// file far larger than the slack (a 130 MB native binary), whose declared size is known
/// long before its compressed bytes are read.
struct Inflated<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    inflated: u64,
    limits: Limits,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        if self.inflated > self.limits.ratio_slack_bytes
            && self.inflated / self.compressed.get().max(1) > self.limits.max_ratio
        {
            self.tripped.set(true);
            return Err(io::Error::other(format!(
                "compression ratio above {}",
                self.limits.max_ratio
            )));
        }
        Ok(n)
    }
}

/// Reads a gzip-compressed tar archive (`.tgz`, `.crate`), entry by entry.
///
/// The visitor's errors stop the walk and are returned as [`ArchiveError::Io`].
pub fn read_tar_gz<R: Read>(
    reader: R,
    limits: &Limits,
    visit: impl FnMut(ArchiveEntry<'_>) -> io::Result<()>,
) -> Result<ArchiveSummary, ArchiveError> {
    let read = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: reader,
        read: Rc::clone(&read),
        limit: limits.max_archive_bytes,
    };
    // A multi-member gzip stream is one tar stream, as `tar` and npm read it.
    let gz = flate2::read::MultiGzDecoder::new(counted);
    let tripped = Rc::new(Cell::new(false));
    let inflated = Inflated {
        inner: gz,
        compressed: read,
        inflated: 0,
        limits: *limits,
        tripped: Rc::clone(&tripped),
    };
    match read_tar_inner(inflated, limits, visit) {
        Err(_) if tripped.get() => Err(ArchiveError::Limit {
            what: "compression ratio",
            limit: limits.max_ratio,
        }),
        result => result,
    }
}

/// Reads an uncompressed tar archive.
pub fn read_tar<R: Read>(
    reader: R,
    limits: &Limits,
    visit: impl FnMut(ArchiveEntry<'_>) -> io::Result<()>,
) -> Result<ArchiveSummary, ArchiveError> {
    let read = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: reader,
        read: Rc::clone(&read),
        limit: limits.max_archive_bytes,
    };
    read_tar_inner(counted, limits, visit)
}

/// What reading an archive saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// Entries visited.
    pub entries: u64,
    /// Total declared unpacked size.
    pub unpacked_bytes: u64,
}

fn read_tar_inner<R: Read>(
    reader: R,
    limits: &Limits,
    mut visit: impl FnMut(ArchiveEntry<'_>) -> io::Result<()>,
) -> Result<ArchiveSummary, ArchiveError> {
    let mut archive = tar::Archive::new(reader);
    let mut budget = Budget {
        limits: *limits,
        entries: 0,
        unpacked: 0,
    };
    let entries = archive.entries().map_err(ArchiveError::Io)?;
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        let header = entry.header();
        let size = header.size().map_err(corrupt)?;
        let type_byte = header.entry_type().as_byte();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Directory,
            tar::EntryType::Symlink => EntryKind::Symlink(link_target(&entry)),
            tar::EntryType::Link => EntryKind::Hardlink(link_target(&entry)),
            _ if type_byte == 0 => EntryKind::File, // old tar: NUL type is a file
            _ => EntryKind::Other(type_byte),
        };
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        // The ratio is checked while inflating (`Inflated`); each entry is bounded by the
        // unpacked-size limit.
        budget.admit_size(size)?;
        let path = safe_path(&raw_path);
        let mut empty = io::empty();
        let reader: &mut dyn Read = if kind == EntryKind::File {
            &mut entry
        } else {
            &mut empty
        };
        visit(ArchiveEntry {
            raw_path,
            path,
            kind,
            size,
            reader,
        })?;
    }
    Ok(ArchiveSummary {
        entries: budget.entries,
        unpacked_bytes: budget.unpacked,
    })
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn corrupt(e: io::Error) -> ArchiveError {
    if e.kind() == io::ErrorKind::Other || e.kind() == io::ErrorKind::InvalidData {
        ArchiveError::Corrupt(e.to_string())
    } else {
        ArchiveError::Io(e)
    }
}

/// Reads a zip archive (wheel, yarn cache zip), entry by entry.
pub fn read_zip<R: Read + Seek>(
    reader: R,
    limits: &Limits,
    mut visit: impl FnMut(ArchiveEntry<'_>) -> io::Result<()>,
) -> Result<ArchiveSummary, ArchiveError> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    let mut budget = Budget {
        limits: *limits,
        entries: 0,
        unpacked: 0,
    };
    let mut compressed_total = 0u64;
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
        let size = file.size();
        compressed_total = compressed_total.saturating_add(file.compressed_size());
        budget.admit(size, compressed_total)?;
        if file.size() > limits.ratio_slack_bytes
            && file.size() / file.compressed_size().max(1) > limits.max_ratio
        {
            return Err(ArchiveError::Limit {
                what: "compression ratio",
                limit: limits.max_ratio,
            });
        }
        let raw_path = String::from_utf8_lossy(file.name_raw()).into_owned();
        let is_symlink = file.unix_mode().is_some_and(|m| m & 0o170_000 == 0o120_000);
        let kind = if file.is_dir() {
            EntryKind::Directory
        } else if is_symlink {
            let mut target = String::new();
            (&mut file).take(4096).read_to_string(&mut target)?;
            EntryKind::Symlink(target)
        } else {
            EntryKind::File
        };
        let path = safe_path(&raw_path);
        let mut empty = io::empty();
        // Never read more than declared: a lying header cannot inflate past the budget.
        let mut bounded = (&mut file).take(size);
        let reader: &mut dyn Read = if kind == EntryKind::File {
            &mut bounded
        } else {
            &mut empty
        };
        visit(ArchiveEntry {
            raw_path,
            path,
            kind,
            size,
            reader,
        })?;
    }
    Ok(ArchiveSummary {
        entries: budget.entries,
        unpacked_bytes: budget.unpacked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgz(name: &str, data: &[u8]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, data).unwrap();
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn ratio_is_checked_on_inflated_bytes_not_declared_sizes() {
        let limits = Limits {
            ratio_slack_bytes: 64 * 1024,
            max_ratio: 20,
            ..Limits::default()
        };
        // One entry far larger than the slack that compresses normally (a native binary).
        let mut x = 1u32;
        let noise: Vec<u8> = (0..2_000_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 7) as u8
            })
            .collect();
        let mut total = 0;
        read_tar_gz(&tgz("package/bin.node", &noise)[..], &limits, |mut e| {
            total += io::copy(&mut e.reader, &mut io::sink())?;
            Ok(())
        })
        .unwrap();
        assert_eq!(total, 2_000_000);
        // A bomb stops while inflating, however the visitor reads it.
        let zeros = vec![0u8; 4_000_000];
        let err = read_tar_gz(&tgz("package/zeros", &zeros)[..], &limits, |mut e| {
            io::copy(&mut e.reader, &mut io::sink())?;
            Ok(())
        })
        .unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::Limit {
                    what: "compression ratio",
                    ..
                }
            ),
            "{err}"
        );
        let err = read_tar_gz(&tgz("package/zeros", &zeros)[..], &limits, |_| Ok(())).unwrap_err();
        assert!(matches!(err, ArchiveError::Limit { .. }), "{err}");
    }

    #[test]
    fn safe_paths() {
        assert_eq!(
            safe_path("package/index.js").as_deref(),
            Ok("package/index.js")
        );
        assert_eq!(safe_path("./package//a/./b").as_deref(), Ok("package/a/b"));
        assert_eq!(safe_path("/etc/passwd"), Err(UnsafePath::Absolute));
        assert_eq!(safe_path("C:\\x"), Err(UnsafePath::Absolute));
        assert_eq!(safe_path("package/../../x"), Err(UnsafePath::ParentDir));
        assert_eq!(safe_path("a\\..\\x"), Err(UnsafePath::ParentDir));
        assert_eq!(safe_path("./"), Err(UnsafePath::Invalid));
    }
}
