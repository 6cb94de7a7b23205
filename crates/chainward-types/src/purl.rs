//! Package URLs, encoded as the purl specification requires.
//!
//! - `type` is `npm`, `cargo` or `pypi`; an npm scope is the namespace, written `%40scope`.
//! - Namespace, name and version are percent-encoded (everything but ASCII letters, digits
//!   and `.-_~`, and `:` which the specification leaves bare); PyPI names are PEP 503
//!   normalised and `_` becomes `-`.
//! - Qualifiers are sorted by key; values are percent-encoded but keep `:` and `/`.
//! - A package from somewhere other than its ecosystem's public registry says so:
//!   `vcs_url` for git (`git+URL@commit`), `download_url` for a plain URL, and
//!   `repository_url` for another registry.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::model::{Ecosystem, Origin};

const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');
const QUALIFIER_VALUE: &AsciiSet = &COMPONENT.remove(b'/');

/// Percent-encodes one purl component (namespace segment, name or version).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s, COMPONENT);
    out
}

/// Appends `s` percent-encoded with `set` (no intermediate strings: this runs for every
/// package).
fn encode_into(out: &mut String, s: &str, set: &'static AsciiSet) {
    for chunk in utf8_percent_encode(s, set) {
        out.push_str(chunk);
    }
}

/// The purl of a package. `name` is the normalised name; `version` may be empty.
pub fn for_package(ecosystem: Ecosystem, name: &str, version: &str, origin: &Origin) -> String {
    let mut out = String::with_capacity(32 + name.len() + version.len());
    out.push_str("pkg:");
    out.push_str(ecosystem.purl_type());
    out.push('/');
    match ecosystem {
        Ecosystem::Npm => {
            if let Some((scope, rest)) = name.split_once('/') {
                encode_into(&mut out, scope, COMPONENT);
                out.push('/');
                encode_into(&mut out, rest, COMPONENT);
            } else {
                encode_into(&mut out, name, COMPONENT);
            }
        }
        Ecosystem::PyPI => out.push_str(&encode_component(
            &name.to_ascii_lowercase().replace('_', "-"),
        )),
        Ecosystem::CratesIo => encode_into(&mut out, name, COMPONENT),
    }
    if !version.is_empty() {
        out.push('@');
        encode_into(&mut out, version, COMPONENT);
    }
    let qualifiers = qualifiers(ecosystem, name, origin);
    for (i, (k, v)) in qualifiers.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        encode_into(&mut out, v, QUALIFIER_VALUE);
    }
    out
}

fn qualifiers(ecosystem: Ecosystem, name: &str, origin: &Origin) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    match origin {
        Origin::Registry { url: Some(url) } => {
            if let Some(base) = non_default_registry(ecosystem, name, url) {
                q.push(("repository_url", base));
            }
        }
        Origin::Git {
            url,
            commit,
            reference,
        } => {
            let url = if url.starts_with("git+")
                || url.starts_with("git://")
                || url.starts_with("git@")
            {
                url.clone()
            } else {
                format!("git+{url}")
            };
            let at = commit.as_deref().or(reference.as_deref());
            q.push((
                "vcs_url",
                match at {
                    Some(at) => format!("{url}@{at}"),
                    None => url,
                },
            ));
        }
        Origin::Url { url } => q.push(("download_url", url.clone())),
        Origin::Registry { url: None } | Origin::Path { .. } | Origin::Workspace { .. } => {}
    }
    q.sort();
    q
}

/// The registry base URL when `url` points somewhere other than the ecosystem's public
/// registry; `None` for the public one.
fn non_default_registry(ecosystem: Ecosystem, name: &str, url: &str) -> Option<String> {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let default = match ecosystem {
        Ecosystem::Npm => matches!(
            host.as_str(),
            "registry.npmjs.org" | "registry.yarnpkg.com" | "registry.npmjs.com"
        ),
        Ecosystem::CratesIo => {
            url == "registry+https://github.com/rust-lang/crates.io-index"
                || url == "sparse+https://index.crates.io/"
                || matches!(
                    host.as_str(),
                    "static.crates.io" | "crates.io" | "index.crates.io"
                )
        }
        Ecosystem::PyPI => matches!(
            host.as_str(),
            "pypi.org" | "files.pythonhosted.org" | "pypi.python.org"
        ),
    };
    if default {
        return None;
    }
    // An npm tarball URL is `<registry>/<name>/-/<file>.tgz`: keep the registry part.
    if ecosystem == Ecosystem::Npm
        && let Some(idx) = url.find(&format!("/{name}/-/"))
    {
        return Some(url[..idx].to_owned());
    }
    Some(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Origin {
        Origin::registry()
    }

    #[test]
    fn encodes_scoped_npm_names() {
        assert_eq!(
            for_package(Ecosystem::Npm, "@scope/name", "1.2.3", &reg()),
            "pkg:npm/%40scope/name@1.2.3"
        );
        assert_eq!(
            for_package(Ecosystem::Npm, "chalk", "5.6.1", &reg()),
            "pkg:npm/chalk@5.6.1"
        );
    }

    #[test]
    fn encodes_build_metadata_and_pypi_names() {
        assert_eq!(
            for_package(Ecosystem::CratesIo, "serde", "1.0.0+abc", &reg()),
            "pkg:cargo/serde@1.0.0%2Babc"
        );
        assert_eq!(
            for_package(Ecosystem::PyPI, "zope-interface", "1!2.0", &reg()),
            "pkg:pypi/zope-interface@1%212.0"
        );
    }

    #[test]
    fn default_registry_has_no_qualifier_but_others_do() {
        let npmjs = Origin::Registry {
            url: Some("https://registry.npmjs.org/a/-/a-1.0.0.tgz".into()),
        };
        assert_eq!(
            for_package(Ecosystem::Npm, "a", "1.0.0", &npmjs),
            "pkg:npm/a@1.0.0"
        );
        let other = Origin::Registry {
            url: Some("https://npm.example.com/a/-/a-1.0.0.tgz".into()),
        };
        assert_eq!(
            for_package(Ecosystem::Npm, "a", "1.0.0", &other),
            "pkg:npm/a@1.0.0?repository_url=https://npm.example.com"
        );
    }

    #[test]
    fn git_origin_gets_vcs_url() {
        let git = Origin::Git {
            url: "https://github.com/a/b.git".into(),
            commit: Some("0123abc".into()),
            reference: None,
        };
        assert_eq!(
            for_package(Ecosystem::CratesIo, "b", "0.1.0", &git),
            "pkg:cargo/b@0.1.0?vcs_url=git%2Bhttps://github.com/a/b.git%400123abc"
        );
    }
}
