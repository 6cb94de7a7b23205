//! `chainward provenance [PATH | PURL...]`: registry signatures, provenance attestations and
//! the identity that built every npm package; `provenance pin PURL`. Also the provenance part
//! of `scan` (from the registry cache only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chainward_cli::{
    GlobalArgs, InputArgs, ProvenanceArgs, ProvenanceCommand, ProvenancePinArgs, RegistryArgs,
    ScanFormat,
};
use chainward_provenance::npm::{
    NpmVersion, ProvenanceOutcome, PublishOutcome, verify_attestations,
};
use chainward_provenance::registry::{Fetched, Packument, Registry, RegistryConfig};
use chainward_provenance::registry_keys::{
    RegistryKeys, Signature, SignatureStatus, verify_registry_signature,
};
use chainward_provenance::{SigstoreVerifier, trust};
use chainward_report::{ProvenanceInfo, ProvenanceRow, ScanReport, ScanSummary, Unchecked};
use chainward_store::{PinSource, ProvenanceObservation, ProvenancePin, ProvenanceState, Store};
use chainward_types::{
    BuildIdentity, Ecosystem, Evidence, Finding, FindingCode, Inventory, Location, Origin,
    PackageRef, Timestamp,
};
use indicatif::ProgressBar;
use rayon::prelude::*;

use super::common::{home_dir, render_scan_report, report_incomplete};
use super::scan::exit_for;
use crate::ExitStatus;
use crate::printer::Printer;

/// The public npm registry.
pub(crate) const NPM_REGISTRY: &str = "https://registry.npmjs.org";
/// Trust material fetched by `update-trust`, under the home folder.
const TRUST_DIR: &str = "trust";
const TRUSTED_ROOT_FILE: &str = "trusted_root.json";
const KEYS_FILE: &str = "npm-keys.json";

/// `provenance update-trust`: 1. refresh the TUF metadata from the embedded (or given) root
/// (root rotations, timestamp, snapshot, targets, delegations, each signature-checked),
/// 2. fetch the trusted root and npm keys targets (length and hashes checked), 3. check both
/// load, 4. write them under `trust/` atomically.
fn update_trust(
    global: &GlobalArgs,
    args: &chainward_cli::UpdateTrustArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    use chainward_provenance::tuf;
    if global.offline {
        anyhow::bail!("update-trust needs the network (--offline was given)");
    }
    let home = home_dir(global)?;
    let url = args.tuf_url.as_deref().unwrap_or(tuf::SIGSTORE_TUF_URL);
    let root = match &args.tuf_root {
        Some(path) => fs_err::read(path)?,
        None => tuf::SIGSTORE_TUF_ROOT.to_vec(),
    };
    let mut client = tuf::TufClient::new(url, home.join("tuf"), &root, tuf::HttpFetcher::new())
        .with_context(|| format!("the TUF repository at {url}"))?;
    client
        .refresh(Timestamp::now())
        .with_context(|| format!("refreshing the TUF metadata of {url}"))?;
    let trusted_root = client.target(tuf::TRUSTED_ROOT_TARGET)?;
    let keys = client.target(tuf::NPM_KEYS_TARGET)?;
    SigstoreVerifier::from_trusted_root_json(&String::from_utf8_lossy(&trusted_root))
        .context("the trusted root from the TUF repository does not load")?;
    let parsed = RegistryKeys::from_json(&keys)
        .context("the npm keys from the TUF repository do not load")?;
    let dir = home.join(TRUST_DIR);
    fs_err::create_dir_all(&dir)?;
    for (name, bytes) in [(TRUSTED_ROOT_FILE, &trusted_root), (KEYS_FILE, &keys)] {
        let tmp = dir.join(format!(".{name}.tmp"));
        fs_err::write(&tmp, bytes)?;
        fs_err::rename(&tmp, dir.join(name))?;
    }
    let versions = client.versions();
    printer.result(|w| {
        writeln!(
            w,
            "Updated the trust material in {} from {url} (TUF root version {}, targets version {}): trusted root, {} npm registry keys",
            dir.display(),
            versions.root,
            versions.targets.unwrap_or_default(),
            parsed.keys().len()
        )
    })?;
    Ok(ExitStatus::Ok)
}

/// The Sigstore verifier: `--trusted-root FILE`, else `trust/trusted_root.json` under the
/// home folder when present (an updated root), else the embedded snapshot.
pub(crate) fn load_verifier(
    global: &GlobalArgs,
    file: Option<&Path>,
) -> anyhow::Result<SigstoreVerifier> {
    let from_home = home_dir(global)
        .ok()
        .map(|h| h.join(TRUST_DIR).join(TRUSTED_ROOT_FILE))
        .filter(|p| p.is_file());
    match file.map(Path::to_path_buf).or(from_home) {
        Some(path) => {
            let json = fs_err::read_to_string(&path)?;
            SigstoreVerifier::from_trusted_root_json(&json)
                .with_context(|| format!("{}: not a usable trusted root", path.display()))
        }
        None => Ok(SigstoreVerifier::from_trusted_root_json(
            trust::TRUSTED_ROOT_JSON,
        )?),
    }
}

/// One npm package version to check.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    name: String,
    version: String,
    purl: String,
    /// The lockfile's integrity, if it pins one.
    integrity: Option<String>,
    /// The host the lockfile resolves it from, if it records one.
    host: Option<String>,
    locations: Vec<Location>,
}

/// `host[:port]` of an http(s) URL.
fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next().unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Hosts that serve the public npm registry's packages.
const PUBLIC_NPM_HOSTS: [&str; 2] = ["registry.npmjs.org", "registry.yarnpkg.com"];

/// The npm registry packages of an inventory (git, URL, path and workspace packages have no
/// registry signature or attestation to check).
pub(crate) fn targets_of(inventory: &Inventory) -> Vec<Target> {
    let mut seen = BTreeMap::new();
    for p in &inventory.packages {
        if p.ecosystem != Ecosystem::Npm
            || !matches!(p.origin, Origin::Registry { .. })
            || p.version.is_empty()
        {
            continue;
        }
        let entry = seen
            .entry((p.name.clone(), p.version.clone()))
            .or_insert_with(|| Target {
                name: p.name.clone(),
                version: p.version.clone(),
                purl: chainward_types::purl::for_package(
                    Ecosystem::Npm,
                    &p.name,
                    &p.version,
                    &Origin::Registry { url: None },
                ),
                integrity: None,
                host: match &p.origin {
                    Origin::Registry { url: Some(url) } => host_of(url),
                    _ => None,
                },
                locations: Vec::new(),
            });
        if entry.integrity.is_none() {
            entry.integrity = p
                .hashes
                .iter()
                .find(|h| {
                    h.algorithm == chainward_types::HashAlgorithm::Sha512 && h.artifact.is_none()
                })
                .map(chainward_types::Hash::to_sri);
        }
        entry.locations.extend(p.locations.iter().cloned());
    }
    seen.into_values().collect()
}

/// `pkg:npm/NAME@VERSION` (scope as `%40scope` or `@scope`).
fn parse_npm_purl(purl: &str) -> anyhow::Result<Target> {
    let rest = purl
        .strip_prefix("pkg:npm/")
        .with_context(|| format!("`{purl}` is not an npm purl (pkg:npm/NAME@VERSION)"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (name, version) = rest
        .rsplit_once('@')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .with_context(|| format!("`{purl}` names no version (pkg:npm/NAME@VERSION)"))?;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .with_context(|| format!("`{purl}` is not valid percent-encoded UTF-8"))
    };
    let (name, version) = (decode(name)?, decode(version)?);
    Ok(Target {
        purl: chainward_types::purl::for_package(
            Ecosystem::Npm,
            &name,
            &version,
            &Origin::Registry { url: None },
        ),
        name,
        version,
        integrity: None,
        host: None,
        locations: Vec::new(),
    })
}

/// The registry keys and where they came from.
struct Keys {
    keys: RegistryKeys,
    source: String,
}

fn load_keys(
    args: &RegistryArgs,
    registry: &Registry,
    updated_keys: Option<&Path>,
) -> anyhow::Result<Keys> {
    if let Some(file) = &args.registry_keys {
        let keys = RegistryKeys::from_json(&fs_err::read(file)?)
            .with_context(|| format!("{}", file.display()))?;
        return Ok(Keys {
            keys,
            source: file.display().to_string(),
        });
    }
    let embedded = || -> anyhow::Result<Keys> {
        // Keys fetched by `provenance update-trust` are newer than the embedded snapshot.
        if let Some(path) = updated_keys.filter(|p| p.is_file()) {
            return Ok(Keys {
                keys: RegistryKeys::from_json(&fs_err::read(path)?)
                    .with_context(|| path.display().to_string())?,
                source: path.display().to_string(),
            });
        }
        Ok(Keys {
            keys: RegistryKeys::from_json(trust::NPM_KEYS_JSON.as_bytes())?,
            source: format!("embedded ({})", trust::SNAPSHOT_SOURCE),
        })
    };
    let public = registry.url().trim_end_matches('/') == NPM_REGISTRY;
    match registry.keys() {
        Ok(Fetched::Found { value, .. }) => Ok(Keys {
            keys: RegistryKeys::from_json(&value).with_context(|| registry.keys_url())?,
            source: registry.keys_url(),
        }),
        Ok(Fetched::NotFound) => Ok(Keys {
            keys: RegistryKeys::empty(),
            source: format!("none ({} answers 404)", registry.keys_url()),
        }),
        // Offline with nothing cached, or the registry could not be reached: the public
        // registry's keys are embedded; another registry's are unknown.
        Err(_) if public => embedded(),
        Err(e) => Ok(Keys {
            keys: RegistryKeys::empty(),
            source: format!("unknown ({e})"),
        }),
    }
}

/// Everything a check needs.
pub(crate) struct Checker {
    registry: Registry,
    verifier: SigstoreVerifier,
    keys: Keys,
}

impl Checker {
    pub(crate) fn new(
        global: &GlobalArgs,
        args: &RegistryArgs,
        offline: bool,
    ) -> anyhow::Result<Self> {
        let registry = Registry::new(RegistryConfig {
            url: args
                .registry
                .clone()
                .unwrap_or_else(|| NPM_REGISTRY.to_owned()),
            cache_dir: home_dir(global)?.join("cache/npm-registry"),
            offline,
            concurrency: args.concurrency.max(1),
            ..RegistryConfig::default()
        })?;
        let verifier = load_verifier(global, args.trusted_root.as_deref())?;
        let updated = home_dir(global)?.join(TRUST_DIR).join(KEYS_FILE);
        let keys = load_keys(args, &registry, Some(&updated))?;
        Ok(Self {
            registry,
            verifier,
            keys,
        })
    }
}

/// What a check found.
pub(crate) struct Checked {
    pub(crate) info: ProvenanceInfo,
    pub(crate) findings: Vec<Finding>,
    /// Packages whose registry data was not in the cache (offline).
    pub(crate) not_cached: usize,
}

fn bar(printer: &Printer, len: usize, what: &str) -> ProgressBar {
    let bar = printer.progress_bar(Some(len as u64));
    bar.set_message(what.to_owned());
    bar
}

fn finding(target: &Target, code: FindingCode, message: String, value: Option<String>) -> Finding {
    Finding {
        code,
        severity: code.default_severity(),
        package: PackageRef {
            ecosystem: Ecosystem::Npm,
            name: target.name.clone(),
            version: target.version.clone(),
            purl: target.purl.clone(),
        },
        advisory: None,
        message,
        locations: target.locations.clone(),
        evidence: value.map(|v| Evidence {
            value: Some(v),
            ..Evidence::default()
        }),
    }
}

/// Checks every target: 1. packuments (concurrently), 2. registry signatures, 3. attestations
/// (concurrently) and their verification, 4. downgrades against earlier versions (registry
/// and history), 5. the identity against the package's pin, 6. what was seen, recorded.
pub(crate) fn check(
    checker: &Checker,
    targets: &[Target],
    mut store: Option<&mut dyn Store>,
    printer: &Printer,
) -> anyhow::Result<Checked> {
    let mut info = ProvenanceInfo {
        registry: checker.registry.url().to_owned(),
        signatures_served: true,
        keys: checker.keys.source.clone(),
        packages: Vec::new(),
        unchecked: Vec::new(),
    };
    let mut findings = Vec::new();
    let mut not_cached = 0;
    // Packages resolved from another registry than the one asked (a private registry) are
    // not looked up under their name elsewhere: that would check someone else's package.
    let registry_host = host_of(checker.registry.url());
    let (targets, foreign): (Vec<&Target>, Vec<&Target>) = targets.iter().partition(|t| {
        t.host
            .as_deref()
            .is_none_or(|h| Some(h) == registry_host.as_deref() || PUBLIC_NPM_HOSTS.contains(&h))
    });
    for t in foreign {
        info.unchecked.push(Unchecked {
            path: t.purl.clone(),
            message: format!(
                "resolved from {}, not from {}: pass --registry to check it there",
                t.host.as_deref().unwrap_or("?"),
                checker.registry.url()
            ),
        });
    }
    // 1. Packuments.
    let mut versions_of: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &targets {
        *versions_of.entry(t.name.as_str()).or_default() += 1;
    }
    let names: Vec<String> = versions_of.keys().map(|&n| n.to_owned()).collect();
    let progress = bar(printer, names.len(), "packuments");
    let fetched = checker.registry.packuments(&names, &|| progress.inc(1));
    progress.finish_and_clear();
    let mut packuments: BTreeMap<&str, (Packument, bool)> = BTreeMap::new();
    for (name, result) in names.iter().zip(fetched) {
        match result {
            Ok(Fetched::Found { value, from_cache }) => {
                packuments.insert(name, (value, from_cache));
            }
            Ok(Fetched::NotFound) => info.unchecked.push(Unchecked {
                path: name.clone(),
                message: format!("{} does not have this package", checker.registry.url()),
            }),
            Err(chainward_provenance::registry::RegistryError::NotCached { .. }) => {
                not_cached += versions_of.get(name.as_str()).copied().unwrap_or(0);
            }
            Err(e) => info.unchecked.push(Unchecked {
                path: name.clone(),
                message: e.to_string(),
            }),
        }
    }
    // A registry that strips `dist.signatures` everywhere (and serves no keys) does not serve
    // signatures: say so once, never call its packages unsigned.
    let any_signed = packuments
        .values()
        .any(|(p, _)| p.versions.values().any(|v| v.signatures.is_some()));
    if !packuments.is_empty() && !any_signed {
        info.signatures_served = false;
        info.unchecked.push(Unchecked {
            path: checker.registry.url().to_owned(),
            message: "the registry serves no signatures (no dist.signatures in any packument): registry signatures were not checked, and a version without dist.attestations may have had them stripped".to_owned(),
        });
    }
    if info.signatures_served && checker.keys.keys.is_empty() {
        info.unchecked.push(Unchecked {
            path: checker.registry.url().to_owned(),
            message: format!(
                "the registry signs its packages, but its keys are not known ({}): pass --registry-keys FILE",
                checker.keys.source
            ),
        });
    }
    // 3. Attestations, for the versions that advertise them.
    let wanted: Vec<(String, String)> = targets
        .iter()
        .filter(|t| {
            packuments
                .get(t.name.as_str())
                .and_then(|(p, _)| p.versions.get(&t.version))
                .is_some_and(|v| v.attestations.is_some())
        })
        .map(|t| (t.name.clone(), t.version.clone()))
        .collect();
    let progress = bar(printer, wanted.len(), "attestations");
    let bodies = checker
        .registry
        .attestations_many(&wanted, &|| progress.inc(1));
    progress.finish_and_clear();
    let mut attestations: BTreeMap<(String, String), _> = wanted.into_iter().zip(bodies).collect();

    // 2 (ahead). The registry signatures, on every core: ECDSA verification is the bulk of a
    // warm run. The loop below takes the results in order.
    let signatures: BTreeMap<(&str, &str), SignatureStatus> =
        if info.signatures_served && !checker.keys.keys.is_empty() {
            targets
                .par_iter()
                .filter_map(|t| {
                    let (packument, _) = packuments.get(t.name.as_str())?;
                    let dist = packument.versions.get(&t.version)?;
                    let integrity = dist.integrity.as_deref()?;
                    let published = packument
                        .time
                        .get(&t.version)
                        .and_then(|time| Timestamp::parse_rfc3339(time));
                    let sigs: Vec<Signature<'_>> = dist
                        .signatures
                        .iter()
                        .flatten()
                        .map(|s| Signature {
                            keyid: &s.keyid,
                            sig: &s.sig,
                        })
                        .collect();
                    let status = verify_registry_signature(
                        &checker.keys.keys,
                        &t.name,
                        &t.version,
                        integrity,
                        &sigs,
                        published,
                    );
                    Some(((t.name.as_str(), t.version.as_str()), status))
                })
                .collect()
        } else {
            BTreeMap::new()
        };
    let signature_of = |target: &Target| {
        signatures
            .get(&(target.name.as_str(), target.version.as_str()))
            .cloned()
    };
    let now = Timestamp::now();
    let mut observations = Vec::new();
    for target in targets {
        let target: &Target = target;
        let Some((packument, from_cache)) = packuments.get(target.name.as_str()) else {
            continue;
        };
        let Some(dist) = packument.versions.get(&target.version) else {
            info.unchecked.push(Unchecked {
                path: target.purl.clone(),
                message: format!(
                    "{} does not list version {}",
                    checker.registry.url(),
                    target.version
                ),
            });
            continue;
        };
        let published = packument
            .time
            .get(&target.version)
            .and_then(|t| Timestamp::parse_rfc3339(t));
        let mut row = ProvenanceRow {
            package: PackageRef {
                ecosystem: Ecosystem::Npm,
                name: target.name.clone(),
                version: target.version.clone(),
                purl: target.purl.clone(),
            },
            signature: "unchecked".to_owned(),
            provenance: "unchecked".to_owned(),
            identity: None,
            from_cache: *from_cache,
        };
        let Some(integrity) = dist.integrity.clone() else {
            info.unchecked.push(Unchecked {
                path: target.purl.clone(),
                message: "the registry gives no integrity for this version".to_owned(),
            });
            info.packages.push(row);
            continue;
        };
        // The lockfile must pin what the registry signs.
        if let Some(locked) = &target.integrity
            && locked != &integrity
            && integrity.starts_with("sha512-")
        {
            findings.push(finding(
                target,
                FindingCode::SignatureInvalid,
                format!(
                    "the lockfile pins {locked}, but the registry publishes (and signs) {integrity} for this version"
                ),
                Some(format!("lockfile {locked}; registry {integrity}")),
            ));
        }
        // 2. The registry signature.
        if !info.signatures_served {
            row.signature = "not-served".to_owned();
        } else if checker.keys.keys.is_empty() {
            row.signature = "unchecked".to_owned();
        } else {
            match signature_of(target).unwrap_or(SignatureStatus::Missing) {
                SignatureStatus::Verified(_) => row.signature = "verified".to_owned(),
                SignatureStatus::Missing => {
                    row.signature = "missing".to_owned();
                    findings.push(finding(
                        target,
                        FindingCode::SignatureInvalid,
                        "the registry signs its packages, but this version carries no registry signature".to_owned(),
                        None,
                    ));
                }
                SignatureStatus::Invalid(why) => {
                    row.signature = "invalid".to_owned();
                    findings.push(finding(
                        target,
                        FindingCode::SignatureInvalid,
                        format!("registry signature: {why}"),
                        Some(format!("{}@{}:{integrity}", target.name, target.version)),
                    ));
                }
            }
        }
        // 3. Provenance.
        let mut state = ProvenanceState::Absent;
        if let Some(advertised) = &dist.attestations {
            let key = (target.name.clone(), target.version.clone());
            match attestations.remove(&key) {
                Some(Ok(Fetched::Found { value, .. })) => {
                    let package = NpmVersion {
                        name: &target.name,
                        version: &target.version,
                        integrity: &integrity,
                    };
                    let mut invalid = None;
                    let verified = verify_attestations(
                        &value,
                        &package,
                        &checker.verifier,
                        &checker.keys.keys,
                    );
                    if let Ok(report) = &verified
                        && let PublishOutcome::Unchecked(why) = &report.publish
                    {
                        info.unchecked.push(Unchecked {
                            path: target.purl.clone(),
                            message: why.clone(),
                        });
                    }
                    match verified {
                        Ok(report) if report.failure().is_some() => {
                            invalid = report.failure();
                        }
                        Err(why) => invalid = Some(why),
                        Ok(report) => {
                            if let ProvenanceOutcome::Verified { identity, .. } = &report.provenance
                            {
                                row.provenance = "verified".to_owned();
                                row.identity = Some(identity.as_ref().clone());
                                state = ProvenanceState::Verified;
                            } else if advertised.provenance_predicate_type.is_some() {
                                row.provenance = "missing".to_owned();
                                findings.push(finding(
                                    target,
                                    FindingCode::AttestationMissing,
                                    "the registry advertises a provenance attestation, but its attestations hold none".to_owned(),
                                    None,
                                ));
                            } else {
                                row.provenance = "none".to_owned();
                            }
                            if matches!(report.publish, PublishOutcome::Absent) {
                                printer
                                    .info(&format!("{}: no npm publish attestation", target.purl));
                            }
                        }
                    }
                    if let Some(why) = invalid {
                        row.provenance = "invalid".to_owned();
                        state = ProvenanceState::Invalid;
                        findings.push(finding(target, FindingCode::AttestationInvalid, why, None));
                    }
                }
                Some(Ok(Fetched::NotFound)) => {
                    row.provenance = "missing".to_owned();
                    findings.push(finding(
                        target,
                        FindingCode::AttestationMissing,
                        format!(
                            "the registry advertises attestations at {}, but they are not there",
                            advertised.url.clone().unwrap_or_else(|| checker
                                .registry
                                .attestations_url(&target.name, &target.version))
                        ),
                        None,
                    ));
                }
                Some(Err(chainward_provenance::registry::RegistryError::NotCached { .. })) => {
                    not_cached += 1;
                    row.provenance = "unchecked".to_owned();
                }
                Some(Err(e)) => {
                    row.provenance = "missing".to_owned();
                    findings.push(finding(
                        target,
                        FindingCode::AttestationMissing,
                        format!(
                            "the registry advertises attestations that could not be fetched: {e}"
                        ),
                        None,
                    ));
                }
                None => {}
            }
        } else if info.signatures_served {
            row.provenance = "none".to_owned();
        } else {
            // A registry that strips signatures may strip attestations too: cannot tell.
            row.provenance = "unknown".to_owned();
        }
        // 4. A downgrade: no provenance now, provenance before.
        if row.provenance == "none" {
            if let Some(earlier) = earlier_with_provenance(packument, &target.version, published) {
                findings.push(finding(
                    target,
                    FindingCode::ProvenanceDowngrade,
                    format!(
                        "{}@{} has no provenance, but {earlier} (published before it) had",
                        target.name, target.version
                    ),
                    Some(format!("earlier version with provenance: {earlier}")),
                ));
            } else if let Some(store) = store.as_deref_mut()
                && let Some((earlier, identity)) = earlier_verified_in_history(store, target)?
            {
                findings.push(finding(
                    target,
                    FindingCode::ProvenanceDowngrade,
                    format!(
                        "{}@{} has no provenance, but {earlier} had verified provenance from {}",
                        target.name,
                        target.version,
                        identity.summary()
                    ),
                    Some(format!("earlier version with provenance: {earlier}")),
                ));
            }
        }
        // 5. The identity against the pin.
        if let (Some(identity), Some(store)) = (&row.identity, store.as_deref_mut()) {
            let pin = store.pin_provenance_if_absent(&ProvenancePin {
                ecosystem: Ecosystem::Npm,
                name: target.name.clone(),
                version: target.version.clone(),
                identity: identity.clone(),
                pinned_at: now,
                how: PinSource::FirstSeen,
            })?;
            let changed = identity.changes_from(&pin.identity);
            if !changed.is_empty() {
                let parts: Vec<&str> = changed.iter().map(|c| c.as_str()).collect();
                findings.push(finding(
                    target,
                    FindingCode::ProvenanceIdentityChanged,
                    format!(
                        "built from {} but the pinned identity (from {}@{}, {}) is {}: {} changed; if this move is expected, re-pin with `chainward provenance pin {}`",
                        identity.summary(),
                        target.name,
                        pin.version,
                        pin.how,
                        pin.identity.summary(),
                        parts.join(", "),
                        target.purl
                    ),
                    Some(format!(
                        "pinned {}@{}: {}; now {}@{}: {}",
                        target.name,
                        pin.version,
                        pin.identity.summary(),
                        target.name,
                        target.version,
                        identity.summary()
                    )),
                ));
            }
        }
        if matches!(row.provenance.as_str(), "verified" | "none" | "invalid") {
            observations.push(ProvenanceObservation {
                ecosystem: Ecosystem::Npm,
                name: target.name.clone(),
                version: target.version.clone(),
                status: state,
                identity: row.identity.clone(),
                first_seen: now,
                last_seen: now,
            });
        }
        info.packages.push(row);
    }
    // 6. Remember.
    if let Some(store) = store {
        store.observe_provenance(&observations)?;
    }
    info.packages
        .sort_by(|a, b| a.package.purl.cmp(&b.package.purl));
    info.unchecked.sort();
    Ok(Checked {
        info,
        findings,
        not_cached,
    })
}

/// The latest version published before `version` that advertises provenance, if `version`
/// has a publish time. Prereleases count only against prereleases.
fn earlier_with_provenance(
    packument: &Packument,
    version: &str,
    published: Option<Timestamp>,
) -> Option<String> {
    let published = published?;
    let prerelease = version.contains('-');
    packument
        .versions
        .iter()
        .filter(|(v, dist)| {
            v.as_str() != version
                && (prerelease || !v.contains('-'))
                && dist
                    .attestations
                    .as_ref()
                    .is_some_and(|a| a.provenance_predicate_type.is_some())
        })
        .filter_map(|(v, _)| {
            let t = Timestamp::parse_rfc3339(packument.time.get(v)?)?;
            (t < published).then_some((t, v))
        })
        .max()
        .map(|(_, v)| v.clone())
}

/// A lower version that an earlier run verified provenance for.
fn earlier_verified_in_history(
    store: &mut dyn Store,
    target: &Target,
) -> anyhow::Result<Option<(String, BuildIdentity)>> {
    let Ok(current) = chainward_version::SemVer::parse(&target.version) else {
        return Ok(None);
    };
    Ok(store
        .provenance_observations(Ecosystem::Npm, &target.name)?
        .into_iter()
        .filter(|o| o.status == ProvenanceState::Verified)
        .filter_map(|o| {
            let v = chainward_version::SemVer::parse(&o.version).ok()?;
            (v < current).then(|| (v, o.version, o.identity.unwrap_or_default()))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, version, identity)| (version, identity)))
}

pub(crate) fn run(
    global: &GlobalArgs,
    args: &ProvenanceArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match &args.command {
        Some(ProvenanceCommand::Pin(pin_args)) => return pin(global, pin_args, printer),
        Some(ProvenanceCommand::UpdateTrust(trust_args)) => {
            return update_trust(global, trust_args, printer);
        }
        None => {}
    }
    let format = super::output_format(global.format.as_deref(), ScanFormat::Table, "provenance")?;
    let (purls, paths): (Vec<&String>, Vec<&String>) =
        args.targets.iter().partition(|t| t.starts_with("pkg:"));
    let mut targets = Vec::new();
    for purl in purls {
        targets.push(parse_npm_purl(purl)?);
    }
    let input = InputArgs {
        paths: paths.iter().map(PathBuf::from).collect(),
        as_kind: args.as_kind.clone(),
        sbom: Vec::new(),
        allow_incomplete: args.allow_incomplete,
    };
    let inventory = if paths.is_empty() && !targets.is_empty() {
        None
    } else {
        let sources = super::common::collect_sources(&input)?;
        Some(chainward_extract::inventory_of(sources))
    };
    if let Some(inventory) = &inventory {
        targets.extend(targets_of(inventory));
    }
    let checker = Checker::new(global, &args.registry, global.offline)?;
    let mut store = super::history::open_store(global, &args.database, false)?;
    let checked = check(&checker, &targets, Some(store.as_mut()), printer)?;
    let mut report = ScanReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        sources: inventory
            .as_ref()
            .map(|i| i.sources.clone())
            .unwrap_or_default(),
        findings: checked.findings,
        not_checked: Vec::new(),
        fixes: BTreeMap::new(),
        database: None,
        integrity: None,
        provenance: Some(checked.info),
        summary: ScanSummary {
            packages: targets.len(),
            ..ScanSummary::default()
        },
    };
    report.normalize();
    render_scan_report(format, &report, printer)?;
    let mut incomplete = inventory
        .as_ref()
        .is_some_and(|i| report_incomplete(i, &input, printer));
    let unchecked =
        report.provenance.as_ref().map_or(0, |p| p.unchecked.len()) + checked.not_cached;
    if checked.not_cached > 0 {
        printer.warn(&format!(
            "{} packages have no cached registry data (--offline): not checked",
            checked.not_cached
        ));
    }
    if unchecked > 0 && !args.allow_incomplete {
        printer.error(
            "some provenance checks could not run (see above); --allow-incomplete accepts that",
        );
        incomplete = true;
    }
    if incomplete {
        return Ok(ExitStatus::Error);
    }
    Ok(exit_for(&report.findings, args.fail_on))
}

/// `provenance pin PURL`: verifies the version and pins its identity.
fn pin(
    global: &GlobalArgs,
    args: &ProvenancePinArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let target = parse_npm_purl(&args.purl)?;
    let checker = Checker::new(global, &args.registry, global.offline)?;
    // Checked without the store, so that the old pin is not compared or kept.
    let checked = check(&checker, std::slice::from_ref(&target), None, printer)?;
    let row = checked.info.packages.first();
    let Some(identity) = row.and_then(|r| r.identity.clone()) else {
        let why = checked
            .findings
            .first()
            .map(|f| f.message.clone())
            .or_else(|| checked.info.unchecked.first().map(|u| u.message.clone()))
            .or_else(|| row.map(|r| format!("provenance is {}", r.provenance)))
            .unwrap_or_else(|| "no registry data".to_owned());
        printer.error(&format!(
            "{}: no verified provenance to pin: {why}",
            target.purl
        ));
        return Ok(ExitStatus::Failure);
    };
    let mut store = super::history::open_store(global, &args.database, false)?;
    store.set_provenance_pin(&ProvenancePin {
        ecosystem: Ecosystem::Npm,
        name: target.name.clone(),
        version: target.version.clone(),
        identity: identity.clone(),
        pinned_at: Timestamp::now(),
        how: PinSource::User,
    })?;
    printer.result(|w| writeln!(w, "Pinned {} to {}", target.name, identity.summary()))?;
    Ok(ExitStatus::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            host_of("https://registry.npmjs.org/a/-/a-1.0.0.tgz").as_deref(),
            Some("registry.npmjs.org")
        );
        assert_eq!(
            host_of("http://user:pw@Npm.Corp.example:8080/x").as_deref(),
            Some("npm.corp.example:8080")
        );
        assert_eq!(host_of("git+ssh://x"), None);
    }

    #[test]
    fn parses_npm_purls() {
        let t = parse_npm_purl("pkg:npm/%40sigstore/verify@2.0.0").expect("parses");
        assert_eq!(
            (t.name.as_str(), t.version.as_str()),
            ("@sigstore/verify", "2.0.0")
        );
        assert_eq!(t.purl, "pkg:npm/%40sigstore/verify@2.0.0");
        let t = parse_npm_purl("pkg:npm/@sigstore/verify@2.0.0?foo=bar").expect("parses");
        assert_eq!(t.name, "@sigstore/verify");
        assert!(parse_npm_purl("pkg:npm/lodash").is_err());
        assert!(parse_npm_purl("pkg:cargo/serde@1.0.0").is_err());
    }
}
