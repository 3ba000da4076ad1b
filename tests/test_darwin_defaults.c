/*
 * The defaults as a function of the platform's facts (options.c
 * memgate__defaults_for, darwin_malloc.c), Darwin's choice in particular,
 * checked on Linux: the figures, and repeats judged with them through the
 * scripted sampler (tests/support/scripted.c), so that what a Darwin magazine
 * keeps counted is not a leak while leaks above it, and small leaks that add
 * the same bytes every iteration, still are. No real memory is measured.
 */
#include "support/scripted.h"

#include "state.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * KIB)
#define GIB (MIB * KIB)

/* libmalloc-792.1.1: tiny last-free below 256 B, small up to 15 KiB on
 * devices and 32 KiB elsewhere, medium up to 8 MiB from 32 GiB of memory. */
#define KEPT_DEVICE (256 + 15 * KIB)
#define KEPT_MAC (256 + 32 * KIB)
#define KEPT_MAC_MEDIUM (KEPT_MAC + 8 * MIB)

/* ------------------------------------------------------------------ facts */

static memgate__platform_facts facts(uint64_t page, memgate__alloc_kind alloc, bool fillable,
                                     uint64_t kept) {
  memgate__platform_facts f;
  memset(&f, 0, sizeof f);
  f.page_bytes = page;
  f.alloc = alloc;
  f.alloc_cache_fillable = fillable;
  f.alloc_kept_bytes = kept;
  return f;
}

static memgate_options defaults(memgate__platform_facts f) {
  memgate_options o;
  memset(&o, 0xA5, sizeof o); /* every field must be set */
  memgate__defaults_for(&f, &o);
  return o;
}

static memgate__platform_facts ios_device(void) {
  return facts(16 * KIB, MEMGATE__ALLOC_MAGAZINE, false,
               memgate__darwin_magazine_kept_bytes(true, 8 * GIB));
}

static void test_magazine_keeps_one_tiny_and_small_block_on_devices(void **state) {
  (void)state;
  assert_int_equal(memgate__darwin_magazine_kept_bytes(true, 8 * GIB), KEPT_DEVICE);
  /* devices have no medium allocator, whatever their memory */
  assert_int_equal(memgate__darwin_magazine_kept_bytes(true, 64 * GIB), KEPT_DEVICE);
}

static void test_magazine_adds_a_medium_block_on_macs_from_32_gib(void **state) {
  (void)state;
  assert_int_equal(memgate__darwin_magazine_kept_bytes(false, 16 * GIB), KEPT_MAC);
  assert_int_equal(memgate__darwin_magazine_kept_bytes(false, 32 * GIB - 1), KEPT_MAC);
  assert_int_equal(memgate__darwin_magazine_kept_bytes(false, 32 * GIB), KEPT_MAC_MEDIUM);
  /* memory unknown: the safe side */
  assert_int_equal(memgate__darwin_magazine_kept_bytes(false, 0), KEPT_MAC_MEDIUM);
}

static void test_linux_defaults_are_the_calibrated_figures(void **state) {
  (void)state;
  memgate_options o = defaults(facts(4096, MEMGATE__ALLOC_EXACT, false, 0));
  assert_false(o.alloc_cache_active);
  assert_false(o.fill_alloc_cache);
  assert_int_equal(o.warmup, 2);
  assert_int_equal(o.iterations, 10);
  assert_int_equal(o.min_growth_bytes, 10 * 4096); /* as calibrated on 4 KiB pages */
  assert_int_equal(o.min_slope_bytes, 1024);
  assert_int_equal(o.heap_min_growth_bytes, 64);
  assert_int_equal(o.heap_min_slope_bytes, 8);
  assert_true(o.trend_t == 10.0);
  assert_int_equal(o.heap_regular_steps, 8);
  assert_int_equal(o.settle_ms, 0);
  assert_true(o.release);

  o = defaults(facts(4096, MEMGATE__ALLOC_THREAD_CACHE, true, 0));
  assert_true(o.alloc_cache_active);
  assert_true(o.fill_alloc_cache);
  assert_int_equal(o.warmup, 20);
  assert_int_equal(o.min_growth_bytes, 40960);
  assert_int_equal(o.heap_min_growth_bytes, 3 * 4096);
  assert_int_equal(o.heap_min_slope_bytes, 1024);

  o = defaults(facts(4096, MEMGATE__ALLOC_THREAD_CACHE, false, 0));
  assert_false(o.fill_alloc_cache);
}

static void test_footprint_minimum_is_bytes_not_pages(void **state) {
  (void)state;
  /* 40 KiB rounded up to a page: 16 KiB pages give 48 KiB, not 160 KiB */
  assert_int_equal(defaults(facts(16 * KIB, MEMGATE__ALLOC_EXACT, false, 0)).min_growth_bytes,
                   48 * KIB);
  assert_int_equal(defaults(facts(8 * KIB, MEMGATE__ALLOC_EXACT, false, 0)).min_growth_bytes,
                   40 * KIB);
  assert_int_equal(defaults(facts(64 * KIB, MEMGATE__ALLOC_EXACT, false, 0)).min_growth_bytes,
                   64 * KIB);
  assert_int_equal(defaults(facts(0, MEMGATE__ALLOC_EXACT, false, 0)).min_growth_bytes, 40960);
  assert_int_equal(ios_device().page_bytes, 16 * KIB);
  assert_int_equal(defaults(ios_device()).min_growth_bytes, 48 * KIB);
}

static void test_darwin_is_cache_active_and_never_filled(void **state) {
  (void)state;
  memgate_options o = defaults(ios_device());
  assert_true(o.alloc_cache_active);
  assert_false(o.fill_alloc_cache);
  assert_int_equal(o.warmup, 20);
  assert_int_equal(o.heap_regular_steps, 8);
  /* a fillable flag from elsewhere does not make magazines fillable */
  o = defaults(facts(16 * KIB, MEMGATE__ALLOC_MAGAZINE, true, KEPT_DEVICE));
  assert_false(o.fill_alloc_cache);
}

static void test_darwin_heap_thresholds_exceed_what_a_magazine_keeps(void **state) {
  (void)state;
  /* iPhone: 15.25 KiB kept -> one 16 KiB page per iteration; growth 3 pages */
  memgate_options o = defaults(ios_device());
  assert_int_equal(o.heap_min_slope_bytes, 16 * KIB);
  assert_int_equal(o.heap_min_growth_bytes, 48 * KIB);
  /* Apple-silicon Mac, 16 GiB: 32.25 KiB kept -> 48 KiB */
  o = defaults(facts(16 * KIB, MEMGATE__ALLOC_MAGAZINE, false,
                     memgate__darwin_magazine_kept_bytes(false, 16 * GIB)));
  assert_int_equal(o.heap_min_slope_bytes, 48 * KIB);
  assert_int_equal(o.heap_min_growth_bytes, 48 * KIB);
  /* Intel Mac, 4 KiB pages: 36 KiB */
  o = defaults(facts(4096, MEMGATE__ALLOC_MAGAZINE, false, KEPT_MAC));
  assert_int_equal(o.heap_min_slope_bytes, 36 * KIB);
  assert_int_equal(o.heap_min_growth_bytes, 36 * KIB);
  /* 64 GiB Mac: the medium block too, 8 MiB + 32.25 KiB -> 515 pages */
  o = defaults(facts(16 * KIB, MEMGATE__ALLOC_MAGAZINE, false,
                     memgate__darwin_magazine_kept_bytes(false, 64 * GIB)));
  assert_int_equal(o.heap_min_slope_bytes, 515 * 16 * KIB);
  assert_int_equal(o.heap_min_growth_bytes, 515 * 16 * KIB);
  /* exactly a page kept: strictly above it, so the next page */
  o = defaults(facts(16 * KIB, MEMGATE__ALLOC_MAGAZINE, false, 16 * KIB));
  assert_int_equal(o.heap_min_slope_bytes, 32 * KIB);
}

/* --------------------------------------------------- scripted repeats */

#define N 10

/* Footprint and allocator view before and after the warm-up, then each
 * measured iteration adding fp_step[i] and heap_step[i] (the first n). */
static void script_steps(const uint64_t *fp_step, const uint64_t *heap_step, size_t n) {
  uint64_t fp[N + 2], heap[N + 2];
  fp[0] = fp[1] = 1 * MIB;
  heap[0] = heap[1] = 512 * KIB;
  for (size_t i = 0; i < N; i++) {
    fp[i + 2] = fp[i + 1] + (i < n && fp_step ? fp_step[i] : 0);
    heap[i + 2] = heap[i + 1] + (i < n && heap_step ? heap_step[i] : 0);
  }
  script_series(fp, heap, N + 2);
}

static memgate_verdict run(memgate_options o, uint32_t iterations, memgate_result *r) {
  o.warmup = 1; /* the script does not care; keeps the test quick */
  o.confirm_iterations = 0; /* the thresholds alone: the script ends after its steps */
  return memgate_repeat_opts("darwin.defaults", iterations, noop, NULL, &o, "t.c", 1, r);
}

/* A thread that frees into another magazine each iteration parks one more
 * tiny + small block there: up to 15.25 KiB per iteration on an iPhone,
 * every iteration a different size, footprint flat. */
static const uint64_t magazine_noise[N] = {15616, 15104, 14592, 15360, 13824,
                                           15616, 12800, 15104, 14080, 15616};

static void test_magazine_noise_is_not_a_leak_with_darwin_defaults(void **state) {
  (void)state;
  memgate_result r;
  script_steps(NULL, magazine_noise, N);
  assert_int_equal(run(defaults(ios_device()), N, &r), MemgateVerdictPass);
  assert_int_equal(F.calls, 0);
  assert_true(r.heap_delta_bytes > 140 * (int64_t)KIB); /* it did grow, every iteration */
}

static void test_magazine_noise_is_a_leak_with_exact_allocator_defaults(void **state) {
  (void)state;
  memgate_result r;
  script_steps(NULL, magazine_noise, N);
  assert_int_equal(run(defaults(facts(16 * KIB, MEMGATE__ALLOC_EXACT, false, 0)), N, &r),
                   MemgateVerdictLeak);
  assert_int_equal(F.calls, 1);
}

static void test_darwin_flags_allocator_growth_above_a_magazine(void **state) {
  (void)state;
  memgate_result r;
  uint64_t step[N];
  for (int i = 0; i < N; i++) step[i] = 17 * KIB + (uint64_t)(i % 3) * 512; /* not one size */
  script_steps(NULL, step, N);
  assert_int_equal(run(defaults(ios_device()), N, &r), MemgateVerdictLeak);
  assert_int_equal(F.calls, 1);
}

static void test_darwin_flags_a_small_leak_of_the_same_bytes_each_iteration(void **state) {
  (void)state;
  memgate_result r;
  uint64_t step[N];
  for (int i = 0; i < N; i++) step[i] = 48;
  script_steps(NULL, step, N);
  assert_int_equal(run(defaults(ios_device()), N, &r), MemgateVerdictLeak);
  assert_int_equal(r.heap_delta_bytes, 480);
}

static void test_16k_pages_flag_four_pages_of_footprint_growth(void **state) {
  (void)state;
  memgate_result r;
  /* four 16 KiB pages (64 KiB): below 10 pages (160 KiB), above 40 KiB */
  const uint64_t page[4] = {16 * KIB, 16 * KIB, 16 * KIB, 16 * KIB};
  script_steps(page, NULL, 4);
  assert_int_equal(run(defaults(ios_device()), 4, &r), MemgateVerdictLeak);
  assert_int_equal(r.retained_bytes, 64 * (int64_t)KIB);
}

static void test_16k_pages_round_the_footprint_minimum_up(void **state) {
  (void)state;
  memgate_result r;
  /* 40 KiB in four steps: exactly the minimum on 4 KiB pages, below 48 KiB */
  const uint64_t step[4] = {10 * KIB, 10 * KIB, 10 * KIB, 10 * KIB};
  script_steps(step, NULL, 4);
  assert_int_equal(run(defaults(facts(4096, MEMGATE__ALLOC_EXACT, false, 0)), 4, &r),
                   MemgateVerdictLeak);
  script_steps(step, NULL, 4);
  assert_int_equal(run(defaults(ios_device()), 4, &r), MemgateVerdictPass);
  assert_int_equal(r.retained_bytes, 40 * (int64_t)KIB);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_magazine_keeps_one_tiny_and_small_block_on_devices),
      cmocka_unit_test(test_magazine_adds_a_medium_block_on_macs_from_32_gib),
      cmocka_unit_test(test_linux_defaults_are_the_calibrated_figures),
      cmocka_unit_test(test_footprint_minimum_is_bytes_not_pages),
      cmocka_unit_test(test_darwin_is_cache_active_and_never_filled),
      cmocka_unit_test(test_darwin_heap_thresholds_exceed_what_a_magazine_keeps),
      T_(test_magazine_noise_is_not_a_leak_with_darwin_defaults),
      T_(test_magazine_noise_is_a_leak_with_exact_allocator_defaults),
      T_(test_darwin_flags_allocator_growth_above_a_magazine),
      T_(test_darwin_flags_a_small_leak_of_the_same_bytes_each_iteration),
      T_(test_16k_pages_flag_four_pages_of_footprint_growth),
      T_(test_16k_pages_round_the_footprint_minimum_up),
  };
#undef T_
  return scripted_main(argc, argv, "memgate Darwin defaults", tests, sizeof tests / sizeof tests[0]);
}
