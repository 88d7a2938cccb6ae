//! The file transport: events appended as JSON lines to one file (the format `lint` reads), or,
//! as the Python client does without `append`, one file per event.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use super::{BoxFuture, Encoded, Transport};
use crate::Error;

/// The file transport's settings, with the Python client's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileConfig {
    /// `log_file_path`: the file, or with `append: false` the prefix of each event's file.
    pub log_file_path: PathBuf,
    /// `append`: one JSON-lines file (true) or one timestamped file per event (false, the
    /// Python client's default: `{log_file_path}-{YYYYmmdd-HHMMSS.ffffff}.json`).
    pub append: bool,
}

/// Writes events to files.
#[derive(Debug)]
pub struct FileTransport {
    config: FileConfig,
    // One writer at a time, so lines from concurrent sends never interleave.
    lock: Mutex<()>,
}

impl FileTransport {
    /// A file transport; nothing is opened until the first event.
    pub fn new(config: FileConfig) -> Self {
        FileTransport {
            config,
            lock: Mutex::new(()),
        }
    }

    fn write(&self, event: &Encoded) -> Result<(), Error> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let path = if self.config.append {
            self.config.log_file_path.clone()
        } else {
            let stamp = openlineage_types::chrono::Local::now().format("%Y%m%d-%H%M%S.%6f");
            let mut name = self.config.log_file_path.clone().into_os_string();
            name.push(format!("-{stamp}.json"));
            PathBuf::from(name)
        };
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(self.config.append)
            .write(true)
            .truncate(!self.config.append)
            .open(&path)
            .map_err(io)?;
        // One write call per line: a crash never leaves half an event behind another.
        let mut line = String::with_capacity(event.as_str().len() + 1);
        line.push_str(event.as_str());
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io)
    }
}

impl Transport for FileTransport {
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        let result = self.write(event);
        Box::pin(async move { result })
    }
}
