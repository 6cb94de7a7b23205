//! The shape of the output, on a small hand-made inventory that has one of everything: an
//! npm scope, a dev and an optional package, two install paths, a git origin, a Cargo crate,
//! PyPI wheel hashes, a yarn cache-zip hash, an unpinned path dependency, and edges.
use chainward_sbom::{CdxSpec, SbomFormat};
use chainward_types::{
    Ecosystem, Edge, Hash, HashAlgorithm, Inventory, InventoryBuilder, Location, Lockfile, Origin,
    Package, Scope,
};

use crate::common::{self, ALL_FORMATS};

fn hash(alg: HashAlgorithm, byte: u8) -> Hash {
    Hash::from_bytes(alg, &vec![byte; alg.digest_len()]).unwrap()
}

pub(crate) fn small_inventory() -> Inventory {
    let at = |key: &str, line| Location::new("web/package-lock.json", Some(line)).with_key(key);
    let mut core = Package::new(
        Ecosystem::Npm,
        "@babel/core",
        "7.24.0",
        Origin::Registry {
            url: Some("https://registry.npmjs.org/@babel/core/-/core-7.24.0.tgz".into()),
        },
    );
    core.scopes.insert(Scope::Dev);
    core.direct = true;
    core.add_hash(hash(HashAlgorithm::Sha512, 1));
    core.locations.push(at("node_modules/@babel/core", 10));

    let mut left_pad = Package::new(
        Ecosystem::Npm,
        "left-pad",
        "1.3.0",
        Origin::Registry {
            url: Some("https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz".into()),
        },
    );
    left_pad.direct = true;
    left_pad.add_hash(hash(HashAlgorithm::Sha512, 2));
    left_pad.add_hash(hash(HashAlgorithm::Sha1, 3));
    left_pad.locations.push(at("node_modules/left-pad", 20));
    left_pad
        .locations
        .push(at("node_modules/@babel/core/node_modules/left-pad", 30));

    let mut git = Package::new(
        Ecosystem::Npm,
        "private-lib",
        "2.0.0",
        Origin::Git {
            url: "git+ssh://git@github.com/acme/private-lib.git".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            reference: None,
        },
    );
    git.direct = true;
    git.locations.push(at("node_modules/private-lib", 40));

    let mut berry = Package::new(Ecosystem::Npm, "fsevents", "2.3.3", Origin::registry());
    berry.scopes.insert(Scope::Optional);
    berry.add_hash(hash(HashAlgorithm::Sha512, 4).with_artifact("yarn-cache-zip:10c0"));
    berry
        .locations
        .push(Location::new("app/yarn.lock", Some(5)).with_key("fsevents@npm:^2.3.2"));

    let mut serde = Package::new(
        Ecosystem::CratesIo,
        "serde",
        "1.0.200",
        Origin::Registry {
            url: Some("registry+https://github.com/rust-lang/crates.io-index".into()),
        },
    );
    serde.direct = true;
    serde.add_hash(hash(HashAlgorithm::Sha256, 5));
    serde
        .locations
        .push(Location::new("svc/Cargo.lock", Some(7)));

    let mut requests = Package::new(
        Ecosystem::PyPI,
        "Requests",
        "2.32.3",
        Origin::Registry {
            url: Some("https://pypi.org/simple".into()),
        },
    );
    requests.direct = true;
    requests.groups.insert("main".into());
    requests
        .add_hash(hash(HashAlgorithm::Sha256, 6).with_artifact("requests-2.32.3-py3-none-any.whl"));
    requests.add_hash(hash(HashAlgorithm::Sha256, 7).with_artifact("requests-2.32.3.tar.gz"));
    requests
        .locations
        .push(Location::new("ml/uv.lock", Some(3)));

    let mut local = Package::new(
        Ecosystem::PyPI,
        "local-tools",
        "",
        Origin::Path {
            path: "../tools".into(),
        },
    );
    local.constraint = Some(">=1.0".into());
    local.direct = true;
    local
        .locations
        .push(Location::new("ml/requirements.txt", Some(2)));

    let mut b = InventoryBuilder::new();
    b.add_lockfile(
        "all",
        Lockfile {
            format: "hand-made".into(),
            packages: vec![core, left_pad, git, berry, serde, requests, local],
            edges: vec![
                Edge { from: 0, to: 1 },
                Edge { from: 2, to: 1 },
                Edge { from: 0, to: 3 },
            ],
            warnings: vec![],
            notes: vec![],
        },
    );
    b.finish()
}

#[test]
fn cyclonedx_1_6() {
    let metadata = common::metadata(Some((Ecosystem::Npm, "@acme/shop")));
    let text = common::write(
        &small_inventory(),
        SbomFormat::CycloneDx {
            spec: CdxSpec::V1_6,
        },
        &metadata,
    );
    insta::assert_snapshot!(text);
}

#[test]
fn spdx_2_3() {
    let metadata = common::metadata(Some((Ecosystem::Npm, "@acme/shop")));
    let text = common::write(&small_inventory(), SbomFormat::SpdxJson23, &metadata);
    insta::assert_snapshot!(text);
}

#[test]
fn small_inventory_is_valid_and_round_trips_in_every_format() {
    let inventory = small_inventory();
    for root in [Some((Ecosystem::Npm, "@acme/shop")), None] {
        let metadata = common::metadata(root);
        for format in ALL_FORMATS {
            let text = common::write(&inventory, format, &metadata);
            let errors = common::schema_errors(common::schema_of(format), &text);
            assert!(errors.is_empty(), "{format}: {errors:#?}\n{text}");
            let (back, warnings) = common::round_trip(&inventory, format, &metadata);
            assert!(warnings.is_empty(), "{warnings:#?}");
            // Without a root, CycloneDX has nowhere to say what is direct.
            let with_direct = root.is_some() || format == SbomFormat::SpdxJson23;
            assert_eq!(
                common::essentials(&back, format, with_direct),
                common::essentials(&inventory, format, with_direct),
                "{format}"
            );
        }
    }
}

#[test]
fn serial_depends_on_content_and_time_only() {
    let inventory = small_inventory();
    let format = SbomFormat::default();
    let serial = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["serialNumber"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let a = common::write(&inventory, format, &common::metadata(None));
    let b = common::write(&inventory, format, &common::metadata(None));
    assert_eq!(a, b);
    let mut later = common::metadata(None);
    later.timestamp += 1;
    assert_ne!(
        serial(&a),
        serial(&common::write(&inventory, format, &later))
    );
    let mut fewer = inventory.clone();
    fewer.packages.pop();
    assert_ne!(
        serial(&a),
        serial(&common::write(&fewer, format, &common::metadata(None)))
    );
}
