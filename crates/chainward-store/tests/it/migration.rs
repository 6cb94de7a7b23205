//! Migrations: a database of an older schema version is brought forward when opened, with
//! its data intact, to the schema a new database gets. (A newer version is refused:
//! `faults::newer_schema_is_refused`.)

use chainward_store::{
    PinSource, ProvenanceObservation, ProvenancePin, ProvenanceState, SCHEMA_VERSION,
};
use chainward_types::{BuildIdentity, Ecosystem};

use crate::TestDb;
use crate::util::{normalized, npm, snap, t};

crate::conformance!(
    migrates_an_empty_version_1_database,
    migrates_a_version_1_database_keeping_its_data,
);

fn left_pad_pin() -> ProvenancePin {
    ProvenancePin {
        ecosystem: Ecosystem::Npm,
        name: "left-pad".into(),
        version: "1.1.0".into(),
        identity: BuildIdentity {
            repository: Some("https://github.com/a/left-pad".into()),
            workflow: Some(".github/workflows/release.yml".into()),
            ..BuildIdentity::default()
        },
        pinned_at: t(30),
        how: PinSource::FirstSeen,
    }
}

fn left_pad_seen() -> ProvenanceObservation {
    ProvenanceObservation {
        ecosystem: Ecosystem::Npm,
        name: "left-pad".into(),
        version: "1.1.0".into(),
        status: ProvenanceState::Verified,
        identity: Some(left_pad_pin().identity),
        first_seen: t(30),
        last_seen: t(30),
    }
}

pub fn migrates_an_empty_version_1_database(db: &TestDb) {
    db.create_version_1();
    assert_eq!(db.stored_schema_version(), 1);
    let version_1 = db.schema();
    let mut store = db.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(db.stored_schema_version(), SCHEMA_VERSION);
    let fresh = db.another("fresh");
    drop(fresh.open());
    assert_eq!(
        db.schema(),
        fresh.schema(),
        "the schema of a database created by this build"
    );
    assert_ne!(db.schema(), version_1);

    let rec = store
        .record(&snap("web", None, t(0), vec![npm("left-pad", "1.1.0")]))
        .unwrap();
    assert_eq!(rec.packages, 1);
    assert_eq!(
        store.pin_provenance_if_absent(&left_pad_pin()).unwrap(),
        left_pad_pin()
    );
    store.observe_provenance(&[left_pad_seen()]).unwrap();
    assert_eq!(
        store
            .provenance_observations(Ecosystem::Npm, "left-pad")
            .unwrap(),
        vec![left_pad_seen()]
    );
}

pub fn migrates_a_version_1_database_keeping_its_data(db: &TestDb) {
    // Snapshots recorded through the store, then the tables of version 2 dropped and the
    // version set back to 1: a version-1 database with real data, whose schema is that of
    // one built by hand from 0001_initial.sql.
    let first_packages = vec![npm("left-pad", "1.0.0"), npm("a", "1")];
    let second_packages = vec![npm("left-pad", "1.1.0"), npm("a", "1")];
    let (first, second) = {
        let mut store = db.open();
        let first = store
            .record(&snap("web", Some("main"), t(0), first_packages.clone()))
            .unwrap()
            .id;
        let second = store
            .record(&snap("web", Some("main"), t(10), second_packages.clone()))
            .unwrap()
            .id;
        store
            .set_state("advisories.last-import", "2026-01-01T00:00:00Z")
            .unwrap();
        (first, second)
    };
    db.execute("DROP TABLE provenance_pin; DROP TABLE provenance_observation;");
    db.set_schema_version(1);
    let by_hand = db.another("by_hand");
    by_hand.create_version_1();
    assert_eq!(db.schema(), by_hand.schema(), "a version-1 database");
    assert_eq!(db.stored_schema_version(), 1);

    let mut store = db.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(db.stored_schema_version(), SCHEMA_VERSION);

    // The old data, intact.
    assert_eq!(
        store.packages(first).unwrap().unwrap(),
        normalized(first_packages)
    );
    assert_eq!(
        store.packages(second).unwrap().unwrap(),
        normalized(second_packages)
    );
    assert_eq!(store.previous(second).unwrap().unwrap().id, first);
    let exposure = store.exposure(Ecosystem::Npm, "left-pad").unwrap();
    let seen: Vec<(&str, bool)> = exposure
        .iter()
        .map(|e| (e.package.version.as_str(), e.in_latest))
        .collect();
    assert_eq!(seen, vec![("1.0.0", false), ("1.1.0", true)]);
    assert_eq!(
        store.state("advisories.last-import").unwrap().as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
    // Recording goes on from where it was: one package changed.
    let rec = store
        .record(&snap(
            "web",
            Some("main"),
            t(20),
            vec![npm("left-pad", "1.1.0"), npm("a", "2")],
        ))
        .unwrap();
    assert_eq!(
        (rec.packages, rec.added, rec.removed, rec.previous),
        (2, 1, 1, Some(second))
    );

    // The new tables work, and stay across reopening.
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        None
    );
    assert_eq!(
        store.pin_provenance_if_absent(&left_pad_pin()).unwrap(),
        left_pad_pin()
    );
    store.observe_provenance(&[left_pad_seen()]).unwrap();
    drop(store);
    let mut store = db.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(
        store.provenance_pin(Ecosystem::Npm, "left-pad").unwrap(),
        Some(left_pad_pin())
    );
    assert_eq!(
        store
            .provenance_observations(Ecosystem::Npm, "left-pad")
            .unwrap(),
        vec![left_pad_seen()]
    );
}
