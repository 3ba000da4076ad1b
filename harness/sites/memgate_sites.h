/*
 * memgate_sites.h - the interface libmemgate-sites.so exports (docs/SITES.md).
 *
 * libmemgate-sites.so is preloaded (LD_PRELOAD plus MEMGATE_SITES=1, or
 * `memgate run --sites -- CMD`). It interposes the C allocator and keeps,
 * for every live block, the id of the call stack that allocated it, and per
 * stack the live bytes and blocks. Nothing links to it: a program (or
 * libmemgate) finds these functions at run time with
 * dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SNAPSHOT) and friends; when the
 * library is not loaded the lookups return NULL.
 *
 * Ids are dense and stable for the life of the process: 1 .. n, in the order
 * the stacks were first seen. Id 1 is "other stacks": allocations made
 * after the stack table filled up (depth 0).
 */
#ifndef MEMGATE_SITES_H
#define MEMGATE_SITES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Frames kept per stack (deeper stacks are cut; callers nearest the
 * allocation are kept). */
#define MEMGATE_SITES_MAX_FRAMES 16
/* The id of "other stacks" (stack table full). */
#define MEMGATE_SITES_OVERFLOW_ID 1u

/* Names for dlsym(). */
#define MEMGATE_SITES_SYM_ENABLED "memgate_sites_enabled"
#define MEMGATE_SITES_SYM_SNAPSHOT "memgate_sites_snapshot"
#define MEMGATE_SITES_SYM_FRAMES "memgate_sites_frames"
#define MEMGATE_SITES_SYM_SYMBOLIZE "memgate_sites_symbolize"
#define MEMGATE_SITES_SYM_SYMBOLIZE_INLINE "memgate_sites_symbolize_inline"
#define MEMGATE_SITES_SYM_DESCRIBE "memgate_sites_describe"
#define MEMGATE_SITES_SYM_STATS "memgate_sites_stats_get"
#define MEMGATE_SITES_SYM_HOLDERS "memgate_sites_holders"
#define MEMGATE_SITES_SYM_SYMBOLIZE_DATA "memgate_sites_symbolize_data"

/* Holding blocks kept per path (nearest the site's block first). */
#define MEMGATE_SITES_MAX_HOPS 6

/* What a path starts from (memgate_sites_holder.root). */
enum {
  MEMGATE_SITES_HELD_UNKNOWN = 0, /* not searched (not recording, no block of the site, Darwin) */
  MEMGATE_SITES_HELD_GLOBAL = 1,  /* a pointer in a global (a writable segment of a loaded object) */
  MEMGATE_SITES_HELD_STACK = 2,   /* a pointer on the calling thread's stack */
  MEMGATE_SITES_HELD_NONE = 3     /* nothing found: unreachable from the globals, the heap and this stack */
};

/* The retention path most of a site's live blocks share: the site's block
 * is pointed to by a block of stack ids[0], which is pointed to by one of
 * ids[1], ..., and the last by the root. Consecutive holders of the same
 * stack (a linked list) count once, and so do holders of the site's own
 * stack. */
typedef struct memgate_sites_holder {
  uint32_t root;            /* MEMGATE_SITES_HELD_* */
  uint32_t hops;            /* entries used in ids (at most MEMGATE_SITES_MAX_HOPS) */
  uint32_t ids[MEMGATE_SITES_MAX_HOPS];
  uint32_t truncated;       /* 1 when the path had more holders than ids keeps (the nearest are kept) */
  uintptr_t root_addr;      /* GLOBAL and STACK: the address of the pointer, of one block on the path */
  uint64_t blocks;          /* the site's live blocks that follow this path */
  uint64_t examined;        /* the site's live blocks examined (at most 4096) */
} memgate_sites_holder;

typedef struct memgate_sites_stats {
  uint64_t stacks;          /* distinct stacks recorded so far (ids 1 .. stacks) */
  uint64_t stacks_cap;      /* most stacks the table holds (MEMGATE_SITES_STACKS) */
  uint64_t blocks;          /* live blocks recorded now */
  uint64_t blocks_cap;      /* most live blocks recorded (MEMGATE_SITES_BLOCKS) */
  uint64_t dropped_blocks;  /* allocations not recorded because the block table was full (cumulative) */
  uint64_t overflow_allocs; /* allocations charged to id 1 because the stack table was full (cumulative) */
  uint64_t table_bytes;     /* bytes of the mmap'ed tables, all touched at start-up */
  uint64_t lock_acquires;   /* block-table stripe locks taken (cumulative) */
  uint64_t lock_contended;  /* of those, the ones that had to wait */
  uint64_t boot_bytes;      /* bytes served from the static bootstrap arena */
} memgate_sites_stats;

typedef struct memgate_sites_frame {
  uintptr_t pc;             /* the return address recorded */
  unsigned line;            /* source line of the call, 0 when unknown */
  char function[128];       /* function name, "?" when unknown */
  char file[256];           /* source file; the object's path when there is no line information */
} memgate_sites_frame;

/* 1 when recording (loaded and MEMGATE_SITES=1 at start-up), else 0. */
int memgate_sites_enabled(void);

/* Copies, for the first min(n, cap) stacks, the id, the live bytes and the
 * live blocks into the caller's arrays (each may be NULL) and returns n, the
 * number of stacks known. Allocates nothing, takes no lock, O(n) in the
 * number of stacks (not of blocks). Figures of different stacks are read one
 * after the other, not as one atomic picture. */
size_t memgate_sites_snapshot(uint32_t *ids, uint64_t *bytes, uint64_t *blocks, size_t cap);

/* Copies up to cap return addresses of stack id, innermost (the caller of
 * the allocating function) first; returns the stack's depth (0 for an
 * unknown id or id 1). Allocates nothing. */
size_t memgate_sites_frames(uint32_t id, uintptr_t *pcs, size_t cap);

/* Symbolizes one recorded return address: function, file and line (libdw
 * when the library was built with it, else dladdr names and no line); an
 * inlined call gives its innermost function.
 * Returns 0, or -1 when nothing is known of pc (out is then "?").
 * Allocates (and its allocations are not recorded): call it after the
 * measurement, never between two samples. Thread-safe. */
int memgate_sites_symbolize(uintptr_t pc, memgate_sites_frame *out);

/* The same, with the calls the compiler inlined at pc expanded: up to cap
 * frames, the innermost function first (at the line it executes), each
 * around it at the line of its inlined call, the real function last.
 * Returns how many were written (0 when nothing is known of pc). */
size_t memgate_sites_symbolize_inline(uintptr_t pc, memgate_sites_frame *out, size_t cap);

/* Writes "function file:line <- caller file:line <- ..." for stack id
 * (inlined calls expanded), at most max_frames frames (0: all), into buf (always terminated when
 * cap > 0) and returns the length it needed. Same allocation rule as
 * memgate_sites_symbolize. */
size_t memgate_sites_describe(uint32_t id, size_t max_frames, char *buf, size_t cap);

/* Who holds the live blocks of stacks ids[0 .. n): for each, the
 * retention path most of its blocks share (out[i], root HELD_UNKNOWN when
 * the stack has no live block). One walk of the heap for all n, shortest
 * paths first (breadth-first from every writable segment of the loaded
 * objects; then, for what those do not reach, from the calling thread's
 * stack, the caller's frame up); a word is a pointer when it points into a live recorded block,
 * interior pointers included (conservative, as LeakSanitizer). Other
 * threads' stacks and registers are not searched. While it runs every
 * block-table lock is held (other threads' allocations wait); its scratch
 * memory is mmap'ed and unmapped before it returns. Cost: O(B log B) in the
 * live blocks plus O(W log B) in the words of the live heap and the roots.
 * Returns n, or 0 when not recording (Linux only: 0 elsewhere).
 * Call it after the measurement, never between two samples. */
size_t memgate_sites_holders(const uint32_t *ids, size_t n, memgate_sites_holder *out);

/* Names the global at addr (a root_addr): the symbol holding it and the
 * object's path (libdw's symbol table, which has static variables, else
 * dladdr). Returns 0, or -1 when nothing is known. Allocates, as
 * memgate_sites_symbolize. */
int memgate_sites_symbolize_data(uintptr_t addr, memgate_sites_frame *out);

/* Fills *out with the tables' figures (zeros when not recording). */
void memgate_sites_stats_get(memgate_sites_stats *out);

/* Function-pointer types for the dlsym'ed entry points. */
typedef int (*memgate_sites_enabled_fn)(void);
typedef size_t (*memgate_sites_snapshot_fn)(uint32_t *, uint64_t *, uint64_t *, size_t);
typedef size_t (*memgate_sites_frames_fn)(uint32_t, uintptr_t *, size_t);
typedef int (*memgate_sites_symbolize_fn)(uintptr_t, memgate_sites_frame *);
typedef size_t (*memgate_sites_symbolize_inline_fn)(uintptr_t, memgate_sites_frame *, size_t);
typedef size_t (*memgate_sites_describe_fn)(uint32_t, size_t, char *, size_t);
typedef void (*memgate_sites_stats_fn)(memgate_sites_stats *);
typedef size_t (*memgate_sites_holders_fn)(const uint32_t *, size_t, memgate_sites_holder *);
typedef int (*memgate_sites_symbolize_data_fn)(uintptr_t, memgate_sites_frame *);

#ifdef __cplusplus
}
#endif
#endif
