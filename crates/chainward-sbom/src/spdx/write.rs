use std::io::{self, Write};

use chainward_types::{Ecosystem, Inventory, Origin, Package, Scope};
use serde::Serialize;

use super::DOCUMENT_ID;
use crate::ext;
use crate::graph::Graph;
use crate::ident::{self, IdAllocator};
use crate::metadata::Metadata;
use crate::time;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentOut<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfoOut,
    packages: Vec<PackageOut<'a>>,
    relationships: Vec<RelationshipOut<'a>>,
}

#[derive(Serialize)]
struct CreationInfoOut {
    created: String,
    creators: [String; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PackageOut<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<&'a str>,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<ChecksumOut<'a>>,
    license_concluded: &'static str,
    license_declared: &'static str,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRefOut<'a>>,
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<AnnotationOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChecksumOut<'a> {
    algorithm: &'static str,
    checksum_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRefOut<'a> {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnnotationOut<'a> {
    annotation_date: &'a str,
    annotation_type: &'static str,
    annotator: &'a str,
    comment: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelationshipOut<'a> {
    spdx_element_id: &'a str,
    related_spdx_element: &'a str,
    relationship_type: &'static str,
}

/// Writes the inventory as an SPDX 2.3 JSON document.
pub(crate) fn write(
    inventory: &Inventory,
    metadata: &Metadata,
    w: &mut dyn Write,
) -> io::Result<()> {
    let packages = &inventory.packages;
    let graph = Graph::new(packages);
    let mut ids = IdAllocator::default();
    ids.numbered(DOCUMENT_ID, "-");
    let root_id = ids.numbered("SPDXRef-RootPackage", "-");
    let pkg_ids: Vec<String> = packages
        .iter()
        .map(|p| {
            ids.numbered(
                &ident::spdx_id(&["Package", p.ecosystem.purl_type(), &p.name, &p.version]),
                "-",
            )
        })
        .collect();

    let created = time::rfc3339(metadata.timestamp);
    let annotator = format!("Tool: chainward-{}", metadata.tool_version);
    let root_name = metadata
        .root
        .as_ref()
        .map_or("unknown", |r| r.name.as_str());
    let root_purl = metadata.root.as_ref().and_then(|r| r.purl());
    let doc_name = match metadata.root.as_ref().and_then(|r| r.version.as_deref()) {
        Some(v) => format!("{root_name}@{v}"),
        None => root_name.to_owned(),
    };
    let namespace_name: String = doc_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let uuid = ident::content_uuid("spdx-2.3", inventory, metadata);

    let mut out_packages = Vec::with_capacity(packages.len() + 1);
    out_packages.push(PackageOut {
        spdx_id: &root_id,
        name: root_name,
        version_info: metadata.root.as_ref().and_then(|r| r.version.as_deref()),
        download_location: "NOASSERTION".to_owned(),
        files_analyzed: false,
        checksums: Vec::new(),
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION",
        copyright_text: "NOASSERTION",
        source_info: None,
        external_refs: root_purl.as_deref().map(purl_ref).into_iter().collect(),
        primary_package_purpose: "APPLICATION",
        annotations: Vec::new(),
    });
    for (p, id) in packages.iter().zip(&pkg_ids) {
        out_packages.push(package(p, id, &created, &annotator));
    }

    let mut relationships = Vec::with_capacity(packages.len() * 3 + 1);
    relationships.push(RelationshipOut {
        spdx_element_id: DOCUMENT_ID,
        related_spdx_element: &root_id,
        relationship_type: "DESCRIBES",
    });
    for &i in &graph.direct {
        relationships.push(relationship(&root_id, &pkg_ids[i], &packages[i]));
    }
    for (i, deps) in graph.deps.iter().enumerate() {
        for &j in deps {
            relationships.push(relationship(&pkg_ids[i], &pkg_ids[j], &packages[j]));
        }
    }

    let doc = DocumentOut {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        document_namespace: format!("https://spdx.org/spdxdocs/chainward/{namespace_name}-{uuid}"),
        name: doc_name,
        creation_info: CreationInfoOut {
            created: created.clone(),
            creators: [annotator.clone()],
        },
        packages: out_packages,
        relationships,
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut out, &doc)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn purl_ref(purl: &str) -> ExternalRefOut<'_> {
    ExternalRefOut {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: purl,
    }
}

/// `from` depends on `to`, typed by `to`'s scope: a dev package is a `DEV_DEPENDENCY_OF`, an
/// optional one an `OPTIONAL_DEPENDENCY_OF`, anything else a plain `DEPENDS_ON`.
fn relationship<'a>(from: &'a str, to: &'a str, to_pkg: &Package) -> RelationshipOut<'a> {
    let typed = |t| RelationshipOut {
        spdx_element_id: to,
        related_spdx_element: from,
        relationship_type: t,
    };
    if to_pkg.scopes.contains(&Scope::Dev) {
        typed("DEV_DEPENDENCY_OF")
    } else if to_pkg.scopes.contains(&Scope::Optional) {
        typed("OPTIONAL_DEPENDENCY_OF")
    } else {
        RelationshipOut {
            spdx_element_id: from,
            related_spdx_element: to,
            relationship_type: "DEPENDS_ON",
        }
    }
}

/// The download location and whether it carries the origin's URL exactly. A registry URL is
/// one only for npm (a tarball URL): Cargo records its index, and Python lockfiles the index
/// (`https://pypi.org/simple`), neither of which downloads the package.
fn download_location(p: &Package) -> (String, bool) {
    match &p.origin {
        Origin::Registry { url: None } => ("NOASSERTION".to_owned(), true),
        Origin::Registry { url: Some(u) } if p.ecosystem != Ecosystem::Npm => {
            ("NOASSERTION".to_owned(), u.is_empty())
        }
        Origin::Registry { url: Some(u) } | Origin::Url { url: u } => {
            if u.starts_with("https://") || u.starts_with("http://") {
                let written = ext::iri(u);
                let exact = written == *u;
                (written, exact)
            } else {
                ("NOASSERTION".to_owned(), false)
            }
        }
        Origin::Git {
            url,
            commit,
            reference,
        } => {
            let url = ext::git_url(url);
            let url = if url.starts_with("git+") || url.starts_with("git://") {
                url
            } else {
                format!("git+{url}")
            };
            let loc = match commit.as_deref().or(reference.as_deref()) {
                Some(at) => format!("{url}@{at}"),
                None => url,
            };
            (ext::iri(&loc), false)
        }
        Origin::Path { .. } | Origin::Workspace { .. } => ("NONE".to_owned(), false),
    }
}

fn package<'a>(
    p: &'a Package,
    id: &'a str,
    created: &'a str,
    annotator: &'a str,
) -> PackageOut<'a> {
    let (download_location, exact) = download_location(p);
    let mut facts: Vec<(&'static str, String)> = Vec::new();
    let mut checksums = Vec::new();
    for h in &p.hashes {
        if h.artifact.is_none() {
            checksums.push(ChecksumOut {
                algorithm: ext::spdx_alg(h.algorithm),
                checksum_value: &h.hex,
            });
        } else {
            facts.push((ext::HASH, ext::encode_hash(h)));
        }
    }
    // A registry URL the download location does not carry matters only when it is not the
    // public registry (the purl then names it as `repository_url`).
    let origin_needed = match &p.origin {
        Origin::Registry { .. } => !exact && p.purl.contains("repository_url="),
        _ => true,
    };
    if origin_needed && let Some(o) = ext::encode_origin(&p.origin) {
        facts.push((ext::ORIGIN, o));
    }
    if let Some(c) = &p.constraint {
        facts.push((ext::CONSTRAINT, c.clone()));
    }
    for g in &p.groups {
        facts.push((ext::GROUP, g.clone()));
    }
    for s in &p.scopes {
        facts.push((ext::SCOPE, ext::scope_name(*s).to_owned()));
    }
    if p.bundled {
        facts.push((ext::NPM_BUNDLED, "true".to_owned()));
    }
    PackageOut {
        spdx_id: id,
        name: &p.name,
        version_info: (!p.version.is_empty()).then_some(p.version.as_str()),
        download_location,
        files_analyzed: false,
        checksums,
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION",
        copyright_text: "NOASSERTION",
        source_info: source_info(p),
        external_refs: (!p.purl.is_empty())
            .then(|| purl_ref(&p.purl))
            .into_iter()
            .collect(),
        primary_package_purpose: "LIBRARY",
        annotations: facts
            .into_iter()
            .map(|(name, value)| AnnotationOut {
                annotation_date: created,
                annotation_type: "OTHER",
                annotator,
                comment: format!("{name} {value}"),
            })
            .collect(),
    }
}

/// Where the package was found: `found in package-lock.json:12 (node_modules/a); ...`.
fn source_info(p: &Package) -> Option<String> {
    let places: Vec<String> = p
        .locations
        .iter()
        .map(|l| {
            let mut s = l.path.clone();
            if let Some(n) = l.line {
                s.push_str(&format!(":{n}"));
            }
            if let Some(k) = &l.key {
                s.push_str(&format!(" ({k})"));
            }
            s
        })
        .collect();
    (!places.is_empty()).then(|| format!("found in {}", places.join("; ")))
}
