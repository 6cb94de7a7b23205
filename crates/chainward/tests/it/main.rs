//! End-to-end tests of the `chainward` binary: arguments, exit codes, outputs.
mod help;
mod inventory;

use std::path::{Path, PathBuf};

/// The binary under test, with a clean environment.
pub(crate) fn chainward() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("chainward").unwrap();
    cmd.env_remove("CHAINWARD_HOME").env_remove("NO_COLOR").env("COLUMNS", "200");
    cmd
}

/// The repository's root folder.
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}
