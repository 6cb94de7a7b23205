//! Properties: random inventories survive `write` then `parse` in every format (and the
//! output stays schema-valid); `parse` never panics, whatever it is given.
use std::collections::BTreeSet;

use chainward_types::{
    Ecosystem, Edge, Hash, HashAlgorithm, Inventory, InventoryBuilder, Location, Lockfile, Origin,
    Package, Scope,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::common::{self, ALL_FORMATS};

fn ecosystem() -> impl Strategy<Value = Ecosystem> {
    prop_oneof![
        Just(Ecosystem::Npm),
        Just(Ecosystem::CratesIo),
        Just(Ecosystem::PyPI)
    ]
}

fn name(eco: Ecosystem) -> BoxedStrategy<String> {
    match eco {
        Ecosystem::Npm => "(@[a-z0-9][a-z0-9._-]{0,5}/)?[a-z0-9][a-zA-Z0-9._~-]{0,10}".boxed(),
        Ecosystem::CratesIo => "[a-zA-Z][a-zA-Z0-9_-]{0,10}".boxed(),
        Ecosystem::PyPI => "[A-Za-z0-9]([A-Za-z0-9._-]{0,8}[A-Za-z0-9])?".boxed(),
    }
}

fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[a-z0-9.]{1,6})?(\\+[a-zA-Z0-9.]{1,5})?",
        1 => "[0-9][0-9A-Za-z.+!_~*-]{0,10}",
        1 => Just(String::new()),
    ]
}

fn origin(eco: Ecosystem, name: String, version: String) -> BoxedStrategy<Origin> {
    let default_url = match eco {
        Ecosystem::Npm => {
            let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
            format!("https://registry.npmjs.org/{name}/-/{base}-{version}.tgz")
        }
        Ecosystem::CratesIo => "registry+https://github.com/rust-lang/crates.io-index".to_owned(),
        Ecosystem::PyPI => "https://pypi.org/simple".to_owned(),
    };
    prop_oneof![
        3 => Just(Origin::Registry { url: None }),
        3 => Just(Origin::Registry { url: Some(default_url) }),
        1 => "[a-z]{1,8}(/[a-z0-9]{1,5})?".prop_map(|p| Origin::Registry { url: Some(format!("https://reg.example.com/{p}")) }),
        1 => "sparse\\+https://[a-z]{1,6}\\.example/index/".prop_map(|u| Origin::Registry { url: Some(u) }),
        2 => (
            prop_oneof![
                "https://github\\.com/[a-z]{1,6}/[a-z]{1,6}(\\.git)?",
                "git\\+ssh://git@github\\.com/[a-z]{1,6}/[a-z]{1,6}\\.git",
                "git@github\\.com:[a-z]{1,6}/[a-z]{1,6}\\.git",
                "git\\+https://gitlab\\.example/[a-z]{1,6}",
            ],
            proptest::option::of("[0-9a-f]{40}"),
            proptest::option::of("[a-z0-9._-]{1,8}"),
        )
            .prop_map(|(url, commit, reference)| Origin::Git { url, commit, reference }),
        1 => "[a-zA-Z0-9_.-]{1,12}\\.(tgz|tar\\.gz|whl|zip)".prop_map(|f| Origin::Url { url: format!("https://files.example.com/dl/{f}") }),
        1 => "[ -~]{0,14}".prop_map(|s| Origin::Url { url: format!("https://files.example.com/{s}") }),
        1 => "[a-z./]{1,10}".prop_map(|path| Origin::Path { path }),
        1 => "packages/[a-z]{1,6}".prop_map(|path| Origin::Workspace { path }),
    ]
    .boxed()
}

fn hash() -> impl Strategy<Value = Hash> {
    let alg = prop_oneof![
        Just(HashAlgorithm::Md5),
        Just(HashAlgorithm::Sha1),
        Just(HashAlgorithm::Sha224),
        Just(HashAlgorithm::Sha256),
        Just(HashAlgorithm::Sha384),
        Just(HashAlgorithm::Sha512),
        Just(HashAlgorithm::Blake2b256),
    ];
    let artifact = prop_oneof![
        4 => Just(None),
        2 => "[a-z0-9_.+-]{1,10}-py3-none-any\\.whl".prop_map(Some),
        1 => "[a-zA-Z0-9_.%#?=-]{1,10}\\.tar\\.gz".prop_map(Some),
        1 => Just(Some("yarn-cache-zip:10c0".to_owned())),
        1 => "[ -~]{1,12}".prop_map(Some),
    ];
    (alg, any::<[u8; 64]>(), artifact).prop_map(|(alg, bytes, artifact)| {
        let h = Hash::from_bytes(alg, &bytes[..alg.digest_len()]).unwrap();
        match artifact {
            Some(a) => h.with_artifact(a),
            None => h,
        }
    })
}

fn package() -> impl Strategy<Value = Package> {
    ecosystem()
        .prop_flat_map(|eco| (Just(eco), name(eco), version()))
        .prop_flat_map(|(eco, name, version)| {
            (
                Just(eco),
                Just(name.clone()),
                Just(version.clone()),
                origin(eco, name, version),
                proptest::collection::vec(hash(), 0..4),
                proptest::collection::btree_set(
                    prop_oneof![Just(Scope::Dev), Just(Scope::Optional), Just(Scope::Peer)],
                    0..3,
                ),
                proptest::collection::btree_set(
                    prop_oneof![
                        Just("main".to_owned()),
                        Just("dev".to_owned()),
                        Just("test docs".to_owned())
                    ],
                    0..2,
                ),
                proptest::option::of(prop_oneof![
                    Just(">=1.0".to_owned()),
                    Just("^2 || ~3.1".to_owned())
                ]),
                any::<(bool, bool)>(),
                proptest::option::of("node_modules/[a-z]{1,5}(/node_modules/[a-z]{1,5})?"),
            )
        })
        .prop_map(
            |(
                eco,
                name,
                version,
                origin,
                hashes,
                scopes,
                groups,
                constraint,
                (direct, bundled),
                key,
            )| {
                let mut p = Package::new(eco, &name, version, origin);
                for h in hashes {
                    p.add_hash(h);
                }
                p.scopes = scopes;
                p.groups = groups;
                p.constraint = constraint;
                p.direct = direct;
                p.bundled = bundled;
                let mut loc = Location::new("dir/lockfile", Some(3));
                loc.key = key;
                p.locations.push(loc);
                p
            },
        )
}

fn inventory() -> impl Strategy<Value = Inventory> {
    proptest::collection::vec(package(), 0..12)
        .prop_flat_map(|packages| {
            let n = packages.len().max(1);
            (
                Just(packages),
                proptest::collection::vec((0..n, 0..n), 0..20),
            )
        })
        .prop_map(|(packages, edges)| {
            let n = packages.len();
            let edges = edges
                .into_iter()
                .filter(|&(f, t)| f < n && t < n)
                .map(|(from, to)| Edge { from, to })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut b = InventoryBuilder::new();
            b.add_lockfile(
                "dir/lockfile",
                Lockfile {
                    format: "random".into(),
                    packages,
                    edges,
                    warnings: vec![],
                    notes: vec![],
                },
            );
            b.finish()
        })
}

/// 96 cases, or `PROPTEST_CASES` for a longer local run.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_inventories_round_trip_and_stay_schema_valid(inv in inventory(), with_root in any::<bool>()) {
        let metadata = common::metadata(with_root.then_some((Ecosystem::Npm, "@acme/app")));
        for format in ALL_FORMATS {
            let text = common::write(&inv, format, &metadata);
            let errors = common::schema_errors(common::schema_of(format), &text);
            prop_assert!(errors.is_empty(), "{format}: {errors:#?}\n{text}");
            let (back, warnings) = common::round_trip(&inv, format, &metadata);
            prop_assert!(warnings.is_empty(), "{format}: {warnings:#?}\n{text}");
            let with_direct = with_root || format == chainward_sbom::SbomFormat::SpdxJson23;
            prop_assert_eq!(
                common::essentials(&back, format, with_direct),
                common::essentials(&inv, format, with_direct),
                "{}\n{}", format, text
            );
        }
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = chainward_sbom::parse(&s, "x.json");
    }

    #[test]
    fn parse_never_panics_on_arbitrary_documents(doc in document()) {
        let _ = chainward_sbom::parse(&doc.to_string(), "x.json");
    }

    #[test]
    fn parse_never_panics_on_arbitrary_cyclonedx_and_spdx_bodies(parts in proptest::collection::vec(document(), 4), spdx in any::<bool>()) {
        let doc = if spdx {
            serde_json::json!({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "documentDescribes": parts[0],
                "packages": parts[1], "relationships": parts[2], "annotations": parts[3]})
        } else {
            serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": parts[0]},
                "components": parts[1], "dependencies": parts[2], "properties": parts[3]})
        };
        let _ = chainward_sbom::parse(&doc.to_string(), "x.json");
        // Every component of a well-formed list is read or reported (SPDX leaves out the
        // packages the document describes, the project).
        if let (false, Some(items), Ok(lf)) = (spdx, parts[1].as_array(), chainward_sbom::parse(&doc.to_string(), "x.json")) {
            prop_assert!(lf.packages.len() + lf.warnings.len() >= items.len());
        }
    }
}

/// JSON made of the keys and values SBOM readers look at, so the reader gets deep.
fn document() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("bomFormat"),
        Just("specVersion"),
        Just("metadata"),
        Just("component"),
        Just("components"),
        Just("bom-ref"),
        Just("purl"),
        Just("version"),
        Just("name"),
        Just("group"),
        Just("scope"),
        Just("hashes"),
        Just("alg"),
        Just("content"),
        Just("externalReferences"),
        Just("type"),
        Just("url"),
        Just("comment"),
        Just("properties"),
        Just("value"),
        Just("dependencies"),
        Just("ref"),
        Just("dependsOn"),
        Just("spdxVersion"),
        Just("SPDXID"),
        Just("packages"),
        Just("versionInfo"),
        Just("downloadLocation"),
        Just("checksums"),
        Just("algorithm"),
        Just("checksumValue"),
        Just("externalRefs"),
        Just("referenceType"),
        Just("referenceLocator"),
        Just("annotations"),
        Just("relationships"),
        Just("spdxElementId"),
        Just("relatedSpdxElement"),
        Just("relationshipType"),
        Just("documentDescribes"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("CycloneDX"),
            Just("1.4"),
            Just("1.6"),
            Just("SPDX-2.3"),
            Just("SPDX-2.2"),
            Just("pkg:npm/a@1"),
            Just("pkg:npm/%40s/a@1?vcs_url=git%2Bhttps://x/y%40abcdef0"),
            Just("pkg:cargo/b"),
            Just("pkg:pypi/c@2?download_url=https://x/c.whl"),
            Just("pkg:maven/g/a@1"),
            Just("SHA-512"),
            Just("SHA256"),
            Just("distribution"),
            Just("purl"),
            Just("DEPENDS_ON"),
            Just("DEV_DEPENDENCY_OF"),
            Just("DESCRIBES"),
            Just("SPDXRef-DOCUMENT"),
            Just("SPDXRef-a"),
            Just("excluded"),
            Just("chainward:origin {\"kind\":\"git\"}"),
            Just("chainward:hash sha1:00"),
            Just("chainward:scope dev"),
            Just("git+https://x/y@abcdef0"),
            Just("0000000000000000000000000000000000000000"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

#[test]
fn deeply_nested_components_are_an_error_not_a_crash() {
    let mut doc = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":"#);
    for _ in 0..5000 {
        doc.push_str(r#"[{"name":"x","components":"#);
    }
    doc.push_str("[]");
    for _ in 0..5000 {
        doc.push_str("}]");
    }
    doc.push('}');
    assert!(chainward_sbom::parse(&doc, "deep.json").is_err());
}
