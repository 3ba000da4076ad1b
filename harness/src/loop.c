/*
 * MEM_LOOP: a repeat whose body is the block the caller wrote in place.
 * The caller's `for` drives the iterator of repeat.c (the same warm-up,
 * samples, judge and message as MEM_REPEAT): memgate_loop_begin() pushes
 * the run, memgate_loop_next() samples and says whether the block runs
 * again, memgate_loop_end() (the cleanup of the loop variable with gcc and
 * clang) reports a loop left before it finished as misuse.
 */
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static memgate_loop over(memgate_verdict v) {
  memgate_loop l;
  memset(&l, 0, sizeof l);
  l.finished = true;
  l.verdict = v;
  return l;
}

/* The level of the run with this serial on ts, or -1 (already reported). */
static int find_run(const memgate__tstate *ts, uint32_t serial) {
  for (int k = ts->run_depth - 1; k >= 0; k--)
    if (ts->runs[k].serial == serial) return k;
  return -1;
}

static memgate_loop loop_begin(const char *name, uint32_t iterations,
                               const memgate_options *opts, const char *file, int line,
                               uintptr_t frame) {
  memgate__tstate *ts = memgate__tstate_get();
  if (!ts)
    return over(memgate__report_error(NULL, NULL, MemgateKindRepeat, name ? name : "(invalid)",
                                      file, line, file, line, MEMGATE_ENOMEM,
                                      "cannot allocate per-thread state"));
  memgate__reap_abandoned(ts, frame);
  memgate__run *run;
  memgate_verdict v =
      memgate__run_start(ts, "MEM_LOOP", name, iterations, opts, file, line, NULL, &run);
  if (!run) return over(v);
  run->frame = frame;
  memgate_loop l;
  memset(&l, 0, sizeof l);
  l.serial = run->serial;
  l.verdict = MemgateVerdictPass;
  return l;
}

memgate_loop memgate_loop_begin(const char *name, uint32_t iterations,
                                const memgate_options *opts, const char *file, int line) {
  if (!file) file = "?";
  if (!memgate__enter())
    return over(memgate__refuse_reentry("MEM_LOOP", name, MemgateKindRepeat, file, line, NULL));
  memgate_loop l =
      loop_begin(name, iterations, opts, file, line, (uintptr_t)__builtin_frame_address(0));
  memgate__leave();
  return l;
}

/* The loop's run made the innermost one again: runs begun inside its block
 * and left by longjmp or an exception are reported first. NULL when the
 * loop's own run was already reported. */
static memgate__run *loop_run(memgate__tstate *ts, const memgate_loop *loop) {
  int k = find_run(ts, loop->serial);
  if (k < 0) return NULL;
  while (ts->run_depth - 1 > k)
    memgate__run_abandon(ts, MEMGATE__LEFT_BY_JUMP);
  return &ts->runs[k];
}

bool memgate_loop_next(memgate_loop *loop) {
  if (!loop || loop->finished) return false;
  memgate__tstate *ts = memgate__tstate_get();
  if (!ts || !memgate__enter()) {
    loop->finished = true;
    loop->verdict = ts ? memgate__refuse_reentry("MEM_LOOP", "", MemgateKindRepeat, "?", 0, NULL)
                       : MemgateVerdictError;
    return false;
  }
  memgate__run *run = loop_run(ts, loop);
  bool more = run && memgate__run_step(run);
  if (!more) {
    loop->finished = true;
    loop->verdict = run ? memgate__run_finish(ts, run, NULL) : MemgateVerdictError;
  }
  memgate__leave();
  return more;
}

void memgate_loop_end(memgate_loop *loop) {
  if (!loop || loop->finished) return;
  loop->finished = true;
  loop->verdict = MemgateVerdictError;
  memgate__tstate *ts = memgate__tstate_get();
  if (!ts || !memgate__enter()) return;
  if (loop_run(ts, loop))
    memgate__run_abandon(ts, "was left before it finished (break, return, goto or an exception "
                             "out of its block)");
  memgate__leave();
}

bool memgate_last_result(memgate_result *out) {
  memgate__tstate *ts = memgate__tstate_get();
  if (!ts || !ts->has_last) return false;
  if (out) *out = ts->last;
  return true;
}
