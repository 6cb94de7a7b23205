//! Faults: concurrent recorders, a recorder killed mid-transaction, a database from a newer
//! chainward, a PostgreSQL connection that goes away mid-record.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chainward_store::{
    PinSource, ProvenanceObservation, ProvenancePin, ProvenanceState, SCHEMA_VERSION,
    SnapshotQuery, Store, StoreError, StoreUrl,
};
use chainward_types::{BuildIdentity, Ecosystem};

use crate::util::{generation, normalized, snap, t};
use crate::{Backend, TestDb};

crate::conformance!(
    concurrent_recorders_lose_nothing,
    killed_recorder_leaves_no_partial_snapshot,
    newer_schema_is_refused,
);

/// Packages per snapshot in the kill tests: enough that a record takes a while.
const BIG: usize = 5_000;

/// Every snapshot of `project`, by commit label, with its packages.
fn by_commit(
    store: &mut dyn Store,
    project: &str,
) -> BTreeMap<String, Vec<chainward_store::PackageRecord>> {
    let snaps = store
        .snapshots(&SnapshotQuery {
            project: Some(project.into()),
            ..SnapshotQuery::default()
        })
        .unwrap();
    let mut out = BTreeMap::new();
    for s in snaps {
        let commit = s.commit.clone().unwrap();
        let packages = store.packages(s.id).unwrap().unwrap();
        assert_eq!(s.packages, packages.len() as u64, "count of {commit}");
        assert!(out.insert(commit, packages).is_none());
    }
    out
}

pub fn concurrent_recorders_lose_nothing(db: &TestDb) {
    let threads = 4;
    let per_thread = 8;
    std::thread::scope(|scope| {
        for th in 0..threads {
            scope.spawn(move || {
                let mut store = db.open();
                for i in 0..per_thread {
                    // Two threads share one project and branch; all share packages.
                    let project = if th < 2 {
                        "shared".to_owned()
                    } else {
                        format!("own-{th}")
                    };
                    let generation_no = th * per_thread + i;
                    let mut s = snap(
                        &project,
                        Some("main"),
                        // Out of order within a thread, ties across threads.
                        t(((i * 7 + th * 3) % 20) as i64),
                        generation(200, generation_no),
                    );
                    s.commit = Some(format!("g{generation_no}"));
                    store.record(&s).unwrap();
                }
            });
        }
    });
    let mut store = db.open();
    let mut seen = 0;
    for project in ["shared", "own-2", "own-3"] {
        for (commit, packages) in by_commit(&mut *store, project) {
            let g: usize = commit[1..].parse().unwrap();
            assert_eq!(
                packages,
                normalized(generation(200, g)),
                "{project} {commit}"
            );
            seen += 1;
        }
    }
    assert_eq!(seen, threads * per_thread);
}

/// Under `cargo test`, the child process of `killed_recorder_leaves_no_partial_snapshot`:
/// records big snapshots until killed. Does nothing unless started by that test.
#[test]
fn recorder_child_process() {
    let url = match (
        std::env::var("CHAINWARD_STORE_CHILD_SQLITE"),
        std::env::var("CHAINWARD_STORE_CHILD_POSTGRES"),
    ) {
        (Ok(path), _) => StoreUrl::Sqlite(path.into()),
        (_, Ok(url)) => StoreUrl::Postgres(url),
        _ => return,
    };
    let mut store = chainward_store::open(&url).unwrap();
    for i in 1..1000 {
        let mut s = snap("killed", None, t(i as i64), generation(BIG, i));
        s.commit = Some(format!("g{i}"));
        println!("recording {i}");
        let start = Instant::now();
        store.record(&s).unwrap();
        println!("recorded {i} {}", start.elapsed().as_millis());
    }
}

/// Waits until the child holds an open write transaction.
fn wait_for_open_transaction(db: &TestDb, application_name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    match db.backend() {
        Backend::Sqlite => {
            let StoreUrl::Sqlite(path) = &db.url else {
                unreachable!()
            };
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.busy_timeout(Duration::ZERO).unwrap();
            // Our own BEGIN IMMEDIATE fails exactly while another writer holds the lock.
            loop {
                assert!(Instant::now() < deadline, "the child never started writing");
                match conn.execute_batch("BEGIN IMMEDIATE") {
                    Ok(()) => conn.execute_batch("ROLLBACK").unwrap(),
                    Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                        return;
                    }
                    Err(e) => panic!("{e}"),
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Backend::Postgres => {
            let mut admin = db.admin();
            loop {
                assert!(Instant::now() < deadline, "the child never started writing");
                let rows = admin
                    .query(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = $1
                         AND xact_start IS NOT NULL
                         AND state IN ('active', 'idle in transaction')",
                        &[&application_name],
                    )
                    .unwrap();
                if !rows.is_empty() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

pub fn killed_recorder_leaves_no_partial_snapshot(db: &TestDb) {
    let app = format!("cw-child-{}", std::process::id());
    let url = db.url_with(&format!("application_name={app}"));
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "faults::recorder_child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ]);
    match &url {
        StoreUrl::Sqlite(p) => cmd.env("CHAINWARD_STORE_CHILD_SQLITE", p),
        StoreUrl::Postgres(u) => cmd.env("CHAINWARD_STORE_CHILD_POSTGRES", u),
    };
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Let one record complete, then kill the child inside the second one's transaction.
    loop {
        let line = lines.next().expect("the child ended early").unwrap();
        if line.starts_with("recording 2") {
            break;
        }
    }
    wait_for_open_transaction(db, &app);
    child.kill().unwrap();
    child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();

    let mut store = db.open();
    let snaps = by_commit(&mut *store, "killed");
    assert!(snaps.contains_key("g1"), "the first record completed");
    for (commit, packages) in &snaps {
        let g: usize = commit[1..].parse().unwrap();
        assert_eq!(packages, &normalized(generation(BIG, g)), "{commit}");
    }
    // The killed record: absent (or, if the kill came right after its commit, complete).
    assert!(
        snaps.len() == 1 || rest.iter().any(|l| l.starts_with("recorded 2")),
        "{} snapshots, child output after the kill: {rest:?}",
        snaps.len()
    );
    if db.backend() == Backend::Sqlite {
        let StoreUrl::Sqlite(path) = &db.url else {
            unreachable!()
        };
        let conn = rusqlite::Connection::open(path).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
    // The lock died with the process: recording goes on.
    let mut s = snap("killed", None, t(500), generation(BIG, 500));
    s.commit = Some("g500".into());
    store.record(&s).unwrap();
    assert_eq!(by_commit(&mut *store, "killed").len(), snaps.len() + 1);
}

pub fn newer_schema_is_refused(db: &TestDb) {
    let mut early = db.open();
    early.record(&snap("p", None, t(0), vec![])).unwrap();
    db.set_schema_version(SCHEMA_VERSION + 1);
    let newer = SCHEMA_VERSION + 1;
    let want = format!(
        "database schema version {newer} is newer than this chainward supports ({SCHEMA_VERSION}); upgrade chainward"
    );
    let e = chainward_store::open(&db.url).unwrap_err();
    assert!(
        matches!(e, StoreError::TooNew { found, supported, .. } if found == newer && supported == SCHEMA_VERSION),
        "{e:?}"
    );
    assert!(e.to_string().contains(&want), "{e}");
    // A store opened before the upgrade does not write into the newer schema either.
    let e = early.record(&snap("p", None, t(1), vec![])).unwrap_err();
    assert!(e.to_string().contains(&want), "{e}");
    assert_eq!(db.count("snapshot"), 1);
    let pin = ProvenancePin {
        ecosystem: Ecosystem::Npm,
        name: "left-pad".into(),
        version: "1.0.0".into(),
        identity: BuildIdentity::default(),
        pinned_at: t(2),
        how: PinSource::User,
    };
    let seen = ProvenanceObservation {
        ecosystem: Ecosystem::Npm,
        name: "left-pad".into(),
        version: "1.0.0".into(),
        status: ProvenanceState::Absent,
        identity: None,
        first_seen: t(2),
        last_seen: t(2),
    };
    for e in [
        early.pin_provenance_if_absent(&pin).map(drop).unwrap_err(),
        early.set_provenance_pin(&pin).unwrap_err(),
        early.observe_provenance(&[seen]).unwrap_err(),
    ] {
        assert!(matches!(e, StoreError::TooNew { .. }), "{e:?}");
    }
    assert_eq!(db.count("provenance_pin"), 0);
    assert_eq!(db.count("provenance_observation"), 0);
    assert_eq!(db.stored_schema_version(), newer, "left as it was");
}

/// PostgreSQL only: the server ends the connection in the middle of a record.
#[test]
fn postgres_connection_killed_mid_record_is_a_clear_error() {
    let Some(db) = TestDb::postgres("terminate") else {
        return;
    };
    let app = format!("cw-victim-{}", std::process::id());
    let url = db.url_with(&format!("application_name={app}"));
    let (tx, rx) = mpsc::channel();
    let victim = std::thread::spawn(move || {
        let mut store = chainward_store::open(&url).unwrap();
        for i in 1..1000 {
            let mut s = snap("victim", None, t(i as i64), generation(BIG, i));
            s.commit = Some(format!("g{i}"));
            match store.record(&s) {
                Ok(_) => tx.send(Ok(i)).unwrap(),
                Err(e) => {
                    tx.send(Err((i, e))).unwrap();
                    return;
                }
            }
        }
    });
    // After one complete record, end the connection inside the next one's transaction.
    assert!(matches!(rx.recv().unwrap(), Ok(1)));
    wait_for_open_transaction(&db, &app);
    let killed: i64 = db
        .admin()
        .query(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1) t",
            &[&app],
        )
        .unwrap()[0]
        .get(0);
    assert_eq!(killed, 1);
    victim.join().unwrap();
    let mut ok = vec![1];
    let mut failure = None;
    for m in rx.iter() {
        match m {
            Ok(i) => ok.push(i),
            Err(e) => failure = Some(e),
        }
    }
    let (failed, e) = failure.expect("the record in flight failed");
    let message = e.to_string();
    eprintln!("the error: {message}");
    assert!(matches!(e, StoreError::ConnectionLost { .. }), "{e:?}");
    assert!(
        message.contains("PostgreSQL history database postgres://"),
        "{message}"
    );
    assert!(
        message.contains("the connection was lost while recording a snapshot of project `victim`"),
        "{message}"
    );
    assert!(!message.contains("password"), "{message}");
    let committing = matches!(
        e,
        StoreError::ConnectionLost {
            while_committing: true,
            ..
        }
    );
    if !committing {
        assert!(
            message.contains("rolled back: nothing of it was saved"),
            "{message}"
        );
    }

    let mut store = db.open();
    let snaps = by_commit(&mut *store, "victim");
    for (commit, packages) in &snaps {
        let g: usize = commit[1..].parse().unwrap();
        assert_eq!(packages, &normalized(generation(BIG, g)), "{commit}");
    }
    let recorded: Vec<usize> = ok;
    assert_eq!(
        snaps.len(),
        recorded.len() + usize::from(committing && snaps.contains_key(&format!("g{failed}"))),
        "every acknowledged record is there, the failed one is not"
    );
    assert!(committing || !snaps.contains_key(&format!("g{failed}")));
}

/// A server that is not there: a clear error naming it, without the password.
#[test]
fn unreachable_postgres_is_a_clear_error() {
    let e = chainward_store::open(&StoreUrl::Postgres(
        "postgres://chainward:hunter2@127.0.0.1:1/history?connect_timeout=5".into(),
    ))
    .unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, StoreError::Connect { .. }), "{e:?}");
    assert!(
        message.starts_with(
            "cannot connect to the PostgreSQL history database postgres://chainward:***@127.0.0.1:1/history"
        ),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}
