/*
 * Options: the measured defaults, the MEMGATE_* environment variables that
 * override them, and the check of options a caller passes in.
 */
#include "state.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char config_error[512];

void memgate__config_fail(const char *var, const char *val, const char *want) {
  memgate__msgf(config_error, sizeof config_error, "memgate: %s=\"%.64s\": %s", var, val, want);
}

const char *memgate_config_error(void) { return config_error; }

/* Parses a decimal unsigned integer in [lo, hi]; returns false on error. */
static bool parse_u64_in(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  if (!s || !*s) return false;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10u) return false;
    v = v * 10u + d;
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* One environment variable: where it goes and what it may hold. */
typedef enum env_type { ENV_U32, ENV_U64, ENV_BOOL, ENV_DOUBLE } env_type;
typedef struct env_opt {
  const char *var;
  env_type type;
  uint64_t lo, hi;
  size_t offset; /* of the field in memgate_options */
} env_opt;

#define MAXI MEMGATE__MAX_ITERATIONS
#define MAXB (UINT64_C(1) << 50)
#define AT(field) offsetof(memgate_options, field)
static const env_opt env_opts[] = {
    {"MEMGATE_WARMUP", ENV_U32, 0, MAXI, AT(warmup)},
    {"MEMGATE_ITERATIONS", ENV_U32, 1, MAXI, AT(iterations)},
    {"MEMGATE_MIN_GROWTH", ENV_U64, 0, MAXB, AT(min_growth_bytes)},
    {"MEMGATE_MIN_SLOPE", ENV_U64, 0, MAXB, AT(min_slope_bytes)},
    {"MEMGATE_HEAP_MIN_GROWTH", ENV_U64, 0, MAXB, AT(heap_min_growth_bytes)},
    {"MEMGATE_HEAP_MIN_SLOPE", ENV_U64, 0, MAXB, AT(heap_min_slope_bytes)},
    {"MEMGATE_TREND_T", ENV_DOUBLE, 1, 1000000, AT(trend_t)},
    {"MEMGATE_HEAP_REGULAR", ENV_U32, 0, MAXI, AT(heap_regular_steps)},
    {"MEMGATE_SETTLE_MS", ENV_U32, 0, 60000, AT(settle_ms)},
    {"MEMGATE_RELEASE", ENV_BOOL, 0, 1, AT(release)},
    {"MEMGATE_FILL_CACHE", ENV_BOOL, 0, 1, AT(fill_alloc_cache)},
    {"MEMGATE_PEAK", ENV_BOOL, 0, 1, AT(peak)},
    {"MEMGATE_RELEASE_ITERATIONS", ENV_BOOL, 0, 1, AT(release_iterations)},
    {"MEMGATE_CONFIRM", ENV_U32, 0, MAXI, AT(confirm_iterations)},
    {"MEMGATE_CONFIRM_MS", ENV_U32, 0, 600000, AT(confirm_ms)},
};
#undef AT
#undef MAXB
#undef MAXI

static void env_store(const env_opt *e, memgate_options *o, uint64_t v) {
  char *field = (char *)o + e->offset;
  switch (e->type) {
  case ENV_U32: *(uint32_t *)(void *)field = (uint32_t)v; break;
  case ENV_U64: *(uint64_t *)(void *)field = v; break;
  case ENV_BOOL: *(bool *)(void *)field = v != 0; break;
  case ENV_DOUBLE: *(double *)(void *)field = (double)v; break;
  }
}

/* Applies one variable when set; MEMGATE_ECONFIG (field untouched) when bad. */
static int env_apply(const env_opt *e, memgate_options *o) {
  const char *s = getenv(e->var);
  uint64_t v;
  if (!s) return 0;
  if (!parse_u64_in(s, e->lo, e->hi, &v)) {
    char want[128];
    memgate__msgf(want, sizeof want, "expected a whole number from %" PRIu64 " to %" PRIu64,
                  e->lo, e->hi);
    memgate__config_fail(e->var, s, want);
    return MEMGATE_ECONFIG;
  }
  env_store(e, o, v);
  return 0;
}

void memgate__platform_facts_get(memgate__platform_facts *out) {
  memset(out, 0, sizeof *out);
  out->page_bytes = memgate__page_size();
  out->alloc_kept_bytes = memgate__platform_alloc_kept_bytes();
  if (out->alloc_kept_bytes > 0)
    out->alloc = MEMGATE__ALLOC_MAGAZINE;
  else if (memgate__platform_alloc_cache_active())
    out->alloc = MEMGATE__ALLOC_THREAD_CACHE;
  out->alloc_cache_fillable = memgate__platform_alloc_cache_fillable();
}

/* n rounded up to a whole number of pages. */
static uint64_t whole_pages(uint64_t n, uint64_t page) { return (n + page - 1) / page * page; }

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Minimum footprint growth of the footprint rule, before rounding up to a
 * page: 10 pages of 4 KiB, where it was calibrated. glibc's own creep
 * (main-heap fragmentation, a worker arena's top that malloc_trim never
 * returns) reached 7 pages in one check. In bytes, so 16 KiB pages make it
 * 48 KiB rather than 160 KiB. */
#define MIN_GROWTH_BYTES 40960u

/* Defaults chosen from measurement (docs/BENCHMARKS.md, False positives and
 * Detection power; docs/DESIGN.md section 4). With the allocator's
 * per-thread cache on, the measuring thread's cache is filled before each
 * sample, but other threads' caches keep growing for hundreds of
 * iterations: hence the longer warm-up and coarser allocator thresholds for
 * the monotone and trend rules (the regular-step rule is immune).
 *
 * Darwin's magazines (MEMGATE__ALLOC_MAGAZINE) are treated the same way,
 * and in addition the allocator view's monotone and trend rules need more
 * per iteration than one magazine can keep counted (its last freed tiny,
 * small and medium block), rounded up to a page: a thread that frees into
 * another magazine each iteration can add that much without a leak. Not
 * measured on a Mac (docs/DESIGN.md section 7). */
void memgate__defaults_for(const memgate__platform_facts *f, memgate_options *o) {
  uint64_t page = f->page_bytes ? f->page_bytes : 4096u;
  bool cached = f->alloc != MEMGATE__ALLOC_EXACT;
  memset(o, 0, sizeof *o);
  o->alloc_cache_active = cached;
  o->fill_alloc_cache = f->alloc == MEMGATE__ALLOC_THREAD_CACHE && f->alloc_cache_fillable;
  o->warmup = cached ? 20 : 2;
  o->iterations = 10;
  o->min_growth_bytes = whole_pages(MIN_GROWTH_BYTES, page);
  o->min_slope_bytes = 1024;
  o->heap_min_growth_bytes = cached ? 3 * page : 64;
  o->heap_min_slope_bytes = cached ? 1024 : 8;
  if (f->alloc == MEMGATE__ALLOC_MAGAZINE) {
    uint64_t above = whole_pages(f->alloc_kept_bytes + 1, page);
    o->heap_min_growth_bytes = max_u64(o->heap_min_growth_bytes, above);
    o->heap_min_slope_bytes = max_u64(o->heap_min_slope_bytes, above);
  }
  o->trend_t = 10.0;
  o->heap_regular_steps = 8;
  o->settle_ms = 0;
  o->release = true;
  o->peak = true;
  o->release_iterations = false;
  o->confirm_iterations = 3000;
  o->confirm_ms = 5000;
}

int memgate_options_init(memgate_options *opts) {
  if (!opts) return MEMGATE_EINVAL;
  memgate_options o;
  memgate__platform_facts facts;
  int rc = 0;
  memgate__platform_facts_get(&facts);
  memgate__defaults_for(&facts, &o);
  for (size_t i = 0; i < sizeof env_opts / sizeof env_opts[0]; i++)
    if (env_apply(&env_opts[i], &o)) rc = MEMGATE_ECONFIG;
  *opts = o;
  return rc;
}

int memgate__check_options(const memgate_options *o, char *msg, size_t cap) {
  if (o->iterations == 0 || o->iterations > MEMGATE__MAX_ITERATIONS ||
      o->warmup > MEMGATE__MAX_ITERATIONS) {
    snprintf(msg, cap, "invalid options: iterations must be 1..%u and warmup 0..%u",
             MEMGATE__MAX_ITERATIONS, MEMGATE__MAX_ITERATIONS);
    return MEMGATE_EINVAL;
  }
  if (!(o->trend_t > 0) || !isfinite(o->trend_t) || o->settle_ms > 60000) {
    snprintf(msg, cap, "invalid options: trend_t must be finite and > 0, settle_ms <= 60000");
    return MEMGATE_EINVAL;
  }
  return 0;
}
