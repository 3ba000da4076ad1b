/*
 * bench_sampling.c - what one sample and one MEM_BEGIN/MEM_END pair cost.
 *
 *   bench_sampling [--quick] [--summary FILE] [--memgate-cmd PATH]
 *
 * Prints a Markdown section on stdout. Each measurement runs in a fresh
 * process (this program re-executed with --child), one at a time. Calls are
 * timed one by one with CLOCK_MONOTONIC, interleaved with the reference
 * calls in the same loop, and the timer's own cost (median of an empty
 * timed region) is subtracted.
 *
 * Children:
 *   --child reads --n N              memgate_read vs getrusage and references
 *   --child scope --heap small|frag --n N
 *                                    MEM_BEGIN/MEM_END pairs; the driver sets
 *                                    MEMGATE_RELEASE=0 for the bounded rows
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "bench_util.h"
#include "bench_work.h"
#include "memgate.h"

#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ------------------------------------------------------------------ child */

static uint64_t timer_overhead_ns(void) {
  double v[2001];
  for (int i = 0; i < 2001; i++) {
    uint64_t t0 = bench_now_ns();
    uint64_t t1 = bench_now_ns();
    v[i] = (double)(t1 - t0);
  }
  return (uint64_t)bench_median(v, 2001);
}

/* A statm-based footprint read, as a reference for what the library could
 * use for frequent samples: kept descriptor, pread at offset 0, parse
 * "size resident shared ..." and return (resident - shared) pages in bytes
 * (= RssAnon; statm has no VmSwap or VmPTE). */
static int statm_fd = -1;
static uint64_t statm_read(void) {
  char buf[256];
  ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  uint64_t f[3] = {0, 0, 0};
  const char *p = buf;
  for (int k = 0; k < 3; k++) {
    while (*p == ' ') p++;
    while (*p >= '0' && *p <= '9') f[k] = f[k] * 10u + (uint64_t)(*p++ - '0');
  }
  return (f[1] - f[2]) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static volatile uint64_t g_sink;

/* Stores elapsed - overhead (never below 0) into v[i]. */
#define TIMED(v, i, stmt)                                              \
  do {                                                                 \
    uint64_t t0_ = bench_now_ns();                                     \
    stmt;                                                              \
    uint64_t t1_ = bench_now_ns();                                     \
    uint64_t d_ = t1_ - t0_;                                           \
    (v)[i] = d_ > ovh ? (double)(d_ - ovh) : 0.0;                     \
  } while (0)

static void print_stat(const char *key, double *v, size_t n) {
  bench_sort(v, n);
  printf(" %s_med=%.1f %s_p99=%.1f", key, bench_quantile(v, n, 0.5), key, bench_quantile(v, n, 0.99));
}

static int child_reads(size_t n) {
  enum { READ, RUSAGE, STATUS, MALLINFO, STATM, STATM_MI, READ_FULL, NK };
  static const char *keys[NK] = {"read", "rusage", "status", "mallinfo", "statm", "statm_mi",
                                 "read_full"};
  double *v[NK];
  for (int k = 0; k < NK; k++) {
    v[k] = malloc(n * sizeof(double));
    if (!v[k]) return 3;
    memset(v[k], 0, n * sizeof(double));
  }
  int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (status_fd < 0 || statm_fd < 0) return 3;
  memgate_footprint fp;
  struct rusage ru;
  char sbuf[8192];
  if (memgate_read(&fp) != 0) return 3;
  uint64_t ovh = timer_overhead_ns();
  /* Warm every path (first calls fault in code and buffers). */
  for (int i = 0; i < 200; i++) {
    memgate_read(&fp);
    getrusage(RUSAGE_SELF, &ru);
    g_sink += (uint64_t)pread(status_fd, sbuf, sizeof sbuf, 0);
    g_sink += statm_read();
    g_sink += mallinfo2().uordblks;
    memgate_read_full(&fp);
  }
  for (size_t i = 0; i < n; i++) {
    TIMED(v[READ], i, memgate_read(&fp));
    TIMED(v[RUSAGE], i, getrusage(RUSAGE_SELF, &ru));
    TIMED(v[STATUS], i, g_sink += (uint64_t)pread(status_fd, sbuf, sizeof sbuf, 0));
    TIMED(v[MALLINFO], i, g_sink += mallinfo2().uordblks);
    TIMED(v[STATM], i, g_sink += statm_read());
    TIMED(v[STATM_MI], i, g_sink += statm_read() + mallinfo2().uordblks);
    TIMED(v[READ_FULL], i, memgate_read_full(&fp));
  }
  printf("n=%zu timer=%llu", n, (unsigned long long)ovh);
  for (int k = 0; k < NK; k++) print_stat(keys[k], v[k], n);
  printf("\n");
  return 0;
}

static int child_scope(const char *heap, size_t n) {
  enum { PAIR, TRIM, READ, RUSAGE, MALLINFO, STATM_MI, CLEAR_REFS, NK };
  static const char *keys[NK] = {"pair", "trim", "read", "rusage", "mallinfo", "statm_mi",
                                 "clear_refs"};
  double *v[NK];
  for (int k = 0; k < NK; k++) {
    v[k] = malloc(n * sizeof(double));
    if (!v[k]) return 3;
    memset(v[k], 0, n * sizeof(double));
  }
  if (strcmp(heap, "frag") == 0) {
    if (bench_frag_heap_build() != 0) return 3;
  } else {
    /* A small, used heap: some churn, everything freed. */
    bench_churn c;
    if (bench_churn_init(&c, 7, 0, 0)) return 3;
    for (int i = 0; i < 64; i++) bench_churn_body(&c);
  }
  memgate_footprint fp;
  struct rusage ru;
  statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  int cr_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (statm_fd < 0 || cr_fd < 0) return 3;
  uint64_t ovh = timer_overhead_ns();
  /* One pair first: creates memgate's per-thread state outside the timing. */
  MEM_BEGIN("bench.scope");
  MEM_END("bench.scope");
  for (size_t i = 0; i < n; i++) {
    TIMED(v[PAIR], i, {
      MEM_BEGIN("bench.scope");
      MEM_END("bench.scope");
    });
    TIMED(v[TRIM], i, memgate_release_free_memory());
    TIMED(v[READ], i, memgate_read(&fp));
    TIMED(v[RUSAGE], i, getrusage(RUSAGE_SELF, &ru));
    TIMED(v[MALLINFO], i, g_sink += mallinfo2().uordblks);
    TIMED(v[STATM_MI], i, g_sink += statm_read() + mallinfo2().uordblks);
    TIMED(v[CLEAR_REFS], i, g_sink += (uint64_t)pwrite(cr_fd, "5", 1, 0));
  }
  struct mallinfo2 mi = mallinfo2();
  memgate_read(&fp);
  printf("n=%zu timer=%llu free_chunks=%zu arena_mib=%.1f footprint_mib=%.1f", n,
         (unsigned long long)ovh, mi.ordblks, (double)mi.arena / 1048576.0,
         (double)fp.footprint_bytes / 1048576.0);
  for (int k = 0; k < NK; k++) print_stat(keys[k], v[k], n);
  printf("\n");
  return memgate_failure_count() ? 1 : 0;
}

/* ----------------------------------------------------------------- driver */

typedef struct kind {
  const char *label;
  const char *heap;     /* NULL: reads */
  const char *env;      /* extra environment, or NULL */
  size_t n, procs;
} kind;

/* Median over processes of one key; NAN when missing. */
static double agg(bench_job *jobs, size_t first, size_t stride, size_t count, const char *key,
                  double *maxv) {
  double v[64];
  size_t m = 0;
  for (size_t i = 0; i < count && m < 64; i++) {
    double d;
    if (jobs[first + i * stride].out && bench_get(jobs[first + i * stride].out, key, &d)) v[m++] = d;
  }
  if (maxv) *maxv = bench_max(v, m);
  return bench_median(v, m);
}

static void usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--quick] [--summary FILE] [--memgate-cmd PATH]\n", argv0);
}

int main(int argc, char **argv) {
  bench_handle_probe(argc, argv);
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    memgate_set_failure_handler(bench_quiet_handler, NULL);
    size_t n = 1000;
    const char *heap = "small";
    for (int i = 3; i + 1 < argc; i += 2) {
      if (strcmp(argv[i], "--n") == 0) n = (size_t)strtoul(argv[i + 1], NULL, 10);
      if (strcmp(argv[i], "--heap") == 0) heap = argv[i + 1];
    }
    if (n == 0) n = 1;
    if (strcmp(argv[2], "reads") == 0) return child_reads(n);
    if (strcmp(argv[2], "scope") == 0) return child_scope(heap, n);
    return 2;
  }

  bench_args args;
  int start = bench_driver_start(argc, argv, &args, usage);
  if (start != 0) return start;
  const bool quick = args.quick;

  kind kinds[] = {
      {"reads", NULL, NULL, quick ? 3000 : 20000, quick ? 3 : 9},
      {"small heap", "small", NULL, quick ? 300 : 3000, quick ? 3 : 9},
      {"small heap", "small", "MEMGATE_RELEASE=0", quick ? 300 : 3000, quick ? 3 : 9},
      {"fragmented 100 MiB heap", "frag", NULL, quick ? 10 : 40, quick ? 1 : 5},
      {"fragmented 100 MiB heap", "frag", "MEMGATE_RELEASE=0", quick ? 10 : 40, quick ? 1 : 5},
  };
  enum { NKIND = sizeof kinds / sizeof kinds[0] };
  size_t maxp = 0;
  for (int k = 0; k < NKIND; k++)
    if (kinds[k].procs > maxp) maxp = kinds[k].procs;
  /* Interleave: round r runs one process of each kind. */
  bench_job *jobs = calloc(NKIND * maxp, sizeof *jobs);
  char nbuf[NKIND][24];
  if (!jobs) return 3;
  size_t nj = 0;
  size_t first[NKIND], count[NKIND];
  /* Index of kind k, round r: r * NKIND + k (rounds a kind does not use are skipped). */
  for (size_t r = 0; r < maxp; r++)
    for (int k = 0; k < NKIND; k++) {
      bench_job *j = &jobs[r * NKIND + k];
      memset(j, 0, sizeof *j);
      if (r >= kinds[k].procs) continue;
      snprintf(nbuf[k], sizeof nbuf[k], "%zu", kinds[k].n);
      size_t a = 0;
      j->args[a++] = "--child";
      j->args[a++] = kinds[k].heap ? "scope" : "reads";
      j->args[a++] = "--n";
      j->args[a++] = nbuf[k];
      if (kinds[k].heap) {
        j->args[a++] = "--heap";
        j->args[a++] = kinds[k].heap;
      }
      j->extra_env[0] = kinds[k].env;
    }
  for (int k = 0; k < NKIND; k++) {
    first[k] = (size_t)k;
    count[k] = kinds[k].procs;
  }
  /* Run in round order, one at a time, skipping unused slots. */
  size_t bad = 0;
  for (size_t i = 0; i < NKIND * maxp; i++) {
    if (!jobs[i].args[0]) continue;
    bad += bench_run_jobs(&jobs[i], 1, 1);
    nj++;
  }
  (void)nj;

  /* ---- sampling cost table */
  size_t R = count[0];
  const size_t S = NKIND;
  struct {
    const char *key, *label;
  } rows[] = {
      {"rusage", "`getrusage(RUSAGE_SELF)` (the floor)"},
      {"read", "`memgate_read()` (the library's fast read + `mallinfo2()`)"},
      {"status", "reference: `pread` of /proc/self/status only (no parse)"},
      {"mallinfo", "reference: `mallinfo2()` only"},
      {"statm", "reference: `pread` + parse of /proc/self/statm (RssAnon only)"},
      {"statm_mi", "reference: statm read + `mallinfo2()` (a statm-based `memgate_read`)"},
      {"read_full", "`memgate_read_full()` (status file: VmSwap, VmPTE and the peak too)"},
  };
  enum { NROW = sizeof rows / sizeof rows[0] };
  double med[NROW], p99[NROW], p99max[NROW];
  for (int i = 0; i < NROW; i++) {
    char kmed[32], kp99[32];
    snprintf(kmed, sizeof kmed, "%s_med", rows[i].key);
    snprintf(kp99, sizeof kp99, "%s_p99", rows[i].key);
    med[i] = agg(jobs, first[0], S, R, kmed, NULL);
    p99[i] = agg(jobs, first[0], S, R, kp99, &p99max[i]);
  }
  double timer = agg(jobs, first[0], S, R, "timer", NULL);

  printf("## Sampling cost\n\n");
  printf("%zu fresh processes, %zu timed calls of each kind per process, interleaved in one loop; "
         "the timer's own cost (median %.0f ns for two `clock_gettime` calls) is subtracted. "
         "Median of the per-process medians; p99 is the median of the per-process 99th "
         "percentiles (largest in parentheses).\n\n",
         R, kinds[0].n, timer);
  printf("| call | median ns | p99 ns | median / getrusage |\n|---|---:|---:|---:|\n");
  for (int i = 0; i < NROW; i++)
    printf("| %s | %.0f | %.0f (%.0f) | %.1f× |\n", rows[i].label, med[i], p99[i], p99max[i],
           med[i] / med[0]);
  double ratio = med[1] / med[0], statm_ratio = med[5] / med[0];
  printf("\n`memgate_read()` costs **%.1f×** `getrusage`; `mallinfo2()` is %.0f ns of it. "
         "`memgate_read_full()` also reads /proc/self/status (%.0f ns for the pread alone, "
         "%.1f× getrusage in all); a plain statm read with the same allocator view measured "
         "%.0f ns (%.1f× getrusage).\n\n",
         ratio, med[3], med[2], med[6] / med[0], med[5], statm_ratio);

  /* ---- scope pair table */
  printf("## One MEM_BEGIN/MEM_END pair\n\n");
  printf("An empty scope, timed as a whole (MEM_BEGIN + MEM_END), in fresh processes; the same "
         "loop also times `memgate_release_free_memory()` (glibc `malloc_trim(0)`) and "
         "`memgate_read()` on their own. *Small heap*: after 64 iterations of the churn "
         "workload. *Fragmented*: 100 MiB of 16..8192 B blocks written, then two of every three "
         "freed. Median of the per-process medians (p99: median of per-process p99s).\n\n");
  printf("| heap | setting | processes × pairs | pair median µs | pair p99 µs | malloc_trim(0) "
         "median µs | memgate_read median µs | free chunks |\n");
  printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
  double pair_med[NKIND], trim_med[NKIND], read_med[NKIND], chunks[NKIND];
  for (int k = 1; k < NKIND; k++) {
    double p99v;
    pair_med[k] = agg(jobs, first[k], S, count[k], "pair_med", NULL) / 1000.0;
    p99v = agg(jobs, first[k], S, count[k], "pair_p99", NULL) / 1000.0;
    trim_med[k] = agg(jobs, first[k], S, count[k], "trim_med", NULL) / 1000.0;
    read_med[k] = agg(jobs, first[k], S, count[k], "read_med", NULL) / 1000.0;
    chunks[k] = agg(jobs, first[k], S, count[k], "free_chunks", NULL);
    printf("| %s | %s | %zu × %zu | %.1f | %.1f | %.1f | %.1f | %.0f |\n", kinds[k].label,
           kinds[k].env ? "`MEMGATE_RELEASE=0`" : "default (release on)", count[k], kinds[k].n,
           pair_med[k], p99v, trim_med[k], read_med[k], chunks[k]);
  }
  double small_trims = trim_med[1] > 0 ? (pair_med[1] - pair_med[2]) / trim_med[1] : NAN;
  double frag_trims = trim_med[3] > 0 ? (pair_med[3] - pair_med[4]) / trim_med[3] : NAN;
  double frag_share = pair_med[3] > 0 ? (pair_med[3] - pair_med[4]) / pair_med[3] : NAN;
  printf("\nOn the fragmented heap `malloc_trim(0)` dominates: it walks every free chunk and "
         "madvises each page-spanning hole on every call, %.0f µs per call here, and the pair "
         "spends %.0f µs more with release on than with `MEMGATE_RELEASE=0` (%.0f%% of the "
         "pair; about %.1f trims per pair). `MEMGATE_RELEASE=0` bounds the pair at %.0f µs on "
         "that heap; what remains is `memgate_read()`, whose `mallinfo2()` also walks the free "
         "chunks (%.0f µs there). On the small heap the release costs %.1f µs of the pair "
         "(about %.1f trims of %.1f µs).\n\n",
         trim_med[3], pair_med[3] - pair_med[4], frag_share * 100.0, frag_trims, pair_med[4],
         agg(jobs, first[3], S, count[3], "mallinfo_med", NULL) / 1000.0,
         pair_med[1] - pair_med[2], small_trims, trim_med[1]);
  double cr = agg(jobs, first[1], S, count[1], "clear_refs_med", NULL) / 1000.0;
  double smi = agg(jobs, first[1], S, count[1], "statm_mi_med", NULL) / 1000.0;
  double est = pair_med[1] - 2.0 * read_med[1] + 2.0 * smi;
  printf("Where the small-heap pair goes (medians from the same processes): two `memgate_read()` "
         "calls, %.1f µs (%.0f%%); the releases, %.1f µs; the peak reset (a write of \"5\" to "
         "/proc/self/clear_refs) %.1f µs; the rest is bookkeeping. With a statm-based read "
         "(%.1f µs with `mallinfo2()`) at both ends, the same pair would take about **%.1f µs** "
         "(estimate: the measured pair with its two reads swapped for the measured statm "
         "reads).\n\n",
         2.0 * read_med[1], 200.0 * read_med[1] / pair_med[1], pair_med[1] - pair_med[2], cr, smi,
         est);
  bench_summary("M", "pair_statm_est_us=%.1f clear_refs_us=%.2f", est, cr);
  printf("Turning release off has a price: memory freed inside the scope but kept by the "
         "allocator then counts as retained, so use it only where the trim is what hurts, "
         "and prefer leak checks (which compare many samples) over single scopes there.\n\n");

  /* ---- targets */
  bench_summary("T", "sampling: `memgate_read()` ≤ 2× `getrusage`|%s|%.1f× (%.0f ns vs %.0f ns)|%s",
                ratio <= 2.0 ? "met" : "not met", ratio, med[1], med[0],
                ratio <= 2.0 ? "-"
                             : "/proc/self/status costs the kernel far more to format than "
                               "getrusage; read /proc/self/statm instead (Recommendations 1)");
  bench_summary("M", "statm_ratio=%.1f", statm_ratio);
  bench_summary("T", "sampling: `memgate_read_full()` ÷ `getrusage` (no target; the status file "
                "read)|-|%.1f× (%.0f ns)|the full read formats /proc/self/status: use it only "
                "where VmSwap, VmPTE or the peak are wanted",
                med[6] / med[0], med[6]);
  char why[200];
  snprintf(why, sizeof why, "two reads are %.0f%% of it; the rest is the peak (status read, "
           "clear_refs), the releases and bookkeeping (about %.1f µs with plain statm reads)",
           200.0 * read_med[1] / pair_med[1], est);
  bench_summary("T", "a scope pair ≤ 10 µs median on a small heap|%s|%.1f µs (p99 %.1f µs)|%s",
                pair_med[1] <= 10.0 ? "met" : "not met", pair_med[1],
                agg(jobs, first[1], S, count[1], "pair_p99", NULL) / 1000.0,
                pair_med[1] <= 10.0 ? "-" : why);
  bench_summary("T", "fragmented 100 MiB heap ≤ 0.5 ms per sample, scopes (release on)|%s|%.3f ms "
                "per sample (pair %.3f ms; `MEMGATE_RELEASE=0` %.3f ms per sample)|%s",
                pair_med[3] / 2000.0 <= 0.5 ? "met" : "not met", pair_med[3] / 2000.0,
                pair_med[3] / 1000.0, pair_med[4] / 2000.0,
                pair_med[3] / 2000.0 <= 0.5 ? "-" : "`malloc_trim(0)` walks every free chunk");
  bench_summary("H", "sampling|`memgate_read()` %.1f µs median (%.1f× `getrusage`); an empty "
                "MEM_BEGIN/MEM_END pair %.1f µs on a small heap",
                med[1] / 1000.0, ratio, pair_med[1]);
  bench_summary("M", "read_ns=%.0f rusage_ns=%.0f statm_mi_ns=%.0f pair_small_us=%.2f "
                "pair_small_norelease_us=%.2f trim_small_us=%.2f pair_frag_ms=%.2f "
                "pair_frag_norelease_ms=%.3f trim_frag_ms=%.3f trims_per_pair=%.1f",
                med[1], med[0], med[5], pair_med[1], pair_med[2], trim_med[1], pair_med[3] / 1000.0,
                pair_med[4] / 1000.0, trim_med[3] / 1000.0, frag_trims);
  bench_free_jobs(jobs, NKIND * maxp);
  free(jobs);
  bench_summary_close();
  return bad ? 3 : 0;
}
