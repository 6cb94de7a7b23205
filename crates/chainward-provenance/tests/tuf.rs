//! The TUF client against a tiny HTTP server on 127.0.0.1 (no internet): Sigstore's real
//! root chain and timestamp, and TUF repositories generated here with fresh P-256 keys.
#![allow(clippy::unwrap_used)] // the test server and repository builder outside #[test] functions

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use chainward_provenance::tuf::{
    HttpFetcher, MetadataVersions, NPM_KEYS_TARGET, SIGSTORE_TUF_ROOT, TRUSTED_ROOT_TARGET,
    TufClient, TufError, canonical_json,
};
use chainward_types::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256, Sha512};
use sigstore_verify::crypto::KeyPair;

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 server: GET only, one request per connection, 404 for unknown paths.

#[derive(Default)]
struct ServerState {
    files: HashMap<String, Vec<u8>>,
    requests: Vec<String>,
}

struct Server {
    url: String,
    state: Arc<Mutex<ServerState>>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ServerState::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Self { url, state }
    }

    /// Serves exactly `files` (paths without the leading slash) from now on.
    fn serve(&self, files: &BTreeMap<String, Vec<u8>>) {
        let mut state = self.state.lock().unwrap();
        state.files = files
            .iter()
            .map(|(path, body)| (format!("/{path}"), body.clone()))
            .collect();
    }

    fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    fn client(&self, dir: &Path, embedded_root: &[u8]) -> TufClient {
        TufClient::new(&self.url, dir, embedded_root, HttpFetcher::new()).unwrap()
    }
}

fn serve(stream: TcpStream, state: &Mutex<ServerState>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    let body = {
        let mut state = state.lock().unwrap();
        state.requests.push(path.clone());
        state.files.get(&path).cloned()
    };
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

fn time(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// Sigstore's real metadata: roots 13 to 16 as @sigstore/tuf 4.0.0, 4.0.2, 5.0.0 and 5.0.1 ship
// them, and timestamp version 401 from sigstore/root-signing.

const ROOT_13: &[u8] = include_bytes!("fixtures/tuf/sigstore/13.root.json");
const ROOT_14: &[u8] = include_bytes!("fixtures/tuf/sigstore/14.root.json");
const ROOT_15: &[u8] = include_bytes!("fixtures/tuf/sigstore/15.root.json");
const ROOT_16: &[u8] = include_bytes!("fixtures/tuf/sigstore/16.root.json");
const TIMESTAMP_401: &[u8] = include_bytes!("fixtures/tuf/sigstore/timestamp.json");

fn sigstore_files() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([
        ("14.root.json".to_owned(), ROOT_14.to_vec()),
        ("15.root.json".to_owned(), ROOT_15.to_vec()),
        ("16.root.json".to_owned(), ROOT_16.to_vec()),
        ("timestamp.json".to_owned(), TIMESTAMP_401.to_vec()),
    ])
}

#[test]
fn verifies_sigstores_real_root_rotations_and_timestamp() {
    let server = Server::start();
    server.serve(&sigstore_files());
    let dir = tempfile::tempdir().unwrap();
    let mut client = server.client(dir.path(), ROOT_13);
    assert_eq!(client.versions().root, 13);

    // Before timestamp 401 expires (2025-07-14T13:28:13Z) and root 16 (2027-04-22).
    let error = client.refresh(time("2025-07-10T00:00:00Z")).unwrap_err();
    // Roots 14, 15 and 16 and timestamp 401 verified; snapshot 159 is not in the fixtures.
    match &error {
        TufError::Missing { what, url } => {
            assert_eq!(what, "snapshot metadata version 159");
            assert_eq!(url, &format!("{}/159.snapshot.json", server.url));
        }
        other => panic!("unexpected error: {other}"),
    }
    assert_eq!(
        client.versions(),
        MetadataVersions {
            root: 16,
            timestamp: Some(401),
            snapshot: None,
            targets: None
        }
    );
    // The chain from root 13 ends at the embedded root, byte for byte.
    assert_eq!(client.root_json(), SIGSTORE_TUF_ROOT);
    assert_eq!(ROOT_16, SIGSTORE_TUF_ROOT);
    assert_eq!(
        fs_err::read(dir.path().join("root.json")).unwrap(),
        SIGSTORE_TUF_ROOT
    );
    assert_eq!(
        fs_err::read(dir.path().join("timestamp.json")).unwrap(),
        TIMESTAMP_401
    );
    let requests = server.requests();
    assert_eq!(
        requests[..5],
        [
            "/14.root.json",
            "/15.root.json",
            "/16.root.json",
            "/17.root.json",
            "/timestamp.json"
        ]
    );

    // The embedded root is a valid starting point too, and the stored timestamp is now the
    // one that new timestamps must not roll back.
    let dir = tempfile::tempdir().unwrap();
    let mut client = server.client(dir.path(), SIGSTORE_TUF_ROOT);
    assert!(matches!(
        client.refresh(time("2025-07-10T00:00:00Z")),
        Err(TufError::Missing { .. })
    ));
    assert_eq!(client.versions().root, 16);
    assert_eq!(client.versions().timestamp, Some(401));

    // After timestamp 401 expired: a freeze attack.
    let dir = tempfile::tempdir().unwrap();
    let mut client = server.client(dir.path(), SIGSTORE_TUF_ROOT);
    let error = client.refresh(time("2025-07-15T00:00:00Z")).unwrap_err();
    assert!(
        matches!(&error, TufError::Expired { role, version: 401, .. } if role == "timestamp"),
        "{error}"
    );
}

#[test]
fn refuses_a_tampered_real_root_or_timestamp() {
    // Root 15 with a later expiry: root 14's keys no longer verify it.
    let server = Server::start();
    let mut files = sigstore_files();
    let tampered = String::from_utf8(ROOT_15.to_vec())
        .unwrap()
        .replace("2026-11-20T13:58:18Z", "2036-11-20T13:58:18Z");
    assert_ne!(tampered.as_bytes(), ROOT_15);
    files.insert("15.root.json".to_owned(), tampered.into_bytes());
    server.serve(&files);
    let dir = tempfile::tempdir().unwrap();
    let mut client = server.client(dir.path(), ROOT_14);
    let error = client.refresh(time("2025-07-10T00:00:00Z")).unwrap_err();
    match &error {
        TufError::Threshold {
            role,
            version: 15,
            valid: 0,
            threshold: 3,
            signers,
            ..
        } => {
            assert_eq!(role, "root");
            assert_eq!(signers, "the root keys of trusted root version 14");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert_eq!(
        error.to_string(),
        format!(
            "root metadata from {}/15.root.json (version 15) has 0 valid signature(s) from the \
             root keys of trusted root version 14, 3 needed",
            server.url
        )
    );
    assert_eq!(client.versions().root, 14);

    // Timestamp 401 claiming another snapshot version.
    let mut files = sigstore_files();
    let tampered = String::from_utf8(TIMESTAMP_401.to_vec())
        .unwrap()
        .replace("\"version\": 159", "\"version\": 160");
    files.insert("timestamp.json".to_owned(), tampered.into_bytes());
    server.serve(&files);
    let dir = tempfile::tempdir().unwrap();
    let mut client = server.client(dir.path(), SIGSTORE_TUF_ROOT);
    let error = client.refresh(time("2025-07-10T00:00:00Z")).unwrap_err();
    assert!(
        matches!(&error, TufError::Threshold { role, version: 401, valid: 0, threshold: 1, .. } if role == "timestamp"),
        "{error}"
    );
    assert!(!dir.path().join("timestamp.json").exists());
}

#[test]
fn refuses_a_malformed_embedded_root() {
    let tampered = String::from_utf8(ROOT_16.to_vec())
        .unwrap()
        .replace("\"threshold\": 3", "\"threshold\": 1");
    let dir = tempfile::tempdir().unwrap();
    let error = TufClient::new(
        "http://127.0.0.1:9",
        dir.path(),
        tampered.as_bytes(),
        HttpFetcher::new(),
    )
    .unwrap_err();
    assert!(matches!(error, TufError::Threshold { .. }), "{error}");
    let error = TufClient::new("file:///tmp", dir.path(), ROOT_16, HttpFetcher::new()).unwrap_err();
    assert!(matches!(error, TufError::InvalidUrl { .. }), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Generated repositories, laid out like Sigstore's: top-level `trusted_root.json`, and
// `registry.npmjs.org/keys.json` in the terminating delegated role `registry.npmjs.org`.

const FAR: &str = "2030-01-01T00:00:00Z";
const NOW: &str = "2026-01-01T00:00:00Z";

struct Key {
    pair: KeyPair,
    id: String,
    json: Value,
}

fn key() -> Key {
    let pair = KeyPair::generate_ecdsa_p256().unwrap();
    let pem = pair.public_key_der().unwrap().to_pem();
    let json = json!({
        "keytype": "ecdsa",
        "scheme": "ecdsa-sha2-nistp256",
        "keyval": { "public": pem },
    });
    let id = sha256(&canonical_json(&json).unwrap());
    Key { pair, id, json }
}

/// A signature by `key` under the key id `keyid`.
fn signature(signed: &Value, keyid: &str, key: &Key) -> Value {
    let sig = key.pair.sign(&canonical_json(signed).unwrap()).unwrap();
    json!({ "keyid": keyid, "sig": hex::encode(sig.as_bytes()) })
}

fn envelope(signed: &Value, signatures: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({ "signed": signed, "signatures": signatures })).unwrap()
}

fn sign(signed: &Value, keys: &[&Key]) -> Vec<u8> {
    let signatures = keys.iter().map(|k| signature(signed, &k.id, k)).collect();
    envelope(signed, signatures)
}

struct Delegation {
    name: String,
    paths: Vec<String>,
    terminating: bool,
    targets: BTreeMap<String, Vec<u8>>,
}

struct Repo {
    consistent: bool,
    root_keys: Vec<Key>,
    root_threshold: u64,
    root_expires: String,
    timestamp_key: Key,
    snapshot_key: Key,
    targets_keys: Vec<Key>,
    targets_threshold: u64,
    /// Extra key ids for a targets key (index into `targets_keys`).
    targets_aliases: Vec<(String, usize)>,
    /// Replaces the targets signatures: (key id, index into `targets_keys`).
    targets_signatures: Option<Vec<(String, usize)>>,
    delegation_key: Key,
    /// Signs the delegated roles instead of `delegation_key` when set.
    delegation_signer: Option<Key>,
    delegations: Vec<Delegation>,
    targets: BTreeMap<String, Vec<u8>>,
    timestamp_version: u64,
    timestamp_expires: String,
    snapshot_version: u64,
    targets_version: u64,
    delegation_version: u64,
    /// The published roots: `roots[i]` is `{i+1}.root.json`.
    roots: Vec<Vec<u8>>,
}

impl Repo {
    fn new() -> Self {
        let mut repo = Self {
            consistent: true,
            root_keys: vec![key()],
            root_threshold: 1,
            root_expires: FAR.to_owned(),
            timestamp_key: key(),
            snapshot_key: key(),
            targets_keys: vec![key()],
            targets_threshold: 1,
            targets_aliases: Vec::new(),
            targets_signatures: None,
            delegation_key: key(),
            delegation_signer: None,
            delegations: vec![Delegation {
                name: "registry.npmjs.org".to_owned(),
                paths: vec!["registry.npmjs.org/*".to_owned()],
                terminating: true,
                targets: BTreeMap::from([(
                    NPM_KEYS_TARGET.to_owned(),
                    br#"{"keys":[{"keyId":"SHA256:test"}]}"#.to_vec(),
                )]),
            }],
            targets: BTreeMap::from([(
                TRUSTED_ROOT_TARGET.to_owned(),
                br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#
                    .to_vec(),
            )]),
            timestamp_version: 1,
            timestamp_expires: FAR.to_owned(),
            snapshot_version: 1,
            targets_version: 1,
            delegation_version: 1,
            roots: Vec::new(),
        };
        let signed = repo.root_signed(1);
        let first = sign(&signed, &repo.root_keys.iter().collect::<Vec<_>>());
        repo.roots.push(first);
        repo
    }

    fn embedded_root(&self) -> &[u8] {
        &self.roots[0]
    }

    /// The `signed` part of root `version` for the current keys.
    /// Makes root version 1, signed by the first root key, the only root again (after a
    /// change to what it says).
    fn resign_first_root(&mut self) {
        self.roots.clear();
        let signed = self.root_signed(1);
        self.roots.push(sign(&signed, &[&self.root_keys[0]]));
    }

    fn root_signed(&self, version: u64) -> Value {
        let mut keys = serde_json::Map::new();
        for k in self
            .root_keys
            .iter()
            .chain([&self.timestamp_key, &self.snapshot_key])
            .chain(&self.targets_keys)
        {
            keys.insert(k.id.clone(), k.json.clone());
        }
        let mut targets_ids: Vec<String> = self.targets_keys.iter().map(|k| k.id.clone()).collect();
        for (alias, index) in &self.targets_aliases {
            keys.insert(alias.clone(), self.targets_keys[*index].json.clone());
            targets_ids.push(alias.clone());
        }
        let ids = |keys: &[Key]| keys.iter().map(|k| k.id.clone()).collect::<Vec<_>>();
        json!({
            "_type": "root",
            "spec_version": "1.0",
            "version": version,
            "expires": self.root_expires,
            "consistent_snapshot": self.consistent,
            "keys": keys,
            "roles": {
                "root": { "keyids": ids(&self.root_keys), "threshold": self.root_threshold },
                "timestamp": { "keyids": [self.timestamp_key.id], "threshold": 1 },
                "snapshot": { "keyids": [self.snapshot_key.id], "threshold": 1 },
                "targets": { "keyids": targets_ids, "threshold": self.targets_threshold },
            },
        })
    }

    /// The next root for the current keys, signed by `signers`.
    fn next_root(&self, signers: &[&Key]) -> Vec<u8> {
        let signed = self.root_signed(self.roots.len() as u64 + 1);
        sign(&signed, signers)
    }

    fn file_name(&self, name: &str, version: u64) -> String {
        if self.consistent {
            format!("{version}.{name}")
        } else {
            name.to_owned()
        }
    }

    fn target_path(&self, name: &str, bytes: &[u8]) -> String {
        match (self.consistent, name.rsplit_once('/')) {
            (false, _) => format!("targets/{name}"),
            (true, Some((dir, file))) => format!("targets/{dir}/{}.{file}", sha256(bytes)),
            (true, None) => format!("targets/{}.{name}", sha256(bytes)),
        }
    }

    fn target_files(targets: &BTreeMap<String, Vec<u8>>) -> Value {
        let map: serde_json::Map<String, Value> = targets
            .iter()
            .map(|(name, bytes)| {
                let file = json!({
                    "length": bytes.len(),
                    "hashes": {
                        "sha256": sha256(bytes),
                        "sha512": hex::encode(Sha512::digest(bytes)),
                    },
                });
                (name.clone(), file)
            })
            .collect();
        Value::Object(map)
    }

    /// Every file of the repository as it stands.
    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for (i, root) in self.roots.iter().enumerate() {
            files.insert(format!("{}.root.json", i + 1), root.clone());
        }
        let mut snapshot_meta = serde_json::Map::new();

        // Delegated roles.
        let delegation_signer = self
            .delegation_signer
            .as_ref()
            .unwrap_or(&self.delegation_key);
        for delegation in &self.delegations {
            let signed = json!({
                "_type": "targets",
                "spec_version": "1.0",
                "version": self.delegation_version,
                "expires": FAR,
                "targets": Self::target_files(&delegation.targets),
            });
            let bytes = envelope(
                &signed,
                vec![signature(
                    &signed,
                    &self.delegation_key.id,
                    delegation_signer,
                )],
            );
            let file = format!("{}.json", delegation.name);
            files.insert(self.file_name(&file, self.delegation_version), bytes);
            snapshot_meta.insert(file, json!({ "version": self.delegation_version }));
            for (name, bytes) in &delegation.targets {
                files.insert(self.target_path(name, bytes), bytes.clone());
            }
        }

        // Top-level targets.
        let roles: Vec<Value> = self
            .delegations
            .iter()
            .map(|d| {
                json!({
                    "name": d.name,
                    "keyids": [self.delegation_key.id],
                    "threshold": 1,
                    "terminating": d.terminating,
                    "paths": d.paths,
                })
            })
            .collect();
        let targets_signed = json!({
            "_type": "targets",
            "spec_version": "1.0",
            "version": self.targets_version,
            "expires": FAR,
            "targets": Self::target_files(&self.targets),
            "delegations": {
                "keys": { self.delegation_key.id.clone(): self.delegation_key.json },
                "roles": roles,
            },
        });
        let signatures = match &self.targets_signatures {
            Some(list) => list
                .iter()
                .map(|(id, i)| signature(&targets_signed, id, &self.targets_keys[*i]))
                .collect(),
            None => self
                .targets_keys
                .iter()
                .map(|k| signature(&targets_signed, &k.id, k))
                .collect(),
        };
        let targets = envelope(&targets_signed, signatures);
        files.insert(
            self.file_name("targets.json", self.targets_version),
            targets,
        );
        snapshot_meta.insert(
            "targets.json".to_owned(),
            json!({ "version": self.targets_version }),
        );
        for (name, bytes) in &self.targets {
            files.insert(self.target_path(name, bytes), bytes.clone());
        }

        // Snapshot (versions only, as Sigstore's) and timestamp (with length and hashes).
        let snapshot_signed = json!({
            "_type": "snapshot",
            "spec_version": "1.0",
            "version": self.snapshot_version,
            "expires": FAR,
            "meta": snapshot_meta,
        });
        let snapshot = sign(&snapshot_signed, &[&self.snapshot_key]);
        let timestamp_signed = json!({
            "_type": "timestamp",
            "spec_version": "1.0",
            "version": self.timestamp_version,
            "expires": self.timestamp_expires,
            "meta": { "snapshot.json": {
                "version": self.snapshot_version,
                "length": snapshot.len(),
                "hashes": { "sha256": sha256(&snapshot) },
            }},
        });
        files.insert(
            self.file_name("snapshot.json", self.snapshot_version),
            snapshot,
        );
        files.insert(
            "timestamp.json".to_owned(),
            sign(&timestamp_signed, &[&self.timestamp_key]),
        );
        files
    }

    fn trusted_root(&self) -> &[u8] {
        &self.targets[TRUSTED_ROOT_TARGET]
    }

    fn npm_keys(&self) -> &[u8] {
        &self.delegations[0].targets[NPM_KEYS_TARGET]
    }
}

/// A server publishing `repo`, and a client starting from its first root.
fn setup(repo: &Repo) -> (Server, tempfile::TempDir, TufClient) {
    let server = Server::start();
    server.serve(&repo.files());
    let dir = tempfile::tempdir().unwrap();
    let client = server.client(dir.path(), repo.embedded_root());
    (server, dir, client)
}

/// Why a client starting from `repo`'s first root refuses to refresh.
fn refresh_error(repo: &Repo) -> TufError {
    let (_server, _dir, mut client) = setup(repo);
    client.refresh(time(NOW)).unwrap_err()
}

fn assert_role(error: &TufError, expected: &str) {
    let role = match error {
        TufError::Threshold { role, .. }
        | TufError::VersionMismatch { role, .. }
        | TufError::Rollback { role, .. }
        | TufError::Expired { role, .. } => role,
        other => panic!("unexpected error: {other}"),
    };
    assert_eq!(role, expected, "{error}");
}

#[test]
fn fetches_targets_and_delegated_targets_under_consistent_snapshots() {
    let repo = Repo::new();
    let (server, dir, mut client) = setup(&repo);
    assert!(matches!(
        client.target(TRUSTED_ROOT_TARGET),
        Err(TufError::NotRefreshed)
    ));
    client.refresh(time(NOW)).unwrap();
    assert_eq!(
        client.versions(),
        MetadataVersions {
            root: 1,
            timestamp: Some(1),
            snapshot: Some(1),
            targets: Some(1)
        }
    );
    assert_eq!(
        client.target(TRUSTED_ROOT_TARGET).unwrap(),
        repo.trusted_root()
    );
    assert_eq!(client.target(NPM_KEYS_TARGET).unwrap(), repo.npm_keys());

    let requests = server.requests();
    let expected = [
        "/2.root.json".to_owned(),
        "/timestamp.json".to_owned(),
        "/1.snapshot.json".to_owned(),
        "/1.targets.json".to_owned(),
        format!("/targets/{}.trusted_root.json", sha256(repo.trusted_root())),
        "/1.registry.npmjs.org.json".to_owned(),
        format!(
            "/targets/registry.npmjs.org/{}.keys.json",
            sha256(repo.npm_keys())
        ),
    ];
    assert_eq!(requests, expected);
    for name in [
        "root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
        "registry.npmjs.org.json",
    ] {
        assert!(dir.path().join(name).is_file(), "{name} is stored");
    }

    let error = client.target("registry.npmjs.org/other.json").unwrap_err();
    assert!(matches!(error, TufError::UnknownTarget { .. }), "{error}");
    let error = client.target("unknown.json").unwrap_err();
    assert!(matches!(error, TufError::UnknownTarget { .. }), "{error}");
}

#[test]
fn fetches_targets_without_consistent_snapshots() {
    let mut repo = Repo::new();
    repo.consistent = false;
    repo.resign_first_root();
    let (server, _dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    assert_eq!(
        client.target(TRUSTED_ROOT_TARGET).unwrap(),
        repo.trusted_root()
    );
    assert_eq!(client.target(NPM_KEYS_TARGET).unwrap(), repo.npm_keys());
    let requests = server.requests();
    for path in [
        "/snapshot.json",
        "/targets.json",
        "/registry.npmjs.org.json",
        "/targets/trusted_root.json",
        "/targets/registry.npmjs.org/keys.json",
    ] {
        assert!(requests.iter().any(|r| r == path), "{path} in {requests:?}");
    }
}

#[test]
fn a_missing_target_file_is_an_error() {
    let repo = Repo::new();
    let mut files = repo.files();
    let path = repo.target_path(TRUSTED_ROOT_TARGET, repo.trusted_root());
    files.remove(&path).unwrap();
    let (server, _dir, mut client) = setup(&repo);
    server.serve(&files);
    client.refresh(time(NOW)).unwrap();
    match client.target(TRUSTED_ROOT_TARGET).unwrap_err() {
        TufError::Missing { what, url } => {
            assert_eq!(what, "target trusted_root.json");
            assert_eq!(url, format!("{}/{path}", server.url));
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn accepts_a_root_rotation_signed_by_old_and_new_keys_and_resumes_from_it() {
    let mut repo = Repo::new();
    let old = std::mem::replace(&mut repo.root_keys, vec![key(), key()]);
    repo.root_threshold = 2;
    let signed = repo.root_signed(2);
    let bytes = sign(&signed, &[&old[0], &repo.root_keys[0], &repo.root_keys[1]]);
    repo.roots.push(bytes);
    // Root 3: signed by the keys of root 2 only, its own keys being the same.
    let root = repo.next_root(&[&repo.root_keys[0], &repo.root_keys[1]]);
    repo.roots.push(root);
    let (server, dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    assert_eq!(client.versions().root, 3);
    assert_eq!(
        client.target(TRUSTED_ROOT_TARGET).unwrap(),
        repo.trusted_root()
    );
    assert_eq!(
        fs_err::read(dir.path().join("root.json")).unwrap(),
        repo.roots[2]
    );

    // The next run starts from the stored root, not the embedded one.
    let mut client = server.client(dir.path(), repo.embedded_root());
    assert_eq!(client.versions().root, 3);
    client.refresh(time(NOW)).unwrap();
    assert!(server.requests().ends_with(&[
        "/4.root.json".to_owned(),
        "/timestamp.json".to_owned(),
        "/1.snapshot.json".to_owned(),
        "/1.targets.json".to_owned(),
    ]));
}

#[test]
fn refuses_a_root_rotation_signed_only_by_the_new_keys() {
    let mut repo = Repo::new();
    repo.root_keys = vec![key()];
    let root = repo.next_root(&[&repo.root_keys[0]]);
    repo.roots.push(root);
    let (_server, dir, mut client) = setup(&repo);
    let error = client.refresh(time(NOW)).unwrap_err();
    match &error {
        TufError::Threshold {
            version: 2,
            signers,
            valid: 0,
            threshold: 1,
            ..
        } => assert_eq!(signers, "the root keys of trusted root version 1"),
        other => panic!("unexpected error: {other}"),
    }
    assert_role(&error, "root");
    assert_eq!(client.versions().root, 1);
    let stored = fs_err::read(dir.path().join("root.json")).unwrap_or_default();
    assert_ne!(stored, repo.roots[1]);
}

#[test]
fn refuses_a_root_rotation_not_signed_by_its_own_keys() {
    let mut repo = Repo::new();
    let old = std::mem::replace(&mut repo.root_keys, vec![key()]);
    let signed = repo.root_signed(2);
    repo.roots.push(sign(&signed, &[&old[0]]));
    let error = refresh_error(&repo);
    assert!(
        matches!(&error, TufError::Threshold { version: 2, signers, .. } if signers == "its own root keys"),
        "{error}"
    );
}

#[test]
fn refuses_a_root_with_the_wrong_version() {
    let mut repo = Repo::new();
    let signed = repo.root_signed(3);
    repo.roots.push(sign(&signed, &[&repo.root_keys[0]]));
    let error = refresh_error(&repo);
    assert!(
        matches!(
            &error,
            TufError::VersionMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{error}"
    );
    assert_role(&error, "root");
}

#[test]
fn refuses_an_expired_root() {
    let mut repo = Repo::new();
    repo.root_expires = "2025-06-01T00:00:00Z".to_owned();
    repo.resign_first_root();
    let error = refresh_error(&repo);
    assert!(
        matches!(&error, TufError::Expired { version: 1, .. }),
        "{error}"
    );
    assert_role(&error, "root");
}

#[test]
fn refuses_targets_below_the_threshold() {
    let mut repo = Repo::new();
    repo.targets_keys.push(key());
    repo.targets_threshold = 2;
    repo.resign_first_root();
    repo.targets_signatures = Some(vec![(repo.targets_keys[0].id.clone(), 0)]);
    let error = refresh_error(&repo);
    assert!(
        matches!(
            &error,
            TufError::Threshold {
                valid: 1,
                threshold: 2,
                ..
            }
        ),
        "{error}"
    );
    assert_role(&error, "targets");
}

#[test]
fn counts_duplicate_signatures_by_one_key_once() {
    let mut repo = Repo::new();
    repo.targets_keys.push(key());
    repo.targets_threshold = 2;
    // The first targets key also under a second key id.
    repo.targets_aliases = vec![("alias-of-key-0".to_owned(), 0)];
    repo.resign_first_root();
    let id = repo.targets_keys[0].id.clone();

    // The same key id twice.
    repo.targets_signatures = Some(vec![(id.clone(), 0), (id.clone(), 0)]);
    let (server, _dir, mut client) = setup(&repo);
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(&error, TufError::Threshold { valid: 1, threshold: 2, role, .. } if role == "targets"),
        "{error}"
    );

    // The same key under two key ids.
    // (New timestamp and snapshot versions: the failed refresh stored the first ones.)
    repo.targets_signatures = Some(vec![(id.clone(), 0), ("alias-of-key-0".to_owned(), 0)]);
    repo.timestamp_version = 2;
    repo.snapshot_version = 2;
    server.serve(&repo.files());
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(&error, TufError::Threshold { valid: 1, threshold: 2, role, .. } if role == "targets"),
        "{error}"
    );

    // Two distinct keys meet the threshold.
    let second = repo.targets_keys[1].id.clone();
    repo.targets_signatures = Some(vec![(id, 0), (second, 1)]);
    repo.timestamp_version = 3;
    repo.snapshot_version = 3;
    server.serve(&repo.files());
    client.refresh(time(NOW)).unwrap();
}

#[test]
fn refuses_an_expired_timestamp() {
    let mut repo = Repo::new();
    repo.timestamp_expires = "2025-12-31T23:59:59Z".to_owned();
    let (_server, dir, mut client) = setup(&repo);
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(&error, TufError::Expired { version: 1, .. }),
        "{error}"
    );
    assert_role(&error, "timestamp");
    assert!(!dir.path().join("timestamp.json").exists());
}

#[test]
fn refuses_a_timestamp_rollback_against_stored_metadata() {
    let mut repo = Repo::new();
    repo.timestamp_version = 2;
    let (server, dir, mut client) = setup(&repo);
    let version_2 = repo.files();
    server.serve(&version_2);
    client.refresh(time(NOW)).unwrap();

    repo.timestamp_version = 1;
    server.serve(&repo.files());
    let mut client = server.client(dir.path(), repo.embedded_root());
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(
            &error,
            TufError::Rollback {
                trusted: 2,
                offered: 1,
                ..
            }
        ),
        "{error}"
    );
    assert_role(&error, "timestamp");

    // The same version again is fine (the trusted one is kept).
    server.serve(&version_2);
    client.refresh(time(NOW)).unwrap();
    assert_eq!(client.versions().timestamp, Some(2));
}

#[test]
fn refuses_a_snapshot_rollback_against_stored_metadata() {
    let mut repo = Repo::new();
    repo.snapshot_version = 3;
    let (server, dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();

    // A newer timestamp naming an older snapshot.
    repo.timestamp_version = 2;
    repo.snapshot_version = 2;
    server.serve(&repo.files());
    let mut client = server.client(dir.path(), repo.embedded_root());
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(
            &error,
            TufError::Rollback {
                trusted: 3,
                offered: 2,
                ..
            }
        ),
        "{error}"
    );
    assert_role(&error, "snapshot");
}

#[test]
fn refuses_a_targets_rollback_in_a_new_snapshot() {
    let mut repo = Repo::new();
    repo.targets_version = 2;
    let (server, dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();

    repo.timestamp_version = 2;
    repo.snapshot_version = 2;
    repo.targets_version = 1;
    server.serve(&repo.files());
    let mut client = server.client(dir.path(), repo.embedded_root());
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(
            &error,
            TufError::Rollback {
                trusted: 2,
                offered: 1,
                ..
            }
        ),
        "{error}"
    );
    assert_role(&error, "targets");
}

#[test]
fn refuses_a_snapshot_that_does_not_match_the_timestamp_hash() {
    let repo = Repo::new();
    let mut files = repo.files();
    // Same length, same signed content (whitespace only), another hash.
    let snapshot = files.get_mut("1.snapshot.json").unwrap();
    let at = snapshot.windows(2).position(|w| w == b"  ").unwrap();
    snapshot[at + 1] = b'\t';
    let (server, dir, mut client) = setup(&repo);
    server.serve(&files);
    match client.refresh(time(NOW)).unwrap_err() {
        TufError::HashMismatch {
            what,
            url,
            algorithm,
        } => {
            assert_eq!(what, "snapshot metadata version 1");
            assert_eq!(url, format!("{}/1.snapshot.json", server.url));
            assert_eq!(algorithm, "sha256");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(!dir.path().join("snapshot.json").exists());
}

#[test]
fn refuses_a_target_with_the_wrong_hash_or_length() {
    let repo = Repo::new();
    let (server, _dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    let path = repo.target_path(NPM_KEYS_TARGET, repo.npm_keys());

    let mut files = repo.files();
    let mut wrong = repo.npm_keys().to_vec();
    wrong[2] ^= 0x20;
    files.insert(path.clone(), wrong);
    server.serve(&files);
    let error = client.target(NPM_KEYS_TARGET).unwrap_err();
    assert!(
        matches!(&error, TufError::HashMismatch { what, .. } if what == "target registry.npmjs.org/keys.json"),
        "{error}"
    );

    let short = repo.npm_keys()[1..].to_vec();
    files.insert(path.clone(), short);
    server.serve(&files);
    let error = client.target(NPM_KEYS_TARGET).unwrap_err();
    let expected = repo.npm_keys().len() as u64;
    assert!(
        matches!(&error, TufError::LengthMismatch { expected: e, found, .. } if *e == expected && *found == expected - 1),
        "{error}"
    );

    let mut long = repo.npm_keys().to_vec();
    long.push(b'\n');
    files.insert(path, long);
    server.serve(&files);
    let error = client.target(NPM_KEYS_TARGET).unwrap_err();
    assert!(
        matches!(&error, TufError::TooLarge { limit, .. } if *limit == expected),
        "{error}"
    );
}

#[test]
fn refuses_metadata_of_another_role() {
    let repo = Repo::new();
    let mut files = repo.files();
    let snapshot = files["1.snapshot.json"].clone();
    files.insert("timestamp.json".to_owned(), snapshot);
    let (server, _dir, mut client) = setup(&repo);
    server.serve(&files);
    let error = client.refresh(time(NOW)).unwrap_err();
    assert!(
        matches!(&error, TufError::Malformed { message, .. } if message.contains("it is snapshot metadata, timestamp metadata expected")),
        "{error}"
    );
}

#[test]
fn refuses_a_delegated_role_signed_by_another_key() {
    let mut repo = Repo::new();
    repo.delegation_signer = Some(key());
    let (_server, _dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    assert_eq!(
        client.target(TRUSTED_ROOT_TARGET).unwrap(),
        repo.trusted_root()
    );
    let error = client.target(NPM_KEYS_TARGET).unwrap_err();
    assert!(
        matches!(&error, TufError::Threshold { role, valid: 0, .. } if role == "registry.npmjs.org"),
        "{error}"
    );
}

#[test]
fn walks_delegations_in_order_and_stops_at_a_terminating_role() {
    let wanted = "registry.npmjs.org/keys.json";
    let mut repo = Repo::new();
    let first_targets =
        BTreeMap::from([("registry.npmjs.org/other.json".to_owned(), b"1".to_vec())]);
    let second_targets = BTreeMap::from([(wanted.to_owned(), b"found".to_vec())]);
    repo.delegations = vec![
        Delegation {
            name: "unrelated".to_owned(),
            paths: vec!["other/*".to_owned()],
            terminating: true,
            targets: BTreeMap::new(),
        },
        Delegation {
            name: "first".to_owned(),
            paths: vec!["registry.npmjs.org/*".to_owned()],
            terminating: false,
            targets: first_targets,
        },
        Delegation {
            name: "second".to_owned(),
            paths: vec!["*/keys.json".to_owned()],
            terminating: false,
            targets: second_targets,
        },
    ];
    let (server, _dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    // Not in "first" (non-terminating): the walk goes on to "second"; "unrelated" does not
    // cover the name, so its terminating flag does not matter.
    assert_eq!(client.target(wanted).unwrap(), b"found");
    let requests = server.requests();
    assert!(requests.iter().any(|r| r == "/1.first.json"));
    assert!(requests.iter().any(|r| r == "/1.second.json"));
    assert!(!requests.iter().any(|r| r == "/1.unrelated.json"));

    // A terminating "first" ends the search before "second".
    repo.delegations[1].terminating = true;
    let (server, _dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    let error = client.target(wanted).unwrap_err();
    assert!(matches!(error, TufError::UnknownTarget { .. }), "{error}");
    assert!(!server.requests().iter().any(|r| r == "/1.second.json"));
}

#[test]
fn forgets_the_stored_timestamp_when_the_root_rotates_the_timestamp_key() {
    let mut repo = Repo::new();
    repo.timestamp_version = 5;
    repo.snapshot_version = 5;
    let (server, dir, mut client) = setup(&repo);
    client.refresh(time(NOW)).unwrap();
    assert_eq!(client.versions().timestamp, Some(5));

    // New timestamp and snapshot keys in root 2; the repository starts its versions again.
    repo.timestamp_key = key();
    repo.snapshot_key = key();
    let root = repo.next_root(&[&repo.root_keys[0]]);
    repo.roots.push(root);
    repo.timestamp_version = 1;
    repo.snapshot_version = 1;
    server.serve(&repo.files());
    let mut client = server.client(dir.path(), repo.embedded_root());
    client.refresh(time(NOW)).unwrap();
    assert_eq!(
        client.versions(),
        MetadataVersions {
            root: 2,
            timestamp: Some(1),
            snapshot: Some(1),
            targets: Some(1)
        }
    );
}
