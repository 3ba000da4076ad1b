/*
 * Small text helpers shared by the library and the memgate command: a
 * growable buffer, capped message formatting and the one byte formatter
 * (memgate_internal.h, "Text layer").
 */
#include "memgate_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void memgate__buf_reserve(memgate__buf *b, size_t extra) {
  if (b->oom || b->len + extra < b->cap) return;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap <= b->len + extra) cap *= 2;
  char *p = b->pages ? memgate__pages_alloc(cap) : realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return;
  }
  if (b->pages && b->p) {
    memcpy(p, b->p, b->len + 1);
    memgate__pages_free(b->p, b->cap);
  }
  /* Touch the new pages now: the results buffer is reserved before any
   * sample and must not fault pages in inside an enclosing measurement. */
  memset(p + b->cap, 0, cap - b->cap);
  b->p = p;
  b->cap = cap;
}

void memgate__buf_put(memgate__buf *b, const char *s, size_t n) {
  memgate__buf_reserve(b, n + 1);
  if (b->oom) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void memgate__buf_puts(memgate__buf *b, const char *s) { memgate__buf_put(b, s, strlen(s)); }

void memgate__buf_printf(memgate__buf *b, const char *fmt, ...) {
  va_list ap;
  char small[512];
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    memgate__buf_put(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->oom = true;
    return;
  }
  va_start(ap, fmt);
  (void)vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  memgate__buf_put(b, big, (size_t)n);
  free(big);
}

void memgate__buf_free(memgate__buf *b) {
  bool pages = b->pages;
  if (pages) memgate__pages_free(b->p, b->cap);
  else free(b->p);
  memset(b, 0, sizeof *b);
  b->pages = pages;
}

void memgate__msgf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (!buf || cap == 0) return;
  va_start(ap, fmt);
  (void)vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
}

void memgate__msg_appendf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (!buf || cap == 0) return;
  size_t used = strlen(buf);
  if (used + 1 >= cap) return;
  va_start(ap, fmt);
  (void)vsnprintf(buf + used, cap - used, fmt, ap);
  va_end(ap);
}

/* Formats a (>= 0, finite) in the largest unit where it reads below 1024
 * at that unit's precision. */
static void bytes_scaled(char *buf, size_t cap, const char *sg, double a) {
  static const struct {
    double unit;
    const char *name;
    int decimals;
  } units[] = {{1024.0, "KiB", 1},
               {1024.0 * 1024.0, "MiB", 2},
               {1024.0 * 1024.0 * 1024.0, "GiB", 2},
               {1024.0 * 1024.0 * 1024.0 * 1024.0, "TiB", 2}};
  enum { NUNITS = sizeof units / sizeof units[0] };
  char num[40];
  size_t u = 0;
  for (;; u++) {
    memgate__msgf(num, sizeof num, "%.*f", units[u].decimals, a / units[u].unit);
    if (u + 1 == NUNITS || strtod(num, NULL) < 1024.0) break;
  }
  memgate__msgf(buf, cap, "%s%s %s", sg, num, units[u].name);
}

void memgate__bytes_f(char *buf, size_t cap, double v, bool sign) {
  const char *sg = v < 0 ? "-" : sign ? "+" : "";
  double a = v < 0 ? -v : v;
  if (!isfinite(a)) {
    memgate__msgf(buf, cap, "?");
    return;
  }
  char num[40];
  memgate__msgf(num, sizeof num, "%.0f", a);
  if (strtod(num, NULL) < 1024.0) memgate__msgf(buf, cap, "%s%s B", sg, num);
  else bytes_scaled(buf, cap, sg, a);
}

void memgate__bytes(char *buf, size_t cap, int64_t v, bool sign) {
  const char *sg = v < 0 ? "-" : sign ? "+" : "";
  uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
  if (a < 1024u) memgate__msgf(buf, cap, "%s%llu B", sg, (unsigned long long)a);
  else bytes_scaled(buf, cap, sg, (double)a);
}

int memgate__write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}
