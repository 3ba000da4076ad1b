/*
 * Files for the library and the memgate command (file_io.c): opening a file
 * that must be a regular file without ever blocking on a FIFO or a device,
 * reading it whole, and the one atomic writer.
 *
 * Every function takes a directory descriptor and a name in it (AT_FDCWD
 * and a path work too), so a caller holding a lock on a directory acts on
 * that directory and not on whatever a path resolves to later. `shown` is
 * the name messages use. Errors: one line "shown: what is wrong" in err.
 */
#ifndef MEMGATE_FILE_IO_H
#define MEMGATE_FILE_IO_H

#include "memgate_internal.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Open flags some systems lack: without them the open still works. */
#ifndef O_CLOEXEC
#  define O_CLOEXEC 0
#endif
#ifndef O_DIRECTORY
#  define O_DIRECTORY 0
#endif
#ifndef O_NOFOLLOW
#  define O_NOFOLLOW 0
#endif
#ifndef O_NOCTTY
#  define O_NOCTTY 0
#endif

/* memgate__open_regular flags. */
#define MEMGATE__OPEN_NOFOLLOW 1 /* a symbolic link is an error, not followed */

/* Results of memgate__open_regular. */
#define MEMGATE__OPEN_OK 0
#define MEMGATE__OPEN_MISSING 1 /* no such file (and not a dangling link) */
#define MEMGATE__OPEN_ERROR (-1)

/*
 * Opens dirfd/name read-only. The open never blocks (O_NONBLOCK, cleared
 * again afterwards), and anything but a regular file is an error naming
 * what it is ("a FIFO", "a directory", ...). A symbolic link whose target
 * does not exist is an error naming the target, never "missing". With
 * MEMGATE__OPEN_NOFOLLOW a symbolic link is an error. On OK *fd is open and
 * *st (optional) describes it.
 */
MEMGATE__HIDDEN int memgate__open_regular(int dirfd, const char *name, const char *shown, int flags,
                                          int *fd, struct stat *st, char *err, size_t cap);
/* Reads at most max bytes (max + 1 to detect more) from fd into a malloc'd
 * buffer. 0, MEMGATE_ENOMEM or MEMGATE_EIO (errno set). */
MEMGATE__HIDDEN int memgate__read_fd(int fd, size_t max, char **out, size_t *len);
/* Reads the regular file at path (opened as memgate__open_regular does: a
 * FIFO never blocks) into buf: at most cap - 1 bytes, NUL-terminated; no
 * allocation. Bytes read, or -1 (missing, not a regular file, a read error). */
MEMGATE__HIDDEN long memgate__read_small(const char *path, char *buf, size_t cap);

/*
 * The one atomic writer: writes data into a new temporary file in dirfd
 * (named ".NAME.memgate-tmp.XXXXXX", see memgate__is_temp_name), fsyncs it,
 * gives it mode, renames it over name and fsyncs the directory. Readers see
 * the old file or the new one, never a part. On any failure (a full disk, a
 * read-only directory) the temporary file is removed, the old file is left
 * as it was, and err says so. 0 or -1.
 */
MEMGATE__HIDDEN int memgate__write_atomic(int dirfd, const char *name, const char *shown,
                                          const char *data, size_t len, mode_t mode, char *err,
                                          size_t cap);
/* The same for a path ("dir/name" or "name"): opens its directory. */
MEMGATE__HIDDEN int memgate__write_atomic_path(const char *path, const char *data, size_t len,
                                               mode_t mode, char *err, size_t cap);
/*
 * True when a directory entry is a temporary file of memgate__write_atomic
 * (".NAME.memgate-tmp.XXXXXX"), or, with legacy, of a baseline update by an
 * older memgate (mkstemp's ".NAME.json.XXXXXX").
 */
MEMGATE__HIDDEN bool memgate__is_temp_name(const char *entry, bool legacy);
/* Creates dir and its parents (mode 0777 less the umask). 0 or -1 with err. */
MEMGATE__HIDDEN int memgate__mkdir_p(const char *dir, char *err, size_t cap);

#endif
