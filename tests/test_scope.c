/*
 * Scopes (scope.c): MEM_BEGIN/MEM_END figures, nesting, every misuse, threads, processes.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

static void test_scope_pass(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1000, 5096, END_);
  assert_int_equal(memgate_begin("s", "a.c", 10), 0);
  assert_int_equal(memgate_end("s", "a.c", 20, &r), MemgateVerdictPass);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_int_equal(r.kind, MemgateKindScope);
  assert_int_equal(r.before_bytes, 1000);
  assert_int_equal(r.after_bytes, 5096);
  assert_int_equal(r.retained_bytes, 4096);
  assert_string_equal(r.name, "s");
  assert_string_equal(r.file, "a.c");
  assert_int_equal(r.line, 20);
  assert_string_equal(r.begin_file, "a.c");
  assert_int_equal(r.begin_line, 10);
  assert_int_equal(r.series_count, 2);
  assert_int_equal(r.series[0], 1000);
  assert_int_equal(r.series[1], 5096);
  assert_false(r.has_peak);
  assert_false(r.has_heap);
  assert_int_equal(F.calls, 0);
  assert_int_equal(memgate_failure_count(), 0);
  assert_non_null(strstr(r.message, "retained +4.0 KiB"));
  assert_true(S.releases >= 2); /* released before each sample */
}

static void test_scope_negative_retained(void **state) {
  (void)state;
  memgate_result r;
  script_fp(9000, 1000, END_);
  memgate_begin("s", "a.c", 1);
  assert_int_equal(memgate_end("s", "a.c", 2, &r), MemgateVerdictPass);
  assert_int_equal(r.retained_bytes, -8000);
}

static void test_scope_peak_and_heap(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1000, 2000, END_);
  S.has_peak = S.has_heap = true;
  S.peak[0] = 1000, S.peak[1] = 50000;
  S.heap[0] = 300, S.heap[1] = 340;
  memgate_begin("p", "a.c", 1);
  memgate_end("p", "a.c", 2, &r);
  assert_true(r.has_peak);
  assert_int_equal(r.peak_bytes, 49000);
  assert_true(r.has_heap);
  assert_int_equal(r.heap_delta_bytes, 40);
  assert_int_equal(S.resets, 1);
}

static void test_nested_scopes(void **state) {
  (void)state;
  memgate_result outer, inner;
  /* outer before, the pre-reset read at the inner BEGIN, inner before,
   * inner after, outer after */
  script_fp(100, 150, 200, 500, 900, END_);
  memgate_begin("outer", "n.c", 1);
  memgate_begin("inner", "n.c", 2);
  assert_int_equal(memgate_end("inner", "n.c", 3, &inner), MemgateVerdictPass);
  assert_int_equal(inner.retained_bytes, 300);
  assert_int_equal(memgate_end("outer", "n.c", 4, &outer), MemgateVerdictPass);
  assert_int_equal(outer.retained_bytes, 800);
  assert_int_equal(F.calls, 0);
}

/* A nested BEGIN resets the (process-wide) peak; the outer scope must keep
 * the peak reached before that reset. */
static void test_nested_peak_kept(void **state) {
  (void)state;
  memgate_result outer;
  script_fp(100, 150, 150, 160, 170, END_);
  S.has_peak = true;
  /* reads: outer before, pre-reset read at inner begin (peak 9000), inner
   * before, inner after, outer after. */
  S.peak[0] = 100, S.peak[1] = 9000, S.peak[2] = 150, S.peak[3] = 160, S.peak[4] = 170;
  memgate_begin("outer", "n.c", 1);
  memgate_begin("inner", "n.c", 2);
  memgate_end("inner", "n.c", 3, NULL);
  memgate_end("outer", "n.c", 4, &outer);
  assert_true(outer.has_peak);
  assert_int_equal(outer.peak_bytes, 8900);
}

static void test_end_without_begin(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1, END_);
  assert_int_equal(memgate_end("ghost", "x.c", 7, &r), MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EUNBALANCED);
  /* *out holds the whole error result, not a zeroed struct */
  assert_int_equal(r.verdict, MemgateVerdictError);
  assert_string_equal(r.name, "ghost");
  assert_string_equal(r.file, "x.c");
  assert_int_equal(r.line, 7);
  assert_non_null(strstr(r.message, "no matching MEM_BEGIN"));
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.file, "x.c");
  assert_int_equal(F.last.line, 7);
  assert_non_null(strstr(F.msg, "no matching MEM_BEGIN"));
  assert_int_equal(memgate_failure_count(), 1);
}

static void test_end_wrong_name_names_both_places(void **state) {
  (void)state;
  script_fp(1, 2, 3, END_);
  memgate_begin("a", "m.c", 10);
  assert_int_equal(memgate_end("b", "m.c", 20, NULL), MemgateVerdictError);
  assert_non_null(strstr(F.msg, "m.c:20"));
  assert_non_null(strstr(F.msg, "'a' begun at m.c:10"));
  /* "a" is still open and can be ended normally. */
  assert_int_equal(memgate_end("a", "m.c", 30, NULL), MemgateVerdictPass);
  assert_int_equal(F.calls, 1);
}

static void test_end_closes_enclosing_first(void **state) {
  (void)state;
  memgate_result r;
  script_fp(10, 20, 30, END_);
  memgate_begin("outer", "m.c", 1);
  memgate_begin("inner", "m.c", 2);
  assert_int_equal(memgate_end("outer", "m.c", 3, &r), MemgateVerdictPass);
  assert_int_equal(r.retained_bytes, 20);
  /* inner was reported as never ended, naming both places */
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "inner");
  assert_int_equal(F.last.verdict, MemgateVerdictError);
  assert_non_null(strstr(F.msg, "begun at m.c:2 was never ended"));
  assert_non_null(strstr(F.msg, "m.c:3"));
  assert_int_equal(memgate_finish(), 1);
}

static void test_never_ended(void **state) {
  (void)state;
  script_fp(1, END_);
  memgate_begin("left_open", "o.c", 5);
  assert_int_equal(memgate_finish(), 1);
  assert_string_equal(F.name, "left_open");
  assert_int_equal(F.last.error, MEMGATE_EUNBALANCED);
  assert_non_null(strstr(F.msg, "o.c:5"));
  /* finish is idempotent */
  assert_int_equal(memgate_finish(), 1);
}

static void *end_on_thread(void *arg) {
  (void)arg;
  return (void *)(intptr_t)memgate_end("shared", "t.c", 99, NULL);
}

static void test_end_on_other_thread(void **state) {
  (void)state;
  pthread_t t;
  void *ret;
  script_fp(1, 2, END_);
  memgate_begin("shared", "t.c", 11);
  pthread_create(&t, NULL, end_on_thread, NULL);
  pthread_join(t, &ret);
  assert_int_equal((int)(intptr_t)ret, MemgateVerdictError);
  assert_non_null(strstr(F.msg, "different thread"));
  assert_non_null(strstr(F.msg, "t.c:99"));
  assert_non_null(strstr(F.msg, "t.c:11"));
  assert_int_equal(memgate_end("shared", "t.c", 12, NULL), MemgateVerdictPass);
}

static void *begin_and_exit(void *arg) {
  (void)arg;
  memgate_begin("orphan", "th.c", 3);
  return NULL;
}

static void test_thread_exits_with_open_scope(void **state) {
  (void)state;
  pthread_t t;
  script_fp(1, END_);
  pthread_create(&t, NULL, begin_and_exit, NULL);
  pthread_join(t, NULL);
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "orphan");
  assert_non_null(strstr(F.msg, "thread exited"));
}

static void test_depth_limit(void **state) {
  (void)state;
  char name[32];
  script_fp(1, END_);
  for (int i = 0; i < 32; i++) {
    snprintf(name, sizeof name, "d%d", i);
    assert_int_equal(memgate_begin(name, "d.c", i), 0);
  }
  assert_int_equal(memgate_begin("d32", "d.c", 32), MEMGATE_EDEPTH);
  assert_int_equal(F.last.error, MEMGATE_EDEPTH);
  for (int i = 31; i >= 0; i--) {
    snprintf(name, sizeof name, "d%d", i);
    assert_int_equal(memgate_end(name, "d.c", 100 + i, NULL), MemgateVerdictPass);
  }
  assert_int_equal(F.calls, 1);
}

static void test_unreadable_at_end_is_error(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1, 2, END_);
  S.fail_at = 1;
  S.fail_code = MEMGATE_EIO;
  memgate_begin("u", "u.c", 1);
  assert_int_equal(memgate_end("u", "u.c", 2, &r), MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EIO);
  assert_non_null(strstr(r.message, "MEM_END"));
  assert_int_equal(F.calls, 1);
}

static void test_unreadable_at_begin_is_error_once(void **state) {
  (void)state;
  script_fp(1, 2, END_);
  S.fail_at = 0;
  S.fail_code = MEMGATE_EIO;
  assert_int_equal(memgate_begin("u", "u.c", 1), MEMGATE_EIO);
  assert_int_equal(memgate_end("u", "u.c", 2, NULL), MemgateVerdictError);
  assert_int_equal(F.calls, 1);
  assert_non_null(strstr(F.msg, "MEM_BEGIN"));
  assert_int_equal(F.last.begin_line, 1);
  assert_int_equal(F.last.line, 2);
}

static void test_positive_sampler_code_is_sampler_error(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1, 2, END_);
  S.fail_at = 1;
  S.fail_code = 7; /* a sampler that returns a non-memgate code */
  memgate_begin("u", "u.c", 1);
  memgate_end("u", "u.c", 2, &r);
  assert_int_equal(r.error, MEMGATE_ESAMPLER);
}

static void test_bad_names_are_errors(void **state) {
  (void)state;
  char longname[300];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  script_fp(1, END_);
  assert_int_equal(memgate_begin("", "b.c", 1), MEMGATE_EINVAL);
  assert_int_equal(memgate_begin(longname, "b.c", 2), MEMGATE_EINVAL);
  assert_int_equal(memgate_begin(NULL, "b.c", 3), MEMGATE_EINVAL);
  assert_int_equal(F.calls, 3);
  assert_int_equal(memgate_end(NULL, "b.c", 4, NULL), MemgateVerdictError);
}

/* Macro arguments are evaluated exactly once. */
static int evals;

static const char *counted(const char *s) {
  evals++;
  return s;
}

static void test_macros_evaluate_once(void **state) {
  (void)state;
  int calls = 0;
  uint64_t fp[14] = {0};
  script_series(fp, NULL, 14);
  evals = 0;
  MEM_BEGIN(counted("m"));
  assert_int_equal(evals, 1);
  MEM_END(counted("m"));
  assert_int_equal(evals, 2);
  int it = 3;
  MEM_REPEAT(counted("r"), it++, count_calls, &calls);
  assert_int_equal(evals, 3);
  assert_int_equal(it, 4);
  assert_int_equal(calls, 5);
  assert_int_equal(F.calls, 0);
}

static void test_child_cannot_end_parents_scope(void **state) {
  (void)state;
  script_fp(100, 100, END_);
  assert_int_equal(memgate_begin("forked", "f.c", 1), 0);
  pid_t pid = fork();
  if (pid == 0) {
    memgate_result r;
    int ok = memgate_end("forked", "f.c", 2, &r) == MemgateVerdictError &&
             r.error == MEMGATE_EUNBALANCED && strstr(r.message, "must end in the process") &&
             strstr(r.message, "ran in process");
    _exit(ok ? 0 : 1);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(memgate_end("forked", "f.c", 3, NULL), MemgateVerdictPass); /* the parent's own */
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T_(test_scope_pass),
      T_(test_scope_negative_retained),
      T_(test_scope_peak_and_heap),
      T_(test_nested_scopes),
      T_(test_nested_peak_kept),
      T_(test_end_without_begin),
      T_(test_end_wrong_name_names_both_places),
      T_(test_end_closes_enclosing_first),
      T_(test_never_ended),
      T_(test_end_on_other_thread),
      T_(test_thread_exits_with_open_scope),
      T_(test_depth_limit),
      T_(test_unreadable_at_end_is_error),
      T_(test_unreadable_at_begin_is_error_once),
      T_(test_positive_sampler_code_is_sampler_error),
      T_(test_bad_names_are_errors),
      T_(test_macros_evaluate_once),
      T_(test_child_cannot_end_parents_scope)
  };
#undef T_
  return scripted_main(argc, argv, "memgate scopes (scripted sampler)", tests, sizeof tests / sizeof tests[0]);
}
