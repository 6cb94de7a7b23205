//! yarn classic (`# yarn lockfile v1`), read by hand: it is not YAML.
//!
//! The format, as yarn 1 writes and reads it:
//! ```text
//! # comment
//! "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
//!   version "7.12.13"
//!   resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc..."
//!   integrity sha512-...
//!   dependencies:
//!     "@babel/highlight" "^7.12.13"
//! ```
//! Entries start at column 0 with one or more comma-separated specifiers (quoted or not)
//! and a colon; fields are indented by two spaces, `key value` or `key:` followed by a more
//! indented block. Quoted strings use JSON escapes. Indentation must be a multiple of two.
//!
//! Mapping to the model: the name comes from the specifiers (an `npm:` alias names the real
//! package: `string-width-cjs@npm:string-width@^4.2.0` is string-width); `integrity` and the
//! `#sha1` fragment of `resolved` are hashes; `resolved` tells the origin (registry tarball,
//! plain tarball, git URL or a git host's archive with the commit); `file:`/`link:`
//! specifiers are paths. Edges come from `dependencies` and `optionalDependencies`, resolved
//! through the specifier map. yarn v1 records neither direct dependencies nor dev-ness: an
//! entry that no other entry depends on must be a direct dependency and is marked so (a
//! lower bound), and scopes stay empty.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use chainward_types::{
    Ecosystem, Edge, Hash, HashAlgorithm, Location, Lockfile, Origin, Package, ParseError,
};

use super::hosted;
use super::split_descriptor;

/// A value in the v1 format: a scalar or a nested block.
#[derive(Debug)]
enum Val<'a> {
    Scalar(Cow<'a, str>),
    Block(Vec<Field<'a>>),
}

#[derive(Debug)]
struct Field<'a> {
    key: Cow<'a, str>,
    line: u32,
    value: Val<'a>,
}

#[derive(Debug)]
struct RawEntry<'a> {
    header: &'a str,
    specs: Vec<Cow<'a, str>>,
    line: u32,
    fields: Vec<Field<'a>>,
}

struct Lines<'a> {
    lines: Vec<(u32, usize, &'a str)>,
    pos: usize,
}

/// Parses the file's text. `path` is recorded in locations.
pub(super) fn parse(input: &str, path: &str) -> Result<Lockfile, ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let entries = read_entries(input)?;
    build(&entries, path)
}

/// Splits the text into significant lines: (line number, indent, content without indent).
fn significant_lines(input: &str) -> Result<Lines<'_>, ParseError> {
    let mut lines = Vec::new();
    for (i, raw) in input.split('\n').enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        let content = l.trim_start_matches(' ');
        let indent = l.len() - content.len();
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with('\t') {
            return Err(ParseError::at(
                n,
                u32::try_from(indent + 1).unwrap_or(u32::MAX),
                "tab in indentation",
            ));
        }
        if indent % 2 != 0 {
            return Err(ParseError::at_line(
                n,
                format!("indentation of {indent} spaces is not a multiple of two"),
            ));
        }
        lines.push((n, indent, content.trim_end_matches([' ', '\t'])));
    }
    Ok(Lines { lines, pos: 0 })
}

/// Reads a JSON-style quoted string at the start of `s`; returns it and the rest.
fn read_quoted(s: &str, line: u32) -> Result<(Cow<'_, str>, &str), ParseError> {
    let b = s.as_bytes();
    let mut i = 1;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' => break,
            _ => i += 1,
        }
    }
    if i >= b.len() {
        return Err(ParseError::at_line(
            line,
            format!("unterminated string `{s}`"),
        ));
    }
    let raw = &s[..=i];
    let value = if escaped {
        Cow::Owned(
            serde_json::from_str::<String>(raw)
                .map_err(|e| ParseError::at_line(line, format!("invalid string {raw}: {e}")))?,
        )
    } else {
        Cow::Borrowed(&s[1..i])
    };
    Ok((value, &s[i + 1..]))
}

/// Reads one token (quoted or bare) at the start of `s`; a bare token ends at a blank,
/// `,` or `:`.
fn read_token(s: &str, line: u32) -> Result<(Cow<'_, str>, &str), ParseError> {
    if s.starts_with('"') {
        return read_quoted(s, line);
    }
    let end = s.find([' ', '\t', ',', ':']).unwrap_or(s.len());
    if end == 0 {
        return Err(ParseError::at_line(
            line,
            format!("expected a key or value at `{s}`"),
        ));
    }
    Ok((Cow::Borrowed(&s[..end]), &s[end..]))
}

/// True when only blanks and possibly a comment remain.
fn rest_is_empty(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t']);
    t.is_empty() || (t.starts_with('#') && t.len() < s.len())
}

fn read_entries(input: &str) -> Result<Vec<RawEntry<'_>>, ParseError> {
    let mut lines = significant_lines(input)?;
    let mut entries = Vec::new();
    while lines.pos < lines.lines.len() {
        let (n, indent, content) = lines.lines[lines.pos];
        if indent != 0 {
            return Err(ParseError::at_line(
                n,
                "unexpected indentation: a field outside any entry",
            ));
        }
        lines.pos += 1;
        let (specs, header) = read_header(content, n)?;
        let fields = read_block(&mut lines, 2)?;
        entries.push(RawEntry {
            header,
            specs,
            line: n,
            fields,
        });
    }
    Ok(entries)
}

/// `"a@^1", a@^2:` → the specifiers and the header text (without the colon).
fn read_header(content: &str, n: u32) -> Result<(Vec<Cow<'_, str>>, &str), ParseError> {
    let mut specs = Vec::new();
    let mut rest = content;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        let (spec, after) = read_token(rest, n)?;
        if spec.is_empty() {
            return Err(ParseError::at_line(
                n,
                format!("empty specifier in entry header `{content}`"),
            ));
        }
        specs.push(spec);
        let after = after.trim_start_matches([' ', '\t']);
        if let Some(a) = after.strip_prefix(',') {
            rest = a;
            continue;
        }
        if let Some(a) = after.strip_prefix(':') {
            if !rest_is_empty(a) {
                return Err(ParseError::at_line(
                    n,
                    format!(
                        "expected an entry header `specifier[, specifier...]:`, found `{content}`"
                    ),
                ));
            }
            let header = content[..content.len() - a.len() - 1].trim_end();
            return Ok((specs, header));
        }
        return Err(ParseError::at_line(
            n,
            format!("expected an entry header `specifier[, specifier...]:`, found `{content}`"),
        ));
    }
}

/// Blocks nest at most this deep (yarn writes two levels), so hostile input cannot overflow
/// the stack.
const MAX_DEPTH: usize = 32;

/// Reads the fields indented by exactly `indent` spaces.
fn read_block<'a>(lines: &mut Lines<'a>, indent: usize) -> Result<Vec<Field<'a>>, ParseError> {
    if indent > 2 * MAX_DEPTH {
        let line = lines.lines.get(lines.pos).map_or(0, |l| l.0);
        return Err(ParseError::at_line(
            line,
            format!("blocks nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let mut fields: Vec<Field<'a>> = Vec::new();
    while lines.pos < lines.lines.len() {
        let (n, ind, content) = lines.lines[lines.pos];
        if ind < indent {
            break;
        }
        if ind > indent {
            return Err(ParseError::at_line(n, "unexpected indentation"));
        }
        lines.pos += 1;
        let (key, after) = read_token(content, n)?;
        if let Some(f) = fields.iter().find(|f| f.key == key) {
            return Err(ParseError::at_line(
                n,
                format!("duplicate field `{key}` (first at line {})", f.line),
            ));
        }
        let after_blanks = after.trim_start_matches([' ', '\t']);
        let value = if let Some(a) = after_blanks.strip_prefix(':') {
            if !rest_is_empty(a) {
                return Err(ParseError::at_line(
                    n,
                    format!("expected `{key}:` to end the line, found `{content}`"),
                ));
            }
            Val::Block(read_block(lines, indent + 2)?)
        } else {
            if after.len() == after_blanks.len() || after_blanks.is_empty() {
                return Err(ParseError::at_line(
                    n,
                    format!("expected `key value`, found `{content}`"),
                ));
            }
            let (value, rest) = read_token(after_blanks, n)?;
            if !rest_is_empty(rest) {
                return Err(ParseError::at_line(
                    n,
                    format!("unexpected text after the value in `{content}`"),
                ));
            }
            Val::Scalar(value)
        };
        fields.push(Field {
            key,
            line: n,
            value,
        });
    }
    Ok(fields)
}

fn scalar<'f>(
    fields: &'f [Field<'_>],
    key: &str,
    header: &str,
) -> Result<Option<&'f str>, ParseError> {
    match fields.iter().find(|f| f.key == key) {
        None => Ok(None),
        Some(Field {
            value: Val::Scalar(s),
            ..
        }) => Ok(Some(s)),
        Some(f) => Err(ParseError::at_line(
            f.line,
            format!("`{key}` of `{header}` is a block, not a value"),
        )),
    }
}

fn block<'f, 'a>(
    fields: &'f [Field<'a>],
    key: &str,
    header: &str,
) -> Result<&'f [Field<'a>], ParseError> {
    match fields.iter().find(|f| f.key == key) {
        None => Ok(&[]),
        Some(Field {
            value: Val::Block(b),
            ..
        }) => Ok(b),
        Some(f) => Err(ParseError::at_line(
            f.line,
            format!("`{key}` of `{header}` is a value, not a block"),
        )),
    }
}

/// The package name and range a specifier asks for, after `npm:` aliases.
fn real_name_and_range(spec: &str) -> (&str, &str) {
    let (name, range) = split_descriptor(spec);
    if let Some(inner) = range.strip_prefix("npm:") {
        let starts_like_range = inner
            .bytes()
            .next()
            .is_none_or(|b| b.is_ascii_digit() || b"^~<>=*|v ".contains(&b));
        if !starts_like_range {
            let (real, real_range) = split_descriptor(inner);
            return (real, real_range);
        }
        return (name, inner);
    }
    (name, range)
}

/// The kind of thing a range asks for.
enum Wanted<'s> {
    Path(&'s str),
    Registry,
    Other,
}

fn classify_range(range: &str) -> Wanted<'_> {
    if let Some(p) = range
        .strip_prefix("file:")
        .or_else(|| range.strip_prefix("link:"))
    {
        return Wanted::Path(p);
    }
    if range.contains("://")
        || range.starts_with("git")
        || range.starts_with("github:")
        || range.starts_with("gitlab:")
        || range.starts_with("bitbucket:")
        || range.starts_with('.')
        || range.starts_with('/')
        || range.starts_with('~') && range.contains('/')
        || (range.contains('/') && !range.contains(' '))
    {
        return Wanted::Other;
    }
    Wanted::Registry
}

fn build(entries: &[RawEntry<'_>], path: &str) -> Result<Lockfile, ParseError> {
    let mut lock = Lockfile {
        format: "yarn-v1".to_owned(),
        ..Lockfile::default()
    };
    let mut by_spec: HashMap<&str, usize> = HashMap::with_capacity(entries.len() * 2);
    for (i, e) in entries.iter().enumerate() {
        for spec in &e.specs {
            if let Some(prev) = by_spec.insert(spec.as_ref(), i) {
                return Err(ParseError::at_line(
                    e.line,
                    format!(
                        "specifier `{spec}` is also the header of the entry at line {}",
                        entries[prev].line
                    ),
                ));
            }
        }
        lock.packages
            .push(read_package(e, path, &mut lock.warnings)?);
    }
    let mut edges = BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        for field in ["dependencies", "optionalDependencies"] {
            for dep in block(&e.fields, field, e.header)? {
                let Val::Scalar(range) = &dep.value else {
                    return Err(ParseError::at_line(
                        dep.line,
                        format!("dependency `{}` of `{}` is a block", dep.key, e.header),
                    ));
                };
                let spec = format!("{}@{range}", dep.key);
                match by_spec.get(spec.as_str()) {
                    Some(&to) if to != i => {
                        edges.insert((i, to));
                    }
                    Some(_) => {}
                    None => lock.warnings.push(format!(
                        "{path}:{}: dependency `{spec}` of `{}` has no entry in the lockfile",
                        dep.line, e.header
                    )),
                }
            }
        }
    }
    let mut has_dependents = vec![false; entries.len()];
    for &(_, to) in &edges {
        has_dependents[to] = true;
    }
    for (p, has) in lock.packages.iter_mut().zip(has_dependents) {
        p.direct = !has;
    }
    lock.edges = edges
        .into_iter()
        .map(|(from, to)| Edge { from, to })
        .collect();
    super::fill_dependencies(&mut lock);
    Ok(lock)
}

fn read_package(
    e: &RawEntry<'_>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<Package, ParseError> {
    // The name: the first specifier that is not an alias, else the alias target.
    let resolved_specs: Vec<(&str, &str)> =
        e.specs.iter().map(|s| real_name_and_range(s)).collect();
    let (name, range) = resolved_specs
        .iter()
        .zip(&e.specs)
        .find(|((real, _), spec)| split_descriptor(spec).0 == *real)
        .map_or(resolved_specs[0], |(r, _)| *r);
    if name.is_empty() {
        return Err(ParseError::at_line(
            e.line,
            format!("entry `{}` has no package name", e.header),
        ));
    }
    let version = scalar(&e.fields, "version", e.header)?.ok_or_else(|| {
        ParseError::at_line(e.line, format!("entry `{}` has no version", e.header))
    })?;
    let resolved = scalar(&e.fields, "resolved", e.header)?;
    let mut hashes: Vec<Hash> = Vec::new();
    let mut redact = |url: &str| -> String {
        let (clean, removed) = hosted::redact_userinfo(url);
        if removed {
            warnings.push(format!(
                "{path}:{}: entry `{}` records a URL with credentials; they were removed",
                e.line, e.header
            ));
        }
        clean.into_owned()
    };
    let wanted = classify_range(range);
    let origin = match resolved {
        None => match wanted {
            Wanted::Path(p) => Origin::Path { path: p.to_owned() },
            Wanted::Registry => Origin::registry(),
            Wanted::Other => {
                let (url, fragment) = hosted::split_fragment(range);
                if hosted::is_git_url(range)
                    || range.starts_with("github:")
                    || !range.contains("://")
                {
                    Origin::Git {
                        url: redact(url),
                        commit: None,
                        reference: fragment.map(str::to_owned),
                    }
                } else {
                    Origin::Url { url: redact(range) }
                }
            }
        },
        Some(r) => {
            let (url, fragment) = hosted::split_fragment(r);
            let requested = hosted::split_fragment(range).1.map(str::to_owned);
            if let Some(p) = r.strip_prefix("file:") {
                Origin::Path { path: p.to_owned() }
            } else if let Some((repo, commit)) = hosted::archive_commit(r) {
                let reference = requested.filter(|q| *q != commit);
                Origin::Git {
                    url: repo,
                    commit: Some(commit),
                    reference,
                }
            } else if hosted::is_git_url(r) {
                let commit = fragment.filter(|f| hosted::is_commit(f)).map(str::to_owned);
                let reference = requested.filter(|q| Some(q) != commit.as_ref());
                Origin::Git {
                    url: redact(url),
                    commit,
                    reference,
                }
            } else {
                if let Some(f) = fragment.filter(|f| f.len() == 40) {
                    let h = Hash::from_hex(HashAlgorithm::Sha1, f).map_err(|err| {
                        ParseError::at_line(
                            e.line,
                            format!("entry `{}`: resolved: {err}", e.header),
                        )
                    })?;
                    hashes.push(h);
                }
                match wanted {
                    Wanted::Registry => Origin::Registry {
                        url: Some(redact(url)),
                    },
                    Wanted::Path(p) => Origin::Path { path: p.to_owned() },
                    Wanted::Other if hosted::is_registry_tarball(url, name, version) => {
                        Origin::Registry {
                            url: Some(redact(url)),
                        }
                    }
                    Wanted::Other => Origin::Url { url: redact(url) },
                }
            }
        }
    };
    if let Some(integrity) = scalar(&e.fields, "integrity", e.header)? {
        crate::pnpm::sri::parse_into(integrity, &mut hashes).map_err(|err| {
            ParseError::at_line(e.line, format!("entry `{}`: integrity: {err}", e.header))
        })?;
    }
    let mut pkg = Package::new(Ecosystem::Npm, name, version, origin);
    for h in hashes {
        pkg.add_hash(h);
    }
    pkg.locations
        .push(Location::new(path, Some(e.line)).with_key(e.header));
    Ok(pkg)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_headers_with_several_specifiers() {
        let (specs, header) = read_header(
            r#""@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":"#,
            1,
        )
        .unwrap();
        assert_eq!(
            specs,
            ["@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4"]
        );
        assert_eq!(
            header,
            r#""@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4""#
        );
        let (specs, _) = read_header("minimist@0.0.8, \"minimist@ssh://x#0.0.8\":", 1).unwrap();
        assert_eq!(specs, ["minimist@0.0.8", "minimist@ssh://x#0.0.8"]);
        assert!(read_header("a@1 b@2:", 1).is_err());
        assert!(read_header("a@1", 1).is_err());
    }

    #[test]
    fn resolves_npm_aliases() {
        assert_eq!(
            real_name_and_range("string-width-cjs@npm:string-width@^4.2.0"),
            ("string-width", "^4.2.0")
        );
        assert_eq!(real_name_and_range("a@npm:@b/c@1"), ("@b/c", "1"));
        assert_eq!(real_name_and_range("a@npm:^1.0.0"), ("a", "^1.0.0"));
    }

    #[test]
    fn parses_a_small_lockfile_with_crlf_and_comments() {
        let text = "# yarn lockfile v1\r\n\r\n\"a@^1.0.0\", a@^1.1.0:\r\n  version \"1.2.0\" # note\r\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.2.0.tgz#da39a3ee5e6b4b0d3255bfef95601890afd80709\"\r\n  dependencies:\r\n    b \"^2\"\r\n\r\nb@^2:\r\n  version \"2.0.0\"\r\n";
        let lock = parse(text, "yarn.lock").unwrap();
        assert_eq!(lock.packages.len(), 2);
        assert_eq!(lock.packages[0].name, "a");
        assert_eq!(lock.packages[0].hashes[0].algorithm, HashAlgorithm::Sha1);
        assert_eq!(lock.packages[0].locations[0].line, Some(3));
        assert_eq!(lock.edges, vec![Edge { from: 0, to: 1 }]);
        assert!(lock.packages[0].direct);
        assert!(!lock.packages[1].direct);
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing_the_stack() {
        let mut text = String::from("a@1:\n");
        for i in 1..5_000 {
            text.push_str(&" ".repeat(2 * i));
            text.push_str("k:\n");
        }
        assert!(
            parse(&text, "yarn.lock")
                .unwrap_err()
                .message
                .contains("nested")
        );
    }

    #[test]
    fn refuses_malformed_input_with_the_line() {
        for (text, line) in [
            ("a@1:\n  version \"1\"\n   resolved \"x\"\n", 3),
            ("a@1:\n  version\n", 2),
            ("a@1:\n  version \"1\" extra\n", 2),
            ("a@1:\n  resolved \"x\"\n", 1),
            ("a@1:\n  version \"1\"\na@1:\n  version \"2\"\n", 3),
            ("a@1:\n  version \"unterminated\n", 2),
            ("  version \"1\"\n", 1),
            ("a@1:\n  version \"1\"\n  integrity sha512-!!!\n", 1),
        ] {
            let err = parse(text, "yarn.lock").unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
        }
    }
}
