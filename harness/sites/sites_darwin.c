/* sites_darwin.c - Darwin: libmalloc's malloc_logger hook feeds the same
 * tables and interface as the Linux interposer (docs/SITES.md). Built as
 * libmemgate-sites.dylib for DYLD_INSERT_LIBRARIES plus MEMGATE_SITES=1
 * (or linked into a test bundle). Compile- and link-checked on Linux by
 * `make check-darwin` (zig, Apple's headers); NOT run.
 *
 * libmalloc calls malloc_logger (declared in its private stack_logging.h;
 * the symbol is exported by libsystem_malloc, as allocation trackers use
 * it) after every allocation and before every free, from inside malloc:
 * the logger allocates nothing (backtrace() on Darwin walks frame
 * pointers, which Apple's ABI keeps) and is guarded against re-entry. */
#if defined(__APPLE__)
#include "sites_internal.h"


/* From libmalloc's stack_logging.h (the values are part of its ABI). */
#define SITES_LOG_ALLOCATE 2u
#define SITES_LOG_DEALLOCATE 4u
#define SITES_LOG_HAS_ZONE 8u
typedef void(sites_malloc_logger_t)(uint32_t type, uintptr_t arg1, uintptr_t arg2, uintptr_t arg3,
                                    uintptr_t result, uint32_t num_hot_frames_to_skip);
extern sites_malloc_logger_t *malloc_logger;

/* With a zone: arg1 is the zone, then size (or pointer) and the new size
 * (realloc). Without: the same shifted by one. */
static void logger(uint32_t type, uintptr_t arg1, uintptr_t arg2, uintptr_t arg3, uintptr_t result,
                   uint32_t skip) {
  if (!sites_recording()) return;
  uintptr_t a = (type & SITES_LOG_HAS_ZONE) ? arg2 : arg1;
  uintptr_t b = (type & SITES_LOG_HAS_ZONE) ? arg3 : arg2;
  bool alloc = (type & SITES_LOG_ALLOCATE) != 0, dealloc = (type & SITES_LOG_DEALLOCATE) != 0;
  if (dealloc && a != 0) sites_blocks_remove((const void *)a, NULL, NULL); /* free, realloc's old */
  if (!alloc || result == 0 || !sites_guard_enter()) return;
  uint64_t size = dealloc ? b : a; /* realloc: the new size; malloc family: the size */
  sites_blocks_add((const void *)result, size, sites_stacks_capture(skip + 1u));
  sites_guard_leave();
}

__attribute__((constructor)) static void sites_start(void) {
  if (sites_wanted() && sites_start_recording()) malloc_logger = logger;
}
#endif
