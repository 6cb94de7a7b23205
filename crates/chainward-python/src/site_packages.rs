//! Installed packages: a `site-packages` (or `dist-packages`) folder.
//!
//! - Every `*.dist-info` folder is a package: `METADATA` (RFC 822 headers) gives `Name` and
//!   `Version`. A malformed or missing `METADATA` is a warning naming the file; the name and
//!   version then come from the folder name (`name-version.dist-info`) when it has them.
//! - `direct_url.json` (PEP 610) gives the origin: `vcs_info` → [`Origin::Git`] (commit =
//!   `commit_id`, ref = `requested_revision`), `archive_info` → [`Origin::Url`] (or
//!   [`Origin::Path`] for a `file:` URL) with its `hashes`/`hash`, `dir_info` (editable or
//!   not) → [`Origin::Path`]. Without it the package came from an index:
//!   [`Origin::Registry`] with no URL (the index is not recorded; `INSTALLER` names the tool,
//!   not the index, so it is not used).
//! - `REQUESTED` (PEP 376: the user asked for it, it is not only a dependency) →
//!   [`Package::direct`].
//! - `RECORD` is validated with [`parse_record`] (a malformed one is a warning); its file
//!   hashes are not checked here.
//! - Legacy `*.egg-info` folders (with `PKG-INFO`) and `*.egg-info` files are read the same
//!   way.
//!
//! Locations are `<display>/<folder>/METADATA` (`PKG-INFO` for eggs), without a line. The
//! format is `site-packages`.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use chainward_types::{
    Ecosystem, Hash, HashAlgorithm, Location, Lockfile, Origin, Package, ParseError,
};
use serde::Deserialize;

use crate::common::{is_full_commit, percent_decode, redact_url};

/// One row of a `RECORD` file: an installed file, its hash and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    /// The path, relative to the `site-packages` folder.
    pub path: String,
    /// The file's hash (`sha256=<urlsafe base64>` in the file); `None` where RECORD leaves it
    /// empty (RECORD itself, `.pyc` files).
    pub hash: Option<Hash>,
    /// The size in bytes, when recorded.
    pub size: Option<u64>,
}

/// Parses a `RECORD` file (CSV: `path,algorithm=<urlsafe base64 digest>,size`).
///
/// Quoted fields (`"a,b.py"`, with `""` for a quote) are supported. A row that does not have
/// three fields, an unknown algorithm, a digest of the wrong length, or a size that is not a
/// number is an error at its line.
pub fn parse_record(text: &str) -> Result<Vec<RecordEntry>, ParseError> {
    let mut out = Vec::new();
    for (line, fields) in csv_rows(text)? {
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        let [path, hash, size] = fields.as_slice() else {
            return Err(ParseError::at_line(
                line,
                format!("expected 3 fields (path,hash,size), found {}", fields.len()),
            ));
        };
        if path.is_empty() {
            return Err(ParseError::at_line(line, "empty path"));
        }
        let hash = if hash.is_empty() {
            None
        } else {
            Some(parse_record_hash(hash).map_err(|e| ParseError::at_line(line, e))?)
        };
        let size =
            if size.is_empty() {
                None
            } else {
                Some(size.parse::<u64>().map_err(|_| {
                    ParseError::at_line(line, format!("size `{size}` is not a number"))
                })?)
            };
        out.push(RecordEntry {
            path: path.clone(),
            hash,
            size,
        });
    }
    Ok(out)
}

/// `sha256=<urlsafe base64, no padding>` → a [`Hash`].
fn parse_record_hash(value: &str) -> Result<Hash, String> {
    let (alg, b64) = value
        .split_once('=')
        .ok_or_else(|| format!("hash `{value}` is not algorithm=digest"))?;
    let algorithm =
        HashAlgorithm::from_name(alg).ok_or_else(|| format!("unknown hash algorithm `{alg}`"))?;
    let b64 = b64.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|e| format!("hash `{value}` is not urlsafe base64: {e}"))?;
    Hash::from_bytes(algorithm, &bytes)
}

/// Splits CSV text into `(first line, fields)` rows.
fn csv_rows(text: &str) -> Result<Vec<(u32, Vec<String>)>, ParseError> {
    let mut rows = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1u32;
    let mut row_line = 1u32;
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut quote_line = 1u32;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
            }
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut fields)));
                line += 1;
                row_line = line;
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(ParseError::at_line(quote_line, "unclosed quote"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        rows.push((row_line, fields));
    }
    Ok(rows)
}

/// Name and version from RFC 822 style headers (`METADATA`, `PKG-INFO`).
fn parse_metadata(text: &str) -> Result<(String, String), String> {
    let mut name = None;
    let mut version = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            break; // the body (long description) follows
        }
        if line.starts_with([' ', '\t']) {
            if i == 0 {
                return Err("starts with a continuation line".to_owned());
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!(
                "line {}: `{}` is not a header",
                i + 1,
                line.chars().take(60).collect::<String>()
            ));
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "name" if name.is_none() => name = Some(value.trim().to_owned()),
            "version" if version.is_none() => version = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => Ok((n, v)),
        (None | Some(_), _) if text.trim().is_empty() => Err("empty file".to_owned()),
        (Some(n), _) if !n.is_empty() => Err("no `Version` header".to_owned()),
        _ => Err("no `Name` header".to_owned()),
    }
}

/// `name-version` from a `name-version(.dist-info|-py3.8.egg-info)` folder name.
fn name_version_of_folder(stem: &str) -> Option<(String, String)> {
    let dash = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))?
        .0;
    let name = &stem[..dash];
    let version = stem[dash + 1..].split('-').next().unwrap_or("");
    (!name.is_empty() && !version.is_empty()).then(|| (name.to_owned(), version.to_owned()))
}

#[derive(Debug, Deserialize)]
struct DirectUrlWire {
    url: String,
    #[serde(default)]
    vcs_info: Option<VcsInfoWire>,
    #[serde(default)]
    archive_info: Option<ArchiveInfoWire>,
    #[serde(default)]
    dir_info: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct VcsInfoWire {
    vcs: String,
    #[serde(default)]
    commit_id: Option<String>,
    #[serde(default)]
    requested_revision: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ArchiveInfoWire {
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    hashes: Option<BTreeMap<String, String>>,
}

/// `file:///a/b` → `/a/b`; other text unchanged.
fn file_url_path(url: &str) -> String {
    match url.strip_prefix("file://") {
        Some(rest) => percent_decode(rest.strip_prefix("localhost").unwrap_or(rest)).into_owned(),
        None => url.to_owned(),
    }
}

/// The origin and hashes a `direct_url.json` gives.
fn direct_url_origin(text: &str) -> Result<(Origin, Vec<Hash>), String> {
    let wire: DirectUrlWire = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if let Some(vcs) = wire.vcs_info {
        let url = redact_url(&wire.url).into_owned();
        if vcs.vcs != "git" {
            return Ok((
                Origin::Url {
                    url: format!("{}+{url}", vcs.vcs),
                },
                Vec::new(),
            ));
        }
        let commit = vcs
            .commit_id
            .filter(|c| is_full_commit(c))
            .map(|c| c.to_ascii_lowercase());
        let reference = vcs
            .requested_revision
            .filter(|r| commit.as_deref() != Some(r.as_str()));
        return Ok((
            Origin::Git {
                url,
                commit,
                reference,
            },
            Vec::new(),
        ));
    }
    if let Some(archive) = wire.archive_info {
        let mut hashes = Vec::new();
        if let Some(map) = archive.hashes {
            for (alg, hex) in map {
                let algorithm = HashAlgorithm::from_name(&alg)
                    .ok_or_else(|| format!("unknown hash algorithm `{alg}`"))?;
                hashes.push(Hash::from_hex(algorithm, &hex)?);
            }
        }
        if hashes.is_empty()
            && let Some(h) = archive.hash
        {
            hashes.push(Hash::from_prefixed(&h)?);
        }
        let origin = if wire.url.starts_with("file:") {
            Origin::Path {
                path: file_url_path(&wire.url),
            }
        } else {
            Origin::Url {
                url: redact_url(&wire.url).into_owned(),
            }
        };
        return Ok((origin, hashes));
    }
    if wire.dir_info.is_some() {
        return Ok((
            Origin::Path {
                path: file_url_path(&wire.url),
            },
            Vec::new(),
        ));
    }
    Err("none of `vcs_info`, `archive_info` and `dir_info`".to_owned())
}

/// Reads a `site-packages` folder (every `*.dist-info`). `display` is its path as shown to the user.
pub fn scan(dir: &Path, display: &str) -> Result<Lockfile, ParseError> {
    let entries = fs_err::read_dir(dir)
        .map_err(|e| ParseError::whole_file(format!("cannot read {display}: {e}")))?;
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| ParseError::whole_file(format!("cannot read {display}: {e}")))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir()) || entry.path().is_dir();
        if name.ends_with(".dist-info") && is_dir || name.ends_with(".egg-info") {
            names.push((name, is_dir));
        }
    }
    names.sort();
    let display = display.trim_end_matches('/');
    let mut lockfile = Lockfile {
        format: "site-packages".to_owned(),
        ..Lockfile::default()
    };
    for (folder, is_dir) in names {
        if let Some(pkg) = read_distribution(
            &dir.join(&folder),
            display,
            &folder,
            is_dir,
            &mut lockfile.warnings,
        ) {
            lockfile.packages.push(pkg);
        }
    }
    Ok(lockfile)
}

/// Reads a file as text (lossy UTF-8); `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, String> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// One `*.dist-info` / `*.egg-info` entry.
fn read_distribution(
    path: &Path,
    display: &str,
    folder: &str,
    is_dir: bool,
    warnings: &mut Vec<String>,
) -> Option<Package> {
    let (meta_path, meta_display) = match (is_dir, folder.ends_with(".dist-info")) {
        (true, true) => (
            path.join("METADATA"),
            format!("{display}/{folder}/METADATA"),
        ),
        (true, false) => (
            path.join("PKG-INFO"),
            format!("{display}/{folder}/PKG-INFO"),
        ),
        (false, _) => (path.to_path_buf(), format!("{display}/{folder}")),
    };
    let stem = folder
        .trim_end_matches(".dist-info")
        .trim_end_matches(".egg-info");
    let (name, version) = match read_text(&meta_path).map(|t| t.map(|t| parse_metadata(&t))) {
        Ok(Some(Ok(nv))) => nv,
        problem => {
            let why = match problem {
                Ok(Some(Err(e))) | Err(e) => e,
                _ => "missing".to_owned(),
            };
            let fallback = name_version_of_folder(stem);
            let then = if fallback.is_some() {
                "name and version taken from the folder name"
            } else {
                "skipped"
            };
            warnings.push(format!(
                "{meta_display}: malformed metadata ({why}); {then}"
            ));
            fallback?
        }
    };
    let mut origin = Origin::registry();
    let mut hashes = Vec::new();
    let mut direct = false;
    if is_dir {
        match read_text(&path.join("direct_url.json")) {
            Ok(Some(text)) => match direct_url_origin(&text) {
                Ok((o, h)) => (origin, hashes) = (o, h),
                Err(e) => warnings.push(format!(
                    "{display}/{folder}/direct_url.json: {e}; origin unknown"
                )),
            },
            Ok(None) => {}
            Err(e) => warnings.push(format!("{display}/{folder}/direct_url.json: {e}")),
        }
        direct = path.join("REQUESTED").exists();
        match read_text(&path.join("RECORD")) {
            Ok(Some(text)) => {
                if let Err(e) = parse_record(&text) {
                    warnings.push(format!("{display}/{folder}/RECORD: {e}"));
                }
            }
            Ok(None) => {}
            Err(e) => warnings.push(format!("{display}/{folder}/RECORD: {e}")),
        }
    }
    let mut pkg = Package::new(Ecosystem::PyPI, &name, version, origin);
    for h in hashes {
        pkg.add_hash(h);
    }
    pkg.direct = direct;
    pkg.locations.push(Location::new(meta_display, None));
    Some(pkg)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_record_rows() {
        let text = "six.py,sha256=1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926,34549\r\n\
\"odd,name.py\",sha256=4BaIv3ZD3oRNU-dD40VbZ6P4xj0_xnlj2mqjVkKTXgc,10\n\
six-1.16.0.dist-info/RECORD,,\n";
        // The first digest is hex, not base64: wrong length once decoded.
        assert!(parse_record(text).is_err());
        let text = "six.py,sha256=4BaIv3ZD3oRNU-dD40VbZ6P4xj0_xnlj2mqjVkKTXgc,34549\r\n\
\"odd,name.py\",sha256=4BaIv3ZD3oRNU-dD40VbZ6P4xj0_xnlj2mqjVkKTXgc,10\n\
six-1.16.0.dist-info/RECORD,,\n";
        let rows = parse_record(text).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].path, "odd,name.py");
        assert_eq!(
            rows[0].hash.as_ref().unwrap().hex,
            "e01688bf7643de844d53e743e3455b67a3f8c63d3fc67963da6aa35642935e07"
        );
        assert_eq!((rows[2].hash.as_ref(), rows[2].size), (None, None));
        let err = parse_record("a.py,sha256=x\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(parse_record("a,\"b\n").is_err());
    }

    #[test]
    fn parses_metadata_headers() {
        let text = "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nSummary: x\n  continued\n\nName: not-this\n";
        assert_eq!(
            parse_metadata(text).unwrap(),
            ("Foo_Bar".into(), "1.0".into())
        );
        assert!(parse_metadata("garbage\n").is_err());
        assert!(parse_metadata("Name: x\n").is_err());
    }

    #[test]
    fn reads_direct_url_json() {
        let (o, _) = direct_url_origin(
            r#"{"url": "https://github.com/a/b", "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef0123456789abcdef01234567", "requested_revision": "main"}}"#,
        )
        .unwrap();
        assert_eq!(
            o,
            Origin::Git {
                url: "https://github.com/a/b".into(),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                reference: Some("main".into())
            }
        );
        let (o, h) = direct_url_origin(
            r#"{"url": "https://h/x-1.0.tar.gz", "archive_info": {"hash": "sha256=e01688bf7643de844d53e743e3455b67a3f8c63d3fc67963da6aa35642935e07"}}"#,
        )
        .unwrap();
        assert_eq!(
            (o, h.len()),
            (
                Origin::Url {
                    url: "https://h/x-1.0.tar.gz".into()
                },
                1
            )
        );
        let (o, _) =
            direct_url_origin(r#"{"url": "file:///src/my%20pkg", "dir_info": {"editable": true}}"#)
                .unwrap();
        assert_eq!(
            o,
            Origin::Path {
                path: "/src/my pkg".into()
            }
        );
        assert!(direct_url_origin("{}").is_err());
    }

    #[test]
    fn folder_names_give_name_and_version() {
        assert_eq!(
            name_version_of_folder("foo_bar-1.0"),
            Some(("foo_bar".into(), "1.0".into()))
        );
        assert_eq!(
            name_version_of_folder("setuptools-40.8.0-py3.7"),
            Some(("setuptools".into(), "40.8.0".into()))
        );
        assert_eq!(name_version_of_folder("nothing"), None);
    }
}
