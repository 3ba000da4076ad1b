/*
 * Scopes: MEM_BEGIN samples the footprint, MEM_END samples it again and
 * reports the difference. Nothing is allocated between the two samples.
 */
#include "sites.h"
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A misuse or a setting that forbids the scope: reports it, returns its code. */
static int begin_refused(memgate__tstate *ts, const char *name, const char *file, int line) {
  const memgate__proc *p = memgate__proc_get();
  char msg[512];
  if (memgate__check_site("MEM_BEGIN", name, file, line, msg, sizeof msg) != 0) {
    memgate__report_error(ts, NULL, MemgateKindScope, name, file, line, file, line, MEMGATE_EINVAL,
                          "%s", msg);
    return MEMGATE_EINVAL;
  }
  if (p->opts_rc != 0) {
    memgate__report_error(ts, NULL, MemgateKindScope, name, file, line, file, line,
                          MEMGATE_ECONFIG, "%s", p->opts_msg);
    return MEMGATE_ECONFIG;
  }
  if (ts->depth >= MEMGATE__MAX_DEPTH) {
    const memgate__frame *o = &ts->frames[0];
    memgate__report_error(ts, NULL, MemgateKindScope, name, file, line, file, line,
                          MEMGATE_EDEPTH, "more than %d nested scopes (outermost '%s' begun at %s:%d)",
                          MEMGATE__MAX_DEPTH, o->name, o->file, o->line);
    return MEMGATE_EDEPTH;
  }
  return 0;
}

static int begin(const char *name, const char *file, int line) {
  memgate__tstate *ts = memgate__tstate_get();
  if (!file) file = "?";
  if (!ts) {
    memgate__report_error(NULL, NULL, MemgateKindScope, name, file, line, file, line,
                          MEMGATE_ENOMEM, "cannot allocate per-thread scope state");
    return MEMGATE_ENOMEM;
  }
  int refused = begin_refused(ts, name, file, line);
  if (refused) return refused;
  const memgate_options *opts = &memgate__proc_get()->opts;
  memgate__frame *f = &ts->frames[ts->depth];
  memgate__sites_scope_reserve(ts->depth);
  memgate__pretouch_stack();
  memgate__copy_str(f->name, sizeof f->name, name);
  memgate__copy_str(f->file, sizeof f->file, file);
  f->line = line;
  f->peak_seen = 0;
  f->pid = (long)getpid();
  /* Fill the allocator cache and release once, then start the peak
   * interval from the trimmed heap and sample without doing either again
   * (nothing is left to give back or top up). */
  memgate__prepare_sample(opts);
  f->peak_ok = opts->peak && memgate__start_peak_interval();
  memgate_options no_release = *opts;
  no_release.release = false;
  no_release.fill_alloc_cache = false;
  f->begin_error = memgate__sample(&no_release, &f->before, false, NULL);
  if (f->begin_error == 0) f->peak_seen = f->before.footprint_bytes;
  memgate__sites_scope_begin(ts->depth);
  memgate__frame_push(ts);
  f->t0 = memgate__now_ns();
  /* An unreadable footprint is reported once, at END, naming both places. */
  return f->begin_error;
}

/* MEM_END with no open scope of that name on this thread. */
static memgate_verdict end_unmatched(memgate__tstate *ts, const char *name, const char *file,
                                     int line, memgate_result *out) {
  char ofile[MEMGATE__FILE_CAP];
  int oline = 0;
  if (memgate__find_open_elsewhere(ts, name, ofile, sizeof ofile, &oline))
    return memgate__report_error(
        ts, out, MemgateKindScope, name, file, line, ofile, oline, MEMGATE_EUNBALANCED,
        "MEM_END(\"%s\") at %s:%d is on a different thread than its MEM_BEGIN at "
        "%s:%d (a scope must end on the thread that began it)",
        name, file, line, ofile, oline);
  if (ts->depth > 0) {
    const memgate__frame *top = &ts->frames[ts->depth - 1];
    return memgate__report_error(ts, out, MemgateKindScope, name, file, line, top->file,
                                 top->line, MEMGATE_EUNBALANCED,
                                 "MEM_END(\"%s\") at %s:%d has no matching MEM_BEGIN; innermost "
                                 "open scope is '%s' begun at %s:%d",
                                 name, file, line, top->name, top->file, top->line);
  }
  return memgate__report_error(ts, out, MemgateKindScope, name, file, line, file, line,
                               MEMGATE_EUNBALANCED,
                               "MEM_END(\"%s\") at %s:%d has no matching MEM_BEGIN (no scope is "
                               "open on this thread)",
                               name, file, line);
}

/* A forked child ending its parent's scope would compare two processes'
 * footprints: an error naming both. The frame is closed in this process. */
static memgate_verdict end_in_other_process(memgate__tstate *ts, memgate__frame *f,
                                            const char *file, int line, memgate_result *out) {
  memgate_result r;
  memgate__result_init(ts, &r, MemgateKindScope, f->name, file, line, f->file, f->line);
  memgate__frame_pop(ts);
  return memgate__result_fail(ts, &r, out, MEMGATE_EUNBALANCED,
                              "MEM_END(\"%s\") at %s:%d runs in process %ld, but its MEM_BEGIN at "
                              "%s:%d ran in process %ld (a scope must end in the process that "
                              "began it)",
                              f->name, file, line, (long)getpid(), f->file, f->line, f->pid);
}

/* The figures of a scope from its two samples. */
static void scope_figures(memgate__tstate *ts, const memgate__frame *f,
                          const memgate_footprint *after, uint64_t unreleased, memgate_result *r) {
  r->before_bytes = f->before.footprint_bytes;
  r->after_bytes = after->footprint_bytes;
  r->retained_bytes = (int64_t)(r->after_bytes - r->before_bytes);
  ts->scope_series[0] = r->before_bytes;
  ts->scope_series[1] = r->after_bytes;
  r->series = ts->scope_series;
  r->series_count = 2;
  r->slope_bytes = (double)r->retained_bytes;
  if (f->peak_ok && (after->valid & MEMGATE_HAS_PEAK)) {
    uint64_t p = memgate__peak_of(after);
    if (f->peak_seen > p) p = f->peak_seen;
    if (unreleased > p) p = unreleased;
    if (r->before_bytes > p) p = r->before_bytes;
    r->peak_bytes = (int64_t)(p - r->before_bytes);
    r->has_peak = true;
  }
  if ((f->before.valid & after->valid & MEMGATE_HAS_HEAP) != 0) {
    r->heap_delta_bytes = (int64_t)(after->heap_bytes - f->before.heap_bytes);
    r->has_heap = true;
    ts->scope_heap_series[0] = f->before.heap_bytes;
    ts->scope_heap_series[1] = after->heap_bytes;
    r->heap_series = ts->scope_heap_series;
    r->heap_slope_bytes = (double)r->heap_delta_bytes;
  }
}

/* Index of the innermost open scope called name on ts, or -1. */
static int find_frame(const memgate__tstate *ts, const char *name) {
  for (int i = ts->depth - 1; i >= 0; i--)
    if (strcmp(ts->frames[i].name, name) == 0) return i;
  return -1;
}

static memgate_verdict end(const char *name, const char *file, int line, memgate_result *out) {
  memgate__tstate *ts = memgate__tstate_get();
  memgate_result r;
  if (!file) file = "?";
  if (!ts)
    return memgate__report_error(NULL, out, MemgateKindScope, name, file, line, file, line,
                                 MEMGATE_ENOMEM, "cannot allocate per-thread scope state");
  if (!name) name = "(null)";
  int idx = find_frame(ts, name);
  if (idx < 0) return end_unmatched(ts, name, file, line, out);
  if (idx != ts->depth - 1) {
    char why[MEMGATE__FILE_CAP + 128];
    memgate__msgf(why, sizeof why, "MEM_END(\"%s\") at %s:%d closed an enclosing scope first",
                  name, file, line);
    memgate__unwind_to(ts, idx + 1, file, line, why);
  }

  memgate__frame *f = &ts->frames[idx];
  if (f->pid != (long)getpid()) return end_in_other_process(ts, f, file, line, out);

  /* The measurement: sample first, bookkeeping after. */
  memgate_footprint after;
  uint64_t unreleased = 0;
  int rc = f->begin_error ? f->begin_error
                          : memgate__sample(&memgate__proc_get()->opts, &after, true, &unreleased);
  uint64_t t1 = memgate__now_ns();

  memgate__result_init(ts, &r, MemgateKindScope, f->name, file, line, f->file, f->line);
  r.elapsed_ns = t1 - f->t0;
  if (rc != 0) {
    memgate__frame_pop(ts);
    return memgate__result_fail(ts, &r, out, rc, "could not read the footprint at %s: %s (%s)",
                                f->begin_error ? "MEM_BEGIN" : "MEM_END", memgate_strerror(rc),
                                memgate_err_name(rc));
  }
  memgate__sites_scope_end(idx);
  scope_figures(ts, f, &after, unreleased, &r);
  memgate__frame_pop(ts);
  r.verdict = MemgateVerdictPass;
  memgate__scope_message(&r, ts->r_msg, sizeof ts->r_msg);
  if (r.retained_bytes > 0 || r.heap_delta_bytes > 0) memgate__sites_note(ts->r_msg, sizeof ts->r_msg);
  memgate_verdict v = memgate__result_finish(ts, &r, out);
  memgate__sites_done();
  return v;
}

int memgate_begin(const char *name, const char *file, int line) {
  if (!memgate__enter()) {
    memgate__refuse_reentry("MEM_BEGIN", name, MemgateKindScope, file, line, NULL);
    return MEMGATE_EREENTRANT;
  }
  memgate__reap_here((uintptr_t)__builtin_frame_address(0)); /* a repeat left by longjmp */
  int rc = begin(name, file, line);
  memgate__leave();
  return rc;
}

memgate_verdict memgate_end(const char *name, const char *file, int line, memgate_result *out) {
  if (!memgate__enter()) return memgate__refuse_reentry("MEM_END", name, MemgateKindScope, file, line, out);
  memgate__reap_here((uintptr_t)__builtin_frame_address(0)); /* a repeat left by longjmp */
  memgate_verdict v = end(name, file, line, out);
  memgate__leave();
  return v;
}
