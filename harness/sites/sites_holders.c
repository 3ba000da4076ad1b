/* sites_holders.c - who holds a site's blocks (memgate_sites_holders, see
 * memgate_sites.h and docs/SITES.md "Who keeps it").
 *
 * After the measurement, with every block-table lock held: the live blocks
 * are copied into mmap'ed scratch and sorted by address; a breadth-first
 * walk marks every block reachable from the writable segments of the
 * loaded objects, then (a second walk) what only the calling thread's
 * stack reaches, and remembers,
 * per block, what first pointed to it (a holding block, or a root word), so
 * that following those links from a block gives its shortest retention
 * path. A word counts as a pointer when it falls inside a live recorded
 * block (interior pointers too): conservative, like LeakSanitizer's scan.
 * Nothing here calls malloc while the locks are held. */
#define _GNU_SOURCE
#include "sites_internal.h"

#include <string.h>

#if defined(__linux__)
#include <link.h>
#include <pthread.h>
#include <sys/mman.h>

#define ROOTS_MAX 512
#define EXAMINE_MAX 4096 /* blocks of one site whose path is followed */
#define PATHS_MAX 8      /* distinct paths told apart per site */
#define LINK_GLOBAL (UINT64_C(1) << 63)
#define LINK_STACK (UINT64_C(1) << 62)
#define LINK_ADDR (LINK_STACK - 1)
#define NOT_FOUND ((size_t)-1)

typedef struct range {
  uintptr_t lo, hi;
} range;

typedef struct roots {
  range r[ROOTS_MAX];
  size_t n;
} roots;

/* The walk's scratch: blocks sorted by address and, per block, its link:
 * 0 (not reached), the holding block's index + 1, or LINK_GLOBAL /
 * LINK_STACK | the address of the root word. */
typedef struct walk {
  sites_block_ref *b;
  uint64_t *link;
  uint32_t *queue;
  size_t n, tail;
  uintptr_t lo, hi; /* lowest block start, highest block end */
  void *map;
  size_t map_bytes;
} walk;

static int add_segments(struct dl_phdr_info *info, size_t size, void *data) {
  roots *rs = data;
  (void)size;
  for (int i = 0; i < info->dlpi_phnum && rs->n < ROOTS_MAX; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || ph->p_memsz == 0) continue;
    rs->r[rs->n].lo = (uintptr_t)info->dlpi_addr + (uintptr_t)ph->p_vaddr;
    rs->r[rs->n].hi = rs->r[rs->n].lo + (uintptr_t)ph->p_memsz;
    rs->n++;
  }
  return 0;
}

/* The calling thread's stack (may allocate: call it before the locks). */
static range this_stack(void) {
  range r = {0, 0};
  pthread_attr_t a;
  void *addr = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &a) != 0) return r;
  if (pthread_attr_getstack(&a, &addr, &size) == 0) {
    r.lo = (uintptr_t)addr;
    r.hi = r.lo + size;
  }
  pthread_attr_destroy(&a);
  return r;
}

/* ---- the sorted block array ------------------------------------------- */

static void sift(sites_block_ref *b, size_t at, size_t n) {
  for (;;) {
    size_t big = at, l = 2 * at + 1, r = l + 1;
    if (l < n && b[l].ptr > b[big].ptr) big = l;
    if (r < n && b[r].ptr > b[big].ptr) big = r;
    if (big == at) return;
    sites_block_ref t = b[at];
    b[at] = b[big];
    b[big] = t;
    at = big;
  }
}

/* Heapsort by address: in place, no allocation (qsort may allocate). */
static void sort_blocks(sites_block_ref *b, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift(b, i, n);
  for (size_t end = n; end-- > 1;) {
    sites_block_ref t = b[0];
    b[0] = b[end];
    b[end] = t;
    sift(b, 0, end);
  }
}

/* The block holding address v, or NOT_FOUND. A block of 0 bytes counts
 * as 1 (malloc(0) returns a distinct pointer). */
static size_t find(const walk *w, uintptr_t v) {
  if (v < w->lo || v >= w->hi) return NOT_FOUND;
  size_t lo = 0, hi = w->n;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (w->b[mid].ptr <= v) lo = mid;
    else hi = mid;
  }
  uint64_t size = w->b[lo].size ? w->b[lo].size : 1;
  return w->b[lo].ptr <= v && v - w->b[lo].ptr < size ? lo : NOT_FOUND;
}

/* Copies and sorts the live blocks into fresh scratch (locks held). */
static bool walk_map(walk *w) {
  memset(w, 0, sizeof *w);
  uint64_t count = sites_blocks_count();
  if (count == 0) return false;
  size_t per = sizeof(sites_block_ref) + sizeof(uint64_t) + sizeof(uint32_t);
  w->map_bytes = (size_t)count * per;
  w->map = mmap(NULL, w->map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (w->map == MAP_FAILED) return false;
  w->b = w->map;
  w->link = (uint64_t *)(w->b + count);
  w->queue = (uint32_t *)(w->link + count);
  w->n = sites_blocks_copy(w->b, (size_t)count);
  if (w->n == 0) return false;
  sort_blocks(w->b, w->n);
  w->lo = w->b[0].ptr;
  for (size_t i = 0; i < w->n; i++) {
    uintptr_t end = w->b[i].ptr + (w->b[i].size ? w->b[i].size : 1);
    if (end > w->hi) w->hi = end;
  }
  return true;
}

/* ---- the walk ------------------------------------------------------------ */

/* Every aligned word of [lo, hi) that points into a block not reached yet
 * reaches it: its link is `how` (a root tag) | the word's address, or
 * holder + 1 when how is 0. */
static void scan(walk *w, uintptr_t lo, uintptr_t hi, uint64_t how, size_t holder) {
  lo = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
  for (uintptr_t a = lo; a < hi && hi - a >= sizeof(uintptr_t); a += sizeof(uintptr_t)) {
    uintptr_t v;
    memcpy(&v, (const void *)a, sizeof v);
    size_t i = find(w, v);
    if (i == NOT_FOUND || w->link[i] != 0) continue;
    w->link[i] = how ? (how | (uint64_t)a) : (uint64_t)holder + 1;
    w->queue[w->tail++] = (uint32_t)i;
  }
}

/* Follows the queue from *head until every block it reaches is marked. */
static void drain(walk *w, size_t *head) {
  for (; *head < w->tail; ++*head) {
    size_t i = w->queue[*head];
    scan(w, w->b[i].ptr, w->b[i].ptr + w->b[i].size, 0, i);
  }
}

/* Everything the globals reach first, then what only the stack reaches: a
 * stack word is conservative (a stale pointer in a live frame would
 * otherwise take over every list it points into), and what a global keeps
 * outlives the call that is on the stack now. */
static void walk_run(walk *w, const roots *rs, range stack, uintptr_t from) {
  size_t head = 0;
  for (size_t i = 0; i < rs->n; i++) scan(w, rs->r[i].lo, rs->r[i].hi, LINK_GLOBAL, 0);
  drain(w, &head);
  if (from >= stack.lo && from < stack.hi) scan(w, from, stack.hi, LINK_STACK, 0);
  drain(w, &head);
}

/* Block i's path to its root, holders of the same stack as the one before
 * (or as the site) counted once. */
static void path_of(const walk *w, size_t i, uint32_t self, memgate_sites_holder *p) {
  memset(p, 0, sizeof *p);
  uint32_t prev = self;
  for (size_t steps = 0; steps <= w->n; steps++) {
    uint64_t l = w->link[i];
    if (l == 0) {
      p->root = MEMGATE_SITES_HELD_NONE;
      return;
    }
    if (l & (LINK_GLOBAL | LINK_STACK)) {
      p->root = (l & LINK_GLOBAL) ? MEMGATE_SITES_HELD_GLOBAL : MEMGATE_SITES_HELD_STACK;
      p->root_addr = (uintptr_t)(l & LINK_ADDR);
      return;
    }
    i = (size_t)(l - 1);
    if (w->b[i].id == prev) continue;
    prev = w->b[i].id;
    if (p->hops < MEMGATE_SITES_MAX_HOPS) p->ids[p->hops++] = prev;
    else p->truncated = 1;
  }
}

static bool same_path(const memgate_sites_holder *a, const memgate_sites_holder *b) {
  return a->root == b->root && a->hops == b->hops && a->truncated == b->truncated &&
         memcmp(a->ids, b->ids, a->hops * sizeof a->ids[0]) == 0;
}

/* The path most of stack id's blocks (the first EXAMINE_MAX) follow. */
static void best_path(const walk *w, uint32_t id, memgate_sites_holder *out) {
  memgate_sites_holder seen[PATHS_MAX], p;
  size_t kinds = 0, best = 0;
  uint64_t examined = 0;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < w->n && examined < EXAMINE_MAX; i++) {
    if (w->b[i].id != id) continue;
    examined++;
    path_of(w, i, id, &p);
    size_t k = 0;
    while (k < kinds && !same_path(&seen[k], &p)) k++;
    if (k == kinds && kinds == PATHS_MAX) continue;
    if (k == kinds) seen[kinds++] = p;
    if (++seen[k].blocks > seen[best].blocks) best = k;
  }
  if (kinds == 0) return;
  *out = seen[best];
  out->examined = examined;
}

SITES_API size_t memgate_sites_holders(const uint32_t *ids, size_t n, memgate_sites_holder *out) {
  if (ids == NULL || out == NULL || n == 0) return 0;
  memset(out, 0, n * sizeof *out);
  if (!sites_recording()) return 0;
  bool g = sites_guard_enter();
  /* On this stack (8 KiB), which the walk scans: harmless, the segment
   * bounds point into the objects' mappings, never into a heap block. No
   * lock of its own, so a fork during a walk leaves the child nothing held
   * (the block locks are the fork handlers'). */
  roots rs;
  rs.n = 0;
  dl_iterate_phdr(add_segments, &rs);
  range stack = this_stack();
  sites_blocks_lock_all();
  walk w;
  bool ok = walk_map(&w);
  if (ok) {
    walk_run(&w, &rs, stack, (uintptr_t)__builtin_frame_address(0));
    for (size_t i = 0; i < n; i++) best_path(&w, ids[i], &out[i]);
  }
  if (w.map != NULL && w.map != MAP_FAILED) munmap(w.map, w.map_bytes);
  sites_blocks_unlock_all();
  if (g) sites_guard_leave();
  return ok ? n : 0;
}

#else /* the walk reads ELF segments (dl_iterate_phdr): Linux only */

SITES_API size_t memgate_sites_holders(const uint32_t *ids, size_t n, memgate_sites_holder *out) {
  (void)ids;
  if (out != NULL) memset(out, 0, n * sizeof *out);
  return 0;
}

#endif
