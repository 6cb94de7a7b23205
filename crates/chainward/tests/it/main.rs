//! End-to-end tests of the `chainward` binary: arguments, exit codes, outputs.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod drift;
mod exposure;
mod help;
mod history;
mod inventory;
mod malicious;
mod provenance;
mod sbom;
mod scan;
mod verify;

use std::path::{Path, PathBuf};

/// The binary under test, with a clean environment.
pub(crate) fn chainward() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("chainward").unwrap();
    // Caches are the machine's: point them nowhere so results do not depend on what this
    // machine happens to have downloaded (tests that need a cache pass one explicitly).
    cmd.env_remove("CHAINWARD_HOME")
        .env_remove("CHAINWARD_DATABASE_URL")
        .env("CARGO_HOME", "/nonexistent/chainward-test/cargo")
        .env("npm_config_cache", "/nonexistent/chainward-test/npm")
        .env("YARN_GLOBAL_FOLDER", "/nonexistent/chainward-test/yarn")
        .env_remove("NO_COLOR")
        .env("COLUMNS", "200");
    cmd
}

/// The repository's root folder.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A data directory with the demo's advisories imported.
pub(crate) fn demo_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    chainward()
        .current_dir(repo_root())
        .args([
            "--home",
            home.path().to_str().unwrap(),
            "db",
            "import",
            "examples/demo/advisories",
        ])
        .assert()
        .code(0);
    home
}
