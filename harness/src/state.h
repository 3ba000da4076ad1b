/*
 * Internal interfaces of the measuring core (state.c, sample.c, result.c,
 * handlers.c, scope.c, repeat.c, judge.c, message.c, options.c,
 * platform.c). Data flows one way:
 *
 *   scope.c / repeat.c   measure (no allocation between samples)
 *     -> judge.c         the verdict of the measurement (repeats)
 *     -> message.c       its one-line message
 *     -> result.c        the baseline verdict (baseline.c), the final verdict,
 *                        the results line (results.c)
 *     -> handlers.c      result and failure handlers, failure count
 */
#ifndef MEMGATE_STATE_H
#define MEMGATE_STATE_H

#include "memgate_internal.h"

#include <stdarg.h>

#define MEMGATE__MAX_DEPTH 32
#define MEMGATE__NAME_CAP 256
#define MEMGATE__FILE_CAP 1024
#define MEMGATE__MSG_CAP 2048
#define MEMGATE__MAX_ITERATIONS 1000000u

/* ---- options.c ---------------------------------------------------------- */

/* Records a configuration error for memgate_config_error(). */
MEMGATE__HIDDEN void memgate__config_fail(const char *var, const char *val, const char *want);
/* Validates options a caller passed; writes a message and returns
 * MEMGATE_EINVAL when they are out of range, else 0. */
MEMGATE__HIDDEN int memgate__check_options(const memgate_options *o, char *msg, size_t cap);

/* What the allocator's statistics (the allocator view) count as in use. */
typedef enum memgate__alloc_kind {
  MEMGATE__ALLOC_EXACT = 0,   /* live blocks only */
  MEMGATE__ALLOC_THREAD_CACHE, /* also freed chunks in per-thread caches (glibc's tcache) */
  MEMGATE__ALLOC_MAGAZINE     /* also each magazine's last freed blocks (Darwin libmalloc) */
} memgate__alloc_kind;

/* The facts the defaults are a function of. */
typedef struct memgate__platform_facts {
  uint64_t page_bytes;       /* VM page size; 0 is taken as 4096 */
  memgate__alloc_kind alloc; /* what the allocator view counts */
  bool alloc_cache_fillable; /* THREAD_CACHE: its geometry was measured, it can be filled */
  uint64_t alloc_kept_bytes; /* MAGAZINE: the most freed bytes one magazine keeps counted */
} memgate__platform_facts;

/* This process's facts, from the platform sampler (may allocate: init only). */
MEMGATE__HIDDEN void memgate__platform_facts_get(memgate__platform_facts *out);
/* The defaults for f, before MEMGATE_* variables apply. A pure function, so
 * every platform's choice is unit-tested anywhere. */
MEMGATE__HIDDEN void memgate__defaults_for(const memgate__platform_facts *f, memgate_options *o);

/* ---- platform.c --------------------------------------------------------- */

/* 0, or MEMGATE_ECONFIG when MEMGATE_PLATFORM is malformed. */
MEMGATE__HIDDEN int memgate__platform_rc(void);

/* ---- host.c: what a results line says it measured -------------------- */

typedef struct memgate__host {
  char commit[65];       /* lowercase hex object name, "" when unknown */
  uint64_t memory_bytes; /* physical memory of the host (sysconf), 0 when unknown */
  uint32_t cpus;         /* CPUs online at start-up, 0 when unknown */
} memgate__host;

/* Read once (thread-safe), at start-up: never between two samples. */
MEMGATE__HIDDEN const memgate__host *memgate__host_get(void);
/* 0, or MEMGATE_ECONFIG when MEMGATE_COMMIT is malformed. */
MEMGATE__HIDDEN int memgate__host_rc(void);
/* The commit HEAD points at in the git checkout around start_dir (an
 * absolute directory; $GIT_DIR wins), read from .git, HEAD, the loose ref
 * and packed-refs without a child process. 0 and the lowercase object name
 * in out (cap >= 65), else MEMGATE_EUNSUPPORTED and out "". */
MEMGATE__HIDDEN int memgate__git_head(const char *start_dir, char *out, size_t cap);

/* ---- sample.c ----------------------------------------------------------- */

/* Starts a new peak interval on the active sampler (0 or an error). */
MEMGATE__HIDDEN int memgate__reset_peak(void);
/* The larger of a sample's footprint and its peak (bytes). */
MEMGATE__HIDDEN uint64_t memgate__peak_of(const memgate_footprint *f);
/* CLOCK_MONOTONIC in nanoseconds. */
MEMGATE__HIDDEN uint64_t memgate__now_ns(void);
/* What precedes every sample: fill the allocator's per-thread cache
 * (platform sampler only) and release freed memory, as o asks. */
MEMGATE__HIDDEN void memgate__prepare_sample(const memgate_options *o);
/* Prepare, read (with the peak when want_peak and o->peak, else the fast
 * read), and with o->settle_ms wait until two samples agree. unreleased
 * (optional) gets the footprint read just before the release when o->peak
 * (platform sampler; 0 otherwise): a peak that VmHWM may have missed. */
MEMGATE__HIDDEN int memgate__sample(const memgate_options *o, memgate_footprint *fp,
                                    bool want_peak, uint64_t *unreleased);

/* ---- state.c: process and thread state ---------------------------------- */

typedef struct memgate__frame {
  char name[MEMGATE__NAME_CAP];
  char file[MEMGATE__FILE_CAP];
  int line;
  int begin_error;         /* sample at BEGIN failed with this code */
  bool peak_ok;            /* peak interval started at BEGIN */
  uint64_t peak_seen;      /* highest absolute peak seen before nested resets */
  memgate_footprint before;
  uint64_t t0;
  long pid;                /* the process that began it (a forked child must not end it) */
} memgate__frame;

#define MEMGATE__MAX_RUNS 8

/* A repeat (MEM_REPEAT) or loop (MEM_LOOP) in progress: the iterator that
 * both drive (repeat.c). Phases: start -> warm-up -> measure -> done. */
typedef enum memgate__phase {
  MEMGATE__PHASE_START = 0,
  MEMGATE__PHASE_WARMUP,
  MEMGATE__PHASE_MEASURE,
  MEMGATE__PHASE_DONE
} memgate__phase;

typedef struct memgate__run {
  uint32_t serial;      /* identifies this run (memgate_loop.serial) */
  memgate__phase phase;
  const char *what;     /* "MEM_REPEAT" or "MEM_LOOP" (static storage) */
  char name[MEMGATE__NAME_CAP];
  char file[MEMGATE__FILE_CAP];
  int line;
  memgate_options o;
  memgate_options each; /* o for the sample after each measured iteration */
  uint32_t n;           /* measured iterations asked for */
  uint32_t warm;        /* warm-up iterations begun */
  uint32_t i;           /* measured iterations begun */
  uint32_t done;        /* measured iterations sampled */
  int depth0;           /* scope depth when it began */
  long pid0;            /* the process that began it */
  uintptr_t frame;      /* the body runs in frames below this address (jump.c) */
  int rc;               /* 0, or the sampler's error */
  bool heap_ok;         /* every sample had the allocator view */
  bool peak_ok;         /* the peak interval started after the warm-up */
  uint64_t pre;         /* footprint before the warm-up */
  uint64_t peak;        /* highest footprint or peak seen while measured */
  uint64_t t0, t1;      /* monotonic ns around the measured iterations */
  memgate_footprint s;  /* the last sample */
  uint64_t *series, *heap_series; /* [0..total], kept for the next run at this level */
  uint64_t *scratch;              /* [0..n]: the judge's working copy of a window */
  uint32_t series_cap;
  uint32_t total;       /* measured iterations to run: n, plus confirmation rounds */
  uint64_t confirm_deadline; /* monotonic ns; 0 until the first confirmation round */
} memgate__run;

typedef struct memgate__tstate {
  struct memgate__tstate *next; /* registry of live threads (state.c) */
  int depth;
  memgate__frame frames[MEMGATE__MAX_DEPTH];
  /* Storage the last result's borrowed pointers refer to. */
  char r_name[MEMGATE__NAME_CAP];
  char r_file[MEMGATE__FILE_CAP];
  char r_begin_file[MEMGATE__FILE_CAP];
  char r_msg[MEMGATE__MSG_CAP];
  char r_baseline_platform[64];
  uint64_t scope_series[2], scope_heap_series[2];
  /* Repeats and loops in progress (repeat.c), innermost last. */
  memgate__run runs[MEMGATE__MAX_RUNS];
  int run_depth;
  uint32_t run_serial;   /* last serial handed out */
  /* The last result delivered on this thread (memgate_last_result). */
  memgate_result last;
  bool has_last;
} memgate__tstate;

/* What the process read once at start-up (options, environment). */
typedef struct memgate__proc {
  memgate_options opts;   /* defaults + environment */
  int opts_rc;            /* 0, or why every scope must err */
  char opts_msg[512];
  const char *results_path; /* $MEMGATE_RESULTS, NULL when unset */
  bool quiet;             /* MEMGATE_QUIET=1: the default failure handler leaves the
                             recorded failures to the command (memgate run) */
} memgate__proc;

/* Initialises the process once (thread-safe) and returns its settings. */
MEMGATE__HIDDEN const memgate__proc *memgate__proc_get(void);
/* The calling thread's state, allocated (and its pages touched) on first
 * use; NULL when it cannot be allocated. Initialises the process. */
MEMGATE__HIDDEN memgate__tstate *memgate__tstate_get(void);
/* Makes the frame at ts->depth open (push) or closes the top one (pop). */
MEMGATE__HIDDEN void memgate__frame_push(memgate__tstate *ts);
MEMGATE__HIDDEN void memgate__frame_pop(memgate__tstate *ts);
/* Starts a new peak interval; first hands the current peak to every open
 * scope of any thread (the reset is process-wide). True when it started. */
MEMGATE__HIDDEN bool memgate__start_peak_interval(void);
/* Finds an open scope called name on a thread other than self and copies
 * where it began. */
MEMGATE__HIDDEN bool memgate__find_open_elsewhere(const memgate__tstate *self, const char *name,
                                                  char *file, size_t cap, int *line);
/* Reports every open frame of ts above index keep as never ended; the
 * error names why_file:why_line when given, else where the frame began. */
MEMGATE__HIDDEN void memgate__unwind_to(memgate__tstate *ts, int keep, const char *why_file,
                                        int why_line, const char *why);
/* Touches 64 KiB of stack below the caller before its first sample: a
 * stack page first touched between two samples would count as retained. */
MEMGATE__HIDDEN void memgate__pretouch_stack(void);

/* ---- repeat.c: the iterator of repeats and loops ------------------------ */

/* Validates a repeat or loop (what: "MEM_REPEAT" or "MEM_LOOP") and pushes
 * its run. On misuse reports an error result (copied to *out), returns the
 * error verdict and sets *run to NULL; else returns pass. */
MEMGATE__HIDDEN memgate_verdict memgate__run_start(memgate__tstate *ts, const char *what,
                                                   const char *name, uint32_t iterations,
                                                   const memgate_options *opts, const char *file,
                                                   int line, memgate_result *out,
                                                   memgate__run **run);
/* Advances the run: samples when it is time, and returns true when the
 * body must run once more, false when measuring is over. Allocates nothing. */
MEMGATE__HIDDEN bool memgate__run_step(memgate__run *run);
/* Judges a run that is over, delivers its result (copied to *out) and pops
 * it. Returns the verdict. */
MEMGATE__HIDDEN memgate_verdict memgate__run_finish(memgate__tstate *ts, memgate__run *run,
                                                    memgate_result *out);

/* ---- state.c + jump.c: runs left before they finished ------------------- */

#define MEMGATE__LEFT_BY_JUMP "was left by longjmp or an exception (a failed test assertion?)"
/* Reports the innermost run as an error result (MEMGATE_EABANDONED) that
 * says how it was left (why), closes the scopes its body left open and
 * pops it. */
MEMGATE__HIDDEN void memgate__run_abandon(memgate__tstate *ts, const char *why);
/* Every run of ts, innermost first (memgate_finish, exit). */
MEMGATE__HIDDEN void memgate__abandon_all(memgate__tstate *ts, const char *why);
/* At an entry point whose frame is `frame` (__builtin_frame_address(0)):
 * reports the runs whose body was left, i.e. whose recorded frame lies
 * below this one. ts may be NULL. memgate__reap_here gets ts itself. */
MEMGATE__HIDDEN void memgate__reap_abandoned(memgate__tstate *ts, uintptr_t frame);
MEMGATE__HIDDEN void memgate__reap_here(uintptr_t frame);

/* ---- guard.c: one memgate call at a time per thread ---------------------- */

/* Marks the calling thread as inside memgate; false (nothing marked) when
 * it already is: a signal handler or a sampler callback called in while a
 * call was running, and going on could deadlock on memgate's locks. */
MEMGATE__HIDDEN bool memgate__enter(void);
MEMGATE__HIDDEN void memgate__leave(void);
/* Lifts the mark while memgate runs user code it was given (a repeat's
 * body, handlers) and puts it back as it was. */
MEMGATE__HIDDEN bool memgate__suspend(void);
MEMGATE__HIDDEN void memgate__resume(bool was);
/* The refusal of such a call: takes no lock and allocates nothing (only
 * write(2) and an atomic count), fills *out when given, returns error. */
MEMGATE__HIDDEN memgate_verdict memgate__refuse_reentry(const char *what, const char *name,
                                                        memgate_kind kind, const char *file,
                                                        int line, memgate_result *out);

/* ---- result.c: building and finishing results --------------------------- */

/* 0 when name, file and line are what the memgate command accepts
 * (validate.c); else MEMGATE_EINVAL with "WHAT: the name \"...\" has ..."
 * (the value escaped for a terminal) in msg. */
MEMGATE__HIDDEN int memgate__check_site(const char *what, const char *name, const char *file,
                                        int line, char *msg, size_t cap);
/* Copies src (or "?" when NULL) into dst, truncating to cap. Results keep
 * only valid names, paths and lines ("(invalid name)", "(invalid path)",
 * 0 instead), so every result can be written and read back. */
MEMGATE__HIDDEN void memgate__copy_str(char *dst, size_t cap, const char *src);
/* Zeroes *r and points its strings at ts's storage (name, file, place). */
MEMGATE__HIDDEN void memgate__result_init(memgate__tstate *ts, memgate_result *r,
                                          memgate_kind kind, const char *name, const char *file,
                                          int line, const char *begin_file, int begin_line);
/* Finishes r as an error result (error code err, message from fmt),
 * delivers it and copies it to *out (optional). Returns the error verdict. */
MEMGATE__HIDDEN memgate_verdict memgate__result_fail(memgate__tstate *ts, memgate_result *r,
                                                     memgate_result *out, int err,
                                                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* One call for a misuse or an unreadable footprint before any result
 * existed: initialises, fails and delivers. ts may be NULL (out of
 * memory): *out's strings are then NULL. */
MEMGATE__HIDDEN memgate_verdict memgate__report_error(memgate__tstate *ts, memgate_result *out,
                                                      memgate_kind kind, const char *name,
                                                      const char *file, int line,
                                                      const char *begin_file, int begin_line,
                                                      int err, const char *fmt, ...)
    __attribute__((format(printf, 10, 11)));
/* Applies the baseline to a measured result, sets its final verdict and
 * message, delivers it and copies it to *out. Returns the final verdict. */
MEMGATE__HIDDEN memgate_verdict memgate__result_finish(memgate__tstate *ts, memgate_result *r,
                                                       memgate_result *out);

/* ---- handlers.c --------------------------------------------------------- */

/* Calls the result handler, and for a failed result counts it and calls
 * the failure handler. */
MEMGATE__HIDDEN void memgate__deliver(const memgate_result *r);

/* ---- failures.c --------------------------------------------------------- */

/* Adds one to memgate_failure_count() (atomic, no lock). */
MEMGATE__HIDDEN void memgate__count_failure(void);

/* ---- judge.c + message.c: the repeat's verdict and message -------------- */

typedef struct memgate__repeat_judgement {
  memgate_verdict verdict;  /* pass or leak */
  bool too_short;           /* fewer than 3 measured iterations: pass */
  bool unconfirmed;         /* a rule fired but the growth did not persist in the newest
                               part of the window: run confirmation rounds, else pass */
  bool bounded;             /* confirmation rounds ran and the newest window passed */
  uint32_t window;          /* iterations judged: the newest `window` of the run */
  uint32_t confirmed;       /* iterations run beyond the requested ones */
  uint32_t flat, heap_flat; /* trailing window steps that moved less than a page / 16 B */
  memgate_growth fp, heap;  /* footprint view; allocator view (zero if none), judged on
                               the window with one largest rise and fall neutralised */
  memgate_rule rule;        /* the rule that fired (footprint first) */
} memgate__repeat_judgement;

/* Judges a measured repeat of total measured iterations (series and heap
 * hold total + 1 samples; heap NULL without the allocator view) on its
 * newest n (n <= total): the rules on the window with its single largest
 * rise and fall replaced by the median step, and a leak only when the
 * growth persists in the window's newest part. scratch holds n + 1 values.
 * No allocation (it may run between samples during confirmation). */
MEMGATE__HIDDEN void memgate__judge_repeat(const uint64_t *series, const uint64_t *heap,
                                           uint32_t total, uint32_t n, const memgate_options *o,
                                           uint64_t *scratch, memgate__repeat_judgement *j);
/* The one-line message of a measured scope or repeat. */
MEMGATE__HIDDEN void memgate__scope_message(const memgate_result *r, char *msg, size_t cap);
MEMGATE__HIDDEN void memgate__repeat_message(const memgate_result *r,
                                             const memgate__repeat_judgement *j,
                                             const memgate_options *o, char *msg, size_t cap);

#endif
