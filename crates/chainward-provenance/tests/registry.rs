//! The npm registry client against a tiny HTTP/1.1 server on 127.0.0.1 serving recorded
//! registry data (no internet).
#![allow(clippy::unwrap_used)] // the test server and helpers outside #[test] functions

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chainward_provenance::registry::{
    Fetched, Packument, Registry, RegistryConfig, RegistryError, RegistrySignature,
};
use sha2::{Digest as _, Sha256};

const UNDICI: &[u8] = include_bytes!("fixtures/registry/undici-types.json");
const MINECRAFT: &[u8] = include_bytes!("fixtures/registry/@minecraft+common.json");
const STRIPPED: &[u8] = include_bytes!("fixtures/registry/@laurentsimon+provenance-npm-test.json");
const SIGSTORE_ATTESTATIONS: &[u8] = include_bytes!("fixtures/registry/sigstore@2.3.1.json");
const KEYS: &[u8] = include_bytes!("fixtures/registry/npm-v1-keys.json");

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 server: keep-alive, Content-Length bodies, GET only.

/// One canned answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Reply {
    fn json(body: &[u8]) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_vec(),
            delay: Duration::ZERO,
        }
    }

    fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: format!("{{\"error\":\"status {status}\"}}").into_bytes(),
            delay: Duration::ZERO,
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// The answers for one path: taken in turn, the last one repeating. With an `etag`, the
/// 200 answers carry it and a request whose `If-None-Match` matches it gets a 304.
struct Route {
    replies: VecDeque<Reply>,
    etag: Option<String>,
}

/// A request the server saw.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    /// Lowercased names.
    headers: HashMap<String, String>,
    /// The status it was answered with.
    status: u16,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    seen: Vec<Seen>,
    in_flight: usize,
    max_in_flight: usize,
}

struct Server {
    base: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve_connection(stream, &state));
            }
        });
        Self { base, state }
    }

    fn route(&self, path: &str, replies: Vec<Reply>) {
        self.state.lock().unwrap().routes.insert(
            path.to_owned(),
            Route {
                replies: replies.into(),
                etag: None,
            },
        );
    }

    fn route_with_etag(&self, path: &str, reply: Reply, etag: &str) {
        self.state.lock().unwrap().routes.insert(
            path.to_owned(),
            Route {
                replies: VecDeque::from([reply]),
                etag: Some(etag.to_owned()),
            },
        );
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let state = self.state.lock().unwrap();
        state
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    fn hits(&self, path: &str) -> usize {
        self.seen(path).len()
    }

    fn total(&self) -> usize {
        self.state.lock().unwrap().seen.len()
    }

    fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

fn serve_connection(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        // Request line and headers.
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(_method), Some(path)) = (parts.next(), parts.next()) else {
            return;
        };
        let path = path.to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        if let Some(n) = headers
            .get("content-length")
            .and_then(|n| n.parse::<u64>().ok())
        {
            std::io::copy(&mut (&mut reader).take(n), &mut std::io::sink()).unwrap();
        }

        // Pick the answer.
        let reply = {
            let mut state = state.lock().unwrap();
            let reply = match state.routes.get_mut(&path) {
                None => Reply::status(404),
                Some(route) => {
                    let matches = route
                        .etag
                        .as_ref()
                        .is_some_and(|etag| headers.get("if-none-match") == Some(etag));
                    if matches {
                        let etag = route.etag.clone().unwrap();
                        let mut reply = Reply::status(304).header("ETag", &etag);
                        reply.body.clear();
                        reply
                    } else {
                        let reply = if route.replies.len() > 1 {
                            route.replies.pop_front().unwrap()
                        } else {
                            route.replies.front().cloned().unwrap()
                        };
                        match &route.etag {
                            Some(etag) if reply.status == 200 => reply.header("ETag", etag),
                            _ => reply,
                        }
                    }
                }
            };
            state.seen.push(Seen {
                path: path.clone(),
                headers: headers.clone(),
                status: reply.status,
            });
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            reply
        };
        std::thread::sleep(reply.delay);
        state.lock().unwrap().in_flight -= 1;

        // Write it.
        let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        let has_length = reply
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-length"));
        if reply.status != 304 && !has_length {
            let _ = write!(head, "Content-Length: {}\r\n", reply.body.len());
        }
        for (name, value) in &reply.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(&reply.body).is_err() {
            return;
        }
        let _ = stream.flush();
        if headers
            .get("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn config(url: &str, cache_dir: &Path) -> RegistryConfig {
    RegistryConfig {
        url: url.to_owned(),
        cache_dir: cache_dir.to_path_buf(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        ..RegistryConfig::default()
    }
}

fn registry(url: &str, cache_dir: &Path) -> Registry {
    Registry::new(config(url, cache_dir)).unwrap()
}

fn offline(url: &str, cache_dir: &Path) -> Registry {
    Registry::new(RegistryConfig {
        offline: true,
        ..config(url, cache_dir)
    })
    .unwrap()
}

#[track_caller]
fn found<T: std::fmt::Debug>(fetched: Result<Fetched<T>, RegistryError>) -> (T, bool) {
    match fetched {
        Ok(Fetched::Found { value, from_cache }) => (value, from_cache),
        other => panic!("expected Found, got {other:?}"),
    }
}

fn cache_file(cache_dir: &Path, url: &str) -> std::path::PathBuf {
    cache_dir.join(hex::encode(Sha256::digest(url.as_bytes())))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Packuments.

#[test]
fn parses_a_packument_with_signatures_and_attestations() {
    let server = Server::start();
    server.route("/undici-types", vec![Reply::json(UNDICI)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());

    let (packument, from_cache) = found(registry.packument("undici-types"));
    assert!(!from_cache);
    assert_eq!(packument.name, "undici-types");
    assert_eq!(
        packument.versions.keys().collect::<Vec<_>>(),
        ["7.0.0", "7.13.0"]
    );

    let v = &packument.versions["7.13.0"];
    assert_eq!(
        v.integrity.as_deref(),
        Some(
            "sha512-Ov2Rr9Sx+fRgagJ5AX0qvItZG/JKKoBRAVITs1zk7IqZGTJUwgUr7qoYBpWwakpWilTZFM98rG/AFRocu10iIQ=="
        )
    );
    assert_eq!(
        v.shasum.as_deref(),
        Some("a20ba7c0a2be0c97bd55c308069d29d167466bff")
    );
    assert_eq!(
        v.tarball.as_deref(),
        Some("https://registry.npmjs.org/undici-types/-/undici-types-7.13.0.tgz")
    );
    assert_eq!(
        v.signatures,
        Some(vec![RegistrySignature {
            keyid: "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U".into(),
            sig: "MEQCIEdk7LB/tN4BleohIufX2ixOaBwLi2QNArm29z4rjoFnAiAkSwH08u/hIv37YMsmR8m5X9izRvcwLMNqvPf7pfSZmA==".into(),
        }])
    );
    let attestations = v.attestations.as_ref().unwrap();
    assert_eq!(
        attestations.url.as_deref(),
        Some("https://registry.npmjs.org/-/npm/v1/attestations/undici-types@7.13.0")
    );
    assert_eq!(
        attestations.provenance_predicate_type.as_deref(),
        Some("https://slsa.dev/provenance/v1")
    );

    // 7.0.0: signed, no provenance.
    let old = &packument.versions["7.0.0"];
    assert_eq!(old.signatures.as_ref().map(Vec::len), Some(1));
    assert_eq!(old.attestations, None);

    assert_eq!(packument.time["7.13.0"], "2025-07-31T09:09:48.449Z");
    assert_eq!(packument.time.len(), 2, "created/modified are not versions");
    assert_eq!(
        packument.modified.as_deref(),
        Some("2025-07-31T09:09:48.449Z")
    );

    // The request itself.
    let seen = server.seen("/undici-types");
    assert_eq!(seen.len(), 1);
    let headers = &seen[0].headers;
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(
        headers["user-agent"],
        concat!("chainward/", env!("CARGO_PKG_VERSION"))
    );
    assert!(!headers.contains_key("if-none-match"));
}

#[test]
fn escapes_scoped_names_as_npm_does() {
    let server = Server::start();
    server.route("/@minecraft%2fcommon", vec![Reply::json(MINECRAFT)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());

    let (packument, _) = found(registry.packument("@minecraft/common"));
    assert_eq!(packument.name, "@minecraft/common");
    let v = &packument.versions["1.2.0"];
    assert_eq!(
        v.signatures.as_ref().unwrap()[0].keyid,
        "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
    );
    assert!(packument.time.is_empty(), "this packument has no time");
    assert_eq!(server.hits("/@minecraft%2fcommon"), 1);
    assert_eq!(server.total(), 1);
}

#[test]
fn tells_stripped_signatures_from_empty_ones() {
    let server = Server::start();
    server.route(
        "/@laurentsimon%2fprovenance-npm-test",
        vec![Reply::json(STRIPPED)],
    );
    let empty =
        br#"{"name":"e","versions":{"1.0.0":{"dist":{"integrity":"sha512-x","signatures":[]}}}}"#;
    server.route("/e", vec![Reply::json(empty)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());

    let (stripped, _) = found(registry.packument("@laurentsimon/provenance-npm-test"));
    let v = &stripped.versions["1.0.7"];
    assert!(
        v.integrity
            .as_deref()
            .unwrap()
            .starts_with("sha512-HOf0VTb8")
    );
    assert_eq!(v.signatures, None, "a mirror stripped dist.signatures");
    assert_eq!(v.attestations, None);
    assert_eq!(stripped.time["1.0.7"], "2026-09-23T07:56:14.850000+00:00");

    let (empty, _) = found(registry.packument("e"));
    assert_eq!(empty.versions["1.0.0"].signatures, Some(vec![]));
}

#[test]
fn decodes_a_gzip_encoded_body() {
    let server = Server::start();
    server.route(
        "/undici-types",
        vec![Reply::json(&gzip(UNDICI)).header("Content-Encoding", "gzip")],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    let (packument, _) = found(registry.packument("undici-types"));
    assert_eq!(packument.versions.len(), 2);
    assert_eq!(
        server.seen("/undici-types")[0].headers["accept-encoding"],
        "gzip"
    );
    // The cache holds the decoded body.
    let (again, from_cache) = found(offline(&server.base, cache.path()).packument("undici-types"));
    assert!(from_cache);
    assert_eq!(again, packument);
}

#[test]
fn reports_invalid_json_with_its_location_and_does_not_cache_it() {
    let server = Server::start();
    server.route(
        "/broken",
        vec![Reply::json(b"{\"name\": \"broken\",\n \"versions\": {]}")],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    let err = registry.packument("broken").unwrap_err();
    let RegistryError::Parse { url, message } = &err else {
        panic!("expected Parse, got {err:?}");
    };
    assert_eq!(url, &format!("{}/broken", server.base));
    assert!(message.contains("line 2"), "{message}");
    assert!(matches!(
        offline(&server.base, cache.path()).packument("broken"),
        Err(RegistryError::NotCached { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Not found.

#[test]
fn answers_not_found_for_404_and_410_and_does_not_cache_it() {
    let server = Server::start();
    server.route("/gone", vec![Reply::status(410)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());

    assert_eq!(registry.packument("missing").unwrap(), Fetched::NotFound);
    assert_eq!(registry.packument("missing").unwrap(), Fetched::NotFound);
    assert_eq!(server.hits("/missing"), 2, "a 404 is asked again");
    assert_eq!(registry.packument("gone").unwrap(), Fetched::NotFound);
    assert_eq!(
        registry.attestations("missing", "1.0.0").unwrap(),
        Fetched::NotFound
    );

    assert!(matches!(
        offline(&server.base, cache.path()).packument("missing"),
        Err(RegistryError::NotCached { .. })
    ));
}

#[test]
fn forgets_a_cached_entry_once_the_package_is_gone() {
    let server = Server::start();
    server.route("/undici-types", vec![Reply::json(UNDICI)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    found(registry.packument("undici-types"));
    server.route("/undici-types", vec![Reply::status(404)]);
    assert_eq!(
        registry.packument("undici-types").unwrap(),
        Fetched::NotFound
    );
    assert!(matches!(
        offline(&server.base, cache.path()).packument("undici-types"),
        Err(RegistryError::NotCached { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Cache and revalidation.

#[test]
fn revalidates_with_the_etag_and_serves_the_cache_on_304() {
    let server = Server::start();
    server.route_with_etag("/undici-types", Reply::json(UNDICI), "\"rev-1\"");
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());

    let (first, from_cache) = found(registry.packument("undici-types"));
    assert!(!from_cache);
    let url = format!("{}/undici-types", server.base);
    assert!(
        cache_file(cache.path(), &url).is_file(),
        "named after sha256(url)"
    );

    let (second, from_cache) = found(registry.packument("undici-types"));
    assert!(from_cache);
    assert_eq!(first, second);

    let seen = server.seen("/undici-types");
    assert_eq!(seen.len(), 2);
    assert!(!seen[0].headers.contains_key("if-none-match"));
    assert_eq!(seen[1].headers["if-none-match"], "\"rev-1\"");
    assert_eq!(seen[1].status, 304);
}

#[test]
fn revalidates_with_last_modified() {
    let server = Server::start();
    let stamp = "Thu, 31 Jul 2025 09:09:48 GMT";
    server.route(
        "/-/npm/v1/keys",
        vec![Reply::json(KEYS).header("Last-Modified", stamp)],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    let (keys, from_cache) = found(registry.keys());
    assert_eq!(keys, KEYS);
    assert!(!from_cache);
    found(registry.keys());
    let seen = server.seen("/-/npm/v1/keys");
    assert_eq!(seen[1].headers["if-modified-since"], stamp);
}

#[test]
fn replaces_the_cached_body_when_the_registry_has_a_new_one() {
    let server = Server::start();
    server.route_with_etag("/-/npm/v1/keys", Reply::json(b"{\"keys\":[]}"), "\"a\"");
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    assert_eq!(found(registry.keys()).0, b"{\"keys\":[]}");
    server.route_with_etag("/-/npm/v1/keys", Reply::json(KEYS), "\"b\"");
    let (keys, from_cache) = found(registry.keys());
    assert_eq!((keys.as_slice(), from_cache), (KEYS, false));
    let (keys, from_cache) = found(offline(&server.base, cache.path()).keys());
    assert_eq!((keys.as_slice(), from_cache), (KEYS, true));
    assert_eq!(
        server.seen("/-/npm/v1/keys")[1].headers["if-none-match"],
        "\"a\""
    );
}

#[test]
fn offline_serves_the_cache_and_never_touches_the_network() {
    let server = Server::start();
    server.route("/undici-types", vec![Reply::json(UNDICI)]);
    server.route(
        "/-/npm/v1/attestations/sigstore@2.3.1",
        vec![Reply::json(SIGSTORE_ATTESTATIONS)],
    );
    let cache = tempfile::tempdir().unwrap();
    let online = registry(&server.base, cache.path());
    let (fresh, _) = found(online.packument("undici-types"));
    found(online.attestations("sigstore", "2.3.1"));
    let before = server.total();

    let offline = offline(&server.base, cache.path());
    let (cached, from_cache) = found(offline.packument("undici-types"));
    assert!(from_cache);
    assert_eq!(cached, fresh);
    let (bundle, from_cache) = found(offline.attestations("sigstore", "2.3.1"));
    assert!(from_cache);
    assert_eq!(bundle, SIGSTORE_ATTESTATIONS);

    for result in [
        offline.packument("lodash").map(|f| f.map(|_| ())),
        offline.keys().map(|f| f.map(|_| ())),
        offline
            .attestations("sigstore", "9.9.9")
            .map(|f| f.map(|_| ())),
    ] {
        match result {
            Err(RegistryError::NotCached { url }) => assert!(url.starts_with(&server.base)),
            other => panic!("expected NotCached, got {other:?}"),
        }
    }
    assert_eq!(server.total(), before, "offline made requests");
}

#[test]
fn treats_a_corrupt_cache_entry_as_absent() {
    let server = Server::start();
    server.route_with_etag("/undici-types", Reply::json(UNDICI), "\"rev-1\"");
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    found(registry.packument("undici-types"));
    let file = cache_file(cache.path(), &format!("{}/undici-types", server.base));
    let good = fs_err::read(&file).unwrap();

    for damaged in [
        b"garbage \x00\xff".to_vec(),
        good[..good.len() - 10].to_vec(),
        Vec::new(),
    ] {
        fs_err::write(&file, &damaged).unwrap();
        assert!(matches!(
            offline(&server.base, cache.path()).packument("undici-types"),
            Err(RegistryError::NotCached { .. })
        ));
        let before = server.hits("/undici-types");
        let (packument, from_cache) = found(registry.packument("undici-types"));
        assert!(!from_cache, "a corrupt entry is not served");
        assert_eq!(packument.versions.len(), 2);
        let last = server.seen("/undici-types").pop().unwrap();
        assert_eq!(server.hits("/undici-types"), before + 1);
        assert!(
            !last.headers.contains_key("if-none-match"),
            "no revalidation of a corrupt entry"
        );
        // The entry is whole again.
        assert_eq!(fs_err::read(&file).unwrap(), good);
    }
}

// ---------------------------------------------------------------------------------------------
// Retries, timeouts, limits.

#[test]
fn retries_a_500_then_succeeds() {
    let server = Server::start();
    server.route(
        "/undici-types",
        vec![Reply::status(500), Reply::json(UNDICI)],
    );
    server.route(
        "/-/npm/v1/keys",
        vec![
            Reply::status(429).header("Retry-After", "0"),
            Reply::status(503).header("Retry-After", "0"),
            Reply::json(KEYS),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    let (packument, from_cache) = found(registry.packument("undici-types"));
    assert_eq!(
        (packument.name.as_str(), from_cache),
        ("undici-types", false)
    );
    assert_eq!(server.hits("/undici-types"), 2);
    assert_eq!(found(registry.keys()).0, KEYS);
    assert_eq!(server.hits("/-/npm/v1/keys"), 3);
}

#[test]
fn gives_up_after_the_configured_retries() {
    let server = Server::start();
    server.route("/down", vec![Reply::status(502).header("Retry-After", "0")]);
    server.route("/forbidden", vec![Reply::status(403)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = Registry::new(RegistryConfig {
        retries: 1,
        ..config(&server.base, cache.path())
    })
    .unwrap();
    match registry.packument("down") {
        Err(RegistryError::Http { url, status: 502 }) => assert!(url.ends_with("/down")),
        other => panic!("expected Http 502, got {other:?}"),
    }
    assert_eq!(server.hits("/down"), 2);
    assert!(matches!(
        registry.packument("forbidden"),
        Err(RegistryError::Http { status: 403, .. })
    ));
    assert_eq!(server.hits("/forbidden"), 1, "a 403 is not retried");
}

#[test]
fn times_out_against_a_server_that_never_answers() {
    // Connections complete in the kernel's backlog, but nobody ever reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let registry = Registry::new(RegistryConfig {
        request_timeout: Duration::from_millis(300),
        retries: 0,
        ..config(&url, cache.path())
    })
    .unwrap();
    let started = Instant::now();
    let result = registry.packument("undici-types");
    let elapsed = started.elapsed();
    match result {
        Err(RegistryError::Timeout { url: failed, .. }) => {
            assert_eq!(failed, format!("{url}/undici-types"));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    drop(silent);
}

#[test]
fn reports_a_refused_connection_as_a_network_error() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let cache = tempfile::tempdir().unwrap();
    let registry = Registry::new(RegistryConfig {
        retries: 0,
        ..config(&url, cache.path())
    })
    .unwrap();
    match registry.keys() {
        Err(RegistryError::Network { url: failed, .. }) => {
            assert_eq!(failed, format!("{url}/-/npm/v1/keys"));
        }
        other => panic!("expected Network, got {other:?}"),
    }
}

#[test]
fn refuses_a_body_declared_larger_than_the_limit() {
    let server = Server::start();
    server.route(
        "/huge",
        vec![Reply::json(b"").header("Content-Length", "300000000")],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    match registry.packument("huge") {
        Err(RegistryError::TooLarge { limit, .. }) => assert_eq!(limit, 256 << 20),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(server.hits("/huge"), 1, "not retried");
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

#[test]
fn fetches_many_packuments_concurrently_in_input_order() {
    let server = Server::start();
    let names: Vec<String> = (0..50)
        .map(|i| {
            if i % 5 == 0 {
                format!("@scope/pkg-{i}")
            } else {
                format!("pkg-{i}")
            }
        })
        .collect();
    for (i, name) in names.iter().enumerate() {
        if i % 7 == 3 {
            continue; // 404
        }
        let body = format!(r#"{{"name":"{name}","versions":{{"1.0.{i}":{{"dist":{{}}}}}}}}"#);
        server.route(
            &format!("/{}", name.replace('/', "%2f")),
            vec![Reply::json(body.as_bytes()).delayed(Duration::from_millis(20))],
        );
    }
    let cache = tempfile::tempdir().unwrap();
    let registry = Registry::new(RegistryConfig {
        concurrency: 8,
        ..config(&server.base, cache.path())
    })
    .unwrap();
    let done = AtomicUsize::new(0);
    let results = registry.packuments(&names, &|| {
        done.fetch_add(1, Ordering::Relaxed);
    });

    assert_eq!(done.load(Ordering::Relaxed), 50);
    assert_eq!(results.len(), 50);
    for (i, (name, result)) in names.iter().zip(results).enumerate() {
        match result {
            Ok(Fetched::Found { value, .. }) => {
                assert_ne!(i % 7, 3, "{name}");
                assert_eq!(&value.name, name);
                assert!(value.versions.contains_key(&format!("1.0.{i}")));
            }
            Ok(Fetched::NotFound) => assert_eq!(i % 7, 3, "{name}"),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(server.total(), 50);
    let parallel = server.max_in_flight();
    assert!(
        (2..=8).contains(&parallel),
        "{parallel} requests were in flight at once"
    );
}

#[test]
fn fetches_many_attestations_in_input_order() {
    let server = Server::start();
    server.route(
        "/-/npm/v1/attestations/sigstore@2.3.1",
        vec![Reply::json(SIGSTORE_ATTESTATIONS)],
    );
    server.route(
        "/-/npm/v1/attestations/@scope%2fname@1.0.0",
        vec![Reply::json(b"{\"attestations\":[]}")],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    let items = [
        ("sigstore", "2.3.1"),
        ("sigstore", "0.0.1"),
        ("@scope/name", "1.0.0"),
    ]
    .map(|(n, v)| (n.to_owned(), v.to_owned()));
    let done = AtomicUsize::new(0);
    let results = registry.attestations_many(&items, &|| {
        done.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(done.load(Ordering::Relaxed), 3);
    let results: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        results,
        [
            Fetched::Found {
                value: SIGSTORE_ATTESTATIONS.to_vec(),
                from_cache: false
            },
            Fetched::NotFound,
            Fetched::Found {
                value: b"{\"attestations\":[]}".to_vec(),
                from_cache: false
            },
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// URLs.

#[test]
fn works_under_a_path_prefix() {
    let server = Server::start();
    let prefix = "/repository/npm";
    server.route(
        &format!("{prefix}/@minecraft%2fcommon"),
        vec![Reply::json(MINECRAFT)],
    );
    server.route(&format!("{prefix}/-/npm/v1/keys"), vec![Reply::json(KEYS)]);
    server.route(
        &format!("{prefix}/-/npm/v1/attestations/sigstore@2.3.1"),
        vec![Reply::json(SIGSTORE_ATTESTATIONS)],
    );
    let cache = tempfile::tempdir().unwrap();
    for url in [
        format!("{}{prefix}/", server.base),
        format!("{}{prefix}", server.base),
    ] {
        let registry = registry(&url, cache.path());
        assert_eq!(registry.url(), format!("{}{prefix}", server.base));
        let (packument, _) = found(registry.packument("@minecraft/common"));
        assert_eq!(packument.name, "@minecraft/common");
        assert_eq!(found(registry.keys()).0, KEYS);
        assert_eq!(
            found(registry.attestations("sigstore", "2.3.1")).0,
            SIGSTORE_ATTESTATIONS
        );
        let advertised = format!(
            "{}{prefix}/-/npm/v1/attestations/sigstore@2.3.1",
            server.base
        );
        assert_eq!(
            found(registry.attestations_at(&advertised)).0,
            SIGSTORE_ATTESTATIONS
        );
    }
    assert_eq!(server.total(), 8);
    assert!(
        server
            .state
            .lock()
            .unwrap()
            .seen
            .iter()
            .all(|s| s.path.starts_with(prefix))
    );
}

#[test]
fn attestations_at_refuses_a_foreign_host() {
    let server = Server::start();
    let path = "/-/npm/v1/attestations/sigstore@2.3.1";
    server.route(path, vec![Reply::json(SIGSTORE_ATTESTATIONS)]);
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    let port = server
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let other_port = if port == 65535 { port - 1 } else { port + 1 };

    for foreign in [
        format!("https://registry.npmjs.org{path}"),
        format!("http://127.0.0.1:{other_port}{path}"),
        format!("https://127.0.0.1:{port}{path}"),
        format!("http://localhost:{port}{path}"),
    ] {
        match registry.attestations_at(&foreign) {
            Err(err @ RegistryError::ForeignUrl { .. }) => {
                let message = err.to_string();
                assert!(message.contains(&foreign), "{message}");
                assert!(message.contains(&server.base), "{message}");
            }
            other => panic!("{foreign}: expected ForeignUrl, got {other:?}"),
        }
    }
    assert!(matches!(
        registry.attestations_at("not a url"),
        Err(RegistryError::InvalidUrl { .. })
    ));
    assert_eq!(server.total(), 0, "nothing foreign was fetched");

    let (body, _) = found(registry.attestations_at(&format!("{}{path}", server.base)));
    assert_eq!(body, SIGSTORE_ATTESTATIONS);
    // The same URL through attestations() shares the cache entry.
    let (again, from_cache) =
        found(offline(&server.base, cache.path()).attestations("sigstore", "2.3.1"));
    assert!(from_cache);
    assert_eq!(again, body);
}

#[test]
fn parses_the_attestations_fixture_as_json_only() {
    // The raw body is returned byte for byte; a non-JSON body is a parse error.
    let server = Server::start();
    server.route(
        "/-/npm/v1/attestations/x@1.0.0",
        vec![Reply::json(b"<html>captive portal</html>")],
    );
    let cache = tempfile::tempdir().unwrap();
    let registry = registry(&server.base, cache.path());
    assert!(matches!(
        registry.attestations("x", "1.0.0"),
        Err(RegistryError::Parse { .. })
    ));
    // And Packument::parse is usable on its own.
    let packument = Packument::parse(UNDICI, "fixture").unwrap();
    assert_eq!(packument.versions.len(), 2);
}
