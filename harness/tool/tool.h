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
 *   options.c       option tables: parsing and --help from one table
 *   util.c          files, environment, colour
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
int tool_cmd_diff(int argc, char **argv);
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
  const char *error;            /* "MEMGATE_E..." name of an error verdict, or "" */
  bool has_baseline;            /* judged and compared with an entry: j.cmp.expected
                                 * (expected retained), j.cmp.allowed (largest that
                                 * passes) are valid */
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
  /* Baseline entries no result produced (tool_entry_obsolete), borrowed
   * from the set, with the file each is in. */
  const memgate__bl_entry **obsolete;
  const char **obsolete_file;
  size_t nobsolete;
} tool_report;

/* What a set of results produced: its (scope, platform) keys, sorted, and
 * the platform keys it measured. Borrows from the results. */
typedef struct tool_produced {
  const tool_result **keys;
  size_t n;
  const char **platforms;
  size_t nplatforms;
} tool_produced;
/* 0 or MEMGATE_ENOMEM (bad lines count for nothing). */
int tool_produced_init(tool_produced *p, const tool_results *rs);
void tool_produced_free(tool_produced *p);
/* True when no result produced entry e although the results measured e's
 * platform (some result has exactly e's platform key): a stale entry. An
 * entry of a platform not measured (another OS, "any") is never obsolete:
 * nothing here could have produced it. O(log n). */
bool tool_entry_obsolete(const memgate__bl_entry *e, const tool_produced *p);

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
  bool fail_on_obsolete;        /* say that obsolete entries fail */
} tool_output;

/* Prints rep to out in the chosen format and writes the JUnit and Markdown
 * files. Returns 0, or 2 when a file could not be written (message printed). */
int tool_output_write(const tool_report *rep, const tool_output *o, FILE *out);
/* Parses "text", "table", "github"; false when unknown. */
bool tool_format_parse(const char *s, tool_format *out);

/* Options shared by `check`, `run` and `report`. */
typedef struct tool_check_opts {
  const char *baselines;        /* --baselines DIR (NULL: MEMGATE_BASELINES or ./baselines) */
  const char *junit;            /* --junit FILE */
  tool_format format;           /* --format; AUTO: github under GitHub Actions, table on a
                                   terminal, else text */
  bool strict;                  /* --strict (or MEMGATE_STRICT=1) */
  bool fail_on_improvement;     /* --fail-on-improvement (or MEMGATE_FAIL_ON_IMPROVEMENT=1) */
  bool allow_empty;             /* --allow-empty: no results at all is not a failure */
  bool fail_on_obsolete;        /* --fail-on-obsolete: a baseline entry no run produced fails */
  const char *title;
} tool_check_opts;
/* The judging options of a tool_check_opts, as option-table entries. */
#define TOOL_JUDGE_OPTIONS(co)                                                                   \
  OPT_STRING(0, "baselines", &(co)->baselines, "DIR",                                            \
             "baseline directory (default: $MEMGATE_BASELINES or ./baselines)"),               \
      OPT_BOOL(0, "strict", &(co)->strict, "a scope without a baseline fails (also MEMGATE_STRICT=1)"), \
      OPT_BOOL(0, "fail-on-improvement", &(co)->fail_on_improvement,                             \
               "a scope far below its baseline fails, so stale baselines get\n"                   \
               "refreshed (also MEMGATE_FAIL_ON_IMPROVEMENT=1)")
/* ... and the output options of `check` and `run`. */
#define TOOL_CHECK_OPTIONS(co)                                                                   \
  TOOL_JUDGE_OPTIONS(co),                                                                        \
      OPT_STRING(0, "junit", &(co)->junit, "FILE", "also write JUnit XML: one testcase per scope"), \
      OPT_CALLBACK(0, "format", &(co)->format, "FORMAT",                                         \
                   "text (plain lines), table (compact, for terminals) or github\n"               \
                   "(text plus ::error annotations); default: github when\n"                      \
                   "GITHUB_ACTIONS=true, table on a terminal, else text",                        \
                   tool_opt_format),                                                             \
      OPT_BOOL(0, "fail-on-obsolete", &(co)->fail_on_obsolete,                                   \
               "a baseline entry of a measured platform that no result\n"                        \
               "produced fails (stale entries; see memgate update --prune)"),                     \
      OPT_BOOL(0, "allow-empty", &(co)->allow_empty,                                             \
               "no results at all is not a failure (e.g. every test skipped);\n"                  \
               "without it, results files without results fail")
/* Option callback for --format: value is a tool_format *. */
int tool_opt_format(void *value, const char *arg);
/* The judging policy: the environment's (MEMGATE_STRICT, ...) plus o's
 * flags. 0, or 2 with the message printed. */
int tool_check_policy(memgate__bl_policy *pol, const tool_check_opts *o);
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
  bool dry_run;                 /* print the diff it would write, write nothing */
  bool prune;                   /* remove entries no result produced (tool_entry_obsolete) */
  const tool_produced *produced; /* what the results produced (for prune) */
} tool_update_opts;
int tool_update_from_results(const tool_results *rs, const tool_update_opts *o);

/* ------------------------------------------------------------------------
 * Option tables (options.c): a command's parser and its --help in one
 * table, e.g.
 *   const tool_option opts[] = {OPT_BOOL(0, "force", &force, "even in CI"), OPT_END()};
 *   const tool_usage u = {"update", "memgate update [options] RESULTS...", about, after, 0, opts};
 *   int n = tool_parse_options(&u, argc, argv);   // positional args now in argv[0..n)
 * ------------------------------------------------------------------------ */

typedef enum tool_opt_type {
  TOOL_OPT_END = 0,
  TOOL_OPT_BOOL,     /* --name: *(bool *)value = true */
  TOOL_OPT_STRING,   /* --name VALUE or --name=VALUE: *(const char **)value = VALUE */
  TOOL_OPT_CALLBACK  /* --name VALUE: cb(value, VALUE) returns 0, or -1 (message printed) */
} tool_opt_type;

typedef struct tool_option {
  tool_opt_type type;
  char short_name;               /* 'x' for -x, or 0 */
  const char *long_name;         /* "baselines" for --baselines */
  void *value;
  const char *argh;              /* the value's name in --help ("DIR"), NULL for BOOL */
  const char *help;              /* one or more lines ('\n' between them) */
  int (*cb)(void *value, const char *arg);
} tool_option;

#define OPT_BOOL(s, l, v, h) {TOOL_OPT_BOOL, (s), (l), (v), NULL, (h), NULL}
#define OPT_STRING(s, l, v, a, h) {TOOL_OPT_STRING, (s), (l), (v), (a), (h), NULL}
#define OPT_CALLBACK(s, l, v, a, h, f) {TOOL_OPT_CALLBACK, (s), (l), (v), (a), (h), (f)}
#define OPT_END() {TOOL_OPT_END, 0, NULL, NULL, NULL, NULL, NULL}

/* First positional argument ends the options (memgate run -- COMMAND). */
#define TOOL_PARSE_STOP_AT_NON_OPTION 1u
/* The command takes no positional argument. */
#define TOOL_PARSE_NO_ARGS 2u

typedef struct tool_usage {
  const char *cmd;               /* "check", in messages */
  const char *synopsis;          /* after "usage: " */
  const char *about;             /* paragraphs before "options:", or NULL */
  const char *after;             /* text after the options (exit status), or NULL */
  unsigned flags;                /* TOOL_PARSE_* */
  const tool_option *opts;       /* ends with OPT_END(); -h/--help is implied */
} tool_usage;

#define TOOL_PARSE_HELP (-1)     /* --help printed on stdout */
#define TOOL_PARSE_ERROR (-2)    /* bad option or value, message printed */

/*
 * Parses argv[1..argc) against u->opts (argv[0] is the command's name).
 * Options and positional arguments may be mixed; "--" ends the options;
 * "-" is a positional argument. The positional arguments are moved to
 * argv[0..n) and n is returned, or TOOL_PARSE_HELP / TOOL_PARSE_ERROR.
 */
int tool_parse_options(const tool_usage *u, int argc, char **argv);
/* The exit status for TOOL_PARSE_HELP (0) or TOOL_PARSE_ERROR (2). */
int tool_parse_exit(int rc);
/* The --help text: synopsis, about, the option table, after. */
void tool_usage_print(const tool_usage *u, FILE *f);

/* ------------------------------------------------------------------------
 * Utilities
 * ------------------------------------------------------------------------ */

/* "memgate: " + message + newline on stderr. */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True for "-h" and "--help". */
bool tool_is_help(const char *a);
/* True when colour may be used on f (a terminal, NO_COLOR unset, TERM not dumb). */
bool tool_color_ok(FILE *f);
/* True when the environment says CI (CI set to anything but "", "0", "false"). */
bool tool_in_ci(void);
/* Writes data to path atomically (temporary file, fsync, rename). */
int tool_write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t cap);
/* Writes a unified diff of texts a and b (split on '\n'; NULL is empty) to
 * out, headed "--- name_a" / "+++ name_b"; nothing when they are equal
 * (textdiff.c). 0 or MEMGATE_ENOMEM. */
int tool_text_diff(FILE *out, const char *name_a, const char *a, size_t alen, const char *name_b, const char *b,
                   size_t blen);
/* Appends data to path (created if missing). */
int tool_append_file(const char *path, const char *data, size_t len, char *err, size_t cap);
/* Byte counts and growable strings: memgate__bytes and memgate__buf
 * (harness/src/memgate_internal.h, shared with the library). */

/* Prepares the measurement environment in this process's environment, for
 * a command about to be run: GLIBC_TUNABLES with tcache_count=0,
 * top_pad=0 and trim_threshold=4294967295 merged in (values already set win). Returns the new value or
 * NULL when not applicable. */
const char *tool_measure_env(void);
/* memgate run --sites: finds libmemgate-sites.so (path into lib), prepends
 * it to LD_PRELOAD and sets MEMGATE_SITES=1. 0 or an exit status (printed). */
int tool_sites_env(char *lib, size_t cap);
/* In a child between fork and exec: PR_SET_THP_DISABLE (Linux). Returns 0
 * or errno. Async-signal-safe. */
int tool_child_thp_off(void);

#endif
