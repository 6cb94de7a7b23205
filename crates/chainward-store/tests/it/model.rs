//! The store against a naive model: random snapshots of random projects and branches,
//! recorded in random time order (ties included), then every snapshot's package set, every
//! exposure answer, and the listings must equal what the model computes from the plain list
//! of snapshots.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use chainward_store::{BranchFilter, PackageRecord, SnapshotId, SnapshotQuery, Store};
use chainward_types::{Ecosystem, Scope};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::TestDb;
use crate::util::{npm, pkg, sha256, t};

crate::conformance!(store_matches_naive_model);

/// The universe one case draws packages from: 3 names x 2 versions x 2 hash sets x 2
/// scope sets, in two ecosystems for one name.
fn universe() -> Vec<PackageRecord> {
    let mut out = Vec::new();
    for (eco, name) in [
        (Ecosystem::Npm, "a"),
        (Ecosystem::Npm, "b"),
        (Ecosystem::PyPI, "a"),
    ] {
        for version in ["1.0.0", "2.0.0"] {
            for hashed in [false, true] {
                for dev in [false, true] {
                    let mut p = if eco == Ecosystem::Npm {
                        npm(name, version)
                    } else {
                        pkg(eco, name, version)
                    };
                    if hashed {
                        p.hashes.push(sha256(7));
                    }
                    if dev {
                        p.scopes.insert(Scope::Dev);
                    }
                    out.push(p);
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Op {
    project: usize,
    branch: Option<usize>,
    at: i64,
    members: u32,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (
            0..2usize,
            prop::option::of(0..2usize),
            0..6i64,
            any::<u32>(),
        )
            .prop_map(|(project, branch, at, members)| Op {
                project,
                branch,
                at,
                members,
            }),
        1..24,
    )
}

/// One recorded snapshot, as the model keeps it.
#[derive(Debug, Clone)]
struct Recorded {
    id: SnapshotId,
    project: String,
    branch: Option<String>,
    at: i64,
    set: BTreeSet<PackageRecord>,
}

type Identity = (
    String,
    Option<String>,
    String,
    String,
    String,
    Vec<chainward_types::Hash>,
);
type Answer = (
    // first, last, in latest, spans (first, last, in latest)
    SnapshotId,
    SnapshotId,
    bool,
    Vec<(SnapshotId, SnapshotId, bool)>,
);

fn identity(project: &str, branch: &Option<String>, p: &PackageRecord) -> Identity {
    (
        project.to_owned(),
        branch.clone(),
        p.ecosystem.as_str().to_owned(),
        p.version.clone(),
        p.purl.clone(),
        p.hashes.clone(),
    )
}

/// Exposure of (ecosystem, name) computed from the plain list: per stream, snapshots in
/// (time, id) order; a span is a maximal run of consecutive snapshots holding one record.
fn naive_exposure(
    all: &[Recorded],
    prefix: &str,
    ecosystem: Ecosystem,
    name: &str,
) -> BTreeMap<Identity, Answer> {
    let mut streams: BTreeMap<(String, Option<String>), Vec<&Recorded>> = BTreeMap::new();
    for r in all.iter().filter(|r| r.project.starts_with(prefix)) {
        streams
            .entry((r.project.clone(), r.branch.clone()))
            .or_default()
            .push(r);
    }
    let mut out: BTreeMap<Identity, Answer> = BTreeMap::new();
    for ((project, branch), mut snaps) in streams {
        snaps.sort_by_key(|r| (r.at, r.id));
        let records: BTreeSet<&PackageRecord> = snaps
            .iter()
            .flat_map(|s| s.set.iter())
            .filter(|p| p.ecosystem == ecosystem && p.name == name)
            .collect();
        for rec in records {
            let mut spans = Vec::new();
            let mut run: Option<(SnapshotId, SnapshotId)> = None;
            for s in &snaps {
                if s.set.contains(rec) {
                    run = Some(run.map_or((s.id, s.id), |(f, _)| (f, s.id)));
                } else if let Some((f, l)) = run.take() {
                    spans.push((f, l, false));
                }
            }
            if let Some((f, l)) = run {
                spans.push((f, l, true));
            }
            let pos = |id: SnapshotId| snaps.iter().position(|s| s.id == id);
            let a = out.entry(identity(&project, &branch, rec)).or_insert((
                spans[0].0,
                spans[0].1,
                false,
                Vec::new(),
            ));
            for &(f, l, open) in &spans {
                if pos(f) < pos(a.0) {
                    a.0 = f;
                }
                if pos(l) > pos(a.1) {
                    a.1 = l;
                }
                a.2 |= open;
                a.3.push((f, l, open));
            }
        }
    }
    for a in out.values_mut() {
        a.3.sort();
    }
    out
}

fn store_exposure(
    store: &mut dyn Store,
    prefix: &str,
    ecosystem: Ecosystem,
    name: &str,
) -> BTreeMap<Identity, Answer> {
    let mut out = BTreeMap::new();
    for e in store.exposure(ecosystem, name).unwrap() {
        if !e.project.starts_with(prefix) {
            continue;
        }
        let rec = PackageRecord {
            ecosystem: e.package.ecosystem,
            name: e.package.name.clone(),
            version: e.package.version.clone(),
            constraint: e.package.constraint.clone(),
            purl: e.package.purl.clone(),
            origin: e.package.origin.clone(),
            hashes: e.package.hashes.clone(),
            ..npm("x", "0")
        };
        let mut spans: Vec<_> = e
            .spans
            .iter()
            .map(|s| (s.first.id, s.last.id, s.in_latest))
            .collect();
        spans.sort();
        let prev = out.insert(
            identity(&e.project, &e.branch, &rec),
            (e.first_seen.id, e.last_seen.id, e.in_latest, spans),
        );
        assert!(prev.is_none(), "one exposure per stream and package");
    }
    out
}

pub fn store_matches_naive_model(db: &TestDb) {
    let store = RefCell::new(db.open());
    let case = RefCell::new(0usize);
    let universe = universe();
    let cases = if db.backend() == crate::Backend::Postgres {
        32
    } else {
        64
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&ops(), |ops| {
        let mut store = store.borrow_mut();
        let store: &mut dyn Store = &mut **store;
        *case.borrow_mut() += 1;
        // Each case writes projects of its own, so cases do not see each other.
        let prefix = format!("case{}-", case.borrow());
        let mut all: Vec<Recorded> = Vec::new();
        for op in &ops {
            let project = format!("{prefix}{}", op.project);
            let branch = op.branch.map(|b| format!("br{b}"));
            let packages: Vec<PackageRecord> = universe
                .iter()
                .enumerate()
                .filter(|(i, _)| op.members & (1 << i) != 0)
                .map(|(_, p)| p.clone())
                .collect();
            let snapshot = chainward_store::NewSnapshot {
                branch: branch.clone(),
                packages: packages.clone(),
                ..chainward_store::NewSnapshot::new(project.clone(), t(op.at))
            };
            let rec = store.record(&snapshot).unwrap();
            all.push(Recorded {
                id: rec.id,
                project,
                branch,
                at: op.at,
                set: packages.into_iter().collect(),
            });
        }
        // Every snapshot's package set.
        for r in &all {
            let got: BTreeSet<PackageRecord> =
                store.packages(r.id).unwrap().unwrap().into_iter().collect();
            prop_assert_eq!(&got, &r.set, "snapshot {} of {:?}", r.id, ops);
        }
        // Every exposure answer.
        for (eco, name) in [
            (Ecosystem::Npm, "a"),
            (Ecosystem::Npm, "b"),
            (Ecosystem::PyPI, "a"),
        ] {
            prop_assert_eq!(
                store_exposure(store, &prefix, eco, name),
                naive_exposure(&all, &prefix, eco, name),
                "exposure of {} {} after {:?}",
                eco,
                name,
                ops
            );
        }
        // Listings: order, latest and previous per stream.
        let mut streams: BTreeMap<(String, Option<String>), Vec<&Recorded>> = BTreeMap::new();
        for r in &all {
            streams
                .entry((r.project.clone(), r.branch.clone()))
                .or_default()
                .push(r);
        }
        for ((project, branch), mut snaps) in streams {
            snaps.sort_by_key(|r| (r.at, r.id));
            let filter = BranchFilter::Only(branch.clone());
            let listed: Vec<SnapshotId> = store
                .snapshots(&SnapshotQuery {
                    project: Some(project.clone()),
                    branch: filter.clone(),
                    ..SnapshotQuery::default()
                })
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect();
            let want: Vec<SnapshotId> = snaps.iter().map(|r| r.id).collect();
            prop_assert_eq!(&listed, &want);
            let latest = store.latest(&project, &filter).unwrap().map(|s| s.id);
            prop_assert_eq!(latest, want.last().copied());
            for w in want.windows(2) {
                prop_assert_eq!(store.previous(w[1]).unwrap().map(|s| s.id), Some(w[0]));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
