//! Helpers shared by the integration tests.
use std::path::{Path, PathBuf};

use chainward_test_utils::Observed;
use chainward_types::{Ecosystem, Lockfile, Origin, Package, normalize_name};

/// `tests/fixtures/<rel>`.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Reads a fixture as text.
pub(crate) fn read(rel: &str) -> String {
    fs_err::read_to_string(fixture(rel)).unwrap()
}

/// PEP 503 normalisation of upstream's names.
pub(crate) fn pep503(name: &str) -> String {
    normalize_name(Ecosystem::PyPI, name)
}

/// The git commit of a package, or "".
pub(crate) fn commit_of(p: &Package) -> String {
    match &p.origin {
        Origin::Git {
            commit: Some(c), ..
        } => c.clone(),
        _ => String::new(),
    }
}

/// Observed packages of a lock, with osv-scalibr's dependency groups computed by `groups`.
pub(crate) fn observe(lf: &Lockfile, groups: impl Fn(&Package) -> Vec<String>) -> Vec<Observed> {
    lf.packages
        .iter()
        .map(|p| Observed {
            name: p.name.clone(),
            version: p.version.clone(),
            commit: commit_of(p),
            dep_groups: {
                let mut g = groups(p);
                g.sort();
                g
            },
            line: p.locations.first().and_then(|l| l.line),
        })
        .collect()
}

/// Finds the package with `name` (and `version`).
pub(crate) fn find<'a>(lf: &'a Lockfile, name: &str, version: &str) -> &'a Package {
    lf.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| {
            panic!(
                "{name} {version} not found in {:#?}",
                lf.packages
                    .iter()
                    .map(|p| (&p.name, &p.version))
                    .collect::<Vec<_>>()
            )
        })
}
