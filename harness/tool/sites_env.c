/* memgate run --sites: preload libmemgate-sites.so (docs/SITES.md). */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SITES_LIB "libmemgate-sites.so"

#if defined(__linux__)
/* The directory of the running memgate command ("" when unknown). */
static void exe_dir(char *dir, size_t cap) {
  ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
  dir[n > 0 ? n : 0] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  else dir[0] = '\0';
}

/* Finds the library: $MEMGATE_SITES_LIB, beside the command (a build
 * tree), or ../lib beside it (an install). 0, or -1 with the places tried. */
static int find_library(char *path, size_t cap, char *tried, size_t tcap) {
  const char *env = getenv("MEMGATE_SITES_LIB");
  if (env && *env) {
    snprintf(path, cap, "%s", env);
    snprintf(tried, tcap, "%s (MEMGATE_SITES_LIB)", env);
    return access(path, R_OK) == 0 && path[0] == '/' ? 0 : -1;
  }
  char dir[2048];
  exe_dir(dir, sizeof dir);
  const char *rel[] = {"/" SITES_LIB, "/../lib/" SITES_LIB};
  tried[0] = '\0';
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    int w = snprintf(path, cap, "%s%s", dir, rel[i]);
    if (w > 0 && (size_t)w < cap && access(path, R_OK) == 0) return 0;
    size_t used = strlen(tried);
    snprintf(tried + used, tcap - used, "%s%s", used ? ", " : "", path);
  }
  return -1;
}
#endif

int tool_sites_env(char *lib, size_t cap) {
#if defined(__linux__)
  char tried[4608];
  if (find_library(lib, cap, tried, sizeof tried) != 0) {
    tool_err("run: --sites: cannot find %s (looked at %s); build it with `make` or set "
             "MEMGATE_SITES_LIB to its absolute path", SITES_LIB, tried);
    return TOOL_EXIT_USAGE;
  }
  char pre[8192];
  const char *cur = getenv("LD_PRELOAD");
  int w = snprintf(pre, sizeof pre, "%s%s%s", lib, cur && *cur ? ":" : "", cur ? cur : "");
  if (w < 0 || (size_t)w >= sizeof pre || setenv("LD_PRELOAD", pre, 1) != 0 ||
      setenv("MEMGATE_SITES", "1", 1) != 0) {
    tool_err("run: --sites: cannot set LD_PRELOAD: %s", w < 0 || (size_t)w >= sizeof pre ? "too long" : strerror(errno));
    return TOOL_EXIT_USAGE;
  }
  return 0;
#else
  (void)cap;
  lib[0] = '\0';
  tool_err("run: --sites: allocation sites are recorded on Linux (glibc) only (docs/SITES.md)");
  return TOOL_EXIT_USAGE;
#endif
}
