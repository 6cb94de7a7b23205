//! Builders for test packages and snapshots.

use chainward_store::{NewSnapshot, PackageRecord, Timestamp};
use chainward_types::{Ecosystem, Hash, HashAlgorithm, Origin, Package};

/// 2026-01-01T00:00:00Z plus `secs`.
pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_767_225_600 + secs)
}

/// A registry package of `ecosystem`, normalised, with its purl.
pub fn pkg(ecosystem: Ecosystem, name: &str, version: &str) -> PackageRecord {
    PackageRecord::from_package(&Package::new(ecosystem, name, version, Origin::registry()))
}

/// An npm registry package.
pub fn npm(name: &str, version: &str) -> PackageRecord {
    pkg(Ecosystem::Npm, name, version)
}

/// A sha256 hash made of one repeated byte.
pub fn sha256(byte: u8) -> Hash {
    Hash {
        algorithm: HashAlgorithm::Sha256,
        hex: format!("{byte:02x}").repeat(32),
        artifact: None,
    }
}

/// A snapshot of `project` on `branch` at `at`.
pub fn snap(
    project: &str,
    branch: Option<&str>,
    at: Timestamp,
    packages: Vec<PackageRecord>,
) -> NewSnapshot {
    NewSnapshot {
        branch: branch.map(str::to_owned),
        packages,
        ..NewSnapshot::new(project, at)
    }
}

/// `n` packages for generation `i`: the same names every time, each with a sha512 hash;
/// every 50th package (shifted by `i`) has a version of its own in generation `i`, so two
/// generations differ in a few percent of their packages.
pub fn generation(n: usize, i: usize) -> Vec<PackageRecord> {
    (0..n)
        .map(|j| {
            let version = if (j + i).is_multiple_of(50) {
                format!("2.{i}.{j}")
            } else {
                format!("1.0.{}", j % 7)
            };
            let mut p = npm(&format!("pkg-{j:05}"), &version);
            p.hashes.push(Hash {
                algorithm: HashAlgorithm::Sha512,
                hex: format!("{:0128x}", (j as u128) << 20 | (version.len() as u128)),
                artifact: None,
            });
            p.paths.insert("package-lock.json".into());
            p.direct = j % 10 == 0;
            p
        })
        .collect()
}

/// The records as the store gives them back: normalised, deduplicated, sorted.
pub fn normalized(mut packages: Vec<PackageRecord>) -> Vec<PackageRecord> {
    for p in &mut packages {
        p.normalize();
    }
    packages.sort();
    packages.dedup();
    packages
}
