/* memgate run [options] -- COMMAND [ARGS]: run tests measurement-friendly, then check. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char k_about[] =
    "Runs COMMAND (a test binary or a test runner) in an environment that makes\n"
    "memory figures repeatable, collects the results its memgate scopes write, checks\n"
    "them against the baselines like `memgate check`, and exits accordingly:\n"
    "  - GLIBC_TUNABLES gets glibc.malloc.tcache_count=0, glibc.malloc.top_pad=0 and\n"
    "    glibc.malloc.trim_threshold=4294967295\n"
    "    (merged into any value already set; a tunable you set yourself wins)\n"
    "  - transparent huge pages are disabled for COMMAND (prctl PR_SET_THP_DISABLE)\n"
    "  - MEMGATE_RESULTS points to a fresh temporary file, unless it is already set\n"
    "    or --results is given (then only the lines COMMAND appends are checked)\n"
    "  - MEMGATE_QUIET=1 (unless set): COMMAND's memgate does not print the failures\n"
    "    it records, so each failure is one line, in this command's summary\n"
    "  - --baselines, --strict and --fail-on-improvement are passed on to COMMAND\n"
    "    (MEMGATE_BASELINES, MEMGATE_STRICT=1, MEMGATE_FAIL_ON_IMPROVEMENT=1)\n"
    "  - --sites preloads libmemgate-sites.so (LD_PRELOAD, MEMGATE_SITES=1): failures\n"
    "    then name the allocation sites that grew (docs/SITES.md)\n";
static const char k_after[] =
    "exit status: 0 COMMAND succeeded and every scope passed; 1 a scope failed, COMMAND\n"
    "failed or it wrote no results (unless --allow-empty; the same with and without\n"
    "--results); 2 bad input or usage (e.g. COMMAND not found)\n";

typedef struct run_opts {
  tool_check_opts co;
  const char *results;          /* --results FILE, MEMGATE_RESULTS, or the temporary file */
  bool keep, update, force, no_tunables, sites;
  const char *min_headroom;     /* --min-headroom BYTES: MEMGATE_MIN_HEADROOM for COMMAND */
  unsigned runs;                /* --runs N: COMMAND runs N times (with --update: tolerance from the spread) */
  bool temp;                    /* results is a temporary file made here */
  bool unreadable;              /* the results could not be read (the file is kept) */
  char tmpl[4096];              /* its name */
  char **cmd;                   /* COMMAND and its arguments */
} run_opts;

/* --runs N: 1 to 100. */
static int run_opt_runs(void *value, const char *arg) {
  char *end = NULL;
  unsigned long n = strtoul(arg, &end, 10);
  if (!*arg || *end || n < 1 || n > 100) {
    tool_err("--runs: '%s' is not a number from 1 to 100", arg);
    return -1;
  }
  *(unsigned *)value = (unsigned)n;
  return 0;
}

/* Options into ro: 0 with ro->cmd set, TOOL_PARSE_HELP / TOOL_PARSE_ERROR,
 * or an exit status. */
static int run_parse(run_opts *ro, int argc, char **argv) {
  const tool_option opts[] = {
      OPT_STRING(0, "results", &ro->results, "FILE", "append results to FILE and keep it"),
      OPT_BOOL(0, "keep-results", &ro->keep, "keep the temporary results file (its path is printed)"),
      OPT_BOOL(0, "update", &ro->update,
               "record mode: run COMMAND with MEMGATE_UPDATE=1 so its\n"
               "results become the baselines, then check them"),
      OPT_BOOL(0, "force", &ro->force, "with --update: even when CI is set"),
      OPT_STRING(0, "min-headroom", &ro->min_headroom, "BYTES",
                 "a scope or repeat fails when the memory headroom after it\n"
                 "(memgate_headroom) is below BYTES (sets MEMGATE_MIN_HEADROOM)"),
      OPT_CALLBACK(0, "runs", &ro->runs, "N",
                   "run COMMAND N times (1 to 100); with --update the baselines are\n"
                   "recorded from all runs, tolerances from their spread", run_opt_runs),
      OPT_BOOL(0, "no-tunables", &ro->no_tunables, "leave GLIBC_TUNABLES alone"),
      OPT_BOOL(0, "sites", &ro->sites, "record allocation sites (preloads libmemgate-sites.so)"),
      TOOL_CHECK_OPTIONS(&ro->co),
      OPT_END()};
  const tool_usage u = {"run", "memgate run [options] [--] COMMAND [ARGS...]", k_about, k_after,
                        TOOL_PARSE_STOP_AT_NON_OPTION, opts};
  int n = tool_parse_options(&u, argc, argv);
  if (n < 0) return n;
  if (n == 0) {
    tool_err("run: no command given");
    tool_usage_print(&u, stderr);
    return TOOL_EXIT_USAGE;
  }
  argv[n] = NULL;
  ro->cmd = argv;
  if (ro->update && tool_in_ci() && !ro->force) {
    tool_err("run: refusing --update in CI (CI=%s): record baselines locally, or pass --force",
             getenv("CI"));
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

/* Where the results go: --results, MEMGATE_RESULTS, or a new temporary
 * file. 0 or an exit status. */
static int run_results_file(run_opts *ro) {
  const char *env_results = getenv("MEMGATE_RESULTS");
  if (!ro->results && env_results && *env_results) ro->results = env_results;
  if (ro->results) {
    ro->keep = true;
    return 0;
  }
  const char *td = getenv("TMPDIR");
  snprintf(ro->tmpl, sizeof ro->tmpl, "%s/memgate-results.XXXXXX", td && *td ? td : "/tmp");
  int fd = mkstemp(ro->tmpl);
  if (fd < 0) {
    tool_err("run: cannot create a temporary results file in %s: %s", td && *td ? td : "/tmp",
             strerror(errno));
    return TOOL_EXIT_USAGE;
  }
  close(fd);
  ro->results = ro->tmpl;
  ro->temp = true;
  return 0;
}

/* The environment COMMAND gets; prints what was set up. 0 or an exit status. */
static int run_environment(const run_opts *ro) {
  const tool_check_opts *co = &ro->co;
  if (setenv("MEMGATE_RESULTS", ro->results, 1) != 0 || setenv("MEMGATE_QUIET", "1", 0) != 0 ||
      (co->baselines && setenv("MEMGATE_BASELINES", co->baselines, 1) != 0) ||
      (co->strict && setenv("MEMGATE_STRICT", "1", 1) != 0) ||
      (co->fail_on_improvement && setenv("MEMGATE_FAIL_ON_IMPROVEMENT", "1", 1) != 0) ||
      (ro->update && setenv("MEMGATE_UPDATE", "1", 1) != 0) ||
      (ro->min_headroom && setenv("MEMGATE_MIN_HEADROOM", ro->min_headroom, 1) != 0)) {
    tool_err("run: cannot set the environment: %s", strerror(errno));
    return TOOL_EXIT_USAGE;
  }
  char lib[4096] = "";
  if (ro->sites && tool_sites_env(lib, sizeof lib) != 0) return TOOL_EXIT_USAGE;
  const char *tun = ro->no_tunables ? NULL : tool_measure_env();
#if defined(__linux__)
  const char *thp = ", transparent huge pages off";
#else
  const char *thp = "";
#endif
  fprintf(stderr, "memgate run: %s%s%s%s%s%s, results to %s%s\n", tun ? "GLIBC_TUNABLES=" : "",
          tun ? tun : "GLIBC_TUNABLES unchanged", thp, ro->update ? ", MEMGATE_UPDATE=1" : "",
          lib[0] ? ", allocation sites from " : "", lib, ro->results,
          ro->temp && !ro->keep ? " (temporary)" : "");
  fflush(stdout);
  fflush(stderr);
  return 0;
}

static void describe_status(char *buf, size_t cap, int st) {
  if (WIFEXITED(st))
    snprintf(buf, cap, "exited with status %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    snprintf(buf, cap, "ended with wait status %d", st);
}

/* In the child: THP off, exec cmd; on failure errno goes to the pipe. */
static void run_child(char **cmd, int wfd) {
  if (tool_child_thp_off()) {
    static const char w[] = "memgate run: warning: cannot disable transparent huge pages\n";
    ssize_t ignored = write(2, w, sizeof w - 1);
    (void)ignored;
  }
  execvp(cmd[0], cmd);
  int e = errno;
  ssize_t ignored = write(wfd, &e, sizeof e);
  (void)ignored;
  _exit(127);
}

/* Runs cmd to its end with SIGINT and SIGQUIT ignored here (the child gets
 * them). *wst: its wait status. 0, or an exit status with the message
 * printed (fork failed, or cmd could not be executed). */
static int run_command(char **cmd, int *wst) {
  int pfd[2], exec_errno = 0;
  if (pipe(pfd) != 0 || fcntl(pfd[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(pfd[1], F_SETFD, FD_CLOEXEC) != 0) {
    tool_err("run: pipe: %s", strerror(errno));
    return TOOL_EXIT_USAGE;
  }
  struct sigaction ign, old_int, old_quit;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  pid_t pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    close(pfd[0]);
    run_child(cmd, pfd[1]);
  }
  close(pfd[1]);
  ssize_t got = -1;
  if (pid > 0) {
    do got = read(pfd[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    while (waitpid(pid, wst, 0) < 0 && errno == EINTR) {
    }
  } else {
    tool_err("run: fork: %s", strerror(errno));
  }
  close(pfd[0]);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  if (pid < 0) return TOOL_EXIT_USAGE;
  if (got == (ssize_t)sizeof exec_errno) {
    tool_err("run: cannot run '%s': %s", cmd[0], strerror(exec_errno));
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

/* --update --runs N: each run records (MEMGATE_UPDATE=1), then the results
 * of all runs are recorded once more by memgate update's rule, which sets
 * the tolerances from their spread. 0 or an exit status. */
static int run_record_runs(const run_opts *ro, const tool_results *rs) {
  tool_update_opts uo;
  if (!ro->update || ro->runs <= 1) return 0;
  memset(&uo, 0, sizeof uo);
  uo.dir = ro->co.baselines;
  int status = tool_update_from_results(rs, &uo);
  return status == TOOL_EXIT_FAIL ? 0 : status; /* leaks are then reported by the check */
}

/* Reads what cmd appended to the results (from byte `from`) and checks it.
 * Exit status. */
/* The checks could not run (bad input): the failures COMMAND recorded, as
 * it recorded them, since under MEMGATE_QUIET=1 it did not print them. */
static void print_recorded_failures(const tool_results *rs) {
  for (size_t i = 0; i < rs->count; i++) {
    const tool_result *r = &rs->items[i];
    if (r->verdict != MemgateVerdictPass)
      memgate__fprint_failure(stderr, r->file, r->line, r->name, memgate_verdict_name(r->verdict),
                              r->message);
  }
}

static int run_check(run_opts *ro, uint64_t from, int wst) {
  tool_results rs;
  char err[1024], how[128];
  size_t added = 0;
  int status;
  const char *name = ro->cmd[0];
  bool cmd_failed = !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  describe_status(how, sizeof how, wst);
  tool_results_init(&rs);
  /* A --results file the command never created holds no results, like an
   * empty temporary file: the same outcome with and without --results. */
  bool never_written = from == 0 && access(ro->results, F_OK) != 0 && errno == ENOENT;
  if (!never_written && tool_results_load(&rs, ro->results, from, &added, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    tool_err("run: '%s' %s; its results could not be read (kept in %s)", name, how, ro->results);
    ro->unreadable = true;
    tool_results_free(&rs);
    return TOOL_EXIT_USAGE;
  }
  if (added == 0 && ro->co.allow_empty) {
    tool_err("run: '%s' %s and wrote no memgate results to %s (--allow-empty: not a failure)", name, how,
             ro->results);
    status = cmd_failed ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
  } else if (added == 0) {
    tool_err("run: '%s' %s and wrote no memgate results to %s: is it built with memgate, does "
             "it run any MEM_BEGIN/MEM_END or MEM_REPEAT, and does it pass MEMGATE_RESULTS on to "
             "the processes it starts? (--allow-empty if that is expected)",
             name, how, ro->results);
    status = TOOL_EXIT_FAIL;
  } else {
    status = run_record_runs(ro, &rs);
    if (!status) status = tool_check_results(&rs, &ro->co);
    if (status == TOOL_EXIT_USAGE) print_recorded_failures(&rs);
    if (status != TOOL_EXIT_USAGE && cmd_failed) {
      if (status == TOOL_EXIT_OK) tool_err("run: FAIL: '%s' %s although every memgate result passed", name, how);
      else tool_err("run: '%s' %s", name, how);
      status = TOOL_EXIT_FAIL;
    }
  }
  tool_results_free(&rs);
  return status;
}

int tool_cmd_run(int argc, char **argv) {
  run_opts ro;
  struct stat st;
  int wst = 0;
  memset(&ro, 0, sizeof ro);
  ro.co.title = "memgate run";
  int status = run_parse(&ro, argc, argv);
  if (status < 0) return tool_parse_exit(status);
  if (!status) status = run_results_file(&ro);
  if (status) return status;
  uint64_t from = stat(ro.results, &st) == 0 ? (uint64_t)st.st_size : 0;
  status = run_environment(&ro);
  for (unsigned i = 0; !status && i < (ro.runs ? ro.runs : 1); i++) {
    int w = 0;
    status = run_command(ro.cmd, &w);
    if (i == 0 || !(WIFEXITED(w) && WEXITSTATUS(w) == 0)) wst = w; /* a failing run is told */
  }
  if (status) {
    if (ro.temp) unlink(ro.results);
    return status;
  }
  status = run_check(&ro, from, wst);
  if (ro.unreadable) return status;
  if (ro.temp && !ro.keep) unlink(ro.results);
  else if (ro.temp) fprintf(stderr, "memgate run: results kept in %s\n", ro.results);
  return status;
}
