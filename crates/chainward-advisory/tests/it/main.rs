//! Integration tests of chainward-advisory: import, lookups, status, update.
#![allow(clippy::unwrap_used, clippy::print_stderr, unreachable_pub)]

mod import;
mod server;
mod update;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chainward_advisory::{AdvisoryDb, ImportOptions, ImportReport};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// 2026-09-01T00:00:00Z.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_788_220_800)
}

pub fn options() -> ImportOptions {
    ImportOptions {
        now: Some(now()),
        ..ImportOptions::default()
    }
}

pub fn new_db() -> (tempfile::TempDir, AdvisoryDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::open(dir.path()).unwrap();
    (dir, db)
}

pub fn import(db: &mut AdvisoryDb, paths: &[PathBuf]) -> ImportReport {
    db.import(paths, &options()).unwrap()
}

pub fn ids(advisories: &[chainward_advisory::PackageAdvisory]) -> Vec<&str> {
    advisories.iter().map(|a| a.id.as_str()).collect()
}
