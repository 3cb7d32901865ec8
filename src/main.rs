//! The `payplat` command.

mod cli;

// Loading a plan makes millions of small allocations; mimalloc serves them in about half the
// time the system allocator takes (see bench/run.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
