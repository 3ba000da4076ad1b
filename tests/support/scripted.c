/* Support for the library's unit tests (see scripted.h). */
#define _GNU_SOURCE
#include "scripted.h"

script S;
capture F;
char results_path[] = "/tmp/memgate-results-XXXXXX";
char self_path[4096];

int script_read(void *ctx, memgate_footprint *out) {
  script *s = ctx;
  if ((int)s->pos == s->fail_at) {
    s->pos++;
    return s->fail_code;
  }
  size_t i = s->pos < s->n ? s->pos : s->n - 1; /* repeat the last value */
  s->pos++;
  out->footprint_bytes = s->fp[i];
  if (s->has_heap) {
    out->heap_bytes = s->heap[i];
    out->valid |= MEMGATE_HAS_HEAP;
  }
  if (s->has_peak) {
    out->peak_bytes = s->peak[i];
    out->valid |= MEMGATE_HAS_PEAK;
  }
  return 0;
}
int script_reset(void *ctx) {
  ((script *)ctx)->resets++;
  return 0;
}
void script_release(void *ctx) { ((script *)ctx)->releases++; }

/* Installs a script of footprint values (terminated by UINT64_MAX). */
void script_fp(uint64_t first, ...) {
  memset(&S, 0, sizeof S);
  S.fail_at = -1;
  va_list ap;
  va_start(ap, first);
  for (uint64_t v = first; v != UINT64_MAX; v = va_arg(ap, uint64_t)) S.fp[S.n++] = v;
  va_end(ap);
  memgate_sampler sm = {script_read, script_reset, script_release, &S};
  memgate_set_sampler(&sm);
}

/* Script for a repeat: pre, warm-up result, then the measured series. */
void script_series(const uint64_t *fp, const uint64_t *heap, size_t n) {
  memset(&S, 0, sizeof S);
  S.fail_at = -1;
  for (size_t i = 0; i < n; i++) {
    S.fp[i] = fp[i];
    if (heap) S.heap[i] = heap[i];
  }
  S.has_heap = heap != NULL;
  S.n = n;
  memgate_sampler sm = {script_read, script_reset, script_release, &S};
  memgate_set_sampler(&sm);
}



void capture_fail(const memgate_result *r, void *ctx) {
  capture *c = ctx;
  c->calls++;
  c->last = *r;
  snprintf(c->name, sizeof c->name, "%s", r->name);
  snprintf(c->file, sizeof c->file, "%s", r->file);
  snprintf(c->msg, sizeof c->msg, "%s", r->message);
  snprintf(c->begin_file, sizeof c->begin_file, "%s", r->begin_file);
}

int setup(void **state) {
  (void)state;
  memset(&F, 0, sizeof F);
  memgate_set_failure_handler(capture_fail, &F);
  memgate_reset_failure_count();
  return 0;
}
int teardown(void **state) {
  (void)state;
  (void)memgate_finish();
  memgate_set_sampler(NULL);
  memgate_set_failure_handler(NULL, NULL);
  memgate_set_result_handler(NULL, NULL);
  return 0;
}

void noop(void *ctx) { (void)ctx; }
void count_calls(void *ctx) { (*(int *)ctx)++; }

int run_child(const char *mode, const char *path, long fsize) {
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {self_path, (char *)mode, NULL};
    setenv("MEMGATE_RESULTS", path, 1);
    if (fsize > 0) {
      struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
      signal(SIGXFSZ, SIG_IGN);
      setrlimit(RLIMIT_FSIZE, &rl);
    }
    alarm(20); /* a hang (a FIFO opened for writing) fails the test */
    execv(self_path, argv);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

static int child_mode(const char *mode) {
  memgate_set_failure_handler(capture_fail, &F);
  script_fp(1, 1, END_);
  if (strcmp(mode, "--child-unwritable") == 0) {
    memgate_begin("w", "w.c", 1);
    memgate_end("w", "w.c", 2, NULL); /* passes, but results cannot be written */
    return 40 + (int)memgate_failure_count();
  }
  if (strcmp(mode, "--child-unrecorded") == 0) {
    memgate_result r;
    int rc = 0;
    memgate_begin("u", "u.c", 1);
    if (memgate_end("u", "u.c", 2, &r) == MemgateVerdictError) rc |= 1;
    if (F.calls == 1 && F.last.error == MEMGATE_ERESULTS) rc |= 2;
    if (strstr(F.msg, "result not recorded: ") && strstr(F.msg, "; measured pass: retained +0 B"))
      rc |= 4;
    return 40 + rc;
  }
  if (strcmp(mode, "--child-pass") == 0) {
    memgate_begin("p", "p.c", 1);
    memgate_end("p", "p.c", 2, NULL);
    return 40 + (int)memgate_failure_count();
  }
  if (strcmp(mode, "--child-cache-profile") == 0) {
    memgate_options o; /* before any other malloc of this process */
    memgate_options_init(&o);
    return 40 + (o.alloc_cache_active ? 1 : 0) + (o.fill_alloc_cache ? 2 : 0);
  }
  if (strcmp(mode, "--child-bad-env") == 0) {
    int rc = 0;
    if (memgate_begin("e", "e.c", 1) == MEMGATE_ECONFIG) rc |= 1;
    if (memgate_repeat("e", 5, noop, NULL, "e.c", 2) == MemgateVerdictError &&
        strstr(F.msg, "MEMGATE_WARMUP=\"lots\"") != NULL)
      rc |= 2;
    return 40 + rc;
  }
  return 100;
}

int scripted_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
                  size_t count) {
  if (argc > 1) return child_mode(argv[1]);
  if (!realpath(argv[0], self_path)) return 98;
  int fd = mkstemp(results_path);
  if (fd < 0) return 99;
  close(fd);
  setenv("MEMGATE_RESULTS", results_path, 1);
  setenv("MEMGATE_PLATFORM", "test-platform_1.0", 1);
  /* Scripted cases assume the allocator-view defaults of a process without
   * glibc's per-thread cache; pin them (the environment overrides the
   * profile) so the suite does not depend on GLIBC_TUNABLES. */
  setenv("MEMGATE_WARMUP", "2", 1);
  setenv("MEMGATE_HEAP_MIN_GROWTH", "64", 1);
  setenv("MEMGATE_HEAP_MIN_SLOPE", "8", 1);
  /* Scripts end where the test says: no confirmation rounds unless a test
   * asks for them in its options. */
  setenv("MEMGATE_CONFIRM", "0", 1);

  int failed = _cmocka_run_group_tests(group, tests, count, NULL, NULL);
  unlink(results_path);
  return failed;
}
