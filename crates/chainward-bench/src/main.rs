//! `chainward-bench`: whole-process benchmarks of the release `chainward` binary on the real
//! inputs in `shared/`, with the baseline tools measured in the same run.
//!
//! Run with `cargo build --release && cargo run --release -p chainward-bench -- inventory`
//! (or `scan`, or `verify [DIR...] --npm-cache ~/.npm --npm-cache-verify` on installed npm
//! workloads, or `provenance [--large DIR]`: `chainward provenance` on every npm package of
//! the `large` workload from a registry served in process, with its own signing key and the
//! recorded Sigstore attestations, cold, warm offline and warm online, beside
//! `npm audit signatures`).
//! Not part of the test suite: timings belong here, never in tests.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

mod history;
mod provenance;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks chainward against baselines measured in the same run")]
struct Args {
    /// The shared folder (real lockfiles and workloads).
    #[arg(long, default_value = "../shared")]
    shared: PathBuf,
    /// The chainward binary to measure.
    #[arg(long, default_value = "target/release/chainward")]
    bin: PathBuf,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 15)]
    runs: usize,
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Inventory every real lockfile; compare with cyclonedx-npm on the `large` workload.
    Inventory {
        /// An installed copy of `workloads/large` (after `npm ci`), for the side-by-side run
        /// with `npx @cyclonedx/cyclonedx-npm`. Skipped when absent.
        #[arg(long)]
        large: Option<PathBuf>,
        /// Runs of cyclonedx-npm (slow; the median is reported).
        #[arg(long, default_value_t = 3)]
        baseline_runs: usize,
    },
    /// Import all advisory data, scan the largest lockfile, and compare with `cargo audit`
    /// on every real Cargo.lock.
    Scan {
        /// The `cargo-audit` binary (skipped when absent).
        #[arg(long, default_value = "cargo-audit")]
        cargo_audit: PathBuf,
    },
    /// Verify installed npm workloads against the npm cache (`chainward verify`), beside the
    /// floor measured in the same run: `sha512sum` of the same installed files and cached
    /// tarballs on every core, and (once) `npm cache verify`.
    Verify {
        /// Installed workloads: folders with `package-lock.json` and `node_modules` (after
        /// `npm ci`). The 1.5x-the-floor target applies to the one named `large`.
        #[arg(default_values = ["/tmp/wl/small", "/tmp/wl/medium", "/tmp/wl/large"])]
        dirs: Vec<PathBuf>,
        /// npm's cache folder (the one holding `_cacache`) [default: ~/.npm].
        #[arg(long, value_name = "DIR")]
        npm_cache: Option<PathBuf>,
        /// Runs of the floor (the median is reported).
        #[arg(long, default_value_t = 5)]
        baseline_runs: usize,
        /// Also time `npm cache verify` once on that cache (it garbage-collects content
        /// that no index entry references).
        #[arg(long)]
        npm_cache_verify: bool,
    },
    /// The history store with generated data: record 10,000 snapshots of a 2,000-package
    /// project through the store's API, query exposure, and measure the database, on SQLite
    /// and (with --postgres) PostgreSQL. Does not use the chainward binary.
    History {
        /// A PostgreSQL server to measure too (`postgres://USER@HOST:PORT/DB`); the benchmark
        /// works in a schema of its own, dropped at the end.
        #[arg(long)]
        postgres: Option<String>,
        /// Skip SQLite (measure only --postgres).
        #[arg(long)]
        no_sqlite: bool,
        /// Snapshots to record.
        #[arg(long, default_value_t = 10_000)]
        snapshots: usize,
        /// Packages in the project.
        #[arg(long, default_value_t = 2_000)]
        packages: usize,
        /// Keep the databases (the SQLite file, the PostgreSQL schema) for inspection.
        #[arg(long)]
        keep: bool,
    },
    /// `chainward provenance` on every npm package of the `large` workload, plus 9 real
    /// packages with recorded Sigstore attestations, from a registry on 127.0.0.1 that this
    /// process serves (signed with a key made for the run): cold, warm offline and warm online
    /// (ETag revalidation). Compared with `npm audit signatures` where it runs, else with the
    /// recorded 11.19 s; the target is under 1 s from a warm cache.
    Provenance {
        /// An installed copy of `workloads/large` (after `npm ci`), where `npm audit
        /// signatures` is timed; the recorded figure is used when absent or when it fails.
        #[arg(long, default_value = "/tmp/wl/large")]
        large: PathBuf,
        /// Runs of `npm audit signatures` (the median is reported).
        #[arg(long, default_value_t = 1)]
        baseline_runs: usize,
        /// Cold runs, each with an empty cache and history (the median is reported).
        #[arg(long, default_value_t = 3)]
        cold_runs: usize,
        /// Keep the temporary folder (registry keys, warm home) and print the command line of
        /// a warm offline run, for profiling.
        #[arg(long)]
        keep: bool,
    },
}

struct Measured {
    median: Duration,
    min: Duration,
    peak_kib: u64,
    stdout: Vec<u8>,
}

/// Runs `cmd` `runs` times; wall time of the whole process, and its own peak RSS.
fn measure(bin: &Path, args: &[&str], runs: usize) -> anyhow::Result<Measured> {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    let mut stdout = Vec::new();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = Command::new(bin)
            .args(args)
            .env("CHAINWARD_REPORT_PEAK_RSS", "1")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        times.push(start.elapsed());
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!("{} {} failed: {stderr}", bin.display(), args.join(" "));
        }
        if let Some(kib) = stderr
            .lines()
            .find_map(|l| l.strip_prefix("chainward-peak-rss-kib: "))
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        stdout = out.stdout;
    }
    times.sort();
    Ok(Measured {
        median: times[times.len() / 2],
        min: times[0],
        peak_kib: peak,
        stdout,
    })
}

fn kind_of(file: &str) -> Option<&'static str> {
    [
        ("package-lock.json", "npm-package-lock"),
        ("yarn.lock", "yarn"),
        ("pnpm-lock.yaml", "pnpm"),
        ("bun.lock", "bun"),
        ("Cargo.lock", "cargo"),
        ("uv.lock", "uv"),
        ("poetry.lock", "poetry"),
    ]
    .into_iter()
    .find(|(suffix, _)| file.ends_with(suffix))
    .map(|(_, k)| k)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn inventory(args: &Args, large: Option<&Path>, baseline_runs: usize) -> anyhow::Result<bool> {
    let manifest_path = args.shared.join("data/lockfiles/MANIFEST.tsv");
    let manifest = fs_err::read_to_string(&manifest_path)?;
    let mut all_ok = true;
    println!(
        "chainward inventory on the real lockfiles ({} runs each, median; whole process)",
        args.runs
    );
    println!(
        "{:<48} {:>8} {:>8} {:>9} {:>9} {:>8} {:>12}",
        "file", "ours", "manifest", "median ms", "min ms", "peak MB", "packages/s"
    );
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(count)) = (cols.get(3), cols.get(4)) else {
            continue;
        };
        let Some(kind) = kind_of(file) else {
            println!("{file}: no KIND for this file name");
            all_ok = false;
            continue;
        };
        let path = args.shared.join("data/lockfiles").join(file);
        let path_str = path.to_string_lossy().into_owned();
        let m = measure(
            &args.bin,
            &["inventory", "--format", "json", "--as", kind, &path_str],
            args.runs,
        )?;
        let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
        let ours = json["sources"][0]["packages"].as_u64().unwrap_or(0);
        let pps = ours as f64 / m.median.as_secs_f64();
        println!(
            "{:<48} {:>8} {:>8} {:>9.1} {:>9.1} {:>8.1} {:>12.0}",
            file,
            ours,
            count,
            ms(m.median),
            ms(m.min),
            m.peak_kib as f64 / 1024.0,
            pps
        );
        if file.contains("pnpm-fixture-many-deps") {
            let ok = ms(m.median) < 50.0 && m.peak_kib < 50 * 1024;
            all_ok &= ok;
            println!(
                "  target: 3,860-package pnpm lockfile under 50 ms and 50 MB end to end: {} ({:.1} ms, {:.1} MB)",
                if ok { "MET" } else { "MISSED" },
                ms(m.median),
                m.peak_kib as f64 / 1024.0
            );
        }
    }
    if let Some(large) = large {
        let lock = large.join("package-lock.json");
        let lock_str = lock.to_string_lossy().into_owned();
        let ours = measure(
            &args.bin,
            &["inventory", "--format", "json", &lock_str],
            args.runs,
        )?;
        let mut times = Vec::new();
        for _ in 0..baseline_runs.max(1) {
            let start = Instant::now();
            let status = Command::new("npx")
                .args([
                    "--no-install",
                    "@cyclonedx/cyclonedx-npm",
                    "--ignore-npm-errors",
                    "--output-file",
                    "/dev/null",
                ])
                .current_dir(large)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .context("running npx @cyclonedx/cyclonedx-npm")?;
            if !status.success() {
                bail!(
                    "cyclonedx-npm failed in {} (is it installed? `npm i -g @cyclonedx/cyclonedx-npm`)",
                    large.display()
                );
            }
            times.push(start.elapsed());
        }
        times.sort();
        let base = times[times.len() / 2];
        let ratio = base.as_secs_f64() / ours.median.as_secs_f64();
        let ok = ratio >= 50.0;
        all_ok &= ok;
        println!();
        println!("side by side on {}:", lock.display());
        println!(
            "  cyclonedx-npm --ignore-npm-errors: {:.0} ms (median of {})",
            ms(base),
            times.len()
        );
        println!(
            "  chainward inventory:              {:.1} ms (median of {})",
            ms(ours.median),
            args.runs
        );
        println!(
            "  ratio: {ratio:.0}x faster (target >= 50x): {}",
            if ok { "MET" } else { "MISSED" }
        );
        let sbom = measure(&args.bin, &["sbom", &lock_str], args.runs)?;
        let sbom_ratio = base.as_secs_f64() / sbom.median.as_secs_f64();
        let sbom_ok = sbom_ratio >= 50.0;
        all_ok &= sbom_ok;
        println!(
            "  chainward sbom (CycloneDX 1.6):    {:.1} ms (median of {}), peak {:.1} MB",
            ms(sbom.median),
            args.runs,
            sbom.peak_kib as f64 / 1024.0
        );
        println!(
            "  ratio: {sbom_ratio:.0}x faster (target >= 50x): {}",
            if sbom_ok { "MET" } else { "MISSED" }
        );
    } else {
        println!("\n(no --large: the side-by-side run with cyclonedx-npm was skipped)");
    }
    Ok(all_ok)
}

fn scan(args: &Args, cargo_audit: &Path) -> anyhow::Result<bool> {
    let mut all_ok = true;
    let data = args.shared.join("data");
    let sources = [
        data.join("osv/malicious"),
        data.join("rustsec/advisories"),
        data.join("osv/pysec"),
    ];
    let home = std::env::temp_dir().join(format!("chainward-bench-{}", std::process::id()));
    let home_str = home.to_string_lossy().into_owned();
    let mut import_args = vec!["--home", &home_str, "db", "import"];
    let source_strs: Vec<String> = sources
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    import_args.extend(source_strs.iter().map(String::as_str));
    let _ = fs_err::remove_dir_all(&home);
    let import = measure(&args.bin, &import_args, 1)?;
    let ok = import.median.as_secs_f64() < 10.0;
    all_ok &= ok;
    println!(
        "db import of all shared advisory data (MAL incl. withdrawn, RustSec native, PYSEC): {:.2} s, peak {:.0} MB (target < 10 s): {}",
        import.median.as_secs_f64(),
        import.peak_kib as f64 / 1024.0,
        if ok { "MET" } else { "MISSED" }
    );
    let status = measure(
        &args.bin,
        &[
            "--home",
            &home_str,
            "db",
            "status",
            "--format",
            "json",
            "--max-age",
            "100000d",
        ],
        1,
    )?;
    let status: serde_json::Value = serde_json::from_slice(&status.stdout)?;
    let records = status["advisories"].as_u64().unwrap_or(0);
    println!("  records in the database: {records}");

    let largest = args
        .shared
        .join("data/lockfiles/npm/pnpm-fixture-many-deps-pnpm-lock.yaml");
    let largest_str = largest.to_string_lossy().into_owned();
    let m = measure(
        &args.bin,
        &[
            "--home",
            &home_str,
            "scan",
            &largest_str,
            "--as",
            "pnpm",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--max-age",
            "100000d",
            // The advisory scan: the integrity checks scan also runs hash whatever this
            // machine's npm and Cargo caches hold, and have `bench verify`.
            "--no-integrity",
        ],
        args.runs,
    )?;
    let ok = ms(m.median) < 100.0 && m.peak_kib < 200 * 1024;
    all_ok &= ok;
    println!(
        "scan --no-integrity of the largest lockfile (3,860-package pnpm, full database): {:.1} ms median, {:.1} MB peak (target < 100 ms, < 200 MB): {}",
        ms(m.median),
        m.peak_kib as f64 / 1024.0,
        if ok { "MET" } else { "MISSED" }
    );

    println!();
    println!(
        "every real lockfile against the full database (findings by code; known-malicious must be 0):"
    );
    let manifest = fs_err::read_to_string(args.shared.join("data/lockfiles/MANIFEST.tsv"))?;
    for line in manifest.lines().skip(1) {
        let Some(file) = line.split('\t').nth(3) else {
            continue;
        };
        let Some(kind) = kind_of(file) else { continue };
        let path = args.shared.join("data/lockfiles").join(file);
        let path_str = path.to_string_lossy().into_owned();
        let out = measure(
            &args.bin,
            &[
                "--home",
                &home_str,
                "scan",
                &path_str,
                "--as",
                kind,
                "--format",
                "json",
                "--fail-on",
                "none",
                "--max-age",
                "100000d",
            ],
            1,
        )?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let mut by_code: std::collections::BTreeMap<String, usize> =
            std::collections::BTreeMap::new();
        let mut sample = Vec::new();
        for f in v["findings"].as_array().into_iter().flatten() {
            *by_code
                .entry(f["code"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
            if sample.len() < 3 {
                sample.push(format!(
                    "{}@{} {}",
                    f["package"]["name"].as_str().unwrap_or(""),
                    f["package"]["version"].as_str().unwrap_or(""),
                    f["advisory"]["id"].as_str().unwrap_or("")
                ));
            }
        }
        let malicious = by_code.get("known-malicious").copied().unwrap_or(0);
        all_ok &= malicious == 0;
        println!("  {file:<48} {by_code:?} e.g. {}", sample.join("; "));
    }

    let rustsec_db = data.join("rustsec/advisories");
    let rustsec_records = walk_count(&rustsec_db.join("crates"), "md")?;
    let have_audit = Command::new(cargo_audit)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    println!();
    println!(
        "side by side with cargo audit --no-fetch (chainward scan --no-integrity; same RustSec data; {rustsec_records} RustSec crate advisories vs {records} records in chainward's database: {:.1}x):",
        records as f64 / rustsec_records.max(1) as f64
    );
    for lock in ["omicron-Cargo.lock", "deno-Cargo.lock", "reth-Cargo.lock"] {
        let path = args.shared.join("data/lockfiles/crates.io").join(lock);
        let path_str = path.to_string_lossy().into_owned();
        let ours = measure(
            &args.bin,
            &[
                "--home",
                &home_str,
                "scan",
                &path_str,
                "--as",
                "cargo",
                "--format",
                "json",
                "--fail-on",
                "none",
                "--max-age",
                "100000d",
                // cargo audit reads the lockfile only; scan would also hash the crates in
                // this machine's Cargo cache.
                "--no-integrity",
            ],
            args.runs,
        )?;
        let findings = serde_json::from_slice::<serde_json::Value>(&ours.stdout)?["findings"]
            .as_array()
            .map_or(0, Vec::len);
        if !have_audit {
            println!(
                "  {lock}: chainward {:.1} ms, {findings} findings; cargo-audit not installed (`cargo install cargo-audit`)",
                ms(ours.median)
            );
            continue;
        }
        let mut times = Vec::new();
        for _ in 0..args.runs.clamp(1, 5) {
            let start = Instant::now();
            let out = Command::new(cargo_audit)
                .args(["audit", "--no-fetch", "--stale", "--db"])
                .arg(&rustsec_db)
                .args(["--json", "-f"])
                .arg(&path)
                .stdin(Stdio::null())
                .output()?;
            times.push(start.elapsed());
            let _ = out;
        }
        times.sort();
        let base = times[times.len() / 2];
        let ratio = base.as_secs_f64() / ours.median.as_secs_f64();
        let ok = ratio > 1.0;
        all_ok &= ok;
        println!(
            "  {lock}: cargo audit {:.1} ms, chainward scan {:.1} ms ({findings} findings): {ratio:.1}x faster: {}",
            ms(base),
            ms(ours.median),
            if ok { "MET" } else { "MISSED" }
        );
    }
    let _ = fs_err::remove_dir_all(&home);
    Ok(all_ok)
}

fn walk_count(dir: &Path, ext: &str) -> anyhow::Result<usize> {
    let mut n = 0;
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        if p.is_dir() {
            n += walk_count(&p, ext)?;
        } else if p.extension().is_some_and(|e| e == ext) {
            n += 1;
        }
    }
    Ok(n)
}

/// Runs `bin args` `runs` times, accepting exit codes 0 to 2 (`verify` exits 1 on findings
/// and 2 when something could not be checked); the median wall time, and the last exit code
/// and stdout.
fn measure_any_exit(
    bin: &Path,
    args: &[&str],
    runs: usize,
) -> anyhow::Result<(Measured, Option<i32>)> {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    let mut stdout = Vec::new();
    let mut code = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = Command::new(bin)
            .args(args)
            .env("CHAINWARD_REPORT_PEAK_RSS", "1")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        times.push(start.elapsed());
        let stderr = String::from_utf8_lossy(&out.stderr);
        code = out.status.code();
        if !matches!(code, Some(0..=2)) {
            bail!("{} {} failed: {stderr}", bin.display(), args.join(" "));
        }
        if let Some(kib) = stderr
            .lines()
            .find_map(|l| l.strip_prefix("chainward-peak-rss-kib: "))
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        stdout = out.stdout;
    }
    times.sort();
    Ok((
        Measured {
            median: times[times.len() / 2],
            min: times[0],
            peak_kib: peak,
            stdout,
        },
        code,
    ))
}

/// The median wall time of a shell command run in `dir`.
fn time_shell(dir: &Path, script: &str, runs: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let status = Command::new("sh")
            .args(["-c", script])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("running sh -c {script}"))?;
        times.push(start.elapsed());
        if !status.success() {
            bail!("`{script}` failed in {}", dir.display());
        }
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// The cached tarballs the lockfile's integrities point to (each once).
fn cached_tarballs(lockfile: &Path, cache: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let text = fs_err::read_to_string(lockfile)?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let cacache = chainward_integrity::cacache::Cacache::new(cache);
    let mut out = std::collections::BTreeSet::new();
    for entry in json["packages"]
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
    {
        let Some(sri) = entry["integrity"].as_str() else {
            continue;
        };
        let Ok(hashes) = chainward_types::Hash::from_sri(sri) else {
            continue;
        };
        if let Some(found) = cacache.find(&hashes, None)? {
            out.insert(found.path);
        }
    }
    Ok(out.into_iter().collect())
}

/// Reads the sources of `dir` and verifies them in this process, as `chainward verify`
/// does (without the report): the time and the outcome.
fn verify_in_process(
    dir: &Path,
    cache: &Path,
) -> anyhow::Result<(Duration, chainward_integrity::Outcome)> {
    let start = Instant::now();
    let sources = chainward_extract::read_sources(
        &[dir.to_path_buf()],
        &chainward_extract::Options::default(),
    )?;
    let options = chainward_integrity::Options {
        npm_cache: Some(cache.to_path_buf()),
        ..chainward_integrity::Options::default()
    };
    let outcome = chainward_integrity::verify(&sources, &options);
    Ok((start.elapsed(), outcome))
}

/// One measurement from single runs: median and min of their times, the highest peak, the
/// last run's output and exit code.
fn combine(runs: Vec<(Measured, Option<i32>)>) -> Option<(Measured, Option<i32>)> {
    let mut times: Vec<Duration> = runs.iter().map(|(m, _)| m.median).collect();
    times.sort();
    let peak_kib = runs.iter().map(|(m, _)| m.peak_kib).max().unwrap_or(0);
    let (last, code) = runs.into_iter().next_back()?;
    Some((
        Measured {
            median: times[times.len() / 2],
            min: times[0],
            peak_kib,
            stdout: last.stdout,
        },
        code,
    ))
}

fn verify(
    args: &Args,
    dirs: &[PathBuf],
    npm_cache: Option<&Path>,
    baseline_runs: usize,
    npm_cache_verify: bool,
) -> anyhow::Result<bool> {
    let npm_root = match npm_cache {
        Some(p) if p.ends_with("_cacache") => p.parent().unwrap_or(p).to_path_buf(),
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".npm"),
    };
    let cache = npm_root.join("_cacache");
    let cli_has_verify = args.bin.is_file()
        && Command::new(&args.bin)
            .args(["verify", "--help"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mut all_ok = true;
    let mut ours_large: Option<Duration> = None;
    println!(
        "chainward verify of installed npm workloads against {} ({} runs each, median)",
        cache.display(),
        args.runs
    );
    println!(
        "floor: `find node_modules -type f | xargs -P2 sha512sum` + sha512sum -P2 of the cached tarballs the lockfile pins (median of {baseline_runs}, runs alternating with chainward's)"
    );
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tarballs = cached_tarballs(&dir.join("package-lock.json"), &cache)?;
        let list = std::env::temp_dir().join(format!(
            "chainward-bench-tarballs-{}-{name}",
            std::process::id()
        ));
        let mut nul_list = Vec::new();
        for t in &tarballs {
            nul_list.extend_from_slice(t.to_string_lossy().as_bytes());
            nul_list.push(0);
        }
        fs_err::write(&list, nul_list)?;
        let floor_script = format!(
            "find node_modules -type f -print0 | xargs -0 -P2 -n 500 sha512sum >/dev/null && xargs -0 -P2 -n 100 sha512sum < '{}' >/dev/null",
            list.display()
        );
        let dir_str = dir.to_string_lossy().into_owned();
        let npm_root_str = npm_root.to_string_lossy().into_owned();
        let cli_args = [
            "--offline",
            "verify",
            &dir_str,
            "--format",
            "json",
            "--npm-cache",
            &npm_root_str,
        ];
        // Warm the page cache for both sides.
        time_shell(dir, &floor_script, 1)?;
        // The runs alternate between the floor and chainward, so that load from elsewhere
        // (CI has 2 cores) weighs on both alike.
        let mut floor_times = Vec::new();
        let mut times = Vec::new();
        let mut whole_runs = Vec::new();
        let mut last = None;
        for i in 0..args.runs.max(baseline_runs).max(1) {
            if i < baseline_runs.max(1) {
                floor_times.push(time_shell(dir, &floor_script, 1)?);
            }
            if i < args.runs.max(1) {
                let (t, outcome) = verify_in_process(dir, &cache)?;
                times.push(t);
                last = Some(outcome);
                if cli_has_verify {
                    whole_runs.push(measure_any_exit(&args.bin, &cli_args, 1)?);
                }
            }
        }
        let _ = fs_err::remove_file(&list);
        floor_times.sort();
        let floor = floor_times[floor_times.len() / 2];
        times.sort();
        let ours = times[times.len() / 2];
        let outcome = last.unwrap_or_default();
        let mut by_code: std::collections::BTreeMap<String, usize> =
            std::collections::BTreeMap::new();
        for f in &outcome.findings {
            *by_code.entry(f.code.to_string()).or_default() += 1;
        }
        let ratio = ours.as_secs_f64() / floor.as_secs_f64();
        println!();
        println!(
            "{name}: {} packages, {} files, {} tarballs, {:.0} MB compared; {} findings {by_code:?}, {} unchecked",
            outcome.stats.packages,
            outcome.stats.files,
            outcome.stats.archives,
            outcome.stats.bytes as f64 / 1e6,
            outcome.findings.len(),
            outcome.unchecked.len()
        );
        for u in outcome.unchecked.iter().take(5) {
            println!("  unchecked: {}: {}", u.path, u.message);
        }
        for f in outcome.findings.iter().take(5) {
            println!("  finding: {} {}", f.code, f.message);
        }
        println!(
            "  floor (sha512sum of {} cached tarballs + installed files): {:.0} ms",
            tarballs.len(),
            ms(floor)
        );
        println!(
            "  chainward_integrity::verify in process: {:.0} ms (min {:.0}) = {ratio:.2}x the floor",
            ms(ours),
            ms(times[0])
        );
        let whole = if let Some((m, code)) = combine(whole_runs) {
            let whole_ratio = m.median.as_secs_f64() / floor.as_secs_f64();
            let report: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap_or_default();
            let compared = report["integrity"]["packages"].as_u64().unwrap_or(0);
            println!(
                "  chainward verify (whole process, exit {}): {:.0} ms (min {:.0}), peak {:.0} MB = {whole_ratio:.2}x the floor; {compared} packages compared, {} findings",
                code.map_or_else(|| "?".to_owned(), |c| c.to_string()),
                ms(m.median),
                ms(m.min),
                m.peak_kib as f64 / 1024.0,
                report["findings"].as_array().map_or(0, Vec::len)
            );
            if compared == 0 && outcome.stats.packages > 0 {
                println!(
                    "  (the binary compared nothing: built before npm verification? not judged)"
                );
                None
            } else {
                if name == "large" {
                    ours_large = Some(m.median);
                }
                Some(whole_ratio)
            }
        } else {
            println!(
                "  chainward verify (whole process): skipped, {} has no `verify` command yet",
                args.bin.display()
            );
            None
        };
        if name == "large" && ours_large.is_none() {
            ours_large = Some(ours);
        }
        if name == "large" {
            let judged = whole.unwrap_or(ratio);
            let ok = judged <= 1.5;
            all_ok &= ok;
            println!(
                "  target: at most 1.5x the floor ({}): {judged:.2}x: {}",
                if whole.is_some() {
                    "whole process"
                } else {
                    "in process"
                },
                if ok { "MET" } else { "MISSED" }
            );
        }
        let clean = outcome.findings.is_empty() && outcome.unchecked.is_empty();
        all_ok &= clean;
        println!(
            "  a clean install gives no findings and nothing unchecked: {}",
            if clean { "MET" } else { "MISSED" }
        );
    }
    if npm_cache_verify {
        let start = Instant::now();
        let status = Command::new("npm")
            .args(["cache", "verify", "--cache"])
            .arg(&npm_root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running npm cache verify")?;
        let t = start.elapsed();
        println!();
        println!(
            "npm cache verify --cache {} (every cached file, once): {:.0} ms{}",
            npm_root.display(),
            ms(t),
            if status.success() { "" } else { " (failed)" }
        );
        if let Some(ours) = ours_large {
            println!(
                "  chainward verify of `large` ({:.0} ms, which also compares every installed file) is {:.1}x faster",
                ms(ours),
                t.as_secs_f64() / ours.as_secs_f64()
            );
        }
    }
    Ok(all_ok)
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let args = Args::parse();
    if !args.bin.is_file() && !matches!(args.what, What::Verify { .. } | What::History { .. }) {
        bail!(
            "{} not found: run `cargo build --release` first, or pass --bin",
            args.bin.display()
        );
    }
    let ok = match &args.what {
        What::Inventory {
            large,
            baseline_runs,
        } => inventory(&args, large.as_deref(), *baseline_runs)?,
        What::Scan { cargo_audit } => scan(&args, cargo_audit)?,
        What::Verify {
            dirs,
            npm_cache,
            baseline_runs,
            npm_cache_verify,
        } => verify(
            &args,
            dirs,
            npm_cache.as_deref(),
            *baseline_runs,
            *npm_cache_verify,
        )?,
        What::History {
            postgres,
            no_sqlite,
            snapshots,
            packages,
            keep,
        } => history::history(&history::HistoryArgs {
            postgres: postgres.as_deref(),
            sqlite: !*no_sqlite,
            snapshots: *snapshots,
            packages: *packages,
            keep: *keep,
        })?,
        What::Provenance {
            large,
            baseline_runs,
            cold_runs,
            keep,
        } => provenance::provenance(
            &args,
            &provenance::ProvenanceArgs {
                large,
                baseline_runs: *baseline_runs,
                cold_runs: *cold_runs,
                keep: *keep,
            },
        )?,
    };
    Ok(if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
