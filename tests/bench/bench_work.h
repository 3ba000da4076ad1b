/*
 * bench_work.h - the workloads the benchmarks measure, each a memgate body
 * (void (*)(void *ctx)).
 *
 * The common one is "churn": each iteration allocates BENCH_CHURN_BLOCKS
 * blocks of random size (16..4096 bytes), writes them, allocates the leak
 * (if any) in the middle of them, and frees the blocks in random order.
 * The leak is kept in a preallocated array, so it stays reachable (and can
 * be freed at exit) but is never reused.
 */
#ifndef MEMGATE_BENCH_WORK_H
#define MEMGATE_BENCH_WORK_H

#include "bench_util.h"

#include <stddef.h>
#include <stdint.h>

#define BENCH_CHURN_BLOCKS 32
#define BENCH_CHURN_MIN 16
#define BENCH_CHURN_MAX 4096

typedef struct bench_churn {
  bench_rng rng;
  size_t leak_bytes; /* allocated and kept each iteration (0: none) */
  void **kept;       /* leaked blocks */
  size_t nkept, cap; /* cap: iterations this context can run */
} bench_churn;

/* Prepares a churn context for up to cap iterations (the kept array is
 * allocated and touched now, so it never grows while memgate measures).
 * Returns 0 or -1 (out of memory). */
int bench_churn_init(bench_churn *c, uint64_t seed, size_t leak_bytes, size_t cap);
/* Frees the kept blocks and the array. */
void bench_churn_free(bench_churn *c);
/* One iteration. */
void bench_churn_body(void *ctx);

/* ---------------------------------------------------------- leak-free
 * scenarios for the false-positive benchmark. Each keeps its state in
 * statics (one scenario per process). */

typedef enum bench_scenario {
  BENCH_SC_CHURN = 0,    /* random-size churn only */
  BENCH_SC_CACHE,        /* a 1 MiB cache of small entries filled on the first call, then read */
  BENCH_SC_THREAD,       /* a worker thread created on the first call, fixed work per call */
  BENCH_SC_THREAD_CHURN, /* the same worker thread, doing the random-size churn */
  BENCH_SC_VECTOR,       /* a vector grown to a random length, then emptied and shrunk */
  BENCH_SC_ROOM,         /* one visit of the correct live room */
  BENCH_SC_COUNT
} bench_scenario;

/* Short id ("churn", "cache", ...) and a description for the tables. */
const char *bench_scenario_id(bench_scenario s);
const char *bench_scenario_text(bench_scenario s);
/* Parses an id; returns BENCH_SC_COUNT when unknown. */
bench_scenario bench_scenario_parse(const char *id);

/* Prepares the scenario (seeded); returns the body to repeat and its ctx. */
int bench_scenario_setup(bench_scenario s, uint64_t seed, void (**body)(void *), void **ctx);

/* Bytes the 1 MiB cache holds once filled (payload). */
#define BENCH_CACHE_BYTES (1024u * 1024u)

/* A fragmented heap of about 100 MiB: blocks of 16..8192 bytes written
 * until 100 MiB were requested, then two of every three freed, leaving
 * thousands of page-spanning holes that malloc_trim(0) has to walk and
 * madvise on every call. The blocks stay allocated until exit. Returns 0
 * or -1 (out of memory). */
int bench_frag_heap_build(void);

#endif /* MEMGATE_BENCH_WORK_H */
