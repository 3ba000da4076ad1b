/* sites_boot.c - start-up: the real allocator (dlsym(RTLD_NEXT)), the
 * re-entrancy guard, MEMGATE_SITES, the tables, the unwinder's warm-up and
 * the fork handlers.
 *
 * Two stages. The real functions are resolved by the first allocator call
 * (which can come before any constructor: the dynamic loader and libc call
 * malloc early); until they are known, allocations come from the bootstrap
 * arena. Recording is switched on by this library's constructor, after libc
 * is initialised (getenv, mmap, pthread_atfork are then safe); allocations
 * before that are forwarded and not recorded. */
#define _GNU_SOURCE
#include "sites_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef SITES_DEFAULT_BLOCKS
#define SITES_DEFAULT_BLOCKS 786432u /* live blocks: a 16 MiB table */
#endif
#ifndef SITES_DEFAULT_STACKS
#define SITES_DEFAULT_STACKS 16384u  /* distinct stacks: 2.7 MiB */
#endif

static sites_real real;
static int real_state; /* 0 unresolved, 1 resolving, 2 resolved */
static int recording;
static __thread int guard __attribute__((tls_model("initial-exec")));

bool sites_guard_enter(void) {
  if (guard) return false;
  guard = 1;
  return true;
}

void sites_guard_leave(void) {
  guard = 0;
}

bool sites_recording(void) {
  return __atomic_load_n(&recording, __ATOMIC_ACQUIRE) != 0;
}

#define SITES_RESOLVE(name) \
  do { \
    void *f_ = dlsym(RTLD_NEXT, #name); \
    memcpy(&r.name, &f_, sizeof f_); \
  } while (0)

static void resolve(void) {
  sites_real r;
  memset(&r, 0, sizeof r);
  SITES_RESOLVE(malloc);
  SITES_RESOLVE(calloc);
  SITES_RESOLVE(realloc);
  SITES_RESOLVE(free);
  SITES_RESOLVE(posix_memalign);
  SITES_RESOLVE(aligned_alloc);
  SITES_RESOLVE(memalign);
  SITES_RESOLVE(valloc);
  SITES_RESOLVE(pvalloc);
  real = r;
}

const sites_real *sites_real_get(void) {
  int st = __atomic_load_n(&real_state, __ATOMIC_ACQUIRE);
  if (st == 2) return &real;
  int expect = 0;
  if (st == 0 && __atomic_compare_exchange_n(&real_state, &expect, 1, false, __ATOMIC_ACQ_REL,
                                             __ATOMIC_ACQUIRE)) {
    bool g = sites_guard_enter();
    resolve();
    __atomic_store_n(&real_state, 2, __ATOMIC_RELEASE);
    if (g) sites_guard_leave();
    return &real;
  }
  return NULL; /* being resolved (by dlsym's own allocation, or another thread) */
}

static void before_fork(void) {
  sites_symbols_lock();
  sites_stacks_lock_all();
  sites_blocks_lock_all();
}

static void after_fork(void) {
  sites_blocks_unlock_all();
  sites_stacks_unlock_all();
  sites_symbols_unlock();
}

static bool start_tables(void) {
  uint64_t blocks, stacks;
  if (!sites_env_count("MEMGATE_SITES_BLOCKS", SITES_DEFAULT_BLOCKS, 1ull << 32, &blocks)) return false;
  if (!sites_env_count("MEMGATE_SITES_STACKS", SITES_DEFAULT_STACKS, (1u << 24) - 1, &stacks))
    return false;
  return sites_blocks_init(blocks) && sites_stacks_init(stacks);
}

__attribute__((constructor)) static void sites_start(void) {
  const char *on = getenv("MEMGATE_SITES");
  if (on == NULL || strcmp(on, "1") != 0) return;
  if (sites_real_get() == NULL) return;
  bool g = sites_guard_enter();
  if (start_tables()) {
    sites_stacks_warm();
    if (pthread_atfork(before_fork, after_fork, after_fork) == 0)
      __atomic_store_n(&recording, 1, __ATOMIC_RELEASE);
  }
  if (g) sites_guard_leave();
}
