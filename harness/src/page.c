/*
 * The VM page size, and page-backed storage for memgate's own bookkeeping:
 * a leaf (calls nothing of memgate's), so the options, the state and the
 * platform samplers share it without calling each other.
 *
 * Why pages and not malloc: the per-thread state (64 KiB) and a repeat's
 * series are allocated at the first scope, after the program has run for
 * a while; from malloc they would take the free chunks the program's own
 * allocations were reusing and push those to the top of the heap, where
 * each free can trim and each next allocation faults fresh pages in. The
 * live-room repeat measured 10.8x its bare loop under default glibc for
 * that reason (docs/BENCHMARKS.md). Pages from mmap never touch the
 * program's heap.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "memgate_internal.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_ANONYMOUS
#  define MAP_ANONYMOUS MAP_ANON
#endif

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

static size_t round_to_pages(size_t bytes) {
  size_t ps = (size_t)memgate__page_size();
  return (bytes + ps - 1) / ps * ps;
}

void *memgate__pages_alloc(size_t bytes) {
  if (bytes == 0) return NULL;
  size_t len = round_to_pages(bytes);
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  memset(p, 0, len); /* touched now: never first written between two samples */
  return p;
}

void memgate__pages_free(void *p, size_t bytes) {
  if (p != NULL && bytes > 0) munmap(p, round_to_pages(bytes));
}
