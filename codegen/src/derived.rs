//! Files derived from the spec or the code and committed (checksums, README sections): one path
//! both refreshes and checks them, so `cargo xtask codegen`, its `--check` and the tests that own
//! a derived file can never disagree about what "up to date" means.

use std::path::Path;

use crate::{Error, Result};

/// The environment variable that lets a test refresh the derived file it owns instead of failing.
pub const UPDATE_ENV: &str = "OL_UPDATE_DERIVED";

/// Whether tests should write derived files rather than only check them.
pub fn updating() -> bool {
    std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Makes `path` hold exactly `contents`, or in `check` mode reports whether it does.
///
/// Returns `Ok(true)` when the file was already up to date, `Ok(false)` when it was stale (and,
/// unless `check`, has now been rewritten).
pub fn ensure_file_contents(path: &Path, contents: &str, check: bool) -> Result<bool> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if current.as_deref() == Some(contents) {
        return Ok(true);
    }
    if !check {
        std::fs::write(path, contents).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(false)
}

/// Replaces the text between two marker lines, keeping the markers; `None` when either is missing.
pub fn replace_between(text: &str, start: &str, end: &str, body: &str) -> Option<String> {
    let a = text.find(start)? + start.len();
    let b = a + text[a..].find(end)?;
    Some(format!("{}\n{}{}", &text[..a], body, &text[b..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_mode_reports_without_writing_and_fix_mode_writes() {
        let dir = std::env::temp_dir().join(format!("ol-derived-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("derived.txt");
        std::fs::write(&file, "old").unwrap();
        assert!(!ensure_file_contents(&file, "new", true).unwrap());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "old");
        assert!(!ensure_file_contents(&file, "new", false).unwrap());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert!(ensure_file_contents(&file, "new", true).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn replacing_between_markers_keeps_them_and_needs_both() {
        let text = "a\n<!-- s -->\nold\n<!-- e -->\nb";
        assert_eq!(
            replace_between(text, "<!-- s -->", "<!-- e -->", "new\n").unwrap(),
            "a\n<!-- s -->\nnew\n<!-- e -->\nb"
        );
        assert!(replace_between(text, "<!-- s -->", "<!-- x -->", "new\n").is_none());
    }
}
