/*
 * What a valid scope name, source path and line number are: one definition
 * for the library (MEM_BEGIN, MEM_REPEAT) and the memgate command (reading
 * results files), documented in memgate_internal.h.
 */
#include "memgate_internal.h"

#include <stdint.h>

/* Checks s (1..max bytes, UTF-8, no control character); what for the
 * message ("a name", "a path"). */
static int check_text(const char *s, size_t max, const char *what, char *why, size_t cap) {
  size_t n = 0;
  if (!s) {
    memgate__msgf(why, cap, "is missing");
    return MEMGATE_EINVAL;
  }
  while (n <= max && s[n]) n++;
  if (n == 0 || n > max) {
    memgate__msgf(why, cap, "is %s (%s is 1 to %zu bytes)", n ? "too long" : "empty", what, max);
    return MEMGATE_EINVAL;
  }
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t l = memgate__utf8_decode(s + i, n - i, &cp);
    if (l == 0) {
      memgate__msgf(why, cap, "has invalid UTF-8 at byte offset %zu (byte 0x%02x)", i,
                    (unsigned)(unsigned char)s[i]);
      return MEMGATE_EINVAL;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      memgate__msgf(why, cap, "has the control character U+%04X at byte offset %zu (%s may not hold "
                    "control characters)", (unsigned)cp, i, what);
      return MEMGATE_EINVAL;
    }
    i += l;
  }
  return 0;
}

int memgate__check_name(const char *s, char *why, size_t cap) {
  return check_text(s, MEMGATE__NAME_MAX, "a name", why, cap);
}

int memgate__check_file(const char *s, char *why, size_t cap) {
  return check_text(s, MEMGATE__FILE_MAX, "a path", why, cap);
}

int memgate__check_line(long long line, char *why, size_t cap) {
  if (line >= 0 && line <= INT32_MAX) return 0;
  memgate__msgf(why, cap, "is %lld (a line is 0 to %ld)", line, (long)INT32_MAX);
  return MEMGATE_EINVAL;
}

int memgate__check_commit(const char *s, size_t n) {
  if (!s || n < 4 || n > 64) return MEMGATE_EINVAL;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return MEMGATE_EINVAL;
  }
  return 0;
}
