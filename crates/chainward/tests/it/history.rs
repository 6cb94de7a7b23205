//! `chainward record`, `history import-git` and `history list`, and what every history
//! command shares: the database URL, and the faults (a newer database, an unreachable
//! server). Each test has its own `--home` (SQLite); the PostgreSQL test runs only when
//! `CHAINWARD_TEST_POSTGRES_URL` is set.
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use serde_json::Value;

use crate::chainward;

/// An npm `integrity` value whose digest is 64 copies of `seed`.
pub(crate) fn integrity(seed: u8) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode([seed; 64])
    )
}

/// A `package-lock.json` (v3) pinning `(name, version, integrity seed)` from the public
/// registry.
pub(crate) fn package_lock(deps: &[(&str, &str, u8)]) -> String {
    let mut packages = serde_json::Map::new();
    packages.insert(
        String::new(),
        serde_json::json!({"name": "demo", "version": "1.0.0"}),
    );
    for (name, version, seed) in deps {
        packages.insert(
            format!("node_modules/{name}"),
            serde_json::json!({
                "version": version,
                "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"),
                "integrity": integrity(*seed),
            }),
        );
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "name": "demo",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": true,
        "packages": packages,
    }))
    .unwrap()
}

/// Writes `dir/package-lock.json`.
pub(crate) fn write_lock(dir: &Path, deps: &[(&str, &str, u8)]) {
    fs_err::create_dir_all(dir).unwrap();
    fs_err::write(dir.join("package-lock.json"), package_lock(deps)).unwrap();
}

/// Runs chainward with `--home home` and the caches pointed into `home` (hermetic).
pub(crate) fn cw(home: &Path, args: &[&str]) -> Output {
    chainward()
        .env("HOME", home)
        .env("npm_config_cache", home.join("npm-cache"))
        .env("CARGO_HOME", home.join("cargo"))
        .env_remove("CHAINWARD_DATABASE_URL")
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

/// The exit code and stdout parsed as JSON (for `--format json` runs).
pub(crate) fn json(out: &Output) -> (i32, Value) {
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), value)
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Records `dir` as `project` at `at`, without integrity checks; the JSON report.
pub(crate) fn record(home: &Path, dir: &Path, project: &str, at: &str) -> Value {
    let out = cw(
        home,
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            project,
            "--at",
            at,
            "--no-integrity",
            "--format",
            "json",
        ],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 0, "{}", stderr(&out));
    v
}

/// `git` with a fixed identity, never reading the user's configuration.
pub(crate) fn git(repo: &Path, args: &[&str], date: &str) {
    let out = std::process::Command::new("git")
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

pub(crate) fn git_head(repo: &Path) -> String {
    let out = std::process::Command::new("git")
        .current_dir(repo)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Commits every change in `repo` at `date`.
pub(crate) fn commit_all(repo: &Path, message: &str, date: &str) -> String {
    git(repo, &["add", "-A"], date);
    git(repo, &["commit", "-q", "-m", message], date);
    git_head(repo)
}

/// A repository whose `web/package-lock.json` goes chalk 5.6.0 (2024-01-01), a commit that
/// changes no lockfile (2024-02-01), chalk 5.6.1 (2024-03-01), chalk 5.6.2 (2024-04-01);
/// `api/package-lock.json` (left-pad 1.3.0) is committed once, first. Returns the repo and
/// the commits that changed a lockfile.
pub(crate) fn history_repo(root: &Path) -> (PathBuf, Vec<String>) {
    let repo = root.join("shop");
    fs_err::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"], "2024-01-01T00:00:00Z");
    write_lock(&repo.join("web"), &[("chalk", "5.6.0", 1)]);
    write_lock(&repo.join("api"), &[("left-pad", "1.3.0", 2)]);
    let c1 = commit_all(&repo, "start", "2024-01-01T00:00:00Z");
    fs_err::write(repo.join("README.md"), "shop\n").unwrap();
    commit_all(&repo, "readme", "2024-02-01T00:00:00Z");
    write_lock(&repo.join("web"), &[("chalk", "5.6.1", 3)]);
    let c3 = commit_all(&repo, "chalk 5.6.1", "2024-03-01T00:00:00Z");
    write_lock(&repo.join("web"), &[("chalk", "5.6.2", 4)]);
    let c4 = commit_all(&repo, "chalk 5.6.2", "2024-04-01T00:00:00Z");
    (repo, vec![c1, c3, c4])
}

#[test]
fn record_stores_a_snapshot_and_reports_what_changed_since_the_previous() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(&dir, &[("chalk", "5.6.0", 1), ("left-pad", "1.3.0", 2)]);
    let first = record(home.path(), &dir, "web", "2025-09-01T00:00:00Z");
    assert_eq!(first["schema_version"], 1);
    assert_eq!(first["snapshot"]["id"], 1);
    assert_eq!(first["snapshot"]["project"], "web");
    assert_eq!(first["snapshot"]["taken_at"], "2025-09-01T00:00:00Z");
    assert_eq!(first["snapshot"]["packages"], 2);
    assert_eq!(first["snapshot"]["branch"], Value::Null);
    assert_eq!(first["previous"], Value::Null);

    write_lock(&dir, &[("chalk", "5.6.1", 3), ("left-pad", "1.3.0", 2)]);
    let second = record(home.path(), &dir, "web", "2025-09-08T12:00:00+02:00");
    assert_eq!(second["snapshot"]["id"], 2);
    assert_eq!(second["snapshot"]["taken_at"], "2025-09-08T10:00:00Z");
    assert_eq!(second["previous"], 1);
    assert_eq!(
        (&second["added"], &second["removed"]),
        (&1.into(), &1.into())
    );
    assert_eq!(second["latest"], true);

    let out = cw(
        home.path(),
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            "web",
            "--no-integrity",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Recorded snapshot 3 of project web"),
        "{text}"
    );
    assert!(
        text.contains("0 package records new or changed, 0 gone since snapshot 2"),
        "{text}"
    );
}

#[test]
fn record_stores_integrity_findings_with_the_snapshot() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    fs_err::create_dir_all(&dir).unwrap();
    // A plain-HTTP download is a hygiene finding (insecure-origin).
    let lock = package_lock(&[("chalk", "5.6.0", 1)])
        .replace("https://registry.npmjs.org", "http://registry.npmjs.org");
    fs_err::write(dir.join("package-lock.json"), lock).unwrap();
    let out = cw(
        home.path(),
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            "web",
            "--format",
            "json",
        ],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert_eq!(v["verification"]["failed"], 1, "{v:#}");
    assert!(stderr(&out).contains("1 packages have integrity findings"));
}

#[test]
fn record_takes_branch_and_commit_from_the_repository() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("repo");
    write_lock(&repo, &[("chalk", "5.6.0", 1)]);
    git(&repo, &["init", "-q"], "2024-01-01T00:00:00Z");
    let head = commit_all(&repo, "one", "2024-01-01T00:00:00Z");
    let v = record(home.path(), &repo, "web", "2024-01-02");
    assert_eq!(v["snapshot"]["branch"], "main");
    assert_eq!(v["snapshot"]["commit"], head.as_str());
    assert_eq!(v["snapshot"]["taken_at"], "2024-01-02T00:00:00Z");

    // A detached HEAD has a commit and no branch; --branch names one.
    git(
        &repo,
        &["checkout", "-q", "--detach"],
        "2024-01-01T00:00:00Z",
    );
    let v = record(home.path(), &repo, "web", "2024-01-03");
    assert_eq!(v["snapshot"]["branch"], Value::Null);
    assert_eq!(v["snapshot"]["commit"], head.as_str());
}

#[test]
fn record_refuses_an_incomplete_inventory_and_records_nothing() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    fs_err::create_dir_all(&dir).unwrap();
    fs_err::write(dir.join("package-lock.json"), "{ not json").unwrap();
    let out = cw(
        home.path(),
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            "web",
            "--no-integrity",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing was recorded"),
        "{}",
        stderr(&out)
    );
    let out = cw(home.path(), &["history", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "No snapshots recorded\n"
    );

    // With --allow-incomplete it is recorded, marked incomplete.
    let out = cw(
        home.path(),
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            "web",
            "--no-integrity",
            "--allow-incomplete",
            "--format",
            "json",
        ],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 0);
    assert_eq!(v["snapshot"]["incomplete"], true);
}

#[test]
fn record_rejects_a_time_that_is_not_rfc3339() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(&dir, &[("chalk", "5.6.0", 1)]);
    let out = cw(
        home.path(),
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            "web",
            "--at",
            "yesterday",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--at `yesterday` is not a time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn import_git_records_each_commit_that_changed_a_lockfile_at_its_time() {
    let home = tempfile::tempdir().unwrap();
    let (repo, commits) = history_repo(home.path());
    let out = cw(
        home.path(),
        &[
            "history",
            "import-git",
            repo.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert_eq!(v["project"], "shop");
    assert_eq!(v["branch"], "main");
    assert_eq!(v["commits"], 3);
    let recorded = v["recorded"].as_array().unwrap();
    let got: Vec<(&str, &str, u64)> = recorded
        .iter()
        .map(|c| {
            (
                c["commit"].as_str().unwrap(),
                c["taken_at"].as_str().unwrap(),
                c["packages"].as_u64().unwrap(),
            )
        })
        .collect();
    // Every snapshot holds both lockfiles, not only the one the commit changed.
    assert_eq!(
        got,
        [
            (commits[0].as_str(), "2024-01-01T00:00:00Z", 2),
            (commits[1].as_str(), "2024-03-01T00:00:00Z", 2),
            (commits[2].as_str(), "2024-04-01T00:00:00Z", 2),
        ]
    );

    // The exposure window of chalk 5.6.1 is the commit that brought it until the one that
    // replaced it.
    let out = cw(
        home.path(),
        &["exposure", "npm:chalk@5.6.1", "--format", "json"],
    );
    let (code, e) = json(&out);
    assert_eq!(code, 1, "{}", stderr(&out));
    let m = &e["matches"][0];
    assert_eq!(e["matches"].as_array().unwrap().len(), 1);
    assert_eq!(m["project"], "shop");
    assert_eq!(m["branch"], "main");
    assert_eq!(m["first_seen"]["taken_at"], "2024-03-01T00:00:00Z");
    assert_eq!(m["first_seen"]["commit"], commits[1].as_str());
    assert_eq!(m["last_seen"]["taken_at"], "2024-03-01T00:00:00Z");
    assert_eq!(m["removed_in"]["taken_at"], "2024-04-01T00:00:00Z");
    assert_eq!(m["removed_in"]["commit"], commits[2].as_str());
    assert_eq!(m["still_present"], false);
    // left-pad, in the other lockfile, is there from the first commit to the latest.
    let out = cw(
        home.path(),
        &["exposure", "pkg:npm/left-pad@1.3.0", "--format", "json"],
    );
    let (_, e) = json(&out);
    let m = &e["matches"][0];
    assert_eq!(m["first_seen"]["taken_at"], "2024-01-01T00:00:00Z");
    assert_eq!(m["last_seen"]["taken_at"], "2024-04-01T00:00:00Z");
    assert_eq!(m["still_present"], true);
    assert_eq!(m["removed_in"], Value::Null);
}

#[test]
fn import_git_again_adds_nothing() {
    let home = tempfile::tempdir().unwrap();
    let (repo, _) = history_repo(home.path());
    let args = [
        "history",
        "import-git",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ];
    let (code, _) = json(&cw(home.path(), &args));
    assert_eq!(code, 0);
    let (code, v) = json(&cw(home.path(), &args));
    assert_eq!(code, 0);
    assert_eq!(v["commits"], 3);
    assert_eq!(v["already_recorded"], 3);
    assert_eq!(v["recorded"].as_array().unwrap().len(), 0);
    let (_, list) = json(&cw(
        home.path(),
        &["history", "list", "--project", "shop", "--format", "json"],
    ));
    assert_eq!(list["snapshots"].as_array().unwrap().len(), 3);

    // A new commit is picked up by the next run, and only it.
    write_lock(&repo.join("web"), &[("chalk", "5.6.3", 5)]);
    let c5 = commit_all(&repo, "chalk 5.6.3", "2024-05-01T00:00:00Z");
    let (_, v) = json(&cw(home.path(), &args));
    assert_eq!(v["recorded"].as_array().unwrap().len(), 1);
    assert_eq!(v["recorded"][0]["commit"], c5.as_str());
}

#[test]
fn import_git_since_records_only_later_commits_with_every_lockfile() {
    let home = tempfile::tempdir().unwrap();
    let (repo, commits) = history_repo(home.path());
    let out = cw(
        home.path(),
        &[
            "history",
            "import-git",
            repo.to_str().unwrap(),
            "--project",
            "shop-recent",
            "--since",
            "2024-03-15",
            "--format",
            "json",
        ],
    );
    let (code, v) = json(&out);
    assert_eq!(code, 0, "{}", stderr(&out));
    assert_eq!(v["project"], "shop-recent");
    assert_eq!(v["recorded"].as_array().unwrap().len(), 1);
    assert_eq!(v["recorded"][0]["commit"], commits[2].as_str());
    // The lockfile committed before --since is still part of the snapshot.
    assert_eq!(v["recorded"][0]["packages"], 2);
}

#[test]
fn import_git_skips_a_commit_whose_lockfile_is_broken_and_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("repo");
    fs_err::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"], "2024-01-01T00:00:00Z");
    fs_err::write(repo.join("package-lock.json"), "{ broken").unwrap();
    commit_all(&repo, "broken", "2024-01-01T00:00:00Z");
    write_lock(&repo, &[("chalk", "5.6.0", 1)]);
    commit_all(&repo, "fixed", "2024-02-01T00:00:00Z");
    let args = [
        "history",
        "import-git",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ];
    let out = cw(home.path(), &args);
    let (code, v) = json(&out);
    assert_eq!(code, 2);
    assert_eq!(v["recorded"].as_array().unwrap().len(), 1);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
    assert!(
        stderr(&out).contains("--allow-incomplete"),
        "{}",
        stderr(&out)
    );
    // --allow-incomplete fills the gap, marked incomplete.
    let mut with = args.to_vec();
    with.push("--allow-incomplete");
    let (code, v) = json(&cw(home.path(), &with));
    assert_eq!(code, 0);
    assert_eq!(v["recorded"].as_array().unwrap().len(), 1);
    assert_eq!(v["recorded"][0]["incomplete"], true);
}

#[test]
fn import_git_of_a_folder_that_is_not_a_repository_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("plain");
    fs_err::create_dir_all(&dir).unwrap();
    let out = cw(
        home.path(),
        &["history", "import-git", dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("find a repository"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn history_list_shows_projects_branches_and_snapshots() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(&dir, &[("chalk", "5.6.0", 1)]);
    record(home.path(), &dir, "web", "2025-01-01T00:00:00Z");
    record(home.path(), &dir, "api", "2025-01-02T00:00:00Z");
    record(home.path(), &dir, "web", "2025-01-03T00:00:00Z");
    let (code, v) = json(&cw(home.path(), &["history", "list", "--format", "json"]));
    assert_eq!(code, 0);
    let streams: Vec<(&str, u64)> = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["project"].as_str().unwrap(),
                s["snapshots"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(streams, [("api", 1), ("web", 2)]);
    let (_, v) = json(&cw(
        home.path(),
        &["history", "list", "--project", "web", "--format", "json"],
    ));
    let ids: Vec<u64> = v["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3]);
}

#[test]
fn a_database_written_by_a_newer_chainward_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("app");
    write_lock(&dir, &[("chalk", "5.6.0", 1)]);
    record(home.path(), &dir, "web", "2025-01-01T00:00:00Z");
    let db = home.path().join("history.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "user_version", v + 1).unwrap();
    }
    for args in [
        &["exposure", "npm:chalk"][..],
        &["drift", "--project", "web"],
        &[
            "record",
            dir.to_str().unwrap(),
            "--project",
            "web",
            "--no-integrity",
        ],
    ] {
        let out = cw(home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("is newer than this chainward supports"),
            "{err}"
        );
        assert!(err.contains("upgrade chainward"), "{err}");
    }
}

#[test]
fn an_unreachable_postgres_server_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let out = chainward()
        .env(
            "CHAINWARD_DATABASE_URL",
            "postgres://chainward:secret@127.0.0.1:1/history",
        )
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "exposure",
            "npm:chalk",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cannot connect to the PostgreSQL history database"),
        "{err}"
    );
    assert!(!err.contains("secret"), "the password leaked: {err}");
}

#[test]
fn a_bad_database_url_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let out = cw(
        home.path(),
        &[
            "exposure",
            "npm:chalk",
            "--database-url",
            "mysql://u:secret@h/db",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("not a history database URL"), "{err}");
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn exposure_and_drift_without_a_history_database_say_so() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["exposure", "npm:chalk"][..],
        &["drift", "--project", "web"],
    ] {
        let out = cw(home.path(), args);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no history database at"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!home.path().join("history.sqlite3").exists());
}

#[test]
fn record_and_exposure_work_on_postgres_when_a_server_is_given() {
    let Ok(url) = std::env::var("CHAINWARD_TEST_POSTGRES_URL") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    // Names no other test uses, so a shared database does not matter.
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let project = format!("e2e-{unique}");
    let package = format!("cw-e2e-{unique}");
    let dir = home.path().join("app");
    write_lock(&dir, &[(package.as_str(), "1.0.0", 1)]);
    let pg = |args: &[&str]| {
        chainward()
            .env("CHAINWARD_DATABASE_URL", &url)
            .args(["--home", home.path().to_str().unwrap()])
            .args(args)
            .output()
            .unwrap()
    };
    for at in ["2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"] {
        let out = pg(&[
            "record",
            dir.to_str().unwrap(),
            "--project",
            &project,
            "--at",
            at,
            "--no-integrity",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let (code, v) = json(&pg(&[
        "exposure",
        &format!("npm:{package}"),
        "--format",
        "json",
    ]));
    assert_eq!(code, 1);
    assert_eq!(v["matches"][0]["project"], project.as_str());
    assert_eq!(
        v["matches"][0]["first_seen"]["taken_at"],
        "2025-01-01T00:00:00Z"
    );
    assert_eq!(
        v["matches"][0]["last_seen"]["taken_at"],
        "2025-02-01T00:00:00Z"
    );
}

#[test]
fn import_git_follows_the_first_parent_history_of_the_branch_through_merges() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("repo");
    fs_err::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"], "2024-01-01T00:00:00Z");
    write_lock(&repo, &[("chalk", "5.6.0", 1)]);
    let c1 = commit_all(&repo, "one", "2024-01-01T00:00:00Z");
    git(
        &repo,
        &["checkout", "-q", "-b", "feature"],
        "2024-01-02T00:00:00Z",
    );
    write_lock(&repo, &[("chalk", "5.6.1", 2)]);
    let c2 = commit_all(&repo, "feature", "2024-01-02T00:00:00Z");
    git(&repo, &["checkout", "-q", "main"], "2024-01-03T00:00:00Z");
    fs_err::write(repo.join("README.md"), "x\n").unwrap();
    commit_all(&repo, "readme", "2024-01-03T00:00:00Z");
    git(
        &repo,
        &["merge", "-q", "--no-ff", "-m", "merge", "feature"],
        "2024-01-04T00:00:00Z",
    );
    let merge = git_head(&repo);
    let commits = |branch: &str| -> Vec<(String, String)> {
        let (code, v) = json(&cw(
            home.path(),
            &[
                "history",
                "import-git",
                repo.to_str().unwrap(),
                "--branch",
                branch,
                "--format",
                "json",
            ],
        ));
        assert_eq!(code, 0);
        assert_eq!(v["branch"], branch);
        v["recorded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["commit"].as_str().unwrap().to_owned(),
                    c["taken_at"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        commits("main"),
        [
            (c1.clone(), "2024-01-01T00:00:00Z".to_owned()),
            (merge, "2024-01-04T00:00:00Z".to_owned())
        ]
    );
    assert_eq!(
        commits("feature"),
        [
            (c1, "2024-01-01T00:00:00Z".to_owned()),
            (c2, "2024-01-02T00:00:00Z".to_owned())
        ]
    );
    let out = cw(
        home.path(),
        &[
            "history",
            "import-git",
            repo.to_str().unwrap(),
            "--branch",
            "nope",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no branch or commit `nope`"),
        "{}",
        stderr(&out)
    );
}
