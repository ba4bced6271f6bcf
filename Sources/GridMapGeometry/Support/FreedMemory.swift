import CGridMapSupport

/// Hands the heap's free pages back to the system. Reading and indexing a dataset leaves
/// freed temporaries behind (parsed GeoJSON, arrays outgrown while filling them): glibc keeps
/// those pages, so a server holding one version would carry them for its whole life, and a
/// resident-size measurement would count them.
public func releaseFreedMemory() {
    gridmap_release_freed_memory()
}

/// Caps the free memory that the heap keeps at the top of each thread's arena (see
/// `gridmap_cap_retained_free_memory`); a long-running server calls it once it has loaded.
public func capRetainedFreeMemory(bytes: Int = 1 << 20) {
    gridmap_cap_retained_free_memory(Int32(bytes))
}
