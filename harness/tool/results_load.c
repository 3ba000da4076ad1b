/*
 * Results files: one JSON object per line (harness/src/results.c), read
 * strictly. Every error names the file, the line and the column.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "results_load.h"

#include "baseline_store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#  define O_CLOEXEC 0
#endif

#define MAX_SERIES 1000001u /* MEMGATE__MAX_ITERATIONS + 1 */

typedef struct lctx {
  const char *path;
  uint32_t line;
  memgate__jdoc *doc;
  char *err;
  size_t cap;
} lctx;

static int fail(const lctx *c, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const lctx *c, size_t off, const char *fmt, ...) {
  char what[320];
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  snprintf(c->err, c->cap, "%s:%u:%u: %s", c->path, (unsigned)c->line, (unsigned)(off + 1), what);
  return MEMGATE_EPARSE;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

void tool_results_init(tool_results *rs) { memset(rs, 0, sizeof *rs); }

static void frames_free(tool_site_frame *f, uint32_t n) {
  for (uint32_t j = 0; j < n; j++) {
    free(f[j].function);
    free(f[j].file);
  }
  free(f);
}

static void site_free(tool_site *s) {
  frames_free(s->frames, s->n_frames);
  for (uint32_t i = 0; i < s->n_holders; i++) frames_free(s->holders[i].frames, s->holders[i].n_frames);
  free(s->holders);
  free(s->kept_root);
  free(s->kept_symbol);
  free(s->kept_object);
}

static void result_free(tool_result *r) {
  free(r->name);
  free(r->message);
  free(r->error);
  free(r->file);
  free(r->begin_file);
  free(r->platform);
  free(r->series);
  free(r->heap_series);
  free(r->baseline_platform);
  free(r->commit);
  free(r->run);
  for (uint32_t i = 0; i < r->n_sites; i++) site_free(&r->sites[i]);
  free(r->sites);
}

void tool_results_free(tool_results *rs) {
  if (!rs) return;
  for (size_t i = 0; i < rs->count; i++) result_free(&rs->items[i]);
  free(rs->items);
  for (size_t i = 0; i < rs->nsources; i++) free(rs->sources[i]);
  free(rs->sources);
  memset(rs, 0, sizeof *rs);
}

static const cJSON *field(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int get_str(const lctx *c, const cJSON *root, const char *k, bool required, char **out) {
  const cJSON *v = field(root, k);
  if (!v || cJSON_IsNull(v)) {
    if (required) return fail(c, memgate__jdoc_value_off(c->doc, root), "missing \"%s\"", k);
    *out = dup_str("");
    return *out ? 0 : MEMGATE_ENOMEM;
  }
  if (!cJSON_IsString(v))
    return fail(c, memgate__jdoc_value_off(c->doc, v), "\"%s\" must be a string", k);
  *out = dup_str(v->valuestring);
  return *out ? 0 : MEMGATE_ENOMEM;
}

/* A name, path or line the library would not write (validate.c): an
 * error at the field's value. An optional string absent ("") passes. */
static int check_str(const lctx *c, const cJSON *root, const char *k, bool required,
                     int (*chk)(const char *, char *, size_t), const char *s) {
  char why[200];
  if ((!required && !*s) || chk(s, why, sizeof why) == 0) return 0;
  return fail(c, memgate__jdoc_value_off(c->doc, field(root, k)), "\"%s\" %s", k, why);
}

static int check_line(const lctx *c, const cJSON *root, const char *k, int64_t v) {
  char why[200];
  if (memgate__check_line(v, why, sizeof why) == 0) return 0;
  return fail(c, memgate__jdoc_value_off(c->doc, field(root, k)), "\"%s\" %s", k, why);
}

static int get_i64(const lctx *c, const cJSON *root, const char *k, bool required, int64_t lo,
                   int64_t hi, bool *has, int64_t *out) {
  const cJSON *v = field(root, k);
  memgate__jerr je;
  char what[64];
  if (has) *has = false;
  if (!v || cJSON_IsNull(v)) {
    if (required) return fail(c, memgate__jdoc_value_off(c->doc, root), "missing \"%s\"", k);
    return 0;
  }
  snprintf(what, sizeof what, "\"%s\"", k);
  if (memgate__jdoc_get_int(c->doc, v, lo, hi, what, out, &je)) return fail(c, je.off, "%s", je.msg);
  if (has) *has = true;
  return 0;
}

static int get_u64(const lctx *c, const cJSON *root, const char *k, uint64_t hi, uint64_t *out) {
  const cJSON *v = field(root, k);
  memgate__jerr je;
  char what[64];
  if (!v || cJSON_IsNull(v)) return 0;
  snprintf(what, sizeof what, "\"%s\"", k);
  if (memgate__jdoc_get_uint(c->doc, v, hi, what, out, &je)) return fail(c, je.off, "%s", je.msg);
  return 0;
}

static int get_dbl(const lctx *c, const cJSON *root, const char *k, bool *has, double *out) {
  const cJSON *v = field(root, k);
  *has = false;
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return fail(c, memgate__jdoc_value_off(c->doc, v), "\"%s\" must be a finite number or null", k);
  *out = v->valuedouble;
  *has = true;
  return 0;
}

static int get_series(const lctx *c, const cJSON *root, const char *k, uint64_t **out,
                      uint32_t *count) {
  const cJSON *v = field(root, k);
  memgate__jerr je;
  char what[64];
  *out = NULL;
  *count = 0;
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsArray(v))
    return fail(c, memgate__jdoc_value_off(c->doc, v), "\"%s\" must be an array of byte counts or null", k);
  size_t n = 0;
  for (const cJSON *e = v->child; e; e = e->next) n++;
  if (n > MAX_SERIES)
    return fail(c, memgate__jdoc_value_off(c->doc, v), "\"%s\" has more than %u samples", k, MAX_SERIES);
  if (n == 0) return 0;
  uint64_t *a = malloc(n * sizeof *a);
  if (!a) return MEMGATE_ENOMEM;
  size_t i = 0;
  snprintf(what, sizeof what, "each sample of \"%s\"", k);
  for (const cJSON *e = v->child; e; e = e->next, i++)
    if (memgate__jdoc_get_uint(c->doc, e, UINT64_MAX, what, &a[i], &je)) {
      free(a);
      return fail(c, je.off, "%s", je.msg);
    }
  *out = a;
  *count = (uint32_t)n;
  return 0;
}

/* One of names[0..n) as a string field; *idx gets its index. null_ok: an
 * absent or null field gives *idx = -1. */
static int get_enum(const lctx *c, const cJSON *root, const char *k, const char *const *names, int n,
                    bool null_ok, const char *allowed, int *idx) {
  const cJSON *v = field(root, k);
  *idx = -1;
  if ((!v || cJSON_IsNull(v)) && null_ok) return 0;
  if (!v) return fail(c, memgate__jdoc_value_off(c->doc, root), "missing \"%s\"", k);
  for (int i = 0; cJSON_IsString(v) && i < n; i++)
    if (strcmp(v->valuestring, names[i]) == 0) *idx = i;
  if (*idx < 0) return fail(c, memgate__jdoc_value_off(c->doc, v), "\"%s\" must be %s", k, allowed);
  return 0;
}

/* The fields a results line may have (format 2 adds the last four; "sites" only when recorded). */
static const char *const k_fields[] = {
    "format", "name", "kind", "verdict", "message", "error", "file", "line", "begin_file",
    "begin_line", "platform", "before_bytes", "after_bytes", "retained_bytes", "peak_bytes",
    "heap_delta_bytes", "warmup_bytes", "warmup", "iterations", "series", "heap_series",
    "slope_bytes", "heap_slope_bytes", "baseline", "elapsed_ns", "pid",
    "measured_verdict", "baseline_verdict", "confirm_iterations", "sites",
    "time", "commit", "host_memory_bytes", "host_cpus", "run"};
#define NFIELDS_V2 (sizeof k_fields / sizeof k_fields[0])
#define NFIELDS_V1 26 /* "format" to "pid" */
static const char *const k_baseline_fields[] = {"platform", "retained_bytes", "peak_bytes", "allowed_bytes"};

/* Every member of o must be one of names[0..n): reading is strict, so a
 * misspelt or foreign field is an error at its key (docs/CI.md). */
static int known_fields(const lctx *c, const cJSON *o, const char *const *names, size_t n) {
  for (const cJSON *m = o->child; m; m = m->next) {
    size_t i = 0;
    while (i < n && strcmp(m->string, names[i]) != 0) i++;
    if (i == n) return fail(c, memgate__jdoc_key_off(c->doc, m), "unknown field \"%s\"", m->string);
  }
  return 0;
}

/* The strings a valid line must hold: the scope name (validate.c, the
 * library's own rule) and the platform key. */
static int check_names(const lctx *c, const cJSON *root, const tool_result *r) {
  int rc = check_str(c, root, "name", true, memgate__check_name, r->name);
  if (rc) return rc;
  if (!memgate__bl_platform_ok(r->platform))
    return fail(c, memgate__jdoc_value_off(c->doc, field(root, "platform")),
                "\"platform\" must be 1 to 63 of a-z 0-9 . _ -");
  return 0;
}

static const char *const k_verdicts[] = {"pass", "leak", "regression", "error"};
static const memgate_verdict k_verdict_of[] = {MemgateVerdictPass, MemgateVerdictLeak, MemgateVerdictRegression,
                                               MemgateVerdictError};

/* The final verdict that follows from the two judgements: a leak or a
 * measuring error stands; else the baseline's regression or error. */
static memgate_verdict final_verdict(memgate_verdict measured, tool_baseline_verdict b) {
  if (measured != MemgateVerdictPass) return measured;
  if (b == TOOL_BASELINE_REGRESSION) return MemgateVerdictRegression;
  if (b == TOOL_BASELINE_ERROR) return MemgateVerdictError;
  return MemgateVerdictPass;
}

/* Format 1 lines keep only the final verdict: the two judgements are
 * derived here, once (a regression measured a pass; a baseline error
 * (MEMGATE_EBASELINE) too; any other error is the measurement's). */
static void derive_verdicts(tool_result *r) {
  r->measured_verdict = r->verdict == MemgateVerdictRegression ? MemgateVerdictPass : r->verdict;
  r->baseline_verdict = TOOL_BASELINE_NONE;
  if (r->verdict == MemgateVerdictRegression) r->baseline_verdict = TOOL_BASELINE_REGRESSION;
  else if (r->verdict == MemgateVerdictPass && r->has_baseline) r->baseline_verdict = TOOL_BASELINE_PASS;
  else if (r->verdict == MemgateVerdictError && strcmp(r->error, "MEMGATE_EBASELINE") == 0) {
    r->measured_verdict = MemgateVerdictPass;
    r->baseline_verdict = TOOL_BASELINE_ERROR;
  }
}

/* Format 2: "measured_verdict" and "baseline_verdict", which must agree
 * with "verdict". */
static int read_verdicts(const lctx *c, const cJSON *root, tool_result *r) {
  static const char *const measured[] = {"pass", "leak", "error"};
  static const char *const baseline[] = {"pass", "regression", "error"};
  static const tool_baseline_verdict bv[] = {TOOL_BASELINE_PASS, TOOL_BASELINE_REGRESSION, TOOL_BASELINE_ERROR};
  int m, b;
  int rc = get_enum(c, root, "measured_verdict", measured, 3, false, "\"pass\", \"leak\" or \"error\"", &m);
  if (!rc) rc = get_enum(c, root, "baseline_verdict", baseline, 3, true, "null, \"pass\", \"regression\" or \"error\"", &b);
  if (rc) return rc;
  r->measured_verdict = m == 0 ? MemgateVerdictPass : m == 1 ? MemgateVerdictLeak : MemgateVerdictError;
  r->baseline_verdict = b < 0 ? TOOL_BASELINE_NONE : bv[b];
  if (final_verdict(r->measured_verdict, r->baseline_verdict) != r->verdict)
    return fail(c, memgate__jdoc_value_off(c->doc, field(root, "verdict")),
                "\"verdict\" \"%s\" does not follow from \"measured_verdict\" and \"baseline_verdict\"",
                field(root, "verdict")->valuestring);
  return 0;
}

/* format, the known fields, kind and verdict. *format gets the version. */
static int read_head(const lctx *c, const cJSON *root, tool_result *r, int64_t *format) {
  static const char *const kinds[] = {"scope", "repeat"};
  int k, v;
  int rc = get_i64(c, root, "format", true, 0, INT32_MAX, NULL, format);
  if (rc) return rc;
  if (*format < 1 || *format > TOOL_RESULTS_FORMAT)
    return fail(c, memgate__jdoc_value_off(c->doc, field(root, "format")),
                "unsupported results format version %lld (this memgate reads versions 1 to %d)",
                (long long)*format, TOOL_RESULTS_FORMAT);
  rc = known_fields(c, root, k_fields, *format == 1 ? NFIELDS_V1 : NFIELDS_V2);
  if (!rc) rc = get_str(c, root, "name", true, &r->name);
  if (!rc) rc = get_enum(c, root, "kind", kinds, 2, false, "\"scope\" or \"repeat\"", &k);
  if (!rc) rc = get_enum(c, root, "verdict", k_verdicts, 4, false,
                         "\"pass\", \"leak\", \"regression\" or \"error\"", &v);
  if (rc) return rc;
  r->kind = k == 0 ? MemgateKindScope : MemgateKindRepeat;
  r->verdict = k_verdict_of[v];
  return 0;
}

/* message, error, where it ran, platform. */
static int read_where(const lctx *c, const cJSON *root, tool_result *r) {
  int64_t v64 = 0;
  int rc = get_str(c, root, "message", false, &r->message);
  if (!rc) rc = get_str(c, root, "error", false, &r->error);
  if (!rc) rc = get_str(c, root, "file", true, &r->file);
  if (!rc) rc = check_str(c, root, "file", true, memgate__check_file, r->file);
  if (!rc) rc = get_i64(c, root, "line", true, INT64_MIN, INT64_MAX, NULL, &v64);
  if (!rc) rc = check_line(c, root, "line", v64);
  r->line = (int)v64;
  v64 = 0;
  if (!rc) rc = get_str(c, root, "begin_file", false, &r->begin_file);
  if (!rc) rc = check_str(c, root, "begin_file", false, memgate__check_file, r->begin_file);
  if (!rc) rc = get_i64(c, root, "begin_line", false, INT64_MIN, INT64_MAX, NULL, &v64);
  if (!rc) rc = check_line(c, root, "begin_line", v64);
  r->begin_line = (int)v64;
  if (!rc) rc = get_str(c, root, "platform", true, &r->platform);
  return rc;
}

/* The measured figures. */
static int read_figures(const lctx *c, const cJSON *root, tool_result *r) {
  uint64_t warmup = 0, iterations = r->kind == MemgateKindScope ? 1 : 0;
  int rc = get_u64(c, root, "before_bytes", UINT64_MAX, &r->before_bytes);
  if (!rc) rc = get_u64(c, root, "after_bytes", UINT64_MAX, &r->after_bytes);
  if (!rc) rc = get_i64(c, root, "retained_bytes", true, INT64_MIN, INT64_MAX, NULL, &r->retained_bytes);
  if (!rc) rc = get_i64(c, root, "peak_bytes", false, INT64_MIN, INT64_MAX, &r->has_peak, &r->peak_bytes);
  if (!rc) rc = get_i64(c, root, "heap_delta_bytes", false, INT64_MIN, INT64_MAX, &r->has_heap, &r->heap_delta_bytes);
  if (!rc) rc = get_i64(c, root, "warmup_bytes", false, INT64_MIN, INT64_MAX, NULL, &r->warmup_bytes);
  if (!rc) rc = get_u64(c, root, "warmup", 1000000, &warmup);
  if (!rc) rc = get_u64(c, root, "iterations", 1000000, &iterations);
  uint64_t confirm = 0;
  if (!rc) rc = get_u64(c, root, "confirm_iterations", 1000000, &confirm);
  r->warmup = (uint32_t)warmup;
  r->iterations = (uint32_t)iterations;
  r->confirm_iterations = (uint32_t)confirm;
  if (!rc) rc = get_series(c, root, "series", &r->series, &r->series_count);
  if (!rc) rc = get_series(c, root, "heap_series", &r->heap_series, &r->heap_series_count);
  if (!rc) rc = get_dbl(c, root, "slope_bytes", &r->has_slope, &r->slope_bytes);
  if (!rc) rc = get_dbl(c, root, "heap_slope_bytes", &r->has_heap_slope, &r->heap_slope_bytes);
  if (!rc) rc = get_u64(c, root, "elapsed_ns", UINT64_MAX, &r->elapsed_ns);
  if (!rc) rc = get_i64(c, root, "pid", false, INT64_MIN, INT64_MAX, NULL, &r->pid);
  return rc;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* n digits of s as a number, or -1. */
static int64_t digits(const char *s, int n) {
  int64_t v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* The separators of "YYYY-MM-DDTHH:MM:SS". */
static bool time_shape(const char *s) {
  return strlen(s) >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':' &&
         s[16] == ':';
}

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (RFC 3339, UTC) -> ms since 1970. */
static bool parse_time(const char *s, int64_t *ms) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!time_shape(s)) return false;
  int64_t y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2);
  int64_t mi = digits(s + 14, 2), sec = digits(s + 17, 2), frac = 0;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60) return false;
  const char *p = s + 19;
  if (*p == '.') {
    int n = 0;
    for (p++; p[n] >= '0' && p[n] <= '9'; n++)
      if (n < 3) frac = frac * 10 + (p[n] - '0');
    if (n == 0 || n > 9) return false;
    for (int i = n; i < 3; i++) frac *= 10;
    p += n;
  }
  if ((*p != 'Z' && *p != 'z') || p[1] != '\0') return false;
  *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + sec * 1000 + frac;
  return true;
}

bool tool_run_id_ok(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (n >= TOOL_RUN_ID_MAX || !(isalnum((unsigned char)s[n]) || strchr("._:@+-", s[n]))) return false;
  return n > 0;
}

/* time, commit, host_memory_bytes, host_cpus, run (format 2, optional). */
static int read_host(const lctx *c, const cJSON *root, tool_result *r) {
  char *t = NULL;
  uint64_t cpus = 0;
  int rc = get_str(c, root, "time", false, &t);
  if (!rc && *t && !(r->has_time = parse_time(t, &r->time_ms)))
    rc = fail(c, memgate__jdoc_value_off(c->doc, field(root, "time")),
              "\"time\" must be an RFC 3339 UTC time (\"2026-01-31T12:00:00.000Z\") or null");
  free(t);
  if (!rc) rc = get_str(c, root, "commit", false, &r->commit);
  if (!rc && *r->commit && memgate__check_commit(r->commit, strlen(r->commit)) != 0)
    rc = fail(c, memgate__jdoc_value_off(c->doc, field(root, "commit")), "\"commit\" must be 4 to 64 hex digits or null");
  for (char *p = rc ? NULL : r->commit; p && *p; p++) *p = (char)tolower((unsigned char)*p);
  if (!rc) rc = get_u64(c, root, "host_memory_bytes", UINT64_MAX, &r->host_memory_bytes);
  if (!rc) rc = get_u64(c, root, "host_cpus", UINT32_MAX, &cpus);
  r->host_cpus = (uint32_t)cpus;
  if (!rc) rc = get_str(c, root, "run", false, &r->run);
  if (!rc && *r->run && !tool_run_id_ok(r->run))
    rc = fail(c, memgate__jdoc_value_off(c->doc, field(root, "run")),
              "\"run\" must be 1 to %d of A-Z a-z 0-9 . _ : @ + -", TOOL_RUN_ID_MAX);
  return rc;
}

/* The "baseline" object the measured process applied, or null. */
static int read_baseline(const lctx *c, const cJSON *root, tool_result *r) {
  const cJSON *b = field(root, "baseline");
  bool has = false;
  int64_t peak = -1;
  if (!b || cJSON_IsNull(b)) {
    r->baseline_platform = dup_str("");
    return r->baseline_platform ? 0 : MEMGATE_ENOMEM;
  }
  if (!cJSON_IsObject(b)) return fail(c, memgate__jdoc_value_off(c->doc, b), "\"baseline\" must be an object or null");
  r->has_baseline = true;
  int rc = known_fields(c, b, k_baseline_fields, sizeof k_baseline_fields / sizeof k_baseline_fields[0]);
  if (!rc) rc = get_str(c, b, "platform", false, &r->baseline_platform);
  if (!rc) rc = get_i64(c, b, "retained_bytes", true, INT64_MIN, INT64_MAX, NULL, &r->baseline_retained_bytes);
  if (!rc) rc = get_i64(c, b, "peak_bytes", false, INT64_MIN, INT64_MAX, &has, &peak);
  if (!rc) rc = get_i64(c, b, "allowed_bytes", true, INT64_MIN, INT64_MAX, NULL, &r->allowed_bytes);
  r->baseline_peak_bytes = has ? peak : -1;
  return rc;
}

static const char *const k_site_fields[] = {"frames", "bytes_per_iteration", "blocks_per_iteration",
                                             "share", "growth_bytes", "kept_by"};
static const char *const k_kept_fields[] = {"root", "holders", "global", "truncated", "blocks", "examined"};
static const char *const k_holder_fields[] = {"frames"};
static const char *const k_global_fields[] = {"symbol", "object"};
#define MAX_HOLDERS 64u
static const char *const k_frame_fields[] = {"function", "file", "line"};
#define MAX_SITES 1024u
#define MAX_SITE_FRAMES 64u

/* A JSON array's length, or an error when v is not an array of objects. */
static int object_array(const lctx *c, const cJSON *v, const char *what, uint32_t most, uint32_t *n) {
  *n = 0;
  if (!cJSON_IsArray(v)) return fail(c, memgate__jdoc_value_off(c->doc, v), "%s must be an array", what);
  for (const cJSON *e = v->child; e; e = e->next) {
    if (!cJSON_IsObject(e)) return fail(c, memgate__jdoc_value_off(c->doc, e), "each of %s must be an object", what);
    if (++*n > most) return fail(c, memgate__jdoc_value_off(c->doc, v), "%s has more than %u entries", what, most);
  }
  return 0;
}

static int read_frame(const lctx *c, const cJSON *o, tool_site_frame *f) {
  int64_t line = 0;
  int rc = known_fields(c, o, k_frame_fields, sizeof k_frame_fields / sizeof k_frame_fields[0]);
  if (!rc) rc = get_str(c, o, "function", true, &f->function);
  if (!rc) rc = get_str(c, o, "file", true, &f->file);
  if (!rc) rc = get_i64(c, o, "line", true, 0, INT32_MAX, NULL, &line);
  f->line = (int)line;
  return rc;
}

/* o's "frames" (required): an array of frames into *out / *count. */
static int read_frames(const lctx *c, const cJSON *o, tool_site_frame **out, uint32_t *count) {
  const cJSON *fr = field(o, "frames");
  uint32_t n = 0;
  if (!fr) return fail(c, memgate__jdoc_value_off(c->doc, o), "missing \"frames\"");
  int rc = object_array(c, fr, "\"frames\"", MAX_SITE_FRAMES, &n);
  if (!rc && n > 0 && !(*out = calloc(n, sizeof **out))) rc = MEMGATE_ENOMEM;
  for (const cJSON *e = fr->child; !rc && e; e = e->next) rc = read_frame(c, e, &(*out)[(*count)++]);
  return rc;
}

/* "kept_by"."global": {"symbol","object"} or null. */
static int read_kept_global(const lctx *c, const cJSON *k, tool_site *s) {
  const cJSON *g = field(k, "global");
  if (!g || cJSON_IsNull(g)) {
    s->kept_symbol = dup_str("");
    s->kept_object = dup_str("");
    return s->kept_symbol && s->kept_object ? 0 : MEMGATE_ENOMEM;
  }
  if (!cJSON_IsObject(g)) return fail(c, memgate__jdoc_value_off(c->doc, g), "\"global\" must be an object or null");
  int rc = known_fields(c, g, k_global_fields, sizeof k_global_fields / sizeof k_global_fields[0]);
  if (!rc) rc = get_str(c, g, "symbol", true, &s->kept_symbol);
  if (!rc) rc = get_str(c, g, "object", true, &s->kept_object);
  return rc;
}

/* "kept_by" (optional): what keeps the site's blocks alive. */
static int read_kept(const lctx *c, const cJSON *o, tool_site *s) {
  const cJSON *k = field(o, "kept_by"), *h, *t;
  uint32_t n = 0;
  if (!k) return 0;
  if (!cJSON_IsObject(k)) return fail(c, memgate__jdoc_value_off(c->doc, k), "\"kept_by\" must be an object");
  int rc = known_fields(c, k, k_kept_fields, sizeof k_kept_fields / sizeof k_kept_fields[0]);
  if (!rc) rc = get_str(c, k, "root", true, &s->kept_root);
  if (!rc && strcmp(s->kept_root, "global") && strcmp(s->kept_root, "stack") && strcmp(s->kept_root, "none"))
    rc = fail(c, memgate__jdoc_value_off(c->doc, field(k, "root")), "\"root\" must be \"global\", \"stack\" or \"none\"");
  if (!rc && !(h = field(k, "holders"))) rc = fail(c, memgate__jdoc_value_off(c->doc, k), "missing \"holders\"");
  if (!rc) rc = object_array(c, h, "\"holders\"", MAX_HOLDERS, &n);
  if (!rc && n > 0 && !(s->holders = calloc(n, sizeof *s->holders))) rc = MEMGATE_ENOMEM;
  for (const cJSON *e = rc ? NULL : h->child; !rc && e; e = e->next) {
    tool_site_holder *x = &s->holders[s->n_holders++];
    rc = known_fields(c, e, k_holder_fields, 1);
    if (!rc) rc = read_frames(c, e, &x->frames, &x->n_frames);
  }
  if (!rc) rc = read_kept_global(c, k, s);
  t = rc ? NULL : field(k, "truncated");
  if (t && !cJSON_IsBool(t)) rc = fail(c, memgate__jdoc_value_off(c->doc, t), "\"truncated\" must be true or false");
  s->kept_truncated = t && cJSON_IsTrue(t);
  if (!rc) rc = get_i64(c, k, "blocks", true, 0, INT64_MAX, NULL, &s->kept_blocks);
  if (!rc) rc = get_i64(c, k, "examined", true, 0, INT64_MAX, NULL, &s->kept_examined);
  return rc;
}

static int read_site(const lctx *c, const cJSON *o, tool_site *s) {
  bool has = false;
  int rc = known_fields(c, o, k_site_fields, sizeof k_site_fields / sizeof k_site_fields[0]);
  if (!rc) rc = read_frames(c, o, &s->frames, &s->n_frames);
  if (!rc) rc = read_kept(c, o, s);
  if (!rc) rc = get_dbl(c, o, "bytes_per_iteration", &has, &s->bytes_per_iteration);
  if (!rc) rc = get_dbl(c, o, "blocks_per_iteration", &has, &s->blocks_per_iteration);
  if (!rc) rc = get_dbl(c, o, "share", &has, &s->share);
  if (!rc) rc = get_i64(c, o, "growth_bytes", false, INT64_MIN, INT64_MAX, NULL, &s->growth_bytes);
  return rc;
}

/* "sites" (docs/SITES.md): absent unless the process recorded them. */
static int read_sites(const lctx *c, const cJSON *root, tool_result *r) {
  const cJSON *v = field(root, "sites");
  uint32_t n = 0;
  if (!v) return 0;
  int rc = object_array(c, v, "\"sites\"", MAX_SITES, &n);
  if (rc) return rc;
  r->has_sites = true;
  if (n > 0 && !(r->sites = calloc(n, sizeof *r->sites))) return MEMGATE_ENOMEM;
  for (const cJSON *e = v->child; !rc && e; e = e->next) rc = read_site(c, e, &r->sites[r->n_sites++]);
  return rc;
}

/* Every field of one line's object into *r. */
static int read_result(const lctx *c, const cJSON *root, tool_result *r) {
  int64_t format = 0;
  if (!cJSON_IsObject(root)) return fail(c, 0, "a results line must be a JSON object");
  int rc = read_head(c, root, r, &format);
  if (!rc) rc = read_where(c, root, r);
  if (!rc) rc = check_names(c, root, r);
  if (!rc) rc = read_figures(c, root, r);
  if (!rc) rc = read_baseline(c, root, r);
  if (!rc) rc = read_sites(c, root, r);
  if (!rc) rc = read_host(c, root, r);
  if (rc) return rc;
  if (format >= 2) return read_verdicts(c, root, r);
  derive_verdicts(r);
  return 0;
}

/* Appends r (moved: *r is emptied). 0 or MEMGATE_ENOMEM. */
static int append_result(tool_results *rs, tool_result *r) {
  if (rs->count == rs->cap) {
    size_t ncap = rs->cap ? rs->cap * 2 : 16;
    tool_result *ni = realloc(rs->items, ncap * sizeof *ni);
    if (!ni) return MEMGATE_ENOMEM;
    rs->items = ni;
    rs->cap = ncap;
  }
  rs->items[rs->count++] = *r;
  memset(r, 0, sizeof *r);
  return 0;
}

static int parse_line(tool_results *rs, const char *s, size_t n, const char *src, uint32_t line,
                      char *err, size_t cap) {
  memgate__jdoc doc;
  memgate__jerr je;
  lctx c = {src, line, &doc, err, cap};
  tool_result r;
  memset(&r, 0, sizeof r);
  int rc = memgate__jdoc_parse(&doc, s, n, &je);
  if (rc == MEMGATE_EPARSE) return fail(&c, je.off, "%s", je.msg);
  if (!rc) rc = read_result(&c, doc.root, &r);
  r.source = src;
  r.source_line = line;
  if (!rc) rc = append_result(rs, &r);
  if (rc == MEMGATE_ENOMEM) snprintf(err, cap, "%s:%u: out of memory", src, (unsigned)line);
  result_free(&r);
  memgate__jdoc_free(&doc);
  return rc;
}

static const char *add_source(tool_results *rs, const char *path) {
  for (size_t i = 0; i < rs->nsources; i++)
    if (strcmp(rs->sources[i], path) == 0) return rs->sources[i];
  char **ns = realloc(rs->sources, (rs->nsources + 1) * sizeof *ns);
  if (!ns) return NULL;
  rs->sources = ns;
  ns[rs->nsources] = dup_str(path);
  if (!ns[rs->nsources]) return NULL;
  return rs->sources[rs->nsources++];
}

/* A line that could not be read becomes an error result of its own (the
 * rest of the file is still judged): named "FILE:LINE" (so two bad lines
 * are two results), at FILE:LINE, its message "FILE:LINE:COL: what is
 * wrong". A last line without its newline that does not parse was cut short
 * while being written (a torn write): the message says so. 0 or
 * MEMGATE_ENOMEM. */
static int append_bad_line(tool_results *rs, const char *src, uint32_t line, const char *what, bool torn) {
  char name[1100], msg[1400];
  tool_result r;
  memset(&r, 0, sizeof r);
  snprintf(name, sizeof name, "%s:%u", src, (unsigned)line);
  snprintf(msg, sizeof msg, "%s%s", torn ? "truncated last line (no newline at the end of the file: a torn "
                                           "write, e.g. the process was killed while writing it): " : "",
           what);
  r.name = dup_str(name);
  r.message = dup_str(msg);
  r.error = dup_str("MEMGATE_EPARSE");
  r.file = dup_str(src);
  r.begin_file = dup_str("");
  r.platform = dup_str("unknown");
  r.baseline_platform = dup_str("");
  r.commit = dup_str("");
  r.run = dup_str("");
  r.line = (int)(line > INT32_MAX ? INT32_MAX : line);
  r.kind = MemgateKindScope;
  r.verdict = r.measured_verdict = MemgateVerdictError;
  r.bad_line = true;
  r.source = src;
  r.source_line = line;
  int rc = r.name && r.message && r.error && r.file && r.begin_file && r.platform && r.baseline_platform &&
                   r.commit && r.run
               ? append_result(rs, &r)
               : MEMGATE_ENOMEM;
  result_free(&r);
  return rc;
}

/* The lines of text[0..len): every good line a result, every bad one an
 * error result; *good gets how many were good, the first bad line's
 * message is left in err. 0 or MEMGATE_ENOMEM. */
static int parse_lines(tool_results *rs, const char *text, size_t len, const char *src, uint32_t line,
                       size_t *good, char *err, size_t cap) {
  size_t pos = 0, bad = 0;
  char what[1024];
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    size_t n = end - pos;
    if (n > 0 && text[pos + n - 1] == '\r') n--;
    bool blank = true;
    for (size_t i = 0; i < n && blank; i++) blank = text[pos + i] == ' ' || text[pos + i] == '\t';
    int rc = blank ? 0 : parse_line(rs, text + pos, n, src, line, what, sizeof what);
    if (rc == MEMGATE_EPARSE) {
      if (bad++ == 0) snprintf(err, cap, "%s", what);
      rc = append_bad_line(rs, src, line, what, nl == NULL);
    } else if (rc == 0 && !blank) {
      ++*good;
    }
    if (rc) {
      if (rc == MEMGATE_ENOMEM) snprintf(err, cap, "%s:%u: out of memory", src, (unsigned)line);
      return rc;
    }
    pos = nl ? end + 1 : len;
    line++;
  }
  return 0;
}

int tool_results_parse(tool_results *rs, const char *text, size_t len, const char *path,
                       uint32_t first_line, size_t *added, char *err, size_t cap) {
  size_t before = rs->count, good = 0;
  if (added) *added = 0;
  if (!path) path = "(results)";
  const char *src = add_source(rs, path);
  if (!src) {
    snprintf(err, cap, "%s: out of memory", path);
    return MEMGATE_ENOMEM;
  }
  int rc = parse_lines(rs, text, len, src, first_line ? first_line : 1, &good, err, cap);
  if (!rc && good == 0 && rs->count > before) rc = MEMGATE_EPARSE; /* not one good line: not a results file */
  if (rc) {
    while (rs->count > before) result_free(&rs->items[--rs->count]);
    return rc;
  }
  if (added) *added = rs->count - before;
  return 0;
}

/* Opens path for reading without blocking on a FIFO or a device, and
 * refuses anything but a regular file. The fd (blocking again), or -1 with
 * the message in err. */
static int open_regular(const char *path, struct stat *st, char *err, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    snprintf(err, cap, "%s: cannot open results: %s", path, strerror(errno));
    return -1;
  }
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    snprintf(err, cap, "%s: not a regular file (%s): cannot read results from it", path,
             S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISDIR(st->st_mode) ? "a directory" : "a special file");
    close(fd);
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
    snprintf(err, cap, "%s: cannot read results: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads fd from offset `from` to its end into a malloc'd *out (*len bytes).
 * 0, or MEMGATE_EIO / MEMGATE_EPARSE (too large) / MEMGATE_ENOMEM with the
 * message in err. */
static int read_from(int fd, const char *path, uint64_t from, char **out, size_t *len, char *err, size_t cap) {
  size_t cap_b = 65536, n = 0;
  char *buf = malloc(cap_b);
  int rc = buf ? 0 : MEMGATE_ENOMEM;
  if (!rc && from && lseek(fd, (off_t)from, SEEK_SET) < 0) rc = MEMGATE_EIO;
  while (!rc && n <= TOOL_RESULTS_MAX_FILE) {
    if (n == cap_b) {
      char *nb = realloc(buf, cap_b * 2);
      if (!nb) {
        rc = MEMGATE_ENOMEM;
        break;
      }
      buf = nb;
      cap_b *= 2;
    }
    ssize_t r = read(fd, buf + n, cap_b - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) rc = MEMGATE_EIO;
    if (r <= 0) break;
    n += (size_t)r;
  }
  if (!rc && n > TOOL_RESULTS_MAX_FILE) rc = MEMGATE_EPARSE;
  if (rc == MEMGATE_EIO) snprintf(err, cap, "%s: cannot read: %s", path, strerror(errno));
  else if (rc == MEMGATE_ENOMEM) snprintf(err, cap, "%s: out of memory", path);
  else if (rc) snprintf(err, cap, "%s: larger than %u bytes: not a results file?", path, TOOL_RESULTS_MAX_FILE);
  if (rc) {
    free(buf);
    return rc;
  }
  *out = buf;
  *len = n;
  return 0;
}

/* The line number at byte offset `from` of fd (1 at the start): lines are
 * numbered from the start of the file even when reading from an offset
 * (memgate run reads what its command appended). */
static uint32_t line_at(int fd, uint64_t from) {
  char chunk[65536];
  uint32_t line = 1;
  for (uint64_t off = 0; off < from;) {
    size_t want = from - off < sizeof chunk ? (size_t)(from - off) : sizeof chunk;
    ssize_t r = pread(fd, chunk, want, (off_t)off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; i++) line += chunk[i] == '\n';
    off += (uint64_t)r;
  }
  return line;
}

int tool_results_load(tool_results *rs, const char *path, uint64_t from, size_t *added, char *err,
                      size_t cap) {
  struct stat st;
  char *buf = NULL;
  size_t len = 0;
  if (added) *added = 0;
  int fd = open_regular(path, &st, err, cap);
  if (fd < 0) return MEMGATE_EIO;
  if ((uint64_t)st.st_size > TOOL_RESULTS_MAX_FILE + from) {
    snprintf(err, cap, "%s: larger than %u bytes: not a results file?", path, TOOL_RESULTS_MAX_FILE);
    close(fd);
    return MEMGATE_EPARSE;
  }
  int rc = read_from(fd, path, from, &buf, &len, err, cap);
  uint32_t first = rc || !from ? 1 : line_at(fd, from);
  close(fd);
  if (rc) return rc;
  rc = tool_results_parse(rs, buf, len, path, first, added, err, cap);
  free(buf);
  return rc;
}
