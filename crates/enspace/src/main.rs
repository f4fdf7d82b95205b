//! `enspace`: the Enspace API server, one binary.

fn main() -> std::process::ExitCode {
    enspace::main_with(std::env::args_os())
}
