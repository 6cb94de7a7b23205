use std::collections::{BTreeSet, HashMap};

use chainward_types::{Ecosystem, Edge, Location, Lockfile, Package, ParseError, Scope};
use serde::Deserialize;

use crate::ext;
use crate::read::{self, Extras, KeyLines, OriginHints};

/// The parts of a CycloneDX BOM chainward reads; everything else is ignored.
#[derive(Deserialize)]
struct CycloneDxBom {
    #[serde(default)]
    metadata: Option<CycloneDxMetadata>,
    #[serde(default)]
    components: Vec<CycloneDxComponent>,
    #[serde(default)]
    dependencies: Vec<CycloneDxDependency>,
}

#[derive(Deserialize)]
struct CycloneDxMetadata {
    #[serde(default)]
    component: Option<CycloneDxRoot>,
}

#[derive(Deserialize)]
struct CycloneDxRoot {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
}

#[derive(Deserialize)]
struct CycloneDxComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    hashes: Vec<CycloneDxHash>,
    #[serde(default, rename = "externalReferences")]
    external_references: Vec<CycloneDxExternalReference>,
    #[serde(default)]
    properties: Vec<CycloneDxProperty>,
    #[serde(default)]
    components: Vec<CycloneDxComponent>,
}

#[derive(Deserialize)]
struct CycloneDxHash {
    alg: String,
    content: String,
}

#[derive(Deserialize)]
struct CycloneDxExternalReference {
    url: String,
    #[serde(rename = "type")]
    kind: String,
    comment: Option<String>,
    #[serde(default)]
    hashes: Vec<CycloneDxHash>,
}

#[derive(Deserialize)]
struct CycloneDxProperty {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize)]
struct CycloneDxDependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default, rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// Reads a CycloneDX JSON document of version `spec` (already checked).
pub(crate) fn parse(text: &str, path: &str, spec: &str) -> Result<Lockfile, ParseError> {
    let bom: CycloneDxBom = serde_json::from_str(text).map_err(read::json_error)?;
    let lines = KeyLines::new(text, "bom-ref");
    let mut lockfile = Lockfile {
        format: format!("cyclonedx-{spec}"),
        ..Lockfile::default()
    };

    // Pre-order over nested components, without recursion.
    let mut stack: Vec<&CycloneDxComponent> = bom.components.iter().rev().collect();
    let mut by_ref: HashMap<&str, usize> = HashMap::new();
    while let Some(c) = stack.pop() {
        stack.extend(c.components.iter().rev());
        if let Some(pkg) = read_component(c, path, &lines, &mut lockfile.warnings) {
            if let Some(r) = c.bom_ref.as_deref() {
                by_ref.entry(r).or_insert(lockfile.packages.len());
            }
            lockfile.packages.push(pkg);
        }
    }

    let root = bom
        .metadata
        .as_ref()
        .and_then(|m| m.component.as_ref())
        .and_then(|c| c.bom_ref.as_deref());
    let mut edges = BTreeSet::new();
    for d in &bom.dependencies {
        let targets = d
            .depends_on
            .iter()
            .filter_map(|t| by_ref.get(t.as_str()).copied());
        if Some(d.reference.as_str()) == root {
            for to in targets {
                lockfile.packages[to].direct = true;
            }
        } else if let Some(&from) = by_ref.get(d.reference.as_str()) {
            edges.extend(targets.filter(|&to| to != from).map(|to| Edge { from, to }));
        }
    }
    lockfile.edges = edges.into_iter().collect();
    Ok(lockfile)
}

fn read_component(
    c: &CycloneDxComponent,
    path: &str,
    lines: &KeyLines,
    warnings: &mut Vec<String>,
) -> Option<Package> {
    let line = c.bom_ref.as_deref().and_then(|r| lines.get(r));
    let place = match line {
        Some(l) => format!("{path}:{l}"),
        None => path.to_owned(),
    };
    let what = describe(c);
    let (mut pkg, purl) = match read::package_from_purl(c.purl.as_deref(), c.version.as_deref()) {
        Ok(found) => found,
        Err(why) => {
            warnings.push(format!("{place}: component {what} {why}: not read"));
            return None;
        }
    };

    let mut extras = Extras::default();
    for p in &c.properties {
        if let Err(e) = extras.add(&p.name, p.value.as_deref().unwrap_or("")) {
            warnings.push(format!("{place}: component {what}: {e}"));
        }
    }
    let mut hash = |alg: &str, hex: &str, artifact: Option<&str>, pkg: &mut Package| {
        match ext::hash_from_standard(alg, hex) {
            Ok(Some(h)) => pkg.add_hash(match artifact {
                Some(a) => h.with_artifact(a),
                None => h,
            }),
            Ok(None) => {}
            Err(e) => warnings.push(format!(
                "{place}: component {what}: {alg} hash not read: {e}"
            )),
        }
    };
    for h in &c.hashes {
        hash(&h.alg, &h.content, None, &mut pkg);
    }
    let mut download = None;
    for r in c
        .external_references
        .iter()
        .filter(|r| r.kind == "distribution")
    {
        let artifact_ref = r.comment.as_deref() == Some(ext::ARTIFACT_COMMENT);
        if !artifact_ref && download.is_none() {
            download = Some(r.url.as_str());
        }
        // A hash of one of several files (PyPI) names its file; npm and Cargo packages have
        // one archive, which is what the distribution URL gives.
        let artifact = (artifact_ref || pkg.ecosystem == Ecosystem::PyPI)
            .then(|| ext::url_file_name(&r.url))
            .flatten();
        for h in &r.hashes {
            hash(&h.alg, &h.content, artifact.as_deref(), &mut pkg);
        }
    }

    let scopes: BTreeSet<Scope> = match c.scope.as_deref() {
        Some("excluded") => [Scope::Dev].into(),
        Some("optional") => [Scope::Optional].into(),
        _ => BTreeSet::new(),
    };
    read::finish_package(
        &mut pkg,
        &purl,
        extras,
        scopes,
        OriginHints {
            exact: None,
            download,
            vcs: None,
        },
    );
    let mut location = Location::new(path, line);
    location.key = c.bom_ref.clone();
    pkg.locations.push(location);
    Some(pkg)
}

/// `group/name@version (bom-ref `r`)`, from whatever the component has.
fn describe(c: &CycloneDxComponent) -> String {
    let mut s = String::from("`");
    if let Some(g) = c.group.as_deref().filter(|g| !g.is_empty()) {
        s.push_str(g);
        s.push('/');
    }
    s.push_str(c.name.as_deref().unwrap_or("(unnamed)"));
    if let Some(v) = c.version.as_deref().filter(|v| !v.is_empty()) {
        s.push('@');
        s.push_str(v);
    }
    s.push('`');
    if let Some(r) = &c.bom_ref {
        s.push_str(&format!(" (bom-ref `{r}`)"));
    }
    s
}
