/* sites_map.c - the tables' memory and their sizes from the environment. */
#define _GNU_SOURCE
#include "sites_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *sites_map(size_t size) {
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_POPULATE
  flags |= MAP_POPULATE; /* Linux; elsewhere the loop below does it */
#endif
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) return NULL;
  /* MAP_POPULATE already faults the pages in for writing; writing one byte
   * per page makes that explicit and independent of the kernel's policy. */
  for (size_t off = 0; off < size; off += 4096) ((volatile unsigned char *)p)[off] = 0;
  return p;
}

bool sites_env_count(const char *var, uint64_t def, uint64_t max, uint64_t *out) {
  const char *s = getenv(var);
  *out = def;
  if (s == NULL || *s == '\0') return true;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max || s[0] == '-') {
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "libmemgate-sites: %s=\"%.40s\" is not a count from 1 to %llu; sites are not recorded\n",
                     var, s, (unsigned long long)max);
    /* write(2): stdio could allocate, and this runs inside the allocator. */
    if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0) return false;
    return false;
  }
  *out = v;
  return true;
}
