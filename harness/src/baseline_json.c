/*
 * Strict JSON with positions, on top of cJSON.
 *
 * cJSON builds the tree but keeps no positions, accepts duplicate keys and a
 * few things JSON does not allow (control characters as whitespace, raw
 * control characters in strings), and truncates numbers longer than 63
 * characters. So a small scanner first validates the text strictly and
 * records where each value (and each member's key) starts, in document
 * order; cJSON then parses the same text, and a pre-order walk of its tree
 * pairs every node with its position. Errors give byte offsets; callers
 * turn them into line:col with memgate__text_pos().
 */
#include "baseline_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void jerr_set(memgate__jerr *err, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void jerr_set(memgate__jerr *err, size_t off, const char *fmt, ...) {
  va_list ap;
  if (!err) return;
  err->off = off;
  va_start(ap, fmt);
  (void)vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
}

/* ------------------------------------------------------------------------
 * Scanner
 * ------------------------------------------------------------------------ */

typedef struct scan {
  const unsigned char *s;
  size_t len, pos;
  memgate__jtok *toks;
  size_t ntok, cap;
  int depth;
  bool oom;
  memgate__jerr *err;
} scan;

static bool sc_fail(scan *sc, size_t off, const char *what) {
  jerr_set(sc->err, off, "%s", what);
  return false;
}

/* Describes the byte at off for an "unexpected ..." message. */
static bool sc_unexpected(scan *sc, size_t off, const char *expected) {
  if (off >= sc->len) {
    jerr_set(sc->err, off, "unexpected end of input (truncated file?): expected %s", expected);
  } else {
    unsigned c = sc->s[off];
    if (c == 0)
      jerr_set(sc->err, off, "NUL byte (binary data?): expected %s", expected);
    else if (c >= 0x21 && c < 0x7f)
      jerr_set(sc->err, off, "unexpected '%c': expected %s", (char)c, expected);
    else
      jerr_set(sc->err, off, "unexpected byte 0x%02x: expected %s", c, expected);
  }
  return false;
}

static void sc_ws(scan *sc) {
  while (sc->pos < sc->len) {
    unsigned char c = sc->s[sc->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    sc->pos++;
  }
}

static bool sc_push(scan *sc, size_t value_off, size_t key_off) {
  if (sc->ntok == sc->cap) {
    size_t cap = sc->cap ? sc->cap * 2 : 64;
    memgate__jtok *t = realloc(sc->toks, cap * sizeof *t);
    if (!t) {
      sc->oom = true;
      return sc_fail(sc, value_off, "out of memory");
    }
    sc->toks = t;
    sc->cap = cap;
  }
  sc->toks[sc->ntok].value_off = value_off;
  sc->toks[sc->ntok].key_off = key_off;
  sc->ntok++;
  return true;
}

static int hexval(unsigned c) {
  if (c >= '0' && c <= '9') return (int)(c - '0');
  if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
  return -1;
}

/* Reads the 4 hex digits of a \u escape at pos (after "\u"). */
static bool sc_hex4(scan *sc, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    size_t p = sc->pos + (size_t)i;
    int h = p < sc->len ? hexval(sc->s[p]) : -1;
    if (h < 0) return sc_unexpected(sc, p, "4 hex digits after \\u");
    v = v * 16u + (unsigned)h;
  }
  sc->pos += 4;
  *out = v;
  return true;
}

/* Length of the valid UTF-8 sequence at p (0 if invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  return memgate__utf8_decode((const char *)s, n, NULL);
}

bool memgate__text_clean(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    if (u[i] < 0x20 || u[i] == 0x7f) return false;
    size_t l = utf8_seq(u + i, n - i);
    if (l == 0) return false;
    i += l;
  }
  return true;
}

static bool sc_string(scan *sc) {
  size_t start = sc->pos;
  sc->pos++; /* opening quote */
  for (;;) {
    if (sc->pos >= sc->len) {
      jerr_set(sc->err, start, "unterminated string (truncated file?)");
      return false;
    }
    unsigned c = sc->s[sc->pos];
    if (c == '"') {
      sc->pos++;
      return true;
    }
    if (c == '\\') {
      size_t esc = sc->pos;
      sc->pos++;
      if (sc->pos >= sc->len) return sc_unexpected(sc, sc->pos, "an escape character");
      c = sc->s[sc->pos++];
      if (c == 'u') {
        unsigned u;
        if (!sc_hex4(sc, &u)) return false;
        if (u == 0) return sc_fail(sc, esc, "\\u0000 (a NUL character) is not allowed in strings");
        if (u >= 0xDC00 && u <= 0xDFFF)
          return sc_fail(sc, esc, "lone low surrogate in a \\u escape");
        if (u >= 0xD800 && u <= 0xDBFF) {
          unsigned lo;
          if (sc->pos + 1 >= sc->len || sc->s[sc->pos] != '\\' || sc->s[sc->pos + 1] != 'u')
            return sc_fail(sc, esc, "high surrogate not followed by a low surrogate \\u escape");
          sc->pos += 2;
          if (!sc_hex4(sc, &lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return sc_fail(sc, esc, "high surrogate not followed by a low surrogate \\u escape");
        }
      } else if (!strchr("\"\\/bfnrt", (int)c) || c == 0) {
        return sc_fail(sc, esc, "invalid escape in string (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      continue;
    }
    if (c < 0x20) {
      if (c == 0) return sc_fail(sc, sc->pos, "NUL byte in string (binary data?)");
      return sc_fail(sc, sc->pos, "raw control character in string (escape it)");
    }
    size_t l = utf8_seq(sc->s + sc->pos, sc->len - sc->pos);
    if (l == 0) return sc_fail(sc, sc->pos, "invalid UTF-8 in string");
    sc->pos += l;
  }
}

static bool is_digit(unsigned c) { return c >= '0' && c <= '9'; }

static void sc_digits(scan *sc) {
  while (sc->pos < sc->len && is_digit(sc->s[sc->pos])) sc->pos++;
}

/* At least one digit (after what), then any more. */
static bool sc_need_digits(scan *sc, const char *what) {
  if (sc->pos >= sc->len || !is_digit(sc->s[sc->pos])) return sc_unexpected(sc, sc->pos, what);
  sc_digits(sc);
  return true;
}

static bool sc_next_is(const scan *sc, char a, char b) {
  return sc->pos < sc->len && (sc->s[sc->pos] == (unsigned char)a || sc->s[sc->pos] == (unsigned char)b);
}

/* "-"? then "0" or a digit 1-9 and more digits. */
static bool sc_int_part(scan *sc, size_t start) {
  if (sc_next_is(sc, '-', '-')) sc->pos++;
  if (sc->pos >= sc->len || !is_digit(sc->s[sc->pos])) return sc_unexpected(sc, sc->pos, "a digit");
  if (sc->s[sc->pos] != '0') {
    sc_digits(sc);
    return true;
  }
  sc->pos++;
  if (sc->pos < sc->len && is_digit(sc->s[sc->pos]))
    return sc_fail(sc, start, "numbers must not have leading zeros");
  return true;
}

static bool sc_number(scan *sc) {
  size_t start = sc->pos;
  if (!sc_int_part(sc, start)) return false;
  if (sc_next_is(sc, '.', '.')) {
    sc->pos++;
    if (!sc_need_digits(sc, "a digit after the decimal point")) return false;
  }
  if (sc_next_is(sc, 'e', 'E')) {
    sc->pos++;
    if (sc_next_is(sc, '+', '-')) sc->pos++;
    if (!sc_need_digits(sc, "a digit in the exponent")) return false;
  }
  if (sc->pos - start > MEMGATE__JSON_MAX_NUMBER) {
    jerr_set(sc->err, start, "number longer than %d characters", MEMGATE__JSON_MAX_NUMBER);
    return false;
  }
  return true;
}

static bool sc_word(scan *sc, const char *w) {
  size_t n = strlen(w);
  if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, w, n) != 0)
    return sc_unexpected(sc, sc->pos, "a JSON value");
  sc->pos += n;
  return true;
}

static bool sc_value(scan *sc, size_t key_off);

static bool sc_container(scan *sc, bool object) {
  size_t open = sc->pos;
  if (++sc->depth > MEMGATE__JSON_MAX_DEPTH) {
    jerr_set(sc->err, open, "nested deeper than %d levels", MEMGATE__JSON_MAX_DEPTH);
    return false;
  }
  sc->pos++;
  sc_ws(sc);
  unsigned char close = object ? '}' : ']';
  if (sc->pos < sc->len && sc->s[sc->pos] == close) {
    sc->pos++;
    sc->depth--;
    return true;
  }
  for (;;) {
    size_t key = sc->pos;
    if (object) {
      if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
        return sc_unexpected(sc, sc->pos, "a key in double quotes");
      if (!sc_string(sc)) return false;
      sc_ws(sc);
      if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
        return sc_unexpected(sc, sc->pos, "':' after the key");
      sc->pos++;
      sc_ws(sc);
    }
    if (!sc_value(sc, key)) return false;
    sc_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
      sc->pos++;
      sc_ws(sc);
      continue;
    }
    if (sc->pos < sc->len && sc->s[sc->pos] == close) {
      sc->pos++;
      sc->depth--;
      return true;
    }
    return sc_unexpected(sc, sc->pos, object ? "',' or '}'" : "',' or ']'");
  }
}

static bool sc_value(scan *sc, size_t key_off) {
  if (sc->pos >= sc->len) return sc_unexpected(sc, sc->pos, "a JSON value");
  size_t at = sc->pos;
  if (!sc_push(sc, at, key_off)) return false;
  switch (sc->s[at]) {
  case '{': return sc_container(sc, true);
  case '[': return sc_container(sc, false);
  case '"': return sc_string(sc);
  case 't': return sc_word(sc, "true");
  case 'f': return sc_word(sc, "false");
  case 'n': return sc_word(sc, "null");
  default:
    if (sc->s[at] == '-' || is_digit(sc->s[at])) return sc_number(sc);
    return sc_unexpected(sc, at, "a JSON value");
  }
}

/* ------------------------------------------------------------------------
 * Document
 * ------------------------------------------------------------------------ */

static int jnode_cmp(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const memgate__jnode *)a)->node;
  uintptr_t y = (uintptr_t)((const memgate__jnode *)b)->node;
  return x < y ? -1 : x > y;
}

/* Pre-order walk pairing nodes with token indexes. */
static bool index_walk(memgate__jdoc *doc, const cJSON *node, size_t *i) {
  for (; node; node = node->next) {
    if (*i >= doc->ntok) return false;
    doc->index[*i].node = node;
    doc->index[*i].tok = *i;
    (*i)++;
    if ((cJSON_IsObject(node) || cJSON_IsArray(node)) && !index_walk(doc, node->child, i))
      return false;
  }
  return true;
}

typedef struct keyref {
  const char *name;
  size_t off;
} keyref;

static int keyref_cmp(const void *a, const void *b) {
  const keyref *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* Finds the first (in document order) repeated key of every object. */
static int check_dups(const memgate__jdoc *doc, const cJSON *node, memgate__jerr *err) {
  for (; node; node = node->next) {
    if (cJSON_IsObject(node)) {
      size_t n = 0;
      for (const cJSON *m = node->child; m; m = m->next) n++;
      if (n > 1) {
        size_t k = 0;
        keyref *keys = malloc(n * sizeof *keys);
        if (!keys) {
          jerr_set(err, memgate__jdoc_value_off(doc, node), "out of memory");
          return MEMGATE_ENOMEM;
        }
        for (const cJSON *m = node->child; m; m = m->next, k++) {
          keys[k].name = m->string ? m->string : "";
          keys[k].off = memgate__jdoc_key_off(doc, m);
        }
        qsort(keys, n, sizeof *keys, keyref_cmp);
        /* In each run of equal names (sorted by offset) the second is the
         * earliest repetition; report the earliest of those. */
        size_t dup_i = n;
        bool in_run = false;
        for (size_t i = 1; i < n; i++) {
          bool same = strcmp(keys[i].name, keys[i - 1].name) == 0;
          if (same && !in_run && (dup_i == n || keys[i].off < keys[dup_i].off)) dup_i = i;
          in_run = same;
        }
        if (dup_i < n) {
          uint32_t fl, fc;
          memgate__text_pos(doc->text, doc->len, keys[dup_i - 1].off, &fl, &fc);
          jerr_set(err, keys[dup_i].off, "duplicate key \"%.80s\" (first at line %u, column %u)",
                   keys[dup_i].name, (unsigned)fl, (unsigned)fc);
          free(keys);
          return MEMGATE_EPARSE;
        }
        free(keys);
      }
    }
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
      int rc = check_dups(doc, node->child, err);
      if (rc) return rc;
    }
  }
  return 0;
}

int memgate__jdoc_parse(memgate__jdoc *doc, const char *text, size_t len, memgate__jerr *err) {
  scan sc;
  memset(doc, 0, sizeof *doc);
  memset(&sc, 0, sizeof sc);
  if (err) {
    err->off = 0;
    err->msg[0] = '\0';
  }
  if (!text) {
    jerr_set(err, 0, "no input");
    return MEMGATE_EPARSE;
  }
  sc.s = (const unsigned char *)text;
  sc.len = len;
  sc.err = err;
  /* cJSON skips a UTF-8 byte order mark too, so the two stay in step. */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) sc.pos = 3;
  sc_ws(&sc);
  if (sc.pos >= len) {
    jerr_set(err, sc.pos, len == 0 ? "empty file: expected a JSON value"
                                   : "no JSON value (only whitespace)");
    return MEMGATE_EPARSE;
  }
  bool ok = sc_value(&sc, sc.pos);
  if (ok) {
    sc_ws(&sc);
    if (sc.pos < len) {
      sc_unexpected(&sc, sc.pos, "the end of the input after the JSON value");
      ok = false;
    }
  }
  if (!ok) {
    free(sc.toks);
    return sc.oom ? MEMGATE_ENOMEM : MEMGATE_EPARSE;
  }
  doc->text = text;
  doc->len = len;
  doc->toks = sc.toks;
  doc->ntok = sc.ntok;

  const char *end = NULL;
  doc->root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (!doc->root) {
    /* The scanner accepted it, so this is almost surely out of memory. */
    size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    jerr_set(err, off, "cJSON could not parse the value (out of memory?)");
    memgate__jdoc_free(doc);
    return MEMGATE_ENOMEM;
  }
  doc->index = malloc(doc->ntok * sizeof *doc->index);
  if (!doc->index) {
    jerr_set(err, 0, "out of memory");
    memgate__jdoc_free(doc);
    return MEMGATE_ENOMEM;
  }
  size_t i = 0;
  if (!index_walk(doc, doc->root, &i) || i != doc->ntok) {
    jerr_set(err, 0, "internal error: cJSON and the scanner disagree on the structure");
    memgate__jdoc_free(doc);
    return MEMGATE_EPARSE;
  }
  qsort(doc->index, doc->ntok, sizeof *doc->index, jnode_cmp);
  int rc = check_dups(doc, doc->root, err);
  if (rc) {
    memgate__jdoc_free(doc);
    return rc;
  }
  return 0;
}

void memgate__jdoc_free(memgate__jdoc *doc) {
  if (!doc) return;
  if (doc->root) cJSON_Delete(doc->root);
  free(doc->toks);
  free(doc->index);
  memset(doc, 0, sizeof *doc);
}

static const memgate__jtok *tok_of(const memgate__jdoc *doc, const cJSON *node) {
  memgate__jnode key;
  key.node = node;
  key.tok = 0;
  if (!doc || !doc->index) return NULL;
  const memgate__jnode *hit = bsearch(&key, doc->index, doc->ntok, sizeof key, jnode_cmp);
  return hit ? &doc->toks[hit->tok] : NULL;
}

size_t memgate__jdoc_value_off(const memgate__jdoc *doc, const cJSON *node) {
  const memgate__jtok *t = tok_of(doc, node);
  return t ? t->value_off : 0;
}

size_t memgate__jdoc_key_off(const memgate__jdoc *doc, const cJSON *node) {
  const memgate__jtok *t = tok_of(doc, node);
  return t ? t->key_off : 0;
}

static const char *type_name(const cJSON *n) {
  if (cJSON_IsObject(n)) return "an object";
  if (cJSON_IsArray(n)) return "an array";
  if (cJSON_IsString(n)) return "a string";
  if (cJSON_IsNumber(n)) return "a number";
  if (cJSON_IsTrue(n)) return "true";
  if (cJSON_IsFalse(n)) return "false";
  if (cJSON_IsNull(n)) return "null";
  return "an unknown value";
}

/* Reads the digits of a number node; neg/mag get sign and magnitude.
 * Returns 0, 1 (not a whole number), 2 (magnitude overflows 64 bits). */
static int number_text(const memgate__jdoc *doc, const cJSON *node, bool *neg, uint64_t *mag) {
  size_t p = memgate__jdoc_value_off(doc, node);
  const char *s = doc->text;
  uint64_t v = 0;
  bool over = false;
  *neg = false;
  if (p < doc->len && s[p] == '-') {
    *neg = true;
    p++;
  }
  while (p < doc->len && is_digit((unsigned char)s[p])) {
    unsigned d = (unsigned)(s[p] - '0');
    if (v > (UINT64_MAX - d) / 10u) over = true;
    else v = v * 10u + d;
    p++;
  }
  if (p < doc->len && (s[p] == '.' || s[p] == 'e' || s[p] == 'E')) return 1;
  *mag = v;
  return over ? 2 : 0;
}

int memgate__jdoc_get_int(const memgate__jdoc *doc, const cJSON *node, int64_t lo, int64_t hi,
                          const char *what, int64_t *out, memgate__jerr *err) {
  size_t off = memgate__jdoc_value_off(doc, node);
  bool neg;
  uint64_t mag = 0;
  if (!cJSON_IsNumber(node)) {
    jerr_set(err, off, "%s must be a whole number from %lld to %lld, not %s", what, (long long)lo,
             (long long)hi, type_name(node));
    return MEMGATE_EPARSE;
  }
  int rc = number_text(doc, node, &neg, &mag);
  if (rc == 1) {
    jerr_set(err, off, "%s must be a whole number (digits only, no fraction or exponent)", what);
    return MEMGATE_EPARSE;
  }
  bool in = rc == 0;
  int64_t v = 0;
  if (in) {
    if (neg) {
      if (mag > (uint64_t)INT64_MAX + 1u) in = false;
      else v = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    } else {
      if (mag > (uint64_t)INT64_MAX) in = false;
      else v = (int64_t)mag;
    }
  }
  if (!in || v < lo || v > hi) {
    if (neg && lo >= 0)
      jerr_set(err, off, "%s must not be negative (allowed: %lld to %lld)", what, (long long)lo,
               (long long)hi);
    else
      jerr_set(err, off, "%s is out of range (allowed: %lld to %lld)", what, (long long)lo,
               (long long)hi);
    return MEMGATE_EPARSE;
  }
  *out = v;
  return 0;
}

int memgate__jdoc_get_uint(const memgate__jdoc *doc, const cJSON *node, uint64_t hi,
                           const char *what, uint64_t *out, memgate__jerr *err) {
  size_t off = memgate__jdoc_value_off(doc, node);
  bool neg;
  uint64_t mag = 0;
  if (!cJSON_IsNumber(node)) {
    jerr_set(err, off, "%s must be a whole number from 0 to %llu, not %s", what,
             (unsigned long long)hi, type_name(node));
    return MEMGATE_EPARSE;
  }
  int rc = number_text(doc, node, &neg, &mag);
  if (rc == 1) {
    jerr_set(err, off, "%s must be a whole number (digits only, no fraction or exponent)", what);
    return MEMGATE_EPARSE;
  }
  if (neg && (rc != 0 || mag != 0)) {
    jerr_set(err, off, "%s must not be negative (allowed: 0 to %llu)", what,
             (unsigned long long)hi);
    return MEMGATE_EPARSE;
  }
  if (rc != 0 || mag > hi) {
    jerr_set(err, off, "%s is out of range (allowed: 0 to %llu)", what, (unsigned long long)hi);
    return MEMGATE_EPARSE;
  }
  *out = mag;
  return 0;
}

void memgate__text_seek(memgate__text_cursor *c, const char *text, size_t len, size_t off) {
  if (off > len) off = len;
  if (off < c->off || c->line == 0) {
    c->off = 0;
    c->line = 1;
    c->col = 1;
  }
  /* Carries on from the last position: a document read front to back costs
   * one pass in all (as cJSON's parse_buffer carries its offset). */
  for (size_t i = c->off; i < off; i++) {
    if (text[i] == '\n') {
      c->line++;
      c->col = 1;
    } else {
      c->col++;
    }
  }
  c->off = off;
}

void memgate__text_pos(const char *text, size_t len, size_t off, uint32_t *line, uint32_t *col) {
  memgate__text_cursor c = {0, 0, 0};
  memgate__text_seek(&c, text, len, off);
  *line = c.line;
  *col = c.col;
}
