//! Git URLs and git hosts' archive URLs, shared by the yarn and pnpm parsers.
//!
//! Lockfiles record a git dependency either as a git URL with the commit in the fragment
//! (`git+ssh://git@github.com/o/r.git#<commit>`) or as the host's archive of one commit
//! (`https://codeload.github.com/o/r/tar.gz/<commit>`). Both become
//! [`chainward_types::Origin::Git`] with the repository URL and the commit.

use std::borrow::Cow;

/// True for a plausible git commit id: 7 to 64 hex digits.
pub(crate) fn is_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Splits `url#fragment`.
pub(crate) fn split_fragment(url: &str) -> (&str, Option<&str>) {
    match url.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (url, None),
    }
}

/// The host of a URL (`scheme://[user@]host[:port]/...`) or of an scp-like git address
/// (`git@host:path`), lowercased.
pub(crate) fn host(url: &str) -> Option<String> {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest,
        None => url.split_once('@').map(|(_, r)| r)?,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = authority.split(':').next().unwrap_or("");
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    rest.find('/').map_or("", |i| &rest[i..])
}

/// `(repository URL, commit)` when `url` is a git host's archive of one commit:
/// `https://codeload.github.com/<o>/<r>/tar.gz/<commit>`,
/// `https://gitlab.com/<path>/repository/archive.tar.gz?ref=<commit>` (or `sha=`),
/// `https://gitlab.com/api/v4/projects/<id>/repository/archive.tar.gz?sha=<commit>`, and
/// `https://bitbucket.org/<o>/<r>/get/<commit>.tar.gz`.
pub(crate) fn archive_commit(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let host = host(url)?;
    let scheme = url.split_once("://").map(|(s, _)| s)?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let path = path_of(url);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match host.as_str() {
        "codeload.github.com" => {
            if let [owner, repo, "tar.gz" | "zip" | "legacy.tar.gz", commit] = segs.as_slice()
                && is_commit(commit)
            {
                return Some((
                    format!("https://github.com/{owner}/{repo}"),
                    (*commit).to_owned(),
                ));
            }
            None
        }
        "bitbucket.org" => {
            if let [owner, repo, "get", file] = segs.as_slice() {
                let commit = file
                    .strip_suffix(".tar.gz")
                    .or_else(|| file.strip_suffix(".zip"))?;
                if is_commit(commit) {
                    return Some((
                        format!("https://bitbucket.org/{owner}/{repo}"),
                        commit.to_owned(),
                    ));
                }
            }
            None
        }
        _ if host == "gitlab.com" || host.starts_with("gitlab.") => {
            let idx = path.find("/repository/archive")?;
            let query = url.split_once('?').map(|(_, q)| q)?;
            let query = query.split('#').next().unwrap_or(query);
            let commit = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("sha=").or_else(|| kv.strip_prefix("ref=")))?;
            if !is_commit(commit) {
                return None;
            }
            let project = &path[..idx];
            let project = match project.strip_prefix("/api/v4/projects/") {
                Some(id) => Cow::Owned(format!("/{}", id.replace("%2F", "/").replace("%2f", "/"))),
                None => Cow::Borrowed(project),
            };
            Some((format!("https://{host}{project}"), commit.to_owned()))
        }
        _ => None,
    }
}

/// True when `url` names a git repository rather than a file to download: a `git+`,
/// `git://`, `ssh://` or scp-like (`git@host:`) address, or an http(s) URL of a `.git`
/// repository or of a repository page on GitHub, GitLab or Bitbucket.
pub(crate) fn is_git_url(url: &str) -> bool {
    let (base, _) = split_fragment(url);
    if base.starts_with("git+") || base.starts_with("git://") || base.starts_with("ssh://") {
        return true;
    }
    if !base.contains("://") && base.contains('@') && base.contains(':') {
        // scp-like `git@github.com:o/r.git`
        return true;
    }
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return false;
    }
    let path = path_of(base);
    if path.ends_with(".git") {
        return true;
    }
    let archive = path.ends_with(".tgz")
        || path.ends_with(".tar.gz")
        || path.ends_with(".zip")
        || path.contains("/-/");
    let on_git_host = matches!(
        host(base).as_deref(),
        Some("github.com" | "gitlab.com" | "bitbucket.org")
    );
    on_git_host && !archive && path.split('/').filter(|s| !s.is_empty()).count() == 2
}

/// True when `url` has the layout of an npm registry's tarball for `name@version`:
/// `<registry>/<name>/-/<name without scope>-<version>.tgz` (GitLab's registry repeats the
/// scope in the file name). Such a URL dependency is that registry's package.
pub(crate) fn is_registry_tarball(url: &str, name: &str, version: &str) -> bool {
    if name.is_empty() || version.is_empty() {
        return false;
    }
    let (base, _) = split_fragment(url);
    let base = base.split('?').next().unwrap_or(base);
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return false;
    }
    let short = name.rsplit('/').next().unwrap_or(name);
    let file_ok = base.ends_with(&format!("/-/{short}-{version}.tgz"))
        || base.ends_with(&format!("/-/{name}-{version}.tgz"));
    let dir_ok = base.contains(&format!("/{name}/-/"))
        || base
            .to_ascii_lowercase()
            .contains(&format!("/{}/-/", name.replacen('/', "%2f", 1)));
    file_ok && dir_ok
}

/// Removes credentials (`user:password@`) from an http(s) URL, returning the URL and whether
/// something was removed. A bare `git@` user (not a secret) is kept.
pub(crate) fn redact_userinfo(url: &str) -> (Cow<'_, str>, bool) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (Cow::Borrowed(url), false);
    };
    if !scheme.ends_with("http") && !scheme.ends_with("https") {
        return (Cow::Borrowed(url), false);
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..end].rfind('@') else {
        return (Cow::Borrowed(url), false);
    };
    if &rest[..at] == "git" {
        return (Cow::Borrowed(url), false);
    }
    (Cow::Owned(format!("{scheme}://{}", &rest[at + 1..])), true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn recognises_archive_urls() {
        let c = "0a2d2506c1fe299691fc5db53a2097db3bd615bc";
        assert_eq!(
            archive_commit(&format!(
                "https://codeload.github.com/G-Rath/repo/tar.gz/{c}"
            )),
            Some(("https://github.com/G-Rath/repo".into(), c.into()))
        );
        assert_eq!(
            archive_commit(&format!(
                "https://gitlab.com/kornelski/babel-preset-php/repository/archive.tar.gz?ref={c}"
            )),
            Some((
                "https://gitlab.com/kornelski/babel-preset-php".into(),
                c.into()
            ))
        );
        assert_eq!(
            archive_commit(&format!(
                "https://gitlab.com/api/v4/projects/a%2Fb/repository/archive.tar.gz?sha={c}"
            )),
            Some(("https://gitlab.com/a/b".into(), c.into()))
        );
        assert_eq!(
            archive_commit(&format!("https://bitbucket.org/o/r/get/{c}.tar.gz")),
            Some(("https://bitbucket.org/o/r".into(), c.into()))
        );
        assert_eq!(
            archive_commit("https://registry.npmjs.org/a/-/a-1.0.0.tgz"),
            None
        );
        assert_eq!(
            archive_commit("https://codeload.github.com/o/r/tar.gz/main"),
            None
        );
    }

    #[test]
    fn tells_git_urls_from_tarballs() {
        assert!(is_git_url(
            "git+ssh://git@github.com:G-Rath/npm-git-repo-2#0a2d2506c1"
        ));
        assert!(is_git_url(
            "https://github.com/bats-core/bats-assert#4bdd58d3"
        ));
        assert!(is_git_url(
            "https://dummy-token@github.com/jonschlinkert/is-number.git#af885e2e"
        ));
        assert!(is_git_url("git@github.com:o/r.git"));
        assert!(!is_git_url(
            "https://registry.yarnpkg.com/etag/-/etag-1.8.1.tgz#41ae2eeb"
        ));
        assert!(!is_git_url(
            "https://github.com/o/r/releases/download/v1/r-1.0.0.tgz"
        ));
    }

    #[test]
    fn recognises_registry_tarballs() {
        assert!(is_registry_tarball(
            "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
            "is-number",
            "7.0.0"
        ));
        assert!(is_registry_tarball(
            "https://r.example/@a/b/-/b-1.0.0.tgz#abc",
            "@a/b",
            "1.0.0"
        ));
        assert!(is_registry_tarball(
            "https://gitlab.my-org.org/api/v4/projects/1/packages/npm/@my-org/my-package/-/@my-org/my-package-3.2.3.tgz",
            "@my-org/my-package",
            "3.2.3"
        ));
        assert!(!is_registry_tarball(
            "https://example.com/files/is-number-7.0.0.tgz",
            "is-number",
            "7.0.0"
        ));
        assert!(!is_registry_tarball(
            "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
            "is-number",
            "6.0.0"
        ));
    }

    #[test]
    fn removes_credentials_but_not_the_git_user() {
        assert_eq!(
            redact_userinfo("https://dummy-token@github.com/a/b.git#c"),
            (Cow::Borrowed("https://github.com/a/b.git#c"), true)
        );
        assert_eq!(
            redact_userinfo("git+https://u:p@host/x").0,
            "git+https://host/x"
        );
        assert!(!redact_userinfo("https://git@github.com/a/b.git").1);
        assert!(!redact_userinfo("git+ssh://git@github.com:a/b").1);
        assert!(!redact_userinfo("https://registry.npmjs.org/@a/b/-/b-1.0.0.tgz").1);
    }
}
