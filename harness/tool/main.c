/*
 * memgate - the command CI jobs run: `memgate run -- TESTS` measures and
 * gates; check, update and show work on results and baselines.
 *
 * A new subcommand is a function `int tool_cmd_NAME(int argc, char **argv)`
 * (argv[0] is the subcommand's name) declared in tool.h, and one line in
 * k_commands below. Exit status: 0 all good, 1 failures found, 2 bad input
 * or usage.
 */
#include "history.h"
#include "report.h"
#include "tool.h"

#include <string.h>

const char *tool_argv0;

static const tool_command k_commands[] = {
    {"run", "run a test command measurement-friendly, then check its results", tool_cmd_run, false},
    {"check", "compare results files with the baselines (text, table, JUnit, GitHub)", tool_cmd_check, false},
    {"update", "accept results as the new baselines (merged, locked, atomic)", tool_cmd_update, false},
    {"show", "list the baselines as a table", tool_cmd_show, false},
    {"report", "render results as an HTML page or a Markdown table", memgate__cmd_report, false},
    {"diff", "compare a base run with a head run, scope by scope (text, Markdown, HTML)", tool_cmd_diff, false},
    {"history", "append a run to a history file kept in git (bounded, idempotent)", tool_cmd_history, false},
    {"selftest", "prove the detector tells a leak from a non-leak on this machine", tool_cmd_selftest, false},
    {"__selftest-child", "", tool_cmd_selftest_child, true},
};

static void usage(FILE *f) {
  fprintf(f, "usage: memgate COMMAND [options] [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    if (!k_commands[i].hidden) fprintf(f, "  %-9s %s\n", k_commands[i].name, k_commands[i].summary);
  fprintf(f,
          "\n`memgate COMMAND --help` describes each command.\n"
          "exit status: 0 all good, 1 failures found, 2 bad input or usage\n"
          "environment: MEMGATE_BASELINES (baseline directory, default ./baselines),\n"
          "  MEMGATE_PLATFORM (platform key), MEMGATE_STRICT, MEMGATE_UPDATE,\n"
          "  MEMGATE_FAIL_ON_IMPROVEMENT, MEMGATE_RESULTS, NO_COLOR, CI,\n"
          "  GITHUB_ACTIONS, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE\n");
}

int main(int argc, char **argv) {
  tool_argv0 = argc > 0 ? argv[0] : "memgate";
  if (argc < 2) {
    usage(stderr);
    return TOOL_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (tool_is_help(name) || strcmp(name, "help") == 0) {
    usage(stdout);
    return TOOL_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0) {
    printf("memgate %s\n", memgate_version());
    return TOOL_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    if (strcmp(name, k_commands[i].name) == 0) return k_commands[i].run(argc - 1, argv + 1);
  tool_err("unknown command '%s'", name);
  usage(stderr);
  return TOOL_EXIT_USAGE;
}
