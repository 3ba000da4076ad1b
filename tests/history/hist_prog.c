/*
 * The small test program the history tests run many times (each run a
 * "commit" through MEMGATE_COMMIT or GITHUB_SHA): three scopes, one of
 * which leaks 64 KiB per iteration when HIST_LEAK=1, so it fails from the
 * commit where the leak "landed". Results go to $MEMGATE_RESULTS.
 */
#include "memgate.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

static void *kept[64];
static int nkept;
static int leak;

static void steady(void *ctx) {
  (void)ctx;
  char *p = malloc(4096);
  if (p) memset(p, 1, 4096);
  free(p);
}

/* A cache that keeps every chunk when leaking, none otherwise. */
static void cache(void *ctx) {
  (void)ctx;
  char *p = malloc(CHUNK);
  if (!p) return;
  memset(p, 2, CHUNK);
  if (leak && nkept < 64) kept[nkept++] = p;
  else free(p);
}

int main(void) {
  const char *l = getenv("HIST_LEAK");
  leak = l && strcmp(l, "1") == 0;
  MEM_REPEAT("hist.steady", 10, steady, NULL);
  MEM_REPEAT("hist.cache", 10, cache, NULL);
  MEM_BEGIN("hist.once");
  steady(NULL);
  MEM_END("hist.once");
  for (int i = 0; i < nkept; i++) free(kept[i]);
  return 0;
}
