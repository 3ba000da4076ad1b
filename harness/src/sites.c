/*
 * Allocation sites in repeats (sites.h, docs/SITES.md). The recorder is
 * found with dlsym(RTLD_DEFAULT): libmemgate never links to it.
 *
 * Storage per thread: rows x cap live-byte and live-block counters, a ring
 * of one row per sample of the judged window (sample r goes to row
 * r % rows, so confirmation rounds past the planned iterations reuse the
 * rows of samples no longer judged), reserved and touched before the first
 * sample; cap is the
 * number of stacks known then plus room for new ones, bounded so that the
 * rows stay within MEMGATE__SITES_ROW_BUDGET bytes. Stacks first seen past
 * cap are not followed (a stack's id is its index, so this is the newest
 * ones).
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "sites.h"
#include "state.h"

#include "../sites/memgate_sites.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMGATE__SITES_ROW_BUDGET (32u << 20)
#define MEMGATE__SITES_ROOM 1024u

/* One holder on a site's retention path: the first frames of its stack. */
typedef struct hop {
  uint32_t n_frames;
  memgate_sites_frame frames[MEMGATE__HOP_FRAMES];
} hop;

/* Who keeps a site's blocks alive (memgate_sites_holders). */
typedef struct kept {
  uint32_t root;           /* MEMGATE_SITES_HELD_*; UNKNOWN: not searched */
  uint32_t n_hops;
  bool truncated;
  uint64_t blocks, examined;
  memgate_sites_frame global; /* root GLOBAL: the variable */
  hop hops[MEMGATE_SITES_MAX_HOPS];
} kept;

typedef struct site {
  uint32_t id;
  int64_t growth;          /* bytes, last - first sample */
  double per_iter;         /* least-squares bytes per iteration */
  double blocks_per_iter;  /* (last - first) / n */
  double share;            /* of the growth of every stack */
  uint32_t n_frames;
  memgate_sites_frame frames[MEMGATE__SITE_FRAMES];
  kept kept;
} site;

typedef struct sites_run {
  uint32_t cap, rows;       /* stacks followed, rows of the ring */
  uint64_t *bytes, *blocks; /* rows x cap */
  uint32_t *known;          /* per row: stacks the snapshot knew */
  uint64_t *scratch;        /* one series (rows) for the judgement */
  bool active;
  uint32_t base;            /* first row of the judged window */
  bool scope;               /* the current list is a scope's (bytes held, not per iteration) */
  /* Scopes: a begin row per depth and one end row (MEMGATE__MAX_DEPTH + 1). */
  uint32_t scap;
  uint64_t *sbytes, *sblocks;
  uint32_t sknown[MEMGATE__MAX_DEPTH + 1];
  uint32_t listed;
  site sites[MEMGATE__SITES_LISTED];
} sites_run;

static struct {
  memgate_sites_snapshot_fn snapshot;
  memgate_sites_frames_fn frames;
  memgate_sites_symbolize_inline_fn symbolize;
  memgate_sites_holders_fn holders;          /* optional */
  memgate_sites_symbolize_data_fn data_name; /* optional */
} api;
static pthread_once_t bind_once = PTHREAD_ONCE_INIT;
/* Per thread: one slot per nesting level of repeats and loops (keyed by
 * the run's address, stable per level), one for scopes, and the list the
 * result being delivered refers to. */
static __thread sites_run *tl_runs[MEMGATE__MAX_RUNS];
static __thread const void *tl_keys[MEMGATE__MAX_RUNS];
static __thread sites_run *tl_scope;
static __thread sites_run *tl_current;

/* Zeroed, touched storage in pages outside the program's heap (page.c:
 * taken from malloc it would move the program's own allocations); its
 * size is kept just before it, for the free. */
#define PAGES_HEAD 16u
static void *pages_get(size_t bytes) {
  unsigned char *p = memgate__pages_alloc(bytes + PAGES_HEAD);
  if (p == NULL) return NULL;
  memcpy(p, &(size_t){bytes + PAGES_HEAD}, sizeof(size_t));
  return p + PAGES_HEAD;
}

static void pages_put(void *q) {
  if (q == NULL) return;
  unsigned char *p = (unsigned char *)q - PAGES_HEAD;
  size_t len;
  memcpy(&len, p, sizeof len);
  memgate__pages_free(p, len);
}

/* The slot of key (created when asked and there is room), or NULL. */
static sites_run *slot(const void *key, bool create) {
  for (int i = 0; i < MEMGATE__MAX_RUNS; i++)
    if (tl_keys[i] == key && tl_runs[i] != NULL) return tl_runs[i];
  for (int i = 0; create && i < MEMGATE__MAX_RUNS; i++) {
    if (tl_keys[i] != NULL) continue;
    if (tl_runs[i] == NULL && (tl_runs[i] = pages_get(sizeof *tl_runs[i])) == NULL) return NULL;
    tl_keys[i] = key;
    return tl_runs[i];
  }
  return NULL;
}

static void *lookup(const char *name) {
  return dlsym(RTLD_DEFAULT, name);
}

/* Only with MEMGATE_SITES=1 (the recorder records only then): without it
 * memgate calls no dl function at all, since a failed dlsym allocates the
 * dlerror() message and the freed chunks it leaves change the heap's layout
 * for the code under test. */
static void bind_recorder(void) {
  const char *on = getenv("MEMGATE_SITES");
  if (on == NULL || strcmp(on, "1") != 0) return;
  void *en = lookup(MEMGATE_SITES_SYM_ENABLED), *sn = lookup(MEMGATE_SITES_SYM_SNAPSHOT);
  void *fr = lookup(MEMGATE_SITES_SYM_FRAMES), *sy = lookup(MEMGATE_SITES_SYM_SYMBOLIZE_INLINE);
  memgate_sites_enabled_fn enabled;
  if (!en || !sn || !fr || !sy) return;
  memcpy(&enabled, &en, sizeof en);
  if (!enabled()) return;
  memcpy(&api.frames, &fr, sizeof fr);
  memcpy(&api.symbolize, &sy, sizeof sy);
  void *ho = lookup(MEMGATE_SITES_SYM_HOLDERS), *dn = lookup(MEMGATE_SITES_SYM_SYMBOLIZE_DATA);
  if (ho && dn) {
    memcpy(&api.holders, &ho, sizeof ho);
    memcpy(&api.data_name, &dn, sizeof dn);
  }
  memcpy(&api.snapshot, &sn, sizeof sn); /* last: it says the rest is there */
}

/* Replaces *p by zeroed storage of bytes (the contents are not kept). */
static bool grow(void **p, size_t bytes) {
  void *q = pages_get(bytes);
  if (q == NULL) return false;
  pages_put(*p);
  *p = q;
  return true;
}

static bool reserve_rows(sites_run *s, uint32_t samples, uint32_t cap) {
  size_t cells = (size_t)samples * cap;
  if (!grow((void **)&s->bytes, cells * sizeof *s->bytes) ||
      !grow((void **)&s->blocks, cells * sizeof *s->blocks) ||
      !grow((void **)&s->known, samples * sizeof *s->known) ||
      !grow((void **)&s->scratch, samples * sizeof *s->scratch))
    return false;
  s->rows = samples;
  s->cap = cap;
  return true;
}

void memgate__sites_reserve(const void *run, uint32_t samples) {
  pthread_once(&bind_once, bind_recorder);
  if (api.snapshot == NULL || samples == 0) return;
  sites_run *tl = slot(run, true);
  if (tl == NULL) return;
  tl->active = false;
  uint64_t cap = api.snapshot(NULL, NULL, NULL, 0) + MEMGATE__SITES_ROOM;
  uint64_t most = MEMGATE__SITES_ROW_BUDGET / (2u * sizeof(uint64_t) * (uint64_t)samples);
  if (cap > most) cap = most;
  if (cap == 0) return;
  tl->listed = 0;
  tl->active = reserve_rows(tl, samples, (uint32_t)cap);
}

void memgate__sites_sample(const void *run, uint32_t row) {
  sites_run *s = api.snapshot ? slot(run, false) : NULL;
  if (s == NULL || !s->active) return;
  row %= s->rows;
  size_t at = (size_t)row * s->cap;
  size_t n = api.snapshot(NULL, s->bytes + at, s->blocks + at, s->cap);
  s->known[row] = (uint32_t)(n < s->cap ? n : s->cap);
}

/* How many stacks the snapshot at a row knew (row counted as in cell()). */
static uint32_t known_at(const sites_run *s, uint32_t row) {
  return s->known[(row + s->base) % s->rows];
}

/* Stack k's value at a row (0 where the stack did not exist yet). */
static uint64_t cell(const sites_run *s, const uint64_t *m, uint32_t row, uint32_t k) {
  row = (row + s->base) % s->rows; /* counted from the judged window's first sample */
  return k < s->known[row] ? m[(size_t)row * s->cap + k] : 0;
}

/* Inserts a candidate into the list kept sorted by bytes per iteration. */
static void insert_ranked(sites_run *s, const site *c) {
  uint32_t at = s->listed;
  while (at > 0 && s->sites[at - 1].per_iter < c->per_iter) at--;
  if (at >= MEMGATE__SITES_LISTED) return;
  uint32_t last = s->listed < MEMGATE__SITES_LISTED ? s->listed : MEMGATE__SITES_LISTED - 1;
  memmove(&s->sites[at + 1], &s->sites[at], (last - at) * sizeof s->sites[0]);
  s->sites[at] = *c;
  if (s->listed < MEMGATE__SITES_LISTED) s->listed++;
}

/* memgate's own frames (the repeat driver and the API) end a site's stack:
 * what called MEM_REPEAT is not where the memory went. */
static bool memgate_frame(const memgate_sites_frame *f) {
  return strncmp(f->function, "memgate_", 8) == 0 || strstr(f->file, "harness/src/") != NULL;
}

/* Stack id's first frames outside memgate, inlined calls expanded, up to
 * cap; returns how many. */
static uint32_t symbolize_stack(uint32_t id, memgate_sites_frame *out, uint32_t cap) {
  uintptr_t pcs[MEMGATE_SITES_MAX_FRAMES];
  size_t d = api.frames(id, pcs, MEMGATE_SITES_MAX_FRAMES);
  if (d > MEMGATE_SITES_MAX_FRAMES) d = MEMGATE_SITES_MAX_FRAMES;
  uint32_t n = 0;
  for (size_t i = 0; i < d && n < cap; i++) {
    memgate_sites_frame f[8];
    size_t k = api.symbolize(pcs[i], f, 8);
    for (size_t j = 0; j < k && n < cap; j++) {
      if (memgate_frame(&f[j])) return n;
      out[n++] = f[j];
    }
  }
  return n;
}

static void symbolize(site *c) {
  c->n_frames = symbolize_stack(c->id, c->frames, MEMGATE__SITE_FRAMES);
}

/* Who keeps the listed sites' blocks alive: one heap walk for all of them
 * (allocates: after the measurement), then the holders symbolized. */
static void find_holders(sites_run *s) {
  uint32_t ids[MEMGATE__SITES_LISTED];
  memgate_sites_holder h[MEMGATE__SITES_LISTED];
  if (api.holders == NULL || s->listed == 0) return;
  for (uint32_t i = 0; i < s->listed; i++) ids[i] = s->sites[i].id;
  if (api.holders(ids, s->listed, h) != s->listed) return;
  for (uint32_t i = 0; i < s->listed; i++) {
    kept *k = &s->sites[i].kept;
    memset(k, 0, sizeof *k);
    k->root = h[i].root;
    k->truncated = h[i].truncated != 0;
    k->blocks = h[i].blocks;
    k->examined = h[i].examined;
    k->n_hops = h[i].hops < MEMGATE_SITES_MAX_HOPS ? h[i].hops : MEMGATE_SITES_MAX_HOPS;
    for (uint32_t j = 0; j < k->n_hops; j++)
      k->hops[j].n_frames = symbolize_stack(h[i].ids[j], k->hops[j].frames, MEMGATE__HOP_FRAMES);
    if (k->root == MEMGATE_SITES_HELD_GLOBAL) api.data_name(h[i].root_addr, &k->global);
  }
}

/* A stack that grew, cut where memgate's frames begin: stacks that differ
 * only there (the repeat driver calls the body from more than one place,
 * e.g. a peeled first iteration) are one site. */
typedef struct cand {
  uint32_t id, depth;
  bool merged;
  uintptr_t pcs[MEMGATE_SITES_MAX_FRAMES];
} cand;

/* How many of the stack's return addresses are outside memgate. */
static uint32_t user_depth(const uintptr_t *pcs, uint32_t d) {
  for (uint32_t i = 0; i < d; i++) {
    memgate_sites_frame f[8];
    size_t k = api.symbolize(pcs[i], f, 8);
    for (size_t j = 0; j < k; j++)
      if (memgate_frame(&f[j])) return i;
  }
  return d;
}

/* The stacks whose live bytes ended higher than they began, cut. */
static cand *candidates(const sites_run *s, uint32_t n, uint32_t *count) {
  uint32_t stacks = known_at(s, n), c = 0;
  cand *v = calloc(stacks ? stacks : 1, sizeof *v);
  for (uint32_t k = 0; v != NULL && k < stacks; k++) {
    if (cell(s, s->bytes, n, k) <= cell(s, s->bytes, 0, k)) continue;
    v[c].id = k + 1;
    size_t d = api.frames(k + 1, v[c].pcs, MEMGATE_SITES_MAX_FRAMES);
    v[c].depth = user_depth(v[c].pcs, (uint32_t)(d < MEMGATE_SITES_MAX_FRAMES ? d : MEMGATE_SITES_MAX_FRAMES));
    c++;
  }
  *count = c;
  return v;
}

/* Sums into s->scratch the byte series of candidate i and of every later
 * one with the same cut stack (marked merged); returns their block growth. */
static int64_t merge(sites_run *s, cand *v, uint32_t count, uint32_t i, uint32_t n) {
  int64_t blocks = 0;
  memset(s->scratch, 0, (n + 1) * sizeof *s->scratch);
  for (uint32_t j = i; j < count; j++) {
    if (j > i && (v[j].merged || v[j].depth != v[i].depth ||
                  memcmp(v[j].pcs, v[i].pcs, v[i].depth * sizeof v[i].pcs[0]) != 0))
      continue;
    v[j].merged = true;
    uint32_t k = v[j].id - 1;
    for (uint32_t r = 0; r <= n; r++) s->scratch[r] += cell(s, s->bytes, r, k);
    blocks += (int64_t)(cell(s, s->blocks, n, k) - cell(s, s->blocks, 0, k));
  }
  return blocks;
}

void memgate__sites_rank(const void *run, uint32_t done, uint32_t window, const memgate_options *o) {
  sites_run *s = api.snapshot ? slot(run, false) : NULL;
  if (s == NULL || !s->active) return;
  s->active = false;
  tl_current = s;
  s->scope = false;
  s->listed = 0;
  if (window < 3 || window > done || window >= s->rows) return;
  uint32_t n = window;
  s->base = done - window;
  int64_t total = 0;
  for (uint32_t k = 0; k < known_at(s, n); k++)
    total += (int64_t)(cell(s, s->bytes, n, k) - cell(s, s->bytes, 0, k));
  uint32_t count = 0;
  cand *v = candidates(s, n, &count);
  for (uint32_t i = 0; v != NULL && i < count; i++) {
    if (v[i].merged) continue;
    int64_t blocks = merge(s, v, count, i, n);
    memgate_growth g;
    memgate_series_growth(s->scratch, n + 1, o->heap_min_growth_bytes, o->heap_min_slope_bytes,
                          o->trend_t, &g);
    if (!g.leak) memgate_series_regular(s->scratch, n + 1, o->heap_regular_steps, &g);
    if (!g.leak) continue;
    site c;
    memset(&c, 0, sizeof c);
    c.id = v[i].id;
    c.growth = g.growth;
    c.per_iter = g.slope;
    c.blocks_per_iter = (double)blocks / (double)n;
    c.share = total > 0 && g.growth < total ? (double)g.growth / (double)total : 1.0;
    insert_ranked(s, &c);
  }
  free(v);
  for (uint32_t i = 0; i < s->listed; i++) symbolize(&s->sites[i]);
  find_holders(s);
}

/* ---- scopes --------------------------------------------------------------- */

#define SCOPE_ROWS (MEMGATE__MAX_DEPTH + 1)

void memgate__sites_scope_reserve(int depth) {
  pthread_once(&bind_once, bind_recorder);
  if (api.snapshot == NULL || depth < 0 || depth >= MEMGATE__MAX_DEPTH) return;
  if (tl_scope == NULL && (tl_scope = pages_get(sizeof *tl_scope)) == NULL) return;
  sites_run *s = tl_scope;
  /* All depths at once, the first time (and again only outside any scope):
   * an inner scope must not allocate inside the outer one. */
  if (s->sbytes != NULL && (depth > 0 || s->scap > api.snapshot(NULL, NULL, NULL, 0))) return;
  uint64_t cap = api.snapshot(NULL, NULL, NULL, 0) + MEMGATE__SITES_ROOM;
  size_t cells = (size_t)SCOPE_ROWS * cap;
  if (!grow((void **)&s->sbytes, cells * sizeof *s->sbytes) ||
      !grow((void **)&s->sblocks, cells * sizeof *s->sblocks)) {
    s->scap = 0;
    return;
  }
  s->scap = (uint32_t)cap;
}

/* Copies the live bytes into scope row `row` (no allocation). */
static void scope_snapshot(sites_run *s, int row) {
  size_t at = (size_t)row * s->scap;
  size_t n = api.snapshot(NULL, s->sbytes + at, s->sblocks + at, s->scap);
  s->sknown[row] = (uint32_t)(n < s->scap ? n : s->scap);
}

void memgate__sites_scope_begin(int depth) {
  sites_run *s = tl_scope;
  if (s == NULL || s->scap == 0 || depth < 0 || depth >= MEMGATE__MAX_DEPTH) return;
  scope_snapshot(s, depth);
}

static uint64_t scope_cell(const sites_run *s, const uint64_t *m, int row, uint32_t k) {
  return k < s->sknown[row] ? m[(size_t)row * s->scap + k] : 0;
}

void memgate__sites_scope_end(int depth) {
  sites_run *s = tl_scope;
  if (s == NULL || s->scap == 0 || depth < 0 || depth >= MEMGATE__MAX_DEPTH) return;
  scope_snapshot(s, MEMGATE__MAX_DEPTH);
  tl_current = s;
  s->scope = true;
  s->listed = 0;
  uint64_t total = 0;
  uint32_t stacks = s->sknown[MEMGATE__MAX_DEPTH];
  for (uint32_t k = 0; k < stacks; k++) {
    uint64_t a = scope_cell(s, s->sbytes, depth, k), b = scope_cell(s, s->sbytes, MEMGATE__MAX_DEPTH, k);
    if (b > a) total += b - a;
  }
  for (uint32_t k = 0; k < stacks; k++) {
    uint64_t a = scope_cell(s, s->sbytes, depth, k), b = scope_cell(s, s->sbytes, MEMGATE__MAX_DEPTH, k);
    if (b <= a) continue;
    site c;
    memset(&c, 0, sizeof c);
    c.id = k + 1;
    c.growth = (int64_t)(b - a);
    c.per_iter = (double)c.growth;
    c.blocks_per_iter = (double)scope_cell(s, s->sblocks, MEMGATE__MAX_DEPTH, k) -
                        (double)scope_cell(s, s->sblocks, depth, k);
    c.share = (double)c.growth / (double)total;
    insert_ranked(s, &c);
  }
  for (uint32_t i = 0; i < s->listed; i++) symbolize(&s->sites[i]);
  if (depth == 0) find_holders(s); /* its scratch must not land inside an outer scope */
}

/* "fn file:line" or "fn (object)". */
static void frame_text(const memgate_sites_frame *f, char *buf, size_t cap) {
  if (f->line > 0) memgate__msgf(buf, cap, "%s %s:%u", f->function, f->file, f->line);
  else memgate__msgf(buf, cap, "%s (%s)", f->function, f->file);
}

/* "; kept alive by: HOLDER (from CALLER) <- ... <- global NAME", or why
 * nothing keeps it: the path most of the first site's blocks share. */
static void kept_note(const kept *k, char *msg, size_t cap) {
  char one[512], caller[512];
  if (k->root == MEMGATE_SITES_HELD_UNKNOWN) return;
  if (k->root == MEMGATE_SITES_HELD_NONE) {
    memgate__msg_appendf(msg, cap, "; kept alive by: nothing (unreachable from the globals, the heap "
                                   "and this thread's stack: a leak LeakSanitizer and valgrind report too)");
    return;
  }
  memgate__msg_appendf(msg, cap, "; kept alive by: ");
  for (uint32_t i = 0; i < k->n_hops; i++) {
    const hop *h = &k->hops[i];
    frame_text(&h->frames[0], one, sizeof one);
    memgate__msg_appendf(msg, cap, "%s", h->n_frames ? one : "?");
    if (h->n_frames > 1) {
      frame_text(&h->frames[1], caller, sizeof caller);
      memgate__msg_appendf(msg, cap, " (from %s)", caller);
    }
    memgate__msg_appendf(msg, cap, " <- ");
  }
  if (k->truncated) memgate__msg_appendf(msg, cap, "... <- ");
  if (k->root == MEMGATE_SITES_HELD_GLOBAL) memgate__msg_appendf(msg, cap, "global %s", k->global.function);
  else memgate__msg_appendf(msg, cap, "a pointer on this thread's stack");
  if (k->blocks < k->examined)
    memgate__msg_appendf(msg, cap, " (the path of %" PRIu64 " of its %" PRIu64 " blocks)", k->blocks,
                         k->examined);
}

/* What keeps a site alive in a word or two (the global's name follows
 * "kept by global "). */
static const char *kept_short(const kept *k) {
  switch (k->root) {
  case MEMGATE_SITES_HELD_GLOBAL: return ", kept by global ";
  case MEMGATE_SITES_HELD_STACK: return ", kept from this thread's stack";
  case MEMGATE_SITES_HELD_NONE: return ", unreachable";
  default: return "";
  }
}

/* The first site in full (frames joined by " <- ") and what keeps it
 * alive, then the next two by their first frame only. */
void memgate__sites_note(char *msg, size_t cap) {
  sites_run *s = tl_current;
  if (s == NULL || s->listed == 0) return;
  const site *c = &s->sites[0];
  char where[1024] = "", one[512], per[32];
  size_t len = 0;
  for (uint32_t i = 0; i < c->n_frames && len + 1 < sizeof where; i++) {
    frame_text(&c->frames[i], one, sizeof one);
    len += (size_t)snprintf(where + len, sizeof where - len, "%s%s", i ? " <- " : "", one);
  }
  memgate__bytes_f(per, sizeof per, c->per_iter, true);
  memgate__msg_appendf(msg, cap, "; %s %s (%s %s, %.0f %% of the %s)", s->scope ? "held by:" : "where:",
                       c->n_frames ? where : "?", per, s->scope ? "held" : "per iteration",
                       c->share * 100.0, s->scope ? "memory held" : "growth");
  kept_note(&c->kept, msg, cap);
  for (uint32_t i = 1; i < s->listed && i < 3; i++) {
    const kept *k = &s->sites[i].kept;
    frame_text(&s->sites[i].frames[0], one, sizeof one);
    memgate__bytes_f(per, sizeof per, s->sites[i].per_iter, true);
    memgate__msg_appendf(msg, cap, "%s %s (%s%s%s)", i == 1 ? "; also" : ",", s->sites[i].n_frames ? one : "?",
                         per, kept_short(k), k->root == MEMGATE_SITES_HELD_GLOBAL ? k->global.function : "");
  }
  if (s->listed > 3) memgate__msg_appendf(msg, cap, " and %u more in the results", (unsigned)(s->listed - 3));
}

/* "frames":[{"function":..,"file":..,"line":..},...] */
static void json_frames(memgate__buf *b, const memgate_sites_frame *f, uint32_t n) {
  memgate__buf_puts(b, "\"frames\":[");
  for (uint32_t i = 0; i < n; i++) {
    memgate__buf_puts(b, i ? ",{\"function\":" : "{\"function\":");
    memgate__buf_json_str(b, f[i].function);
    memgate__buf_puts(b, ",\"file\":");
    memgate__buf_json_str(b, f[i].file);
    memgate__buf_printf(b, ",\"line\":%u}", f[i].line);
  }
  memgate__buf_put(b, "]", 1);
}

/* ,"kept_by":{"root":..,"holders":[{"frames":[..]},..],...} when searched. */
static void json_kept(memgate__buf *b, const kept *k) {
  static const char *const roots[] = {"unknown", "global", "stack", "none"};
  if (k->root == MEMGATE_SITES_HELD_UNKNOWN || k->root > MEMGATE_SITES_HELD_NONE) return;
  memgate__buf_printf(b, ",\"kept_by\":{\"root\":\"%s\",\"holders\":[", roots[k->root]);
  for (uint32_t i = 0; i < k->n_hops; i++) {
    memgate__buf_puts(b, i ? ",{" : "{");
    json_frames(b, k->hops[i].frames, k->hops[i].n_frames);
    memgate__buf_put(b, "}", 1);
  }
  memgate__buf_puts(b, "],\"global\":");
  if (k->root == MEMGATE_SITES_HELD_GLOBAL) {
    memgate__buf_puts(b, "{\"symbol\":");
    memgate__buf_json_str(b, k->global.function);
    memgate__buf_puts(b, ",\"object\":");
    memgate__buf_json_str(b, k->global.file);
    memgate__buf_put(b, "}", 1);
  } else {
    memgate__buf_puts(b, "null");
  }
  memgate__buf_printf(b, ",\"truncated\":%s,\"blocks\":%" PRIu64 ",\"examined\":%" PRIu64 "}",
                      k->truncated ? "true" : "false", k->blocks, k->examined);
}

static void json_site(memgate__buf *b, const site *c) {
  memgate__buf_put(b, "{", 1);
  json_frames(b, c->frames, c->n_frames);
  memgate__buf_printf(b, ",\"bytes_per_iteration\":%.3f,\"blocks_per_iteration\":%.3f,"
                         "\"share\":%.4f,\"growth_bytes\":%" PRId64,
                      c->per_iter, c->blocks_per_iter, c->share, c->growth);
  json_kept(b, &c->kept);
  memgate__buf_put(b, "}", 1);
}

void memgate__sites_json(memgate__buf *b) {
  sites_run *s = tl_current;
  if (s == NULL) return;
  memgate__buf_puts(b, ",\"sites\":[");
  for (uint32_t i = 0; i < s->listed; i++) {
    if (i) memgate__buf_put(b, ",", 1);
    json_site(b, &s->sites[i]);
  }
  memgate__buf_put(b, "]", 1);
}

void memgate__sites_done(void) {
  tl_current = NULL;
}
