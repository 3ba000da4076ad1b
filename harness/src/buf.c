/*
 * Small text helpers shared by the library and the memgate command: a
 * growable buffer, JSON string escaping, capped message formatting and
 * human-readable byte counts.
 */
#include "memgate_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void memgate__buf_reserve(memgate__buf *b, size_t extra) {
  if (b->oom || b->len + extra < b->cap) return;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap <= b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return;
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
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0x3Fu >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void memgate__buf_json_str(memgate__buf *b, const char *s) {
  if (!s) {
    memgate__buf_put(b, "null", 4);
    return;
  }
  const unsigned char *u = (const unsigned char *)s;
  size_t n = strlen(s);
  memgate__buf_put(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      memgate__buf_put(b, e, 2);
      i++;
    } else if (c < 0x20 || c == 0x7F) {
      char e[8];
      snprintf(e, sizeof e, "\\u%04x", c);
      memgate__buf_put(b, e, 6);
      i++;
    } else {
      size_t l = utf8_len(u + i, n - i);
      if (l == 0) {
        memgate__buf_put(b, "\\ufffd", 6);
        i++;
      } else {
        memgate__buf_put(b, s + i, l);
        i += l;
      }
    }
  }
  memgate__buf_put(b, "\"", 1);
}

void memgate__msgf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (!buf || cap == 0) return;
  va_start(ap, fmt);
  (void)vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
}

void memgate__bytes(char *buf, size_t cap, int64_t v, bool sign) {
  const char *s = v < 0 ? "-" : sign ? "+" : "";
  uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
  if (a >= 10u * 1024 * 1024)
    memgate__msgf(buf, cap, "%s%.1f MiB", s, (double)a / (1024.0 * 1024.0));
  else if (a >= 10u * 1024)
    memgate__msgf(buf, cap, "%s%.1f KiB", s, (double)a / 1024.0);
  else
    memgate__msgf(buf, cap, "%s%llu B", s, (unsigned long long)a);
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
