#ifndef GRIDMAP_CPREFETCH_H
#define GRIDMAP_CPREFETCH_H

/* Swift has no prefetch intrinsic. A batched lookup asks for the memory of the next
   points' cells before it needs it, so the cache misses of many lookups overlap.
   A prefetch never faults, whatever the address. */
static inline void gridmap_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
