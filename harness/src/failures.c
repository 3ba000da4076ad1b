/*
 * The process's failure count: one atomic counter, safe from any thread
 * and from a signal handler (no lock).
 */
#include "state.h"

#include <stdatomic.h>

static atomic_uint g_failures;

unsigned memgate_failure_count(void) { return atomic_load(&g_failures); }

void memgate_reset_failure_count(void) { atomic_store(&g_failures, 0); }

void memgate__count_failure(void) { atomic_fetch_add(&g_failures, 1); }
