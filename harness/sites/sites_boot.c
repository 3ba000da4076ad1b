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
#include <stdlib.h>
#include <string.h>

static sites_real real;
static int real_state; /* 0 unresolved, 1 resolving, 2 resolved */
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

__attribute__((constructor)) static void sites_start(void) {
  if (sites_wanted() && sites_real_get() != NULL) (void)sites_start_recording();
}
