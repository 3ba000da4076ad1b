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

/*
 * glibc's per-thread cache (tcache). A freed small chunk goes into the
 * calling thread's bin for its size while that bin holds fewer than
 * tcache_count entries (7 by default), and mallinfo2() counts cached chunks
 * as in use. A bin only ever fills up to the most chunks of its size the
 * thread held at once, so under random-size churn the cached total keeps
 * creeping up for thousands of iterations and looks like a small leak.
 *
 * The probe learns the cache's geometry by experiment (no glibc internals):
 * walking the bins by malloc_usable_size(), it allocates K chunks of a bin's
 * size twice and counts, through mallinfo2(), how many of the second round
 * came from the arena rather than from the cache. A bin that returns all K
 * is not cached; that ends the walk. memgate__platform_fill_alloc_cache()
 * then tops every bin up to its capacity, so the cache holds the same chunks
 * at every sample and the allocator view moves only with real allocations.
 */
enum { CACHE_MAX_BINS = 160, CACHE_MAX_SLOTS = 32, CACHE_MAX_REQUEST = 65536 };

static struct {
  bool active;   /* freed small chunks stay counted as in use */
  bool fillable; /* geometry known and small enough to fill */
  uint16_t nbins;
  uint8_t slots[CACHE_MAX_BINS];  /* capacity of each bin */
  uint32_t request[CACHE_MAX_BINS]; /* a request size that maps to the bin */
} g_cache;

#ifdef MEMGATE__HAVE_MALLINFO2
/* Allocates n chunks of `request` bytes, then frees them (newest first).
 * volatile keeps the compiler from pairing and removing malloc/free. */
static void cycle_chunks(size_t request, unsigned n) {
  void *volatile held[CACHE_MAX_SLOTS + 1];
  for (unsigned j = 0; j < n; j++) held[j] = malloc(request);
  while (n-- > 0)
    if (held[n]) free(held[n]);
}

/* Capacity of the bin `request` falls in: 0..CACHE_MAX_SLOTS, or
 * CACHE_MAX_SLOTS + 1 for "more than we fill"; -1 when the figures do not
 * add up (another thread allocated meanwhile, or mallinfo2() does not track
 * this malloc, as under a sanitizer's or valgrind's allocator). *usable
 * gets the bin's exact usable size.
 *
 * The first round leaves the bin full. In the second, the cached chunks
 * come back first and were already counted as in use; the rest come from
 * the arena, sometimes a little larger than asked (a free chunk too small to
 * split is handed out whole). The smallest chunk of the round has the
 * bin's exact size, so in-use growth = sum of the round's chunk sizes -
 * capacity x exact size. glibc chunks carry one size_t of header beyond
 * the usable bytes. */
static int bin_capacity(size_t request, size_t *usable) {
  const unsigned k = CACHE_MAX_SLOTS + 1;
  for (int attempt = 0; attempt < 3; attempt++) {
    cycle_chunks(request, k);
    void *volatile held[CACHE_MAX_SLOTS + 1];
    size_t a = mallinfo2().uordblks;
    for (unsigned j = 0; j < k; j++) held[j] = malloc(request);
    size_t b = mallinfo2().uordblks;
    size_t sum = 0, least = SIZE_MAX;
    bool all = true;
    for (unsigned j = 0; j < k; j++) {
      if (!held[j]) {
        all = false;
        continue;
      }
      size_t u = malloc_usable_size(held[j]);
      sum += u + sizeof(size_t);
      if (u < least) least = u;
    }
    for (unsigned j = k; j-- > 0;)
      if (held[j]) free(held[j]);
    if (!all || least < request || b < a || sum < b - a) continue;
    size_t chunk = least + sizeof(size_t), cached = sum - (b - a);
    if (cached % chunk != 0 || cached / chunk > k) continue;
    *usable = least;
    return (int)(cached / chunk);
  }
  return -1;
}
#endif

static void probe_alloc_cache(void) {
#ifdef MEMGATE__HAVE_MALLINFO2
  size_t request = 1;
  while (request <= CACHE_MAX_REQUEST) {
    size_t usable = 0;
    int cap = bin_capacity(request, &usable);
    if (cap == 0) break; /* past the cached sizes */
    if (cap < 0 || cap > CACHE_MAX_SLOTS || g_cache.nbins == CACHE_MAX_BINS) {
      /* Cannot be measured, or too large to fill: treat as an active cache
       * that cannot be evened out (the cautious thresholds apply). */
      g_cache.active = true;
      g_cache.fillable = false;
      return;
    }
    g_cache.slots[g_cache.nbins] = (uint8_t)cap;
    g_cache.request[g_cache.nbins] = (uint32_t)usable;
    g_cache.nbins++;
    request = usable + 1;
  }
  g_cache.active = g_cache.nbins > 0;
  g_cache.fillable = g_cache.active && request <= CACHE_MAX_REQUEST;
#endif
}

static void probe_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, probe_alloc_cache);
}

bool memgate__platform_alloc_cache_active(void) {
  probe_once();
  return g_cache.active;
}

bool memgate__platform_alloc_cache_fillable(void) {
  probe_once();
  return g_cache.fillable;
}

/* glibc has no magazines (memgate_internal.h). */
uint64_t memgate__platform_alloc_kept_bytes(void) { return 0; }

#ifdef MEMGATE__HAVE_MALLINFO2
/* Tops up one bin: takes chunks until `slots` of them have the bin's exact
 * size (the cached ones come back first), then frees the exact ones into
 * the bin. A chunk handed out larger than asked (a free chunk too small to
 * split) would land in another bin or the arena, so it is freed first,
 * while the bin still has no room for exact ones to be displaced. */
static void top_up_bin(size_t usable, unsigned slots) {
  void *volatile held[2 * CACHE_MAX_SLOTS];
  bool exact[2 * CACHE_MAX_SLOTS] = {false};
  unsigned n = 0, good = 0;
  while (good < slots && n < 2 * CACHE_MAX_SLOTS) {
    void *p = malloc(usable);
    if (!p) break;
    held[n] = p;
    exact[n] = malloc_usable_size(p) == usable;
    if (exact[n]) good++;
    n++;
  }
  for (unsigned j = 0; j < n; j++)
    if (!exact[j]) free(held[j]);
  for (unsigned j = n; j-- > 0;)
    if (exact[j]) free(held[j]);
}
#endif

void memgate__platform_fill_alloc_cache(void) {
#ifdef MEMGATE__HAVE_MALLINFO2
  probe_once();
  if (!g_cache.fillable) return;
  for (uint16_t i = 0; i < g_cache.nbins; i++) top_up_bin(g_cache.request[i], g_cache.slots[i]);
#endif
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
