/*
 * glib_thread_pool - leak-free, GLib: a GThreadPool of 4 threads, started
 * by the first call, runs 16 small jobs per call and the call waits for
 * them. Each job allocates with g_slice (per-thread magazines) and keeps a
 * per-thread scratch GString (GPrivate), so the worker threads' caches warm
 * up late and in steps, and stay bounded (issue 12, class 3).
 */
#include "../rw_case.h"

#include <glib.h>

#define POOL_THREADS 4
#define POOL_JOBS 16

static GThreadPool *rw_pool;
static GMutex rw_lock;
static GCond rw_done_cond;
static unsigned rw_done;
static unsigned rw_round;

/* Each worker's scratch string goes with its thread. */
static void pool_scratch_free(gpointer p) { g_string_free(p, TRUE); }
static GPrivate rw_scratch = G_PRIVATE_INIT(pool_scratch_free);

static void pool_job(gpointer data, gpointer user) {
  unsigned id = GPOINTER_TO_UINT(data);
  gpointer slices[24];
  unsigned i, n = 4 + id % 20;
  GString *scratch = g_private_get(&rw_scratch);

  (void)user;
  if (!scratch) {
    scratch = g_string_sized_new(64);
    g_private_set(&rw_scratch, scratch);
  }
  g_string_printf(scratch, "job %u of round %u", id, rw_round);
  for (i = 0; i < n; i++) slices[i] = g_slice_alloc(16 + 8 * ((id + i) % 32));
  for (i = 0; i < n; i++) g_slice_free1(16 + 8 * ((id + i) % 32), slices[i]);
  g_mutex_lock(&rw_lock);
  rw_done++;
  g_cond_signal(&rw_done_cond);
  g_mutex_unlock(&rw_lock);
}

static void pool_body(void *ctx) {
  unsigned i;

  (void)ctx;
  if (!rw_pool) rw_pool = g_thread_pool_new(pool_job, NULL, POOL_THREADS, FALSE, NULL);
  rw_round++;
  g_mutex_lock(&rw_lock);
  rw_done = 0;
  g_mutex_unlock(&rw_lock);
  for (i = 0; i < POOL_JOBS; i++) g_thread_pool_push(rw_pool, GUINT_TO_POINTER(rw_round * POOL_JOBS + i), NULL);
  g_mutex_lock(&rw_lock);
  while (rw_done < POOL_JOBS) g_cond_wait(&rw_done_cond, &rw_lock);
  g_mutex_unlock(&rw_lock);
}

static void pool_teardown(void) {
  if (rw_pool) g_thread_pool_free(rw_pool, FALSE, TRUE);
  rw_pool = NULL;
}

const rw_case rw_case_glib_thread_pool = {
  "glib_thread_pool", "GLib", "pass", NULL, pool_body, pool_teardown,
};
