/*
 * Sampling: the platform sampler or a caller's scripted one, what precedes
 * every sample (cache fill, release) and the optional settle loop. Nothing
 * here allocates.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "state.h"

#include <string.h>
#include <time.h>

static memgate_sampler g_sampler;
static bool g_custom_sampler;

void memgate_set_sampler(const memgate_sampler *sampler) {
  if (sampler && sampler->read) {
    g_sampler = *sampler;
    g_custom_sampler = true;
  } else {
    memset(&g_sampler, 0, sizeof g_sampler);
    g_custom_sampler = false;
  }
}

/* The platform's fast read where it has one (Linux), else its full one. */
static int platform_fast(memgate_footprint *out) {
#ifdef __linux__
  return memgate__platform_read_fast(out);
#else
  return memgate__platform_read(out);
#endif
}

int memgate_read_platform(memgate_footprint *out) {
  if (!out) return MEMGATE_EINVAL;
  return platform_fast(out);
}

/* An installed sampler has one kind of read: it serves both. */
static int read_as(memgate_footprint *out, bool full) {
  if (!out) return MEMGATE_EINVAL;
  if (!g_custom_sampler) return full ? memgate__platform_read(out) : platform_fast(out);
  memset(out, 0, sizeof *out);
  int rc = g_sampler.read(g_sampler.ctx, out);
  return rc > 0 ? MEMGATE_ESAMPLER : rc;
}

int memgate_read(memgate_footprint *out) { return read_as(out, false); }

int memgate_read_full(memgate_footprint *out) { return read_as(out, true); }

void memgate_release_free_memory(void) {
  if (g_custom_sampler) {
    if (g_sampler.release) g_sampler.release(g_sampler.ctx);
  } else {
    memgate__platform_release();
  }
}

int memgate__reset_peak(void) {
  if (g_custom_sampler)
    return g_sampler.reset_peak ? g_sampler.reset_peak(g_sampler.ctx) : MEMGATE_EUNSUPPORTED;
  return memgate__platform_reset_peak();
}

uint64_t memgate__peak_of(const memgate_footprint *f) {
  uint64_t p = f->footprint_bytes;
  if ((f->valid & MEMGATE_HAS_PEAK) && f->peak_bytes > p) p = f->peak_bytes;
  return p;
}

uint64_t memgate__now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void memgate__prepare_sample(const memgate_options *o) {
  if (o->fill_alloc_cache && !g_custom_sampler) memgate__platform_fill_alloc_cache();
  if (o->release) memgate_release_free_memory();
}

/* The footprint as it stands, before the release: memory the code under
 * test touched and freed is still resident, which VmHWM alone can miss
 * (its high-water mark is updated lazily; a heap top given back by trim
 * between two updates leaves no trace). Platform sampler only. */
static uint64_t unreleased_footprint(void) {
  memgate_footprint f;
  if (g_custom_sampler || platform_fast(&f) != 0) return 0;
  return f.footprint_bytes;
}

int memgate__sample(const memgate_options *o, memgate_footprint *fp, bool want_peak,
                    uint64_t *unreleased) {
  if (unreleased) *unreleased = o->peak ? unreleased_footprint() : 0;
  memgate__prepare_sample(o);
  int rc = read_as(fp, want_peak && o->peak);
  if (rc != 0 || o->settle_ms == 0) return rc;
  uint64_t deadline = memgate__now_ns() + (uint64_t)o->settle_ms * 1000000u;
  for (;;) {
    memgate_footprint next;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    memgate__prepare_sample(o);
    rc = read_as(&next, want_peak && o->peak);
    if (rc != 0) return rc;
    bool same = next.footprint_bytes == fp->footprint_bytes;
    *fp = next;
    if (same || memgate__now_ns() >= deadline) return 0;
  }
}
