//! The JSON pointer of the place a parse error names by line and column.
//!
//! A failed parse is located from the error's position in the text, by one scan that keeps the
//! path of keys and indices it is in. Tracking the path while deserializing
//! (`serde_path_to_error`) instantiated every generated visitor a second time for the tracking
//! deserializer, about a quarter of this crate's machine code, for the error path alone.

use super::escape;

/// The pointer of the value a failed parse of `text` broke at.
///
/// Errors serde raises with no position of their own (a missing, null or repeated field) are
/// placed by serde_json where the object holding the field stopped being read: past its `}`, or
/// just after the field's value when it stopped in the middle. The message names the field, so
/// the pointer ends at the field for a missing or null one and at the object for a repeated one,
/// wherever the object stopped.
pub(super) fn error_pointer(text: &str, error: &serde_json::Error) -> String {
    let Some(offset) = error_offset(text, error) else {
        return String::new();
    };
    let offset = offset.min(text.len());
    let stack = scan(text, offset);
    let mut pointer = pointer_of(&stack);
    let closed = text.as_bytes()[..offset]
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        == Some(&b'}');
    let message = error.to_string();
    let field = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|field| format!("/{}", escape(field)))
    };
    if let Some(field) = field("missing field `") {
        pointer.push_str(&field);
    } else if let Some(field) = message.strip_prefix('`').and_then(|rest| {
        let (field, rest) = rest.split_once('`')?;
        rest.starts_with(" is null")
            .then(|| format!("/{}", escape(field)))
    }) {
        if closed {
            pointer.push_str(&field);
        }
    } else if let Some(field) = field("duplicate field `") {
        // Inside or just after a member's value (rather than after a key or between members).
        let in_member = matches!(stack.last(), Some(Frame::Object { in_value: true, .. }));
        if !closed && pointer.ends_with(&field) && in_member {
            pointer.truncate(pointer.len() - field.len());
        }
    }
    pointer
}

/// The pointer of the innermost value a [`scan`] ended in (the one that holds its offset or
/// ends there); empty at the top level or past the end of the top value.
fn pointer_of(stack: &[Frame]) -> String {
    let mut pointer = String::new();
    for frame in stack {
        match frame {
            Frame::Object {
                key: Some(key),
                in_value: true,
            } => {
                pointer.push('/');
                pointer.push_str(&escape(key));
            }
            Frame::Object { .. } => break,
            Frame::Array { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
        }
    }
    pointer
}

/// The objects and arrays byte `offset` of `text` is inside, outermost first.
fn scan(text: &str, offset: usize) -> Vec<Frame> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset.min(bytes.len()) {
        match bytes[i] {
            b'{' => {
                stack.push(Frame::Object {
                    key: None,
                    in_value: false,
                });
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b':' => {
                if let Some(Frame::Object { in_value, .. }) = stack.last_mut() {
                    *in_value = true;
                }
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { key, in_value }) => {
                        *key = None;
                        *in_value = false;
                    }
                    Some(Frame::Array { index }) => *index += 1,
                    None => {}
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i);
                if let Some(Frame::Object {
                    key: key @ None,
                    in_value: false,
                }) = stack.last_mut()
                {
                    // A key is read whole even when the position falls inside it: the pointer
                    // names it only once its value has begun.
                    let raw = text.get(i..end).unwrap_or_default();
                    *key = Some(serde_json::from_str::<String>(raw).unwrap_or_default());
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    stack
}

/// The byte offset `error` points at in `text`, or `None` when it has no position.
///
/// serde_json counts lines from 1 and columns as bytes since the line's start. Data errors
/// (a wrong type, a missing field) sit at the first byte not yet read; syntax errors (here only
/// `expected value`, for an enum given an array or object, as the text already parsed) sit one
/// past a byte only peeked at, so they step back onto it.
fn error_offset(text: &str, error: &serde_json::Error) -> Option<usize> {
    let (line, column) = (error.line(), error.column());
    if line == 0 {
        return None;
    }
    let start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let peeked = usize::from(error.classify() == serde_json::error::Category::Syntax);
    Some((start + column).saturating_sub(peeked))
}

/// An object or array the scan is inside.
enum Frame {
    /// The key being read or whose value is being read, and whether its value has begun.
    Object { key: Option<String>, in_value: bool },
    /// The index of the element being read.
    Array { index: usize },
}

/// The offset just past the string that opens at `start` (past the end of `bytes` if it is
/// not closed).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, offset: usize) -> String {
        pointer_of(&scan(text, offset))
    }

    #[test]
    fn names_the_innermost_value_at_or_ending_at_the_offset() {
        let text = r#"{"a": {"b/c": [1, {"d": true}], "e": "x\"}"}, "f": 2}"#;
        let pos = |needle: &str| text.find(needle).expect("in text");
        assert_eq!(at(text, 0), "");
        // Inside and at the end of a scalar.
        assert_eq!(at(text, pos("1,") + 1), "/a/b~1c/0");
        assert_eq!(at(text, pos("true") + 4), "/a/b~1c/1/d");
        // Just after an object closes: that object.
        assert_eq!(at(text, pos("}]") + 1), "/a/b~1c/1");
        // After a key, before its value: the object holding it.
        assert_eq!(at(text, pos(r#""e""#) + 3), "/a");
        // At the start of a value not yet read (a peeked type error).
        assert_eq!(at(text, pos(r#""x\"#)), "/a/e");
        // An escaped quote inside a string does not end it.
        assert_eq!(at(text, pos(r#"\"}"}"#) + 3), "/a/e");
        assert_eq!(at(text, pos("2}") + 1), "/f");
        assert_eq!(at(text, text.len()), "");
        assert_eq!(at(text, text.len() + 5), "");
    }

    #[test]
    fn escaped_keys_are_decoded() {
        let text = r#"{"\u0061~": 1}"#;
        assert_eq!(at(text, text.len() - 1), "/a~0");
    }

    #[test]
    fn offsets_count_lines_and_columns_as_serde_json_does() {
        // A data error: at the first byte not read, here just past the number read to name it.
        let text = "{\n  \"a\": 5\n}";
        let err = serde_json::from_str::<std::collections::BTreeMap<String, String>>(text)
            .expect_err("a number is not a string");
        let offset = error_offset(text, &err).expect("a position");
        assert_eq!(&text[offset - 1..=offset], "5\n");
        assert_eq!(at(text, offset), "/a");
        // A syntax error: one past the byte peeked at, stepped back onto it.
        let text = "{\n  \"a\": x\n}";
        let err = serde_json::from_str::<serde_json::Value>(text).expect_err("not JSON");
        let offset = error_offset(text, &err).expect("a position");
        assert_eq!(&text[offset..=offset], "x");
        assert_eq!(at(text, offset), "/a");
        let no_position = <serde_json::Error as serde::de::Error>::custom("no position");
        assert_eq!(error_offset(text, &no_position), None);
    }
}
