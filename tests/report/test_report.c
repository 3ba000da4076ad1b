/*
 * test_report.c - the report renderers (harness/tool/report.c) on items
 * built in memory, and `memgate report` (harness/tool/cmd_report.c) on the
 * inputs in tests/report/inputs/. Run from the repository root. Part of
 * TEST_BINS, so it also runs under ASan/UBSan and valgrind.
 *
 * The page's markup is checked strictly by tests/report/check_html.py and
 * in a browser by tests/report/browser_test.sh; this file checks what C can
 * see cheaply: return codes, escaping, ordering, downsampling, no NaN.
 *
 * The renderers read evaluations (tool_eval, what evaluate.c decided, with
 * eval->result the loaded figures); the tests build both in memory.
 */
#ifndef _POSIX_C_SOURCE
#  define _POSIX_C_SOURCE 200809L
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "tool.h"

#define KIB 1024u
#define INPUTS "tests/report/inputs/"

/* ---------------------------------------------------------------- helpers */

/* Everything written to f since it was opened, NUL-terminated (caller frees). */
static char *slurp(FILE *f) {
  long len;
  assert_int_equal(fflush(f), 0);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  len = ftell(f);
  assert_true(len >= 0);
  rewind(f);
  char *buf = malloc((size_t)len + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  buf[len] = '\0';
  return buf;
}

static char *html_of(const tool_eval *items, size_t n, const char *title) {
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(memgate_report_html(f, items, n, title), 0);
  char *s = slurp(f);
  fclose(f);
  return s;
}

static char *markdown_of(const tool_eval *items, size_t n) {
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(memgate_report_markdown(f, items, n), 0);
  char *s = slurp(f);
  fclose(f);
  return s;
}

static size_t count(const char *hay, const char *needle) {
  size_t c = 0, n = strlen(needle);
  for (const char *p = strstr(hay, needle); p; p = strstr(p + n, needle)) c++;
  return c;
}

/* No NaN or infinity printed anywhere (a chart coordinate gone wrong). */
static void assert_finite_numbers(const char *s) {
  assert_null(strstr(s, "nan"));
  assert_null(strstr(s, "NaN"));
  assert_null(strstr(s, "inf\""));
  assert_null(strstr(s, "inf "));
  assert_null(strstr(s, "-inf"));
}

/* An empty evaluation of an empty result (no peak, no baseline, no series). */
static void empty_item(tool_eval *e, tool_result *r) {
  memset(r, 0, sizeof *r);
  memset(e, 0, sizeof *e);
  e->result = r;
}

/* A baseline applied to e: expected retained and the largest that passes. */
static void with_baseline(tool_eval *e, int64_t expected, int64_t allowed) {
  e->has_baseline = true;
  e->j.cmp.expected = expected;
  e->j.cmp.allowed = allowed;
}

/* A repeat's evaluation e of its result r (the series s is borrowed). */
static void repeat_item(tool_eval *e, tool_result *r, const char *name, memgate_verdict v, const uint64_t *s,
                        size_t n) {
  empty_item(e, r);
  r->name = (char *)name;
  r->kind = MemgateKindRepeat;
  r->platform = (char *)"linux-x86_64";
  e->verdict = r->verdict = v;
  e->message = v == MemgateVerdictPass ? "no persistent growth" : "memory keeps growing";
  r->file = (char *)"tests/x.c";
  r->line = 42;
  r->series = (uint64_t *)s;
  r->series_count = (uint32_t)n;
  r->before_bytes = n ? s[0] : 0;
  r->after_bytes = n ? s[n - 1] : 0;
  r->retained_bytes = (int64_t)(r->after_bytes - r->before_bytes);
  r->iterations = n ? (uint32_t)(n - 1) : 0;
  r->warmup = 2;
  r->warmup_bytes = 8 * KIB;
  r->has_slope = true;
  r->slope_bytes = n > 1 ? (double)r->retained_bytes / (double)(n - 1) : 0;
}

/* The d attribute of the first <path class="cls">, or NULL. Points into s. */
static const char *path_d(const char *s, const char *cls, size_t *len) {
  char key[64];
  snprintf(key, sizeof key, "<path class=\"%s\" d=\"", cls);
  const char *p = strstr(s, key);
  if (!p) return NULL;
  p += strlen(key);
  *len = (size_t)(strchr(p, '"') - p);
  return p;
}

/* --------------------------------------------------------------- renderers */

static void test_bad_arguments(void **state) {
  (void)state;
  tool_result r;
  tool_eval it;
  empty_item(&it, &r);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(memgate_report_html(NULL, &it, 1, NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate_report_html(f, NULL, 3, NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate_report_markdown(NULL, &it, 1), MEMGATE_EINVAL);
  assert_int_equal(memgate_report_markdown(f, NULL, 3), MEMGATE_EINVAL);
  fclose(f);
}

/* A stream that cannot be written: the renderers say so. */
static void test_write_error(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-report-test-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  tool_result r;
  tool_eval it;
  empty_item(&it, &r);
  r.name = (char *)"x";
  assert_int_equal(memgate_report_html(f, &it, 1, NULL), MEMGATE_EIO);
  clearerr(f);
  assert_int_equal(memgate_report_markdown(f, &it, 1), MEMGATE_EIO);
  fclose(f);
  remove(path);
}

static void test_no_items(void **state) {
  (void)state;
  char *h = html_of(NULL, 0, NULL);
  assert_non_null(strstr(h, "<!DOCTYPE html>"));
  assert_non_null(strstr(h, "No results."));
  assert_non_null(strstr(h, "</html>\n"));
  free(h);
  char *m = markdown_of(NULL, 0);
  assert_string_equal(m, "### memgate: no results\n");
  free(m);
}

static void test_script_name_is_text(void **state) {
  (void)state;
  uint64_t s[3] = {200 * KIB, 264 * KIB, 328 * KIB};
  tool_result r;
  tool_eval it;
  repeat_item(&it, &r, "<script>alert(1)</script>", MemgateVerdictLeak, s, 3);
  it.message = "a \"quoted\" 'message' & <b>bold</b>";
  r.file = (char *)"dir/<x>.c";
  char *h = html_of(&it, 1, "<i>title</i>");
  assert_null(strstr(h, "<script>alert"));
  assert_null(strstr(h, "<b>bold"));
  assert_null(strstr(h, "<i>title"));
  assert_true(count(h, "&lt;script&gt;alert(1)&lt;/script&gt;") >= 3); /* row, card, chart label */
  assert_non_null(strstr(h, "&quot;quoted&quot; &#39;message&#39; &amp; &lt;b&gt;bold&lt;/b&gt;"));
  assert_non_null(strstr(h, "dir/&lt;x&gt;.c:42"));
  assert_non_null(strstr(h, "<title>&lt;i&gt;title&lt;/i&gt;</title>"));
  assert_int_equal(count(h, "<script"), 2); /* the error hook and the ready marker */
  free(h);
  char *m = markdown_of(&it, 1);
  assert_null(strstr(m, "<script"));
  assert_non_null(strstr(m, "| &lt;script\\>alert(1)&lt;/script\\> |"));
  free(m);
}

/* Invalid UTF-8 and control characters never reach the page. */
static void test_bad_bytes_replaced(void **state) {
  (void)state;
  uint64_t s[2] = {KIB, KIB};
  tool_result r;
  tool_eval it;
  repeat_item(&it, &r, "a\xff\x01" "b\xc3(\xed\xa0\x80", MemgateVerdictPass, s, 2);
  it.message = "tab\there\nnewline \xe2\x9c\x93 ok";
  char *h = html_of(&it, 1, NULL);
  assert_non_null(strstr(h, "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD(\xEF\xBF\xBD"));
  assert_non_null(strstr(h, "tab here newline \xe2\x9c\x93 ok"));
  assert_null(strstr(h, "\xff"));
  assert_null(strchr(h, '\x01'));
  assert_null(strchr(h, '\t'));
  free(h);
}

static void test_markdown_cells(void **state) {
  (void)state;
  uint64_t s[2] = {KIB, 2 * KIB};
  tool_result r[2];
  tool_eval it[2];
  repeat_item(&it[0], &r[0], "a|b\nc", MemgateVerdictRegression, s, 2);
  it[0].message = "line one\nline | two";
  with_baseline(&it[0], 512, 768);
  repeat_item(&it[1], &r[1], "back\\slash `x` *y* _z_", MemgateVerdictPass, s, 2);
  char *m = markdown_of(it, 2);
  /* Each table line has 9 unescaped pipes (8 columns). */
  size_t rows = 0;
  for (char *line = m; *line;) {
    char *end = strchr(line, '\n');
    assert_non_null(end);
    if (line[0] == '|') {
      size_t pipes = 0;
      for (char *p = line; p < end; p++) {
        if (*p == '\\') p++;
        else if (*p == '|') pipes++;
      }
      assert_int_equal(pipes, 9);
      rows++;
    }
    line = end + 1;
  }
  assert_int_equal(rows, 4); /* header, separator, two rows */
  assert_non_null(strstr(m, "| a\\|b c |"));
  assert_non_null(strstr(m, "back\\\\slash \\`x\\` \\*y\\* \\_z\\_"));
  assert_non_null(strstr(m, "| +512 B | +768 B | +512 B (+100%) |"));
  assert_non_null(strstr(m, "line one line \\| two"));
  free(m);
}

static void test_one_point_series(void **state) {
  (void)state;
  uint64_t s[1] = {3 * 1024 * KIB};
  tool_result r;
  tool_eval it;
  repeat_item(&it, &r, "one.point", MemgateVerdictPass, s, 1);
  char *h = html_of(&it, 1, NULL);
  assert_finite_numbers(h);
  assert_int_equal(count(h, "<circle class=\"fp-dot\""), 1);
  assert_non_null(strstr(h, "MiB</text>"));
  free(h);
}

/* A 10 000-point series is drawn with at most two points per pixel column,
 * and a single-sample spike is still the highest point drawn. */
static void test_long_series_downsampled(void **state) {
  (void)state;
  enum { N = 10000, SPIKE = 7777 };
  uint64_t *s = malloc(N * sizeof *s), *hs = malloc(N * sizeof *hs);
  assert_non_null(s);
  assert_non_null(hs);
  for (size_t i = 0; i < N; i++) {
    s[i] = 64u * 1024 * KIB + i * 40 + (i % 97) * 512;
    hs[i] = s[i] / 2;
  }
  s[SPIKE] += 32u * 1024 * KIB;
  tool_result r;
  tool_eval it;
  repeat_item(&it, &r, "long", MemgateVerdictLeak, s, N);
  r.heap_series = hs;
  r.heap_series_count = N;
  char *h = html_of(&it, 1, NULL);
  assert_finite_numbers(h);
  size_t len = 0;
  const char *d = path_d(h, "fp", &len);
  assert_non_null(d);
  size_t points = 0;
  double min_y = 1e9, second = 1e9, y;
  for (const char *p = d; p < d + len; p++) {
    if (*p != 'M' && *p != 'L') continue;
    points++;
    double x;
    assert_int_equal(sscanf(p + 1, "%lf %lf", &x, &y), 2);
    if (y < min_y) {
      second = min_y;
      min_y = y;
    } else if (y < second) {
      second = y;
    }
  }
  assert_true(points <= 2 * 600);
  assert_true(points >= 200);
  /* The spike is 32 MiB above a series that varies by under 1 MiB. */
  assert_true(second - min_y > 40.0);
  assert_null(strstr(h, "<circle class=\"fp-dot\"")); /* no dots on 10 000 points */
  assert_non_null(strstr(h, "drawn as min/max per pixel"));
  assert_non_null(strstr(h, "10\xE2\x80\xAF" "000")); /* the real count, not the drawn one */
  assert_non_null(path_d(h, "hp", &len));
  free(h);
  free(s);
  free(hs);
}

/* 500 items: failures first in the table and the timelines, passes
 * collapsed and their rows behind a <details>. */
static void test_many_items(void **state) {
  (void)state;
  enum { N = 500 };
  static uint64_t s[N][4];
  static char names[N][32];
  tool_eval *it = calloc(N, sizeof *it);
  tool_result *r = calloc(N, sizeof *r);
  assert_non_null(it);
  assert_non_null(r);
  for (size_t i = 0; i < N; i++) {
    memgate_verdict v = i % 50 == 7 ? MemgateVerdictLeak
                        : i % 50 == 13 ? MemgateVerdictRegression
                        : i % 50 == 29 ? MemgateVerdictError
                                       : MemgateVerdictPass;
    for (size_t k = 0; k < 4; k++) s[i][k] = (100 + i) * KIB + (v == MemgateVerdictLeak ? k * 64 * KIB : 0);
    snprintf(names[i], sizeof names[i], "suite.case%03zu", N - i); /* reverse name order */
    repeat_item(&it[i], &r[i], names[i], v, s[i], v == MemgateVerdictError ? 0 : 4);
    if (i % 3 == 0) with_baseline(&it[i], 0, 64 * KIB);
  }
  char *h = html_of(it, N, NULL);
  assert_finite_numbers(h);
  assert_int_equal(count(h, "<tr class=\"fail\">"), 30);
  assert_int_equal(count(h, "<tr class=\"pass\">"), 470);
  /* every fail row before the first pass row, and the passes in their own table */
  const char *last_fail = h;
  for (const char *p = strstr(h, "<tr class=\"fail\">"); p; p = strstr(p + 1, "<tr class=\"fail\">")) last_fail = p;
  const char *first_pass = strstr(h, "<tr class=\"pass\">");
  const char *more = strstr(h, "<details class=\"more\"><summary>470 passing scopes</summary>");
  assert_non_null(more);
  assert_true(last_fail < more && more < first_pass);
  /* leaks, then regressions, then errors */
  const char *leak = strstr(h, "<span class=\"badge v-leak\">");
  const char *reg = strstr(h, "<span class=\"badge v-regression\">");
  const char *err = strstr(h, "<span class=\"badge v-error\">");
  assert_true(leak && reg && err && leak < reg && reg < err);
  assert_int_equal(count(h, "<details class=\"card fail\""), 30);
  assert_int_equal(count(h, "<details class=\"card fail\" id=\"s"), 30);
  assert_int_equal(count(h, "<details class=\"card pass\""), 470);
  assert_int_equal(count(h, "open=\"open\""), 30); /* failures only */
  assert_int_equal(count(h, "No footprint samples were recorded."), 10);
  free(h);
  char *m = markdown_of(it, N);
  assert_int_equal(count(m, "\n| suite.case"), 500);
  assert_int_equal(count(m, "\n- **"), 30);
  free(m);
  free(it);
  free(r);
}

/* Few items: passes are expanded too. */
static void test_few_items_open(void **state) {
  (void)state;
  uint64_t a[3] = {KIB, 2 * KIB, 3 * KIB}, b[3] = {KIB, KIB, KIB};
  tool_result r[2];
  tool_eval it[2];
  repeat_item(&it[0], &r[0], "b.pass", MemgateVerdictPass, b, 3);
  repeat_item(&it[1], &r[1], "a.leak", MemgateVerdictLeak, a, 3);
  char *h = html_of(it, 2, NULL);
  assert_int_equal(count(h, "open=\"open\""), 2);
  assert_null(strstr(h, "details class=\"more\""));
  assert_true(strstr(h, "a.leak") < strstr(h, "b.pass"));
  assert_non_null(strstr(h, "class=\"fit\"")); /* the leak's growth line */
  assert_int_equal(count(h, "class=\"fit\""), 1);
  free(h);
}

/* Extreme values: zeros, the top of uint64_t, negative retained, a heap
 * series of the wrong length (not drawn), a baseline band, NULL strings. */
static void test_extremes(void **state) {
  (void)state;
  uint64_t zero[3] = {0, 0, 0}, big[2] = {UINT64_MAX - 1, UINT64_MAX}, down[3] = {9 * KIB, 5 * KIB, KIB};
  uint64_t heap[2] = {1, 2};
  tool_result r[4];
  tool_eval it[4];
  repeat_item(&it[0], &r[0], "zero", MemgateVerdictPass, zero, 3);
  repeat_item(&it[1], &r[1], "big", MemgateVerdictLeak, big, 2);
  repeat_item(&it[2], &r[2], "down", MemgateVerdictPass, down, 3);
  r[2].heap_series = heap;
  r[2].heap_series_count = 2;
  with_baseline(&it[2], -4 * (int64_t)KIB, 16 * KIB);
  r[2].has_peak = true;
  r[2].peak_bytes = 0;
  empty_item(&it[3], &r[3]); /* nothing at all */
  char *h = html_of(it, 4, NULL);
  assert_finite_numbers(h);
  assert_null(strstr(h, "class=\"hp\""));
  assert_non_null(strstr(h, "class=\"bl-band\""));
  assert_non_null(strstr(h, "TiB</text>")); /* 16 EiB on a TiB axis */
  free(h);
  char *m = markdown_of(it, 4);
  assert_non_null(strstr(m, "| -8.0 KiB |"));
  free(m);
}

static void test_scope_chart(void **state) {
  (void)state;
  tool_result r;
  tool_eval it;
  empty_item(&it, &r);
  r.name = (char *)"live_room.gift";
  r.before_bytes = 444 * KIB;
  r.after_bytes = 956 * KIB;
  r.retained_bytes = 512 * KIB;
  r.has_peak = true;
  r.peak_bytes = 884 * KIB;
  r.iterations = 1;
  char *h = html_of(&it, 1, NULL); /* no series: drawn from before/after */
  assert_non_null(strstr(h, ">begin</text>"));
  assert_non_null(strstr(h, ">end</text>"));
  assert_non_null(strstr(h, "class=\"pk\""));
  assert_null(strstr(h, "class=\"wu\"")); /* scopes have no warm-up */
  assert_int_equal(count(h, "<circle class=\"fp-dot\""), 2);
  free(h);
}

/* The y-axis spans the measured part: a warm-up start far below and a peak
 * far above are annotations on the plot's edge, not scale-setters, so a
 * +640 KiB staircase fills the chart. */
static void test_axis_scaled_to_measured_part(void **state) {
  (void)state;
  uint64_t s[11];
  for (size_t i = 0; i < 11; i++) s[i] = 10u * 1024 * KIB + i * 64 * KIB;
  tool_result r;
  tool_eval it;
  repeat_item(&it, &r, "stairs", MemgateVerdictLeak, s, 11);
  r.warmup_bytes = 9 * 1024 * (int64_t)KIB; /* started at 1 MiB */
  r.has_peak = true;
  r.peak_bytes = 40 * 1024 * (int64_t)KIB;
  char *h = html_of(&it, 1, NULL);
  size_t ticks = 0;
  for (const char *p = strstr(h, "class=\"ytick\""); p; p = strstr(p + 1, "class=\"ytick\"")) {
    const char *t = strchr(p, '>');
    double v = 0;
    char unit[8] = "";
    assert_int_equal(sscanf(t + 1, "%lf %7[A-Za-z]", &v, unit), 2);
    double bytes = v * (strcmp(unit, "MiB") == 0 ? 1024.0 * 1024.0 : strcmp(unit, "KiB") == 0 ? 1024.0 : 1.0);
    assert_true(bytes >= 9.0 * 1024 * 1024 && bytes <= 11.5 * 1024 * 1024);
    ticks++;
  }
  assert_true(ticks >= 3);
  assert_non_null(strstr(h, "class=\"wu-t wu-start\""));
  assert_non_null(strstr(h, ">start 1.00 MiB"));
  assert_non_null(strstr(h, ">peak +40.00 MiB</text>"));
  assert_finite_numbers(h);
  free(h);
}

/* ------------------------------------------------------------ the command */

typedef struct captured {
  int rc;
  char *err; /* stderr text */
  char *out; /* stdout text */
} captured;

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *s = slurp(f);
  fclose(f);
  return s;
}

/* Runs memgate__cmd_report with stdout and stderr sent to files. */
static captured run_cmd(int argc, const char **argv) {
  char eb[] = "/tmp/memgate-report-err-XXXXXX", ob[] = "/tmp/memgate-report-out-XXXXXX";
  int efd = mkstemp(eb), ofd = mkstemp(ob);
  assert_true(efd >= 0 && ofd >= 0);
  fflush(stdout);
  fflush(stderr);
  int se = dup(2), so = dup(1);
  assert_true(se >= 0 && so >= 0);
  assert_true(dup2(efd, 2) >= 0);
  assert_true(dup2(ofd, 1) >= 0);
  captured c;
  c.rc = memgate__cmd_report(argc, (char **)argv);
  fflush(stdout);
  fflush(stderr);
  assert_true(dup2(se, 2) >= 0);
  assert_true(dup2(so, 1) >= 0);
  close(se);
  close(so);
  close(efd);
  close(ofd);
  c.err = read_file(eb);
  c.out = read_file(ob);
  remove(eb);
  remove(ob);
  return c;
}

static void captured_free(captured *c) {
  free(c->err);
  free(c->out);
}

static char g_dir[64];

static int make_dir(void **state) {
  (void)state;
  strcpy(g_dir, "/tmp/memgate-report-XXXXXX");
  return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state) {
  (void)state;
  static const char *const names[] = {"r.html", "r.md", "x.html"};
  char p[128];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", g_dir, names[i]);
    remove(p);
  }
  return rmdir(g_dir);
}

static bool dir_has_only(const char *a, const char *b) {
  /* No temporary file left behind: only the expected outputs exist. */
  char p[128];
  static const char *const names[] = {"r.html", "r.md", "x.html"};
  int found = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", g_dir, names[i]);
    struct stat st;
    if (stat(p, &st) == 0) {
      if ((!a || strcmp(names[i], a) != 0) && (!b || strcmp(names[i], b) != 0)) return false;
      found++;
    }
  }
  return found == (a != NULL) + (b != NULL);
}

static void test_cmd_usage(void **state) {
  (void)state;
  const char *none[] = {"report", NULL};
  captured c = run_cmd(1, none);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "no results files given"));
  assert_non_null(strstr(c.err, "usage: memgate report"));
  captured_free(&c);

  const char *help[] = {"report", "--help", NULL};
  c = run_cmd(2, help);
  assert_int_equal(c.rc, 0);
  assert_non_null(strstr(c.out, "usage: memgate report RESULTS..."));
  assert_string_equal(c.err, "");
  captured_free(&c);

  const char *nothing[] = {"report", INPUTS "one.jsonl", NULL};
  c = run_cmd(2, nothing);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "nothing to write"));
  captured_free(&c);

  const char *unknown[] = {"report", INPUTS "one.jsonl", "--pdf", "x", NULL};
  c = run_cmd(4, unknown);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "unknown option --pdf"));
  captured_free(&c);

  const char *missing[] = {"report", INPUTS "one.jsonl", "--html", NULL};
  c = run_cmd(3, missing);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "--html needs a value"));
  captured_free(&c);

  const char *same[] = {"report", INPUTS "one.jsonl", "--html=a", "--markdown", "a", NULL};
  c = run_cmd(5, same);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "both name a"));
  captured_free(&c);

  const char *empty_name[] = {"report", INPUTS "one.jsonl", "--html=", NULL};
  c = run_cmd(3, empty_name);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "output file name is empty"));
  captured_free(&c);
}

static void test_cmd_bad_input(void **state) {
  (void)state;
  char out[128];
  snprintf(out, sizeof out, "%s/x.html", g_dir);

  const char *empty[] = {"report", INPUTS "empty.jsonl", "--html", out, NULL};
  captured c = run_cmd(4, empty);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, INPUTS "empty.jsonl: no results in this file"));
  captured_free(&c);


  const char *nofile[] = {"report", INPUTS "no-such-file.jsonl", "--html", out, NULL};
  c = run_cmd(4, nofile);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "no-such-file.jsonl"));
  captured_free(&c);
  assert_true(dir_has_only(NULL, NULL)); /* nothing written on bad input */

  const char *nodir[] = {"report", INPUTS "one.jsonl", "--html", "/nonexistent-dir/r.html", NULL};
  c = run_cmd(4, nodir);
  assert_int_equal(c.rc, 2);
  assert_non_null(strstr(c.err, "cannot write /nonexistent-dir/r.html"));
  captured_free(&c);
}

static void test_cmd_writes(void **state) {
  (void)state;
  char html[128], md[128];
  snprintf(html, sizeof html, "%s/r.html", g_dir);
  snprintf(md, sizeof md, "%s/r.md", g_dir);
  /* Judged against tests/report/baselines (gate.jsonl's cache.json), as
   * memgate check would judge them. */
  const char *argv[] = {"report", INPUTS "live_room.jsonl", INPUTS "gate.jsonl", "--html", html,
                        "--markdown=" /* joined below */, "--title", "CI & me",
                        "--baselines", "tests/report/baselines", NULL};
  char mdopt[160];
  snprintf(mdopt, sizeof mdopt, "--markdown=%s", md);
  argv[5] = mdopt;
  captured c = run_cmd(10, argv);
  assert_int_equal(c.rc, 0);
  assert_non_null(strstr(c.err, "(6 results, 2 failed)"));
  captured_free(&c);
  assert_true(dir_has_only("r.html", "r.md"));

  char *h = read_file(html);
  assert_non_null(h);
  assert_true(strncmp(h, "<!DOCTYPE html>\n", 16) == 0);
  assert_non_null(strstr(h, "<title>CI &amp; me</title>"));
  assert_non_null(strstr(h, "live_room_buggy.visit"));
  assert_non_null(strstr(h, "from <span class=\"mono\">" INPUTS "live_room.jsonl:3</span>"));
  assert_non_null(strstr(h, "class=\"bl-band\"")); /* gate.jsonl has baselines */
  assert_finite_numbers(h);
  free(h);
  char *m = read_file(md);
  assert_non_null(m);
  assert_non_null(strstr(m, "### memgate: 2 of 6 failed\n"));
  free(m);

  /* "-" is standard output. */
  /* A bad line is that line's error; the rest is rendered. */
  const char *bad[] = {"report", INPUTS "one.jsonl", INPUTS "malformed.jsonl", "--markdown", "-", NULL};
  c = run_cmd(5, bad);
  assert_int_equal(c.rc, 0);
  assert_non_null(strstr(c.out, "malformed.jsonl:3:"));
  assert_non_null(strstr(c.out, "| live\\_room.visit |"));
  captured_free(&c);

  const char *to_stdout[] = {"report", INPUTS "one.jsonl", "--markdown", "-", NULL};
  c = run_cmd(4, to_stdout);
  assert_int_equal(c.rc, 0);
  assert_non_null(strstr(c.out, "| live\\_room.gift | linux-x86\\_64 | pass |"));
  assert_string_equal(c.err, "");
  captured_free(&c);

  /* "--" ends the options. */
  const char *dashdash[] = {"report", "--markdown", "-", "--", INPUTS "one.jsonl", NULL};
  c = run_cmd(5, dashdash);
  assert_int_equal(c.rc, 0);
  captured_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_write_error),
      cmocka_unit_test(test_no_items),
      cmocka_unit_test(test_script_name_is_text),
      cmocka_unit_test(test_bad_bytes_replaced),
      cmocka_unit_test(test_markdown_cells),
      cmocka_unit_test(test_one_point_series),
      cmocka_unit_test(test_long_series_downsampled),
      cmocka_unit_test(test_many_items),
      cmocka_unit_test(test_few_items_open),
      cmocka_unit_test(test_extremes),
      cmocka_unit_test(test_scope_chart),
      cmocka_unit_test(test_axis_scaled_to_measured_part),
      cmocka_unit_test_setup_teardown(test_cmd_usage, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_cmd_bad_input, make_dir, remove_dir),
      cmocka_unit_test_setup_teardown(test_cmd_writes, make_dir, remove_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
