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
/* The VM page size in bytes (sysconf, 4096 when unknown; page.c). */
MEMGATE__HIDDEN uint64_t memgate__page_size(void);
/* Zeroed, touched pages for memgate's own bookkeeping, outside the
 * program's malloc heap (page.c says why); NULL when bytes is 0 or mmap
 * fails. Free with the same byte count. */
MEMGATE__HIDDEN void *memgate__pages_alloc(size_t bytes);
MEMGATE__HIDDEN void memgate__pages_free(void *p, size_t bytes);
#ifdef __linux__
/* The footprint only (no peak, no file/shmem figures), from statm plus the
 * VmSwap/VmPTE of the last full read while RssAnon has not moved and no
 * swap is configured (a full read otherwise). About 1 us instead of 8. */
MEMGATE__HIDDEN int memgate__platform_read_fast(memgate_footprint *out);
#endif
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
/* Darwin: the most bytes of freed blocks one libmalloc magazine keeps
 * counted as in use (its last freed tiny, small and medium block; see
 * darwin_malloc.c). 0 elsewhere. May call sysctl (call at init). */
MEMGATE__HIDDEN uint64_t memgate__platform_alloc_kept_bytes(void);
/* Platform key without override: "linux-x86_64", "macos-arm64", ... */
MEMGATE__HIDDEN const char *memgate__platform_key(void);

/*
 * Darwin libmalloc facts as a plain function, compiled on every platform so
 * it is unit-tested on Linux (darwin_malloc.c). embedded: an iOS, tvOS,
 * watchOS or visionOS device (libmalloc's MALLOC_TARGET_IOS; not a simulator,
 * not Mac Catalyst). memsize_bytes: hw.memsize, 0 when unknown.
 */
MEMGATE__HIDDEN uint64_t memgate__darwin_magazine_kept_bytes(bool embedded, uint64_t memsize_bytes);

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

/* ------------------------------------------------------------------------
 * Text layer, shared by the library and the memgate command: buffers and
 * byte counts (buf.c), UTF-8 (utf8.c), names/paths/lines (validate.c),
 * escapers (escape.c). None of these takes a lock; only the memgate__buf
 * functions allocate.
 * ------------------------------------------------------------------------ */

#include <stdio.h>

typedef struct memgate__buf {
  char *p;         /* NUL-terminated text, owned; NULL until the first put */
  size_t len, cap; /* bytes used (without the NUL), bytes allocated */
  bool oom;        /* an allocation failed: the text is incomplete */
  bool pages;      /* set before the first put: storage from memgate__pages_alloc (outside the
                    * program's heap; the library's results buffer), not malloc */
} memgate__buf;
/* Makes room for extra more bytes; new pages are touched (zeroed). */
MEMGATE__HIDDEN void memgate__buf_reserve(memgate__buf *b, size_t extra);
MEMGATE__HIDDEN void memgate__buf_put(memgate__buf *b, const char *s, size_t n);
MEMGATE__HIDDEN void memgate__buf_puts(memgate__buf *b, const char *s);
MEMGATE__HIDDEN void memgate__buf_printf(memgate__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees the text and zeroes *b. */
MEMGATE__HIDDEN void memgate__buf_free(memgate__buf *b);
/* snprintf that truncates on purpose, without -Wformat-truncation noise. */
MEMGATE__HIDDEN void memgate__msgf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, appended to the text already in buf (NUL-terminated). */
MEMGATE__HIDDEN void memgate__msg_appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes all n bytes (retrying on EINTR); 0, or -1 with errno set. */
MEMGATE__HIDDEN int memgate__write_all(int fd, const char *p, size_t n);

/*
 * The one byte formatter of every output (library messages, text, table,
 * Markdown, JUnit, HTML). Binary units, switching at each power of 1024:
 * below 1 KiB the exact count ("512 B"), then one decimal in KiB
 * ("64.0 KiB", "1023.9 KiB"), two in MiB, GiB and TiB ("1.00 MiB",
 * "953.67 MiB", "2.00 GiB"); a figure that would round to 1024 of a unit
 * is shown in the next one. sign: a leading '+' on values >= 0. cap of 32
 * always suffices. memgate__bytes_f takes a double (a slope: rounded to a
 * whole byte below 1 KiB; "?" when not finite). No allocation.
 */
MEMGATE__HIDDEN void memgate__bytes(char *buf, size_t cap, int64_t v, bool sign);
MEMGATE__HIDDEN void memgate__bytes_f(char *buf, size_t cap, double v, bool sign);

/*
 * UTF-8 (RFC 3629): the only decoder in memgate. Overlong forms,
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated
 * sequences are invalid; noncharacters such as U+FFFE are valid.
 * memgate__utf8_decode: length (1..4) of the valid sequence at s[0..n) and
 * its code point in *cp (may be NULL), or 0 when invalid (or n == 0).
 * A NUL byte decodes as U+0000 (length 1).
 * memgate__utf8_check: length of the longest valid prefix of s[0..n)
 * (n when all of it is valid). memgate__utf8_valid: that prefix is all.
 */
MEMGATE__HIDDEN size_t memgate__utf8_decode(const char *s, size_t n, uint32_t *cp);
MEMGATE__HIDDEN size_t memgate__utf8_check(const char *s, size_t n);
MEMGATE__HIDDEN bool memgate__utf8_valid(const char *s, size_t n);

/*
 * Names, paths and lines: what the library accepts at MEM_BEGIN /
 * MEM_REPEAT and what the memgate command accepts in a results file (one
 * definition, so the library never writes what the command rejects).
 *
 * memgate__check_name: a scope name is 1..MEMGATE__NAME_MAX (255) bytes
 * of valid UTF-8 (memgate__utf8_decode) with no control character: no C0
 * (U+0000..U+001F, so no tab or line break), no DEL (U+007F), no C1
 * (U+0080..U+009F). memgate__check_file: a source path, the same rules,
 * 1..MEMGATE__FILE_MAX (1023) bytes. Both return 0, or MEMGATE_EINVAL and
 * write into why (cap bytes, truncated, may be NULL) a phrase to follow
 * the subject, e.g. "is empty (a name is 1 to 255 bytes)", "is too long
 * (a path is 1 to 1023 bytes)", "has invalid UTF-8 at byte offset 3 (byte
 * 0xff)", "has the control character U+000A at byte offset 1 (a name may
 * not hold control characters)"; NULL s: "is missing". Offsets count
 * bytes from 0. They read at most MAX + 1 bytes of s.
 * memgate__check_line: a line number is 0..INT32_MAX (0: unknown); 0, or
 * MEMGATE_EINVAL with why "is -1 (a line is 0 to 2147483647)".
 * No allocation; safe to call between two samples.
 */
#define MEMGATE__NAME_MAX 255
#define MEMGATE__FILE_MAX 1023
MEMGATE__HIDDEN int memgate__check_name(const char *s, char *why, size_t cap);
MEMGATE__HIDDEN int memgate__check_file(const char *s, char *why, size_t cap);
MEMGATE__HIDDEN int memgate__check_line(long long line, char *why, size_t cap);
/* A commit (a results line's "commit", MEMGATE_COMMIT): 4 to 64 hex
 * digits (an abbreviated or full SHA-1 or SHA-256 object name) in s[0..n).
 * 0 or MEMGATE_EINVAL. No allocation. */
MEMGATE__HIDDEN int memgate__check_commit(const char *s, size_t n);

/*
 * Escapers (escape.c): one per output format, each the only place that
 * format's rules live. An escaper reads the unit of text at s (n >= 1
 * bytes left: one UTF-8 sequence, or one byte that starts none), writes
 * what the format shows for it into out (NUL-terminated, fewer than
 * MEMGATE__ESC_MAX bytes) and returns the bytes consumed (>= 1).
 *   json     '"' '\' escaped, C0 and DEL as \u00XX, invalid UTF-8 as \ufffd
 *   xml      JUnit text and attributes: & < > " ' as entities, tab/LF/CR as
 *            &#9; &#10; &#13;, other control characters (C0, DEL, C1), U+FFFE,
 *            U+FFFF and invalid UTF-8 as U+FFFD
 *   html     the report: as xml but ' as &#39; and tab/LF/CR as a space
 *   md       one Markdown table cell: | \ ` * _ [ ] ~ > # ! backslash-escaped,
 *            < and & as entities, tab/LF/CR as a space, other control
 *            characters and invalid UTF-8 as U+FFFD
 *   gh_prop  a GitHub workflow-command property value: % CR LF : , as %XX
 *   gh_data  a workflow-command message: % CR LF as %XX
 *   term     plain terminal text (text and table formats, the failure line):
 *            LF CR tab as \n \r \t, other C0 and DEL as \xXX, invalid bytes
 *            as \xXX, C1 and U+2028/U+2029 as \uXXXX; a printed name or path
 *            never starts a new line nor sends a terminal escape sequence
 *            (a backslash itself is shown as is)
 */
#define MEMGATE__ESC_MAX 16
typedef size_t (*memgate__esc_fn)(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_json(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_xml(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_html(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_md(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_gh_prop(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_gh_data(const char *s, size_t n, char *out);
MEMGATE__HIDDEN size_t memgate__esc_term(const char *s, size_t n, char *out);
/* Sinks (s NULL is ""): append to b; write into dst (cap bytes, whole
 * units only, always NUL-terminated; returns the length; no allocation);
 * write to a stream. */
MEMGATE__HIDDEN void memgate__buf_esc(memgate__buf *b, memgate__esc_fn esc, const char *s);
MEMGATE__HIDDEN size_t memgate__esc_str(char *dst, size_t cap, memgate__esc_fn esc, const char *s);
MEMGATE__HIDDEN void memgate__fputs_esc(FILE *f, memgate__esc_fn esc, const char *s);
/* Appends s as a JSON string in quotes (NULL as null), escaped with memgate__esc_json. */
MEMGATE__HIDDEN void memgate__buf_json_str(memgate__buf *b, const char *s);
/* The library's failure line, "file:line: error: memgate: name: verdict:
 * message\n", with file, name and message escaped for a terminal (term),
 * formatted on the stack and written with one fprintf (no allocation). */
MEMGATE__HIDDEN void memgate__fprint_failure(FILE *f, const char *file, int line, const char *name,
                                             const char *verdict, const char *message);

/* Results file (results.c). Format version of one results line (2 adds
 * measured_verdict and baseline_verdict; the optional time, commit,
 * host_memory_bytes, host_cpus and run came later within format 2). */
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
