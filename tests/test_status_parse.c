/*
 * The Linux /proc/self/status parser (sampler_linux.c) on given text.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

static void test_parse_status(void **state) {
  (void)state;
  memgate_footprint f;
  const char *ok = "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nRssAnon:\t     512 kB\n"
                   "RssFile:\t     400 kB\nRssShmem:\t     112 kB\nVmSwap:\t       8 kB\n"
                   "VmPTE:\t      16 kB\nThreads:\t1\n";
  memset(&f, 0, sizeof f);
  assert_int_equal(memgate__linux_parse_status(ok, strlen(ok), &f), 0);
  assert_int_equal(f.anon_bytes, 512 * 1024);
  assert_int_equal(f.swap_bytes, 8 * 1024);
  assert_int_equal(f.page_table_bytes, 16 * 1024);
  assert_int_equal(f.footprint_bytes, (512 + 8 + 16) * 1024);
  assert_int_equal(f.resident_bytes, 1024 * 1024);
  assert_int_equal(f.peak_resident_bytes, 2048 * 1024);
  assert_int_equal(f.peak_bytes, (2048 - 400 - 112 + 8 + 16) * 1024);
  assert_true(f.valid & MEMGATE_HAS_PEAK);
  assert_true(f.valid & MEMGATE_HAS_SWAP);

  const char *noswap = "RssAnon:\t 4 kB\nVmPTE:\t 4 kB\n";
  memset(&f, 0, sizeof f);
  assert_int_equal(memgate__linux_parse_status(noswap, strlen(noswap), &f), 0);
  assert_int_equal(f.footprint_bytes, 8192);
  assert_false(f.valid & MEMGATE_HAS_SWAP);
  assert_false(f.valid & MEMGATE_HAS_PEAK);

  static const char *const bad[] = {
      "VmRSS:\t 4 kB\n",                                   /* no RssAnon */
      "RssAnon:\t 4 kB\n",                                 /* no VmPTE */
      "RssAnon:\t x kB\nVmPTE:\t 4 kB\n",                  /* not a number */
      "RssAnon:\t 4 MB\nVmPTE:\t 4 kB\n",                  /* unit */
      "RssAnon:\t 4\nVmPTE:\t 4 kB\n",                     /* truncated */
      "RssAnon:\t 4 kB\nRssAnon:\t 4 kB\nVmPTE:\t 4 kB\n", /* duplicate */
      "RssAnon:\t 99999999999999999999 kB\nVmPTE:\t 4 kB\n", /* overflow */
      "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&f, 0, sizeof f);
    assert_int_equal(memgate__linux_parse_status(bad[i], strlen(bad[i]), &f), MEMGATE_EPARSE);
  }
  assert_int_equal(memgate__linux_parse_status(NULL, 0, &f), MEMGATE_EINVAL);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_status)
  };
#undef T_
  return scripted_main(argc, argv, "memgate status parser", tests, sizeof tests / sizeof tests[0]);
}
