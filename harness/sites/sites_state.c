/* sites_state.c - what both recorders share (Linux interposer, Darwin
 * malloc_logger): the recording flag, the re-entrancy guard, the tables'
 * start-up from the environment and the fork handlers. */
#include "sites_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef SITES_DEFAULT_BLOCKS
#define SITES_DEFAULT_BLOCKS 786432u /* live blocks: a 16 MiB table */
#endif
#ifndef SITES_DEFAULT_STACKS
#define SITES_DEFAULT_STACKS 16384u  /* distinct stacks: 2.7 MiB */
#endif

#if defined(__linux__)
#define SITES_TLS __thread __attribute__((tls_model("initial-exec")))
#else
#define SITES_TLS __thread
#endif

static int recording;
static SITES_TLS int guard;

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

bool sites_wanted(void) {
  const char *on = getenv("MEMGATE_SITES");
  return on != NULL && strcmp(on, "1") == 0;
}

bool sites_start_recording(void) {
  uint64_t blocks, stacks;
  bool ok = false, g = sites_guard_enter();
  if (sites_env_count("MEMGATE_SITES_BLOCKS", SITES_DEFAULT_BLOCKS, 1ull << 32, &blocks) &&
      sites_env_count("MEMGATE_SITES_STACKS", SITES_DEFAULT_STACKS, (1u << 24) - 1, &stacks) &&
      sites_blocks_init(blocks) && sites_stacks_init(stacks)) {
    sites_stacks_warm();
    ok = pthread_atfork(before_fork, after_fork, after_fork) == 0;
    if (ok) __atomic_store_n(&recording, 1, __ATOMIC_RELEASE);
  }
  if (g) sites_guard_leave();
  return ok;
}
