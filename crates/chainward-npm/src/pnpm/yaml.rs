//! A reader for the YAML subset that pnpm (js-yaml) and yarn berry (syml) write.
//!
//! Why not `serde-saphyr`: deserialising the 2.8 MB, 3,860-package `pnpm-lock.yaml` of
//! pnpm's `many-deps` fixture takes it about 160 ms (60 ms for babel's 0.7 MB berry
//! `yarn.lock`), against a budget of 30 ms for the whole parse. This reader builds a compact
//! borrowed tree instead (about 10 ms on that file, ~65 M instructions) and is checked
//! against serde-saphyr: unit tests below compare both on hand-written and generated
//! documents, and both gave identical trees on every real lockfile we have (vite, pnpm,
//! pnpm's many-deps, babel; checked with a throwaway binary, since tests must not read
//! `shared/`). YAML 1.1 booleans (`yes`, `n`) are the one known difference: saphyr types
//! them, js-yaml and this reader do not.
//!
//! Supported: `---` / `...` documents, comments, block mappings (plain, single- and
//! double-quoted keys), block sequences (also compact `- key: value` items and sequences at
//! their parent key's indentation), flow mappings and sequences (nested, multi-line), plain
//! scalars (multi-line folding), quoted scalars (all escapes, folding), literal and folded
//! block scalars with chomping and indentation indicators, CRLF, a leading BOM.
//!
//! Refused with an error naming the line: anchors, aliases, tags, directives, explicit
//! (`? `) and flow-collection keys, duplicate keys, tabs in indentation, and anything
//! malformed. Scalars are not typed: the caller reads `5.4`, `'5.4'` and `true` as text
//! (plain `null`, `~` and empty values are null: [`NodeRef::is_null`]).
//!
//! Used by [`crate::pnpm`] and by the yarn berry parser.

use std::borrow::Cow;

use chainward_types::ParseError;

/// Nesting deeper than this is refused, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 256;

/// Every document of a file, compact: nodes are 16 bytes and entries 28, scalars are spans
/// of the input (or, where escapes or folding changed the text, indexes into `owned`), and
/// mappings and sequences are ranges of two arenas. On a 2.8 MB lockfile this keeps the tree
/// near 2 MB, which matters because first-touch page faults are costly. Read it through
/// [`NodeRef`].
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    src: &'a str,
    owned: Vec<String>,
    entries: Vec<Entry>,
    items: Vec<Node>,
    docs: Vec<Node>,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An empty value, `~` or `null`.
    Null,
    /// A scalar written without quotes.
    Plain,
    /// A quoted or block scalar.
    Quoted,
    /// A mapping, in file order, without duplicate keys: `entries[a..a + b]`.
    Map,
    /// A sequence: `items[a..a + b]`.
    Seq,
}

/// Marks a text whose `a` indexes `owned` rather than starting a span of the input.
const OWNED: u32 = 1 << 31;

/// A node and the 1-based line where it starts (for an empty value, its key's line). For
/// scalars `(a, b)` is a text (see [`OWNED`]); for collections an arena range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Node {
    line: u32,
    kind: Kind,
    a: u32,
    b: u32,
}

impl Node {
    fn null(line: u32) -> Self {
        Self {
            line,
            kind: Kind::Null,
            a: 0,
            b: 0,
        }
    }
}

/// One mapping entry: the key's text `(key_a, key_b)`, its line, and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key_a: u32,
    key_b: u32,
    line: u32,
    value: Node,
}

/// The text of `(a, b)`.
fn text_of<'s>(src: &'s str, owned: &'s [String], a: u32, b: u32) -> &'s str {
    if b & OWNED != 0 {
        owned.get(a as usize).map_or("", String::as_str)
    } else {
        src.get(a as usize..(a + b) as usize).unwrap_or("")
    }
}

impl<'a> Tree<'a> {
    /// The documents' root nodes, in order.
    pub(crate) fn documents(&self) -> impl ExactSizeIterator<Item = NodeRef<'_, 'a>> {
        self.docs
            .iter()
            .map(move |node| NodeRef { tree: self, node })
    }

    fn text(&self, a: u32, b: u32) -> &str {
        text_of(self.src, &self.owned, a, b)
    }

    fn entry_ref<'t>(&'t self, e: &'t Entry) -> EntryRef<'t, 'a> {
        EntryRef {
            key: self.text(e.key_a, e.key_b),
            line: e.line,
            value: NodeRef {
                tree: self,
                node: &e.value,
            },
        }
    }
}

/// A node of a [`Tree`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRef<'t, 'a> {
    tree: &'t Tree<'a>,
    node: &'t Node,
}

/// A mapping entry of a [`Tree`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryRef<'t, 'a> {
    /// The key's text.
    pub(crate) key: &'t str,
    /// 1-based line of the key.
    pub(crate) line: u32,
    /// The value.
    pub(crate) value: NodeRef<'t, 'a>,
}

/// The entries of a mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entries<'t, 'a> {
    tree: &'t Tree<'a>,
    slice: &'t [Entry],
}

impl<'t, 'a> Entries<'t, 'a> {
    pub(crate) fn len(self) -> usize {
        self.slice.len()
    }

    #[cfg(test)]
    fn get(self, i: usize) -> Option<EntryRef<'t, 'a>> {
        self.slice.get(i).map(|e| self.tree.entry_ref(e))
    }

    pub(crate) fn iter(self) -> impl ExactSizeIterator<Item = EntryRef<'t, 'a>> + 't {
        let tree = self.tree;
        self.slice.iter().map(move |e| tree.entry_ref(e))
    }
}

impl<'t, 'a> NodeRef<'t, 'a> {
    /// 1-based line of the node (for an empty value, its key's line).
    pub(crate) fn line(self) -> u32 {
        self.node.line
    }

    /// The scalar's text, or `None` for anything else (including null).
    pub(crate) fn as_str(self) -> Option<&'t str> {
        match self.node.kind {
            Kind::Plain | Kind::Quoted => Some(self.tree.text(self.node.a, self.node.b)),
            _ => None,
        }
    }

    /// True for a plain scalar (written without quotes).
    #[cfg(test)]
    fn is_plain(self) -> bool {
        self.node.kind == Kind::Plain
    }

    pub(crate) fn is_null(self) -> bool {
        self.node.kind == Kind::Null
    }

    pub(crate) fn is_map(self) -> bool {
        self.node.kind == Kind::Map
    }

    fn range(self) -> std::ops::Range<usize> {
        self.node.a as usize..(self.node.a + self.node.b) as usize
    }

    /// The entries of a mapping; null counts as an empty mapping. `None` for scalars and
    /// sequences.
    pub(crate) fn entries(self) -> Option<Entries<'t, 'a>> {
        let tree = self.tree;
        match self.node.kind {
            Kind::Map => Some(Entries {
                tree,
                slice: tree.entries.get(self.range()).unwrap_or(&[]),
            }),
            Kind::Null => Some(Entries { tree, slice: &[] }),
            _ => None,
        }
    }

    /// The items of a sequence; null counts as empty.
    pub(crate) fn items(self) -> Option<impl ExactSizeIterator<Item = NodeRef<'t, 'a>> + 't> {
        let tree = self.tree;
        let slice: &'t [Node] = match self.node.kind {
            Kind::Seq => tree.items.get(self.range()).unwrap_or(&[]),
            Kind::Null => &[],
            _ => return None,
        };
        Some(slice.iter().map(move |node| NodeRef { tree, node }))
    }

    /// The value of `key` when this is a mapping that has it.
    pub(crate) fn get(self, key: &str) -> Option<NodeRef<'t, 'a>> {
        self.entries()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value)
    }

    /// True for a plain or quoted `true` (YAML 1.2 core schema spellings).
    pub(crate) fn is_true(self) -> bool {
        matches!(self.as_str(), Some("true" | "True" | "TRUE"))
    }

    /// A short description of the node's kind, for error messages.
    pub(crate) fn kind(self) -> &'static str {
        match self.node.kind {
            Kind::Null => "an empty value",
            Kind::Plain | Kind::Quoted => "a scalar",
            Kind::Map => "a mapping",
            Kind::Seq => "a sequence",
        }
    }
}

/// Parses every document of `input`.
pub(crate) fn parse(input: &str) -> Result<Tree<'_>, ParseError> {
    Parser::new(input)?.documents()
}

/// Parses every document of the lines of `input` from offset `start` (a line start, line
/// number `line`) on, as if they were a file of their own; the tree's texts are still spans
/// of `input`. With [`parse`] of `&input[..start]`, this reads a file in two halves.
pub(crate) fn parse_from(input: &str, start: usize, line: u32) -> Result<Tree<'_>, ParseError> {
    let mut p = Parser::new_at(input, start, line)?;
    p.eol = p.compute_line_end(start);
    p.documents()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Eof,
    DocStart,
    DocEnd,
    Content { indent: usize },
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    /// End of the current line (before CR/LF), kept in step with `line_start`.
    eol: usize,
    depth: usize,
    owned: Vec<String>,
    entries: Vec<Entry>,
    items: Vec<Node>,
    /// Entries and items of the collections being read, moved to the arenas when complete.
    entry_stack: Vec<Entry>,
    item_stack: Vec<Node>,
    /// Whether the last `skip_blank_lines` passed a comment line.
    skipped_comment: bool,
    /// The last `skip_blank_lines` answer and the position it left (a pure function of the
    /// position, so the next call from there can reuse it).
    memo: Option<(usize, LineKind, bool)>,
}

/// Byte classes for the scanning loops.
const fn byte_table(stops: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
}

/// Bytes that may end a plain scalar in flow context.
static FLOW_STOPS: [bool; 256] = byte_table(b":#,[]{}");

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, ParseError> {
        let pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
        let mut p = Self::new_at(src, pos, 1)?;
        p.eol = p.compute_line_end(pos);
        Ok(p)
    }

    /// A parser of `src` from `pos` (a line start, line number `line`) on. The caller sets
    /// `eol`.
    fn new_at(src: &'a str, pos: usize, line: u32) -> Result<Self, ParseError> {
        let b = src.as_bytes();
        // A carriage return is accepted only as part of CRLF.
        let rest = b.get(pos..).unwrap_or_default();
        for i in memchr::memchr_iter(b'\r', rest) {
            if rest.get(i + 1) != Some(&b'\n') {
                let before = memchr::memchr_iter(b'\n', &rest[..i]).count();
                let line = u32::try_from(before)
                    .ok()
                    .and_then(|n| n.checked_add(line))
                    .unwrap_or(u32::MAX);
                return Err(ParseError::at_line(
                    line,
                    "carriage return without a line feed",
                ));
            }
        }
        if src.len() >= OWNED as usize {
            return Err(ParseError::whole_file("file too large (2 GiB or more)"));
        }
        Ok(Self {
            src,
            b,
            pos,
            line,
            line_start: pos,
            eol: pos,
            depth: 0,
            // About one entry per 30 bytes in real lockfiles; untouched capacity costs no memory.
            owned: Vec::new(),
            entries: Vec::with_capacity(src.len().saturating_sub(pos) / 24 + 8),
            items: Vec::new(),
            entry_stack: Vec::new(),
            item_stack: Vec::new(),
            skipped_comment: false,
            memo: None,
        })
    }

    // ----- building the tree -----

    /// The `(a, b)` text of a string: a span of the input when it is one, else an owned text.
    fn intern(&mut self, text: Cow<'a, str>) -> (u32, u32) {
        match text {
            Cow::Borrowed(s) => {
                let start = (s.as_ptr() as usize).wrapping_sub(self.src.as_ptr() as usize);
                if start <= self.src.len() && s.len() <= self.src.len() - start {
                    // Both fit in u32: the input is shorter than `OWNED`.
                    #[allow(clippy::cast_possible_truncation)]
                    return (start as u32, s.len() as u32);
                }
                self.own(s.to_owned())
            }
            Cow::Owned(s) => self.own(s),
        }
    }

    fn own(&mut self, s: String) -> (u32, u32) {
        #[allow(clippy::cast_possible_truncation)]
        let idx = self.owned.len() as u32;
        self.owned.push(s);
        (idx, OWNED)
    }

    fn scalar(&mut self, line: u32, text: Cow<'a, str>, plain: bool) -> Node {
        if plain && is_null(&text) {
            return Node::null(line);
        }
        let (a, b) = self.intern(text);
        Node {
            line,
            kind: if plain { Kind::Plain } else { Kind::Quoted },
            a,
            b,
        }
    }

    fn entry(&mut self, key: Cow<'a, str>, line: u32, value: Node) -> Entry {
        let (key_a, key_b) = self.intern(key);
        Entry {
            key_a,
            key_b,
            line,
            value,
        }
    }

    // ----- position helpers -----

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn byte_at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// True when `i` is at a line end (LF, CRLF) or the end of input.
    #[inline]
    fn is_eol(&self, i: usize) -> bool {
        match self.byte_at(i) {
            None | Some(b'\n') => true,
            Some(b'\r') => true, // always followed by LF (checked in `new`)
            _ => false,
        }
    }

    /// True when `i` is a separator after an indicator: blank, line end or end of input.
    #[inline]
    fn is_sep(&self, i: usize) -> bool {
        self.is_eol(i) || self.byte_at(i).is_some_and(is_blank)
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        let col = u32::try_from(self.pos.saturating_sub(self.line_start) + 1).unwrap_or(u32::MAX);
        ParseError::at(self.line, col, message)
    }

    fn error_at_line(&self, line: u32, message: impl Into<String>) -> ParseError {
        ParseError::at_line(line, message)
    }

    /// Moves to the start of the next line.
    fn next_line(&mut self) {
        // The line ends at `eol`, with `\n` or `\r\n` (a lone `\r` was refused in `new`).
        let nl = if self.b.get(self.eol) == Some(&b'\r') {
            self.eol + 1
        } else {
            self.eol
        };
        if nl < self.b.len() {
            self.pos = nl + 1;
            self.line += 1;
        } else {
            self.pos = self.b.len();
        }
        self.line_start = self.pos;
        self.eol = self.compute_line_end(self.pos);
    }

    /// Offset of the end of the line holding `from` (before CR/LF).
    #[inline]
    fn line_end(&self, from: usize) -> usize {
        if from >= self.line_start && from <= self.eol {
            self.eol
        } else {
            self.compute_line_end(from)
        }
    }

    fn compute_line_end(&self, from: usize) -> usize {
        let from = from.min(self.b.len());
        let end = memchr::memchr(b'\n', &self.b[from..]).map_or(self.b.len(), |off| from + off);
        if end > from && self.b[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    fn skip_inline_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    /// True when a `#` at `i` starts a comment: at a line start or after a blank.
    fn is_comment_start(&self, i: usize) -> bool {
        self.byte_at(i) == Some(b'#')
            && (i == self.line_start || (i > 0 && is_blank(self.b[i - 1])))
    }

    /// True when only blanks and possibly a comment remain on the line from `i`.
    fn rest_is_blank(&self, mut i: usize) -> bool {
        while self.byte_at(i).is_some_and(is_blank) {
            i += 1;
        }
        self.is_eol(i) || self.is_comment_start(i)
    }

    /// After a value: allows trailing blanks and a comment, then moves to the next line.
    fn finish_line(&mut self) -> Result<(), ParseError> {
        self.skip_inline_blanks();
        if self.is_eol(self.pos) || self.is_comment_start(self.pos) {
            self.next_line();
            Ok(())
        } else {
            Err(self.error("unexpected text after a value"))
        }
    }

    /// Skips blank and comment lines; the position must be at a line start. Leaves the
    /// position at that line's start and tells what the line is.
    fn skip_blank_lines(&mut self) -> Result<LineKind, ParseError> {
        if let Some((pos, kind, comment)) = self.memo
            && pos == self.pos
        {
            self.skipped_comment = comment;
            return Ok(kind);
        }
        let kind = self.skip_blank_lines_uncached()?;
        self.memo = Some((self.pos, kind, self.skipped_comment));
        Ok(kind)
    }

    fn skip_blank_lines_uncached(&mut self) -> Result<LineKind, ParseError> {
        self.skipped_comment = false;
        loop {
            let start = self.line_start;
            let rest = &self.b[start.min(self.b.len())..];
            if rest.is_empty() {
                return Ok(LineKind::Eof);
            }
            let indent = rest.iter().take_while(|&&c| c == b' ').count();
            match rest.get(indent).copied() {
                None | Some(b'\n' | b'\r') => {}
                Some(b'#') => self.skipped_comment = true,
                Some(b'\t') => {
                    let j = indent + rest[indent..].iter().take_while(|&&c| is_blank(c)).count();
                    match rest.get(j).copied() {
                        None | Some(b'\n' | b'\r') => {}
                        Some(b'#') => self.skipped_comment = true,
                        Some(_) => {
                            self.pos = start + indent;
                            return Err(self.error("tab in indentation"));
                        }
                    }
                }
                Some(c) => {
                    if indent == 0
                        && (c == b'-' || c == b'.')
                        && (rest.starts_with(b"---") || rest.starts_with(b"..."))
                        && self.is_sep(start + 3)
                    {
                        return Ok(if c == b'-' {
                            LineKind::DocStart
                        } else {
                            LineKind::DocEnd
                        });
                    }
                    return Ok(LineKind::Content { indent });
                }
            }
            self.next_line();
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    // ----- documents -----

    fn documents(mut self) -> Result<Tree<'a>, ParseError> {
        let mut docs = Vec::new();
        let mut open_marker: Option<u32> = None;
        loop {
            match self.skip_blank_lines()? {
                LineKind::Eof => {
                    if let Some(line) = open_marker {
                        docs.push(Node::null(line));
                    }
                    return Ok(Tree {
                        src: self.src,
                        owned: self.owned,
                        entries: self.entries,
                        items: self.items,
                        docs,
                    });
                }
                LineKind::DocStart => {
                    if let Some(line) = open_marker {
                        docs.push(Node::null(line));
                    }
                    if !self.rest_is_blank(self.line_start + 3) {
                        self.pos = self.line_start + 3;
                        return Err(self.error("content after `---` is not supported"));
                    }
                    open_marker = Some(self.line);
                    self.next_line();
                }
                LineKind::DocEnd => {
                    if !self.rest_is_blank(self.line_start + 3) {
                        self.pos = self.line_start + 3;
                        return Err(self.error("unexpected text after `...`"));
                    }
                    if let Some(line) = open_marker.take() {
                        docs.push(Node::null(line));
                    }
                    self.next_line();
                }
                LineKind::Content { indent } => {
                    self.pos = self.line_start + indent;
                    let root = self.parse_block_content(indent, -1)?;
                    docs.push(root);
                    open_marker = None;
                    if let LineKind::Content { indent } = self.skip_blank_lines()? {
                        self.pos = self.line_start + indent;
                        return Err(self.error(
                            "unexpected content: indentation does not match any enclosing block",
                        ));
                    }
                }
            }
        }
    }

    // ----- block context -----

    /// Parses a node whose first character is at the position (column `col`); `parent` is
    /// the indentation of the enclosing block (-1 at the root).
    fn parse_block_content(&mut self, col: usize, parent: i64) -> Result<Node, ParseError> {
        self.enter()?;
        let line = self.line;
        let c = self.peek().unwrap_or(b'\n');
        let node = match c {
            b'-' if self.is_sep(self.pos + 1) => self.parse_block_seq(col)?,
            b'[' | b'{' => {
                let node = self.parse_flow()?;
                self.skip_inline_blanks();
                if self.peek() == Some(b':') {
                    return Err(self.error("flow collections as mapping keys are not supported"));
                }
                self.finish_line()?;
                node
            }
            b'"' | b'\'' => {
                if self.quoted_key_ahead()? {
                    self.parse_block_map(col)?
                } else {
                    let text = self.parse_quoted()?;
                    self.finish_line()?;
                    self.scalar(line, text, false)
                }
            }
            b'|' | b'>' => self.parse_block_scalar(parent)?,
            _ => {
                self.check_plain_start()?;
                if self.plain_key_end().is_some() {
                    self.parse_block_map(col)?
                } else {
                    self.parse_plain_block(parent)?
                }
            }
        };
        self.depth -= 1;
        Ok(node)
    }

    /// Refuses the characters that cannot start a plain scalar or key.
    #[inline]
    fn check_plain_start(&self) -> Result<(), ParseError> {
        let c = self.peek().unwrap_or(b' ');
        match c {
            b'&' => Err(self.error("anchors are not supported")),
            b'*' => Err(self.error("aliases are not supported")),
            b'!' => Err(self.error("tags are not supported")),
            b'%' => Err(self.error("directives are not supported")),
            b'@' | b'`' => Err(self.error(format!("`{}` cannot start a plain scalar", c as char))),
            b'?' | b':' | b'-' if self.is_sep(self.pos + 1) => {
                Err(self.error(format!("unexpected `{}` indicator", c as char)))
            }
            b',' | b']' | b'}' => Err(self.error(format!("unexpected `{}`", c as char))),
            b'|' | b'>' => Err(self.error("a block scalar cannot be a key")),
            _ => Ok(()),
        }
    }

    /// When a plain key starts at the position: the offset of its `:`.
    fn plain_key_end(&self) -> Option<usize> {
        let end = self.line_end(self.pos);
        let mut i = self.pos;
        loop {
            i += memchr::memchr2(b':', b'#', &self.b[i..end])?;
            match self.b[i] {
                b':' if self.is_sep(i + 1) => return Some(i),
                b'#' if i > self.pos && is_blank(self.b[i - 1]) => return None,
                _ => {}
            }
            i += 1;
        }
    }

    /// True when the quoted scalar at the position is followed by `:` (a key).
    fn quoted_key_ahead(&mut self) -> Result<bool, ParseError> {
        let save = (self.pos, self.line, self.line_start, self.eol);
        let quote = self.b[self.pos];
        // Keys are single-line: look for the closing quote on this line only.
        let end = self.line_end(self.pos);
        let mut i = self.pos + 1;
        let mut close = None;
        while i < end {
            let c = self.b[i];
            if quote == b'"' && c == b'\\' {
                i += 2;
                continue;
            }
            if c == quote {
                if quote == b'\'' && self.byte_at(i + 1) == Some(b'\'') {
                    i += 2;
                    continue;
                }
                close = Some(i);
                break;
            }
            i += 1;
        }
        let Some(close) = close else { return Ok(false) };
        let mut j = close + 1;
        while j < end && is_blank(self.b[j]) {
            j += 1;
        }
        let is_key = self.byte_at(j) == Some(b':') && self.is_sep(j + 1);
        (self.pos, self.line, self.line_start, self.eol) = save;
        Ok(is_key)
    }

    /// Parses a key at the position and its `:`; returns the key.
    fn parse_key(&mut self) -> Result<Cow<'a, str>, ParseError> {
        match self.peek() {
            Some(b'"' | b'\'') => {
                let line = self.line;
                let key = self.parse_quoted()?;
                if self.line != line {
                    return Err(self.error_at_line(line, "a quoted key must fit on one line"));
                }
                self.skip_inline_blanks();
                if self.peek() == Some(b':') && self.is_sep(self.pos + 1) {
                    self.pos += 1;
                    Ok(key)
                } else {
                    Err(self.error("expected `:` after a mapping key"))
                }
            }
            Some(b'[' | b'{') => {
                Err(self.error("flow collections as mapping keys are not supported"))
            }
            _ => {
                self.check_plain_start()?;
                let Some(colon) = self.plain_key_end() else {
                    return Err(self.error("expected a `key: value` mapping entry"));
                };
                let key = self.src[self.pos..colon].trim_end_matches([' ', '\t']);
                if key.is_empty() {
                    return Err(self.error("empty mapping key"));
                }
                self.pos = colon + 1;
                Ok(Cow::Borrowed(key))
            }
        }
    }

    /// A block mapping whose first key is at the position, in column `col`.
    fn parse_block_map(&mut self, col: usize) -> Result<Node, ParseError> {
        let line = self.line;
        let base = self.entry_stack.len();
        loop {
            let key_line = self.line;
            let key = self.parse_key()?;
            self.skip_inline_blanks();
            let value = if self.rest_is_blank(self.pos) {
                self.next_line();
                self.parse_indented_value(col as i64, key_line)?
            } else {
                self.parse_inline_value(col)?
            };
            let entry = self.entry(key, key_line, value);
            self.entry_stack.push(entry);
            match self.skip_blank_lines()? {
                LineKind::Content { indent } if indent == col => {
                    self.pos = self.line_start + indent;
                }
                LineKind::Content { indent } if indent > col => {
                    self.pos = self.line_start + indent;
                    return Err(self.error("unexpected indentation"));
                }
                _ => break,
            }
        }
        self.finish_map(line, base)
    }

    /// The value of a key whose line ended after the `:`: a more indented block on the next
    /// lines, a sequence at the key's own indentation, or null.
    fn parse_indented_value(&mut self, parent: i64, key_line: u32) -> Result<Node, ParseError> {
        match self.skip_blank_lines()? {
            LineKind::Content { indent } if indent as i64 > parent => {
                self.pos = self.line_start + indent;
                self.parse_block_content(indent, parent)
            }
            LineKind::Content { indent } if indent as i64 == parent => {
                let at = self.line_start + indent;
                if self.byte_at(at) == Some(b'-') && self.is_sep(at + 1) {
                    self.pos = at;
                    self.enter()?;
                    let node = self.parse_block_seq(indent)?;
                    self.depth -= 1;
                    Ok(node)
                } else {
                    Ok(Node::null(key_line))
                }
            }
            _ => Ok(Node::null(key_line)),
        }
    }

    /// A value that starts on its key's line, at the position; `col` is the mapping's column.
    fn parse_inline_value(&mut self, col: usize) -> Result<Node, ParseError> {
        let line = self.line;
        match self.peek().unwrap_or(b'\n') {
            b'[' | b'{' => {
                self.enter()?;
                let node = self.parse_flow()?;
                self.depth -= 1;
                self.finish_line()?;
                Ok(node)
            }
            b'"' | b'\'' => {
                let text = self.parse_quoted()?;
                self.skip_inline_blanks();
                if self.peek() == Some(b':') && self.is_sep(self.pos + 1) {
                    return Err(self.error("a mapping cannot start on its parent key's line"));
                }
                self.finish_line()?;
                Ok(self.scalar(line, text, false))
            }
            b'|' | b'>' => self.parse_block_scalar(col as i64),
            b'-' if self.is_sep(self.pos + 1) => {
                Err(self.error("a sequence cannot start on its parent key's line"))
            }
            _ => {
                // `key: a: b` is refused by the scalar reader (`: ` inside a plain scalar).
                self.check_plain_start()?;
                self.parse_plain_block(col as i64)
            }
        }
    }

    /// A block sequence whose first `-` is at the position, in column `col`.
    fn parse_block_seq(&mut self, col: usize) -> Result<Node, ParseError> {
        let line = self.line;
        let base = self.item_stack.len();
        loop {
            let item_line = self.line;
            self.pos += 1; // the `-`
            self.skip_inline_blanks();
            let item = if self.rest_is_blank(self.pos) {
                self.next_line();
                match self.skip_blank_lines()? {
                    LineKind::Content { indent } if indent > col => {
                        self.pos = self.line_start + indent;
                        self.parse_block_content(indent, col as i64)?
                    }
                    _ => Node::null(item_line),
                }
            } else {
                let item_col = self.pos - self.line_start;
                self.parse_block_content(item_col, col as i64)?
            };
            self.item_stack.push(item);
            match self.skip_blank_lines()? {
                LineKind::Content { indent } if indent == col => {
                    let at = self.line_start + indent;
                    if self.byte_at(at) == Some(b'-') && self.is_sep(at + 1) {
                        self.pos = at;
                    } else {
                        break;
                    }
                }
                LineKind::Content { indent } if indent > col => {
                    self.pos = self.line_start + indent;
                    return Err(self.error("unexpected indentation"));
                }
                _ => break,
            }
        }
        Ok(self.finish_seq(line, base))
    }

    /// Moves the entries above `base` to the arena as one mapping.
    fn finish_map(&mut self, line: u32, base: usize) -> Result<Node, ParseError> {
        check_duplicates(self.src, &self.owned, &self.entry_stack[base..])?;
        // Arena sizes stay below the input's length, itself below `OWNED`.
        #[allow(clippy::cast_possible_truncation)]
        let (a, b) = (
            self.entries.len() as u32,
            (self.entry_stack.len() - base) as u32,
        );
        self.entries.extend(self.entry_stack.drain(base..));
        Ok(Node {
            line,
            kind: Kind::Map,
            a,
            b,
        })
    }

    /// Moves the items above `base` to the arena as one sequence.
    fn finish_seq(&mut self, line: u32, base: usize) -> Node {
        #[allow(clippy::cast_possible_truncation)]
        let (a, b) = (
            self.items.len() as u32,
            (self.item_stack.len() - base) as u32,
        );
        self.items.extend(self.item_stack.drain(base..));
        Node {
            line,
            kind: Kind::Seq,
            a,
            b,
        }
    }

    /// A plain scalar in block context starting at the position, with the continuation lines
    /// that are indented more than `parent`. Leaves the position at a line start.
    fn parse_plain_block(&mut self, parent: i64) -> Result<Node, ParseError> {
        let line = self.line;
        let first = self.plain_line_text()?;
        self.next_line();
        let mut owned: Option<String> = None;
        loop {
            // A continuation: a more indented line, with no comment line before it.
            let before = self.line;
            let LineKind::Content { indent } = self.skip_blank_lines()? else {
                break;
            };
            if indent as i64 <= parent || self.skipped_comment {
                break;
            }
            let empty_lines = (self.line - before) as usize;
            self.pos = self.line_start + indent;
            let more = self.plain_line_text()?;
            let buf = owned.get_or_insert_with(|| first.to_owned());
            if empty_lines == 0 {
                buf.push(' ');
            } else {
                buf.extend(std::iter::repeat_n('\n', empty_lines));
            }
            buf.push_str(more);
            self.next_line();
        }
        Ok(match owned {
            Some(s) => self.scalar(line, Cow::Owned(s), true),
            None => self.scalar(line, Cow::Borrowed(first), true),
        })
    }

    /// The text of a plain scalar line from the position to a comment or the line end;
    /// refuses `: ` inside it. Leaves the position at the end of the text.
    fn plain_line_text(&mut self) -> Result<&'a str, ParseError> {
        let end = self.line_end(self.pos);
        let start = self.pos;
        let mut i = start;
        let mut stop = end;
        while let Some(off) = memchr::memchr2(b':', b'#', &self.b[i..end]) {
            i += off;
            match self.b[i] {
                b'#' if i > start && is_blank(self.b[i - 1]) => {
                    stop = i;
                    break;
                }
                b':' if self.is_sep(i + 1) => {
                    self.pos = i;
                    return Err(self.error("`: ` is not allowed in a plain scalar here"));
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = stop;
        Ok(self.src[start..stop].trim_end_matches([' ', '\t']))
    }

    /// A literal (`|`) or folded (`>`) block scalar; the header is at the position.
    fn parse_block_scalar(&mut self, parent: i64) -> Result<Node, ParseError> {
        let line = self.line;
        let folded = self.b[self.pos] == b'>';
        self.pos += 1;
        let mut chomp = 0i8; // -1 strip, 0 clip, 1 keep
        let mut explicit: Option<usize> = None;
        for _ in 0..2 {
            match self.peek() {
                Some(b'-') if chomp == 0 => chomp = -1,
                Some(b'+') if chomp == 0 => chomp = 1,
                Some(c @ b'1'..=b'9') if explicit.is_none() => {
                    explicit = Some(usize::from(c - b'0'))
                }
                _ => break,
            }
            self.pos += 1;
        }
        if !self.rest_is_blank(self.pos) {
            return Err(self.error("unexpected text after a block scalar header"));
        }
        self.next_line();
        let base = usize::try_from(parent.max(0)).unwrap_or(0);
        let mut content_indent = explicit.map(|d| if parent < 0 { d - 1 } else { base + d });
        let mut lines: Vec<&'a str> = Vec::new();
        loop {
            if self.pos >= self.b.len() {
                break;
            }
            let start = self.line_start;
            let end = self.line_end(start);
            let spaces = self.b[start..end]
                .iter()
                .take_while(|&&c| c == b' ')
                .count();
            if spaces == end - start {
                // Whitespace-only line: an empty line of the scalar.
                lines.push("");
                self.next_line();
                continue;
            }
            let ci = match content_indent {
                Some(ci) => ci,
                None => {
                    if spaces as i64 <= parent {
                        break;
                    }
                    content_indent = Some(spaces);
                    spaces
                }
            };
            if spaces < ci {
                break;
            }
            if ci == 0
                && (self.b[start..].starts_with(b"---") || self.b[start..].starts_with(b"..."))
                && self.is_sep(start + 3)
            {
                break;
            }
            lines.push(&self.src[start + ci..end]);
            self.next_line();
        }
        // Trailing empty lines belong to chomping, not content.
        let mut trailing = 0;
        while lines.last() == Some(&"") {
            lines.pop();
            trailing += 1;
        }
        let mut out = String::new();
        if folded {
            let mut prev_normal: Option<bool> = None;
            let mut pending_empty = 0usize;
            for l in &lines {
                if l.is_empty() {
                    pending_empty += 1;
                    continue;
                }
                let more = l.starts_with([' ', '\t']);
                match prev_normal {
                    None => out.extend(std::iter::repeat_n('\n', pending_empty)),
                    Some(true) if !more => {
                        if pending_empty == 0 {
                            out.push(' ');
                        } else {
                            out.extend(std::iter::repeat_n('\n', pending_empty));
                        }
                    }
                    Some(_) => out.extend(std::iter::repeat_n('\n', pending_empty + 1)),
                }
                out.push_str(l);
                prev_normal = Some(!more);
                pending_empty = 0;
            }
        } else {
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(l);
            }
        }
        if !lines.is_empty() {
            match chomp {
                -1 => {}
                0 => out.push('\n'),
                _ => {
                    out.push('\n');
                    out.extend(std::iter::repeat_n('\n', trailing));
                }
            }
        } else if chomp == 1 {
            out.extend(std::iter::repeat_n('\n', trailing));
        }
        Ok(self.scalar(line, Cow::Owned(out), false))
    }

    // ----- quoted scalars -----

    /// A single- or double-quoted scalar at the position, possibly over several lines.
    /// Leaves the position after the closing quote.
    fn parse_quoted(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let quote = self.b[self.pos];
        let start_line = self.line;
        let body = self.pos + 1;
        // Fast path: closing quote on this line, no escapes.
        let end = self.line_end(body);
        let line = &self.b[body.min(end)..end];
        let hit = if quote == b'"' {
            memchr::memchr2(b'"', b'\\', line)
        } else {
            memchr::memchr(b'\'', line)
        };
        if let Some(off) = hit {
            let i = body + off;
            let escaped =
                self.b[i] == b'\\' || (quote == b'\'' && self.byte_at(i + 1) == Some(b'\''));
            if !escaped {
                self.pos = i + 1;
                return Ok(Cow::Borrowed(&self.src[body..i]));
            }
        }
        // Slow path.
        let mut out = String::new();
        self.pos = body;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error_at_line(start_line, "unterminated quoted scalar"));
            };
            match c {
                _ if c == quote => {
                    if quote == b'\'' && self.byte_at(self.pos + 1) == Some(b'\'') {
                        out.push('\'');
                        self.pos += 2;
                        continue;
                    }
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' if quote == b'"' => {
                    if self.is_eol(self.pos + 1) {
                        // Escaped line break: join without a space.
                        self.pos += 1;
                        self.next_line();
                        self.check_quoted_continuation(start_line)?;
                        self.skip_inline_blanks();
                        continue;
                    }
                    self.parse_escape(&mut out)?;
                }
                b'\n' | b'\r' => {
                    // Fold: drop trailing blanks, count empty lines, skip leading blanks.
                    while out.ends_with([' ', '\t']) {
                        out.pop();
                    }
                    self.next_line();
                    let mut empty = 0usize;
                    loop {
                        self.check_quoted_continuation(start_line)?;
                        self.skip_inline_blanks();
                        if self.pos < self.b.len() && self.is_eol(self.pos) {
                            empty += 1;
                            self.next_line();
                            continue;
                        }
                        break;
                    }
                    if empty == 0 {
                        out.push(' ');
                    } else {
                        out.extend(std::iter::repeat_n('\n', empty));
                    }
                }
                _ => {
                    // Copy a run of ordinary characters (UTF-8 safe: stops only at ASCII).
                    let run_start = self.pos;
                    while let Some(d) = self.peek() {
                        if d == quote || d == b'\n' || d == b'\r' || (quote == b'"' && d == b'\\') {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.src[run_start..self.pos]);
                }
            }
        }
    }

    fn check_quoted_continuation(&self, start_line: u32) -> Result<(), ParseError> {
        if self.pos >= self.b.len() {
            return Err(self.error_at_line(start_line, "unterminated quoted scalar"));
        }
        let rest = &self.b[self.line_start..];
        if self.pos == self.line_start
            && (rest.starts_with(b"---") || rest.starts_with(b"..."))
            && self.is_sep(self.line_start + 3)
        {
            return Err(self.error_at_line(start_line, "unterminated quoted scalar"));
        }
        Ok(())
    }

    fn parse_escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let c = self.byte_at(self.pos + 1).unwrap_or(b'\n');
        let simple = match c {
            b'0' => Some('\0'),
            b'a' => Some('\u{7}'),
            b'b' => Some('\u{8}'),
            b't' | b'\t' => Some('\t'),
            b'n' => Some('\n'),
            b'v' => Some('\u{b}'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'e' => Some('\u{1b}'),
            b' ' => Some(' '),
            b'"' => Some('"'),
            b'/' => Some('/'),
            b'\\' => Some('\\'),
            b'N' => Some('\u{85}'),
            b'_' => Some('\u{a0}'),
            b'L' => Some('\u{2028}'),
            b'P' => Some('\u{2029}'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            self.pos += 2;
            return Ok(());
        }
        let digits = match c {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => return Err(self.error(format!("invalid escape `\\{}`", c as char))),
        };
        let hex_start = self.pos + 2;
        let hex = self
            .src
            .get(hex_start..hex_start + digits)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid hexadecimal escape"))?;
        let code =
            u32::from_str_radix(hex, 16).map_err(|_| self.error("invalid hexadecimal escape"))?;
        let ch = char::from_u32(code).ok_or_else(|| {
            self.error(format!("escape `\\{}{hex}` is not a character", c as char))
        })?;
        out.push(ch);
        self.pos = hex_start + digits;
        Ok(())
    }

    // ----- flow context -----

    /// Skips blanks, line breaks and comments inside a flow collection.
    fn skip_flow_space(&mut self, open_line: u32) -> Result<(), ParseError> {
        let mut after_space = true;
        loop {
            match self.peek() {
                None => return Err(self.error_at_line(open_line, "unterminated flow collection")),
                Some(b' ' | b'\t') => {
                    self.pos += 1;
                    after_space = true;
                }
                Some(b'\n' | b'\r') => {
                    self.next_line();
                    let rest = &self.b[self.line_start..];
                    if (rest.starts_with(b"---") || rest.starts_with(b"..."))
                        && self.is_sep(self.line_start + 3)
                    {
                        return Err(self.error_at_line(open_line, "unterminated flow collection"));
                    }
                    after_space = true;
                }
                Some(b'#') if after_space => {
                    let end = self.line_end(self.pos);
                    self.pos = end;
                }
                Some(_) => return Ok(()),
            }
        }
    }

    /// A flow mapping or sequence at the position; leaves the position after its close.
    fn parse_flow(&mut self) -> Result<Node, ParseError> {
        self.enter()?;
        let line = self.line;
        let open = self.b[self.pos];
        self.pos += 1;
        let node = if open == b'{' {
            let base = self.entry_stack.len();
            loop {
                self.skip_flow_space(line)?;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    break;
                }
                let key_line = self.line;
                let key = match self.peek() {
                    Some(b'"' | b'\'') => self.parse_quoted()?,
                    Some(b'{' | b'[') => {
                        return Err(
                            self.error("flow collections as mapping keys are not supported")
                        );
                    }
                    _ => {
                        let text = self.parse_flow_plain_text(line)?;
                        if is_null(&text) {
                            return Err(self.error("empty or null mapping keys are not supported"));
                        }
                        text
                    }
                };
                self.skip_flow_space(line)?;
                let value = if self.peek() == Some(b':') {
                    self.pos += 1;
                    self.skip_flow_space(line)?;
                    if matches!(self.peek(), Some(b',' | b'}')) {
                        Node::null(key_line)
                    } else {
                        self.parse_flow_value(line)?
                    }
                } else {
                    Node::null(key_line)
                };
                let entry = self.entry(key, key_line, value);
                self.entry_stack.push(entry);
                self.skip_flow_space(line)?;
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `}` in a flow mapping")),
                }
            }
            self.finish_map(line, base)?
        } else {
            let base = self.item_stack.len();
            loop {
                self.skip_flow_space(line)?;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    break;
                }
                let item = self.parse_flow_value(line)?;
                self.skip_flow_space(line)?;
                if self.peek() == Some(b':') {
                    return Err(self.error("mappings inside flow sequences are not supported"));
                }
                self.item_stack.push(item);
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `]` in a flow sequence")),
                }
            }
            self.finish_seq(line, base)
        };
        self.depth -= 1;
        Ok(node)
    }

    fn parse_flow_value(&mut self, open_line: u32) -> Result<Node, ParseError> {
        let line = self.line;
        match self.peek() {
            Some(b'{' | b'[') => self.parse_flow(),
            Some(b'"' | b'\'') => {
                let text = self.parse_quoted()?;
                Ok(self.scalar(line, text, false))
            }
            _ => self.parse_flow_plain(open_line),
        }
    }

    /// A plain scalar inside a flow collection; may continue over lines.
    fn parse_flow_plain(&mut self, open_line: u32) -> Result<Node, ParseError> {
        let line = self.line;
        let text = self.parse_flow_plain_text(open_line)?;
        Ok(self.scalar(line, text, true))
    }

    fn parse_flow_plain_text(&mut self, open_line: u32) -> Result<Cow<'a, str>, ParseError> {
        let c = self.peek().unwrap_or(b' ');
        match c {
            b'&' => return Err(self.error("anchors are not supported")),
            b'*' => return Err(self.error("aliases are not supported")),
            b'!' => return Err(self.error("tags are not supported")),
            b'@' | b'`' | b'%' | b'|' | b'>' | b'#' => {
                return Err(self.error(format!("`{}` cannot start a plain scalar", c as char)));
            }
            b'-' | b'?' | b':' => {
                let next = self.byte_at(self.pos + 1);
                if self.is_sep(self.pos + 1) || next.is_some_and(is_flow_indicator) {
                    return Err(self.error(format!("unexpected `{}` indicator", c as char)));
                }
            }
            _ if is_flow_indicator(c) => {
                return Err(self.error(format!("unexpected `{}`", c as char)));
            }
            _ => {}
        }
        let mut first: Option<&'a str> = None;
        let mut owned: Option<String> = None;
        let mut fold: Option<usize> = None;
        loop {
            let start = self.pos;
            let end = self.line_end(start);
            let mut i = start;
            let mut stop = end;
            let mut terminated = false;
            while i < end {
                while i < end && !FLOW_STOPS[usize::from(self.b[i])] {
                    i += 1;
                }
                if i >= end {
                    break;
                }
                let d = self.b[i];
                if is_flow_indicator(d)
                    || (d == b':'
                        && (self.is_sep(i + 1)
                            || self.byte_at(i + 1).is_some_and(is_flow_indicator)))
                    || (d == b'#' && i > start && is_blank(self.b[i - 1]))
                {
                    stop = i;
                    terminated = true;
                    break;
                }
                i += 1;
            }
            let text = self.src[start..stop].trim_matches([' ', '\t']);
            if !text.is_empty() {
                match first {
                    None => first = Some(text),
                    Some(f) => {
                        let s = owned.get_or_insert_with(|| f.to_owned());
                        match fold.take().unwrap_or(0) {
                            0 => s.push(' '),
                            n => s.extend(std::iter::repeat_n('\n', n)),
                        }
                        s.push_str(text);
                    }
                }
            }
            self.pos = stop;
            if terminated {
                break;
            }
            // Line end: continue on the next non-empty line unless it starts a terminator.
            let mut empties = 0usize;
            self.next_line();
            loop {
                if self.pos >= self.b.len() {
                    return Err(self.error_at_line(open_line, "unterminated flow collection"));
                }
                self.skip_inline_blanks();
                if self.is_eol(self.pos) {
                    empties += 1;
                    self.next_line();
                    continue;
                }
                break;
            }
            let d = self.b[self.pos];
            if is_flow_indicator(d) || d == b'#' || (d == b':' && self.is_sep(self.pos + 1)) {
                break;
            }
            fold = Some(empties);
        }
        Ok(match (owned, first) {
            (Some(s), _) => Cow::Owned(s),
            (None, Some(f)) => Cow::Borrowed(f),
            (None, None) => Cow::Borrowed(""),
        })
    }
}

/// A fast string hasher seeded per process, like hashbrown's default (foldhash): SipHash
/// was a tenth of the parse of a large lockfile. Used for duplicate-key checks here and for
/// pnpm's package-name index.
#[derive(Clone)]
pub(crate) struct SeededState(u64);

impl Default for SeededState {
    fn default() -> Self {
        use std::hash::BuildHasher as _;
        Self(std::collections::hash_map::RandomState::new().hash_one(0x9e37_79b9_7f4a_7c15_u64) | 1)
    }
}

impl std::hash::BuildHasher for SeededState {
    type Hasher = SeededHasher;
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher {
            h: self.0,
            seed: self.0,
        }
    }
}

pub(crate) struct SeededHasher {
    h: u64,
    seed: u64,
}

fn folded_multiply(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    // Truncations intended: fold the 128-bit product into 64 bits.
    #[allow(clippy::cast_possible_truncation)]
    let (lo, hi) = (full as u64, (full >> 64) as u64);
    lo ^ hi
}

impl std::hash::Hasher for SeededHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x243f_6a88_85a3_08d3;
        let mut h = self.h;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = folded_multiply(h ^ w, self.seed ^ K);
        }
        let rem = chunks.remainder();
        let mut buf = [0u8; 8];
        buf[..rem.len()].copy_from_slice(rem);
        h = folded_multiply(h ^ u64::from_le_bytes(buf), self.seed.rotate_left(17) ^ K);
        self.h = folded_multiply(h ^ bytes.len() as u64, self.seed.rotate_left(41));
    }

    fn finish(&self) -> u64 {
        self.h
    }
}

/// Refuses a mapping with two equal keys, naming the second.
fn check_duplicates(src: &str, owned: &[String], entries: &[Entry]) -> Result<(), ParseError> {
    let key = |e: &Entry| text_of(src, owned, e.key_a, e.key_b);
    if entries.len() <= 12 {
        for (i, e) in entries.iter().enumerate() {
            if let Some(first) = entries[..i].iter().find(|f| key(f) == key(e)) {
                return Err(ParseError::at_line(
                    e.line,
                    format!("duplicate key `{}` (first at line {})", key(e), first.line),
                ));
            }
        }
        return Ok(());
    }
    let mut seen: std::collections::HashMap<&str, u32, SeededState> =
        std::collections::HashMap::with_capacity_and_hasher(entries.len(), SeededState::default());
    for e in entries {
        if let Some(first) = seen.insert(key(e), e.line) {
            return Err(ParseError::at_line(
                e.line,
                format!("duplicate key `{}` (first at line {first})", key(e)),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// Our tree as JSON, with plain scalars typed by the YAML 1.2 core schema, to compare
    /// with serde-saphyr.
    fn to_json(node: NodeRef<'_, '_>) -> serde_json::Value {
        if node.is_null() {
            return serde_json::Value::Null;
        }
        if let Some(entries) = node.entries() {
            return serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_owned(), to_json(e.value)))
                    .collect(),
            );
        }
        if let Some(items) = node.items() {
            return serde_json::Value::Array(items.map(to_json).collect());
        }
        let text = node.as_str().unwrap();
        if node.is_plain() {
            match text {
                "true" | "True" | "TRUE" => return serde_json::Value::Bool(true),
                "false" | "False" | "FALSE" => return serde_json::Value::Bool(false),
                _ => {}
            }
            if let Ok(i) = text.parse::<i64>() {
                return serde_json::Value::from(i);
            }
            if text.bytes().any(|b| b.is_ascii_digit())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
                && let Ok(f) = text.parse::<f64>()
            {
                return serde_json::Value::from(f);
            }
        }
        serde_json::Value::String(text.to_owned())
    }

    fn single<'t, 'a>(tree: &'t Tree<'a>) -> NodeRef<'t, 'a> {
        assert_eq!(tree.documents().len(), 1);
        tree.documents().next().unwrap()
    }

    fn same_as_saphyr(input: &str) {
        let tree = parse(input).unwrap();
        let ours = to_json(single(&tree));
        let theirs: serde_json::Value = serde_saphyr::from_str(input).unwrap();
        assert_eq!(ours, theirs, "input:\n{input}");
    }

    #[test]
    fn reads_pnpm_shapes_like_saphyr() {
        same_as_saphyr(
            r#"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      '@typescript-eslint/types':
        specifier: ^5.0.0
        version: 5.62.0
      http-proxy-middleware@>=0.16.0 <3.0.6: ^3.0.6

packages:

  '@typescript-eslint/types@5.62.0':
    resolution: {integrity: sha512-87NVngcbVXUahrRTqIK27gD2t5Cu1yuCXxbLcFtCzZGlfyVWWh8mLHkoxzjsB6DDNnvdL+fW8MiwPEJyGJQDgQ==}
    engines: {node: ^12.22.0 || ^14.17.0 || >=16.0.0}
    cpu: [arm64, x64]
    bundledDependencies:
      - '@napi-rs/wasm-runtime'
      - tslib
    deprecated: |-
      This package has been deprecated.
      Use another.
    hasBin: true

  node@runtime:26.7.0:
    resolution:
      type: variations
      variants:
        - resolution:
            archive: tarball
            url: https://nodejs.org/x.tar.gz
          targets:
            - cpu: ppc64
              os: aix

snapshots:

  '@typescript-eslint/types@5.62.0': {}
"#,
        );
    }

    #[test]
    fn reads_berry_shapes_like_saphyr() {
        same_as_saphyr(
            r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@ws/ansi-regex@workspace:^, @ws/ansi-regex@workspace:ansi-regex":
  version: 0.0.0-use.local
  resolution: "@ws/ansi-regex@workspace:ansi-regex"
  dependencies:
    ansi-regex: "npm:^6.1.0"
  dependenciesMeta:
    "@nicolo-ribaudo/chokidar-2":
      optional: true
  conditions: os=darwin
  languageName: unknown
  linkType: soft
"#,
        );
    }

    #[test]
    fn reads_scalar_styles_like_saphyr() {
        same_as_saphyr(
            "a: 'it''s'\nb: \"tab\\tq\\\"\\u00e9\\x41\"\nc: ~\nd:\ne: null\nf: 1.10\ng: \"\"\n",
        );
        same_as_saphyr(
            "a: |\n  line1\n\n  line2\n\nb: >\n  folded\n  text\n\n  para\nc: |+\n  keep\n\n",
        );
        same_as_saphyr("a: >-\n  x\n    more\n  y\nb: |2\n    two\n");
        same_as_saphyr(
            "a: plain\n  continued\n\n  para\nb: 'single\n  folded'\nc: \"dq \\\n  joined\"\n",
        );
        same_as_saphyr("a: {x: 1, 'y': [1, 2, {z: q}], w: }\nb: [ ]\nc: {\n  m: nn,\n  o: p\n}\n");
        same_as_saphyr("- a\n- b: c\n  d: e\n-\n  - f\n- - g\n  - h\n");
        same_as_saphyr("key:\n- x\n- z\nother: 1 # comment\n");
        same_as_saphyr("url: https://a.b/c#frag\nx: a#b\n");
        same_as_saphyr("\u{feff}a: 1\r\nb:\r\n  c: d\r\n");
    }

    #[test]
    fn records_key_lines() {
        let tree = parse("a: 1\n\n# c\nb:\n  c: {d: e}\n").unwrap();
        let root = single(&tree);
        let entries = root.entries().unwrap();
        assert_eq!(entries.get(0).unwrap().line, 1);
        assert_eq!(entries.get(1).unwrap().line, 4);
        assert_eq!(root.get("b").unwrap().get("c").unwrap().line(), 5);
    }

    #[test]
    fn splits_documents() {
        let tree = parse("---\na: 1\n---\nb: 2\n...\n").unwrap();
        assert_eq!(tree.documents().len(), 2);
        assert_eq!(
            tree.documents().nth(1).unwrap().get("b").unwrap().as_str(),
            Some("2")
        );
        assert_eq!(parse("# only a comment\n").unwrap().documents().len(), 0);
        assert_eq!(parse("").unwrap().documents().len(), 0);
        assert_eq!(parse("---\n").unwrap().documents().len(), 1);
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        for (input, line) in [
            ("a: &x 1\n", 1),
            ("a: *x\n", 1),
            ("a: !!str 1\n", 1),
            ("%YAML 1.2\n---\na: 1\n", 1),
            ("? a\n: b\n", 1),
            ("a: 1\na: 2\n", 2),
            ("a:\n\tb: 1\n", 2),
            ("a: b: c\n", 1),
            ("a: 'open\n", 1),
            ("a: {b: 1\n", 1),
            ("a:\n  b: 1\n    c: 2\n", 3),
            ("a: 1\n b: 2\n", 2),
            ("a: [1, 2] x\n", 1),
            ("a: \"\\q\"\n", 1),
            ("a: b\rc: d\n", 1),
        ] {
            let err = parse(input).unwrap_err();
            assert_eq!(err.line, Some(line), "{input:?}: {err}");
        }
    }

    #[test]
    fn refuses_deep_nesting_without_overflowing_the_stack() {
        let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&flow).unwrap_err().message.contains("nesting"));
        let seq = "- ".repeat(50_000) + "x\n";
        assert!(parse(&seq).unwrap_err().message.contains("nesting"));
        let mut map = String::new();
        for i in 0..2_000 {
            map.push_str(&" ".repeat(i));
            map.push_str("k:\n");
        }
        assert!(parse(&map).unwrap_err().message.contains("nesting"));
        // Within the limit, nesting is fine.
        let ok = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
    }

    fn scalar_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            // saphyr reads YAML 1.1 booleans (`y`, `no`, `on`...); pnpm's js-yaml does not.
            "[a-z][a-z0-9@/._-]{0,12}".prop_filter("YAML 1.1 boolean", |s| {
                !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "y" | "n" | "yes" | "no" | "on" | "off"
                )
            }),
            "'[a-z :#@{}]{0,10}'",
            "\"[a-z :#@]{0,10}\"",
            Just("'5.4'".to_string()),
            Just("{integrity: sha512-abc==, tarball: https://x.y/z}".to_string()),
            Just("[arm64, x64]".to_string()),
            Just("{}".to_string()),
        ]
    }

    fn doc_strategy() -> impl Strategy<Value = String> {
        let leaf = || ("[a-z][a-z0-9@._-]{0,8}", scalar_strategy());
        proptest::collection::vec(
            (
                leaf(),
                proptest::collection::vec(leaf(), 0..4),
                any::<bool>(),
            ),
            1..6,
        )
        .prop_map(|items| {
            let mut out = String::new();
            for (i, ((k, v), children, blank)) in items.into_iter().enumerate() {
                if children.is_empty() {
                    out.push_str(&format!("k{i}{k}: {v}\n"));
                } else {
                    out.push_str(&format!("k{i}{k}:\n"));
                    for (j, (ck, cv)) in children.into_iter().enumerate() {
                        out.push_str(&format!("  c{j}{ck}: {cv}\n"));
                    }
                }
                if blank {
                    out.push('\n');
                }
            }
            out
        })
    }

    proptest! {
        #[test]
        fn agrees_with_saphyr_on_generated_documents(doc in doc_strategy()) {
            let tree = parse(&doc).unwrap();
            let ours = to_json(single(&tree));
            let theirs: serde_json::Value = serde_saphyr::from_str(&doc).unwrap();
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn never_panics(input in "[ -~\\n\\t\u{e9}]{0,200}") {
            let _ = parse(&input);
        }

        #[test]
        fn never_panics_on_yaml_like_text(input in "([ ]{0,4}(-|[a-z'\"{}\\[\\]]{1,4})?(: ?)?[a-z'\"|>#{},\\[\\]]{0,5}\\n){0,12}") {
            let _ = parse(&input);
        }
    }
}
