//! `chainward drift`: added, removed, upgraded and downgraded packages between two snapshots,
//! and the changes that matter as findings (`republished-or-tampered`, `origin-changed`).
use serde_json::Value;

use crate::history::{cw, json, package_lock, record, stderr, write_lock};

fn codes(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["package"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn drift_lists_an_upgrade_and_flags_a_republished_version() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(
        &dir,
        &[
            ("chalk", "5.6.0", 1),
            ("left-pad", "1.3.0", 2),
            ("old", "1.0.0", 3),
        ],
    );
    record(home.path(), &dir, "web", "2025-09-01T00:00:00Z");
    // chalk upgraded; left-pad: same version, other bytes; old removed; new added.
    write_lock(
        &dir,
        &[
            ("chalk", "5.6.1", 4),
            ("left-pad", "1.3.0", 5),
            ("new", "2.0.0", 6),
        ],
    );
    record(home.path(), &dir, "web", "2025-09-08T00:00:00Z");

    let out = cw(
        home.path(),
        &["drift", "--project", "web", "--format", "json"],
    );
    let (code, v) = json(&out);
    assert_eq!(
        code, 1,
        "a critical finding fails the default --fail-on high"
    );
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["from"]["id"], 1);
    assert_eq!(v["to"]["id"], 2);
    assert_eq!(
        v["upgraded"],
        serde_json::json!([{"ecosystem": "npm", "name": "chalk", "from": "5.6.0", "to": "5.6.1", "purl": "pkg:npm/chalk@5.6.1"}])
    );
    assert_eq!(v["added"][0]["name"], "new");
    assert_eq!(v["removed"][0]["name"], "old");
    assert_eq!(v["downgraded"], serde_json::json!([]));
    assert_eq!(
        codes(&v),
        [(
            "republished-or-tampered".to_owned(),
            "critical".to_owned(),
            "left-pad".to_owned()
        )]
    );
    // The same shape as scan's findings, with both hashes as evidence.
    let f = &v["findings"][0];
    assert_eq!(f["package"]["purl"], "pkg:npm/left-pad@1.3.0");
    assert_eq!(
        f["locations"][0]["path"],
        format!("{}/package-lock.json", dir.display()).as_str()
    );
    assert_eq!(f["evidence"]["expected"]["algorithm"], "sha512");
    assert_eq!(f["evidence"]["expected"]["hex"], "02".repeat(64));
    assert_eq!(f["evidence"]["actual"]["hex"], "05".repeat(64));
    assert_eq!(v["summary"]["findings"]["critical"], 1);
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("install scripts and provenance identities are not recorded"),
        "{v:#}"
    );

    let out = cw(home.path(), &["drift", "--project", "web"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("upgraded"), "{table}");
    assert!(table.contains("republished-or-tampered"), "{table}");
    assert!(
        table.contains("1 added, 1 removed, 1 upgraded, 0 downgraded; 1 findings (1 critical)"),
        "{table}"
    );

    // --fail-on none reports the same and exits 0.
    let out = cw(
        home.path(),
        &["drift", "--project", "web", "--fail-on", "none"],
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn drift_flags_a_package_that_moved_from_the_registry_to_git() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(&dir, &[("chalk", "5.6.0", 1)]);
    record(home.path(), &dir, "web", "2025-09-01T00:00:00Z");
    let lock: Value = serde_json::from_str(&package_lock(&[("chalk", "5.6.0", 1)])).unwrap();
    let mut lock = lock;
    lock["packages"]["node_modules/chalk"] = serde_json::json!({
        "version": "5.6.0",
        "resolved": "git+ssh://git@github.com/evil/chalk.git#0123456789abcdef0123456789abcdef01234567",
    });
    fs_err::write(dir.join("package-lock.json"), lock.to_string()).unwrap();
    record(home.path(), &dir, "web", "2025-09-08T00:00:00Z");
    let out = cw(
        home.path(),
        &["drift", "--project", "web", "--format", "json"],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 1, "{}", stderr(&out));
    assert_eq!(
        codes(&v),
        [(
            "origin-changed".to_owned(),
            "high".to_owned(),
            "chalk".to_owned()
        )]
    );
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("git github.com/evil/chalk"), "{msg}");
    assert!(msg.contains("the public registry"), "{msg}");
}

#[test]
fn drift_compares_named_snapshots_and_reports_a_downgrade() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    for (v, at) in [
        ("2.0.0", "2025-01-01"),
        ("3.0.0", "2025-02-01"),
        ("1.5.0", "2025-03-01"),
    ] {
        write_lock(&dir, &[("lib", v, 1)]);
        record(home.path(), &dir, "web", at);
    }
    let (code, v) = json(&cw(
        home.path(),
        &[
            "drift",
            "--project",
            "web",
            "--from",
            "1",
            "--to",
            "3",
            "--format",
            "json",
        ],
    ));
    assert_eq!(code, 0, "no findings: exit 0");
    assert_eq!(v["downgraded"][0]["from"], "2.0.0");
    assert_eq!(v["downgraded"][0]["to"], "1.5.0");
    // Default: the last two.
    let (_, v) = json(&cw(
        home.path(),
        &["drift", "--project", "web", "--format", "json"],
    ));
    assert_eq!(
        (v["from"]["id"].as_u64(), v["to"]["id"].as_u64()),
        (Some(2), Some(3))
    );
    // --to alone compares with the one before it.
    let (_, v) = json(&cw(
        home.path(),
        &["drift", "--project", "web", "--to", "2", "--format", "json"],
    ));
    assert_eq!(v["upgraded"][0]["to"], "3.0.0");
}

#[test]
fn drift_needs_two_snapshots_of_the_project() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(&dir, &[("chalk", "5.6.0", 1)]);
    record(home.path(), &dir, "web", "2025-09-01T00:00:00Z");
    record(home.path(), &dir, "api", "2025-09-02T00:00:00Z");
    let out = cw(home.path(), &["drift", "--project", "web"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing to compare it with"),
        "{}",
        stderr(&out)
    );
    let out = cw(home.path(), &["drift", "--project", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no snapshots of project `nope`"),
        "{}",
        stderr(&out)
    );
    let out = cw(
        home.path(),
        &["drift", "--project", "web", "--from", "2", "--to", "1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a snapshot of project `api`"),
        "{}",
        stderr(&out)
    );
}
