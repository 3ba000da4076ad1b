/* memgate check RESULTS...: judge results files against the baselines. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char k_about[] =
    "Compares results files (the JSON lines memgate writes to $MEMGATE_RESULTS) with the\n"
    "baselines and prints one line per scope. Leaks and measuring errors stand; everything\n"
    "else (a baseline error too) is judged again against the baselines at hand, so results\n"
    "from another machine (e.g. an iOS simulator) can be checked here.\n";
static const char k_after[] =
    "\n"
    "When $GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it.\n"
    "Colour only on a terminal and when NO_COLOR is unset.\n"
    "exit status: 0 every scope passed, 1 a leak, regression or error, 2 bad input or usage\n"
    "(a results file without results is bad input unless --allow-empty is given)\n";

int tool_opt_format(void *value, const char *arg) {
  if (tool_format_parse(arg, value)) return 0;
  tool_err("--format: unknown format '%s' (text, table or github)", arg);
  return -1;
}

/* The output settings for o: the format chosen for stdout, colour, files. */
static void check_output(tool_output *out, const tool_check_opts *o) {
  memset(out, 0, sizeof *out);
  out->format = o->format;
  if (out->format == TOOL_FORMAT_AUTO) {
    const char *gha = getenv("GITHUB_ACTIONS");
    if (gha && strcmp(gha, "true") == 0) out->format = TOOL_FORMAT_GITHUB;
    else out->format = isatty(fileno(stdout)) ? TOOL_FORMAT_TABLE : TOOL_FORMAT_TEXT;
  }
  out->color = out->format == TOOL_FORMAT_TABLE && tool_color_ok(stdout);
  out->junit = o->junit;
  out->step_summary = getenv("GITHUB_STEP_SUMMARY");
  out->title = o->title ? o->title : "memgate check";
  out->fail_on_obsolete = o->fail_on_obsolete;
}

int tool_check_results(const tool_results *rs, const tool_check_opts *o) {
  memgate__bl_set set;
  memgate__bl_policy pol;
  tool_report rep;
  tool_output out;
  int status = tool_check_policy(&pol, o);
  if (status) return status;
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
  check_output(&out, o);
  status = tool_output_write(&rep, &out, stdout);
  if (!status) status = (rep.leaks + rep.regressions + rep.errors) > 0 ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
  if (!status && o->fail_on_obsolete && rep.nobsolete > 0) status = TOOL_EXIT_FAIL;
  tool_report_free(&rep);
  memgate__bl_set_free(&set);
  return status;
}

int tool_cmd_check(int argc, char **argv) {
  tool_check_opts o;
  tool_results rs;
  memset(&o, 0, sizeof o);
  const tool_option opts[] = {TOOL_CHECK_OPTIONS(&o), OPT_END()};
  const tool_usage u = {"check", "memgate check [options] RESULTS...", k_about, k_after, 0, opts};
  int nfiles = tool_parse_options(&u, argc, argv);
  if (nfiles < 0) return tool_parse_exit(nfiles);
  if (nfiles == 0) {
    tool_err("check: no results files given");
    tool_usage_print(&u, stderr);
    return TOOL_EXIT_USAGE;
  }
  tool_results_init(&rs);
  int status = tool_load_results(&rs, nfiles, argv, o.allow_empty);
  if (!status) status = tool_check_results(&rs, &o);
  tool_results_free(&rs);
  return status;
}
