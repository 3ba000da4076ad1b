/*
 * Names and handlers (errors.c, handlers.c, failures.c) and the re-entry guard (guard.c).
 */
#define _GNU_SOURCE
#include "support/scripted.h"

static void test_error_names(void **state) {
  (void)state;
  assert_string_equal(memgate_strerror(0), "success");
  assert_string_equal(memgate_err_name(MEMGATE_EIO), "MEMGATE_EIO");
  assert_string_equal(memgate_err_name(MEMGATE_EUNSUPPORTED), "MEMGATE_EUNSUPPORTED");
  assert_string_equal(memgate_err_name(-999), "MEMGATE_EUNKNOWN");
  assert_string_equal(memgate_strerror(-999), "unknown memgate error");
  for (int e = MEMGATE_ERESULTS; e <= MEMGATE_EUNSUPPORTED; e++) {
    assert_true(strlen(memgate_strerror(e)) > 5);
    assert_true(strncmp(memgate_err_name(e), "MEMGATE_E", 9) == 0);
  }
  assert_string_equal(memgate_verdict_name(MemgateVerdictPass), "pass");
  assert_string_equal(memgate_verdict_name(MemgateVerdictLeak), "leak");
  assert_string_equal(memgate_verdict_name(MemgateVerdictRegression), "regression");
  assert_string_equal(memgate_verdict_name(MemgateVerdictError), "error");
  assert_int_equal(memgate_read(NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate_options_init(NULL), MEMGATE_EINVAL);
  char v[32];
  snprintf(v, sizeof v, "%d.%d.%d", MEMGATE_VERSION_MAJOR, MEMGATE_VERSION_MINOR,
           MEMGATE_VERSION_PATCH);
  assert_string_equal(memgate_version(), v);
}

static int result_calls;

static void count_results(const memgate_result *r, void *ctx) {
  (void)r;
  (void)ctx;
  result_calls++;
}

static void test_result_handler_sees_passes(void **state) {
  (void)state;
  script_fp(1, 1, END_);
  result_calls = 0;
  memgate_set_result_handler(count_results, NULL);
  memgate_begin("a", "h.c", 1);
  memgate_end("a", "h.c", 2, NULL);
  assert_int_equal(result_calls, 1);
  assert_int_equal(F.calls, 0);
}

static void test_default_handler_format(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-stderr-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  int saved = dup(2);
  fflush(stderr);
  dup2(fd, 2);
  script_fp(1, END_);
  memgate_set_failure_handler(NULL, NULL);
  memgate_end("nope", "dir/file.c", 123, NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char buf[1024] = {0};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  unlink(path);
  assert_true(n > 0);
  assert_true(strncmp(buf, "dir/file.c:123: error: memgate: nope: error: ", 45) == 0);
}

static volatile int g_sig_begin = 1, g_sig_end = -1;

static void on_usr1(int sig) {
  (void)sig;
  g_sig_begin = memgate_begin("in.signal", "sig.c", 1);
  g_sig_end = (int)memgate_end("in.signal", "sig.c", 2, NULL);
}

static int raising_read(void *ctx, memgate_footprint *out) {
  (void)ctx;
  out->footprint_bytes = 4096;
  raise(SIGUSR1); /* as if a signal arrived while memgate was sampling */
  return 0;
}

static void test_scope_from_signal_handler_is_refused_not_deadlocked(void **state) {
  (void)state;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, &old);
  memgate_sampler sm = {raising_read, NULL, NULL, NULL};
  memgate_set_sampler(&sm);
  alarm(20); /* a deadlock fails the test instead of hanging it */
  memgate_result r;
  assert_int_equal(memgate_begin("outer", "o.c", 1), 0);
  assert_int_equal(memgate_end("outer", "o.c", 2, &r), MemgateVerdictPass);
  alarm(0);
  sigaction(SIGUSR1, &old, NULL);
  assert_int_equal(g_sig_begin, MEMGATE_EREENTRANT);
  assert_int_equal(g_sig_end, MemgateVerdictError);
  assert_int_equal(r.retained_bytes, 0);
  assert_true(memgate_failure_count() >= 4); /* two refusals per sample: counted */
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T_(test_error_names),
      T_(test_result_handler_sees_passes),
      T_(test_default_handler_format),
      T_(test_scope_from_signal_handler_is_refused_not_deadlocked)
  };
#undef T_
  return scripted_main(argc, argv, "memgate names, handlers, re-entry", tests, sizeof tests / sizeof tests[0]);
}
