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

static void usage(FILE *f) {
  fputs("usage: memgate run [options] [--] COMMAND [ARGS...]\n"
        "\n"
        "Runs COMMAND (a test binary or a test runner) in an environment that makes\n"
        "memory figures repeatable, collects the results its memgate scopes write, checks\n"
        "them against the baselines like `memgate check`, and exits accordingly:\n"
        "  - GLIBC_TUNABLES gets glibc.malloc.tcache_count=0 and glibc.malloc.top_pad=0\n"
        "    (merged into any value already set; a tunable you set yourself wins)\n"
        "  - transparent huge pages are disabled for COMMAND (prctl PR_SET_THP_DISABLE)\n"
        "  - MEMGATE_RESULTS points to a fresh temporary file, unless it is already set\n"
        "    or --results is given (then only the lines COMMAND appends are checked)\n"
        "\n"
        "options:\n"
        "  --results FILE         append results to FILE and keep it\n"
        "  --keep-results         keep the temporary results file (its path is printed)\n"
        "  --update               record mode: run COMMAND with MEMGATE_UPDATE=1 so its\n"
        "                         results become the baselines, then check them\n"
        "  --force                with --update: even when CI is set\n"
        "  --no-tunables          leave GLIBC_TUNABLES alone\n"
        "  --baselines DIR        baseline directory (also passed to COMMAND as MEMGATE_BASELINES)\n"
        "  --junit FILE           write JUnit XML (one testcase per scope)\n"
        "  --format FORMAT        text, table or github (see memgate check --help)\n"
        "  --strict               a scope without a baseline fails (MEMGATE_STRICT=1)\n"
        "  --fail-on-improvement  a scope far below its baseline fails\n"
        "  -h, --help             this help\n"
        "exit status: 0 COMMAND succeeded and every scope passed; 1 a scope failed, COMMAND\n"
        "failed or it wrote no results; 2 bad input or usage (e.g. COMMAND not found)\n",
        f);
}

static void describe_status(char *buf, size_t cap, int st) {
  if (WIFEXITED(st))
    snprintf(buf, cap, "exited with status %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else
    snprintf(buf, cap, "ended with wait status %d", st);
}

int tool_cmd_run(int argc, char **argv) {
  tool_check_opts co;
  const char *results = NULL;
  bool keep = false, update = false, force = false, tunables = true, temp = false;
  int i;
  memset(&co, 0, sizeof co);
  co.title = "memgate run";
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
    int m;
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;
    if (tool_is_help(a)) {
      usage(stdout);
      return TOOL_EXIT_OK;
    }
    if (strcmp(a, "--keep-results") == 0) keep = true;
    else if (strcmp(a, "--update") == 0) update = true;
    else if (strcmp(a, "--force") == 0) force = true;
    else if (strcmp(a, "--no-tunables") == 0) tunables = false;
    else if ((m = tool_opt_value("--results", argc, argv, &i, &v)) != 0) {
      if (m < 0) return TOOL_EXIT_USAGE;
      results = v;
    } else if ((m = tool_check_opt(&co, argc, argv, &i)) != 0) {
      if (m < 0) return TOOL_EXIT_USAGE;
    } else {
      tool_err("run: unknown option '%s' (see memgate run --help)", a);
      return TOOL_EXIT_USAGE;
    }
  }
  if (i >= argc) {
    tool_err("run: no command given");
    usage(stderr);
    return TOOL_EXIT_USAGE;
  }
  char **cmd = argv + i;
  if (update && tool_in_ci() && !force) {
    tool_err("run: refusing --update in CI (CI=%s): record baselines locally, or pass --force",
             getenv("CI"));
    return TOOL_EXIT_USAGE;
  }

  /* Where the results go. */
  char tmpl[4096];
  const char *env_results = getenv("MEMGATE_RESULTS");
  if (!results && env_results && *env_results) results = env_results;
  if (results) {
    keep = true;
  } else {
    const char *td = getenv("TMPDIR");
    snprintf(tmpl, sizeof tmpl, "%s/memgate-results.XXXXXX", td && *td ? td : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) {
      tool_err("run: cannot create a temporary results file in %s: %s", td && *td ? td : "/tmp",
               strerror(errno));
      return TOOL_EXIT_USAGE;
    }
    close(fd);
    results = tmpl;
    temp = true;
  }
  struct stat st;
  uint64_t from = stat(results, &st) == 0 ? (uint64_t)st.st_size : 0;

  if (setenv("MEMGATE_RESULTS", results, 1) != 0 ||
      (co.baselines && setenv("MEMGATE_BASELINES", co.baselines, 1) != 0) ||
      (co.strict && setenv("MEMGATE_STRICT", "1", 1) != 0) ||
      (co.fail_on_improvement && setenv("MEMGATE_FAIL_ON_IMPROVEMENT", "1", 1) != 0) ||
      (update && setenv("MEMGATE_UPDATE", "1", 1) != 0)) {
    tool_err("run: cannot set the environment: %s", strerror(errno));
    if (temp) unlink(results);
    return TOOL_EXIT_USAGE;
  }
  const char *tun = tunables ? tool_measure_env() : NULL;
#if defined(__linux__)
  const char *thp = ", transparent huge pages off";
#else
  const char *thp = "";
#endif
  fprintf(stderr, "memgate run: %s%s%s%s, results to %s%s\n", tun ? "GLIBC_TUNABLES=" : "",
          tun ? tun : "GLIBC_TUNABLES unchanged", thp, update ? ", MEMGATE_UPDATE=1" : "", results,
          temp && !keep ? " (temporary)" : "");
  fflush(stdout);
  fflush(stderr);

  int pfd[2];
  if (pipe(pfd) != 0 || fcntl(pfd[0], F_SETFD, FD_CLOEXEC) != 0 ||
      fcntl(pfd[1], F_SETFD, FD_CLOEXEC) != 0) {
    tool_err("run: pipe: %s", strerror(errno));
    if (temp) unlink(results);
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
    int thp_err = tool_child_thp_off();
    if (thp_err) {
      static const char w[] = "memgate run: warning: cannot disable transparent huge pages\n";
      ssize_t ignored = write(2, w, sizeof w - 1);
      (void)ignored;
    }
    execvp(cmd[0], cmd);
    int e = errno;
    ssize_t ignored = write(pfd[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(pfd[1]);
  if (pid < 0) {
    tool_err("run: fork: %s", strerror(errno));
    close(pfd[0]);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (temp) unlink(results);
    return TOOL_EXIT_USAGE;
  }
  int exec_errno = 0;
  ssize_t got;
  do got = read(pfd[0], &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  close(pfd[0]);
  int wst = 0;
  while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  if (got == (ssize_t)sizeof exec_errno) {
    tool_err("run: cannot run '%s': %s", cmd[0], strerror(exec_errno));
    if (temp) unlink(results);
    return TOOL_EXIT_USAGE;
  }
  bool cmd_failed = !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  char how[128];
  describe_status(how, sizeof how, wst);

  tool_results rs;
  char err[1024];
  size_t added = 0;
  int status;
  tool_results_init(&rs);
  if (tool_results_load(&rs, results, from, &added, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    tool_err("run: '%s' %s; its results could not be read (kept in %s)", cmd[0], how, results);
    tool_results_free(&rs);
    return TOOL_EXIT_USAGE;
  }
  if (added == 0) {
    tool_err("run: '%s' %s and wrote no memgate results to %s: is it built with memgate, does "
             "it run any MEM_BEGIN/MEM_END or MEM_REPEAT, and does it pass MEMGATE_RESULTS on to "
             "the processes it starts?",
             cmd[0], how, results);
    status = TOOL_EXIT_FAIL;
  } else {
    status = tool_check_results(&rs, &co);
    if (status != TOOL_EXIT_USAGE && cmd_failed) {
      if (status == TOOL_EXIT_OK)
        tool_err("run: FAIL: '%s' %s although every memgate result passed", cmd[0], how);
      else
        tool_err("run: '%s' %s", cmd[0], how);
      status = TOOL_EXIT_FAIL;
    }
  }
  tool_results_free(&rs);
  if (temp && !keep) unlink(results);
  else if (temp) fprintf(stderr, "memgate run: results kept in %s\n", results);
  return status;
}
