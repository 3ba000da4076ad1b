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
#include <gnu/libc-version.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#  define MEMGATE__HAVE_MALLINFO2 1
#endif

/*
 * Descriptors of /proc/self/{statm,status,clear_refs}, opened once and read
 * with pread() at offset 0 (fresh values every time). /proc/self is
 * resolved at open, so a forked child must reopen: pthread_atfork's child
 * handler closes them (close() is async-signal-safe; no lock is taken in
 * the child), which spares a getpid() per read.
 */
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int statm_fd = -1, status_fd = -1, clear_refs_fd = -1;

static void drop_fd(_Atomic int *slot) {
  int fd = atomic_exchange(slot, -1);
  if (fd >= 0) close(fd);
}

static void forget_cache(void);
static void after_fork_child(void) {
  drop_fd(&statm_fd);
  drop_fd(&status_fd);
  drop_fd(&clear_refs_fd);
  forget_cache();
}

static void register_fork_handler(void) { (void)pthread_atfork(NULL, NULL, after_fork_child); }

/* The descriptor in *slot, opened on first use; -1 with errno on failure. */
static int proc_fd(_Atomic int *slot, const char *path, int flags) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  int fd = atomic_load(slot);
  if (fd >= 0) return fd;
  pthread_once(&once, register_fork_handler);
  pthread_mutex_lock(&fd_lock);
  fd = atomic_load(slot);
  if (fd < 0) {
    fd = open(path, flags | O_CLOEXEC);
    atomic_store(slot, fd);
  }
  pthread_mutex_unlock(&fd_lock);
  return fd;
}

/* Reads a whole /proc file into buf (NUL-terminated): its length, or
 * MEMGATE_EIO (unreadable, empty) or MEMGATE_EPARSE (larger than any known). */
static ssize_t read_proc(_Atomic int *slot, const char *path, char *buf, size_t cap) {
  int fd = proc_fd(slot, path, O_RDONLY);
  ssize_t n;
  if (fd < 0) return MEMGATE_EIO;
  do {
    n = pread(fd, buf, cap - 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return MEMGATE_EIO;
  if ((size_t)n == cap - 1) return MEMGATE_EPARSE;
  buf[n] = '\0';
  return n;
}

/* statm's second and third numbers: resident and shared (file + shmem)
 * pages. resident - shared is RssAnon exactly (the kernel computes shared
 * as file + shmem). */
static int read_statm(uint64_t *resident, uint64_t *anon) {
  char buf[256];
  unsigned long long size, res, shared;
  ssize_t n = read_proc(&statm_fd, "/proc/self/statm", buf, sizeof buf);
  if (n < 0) return (int)n;
  if (sscanf(buf, "%llu %llu %llu", &size, &res, &shared) != 3 || shared > res)
    return MEMGATE_EPARSE;
  *resident = (uint64_t)res * memgate__page_size();
  *anon = (uint64_t)(res - shared) * memgate__page_size();
  return 0;
}

static void read_heap(memgate_footprint *out) {
#ifdef MEMGATE__HAVE_MALLINFO2
  struct mallinfo2 mi = mallinfo2();
  out->heap_bytes = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
  out->valid |= MEMGATE_HAS_HEAP;
#else
  (void)out;
#endif
}

/*
 * What statm cannot show: VmSwap and VmPTE, kept from the last full read.
 * A fast read reuses them while RssAnon stands where that read saw it and
 * no swap is configured; otherwise it reads the status file. docs/DESIGN.md
 * ("Sampling cost") says how stale they can be.
 */
static struct {
  pthread_mutex_t lock;
  bool valid;
  int swap_configured; /* -1 unknown, 0 no swap device, 1 swap */
  uint64_t anon, swap, pte;
} g_status = {PTHREAD_MUTEX_INITIALIZER, false, -1, 0, 0, 0};

static void forget_cache(void) { g_status.valid = false; /* child: no other thread */ }

/* True when /proc/swaps lists a swap area (anonymous pages may move out
 * without RssAnon telling statm's reader anything else). */
static bool swap_configured(void) {
  if (g_status.swap_configured < 0) {
    FILE *f = fopen("/proc/swaps", "re");
    int lines = 0;
    if (f) {
      for (int c = getc(f); c != EOF; c = getc(f))
        if (c == '\n') lines++;
      fclose(f);
    }
    g_status.swap_configured = !f || lines > 1; /* unreadable: assume swap */
  }
  return g_status.swap_configured != 0;
}

int memgate__platform_read(memgate_footprint *out) {
  char buf[8192];
  memset(out, 0, sizeof *out);
  ssize_t n = read_proc(&status_fd, "/proc/self/status", buf, sizeof buf);
  if (n < 0) return (int)n;
  int rc = memgate__linux_parse_status(buf, (size_t)n, out);
  if (rc != 0) return rc;
  pthread_mutex_lock(&g_status.lock);
  g_status.valid = true;
  g_status.anon = out->anon_bytes;
  g_status.swap = out->swap_bytes;
  g_status.pte = out->page_table_bytes;
  pthread_mutex_unlock(&g_status.lock);
  read_heap(out);
  return 0;
}

int memgate__platform_read_fast(memgate_footprint *out) {
  uint64_t resident, anon;
  int rc = read_statm(&resident, &anon);
  if (rc != 0) return rc;
  bool swap = swap_configured();
  pthread_mutex_lock(&g_status.lock);
  bool reuse = g_status.valid && !swap && g_status.swap == 0 && g_status.anon == anon;
  uint64_t pte = g_status.pte;
  pthread_mutex_unlock(&g_status.lock);
  if (!reuse) return memgate__platform_read(out);
  memset(out, 0, sizeof *out);
  out->resident_bytes = resident;
  out->anon_bytes = anon;
  out->page_table_bytes = pte;
  out->footprint_bytes = anon + pte;
  out->valid = MEMGATE_HAS_RESIDENT | MEMGATE_HAS_ANON | MEMGATE_HAS_SWAP | MEMGATE_HAS_PAGE_TABLE;
  read_heap(out);
  return 0;
}

int memgate__platform_reset_peak(void) {
  /* Writing "5" to clear_refs resets VmHWM to the current RSS (Linux 4.0+,
   * own process, unprivileged). */
  int fd = proc_fd(&clear_refs_fd, "/proc/self/clear_refs", O_WRONLY);
  if (fd < 0 || pwrite(fd, "5", 1, 0) != 1) return MEMGATE_EUNSUPPORTED;
  return 0;
}

/*
 * glibc's per-thread cache (tcache). A freed small chunk goes into the
 * calling thread's bin for its size while that bin holds fewer than
 * tcache_count entries, and mallinfo2() counts cached chunks as in use. A
 * bin only ever fills up to the most chunks of its size the thread held at
 * once, so under random-size churn the cached total keeps creeping up for
 * thousands of iterations and looks like a small leak.
 *
 * The geometry comes from facts that no earlier allocation can perturb
 * (glibc's malloc.c, 2.26 and later): 64 bins of chunk sizes MINSIZE,
 * MINSIZE + MALLOC_ALIGNMENT, ... (usable size = chunk size - SIZE_SZ; on
 * 64-bit 24, 40, ..., 1032 bytes), tcache_count = 7 chunks each, changed
 * only by GLIBC_TUNABLES glibc.malloc.tcache_count / glibc.malloc.tcache_max
 * as the process started. Counting cached chunks by experiment was fooled
 * by free chunks earlier code left in the small bins (glibc stashes them
 * into the cache while serving a request). One 4 KiB request (above every
 * cached size) checks that mallinfo2() tracks the malloc in use (not under
 * a sanitizer's or valgrind's allocator); nothing else is allocated but
 * the thread's cache itself, which its first malloc would make anyway.
 * memgate__platform_fill_alloc_cache() then tops every bin up before each
 * sample, so the cache holds the same chunks at every sample and the
 * allocator view moves only with real allocations.
 */
enum { CACHE_BINS = 64, CACHE_MAX_SLOTS = 32 };

static struct {
  bool active;   /* freed small chunks stay counted as in use */
  bool fillable; /* geometry known and small enough to fill */
  uint16_t nbins;
  uint8_t slots;                  /* capacity of every bin */
  uint32_t request[CACHE_BINS];   /* the usable size of each bin */
} g_cache;

/* The value of glibc tunable `name` in GLIBC_TUNABLES (decimal or 0x hex),
 * or dflt when it is not set. */
static unsigned long tunable(const char *name, unsigned long dflt) {
  const char *t = getenv("GLIBC_TUNABLES");
  size_t len = strlen(name);
  for (const char *p = t; p && *p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
    if (strncmp(p, name, len) == 0 && p[len] == '=') {
      char *end;
      unsigned long v = strtoul(p + len + 1, &end, 0);
      if (end != p + len + 1 && (*end == ':' || *end == '\0')) return v;
    }
  }
  return dflt;
}

/* glibc 2.26 or later (the first with the per-thread cache). */
static bool glibc_has_tcache(void) {
  unsigned major = 0, minor = 0;
  return sscanf(gnu_get_libc_version(), "%u.%u", &major, &minor) == 2 &&
         (major > 2 || (major == 2 && minor >= 26));
}

#ifdef MEMGATE__HAVE_MALLINFO2
/* True when mallinfo2() sees the chunks malloc() hands out: a 4 KiB
 * request (never cached) must add its chunk to uordblks. */
static bool mallinfo_tracks_malloc(void) {
  /* A thread's first malloc also allocates its cache: make that happen
   * before the measured request. */
  void *volatile first = malloc(1); /* cppcheck-suppress unusedAllocatedMemory */
  free(first);
  size_t a = mallinfo2().uordblks;
  void *volatile p = malloc(4096);
  if (!p) return false;
  size_t b = mallinfo2().uordblks;
  bool ok = b - a == malloc_usable_size(p) + sizeof(size_t);
  free(p);
  return ok;
}
#endif

static void probe_alloc_cache(void) {
#ifdef MEMGATE__HAVE_MALLINFO2
  const size_t sz = sizeof(size_t);
  const size_t align = 2 * sz > __alignof__(long double) ? 2 * sz : __alignof__(long double);
  const size_t minsize = (4 * sz + align - 1) & ~(align - 1);
  unsigned long count = tunable("glibc.malloc.tcache_count", 7);
  unsigned long max = tunable("glibc.malloc.tcache_max", (CACHE_BINS - 1) * align + minsize - sz);
  if (!glibc_has_tcache() || count == 0) return; /* no cache: exact allocator view */
  g_cache.active = true;
  if (!mallinfo_tracks_malloc() || count > CACHE_MAX_SLOTS) return; /* cannot be evened out */
  for (size_t i = 0; i < CACHE_BINS; i++) {
    size_t usable = minsize + i * align - sz;
    if (usable > max && i > 0) break;
    g_cache.request[g_cache.nbins++] = (uint32_t)usable;
  }
  g_cache.slots = (uint8_t)count;
  g_cache.fillable = true;
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
  for (uint16_t i = 0; i < g_cache.nbins; i++) top_up_bin(g_cache.request[i], g_cache.slots);
#endif
}

/*
 * Gives freed memory back (malloc_trim(0): 0.3-4 us on a small heap, but
 * ms on a fragmented 100 MiB one). Skipped when neither the allocator's
 * free bytes (fordblks) nor RssAnon grew since the last trim: then there
 * is nothing new it could give back.
 */
static struct {
  pthread_mutex_t lock;
  bool known;
  uint64_t free_bytes, anon;
} g_trim = {PTHREAD_MUTEX_INITIALIZER, false, 0, 0};

void memgate__platform_release(void) {
#ifdef __GLIBC__
  uint64_t resident, anon;
#  ifdef MEMGATE__HAVE_MALLINFO2
  uint64_t free_bytes = mallinfo2().fordblks;
#  else
  uint64_t free_bytes = UINT64_MAX;
#  endif
  bool statm_ok = read_statm(&resident, &anon) == 0;
  pthread_mutex_lock(&g_trim.lock);
  bool skip = statm_ok && g_trim.known && free_bytes <= g_trim.free_bytes && anon <= g_trim.anon;
  pthread_mutex_unlock(&g_trim.lock);
  if (skip) return;
  malloc_trim(0);
#  ifdef MEMGATE__HAVE_MALLINFO2
  free_bytes = mallinfo2().fordblks;
#  endif
  statm_ok = read_statm(&resident, &anon) == 0;
  pthread_mutex_lock(&g_trim.lock);
  g_trim.known = statm_ok;
  g_trim.free_bytes = free_bytes;
  g_trim.anon = anon;
  pthread_mutex_unlock(&g_trim.lock);
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
