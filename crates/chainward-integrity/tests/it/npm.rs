//! npm: real trees built in a tempdir from small real tarballs (`tests/fixtures/npm/`): a
//! `package-lock.json` v3, the tarballs in a `_cacache` laid out as npm writes it, and
//! `node_modules` unpacked as npm unpacks it. Then clean and tampered.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chainward_integrity::fetch::HttpFetch;
use chainward_integrity::{Limits, Options, Outcome, Progress};
use chainward_types::{FindingCode, Hash, HashAlgorithm};
use sha2::Digest as _;

fn fixture(name: &str) -> Vec<u8> {
    fs_err::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/npm")
            .join(name),
    )
    .unwrap()
}

fn sha512(bytes: &[u8]) -> Hash {
    Hash::from_bytes(HashAlgorithm::Sha512, &sha2::Sha512::digest(bytes)).unwrap()
}

fn sri(bytes: &[u8]) -> String {
    sha512(bytes).to_sri()
}

/// One package of a test project.
#[derive(Clone)]
struct Pkg {
    key: String,
    name: String,
    version: String,
    tarball: Vec<u8>,
    /// The lockfile's integrity (default: the tarball's SHA-512).
    integrity: Option<String>,
    extra: serde_json::Value,
}

impl Pkg {
    fn new(key: &str, name: &str, version: &str, tarball: Vec<u8>) -> Self {
        Self {
            key: key.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
            integrity: Some(sri(&tarball)),
            tarball,
            extra: serde_json::json!({}),
        }
    }

    fn url(&self, registry: &str) -> String {
        let short = self.name.rsplit('/').next().unwrap();
        format!("{registry}/{}/-/{short}-{}.tgz", self.name, self.version)
    }
}

/// A project folder, its npm cache, and the registry base URL the lockfile records.
struct Project {
    tmp: tempfile::TempDir,
    registry: String,
    pkgs: Vec<Pkg>,
}

const REGISTRY: &str = "https://registry.npmjs.org";

impl Project {
    fn dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("npm/_cacache")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir().join(rel)
    }

    /// Writes the lockfile, caches every tarball and installs every package.
    fn build(pkgs: Vec<Pkg>, registry: &str) -> Self {
        let p = Self {
            tmp: tempfile::tempdir().unwrap(),
            registry: registry.to_owned(),
            pkgs,
        };
        fs_err::create_dir_all(p.dir()).unwrap();
        p.write_lockfile();
        for pkg in &p.pkgs {
            if pkg.integrity.is_some() {
                cache_put(&p.cache(), &pkg.url(registry), &pkg.tarball);
            }
            if !pkg.tarball.is_empty() {
                install(&p.dir().join(&pkg.key), &pkg.tarball);
            }
        }
        p
    }

    fn write_lockfile(&self) {
        let mut packages = serde_json::Map::new();
        let direct: serde_json::Map<String, serde_json::Value> = self
            .pkgs
            .iter()
            .filter(|p| p.key.matches("node_modules/").count() == 1)
            .map(|p| (p.name.clone(), serde_json::json!(format!("^{}", p.version))))
            .collect();
        packages.insert(
            String::new(),
            serde_json::json!({"name": "demo", "version": "1.0.0", "dependencies": direct}),
        );
        for p in &self.pkgs {
            let mut e = serde_json::json!({
                "version": p.version,
                "resolved": p.url(&self.registry),
            });
            if let Some(i) = &p.integrity {
                e["integrity"] = serde_json::json!(i);
            }
            for (k, v) in p.extra.as_object().unwrap() {
                e[k] = v.clone();
            }
            packages.insert(p.key.clone(), e);
        }
        let lock = serde_json::json!({
            "name": "demo",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": true,
            "packages": packages,
        });
        fs_err::write(
            self.path("package-lock.json"),
            serde_json::to_string_pretty(&lock).unwrap(),
        )
        .unwrap();
    }

    fn options(&self) -> Options {
        Options {
            npm_cache: Some(self.cache()),
            ..Options::default()
        }
    }

    fn verify(&self) -> Outcome {
        self.verify_with(&self.options())
    }

    /// Verifies, leaving out the lockfile hygiene findings (the test registry is plain
    /// HTTP on 127.0.0.1; SHA-1 is weak): they are another module's.
    fn verify_with(&self, options: &Options) -> Outcome {
        let mut o = verify_dir(&self.dir(), options);
        o.findings.retain(|f| {
            !matches!(
                f.code,
                FindingCode::InsecureOrigin
                    | FindingCode::UntrustedHost
                    | FindingCode::WeakIntegrity
                    | FindingCode::MissingIntegrity
                    | FindingCode::UrlNameMismatch
            )
        });
        o
    }

    fn content_path(&self, pkg: usize) -> PathBuf {
        let h = sha512(&self.pkgs[pkg].tarball);
        self.cache()
            .join("content-v2/sha512")
            .join(&h.hex[..2])
            .join(&h.hex[2..4])
            .join(&h.hex[4..])
    }
}

fn verify_dir(dir: &Path, options: &Options) -> Outcome {
    let sources = chainward_extract::read_sources(
        &[dir.to_path_buf()],
        &chainward_extract::Options::default(),
    )
    .unwrap();
    chainward_integrity::verify(&sources, options)
}

/// Stores a tarball as npm (cacache through make-fetch-happen) does: the content by its
/// SHA-512, and an index line for the URL.
fn cache_put(cache: &Path, url: &str, bytes: &[u8]) {
    let h = sha512(bytes);
    let content = cache
        .join("content-v2/sha512")
        .join(&h.hex[..2])
        .join(&h.hex[2..4])
        .join(&h.hex[4..]);
    fs_err::create_dir_all(content.parent().unwrap()).unwrap();
    fs_err::write(&content, bytes).unwrap();
    let key = format!("make-fetch-happen:request-cache:{url}");
    let bucket = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    let path = cache
        .join("index-v5")
        .join(&bucket[..2])
        .join(&bucket[2..4])
        .join(&bucket[4..]);
    let json = serde_json::json!({
        "key": key,
        "integrity": h.to_sri(),
        "time": 1_700_000_000_000u64,
        "size": bytes.len(),
        "metadata": {"url": url, "reqHeaders": {}, "resHeaders": {}},
    })
    .to_string();
    let line = format!(
        "\n{}\t{json}",
        hex::encode(sha1::Sha1::digest(json.as_bytes()))
    );
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(line.as_bytes()).unwrap();
}

/// Unpacks a tarball as npm does: the first path component stripped, files only.
fn install(dest: &Path, tgz: &[u8]) {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry.path().unwrap().into_owned();
        let Ok(rel) = path.strip_prefix(path.components().next().unwrap()) else {
            continue;
        };
        if rel
            .components()
            .any(|c| c == std::path::Component::ParentDir)
        {
            continue;
        }
        let mut rel = rel.to_path_buf();
        if rel.file_name().is_some_and(|n| n == ".gitignore") {
            rel.set_file_name(".npmignore");
        }
        let target = dest.join(rel);
        fs_err::create_dir_all(target.parent().unwrap()).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        fs_err::write(target, bytes).unwrap();
    }
}

/// A tarball built in the test: (raw entry name, kind, bytes or link target).
enum Item<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

fn build_tgz(items: &[Item<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for item in items {
        let mut header = tar::Header::new_ustar();
        let (name, data): (&str, &[u8]) = match item {
            Item::File(name, data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                (name, data)
            }
            Item::Symlink(name, target) | Item::Hardlink(name, target) => {
                header.set_entry_type(if matches!(item, Item::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                header.set_size(0);
                header.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
                (name, &[][..])
            }
        };
        header.set_mode(0o644);
        // Raw names, `..` included: `set_path` would refuse them.
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn three() -> Vec<Pkg> {
    vec![
        Pkg::new(
            "node_modules/is-number",
            "is-number",
            "7.0.0",
            fixture("is-number@7.0.0.tgz"),
        ),
        Pkg::new(
            "node_modules/left-pad",
            "left-pad",
            "1.3.0",
            fixture("left-pad@1.3.0.tgz"),
        ),
        Pkg::new(
            "node_modules/minimist",
            "minimist",
            "1.2.6",
            fixture("minimist@1.2.6.tgz"),
        ),
        Pkg::new(
            "node_modules/minimist/node_modules/ms",
            "ms",
            "2.1.3",
            fixture("ms@2.1.3.tgz"),
        ),
    ]
}

fn codes(o: &Outcome) -> Vec<(FindingCode, String)> {
    o.findings
        .iter()
        .map(|f| {
            (
                f.code,
                f.evidence
                    .as_ref()
                    .and_then(|e| e.file.clone().or_else(|| e.value.clone()))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn assert_clean(o: &Outcome) {
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert!(o.unchecked.is_empty(), "{:#?}", o.unchecked);
}

#[test]
fn clean_install_verifies_with_no_findings() {
    let p = Project::build(three(), REGISTRY);
    let o = p.verify();
    assert_clean(&o);
    assert_eq!(o.stats.packages, 4);
    assert_eq!(o.stats.archives, 4);
    assert_eq!(o.stats.files, 4 + 10 + 21 + 4);
}

#[test]
fn detects_a_modified_file_with_both_hashes() {
    let p = Project::build(three(), REGISTRY);
    let original = fs_err::read(p.path("node_modules/is-number/index.js")).unwrap();
    let evil = b"module.exports = () => require('child_process').exec('curl evil');\n";
    fs_err::write(p.path("node_modules/is-number/index.js"), evil).unwrap();
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [(
            FindingCode::FileModified,
            "node_modules/is-number/index.js".to_owned()
        )]
    );
    let e = o.findings[0].evidence.as_ref().unwrap();
    assert_eq!(e.expected.as_ref(), Some(&sha512(&original)));
    assert_eq!(e.actual.as_ref(), Some(&sha512(evil)));
    assert_eq!(o.findings[0].package.name, "is-number");
    assert_eq!(
        o.findings[0].locations[0].key.as_deref(),
        Some("node_modules/is-number")
    );
    assert!(o.unchecked.is_empty());
}

#[test]
fn detects_an_added_file() {
    let p = Project::build(three(), REGISTRY);
    fs_err::write(p.path("node_modules/minimist/postinstall.js"), "evil()").unwrap();
    // Other packages' folders below it are theirs, not added files.
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [(
            FindingCode::FileAdded,
            "node_modules/minimist/postinstall.js".to_owned()
        )]
    );
    assert_eq!(
        o.findings[0].evidence.as_ref().unwrap().actual,
        Some(sha512(b"evil()"))
    );
}

#[test]
fn detects_a_removed_file() {
    let p = Project::build(three(), REGISTRY);
    fs_err::remove_file(p.path("node_modules/minimist/node_modules/ms/index.js")).unwrap();
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [(
            FindingCode::FileMissing,
            "node_modules/minimist/node_modules/ms/index.js".to_owned()
        )]
    );
    assert_eq!(o.findings[0].package.name, "ms");
}

#[test]
fn detects_tampered_cache_content_and_does_not_compare_with_it() {
    let p = Project::build(three(), REGISTRY);
    let forged = fixture("ms@2.1.3.tgz");
    fs_err::write(p.content_path(1), &forged).unwrap();
    let o = p.verify();
    assert_eq!(codes(&o).len(), 1, "{:#?}", o.findings);
    let f = &o.findings[0];
    assert_eq!(f.code, FindingCode::IntegrityMismatch);
    assert_eq!(f.package.name, "left-pad");
    let e = f.evidence.as_ref().unwrap();
    assert_eq!(e.expected.as_ref(), Some(&sha512(&p.pkgs[1].tarball)));
    assert_eq!(e.actual.as_ref(), Some(&sha512(&forged)));
    // Offline, nothing else can be compared: said, not passed.
    assert_eq!(o.unchecked.len(), 1, "{:#?}", o.unchecked);
    assert!(o.unchecked[0].path.ends_with("node_modules/left-pad"));
}

#[test]
fn detects_a_lockfile_whose_integrity_is_not_the_cached_tarball() {
    let mut pkgs = three();
    pkgs[0].integrity = Some(sri(b"another tarball"));
    // The real tarball is in the cache under its own address, found through the index.
    let p = Project::build(pkgs, REGISTRY);
    let o = p.verify();
    assert_eq!(
        o.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        [FindingCode::IntegrityMismatch]
    );
    assert_eq!(
        o.findings[0].evidence.as_ref().unwrap().expected,
        Some(sha512(b"another tarball"))
    );
}

#[test]
fn reports_a_package_installed_but_not_in_the_lockfile() {
    let p = Project::build(three(), REGISTRY);
    install(&p.path("node_modules/ms"), &fixture("ms@2.1.3.tgz"));
    fs_err::write(p.path("node_modules/evil.js"), "evil()").unwrap();
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [
            (
                FindingCode::NotInLockfile,
                "node_modules/evil.js".to_owned()
            ),
            (FindingCode::NotInLockfile, "node_modules/ms".to_owned()),
        ]
    );
    let ms = &o.findings[1];
    assert_eq!(
        (ms.package.name.as_str(), ms.package.version.as_str()),
        ("ms", "2.1.3")
    );
}

#[test]
fn reports_a_locked_package_that_is_not_installed_unless_optional() {
    let mut pkgs = three();
    pkgs.push(Pkg {
        extra: serde_json::json!({"optional": true, "os": ["darwin"]}),
        ..Pkg::new(
            "node_modules/fsevents-like",
            "fsevents-like",
            "1.0.0",
            fixture("ms@2.1.3.tgz"),
        )
    });
    let p = Project::build(pkgs, REGISTRY);
    fs_err::remove_dir_all(p.path("node_modules/fsevents-like")).unwrap();
    fs_err::remove_dir_all(p.path("node_modules/left-pad")).unwrap();
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [(
            FindingCode::NotInstalled,
            "node_modules/left-pad".to_owned()
        )]
    );
    assert!(o.unchecked.is_empty(), "{:#?}", o.unchecked);
}

#[test]
fn reports_unsafe_entries_without_following_them() {
    let tgz = build_tgz(&[
        Item::File(
            "package/package.json",
            br#"{"name":"sneaky","version":"1.0.0"}"#,
        ),
        Item::File("package/../evil", b"outside"),
        Item::Symlink("package/passwd", "/etc/passwd"),
        Item::Hardlink("package/hard", "package/package.json"),
    ]);
    let p = Project::build(
        vec![Pkg::new("node_modules/sneaky", "sneaky", "1.0.0", tgz)],
        REGISTRY,
    );
    let o = p.verify();
    let mut values: Vec<_> = o
        .findings
        .iter()
        .map(|f| {
            (
                f.code,
                f.evidence
                    .as_ref()
                    .unwrap()
                    .value
                    .clone()
                    .unwrap_or_default(),
            )
        })
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            (
                FindingCode::UnsafeArchiveEntry,
                "package/../evil".to_owned()
            ),
            (FindingCode::UnsafeArchiveEntry, "package/hard".to_owned()),
            (FindingCode::UnsafeArchiveEntry, "package/passwd".to_owned()),
        ]
    );
    assert!(o.unchecked.is_empty(), "{:#?}", o.unchecked);
    assert!(!p.tmp.path().join("evil").exists());
    assert!(!p.path("node_modules/evil").exists());
}

#[test]
fn a_gzip_bomb_beyond_the_limits_is_unchecked_not_a_panic() {
    let zeros = vec![0u8; 8 << 20];
    let tgz = build_tgz(&[
        Item::File(
            "package/package.json",
            br#"{"name":"bomb","version":"1.0.0"}"#,
        ),
        Item::File("package/zeros.bin", &zeros),
    ]);
    let p = Project::build(
        vec![Pkg::new("node_modules/bomb", "bomb", "1.0.0", tgz)],
        REGISTRY,
    );
    let options = Options {
        limits: Limits {
            max_ratio: 50,
            ratio_slack_bytes: 1 << 20,
            ..Limits::default()
        },
        ..p.options()
    };
    let o = p.verify_with(&options);
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert_eq!(o.unchecked.len(), 1, "{:#?}", o.unchecked);
    assert!(
        o.unchecked[0].message.contains("compression ratio"),
        "{:#?}",
        o.unchecked
    );
    // Within the default limits the same archive verifies.
    assert_clean(&p.verify());
}

#[test]
fn a_tarball_missing_from_the_cache_offline_is_unchecked() {
    let p = Project::build(three(), REGISTRY);
    fs_err::remove_file(p.content_path(2)).unwrap();
    let o = p.verify();
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert_eq!(o.unchecked.len(), 1);
    assert!(o.unchecked[0].path.ends_with("node_modules/minimist"));
    assert_eq!(
        o.unchecked[0].message,
        "not in the npm cache and --offline: cannot verify"
    );
    // With no tarball cached at all (another cache), one entry says so.
    let o = p.verify_with(&Options::default());
    assert_eq!(o.unchecked.len(), 1, "{:#?}", o.unchecked);
    assert!(o.unchecked[0].path.ends_with("package-lock.json"));
    assert!(
        o.unchecked[0]
            .message
            .contains("none of the tarballs of its 4")
    );
}

#[test]
fn dev_packages_left_out_by_omit_dev_are_not_reported() {
    let mut pkgs = three();
    pkgs[1].extra = serde_json::json!({"dev": true});
    // npm marks everything only a peer dependency needs as `peer`.
    pkgs[2].extra = serde_json::json!({"peer": true});
    pkgs[3].extra = serde_json::json!({"peer": true});
    let p = Project::build(pkgs, REGISTRY);
    fs_err::remove_dir_all(p.path("node_modules/left-pad")).unwrap();
    fs_err::remove_dir_all(p.path("node_modules/minimist")).unwrap();
    let o = p.verify();
    assert_clean(&o);
    assert_eq!(o.stats.packages, 1);
}

#[test]
fn a_file_or_link_where_a_package_folder_belongs_is_not_installed() {
    let p = Project::build(three(), REGISTRY);
    fs_err::remove_dir_all(p.path("node_modules/left-pad")).unwrap();
    fs_err::write(p.path("node_modules/left-pad"), "module.exports = evil").unwrap();
    fs_err::remove_dir_all(p.path("node_modules/is-number")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/tmp", p.path("node_modules/is-number")).unwrap();
    let o = p.verify();
    let found: Vec<_> = o
        .findings
        .iter()
        .map(|f| {
            (
                f.code,
                f.package.name.as_str(),
                f.evidence.as_ref().unwrap().value.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                FindingCode::NotInstalled,
                "is-number",
                Some("/tmp".to_owned())
            ),
            (FindingCode::NotInstalled, "left-pad", None),
        ]
    );
}

/// Serves `body` to every GET on 127.0.0.1; returns the base URL and the paths asked for.
fn serve(body: Vec<u8>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            log.lock()
                .unwrap()
                .push(request.split(' ').nth(1).unwrap_or("").to_owned());
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (base, asked)
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn start(&self, what: &str, total: u64) {
        self.0.lock().unwrap().push(format!("start {what} {total}"));
    }
    fn advance(&self, n: u64) {
        self.0.lock().unwrap().push(format!("advance {n}"));
    }
    fn finish(&self) {
        self.0.lock().unwrap().push("finish".to_owned());
    }
}

#[test]
fn a_tarball_missing_from_the_cache_online_is_fetched_and_verified() {
    let tarball = fixture("minimist@1.2.6.tgz");
    let (base, asked) = serve(tarball.clone());
    let p = Project::build(three(), &base);
    fs_err::remove_file(p.content_path(2)).unwrap();
    let recorder = Arc::new(Recorder::default());
    let options = Options {
        fetch: Some(Arc::new(HttpFetch::default())),
        progress: Some(recorder.clone()),
        ..p.options()
    };
    let o = p.verify_with(&options);
    assert_clean(&o);
    assert_eq!(o.stats.packages, 4);
    assert_eq!(*asked.lock().unwrap(), ["/minimist/-/minimist-1.2.6.tgz"]);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        ["start Downloading npm tarballs 1", "advance 1", "finish"]
    );
    // Nothing was written to the cache.
    assert!(!p.content_path(2).exists());

    // A tampered file is still caught against the downloaded tarball.
    fs_err::write(p.path("node_modules/minimist/index.js"), "evil()").unwrap();
    let o = p.verify_with(&options);
    assert_eq!(
        codes(&o),
        [(
            FindingCode::FileModified,
            "node_modules/minimist/index.js".to_owned()
        )]
    );
}

#[test]
fn a_download_that_does_not_match_the_lockfile_is_an_integrity_mismatch() {
    let (base, _) = serve(fixture("ms@2.1.3.tgz"));
    let p = Project::build(three(), &base);
    fs_err::remove_file(p.content_path(0)).unwrap();
    let options = Options {
        fetch: Some(Arc::new(HttpFetch::default())),
        ..p.options()
    };
    let o = p.verify_with(&options);
    assert_eq!(
        o.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        [FindingCode::IntegrityMismatch]
    );
    assert_eq!(o.unchecked.len(), 1, "{:#?}", o.unchecked);
}

#[test]
fn a_poisoned_cache_is_replaced_by_a_download_online() {
    let (base, _) = serve(fixture("left-pad@1.3.0.tgz"));
    let p = Project::build(three(), &base);
    fs_err::write(p.content_path(1), b"poison").unwrap();
    let options = Options {
        fetch: Some(Arc::new(HttpFetch::default())),
        ..p.options()
    };
    let o = p.verify_with(&options);
    // The poisoned cache is reported; the installed files are compared with the download.
    assert_eq!(
        o.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        [FindingCode::IntegrityMismatch]
    );
    assert!(o.unchecked.is_empty(), "{:#?}", o.unchecked);
    assert_eq!(o.stats.packages, 4);
}

#[test]
fn a_sha1_only_lockfile_finds_the_tarball_through_the_cache_index() {
    let mut pkgs = three();
    let sha1 = sha1::Sha1::digest(&pkgs[0].tarball);
    pkgs[0].integrity = Some(format!(
        "sha1-{}",
        base64::engine::general_purpose::STANDARD.encode(sha1)
    ));
    // `build` caches the tarball under its SHA-512 address, with an index entry for its URL.
    let p = Project::build(pkgs, REGISTRY);
    assert_clean(&p.verify());
    // The content must still hash to its own address.
    let mut forged = p.pkgs[0].tarball.clone();
    forged.push(0);
    fs_err::write(p.content_path(0), &forged).unwrap();
    let o = p.verify();
    assert_eq!(
        o.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
        [
            FindingCode::IntegrityMismatch,
            FindingCode::IntegrityMismatch
        ]
    );
}

#[test]
fn bundled_dependencies_are_compared_as_part_of_their_parent() {
    let ms = fixture("ms@2.1.3.tgz");
    let mut items = Vec::new();
    let mut files = Vec::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&ms[..]));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry
            .path()
            .unwrap()
            .to_string_lossy()
            .replace("package/", "package/node_modules/ms/");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.push((name, bytes));
    }
    let manifest = br#"{"name":"parent","version":"1.0.0","bundleDependencies":["ms"]}"#;
    items.push(Item::File("package/package.json", manifest));
    for (name, bytes) in &files {
        items.push(Item::File(name, bytes));
    }
    let parent = build_tgz(&items);
    let mut bundled = Pkg::new(
        "node_modules/parent/node_modules/ms",
        "ms",
        "2.1.3",
        Vec::new(),
    );
    bundled.integrity = None;
    bundled.extra = serde_json::json!({"inBundle": true});
    let p = Project::build(
        vec![
            Pkg::new("node_modules/parent", "parent", "1.0.0", parent),
            bundled,
        ],
        REGISTRY,
    );
    let o = p.verify();
    assert_clean(&o);
    assert_eq!(o.stats.files, 1 + 4);
    fs_err::write(p.path("node_modules/parent/node_modules/ms/evil.js"), "x").unwrap();
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [(
            FindingCode::FileAdded,
            "node_modules/parent/node_modules/ms/evil.js".to_owned()
        )]
    );
    assert_eq!(o.findings[0].package.name, "parent");
}

#[test]
fn gitignore_entries_are_installed_as_npmignore() {
    let tgz = build_tgz(&[
        Item::File(
            "package/package.json",
            br#"{"name":"gi","version":"1.0.0"}"#,
        ),
        Item::File("package/.gitignore", b"node_modules\n"),
        Item::File("package/sub/.npmignore", b"a\n"),
        Item::File("package/sub/.gitignore", b"b\n"),
    ]);
    let p = Project::build(
        vec![Pkg::new("node_modules/gi", "gi", "1.0.0", tgz)],
        REGISTRY,
    );
    // npm drops `sub/.gitignore`: `sub/.npmignore` came first.
    fs_err::write(p.path("node_modules/gi/sub/.npmignore"), b"a\n").unwrap();
    assert_clean(&p.verify());
    assert!(p.path("node_modules/gi/.npmignore").exists());
}

#[test]
fn workspace_links_are_skipped_and_their_own_node_modules_verified() {
    let left_pad = Pkg::new(
        "packages/app/node_modules/left-pad",
        "left-pad",
        "1.3.0",
        fixture("left-pad@1.3.0.tgz"),
    );
    let mut link = Pkg::new("node_modules/app", "app", "1.0.0", Vec::new());
    link.integrity = None;
    link.extra = serde_json::json!({"link": true, "resolved": "packages/app"});
    let mut member = Pkg::new("packages/app", "app", "1.0.0", Vec::new());
    member.integrity = None;
    let p = Project::build(vec![left_pad, member, link], REGISTRY);
    fs_err::write(
        p.path("packages/app/package.json"),
        r#"{"name":"app","version":"1.0.0"}"#,
    )
    .unwrap();
    fs_err::create_dir_all(p.path("node_modules")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../packages/app", p.path("node_modules/app")).unwrap();
    let o = p.verify();
    assert_clean(&o);
    assert_eq!(o.stats.packages, 1);
    fs_err::remove_file(p.path("packages/app/node_modules/left-pad/index.js")).unwrap();
    assert_eq!(
        codes(&p.verify()),
        [(
            FindingCode::FileMissing,
            "packages/app/node_modules/left-pad/index.js".to_owned()
        )]
    );
}

#[test]
fn node_modules_alone_is_verified_against_the_hidden_lockfile() {
    let p = Project::build(three(), REGISTRY);
    fs_err::rename(
        p.path("package-lock.json"),
        p.path("node_modules/.package-lock.json"),
    )
    .unwrap();
    let o = p.verify();
    assert_clean(&o);
    assert_eq!(o.stats.packages, 4);
    fs_err::write(p.path("node_modules/left-pad/index.js"), "evil()").unwrap();
    let o = p.verify();
    assert_eq!(
        codes(&o),
        [(
            FindingCode::FileModified,
            "node_modules/left-pad/index.js".to_owned()
        )]
    );
    assert_eq!(o.findings[0].package.name, "left-pad");

    // No lockfile at all: said, not passed.
    fs_err::remove_file(p.path("node_modules/.package-lock.json")).unwrap();
    let o = p.verify();
    assert_eq!(o.unchecked.len(), 1, "{:#?}", o.unchecked);
    assert!(o.unchecked[0].message.contains("no lockfile"));
}

#[test]
fn a_lockfile_without_node_modules_checks_only_the_cache() {
    let p = Project::build(three(), REGISTRY);
    fs_err::remove_dir_all(p.path("node_modules")).unwrap();
    let o = p.verify();
    assert!(o.findings.is_empty(), "{:#?}", o.findings);
    assert_eq!(o.unchecked.len(), 1, "{:#?}", o.unchecked);
    assert!(o.unchecked[0].message.contains("no node_modules"));
    assert_eq!((o.stats.archives, o.stats.packages), (4, 0));
    fs_err::write(p.content_path(3), b"poison").unwrap();
    assert_eq!(
        p.verify()
            .findings
            .iter()
            .map(|f| f.code)
            .collect::<Vec<_>>(),
        [FindingCode::IntegrityMismatch]
    );
}
