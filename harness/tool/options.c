/*
 * Options of the memgate subcommands: one table per command is both the
 * parser and the `--help` text (after tools/lib/subcmd/parse-options.h in
 * the Linux tree), so the two cannot drift apart.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <string.h>

/* Longest "-x, --name ARG" column printed before the help text. */
#define OPT_COLUMN_MAX 40

/* The entry whose long name a ("--name" or "--name=VALUE") or short name
 * ("-x") spells, or NULL. */
static const tool_option *opt_find(const tool_option *opts, const char *a) {
  for (const tool_option *o = opts; o->type != TOOL_OPT_END; o++) {
    if (a[1] != '-') {
      if (o->short_name && a[1] == o->short_name && a[2] == '\0') return o;
      continue;
    }
    size_t n = strlen(o->long_name);
    if (strncmp(a + 2, o->long_name, n) == 0 && (a[2 + n] == '\0' || a[2 + n] == '=')) return o;
  }
  return NULL;
}

/* The value of a value option at argv[*i] (advancing *i past it), or NULL
 * with the message printed. */
static const char *opt_value(const tool_usage *u, const tool_option *o, int argc, char **argv, int *i) {
  const char *eq = strchr(argv[*i], '=');
  if (argv[*i][1] == '-' && eq) return eq + 1;
  if (*i + 1 >= argc) {
    tool_err("%s: --%s needs a value", u->cmd, o->long_name);
    return NULL;
  }
  return argv[++*i];
}

/* Applies the option at argv[*i]: 0, or TOOL_PARSE_ERROR (message printed). */
static int opt_apply(const tool_usage *u, const tool_option *o, int argc, char **argv, int *i) {
  const char *v;
  if (o->type == TOOL_OPT_BOOL) {
    if (argv[*i][1] == '-' && strchr(argv[*i], '=')) {
      tool_err("%s: --%s takes no value (see memgate %s --help)", u->cmd, o->long_name, u->cmd);
      return TOOL_PARSE_ERROR;
    }
    *(bool *)o->value = true;
    return 0;
  }
  if (!(v = opt_value(u, o, argc, argv, i))) return TOOL_PARSE_ERROR;
  if (o->type == TOOL_OPT_STRING) {
    *(const char **)o->value = v;
    return 0;
  }
  return o->cb(o->value, v) == 0 ? 0 : TOOL_PARSE_ERROR;
}

/* One argument that starts with '-': help, a known option, or an error. */
static int opt_one(const tool_usage *u, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  if (tool_is_help(a)) {
    tool_usage_print(u, stdout);
    return TOOL_PARSE_HELP;
  }
  const tool_option *o = opt_find(u->opts, a);
  if (!o) {
    tool_err("%s: unknown option %s (see memgate %s --help)", u->cmd, a, u->cmd);
    return TOOL_PARSE_ERROR;
  }
  return opt_apply(u, o, argc, argv, i);
}

int tool_parse_options(const tool_usage *u, int argc, char **argv) {
  int npos = 0, i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') {
      if (u->flags & TOOL_PARSE_STOP_AT_NON_OPTION) break;
      argv[npos++] = argv[i];
      continue;
    }
    int rc = opt_one(u, argc, argv, &i);
    if (rc) return rc;
  }
  while (i < argc) argv[npos++] = argv[i++];
  if ((u->flags & TOOL_PARSE_NO_ARGS) && npos > 0) {
    tool_err("%s: unknown argument '%s' (see memgate %s --help)", u->cmd, argv[0], u->cmd);
    return TOOL_PARSE_ERROR;
  }
  return npos;
}

int tool_parse_exit(int rc) { return rc == TOOL_PARSE_HELP ? TOOL_EXIT_OK : TOOL_EXIT_USAGE; }

/* "-x, --name ARG" into buf; its length. */
static int opt_left(const tool_option *o, char *buf, size_t cap) {
  char sh[8] = "";
  if (o->short_name) snprintf(sh, sizeof sh, "-%c, ", o->short_name);
  return snprintf(buf, cap, "%s--%s%s%s", sh, o->long_name, o->argh ? " " : "", o->argh ? o->argh : "");
}

/* One option row: the left column padded to width w, then the help text,
 * whose further lines (after '\n') are indented to the same column. */
static void opt_row(FILE *f, const char *left, const char *help, int w) {
  fprintf(f, "  %-*s  ", w, left);
  for (const char *s = help; *s; s++) {
    fputc(*s, f);
    if (*s == '\n') fprintf(f, "  %-*s  ", w, "");
  }
  fputc('\n', f);
}

void tool_usage_print(const tool_usage *u, FILE *f) {
  static const tool_option help = OPT_BOOL('h', "help", NULL, "this help");
  char left[OPT_COLUMN_MAX + 64];
  int w = opt_left(&help, left, sizeof left);
  for (const tool_option *o = u->opts; o->type != TOOL_OPT_END; o++) {
    int n = opt_left(o, left, sizeof left);
    if (n > w && n <= OPT_COLUMN_MAX) w = n;
  }
  fprintf(f, "usage: %s\n", u->synopsis);
  if (u->about) fprintf(f, "\n%s", u->about);
  fputs("\noptions:\n", f);
  for (const tool_option *o = u->opts; o->type != TOOL_OPT_END; o++) {
    opt_left(o, left, sizeof left);
    opt_row(f, left, o->help, w);
  }
  opt_left(&help, left, sizeof left);
  opt_row(f, left, help.help, w);
  if (u->after) fputs(u->after, f);
}
