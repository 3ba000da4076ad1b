/* The memgate command: files, environment, colour. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#  include <sys/prctl.h>
#endif

#ifndef O_CLOEXEC
#  define O_CLOEXEC 0
#endif

void tool_err(const char *fmt, ...) {
  va_list ap;
  fputs("memgate: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

bool tool_is_help(const char *a) { return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0; }

bool tool_color_ok(FILE *f) {
  const char *nc = getenv("NO_COLOR");
  const char *term = getenv("TERM");
  if (nc && *nc) return false;
  if (term && strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(f)) != 0;
}

bool tool_in_ci(void) {
  const char *ci = getenv("CI");
  return ci && *ci && strcmp(ci, "0") != 0 && strcmp(ci, "false") != 0;
}


int tool_write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t cap) {
  return memgate__write_atomic_path(path, data, len, 0644, err, cap);
}

int tool_append_file(const char *path, const char *data, size_t len, char *err, size_t cap) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    snprintf(err, cap, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  if (memgate__write_all(fd, data, len) != 0) {
    snprintf(err, cap, "%s: cannot write: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if (close(fd) != 0) {
    snprintf(err, cap, "%s: cannot write: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Measurement environment
 * ------------------------------------------------------------------------ */

const char *tool_measure_env(void) {
#if defined(__linux__)
  static char value[2048];
  /* trim_threshold: glibc's free() never gives the heap top back on its own
   * (a loop that frees its large buffers would re-fault them on every visit:
   * 10x slower); memgate's release calls malloc_trim(0), which ignores it. */
  static const char *const want[] = {"glibc.malloc.tcache_count=0", "glibc.malloc.top_pad=0",
                                     "glibc.malloc.trim_threshold=4294967295"};
  const char *cur = getenv("GLIBC_TUNABLES");
  size_t n = 0;
  value[0] = '\0';
  if (cur && *cur) n = (size_t)snprintf(value, sizeof value, "%s", cur);
  if (n >= sizeof value) return NULL;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    /* A tunable the user set already (any value) is kept. */
    size_t klen = (size_t)(strchr(want[i], '=') - want[i]) + 1;
    bool present = false;
    for (const char *p = cur; p && *p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
      if (strncmp(p, want[i], klen) == 0) {
        present = true;
        break;
      }
    }
    if (present) continue;
    int w = snprintf(value + n, sizeof value - n, "%s%s", n ? ":" : "", want[i]);
    if (w < 0 || (size_t)w >= sizeof value - n) return NULL;
    n += (size_t)w;
  }
  if (setenv("GLIBC_TUNABLES", value, 1) != 0) return NULL;
  return value;
#else
  return NULL;
#endif
}

int tool_child_thp_off(void) {
#if defined(__linux__) && defined(PR_SET_THP_DISABLE)
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) return errno;
#endif
  return 0;
}
