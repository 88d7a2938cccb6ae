//! Local schema references (`#/$defs/Name`). This file is compiled into both the types crate
//! and (by `#[path]`) the code generator, so references are spelled and read one way.

/// What a reference to a definition of the same document starts with.
pub const LOCAL_PREFIX: &str = "#/$defs/";

/// Name of the definition a local `$ref` points to.
pub fn ref_target(reference: &str) -> Option<&str> {
    reference.strip_prefix(LOCAL_PREFIX)
}

/// A local reference to the definition `name`.
pub fn local_ref(name: &str) -> String {
    format!("{LOCAL_PREFIX}{name}")
}
