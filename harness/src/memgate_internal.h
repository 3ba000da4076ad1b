/* Internal interfaces between the core and the platform samplers. */
#ifndef MEMGATE_INTERNAL_H
#define MEMGATE_INTERNAL_H

#include "memgate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMGATE__HIDDEN __attribute__((visibility("hidden")))

/* Platform sampler (one of sampler_linux.c, sampler_darwin.c,
 * sampler_other.c is compiled in). None of them allocates. */
MEMGATE__HIDDEN int memgate__platform_read(memgate_footprint *out);
/* Starts a new peak interval; 0, or MEMGATE_EUNSUPPORTED when the
 * platform has no resettable peak. */
MEMGATE__HIDDEN int memgate__platform_reset_peak(void);
/* Gives freed memory back to the OS. */
MEMGATE__HIDDEN void memgate__platform_release(void);
/* True when the C allocator keeps freed chunks in a per-thread cache that
 * its statistics count as in use (glibc's tcache): the allocator view is
 * then noisy for small leaks. Probed once; may allocate (call at init). */
MEMGATE__HIDDEN bool memgate__platform_alloc_cache_active(void);
/* True when that cache's geometry was measured and it can be filled. */
MEMGATE__HIDDEN bool memgate__platform_alloc_cache_fillable(void);
/* Tops up every bin of the calling thread's cache to its capacity, so the
 * cache holds the same amount at every sample. Allocates and frees only
 * chunks that stay in the cache; a no-op when not fillable. */
MEMGATE__HIDDEN void memgate__platform_fill_alloc_cache(void);
/* Platform key without override: "linux-x86_64", "macos-arm64", ... */
MEMGATE__HIDDEN const char *memgate__platform_key(void);

/*
 * Darwin TASK_VM_INFO revision logic as a plain function, compiled on every
 * platform so it is unit-tested on Linux with scripted values.
 * `count` is the count task_info() returned (natural_t units). The rev*
 * arguments are the TASK_VM_INFO_REVn_COUNT values of the SDK (0 when the SDK
 * lacks that macro). Sets out fields and valid bits from the given raw
 * values only where the count proves the kernel filled them.
 * Returns 0, or MEMGATE_EPARSE when count < rev1 (no phys_footprint).
 */
typedef struct memgate__darwin_vm {
  uint32_t count;
  uint32_t rev1_count, rev3_count;
  uint64_t phys_footprint;              /* valid iff count >= rev1 */
  uint64_t resident_size;               /* REV0 */
  uint64_t internal;                    /* REV0 */
  uint64_t compressed;                  /* REV0 */
  uint64_t ledger_phys_footprint_peak;  /* valid iff rev3 && count >= rev3 */
} memgate__darwin_vm;

MEMGATE__HIDDEN int memgate__darwin_fill(const memgate__darwin_vm *vm, memgate_footprint *out);

/* Linux /proc/self/status parser (no allocation): fills out from a buffer. */
MEMGATE__HIDDEN int memgate__linux_parse_status(const char *buf, size_t len,
                                                memgate_footprint *out);

/* Text helpers (buf.c), shared by the library and the memgate command. */
typedef struct memgate__buf {
  char *p;         /* NUL-terminated text, owned; NULL until the first put */
  size_t len, cap; /* bytes used (without the NUL), bytes allocated */
  bool oom;        /* an allocation failed: the text is incomplete */
} memgate__buf;
/* Makes room for extra more bytes; new pages are touched (zeroed). */
MEMGATE__HIDDEN void memgate__buf_reserve(memgate__buf *b, size_t extra);
MEMGATE__HIDDEN void memgate__buf_put(memgate__buf *b, const char *s, size_t n);
MEMGATE__HIDDEN void memgate__buf_puts(memgate__buf *b, const char *s);
MEMGATE__HIDDEN void memgate__buf_printf(memgate__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees the text and zeroes *b. */
MEMGATE__HIDDEN void memgate__buf_free(memgate__buf *b);
/* Appends s as a JSON string (NULL as null); invalid UTF-8 becomes U+FFFD. */
MEMGATE__HIDDEN void memgate__buf_json_str(memgate__buf *b, const char *s);
/* snprintf that truncates on purpose, without -Wformat-truncation noise. */
MEMGATE__HIDDEN void memgate__msgf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes all n bytes (retrying on EINTR); 0, or -1 with errno set. */
MEMGATE__HIDDEN int memgate__write_all(int fd, const char *p, size_t n);
/* "1234 B", "12.1 KiB", "10.5 MiB"; a leading '+' for positives if sign. */
MEMGATE__HIDDEN void memgate__bytes(char *buf, size_t cap, int64_t v, bool sign);

/* Results file (results.c). Format version of one results line (2 adds
 * measured_verdict and baseline_verdict). */
#define MEMGATE__RESULTS_FORMAT 2
/* Reserves the formatting buffer (called at start-up, outside any scope). */
MEMGATE__HIDDEN void memgate__results_reserve(void);
/* Appends r as one JSON line to path; on failure writes a message to err. */
MEMGATE__HIDDEN int memgate__results_write(const char *path, const memgate_result *r, char *err,
                                           size_t errcap);

/* Baselines (baseline.c). init runs once, before the first sample of the
 * process, so parsing never lands inside a measurement. apply judges a
 * measured result (verdict pass or leak) against its baseline entry and,
 * in record mode, queues the measured values; it changes nothing in r. */
typedef struct memgate__baseline_note {
  bool judged;              /* a baseline check applied: verdict holds */
  memgate_verdict verdict;  /* the baseline's verdict: pass, regression or error */
  int error;                /* MEMGATE_E* when verdict is error, else 0 */
  char desc[800];           /* one line: what the baseline says ("" when nothing) */
  bool has_entry;           /* an entry was compared: the figures below hold */
  int64_t expected_bytes, peak_bytes, allowed_bytes;
  const char *platform;     /* key of the entry used (lives as long as the process) */
} memgate__baseline_note;
MEMGATE__HIDDEN void memgate__baseline_init(void);
MEMGATE__HIDDEN void memgate__baseline_apply(const memgate_result *r, memgate__baseline_note *n);
/* The final verdict from its two parts: an error or a leak of the
 * measurement stands; otherwise the baseline's verdict when judged. */
MEMGATE__HIDDEN memgate_verdict memgate__final_verdict(memgate_verdict measured, bool judged,
                                                       memgate_verdict baseline);

#endif
