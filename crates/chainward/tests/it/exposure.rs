//! `chainward exposure`: by purl, by short form with a version or a range, by advisory id
//! or alias, and `--new-advisories`; exit 1 when something matched, 0 when nothing did.
use std::path::Path;

use serde_json::Value;

use crate::history::{cw, json, record, stderr, write_lock};

/// An OSV record naming `versions` of npm `name`.
fn osv(id: &str, alias: Option<&str>, name: &str, versions: &[&str]) -> String {
    serde_json::json!({
        "id": id,
        "modified": "2025-09-09T00:00:00Z",
        "summary": format!("Malicious code in {name} (npm)"),
        "aliases": alias.into_iter().collect::<Vec<_>>(),
        "affected": [{"package": {"ecosystem": "npm", "name": name}, "versions": versions}]
    })
    .to_string()
}

fn import(home: &Path, file: &str, record: &str) {
    let path = home.join(file);
    fs_err::write(&path, record).unwrap();
    let out = cw(home, &["db", "import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Two projects: `web` had chalk 5.6.0 (Sept 1), then 5.6.1 (Sept 8), then 5.6.2 (Sept 15);
/// `api` has had chalk 5.6.1 since Sept 10.
fn two_projects(home: &Path) {
    let web = home.join("web");
    write_lock(&web, &[("chalk", "5.6.0", 1), ("left-pad", "1.3.0", 9)]);
    record(home, &web, "web", "2025-09-01T00:00:00Z");
    write_lock(&web, &[("chalk", "5.6.1", 2), ("left-pad", "1.3.0", 9)]);
    record(home, &web, "web", "2025-09-08T00:00:00Z");
    write_lock(&web, &[("chalk", "5.6.2", 3), ("left-pad", "1.3.0", 9)]);
    record(home, &web, "web", "2025-09-15T00:00:00Z");
    let api = home.join("api");
    write_lock(&api, &[("chalk", "5.6.1", 2)]);
    record(home, &api, "api", "2025-09-10T00:00:00Z");
}

/// (project, version, first seen, last seen, still present) of each match.
fn rows(v: &Value) -> Vec<(String, String, String, String, bool)> {
    v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["project"].as_str().unwrap().to_owned(),
                m["package"]["version"].as_str().unwrap().to_owned(),
                m["first_seen"]["taken_at"].as_str().unwrap().to_owned(),
                m["last_seen"]["taken_at"].as_str().unwrap().to_owned(),
                m["still_present"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(
    p: &str,
    v: &str,
    first: &str,
    last: &str,
    present: bool,
) -> (String, String, String, String, bool) {
    (p.into(), v.into(), first.into(), last.into(), present)
}

#[test]
fn exposure_by_purl_lists_every_project_with_first_and_last_seen() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    let out = cw(
        home.path(),
        &["exposure", "pkg:npm/chalk@5.6.1", "--format", "json"],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 1, "a match exits 1: {}", stderr(&out));
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["query"]["kind"], "purl");
    assert_eq!(v["query"]["name"], "chalk");
    assert_eq!(
        rows(&v),
        [
            row(
                "api",
                "5.6.1",
                "2025-09-10T00:00:00Z",
                "2025-09-10T00:00:00Z",
                true
            ),
            row(
                "web",
                "5.6.1",
                "2025-09-08T00:00:00Z",
                "2025-09-08T00:00:00Z",
                false
            ),
        ]
    );
    assert_eq!(v["matches"][1]["removed_in"]["snapshot"], 3);
    assert_eq!(v["summary"]["matches"], 2);
    assert_eq!(v["summary"]["projects"], 2);
    assert_eq!(v["summary"]["still_present"], 1);

    let out = cw(home.path(), &["exposure", "pkg:npm/chalk@5.6.1"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("STILL PRESENT"), "{table}");
    assert!(
        table.contains("2 matches of pkg:npm/chalk@5.6.1 in 2 projects; still present in 1"),
        "{table}"
    );
}

#[test]
fn exposure_by_range_matches_by_the_ecosystem_rules() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    let (code, v) = json(&cw(
        home.path(),
        &["exposure", "npm:chalk@>=5.6.1 <5.6.3", "--format", "json"],
    ));
    assert_eq!(code, 1);
    assert_eq!(
        rows(&v),
        [
            row(
                "api",
                "5.6.1",
                "2025-09-10T00:00:00Z",
                "2025-09-10T00:00:00Z",
                true
            ),
            row(
                "web",
                "5.6.1",
                "2025-09-08T00:00:00Z",
                "2025-09-08T00:00:00Z",
                false
            ),
            row(
                "web",
                "5.6.2",
                "2025-09-15T00:00:00Z",
                "2025-09-15T00:00:00Z",
                true
            ),
        ]
    );
    // Every version, and one project only.
    let (_, v) = json(&cw(
        home.path(),
        &[
            "exposure",
            "npm:chalk",
            "--project",
            "web",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["query"]["versions"], "*");
    assert_eq!(v["matches"].as_array().unwrap().len(), 3);
}

#[test]
fn exposure_exits_0_when_nothing_ever_matched() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    let out = cw(home.path(), &["exposure", "npm:chalk@<5"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Nothing recorded ever matched npm:chalk@<5\n"
    );
    let out = cw(home.path(), &["exposure", "pkg:cargo/serde@1.0.0"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn exposure_by_advisory_id_or_alias_uses_its_affected_versions() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    import(
        home.path(),
        "mal.json",
        &osv(
            "MAL-2025-46969",
            Some("GHSA-test-test-test"),
            "chalk",
            &["5.6.1"],
        ),
    );
    for query in ["MAL-2025-46969", "GHSA-test-test-test"] {
        let (code, v) = json(&cw(home.path(), &["exposure", query, "--format", "json"]));
        assert_eq!(code, 1, "{query}");
        assert_eq!(v["query"]["kind"], "advisory");
        assert_eq!(
            v["query"]["advisories"],
            serde_json::json!(["MAL-2025-46969"])
        );
        assert_eq!(
            rows(&v),
            [
                row(
                    "api",
                    "5.6.1",
                    "2025-09-10T00:00:00Z",
                    "2025-09-10T00:00:00Z",
                    true
                ),
                row(
                    "web",
                    "5.6.1",
                    "2025-09-08T00:00:00Z",
                    "2025-09-08T00:00:00Z",
                    false
                ),
            ],
            "{query}"
        );
        assert_eq!(
            v["matches"][0]["advisories"],
            serde_json::json!(["MAL-2025-46969"])
        );
    }
    let out = cw(home.path(), &["exposure", "MAL-2025-46969"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("ADVISORY") && table.contains("MAL-2025-46969"),
        "{table}"
    );
}

#[test]
fn exposure_of_an_unknown_advisory_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    let out = cw(home.path(), &["exposure", "MAL-2099-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no advisory database"),
        "{}",
        stderr(&out)
    );
    import(
        home.path(),
        "mal.json",
        &osv("MAL-2025-46969", None, "chalk", &["5.6.1"]),
    );
    let out = cw(home.path(), &["exposure", "MAL-2099-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no advisory `MAL-2099-1`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exposure_rejects_a_query_it_cannot_read() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    for q in ["npm:chalk@>=>=1", "pkg:maven/org.x/y@1", "not a query"] {
        let out = cw(home.path(), &["exposure", q]);
        assert_eq!(out.status.code(), Some(2), "{q}");
    }
    let out = cw(home.path(), &["exposure"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn exposure_new_advisories_reports_each_advisory_once_after_it_is_imported() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    import(
        home.path(),
        "one.json",
        &osv("MAL-2025-1", None, "chalk", &["5.6.1"]),
    );
    let args = ["exposure", "--new-advisories", "--format", "json"];

    // The first run considers every advisory.
    let (code, v) = json(&cw(home.path(), &args));
    assert_eq!(code, 1);
    assert_eq!(v["query"]["kind"], "new-advisories");
    assert_eq!(v["query"]["since_change"], Value::Null);
    assert_eq!(v["query"]["advisories"], serde_json::json!(["MAL-2025-1"]));
    assert_eq!(v["matches"].as_array().unwrap().len(), 2);

    // Nothing new since: nothing to report.
    let (code, v) = json(&cw(home.path(), &args));
    assert_eq!(code, 0);
    assert_eq!(v["matches"].as_array().unwrap().len(), 0);

    // A new MAL record reaches every project that ever held the package, even one that no
    // longer does; the old record is not reported again.
    import(
        home.path(),
        "two.json",
        &osv("MAL-2025-2", None, "left-pad", &["1.3.0"]),
    );
    import(
        home.path(),
        "unrelated.json",
        &osv("MAL-2025-3", None, "is-odd", &["1.0.0"]),
    );
    let (code, v) = json(&cw(home.path(), &args));
    assert_eq!(code, 1);
    assert_eq!(v["query"]["advisories"], serde_json::json!(["MAL-2025-2"]));
    let got: Vec<(&str, &str)> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["project"].as_str().unwrap(),
                m["package"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("web", "left-pad")]);

    let (code, _) = json(&cw(home.path(), &args));
    assert_eq!(code, 0);
}

#[test]
fn exposure_snapshots_lists_every_snapshot_of_each_run() {
    let home = tempfile::tempdir().unwrap();
    two_projects(home.path());
    let (_, v) = json(&cw(
        home.path(),
        &[
            "exposure",
            "pkg:npm/left-pad@1.3.0",
            "--snapshots",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        v["matches"][0]["spans"][0]["snapshots"],
        serde_json::json!([1, 2, 3])
    );
}
