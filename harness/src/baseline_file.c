/*
 * Baseline files: the model (sorted entries, lookup with platform fallback,
 * merging measured values), stable formatting and the comparison rule.
 * Parsing is in baseline_parse.c, reading and the locked update in
 * baseline_update.c. The format and the rules are documented in docs/CI.md.
 */
#include "baseline_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define msgf memgate__msgf

char *memgate__bl_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

#define dup_str memgate__bl_strdup

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

/* Index of (scope, platform) among entries[0..count) or where it would go;
 * *found says which. */
static size_t find_slot(const memgate__bl_entry *entries, size_t count, const char *scope,
                        const char *platform, bool *found) {
  size_t lo = 0, hi = count;
  *found = false;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = entry_cmp(entries[mid].scope, entries[mid].platform, scope, platform);
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
  size_t i = find_slot(f->entries, f->count, scope, platform, &found);
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

void memgate__bl_entry_free(memgate__bl_entry *e) {
  free(e->scope);
  free(e->platform);
  free(e->note);
}

static void entry_free(memgate__bl_entry *e) { memgate__bl_entry_free(e); }

void memgate__bl_free(memgate__bl_file *f) {
  if (!f) return;
  for (size_t i = 0; i < f->count; i++) entry_free(&f->entries[i]);
  free(f->entries);
  free(f->path);
  memset(f, 0, sizeof *f);
}

bool memgate__bl_within(const memgate__bl_entry *d, const memgate__bl_entry *e) {
  memgate__bl_cmp c;
  uint32_t it = e->iterations ? e->iterations : 1;
  int kind = e->kind >= 0 ? e->kind : d->kind >= 0 ? d->kind : (int)MemgateKindScope;
  if ((d->kind >= 0 && d->kind != kind) || d->iterations != it || (d->peak_bytes >= 0) != (e->peak_bytes >= 0))
    return false;
  memgate__bl_compare(d, (memgate_kind)kind, it, e->retained_bytes, e->peak_bytes >= 0, e->peak_bytes, &c);
  return !c.retained_over && !c.retained_under && !c.peak_over && !c.peak_under;
}

/* Measured values (and any tolerance, note or kind e sets) onto an existing
 * entry; measured values within the entry's own tolerance leave it as it
 * is (memgate__bl_within: quiet re-records). */
static int entry_update(memgate__bl_entry *d, const memgate__bl_entry *e) {
  if (e->note) {
    char *note = dup_str(e->note);
    if (!note) return MEMGATE_ENOMEM;
    free(d->note);
    d->note = note;
  }
  if (!memgate__bl_within(d, e)) {
    d->retained_bytes = e->retained_bytes;
    d->peak_bytes = e->peak_bytes;
    d->iterations = e->iterations ? e->iterations : 1;
  }
  if (e->kind >= 0) d->kind = e->kind;
  if (e->tolerance_bytes >= 0) d->tolerance_bytes = e->tolerance_bytes;
  if (e->tolerance_percent >= 0) d->tolerance_percent = e->tolerance_percent;
  if (e->peak_tolerance_bytes >= 0) d->peak_tolerance_bytes = e->peak_tolerance_bytes;
  if (e->peak_tolerance_percent >= 0) d->peak_tolerance_percent = e->peak_tolerance_percent;
  return 0;
}

static void fill_defaults(memgate__bl_entry *n) {
  if (n->tolerance_bytes < 0) n->tolerance_bytes = MEMGATE__BL_DEFAULT_TOLERANCE_BYTES;
  if (n->tolerance_percent < 0) n->tolerance_percent = MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT;
  if (n->peak_tolerance_bytes < 0) n->peak_tolerance_bytes = MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES;
  if (n->peak_tolerance_percent < 0)
    n->peak_tolerance_percent = MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT;
}

/* Appends a copy of e (strings copied) without keeping the order. */
static int append(memgate__bl_file *f, const memgate__bl_entry *e, bool defaults) {
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
  if (defaults) fill_defaults(&n);
  f->entries[f->count++] = n;
  return 0;
}

int memgate__bl_append(memgate__bl_file *f, const memgate__bl_entry *e) { return append(f, e, false); }

static int entry_order(const void *a, const void *b) {
  const memgate__bl_entry *x = a, *y = b;
  return entry_cmp(x->scope, x->platform, y->scope, y->platform);
}

void memgate__bl_sort(memgate__bl_file *f) {
  if (f && f->count > 1) qsort(f->entries, f->count, sizeof *f->entries, entry_order);
}

typedef struct incoming {
  const memgate__bl_entry *e;
  size_t i; /* position in the caller's array: equal keys apply in that order */
} incoming;

static int incoming_cmp(const void *a, const void *b) {
  const incoming *x = a, *y = b;
  int c = entry_order(x->e, y->e);
  return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* Applies one entry: updates it among entries[0..sorted) or the one just
 * appended (*last, same key), else appends it with the default tolerances. */
static int put_one(memgate__bl_file *f, size_t sorted, size_t *last, const memgate__bl_entry *e) {
  bool found;
  size_t i = find_slot(f->entries, sorted, e->scope, e->platform, &found);
  if (found) return entry_update(&f->entries[i], e);
  if (*last < f->count && entry_order(&f->entries[*last], e) == 0)
    return entry_update(&f->entries[*last], e);
  int rc = append(f, e, true);
  if (!rc) *last = f->count - 1;
  return rc;
}

int memgate__bl_put_many(memgate__bl_file *f, const memgate__bl_entry *es, size_t n) {
  size_t sorted = f->count, last = SIZE_MAX;
  incoming *order = malloc((n ? n : 1) * sizeof *order);
  int rc = 0;
  if (!order) return MEMGATE_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    order[i].e = &es[i];
    order[i].i = i;
  }
  /* Sorted input makes the new entries a sorted tail: one sort at the end
   * instead of a move per insertion. */
  if (n > 1) qsort(order, n, sizeof *order, incoming_cmp);
  for (size_t k = 0; k < n && !rc; k++) rc = put_one(f, sorted, &last, order[k].e);
  free(order);
  if (f->count > sorted) memgate__bl_sort(f);
  return rc;
}

int memgate__bl_put(memgate__bl_file *f, const memgate__bl_entry *e) { return memgate__bl_put_many(f, e, 1); }

/* ------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

static const char *kind_text(int kind) {
  return kind == MemgateKindRepeat ? "repeat" : kind == MemgateKindScope ? "scope" : "?";
}

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
