/* memgate show: list the baselines as a table. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>

static const char k_about[] =
    "Lists baseline entries: scope, platform, kind, iterations, expected retained and\n"
    "peak, tolerance and note. SCOPE limits the list to that scope and the scopes under\n"
    "it (\"live_room\" shows live_room.visit and live_room.gift).\n";
static const char k_after[] =
    "exit status: 0 listed, 2 a baseline file is invalid (the others are listed) or usage\n";

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

enum { CELL_CAP = 1100 };
/* Right-aligned columns (the figures). */
static const bool k_right[NCOL] = {false, false, false, true, true, true, true, true, false};

/* The row of entry e. */
static void entry_cells(const memgate__bl_entry *e, char cell[NCOL][CELL_CAP]) {
  char r[32], p[32], tb[32], ptb[32];
  int64_t tol = e->tolerance_bytes >= 0 ? e->tolerance_bytes : MEMGATE__BL_DEFAULT_TOLERANCE_BYTES;
  int32_t pct = e->tolerance_percent >= 0 ? e->tolerance_percent : MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT;
  int64_t ptol = e->peak_tolerance_bytes >= 0 ? e->peak_tolerance_bytes : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES;
  int32_t ppct = e->peak_tolerance_percent >= 0 ? e->peak_tolerance_percent
                                                : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT;
  memgate__bytes(r, sizeof r, e->retained_bytes, false);
  if (e->peak_bytes >= 0) memgate__bytes(p, sizeof p, e->peak_bytes, false);
  else snprintf(p, sizeof p, "-");
  memgate__bytes(tb, sizeof tb, tol, false);
  memgate__bytes(ptb, sizeof ptb, ptol, false);
  snprintf(cell[0], CELL_CAP, "%s", e->scope);
  snprintf(cell[1], CELL_CAP, "%s", e->platform);
  snprintf(cell[2], CELL_CAP, "%s", e->kind == MemgateKindRepeat ? "repeat" : e->kind == MemgateKindScope ? "scope" : "-");
  snprintf(cell[3], CELL_CAP, "%u", (unsigned)e->iterations);
  snprintf(cell[4], CELL_CAP, "%s", r);
  snprintf(cell[5], CELL_CAP, "%s or %d%%", tb, (int)pct);
  snprintf(cell[6], CELL_CAP, "%s", p);
  snprintf(cell[7], CELL_CAP, "%s or %d%%", ptb, (int)ppct);
  snprintf(cell[8], CELL_CAP, "%s", e->note ? e->note : "");
}

/* One pass over the matching entries: widens w (print false) or prints
 * the rows (print true). How many entries match. */
static size_t show_pass(const memgate__bl_set *set, char **filters, int nf, int *w, bool print) {
  char cell[NCOL][CELL_CAP];
  size_t shown = 0;
  for (size_t f = 0; f < set->count; f++) {
    const memgate__bl_file *bf = &set->files[f].file;
    for (size_t k = 0; k < bf->count; k++) {
      if (!matches(bf->entries[k].scope, filters, nf)) continue;
      const char *row[NCOL];
      entry_cells(&bf->entries[k], cell);
      shown++;
      for (int c = 0; c < NCOL; c++) {
        row[c] = cell[c];
        if (!print && width(cell[c]) > w[c]) w[c] = width(cell[c]);
      }
      if (print) print_row(row, w, k_right, false);
    }
  }
  return shown;
}

int tool_cmd_show(int argc, char **argv) {
  static const char *const head[NCOL] = {"SCOPE", "PLATFORM", "KIND", "ITER", "RETAINED", "TOLERANCE", "PEAK", "PEAK TOLERANCE", "NOTE"};
  const char *dir = NULL;
  memgate__bl_set set;
  int w[NCOL];
  const tool_option opts[] = {
      OPT_STRING(0, "baselines", &dir, "DIR", "baseline directory (default: $MEMGATE_BASELINES or ./baselines)"),
      OPT_END()};
  const tool_usage u = {"show", "memgate show [--baselines DIR] [SCOPE...]", k_about, k_after, 0, opts};
  int nf = tool_parse_options(&u, argc, argv);
  if (nf < 0) return tool_parse_exit(nf);
  int status = tool_load_baselines(&set, dir);
  if (!set.dir) return status ? status : TOOL_EXIT_USAGE; /* the directory itself could not be read */
  for (int c = 0; c < NCOL; c++) w[c] = width(head[c]);
  if (show_pass(&set, argv, nf, w, false) > 0) {
    print_row(head, w, k_right, tool_color_ok(stdout));
    show_pass(&set, argv, nf, w, true);
  } else {
    printf("no baselines%s in %s\n", nf ? " for the scopes given" : "", set.dir);
  }
  memgate__bl_set_free(&set);
  return status;
}
