//! Other spellings of the same JSON value, as other serializers write them: insignificant
//! whitespace (RFC 8259 section 2), other string escapes (section 7) and numbers written as
//! text the runner chooses. The runner's own bodies are compact serde_json; servers meet these.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use serde_json::Value;

fn write_with<F: Formatter>(v: &Value, formatter: F) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serializing a Value into memory cannot fail.
    let _ = v.serialize(&mut ser);
    out
}

/// Pretty-printed with `indent` per level; with `crlf`, lines end in CR LF. Raw newlines never
/// occur inside JSON strings, so every LF is a line end.
pub fn pretty(v: &Value, indent: &[u8], crlf: bool) -> Vec<u8> {
    let text = write_with(v, PrettyFormatter::with_indent(indent));
    if !crlf {
        return text;
    }
    let mut out = Vec::with_capacity(text.len() + text.len() / 16);
    for b in text {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Python's `json.dumps` default: `", "` between items and `": "` after keys.
pub fn python(v: &Value) -> Vec<u8> {
    struct Spaced;
    /// The separator before an array item or object member.
    fn separator<W: ?Sized + io::Write>(w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
    impl Formatter for Spaced {
        fn begin_array_value<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            separator(w, first)
        }
        fn begin_object_key<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            separator(w, first)
        }
        fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
            w.write_all(b": ")
        }
    }
    write_with(v, Spaced)
}

/// Strings escaped as other encoders write them: `<`, `>` and `&` as `\u003c` and so on (Go's
/// encoding/json), every `/` as `\/`, and characters beyond the Basic Multilingual Plane as
/// UTF-16 surrogate pairs (JavaScript's and Java's ASCII-only encoders).
pub fn escaped(v: &Value) -> Vec<u8> {
    struct Escaping;
    impl Formatter for Escaping {
        fn write_string_fragment<W: ?Sized + io::Write>(
            &mut self,
            w: &mut W,
            fragment: &str,
        ) -> io::Result<()> {
            for c in fragment.chars() {
                match c {
                    '<' | '>' | '&' => write!(w, "\\u{:04x}", c as u32)?,
                    '/' => w.write_all(b"\\/")?,
                    c if (c as u32) > 0xFFFF => {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            write!(w, "\\u{unit:04x}")?;
                        }
                    }
                    c => {
                        let mut buf = [0u8; 4];
                        w.write_all(c.encode_utf8(&mut buf).as_bytes())?;
                    }
                }
            }
            Ok(())
        }
    }
    write_with(v, Escaping)
}

/// Compact JSON with the string `placeholder` (quotes included) replaced by the raw `number`
/// text, so a number goes out exactly as written.
pub fn with_number(v: &Value, placeholder: &str, number: &str) -> Vec<u8> {
    let text = write_with(v, CompactFormatter);
    let quoted = format!("\"{placeholder}\"");
    String::from_utf8_lossy(&text)
        .replace(&quoted, number)
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_spelling_parses_back_to_the_same_value() {
        let v = json!({"a": [1, {"b": "x/y <z> & \u{1F680}"}], "c": null});
        for text in [
            pretty(&v, b"  ", false),
            pretty(&v, b"\t", true),
            python(&v),
            escaped(&v),
        ] {
            let back: Value = serde_json::from_slice(&text).expect("valid JSON");
            assert_eq!(back, v, "{}", String::from_utf8_lossy(&text));
        }
        assert_eq!(
            String::from_utf8_lossy(&escaped(&json!("a/<\u{1F680}"))),
            r#""a\/\u003c\ud83d\ude80""#
        );
        assert_eq!(
            String::from_utf8_lossy(&python(&json!({"a": [1, 2], "b": 3}))),
            r#"{"a": [1, 2], "b": 3}"#
        );
        assert!(pretty(&v, b"\t", true).windows(3).any(|w| w == b"\r\n\t"));
        assert_eq!(
            with_number(&json!({"n": "__N__"}), "__N__", "1e3"),
            br#"{"n":1e3}"#.to_vec()
        );
    }
}
