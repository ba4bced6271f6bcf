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
   module does not export); a no-op elsewhere. stdlib.h first: it defines __GLIBC__. */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
static inline void gridmap_release_freed_memory(void) { malloc_trim(0); }
/* Caps the free memory kept at the top of each heap arena at `bytes` (M_TRIM_THRESHOLD).
   glibc raises that threshold by itself after a large block is freed (up to 64 MiB), and
   malloc_trim does not shrink the top of a thread's arena, so without a fixed cap a burst of
   work on a pool thread leaves its arena's pages resident for good. */
static inline void gridmap_cap_retained_free_memory(int bytes) { mallopt(M_TRIM_THRESHOLD, bytes); }
#else
static inline void gridmap_release_freed_memory(void) {}
static inline void gridmap_cap_retained_free_memory(int bytes) { (void)bytes; }
#endif

/* Lowers the calling thread's scheduling priority to `nice` (Linux: a thread's nice value is
   its own). For the thread that builds versions: on a small machine it then takes the CPU
   time the event loops leave, instead of delaying their replies. Returns 0 or -1. */
#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline int gridmap_lower_thread_priority(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
#else
static inline int gridmap_lower_thread_priority(int nice) { (void)nice; return -1; }
#endif

/* One CSV record (RFC 4180) scanned from `start`: the bulk join's inner loop, in C so that
   runs of ordinary bytes are skipped 16 at a time (SSE2) rather than looked at one by one.
   The rules are CSVScanner's (Sources/GridMapCore/Bulk/CSVScanner.swift). Field k is
   [starts[k], ends[k]) for k < cap; `fields` counts them all. Returns 0 when the buffer ends
   before the record does and more input may follow (`at_end` 0), else 1. */
#include <stdint.h>
typedef struct {
    int64_t end, next;
    int32_t newlines, problem, fields;
} gridmap_csv_record;
enum { GRIDMAP_CSV_OK = 0, GRIDMAP_CSV_STRAY_QUOTE = 1, GRIDMAP_CSV_TEXT_AFTER_QUOTE = 2,
       GRIDMAP_CSV_UNTERMINATED = 3 };
int gridmap_csv_scan_record(const uint8_t *p, int64_t n, int64_t start, int at_end,
                            int64_t *starts, int64_t *ends, int32_t cap, gridmap_csv_record *out);

#endif
