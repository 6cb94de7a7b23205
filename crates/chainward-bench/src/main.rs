//! `chainward-bench`: whole-process benchmarks of the release `chainward` binary on the real
//! inputs in `shared/`, with the baseline tools measured in the same run.
//!
//! Run with `cargo build --release && cargo run --release -p chainward-bench -- inventory`.
//! Not part of the test suite: timings belong here, never in tests.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

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
        ],
        args.runs,
    )?;
    let ok = ms(m.median) < 100.0 && m.peak_kib < 200 * 1024;
    all_ok &= ok;
    println!(
        "scan of the largest lockfile (3,860-package pnpm, full database): {:.1} ms median, {:.1} MB peak (target < 100 ms, < 200 MB): {}",
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
        "side by side with cargo audit --no-fetch (same RustSec data; {rustsec_records} RustSec crate advisories vs {records} records in chainward's database: {:.1}x):",
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

fn main() -> anyhow::Result<std::process::ExitCode> {
    let args = Args::parse();
    if !args.bin.is_file() {
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
    };
    Ok(if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
