/*
 * memgate.h - memory-regression gate: measure what the OS charges a process
 * (Darwin phys_footprint; Linux RssAnon + VmSwap + VmPTE) around a block of
 * code, prove that memory persists across repeated runs of a block, and
 * report results for CI.
 *
 * This is the one public header. Conventions:
 *   - Functions return 0 on success or a negative MEMGATE_E* code;
 *     memgate_strerror() gives the text.
 *   - Every function-like macro has a function twin (Swift imports only
 *     functions).
 *   - Strings in results are borrowed: valid during a handler callback and,
 *     for *out results, until the next memgate call on the same thread.
 *   - All byte figures are bytes (never KiB or pages) unless a name says
 *     otherwise.
 *
 * Build with -DMEMGATE_DISABLE to make MEM_BEGIN/MEM_END vanish and
 * MEM_REPEAT and MEM_LOOP run their body once, unmeasured.
 */
#ifndef MEMGATE_H
#define MEMGATE_H

/* C89 with -DMEMGATE_DISABLE (a project's -std=c89 -pedantic build): only
 * the macros and the few types they use; no memgate function is called. */
#if defined(MEMGATE_DISABLE) && !defined(__cplusplus) && \
    (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 199901L)
#  define MEMGATE__C89_OFF 1
#endif

#ifndef MEMGATE__C89_OFF
#  include <stdbool.h>
#endif
#include <stddef.h>
#include <stdint.h>

#define MEMGATE_VERSION_MAJOR 0
#define MEMGATE_VERSION_MINOR 1
#define MEMGATE_VERSION_PATCH 0

#if defined(_WIN32) && defined(MEMGATE_BUILDING_SHARED)
#  define MEMGATE_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#  define MEMGATE_API __attribute__((visibility("default")))
#else
#  define MEMGATE_API
#endif

#ifndef __has_attribute
#  define __has_attribute(x) 0
#endif
#ifndef __has_feature
#  define __has_feature(x) 0
#endif

/* Swift/clang annotations, empty for compilers that lack them. */
#if __has_attribute(enum_extensibility)
#  define MEMGATE_CLOSED_ENUM __attribute__((enum_extensibility(closed)))
#else
#  define MEMGATE_CLOSED_ENUM
#endif
#if __has_attribute(swift_name)
#  define MEMGATE_SWIFT_NAME(n) __attribute__((swift_name(#n)))
#else
#  define MEMGATE_SWIFT_NAME(n)
#endif
#if __has_feature(nullability)
#  define MEMGATE_NULLABLE _Nullable
#  define MEMGATE_NONNULL _Nonnull
#else
#  define MEMGATE_NULLABLE
#  define MEMGATE_NONNULL
#endif
#if __has_feature(assume_nonnull)
#  define MEMGATE_ASSUME_NONNULL_BEGIN _Pragma("clang assume_nonnull begin")
#  define MEMGATE_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end")
#else
#  define MEMGATE_ASSUME_NONNULL_BEGIN
#  define MEMGATE_ASSUME_NONNULL_END
#endif

/* The nullability qualifiers are a clang extension: keep users' -pedantic
 * builds clean. */
#if defined(__clang__)
#  pragma clang diagnostic push
#  pragma clang diagnostic ignored "-Wnullability-extension"
#endif

#ifdef __cplusplus
extern "C" {
#endif

MEMGATE_ASSUME_NONNULL_BEGIN

#ifndef MEMGATE__C89_OFF
/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Error codes (negative). One list generates codes, names and messages. */
#define MEMGATE_ERRNO_MAP(XX)                                                 \
  XX(UNSUPPORTED, -1, "footprint reading is not supported on this platform") \
  XX(IO, -2, "could not read the footprint source")                          \
  XX(PARSE, -3, "the footprint source had an unexpected format")             \
  XX(INVAL, -4, "invalid argument")                                           \
  XX(NOMEM, -5, "out of memory")                                              \
  XX(UNBALANCED, -6, "unbalanced or mismatched MEM_BEGIN/MEM_END")            \
  XX(DEPTH, -7, "scopes nested too deeply")                                   \
  XX(SAMPLER, -8, "the installed sampler failed")                             \
  XX(CONFIG, -9, "invalid memgate setting (environment variable or option)") \
  XX(BASELINE, -10, "baseline file is unreadable or invalid")                 \
  XX(RESULTS, -11, "could not write the results file")                       \
  XX(REENTRANT, -12, "memgate called from inside one of its own calls on this thread (signal handler?)") \
  XX(ABANDONED, -13, "a repeat or loop was left before it finished (break, return, goto, longjmp or an exception)") \
  XX(HEADROOM, -14, "the memory headroom left after the scope is below the floor (MEMGATE_MIN_HEADROOM)")

enum {
#define MEMGATE__ERR_ENUM(name, val, msg) MEMGATE_E##name = (val),
  MEMGATE_ERRNO_MAP(MEMGATE__ERR_ENUM)
#undef MEMGATE__ERR_ENUM
  MEMGATE_OK = 0
};

/* Text for an error code (0 gives "success"); never NULL, static storage. */
MEMGATE_API const char *memgate_strerror(int err);
/* Name of an error code ("MEMGATE_EIO"); never NULL, static storage. */
MEMGATE_API const char *memgate_err_name(int err);

/* "0.1.0"; static storage. */
MEMGATE_API const char *memgate_version(void);

/* ------------------------------------------------------------------------
 * Reading the footprint
 * ------------------------------------------------------------------------ */

/* Bits of memgate_footprint.valid: which optional fields were filled. */
#define MEMGATE_HAS_PEAK (1u << 0)       /* peak_bytes */
#define MEMGATE_HAS_RESIDENT (1u << 1)   /* resident_bytes */
#define MEMGATE_HAS_ANON (1u << 2)       /* anon_bytes */
#define MEMGATE_HAS_FILE (1u << 3)       /* file_bytes, shmem_bytes */
#define MEMGATE_HAS_SWAP (1u << 4)       /* swap_bytes */
#define MEMGATE_HAS_PAGE_TABLE (1u << 5) /* page_table_bytes */
#define MEMGATE_HAS_COMPRESSED (1u << 6) /* compressed_bytes */
#define MEMGATE_HAS_INTERNAL (1u << 7)   /* internal_bytes */
#define MEMGATE_HAS_LIFETIME_PEAK (1u << 8) /* lifetime_peak_bytes */
#define MEMGATE_HAS_HEAP (1u << 9)       /* heap_bytes (allocator view) */
#define MEMGATE_HAS_PEAK_RESIDENT (1u << 10) /* peak_resident_bytes */

/*
 * One sample of the process's memory. All values in bytes, read at the
 * moment memgate_read() ran. Fields not flagged in `valid` are 0.
 */
typedef struct memgate_footprint {
  /* What the OS charges the process. Darwin: phys_footprint (dirty +
   * compressed + page tables). Linux: RssAnon + VmSwap + VmPTE. */
  uint64_t footprint_bytes;
  /* Highest footprint since the last peak reset (see memgate_begin),
   * an estimate on Linux: VmHWM - RssFile - RssShmem + VmSwap + VmPTE. */
  uint64_t peak_bytes;
  /* Total resident set. Darwin: resident_size; Linux: VmRSS. Counts clean,
   * file-backed pages, which is why it is not the gate's figure. */
  uint64_t resident_bytes;
  /* Linux: peak total resident since last reset (VmHWM). */
  uint64_t peak_resident_bytes;
  /* Linux: RssAnon (private anonymous + private COW pages). */
  uint64_t anon_bytes;
  /* Linux: RssFile (clean or shared file-backed resident pages). */
  uint64_t file_bytes;
  /* Linux: RssShmem (shared anonymous / tmpfs pages). */
  uint64_t shmem_bytes;
  /* Linux: VmSwap (anonymous pages swapped out). */
  uint64_t swap_bytes;
  /* Linux: VmPTE (page tables). */
  uint64_t page_table_bytes;
  /* Darwin: compressed (pages held by the compressor for this task). */
  uint64_t compressed_bytes;
  /* Darwin: internal (anonymous/dirty resident). */
  uint64_t internal_bytes;
  /* Darwin: ledger_phys_footprint_peak, process LIFETIME peak (REV3+). */
  uint64_t lifetime_peak_bytes;
  /* Allocator view: bytes the C allocator has handed out and not taken
   * back. glibc: mallinfo2() uordblks + hblkhd (includes chunks parked in
   * the per-thread cache); Darwin: malloc_zone_statistics size_in_use. */
  uint64_t heap_bytes;
  /* MEMGATE_HAS_* bits. */
  uint32_t valid;
} memgate_footprint;

/*
 * Reads the process footprint into *out (caller-owned). Uses the installed
 * sampler (memgate_set_sampler) or the platform's. Does not allocate.
 * Returns 0, MEMGATE_EUNSUPPORTED, MEMGATE_EIO (e.g. /proc unreadable),
 * MEMGATE_EPARSE, MEMGATE_EINVAL (out is NULL) or MEMGATE_ESAMPLER.
 * The fast read: footprint, resident, anonymous, swap, page tables and the
 * allocator view (Linux: /proc/self/statm, about 1 us; /proc/self/status
 * is read only when RssAnon moved since the last full read or swap is
 * configured, see docs/DESIGN.md "Sampling cost"). No peak: see
 * memgate_read_full().
 */
MEMGATE_API int memgate_read(memgate_footprint *MEMGATE_NULLABLE out);

/*
 * Headroom: the bytes this process can still grow before the operating
 * system kills it for memory, into *out (caller-owned). Unit: bytes.
 * Read it outside any measured window (after a scope's or repeat's last
 * sample): it reads files on Linux.
 *   Darwin: os_proc_available_memory(), the headroom below the app's
 *     jetsam limit (iOS, tvOS, watchOS, visionOS, Mac Catalyst), else the
 *     same figure from task_vm_info's limit_bytes_remaining (compile-checked
 *     only by this project's `make check-darwin`; not run on a device by its
 *     tests).
 *   Linux: this process's memory cgroup (/proc/self/cgroup): limit minus
 *     usage, cgroup v2 memory.max - memory.current, v1
 *     memory.limit_in_bytes - memory.usage_in_bytes (what a CI container's
 *     OOM killer goes by). 0 when usage reached the limit.
 * Returns 0; MEMGATE_EUNSUPPORTED where there is no limit (no memory
 * cgroup limit, macOS, other platforms, an iOS process without a jetsam
 * limit); MEMGATE_EPARSE (an unexpected cgroup file); MEMGATE_EINVAL (out
 * is NULL). Does not allocate. Swift: `var h: UInt64 = 0; if
 * memgate_headroom(&h) == 0 { ... }`.
 */
MEMGATE_API int memgate_headroom(uint64_t *MEMGATE_NULLABLE out);

/*
 * Like memgate_read() but every figure the platform has, the peak since
 * the last reset included (Linux: one /proc/self/status read, about 8 us).
 */
MEMGATE_API int memgate_read_full(memgate_footprint *MEMGATE_NULLABLE out);

/* Like memgate_read() but always the platform sampler, never an installed one. */
MEMGATE_API int memgate_read_platform(memgate_footprint *MEMGATE_NULLABLE out);

/*
 * A pluggable sampler, so tests can script exact footprint sequences.
 * read: fill *out, return 0 or a negative MEMGATE_E* code (required).
 * reset_peak: start a new peak interval (optional; NULL = no peak support).
 * release: give freed memory back to the OS before a sample (optional).
 * ctx: passed to each callback, owned by the caller.
 */
typedef struct memgate_sampler {
  int (*MEMGATE_NONNULL read)(void *MEMGATE_NULLABLE ctx,
                              memgate_footprint *MEMGATE_NONNULL out);
  int (*MEMGATE_NULLABLE reset_peak)(void *MEMGATE_NULLABLE ctx);
  void (*MEMGATE_NULLABLE release)(void *MEMGATE_NULLABLE ctx);
  void *MEMGATE_NULLABLE ctx;
} memgate_sampler;

/* Installs a sampler (copied; NULL restores the platform sampler).
 * Process-wide; do not change while a scope or repeat is open. */
MEMGATE_API void memgate_set_sampler(const memgate_sampler *MEMGATE_NULLABLE sampler);

/* Gives freed memory back to the OS as the harness does before each
 * sample: glibc malloc_trim(0); Darwin malloc_zone_pressure_relief(NULL, 0). */
MEMGATE_API void memgate_release_free_memory(void);

/* Platform key, e.g. "linux-x86_64", "macos-arm64", "ios-arm64",
 * "ios-simulator-arm64"; MEMGATE_PLATFORM overrides. Static storage. */
MEMGATE_API const char *memgate_platform(void);

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

/*
 * Settings for scopes and repeats. memgate_options_init() fills the
 * defaults and then applies the environment variables named below.
 */
typedef struct memgate_options {
  /* Unmeasured iterations run first (one-time growth lands here).
   * MEMGATE_WARMUP, default 2 (20 when alloc_cache_active: other threads'
   * caches, which cannot be filled from here, grow fast at first). */
  uint32_t warmup;
  /* Measured iterations for a repeat when the call passes 0.
   * MEMGATE_ITERATIONS, default 10. */
  uint32_t iterations;
  /* Footprint rule: growth across the measured iterations must be at least
   * this many bytes. MEMGATE_MIN_GROWTH, default 40 KiB rounded up to a
   * whole page (40960 on 4 KiB pages, 49152 on 16 KiB pages). */
  uint64_t min_growth_bytes;
  /* Footprint rule: least-squares slope at least this many bytes per
   * iteration. MEMGATE_MIN_SLOPE, default 1024. */
  uint64_t min_slope_bytes;
  /* Allocator-view monotone and trend rules: growth at least this many
   * bytes. MEMGATE_HEAP_MIN_GROWTH, default 64 (3 pages, 12288 on 4 KiB,
   * when alloc_cache_active; on Darwin at least the slope default below). */
  uint64_t heap_min_growth_bytes;
  /* Allocator-view monotone and trend rules: slope at least this many bytes
   * per iteration. MEMGATE_HEAP_MIN_SLOPE, default 8 (1024 when
   * alloc_cache_active; on Darwin more than one malloc magazine keeps
   * counted after frees, rounded up to a page: 16 KiB on iOS devices, 48 KiB
   * on a Mac, about 8 MiB on a Mac with 32 GiB or more; docs/DESIGN.md). */
  uint64_t heap_min_slope_bytes;
  /* Trend rule: slope / standard error must reach this (a t statistic).
   * MEMGATE_TREND_T, default 10. */
  double trend_t;
  /* After releasing memory, keep sampling every millisecond until two
   * samples agree or this many ms pass. MEMGATE_SETTLE_MS, default 0. */
  uint32_t settle_ms;
  /* Release freed memory before each sample (true). MEMGATE_RELEASE=0 turns
   * it off, e.g. to bound malloc_trim's cost on a huge fragmented heap. */
  bool release;
  /* Information, set by memgate_options_init(): the C allocator keeps freed
   * chunks in a cache that its statistics count as in use (glibc with
   * tcache on, the default: per thread; Darwin: each malloc magazine's last
   * freed blocks, which cannot be filled). Its slow filling looks like a small leak
   * for hundreds of iterations unless fill_alloc_cache evens it out; the
   * warm-up and allocator-view thresholds marked above are then stricter
   * (other threads' caches cannot be filled from here). */
  bool alloc_cache_active;
  /* Before every sample, top up every bin of the calling thread's allocator
   * cache to its capacity, so the cache holds the same chunks at every
   * sample and the allocator view moves only with real allocations. The
   * capacities are measured once per process (glibc: 64 bins x 7 chunks,
   * about 235 KiB, taken from the heap when memgate_options_init() first
   * runs and kept in the cache, where the program's own frees would put
   * them). Costs about 7 us
   * per sample once the bins are full (448 malloc/free pairs on glibc).
   * Only the calling thread's cache: the thread that samples.
   * MEMGATE_FILL_CACHE=0|1, default 1 when the cache was measured (glibc
   * with mallinfo2), else 0; without a measured cache it does nothing. */
  bool fill_alloc_cache;
  /* Allocator-view regular-step rule (memgate_series_regular): a repeat is
   * a leak when at least this many measured iterations ran and at least 3/4
   * of them grew the allocator view by the very same number of bytes (the
   * signature of code that leaks the same objects every iteration). Needs
   * no size threshold, so it sees leaks of a single small chunk.
   * MEMGATE_HEAP_REGULAR, default 8; 0 turns the rule off. */
  uint32_t heap_regular_steps;
  /* Measure the peak (true): a scope's or repeat's highest footprint. It
   * costs a /proc/self/status read at the end and a clear_refs write at the
   * start (Linux). MEMGATE_PEAK=0 skips it: has_peak is then false. */
  bool peak;
  /* Also release freed memory before the samples of a repeat's measured
   * iterations and the one after its warm-up (false: only before the
   * warm-up, so every measured sample sees the heap as the body leaves it,
   * and the body's freed buffers are not re-faulted each iteration; the
   * false-leak figures hold without it, docs/BENCHMARKS.md). A release is
   * skipped anyway when neither the allocator's free bytes nor RssAnon grew
   * since the last one. MEMGATE_RELEASE_ITERATIONS=0|1, default 0. */
  bool release_iterations;
  /* Confirmation rounds (repeats and loops): when the measured iterations
   * show growth, the run goes on, n iterations at a time, and is judged on
   * its newest n: a leak only when the growth persists there; growth that
   * levels off passes ("bounded growth"). At most this many iterations
   * beyond the n asked (MEMGATE_CONFIRM, default 3000; 0 turns confirmation
   * off) and this many milliseconds of them (MEMGATE_CONFIRM_MS, default
   * 5000). A leak that grew 1 MiB during confirmation stops it early. A
   * leak-free run pays nothing; see docs/BENCHMARKS.md for the cost. */
  uint32_t confirm_iterations;
  uint32_t confirm_ms;
} memgate_options;

/*
 * Fills *opts with defaults, then applies MEMGATE_* environment variables.
 * Returns 0, or MEMGATE_ECONFIG when a variable is malformed or out of
 * range (that field keeps its default; memgate_config_error() says which).
 */
MEMGATE_API int memgate_options_init(memgate_options *MEMGATE_NULLABLE opts);

/* The last configuration error message ("" when none); static storage. */
MEMGATE_API const char *memgate_config_error(void);

/* ------------------------------------------------------------------------
 * Results and failures
 * ------------------------------------------------------------------------ */

#endif /* MEMGATE__C89_OFF */

/* Swift sees `MemgateVerdict` with cases .pass, .leak, .regression, .error:
 * swift_name must sit on the enum tag and on each case (on the typedef it is
 * ignored, and the case prefix is not stripped once the type is renamed). */
typedef enum MEMGATE_CLOSED_ENUM MEMGATE_SWIFT_NAME(MemgateVerdict) memgate_verdict {
  /* within limits */
  MemgateVerdictPass MEMGATE_SWIFT_NAME(pass) = 0,
  /* memory kept growing across iterations */
  MemgateVerdictLeak MEMGATE_SWIFT_NAME(leak) = 1,
  /* beyond the baseline's tolerance */
  MemgateVerdictRegression MEMGATE_SWIFT_NAME(regression) = 2,
  /* could not measure, or misuse */
  MemgateVerdictError MEMGATE_SWIFT_NAME(error) = 3
} memgate_verdict;

/* Swift: `MemgateKind`, cases .scope and .repeat. */
typedef enum MEMGATE_CLOSED_ENUM MEMGATE_SWIFT_NAME(MemgateKind) memgate_kind {
  MemgateKindScope MEMGATE_SWIFT_NAME(scope) = 0,  /* MEM_BEGIN ... MEM_END */
  MemgateKindRepeat MEMGATE_SWIFT_NAME(repeat) = 1 /* MEM_REPEAT */
} memgate_kind;

#ifndef MEMGATE__C89_OFF

/* "pass", "leak", "regression", "error"; static storage. */
MEMGATE_API const char *memgate_verdict_name(memgate_verdict verdict);

/*
 * The outcome of one scope or repeat. Strings and series are borrowed:
 * valid during a handler callback, and in an *out copy until the next
 * memgate_end/memgate_repeat call on the same thread.
 * The string fields are never NULL once memgate has filled the struct, but
 * are NULL in a zero-initialized one (`= {0}` in C, `memgate_result()` in
 * Swift); they are _Nullable because Swift offers that zeroing init only
 * when every pointer field may be NULL.
 */
typedef struct memgate_result {
  const char *MEMGATE_NULLABLE name;       /* scope name */
  const char *MEMGATE_NULLABLE file;       /* where MEM_END / MEM_REPEAT was called */
  int line;
  const char *MEMGATE_NULLABLE begin_file; /* where MEM_BEGIN was called (== file for repeats) */
  int begin_line;
  const char *MEMGATE_NULLABLE platform;   /* memgate_platform() */
  memgate_kind kind;
  memgate_verdict verdict;
  int error;                 /* MEMGATE_E* when verdict is error, else 0 */
  const char *MEMGATE_NULLABLE message;    /* one line, no newline */
  /* Footprint before and after (bytes). For a repeat: after the warm-up,
   * and after the last measured iteration. */
  uint64_t before_bytes;
  uint64_t after_bytes;
  int64_t retained_bytes;    /* after - before */
  /* Highest footprint reached above before_bytes (bytes), if has_peak. */
  int64_t peak_bytes;
  bool has_peak;
  /* Allocator-view change over the same interval (bytes), if has_heap. */
  int64_t heap_delta_bytes;
  bool has_heap;
  /* Repeats: footprint growth during the warm-up (bytes). */
  int64_t warmup_bytes;
  uint32_t warmup;           /* warm-up iterations run */
  uint32_t iterations;       /* measured iterations (1 for a scope) */
  /* Footprint after the warm-up then after each measured iteration:
   * series_count = iterations + 1 values, bytes. NULL for scopes. */
  const uint64_t *MEMGATE_NULLABLE series;
  /* Allocator view, same shape as series; NULL when not available. */
  const uint64_t *MEMGATE_NULLABLE heap_series;
  uint32_t series_count;
  /* Least-squares growth per measured iteration (bytes), footprint and heap. */
  double slope_bytes;
  double heap_slope_bytes;
  /* Baseline comparison: has_baseline when an entry applied. */
  bool has_baseline;
  int64_t baseline_retained_bytes;  /* expected retained */
  int64_t baseline_peak_bytes;      /* expected peak, -1 if none */
  int64_t allowed_bytes;            /* largest retained that passes */
  const char *MEMGATE_NULLABLE baseline_platform; /* key of the entry used, "" if none */
  uint64_t elapsed_ns;       /* wall time of the measured part */
  /* The verdict in two parts (verdict above is their combination: an error
   * or a leak of the measurement stands; otherwise the baseline's verdict
   * when one was judged, else pass). */
  memgate_verdict measured_verdict; /* the measurement alone: pass, leak or error */
  bool baseline_judged;             /* a baseline check applied: baseline_verdict holds */
  memgate_verdict baseline_verdict; /* pass, regression, or error (baseline unusable,
                                       none under MEMGATE_STRICT=1, recorded for the
                                       other kind); pass when !baseline_judged */
  /* Repeats: of `iterations`, how many were confirmation rounds (run
   * beyond the count asked, to see whether growth persists). */
  uint32_t confirm_iterations;
} memgate_result;

/* Called for each failed result (verdict other than pass). */
typedef void (*memgate_failure_fn)(const memgate_result *MEMGATE_NONNULL result,
                                   void *MEMGATE_NULLABLE ctx);

/*
 * Installs the failure handler (NULL restores the default). ctx is passed
 * back untouched; the caller owns it and keeps it alive while installed.
 * Process-wide; the handler may run on any thread that ends a scope.
 */
MEMGATE_API void memgate_set_failure_handler(memgate_failure_fn MEMGATE_NULLABLE fn,
                                             void *MEMGATE_NULLABLE ctx);

/* Installs a handler that sees every result, pass included (NULL = none). */
MEMGATE_API void memgate_set_result_handler(memgate_failure_fn MEMGATE_NULLABLE fn,
                                            void *MEMGATE_NULLABLE ctx);

/* The default failure handler: prints "file:line: error: memgate: ..." to
 * stderr (the form Xcode and CI log parsers pick up). */
MEMGATE_API void memgate_default_failure_handler(const memgate_result *MEMGATE_NONNULL result,
                                                 void *MEMGATE_NULLABLE ctx);

/* Number of failed results so far in this process. */
MEMGATE_API unsigned memgate_failure_count(void);

/* Sets the failure count back to 0 (for test suites). */
MEMGATE_API void memgate_reset_failure_count(void);

/*
 * Reports every scope still open (on any thread) as an error result and
 * returns the failure count. Also runs at exit. Safe to call repeatedly.
 */
MEMGATE_API unsigned memgate_finish(void);

/* ------------------------------------------------------------------------
 * Scopes
 *
 * Not async-signal-safe: memgate takes locks and may allocate. A scope,
 * repeat or memgate_finish() entered while the same thread is already
 * inside memgate (a signal handler that interrupted a memgate call, a
 * sampler callback) is refused with MEMGATE_EREENTRANT / an error verdict,
 * taking no lock. Repeat bodies and the result and failure handlers may
 * call memgate. A scope must end in the process (and on the thread) that
 * began it. A result that cannot be appended to MEMGATE_RESULTS is an error
 * (MEMGATE_ERESULTS), never a pass.
 * ------------------------------------------------------------------------ */

/*
 * Opens a scope on the calling thread: releases freed memory, resets the
 * peak interval, samples. name and file are copied (at most 255 and 1023
 * bytes). Returns 0, or a negative code after reporting an error result
 * (e.g. MEMGATE_EDEPTH past 32 levels, MEMGATE_EIO if unreadable).
 */
MEMGATE_API int memgate_begin(const char *name, const char *file, int line);

/*
 * Closes the innermost scope of the calling thread, which must be `name`.
 * Releases freed memory, optionally settles, samples, compares with the
 * baseline, reports the result and returns its verdict. *out (optional,
 * caller-owned) receives a copy. A mismatched, unbalanced or wrong-thread
 * END yields MemgateVerdictError naming both places.
 */
MEMGATE_API memgate_verdict memgate_end(const char *name, const char *file, int line,
                                        memgate_result *MEMGATE_NULLABLE out);

/* ------------------------------------------------------------------------
 * Repeats (leak persistence)
 * ------------------------------------------------------------------------ */

#endif /* MEMGATE__C89_OFF */

typedef void (*memgate_body_fn)(void *MEMGATE_NULLABLE ctx);

#ifndef MEMGATE__C89_OFF

/*
 * Runs body(ctx) for the warm-up, then `iterations` measured times (0 =
 * options' default), sampling after each, and decides leak when memory
 * keeps growing across the measured iterations (see docs/DESIGN.md).
 * opts may be NULL (defaults + environment). Returns the verdict; *out
 * (optional) receives a copy of the result.
 */
MEMGATE_API memgate_verdict memgate_repeat_opts(const char *name, uint32_t iterations,
                                                memgate_body_fn body, void *MEMGATE_NULLABLE ctx,
                                                const memgate_options *MEMGATE_NULLABLE opts,
                                                const char *file, int line,
                                                memgate_result *MEMGATE_NULLABLE out);

/* memgate_repeat_opts with default options. */
MEMGATE_API memgate_verdict memgate_repeat(const char *name, uint32_t iterations,
                                           memgate_body_fn body, void *MEMGATE_NULLABLE ctx,
                                           const char *file, int line);

/* ------------------------------------------------------------------------
 * Loops: a repeat whose body is a block written in place
 * ------------------------------------------------------------------------ */

/*
 * The state of one MEM_LOOP, owned by the caller (the loop variable).
 * The run it drives lives in memgate's per-thread state; the loop is the
 * same measurement as MEM_REPEAT (warm-up, a sample after each measured
 * iteration, the same leak rules, result and message).
 */
typedef struct memgate_loop {
  uint32_t serial;          /* the run on this thread; 0 when it never started */
  bool finished;            /* the loop is over: verdict holds */
  memgate_verdict verdict;  /* once finished: the loop's verdict (error when it
                               could not start or was left early) */
} memgate_loop;

/*
 * Starts a loop named name of `iterations` measured iterations (0 = the
 * options' default; opts NULL = defaults + environment). A misuse (bad
 * name, options, too many iterations) is reported as an error result at
 * once and the loop is returned finished, so its block never runs.
 */
MEMGATE_API memgate_loop memgate_loop_begin(const char *name, uint32_t iterations,
                                            const memgate_options *MEMGATE_NULLABLE opts,
                                            const char *file, int line);

/*
 * Call before each run of the block: samples when it is time (allocating
 * nothing), and returns true when the block must run once more. Once it
 * returns false the loop's result has been delivered (memgate_last_result)
 * and loop->verdict holds its verdict.
 */
MEMGATE_API bool memgate_loop_next(memgate_loop *loop);

/*
 * Ends a loop: nothing when it finished; otherwise (break, return or goto
 * left the block) reports an error result MEMGATE_EABANDONED naming the
 * loop and where it was left, and sets loop->verdict to error. MEM_LOOP
 * calls it as the loop variable's cleanup with gcc and clang.
 */
MEMGATE_API void memgate_loop_end(memgate_loop *loop);

/*
 * Reports every repeat and loop still running on the calling thread as an
 * error result (MEMGATE_EABANDONED) naming it: its body was left by longjmp
 * (a cmocka or Unity assertion) or an exception. Closes the scopes such a
 * body left open, so the thread is clean for the next test. Returns how
 * many were reported. Test-framework integrations call it after each test
 * (memgate_cmocka.h does); the next memgate call on the thread finds such
 * runs too, and memgate_finish() reports what is left at exit.
 */
MEMGATE_API unsigned memgate_recover(const char *file, int line);

/*
 * Copies the last result delivered on the calling thread (by a scope,
 * repeat, loop or error) into *out and returns true; false when there was
 * none. Strings and series are borrowed as for *out results.
 */
MEMGATE_API bool memgate_last_result(memgate_result *MEMGATE_NULLABLE out);

/* The leak rules on their own, for a series already measured. */
/* Swift: `MemgateRule`. Which leak rule fired (memgate_growth.rule). */
typedef enum MEMGATE_CLOSED_ENUM MEMGATE_SWIFT_NAME(MemgateRule) memgate_rule {
  MemgateRuleNone MEMGATE_SWIFT_NAME(none) = 0,         /* no rule fired */
  MemgateRuleMonotone MEMGATE_SWIFT_NAME(monotone) = 1, /* every measured iteration grew */
  MemgateRuleTrend MEMGATE_SWIFT_NAME(trend) = 2,       /* a steady least-squares trend */
  MemgateRuleRegular MEMGATE_SWIFT_NAME(regular) = 3    /* the same allocator step, again and again */
} memgate_rule;

typedef struct memgate_growth {
  bool leak;           /* the rule fired */
  int64_t growth;      /* last - first (bytes) */
  double slope;        /* least-squares bytes per iteration */
  double t;            /* slope / standard error (INFINITY when exact) */
  int rule;            /* a memgate_rule: 0 none, 1 monotone, 2 trend, 3 regular */
  uint64_t step_bytes; /* memgate_series_regular(): the growing step (bytes) that more
                          than half of the iterations share, else 0 */
  uint32_t step_count; /* ... and how many iterations grew by exactly that, else 0 */
} memgate_growth;

/*
 * Applies the monotone and trend rules to count samples (count = measured
 * iterations + 1) with the given thresholds; fills *out (step_* stay 0).
 * Returns 0 or MEMGATE_EINVAL (NULL series or out, count 0).
 */
MEMGATE_API int memgate_series_growth(const uint64_t *series, uint32_t count,
                                      uint64_t min_growth_bytes, uint64_t min_slope_bytes,
                                      double trend_t, memgate_growth *out);

/*
 * Applies the regular-step rule (the allocator view's third rule, see
 * memgate_options.heap_regular_steps) to count samples: it fires (rule 3)
 * when there are at least min_steps measured iterations (min_steps > 0), at
 * least three quarters of them grew by the very same number of bytes, and
 * the net growth is at least half of what those steps added. Fills *out,
 * including step_bytes/step_count. Returns 0 or MEMGATE_EINVAL.
 */
MEMGATE_API int memgate_series_regular(const uint64_t *series, uint32_t count, uint32_t min_steps,
                                       memgate_growth *out);

#endif /* MEMGATE__C89_OFF */

/* ------------------------------------------------------------------------
 * Macros (each forwards __FILE__/__LINE__ to its function twin)
 * ------------------------------------------------------------------------ */

#ifdef DOXYGEN
int MEM_BEGIN(const char *name);
memgate_verdict MEM_END(const char *name);
memgate_verdict MEM_REPEAT(const char *name, uint32_t iterations, memgate_body_fn body, void *ctx);
/* A statement prefix: MEM_LOOP("room.visit", 10) { enter(); leave(); }
 * repeats the block as MEM_REPEAT repeats a body (name and iterations are
 * evaluated once). Leaving the block by break, return, goto, longjmp or an
 * exception is misuse: an error result naming the loop, never a verdict
 * (gcc and clang report break/return/goto at once, through the loop
 * variable's cleanup; otherwise the next memgate call on the thread does).
 * `continue` goes on with the next iteration. The loop's result:
 * memgate_last_result(). Function twins: memgate_loop_begin/next/end. */
void MEM_LOOP(const char *name, uint32_t iterations);
#endif

#define MEMGATE__CAT2(a, b) a##b
#define MEMGATE__CAT(a, b) MEMGATE__CAT2(a, b)
#if defined(__GNUC__) || defined(__clang__)
#  define MEMGATE__LOOP_CLEANUP __attribute__((cleanup(memgate_loop_end)))
#else
#  define MEMGATE__LOOP_CLEANUP
#endif

#ifndef MEMGATE_DISABLE
#  define MEM_BEGIN(name) memgate_begin((name), __FILE__, __LINE__)
#  define MEM_END(name) memgate_end((name), __FILE__, __LINE__, NULL)
#  define MEM_REPEAT(name, iterations, body, ctx) \
     memgate_repeat((name), (iterations), (body), (ctx), __FILE__, __LINE__)
#  define MEM_LOOP(name, iterations) \
     MEMGATE__LOOP((name), (iterations), MEMGATE__CAT(memgate__loop_, __LINE__))
#  define MEMGATE__LOOP(name, iterations, l)                                                 \
     for (memgate_loop l MEMGATE__LOOP_CLEANUP =                                               \
              memgate_loop_begin(name, iterations, NULL, __FILE__, __LINE__);                  \
          memgate_loop_next(&l);)
#else
/* Disabled: no measuring, nothing to link; MEM_REPEAT runs its body once.
 * Inline functions (not comma expressions) so a bare `MEM_BEGIN("x");`
 * statement compiles warning-free; C89 spells inline __inline__ (gcc, clang). */
#  if !defined(MEMGATE__C89_OFF)
#    define MEMGATE__INLINE inline
#  elif defined(__GNUC__) || defined(__clang__)
#    define MEMGATE__INLINE __inline__
#  else
#    define MEMGATE__INLINE
#  endif
static MEMGATE__INLINE int memgate__off_begin(const char *name) {
  (void)name;
  return 0;
}
static MEMGATE__INLINE memgate_verdict memgate__off_end(const char *name) {
  (void)name;
  return MemgateVerdictPass;
}
static MEMGATE__INLINE memgate_verdict memgate__off_repeat(const char *name, uint32_t iterations,
                                                  memgate_body_fn body, void *MEMGATE_NULLABLE ctx) {
  (void)name;
  (void)iterations;
  body(ctx);
  return MemgateVerdictPass;
}
#  define MEM_BEGIN(name) memgate__off_begin(name)
#  define MEM_END(name) memgate__off_end(name)
#  define MEM_REPEAT(name, iterations, body, ctx) memgate__off_repeat((name), (iterations), (body), (ctx))
/* The block runs once; name and iterations are evaluated and discarded. */
#  if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L || defined(__cplusplus)
#    define MEM_LOOP(name, iterations) \
       MEMGATE__OFF_LOOP((name), (iterations), MEMGATE__CAT(memgate__loop_, __LINE__))
#    define MEMGATE__OFF_LOOP(name, iterations, l) \
       for (int l = ((void)(name), (void)(iterations), 1); l; l = 0)
#  else
/* C89 has no declaration in a for: `break` works, `continue` would not. */
#    define MEM_LOOP(name, iterations) switch (((void)(name), (void)(iterations), 0)) default:
#  endif
#endif

MEMGATE_ASSUME_NONNULL_END

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#  pragma clang diagnostic pop
#endif

#endif /* MEMGATE_H */
