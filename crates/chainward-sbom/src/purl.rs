//! Reading package URLs (the writing side is `chainward_types::purl`).

use chainward_types::{Ecosystem, Origin};
use percent_encoding::percent_decode_str;

/// A package URL split into its parts, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Purl {
    /// The type, lowercased (`npm`, `cargo`, `pypi`, `maven`, ...).
    pub(crate) ty: String,
    /// Namespace segments joined by `/`.
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    /// Qualifiers in order, keys lowercased.
    pub(crate) qualifiers: Vec<(String, String)>,
}

fn decode(s: &str) -> Result<String, String> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| format!("`{s}` is not UTF-8 once percent-decoded"))
}

/// Parses a purl as the specification says: subpath from the right on `#`, qualifiers on
/// `?`, then type, namespace, name and version (`@` in the last segment, so an unencoded npm
/// scope `@scope` is still read).
pub(crate) fn parse(s: &str) -> Result<Purl, String> {
    let s = s.trim();
    let rest = s
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("pkg:"))
        .map(|_| &s[4..])
        .ok_or_else(|| format!("`{s}` is not a purl (no `pkg:` prefix)"))?;
    let rest = rest.trim_start_matches('/');
    let rest = rest.rsplit_once('#').map_or(rest, |(r, _)| r);
    let (rest, qualifiers) = match rest.rsplit_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (ty, path) = rest
        .split_once('/')
        .ok_or_else(|| format!("`{s}` has no name"))?;
    if ty.is_empty() {
        return Err(format!("`{s}` has no type"));
    }
    let path = path.trim_matches('/');
    let (namespace, last) = match path.rsplit_once('/') {
        Some((ns, last)) => (Some(ns), last),
        None => (None, path),
    };
    let (name, version) = match last.rsplit_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (last, None),
    };
    let name = decode(name)?;
    if name.is_empty() {
        return Err(format!("`{s}` has no name"));
    }
    let namespace = match namespace {
        Some(ns) => Some(
            ns.split('/')
                .filter(|seg| !seg.is_empty())
                .map(decode)
                .collect::<Result<Vec<_>, _>>()?
                .join("/"),
        )
        .filter(|ns| !ns.is_empty()),
        None => None,
    };
    let version = version.map(decode).transpose()?.filter(|v| !v.is_empty());
    let mut qs = Vec::new();
    for pair in qualifiers.unwrap_or("").split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            let v = decode(v)?;
            if !k.is_empty() && !v.is_empty() {
                qs.push((k.to_ascii_lowercase(), v));
            }
        }
    }
    Ok(Purl {
        ty: ty.to_ascii_lowercase(),
        namespace,
        name,
        version,
        qualifiers: qs,
    })
}

impl Purl {
    /// The ecosystem, for the types chainward covers.
    pub(crate) fn ecosystem(&self) -> Option<Ecosystem> {
        match self.ty.as_str() {
            "npm" => Some(Ecosystem::Npm),
            "cargo" => Some(Ecosystem::CratesIo),
            "pypi" => Some(Ecosystem::PyPI),
            _ => None,
        }
    }

    /// The package name as chainward writes it: `@scope/name` for scoped npm packages.
    pub(crate) fn package_name(&self) -> String {
        match (&self.namespace, self.ty.as_str()) {
            (Some(ns), "npm") if ns.starts_with('@') => format!("{ns}/{}", self.name),
            (Some(ns), "npm") => format!("@{ns}/{}", self.name),
            _ => self.name.clone(),
        }
    }

    pub(crate) fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The origin the qualifiers name: `vcs_url` a git origin, `download_url` a URL origin,
    /// `repository_url` a registry; `None` when they name none (the public registry, or a
    /// download URL the document gives elsewhere).
    pub(crate) fn origin(&self) -> Option<Origin> {
        if let Some(vcs) = self.qualifier("vcs_url") {
            return Some(git_origin(vcs));
        }
        if let Some(url) = self.qualifier("download_url") {
            return Some(Origin::Url {
                url: url.to_owned(),
            });
        }
        self.qualifier("repository_url").map(|u| Origin::Registry {
            url: Some(u.to_owned()),
        })
    }
}

/// A git origin from a `vcs_url` / SPDX download location: `git+https://host/repo@commit`.
/// The part after the last `@` is the revision when it holds no `/` or `:` (so the `@` of
/// `git@host` is not one); a revision of 7 or more hex digits is a commit, else a ref.
pub(crate) fn git_origin(vcs: &str) -> Origin {
    let vcs = vcs.split('#').next().unwrap_or(vcs);
    let (url, at) = match vcs.rsplit_once('@') {
        Some((u, a)) if !a.is_empty() && !a.contains(['/', ':']) && u.contains(['/', ':']) => {
            (u, Some(a))
        }
        _ => (vcs, None),
    };
    let url = ["git+https://", "git+http://", "git+ssh://", "git+file://"]
        .iter()
        .find(|p| url.starts_with(**p))
        .map_or(url, |_| &url[4..]);
    let is_commit = |a: &str| a.len() >= 7 && a.bytes().all(|b| b.is_ascii_hexdigit());
    Origin::Git {
        url: url.to_owned(),
        commit: at.filter(|a| is_commit(a)).map(str::to_ascii_lowercase),
        reference: at.filter(|a| !is_commit(a)).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scoped_npm_with_and_without_encoding() {
        for s in ["pkg:npm/%40scope/name@1.2.3", "pkg:npm/@scope/name@1.2.3"] {
            let p = parse(s).unwrap();
            assert_eq!(
                (p.package_name().as_str(), p.version.as_deref()),
                ("@scope/name", Some("1.2.3"))
            );
        }
        let p = parse("pkg:npm/@scope/name").unwrap();
        assert_eq!(
            (p.package_name().as_str(), p.version),
            ("@scope/name", None)
        );
    }

    #[test]
    fn parses_qualifiers_and_versions_with_escapes() {
        let p =
            parse("pkg:cargo/b@0.1.0%2Bx?vcs_url=git%2Bhttps://github.com/a/b.git%400123abc#sub")
                .unwrap();
        assert_eq!(p.version.as_deref(), Some("0.1.0+x"));
        assert_eq!(p.ecosystem(), Some(Ecosystem::CratesIo));
        assert_eq!(
            p.origin(),
            Some(Origin::Git {
                url: "https://github.com/a/b.git".into(),
                commit: Some("0123abc".into()),
                reference: None
            })
        );
        assert_eq!(parse("pkg:maven/org.x/y@1").unwrap().ecosystem(), None);
    }

    #[test]
    fn rejects_what_is_not_a_purl() {
        assert!(parse("npm/a@1").is_err());
        assert!(parse("pkg:npm").is_err());
        assert!(parse("pkg:/a").is_err());
        assert!(parse("pkg:npm/%FF@1").is_err());
    }

    #[test]
    fn reads_git_revisions_but_not_user_names() {
        assert_eq!(
            git_origin("git+ssh://git@github.com/a/b.git"),
            Origin::Git {
                url: "ssh://git@github.com/a/b.git".into(),
                commit: None,
                reference: None
            }
        );
        assert_eq!(
            git_origin("git+https://github.com/a/b@v1.2"),
            Origin::Git {
                url: "https://github.com/a/b".into(),
                commit: None,
                reference: Some("v1.2".into())
            }
        );
    }
}
