/*
 * pcre2_jit_match - leak-free, PCRE2: each call compiles a pattern,
 * JIT-compiles it, matches a line and frees everything. The JIT's
 * executable-memory allocator keeps freed chunks for reuse, and the first
 * JIT compile sets it up.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "../rw_case.h"

#include <pcre2.h>
#include <string.h>

static const char rw_line[] = "2026-12-01 10:24:29 room=42 user=ann gift=rocket frames=32";

static void jit_body(void *ctx) {
  int err;
  PCRE2_SIZE off;
  pcre2_code *re;
  pcre2_match_data *md;

  (void)ctx;
  re = pcre2_compile((PCRE2_SPTR) "room=(\\d+) user=(\\w+) gift=(\\w+)", PCRE2_ZERO_TERMINATED, 0, &err,
                     &off, NULL);
  if (!re) return;
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  md = pcre2_match_data_create_from_pattern(re, NULL);
  if (md) pcre2_match(re, (PCRE2_SPTR)rw_line, strlen(rw_line), 0, 0, md, NULL);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
}

const rw_case rw_case_pcre2_jit_match = {
  "pcre2_jit_match", "PCRE2", "pass", NULL, jit_body, NULL,
};
