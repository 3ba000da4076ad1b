/*
 * bench_util.h - shared helpers for the memgate benchmark programs:
 * clocks, statistics, a small PRNG, running measurements in fresh
 * processes (default glibc or memgate run's tuned environment), and the
 * summary lines gen_benchmarks.sh turns into docs/BENCHMARKS.md.
 *
 * Every benchmark program is both a driver and its own child: the driver
 * re-executes /proc/self/exe with "--child ..." for each measurement, so
 * each one starts from a fresh heap, and reads the child's one-line
 * "key=value ..." answer.
 */
#ifndef MEMGATE_BENCH_UTIL_H
#define MEMGATE_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ time */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* ------------------------------------------------------------ statistics */

/* Sorts v ascending (n may be 0). */
void bench_sort(double *v, size_t n);
/* Quantile q in [0,1] of a sorted array (nearest rank); NAN when n == 0. */
double bench_quantile(const double *v, size_t n, double q);
/* Sorts v, returns its median; NAN when n == 0. */
double bench_median(double *v, size_t n);
/* Largest value; NAN when n == 0. */
double bench_max(const double *v, size_t n);

/* ------------------------------------------------------------------ PRNG */

typedef struct bench_rng {
  uint64_t s;
} bench_rng;

void bench_rng_seed(bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(bench_rng *r);
/* Uniform in [lo, hi]. */
size_t bench_rng_range(bench_rng *r, size_t lo, size_t hi);

/* --------------------------------------------------- fresh-process jobs */

/* The environment a child runs in. */
typedef enum bench_env {
  BENCH_ENV_DEFAULT = 0, /* default glibc: no GLIBC_TUNABLES, no MEMGATE_* */
  BENCH_ENV_TUNED = 1    /* memgate run's environment (see bench_tuned_init) */
} bench_env;

#define BENCH_MAX_ARGS 24
#define BENCH_MAX_EXTRA_ENV 8

typedef struct bench_job {
  /* Arguments after the program path; NULL-terminated. The program is this
   * executable unless `program` is set. */
  const char *args[BENCH_MAX_ARGS];
  const char *program;     /* NULL: /proc/self/exe */
  bench_env env;
  const char *extra_env[BENCH_MAX_EXTRA_ENV]; /* "NAME=value", NULL-terminated */
  bool any_exit_ok;        /* only a signal counts as a failure (tools that exit non-zero) */
  /* Results, filled by bench_run_jobs. */
  int status;              /* wait status */
  uint64_t wall_ns;        /* fork to reap */
  long minor_faults;       /* ru_minflt of the child (and its children) */
  char *out;               /* stdout + stderr of the child (malloc'd, NUL-terminated) */
  size_t out_len;
} bench_job;

/*
 * Must be called once by a driver before bench_run_jobs. self is argv[0]
 * (used only in messages); memgate_cmd is the `memgate` command to use for
 * the tuned environment when it exists and passes a probe ("" or NULL:
 * set the environment here). Returns 0 or -1 (message on stderr).
 */
int bench_init_driver(const char *memgate_cmd);

/* The options every benchmark driver takes. */
typedef struct bench_args {
  bool quick;              /* --quick: the short CI variant */
  int jobs;                /* --jobs N: child processes at once (default 2) */
  const char *gate;        /* --gate candidate|defaults|none (default "defaults") */
  const char *summary;     /* --summary FILE: machine-readable lines for the doc */
  const char *memgate_cmd; /* --memgate-cmd PATH: `memgate run` for the tuned environment */
  const char *asan_cc;     /* --asan-cc CC: compiler for the LeakSanitizer build (default "cc") */
} bench_args;

/* Parses the driver options into *a, then runs bench_init_driver() and
 * bench_summary_open(). Returns 0, 2 after calling usage(prog) on an unknown
 * option, or 3 when the driver cannot start. */
int bench_driver_start(int argc, char **argv, bench_args *a, void (*usage)(const char *prog));

/* Usage line of the drivers that take --jobs and --gate (bench_detect,
 * bench_fp), for bench_driver_start(). */
void bench_usage_gated(const char *prog);

/* Absolute path of this executable (after bench_init_driver). */
const char *bench_self_path(void);

/* One sentence saying how the tuned environment is produced (static). */
const char *bench_tuned_how(void);

/*
 * Runs the jobs, at most `parallel` at once (1 for anything timed), each in
 * a fresh process with stdout and stderr captured, and a clean environment:
 * GLIBC_TUNABLES, MEMGATE_*, ASAN_OPTIONS and LSAN_OPTIONS are removed, then
 * extra_env and the tuned settings added. Returns the number of jobs that
 * crashed or exited non-zero (only crashed, for any_exit_ok jobs), after
 * printing each to stderr with the tail of its output.
 */
size_t bench_run_jobs(bench_job *jobs, size_t n, int parallel);

/* Frees the captured output of n jobs. */
void bench_free_jobs(bench_job *jobs, size_t n);

/* Child side of the probes: handles "--probe-env" (prints the environment
 * it sees) and "--probe-options" (prints memgate_options_init()'s values),
 * then exits. Call first thing in main. */
void bench_handle_probe(int argc, char **argv);

/* Finds "key=" in a child's "key=value ..." output and parses a double;
 * false when absent. */
bool bench_get(const char *out, const char *key, double *value);
/* Copies the word after "key=" into buf (up to a space); false when absent. */
bool bench_get_word(const char *out, const char *key, char *buf, size_t cap);

/* ------------------------------------------------------------ reporting */

/*
 * Summary lines for gen_benchmarks.sh, appended to the file named by
 * --summary (or nowhere when it was not given):
 *   T|target|met or not met|measured|why / what closes it
 *   A|acceptance figure|met or not met|measured|note
 *   H|headline sentence
 * Fields must not contain '|' or newlines.
 */
void bench_summary_open(const char *path);
void bench_summary(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_summary_close(void);

/* Formats a byte count as "16 B", "4 KiB", "64 KiB" (exact powers) into buf. */
const char *bench_bytes(char *buf, size_t cap, uint64_t bytes);

/*
 * Profiles: an environment plus the options in force (set through MEMGATE_*
 * variables, so the library under test is unchanged). The candidates are a
 * change under evaluation (docs/BENCHMARKS.md, Recommendations): now a
 * shorter warm-up (10) than the library's 20 under default glibc.
 */
enum {
  BENCH_P_DEFAULT = 0,   /* default glibc, library defaults */
  BENCH_P_TUNED,         /* tuned environment, library defaults */
  BENCH_P_TUNED_CAND,    /* tuned environment, candidate options */
  BENCH_P_DEFAULT_CAND,  /* default glibc, candidate options */
  BENCH_NPROF
};

typedef struct bench_profile {
  const char *label;   /* for table headers */
  const char *env_text; /* "default glibc" or "tuned (memgate run)" */
  const char *options; /* the variables set, space-separated, or "none" */
  bench_env env;
  bool candidate;
  const char *vars[7]; /* "NAME=value", NULL-terminated */
} bench_profile;

extern const bench_profile bench_profiles[BENCH_NPROF];

/* Sets a job's environment and variables for profile p. */
void bench_profile_apply(int p, bench_job *job);

/* The options in force in profile p, as memgate_options_init() reports
 * them in a fresh child of that profile (asked once, then cached). */
typedef struct bench_options {
  bool ok;
  double warmup, min_growth, min_slope, heap_min_growth, heap_min_slope, trend_t;
  double heap_regular, fill_cache;
} bench_options;
const bench_options *bench_profile_options(int p);

/* Prints a Markdown table of the options of every profile. */
void bench_print_profiles(void);

/* Quiet failure handler for children (expected leaks are not news). */
struct memgate_result;
void bench_quiet_handler(const struct memgate_result *r, void *ctx);

/* ------------------------------------------------- other tools' runners */

/* Finds name in PATH into out; false when absent. */
bool bench_which(const char *name, char *out, size_t cap);

/* The directory this driver's temporary files go in (after
 * bench_init_driver); files left there are removed at exit. */
const char *bench_tmpdir(void);

/*
 * heaptrack (KDE's heap profiler, Debian package `heaptrack`), for any
 * benchmark that wants to compare with it. bench_heaptrack_job() makes job
 * run `heaptrack -o DATA PROGRAM` (the caller appends PROGRAM's arguments
 * from args[*next] on) with DATA = bench_tmpdir()/heaptrack.<tag>; false
 * when heaptrack or heaptrack_print is not installed (then say "not
 * available"). After the job ran, bench_heaptrack_read() runs
 * heaptrack_print on the data, copies its "peak heap memory consumption"
 * and "total memory leaked" figures (as heaptrack prints them, e.g. "3.25M")
 * into peak and leaked, and removes the data; false when they are missing.
 */
bool bench_heaptrack_job(bench_job *job, const char *program, const char *tag, size_t *next);
bool bench_heaptrack_read(const char *tag, char *peak, char *leaked, size_t cap);

/*
 * valgrind's massif the same way: `valgrind --tool=massif
 * --massif-out-file=bench_tmpdir()/massif.<tag> PROGRAM`.
 * bench_massif_read() reads the largest and the last snapshot's heap bytes
 * (mem_heap_B + mem_heap_extra_B) and removes the file.
 */
bool bench_massif_job(bench_job *job, const char *program, const char *tag, size_t *next);
bool bench_massif_read(const char *tag, double *peak_bytes, double *last_bytes);

#endif /* MEMGATE_BENCH_UTIL_H */
