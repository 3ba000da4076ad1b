/* sites_blocks.c - the live-block table: address -> (size, stack id).
 *
 * SITES_STRIPES independent open-addressing tables (linear probing,
 * backward-shift deletion, so no tombstones), each with its own lock; the
 * stripe is chosen by the address's hash, so threads freeing unrelated
 * blocks rarely meet. A stripe accepts blocks up to 3/4 of its slots; past
 * that a block is not recorded (counted in dropped_blocks), its later free()
 * finds nothing and is simply forwarded, so live figures then undercount,
 * never overcount. */
#include "sites_internal.h"

#define SITES_STRIPES 64u
#define SITES_ID_BITS 24u
#define SITES_ID_MASK ((1u << SITES_ID_BITS) - 1u)

typedef struct sites_slot {
  uintptr_t ptr;  /* 0 = empty */
  uint64_t meta;  /* size << 24 | stack id */
} sites_slot;

/* One cache line each, so that threads on different stripes do not share one. */
typedef struct sites_stripe {
  sites_lock lock;
  uint64_t used;
} __attribute__((aligned(64))) sites_stripe;

static sites_stripe stripes[SITES_STRIPES];
static sites_slot *table;
static uint64_t per_stripe, limit, dropped, blocks_cap;

bool sites_blocks_init(uint64_t cap) {
  uint64_t want = (cap * 4 / 3 + SITES_STRIPES - 1) / SITES_STRIPES, n = 16;
  while (n < want) n <<= 1;
  table = sites_map((size_t)(n * SITES_STRIPES * sizeof(sites_slot)));
  if (table == NULL) return false;
  per_stripe = n;
  limit = n / 4 * 3;
  blocks_cap = limit * SITES_STRIPES;
  return true;
}

static uint64_t mix(uintptr_t p) {
  uint64_t h = (uint64_t)p >> 4;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

void sites_blocks_add(const void *p, uint64_t size, uint32_t id) {
  uint64_t h = mix((uintptr_t)p), mask = per_stripe - 1;
  sites_stripe *s = &stripes[h % SITES_STRIPES];
  sites_slot *t = table + (h % SITES_STRIPES) * per_stripe;
  sites_lock_take(&s->lock);
  if (s->used >= limit) {
    sites_lock_give(&s->lock);
    __atomic_fetch_add(&dropped, 1, __ATOMIC_RELAXED);
    return;
  }
  uint64_t i = (h >> 6) & mask;
  while (t[i].ptr != 0 && t[i].ptr != (uintptr_t)p) i = (i + 1) & mask;
  if (t[i].ptr == 0) s->used++;
  else sites_stacks_account((uint32_t)(t[i].meta & SITES_ID_MASK), t[i].meta >> SITES_ID_BITS, -1);
  t[i].ptr = (uintptr_t)p;
  t[i].meta = size << SITES_ID_BITS | (id & SITES_ID_MASK);
  sites_stacks_account(id, size, 1);
  sites_lock_give(&s->lock);
}

/* Backward-shift deletion: moves later entries of the probe run into the hole. */
static void delete_at(sites_slot *t, uint64_t hole, uint64_t mask) {
  for (uint64_t j = (hole + 1) & mask; t[j].ptr != 0; j = (j + 1) & mask) {
    uint64_t home = (mix(t[j].ptr) >> 6) & mask;
    /* j's entry may move to the hole when its home is not in (hole, j]. */
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      t[hole] = t[j];
      hole = j;
    }
  }
  t[hole].ptr = 0;
  t[hole].meta = 0;
}

bool sites_blocks_remove(const void *p, uint64_t *size, uint32_t *id) {
  uint64_t h = mix((uintptr_t)p), mask = per_stripe - 1;
  sites_stripe *s = &stripes[h % SITES_STRIPES];
  sites_slot *t = table + (h % SITES_STRIPES) * per_stripe;
  bool found = false;
  sites_lock_take(&s->lock);
  for (uint64_t i = (h >> 6) & mask; t[i].ptr != 0; i = (i + 1) & mask) {
    if (t[i].ptr != (uintptr_t)p) continue;
    uint64_t sz = t[i].meta >> SITES_ID_BITS;
    uint32_t sid = (uint32_t)(t[i].meta & SITES_ID_MASK);
    sites_stacks_account(sid, sz, -1);
    if (size) *size = sz;
    if (id) *id = sid;
    delete_at(t, i, mask);
    s->used--;
    found = true;
    break;
  }
  sites_lock_give(&s->lock);
  return found;
}

/* Read without the locks: the figures are a moment's approximation. */
void sites_blocks_stats(memgate_sites_stats *out) {
  uint64_t used = 0, acq = 0, cont = 0;
  for (unsigned i = 0; i < SITES_STRIPES; i++) {
    used += __atomic_load_n(&stripes[i].used, __ATOMIC_RELAXED);
    acq += __atomic_load_n(&stripes[i].lock.acquires, __ATOMIC_RELAXED);
    cont += __atomic_load_n(&stripes[i].lock.contended, __ATOMIC_RELAXED);
  }
  out->blocks = used;
  out->blocks_cap = blocks_cap;
  out->dropped_blocks = __atomic_load_n(&dropped, __ATOMIC_RELAXED);
  out->lock_acquires = acq;
  out->lock_contended = cont;
  out->table_bytes += per_stripe * SITES_STRIPES * sizeof(sites_slot);
}

void sites_blocks_lock_all(void) {
  for (unsigned i = 0; i < SITES_STRIPES; i++) sites_lock_take(&stripes[i].lock);
}

void sites_blocks_unlock_all(void) {
  for (unsigned i = SITES_STRIPES; i-- > 0;) sites_lock_give(&stripes[i].lock);
}

/* Copies every recorded block (caller holds every stripe lock) into out,
 * at most cap of them; returns how many were copied. */
size_t sites_blocks_copy(sites_block_ref *out, size_t cap) {
  size_t k = 0;
  for (uint64_t i = 0; i < per_stripe * SITES_STRIPES && k < cap; i++) {
    if (table[i].ptr == 0) continue;
    out[k].ptr = table[i].ptr;
    out[k].size = table[i].meta >> SITES_ID_BITS;
    out[k].id = (uint32_t)(table[i].meta & SITES_ID_MASK);
    k++;
  }
  return k;
}

/* Live blocks now (caller holds every stripe lock). */
uint64_t sites_blocks_count(void) {
  uint64_t used = 0;
  for (unsigned i = 0; i < SITES_STRIPES; i++) used += stripes[i].used;
  return used;
}
