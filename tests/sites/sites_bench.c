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
 *   sites_bench heap ITERATIONS    the live room over a heap of 200 000
 *                                  reachable 512-byte blocks (~100 MiB):
 *                                  the cost of the "kept alive by" walk
 *
 * With the recorder loaded it also times one more heap walk
 * (memgate_sites_holders on the top stack; the repeat has already made
 * one for its message) and prints walk_ns, blocks and heap bytes.
 */
#define _GNU_SOURCE
#include "live_room.h"
#include "memgate.h"
#include "memgate_sites.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
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

#define HEAP_BLOCKS 200000
void **heap_keep; /* not static: a global nobody reads may be optimised away */

static void fill_heap(void) {
  heap_keep = malloc(HEAP_BLOCKS * sizeof *heap_keep);
  for (int i = 0; heap_keep && i < HEAP_BLOCKS; i++) {
    heap_keep[i] = malloc(512);
    if (heap_keep[i]) memset(heap_keep[i], 2, 512);
  }
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* One more heap walk, timed (when the recorder is loaded). */
static void time_walk(void) {
  void *h = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_HOLDERS), *sn = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SNAPSHOT);
  void *f = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_STATS);
  memgate_sites_holders_fn holders;
  memgate_sites_snapshot_fn snap;
  memgate_sites_stats_fn stats;
  if (!h || !sn || !f) return;
  memcpy(&holders, &h, sizeof h);
  memcpy(&snap, &sn, sizeof sn);
  memcpy(&stats, &f, sizeof f);
  uint32_t ids[64];
  uint64_t bytes[64], heap = 0;
  size_t n = snap(ids, bytes, NULL, 64), top = 0;
  for (size_t i = 0; i < n && i < 64; i++) {
    heap += bytes[i];
    if (bytes[i] > bytes[top]) top = i;
  }
  memgate_sites_holder out;
  memgate_sites_stats st;
  stats(&st);
  uint64_t t0 = now_ns();
  holders(&ids[top], 1, &out);
  uint64_t t1 = now_ns();
  printf("walk_ns=%llu walk_blocks=%llu walk_heap_bytes=%llu\n", (unsigned long long)(t1 - t0),
         (unsigned long long)st.blocks, (unsigned long long)heap);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sites_bench live|churn|heap ITERATIONS\n");
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
  live_room_config cfg;
  live_room_config_init(&cfg);
  cfg.buggy = true;
  unsigned seed = 1;
  memgate_result r;
  memgate_verdict v;
  if (strcmp(argv[1], "heap") == 0) fill_heap();
  if (strcmp(argv[1], "live") == 0 || strcmp(argv[1], "heap") == 0)
    v = memgate_repeat_opts("sites_bench.live", n, live_room_visit, &cfg, NULL, __FILE__, __LINE__, &r);
  else if (strcmp(argv[1], "churn") == 0)
    v = memgate_repeat_opts("sites_bench.churn", n, churn, &seed, NULL, __FILE__, __LINE__, &r);
  else
    return 2;
  printf("verdict=%s measured_ns=%llu iterations=%u\n", memgate_verdict_name(v),
         (unsigned long long)r.elapsed_ns, (unsigned)r.iterations);
  print_tables();
  time_walk();
  return 0;
}
