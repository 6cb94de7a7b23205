//! A serializer with exactly the output of `serde_json::to_writer_pretty` (two-space
//! indentation, `serde_json`'s escapes), written for speed on reports that are mostly strings:
//! a string is copied whole when nothing in it needs escaping, found eight bytes at a time,
//! where `serde_json` looks up every byte in a table (half the time of a large inventory's
//! JSON). Numbers other than integers are left to `serde_json`, and the tests compare the two
//! on generated documents.

use std::fmt::Display;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Writes `value` as pretty JSON, as if nested `level` deep (its closing lines indented by
/// `level` steps), without a final newline.
pub(super) fn write<W: Write, T: Serialize + ?Sized>(
    w: &mut W,
    value: &T,
    level: usize,
) -> io::Result<()> {
    value
        .serialize(&mut Serializer { w, level })
        .map_err(|e| e.0)
}

/// An I/O error, or a value JSON cannot hold (a map key that is not a string).
#[derive(Debug)]
pub(super) struct Error(io::Error);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Self(io::Error::other(msg.to_string()))
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self(e)
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

/// A newline followed by enough spaces for any nesting we produce; deeper levels fall back
/// to writing in pieces.
const NEWLINE_INDENT: &[u8] = b"\n                                                                ";

/// A newline and the indentation of `level`.
pub(super) fn newline_indent<W: ?Sized + Write>(w: &mut W, level: usize) -> io::Result<()> {
    let n = level * 2 + 1;
    if n <= NEWLINE_INDENT.len() {
        w.write_all(&NEWLINE_INDENT[..n])
    } else {
        w.write_all(b"\n")?;
        for _ in 0..level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// True when one of the eight bytes of `x` needs escaping (below 0x20, `"` or `\`): the
/// "has a byte less than n" and "has a zero byte" word tricks, exact for n <= 128.
#[inline]
fn word_needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = x.wrapping_sub(ONES * 0x20) & !x;
    let quote = x ^ (ONES * u64::from(b'"'));
    let backslash = x ^ (ONES * u64::from(b'\\'));
    (below | (quote.wrapping_sub(ONES) & !quote) | (backslash.wrapping_sub(ONES) & !backslash))
        & HIGH
        != 0
}

/// True when no byte of `bytes` needs escaping, looked at eight bytes at a time.
#[inline]
fn clean(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if <[u8; 8]>::try_from(word).is_ok_and(|w| word_needs_escape(u64::from_le_bytes(w))) {
            return false;
        }
    }
    let rest = words.remainder();
    let mut last = [b'a'; 8];
    last[..rest.len()].copy_from_slice(rest);
    !word_needs_escape(u64::from_le_bytes(last))
}

/// `s` as a JSON string, escaped as `serde_json` escapes.
fn write_str<W: ?Sized + Write>(w: &mut W, s: &str) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    w.write_all(b"\"")?;
    if clean(bytes) {
        w.write_all(bytes)?;
        return w.write_all(b"\"");
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        w.write_all(&bytes[start..i])?;
        match b {
            b'"' => w.write_all(b"\\\"")?,
            b'\\' => w.write_all(b"\\\\")?,
            0x08 => w.write_all(b"\\b")?,
            0x09 => w.write_all(b"\\t")?,
            0x0a => w.write_all(b"\\n")?,
            0x0c => w.write_all(b"\\f")?,
            0x0d => w.write_all(b"\\r")?,
            _ => w.write_all(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ])?,
        }
        start = i + 1;
    }
    w.write_all(&bytes[start..])?;
    w.write_all(b"\"")
}

/// `serialize_i8` to `serialize_u128`, each writing through `self.int`.
macro_rules! integers {
    () => {
        integers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
            serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
            serialize_u64: u64, serialize_u128: u128);
    };
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result {
            self.int(v)
        }
    )*};
}

struct Serializer<'w, W> {
    w: &'w mut W,
    /// The nesting of the value being written.
    level: usize,
}

impl<W: Write> Serializer<'_, W> {
    fn int(&mut self, v: impl itoa::Integer) -> Result {
        self.w.write_all(itoa::Buffer::new().format(v).as_bytes())?;
        Ok(())
    }

    /// Opens an array or object.
    fn open(
        &mut self,
        bracket: &'static [u8; 1],
        close: &'static [u8; 1],
    ) -> Result<Compound<'_, W>> {
        self.w.write_all(bracket)?;
        Ok(Compound {
            ser: Serializer {
                w: &mut *self.w,
                level: self.level + 1,
            },
            close,
            first: true,
            variant: false,
        })
    }

    /// `{"variant": ` before an enum variant's content.
    fn open_variant(&mut self, variant: &str) -> Result {
        self.w.write_all(b"{")?;
        newline_indent(self.w, self.level + 1)?;
        write_str(self.w, variant)?;
        self.w.write_all(b": ")?;
        self.level += 1;
        Ok(())
    }
}

/// An array or object being written.
struct Compound<'a, W> {
    ser: Serializer<'a, W>,
    close: &'static [u8; 1],
    first: bool,
    /// Also close the `{"variant": ...}` around it.
    variant: bool,
}

impl<W: Write> Compound<'_, W> {
    /// The separator and indentation before an element or key.
    fn next(&mut self) -> Result {
        if !self.first {
            self.ser.w.write_all(b",")?;
        }
        self.first = false;
        newline_indent(self.ser.w, self.ser.level)?;
        Ok(())
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.next()?;
        value.serialize(&mut Serializer {
            w: &mut *self.ser.w,
            level: self.ser.level,
        })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        self.next()?;
        write_str(self.ser.w, key)?;
        self.ser.w.write_all(b": ")?;
        value.serialize(&mut Serializer {
            w: &mut *self.ser.w,
            level: self.ser.level,
        })
    }

    fn finish(self) -> Result {
        let level = self.ser.level - 1;
        if !self.first {
            newline_indent(self.ser.w, level)?;
        }
        self.ser.w.write_all(self.close)?;
        if self.variant {
            newline_indent(self.ser.w, level - 1)?;
            self.ser.w.write_all(b"}")?;
        }
        Ok(())
    }
}

impl<'s, 'w, W: Write> ser::Serializer for &'s mut Serializer<'w, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, W>;
    type SerializeTuple = Compound<'s, W>;
    type SerializeTupleStruct = Compound<'s, W>;
    type SerializeTupleVariant = Compound<'s, W>;
    type SerializeMap = Compound<'s, W>;
    type SerializeStruct = Compound<'s, W>;
    type SerializeStructVariant = Compound<'s, W>;

    fn serialize_bool(self, v: bool) -> Result {
        self.w.write_all(if v { b"true" } else { b"false" })?;
        Ok(())
    }
    integers!();
    fn serialize_f32(self, v: f32) -> Result {
        serde_json::to_writer(&mut *self.w, &v).map_err(|e| Error(e.into()))
    }
    fn serialize_f64(self, v: f64) -> Result {
        serde_json::to_writer(&mut *self.w, &v).map_err(|e| Error(e.into()))
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        write_str(self.w, v)?;
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        use ser::SerializeSeq as _;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.w.write_all(b"null")?;
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.open_variant(variant)?;
        value.serialize(&mut *self)?;
        self.level -= 1;
        newline_indent(self.w, self.level)?;
        self.w.write_all(b"}")?;
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        self.open(b"[", b"]")
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        self.open_variant(variant)?;
        let mut c = self.open(b"[", b"]")?;
        c.variant = true;
        Ok(c)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        self.open(b"{", b"}")
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        self.open(b"{", b"}")
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        self.open_variant(variant)?;
        let mut c = self.open(b"{", b"}")?;
        c.variant = true;
        Ok(c)
    }
}

/// The compound traits that add an element (arrays) or a field (objects), all alike here.
macro_rules! compound {
    ($($trait:ident::$method:ident($($key:ident: $key_ty:ty)?) => $how:ident;)*) => {$(
        impl<W: Write> ser::$trait for Compound<'_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, $($key: $key_ty,)? value: &T) -> Result {
                self.$how($($key,)? value)
            }
            fn end(self) -> Result {
                self.finish()
            }
        }
    )*};
}

compound! {
    SerializeSeq::serialize_element() => element;
    SerializeTuple::serialize_element() => element;
    SerializeTupleStruct::serialize_field() => element;
    SerializeTupleVariant::serialize_field() => element;
    SerializeStruct::serialize_field(key: &'static str) => field;
    SerializeStructVariant::serialize_field(key: &'static str) => field;
}

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.next()?;
        key.serialize(MapKey {
            w: &mut *self.ser.w,
        })?;
        self.ser.w.write_all(b": ")?;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut Serializer {
            w: &mut *self.ser.w,
            level: self.ser.level,
        })
    }
    fn end(self) -> Result {
        self.finish()
    }
}

/// A map key: strings, and what `serde_json` quotes into one (integers, booleans, chars, unit
/// variants).
struct MapKey<'a, W> {
    w: &'a mut W,
}

fn key_must_be_a_string() -> Error {
    Error(io::Error::other("key must be a string"))
}

impl<W: Write> MapKey<'_, W> {
    fn quoted(self, text: &[u8]) -> Result {
        self.w.write_all(b"\"")?;
        self.w.write_all(text)?;
        self.w.write_all(b"\"")?;
        Ok(())
    }

    fn int(self, v: impl itoa::Integer) -> Result {
        self.quoted(itoa::Buffer::new().format(v).as_bytes())
    }
}

impl<W: Write> ser::Serializer for MapKey<'_, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result {
        write_str(self.w, v)?;
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.quoted(if v { b"true" } else { b"false" })
    }
    integers!();
    fn serialize_f32(self, _v: f32) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn ours<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        write(&mut out, value, 0).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn theirs<T: Serialize + ?Sized>(value: &T) -> String {
        serde_json::to_string_pretty(value).unwrap()
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        Newtype(u8),
        NewtypeMap(BTreeMap<String, Vec<u8>>),
        Tuple(i32, String),
        EmptyTuple(),
        Struct { a: Option<u8>, b: Vec<E> },
        EmptyStruct {},
    }

    #[derive(Serialize)]
    struct S<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        unit: (),
        tuple: (u8, char, bool),
        bytes: &'a [u8],
        keys: BTreeMap<u32, &'a str>,
        enums: Vec<E>,
        float: f64,
        nan: f64,
        wrapped: Wrapped,
    }

    #[derive(Serialize)]
    struct Wrapped(i64);

    #[test]
    fn writes_what_serde_json_writes_for_every_shape() {
        let s = S {
            name: "a\"b\\c\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}é \u{2028} long enough to take the fast path twice over",
            skipped: None,
            unit: (),
            tuple: (1, 'x', false),
            bytes: &[0, 255],
            keys: [(1, "one"), (20, "")].into_iter().collect(),
            enums: vec![
                E::Unit,
                E::Newtype(3),
                E::NewtypeMap(BTreeMap::new()),
                E::NewtypeMap([("k".to_owned(), vec![])].into_iter().collect()),
                E::Tuple(-4, String::new()),
                E::EmptyTuple(),
                E::Struct {
                    a: Some(1),
                    b: vec![E::Struct { a: None, b: vec![] }, E::EmptyStruct {}],
                },
                E::EmptyStruct {},
            ],
            float: -1.5e300,
            nan: f64::NAN,
            wrapped: Wrapped(i64::MIN),
        };
        assert_eq!(ours(&s), theirs(&s));
        let bool_keys: BTreeMap<bool, u8> = [(true, 1), (false, 0)].into_iter().collect();
        assert_eq!(ours(&bool_keys), theirs(&bool_keys));
        let empty: Vec<u8> = Vec::new();
        assert_eq!(ours(&empty), theirs(&empty));
        let float_keys: BTreeMap<String, f32> = [("x".to_owned(), 0.1)].into_iter().collect();
        assert_eq!(ours(&float_keys), theirs(&float_keys));
    }

    #[test]
    fn finds_every_byte_that_needs_escaping_in_a_word() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                assert_eq!(
                    word_needs_escape(u64::from_le_bytes(word)),
                    needs_escape(b),
                    "byte {b:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn refuses_keys_json_cannot_hold() {
        let map: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
        let mut out = Vec::new();
        assert!(write(&mut out, &map, 0).is_err());
    }

    #[test]
    fn indents_from_the_level_given() {
        let v = serde_json::json!({"a": [1, {}], "b": {"c": "d"}});
        let mut out = Vec::new();
        write(&mut out, &v, 2).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Each line after the first is indented two more steps than serde_json's.
        let expected: Vec<String> = theirs(&v)
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    l.to_owned()
                } else {
                    format!("    {l}")
                }
            })
            .collect();
        assert_eq!(text, expected.join("\n"));
    }

    fn value_strategy() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::String),
            "[ -~\\x00-\\x1f\"\\\\é]{0,40}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-z\"\\\\\\x01é]{0,6}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn writes_what_serde_json_writes(value in value_strategy()) {
            prop_assert_eq!(ours(&value), theirs(&value));
        }
    }
}
