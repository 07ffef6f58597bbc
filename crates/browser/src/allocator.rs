//! The system allocator, telling the worker's bootstrap when an allocation fails.
//!
//! A wasm instance has 4 GB at most. When the allocator cannot grow memory, Rust aborts
//! with a bare `unreachable` trap; the bootstrap (`worker.js`) learns the size that
//! failed first, so the page can say "out of memory" and how much was asked.

use std::alloc::{GlobalAlloc, Layout, System};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Set by `worker.js`. Takes only numbers: nothing may allocate once allocation
    /// has failed.
    #[wasm_bindgen(js_namespace = globalThis, js_name = kilnAllocationFailed)]
    fn allocation_failed(bytes: f64);
}

pub struct Reporting;

impl Reporting {
    fn check(ptr: *mut u8, bytes: usize) -> *mut u8 {
        if ptr.is_null() {
            allocation_failed(bytes as f64);
        }
        ptr
    }
}

// SAFETY: every call is forwarded unchanged to `System`; a failure is only reported.
unsafe impl GlobalAlloc for Reporting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::check(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::check(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::check(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }
}
