//! Known-malicious releases in every supported format: a lockfile (or installed tree) that
//! pins a version listed in an OpenSSF malicious-packages (MAL) record is flagged with that
//! record, at the right file and line; the same file with a safe version is not.
//!
//! Fixtures: `tests/fixtures/malicious/` (see its README). Each format has its own folder,
//! scanned on its own.
use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::{chainward, repo_root};

/// The fixture folder, relative to the repository's root.
const FIXTURES: &str = "crates/chainward/tests/fixtures/malicious";

/// A release named by a MAL record, and a release of the same package that is not.
struct Mal {
    ecosystem: &'static str,
    name: &'static str,
    version: &'static str,
    safe: &'static str,
    purl: &'static str,
    id: &'static str,
}

const CHALK: Mal = Mal {
    ecosystem: "npm",
    name: "chalk",
    version: "5.6.1",
    safe: "5.6.0",
    purl: "pkg:npm/chalk@5.6.1",
    id: "MAL-2025-46969",
};

const ARRAYREF: Mal = Mal {
    ecosystem: "crates.io",
    name: "arrayref",
    version: "0.3.10",
    safe: "0.3.9",
    purl: "pkg:cargo/arrayref@0.3.10",
    id: "MAL-2026-14336",
};

const NUM2WORDS: Mal = Mal {
    ecosystem: "PyPI",
    name: "num2words",
    version: "0.5.15",
    safe: "0.5.14",
    purl: "pkg:pypi/num2words@0.5.15",
    id: "MAL-2025-6794",
};

/// One format's fixture and what the scan must report for it.
struct Case {
    /// The folder under [`FIXTURES`] that is scanned.
    dir: &'static str,
    /// The source the walker finds, relative to `dir`.
    source: &'static str,
    /// The source's format, as reported.
    format: &'static str,
    /// The finding's location, relative to `dir`.
    location: &'static str,
    /// The whole (trimmed) text of the finding's line, which must occur once in the
    /// location's file; `None` where the format records no line.
    line: Option<&'static str>,
    /// The malicious release in the fixture.
    mal: &'static Mal,
}

/// A data directory with the fixture's MAL records imported.
fn malicious_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let out = chainward()
        .current_dir(repo_root())
        .args(["--home", home.path().to_str().unwrap(), "db", "import"])
        .arg(format!("{FIXTURES}/advisories"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("3 added, 0 updated, 0 unchanged"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    home
}

/// `chainward scan PATH --format json` (run from the repository's root), its exit code and
/// report.
fn scan(home: &tempfile::TempDir, path: &Path) -> (Option<i32>, Value) {
    let out = chainward()
        .current_dir(repo_root())
        .args(["--home", home.path().to_str().unwrap(), "scan"])
        .arg(path)
        // These cases are about matching known-malicious releases in every format; the
        // fixtures are minimal, not faithful installs (integrity has its own tests).
        .args(["--format", "json", "--no-integrity"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

/// The 1-based number of the one line of `file` whose trimmed text is `text`.
fn line_of(file: &Path, text: &str) -> u64 {
    let content = fs::read_to_string(file).unwrap();
    let lines: Vec<usize> = content
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == text)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{}: lines {lines:?} read `{text}`",
        file.display()
    );
    u64::try_from(lines[0]).unwrap()
}

/// Copies the folder `from` to `to`, replacing `old` by `new` in every file's text and in
/// every file and folder name.
fn copy_replacing(from: &Path, to: &Path, old: &str, new: &str) -> usize {
    fs::create_dir_all(to).unwrap();
    let mut replaced = 0;
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_str().unwrap().replace(old, new);
        let target = to.join(name);
        if entry.file_type().unwrap().is_dir() {
            replaced += copy_replacing(&entry.path(), &target, old, new);
        } else {
            let text = fs::read_to_string(entry.path()).unwrap();
            replaced += text.matches(old).count();
            fs::write(target, text.replace(old, new)).unwrap();
        }
    }
    replaced
}

fn check(case: &Case) {
    let home = malicious_home();
    let dir = format!("{FIXTURES}/{}", case.dir);
    let mal = case.mal;

    // The malicious release is flagged, once, with its record.
    let (code, v) = scan(&home, Path::new(&dir));
    assert_eq!(code, Some(1), "{}: {v:#}", case.dir);
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{}: {v:#}", case.dir);
    assert_eq!(sources[0]["path"], format!("{dir}/{}", case.source));
    assert_eq!(sources[0]["format"], case.format);
    assert_eq!(sources[0]["status"], "ok", "{}: {v:#}", case.dir);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}: {v:#}", case.dir);
    let finding = &findings[0];
    assert_eq!(finding["code"], "known-malicious");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(
        finding["package"],
        json!({
            "ecosystem": mal.ecosystem,
            "name": mal.name,
            "version": mal.version,
            "purl": mal.purl,
        })
    );
    assert_eq!(finding["advisory"]["id"], mal.id);
    let locations = finding["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1, "{}: {locations:?}", case.dir);
    assert_eq!(locations[0]["path"], format!("{dir}/{}", case.location));
    match case.line {
        Some(text) => {
            let file = repo_root().join(&dir).join(case.location);
            assert_eq!(
                locations[0]["line"],
                line_of(&file, text),
                "{}: the finding's line should read `{text}`",
                case.dir
            );
        }
        None => assert!(locations[0].get("line").is_none(), "{locations:?}"),
    }
    let packages = v["summary"]["packages"].as_u64().unwrap();
    assert!(packages >= 2, "{}: {v:#}", case.dir);

    // The same file with the safe release: nothing to report.
    let tmp = tempfile::tempdir().unwrap();
    let safe_dir = tmp.path().join(case.dir);
    let replaced = copy_replacing(&repo_root().join(&dir), &safe_dir, mal.version, mal.safe);
    assert!(
        replaced > 0,
        "{}: no `{}` to replace",
        case.dir,
        mal.version
    );
    let (code, v) = scan(&home, &safe_dir);
    assert_eq!(code, Some(0), "{} (safe): {v:#}", case.dir);
    assert_eq!(v["findings"], json!([]), "{} (safe)", case.dir);
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{} (safe): {v:#}", case.dir);
    assert_eq!(sources[0]["status"], "ok", "{} (safe): {v:#}", case.dir);
    assert_eq!(
        v["summary"]["packages"], packages,
        "{} (safe): the same packages are read",
        case.dir
    );
}

/// One test per format.
macro_rules! cases {
    ($($test:ident: $case:expr;)*) => {
        $(
            #[test]
            fn $test() {
                check(&$case);
            }
        )*
    };
}

cases! {
    npm_package_lock_v1: Case {
        dir: "npm-v1",
        source: "package-lock.json",
        format: "npm-package-lock-v1",
        location: "package-lock.json",
        line: Some(r#""chalk": {"#),
        mal: &CHALK,
    };
    npm_package_lock_v2: Case {
        dir: "npm-v2",
        source: "package-lock.json",
        format: "npm-package-lock-v2",
        location: "package-lock.json",
        line: Some(r#""node_modules/chalk": {"#),
        mal: &CHALK,
    };
    npm_package_lock_v3: Case {
        dir: "npm-v3",
        source: "package-lock.json",
        format: "npm-package-lock-v3",
        location: "package-lock.json",
        line: Some(r#""node_modules/chalk": {"#),
        mal: &CHALK,
    };
    npm_shrinkwrap: Case {
        dir: "npm-shrinkwrap",
        source: "npm-shrinkwrap.json",
        format: "npm-shrinkwrap-v3",
        location: "npm-shrinkwrap.json",
        line: Some(r#""node_modules/chalk": {"#),
        mal: &CHALK,
    };
    yarn_v1: Case {
        dir: "yarn-v1",
        source: "yarn.lock",
        format: "yarn-v1",
        location: "yarn.lock",
        line: Some("chalk@5.6.1:"),
        mal: &CHALK,
    };
    yarn_berry: Case {
        dir: "yarn-berry",
        source: "yarn.lock",
        format: "yarn-berry-v8",
        location: "yarn.lock",
        line: Some(r#""chalk@npm:5.6.1":"#),
        mal: &CHALK,
    };
    pnpm_v5_4: Case {
        dir: "pnpm-v5.4",
        source: "pnpm-lock.yaml",
        format: "pnpm-v5.4",
        location: "pnpm-lock.yaml",
        line: Some("/chalk/5.6.1:"),
        mal: &CHALK,
    };
    pnpm_v6: Case {
        dir: "pnpm-v6",
        source: "pnpm-lock.yaml",
        format: "pnpm-v6.0",
        location: "pnpm-lock.yaml",
        line: Some("/chalk@5.6.1:"),
        mal: &CHALK,
    };
    pnpm_v9: Case {
        dir: "pnpm-v9",
        source: "pnpm-lock.yaml",
        format: "pnpm-v9.0",
        location: "pnpm-lock.yaml",
        line: Some("chalk@5.6.1:"),
        mal: &CHALK,
    };
    bun: Case {
        dir: "bun",
        source: "bun.lock",
        format: "bun-lock-v1",
        location: "bun.lock",
        line: Some(
            r#""chalk": ["chalk@5.6.1", "", {}, "sha512-lC7j+ZuUUmJwgbMNQ97GbqSM8HsU1M1I8+oiM6ZkoCeL0R4FhW9SemqVHanO8RylziMwGyOzGeKgPmzxgopwBw=="],"#,
        ),
        mal: &CHALK,
    };
    node_modules: Case {
        dir: "node-modules",
        source: "node_modules",
        format: "node-modules",
        location: "node_modules/chalk/package.json",
        line: None,
        mal: &CHALK,
    };
    cargo_lock: Case {
        dir: "cargo",
        source: "Cargo.lock",
        format: "cargo-lock-v4",
        location: "Cargo.lock",
        line: Some(r#"name = "arrayref""#),
        mal: &ARRAYREF,
    };
    cargo_vendor: Case {
        dir: "cargo-vendor",
        source: "vendor",
        format: "cargo-vendor",
        location: "vendor/arrayref/Cargo.toml",
        line: Some(r#"name = "arrayref""#),
        mal: &ARRAYREF,
    };
    requirements_txt: Case {
        dir: "requirements",
        source: "requirements.txt",
        format: "requirements",
        location: "requirements.txt",
        line: Some(r"num2words==0.5.15 \"),
        mal: &NUM2WORDS,
    };
    poetry_lock: Case {
        dir: "poetry",
        source: "poetry.lock",
        format: "poetry-lock-v2.1",
        location: "poetry.lock",
        line: Some(r#"name = "num2words""#),
        mal: &NUM2WORDS,
    };
    uv_lock: Case {
        dir: "uv",
        source: "uv.lock",
        format: "uv-lock-v1",
        location: "uv.lock",
        line: Some(r#"name = "num2words""#),
        mal: &NUM2WORDS,
    };
    pipfile_lock: Case {
        dir: "pipfile",
        source: "Pipfile.lock",
        format: "pipfile-lock-v6",
        location: "Pipfile.lock",
        line: Some(r#""num2words": {"#),
        mal: &NUM2WORDS,
    };
    site_packages: Case {
        dir: "python-venv",
        source: "venv/lib/python3.11/site-packages",
        format: "site-packages",
        location: "venv/lib/python3.11/site-packages/num2words-0.5.15.dist-info/METADATA",
        line: None,
        mal: &NUM2WORDS,
    };
}
