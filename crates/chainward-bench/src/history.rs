//! `chainward-bench history`: the history store with generated data. 10,000 snapshots of a
//! 2,000-package project with realistic churn (1 to 5 packages change per snapshot: mostly
//! version bumps, sometimes an added or removed package), recorded one by one through
//! `Store::record`; then the figures against the targets: one record under 200 ms, an
//! exposure query for one package and a version range under 50 ms, the database under
//! 500 MB.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chainward_store::{
    BranchFilter, NewSnapshot, PackageRecord, SnapshotQuery, StoreUrl, Timestamp,
};
use chainward_types::{Ecosystem, Hash, HashAlgorithm, Origin, Package, Scope};

use crate::ms;

/// What to run.
pub(crate) struct HistoryArgs<'a> {
    pub(crate) postgres: Option<&'a str>,
    pub(crate) sqlite: bool,
    pub(crate) snapshots: usize,
    pub(crate) packages: usize,
    pub(crate) keep: bool,
}

/// A small deterministic generator (SplitMix64): the same data on every run and backend.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn hex(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes * 2);
        while s.len() < bytes * 2 {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(bytes * 2);
        s
    }
}

/// A generated npm package as a lockfile would give it.
fn package(rng: &mut Rng, name: &str, version: &str) -> PackageRecord {
    let mut p = PackageRecord::from_package(&Package::new(
        Ecosystem::Npm,
        name,
        version,
        Origin::Registry {
            url: Some(format!(
                "https://registry.npmjs.org/{name}/-/{}-{version}.tgz",
                name.rsplit('/').next().unwrap_or(name)
            )),
        },
    ));
    p.hashes = vec![Hash {
        algorithm: HashAlgorithm::Sha512,
        hex: rng.hex(64),
        artifact: None,
    }];
    p.paths.insert("package-lock.json".into());
    if rng.below(10) == 0 {
        p.direct = true;
    }
    if rng.below(3) == 0 {
        p.scopes.insert(Scope::Dev);
    }
    p
}

fn name(i: usize) -> String {
    const WORDS: &[&str] = &[
        "core", "utils", "parser", "loader", "plugin", "cli", "config", "types", "runtime", "fs",
        "http", "stream", "color", "glob", "path", "json", "yaml", "lint", "test",
    ];
    let w = |k: usize| WORDS[k % WORDS.len()];
    if i.is_multiple_of(5) {
        format!("@scope{}/{}-{}", i % 37, w(i / 5), i)
    } else {
        format!("{}-{}-{}", w(i), w(i / 7), i)
    }
}

/// The project's packages over time: `changes` packages change per step.
struct World {
    rng: Rng,
    packages: Vec<PackageRecord>,
    next_name: usize,
    /// name -> versions it has had.
    versions: HashMap<String, Vec<String>>,
}

impl World {
    fn new(n: usize) -> Self {
        let mut rng = Rng(0xC4A1_7A4D);
        let mut versions: HashMap<String, Vec<String>> = HashMap::new();
        let packages = (0..n)
            .map(|i| {
                let v = format!("{}.{}.{}", rng.below(8), rng.below(20), rng.below(30));
                let p = package(&mut rng, &name(i), &v);
                versions.entry(p.name.clone()).or_default().push(v);
                p
            })
            .collect();
        Self {
            rng,
            packages,
            next_name: n,
            versions,
        }
    }

    /// One step of churn: 1 to 5 changes, mostly version bumps.
    fn step(&mut self) {
        let changes = 1 + self.rng.below(5);
        for _ in 0..changes {
            let roll = self.rng.below(20);
            if roll == 0 && !self.packages.is_empty() {
                let i = self.rng.below(self.packages.len());
                self.packages.swap_remove(i);
            } else if roll == 1 {
                let n = name(self.next_name);
                self.next_name += 1;
                let p = package(&mut self.rng, &n, "1.0.0");
                self.versions
                    .entry(p.name.clone())
                    .or_default()
                    .push("1.0.0".into());
                self.packages.push(p);
            } else {
                // Hot packages change more often: a few names get most bumps.
                let i = if self.rng.below(2) == 0 {
                    self.rng.below(self.packages.len().min(20))
                } else {
                    self.rng.below(self.packages.len())
                };
                let old = &self.packages[i];
                let mut parts: Vec<u64> = old
                    .version
                    .split('.')
                    .map(|x| x.parse().unwrap_or(0))
                    .collect();
                parts.resize(3, 0);
                parts[2] += 1;
                let v = format!("{}.{}.{}", parts[0], parts[1], parts[2]);
                let name = old.name.clone();
                let mut p = package(&mut self.rng, &name, &v);
                p.scopes = old.scopes.clone();
                p.direct = old.direct;
                self.versions.entry(name).or_default().push(v);
                self.packages[i] = p;
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Runs the benchmark on each requested backend; false when a target was missed.
pub(crate) fn history(args: &HistoryArgs<'_>) -> anyhow::Result<bool> {
    if !args.sqlite && args.postgres.is_none() {
        bail!("nothing to measure: --no-sqlite without --postgres URL");
    }
    let mut all_ok = true;
    if args.sqlite {
        let dir =
            std::env::temp_dir().join(format!("chainward-bench-history-{}", std::process::id()));
        let _ = fs_err::remove_dir_all(&dir);
        let path = dir.join(chainward_store::DATABASE_FILE_NAME);
        let result = run("SQLite", &StoreUrl::Sqlite(path.clone()), args, &|| {
            sqlite_size(&path)
        });
        if args.keep {
            println!("  kept {}", path.display());
        } else {
            let _ = fs_err::remove_dir_all(&dir);
        }
        all_ok &= result?;
    }
    if let Some(url) = args.postgres {
        let schema = format!("chainward_bench_{}", std::process::id());
        let mut admin = postgres::Client::connect(url, postgres::NoTls)
            .with_context(|| format!("connecting to {url}"))?;
        admin.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))?;
        let sep = if url.contains('?') { '&' } else { '?' };
        let store_url = StoreUrl::Postgres(format!("{url}{sep}options=-csearch_path%3D{schema}"));
        let result = run("PostgreSQL", &store_url, args, &|| {
            postgres_size(url, &schema)
        });
        if args.keep {
            println!("  kept schema {schema}");
        } else {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
        all_ok &= result?;
    }
    Ok(all_ok)
}

fn sqlite_size(path: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(m) = fs_err::metadata(&p) {
            total += m.len();
        }
    }
    Ok(total)
}

/// Tables, indexes and TOAST of the schema, after a VACUUM ANALYZE (what autovacuum keeps
/// it at).
fn postgres_size(url: &str, schema: &str) -> anyhow::Result<u64> {
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    // VACUUM cannot run inside the implicit transaction of a multi-statement batch.
    c.batch_execute(&format!("SET search_path TO {schema}"))?;
    c.batch_execute("VACUUM ANALYZE")?;
    let row = c.query_one(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')",
        &[&schema],
    )?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
}

fn run(
    backend: &str,
    url: &StoreUrl,
    args: &HistoryArgs<'_>,
    size: &dyn Fn() -> anyhow::Result<u64>,
) -> anyhow::Result<bool> {
    let mut all_ok = true;
    println!(
        "history on {backend}: {} snapshots of a {}-package project, 1-5 changes each, each recorded through Store::record",
        args.snapshots, args.packages
    );
    let mut store = chainward_store::open(url)?;
    let mut world = World::new(args.packages);
    let base = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap_or(Timestamp::now());
    let at =
        |i: usize| Timestamp::from_unix_micros(base.as_unix_micros() + i as i64 * 3_600_000_000);
    let mut snapshot = NewSnapshot {
        branch: Some("main".into()),
        host: Some("bench".into()),
        ..NewSnapshot::new("bench-app", base)
    };
    let total = args.snapshots.max(2);
    let mut times = Vec::with_capacity(total);
    let started = Instant::now();
    let mut last = Duration::ZERO;
    for i in 0..total {
        if i > 0 {
            world.step();
        }
        snapshot.taken_at = at(i);
        snapshot.commit = Some(format!("{:040x}", i as u128 * 0x9E37_79B9_7F4A_7C15));
        snapshot.packages.clone_from(&world.packages);
        let start = Instant::now();
        store.record(&snapshot)?;
        last = start.elapsed();
        times.push(last);
        if (i + 1) % 1000 == 0 {
            eprintln!(
                "  {} snapshots recorded, {:.0} s",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let elapsed = started.elapsed();
    times.sort();
    println!(
        "  recorded {total} snapshots in {:.1} s: per record median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        elapsed.as_secs_f64(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 1.0)),
    );
    let ok = last < Duration::from_millis(200);
    all_ok &= ok;
    println!(
        "  target: recording one snapshot (the {total}th, through Store::record) under 200 ms: {} ({:.1} ms)",
        verdict(ok),
        ms(last)
    );

    // Exposure: the package with the most versions, and a range covering the middle ones.
    let (hot, versions) = world
        .versions
        .iter()
        .max_by_key(|(n, v)| (v.len(), std::cmp::Reverse((*n).clone())))
        .map(|(n, v)| (n.clone(), v.clone()))
        .context("no packages")?;
    let lo = &versions[versions.len() / 4];
    let hi = &versions[versions.len() * 3 / 4];
    let range_text = format!(">={lo} <{hi}");
    let range = chainward_version::parse_range(Ecosystem::Npm, &range_text)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut q_times = Vec::new();
    let mut matched = 0;
    let mut exposures = 0;
    for _ in 0..21 {
        let start = Instant::now();
        let exp = store.exposure(Ecosystem::Npm, &hot)?;
        matched = exp
            .iter()
            .filter(|e| range.matches_str(&e.package.version).unwrap_or(false))
            .count();
        q_times.push(start.elapsed());
        exposures = exp.len();
    }
    q_times.sort();
    // A cold-ish query: another package, once.
    let other = world.packages[world.packages.len() / 2].name.clone();
    let start = Instant::now();
    let other_exp = store.exposure(Ecosystem::Npm, &other)?;
    let other_time = start.elapsed();
    let q = percentile(&q_times, 0.5);
    let ok = q < Duration::from_millis(50) && other_time < Duration::from_millis(50);
    all_ok &= ok;
    println!(
        "  target: exposure query for one package and range under 50 ms: {} ({:.2} ms median of {} for `{hot}` {range_text}: {exposures} versions stored, {matched} in range; {:.2} ms for `{other}`, {} versions)",
        verdict(ok),
        ms(q),
        q_times.len(),
        ms(other_time),
        other_exp.len()
    );

    // What drift and advisory matching read.
    let snaps = store.snapshots(&SnapshotQuery {
        project: Some("bench-app".into()),
        limit: Some(1),
        ..SnapshotQuery::default()
    })?;
    let latest = store
        .latest("bench-app", &BranchFilter::Any)?
        .context("no latest snapshot")?;
    let first = store
        .snapshots(&SnapshotQuery {
            project: Some("bench-app".into()),
            until: Some(base),
            ..SnapshotQuery::default()
        })?
        .first()
        .map(|s| s.id)
        .context("no first snapshot")?;
    let start = Instant::now();
    let latest_pkgs = store.packages(latest.id)?.map_or(0, |p| p.len());
    let t_latest = start.elapsed();
    let start = Instant::now();
    let first_pkgs = store.packages(first)?.map_or(0, |p| p.len());
    let t_first = start.elapsed();
    let start = Instant::now();
    let keys = store.package_keys()?.len();
    let t_keys = start.elapsed();
    println!(
        "  drift reads: packages of the latest snapshot {:.1} ms ({latest_pkgs}), of the first {:.1} ms ({first_pkgs}); package_keys {:.1} ms ({keys} keys); {} listed",
        ms(t_latest),
        ms(t_first),
        ms(t_keys),
        snaps.len()
    );

    // Snapshots recorded with a time in the past (`record --at`, `history import-git` out of
    // order). Realistic: the state of the middle of the history with a few changes. Worst
    // case: today's state put in the middle, which differs from its neighbours in most
    // packages.
    let middle = at(total / 2);
    let mid_id = store
        .snapshots(&SnapshotQuery {
            project: Some("bench-app".into()),
            since: Some(middle),
            until: Some(middle),
            ..SnapshotQuery::default()
        })?
        .first()
        .map(|s| s.id)
        .context("no snapshot in the middle")?;
    let mut past = store
        .packages(mid_id)?
        .context("the middle snapshot vanished")?;
    let mut rng = Rng(7);
    for _ in 0..3 {
        let i = rng.below(past.len());
        let name = past[i].name.clone();
        let version = format!("9.9.{}", rng.below(1000));
        past[i] = package(&mut rng, &name, &version);
    }
    let late = NewSnapshot {
        taken_at: Timestamp::from_unix_micros(middle.as_unix_micros() + 1),
        commit: Some("in-the-past".into()),
        packages: past,
        ..snapshot.clone()
    };
    let start = Instant::now();
    let rec = store.record(&late)?;
    let t_past = start.elapsed();
    snapshot.taken_at = Timestamp::from_unix_micros(middle.as_unix_micros() + 2);
    snapshot.commit = Some("out-of-order".into());
    let start = Instant::now();
    let worst = store.record(&snapshot)?;
    let t_worst = start.elapsed();
    let ok = t_past < Duration::from_millis(200);
    all_ok &= ok;
    println!(
        "  target: recording one snapshot with a time in the middle of the history (--at) under 200 ms: {} ({:.1} ms, {} added and {} removed against its predecessor; worst case, today's {} packages put there: {:.1} ms, {} added, {} removed)",
        verdict(ok),
        ms(t_past),
        rec.added,
        rec.removed,
        worst.packages,
        ms(t_worst),
        worst.added,
        worst.removed
    );
    drop(store);

    let bytes = size()?;
    let ok = bytes < 500_000_000;
    all_ok &= ok;
    println!(
        "  target: database under 500 MB: {} ({:.1} MB, {:.0} bytes per snapshot)",
        verdict(ok),
        mb(bytes),
        bytes as f64 / (total + 2) as f64
    );
    Ok(all_ok)
}
