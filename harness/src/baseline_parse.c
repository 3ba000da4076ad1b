/*
 * Baseline files: parse and validate a file's bytes into the model
 * (docs/CI.md has the format). Strict: unknown keys, wrong types, values out
 * of range and scopes in the wrong file are errors with path:line:col.
 *
 * Linear in the file size: the strict JSON layer parses once, positions are
 * taken with one cursor carried in document order (memgate__text_seek), and
 * the entries are appended and sorted once at the end.
 */
#include "baseline_store.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define msgf memgate__msgf

typedef struct pctx {
  const char *path;
  const memgate__jdoc *doc;
  memgate__text_cursor cur; /* where the last position was taken */
  char *err;
  size_t cap;
} pctx;

static int fail_at(pctx *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(pctx *p, size_t off, const char *fmt, ...) {
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  memgate__text_seek(&p->cur, p->doc->text, p->doc->len, off);
  msgf(p->err, p->cap, "%s:%u:%u: %s", p->path, (unsigned)p->cur.line, (unsigned)p->cur.col, what);
  return MEMGATE_EBASELINE;
}

static int fail_jerr(pctx *p, const memgate__jerr *je) { return fail_at(p, je->off, "%s", je->msg); }

/* ------------------------------------------------------------------------
 * One entry
 * ------------------------------------------------------------------------ */

/* The whole-number fields of an entry: range and where they go. */
typedef struct int_field {
  const char *key;
  int64_t lo, hi;
  size_t off;
  char type;     /* 'l' int64_t, 'i' int32_t, 'u' uint32_t */
  bool nullable; /* null means "none" (-1) */
} int_field;

static const int_field k_int_fields[] = {
    {"iterations", 1, MEMGATE__BL_MAX_ITERATIONS, offsetof(memgate__bl_entry, iterations), 'u', false},
    {"peak_bytes", 0, MEMGATE__BL_MAX_BYTES, offsetof(memgate__bl_entry, peak_bytes), 'l', true},
    {"peak_tolerance_bytes", 0, MEMGATE__BL_MAX_BYTES,
     offsetof(memgate__bl_entry, peak_tolerance_bytes), 'l', false},
    {"peak_tolerance_percent", 0, MEMGATE__BL_MAX_PERCENT,
     offsetof(memgate__bl_entry, peak_tolerance_percent), 'i', false},
    {"retained_bytes", 0, MEMGATE__BL_MAX_BYTES, offsetof(memgate__bl_entry, retained_bytes), 'l', false},
    {"tolerance_bytes", 0, MEMGATE__BL_MAX_BYTES, offsetof(memgate__bl_entry, tolerance_bytes), 'l', false},
    {"tolerance_percent", 0, MEMGATE__BL_MAX_PERCENT, offsetof(memgate__bl_entry, tolerance_percent),
     'i', false},
};

static void store_int(memgate__bl_entry *e, const int_field *f, int64_t v) {
  char *at = (char *)e + f->off;
  if (f->type == 'l') {
    memcpy(at, &v, sizeof v);
  } else if (f->type == 'i') {
    int32_t x = (int32_t)v;
    memcpy(at, &x, sizeof x);
  } else {
    uint32_t x = (uint32_t)v;
    memcpy(at, &x, sizeof x);
  }
}

static const int_field *int_field_of(const char *key) {
  for (size_t i = 0; i < sizeof k_int_fields / sizeof k_int_fields[0]; i++)
    if (strcmp(k_int_fields[i].key, key) == 0) return &k_int_fields[i];
  return NULL;
}

static int parse_int_field(pctx *p, const cJSON *f, const int_field *spec, memgate__bl_entry *e) {
  char what[128];
  memgate__jerr je;
  int64_t v;
  if (spec->nullable && cJSON_IsNull(f)) {
    store_int(e, spec, -1);
    return 0;
  }
  snprintf(what, sizeof what, "\"%s\"", spec->key);
  if (memgate__jdoc_get_int(p->doc, f, spec->lo, spec->hi, what, &v, &je)) return fail_jerr(p, &je);
  store_int(e, spec, v);
  return 0;
}

static int parse_text_field(pctx *p, const cJSON *f, memgate__bl_entry *e) {
  const char *k = f->string;
  size_t at = memgate__jdoc_value_off(p->doc, f);
  if (strcmp(k, "kind") == 0) {
    if (!cJSON_IsString(f) || (strcmp(f->valuestring, "scope") != 0 && strcmp(f->valuestring, "repeat") != 0))
      return fail_at(p, at, "\"kind\" must be \"scope\" or \"repeat\"");
    e->kind = strcmp(f->valuestring, "repeat") == 0 ? MemgateKindRepeat : MemgateKindScope;
    return 0;
  }
  if (strcmp(k, "note") == 0) {
    if (!cJSON_IsString(f)) return fail_at(p, at, "\"note\" must be a string");
    size_t n = strlen(f->valuestring);
    if (n >= MEMGATE__BL_NOTE_CAP || !memgate__text_clean(f->valuestring, n))
      return fail_at(p, at, "\"note\" must be one line of at most %d bytes (no control characters)",
                     MEMGATE__BL_NOTE_CAP - 1);
    e->note = f->valuestring; /* copied by memgate__bl_append */
    return 0;
  }
  return fail_at(p, memgate__jdoc_key_off(p->doc, f),
                 "unknown field \"%.80s\" (known: iterations, kind, note, peak_bytes, "
                 "peak_tolerance_bytes, peak_tolerance_percent, retained_bytes, "
                 "tolerance_bytes, tolerance_percent)",
                 k);
}

static void entry_unset(memgate__bl_entry *e) {
  memset(e, 0, sizeof *e);
  e->kind = -1;
  e->retained_bytes = -1;
  e->peak_bytes = -1;
  e->tolerance_bytes = -1;
  e->tolerance_percent = -1;
  e->peak_tolerance_bytes = -1;
  e->peak_tolerance_percent = -1;
  e->iterations = 1;
}

static int parse_entry(pctx *p, const cJSON *scope, const cJSON *plat, memgate__bl_file *out) {
  const memgate__jdoc *doc = p->doc;
  memgate__bl_entry e;
  entry_unset(&e);
  if (!cJSON_IsObject(plat))
    return fail_at(p, memgate__jdoc_value_off(doc, plat),
                   "the entry \"%.80s\" of scope \"%.80s\" must be an object", plat->string,
                   scope->string);
  for (const cJSON *f = plat->child; f; f = f->next) {
    const int_field *spec = int_field_of(f->string);
    int rc = spec ? parse_int_field(p, f, spec, &e) : parse_text_field(p, f, &e);
    if (rc) return rc;
  }
  if (e.retained_bytes < 0)
    return fail_at(p, memgate__jdoc_value_off(doc, plat),
                   "the entry \"%.80s\" of scope \"%.80s\" has no \"retained_bytes\"",
                   plat->string, scope->string);
  if (e.kind == MemgateKindScope && e.iterations != 1)
    return fail_at(p, memgate__jdoc_value_off(doc, plat),
                   "a \"scope\" entry has \"iterations\": 1 (repeats have more)");
  memgate__text_seek(&p->cur, doc->text, doc->len, memgate__jdoc_key_off(doc, plat));
  e.line = p->cur.line;
  e.col = p->cur.col;
  e.scope = scope->string;
  e.platform = plat->string;
  /* Entries are unique here (duplicate keys were refused); sorted at the end. */
  return memgate__bl_append(out, &e) ? MEMGATE_ENOMEM : 0;
}

/* ------------------------------------------------------------------------
 * Scopes and the top level
 * ------------------------------------------------------------------------ */

static int parse_scope(pctx *p, const cJSON *s, const char *expect_name, memgate__bl_file *out) {
  const memgate__jdoc *doc = p->doc;
  size_t koff = memgate__jdoc_key_off(doc, s);
  if (!memgate__bl_scope_ok(s->string))
    return fail_at(p, koff, "invalid scope name (1 to %d bytes, no control characters)",
                   MEMGATE__BL_NAME_CAP - 1);
  if (expect_name) {
    char want[128];
    memgate__bl_file_name(s->string, want, sizeof want);
    if (strcmp(want, expect_name) != 0)
      return fail_at(p, koff,
                     "scope \"%.80s\" belongs in %s, not %s (a scope's file is named after the "
                     "part of its name before the first '.')",
                     s->string, want, expect_name);
  }
  if (!cJSON_IsObject(s))
    return fail_at(p, memgate__jdoc_value_off(doc, s),
                   "scope \"%.80s\" must be an object mapping platform keys to entries", s->string);
  if (!s->child)
    return fail_at(p, memgate__jdoc_value_off(doc, s), "scope \"%.80s\" has no platform entries",
                   s->string);
  for (const cJSON *pl = s->child; pl; pl = pl->next) {
    if (!memgate__bl_platform_ok(pl->string))
      return fail_at(p, memgate__jdoc_key_off(doc, pl),
                     "invalid platform key \"%.80s\" (1 to 63 of a-z 0-9 . _ -)", pl->string);
    int rc = parse_entry(p, s, pl, out);
    if (rc) return rc;
  }
  return 0;
}

static int parse_format(pctx *p, const cJSON *root) {
  const memgate__jdoc *doc = p->doc;
  memgate__jerr je;
  int64_t version;
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!format)
    return fail_at(p, memgate__jdoc_value_off(doc, root),
                   "missing \"format\" (the baseline format version, %d)", MEMGATE__BL_FORMAT);
  if (memgate__jdoc_get_int(doc, format, 0, INT32_MAX, "\"format\"", &version, &je))
    return fail_jerr(p, &je);
  if (version != MEMGATE__BL_FORMAT)
    return fail_at(p, memgate__jdoc_value_off(doc, format),
                   "unsupported baseline format version %lld (this memgate reads version %d%s)",
                   (long long)version, MEMGATE__BL_FORMAT,
                   version > MEMGATE__BL_FORMAT ? "; was the file written by a newer memgate?" : "");
  return 0;
}

/* Checks the top level; *scopes gets the "scopes" object. */
static int parse_top(pctx *p, const cJSON *root, const cJSON **scopes) {
  const memgate__jdoc *doc = p->doc;
  *scopes = NULL;
  if (!cJSON_IsObject(root))
    return fail_at(p, memgate__jdoc_value_off(doc, root),
                   "the top level must be an object with \"format\" and \"scopes\"");
  int rc = parse_format(p, root);
  if (rc) return rc;
  for (const cJSON *m = root->child; m; m = m->next) {
    if (strcmp(m->string, "scopes") == 0)
      *scopes = m;
    else if (strcmp(m->string, "format") != 0)
      return fail_at(p, memgate__jdoc_key_off(doc, m),
                     "unknown key \"%.80s\" at the top level (expected \"format\" and \"scopes\")",
                     m->string);
  }
  if (!*scopes) return fail_at(p, memgate__jdoc_value_off(doc, root), "missing \"scopes\"");
  if (!cJSON_IsObject(*scopes))
    return fail_at(p, memgate__jdoc_value_off(doc, *scopes),
                   "\"scopes\" must be an object mapping scope names to platform entries");
  return 0;
}

/* The strict JSON layer refused the text: the message with its position. */
static int parse_failed(pctx *p, const char *text, size_t len, const memgate__jerr *je, int rc) {
  memgate__jdoc tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.text = text;
  tmp.len = text ? len : 0;
  p->doc = &tmp;
  fail_jerr(p, je);
  p->doc = NULL;
  return rc == MEMGATE_ENOMEM ? MEMGATE_ENOMEM : MEMGATE_EBASELINE;
}

int memgate__bl_parse(const char *text, size_t len, const char *path, const char *expect_name,
                      memgate__bl_file *out, char *err, size_t cap) {
  memgate__jdoc doc;
  memgate__jerr je;
  pctx p;
  const cJSON *scopes;

  memset(out, 0, sizeof *out);
  memset(&p, 0, sizeof p);
  if (!path) path = "(baseline)";
  if (len > MEMGATE__BL_MAX_FILE) {
    msgf(err, cap, "%s: larger than %u bytes: not a baseline file", path, MEMGATE__BL_MAX_FILE);
    return MEMGATE_EBASELINE;
  }
  p.path = path;
  p.err = err;
  p.cap = cap;
  int rc = memgate__jdoc_parse(&doc, text, len, &je);
  if (rc) return parse_failed(&p, text, len, &je, rc);
  p.doc = &doc;
  out->path = memgate__bl_strdup(path);
  rc = out->path ? parse_top(&p, doc.root, &scopes) : MEMGATE_ENOMEM;
  for (const cJSON *s = rc ? NULL : scopes->child; s && !rc; s = s->next)
    rc = parse_scope(&p, s, expect_name, out);
  if (!rc) memgate__bl_sort(out);
  if (rc == MEMGATE_ENOMEM) msgf(err, cap, "%s: out of memory", path);
  if (rc) memgate__bl_free(out);
  memgate__jdoc_free(&doc);
  return rc;
}
