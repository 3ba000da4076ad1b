/*
 * sites_repeat.c - MEM_REPEAT over two leaking sites at different lines (one
 * reachable through a global cache, one unreachable), each two calls below
 * the body, a churn site and a one-time cache; run by test_sites.sh under
 * `memgate run --sites` and checked by check_sites.py (which finds the
 * lines by the SITE: markers). Before the repeat the program makes more
 * than a thousand distinct stacks (allocations freed at once), as a real
 * program's start-up does: the sites of the repeat must still be followed.
 */
#include "memgate.h"

#include <stdlib.h>
#include <string.h>

#define ITERATIONS 12
/* Not static: a static array nobody reads is optimised away with its
 * stores, and then the thumbnails really are unreachable. 8192 entries:
 * more than the repeat and its confirmation rounds call it. */
void *thumbs[8192];
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
  thumbs[n_thumbs++ % 8192] = p; /* reachable: never evicted */
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

/* 32 x 40 distinct call stacks (each macro expansion is its own return
 * address), all freed: stacks known before the repeat, none of them live. */
#define LEAF(n) case n: free(malloc(8 + n)); break;
#define MID(n) case n: leaf(a); break;
static volatile int sink;
__attribute__((noinline)) static void leaf(int a) {
  switch (a) {
    LEAF(0) LEAF(1) LEAF(2) LEAF(3) LEAF(4) LEAF(5) LEAF(6) LEAF(7) LEAF(8) LEAF(9) LEAF(10)
    LEAF(11) LEAF(12) LEAF(13) LEAF(14) LEAF(15) LEAF(16) LEAF(17) LEAF(18) LEAF(19) LEAF(20)
    LEAF(21) LEAF(22) LEAF(23) LEAF(24) LEAF(25) LEAF(26) LEAF(27) LEAF(28) LEAF(29) LEAF(30)
    LEAF(31)
  }
  sink++;
}
__attribute__((noinline)) static void many_stacks(int a, int b) {
  switch (b) {
    MID(0) MID(1) MID(2) MID(3) MID(4) MID(5) MID(6) MID(7) MID(8) MID(9) MID(10) MID(11)
    MID(12) MID(13) MID(14) MID(15) MID(16) MID(17) MID(18) MID(19) MID(20) MID(21) MID(22)
    MID(23) MID(24) MID(25) MID(26) MID(27) MID(28) MID(29) MID(30) MID(31) MID(32) MID(33)
    MID(34) MID(35) MID(36) MID(37) MID(38) MID(39)
  }
  sink++;
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
  for (int b = 0; b < 40; b++)
    for (int a = 0; a < 32; a++) many_stacks(a, b);
  memgate_verdict v = MEM_REPEAT("sites.two_leaks", ITERATIONS, body, &i);
  scope();
  nested();
  return v == MemgateVerdictLeak ? 1 : 2;
}
