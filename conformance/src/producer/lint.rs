//! `lint`: the producer checks over recorded streams, such as the files the Python client's
//! file transport writes. Each file holds JSON lines, JSON arrays of events, or whole JSON
//! values one after another; `-` is stdin.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::value::RawValue;

use super::{ProducerReport, Stream};
use crate::expectations::Expectations;
use crate::Error;

/// The events of one file: `(line, JSON text)` in order, arrays flattened into their
/// elements. Text that is not JSON is an error naming the file and line.
pub fn read_events<'a>(name: &str, text: &'a str) -> Result<Vec<(usize, &'a str)>, Error> {
    let mut lines = LineCounter::new(text);
    let mut out = Vec::new();
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    loop {
        let before = values.byte_offset();
        let raw = match values.next() {
            None => break,
            Some(Ok(raw)) => raw,
            // A value cut short is reported where it starts, other errors where they are.
            Some(Err(e)) if e.is_eof() => {
                let rest = &text[before..];
                let start = &rest[rest.len() - rest.trim_start().len()..];
                return Err(Error::Input(format!(
                    "{name}:{}: not JSON: the value starting here is cut short ({e})",
                    lines.line_of(start)
                )));
            }
            Some(Err(e)) => {
                return Err(Error::Input(format!("{name}:{}: not JSON: {e}", e.line())))
            }
        };
        let body = raw.get();
        if body.starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(body).map_err(|e| {
                Error::Input(format!("{name}:{}: not JSON: {e}", lines.line_of(body)))
            })?;
            for item in items {
                out.push((lines.line_of(item.get()), item.get()));
            }
        } else {
            out.push((lines.line_of(body), body));
        }
    }
    Ok(out)
}

/// Line numbers of slices of one text, counted forwards once.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line `slice` (a part of the text, at or after the previous one) starts on.
    fn line_of(&mut self, slice: &str) -> usize {
        let at = (slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let at = at.min(self.text.len()).max(self.offset);
        self.line += self.text.as_bytes()[self.offset..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = at;
        self.line
    }
}

/// Reads `path` (`-` is stdin) as text, naming it in errors.
pub fn read_input(path: &PathBuf) -> Result<(String, String), Error> {
    let name = path.display().to_string();
    let mut text = String::new();
    if name == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::io("cannot read stdin", e))?;
        return Ok(("<stdin>".into(), text));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::Input(format!("{name}: not UTF-8 text: {e}")))?;
    Ok((name, text))
}

/// Checks the events of `files`, in order, as one stream.
pub fn lint(
    files: &[PathBuf],
    strict: bool,
    expectations: Option<&Expectations>,
) -> Result<ProducerReport, Error> {
    let started = Instant::now();
    let mut stream = Stream::new();
    let mut names = Vec::new();
    for path in files {
        let (name, text) = read_input(path)?;
        let events = read_events(&name, &text)?;
        if events.is_empty() {
            return Err(Error::Input(format!("{name}: no events")));
        }
        for (line, body) in events {
            stream.push(format!("{name}:{line}"), body);
        }
        names.push(name);
    }
    Ok(ProducerReport::new(
        stream,
        names.join(", "),
        0,
        started.elapsed(),
        strict,
        expectations,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_arrays_and_pretty_values_keep_their_line_numbers() {
        let text = "{\"a\":1}\n\n[{\"b\":2},\n {\"c\":3}]\n{\n  \"d\": 4\n}\n";
        let events = read_events("f", text).expect("reads");
        assert_eq!(
            events,
            vec![
                (1, "{\"a\":1}"),
                (3, "{\"b\":2}"),
                (4, "{\"c\":3}"),
                (5, "{\n  \"d\": 4\n}")
            ]
        );
    }

    #[test]
    fn bad_json_names_the_file_and_line() {
        let err = read_events("events.jsonl", "{\"a\":1}\n{\"b\":\n\n").unwrap_err();
        assert!(
            err.to_string().starts_with("events.jsonl:2: not JSON"),
            "{err}"
        );
        let err = read_events("events.jsonl", "{\"a\":1}\n{oops}\n").unwrap_err();
        assert!(
            err.to_string().starts_with("events.jsonl:2: not JSON"),
            "{err}"
        );
    }
}
