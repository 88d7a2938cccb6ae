//! JSON text helpers for numbers written with an exponent, which serde_json's parser respells.
//!
//! serde_json (with `arbitrary_precision`) keeps a number's digits, but its parser writes every
//! exponent as `e` with a sign before any visitor sees it (`1e3` becomes `1e+3`, `1E+2` `1e+2`).
//! Its writer, on the other hand, writes a number's text verbatim. So where text with an exponent
//! is read, the crate captures the value's raw text and builds the value from it
//! ([`exact_value`]); [`has_exponent`] is the cheap scan that keeps every other text on the
//! ordinary parse.

use std::cell::Cell;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused, as serde_json's own parser refuses it.
const DEPTH_LIMIT: usize = 128;

/// Bytes looked at together by [`has_exponent`]: a chunk without a digit followed by `e` or `E`
/// and then a digit or sign is passed over with no branch per byte.
const CHUNK: usize = 64;

/// Whether `text` has a number written with an exponent outside strings.
///
/// Strings are full of digits followed by `e` (UUIDs, hashes), and `true`/`false` hold an `e`
/// too: a digit followed by `e` or `E` (and a digit or sign, as JSON's grammar has it) counts
/// only when the digits before it start a number token (after `:`, `,`, `[`, whitespace or at
/// the start) and, counting quotes from the start, it is outside a string. Text that is not
/// JSON may give either answer.
pub(crate) fn has_exponent(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut quotes = Quotes::default();
    let mut start = 0;
    // Chunk by chunk: a digit at `start + k` (k below CHUNK), `e` after it, a sign or digit
    // after that, so each window holds two bytes more than its chunk.
    while start + 1 < bytes.len() {
        let end = (start + CHUNK + 2).min(bytes.len());
        let window = &bytes[start..end];
        let candidate = match <&[u8; CHUNK + 2]>::try_from(window) {
            Ok(window) => exponent_like(window),
            // The last, shorter window is padded with spaces (neither digit, `e` nor sign), so
            // it is looked at the same way rather than byte by byte.
            Err(_) => {
                let mut padded = [b' '; CHUNK + 2];
                padded[..window.len()].copy_from_slice(window);
                exponent_like(&padded)
            }
        };
        if candidate {
            for i in start + 1..(start + CHUNK + 1).min(bytes.len()) {
                if bytes[i] | 0x20 == b'e'
                    && bytes[i - 1].is_ascii_digit()
                    && starts_number(bytes, i - 1)
                    && !quotes.inside_at(bytes, i)
                {
                    return true;
                }
            }
        }
        start += CHUNK;
    }
    false
}

/// Whether a digit is followed by `e` or `E` and then a digit or sign in `window`. A fixed
/// length and no early exit let the compiler vectorise it; the third byte leaves out most of
/// the pairs in strings (`\u` escapes, UUIDs), which the caller would look at byte by byte.
/// Indexing with constant bounds (rather than zipping three slices, whose lengths the iterator
/// computes at run time) and inlining it keep the loop free of calls and length checks: zipped,
/// it ran at about 2 GB/s and took a tenth of the typed parse of generated events.
#[inline(always)]
fn exponent_like(window: &[u8; CHUNK + 2]) -> bool {
    let mut hit = 0u8;
    for i in 0..CHUNK {
        let (x, y, z) = (window[i], window[i + 1], window[i + 2]);
        let digit = u8::from(x.wrapping_sub(b'0') < 10);
        let e = u8::from(y | 0x20 == b'e');
        let after = u8::from(z.wrapping_sub(b'0') < 10) | u8::from(z == b'+') | u8::from(z == b'-');
        hit |= digit & e & after;
    }
    hit != 0
}

/// Whether the digits ending at `last` are the mantissa of a number token: what precedes them
/// (digits, `.`, `-`) is preceded in turn by a byte that can come before a JSON value.
fn starts_number(bytes: &[u8], last: usize) -> bool {
    let mut i = last;
    loop {
        match bytes[i] {
            b'0'..=b'9' | b'.' | b'-' if i > 0 => i -= 1,
            b'0'..=b'9' | b'.' | b'-' => return true,
            b':' | b',' | b'[' | b' ' | b'\t' | b'\n' | b'\r' => return true,
            _ => return false,
        }
    }
}

/// Unescaped quotes counted from the start of the text, up to `next`; positions are asked in
/// increasing order, so the whole scan is one pass however many positions are asked.
#[derive(Default)]
struct Quotes {
    next: usize,
    inside: bool,
}

impl Quotes {
    /// Whether byte `at` (not before the last position asked) is inside a string.
    fn inside_at(&mut self, bytes: &[u8], at: usize) -> bool {
        while self.next < at {
            match bytes[self.next] {
                b'"' => self.inside = !self.inside,
                b'\\' if self.inside => self.next += 1,
                _ => {}
            }
            self.next += 1;
        }
        self.inside
    }
}

/// Parses `text` as a [`Value`] whose numbers keep the text they were written with, exponents
/// included. Objects keep the last of repeated keys, as [`Value`] does.
pub(crate) fn exact_value(text: &str) -> serde_json::Result<Value> {
    let raw: &RawValue = serde_json::from_str(text)?;
    exact(raw.get(), 0)
}

/// [`exact_value`] when `text` has an exponent, else the ordinary parse (the same value).
pub(crate) fn value_from_text(text: &str) -> serde_json::Result<Value> {
    if has_exponent(text) {
        exact_value(text)
    } else {
        serde_json::from_str(text)
    }
}

/// `value` as a [`Value`] with its numbers as `serde_json::to_string` writes them (exponents
/// as written) while this thread captures text; `serde_json::to_value` respells them.
pub(crate) fn to_value_as_written<T: serde::Serialize>(value: &T) -> serde_json::Result<Value> {
    if capturing() {
        value_from_text(&serde_json::to_string(value)?)
    } else {
        serde_json::to_value(value)
    }
}

/// Builds the value of `text`, one well-formed JSON value without surrounding whitespace.
fn exact(text: &str, depth: usize) -> serde_json::Result<Value> {
    if depth > DEPTH_LIMIT {
        return Err(serde::de::Error::custom("recursion limit exceeded"));
    }
    match text.as_bytes().first() {
        Some(b'{') => {
            let mut de = serde_json::Deserializer::from_str(text);
            de.deserialize_map(ObjectVisitor { depth })
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            let items = items.iter().map(|raw| exact(raw.get(), depth + 1));
            items.collect::<serde_json::Result<_>>().map(Value::Array)
        }
        // serde_json wrote this text as one number token, so it is a valid JSON number.
        Some(b'-' | b'0'..=b'9') => Ok(Value::Number(number_from_text(text))),
        _ => serde_json::from_str(text),
    }
}

/// A number holding `text` as its digits; `text` must be one JSON number.
pub(crate) fn number_from_text(text: &str) -> Number {
    // The one constructor that sets a number's text without respelling it (serde_json's writer
    // then writes it as it is). serde_json hides it from its docs as meant for its tests, so the
    // lock file pins the version and this crate's round trip tests fail if it ever changes.
    Number::from_string_unchecked(text.to_owned())
}

struct ObjectVisitor {
    depth: usize,
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let raw: &RawValue = map.next_value()?;
            let value = exact(raw.get(), self.depth + 1).map_err(serde::de::Error::custom)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

thread_local! {
    /// False while this thread parses text known to have no exponent, so numbers and unknown
    /// fields are read the ordinary way (one pass); true otherwise.
    static CAPTURE: Cell<bool> = const { Cell::new(true) };
}

/// Runs `parse` with text capture on or off; the previous setting comes back afterwards.
pub(crate) fn with_capture<R>(capture: bool, parse: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            CAPTURE.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(CAPTURE.with(|c| c.replace(capture)));
    parse()
}

/// Whether values should be read through their raw text on this thread now.
pub(crate) fn capturing() -> bool {
    CAPTURE.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_are_found_only_in_numbers() {
        for (text, expected) in [
            ("1e3", true),
            ("1E-2", true),
            ("-1.5e+10", true),
            (" 1e3 ", true),
            ("[1,\n\t2E5]", true),
            (r#"{"a": 2e0}"#, true),
            (r#"{"a":[[[-0.0e1]]]}"#, true),
            (r#"{"a":"1e3"}"#, false),
            (r#"{"a":"x 1e3","b":1}"#, false),
            (r#"{"a":"\"1e3","b":1}"#, false),
            (r#"{"a":"\\","b":1e3}"#, true),
            (r#"{"a":"\\\"","b":1e3}"#, true),
            (r#"{"a":"\\\" 1e3"}"#, false),
            (r#"{"runId":"0190d5a4-7c6c-7b8e-9f00-00000000000e"}"#, false),
            (r#"{"a":true,"b":false,"c":null}"#, false),
            ("[true,false]", false),
            ("-0", false),
            ("1000.0", false),
            ("123456789012345678901234567891", false),
            ("", false),
            ("e", false),
            ("1", false),
        ] {
            assert_eq!(has_exponent(text), expected, "{text}");
        }
    }

    #[test]
    fn exponents_past_a_chunk_boundary_are_found() {
        for pad in 0..2 * CHUNK {
            let text = format!(r#"{{"k":"{}","n":1e5}}"#, "x".repeat(pad));
            assert!(has_exponent(&text), "{pad}");
            let text = format!(r#"{{"k":"{}1e5"}}"#, "x".repeat(pad));
            assert!(!has_exponent(&text), "{pad}");
        }
    }

    #[test]
    fn exact_values_keep_every_number_as_written() {
        for text in [
            "1e3",
            "1E+2",
            "1E-2",
            "-0",
            "1000.0",
            "1e400",
            "123456789012345678901234567891",
            r#"{"a":[1e3,{"b":-2.5E-7}],"c":"1e3","d":true,"e":null}"#,
            r#"[[[1e1],[]],{}]"#,
        ] {
            let value = exact_value(text).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
        }
        // Whitespace around numbers is not part of them.
        let value = exact_value(" [ 1e3 , {\"a\" : 2E5 } ] ").unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#"[1e3,{"a":2E5}]"#);
        // A repeated key keeps the last value, as `Value` does.
        let value = exact_value(r#"{"a":1e1,"a":2e2}"#).unwrap();
        assert_eq!(value["a"].to_string(), "2e2");
        // Without an exponent the value is the ordinary one.
        let text = r#"{"a":[1,2.50,-0,"x"],"b":{"c":false}}"#;
        assert_eq!(
            exact_value(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn exact_values_refuse_what_is_not_json() {
        for text in ["", "1e", "[1e3", r#"{"a":1e3"#, "01", "1e3 x"] {
            assert!(exact_value(text).is_err(), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = exact_value(&deep).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
    }
}
