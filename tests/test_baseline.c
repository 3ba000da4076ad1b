/*
 * Baselines: strict JSON and positions, validation (every error with
 * file:line:col), stable formatting, merge, tolerance and comparison rules,
 * platform fallback, judging, locked atomic updates (8 processes at once),
 * corrupt files left untouched, the in-process hooks through the core with a
 * scripted sampler, and the results-file loader of the memgate command.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseline_store.h"
#include "memgate.h"
#include "results_load.h"

/* ------------------------------------------------------------------ helpers */

static char g_tmp[256];

static void make_tmpdir(void) {
  const char *td = getenv("TMPDIR");
  snprintf(g_tmp, sizeof g_tmp, "%s/memgate-test-baseline.XXXXXX", td && *td ? td : "/tmp");
  assert_non_null(mkdtemp(g_tmp));
}

static void rm_tree(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  size_t r;
  while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (n + 1 == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
  }
  fclose(f);
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* Parses text as t.json; returns the rc, err gets the message. */
static int parse_text(const char *text, size_t len, memgate__bl_file *f, char *err, size_t cap) {
  err[0] = '\0';
  return memgate__bl_parse(text, len, "t.json", "t.json", f, err, cap);
}

static memgate__bl_entry mk_entry(const char *scope, const char *platform, int64_t retained,
                                  int64_t peak) {
  memgate__bl_entry e;
  memset(&e, 0, sizeof e);
  e.scope = (char *)scope;
  e.platform = (char *)platform;
  e.kind = -1;
  e.retained_bytes = retained;
  e.peak_bytes = peak;
  e.tolerance_bytes = -1;
  e.tolerance_percent = -1;
  e.peak_tolerance_bytes = -1;
  e.peak_tolerance_percent = -1;
  e.iterations = 1;
  return e;
}

/* ------------------------------------------------------------------ JSON */

static void test_jdoc_positions(void **state) {
  (void)state;
  const char *t = "{\"a\": [1, {\"b\": 22}],\n \"c\": \"x\"}";
  memgate__jdoc d;
  memgate__jerr e;
  assert_int_equal(memgate__jdoc_parse(&d, t, strlen(t), &e), 0);
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(d.root, "a");
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(d.root, "c");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a, 1), "b");
  assert_int_equal(memgate__jdoc_value_off(&d, d.root), 0);
  assert_int_equal(memgate__jdoc_key_off(&d, a), 1);
  assert_int_equal(memgate__jdoc_value_off(&d, a), 6);
  assert_int_equal(memgate__jdoc_key_off(&d, b), 11);
  assert_int_equal(memgate__jdoc_value_off(&d, b), 16);
  assert_int_equal(memgate__jdoc_key_off(&d, c), 23);
  int64_t v;
  assert_int_equal(memgate__jdoc_get_int(&d, b, 0, 100, "b", &v, &e), 0);
  assert_int_equal(v, 22);
  assert_int_equal(memgate__jdoc_get_int(&d, b, 0, 21, "b", &v, &e), MEMGATE_EPARSE);
  assert_int_equal(e.off, 16);
  assert_non_null(strstr(e.msg, "out of range"));
  uint32_t line, col;
  memgate__text_pos(t, strlen(t), 23, &line, &col);
  assert_int_equal(line, 2);
  assert_int_equal(col, 2);
  memgate__jdoc_free(&d);
}

static void test_jdoc_exact_integers(void **state) {
  (void)state;
  /* 2^63 - 1 and -2^63 exactly (a double would round them). */
  const char *t = "[9223372036854775807, -9223372036854775808, 9223372036854775808, 9007199254740993, -0]";
  memgate__jdoc d;
  memgate__jerr e;
  int64_t v;
  uint64_t u;
  assert_int_equal(memgate__jdoc_parse(&d, t, strlen(t), &e), 0);
  assert_int_equal(memgate__jdoc_get_int(&d, cJSON_GetArrayItem(d.root, 0), INT64_MIN, INT64_MAX, "x", &v, &e), 0);
  assert_true(v == INT64_MAX);
  assert_int_equal(memgate__jdoc_get_int(&d, cJSON_GetArrayItem(d.root, 1), INT64_MIN, INT64_MAX, "x", &v, &e), 0);
  assert_true(v == INT64_MIN);
  assert_int_equal(memgate__jdoc_get_int(&d, cJSON_GetArrayItem(d.root, 2), INT64_MIN, INT64_MAX, "x", &v, &e), MEMGATE_EPARSE);
  assert_int_equal(memgate__jdoc_get_uint(&d, cJSON_GetArrayItem(d.root, 2), UINT64_MAX, "x", &u, &e), 0);
  assert_true(u == UINT64_C(9223372036854775808));
  assert_int_equal(memgate__jdoc_get_int(&d, cJSON_GetArrayItem(d.root, 3), 0, INT64_MAX, "x", &v, &e), 0);
  assert_true(v == INT64_C(9007199254740993));
  assert_int_equal(memgate__jdoc_get_uint(&d, cJSON_GetArrayItem(d.root, 4), 10, "x", &u, &e), 0);
  assert_true(u == 0);
  memgate__jdoc_free(&d);
}

/* Each bad input: the exact "t.json:line:col: " prefix and a phrase. */
typedef struct bad_case {
  const char *text;
  size_t len; /* 0: strlen */
  const char *where;
  const char *what;
} bad_case;

#define OKENTRY "{\"retained_bytes\": 0}"

static const bad_case k_bad[] = {
    {"", 0, "t.json:1:1: ", "empty file"},
    {"  \n\t", 0, "t.json:2:2: ", "no JSON value"},
    {"{", 0, "t.json:1:2: ", "unexpected end of input (truncated file?)"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"linux-x86_64\": {\"retained_bytes\": 1", 0, "t.json:1:70: ",
     "unexpected end of input"},
    {"\x00\x01\x02binary", 9, "t.json:1:1: ", "NUL byte (binary data?)"},
    {"\x7f" "ELF\x02\x01", 6, "t.json:1:1: ", "unexpected byte 0x7f"},
    {"{\"format\": 1,\n \"scopes\": {},\n}", 0, "t.json:3:1: ", "expected a key in double quotes"},
    {"{\"format\": 1, \"scopes\": {}} x", 0, "t.json:1:29: ", "unexpected 'x': expected the end of the input"},
    {"[1, 2]", 0, "t.json:1:1: ", "the top level must be an object"},
    {"{\"scopes\": {}}", 0, "t.json:1:1: ", "missing \"format\""},
    {"{\"format\": \"1\", \"scopes\": {}}", 0, "t.json:1:12: ", "\"format\" must be a whole number from 0 to 2147483647, not a string"},
    {"{\"format\": 2, \"scopes\": {}}", 0, "t.json:1:12: ", "unsupported baseline format version 2 (this memgate reads version 1; was the file written by a newer memgate?)"},
    {"{\"format\": 0, \"scopes\": {}}", 0, "t.json:1:12: ", "unsupported baseline format version 0"},
    {"{\"format\": 1}", 0, "t.json:1:1: ", "missing \"scopes\""},
    {"{\"format\": 1, \"scopes\": []}", 0, "t.json:1:25: ", "\"scopes\" must be an object"},
    {"{\"format\": 1, \"scopes\": {}, \"extra\": 1}", 0, "t.json:1:29: ", "unknown key \"extra\" at the top level"},
    {"{\"format\": 1, \"format\": 1, \"scopes\": {}}", 0, "t.json:1:15: ", "duplicate key \"format\" (first at line 1, column 2)"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"linux-x86_64\": " OKENTRY "},\n \"t.a\": {\"any\": " OKENTRY "}}}", 0,
     "t.json:2:2: ", "duplicate key \"t.a\" (first at line 1, column 26)"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": " OKENTRY ", \"any\": " OKENTRY "}}}", 0, "t.json:1:64: ",
     "duplicate key \"any\""},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"retained_bytes\": 1}}}}", 0,
     "t.json:1:63: ", "duplicate key \"retained_bytes\""},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": -1}}}}", 0, "t.json:1:60: ",
     "\"retained_bytes\" must not be negative"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 99999999999999999999}}}}", 0,
     "t.json:1:60: ", "\"retained_bytes\" is out of range (allowed: 0 to 9007199254740992)"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 9007199254740993}}}}", 0,
     "t.json:1:60: ", "out of range"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 1e3}}}}", 0, "t.json:1:60: ",
     "must be a whole number (digits only, no fraction or exponent)"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 1.5}}}}", 0, "t.json:1:60: ",
     "whole number"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": true}}}}", 0, "t.json:1:60: ",
     "not true"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"tolerence_bytes\": 1}}}}", 0,
     "t.json:1:63: ", "unknown field \"tolerence_bytes\""},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"peak_bytes\": 5}}}}", 0, "t.json:1:41: ",
     "has no \"retained_bytes\""},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"tolerance_percent\": 1001}}}}", 0,
     "t.json:1:84: ", "\"tolerance_percent\" is out of range (allowed: 0 to 1000)"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"iterations\": 0}}}}", 0,
     "t.json:1:77: ", "\"iterations\" is out of range"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"kind\": \"loop\"}}}}", 0,
     "t.json:1:71: ", "\"kind\" must be \"scope\" or \"repeat\""},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"kind\": \"scope\", \"iterations\": 3}}}}", 0,
     "t.json:1:41: ", "a \"scope\" entry has \"iterations\": 1"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": 0, \"note\": \"two\\nlines\"}}}}", 0,
     "t.json:1:71: ", "\"note\" must be one line"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"Linux\": " OKENTRY "}}}", 0, "t.json:1:34: ",
     "invalid platform key \"Linux\""},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {}}}", 0, "t.json:1:33: ", "scope \"t.a\" has no platform entries"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": 5}}", 0, "t.json:1:33: ", "must be an object mapping platform keys"},
    {"{\"format\": 1, \"scopes\": {\"other.a\": {\"any\": " OKENTRY "}}}", 0, "t.json:1:26: ",
     "scope \"other.a\" belongs in other.json, not t.json"},
    {"{\"format\": 1, \"scopes\": {\"\": {\"any\": " OKENTRY "}}}", 0, "t.json:1:26: ", "invalid scope name"},
    {"{\"format\": 1, \"scopes\": {\"t.\\u0001\": {\"any\": " OKENTRY "}}}", 0, "t.json:1:26: ", "invalid scope name"},
    {"{\"format\": 1, \"scopes\": {\"t.\xff\": 1}}", 0, "t.json:1:29: ", "invalid UTF-8 in string"},
    {"{\"format\": 1, \"scopes\": {\"t.\xc0\xaf\": 1}}", 0, "t.json:1:29: ", "invalid UTF-8"},
    {"{\"format\": 1, \"scopes\": {\"t.\ta\": 1}}", 0, "t.json:1:29: ", "raw control character in string"},
    {"{\"format\": 1, \"scopes\": {\"t.\\u0000\": 1}}", 0, "t.json:1:29: ", "\\u0000"},
    {"{\"format\": 1, \"scopes\": {\"t.\\udc00\": 1}}", 0, "t.json:1:29: ", "lone low surrogate"},
    {"{\"format\": 1, \"scopes\": {\"t.\\ud800x\": 1}}", 0, "t.json:1:29: ", "high surrogate"},
    {"{\"format\": 1, \"scopes\": {\"t.\\q\": 1}}", 0, "t.json:1:29: ", "invalid escape"},
    {"{\"format\": 01, \"scopes\": {}}", 0, "t.json:1:12: ", "leading zeros"},
    {"{\"format\": 1, \"scopes\": {\"t.a\": {\"any\": {\"retained_bytes\": "
     "1111111111111111111111111111111111111111111111111111111111111111111}}}}", 0, "t.json:1:60: ",
     "number longer than 63 characters"},
    {"{\"format\": tru, \"scopes\": {}}", 0, "t.json:1:12: ", "unexpected 't': expected a JSON value"},
    {"{'format': 1}", 0, "t.json:1:2: ", "expected a key in double quotes"},
    {"{\"format\" 1}", 0, "t.json:1:11: ", "expected ':' after the key"},
    {"{\"format\": 1 \"scopes\": {}}", 0, "t.json:1:14: ", "expected ',' or '}'"},
};

static void test_parse_bad_inputs(void **state) {
  (void)state;
  char err[1024];
  for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
    const bad_case *c = &k_bad[i];
    memgate__bl_file f;
    size_t len = c->len ? c->len : strlen(c->text);
    int rc = parse_text(c->text, len, &f, err, sizeof err);
    if (rc != MEMGATE_EBASELINE || strncmp(err, c->where, strlen(c->where)) != 0 || !strstr(err, c->what))
      fail_msg("case %zu: rc %d, got \"%s\"; want prefix \"%s\" and \"%s\"", i, rc, err, c->where, c->what);
    assert_int_equal(f.count, 0);
    assert_null(f.entries);
  }
}

static void test_parse_deep_nesting(void **state) {
  (void)state;
  char text[400], err[512];
  memgate__bl_file f;
  size_t n = 0;
  for (int i = 0; i < 100; i++) text[n++] = '[';
  for (int i = 0; i < 100; i++) text[n++] = ']';
  assert_int_equal(parse_text(text, n, &f, err, sizeof err), MEMGATE_EBASELINE);
  assert_string_equal(err, "t.json:1:65: nested deeper than 64 levels");
}

static const char k_canonical[] =
    "{\n"
    "  \"format\": 1,\n"
    "  \"scopes\": {\n"
    "    \"t.a\": {\n"
    "      \"any\": {\n"
    "        \"iterations\": 1,\n"
    "        \"retained_bytes\": 0\n"
    "      },\n"
    "      \"linux-x86_64\": {\n"
    "        \"iterations\": 10,\n"
    "        \"kind\": \"repeat\",\n"
    "        \"note\": \"caf\xc3\xa9 \\\"quoted\\\" \\\\ back\",\n"
    "        \"peak_bytes\": 1048576,\n"
    "        \"peak_tolerance_bytes\": 262144,\n"
    "        \"peak_tolerance_percent\": 25,\n"
    "        \"retained_bytes\": 4096,\n"
    "        \"tolerance_bytes\": 65536,\n"
    "        \"tolerance_percent\": 10\n"
    "      }\n"
    "    },\n"
    "    \"t.b\": {\n"
    "      \"macos-arm64\": {\n"
    "        \"iterations\": 1,\n"
    "        \"kind\": \"scope\",\n"
    "        \"retained_bytes\": 9007199254740992\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

static void test_parse_and_format_stable(void **state) {
  (void)state;
  /* The same content, unsorted and in another layout, with a BOM. */
  const char *messy =
      "\xEF\xBB\xBF{\"scopes\":{\"t.b\":{\"macos-arm64\":{\"retained_bytes\":9007199254740992,\"kind\":\"scope\"}},"
      "\"t.a\":{\"linux-x86_64\":{\"tolerance_percent\":10,\"retained_bytes\":4096,\"peak_bytes\":1048576,"
      "\"note\":\"caf\\u00e9 \\\"quoted\\\" \\\\ back\",\"kind\":\"repeat\",\"iterations\":10,"
      "\"tolerance_bytes\":65536,\"peak_tolerance_bytes\":262144,\"peak_tolerance_percent\":25},"
      "\"any\":{\"retained_bytes\":0}}},\r\n\"format\":1}";
  memgate__bl_file f, g;
  char err[512];
  size_t len;
  assert_int_equal(parse_text(messy, strlen(messy), &f, err, sizeof err), 0);
  assert_int_equal(f.count, 3);
  /* Sorted by scope, then platform (byte order). */
  assert_string_equal(f.entries[0].platform, "any");
  assert_string_equal(f.entries[1].platform, "linux-x86_64");
  assert_string_equal(f.entries[2].scope, "t.b");
  /* Unset fields stay unset (defaults apply when comparing). */
  assert_int_equal(f.entries[0].tolerance_bytes, -1);
  assert_int_equal(f.entries[0].peak_bytes, -1);
  assert_int_equal(f.entries[0].kind, -1);
  char *text = memgate__bl_format(&f, &len);
  assert_non_null(text);
  assert_string_equal(text, k_canonical);
  assert_int_equal(len, strlen(k_canonical));
  /* Round trip: the canonical text parses to the same canonical text. */
  assert_int_equal(parse_text(text, len, &g, err, sizeof err), 0);
  char *again = memgate__bl_format(&g, NULL);
  assert_string_equal(again, text);
  free(again);
  free(text);
  memgate__bl_free(&g);
  memgate__bl_free(&f);
  /* An empty file model. */
  memset(&f, 0, sizeof f);
  text = memgate__bl_format(&f, &len);
  assert_string_equal(text, "{\n  \"format\": 1,\n  \"scopes\": {}\n}\n");
  assert_int_equal(parse_text(text, len, &g, err, sizeof err), 0);
  assert_int_equal(g.count, 0);
  memgate__bl_free(&g);
  free(text);
}

static void test_put_merges(void **state) {
  (void)state;
  memgate__bl_file f;
  char err[256];
  memset(&f, 0, sizeof f);
  memgate__bl_entry e = mk_entry("t.a", "linux-x86_64", 100, 200);
  e.note = (char *)"keep me";
  e.tolerance_bytes = 5;
  assert_int_equal(memgate__bl_put(&f, &e), 0);
  memgate__bl_entry o = mk_entry("t.a", "macos-arm64", 1, -1);
  assert_int_equal(memgate__bl_put(&f, &o), 0);
  /* New entries get the default tolerances written out. */
  const memgate__bl_entry *m = memgate__bl_find(&f, "t.a", "macos-arm64");
  assert_non_null(m);
  assert_int_equal(m->tolerance_bytes, MEMGATE__BL_DEFAULT_TOLERANCE_BYTES);
  assert_int_equal(m->tolerance_percent, MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT);
  assert_int_equal(m->peak_tolerance_bytes, MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES);
  assert_int_equal(m->peak_tolerance_percent, MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT);
  /* Re-recording replaces measured values, keeps tolerance and note. */
  memgate__bl_entry r = mk_entry("t.a", "linux-x86_64", 300, -1);
  r.kind = MemgateKindRepeat;
  r.iterations = 7;
  assert_int_equal(memgate__bl_put(&f, &r), 0);
  assert_int_equal(f.count, 2);
  const memgate__bl_entry *l = memgate__bl_find(&f, "t.a", "linux-x86_64");
  assert_int_equal(l->retained_bytes, 300);
  assert_int_equal(l->peak_bytes, -1);
  assert_int_equal(l->iterations, 7);
  assert_int_equal(l->kind, MemgateKindRepeat);
  assert_int_equal(l->tolerance_bytes, 5);
  assert_string_equal(l->note, "keep me");
  assert_null(memgate__bl_find(&f, "t.a", "ios-arm64"));
  (void)err;
  memgate__bl_free(&f);
}

/* Many entries in any order, with repeated keys: sorted, merged in array
 * order, new ones with the default tolerances. */
static void test_put_many_any_order(void **state) {
  (void)state;
  memgate__bl_file f;
  memset(&f, 0, sizeof f);
  memgate__bl_entry first[3] = {mk_entry("t.c", "any", 3, -1), mk_entry("t.a", "any", 1, -1),
                                mk_entry("t.b", "any", 2, -1)};
  assert_int_equal(memgate__bl_put_many(&f, first, 3), 0);
  /* Values beyond the entries' tolerance (64 KiB): a re-record within it
   * would leave the entry as it is (test_update_quiet_within_tolerance). */
  memgate__bl_entry more[4] = {mk_entry("t.d", "any", 4, -1), mk_entry("t.a", "any", 100000, -1),
                               mk_entry("t.d", "any", 400000, -1), mk_entry("t.0", "any", 0, -1)};
  more[0].tolerance_bytes = 7;
  assert_int_equal(memgate__bl_put_many(&f, more, 4), 0);
  assert_int_equal(f.count, 5);
  for (size_t i = 1; i < f.count; i++) assert_true(strcmp(f.entries[i - 1].scope, f.entries[i].scope) < 0);
  assert_int_equal(memgate__bl_find(&f, "t.a", "any")->retained_bytes, 100000);
  const memgate__bl_entry *d = memgate__bl_find(&f, "t.d", "any");
  assert_int_equal(d->retained_bytes, 400000); /* the later of the two */
  assert_int_equal(d->tolerance_bytes, 7);   /* the earlier one's tolerance stays */
  assert_int_equal(memgate__bl_find(&f, "t.0", "any")->tolerance_bytes, MEMGATE__BL_DEFAULT_TOLERANCE_BYTES);
  memgate__bl_free(&f);
}

/* The one record rule of MEMGATE_UPDATE=1 and memgate update. */
static void test_record_merge_rule(void **state) {
  (void)state;
  memgate__bl_entry e = mk_entry("t.a", "any", 0, -1);
  memgate__bl_record_merge(&e, true, MemgateKindScope, 9, -5, true, INT64_MAX);
  assert_int_equal(e.iterations, 1);                    /* a scope has 1 */
  assert_int_equal(e.retained_bytes, 0);                /* clamped */
  assert_int_equal(e.peak_bytes, MEMGATE__BL_MAX_BYTES); /* clamped */
  assert_int_equal(e.tolerance_bytes, -1);
  memgate__bl_record_merge(&e, false, MemgateKindScope, 1, 100, false, 0);
  assert_int_equal(e.retained_bytes, 100); /* same iterations: the largest */
  assert_int_equal(e.peak_bytes, MEMGATE__BL_MAX_BYTES);
  memgate__bl_record_merge(&e, false, MemgateKindRepeat, 10, 7, false, 0);
  assert_int_equal(e.kind, MemgateKindRepeat); /* the other kind replaces */
  assert_int_equal(e.iterations, 10);
  assert_int_equal(e.retained_bytes, 7);
  assert_int_equal(e.peak_bytes, -1);
  memgate__bl_record_merge(&e, false, MemgateKindRepeat, 5, 999, true, 1);
  assert_int_equal(e.iterations, 10); /* fewer iterations: ignored */
  assert_int_equal(e.retained_bytes, 7);
  memgate__bl_record_merge(&e, false, MemgateKindRepeat, 20, 3, true, 1 << 20);
  assert_int_equal(e.iterations, 20); /* more: replaces */
  assert_int_equal(e.retained_bytes, 3);
  assert_int_equal(e.peak_bytes, 1 << 20);
  /* A peak below the peak's accuracy is not recorded: real or absent. */
  memgate__bl_record_merge(&e, true, MemgateKindRepeat, 10, 0, true, MEMGATE__BL_PEAK_FLOOR_BYTES - 1);
  assert_int_equal(e.peak_bytes, -1);
  memgate__bl_record_merge(&e, false, MemgateKindRepeat, 10, 0, true, MEMGATE__BL_PEAK_FLOOR_BYTES);
  assert_int_equal(e.peak_bytes, MEMGATE__BL_PEAK_FLOOR_BYTES);
}

/* Positions carried forward equal positions counted from the top. */
static void test_text_cursor(void **state) {
  (void)state;
  const char *t = "ab\ncd\n\nefg";
  size_t n = strlen(t);
  memgate__text_cursor c;
  memset(&c, 0, sizeof c);
  size_t offs[] = {0, 2, 3, 5, 7, 9, 10, 4, 1, 10, 99};
  for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
    uint32_t l, col;
    memgate__text_seek(&c, t, n, offs[i]);
    memgate__text_pos(t, n, offs[i], &l, &col);
    assert_int_equal(c.line, l);
    assert_int_equal(c.col, col);
  }
  assert_int_equal(c.line, 4);
  assert_int_equal(c.col, 4);
}

static void test_file_names(void **state) {
  (void)state;
  char b[128];
  memgate__bl_file_name("live_room.visit", b, sizeof b);
  assert_string_equal(b, "live_room.json");
  memgate__bl_file_name("live_room.gift.big", b, sizeof b);
  assert_string_equal(b, "live_room.json");
  memgate__bl_file_name("plain", b, sizeof b);
  assert_string_equal(b, "plain.json");
  memgate__bl_file_name(".x", b, sizeof b);
  assert_string_equal(b, "_.json");
  memgate__bl_file_name("../etc/passwd", b, sizeof b);
  assert_string_equal(b, "_.json");
  memgate__bl_file_name("a/b c.d", b, sizeof b);
  assert_string_equal(b, "a_b_c.json");
  memgate__bl_file_name("caf\xc3\xa9.x", b, sizeof b);
  assert_string_equal(b, "caf__.json");
  char longname[300];
  memset(longname, 'a', 250);
  longname[250] = '\0';
  memgate__bl_file_name(longname, b, sizeof b);
  assert_int_equal(strlen(b), 100 + 5);
}

static void test_platform_fallback(void **state) {
  (void)state;
  char k[3][MEMGATE__BL_KEY_CAP];
  assert_int_equal(memgate__bl_fallbacks("ios-simulator-arm64", k), 3);
  assert_string_equal(k[0], "ios-simulator-arm64");
  assert_string_equal(k[1], "macos-arm64");
  assert_string_equal(k[2], "any");
  assert_int_equal(memgate__bl_fallbacks("tvos-simulator-x86_64", k), 3);
  assert_string_equal(k[1], "macos-x86_64");
  assert_int_equal(memgate__bl_fallbacks("maccatalyst-arm64", k), 3);
  assert_string_equal(k[1], "macos-arm64");
  /* Devices and other OSes never borrow another OS's numbers. */
  assert_int_equal(memgate__bl_fallbacks("ios-arm64", k), 2);
  assert_string_equal(k[1], "any");
  assert_int_equal(memgate__bl_fallbacks("linux-x86_64", k), 2);
  assert_int_equal(memgate__bl_fallbacks("macos-arm64", k), 2);
  assert_int_equal(memgate__bl_fallbacks("any", k), 1);

  memgate__bl_file f;
  memset(&f, 0, sizeof f);
  memgate__bl_entry mac = mk_entry("t.a", "macos-arm64", 111, -1);
  memgate__bl_entry any = mk_entry("t.b", "any", 222, -1);
  memgate__bl_entry sim = mk_entry("t.b", "ios-simulator-arm64", 333, -1);
  assert_int_equal(memgate__bl_put(&f, &mac), 0);
  assert_int_equal(memgate__bl_put(&f, &any), 0);
  assert_int_equal(memgate__bl_put(&f, &sim), 0);
  const memgate__bl_entry *e = memgate__bl_lookup(&f, "t.a", "ios-simulator-arm64");
  assert_non_null(e);
  assert_string_equal(e->platform, "macos-arm64");
  assert_null(memgate__bl_lookup(&f, "t.a", "ios-simulator-x86_64"));
  assert_null(memgate__bl_lookup(&f, "t.a", "ios-arm64"));
  assert_null(memgate__bl_lookup(&f, "t.a", "linux-x86_64"));
  e = memgate__bl_lookup(&f, "t.b", "linux-x86_64");
  assert_string_equal(e->platform, "any");
  e = memgate__bl_lookup(&f, "t.b", "ios-simulator-arm64"); /* exact wins */
  assert_int_equal(e->retained_bytes, 333);
  memgate__bl_free(&f);
}

/* ------------------------------------------------------------------ compare */

static memgate__bl_cmp cmp_of(int64_t exp_ret, int64_t tol, int32_t pct, int64_t measured) {
  memgate__bl_entry e = mk_entry("t.a", "any", exp_ret, -1);
  memgate__bl_cmp c;
  e.tolerance_bytes = tol;
  e.tolerance_percent = pct;
  memgate__bl_compare(&e, MemgateKindScope, 1, measured, false, 0, &c);
  return c;
}

static void test_tolerance_rules(void **state) {
  (void)state;
  memgate__bl_cmp c;
  /* Absolute band: allowed = expected + tolerance_bytes, inclusive. */
  c = cmp_of(0, 65536, 10, 65536);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  assert_int_equal(c.allowed, 65536);
  c = cmp_of(0, 65536, 10, 65537);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  assert_true(c.retained_over);
  /* Percent band when larger: 10 % of 1 MiB = 104857.6 -> 104858. */
  c = cmp_of(1048576, 65536, 10, 1048576 + 104858);
  assert_int_equal(c.band, 104858);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  c = cmp_of(1048576, 65536, 10, 1048576 + 104859);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  /* Zero tolerance: exact. */
  c = cmp_of(4096, 0, 0, 4097);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  c = cmp_of(4096, 0, 0, 4096);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  /* Defaults when the entry leaves them unset. */
  c = cmp_of(0, -1, -1, 65536);
  assert_int_equal(c.tolerance_bytes, MEMGATE__BL_DEFAULT_TOLERANCE_BYTES);
  assert_int_equal(c.tolerance_percent, MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  /* Improvement: below expected - band, only when that is above zero. */
  c = cmp_of(1048576, 65536, 10, 1048576 - 104858);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  c = cmp_of(1048576, 65536, 10, 1048576 - 104859);
  assert_int_equal(c.outcome, MEMGATE__BL_IMPROVEMENT);
  c = cmp_of(0, 65536, 10, -10 * 1048576);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  /* Huge values do not overflow. */
  c = cmp_of(MEMGATE__BL_MAX_BYTES, MEMGATE__BL_MAX_BYTES, 1000, INT64_MAX);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  c = cmp_of(MEMGATE__BL_MAX_BYTES, 0, 0, INT64_MIN);
  assert_int_equal(c.outcome, MEMGATE__BL_IMPROVEMENT);
}

static void test_peak_and_repeats(void **state) {
  (void)state;
  memgate__bl_entry e = mk_entry("t.a", "any", 0, 1000000);
  memgate__bl_cmp c;
  /* Peak band: default 256 KiB or 25 %. */
  memgate__bl_compare(&e, MemgateKindScope, 1, 0, true, 1000000 + 262144, &c);
  assert_true(c.peak_compared);
  assert_int_equal(c.allowed_peak, 1000000 + 262144);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  memgate__bl_compare(&e, MemgateKindScope, 1, 0, true, 1000000 + 262145, &c);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  assert_true(c.peak_over);
  assert_false(c.retained_over);
  /* Own peak tolerance. */
  e.peak_tolerance_bytes = 0;
  e.peak_tolerance_percent = 0;
  memgate__bl_compare(&e, MemgateKindScope, 1, 0, true, 1000001, &c);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  /* No measured peak: not compared. */
  memgate__bl_compare(&e, MemgateKindScope, 1, 0, false, 99999999, &c);
  assert_false(c.peak_compared);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  /* A peak far below the baseline is an improvement. */
  memgate__bl_entry p = mk_entry("t.a", "any", 0, 4000000);
  memgate__bl_compare(&p, MemgateKindScope, 1, 0, true, 1000000, &c);
  assert_int_equal(c.outcome, MEMGATE__BL_IMPROVEMENT);
  assert_true(c.peak_under);

  /* Repeats: growth is scaled per iteration when the counts differ. */
  memgate__bl_entry r = mk_entry("t.r", "any", 655360, 100);
  r.kind = MemgateKindRepeat;
  r.iterations = 10;
  r.tolerance_bytes = 0;
  r.tolerance_percent = 0;
  memgate__bl_compare(&r, MemgateKindRepeat, 20, 1310720, true, 999999999, &c);
  assert_true(c.scaled);
  assert_int_equal(c.expected, 1310720);
  assert_false(c.peak_compared); /* a peak from another iteration count is not comparable */
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  memgate__bl_compare(&r, MemgateKindRepeat, 3, 196609, false, 0, &c);
  assert_int_equal(c.expected, 196608);
  assert_int_equal(c.outcome, MEMGATE__BL_REGRESSION);
  memgate__bl_compare(&r, MemgateKindRepeat, 10, 655360, true, 100, &c);
  assert_false(c.scaled);
  assert_true(c.peak_compared);
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  /* Scaling rounds to the nearest byte. */
  memgate__bl_entry q = mk_entry("t.q", "any", 10, -1);
  q.kind = MemgateKindRepeat;
  q.iterations = 3;
  memgate__bl_compare(&q, MemgateKindRepeat, 2, 0, false, 0, &c);
  assert_int_equal(c.expected, 7);
  /* Scaling to the clamp limit with a large percent band does not overflow
   * (found by the fuzzer: 2^60 / 100 * 950 passes 2^63). */
  memgate__bl_entry big = mk_entry("t.b", "any", 40485222222215, -1);
  big.kind = MemgateKindRepeat;
  big.iterations = 1;
  big.tolerance_percent = 950;
  memgate__bl_compare(&big, MemgateKindRepeat, 1000000, 0, false, 0, &c);
  assert_true(c.scaled);
  assert_true(c.expected == (INT64_C(1) << 60));
  assert_true(c.band == (INT64_C(1) << 60));
  assert_int_equal(c.outcome, MEMGATE__BL_PASS);
  /* An entry recorded for the other kind. */
  memgate__bl_compare(&r, MemgateKindScope, 1, 0, false, 0, &c);
  assert_int_equal(c.outcome, MEMGATE__BL_KIND_MISMATCH);
}

static void test_describe_messages(void **state) {
  (void)state;
  char buf[768];
  memgate__bl_entry e = mk_entry("t.a", "macos-arm64", 0, -1);
  memgate__bl_cmp c;
  memgate__bl_compare(&e, MemgateKindScope, 1, 524288, false, 0, &c);
  memgate__bl_describe(buf, sizeof buf, &c, &e, "ios-simulator-arm64", "b/t.json", 524288, 0);
  assert_string_equal(buf, "retained +512.0 KiB is above the baseline: expected 0 B, allowed up to 64.0 KiB "
                           "(524288 > 65536 bytes) [baseline macos-arm64, used for ios-simulator-arm64, in b/t.json]");
  memgate__bl_compare(&e, MemgateKindScope, 1, 100, false, 0, &c);
  memgate__bl_describe(buf, sizeof buf, &c, &e, "macos-arm64", "b/t.json", 100, 0);
  assert_string_equal(buf, "within the baseline: retained +100 B, expected 0 B, allowed up to 64.0 KiB "
                           "[baseline macos-arm64 in b/t.json]");
}

/* ------------------------------------------------------------------ sets and judging */

static const char k_good[] =
    "{\"format\": 1, \"scopes\": {\"good.a\": {\"linux-x86_64\": {\"retained_bytes\": 1048576, "
    "\"tolerance_bytes\": 1024, \"tolerance_percent\": 0}, \"macos-arm64\": {\"retained_bytes\": 0}}, "
    "\"good.r\": {\"any\": {\"retained_bytes\": 0, \"kind\": \"repeat\", \"iterations\": 10}}}}\n";

static void test_set_and_judge(void **state) {
  (void)state;
  char path[512], err[512];
  memgate__bl_set s;
  memgate__bl_judgement j;
  memgate__bl_policy pol = {false, false, false, false};
  bool missing = true;
  make_tmpdir();
  snprintf(path, sizeof path, "%s/good.json", g_tmp);
  write_file(path, k_good, strlen(k_good));
  snprintf(path, sizeof path, "%s/bad.json", g_tmp);
  write_file(path, "{\"format\": 1,\n  \"scopes\": {\"bad.x\": {\"any\": {\"retained_bytes\": \"0\"}}}}", 70);
  snprintf(path, sizeof path, "%s/README.md", g_tmp);
  write_file(path, "not json", 8);
  snprintf(path, sizeof path, "%s/.hidden.json", g_tmp);
  write_file(path, "garbage", 7);
  assert_int_equal(memgate__bl_set_load(&s, g_tmp, &missing, err, sizeof err), 0);
  assert_false(missing);
  assert_int_equal(s.count, 2); /* bad.json, good.json */
  assert_string_equal(s.files[0].name, "bad.json");
  assert_non_null(s.files[0].error);
  assert_non_null(strstr(s.files[0].error, "/bad.json:2:50: \"retained_bytes\" must be a whole number"));
  assert_null(s.files[1].error);

  /* A corrupt file: its scopes err with file:line:col; a leak stays a leak. */
  memgate__bl_judge(&s, &pol, "bad.x", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 0, false, 0, &j);
  assert_int_equal(j.status, MEMGATE__BL_FILE_ERROR);
  assert_int_equal(j.verdict, MemgateVerdictError);
  assert_int_equal(j.error, MEMGATE_EBASELINE);
  assert_non_null(strstr(j.desc, "bad.json:2:50:"));
  memgate__bl_judge(&s, &pol, "bad.y", MemgateKindRepeat, "linux-x86_64", MemgateVerdictLeak, 10, 0, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictLeak);
  /* Other files still work. */
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 1049600, false, 0, &j);
  assert_int_equal(j.status, MEMGATE__BL_COMPARED);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_int_equal(j.cmp.allowed, 1049600);
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 1049601, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictRegression);
  assert_non_null(strstr(j.desc, "(1049601 > 1049600 bytes)"));
  /* Improvement: passes, or fails when asked. */
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 0, false, 0, &j);
  assert_int_equal(j.cmp.outcome, MEMGATE__BL_IMPROVEMENT);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_non_null(strstr(j.desc, "improved"));
  pol.fail_on_improvement = true;
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 0, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictRegression);
  assert_non_null(strstr(j.desc, "MEMGATE_FAIL_ON_IMPROVEMENT=1"));
  pol.fail_on_improvement = false;
  /* Fallback: the simulator uses the Mac's entry; a device has none. */
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "ios-simulator-arm64", MemgateVerdictPass, 1, 4096, false, 0, &j);
  assert_int_equal(j.status, MEMGATE__BL_COMPARED);
  assert_string_equal(j.entry->platform, "macos-arm64");
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "ios-arm64", MemgateVerdictPass, 1, 4096, false, 0, &j);
  assert_int_equal(j.status, MEMGATE__BL_NO_ENTRY);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_non_null(strstr(j.desc, "no baseline for ios-arm64 or any in "));
  /* Strict: a missing baseline is an error (a leak stays a leak). */
  pol.strict = true;
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "ios-arm64", MemgateVerdictPass, 1, 0, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictError);
  assert_int_equal(j.error, MEMGATE_EBASELINE);
  assert_non_null(strstr(j.desc, "MEMGATE_STRICT=1"));
  memgate__bl_judge(&s, &pol, "nofile.a", MemgateKindScope, "linux-x86_64", MemgateVerdictLeak, 1, 0, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictLeak);
  pol.strict = false;
  /* The "any" entry, and the kind rule. */
  memgate__bl_judge(&s, &pol, "good.r", MemgateKindRepeat, "linux-x86_64", MemgateVerdictPass, 10, 0, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_string_equal(j.entry->platform, "any");
  memgate__bl_judge(&s, &pol, "good.r", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 0, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictError);
  assert_non_null(strstr(j.desc, "recorded for a repeat"));
  /* Update mode: non-leaks are marked for recording, leaks are not. */
  pol.update = true;
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "linux-x86_64", MemgateVerdictPass, 1, 99999999, false, 0, &j);
  assert_int_equal(j.status, MEMGATE__BL_RECORD);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindRepeat, "linux-x86_64", MemgateVerdictLeak, 10, 99999999, false, 0, &j);
  assert_int_equal(j.verdict, MemgateVerdictLeak);
  assert_non_null(strstr(j.desc, "not recorded"));
  /* ... nor is a failed measurement: it stays an error, with no baseline error code. */
  memgate__bl_judge(&s, &pol, "good.a", MemgateKindScope, "linux-x86_64", MemgateVerdictError, 1, 0, false, 0, &j);
  assert_int_not_equal(j.status, MEMGATE__BL_RECORD);
  assert_int_equal(j.verdict, MemgateVerdictError);
  assert_int_equal(j.error, 0);
  assert_non_null(strstr(j.desc, "not recorded"));
  memgate__bl_set_free(&s);

  /* A missing directory is an empty set. */
  snprintf(path, sizeof path, "%s/nope", g_tmp);
  assert_int_equal(memgate__bl_set_load(&s, path, &missing, err, sizeof err), 0);
  assert_true(missing);
  assert_int_equal(s.count, 0);
  memgate__bl_set_free(&s);
  rm_tree(g_tmp);
}

/* ------------------------------------------------------------------ files */

/* A FIFO never blocks and a dangling link is an error naming its target. */
static void test_load_refuses_fifo_and_dangling_link(void **state) {
  (void)state;
  char path[600], err[512];
  memgate__bl_file f;
  bool missing = true;
  make_tmpdir();
  snprintf(path, sizeof path, "%s/t.json", g_tmp);
  assert_int_equal(mkfifo(path, 0644), 0);
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), MEMGATE_EBASELINE);
  assert_non_null(strstr(err, "a FIFO"));
  assert_non_null(strstr(err, path));
  memgate__bl_entry e = mk_entry("t.x", "any", 1, -1);
  bool changed = true;
  assert_int_equal(memgate__bl_update(g_tmp, "t.json", &e, 1, &changed, err, sizeof err), MEMGATE_EBASELINE);
  assert_non_null(strstr(err, "a FIFO"));
  assert_false(changed);
  unlink(path);
  assert_int_equal(symlink("gone.json", path), 0);
  missing = true;
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), MEMGATE_EBASELINE);
  assert_false(missing);
  assert_non_null(strstr(err, "\"gone.json\", which does not exist"));
  memgate__bl_set s;
  assert_int_equal(memgate__bl_set_load(&s, g_tmp, &missing, err, sizeof err), 0);
  assert_int_equal(s.count, 1);
  assert_non_null(s.files[0].error); /* the scope's file is an error, never "no baseline" */
  memgate__bl_set_free(&s);
  rm_tree(g_tmp);
}

/* An update never replaces a symbolic link, and removes stale temp files. */
static void test_update_refuses_link_and_cleans_temps(void **state) {
  (void)state;
  char path[600], target[600], stale[700], legacy[700], other[700], err[700];
  bool changed = true;
  make_tmpdir();
  snprintf(target, sizeof target, "%s/real.json.txt", g_tmp);
  snprintf(path, sizeof path, "%s/t.json", g_tmp);
  write_file(target, "{\"format\": 1, \"scopes\": {}}\n", 28);
  assert_int_equal(symlink("real.json.txt", path), 0);
  memgate__bl_entry e = mk_entry("t.x", "any", 1, -1);
  assert_int_equal(memgate__bl_update(g_tmp, "t.json", &e, 1, &changed, err, sizeof err), MEMGATE_EBASELINE);
  assert_non_null(strstr(err, "a symbolic link"));
  assert_false(changed);
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  assert_true(S_ISLNK(st.st_mode)); /* still the link */
  unlink(path);
  snprintf(stale, sizeof stale, "%s/.t.json.memgate-tmp.Ab3dE9", g_tmp);
  snprintf(legacy, sizeof legacy, "%s/.t.json.x1Y2z3", g_tmp);
  snprintf(other, sizeof other, "%s/.notes.txt.memgate-tmp.Ab3dE9", g_tmp);
  write_file(stale, "{", 1);
  write_file(legacy, "{", 1);
  write_file(other, "x", 1);
  assert_int_equal(memgate__bl_update(g_tmp, "t.json", &e, 1, &changed, err, sizeof err), 0);
  assert_true(changed);
  assert_int_equal(access(stale, F_OK), -1);
  assert_int_equal(access(legacy, F_OK), -1);
  assert_int_equal(access(other, F_OK), 0); /* not a baseline's */
  assert_true(memgate__is_temp_name(".t.json.memgate-tmp.Ab3dE9", false));
  assert_false(memgate__is_temp_name(".t.json.x1Y2z3", false));
  assert_false(memgate__is_temp_name("t.json", true));
  assert_false(memgate__is_temp_name(".t.json.memgate-tmp.Ab3", true));
  rm_tree(g_tmp);
}

/* An update that would make a file too large to read back is refused. */
static void test_update_refuses_oversized_file(void **state) {
  (void)state;
  char err[700], path[600];
  bool changed = true;
  size_t n = 60000; /* about 300 bytes each once formatted: over 16 MiB */
  memgate__bl_entry *es = calloc(n, sizeof *es);
  char (*names)[64] = calloc(n, sizeof *names);
  assert_non_null(es);
  assert_non_null(names);
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "t.scope_with_a_long_name_%06zu", i);
    es[i] = mk_entry(names[i], "linux-x86_64", (int64_t)i, (int64_t)i);
  }
  make_tmpdir();
  assert_int_equal(memgate__bl_update(g_tmp, "t.json", es, n, &changed, err, sizeof err), MEMGATE_EBASELINE);
  assert_non_null(strstr(err, "more than the 16777216 a baseline file may have"));
  assert_false(changed);
  snprintf(path, sizeof path, "%s/t.json", g_tmp);
  assert_int_equal(access(path, F_OK), -1); /* nothing written */
  free(es);
  free(names);
  rm_tree(g_tmp);
}

/* The atomic writer leaves the old file when it cannot write. */
static void test_write_atomic_keeps_old_file(void **state) {
  (void)state;
  char path[600], err[700];
  make_tmpdir();
  snprintf(path, sizeof path, "%s/out.txt", g_tmp);
  assert_int_equal(memgate__write_atomic_path(path, "one\n", 4, 0640, err, sizeof err), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  /* A directory where the file should be: the rename fails, nothing is left. */
  char dir[700];
  snprintf(dir, sizeof dir, "%s/sub", g_tmp);
  assert_int_equal(mkdir(dir, 0755), 0);
  char inner[720];
  snprintf(inner, sizeof inner, "%s/x", dir);
  write_file(inner, "x", 1);
  assert_int_equal(memgate__write_atomic_path(dir, "two\n", 4, 0644, err, sizeof err), -1);
  assert_non_null(strstr(err, "the file is unchanged"));
  char *now = read_file(path, NULL);
  assert_string_equal(now, "one\n");
  free(now);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v -e '^out.txt$' -e '^sub$')\"", g_tmp);
  assert_int_equal(system(cmd), 0);
  rm_tree(g_tmp);
}

/* ------------------------------------------------------------------ updates */

static void test_update_creates_and_merges(void **state) {
  (void)state;
  char dir[512], path[600], err[512];
  bool changed = false;
  make_tmpdir();
  snprintf(dir, sizeof dir, "%s/a/b", g_tmp); /* created with parents */
  memgate__bl_entry e = mk_entry("t.x", "linux-x86_64", 100, 200);
  assert_int_equal(memgate__bl_update(dir, "t.json", &e, 1, &changed, err, sizeof err), 0);
  assert_true(changed);
  snprintf(path, sizeof path, "%s/t.json", dir);
  memgate__bl_file f;
  bool missing;
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), 0);
  assert_int_equal(f.count, 1);
  memgate__bl_free(&f);
  /* Merge: another scope and another platform; a note set by hand stays. */
  size_t len;
  char *text = read_file(path, &len);
  char *hand = malloc(len + 64);
  char *at = strstr(text, "\"peak_bytes\"");
  assert_non_null(at);
  snprintf(hand, len + 64, "%.*s\"note\": \"by hand\",\n        %s", (int)(at - text), text, at);
  write_file(path, hand, strlen(hand));
  free(hand);
  free(text);
  memgate__bl_entry more[2] = {mk_entry("t.y", "linux-x86_64", 5, -1), mk_entry("t.x", "macos-arm64", 6, -1)};
  assert_int_equal(memgate__bl_update(dir, "t.json", more, 2, &changed, err, sizeof err), 0);
  /* 100 -> 111 is inside the entry's tolerance (64 KiB): the entry stays
   * 100 and the file is not rewritten (quiet re-records: issue 16). */
  memgate__bl_entry again = mk_entry("t.x", "linux-x86_64", 111, 200);
  assert_int_equal(memgate__bl_update(dir, "t.json", &again, 1, &changed, err, sizeof err), 0);
  assert_false(changed);
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), 0);
  assert_int_equal(f.count, 3);
  const memgate__bl_entry *x = memgate__bl_find(&f, "t.x", "linux-x86_64");
  assert_int_equal(x->retained_bytes, 100);
  memgate__bl_free(&f);
  /* Beyond the tolerance it is recorded; so is a peak that came or went. */
  again.retained_bytes = 100 + 65537;
  assert_int_equal(memgate__bl_update(dir, "t.json", &again, 1, &changed, err, sizeof err), 0);
  assert_true(changed);
  again.peak_bytes = -1;
  assert_int_equal(memgate__bl_update(dir, "t.json", &again, 1, &changed, err, sizeof err), 0);
  assert_true(changed);
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), 0);
  x = memgate__bl_find(&f, "t.x", "linux-x86_64");
  assert_int_equal(x->retained_bytes, 100 + 65537);
  assert_int_equal(x->peak_bytes, -1);
  assert_string_equal(x->note, "by hand");
  assert_non_null(memgate__bl_find(&f, "t.x", "macos-arm64"));
  assert_non_null(memgate__bl_find(&f, "t.y", "linux-x86_64"));
  memgate__bl_free(&f);
  /* The same values again: the file is not rewritten. */
  assert_int_equal(memgate__bl_update(dir, "t.json", &again, 1, &changed, err, sizeof err), 0);
  assert_false(changed);
  /* A scope that belongs elsewhere is refused. */
  memgate__bl_entry wrong = mk_entry("other.x", "linux-x86_64", 1, -1);
  assert_int_equal(memgate__bl_update(dir, "t.json", &wrong, 1, &changed, err, sizeof err), MEMGATE_EINVAL);
  /* No temporary files are left behind. */
  char cmd[700];
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '^t.json$')\"", dir);
  assert_int_equal(system(cmd), 0);
  rm_tree(g_tmp);
}

static void test_update_leaves_corrupt_file_untouched(void **state) {
  (void)state;
  static const char *const corrupt[] = {
      "{\"format\": 1, \"scopes\": {\"t.x\": {\"any\": {\"retained_bytes\": 1}}", /* truncated */
      "",                                                                     /* empty */
      "\x89PNG\r\n\x1a\n\x00\x00",                                             /* binary */
      "{\"format\": 9, \"scopes\": {}}",                                      /* newer format */
      "{\"format\": 1, \"scopes\": {\"t.x\": {\"any\": {\"retained_bytes\": -5}}}}",
      "{\"format\": 1, \"scopes\": {}, \"scopes\": {}}",
  };
  static const size_t lens[] = {0, 0, 10, 0, 0, 0};
  static const char *const where[] = {":1:63: ", ":1:1: ", ":1:1: ", ":1:12: ", ":1:60: ", ":1:29: "};
  char dir[512], path[600], err[512];
  make_tmpdir();
  snprintf(dir, sizeof dir, "%s", g_tmp);
  snprintf(path, sizeof path, "%s/t.json", dir);
  for (size_t i = 0; i < sizeof corrupt / sizeof corrupt[0]; i++) {
    size_t len = lens[i] ? lens[i] : strlen(corrupt[i]);
    struct stat before, after;
    write_file(path, corrupt[i], len);
    assert_int_equal(stat(path, &before), 0);
    memgate__bl_entry e = mk_entry("t.x", "linux-x86_64", 1, -1);
    bool changed = true;
    err[0] = '\0';
    assert_int_equal(memgate__bl_update(dir, "t.json", &e, 1, &changed, err, sizeof err), MEMGATE_EBASELINE);
    assert_false(changed);
    char want[700];
    snprintf(want, sizeof want, "%s%s", path, where[i]);
    if (strncmp(err, want, strlen(want)) != 0) fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, err, want);
    size_t got_len;
    char *got = read_file(path, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, corrupt[i], len);
    free(got);
    assert_int_equal(stat(path, &after), 0);
    assert_true(before.st_ino == after.st_ino);
  }
  rm_tree(g_tmp);
}

/* 8 processes update one file at the same moment; every entry survives. */
static void test_concurrent_updates(void **state) {
  (void)state;
  enum { NPROC = 8, ROUNDS = 5 };
  char err[512], path[600];
  make_tmpdir();
  snprintf(path, sizeof path, "%s/conc.json", g_tmp);
  for (int round = 0; round < ROUNDS; round++) {
    int go[2];
    pid_t pids[NPROC];
    assert_int_equal(pipe(go), 0);
    unlink(path);
    for (int i = 0; i < NPROC; i++) {
      pids[i] = fork();
      assert_true(pids[i] >= 0);
      if (pids[i] == 0) {
        char c, name[64];
        close(go[1]);
        if (read(go[0], &c, 1) < 0) _exit(3); /* wait for the start signal (EOF) */
        snprintf(name, sizeof name, "conc.s%d", i);
        memgate__bl_entry e = mk_entry(name, "linux-x86_64", 1000 + i, -1);
        bool changed;
        _exit(memgate__bl_update(g_tmp, "conc.json", &e, 1, &changed, err, sizeof err) == 0 ? 0 : 1);
      }
    }
    close(go[0]);
    close(go[1]); /* all children start now */
    for (int i = 0; i < NPROC; i++) {
      int st;
      assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
      assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    memgate__bl_file f;
    bool missing;
    assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), 0);
    assert_int_equal(f.count, NPROC);
    for (int i = 0; i < NPROC; i++) {
      char name[64];
      snprintf(name, sizeof name, "conc.s%d", i);
      const memgate__bl_entry *e = memgate__bl_find(&f, name, "linux-x86_64");
      assert_non_null(e);
      assert_int_equal(e->retained_bytes, 1000 + i);
    }
    memgate__bl_free(&f);
  }
  rm_tree(g_tmp);
}

/* ------------------------------------------------------------------ through the core */

/* A sampler that replays fixed footprints. */
static uint64_t g_seq[64];
static size_t g_nseq, g_pos;

static int seq_read(void *ctx, memgate_footprint *out) {
  (void)ctx;
  size_t i = g_pos < g_nseq ? g_pos : g_nseq - 1;
  g_pos++;
  out->footprint_bytes = g_seq[i];
  return 0;
}

static void quiet(const memgate_result *r, void *ctx) {
  (void)r;
  (void)ctx;
}

static void nop_body(void *ctx) { (void)ctx; }

typedef struct child_report {
  int verdict, error, has_baseline;
  int measured, baseline_judged, baseline; /* the verdict's two parts */
  long long expected, allowed, peak;
  char platform[64];
  char msg[1100];
} child_report;

typedef enum { RUN_SCOPE, RUN_REPEAT_LEAK, RUN_MANY_SCOPES } scenario;

/* 200 scopes (more than record mode reserves), each ended three times:
 * retained i, then 3 * i, then 2 * i. */
static void run_many_scopes(memgate_result *r) {
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 200; i++) {
      char name[32];
      snprintf(name, sizeof name, "t.m%03d", i);
      g_pos = 0;
      g_seq[0] = 1000000;
      g_seq[1] = (uint64_t)(1000000 + (round == 0 ? 1 : round == 1 ? 3 : 2) * i);
      g_nseq = 2;
      memgate_begin(name, "t.c", 40);
      memgate_end(name, "t.c", 41, r);
    }
  }
}

/* Runs one result in a fresh process (memgate reads its settings once per
 * process) with the given environment; reports it through a pipe. */
static child_report run_in_child(scenario what, int64_t retained, const char *const *env) {
  child_report rep;
  int p[2];
  memset(&rep, 0, sizeof rep);
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    memgate_sampler s;
    memgate_result r;
    close(p[0]);
    for (const char *const *e = env; e && *e; e += 2) {
      if (e[1]) setenv(e[0], e[1], 1);
      else unsetenv(e[0]);
    }
    memset(&s, 0, sizeof s);
    s.read = seq_read;
    memgate_set_sampler(&s);
    memgate_set_failure_handler(quiet, NULL);
    if (what == RUN_SCOPE) {
      g_seq[0] = 1000000;
      g_seq[1] = (uint64_t)(1000000 + retained);
      g_nseq = 2;
      memgate_begin("t.scope", "t.c", 10);
      memgate_end("t.scope", "t.c", 20, &r);
    } else if (what == RUN_MANY_SCOPES) {
      run_many_scopes(&r);
    } else {
      g_nseq = 0;
      for (int i = 0; i < 12; i++) g_seq[g_nseq++] = 1000000 + (uint64_t)i * 65536;
      memgate_repeat_opts("t.repeat", 10, nop_body, NULL, NULL, "t.c", 30, &r);
    }
    rep.verdict = (int)r.verdict;
    rep.error = r.error;
    rep.measured = (int)r.measured_verdict;
    rep.baseline_judged = r.baseline_judged;
    rep.baseline = (int)r.baseline_verdict;
    rep.has_baseline = r.has_baseline;
    rep.expected = r.baseline_retained_bytes;
    rep.allowed = r.allowed_bytes;
    rep.peak = r.baseline_peak_bytes;
    snprintf(rep.platform, sizeof rep.platform, "%s", r.baseline_platform ? r.baseline_platform : "");
    snprintf(rep.msg, sizeof rep.msg, "%s", r.message ? r.message : "");
    ssize_t w = write(p[1], &rep, sizeof rep);
    exit(w == (ssize_t)sizeof rep ? 0 : 1); /* exit(): record mode writes at exit */
  }
  close(p[1]);
  ssize_t got = read(p[0], &rep, sizeof rep);
  close(p[0]);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(got, sizeof rep);
  return rep;
}

static void test_in_process_hooks(void **state) {
  (void)state;
  char path[600], dir[512];
  make_tmpdir();
  snprintf(dir, sizeof dir, "%s/b", g_tmp);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(path, sizeof path, "%s/t.json", dir);
  const char *base =
      "{\"format\": 1, \"scopes\": {\"t.scope\": {\"linux-x86_64\": {\"retained_bytes\": 8192, "
      "\"tolerance_bytes\": 4096, \"tolerance_percent\": 0, \"peak_bytes\": 77}, \"macos-arm64\": "
      "{\"retained_bytes\": 0, \"tolerance_bytes\": 0}}, \"t.repeat\": {\"any\": {\"retained_bytes\": 0}}}}";
  write_file(path, base, strlen(base));
  const char *env_pass[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "linux-x86_64", "MEMGATE_RESULTS", NULL,
                            "MEMGATE_STRICT", NULL, "MEMGATE_UPDATE", NULL, NULL};
  child_report r = run_in_child(RUN_SCOPE, 12288, env_pass);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_true(r.has_baseline);
  assert_int_equal(r.expected, 8192);
  assert_int_equal(r.allowed, 12288);
  assert_int_equal(r.peak, 77);
  assert_string_equal(r.platform, "linux-x86_64");
  assert_non_null(strstr(r.msg, "retained +12.0 KiB (footprint 1000000 -> 1012288 bytes)"));
  assert_non_null(strstr(r.msg, "within the baseline"));

  r = run_in_child(RUN_SCOPE, 12289, env_pass);
  assert_int_equal(r.verdict, MemgateVerdictRegression);
  assert_non_null(strstr(r.msg, "retained +12.0 KiB is above the baseline: expected 8.0 KiB, allowed up to 12.0 KiB (12289 > 12288 bytes)"));
  assert_non_null(strstr(r.msg, "; measured: retained +12.0 KiB"));
  assert_int_equal(r.measured, MemgateVerdictPass); /* kept apart from the baseline's */
  assert_true(r.baseline_judged);
  assert_int_equal(r.baseline, MemgateVerdictRegression);

  /* The simulator key falls back to the Mac's entry. */
  const char *env_sim[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "ios-simulator-arm64", NULL};
  r = run_in_child(RUN_SCOPE, 1, env_sim);
  assert_int_equal(r.verdict, MemgateVerdictRegression);
  assert_string_equal(r.platform, "macos-arm64");
  assert_non_null(strstr(r.msg, "used for ios-simulator-arm64"));

  /* No entry: passes and says nothing of it, unless asked (MEMGATE_VERBOSE=1);
   * strict: error. */
  const char *env_none[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "ios-arm64", "MEMGATE_STRICT", NULL, NULL};
  r = run_in_child(RUN_SCOPE, 1, env_none);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_false(r.has_baseline);
  assert_false(r.baseline_judged);
  assert_null(strstr(r.msg, "baseline"));
  const char *env_verbose[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "ios-arm64", "MEMGATE_VERBOSE", "1", NULL};
  r = run_in_child(RUN_SCOPE, 1, env_verbose);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_false(r.has_baseline);
  assert_non_null(strstr(r.msg, "no baseline for ios-arm64 or any in "));
  const char *env_strict[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "ios-arm64", "MEMGATE_STRICT", "1", NULL};
  r = run_in_child(RUN_SCOPE, 1, env_strict);
  assert_int_equal(r.verdict, MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EBASELINE);
  assert_int_equal(r.measured, MemgateVerdictPass);
  assert_int_equal(r.baseline, MemgateVerdictError);

  /* A leak stays a leak, also above its baseline; the baseline's own
   * verdict is recorded beside it. */
  r = run_in_child(RUN_REPEAT_LEAK, 0, env_pass);
  assert_int_equal(r.verdict, MemgateVerdictLeak);
  assert_int_equal(r.measured, MemgateVerdictLeak);
  assert_true(r.baseline_judged);
  assert_int_equal(r.baseline, MemgateVerdictRegression);
  assert_true(r.has_baseline);
  assert_non_null(strstr(r.msg, "memory keeps growing"));
  assert_non_null(strstr(r.msg, "above the baseline"));

  /* Bad settings and a missing explicit directory: error, not a silent pass. */
  const char *env_badflag[] = {"MEMGATE_BASELINES", dir, "MEMGATE_STRICT", "yes", NULL};
  r = run_in_child(RUN_SCOPE, 0, env_badflag);
  assert_int_equal(r.verdict, MemgateVerdictError);
  assert_non_null(strstr(r.msg, "MEMGATE_STRICT=\"yes\": expected 0 or 1"));
  char nodir[600];
  snprintf(nodir, sizeof nodir, "%s/missing", g_tmp);
  const char *env_nodir[] = {"MEMGATE_BASELINES", nodir, "MEMGATE_STRICT", NULL, NULL};
  r = run_in_child(RUN_SCOPE, 0, env_nodir);
  assert_int_equal(r.verdict, MemgateVerdictError);
  assert_non_null(strstr(r.msg, "no such directory"));

  /* A corrupt file: error with file:line:col, the file untouched. */
  const char *corrupt = "{\"format\": 1,\n\"scopes\": {\"t.scope\": {\"linux-x86_64\": {\"retained_bytes\": 1,}}}}";
  write_file(path, corrupt, strlen(corrupt));
  r = run_in_child(RUN_SCOPE, 0, env_pass);
  assert_int_equal(r.verdict, MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EBASELINE);
  char want[700];
  snprintf(want, sizeof want, "%s:2:61: unexpected '}': expected a key in double quotes", path);
  assert_non_null(strstr(r.msg, want));
  r = run_in_child(RUN_REPEAT_LEAK, 0, env_pass); /* leak stays leak */
  assert_int_equal(r.verdict, MemgateVerdictLeak);
  /* Record mode cannot merge into it either: the file stays as it was. */
  const char *env_upd[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "linux-x86_64", "MEMGATE_UPDATE", "1", NULL};
  r = run_in_child(RUN_SCOPE, 5, env_upd);
  assert_int_equal(r.verdict, MemgateVerdictError);
  char *now = read_file(path, NULL);
  assert_string_equal(now, corrupt);
  free(now);

  /* Record mode: results pass and are written at exit, merged. */
  write_file(path, base, strlen(base));
  r = run_in_child(RUN_SCOPE, 40000, env_upd);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_false(r.baseline_judged); /* recorded, not judged */
  assert_non_null(strstr(r.msg, "recorded as the baseline for linux-x86_64"));
  r = run_in_child(RUN_REPEAT_LEAK, 0, env_upd); /* a leak is not recorded */
  assert_int_equal(r.verdict, MemgateVerdictLeak);
  memgate__bl_file f;
  bool missing;
  char err[512];
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), 0);
  const memgate__bl_entry *e = memgate__bl_find(&f, "t.scope", "linux-x86_64");
  assert_non_null(e);
  assert_int_equal(e->retained_bytes, 40000);
  assert_int_equal(e->peak_bytes, -1);         /* the scripted sampler has no peak */
  assert_int_equal(e->tolerance_bytes, 4096);  /* kept */
  assert_int_equal(e->kind, MemgateKindScope);
  assert_non_null(memgate__bl_find(&f, "t.scope", "macos-arm64")); /* kept */
  e = memgate__bl_find(&f, "t.repeat", "any");
  assert_int_equal(e->retained_bytes, 0); /* the leak did not replace it */
  assert_null(memgate__bl_find(&f, "t.repeat", "linux-x86_64"));
  memgate__bl_free(&f);
  /* And the next normal run judges against the recorded value. */
  r = run_in_child(RUN_SCOPE, 40000 + 4096 + 1, env_pass);
  assert_int_equal(r.verdict, MemgateVerdictRegression);
  rm_tree(g_tmp);
}

/* ------------------------------------------------------------------ results loader */

#define LINE_OK(name, verdict)                                                                 \
  "{\"format\":1,\"name\":\"" name "\",\"kind\":\"scope\",\"verdict\":\"" verdict            \
  "\",\"message\":\"m\",\"error\":null,\"file\":\"a.c\",\"line\":3,\"platform\":\"linux-x86_64\"," \
  "\"retained_bytes\":-4096,\"peak_bytes\":null,\"series\":[1,2],\"heap_series\":null,"      \
  "\"slope_bytes\":1.5,\"baseline\":null}"

/* Record mode beyond its reserved storage: every scope is recorded once,
 * with the largest of its results (the record rule). */
static void test_record_mode_many_scopes(void **state) {
  (void)state;
  char dir[600], path[700], err[512];
  make_tmpdir();
  snprintf(dir, sizeof dir, "%s/many", g_tmp);
  const char *env[] = {"MEMGATE_BASELINES", dir, "MEMGATE_PLATFORM", "linux-x86_64", "MEMGATE_UPDATE", "1",
                       "MEMGATE_RESULTS", NULL, NULL};
  child_report r = run_in_child(RUN_MANY_SCOPES, 0, env);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  snprintf(path, sizeof path, "%s/t.json", dir);
  memgate__bl_file f;
  bool missing = true;
  assert_int_equal(memgate__bl_load(path, &f, &missing, err, sizeof err), 0);
  assert_false(missing);
  assert_int_equal(f.count, 200);
  for (int i = 0; i < 200; i++) {
    char name[32];
    snprintf(name, sizeof name, "t.m%03d", i);
    const memgate__bl_entry *e = memgate__bl_find(&f, name, "linux-x86_64");
    assert_non_null(e);
    assert_int_equal(e->retained_bytes, 3 * i);
  }
  memgate__bl_free(&f);
  rm_tree(g_tmp);
}

static void test_results_loader(void **state) {
  (void)state;
  tool_results rs;
  char err[512];
  size_t added;
  const char *good = LINE_OK("a.x", "pass") "\n\n  \n" LINE_OK("a.y", "leak") "\r\n";
  tool_results_init(&rs);
  assert_int_equal(tool_results_parse(&rs, good, strlen(good), "r.jsonl", 1, &added, err, sizeof err), 0);
  assert_int_equal(added, 2);
  assert_string_equal(rs.items[0].name, "a.x");
  assert_int_equal(rs.items[0].retained_bytes, -4096);
  assert_false(rs.items[0].has_peak);
  assert_int_equal(rs.items[0].series_count, 2);
  assert_int_equal(rs.items[1].verdict, MemgateVerdictLeak);
  assert_int_equal(rs.items[1].source_line, 4);
  assert_string_equal(rs.items[1].source, "r.jsonl");

  static const struct {
    const char *text;
    const char *want;
  } bad[] = {
      {"{\"format\":3}", "r.jsonl:1:11: unsupported results format version 3"},
      {"{\"format\":1,\"future_field\":{\"x\":1}}", "r.jsonl:1:13: unknown field \"future_field\""},
      {"{\"format\":1,\"name\":\"a\"}", "r.jsonl:1:1: missing \"kind\""},
      {"{\"format\":1,\"name\":5}", "r.jsonl:1:20: \"name\" must be a string"},
      {"{\"format\":1,\"format\":1}", "r.jsonl:1:13: duplicate key \"format\""},
      {"[1]", "r.jsonl:1:1: a results line must be a JSON object"},
      {"\x00\x00", "r.jsonl:1:1: NUL byte"},
      {"{\"format\":1,\"name\":\"a\",\"kind\":\"scope\",\"verdict\":\"maybe\"}", "r.jsonl:1:49: \"verdict\" must be"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t len = strlen(bad[i].text);
    if (i == 6) len = 2;
    size_t before = rs.count;
    int rc = tool_results_parse(&rs, bad[i].text, len, "r.jsonl", 1, &added, err, sizeof err);
    if (rc != MEMGATE_EPARSE || strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
      fail_msg("case %zu: rc %d, got \"%s\", want \"%s\"", i, rc, err, bad[i].want);
    assert_int_equal(rs.count, before); /* nothing from a bad file is kept */
  }
  /* Numbers: negative where unsigned, overflow, fractions. */
  const char *neg = "{\"format\":1,\"name\":\"a\",\"kind\":\"scope\",\"verdict\":\"pass\",\"file\":\"f\",\"line\":1,"
                    "\"platform\":\"p\",\"retained_bytes\":0,\"before_bytes\":-1}";
  assert_int_equal(tool_results_parse(&rs, neg, strlen(neg), "r.jsonl", 7, &added, err, sizeof err), MEMGATE_EPARSE);
  assert_non_null(strstr(err, "r.jsonl:7:"));
  assert_non_null(strstr(err, "\"before_bytes\" must not be negative"));
  const char *big = "{\"format\":1,\"name\":\"a\",\"kind\":\"scope\",\"verdict\":\"pass\",\"file\":\"f\",\"line\":1,"
                    "\"platform\":\"p\",\"retained_bytes\":9223372036854775808}";
  assert_int_equal(tool_results_parse(&rs, big, strlen(big), "r.jsonl", 1, &added, err, sizeof err), MEMGATE_EPARSE);
  assert_non_null(strstr(err, "\"retained_bytes\" is out of range"));
  tool_results_free(&rs);
}

/* The optional fields of when and what a line measured: read when
 * present, absent in older lines, each type checked at its column. */
#define LINE_V2(extra)                                                                          \
  "{\"format\":2,\"name\":\"h.x\",\"kind\":\"scope\",\"verdict\":\"pass\",\"measured_verdict\":\"pass\"," \
  "\"baseline_verdict\":null,\"file\":\"a.c\",\"line\":3,\"platform\":\"linux-x86_64\",\"retained_bytes\":0" extra "}"
static void test_results_loader_host_fields(void **state) {
  (void)state;
  tool_results rs;
  char err[512];
  size_t added;
  const char *good = LINE_V2(",\"time\":\"2026-12-01T12:36:06.123Z\",\"commit\":\"ABCDEF12\","
                             "\"host_memory_bytes\":8589934592,\"host_cpus\":4,\"run\":\"abcdef12@1\"") "\n"
                     LINE_V2(",\"time\":null,\"commit\":null,\"host_memory_bytes\":null,\"host_cpus\":null") "\n"
                     LINE_V2("") "\n" LINE_V2(",\"time\":\"1970-01-01T00:00:01Z\"") "\n";
  tool_results_init(&rs);
  assert_int_equal(tool_results_parse(&rs, good, strlen(good), "h.jsonl", 1, &added, err, sizeof err), 0);
  assert_int_equal(added, 4);
  assert_true(rs.items[0].has_time);
  assert_int_equal(rs.items[0].time_ms, 1796128566123LL);
  assert_string_equal(rs.items[0].commit, "abcdef12"); /* lowercased */
  assert_int_equal(rs.items[0].host_memory_bytes, 8589934592ULL);
  assert_int_equal(rs.items[0].host_cpus, 4);
  assert_string_equal(rs.items[0].run, "abcdef12@1");
  for (int i = 1; i <= 2; i++) {
    assert_false(rs.items[i].has_time);
    assert_string_equal(rs.items[i].commit, "");
    assert_int_equal(rs.items[i].host_memory_bytes, 0);
    assert_int_equal(rs.items[i].host_cpus, 0);
    assert_string_equal(rs.items[i].run, "");
  }
  assert_int_equal(rs.items[3].time_ms, 1000);
  static const struct {
    const char *text, *want;
  } bad[] = {
      {LINE_V2(",\"time\":5"), "h.jsonl:1:182: \"time\" must be a string"},
      {LINE_V2(",\"time\":\"2026-13-01T00:00:00Z\""), "h.jsonl:1:182: \"time\" must be an RFC 3339 UTC time"},
      {LINE_V2(",\"time\":\"2026-12-01T12:36:06+01:00\""), "h.jsonl:1:182: \"time\" must be an RFC 3339"},
      {LINE_V2(",\"time\":\"2026-12-01 12:36:06Z\""), "h.jsonl:1:182: \"time\" must be an RFC 3339"},
      {LINE_V2(",\"commit\":\"xyz1\""), "h.jsonl:1:184: \"commit\" must be 4 to 64 hex digits or null"},
      {LINE_V2(",\"commit\":12345678"), "h.jsonl:1:184: \"commit\" must be a string"},
      {LINE_V2(",\"host_memory_bytes\":-1"), "h.jsonl:1:195: \"host_memory_bytes\" must not be negative"},
      {LINE_V2(",\"host_cpus\":1.5"), "h.jsonl:1:187: \"host_cpus\""},
      {LINE_V2(",\"host_cpus\":4294967296"), "h.jsonl:1:187: \"host_cpus\""},
      {LINE_V2(",\"run\":\"a b\""), "h.jsonl:1:181: \"run\" must be 1 to 128 of"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t before = rs.count;
    int rc = tool_results_parse(&rs, bad[i].text, strlen(bad[i].text), "h.jsonl", 1, &added, err, sizeof err);
    if (rc != MEMGATE_EPARSE || strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
      fail_msg("case %zu: rc %d, got \"%s\", want \"%s\"", i, rc, err, bad[i].want);
    assert_int_equal(rs.count, before);
  }
  /* Format 1 never had them: an unknown field there. */
  const char *v1 = LINE_OK("a.x", "pass");
  char line[1024];
  snprintf(line, sizeof line, "%.*s,\"commit\":null}", (int)strlen(v1) - 1, v1);
  assert_int_equal(tool_results_parse(&rs, line, strlen(line), "h.jsonl", 1, &added, err, sizeof err), MEMGATE_EPARSE);
  assert_non_null(strstr(err, "unknown field \"commit\""));
  tool_results_free(&rs);
}

/* A bad line among good ones is an error result of its own, named
 * file:line:col, and the other lines are read; a last line without its
 * newline that does not parse is called a torn write. */
static void test_results_bad_line_is_its_own_error(void **state) {
  (void)state;
  tool_results rs;
  char err[512];
  size_t added = 0;
  const char *text = LINE_OK("a.x", "pass") "\n{\"format\":1,\"name\":5}\n" LINE_OK("a.y", "pass") "\n{\"format\":1,";
  tool_results_init(&rs);
  assert_int_equal(tool_results_parse(&rs, text, strlen(text), "r.jsonl", 1, &added, err, sizeof err), 0);
  assert_int_equal(added, 4);
  assert_false(rs.items[0].bad_line);
  assert_true(rs.items[1].bad_line);
  assert_int_equal(rs.items[1].verdict, MemgateVerdictError);
  assert_int_equal(rs.items[1].measured_verdict, MemgateVerdictError);
  assert_string_equal(rs.items[1].error, "MEMGATE_EPARSE");
  assert_string_equal(rs.items[1].name, "r.jsonl:2");
  assert_string_equal(rs.items[1].file, "r.jsonl");
  assert_int_equal(rs.items[1].line, 2);
  assert_non_null(strstr(rs.items[1].message, "r.jsonl:2:20: \"name\" must be a string"));
  assert_null(strstr(rs.items[1].message, "torn"));
  assert_string_equal(rs.items[2].name, "a.y");
  assert_true(rs.items[3].bad_line);
  assert_non_null(strstr(rs.items[3].message, "torn write"));
  assert_non_null(strstr(rs.items[3].message, "r.jsonl:4:13: unexpected end of input"));
  /* Not one good line: the file is refused, nothing kept. */
  size_t before = rs.count;
  const char *none = "{\"format\":1,\"name\":5}\n\n{\"format\":1,";
  assert_int_equal(tool_results_parse(&rs, none, strlen(none), "s.jsonl", 1, &added, err, sizeof err),
                   MEMGATE_EPARSE);
  assert_int_equal(rs.count, before);
  assert_non_null(strstr(err, "s.jsonl:1:20: \"name\" must be a string"));
  tool_results_free(&rs);
}

int main(void) {
  /* The scripted repeats end where their scripts do: no confirmation rounds. */
  setenv("MEMGATE_CONFIRM", "0", 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jdoc_positions),
      cmocka_unit_test(test_jdoc_exact_integers),
      cmocka_unit_test(test_parse_bad_inputs),
      cmocka_unit_test(test_parse_deep_nesting),
      cmocka_unit_test(test_parse_and_format_stable),
      cmocka_unit_test(test_put_merges),
      cmocka_unit_test(test_put_many_any_order),
      cmocka_unit_test(test_record_merge_rule),
      cmocka_unit_test(test_text_cursor),
      cmocka_unit_test(test_file_names),
      cmocka_unit_test(test_platform_fallback),
      cmocka_unit_test(test_tolerance_rules),
      cmocka_unit_test(test_peak_and_repeats),
      cmocka_unit_test(test_describe_messages),
      cmocka_unit_test(test_set_and_judge),
      cmocka_unit_test(test_load_refuses_fifo_and_dangling_link),
      cmocka_unit_test(test_update_refuses_link_and_cleans_temps),
      cmocka_unit_test(test_write_atomic_keeps_old_file),
      cmocka_unit_test(test_update_refuses_oversized_file),
      cmocka_unit_test(test_update_creates_and_merges),
      cmocka_unit_test(test_update_leaves_corrupt_file_untouched),
      cmocka_unit_test(test_concurrent_updates),
      cmocka_unit_test(test_in_process_hooks),
      cmocka_unit_test(test_record_mode_many_scopes),
      cmocka_unit_test(test_results_loader),
      cmocka_unit_test(test_results_loader_host_fields),
      cmocka_unit_test(test_results_bad_line_is_its_own_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
