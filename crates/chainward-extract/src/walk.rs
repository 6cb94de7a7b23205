use std::path::{Path, PathBuf};

use chainward_types::{Inventory, InventoryBuilder, Lockfile, ParseError, Source, SourceStatus};
use rayon::prelude::*;

use crate::format::{Detection, Format, detect};

/// Largest file read as a lockfile; anything larger is a failed source, not a slow read.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// How to extract.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Read single-file paths as this format whatever their name (`--as KIND`).
    pub as_format: Option<Format>,
    /// SBOM documents to read as sources (`--sbom FILE`).
    pub sboms: Vec<PathBuf>,
}

/// An error that stops extraction before any source is read (bad arguments).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// A path given on the command line does not exist or cannot be inspected.
    #[error("{path}: {reason}")]
    Inaccessible {
        /// The path as given.
        path: String,
        /// Why.
        reason: std::io::Error,
    },
    /// A single file whose name says nothing about its format, and no `--as`.
    #[error(
        "{path}: cannot tell the format from the file name; name it with --as KIND (one of: {kinds})"
    )]
    UnknownFormat {
        /// The path as given.
        path: String,
        /// The accepted KIND names.
        kinds: String,
    },
}

/// One unit of work found by the walk.
#[derive(Debug)]
enum Job {
    File {
        path: PathBuf,
        display: String,
        format: Format,
    },
    Tree {
        path: PathBuf,
        display: String,
        format: Format,
    },
    NotRead(Source),
}

/// One source found by the walk, with what reading it gave.
#[derive(Debug)]
pub struct ReadSource {
    /// The file or folder on disk.
    pub path: PathBuf,
    /// The path as shown in reports (relative to the scanned root).
    pub display: String,
    /// The format, when the source is one chainward reads.
    pub format: Option<Format>,
    /// The lockfile read, or the source record of why it was not.
    pub result: Result<Lockfile, Source>,
}

/// Extracts an inventory from every path (files or folders).
///
/// Problems with what is found (unparsable files, unreadable folders, unsupported lockfiles)
/// are recorded as sources, not returned as errors: the caller decides from
/// [`Inventory::is_incomplete`]. Only bad paths are errors.
pub fn extract(paths: &[PathBuf], options: &Options) -> Result<Inventory, ExtractError> {
    Ok(inventory_of(read_sources(paths, options)?))
}

/// Builds the inventory of sources already read (for commands that first use each source's
/// own lockfile, such as `verify`).
pub fn inventory_of(sources: Vec<ReadSource>) -> Inventory {
    let mut builder = InventoryBuilder::new();
    for source in sources {
        match source.result {
            Ok(lockfile) => builder.add_lockfile(source.display, lockfile),
            Err(not_read) => builder.add_source(not_read),
        }
    }
    builder.finish()
}

/// Walks every path and reads each source found, keeping each source's lockfile apart (for
/// checks that need to know which file and folder a package came from, such as `verify`).
/// Sources come back in walk order.
pub fn read_sources(paths: &[PathBuf], options: &Options) -> Result<Vec<ReadSource>, ExtractError> {
    let mut jobs = Vec::new();
    for path in paths {
        let display = display_of(path);
        let meta = path
            .metadata()
            .map_err(|reason| ExtractError::Inaccessible {
                path: display.clone(),
                reason,
            })?;
        if meta.is_dir() {
            walk_dir(path, &display, &mut jobs);
        } else {
            jobs.push(file_job(path, display, options)?);
        }
    }
    for sbom in &options.sboms {
        let display = display_of(sbom);
        sbom.metadata()
            .map_err(|reason| ExtractError::Inaccessible {
                path: display.clone(),
                reason,
            })?;
        jobs.push(Job::File {
            path: sbom.clone(),
            display,
            format: Format::Sbom,
        });
    }
    let read = |job: Job| {
        let result = run(&job);
        match job {
            Job::NotRead(source) => ReadSource {
                path: PathBuf::from(&source.path),
                display: source.path.clone(),
                format: None,
                result: Err(source),
            },
            Job::File {
                path,
                display,
                format,
            }
            | Job::Tree {
                path,
                display,
                format,
            } => {
                let result = result.map_err(|e| {
                    Source::not_read(
                        display.clone(),
                        format.kind(),
                        SourceStatus::Failed,
                        e.to_string(),
                    )
                });
                ReadSource {
                    path,
                    display,
                    format: Some(format),
                    result,
                }
            }
        }
    };
    // One file is read on this thread: handing it to a pool thread gains nothing, and the
    // parse's memory would then come from that thread's heap (with huge pages, more memory
    // to fault in and zero).
    if jobs.len() == 1 {
        return Ok(jobs.into_iter().map(read).collect());
    }
    Ok(jobs.into_par_iter().map(read).collect())
}

/// Extracts one file as `format` (used by `--as` and by tests).
pub fn extract_file(path: &Path, format: Format) -> Result<Lockfile, ParseError> {
    run(&Job::File {
        path: path.to_path_buf(),
        display: display_of(path),
        format,
    })
}

fn file_job(path: &Path, display: String, options: &Options) -> Result<Job, ExtractError> {
    if let Some(format) = options.as_format {
        return Ok(Job::File {
            path: path.to_path_buf(),
            display,
            format,
        });
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match detect(name) {
        Detection::Supported(format) => Ok(Job::File {
            path: path.to_path_buf(),
            display,
            format,
        }),
        Detection::Unsupported(what) => Ok(Job::NotRead(Source::not_read(
            display,
            name,
            SourceStatus::Unsupported,
            format!("{what}: not a format chainward reads"),
        ))),
        Detection::None => Err(ExtractError::UnknownFormat {
            path: display,
            kinds: Format::KINDS
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// How a path is shown: as given, without a leading `./`.
fn display_of(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    if s.is_empty() {
        ".".to_owned()
    } else {
        s.to_owned()
    }
}

fn join_display(parent: &str, name: &str) -> String {
    if parent == "." || parent.is_empty() {
        name.to_owned()
    } else if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// fs-err prefixes messages with the path; our sources carry the path already.
fn strip_path_prefix(msg: &str) -> String {
    msg.rsplit_once(" at path ")
        .map_or(msg, |(m, _)| m)
        .to_owned()
}

/// Folders that hold no project files of their own.
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj"];

fn walk_dir(dir: &Path, display: &str, jobs: &mut Vec<Job>) {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some(format) = tree_format(dir, name) {
        jobs.push(Job::Tree {
            path: dir.to_path_buf(),
            display: display.to_owned(),
            format,
        });
        return;
    }
    let entries = match fs_err::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            jobs.push(Job::NotRead(Source::not_read(
                display,
                "directory",
                SourceStatus::Failed,
                format!("cannot list folder: {}", strip_path_prefix(&e.to_string())),
            )));
            return;
        }
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                jobs.push(Job::NotRead(Source::not_read(
                    display,
                    "directory",
                    SourceStatus::Failed,
                    format!("cannot list folder: {}", strip_path_prefix(&e.to_string())),
                )));
                continue;
            }
        };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        if file_type.is_dir() {
            dirs.push(entry_name);
        } else if file_type.is_file() {
            files.push(entry_name);
        }
        // Symlinks are not followed: they lead out of the tree or into loops.
    }
    if files.iter().any(|f| f == "CACHEDIR.TAG") {
        return; // a build cache such as Cargo's target/
    }
    files.sort();
    dirs.sort();
    let has_shrinkwrap = files.iter().any(|f| f == "npm-shrinkwrap.json");
    for f in &files {
        let file_display = join_display(display, f);
        match detect(f) {
            Detection::Supported(Format::NpmPackageLock) if has_shrinkwrap => {
                jobs.push(Job::NotRead(Source::not_read(
                    file_display,
                    Format::NpmPackageLock.kind(),
                    SourceStatus::Skipped,
                    "npm-shrinkwrap.json in the same folder takes precedence (as npm does)",
                )));
            }
            Detection::Supported(format) => jobs.push(Job::File {
                path: dir.join(f),
                display: file_display,
                format,
            }),
            Detection::Unsupported(what) => jobs.push(Job::NotRead(Source::not_read(
                file_display,
                f.clone(),
                SourceStatus::Unsupported,
                format!("{what}: not a format chainward reads"),
            ))),
            Detection::None => {}
        }
    }
    for d in &dirs {
        if SKIP_DIRS.contains(&d.as_str()) {
            continue;
        }
        walk_dir(&dir.join(d), &join_display(display, d), jobs);
    }
}

/// Installed trees are read whole by their own scanner, never walked for lockfiles.
fn tree_format(dir: &Path, name: &str) -> Option<Format> {
    match name {
        "node_modules" => Some(Format::NodeModules),
        "site-packages" | "dist-packages" => Some(Format::SitePackages),
        "vendor" if is_cargo_vendor(dir) => Some(Format::CargoVendor),
        _ => None,
    }
}

fn is_cargo_vendor(dir: &Path) -> bool {
    fs_err::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(Result::ok)
            .any(|e| e.path().join(".cargo-checksum.json").is_file())
    })
}

fn run(job: &Job) -> Result<Lockfile, ParseError> {
    match job {
        Job::NotRead(_) => Ok(Lockfile::default()),
        Job::Tree {
            path,
            display,
            format,
        } => match format {
            Format::NodeModules => chainward_npm::node_modules::scan(path, display),
            Format::SitePackages => chainward_python::site_packages::scan(path, display),
            Format::CargoVendor => chainward_cargo::vendor::scan(path, display),
            other => Err(ParseError::whole_file(format!(
                "{other} is not an installed tree"
            ))),
        },
        Job::File {
            path,
            display,
            format,
        } => {
            let text = read_text(path)?;
            parse_text(*format, &text, display)
        }
    }
}

fn read_text(path: &Path) -> Result<String, ParseError> {
    let io = |e: std::io::Error| {
        ParseError::whole_file(format!(
            "cannot read: {}",
            strip_path_prefix(&e.to_string())
        ))
    };
    let len = fs_err::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(ParseError::whole_file(format!(
            "file is {len} bytes, larger than the {MAX_FILE_BYTES}-byte limit for a lockfile"
        )));
    }
    let bytes = fs_err::read(path).map_err(io)?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ParseError::at_line(
            u32::try_from(line).unwrap_or(u32::MAX),
            format!("not UTF-8 text (invalid byte at offset {offset})"),
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

fn parse_text(format: Format, text: &str, display: &str) -> Result<Lockfile, ParseError> {
    match format {
        Format::NpmPackageLock => chainward_npm::package_lock::parse(text, display),
        Format::NpmShrinkwrap => chainward_npm::package_lock::parse_shrinkwrap(text, display),
        Format::Yarn => chainward_npm::yarn::parse(text, display),
        Format::Pnpm => chainward_npm::pnpm::parse(text, display),
        Format::Bun => chainward_npm::bun::parse(text, display),
        Format::Cargo => chainward_cargo::cargo_lock::parse(text, display),
        Format::Poetry => chainward_python::poetry_lock::parse(text, display),
        Format::Uv => chainward_python::uv_lock::parse(text, display),
        Format::Pipfile => chainward_python::pipfile_lock::parse(text, display),
        Format::Requirements => {
            // The parser joins each include to its including file's display path; display
            // paths are as the user gave them (relative to the working directory, or
            // absolute), so they are also the paths to read.
            let mut read_include = |included: &str| -> Result<(String, String), String> {
                read_text(Path::new(included))
                    .map(|t| (included.to_owned(), t))
                    .map_err(|e| format!("{included}: {e}"))
            };
            chainward_python::requirements::parse(text, display, &mut read_include)
        }
        Format::Sbom => chainward_sbom::parse(text, display),
        Format::NodeModules | Format::SitePackages | Format::CargoVendor => Err(
            ParseError::whole_file(format!("{format} is an installed tree, not a file")),
        ),
    }
}
