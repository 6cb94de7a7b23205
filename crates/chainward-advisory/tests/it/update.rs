use std::io::{Cursor, Write as _};
use std::time::Duration;

use chainward_advisory::{AdvisoryDb, UpdateConfig, UpdateError, UpdateProgress};
use chainward_types::Ecosystem;

use crate::server::{Reply, TestServer};
use crate::{fixture, ids, new_db, now};

fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn record(rel: &str) -> (String, Vec<u8>) {
    let path = fixture(rel);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    (name, fs_err::read(path).unwrap())
}

fn export(rels: &[&str]) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = rels.iter().map(|r| record(r)).collect();
    let borrowed: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    zip_of(&borrowed)
}

const NPM: &[&str] = &[
    "osv/malicious/npm/chalk/MAL-2025-46969.json",
    "osv/malicious/npm/arrayref/MAL-2025-1063.json",
    "osv/malicious/npm/fsevents/MAL-2023-462.json",
];
const CRATES: &[&str] = &[
    "osv/malicious/crates.io/arrayref/MAL-2026-14336.json",
    "rustsec/osv/crates/RUSTSEC-2026-0260.json",
    "rustsec/osv/crates/RUSTSEC-2021-0147.json",
];
const PYPI: &[&str] = &[
    "osv/malicious/PyPI/num2words/MAL-2025-6794.json",
    "osv/malicious/withdrawn/PyPI/lodestone/MAL-2023-8651.json",
];

/// The three exports, each with an ETag, answering 304 to a matching `If-None-Match`.
fn good_server() -> TestServer {
    let (npm, crates, pypi) = (export(NPM), export(CRATES), export(PYPI));
    TestServer::start(move |req| {
        let (body, etag) = match req.path.as_str() {
            "/npm/all.zip" => (npm.clone(), "\"npm-1\""),
            "/crates.io/all.zip" => (crates.clone(), "\"crates-1\""),
            "/PyPI/all.zip" => (pypi.clone(), "\"pypi-1\""),
            _ => return Reply::Status(404),
        };
        if req.header("if-none-match") == Some(etag) {
            return Reply::Status(304);
        }
        Reply::Ok {
            body,
            etag: etag.to_owned(),
        }
    })
}

fn config(server: &TestServer) -> UpdateConfig {
    UpdateConfig {
        base_url: server.base.clone(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        proxy_from_env: false,
        now: Some(now()),
        ..UpdateConfig::default()
    }
}

fn run(
    db: &mut AdvisoryDb,
    server: &TestServer,
) -> Result<chainward_advisory::UpdateReport, UpdateError> {
    db.update(&config(server), &mut |_| {})
}

/// Everything a failed update must leave as it was.
fn snapshot(db: &AdvisoryDb) -> impl PartialEq + std::fmt::Debug + use<> {
    let status = db.status().unwrap();
    let lookups: Vec<Vec<String>> = [
        (Ecosystem::Npm, "chalk"),
        (Ecosystem::CratesIo, "arrayref"),
        (Ecosystem::PyPI, "num2words"),
    ]
    .iter()
    .map(|(e, n)| {
        ids(&db.advisories_for(*e, n).unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect()
    })
    .collect();
    (
        status.advisories,
        status.ecosystems,
        status.last_update,
        status.updates,
        lookups,
    )
}

#[test]
fn update_downloads_checks_and_swaps_in_every_ecosystem() {
    let server = good_server();
    let (_dir, mut db) = new_db();
    let mut downloads = Vec::new();
    let report = db
        .update(&config(&server), &mut |p| {
            if let UpdateProgress::Downloading {
                ecosystem,
                done,
                total,
            } = p
            {
                downloads.push((ecosystem, done, total));
            }
        })
        .unwrap();
    assert_eq!(report.ecosystems.len(), 3);
    for e in &report.ecosystems {
        assert!(e.changed);
        assert_eq!(e.counts.added, e.records, "{e:?}");
    }
    assert_eq!(report.ecosystems[0].records, 3);
    assert_eq!(report.removed, 0);
    // The progress callback saw every byte.
    let (eco, done, total) = downloads
        .iter()
        .rev()
        .find(|d| d.0 == Ecosystem::Npm)
        .unwrap();
    assert_eq!((*eco, Some(*done)), (Ecosystem::Npm, *total));

    assert_eq!(
        ids(&db.advisories_for(Ecosystem::Npm, "chalk").unwrap()),
        vec!["MAL-2025-46969"]
    );
    assert_eq!(
        ids(&db.advisories_for(Ecosystem::CratesIo, "arrayref").unwrap()),
        vec!["MAL-2026-14336", "RUSTSEC-2026-0260"]
    );
    assert!(
        db.advisories_for(Ecosystem::PyPI, "lodestone")
            .unwrap()
            .is_empty(),
        "withdrawn"
    );
    let status = db.status().unwrap();
    assert_eq!(status.advisories, 8);
    assert_eq!(status.last_update.as_deref(), Some("2026-09-01T00:00:00Z"));
    let npm = status
        .updates
        .iter()
        .find(|u| u.ecosystem == "npm")
        .unwrap();
    assert_eq!(npm.etag.as_deref(), Some("\"npm-1\""));
    assert_eq!(
        npm.last_modified.as_deref(),
        Some("Mon, 02 Mar 2026 10:00:00 GMT")
    );
    assert_eq!(npm.url, format!("{}/npm/all.zip", server.base));
    assert_eq!(npm.records, 3);
}

#[test]
fn a_second_update_sends_conditional_requests_and_accepts_304() {
    let server = good_server();
    let (_dir, mut db) = new_db();
    run(&mut db, &server).unwrap();
    let mut later = config(&server);
    later.now = Some(now() + Duration::from_secs(3600));
    let report = db.update(&later, &mut |_| {}).unwrap();
    assert!(report.ecosystems.iter().all(|e| !e.changed && e.bytes == 0));
    assert_eq!(
        report.ecosystems[0].records, 3,
        "the record count of the unchanged export"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[3].header("if-none-match"), Some("\"npm-1\""));
    assert_eq!(
        requests[3].header("if-modified-since"),
        Some("Mon, 02 Mar 2026 10:00:00 GMT")
    );
    assert_eq!(requests[0].header("if-none-match"), None);
    let status = db.status().unwrap();
    assert_eq!(status.advisories, 8);
    assert_eq!(
        status.last_update.as_deref(),
        Some("2026-09-01T01:00:00Z"),
        "a 304 counts as fresh"
    );
    let npm = status
        .updates
        .iter()
        .find(|u| u.ecosystem == "npm")
        .unwrap();
    assert_eq!(
        (npm.checked_at.as_str(), npm.changed_at.as_str()),
        ("2026-09-01T01:00:00Z", "2026-09-01T00:00:00Z")
    );
}

#[test]
fn a_connection_dropped_half_way_leaves_the_previous_data() {
    let (_dir, mut db) = new_db();
    run(&mut db, &good_server()).unwrap();
    let before = snapshot(&db);

    let bigger = export(&[NPM, CRATES].concat());
    let crates = export(CRATES);
    let bad = TestServer::start(move |req| match req.path.as_str() {
        "/npm/all.zip" => Reply::Truncated {
            sent: bigger.len() / 2,
            body: bigger.clone(),
        },
        _ => Reply::Ok {
            body: crates.clone(),
            etag: "\"x\"".to_owned(),
        },
    });
    let err = run(&mut db, &bad).unwrap_err();
    assert!(
        matches!(err, UpdateError::Truncated { received, expected, .. } if received < expected),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("/npm/all.zip") && msg.contains("the previous advisory data is unchanged"),
        "{msg}"
    );
    assert_eq!(snapshot(&db), before);
    // No download is left behind.
    let leftovers = fs_err::read_dir(db.path().parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("download")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn a_corrupt_zip_leaves_the_previous_data_even_when_other_ecosystems_were_fine() {
    let (_dir, mut db) = new_db();
    run(&mut db, &good_server()).unwrap();
    let before = snapshot(&db);

    let newer_npm = export(&NPM[..1]);
    let pypi = export(PYPI);
    let mut corrupt = export(CRATES);
    let middle = corrupt.len() / 2;
    corrupt.truncate(middle);
    let bad = TestServer::start(move |req| match req.path.as_str() {
        "/npm/all.zip" => Reply::Ok {
            body: newer_npm.clone(),
            etag: "\"npm-2\"".to_owned(),
        },
        "/crates.io/all.zip" => Reply::Ok {
            body: corrupt.clone(),
            etag: "\"c-2\"".to_owned(),
        },
        _ => Reply::Ok {
            body: pypi.clone(),
            etag: "\"p-2\"".to_owned(),
        },
    });
    let err = run(&mut db, &bad).unwrap_err();
    assert!(matches!(err, UpdateError::InvalidExport { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("/crates.io/all.zip: not a valid OSV export"),
        "{err}"
    );
    assert_eq!(snapshot(&db), before);
}

#[test]
fn an_invalid_record_in_an_export_is_named() {
    let (_dir, mut db) = new_db();
    let (name, chalk) = record(NPM[0]);
    let bad_zip = zip_of(&[
        (name.as_str(), chalk),
        (
            "MAL-9.json",
            b"{\"id\": \"MAL-9\",\n \"modified\": 7}".to_vec(),
        ),
    ]);
    let server = TestServer::start(move |_| Reply::Ok {
        body: bad_zip.clone(),
        etag: "\"e\"".to_owned(),
    });
    let mut cfg = config(&server);
    cfg.ecosystems = vec![Ecosystem::Npm];
    let err = db.update(&cfg, &mut |_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("entry MAL-9.json: line 2"), "{msg}");
    assert_eq!(
        db.status().unwrap().advisories,
        0,
        "nothing from that export was kept"
    );
}

#[test]
fn a_record_of_another_ecosystem_is_rejected() {
    let (_dir, mut db) = new_db();
    let npm = export(NPM);
    let server = TestServer::start(move |_| Reply::Ok {
        body: npm.clone(),
        etag: "\"e\"".to_owned(),
    });
    let mut cfg = config(&server);
    cfg.ecosystems = vec![Ecosystem::PyPI];
    let msg = db.update(&cfg, &mut |_| {}).unwrap_err().to_string();
    assert!(msg.contains("names no PyPI package"), "{msg}");
}

#[test]
fn http_errors_are_reported() {
    for status in [404_u16, 500] {
        let (_dir, mut db) = new_db();
        let server = TestServer::start(move |_| Reply::Status(status));
        let err = run(&mut db, &server).unwrap_err();
        assert!(
            matches!(err, UpdateError::Http { status: s, .. } if s == status),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("HTTP {status}")), "{err}");
        assert_eq!(db.status().unwrap().advisories, 0);
        assert!(db.status().unwrap().last_update.is_none());
    }
}

#[test]
fn an_unreachable_server_is_a_network_error() {
    let (_dir, mut db) = new_db();
    // Bind and drop: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = UpdateConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        proxy_from_env: false,
        connect_timeout: Duration::from_secs(5),
        ..UpdateConfig::default()
    };
    let err = db.update(&cfg, &mut |_| {}).unwrap_err();
    assert!(matches!(err, UpdateError::Network { .. }), "{err}");
}

#[test]
fn records_gone_from_a_new_export_are_removed() {
    let (_dir, mut db) = new_db();
    run(&mut db, &good_server()).unwrap();
    let smaller = export(&NPM[..2]);
    let server = TestServer::start(move |_| Reply::Ok {
        body: smaller.clone(),
        etag: "\"npm-2\"".to_owned(),
    });
    let mut cfg = config(&server);
    cfg.ecosystems = vec![Ecosystem::Npm];
    let report = db.update(&cfg, &mut |_| {}).unwrap();
    assert_eq!(report.removed, 1);
    assert!(
        db.advisories_for(Ecosystem::Npm, "fsevents")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.advisories_for(Ecosystem::CratesIo, "arrayref")
            .unwrap()
            .len(),
        2,
        "other ecosystems untouched"
    );
}

#[test]
fn a_bad_configuration_is_refused() {
    let (_dir, mut db) = new_db();
    let cfg = UpdateConfig {
        base_url: "ftp://example.invalid".to_owned(),
        ..UpdateConfig::default()
    };
    assert!(matches!(
        db.update(&cfg, &mut |_| {}),
        Err(UpdateError::Config(_))
    ));
    let cfg = UpdateConfig {
        ecosystems: Vec::new(),
        ..UpdateConfig::default()
    };
    assert!(matches!(
        db.update(&cfg, &mut |_| {}),
        Err(UpdateError::Config(_))
    ));
}
