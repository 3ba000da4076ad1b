/*
 * Process and thread state: one-time initialisation, the per-thread scope
 * stacks, the registry of live threads, and what happens to scopes left
 * open and to repeats and loops left running (found by jump.c and loop.c)
 * when a body is left early, a thread exits or the process finishes.
 *
 * Per-thread state is allocated (and its pages touched) before the first
 * sample of a thread, never between two samples.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "state.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* registry, open-frame count */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_key_ok;
static memgate__tstate *g_threads;
static int g_open_frames; /* across all threads, under g_lock */

static void thread_exit(void *p) {
  memgate__tstate *ts = p;
  memgate__abandon_all(ts, "was still running when its thread exited");
  memgate__unwind_to(ts, 0, NULL, 0, "its thread exited");
  pthread_mutex_lock(&g_lock);
  for (memgate__tstate **pp = &g_threads; *pp; pp = &(*pp)->next)
    if (*pp == ts) {
      *pp = ts->next;
      break;
    }
  pthread_mutex_unlock(&g_lock);
  for (int i = 0; i < MEMGATE__MAX_RUNS; i++) {
    size_t bytes = ts->runs[i].series_cap * sizeof(uint64_t);
    memgate__pages_free(ts->runs[i].series, bytes);
    memgate__pages_free(ts->runs[i].heap_series, bytes);
    memgate__pages_free(ts->runs[i].scratch, bytes);
  }
  memgate__pages_free(ts, sizeof *ts);
}

static void at_exit(void) { (void)memgate_finish(); }

/* The thread-state key and the exit hook, after the process settings (so
 * the hook runs before the baseline writer's, registered by them). */
static void state_once(void) {
  (void)memgate__proc_get();
  g_key_ok = pthread_key_create(&g_key, thread_exit) == 0;
  atexit(at_exit);
}

memgate__tstate *memgate__tstate_get(void) {
  pthread_once(&g_once, state_once);
  if (!g_key_ok) return NULL;
  memgate__tstate *ts = pthread_getspecific(g_key);
  if (ts) return ts;
  ts = memgate__pages_alloc(sizeof *ts); /* zeroed and touched; outside the program's heap */
  if (!ts) return NULL;
  if (pthread_setspecific(g_key, ts) != 0) {
    memgate__pages_free(ts, sizeof *ts);
    return NULL;
  }
  pthread_mutex_lock(&g_lock);
  ts->next = g_threads;
  g_threads = ts;
  pthread_mutex_unlock(&g_lock);
  return ts;
}

void memgate__frame_push(memgate__tstate *ts) {
  pthread_mutex_lock(&g_lock);
  ts->depth++;
  g_open_frames++;
  pthread_mutex_unlock(&g_lock);
}

void memgate__frame_pop(memgate__tstate *ts) {
  pthread_mutex_lock(&g_lock);
  ts->depth--;
  g_open_frames--;
  pthread_mutex_unlock(&g_lock);
}

bool memgate__start_peak_interval(void) {
  pthread_mutex_lock(&g_lock);
  int open = g_open_frames;
  pthread_mutex_unlock(&g_lock);
  if (open > 0) {
    memgate_footprint cur;
    if (memgate_read_full(&cur) == 0) {
      uint64_t p = memgate__peak_of(&cur);
      pthread_mutex_lock(&g_lock);
      for (memgate__tstate *t = g_threads; t; t = t->next)
        for (int i = 0; i < t->depth; i++)
          if (t->frames[i].peak_seen < p) t->frames[i].peak_seen = p;
      pthread_mutex_unlock(&g_lock);
    }
  }
  return memgate__reset_peak() == 0;
}

bool memgate__find_open_elsewhere(const memgate__tstate *self, const char *name, char *file,
                                  size_t cap, int *line) {
  bool found = false;
  pthread_mutex_lock(&g_lock);
  for (memgate__tstate *t = g_threads; t && !found; t = t->next) {
    if (t == self) continue;
    for (int i = t->depth - 1; i >= 0 && !found; i--)
      if (strcmp(t->frames[i].name, name) == 0) {
        memgate__copy_str(file, cap, t->frames[i].file);
        *line = t->frames[i].line;
        found = true;
      }
  }
  pthread_mutex_unlock(&g_lock);
  return found;
}

void memgate__unwind_to(memgate__tstate *ts, int keep, const char *why_file, int why_line,
                        const char *why) {
  while (ts->depth > keep) {
    memgate__frame *f = &ts->frames[ts->depth - 1];
    char name[MEMGATE__NAME_CAP], bfile[MEMGATE__FILE_CAP];
    int bline = f->line;
    memgate__copy_str(name, sizeof name, f->name);
    memgate__copy_str(bfile, sizeof bfile, f->file);
    memgate__frame_pop(ts);
    memgate__report_error(ts, NULL, MemgateKindScope, name, why_file ? why_file : bfile,
                          why_file ? why_line : bline, bfile, bline, MEMGATE_EUNBALANCED,
                          "scope '%s' begun at %s:%d was never ended (%s)", name, bfile, bline,
                          why);
  }
}

/* Takes the top open frame of a thread other than self off its stack and
 * copies its name and place; false when there is none. */
static bool take_open_elsewhere(const memgate__tstate *self, char *name, char *bfile, int *bline) {
  bool found = false;
  pthread_mutex_lock(&g_lock);
  for (memgate__tstate *t = g_threads; t && !found; t = t->next) {
    if (t == self || t->depth == 0) continue;
    memgate__frame *f = &t->frames[t->depth - 1];
    memgate__copy_str(name, MEMGATE__NAME_CAP, f->name);
    memgate__copy_str(bfile, MEMGATE__FILE_CAP, f->file);
    *bline = f->line;
    t->depth--;
    g_open_frames--;
    found = true;
  }
  pthread_mutex_unlock(&g_lock);
  return found;
}

unsigned memgate_finish(void) {
  if (!memgate__enter()) {
    (void)memgate__refuse_reentry("memgate_finish", "", MemgateKindScope, "?", 0, NULL);
    return memgate_failure_count();
  }
  /* Other threads' scopes: report them from here (their frames stay until
   * those threads end them or exit, so take them off under the lock). */
  memgate__tstate *self = g_key_ok ? pthread_getspecific(g_key) : NULL;
  memgate__abandon_all(self, "was still running when memgate_finish() or exit was reached");
  if (self) memgate__unwind_to(self, 0, NULL, 0, "memgate_finish() or exit reached");
  char name[MEMGATE__NAME_CAP], bfile[MEMGATE__FILE_CAP];
  int bline = 0;
  while (take_open_elsewhere(self, name, bfile, &bline))
    memgate__report_error(self, NULL, MemgateKindScope, name, bfile, bline, bfile, bline,
                          MEMGATE_EUNBALANCED,
                          "scope '%s' begun at %s:%d on another thread was never ended", name,
                          bfile, bline);
  memgate__leave();
  return memgate_failure_count();
}

/* Touches the stack below the caller before its first sample. The sampler
 * and END path use more stack than BEGIN (an 8 KiB read buffer, result
 * formatting); a stack page first touched between two samples would show up
 * as retained memory of the code under test. */
#define MEMGATE__STACK_PRETOUCH (64 * 1024)
__attribute__((noinline)) void memgate__pretouch_stack(void) {
  volatile char pad[MEMGATE__STACK_PRETOUCH];
  for (size_t i = 0; i < sizeof pad; i += 512) pad[i] = 0;
  __asm__ __volatile__("" : : "r"(pad) : "memory");
}

/* ---- runs left before they finished (found by jump.c, loop.c) ---------- */

/* Where the run stood when it was left, for the message. */
static void progress(const memgate__run *run, char *buf, size_t cap) {
  if (run->phase == MEMGATE__PHASE_MEASURE || run->phase == MEMGATE__PHASE_DONE)
    snprintf(buf, cap, "in measured iteration %" PRIu32 " of %" PRIu32, run->i, run->n);
  else if (run->warm > 0)
    snprintf(buf, cap, "in warm-up iteration %" PRIu32 " of %" PRIu32, run->warm, run->o.warmup);
  else
    snprintf(buf, cap, "before its first iteration");
}

void memgate__run_abandon(memgate__tstate *ts, const char *why) {
  if (ts->run_depth <= 0) return;
  memgate__run *run = &ts->runs[ts->run_depth - 1];
  char where[96];
  progress(run, where, sizeof where);
  /* Scopes its body opened and never ended: their own error results. */
  memgate__unwind_to(ts, run->depth0, run->file, run->line, "its repeat or loop was left");
  ts->run_depth--;
  memgate__report_error(ts, NULL, MemgateKindRepeat, run->name, run->file, run->line, run->file,
                        run->line, MEMGATE_EABANDONED, "%s(\"%s\") %s %s: no verdict", run->what,
                        run->name, why, where);
}

void memgate__abandon_all(memgate__tstate *ts, const char *why) {
  while (ts && ts->run_depth > 0) memgate__run_abandon(ts, why);
}
