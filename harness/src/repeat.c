/*
 * Repeats: run a body for a warm-up, then sample after each measured
 * iteration. The path is measure (no allocation by memgate between the
 * first and the last sample) -> judge (judge.c) -> message (message.c) ->
 * finish (result.c).
 */
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool reserve_series(memgate__tstate *ts, uint32_t count) {
  if (ts->series_cap >= count) return true;
  uint64_t *a = realloc(ts->series, count * sizeof *a);
  if (!a) return false;
  ts->series = a;
  uint64_t *b = realloc(ts->heap_series, count * sizeof *b);
  if (!b) return false;
  ts->heap_series = b;
  ts->series_cap = count;
  /* Touch every page now: a page first written between two samples would
   * show up as growth of the code under test. */
  memset(ts->series, 0, count * sizeof *a);
  memset(ts->heap_series, 0, count * sizeof *b);
  return true;
}

memgate_verdict memgate_repeat(const char *name, uint32_t iterations, memgate_body_fn body,
                               void *ctx, const char *file, int line) {
  return memgate_repeat_opts(name, iterations, body, ctx, NULL, file, line, NULL);
}

/* What one measured run produced, before any judgement. */
typedef struct measured {
  int rc;             /* 0, or the sampler's error */
  uint32_t done;      /* measured iterations completed */
  bool heap_ok;       /* every sample had the allocator view */
  bool peak_ok;       /* the peak interval started after the warm-up */
  bool peak_valid;    /* the last sample carried a peak */
  uint64_t pre;       /* footprint before the warm-up */
  uint64_t peak;      /* highest footprint or peak seen while measured */
  uint64_t t0, t1;    /* monotonic ns around the measured iterations */
} measured;

/* The body is user code: memgate calls are allowed in it. */
static void run_body(memgate_body_fn body, void *ctx) {
  bool was = memgate__suspend();
  body(ctx);
  memgate__resume(was);
}

/* The no-allocation zone: warm-up, then n measured iterations, each
 * followed by a sample into ts->series / ts->heap_series [0..n]. */
static void measure(memgate__tstate *ts, const memgate_options *o, uint32_t n,
                    memgate_body_fn body, void *ctx, measured *m) {
  memgate_footprint pre, s;
  memset(&pre, 0, sizeof pre);
  memset(&s, 0, sizeof s);
  memset(m, 0, sizeof *m);
  memgate__pretouch_stack();
  memgate_options each = *o; /* the sample after each measured iteration */
  each.release = o->release && o->release_iterations;
  m->rc = memgate__sample(o, &pre, false, NULL);
  for (uint32_t w = 0; m->rc == 0 && w < o->warmup; w++) run_body(body, ctx);
  if (m->rc == 0) {
    m->peak_ok = o->peak && memgate__start_peak_interval();
    m->rc = memgate__sample(o, &s, false, NULL);
  }
  m->t0 = memgate__now_ns();
  m->heap_ok = m->rc == 0 && (pre.valid & s.valid & MEMGATE_HAS_HEAP);
  if (m->rc == 0) {
    ts->series[0] = s.footprint_bytes;
    ts->heap_series[0] = s.heap_bytes;
    m->peak = s.footprint_bytes;
    for (uint32_t i = 1; i <= n; i++) {
      run_body(body, ctx);
      /* The peak since the interval began: one full read, at the end, and
       * what each iteration left resident before the release. */
      uint64_t unreleased = 0;
      m->rc = memgate__sample(&each, &s, i == n, &unreleased);
      if (m->rc != 0) break;
      if (unreleased > m->peak) m->peak = unreleased;
      ts->series[i] = s.footprint_bytes;
      ts->heap_series[i] = s.heap_bytes;
      if (!(s.valid & MEMGATE_HAS_HEAP)) m->heap_ok = false;
      if (memgate__peak_of(&s) > m->peak) m->peak = memgate__peak_of(&s);
      m->done = i;
    }
  }
  m->t1 = memgate__now_ns();
  m->pre = pre.footprint_bytes;
  m->peak_valid = (s.valid & MEMGATE_HAS_PEAK) != 0;
}

/* The figures of a completed run. */
static void repeat_figures(memgate__tstate *ts, const measured *m, uint32_t n, memgate_result *r) {
  r->series = ts->series;
  r->series_count = n + 1;
  r->before_bytes = ts->series[0];
  r->after_bytes = ts->series[n];
  r->retained_bytes = (int64_t)(r->after_bytes - r->before_bytes);
  r->warmup_bytes = (int64_t)(ts->series[0] - m->pre);
  if (m->peak_ok && m->peak_valid) {
    r->peak_bytes = (int64_t)(m->peak - r->before_bytes);
    r->has_peak = true;
  }
  if (m->heap_ok) {
    r->heap_series = ts->heap_series;
    r->has_heap = true;
    r->heap_delta_bytes = (int64_t)(ts->heap_series[n] - ts->heap_series[0]);
  }
}

/* Options for this call (opts or the process's), or an error message. */
static int repeat_options(const memgate_options *opts, memgate_options *o, char *msg, size_t cap) {
  const memgate__proc *p = memgate__proc_get();
  if (opts) {
    *o = *opts;
    if (o->iterations == 0) o->iterations = p->opts.iterations;
    return memgate__check_options(o, msg, cap) ? MEMGATE_EINVAL : 0;
  }
  if (p->opts_rc) {
    snprintf(msg, cap, "%s", p->opts_msg);
    return MEMGATE_ECONFIG;
  }
  *o = p->opts;
  return 0;
}

/* A repeat that cannot start: 0, or the error code with its message. */
static int repeat_misuse(const char *name, memgate_body_fn body, const char *file, int line,
                         char *msg, size_t cap) {
  if (memgate__check_site("MEM_REPEAT", name, file, line, msg, cap) != 0) return MEMGATE_EINVAL;
  if (!body) {
    snprintf(msg, cap, "MEM_REPEAT(\"%s\") has no body function", name);
    return MEMGATE_EINVAL;
  }
  return 0;
}

/* n iterations within the limit, and series storage for them. */
static int repeat_storage(memgate__tstate *ts, const char *name, uint32_t n, char *msg,
                          size_t cap) {
  if (n > MEMGATE__MAX_ITERATIONS) {
    snprintf(msg, cap, "MEM_REPEAT(\"%s\", %" PRIu32 "): at most %u iterations", name, n,
             MEMGATE__MAX_ITERATIONS);
    return MEMGATE_EINVAL;
  }
  if (!reserve_series(ts, n + 1)) {
    snprintf(msg, cap, "cannot allocate a series of %" PRIu32 " samples", n + 1);
    return MEMGATE_ENOMEM;
  }
  return 0;
}

static memgate_verdict repeat(const char *name, uint32_t iterations, memgate_body_fn body,
                              void *ctx, const memgate_options *opts, const char *file, int line,
                              memgate_result *out) {
  memgate__tstate *ts = memgate__tstate_get();
  memgate_options o;
  char msg[512];
  if (!file) file = "?";
  if (!ts)
    return memgate__report_error(NULL, out, MemgateKindRepeat, name, file, line, file, line,
                                 MEMGATE_ENOMEM, "cannot allocate per-thread state");
  uint32_t n = 0;
  int err = repeat_misuse(name, body, file, line, msg, sizeof msg);
  if (!err) err = repeat_options(opts, &o, msg, sizeof msg);
  if (!err) {
    n = iterations ? iterations : o.iterations;
    err = repeat_storage(ts, name, n, msg, sizeof msg);
  }
  if (err)
    return memgate__report_error(ts, out, MemgateKindRepeat, name, file, line, file, line, err,
                                 "%s", msg);

  int depth0 = ts->depth;
  long pid0 = (long)getpid();
  measured m;
  measure(ts, &o, n, body, ctx, &m);

  memgate_result r;
  memgate__result_init(ts, &r, MemgateKindRepeat, name, file, line, file, line);
  r.warmup = o.warmup;
  r.iterations = m.done;
  r.elapsed_ns = m.t1 - m.t0;
  if (m.rc != 0)
    return memgate__result_fail(ts, &r, out, m.rc,
                                "could not read the footprint after %" PRIu32 " of %" PRIu32
                                " iterations: %s (%s)",
                                m.done, n, memgate_strerror(m.rc), memgate_err_name(m.rc));
  if (pid0 != (long)getpid())
    return memgate__result_fail(ts, &r, out, MEMGATE_EUNBALANCED,
                                "MEM_REPEAT(\"%s\") began in process %ld and ends in process %ld "
                                "(its body forked and the child went on with the repeat)",
                                name, pid0, (long)getpid());
  repeat_figures(ts, &m, n, &r);
  memgate__repeat_judgement j;
  memgate__judge_repeat(ts->series, m.heap_ok ? ts->heap_series : NULL, n, &o, &j);
  r.slope_bytes = j.fp.slope;
  r.heap_slope_bytes = j.heap.slope;
  if (ts->depth != depth0) {
    const memgate__frame *f = &ts->frames[ts->depth > 0 ? ts->depth - 1 : 0];
    bool left = ts->depth > depth0;
    return memgate__result_fail(ts, &r, out, MEMGATE_EUNBALANCED,
                                "the body of MEM_REPEAT(\"%s\") left scope '%s' (begun at %s:%d) "
                                "open or closed a scope it did not open",
                                name, left ? f->name : "?", left ? f->file : "?",
                                left ? f->line : 0);
  }
  r.verdict = j.verdict;
  memgate__repeat_message(&r, &j, &o, ts->r_msg, sizeof ts->r_msg);
  return memgate__result_finish(ts, &r, out);
}

memgate_verdict memgate_repeat_opts(const char *name, uint32_t iterations, memgate_body_fn body,
                                    void *ctx, const memgate_options *opts, const char *file,
                                    int line, memgate_result *out) {
  if (!memgate__enter())
    return memgate__refuse_reentry("MEM_REPEAT", name, MemgateKindRepeat, file, line, out);
  memgate_verdict v = repeat(name, iterations, body, ctx, opts, file, line, out);
  memgate__leave();
  return v;
}
