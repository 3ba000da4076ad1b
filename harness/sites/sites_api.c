/* sites_api.c - the exported read side (memgate_sites.h). Nothing here
 * allocates or takes a table lock. */
#include "sites_internal.h"

#include <string.h>

SITES_API int memgate_sites_enabled(void) {
  return sites_recording() ? 1 : 0;
}

SITES_API size_t memgate_sites_snapshot(uint32_t *ids, uint64_t *bytes, uint64_t *blocks, size_t cap) {
  if (!sites_recording()) return 0;
  return sites_stacks_snapshot(ids, bytes, blocks, cap);
}

SITES_API size_t memgate_sites_frames(uint32_t id, uintptr_t *pcs, size_t cap) {
  if (!sites_recording()) return 0;
  return sites_stacks_frames(id, pcs, cap);
}

SITES_API void memgate_sites_stats_get(memgate_sites_stats *out) {
  if (out == NULL) return;
  memset(out, 0, sizeof *out);
  if (!sites_recording()) return;
  sites_stacks_stats(out);
  sites_blocks_stats(out);
  out->boot_bytes = sites_arena_used();
}
