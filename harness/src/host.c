/*
 * What a results line says about what it measured, read once at start-up
 * (proc.c) and never between two samples: the commit under test, the
 * host's memory and its CPU count (docs/DESIGN.md, "When and what a
 * result measured").
 *
 * The commit comes from MEMGATE_COMMIT (an override; "" means none), else
 * GITHUB_SHA, else the git checkout the process runs in, read from the
 * files themselves: .git (a directory, or a file "gitdir: PATH" for
 * worktrees and submodules) found by walking up from the current
 * directory (or $GIT_DIR), HEAD, the loose ref it names, packed-refs. No
 * child process is started: a library that forks git at its first scope
 * would do so in a threaded test program (fork with other threads' locks
 * held), reap a child the program's own SIGCHLD handler may take, share
 * its stdin, and cost a few milliseconds per process; reading three small
 * files costs microseconds (docs/DESIGN.md has the figures). Anything
 * unexpected (no checkout, a ref that is not there, a reftable store,
 * garbage) gives no commit: the field is null, never a guess.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "state.h"
#include "file_io.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define HOST_PATH_CAP 4096
#define HOST_REF_DEPTH 5 /* symbolic refs followed at most */

static memgate__host g_host;
static int g_host_rc;
static pthread_once_t g_host_once = PTHREAD_ONCE_INIT;

/* memgate__read_small, trailing white space cut. Bytes kept, or -1. */
static long read_small(const char *path, char *buf, size_t cap) {
  long n = memgate__read_small(path, buf, cap);
  while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
  return n;
}

/* dst = dir "/" name, or name when it is absolute. False when too long. */
static bool join(char *dst, size_t cap, const char *dir, const char *name) {
  int n = name[0] == '/' ? snprintf(dst, cap, "%s", name) : snprintf(dst, cap, "%s/%s", dir, name);
  return n > 0 && (size_t)n < cap;
}

/* Copies a hex object name of 40 (SHA-1) or 64 (SHA-256) digits from s
 * (up to the first white space) into out, lowercased. */
static bool take_oid(const char *s, char *out, size_t cap) {
  size_t n = 0;
  while (s[n] && !isspace((unsigned char)s[n])) n++;
  if ((n != 40 && n != 64) || n >= cap || memgate__check_commit(s, n) != 0) return false;
  for (size_t i = 0; i < n; i++) out[i] = (char)tolower((unsigned char)s[i]);
  out[n] = '\0';
  return true;
}

/* The git directory for dir: dir/.git when it is a directory, or what a
 * .git file ("gitdir: PATH") names. */
static bool git_dir_at(const char *dir, char *gitdir, size_t cap) {
  char dotgit[HOST_PATH_CAP], line[HOST_PATH_CAP];
  struct stat st;
  if (!join(dotgit, sizeof dotgit, dir, ".git") || stat(dotgit, &st) != 0) return false;
  if (S_ISDIR(st.st_mode)) return join(gitdir, cap, dir, ".git");
  if (!S_ISREG(st.st_mode) || read_small(dotgit, line, sizeof line) < 8 || strncmp(line, "gitdir: ", 8) != 0)
    return false;
  return join(gitdir, cap, dir, line + 8);
}

/* Finds the git directory from start upwards ($GIT_DIR wins). */
static bool find_git_dir(const char *start, char *gitdir, size_t cap) {
  const char *env = getenv("GIT_DIR");
  if (env && *env) return join(gitdir, cap, start, env);
  char dir[HOST_PATH_CAP];
  if (snprintf(dir, sizeof dir, "%s", start) >= (int)sizeof dir || dir[0] != '/') return false;
  for (;;) { /* "/a/b", "/a", "" (the root: "/.git") */
    if (git_dir_at(dir, gitdir, cap)) return true;
    char *slash = strrchr(dir, '/');
    if (!slash) return false;
    *slash = '\0';
  }
}

/* A ref name memgate follows: under refs/, no "..", nothing odd. */
static bool ref_name_ok(const char *ref) {
  if (strncmp(ref, "refs/", 5) != 0 || strstr(ref, "..") || strlen(ref) > 1024) return false;
  for (const char *p = ref; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == '\\' || *p == 0x7f) return false;
  return true;
}

/* Looks ref up in common/packed-refs ("OID REFNAME" lines), read in
 * chunks: the file may be large. */
static bool packed_ref(const char *common, const char *ref, char *out, size_t cap) {
  char path[HOST_PATH_CAP], chunk[8192], line[1200];
  size_t ln = 0;
  bool found = false, skip = false;
  if (!join(path, sizeof path, common, "packed-refs")) return false;
  char err[8];
  int fd;
  if (memgate__open_regular(AT_FDCWD, path, path, 0, &fd, NULL, err, sizeof err) != MEMGATE__OPEN_OK)
    return false;
  ssize_t r;
  while (!found && ((r = read(fd, chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR))) {
    for (ssize_t i = 0; i < r && !found; i++) {
      if (chunk[i] != '\n') {
        if (ln + 1 < sizeof line) line[ln++] = chunk[i];
        else skip = true;
        continue;
      }
      line[ln] = '\0';
      const char *sp = strchr(line, ' ');
      found = !skip && sp && strcmp(sp + 1, ref) == 0 && take_oid(line, out, cap);
      ln = 0;
      skip = false;
    }
  }
  close(fd);
  return found;
}

/* Resolves HEAD of gitdir (refs in common, the shared directory of a
 * worktree) to an object name. */
static bool resolve_head(const char *gitdir, const char *common, char *out, size_t cap) {
  char path[HOST_PATH_CAP], text[1200], ref[1100];
  if (!join(path, sizeof path, gitdir, "HEAD") || read_small(path, text, sizeof text) <= 0) return false;
  for (int depth = 0; depth < HOST_REF_DEPTH; depth++) {
    if (strncmp(text, "ref: ", 5) != 0) return take_oid(text, out, cap) && text[strlen(out)] == '\0';
    memgate__msgf(ref, sizeof ref, "%s", text + 5);
    if (!ref_name_ok(ref)) return false;
    if (!(join(path, sizeof path, common, ref) && read_small(path, text, sizeof text) > 0) &&
        !(join(path, sizeof path, gitdir, ref) && read_small(path, text, sizeof text) > 0))
      return packed_ref(common, ref, out, cap);
  }
  return false;
}

int memgate__git_head(const char *start_dir, char *out, size_t cap) {
  char gitdir[HOST_PATH_CAP], common[HOST_PATH_CAP], line[HOST_PATH_CAP];
  out[0] = '\0';
  if (!start_dir || !find_git_dir(start_dir, gitdir, sizeof gitdir)) return MEMGATE_EUNSUPPORTED;
  if (!(join(common, sizeof common, gitdir, "commondir") && read_small(common, line, sizeof line) > 0 &&
        join(common, sizeof common, gitdir, line)))
    snprintf(common, sizeof common, "%s", gitdir);
  if (!resolve_head(gitdir, common, out, cap)) {
    out[0] = '\0';
    return MEMGATE_EUNSUPPORTED;
  }
  return 0;
}

/* The commit: MEMGATE_COMMIT, GITHUB_SHA, or the checkout. */
static void host_commit(void) {
  const char *env = getenv("MEMGATE_COMMIT");
  char cwd[HOST_PATH_CAP];
  if (env) {
    size_t n = strlen(env);
    if (n == 0) return; /* explicitly none */
    if (n < sizeof g_host.commit && memgate__check_commit(env, n) == 0) {
      for (size_t i = 0; i <= n; i++) g_host.commit[i] = (char)tolower((unsigned char)env[i]);
      return;
    }
    g_host_rc = MEMGATE_ECONFIG;
    memgate__config_fail("MEMGATE_COMMIT", env, "expected 4 to 64 hex digits, or empty for none");
    return;
  }
  env = getenv("GITHUB_SHA");
  if (env && take_oid(env, g_host.commit, sizeof g_host.commit) && env[strlen(g_host.commit)] == '\0') return;
  g_host.commit[0] = '\0';
  if (getcwd(cwd, sizeof cwd)) (void)memgate__git_head(cwd, g_host.commit, sizeof g_host.commit);
}

static void host_once(void) {
  host_commit();
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) g_host.memory_bytes = (uint64_t)pages * (uint64_t)page;
#endif
#ifdef _SC_NPROCESSORS_ONLN
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) g_host.cpus = (uint32_t)cpus;
#endif
}

const memgate__host *memgate__host_get(void) {
  pthread_once(&g_host_once, host_once);
  return &g_host;
}

int memgate__host_rc(void) {
  pthread_once(&g_host_once, host_once);
  return g_host_rc;
}
