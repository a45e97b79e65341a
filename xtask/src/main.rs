// rowan builds a tree of many small nodes; mimalloc makes a whole-file parse and edit of a large
// configuration about an eighth faster than the system allocator (`cargo xtask bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    xtask::run(std::env::args_os())
}
