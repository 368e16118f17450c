//! The C allocator's settings for the screen's process, which runs for weeks on a small board.
//! Set once, before the screen opens (glibc's `mallopt`; other C libraries keep their own ways).

/// Photos are decoded and dropped as the customer moves between categories. By default glibc
/// raises its threshold for giving a large buffer pages of its own after the first such buffer
/// is freed, so the photos decoded after it land in the heap, which then stays as large as the
/// most it ever held. Fixed at 64 KiB, every photo (a card's is 81 KB) and decoder
/// buffer gets pages of its own, returned when it is dropped. Two arenas instead of eight a
/// core: the UI thread, the runtime's workers and the store's thread are not contending.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's parameters; called before the threads
        // that allocate the most (the screen's) start.
        let (threshold, arenas) = unsafe {
            (libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024), libc::mallopt(libc::M_ARENA_MAX, 2))
        };
        if threshold != 1 || arenas != 1 {
            tracing::warn!(
                "the allocator's settings were refused (mmap threshold: {threshold}, arenas: {arenas})"
            );
        }
    }
}

/// Gives the pages of freed memory back to the system, after a burst of allocations (photos
/// decoded for a new category): what a decoder's smaller buffers leave free in the heap would
/// otherwise stay resident.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own.
    unsafe {
        libc::malloc_trim(0);
    }
}
