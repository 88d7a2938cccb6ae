//! `ol-conformance`: command-line entry point; all the work is in the library.

// Generating cases allocates many small, short-lived values; mimalloc makes the runner about
// a fifth faster than the system allocator (measured by `cargo xtask bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    openlineage_conformance::cli::main()
}
