/* sites_hooks.c - the interposed allocator entry points (glibc has had no
 * malloc hooks since 2.34). Each forwards to the real function; while
 * recording, and when the calling thread is not already inside this library
 * (the guard), it then records the block under the caller's stack id.
 * free() forgets a recorded block before the real free() can hand its
 * address to another thread. Blocks from the bootstrap arena never reach
 * the real free() or realloc(). */
#define _GNU_SOURCE
#include "sites_internal.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Records p (size bytes) under the caller's stack; the guard is held. */
static void *record(void *p, size_t size) {
  if (p != NULL) sites_blocks_add(p, size, sites_stacks_capture(0));
  return p;
}

/* Forwards `call`; records its result of `size` bytes when allowed. Before
 * the real functions are known, serves from the arena. */
#define SITES_HOOK(call, size, align) \
  do { \
    const sites_real *r = sites_real_get(); \
    if (r == NULL) return sites_arena_alloc((size), (align)); \
    if (!sites_recording() || !sites_guard_enter()) return r->call; \
    void *p_ = record(r->call, (size)); \
    sites_guard_leave(); \
    return p_; \
  } while (0)

SITES_API void *malloc(size_t n) {
  SITES_HOOK(malloc(n), n, 16);
}

SITES_API void *calloc(size_t n, size_t size) {
  if (size != 0 && n > (size_t)-1 / size) {
    errno = ENOMEM;
    return NULL;
  }
  SITES_HOOK(calloc(n, size), n * size, 16);
}

SITES_API void *memalign(size_t align, size_t n) {
  SITES_HOOK(memalign(align, n), n, align);
}

SITES_API void *aligned_alloc(size_t align, size_t n) {
  SITES_HOOK(aligned_alloc(align, n), n, align);
}

SITES_API void *valloc(size_t n) {
  SITES_HOOK(valloc(n), n, 4096);
}

static size_t page_round(size_t n) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return n == 0 ? pg : (n + pg - 1) / pg * pg;
}

SITES_API void *pvalloc(size_t n) {
  SITES_HOOK(pvalloc(n), page_round(n), 4096);
}

SITES_API int posix_memalign(void **out, size_t align, size_t n) {
  const sites_real *r = sites_real_get();
  if (r == NULL) {
    *out = sites_arena_alloc(n, align);
    return *out ? 0 : ENOMEM;
  }
  if (!sites_recording() || !sites_guard_enter()) return r->posix_memalign(out, align, n);
  int rc = r->posix_memalign(out, align, n);
  if (rc == 0) record(*out, n);
  sites_guard_leave();
  return rc;
}

SITES_API void free(void *p) {
  if (p == NULL || sites_arena_owns(p)) return;
  const sites_real *r = sites_real_get();
  if (r == NULL) return; /* unreachable: only the arena served before resolution */
  if (sites_recording()) sites_blocks_remove(p, NULL, NULL);
  r->free(p);
}

/* realloc of an arena block: a new block, the old one is never freed. */
static void *arena_realloc(void *p, size_t n) {
  if (n == 0) return NULL;
  void *q = malloc(n);
  size_t old = sites_arena_size(p);
  if (q != NULL) memcpy(q, p, old < n ? old : n);
  return q;
}

SITES_API void *realloc(void *p, size_t n) {
  if (p != NULL && sites_arena_owns(p)) return arena_realloc(p, n);
  const sites_real *r = sites_real_get();
  if (r == NULL) return p == NULL ? sites_arena_alloc(n, 16) : NULL;
  if (!sites_recording()) return r->realloc(p, n);
  uint64_t old_size = 0;
  uint32_t old_id = 0;
  bool had = p != NULL && sites_blocks_remove(p, &old_size, &old_id);
  void *q = r->realloc(p, n);
  if (q == NULL) {
    /* Failed: p is still live (realloc(p, 0) freed it and returns NULL). */
    if (had && n != 0) sites_blocks_add(p, old_size, old_id);
    return NULL;
  }
  if (!sites_guard_enter()) return q;
  record(q, n);
  sites_guard_leave();
  return q;
}

SITES_API void *reallocarray(void *p, size_t n, size_t size) {
  if (size != 0 && n > (size_t)-1 / size) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, n * size);
}
