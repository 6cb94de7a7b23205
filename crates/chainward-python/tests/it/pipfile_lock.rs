//! Tests for `pipfile_lock`: a real pipenv lock (with a hand-added git dependency).
use chainward_python::pipfile_lock;
use chainward_types::{Origin, Scope};
use proptest::prelude::*;

use crate::support::{find, read};

#[test]
fn reads_a_real_pipfile_lock() {
    let lf =
        pipfile_lock::parse(&read("pipfile/v6-develop-git.lock.json"), "Pipfile.lock").unwrap();
    assert_eq!(lf.format, "pipfile-lock-v6");
    assert!(lf.warnings.is_empty(), "{:?}", lf.warnings);
    let names: Vec<_> = lf.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["idna", "six", "ike", "iniconfig"],
        "`app` (path \".\") is the project itself"
    );
    let six = find(&lf, "six", "1.16.0");
    assert!(six.scopes.is_empty(), "in default and develop: production");
    assert_eq!(
        six.locations.iter().map(|l| l.line).collect::<Vec<_>>(),
        [Some(32), Some(56)]
    );
    assert_eq!(six.hashes.len(), 2);
    assert_eq!(
        find(&lf, "iniconfig", "2.0.0")
            .scopes
            .iter()
            .collect::<Vec<_>>(),
        [&Scope::Dev]
    );
    let ike = find(&lf, "ike", "");
    assert_eq!(
        ike.origin,
        Origin::Git {
            url: "https://github.com/dzshn/ike".into(),
            commit: Some("cd66602cd29f61a2d2e7fb995fef1e61708c034d".into()),
            reference: None
        }
    );
    assert_eq!(ike.locations[0].line, Some(43));
    assert!(
        lf.packages.iter().all(|p| !p.direct),
        "the lock does not tell"
    );
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let _ = pipfile_lock::parse(&s, "Pipfile.lock");
    }

    #[test]
    fn never_panics_on_mutated_real_file(pos in 0usize..3000, byte in any::<u8>()) {
        let mut bytes = read("pipfile/v6-develop-git.lock.json").into_bytes();
        let i = pos % bytes.len();
        bytes[i] = byte;
        let _ = pipfile_lock::parse(&String::from_utf8_lossy(&bytes), "Pipfile.lock");
    }
}
