/*
 * Darwin TASK_VM_INFO revision logic, compiled on every platform so the
 * Linux test suite can drive it with scripted counts (tests/test_darwin_rev.c).
 *
 * task_info(TASK_VM_INFO) returns in `count` the size (natural_t units) of
 * the newest struct revision the kernel filled. A field is trusted only when
 * that count reaches the revision that added it:
 *   REV0 (always; the kernel rejects a smaller buffer): resident_size,
 *        internal, compressed
 *   REV1 (count >= TASK_VM_INFO_REV1_COUNT):            phys_footprint
 *   REV3 (count >= TASK_VM_INFO_REV3_COUNT):            ledger_phys_footprint_peak
 * A rev*_count of 0 means the SDK had no such macro: the field is never
 * trusted. All byte fields are already bytes.
 *
 * Contract beyond memgate_internal.h: *out is cleared first, so every field
 * not flagged in out->valid is 0. NULL vm or out returns MEMGATE_EINVAL
 * (and clears *out when out is not NULL). No allocation.
 */
#include "memgate_internal.h"

#include <string.h>

int memgate__darwin_fill(const memgate__darwin_vm *vm, memgate_footprint *out) {
  if (out == NULL) return MEMGATE_EINVAL;
  memset(out, 0, sizeof *out);
  if (vm == NULL) return MEMGATE_EINVAL;

  out->resident_bytes = vm->resident_size;
  out->internal_bytes = vm->internal;
  out->compressed_bytes = vm->compressed;
  out->valid = MEMGATE_HAS_RESIDENT | MEMGATE_HAS_INTERNAL | MEMGATE_HAS_COMPRESSED;

  if (vm->rev1_count == 0 || vm->count < vm->rev1_count) return MEMGATE_EPARSE;
  out->footprint_bytes = vm->phys_footprint;

  /* REV3 extends REV1. The lifetime peak is reported as is; the core owns
   * peak_bytes. */
  if (vm->rev3_count != 0 && vm->count >= vm->rev3_count) {
    out->lifetime_peak_bytes = vm->ledger_phys_footprint_peak;
    out->valid |= MEMGATE_HAS_LIFETIME_PEAK;
  }
  return 0;
}
