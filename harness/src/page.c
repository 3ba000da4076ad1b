/*
 * The VM page size: a leaf (calls nothing of memgate's), so the options
 * and the platform samplers share it without calling each other.
 */
#include "memgate_internal.h"

#include <unistd.h>

uint64_t memgate__page_size(void) {
  static uint64_t ps;
  if (!ps) {
#ifdef _SC_PAGESIZE
    long v = sysconf(_SC_PAGESIZE);
    ps = v > 0 ? (uint64_t)v : 4096u;
#else
    ps = 4096u;
#endif
  }
  return ps;
}
