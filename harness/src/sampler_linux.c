/*
 * Linux sampler: footprint = RssAnon + VmSwap + VmPTE from /proc/self/status,
 * read with pread() at offset 0 from a descriptor kept open (reopened after
 * fork, since /proc/self resolved at open time). No allocation.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "memgate_internal.h"

#include <string.h>

/* The status parser is plain text handling, compiled everywhere so it can
 * be unit-tested with golden inputs. */

/* Parses "<digits> kB" after the key's colon; returns 0 or MEMGATE_EPARSE. */
static int parse_kb(const char *p, const char *end, uint64_t *out) {
  uint64_t v = 0;
  int digits = 0;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  while (p < end && *p >= '0' && *p <= '9') {
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX / 1024u - d) / 10u) return MEMGATE_EPARSE; /* overflow once scaled */
    v = v * 10u + d;
    digits++;
    p++;
  }
  if (digits == 0) return MEMGATE_EPARSE;
  while (p < end && *p == ' ') p++;
  /* cppcheck-suppress knownConditionTrueFalse ; false positive: p may be < end */
  if (end - p < 2 || p[0] != 'k' || p[1] != 'B') return MEMGATE_EPARSE;
  *out = v * 1024u;
  return 0;
}

int memgate__linux_parse_status(const char *buf, size_t len, memgate_footprint *out) {
  static const struct {
    const char *key;
    size_t off;
    uint32_t bit;
  } keys[] = {
      {"VmHWM:", offsetof(memgate_footprint, peak_resident_bytes), MEMGATE_HAS_PEAK_RESIDENT},
      {"VmRSS:", offsetof(memgate_footprint, resident_bytes), MEMGATE_HAS_RESIDENT},
      {"RssAnon:", offsetof(memgate_footprint, anon_bytes), MEMGATE_HAS_ANON},
      {"RssFile:", offsetof(memgate_footprint, file_bytes), MEMGATE_HAS_FILE},
      {"RssShmem:", offsetof(memgate_footprint, shmem_bytes), 0},
      {"VmSwap:", offsetof(memgate_footprint, swap_bytes), MEMGATE_HAS_SWAP},
      {"VmPTE:", offsetof(memgate_footprint, page_table_bytes), MEMGATE_HAS_PAGE_TABLE},
  };
  enum { NKEYS = sizeof keys / sizeof keys[0] };
  uint32_t seen = 0;

  if (!buf || !out) return MEMGATE_EINVAL;
  const char *p = buf, *end = buf + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    for (size_t k = 0; k < NKEYS; k++) {
      size_t kl = strlen(keys[k].key);
      if ((size_t)(eol - p) > kl && memcmp(p, keys[k].key, kl) == 0) {
        uint64_t v;
        if (seen & (1u << k)) return MEMGATE_EPARSE; /* duplicate key */
        if (parse_kb(p + kl, eol, &v) != 0) return MEMGATE_EPARSE;
        memcpy((char *)out + keys[k].off, &v, sizeof v);
        seen |= 1u << k;
        break;
      }
    }
    p = eol + 1;
  }
  /* RssAnon and VmPTE are required: without them there is no footprint.
   * Kernel threads and very old kernels lack them. VmSwap is absent on
   * kernels without swap support: then it is 0. */
  if (!(seen & (1u << 2)) || !(seen & (1u << 6))) return MEMGATE_EPARSE;
  for (size_t k = 0; k < NKEYS; k++)
    if (seen & (1u << k)) out->valid |= keys[k].bit;
  out->footprint_bytes = out->anon_bytes + out->swap_bytes + out->page_table_bytes;
  if ((seen & 1u) && (seen & (1u << 3)) && (seen & (1u << 4))) {
    /* Peak estimate: peak total resident minus the file-backed and shared
     * pages resident now, plus swap and page tables now. */
    uint64_t nonanon = out->file_bytes + out->shmem_bytes;
    uint64_t peak = out->peak_resident_bytes > nonanon ? out->peak_resident_bytes - nonanon : 0;
    peak += out->swap_bytes + out->page_table_bytes;
    out->peak_bytes = peak > out->footprint_bytes ? peak : out->footprint_bytes;
    out->valid |= MEMGATE_HAS_PEAK;
  }
  return 0;
}

#ifdef __linux__

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#  define MEMGATE__HAVE_MALLINFO2 1
#endif

static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int status_fd = -1;
static _Atomic pid_t status_pid = 0;
static int clear_refs_fd = -1;
static pid_t clear_refs_pid = 0;

/* Returns a status descriptor valid in this process, or -1 with errno. */
static int status_descriptor(void) {
  pid_t me = getpid();
  int fd = atomic_load(&status_fd);
  if (fd >= 0 && atomic_load(&status_pid) == me) return fd;
  pthread_mutex_lock(&fd_lock);
  fd = atomic_load(&status_fd);
  if (fd < 0 || atomic_load(&status_pid) != me) {
    /* After fork the inherited descriptor still shows the parent. */
    if (fd >= 0) close(fd);
    fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    atomic_store(&status_fd, fd);
    atomic_store(&status_pid, me);
  }
  pthread_mutex_unlock(&fd_lock);
  return fd;
}

int memgate__platform_read(memgate_footprint *out) {
  char buf[8192];
  ssize_t n;
  int fd = status_descriptor();

  memset(out, 0, sizeof *out);
  if (fd < 0) return MEMGATE_EIO;
  do {
    n = pread(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return MEMGATE_EIO;
  if ((size_t)n == sizeof buf) return MEMGATE_EPARSE; /* larger than any known status */
  int rc = memgate__linux_parse_status(buf, (size_t)n, out);
  if (rc != 0) return rc;
#ifdef MEMGATE__HAVE_MALLINFO2
  {
    struct mallinfo2 mi = mallinfo2();
    out->heap_bytes = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    out->valid |= MEMGATE_HAS_HEAP;
  }
#endif
  return 0;
}

int memgate__platform_reset_peak(void) {
  /* Writing "5" to clear_refs resets VmHWM to the current RSS (Linux 4.0+,
   * own process, unprivileged). */
  pid_t me = getpid();
  int rc = 0;
  pthread_mutex_lock(&fd_lock);
  if (clear_refs_fd < 0 || clear_refs_pid != me) {
    if (clear_refs_fd >= 0) close(clear_refs_fd);
    clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    clear_refs_pid = me;
  }
  if (clear_refs_fd < 0 || pwrite(clear_refs_fd, "5", 1, 0) != 1) rc = MEMGATE_EUNSUPPORTED;
  pthread_mutex_unlock(&fd_lock);
  return rc;
}

/* A freed small chunk leaves mallinfo2().uordblks unchanged only while the
 * per-thread cache holds it (without the cache it goes to a bin, counted as
 * free). Three sizes, in case one cache bin happens to be full. */
static bool g_cache_active;
static void probe_alloc_cache(void) {
#ifdef MEMGATE__HAVE_MALLINFO2
  static const size_t sizes[] = {24, 200, 1000};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    void *volatile p = malloc(sizes[i]);
    if (!p) continue;
    struct mallinfo2 a = mallinfo2();
    free(p);
    struct mallinfo2 b = mallinfo2();
    if (b.uordblks == a.uordblks) g_cache_active = true;
  }
#endif
}

bool memgate__platform_alloc_cache_active(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, probe_alloc_cache);
  return g_cache_active;
}

void memgate__platform_release(void) {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

const char *memgate__platform_key(void) {
#if defined(__x86_64__)
  return "linux-x86_64";
#elif defined(__aarch64__)
  return "linux-aarch64";
#elif defined(__i386__)
  return "linux-i386";
#elif defined(__arm__)
  return "linux-arm";
#elif defined(__riscv) && __riscv_xlen == 64
  return "linux-riscv64";
#elif defined(__powerpc64__)
  return "linux-ppc64";
#elif defined(__s390x__)
  return "linux-s390x";
#else
  return "linux-unknown";
#endif
}

#endif /* __linux__ */
