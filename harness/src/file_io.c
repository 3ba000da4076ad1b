/*
 * Files: non-blocking, fstat-checked opens relative to a directory, whole
 * reads, and the one atomic writer (file_io.h).
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "file_io.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define msgf memgate__msgf
#define TEMP_INFIX ".memgate-tmp."
#define TEMP_RAND 6
#define NAME_CAP 4096

static const char *type_text(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  return "not a regular file";
}

/* name does not exist as a file: a dangling link is an error, else missing. */
static int open_missing(int dirfd, const char *name, const char *shown, char *err, size_t cap) {
  struct stat lst;
  char target[512];
  if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(lst.st_mode))
    return MEMGATE__OPEN_MISSING;
  ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
  target[n > 0 ? (size_t)n : 0] = '\0';
  msgf(err, cap, "%s: a symbolic link to \"%.400s\", which does not exist (a dangling link is an "
       "error, not a missing baseline)", shown, target);
  return MEMGATE__OPEN_ERROR;
}

int memgate__open_regular(int dirfd, const char *name, const char *shown, int flags, int *fd,
                          struct stat *st, char *err, size_t cap) {
  struct stat sb;
  int of = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  if (flags & MEMGATE__OPEN_NOFOLLOW) of |= O_NOFOLLOW;
  if (!st) st = &sb;
  *fd = openat(dirfd, name, of);
  if (*fd < 0) {
    int e = errno;
    if (e == ENOENT) return open_missing(dirfd, name, shown, err, cap);
    if (e == ELOOP && (flags & MEMGATE__OPEN_NOFOLLOW))
      msgf(err, cap, "%s: a symbolic link (not followed here)", shown);
    else
      msgf(err, cap, "%s: cannot open: %s", shown, strerror(e));
    return MEMGATE__OPEN_ERROR;
  }
  if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
    msgf(err, cap, "%s: %s, not a regular file", shown, type_text(st->st_mode));
    close(*fd);
    *fd = -1;
    return MEMGATE__OPEN_ERROR;
  }
  int fl = fcntl(*fd, F_GETFL);
  if (fl != -1) (void)fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK);
  return MEMGATE__OPEN_OK;
}

long memgate__read_small(const char *path, char *buf, size_t cap) {
  char err[8]; /* the reason is not reported: any failure is -1 */
  int fd;
  if (cap == 0 || memgate__open_regular(AT_FDCWD, path, path, 0, &fd, NULL, err, sizeof err) !=
                      MEMGATE__OPEN_OK)
    return -1;
  size_t n = 0;
  ssize_t r = 0;
  while (n + 1 < cap) {
    r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (r < 0) return -1;
  buf[n] = '\0';
  return (long)n;
}

int memgate__read_fd(int fd, size_t max, char **out, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) return MEMGATE_ENOMEM;
  for (;;) {
    if (n == cap) {
      if (cap > max) break;
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return MEMGATE_ENOMEM;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(buf);
      errno = e;
      return MEMGATE_EIO;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > max) break;
  }
  *out = buf;
  *len = n;
  return 0;
}

/* ------------------------------------------------------------------------
 * The atomic writer
 * ------------------------------------------------------------------------ */

static bool rand_tail(const char *p) {
  size_t n = 0;
  for (; *p; p++, n++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
      return false;
  return n == TEMP_RAND;
}

bool memgate__is_temp_name(const char *entry, bool legacy) {
  size_t n = strlen(entry), il = strlen(TEMP_INFIX);
  if (entry[0] != '.' || n < 2 + il + TEMP_RAND) {
    /* too short for ours; the legacy form may still fit */
  } else if (strncmp(entry + n - TEMP_RAND - il, TEMP_INFIX, il) == 0) {
    return rand_tail(entry + n - TEMP_RAND);
  }
  /* Older versions: mkstemp's ".NAME.json.XXXXXX". */
  return legacy && entry[0] == '.' && n > 7 + TEMP_RAND &&
         strncmp(entry + n - TEMP_RAND - 6, ".json.", 6) == 0 && rand_tail(entry + n - TEMP_RAND);
}

/* Creates ".NAME.memgate-tmp.XXXXXX" in dirfd (O_EXCL); tmp gets the name. */
static int create_temp(int dirfd, const char *name, char *tmp, size_t cap) {
  static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static unsigned counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40) ^
               (uint64_t)(uintptr_t)tmp;
  for (int attempt = 0; attempt < 100; attempt++) {
    char r[TEMP_RAND + 1];
    x += 0x9E3779B97F4A7C15ull * (uint64_t)(++counter);
    uint64_t y = x;
    for (int i = 0; i < TEMP_RAND; i++, y /= 62) r[i] = digits[y % 62];
    r[TEMP_RAND] = '\0';
    if ((size_t)snprintf(tmp, cap, ".%s" TEMP_INFIX "%s", name, r) >= cap) {
      errno = ENAMETOOLONG;
      return -1;
    }
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

/* Writes, gives the mode, syncs and closes; the fd is closed in every case. */
static int fill_temp(int fd, const char *data, size_t len, mode_t mode) {
  int ok = memgate__write_all(fd, data, len) == 0 && fchmod(fd, mode) == 0 && fsync(fd) == 0;
  int e = errno;
  if (close(fd) != 0 && ok) return -1;
  errno = e;
  return ok ? 0 : -1;
}

int memgate__write_atomic(int dirfd, const char *name, const char *shown, const char *data,
                          size_t len, mode_t mode, char *err, size_t cap) {
  char tmp[NAME_CAP];
  int fd = create_temp(dirfd, name, tmp, sizeof tmp);
  if (fd < 0) {
    msgf(err, cap, "%s: cannot create a temporary file next to it: %s (the file is unchanged)",
         shown, strerror(errno));
    return -1;
  }
  if (fill_temp(fd, data, len, mode) != 0) {
    int e = errno;
    (void)unlinkat(dirfd, tmp, 0);
    msgf(err, cap, "%s: cannot write: %s (the file is unchanged)", shown, strerror(e));
    return -1;
  }
  if (renameat(dirfd, tmp, dirfd, name) != 0) {
    int e = errno;
    (void)unlinkat(dirfd, tmp, 0);
    msgf(err, cap, "%s: cannot replace: %s (the file is unchanged)", shown, strerror(e));
    return -1;
  }
  (void)fsync(dirfd); /* makes the rename durable; not supported everywhere */
  return 0;
}

int memgate__write_atomic_path(const char *path, const char *data, size_t len, mode_t mode,
                               char *err, size_t cap) {
  char dir[NAME_CAP];
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  if (!*name || (slash && (size_t)(slash - path) >= sizeof dir)) {
    msgf(err, cap, "%s: not a file name", path);
    return -1;
  }
  if (slash) {
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
  }
  int dfd = open(!slash ? "." : slash == path ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    msgf(err, cap, "%s: cannot open its directory: %s", path, strerror(errno));
    return -1;
  }
  int rc = memgate__write_atomic(dfd, name, path, data, len, mode, err, cap);
  close(dfd);
  return rc;
}

int memgate__mkdir_p(const char *dir, char *err, size_t cap) {
  char tmp[NAME_CAP];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof tmp) {
    msgf(err, cap, "%s: invalid directory name", dir);
    return -1;
  }
  memcpy(tmp, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (tmp[i] != '/' && tmp[i] != '\0') continue;
    char c = tmp[i];
    tmp[i] = '\0';
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
      msgf(err, cap, "%s: cannot create directory: %s", tmp, strerror(errno));
      return -1;
    }
    tmp[i] = c;
  }
  return 0;
}
