//! `--help` of every command is part of the contract: snapshot it.
use crate::chainward;

fn help(args: &[&str]) -> String {
    let out = chainward().args(args).arg("--help").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&[]));
}

#[test]
fn inventory_help() {
    insta::assert_snapshot!(help(&["inventory"]));
}

#[test]
fn scan_help() {
    insta::assert_snapshot!(help(&["scan"]));
}

#[test]
fn sbom_help() {
    insta::assert_snapshot!(help(&["sbom"]));
}

#[test]
fn db_help() {
    insta::assert_snapshot!(help(&["db"]));
    insta::assert_snapshot!("db_import_help", help(&["db", "import"]));
    insta::assert_snapshot!("db_update_help", help(&["db", "update"]));
    insta::assert_snapshot!("db_status_help", help(&["db", "status"]));
}

#[test]
fn verify_help() {
    insta::assert_snapshot!(help(&["verify"]));
}

#[test]
fn record_help() {
    insta::assert_snapshot!(help(&["record"]));
}

#[test]
fn exposure_help() {
    insta::assert_snapshot!(help(&["exposure"]));
}

#[test]
fn drift_help() {
    insta::assert_snapshot!(help(&["drift"]));
}

#[test]
fn history_help() {
    insta::assert_snapshot!(help(&["history"]));
    insta::assert_snapshot!("history_import_git_help", help(&["history", "import-git"]));
    insta::assert_snapshot!("history_list_help", help(&["history", "list"]));
}
