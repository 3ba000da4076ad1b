/*
 * Internal interfaces of libmemgate-sites.so. Data flows one way:
 *
 *   sites_hooks.c    the interposed allocator entry points
 *     -> sites_boot.c    the real functions, the bootstrap arena, start-up
 *     -> sites_stacks.c  unwinding and the deduplicated stack table
 *     -> sites_blocks.c  the live-block table (address -> size, stack id)
 *   sites_api.c      the exported read side (snapshot, frames, stats)
 *   sites_holders.c  after the run: who holds a site's blocks (a heap walk
 *                    from the globals and this thread's stack)
 *   sites_symbols.c  symbolization after the run (libdw, dladdr)
 *   sites_lock.c     the spin lock every table uses
 *   sites_darwin.c   Darwin: malloc_logger feeds the same tables (instead of
 *                    sites_hooks.c and sites_boot.c)
 *
 * Nothing here calls malloc: the tables are mmap'ed once at start-up.
 */
#ifndef MEMGATE_SITES_INTERNAL_H
#define MEMGATE_SITES_INTERNAL_H

#include "memgate_sites.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SITES_HIDDEN __attribute__((visibility("hidden")))
#define SITES_API __attribute__((visibility("default")))

/* ---- sites_lock.c -------------------------------------------------------- */

/* A test-and-set lock; waits by yielding. Zero-initialised = unlocked. */
typedef struct sites_lock {
  int v;
  uint64_t acquires;   /* written under the lock */
  uint64_t contended;
} sites_lock;

SITES_HIDDEN void sites_lock_take(sites_lock *l);
SITES_HIDDEN void sites_lock_give(sites_lock *l);

/* ---- sites_boot.c -------------------------------------------------------- */

typedef struct sites_real {
  void *(*malloc)(size_t);
  void *(*calloc)(size_t, size_t);
  void *(*realloc)(void *, size_t);
  void (*free)(void *);
  int (*posix_memalign)(void **, size_t, size_t);
  void *(*aligned_alloc)(size_t, size_t);
  void *(*memalign)(size_t, size_t);
  void *(*valloc)(size_t);
  void *(*pvalloc)(size_t);
} sites_real;

/* The next definitions of the allocator (dlsym(RTLD_NEXT)); NULL until
 * they are resolved (the first call resolves them). */
SITES_HIDDEN const sites_real *sites_real_get(void);
/* ---- sites_state.c: the flag and the guard ------------------------------ */

/* True while recording (MEMGATE_SITES=1 and the tables are ready). */
SITES_HIDDEN bool sites_recording(void);
/* The re-entrancy guard (initial-exec TLS): true when the calling thread
 * is already inside a hook, the unwinder or the symbolizer. */
SITES_HIDDEN bool sites_guard_enter(void);
SITES_HIDDEN void sites_guard_leave(void);

/* ---- sites_state.c (both platforms) ------------------------------------- */

/* MEMGATE_SITES=1 in the environment. */
SITES_HIDDEN bool sites_wanted(void);
/* Sizes and maps the tables (MEMGATE_SITES_BLOCKS/_STACKS), warms the
 * unwinder, installs the fork handlers and switches recording on; false
 * (a message on stderr for a bad size) when any step fails. */
SITES_HIDDEN bool sites_start_recording(void);

/* ---- sites_arena.c: the bootstrap arena ---------------------------------- */

/* Serves an allocation made before the real functions are known (dlsym may
 * allocate). Never freed; NULL when the arena is exhausted. */
SITES_HIDDEN void *sites_arena_alloc(size_t size, size_t align);
SITES_HIDDEN bool sites_arena_owns(const void *p);
SITES_HIDDEN size_t sites_arena_size(const void *p);
SITES_HIDDEN uint64_t sites_arena_used(void);

/* ---- sites_map.c: the tables' memory ------------------------------------- */

/* mmap's and touches size bytes (so that the tables never grow RssAnon
 * later); NULL on failure. */
SITES_HIDDEN void *sites_map(size_t size);
/* Reads a positive count from the environment, def when unset; false with
 * a message on stderr when it is malformed. */
SITES_HIDDEN bool sites_env_count(const char *var, uint64_t def, uint64_t max, uint64_t *out);

/* ---- sites_stacks.c ------------------------------------------------------ */

/* Creates the stack table for cap stacks (false on failure). */
SITES_HIDDEN bool sites_stacks_init(uint64_t cap);
/* Records where the hook was called from; returns the stack's id. Skips
 * skip_frames innermost frames, then (Linux) every frame inside this library. */
SITES_HIDDEN uint32_t sites_stacks_capture(unsigned skip_frames);
/* Adds (sign 1) or removes (sign -1) one block of size bytes to stack id. */
SITES_HIDDEN void sites_stacks_account(uint32_t id, uint64_t size, int sign);
SITES_HIDDEN size_t sites_stacks_snapshot(uint32_t *ids, uint64_t *bytes, uint64_t *blocks, size_t cap);
SITES_HIDDEN size_t sites_stacks_frames(uint32_t id, uintptr_t *pcs, size_t cap);
SITES_HIDDEN void sites_stacks_stats(memgate_sites_stats *out);
SITES_HIDDEN void sites_stacks_lock_all(void);
SITES_HIDDEN void sites_stacks_unlock_all(void);
/* Runs the unwinder once, so its first-call allocations happen at start-up. */
SITES_HIDDEN void sites_stacks_warm(void);

/* ---- sites_blocks.c ------------------------------------------------------ */

SITES_HIDDEN bool sites_blocks_init(uint64_t cap);
/* Records block p (size bytes, stack id) and charges the stack. */
SITES_HIDDEN void sites_blocks_add(const void *p, uint64_t size, uint32_t id);
/* Forgets block p and credits its stack; false when p was not recorded.
 * *size / *id (optional) receive what it was. */
SITES_HIDDEN bool sites_blocks_remove(const void *p, uint64_t *size, uint32_t *id);
SITES_HIDDEN void sites_blocks_stats(memgate_sites_stats *out);
/* One recorded block, as sites_blocks_copy() hands it out. */
typedef struct sites_block_ref {
  uintptr_t ptr;
  uint64_t size;
  uint32_t id;
} sites_block_ref;
/* With every stripe lock held (sites_blocks_lock_all): the live blocks
 * (at most cap, in no order) and their count. */
SITES_HIDDEN size_t sites_blocks_copy(sites_block_ref *out, size_t cap);
SITES_HIDDEN uint64_t sites_blocks_count(void);
SITES_HIDDEN void sites_blocks_lock_all(void);
SITES_HIDDEN void sites_blocks_unlock_all(void);

/* ---- sites_symbols.c ----------------------------------------------------- */

SITES_HIDDEN void sites_symbols_lock(void);
SITES_HIDDEN void sites_symbols_unlock(void);

#endif
