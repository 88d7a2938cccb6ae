//! The three report formats: plain text, Markdown and JSON.

use std::fmt::Write as _;

use crate::{ChangeKind, Impact, SpecDiff};

impl SpecDiff {
    /// Plain text: one change per line, then who breaks and the version flags.
    pub fn human(&self) -> String {
        let mut out = format!(
            "spec diff {} -> {}: {} changes\n",
            self.old,
            self.new,
            self.changes.len()
        );
        for c in &self.changes {
            let _ = writeln!(
                out,
                "  [producers {}, consumers {}] {} at {}: {}",
                c.producers,
                c.consumers,
                c.kind.name(),
                c.location,
                c.detail
            );
        }
        let list = |files: Vec<&str>| {
            if files.is_empty() {
                "none".to_string()
            } else {
                files.join(", ")
            }
        };
        let _ = writeln!(out, "breaks producers: {}", list(self.breaks_producers()));
        let _ = writeln!(out, "breaks consumers: {}", list(self.breaks_consumers()));
        let _ = writeln!(out, "version flags: {}", self.version_flags().len());
        let _ = writeln!(out, "{}", self.verdict());
        out
    }

    /// Markdown: the verdict, one row per file that matters, then the changes (descriptions
    /// changes are counted, not listed).
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "#### Spec diff {} → {}\n\n**{}**\n\n",
            self.old,
            self.new,
            self.verdict()
        );
        let mut files: Vec<&str> = Vec::new();
        for c in &self.changes {
            if !files.contains(&c.file()) {
                files.push(c.file());
            }
        }
        let worst = |file: &str, side: fn(&crate::Change) -> Impact| {
            self.changes
                .iter()
                .filter(|c| c.file() == file)
                .map(side)
                .max()
                .unwrap_or(Impact::Informational)
        };
        out.push_str("| file | producers | consumers | version flag |\n|---|---|---|---|\n");
        for file in files {
            let flag = self
                .changes
                .iter()
                .find(|c| c.file() == file && c.kind == ChangeKind::VersionBumpMismatch)
                .map(|c| c.detail.replace('|', "\\|"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{file}` | {} | {} | {flag} |",
                worst(file, |c| c.producers),
                worst(file, |c| c.consumers)
            );
        }
        out.push_str(
            "\n| where | change | producers | consumers | detail |\n|---|---|---|---|---|\n",
        );
        let mut descriptions = 0;
        for c in &self.changes {
            if c.kind == ChangeKind::DescriptionChanged {
                descriptions += 1;
                continue;
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                c.location,
                c.kind.name(),
                c.producers,
                c.consumers,
                c.detail.replace('|', "\\|")
            );
        }
        if descriptions > 0 {
            let _ = writeln!(out, "\n{descriptions} description changes not listed.");
        }
        out
    }

    /// Pretty JSON (`old`, `new`, `breaking`, `changes`).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn verdict(&self) -> &'static str {
        if self.breaking {
            "breaking changes found"
        } else {
            "no breaking changes"
        }
    }
}
