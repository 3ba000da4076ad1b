/*
 * Building results and finishing them: the error-result helper used for
 * every misuse and unreadable footprint, and the path every measured result
 * takes (baseline, final verdict, delivery).
 */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void memgate__copy_str(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "?");
}

int memgate__check_site(const char *what, const char *name, const char *file, int line, char *msg,
                        size_t cap) {
  char why[160];
  const char *subject = "name", *value = name;
  int rc = memgate__check_name(name, why, sizeof why);
  if (rc == 0) {
    subject = "file";
    value = file;
    rc = memgate__check_file(file, why, sizeof why);
  }
  if (rc == 0) {
    subject = NULL;
    rc = memgate__check_line(line, why, sizeof why);
  }
  if (rc == 0) return 0;
  if (subject) {
    char shown[3 * MEMGATE__ESC_MAX];
    (void)memgate__esc_str(shown, sizeof shown, memgate__esc_term, value ? value : "");
    memgate__msgf(msg, cap, "%s: the %s \"%s%s\" %s", what, subject, shown,
                  value && strlen(value) > strlen(shown) ? "..." : "", why);
  } else {
    memgate__msgf(msg, cap, "%s: the line %s", what, why);
  }
  return MEMGATE_EINVAL;
}

/* What a result may carry: a name, path and line the memgate command
 * accepts (an invalid one was refused with an error naming it). */
static const char *valid_or(const char *s, int (*check)(const char *, char *, size_t),
                            const char *instead) {
  return s && check(s, NULL, 0) == 0 ? s : instead;
}

void memgate__result_init(memgate__tstate *ts, memgate_result *r, memgate_kind kind,
                          const char *name, const char *file, int line, const char *begin_file,
                          int begin_line) {
  memset(r, 0, sizeof *r);
  memgate__copy_str(ts->r_name, sizeof ts->r_name, valid_or(name, memgate__check_name, "(invalid name)"));
  memgate__copy_str(ts->r_file, sizeof ts->r_file, valid_or(file, memgate__check_file, "(invalid path)"));
  memgate__copy_str(ts->r_begin_file, sizeof ts->r_begin_file,
                    valid_or(begin_file, memgate__check_file, "(invalid path)"));
  if (memgate__check_line(line, NULL, 0) != 0) line = 0;
  if (memgate__check_line(begin_line, NULL, 0) != 0) begin_line = 0;
  ts->r_msg[0] = '\0';
  ts->r_baseline_platform[0] = '\0';
  r->name = ts->r_name;
  r->file = ts->r_file;
  r->line = line;
  r->begin_file = ts->r_begin_file;
  r->begin_line = begin_line;
  r->platform = memgate_platform();
  r->kind = kind;
  r->message = ts->r_msg;
  r->baseline_platform = ts->r_baseline_platform;
  r->baseline_peak_bytes = -1;
  r->iterations = 1;
}

/* Appends r to the results file (when one is set), then delivers it. A
 * result whose line could not be written is an error: lost results must
 * never let CI pass (the failure handler still sees what was measured). */
static void record_and_deliver(memgate__tstate *ts, memgate_result *r) {
  const char *path = memgate__proc_get()->results_path;
  char err[512];
  if (path && memgate__results_write(path, r, err, sizeof err) != 0) {
    char measured[MEMGATE__MSG_CAP];
    snprintf(measured, sizeof measured, "%s", ts->r_msg);
    memgate__msgf(ts->r_msg, sizeof ts->r_msg, "result not recorded: %s; measured %s: %s", err,
                  memgate_verdict_name(r->verdict), measured);
    r->verdict = MemgateVerdictError;
    r->error = MEMGATE_ERESULTS;
  }
  ts->last = *r;
  ts->has_last = true;
  memgate__deliver(r);
}

static memgate_verdict fail_v(memgate__tstate *ts, memgate_result *r, memgate_result *out,
                              int err, const char *fmt, va_list ap) {
  (void)vsnprintf(ts->r_msg, sizeof ts->r_msg, fmt, ap);
  r->verdict = r->measured_verdict = MemgateVerdictError;
  r->error = err;
  record_and_deliver(ts, r);
  if (out) *out = *r;
  return MemgateVerdictError;
}

memgate_verdict memgate__result_fail(memgate__tstate *ts, memgate_result *r, memgate_result *out,
                                     int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  memgate_verdict v = fail_v(ts, r, out, err, fmt, ap);
  va_end(ap);
  return v;
}

memgate_verdict memgate__report_error(memgate__tstate *ts, memgate_result *out, memgate_kind kind,
                                      const char *name, const char *file, int line,
                                      const char *begin_file, int begin_line, int err,
                                      const char *fmt, ...) {
  memgate_result r;
  memgate__tstate fallback; /* when thread state could not be allocated */
  if (!ts) {
    memset(&fallback, 0, sizeof fallback);
    ts = &fallback;
  }
  memgate__result_init(ts, &r, kind, name, file, line, begin_file, begin_line);
  va_list ap;
  va_start(ap, fmt);
  (void)fail_v(ts, &r, out, err, fmt, ap);
  va_end(ap);
  if (out && ts == &fallback) out->name = out->file = out->begin_file = out->message = NULL;
  return MemgateVerdictError;
}

/* Records the baseline's part in r: its verdict, figures and the final
 * verdict and message. A measurement that passes but fails its baseline
 * leads with the baseline's words; otherwise they follow the measurement's. */
static void apply_baseline(memgate__tstate *ts, memgate_result *r) {
  memgate__baseline_note n;
  char measured[MEMGATE__MSG_CAP];
  memgate__baseline_apply(r, &n);
  r->baseline_judged = n.judged;
  r->baseline_verdict = n.judged ? n.verdict : MemgateVerdictPass;
  r->verdict = memgate__final_verdict(r->measured_verdict, n.judged, n.verdict);
  if (r->verdict == MemgateVerdictError && r->measured_verdict != MemgateVerdictError)
    r->error = n.error;
  if (n.has_entry) {
    r->has_baseline = true;
    r->baseline_retained_bytes = n.expected_bytes;
    r->baseline_peak_bytes = n.peak_bytes;
    r->allowed_bytes = n.allowed_bytes;
    r->baseline_platform = n.platform;
  }
  if (!n.desc[0]) return;
  snprintf(measured, sizeof measured, "%s", ts->r_msg);
  if (r->measured_verdict == MemgateVerdictPass && r->verdict != MemgateVerdictPass)
    memgate__msgf(ts->r_msg, sizeof ts->r_msg, "%s; measured: %s", n.desc, measured);
  else
    memgate__msgf(ts->r_msg, sizeof ts->r_msg, "%s; %s", measured, n.desc);
}

/* MEMGATE_MIN_HEADROOM=BYTES: a passing scope or repeat whose headroom
 * after its last sample (memgate_headroom) is below the floor becomes an
 * error (MEMGATE_EHEADROOM): the process is that close to being killed for
 * memory. Read here, after the last sample; where there is no limit
 * (MEMGATE_EUNSUPPORTED) nothing is checked. */
static void check_headroom(memgate__tstate *ts, memgate_result *r) {
  const char *v = getenv("MEMGATE_MIN_HEADROOM");
  char *end = NULL, hb[32], fb[32];
  uint64_t h = 0;
  if (!v || !*v || r->verdict != MemgateVerdictPass) return;
  errno = 0;
  unsigned long long floor_b = strtoull(v, &end, 10);
  if (*end || errno || v[0] == '-') {
    r->verdict = r->measured_verdict = MemgateVerdictError;
    r->error = MEMGATE_ECONFIG;
    memgate__msgf(ts->r_msg, sizeof ts->r_msg, "MEMGATE_MIN_HEADROOM=%.40s is not a byte count", v);
    return;
  }
  if (memgate_headroom(&h) != 0 || h >= floor_b) return;
  memgate__bytes(hb, sizeof hb, (int64_t)(h > INT64_MAX ? INT64_MAX : h), false);
  memgate__bytes(fb, sizeof fb, (int64_t)(floor_b > INT64_MAX ? INT64_MAX : floor_b), false);
  r->verdict = r->measured_verdict = MemgateVerdictError;
  r->error = MEMGATE_EHEADROOM;
  memgate__msgf(ts->r_msg, sizeof ts->r_msg, "headroom %s left after it, below the floor %s (MEMGATE_MIN_HEADROOM)", hb,
                fb);
}

memgate_verdict memgate__result_finish(memgate__tstate *ts, memgate_result *r,
                                       memgate_result *out) {
  check_headroom(ts, r);
  r->measured_verdict = r->verdict;
  apply_baseline(ts, r);
  record_and_deliver(ts, r);
  if (out) *out = *r;
  return r->verdict;
}
