//! The system allocator, telling the worker's bootstrap when an allocation fails and
//! counting the bytes held.
//!
//! A wasm instance has 4 GB at most. When the allocator cannot grow memory, Rust aborts
//! with a bare `unreachable` trap; the bootstrap (`worker.js`) learns the size that
//! failed first, so the page can say "out of memory" and how much was asked.
//!
//! An instance's memory never shrinks, so its size says what the worker's largest task
//! needed, not what this one did: the live bytes, and their peak since
//! [`reset_peak`], do.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Set by `worker.js`. Takes only numbers: nothing may allocate once allocation
    /// has failed.
    #[wasm_bindgen(js_namespace = globalThis, js_name = kilnAllocationFailed)]
    fn allocation_failed(bytes: f64);
}

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Starts a new peak at what is held now (at a task's start).
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The most held at once since [`reset_peak`].
pub fn peak_bytes() -> usize {
    PEAK.load(Ordering::Relaxed)
}

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

pub struct Reporting;

impl Reporting {
    fn check(ptr: *mut u8, bytes: usize) -> *mut u8 {
        if ptr.is_null() {
            allocation_failed(bytes as f64);
        } else {
            grew(bytes);
        }
        ptr
    }
}

// SAFETY: every call is forwarded unchanged to `System`; a failure is only reported,
// and sizes are only counted.
unsafe impl GlobalAlloc for Reporting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::check(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::check(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = Self::check(unsafe { System.realloc(ptr, layout, new_size) }, new_size);
        if !moved.is_null() {
            // The old block is given back (or became the new one).
            shrank(layout.size());
        }
        moved
    }
}
