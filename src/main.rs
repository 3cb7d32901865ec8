//! The `payplat` command.

mod cli;

// Loading a plan makes millions of small allocations; mimalloc serves them in about half the
// time the system allocator takes (see bench/run.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    keep_memory_near_what_is_live();
    cli::main()
}

/// A run's peak is the input and what the rules read of it. Two defaults would add to that:
/// mimalloc returns freed memory only after a delay, and transparent huge pages (below).
/// Without them a 10k-resource plan peaks at 40 MB instead of 70 (bench/run.sh).
fn keep_memory_near_what_is_live() {
    // `mi_option_purge_delay` in mimalloc.h: not among the constants the binding names.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: options may be set at any time; this one is read whenever memory is freed.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// Transparent huge pages, which Linux may turn on for every mapping, make each first touch of
/// an allocator's region commit 2 MiB. They are turned off before anything is allocated: the
/// runtime allocates before `main`, and a huge page committed then would stay (2 MiB of a
/// one-resource run's 10 MB). A constructor with a priority runs before every other one.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00101")]
static NO_HUGE_PAGES: extern "C" fn() = no_huge_pages;

#[cfg(target_os = "linux")]
extern "C" fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and only sets a flag of the process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
