//! What the standard fields cannot say (the `chainward:*` properties and annotations listed
//! in the crate docs), and the small conversions both formats share.

use chainward_types::{Ecosystem, Hash, HashAlgorithm, Origin, Package, Scope};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

pub(crate) const ORIGIN: &str = "chainward:origin";
pub(crate) const SCOPE: &str = "chainward:scope";
pub(crate) const GROUP: &str = "chainward:group";
pub(crate) const CONSTRAINT: &str = "chainward:constraint";
pub(crate) const HASH: &str = "chainward:hash";
pub(crate) const NPM_PATH: &str = "cdx:npm:package:path";
pub(crate) const NPM_BUNDLED: &str = "cdx:npm:package:bundled";
pub(crate) const NPM_DEVELOPMENT: &str = "cdx:npm:package:development";
/// The comment of a CycloneDX `distribution` reference that carries the hashes of one file
/// of the package (a wheel or sdist), as opposed to the package's origin.
pub(crate) const ARTIFACT_COMMENT: &str = "chainward:artifact: hashes of this file of the package";

/// The CycloneDX name of a hash algorithm; `None` for SHA-224, which CycloneDX lacks.
pub(crate) fn cdx_alg(a: HashAlgorithm) -> Option<&'static str> {
    Some(match a {
        HashAlgorithm::Md5 => "MD5",
        HashAlgorithm::Sha1 => "SHA-1",
        HashAlgorithm::Sha224 => return None,
        HashAlgorithm::Sha256 => "SHA-256",
        HashAlgorithm::Sha384 => "SHA-384",
        HashAlgorithm::Sha512 => "SHA-512",
        HashAlgorithm::Blake2b256 => "BLAKE2b-256",
    })
}

/// The SPDX checksum algorithm name.
pub(crate) fn spdx_alg(a: HashAlgorithm) -> &'static str {
    match a {
        HashAlgorithm::Md5 => "MD5",
        HashAlgorithm::Sha1 => "SHA1",
        HashAlgorithm::Sha224 => "SHA224",
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha384 => "SHA384",
        HashAlgorithm::Sha512 => "SHA512",
        HashAlgorithm::Blake2b256 => "BLAKE2b-256",
    }
}

/// A hash from a CycloneDX or SPDX algorithm name and hex digest. `Ok(None)` for an
/// algorithm chainward does not model (SHA3, BLAKE3, ...), `Err` for a malformed digest.
pub(crate) fn hash_from_standard(alg: &str, hex: &str) -> Result<Option<Hash>, String> {
    match HashAlgorithm::from_name(alg.trim()) {
        Some(a) => Hash::from_hex(a, hex).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn scope_name(s: Scope) -> &'static str {
    match s {
        Scope::Dev => "dev",
        Scope::Optional => "optional",
        Scope::Peer => "peer",
    }
}

pub(crate) fn scope_from_name(s: &str) -> Option<Scope> {
    match s.trim() {
        "dev" => Some(Scope::Dev),
        "optional" => Some(Scope::Optional),
        "peer" => Some(Scope::Peer),
        _ => None,
    }
}

/// `chainward:hash` value: `<algorithm>:<hex>[ <artifact>]`.
pub(crate) fn encode_hash(h: &Hash) -> String {
    match &h.artifact {
        Some(a) => format!("{}:{} {a}", h.algorithm, h.hex),
        None => format!("{}:{}", h.algorithm, h.hex),
    }
}

pub(crate) fn decode_hash(value: &str) -> Option<Hash> {
    let (digest, artifact) = match value.split_once(' ') {
        Some((d, a)) => (d, Some(a)),
        None => (value, None),
    };
    let h = Hash::from_prefixed(digest).ok()?;
    Some(match artifact {
        Some(a) => h.with_artifact(a),
        None => h,
    })
}

/// `chainward:origin` value: the origin as chainward's JSON.
pub(crate) fn encode_origin(o: &Origin) -> Option<String> {
    serde_json::to_string(o).ok()
}

pub(crate) fn decode_origin(value: &str) -> Option<Origin> {
    serde_json::from_str(value).ok()
}

/// True for a hash of one file of a PyPI package (a wheel or sdist named by its file name),
/// written as a `distribution` reference to that file.
pub(crate) fn is_pypi_file_artifact(p: &Package, h: &Hash) -> bool {
    p.ecosystem == Ecosystem::PyPI
        && cdx_alg(h.algorithm).is_some()
        && h.artifact.as_deref().is_some_and(|a| {
            !a.is_empty()
                && !a.starts_with('.')
                && !a
                    .chars()
                    .any(|c| c == ':' || c == '/' || c == '\\' || c.is_whitespace())
        })
}

/// Characters escaped in a URL fragment that names a file.
const FRAGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Where one file of a PyPI package is listed: the file's own URL when the origin is that
/// URL, else the package's page on its index with the file as fragment
/// (`https://pypi.org/simple/<name>/#<file>`, as cyclonedx-py writes it).
pub(crate) fn pypi_file_url(p: &Package, file: &str) -> String {
    if let Origin::Url { url } = &p.origin
        && url_file_name(url).as_deref() == Some(file)
    {
        return iri(url);
    }
    let index = match &p.origin {
        Origin::Registry { url: Some(u) }
            if u.starts_with("http://") || u.starts_with("https://") =>
        {
            u.split(['?', '#'])
                .next()
                .unwrap_or(u)
                .trim_end_matches('/')
                .to_owned()
        }
        _ => "https://pypi.org/simple".to_owned(),
    };
    let name = utf8_percent_encode(&p.name, FRAGMENT);
    let file = utf8_percent_encode(file, FRAGMENT);
    iri(&format!("{index}/{name}/#{file}"))
}

/// The file a URL names: its fragment when it has one (`.../simple/a/#a-1.0.whl`), else its
/// last path segment; percent-decoded.
pub(crate) fn url_file_name(url: &str) -> Option<String> {
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let raw = match fragment.filter(|f| !f.is_empty()) {
        Some(f) => f,
        None => rest
            .split('?')
            .next()
            .unwrap_or(rest)
            .trim_end_matches('/')
            .rsplit('/')
            .next()?,
    };
    let decoded = percent_decode_str(raw).decode_utf8().ok()?.into_owned();
    (!decoded.is_empty()).then_some(decoded)
}

/// A git URL as a URL: scp-like `user@host:path` becomes `ssh://user@host/path`, and a
/// non-numeric "port" (`git+ssh://git@host:org/repo`) becomes the start of the path.
pub(crate) fn git_url(url: &str) -> String {
    let Some(idx) = url.find("://") else {
        if let Some((host, path)) = url.split_once(':')
            && !host.contains('/')
            && (host.contains('@') || host.contains('.'))
        {
            return format!("ssh://{host}/{}", path.trim_start_matches('/'));
        }
        return url.to_owned();
    };
    let start = idx + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |e| start + e);
    let authority = &url[start..end];
    let host_start = authority.rfind('@').map_or(0, |a| a + 1);
    if let Some(colon) = authority[host_start..].rfind(':') {
        let port = &authority[host_start + colon + 1..];
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            let at = start + host_start + colon;
            return format!("{}/{}", &url[..at], &url[at + 1..]);
        }
    }
    url.to_owned()
}

/// `s` made a valid IRI reference: characters IRIs forbid are percent-encoded (controls,
/// space, `"<>\^`{|}`, brackets, non-ASCII), as are a `%` that starts no escape, every `#`
/// after the first, and a `:` that would make an invalid scheme of what precedes it.
pub(crate) fn iri(s: &str) -> String {
    let bytes = s.as_bytes();
    let scheme_colon = s
        .find([':', '/', '?', '#'])
        .filter(|&i| bytes[i] == b':')
        .filter(|&i| {
            let scheme = &s[..i];
            !(scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        });
    let mut out = String::with_capacity(s.len());
    let mut seen_hash = false;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'%' => {
                !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            }
            b'#' => std::mem::replace(&mut seen_hash, true),
            b':' => scheme_colon == Some(i),
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b'[' | b']' | b' ' => {
                true
            }
            b if !(0x20..0x7f).contains(&b) => true,
            _ => false,
        };
        if escape {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_their_encoding() {
        let h = Hash::from_hex(HashAlgorithm::Sha256, &"ab".repeat(32))
            .unwrap()
            .with_artifact("a b.whl");
        assert_eq!(decode_hash(&encode_hash(&h)), Some(h.clone()));
        let plain = Hash::from_hex(HashAlgorithm::Blake2b256, &"cd".repeat(32)).unwrap();
        assert_eq!(decode_hash(&encode_hash(&plain)), Some(plain));
        assert_eq!(decode_hash("sha256:xyz"), None);
    }

    #[test]
    fn standard_hash_names_map_both_ways() {
        for a in [
            HashAlgorithm::Md5,
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
            HashAlgorithm::Blake2b256,
        ] {
            let hex = "0".repeat(a.digest_len() * 2);
            assert_eq!(
                hash_from_standard(cdx_alg(a).unwrap(), &hex)
                    .unwrap()
                    .unwrap()
                    .algorithm,
                a
            );
            assert_eq!(
                hash_from_standard(spdx_alg(a), &hex)
                    .unwrap()
                    .unwrap()
                    .algorithm,
                a
            );
        }
        assert_eq!(hash_from_standard("SHA3-256", "00"), Ok(None));
        assert!(hash_from_standard("SHA-256", "00").is_err());
    }

    #[test]
    fn makes_git_urls_urls() {
        assert_eq!(
            git_url("git@github.com:a/b.git"),
            "ssh://git@github.com/a/b.git"
        );
        assert_eq!(
            git_url("git+ssh://git@github.com:a/b.git"),
            "git+ssh://git@github.com/a/b.git"
        );
        assert_eq!(
            git_url("https://github.com:443/a/b"),
            "https://github.com:443/a/b"
        );
        assert_eq!(git_url("https://github.com/a/b"), "https://github.com/a/b");
    }

    #[test]
    fn escapes_what_iris_forbid() {
        assert_eq!(iri("https://x/a b#c#d"), "https://x/a%20b#c%23d");
        assert_eq!(iri("1x:y"), "1x%3Ay");
        assert_eq!(iri("../a:b"), "../a:b");
        assert_eq!(iri("50%"), "50%25");
        assert_eq!(iri("é"), "%C3%A9");
    }

    #[test]
    fn finds_file_names_in_urls() {
        assert_eq!(
            url_file_name("https://pypi.org/simple/a/#a-1.0-py3-none-any.whl").as_deref(),
            Some("a-1.0-py3-none-any.whl")
        );
        assert_eq!(
            url_file_name("https://files.example/p/a-1.0.tar.gz?x=1").as_deref(),
            Some("a-1.0.tar.gz")
        );
        assert_eq!(
            url_file_name("https://x/a%2Bb.whl").as_deref(),
            Some("a+b.whl")
        );
    }
}
