/*
 * trust_demo.c - a small memgate test program for the baseline, diff and
 * history tests (tests/trust/test_trust.sh).
 *
 *   trust_demo steady     a repeat that allocates, touches and frees 64 KiB
 *                         per iteration ("trust.touch") and a scope that
 *                         keeps nothing ("trust.scope"): what an unchanged
 *                         test re-recorded many times looks like
 *   trust_demo grow       the same names, but trust.scope keeps 1 MiB
 *   trust_demo headroom   prints "headroom RC BYTES" (memgate_headroom), then
 *                         runs the steady scopes
 *   trust_demo badname    MEM_REPEAT with a control character in its name,
 *                         then the steady scopes: one error result, the
 *                         rest judged
 *
 * Exit status: 0 when every result passed, 1 when any failed, 2 on usage.
 */
#include "memgate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOUCH_BYTES (64u * 1024u)

static void *g_kept;

/* Allocates, touches and frees 64 KiB: no growth, a transient peak. */
static void touch(void *ctx) {
  (void)ctx;
  volatile char *p = malloc(TOUCH_BYTES);
  if (!p) return;
  for (size_t i = 0; i < TOUCH_BYTES; i += 4096) p[i] = (char)i;
  free((void *)p);
}

static int steady(size_t keep) {
  int failed = 0;
  failed |= MEM_REPEAT("trust.touch", 10, touch, NULL) != MemgateVerdictPass;
  MEM_BEGIN("trust.scope");
  if (keep) {
    g_kept = malloc(keep);
    if (g_kept) memset(g_kept, 1, keep);
  }
  failed |= MEM_END("trust.scope") != MemgateVerdictPass;
  return failed;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  int failed;
  if (strcmp(mode, "steady") == 0) failed = steady(0);
  else if (strcmp(mode, "grow") == 0) failed = steady(1024u * 1024u);
  else if (strcmp(mode, "badname") == 0) {
    failed = MEM_REPEAT("trust.a\nb", 5, touch, NULL) != MemgateVerdictPass;
    failed |= steady(0);
  } else if (strcmp(mode, "headroom") == 0) {
    uint64_t h = 0;
    int rc = memgate_headroom(&h);
    printf("headroom %d %llu\n", rc, (unsigned long long)h);
    failed = steady(0);
  } else {
    fprintf(stderr, "usage: trust_demo steady|grow|badname|headroom\n");
    return 2;
  }
  free(g_kept);
  return failed ? 1 : 0;
}
