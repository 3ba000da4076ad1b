/*
 * Baseline files on disk: reading one (memgate__bl_load) and the locked,
 * atomic merge (memgate__bl_update). docs/CI.md describes the rules:
 *
 * - a baseline file is a regular file; a FIFO or a device never blocks (the
 *   open is non-blocking and checked with fstat), a dangling symbolic link is
 *   an error naming its target, never "no baseline";
 * - an update takes an exclusive flock on the directory and then works only
 *   through that directory's descriptor (openat, renameat, unlinkat), so the
 *   directory locked is the directory written;
 * - an update refuses a symbolic link as the baseline file: replacing it by
 *   rename would silently turn the link into a regular file;
 * - temporary files left by a killed updater (".NAME.json.memgate-tmp.XXXXXX",
 *   or an older version's ".NAME.json.XXXXXX") are removed under the lock:
 *   while it is held nobody else can be writing one.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "baseline_store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define msgf memgate__msgf
#define PATH_CAP 4096

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Reads and parses an open file; closes fd. */
static int load_fd(int fd, const char *path, const char *name, memgate__bl_file *out, char **text,
                   size_t *len, char *err, size_t cap) {
  int rc = memgate__read_fd(fd, MEMGATE__BL_MAX_FILE, text, len);
  close(fd);
  if (rc) {
    msgf(err, cap, "%s: cannot read: %s", path, rc == MEMGATE_EIO ? strerror(errno) : "out of memory");
    return rc == MEMGATE_EIO ? MEMGATE_EBASELINE : rc;
  }
  return memgate__bl_parse(*text, *len, path, name, out, err, cap);
}

int memgate__bl_load(const char *path, memgate__bl_file *out, bool *missing, char *err, size_t cap) {
  char *text = NULL;
  size_t len = 0;
  int fd;
  memset(out, 0, sizeof *out);
  if (missing) *missing = false;
  int o = memgate__open_regular(AT_FDCWD, path, path, 0, &fd, NULL, err, cap);
  if (o == MEMGATE__OPEN_ERROR) return MEMGATE_EBASELINE;
  if (o == MEMGATE__OPEN_MISSING) {
    if (missing) *missing = true;
    out->path = memgate__bl_strdup(path);
    return out->path ? 0 : MEMGATE_ENOMEM;
  }
  int rc = load_fd(fd, path, base_name(path), out, &text, &len, err, cap);
  free(text);
  return rc;
}

/* ------------------------------------------------------------------------
 * Locked update
 * ------------------------------------------------------------------------ */

typedef struct upd {
  const char *dir, *name;
  char path[PATH_CAP];
  int dfd;
  memgate__bl_file f;
  char *old;      /* the current text, NULL when there is no file */
  size_t old_len;
  mode_t mode;
  char *err;
  size_t cap;
} upd;

/* Opens (creating) the directory and takes the lock. A dry run creates
 * nothing: a missing directory holds no file (u->dfd stays -1). */
static int lock_dir(upd *u, bool dry_run) {
  if (dry_run && access(u->dir, F_OK) != 0 && errno == ENOENT) return 0;
  if (!dry_run && memgate__mkdir_p(u->dir, u->err, u->cap) != 0) return MEMGATE_EBASELINE;
  u->dfd = open(u->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u->dfd < 0) {
    msgf(u->err, u->cap, "%s: cannot open directory: %s", u->dir, strerror(errno));
    return MEMGATE_EBASELINE;
  }
  /* The directory is the lock: the file itself is replaced by rename, so a
   * lock on it would not exclude a writer that opened the new one. */
  while (flock(u->dfd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    msgf(u->err, u->cap, "%s: cannot lock directory: %s", u->dir, strerror(errno));
    return MEMGATE_EBASELINE;
  }
  return 0;
}

/* A temporary baseline file: ours for a NAME.json, or an older version's. */
static bool stale_temp(const char *entry) {
  return memgate__is_temp_name(entry, true) &&
         (strstr(entry, ".json.memgate-tmp.") || !strstr(entry, ".memgate-tmp."));
}

/* Removes temporary files of killed updaters (under the lock). */
static void remove_stale_temps(const upd *u) {
  int fd = openat(u->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    return;
  }
  for (const struct dirent *de; (de = readdir(d)) != NULL;)
    if (stale_temp(de->d_name)) (void)unlinkat(u->dfd, de->d_name, 0);
  closedir(d);
}

/* Reads and parses the current file, if any (through the directory). */
static int read_current(upd *u) {
  struct stat lst, st;
  int fd;
  if (u->dfd < 0) return 0; /* a dry run on a missing directory */
  if (fstatat(u->dfd, u->name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
    char target[512];
    ssize_t n = readlinkat(u->dfd, u->name, target, sizeof target - 1);
    target[n > 0 ? (size_t)n : 0] = '\0';
    msgf(u->err, u->cap,
         "%s: a symbolic link (to \"%.300s\"): memgate does not update through links, as replacing "
         "the file would turn the link into a copy; update the directory that holds the file, or "
         "replace the link with the file",
         u->path, target);
    return MEMGATE_EBASELINE;
  }
  int o = memgate__open_regular(u->dfd, u->name, u->path, MEMGATE__OPEN_NOFOLLOW, &fd, &st, u->err,
                                u->cap);
  if (o == MEMGATE__OPEN_MISSING) return 0;
  if (o == MEMGATE__OPEN_ERROR) return MEMGATE_EBASELINE;
  u->mode = st.st_mode & 07777;
  return load_fd(fd, u->path, u->name, &u->f, &u->old, &u->old_len, u->err, u->cap);
}

/* Every entry must belong in this file and have valid keys. */
static int check_entries(const upd *u, const memgate__bl_entry *entries, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char want[128];
    memgate__bl_file_name(entries[i].scope, want, sizeof want);
    if (strcmp(want, u->name) != 0 || !memgate__bl_scope_ok(entries[i].scope) ||
        !memgate__bl_platform_ok(entries[i].platform)) {
      msgf(u->err, u->cap, "%s: refusing to store scope \"%.80s\" / \"%.63s\" here", u->path,
           entries[i].scope, entries[i].platform);
      return MEMGATE_EINVAL;
    }
  }
  return 0;
}

/* Removes the entries ext->drop selects (memgate update --prune). */
static void drop_entries(memgate__bl_file *f, memgate__bl_update_ext *ext) {
  size_t k = 0;
  for (size_t i = 0; i < f->count; i++) {
    if (ext->drop(&f->entries[i], ext->ctx)) {
      memgate__bl_entry_free(&f->entries[i]);
      ext->dropped++;
    } else {
      f->entries[k++] = f->entries[i];
    }
  }
  f->count = k;
}

/* Hands the texts before and after to a dry run (ownership moves). */
static void give_texts(upd *u, memgate__bl_update_ext *ext, char *text, size_t len) {
  ext->before = u->old;
  ext->before_len = u->old ? u->old_len : 0;
  ext->after = text;
  ext->after_len = len;
  u->old = NULL;
}

/* Merges, and writes when the text changed (a dry run writes nothing and
 * hands both texts to ext). */
static int merge_and_write(upd *u, const memgate__bl_entry *entries, size_t n, memgate__bl_update_ext *ext,
                           bool *changed) {
  size_t len = 0;
  if (memgate__bl_put_many(&u->f, entries, n) != 0) {
    msgf(u->err, u->cap, "%s: out of memory", u->path);
    return MEMGATE_ENOMEM;
  }
  if (ext && ext->drop) drop_entries(&u->f, ext);
  char *text = memgate__bl_format(&u->f, &len);
  if (!text) {
    msgf(u->err, u->cap, "%s: out of memory", u->path);
    return MEMGATE_ENOMEM;
  }
  int rc = 0;
  bool differs = !u->old || u->old_len != len || memcmp(u->old, text, len) != 0;
  if (len > MEMGATE__BL_MAX_FILE) {
    /* It could never be read back: refuse before anything is written. */
    msgf(u->err, u->cap,
         "%s: the merged file would be %zu bytes, more than the %u a baseline file may have; "
         "split its scopes over several files (a scope's file is named after the part of its "
         "name before the first '.')",
         u->path, len, MEMGATE__BL_MAX_FILE);
    rc = MEMGATE_EBASELINE;
  } else if (ext && ext->dry_run) {
    if (changed) *changed = differs;
    give_texts(u, ext, text, len);
    return 0;
  } else if (differs) {
    rc = memgate__write_atomic(u->dfd, u->name, u->path, text, len, u->mode, u->err, u->cap)
             ? MEMGATE_EBASELINE
             : 0;
    if (!rc && changed) *changed = true;
  }
  free(text);
  return rc;
}

int memgate__bl_update_ex(const char *dir, const char *name, const memgate__bl_entry *entries, size_t n,
                          memgate__bl_update_ext *ext, bool *changed, char *err, size_t cap) {
  upd u;
  if (changed) *changed = false;
  memset(&u, 0, sizeof u);
  u.dir = dir;
  u.name = name;
  u.dfd = -1;
  u.mode = 0644;
  u.err = err;
  u.cap = cap;
  if (!dir || !*dir || !name || !*name || strchr(name, '/') || name[0] == '.') {
    msgf(err, cap, "memgate: invalid baseline location");
    return MEMGATE_EINVAL;
  }
  if ((size_t)snprintf(u.path, sizeof u.path, "%s/%s", dir, name) >= sizeof u.path) {
    msgf(err, cap, "%s: path too long", dir);
    return MEMGATE_EBASELINE;
  }
  int rc = lock_dir(&u, ext && ext->dry_run);
  if (!rc && u.dfd >= 0 && !(ext && ext->dry_run)) remove_stale_temps(&u);
  if (!rc) rc = read_current(&u);
  if (!rc) rc = check_entries(&u, entries, n);
  if (!rc) rc = merge_and_write(&u, entries, n, ext, changed);
  memgate__bl_free(&u.f);
  free(u.old);
  if (u.dfd >= 0) close(u.dfd); /* releases the lock */
  return rc;
}

int memgate__bl_update(const char *dir, const char *name, const memgate__bl_entry *entries,
                       size_t n, bool *changed, char *err, size_t cap) {
  return memgate__bl_update_ex(dir, name, entries, n, NULL, changed, err, cap);
}
