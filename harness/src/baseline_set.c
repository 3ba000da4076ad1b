/*
 * A directory of baseline files, the environment settings, and the rule
 * that turns a measured result plus its baseline entry into a verdict.
 * Shared by the measured process (baseline.c) and `memgate check`, so both
 * judge the same way.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "baseline_store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* ------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------ */

static int env_flag(const char *var, bool *out, char *err, size_t cap) {
  const char *v = getenv(var);
  if (!v || !*v || strcmp(v, "0") == 0) {
    *out = false;
    return 0;
  }
  if (strcmp(v, "1") == 0) {
    *out = true;
    return 0;
  }
  memgate__msgf(err, cap, "memgate: %s=\"%.64s\": expected 0 or 1", var, v);
  *out = false;
  return MEMGATE_ECONFIG;
}

int memgate__bl_policy_env(memgate__bl_policy *p, char *err, size_t cap) {
  int rc = 0;
  memset(p, 0, sizeof *p);
  if (env_flag("MEMGATE_STRICT", &p->strict, err, cap)) rc = MEMGATE_ECONFIG;
  if (env_flag("MEMGATE_UPDATE", &p->update, err, cap)) rc = MEMGATE_ECONFIG;
  if (env_flag("MEMGATE_VERBOSE", &p->verbose, err, cap)) rc = MEMGATE_ECONFIG;
  if (env_flag("MEMGATE_FAIL_ON_IMPROVEMENT", &p->fail_on_improvement, err, cap)) rc = MEMGATE_ECONFIG;
  return rc;
}

const char *memgate__bl_dir_env(bool *explicit_dir) {
  const char *d = getenv("MEMGATE_BASELINES");
  bool set = d && *d;
  if (explicit_dir) *explicit_dir = set;
  return set ? d : "baselines";
}

/* ------------------------------------------------------------------------
 * The set
 * ------------------------------------------------------------------------ */

static int loaded_cmp(const void *a, const void *b) {
  return strcmp(((const memgate__bl_loaded *)a)->name, ((const memgate__bl_loaded *)b)->name);
}

void memgate__bl_set_free(memgate__bl_set *s) {
  if (!s) return;
  for (size_t i = 0; i < s->count; i++) {
    free(s->files[i].name);
    free(s->files[i].error);
    memgate__bl_free(&s->files[i].file);
  }
  free(s->files);
  free(s->dir);
  memset(s, 0, sizeof *s);
}

int memgate__bl_set_load(memgate__bl_set *s, const char *dir, bool *missing, char *err, size_t cap) {
  size_t cap_files = 0;
  memset(s, 0, sizeof *s);
  if (missing) *missing = false;
  s->dir = dup_str(dir ? dir : "baselines");
  if (!s->dir) return MEMGATE_ENOMEM;
  DIR *d = opendir(s->dir);
  if (!d) {
    if (errno == ENOENT) {
      if (missing) *missing = true;
      return 0;
    }
    memgate__msgf(err, cap, "%s: cannot read the baselines directory: %s", s->dir, strerror(errno));
    return MEMGATE_EBASELINE;
  }
  int rc = 0;
  for (;;) {
    errno = 0;
    const struct dirent *de = readdir(d);
    if (!de) {
      if (errno) {
        memgate__msgf(err, cap, "%s: cannot read the baselines directory: %s", s->dir, strerror(errno));
        rc = MEMGATE_EBASELINE;
      }
      break;
    }
    const char *n = de->d_name;
    size_t len = strlen(n);
    if (n[0] == '.' || len <= 5 || len > 200 || strcmp(n + len - 5, ".json") != 0) continue;
    if (s->count == cap_files) {
      size_t nc = cap_files ? cap_files * 2 : 8;
      memgate__bl_loaded *nf = realloc(s->files, nc * sizeof *nf);
      if (!nf) {
        rc = MEMGATE_ENOMEM;
        break;
      }
      s->files = nf;
      cap_files = nc;
    }
    memgate__bl_loaded *l = &s->files[s->count];
    memset(l, 0, sizeof *l);
    l->name = dup_str(n);
    if (!l->name) {
      rc = MEMGATE_ENOMEM;
      break;
    }
    s->count++;
  }
  closedir(d);
  if (rc) {
    if (rc == MEMGATE_ENOMEM) memgate__msgf(err, cap, "%s: out of memory", s->dir);
    memgate__bl_set_free(s);
    return rc;
  }
  if (s->count) qsort(s->files, s->count, sizeof *s->files, loaded_cmp);
  for (size_t i = 0; i < s->count; i++) {
    memgate__bl_loaded *l = &s->files[i];
    char path[1024], e[768];
    bool gone = false;
    e[0] = '\0';
    snprintf(path, sizeof path, "%s/%s", s->dir, l->name);
    int lrc = memgate__bl_load(path, &l->file, &gone, e, sizeof e);
    if (lrc == MEMGATE_ENOMEM) {
      memgate__msgf(err, cap, "%s: out of memory", path);
      memgate__bl_set_free(s);
      return lrc;
    }
    if (lrc) {
      l->error = dup_str(e);
      if (!l->error) {
        memgate__bl_set_free(s);
        return MEMGATE_ENOMEM;
      }
    }
  }
  return 0;
}

const memgate__bl_loaded *memgate__bl_set_file(const memgate__bl_set *s, const char *scope) {
  char name[128];
  memgate__bl_loaded key;
  if (!s || s->count == 0 || !scope) return NULL;
  memgate__bl_file_name(scope, name, sizeof name);
  memset(&key, 0, sizeof key);
  key.name = name;
  return bsearch(&key, s->files, s->count, sizeof key, loaded_cmp);
}

/* ------------------------------------------------------------------------
 * Recording
 * ------------------------------------------------------------------------ */

static int64_t clamp_bytes(int64_t v) {
  return v < 0 ? 0 : v > MEMGATE__BL_MAX_BYTES ? MEMGATE__BL_MAX_BYTES : v;
}

void memgate__bl_record_merge(memgate__bl_entry *acc, bool first, memgate_kind kind,
                              uint32_t iterations, int64_t retained, bool has_peak, int64_t peak) {
  uint32_t it = kind == MemgateKindRepeat && iterations ? iterations : 1;
  int64_t ret = clamp_bytes(retained);
  int64_t pk = has_peak && peak >= MEMGATE__BL_PEAK_FLOOR_BYTES ? clamp_bytes(peak) : -1;
  if (first) {
    acc->tolerance_bytes = -1;
    acc->tolerance_percent = -1;
    acc->peak_tolerance_bytes = -1;
    acc->peak_tolerance_percent = -1;
  }
  if (first || acc->kind != (int)kind || it > acc->iterations) {
    acc->kind = (int)kind;
    acc->iterations = it;
    acc->retained_bytes = ret;
    acc->peak_bytes = pk;
  } else if (it == acc->iterations) {
    if (ret > acc->retained_bytes) acc->retained_bytes = ret;
    if (pk > acc->peak_bytes) acc->peak_bytes = pk;
  }
}

/* ------------------------------------------------------------------------
 * Judging
 * ------------------------------------------------------------------------ */

/* Update mode: a result that passed its measurement is recorded; a leak or
 * a failed measurement is not (and keeps its verdict). */
static void judge_record(memgate__bl_judgement *out, const char *platform, memgate_verdict measured) {
  char was[160];
  if (measured == MemgateVerdictLeak) {
    memgate__msgf(out->desc, sizeof out->desc, "not recorded as a baseline: a leak must be fixed, not accepted");
    return;
  }
  if (measured != MemgateVerdictPass) {
    memgate__msgf(out->desc, sizeof out->desc, "not recorded as a baseline: the measurement did not complete");
    return;
  }
  out->status = MEMGATE__BL_RECORD;
  if (out->entry && strcmp(out->entry->platform, platform) == 0) {
    char ex[32];
    memgate__bytes(ex, sizeof ex, out->cmp.expected, true);
    memgate__msgf(was, sizeof was, "replacing expected %s", ex);
  } else {
    memgate__msgf(was, sizeof was, "new entry");
  }
  memgate__msgf(out->desc, sizeof out->desc, "recorded as the baseline for %s in %s (%s)", platform,
       out->path, was);
}

/* No entry for the platform or its fallbacks: passes (an error when strict). */
static void judge_no_entry(memgate__bl_judgement *out, const memgate__bl_policy *pol,
                           const char *platform, bool leak) {
  char keys[3][MEMGATE__BL_KEY_CAP], tried[256];
  size_t n = memgate__bl_fallbacks(platform, keys);
  tried[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    memgate__msg_appendf(tried, sizeof tried, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", keys[i]);
  }
  out->status = MEMGATE__BL_NO_ENTRY;
  if (!pol->strict || leak) {
    memgate__msgf(out->desc, sizeof out->desc, "no baseline for %s in %s", tried, out->path);
    return;
  }
  memgate__msgf(out->desc, sizeof out->desc,
       "no baseline for %s in %s (MEMGATE_STRICT=1 requires one; record it with "
       "MEMGATE_UPDATE=1 or memgate update)",
       tried, out->path);
}

/* A comparison was made; an improvement that fails says why. */
static void judge_compared(memgate__bl_judgement *out, const memgate__bl_policy *pol, bool leak) {
  out->status = MEMGATE__BL_COMPARED;
  if (!leak && out->cmp.outcome == MEMGATE__BL_IMPROVEMENT && pol->fail_on_improvement)
    memgate__msg_appendf(out->desc, sizeof out->desc, " (MEMGATE_FAIL_ON_IMPROVEMENT=1)");
}

/* The final verdict: the baseline's own (memgate__bl_verdict_of) combined
 * with the measured one (memgate__final_verdict: a measured leak or error
 * stays what it is), decided in one place for the library and the tool. */
static void judge_final(memgate__bl_judgement *out, const memgate__bl_policy *pol,
                        memgate_verdict measured) {
  memgate_verdict bv;
  int err;
  bool judged = memgate__bl_verdict_of(out, pol, &bv, &err);
  out->verdict = memgate__final_verdict(measured, judged, bv);
  out->error = measured == MemgateVerdictPass && out->verdict == MemgateVerdictError ? err : 0;
}

void memgate__bl_judge(const memgate__bl_set *s, const memgate__bl_policy *pol, const char *name,
                       memgate_kind kind, const char *platform, memgate_verdict measured,
                       uint32_t iterations, int64_t retained, bool has_peak, int64_t peak,
                       memgate__bl_judgement *out) {
  static const memgate__bl_policy none = {false, false, false, false};
  char fname[128];
  bool leak = measured == MemgateVerdictLeak;

  memset(out, 0, sizeof *out);
  if (!pol) pol = &none;
  if (!platform || !*platform) platform = "unknown";
  out->verdict = measured;
  memgate__bl_file_name(name, fname, sizeof fname);
  memgate__msgf(out->path, sizeof out->path, "%s/%s", s && s->dir ? s->dir : "baselines", fname);

  const memgate__bl_loaded *file = memgate__bl_set_file(s, name);
  if (file && file->error) {
    out->status = MEMGATE__BL_FILE_ERROR;
    memgate__msgf(out->desc, sizeof out->desc, "%s (baseline not applied)", file->error);
    judge_final(out, pol, measured);
    return;
  }
  const memgate__bl_entry *e = file ? memgate__bl_lookup(&file->file, name, platform) : NULL;
  out->entry = e;
  if (e) memgate__bl_compare(e, kind, iterations, retained, has_peak, peak, &out->cmp);
  if (pol->update) {
    judge_record(out, platform, measured);
  } else if (!e) {
    judge_no_entry(out, pol, platform, leak);
  } else {
    memgate__bl_describe(out->desc, sizeof out->desc, &out->cmp, e, platform, out->path, retained,
                         peak);
    judge_compared(out, pol, leak);
  }
  judge_final(out, pol, measured);
}

/* The one rule combining the two (docs/CI.md): a measured leak or error
 * stays what it is; a measured pass takes the baseline's verdict. */
memgate_verdict memgate__final_verdict(memgate_verdict measured, bool judged,
                                       memgate_verdict baseline) {
  if (measured != MemgateVerdictPass) return measured;
  return judged ? baseline : MemgateVerdictPass;
}

bool memgate__bl_verdict_of(const memgate__bl_judgement *j, const memgate__bl_policy *pol,
                            memgate_verdict *verdict, int *error) {
  *verdict = MemgateVerdictPass;
  *error = 0;
  switch (j->status) {
  case MEMGATE__BL_RECORD: return false;
  case MEMGATE__BL_NO_ENTRY:
    if (!pol || !pol->strict || pol->update) return false;
    *verdict = MemgateVerdictError;
    break;
  case MEMGATE__BL_FILE_ERROR: *verdict = MemgateVerdictError; break;
  case MEMGATE__BL_COMPARED:
    if (j->cmp.outcome == MEMGATE__BL_REGRESSION ||
        (j->cmp.outcome == MEMGATE__BL_IMPROVEMENT && pol && pol->fail_on_improvement))
      *verdict = MemgateVerdictRegression;
    else if (j->cmp.outcome == MEMGATE__BL_KIND_MISMATCH)
      *verdict = MemgateVerdictError;
    break;
  }
  if (*verdict == MemgateVerdictError) *error = MEMGATE_EBASELINE;
  return true;
}
