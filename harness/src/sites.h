/*
 * Allocation sites in repeats and scopes (sites.c, docs/SITES.md): when
 * libmemgate-sites.so is preloaded and recording, a repeat snapshots the
 * live bytes of every call stack at each sample, into storage reserved
 * before the first one; after the verdict it ranks the stacks that grew
 * steadily (the repeat's own rules) and the message and the results line
 * name them. Without the preload every call here returns at once.
 */
#ifndef MEMGATE_SITES_INTERNAL_H_
#define MEMGATE_SITES_INTERNAL_H_

#include "memgate_internal.h"

/* The most sites a result lists, and frames per site. */
#define MEMGATE__SITES_LISTED 16
#define MEMGATE__SITE_FRAMES 4
/* Frames per holder on a retention path (the allocating function and its caller). */
#define MEMGATE__HOP_FRAMES 2

/* Repeats and loops, keyed by the run (its address: one per nesting level,
 * so nested runs each keep their own rows).
 * Before the first sample of a run (samples = the judged window + 1, i.e.
 * the planned measured iterations + 1; later samples reuse rows, a ring):
 * finds the recorder, reserves and touches the snapshot rows. Allocates;
 * without the recorder (or out of memory) sites are off for this repeat. */
MEMGATE__HIDDEN void memgate__sites_reserve(const void *run, uint32_t samples);
/* Right after sample row (0, 1, ...; any number): copies every stack's live
 * bytes and blocks into the reserved row. No allocation, no lock. */
MEMGATE__HIDDEN void memgate__sites_sample(const void *run, uint32_t row);
/* After the verdict of `done` measured iterations judged on the newest
 * `window` of them (repeat.c's confirmation rounds): ranks the stacks whose
 * live bytes grew steadily over that window by the allocator view's rules
 * of o, and symbolizes them (allocates). A window under 3 lists nothing. */
MEMGATE__HIDDEN void memgate__sites_rank(const void *run, uint32_t done, uint32_t window,
                                          const memgate_options *o);
/* Appends "; where: <first site> (...)" to a failure message. */
MEMGATE__HIDDEN void memgate__sites_note(char *msg, size_t cap);
/* Appends ,"sites":[...] to the results line being formatted, when this
 * thread's current result has sites (nothing otherwise). */
MEMGATE__HIDDEN void memgate__sites_json(memgate__buf *b);
/* Scopes. Before MEM_BEGIN's sample at depth: reserves the rows (every
 * depth at once, the first time; allocates). Right after that sample:
 * copies the live bytes (no allocation). Right after MEM_END's sample:
 * copies them again and lists the stacks holding more than at MEM_BEGIN,
 * largest first (allocates: symbolizes). */
MEMGATE__HIDDEN void memgate__sites_scope_reserve(int depth);
MEMGATE__HIDDEN void memgate__sites_scope_begin(int depth);
MEMGATE__HIDDEN void memgate__sites_scope_end(int depth);
/* The result has been delivered: its sites are no longer current. */
MEMGATE__HIDDEN void memgate__sites_done(void);

#endif
