//! Expectations files: the known failures of one target, with reasons.
//!
//! One entry per line, `check-id-or-glob = reason`; `#` starts a comment. A listed check that
//! fails is an expected failure (xfail); one that passes is an xpass, and an entry matching no
//! check at all is stale: both fail the run, so the file never silently rots.

use std::path::Path;

use crate::Error;

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    entries: Vec<(String, glob::Pattern, String)>,
}

impl Expectations {
    /// Parses expectations text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self, Error> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split_once('#').map_or(line, |(l, _)| l).trim();
            if line.is_empty() {
                continue;
            }
            let (id, reason) = line.split_once('=').ok_or_else(|| {
                Error::Input(format!("{source}:{}: expected `check-id = reason`", n + 1))
            })?;
            let (id, reason) = (id.trim(), reason.trim());
            if id.is_empty() || reason.is_empty() {
                return Err(Error::Input(format!(
                    "{source}:{}: both a check id and a reason are needed",
                    n + 1
                )));
            }
            // A retired id stands for every id it became (`checks::ALIASES`); the entry keeps
            // its own text, so a stale one is named as written.
            let became = crate::checks::resolve(id);
            let retired = crate::checks::find(id).is_none() && !became.is_empty();
            let patterns: Vec<String> = if retired {
                became.iter().map(|c| glob::Pattern::escape(c)).collect()
            } else {
                vec![id.to_string()]
            };
            for text in patterns {
                let pattern = glob::Pattern::new(&text).map_err(|e| {
                    Error::Input(format!("{source}:{}: bad glob `{id}`: {e}", n + 1))
                })?;
                entries.push((id.to_string(), pattern, reason.to_string()));
            }
        }
        Ok(Expectations { entries })
    }

    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The reason given for `id`, if an entry matches it.
    pub fn reason_for(&self, id: &str) -> Option<String> {
        self.entries
            .iter()
            .find(|(_, p, _)| p.matches(id))
            .map(|(_, _, r)| r.clone())
    }

    /// Entries that match none of `ids` (an entry of a retired id is stale only when none of
    /// the ids it became is among them).
    pub fn stale<'a>(&self, ids: impl Iterator<Item = &'a str> + Clone) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (text, _, _) in &self.entries {
            let live = self
                .entries
                .iter()
                .filter(|(t, _, _)| t == text)
                .any(|(_, p, _)| ids.clone().any(|id| p.matches(id)));
            if !live && !out.contains(text) {
                out.push(text.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_reasons_and_stale_entries() {
        let e = Expectations::parse(
            "# known\nbatch.mixed.* = counts 1-based\nsingle.nope = gone\n",
            "x",
        )
        .unwrap();
        assert_eq!(
            e.reason_for("batch.mixed.summary").as_deref(),
            Some("counts 1-based")
        );
        assert_eq!(e.reason_for("single.valid.run.accepted"), None);
        assert_eq!(
            e.stale(["batch.mixed.summary", "single.valid.run.accepted"].into_iter()),
            ["single.nope"]
        );
        // A retired id applies to every id it became, and is not stale.
        let old = Expectations::parse("batch.mixed.summary = counts new events only\n", "x")
            .expect("parses");
        for id in [
            "batch.summary.received",
            "batch.summary.adds_up",
            "batch.mixed.invalid_counted",
        ] {
            assert_eq!(
                old.reason_for(id).as_deref(),
                Some("counts new events only")
            );
        }
        assert_eq!(old.reason_for("batch.summary.status"), None);
        let ids = crate::checks::CHECKS.iter().map(|c| c.id);
        assert!(old.stale(ids).is_empty());
        assert!(Expectations::parse("no equals sign", "f")
            .unwrap_err()
            .to_string()
            .contains("f:1"));
    }
}
