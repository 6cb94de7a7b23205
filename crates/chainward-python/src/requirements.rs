//! pip's `requirements.txt` format, read as pip reads it.
//!
//! Lines are processed in pip's order: `\` continuations are joined (the requirement is
//! located at its first line), comments (`#` at the start or after whitespace) are dropped,
//! and the line is split into the requirement and its options at the first token that starts
//! with `-`. Options follow pip's option parser (`--opt=value`, `--opt value`, `-rfile`,
//! unambiguous abbreviations of long options).
//!
//! What each requirement becomes:
//! - `name==1.0` / `name===1.0` → that version. Anything else (`>=1.0`, `~=1.1`, `==1.*`, a
//!   range) is *not* a version: the package gets `version: ""` and the specifier in
//!   `constraint` (`>=1.0,<2`). This deliberately differs from osv-scalibr, which reports the
//!   bound as the version: an advisory would then match a version nobody installed.
//! - `name @ URL`, bare URLs and VCS URLs → [`Origin::Url`] or [`Origin::Git`] (the `@rev` is
//!   the commit when it is a full hex id, else the reference); `file:` URLs and local paths
//!   (`./pkg`, `pkg.whl`) → [`Origin::Path`]; `-e` the same. A name that pip would only learn
//!   by building the project (an unnamed path or VCS URL without `#egg=`) is taken from the
//!   wheel or sdist file name, else from the last path segment, with a warning. `-e .` is the
//!   project itself and is not reported.
//! - `--hash=alg:hex` (several, also on continuation lines) → [`Package::hashes`]; a value
//!   that is not a well-formed digest is a warning (pip would refuse to install).
//! - `-r`/`--requirement` files are parsed through the reader; their packages are located in
//!   the included file, followed by the including lines (innermost first). A missing `-r`
//!   file is an error naming the including line; an include cycle is an error.
//! - `-c`/`--constraint` files are not installed: their exact pins give versions to
//!   requirements that are otherwise unpinned (the constraint line is added as a location).
//!   A missing constraints file is a warning.
//! - `-i`/`--index-url` that is not PyPI is recorded in every registry origin.
//!   `--extra-index-url` and `--find-links` make the source of each package ambiguous (pip
//!   takes the best version found on any of them): a warning says so.
//! - `${VAR}` is expanded by pip from the environment, which a scan does not have: the line
//!   is reported as written, a version containing a variable is not a pin, and a warning names
//!   the line. Credentials in URLs are removed from everything reported.
//! - Global options pip accepts (`--no-binary`, `--pre`, `--trusted-host`, ...) are ignored;
//!   unknown options and invalid requirements are warnings and the line is skipped (pip would
//!   refuse the whole file; a scan reports what it can).
//!
//! Every package is direct: a requirements file lists what is installed on purpose.

use std::collections::HashMap;

use chainward_types::{
    Ecosystem, Hash, Location, Lockfile, Origin, Package, ParseError, normalize_name,
};

use crate::common::{
    file_name_of, fragment_param, is_archive, is_full_commit, is_pypi, is_valid_name,
    parse_sdist_filename, parse_wheel_filename, percent_decode, redact_text, redact_url,
    split_git_url,
};

/// Reads an included file (`-r other.txt`, `-c constraints.txt`). It is given the path of the
/// included file: the path as written, joined to the directory of the including file's path
/// (the `path` given to [`parse`] for the top file, the returned display path for nested
/// ones), with `.` and `..` segments resolved; absolute paths are passed unchanged. It
/// returns `(display path, text)` or an error message.
pub type ReadInclude<'a> = dyn FnMut(&str) -> Result<(String, String), String> + 'a;

/// How deep `-r` includes may nest before the chain is refused.
const MAX_INCLUDE_DEPTH: usize = 64;

/// Parses the file's text. `path` is recorded in locations; includes are read through
/// `read_include`.
pub fn parse(
    input: &str,
    path: &str,
    read_include: &mut ReadInclude<'_>,
) -> Result<Lockfile, ParseError> {
    let mut parser = Parser {
        read_include,
        stack: vec![path.to_owned()],
        reqs: Vec::new(),
        pins: HashMap::new(),
        index: IndexOptions::default(),
        warnings: Vec::new(),
    };
    parser.parse_file(input, path, Mode::Requirements, &[])?;
    Ok(parser.finish())
}

/// Whether a file's requirements are installed or only constrain versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Requirements,
    Constraints,
}

/// Index options gathered from every file (pip applies them globally).
#[derive(Debug, Default)]
struct IndexOptions {
    index_url: Option<String>,
    extra: Vec<String>,
    no_index: bool,
    env_var_in_index: bool,
}

/// One requirement before index options and constraints are applied.
#[derive(Debug)]
struct Req {
    name: String,
    version: String,
    constraint: Option<String>,
    /// `None` for a package from the package index.
    origin: Option<Origin>,
    hashes: Vec<Hash>,
    locations: Vec<Location>,
}

/// Where a requirement was written.
struct At<'a> {
    path: &'a str,
    line: u32,
    /// The requirement text as written (the location key).
    key: &'a str,
    /// The including lines, innermost first.
    chain: &'a [Location],
}

/// An exact pin from a constraints file.
#[derive(Debug)]
struct Pin {
    version: String,
    location: Location,
}

struct Parser<'r, 'a> {
    read_include: &'r mut ReadInclude<'a>,
    /// Display paths of the files being parsed, outermost first (for cycles).
    stack: Vec<String>,
    reqs: Vec<Req>,
    /// Exact pins of constraints files, by normalised name.
    pins: HashMap<String, Pin>,
    index: IndexOptions,
    warnings: Vec<String>,
}

impl Parser<'_, '_> {
    /// Parses one file. `chain` holds the including lines, innermost first.
    fn parse_file(
        &mut self,
        input: &str,
        path: &str,
        mode: Mode,
        chain: &[Location],
    ) -> Result<(), ParseError> {
        for (line, text) in logical_lines(input) {
            self.parse_line(&text, line, path, mode, chain)?;
        }
        Ok(())
    }

    fn warn(&mut self, path: &str, line: u32, message: impl AsRef<str>) {
        self.warnings
            .push(format!("{path}:{line}: {}", message.as_ref()));
    }

    /// An error at `line` of `path`, reported at the top file's including line when nested.
    fn error(path: &str, line: u32, chain: &[Location], message: &str) -> ParseError {
        match chain.last() {
            Some(top) => {
                ParseError::at_line(top.line.unwrap_or(1), format!("{path}:{line}: {message}"))
            }
            None => ParseError::at_line(line, message.to_owned()),
        }
    }

    fn parse_line(
        &mut self,
        text: &str,
        line: u32,
        path: &str,
        mode: Mode,
        chain: &[Location],
    ) -> Result<(), ParseError> {
        let (args, options) = break_args_options(text);
        let tokens = match shlex_split(options) {
            Ok(t) => t,
            Err(e) => {
                self.warn(
                    path,
                    line,
                    format!("{e} in options `{}`; line skipped", redact_text(options)),
                );
                return Ok(());
            }
        };
        let opts = match parse_options(&tokens) {
            Ok(o) => o,
            Err(e) => {
                self.warn(
                    path,
                    line,
                    format!("{e}; line skipped (pip would refuse this file)"),
                );
                return Ok(());
            }
        };
        if !args.is_empty() {
            let hashes: Vec<&str> = opts
                .iter()
                .filter(|(o, _)| *o == Opt::Hash)
                .map(|(_, v)| v.as_str())
                .collect();
            let at = At {
                path,
                line,
                key: args,
                chain,
            };
            self.requirement(args, &at, mode, &hashes, false);
            return Ok(());
        }

        for (opt, value) in &opts {
            match opt {
                Opt::Requirement | Opt::Constraint => {
                    let nested_mode = if *opt == Opt::Constraint {
                        Mode::Constraints
                    } else {
                        mode
                    };
                    let flag = if *opt == Opt::Constraint { "-c" } else { "-r" };
                    let including =
                        Location::new(path, Some(line)).with_key(redact_text(text).into_owned());
                    self.include(value, path, line, nested_mode, flag, including, chain)?;
                }
                Opt::Editable => {
                    let at = At {
                        path,
                        line,
                        key: text,
                        chain,
                    };
                    self.requirement(value, &at, mode, &[], true);
                }
                Opt::IndexUrl => {
                    if let Some(url) = self.index_value(value, path, line) {
                        self.index.index_url = Some(url);
                    }
                }
                Opt::ExtraIndexUrl | Opt::FindLinks => {
                    if let Some(url) = self.index_value(value, path, line) {
                        self.index.extra.push(url);
                    }
                }
                Opt::NoIndex => self.index.no_index = true,
                Opt::Hash => self.warn(
                    path,
                    line,
                    "`--hash` without a requirement on its line; ignored",
                ),
                Opt::NoBinary
                | Opt::OnlyBinary
                | Opt::PreferBinary
                | Opt::RequireHashes
                | Opt::Pre
                | Opt::TrustedHost
                | Opt::UseFeature
                | Opt::GlobalOption
                | Opt::InstallOption
                | Opt::ConfigSettings => {}
            }
        }
        Ok(())
    }

    fn index_value(&mut self, value: &str, path: &str, line: u32) -> Option<String> {
        let url = redact_url(value).into_owned();
        if has_env_var(&url) {
            self.index.env_var_in_index = true;
            self.warn(
                path,
                line,
                format!("index `{url}` depends on environment variables; not recorded"),
            );
            return None;
        }
        Some(url.trim_end_matches('/').to_owned())
    }

    #[allow(clippy::too_many_arguments)]
    fn include(
        &mut self,
        written: &str,
        path: &str,
        line: u32,
        mode: Mode,
        flag: &str,
        including: Location,
        chain: &[Location],
    ) -> Result<(), ParseError> {
        if written.contains("://") && !written.starts_with("file:") {
            self.warn(
                path,
                line,
                format!(
                    "`{flag} {}`: remote files are not fetched; skipped",
                    redact_url(written)
                ),
            );
            return Ok(());
        }
        let target = resolve_include(path, written);
        let (display, text) = match (self.read_include)(&target) {
            Ok(r) => r,
            Err(e) if mode == Mode::Constraints => {
                self.warn(
                    path,
                    line,
                    format!(
                        "constraints file `{written}` could not be read ({e}); constraints ignored"
                    ),
                );
                return Ok(());
            }
            Err(e) => {
                return Err(Self::error(
                    path,
                    line,
                    chain,
                    &format!("cannot read `{flag} {written}`: {e}"),
                ));
            }
        };
        if self.stack.contains(&display) {
            let cycle: Vec<&str> = self
                .stack
                .iter()
                .map(String::as_str)
                .chain([display.as_str()])
                .collect();
            return Err(Self::error(
                path,
                line,
                chain,
                &format!("include cycle: {}", cycle.join(" -> ")),
            ));
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return Err(Self::error(
                path,
                line,
                chain,
                &format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
            ));
        }
        let mut nested_chain = Vec::with_capacity(chain.len() + 1);
        nested_chain.push(including);
        nested_chain.extend_from_slice(chain);
        self.stack.push(display.clone());
        let result = self.parse_file(&text, &display, mode, &nested_chain);
        self.stack.pop();
        result
    }

    fn requirement(
        &mut self,
        text: &str,
        at: &At<'_>,
        mode: Mode,
        hash_values: &[&str],
        editable: bool,
    ) {
        let (path, line, chain) = (at.path, at.line, at.chain);
        let shown = redact_text(at.key).into_owned();
        if has_env_var(text) {
            self.warn(
                path,
                line,
                format!("`{shown}`: `${{VAR}}` is expanded by pip from the environment, which a scan does not see; reported as written"),
            );
        }
        let parsed = match parse_requirement(text, editable) {
            Ok(Some(p)) => p,
            Ok(None) => return, // `-e .`: the project itself
            Err(e) => {
                self.warn(
                    path,
                    line,
                    format!("invalid requirement `{shown}`: {e}; skipped"),
                );
                return;
            }
        };
        if let Some(note) = &parsed.name_note {
            self.warn(path, line, note);
        }
        let mut location = vec![Location::new(path, Some(line)).with_key(shown)];
        location.extend_from_slice(chain);

        if mode == Mode::Constraints {
            if parsed.origin.is_none() && !parsed.version.is_empty() {
                self.pins
                    .entry(normalize_name(Ecosystem::PyPI, &parsed.name))
                    .or_insert(Pin {
                        version: parsed.version,
                        location: location.swap_remove(0),
                    });
            }
            return;
        }

        let mut hashes = Vec::new();
        for value in hash_values {
            match Hash::from_prefixed(value) {
                Ok(h) => {
                    if !hashes.contains(&h) {
                        hashes.push(h);
                    }
                }
                Err(e) => self.warn(
                    path,
                    line,
                    format!("--hash `{value}` of {}: {e}", parsed.name),
                ),
            }
        }
        self.reqs.push(Req {
            name: parsed.name,
            version: parsed.version,
            constraint: parsed.constraint,
            origin: parsed.origin,
            hashes,
            locations: location,
        });
    }

    /// Applies constraints and index options, merges duplicates, builds the lockfile.
    fn finish(mut self) -> Lockfile {
        let registry_url = if self.index.no_index {
            // Only `--find-links` sources remain: one of them is *the* source when alone.
            match self.index.extra.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            }
        } else {
            self.index.index_url.clone().filter(|u| !is_pypi(u))
        };
        let ambiguous = if self.index.no_index {
            self.index.extra.len() > 1
        } else {
            !self.index.extra.is_empty()
        };

        let mut packages: Vec<Package> = Vec::with_capacity(self.reqs.len());
        let mut by_identity: HashMap<(String, String, Origin), usize> = HashMap::new();
        let mut any_registry = false;
        for req in std::mem::take(&mut self.reqs) {
            let origin = req.origin.unwrap_or_else(|| {
                any_registry = true;
                Origin::Registry {
                    url: registry_url.clone(),
                }
            });
            let mut pkg = Package::new(Ecosystem::PyPI, &req.name, req.version, origin);
            pkg.constraint = req.constraint;
            pkg.hashes = req.hashes;
            pkg.direct = true;
            pkg.locations = req.locations;
            if pkg.version.is_empty() && pkg.origin.is_registry() {
                if let Some(pin) = self.pins.get(&pkg.name) {
                    pkg.version.clone_from(&pin.version);
                    pkg.locations.push(pin.location.clone());
                    pkg.refresh_purl();
                }
            } else if let Some(pin) = self.pins.get(&pkg.name)
                && pkg.origin.is_registry()
                && pin.version != pkg.version
            {
                self.warnings.push(format!(
                    "{}: {} is pinned to {} but constrained to {} ({}:{}); pip would fail to resolve",
                    pkg.locations.first().map(|l| format!("{}:{}", l.path, l.line.unwrap_or(0))).unwrap_or_default(),
                    pkg.name,
                    pkg.version,
                    pin.version,
                    pin.location.path,
                    pin.location.line.unwrap_or(0),
                ));
            }
            let key = (pkg.name.clone(), pkg.version.clone(), pkg.origin.clone());
            match by_identity.get(&key) {
                Some(&i) => merge_into(&mut packages[i], pkg),
                None => {
                    by_identity.insert(key, packages.len());
                    packages.push(pkg);
                }
            }
        }
        if ambiguous && any_registry {
            let primary = self
                .index
                .index_url
                .clone()
                .unwrap_or_else(|| "https://pypi.org/simple".to_owned());
            let mut sources = vec![primary];
            sources.extend(self.index.extra.iter().cloned());
            self.warnings.push(format!(
                "packages may come from any of {} (pip takes the best version found on any of them); origins name only the primary index",
                sources.join(", ")
            ));
        }
        Lockfile {
            format: "requirements".to_owned(),
            packages,
            edges: Vec::new(),
            warnings: self.warnings,
            notes: Vec::new(),
        }
    }
}

/// Merges a second occurrence of the same package into the first.
fn merge_into(first: &mut Package, other: Package) {
    for h in other.hashes {
        first.add_hash(h);
    }
    for l in other.locations {
        if !first.locations.contains(&l) {
            first.locations.push(l);
        }
    }
    match (&mut first.constraint, other.constraint) {
        (Some(a), Some(b)) if *a != b => {
            a.push(',');
            a.push_str(&b);
        }
        (a @ None, Some(b)) => *a = Some(b),
        _ => {}
    }
}

/// The path of an included file: `written` relative to the including file's folder.
fn resolve_include(including: &str, written: &str) -> String {
    let written = written
        .strip_prefix("file://")
        .map_or(written, |p| p.strip_prefix("localhost").unwrap_or(p));
    let is_absolute = written.starts_with('/')
        || written.starts_with('\\')
        || written.as_bytes().get(1) == Some(&b':')
            && written
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphabetic);
    let joined = if is_absolute {
        written.to_owned()
    } else {
        match including.rfind(['/', '\\']) {
            Some(i) => format!("{}/{written}", &including[..i]),
            None => written.to_owned(),
        }
    };
    normalize_path(&joined)
}

/// Resolves `.` and `..` segments lexically (leading `..` are kept).
fn normalize_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

// ---------------------------------------------------------------------------------------------
// Lines

/// True when `line` holds a comment: `#` at the start or after whitespace.
fn comment_start(line: &str) -> Option<usize> {
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_ws {
            // The comment takes the whitespace before it along (pip's `(^|\s+)#.*$`).
            return Some(line[..i].trim_end().len());
        }
        prev_ws = c.is_whitespace();
    }
    None
}

/// pip's `join_lines` + `ignore_comments`: `(first line, text)` of every non-empty logical line.
fn logical_lines(input: &str) -> Vec<(u32, String)> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    let mut push = |line: u32, text: &str| {
        let text = match comment_start(text) {
            Some(i) => &text[..i],
            None => text,
        };
        let text = text.trim();
        if !text.is_empty() {
            out.push((line, text.to_owned()));
        }
    };
    for (i, raw) in input.split('\n').enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // pip's `COMMENT_RE.match`: only a line that is all comment stops a continuation.
        let is_comment = line.trim_start().starts_with('#');
        if !line.ends_with('\\') || is_comment {
            match pending.take() {
                Some((first, mut acc)) => {
                    if is_comment {
                        acc.push(' ');
                    }
                    acc.push_str(line);
                    push(first, &acc);
                }
                None => push(line_no, line),
            }
        } else {
            let stripped = line.trim_matches('\\');
            pending
                .get_or_insert_with(|| (line_no, String::new()))
                .1
                .push_str(stripped);
        }
    }
    if let Some((first, acc)) = pending {
        push(first, &acc);
    }
    out
}

/// pip's `break_args_options`: the requirement is every space-separated token before the
/// first one that starts with `-`.
fn break_args_options(line: &str) -> (&str, &str) {
    let mut offset = 0;
    for token in line.split(' ') {
        if token.starts_with('-') {
            return (line[..offset].trim_end(), &line[offset..]);
        }
        offset += token.len() + 1;
    }
    (line, "")
}

/// True when the text holds a `${VAR}` that pip would expand (upper case, digits, `_`).
fn has_env_var(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        if let Some(end) = after.find('}') {
            let name = &after[..end];
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                return true;
            }
        }
        rest = after;
    }
    false
}

/// POSIX `shlex.split` (no comments): quotes group, backslashes escape.
fn shlex_split(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_token {
                    out.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("no closing quotation".to_owned()),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("no closing quotation".to_owned()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("no closing quotation".to_owned()),
                    }
                }
            }
            '\\' => {
                in_token = true;
                match chars.next() {
                    Some(c) => cur.push(c),
                    None => return Err("no escaped character".to_owned()),
                }
            }
            c => {
                in_token = true;
                cur.push(c);
            }
        }
    }
    if in_token {
        out.push(cur);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Options

/// The options pip accepts in a requirements file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    InstallOption,
    Hash,
    ConfigSettings,
}

/// `(long name, short name, option, takes a value)`.
const OPTIONS: &[(&str, Option<char>, Opt, bool)] = &[
    ("index-url", Some('i'), Opt::IndexUrl, true),
    ("extra-index-url", None, Opt::ExtraIndexUrl, true),
    ("no-index", None, Opt::NoIndex, false),
    ("constraint", Some('c'), Opt::Constraint, true),
    ("requirement", Some('r'), Opt::Requirement, true),
    ("editable", Some('e'), Opt::Editable, true),
    ("find-links", Some('f'), Opt::FindLinks, true),
    ("no-binary", None, Opt::NoBinary, true),
    ("only-binary", None, Opt::OnlyBinary, true),
    ("prefer-binary", None, Opt::PreferBinary, false),
    ("require-hashes", None, Opt::RequireHashes, false),
    ("pre", None, Opt::Pre, false),
    ("trusted-host", None, Opt::TrustedHost, true),
    ("use-feature", None, Opt::UseFeature, true),
    ("global-option", None, Opt::GlobalOption, true),
    ("install-option", None, Opt::InstallOption, true),
    ("hash", None, Opt::Hash, true),
    ("config-settings", Some('C'), Opt::ConfigSettings, true),
];

/// Parses option tokens as Python's `optparse` does; positional leftovers are ignored, as
/// pip ignores them.
fn parse_options(tokens: &[String]) -> Result<Vec<(Opt, String)>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        i += 1;
        if token == "--" {
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let spec = match OPTIONS.iter().find(|o| o.0 == name) {
                Some(s) => s,
                None => {
                    let candidates: Vec<_> = OPTIONS
                        .iter()
                        .filter(|o| o.0.starts_with(name) && !name.is_empty())
                        .collect();
                    match candidates.as_slice() {
                        [one] => *one,
                        [] => return Err(format!("no such option: --{name}")),
                        _ => return Err(format!("ambiguous option: --{name}")),
                    }
                }
            };
            if spec.3 {
                let value = match inline {
                    Some(v) => v.to_owned(),
                    None => {
                        let v = tokens
                            .get(i)
                            .ok_or_else(|| format!("--{} requires a value", spec.0))?;
                        i += 1;
                        v.clone()
                    }
                };
                out.push((spec.2, value));
            } else if inline.is_some() {
                return Err(format!("--{} takes no value", spec.0));
            } else {
                out.push((spec.2, String::new()));
            }
        } else if let Some(short) = token.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let c = chars.next().unwrap_or('-');
            let spec = OPTIONS
                .iter()
                .find(|o| o.1 == Some(c))
                .ok_or_else(|| format!("no such option: -{c}"))?;
            let attached = chars.as_str();
            let value = if attached.is_empty() {
                let v = tokens
                    .get(i)
                    .ok_or_else(|| format!("-{c} requires a value"))?;
                i += 1;
                v.clone()
            } else {
                attached.to_owned()
            };
            out.push((spec.2, value));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Requirements

/// A parsed requirement.
#[derive(Debug, PartialEq, Eq)]
struct ParsedReq {
    name: String,
    version: String,
    constraint: Option<String>,
    /// `None` for a package from the package index.
    origin: Option<Origin>,
    /// A warning when the name is a guess.
    name_note: Option<String>,
}

/// True for a URL pip recognises (`scheme://`, or a VCS scheme such as `git+ssh:`).
fn is_url(text: &str) -> bool {
    let Some(colon) = text.find(':') else {
        return false;
    };
    let scheme = text[..colon].to_ascii_lowercase();
    let known = matches!(
        scheme.as_str(),
        "http" | "https" | "file" | "ftp" | "git" | "hg" | "svn" | "bzr"
    ) || ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| scheme.starts_with(p));
    known && scheme.len() > 1
}

/// True when pip would treat the text as a local path.
fn looks_like_path(text: &str) -> bool {
    text.starts_with('.')
        || text.starts_with('~')
        || text.contains('/')
        || text.contains('\\')
        || is_archive(text)
}

/// Parses one requirement. `Ok(None)` is the project itself (`-e .`).
fn parse_requirement(text: &str, editable: bool) -> Result<Option<ParsedReq>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty requirement".to_owned());
    }
    if is_url(text) {
        let url = match text.split_once("; ") {
            Some((u, _marker)) => u.trim(),
            None => text,
        };
        let (url, _extras) = strip_extras(url);
        return from_url(url, None).map(Some);
    }
    if editable {
        let (path, _extras) = strip_extras(text);
        return from_path(path);
    }
    // `name [extras] @ url`
    if let Some(req) = named_url_requirement(text)? {
        return Ok(Some(req));
    }
    let (spec_part, _marker) = match text.split_once(';') {
        Some((s, m)) => (s.trim(), Some(m)),
        None => (text, None),
    };
    if looks_like_path(spec_part) {
        let (path, _extras) = strip_extras(spec_part);
        return from_path(path);
    }
    parse_pep508(text).map(Some)
}

/// Splits `path[extra1,extra2]` into the path and the extras.
fn strip_extras(text: &str) -> (&str, Option<&str>) {
    if let Some(stripped) = text.strip_suffix(']')
        && let Some(open) = stripped.rfind('[')
    {
        return (&text[..open], Some(&stripped[open + 1..]));
    }
    (text, None)
}

/// A requirement given by URL. `name` is the name given with `name @ url`, if any.
fn from_url(url: &str, name: Option<&str>) -> Result<ParsedReq, String> {
    let lower = url.to_ascii_lowercase();
    let fragment = url.split_once('#').map(|(_, f)| f);
    let egg = fragment
        .and_then(|f| fragment_param(f, "egg"))
        .map(|e| strip_extras(e).0);
    let explicit = name.or(egg);

    if lower.starts_with("git+") || lower.starts_with("git://") {
        let git = split_git_url(url);
        let (commit, reference) = match git.rev {
            Some(r) if is_full_commit(&r) => (Some(r.to_ascii_lowercase()), None),
            Some(r) => (None, Some(r)),
            None => (None, None),
        };
        let (name, note) = match explicit {
            Some(n) => (n.to_owned(), None),
            None => {
                let guess = file_name_of(&git.url)
                    .map(|f| f.trim_end_matches(".git").to_owned())
                    .filter(|n| is_valid_name(n))
                    .ok_or_else(|| "VCS URL without a package name (`#egg=`)".to_owned())?;
                let note = format!(
                    "no package name for `{}`: using the repository name `{guess}`",
                    git.url
                );
                (guess, Some(note))
            }
        };
        return Ok(ParsedReq {
            name,
            version: String::new(),
            constraint: reference.clone(),
            origin: Some(Origin::Git {
                url: git.url,
                commit,
                reference,
            }),
            name_note: note,
        });
    }

    let without_fragment = url.split('#').next().unwrap_or(url);
    let origin = if lower.starts_with("file:") {
        Origin::Path {
            path: file_url_to_path(without_fragment),
        }
    } else {
        Origin::Url {
            url: redact_url(without_fragment).into_owned(),
        }
    };
    let file = file_name_of(without_fragment);
    let from_file = file
        .as_deref()
        .and_then(|f| parse_wheel_filename(f).or_else(|| parse_sdist_filename(f)));
    let (name, version, note) = match (explicit, from_file) {
        (Some(n), Some((fname, fver)))
            if normalize_name(Ecosystem::PyPI, n) == normalize_name(Ecosystem::PyPI, &fname) =>
        {
            (n.to_owned(), fver, None)
        }
        (Some(n), _) => (n.to_owned(), String::new(), None),
        (None, Some((fname, fver))) => {
            let is_wheel = file
                .as_deref()
                .is_some_and(|f| f.to_ascii_lowercase().ends_with(".whl"));
            let note = (!is_wheel).then(|| {
                format!(
                    "no package name for `{}`: taken from the file name",
                    redact_url(without_fragment)
                )
            });
            (fname, fver, note)
        }
        (None, None) => {
            if let (Origin::Path { path }, Some(dir)) = (&origin, file.as_deref())
                && is_valid_name(dir)
            {
                let note = format!("no package name for `{path}`: using the folder name `{dir}`");
                return Ok(ParsedReq {
                    name: dir.to_owned(),
                    version: String::new(),
                    constraint: None,
                    origin: Some(origin),
                    name_note: Some(note),
                });
            }
            return Err("URL without a package name (`name @ URL` or `#egg=`)".to_owned());
        }
    };
    if !is_valid_name(&name) {
        return Err(format!("`{name}` is not a valid package name"));
    }
    Ok(ParsedReq {
        name,
        version,
        constraint: None,
        origin: Some(origin),
        name_note: note,
    })
}

/// `file:///a/b` → `/a/b`, `file://localhost/a` → `/a`, `file:rel` → `rel`.
fn file_url_to_path(url: &str) -> String {
    let rest = &url[5..];
    let path = match rest.strip_prefix("//") {
        Some(r) => r.strip_prefix("localhost").unwrap_or(r),
        None => rest,
    };
    percent_decode(path).into_owned()
}

/// A local path (directory, wheel or sdist). `Ok(None)` for the project itself (`.`).
fn from_path(path: &str) -> Result<Option<ParsedReq>, String> {
    let path = path.trim();
    if normalize_path(path) == "." {
        return Ok(None);
    }
    let unnamed = || format!("cannot tell the package name of `{path}`");
    let file = file_name_of(path).ok_or_else(unnamed)?;
    let origin = Some(Origin::Path {
        path: path.to_owned(),
    });
    if let Some((name, version)) = parse_wheel_filename(&file) {
        return Ok(Some(ParsedReq {
            name,
            version,
            constraint: None,
            origin,
            name_note: None,
        }));
    }
    if let Some((name, version)) = parse_sdist_filename(&file) {
        let note = Some(format!(
            "no package name for `{path}`: taken from the file name"
        ));
        return Ok(Some(ParsedReq {
            name,
            version,
            constraint: None,
            origin,
            name_note: note,
        }));
    }
    if is_valid_name(&file) && !is_archive(&file) {
        let note = Some(format!(
            "no package name for `{path}`: using the folder name `{file}`"
        ));
        return Ok(Some(ParsedReq {
            name: file,
            version: String::new(),
            constraint: None,
            origin,
            name_note: note,
        }));
    }
    Err(unnamed())
}

/// `name [extras] @ URL [; marker]`, or `None` when the text is not of that form.
fn named_url_requirement(text: &str) -> Result<Option<ParsedReq>, String> {
    let mut cur = Cursor::new(text);
    cur.skip_ws();
    let name = cur.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !is_valid_name(name) {
        return Ok(None);
    }
    cur.skip_ws();
    if cur.peek() == Some('[') {
        cur.take_while(|c| c != ']');
        if !cur.eat(']') {
            return Ok(None);
        }
        cur.skip_ws();
    }
    if !cur.eat('@') {
        return Ok(None);
    }
    cur.skip_ws();
    let url = cur.take_while(|c| !c.is_whitespace());
    if url.is_empty() {
        return Err("`@` without a URL".to_owned());
    }
    cur.skip_ws();
    if !cur.rest().is_empty() && !cur.rest().starts_with(';') {
        return Err(format!("unexpected `{}` after the URL", cur.rest()));
    }
    if is_url(url) {
        return from_url(url, Some(name)).map(Some);
    }
    // pip accepts `name @ ./local/path`.
    let origin = Origin::Path {
        path: url.to_owned(),
    };
    Ok(Some(ParsedReq {
        name: name.to_owned(),
        version: String::new(),
        constraint: None,
        origin: Some(origin),
        name_note: None,
    }))
}

/// A PEP 508 requirement from an index: `name [extras] (specifiers) ; marker`.
fn parse_pep508(text: &str) -> Result<ParsedReq, String> {
    let mut cur = Cursor::new(text);
    cur.skip_ws();
    let name = cur.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() {
        return Err("no package name".to_owned());
    }
    if !is_valid_name(name) {
        return Err(format!("`{name}` is not a valid package name"));
    }
    cur.skip_ws();
    if cur.eat('[') {
        let extras = cur.take_while(|c| c != ']');
        if !cur.eat(']') {
            return Err("unclosed `[` of extras".to_owned());
        }
        for extra in extras.split(',').map(str::trim) {
            if !extra.is_empty() && !is_valid_name(extra) {
                return Err(format!("`{extra}` is not a valid extra"));
            }
        }
        cur.skip_ws();
    }
    let parenthesized = cur.eat('(');
    let mut specs: Vec<(String, String)> = Vec::new();
    loop {
        cur.skip_ws();
        let Some(op) = cur.take_operator() else {
            break;
        };
        cur.skip_ws();
        let version = if op == "===" {
            cur.take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | ')'))
        } else {
            cur.take_version()
        };
        if version.is_empty() {
            return Err(format!("`{op}` without a version"));
        }
        validate_version(op, version)?;
        specs.push((op.to_owned(), version.to_owned()));
        cur.skip_ws();
        if !cur.eat(',') {
            break;
        }
    }
    if parenthesized {
        cur.skip_ws();
        if !cur.eat(')') {
            return Err("unclosed `(`".to_owned());
        }
    }
    cur.skip_ws();
    if !cur.rest().is_empty() && !cur.rest().starts_with(';') {
        return Err(format!("unexpected `{}`", cur.rest()));
    }
    let pinned = match specs.as_slice() {
        [(op, v)] if !v.contains("${") && (op == "===" || op == "==" && !v.ends_with(".*")) => {
            Some(v.clone())
        }
        _ => None,
    };
    let (version, constraint) = match pinned {
        Some(v) => (v, None),
        None if specs.is_empty() => (String::new(), None),
        None => (
            String::new(),
            Some(
                specs
                    .iter()
                    .map(|(o, v)| format!("{o}{v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ),
    };
    Ok(ParsedReq {
        name: name.to_owned(),
        version,
        constraint,
        origin: None,
        name_note: None,
    })
}

/// Checks a version of a specifier loosely (PEP 440 shapes; `${VAR}` passes, unexpanded).
fn validate_version(op: &str, version: &str) -> Result<(), String> {
    if op == "===" || version.contains("${") {
        return Ok(());
    }
    let core = version.strip_suffix(".*").unwrap_or(version);
    if core.contains('*') || (core.len() != version.len() && !matches!(op, "==" | "!=")) {
        return Err(format!(
            "`{op}{version}`: a wildcard is only allowed as `.*` after `==` or `!=`"
        ));
    }
    if !core.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("`{version}` is not a version"));
    }
    Ok(())
}

/// A byte cursor over ASCII-structured text.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        self.take_while(char::is_whitespace);
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn take_operator(&mut self) -> Option<&'static str> {
        const OPS: &[&str] = &["===", "==", "!=", "~=", ">=", "<=", ">", "<"];
        let op = OPS.iter().find(|op| self.rest().starts_with(**op))?;
        self.pos += op.len();
        Some(op)
    }

    /// A version: PEP 440 characters, plus `${VAR}` (kept unexpanded).
    fn take_version(&mut self) -> &'a str {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'!' | b'*') {
                i += 1;
            } else if b == b'$' && bytes.get(i + 1) == Some(&b'{') {
                match rest[i..].find('}') {
                    Some(end) => i += end + 1,
                    None => break,
                }
            } else {
                break;
            }
        }
        self.pos += i;
        &rest[..i]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn no_includes(p: &str) -> Result<(String, String), String> {
        Err(format!("{p}: not found"))
    }

    fn parse_str(s: &str) -> Lockfile {
        parse(s, "requirements.txt", &mut no_includes).unwrap()
    }

    fn one(s: &str) -> Package {
        let lf = parse_str(s);
        assert_eq!(lf.packages.len(), 1, "{lf:#?}");
        lf.packages.into_iter().next().unwrap()
    }

    #[test]
    fn exact_pins_are_versions_and_bounds_are_constraints() {
        let p = one("Django==3.2.0\n");
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.constraint.as_deref()),
            ("django", "3.2.0", None)
        );
        assert_eq!(one("yolo===1.0").version, "1.0");
        let p = one("requests [security] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"");
        assert_eq!(
            (p.version.as_str(), p.constraint.as_deref()),
            ("", Some(">=2.8.1,==2.8.*"))
        );
        let p = one("a==1.*");
        assert_eq!(
            (p.version.as_str(), p.constraint.as_deref()),
            ("", Some("==1.*"))
        );
        let p = one("b (>=1.0,<2)");
        assert_eq!(p.constraint.as_deref(), Some(">=1.0,<2"));
        assert!(p.direct);
    }

    #[test]
    fn joins_continuations_and_strips_comments_with_crlf() {
        let lf =
            parse_str("# c\r\nqwerty \\\r\n  == 0.1 # why\r\nurl @ https://h/x.whl#egg=url\r\n");
        assert_eq!(lf.packages[0].version, "0.1");
        assert_eq!(lf.packages[0].locations[0].line, Some(2));
        assert_eq!(
            lf.packages[0].locations[0].key.as_deref(),
            Some("qwerty   == 0.1")
        );
        assert_eq!(
            lf.packages[1].origin,
            Origin::Url {
                url: "https://h/x.whl".into()
            }
        );
    }

    #[test]
    fn reads_hashes_including_continuation_lines() {
        let h1 = "sha256:".to_owned() + &"a".repeat(64);
        let h2 = "sha256:".to_owned() + &"b".repeat(64);
        let p = one(&format!("foo==1.0 --hash={h1} \\\n    --hash {h2}\n"));
        assert_eq!(p.hashes.len(), 2);
        assert_eq!(p.hashes[1].hex, "b".repeat(64));
        let lf = parse_str("foo==1.0 --hash=sha256:123\n");
        assert!(lf.packages[0].hashes.is_empty());
        assert!(lf.warnings[0].contains("sha256:123"), "{:?}", lf.warnings);
    }

    #[test]
    fn vcs_urls_give_git_origins() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let p = one(&format!("git+https://github.com/a/b@{sha}#egg=bee"));
        assert_eq!(p.name, "bee");
        assert_eq!(
            p.origin,
            Origin::Git {
                url: "https://github.com/a/b".into(),
                commit: Some(sha.into()),
                reference: None
            }
        );
        let p = one("-e git+ssh://git@github.com/a/b.git@v1.2#egg=Bee_Pkg");
        assert_eq!(p.name, "bee-pkg");
        assert_eq!(
            p.origin,
            Origin::Git {
                url: "ssh://git@github.com/a/b.git".into(),
                commit: None,
                reference: Some("v1.2".into())
            }
        );
        let p = one("bee @ git+https://tok@github.com/a/b@main");
        assert_eq!(
            p.origin,
            Origin::Git {
                url: "https://github.com/a/b".into(),
                commit: None,
                reference: Some("main".into())
            }
        );
        assert_eq!(
            p.locations[0].key.as_deref(),
            Some("bee @ git+https://github.com/a/b@main")
        );
    }

    #[test]
    fn local_paths_and_wheels_give_path_origins() {
        let p = one("./downloads/numpy-1.9.2-cp34-none-win32.whl");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("numpy", "1.9.2"));
        assert_eq!(
            p.origin,
            Origin::Path {
                path: "./downloads/numpy-1.9.2-cp34-none-win32.whl".into()
            }
        );
        let p = one("-e ./libs/my_lib[extra]");
        assert_eq!(p.name, "my-lib");
        assert_eq!(
            p.origin,
            Origin::Path {
                path: "./libs/my_lib".into()
            }
        );
        let p = one("file:///opt/wheels/six-1.16.0-py2.py3-none-any.whl");
        assert_eq!(
            p.origin,
            Origin::Path {
                path: "/opt/wheels/six-1.16.0-py2.py3-none-any.whl".into()
            }
        );
        assert!(parse_str("-e .\n--editable=./\n").packages.is_empty());
    }

    #[test]
    fn index_url_is_recorded_unless_pypi() {
        let lf = parse_str("-i https://user:pw@pypi.example.com/simple/\nfoo==1\n");
        assert_eq!(
            lf.packages[0].origin,
            Origin::Registry {
                url: Some("https://pypi.example.com/simple".into())
            }
        );
        let lf = parse_str("--index-url=https://pypi.org/simple\nfoo==1\n");
        assert_eq!(lf.packages[0].origin, Origin::registry());
        let lf = parse_str("--extra-index-url https://x.example/simple\nfoo==1\n");
        assert_eq!(lf.packages[0].origin, Origin::registry());
        assert!(
            lf.warnings
                .iter()
                .any(|w| w.contains("may come from any of"))
        );
    }

    #[test]
    fn includes_are_parsed_through_the_reader_and_cycles_fail() {
        let mut reader = |p: &str| -> Result<(String, String), String> {
            match p {
                "dir/base.txt" => Ok((p.into(), "six==1.16.0\n-c ../c.txt\n".into())),
                "c.txt" => Ok((p.into(), "idna==3.4\nrequests==2.31.0\n".into())),
                "dir/loop.txt" => Ok((p.into(), "-r loop.txt\n".into())),
                _ => Err("missing".into()),
            }
        };
        let lf = parse("-r dir/base.txt\nrequests\n", "req.txt", &mut reader).unwrap();
        let names: Vec<_> = lf
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(names, [("six", "1.16.0"), ("requests", "2.31.0")]);
        let six = &lf.packages[0];
        assert_eq!(
            (six.locations[0].path.as_str(), six.locations[0].line),
            ("dir/base.txt", Some(1))
        );
        assert_eq!(
            (six.locations[1].path.as_str(), six.locations[1].line),
            ("req.txt", Some(1))
        );
        assert_eq!(lf.packages[1].locations[1].path, "c.txt");

        let err = parse("x==1\n-r dir/loop.txt\n", "req.txt", &mut reader).unwrap_err();
        assert!(err.message.contains("cycle"), "{err}");
        assert_eq!(err.line, Some(2));
        let err = parse("\n--requirement missing.txt\n", "req.txt", &mut reader).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("missing.txt"));
        let lf = parse("-c missing.txt\nfoo\n", "req.txt", &mut reader).unwrap();
        assert_eq!(lf.packages.len(), 1);
        assert!(lf.warnings[0].contains("missing.txt"));
    }

    #[test]
    fn env_vars_are_reported_as_written_with_a_warning() {
        let lf = parse_str("a==${VERSION}\n");
        assert_eq!(lf.packages[0].version, "");
        assert_eq!(lf.packages[0].constraint.as_deref(), Some("==${VERSION}"));
        assert_eq!(lf.warnings.len(), 1);
    }

    #[test]
    fn invalid_lines_are_warnings() {
        let lf =
            parse_str("asdf==\n==1.0\nasdf 1.0\n--bogus\nfoo7==1.0 trailing --hash=sha256:1\n");
        assert!(lf.packages.is_empty(), "{:?}", lf.packages);
        assert_eq!(lf.warnings.len(), 5, "{:#?}", lf.warnings);
    }

    #[test]
    fn hash_in_fragment_is_not_a_comment() {
        let p = one("https://h.example/pkg-1.0.tar.gz#sha256=abc");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("pkg", "1.0"));
    }

    #[test]
    fn duplicate_requirements_are_merged() {
        let lf = parse_str("a>=1\na<3\n");
        assert_eq!(lf.packages.len(), 1);
        assert_eq!(lf.packages[0].constraint.as_deref(), Some(">=1,<3"));
        assert_eq!(lf.packages[0].locations.len(), 2);
    }

    #[test]
    fn option_parsing_follows_optparse() {
        let t = |s: &str| parse_options(&shlex_split(s).unwrap());
        assert_eq!(
            t("-rfile.txt").unwrap(),
            vec![(Opt::Requirement, "file.txt".into())]
        );
        assert_eq!(
            t("--extra-index x").unwrap(),
            vec![(Opt::ExtraIndexUrl, "x".into())]
        );
        assert!(t("--no").is_err(), "ambiguous");
        assert!(t("--pre=1").is_err());
        assert_eq!(
            t("--hash='sha256:a b'").unwrap(),
            vec![(Opt::Hash, "sha256:a b".into())]
        );
    }

    #[test]
    fn resolves_include_paths() {
        assert_eq!(resolve_include("a/b/req.txt", "../c.txt"), "a/c.txt");
        assert_eq!(resolve_include("req.txt", "./x/y.txt"), "x/y.txt");
        assert_eq!(resolve_include("/abs/req.txt", "/etc/r.txt"), "/etc/r.txt");
        assert_eq!(resolve_include("req.txt", "../up.txt"), "../up.txt");
    }
}
