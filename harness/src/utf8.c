/*
 * UTF-8 as RFC 3629 defines it: the one decoder of the library and the
 * memgate command (memgate_internal.h). Rejects overlong forms, surrogates
 * (U+D800..U+DFFF), code points above U+10FFFF and truncated sequences.
 * Accepts noncharacters (U+FFFE, U+FFFF): they are valid UTF-8; outputs
 * that cannot carry them (XML) replace them in their escaper.
 */
#include "memgate_internal.h"

/* Length of the sequence a lead byte starts (2..4), its payload bits and
 * the second byte's allowed range (which rules out overlongs, surrogates
 * and code points above U+10FFFF: RFC 3629 section 4); 0 for a byte that
 * cannot lead. */
static size_t utf8_lead(unsigned c, uint32_t *cp, unsigned *lo, unsigned *hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    *cp = c & 0x1Fu;
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    *cp = c & 0x0Fu;
    if (c == 0xE0) *lo = 0xA0;
    if (c == 0xED) *hi = 0x9F;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    *cp = c & 0x07u;
    if (c == 0xF0) *lo = 0x90;
    if (c == 0xF4) *hi = 0x8F;
    return 4;
  }
  return 0;
}

size_t memgate__utf8_decode(const char *s, size_t n, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  uint32_t v = 0;
  unsigned lo, hi;
  if (!s || n == 0) return 0;
  if (u[0] < 0x80) {
    if (cp) *cp = u[0];
    return 1;
  }
  size_t len = utf8_lead(u[0], &v, &lo, &hi);
  if (len == 0 || n < len) return 0;
  if (u[1] < lo || u[1] > hi) return 0;
  v = (v << 6) | (u[1] & 0x3Fu);
  for (size_t i = 2; i < len; i++) {
    if ((u[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (u[i] & 0x3Fu);
  }
  if (cp) *cp = v;
  return len;
}

size_t memgate__utf8_check(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t l = memgate__utf8_decode(s + i, n - i, NULL);
    if (l == 0) return i;
    i += l;
  }
  return n;
}

bool memgate__utf8_valid(const char *s, size_t n) { return memgate__utf8_check(s, n) == n; }
