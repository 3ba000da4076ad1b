/*
 * Output formats for a tool_report: plain text (logs), a compact table
 * (terminals), GitHub workflow annotations, JUnit XML and a Markdown step
 * summary.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>

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

/* Copies s into buf with control characters replaced by spaces. */
static const char *one_line(char *buf, size_t cap, const char *s) {
  size_t i = 0;
  for (; s && *s && i + 1 < cap; s++) buf[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
  buf[i] = '\0';
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

static void summary_line(const tool_report *rep, const tool_output *o, FILE *out, bool color) {
  size_t failed = rep->leaks + rep->regressions + rep->errors;
  fprintf(out,
          "%s: %zu scope%s from %zu result%s: %zu passed, %zu leak%s, %zu regression%s, %zu "
          "error%s (%zu without a baseline, %zu improved; baseline directory %s): %s%s%s\n",
          o->title ? o->title : "memgate", rep->ngroup, rep->ngroup == 1 ? "" : "s", rep->neval,
          rep->neval == 1 ? "" : "s", rep->passed, rep->leaks, rep->leaks == 1 ? "" : "s",
          rep->regressions, rep->regressions == 1 ? "" : "s", rep->errors,
          rep->errors == 1 ? "" : "s", rep->no_baseline, rep->improved, rep->baselines_dir,
          color ? (failed ? C_RED C_BOLD : C_GREEN C_BOLD) : "", failed ? "FAIL" : "OK",
          color ? C_OFF : "");
}

static void write_text(const tool_report *rep, const tool_output *o, FILE *out) {
  char msg[2048], runs[64], ret[32];
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_group *g = &rep->groups[i];
    const tool_eval *e = g->shown;
    const tool_result *r = e->result;
    runs_note(runs, sizeof runs, g);
    memgate__bytes(ret, sizeof ret, r->retained_bytes, true);
    fprintf(out, "%-10s %s [%s] %s:%d: retained %s%s: %s\n", status_upper(e), r->name, r->platform,
            r->file, r->line, ret, runs, one_line(msg, sizeof msg, e->message));
  }
  summary_line(rep, o, out, false);
}

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

static void write_table(const tool_report *rep, const tool_output *o, FILE *out) {
  enum { NCOL = 8 };
  static const char *const head[NCOL] = {"STATUS", "SCOPE", "PLATFORM", "RETAINED", "EXPECTED", "ALLOWED", "PEAK", "WHERE"};
  static const bool right[NCOL] = {false, false, false, true, true, true, true, false};
  int w[NCOL];
  char cell[NCOL][160];
  for (int c = 0; c < NCOL; c++) w[c] = width_of(head[c]);
  /* Two passes: widths, then rows. */
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      for (int c = 0; c < NCOL; c++) {
        if (o->color) fputs(C_BOLD, out);
        pad(out, head[c], c + 1 == NCOL ? 0 : w[c], right[c]);
        if (o->color) fputs(C_OFF, out);
        fputs(c + 1 == NCOL ? "\n" : "  ", out);
      }
    }
    for (size_t i = 0; i < rep->ngroup; i++) {
      const tool_group *g = &rep->groups[i];
      const tool_eval *e = g->shown;
      const tool_result *r = e->result;
      bool cmp = e->judged && e->j.entry && e->j.status == MEMGATE__BL_COMPARED;
      snprintf(cell[0], sizeof cell[0], "%s", tool_eval_status(e));
      snprintf(cell[1], sizeof cell[1], "%s", r->name);
      snprintf(cell[2], sizeof cell[2], "%s", r->platform);
      memgate__bytes(cell[3], sizeof cell[3], r->retained_bytes, true);
      if (cmp) {
        memgate__bytes(cell[4], sizeof cell[4], e->j.cmp.expected, false);
        memgate__bytes(cell[5], sizeof cell[5], e->j.cmp.allowed, false);
      } else {
        snprintf(cell[4], sizeof cell[4], "-");
        snprintf(cell[5], sizeof cell[5], "-");
      }
      if (r->has_peak) memgate__bytes(cell[6], sizeof cell[6], r->peak_bytes, false);
      else snprintf(cell[6], sizeof cell[6], "-");
      snprintf(cell[7], sizeof cell[7], "%s:%d%s", base_name(r->file), r->line,
               g->runs > 1 ? " (several runs)" : "");
      for (int c = 0; c < NCOL; c++) {
        if (pass == 0) {
          int cw = width_of(cell[c]);
          if (cw > w[c]) w[c] = cw;
          continue;
        }
        if (c == 0 && o->color) fputs(status_color(e), out);
        pad(out, cell[c], c + 1 == NCOL ? 0 : w[c], right[c]);
        if (c == 0 && o->color) fputs(C_OFF, out);
        fputs(c + 1 == NCOL ? "\n" : "  ", out);
      }
    }
  }
  /* What each failure (and improvement) says, in full. */
  bool any = false;
  char msg[2048];
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    if (e->verdict == MemgateVerdictPass && !e->improved) continue;
    if (!any) fputc('\n', out);
    any = true;
    fprintf(out, "%s%s%s %s: %s:%d: %s\n", o->color ? status_color(e) : "", status_upper(e),
            o->color ? C_OFF : "", e->result->name, e->result->file, e->result->line,
            one_line(msg, sizeof msg, e->message));
  }
  fputc('\n', out);
  summary_line(rep, o, out, o->color);
}

/* ------------------------------------------------------------------------
 * GitHub annotations
 * ------------------------------------------------------------------------ */

/* Escapes for a workflow command: data (%, CR, LF), and also ':' and ','
 * in properties. */
static void gh_escape(memgate__buf *b, const char *s, bool property) {
  for (; s && *s; s++) {
    switch (*s) {
    case '%': memgate__buf_puts(b, "%25"); break;
    case '\r': memgate__buf_puts(b, "%0D"); break;
    case '\n': memgate__buf_puts(b, "%0A"); break;
    case ':':
      if (property) memgate__buf_puts(b, "%3A");
      else memgate__buf_put(b, s, 1);
      break;
    case ',':
      if (property) memgate__buf_puts(b, "%2C");
      else memgate__buf_put(b, s, 1);
      break;
    default: memgate__buf_put(b, s, 1);
    }
  }
}

/* The file as GitHub knows it: relative to $GITHUB_WORKSPACE when under it. */
static const char *gh_path(const char *file) {
  const char *ws = getenv("GITHUB_WORKSPACE");
  size_t n = ws ? strlen(ws) : 0;
  if (n && strncmp(file, ws, n) == 0 && file[n] == '/') return file + n + 1;
  if (strncmp(file, "./", 2) == 0) return file + 2;
  return file;
}

static void write_github(const tool_report *rep, FILE *out) {
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    const tool_result *r = e->result;
    const char *level = e->verdict != MemgateVerdictPass ? "error" : e->improved ? "notice" : NULL;
    if (!level) continue;
    memgate__buf b;
    char title[400];
    memset(&b, 0, sizeof b);
    snprintf(title, sizeof title, "memgate %s: %s", r->name, tool_eval_status(e));
    memgate__buf_printf(&b, "::%s file=", level);
    gh_escape(&b, gh_path(r->file), true);
    memgate__buf_printf(&b, ",line=%d,title=", r->line > 0 ? r->line : 1);
    gh_escape(&b, title, true);
    memgate__buf_puts(&b, "::");
    gh_escape(&b, e->message, false);
    if (!b.oom) fprintf(out, "%s\n", b.p);
    memgate__buf_free(&b);
  }
}

/* ------------------------------------------------------------------------
 * JUnit XML
 * ------------------------------------------------------------------------ */

/* Length of the UTF-8 sequence at s and its code point (0 on bad input). */
static size_t utf8_decode(const unsigned char *s, unsigned *cp) {
  unsigned c = s[0];
  size_t n;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) n = 2, *cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, *cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, *cp = c & 0x07;
  else return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (s[i] & 0x3Fu);
  }
  return n;
}

/* XML text or attribute value: escapes markup, replaces characters XML 1.0
 * does not allow (and invalid UTF-8) with U+FFFD. */
static void xml_escape(memgate__buf *b, const char *s) {
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  while (*u) {
    unsigned cp;
    size_t n = utf8_decode(u, &cp);
    if (n == 0) {
      memgate__buf_puts(b, "\xEF\xBF\xBD");
      u++;
      continue;
    }
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) memgate__buf_puts(b, "\xEF\xBF\xBD");
    else if (cp == '&') memgate__buf_puts(b, "&amp;");
    else if (cp == '<') memgate__buf_puts(b, "&lt;");
    else if (cp == '>') memgate__buf_puts(b, "&gt;");
    else if (cp == '"') memgate__buf_puts(b, "&quot;");
    else if (cp == '\'') memgate__buf_puts(b, "&apos;");
    else if (cp == '\n') memgate__buf_puts(b, "&#10;");
    else if (cp == '\r') memgate__buf_puts(b, "&#13;");
    else if (cp == '\t') memgate__buf_puts(b, "&#9;");
    else memgate__buf_put(b, (const char *)u, n);
    u += n;
  }
}

static int write_junit(const tool_report *rep, const char *path) {
  memgate__buf b;
  size_t failures = rep->leaks + rep->regressions, errors = rep->errors;
  double total = 0;
  char err[1024];
  memset(&b, 0, sizeof b);
  for (size_t i = 0; i < rep->ngroup; i++) total += (double)rep->groups[i].shown->result->elapsed_ns / 1e9;
  memgate__buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  memgate__buf_printf(&b, "<testsuites name=\"memgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.6f\">\n",
                  rep->ngroup, failures, errors, total);
  memgate__buf_printf(&b, "  <testsuite name=\"memgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.6f\">\n",
                  rep->ngroup, failures, errors, total);
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_group *g = &rep->groups[i];
    const tool_eval *e = g->shown;
    const tool_result *r = e->result;
    char cls[128];
    snprintf(cls, sizeof cls, "memgate.%s", r->platform);
    memgate__buf_puts(&b, "    <testcase classname=\"");
    xml_escape(&b, cls);
    memgate__buf_puts(&b, "\" name=\"");
    xml_escape(&b, r->name);
    memgate__buf_puts(&b, "\" file=\"");
    xml_escape(&b, r->file);
    memgate__buf_printf(&b, "\" line=\"%d\" time=\"%.6f\">\n", r->line, (double)r->elapsed_ns / 1e9);
    if (e->verdict != MemgateVerdictPass) {
      const char *tag = e->verdict == MemgateVerdictError ? "error" : "failure";
      memgate__buf_printf(&b, "      <%s type=\"%s\" message=\"", tag, tool_eval_status(e));
      xml_escape(&b, e->message);
      memgate__buf_puts(&b, "\">");
      char ret[32];
      memgate__bytes(ret, sizeof ret, r->retained_bytes, true);
      memgate__buf_printf(&b, "%s:%d: %s: ", r->file, r->line, memgate_verdict_name(e->verdict));
      xml_escape(&b, e->message);
      memgate__buf_printf(&b, "&#10;retained %s (%lld bytes)", ret, (long long)r->retained_bytes);
      if (r->has_peak) memgate__buf_printf(&b, ", peak %lld bytes", (long long)r->peak_bytes);
      if (g->runs > 1) memgate__buf_printf(&b, "; %zu runs, %zu failed", g->runs, g->failed);
      memgate__buf_printf(&b, "&#10;results: %s line %u</%s>\n", r->source, (unsigned)r->source_line, tag);
    } else {
      memgate__buf_puts(&b, "      <system-out>");
      xml_escape(&b, e->message);
      memgate__buf_puts(&b, "</system-out>\n");
    }
    memgate__buf_puts(&b, "    </testcase>\n");
  }
  memgate__buf_puts(&b, "  </testsuite>\n</testsuites>\n");
  if (b.oom) {
    tool_err("%s: out of memory", path);
    memgate__buf_free(&b);
    return TOOL_EXIT_USAGE;
  }
  int rc = tool_write_file_atomic(path, b.p, b.len, err, sizeof err);
  memgate__buf_free(&b);
  if (rc) {
    tool_err("%s", err);
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Markdown step summary
 * ------------------------------------------------------------------------ */

static void md_escape(memgate__buf *b, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '|' || c == '<' || c == '>' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '\\') {
      char e[2] = {'\\', (char)c};
      memgate__buf_put(b, e, 2);
    } else if (c < 0x20 || c == 0x7f) {
      memgate__buf_put(b, " ", 1);
    } else {
      memgate__buf_put(b, s, 1);
    }
  }
}

static int write_markdown(const tool_report *rep, const tool_output *o, const char *path) {
  memgate__buf b;
  char err[1024], v[32];
  size_t failed = rep->leaks + rep->regressions + rep->errors;
  memset(&b, 0, sizeof b);
  memgate__buf_printf(&b, "### %s: %s\n\n", o->title ? o->title : "memgate", failed ? "FAIL" : "OK");
  memgate__buf_printf(&b, "%zu of %zu scopes failed (%zu leak%s, %zu regression%s, %zu error%s); %zu without a baseline, %zu improved.\n\n",
                  failed, rep->ngroup, rep->leaks, rep->leaks == 1 ? "" : "s", rep->regressions,
                  rep->regressions == 1 ? "" : "s", rep->errors, rep->errors == 1 ? "" : "s",
                  rep->no_baseline, rep->improved);
  memgate__buf_puts(&b, "| Status | Scope | Platform | Retained | Expected | Allowed | Peak | Where |\n");
  memgate__buf_puts(&b, "|---|---|---|--:|--:|--:|--:|---|\n");
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    const tool_result *r = e->result;
    bool cmp = e->judged && e->j.entry && e->j.status == MEMGATE__BL_COMPARED;
    memgate__buf_printf(&b, "| %s%s%s | ", e->verdict != MemgateVerdictPass ? "**" : "",
                    tool_eval_status(e), e->verdict != MemgateVerdictPass ? "**" : "");
    md_escape(&b, r->name);
    memgate__buf_puts(&b, " | ");
    md_escape(&b, r->platform);
    memgate__bytes(v, sizeof v, r->retained_bytes, true);
    memgate__buf_printf(&b, " | %s | ", v);
    if (cmp) {
      memgate__bytes(v, sizeof v, e->j.cmp.expected, false);
      memgate__buf_printf(&b, "%s | ", v);
      memgate__bytes(v, sizeof v, e->j.cmp.allowed, false);
      memgate__buf_printf(&b, "%s | ", v);
    } else {
      memgate__buf_puts(&b, "- | - | ");
    }
    if (r->has_peak) memgate__bytes(v, sizeof v, r->peak_bytes, false);
    else snprintf(v, sizeof v, "-");
    memgate__buf_printf(&b, "%s | ", v);
    md_escape(&b, base_name(r->file));
    memgate__buf_printf(&b, ":%d |\n", r->line);
  }
  bool any = false;
  for (size_t i = 0; i < rep->ngroup; i++) {
    const tool_eval *e = rep->groups[i].shown;
    if (e->verdict == MemgateVerdictPass && !e->improved) continue;
    if (!any) memgate__buf_puts(&b, "\n");
    any = true;
    memgate__buf_printf(&b, "- **%s** ", tool_eval_status(e));
    md_escape(&b, e->result->name);
    memgate__buf_puts(&b, ": ");
    md_escape(&b, e->message);
    memgate__buf_puts(&b, "\n");
  }
  memgate__buf_puts(&b, "\n");
  if (b.oom) {
    memgate__buf_free(&b);
    tool_err("%s: out of memory", path);
    return TOOL_EXIT_USAGE;
  }
  int rc = tool_append_file(path, b.p, b.len, err, sizeof err);
  memgate__buf_free(&b);
  if (rc) {
    tool_err("%s", err);
    return TOOL_EXIT_USAGE;
  }
  return 0;
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
