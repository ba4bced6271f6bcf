#ifndef GRIDMAP_CSUPPORT_H
#define GRIDMAP_CSUPPORT_H

/* The few C calls Swift cannot make by itself. */

/* Swift has no prefetch intrinsic. A batched lookup asks for the memory of the next
   points' cells before it needs it, so the cache misses of many lookups overlap.
   A prefetch never faults, whatever the address. */
static inline void gridmap_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* Hands the heap's free pages back to the system (glibc's malloc_trim, which Swift's Glibc
   module does not export); a no-op elsewhere. */
#if defined(__GLIBC__)
#include <malloc.h>
static inline void gridmap_release_freed_memory(void) { malloc_trim(0); }
#else
static inline void gridmap_release_freed_memory(void) {}
#endif

#endif
