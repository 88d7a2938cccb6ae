//! `ol-conformance`: command-line entry point; all the work is in the library.

fn main() -> std::process::ExitCode {
    openlineage_conformance::cli::main()
}
