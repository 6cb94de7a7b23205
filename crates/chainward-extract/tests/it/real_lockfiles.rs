//! The 12 real lockfiles of `fixtures/real` (copied from `shared/data/lockfiles`): each is
//! snapshot-tested in a compact one-line-per-package form, and its package count is checked
//! against `MANIFEST.tsv`.

use std::fmt::Write as _;
use std::path::Path;

use chainward_extract::{Format, extract_file};
use chainward_types::{Lockfile, Origin};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real"))
}

fn format_of(file: &str) -> Format {
    [
        ("package-lock.json", Format::NpmPackageLock),
        ("yarn.lock", Format::Yarn),
        ("pnpm-lock.yaml", Format::Pnpm),
        ("bun.lock", Format::Bun),
        ("Cargo.lock", Format::Cargo),
        ("uv.lock", Format::Uv),
        ("poetry.lock", Format::Poetry),
    ]
    .into_iter()
    .find(|(s, _)| file.ends_with(s))
    .map(|(_, f)| f)
    .unwrap()
}

/// One line per package: purl, origin kind, scopes, direct, hash algorithms, line, key.
fn compact(lockfile: &Lockfile) -> String {
    let mut out = String::new();
    writeln!(out, "format: {}", lockfile.format).unwrap();
    writeln!(out, "packages: {}", lockfile.packages.len()).unwrap();
    writeln!(
        out,
        "entries: {}",
        lockfile
            .packages
            .iter()
            .map(|p| p.locations.len())
            .sum::<usize>()
    )
    .unwrap();
    writeln!(out, "edges: {}", lockfile.edges.len()).unwrap();
    writeln!(out, "warnings: {:?}", lockfile.warnings).unwrap();
    writeln!(out, "notes: {}", lockfile.notes.len()).unwrap();
    for p in &lockfile.packages {
        let scopes: Vec<String> = p
            .scopes
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect();
        let hashes: Vec<&str> = p.hashes.iter().map(|h| h.algorithm.as_str()).collect();
        let loc = p.locations.first();
        let origin = match &p.origin {
            Origin::Git { commit, .. } => format!("git@{}", commit.as_deref().unwrap_or("?")),
            o => o.kind().to_owned(),
        };
        writeln!(
            out,
            "{} {} [{}]{}{} h=[{}] L{} {}",
            p.purl,
            origin,
            scopes.join(","),
            if p.direct { " direct" } else { "" },
            if p.bundled { " bundled" } else { "" },
            hashes.join(","),
            loc.and_then(|l| l.line)
                .map_or("-".to_owned(), |l| l.to_string()),
            loc.and_then(|l| l.key.as_deref()).unwrap_or(""),
        )
        .unwrap();
    }
    out
}

/// Where our count differs from MANIFEST.tsv's rough count, the reason.
fn expected_count(file: &str, manifest_count: usize) -> usize {
    match file {
        // MANIFEST counts every top-level resolution entry, including the root workspace
        // `babel@workspace:.`: that is the project itself, never one of its dependencies.
        "npm/babel-yarn.lock" => manifest_count - 1,
        // MANIFEST counts every `[[package]]`, including the project itself (`source = {
        // editable = "." }`), which is not one of its dependencies.
        "PyPI/pydantic-ai-uv.lock" => manifest_count - 1,
        _ => manifest_count,
    }
}

#[test]
fn real_lockfiles_match_manifest_counts_and_snapshots() {
    let manifest = std::fs::read_to_string(fixtures().join("MANIFEST.tsv")).unwrap();
    let mut failures = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let file = cols[3];
        let manifest_count: usize = cols[4].parse().unwrap();
        let lockfile = extract_file(&fixtures().join(file), format_of(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        // MANIFEST counts lockfile entries; a package installed at several paths is one
        // package with one location per entry, so entries are counted as locations.
        let want = expected_count(file, manifest_count);
        let entries: usize = lockfile.packages.iter().map(|p| p.locations.len()).sum();
        if entries != want {
            failures.push(format!(
                "{file}: {entries} entries ({} packages), expected {want}",
                lockfile.packages.len()
            ));
        }
        if !lockfile.warnings.is_empty() {
            failures.push(format!(
                "{file}: a real lockfile gave warnings: {:?}",
                lockfile.warnings
            ));
        }
        let name = file.replace('/', "__");
        insta::with_settings!({snapshot_path => "snapshots/real", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, compact(&lockfile));
        });
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
