//! What every backend must do: record, read back, list, share, answer exposure queries.

use std::collections::BTreeSet;

use chainward_store::{
    BranchFilter, NewSnapshot, PackageRecord, SCHEMA_VERSION, SnapshotId, SnapshotQuery,
    StoreError, Verification, VerificationOutcome,
};
use chainward_types::{Ecosystem, HashAlgorithm, Origin, Package, Scope};

use crate::util::{generation, normalized, npm, pkg, sha256, snap, t};
use crate::{Backend, TestDb};

crate::conformance!(
    records_and_reads_back_every_field,
    empty_snapshot_and_unknown_ids,
    lists_snapshots_streams_latest_and_previous,
    shares_packages_between_snapshots,
    republished_version_with_other_hashes_is_another_package,
    out_of_order_snapshot_splits_and_joins_spans,
    exposure_reports_first_last_and_presence_per_branch,
    exposure_normalises_the_name,
    package_keys_list_every_version_ever_stored,
    state_round_trips,
    rejects_a_snapshot_without_project,
    reopening_keeps_data_and_schema_version,
);

fn rich_packages() -> Vec<PackageRecord> {
    let mut a = npm("@scope/left-pad", "1.3.0");
    a.hashes = vec![sha256(0xbb), sha256(0xaa), sha256(0xaa)];
    a.scopes = BTreeSet::from([Scope::Dev, Scope::Optional]);
    a.direct = true;
    a.paths = BTreeSet::from([
        "package-lock.json".to_owned(),
        "web/package-lock.json".into(),
    ]);
    a.verification = vec![
        Verification {
            check: "npm-provenance".into(),
            outcome: VerificationOutcome::Unchecked,
            detail: Some("offline".into()),
        },
        Verification {
            check: "integrity".into(),
            outcome: VerificationOutcome::Passed,
            detail: None,
        },
    ];
    let git = PackageRecord::from_package(&Package::new(
        Ecosystem::CratesIo,
        "serde",
        "1.0.200",
        Origin::Git {
            url: "https://github.com/serde-rs/serde".into(),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            reference: Some("main".into()),
        },
    ));
    let mut unpinned = pkg(Ecosystem::PyPI, "Flask_Login", "");
    unpinned.constraint = Some(">=0.6".into());
    unpinned.groups = BTreeSet::from(["dev".to_owned()]);
    unpinned.bundled = true;
    let mut hashed = pkg(Ecosystem::PyPI, "requests", "2.32.3");
    hashed.hashes.push(chainward_types::Hash {
        algorithm: HashAlgorithm::Sha256,
        hex: "cd".repeat(32),
        artifact: Some("requests-2.32.3-py3-none-any.whl".into()),
    });
    vec![a.clone(), git, unpinned, hashed, a]
}

pub fn records_and_reads_back_every_field(db: &TestDb) {
    let mut store = db.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mut s = snap("web", Some("main"), t(100), rich_packages());
    s.commit = Some("a".repeat(40));
    s.host = Some("ci-runner-7".into());
    s.incomplete = true;
    let rec = store.record(&s).unwrap();
    assert_eq!(rec.packages, 4, "the duplicate is one record");
    assert_eq!((rec.added, rec.removed, rec.previous), (4, 0, None));
    assert!(rec.latest);

    let info = store.snapshot(rec.id).unwrap().unwrap();
    assert_eq!(info.id, rec.id);
    assert_eq!(info.project, "web");
    assert_eq!(info.branch.as_deref(), Some("main"));
    assert_eq!(info.commit.as_deref(), Some("a".repeat(40).as_str()));
    assert_eq!(info.host.as_deref(), Some("ci-runner-7"));
    assert_eq!(info.taken_at, t(100));
    assert!(info.incomplete);
    assert_eq!(info.packages, 4);
    assert!(info.recorded_at.as_unix_micros() > 0);

    let back = store.packages(rec.id).unwrap().unwrap();
    assert_eq!(back, normalized(rich_packages()));
    let pad = back.iter().find(|p| p.name == "@scope/left-pad").unwrap();
    assert_eq!(
        pad.hashes,
        vec![sha256(0xaa), sha256(0xbb)],
        "sorted, deduplicated"
    );
    assert_eq!(pad.verification[0].check, "integrity", "sorted");
    assert!(
        back.iter()
            .any(|p| p.name == "flask-login" && p.version.is_empty())
    );
}

pub fn empty_snapshot_and_unknown_ids(db: &TestDb) {
    let mut store = db.open();
    let rec = store.record(&snap("p", None, t(0), vec![])).unwrap();
    assert_eq!(store.packages(rec.id).unwrap(), Some(vec![]));
    let unknown = SnapshotId::from_i64(rec.id.as_i64() + 1000);
    assert_eq!(store.packages(unknown).unwrap(), None);
    assert_eq!(store.snapshot(unknown).unwrap(), None);
    assert_eq!(store.previous(unknown).unwrap(), None);
    assert_eq!(store.previous(rec.id).unwrap(), None);
    let rec2 = store
        .record(&snap("p", None, t(1), vec![npm("a", "1")]))
        .unwrap();
    assert_eq!((rec2.added, rec2.removed), (1, 0));
    let rec3 = store.record(&snap("p", None, t(2), vec![])).unwrap();
    assert_eq!((rec3.added, rec3.removed), (0, 1));
    assert_eq!(store.packages(rec3.id).unwrap(), Some(vec![]));
    assert_eq!(store.packages(rec2.id).unwrap().unwrap().len(), 1);
    assert_eq!(store.snapshot(rec.id).unwrap().unwrap().branch, None);
}

pub fn lists_snapshots_streams_latest_and_previous(db: &TestDb) {
    let mut store = db.open();
    let a1 = store
        .record(&snap("a", Some("main"), t(10), vec![]))
        .unwrap()
        .id;
    let a3 = store
        .record(&snap("a", Some("main"), t(30), vec![]))
        .unwrap()
        .id;
    let a2 = store
        .record(&snap("a", Some("main"), t(20), vec![]))
        .unwrap();
    assert!(!a2.latest, "recorded in the past");
    assert_eq!(a2.previous, Some(a1));
    let a2 = a2.id;
    let af = store
        .record(&snap("a", Some("feature"), t(25), vec![]))
        .unwrap()
        .id;
    let an = store.record(&snap("a", None, t(5), vec![])).unwrap().id;
    let b1 = store.record(&snap("b", None, t(15), vec![])).unwrap().id;
    // Same time as a3: ordered after it, by recording order.
    let a4 = store
        .record(&snap("a", Some("main"), t(30), vec![]))
        .unwrap()
        .id;

    let ids =
        |v: Vec<chainward_store::SnapshotInfo>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let all = store.snapshots(&SnapshotQuery::default()).unwrap();
    assert_eq!(ids(all), vec![an, a1, b1, a2, af, a3, a4]);
    let main = SnapshotQuery {
        project: Some("a".into()),
        branch: BranchFilter::Only(Some("main".into())),
        ..SnapshotQuery::default()
    };
    assert_eq!(ids(store.snapshots(&main).unwrap()), vec![a1, a2, a3, a4]);
    let no_branch = SnapshotQuery {
        project: Some("a".into()),
        branch: BranchFilter::Only(None),
        ..SnapshotQuery::default()
    };
    assert_eq!(ids(store.snapshots(&no_branch).unwrap()), vec![an]);
    let window = SnapshotQuery {
        since: Some(t(15)),
        until: Some(t(25)),
        ..SnapshotQuery::default()
    };
    assert_eq!(ids(store.snapshots(&window).unwrap()), vec![b1, a2, af]);
    let last_two = SnapshotQuery {
        limit: Some(2),
        ..main.clone()
    };
    assert_eq!(ids(store.snapshots(&last_two).unwrap()), vec![a3, a4]);

    let latest = |s: &mut Box<dyn chainward_store::Store>, b: BranchFilter| {
        s.latest("a", &b).unwrap().map(|s| s.id)
    };
    assert_eq!(latest(&mut store, BranchFilter::Any), Some(a4));
    assert_eq!(
        latest(&mut store, BranchFilter::Only(Some("feature".into()))),
        Some(af)
    );
    assert_eq!(latest(&mut store, BranchFilter::Only(None)), Some(an));
    assert_eq!(
        latest(&mut store, BranchFilter::Only(Some("x".into()))),
        None
    );
    assert_eq!(store.latest("nope", &BranchFilter::Any).unwrap(), None);

    assert_eq!(store.previous(a3).unwrap().map(|s| s.id), Some(a2));
    assert_eq!(store.previous(a2).unwrap().map(|s| s.id), Some(a1));
    assert_eq!(store.previous(a4).unwrap().map(|s| s.id), Some(a3));
    assert_eq!(store.previous(af).unwrap(), None);

    let streams = store.streams(None).unwrap();
    let summary: Vec<(String, Option<String>, u64, Option<SnapshotId>)> = streams
        .into_iter()
        .map(|s| (s.project, s.branch, s.snapshots, s.latest.map(|l| l.id)))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("a".into(), None, 1, Some(an)),
            ("a".into(), Some("feature".into()), 1, Some(af)),
            ("a".into(), Some("main".into()), 4, Some(a4)),
            ("b".into(), None, 1, Some(b1)),
        ]
    );
    assert_eq!(store.streams(Some("b")).unwrap().len(), 1);
}

pub fn shares_packages_between_snapshots(db: &TestDb) {
    let mut store = db.open();
    let n = 300;
    let rounds = 40;
    let mut distinct = BTreeSet::new();
    for i in 0..rounds {
        let packages = generation(n, i);
        for p in &packages {
            distinct.insert((p.name.clone(), p.version.clone()));
        }
        let rec = store
            .record(&snap("big", Some("main"), t(i as i64), packages))
            .unwrap();
        assert_eq!(rec.packages, n as u64);
        if i > 0 {
            assert!(rec.added <= 14 && rec.added == rec.removed, "{rec:?}");
        }
    }
    assert_eq!(db.count("snapshot"), rounds as i64);
    assert_eq!(
        db.count("package"),
        distinct.len() as i64,
        "each package stored once"
    );
    assert_eq!(db.count("entry"), distinct.len() as i64);
    // A few spans per changed package, not one row per snapshot and package.
    let spans = db.count("span");
    assert!(spans < (n + rounds * 14) as i64, "{spans} spans");
    for i in [0, 17, rounds - 1] {
        let id = store
            .snapshots(&SnapshotQuery {
                since: Some(t(i as i64)),
                until: Some(t(i as i64)),
                ..SnapshotQuery::default()
            })
            .unwrap()[0]
            .id;
        assert_eq!(
            store.packages(id).unwrap().unwrap(),
            normalized(generation(n, i))
        );
    }
}

pub fn republished_version_with_other_hashes_is_another_package(db: &TestDb) {
    let mut store = db.open();
    let mut first = npm("event-stream", "3.3.6");
    first.hashes = vec![sha256(1)];
    let mut second = first.clone();
    second.hashes = vec![sha256(2)];
    store
        .record(&snap("p", None, t(0), vec![first.clone()]))
        .unwrap();
    let rec = store
        .record(&snap("p", None, t(1), vec![second.clone()]))
        .unwrap();
    assert_eq!((rec.added, rec.removed), (1, 1));
    let exp = store.exposure(Ecosystem::Npm, "event-stream").unwrap();
    assert_eq!(exp.len(), 2);
    assert_eq!(exp[0].package.version, exp[1].package.version);
    assert_ne!(exp[0].package.id, exp[1].package.id);
    let hashes: BTreeSet<_> = exp.iter().map(|e| e.package.hashes.clone()).collect();
    assert_eq!(hashes, BTreeSet::from([vec![sha256(1)], vec![sha256(2)]]));
    assert_eq!(exp.iter().filter(|e| e.in_latest).count(), 1);
    assert_eq!(db.count("package"), 2);
    // A change of scope alone is the same package, held differently.
    let mut dev = second.clone();
    dev.scopes.insert(Scope::Dev);
    store.record(&snap("p", None, t(2), vec![dev])).unwrap();
    assert_eq!(db.count("package"), 2);
    let exp = store.exposure(Ecosystem::Npm, "event-stream").unwrap();
    let latest = exp.iter().find(|e| e.in_latest).unwrap();
    assert_eq!(latest.spans.len(), 2, "one span per way of holding it");
    assert_eq!(latest.first_seen.taken_at, t(1));
    assert_eq!(latest.last_seen.taken_at, t(2));
}

pub fn out_of_order_snapshot_splits_and_joins_spans(db: &TestDb) {
    let mut store = db.open();
    let (a, b, c) = (npm("a", "1"), npm("b", "1"), npm("c", "1"));
    // a in every snapshot; b at 10 and 30; c at 10 only.
    let s10 = store
        .record(&snap(
            "p",
            None,
            t(10),
            vec![a.clone(), b.clone(), c.clone()],
        ))
        .unwrap()
        .id;
    let s30 = store
        .record(&snap("p", None, t(30), vec![a.clone(), b.clone()]))
        .unwrap()
        .id;
    // At 20, without b: b's span splits; with c: c's span extends.
    let s20 = store
        .record(&snap("p", None, t(20), vec![a.clone(), c.clone()]))
        .unwrap();
    assert!(!s20.latest);
    assert_eq!(s20.previous, Some(s10));
    assert_eq!((s20.added, s20.removed), (0, 1));
    let s20 = s20.id;
    // At 25 with b and c: b's later span starts earlier, c's extends.
    let s25 = store
        .record(&snap(
            "p",
            None,
            t(25),
            vec![a.clone(), b.clone(), c.clone()],
        ))
        .unwrap()
        .id;
    // At 5, before everything, with c: c's span starts earlier.
    let s5 = store
        .record(&snap("p", None, t(5), vec![c.clone()]))
        .unwrap()
        .id;
    // At 15, with b: b's two spans 10 and 25..30 do not join (20 lacks b).
    let s15 = store
        .record(&snap(
            "p",
            None,
            t(15),
            vec![a.clone(), b.clone(), c.clone()],
        ))
        .unwrap()
        .id;
    let expect = [
        (s5, vec![c.clone()]),
        (s10, vec![a.clone(), b.clone(), c.clone()]),
        (s15, vec![a.clone(), b.clone(), c.clone()]),
        (s20, vec![a.clone(), c.clone()]),
        (s25, vec![a.clone(), b.clone(), c.clone()]),
        (s30, vec![a.clone(), b.clone()]),
    ];
    for (id, want) in &expect {
        assert_eq!(
            store.packages(*id).unwrap().unwrap(),
            normalized(want.clone()),
            "snapshot {id}"
        );
    }
    let spans = |store: &mut Box<dyn chainward_store::Store>, name: &str| {
        let e = store.exposure(Ecosystem::Npm, name).unwrap();
        assert_eq!(e.len(), 1);
        e[0].spans
            .iter()
            .map(|s| (s.first.id, s.last.id, s.in_latest))
            .collect::<Vec<_>>()
    };
    assert_eq!(spans(&mut store, "a"), vec![(s10, s30, true)]);
    assert_eq!(
        spans(&mut store, "b"),
        vec![(s10, s15, false), (s25, s30, true)]
    );
    assert_eq!(spans(&mut store, "c"), vec![(s5, s25, false)]);
    // At 27, without c: c still ends at 25; b and a go on.
    let s27 = store
        .record(&snap("p", None, t(27), vec![a.clone(), b.clone()]))
        .unwrap()
        .id;
    assert_eq!(spans(&mut store, "c"), vec![(s5, s25, false)]);
    assert_eq!(
        spans(&mut store, "b"),
        vec![(s10, s15, false), (s25, s30, true)]
    );
    // At 35 (the new latest) without a: a closes at 30.
    let s35 = store
        .record(&snap("p", None, t(35), vec![b.clone()]))
        .unwrap();
    assert!(s35.latest);
    assert_eq!(spans(&mut store, "a"), vec![(s10, s30, false)]);
    let e = store.exposure(Ecosystem::Npm, "a").unwrap();
    assert!(!e[0].in_latest);
    assert_eq!(e[0].last_seen.id, s30);
    let inside: Vec<SnapshotId> = store
        .snapshots_in(&e[0].spans[0])
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(inside, vec![s10, s15, s20, s25, s27, s30]);
    // a: one span; b: two; c: one. Nothing else was ever written.
    assert_eq!(db.count("span") as usize, 1 + 2 + 1);
}

pub fn exposure_reports_first_last_and_presence_per_branch(db: &TestDb) {
    let mut store = db.open();
    let lodash = |v: &str| npm("lodash", v);
    let r = |s: &mut Box<dyn chainward_store::Store>,
             p: &str,
             b: Option<&str>,
             at: i64,
             v: Vec<_>,
             commit: &str| {
        let mut x = snap(p, b, t(at), v);
        x.commit = Some(commit.into());
        s.record(&x).unwrap().id
    };
    let m1 = r(
        &mut store,
        "web",
        Some("main"),
        1,
        vec![lodash("4.17.20")],
        "c1",
    );
    let m2 = r(
        &mut store,
        "web",
        Some("main"),
        2,
        vec![lodash("4.17.21")],
        "c2",
    );
    let m3 = r(
        &mut store,
        "web",
        Some("main"),
        3,
        vec![lodash("4.17.21")],
        "c3",
    );
    let f1 = r(
        &mut store,
        "web",
        Some("old"),
        1,
        vec![lodash("4.17.20")],
        "c4",
    );
    let o1 = r(
        &mut store,
        "api",
        None,
        2,
        vec![lodash("4.17.20"), npm("other", "1")],
        "c5",
    );
    let o2 = r(&mut store, "api", None, 3, vec![npm("other", "1")], "c6");

    let exp = store.exposure(Ecosystem::Npm, "lodash").unwrap();
    let got: Vec<_> = exp
        .iter()
        .map(|e| {
            (
                e.project.as_str(),
                e.branch.as_deref(),
                e.package.version.as_str(),
                e.first_seen.id,
                e.last_seen.id,
                e.in_latest,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("api", None, "4.17.20", o1, o1, false),
            ("web", Some("main"), "4.17.20", m1, m1, false),
            ("web", Some("main"), "4.17.21", m2, m3, true),
            ("web", Some("old"), "4.17.20", f1, f1, true),
        ]
    );
    let main21 = &exp[2];
    assert_eq!(main21.first_seen.commit.as_deref(), Some("c2"));
    assert_eq!(main21.last_seen.commit.as_deref(), Some("c3"));
    assert_eq!(main21.last_seen.taken_at, t(3));
    assert_eq!(main21.package.purl, "pkg:npm/lodash@4.17.21");
    assert_eq!(main21.package.origin, Origin::registry());
    let _ = o2;
    assert!(
        store
            .exposure(Ecosystem::Npm, "nothing")
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .exposure(Ecosystem::PyPI, "lodash")
            .unwrap()
            .is_empty()
    );
}

pub fn exposure_normalises_the_name(db: &TestDb) {
    let mut store = db.open();
    store
        .record(&snap(
            "py",
            None,
            t(0),
            vec![pkg(Ecosystem::PyPI, "Zope.Interface", "6.0")],
        ))
        .unwrap();
    let exp = store.exposure(Ecosystem::PyPI, "zope_interface").unwrap();
    assert_eq!(exp.len(), 1);
    assert_eq!(exp[0].package.name, "zope-interface");
}

pub fn package_keys_list_every_version_ever_stored(db: &TestDb) {
    let mut store = db.open();
    let mut h = npm("a", "1");
    h.hashes = vec![sha256(9)];
    store
        .record(&snap("p", None, t(0), vec![npm("a", "1"), npm("b", "2")]))
        .unwrap();
    store
        .record(&snap(
            "q",
            None,
            t(0),
            vec![h, pkg(Ecosystem::CratesIo, "c", "3")],
        ))
        .unwrap();
    store.record(&snap("p", None, t(1), vec![])).unwrap();
    let keys: Vec<(Ecosystem, String, String)> = store
        .package_keys()
        .unwrap()
        .into_iter()
        .map(|k| (k.ecosystem, k.name, k.version))
        .collect();
    assert_eq!(
        keys,
        vec![
            (Ecosystem::Npm, "a".into(), "1".into()),
            (Ecosystem::Npm, "b".into(), "2".into()),
            (Ecosystem::CratesIo, "c".into(), "3".into()),
        ]
    );
}

pub fn state_round_trips(db: &TestDb) {
    let mut store = db.open();
    assert_eq!(store.state("advisories.last-import").unwrap(), None);
    store
        .set_state("advisories.last-import", "2026-01-01T00:00:00Z")
        .unwrap();
    store
        .set_state("advisories.last-import", "2026-02-01T00:00:00Z")
        .unwrap();
    let mut other = db.open();
    assert_eq!(
        other.state("advisories.last-import").unwrap().as_deref(),
        Some("2026-02-01T00:00:00Z")
    );
}

pub fn rejects_a_snapshot_without_project(db: &TestDb) {
    let mut store = db.open();
    let e = store.record(&NewSnapshot::new(" ", t(0))).unwrap_err();
    assert!(matches!(e, StoreError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("needs a project name"), "{e}");
    let e = store
        .record(&snap("p", Some(""), t(0), vec![]))
        .unwrap_err();
    assert!(e.to_string().contains("branch is empty"), "{e}");
    assert_eq!(db.count("snapshot"), 0);
}

pub fn reopening_keeps_data_and_schema_version(db: &TestDb) {
    let id = {
        let mut store = db.open();
        store
            .record(&snap("p", None, t(0), vec![npm("a", "1")]))
            .unwrap()
            .id
    };
    let mut store = db.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.packages(id).unwrap().unwrap(), vec![npm("a", "1")]);
    if db.backend() == Backend::Sqlite {
        assert!(
            store
                .location()
                .as_str()
                .ends_with("nested/history.sqlite3")
        );
    } else {
        assert!(store.location().as_str().starts_with("postgres"));
    }
}
