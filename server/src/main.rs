//! The `vigil` binary: parses the command line and hands over to the library.

// Ingest allocates and frees millions of small JSON nodes a second; glibc's
// allocator spent about a third of the CPU on it and fragmented under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    vigil::cli::main()
}
