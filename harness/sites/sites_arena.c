/* sites_arena.c - the bootstrap arena: a static buffer that serves the
 * allocations made while the real allocator is being looked up (dlsym can
 * allocate). Bump allocation, 16-byte header holding the size; its blocks
 * are never given back, and free()/realloc() recognise them by address so
 * that they never reach the real free(). */
#include "sites_internal.h"

#ifndef SITES_ARENA_BYTES
#define SITES_ARENA_BYTES (64u * 1024u) /* dlsym needs a few hundred bytes at most */
#endif
#define SITES_ARENA_HDR 16u

static unsigned char arena[SITES_ARENA_BYTES] __attribute__((aligned(64)));
static size_t arena_top;

void *sites_arena_alloc(size_t size, size_t align) {
  if (align < SITES_ARENA_HDR) align = SITES_ARENA_HDR;
  if (size > SITES_ARENA_BYTES || (align & (align - 1)) != 0 || align > 4096) return NULL;
  size_t old = __atomic_load_n(&arena_top, __ATOMIC_RELAXED);
  size_t start, end;
  do {
    start = (old + SITES_ARENA_HDR + align - 1) & ~(align - 1);
    end = start + ((size + 15u) & ~(size_t)15u);
    if (end > SITES_ARENA_BYTES) return NULL;
  } while (!__atomic_compare_exchange_n(&arena_top, &old, end, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED));
  size_t *hdr = (size_t *)(void *)(arena + start - sizeof(size_t));
  *hdr = size;
  return arena + start;
}

bool sites_arena_owns(const void *p) {
  const unsigned char *c = p;
  return c >= arena && c < arena + SITES_ARENA_BYTES;
}

size_t sites_arena_size(const void *p) {
  return *(const size_t *)(const void *)((const unsigned char *)p - sizeof(size_t));
}

uint64_t sites_arena_used(void) {
  return __atomic_load_n(&arena_top, __ATOMIC_RELAXED);
}
