/* memgate check RESULTS...: judge results files against the baselines. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
  fputs("usage: memgate check [options] RESULTS...\n"
        "\n"
        "Compares results files (the JSON lines memgate writes to $MEMGATE_RESULTS) with the\n"
        "baselines and prints one line per scope. Leaks and errors recorded by the measured\n"
        "process stand; everything else is judged again against the baselines at hand, so\n"
        "results from another machine (e.g. an iOS simulator) can be checked here.\n"
        "\n"
        "options:\n"
        "  --baselines DIR        baseline directory (default: $MEMGATE_BASELINES or ./baselines)\n"
        "  --junit FILE           also write JUnit XML: one testcase per scope\n"
        "  --format FORMAT        text (plain lines), table (compact, for terminals) or github\n"
        "                         (text plus ::error annotations); default: github when\n"
        "                         GITHUB_ACTIONS=true, table on a terminal, else text\n"
        "  --strict               a scope without a baseline fails (also MEMGATE_STRICT=1)\n"
        "  --fail-on-improvement  a scope far below its baseline fails, so stale baselines get\n"
        "                         refreshed (also MEMGATE_FAIL_ON_IMPROVEMENT=1)\n"
        "  -h, --help             this help\n"
        "\n"
        "When $GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it.\n"
        "Colour only on a terminal and when NO_COLOR is unset.\n"
        "exit status: 0 every scope passed, 1 a leak, regression or error, 2 bad input or usage\n",
        f);
}

int tool_check_opt(tool_check_opts *o, int argc, char **argv, int *i) {
  const char *v;
  int m;
  if ((m = tool_opt_value("--baselines", argc, argv, i, &v)) != 0) {
    if (m > 0) o->baselines = v;
    return m;
  }
  if ((m = tool_opt_value("--junit", argc, argv, i, &v)) != 0) {
    if (m > 0) o->junit = v;
    return m;
  }
  if ((m = tool_opt_value("--format", argc, argv, i, &v)) != 0) {
    if (m < 0) return m;
    if (!tool_format_parse(v, &o->format)) {
      tool_err("--format: unknown format '%s' (text, table or github)", v);
      return -1;
    }
    return 1;
  }
  if (strcmp(argv[*i], "--strict") == 0) {
    o->strict = true;
    return 1;
  }
  if (strcmp(argv[*i], "--fail-on-improvement") == 0) {
    o->fail_on_improvement = true;
    return 1;
  }
  return 0;
}

int tool_check_results(const tool_results *rs, const tool_check_opts *o) {
  memgate__bl_set set;
  memgate__bl_policy pol;
  tool_report rep;
  tool_output out;
  char err[256];
  int status;

  if (memgate__bl_policy_env(&pol, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return TOOL_EXIT_USAGE;
  }
  pol.update = false;
  pol.strict = pol.strict || o->strict;
  pol.fail_on_improvement = pol.fail_on_improvement || o->fail_on_improvement;
  status = tool_load_baselines(&set, o->baselines);
  if (status) {
    memgate__bl_set_free(&set);
    return status;
  }
  if (tool_report_build(&rep, rs, &set, &pol)) {
    tool_err("out of memory");
    memgate__bl_set_free(&set);
    return TOOL_EXIT_USAGE;
  }
  memset(&out, 0, sizeof out);
  out.format = o->format;
  if (out.format == TOOL_FORMAT_AUTO) {
    const char *gha = getenv("GITHUB_ACTIONS");
    if (gha && strcmp(gha, "true") == 0) out.format = TOOL_FORMAT_GITHUB;
    else out.format = isatty(fileno(stdout)) ? TOOL_FORMAT_TABLE : TOOL_FORMAT_TEXT;
  }
  out.color = out.format == TOOL_FORMAT_TABLE && tool_color_ok(stdout);
  out.junit = o->junit;
  out.step_summary = getenv("GITHUB_STEP_SUMMARY");
  out.title = o->title ? o->title : "memgate check";
  status = tool_output_write(&rep, &out, stdout);
  if (!status) status = (rep.leaks + rep.regressions + rep.errors) > 0 ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
  tool_report_free(&rep);
  memgate__bl_set_free(&set);
  return status;
}

int tool_cmd_check(int argc, char **argv) {
  tool_check_opts o;
  tool_results rs;
  char **files = calloc((size_t)argc + 1, sizeof *files);
  int nfiles = 0, i;
  if (!files) {
    tool_err("out of memory");
    return TOOL_EXIT_USAGE;
  }
  memset(&o, 0, sizeof o);
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (tool_is_help(a)) {
      usage(stdout);
      free(files);
      return TOOL_EXIT_OK;
    }
    if (strcmp(a, "--") == 0) {
      for (i++; i < argc; i++) files[nfiles++] = argv[i];
      break;
    }
    if (a[0] == '-' && a[1] != '\0') {
      int m = tool_check_opt(&o, argc, argv, &i);
      if (m == 0) tool_err("check: unknown option '%s' (see memgate check --help)", a);
      if (m <= 0) {
        free(files);
        return TOOL_EXIT_USAGE;
      }
      continue;
    }
    files[nfiles++] = argv[i];
  }
  if (nfiles == 0) {
    tool_err("check: no results files given");
    usage(stderr);
    free(files);
    return TOOL_EXIT_USAGE;
  }
  tool_results_init(&rs);
  int status = tool_load_results(&rs, nfiles, files, false);
  if (!status) status = tool_check_results(&rs, &o);
  tool_results_free(&rs);
  free(files);
  return status;
}
