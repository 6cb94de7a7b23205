//! Lockfile hygiene: origins, hosts, URL names, integrity strength, pinned git.
//!
//! Every lockfile source (npm `package-lock.json` / `npm-shrinkwrap.json`, yarn classic and
//! berry, pnpm, bun, `Cargo.lock`, `requirements.txt`, `poetry.lock`, `uv.lock`,
//! `Pipfile.lock`) is read package by package, from the origin and hashes its parser
//! recorded. Local packages ([`Origin::Path`], [`Origin::Workspace`], `file:` URLs, Cargo
//! `local-registry+` / `directory+` sources) download nothing and are never reported. The
//! rules, modelled on lockfile-lint's validators where they overlap:
//!
//! 1. **`insecure-origin`** (lockfile-lint `validate-https`, narrowed): the URL's transport
//!    is plain text: `http:`, `git:` (the git protocol), `ftp:`, `svn:`, `bzr:`, or any of
//!    them behind a `+` prefix (`git+http:`, `registry+http:`, `sparse+http:`). `https:` and
//!    `ssh:` (also `git+ssh:` and scp-like `git@host:path`) are fine: ssh is authenticated.
//! 2. **`untrusted-host`** (lockfile-lint `validate-host`): the host of a registry download
//!    URL or index, a plain URL, or a git repository (lockfile-lint checks `git+https`
//!    resolutions too) is not allowed. Allowed by default, per the package's ecosystem:
//!    npm `registry.npmjs.org`, `registry.yarnpkg.com` (yarn's CNAME of the npm registry)
//!    and `nodejs.org` (the Node.js releases pnpm and bun runtimes download); crates.io
//!    `index.crates.io`, `static.crates.io`, `crates.io` and `github.com` only for
//!    `/rust-lang/crates.io-index`; PyPI `pypi.org`, `files.pythonhosted.org`,
//!    `pypi.python.org`. So a git dependency is reported unless its host is added.
//!    [`Options::allowed_hosts`] adds hosts for every ecosystem; an entry is a host
//!    (`npm.internal.example`, `npm.internal.example:8443`), a URL of which only the host
//!    counts (`https://npm.internal.example/api/npm/`), or lockfile-lint's aliases `npm`,
//!    `yarn`, `verdaccio`. An entry without a port allows every port of its host.
//!    [`Options::no_default_hosts`] drops the defaults. A lockfile that records no URL
//!    (berry and pnpm registry packages, PyPI packages of the default index) has nothing to
//!    check here.
//! 3. **`url-name-mismatch`** (lockfile-lint `validate-package-names`): an npm download URL
//!    with the registry's tarball layout, `<registry>/<name>/-/<short name>-<version>.tgz`
//!    (the scope may be encoded, `%40scope%2fname`; GitLab repeats the scope in the file
//!    name), must name the package the entry names, at its version. On the public npm
//!    hosts every URL must have exactly that layout (`<host>/<name>/-/...`); other hosts
//!    with other layouts are not judged (lockfile-lint skips them all). The name compared is
//!    the real package name, so an `npm:` alias (install path `node_modules/foo`, package
//!    `bar`, URL `.../bar/-/bar-1.0.0.tgz`) is fine without lockfile-lint's
//!    `--allowed-package-name-aliases`. For PyPI, a plain URL whose file is a wheel or an
//!    sdist (`name-1.0.tar.gz`) must name the package (PEP 503 normalised).
//! 4. **`missing-integrity`**: a registry or URL package has no hash at all, in a format
//!    that records one for every download: npm lockfiles, yarn (classic and berry; berry's
//!    cache-zip checksum counts), pnpm, bun, registry packages of `Cargo.lock`, `uv.lock`,
//!    `poetry.lock`, `Pipfile.lock`. A `requirements.txt` is judged only when some of its
//!    requirements carry `--hash`: pip's hash-checking mode is all-or-nothing, so one hash
//!    makes every unhashed download an install failure or a gap, while a file with no
//!    hashes at all is the common, unhashed style and is not reported. Bundled npm
//!    packages (inside another package's tarball), git and local packages are exempt, and
//!    so are yarn berry entries with `conditions:` (platform packages such as
//!    `@esbuild/aix-ppc64`): yarn fetches, and so checksums, only the platforms of its
//!    `supportedArchitectures`, so every berry lockfile lacks those checksums by design. The
//!    model does not carry the conditions, so they are read from the lockfile's text.
//! 5. **`weak-integrity`** (lockfile-lint `validate-integrity`): every hash recorded for a
//!    registry or URL package is SHA-1 or MD5 (old yarn `#sha1` fragments, `sha1-` SRI).
//! 6. **`unpinned-git`**: a git dependency whose commit is not a full 40- or 64-digit hex
//!    id (a branch, a tag, a short id, nothing).
//!
//! Each finding is about one package of one lockfile, located where that lockfile lists
//! it; its evidence names the lockfile (`file`), the URL or offending value (`value`) and,
//! for a weak hash, the hash (`expected`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use chainward_extract::Format;
use chainward_types::{Ecosystem, Evidence, FindingCode, Hash, HashAlgorithm, Origin, Package};

use crate::{Options, Outcome, SourceRef, package_finding};

/// Checks every package of a lockfile.
pub(crate) fn check(source: &SourceRef<'_>, options: &Options, out: &mut Outcome) {
    let hosts = AllowedHosts::new(options);
    let mut integrity = IntegrityRule::for_source(source);
    for pkg in &source.lockfile.packages {
        check_package(source, pkg, &hosts, &mut integrity, out);
    }
}

fn check_package(
    source: &SourceRef<'_>,
    pkg: &Package,
    hosts: &AllowedHosts,
    integrity: &mut IntegrityRule,
    out: &mut Outcome,
) {
    let (url, downloaded) = match &pkg.origin {
        Origin::Path { .. } | Origin::Workspace { .. } => return,
        Origin::Registry { url } => (url.as_deref(), true),
        Origin::Url { url } => (Some(url.as_str()), true),
        Origin::Git { url, .. } => (Some(url.as_str()), false),
    };
    let remote = url.map(|u| (u, Remote::parse(u)));
    if remote
        .as_ref()
        .is_some_and(|(u, r)| r.transport == Transport::Local || is_local_cargo_source(pkg, u))
    {
        return;
    }
    let evidence = |value: Option<&str>| Evidence {
        file: Some(source.display.to_owned()),
        value: value.map(str::to_owned),
        ..Evidence::default()
    };
    let label = label(pkg);

    // 1. Plain-text transports.
    if let Some((u, r)) = &remote
        && r.transport == Transport::PlainText
    {
        out.findings.push(package_finding(
            FindingCode::InsecureOrigin,
            pkg,
            format!(
                "{label} is fetched over plain-text `{}`, which anyone on the path can tamper with: {u}",
                r.scheme
            ),
            evidence(Some(u)),
        ));
    }

    // 2. Hosts outside the allowed list.
    if let Some((u, r)) = &remote {
        if r.host.is_empty() {
            if r.has_authority {
                out.findings.push(package_finding(
                    FindingCode::UntrustedHost,
                    pkg,
                    format!("{label} is fetched from a URL without a host: {u}"),
                    evidence(Some(u)),
                ));
            }
        } else if !hosts.allows(pkg.ecosystem, r) {
            out.findings.push(package_finding(
                FindingCode::UntrustedHost,
                pkg,
                format!(
                    "{label} is fetched from `{}`, which is not an allowed host: {u}",
                    r.host_port()
                ),
                evidence(Some(u)),
            ));
        }
    }

    // 3. URLs of another package.
    if downloaded
        && let Some((u, r)) = &remote
        && let Some(named) = url_names_other(pkg, r)
    {
        out.findings.push(package_finding(
            FindingCode::UrlNameMismatch,
            pkg,
            format!("{label} resolves to a URL for {named}: {u}"),
            evidence(Some(u)),
        ));
    }

    // 4 and 5. Missing and weak integrity.
    if downloaded && !pkg.bundled {
        if pkg.hashes.is_empty() {
            if integrity.expects(source, pkg) {
                out.findings.push(package_finding(
                    FindingCode::MissingIntegrity,
                    pkg,
                    format!(
                        "{label} has no integrity hash in {}, so nothing checks what is downloaded",
                        source.display
                    ),
                    evidence(url),
                ));
            }
        } else if let Some(weak) = only_weak_hash(&pkg.hashes) {
            let mut ev = evidence(url);
            ev.expected = Some(weak.clone());
            out.findings.push(package_finding(
                FindingCode::WeakIntegrity,
                pkg,
                format!(
                    "{label} has only {} integrity in {}, which can be forged",
                    weak.algorithm, source.display
                ),
                ev,
            ));
        }
    }

    // 6. Git dependencies without a full commit.
    if let Origin::Git {
        url,
        commit,
        reference,
    } = &pkg.origin
        && !commit.as_deref().is_some_and(is_full_commit)
    {
        let (value, what) = match (commit, reference) {
            (Some(c), _) => (format!("{url}#{c}"), format!("the short commit `{c}`")),
            (None, Some(r)) => (format!("{url}#{r}"), format!("`{r}`")),
            (None, None) => (url.clone(), "no revision".to_owned()),
        };
        out.findings.push(package_finding(
            FindingCode::UnpinnedGit,
            pkg,
            format!(
                "git dependency {label} is locked to {what}, not a full commit, so the next install may fetch different code"
            ),
            evidence(Some(&value)),
        ));
    }
}

/// `name@version`, or `name` when the version is unknown.
fn label(pkg: &Package) -> String {
    if pkg.version.is_empty() {
        format!("`{}`", pkg.name)
    } else {
        format!("`{}@{}`", pkg.name, pkg.version)
    }
}

/// Cargo sources read from the local disk: nothing is downloaded.
fn is_local_cargo_source(pkg: &Package, url: &str) -> bool {
    pkg.ecosystem == Ecosystem::CratesIo
        && (url.starts_with("local-registry+") || url.starts_with("directory+"))
}

/// A full git commit id: 40 (SHA-1) or 64 (SHA-256) hex digits.
fn is_full_commit(c: &str) -> bool {
    matches!(c.len(), 40 | 64) && c.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The strongest recorded hash when every recorded hash is SHA-1 or MD5.
fn only_weak_hash(hashes: &[Hash]) -> Option<&Hash> {
    if hashes
        .iter()
        .all(|h| matches!(h.algorithm, HashAlgorithm::Sha1 | HashAlgorithm::Md5))
    {
        hashes
            .iter()
            .find(|h| h.algorithm == HashAlgorithm::Sha1)
            .or_else(|| hashes.first())
    } else {
        None
    }
}

// --- missing integrity -----------------------------------------------------------------------

/// Which downloaded packages of a source must carry a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IntegrityRule {
    /// Every registry and URL package (the format records one for each).
    RegistryAndUrl,
    /// yarn berry: every registry and URL package except those whose entry has
    /// `conditions:` (yarn fetches, and so checksums, only the packages of the platforms in
    /// `supportedArchitectures`; the others have no `checksum` by design). The header lines
    /// of such entries are read from the file the first time a package lacks a checksum.
    YarnBerry(Option<HashSet<u32>>),
    /// Registry packages only (`Cargo.lock`: other sources have no checksum).
    RegistryOnly,
    /// Nothing (requirements without any `--hash`, formats without hashes).
    Never,
}

impl IntegrityRule {
    fn for_source(source: &SourceRef<'_>) -> Self {
        match source.format {
            Format::Yarn if source.lockfile.format.starts_with("yarn-berry") => {
                Self::YarnBerry(None)
            }
            Format::NpmPackageLock
            | Format::NpmShrinkwrap
            | Format::Yarn
            | Format::Pnpm
            | Format::Bun
            | Format::Poetry
            | Format::Uv
            | Format::Pipfile => Self::RegistryAndUrl,
            Format::Cargo => Self::RegistryOnly,
            // pip's hash-checking mode is all-or-nothing: judge only files that use it.
            Format::Requirements => {
                if source
                    .lockfile
                    .packages
                    .iter()
                    .any(|p| !p.hashes.is_empty())
                {
                    Self::RegistryAndUrl
                } else {
                    Self::Never
                }
            }
            Format::NodeModules | Format::SitePackages | Format::CargoVendor | Format::Sbom => {
                Self::Never
            }
        }
    }

    /// True when `pkg`, which has no hash, should have one.
    fn expects(&mut self, source: &SourceRef<'_>, pkg: &Package) -> bool {
        let downloaded = matches!(pkg.origin, Origin::Registry { .. } | Origin::Url { .. });
        match self {
            Self::RegistryAndUrl => downloaded,
            Self::YarnBerry(conditional) => {
                if !downloaded {
                    return false;
                }
                let conditional =
                    conditional.get_or_insert_with(|| berry_conditional_entries(source.path));
                !pkg.locations
                    .iter()
                    .any(|l| l.line.is_some_and(|n| conditional.contains(&n)))
            }
            Self::RegistryOnly => pkg.origin.is_registry(),
            Self::Never => false,
        }
    }
}

/// The header lines of the yarn berry entries that have a `conditions:` field. A file that
/// cannot be read gives none (every package without a checksum is then reported).
fn berry_conditional_entries(path: &Path) -> HashSet<u32> {
    let Ok(text) = fs_err::read_to_string(path) else {
        return HashSet::new();
    };
    let mut found = HashSet::new();
    let mut header = None;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            header = u32::try_from(i + 1).ok();
        } else if line.starts_with("  conditions:")
            && let Some(h) = header
        {
            found.insert(h);
        }
    }
    found
}

// --- URLs ------------------------------------------------------------------------------------

/// How a URL's bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// `https`, `ssh` (also behind `git+` and similar prefixes, and scp-like addresses).
    Secure,
    /// `http`, `git`, `ftp`, `svn`, `bzr`, `static-http`.
    PlainText,
    /// `file`: read from the local disk.
    Local,
    /// No scheme (a bare host) or one we do not know.
    Unknown,
}

/// A download URL or git address taken apart as far as the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Remote<'a> {
    /// The scheme, lowercased (`https`, `git+ssh`, `registry+https`); empty for scp-like
    /// addresses and bare hosts.
    scheme: String,
    transport: Transport,
    /// True when the URL has a `//authority` part (so an empty host is an error).
    has_authority: bool,
    /// Lowercased, without user info, port or a trailing dot.
    host: String,
    port: Option<&'a str>,
    /// The path, without query or fragment (still percent-encoded).
    path: &'a str,
}

impl<'a> Remote<'a> {
    fn parse(url: &'a str) -> Self {
        let url = url.trim();
        if let Some(i) = url.find("://") {
            let scheme = url[..i].to_ascii_lowercase();
            let rest = &url[i + 3..];
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, after) = rest.split_at(authority_end);
            let path = &after[..after.find(['?', '#']).unwrap_or(after.len())];
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let (host, port) = split_host_port(host_port);
            return Self {
                transport: transport_of(&scheme),
                scheme,
                has_authority: true,
                host,
                port,
                path,
            };
        }
        if let Some(colon) = url.find(':') {
            let before = &url[..colon];
            // scp-like `git@github.com:owner/repo.git`: ssh.
            if let Some((_, host)) = before.rsplit_once('@')
                && !before.contains('/')
            {
                let (host, port) = split_host_port(host);
                return Self {
                    scheme: String::new(),
                    transport: Transport::Secure,
                    has_authority: false,
                    host,
                    port,
                    path: &url[colon + 1..],
                };
            }
            // A Windows path (`C:\\wheels`).
            if before.len() == 1 && before.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Self {
                    scheme: String::new(),
                    transport: Transport::Local,
                    has_authority: false,
                    host: String::new(),
                    port: None,
                    path: url,
                };
            }
            // `github:owner/repo`, `file:../x`: a scheme without an authority.
            if !before.contains(['/', '.']) {
                let scheme = before.to_ascii_lowercase();
                return Self {
                    transport: transport_of(&scheme),
                    scheme,
                    has_authority: false,
                    host: String::new(),
                    port: None,
                    path: &url[colon + 1..],
                };
            }
        }
        // A bare `host/path` (pnpm v5 records a registry's host in dependency paths), or a
        // local path (a `--find-links` folder pip was given as the only index).
        let end = url.find(['/', '\\']).unwrap_or(url.len());
        let (host, port) = split_host_port(&url[..end]);
        let domain = host.contains('.') && !url.starts_with('.');
        Self {
            scheme: String::new(),
            transport: if domain {
                Transport::Unknown
            } else {
                Transport::Local
            },
            has_authority: false,
            host: if domain { host } else { String::new() },
            port,
            path: &url[end..],
        }
    }

    /// `host` or `host:port`.
    fn host_port(&self) -> Cow<'_, str> {
        match self.port {
            Some(p) => Cow::Owned(format!("{}:{p}", self.host)),
            None => Cow::Borrowed(&self.host),
        }
    }

    fn is_http(&self) -> bool {
        matches!(self.scheme.as_str(), "http" | "https")
    }
}

/// The transport of a scheme: its last `+` component (`git+https` travels over https).
fn transport_of(scheme: &str) -> Transport {
    match scheme.rsplit('+').next().unwrap_or(scheme) {
        "https" | "ssh" | "sftp" => Transport::Secure,
        "http" | "git" | "ftp" | "svn" | "bzr" | "static-http" => Transport::PlainText,
        "file" => Transport::Local,
        _ => Transport::Unknown,
    }
}

/// Splits `host[:port]` (or `[v6]:port`), lowercasing the host.
fn split_host_port(s: &str) -> (String, Option<&str>) {
    let (host, port) = if s.starts_with('[') {
        match s.find(']') {
            Some(i) => (&s[..=i], s[i + 1..].strip_prefix(':')),
            None => (s, None),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
            _ => (s, None),
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (host, port.filter(|p| !p.is_empty()))
}

// --- allowed hosts ---------------------------------------------------------------------------

/// A host allowed by default, for one ecosystem, optionally only under a path.
struct DefaultHost {
    ecosystem: Ecosystem,
    host: &'static str,
    path: Option<&'static str>,
}

const fn default_host(ecosystem: Ecosystem, host: &'static str) -> DefaultHost {
    DefaultHost {
        ecosystem,
        host,
        path: None,
    }
}

/// Each ecosystem's public registry (see the module docs).
const DEFAULT_HOSTS: &[DefaultHost] = &[
    default_host(Ecosystem::Npm, "registry.npmjs.org"),
    default_host(Ecosystem::Npm, "registry.yarnpkg.com"),
    // Node.js releases, fetched by pnpm (`node@runtime:`) and bun runtimes; only the
    // Node.js project publishes there.
    default_host(Ecosystem::Npm, "nodejs.org"),
    default_host(Ecosystem::CratesIo, "index.crates.io"),
    default_host(Ecosystem::CratesIo, "static.crates.io"),
    default_host(Ecosystem::CratesIo, "crates.io"),
    DefaultHost {
        ecosystem: Ecosystem::CratesIo,
        host: "github.com",
        path: Some("/rust-lang/crates.io-index"),
    },
    default_host(Ecosystem::PyPI, "pypi.org"),
    default_host(Ecosystem::PyPI, "files.pythonhosted.org"),
    default_host(Ecosystem::PyPI, "pypi.python.org"),
];

/// lockfile-lint's short names for registries in `--allowed-hosts`.
const HOST_ALIASES: &[(&str, &str)] = &[
    ("npm", "registry.npmjs.org"),
    ("yarn", "registry.yarnpkg.com"),
    ("verdaccio", "registry.verdaccio.org"),
];

/// The hosts packages may come from.
struct AllowedHosts {
    defaults: bool,
    /// Hosts given in the options, with their port when one was given.
    extra: Vec<(String, Option<String>)>,
}

impl AllowedHosts {
    fn new(options: &Options) -> Self {
        let mut extra = Vec::new();
        for entry in &options.allowed_hosts {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            if let Some((_, host)) = HOST_ALIASES.iter().find(|(a, _)| *a == entry) {
                extra.push(((*host).to_owned(), None));
            }
            let r = Remote::parse(entry);
            if !r.host.is_empty() {
                extra.push((r.host.clone(), r.port.map(str::to_owned)));
            }
        }
        Self {
            defaults: !options.no_default_hosts,
            extra,
        }
    }

    fn allows(&self, ecosystem: Ecosystem, r: &Remote<'_>) -> bool {
        let by_option = self
            .extra
            .iter()
            .any(|(h, p)| *h == r.host && (p.is_none() || p.as_deref() == r.port));
        by_option
            || (self.defaults
                && DEFAULT_HOSTS.iter().any(|d| {
                    d.ecosystem == ecosystem
                        && d.host == r.host
                        && d.path.is_none_or(|prefix| path_under(r.path, prefix))
                }))
    }
}

/// True when `path` is `prefix`, or below it, or `prefix.git`.
fn path_under(path: &str, prefix: &str) -> bool {
    let path = path.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest == ".git" || rest.starts_with('/'),
        None => false,
    }
}

// --- URL names -------------------------------------------------------------------------------

/// The public npm hosts, where every tarball URL is `<host>/<name>/-/<file>`.
const NPM_PUBLIC_HOSTS: &[&str] = &["registry.npmjs.org", "registry.yarnpkg.com"];

/// What the URL names instead of the package (`` `bar@1.0.0` ``), when it names another.
fn url_names_other(pkg: &Package, r: &Remote<'_>) -> Option<String> {
    if !r.is_http() {
        return None;
    }
    match pkg.ecosystem {
        Ecosystem::Npm => npm_url_names_other(&pkg.name, &pkg.version, r),
        Ecosystem::PyPI => pypi_url_names_other(&pkg.name, r.path),
        Ecosystem::CratesIo => None,
    }
}

/// The npm registry tarball layout: `<prefix>/<name>/-/<file>.tgz`, `name` possibly scoped
/// and percent-encoded, `file` `<short name>-<version>` (GitLab: `@scope/<short>-<version>`).
fn npm_url_names_other(name: &str, version: &str, r: &Remote<'_>) -> Option<String> {
    let public = NPM_PUBLIC_HOSTS.contains(&r.host.as_str());
    let decoded = percent_encoding::percent_decode_str(r.path).decode_utf8_lossy();
    let Some((dir, file)) = decoded.rsplit_once("/-/") else {
        return public.then(|| "another layout (no `/<name>/-/` path)".to_owned());
    };
    let tarball_file = file
        .strip_suffix(".tgz")
        .filter(|f| match f.split_once('/') {
            None => true,
            Some((scope, rest)) => scope.starts_with('@') && !rest.contains('/'),
        });
    let Some(file) = tarball_file else {
        return public.then(|| format!("another layout (`{file}` is not a tarball)"));
    };
    // The name the URL's folder gives: its last segment, with the scope before it.
    let mut segments = dir.rsplit('/');
    let last = segments.next().unwrap_or("");
    let url_name = match segments.next() {
        Some(scope) if scope.starts_with('@') => format!("{scope}/{last}"),
        _ => last.to_owned(),
    };
    let dir_ok = if public {
        dir.trim_start_matches('/').eq_ignore_ascii_case(name)
    } else {
        url_name.eq_ignore_ascii_case(name)
    };
    let short = name.rsplit('/').next().unwrap_or(name);
    let file_version = [short, name].iter().find_map(|prefix| {
        let rest = strip_prefix_ignore_case(file, prefix)?.strip_prefix('-')?;
        rest.starts_with(|c: char| c.is_ascii_digit())
            .then_some(rest)
    });
    let file_ok = match file_version {
        Some(v) => version.is_empty() || v == version,
        None => false,
    };
    if dir_ok && file_ok {
        return None;
    }
    let url_short = url_name.rsplit('/').next().unwrap_or(&url_name);
    let url_version = strip_prefix_ignore_case(file, url_short)
        .and_then(|r| r.strip_prefix('-'))
        .unwrap_or(file);
    Some(format!("`{url_name}@{url_version}`"))
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Archive extensions of Python source distributions.
const SDIST_EXTENSIONS: &[&str] = &[".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"];

/// A PyPI URL whose file is a wheel or an sdist of another project.
fn pypi_url_names_other(name: &str, path: &str) -> Option<String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let file = percent_encoding::percent_decode_str(file).decode_utf8_lossy();
    let lower = file.to_ascii_lowercase();
    let file_name = if lower.ends_with(".whl") {
        // `{name}-{version}(-{build})?-{py}-{abi}-{plat}.whl`
        let parts = file.split('-').count();
        if !(parts == 5 || parts == 6) {
            return None;
        }
        file.split('-').next()?
    } else {
        let ext = SDIST_EXTENSIONS.iter().find(|e| lower.ends_with(*e))?;
        let stem = &file[..file.len() - ext.len()];
        // The version starts after the last `-` that is followed by a digit.
        let split = stem
            .char_indices()
            .filter(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
            .map(|(i, _)| i)
            .next_back()?;
        &stem[..split]
    };
    let normalized = chainward_types::normalize_name(Ecosystem::PyPI, file_name);
    (!normalized.is_empty() && normalized != name).then(|| format!("`{normalized}` (`{file}`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npm(name: &str, version: &str, url: &str) -> Option<String> {
        npm_url_names_other(name, version, &Remote::parse(url))
    }

    #[test]
    fn accepts_registry_tarballs_of_the_package() {
        assert_eq!(
            npm(
                "lodash",
                "4.17.21",
                "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"
            ),
            None
        );
        assert_eq!(
            npm(
                "JSONStream",
                "1.3.5",
                "https://registry.yarnpkg.com/JSONStream/-/JSONStream-1.3.5.tgz"
            ),
            None
        );
    }

    #[test]
    fn accepts_scoped_names_plain_and_encoded() {
        for url in [
            "https://registry.npmjs.org/@babel/core/-/core-7.0.0.tgz",
            "https://registry.npmjs.org/@babel%2fcore/-/core-7.0.0.tgz",
            "https://registry.npmjs.org/@babel%2Fcore/-/core-7.0.0.tgz",
            "https://registry.npmjs.org/%40babel%2fcore/-/core-7.0.0.tgz",
            // GitLab repeats the scope in the file name.
            "https://gitlab.example.com/api/v4/projects/1/packages/npm/@babel/core/-/@babel/core-7.0.0.tgz",
            "https://npm.internal.example/repository/npm/@babel/core/-/core-7.0.0.tgz",
        ] {
            assert_eq!(npm("@babel/core", "7.0.0", url), None, "{url}");
        }
    }

    #[test]
    fn flags_tarballs_of_another_package() {
        assert_eq!(
            npm(
                "meow",
                "4.0.1",
                "https://registry.npmjs.org/meowlicious/-/meowlicious-4.0.1.tgz"
            )
            .as_deref(),
            Some("`meowlicious@4.0.1`")
        );
        // Right folder, wrong file.
        assert!(
            npm(
                "meow",
                "4.0.1",
                "https://registry.npmjs.org/meow/-/evil-4.0.1.tgz"
            )
            .is_some()
        );
        // A name that merely starts like the package.
        assert!(
            npm(
                "meow",
                "4.0.1",
                "https://registry.npmjs.org/meow-evil/-/meow-evil-4.0.1.tgz"
            )
            .is_some()
        );
        // Another scope.
        assert!(
            npm(
                "@babel/core",
                "7.0.0",
                "https://registry.npmjs.org/@evil/core/-/core-7.0.0.tgz"
            )
            .is_some()
        );
        // An unscoped package posing as a scoped one, on any registry.
        assert!(
            npm(
                "@babel/core",
                "7.0.0",
                "https://npm.internal.example/core/-/core-7.0.0.tgz"
            )
            .is_some()
        );
    }

    #[test]
    fn flags_tarballs_of_another_version() {
        assert_eq!(
            npm(
                "lodash",
                "4.17.21",
                "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"
            )
            .as_deref(),
            Some("`lodash@4.17.20`")
        );
    }

    #[test]
    fn public_registry_urls_must_have_the_tarball_layout() {
        assert!(npm("lodash", "1.0.0", "https://registry.npmjs.org/evil.tgz").is_some());
        assert!(
            npm(
                "lodash",
                "1.0.0",
                "https://registry.npmjs.org/x/lodash/-/lodash-1.0.0.tgz"
            )
            .is_some()
        );
        // Other hosts with other layouts are not judged.
        assert_eq!(
            npm(
                "xlsx",
                "0.20.3",
                "https://cdn.sheetjs.com/xlsx-0.20.3/xlsx-0.20.3.tgz"
            ),
            None
        );
        assert_eq!(
            npm(
                "r",
                "",
                "https://gitlab.com/o/r/-/archive/v1.0/r-v1.0.tar.gz"
            ),
            None
        );
    }

    #[test]
    fn matches_pypi_file_names_after_normalisation() {
        let path = |u: &'static str| Remote::parse(u).path;
        assert_eq!(
            pypi_url_names_other(
                "typing-extensions",
                path("https://files.example/typing_extensions-4.0.0-py3-none-any.whl")
            ),
            None
        );
        assert_eq!(
            pypi_url_names_other("pyyaml", path("https://files.example/PyYAML-6.0.tar.gz")),
            None
        );
        assert!(
            pypi_url_names_other(
                "requests",
                path("https://files.example/evil-1.0-py3-none-any.whl")
            )
            .is_some()
        );
        assert!(
            pypi_url_names_other("requests", path("https://files.example/evil-1.0.tar.gz"))
                .is_some()
        );
        // Archives that do not name a project are not judged.
        assert_eq!(
            pypi_url_names_other(
                "requests",
                path("https://github.com/psf/requests/archive/main.zip")
            ),
            None
        );
    }

    #[test]
    fn parses_urls_scp_addresses_and_bare_hosts() {
        let r = Remote::parse("git+ssh://git@GitHub.com:22/o/r.git#abc");
        assert_eq!(r.transport, Transport::Secure);
        assert_eq!(
            (r.host.as_str(), r.port, r.path),
            ("github.com", Some("22"), "/o/r.git")
        );
        let r = Remote::parse("git@github.com:o/r.git");
        assert_eq!(
            (r.transport, r.host.as_str()),
            (Transport::Secure, "github.com")
        );
        let r = Remote::parse("registry.example.com");
        assert_eq!(
            (r.transport, r.host.as_str()),
            (Transport::Unknown, "registry.example.com")
        );
        // Local folders (`--find-links ./wheels --no-index`) have no host.
        for local in [
            "wheels",
            "./wheels",
            "../dist/",
            "/srv/wheels",
            "C:\\wheels",
        ] {
            let r = Remote::parse(local);
            assert_eq!(
                (r.transport, r.host.as_str()),
                (Transport::Local, ""),
                "{local}"
            );
        }
        let r = Remote::parse("https://user:pw@[::1]:8080/x?y#z");
        assert_eq!(
            (r.host.as_str(), r.port, r.path),
            ("[::1]", Some("8080"), "/x")
        );
        assert_eq!(Remote::parse("file:../x").transport, Transport::Local);
        assert_eq!(
            Remote::parse("local-registry+file:///x").transport,
            Transport::Local
        );
        for plain in [
            "http://x/",
            "git://x/",
            "git+http://x/",
            "sparse+http://x/",
            "svn://x",
        ] {
            assert_eq!(
                Remote::parse(plain).transport,
                Transport::PlainText,
                "{plain}"
            );
        }
        for secure in [
            "https://x/",
            "git+https://x/",
            "ssh://git@x/",
            "sparse+https://x/",
        ] {
            assert_eq!(
                Remote::parse(secure).transport,
                Transport::Secure,
                "{secure}"
            );
        }
        // Nothing panics on odd input.
        for odd in [
            "",
            ":",
            "://",
            "@:",
            "[",
            "a@",
            "é://é@é:é/é",
            "[::1",
            "x:/",
        ] {
            let _ = Remote::parse(odd);
        }
    }

    proptest::proptest! {
        #[test]
        fn url_rules_never_panic(url in "\\PC*", name in "\\PC{0,12}", version in "\\PC{0,6}") {
            let r = Remote::parse(&url);
            let _ = r.host_port();
            let _ = npm_url_names_other(&name, &version, &r);
            let _ = pypi_url_names_other(&name, r.path);
            let _ = AllowedHosts::new(&Options {
                allowed_hosts: vec![url.clone()],
                ..Options::default()
            })
            .allows(Ecosystem::Npm, &r);
        }
    }

    #[test]
    fn allowed_hosts_take_hosts_urls_ports_and_aliases() {
        let options = Options {
            allowed_hosts: vec![
                "npm.internal.example".into(),
                "https://Mirror.Example/api/npm/".into(),
                "ports.example:8443".into(),
                "verdaccio".into(),
            ],
            ..Options::default()
        };
        let hosts = AllowedHosts::new(&options);
        let allows = |u: &str| hosts.allows(Ecosystem::Npm, &Remote::parse(u));
        assert!(allows("https://npm.internal.example/a/-/a-1.0.0.tgz"));
        assert!(allows("https://npm.internal.example:4873/a/-/a-1.0.0.tgz"));
        assert!(allows("https://mirror.example/other/path"));
        assert!(allows("https://ports.example:8443/x"));
        assert!(!allows("https://ports.example/x"));
        assert!(allows("https://registry.verdaccio.org/x"));
        assert!(allows("https://registry.npmjs.org/x"));
        assert!(!allows("https://evil.example/x"));
        assert!(!allows("https://npm.internal.example.evil.example/x"));
        // Defaults are per ecosystem.
        assert!(!hosts.allows(
            Ecosystem::PyPI,
            &Remote::parse("https://registry.npmjs.org/x")
        ));

        let only = AllowedHosts::new(&Options {
            allowed_hosts: vec!["npm.internal.example".into()],
            no_default_hosts: true,
            ..Options::default()
        });
        assert!(!only.allows(
            Ecosystem::Npm,
            &Remote::parse("https://registry.npmjs.org/x")
        ));
        assert!(only.allows(
            Ecosystem::Npm,
            &Remote::parse("https://npm.internal.example/x")
        ));
    }

    #[test]
    fn github_is_allowed_for_cargo_only_as_the_crates_io_index() {
        let hosts = AllowedHosts::new(&Options::default());
        let cargo = |u: &str| hosts.allows(Ecosystem::CratesIo, &Remote::parse(u));
        assert!(cargo(
            "registry+https://github.com/rust-lang/crates.io-index"
        ));
        assert!(cargo("sparse+https://index.crates.io/"));
        assert!(!cargo("https://github.com/rust-lang/crates.io-index-evil"));
        assert!(!cargo("https://github.com/someone/fork"));
    }

    #[test]
    fn only_sha1_and_md5_are_weak() {
        let sha1 = Hash::from_hex(HashAlgorithm::Sha1, &"a".repeat(40)).unwrap();
        let md5 = Hash::from_hex(HashAlgorithm::Md5, &"b".repeat(32)).unwrap();
        let sha512 = Hash::from_hex(HashAlgorithm::Sha512, &"c".repeat(128)).unwrap();
        assert_eq!(only_weak_hash(&[md5.clone(), sha1.clone()]), Some(&sha1));
        assert_eq!(only_weak_hash(std::slice::from_ref(&md5)), Some(&md5));
        assert_eq!(only_weak_hash(&[sha1, sha512]), None);
    }

    #[test]
    fn full_commits_are_40_or_64_hex_digits() {
        assert!(is_full_commit(&"a".repeat(40)));
        assert!(is_full_commit(&"A".repeat(64)));
        assert!(!is_full_commit("abc1234"));
        assert!(!is_full_commit("main"));
        assert!(!is_full_commit(&"g".repeat(40)));
    }
}
