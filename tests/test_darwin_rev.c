/*
 * memgate__darwin_fill (harness/src/darwin_rev.c): which task_vm_info fields
 * are trusted for a given count. Runs on Linux with scripted values.
 *
 * Counts are the TASK_VM_INFO_REVn_COUNT sizes in natural_t units. The
 * macOS link check (tests/darwin_link_main.c, built by `make check-darwin`)
 * asserts at compile time that the SDK has these same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "memgate_internal.h"

enum {
  REV0 = 36,
  REV1 = 38,
  REV2 = 42,
  REV3 = 84,
  REV4 = 86,
  REV7 = 93 /* TASK_VM_INFO_COUNT of the current SDK */
};

#define BASE_BITS (MEMGATE_HAS_RESIDENT | MEMGATE_HAS_INTERNAL | MEMGATE_HAS_COMPRESSED)

/* Distinct raw values, so a field copied into the wrong slot shows. */
#define PHYS 0x1111000u
#define RESIDENT 0x2222000u
#define INTERNAL 0x3333000u
#define COMPRESSED 0x4444000u
#define LIFETIME_PEAK 0x5555000u

static memgate__darwin_vm make_vm(uint32_t count, uint32_t rev1, uint32_t rev3) {
  memgate__darwin_vm vm;
  memset(&vm, 0, sizeof vm);
  vm.count = count;
  vm.rev1_count = rev1;
  vm.rev3_count = rev3;
  vm.phys_footprint = PHYS;
  vm.resident_size = RESIDENT;
  vm.internal = INTERNAL;
  vm.compressed = COMPRESSED;
  vm.ledger_phys_footprint_peak = LIFETIME_PEAK;
  return vm;
}

/* Runs the fill on an output full of garbage, so stale fields show. */
static int fill(const memgate__darwin_vm *vm, memgate_footprint *out) {
  memset(out, 0xA5, sizeof *out);
  return memgate__darwin_fill(vm, out);
}

/* Every field, exactly. */
static void assert_footprint(const memgate_footprint *got, uint64_t footprint,
                             uint64_t lifetime_peak, uint32_t valid) {
  assert_int_equal(got->valid, valid);
  assert_int_equal(got->footprint_bytes, footprint);
  assert_int_equal(got->lifetime_peak_bytes, lifetime_peak);
  if (valid & MEMGATE_HAS_RESIDENT) {
    assert_int_equal(got->resident_bytes, RESIDENT);
    assert_int_equal(got->internal_bytes, INTERNAL);
    assert_int_equal(got->compressed_bytes, COMPRESSED);
  } else {
    assert_int_equal(got->resident_bytes, 0);
    assert_int_equal(got->internal_bytes, 0);
    assert_int_equal(got->compressed_bytes, 0);
  }
  /* Never set by the Darwin revision logic. */
  assert_int_equal(got->peak_bytes, 0);
  assert_int_equal(got->peak_resident_bytes, 0);
  assert_int_equal(got->anon_bytes, 0);
  assert_int_equal(got->file_bytes, 0);
  assert_int_equal(got->shmem_bytes, 0);
  assert_int_equal(got->swap_bytes, 0);
  assert_int_equal(got->page_table_bytes, 0);
  assert_int_equal(got->heap_bytes, 0);
}

static void below_rev1_has_no_footprint(void **state) {
  static const uint32_t counts[] = {0, 1, REV0, REV1 - 1};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    memgate__darwin_vm vm = make_vm(counts[i], REV1, REV3);
    memgate_footprint out;
    assert_int_equal(fill(&vm, &out), MEMGATE_EPARSE);
    assert_footprint(&out, 0, 0, BASE_BITS);
  }
}

static void rev1_has_footprint_but_no_lifetime_peak(void **state) {
  static const uint32_t counts[] = {REV1, REV2, REV3 - 1};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    memgate__darwin_vm vm = make_vm(counts[i], REV1, REV3);
    memgate_footprint out;
    assert_int_equal(fill(&vm, &out), 0);
    assert_footprint(&out, PHYS, 0, BASE_BITS);
  }
}

static void rev3_has_lifetime_peak(void **state) {
  static const uint32_t counts[] = {REV3, REV4, REV7, 1000};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    memgate__darwin_vm vm = make_vm(counts[i], REV1, REV3);
    memgate_footprint out;
    assert_int_equal(fill(&vm, &out), 0);
    /* The lifetime peak never becomes the (resettable) peak. */
    assert_footprint(&out, PHYS, LIFETIME_PEAK, BASE_BITS | MEMGATE_HAS_LIFETIME_PEAK);
    assert_false(out.valid & MEMGATE_HAS_PEAK);
  }
}

/* An SDK without TASK_VM_INFO_REV3_COUNT passes rev3 = 0. */
static void old_sdk_never_has_lifetime_peak(void **state) {
  static const uint32_t counts[] = {REV1, REV3, REV7, UINT32_MAX};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    memgate__darwin_vm vm = make_vm(counts[i], REV1, 0);
    memgate_footprint out;
    assert_int_equal(fill(&vm, &out), 0);
    assert_footprint(&out, PHYS, 0, BASE_BITS);
  }
}

/* rev1 = 0 cannot prove anything: no footprint, whatever the count. */
static void unknown_rev1_has_no_footprint(void **state) {
  memgate__darwin_vm vm = make_vm(REV7, 0, REV3);
  memgate_footprint out;
  (void)state;
  assert_int_equal(fill(&vm, &out), MEMGATE_EPARSE);
  assert_footprint(&out, 0, 0, BASE_BITS);
}

static void values_pass_through_unchanged(void **state) {
  memgate__darwin_vm vm = make_vm(REV7, REV1, REV3);
  memgate_footprint out;
  (void)state;
  vm.phys_footprint = UINT64_MAX;
  vm.ledger_phys_footprint_peak = UINT64_MAX - 1;
  vm.resident_size = 0;
  assert_int_equal(fill(&vm, &out), 0);
  assert_int_equal(out.footprint_bytes, UINT64_MAX);
  assert_int_equal(out.lifetime_peak_bytes, UINT64_MAX - 1);
  assert_int_equal(out.resident_bytes, 0);
  assert_int_equal(out.valid, BASE_BITS | MEMGATE_HAS_LIFETIME_PEAK);
}

/* NULL vm: MEMGATE_EINVAL and *out cleared. NULL out: MEMGATE_EINVAL. */
static void null_arguments(void **state) {
  memgate__darwin_vm vm = make_vm(REV7, REV1, REV3);
  memgate_footprint out;
  (void)state;
  assert_int_equal(fill(NULL, &out), MEMGATE_EINVAL);
  assert_footprint(&out, 0, 0, 0);
  assert_int_equal(memgate__darwin_fill(&vm, NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate__darwin_fill(NULL, NULL), MEMGATE_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(below_rev1_has_no_footprint),
      cmocka_unit_test(rev1_has_footprint_but_no_lifetime_peak),
      cmocka_unit_test(rev3_has_lifetime_peak),
      cmocka_unit_test(old_sdk_never_has_lifetime_peak),
      cmocka_unit_test(unknown_rev1_has_no_footprint),
      cmocka_unit_test(values_pass_through_unchanged),
      cmocka_unit_test(null_arguments),
  };
  return cmocka_run_group_tests_name("darwin_rev", tests, NULL, NULL);
}
