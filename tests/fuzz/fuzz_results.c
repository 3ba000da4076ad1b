/*
 * Fuzz target for the results-line parser alone (harness/tool/results_load.c)
 * and the one evaluation every output reads (evaluate.c): `make fuzz-ci`
 * runs it after fuzz_parsers; tests/fuzz/replay.c runs the corpus through
 * it in `make test`.
 *
 * Properties checked (abort on violation):
 *   - an error names the file, and a parse error its line and column
 *     ("fuzz.jsonl:LINE:COL: ...");
 *   - nothing from a rejected input is kept;
 *   - every loaded result has a measured verdict (pass, leak or error) and a
 *     final verdict that follows from it and the baseline verdict;
 *   - judged without baselines, a measured leak stays a leak and a measured
 *     error an error, and the groups account for every result.
 */
#include "tool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int rc, const char *err) {
  static const char name[] = "fuzz.jsonl:";
  if (strncmp(err, name, sizeof name - 1) != 0) abort();
  if (rc != MEMGATE_EPARSE) return;
  const char *p = err + sizeof name - 1;
  char *end;
  if (strtoul(p, &end, 10) == 0 || *end != ':') abort();
  if (strtoul(end + 1, &end, 10) == 0 || *end != ':') abort();
}

static void check_result(const tool_result *r) {
  memgate_verdict want = r->measured_verdict;
  if (want == MemgateVerdictRegression) abort();
  if (want == MemgateVerdictPass && r->baseline_verdict == TOOL_BASELINE_REGRESSION) want = MemgateVerdictRegression;
  if (want == MemgateVerdictPass && r->baseline_verdict == TOOL_BASELINE_ERROR) want = MemgateVerdictError;
  if (want != r->verdict) abort();
  if (!memgate__bl_scope_ok(r->name) || !memgate__bl_platform_ok(r->platform)) abort();
  if (!r->series && r->series_count) abort();
}

static void check_evaluation(const tool_results *rs) {
  memgate__bl_set set;
  memgate__bl_policy pol;
  tool_report rep;
  size_t runs = 0;
  memset(&set, 0, sizeof set);
  memset(&pol, 0, sizeof pol);
  if (tool_report_build(&rep, rs, &set, &pol) != 0) return; /* out of memory */
  for (size_t i = 0; i < rep.neval; i++) {
    const tool_eval *e = &rep.evals[i];
    if (e->result->measured_verdict == MemgateVerdictLeak && e->verdict != MemgateVerdictLeak) abort();
    if (e->result->measured_verdict == MemgateVerdictError && e->verdict != MemgateVerdictError) abort();
    if (!e->message) abort();
  }
  for (size_t g = 0; g < rep.ngroup; g++) runs += rep.groups[g].runs;
  if (runs != rs->count || rep.passed + rep.leaks + rep.regressions + rep.errors != rep.ngroup) abort();
  tool_report_free(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tool_results rs;
  char err[1024];
  size_t added = 0;
  tool_results_init(&rs);
  err[0] = '\0';
  int rc = tool_results_parse(&rs, (const char *)data, size, "fuzz.jsonl", 1, &added, err, sizeof err);
  if (rc == 0) {
    if (added != rs.count) abort();
    for (size_t i = 0; i < rs.count; i++) check_result(&rs.items[i]);
    check_evaluation(&rs);
  } else {
    check_error(rc, err);
    if (rs.count != 0) abort();
  }
  tool_results_free(&rs);
  return 0;
}
