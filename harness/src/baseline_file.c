/*
 * Baseline files: parse and validate, stable formatting, lookup with
 * platform fallback, merge, locked atomic update, and the comparison rule.
 * The format and the rules are documented in docs/CI.md.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "baseline_store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#  define O_CLOEXEC 0
#endif
#ifndef O_DIRECTORY
#  define O_DIRECTORY 0
#endif

#define PATH_CAP 4096

#define msgf memgate__msgf

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* ------------------------------------------------------------------------
 * Names and keys
 * ------------------------------------------------------------------------ */

bool memgate__bl_platform_ok(const char *key) {
  size_t n = key ? strlen(key) : 0;
  if (n == 0 || n >= MEMGATE__BL_KEY_CAP) return false;
  for (size_t i = 0; i < n; i++) {
    char c = key[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

bool memgate__bl_scope_ok(const char *name) {
  return memgate__check_name(name, NULL, 0) == 0; /* validate.c: the library's and the tool's rule */
}

void memgate__bl_file_name(const char *scope, char *buf, size_t cap) {
  char stem[101];
  size_t n = 0;
  if (!buf || cap == 0) return;
  for (const char *p = scope ? scope : ""; *p && *p != '.' && n < sizeof stem - 1; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    stem[n++] = ok ? c : '_';
  }
  if (n == 0) stem[n++] = '_';
  stem[n] = '\0';
  msgf(buf, cap, "%s.json", stem);
}

size_t memgate__bl_fallbacks(const char *platform, char keys[3][MEMGATE__BL_KEY_CAP]) {
  static const char *const sims[] = {"ios-simulator-", "tvos-simulator-", "watchos-simulator-",
                                     "visionos-simulator-", "maccatalyst-"};
  size_t n = 0;
  if (!platform || !*platform) platform = MEMGATE__BL_ANY;
  msgf(keys[n++], MEMGATE__BL_KEY_CAP, "%s", platform);
  if (strcmp(platform, MEMGATE__BL_ANY) == 0) return n;
  for (size_t i = 0; i < sizeof sims / sizeof sims[0]; i++) {
    size_t l = strlen(sims[i]);
    if (strncmp(platform, sims[i], l) == 0 && platform[l] != '\0') {
      msgf(keys[n++], MEMGATE__BL_KEY_CAP, "macos-%s", platform + l);
      break;
    }
  }
  msgf(keys[n++], MEMGATE__BL_KEY_CAP, "%s", MEMGATE__BL_ANY);
  return n;
}

/* ------------------------------------------------------------------------
 * The model
 * ------------------------------------------------------------------------ */

static int entry_cmp(const char *scope_a, const char *plat_a, const char *scope_b,
                     const char *plat_b) {
  int c = strcmp(scope_a, scope_b);
  return c ? c : strcmp(plat_a, plat_b);
}

/* Index of (scope, platform) or where it would go; *found says which. */
static size_t find_slot(const memgate__bl_file *f, const char *scope, const char *platform,
                        bool *found) {
  size_t lo = 0, hi = f->count;
  *found = false;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = entry_cmp(f->entries[mid].scope, f->entries[mid].platform, scope, platform);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const memgate__bl_entry *memgate__bl_find(const memgate__bl_file *f, const char *scope,
                                          const char *platform) {
  bool found;
  if (!f || !scope || !platform || f->count == 0) return NULL;
  size_t i = find_slot(f, scope, platform, &found);
  return found ? &f->entries[i] : NULL;
}

const memgate__bl_entry *memgate__bl_lookup(const memgate__bl_file *f, const char *scope,
                                            const char *platform) {
  char keys[3][MEMGATE__BL_KEY_CAP];
  size_t n = memgate__bl_fallbacks(platform, keys);
  for (size_t i = 0; i < n; i++) {
    const memgate__bl_entry *e = memgate__bl_find(f, scope, keys[i]);
    if (e) return e;
  }
  return NULL;
}

static void entry_free(memgate__bl_entry *e) {
  free(e->scope);
  free(e->platform);
  free(e->note);
}

void memgate__bl_free(memgate__bl_file *f) {
  if (!f) return;
  for (size_t i = 0; i < f->count; i++) entry_free(&f->entries[i]);
  free(f->entries);
  free(f->path);
  memset(f, 0, sizeof *f);
}

/* Inserts or updates; defaults: fill the default tolerance into a new entry. */
static int put_entry(memgate__bl_file *f, const memgate__bl_entry *e, bool defaults) {
  bool found;
  size_t i = find_slot(f, e->scope, e->platform, &found);
  if (found) {
    memgate__bl_entry *d = &f->entries[i];
    if (e->note) {
      char *note = dup_str(e->note);
      if (!note) return MEMGATE_ENOMEM;
      free(d->note);
      d->note = note;
    }
    d->retained_bytes = e->retained_bytes;
    d->peak_bytes = e->peak_bytes;
    d->iterations = e->iterations ? e->iterations : 1;
    if (e->kind >= 0) d->kind = e->kind;
    if (e->tolerance_bytes >= 0) d->tolerance_bytes = e->tolerance_bytes;
    if (e->tolerance_percent >= 0) d->tolerance_percent = e->tolerance_percent;
    if (e->peak_tolerance_bytes >= 0) d->peak_tolerance_bytes = e->peak_tolerance_bytes;
    if (e->peak_tolerance_percent >= 0) d->peak_tolerance_percent = e->peak_tolerance_percent;
    return 0;
  }
  if (f->count == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 8;
    memgate__bl_entry *ne = realloc(f->entries, cap * sizeof *ne);
    if (!ne) return MEMGATE_ENOMEM;
    f->entries = ne;
    f->cap = cap;
  }
  memgate__bl_entry n = *e;
  n.scope = dup_str(e->scope);
  n.platform = dup_str(e->platform);
  n.note = e->note ? dup_str(e->note) : NULL;
  if (!n.scope || !n.platform || (e->note && !n.note)) {
    entry_free(&n);
    return MEMGATE_ENOMEM;
  }
  if (n.iterations == 0) n.iterations = 1;
  if (defaults && n.tolerance_bytes < 0) n.tolerance_bytes = MEMGATE__BL_DEFAULT_TOLERANCE_BYTES;
  if (defaults && n.tolerance_percent < 0)
    n.tolerance_percent = MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT;
  if (defaults && n.peak_tolerance_bytes < 0)
    n.peak_tolerance_bytes = MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES;
  if (defaults && n.peak_tolerance_percent < 0)
    n.peak_tolerance_percent = MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT;
  memmove(&f->entries[i + 1], &f->entries[i], (f->count - i) * sizeof *f->entries);
  f->entries[i] = n;
  f->count++;
  return 0;
}

int memgate__bl_put(memgate__bl_file *f, const memgate__bl_entry *e) { return put_entry(f, e, true); }

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

typedef struct pctx {
  const char *path;
  const memgate__jdoc *doc;
  char *err;
  size_t cap;
} pctx;

static int fail_at(const pctx *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(const pctx *p, size_t off, const char *fmt, ...) {
  char what[384];
  uint32_t line, col;
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  memgate__text_pos(p->doc->text, p->doc->len, off, &line, &col);
  msgf(p->err, p->cap, "%s:%u:%u: %s", p->path, (unsigned)line, (unsigned)col, what);
  return MEMGATE_EBASELINE;
}

static int fail_jerr(const pctx *p, const memgate__jerr *je) { return fail_at(p, je->off, "%s", je->msg); }

static const char *kind_text(int kind) {
  return kind == MemgateKindRepeat ? "repeat" : kind == MemgateKindScope ? "scope" : "?";
}

static int parse_entry(const pctx *p, const cJSON *scope, const cJSON *plat, memgate__bl_file *out) {
  const memgate__jdoc *doc = p->doc;
  memgate__jerr je;
  memgate__bl_entry e;
  bool have_retained = false;
  int64_t v;
  char what[128];

  memset(&e, 0, sizeof e);
  e.kind = -1;
  e.peak_bytes = -1;
  e.tolerance_bytes = -1;
  e.tolerance_percent = -1;
  e.peak_tolerance_bytes = -1;
  e.peak_tolerance_percent = -1;
  e.iterations = 1;
  if (!cJSON_IsObject(plat))
    return fail_at(p, memgate__jdoc_value_off(doc, plat),
                   "the entry \"%.80s\" of scope \"%.80s\" must be an object", plat->string,
                   scope->string);
  for (const cJSON *f = plat->child; f; f = f->next) {
    const char *k = f->string;
    snprintf(what, sizeof what, "\"%s\"", k);
    if (strcmp(k, "retained_bytes") == 0) {
      if (memgate__jdoc_get_int(doc, f, 0, MEMGATE__BL_MAX_BYTES, what, &v, &je)) return fail_jerr(p, &je);
      e.retained_bytes = v;
      have_retained = true;
    } else if (strcmp(k, "peak_bytes") == 0) {
      if (cJSON_IsNull(f)) {
        e.peak_bytes = -1;
      } else {
        if (memgate__jdoc_get_int(doc, f, 0, MEMGATE__BL_MAX_BYTES, what, &v, &je)) return fail_jerr(p, &je);
        e.peak_bytes = v;
      }
    } else if (strcmp(k, "tolerance_bytes") == 0) {
      if (memgate__jdoc_get_int(doc, f, 0, MEMGATE__BL_MAX_BYTES, what, &v, &je)) return fail_jerr(p, &je);
      e.tolerance_bytes = v;
    } else if (strcmp(k, "tolerance_percent") == 0) {
      if (memgate__jdoc_get_int(doc, f, 0, MEMGATE__BL_MAX_PERCENT, what, &v, &je)) return fail_jerr(p, &je);
      e.tolerance_percent = (int32_t)v;
    } else if (strcmp(k, "peak_tolerance_bytes") == 0) {
      if (memgate__jdoc_get_int(doc, f, 0, MEMGATE__BL_MAX_BYTES, what, &v, &je)) return fail_jerr(p, &je);
      e.peak_tolerance_bytes = v;
    } else if (strcmp(k, "peak_tolerance_percent") == 0) {
      if (memgate__jdoc_get_int(doc, f, 0, MEMGATE__BL_MAX_PERCENT, what, &v, &je)) return fail_jerr(p, &je);
      e.peak_tolerance_percent = (int32_t)v;
    } else if (strcmp(k, "iterations") == 0) {
      if (memgate__jdoc_get_int(doc, f, 1, MEMGATE__BL_MAX_ITERATIONS, what, &v, &je)) return fail_jerr(p, &je);
      e.iterations = (uint32_t)v;
    } else if (strcmp(k, "kind") == 0) {
      if (!cJSON_IsString(f) || (strcmp(f->valuestring, "scope") != 0 && strcmp(f->valuestring, "repeat") != 0))
        return fail_at(p, memgate__jdoc_value_off(doc, f), "\"kind\" must be \"scope\" or \"repeat\"");
      e.kind = strcmp(f->valuestring, "repeat") == 0 ? MemgateKindRepeat : MemgateKindScope;
    } else if (strcmp(k, "note") == 0) {
      if (!cJSON_IsString(f))
        return fail_at(p, memgate__jdoc_value_off(doc, f), "\"note\" must be a string");
      size_t n = strlen(f->valuestring);
      if (n >= MEMGATE__BL_NOTE_CAP || !memgate__text_clean(f->valuestring, n))
        return fail_at(p, memgate__jdoc_value_off(doc, f),
                       "\"note\" must be one line of at most %d bytes (no control characters)",
                       MEMGATE__BL_NOTE_CAP - 1);
      e.note = (char *)f->valuestring; /* copied by put */
    } else {
      return fail_at(p, memgate__jdoc_key_off(doc, f),
                     "unknown field \"%.80s\" (known: iterations, kind, note, peak_bytes, "
                     "peak_tolerance_bytes, peak_tolerance_percent, retained_bytes, "
                     "tolerance_bytes, tolerance_percent)",
                     k);
    }
  }
  if (!have_retained)
    return fail_at(p, memgate__jdoc_value_off(doc, plat),
                   "the entry \"%.80s\" of scope \"%.80s\" has no \"retained_bytes\"",
                   plat->string, scope->string);
  if (e.kind == MemgateKindScope && e.iterations != 1)
    return fail_at(p, memgate__jdoc_value_off(doc, plat),
                   "a \"scope\" entry has \"iterations\": 1 (repeats have more)");
  uint32_t line, col;
  memgate__text_pos(doc->text, doc->len, memgate__jdoc_key_off(doc, plat), &line, &col);
  e.line = line;
  e.col = col;
  e.scope = scope->string;
  e.platform = plat->string;
  /* Entries are unique here (duplicate keys were refused), so this inserts. */
  if (put_entry(out, &e, false)) return MEMGATE_ENOMEM;
  return 0;
}

int memgate__bl_parse(const char *text, size_t len, const char *path, const char *expect_name,
                      memgate__bl_file *out, char *err, size_t cap) {
  memgate__jdoc doc;
  memgate__jerr je;
  pctx p;
  int rc;

  memset(out, 0, sizeof *out);
  if (!path) path = "(baseline)";
  if (len > MEMGATE__BL_MAX_FILE) {
    msgf(err, cap, "%s: larger than %u bytes: not a baseline file", path, MEMGATE__BL_MAX_FILE);
    return MEMGATE_EBASELINE;
  }
  p.path = path;
  p.doc = &doc;
  p.err = err;
  p.cap = cap;
  rc = memgate__jdoc_parse(&doc, text, len, &je);
  if (rc) {
    memgate__jdoc tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.text = text;
    tmp.len = text ? len : 0;
    p.doc = &tmp;
    fail_jerr(&p, &je);
    return rc == MEMGATE_ENOMEM ? MEMGATE_ENOMEM : MEMGATE_EBASELINE;
  }
  out->path = dup_str(path);
  if (!out->path) {
    rc = MEMGATE_ENOMEM;
    goto done;
  }
  const cJSON *root = doc.root;
  if (!cJSON_IsObject(root)) {
    rc = fail_at(&p, memgate__jdoc_value_off(&doc, root),
                 "the top level must be an object with \"format\" and \"scopes\"");
    goto done;
  }
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!format) {
    rc = fail_at(&p, memgate__jdoc_value_off(&doc, root),
                 "missing \"format\" (the baseline format version, %d)", MEMGATE__BL_FORMAT);
    goto done;
  }
  int64_t version;
  if (memgate__jdoc_get_int(&doc, format, 0, INT32_MAX, "\"format\"", &version, &je)) {
    rc = fail_jerr(&p, &je);
    goto done;
  }
  if (version != MEMGATE__BL_FORMAT) {
    rc = fail_at(&p, memgate__jdoc_value_off(&doc, format),
                 "unsupported baseline format version %lld (this memgate reads version %d%s)",
                 (long long)version, MEMGATE__BL_FORMAT,
                 version > MEMGATE__BL_FORMAT ? "; was the file written by a newer memgate?" : "");
    goto done;
  }
  const cJSON *scopes = NULL;
  for (const cJSON *m = root->child; m; m = m->next) {
    if (strcmp(m->string, "scopes") == 0) {
      scopes = m;
    } else if (strcmp(m->string, "format") != 0) {
      rc = fail_at(&p, memgate__jdoc_key_off(&doc, m),
                   "unknown key \"%.80s\" at the top level (expected \"format\" and \"scopes\")",
                   m->string);
      goto done;
    }
  }
  if (!scopes) {
    rc = fail_at(&p, memgate__jdoc_value_off(&doc, root), "missing \"scopes\"");
    goto done;
  }
  if (!cJSON_IsObject(scopes)) {
    rc = fail_at(&p, memgate__jdoc_value_off(&doc, scopes),
                 "\"scopes\" must be an object mapping scope names to platform entries");
    goto done;
  }
  for (const cJSON *s = scopes->child; s; s = s->next) {
    size_t koff = memgate__jdoc_key_off(&doc, s);
    if (!memgate__bl_scope_ok(s->string)) {
      rc = fail_at(&p, koff, "invalid scope name (1 to %d bytes, no control characters)",
                   MEMGATE__BL_NAME_CAP - 1);
      goto done;
    }
    if (expect_name) {
      char want[128];
      memgate__bl_file_name(s->string, want, sizeof want);
      if (strcmp(want, expect_name) != 0) {
        rc = fail_at(&p, koff,
                     "scope \"%.80s\" belongs in %s, not %s (a scope's file is named after the "
                     "part of its name before the first '.')",
                     s->string, want, expect_name);
        goto done;
      }
    }
    if (!cJSON_IsObject(s)) {
      rc = fail_at(&p, memgate__jdoc_value_off(&doc, s),
                   "scope \"%.80s\" must be an object mapping platform keys to entries", s->string);
      goto done;
    }
    if (!s->child) {
      rc = fail_at(&p, memgate__jdoc_value_off(&doc, s), "scope \"%.80s\" has no platform entries",
                   s->string);
      goto done;
    }
    for (const cJSON *pl = s->child; pl; pl = pl->next) {
      if (!memgate__bl_platform_ok(pl->string)) {
        rc = fail_at(&p, memgate__jdoc_key_off(&doc, pl),
                     "invalid platform key \"%.80s\" (1 to 63 of a-z 0-9 . _ -)", pl->string);
        goto done;
      }
      rc = parse_entry(&p, s, pl, out);
      if (rc) goto done;
    }
  }
  rc = 0;
done:
  if (rc == MEMGATE_ENOMEM) msgf(err, cap, "%s: out of memory", path);
  if (rc) memgate__bl_free(out);
  memgate__jdoc_free(&doc);
  return rc;
}

/* Reads at most max bytes (+1 to detect more) from fd into a malloc'd buffer. */
static int read_fd(int fd, size_t max, char **out, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) return MEMGATE_ENOMEM;
  for (;;) {
    if (n == cap) {
      if (cap > max) break;
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return MEMGATE_ENOMEM;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      errno = e;
      return MEMGATE_EIO;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > max) break;
  }
  *out = buf;
  *len = n;
  return 0;
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

int memgate__bl_load(const char *path, memgate__bl_file *out, bool *missing, char *err, size_t cap) {
  struct stat st;
  char *text = NULL;
  size_t len = 0;
  memset(out, 0, sizeof *out);
  if (missing) *missing = false;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      if (missing) *missing = true;
      out->path = dup_str(path);
      return out->path ? 0 : MEMGATE_ENOMEM;
    }
    msgf(err, cap, "%s: cannot open: %s", path, strerror(errno));
    return MEMGATE_EBASELINE;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    msgf(err, cap, "%s: not a regular file", path);
    close(fd);
    return MEMGATE_EBASELINE;
  }
  int rc = read_fd(fd, MEMGATE__BL_MAX_FILE, &text, &len);
  close(fd);
  if (rc == MEMGATE_EIO) {
    msgf(err, cap, "%s: cannot read: %s", path, strerror(errno));
    return MEMGATE_EBASELINE;
  }
  if (rc) {
    msgf(err, cap, "%s: out of memory", path);
    return rc;
  }
  rc = memgate__bl_parse(text, len, path, base_name(path), out, err, cap);
  free(text);
  return rc;
}

/* ------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

typedef memgate__buf sbuf;
#define sb_put memgate__buf_put
#define sb_cstr memgate__buf_puts
#define sb_jstr memgate__buf_json_str

static void sb_indent(sbuf *b, int level) {
  for (int i = 0; i < level; i++) sb_put(b, "  ", 2);
}

static void sb_field_i64(sbuf *b, bool *first, const char *k, int64_t v) {
  char num[32];
  if (!*first) sb_put(b, ",\n", 2);
  *first = false;
  sb_indent(b, 4);
  sb_jstr(b, k);
  snprintf(num, sizeof num, ": %lld", (long long)v);
  sb_cstr(b, num);
}

static void sb_field_str(sbuf *b, bool *first, const char *k, const char *v) {
  if (!*first) sb_put(b, ",\n", 2);
  *first = false;
  sb_indent(b, 4);
  sb_jstr(b, k);
  sb_put(b, ": ", 2);
  sb_jstr(b, v);
}

char *memgate__bl_format(const memgate__bl_file *f, size_t *len) {
  sbuf b;
  memset(&b, 0, sizeof b);
  sb_cstr(&b, "{\n  \"format\": 1,\n  \"scopes\": {");
  size_t count = f ? f->count : 0;
  if (count == 0) sb_cstr(&b, "}\n}\n");
  for (size_t i = 0; i < count; i++) {
    const memgate__bl_entry *e = &f->entries[i];
    bool new_scope = i == 0 || strcmp(f->entries[i - 1].scope, e->scope) != 0;
    bool last_of_scope = i + 1 == count || strcmp(f->entries[i + 1].scope, e->scope) != 0;
    if (new_scope) {
      sb_cstr(&b, i == 0 ? "\n" : ",\n");
      sb_indent(&b, 2);
      sb_jstr(&b, e->scope);
      sb_cstr(&b, ": {\n");
    } else {
      sb_cstr(&b, ",\n");
    }
    sb_indent(&b, 3);
    sb_jstr(&b, e->platform);
    sb_cstr(&b, ": {\n");
    /* Keys in byte order. */
    bool first = true;
    sb_field_i64(&b, &first, "iterations", e->iterations ? e->iterations : 1);
    if (e->kind >= 0) sb_field_str(&b, &first, "kind", kind_text(e->kind));
    if (e->note) sb_field_str(&b, &first, "note", e->note);
    if (e->peak_bytes >= 0) sb_field_i64(&b, &first, "peak_bytes", e->peak_bytes);
    if (e->peak_tolerance_bytes >= 0)
      sb_field_i64(&b, &first, "peak_tolerance_bytes", e->peak_tolerance_bytes);
    if (e->peak_tolerance_percent >= 0)
      sb_field_i64(&b, &first, "peak_tolerance_percent", e->peak_tolerance_percent);
    sb_field_i64(&b, &first, "retained_bytes", e->retained_bytes);
    if (e->tolerance_bytes >= 0) sb_field_i64(&b, &first, "tolerance_bytes", e->tolerance_bytes);
    if (e->tolerance_percent >= 0)
      sb_field_i64(&b, &first, "tolerance_percent", e->tolerance_percent);
    sb_cstr(&b, "\n");
    sb_indent(&b, 3);
    sb_cstr(&b, "}");
    if (last_of_scope) {
      sb_cstr(&b, "\n");
      sb_indent(&b, 2);
      sb_cstr(&b, "}");
    }
    if (i + 1 == count) sb_cstr(&b, "\n  }\n}\n");
  }
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  if (len) *len = b.len;
  return b.p;
}

/* ------------------------------------------------------------------------
 * Locked atomic update
 * ------------------------------------------------------------------------ */

static int mkdir_p(const char *dir, char *err, size_t cap) {
  char tmp[PATH_CAP];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof tmp) {
    msgf(err, cap, "%s: invalid directory name", dir);
    return MEMGATE_EBASELINE;
  }
  memcpy(tmp, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (tmp[i] != '/' && tmp[i] != '\0') continue;
    char c = tmp[i];
    tmp[i] = '\0';
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
      msgf(err, cap, "%s: cannot create directory: %s", tmp, strerror(errno));
      return MEMGATE_EBASELINE;
    }
    tmp[i] = c;
  }
  return 0;
}


int memgate__bl_update(const char *dir, const char *name, const memgate__bl_entry *entries,
                       size_t n, bool *changed, char *err, size_t cap) {
  char path[PATH_CAP], tmp[PATH_CAP];
  memgate__bl_file f;
  char *old = NULL, *text = NULL;
  size_t old_len = 0, len = 0;
  bool have_old = false;
  mode_t mode = 0644;
  int dfd = -1, fd = -1, rc;

  if (changed) *changed = false;
  memset(&f, 0, sizeof f);
  if (!dir || !*dir || !name || !*name || strchr(name, '/')) {
    msgf(err, cap, "memgate: invalid baseline location");
    return MEMGATE_EINVAL;
  }
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
      (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof tmp) {
    msgf(err, cap, "%s: path too long", dir);
    return MEMGATE_EBASELINE;
  }
  rc = mkdir_p(dir, err, cap);
  if (rc) return rc;
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    msgf(err, cap, "%s: cannot open directory: %s", dir, strerror(errno));
    return MEMGATE_EBASELINE;
  }
  /* The directory is the lock: the file itself is replaced by rename, so a
   * lock on it would not exclude a writer that opened the new one. */
  while (flock(dfd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    msgf(err, cap, "%s: cannot lock directory: %s", dir, strerror(errno));
    close(dfd);
    return MEMGATE_EBASELINE;
  }

  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      msgf(err, cap, "%s: not a regular file", path);
      rc = MEMGATE_EBASELINE;
      goto out;
    }
    mode = st.st_mode & 07777;
    rc = read_fd(fd, MEMGATE__BL_MAX_FILE, &old, &old_len);
    close(fd);
    fd = -1;
    if (rc) {
      msgf(err, cap, "%s: cannot read: %s", path, rc == MEMGATE_EIO ? strerror(errno) : "out of memory");
      rc = rc == MEMGATE_EIO ? MEMGATE_EBASELINE : rc;
      goto out;
    }
    have_old = true;
    rc = memgate__bl_parse(old, old_len, path, name, &f, err, cap);
    if (rc) goto out;
  } else if (errno != ENOENT) {
    msgf(err, cap, "%s: cannot open: %s", path, strerror(errno));
    rc = MEMGATE_EBASELINE;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    char want[128];
    memgate__bl_file_name(entries[i].scope, want, sizeof want);
    if (strcmp(want, name) != 0 || !memgate__bl_scope_ok(entries[i].scope) ||
        !memgate__bl_platform_ok(entries[i].platform)) {
      msgf(err, cap, "%s: refusing to store scope \"%.80s\" / \"%.63s\" here", path,
           entries[i].scope, entries[i].platform);
      rc = MEMGATE_EINVAL;
      goto out;
    }
    rc = memgate__bl_put(&f, &entries[i]);
    if (rc) {
      msgf(err, cap, "%s: out of memory", path);
      goto out;
    }
  }
  text = memgate__bl_format(&f, &len);
  if (!text) {
    msgf(err, cap, "%s: out of memory", path);
    rc = MEMGATE_ENOMEM;
    goto out;
  }
  if (have_old && old_len == len && memcmp(old, text, len) == 0) {
    rc = 0;
    goto out;
  }
  fd = mkstemp(tmp);
  if (fd < 0) {
    msgf(err, cap, "%s: cannot create a temporary file: %s", dir, strerror(errno));
    rc = MEMGATE_EBASELINE;
    goto out;
  }
  if (memgate__write_all(fd, text, len) != 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
    msgf(err, cap, "%s: cannot write: %s", tmp, strerror(errno));
    close(fd);
    fd = -1;
    unlink(tmp);
    rc = MEMGATE_EBASELINE;
    goto out;
  }
  if (close(fd) != 0) {
    fd = -1;
    msgf(err, cap, "%s: cannot write: %s", tmp, strerror(errno));
    unlink(tmp);
    rc = MEMGATE_EBASELINE;
    goto out;
  }
  fd = -1;
  if (rename(tmp, path) != 0) {
    msgf(err, cap, "%s: cannot replace: %s", path, strerror(errno));
    unlink(tmp);
    rc = MEMGATE_EBASELINE;
    goto out;
  }
  (void)fsync(dfd); /* makes the rename durable; not supported everywhere */
  if (changed) *changed = true;
  rc = 0;
out:
  if (fd >= 0) close(fd);
  memgate__bl_free(&f);
  free(old);
  free(text);
  close(dfd); /* releases the lock */
  return rc;
}

/* ------------------------------------------------------------------------
 * Comparison
 * ------------------------------------------------------------------------ */

/* Keeps intermediate figures far from int64 overflow (2^60 bytes = 1 EiB). */
#define CLAMP_LIMIT (INT64_C(1) << 60)

static int64_t clamp64(int64_t v) {
  return v > CLAMP_LIMIT ? CLAMP_LIMIT : v < -CLAMP_LIMIT ? -CLAMP_LIMIT : v;
}

/* max(tolerance_bytes, ceil(expected * percent / 100)) for expected >= 0. */
static int64_t band_of(int64_t expected, int64_t tol_bytes, int32_t pct) {
  if (expected < 0) expected = 0;
  if (pct < 0) pct = 0;
  int64_t q = expected / 100, r = expected % 100;
  /* expected is at most CLAMP_LIMIT (2^60) and pct at most 1000: q * pct
   * could still pass 2^63, so clamp before multiplying. */
  int64_t by_pct = pct > 0 && q > CLAMP_LIMIT / pct ? CLAMP_LIMIT : clamp64(q * pct + (r * pct + 99) / 100);
  return by_pct > tol_bytes ? by_pct : tol_bytes;
}

void memgate__bl_compare(const memgate__bl_entry *e, memgate_kind kind, uint32_t iterations,
                         int64_t retained, bool has_peak, int64_t peak, memgate__bl_cmp *out) {
  memset(out, 0, sizeof *out);
  out->tolerance_bytes = e->tolerance_bytes >= 0 ? e->tolerance_bytes : MEMGATE__BL_DEFAULT_TOLERANCE_BYTES;
  out->tolerance_percent =
      e->tolerance_percent >= 0 ? e->tolerance_percent : MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT;
  out->peak_tolerance_bytes = e->peak_tolerance_bytes >= 0 ? e->peak_tolerance_bytes
                                                           : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES;
  out->peak_tolerance_percent = e->peak_tolerance_percent >= 0
                                    ? e->peak_tolerance_percent
                                    : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT;
  out->expected_peak = out->allowed_peak = out->lowest_peak = out->peak_band = -1;
  uint32_t base_it = e->iterations ? e->iterations : 1;
  if (iterations == 0) iterations = 1;
  int64_t expected = e->retained_bytes;
  if (kind == MemgateKindRepeat && iterations != base_it) {
    /* Growth is judged per iteration: scale to the measured count. */
    int64_t q = expected / base_it, r = expected % base_it;
    int64_t whole = q > CLAMP_LIMIT / (int64_t)iterations ? CLAMP_LIMIT : q * (int64_t)iterations;
    expected = clamp64(whole + (r * (int64_t)iterations + base_it / 2) / base_it);
    out->scaled = true;
  }
  out->expected = expected;
  out->band = band_of(expected, out->tolerance_bytes, out->tolerance_percent);
  out->allowed = clamp64(expected + out->band);
  out->lowest = expected - out->band;
  retained = clamp64(retained);
  out->retained_over = retained > out->allowed;
  out->retained_under = out->lowest > 0 && retained < out->lowest;
  if (e->peak_bytes >= 0 && has_peak && !out->scaled) {
    out->peak_compared = true;
    out->expected_peak = e->peak_bytes;
    out->peak_band = band_of(e->peak_bytes, out->peak_tolerance_bytes, out->peak_tolerance_percent);
    out->allowed_peak = clamp64(e->peak_bytes + out->peak_band);
    out->lowest_peak = e->peak_bytes - out->peak_band;
    peak = clamp64(peak);
    out->peak_over = peak > out->allowed_peak;
    out->peak_under = out->lowest_peak > 0 && peak < out->lowest_peak;
  }
  if (e->kind >= 0 && e->kind != (int)kind)
    out->outcome = MEMGATE__BL_KIND_MISMATCH;
  else if (out->retained_over || out->peak_over)
    out->outcome = MEMGATE__BL_REGRESSION;
  else if (out->retained_under || out->peak_under)
    out->outcome = MEMGATE__BL_IMPROVEMENT;
  else
    out->outcome = MEMGATE__BL_PASS;
}



void memgate__bl_describe(char *buf, size_t cap, const memgate__bl_cmp *c,
                          const memgate__bl_entry *e, const char *platform, const char *path,
                          int64_t retained, int64_t peak) {
  char m[32], ex[32], al[32], lo[32], pm[32], pe[32], pa[32], pl[32], where[512], scale[96];
  const char *key = e && e->platform ? e->platform : "?";
  memgate__bytes(m, sizeof m, retained, true);
  memgate__bytes(ex, sizeof ex, c->expected, false);
  memgate__bytes(al, sizeof al, c->allowed, false);
  memgate__bytes(lo, sizeof lo, c->lowest, false);
  memgate__bytes(pm, sizeof pm, peak, false);
  memgate__bytes(pe, sizeof pe, c->expected_peak, false);
  memgate__bytes(pa, sizeof pa, c->allowed_peak, false);
  memgate__bytes(pl, sizeof pl, c->lowest_peak, false);
  if (platform && strcmp(platform, key) != 0)
    msgf(where, sizeof where, "[baseline %s, used for %s, in %s]", key, platform, path ? path : "?");
  else
    msgf(where, sizeof where, "[baseline %s in %s]", key, path ? path : "?");
  scale[0] = '\0';
  if (c->scaled && e)
    msgf(scale, sizeof scale, " (scaled from %u to the measured iterations; peak not compared)",
         (unsigned)e->iterations);
  switch (c->outcome) {
  case MEMGATE__BL_KIND_MISMATCH:
    msgf(buf, cap, "the baseline entry was recorded for a %s but this result is a %s: record it again %s",
         kind_text(e ? e->kind : -1), kind_text(e && e->kind == MemgateKindRepeat ? MemgateKindScope : MemgateKindRepeat), where);
    return;
  case MEMGATE__BL_REGRESSION:
    if (c->retained_over && c->peak_over)
      msgf(buf, cap,
           "retained %s is above the baseline: expected %s%s, allowed up to %s (%lld > %lld "
           "bytes); peak %s is above its baseline %s, allowed up to %s (%lld > %lld bytes) %s",
           m, ex, scale, al, (long long)retained, (long long)c->allowed, pm, pe, pa,
           (long long)peak, (long long)c->allowed_peak, where);
    else if (c->retained_over)
      msgf(buf, cap, "retained %s is above the baseline: expected %s%s, allowed up to %s (%lld > %lld bytes) %s",
           m, ex, scale, al, (long long)retained, (long long)c->allowed, where);
    else
      msgf(buf, cap,
           "peak %s is above the baseline: expected %s, allowed up to %s (%lld > %lld bytes); "
           "retained %s within %s %s",
           pm, pe, pa, (long long)peak, (long long)c->allowed_peak, m, al, where);
    return;
  case MEMGATE__BL_IMPROVEMENT:
    if (c->retained_under)
      msgf(buf, cap,
           "improved: retained %s is far below the baseline: expected %s%s, lowest within "
           "tolerance %s; refresh the stale baseline with memgate update %s",
           m, ex, scale, lo, where);
    else
      msgf(buf, cap,
           "improved: peak %s is far below the baseline: expected %s, lowest within tolerance "
           "%s; refresh the stale baseline with memgate update %s",
           pm, pe, pl, where);
    return;
  case MEMGATE__BL_PASS:
    if (c->peak_compared)
      msgf(buf, cap, "within the baseline: retained %s, expected %s%s, allowed up to %s; peak %s, allowed up to %s %s",
           m, ex, scale, al, pm, pa, where);
    else
      msgf(buf, cap, "within the baseline: retained %s, expected %s%s, allowed up to %s %s", m, ex,
           scale, al, where);
    return;
  }
}
