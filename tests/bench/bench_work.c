/*
 * bench_work.c - see bench_work.h.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "bench_work.h"

#include "live_room.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(const char *what) {
  fprintf(stderr, "bench: out of memory (%s)\n", what);
  exit(3);
}

/* ----------------------------------------------------------------- churn */

int bench_churn_init(bench_churn *c, uint64_t seed, size_t leak_bytes, size_t cap) {
  memset(c, 0, sizeof *c);
  bench_rng_seed(&c->rng, seed);
  c->leak_bytes = leak_bytes;
  c->cap = leak_bytes ? cap : 0;
  if (c->cap) {
    c->kept = malloc(c->cap * sizeof *c->kept);
    if (!c->kept) return -1;
    memset(c->kept, 0, c->cap * sizeof *c->kept); /* touch now, not while measured */
  }
  return 0;
}

void bench_churn_free(bench_churn *c) {
  for (size_t i = 0; i < c->nkept; i++) free(c->kept[i]);
  free(c->kept);
  c->kept = NULL;
  c->nkept = 0;
}

void bench_churn_body(void *ctx) {
  bench_churn *c = ctx;
  unsigned char *blk[BENCH_CHURN_BLOCKS];
  size_t order[BENCH_CHURN_BLOCKS];

  for (size_t i = 0; i < BENCH_CHURN_BLOCKS; i++) {
    if (i == BENCH_CHURN_BLOCKS / 2 && c->leak_bytes && c->nkept < c->cap) {
      unsigned char *p = malloc(c->leak_bytes);
      if (!p) die_oom("leak");
      memset(p, 0xa5, c->leak_bytes);
      c->kept[c->nkept++] = p;
    }
    size_t sz = bench_rng_range(&c->rng, BENCH_CHURN_MIN, BENCH_CHURN_MAX);
    blk[i] = malloc(sz);
    if (!blk[i]) die_oom("churn");
    memset(blk[i], (int)(0x41u + i), sz);
    order[i] = i;
  }
  /* Free in a random order (Fisher-Yates). */
  for (size_t i = BENCH_CHURN_BLOCKS - 1; i > 0; i--) {
    size_t j = bench_rng_range(&c->rng, 0, i);
    size_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (size_t i = 0; i < BENCH_CHURN_BLOCKS; i++) free(blk[order[i]]);
}

/* ------------------------------------------------------------ scenarios */

static const struct {
  const char *id;
  const char *text;
} k_scenarios[BENCH_SC_COUNT] = {
    {"churn", "random-size churn (32 blocks of 16..4096 B per iteration, freed in random order)"},
    {"cache", "a 1 MiB cache of 64..448 B entries filled on the first call; later calls read "
              "64 random entries"},
    {"thread", "a worker thread created on the first call; each call it allocates, writes and "
               "frees the same 32 blocks (16..4096 B) in its own arena"},
    {"thread-churn", "the same lazily created worker thread, running the random-size churn"},
    {"vector", "a vector of 8 B items pushed to a random length (1..262144, growing by "
               "doubling realloc), then emptied and shrunk to 16 items"},
    {"room", "the correct live room: enter, chat, send a gift, leave (examples/live_room)"},
};

const char *bench_scenario_id(bench_scenario s) {
  return s < BENCH_SC_COUNT ? k_scenarios[s].id : "?";
}

const char *bench_scenario_text(bench_scenario s) {
  return s < BENCH_SC_COUNT ? k_scenarios[s].text : "?";
}

bench_scenario bench_scenario_parse(const char *id) {
  for (int s = 0; s < BENCH_SC_COUNT; s++)
    if (strcmp(id, k_scenarios[s].id) == 0) return (bench_scenario)s;
  return BENCH_SC_COUNT;
}

/* churn alone */
static bench_churn g_churn;

/* cache filled once */
static struct {
  void **entries;
  size_t n;
  bool filled;
} g_cache;

static volatile unsigned g_cache_sink;

static void cache_body(void *ctx) {
  bench_churn *c = ctx;
  if (!g_cache.filled) {
    size_t cap = BENCH_CACHE_BYTES / 64 + 1, total = 0;
    g_cache.entries = malloc(cap * sizeof *g_cache.entries);
    if (!g_cache.entries) die_oom("cache");
    while (total < BENCH_CACHE_BYTES && g_cache.n < cap) {
      size_t sz = bench_rng_range(&c->rng, 64, 448);
      unsigned char *e = malloc(sz);
      if (!e) die_oom("cache entry");
      memset(e, 0x5a, sz);
      g_cache.entries[g_cache.n++] = e;
      total += sz;
    }
    g_cache.filled = true;
  }
  unsigned sum = 0;
  for (int i = 0; i < 64; i++) {
    const unsigned char *e = g_cache.entries[bench_rng_range(&c->rng, 0, g_cache.n - 1)];
    sum += e[0];
  }
  g_cache_sink = sum;
}

/* lazily created worker thread */
static pthread_mutex_t g_worker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_worker_cv = PTHREAD_COND_INITIALIZER;
static struct {
  bool started, job, done; /* guarded by g_worker_lock (started: main thread only) */
  bool churn_mode;         /* random-size churn (true) or the fixed work (false) */
  bench_churn churn;       /* used by the worker only */
  pthread_t tid;
} g_worker;

/* The worker's fixed work: the same 32 sizes every call. */
static void fixed_work(void) {
  unsigned char *blk[BENCH_CHURN_BLOCKS];
  for (size_t i = 0; i < BENCH_CHURN_BLOCKS; i++) {
    size_t sz = BENCH_CHURN_MIN + (i * 2654435761u) % (BENCH_CHURN_MAX - BENCH_CHURN_MIN + 1);
    blk[i] = malloc(sz);
    if (!blk[i]) die_oom("thread work");
    memset(blk[i], (int)(0x61u + i), sz);
  }
  for (size_t i = 0; i < BENCH_CHURN_BLOCKS; i++) free(blk[(i * 7u) % BENCH_CHURN_BLOCKS]);
}

static void *worker_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g_worker_lock);
  for (;;) {
    while (!g_worker.job) pthread_cond_wait(&g_worker_cv, &g_worker_lock);
    g_worker.job = false;
    pthread_mutex_unlock(&g_worker_lock);
    if (g_worker.churn_mode)
      bench_churn_body(&g_worker.churn);
    else
      fixed_work();
    pthread_mutex_lock(&g_worker_lock);
    g_worker.done = true;
    pthread_cond_broadcast(&g_worker_cv);
  }
  return NULL;
}

static void thread_body(void *ctx) {
  (void)ctx;
  if (!g_worker.started) {
    if (pthread_create(&g_worker.tid, NULL, worker_main, NULL) != 0) die_oom("thread");
    pthread_detach(g_worker.tid);
    g_worker.started = true;
  }
  pthread_mutex_lock(&g_worker_lock);
  g_worker.done = false;
  g_worker.job = true;
  pthread_cond_broadcast(&g_worker_cv);
  while (!g_worker.done) pthread_cond_wait(&g_worker_cv, &g_worker_lock);
  pthread_mutex_unlock(&g_worker_lock);
}

/* growing-then-shrinking vector */
static struct {
  uint64_t *data;
  size_t len, cap;
  bench_rng rng;
  volatile uint64_t sink;
} g_vec;

static void vector_body(void *ctx) {
  (void)ctx;
  size_t target = bench_rng_range(&g_vec.rng, 1, (size_t)1 << 18);
  for (size_t i = 0; i < target; i++) {
    if (g_vec.len == g_vec.cap) {
      size_t ncap = g_vec.cap ? g_vec.cap * 2 : 16;
      uint64_t *nd = realloc(g_vec.data, ncap * sizeof *nd);
      if (!nd) die_oom("vector");
      g_vec.data = nd;
      g_vec.cap = ncap;
    }
    g_vec.data[g_vec.len++] = i * 2654435761u;
  }
  uint64_t sum = 0;
  while (g_vec.len > 0) sum += g_vec.data[--g_vec.len];
  g_vec.sink = sum;
  if (g_vec.cap > 16) {
    uint64_t *nd = realloc(g_vec.data, 16 * sizeof *nd);
    if (nd) {
      g_vec.data = nd;
      g_vec.cap = 16;
    }
  }
}

/* correct live room */
static live_room_config g_room;

int bench_scenario_setup(bench_scenario s, uint64_t seed, void (**body)(void *), void **ctx) {
  *ctx = NULL;
  switch (s) {
  case BENCH_SC_CHURN:
    if (bench_churn_init(&g_churn, seed, 0, 0)) return -1;
    *body = bench_churn_body;
    *ctx = &g_churn;
    return 0;
  case BENCH_SC_CACHE:
    if (bench_churn_init(&g_churn, seed, 0, 0)) return -1;
    *body = cache_body;
    *ctx = &g_churn;
    return 0;
  case BENCH_SC_THREAD:
  case BENCH_SC_THREAD_CHURN:
    if (bench_churn_init(&g_worker.churn, seed, 0, 0)) return -1;
    g_worker.churn_mode = s == BENCH_SC_THREAD_CHURN;
    *body = thread_body;
    return 0;
  case BENCH_SC_VECTOR:
    bench_rng_seed(&g_vec.rng, seed);
    *body = vector_body;
    return 0;
  case BENCH_SC_ROOM:
    live_room_config_init(&g_room);
    g_room.buggy = false;
    *body = live_room_visit;
    *ctx = &g_room;
    return 0;
  case BENCH_SC_COUNT:
    break;
  }
  return -1;
}

/* ------------------------------------------------------- fragmented heap */

#define FRAG_BYTES (100u * 1024u * 1024u)

int bench_frag_heap_build(void) {
  static void **frag;
  bench_rng rng;
  bench_rng_seed(&rng, 42);
  size_t cap = FRAG_BYTES / 16 + 1, total = 0, n = 0;
  frag = malloc(cap * sizeof *frag);
  if (!frag) return -1;
  while (total < FRAG_BYTES) {
    size_t sz = bench_rng_range(&rng, 16, 8192);
    unsigned char *p = malloc(sz);
    if (!p) return -1;
    memset(p, 0x33, sz);
    frag[n++] = p;
    total += sz;
  }
  for (size_t i = 0; i < n; i++)
    if (i % 3 != 0) {
      free(frag[i]);
      frag[i] = NULL;
    }
  return 0;
}
