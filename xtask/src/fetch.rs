//! `cargo xtask spec fetch TAG`: downloads a release's `spec/` folder from the upstream
//! repository's source archive for that tag, for a git-dependency user with no snapshots beside
//! the checkout and for a maintainer about to upgrade.
//!
//! The archive URL is a template (`{tag}` is replaced) so that mirrors work. The pinned tag's
//! files are checked against `spec/SHA256SUMS`; a failed download or check leaves nothing
//! behind. The folder it writes is what `OPENLINEAGE_SPEC_DIR` and `spec upgrade` take.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use openlineage_codegen::spec::{verify, Pin};

/// The upstream repository's source archive for a tag.
pub const DEFAULT_URL: &str =
    "https://github.com/OpenLineage/OpenLineage/archive/refs/tags/{tag}.tar.gz";

/// Environment variable holding another URL template, e.g. a mirror's.
pub const URL_ENV: &str = "OPENLINEAGE_SPEC_URL";

/// Where fetched snapshots go by default, relative to the workspace root (git-ignored).
pub const FETCHED_DIR: &str = "spec/fetched";

/// The archive URL for `tag`: `template`, else `OPENLINEAGE_SPEC_URL`, else upstream's.
pub fn url_for(tag: &str, template: Option<&str>) -> String {
    let env = std::env::var(URL_ENV).ok().filter(|u| !u.is_empty());
    template
        .map(String::from)
        .or(env)
        .unwrap_or_else(|| DEFAULT_URL.to_string())
        .replace("{tag}", tag)
}

/// Downloads `url` and stores the archive's `spec/` folder in `out` (replaced if present).
/// When `tag` is the pinned one, every pinned file must match `spec/SHA256SUMS` first.
pub fn fetch(root: &Path, tag: &str, url: &str, out: &Path) -> Result<()> {
    if tag.is_empty() || tag.contains(['/', '\\']) || tag.starts_with('.') {
        bail!("`{tag}` is not a release tag");
    }
    let partial = out.with_file_name(format!(
        ".{}.partial-{}",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("spec"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&partial);
    let result = download(url, &partial).and_then(|()| {
        let pin = Pin::read(root)?;
        if pin.tag == tag {
            verify(&partial, &root.join("spec/SHA256SUMS")).with_context(|| {
                format!("the {tag} spec from {url} does not match spec/SHA256SUMS")
            })?;
        } else if !partial.join("OpenLineage.json").is_file() {
            bail!("the archive at {url} has no spec/OpenLineage.json");
        }
        Ok(())
    });
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    if out.exists() {
        std::fs::remove_dir_all(out)
            .with_context(|| format!("cannot replace {}", out.display()))?;
    }
    std::fs::rename(&partial, out)
        .with_context(|| format!("cannot move {} to {}", partial.display(), out.display()))?;
    Ok(())
}

/// Streams the archive at `url` and writes the files under its `<top>/spec/` folder into `dir`.
fn download(url: &str, dir: &Path) -> Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot download {url}"))?;
    let reader = response.into_body().into_reader();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut files = 0usize;
    let entries = archive
        .entries()
        .with_context(|| format!("{url} is not a .tar.gz archive"))?;
    for entry in entries {
        let mut entry = entry.with_context(|| format!("cannot read the archive from {url}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .with_context(|| format!("a bad file name in the archive from {url}"))?
            .into_owned();
        let Some(rel) = spec_relative(&path) else {
            continue;
        };
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {} from {url}", path.display()))?;
        std::fs::write(&to, bytes).with_context(|| format!("cannot write {}", to.display()))?;
        files += 1;
    }
    if files == 0 {
        bail!("the archive at {url} has no spec/ folder");
    }
    Ok(())
}

/// The path below `<top>/spec/` of an archive member, if it is one and stays inside it.
fn spec_relative(path: &Path) -> Option<PathBuf> {
    let mut parts = path.components();
    parts.next()?;
    if parts.next()? != Component::Normal("spec".as_ref()) {
        return None;
    }
    let rel: PathBuf = parts.collect();
    let inside =
        rel.components().count() > 0 && rel.components().all(|c| matches!(c, Component::Normal(_)));
    inside.then_some(rel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use openlineage_codegen::spec::{parse_sums, read_text};

    use crate::tasks::root;

    /// A scratch folder removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("xtask-fetch-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("scratch");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The pinned snapshot, as the checkout reads it.
    fn pinned() -> (Pin, PathBuf) {
        let pin = Pin::read(&root()).expect("pin");
        let dir = pin.resolve_dir(&root());
        (pin, dir)
    }

    /// A source archive as upstream makes them: `OpenLineage-<tag>/` holding the snapshot as
    /// `spec/` next to code that is not the spec; `change` may alter one spec file.
    fn archive(spec: &Path, tag: &str, change: Option<(&str, &[u8])>) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let top = format!("OpenLineage-{tag}");
        let mut add = |name: String, bytes: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, bytes).expect("append");
        };
        add(format!("{top}/README.md"), b"not the spec");
        add(format!("{top}/client/python/spec.json"), b"{}");
        let mut stack = vec![spec.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("snapshot folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.strip_prefix(spec).expect("inside").to_string_lossy();
                let bytes = match change {
                    Some((file, new)) if file == rel => new.to_vec(),
                    _ => std::fs::read(&path).expect("spec file"),
                };
                add(format!("{top}/spec/{rel}"), &bytes);
            }
        }
        tar.into_inner().expect("tar").finish().expect("gzip")
    }

    /// Serves `body` at `/archive/<tag>.tar.gz` on a loopback port and 404 elsewhere, for
    /// `requests` requests. Returns the URL template.
    fn serve(tag: &'static str, body: Vec<u8>, requests: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for conn in listener.incoming().take(requests) {
                let Ok(mut conn) = conn else { continue };
                let mut line = String::new();
                let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                reader.read_line(&mut line).expect("request line");
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) <= 2 {
                        break;
                    }
                }
                let wanted = format!("GET /archive/{tag}.tar.gz ");
                let (status, bytes): (&str, &[u8]) = if line.starts_with(&wanted) {
                    ("200 OK", &body)
                } else {
                    ("404 Not Found", b"no such tag")
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/x-gzip\r\nConnection: close\r\n\r\n",
                    bytes.len()
                );
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(bytes);
            }
        });
        format!("http://{addr}/archive/{{tag}}.tar.gz")
    }

    #[test]
    fn the_pinned_release_is_fetched_checked_and_usable() {
        let (pin, spec) = pinned();
        let tag: &'static str = Box::leak(pin.tag.clone().into_boxed_str());
        let template = serve(tag, archive(&spec, tag, None), 1);
        let scratch = Scratch::new("pinned");
        let out = scratch.0.join(tag);
        fetch(&root(), tag, &url_for(tag, Some(&template)), &out).expect("fetched");
        // What the build does with OPENLINEAGE_SPEC_DIR pointing here.
        let sums = root().join("spec/SHA256SUMS");
        let (dir, _) = pin
            .locate_verified(&root(), Some(out.as_os_str()), &sums)
            .expect("the fetched folder verifies");
        assert_eq!(dir, out);
        let pinned = parse_sums(&sums, &read_text(&sums).expect("sums")).expect("sums parse");
        for file in pinned.keys() {
            assert!(out.join(file).is_file(), "{file}");
        }
        // The whole spec folder comes along, and nothing from outside it.
        assert!(!out.join("README.md").exists());
        assert!(!out.join("client").exists());
    }

    #[test]
    fn a_corrupted_file_fails_naming_it_and_leaves_nothing() {
        let (pin, spec) = pinned();
        let tag: &'static str = Box::leak(pin.tag.clone().into_boxed_str());
        let bad = "facets/ParentRunFacet.json";
        let template = serve(
            tag,
            archive(&spec, tag, Some((bad, b"{\"tampered\": 1}"))),
            1,
        );
        let scratch = Scratch::new("corrupt");
        let out = scratch.0.join(tag);
        let err = fetch(&root(), tag, &url_for(tag, Some(&template)), &out)
            .expect_err("a changed file fails");
        let text = format!("{err:#}");
        assert!(text.contains(bad), "{text}");
        assert!(text.contains("checksum mismatch"), "{text}");
        assert!(!out.exists());
        let left: Vec<_> = std::fs::read_dir(&scratch.0).expect("scratch").collect();
        assert!(left.is_empty(), "partial download left behind: {left:?}");
    }

    #[test]
    fn another_release_is_stored_unchecked_and_a_missing_one_names_the_url() {
        let (_, spec) = pinned();
        // Any snapshot serves as "another release": checksums apply to the pinned tag only.
        let template = serve("9.9.9", archive(&spec, "9.9.9", None), 2);
        let scratch = Scratch::new("other");
        let out = scratch.0.join("9.9.9");
        fetch(&root(), "9.9.9", &url_for("9.9.9", Some(&template)), &out).expect("fetched");
        assert!(out.join("OpenLineage.json").is_file());
        let missing = url_for("0.0.1", Some(&template));
        let err =
            fetch(&root(), "0.0.1", &missing, &scratch.0.join("0.0.1")).expect_err("no such tag");
        assert!(format!("{err:#}").contains(&missing), "{err:#}");
    }

    #[test]
    fn urls_are_templates_and_members_outside_spec_are_skipped() {
        assert_eq!(
            url_for("1.2.3", Some("https://mirror.example/ol/{tag}.tgz")),
            "https://mirror.example/ol/1.2.3.tgz"
        );
        assert!(DEFAULT_URL.contains("{tag}"));
        let rel = |p: &str| spec_relative(Path::new(p));
        assert_eq!(
            rel("OL-1/spec/facets/A.json"),
            Some(PathBuf::from("facets/A.json"))
        );
        assert_eq!(rel("OL-1/client/spec/A.json"), None);
        assert_eq!(rel("OL-1/spec"), None);
        assert_eq!(rel("OL-1/spec/../../etc/passwd"), None);
    }
}
