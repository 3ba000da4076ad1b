/*
 * Results files: one JSON object per line (harness/src/results.c), read
 * strictly. Every error names the file, the line and the column.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "results_load.h"

#include "baseline_store.h"

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

static int parse_line(tool_results *rs, const char *s, size_t n, const char *src, uint32_t line,
                      char *err, size_t cap) {
  memgate__jdoc doc;
  memgate__jerr je;
  lctx c = {src, line, &doc, err, cap};
  tool_result r;
  char *kind = NULL, *verdict = NULL;
  int64_t v64;
  uint64_t u64;
  bool has;
  int rc;

  memset(&r, 0, sizeof r);
  rc = memgate__jdoc_parse(&doc, s, n, &je);
  if (rc) {
    if (rc == MEMGATE_ENOMEM) {
      snprintf(err, cap, "%s:%u: out of memory", src, (unsigned)line);
      return rc;
    }
    return fail(&c, je.off, "%s", je.msg);
  }
  const cJSON *root = doc.root;
#define TRY(x)          \
  do {                  \
    rc = (x);           \
    if (rc) goto done;  \
  } while (0)
  if (!cJSON_IsObject(root)) {
    rc = fail(&c, 0, "a results line must be a JSON object");
    goto done;
  }
  TRY(get_i64(&c, root, "format", true, 0, INT32_MAX, NULL, &v64));
  if (v64 < 1 || v64 > TOOL_RESULTS_FORMAT) {
    rc = fail(&c, memgate__jdoc_value_off(&doc, field(root, "format")),
              "unsupported results format version %lld (this memgate reads versions 1 to %d)",
              (long long)v64, TOOL_RESULTS_FORMAT);
    goto done;
  }
  TRY(get_str(&c, root, "name", true, &r.name));
  TRY(check_str(&c, root, "name", true, memgate__check_name, r.name));
  TRY(get_str(&c, root, "kind", true, &kind));
  if (strcmp(kind, "scope") == 0) r.kind = MemgateKindScope;
  else if (strcmp(kind, "repeat") == 0) r.kind = MemgateKindRepeat;
  else {
    rc = fail(&c, memgate__jdoc_value_off(&doc, field(root, "kind")), "\"kind\" must be \"scope\" or \"repeat\"");
    goto done;
  }
  TRY(get_str(&c, root, "verdict", true, &verdict));
  if (strcmp(verdict, "pass") == 0) r.verdict = MemgateVerdictPass;
  else if (strcmp(verdict, "leak") == 0) r.verdict = MemgateVerdictLeak;
  else if (strcmp(verdict, "regression") == 0) r.verdict = MemgateVerdictRegression;
  else if (strcmp(verdict, "error") == 0) r.verdict = MemgateVerdictError;
  else {
    rc = fail(&c, memgate__jdoc_value_off(&doc, field(root, "verdict")),
              "\"verdict\" must be \"pass\", \"leak\", \"regression\" or \"error\"");
    goto done;
  }
  TRY(get_str(&c, root, "message", false, &r.message));
  TRY(get_str(&c, root, "error", false, &r.error));
  TRY(get_str(&c, root, "file", true, &r.file));
  TRY(check_str(&c, root, "file", true, memgate__check_file, r.file));
  TRY(get_i64(&c, root, "line", true, INT64_MIN, INT64_MAX, NULL, &v64));
  TRY(check_line(&c, root, "line", v64));
  r.line = (int)v64;
  TRY(get_str(&c, root, "begin_file", false, &r.begin_file));
  TRY(check_str(&c, root, "begin_file", false, memgate__check_file, r.begin_file));
  v64 = 0;
  TRY(get_i64(&c, root, "begin_line", false, INT64_MIN, INT64_MAX, NULL, &v64));
  TRY(check_line(&c, root, "begin_line", v64));
  r.begin_line = (int)v64;
  TRY(get_str(&c, root, "platform", true, &r.platform));
  if (!memgate__bl_platform_ok(r.platform)) {
    rc = fail(&c, memgate__jdoc_value_off(&doc, field(root, "platform")),
              "\"platform\" must be 1 to 63 of a-z 0-9 . _ -");
    goto done;
  }
  TRY(get_u64(&c, root, "before_bytes", UINT64_MAX, &r.before_bytes));
  TRY(get_u64(&c, root, "after_bytes", UINT64_MAX, &r.after_bytes));
  TRY(get_i64(&c, root, "retained_bytes", true, INT64_MIN, INT64_MAX, NULL, &r.retained_bytes));
  TRY(get_i64(&c, root, "peak_bytes", false, INT64_MIN, INT64_MAX, &r.has_peak, &r.peak_bytes));
  TRY(get_i64(&c, root, "heap_delta_bytes", false, INT64_MIN, INT64_MAX, &r.has_heap,
              &r.heap_delta_bytes));
  TRY(get_i64(&c, root, "warmup_bytes", false, INT64_MIN, INT64_MAX, NULL, &r.warmup_bytes));
  u64 = 0;
  TRY(get_u64(&c, root, "warmup", 1000000, &u64));
  r.warmup = (uint32_t)u64;
  u64 = r.kind == MemgateKindScope ? 1 : 0;
  TRY(get_u64(&c, root, "iterations", 1000000, &u64));
  r.iterations = (uint32_t)u64;
  TRY(get_series(&c, root, "series", &r.series, &r.series_count));
  TRY(get_series(&c, root, "heap_series", &r.heap_series, &r.heap_series_count));
  TRY(get_dbl(&c, root, "slope_bytes", &r.has_slope, &r.slope_bytes));
  TRY(get_dbl(&c, root, "heap_slope_bytes", &r.has_heap_slope, &r.heap_slope_bytes));
  const cJSON *b = field(root, "baseline");
  if (b && !cJSON_IsNull(b)) {
    if (!cJSON_IsObject(b)) {
      rc = fail(&c, memgate__jdoc_value_off(&doc, b), "\"baseline\" must be an object or null");
      goto done;
    }
    lctx bc = c;
    r.has_baseline = true;
    r.baseline_peak_bytes = -1;
    TRY(get_str(&bc, b, "platform", false, &r.baseline_platform));
    TRY(get_i64(&bc, b, "retained_bytes", true, INT64_MIN, INT64_MAX, NULL, &r.baseline_retained_bytes));
    TRY(get_i64(&bc, b, "peak_bytes", false, INT64_MIN, INT64_MAX, &has, &v64));
    if (has) r.baseline_peak_bytes = v64;
    TRY(get_i64(&bc, b, "allowed_bytes", true, INT64_MIN, INT64_MAX, NULL, &r.allowed_bytes));
  } else {
    r.baseline_platform = dup_str("");
    if (!r.baseline_platform) {
      rc = MEMGATE_ENOMEM;
      goto done;
    }
  }
  TRY(get_u64(&c, root, "elapsed_ns", UINT64_MAX, &r.elapsed_ns));
  TRY(get_i64(&c, root, "pid", false, INT64_MIN, INT64_MAX, NULL, &r.pid));
#undef TRY
  if (rs->count == rs->cap) {
    size_t ncap = rs->cap ? rs->cap * 2 : 16;
    tool_result *ni = realloc(rs->items, ncap * sizeof *ni);
    if (!ni) {
      rc = MEMGATE_ENOMEM;
      goto done;
    }
    rs->items = ni;
    rs->cap = ncap;
  }
  r.source = src;
  r.source_line = line;
  rs->items[rs->count++] = r;
  memset(&r, 0, sizeof r);
  rc = 0;
done:
  if (rc == MEMGATE_ENOMEM) snprintf(err, cap, "%s:%u: out of memory", src, (unsigned)line);
  result_free(&r);
  free(kind);
  free(verdict);
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

int tool_results_parse(tool_results *rs, const char *text, size_t len, const char *path,
                       uint32_t first_line, size_t *added, char *err, size_t cap) {
  size_t before = rs->count, pos = 0;
  uint32_t line = first_line ? first_line : 1;
  if (added) *added = 0;
  if (!path) path = "(results)";
  const char *src = add_source(rs, path);
  if (!src) {
    snprintf(err, cap, "%s: out of memory", path);
    return MEMGATE_ENOMEM;
  }
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    size_t n = end - pos;
    if (n > 0 && text[pos + n - 1] == '\r') n--;
    bool blank = true;
    for (size_t i = 0; i < n && blank; i++) blank = text[pos + i] == ' ' || text[pos + i] == '\t';
    if (!blank) {
      int rc = parse_line(rs, text + pos, n, src, line, err, cap);
      if (rc) {
        while (rs->count > before) result_free(&rs->items[--rs->count]);
        return rc;
      }
    }
    pos = nl ? end + 1 : len;
    line++;
  }
  if (added) *added = rs->count - before;
  return 0;
}

int tool_results_load(tool_results *rs, const char *path, uint64_t from, size_t *added, char *err,
                      size_t cap) {
  struct stat st;
  if (added) *added = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, cap, "%s: cannot open results: %s", path, strerror(errno));
    return MEMGATE_EIO;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, cap, "%s: not a regular file", path);
    close(fd);
    return MEMGATE_EIO;
  }
  if ((uint64_t)st.st_size > TOOL_RESULTS_MAX_FILE + from) {
    snprintf(err, cap, "%s: larger than %u bytes: not a results file?", path, TOOL_RESULTS_MAX_FILE);
    close(fd);
    return MEMGATE_EPARSE;
  }
  size_t cap_b = 65536, len = 0;
  char *buf = malloc(cap_b);
  if (!buf) {
    close(fd);
    snprintf(err, cap, "%s: out of memory", path);
    return MEMGATE_ENOMEM;
  }
  if (from && lseek(fd, (off_t)from, SEEK_SET) < 0) {
    snprintf(err, cap, "%s: cannot seek: %s", path, strerror(errno));
    free(buf);
    close(fd);
    return MEMGATE_EIO;
  }
  for (;;) {
    if (len == cap_b) {
      if (cap_b > TOOL_RESULTS_MAX_FILE) break;
      char *nb = realloc(buf, cap_b * 2);
      if (!nb) {
        free(buf);
        close(fd);
        snprintf(err, cap, "%s: out of memory", path);
        return MEMGATE_ENOMEM;
      }
      buf = nb;
      cap_b *= 2;
    }
    ssize_t r = read(fd, buf + len, cap_b - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(err, cap, "%s: cannot read: %s", path, strerror(errno));
      free(buf);
      close(fd);
      return MEMGATE_EIO;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  if (len > TOOL_RESULTS_MAX_FILE) {
    snprintf(err, cap, "%s: larger than %u bytes: not a results file?", path, TOOL_RESULTS_MAX_FILE);
    free(buf);
    return MEMGATE_EPARSE;
  }
  /* Lines are numbered from the start of the file even when reading from
   * an offset (memgate run reads what its command appended). */
  uint32_t first = 1;
  if (from) {
    FILE *f = fopen(path, "rb");
    if (f) {
      uint64_t i = 0;
      int ch;
      while (i < from && (ch = getc(f)) != EOF) {
        if (ch == '\n') first++;
        i++;
      }
      fclose(f);
    }
  }
  int rc = tool_results_parse(rs, buf, len, path, first, added, err, cap);
  free(buf);
  return rc;
}
