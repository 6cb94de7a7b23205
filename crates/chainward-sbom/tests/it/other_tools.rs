//! SBOMs made by other tools (`tests/fixtures/other-tools`, see its README): they are valid
//! against the vendored schemas, they parse, and they list what the lockfile lists.
use std::collections::BTreeSet;

use chainward_extract::Format;
use chainward_types::{Ecosystem, HashAlgorithm, InventoryBuilder, Lockfile, Scope};
use serde_json::Value;

use crate::common;

fn fixture(name: &str) -> String {
    fs_err::read_to_string(common::fixtures().join("other-tools").join(name)).unwrap()
}

/// (name, version, sha512) of every package.
fn triples(lockfile: &Lockfile) -> BTreeSet<(String, String, String)> {
    lockfile
        .packages
        .iter()
        .map(|p| {
            let sha512 = p
                .hashes
                .iter()
                .find(|h| h.algorithm == HashAlgorithm::Sha512)
                .map(|h| h.hex.clone())
                .unwrap_or_default();
            (p.name.clone(), p.version.clone(), sha512)
        })
        .collect()
}

/// What chainward reads from the `package-lock.json` the SBOMs were made from.
fn from_lockfile() -> Lockfile {
    chainward_extract::extract_file(
        &common::fixtures().join("other-tools/small/package-lock.json"),
        Format::NpmPackageLock,
    )
    .unwrap()
}

#[test]
fn cyclonedx_npm_boms_are_read_like_the_lockfile() {
    let lock = from_lockfile();
    for (spec, schema) in [
        ("1.4", "bom-1.4.schema.json"),
        ("1.5", "bom-1.5.schema.json"),
        ("1.6", "bom-1.6.schema.json"),
    ] {
        let name = format!("cyclonedx-npm-6.0.1-small-cdx-{spec}.json");
        let text = fixture(&name);
        let errors = common::schema_errors(schema, &text);
        assert!(errors.is_empty(), "{name}: {errors:#?}");

        let lf = chainward_sbom::parse(&text, &name).unwrap();
        assert_eq!(lf.format, format!("cyclonedx-{spec}"));
        assert!(lf.warnings.is_empty(), "{:#?}", lf.warnings);
        // 71 components, one of them nested (`send/node_modules/ms`), as in the lockfile.
        assert_eq!(lf.packages.len(), 71);
        assert_eq!(triples(&lf), triples(&lock), "{name}");
        assert!(
            lf.packages
                .iter()
                .all(|p| p.ecosystem == Ecosystem::Npm && p.hashes.len() == 1)
        );

        // The purls it lists are the purls read.
        let doc: Value = serde_json::from_str(&text).unwrap();
        let mut listed = BTreeSet::new();
        let mut stack: Vec<&Value> = doc["components"].as_array().unwrap().iter().collect();
        while let Some(c) = stack.pop() {
            listed.insert(c["purl"].as_str().unwrap().to_owned());
            stack.extend(c["components"].as_array().into_iter().flatten());
        }
        let read: BTreeSet<String> = lf.packages.iter().map(|p| p.purl.clone()).collect();
        assert_eq!(read, listed);

        // Direct: what the root depends on; edges: every other dependsOn.
        let direct: Vec<&str> = lf
            .packages
            .iter()
            .filter(|p| p.direct)
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(direct, ["express"]);
        let depends_on: usize = doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .skip(1)
            .map(|d| d["dependsOn"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(lf.edges.len(), depends_on);

        // Located at the line of their bom-ref, keyed by it.
        let express = lf.packages.iter().find(|p| p.name == "express").unwrap();
        let loc = &express.locations[0];
        assert_eq!(loc.key.as_deref(), Some("bench-small@1.0.0|express@4.22.3"));
        let line = loc.line.unwrap() as usize;
        assert!(
            text.lines()
                .nth(line - 1)
                .unwrap()
                .contains("\"bom-ref\": \"bench-small@1.0.0|express@4.22.3\"")
        );
    }
}

#[test]
fn npm_sbom_spdx_is_read_like_the_lockfile() {
    let name = "npm-11.19.1-sbom-small-spdx-2.3.json";
    let text = fixture(name);
    let errors = common::schema_errors("spdx-2.3.schema.json", &text);
    assert!(errors.is_empty(), "{errors:#?}");
    let lf = chainward_sbom::parse(&text, name).unwrap();
    assert_eq!(lf.format, "spdx-2.3");
    assert!(lf.warnings.is_empty(), "{:#?}", lf.warnings);
    // The described package (the project) is not one of them.
    assert_eq!(lf.packages.len(), 71);
    assert!(!lf.packages.iter().any(|p| p.name == "bench-small"));
    assert_eq!(triples(&lf), triples(&from_lockfile()));
    let direct: Vec<&str> = lf
        .packages
        .iter()
        .filter(|p| p.direct)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(direct, ["express"]);
    // 130 DEPENDENCY_OF relationships, one of them from the root.
    assert_eq!(lf.edges.len(), 129);
    let express = lf.packages.iter().find(|p| p.name == "express").unwrap();
    assert_eq!(
        express.locations[0].key.as_deref(),
        Some("SPDXRef-Package-express-4.22.3")
    );
    assert!(
        matches!(&express.origin, chainward_types::Origin::Registry { url: Some(u) } if u.ends_with("express-4.22.3.tgz"))
    );
}

#[test]
fn the_same_project_gives_the_same_inventory_from_lockfile_and_from_other_tools_sboms() {
    let mut b = InventoryBuilder::new();
    b.add_lockfile("package-lock.json", from_lockfile());
    let from_lock = b.finish();
    let name = "cyclonedx-npm-6.0.1-small-cdx-1.6.json";
    let mut b = InventoryBuilder::new();
    b.add_lockfile(name, chainward_sbom::parse(&fixture(name), name).unwrap());
    let from_sbom = b.finish();
    let key = |inv: &chainward_types::Inventory| {
        inv.packages
            .iter()
            .map(|p| {
                (
                    p.purl.clone(),
                    p.hashes.clone(),
                    p.dependencies.clone(),
                    p.direct,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&from_sbom), key(&from_lock));
}

#[test]
fn components_without_a_covered_purl_are_warnings_naming_them() {
    let text = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "root"}},
  "components": [
    {"type": "library", "bom-ref": "a", "name": "a", "version": "1.0.0", "purl": "pkg:npm/a@1.0.0", "scope": "excluded",
     "components": [
       {"type": "library", "bom-ref": "nested", "name": "b", "version": "2.0.0", "purl": "pkg:pypi/B_b@2.0.0", "scope": "optional"}
     ]},
    {"type": "library", "bom-ref": "no-purl", "group": "acme", "name": "mystery", "version": "0.1"},
    {"type": "library", "bom-ref": "jar", "name": "guava", "version": "33.0", "purl": "pkg:maven/com.google.guava/guava@33.0"},
    {"type": "file", "name": "README.md"}
  ],
  "dependencies": [
    {"ref": "root", "dependsOn": ["a", "no-purl"]},
    {"ref": "a", "dependsOn": ["nested", "jar"]}
  ]
}
"#;
    let lf = chainward_sbom::parse(text, "bom.json").unwrap();
    let names: Vec<&str> = lf.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b-b"]);
    assert_eq!(lf.packages[0].scopes, [Scope::Dev].into());
    assert_eq!(lf.packages[1].scopes, [Scope::Optional].into());
    assert!(lf.packages[0].direct && !lf.packages[1].direct);
    assert_eq!(lf.edges.len(), 1);
    assert_eq!(
        lf.warnings,
        [
            "bom.json:10: component `acme/mystery@0.1` (bom-ref `no-purl`) has no purl: not read",
            "bom.json:11: component `guava@33.0` (bom-ref `jar`) has purl `pkg:maven/com.google.guava/guava@33.0`, of type `maven`, an ecosystem chainward does not cover: not read",
            "bom.json: component `README.md` has no purl: not read",
        ]
    );
    let mut b = InventoryBuilder::new();
    b.add_lockfile("bom.json", lf);
    assert!(b.finish().is_incomplete());
}

#[test]
fn spdx_2_2_packages_without_purl_are_warnings() {
    let text = r#"{
  "spdxVersion": "SPDX-2.2",
  "SPDXID": "SPDXRef-DOCUMENT",
  "documentDescribes": ["SPDXRef-app"],
  "packages": [
    {"SPDXID": "SPDXRef-app", "name": "app", "downloadLocation": "NOASSERTION"},
    {"SPDXID": "SPDXRef-serde", "name": "serde", "versionInfo": "1.0.0", "downloadLocation": "https://crates.io/api/v1/crates/serde/1.0.0/download",
     "checksums": [{"algorithm": "SHA256", "checksumValue": "AB00000000000000000000000000000000000000000000000000000000000000"}],
     "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/serde@1.0.0"}]},
    {"SPDXID": "SPDXRef-dev", "name": "dev-only", "versionInfo": "3", "downloadLocation": "git+https://github.com/o/dev-only@0123456789abcdef0123456789abcdef01234567",
     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/dev-only@3"}]},
    {"SPDXID": "SPDXRef-lib", "name": "libc6", "versionInfo": "2.36", "downloadLocation": "NONE"}
  ],
  "relationships": [
    {"spdxElementId": "SPDXRef-app", "relatedSpdxElement": "SPDXRef-serde", "relationshipType": "DEPENDS_ON"},
    {"spdxElementId": "SPDXRef-dev", "relatedSpdxElement": "SPDXRef-app", "relationshipType": "DEV_DEPENDENCY_OF"},
    {"spdxElementId": "SPDXRef-dev", "relatedSpdxElement": "SPDXRef-serde", "relationshipType": "DEPENDS_ON"}
  ]
}"#;
    let lf = chainward_sbom::parse(text, "sbom.spdx.json").unwrap();
    assert_eq!(lf.format, "spdx-2.2");
    let names: Vec<(&str, bool)> = lf
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.direct))
        .collect();
    assert_eq!(names, [("serde", true), ("dev-only", true)]);
    assert_eq!(
        lf.packages[0].hashes[0].hex,
        format!("ab{}", "0".repeat(62))
    );
    assert_eq!(lf.packages[1].scopes, [Scope::Dev].into());
    assert!(
        matches!(&lf.packages[1].origin, chainward_types::Origin::Git { commit: Some(c), .. } if c.starts_with("0123"))
    );
    assert_eq!(lf.edges, [chainward_types::Edge { from: 1, to: 0 }]);
    assert_eq!(
        lf.warnings,
        ["sbom.spdx.json:12: package `libc6@2.36` (SPDXID `SPDXRef-lib`) has no purl: not read"]
    );
}
