//! `Pipfile.lock` (pipenv's JSON lock, `pipfile-spec` 6).
//!
//! - `default` and `develop` list every installed package (direct and transitive alike, so
//!   [`Package::direct`] stays false: only the `Pipfile` tells). `develop` → [`Scope::Dev`];
//!   a package locked identically in both is reported once, as production, with both
//!   locations.
//! - `version: "==1.0"` → `1.0`; anything else (`*`, a range, absent) → no version, the
//!   specifier kept as [`Package::constraint`].
//! - `git` + `ref` → [`Origin::Git`] (a full hex `ref` is the commit, as pipenv locks it);
//!   `path` → [`Origin::Path`] (`path: "."` is the project itself and is not reported);
//!   `file` → [`Origin::Url`] (or [`Origin::Path`] for a local file); otherwise the index
//!   named by `index` (or the first of `_meta.sources`) → [`Origin::Registry`], with its URL
//!   when it is not PyPI.
//! - `hashes` → [`Package::hashes`].
//! - Each package is located at the line of its key, found by a small scanner over the JSON
//!   text (the document is parsed once, by serde).
//!
//! The format is `pipfile-lock-v<_meta.pipfile-spec>` (`pipfile-lock` when absent).

use std::collections::HashMap;
use std::fmt;

use chainward_types::{Ecosystem, Hash, Location, Lockfile, Origin, Package, ParseError, Scope};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::common::{is_full_commit, is_pypi, redact_url};

#[derive(Debug, Deserialize)]
struct PipfileLockWire {
    #[serde(default, rename = "_meta")]
    meta: Option<PipfileMetaWire>,
    #[serde(default)]
    default: Section,
    #[serde(default)]
    develop: Section,
}

#[derive(Debug, Default, Deserialize)]
struct PipfileMetaWire {
    #[serde(default, rename = "pipfile-spec")]
    pipfile_spec: Option<serde_json::Value>,
    #[serde(default)]
    sources: Vec<PipfileSourceWire>,
}

#[derive(Debug, Deserialize)]
struct PipfileSourceWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct PipfileEntryWire {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    #[serde(default)]
    index: Option<String>,
    #[serde(default)]
    git: Option<String>,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    editable: Option<IgnoredAny>,
}

/// A section's entries in file order (serde_json's map would sort them).
#[derive(Debug, Default)]
struct Section(Vec<(String, PipfileEntryWire)>);

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SectionVisitor;
        impl<'de> Visitor<'de> for SectionVisitor {
            type Value = Section;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of packages")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Section, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, PipfileEntryWire>()? {
                    out.push((k, v));
                }
                Ok(Section(out))
            }
        }
        deserializer.deserialize_map(SectionVisitor)
    }
}

/// Parses the file's text. `path` is recorded in locations.
pub fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    if !input
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        return Err(ParseError::whole_file(
            "invalid Pipfile.lock: not a JSON object",
        ));
    }
    let input = input.trim_start_matches('\u{feff}');
    let wire: PipfileLockWire = serde_json::from_str(input).map_err(|e| {
        let (line, col) = (
            u32::try_from(e.line()).unwrap_or(u32::MAX),
            u32::try_from(e.column()).unwrap_or(u32::MAX),
        );
        if line == 0 {
            ParseError::whole_file(format!("invalid Pipfile.lock: {e}"))
        } else {
            ParseError::at(line, col.max(1), format!("invalid Pipfile.lock: {e}"))
        }
    })?;
    let meta = wire.meta.unwrap_or_default();
    let format = match &meta.pipfile_spec {
        Some(serde_json::Value::Number(n)) => format!("pipfile-lock-v{n}"),
        Some(serde_json::Value::String(s)) => format!("pipfile-lock-v{s}"),
        _ => "pipfile-lock".to_owned(),
    };
    let sources: HashMap<&str, &str> = meta
        .sources
        .iter()
        .filter_map(|s| Some((s.name.as_deref()?, s.url.as_deref()?)))
        .collect();
    let default_index = meta.sources.first().and_then(|s| s.url.as_deref());
    let key_lines = scan_key_lines(input);
    let mut warnings = Vec::new();
    let mut packages: Vec<Package> = Vec::new();
    let mut seen: HashMap<(String, String, Origin), usize> = HashMap::new();

    for (section, entries, dev) in [
        ("default", &wire.default, false),
        ("develop", &wire.develop, true),
    ] {
        for (name, entry) in &entries.0 {
            let line = key_lines.get(&(section, name.as_str())).copied();
            let at = format!("{path}:{}", line.unwrap_or(0));
            let Some(origin) = entry_origin(
                entry,
                sources
                    .get(entry.index.as_deref().unwrap_or(""))
                    .copied()
                    .or(default_index),
                &at,
                name,
                &mut warnings,
            ) else {
                continue;
            };
            let (version, constraint) = match entry.version.as_deref().map(str::trim) {
                Some(v)
                    if v.starts_with("==") && !v.starts_with("===") && !v.contains(['*', ',']) =>
                {
                    (v[2..].trim().to_owned(), None)
                }
                Some(v) if v.starts_with("===") => (v[3..].trim().to_owned(), None),
                Some(v) if !v.is_empty() && v != "*" => (String::new(), Some(v.to_owned())),
                _ => (String::new(), None),
            };
            let mut pkg = Package::new(Ecosystem::PyPI, name, version, origin);
            pkg.constraint = constraint;
            pkg.locations.push(Location::new(path, line));
            if dev {
                pkg.scopes.insert(Scope::Dev);
            }
            for h in &entry.hashes {
                match Hash::from_prefixed(h) {
                    Ok(h) => pkg.add_hash(h),
                    Err(e) => warnings.push(format!("{at}: hash of {name}: {e}")),
                }
            }
            let key = (pkg.name.clone(), pkg.version.clone(), pkg.origin.clone());
            match seen.get(&key) {
                Some(&i) => {
                    let first = &mut packages[i];
                    // Locked in `default` too: a production package.
                    if !dev {
                        first.scopes.clear();
                    }
                    for h in pkg.hashes {
                        first.add_hash(h);
                    }
                    first.locations.extend(pkg.locations);
                }
                None => {
                    seen.insert(key, packages.len());
                    packages.push(pkg);
                }
            }
        }
    }
    Ok(Lockfile {
        format,
        packages,
        edges: Vec::new(),
        warnings,
        notes: Vec::new(),
    })
}

/// The origin of one entry; `None` for the project itself (`path: "."`).
fn entry_origin(
    entry: &PipfileEntryWire,
    index_url: Option<&str>,
    at: &str,
    name: &str,
    warnings: &mut Vec<String>,
) -> Option<Origin> {
    if let Some(git) = &entry.git {
        let url = redact_url(git.strip_prefix("git+").unwrap_or(git)).into_owned();
        let (commit, reference) = match entry.reference.clone() {
            Some(r) if is_full_commit(&r) => (Some(r.to_ascii_lowercase()), None),
            Some(r) => (None, Some(r)),
            None => (None, None),
        };
        return Some(Origin::Git {
            url,
            commit,
            reference,
        });
    }
    if let Some(p) = &entry.path {
        let trimmed = p.trim_end_matches('/');
        if trimmed == "." || trimmed.is_empty() {
            return None;
        }
        return Some(Origin::Path { path: p.clone() });
    }
    if let Some(file) = &entry.file {
        return Some(if file.contains("://") && !file.starts_with("file:") {
            Origin::Url {
                url: redact_url(file).into_owned(),
            }
        } else {
            Origin::Path {
                path: file.strip_prefix("file://").unwrap_or(file).to_owned(),
            }
        });
    }
    if entry.editable.is_some() {
        warnings.push(format!("{at}: editable {name} has no `path` or `git`"));
    }
    let url = index_url
        .map(|u| redact_url(u).trim_end_matches('/').to_owned())
        .filter(|u| !is_pypi(u));
    Some(Origin::Registry { url })
}

/// Lines of the keys of the `default` and `develop` objects: `(section, key) → line`.
///
/// A small scanner: it follows strings (with escapes) and nesting, and records every string
/// followed by `:` at depth 2 whose enclosing top-level key is `default` or `develop`.
fn scan_key_lines(input: &str) -> HashMap<(&'static str, &str), u32> {
    let bytes = input.as_bytes();
    let mut out = HashMap::new();
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut section: Option<&'static str> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth <= 1 {
                    section = section.filter(|_| depth == 1);
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    if bytes.get(j) == Some(&b'\n') {
                        line += 1;
                    }
                    j += 1;
                }
                let key = input.get(start..j.min(bytes.len())).unwrap_or("");
                let key_line = line;
                i = j + 1;
                // Is it a key (followed by `:`)?
                let mut k = i;
                while k < bytes.len() && matches!(bytes[k], b' ' | b'\t' | b'\r' | b'\n') {
                    k += 1;
                }
                if bytes.get(k) == Some(&b':') {
                    if depth == 1 {
                        section = match key {
                            "default" => Some("default"),
                            "develop" => Some("develop"),
                            _ => None,
                        };
                    } else if depth == 2
                        && let Some(s) = section
                    {
                        out.entry((s, key)).or_insert(key_line);
                    }
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_meta": {
        "hash": {"sha256": "x"},
        "pipfile-spec": 6,
        "requires": {"python_version": "3.11"},
        "sources": [
            {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true},
            {"name": "corp", "url": "https://user:pw@pypi.corp.example/simple/", "verify_ssl": true}
        ]
    },
    "default": {
        "requests": {
            "hashes": ["sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f"],
            "index": "pypi",
            "markers": "python_version >= '3.7'",
            "version": "==2.31.0"
        },
        "private-lib": {"index": "corp", "version": "==1.0"},
        "six": {"version": "==1.16.0"},
        "myproject": {"editable": true, "path": "."}
    },
    "develop": {
        "six": {"version": "==1.16.0"},
        "pytest": {"version": "==8.0.0"},
        "ike": {"git": "https://github.com/dzshn/ike", "ref": "cd66602cd29f61a2d2e7fb995fef1e61708c034d"}
    }
}"#;

    #[test]
    fn reads_sections_origins_and_lines() {
        let lf = parse(LOCK, "Pipfile.lock").unwrap();
        assert_eq!(lf.format, "pipfile-lock-v6");
        let names: Vec<_> = lf.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["requests", "private-lib", "six", "pytest", "ike"]);
        let req = &lf.packages[0];
        assert_eq!(
            (req.version.as_str(), req.locations[0].line),
            ("2.31.0", Some(12))
        );
        assert_eq!(req.hashes.len(), 1);
        assert_eq!(
            lf.packages[1].origin,
            Origin::Registry {
                url: Some("https://pypi.corp.example/simple".into())
            }
        );
        let six = &lf.packages[2];
        assert!(six.scopes.is_empty(), "in both sections: production");
        assert_eq!(
            six.locations.iter().map(|l| l.line).collect::<Vec<_>>(),
            [Some(19), Some(23)]
        );
        assert_eq!(
            lf.packages[3].scopes.iter().collect::<Vec<_>>(),
            [&Scope::Dev]
        );
        assert_eq!(
            lf.packages[4].origin,
            Origin::Git {
                url: "https://github.com/dzshn/ike".into(),
                commit: Some("cd66602cd29f61a2d2e7fb995fef1e61708c034d".into()),
                reference: None
            }
        );
    }

    #[test]
    fn json_errors_have_positions() {
        let err = parse("{\n  \"default\": {\n    \"a\": \n", "Pipfile.lock").unwrap_err();
        assert!(err.line.is_some(), "{err}");
        assert!(parse("[]", "Pipfile.lock").is_err());
    }
}
