//! Tests for `site_packages`: dist-info folders copied from a real venv, plus hand-made
//! legacy and broken entries.
use chainward_python::site_packages::{parse_record, scan};
use chainward_types::{HashAlgorithm, Origin};
use proptest::prelude::*;

use crate::support::{find, fixture, read};

const DISPLAY: &str = "venv/lib/python3.11/site-packages";

#[test]
fn scans_a_real_venv() {
    let lf = scan(&fixture("site-packages/py311-venv"), DISPLAY).unwrap();
    assert_eq!(lf.format, "site-packages");
    let names: Vec<_> = lf
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("broken", "0.1"),
            ("folder-egg", "2.0"),
            ("idna", "3.7"),
            ("iniconfig", "2.0.0"),
            ("legacy-pkg", "1.0"),
            ("lib", "0.2.0"),
            ("packaging", "24.1"),
            ("six", "1.16.0"),
        ]
    );
    let idna = find(&lf, "idna", "3.7");
    assert_eq!(idna.origin, Origin::registry());
    assert!(idna.direct, "REQUESTED");
    assert_eq!(
        idna.locations[0].path,
        format!("{DISPLAY}/idna-3.7.dist-info/METADATA")
    );
    assert!(
        !find(&lf, "packaging", "24.1").direct,
        "installed as a dependency of lib"
    );
    let ini = find(&lf, "iniconfig", "2.0.0");
    assert_eq!(
        ini.origin,
        Origin::Path {
            path: "/tmp/fx/dl/iniconfig-2.0.0-py3-none-any.whl".into()
        }
    );
    assert_eq!(ini.hashes.len(), 1);
    assert_eq!(
        ini.hashes[0].hex,
        "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374"
    );
    assert_eq!(
        find(&lf, "lib", "0.2.0").origin,
        Origin::Path {
            path: "/tmp/fx/uvws/packages/lib".into()
        }
    );
    assert_eq!(
        find(&lf, "legacy-pkg", "1.0").locations[0].path,
        format!("{DISPLAY}/legacy_pkg-1.0.egg-info")
    );
    // The broken entry: malformed METADATA and RECORD are warnings naming the files.
    assert_eq!(lf.warnings.len(), 2, "{:#?}", lf.warnings);
    assert!(
        lf.warnings[0].starts_with(&format!(
            "{DISPLAY}/broken-0.1.dist-info/METADATA: malformed"
        )),
        "{:?}",
        lf.warnings
    );
    assert!(
        lf.warnings[1].starts_with(&format!("{DISPLAY}/broken-0.1.dist-info/RECORD: line 1")),
        "{:?}",
        lf.warnings
    );
}

#[test]
fn parses_a_real_record() {
    let rows = parse_record(&read(
        "site-packages/py311-venv/six-1.16.0.dist-info/RECORD",
    ))
    .unwrap();
    let six = rows.iter().find(|r| r.path == "six.py").unwrap();
    let hash = six.hash.as_ref().unwrap();
    assert_eq!(hash.algorithm, HashAlgorithm::Sha256);
    assert_eq!(hash.hex.len(), 64);
    assert!(six.size.is_some());
    assert!(
        rows.iter()
            .any(|r| r.path.ends_with("RECORD") && r.hash.is_none())
    );
}

#[test]
fn a_missing_folder_is_an_error() {
    assert!(scan(&fixture("site-packages/nope"), "nope").is_err());
}

proptest! {
    #[test]
    fn record_parser_never_panics(s in "\\PC*") {
        let _ = parse_record(&s);
    }

    #[test]
    fn record_parser_never_panics_on_csv_like_text(s in "[a-z/.,\"=_\\-0-9A-Z\r\n]{0,120}") {
        let _ = parse_record(&s);
    }
}
