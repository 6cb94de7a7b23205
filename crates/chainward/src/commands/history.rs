//! `chainward history import-git|list`, and what every history command shares: opening the
//! history database, reading a folder's git branch and commit, and converting the store's
//! types into report types.
//!
//! `import-git` reads a repository through git plumbing only, never checking anything out and
//! never running anything the repository configures:
//! 1. the branch's first-parent history, oldest first, with each commit's changes to files
//!    whose names are lockfiles (`git log --raw`, so the new blob ids come with the walk);
//! 2. the set of lockfiles as of each commit (path to blob), updated commit by commit, so each
//!    snapshot holds every lockfile of its commit, not only the changed one;
//! 3. for each commit to record, the changed blobs are written (`git cat-file --batch`) into a
//!    temporary folder the command owns, at their repository-relative paths, and parsed; a
//!    blob parsed once is not parsed again while it stays in the set;
//! 4. the snapshot is recorded at the commit's committer time, unless the project and branch
//!    already hold a snapshot of that commit (so a re-run adds nothing).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context as _, bail};
use chainward_cli::{
    DatabaseArgs, GlobalArgs, HistoryCommand, HistoryFormat, HistoryListArgs, ImportGitArgs,
};
use chainward_extract::{Detection, Format, ReadSource};
use chainward_report::Reporter as _;
use chainward_report::history::{
    HistoryListReport, ImportGitReport, ImportedCommit, SkippedCommit, SnapshotPoint,
    SnapshotSummary, StreamSummary,
};
use chainward_report::reporters;
use chainward_store::{
    BranchFilter, NewSnapshot, SnapshotInfo, SnapshotQuery, SnapshotRef, Store, StoreUrl, Timestamp,
};
use chainward_types::{Source, SourceStatus};
use indicatif::{ProgressBar, ProgressStyle};

use super::common::home_dir;
use crate::ExitStatus;
use crate::env;
use crate::printer::Printer;

pub(crate) fn run(
    global: &GlobalArgs,
    cmd: &HistoryCommand,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match cmd {
        HistoryCommand::ImportGit(args) => import_git(global, args, printer),
        HistoryCommand::List(args) => list(global, args, printer),
    }
}

// ---------------------------------------------------------------------------------------
// The database.

/// `--database-url` (or `CHAINWARD_DATABASE_URL`), else `history.sqlite3` in the home folder.
pub(crate) fn store_url(global: &GlobalArgs, db: &DatabaseArgs) -> anyhow::Result<StoreUrl> {
    match db.database_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(u) => Ok(StoreUrl::parse(u)?),
        None => Ok(StoreUrl::default_in(&home_dir(global)?)),
    }
}

/// Opens the history database. With `existing`, a default SQLite file that does not exist
/// yet is an error rather than an empty database (for commands that only read).
pub(crate) fn open_store(
    global: &GlobalArgs,
    db: &DatabaseArgs,
    existing: bool,
) -> anyhow::Result<Box<dyn Store>> {
    let url = store_url(global, db)?;
    if existing
        && let StoreUrl::Sqlite(path) = &url
        && !path.is_file()
    {
        bail!(
            "no history database at {}: record snapshots first (`chainward record --project NAME`, `chainward history import-git REPO`), or name one with --database-url",
            path.display()
        );
    }
    Ok(chainward_store::open(&url)?)
}

pub(crate) fn summary(s: &SnapshotInfo) -> SnapshotSummary {
    SnapshotSummary {
        id: s.id.as_i64(),
        project: s.project.clone(),
        branch: s.branch.clone(),
        commit: s.commit.clone(),
        host: s.host.clone(),
        taken_at: s.taken_at.to_string(),
        recorded_at: s.recorded_at.to_string(),
        incomplete: s.incomplete,
        packages: s.packages,
    }
}

pub(crate) fn point(r: &SnapshotRef) -> SnapshotPoint {
    SnapshotPoint {
        snapshot: r.id.as_i64(),
        taken_at: r.taken_at.to_string(),
        commit: r.commit.clone(),
    }
}

/// Parses `--at` / `--since`: RFC 3339, or a bare date (midnight UTC).
pub(crate) fn parse_time(s: &str, option: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse_rfc3339(s.trim()).with_context(|| {
        format!("{option} `{s}` is not a time: write RFC 3339 (2024-05-01T12:00:00Z) or a date (2024-05-01)")
    })
}

/// The name of this machine, where the platform says it.
pub(crate) fn host_name() -> Option<String> {
    let from_file = |p: &str| {
        fs_err::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| {
            [env::HOSTNAME, env::COMPUTERNAME]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        })
}

// ---------------------------------------------------------------------------------------
// A folder's git branch and commit, read from `.git` directly.

/// The branch and commit of the repository holding `path`, if any.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct GitState {
    pub(crate) branch: Option<String>,
    pub(crate) commit: Option<String>,
}

/// Finds the repository holding `path` (a folder or a file) and reads its HEAD: the branch
/// (none when detached) and the commit. Handles worktrees and submodules (a `.git` file
/// naming the git folder, and its `commondir`), loose refs and `packed-refs`. A repository
/// whose refs cannot be read directly (reftable) is asked through `git rev-parse`.
pub(crate) fn git_state(path: &Path) -> Option<GitState> {
    let start = fs_err::canonicalize(path).ok()?;
    let start = if start.is_file() {
        start.parent()?.to_path_buf()
    } else {
        start
    };
    for dir in start.ancestors() {
        let dotgit = dir.join(".git");
        let git_dir = if dotgit.is_dir() {
            dotgit
        } else if dotgit.is_file() {
            let text = fs_err::read_to_string(&dotgit).ok()?;
            let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
            dir.join(target)
        } else {
            continue;
        };
        let common = match fs_err::read_to_string(git_dir.join("commondir")) {
            Ok(c) => git_dir.join(c.trim()),
            Err(_) => git_dir.clone(),
        };
        return Some(read_head(dir, &git_dir, &common));
    }
    None
}

fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn read_head(work: &Path, git_dir: &Path, common: &Path) -> GitState {
    let Ok(head) = fs_err::read_to_string(git_dir.join("HEAD")) else {
        return GitState::default();
    };
    let head = head.trim();
    if is_object_id(head) {
        return GitState {
            branch: None,
            commit: Some(head.to_ascii_lowercase()),
        };
    }
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return GitState::default();
    };
    if common.join("reftable").is_dir() {
        return git_rev_parse(work);
    }
    GitState {
        branch: reference.strip_prefix("refs/heads/").map(str::to_owned),
        commit: resolve_ref(git_dir, common, reference, 0),
    }
}

fn resolve_ref(git_dir: &Path, common: &Path, reference: &str, depth: u8) -> Option<String> {
    if depth > 5 || reference.contains("..") {
        return None;
    }
    for base in [git_dir, common] {
        if let Ok(text) = fs_err::read_to_string(base.join(reference)) {
            let text = text.trim();
            if let Some(next) = text.strip_prefix("ref:") {
                return resolve_ref(git_dir, common, next.trim(), depth + 1);
            }
            if is_object_id(text) {
                return Some(text.to_ascii_lowercase());
            }
        }
    }
    let packed = fs_err::read_to_string(common.join("packed-refs")).ok()?;
    packed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .find_map(|l| {
            let (id, name) = l.split_once(' ')?;
            (name.trim() == reference && is_object_id(id)).then(|| id.to_ascii_lowercase())
        })
}

/// Asks git itself (only for repositories whose refs are not plain files).
fn git_rev_parse(work: &Path) -> GitState {
    let ask = |args: &[&str]| {
        git(work)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    GitState {
        branch: ask(&["symbolic-ref", "-q", "--short", "HEAD"]),
        commit: ask(&["rev-parse", "-q", "--verify", "HEAD^{commit}"]).filter(|c| is_object_id(c)),
    }
}

/// `git -C repo` with an environment and configuration that keep it to reading: no
/// inherited `GIT_DIR`-style redirections, no pager, no fsmonitor hook, no signature
/// checking (a repository's `gpg.program` would run), no external diff or text conversion
/// (`log` is also given `--no-ext-diff --no-textconv`).
fn git(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .arg("-c")
        .arg("core.fsmonitor=false")
        .arg("-c")
        .arg("core.pager=cat")
        // A repository's own configuration must not make `log` run a program.
        .arg("-c")
        .arg("log.showSignature=false")
        .arg("--no-pager")
        .arg("-C")
        .arg(repo)
        .stdin(Stdio::null());
    cmd
}

/// Runs a git command that must succeed; its stdout.
fn git_output(repo: &Path, args: &[&str], what: &str) -> anyhow::Result<Vec<u8>> {
    let out = git(repo)
        .args(args)
        .output()
        .with_context(|| format!("running git to {what} (is git installed?)"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.trim();
        bail!(
            "git could not {what} in {}{}",
            repo.display(),
            if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            }
        );
    }
    Ok(out.stdout)
}

// ---------------------------------------------------------------------------------------
// `history import-git`.

/// Which files are lockfiles, as git pathspecs; matches are then checked with
/// [`chainward_extract::detect`], the walker's own rule.
const LOCKFILE_PATHSPECS: &[&str] = &[
    ":(glob)**/package-lock.json",
    ":(glob)**/npm-shrinkwrap.json",
    ":(glob)**/yarn.lock",
    ":(glob)**/pnpm-lock.yaml",
    ":(glob)**/bun.lock",
    ":(glob)**/bun.lockb",
    ":(glob)**/Cargo.lock",
    ":(glob)**/poetry.lock",
    ":(glob)**/uv.lock",
    ":(glob)**/Pipfile.lock",
    ":(glob)**/requirements*.txt",
    ":(glob)**/*-requirements.txt",
    ":(glob)**/*_requirements.txt",
    ":(glob)**/pdm.lock",
    ":(glob)**/pylock.toml",
    ":(glob)**/pylock.*.toml",
];

/// Folders the walker hands to an installed-tree scanner instead of walking: lockfiles
/// inside them (a committed `node_modules`) are not the project's.
const TREE_DIRS: &[&str] = &["node_modules", "site-packages", "dist-packages"];

/// Is a repository path a lockfile the walker would read (or report as unsupported)?
fn is_lockfile_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let Some(name) = parts.next_back() else {
        return false;
    };
    if parts.any(|d| TREE_DIRS.contains(&d) || d == ".git") {
        return false;
    }
    !matches!(chainward_extract::detect(name), Detection::None)
}

/// One commit of the walk and its lockfile changes.
#[derive(Debug)]
struct LogCommit {
    id: String,
    time: Timestamp,
    /// Path to the new blob id, or `None` when the file was deleted.
    changes: Vec<(String, Option<String>)>,
}

/// Parses `git log -z --raw --format=%x01%H %ct`.
fn parse_log(bytes: &[u8]) -> anyhow::Result<Vec<LogCommit>> {
    let mut out = Vec::new();
    for chunk in bytes.split(|b| *b == 1).filter(|c| !c.is_empty()) {
        let mut fields = chunk.split(|b| *b == 0);
        let header = String::from_utf8_lossy(fields.next().unwrap_or_default());
        let mut header = header.split_whitespace();
        let (Some(id), Some(time)) = (header.next(), header.next()) else {
            bail!(
                "unexpected git log output: {}",
                String::from_utf8_lossy(chunk)
            );
        };
        let time: i64 = time
            .parse()
            .with_context(|| format!("unexpected commit time `{time}` of {id}"))?;
        let mut commit = LogCommit {
            id: id.to_owned(),
            time: Timestamp::from_unix_seconds(time),
            changes: Vec::new(),
        };
        while let Some(meta) = fields.next() {
            let meta = String::from_utf8_lossy(meta);
            let meta = meta.trim_start_matches('\n');
            let Some(meta) = meta.strip_prefix(':') else {
                continue;
            };
            let Some(path) = fields.next() else {
                break;
            };
            let path = String::from_utf8_lossy(path).into_owned();
            // `:old_mode new_mode old_id new_id status`
            let parts: Vec<&str> = meta.split_whitespace().collect();
            let [_, new_mode, _, new_id, status] = parts.as_slice() else {
                continue;
            };
            if !is_lockfile_path(&path) {
                continue;
            }
            let blob = match (*status, *new_mode) {
                ("D", _) => None,
                // Only regular files: a symlink or a submodule is not a lockfile the walker
                // would read.
                (_, "100644" | "100755") => Some((*new_id).to_owned()),
                _ => None,
            };
            commit.changes.push((path, blob));
        }
        out.push(commit);
    }
    Ok(out)
}

/// A running `git cat-file --batch`.
struct BlobReader {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl BlobReader {
    fn start(repo: &Path) -> anyhow::Result<Self> {
        let mut child = git(repo)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("running git cat-file (is git installed?)")?;
        let stdin = child.stdin.take().context("git cat-file has no stdin")?;
        let stdout = child.stdout.take().context("git cat-file has no stdout")?;
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    /// Writes blob `id` to `dest`.
    fn write_blob(&mut self, id: &str, dest: &Path) -> anyhow::Result<()> {
        writeln!(self.stdin, "{id}").context("asking git cat-file for a blob")?;
        self.stdin
            .flush()
            .context("asking git cat-file for a blob")?;
        let mut header = String::new();
        self.stdout
            .read_line(&mut header)
            .context("reading git cat-file's answer")?;
        let mut parts = header.split_whitespace();
        let (Some(_), Some(kind), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("git cat-file could not read blob {id}: {}", header.trim());
        };
        if kind != "blob" {
            bail!("git object {id} is a {kind}, not a file");
        }
        let size: u64 = size
            .parse()
            .with_context(|| format!("unexpected size in git cat-file's answer: {header}"))?;
        if let Some(parent) = dest.parent() {
            fs_err::create_dir_all(parent)?;
        }
        let mut file = fs_err::File::create(dest)?;
        let copied = std::io::copy(&mut (&mut self.stdout).take(size), &mut file)
            .with_context(|| format!("writing {}", dest.display()))?;
        if copied != size {
            bail!("git cat-file ended in the middle of blob {id}");
        }
        let mut newline = [0u8; 1];
        self.stdout
            .read_exact(&mut newline)
            .context("reading git cat-file's answer")?;
        Ok(())
    }
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        // Closing stdin ends cat-file; wait so no zombie is left.
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One parsed lockfile of the current set.
struct Parsed {
    blob: String,
    format: Option<Format>,
    result: Result<chainward_types::Lockfile, Source>,
}

/// The lockfiles of the commit being recorded, mirrored in a temporary folder, parsed once
/// per blob.
struct Mirror {
    root: tempfile::TempDir,
    /// What the folder holds: path to blob.
    written: BTreeMap<String, String>,
    parsed: HashMap<String, Parsed>,
}

impl Mirror {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            root: tempfile::Builder::new()
                .prefix("chainward-import-git-")
                .tempdir()
                .context("creating a temporary folder for lockfiles")?,
            written: BTreeMap::new(),
            parsed: HashMap::new(),
        })
    }

    /// Makes the folder hold exactly `state` (path to blob), writing only what changed.
    fn sync(
        &mut self,
        state: &BTreeMap<String, String>,
        blobs: &mut BlobReader,
    ) -> anyhow::Result<()> {
        let gone: Vec<String> = self
            .written
            .keys()
            .filter(|p| !state.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            let _ = fs_err::remove_file(self.root.path().join(&path));
            self.written.remove(&path);
            self.parsed.remove(&path);
        }
        for (path, blob) in state {
            if self.written.get(path) != Some(blob) {
                blobs.write_blob(blob, &self.root.path().join(path))?;
                self.written.insert(path.clone(), blob.clone());
            }
        }
        Ok(())
    }

    /// Every lockfile of the set, read, with repository-relative paths.
    fn sources(&mut self) -> anyhow::Result<Vec<ReadSource>> {
        let paths: Vec<(String, String)> = self
            .written
            .iter()
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        let mut out = Vec::with_capacity(paths.len());
        for (path, blob) in paths {
            let fresh = self.parsed.get(&path).is_none_or(|p| p.blob != blob);
            if fresh {
                let parsed = self.parse(&path, blob)?;
                self.parsed.insert(path.clone(), parsed);
            }
            let Some(p) = self.parsed.get(&path) else {
                continue;
            };
            out.push(ReadSource {
                path: self.root.path().join(&path),
                display: path.clone(),
                format: p.format,
                result: p.result.clone(),
            });
        }
        Ok(out)
    }

    fn parse(&self, path: &str, blob: String) -> anyhow::Result<Parsed> {
        // npm reads npm-shrinkwrap.json, not a package-lock.json beside it; so does the walker.
        if let Some(dir) = path.strip_suffix("package-lock.json")
            && (dir.is_empty() || dir.ends_with('/'))
            && self
                .written
                .contains_key(&format!("{dir}npm-shrinkwrap.json"))
        {
            return Ok(Parsed {
                blob,
                format: Some(Format::NpmPackageLock),
                result: Err(Source::not_read(
                    path,
                    Format::NpmPackageLock.kind(),
                    SourceStatus::Skipped,
                    "npm-shrinkwrap.json in the same folder takes precedence (as npm does)",
                )),
            });
        }
        let file = self.root.path().join(path);
        let mut read = chainward_extract::read_sources(
            std::slice::from_ref(&file),
            &chainward_extract::Options::default(),
        )?;
        let Some(mut source) = read.pop() else {
            bail!("{path}: not read");
        };
        // The walker names the file by the path it was given: the temporary one. Name it
        // by its place in the repository.
        let shown = source.display.clone();
        match &mut source.result {
            Ok(lockfile) => {
                for p in &mut lockfile.packages {
                    for l in &mut p.locations {
                        if l.path == shown {
                            l.path = path.to_owned();
                        }
                    }
                }
                for w in lockfile
                    .warnings
                    .iter_mut()
                    .chain(lockfile.notes.iter_mut())
                {
                    *w = w.replace(&shown, path);
                }
            }
            Err(s) => {
                s.path = path.to_owned();
                if let Some(e) = &mut s.error {
                    *e = e.replace(&shown, path);
                }
            }
        }
        Ok(Parsed {
            blob,
            format: source.format,
            result: source.result,
        })
    }
}

/// A commit ready to record, or why it cannot be.
enum Prepared<'a> {
    Record {
        commit: &'a LogCommit,
        snapshot: NewSnapshot,
    },
    Skip {
        commit: &'a LogCommit,
        reason: String,
    },
}

struct PrepareConfig<'a> {
    project: &'a str,
    branch: Option<&'a str>,
    allow_incomplete: bool,
    /// Which commits to prepare (in range, not recorded yet).
    include: &'a (dyn Fn(&LogCommit) -> bool + Sync),
}

/// Steps 2 and 3 for every commit, oldest first: the lockfile set as of the commit, read
/// and parsed, as a snapshot to record. Stops when the receiver is gone.
fn prepare_snapshots<'a>(
    repo: &Path,
    commits: &'a [LogCommit],
    config: &PrepareConfig<'_>,
    tx: &std::sync::mpsc::SyncSender<Prepared<'a>>,
) -> anyhow::Result<()> {
    let mut state: BTreeMap<String, String> = BTreeMap::new();
    let mut mirror = Mirror::new()?;
    let mut blobs = BlobReader::start(repo)?;
    for commit in commits {
        for (path, blob) in &commit.changes {
            match blob {
                Some(b) => state.insert(path.clone(), b.clone()),
                None => state.remove(path),
            };
        }
        if !(config.include)(commit) {
            continue;
        }
        mirror.sync(&state, &mut blobs)?;
        let inventory = chainward_extract::inventory_of(mirror.sources()?);
        let incomplete: Vec<String> = inventory
            .sources
            .iter()
            .filter(|s| s.status.is_incomplete())
            .map(|s| {
                let why = s.error.clone().unwrap_or_else(|| s.warnings.join("; "));
                format!("{} ({}): {why}", s.path, s.status.as_str())
            })
            .collect();
        let step = if !incomplete.is_empty() && !config.allow_incomplete {
            Prepared::Skip {
                commit,
                reason: incomplete.join("; "),
            }
        } else {
            let mut snapshot = NewSnapshot::from_inventory(config.project, commit.time, &inventory);
            snapshot.branch = config.branch.map(str::to_owned);
            snapshot.commit = Some(commit.id.clone());
            Prepared::Record { commit, snapshot }
        };
        if tx.send(step).is_err() {
            break;
        }
    }
    Ok(())
}

fn import_git(
    global: &GlobalArgs,
    args: &ImportGitArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(
        global.format.as_deref(),
        HistoryFormat::Table,
        "history import-git",
    )?;
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s, "--since"))
        .transpose()?;
    let repo = &args.repo;
    if !repo.exists() {
        bail!("{}: no such folder", repo.display());
    }
    git_output(repo, &["rev-parse", "--git-dir"], "find a repository")?;
    let project = match &args.project {
        Some(p) => p.trim().to_owned(),
        None => repo_name(repo)?,
    };
    if project.is_empty() {
        bail!("--project must not be empty");
    }

    // 1. The branch and its tip.
    let branch = match &args.branch {
        Some(b) => Some(b.strip_prefix("refs/heads/").unwrap_or(b).to_owned()),
        None => {
            let out = git(repo)
                .args(["symbolic-ref", "-q", "--short", "HEAD"])
                .output()
                .context("running git (is git installed?)")?;
            Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()).filter(|b| !b.is_empty())
        }
    };
    let rev = match &args.branch {
        Some(b) => format!("{b}^{{commit}}"),
        None => "HEAD^{commit}".to_owned(),
    };
    let tip = git_output(
        repo,
        &["rev-parse", "-q", "--verify", "--end-of-options", &rev],
        &format!("find {}", args.branch.as_deref().unwrap_or("HEAD")),
    )
    .with_context(|| match &args.branch {
        Some(b) => format!("no branch or commit `{b}` in {}", repo.display()),
        None => format!("{} has no commit yet", repo.display()),
    })?;
    let tip = String::from_utf8_lossy(&tip).trim().to_owned();
    if !is_object_id(&tip) {
        bail!("git gave `{tip}` for {rev}");
    }
    match &branch {
        Some(b) => printer.info(&format!("walking {b} ({tip}) of {}", repo.display())),
        None => printer.warn(&format!(
            "{} has a detached HEAD: walking {tip}, recorded without a branch (name one with --branch)",
            repo.display()
        )),
    }

    // 2. Every first-parent commit that changed a lockfile, oldest first.
    let mut log_args = vec![
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--reverse",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "-z",
        "--format=%x01%H %ct",
        &tip,
        "--",
    ];
    log_args.extend(LOCKFILE_PATHSPECS);
    let log = git_output(repo, &log_args, "read the history")?;
    let commits = parse_log(&log)?;

    let mut store = open_store(global, &args.database, false)?;
    let location = store.location().to_string();
    let existing: HashSet<String> = store
        .snapshots(&SnapshotQuery {
            project: Some(project.clone()),
            branch: BranchFilter::Only(branch.clone()),
            ..SnapshotQuery::default()
        })?
        .into_iter()
        .filter_map(|s| s.commit)
        .collect();

    let in_range = |c: &LogCommit| since.is_none_or(|s| c.time >= s);
    let todo = commits
        .iter()
        .filter(|c| in_range(c) && !existing.contains(&c.id))
        .count();
    let bar = ProgressBar::with_draw_target(
        Some(u64::try_from(todo).unwrap_or(u64::MAX)),
        printer.progress_target(),
    );
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} commits {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("recording");

    let mut report = ImportGitReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        database: location,
        repository: repo.display().to_string(),
        project: project.clone(),
        branch: branch.clone(),
        commits: 0,
        already_recorded: 0,
        recorded: Vec::new(),
        skipped: Vec::new(),
    };
    for c in commits.iter().filter(|c| in_range(c)) {
        report.commits += 1;
        if existing.contains(&c.id) {
            report.already_recorded += 1;
        }
    }
    // Reading and parsing the next commit's lockfiles (a thread of its own) overlaps with
    // recording the previous one; the bounded channel keeps at most a few inventories in
    // memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Prepared<'_>>(2);
    let include = |c: &LogCommit| in_range(c) && !existing.contains(&c.id);
    let config = PrepareConfig {
        project: &project,
        branch: branch.as_deref(),
        allow_incomplete: args.allow_incomplete,
        include: &include,
    };
    let commits_ref = &commits;
    let recorded: anyhow::Result<()> = std::thread::scope(|scope| {
        let producer = scope.spawn(move || prepare_snapshots(repo, commits_ref, &config, &tx));
        let mut outcome = Ok(());
        for step in rx {
            match step {
                Prepared::Skip { commit, reason } => {
                    bar.suspend(|| {
                        printer.warn(&format!("commit {} not recorded: {reason}", commit.id));
                    });
                    report.skipped.push(SkippedCommit {
                        commit: commit.id.clone(),
                        taken_at: commit.time.to_string(),
                        reason,
                    });
                }
                Prepared::Record { commit, snapshot } => {
                    // 4. Record.
                    match store
                        .record(&snapshot)
                        .with_context(|| format!("recording commit {}", commit.id))
                    {
                        Ok(r) => report.recorded.push(ImportedCommit {
                            commit: commit.id.clone(),
                            taken_at: commit.time.to_string(),
                            snapshot: r.id.as_i64(),
                            packages: r.packages,
                            added: r.added,
                            removed: r.removed,
                            incomplete: snapshot.incomplete,
                        }),
                        Err(e) => {
                            outcome = Err(e);
                            break;
                        }
                    }
                }
            }
            bar.inc(1);
        }
        // Dropping the receiver (on an error) stops the producer at its next send.
        let produced = producer.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "reading the repository failed unexpectedly"
            ))
        });
        outcome.and(produced)
    });
    bar.finish_and_clear();
    recorded?;

    printer.result(|w| match format {
        HistoryFormat::Table => reporters::Table {
            wrap: printer.stdout_is_terminal(),
        }
        .render(&report, w),
        HistoryFormat::Json => reporters::Json.render(&report, w),
    })?;
    if report.commits == 0 {
        printer.warn(&format!(
            "no commit of {} changed a lockfile chainward recognises{}",
            repo.display(),
            if since.is_some() { " in range" } else { "" }
        ));
    }
    if !report.skipped.is_empty() {
        printer.error(&format!(
            "{} commits were not recorded because a lockfile could not be read completely (see above); --allow-incomplete records them marked incomplete",
            report.skipped.len()
        ));
        return Ok(ExitStatus::Error);
    }
    Ok(ExitStatus::Ok)
}

/// The repository folder's name (the project's default name).
fn repo_name(repo: &Path) -> anyhow::Result<String> {
    let top = git_output(
        repo,
        &["rev-parse", "--show-toplevel"],
        "find the top folder",
    )
    .ok()
    .map(|o| PathBuf::from(String::from_utf8_lossy(&o).trim()));
    let folder = match top.filter(|t| !t.as_os_str().is_empty()) {
        Some(t) => t,
        None => fs_err::canonicalize(repo)?,
    };
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".git").to_owned())
        .filter(|n| !n.is_empty());
    name.with_context(|| {
        format!(
            "cannot name the project after {}: give --project",
            repo.display()
        )
    })
}

// ---------------------------------------------------------------------------------------
// `history list`.

fn list(
    global: &GlobalArgs,
    args: &HistoryListArgs,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let format = super::output_format(
        global.format.as_deref(),
        HistoryFormat::Table,
        "history list",
    )?;
    let mut store = open_store(global, &args.database, true)?;
    let streams = store.streams(args.project.as_deref())?;
    let snapshots = match &args.project {
        Some(p) => store.snapshots(&SnapshotQuery {
            project: Some(p.clone()),
            branch: match &args.branch {
                Some(b) => BranchFilter::Only(Some(b.clone())),
                None => BranchFilter::Any,
            },
            ..SnapshotQuery::default()
        })?,
        None => Vec::new(),
    };
    if let Some(p) = &args.project
        && streams.is_empty()
    {
        bail!("no snapshots of project `{p}` in {}", store.location());
    }
    let report = HistoryListReport {
        schema_version: chainward_report::SCHEMA_VERSION,
        streams: streams
            .iter()
            .map(|s| StreamSummary {
                project: s.project.clone(),
                branch: s.branch.clone(),
                snapshots: s.snapshots,
                latest: s.latest.as_ref().map(point),
            })
            .collect(),
        snapshots: snapshots.iter().map(summary).collect(),
    };
    printer.result(|w| match format {
        HistoryFormat::Table => reporters::Table {
            wrap: printer.stdout_is_terminal(),
        }
        .render(&report, w),
        HistoryFormat::Json => reporters::Json.render(&report, w),
    })?;
    Ok(ExitStatus::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_lockfile_paths_outside_installed_trees() {
        assert!(is_lockfile_path("package-lock.json"));
        assert!(is_lockfile_path("web/yarn.lock"));
        assert!(is_lockfile_path("svc/requirements-dev.txt"));
        assert!(is_lockfile_path("bun.lockb"));
        assert!(!is_lockfile_path("node_modules/a/package-lock.json"));
        assert!(!is_lockfile_path("docs/notes.txt"));
        assert!(!is_lockfile_path("package.json"));
    }

    #[test]
    fn parses_raw_log_records() {
        let id1 = "a".repeat(40);
        let id2 = "b".repeat(40);
        let blob = "c".repeat(40);
        let zero = "0".repeat(40);
        let log = format!(
            "\x01{id1} 1577836800\0\n:000000 100644 {zero} {blob} A\0package-lock.json\0:000000 100644 {zero} {blob} A\0README.txt\0\x01{id2} 1577836900\0\n:100644 000000 {blob} {zero} D\0package-lock.json\0:000000 120000 {zero} {blob} A\0yarn.lock\0"
        );
        let commits = parse_log(log.as_bytes()).unwrap();
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].id, id1);
        assert_eq!(
            commits[0].time,
            Timestamp::parse_rfc3339("2020-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            commits[0].changes,
            [("package-lock.json".to_owned(), Some(blob.clone()))]
        );
        assert_eq!(
            commits[1].changes,
            [
                ("package-lock.json".to_owned(), None),
                ("yarn.lock".to_owned(), None)
            ]
        );
    }

    #[test]
    fn never_panics_on_garbage_log_output() {
        for input in [
            &b"\x01"[..],
            b"\x01abc",
            b"\x01abc x\0:1 2\0",
            b"\0\0\x01\x01",
        ] {
            let _ = parse_log(input);
        }
    }

    #[test]
    fn reads_head_of_a_worktree_with_packed_refs() {
        let dir = tempfile::tempdir().unwrap();
        let main_git = dir.path().join("main/.git");
        let wt_git = main_git.join("worktrees/wt");
        fs_err::create_dir_all(&wt_git).unwrap();
        let id = "1234567890abcdef1234567890abcdef12345678";
        fs_err::write(
            main_git.join("packed-refs"),
            format!("# pack-refs with: peeled\n{id} refs/heads/feature\n"),
        )
        .unwrap();
        fs_err::write(wt_git.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
        fs_err::write(wt_git.join("commondir"), "../..\n").unwrap();
        let wt = dir.path().join("wt");
        fs_err::create_dir_all(&wt).unwrap();
        fs_err::write(wt.join(".git"), format!("gitdir: {}\n", wt_git.display())).unwrap();
        let state = git_state(&wt).unwrap();
        assert_eq!(state.branch.as_deref(), Some("feature"));
        assert_eq!(state.commit.as_deref(), Some(id));

        // Detached.
        fs_err::write(wt_git.join("HEAD"), format!("{id}\n")).unwrap();
        let state = git_state(&wt).unwrap();
        assert_eq!(state.branch, None);
        assert_eq!(state.commit.as_deref(), Some(id));
    }
}
