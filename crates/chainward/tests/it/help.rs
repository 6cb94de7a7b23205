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
