//! `db import`: OSV JSON files, folders of them, OSV `all.zip` exports, PYSEC YAML, and
//! RustSec advisory-db folders, into the database in one transaction.
//!
//! Each input is recognised by content, and inside folders by file name:
//! - a zip archive (`PK` magic) is an OSV export: its `*.json` entries are records;
//! - Markdown whose first line opens a ```` ```toml ```` block is a RustSec advisory
//!   (`rust/<component>/*.md`, the Rust toolchain advisories, are skipped: they are not
//!   crates.io packages); other `.md` files in folders (READMEs) are not advisories;
//! - text starting with `{` is one OSV JSON record, with `[` an array of them;
//! - `.yaml`/`.yml` files are OSV records in YAML (the pypa/advisory-database layout).
//!
//! In folders, hidden entries (`.git`) and other file types are ignored. A bad record is
//! reported ([`ImportReport::errors`]) and the import goes on: nothing good is lost, and
//! the caller exits 2 because the result is incomplete.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::{ArchiveLimits, BoundedZip};
use crate::db::{AdvisoryDb, Outcome, Writer};
use crate::error::{DbError, RecordError, RecordPlace};
use crate::record::{self, AdvisorySource, PreparedRecord};

/// Options of [`AdvisoryDb::import`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The time recorded as the import time (default: now). Tests and reproducible runs
    /// pass a fixed time.
    pub now: Option<SystemTime>,
    /// Limits on archives and single files.
    pub limits: ArchiveLimits,
}

/// Counts of what happened to records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// New records.
    pub added: u64,
    /// Records that replaced a stored one (newer `modified`, or the same `modified` with
    /// different content).
    pub updated: u64,
    /// Records identical to the stored one.
    pub unchanged: u64,
    /// Records deliberately not stored ([`ImportReport::skipped`] says why).
    pub skipped: u64,
}

impl ImportCounts {
    fn add(&mut self, o: &Self) {
        self.added += o.added;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.skipped += o.skipped;
    }
}

/// Why a record was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SkipReason {
    /// The stored record has a newer `modified`.
    Outdated,
    /// A RustSec advisory against the Rust toolchain (`rust/std`, `rust/cargo`, ...),
    /// which is not a crates.io package.
    RustToolchain,
    /// A file inside an OSV archive that is not a `.json` record.
    NotARecord,
}

impl SkipReason {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// A sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Outdated => "older than the stored record",
            Self::RustToolchain => "a Rust toolchain advisory, not a crates.io package",
            Self::NotARecord => "not a .json record",
        }
    }
}

/// One record that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRecord {
    /// Where it is.
    pub place: RecordPlace,
    /// Its id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why.
    pub reason: SkipReason,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Input files read (archives count once).
    pub files: u64,
    /// Counts per source.
    pub by_source: BTreeMap<AdvisorySource, ImportCounts>,
    /// Records not stored, with the reason.
    pub skipped: Vec<SkippedRecord>,
    /// Records (or files) that could not be read: the import is incomplete.
    pub errors: Vec<RecordError>,
}

impl ImportReport {
    /// The counts over all sources.
    pub fn total(&self) -> ImportCounts {
        let mut t = ImportCounts::default();
        for c in self.by_source.values() {
            t.add(c);
        }
        t
    }

    /// True when every input was read: no [`ImportReport::errors`].
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty()
    }

    /// Skipped records counted by reason.
    pub fn skipped_by_reason(&self) -> BTreeMap<SkipReason, u64> {
        let mut m = BTreeMap::new();
        for s in &self.skipped {
            *m.entry(s.reason).or_insert(0) += 1;
        }
        m
    }

    pub(crate) fn count(&mut self, source: AdvisorySource, outcome: Outcome) -> bool {
        let c = self.by_source.entry(source).or_default();
        match outcome {
            Outcome::Added => c.added += 1,
            Outcome::Updated => c.updated += 1,
            Outcome::Unchanged => c.unchanged += 1,
            Outcome::Outdated => {
                c.skipped += 1;
                return false;
            }
        }
        true
    }

    fn skip(
        &mut self,
        place: RecordPlace,
        id: Option<String>,
        source: Option<AdvisorySource>,
        reason: SkipReason,
    ) {
        if let Some(s) = source {
            self.by_source.entry(s).or_default().skipped += 1;
        }
        self.skipped.push(SkippedRecord { place, id, reason });
    }
}

/// How a file found in a folder, or given, is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Given explicitly: decide by content.
    Detect,
    Json,
    Yaml,
    /// `.md` in a folder: a RustSec advisory if it has the front matter, else ignored.
    Markdown,
    Zip,
}

/// What reading one file gave.
enum FileResult {
    Record(RecordPlace, Box<PreparedRecord>),
    Skip(
        RecordPlace,
        Option<String>,
        Option<AdvisorySource>,
        SkipReason,
    ),
    Error(RecordError),
    /// A zip archive, to be read sequentially.
    Zip(PathBuf),
}

impl AdvisoryDb {
    /// Imports OSV JSON files, folders of them (recursively), OSV `all.zip` exports, PYSEC
    /// YAML records and RustSec advisory-db folders, in one transaction.
    ///
    /// Re-importing a record is a no-op; a newer `modified` replaces the stored record; an
    /// older one is skipped. Withdrawn records are stored but never match. A bad input
    /// record (or an unreadable path) is reported in [`ImportReport::errors`], naming the
    /// file, zip entry and line, and the rest is imported: the caller should exit 2 when the
    /// report is not [complete](ImportReport::is_complete). `Err` only for database failures,
    /// in which case nothing was written.
    pub fn import<P: AsRef<Path>>(
        &mut self,
        sources: &[P],
        options: &ImportOptions,
    ) -> Result<ImportReport, DbError> {
        let now = options.now.unwrap_or_else(SystemTime::now);
        let mut report = ImportReport::default();
        let writer = self.writer(now)?;
        for source in sources {
            import_source(&writer, source.as_ref(), options, &mut report)?;
        }
        writer.log(
            "import",
            &serde_json::json!({"files": report.files, "total": report.total(), "errors": report.errors.len()}),
        )?;
        writer.commit()?;
        Ok(report)
    }
}

fn io_message(e: &std::io::Error) -> String {
    // fs-err wraps the error with the path, which the place already names.
    std::error::Error::source(e).map_or_else(|| e.to_string(), ToString::to_string)
}

fn import_source(
    writer: &Writer<'_>,
    source: &Path,
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<(), DbError> {
    let meta = match fs_err::metadata(source) {
        Ok(m) => m,
        Err(e) => {
            report.errors.push(RecordError::new(
                RecordPlace::file(source),
                format!("cannot read: {}", io_message(&e)),
            ));
            return Ok(());
        }
    };
    let candidates: Vec<(PathBuf, Kind)> = if meta.is_dir() {
        let mut out = Vec::new();
        let walk = walkdir::WalkDir::new(source)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let place = e
                        .path()
                        .map_or_else(|| source.to_path_buf(), Path::to_path_buf);
                    report.errors.push(RecordError::new(
                        RecordPlace::file(place),
                        format!("cannot read: {e}"),
                    ));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let ext = entry
                .path()
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let kind = match ext.as_str() {
                "json" => Kind::Json,
                "yaml" | "yml" => Kind::Yaml,
                "md" => Kind::Markdown,
                "zip" => Kind::Zip,
                _ => continue,
            };
            out.push((entry.into_path(), kind));
        }
        out
    } else {
        vec![(source.to_path_buf(), Kind::Detect)]
    };

    // Parse on the rayon pool while this thread writes the previous chunk: SQLite writes
    // are sequential, parsing is not.
    let limits = options.limits;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Vec<FileResult>>>(2);
    std::thread::scope(|scope| {
        let candidates = &candidates;
        scope.spawn(move || {
            for chunk in candidates.chunks(256) {
                let results = chunk
                    .par_iter()
                    .map(|(path, kind)| read_file(path, *kind, &limits))
                    .collect();
                if sender.send(results).is_err() {
                    break;
                }
            }
        });
        for results in receiver {
            for file_results in results {
                if file_results
                    .iter()
                    .any(|r| !matches!(r, FileResult::Zip(_)))
                {
                    report.files += 1;
                }
                for result in file_results {
                    // On a database error, dropping the receiver stops the parser thread.
                    apply_result(writer, result, options, report)?;
                }
            }
        }
        Ok(())
    })
}

fn apply_result(
    writer: &Writer<'_>,
    result: FileResult,
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<(), DbError> {
    match result {
        FileResult::Record(place, rec) => {
            let outcome = writer.apply(&rec, &place.file.display().to_string())?;
            if !report.count(rec.source, outcome) {
                report.skipped.push(SkippedRecord {
                    place,
                    id: Some(rec.id.clone()),
                    reason: SkipReason::Outdated,
                });
            }
        }
        FileResult::Skip(place, id, source, reason) => report.skip(place, id, source, reason),
        FileResult::Error(e) => report.errors.push(e),
        FileResult::Zip(path) => {
            report.files += 1;
            import_zip(writer, &path, options, report)?;
        }
    }
    Ok(())
}

/// Reads and parses one file (not a zip: those are handed back).
fn read_file(path: &Path, kind: Kind, limits: &ArchiveLimits) -> Vec<FileResult> {
    let err = |msg: String| {
        vec![FileResult::Error(RecordError::new(
            RecordPlace::file(path),
            msg,
        ))]
    };
    if kind == Kind::Zip {
        return vec![FileResult::Zip(path.to_path_buf())];
    }
    let mut file = match fs_err::File::open(path) {
        Ok(f) => f,
        Err(e) => return err(format!("cannot read: {}", io_message(&e))),
    };
    let mut bytes = Vec::new();
    // Peek first: an archive given by name can be far larger than a record may be.
    if let Err(e) = (&mut file).take(4).read_to_end(&mut bytes) {
        return err(format!("cannot read: {}", io_message(&e)));
    }
    if kind == Kind::Detect && bytes.starts_with(b"PK") {
        return vec![FileResult::Zip(path.to_path_buf())];
    }
    if let Err(e) = (&mut file)
        .take(limits.max_entry_bytes + 1)
        .read_to_end(&mut bytes)
    {
        return err(format!("cannot read: {}", io_message(&e)));
    }
    if bytes.len() as u64 > limits.max_entry_bytes {
        return err(format!(
            "larger than the limit of {} bytes for one file",
            limits.max_entry_bytes
        ));
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return err("not UTF-8 text (nor a zip archive)".to_owned());
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.trim_start().chars().next();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let kind = match kind {
        Kind::Detect if crate::rustsec::looks_like_advisory(text) => Kind::Markdown,
        Kind::Detect if matches!(first, Some('{' | '[')) => Kind::Json,
        Kind::Detect if matches!(ext.as_str(), "yaml" | "yml") => Kind::Yaml,
        Kind::Detect if ext == "md" => Kind::Markdown,
        Kind::Detect if text.lines().any(|l| l.starts_with("id:")) => Kind::Yaml,
        Kind::Detect => {
            return err(
                "not a recognised advisory format (OSV JSON or YAML, RustSec Markdown, or an OSV zip export)"
                    .to_owned(),
            );
        }
        k => k,
    };
    let one = |r: Result<PreparedRecord, chainward_types::ParseError>| match r {
        Ok(rec) => vec![FileResult::Record(RecordPlace::file(path), Box::new(rec))],
        Err(e) => vec![FileResult::Error(RecordError::from_parse(path, None, e))],
    };
    match kind {
        Kind::Json if first == Some('[') => json_array(path, text),
        Kind::Json => one(record::from_json(text.as_bytes())),
        Kind::Yaml => one(record::from_yaml(text)),
        Kind::Markdown => {
            if !crate::rustsec::looks_like_advisory(text) {
                // A README or other document in a folder: not an advisory.
                return Vec::new();
            }
            if is_toolchain_advisory(path) {
                let id = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                return vec![FileResult::Skip(
                    RecordPlace::file(path),
                    id,
                    Some(AdvisorySource::Rustsec),
                    SkipReason::RustToolchain,
                )];
            }
            one(record::from_rustsec(text))
        }
        Kind::Detect | Kind::Zip => Vec::new(),
    }
}

fn json_array(path: &Path, text: &str) -> Vec<FileResult> {
    let values: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            // Report with the parser's line and column.
            let e = record::from_json(text.as_bytes()).err();
            let e = e.unwrap_or_else(|| {
                chainward_types::ParseError::whole_file("not a JSON array of OSV records")
            });
            return vec![FileResult::Error(RecordError::from_parse(path, None, e))];
        }
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let entry = format!("[{i}]");
            match record::from_value(v) {
                Ok(rec) => FileResult::Record(RecordPlace::entry(path, entry), Box::new(rec)),
                Err(e) => FileResult::Error(RecordError::from_parse(path, Some(&entry), e)),
            }
        })
        .collect()
}

/// `rust/<component>/<id>.md` in the advisory-db layout.
fn is_toolchain_advisory(path: &Path) -> bool {
    path.parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .is_some_and(|n| n == "rust")
}

fn import_zip(
    writer: &Writer<'_>,
    path: &Path,
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<(), DbError> {
    let file = match fs_err::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report.errors.push(RecordError::new(
                RecordPlace::file(path),
                format!("cannot read: {}", io_message(&e)),
            ));
            return Ok(());
        }
    };
    let mut zip = match BoundedZip::new(std::io::BufReader::new(file), options.limits) {
        Ok(z) => z,
        Err(msg) => {
            report
                .errors
                .push(RecordError::new(RecordPlace::file(path), msg));
            return Ok(());
        }
    };
    let origin = path.display().to_string();
    let mut next = 0;
    while next < zip.len() {
        let batch = zip.batch(&mut next, 1024);
        for (entry, msg) in batch.errors {
            let place = match entry {
                Some(e) => RecordPlace::entry(path, e),
                None => RecordPlace::file(path),
            };
            report.errors.push(RecordError::new(place, msg));
        }
        for name in batch.others {
            report.skip(
                RecordPlace::entry(path, name),
                None,
                None,
                SkipReason::NotARecord,
            );
        }
        for (name, parsed) in batch.records {
            match parsed {
                Ok(rec) => {
                    let outcome = writer.apply(&rec, &origin)?;
                    if !report.count(rec.source, outcome) {
                        report.skipped.push(SkippedRecord {
                            place: RecordPlace::entry(path, name),
                            id: Some(rec.id),
                            reason: SkipReason::Outdated,
                        });
                    }
                }
                Err(e) => report
                    .errors
                    .push(RecordError::from_parse(path, Some(&name), e)),
            }
        }
        if batch.stop {
            break;
        }
    }
    Ok(())
}
