/* sites_stacks.c - unwinding and the deduplicated stack table.
 *
 * Unwinder: glibc backtrace() (libgcc's DWARF unwinder). Measured on this
 * project's Linux machine (docs/SITES.md): frame-pointer walk 12 ns but it
 * stops after one frame in code built without frame pointers (Debian's
 * libraries, any -O2 build); backtrace() 160 ns and libunwind's
 * unw_backtrace() 170 ns for 13 frames, both complete. backtrace() needs
 * no extra library; it allocates on its first call (it loads libgcc_s), so
 * sites_stacks_warm() calls it once at start-up, inside the guard.
 *
 * Table: entries[0 .. cap) in the order stacks were first seen (id =
 * index + 1, id 1 = "other stacks"), and an open-addressing index of 2 x cap
 * slots holding ids. Lookups take no lock: an entry is written completely
 * before its id is stored (release) in a slot, and nothing is ever removed.
 * Insertions take one lock. */
#define _GNU_SOURCE
#include "sites_internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#if defined(__linux__)
#include <link.h>
#endif
#ifdef MEMGATE_SITES_LIBUNWIND
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif
#include <string.h>

#define SITES_SKIP_MAX 8 /* frames inside this library: capture + hook (+ realloc helper) */

typedef struct sites_stack {
  uint64_t hash;
  uint32_t depth;
  uint32_t pad;
  uintptr_t pcs[MEMGATE_SITES_MAX_FRAMES];
  uint64_t bytes;   /* atomic */
  uint64_t blocks;  /* atomic */
} sites_stack;

static sites_stack *entries;
static uint32_t *slots;
static uint64_t cap_entries, n_slots, count, overflow_allocs;
static sites_lock insert_lock;
static uintptr_t self_lo, self_hi; /* this library's mapped range (Linux) */

#if defined(__linux__)
typedef struct self_find {
  uintptr_t base, lo, hi;
} self_find;

static int find_self(struct dl_phdr_info *info, size_t size, void *data) {
  self_find *f = data;
  (void)size;
  if ((uintptr_t)info->dlpi_addr != f->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uintptr_t a = f->base + ph->p_vaddr, b = a + ph->p_memsz;
    if (f->lo == 0 || a < f->lo) f->lo = a;
    if (b > f->hi) f->hi = b;
  }
  return 1;
}

/* This library's mapped range, so that its frames are skipped by address. */
static void find_self_range(void) {
  Dl_info di;
  self_find f = {0, 0, 0};
  if (dladdr((void *)(uintptr_t)&sites_stacks_init, &di) != 0) {
    f.base = (uintptr_t)di.dli_fbase;
    /* dli_fbase is the load address; dlpi_addr the bias (equal for a .so). */
    dl_iterate_phdr(find_self, &f);
  }
  self_lo = f.lo;
  self_hi = f.hi;
}
#else
/* Elsewhere the caller says how many frames to skip (sites_stacks_capture). */
static void find_self_range(void) {}
#endif

bool sites_stacks_init(uint64_t cap) {
  uint64_t slots_n = 1;
  while (slots_n < 2 * cap) slots_n <<= 1;
  size_t bytes = (size_t)(cap * sizeof(sites_stack) + slots_n * sizeof(uint32_t));
  unsigned char *mem = sites_map(bytes);
  if (mem == NULL) return false;
  entries = (sites_stack *)(void *)mem;
  slots = (uint32_t *)(void *)(mem + cap * sizeof(sites_stack));
  cap_entries = cap;
  n_slots = slots_n;
  count = 1; /* entry 0: id 1, "other stacks" (depth 0, never in the index) */
  find_self_range();
  return true;
}

static int unwind(void **pcs, int cap) {
#ifdef MEMGATE_SITES_LIBUNWIND
  return unw_backtrace(pcs, cap);
#else
  return backtrace(pcs, cap);
#endif
}

void sites_stacks_warm(void) {
  void *pcs[4];
#ifdef MEMGATE_SITES_LIBUNWIND
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
#endif
  (void)unwind(pcs, 4);
}

static uint64_t hash_pcs(const uintptr_t *pcs, uint32_t depth) {
  uint64_t h = 1469598103934665603ull;
  for (uint32_t i = 0; i < depth; i++) {
    h ^= (uint64_t)pcs[i];
    h *= 1099511628211ull;
    h ^= h >> 29;
  }
  return h ? h : 1;
}

static bool same_stack(const sites_stack *e, uint64_t h, const uintptr_t *pcs, uint32_t depth) {
  return e->hash == h && e->depth == depth && memcmp(e->pcs, pcs, depth * sizeof *pcs) == 0;
}

/* The id of the stack, or 0 with *slot_out = the empty slot that ends the probe. */
static uint32_t find(uint64_t h, const uintptr_t *pcs, uint32_t depth, uint64_t *slot_out) {
  uint64_t mask = n_slots - 1;
  for (uint64_t i = h & mask;; i = (i + 1) & mask) {
    uint32_t id = __atomic_load_n(&slots[i], __ATOMIC_ACQUIRE);
    if (id == 0) {
      *slot_out = i;
      return 0;
    }
    if (same_stack(&entries[id - 1], h, pcs, depth)) return id;
  }
}

static uint32_t insert(uint64_t h, const uintptr_t *pcs, uint32_t depth) {
  uint64_t slot;
  sites_lock_take(&insert_lock);
  uint32_t id = find(h, pcs, depth, &slot);
  if (id == 0 && count < cap_entries) {
    sites_stack *e = &entries[count];
    e->hash = h;
    e->depth = depth;
    memcpy(e->pcs, pcs, depth * sizeof *pcs);
    id = (uint32_t)(count + 1);
    __atomic_store_n(&count, count + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&slots[slot], id, __ATOMIC_RELEASE);
  }
  sites_lock_give(&insert_lock);
  if (id == 0) {
    __atomic_fetch_add(&overflow_allocs, 1, __ATOMIC_RELAXED);
    id = MEMGATE_SITES_OVERFLOW_ID;
  }
  return id;
}

uint32_t sites_stacks_capture(unsigned skip_frames) {
  void *raw[MEMGATE_SITES_MAX_FRAMES + SITES_SKIP_MAX + 16];
  int n = unwind(raw, (int)(sizeof raw / sizeof raw[0]));
  int skip = skip_frames < 16 ? (int)skip_frames : 16;
  while (skip < n && skip < SITES_SKIP_MAX + 16 && (uintptr_t)raw[skip] >= self_lo &&
         (uintptr_t)raw[skip] < self_hi)
    skip++;
  uint32_t depth = (uint32_t)(n - skip);
  if (depth > MEMGATE_SITES_MAX_FRAMES) depth = MEMGATE_SITES_MAX_FRAMES;
  uintptr_t pcs[MEMGATE_SITES_MAX_FRAMES];
  // cppcheck-suppress knownConditionTrueFalse ; backtrace() fills raw, cppcheck cannot see it
  for (uint32_t i = 0; i < depth; i++) pcs[i] = (uintptr_t)raw[skip + (int)i];
  uint64_t h = hash_pcs(pcs, depth), slot;
  uint32_t id = find(h, pcs, depth, &slot);
  return id ? id : insert(h, pcs, depth);
}

void sites_stacks_account(uint32_t id, uint64_t size, int sign) {
  if (id == 0 || id > cap_entries) return;
  sites_stack *e = &entries[id - 1];
  if (sign > 0) {
    __atomic_fetch_add(&e->bytes, size, __ATOMIC_RELAXED);
    __atomic_fetch_add(&e->blocks, 1, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_sub(&e->bytes, size, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&e->blocks, 1, __ATOMIC_RELAXED);
  }
}

size_t sites_stacks_snapshot(uint32_t *ids, uint64_t *bytes, uint64_t *blocks, size_t cap) {
  if (entries == NULL) return 0;
  size_t n = (size_t)__atomic_load_n(&count, __ATOMIC_ACQUIRE);
  for (size_t i = 0; i < n && i < cap; i++) {
    if (ids) ids[i] = (uint32_t)(i + 1);
    if (bytes) bytes[i] = __atomic_load_n(&entries[i].bytes, __ATOMIC_RELAXED);
    if (blocks) blocks[i] = __atomic_load_n(&entries[i].blocks, __ATOMIC_RELAXED);
  }
  return n;
}

size_t sites_stacks_frames(uint32_t id, uintptr_t *pcs, size_t cap) {
  if (entries == NULL || id == 0 || id > __atomic_load_n(&count, __ATOMIC_ACQUIRE)) return 0;
  const sites_stack *e = &entries[id - 1];
  for (size_t i = 0; i < e->depth && i < cap; i++) pcs[i] = e->pcs[i];
  return e->depth;
}

void sites_stacks_stats(memgate_sites_stats *out) {
  out->stacks = __atomic_load_n(&count, __ATOMIC_ACQUIRE);
  out->stacks_cap = cap_entries;
  out->overflow_allocs = __atomic_load_n(&overflow_allocs, __ATOMIC_RELAXED);
  out->table_bytes += cap_entries * sizeof(sites_stack) + n_slots * sizeof(uint32_t);
}

void sites_stacks_lock_all(void) {
  sites_lock_take(&insert_lock);
}

void sites_stacks_unlock_all(void) {
  sites_lock_give(&insert_lock);
}
