/*
 * Output formats for a tool_report: plain text (logs), a compact table
 * (terminals), GitHub workflow annotations, JUnit XML and a Markdown step
 * summary.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD "\033[1m"
#define C_OFF "\033[0m"

bool tool_format_parse(const char *s, tool_format *out) {
  if (strcmp(s, "text") == 0) *out = TOOL_FORMAT_TEXT;
  else if (strcmp(s, "table") == 0) *out = TOOL_FORMAT_TABLE;
  else if (strcmp(s, "github") == 0) *out = TOOL_FORMAT_GITHUB;
  else return false;
  return true;
}

static const char *status_upper(const tool_eval *e) {
  if (e->verdict == MemgateVerdictPass) return e->improved ? "IMPROVED" : "PASS";
  if (e->verdict == MemgateVerdictLeak) return "LEAK";
  if (e->verdict == MemgateVerdictRegression) return "REGRESSION";
  return "ERROR";
}

static const char *status_color(const tool_eval *e) {
  if (e->verdict == MemgateVerdictPass) return e->improved ? C_YELLOW : C_GREEN;
  return C_RED;
}

/* s for a terminal line (memgate__esc_term): never a line break or an
 * escape sequence. */
static const char *term(char *buf, size_t cap, const char *s) {
  memgate__esc_str(buf, cap, memgate__esc_term, s);
  return buf;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static void runs_note(char *buf, size_t cap, const tool_group *g) {
  if (g->runs > 1)
    snprintf(buf, cap, " (%zu runs, %zu failed)", g->runs, g->failed);
  else
    buf[0] = '\0';
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

static void summary_line(const tool_report *rep, const tool_output *o, FILE *out, bool color) {
  size_t failed = rep->leaks + rep->regressions + rep->errors;
  char dir[4096];
  fprintf(out,
          "%s: %zu scope%s from %zu result%s: %zu passed, %zu leak%s, %zu regression%s, %zu "
          "error%s (%zu without a baseline, %zu improved; baseline directory %s): %s%s%s\n",
          o->title ? o->title : "memgate", rep->ngroup, plural(rep->ngroup), rep->neval, plural(rep->neval),
          rep->passed, rep->leaks, plural(rep->leaks), rep->regressions, plural(rep->regressions), rep->errors,
          plural(rep->errors), rep->no_baseline, rep->improved, term(dir, sizeof dir, rep->baselines_dir),
          color ? (failed ? C_RED C_BOLD : C_GREEN C_BOLD) : "", failed ? "FAIL" : "OK", color ? C_OFF : "");
}

/* The baseline entries no result produced: one line each, then a summary
 * line (printed only when there are any). */
static void obsolete_lines(const tool_report *rep, const tool_output *o, FILE *out) {
  char name[1100], dir[4096];
  if (rep->nobsolete == 0) return;
  for (size_t i = 0; i < rep->nobsolete; i++)
    fprintf(out, "OBSOLETE   %s [%s] %s/%s: no result produced this baseline entry\n",
            term(name, sizeof name, rep->obsolete[i]->scope), rep->obsolete[i]->platform,
            term(dir, sizeof dir, rep->baselines_dir), rep->obsolete_file[i]);
  fprintf(out, "%s: %zu baseline entr%s no run produced (obsolete)%s; remove with memgate update --prune "
               "RESULTS...\n",
          o->title ? o->title : "memgate", rep->nobsolete, rep->nobsolete == 1 ? "y" : "ies",
          o->fail_on_obsolete ? ": FAIL (--fail-on-obsolete)" : "");
}

/* Room for one escaped field of a text line (a path of 1023 bytes shown
 * with \xNN escapes, a 1 KiB message). */
#define TERM_CAP 4200

static void write_text(const tool_report *rep, const tool_output *o, FILE *out) {
  char msg[TERM_CAP], name[TERM_CAP], file[TERM_CAP], runs[64], ret[32];
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_group *g = &rep->groups[i];
    const tool_eval *e = g->shown;
    const tool_result *r = e->result;
    runs_note(runs, sizeof runs, g);
    memgate__bytes(ret, sizeof ret, r->retained_bytes, true);
    term(name, sizeof name, r->name);
    term(file, sizeof file, r->file);
    term(msg, sizeof msg, e->message);
    /* A leak leads with the figure that fired (its message's first: the
     * heap's growth per iteration when only the allocator view grew), not
     * with a retained footprint that may be +0 B. */
    if (r->measured_verdict == MemgateVerdictLeak)
      fprintf(out, "%-10s %s [%s] %s:%d:%s %s\n", status_upper(e), name, r->platform, file, r->line, runs,
              msg);
    else
      fprintf(out, "%-10s %s [%s] %s:%d: retained %s%s: %s\n", status_upper(e), name, r->platform, file,
              r->line, ret, runs, msg);
  }
  summary_line(rep, o, out, false);
  obsolete_lines(rep, o, out);
}

/* ------------------------------------------------------------------------
 * One row per scope: the cells the table and the Markdown summary show
 * ------------------------------------------------------------------------ */

enum { NCOL = 8, CELL_CAP = 1100 };
static const char *const col_head[NCOL] = {"STATUS", "SCOPE", "PLATFORM", "RETAINED", "EXPECTED", "ALLOWED",
                                           "PEAK", "WHERE"};
static const char *const col_md_head[NCOL] = {"Status", "Scope", "Platform", "Retained", "Expected", "Allowed",
                                              "Peak", "Where"};
static const bool col_right[NCOL] = {false, false, false, true, true, true, true, false};

typedef struct row {
  char cell[NCOL][CELL_CAP];
} row;

/* Fills the cells of g's row; names and paths escaped with esc. */
static void row_fill(row *w, const tool_group *g, memgate__esc_fn esc) {
  const tool_eval *e = g->shown;
  const tool_result *r = e->result;
  bool cmp = e->has_baseline;
  snprintf(w->cell[0], CELL_CAP, "%s", tool_eval_status(e));
  memgate__esc_str(w->cell[1], CELL_CAP, esc, r->name);
  memgate__esc_str(w->cell[2], CELL_CAP, esc, r->platform);
  memgate__bytes(w->cell[3], CELL_CAP, r->retained_bytes, true);
  snprintf(w->cell[4], CELL_CAP, "-");
  snprintf(w->cell[5], CELL_CAP, "-");
  snprintf(w->cell[6], CELL_CAP, "-");
  if (cmp) {
    memgate__bytes(w->cell[4], CELL_CAP, e->j.cmp.expected, false);
    memgate__bytes(w->cell[5], CELL_CAP, e->j.cmp.allowed, false);
  }
  if (r->has_peak) memgate__bytes(w->cell[6], CELL_CAP, r->peak_bytes, false);
  size_t n = memgate__esc_str(w->cell[7], CELL_CAP - 32, esc, base_name(r->file));
  snprintf(w->cell[7] + n, CELL_CAP - n, ":%d", r->line);
}

/* ------------------------------------------------------------------------
 * Table (terminals)
 * ------------------------------------------------------------------------ */

/* Display width of a UTF-8 string (code points; good enough for names). */
static int width_of(const char *s) {
  int w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) w++;
  return w;
}

static void pad(FILE *out, const char *s, int w, bool right) {
  int n = w - width_of(s);
  if (right)
    for (int i = 0; i < n; i++) fputc(' ', out);
  fputs(s, out);
  if (!right)
    for (int i = 0; i < n; i++) fputc(' ', out);
}

static void table_row(FILE *out, const char *const cell[NCOL], const int w[NCOL], const char *color, bool bold) {
  for (int c = 0; c < NCOL; c++) {
    const char *on = bold ? C_BOLD : c == 0 ? color : NULL;
    if (on) fputs(on, out);
    pad(out, cell[c], c + 1 == NCOL ? 0 : w[c], col_right[c]);
    if (on) fputs(C_OFF, out);
    fputs(c + 1 == NCOL ? "\n" : "  ", out);
  }
}

/* g's row for the table: term-escaped, "(several runs)" after its place. */
static void table_fill(row *w, const tool_group *g) {
  row_fill(w, g, memgate__esc_term);
  if (g->runs > 1) {
    size_t n = strlen(w->cell[7]);
    snprintf(w->cell[7] + n, CELL_CAP - n, " (several runs)");
  }
}

static void table_widths(const tool_report *rep, row *w, int width[NCOL]) {
  for (int c = 0; c < NCOL; c++) width[c] = width_of(col_head[c]);
  for (size_t i = 0; i < rep->ngroup; i++) {
    table_fill(w, &rep->groups[i]);
    for (int c = 0; c < NCOL; c++) {
      int cw = width_of(w->cell[c]);
      if (cw > width[c]) width[c] = cw;
    }
  }
}

/* What each failure (and improvement) says, in full. */
static void table_messages(const tool_report *rep, const tool_output *o, FILE *out) {
  bool any = false;
  char msg[TERM_CAP], name[TERM_CAP], file[TERM_CAP];
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    if (e->verdict == MemgateVerdictPass && !e->improved) continue;
    if (!any) fputc('\n', out);
    any = true;
    fprintf(out, "%s%s%s %s: %s:%d: %s\n", o->color ? status_color(e) : "", status_upper(e),
            o->color ? C_OFF : "", term(name, sizeof name, e->result->name),
            term(file, sizeof file, e->result->file), e->result->line, term(msg, sizeof msg, e->message));
  }
}

static void write_table(const tool_report *rep, const tool_output *o, FILE *out) {
  row *w = malloc(sizeof *w);
  int width[NCOL];
  const char *cell[NCOL];
  if (!w) {
    write_text(rep, o, out); /* no room for the table: the plain lines */
    return;
  }
  table_widths(rep, w, width);
  table_row(out, col_head, width, NULL, o->color);
  for (int c = 0; c < NCOL; c++) cell[c] = w->cell[c];
  for (size_t i = 0; i < rep->ngroup; i++) {
    table_fill(w, &rep->groups[i]);
    table_row(out, cell, width, o->color ? status_color(rep->groups[i].shown) : NULL, false);
  }
  free(w);
  table_messages(rep, o, out);
  fputc('\n', out);
  summary_line(rep, o, out, o->color);
  obsolete_lines(rep, o, out);
}

/* ------------------------------------------------------------------------
 * GitHub annotations
 * ------------------------------------------------------------------------ */

/* The file as GitHub knows it: relative to $GITHUB_WORKSPACE. A relative
 * __FILE__ is relative to where the build ran, which is where the tests
 * and this command run (memgate run): it is rebased onto the workspace
 * through the current directory (realpath when the file exists), so a
 * build in a subdirectory still annotates the right file. */
static const char *gh_path(const char *file, char *buf, size_t cap) {
  const char *ws = getenv("GITHUB_WORKSPACE");
  char abs[PATH_MAX], cwd[PATH_MAX];
  size_t n = ws ? strlen(ws) : 0;
  while (n > 1 && ws[n - 1] == '/') n--;
  if (strncmp(file, "./", 2) == 0) file += 2;
  if (!n) return file;
  const char *p = file;
  if (file[0] != '/') {
    if (realpath(file, abs)) p = abs;
    else if (getcwd(cwd, sizeof cwd) && (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, file) < sizeof abs) p = abs;
  }
  if (strncmp(p, ws, n) != 0 || p[n] != '/') return file;
  snprintf(buf, cap, "%s", p + n + 1);
  return buf;
}

static void write_github(const tool_report *rep, FILE *out) {
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    const tool_result *r = e->result;
    const char *level = e->verdict != MemgateVerdictPass ? "error" : e->improved ? "notice" : NULL;
    char path[PATH_MAX];
    if (!level) continue;
    memgate__buf b;
    memset(&b, 0, sizeof b);
    memgate__buf_printf(&b, "::%s file=", level);
    memgate__buf_esc(&b, memgate__esc_gh_prop, gh_path(r->file, path, sizeof path));
    memgate__buf_printf(&b, ",line=%d,title=memgate ", r->line > 0 ? r->line : 1);
    memgate__buf_esc(&b, memgate__esc_gh_prop, r->name);
    memgate__buf_esc(&b, memgate__esc_gh_prop, ": ");
    memgate__buf_esc(&b, memgate__esc_gh_prop, tool_eval_status(e));
    memgate__buf_puts(&b, "::");
    memgate__buf_esc(&b, memgate__esc_gh_data, e->message);
    if (!b.oom) fprintf(out, "%s\n", b.p);
    memgate__buf_free(&b);
  }
}

/* ------------------------------------------------------------------------
 * JUnit XML
 * ------------------------------------------------------------------------ */

static void xml(memgate__buf *b, const char *s) { memgate__buf_esc(b, memgate__esc_xml, s); }

/* The <failure> or <error> element of a result that did not pass. */
static void junit_failure(memgate__buf *b, const tool_group *g) {
  const tool_eval *e = g->shown;
  const tool_result *r = e->result;
  const char *tag = e->verdict == MemgateVerdictError ? "error" : "failure";
  char ret[32];
  memgate__buf_printf(b, "      <%s type=\"%s\" message=\"", tag, tool_eval_status(e));
  xml(b, e->message);
  memgate__buf_puts(b, "\">");
  xml(b, r->file);
  memgate__buf_printf(b, ":%d: %s: ", r->line, memgate_verdict_name(e->verdict));
  xml(b, e->message);
  memgate__bytes(ret, sizeof ret, r->retained_bytes, true);
  memgate__buf_printf(b, "&#10;retained %s (%lld bytes)", ret, (long long)r->retained_bytes);
  if (r->has_peak) memgate__buf_printf(b, ", peak %lld bytes", (long long)r->peak_bytes);
  if (g->runs > 1) memgate__buf_printf(b, "; %zu runs, %zu failed", g->runs, g->failed);
  memgate__buf_puts(b, "&#10;results: ");
  xml(b, r->source);
  memgate__buf_printf(b, " line %u</%s>\n", (unsigned)r->source_line, tag);
}

static void junit_case(memgate__buf *b, const tool_group *g) {
  const tool_eval *e = g->shown;
  const tool_result *r = e->result;
  memgate__buf_puts(b, "    <testcase classname=\"memgate.");
  xml(b, r->platform);
  memgate__buf_puts(b, "\" name=\"");
  xml(b, r->name);
  memgate__buf_puts(b, "\" file=\"");
  xml(b, r->file);
  memgate__buf_printf(b, "\" line=\"%d\" time=\"%.6f\">\n", r->line, (double)r->elapsed_ns / 1e9);
  if (e->verdict != MemgateVerdictPass) {
    junit_failure(b, g);
  } else {
    memgate__buf_puts(b, "      <system-out>");
    xml(b, e->message);
    memgate__buf_puts(b, "</system-out>\n");
  }
  memgate__buf_puts(b, "    </testcase>\n");
}

/* Writes b to path (atomically, or appended); frees b. 0, or 2 with the
 * message printed. */
static int flush_file(memgate__buf *b, const char *path, bool append) {
  char err[1024];
  int rc = 0;
  if (b->oom) {
    tool_err("%s: out of memory", path);
    rc = TOOL_EXIT_USAGE;
  } else if ((append ? tool_append_file(path, b->p, b->len, err, sizeof err)
                     : tool_write_file_atomic(path, b->p, b->len, err, sizeof err)) != 0) {
    tool_err("%s", err);
    rc = TOOL_EXIT_USAGE;
  }
  memgate__buf_free(b);
  return rc;
}

static int write_junit(const tool_report *rep, const char *path) {
  memgate__buf b;
  size_t failures = rep->leaks + rep->regressions, errors = rep->errors;
  double total = 0;
  memset(&b, 0, sizeof b);
  for (size_t i = 0; i < rep->ngroup; i++) total += (double)rep->groups[i].shown->result->elapsed_ns / 1e9;
  memgate__buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  memgate__buf_printf(&b, "<testsuites name=\"memgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.6f\">\n",
                      rep->ngroup, failures, errors, total);
  memgate__buf_printf(&b, "  <testsuite name=\"memgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.6f\">\n",
                      rep->ngroup, failures, errors, total);
  for (size_t i = 0; i < rep->ngroup; i++) junit_case(&b, &rep->groups[i]);
  memgate__buf_puts(&b, "  </testsuite>\n</testsuites>\n");
  return flush_file(&b, path, false);
}

/* ------------------------------------------------------------------------
 * Markdown step summary
 * ------------------------------------------------------------------------ */

static void md_table(memgate__buf *b, const tool_report *rep, row *w) {
  for (int c = 0; c < NCOL; c++) memgate__buf_printf(b, "| %s ", col_md_head[c]);
  memgate__buf_puts(b, "|\n");
  for (int c = 0; c < NCOL; c++) memgate__buf_puts(b, col_right[c] ? "|--:" : "|---");
  memgate__buf_puts(b, "|\n");
  for (size_t i = 0; i < rep->ngroup; i++) {
    const char *bold = rep->groups[i].shown->verdict != MemgateVerdictPass ? "**" : "";
    row_fill(w, &rep->groups[i], memgate__esc_md);
    memgate__buf_printf(b, "| %s%s%s ", bold, w->cell[0], bold);
    for (int c = 1; c < NCOL; c++) memgate__buf_printf(b, "| %s ", w->cell[c]);
    memgate__buf_puts(b, "|\n");
  }
}

static void md_messages(memgate__buf *b, const tool_report *rep) {
  bool any = false;
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    if (e->verdict == MemgateVerdictPass && !e->improved) continue;
    if (!any) memgate__buf_puts(b, "\n");
    any = true;
    memgate__buf_printf(b, "- **%s** ", tool_eval_status(e));
    memgate__buf_esc(b, memgate__esc_md, e->result->name);
    memgate__buf_puts(b, ": ");
    memgate__buf_esc(b, memgate__esc_md, e->message);
    memgate__buf_puts(b, "\n");
  }
}

static int write_markdown(const tool_report *rep, const tool_output *o, const char *path) {
  memgate__buf b;
  size_t failed = rep->leaks + rep->regressions + rep->errors;
  row *w = malloc(sizeof *w);
  memset(&b, 0, sizeof b);
  if (!w) b.oom = true;
  memgate__buf_printf(&b, "### %s: %s\n\n", o->title ? o->title : "memgate", failed ? "FAIL" : "OK");
  memgate__buf_printf(&b, "%zu of %zu scopes failed (%zu leak%s, %zu regression%s, %zu error%s); %zu without a baseline, %zu improved.\n\n",
                      failed, rep->ngroup, rep->leaks, plural(rep->leaks), rep->regressions,
                      plural(rep->regressions), rep->errors, plural(rep->errors), rep->no_baseline, rep->improved);
  if (w) md_table(&b, rep, w);
  free(w);
  md_messages(&b, rep);
  memgate__buf_puts(&b, "\n");
  return flush_file(&b, path, true);
}

int tool_output_write(const tool_report *rep, const tool_output *o, FILE *out) {
  int status = 0;
  switch (o->format) {
  case TOOL_FORMAT_TABLE: write_table(rep, o, out); break;
  case TOOL_FORMAT_GITHUB:
    write_text(rep, o, out);
    write_github(rep, out);
    break;
  case TOOL_FORMAT_AUTO:
  case TOOL_FORMAT_TEXT: write_text(rep, o, out); break;
  }
  fflush(out);
  if (o->junit && write_junit(rep, o->junit)) status = TOOL_EXIT_USAGE;
  if (o->step_summary && *o->step_summary && write_markdown(rep, o, o->step_summary))
    status = TOOL_EXIT_USAGE;
  return status;
}
