use std::io::{self, Write};

use chainward_types::{Ecosystem, Inventory, Origin, Package, Scope};
use serde::Serialize;

use crate::ext;
use crate::format::CdxSpec;
use crate::graph::Graph;
use crate::ident::{self, IdAllocator};
use crate::metadata::{Metadata, RootComponent};
use crate::time;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BomOut<'a> {
    #[serde(rename = "$schema")]
    schema: String,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: MetadataOut<'a>,
    components: Vec<ComponentOut<'a>>,
    dependencies: Vec<DependencyOut<'a>>,
}

#[derive(Serialize)]
struct MetadataOut<'a> {
    timestamp: String,
    tools: ToolsOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<ComponentOut<'a>>,
}

#[derive(Serialize)]
struct ToolsOut<'a> {
    components: [ToolOut<'a>; 1],
}

#[derive(Serialize)]
struct ToolOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComponentOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<HashOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReferenceOut<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<PropertyOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<EvidenceOut<'a>>,
}

#[derive(Serialize)]
struct HashOut<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct ExternalReferenceOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<HashOut<'a>>,
}

#[derive(Serialize)]
struct PropertyOut {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    occurrences: Vec<OccurrenceOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OccurrenceOut<'a> {
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_context: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DependencyOut<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    depends_on: Vec<&'a str>,
}

/// Writes the inventory as CycloneDX JSON of version `spec`.
pub(crate) fn write(
    inventory: &Inventory,
    spec: CdxSpec,
    metadata: &Metadata,
    w: &mut dyn Write,
) -> io::Result<()> {
    let packages = &inventory.packages;
    let graph = Graph::new(packages);
    let mut ids = IdAllocator::default();
    let refs: Vec<String> = packages
        .iter()
        .map(|p| ids.allocate(&ident::bom_ref_candidates(p)))
        .collect();
    let root = metadata.root.as_ref().map(|r| {
        let purl = r.purl();
        let base = purl.clone().unwrap_or_else(|| format!("root:{}", r.name));
        let id = ids.allocate(&[base.clone(), format!("{base}|root")]);
        (r, purl, id)
    });

    let mut dependencies = Vec::with_capacity(packages.len() + 1);
    if let Some((_, _, id)) = &root {
        dependencies.push(DependencyOut {
            reference: id,
            depends_on: graph.direct.iter().map(|&i| refs[i].as_str()).collect(),
        });
    }
    for (i, r) in refs.iter().enumerate() {
        dependencies.push(DependencyOut {
            reference: r,
            depends_on: graph.deps[i].iter().map(|&j| refs[j].as_str()).collect(),
        });
    }

    let format = format!("cyclonedx-{spec}");
    let bom = BomOut {
        schema: format!("http://cyclonedx.org/schema/bom-{spec}.schema.json"),
        bom_format: "CycloneDX",
        spec_version: spec.as_str(),
        serial_number: format!(
            "urn:uuid:{}",
            ident::content_uuid(&format, inventory, metadata)
        ),
        version: 1,
        metadata: MetadataOut {
            timestamp: time::rfc3339(metadata.timestamp),
            tools: ToolsOut {
                components: [ToolOut {
                    kind: "application",
                    name: "chainward",
                    version: &metadata.tool_version,
                }],
            },
            component: root
                .as_ref()
                .map(|(r, purl, id)| root_component(r, purl.as_deref(), id)),
        },
        components: packages
            .iter()
            .zip(&refs)
            .map(|(p, r)| component(p, r, spec))
            .collect(),
        dependencies,
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut out, &bom)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// An npm `@scope/name` as (`@scope`, `name`); anything else has no group.
fn group_and_name(ecosystem: Option<Ecosystem>, name: &str) -> (Option<&str>, &str) {
    if ecosystem == Some(Ecosystem::Npm)
        && name.starts_with('@')
        && let Some((scope, rest)) = name.split_once('/')
        && !rest.is_empty()
    {
        return (Some(scope), rest);
    }
    (None, name)
}

fn root_component<'a>(
    r: &'a RootComponent,
    purl: Option<&'a str>,
    id: &'a str,
) -> ComponentOut<'a> {
    let (group, name) = group_and_name(r.ecosystem, &r.name);
    ComponentOut {
        kind: "application",
        bom_ref: id,
        group,
        name,
        version: r.version.as_deref(),
        scope: None,
        hashes: Vec::new(),
        purl,
        external_references: Vec::new(),
        properties: Vec::new(),
        evidence: None,
    }
}

fn component<'a>(p: &'a Package, bom_ref: &'a str, spec: CdxSpec) -> ComponentOut<'a> {
    let (group, name) = group_and_name(Some(p.ecosystem), &p.name);
    let scope = if p.scopes.contains(&Scope::Dev) {
        "excluded"
    } else if p.scopes.contains(&Scope::Optional) {
        "optional"
    } else {
        "required"
    };
    let mut hashes = Vec::new();
    let mut properties = Vec::new();
    let mut files: Vec<(&str, Vec<HashOut<'a>>)> = Vec::new();
    for h in &p.hashes {
        match (cdx_hash(h), &h.artifact) {
            (Some(out), None) => hashes.push(out),
            (Some(out), Some(file)) if ext::is_pypi_file_artifact(p, h) => {
                match files.iter_mut().find(|(f, _)| f == file) {
                    Some((_, list)) => list.push(out),
                    None => files.push((file, vec![out])),
                }
            }
            _ => properties.push(PropertyOut {
                name: ext::HASH,
                value: ext::encode_hash(h),
            }),
        }
    }

    let mut external_references = Vec::new();
    let mut written_url = None;
    match &p.origin {
        Origin::Registry { url: Some(url) } | Origin::Url { url } => {
            let url = ext::iri(url);
            written_url = Some(url.clone());
            external_references.push(ExternalReferenceOut {
                kind: "distribution",
                url,
                comment: None,
                hashes: Vec::new(),
            });
        }
        Origin::Git {
            url,
            commit,
            reference,
        } => {
            let at = commit.as_deref().or(reference.as_deref());
            let base = ext::git_url(url);
            external_references.push(ExternalReferenceOut {
                kind: "vcs",
                url: ext::iri(&match at {
                    Some(at) => format!("{base}#{at}"),
                    None => base,
                }),
                comment: None,
                hashes: Vec::new(),
            });
        }
        Origin::Registry { url: None } | Origin::Path { .. } | Origin::Workspace { .. } => {}
    }
    for (file, hashes) in files {
        external_references.push(ExternalReferenceOut {
            kind: "distribution",
            url: ext::pypi_file_url(p, file),
            comment: Some(ext::ARTIFACT_COMMENT),
            hashes,
        });
    }

    let origin_ext = match &p.origin {
        Origin::Registry { url: None } => None,
        Origin::Registry { url: Some(u) } if written_url.as_deref() == Some(u.as_str()) => None,
        other => ext::encode_origin(other),
    };
    for l in &p.locations {
        if let Some(key) = l
            .key
            .as_deref()
            .filter(|k| p.ecosystem == Ecosystem::Npm && is_install_path(k))
        {
            properties.push(PropertyOut {
                name: ext::NPM_PATH,
                value: key.to_owned(),
            });
        }
    }
    if p.bundled {
        properties.push(PropertyOut {
            name: ext::NPM_BUNDLED,
            value: "true".to_owned(),
        });
    }
    if let Some(c) = &p.constraint {
        properties.push(PropertyOut {
            name: ext::CONSTRAINT,
            value: c.clone(),
        });
    }
    for g in &p.groups {
        properties.push(PropertyOut {
            name: ext::GROUP,
            value: g.clone(),
        });
    }
    if let Some(o) = origin_ext {
        properties.push(PropertyOut {
            name: ext::ORIGIN,
            value: o,
        });
    }
    for s in &p.scopes {
        properties.push(PropertyOut {
            name: ext::SCOPE,
            value: ext::scope_name(*s).to_owned(),
        });
    }

    ComponentOut {
        kind: "library",
        bom_ref,
        group,
        name,
        version: (!p.version.is_empty()).then_some(p.version.as_str()),
        scope: Some(scope),
        hashes,
        purl: (!p.purl.is_empty()).then_some(p.purl.as_str()),
        external_references,
        properties,
        evidence: evidence(p, spec),
    }
}

fn cdx_hash(h: &chainward_types::Hash) -> Option<HashOut<'_>> {
    ext::cdx_alg(h.algorithm).map(|alg| HashOut {
        alg,
        content: &h.hex,
    })
}

/// An npm install path (`node_modules/a`, `packages/x/node_modules/a`), as opposed to a
/// pnpm dependency path or a yarn entry header.
fn is_install_path(key: &str) -> bool {
    key.starts_with("node_modules/") || key.contains("/node_modules/")
}

/// Every place the package was found: 1.5 has only `location` (the file, each once); 1.6
/// adds the `line` and, as `additionalContext`, the entry's key (the install path).
fn evidence(p: &Package, spec: CdxSpec) -> Option<EvidenceOut<'_>> {
    let mut occurrences: Vec<OccurrenceOut<'_>> = Vec::with_capacity(p.locations.len());
    for l in p.locations.iter().filter(|l| !l.path.is_empty()) {
        if spec.at_least_1_6() {
            occurrences.push(OccurrenceOut {
                location: &l.path,
                line: l.line.filter(|&n| n > 0),
                additional_context: l.key.as_deref(),
            });
        } else if !occurrences.iter().any(|o| o.location == l.path) {
            occurrences.push(OccurrenceOut {
                location: &l.path,
                line: None,
                additional_context: None,
            });
        }
    }
    (!occurrences.is_empty()).then_some(EvidenceOut { occurrences })
}
