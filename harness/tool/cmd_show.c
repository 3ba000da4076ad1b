/* memgate show: list the baselines as a table. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fputs("usage: memgate show [--baselines DIR] [SCOPE...]\n"
        "\n"
        "Lists baseline entries: scope, platform, kind, iterations, expected retained and\n"
        "peak, tolerance and note. SCOPE limits the list to that scope and the scopes under\n"
        "it (\"live_room\" shows live_room.visit and live_room.gift).\n"
        "\n"
        "options:\n"
        "  --baselines DIR   baseline directory (default: $MEMGATE_BASELINES or ./baselines)\n"
        "  -h, --help        this help\n"
        "exit status: 0 listed, 2 a baseline file is invalid (the others are listed) or usage\n",
        f);
}

static bool matches(const char *scope, char **filters, int n) {
  if (n == 0) return true;
  for (int i = 0; i < n; i++) {
    size_t l = strlen(filters[i]);
    if (strncmp(scope, filters[i], l) == 0 && (scope[l] == '\0' || scope[l] == '.')) return true;
  }
  return false;
}

enum { NCOL = 9 };

static int width(const char *s) {
  int w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) w++;
  return w;
}

/* One row, columns padded to w, without trailing spaces. */
static void print_row(const char *const *cells, const int *w, const bool *right, bool bold) {
  memgate__buf b;
  memset(&b, 0, sizeof b);
  for (int c = 0; c < NCOL; c++) {
    int n = w[c] - width(cells[c]);
    if (c) memgate__buf_puts(&b, "  ");
    if (right[c])
      for (int i = 0; i < n; i++) memgate__buf_put(&b, " ", 1);
    memgate__buf_puts(&b, cells[c]);
    if (!right[c])
      for (int i = 0; i < n; i++) memgate__buf_put(&b, " ", 1);
  }
  while (!b.oom && b.len > 0 && b.p[b.len - 1] == ' ') b.p[--b.len] = '\0';
  if (!b.oom) printf("%s%s%s\n", bold ? "\033[1m" : "", b.p, bold ? "\033[0m" : "");
  memgate__buf_free(&b);
}

int tool_cmd_show(int argc, char **argv) {
  static const char *const head[NCOL] = {"SCOPE", "PLATFORM", "KIND", "ITER", "RETAINED", "TOLERANCE", "PEAK", "PEAK TOLERANCE", "NOTE"};
  static const bool right[NCOL] = {false, false, false, true, true, true, true, true, false};
  const char *dir = NULL;
  char **filters = calloc((size_t)argc + 1, sizeof *filters);
  int nf = 0;
  memgate__bl_set set;
  if (!filters) {
    tool_err("out of memory");
    return TOOL_EXIT_USAGE;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    int m;
    if (tool_is_help(a)) {
      usage(stdout);
      free(filters);
      return TOOL_EXIT_OK;
    }
    if (a[0] != '-') {
      filters[nf++] = argv[i];
      continue;
    }
    if ((m = tool_opt_value("--baselines", argc, argv, &i, &v)) > 0) {
      dir = v;
      continue;
    }
    if (m == 0) tool_err("show: unknown option '%s' (see memgate show --help)", a);
    free(filters);
    return TOOL_EXIT_USAGE;
  }
  int status = tool_load_baselines(&set, dir);
  if (!set.dir) { /* the directory itself could not be read */
    free(filters);
    return status ? status : TOOL_EXIT_USAGE;
  }
  int w[NCOL];
  char cell[NCOL][1100];
  size_t shown = 0;
  bool color = tool_color_ok(stdout);
  for (int c = 0; c < NCOL; c++) w[c] = width(head[c]);
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      if (shown == 0) break;
      print_row(head, w, right, color);
    }
    for (size_t f = 0; f < set.count; f++) {
      const memgate__bl_file *bf = &set.files[f].file;
      for (size_t k = 0; k < bf->count; k++) {
        const memgate__bl_entry *e = &bf->entries[k];
        if (!matches(e->scope, filters, nf)) continue;
        char r[32], p[32], tb[32], ptb[32];
        int64_t tol = e->tolerance_bytes >= 0 ? e->tolerance_bytes : MEMGATE__BL_DEFAULT_TOLERANCE_BYTES;
        int32_t pct = e->tolerance_percent >= 0 ? e->tolerance_percent : MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT;
        int64_t ptol = e->peak_tolerance_bytes >= 0 ? e->peak_tolerance_bytes
                                                    : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES;
        int32_t ppct = e->peak_tolerance_percent >= 0 ? e->peak_tolerance_percent
                                                      : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT;
        memgate__bytes(r, sizeof r, e->retained_bytes, false);
        if (e->peak_bytes >= 0) memgate__bytes(p, sizeof p, e->peak_bytes, false);
        else snprintf(p, sizeof p, "-");
        memgate__bytes(tb, sizeof tb, tol, false);
        memgate__bytes(ptb, sizeof ptb, ptol, false);
        snprintf(cell[0], sizeof cell[0], "%s", e->scope);
        snprintf(cell[1], sizeof cell[1], "%s", e->platform);
        snprintf(cell[2], sizeof cell[2], "%s", e->kind == MemgateKindRepeat ? "repeat" : e->kind == MemgateKindScope ? "scope" : "-");
        snprintf(cell[3], sizeof cell[3], "%u", (unsigned)e->iterations);
        snprintf(cell[4], sizeof cell[4], "%s", r);
        snprintf(cell[5], sizeof cell[5], "%s or %d%%", tb, (int)pct);
        snprintf(cell[6], sizeof cell[6], "%s", p);
        snprintf(cell[7], sizeof cell[7], "%s or %d%%", ptb, (int)ppct);
        snprintf(cell[8], sizeof cell[8], "%s", e->note ? e->note : "");
        if (pass == 0) {
          shown++;
          for (int c = 0; c < NCOL; c++)
            if (width(cell[c]) > w[c]) w[c] = width(cell[c]);
          continue;
        }
        const char *row[NCOL];
        for (int c = 0; c < NCOL; c++) row[c] = cell[c];
        print_row(row, w, right, false);
      }
    }
  }
  if (shown == 0) printf("no baselines%s in %s\n", nf ? " for the scopes given" : "", set.dir);
  memgate__bl_set_free(&set);
  free(filters);
  return status;
}
