//! `yarn.lock`: yarn classic (v1, its own format) and yarn berry (v2+, YAML).
//!
//! [`parse`] tells them apart by berry's `__metadata:` mapping (always present in berry
//! lockfiles, never in classic ones) and hands the text to the matching reader:
//! - `classic`: a hand-written parser for the v1 format, format `yarn-v1`;
//! - `berry`: the YAML reader shared with pnpm, format `yarn-berry-v<__metadata.version>`.
//!
//! Both report one package per lockfile entry (not per specifier), located at the entry's
//! header line with the header as the location key.

mod berry;
mod classic;
pub(crate) mod hosted;

use chainward_types::{Lockfile, ParseError};

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    if is_berry(input) {
        berry::parse(input, path)
    } else {
        classic::parse(input, path)
    }
}

/// True when a line starts with `__metadata:` (or its quoted form).
fn is_berry(input: &str) -> bool {
    input.lines().any(|l| {
        l.starts_with("__metadata:")
            || l.starts_with("\"__metadata\":")
            || l.starts_with("'__metadata':")
    })
}

/// Splits a descriptor `name@range` (the name may be scoped) into name and range; without
/// an `@` after the first character the whole text is the name.
pub(crate) fn split_descriptor(spec: &str) -> (&str, &str) {
    match spec.get(1..).and_then(|s| s.find('@')) {
        Some(i) => (&spec[..=i], &spec[i + 2..]),
        None => (spec, ""),
    }
}

/// Builds `Package::dependencies` (purls) from the edges.
pub(crate) fn fill_dependencies(lock: &mut Lockfile) {
    for e in &lock.edges {
        let purl = lock.packages[e.to].purl.clone();
        lock.packages[e.from].dependencies.push(purl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_descriptors() {
        assert_eq!(
            split_descriptor("@babel/core@^7.0.0"),
            ("@babel/core", "^7.0.0")
        );
        assert_eq!(split_descriptor("a@npm:b@1"), ("a", "npm:b@1"));
        assert_eq!(split_descriptor("lodash"), ("lodash", ""));
        assert_eq!(split_descriptor("@scope/x"), ("@scope/x", ""));
        assert_eq!(split_descriptor(""), ("", ""));
    }

    #[test]
    fn tells_berry_from_classic() {
        assert!(is_berry("# c\n\n__metadata:\n  version: 8\n"));
        assert!(!is_berry(
            "# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n"
        ));
    }
}
