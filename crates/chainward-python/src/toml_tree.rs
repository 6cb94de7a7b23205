//! A small, fast TOML reader for lockfiles: a borrowed value tree with the byte offset of
//! every value.
//!
//! Why: the `toml` crate reads a 1.5 MB `uv.lock` in about 35 ms; this reader takes a few
//! milliseconds, since lockfile strings rarely have escapes and can be borrowed. It is an
//! optimisation only: whatever it does not accept (rare syntax it leaves out, such as hex
//! integers, and every error) is handed to the `toml` crate, whose tree is converted to the
//! same shape and whose errors are the ones reported. A property test checks that whenever
//! this reader accepts an input, the `toml` crate accepts it too and gives the same tree.

use std::borrow::Cow;
use std::cell::Cell;

use chainward_types::{LineIndex, ParseError};

use crate::common::toml_error;

/// A value and the byte offset where it starts in the input.
#[derive(Debug, Clone)]
pub(crate) struct Item<'a> {
    pub(crate) value: Value<'a>,
    pub(crate) start: usize,
}

impl PartialEq for Item<'_> {
    /// Items are equal when their values are (where a table starts is not compared).
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// A TOML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    String(Cow<'a, str>),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// A date, time or date-time (lockfiles' timestamps are not needed, so not kept).
    Datetime,
    Array(Vec<Item<'a>>),
    Table(Table<'a>),
}

/// How a table came to exist (TOML forbids defining one twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Created as a parent of a header (`[a.b]` creates `a`); may be defined later.
    Implicit,
    /// Defined by a header.
    Explicit,
    /// Created by a dotted key (`a.b = 1` creates `a`).
    Dotted,
    /// An inline table `{ ... }`: closed.
    Inline,
    /// Created by a dotted key inside an inline table: closed with it.
    InlineDotted,
}

/// A table: entries in file order (lookups are linear; lockfile tables are small).
#[derive(Debug, Clone)]
pub(crate) struct Table<'a> {
    pub(crate) entries: Vec<(Cow<'a, str>, Item<'a>)>,
    kind: Kind,
    /// For arrays of tables: marks an array built by `[[...]]` headers.
    array_of_tables: Vec<usize>,
}

impl PartialEq for Table<'_> {
    /// Tables are equal when they have the same keys and values, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|o| o == v))
    }
}

impl<'a> Table<'a> {
    fn new(kind: Kind) -> Self {
        Self {
            entries: Vec::new(),
            kind,
            array_of_tables: Vec::new(),
        }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Item<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }
}

impl<'a> Value<'a> {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime => "a datetime",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Parses a TOML document. `what` names the format in error messages.
pub(crate) fn parse<'a>(input: &'a str, what: &str) -> Result<Table<'a>, ParseError> {
    match Parser::new(input).document() {
        Ok(t) => Ok(t),
        Err(_) => parse_with_toml_crate(input, what),
    }
}

/// The `toml` crate's reading of the document, in this module's shape.
pub(crate) fn parse_with_toml_crate<'a>(
    input: &'a str,
    what: &str,
) -> Result<Table<'a>, ParseError> {
    let doc = toml::de::DeTable::parse(input).map_err(|e| toml_error(&e, input, what))?;
    Ok(convert_table(doc.into_inner(), Kind::Explicit))
}

fn convert_table<'a>(t: toml::de::DeTable<'a>, kind: Kind) -> Table<'a> {
    let mut out = Table::new(kind);
    for (k, v) in t {
        let start = v.span().start;
        out.entries.push((
            k.into_inner(),
            Item {
                value: convert_value(v.into_inner()),
                start,
            },
        ));
    }
    out
}

fn convert_value(v: toml::de::DeValue<'_>) -> Value<'_> {
    use toml::de::DeValue;
    match v {
        DeValue::String(s) => Value::String(s),
        DeValue::Integer(i) => {
            Value::Integer(i64::from_str_radix(i.as_str(), i.radix()).unwrap_or(0))
        }
        DeValue::Float(f) => {
            Value::Float(parse_float(&f.as_str().replace('_', "")).unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(_) => Value::Datetime,
        DeValue::Array(a) => Value::Array(
            a.into_iter()
                .map(|v| {
                    let start = v.span().start;
                    Item {
                        value: convert_value(v.into_inner()),
                        start,
                    }
                })
                .collect(),
        ),
        DeValue::Table(t) => Value::Table(convert_table(t, Kind::Explicit)),
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Typed access to a document's values, with errors at their line and column.
pub(crate) struct Doc<'i> {
    input: &'i str,
    /// The last offset asked for and its line: lines are asked for in file order, so
    /// counting newlines from there is cheaper than indexing every line.
    cursor: Cell<(usize, u32)>,
}

impl<'i> Doc<'i> {
    pub(crate) fn new(input: &'i str) -> Self {
        Self {
            input,
            cursor: Cell::new((0, 1)),
        }
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line(&self, start: usize) -> u32 {
        let start = start.min(self.input.len());
        let (mut from, mut line) = self.cursor.get();
        if start < from {
            (from, line) = (0, 1);
        }
        let newlines = memchr::memchr_iter(b'\n', &self.input.as_bytes()[from..start]).count();
        let line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.cursor.set((start, line));
        line
    }

    /// An error at the value starting at `start`.
    pub(crate) fn error_at(&self, start: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = LineIndex::new(self.input).line_col(start.min(self.input.len()));
        ParseError::at(line, column, message)
    }

    fn type_error(&self, item: &Item<'_>, what: &str, expected: &str) -> ParseError {
        self.error_at(
            item.start,
            format!(
                "`{what}` must be {expected}, found {}",
                item.value.type_name()
            ),
        )
    }

    /// The string `item`, named `what` in errors.
    pub(crate) fn as_str<'t>(&self, item: &'t Item<'_>, what: &str) -> Result<&'t str, ParseError> {
        item.value
            .as_str()
            .ok_or_else(|| self.type_error(item, what, "a string"))
    }

    /// The table `item`.
    pub(crate) fn as_table<'t, 'a>(
        &self,
        item: &'t Item<'a>,
        what: &str,
    ) -> Result<&'t Table<'a>, ParseError> {
        match &item.value {
            Value::Table(t) => Ok(t),
            _ => Err(self.type_error(item, what, "a table")),
        }
    }

    /// The array `item`.
    pub(crate) fn as_array<'t, 'a>(
        &self,
        item: &'t Item<'a>,
        what: &str,
    ) -> Result<&'t [Item<'a>], ParseError> {
        match &item.value {
            Value::Array(a) => Ok(a),
            _ => Err(self.type_error(item, what, "an array")),
        }
    }

    /// `table.key` as a string, if present.
    pub(crate) fn str<'t>(
        &self,
        table: &'t Table<'_>,
        key: &str,
    ) -> Result<Option<&'t str>, ParseError> {
        table.get(key).map(|i| self.as_str(i, key)).transpose()
    }

    /// `table.key` as a boolean, if present.
    pub(crate) fn bool(&self, table: &Table<'_>, key: &str) -> Result<Option<bool>, ParseError> {
        match table.get(key) {
            None => Ok(None),
            Some(Item {
                value: Value::Boolean(b),
                ..
            }) => Ok(Some(*b)),
            Some(i) => Err(self.type_error(i, key, "a boolean")),
        }
    }

    /// `table.key` as an array; empty when absent.
    pub(crate) fn array<'t, 'a>(
        &self,
        table: &'t Table<'a>,
        key: &str,
    ) -> Result<&'t [Item<'a>], ParseError> {
        table.get(key).map_or(Ok(&[]), |i| self.as_array(i, key))
    }

    /// `table.key` as a table, if present.
    pub(crate) fn table<'t, 'a>(
        &self,
        table: &'t Table<'a>,
        key: &str,
    ) -> Result<Option<&'t Table<'a>>, ParseError> {
        table.get(key).map(|i| self.as_table(i, key)).transpose()
    }

    /// `table.key` as an array of strings; empty when absent.
    pub(crate) fn strings<'t>(
        &self,
        table: &'t Table<'_>,
        key: &str,
    ) -> Result<Vec<&'t str>, ParseError> {
        self.array(table, key)?
            .iter()
            .map(|i| self.as_str(i, key))
            .collect()
    }
}

/// A dotted key; most keys have one part, which needs no allocation.
#[derive(Debug, Default)]
struct Keys<'a> {
    first: Option<Cow<'a, str>>,
    rest: Vec<Cow<'a, str>>,
}

impl<'a> Keys<'a> {
    fn push(&mut self, key: Cow<'a, str>) {
        if self.first.is_none() {
            self.first = Some(key);
        } else {
            self.rest.push(key);
        }
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Cow<'a, str>> {
        self.first.iter().chain(&self.rest)
    }

    fn into_iter(self) -> impl Iterator<Item = Cow<'a, str>> {
        self.first.into_iter().chain(self.rest)
    }
}

/// Why the fast reader gave up (the `toml` crate then decides).
#[derive(Debug)]
struct Unsupported;

type Res<T> = Result<T, Unsupported>;

/// One step from a table to a child table: an entry, and for arrays of tables the element.
#[derive(Debug, Clone, Copy)]
struct Step {
    entry: usize,
    element: Option<usize>,
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s,
            b: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment: `#` to the end of the line (control characters refused).
    fn skip_comment(&mut self) -> Res<()> {
        if self.peek() == Some(b'#') {
            while let Some(c) = self.peek() {
                if c == b'\n' || c == b'\r' {
                    break;
                }
                if c < 0x20 && c != b'\t' || c == 0x7f {
                    return Err(Unsupported);
                }
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// A newline (`\n` or `\r\n`); `false` when there is none.
    fn newline(&mut self) -> Res<bool> {
        match self.peek() {
            Some(b'\n') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'\r') => {
                if self.b.get(self.pos + 1) == Some(&b'\n') {
                    self.pos += 2;
                    Ok(true)
                } else {
                    Err(Unsupported)
                }
            }
            _ => Ok(false),
        }
    }

    /// Whitespace, comments and newlines (inside arrays and inline tables).
    fn skip_trivia(&mut self) -> Res<()> {
        loop {
            self.skip_ws();
            self.skip_comment()?;
            if !self.newline()? {
                return Ok(());
            }
        }
    }

    /// The end of a line: whitespace, an optional comment, then a newline or the end.
    fn end_of_line(&mut self) -> Res<()> {
        self.skip_ws();
        self.skip_comment()?;
        if self.pos == self.b.len() || self.newline()? {
            Ok(())
        } else {
            Err(Unsupported)
        }
    }

    fn document(mut self) -> Res<Table<'a>> {
        if self.s.starts_with('\u{feff}') {
            self.pos = 3;
        }
        let mut root = Table::new(Kind::Explicit);
        let mut current: Vec<Step> = Vec::new();
        loop {
            self.skip_ws();
            self.skip_comment()?;
            if self.newline()? {
                continue;
            }
            match self.peek() {
                None => return Ok(root),
                Some(b'[') => {
                    let header = self.pos;
                    let array = self.b.get(self.pos + 1) == Some(&b'[');
                    self.pos += if array { 2 } else { 1 };
                    self.skip_ws();
                    let keys = self.key_path()?;
                    if array {
                        if !self.s[self.pos..].starts_with("]]") {
                            return Err(Unsupported);
                        }
                        self.pos += 2;
                    } else {
                        if self.peek() != Some(b']') {
                            return Err(Unsupported);
                        }
                        self.pos += 1;
                    }
                    self.end_of_line()?;
                    current = define_table(&mut root, &keys, array, header)?;
                }
                Some(_) => {
                    let keys = self.key_path()?;
                    if self.peek() != Some(b'=') {
                        return Err(Unsupported);
                    }
                    self.pos += 1;
                    self.skip_ws();
                    let item = self.value(0)?;
                    self.end_of_line()?;
                    let table = table_at(&mut root, &current)?;
                    insert_dotted(table, keys, item, Kind::Dotted)?;
                }
            }
        }
    }

    /// `a.b."c"`, with whitespace around the dots; leaves the cursor after trailing spaces.
    fn key_path(&mut self) -> Res<Keys<'a>> {
        let mut keys = Keys::default();
        loop {
            self.skip_ws();
            let key = match self.peek() {
                Some(b'"') => {
                    if self.s[self.pos..].starts_with("\"\"\"") {
                        return Err(Unsupported);
                    }
                    self.basic_string()?
                }
                Some(b'\'') => {
                    if self.s[self.pos..].starts_with("'''") {
                        return Err(Unsupported);
                    }
                    self.literal_string()?
                }
                _ => {
                    let start = self.pos;
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                    {
                        self.pos += 1;
                    }
                    if start == self.pos {
                        return Err(Unsupported);
                    }
                    Cow::Borrowed(&self.s[start..self.pos])
                }
            };
            keys.push(key);
            self.skip_ws();
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                return Ok(keys);
            }
        }
    }

    fn value(&mut self, depth: usize) -> Res<Item<'a>> {
        if depth > 64 {
            return Err(Unsupported);
        }
        let start = self.pos;
        let value = match self.peek().ok_or(Unsupported)? {
            b'"' => {
                if self.s[self.pos..].starts_with("\"\"\"") {
                    Value::String(self.multiline_basic_string()?)
                } else {
                    Value::String(self.basic_string()?)
                }
            }
            b'\'' => {
                if self.s[self.pos..].starts_with("'''") {
                    Value::String(self.multiline_literal_string()?)
                } else {
                    Value::String(self.literal_string()?)
                }
            }
            b'[' => Value::Array(self.array(depth)?),
            b'{' => Value::Table(self.inline_table(depth)?),
            b't' if self.s[self.pos..].starts_with("true") => {
                self.pos += 4;
                Value::Boolean(true)
            }
            b'f' if self.s[self.pos..].starts_with("false") => {
                self.pos += 5;
                Value::Boolean(false)
            }
            _ => self.number_or_datetime()?,
        };
        // A value is followed by a delimiter, never glued to more text.
        if self
            .peek()
            .is_some_and(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b'#'))
        {
            return Err(Unsupported);
        }
        Ok(Item { value, start })
    }

    fn array(&mut self, depth: usize) -> Res<Vec<Item<'a>>> {
        self.pos += 1; // [
        let mut out = Vec::new();
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(out);
            }
            out.push(self.value(depth + 1)?);
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(Unsupported),
            }
        }
    }

    /// `{ a = 1, b.c = "x" }` (TOML 1.1: newlines and a trailing comma allowed).
    fn inline_table(&mut self, depth: usize) -> Res<Table<'a>> {
        self.pos += 1; // {
        let mut table = Table::new(Kind::Inline);
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(table);
            }
            let keys = self.key_path()?;
            if self.peek() != Some(b'=') {
                return Err(Unsupported);
            }
            self.pos += 1;
            self.skip_ws();
            let item = self.value(depth + 1)?;
            insert_dotted(&mut table, keys, item, Kind::InlineDotted)?;
            self.skip_trivia()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(table);
                }
                _ => return Err(Unsupported),
            }
        }
    }

    /// `"..."` with escapes; borrowed when it has none.
    fn basic_string(&mut self) -> Res<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        let end = start + memchr::memchr2(b'"', b'\\', &self.b[start..]).ok_or(Unsupported)?;
        if has_control(&self.b[start..end]) {
            return Err(Unsupported);
        }
        self.pos = end;
        if self.b[end] == b'"' {
            self.pos += 1;
            return Ok(Cow::Borrowed(&self.s[start..end]));
        }
        let mut out = String::from(&self.s[start..self.pos]);
        loop {
            match self.peek().ok_or(Unsupported)? {
                b'"' => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                c if c < 0x20 && c != b'\t' || c == 0x7f => return Err(Unsupported),
                _ => {
                    let ch = self.s[self.pos..].chars().next().ok_or(Unsupported)?;
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    /// One escape after `\` (the common ones; others are left to the `toml` crate).
    fn escape(&mut self, out: &mut String) -> Res<()> {
        let c = self.peek().ok_or(Unsupported)?;
        self.pos += 1;
        match c {
            b'b' => out.push('\u{8}'),
            b't' => out.push('\t'),
            b'n' => out.push('\n'),
            b'f' => out.push('\u{c}'),
            b'r' => out.push('\r'),
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'u' | b'U' => {
                let len = if c == b'u' { 4 } else { 8 };
                let hex = self.s.get(self.pos..self.pos + len).ok_or(Unsupported)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Unsupported);
                }
                let code = u32::from_str_radix(hex, 16).map_err(|_| Unsupported)?;
                out.push(char::from_u32(code).ok_or(Unsupported)?);
                self.pos += len;
            }
            _ => return Err(Unsupported),
        }
        Ok(())
    }

    fn literal_string(&mut self) -> Res<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        let end = start + memchr::memchr(b'\'', &self.b[start..]).ok_or(Unsupported)?;
        if has_control(&self.b[start..end]) {
            return Err(Unsupported);
        }
        self.pos = end + 1;
        Ok(Cow::Borrowed(&self.s[start..end]))
    }

    /// `"""..."""`: a newline right after the opening quotes is dropped, `\` at the end of a
    /// line trims the following whitespace.
    fn multiline_basic_string(&mut self) -> Res<Cow<'a, str>> {
        self.pos += 3;
        self.newline()?;
        let mut out = String::new();
        loop {
            if self.s[self.pos..].starts_with("\"\"\"") {
                // Up to two more quotes belong to the content.
                let mut quotes = 3;
                while quotes < 5 && self.b.get(self.pos + quotes) == Some(&b'"') {
                    quotes += 1;
                }
                for _ in 3..quotes {
                    out.push('"');
                }
                self.pos += quotes;
                return Ok(Cow::Owned(out));
            }
            match self.peek().ok_or(Unsupported)? {
                b'\\' => {
                    self.pos += 1;
                    // A line-ending backslash.
                    let save = self.pos;
                    self.skip_ws();
                    if self.newline()? {
                        loop {
                            self.skip_ws();
                            if !self.newline()? {
                                break;
                            }
                        }
                    } else {
                        self.pos = save;
                        self.escape(&mut out)?;
                    }
                }
                b'\r' => {
                    if !self.newline()? {
                        return Err(Unsupported);
                    }
                    out.push('\n');
                }
                c if c < 0x20 && !matches!(c, b'\t' | b'\n') || c == 0x7f => {
                    return Err(Unsupported);
                }
                _ => {
                    let ch = self.s[self.pos..].chars().next().ok_or(Unsupported)?;
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    fn multiline_literal_string(&mut self) -> Res<Cow<'a, str>> {
        self.pos += 3;
        self.newline()?;
        let mut out = String::new();
        loop {
            if self.s[self.pos..].starts_with("'''") {
                let mut quotes = 3;
                while quotes < 5 && self.b.get(self.pos + quotes) == Some(&b'\'') {
                    quotes += 1;
                }
                for _ in 3..quotes {
                    out.push('\'');
                }
                self.pos += quotes;
                return Ok(Cow::Owned(out));
            }
            match self.peek().ok_or(Unsupported)? {
                b'\r' => {
                    if !self.newline()? {
                        return Err(Unsupported);
                    }
                    out.push('\n');
                }
                c if c < 0x20 && !matches!(c, b'\t' | b'\n') || c == 0x7f => {
                    return Err(Unsupported);
                }
                _ => {
                    let ch = self.s[self.pos..].chars().next().ok_or(Unsupported)?;
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    /// Decimal integers and floats, and RFC 3339 dates and times; anything else (hex, octal,
    /// binary, `inf`, `nan`) is left to the `toml` crate.
    fn number_or_datetime(&mut self) -> Res<Value<'a>> {
        let start = self.pos;
        while self.peek().is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'-' | b'.' | b':')
        }) {
            self.pos += 1;
        }
        // A date and a time separated by one space.
        let mut token = &self.s[start..self.pos];
        if is_date(token)
            && self.peek() == Some(b' ')
            && self.b.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
        {
            let save = self.pos;
            self.pos += 1;
            while self.peek().is_some_and(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b':')
            }) {
                self.pos += 1;
            }
            if is_datetime(&self.s[start..self.pos]) {
                token = &self.s[start..self.pos];
            } else {
                self.pos = save;
            }
        }
        if is_datetime(token) {
            return Ok(Value::Datetime);
        }
        if let Some(i) = decimal_integer(token) {
            return Ok(Value::Integer(i));
        }
        if let Some(f) = decimal_float(token) {
            return Ok(Value::Float(f));
        }
        Err(Unsupported)
    }
}

/// True when the bytes hold a control character TOML refuses in strings (tab is allowed).
/// Written without early exit so that it vectorises.
fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |acc, &c| {
        acc | (c < 0x20 && c != b'\t') | (c == 0x7f)
    })
}

/// Checks `_` placement in a digit run: between digits only.
fn digits_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

fn decimal_integer(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if !digits_ok(digits) || digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    token.replace('_', "").parse().ok()
}

fn decimal_float(token: &str) -> Option<f64> {
    let body = token.strip_prefix(['+', '-']).unwrap_or(token);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    if !digits_ok(int) || int.len() > 1 && int.starts_with('0') {
        return None;
    }
    if frac.is_some_and(|f| !digits_ok(f)) {
        return None;
    }
    if let Some(e) = exponent
        && !digits_ok(e.strip_prefix(['+', '-']).unwrap_or(e))
    {
        return None;
    }
    if frac.is_none() && exponent.is_none() {
        return None;
    }
    let value: f64 = token.replace('_', "").parse().ok()?;
    value.is_finite().then_some(value)
}

fn n(s: &str, range: std::ops::RangeInclusive<u32>) -> bool {
    s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u32>().is_ok_and(|v| range.contains(&v))
}

/// `YYYY-MM-DD` (the day is not checked against the month).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && n(&s[..4], 0..=9999)
        && n(&s[5..7], 1..=12)
        && n(&s[8..10], 1..=31)
}

/// `HH:MM:SS(.frac)?`.
fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    if !(n(&s[..2], 0..=23) && n(&s[3..5], 0..=59) && n(&s[6..8], 0..=60)) {
        return false;
    }
    match s[8..].strip_prefix('.') {
        Some(frac) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        None => s.len() == 8,
    }
}

/// An RFC 3339 date, time, local date-time or offset date-time, as TOML writes them.
fn is_datetime(s: &str) -> bool {
    if is_time(s) {
        return true;
    }
    if s.len() < 10 || !s.is_char_boundary(10) || !is_date(&s[..10]) {
        return false;
    }
    let rest = &s[10..];
    if rest.is_empty() {
        return true;
    }
    let Some(time) = rest.strip_prefix(['T', 't', ' ']) else {
        return false;
    };
    let (time, offset) = if let Some(t) = time.strip_suffix(['Z', 'z']) {
        (t, None)
    } else if time.len() > 6
        && time.is_char_boundary(time.len() - 6)
        && matches!(time.as_bytes()[time.len() - 6], b'+' | b'-')
    {
        (&time[..time.len() - 6], Some(&time[time.len() - 6..]))
    } else {
        (time, None)
    };
    if let Some(off) = offset {
        let ob = off.as_bytes();
        if ob[3] != b':' || !n(&off[1..3], 0..=23) || !n(&off[4..6], 0..=59) {
            return false;
        }
    }
    is_time(time)
}

/// The table `path` leads to from `root`.
fn table_at<'t, 'a>(root: &'t mut Table<'a>, path: &[Step]) -> Res<&'t mut Table<'a>> {
    let mut t = root;
    for step in path {
        let item = &mut t.entries.get_mut(step.entry).ok_or(Unsupported)?.1;
        t = match (&mut item.value, step.element) {
            (Value::Table(child), None) => child,
            (Value::Array(items), Some(i)) => match items.get_mut(i).map(|it| &mut it.value) {
                Some(Value::Table(child)) => child,
                _ => return Err(Unsupported),
            },
            _ => return Err(Unsupported),
        };
    }
    Ok(t)
}

/// Handles a `[a.b]` or `[[a.b]]` header: returns the path to the table it opens.
fn define_table<'a>(
    root: &mut Table<'a>,
    keys: &Keys<'a>,
    array: bool,
    start: usize,
) -> Res<Vec<Step>> {
    let mut path = Vec::with_capacity(keys.len());
    let last = keys.iter().last().ok_or(Unsupported)?;
    for key in keys.iter().take(keys.len() - 1) {
        let t = table_at(root, &path)?;
        let idx = match t.position(key) {
            Some(i) => i,
            None => {
                t.entries.push((
                    key.clone(),
                    Item {
                        value: Value::Table(Table::new(Kind::Implicit)),
                        start,
                    },
                ));
                t.entries.len() - 1
            }
        };
        let is_aot = t.array_of_tables.contains(&idx);
        let step = match &t.entries[idx].1.value {
            Value::Table(child) if !matches!(child.kind, Kind::Inline | Kind::InlineDotted) => {
                Step {
                    entry: idx,
                    element: None,
                }
            }
            Value::Array(items) if is_aot && !items.is_empty() => Step {
                entry: idx,
                element: Some(items.len() - 1),
            },
            _ => return Err(Unsupported),
        };
        path.push(step);
    }
    let t = table_at(root, &path)?;
    match t.position(last) {
        None => {
            let value = if array {
                Value::Array(vec![Item {
                    value: Value::Table(Table::new(Kind::Explicit)),
                    start,
                }])
            } else {
                Value::Table(Table::new(Kind::Explicit))
            };
            t.entries.push((last.clone(), Item { value, start }));
            let idx = t.entries.len() - 1;
            if array {
                t.array_of_tables.push(idx);
            }
            path.push(Step {
                entry: idx,
                element: array.then_some(0),
            });
        }
        Some(idx) => {
            let is_aot = t.array_of_tables.contains(&idx);
            match (&mut t.entries[idx].1.value, array) {
                (Value::Array(items), true) if is_aot => {
                    items.push(Item {
                        value: Value::Table(Table::new(Kind::Explicit)),
                        start,
                    });
                    path.push(Step {
                        entry: idx,
                        element: Some(items.len() - 1),
                    });
                }
                (Value::Table(child), false) if child.kind == Kind::Implicit => {
                    child.kind = Kind::Explicit;
                    t.entries[idx].1.start = start;
                    path.push(Step {
                        entry: idx,
                        element: None,
                    });
                }
                _ => return Err(Unsupported),
            }
        }
    }
    Ok(path)
}

/// Inserts `a.b.c = value` into `table`, creating the dotted parents with `kind`.
fn insert_dotted<'a>(table: &mut Table<'a>, keys: Keys<'a>, item: Item<'a>, kind: Kind) -> Res<()> {
    if keys.rest.is_empty() {
        let key = keys.first.ok_or(Unsupported)?;
        if table.position(&key).is_some() {
            return Err(Unsupported);
        }
        table.entries.push((key, item));
        return Ok(());
    }
    let mut t = table;
    let n = keys.len();
    for (i, key) in keys.into_iter().enumerate() {
        if i + 1 == n {
            if t.position(&key).is_some() {
                return Err(Unsupported);
            }
            t.entries.push((key, item));
            return Ok(());
        }
        let idx = match t.position(&key) {
            Some(idx) => idx,
            None => {
                t.entries.push((
                    key,
                    Item {
                        value: Value::Table(Table::new(kind)),
                        start: item.start,
                    },
                ));
                t.entries.len() - 1
            }
        };
        t = match &mut t.entries[idx].1.value {
            Value::Table(child) if child.kind == kind => child,
            _ => return Err(Unsupported),
        };
    }
    Err(Unsupported)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both readers agree: when the fast one accepts, the `toml` crate does and gives the
    /// same tree (starts included).
    fn agree(input: &str) -> Result<(), String> {
        let fast = Parser::new(input).document();
        let slow = parse_with_toml_crate(input, "test");
        match (fast, slow) {
            (Ok(f), Ok(s)) => {
                if f == s && same_starts(&f, &s) {
                    Ok(())
                } else {
                    Err(format!("trees differ for {input:?}:\n{f:#?}\n{s:#?}"))
                }
            }
            (Ok(f), Err(e)) => Err(format!(
                "fast reader accepted what toml refuses ({e}): {input:?} → {f:#?}"
            )),
            (Err(_), _) => Ok(()),
        }
    }

    fn same_starts(a: &Table<'_>, b: &Table<'_>) -> bool {
        a.entries
            .iter()
            .all(|(k, va)| b.get(k).is_some_and(|vb| same_item_starts(va, vb)))
    }

    fn same_item_starts(a: &Item<'_>, b: &Item<'_>) -> bool {
        match (&a.value, &b.value) {
            (Value::Table(x), Value::Table(y)) => same_starts(x, y),
            (Value::Array(x), Value::Array(y)) => {
                x.iter().zip(y).all(|(p, q)| same_item_starts(p, q))
            }
            _ => a.start == b.start,
        }
    }

    #[test]
    fn agrees_with_the_toml_crate_on_lockfile_shapes() {
        let cases = [
            "version = 1\nrevision = 3\n[[package]]\nname = \"a\"\nsource = { registry = \"https://pypi.org/simple\" }\nwheels = [\n    { url = \"u\", hash = \"sha256:x\", size = 1, upload-time = \"2024-01-01T00:00:00Z\" },\n]\n",
            "[[package]]\nname = 'a'\n[package.dependencies]\nb = \">=1\"\nc = {version = \"*\", markers = \"x\"}\n[[package]]\nname = \"b\"\n",
            "a = \"\\u00e9\\n\\\"\" # c\r\nb = \"\"\"\nx\\\n   y\"\"\"\"\nc = '''\nl'''\nd = 2024-01-01T00:00:00Z\ne = 1979-05-27 07:32:00\nf = 07:32:00.5\ng = -1_000\nh = 1.5e3\ni = [1, [2, 3], { a.b = 1 }, ]\n",
            "[a.b]\nc = 1\n[a]\nd = 2\n[x]\ny.z = 1\n[x.y.w]\n",
            "\"quoted key\".'lit' = true\n[t]\nk = { a = 1, b = 2, }\n",
        ];
        for c in cases {
            assert!(
                Parser::new(c).document().is_ok(),
                "fast reader refused {c:?}"
            );
            agree(c).unwrap();
        }
    }

    #[test]
    fn refuses_invalid_documents() {
        for c in [
            "a = 1\na = 2\n",
            "[a]\n[a]\n",
            "a = \n",
            "a = 1 b = 2\n",
            "[a\n",
            "a = {b = 1}\n[a]\n",
            "x = 0x10\n",
            "a.b = 1\n[a]\n",
        ] {
            assert!(Parser::new(c).document().is_err(), "{c:?}");
            agree(c).unwrap();
        }
    }

    #[test]
    fn hex_integers_fall_back_to_the_toml_crate() {
        let t = parse("x = 0x10\n", "test").unwrap();
        assert_eq!(t.get("x").unwrap().value, Value::Integer(16));
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("[a]\n".to_owned()),
            Just("[a.b]\n".to_owned()),
            Just("[[p]]\n".to_owned()),
            Just("[[p.q]]\n".to_owned()),
            Just("[p.d]\n".to_owned()),
            Just("x = 1\n".to_owned()),
            Just("y.z = \"s\"\n".to_owned()),
            Just("name = \"n\"\n".to_owned()),
            Just("w = [ { u = 'a', h = 2 }, ]\n".to_owned()),
            Just("t = { k = 1979-05-27T07:32:00Z }\n".to_owned()),
            Just("m = \"\"\"\na\\\n b\"\"\"\n".to_owned()),
            Just("# comment\n".to_owned()),
            Just("\n".to_owned()),
            "[a-z\\[\\]={}\"'.,# \n0-9_:-]{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn fast_reader_agrees_with_the_toml_crate(parts in proptest::collection::vec(fragment(), 0..12)) {
            let input: String = parts.concat();
            prop_assert!(agree(&input).is_ok(), "{}", agree(&input).unwrap_err());
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse(&s, "test");
        }
    }
}
