//! Helpers shared by the npm-family readers of this crate that speak npm's own vocabulary
//! (`package-lock.json`, `bun.lock`, installed `node_modules`).
//!
//! - Borrowing wire primitives for serde_json: [`JStr`] (a string that borrows from the input
//!   when it has no escapes, so its byte offset, and hence its line, is known for free),
//!   [`Entries`] (an object kept in file order whose errors name the offending key) and
//!   [`NameList`] (the keys of a `dependencies`-like map, values ignored).
//! - [`origin_of`]: what a `resolved` URL or version specifier says about where a package comes
//!   from (registry tarball, git, plain URL, local path).
//! - [`merge_instances`]: npm lockfiles and trees list one entry per install path; the model
//!   has one [`Package`] per (name, version, origin) with a location per install path.
//! - [`resolve_node`]: node's module resolution over install paths.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::marker::PhantomData;

use chainward_types::{Edge, Hash, Origin, Package, ParseError, Scope};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON string that borrows from the input when it holds no escape sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JStr<'a>(pub(crate) Cow<'a, str>);

impl JStr<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JStr<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(JStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON object read in file order. A value that does not deserialize fails with a message
/// naming its key (serde_json then attaches the line and column).
#[derive(Debug)]
pub(crate) struct Entries<'a, T>(pub(crate) Vec<(JStr<'a>, T)>);

impl<T> Default for Entries<'_, T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Entries<'a, T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = Entries<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key::<JStr<'a>>()? {
                    match map.next_value::<T>() {
                        Ok(v) => out.push((key, v)),
                        Err(e) => {
                            // Keep the inner position in the text: serde_json attaches the
                            // outer one (after the enclosing object), which is less precise;
                            // `json_error` reads the innermost back.
                            return Err(de::Error::custom(format_args!(
                                "in \"{}\": {e}",
                                key.as_str()
                            )));
                        }
                    }
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// The names of a `dependencies`-like object (values ignored). Also accepts an array of names
/// (`bundleDependencies`, `optionalPeers`), and `true`/`false`/`null` as no names.
#[derive(Debug, Default)]
pub(crate) struct NameList<'a>(pub(crate) Vec<JStr<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for NameList<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = NameList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of dependency names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<JStr<'a>>()? {
                    map.next_value::<IgnoredAny>()?;
                    out.push(key);
                }
                Ok(NameList(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Lenient<JStr<'a>>>()? {
                    if let Lenient(Some(s)) = item {
                        out.push(s);
                    }
                }
                Ok(NameList(out))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(NameList(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(NameList(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl NameList<'_> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(JStr::as_str)
    }
}

/// A value of type `T`, or `None` when the JSON holds something else (which is skipped).
#[derive(Debug)]
pub(crate) struct Lenient<T>(pub(crate) Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only used for small leaf values (strings): try T through a probing seed.
        struct Probe<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Probe<T> {
            type Value = Option<T>;
            fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(AnyVisitor(PhantomData))
            }
        }
        struct AnyVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for AnyVisitor<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(T::deserialize(de::value::BorrowedStrDeserializer::<E>::new(v)).ok())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(T::deserialize(de::value::StrDeserializer::<E>::new(v)).ok())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(T::deserialize(de::value::StringDeserializer::<E>::new(v)).ok())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
        }
        Probe(PhantomData).deserialize(d).map(Lenient)
    }
}

/// A `lockfileVersion` as written: normally a small integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FormatVersion {
    #[default]
    Missing,
    Known(u64),
    /// Present but not a non-negative integer (a string, a float, ...).
    Odd,
}

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(match v {
            serde_json::Value::Null => Self::Missing,
            serde_json::Value::Number(n) => n.as_u64().map_or(Self::Odd, Self::Known),
            _ => Self::Odd,
        })
    }
}

/// Splits serde_json's " at line L column C" suffixes off a message: the text before the
/// first one, and the first (innermost) position.
pub(crate) fn split_position(msg: &str) -> (&str, Option<(u32, u32)>) {
    let mut from = 0;
    while let Some(i) = msg[from..].find(" at line ").map(|i| i + from) {
        let rest = &msg[i + " at line ".len()..];
        let line_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(col) = rest[line_len..].strip_prefix(" column ") {
            let col_len = col.bytes().take_while(u8::is_ascii_digit).count();
            if line_len > 0 && col_len > 0 {
                let line = rest[..line_len].parse().ok();
                let column = col[..col_len].parse().ok();
                return (&msg[..i], line.zip(column));
            }
        }
        from = i + 1;
    }
    (msg, None)
}

/// A serde_json error as a [`ParseError`] with its line and column (the innermost, where a
/// value nested in an [`Entries`] failed).
pub(crate) fn json_error(e: &serde_json::Error, what: &str) -> ParseError {
    let text = e.to_string();
    let (msg, inner) = split_position(&text);
    let msg = format!("{what}: {msg}");
    let outer = u32::try_from(e.line())
        .ok()
        .filter(|&l| l > 0)
        .map(|l| (l, u32::try_from(e.column()).unwrap_or(u32::MAX)));
    match inner.or(outer) {
        Some((line, column)) => ParseError::at(line, column.max(1), msg),
        None => ParseError::whole_file(msg),
    }
}

/// Lines of byte offsets that are mostly asked in increasing order (keys in file order):
/// counts newlines from the previous answer with memchr, so the whole file is scanned about
/// once and no line table is built.
#[derive(Debug)]
pub(crate) struct LineCounter<'t> {
    text: &'t [u8],
    pos: usize,
    line: u32,
}

impl<'t> LineCounter<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Self {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line holding byte `offset`.
    pub(crate) fn line_at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        let newlines = memchr::memchr_iter(b'\n', &self.text[self.pos..offset]).count();
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.pos = offset;
        self.line
    }

    /// The line of a key borrowed from the counted text (`None` for an escaped key, which
    /// serde_json had to copy).
    pub(crate) fn line_of(&mut self, key: &JStr<'_>) -> Option<u32> {
        let base = self.text;
        let start = base.as_ptr() as usize;
        match &key.0 {
            Cow::Borrowed(s) => {
                let at = s.as_ptr() as usize;
                (at >= start && at <= start + base.len()).then(|| self.line_at(at - start))
            }
            Cow::Owned(_) => None,
        }
    }
}

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(input: &str) -> &str {
    input.strip_prefix('\u{feff}').unwrap_or(input)
}

/// Splits `name@rest` where `name` may be scoped (`@scope/name@rest`).
pub(crate) fn split_name_at(ident: &str) -> Option<(&str, &str)> {
    let search_from = usize::from(ident.starts_with('@'));
    let at = ident.get(search_from..)?.find('@')? + search_from;
    let (name, rest) = (&ident[..at], &ident[at + 1..]);
    (!name.is_empty()).then_some((name, rest))
}

/// Byte index of the last `node_modules/` in `path`. (Called for every entry and every
/// resolution step: a backwards scan for `/` beats a general substring search here.)
pub(crate) fn rfind_node_modules(path: &str) -> Option<usize> {
    const NM: &[u8] = b"node_modules";
    let b = path.as_bytes();
    memchr::memrchr_iter(b'/', b).find_map(|slash| {
        let start = slash.checked_sub(NM.len())?;
        (&b[start..slash] == NM).then_some(start)
    })
}

/// True when `path` has a `node_modules/` segment (it starts with one or holds
/// `/node_modules/`).
pub(crate) fn has_node_modules_segment(path: &str) -> bool {
    let b = path.as_bytes();
    let mut end = b.len();
    while let Some(i) = rfind_node_modules(&path[..end]) {
        if i == 0 || b[i - 1] == b'/' {
            return true;
        }
        // `x_node_modules/`: keep looking before it.
        end = i + "node_modules".len();
    }
    false
}

/// The package name an install path ends with: `node_modules/@s/a` → `@s/a`,
/// `deps/etag` → `etag`.
pub(crate) fn name_from_path(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    let tail = match rfind_node_modules(path) {
        Some(i) => &path[i + "node_modules/".len()..],
        None => path,
    };
    // Within the tail keep `@scope/name`, else the last segment.
    let mut segs = tail.rsplitn(3, '/');
    let last = segs.next().unwrap_or(tail);
    match segs.next() {
        Some(scope) if scope.starts_with('@') => {
            let start = tail.len() - last.len() - scope.len() - 1;
            &tail[start..]
        }
        _ => last,
    }
}

/// Parses an SRI `integrity` string, reporting a malformed one as a warning.
pub(crate) fn add_integrity(
    pkg: &mut Package,
    integrity: &str,
    place: impl FnOnce() -> String,
    warnings: &mut Vec<String>,
) {
    if integrity.trim().is_empty() {
        return;
    }
    match Hash::from_sri(integrity) {
        Ok(hashes) => {
            for h in hashes {
                pkg.add_hash(h);
            }
        }
        Err(e) => warnings.push(format!("{}: integrity not recorded: {e}", place())),
    }
}

// --- where a package comes from -------------------------------------------------------------

const HOSTED: &[(&str, &str)] = &[
    ("github:", "https://github.com/"),
    ("gitlab:", "https://gitlab.com/"),
    ("bitbucket:", "https://bitbucket.org/"),
    ("gist:", "https://gist.github.com/"),
];

/// Hosts whose plain `https://` URLs with a `#fragment` name a git repository.
const GIT_HOSTS: &[&str] = &["github.com", "gitlab.com", "bitbucket.org"];

/// True for specifiers and URLs that name a git repository: git and ssh URLs, hosted
/// shorthands (`github:o/r`, and the bare `o/r#ref` npm ≤ 6 wrote), `https://...git#ref`,
/// `https://github.com/o/r#ref`, and GitHub's `codeload` tarballs of a commit.
pub(crate) fn is_git_spec(spec: &str) -> bool {
    if spec.starts_with("git+")
        || spec.starts_with("git://")
        || spec.starts_with("git@")
        || spec.starts_with("ssh://")
        || HOSTED.iter().any(|(p, _)| spec.starts_with(p))
    {
        return true;
    }
    if let Some(rest) = spec
        .strip_prefix("https://")
        .or_else(|| spec.strip_prefix("http://"))
    {
        let (before, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let host = before.split(['/', '?']).next().unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or(host);
        let path = before.split('?').next().unwrap_or("");
        return (!fragment.is_empty() && (path.ends_with(".git") || GIT_HOSTS.contains(&host)))
            || codeload_commit(spec).is_some();
    }
    // `owner/repo#ref`: GitHub's shorthand. No `:` (a URL or another protocol), one `/`.
    match spec.split_once('#') {
        Some((repo, _)) => {
            !repo.contains(':')
                && !repo.starts_with(['@', '.', '/'])
                && repo.split('/').count() == 2
                && repo.split('/').all(|s| !s.is_empty())
        }
        None => false,
    }
}

/// `https://codeload.github.com/<owner>/<repo>/tar.gz/<commit>` → (`owner/repo`, commit).
fn codeload_commit(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("https://codeload.github.com/")?;
    let (repo, commit) = rest.split_once("/tar.gz/")?;
    (repo.split('/').count() == 2 && !commit.is_empty() && !commit.contains('/'))
        .then_some((repo, commit))
}

/// True when a string looks like a commit id (7 to 64 hex digits).
pub(crate) fn looks_like_commit(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes credentials from a URL (`https://token@host/` → `https://host/`), keeping the
/// conventional `git@` user of ssh URLs.
pub(crate) fn strip_credentials(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let rest = &url[scheme_end + 3..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) if &rest[..at] != "git" => {
            Cow::Owned(format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]))
        }
        _ => Cow::Borrowed(url),
    }
}

/// A git origin from a specifier (`git+ssh://...#commit`, `github:owner/repo#commit`,
/// `owner/repo#commit`, a `codeload` tarball URL). The fragment (or its `commit=` part, or a
/// hosted URL's `?ref=`) is the commit when it looks like one, else the requested ref.
pub(crate) fn git_origin(spec: &str) -> Origin {
    if let Some((repo, commit)) = codeload_commit(spec) {
        let is_commit = looks_like_commit(commit);
        return Origin::Git {
            url: format!("https://github.com/{repo}.git"),
            commit: is_commit.then(|| commit.to_ascii_lowercase()),
            reference: (!is_commit).then(|| commit.to_owned()),
        };
    }
    let (url, mut fragment) = match spec.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (spec, None),
    };
    let hosted = HOSTED
        .iter()
        .find_map(|(p, base)| url.strip_prefix(p).map(|r| (r, *base)));
    let bare = !url.contains(':') && fragment.is_some();
    let url = match hosted.or(bare.then_some((url, "https://github.com/"))) {
        Some((path, base)) => {
            let path = path.trim_end_matches('/');
            if path.ends_with(".git") {
                format!("{base}{path}")
            } else {
                format!("{base}{path}.git")
            }
        }
        None => {
            // A hosted https URL may name its commit in `?ref=`.
            let (u, query) = url.split_once('?').unwrap_or((url, ""));
            if fragment.is_none() {
                fragment = query.split('&').find_map(|kv| kv.strip_prefix("ref="));
            }
            let u = strip_credentials(u);
            // `https://github.com/o/r#c` is the repository `https://github.com/o/r.git`.
            let host_url = u.strip_prefix("https://").and_then(|r| {
                let host = r.split('/').next()?;
                (GIT_HOSTS.contains(&host) && !r.ends_with(".git")).then(|| format!("{u}.git"))
            });
            host_url.unwrap_or_else(|| u.into_owned())
        }
    };
    // `#commit=<sha>` (yarn style) names the commit; `#semver:^1.0` is a range request.
    let fragment = fragment
        .map(|f| {
            f.strip_prefix("commit=")
                .or_else(|| f.strip_prefix("commit:"))
                .unwrap_or(f)
        })
        .filter(|f| !f.is_empty());
    let (commit, reference) = match fragment {
        Some(f) if looks_like_commit(f) => (Some(f.to_ascii_lowercase()), None),
        Some(f) => (None, Some(f.to_owned())),
        None => (None, None),
    };
    Origin::Git {
        url,
        commit,
        reference,
    }
}

/// True when `url` is `<registry>/<name>/-/<file>`, the layout of npm registry tarballs
/// (some registries escape a scope's slash as `%2f`).
fn is_registry_tarball(url: &str, name: &str) -> bool {
    let Some(dash) = url.find("/-/") else {
        return false;
    };
    let before = &url[..dash];
    if name.is_empty() {
        return true;
    }
    let ends_with_segment = |n: &str| {
        before.len() > n.len()
            && before.is_char_boundary(before.len() - n.len())
            && before[before.len() - n.len()..].eq_ignore_ascii_case(n)
            && before.as_bytes()[before.len() - n.len() - 1] == b'/'
    };
    if ends_with_segment(name) {
        return true;
    }
    match name.split_once('/') {
        Some((scope, rest)) => {
            let tail_len = scope.len() + 3 + rest.len();
            before.len() > tail_len
                && before.is_char_boundary(before.len() - tail_len)
                && before[before.len() - tail_len..]
                    .eq_ignore_ascii_case(&format!("{scope}%2f{rest}"))
        }
        None => false,
    }
}

/// Where a package comes from, from npm's `resolved` value (or a version specifier that is
/// not a version: `file:`, git, URL). `name` is the real package name.
pub(crate) fn origin_of(resolved: Option<&str>, name: &str) -> Origin {
    let Some(r) = resolved.map(str::trim).filter(|r| !r.is_empty()) else {
        return Origin::registry();
    };
    if let Some(path) = r.strip_prefix("file:") {
        return Origin::Path {
            path: path.to_owned(),
        };
    }
    let http = r.starts_with("https://") || r.starts_with("http://");
    // The common case first: a registry tarball (never a git URL: no fragment, no codeload).
    if http && !r.contains('#') && is_registry_tarball(r, name) {
        return Origin::Registry {
            url: Some(strip_credentials(r).into_owned()),
        };
    }
    if is_git_spec(r) {
        return git_origin(r);
    }
    if http {
        return Origin::Url {
            url: strip_credentials(r).into_owned(),
        };
    }
    Origin::Path { path: r.to_owned() }
}

// --- merging install paths into packages ----------------------------------------------------

/// The origin part of the key two occurrences share when they are the same package (as the
/// inventory merges: default-registry download URLs do not separate packages).
fn origin_key(p: &Package) -> (u8, &str) {
    match &p.origin {
        Origin::Path { path } => (1, path),
        Origin::Workspace { path } => (2, path),
        _ => (0, p.purl.split_once('?').map_or("", |(_, q)| q)),
    }
}

/// Merges occurrences (one per install path, each with one location) into packages.
///
/// Rules: a package is a production dependency when any occurrence is; otherwise its scopes
/// are the union of its occurrences' (npm's and osv-scalibr's rule: an occurrence that is
/// dev and another that is optional make it dev-or-optional). It is direct when any
/// occurrence is, bundled when every occurrence is. Edges between occurrences become edges
/// between packages (self-edges dropped, duplicates removed), and each package lists the purls
/// of its dependencies. Occurrences must have their final name, version and origin (their
/// purl is not recomputed).
pub(crate) fn merge_instances(
    instances: Vec<Package>,
    edges: &[(usize, usize)],
) -> (Vec<Package>, Vec<Edge>) {
    // Group occurrences while borrowing them, then move them.
    let mut group = Vec::with_capacity(instances.len());
    let mut firsts = 0usize;
    {
        let mut index: HashMap<(&str, &str, (u8, &str)), usize> =
            HashMap::with_capacity(instances.len());
        for p in &instances {
            // A nameless entry (the parsers warn about it) is no package.
            if p.name.is_empty() {
                group.push(usize::MAX);
                continue;
            }
            let key = (p.name.as_str(), p.version.as_str(), origin_key(p));
            let next = index.len();
            let g = *index.entry(key).or_insert(next);
            firsts = firsts.max(g + 1);
            group.push(g);
        }
    }
    let mut packages: Vec<Package> = Vec::with_capacity(firsts);
    for (inst, &g) in instances.into_iter().zip(&group) {
        if g == usize::MAX {
            continue;
        }
        if g == packages.len() {
            packages.push(inst);
            continue;
        }
        let into = &mut packages[g];
        into.scopes = merge_scopes(&into.scopes, &inst.scopes);
        into.direct |= inst.direct;
        into.bundled &= inst.bundled;
        for h in inst.hashes {
            into.add_hash(h);
        }
        into.groups.extend(inst.groups);
        into.locations.extend(inst.locations);
        if into.constraint.is_none() {
            into.constraint = inst.constraint;
        }
        if let (Origin::Registry { url: url @ None }, Origin::Registry { url: Some(u) }) =
            (&mut into.origin, inst.origin)
        {
            *url = Some(u);
            into.refresh_purl();
        }
    }
    let mut pairs: Vec<(usize, usize)> = edges
        .iter()
        .filter_map(|&(f, t)| Some((*group.get(f)?, *group.get(t)?)))
        .filter(|&(f, t)| f != t && f != usize::MAX && t != usize::MAX)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let out: Vec<Edge> = pairs
        .into_iter()
        .map(|(from, to)| Edge { from, to })
        .collect();
    for e in &out {
        if !packages[e.from].dependencies.contains(&packages[e.to].purl) {
            let purl = packages[e.to].purl.clone();
            packages[e.from].dependencies.push(purl);
        }
    }
    (packages, out)
}

/// Production wins; otherwise the union.
pub(crate) fn merge_scopes(a: &BTreeSet<Scope>, b: &BTreeSet<Scope>) -> BTreeSet<Scope> {
    if a.is_empty() || b.is_empty() {
        BTreeSet::new()
    } else {
        a.union(b).copied().collect()
    }
}

/// Node's module resolution over npm install paths: from the package installed at `from`
/// (`node_modules/a/node_modules/b`, `packages/x`, or `""` for the project), the install path
/// of `name` is the first existing `<dir>/node_modules/<name>` walking `dir` up from `from`.
/// `lookup` says whether an install path exists; `buf` is scratch space.
pub(crate) fn resolve_node<T: Copy>(
    from: &str,
    name: &str,
    buf: &mut String,
    lookup: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let mut dir = from.trim_end_matches('/');
    loop {
        buf.clear();
        if !dir.is_empty() {
            buf.push_str(dir);
            buf.push('/');
        }
        buf.push_str("node_modules/");
        buf.push_str(name);
        if let Some(found) = lookup(buf) {
            return Some(found);
        }
        if dir.is_empty() {
            return None;
        }
        // Up one package: drop the last `/node_modules/<name>` (a `<dir>/node_modules` folder
        // holds no packages of its own to look in); outside `node_modules`, one folder.
        dir = match rfind_node_modules(dir) {
            Some(0) => "",
            Some(i) if dir.as_bytes()[i - 1] == b'/' => &dir[..i - 1],
            _ => dir.rfind('/').map_or("", |i| &dir[..i]),
        };
    }
}

/// Matches a workspace glob (`packages/*`, `apps/**`, `./libs/x`) against a relative folder.
pub(crate) fn workspace_glob_matches(pattern: &str, path: &str) -> bool {
    fn norm(s: &str) -> Vec<&str> {
        s.split('/')
            .filter(|seg| !seg.is_empty() && *seg != ".")
            .collect()
    }
    fn segs_match(p: &[&str], s: &[&str]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((&"**", rest)) => (0..=s.len()).any(|i| segs_match(rest, &s[i..])),
            Some((first, rest)) => match s.split_first() {
                Some((seg, srest)) => {
                    seg_match(first.as_bytes(), seg.as_bytes()) && segs_match(rest, srest)
                }
                None => false,
            },
        }
    }
    fn seg_match(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| seg_match(rest, &s[i..])),
            Some((b'?', rest)) => !s.is_empty() && seg_match(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && seg_match(rest, &s[1..]),
        }
    }
    let p = norm(pattern);
    // Guard against pathological patterns: workspace globs are short.
    if p.len() > 32 || pattern.len() > 512 {
        return false;
    }
    segs_match(&p, &norm(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_scoped_and_plain_idents() {
        assert_eq!(
            split_name_at("@babel/core@7.0.0"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(split_name_at("a@github:x/y#1"), Some(("a", "github:x/y#1")));
        assert_eq!(split_name_at("@babel/core"), None);
        assert_eq!(split_name_at("@"), None);
        assert_eq!(split_name_at("@x"), None);
    }

    #[test]
    fn names_install_paths() {
        assert_eq!(name_from_path("node_modules/@s/a"), "@s/a");
        assert_eq!(name_from_path("node_modules/a/node_modules/b"), "b");
        assert_eq!(name_from_path("deps/etag"), "etag");
        assert_eq!(name_from_path("node_modules/a/node_modules/@s/b"), "@s/b");
        assert_eq!(name_from_path(""), "");
        assert!(has_node_modules_segment("node_modules/a"));
        assert!(has_node_modules_segment("packages/a/node_modules/b"));
        assert!(!has_node_modules_segment("packages/my_node_modules/b"));
        assert!(!has_node_modules_segment("deps/etag"));
    }

    #[test]
    fn classifies_resolved_values() {
        assert_eq!(
            origin_of(
                Some("https://registry.npmjs.org/@babel/core/-/core-7.0.0.tgz"),
                "@babel/core"
            ),
            Origin::Registry {
                url: Some("https://registry.npmjs.org/@babel/core/-/core-7.0.0.tgz".into())
            }
        );
        assert_eq!(
            origin_of(Some("https://npm.example.com/@s%2fa/-/a-1.0.0.tgz"), "@s/a").kind(),
            "registry"
        );
        assert_eq!(
            origin_of(Some("https://example.com/x.tgz"), "x"),
            Origin::Url {
                url: "https://example.com/x.tgz".into()
            }
        );
        assert_eq!(
            origin_of(Some("file:deps/x"), "x"),
            Origin::Path {
                path: "deps/x".into()
            }
        );
        assert_eq!(origin_of(None, "x"), Origin::registry());
        assert_eq!(
            origin_of(
                Some("git+ssh://git@github.com/a/b.git#0123456789abcdef0123456789abcdef01234567"),
                "b"
            ),
            Origin::Git {
                url: "git+ssh://git@github.com/a/b.git".into(),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                reference: None
            }
        );
    }

    #[test]
    fn expands_hosted_shorthands_and_strips_tokens() {
        assert_eq!(
            git_origin("github:a/b#main"),
            Origin::Git {
                url: "https://github.com/a/b.git".into(),
                commit: None,
                reference: Some("main".into())
            }
        );
        assert_eq!(
            git_origin("git+https://tok:en@github.com/a/b.git#abcdef1"),
            Origin::Git {
                url: "git+https://github.com/a/b.git".into(),
                commit: Some("abcdef1".into()),
                reference: None
            }
        );
        assert_eq!(
            strip_credentials("git+ssh://git@github.com/a"),
            "git+ssh://git@github.com/a"
        );
    }

    #[test]
    fn recognises_every_git_url_shape() {
        let c = "0123456789abcdef0123456789abcdef01234567";
        for spec in [
            format!("https://codeload.github.com/o/r/tar.gz/{c}"),
            format!("o/r#{c}"),
            format!("https://github.com/o/r#{c}"),
            format!("https://github.com/o/r.git#commit={c}"),
            format!("github:o/r#{c}"),
        ] {
            assert!(is_git_spec(&spec), "{spec}");
            let want = Origin::Git {
                url: "https://github.com/o/r.git".to_owned(),
                commit: Some(c.into()),
                reference: None,
            };
            assert_eq!(git_origin(&spec), want, "{spec}");
        }
        assert!(is_git_spec("https://example.com/x/y.git#main"));
        assert!(!is_git_spec("https://example.com/x.tgz"));
        assert!(!is_git_spec("https://registry.npmjs.org/a/-/a-1.0.0.tgz"));
        assert!(!is_git_spec("1.2.3"));
        assert!(!is_git_spec("@s/a#x"));
        assert!(!is_git_spec("file:a/b#c"));
    }

    #[test]
    fn resolves_like_node() {
        let keys = [
            "node_modules/x",
            "node_modules/a/node_modules/x",
            "packages/p/node_modules/y",
        ];
        let look = |k: &str| keys.iter().position(|c| *c == k);
        let mut buf = String::new();
        assert_eq!(resolve_node("node_modules/a", "x", &mut buf, look), Some(1));
        assert_eq!(
            resolve_node("node_modules/a/node_modules/b", "x", &mut buf, look),
            Some(1)
        );
        assert_eq!(resolve_node("node_modules/b", "x", &mut buf, look), Some(0));
        assert_eq!(resolve_node("", "x", &mut buf, look), Some(0));
        assert_eq!(resolve_node("packages/p", "y", &mut buf, look), Some(2));
        assert_eq!(resolve_node("packages/q", "y", &mut buf, look), None);
    }

    #[test]
    fn matches_workspace_globs() {
        assert!(workspace_glob_matches("packages/*", "packages/a"));
        assert!(workspace_glob_matches("./packages/*/", "packages/a"));
        assert!(!workspace_glob_matches("packages/*", "packages/a/b"));
        assert!(workspace_glob_matches("packages/**", "packages/a/b"));
        assert!(workspace_glob_matches("apps/web", "apps/web"));
        assert!(workspace_glob_matches("pkg-*", "pkg-one"));
        assert!(!workspace_glob_matches("pkg-*", "lib-one"));
    }

    #[test]
    fn splits_serde_positions_keeping_the_innermost() {
        assert_eq!(
            split_position("EOF while parsing at line 3 column 4"),
            ("EOF while parsing", Some((3, 4)))
        );
        assert_eq!(
            split_position("in \"a\": bad at line 4 column 2 at line 9 column 1"),
            ("in \"a\": bad", Some((4, 2)))
        );
        assert_eq!(split_position("plain at line x"), ("plain at line x", None));
    }
}
