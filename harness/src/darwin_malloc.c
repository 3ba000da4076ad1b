/*
 * Darwin allocator facts, compiled on every platform so the Linux test suite
 * checks them (tests/test_darwin_defaults.c). Read from libmalloc-792.1.1
 * (Apple's published source); not measured on a Mac.
 *
 * malloc_zone_statistics() sums each magazine's bytes in objects
 * (magazine_malloc.c, scalable_zone_statistics). A free() of a tiny block
 * under 256 B, of a small block or of a medium block first parks it as the
 * magazine's "last free" block and only really frees the block it displaces
 * (magazine_tiny.c free_tiny, magazine_small.c free_small, magazine_medium.c
 * free_medium; CONFIG_TINY/SMALL/MEDIUM_CACHE in platform.h). The parked
 * block stays counted in size_in_use, so every magazine can keep one block
 * of each kind counted after the program freed it. Magazines are chosen per
 * CPU (or per cluster), so which one a thread frees into changes between
 * iterations, and with it the count.
 *
 * Sizes (thresholds.h): small blocks up to SMALL_LIMIT_THRESHOLD, 15 KiB on
 * devices (MALLOC_TARGET_IOS) and 32 KiB elsewhere; medium blocks up to
 * MEDIUM_LIMIT_THRESHOLD, 8 MiB, with the medium allocator built only for
 * 64-bit non-device targets (CONFIG_MEDIUM_ALLOCATOR) and engaged only when
 * the machine has at least MEDIUM_ACTIVATION_THRESHOLD, 32 GiB, of memory
 * (magazine_malloc.c, is_medium_engaged). Freed large blocks kept for reuse
 * ("death row", magazine_large.c) are not counted, so they do not matter.
 *
 * Current OS releases may use the xzone allocator instead, whose source
 * libmalloc-792.1.1 does not publish (src/xzone/ holds empty files): what it
 * counts is unknown, and these figures then only stand in for it.
 */
#include "memgate_internal.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * KIB)
#define GIB (MIB * KIB)

/* The largest tiny block the last-free slot takes: below 16 quanta of 16 B. */
#define DARWIN_TINY_CACHED (256u)
#define DARWIN_SMALL_MAX_DEVICE (15u * KIB)
#define DARWIN_SMALL_MAX_OTHER (32u * KIB)
#define DARWIN_MEDIUM_MAX (8u * MIB)
#define DARWIN_MEDIUM_MIN_MEMSIZE (32u * GIB)

uint64_t memgate__darwin_magazine_kept_bytes(bool embedded, uint64_t memsize_bytes) {
  uint64_t kept = DARWIN_TINY_CACHED;
  kept += embedded ? DARWIN_SMALL_MAX_DEVICE : DARWIN_SMALL_MAX_OTHER;
  /* The one 32-bit target (arm64_32) is a watch, hence embedded. An unknown
   * memsize (0) counts the medium block: the safe side. */
  if (!embedded && (memsize_bytes == 0 || memsize_bytes >= DARWIN_MEDIUM_MIN_MEMSIZE))
    kept += DARWIN_MEDIUM_MAX;
  return kept;
}
