use std::collections::{BTreeSet, HashMap, HashSet};

use chainward_types::{Edge, Location, Lockfile, Package, ParseError, Scope};
use serde::Deserialize;

use super::DOCUMENT_ID;
use crate::ext;
use crate::read::{self, Extras, KeyLines, OriginHints};

/// The parts of an SPDX 2.2 / 2.3 JSON document chainward reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    #[serde(rename = "SPDXID")]
    spdx_id: Option<String>,
    #[serde(default)]
    document_describes: Vec<String>,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default)]
    relationships: Vec<SpdxRelationship>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: Option<String>,
    version_info: Option<String>,
    download_location: Option<String>,
    #[serde(default)]
    checksums: Vec<SpdxChecksum>,
    #[serde(default)]
    external_refs: Vec<SpdxExternalRef>,
    #[serde(default)]
    annotations: Vec<SpdxAnnotation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxChecksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxExternalRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize)]
struct SpdxAnnotation {
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: String,
    related_spdx_element: String,
    relationship_type: String,
}

/// A dependency relationship as (dependent, dependency, scope it implies).
fn dependency(r: &SpdxRelationship) -> Option<(&str, &str, Option<Scope>)> {
    let (a, b) = (r.spdx_element_id.as_str(), r.related_spdx_element.as_str());
    Some(match r.relationship_type.as_str() {
        "DEPENDS_ON" => (a, b, None),
        "DEPENDENCY_OF" | "RUNTIME_DEPENDENCY_OF" | "BUILD_DEPENDENCY_OF" => (b, a, None),
        "DEV_DEPENDENCY_OF" | "TEST_DEPENDENCY_OF" => (b, a, Some(Scope::Dev)),
        "OPTIONAL_DEPENDENCY_OF" => (b, a, Some(Scope::Optional)),
        "PROVIDED_DEPENDENCY_OF" => (b, a, Some(Scope::Peer)),
        _ => return None,
    })
}

/// Reads an SPDX JSON document of version `version` (`2.2` or `2.3`, already checked).
pub(crate) fn parse(text: &str, path: &str, version: &str) -> Result<Lockfile, ParseError> {
    let doc: SpdxDocument = serde_json::from_str(text).map_err(read::json_error)?;
    let lines = KeyLines::new(text, "SPDXID");
    let doc_id = doc.spdx_id.as_deref().unwrap_or(DOCUMENT_ID);

    // 1. The project: what the document describes, unless something depends on it. A document
    //    that describes every package (of several) has no project package.
    let mut described: HashSet<&str> = doc.document_describes.iter().map(String::as_str).collect();
    for r in &doc.relationships {
        match r.relationship_type.as_str() {
            "DESCRIBES" if r.spdx_element_id == doc_id => {
                described.insert(&r.related_spdx_element);
            }
            "DESCRIBED_BY" if r.related_spdx_element == doc_id => {
                described.insert(&r.spdx_element_id);
            }
            _ => {}
        }
    }
    let depended_on: HashSet<&str> = doc
        .relationships
        .iter()
        .filter_map(dependency)
        .map(|(_, to, _)| to)
        .collect();
    let mut roots: HashSet<&str> = described.difference(&depended_on).copied().collect();
    if doc.packages.len() > 1
        && doc
            .packages
            .iter()
            .all(|p| roots.contains(p.spdx_id.as_str()))
    {
        roots.clear();
    }

    // 2. Packages.
    let mut lockfile = Lockfile {
        format: format!("spdx-{version}"),
        ..Lockfile::default()
    };
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut exact_scopes = Vec::new();
    for p in doc
        .packages
        .iter()
        .filter(|p| !roots.contains(p.spdx_id.as_str()))
    {
        if let Some((pkg, exact)) = read_package(p, path, &lines, &mut lockfile.warnings) {
            by_id.entry(&p.spdx_id).or_insert(lockfile.packages.len());
            lockfile.packages.push(pkg);
            exact_scopes.push(exact);
        }
    }

    // 3. Edges, direct dependencies, and scopes from relationship types: a package is dev
    //    (optional, peer) only if every relationship that makes it a dependency says so.
    let mut edges = BTreeSet::new();
    let mut implied: Vec<Option<BTreeSet<Scope>>> = vec![None; lockfile.packages.len()];
    for (from, to, scope) in doc.relationships.iter().filter_map(dependency) {
        let Some(&to) = by_id.get(to) else { continue };
        let scopes: BTreeSet<Scope> = scope.into_iter().collect();
        implied[to] = Some(match implied[to].take() {
            Some(prev) => prev.intersection(&scopes).copied().collect(),
            None => scopes,
        });
        if roots.contains(from) {
            lockfile.packages[to].direct = true;
        } else if let Some(&from) = by_id.get(from)
            && from != to
        {
            edges.insert(Edge { from, to });
        }
    }
    for ((pkg, exact), implied) in lockfile.packages.iter_mut().zip(exact_scopes).zip(implied) {
        if !exact {
            pkg.scopes.extend(implied.unwrap_or_default());
        }
    }
    lockfile.edges = edges.into_iter().collect();
    Ok(lockfile)
}

/// The package, and whether its scopes are chainward's exact ones (else relationships add
/// theirs).
fn read_package(
    p: &SpdxPackage,
    path: &str,
    lines: &KeyLines,
    warnings: &mut Vec<String>,
) -> Option<(Package, bool)> {
    let line = lines.get(&p.spdx_id);
    let place = match line {
        Some(l) => format!("{path}:{l}"),
        None => path.to_owned(),
    };
    let what = format!(
        "`{}{}` (SPDXID `{}`)",
        p.name.as_deref().unwrap_or("(unnamed)"),
        p.version_info
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("@{v}"))
            .unwrap_or_default(),
        p.spdx_id
    );
    let purl = p
        .external_refs
        .iter()
        .find(|r| r.reference_type.eq_ignore_ascii_case("purl"))
        .map(|r| r.reference_locator.as_str());
    let (mut pkg, purl) = match read::package_from_purl(purl, p.version_info.as_deref()) {
        Ok(found) => found,
        Err(why) => {
            warnings.push(format!("{place}: package {what} {why}: not read"));
            return None;
        }
    };
    for c in &p.checksums {
        match ext::hash_from_standard(&c.algorithm, &c.checksum_value) {
            Ok(Some(h)) => pkg.add_hash(h),
            Ok(None) => {}
            Err(e) => warnings.push(format!(
                "{place}: package {what}: {} checksum not read: {e}",
                c.algorithm
            )),
        }
    }
    let mut extras = Extras::default();
    for comment in p.annotations.iter().filter_map(|a| a.comment.as_deref()) {
        if let Some((name, value)) = comment
            .split_once(' ')
            .filter(|(n, _)| n.starts_with("chainward:") || n.starts_with("cdx:"))
            && let Err(e) = extras.add(name, value)
        {
            warnings.push(format!("{place}: package {what}: {e}"));
        }
    }
    let exact_scopes = extras.scopes.is_some();
    let location = p.download_location.as_deref().map(str::trim).filter(|d| {
        !d.is_empty() && !d.eq_ignore_ascii_case("NOASSERTION") && !d.eq_ignore_ascii_case("NONE")
    });
    let vcs = location.filter(|d| d.starts_with("git+") || d.starts_with("git://"));
    read::finish_package(
        &mut pkg,
        &purl,
        extras,
        BTreeSet::new(),
        OriginHints {
            exact: None,
            download: location.filter(|_| vcs.is_none()),
            vcs,
        },
    );
    pkg.locations
        .push(Location::new(path, line).with_key(&p.spdx_id));
    Some((pkg, exact_scopes))
}
