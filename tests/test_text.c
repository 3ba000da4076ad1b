/*
 * The text layer (harness/src/utf8.c, validate.c, escape.c, buf.c's byte
 * formatter): UTF-8 boundary sequences, what a valid name/path/line is,
 * each escaper's rules, and the one byte formatter.
 */
#define _POSIX_C_SOURCE 200809L /* dup, dup2, fileno */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "baseline_store.h"
#include "memgate_internal.h"

/* ------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------ */

static void test_utf8_accepts_every_boundary_of_rfc3629(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t len;
    uint32_t cp;
  } ok[] = {
      {"\x00", 1, 0x0},          {"\x7F", 1, 0x7F},         {"\xC2\x80", 2, 0x80},
      {"\xDF\xBF", 2, 0x7FF},    {"\xE0\xA0\x80", 3, 0x800}, {"\xED\x9F\xBF", 3, 0xD7FF},
      {"\xEE\x80\x80", 3, 0xE000}, {"\xEF\xBF\xBD", 3, 0xFFFD}, {"\xEF\xBF\xBF", 3, 0xFFFF},
      {"\xF0\x90\x80\x80", 4, 0x10000}, {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    uint32_t cp = 0xFFFFFFFFu;
    size_t n = ok[i].len;
    if (memgate__utf8_decode(ok[i].s, n, &cp) != n || cp != ok[i].cp)
      fail_msg("case %zu: want length %zu, U+%04X; got U+%04X", i, n, (unsigned)ok[i].cp, (unsigned)cp);
    assert_true(memgate__utf8_valid(ok[i].s, n));
  }
}

static void test_utf8_rejects_overlongs_surrogates_and_beyond_10ffff(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t n;
  } bad[] = {
      {"\x80", 1},                 /* continuation byte alone */
      {"\xBF", 1},
      {"\xC0\x80", 2},             /* overlong NUL */
      {"\xC1\xBF", 2},             /* overlong U+007F */
      {"\xE0\x80\x80", 3},         /* overlong */
      {"\xE0\x9F\xBF", 3},         /* overlong U+07FF */
      {"\xED\xA0\x80", 3},         /* U+D800 */
      {"\xED\xBF\xBF", 3},         /* U+DFFF */
      {"\xF0\x80\x80\x80", 4},     /* overlong */
      {"\xF0\x8F\xBF\xBF", 4},     /* overlong U+FFFF */
      {"\xF4\x90\x80\x80", 4},     /* U+110000 */
      {"\xF5\x80\x80\x80", 4},     /* lead byte past U+10FFFF */
      {"\xFE", 1},
      {"\xFF", 1},
      {"\xC2\x41", 2},             /* not a continuation */
      {"\xE2\x82", 2},             /* truncated */
      {"\xF0\x9F\x98", 3},         /* truncated */
      {"\xE2\x82\xAC", 2},         /* n shorter than the sequence */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t cp = 7;
    if (memgate__utf8_decode(bad[i].s, bad[i].n, &cp) != 0) fail_msg("case %zu decoded", i);
    assert_false(memgate__utf8_valid(bad[i].s, bad[i].n));
  }
  assert_int_equal(memgate__utf8_decode("a", 0, NULL), 0);
  assert_int_equal(memgate__utf8_decode(NULL, 3, NULL), 0);
}

static void test_utf8_check_returns_the_valid_prefix(void **state) {
  (void)state;
  const char *s = "ab\xC3\xA9" "c\xFF" "d";
  assert_int_equal(memgate__utf8_check(s, strlen(s)), 5);
  assert_int_equal(memgate__utf8_check("caf\xC3\xA9", 5), 5);
  assert_int_equal(memgate__utf8_check("", 0), 0);
}

/* ------------------------------------------------------------------------
 * Names, paths, lines
 * ------------------------------------------------------------------------ */

static void want_bad(int rc, const char *why, const char *want) {
  assert_int_equal(rc, MEMGATE_EINVAL);
  if (!strstr(why, want)) fail_msg("got \"%s\", want \"%s\"", why, want);
}

static void test_check_name_length_is_1_to_255_bytes(void **state) {
  (void)state;
  char why[200], name[300];
  memset(name, 'a', sizeof name);
  name[255] = '\0';
  assert_int_equal(memgate__check_name(name, why, sizeof why), 0);
  name[255] = 'a';
  name[256] = '\0';
  want_bad(memgate__check_name(name, why, sizeof why), why, "is too long (a name is 1 to 255 bytes)");
  want_bad(memgate__check_name("", why, sizeof why), why, "is empty (a name is 1 to 255 bytes)");
  want_bad(memgate__check_name(NULL, why, sizeof why), why, "is missing");
  assert_int_equal(memgate__check_name("live_room.visit", NULL, 0), 0);
  assert_int_equal(memgate__check_name("x", NULL, 0), 0);
}

static void test_check_name_rejects_c0_del_c1_and_bad_utf8(void **state) {
  (void)state;
  char why[200];
  want_bad(memgate__check_name("a\nb", why, sizeof why), why, "control character U+000A at byte offset 1");
  want_bad(memgate__check_name("\tx", why, sizeof why), why, "U+0009 at byte offset 0");
  want_bad(memgate__check_name("x\x7F", why, sizeof why), why, "U+007F at byte offset 1");
  want_bad(memgate__check_name("ab\xC2\x85", why, sizeof why), why, "U+0085 at byte offset 2");
  want_bad(memgate__check_name("\xC2\x9F", why, sizeof why), why, "U+009F");
  want_bad(memgate__check_name("a\xFF", why, sizeof why), why, "invalid UTF-8 at byte offset 1 (byte 0xff)");
  want_bad(memgate__check_name("\xED\xA0\x80", why, sizeof why), why, "invalid UTF-8 at byte offset 0");
  /* U+00A0 (just past C1), an accent, an emoji: fine. */
  assert_int_equal(memgate__check_name("a\xC2\xA0" "caf\xC3\xA9 \xF0\x9F\x98\x80", why, sizeof why), 0);
  /* A short message buffer is truncated, never overrun. */
  char small[8];
  want_bad(memgate__check_name("a\nb", small, sizeof small), small, "has the");
  assert_int_equal(strlen(small), 7);
}

static void test_check_file_is_1_to_1023_bytes_with_the_same_characters(void **state) {
  (void)state;
  char why[200], path[1100];
  memset(path, 'p', sizeof path);
  path[1023] = '\0';
  assert_int_equal(memgate__check_file(path, why, sizeof why), 0);
  path[1023] = 'p';
  path[1024] = '\0';
  want_bad(memgate__check_file(path, why, sizeof why), why, "is too long (a path is 1 to 1023 bytes)");
  want_bad(memgate__check_file("x.c\r", why, sizeof why), why, "U+000D at byte offset 3");
  want_bad(memgate__check_file("", why, sizeof why), why, "is empty (a path is 1 to 1023 bytes)");
  assert_int_equal(memgate__check_file("src/a b/&<c>.c", why, sizeof why), 0);
}

/* Baseline files name scopes by the same rule. */
static void test_baseline_scope_names_follow_check_name(void **state) {
  (void)state;
  char name[300];
  memset(name, 'b', sizeof name);
  name[255] = '\0';
  assert_true(memgate__bl_scope_ok(name));
  name[255] = 'b';
  name[256] = '\0';
  assert_false(memgate__bl_scope_ok(name));
  assert_true(memgate__bl_scope_ok("live_room.visit"));
  assert_false(memgate__bl_scope_ok("a\xC2\x85" "b")); /* C1 NEL */
  assert_false(memgate__bl_scope_ok("a\nb"));
  assert_false(memgate__bl_scope_ok(""));
  assert_false(memgate__bl_scope_ok(NULL));
}

static void test_check_line_is_0_to_int32_max(void **state) {
  (void)state;
  char why[200];
  assert_int_equal(memgate__check_line(0, why, sizeof why), 0);
  assert_int_equal(memgate__check_line(1, why, sizeof why), 0);
  assert_int_equal(memgate__check_line(INT32_MAX, why, sizeof why), 0);
  want_bad(memgate__check_line(-1, why, sizeof why), why, "is -1 (a line is 0 to 2147483647)");
  want_bad(memgate__check_line(INT32_MIN, why, sizeof why), why, "is -2147483648");
  want_bad(memgate__check_line((long long)INT32_MAX + 1, why, sizeof why), why, "is 2147483648");
}

/* ------------------------------------------------------------------------
 * Escapers
 * ------------------------------------------------------------------------ */

static void want_esc(memgate__esc_fn esc, const char *in, const char *want) {
  char out[512];
  memgate__esc_str(out, sizeof out, esc, in);
  if (strcmp(out, want) != 0) fail_msg("escaped \"%s\" as \"%s\", want \"%s\"", in, out, want);
}

static void test_esc_json(void **state) {
  (void)state;
  want_esc(memgate__esc_json, "a\"b\\c", "a\\\"b\\\\c");
  want_esc(memgate__esc_json, "\n\x01\x7F", "\\u000a\\u0001\\u007f");
  want_esc(memgate__esc_json, "caf\xC3\xA9 \xFF", "caf\xC3\xA9 \\ufffd");
  memgate__buf b;
  memset(&b, 0, sizeof b);
  memgate__buf_json_str(&b, "x\ty");
  memgate__buf_puts(&b, ",");
  memgate__buf_json_str(&b, NULL);
  assert_string_equal(b.p, "\"x\\u0009y\",null");
  memgate__buf_free(&b);
}

static void test_esc_xml_keeps_markup_out_and_text_in(void **state) {
  (void)state;
  want_esc(memgate__esc_xml, "</failure><testcase name=\"x\">",
           "&lt;/failure&gt;&lt;testcase name=&quot;x&quot;&gt;");
  want_esc(memgate__esc_xml, "a&b'c", "a&amp;b&apos;c");
  want_esc(memgate__esc_xml, "1\n2\r3\t4", "1&#10;2&#13;3&#9;4");
  /* Not XML characters: C0 (but tab/LF/CR), C1, U+FFFE, invalid bytes. */
  want_esc(memgate__esc_xml, "\x01\xC2\x85\xEF\xBF\xBE\xFF",
           "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  want_esc(memgate__esc_xml, "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF");
}

static void test_esc_html_shows_line_breaks_as_spaces(void **state) {
  (void)state;
  want_esc(memgate__esc_html, "<script>'&\"", "&lt;script&gt;&#39;&amp;&quot;");
  want_esc(memgate__esc_html, "a\nb\tc\rd", "a b c d");
  want_esc(memgate__esc_html, "\x1B[31m", "\xEF\xBF\xBD[31m");
}

static void test_esc_md_cell(void **state) {
  (void)state;
  want_esc(memgate__esc_md, "a|b`c`<d>&e", "a\\|b\\`c\\`&lt;d\\>&amp;e");
  want_esc(memgate__esc_md, "x_y*z[1]~#!\\", "x\\_y\\*z\\[1\\]\\~\\#\\!\\\\");
  want_esc(memgate__esc_md, "one\ntwo\r\x01", "one two \xEF\xBF\xBD");
}

static void test_esc_github_commands(void **state) {
  (void)state;
  want_esc(memgate__esc_gh_prop, "a%b\r\nc:d,e", "a%25b%0D%0Ac%3Ad%2Ce");
  want_esc(memgate__esc_gh_data, "a%b\r\nc:d,e", "a%25b%0D%0Ac:d,e");
  want_esc(memgate__esc_gh_data, "x.c\n::error file=evil.c,line=1::INJECTED",
           "x.c%0A::error file=evil.c,line=1::INJECTED");
}

static void test_esc_term_never_breaks_a_line(void **state) {
  (void)state;
  want_esc(memgate__esc_term, "x.c\n::error file=evil.c::INJECTED", "x.c\\n::error file=evil.c::INJECTED");
  want_esc(memgate__esc_term, "a\rb\tc", "a\\rb\\tc");
  want_esc(memgate__esc_term, "\x1B[2J\x7F", "\\x1b[2J\\x7f");
  want_esc(memgate__esc_term, "\xC2\x85\xE2\x80\xA8\xE2\x80\xA9", "\\u0085\\u2028\\u2029");
  want_esc(memgate__esc_term, "bad\xFF\xC3", "bad\\xff\\xc3");
  want_esc(memgate__esc_term, "C:\\src\\caf\xC3\xA9.c", "C:\\src\\caf\xC3\xA9.c");
}

static void test_esc_str_truncates_at_whole_units(void **state) {
  (void)state;
  char out[6];
  /* "\n" escapes to two bytes; "ab\n\n" needs 6 + NUL: the last unit is dropped whole. */
  assert_int_equal(memgate__esc_str(out, sizeof out, memgate__esc_term, "ab\n\n"), 4);
  assert_string_equal(out, "ab\\n");
  assert_int_equal(memgate__esc_str(out, sizeof out, memgate__esc_term, "\xC3\xA9\xC3\xA9\xC3\xA9"), 4);
  assert_string_equal(out, "\xC3\xA9\xC3\xA9");
  assert_int_equal(memgate__esc_str(out, sizeof out, memgate__esc_term, NULL), 0);
  assert_string_equal(out, "");
}

static void test_failure_line_is_one_line(void **state) {
  (void)state;
  FILE *f = tmpfile();
  char text[4096];
  assert_non_null(f);
  memgate__fprint_failure(f, "x.c\n::error file=evil.c,line=1::INJECTED", 7, "a\rb", "leak", "m\nn");
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  assert_string_equal(text, "x.c\\n::error file=evil.c,line=1::INJECTED:7: error: memgate: a\\rb: leak: m\\nn\n");
}

/* The library's default failure handler goes through the same line. */
static void test_default_failure_handler_escapes_file_and_name(void **state) {
  (void)state;
  FILE *f = tmpfile();
  char text[4096];
  assert_non_null(f);
  memgate_result r;
  memset(&r, 0, sizeof r);
  r.name = "scope\n::error file=evil.c::X";
  r.file = "x.c\r::warning::Y";
  r.line = 3;
  r.verdict = MemgateVerdictLeak;
  r.message = "grew";
  fflush(stderr);
  int saved = dup(fileno(stderr));
  assert_true(saved >= 0);
  assert_true(dup2(fileno(f), fileno(stderr)) >= 0);
  memgate_default_failure_handler(&r, NULL);
  fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  assert_string_equal(text, "x.c\\r::warning::Y:3: error: memgate: scope\\n::error file=evil.c::X: leak: grew\n");
}

/* ------------------------------------------------------------------------
 * Bytes
 * ------------------------------------------------------------------------ */

static void want_bytes(int64_t v, bool sign, const char *want) {
  char b[32];
  memgate__bytes(b, sizeof b, v, sign);
  if (strcmp(b, want) != 0) fail_msg("%lld: got \"%s\", want \"%s\"", (long long)v, b, want);
}

static void want_bytes_f(double v, bool sign, const char *want) {
  char b[32];
  memgate__bytes_f(b, sizeof b, v, sign);
  if (strcmp(b, want) != 0) fail_msg("%g: got \"%s\", want \"%s\"", v, b, want);
}

static void test_bytes_switch_unit_at_each_power_of_1024(void **state) {
  (void)state;
  want_bytes(0, false, "0 B");
  want_bytes(0, true, "+0 B");
  want_bytes(1023, true, "+1023 B");
  want_bytes(1024, false, "1.0 KiB");
  want_bytes(4096, true, "+4.0 KiB");
  want_bytes(-655360, true, "-640.0 KiB");
  want_bytes(1048524, false, "1023.9 KiB");
  want_bytes(1048575, false, "1.00 MiB"); /* 1023.999 KiB would read 1024.0 KiB */
  want_bytes(1048576, true, "+1.00 MiB");
  want_bytes(1000000000, false, "953.67 MiB");
  want_bytes(2LL << 30, false, "2.00 GiB");
  want_bytes(3LL << 40, false, "3.00 TiB");
  want_bytes(INT64_MAX, false, "8388608.00 TiB");
  want_bytes(INT64_MIN, false, "-8388608.00 TiB");
}

static void test_bytes_f_rounds_and_says_when_not_finite(void **state) {
  (void)state;
  want_bytes_f(-186.18, true, "-186 B");
  want_bytes_f(12.4, true, "+12 B");
  want_bytes_f(1023.6, false, "1.0 KiB");
  want_bytes_f(65712.0, true, "+64.2 KiB");
  want_bytes_f(1048576.0, false, "1.00 MiB");
  want_bytes_f(NAN, false, "?");
  want_bytes_f(INFINITY, true, "?");
  /* The same figure reads the same from both. */
  char a[32], b[32];
  for (int64_t v = 1; v < ((int64_t)1 << 42); v = v * 3 + 7) {
    memgate__bytes(a, sizeof a, v, true);
    memgate__bytes_f(b, sizeof b, (double)v, true);
    assert_string_equal(a, b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8_accepts_every_boundary_of_rfc3629),
      cmocka_unit_test(test_utf8_rejects_overlongs_surrogates_and_beyond_10ffff),
      cmocka_unit_test(test_utf8_check_returns_the_valid_prefix),
      cmocka_unit_test(test_check_name_length_is_1_to_255_bytes),
      cmocka_unit_test(test_check_name_rejects_c0_del_c1_and_bad_utf8),
      cmocka_unit_test(test_check_file_is_1_to_1023_bytes_with_the_same_characters),
      cmocka_unit_test(test_baseline_scope_names_follow_check_name),
      cmocka_unit_test(test_check_line_is_0_to_int32_max),
      cmocka_unit_test(test_esc_json),
      cmocka_unit_test(test_esc_xml_keeps_markup_out_and_text_in),
      cmocka_unit_test(test_esc_html_shows_line_breaks_as_spaces),
      cmocka_unit_test(test_esc_md_cell),
      cmocka_unit_test(test_esc_github_commands),
      cmocka_unit_test(test_esc_term_never_breaks_a_line),
      cmocka_unit_test(test_esc_str_truncates_at_whole_units),
      cmocka_unit_test(test_failure_line_is_one_line),
      cmocka_unit_test(test_default_failure_handler_escapes_file_and_name),
      cmocka_unit_test(test_bytes_switch_unit_at_each_power_of_1024),
      cmocka_unit_test(test_bytes_f_rounds_and_says_when_not_finite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
