//! `cargo xtask`: the project's maintenance commands.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("no xtask command yet")
}
