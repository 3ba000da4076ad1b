/* sites_lock.c - the spin lock of the tables: short critical sections, no
 * allocation, nothing to re-initialise after fork (the atfork handlers
 * hold every lock across fork()). Contention is counted under the lock. */
#include "sites_internal.h"

#include <sched.h>

void sites_lock_take(sites_lock *l) {
  bool waited = false;
  while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE)) {
    waited = true;
    while (__atomic_load_n(&l->v, __ATOMIC_RELAXED)) sched_yield();
  }
  l->acquires++;
  if (waited) l->contended++;
}

void sites_lock_give(sites_lock *l) {
  __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}
