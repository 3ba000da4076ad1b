/*
 * Delivering a finished result: the result handler and the failure
 * handler (the results line is written before, by result.c).
 */
#include "state.h"

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t g_handler_lock = PTHREAD_MUTEX_INITIALIZER;
static memgate_failure_fn g_fail_fn = memgate_default_failure_handler;
static void *g_fail_ctx;
static memgate_failure_fn g_result_fn;
static void *g_result_ctx;

void memgate_set_failure_handler(memgate_failure_fn fn, void *ctx) {
  pthread_mutex_lock(&g_handler_lock);
  g_fail_fn = fn ? fn : memgate_default_failure_handler;
  g_fail_ctx = fn ? ctx : NULL;
  pthread_mutex_unlock(&g_handler_lock);
}

void memgate_set_result_handler(memgate_failure_fn fn, void *ctx) {
  pthread_mutex_lock(&g_handler_lock);
  g_result_fn = fn;
  g_result_ctx = ctx;
  pthread_mutex_unlock(&g_handler_lock);
}

void memgate_default_failure_handler(const memgate_result *r, void *ctx) {
  (void)ctx;
  /* Under memgate run (MEMGATE_QUIET=1) the command prints each recorded
   * failure once, in its summary; one it could not record is printed here. */
  const memgate__proc *p = memgate__proc_get();
  if (p->quiet && p->results_path && r->error != MEMGATE_ERESULTS) return;
  memgate__fprint_failure(stderr, r->file, r->line, r->name, memgate_verdict_name(r->verdict), r->message);
}

void memgate__deliver(const memgate_result *r) {
  pthread_mutex_lock(&g_handler_lock);
  memgate_failure_fn rfn = g_result_fn, ffn = g_fail_fn;
  void *rctx = g_result_ctx, *fctx = g_fail_ctx;
  pthread_mutex_unlock(&g_handler_lock);
  if (r->verdict != MemgateVerdictPass) memgate__count_failure();
  /* User code: memgate calls are allowed there (the caller holds no lock). */
  bool was = memgate__suspend();
  if (rfn) rfn(r, rctx);
  if (r->verdict != MemgateVerdictPass && ffn) ffn(r, fctx);
  memgate__resume(was);
}
