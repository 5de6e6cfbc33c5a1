//! The server's allocator (mimalloc), counting: the heap bytes live at any
//! moment and the calls that allocate. Shared by the benchmarks that report
//! memory or allocations.

#![allow(
    unsafe_code,
    reason = "counting needs a global allocator, which is an unsafe trait; this one only forwards to mimalloc"
)]
#![allow(dead_code, reason = "each benchmark reads the counter it reports")]

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};

/// Install with `#[global_allocator]`.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);
/// Counting costs a locked instruction per call (about a tenth of
/// normalisation's time): timed passes turn it off.
static ON: AtomicBool = AtomicBool::new(true);

// SAFETY: every call is forwarded to mimalloc unchanged; the counters only
// observe sizes and calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ON.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract for `realloc` is passed on.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

/// Heap bytes live now (as requested, whatever the allocator rounds to).
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Calls that allocated (or reallocated) so far.
pub fn calls() -> u64 {
    CALLS.load(Ordering::Relaxed)
}

/// Turns counting on or off (on at start; `live` is only right while it
/// stays on).
pub fn count(on: bool) {
    ON.store(on, Ordering::Relaxed);
}
