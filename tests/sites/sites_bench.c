/*
 * sites_bench.c - the workloads of `make bench-sites` (tests/sites/bench_sites.sh):
 * one MEM_REPEAT each, run plain, with `memgate run --sites` and under
 * heaptrack; prints the repeat's verdict and the time of its measured
 * iterations.
 *
 *   sites_bench live ITERATIONS    visits of the buggy live room (its gift
 *                                  frames stay in a global cache)
 *   sites_bench churn ITERATIONS   2000 malloc/free pairs of 16..4111 bytes
 *                                  per iteration, and one 512-byte block a
 *                                  iteration lost at churn_leak()
 */
#define _GNU_SOURCE
#include "live_room.h"
#include "memgate.h"
#include "memgate_sites.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *churn_leak(void);
static void *volatile lost;

__attribute__((noinline)) void *churn_leak(void) {
  void *p = malloc(512);
  if (p) memset(p, 1, 512);
  __asm__ volatile("" ::: "memory");
  return p;
}

static void churn(void *ctx) {
  unsigned *seed = ctx;
  for (int i = 0; i < 2000; i++) {
    *seed = *seed * 1103515245u + 12345u;
    char *volatile p = malloc(16 + (*seed >> 8) % 4096);
    if (p) p[0] = 1;
    free(p);
  }
  lost = churn_leak();
}

/* Peak resident set (kB), from /proc/self/status. */
static long vm_hwm_kb(void) {
  char line[256];
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return kb;
}

/* The recorder's table sizes when it is loaded (0 otherwise). */
static void print_tables(void) {
  void *f = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_STATS);
  memgate_sites_stats st;
  memset(&st, 0, sizeof st);
  if (f) {
    memgate_sites_stats_fn get;
    memcpy(&get, &f, sizeof f);
    get(&st);
  }
  printf("table_bytes=%llu stacks=%llu dropped=%llu vm_hwm_kb=%ld\n",
         (unsigned long long)st.table_bytes, (unsigned long long)st.stacks,
         (unsigned long long)st.dropped_blocks, vm_hwm_kb());
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sites_bench live|churn ITERATIONS\n");
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
  live_room_config cfg;
  live_room_config_init(&cfg);
  cfg.buggy = true;
  unsigned seed = 1;
  memgate_result r;
  memgate_verdict v;
  if (strcmp(argv[1], "live") == 0)
    v = memgate_repeat_opts("sites_bench.live", n, live_room_visit, &cfg, NULL, __FILE__, __LINE__, &r);
  else if (strcmp(argv[1], "churn") == 0)
    v = memgate_repeat_opts("sites_bench.churn", n, churn, &seed, NULL, __FILE__, __LINE__, &r);
  else
    return 2;
  printf("verdict=%s measured_ns=%llu iterations=%u\n", memgate_verdict_name(v),
         (unsigned long long)r.elapsed_ns, (unsigned)r.iterations);
  print_tables();
  return 0;
}
