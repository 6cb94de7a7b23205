//! Reading SBOMs: format detection and what CycloneDX and SPDX readers share.

use std::collections::{BTreeSet, HashMap};

use chainward_types::{Hash, LineIndex, Lockfile, Origin, Package, ParseError, Scope};
use serde::Deserialize;

use crate::purl::{self, Purl};
use crate::{cyclonedx, ext, spdx};

/// Reads a CycloneDX (1.4 to 1.7) or SPDX (2.2, 2.3) JSON document as a lockfile.
///
/// The format is told by the content (`bomFormat: "CycloneDX"` and `specVersion`, or
/// `spdxVersion`), and becomes the lockfile's format: `cyclonedx-1.6`, `spdx-2.3`. Every
/// component (CycloneDX, nested ones included) or package (SPDX) with a purl of an ecosystem
/// chainward covers (`pkg:npm`, `pkg:cargo`, `pkg:pypi`) becomes a package, located in
/// `path` at the line of its `bom-ref` / `SPDXID` with that id as key; one without a purl,
/// or of another ecosystem, becomes a warning naming it. The project itself (CycloneDX
/// `metadata.component`, the SPDX package the document describes) is not a package: what it
/// depends on is marked direct. Edges come from CycloneDX `dependencies` and SPDX
/// `DEPENDS_ON` / `*_DEPENDENCY_OF` relationships.
///
/// Errors are for what is not JSON, or not a CycloneDX or SPDX document of a version read.
pub fn parse(text: &str, path: &str) -> Result<Lockfile, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "bomFormat")]
        bom_format: Option<serde_json::Value>,
        #[serde(rename = "specVersion")]
        spec_version: Option<serde_json::Value>,
        #[serde(rename = "spdxVersion")]
        spdx_version: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(json_error)?;
    if let Some(f) = &probe.bom_format {
        if f.as_str() != Some("CycloneDX") {
            return Err(ParseError::whole_file(format!(
                "`bomFormat` is {f}, not \"CycloneDX\""
            )));
        }
        let spec = probe
            .spec_version
            .as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or("");
        return match spec {
            "1.4" | "1.5" | "1.6" | "1.7" => cyclonedx::parse(text, path, spec),
            _ => Err(ParseError::whole_file(format!(
                "CycloneDX specVersion {} is not read (chainward reads 1.4 to 1.7)",
                probe
                    .spec_version
                    .as_ref()
                    .map_or_else(|| "(none)".to_owned(), ToString::to_string)
            ))),
        };
    }
    if let Some(v) = &probe.spdx_version {
        return match v.as_str() {
            Some(v @ ("SPDX-2.2" | "SPDX-2.3")) => spdx::parse(text, path, &v[5..]),
            _ => Err(ParseError::whole_file(format!(
                "SPDX version {v} is not read (chainward reads SPDX-2.2 and SPDX-2.3 JSON)"
            ))),
        };
    }
    Err(ParseError::whole_file(
        "not an SBOM chainward reads: neither a CycloneDX JSON document (`bomFormat`) nor an SPDX JSON document (`spdxVersion`)",
    ))
}

/// A JSON error at its line and column.
pub(crate) fn json_error(e: serde_json::Error) -> ParseError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the ParseError carries those itself.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_owned();
    match (u32::try_from(e.line()), u32::try_from(e.column())) {
        (Ok(l), Ok(c)) if l > 0 => ParseError::at(l, c, msg),
        _ => ParseError::whole_file(msg),
    }
}

/// The line of each value of one key (`"bom-ref"`, `"SPDXID"`) in a JSON text, first
/// occurrence winning: one pass, no second parse of the document.
pub(crate) struct KeyLines {
    lines: HashMap<String, u32>,
}

impl KeyLines {
    pub(crate) fn new(text: &str, key: &str) -> Self {
        let index = LineIndex::new(text);
        let needle = format!("\"{key}\"");
        let mut lines = HashMap::new();
        for (at, _) in text.match_indices(&needle) {
            let rest = &text[at + needle.len()..];
            let trimmed = rest.trim_start();
            let Some(after_colon) = trimmed.strip_prefix(':') else {
                continue;
            };
            let value = after_colon.trim_start();
            if !value.starts_with('"') {
                continue;
            }
            let mut de = serde_json::Deserializer::from_str(value);
            if let Ok(s) = String::deserialize(&mut de) {
                lines.entry(s).or_insert_with(|| index.line_of(at));
            }
        }
        Self { lines }
    }

    pub(crate) fn get(&self, value: &str) -> Option<u32> {
        self.lines.get(value).copied()
    }
}

/// chainward's own facts about a package (see the `ext` module), plus the CycloneDX
/// taxonomy properties it reads.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub(crate) origin: Option<Origin>,
    pub(crate) scopes: Option<BTreeSet<Scope>>,
    pub(crate) groups: BTreeSet<String>,
    pub(crate) constraint: Option<String>,
    pub(crate) hashes: Vec<Hash>,
    pub(crate) bundled: bool,
    pub(crate) npm_development: bool,
}

impl Extras {
    /// Takes one `name`/`value` pair; `Err` names what could not be read.
    pub(crate) fn add(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            ext::ORIGIN => {
                self.origin = Some(
                    ext::decode_origin(value)
                        .ok_or_else(|| format!("unreadable {name} `{value}`"))?,
                );
            }
            ext::SCOPE => {
                let scope = ext::scope_from_name(value)
                    .ok_or_else(|| format!("unknown {name} `{value}`"))?;
                self.scopes.get_or_insert_with(BTreeSet::new).insert(scope);
            }
            ext::GROUP => {
                self.groups.insert(value.to_owned());
            }
            ext::CONSTRAINT => self.constraint = Some(value.to_owned()),
            ext::HASH => self.hashes.push(
                ext::decode_hash(value).ok_or_else(|| format!("unreadable {name} `{value}`"))?,
            ),
            ext::NPM_BUNDLED => self.bundled = value.trim() == "true",
            ext::NPM_DEVELOPMENT => self.npm_development = value.trim() == "true",
            _ => {}
        }
        Ok(())
    }
}

/// Where a component's or package's origin comes from.
pub(crate) struct OriginHints<'a> {
    /// chainward's `chainward:origin`, exact when present.
    pub(crate) exact: Option<Origin>,
    /// The first download URL the document gives (CycloneDX `distribution` reference, SPDX
    /// `downloadLocation`).
    pub(crate) download: Option<&'a str>,
    /// A git location the document gives (an SPDX `git+...` download location).
    pub(crate) vcs: Option<&'a str>,
}

/// The origin: chainward's own when recorded, else the purl's qualifiers, else a git download
/// location, else a registry with the download URL.
pub(crate) fn resolve_origin(purl: &Purl, hints: OriginHints<'_>) -> Origin {
    if let Some(o) = hints.exact {
        return o;
    }
    match purl.origin() {
        Some(Origin::Registry { url }) => Origin::Registry {
            url: hints.download.map(str::to_owned).or(url),
        },
        Some(o) => o,
        None => match hints.vcs {
            Some(vcs) => purl::git_origin(vcs),
            None => Origin::Registry {
                url: hints.download.map(str::to_owned),
            },
        },
    }
}

/// A package from a purl (ecosystem, name and version; the version from `fallback_version`
/// when the purl has none), or why there is none.
pub(crate) fn package_from_purl(
    purl: Option<&str>,
    fallback_version: Option<&str>,
) -> Result<(Package, Purl), String> {
    let Some(purl_text) = purl.map(str::trim).filter(|p| !p.is_empty()) else {
        return Err("has no purl".to_owned());
    };
    let purl = purl::parse(purl_text).map_err(|e| format!("has an unreadable purl: {e}"))?;
    let Some(ecosystem) = purl.ecosystem() else {
        return Err(format!(
            "has purl `{purl_text}`, of type `{}`, an ecosystem chainward does not cover",
            purl.ty
        ));
    };
    let version = purl
        .version
        .as_deref()
        .or(fallback_version)
        .unwrap_or("")
        .trim();
    let pkg = Package::new(ecosystem, &purl.package_name(), version, Origin::registry());
    Ok((pkg, purl))
}

/// Applies what every reader found to the package, and recomputes its purl.
pub(crate) fn finish_package(
    pkg: &mut Package,
    purl: &Purl,
    extras: Extras,
    standard_scopes: BTreeSet<Scope>,
    hints: OriginHints<'_>,
) {
    let hints = OriginHints {
        exact: extras.origin,
        ..hints
    };
    pkg.origin = resolve_origin(purl, hints);
    pkg.scopes = match extras.scopes {
        Some(s) => s,
        None => {
            let mut s = standard_scopes;
            if extras.npm_development {
                s.insert(Scope::Dev);
            }
            s
        }
    };
    pkg.groups = extras.groups;
    pkg.constraint = extras.constraint;
    pkg.bundled = extras.bundled;
    for h in extras.hashes {
        pkg.add_hash(h);
    }
    pkg.refresh_purl();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_of_key_values() {
        let text =
            "{\n \"a\": {\"bom-ref\" : \"x\\\"y\"},\n \"bom-ref\": \"z\",\n \"bom-ref\": 3\n}";
        let k = KeyLines::new(text, "bom-ref");
        assert_eq!(k.get("x\"y"), Some(2));
        assert_eq!(k.get("z"), Some(3));
        assert_eq!(k.get("3"), None);
    }

    #[test]
    fn rejects_other_documents_with_a_reason() {
        let e = parse(
            "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.3\"}",
            "x",
        )
        .unwrap_err();
        assert!(e.message.contains("1.3"), "{e}");
        let e = parse("{\"spdxVersion\": \"SPDX-3.0\"}", "x").unwrap_err();
        assert!(e.message.contains("SPDX-3.0"), "{e}");
        let e = parse("{\"lockfileVersion\": 3}", "x").unwrap_err();
        assert!(e.message.contains("neither"), "{e}");
        let e = parse("{\n  \"bomFormat\": ", "x").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
