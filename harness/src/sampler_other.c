/* Platforms with no sampler: everything compiles, reading reports
 * MEMGATE_EUNSUPPORTED. */
#include "memgate_internal.h"

#if !defined(__linux__) && !defined(__APPLE__)

#include <string.h>

int memgate__platform_read(memgate_footprint *out) {
  memset(out, 0, sizeof *out);
  return MEMGATE_EUNSUPPORTED;
}

int memgate__platform_reset_peak(void) { return MEMGATE_EUNSUPPORTED; }

void memgate__platform_release(void) {}

bool memgate__platform_alloc_cache_active(void) { return false; }
bool memgate__platform_alloc_cache_fillable(void) { return false; }
void memgate__platform_fill_alloc_cache(void) {}
uint64_t memgate__platform_alloc_kept_bytes(void) { return 0; }

const char *memgate__platform_key(void) { return "unknown"; }

#else
/* ISO C forbids an empty translation unit. */
typedef int memgate__sampler_other_unused;
#endif
