/*
 * The one-line messages of measured scopes and repeats (after the last
 * sample; nothing here is on the measured path).
 */
#include "state.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

static void signed_bytes(char *buf, size_t cap, int64_t v) { memgate__bytes(buf, cap, v, true); }

void memgate__scope_message(const memgate_result *r, char *msg, size_t cap) {
  char ret[32], peak[32], heap[32];
  signed_bytes(ret, sizeof ret, r->retained_bytes);
  signed_bytes(peak, sizeof peak, r->peak_bytes);
  signed_bytes(heap, sizeof heap, r->heap_delta_bytes);
  memgate__msgf(msg, cap, "retained %s (footprint %" PRIu64 " -> %" PRIu64 " bytes)%s%s%s%s", ret,
                r->before_bytes, r->after_bytes, r->has_peak ? ", peak " : "",
                r->has_peak ? peak : "", r->has_heap ? ", heap " : "", r->has_heap ? heap : "");
}

/* "(grew every iteration)", "(steady trend)", "(the same +112 B step in 9 of 10 iterations)". */
static void rule_how(const memgate__repeat_judgement *j, uint32_t n, char *how, size_t cap) {
  if (j->rule == MemgateRuleRegular) {
    char step[32];
    signed_bytes(step, sizeof step, (int64_t)j->heap.step_bytes);
    memgate__msgf(how, cap, "(the same %s step in %" PRIu32 " of %" PRIu32 " iterations)", step,
                  j->heap.step_count, n);
  } else {
    memgate__msgf(how, cap, "%s",
                  j->rule == MemgateRuleMonotone ? "(grew every iteration)" : "(steady trend)");
  }
}

static void leak_message(const memgate_result *r, const memgate__repeat_judgement *j,
                         const memgate_options *o, char *msg, size_t cap) {
  char per[32], tot[32], hper[32], htot[32], how[96];
  uint32_t n = r->iterations;
  signed_bytes(per, sizeof per, (int64_t)llround(j->fp.slope));
  signed_bytes(tot, sizeof tot, r->retained_bytes);
  signed_bytes(hper, sizeof hper, (int64_t)llround(j->heap.slope));
  signed_bytes(htot, sizeof htot, r->heap_delta_bytes);
  const char *by = j->fp.leak && j->heap.leak ? "footprint and heap"
                   : j->fp.leak               ? "footprint"
                                              : "heap";
  char confirmed[96] = "";
  rule_how(j, j->window, how, sizeof how);
  if (j->confirmed)
    memgate__msgf(confirmed, sizeof confirmed,
                  "; still growing in the newest %" PRIu32 " after %" PRIu32 " confirmation iterations",
                  j->window, j->confirmed);
  memgate__msgf(msg, cap,
                "memory keeps growing: %s per iteration (%s over %" PRIu32
                " iterations after %u warm-up)%s%s%s%s; detected by %s %s%s",
                j->fp.leak ? per : hper, j->fp.leak ? tot : htot, n, (unsigned)o->warmup,
                r->has_heap ? ", heap " : "", r->has_heap ? hper : "",
                r->has_heap ? " per iteration, " : "", r->has_heap ? htot : "", by, how, confirmed);
}

/* Growth that levelled off during confirmation, or that did not persist
 * and could not be confirmed: a pass that says what it saw. */
static void settled_message(const memgate_result *r, const memgate__repeat_judgement *j,
                            const memgate_options *o, char *msg, size_t cap) {
  char tot[32], htot[32], heap[48] = "";
  signed_bytes(tot, sizeof tot, r->retained_bytes);
  signed_bytes(htot, sizeof htot, r->heap_delta_bytes);
  if (r->has_heap) memgate__msgf(heap, sizeof heap, ", heap %s", htot);
  uint32_t flat = j->flat < j->heap_flat || !r->has_heap ? j->flat : j->heap_flat;
  if (j->bounded && flat == 0)
    memgate__msgf(msg, cap,
                  "no persistent growth in the newest %" PRIu32 " iterations: footprint %s%s over %" PRIu32
                  " iterations (%" PRIu32 " confirmation iterations run)",
                  j->window, tot, heap, r->iterations, j->confirmed);
  else if (j->bounded)
    memgate__msgf(msg, cap,
                  "bounded growth: footprint %s%s over %" PRIu32 " iterations, then flat for the "
                  "last %" PRIu32 " (%" PRIu32 " confirmation iterations run)",
                  tot, heap, r->iterations, flat, j->confirmed);
  else
    memgate__msgf(msg, cap,
                  "growth that did not persist: footprint %s%s over %" PRIu32 " iterations, not "
                  "confirmed (confirmation %s: %" PRIu32 " iterations run of at most %" PRIu32
                  ", %" PRIu32 " ms)",
                  tot, heap, r->iterations, o->confirm_iterations ? "budget spent" : "off",
                  j->confirmed, o->confirm_iterations, o->confirm_ms);
}

/* Says when small leaks could not have been seen with these settings. */
static void blind_note(const memgate_result *r, const memgate_options *o, char *note, size_t cap) {
  note[0] = '\0';
  if (!o->alloc_cache_active || !r->has_heap) return;
#ifdef __APPLE__
  /* libmalloc's magazines keep freed blocks counted and cannot be filled:
   * below heap_min_slope only the regular-step rule sees a leak. */
  char below[32];
  memgate__bytes(below, sizeof below, (int64_t)o->heap_min_slope_bytes, false);
  if (o->heap_regular_steps == 0 || r->iterations < o->heap_regular_steps)
    memgate__msgf(note, cap, "; allocator caches on: leaks below %s per iteration need %" PRIu32
                             " or more measured iterations (MEMGATE_HEAP_REGULAR) to be seen",
                  below, o->heap_regular_steps ? o->heap_regular_steps : 8u);
  return;
#endif
  if (!o->fill_alloc_cache || o->heap_regular_steps == 0)
    memgate__msgf(note, cap, "; glibc per-thread cache on and not filled: leaks below ~1 KiB "
                             "per iteration need `memgate run` to be seen");
  else if (r->iterations < o->heap_regular_steps)
    memgate__msgf(note, cap, "; leaks below ~1 KiB per iteration need %" PRIu32 " or more "
                             "measured iterations to be seen", o->heap_regular_steps);
}

static void pass_message(const memgate_result *r, const memgate__repeat_judgement *j,
                         const memgate_options *o, char *msg, size_t cap) {
  char per[32], tot[32], htot[32], wu[32], note[160];
  signed_bytes(per, sizeof per, (int64_t)llround(j->fp.slope));
  signed_bytes(tot, sizeof tot, r->retained_bytes);
  signed_bytes(htot, sizeof htot, r->heap_delta_bytes);
  signed_bytes(wu, sizeof wu, r->warmup_bytes);
  blind_note(r, o, note, sizeof note);
  memgate__msgf(msg, cap,
                "no persistent growth over %" PRIu32 " iterations: footprint %s (%s per "
                "iteration)%s%s; warm-up %s%s",
                r->iterations, tot, per, r->has_heap ? ", heap " : "", r->has_heap ? htot : "", wu,
                note);
}

void memgate__repeat_message(const memgate_result *r, const memgate__repeat_judgement *j,
                             const memgate_options *o, char *msg, size_t cap) {
  uint32_t n = r->iterations;
  if (j->too_short) {
    char tot[32];
    signed_bytes(tot, sizeof tot, r->retained_bytes);
    memgate__msgf(msg, cap,
                  "%" PRIu32 " measured iteration%s cannot show persistent growth (need 3 or "
                  "more); footprint %s",
                  n, n == 1 ? "" : "s", tot);
  } else if (j->verdict == MemgateVerdictLeak) {
    leak_message(r, j, o, msg, cap);
  } else if (j->bounded || j->unconfirmed) {
    settled_message(r, j, o, msg, cap);
  } else {
    pass_message(r, j, o, msg, cap);
  }
}
