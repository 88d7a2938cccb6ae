//! Parse benchmark (filled in below).
fn main() {}
