//! Shared helpers: the official schemas, writing, and what a round trip must preserve.
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chainward_sbom::{CdxSpec, Metadata, RootComponent, SbomFormat};
use chainward_types::{Ecosystem, Hash, Inventory, InventoryBuilder, Origin, Scope};
use serde_json::Value;

/// Every format chainward writes.
pub(crate) const ALL_FORMATS: [SbomFormat; 4] = [
    SbomFormat::CycloneDx {
        spec: CdxSpec::V1_5,
    },
    SbomFormat::CycloneDx {
        spec: CdxSpec::V1_6,
    },
    SbomFormat::CycloneDx {
        spec: CdxSpec::V1_7,
    },
    SbomFormat::SpdxJson23,
];

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load(name: &str) -> Value {
    let path = fixtures().join("schemas").join(name);
    serde_json::from_str(&fs_err::read_to_string(&path).unwrap()).unwrap()
}

/// A validator of one official schema; the CycloneDX schemas' relative `$ref`s to the SPDX
/// licence list, JSF and cryptography definitions are registered as local resources (no
/// network), and formats are checked.
fn build(schema: &str) -> jsonschema::Validator {
    let mut registry = jsonschema::Registry::new();
    for dep in [
        "spdx.schema.json",
        "jsf-0.82.schema.json",
        "cryptography-defs.schema.json",
    ] {
        registry = registry
            .add(format!("http://cyclonedx.org/schema/{dep}"), load(dep))
            .unwrap();
    }
    let registry = registry.prepare().unwrap();
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .with_registry(&registry)
        .build(&load(schema))
        .unwrap()
}

/// The validator of a schema file in `tests/fixtures/schemas`, built once.
pub(crate) fn validator(schema: &'static str) -> &'static jsonschema::Validator {
    static VALIDATORS: OnceLock<
        std::sync::Mutex<Vec<(&'static str, &'static jsonschema::Validator)>>,
    > = OnceLock::new();
    let cache = VALIDATORS.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    if let Some((_, v)) = cache.iter().find(|(s, _)| *s == schema) {
        return v;
    }
    let v: &'static jsonschema::Validator = Box::leak(Box::new(build(schema)));
    cache.push((schema, v));
    v
}

pub(crate) fn schema_of(format: SbomFormat) -> &'static str {
    match format {
        SbomFormat::CycloneDx {
            spec: CdxSpec::V1_5,
        } => "bom-1.5.schema.json",
        SbomFormat::CycloneDx {
            spec: CdxSpec::V1_6,
        } => "bom-1.6.schema.json",
        SbomFormat::CycloneDx {
            spec: CdxSpec::V1_7,
        } => "bom-1.7.schema.json",
        SbomFormat::SpdxJson23 => "spdx-2.3.schema.json",
    }
}

/// Schema errors of `text` (at most 20).
pub(crate) fn schema_errors(schema: &'static str, text: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(text).unwrap();
    validator(schema)
        .iter_errors(&doc)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

pub(crate) fn write(inventory: &Inventory, format: SbomFormat, metadata: &Metadata) -> String {
    let mut out = Vec::new();
    chainward_sbom::write(inventory, format, metadata, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A fixed timestamp (2023-11-14T22:13:20Z), as `SOURCE_DATE_EPOCH` would give.
pub(crate) const EPOCH: u64 = 1_700_000_000;

pub(crate) fn metadata(root: Option<(Ecosystem, &str)>) -> Metadata {
    Metadata::new("0.1.0", EPOCH).with_root(root.map(|(eco, name)| RootComponent {
        ecosystem: Some(eco),
        name: name.to_owned(),
        version: Some("1.0.0".to_owned()),
    }))
}

/// What a round trip must preserve of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Essential {
    pub(crate) ecosystem: Ecosystem,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) purl: String,
    pub(crate) origin: String,
    pub(crate) hashes: Vec<Hash>,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) dependencies: Vec<String>,
    pub(crate) direct: bool,
    pub(crate) bundled: bool,
    pub(crate) groups: Vec<String>,
    pub(crate) constraint: Option<String>,
}

/// The essentials of every package, sorted. SPDX has no place for the URL of the public
/// registry a package came from when it is not a download URL (a Cargo or Python index; its
/// download location is a download URL or nothing), so there such an origin compares as a
/// registry without URL.
pub(crate) fn essentials(
    inventory: &Inventory,
    format: SbomFormat,
    with_direct: bool,
) -> Vec<Essential> {
    let mut out: Vec<Essential> = inventory
        .packages
        .iter()
        .map(|p| {
            let origin = match &p.origin {
                Origin::Registry { url: Some(u) }
                    if format == SbomFormat::SpdxJson23
                        && !p.purl.contains("repository_url=")
                        && !(p.ecosystem == Ecosystem::Npm
                            && (u.starts_with("https://") || u.starts_with("http://"))) =>
                {
                    Origin::registry()
                }
                o => o.clone(),
            };
            let mut dependencies = p.dependencies.clone();
            dependencies.sort();
            Essential {
                ecosystem: p.ecosystem,
                name: p.name.clone(),
                version: p.version.clone(),
                purl: p.purl.clone(),
                origin: serde_json::to_string(&origin).unwrap(),
                hashes: p.hashes.clone(),
                scopes: p.scopes.iter().copied().collect(),
                dependencies,
                direct: with_direct && p.direct,
                bundled: p.bundled,
                groups: p.groups.iter().cloned().collect(),
                constraint: p.constraint.clone(),
            }
        })
        .collect();
    out.sort();
    out
}

/// Writes, reads back, and merges again: the inventory the SBOM gives, and the reader's
/// warnings.
pub(crate) fn round_trip(
    inventory: &Inventory,
    format: SbomFormat,
    metadata: &Metadata,
) -> (Inventory, Vec<String>) {
    let text = write(inventory, format, metadata);
    let lockfile = chainward_sbom::parse(&text, "sbom.json")
        .unwrap_or_else(|e| panic!("{format}: {e}\n{text}"));
    assert_eq!(lockfile.format, format.as_str());
    let warnings = lockfile.warnings.clone();
    let mut b = InventoryBuilder::new();
    b.add_lockfile("sbom.json", lockfile);
    (b.finish(), warnings)
}
