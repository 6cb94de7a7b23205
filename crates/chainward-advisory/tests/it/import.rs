use std::io::{Cursor, Write as _};
use std::time::Duration;

use chainward_advisory::severity::{AdvisoryKind, Severity, SeverityBasis};
use chainward_advisory::{AdvisorySource, ImportCounts, SkipReason, StaleData};
use chainward_types::Ecosystem;
use serde_json::Value;

use crate::{fixture, fixtures, ids, import, new_db, now};

fn mal(rel: &str) -> std::path::PathBuf {
    fixture(&format!("osv/malicious/{rel}"))
}

#[test]
fn imports_every_fixture_kind_in_one_go() {
    let (_dir, mut db) = new_db();
    let report = import(&mut db, &[fixtures()]);
    assert!(report.is_complete(), "{:?}", report.errors);
    assert_eq!(
        report.by_source[&AdvisorySource::Mal],
        ImportCounts {
            added: 6,
            ..ImportCounts::default()
        }
    );
    assert_eq!(
        report.by_source[&AdvisorySource::Pysec],
        ImportCounts {
            added: 3,
            ..ImportCounts::default()
        }
    );
    // Native first (`advisories/` sorts before `osv/`), then the official export, whose
    // `modified` is the real commit time and so newer.
    let rustsec = report.by_source[&AdvisorySource::Rustsec];
    assert_eq!(rustsec.added, 5);
    assert_eq!(rustsec.updated, 5);
    let skipped = report.skipped_by_reason();
    assert_eq!(skipped.get(&SkipReason::RustToolchain), Some(&1));
    assert_eq!(report.skipped[0].id.as_deref(), Some("CVE-2021-28875"));

    let status = db.status().unwrap();
    assert_eq!(status.advisories, 14);
    assert_eq!(status.withdrawn, 2);
    assert_eq!(status.ecosystems["npm"].advisories, 3);
    assert_eq!(status.ecosystems["crates.io"].advisories, 6);
    assert_eq!(status.ecosystems["PyPI"].advisories, 5);
    assert_eq!(status.sources[&AdvisorySource::Mal].advisories, 6);
    assert_eq!(
        status.newest_modified.as_deref(),
        Some("2026-08-21T06:28:40Z")
    );
    assert_eq!(status.last_import.as_deref(), Some("2026-09-01T00:00:00Z"));
}

#[test]
fn reimporting_is_a_no_op() {
    let (_dir, mut db) = new_db();
    import(&mut db, &[fixtures()]);
    let before = db.status().unwrap();
    let again = import(&mut db, &[fixtures()]);
    let total = again.total();
    assert_eq!((total.added, total.updated), (0, 0), "{total:?}");
    // The 5 native RustSec records are older than the stored export: skipped as outdated.
    // Everything else (6 MAL, 3 PYSEC, 5 RustSec exports) is unchanged.
    assert_eq!(total.unchanged, 14);
    assert_eq!(
        again.skipped_by_reason().get(&SkipReason::Outdated),
        Some(&5)
    );
    let after = db.status().unwrap();
    assert_eq!(before.advisories, after.advisories);
    assert_eq!(before.ecosystems, after.ecosystems);
}

#[test]
fn a_newer_modified_replaces_and_an_older_one_is_ignored() {
    let (dir, mut db) = new_db();
    import(&mut db, &[mal("npm/chalk/MAL-2025-46969.json")]);
    let original = fs_err::read_to_string(mal("npm/chalk/MAL-2025-46969.json")).unwrap();

    let newer = dir.path().join("newer.json");
    fs_err::write(
        &newer,
        original
            .replace("2025-09-12T01:13:34Z", "2025-10-01T00:00:00Z")
            .replace("\"5.6.1\"", "\"5.6.2\""),
    )
    .unwrap();
    let r = import(&mut db, &[newer]);
    assert_eq!(r.total().updated, 1);
    let found = db.advisories_for(Ecosystem::Npm, "chalk").unwrap();
    assert_eq!(found[0].modified, "2025-10-01T00:00:00Z");
    assert_eq!(found[0].affected[0].versions, vec!["5.6.2"]);

    let r = import(&mut db, &[mal("npm/chalk/MAL-2025-46969.json")]);
    assert_eq!(r.total().skipped, 1);
    assert_eq!(r.skipped[0].reason, SkipReason::Outdated);
    let found = db.advisories_for(Ecosystem::Npm, "chalk").unwrap();
    assert_eq!(
        found[0].modified, "2025-10-01T00:00:00Z",
        "the older record must not win"
    );
}

#[test]
fn the_same_modified_with_other_content_replaces() {
    let (dir, mut db) = new_db();
    import(&mut db, &[mal("npm/chalk/MAL-2025-46969.json")]);
    let edited = dir.path().join("edited.json");
    let text = fs_err::read_to_string(mal("npm/chalk/MAL-2025-46969.json")).unwrap();
    fs_err::write(
        &edited,
        text.replace("Malicious code in chalk (npm)", "Edited"),
    )
    .unwrap();
    assert_eq!(import(&mut db, &[edited]).total().updated, 1);
    assert_eq!(
        db.advisories_for(Ecosystem::Npm, "chalk").unwrap()[0]
            .summary
            .as_deref(),
        Some("Edited")
    );
}

#[test]
fn withdrawn_records_are_stored_but_never_match() {
    let (_dir, mut db) = new_db();
    import(&mut db, &[fixtures()]);
    assert!(
        db.advisories_for(Ecosystem::PyPI, "lodestone")
            .unwrap()
            .is_empty()
    );
    assert!(
        db.advisories_for(Ecosystem::CratesIo, "daemonize")
            .unwrap()
            .is_empty()
    );
    let stored = db.advisories_by_id("MAL-2023-8651").unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].withdrawn.as_deref(), Some("2023-12-12T00:33:23Z"));
    assert!(
        !db.package_keys()
            .unwrap()
            .contains(&(Ecosystem::PyPI, "lodestone".to_owned()))
    );
    assert!(
        db.load_index()
            .unwrap()
            .advisories_for(Ecosystem::PyPI, "lodestone")
            .is_empty()
    );
}

#[test]
fn lookups_key_on_ecosystem_and_normalised_name() {
    let (_dir, mut db) = new_db();
    import(&mut db, &[fixtures()]);
    // PEP 503 for PyPI.
    for name in ["num2words", "Num2Words", "NUM2WORDS", "num2words "] {
        assert_eq!(
            ids(&db.advisories_for(Ecosystem::PyPI, name).unwrap()),
            vec!["MAL-2025-6794"],
            "{name}"
        );
    }
    assert_eq!(
        ids(&db
            .advisories_for(Ecosystem::PyPI, "Apache_Skywalking")
            .unwrap()),
        vec!["PYSEC-2020-342"]
    );
    // The npm `arrayref` is unrelated to the crate.
    assert_eq!(
        ids(&db.advisories_for(Ecosystem::Npm, "arrayref").unwrap()),
        vec!["MAL-2025-1063"]
    );
    assert_eq!(
        ids(&db.advisories_for(Ecosystem::CratesIo, "arrayref").unwrap()),
        vec!["MAL-2026-14336", "RUSTSEC-2026-0260"]
    );
    assert!(
        db.advisories_for(Ecosystem::Npm, "left-pad")
            .unwrap()
            .is_empty()
    );

    let keys = db.package_keys().unwrap();
    let index = db.load_index().unwrap();
    assert_eq!(keys.len(), index.len());
    for (eco, name) in &keys {
        assert_eq!(
            db.advisories_for(*eco, name).unwrap(),
            index.advisories_for(*eco, name)
        );
    }
}

#[test]
fn lookups_carry_severity_kind_and_ranges() {
    let (_dir, mut db) = new_db();
    import(&mut db, &[fixtures()]);
    let chalk = &db.advisories_for(Ecosystem::Npm, "chalk").unwrap()[0];
    assert_eq!(
        (chalk.severity, chalk.kind),
        (Severity::Critical, AdvisoryKind::KnownMalicious)
    );
    assert_eq!(chalk.aliases, vec!["GHSA-2v46-p5h4-248w"]);
    assert_eq!(chalk.affected[0].versions, vec!["5.6.1"]);

    let fsevents = &db.advisories_for(Ecosystem::Npm, "fsevents").unwrap()[0];
    assert_eq!(fsevents.fixed_versions(), vec!["1.2.11"]);

    let time = db.advisories_for(Ecosystem::CratesIo, "time").unwrap();
    assert_eq!(ids(&time), vec!["RUSTSEC-2026-0009"]);
    assert_eq!(
        time[0].vector.as_deref(),
        Some("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H")
    );
    assert_eq!(time[0].kind, AdvisoryKind::Vulnerability);
    assert!(time[0].score.is_some());

    let tokio = &db.advisories_for(Ecosystem::CratesIo, "tokio").unwrap()[0];
    assert_eq!(
        (tokio.kind, tokio.severity),
        (AdvisoryKind::Unsound, Severity::Low)
    );
    assert_eq!(
        tokio.fixed_versions(),
        vec!["1.38.2", "1.42.1", "1.43.1", "1.44.2"]
    );

    let skywalking = &db
        .advisories_for(Ecosystem::PyPI, "apache-skywalking")
        .unwrap()[0];
    assert_eq!(
        (skywalking.severity, skywalking.score),
        (Severity::Critical, Some(9.8))
    );

    let pyspark = &db.advisories_for(Ecosystem::PyPI, "pyspark").unwrap()[0];
    assert_eq!(
        pyspark.severity,
        Severity::Medium,
        "unscored vulnerabilities are medium"
    );
    let stored = db.advisories_by_id("GHSA-fvxv-9xxr-h7wj").unwrap();
    assert_eq!(stored[0].id, "PYSEC-2019-169", "found by alias");
    assert_eq!(
        chainward_advisory::severity::assess(&stored[0].record).basis,
        SeverityBasis::Unscored
    );
}

#[test]
fn rustsec_conversion_matches_the_official_export() {
    for id in [
        "RUSTSEC-2026-0260",
        "RUSTSEC-2021-0147",
        "RUSTSEC-2026-0009",
        "RUSTSEC-2025-0023",
        "RUSTSEC-2021-0145",
    ] {
        let (_a, mut native) = new_db();
        let (_b, mut export) = new_db();
        let md = walkdir::WalkDir::new(fixture("rustsec/advisories"))
            .into_iter()
            .map(|e| e.unwrap().into_path())
            .find(|p| p.file_stem().is_some_and(|s| s == id))
            .unwrap();
        assert!(import(&mut native, &[md]).is_complete());
        assert!(
            import(
                &mut export,
                &[fixture(&format!("rustsec/osv/crates/{id}.json"))]
            )
            .is_complete()
        );
        let mut n = native.advisories_by_id(id).unwrap().remove(0).record;
        let mut e = export.advisories_by_id(id).unwrap().remove(0).record;
        assert_eq!(n["affected"], e["affected"], "{id}");
        // Everything else too, but `modified`: the export has the git commit time.
        for v in [&mut n, &mut e] {
            v.as_object_mut().unwrap().remove("modified");
        }
        assert_eq!(n, e, "{id}");
    }
}

#[test]
fn bad_records_are_reported_with_place_and_the_rest_is_imported() {
    let (dir, mut db) = new_db();
    let inputs = dir.path().join("inputs");
    fs_err::create_dir_all(inputs.join("sub")).unwrap();
    fs_err::copy(
        mal("npm/chalk/MAL-2025-46969.json"),
        inputs.join("good.json"),
    )
    .unwrap();
    fs_err::write(
        inputs.join("sub/broken.json"),
        "{\n  \"id\": \"X-1\",\n  \"modified\": \n}\n",
    )
    .unwrap();
    fs_err::write(
        inputs.join("typed.yaml"),
        "id: X-2\nmodified: 2024-01-01T00:00:00Z\naliases: 5\n",
    )
    .unwrap();
    fs_err::write(
        inputs.join("RUSTSEC-2099-0001.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"x\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\">= nope\"]\n```\n\n# Title\n",
    )
    .unwrap();
    fs_err::write(inputs.join("README.md"), "# Not an advisory\n").unwrap();
    fs_err::write(inputs.join("notes.txt"), "ignored").unwrap();

    let report = import(&mut db, &[inputs.clone(), dir.path().join("missing")]);
    assert!(!report.is_complete());
    assert_eq!(report.total().added, 1);
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let find = |needle: &str| {
        errors
            .iter()
            .find(|e| e.contains(needle))
            .cloned()
            .unwrap_or_default()
    };
    let e = find("RUSTSEC-2099-0001.md");
    assert!(
        e.contains("RUSTSEC-2099-0001.md, line 8:") && e.contains("`>= nope`"),
        "{e}"
    );
    assert!(find("missing").contains("cannot read"), "{errors:#?}");
    assert!(
        find("broken.json").contains("broken.json, line 4, column 1: expected value"),
        "{errors:#?}"
    );
    assert!(
        find("typed.yaml").contains("typed.yaml, line 3"),
        "{errors:#?}"
    );
    assert_eq!(db.advisories_for(Ecosystem::Npm, "chalk").unwrap().len(), 1);
}

#[test]
fn explicit_files_are_recognised_by_content() {
    let (dir, mut db) = new_db();
    let odd = dir.path().join("record.txt");
    fs_err::copy(mal("npm/chalk/MAL-2025-46969.json"), &odd).unwrap();
    let yaml = dir.path().join("record");
    fs_err::copy(
        fixture("osv/pysec/vulns/pyspark/PYSEC-2019-169.yaml"),
        &yaml,
    )
    .unwrap();
    let junk = dir.path().join("junk.bin");
    fs_err::write(&junk, [0xff_u8, 0xfe, 0x00]).unwrap();
    let prose = dir.path().join("prose.txt");
    fs_err::write(&prose, "hello").unwrap();
    let report = import(&mut db, &[odd, yaml, junk, prose]);
    assert_eq!(report.total().added, 2);
    assert_eq!(report.errors.len(), 2);
    assert!(
        report.errors[0].to_string().contains("junk.bin: not UTF-8"),
        "{}",
        report.errors[0]
    );
    assert!(
        report.errors[1]
            .to_string()
            .contains("not a recognised advisory format"),
        "{}",
        report.errors[1]
    );
}

#[test]
fn json_arrays_of_records_are_read() {
    let (dir, mut db) = new_db();
    let a: Value = serde_json::from_str(
        &fs_err::read_to_string(mal("npm/chalk/MAL-2025-46969.json")).unwrap(),
    )
    .unwrap();
    let b: Value = serde_json::from_str(
        &fs_err::read_to_string(mal("npm/arrayref/MAL-2025-1063.json")).unwrap(),
    )
    .unwrap();
    let path = dir.path().join("many.json");
    fs_err::write(
        &path,
        serde_json::to_string(&vec![a, b, Value::Null]).unwrap(),
    )
    .unwrap();
    let report = import(&mut db, &[path]);
    assert_eq!(report.total().added, 2);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].place.entry.as_deref(), Some("[2]"));
}

fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn zip_exports_are_imported_and_bad_entries_named() {
    let (dir, mut db) = new_db();
    let chalk = fs_err::read(mal("npm/chalk/MAL-2025-46969.json")).unwrap();
    let zip = zip_of(&[
        ("MAL-2025-46969.json", chalk),
        ("broken.json", b"{\"id\": \"X\",\n\"modified\": 3}".to_vec()),
        ("LICENSE", b"text".to_vec()),
    ]);
    // The name does not matter: archives are recognised by content.
    let path = dir.path().join("all.bin");
    fs_err::write(&path, zip).unwrap();
    let report = import(&mut db, std::slice::from_ref(&path));
    assert_eq!(report.total().added, 1);
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert_eq!(e.place.entry.as_deref(), Some("broken.json"));
    assert_eq!(e.place.line, Some(2));
    assert!(
        e.to_string()
            .starts_with(&format!("{} (entry broken.json), line 2", path.display())),
        "{e}"
    );
    assert_eq!(
        report.skipped_by_reason().get(&SkipReason::NotARecord),
        Some(&1)
    );

    let truncated = dir.path().join("cut.zip");
    let full = fs_err::read(&path).unwrap();
    fs_err::write(&truncated, &full[..full.len() / 2]).unwrap();
    let report = import(&mut db, &[truncated]);
    assert!(
        report.errors[0].message.contains("not a readable zip"),
        "{}",
        report.errors[0]
    );
}

#[test]
fn unsupported_ecosystems_are_stored_and_counted_but_never_matched() {
    let (dir, mut db) = new_db();
    let path = dir.path().join("debian.json");
    fs_err::write(
        &path,
        r#"{"id": "DSA-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "chalk"}},
                         {"package": {"ecosystem": "npm", "name": "chalk"}, "versions": ["1.0.0"]}]}"#,
    )
    .unwrap();
    import(&mut db, &[path]);
    let status = db.status().unwrap();
    assert!(!status.ecosystems["Debian:12"].matched);
    assert!(status.ecosystems["npm"].matched);
    assert_eq!(status.sources[&AdvisorySource::Osv].advisories, 1);
    let found = db.advisories_for(Ecosystem::Npm, "chalk").unwrap();
    assert_eq!(found[0].affected.len(), 1, "only the npm entry");
}

#[test]
fn status_tells_the_data_age() {
    let (_dir, mut db) = new_db();
    let status = db.status().unwrap();
    assert_eq!(
        status.check_max_age(Duration::from_secs(86_400), now()),
        Err(StaleData::Empty)
    );
    import(&mut db, &[fixtures()]);
    let status = db.status().unwrap();
    // Newest record: 2026-08-21T06:28:40Z; now: 2026-09-01.
    let age = status.age(now()).unwrap();
    assert_eq!(age.as_secs(), 10 * 86_400 + 17 * 3600 + 31 * 60 + 20);
    assert!(
        status
            .check_max_age(Duration::from_secs(30 * 86_400), now())
            .is_ok()
    );
    let err = status
        .check_max_age(Duration::from_secs(7 * 86_400), now())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the advisory data is 10d 17h old, more than the allowed 7d 0h: run `chainward db update`"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn arbitrary_input_files_never_panic(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ext in proptest::sample::select(vec!["json", "yaml", "md", "zip", "txt"]),
    ) {
        let (dir, mut db) = new_db();
        let path = dir.path().join(format!("input.{ext}"));
        fs_err::write(&path, &bytes).unwrap();
        let _ = db.import(&[path.clone(), dir.path().to_path_buf()], &crate::options()).unwrap();
        let mut prefixed = b"PK\x03\x04".to_vec();
        prefixed.extend_from_slice(&bytes);
        fs_err::write(&path, &prefixed).unwrap();
        let _ = db.import(&[path], &crate::options()).unwrap();
    }
}
