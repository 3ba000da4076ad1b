/*
 * The results file (results.c, result.c): fields, concurrent appends, and results that cannot be written.
 */
#define _GNU_SOURCE
#include "support/scripted.h"
#include "state.h"

#include <sys/stat.h>

static int count_valid_lines(const char *path, const char *name, int *invalid) {
  FILE *fp = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  int n = 0;
  *invalid = 0;
  if (!fp) return -1;
  while (getline(&line, &cap, fp) > 0) {
    cJSON *j = cJSON_Parse(line);
    if (!j) {
      (*invalid)++;
      continue;
    }
    cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "name");
    if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) n++;
    cJSON_Delete(j);
  }
  free(line);
  fclose(fp);
  return n;
}

static void test_results_line_fields(void **state) {
  (void)state;
  uint64_t fp[8] = {0, 10, 20, 30, 40, 50, 60, 70};
  uint64_t heap[8] = {5, 5, 5, 5, 5, 5, 5, 5};
  script_series(fp, heap, 8);
  memgate_options o;
  memgate_options_init(&o);
  o.warmup = 1;
  memgate_repeat_opts("json\"name\\<x>\xc3\xa9", 6, noop, NULL, &o, "res.c", 5, NULL);
  FILE *f = fopen(results_path, "r");
  assert_non_null(f);
  char *line = NULL, *last = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    free(last);
    last = strdup(line);
  }
  free(line);
  fclose(f);
  assert_non_null(last);
  cJSON *j = cJSON_Parse(last);
  free(last);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "json\"name\\<x>\xc3\xa9");
  assert_string_equal(cJSON_GetObjectItem(j, "verdict")->valuestring, "pass");
  assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "repeat");
  assert_string_equal(cJSON_GetObjectItem(j, "file")->valuestring, "res.c");
  assert_int_equal(cJSON_GetObjectItem(j, "line")->valueint, 5);
  assert_int_equal(cJSON_GetObjectItem(j, "iterations")->valueint, 6);
  assert_int_equal(cJSON_GetObjectItem(j, "retained_bytes")->valueint, 60);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "peak_bytes")));
  assert_string_equal(cJSON_GetObjectItem(j, "platform")->valuestring, "test-platform_1.0");
  cJSON *series = cJSON_GetObjectItem(j, "series");
  assert_int_equal(cJSON_GetArraySize(series), 7);
  assert_int_equal(cJSON_GetArrayItem(series, 6)->valueint, 70);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "heap_series")), 7);
  assert_int_equal(cJSON_GetObjectItem(j, "format")->valueint, 2);
  assert_string_equal(cJSON_GetObjectItem(j, "measured_verdict")->valuestring, "pass");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "baseline_verdict")));
  cJSON_Delete(j);
}

/* The last line of the results file, parsed (the caller deletes it). */
static cJSON *last_line(void) {
  FILE *f = fopen(results_path, "r");
  char *line = NULL, *last = NULL;
  size_t cap = 0;
  if (!f) return NULL;
  while (getline(&line, &cap, f) > 0) {
    free(last);
    last = strdup(line);
  }
  free(line);
  fclose(f);
  cJSON *j = last ? cJSON_Parse(last) : NULL;
  free(last);
  return j;
}

static void test_bad_names_give_one_error_line_the_command_reads(void **state) {
  (void)state;
  script_fp(100, END_);
  static const struct {
    const char *name, *file;
    int line;
    const char *why;
  } cases[] = {
      {"a\nb", "n.c", 1, "MEM_REPEAT: the name \"a\\nb\" has the control character U+000A"},
      {"bad\xff", "n.c", 2, "MEM_REPEAT: the name \"bad\\xff\" has invalid UTF-8"},
      {"ok", "x.c\n::error file=evil.c,line=1::INJECTED", 3, "MEM_REPEAT: the file \"x.c\\n::error"},
      {"ok", "n.c", -5, "MEM_REPEAT: the line is -5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memgate_result r;
    assert_int_equal(memgate_repeat_opts(cases[i].name, 5, noop, NULL, NULL, cases[i].file,
                                         cases[i].line, &r),
                     MemgateVerdictError);
    assert_int_equal(r.error, MEMGATE_EINVAL);
    assert_non_null(strstr(r.message, cases[i].why));
    cJSON *j = last_line();
    assert_non_null(j);
    char why[200];
    assert_int_equal(memgate__check_name(cJSON_GetObjectItem(j, "name")->valuestring, why, sizeof why), 0);
    assert_int_equal(memgate__check_file(cJSON_GetObjectItem(j, "file")->valuestring, why, sizeof why), 0);
    assert_true(cJSON_GetObjectItem(j, "line")->valueint >= 0);
    assert_string_equal(cJSON_GetObjectItem(j, "verdict")->valuestring, "error");
    cJSON_Delete(j);
  }
  /* MEM_BEGIN refuses the same way; its MEM_END then has no scope to end. */
  assert_int_equal(memgate_begin("x\ty", "n.c", 9), MEMGATE_EINVAL);
  assert_non_null(strstr(F.msg, "MEM_BEGIN: the name \"x\\ty\""));
  assert_int_equal(memgate_end("x\ty", "n.c", 10, NULL), MemgateVerdictError);
  cJSON *j = last_line();
  assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "(invalid name)");
  cJSON_Delete(j);
}

static void test_results_concurrent_append(void **state) {
  (void)state;
  enum { PROCS = 8, EACH = 40 };
  uint64_t fp[MAXS];
  for (int i = 0; i < 1000; i++) fp[i] = (uint64_t)i % 7; /* long series, noisy */
  for (int p = 0; p < PROCS; p++) {
    pid_t pid = fork();
    if (pid == 0) {
      script_series(fp, NULL, 1000);
      memgate_set_failure_handler(capture_fail, &F);
      for (int k = 0; k < EACH; k++) {
        S.pos = 0;
        memgate_options o;
        memgate_options_init(&o);
        o.warmup = 0;
        memgate_repeat_opts("concurrent", 500, noop, NULL, &o, "c.c", 1, NULL);
      }
      _exit(0);
    }
  }
  for (int p = 0; p < PROCS; p++) {
    int st;
    wait(&st);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  int invalid;
  assert_int_equal(count_valid_lines(results_path, "concurrent", &invalid), PROCS * EACH);
  assert_int_equal(invalid, 0);
}

static void test_results_unwritable_counts_as_failure(void **state) {
  (void)state;
  /* Run in a child: the results path is read once per process. */
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {self_path, (char *)"--child-unwritable", NULL};
    setenv("MEMGATE_RESULTS", "/nonexistent-dir/x/results.jsonl", 1);
    execv(self_path, argv);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 41); /* 40 + one failure seen by the child */
}

static void test_results_unrecorded_is_error_not_pass(void **state) {
  (void)state;
  /* 47: MEM_END returned error, the failure handler saw MEMGATE_ERESULTS,
   * and the message says the result was not recorded. */
  assert_int_equal(run_child("--child-unrecorded", "/dev/full", 0), 47);
  char dir[] = "/tmp/memgate-fifo-XXXXXX", fifo[64];
  assert_non_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/r.jsonl", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(run_child("--child-unrecorded", fifo, 0), 47); /* no hang */
  unlink(fifo);
  rmdir(dir);
}

static void test_results_cut_line_is_taken_back(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-fsize-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"prior\":1}\n", 12), 12);
  close(fd);
  /* The limit lets 40 bytes of the new line through, then the write fails. */
  assert_int_equal(run_child("--child-unrecorded", path, 12 + 40), 47);
  assert_string_equal(slurp(path), "{\"prior\":1}\n");
  unlink(path);
}

static void test_results_torn_line_does_not_swallow_the_next(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-torn-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"torn", 6), 6); /* a killed writer's fragment */
  close(fd);
  assert_int_equal(run_child("--child-pass", path, 0), 40);
  const char *s = slurp(path);
  assert_memory_equal(s, "{\"torn\n{\"format\":2,", 19);
  assert_non_null(strstr(s, "\"name\":\"p\""));
  unlink(path);
}

/* Every line says when and what it measured (host.c): the time of the
 * result, the commit (or null), the host's memory and CPUs. */
static void test_results_line_says_when_and_what(void **state) {
  (void)state;
  script_fp(100, 100, END_);
  assert_int_equal(memgate_begin("when", "w.c", 1), 0);
  memgate_end("when", "w.c", 2, NULL);
  cJSON *j = last_line();
  assert_non_null(j);
  const cJSON *t = cJSON_GetObjectItem(j, "time");
  assert_true(cJSON_IsString(t));
  /* "2026-12-01T12:36:06.123Z" */
  assert_int_equal(strlen(t->valuestring), 24);
  assert_true(t->valuestring[10] == 'T' && t->valuestring[19] == '.' && t->valuestring[23] == 'Z');
  assert_true(strncmp(t->valuestring, "20", 2) == 0);
  const cJSON *c = cJSON_GetObjectItem(j, "commit");
  assert_non_null(c);
  assert_true(cJSON_IsNull(c) || (cJSON_IsString(c) && memgate__check_commit(c->valuestring, strlen(c->valuestring)) == 0));
  const cJSON *m = cJSON_GetObjectItem(j, "host_memory_bytes"), *n = cJSON_GetObjectItem(j, "host_cpus");
  assert_true(cJSON_IsNumber(m) && m->valuedouble >= 64.0 * 1024 * 1024);
  assert_true(cJSON_IsNumber(n) && n->valueint >= 1);
  assert_int_equal(n->valueint, (int)sysconf(_SC_NPROCESSORS_ONLN));
  cJSON_Delete(j);
}

static void put_file(const char *dir, const char *name, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void make_dirs(const char *root, const char *const *dirs) {
  char p[512];
  for (; *dirs; dirs++) {
    snprintf(p, sizeof p, "%s/%s", root, *dirs);
    assert_int_equal(mkdir(p, 0755), 0);
  }
}

#define SHA_A "0123456789abcdef0123456789abcdef01234567"
#define SHA_B "89abcdef0123456789abcdef0123456789abcdef"

/* The commit read from the checkout's files, without git: a loose ref, a
 * packed ref, a detached HEAD, a worktree's .git file, from a
 * subdirectory; nothing for garbage, an unborn branch or no checkout. */
static void test_git_head_from_files(void **state) {
  (void)state;
  char root[] = "/tmp/memgate-git-XXXXXX", sub[600], out[65];
  assert_non_null(mkdtemp(root));
  unsetenv("GIT_DIR");
  static const char *const dirs[] = {".git", ".git/refs", ".git/refs/heads", "a", "a/b",
                                     ".git/worktrees", ".git/worktrees/w", "wt", NULL};
  make_dirs(root, dirs);
  assert_int_equal(memgate__git_head(root, out, sizeof out), MEMGATE_EUNSUPPORTED); /* no HEAD */
  put_file(root, ".git/HEAD", "ref: refs/heads/main\n");
  assert_int_equal(memgate__git_head(root, out, sizeof out), MEMGATE_EUNSUPPORTED); /* unborn */
  assert_string_equal(out, "");
  put_file(root, ".git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n" SHA_B " refs/heads/other\n"
                                      SHA_A " refs/heads/main\n^" SHA_B "\n");
  snprintf(sub, sizeof sub, "%s/a/b", root);
  assert_int_equal(memgate__git_head(sub, out, sizeof out), 0); /* packed, from a subdirectory */
  assert_string_equal(out, SHA_A);
  put_file(root, ".git/refs/heads/main", SHA_B "\n"); /* a loose ref wins */
  assert_int_equal(memgate__git_head(root, out, sizeof out), 0);
  assert_string_equal(out, SHA_B);
  put_file(root, ".git/HEAD", "0123456789ABCDEF0123456789ABCDEF01234567\n"); /* detached */
  assert_int_equal(memgate__git_head(root, out, sizeof out), 0);
  assert_string_equal(out, SHA_A);
  /* A worktree: .git is a file naming its git directory; refs are shared. */
  put_file(root, "wt/.git", "gitdir: ../.git/worktrees/w\n");
  put_file(root, ".git/worktrees/w/commondir", "../..\n");
  put_file(root, ".git/worktrees/w/HEAD", "ref: refs/heads/main\n");
  snprintf(sub, sizeof sub, "%s/wt", root);
  assert_int_equal(memgate__git_head(sub, out, sizeof out), 0);
  assert_string_equal(out, SHA_B);
  static const char *const garbage[] = {"ref: refs/heads/../../etc\n", "xyz\n", SHA_A "junk\n",
                                        "ref: refs/heads/a\n", "", "ref: HEAD\n"};
  put_file(root, ".git/refs/heads/a", "ref: refs/heads/a\n"); /* a loop */
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    put_file(root, ".git/HEAD", garbage[i]);
    if (memgate__git_head(root, out, sizeof out) != MEMGATE_EUNSUPPORTED) fail_msg("garbage %zu read as %s", i, out);
    assert_string_equal(out, "");
  }
  assert_int_equal(memgate__git_head("/proc/self", out, sizeof out), MEMGATE_EUNSUPPORTED); /* no checkout */
  assert_int_equal(memgate__git_head("relative", out, sizeof out), MEMGATE_EUNSUPPORTED);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  assert_int_equal(system(cmd), 0);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T_(test_results_line_fields),
      T_(test_results_concurrent_append),
      T_(test_bad_names_give_one_error_line_the_command_reads),
      T_(test_results_line_says_when_and_what),
      cmocka_unit_test(test_git_head_from_files),
      cmocka_unit_test(test_results_unwritable_counts_as_failure),
      cmocka_unit_test(test_results_unrecorded_is_error_not_pass),
      cmocka_unit_test(test_results_cut_line_is_taken_back),
      cmocka_unit_test(test_results_torn_line_does_not_swallow_the_next)
  };
#undef T_
  return scripted_main(argc, argv, "memgate results file", tests, sizeof tests / sizeof tests[0]);
}
