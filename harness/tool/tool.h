/*
 * The memgate command: shared declarations.
 *
 * Layout (one file per concern; add a command by writing cmd_NAME.c with a
 * `int tool_cmd_NAME(int argc, char **argv)` and one line in the table in
 * main.c):
 *   main.c          dispatcher table, global --help/--version
 *   results_load.*  loading results files (see results_load.h)
 *   evaluate.c      judging results against baselines, grouped per scope
 *                   (tool_report: what every output format reads)
 *   output.c        text, terminal table, GitHub annotations, JUnit XML,
 *                   Markdown step summary
 *   util.c          options, files, environment, colour
 *   cmd_*.c         the subcommands
 *
 * Exit status of every command: 0 all good, 1 failures found, 2 bad input
 * or usage.
 */
#ifndef MEMGATE_TOOL_H
#define MEMGATE_TOOL_H

#include "baseline_store.h"
#include "results_load.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1
#define TOOL_EXIT_USAGE 2

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

typedef struct tool_command {
  const char *name;
  const char *summary;             /* one line for `memgate --help` */
  int (*run)(int argc, char **argv); /* argv[0] is the command name */
  bool hidden;                     /* internal (not listed) */
} tool_command;

int tool_cmd_run(int argc, char **argv);
int tool_cmd_check(int argc, char **argv);
int tool_cmd_update(int argc, char **argv);
int tool_cmd_show(int argc, char **argv);
int tool_cmd_selftest(int argc, char **argv);
int tool_cmd_selftest_child(int argc, char **argv);

/* argv[0] of the memgate process (for re-executing itself). */
extern const char *tool_argv0;

/* ------------------------------------------------------------------------
 * Judging results: one evaluation per result, one group per scope
 * ------------------------------------------------------------------------ */

typedef struct tool_eval {
  const tool_result *result;
  memgate_verdict verdict;      /* final verdict */
  bool judged;                  /* compared with the baselines (not an unrelated error) */
  bool improved;                /* far better than its baseline */
  bool no_baseline;             /* no entry applied */
  memgate__bl_judgement j;      /* valid when judged */
  const char *message;          /* what to show: the judgement, or the recorded message */
} tool_eval;

typedef struct tool_group {     /* all results of one (scope, platform) */
  const tool_eval *shown;       /* the worst one */
  size_t runs, failed;
} tool_group;

typedef struct tool_report {
  tool_eval *evals;
  size_t neval;
  tool_group *groups;           /* sorted by scope name, then platform */
  size_t ngroup;
  /* Counts of groups by the verdict of their shown result. */
  size_t passed, leaks, regressions, errors, improved, no_baseline;
  const char *baselines_dir;
} tool_report;

/* Judges every result of rs against set (borrowed; must outlive the report).
 * Leaks and non-baseline errors keep their recorded verdict; the rest are
 * judged again by memgate__bl_judge with pol. 0 or MEMGATE_ENOMEM. */
int tool_report_build(tool_report *rep, const tool_results *rs, const memgate__bl_set *set,
                      const memgate__bl_policy *pol);
void tool_report_free(tool_report *rep);
/* True when the group fails CI. */
bool tool_group_failed(const tool_group *g);
/* "pass", "improved", "leak", "regression", "error". */
const char *tool_eval_status(const tool_eval *e);

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------ */

typedef enum tool_format { TOOL_FORMAT_AUTO, TOOL_FORMAT_TEXT, TOOL_FORMAT_TABLE, TOOL_FORMAT_GITHUB } tool_format;

typedef struct tool_output {
  tool_format format;
  const char *junit;            /* write JUnit XML here, or NULL */
  const char *step_summary;     /* append Markdown here ($GITHUB_STEP_SUMMARY), or NULL */
  bool color;
  const char *title;            /* "memgate check" / "memgate run" */
} tool_output;

/* Prints rep to out in the chosen format and writes the JUnit and Markdown
 * files. Returns 0, or 2 when a file could not be written (message printed). */
int tool_output_write(const tool_report *rep, const tool_output *o, FILE *out);
/* Parses "text", "table", "github"; false when unknown. */
bool tool_format_parse(const char *s, tool_format *out);

/* Options shared by `check` and `run`. */
typedef struct tool_check_opts {
  const char *baselines;        /* --baselines DIR (NULL: MEMGATE_BASELINES or ./baselines) */
  const char *junit;            /* --junit FILE */
  tool_format format;           /* --format; AUTO: github under GitHub Actions, table on a
                                   terminal, else text */
  bool strict;                  /* --strict (or MEMGATE_STRICT=1) */
  bool fail_on_improvement;     /* --fail-on-improvement (or MEMGATE_FAIL_ON_IMPROVEMENT=1) */
  const char *title;
} tool_check_opts;
/* Consumes a shared option at argv[*i]: 1 consumed, 0 not one, -1 bad value. */
int tool_check_opt(tool_check_opts *o, int argc, char **argv, int *i);
/* Judges rs, prints the report, writes JUnit/summary. Exit status. */
int tool_check_results(const tool_results *rs, const tool_check_opts *o);

/* Loads the baselines directory (dir NULL: MEMGATE_BASELINES or ./baselines),
 * prints every file error ("file:line:col: ...") and returns 0, or 2 when
 * any file or the directory is bad. */
int tool_load_baselines(memgate__bl_set *set, const char *dir);
/* Loads results files; prints the error and returns 2 on bad input, or when
 * a file holds no result and allow_empty is false. */
int tool_load_results(tool_results *rs, int n, char **paths, bool allow_empty);

/* Records results as baselines (memgate update and memgate run --update).
 * only/as: see `memgate update --help`. Prints what it did. Exit status. */
typedef struct tool_update_opts {
  const char **only;
  size_t nonly;
  const char *as;
  const char *note;
  const char *platform;         /* record under this key instead of each result's */
  const char *dir;
} tool_update_opts;
int tool_update_from_results(const tool_results *rs, const tool_update_opts *o);

/* ------------------------------------------------------------------------
 * Utilities
 * ------------------------------------------------------------------------ */

/* "memgate: " + message + newline on stderr. */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Matches option `name` in argv[*i] as "--name=VALUE" or "--name VALUE"
 * (advancing *i). Returns 1 matched (value in *val), 0 not this option,
 * -1 matched but the value is missing (message printed). */
int tool_opt_value(const char *name, int argc, char **argv, int *i, const char **val);
/* True for "-h" and "--help". */
bool tool_is_help(const char *a);
/* True when colour may be used on f (a terminal, NO_COLOR unset, TERM not dumb). */
bool tool_color_ok(FILE *f);
/* True when the environment says CI (CI set to anything but "", "0", "false"). */
bool tool_in_ci(void);
/* Writes data to path atomically (temporary file, fsync, rename). */
int tool_write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t cap);
/* Appends data to path (created if missing). */
int tool_append_file(const char *path, const char *data, size_t len, char *err, size_t cap);
/* Byte counts and growable strings: memgate__bytes and memgate__buf
 * (harness/src/memgate_internal.h, shared with the library). */

/* Prepares the measurement environment in this process's environment, for
 * a command about to be run: GLIBC_TUNABLES with tcache_count=0 and
 * top_pad=0 merged in (values already set win). Returns the new value or
 * NULL when not applicable. */
const char *tool_measure_env(void);
/* In a child between fork and exec: PR_SET_THP_DISABLE (Linux). Returns 0
 * or errno. Async-signal-safe. */
int tool_child_thp_off(void);

#endif
