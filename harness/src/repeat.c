/*
 * Repeats and loops: run a body for a warm-up, then sample after each
 * measured iteration. One iterator serves both: MEM_REPEAT drives it with
 * its body function (memgate_repeat_opts below), MEM_LOOP with the block
 * the caller wrote (loop.c). The path is start (validate, push the run) ->
 * step (no allocation by memgate between the first and the last sample) ->
 * finish: judge (judge.c) -> message (message.c) -> result (result.c).
 */
#include "sites.h"
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Storage for count samples per view and the judge's scratch, all touched
 * now (a page first written between two samples would show up as growth
 * of the code under test), in pages outside the program's heap (page.c).
 * The old contents are not kept: a new run fills them from the start. */
static bool reserve_series(memgate__run *run, uint32_t count) {
  if (run->series_cap >= count) return true;
  uint64_t **arrays[] = {&run->series, &run->heap_series, &run->scratch};
  uint64_t *fresh[3];
  for (size_t k = 0; k < 3; k++) {
    fresh[k] = memgate__pages_alloc(count * sizeof(uint64_t));
    if (fresh[k] == NULL) {
      while (k-- > 0) memgate__pages_free(fresh[k], count * sizeof(uint64_t));
      return false;
    }
  }
  for (size_t k = 0; k < 3; k++) {
    memgate__pages_free(*arrays[k], run->series_cap * sizeof(uint64_t));
    *arrays[k] = fresh[k];
  }
  run->series_cap = count;
  return true;
}

/* Confirmation rounds: how many iterations at most, besides the n asked. */
static uint32_t confirm_cap(const memgate_options *o, uint32_t n) {
  uint64_t c = o->confirm_iterations;
  if ((uint64_t)n + c > MEMGATE__MAX_ITERATIONS) c = MEMGATE__MAX_ITERATIONS - n;
  return (uint32_t)c;
}

memgate_verdict memgate_repeat(const char *name, uint32_t iterations, memgate_body_fn body,
                               void *ctx, const char *file, int line) {
  return memgate_repeat_opts(name, iterations, body, ctx, NULL, file, line, NULL);
}

/* ---- the iterator ------------------------------------------------------- */

static bool stop(memgate__run *run) {
  run->t1 = memgate__now_ns();
  run->phase = MEMGATE__PHASE_DONE;
  return false;
}

/* The sample after the warm-up: series[0], and the peak interval starts. */
static bool begin_measuring(memgate__run *run) {
  memgate_footprint pre = run->s;
  run->peak_ok = run->o.peak && memgate__start_peak_interval();
  run->rc = memgate__sample(&run->each, &run->s, false, NULL);
  run->t0 = memgate__now_ns();
  if (run->rc != 0) return stop(run);
  run->heap_ok = (pre.valid & run->s.valid & MEMGATE_HAS_HEAP) != 0;
  run->series[0] = run->s.footprint_bytes;
  run->heap_series[0] = run->s.heap_bytes;
  memgate__sites_sample(run, 0);
  run->peak = run->s.footprint_bytes;
  run->phase = MEMGATE__PHASE_MEASURE;
  return true;
}

/* The sample after measured iteration run->i; the peak since the interval
 * began is read once, at the end (one full read), and from what each
 * iteration left resident before the release. */
static bool sample_iteration(memgate__run *run) {
  uint64_t unreleased = 0;
  run->rc = memgate__sample(&run->each, &run->s, run->i == run->total, &unreleased);
  if (run->rc != 0) return false;
  if (unreleased > run->peak) run->peak = unreleased;
  uint32_t i = run->i;
  run->series[i] = run->s.footprint_bytes;
  run->heap_series[i] = run->s.heap_bytes;
  memgate__sites_sample(run, i);
  if (!(run->s.valid & MEMGATE_HAS_HEAP)) run->heap_ok = false;
  if (memgate__peak_of(&run->s) > run->peak) run->peak = memgate__peak_of(&run->s);
  run->done = i;
  return true;
}

/* Growth during confirmation that no bounded cache of a unit test's size
 * reaches: the newest window still leaking past it is a leak. */
#define CONFIRM_ENOUGH_BYTES (UINT64_C(1) << 20)

static bool grew_enough(const uint64_t *s, uint32_t from, uint32_t to) {
  return s[to] > s[from] && s[to] - s[from] >= CONFIRM_ENOUGH_BYTES;
}

/*
 * After the last planned iteration: judge the newest n iterations and, when
 * the verdict is a leak or growth that has not persisted, go on with up to
 * n more (within the count and time budget of the confirmation rounds).
 * A leak is confirmed when its newest window still leaks once the budget
 * is spent or once it grew 1 MiB past the first n; growth that levels off
 * passes. Runs between samples: the judge allocates nothing.
 */
static bool confirm_more(memgate__run *run) {
  uint32_t cap = confirm_cap(&run->o, run->n), extra = run->total - run->n;
  if (extra >= cap || run->n < 3) return false;
  memgate__repeat_judgement j;
  const uint64_t *heap = run->heap_ok ? run->heap_series : NULL;
  memgate__judge_repeat(run->series, heap, run->total, run->n, &run->o, run->scratch, &j);
  if (j.verdict != MemgateVerdictLeak && !j.unconfirmed) return false;
  if (j.verdict == MemgateVerdictLeak &&
      (grew_enough(run->series, run->n, run->total) ||
       (heap && grew_enough(heap, run->n, run->total))))
    return false;
  uint64_t now = memgate__now_ns();
  if (!run->confirm_deadline)
    run->confirm_deadline = now + (uint64_t)run->o.confirm_ms * 1000000u;
  if (now >= run->confirm_deadline) return false;
  run->total += run->n < cap - extra ? run->n : cap - extra;
  return true;
}

bool memgate__run_step(memgate__run *run) {
  switch (run->phase) {
  case MEMGATE__PHASE_START:
    memgate__pretouch_stack();
    memset(&run->s, 0, sizeof run->s);
    run->rc = memgate__sample(&run->o, &run->s, false, NULL);
    run->pre = run->s.footprint_bytes;
    if (run->rc != 0) {
      run->t0 = memgate__now_ns();
      return stop(run);
    }
    run->phase = MEMGATE__PHASE_WARMUP;
    /* fall through */
  case MEMGATE__PHASE_WARMUP:
    if (run->warm < run->o.warmup) {
      run->warm++;
      return true;
    }
    if (!begin_measuring(run)) return false;
    /* fall through */
  case MEMGATE__PHASE_MEASURE:
    if (run->i > 0 && !sample_iteration(run)) return stop(run);
    if (run->i == run->total && !confirm_more(run)) return stop(run);
    run->i++;
    return true;
  case MEMGATE__PHASE_DONE:
  default:
    return false;
  }
}

/* ---- start: options, misuse, storage ------------------------------------ */

/* Options for this call (opts or the process's), or an error message. */
static int run_options(const memgate_options *opts, memgate_options *o, char *msg, size_t cap) {
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

/* n iterations within the limit, a free level, and series storage. */
static int run_storage(memgate__tstate *ts, const char *what, const char *name, uint32_t n,
                       const memgate_options *o, char *msg, size_t cap) {
  if (n > MEMGATE__MAX_ITERATIONS) {
    snprintf(msg, cap, "%s(\"%s\", %" PRIu32 "): at most %u iterations", what, name, n,
             MEMGATE__MAX_ITERATIONS);
    return MEMGATE_EINVAL;
  }
  if (ts->run_depth >= MEMGATE__MAX_RUNS) {
    const memgate__run *outer = &ts->runs[0];
    memgate__msgf(msg, cap, "%s(\"%s\"): more than %d nested repeats and loops (outermost %s(\"%s\") at %s:%d)",
             what, name, MEMGATE__MAX_RUNS, outer->what, outer->name, outer->file, outer->line);
    return MEMGATE_EDEPTH;
  }
  uint32_t count = n + 1 + confirm_cap(o, n);
  if (!reserve_series(&ts->runs[ts->run_depth], count)) {
    snprintf(msg, cap, "cannot allocate a series of %" PRIu32 " samples", count);
    return MEMGATE_ENOMEM;
  }
  memgate__sites_reserve(&ts->runs[ts->run_depth], n + 1); /* the judged window's samples */
  return 0;
}

/* Fills the next level's run (storage reserved) and makes it the innermost. */
static memgate__run *run_push(memgate__tstate *ts, const char *what, const char *name, uint32_t n,
                              const memgate_options *o, const char *file, int line) {
  memgate__run *run = &ts->runs[ts->run_depth++];
  run->serial = ++ts->run_serial ? ts->run_serial : ++ts->run_serial;
  run->phase = MEMGATE__PHASE_START;
  run->what = what;
  memgate__copy_str(run->name, sizeof run->name, name);
  memgate__copy_str(run->file, sizeof run->file, file);
  run->line = line;
  run->o = *o;
  run->each = *o; /* the sample after each measured iteration */
  run->each.release = o->release && o->release_iterations;
  run->n = n;
  run->total = n;
  run->confirm_deadline = 0;
  run->warm = run->i = run->done = 0;
  run->depth0 = ts->depth;
  run->pid0 = (long)getpid();
  run->frame = 0;
  run->rc = 0;
  run->heap_ok = run->peak_ok = false;
  run->pre = run->peak = run->t0 = run->t1 = 0;
  return run;
}

memgate_verdict memgate__run_start(memgate__tstate *ts, const char *what, const char *name,
                                   uint32_t iterations, const memgate_options *opts,
                                   const char *file, int line, memgate_result *out,
                                   memgate__run **run) {
  memgate_options o;
  char msg[512];
  int err = 0;
  uint32_t n = 0;
  *run = NULL;
  if (memgate__check_site(what, name, file, line, msg, sizeof msg) != 0) err = MEMGATE_EINVAL;
  if (!err) err = run_options(opts, &o, msg, sizeof msg);
  if (!err) {
    n = iterations ? iterations : o.iterations;
    err = run_storage(ts, what, name, n, &o, msg, sizeof msg);
  }
  if (err)
    return memgate__report_error(ts, out, MemgateKindRepeat, name, file, line, file, line, err,
                                 "%s", msg);
  *run = run_push(ts, what, name, n, &o, file, line);
  return MemgateVerdictPass;
}

/* ---- finish ------------------------------------------------------------- */

/* The figures of a completed run. */
static void run_figures(const memgate__run *run, memgate_result *r) {
  uint32_t n = run->done;
  r->series = run->series;
  r->series_count = n + 1;
  r->before_bytes = run->series[0];
  r->after_bytes = run->series[n];
  r->retained_bytes = (int64_t)(r->after_bytes - r->before_bytes);
  r->warmup_bytes = (int64_t)(run->series[0] - run->pre);
  if (run->peak_ok && (run->s.valid & MEMGATE_HAS_PEAK)) {
    r->peak_bytes = (int64_t)(run->peak - r->before_bytes);
    r->has_peak = true;
  }
  if (run->heap_ok) {
    r->heap_series = run->heap_series;
    r->has_heap = true;
    r->heap_delta_bytes = (int64_t)(run->heap_series[n] - run->heap_series[0]);
  }
}

static const char *noun(const memgate__run *run) {
  return strcmp(run->what, "MEM_LOOP") == 0 ? "loop" : "repeat";
}

/* A run that produced no series (the sampler failed, or its body forked
 * and the child went on with it): the error code and message, or 0. */
static int run_broken(const memgate__run *run, char *msg, size_t cap) {
  if (run->rc != 0) {
    snprintf(msg, cap,
             "could not read the footprint after %" PRIu32 " of %" PRIu32 " iterations: %s (%s)",
             run->done, run->n, memgate_strerror(run->rc), memgate_err_name(run->rc));
    return run->rc;
  }
  if (run->pid0 != (long)getpid()) {
    snprintf(msg, cap,
             "%s(\"%s\") began in process %ld and ends in process %ld "
             "(its body forked and the child went on with the %s)",
             run->what, run->name, run->pid0, (long)getpid(), noun(run));
    return MEMGATE_EUNBALANCED;
  }
  return 0;
}

/* A body that left a scope open or closed one it did not open: 0 or the code. */
static int run_unbalanced(const memgate__tstate *ts, const memgate__run *run, char *msg,
                          size_t cap) {
  if (ts->depth == run->depth0) return 0;
  const memgate__frame *f = &ts->frames[ts->depth > 0 ? ts->depth - 1 : 0];
  bool left = ts->depth > run->depth0;
  snprintf(msg, cap,
           "the body of %s(\"%s\") left scope '%s' (begun at %s:%d) "
           "open or closed a scope it did not open",
           run->what, run->name, left ? f->name : "?", left ? f->file : "?", left ? f->line : 0);
  return MEMGATE_EUNBALANCED;
}

memgate_verdict memgate__run_finish(memgate__tstate *ts, memgate__run *run, memgate_result *out) {
  memgate_result r;
  char msg[MEMGATE__MSG_CAP];
  ts->run_depth--; /* run stays readable: its level is reused only by the next start */
  memgate__result_init(ts, &r, MemgateKindRepeat, run->name, run->file, run->line, run->file,
                       run->line);
  r.warmup = run->o.warmup;
  r.iterations = run->done;
  r.elapsed_ns = run->t1 - run->t0;
  int err = run_broken(run, msg, sizeof msg);
  if (err) return memgate__result_fail(ts, &r, out, err, "%s", msg);
  run_figures(run, &r);
  memgate__repeat_judgement j;
  uint32_t window = run->done < run->n ? run->done : run->n;
  memgate__judge_repeat(run->series, run->heap_ok ? run->heap_series : NULL, run->done, window,
                        &run->o, run->scratch, &j);
  r.confirm_iterations = j.confirmed;
  r.slope_bytes = j.fp.slope;
  r.heap_slope_bytes = j.heap.slope;
  err = run_unbalanced(ts, run, msg, sizeof msg);
  if (err) return memgate__result_fail(ts, &r, out, err, "%s", msg);
  r.verdict = j.verdict;
  memgate__repeat_message(&r, &j, &run->o, ts->r_msg, sizeof ts->r_msg);
  memgate__sites_rank(run, run->done, window, &run->o);
  if (r.verdict == MemgateVerdictLeak) memgate__sites_note(ts->r_msg, sizeof ts->r_msg);
  memgate_verdict v = memgate__result_finish(ts, &r, out);
  memgate__sites_done();
  return v;
}

/* ---- MEM_REPEAT --------------------------------------------------------- */

/* The body is user code: memgate calls are allowed in it. It runs in
 * frames below this one's, which the run records (jump.c). */
__attribute__((noinline)) static void run_body(memgate__run *run, memgate_body_fn body,
                                               void *ctx) {
  run->frame = (uintptr_t)__builtin_frame_address(0);
  bool was = memgate__suspend();
  body(ctx);
  memgate__resume(was);
}

static memgate_verdict repeat(const char *name, uint32_t iterations, memgate_body_fn body,
                              void *ctx, const memgate_options *opts, const char *file, int line,
                              memgate_result *out, uintptr_t frame) {
  memgate__tstate *ts = memgate__tstate_get();
  if (!file) file = "?";
  memgate__reap_abandoned(ts, frame);
  if (!ts)
    return memgate__report_error(NULL, out, MemgateKindRepeat, name, file, line, file, line,
                                 MEMGATE_ENOMEM, "cannot allocate per-thread state");
  char site[512];
  if (!body && memgate__check_site("MEM_REPEAT", name, file, line, site, sizeof site) == 0)
    return memgate__report_error(ts, out, MemgateKindRepeat, name, file, line, file, line,
                                 MEMGATE_EINVAL, "MEM_REPEAT(\"%s\") has no body function", name);
  memgate__run *run;
  memgate_verdict v = memgate__run_start(ts, "MEM_REPEAT", name, iterations, opts, file, line,
                                         out, &run);
  if (!run) return v;
  while (memgate__run_step(run)) run_body(run, body, ctx);
  return memgate__run_finish(ts, run, out);
}

memgate_verdict memgate_repeat_opts(const char *name, uint32_t iterations, memgate_body_fn body,
                                    void *ctx, const memgate_options *opts, const char *file,
                                    int line, memgate_result *out) {
  if (!memgate__enter())
    return memgate__refuse_reentry("MEM_REPEAT", name, MemgateKindRepeat, file, line, out);
  memgate_verdict v = repeat(name, iterations, body, ctx, opts, file, line, out,
                             (uintptr_t)__builtin_frame_address(0));
  memgate__leave();
  return v;
}
