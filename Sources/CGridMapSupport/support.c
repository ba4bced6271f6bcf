// Most of the module is static inline functions in the header; the CSV scanner lives here.
#include "CGridMapSupport.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The first byte at or after i that is a comma, a newline or a quote (n if none). */
static inline int64_t next_special(const uint8_t *p, int64_t n, int64_t i) {
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), newline = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, newline)),
                                   _mm_cmpeq_epi8(v, quote));
        int mask = _mm_movemask_epi8(hit);
        if (mask) return i + __builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    while (i < n && p[i] != ',' && p[i] != '\n' && p[i] != '"') i++;
    return i;
}

int gridmap_csv_scan_record(const uint8_t *p, int64_t n, int64_t start, int at_end,
                            int64_t *starts, int64_t *ends, int32_t cap, gridmap_csv_record *out) {
    int64_t i = start, field_start = start;
    int32_t fields = 0, newlines = 0, problem = GRIDMAP_CSV_OK;
    int after_quote = 0;
#define CLOSE_FIELD(e) \
    do { if (fields < cap) { starts[fields] = field_start; ends[fields] = (e); } fields++; } while (0)
    for (;;) {
        int64_t j = next_special(p, n, i);
        /* Text between i and j: after a closing quote only a CR may stand before the delimiter. */
        if (after_quote && j > i && problem == GRIDMAP_CSV_OK) {
            for (int64_t k = i; k < j; k++) {
                if (p[k] != '\r') { problem = GRIDMAP_CSV_TEXT_AFTER_QUOTE; break; }
            }
        }
        i = j;
        if (i >= n) {
            if (!at_end) return 0;
            CLOSE_FIELD(n);
            *out = (gridmap_csv_record){ .end = n, .next = n, .newlines = newlines, .problem = problem,
                                         .fields = fields };
            return 1;
        }
        uint8_t b = p[i];
        if (b == ',') {
            CLOSE_FIELD(i);
            field_start = i + 1;
            after_quote = 0;
            i++;
        } else if (b == '\n') {
            int64_t end = (i > field_start && p[i - 1] == '\r') ? i - 1 : i;
            if (end < field_start) end = field_start;
            CLOSE_FIELD(end);
            *out = (gridmap_csv_record){ .end = end > start ? end : start, .next = i + 1,
                                         .newlines = newlines + 1, .problem = problem, .fields = fields };
            return 1;
        } else if (i != field_start) {
            /* A quote inside a field: after a closing quote, or in unquoted text. */
            if (problem == GRIDMAP_CSV_OK)
                problem = after_quote ? GRIDMAP_CSV_TEXT_AFTER_QUOTE : GRIDMAP_CSV_STRAY_QUOTE;
            i++;
        } else {
            /* A quoted field: to its closing quote ("" is a quote), newlines being data. */
            i++;
            for (;;) {
                const uint8_t *q = i < n ? memchr(p + i, '"', (size_t)(n - i)) : NULL;
                int64_t stop = q ? (int64_t)(q - p) : n;
                for (const uint8_t *k = p + i; k < p + stop; k++) {
                    k = memchr(k, '\n', (size_t)(p + stop - k));
                    if (!k) break;
                    newlines++;
                }
                if (!q) {
                    if (!at_end) return 0;
                    if (problem == GRIDMAP_CSV_OK) problem = GRIDMAP_CSV_UNTERMINATED;
                    CLOSE_FIELD(n);
                    *out = (gridmap_csv_record){ .end = n, .next = n, .newlines = newlines, .problem = problem,
                                                 .fields = fields };
                    return 1;
                }
                if (stop + 1 < n) {
                    if (p[stop + 1] == '"') { i = stop + 2; continue; }
                } else if (!at_end) {
                    return 0; /* `"` or `""`: the next block decides */
                }
                i = stop + 1;
                after_quote = 1;
                break;
            }
        }
    }
#undef CLOSE_FIELD
}
