//! `run --save-requests`: every request the run sends, as JSON lines, so the exact traffic can
//! be replayed with other tools (a load generator, a debugger) or attached to a bug report.
//!
//! One object per line: `method`, `url`, `headers` (name and value pairs, secret values
//! redacted), and the body exactly as sent, as `body` when it is UTF-8 text and as
//! `body_base64` otherwise (invalid-UTF-8 cases, gzip).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::Error;

/// One saved request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRequest {
    /// Always `POST`.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers in the order sent; secret values read `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The body, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body in standard base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

impl SavedRequest {
    /// A request as it goes on the wire.
    pub fn new(url: &str, headers: Vec<(String, String)>, body: &[u8]) -> Self {
        let (body, body_base64) = match std::str::from_utf8(body) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(body)),
            ),
        };
        SavedRequest {
            method: "POST".into(),
            url: url.into(),
            headers,
            body,
            body_base64,
        }
    }

    /// The body bytes, whichever way they were saved.
    pub fn body_bytes(&self) -> Result<Vec<u8>, Error> {
        match (&self.body, &self.body_base64) {
            (Some(text), None) => Ok(text.as_bytes().to_vec()),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| Error::Input(format!("body_base64 is not base64: {e}"))),
            (None, None) => Ok(Vec::new()),
            (Some(_), Some(_)) => Err(Error::Input(
                "a saved request has both body and body_base64".into(),
            )),
        }
    }
}

/// Appends saved requests to a file from any task; the first write error is kept and
/// returned by [`Recorder::finish`], so a full disk cannot silently drop requests.
pub struct Recorder {
    path: PathBuf,
    state: Mutex<(BufWriter<File>, Option<std::io::Error>)>,
}

impl Recorder {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let file = File::create(path)
            .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        Ok(Recorder {
            path: path.to_path_buf(),
            state: Mutex::new((BufWriter::new(file), None)),
        })
    }

    /// Saves one request.
    pub fn record(&self, request: &SavedRequest) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (out, error) = &mut *state;
        if error.is_some() {
            return;
        }
        let written = serde_json::to_writer(&mut *out, request)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        if let Err(e) = written {
            *error = Some(e);
        }
    }

    /// Flushes the file; `Err` carries the first failed write.
    pub fn finish(&self) -> Result<(), Error> {
        let context = || format!("cannot write {}", self.path.display());
        let mut state = self
            .state
            .lock()
            .map_err(|_| Error::Internal(format!("{}: a writer panicked", context())))?;
        let (out, error) = &mut *state;
        match error.take() {
            Some(e) => Err(Error::io(context(), e)),
            None => out.flush().map_err(|e| Error::io(context(), e)),
        }
    }
}

/// Reads a file written by `--save-requests`.
pub fn read(path: &Path) -> Result<Vec<SavedRequest>, Error> {
    let file =
        File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if line.trim().is_empty() {
            continue;
        }
        let request = serde_json::from_str(&line).map_err(|e| {
            Error::Input(format!(
                "{} line {}: not a saved request: {e}",
                path.display(),
                n + 1
            ))
        })?;
        out.push(request);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary_bodies_come_back_byte_for_byte() {
        let dir = std::env::temp_dir().join(format!("ol-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("requests.jsonl");
        let recorder = Recorder::create(&path).expect("create");
        let bodies: [&[u8]; 3] = [b"{\"a\":\"\xc3\xa9\"}", b"{\"p\":\"\xff\xfe\"}", b""];
        for body in bodies {
            recorder.record(&SavedRequest::new(
                "http://127.0.0.1:1/api/v1/lineage",
                vec![("content-type".into(), "application/json".into())],
                body,
            ));
        }
        recorder.finish().expect("flush");
        let saved = read(&path).expect("read back");
        assert_eq!(saved.len(), 3);
        for (s, body) in saved.iter().zip(bodies) {
            assert_eq!(s.body_bytes().expect("decodes"), body);
        }
        assert!(saved[0].body.is_some() && saved[1].body_base64.is_some());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_bad_line_is_an_error_naming_the_file_and_line() {
        let dir = std::env::temp_dir().join(format!("ol-record-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("bad.jsonl");
        std::fs::write(
            &path,
            "{\"method\":\"POST\",\"url\":\"u\",\"headers\":[]}\nnot json\n",
        )
        .expect("write");
        let e = read(&path).expect_err("line 2 is bad").to_string();
        assert!(e.contains("bad.jsonl line 2"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
