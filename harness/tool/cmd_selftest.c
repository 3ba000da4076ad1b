/*
 * memgate selftest: runs a known leak and known non-leaks on this machine,
 * each in a fresh process (memgate re-executes itself) with the same
 * environment `memgate run` gives, and fails unless the detector tells them
 * apart. A broken setup (an unreadable footprint, a sampler that never
 * moves, settings that hide a 64 KiB leak) then fails loudly instead of
 * passing every gate silently.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024
#define MIB (1024 * 1024)

typedef struct scase {
  const char *id;
  const char *what;
  int expect;           /* 0 pass, 1 leak, 2 scope retaining about 1 MiB, 3 scope retaining ~0 */
} scase;

static const scase k_cases[] = {
    {"leak64k", "repeat keeping 64 KiB per iteration", 1},
    {"leak4k", "repeat keeping 4 KiB per iteration", 1},
    {"leak256", "repeat keeping 256 B per iteration", 1},
    {"churn", "repeat allocating and freeing 64 KiB + 1 MiB", 0},
    {"keep1m", "scope keeping 1 MiB", 2},
    {"free1m", "scope allocating and freeing 1 MiB", 3},
};
#define NCASES (sizeof k_cases / sizeof k_cases[0])

static size_t case_index(const char *id) {
  size_t i = 0;
  while (i + 1 < NCASES && strcmp(k_cases[i].id, id) != 0) i++;
  return i;
}

/* ------------------------------------------------------------------------
 * Child side: one case, one line on stdout
 * ------------------------------------------------------------------------ */

typedef struct kept {
  void **p;
  size_t n, cap, size;
} kept;

static void keep_body(void *ctx) {
  kept *k = ctx;
  if (k->n == k->cap) return;
  char *p = malloc(k->size);
  if (!p) return;
  memset(p, 0xA5, k->size);
  k->p[k->n++] = p;
}

static void churn_body(void *ctx) {
  (void)ctx;
  char *a = malloc(64 * KIB), *b = malloc(MIB);
  if (a) memset(a, 1, 64 * KIB);
  if (b) memset(b, 2, MIB);
  free(a);
  free(b);
}

static void quiet(const memgate_result *r, void *ctx) {
  (void)r;
  (void)ctx;
}

int tool_cmd_selftest_child(int argc, char **argv) {
  memgate_result r;
  memgate_verdict v;
  kept k;
  void *slots[4096];
  if (argc < 2) return TOOL_EXIT_USAGE;
  memset(&k, 0, sizeof k);
  k.p = slots;
  k.cap = sizeof slots / sizeof slots[0];
  memgate_set_failure_handler(quiet, NULL);
  memset(&r, 0, sizeof r);
  const char *id = argv[1];
  if (strcmp(id, "leak64k") == 0 || strcmp(id, "leak4k") == 0 || strcmp(id, "leak256") == 0) {
    k.size = strcmp(id, "leak64k") == 0 ? 64 * KIB : strcmp(id, "leak4k") == 0 ? 4 * KIB : 256;
    v = memgate_repeat_opts("memgate_selftest.leak", 0, keep_body, &k, NULL, __FILE__, __LINE__, &r);
  } else if (strcmp(id, "churn") == 0) {
    v = memgate_repeat_opts("memgate_selftest.churn", 0, churn_body, NULL, NULL, __FILE__, __LINE__, &r);
  } else if (strcmp(id, "keep1m") == 0 || strcmp(id, "free1m") == 0) {
    bool keep_it = strcmp(id, "keep1m") == 0;
    if (memgate_begin("memgate_selftest.scope", __FILE__, __LINE__) != 0) {
      v = memgate_end("memgate_selftest.scope", __FILE__, __LINE__, &r);
    } else {
      k.size = MIB;
      if (keep_it) keep_body(&k);
      else churn_body(NULL);
      v = memgate_end("memgate_selftest.scope", __FILE__, __LINE__, &r);
    }
  } else {
    return TOOL_EXIT_USAGE;
  }
  printf("verdict=%s retained=%" PRId64 " slope=%.1f heap_slope=%.1f iterations=%u platform=%s\n",
         memgate_verdict_name(v), r.retained_bytes, r.slope_bytes,
         r.has_heap ? r.heap_slope_bytes : 0.0, (unsigned)r.iterations, memgate_platform());
  fflush(stdout);
  for (size_t i = 0; i < k.n; i++) free(k.p[i]);
  /* A verdict error (e.g. unreadable footprint) is reported to the parent
   * through the line above; say why on stderr too. */
  if (v == MemgateVerdictError) fprintf(stderr, "memgate selftest %s: %s\n", id, r.message ? r.message : "");
  return 0;
}

/* ------------------------------------------------------------------------
 * Parent side
 * ------------------------------------------------------------------------ */

typedef struct outcome {
  char verdict[16];
  int64_t retained;
  double slope, heap_slope;
  unsigned iterations;
  char platform[64];
  bool ok;
  char why[256];
} outcome;

/* self: this program's path, resolved before forking (NULL: use argv[0]). */
static int run_case(const scase *c, const char *baselines, const char *self, outcome *o) {
  int pfd[2];
  memset(o, 0, sizeof *o);
  if (pipe(pfd) != 0) {
    snprintf(o->why, sizeof o->why, "pipe: %s", strerror(errno));
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(o->why, sizeof o->why, "fork: %s", strerror(errno));
    close(pfd[0]);
    close(pfd[1]);
    return -1;
  }
  if (pid == 0) {
    char *args[4];
    close(pfd[0]);
    if (dup2(pfd[1], 1) < 0) _exit(126);
    close(pfd[1]);
    (void)tool_child_thp_off();
    unsetenv("MEMGATE_RESULTS");
    unsetenv("MEMGATE_UPDATE");
    unsetenv("MEMGATE_STRICT");
    unsetenv("MEMGATE_FAIL_ON_IMPROVEMENT");
    setenv("MEMGATE_BASELINES", baselines, 1);
    args[0] = (char *)"memgate";
    args[1] = (char *)"__selftest-child";
    args[2] = (char *)c->id;
    args[3] = NULL;
    if (self && *self) execv(self, args);
    if (tool_argv0 && strchr(tool_argv0, '/')) execv(tool_argv0, args);
    execvp(tool_argv0 ? tool_argv0 : "memgate", args);
    _exit(127);
  }
  close(pfd[1]);
  char buf[512];
  size_t n = 0;
  for (;;) {
    ssize_t r = read(pfd[0], buf + n, sizeof buf - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == sizeof buf - 1) break;
  }
  buf[n] = '\0';
  close(pfd[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  long long ret = 0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
      sscanf(buf, "verdict=%15s retained=%lld slope=%lf heap_slope=%lf iterations=%u platform=%63s",
             o->verdict, &ret, &o->slope, &o->heap_slope, &o->iterations, o->platform) != 6) {
    snprintf(o->why, sizeof o->why, "the measuring child failed (%s%d)",
             WIFEXITED(st) ? "exit status " : "signal ", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return -1;
  }
  o->retained = (int64_t)ret;
  return 0;
}

static void judge_case(const scase *c, outcome *o) {
  char r[32];
  memgate__bytes(r, sizeof r, o->retained, true);
  switch (c->expect) {
  case 1:
    o->ok = strcmp(o->verdict, "leak") == 0;
    if (!o->ok) snprintf(o->why, sizeof o->why, "a leak was not detected (verdict %.15s, retained %s)", o->verdict, r);
    break;
  case 0:
    o->ok = strcmp(o->verdict, "pass") == 0;
    if (!o->ok) snprintf(o->why, sizeof o->why, "a leak-free repeat was judged %.15s (retained %s)", o->verdict, r);
    break;
  case 2:
    o->ok = strcmp(o->verdict, "pass") == 0 && o->retained >= MIB - 64 * KIB && o->retained <= MIB + 256 * KIB;
    if (!o->ok) snprintf(o->why, sizeof o->why, "1 MiB kept but retained %s measured (verdict %.15s)", r, o->verdict);
    break;
  default:
    o->ok = strcmp(o->verdict, "pass") == 0 && o->retained < 64 * KIB && o->retained > -64 * KIB;
    if (!o->ok) snprintf(o->why, sizeof o->why, "nothing kept but retained %s measured (verdict %.15s)", r, o->verdict);
    break;
  }
}

static const char k_about[] =
    "Runs known cases on this machine, each in a fresh process with the environment\n"
    "`memgate run` sets up: a repeat keeping 64 KiB per iteration and one keeping 4 KiB\n"
    "(must be leaks), a repeat that allocates and frees (must pass), a scope keeping\n"
    "1 MiB (must retain about 1 MiB) and one freeing it (must retain about 0); then checks\n"
    "that a baseline recorded from the second scope fails the first. Fails when the\n"
    "detector cannot tell them apart, so a broken setup cannot pass silently.\n";
static const char k_after[] = "exit status: 0 the detector works here, 1 it does not, 2 usage\n";

/* Runs and judges every case, printing one line each; how many went wrong. */
static int run_cases(const char *dir, const char *self, outcome res[NCASES]) {
  int bad = 0;
  for (size_t i = 0; i < NCASES; i++) {
    outcome *o = &res[i];
    char r[32], s[32], h[32], extra[96];
    if (run_case(&k_cases[i], dir, self, o) == 0) judge_case(&k_cases[i], o);
    memgate__bytes(r, sizeof r, o->retained, true);
    memgate__bytes(s, sizeof s, (int64_t)o->slope, true);
    memgate__bytes(h, sizeof h, (int64_t)o->heap_slope, true);
    extra[0] = '\0';
    if (k_cases[i].expect <= 1) snprintf(extra, sizeof extra, " (%s per iteration, heap %s)", s, h);
    printf("  %-46s %-6s retained %s%s: %s\n", k_cases[i].what, o->verdict[0] ? o->verdict : "-", r, extra,
           o->ok ? "ok" : "WRONG");
    if (!o->ok) {
      printf("    -> %s\n", o->why);
      bad++;
    }
  }
  return bad;
}

/* The gate itself: a baseline recorded from the freeing scope must fail
 * the keeping one, and pass the freeing one. 0 ok (or not checkable: the
 * scopes went wrong already), 1 wrong. */
static int check_gate(const outcome *keep, const outcome *freed) {
  memgate__bl_entry e;
  memgate__bl_cmp c1, c2;
  if (!keep->ok || !freed->ok) return 0;
  memset(&e, 0, sizeof e);
  e.kind = MemgateKindScope;
  e.iterations = 1;
  e.retained_bytes = freed->retained > 0 ? freed->retained : 0;
  e.peak_bytes = -1;
  e.tolerance_bytes = -1;
  e.tolerance_percent = -1;
  e.peak_tolerance_bytes = -1;
  e.peak_tolerance_percent = -1;
  memgate__bl_compare(&e, MemgateKindScope, 1, keep->retained, false, 0, &c1);
  memgate__bl_compare(&e, MemgateKindScope, 1, freed->retained, false, 0, &c2);
  bool ok = c1.outcome == MEMGATE__BL_REGRESSION && c2.outcome == MEMGATE__BL_PASS;
  printf("  %-46s %-6s %s\n", "a baseline recorded from the freeing scope", ok ? "gates" : "-",
         ok ? "keeping 1 MiB is a regression, freeing passes: ok" : "does not gate: WRONG");
  return ok ? 0 : 1;
}

/* This program's path, resolved here rather than exec'ing /proc/self/exe
 * in the child, which names the loader when memgate runs under valgrind or
 * similar ("" when unknown: argv[0] is used). */
static void self_path(char *self, size_t cap) {
  self[0] = '\0';
#ifdef __linux__
  ssize_t sl = readlink("/proc/self/exe", self, cap - 1);
  self[sl > 0 ? sl : 0] = '\0';
#else
  (void)cap;
#endif
}

int tool_cmd_selftest(int argc, char **argv) {
  bool no_tunables = false;
  const tool_option opts[] = {
      OPT_BOOL(0, "no-tunables", &no_tunables, "leave GLIBC_TUNABLES alone (see how the default allocator does)"),
      OPT_END()};
  const tool_usage u = {"selftest", "memgate selftest [--no-tunables]", k_about, k_after, TOOL_PARSE_NO_ARGS, opts};
  int n = tool_parse_options(&u, argc, argv);
  if (n < 0) return tool_parse_exit(n);
  const char *tun = no_tunables ? NULL : tool_measure_env();
  char self[4096], dir[4096];
  self_path(self, sizeof self);
  const char *td = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/memgate-selftest.XXXXXX", td && *td ? td : "/tmp");
  if (!mkdtemp(dir)) {
    tool_err("selftest: cannot create a temporary directory: %s", strerror(errno));
    return TOOL_EXIT_FAIL;
  }
  printf("memgate selftest (%s%s):\n", tun ? "GLIBC_TUNABLES=" : "GLIBC_TUNABLES unchanged", tun ? tun : "");
  outcome res[NCASES];
  int bad = run_cases(dir, self, res);
  rmdir(dir);
  bad += check_gate(&res[case_index("keep1m")], &res[case_index("free1m")]);
  if (bad) {
    printf("memgate selftest on %s: FAIL: %d check%s went wrong: memgate cannot be trusted to gate "
           "memory on this machine\n",
           res[0].platform[0] ? res[0].platform : memgate_platform(), bad, bad == 1 ? "" : "s");
    return TOOL_EXIT_FAIL;
  }
  printf("memgate selftest on %s: OK: leaks and non-leaks are told apart\n", res[0].platform);
  return TOOL_EXIT_OK;
}
