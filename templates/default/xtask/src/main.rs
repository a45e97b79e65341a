//! `cargo xtask <command>`: NMMM's tool, run on this repository.

fn main() -> std::process::ExitCode {
    xtask::run(std::env::args_os())
}
