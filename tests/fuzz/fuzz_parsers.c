/*
 * Fuzz target for the baseline and results parsers (libFuzzer; `make
 * fuzz-ci`, `make fuzz`; tests/fuzz/replay.c runs the corpus in `make test`).
 *
 * Every input goes through both parsers. Properties checked (abort on
 * violation, so the fuzzer reports it):
 *   - an error message always starts with the file name and, for JSON
 *     errors, line:col;
 *   - a baseline file that parses formats to text that parses again to the
 *     same text (stable output, nothing lost);
 *   - every loaded result can be recorded into a baseline model, and that
 *     model formats and parses again;
 *   - comparing and describing never overflows or crashes.
 */
#include "baseline_store.h"
#include "results_load.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_prefix(const char *err, const char *name) {
  size_t n = strlen(name);
  if (strncmp(err, name, n) != 0 || err[n] != ':') abort();
}

/* Formats f, parses the text again, and requires the same text back. */
static void round_trip(const memgate__bl_file *f) {
  size_t len = 0, len2 = 0;
  char err[1024];
  memgate__bl_file g;
  char *text = memgate__bl_format(f, &len);
  if (!text) return; /* out of memory */
  if (memgate__bl_parse(text, len, "fuzz.json", NULL, &g, err, sizeof err) != 0) abort();
  char *again = memgate__bl_format(&g, &len2);
  if (again && (len2 != len || memcmp(again, text, len) != 0)) abort();
  free(again);
  free(text);
  memgate__bl_free(&g);
}

static void exercise_compare(const memgate__bl_entry *e, int64_t retained, int64_t peak,
                             uint32_t iterations) {
  static const memgate_kind kinds[] = {MemgateKindScope, MemgateKindRepeat};
  char buf[768];
  for (size_t k = 0; k < 2; k++) {
    memgate__bl_cmp c;
    memgate__bl_compare(e, kinds[k], iterations, retained, true, peak, &c);
    if (c.allowed < c.expected) abort();
    if (c.retained_over && c.retained_under) abort();
    memgate__bl_describe(buf, sizeof buf, &c, e, "linux-x86_64", "fuzz.json", retained, peak);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  char err[1024];
  memgate__bl_file f;
  bool have_f = false;

  err[0] = '\0';
  int rc = memgate__bl_parse(text, size, "fuzz.json", NULL, &f, err, sizeof err);
  if (rc == 0) {
    have_f = true;
    round_trip(&f);
    for (size_t i = 0; i < f.count; i++) {
      const memgate__bl_entry *e = &f.entries[i];
      if (memgate__bl_lookup(&f, e->scope, e->platform) != e) abort();
      exercise_compare(e, e->retained_bytes, e->peak_bytes, e->iterations);
      exercise_compare(e, INT64_MAX, INT64_MIN, 1000000);
      exercise_compare(e, INT64_MIN, INT64_MAX, 1);
    }
  } else if (rc != MEMGATE_ENOMEM) {
    check_prefix(err, "fuzz.json");
  }

  tool_results rs;
  size_t added = 0;
  tool_results_init(&rs);
  err[0] = '\0';
  rc = tool_results_parse(&rs, text, size, "fuzz.jsonl", 1, &added, err, sizeof err);
  if (rc == 0) {
    if (added != rs.count) abort();
    memgate__bl_file rec;
    memset(&rec, 0, sizeof rec);
    for (size_t i = 0; i < rs.count; i++) {
      const tool_result *r = &rs.items[i];
      memgate__bl_entry e;
      memset(&e, 0, sizeof e);
      e.scope = r->name;
      e.platform = r->platform;
      e.kind = (int)r->kind;
      e.iterations = r->kind == MemgateKindRepeat && r->iterations ? r->iterations : 1;
      e.retained_bytes = r->retained_bytes < 0 ? 0 : r->retained_bytes > MEMGATE__BL_MAX_BYTES ? MEMGATE__BL_MAX_BYTES : r->retained_bytes;
      e.peak_bytes = !r->has_peak ? -1 : r->peak_bytes < 0 ? 0 : r->peak_bytes > MEMGATE__BL_MAX_BYTES ? MEMGATE__BL_MAX_BYTES : r->peak_bytes;
      e.tolerance_bytes = e.tolerance_percent = -1;
      e.peak_tolerance_bytes = e.peak_tolerance_percent = -1;
      if (memgate__bl_put(&rec, &e) != 0) break;
      if (have_f) {
        const memgate__bl_entry *b = memgate__bl_lookup(&f, r->name, r->platform);
        if (b) exercise_compare(b, r->retained_bytes, r->peak_bytes, r->iterations);
      }
    }
    round_trip(&rec);
    memgate__bl_free(&rec);
  } else if (rc != MEMGATE_ENOMEM) {
    check_prefix(err, "fuzz.jsonl");
  }
  tool_results_free(&rs);
  if (have_f) memgate__bl_free(&f);
  return 0;
}
