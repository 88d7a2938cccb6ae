//! The xtask command line: a typo or a misplaced argument is a usage error (exit 2) that changes
//! nothing, and every subcommand has help.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("xtask runs")
}

/// The files `codegen` and `spec upgrade` would write.
fn derived() -> Vec<Vec<u8>> {
    ["spec/pin.json", "spec/SHA256SUMS", "README.md"]
        .iter()
        .map(|f| std::fs::read(root().join(f)).expect("derived file"))
        .collect()
}

#[test]
fn a_misspelt_flag_is_a_usage_error_and_changes_nothing() {
    let before = derived();
    let out = xtask(&["codegen", "--chek"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unexpected argument '--chek'")
            && stderr.contains("Usage: cargo xtask codegen"),
        "{stderr}"
    );
    assert_eq!(derived(), before);
}

#[test]
fn spec_diff_takes_format_as_an_option_not_a_folder() {
    let before = derived();
    // `--format json` is the format; the two folders that follow do not exist.
    let out = xtask(&["spec", "diff", "--format", "json", "A", "B"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("A is not a spec snapshot"), "{stderr}");
    assert!(out.stdout.is_empty());
    // An unknown format is a usage error.
    let out = xtask(&["spec", "diff", "--format", "yaml", "A", "B"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'yaml'"));
    assert_eq!(derived(), before);
}

#[test]
fn spec_upgrade_help_is_help_not_a_path() {
    let before = derived();
    let out = xtask(&["spec", "upgrade", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for flag in ["--tag", "--history", "--check"] {
        assert!(stdout.contains(flag), "{stdout}");
    }
    assert_eq!(derived(), before);
}

/// The help of every command, pinned whole: a changed flag or text shows up in review.
#[test]
fn help_of_every_command() {
    let commands: &[&[&str]] = &[
        &[],
        &["spec"],
        &["spec", "diff"],
        &["spec", "upgrade"],
        &["spec", "fetch"],
        &["spec", "compat"],
        &["spec", "selfcheck"],
        &["codegen"],
        &["package"],
        &["ci"],
        &["bench"],
    ];
    let mut all = String::new();
    for args in commands {
        let mut with_help = args.to_vec();
        with_help.push("--help");
        let out = xtask(&with_help);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        all.push_str(&format!("$ cargo xtask {}\n", with_help.join(" ")));
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push('\n');
    }
    insta::assert_snapshot!("help", all);
}
