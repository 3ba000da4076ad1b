/*
 * bench_util.c - see bench_util.h.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "bench_util.h"

#include "memgate.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The tuned environment `memgate run` sets up (issue 6 / FACTS.md). */
#ifndef BENCH_TUNABLES
#  define BENCH_TUNABLES \
    "glibc.malloc.tcache_count=0:glibc.malloc.top_pad=0:glibc.malloc.trim_threshold=4294967295"
#endif

/* ------------------------------------------------------------------ time */

uint64_t bench_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ------------------------------------------------------------ statistics */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void bench_sort(double *v, size_t n) {
  if (n > 1) qsort(v, n, sizeof *v, cmp_double);
}

double bench_quantile(const double *v, size_t n, double q) {
  if (n == 0) return NAN;
  double pos = ceil(q * (double)n) - 1.0;
  if (pos < 0) pos = 0;
  if (pos > (double)(n - 1)) pos = (double)(n - 1);
  return v[(size_t)pos];
}

double bench_median(double *v, size_t n) {
  if (n == 0) return NAN;
  bench_sort(v, n);
  if (n % 2) return v[n / 2];
  return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double bench_max(const double *v, size_t n) {
  if (n == 0) return NAN;
  double m = v[0];
  for (size_t i = 1; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

/* ------------------------------------------------------------------ PRNG */

void bench_rng_seed(bench_rng *r, uint64_t seed) {
  r->s = seed ^ UINT64_C(0x9e3779b97f4a7c15);
  if (r->s == 0) r->s = 1;
}

/* splitmix64 step: fast, and good enough to pick block sizes. */
uint64_t bench_rng_next(bench_rng *r) {
  uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

size_t bench_rng_range(bench_rng *r, size_t lo, size_t hi) {
  return lo + (size_t)(bench_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* --------------------------------------------------- fresh-process jobs */

static char g_self[4096];
static char g_tmpdir[256];
static const char *g_memgate_cmd; /* NULL: set the tuned environment ourselves */
static char g_tuned_how[512];

void bench_handle_probe(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--probe-options") == 0) {
    memgate_options o;
    int rc = memgate_options_init(&o);
    printf("rc=%d warmup=%u min_growth=%llu min_slope=%llu heap_min_growth=%llu "
           "heap_min_slope=%llu trend_t=%g heap_regular=%u fill_cache=%d child_ok=1\n",
           rc, (unsigned)o.warmup, (unsigned long long)o.min_growth_bytes,
           (unsigned long long)o.min_slope_bytes, (unsigned long long)o.heap_min_growth_bytes,
           (unsigned long long)o.heap_min_slope_bytes, o.trend_t, (unsigned)o.heap_regular_steps,
           o.fill_alloc_cache ? 1 : 0);
    exit(0);
  }
  if (argc < 2 || strcmp(argv[1], "--probe-env") != 0) return;
  const char *t = getenv("GLIBC_TUNABLES");
  const char *m = getenv("MEMGATE_TREND_T");
  int thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  printf("tunables=%s thp_disable=%d passthrough=%s child_ok=1\n", t && *t ? t : "-", thp,
         m && *m ? m : "-");
  exit(0);
}

static char g_cmd_copy[320]; /* private copy of the memgate command */

static void rm_tmpdir(void) {
  if (g_cmd_copy[0]) unlink(g_cmd_copy);
  if (g_tmpdir[0]) rmdir(g_tmpdir);
}

/* Copies an executable to dst (mode 0755); 0 or -1. Other builds may
 * replace the original while the benchmark runs; the copy stays put. */
static int copy_exec(const char *src, const char *dst) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) {
    close(in);
    return -1;
  }
  char buf[65536];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) {
      rc = -1;
      break;
    }
  if (n < 0) rc = -1;
  close(in);
  if (close(out) != 0) rc = -1;
  return rc;
}

static bool executable(const char *path) {
  struct stat st;
  return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int bench_init_driver(const char *memgate_cmd) {
  ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
  if (n <= 0) {
    fprintf(stderr, "bench: cannot resolve /proc/self/exe: %s\n", strerror(errno));
    return -1;
  }
  g_self[n] = '\0';
  const char *base = getenv("TMPDIR");
  snprintf(g_tmpdir, sizeof g_tmpdir, "%s/memgate-bench.XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(g_tmpdir)) {
    fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
    g_tmpdir[0] = '\0';
    return -1;
  }
  atexit(rm_tmpdir);

  g_memgate_cmd = NULL;
  if (memgate_cmd && *memgate_cmd && !executable(memgate_cmd)) {
    snprintf(g_tuned_how, sizeof g_tuned_how,
             "`%s` does not exist yet, so the benchmark sets memgate run's environment itself: "
             "GLIBC_TUNABLES=" BENCH_TUNABLES " and prctl(PR_SET_THP_DISABLE) before exec",
             memgate_cmd);
    return 0;
  }
  if (!memgate_cmd || !*memgate_cmd) {
    snprintf(g_tuned_how, sizeof g_tuned_how,
             "the benchmark sets memgate run's environment itself: GLIBC_TUNABLES=" BENCH_TUNABLES
             " and prctl(PR_SET_THP_DISABLE) before exec");
    return 0;
  }
  /* Probe a private copy of the command: does it really give the child
   * that environment? (Retried: another build may be rewriting it.) */
  snprintf(g_cmd_copy, sizeof g_cmd_copy, "%s/memgate-cmd", g_tmpdir);
  char tun[256] = "", thp[16] = "", pass[16] = "";
  bool ok = false;
  for (int attempt = 0; attempt < 3 && !ok; attempt++) {
    if (attempt) sleep(2);
    if (copy_exec(memgate_cmd, g_cmd_copy) != 0) continue;
    bench_job probe;
    memset(&probe, 0, sizeof probe);
    probe.args[0] = "--probe-env";
    probe.extra_env[0] = "MEMGATE_TREND_T=7";
    probe.env = BENCH_ENV_TUNED;
    g_memgate_cmd = g_cmd_copy;
    size_t bad = bench_run_jobs(&probe, 1, 1);
    ok = bad == 0 && bench_get_word(probe.out, "tunables", tun, sizeof tun) &&
         bench_get_word(probe.out, "thp_disable", thp, sizeof thp) &&
         bench_get_word(probe.out, "passthrough", pass, sizeof pass) &&
         strcmp(tun, BENCH_TUNABLES) == 0 &&
         strcmp(thp, "1") == 0 && strcmp(pass, "7") == 0;
    bench_free_jobs(&probe, 1);
  }
  if (ok) {
    snprintf(g_tuned_how, sizeof g_tuned_how,
             "each tuned child runs under `%s run --` (a private copy; probed: it sets "
             "GLIBC_TUNABLES=%s, disables THP and passes MEMGATE_* variables on)",
             memgate_cmd, tun);
  } else {
    g_memgate_cmd = NULL;
    snprintf(g_tuned_how, sizeof g_tuned_how,
             "`%s run --` exists but its probe did not show the expected environment "
             "(GLIBC_TUNABLES=%s, THP disable=%s, MEMGATE_* passed on: %s), so the benchmark "
             "sets it itself: GLIBC_TUNABLES=" BENCH_TUNABLES
             " and prctl(PR_SET_THP_DISABLE) before exec",
             memgate_cmd, tun[0] ? tun : "?", thp[0] ? thp : "?", pass[0] ? pass : "?");
  }
  return 0;
}

const char *bench_tuned_how(void) { return g_tuned_how; }

const char *bench_self_path(void) { return g_self; }

static bool drop_var(const char *entry) {
  return strncmp(entry, "GLIBC_TUNABLES=", 15) == 0 || strncmp(entry, "MEMGATE_", 8) == 0 ||
         strncmp(entry, "ASAN_OPTIONS=", 13) == 0 || strncmp(entry, "LSAN_OPTIONS=", 13) == 0;
}

/* Child side after fork: never returns. */
static void exec_job(const bench_job *job, const char *out_path) {
  const char *argv[BENCH_MAX_ARGS + 8];
  size_t na = 0;
  const char *prog = job->program ? job->program : g_self;
  bool via_cmd = job->env == BENCH_ENV_TUNED && g_memgate_cmd;
  if (via_cmd) {
    argv[na++] = g_memgate_cmd;
    argv[na++] = "run";
    argv[na++] = "--";
  }
  argv[na++] = prog;
  for (size_t i = 0; i < BENCH_MAX_ARGS && job->args[i]; i++) argv[na++] = job->args[i];
  argv[na] = NULL;

  size_t ne = 0;
  for (char **e = environ; *e; e++) ne++;
  const char **envp = malloc((ne + BENCH_MAX_EXTRA_ENV + 2) * sizeof *envp);
  if (!envp) _exit(126);
  size_t k = 0;
  for (char **e = environ; *e; e++)
    if (!drop_var(*e)) envp[k++] = *e;
  for (size_t i = 0; i < BENCH_MAX_EXTRA_ENV && job->extra_env[i]; i++) envp[k++] = job->extra_env[i];
  if (job->env == BENCH_ENV_TUNED && !via_cmd) {
    envp[k++] = "GLIBC_TUNABLES=" BENCH_TUNABLES;
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) _exit(125);
  }
  envp[k] = NULL;

  int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) _exit(124);
  if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(124);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  execve(argv[0], (char *const *)argv, (char *const *)envp);
  fprintf(stderr, "bench: exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    if (f) fclose(f);
    return NULL;
  }
  if (f) {
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
      n += r;
      if (cap - n - 1 == 0) {
        char *nb = realloc(buf, cap * 2);
        if (!nb) break;
        buf = nb;
        cap *= 2;
      }
    }
    fclose(f);
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void describe_failure(const bench_job *job) {
  fprintf(stderr, "bench: child");
  if (job->env == BENCH_ENV_TUNED) fprintf(stderr, " [tuned]");
  fprintf(stderr, " %s", job->program ? job->program : "(self)");
  for (size_t i = 0; i < BENCH_MAX_ARGS && job->args[i]; i++) fprintf(stderr, " %s", job->args[i]);
  if (WIFSIGNALED(job->status))
    fprintf(stderr, ": killed by signal %d\n", WTERMSIG(job->status));
  else
    fprintf(stderr, ": exit status %d\n", WEXITSTATUS(job->status));
  if (job->out && job->out_len) {
    const char *tail = job->out_len > 1500 ? job->out + job->out_len - 1500 : job->out;
    fprintf(stderr, "---- output (tail) ----\n%s\n-----------------------\n", tail);
  }
}

size_t bench_run_jobs(bench_job *jobs, size_t n, int parallel) {
  typedef struct slot {
    pid_t pid;
    size_t job;
    uint64_t t0;
    char path[320];
  } slot;
  slot slots[16];
  size_t next = 0, done = 0, bad = 0;
  int running = 0;
  if (parallel < 1) parallel = 1;
  if (parallel > 16) parallel = 16;
  for (int i = 0; i < parallel; i++) slots[i].pid = 0;
  fflush(NULL);

  while (done < n) {
    while (running < parallel && next < n) {
      int s = 0;
      while (slots[s].pid != 0) s++;
      slot *sl = &slots[s];
      snprintf(sl->path, sizeof sl->path, "%s/job%zu.out", g_tmpdir, next);
      sl->job = next;
      sl->t0 = bench_now_ns();
      pid_t pid = fork();
      if (pid < 0) {
        fprintf(stderr, "bench: fork: %s\n", strerror(errno));
        jobs[next].status = 127 << 8;
        jobs[next].out = NULL;
        bad++;
        done++;
        next++;
        continue;
      }
      if (pid == 0) exec_job(&jobs[next], sl->path);
      sl->pid = pid;
      running++;
      next++;
    }
    if (running == 0) continue;
    int status;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t pid = wait4(-1, &status, 0, &ru);
    if (pid < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "bench: waitpid: %s\n", strerror(errno));
      break;
    }
    uint64_t t1 = bench_now_ns();
    for (int s = 0; s < parallel; s++) {
      if (slots[s].pid != pid) continue;
      bench_job *job = &jobs[slots[s].job];
      job->status = status;
      job->wall_ns = t1 - slots[s].t0;
      job->minor_faults = ru.ru_minflt;
      job->out = slurp(slots[s].path, &job->out_len);
      unlink(slots[s].path);
      /* Under `memgate run` exit status 1 also means "a scope failed", which
       * detection children cause on purpose: their own "child_ok=1" says
       * they finished. */
      bool via_cmd = job->env == BENCH_ENV_TUNED && g_memgate_cmd;
      bool ok = WIFEXITED(status) &&
                (WEXITSTATUS(status) == 0 || job->any_exit_ok ||
                 (via_cmd && WEXITSTATUS(status) == 1 && job->out && strstr(job->out, "child_ok=1")));
      if (!ok) {
        describe_failure(job);
        bad++;
      }
      slots[s].pid = 0;
      running--;
      done++;
      break;
    }
  }
  return bad;
}

void bench_free_jobs(bench_job *jobs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(jobs[i].out);
    jobs[i].out = NULL;
  }
}

static const char *find_key(const char *out, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = out; p && (p = strstr(p, key)) != NULL; p += kl) {
    bool start = p == out || p[-1] == ' ' || p[-1] == '\n';
    if (start && p[kl] == '=') return p + kl + 1;
  }
  return NULL;
}

bool bench_get(const char *out, const char *key, double *value) {
  const char *v = out ? find_key(out, key) : NULL;
  if (!v) return false;
  char *end;
  double d = strtod(v, &end);
  if (end == v) return false;
  *value = d;
  return true;
}

bool bench_get_word(const char *out, const char *key, char *buf, size_t cap) {
  const char *v = out ? find_key(out, key) : NULL;
  if (!v || cap == 0) return false;
  size_t n = 0;
  while (v[n] && v[n] != ' ' && v[n] != '\n' && n + 1 < cap) {
    buf[n] = v[n];
    n++;
  }
  buf[n] = '\0';
  return true;
}

/* ------------------------------------------------------------ reporting */

static FILE *g_summary;

void bench_summary_open(const char *path) {
  if (path && *path) {
    g_summary = fopen(path, "a");
    if (!g_summary) fprintf(stderr, "bench: cannot append to %s: %s\n", path, strerror(errno));
  }
}

void bench_summary(const char *kind, const char *fmt, ...) {
  if (!g_summary) return;
  va_list ap;
  fprintf(g_summary, "%s|", kind);
  va_start(ap, fmt);
  vfprintf(g_summary, fmt, ap);
  va_end(ap);
  fputc('\n', g_summary);
  fflush(g_summary);
}

void bench_summary_close(void) {
  if (g_summary) fclose(g_summary);
  g_summary = NULL;
}

const char *bench_bytes(char *buf, size_t cap, uint64_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
    snprintf(buf, cap, "%llu MiB", (unsigned long long)(bytes >> 20));
  else if (bytes >= 1024 && bytes % 1024 == 0)
    snprintf(buf, cap, "%llu KiB", (unsigned long long)(bytes >> 10));
  else
    snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
  return buf;
}

void bench_quiet_handler(const memgate_result *r, void *ctx) {
  (void)r;
  (void)ctx;
}

const bench_profile bench_profiles[BENCH_NPROF] = {
    {"default glibc, library defaults", "default glibc", "none", BENCH_ENV_DEFAULT, false, {NULL}},
    {"tuned, library defaults", "tuned (memgate run)", "none", BENCH_ENV_TUNED, false, {NULL}},
    {"tuned, candidate", "tuned (memgate run)", "MEMGATE_WARMUP=10", BENCH_ENV_TUNED, true,
     {"MEMGATE_WARMUP=10", NULL}},
    {"default glibc, candidate", "default glibc", "MEMGATE_WARMUP=10", BENCH_ENV_DEFAULT, true,
     {"MEMGATE_WARMUP=10", NULL}},
};

void bench_profile_apply(int p, bench_job *job) {
  const bench_profile *pr = &bench_profiles[p];
  job->env = pr->env;
  size_t k = 0;
  while (k < BENCH_MAX_EXTRA_ENV && job->extra_env[k]) k++;
  for (size_t i = 0; pr->vars[i] && k < BENCH_MAX_EXTRA_ENV - 1; i++) job->extra_env[k++] = pr->vars[i];
}

const bench_options *bench_profile_options(int p) {
  static bench_options cache[BENCH_NPROF];
  static bool asked[BENCH_NPROF];
  if (p < 0 || p >= BENCH_NPROF) return NULL;
  if (!asked[p]) {
    bench_job j;
    memset(&j, 0, sizeof j);
    j.args[0] = "--probe-options";
    bench_profile_apply(p, &j);
    bench_options *o = &cache[p];
    double rc = -1;
    if (bench_run_jobs(&j, 1, 1) == 0 && bench_get(j.out, "rc", &rc) && rc == 0)
      o->ok = bench_get(j.out, "warmup", &o->warmup) &&
              bench_get(j.out, "min_growth", &o->min_growth) &&
              bench_get(j.out, "min_slope", &o->min_slope) &&
              bench_get(j.out, "heap_min_growth", &o->heap_min_growth) &&
              bench_get(j.out, "heap_min_slope", &o->heap_min_slope) &&
              bench_get(j.out, "trend_t", &o->trend_t) &&
              bench_get(j.out, "heap_regular", &o->heap_regular) &&
              bench_get(j.out, "fill_cache", &o->fill_cache);
    bench_free_jobs(&j, 1);
    asked[p] = true;
  }
  return &cache[p];
}

void bench_print_profiles(void) {
  printf("| profile | environment | variables set | warm-up | footprint: min growth, min slope | "
         "allocator view: min growth, min slope | trend t | regular steps | cache filled |\n"
         "|---|---|---|---:|---:|---:|---:|---:|---|\n");
  for (int p = 0; p < BENCH_NPROF; p++) {
    const bench_options *o = bench_profile_options(p);
    const bench_profile *pr = &bench_profiles[p];
    if (!o->ok) {
      printf("| %s | %s | %s | ? | ? | ? | ? | ? | ? |\n", pr->label, pr->env_text, pr->options);
      continue;
    }
    printf("| %s | %s | %s | %.0f | %.0f B, %.0f B/iter | %.0f B, %.0f B/iter | %g | %.0f | %s |\n",
           pr->label, pr->env_text, pr->options, o->warmup, o->min_growth, o->min_slope,
           o->heap_min_growth, o->heap_min_slope, o->trend_t, o->heap_regular,
           o->fill_cache != 0 ? "yes" : "no");
  }
  printf("\nValues as `memgate_options_init()` reports them in a fresh process of each profile "
         "(the library picks some defaults by whether glibc's per-thread cache is on). The footprint "
         "and allocator-view rules fire when every measured step grew (n ≥ 3) or on a trend with "
         "at least that t carried by both halves of the run (n ≥ 5); the allocator view's "
         "regular-step rule fires when at least *regular steps* iterations ran and 3/4 of them "
         "grew by the same number of bytes. *Cache filled*: the calling thread's allocator cache "
         "is topped up before every sample.\n\n");
}

void bench_usage_gated(const char *prog) {
  fprintf(stderr,
          "usage: %s [--quick] [--summary FILE] [--memgate-cmd PATH] [--jobs N] "
          "[--gate defaults|candidate|none]\n",
          prog);
}

int bench_driver_start(int argc, char **argv, bench_args *a, void (*usage)(const char *prog)) {
  a->quick = false;
  a->jobs = 2;
  a->gate = "defaults";
  a->summary = NULL;
  a->memgate_cmd = NULL;
  a->asan_cc = "cc";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      a->quick = true;
    else if (strcmp(argv[i], "--summary") == 0 && i + 1 < argc)
      a->summary = argv[++i];
    else if (strcmp(argv[i], "--memgate-cmd") == 0 && i + 1 < argc)
      a->memgate_cmd = argv[++i];
    else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
      a->jobs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--gate") == 0 && i + 1 < argc)
      a->gate = argv[++i];
    else if (strcmp(argv[i], "--asan-cc") == 0 && i + 1 < argc)
      a->asan_cc = argv[++i];
    else {
      usage(argv[0]);
      return 2;
    }
  }
  if (bench_init_driver(a->memgate_cmd) != 0) return 3;
  bench_summary_open(a->summary);
  return 0;
}

/* ------------------------------------------------- other tools' runners */

const char *bench_tmpdir(void) { return g_tmpdir; }

static bool is_exec(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool bench_which(const char *name, char *out, size_t cap) {
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    if (len > 0 && len + strlen(name) + 2 <= cap) {
      memcpy(out, path, len);
      out[len] = '/';
      strcpy(out + len + 1, name);
      if (is_exec(out)) return true;
    }
    path += len;
    if (*path == ':') path++;
  }
  return false;
}

/* Paths handed to jobs: they must outlive the job, so they are kept here. */
enum { TOOL_SLOTS = 256 };
static char g_tool_arg[TOOL_SLOTS][320];
static size_t g_tool_nargs;
static char g_heaptrack[4096], g_heaptrack_print[4096], g_valgrind[4096];

static const char *tool_arg(const char *fmt, const char *a, const char *b) {
  char *slot = g_tool_arg[g_tool_nargs++ % TOOL_SLOTS];
  snprintf(slot, sizeof g_tool_arg[0], fmt, a, b);
  return slot;
}

bool bench_heaptrack_job(bench_job *job, const char *program, const char *tag, size_t *next) {
  if (!g_heaptrack[0] && !(bench_which("heaptrack", g_heaptrack, sizeof g_heaptrack) &&
                           bench_which("heaptrack_print", g_heaptrack_print,
                                       sizeof g_heaptrack_print))) {
    g_heaptrack[0] = '\0';
    return false;
  }
  job->program = g_heaptrack;
  job->args[0] = "-o";
  job->args[1] = tool_arg("%s/heaptrack.%s", g_tmpdir, tag);
  job->args[2] = program;
  *next = 3;
  return true;
}

/* Copies the rest of the line after label in text (trimmed) into out. */
static bool line_after(const char *text, const char *label, char *out, size_t cap) {
  const char *p = strstr(text, label);
  if (!p) return false;
  p += strlen(label);
  while (*p == ' ' || *p == '\t') p++;
  size_t n = strcspn(p, "\r\n");
  if (n >= cap) n = cap - 1;
  memcpy(out, p, n);
  out[n] = '\0';
  return n > 0;
}

bool bench_heaptrack_read(const char *tag, char *peak, char *leaked, size_t cap) {
  static const char *const ext[] = {".zst", ".gz", ""};
  char data[400], cmd[5000], text[8192];
  bool found = false;
  for (size_t i = 0; i < 3 && !found; i++) {
    snprintf(data, sizeof data, "%s/heaptrack.%s%s", g_tmpdir, tag, ext[i]);
    found = is_exec(data) || access(data, R_OK) == 0;
  }
  if (!found || !g_heaptrack_print[0]) return false;
  snprintf(cmd, sizeof cmd, "'%s' --print-peaks 0 --print-allocators 0 --print-leaks 0 "
           "--print-temporary 0 '%s' 2>/dev/null", g_heaptrack_print, data);
  FILE *f = popen(cmd, "r");
  size_t n = 0;
  if (f) {
    n = fread(text, 1, sizeof text - 1, f);
    pclose(f);
  }
  text[n] = '\0';
  unlink(data);
  return line_after(text, "peak heap memory consumption:", peak, cap) &&
         line_after(text, "total memory leaked:", leaked, cap);
}

bool bench_massif_job(bench_job *job, const char *program, const char *tag, size_t *next) {
  if (!g_valgrind[0] && !bench_which("valgrind", g_valgrind, sizeof g_valgrind)) return false;
  job->program = g_valgrind;
  job->args[0] = "--tool=massif";
  job->args[1] = tool_arg("--massif-out-file=%s/massif.%s", g_tmpdir, tag);
  job->args[2] = program;
  *next = 3;
  return true;
}

bool bench_massif_read(const char *tag, double *peak_bytes, double *last_bytes) {
  char path[400], line[256];
  snprintf(path, sizeof path, "%s/massif.%s", g_tmpdir, tag);
  FILE *f = fopen(path, "r");
  if (!f) return false;
  double cur = 0, peak = 0;
  bool any = false;
  unsigned long long v;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "mem_heap_B=%llu", &v) == 1) {
      cur = (double)v;
      any = true;
    } else if (sscanf(line, "mem_heap_extra_B=%llu", &v) == 1) {
      cur += (double)v;
      if (cur > peak) peak = cur;
    }
  }
  fclose(f);
  unlink(path);
  *peak_bytes = peak;
  *last_bytes = cur;
  return any;
}
