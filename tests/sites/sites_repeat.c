/*
 * sites_repeat.c - MEM_REPEAT over two leaking sites at different lines (one
 * reachable through a global cache, one unreachable), each two calls below
 * the body, a churn site and a one-time cache; run by test_sites.sh under
 * `memgate run --sites` and checked by check_sites.py (which finds the
 * lines by the SITE: markers).
 */
#include "memgate.h"

#include <stdlib.h>
#include <string.h>

#define ITERATIONS 12
static void *thumbs[64];
static int n_thumbs;
static void *once_table;

void *cache_thumbnail(int i);
void decode_image(int i);
void churn_buffer(int i);
void fill_once(void);
void render_thumbnail(int i);
void decode_frame(int i);

__attribute__((noinline)) void *cache_thumbnail(int i) {
  void *p = malloc(1000); /* SITE: cache_thumbnail */
  if (p) memset(p, i, 1000);
  thumbs[n_thumbs++ % 64] = p; /* reachable: never evicted (64 > iterations) */
  return p;
}

__attribute__((noinline)) void decode_image(int i) {
  char *volatile p = malloc(3000); /* SITE: decode_image */
  if (p) memset(p, i, 3000);
  p = NULL; /* unreachable */
}

__attribute__((noinline)) void churn_buffer(int i) {
  char *volatile p = malloc(5000); /* SITE: churn_buffer */
  if (p) memset(p, i, 5000);
  free(p);
}

__attribute__((noinline)) void fill_once(void) {
  if (once_table == NULL) once_table = calloc(1, 8192); /* SITE: fill_once */
}

__attribute__((noinline)) void render_thumbnail(int i) {
  cache_thumbnail(i); /* SITE: render_thumbnail */
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void decode_frame(int i) {
  decode_image(i); /* SITE: decode_frame */
  churn_buffer(i);
  fill_once();
  __asm__ volatile("" ::: "memory");
}

static void body(void *ctx) {
  int *i = ctx;
  render_thumbnail(*i);
  decode_frame(*i);
  ++*i;
  __asm__ volatile("" ::: "memory");
}

/* A scope lists the sites still holding memory allocated inside it. */
static volatile int two = 2; /* volatile: the compiler must not unroll the loop */
static void scope(void) {
  MEM_BEGIN("sites.scope");
  for (int k = 0; k < two; k++) render_thumbnail(100 + k); /* one call site: one stack */
  churn_buffer(102);
  MEM_END("sites.scope");
}

static void churn_body(void *ctx) {
  churn_buffer(*(int *)ctx);
}

/* A loop with a repeat nested in its block: each keeps its own rows. */
static void nested(void) {
  int k = 0;
  MEM_LOOP("sites.outer", 6) {
    decode_image(k); /* SITE: outer_decode */
    MEM_REPEAT("sites.inner", 4, churn_body, &k);
    k++;
  }
}

int main(void) {
  int i = 0;
  memgate_verdict v = MEM_REPEAT("sites.two_leaks", ITERATIONS, body, &i);
  scope();
  nested();
  return v == MemgateVerdictLeak ? 1 : 2;
}
