//! Provenance pins and observations: pin on first sight, replace, upsert observations,
//! order, refuse inconsistent input, and report unreadable rows.

use std::sync::Barrier;

use chainward_store::{
    PinSource, ProvenanceObservation, ProvenancePin, ProvenanceState, StoreError, Timestamp,
};
use chainward_types::{BuildIdentity, Ecosystem};

use crate::TestDb;
use crate::util::t;

crate::conformance!(
    unknown_package_has_no_pin_and_no_observations,
    pin_if_absent_keeps_the_first_pin,
    set_pin_replaces_the_pin,
    pins_every_identity_field_and_normalises_the_name,
    concurrent_pinners_end_with_one_pin,
    observations_upsert_keeping_first_seen,
    observations_are_ordered_by_first_seen_then_version,
    observations_of_one_version_in_one_call_merge_in_order,
    refuses_inconsistent_input_writing_nothing,
    unreadable_provenance_rows_are_errors_naming_the_row,
);

/// An identity built by GitHub Actions from `repo` with `workflow`.
fn identity(repo: &str, workflow: &str) -> BuildIdentity {
    BuildIdentity {
        issuer: Some("https://token.actions.githubusercontent.com".into()),
        repository: Some(format!("https://github.com/{repo}")),
        workflow: Some(workflow.into()),
        trigger: Some("push".into()),
        ..BuildIdentity::default()
    }
}

fn pin(name: &str, version: &str, identity: BuildIdentity, at: Timestamp) -> ProvenancePin {
    ProvenancePin {
        ecosystem: Ecosystem::Npm,
        name: name.into(),
        version: version.into(),
        identity,
        pinned_at: at,
        how: PinSource::FirstSeen,
    }
}

fn seen(
    name: &str,
    version: &str,
    identity: Option<BuildIdentity>,
    at: Timestamp,
) -> ProvenanceObservation {
    ProvenanceObservation {
        ecosystem: Ecosystem::Npm,
        name: name.into(),
        version: version.into(),
        status: if identity.is_some() {
            ProvenanceState::Verified
        } else {
            ProvenanceState::Absent
        },
        identity,
        first_seen: at,
        last_seen: at,
    }
}

pub fn unknown_package_has_no_pin_and_no_observations(db: &TestDb) {
    let mut store = db.open();
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        None
    );
    assert_eq!(
        store
            .provenance_observations(Ecosystem::Npm, "left-pad")
            .unwrap(),
        vec![]
    );
    // Another package's rows are not this one's; nor are another ecosystem's.
    store
        .set_provenance_pin(&pin("right-pad", "1.0.0", identity("a/b", "r.yml"), t(0)))
        .unwrap();
    store
        .observe_provenance(&[seen("right-pad", "1.0.0", None, t(0))])
        .unwrap();
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        None
    );
    assert_eq!(
        store
            .provenance_pin(Ecosystem::CratesIo, "right-pad")
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .provenance_observations(Ecosystem::PyPI, "right-pad")
            .unwrap(),
        vec![]
    );
    // An empty batch writes nothing and is no error.
    store.observe_provenance(&[]).unwrap();
    assert_eq!(db.count("provenance_observation"), 1);
}

pub fn pin_if_absent_keeps_the_first_pin(db: &TestDb) {
    let mut store = db.open();
    let first = pin(
        "left-pad",
        "1.0.0",
        identity("a/left-pad", "release.yml"),
        t(10),
    );
    assert_eq!(store.pin_provenance_if_absent(&first).unwrap(), first);
    let second = pin(
        "left-pad",
        "1.1.0",
        identity("evil/left-pad", "x.yml"),
        t(20),
    );
    assert_eq!(
        store.pin_provenance_if_absent(&second).unwrap(),
        first,
        "the pin in force is the first"
    );
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        Some(first.clone())
    );
    let mut other = db.open();
    assert_eq!(
        other.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        Some(first)
    );
    assert_eq!(db.count("provenance_pin"), 1);
}

pub fn set_pin_replaces_the_pin(db: &TestDb) {
    let mut store = db.open();
    let auto = pin(
        "left-pad",
        "1.0.0",
        identity("a/left-pad", "release.yml"),
        t(10),
    );
    store.set_provenance_pin(&auto).unwrap();
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        Some(auto)
    );
    let user = ProvenancePin {
        how: PinSource::User,
        ..pin(
            "left-pad",
            "2.0.0",
            identity("b/left-pad", "publish.yml"),
            t(30),
        )
    };
    store.set_provenance_pin(&user).unwrap();
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        Some(user.clone())
    );
    // A later first sight does not undo the user's pin.
    let later = pin("left-pad", "2.1.0", identity("c/left-pad", "r.yml"), t(40));
    assert_eq!(store.pin_provenance_if_absent(&later).unwrap(), user);
    assert_eq!(db.count("provenance_pin"), 1);
}

pub fn pins_every_identity_field_and_normalises_the_name(db: &TestDb) {
    let mut store = db.open();
    let full = BuildIdentity {
        issuer: Some("https://token.actions.githubusercontent.com".into()),
        san: Some(
            "https://github.com/pallets/flask-login/.github/workflows/publish.yml@refs/tags/0.6.3"
                .into(),
        ),
        builder: Some("https://github.com/actions/runner/github-hosted".into()),
        repository: Some("https://github.com/pallets/flask-login".into()),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        workflow: Some(".github/workflows/publish.yml".into()),
        git_ref: Some("refs/tags/0.6.3".into()),
        trigger: Some("release".into()),
        runner: Some("github-hosted".into()),
    };
    let given = ProvenancePin {
        ecosystem: Ecosystem::PyPI,
        name: "Flask_Login".into(),
        version: "0.6.3".into(),
        identity: full,
        pinned_at: Timestamp::from_unix_micros(1_767_225_600_123_456),
        how: PinSource::User,
    };
    let normalised = ProvenancePin {
        name: "flask-login".into(),
        ..given.clone()
    };
    assert_eq!(store.pin_provenance_if_absent(&given).unwrap(), normalised);
    for name in ["flask-login", "Flask.Login", "FLASK_LOGIN"] {
        assert_eq!(
            store
                .provenance_pin(Ecosystem::PyPI, name)
                .unwrap()
                .as_ref(),
            Some(&normalised),
            "{name}"
        );
    }
    // Set with another spelling replaces the same pin.
    let replaced = ProvenancePin {
        name: "flask.login".into(),
        version: "0.7.0".into(),
        identity: BuildIdentity::default(),
        ..given
    };
    store.set_provenance_pin(&replaced).unwrap();
    let back = store
        .provenance_pin(Ecosystem::PyPI, "flask-login")
        .unwrap()
        .unwrap();
    assert_eq!(
        (back.name.as_str(), back.version.as_str()),
        ("flask-login", "0.7.0")
    );
    assert_eq!(back.identity, BuildIdentity::default());
    assert_eq!(db.count("provenance_pin"), 1);
}

pub fn concurrent_pinners_end_with_one_pin(db: &TestDb) {
    let threads = 4;
    let packages = 25;
    let barrier = Barrier::new(threads);
    let results: Vec<Vec<ProvenancePin>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|th| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut store = db.open();
                    barrier.wait();
                    (0..packages)
                        .map(|i| {
                            let mine = pin(
                                &format!("pkg-{i}"),
                                &format!("1.0.{th}"),
                                identity(&format!("thread-{th}/pkg-{i}"), "release.yml"),
                                t(th as i64),
                            );
                            store.pin_provenance_if_absent(&mine).unwrap()
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut store = db.open();
    for i in 0..packages {
        let stored = store
            .provenance_pin(Ecosystem::Npm, &format!("pkg-{i}"))
            .unwrap()
            .unwrap();
        for (th, got) in results.iter().enumerate() {
            assert_eq!(got[i], stored, "thread {th}, pkg-{i}");
        }
        let winner = stored.version.strip_prefix("1.0.").unwrap();
        assert_eq!(
            stored.identity,
            identity(&format!("thread-{winner}/pkg-{i}"), "release.yml"),
            "one caller's pin, whole"
        );
    }
    assert_eq!(db.count("provenance_pin"), packages as i64);
}

pub fn observations_upsert_keeping_first_seen(db: &TestDb) {
    let mut store = db.open();
    let id = identity("a/left-pad", "release.yml");
    store
        .observe_provenance(&[seen("left-pad", "1.0.0", None, t(0))])
        .unwrap();
    store
        .observe_provenance(&[seen("left-pad", "1.0.0", Some(id.clone()), t(10))])
        .unwrap();
    let verified = ProvenanceObservation {
        first_seen: t(0),
        ..seen("left-pad", "1.0.0", Some(id), t(10))
    };
    assert_eq!(
        store
            .provenance_observations(Ecosystem::Npm, "left-pad")
            .unwrap(),
        vec![verified]
    );
    // Invalid now: the identity goes, first seen stays.
    let invalid = ProvenanceObservation {
        status: ProvenanceState::Invalid,
        ..seen("left-pad", "1.0.0", None, t(20))
    };
    store
        .observe_provenance(std::slice::from_ref(&invalid))
        .unwrap();
    let mut other = db.open();
    assert_eq!(
        other
            .provenance_observations(Ecosystem::Npm, "left-pad")
            .unwrap(),
        vec![ProvenanceObservation {
            first_seen: t(0),
            ..invalid
        }]
    );
    assert_eq!(db.count("provenance_observation"), 1);
}

pub fn observations_are_ordered_by_first_seen_then_version(db: &TestDb) {
    let mut store = db.open();
    let id = identity("pallets/flask-login", "publish.yml");
    let py = |version: &str, at: i64| ProvenanceObservation {
        ecosystem: Ecosystem::PyPI,
        name: "Flask_Login".into(),
        ..seen("", version, Some(id.clone()), t(at))
    };
    // Versions in byte order at equal times: "10.0" before "9.0", "B" before "a".
    store
        .observe_provenance(&[py("9.0", 20), py("a", 5), py("10.0", 20), py("B", 5)])
        .unwrap();
    store
        .observe_provenance(&[py("0.1", 30), py("0.0.1", 1)])
        .unwrap();
    // Seeing an old version again changes its last seen, not its place.
    store.observe_provenance(&[py("0.0.1", 40)]).unwrap();
    store
        .observe_provenance(&[ProvenanceObservation {
            ecosystem: Ecosystem::Npm,
            name: "flask-login".into(),
            ..seen("", "0.0.0", None, t(0))
        }])
        .unwrap();
    let got = store
        .provenance_observations(Ecosystem::PyPI, "flask.login")
        .unwrap();
    let order: Vec<(&str, i64, i64)> = got
        .iter()
        .map(|o| {
            assert_eq!(o.name, "flask-login");
            assert_eq!(o.ecosystem, Ecosystem::PyPI);
            (
                o.version.as_str(),
                o.first_seen.as_unix_micros() / 1_000_000 - t(0).as_unix_micros() / 1_000_000,
                o.last_seen.as_unix_micros() / 1_000_000 - t(0).as_unix_micros() / 1_000_000,
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("0.0.1", 1, 40),
            ("B", 5, 5),
            ("a", 5, 5),
            ("10.0", 20, 20),
            ("9.0", 20, 20),
            ("0.1", 30, 30),
        ]
    );
}

pub fn observations_of_one_version_in_one_call_merge_in_order(db: &TestDb) {
    let mut store = db.open();
    let id = identity("a/left-pad", "release.yml");
    store
        .observe_provenance(&[
            seen("left-pad", "1.0.0", None, t(5)),
            seen("Left-Pad", "2.0.0", None, t(6)),
            ProvenanceObservation {
                first_seen: t(7),
                ..seen("left-pad", "1.0.0", Some(id.clone()), t(9))
            },
        ])
        .unwrap();
    assert_eq!(
        store
            .provenance_observations(Ecosystem::Npm, "left-pad")
            .unwrap(),
        vec![
            ProvenanceObservation {
                first_seen: t(5),
                ..seen("left-pad", "1.0.0", Some(id), t(9))
            },
            // npm names are case-sensitive: `Left-Pad` is another package.
        ]
    );
    assert_eq!(
        store
            .provenance_observations(Ecosystem::Npm, "Left-Pad")
            .unwrap(),
        vec![seen("Left-Pad", "2.0.0", None, t(6))]
    );
}

pub fn refuses_inconsistent_input_writing_nothing(db: &TestDb) {
    let mut store = db.open();
    let id = identity("a/left-pad", "release.yml");
    let good = seen("left-pad", "1.0.0", None, t(0));
    let cases = [
        (
            ProvenanceObservation {
                status: ProvenanceState::Verified,
                ..seen("left-pad", "1.1.0", None, t(0))
            },
            "status verified needs an identity",
        ),
        (
            ProvenanceObservation {
                status: ProvenanceState::Invalid,
                ..seen("left-pad", "1.1.0", Some(id.clone()), t(0))
            },
            "status invalid cannot have an identity",
        ),
        (
            ProvenanceObservation {
                first_seen: t(10),
                ..seen("left-pad", "1.1.0", None, t(9))
            },
            "last seen (2026-01-01T00:00:09Z) is before first seen (2026-01-01T00:00:10Z)",
        ),
        (
            seen(" ", "1.1.0", None, t(0)),
            "a provenance observation of npm needs a package name",
        ),
    ];
    for (bad, want) in cases {
        let e = store
            .observe_provenance(&[good.clone(), bad.clone()])
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
        assert!(e.to_string().contains(want), "{e}");
    }
    assert_eq!(db.count("provenance_observation"), 0);
    let e = store
        .pin_provenance_if_absent(&pin("", "1.0.0", id.clone(), t(0)))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("a provenance pin of npm needs a package name"),
        "{e}"
    );
    let e = store
        .set_provenance_pin(&pin("", "1.0.0", id, t(0)))
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert_eq!(db.count("provenance_pin"), 0);
}

pub fn unreadable_provenance_rows_are_errors_naming_the_row(db: &TestDb) {
    let mut store = db.open();
    let micros = t(0).as_unix_micros();
    db.execute(&format!(
        "INSERT INTO provenance_pin (ecosystem, name, version, identity, pinned_at, how) VALUES
             ('npm', 'bad-json', '1.0.0', '{{not json', {micros}, 'user'),
             ('npm', 'bad-how', '1.0.0', '{{}}', {micros}, 'guessed');
         INSERT INTO provenance_observation
             (ecosystem, name, version, status, identity, first_seen, last_seen) VALUES
             ('npm', 'bad-status', '1.0.0', 'trusted', NULL, {micros}, {micros}),
             ('npm', 'bad-identity', '1.0.0', 'verified', '[1, 2]', {micros}, {micros}),
             ('npm', 'no-identity', '2.0.0', 'verified', NULL, {micros}, {micros}),
             ('npm', 'stray-identity', '3.0.0', 'absent', '{{}}', {micros}, {micros});"
    ));
    let corrupt = |e: StoreError, want: &str| {
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
        let message = e.to_string();
        assert!(message.contains("stored data is unreadable"), "{message}");
        assert!(message.contains(want), "{message}");
    };
    corrupt(
        store
            .provenance_pin(Ecosystem::Npm, "bad-json")
            .unwrap_err(),
        "provenance_pin (npm, bad-json): the identity is not valid JSON",
    );
    corrupt(
        store.provenance_pin(Ecosystem::Npm, "bad-how").unwrap_err(),
        "provenance_pin (npm, bad-how): how `guessed` is not `first-seen` or `user`",
    );
    // Pinning reads the pin in force: the bad row is reported, not replaced.
    let e = store
        .pin_provenance_if_absent(&pin("bad-how", "2.0.0", BuildIdentity::default(), t(1)))
        .unwrap_err();
    corrupt(e, "provenance_pin (npm, bad-how)");
    for (name, want) in [
        (
            "bad-status",
            "provenance_observation (npm, bad-status, 1.0.0): status `trusted` is not",
        ),
        (
            "bad-identity",
            "provenance_observation (npm, bad-identity, 1.0.0): the identity is not valid JSON",
        ),
        (
            "no-identity",
            "provenance_observation (npm, no-identity, 2.0.0): status verified without an identity",
        ),
        (
            "stray-identity",
            "provenance_observation (npm, stray-identity, 3.0.0): status absent with an identity",
        ),
    ] {
        let e = store
            .provenance_observations(Ecosystem::Npm, name)
            .unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "reading the provenance observations of npm package `{name}`"
            )),
            "{e}"
        );
        corrupt(e, want);
    }
    // A bad row can still be replaced: setting a pin does not read it.
    let good = pin("bad-json", "2.0.0", BuildIdentity::default(), t(2));
    store.set_provenance_pin(&good).unwrap();
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "bad-json").unwrap(),
        Some(good)
    );
}
