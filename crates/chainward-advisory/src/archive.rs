//! Bounded reading of OSV `all.zip` exports: entries are read into memory one at a time,
//! never extracted to disk, under limits on their number, their sizes and their
//! compression ratio.

use std::io::{Read, Seek};

use zip::ZipArchive;

/// Limits on a zip archive (and on single input files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most entries an archive may have.
    pub max_entries: u64,
    /// Largest uncompressed entry, and largest single input file.
    pub max_entry_bytes: u64,
    /// Largest total uncompressed size of one archive.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of an entry (zip bombs compress ~1000:1;
    /// OSV JSON about 5–20:1).
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    /// Sized for the real exports with room to grow: npm's `all.zip` holds a few hundred
    /// thousand records and a few GiB of JSON.
    fn default() -> Self {
        Self {
            max_entries: 5_000_000,
            max_entry_bytes: 64 << 20,
            max_total_bytes: 32 << 30,
            max_ratio: 200,
        }
    }
}

/// An open archive and the running total of what was read from it.
pub(crate) struct BoundedZip<R> {
    archive: ZipArchive<R>,
    limits: ArchiveLimits,
    total: u64,
}

/// Entries read from an archive, parsed.
#[derive(Default)]
pub(crate) struct Batch {
    /// `.json` entries and what parsing them gave, in archive order.
    pub(crate) records: Vec<(
        String,
        Result<crate::record::PreparedRecord, chainward_types::ParseError>,
    )>,
    /// Other file entries (not records).
    pub(crate) others: Vec<String>,
    /// Entries that could not be read: (entry name, message).
    pub(crate) errors: Vec<(Option<String>, String)>,
    /// The archive's limits are exhausted: read no further.
    pub(crate) stop: bool,
}

/// One entry of an archive.
pub(crate) enum Entry {
    /// A file entry whose name ends in `.json`, read whole.
    Json { name: String, bytes: Vec<u8> },
    /// Anything else that is harmless (a directory, a README): not a record.
    Other { name: String, is_dir: bool },
}

impl<R: Read + Seek> BoundedZip<R> {
    /// Opens an archive, checking its entry count.
    pub(crate) fn new(reader: R, limits: ArchiveLimits) -> Result<Self, String> {
        let archive =
            ZipArchive::new(reader).map_err(|e| format!("not a readable zip archive: {e}"))?;
        if archive.len() as u64 > limits.max_entries {
            return Err(format!(
                "the archive has {} entries, more than the limit of {}",
                archive.len(),
                limits.max_entries
            ));
        }
        Ok(Self {
            archive,
            limits,
            total: 0,
        })
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.archive.len()
    }

    /// True once the total uncompressed limit was exceeded: nothing more may be read.
    pub(crate) fn exhausted(&self) -> bool {
        self.total > self.limits.max_total_bytes
    }

    /// Reads the next batch of at most `max` entries from `*next`, parsing the records in
    /// parallel. Stops early (with `stop` set) when the archive's limits are exhausted.
    pub(crate) fn batch(&mut self, next: &mut usize, max: usize) -> Batch {
        use rayon::prelude::*;
        let mut raw = Vec::new();
        let mut batch = Batch::default();
        while *next < self.len() && raw.len() < max {
            match self.entry(*next) {
                Ok(Entry::Json { name, bytes }) => raw.push((name, bytes)),
                Ok(Entry::Other { name, is_dir }) => {
                    if !is_dir {
                        batch.others.push(name);
                    }
                }
                Err(e) => batch.errors.push(e),
            }
            *next += 1;
            if self.exhausted() {
                batch.stop = true;
                break;
            }
        }
        batch.records = raw
            .into_par_iter()
            .map(|(name, bytes)| {
                let parsed = crate::record::from_json(&bytes);
                (name, parsed)
            })
            .collect();
        batch
    }

    /// Reads entry `i`. The error names the entry (when its name is known).
    pub(crate) fn entry(&mut self, i: usize) -> Result<Entry, (Option<String>, String)> {
        let limits = self.limits;
        let mut file = self
            .archive
            .by_index(i)
            .map_err(|e| (None, format!("entry #{i}: {e}")))?;
        let name = file
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("#{i}"));
        let err = |msg: String| (Some(name.clone()), msg);
        if file.is_dir() {
            return Ok(Entry::Other { name, is_dir: true });
        }
        if file.is_symlink() {
            return Err(err(
                "a link entry; OSV exports hold only plain files".to_owned()
            ));
        }
        if file.enclosed_name().is_none() {
            return Err(err("an absolute or `..` path".to_owned()));
        }
        if !name.to_ascii_lowercase().ends_with(".json") {
            return Ok(Entry::Other {
                name,
                is_dir: false,
            });
        }
        let declared = file.size();
        if declared > limits.max_entry_bytes {
            return Err(err(format!(
                "{declared} bytes uncompressed, more than the limit of {}",
                limits.max_entry_bytes
            )));
        }
        let compressed = file.compressed_size().max(1);
        if declared / compressed > limits.max_ratio {
            return Err(err(format!(
                "compression ratio {}:1 is above the limit of {}:1",
                declared / compressed,
                limits.max_ratio
            )));
        }
        let cap = declared.min(limits.max_entry_bytes);
        let mut bytes = Vec::with_capacity(usize::try_from(cap).unwrap_or(0).min(1 << 20));
        (&mut file)
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| err(format!("cannot be decompressed: {e}")))?;
        let read = bytes.len() as u64;
        if read > declared {
            return Err(err(format!(
                "holds more than the {declared} bytes its header declares"
            )));
        }
        self.total += read;
        if self.total > limits.max_total_bytes {
            return Err(err(format!(
                "the archive holds more than the limit of {} bytes uncompressed",
                limits.max_total_bytes
            )));
        }
        Ok(Entry::Json { name, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write as _};
    use zip::write::SimpleFileOptions;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_json_entries_and_skips_others() {
        let z = zip_of(&[("A-1.json", b"{}"), ("README", b"hi")]);
        let mut a = BoundedZip::new(Cursor::new(z), ArchiveLimits::default()).unwrap();
        assert_eq!(a.len(), 2);
        assert!(
            matches!(a.entry(0).unwrap(), Entry::Json { name, bytes } if name == "A-1.json" && bytes == b"{}")
        );
        assert!(matches!(a.entry(1).unwrap(), Entry::Other { .. }));
    }

    #[test]
    fn enforces_limits() {
        let big = vec![b' '; 100_000];
        let z = zip_of(&[("bomb.json", &big)]);
        let mut a = BoundedZip::new(Cursor::new(z.clone()), ArchiveLimits::default()).unwrap();
        let (name, msg) = a.entry(0).err().unwrap();
        assert_eq!(name.as_deref(), Some("bomb.json"));
        assert!(msg.contains("compression ratio"), "{msg}");

        let few = ArchiveLimits {
            max_entries: 1,
            ..ArchiveLimits::default()
        };
        let z2 = zip_of(&[("a.json", b"{}"), ("b.json", b"{}")]);
        assert!(
            BoundedZip::new(Cursor::new(z2.clone()), few)
                .err()
                .unwrap()
                .contains("entries")
        );

        let small = ArchiveLimits {
            max_total_bytes: 3,
            ..ArchiveLimits::default()
        };
        let mut a = BoundedZip::new(Cursor::new(z2), small).unwrap();
        assert!(a.entry(0).is_ok());
        assert!(a.entry(1).err().unwrap().1.contains("limit"));

        let traversal = zip_of(&[("../evil.json", b"{}")]);
        let mut a = BoundedZip::new(Cursor::new(traversal), ArchiveLimits::default()).unwrap();
        assert!(a.entry(0).err().unwrap().1.contains(".."));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            if let Ok(mut a) = BoundedZip::new(Cursor::new(bytes), ArchiveLimits::default()) {
                for i in 0..a.len().min(64) {
                    let _ = a.entry(i);
                }
            }
        }

        #[test]
        fn corrupted_archives_never_panic(flip in 0usize..400, byte in proptest::prelude::any::<u8>()) {
            let mut z = zip_of(&[("A-1.json", br#"{"id":"A-1","modified":"2024-01-01T00:00:00Z"}"#), ("B.json", b"{}")]);
            let i = flip % z.len();
            z[i] = byte;
            if let Ok(mut a) = BoundedZip::new(Cursor::new(z), ArchiveLimits::default()) {
                for i in 0..a.len().min(64) {
                    let _ = a.entry(i);
                }
            }
        }
    }
}
