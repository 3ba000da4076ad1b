/*
 * pcre2_cache_kept - leak, PCRE2, still reachable: a "compiled pattern
 * cache" keyed by the pattern text, where the text wrongly includes the
 * request number, so every call misses, compiles and adds an entry that is
 * never evicted (a few hundred bytes per call, every one still pointed to).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "../rw_case.h"

#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#define CACHE_MAX 100000

typedef struct re_entry {
  char key[48];
  pcre2_code *code;
} re_entry;

static re_entry rw_cache[CACHE_MAX]; /* the bug: grows, never evicts */
static unsigned rw_cache_count;
static unsigned rw_request;

static pcre2_code *cache_get(const char *pattern) {
  unsigned i;
  int err;
  PCRE2_SIZE off;
  pcre2_code *re;

  for (i = 0; i < rw_cache_count; i++)
    if (strcmp(rw_cache[i].key, pattern) == 0) return rw_cache[i].code;
  re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
  if (re && rw_cache_count < CACHE_MAX) {
    snprintf(rw_cache[rw_cache_count].key, sizeof rw_cache[0].key, "%s", pattern);
    rw_cache[rw_cache_count++].code = re;
  }
  return re;
}

static void cache_kept_body(void *ctx) {
  char pattern[48];
  const char *subject = "request 17: user=ann";
  pcre2_code *re;
  pcre2_match_data *md;

  (void)ctx;
  snprintf(pattern, sizeof pattern, "request %u: user=(\\w+)", rw_request++ % 100000);
  re = cache_get(pattern);
  if (!re) return;
  md = pcre2_match_data_create_from_pattern(re, NULL);
  if (md) pcre2_match(re, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL);
  pcre2_match_data_free(md);
}

const rw_case rw_case_pcre2_cache_kept = {
  "pcre2_cache_kept", "PCRE2", "leak", NULL, cache_kept_body, NULL,
};
