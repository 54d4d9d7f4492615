//! Tunes glibc's allocator for the pipeline's allocation pattern.
//!
//! Chunks of input (about 1 MB) and Arrow buffers are allocated and freed
//! all the time. With glibc's defaults each of those large blocks is a
//! fresh `mmap` (or the heap is trimmed and grown again), so every page is
//! faulted in and zeroed anew: about 80,000 page faults and a tenth of
//! VPC Flow ingest time. Keeping blocks up to 4 MB on the heap and trimming
//! only past 64 MB of free memory at the top removes two thirds of the
//! faults and about 6 % of ingest time (`seclake bench --mode ingest`);
//! peak RSS grows by a few MB.

/// Applies the settings; call once, first thing in `main`.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::raw::c_int;
        // From glibc's <malloc.h>.
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_MMAP_THRESHOLD: c_int = -3;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        // SAFETY: mallopt only changes allocator parameters; it is called
        // before any other thread exists.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 4 << 20);
            mallopt(M_TRIM_THRESHOLD, 64 << 20);
        }
    }
}
