//! The `qcall` executable: everything lives in the library (`cli::main`).

fn main() -> std::process::ExitCode {
    qcall::cli::main()
}
