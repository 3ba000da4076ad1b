/*
 * One escaper per output format (memgate_internal.h, "Escapers"), the
 * three sinks that apply one to a string (a growable buffer, a fixed
 * buffer: no allocation, for the library's failure line, and a stdio
 * stream), JSON strings, and the library's failure line.
 *
 * Each escaper reads one unit of text (a valid UTF-8 sequence, or one
 * invalid byte), writes what the format shows for it and says how many
 * bytes it consumed. Every format decides here, in one place, what becomes
 * of markup, line breaks, control characters and invalid UTF-8.
 */
#include "memgate_internal.h"

#include <stdio.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* The unit at s: its length (>= 1) and code point; *ok false (and the
 * length 1) for a byte that does not start a valid sequence. */
static size_t unit(const char *s, size_t n, uint32_t *cp, bool *ok) {
  size_t l = memgate__utf8_decode(s, n, cp);
  *ok = l > 0;
  if (l == 0) {
    *cp = (unsigned char)s[0];
    l = 1;
  }
  return l;
}

/* Copies the unit through unchanged. */
static size_t copy(const char *s, size_t l, char *out) {
  memcpy(out, s, l);
  out[l] = '\0';
  return l;
}

static size_t put(char *out, const char *text, size_t l) {
  size_t n = strlen(text);
  memcpy(out, text, n + 1);
  return l;
}

static bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

size_t memgate__esc_json(const char *s, size_t n, char *out) {
  uint32_t cp;
  bool ok;
  size_t l = unit(s, n, &cp, &ok);
  if (!ok) return put(out, "\\ufffd", l);
  if (cp == '"') return put(out, "\\\"", l);
  if (cp == '\\') return put(out, "\\\\", l);
  if (cp < 0x20 || cp == 0x7F) {
    snprintf(out, MEMGATE__ESC_MAX, "\\u%04x", (unsigned)cp);
    return l;
  }
  return copy(s, l, out);
}

/* Characters XML 1.0 allows (section 2.2), less the C1 controls. */
static bool xml_char(uint32_t cp) {
  if (cp == 0x9 || cp == 0xA || cp == 0xD) return true;
  if (is_control(cp)) return false;
  return cp <= 0xD7FF || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* The five XML specials, or NULL. apos: the entity for '\''. */
static const char *xml_special(uint32_t cp, const char *apos) {
  switch (cp) {
  case '&': return "&amp;";
  case '<': return "&lt;";
  case '>': return "&gt;";
  case '"': return "&quot;";
  case '\'': return apos;
  default: return NULL;
  }
}

size_t memgate__esc_xml(const char *s, size_t n, char *out) {
  uint32_t cp;
  bool ok;
  size_t l = unit(s, n, &cp, &ok);
  const char *e = xml_special(cp, "&apos;");
  if (!ok || !xml_char(cp)) return put(out, REPLACEMENT, l);
  if (e) return put(out, e, l);
  if (cp == '\n') return put(out, "&#10;", l);
  if (cp == '\r') return put(out, "&#13;", l);
  if (cp == '\t') return put(out, "&#9;", l);
  return copy(s, l, out);
}

size_t memgate__esc_html(const char *s, size_t n, char *out) {
  uint32_t cp;
  bool ok;
  size_t l = unit(s, n, &cp, &ok);
  const char *e = xml_special(cp, "&#39;");
  if (cp == '\t' || cp == '\n' || cp == '\r') return put(out, " ", l);
  if (!ok || !xml_char(cp)) return put(out, REPLACEMENT, l);
  if (e) return put(out, e, l);
  return copy(s, l, out);
}

size_t memgate__esc_md(const char *s, size_t n, char *out) {
  uint32_t cp;
  bool ok;
  size_t l = unit(s, n, &cp, &ok);
  if (cp == '\t' || cp == '\n' || cp == '\r') return put(out, " ", l);
  if (!ok || is_control(cp)) return put(out, REPLACEMENT, l);
  if (cp == '<') return put(out, "&lt;", l);
  if (cp == '&') return put(out, "&amp;", l);
  if (cp < 0x80 && strchr("|\\`*_[]~>#!", (int)cp)) {
    out[0] = '\\';
    out[1] = (char)cp;
    out[2] = '\0';
    return l;
  }
  return copy(s, l, out);
}

/* GitHub workflow commands escape bytes, not characters (the runner's
 * CommandStringEscape rules): '%', CR and LF everywhere, ':' and ',' in
 * property values too. */
static size_t gh_escape(const char *s, char *out, bool property) {
  switch (*s) {
  case '%': return put(out, "%25", 1);
  case '\r': return put(out, "%0D", 1);
  case '\n': return put(out, "%0A", 1);
  case ':':
    if (property) return put(out, "%3A", 1);
    break;
  case ',':
    if (property) return put(out, "%2C", 1);
    break;
  default: break;
  }
  return copy(s, 1, out);
}

size_t memgate__esc_gh_data(const char *s, size_t n, char *out) {
  (void)n;
  return gh_escape(s, out, false);
}

size_t memgate__esc_gh_prop(const char *s, size_t n, char *out) {
  (void)n;
  return gh_escape(s, out, true);
}

size_t memgate__esc_term(const char *s, size_t n, char *out) {
  uint32_t cp;
  bool ok;
  size_t l = unit(s, n, &cp, &ok);
  if (!ok || cp < 0x20 || cp == 0x7F) {
    if (cp == '\n') return put(out, "\\n", l);
    if (cp == '\r') return put(out, "\\r", l);
    if (cp == '\t') return put(out, "\\t", l);
    snprintf(out, MEMGATE__ESC_MAX, "\\x%02x", (unsigned)cp);
    return l;
  }
  if (is_control(cp) || cp == 0x2028 || cp == 0x2029) {
    snprintf(out, MEMGATE__ESC_MAX, "\\u%04x", (unsigned)cp);
    return l;
  }
  return copy(s, l, out);
}

/* ------------------------------------------------------------------------
 * Sinks
 * ------------------------------------------------------------------------ */

/* Calls emit with the escaped form of each unit of s, in order. */
static void esc_each(memgate__esc_fn esc, const char *s, void (*emit)(void *, const char *), void *ctx) {
  size_t n = s ? strlen(s) : 0;
  char e[MEMGATE__ESC_MAX];
  for (size_t i = 0; i < n;) {
    i += esc(s + i, n - i, e);
    emit(ctx, e);
  }
}

static void emit_buf(void *b, const char *e) { memgate__buf_puts(b, e); }

static void emit_file(void *f, const char *e) { fputs(e, f); }

void memgate__buf_esc(memgate__buf *b, memgate__esc_fn esc, const char *s) { esc_each(esc, s, emit_buf, b); }

void memgate__buf_json_str(memgate__buf *b, const char *s) {
  if (!s) {
    memgate__buf_put(b, "null", 4);
    return;
  }
  memgate__buf_put(b, "\"", 1);
  memgate__buf_esc(b, memgate__esc_json, s);
  memgate__buf_put(b, "\"", 1);
}

size_t memgate__esc_str(char *dst, size_t cap, memgate__esc_fn esc, const char *s) {
  size_t n = s ? strlen(s) : 0, len = 0;
  char e[MEMGATE__ESC_MAX];
  if (!dst || cap == 0) return 0;
  for (size_t i = 0; i < n;) {
    i += esc(s + i, n - i, e);
    size_t k = strlen(e);
    if (len + k >= cap) break; /* whole units only */
    memcpy(dst + len, e, k);
    len += k;
  }
  dst[len] = '\0';
  return len;
}

void memgate__fputs_esc(FILE *f, memgate__esc_fn esc, const char *s) { esc_each(esc, s, emit_file, f); }

void memgate__fprint_failure(FILE *f, const char *file, int line, const char *name,
                             const char *verdict, const char *message) {
  char fbuf[4096], nbuf[1024], mbuf[4096]; /* each field escaped: up to 4 bytes per byte */
  memgate__esc_str(fbuf, sizeof fbuf, memgate__esc_term, file ? file : "?");
  memgate__esc_str(nbuf, sizeof nbuf, memgate__esc_term, name ? name : "?");
  memgate__esc_str(mbuf, sizeof mbuf, memgate__esc_term, message);
  fprintf(f, "%s:%d: error: memgate: %s: %s: %s\n", fbuf, line, nbuf, verdict ? verdict : "?", mbuf);
}
