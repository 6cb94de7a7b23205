//! Helpers shared by the Python parsers: URL handling (credentials, file names, git
//! revisions), wheel and sdist file names, and TOML error positions.

use std::borrow::Cow;

use chainward_types::{Hash, HashAlgorithm, LineIndex, ParseError};

/// True for a full git commit id (SHA-1, or SHA-256 for SHA-256 repositories).
pub(crate) fn is_full_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// True when `url` points at the public PyPI (index or file host).
pub(crate) fn is_pypi(url: &str) -> bool {
    let host = host_of(url).to_ascii_lowercase();
    matches!(
        host.as_str(),
        "pypi.org" | "pypi.python.org" | "files.pythonhosted.org"
    )
}

/// The host of a URL (without user info or port), or "" when it has none.
fn host_of(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else {
        return "";
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port.split_once(']').map_or(host_port, |(h, _)| h);
    }
    host_port.split(':').next().unwrap_or("")
}

/// Removes credentials from a URL: the user info of `http`, `https` and `ftp` URLs (also
/// behind a `git+`-style prefix) is dropped, since tokens are often passed that way. The
/// `git@` user of ssh URLs is kept: it is not a secret.
pub(crate) fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let scheme = url[..scheme_end].to_ascii_lowercase();
    let scheme = scheme.rsplit('+').next().unwrap_or("");
    if !matches!(scheme, "http" | "https" | "ftp") {
        return Cow::Borrowed(url);
    }
    let auth_start = scheme_end + 3;
    let rest = &url[auth_start..];
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..auth_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{}", &url[..auth_start], &rest[at + 1..])),
        None => Cow::Borrowed(url),
    }
}

/// Redacts every URL found in a free text (a requirement line), see [`redact_url`].
pub(crate) fn redact_text(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // A URL may be glued to a name (`name@https://...`): redact from the scheme on.
        match word.find("://") {
            Some(idx) => {
                // The scheme starts after the last character that cannot be in one; that
                // character may be several bytes long.
                let start = word[..idx]
                    .char_indices()
                    .rev()
                    .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
                    .map_or(0, |(p, c)| p + c.len_utf8());
                out.push_str(&word[..start]);
                out.push_str(&redact_url(&word[start..]));
            }
            None => out.push_str(word),
        }
    }
    Cow::Owned(out)
}

/// Decodes `%XX` escapes; invalid escapes and non-UTF-8 results are kept as written.
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(s),
    }
}

fn hex_val(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The last path segment of a URL or path, without query or fragment, percent-decoded.
pub(crate) fn file_name_of(url: &str) -> Option<String> {
    let end = memchr::memchr2(b'?', b'#', url.as_bytes()).unwrap_or(url.len());
    let path = url[..end].trim_end_matches('/');
    let name = memchr::memrchr2(b'/', b'\\', path.as_bytes()).map_or(path, |i| &path[i + 1..]);
    if name.is_empty() || name.ends_with(':') {
        return None;
    }
    Some(percent_decode(name).into_owned())
}

/// Archive extensions pip accepts for source distributions and wheels.
const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".whl",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
    ".tar",
    ".zip",
];

/// True when a path or URL names an archive pip can install.
pub(crate) fn is_archive(path: &str) -> bool {
    let lower = path
        .split(['?', '#'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    ARCHIVE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// Name and version of a wheel file name (`{name}-{version}(-{build})?-{py}-{abi}-{plat}.whl`).
pub(crate) fn parse_wheel_filename(file: &str) -> Option<(String, String)> {
    let stem = file
        .strip_suffix(".whl")
        .or_else(|| file.strip_suffix(".WHL"))?;
    let parts: Vec<&str> = stem.split('-').collect();
    if !(parts.len() == 5 || parts.len() == 6) {
        return None;
    }
    let (name, version) = (parts[0], parts[1]);
    if !is_valid_name(name) || version.is_empty() {
        return None;
    }
    Some((name.to_owned(), version.to_owned()))
}

/// Name and version of a source distribution file name (`{name}-{version}.tar.gz`); the
/// version is the part after the last `-` that is followed by a digit.
pub(crate) fn parse_sdist_filename(file: &str) -> Option<(String, String)> {
    let lower = file.to_ascii_lowercase();
    let ext = ARCHIVE_EXTENSIONS
        .iter()
        .filter(|e| **e != ".whl")
        .find(|e| lower.ends_with(*e))?;
    let stem = &file[..file.len() - ext.len()];
    let split = stem
        .char_indices()
        .filter(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| i)
        .next_back()?;
    let (name, version) = (&stem[..split], &stem[split + 1..]);
    if !is_valid_name(name) || version.is_empty() {
        return None;
    }
    Some((name.to_owned(), version.to_owned()))
}

/// A name as PEP 508 allows it: ASCII letters, digits, `.`, `_`, `-`, starting and ending
/// with a letter or digit.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// A git source split into repository URL, requested revision and pinned commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitUrl {
    /// The repository URL without `git+`, revision, query or fragment; credentials removed.
    pub url: String,
    /// The revision after `@` (pip) or in `?rev=`/`?tag=`/`?branch=` (uv), when given.
    pub rev: Option<String>,
    /// The fragment (uv: the locked commit; pip: `egg=...&subdirectory=...`).
    pub fragment: Option<String>,
}

/// Splits a pip-style VCS URL (`git+https://host/a/b@rev#egg=name`) or a uv/poetry git
/// source (`https://host/a/b?rev=v1#<commit>`).
pub(crate) fn split_git_url(raw: &str) -> GitUrl {
    let raw = raw.strip_prefix("git+").unwrap_or(raw);
    let (before_frag, fragment) = match raw.split_once('#') {
        Some((a, f)) => (a, Some(f.to_owned())),
        None => (raw, None),
    };
    let (mut base, query) = match before_frag.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (before_frag, None),
    };
    let mut rev = None;
    if let Some(query) = query {
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && matches!(k, "rev" | "tag" | "branch")
                && !v.is_empty()
            {
                rev = Some(percent_decode(v).into_owned());
            }
        }
    }
    // pip's `@rev`: the last `@` in the path, after the authority (so `git@host` is kept).
    let path_start = base.find("://").map_or_else(
        // scp-like `git@host:owner/repo@rev`
        || base.find(':').map_or(0, |c| c + 1),
        |s| base[s + 3..].find('/').map_or(base.len(), |p| s + 3 + p),
    );
    if let Some(at) = base[path_start..].rfind('@') {
        let at = path_start + at;
        let r = &base[at + 1..];
        if !r.is_empty() && rev.is_none() {
            rev = Some(percent_decode(r).into_owned());
        }
        base = &base[..at];
    }
    GitUrl {
        url: redact_url(base).into_owned(),
        rev,
        fragment,
    }
}

/// The value of `key` in a pip URL fragment (`egg=name&subdirectory=x`).
pub(crate) fn fragment_param<'a>(fragment: &'a str, key: &str) -> Option<&'a str> {
    fragment
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// `algorithm:hex` as lockfiles write it; `sha256:` (nearly every hash) takes a short path.
pub(crate) fn parse_prefixed_hash(value: &str) -> Result<Hash, String> {
    match value.strip_prefix("sha256:") {
        Some(hex) => Hash::from_hex(HashAlgorithm::Sha256, hex),
        None => Hash::from_prefixed(value),
    }
}

/// A TOML error as a [`ParseError`] with the line and column of its span.
pub(crate) fn toml_error(err: &toml::de::Error, input: &str, what: &str) -> ParseError {
    let message = format!("invalid {what}: {}", err.message().trim());
    match err.span() {
        Some(span) => {
            let (line, col) = LineIndex::new(input).line_col(span.start.min(input.len()));
            ParseError::at(line, col, message)
        }
        None => ParseError::whole_file(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_http_credentials_but_keeps_ssh_user() {
        assert_eq!(
            redact_url("https://user:pw@host.example/simple"),
            "https://host.example/simple"
        );
        assert_eq!(
            redact_url("git+https://tok@github.com/a/b"),
            "git+https://github.com/a/b"
        );
        assert_eq!(
            redact_url("ssh://git@github.com/a/b"),
            "ssh://git@github.com/a/b"
        );
        assert_eq!(redact_url("https://host/a@b"), "https://host/a@b");
        assert_eq!(
            redact_text("pkg @ https://u:p@host/p.whl ; x"),
            "pkg @ https://host/p.whl ; x"
        );
        assert_eq!(
            redact_text("pkg@https://u:p@host/p.whl"),
            "pkg@https://host/p.whl"
        );
    }

    #[test]
    fn splits_pip_and_uv_git_urls() {
        let g = split_git_url("git+https://github.com/a/b.git@v1.0#egg=b");
        assert_eq!(g.url, "https://github.com/a/b.git");
        assert_eq!(g.rev.as_deref(), Some("v1.0"));
        assert_eq!(g.fragment.as_deref(), Some("egg=b"));
        let g = split_git_url("git+ssh://git@github.com/a/b");
        assert_eq!(g.url, "ssh://git@github.com/a/b");
        assert_eq!(g.rev, None);
        let g = split_git_url("https://github.com/a/b?rev=main#0123");
        assert_eq!(
            (g.url.as_str(), g.rev.as_deref(), g.fragment.as_deref()),
            ("https://github.com/a/b", Some("main"), Some("0123"))
        );
        let g = split_git_url("git+git@github.com:a/b.git@abc");
        assert_eq!(
            (g.url.as_str(), g.rev.as_deref()),
            ("git@github.com:a/b.git", Some("abc"))
        );
    }

    #[test]
    fn parses_distribution_file_names() {
        assert_eq!(
            parse_wheel_filename("wxPython_Phoenix-3.0.3.dev1820+49a8884-cp34-none-win_amd64.whl"),
            Some(("wxPython_Phoenix".into(), "3.0.3.dev1820+49a8884".into()))
        );
        assert_eq!(parse_wheel_filename("a-1.whl"), None);
        assert_eq!(
            parse_sdist_filename("python-dateutil-2.8.2.tar.gz"),
            Some(("python-dateutil".into(), "2.8.2".into()))
        );
        assert_eq!(parse_sdist_filename("1.26.8.zip"), None);
        assert_eq!(
            file_name_of("https://h/p/a%2Bb-1.whl#sha256=x").as_deref(),
            Some("a+b-1.whl")
        );
    }

    #[test]
    fn recognises_pypi_hosts() {
        assert!(is_pypi("https://pypi.org/simple"));
        assert!(is_pypi("https://files.pythonhosted.org/packages/x.whl"));
        assert!(!is_pypi("https://pypi.chia.net/simple"));
        assert!(!is_pypi("./wheels"));
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%2Bb%"), "a+b%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "%ff");
    }
}
