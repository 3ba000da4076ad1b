/*
 * Runs every input of the fuzz corpus (tests/fuzz/corpus) through the fuzz
 * target, with any compiler, so `make test`, `make test-asan` and `make
 * test-valgrind` cover the parsers on the seeds without libFuzzer.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_CORPUS_DIR
#  define FUZZ_CORPUS_DIR "tests/fuzz/corpus"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void test_corpus(void **state) {
  (void)state;
  DIR *d = opendir(FUZZ_CORPUS_DIR);
  size_t n = 0;
  assert_non_null(d);
  for (const struct dirent *de; (de = readdir(d)) != NULL;) {
    char path[1024];
    if (de->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", FUZZ_CORPUS_DIR, de->d_name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0, r;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    while ((r = fread(buf + len, 1, cap - len, f)) > 0) {
      len += r;
      if (len == cap) {
        cap *= 2;
        buf = realloc(buf, cap);
        assert_non_null(buf);
      }
    }
    fclose(f);
    /* An exact-size copy, so reads past the end are caught. */
    uint8_t *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, buf, len);
    free(buf);
    assert_int_equal(LLVMFuzzerTestOneInput(exact, len), 0);
    /* Every prefix of small inputs: truncated files. */
    if (len <= 4096)
      for (size_t k = 0; k < len; k++) assert_int_equal(LLVMFuzzerTestOneInput(exact, k), 0);
    free(exact);
    n++;
  }
  closedir(d);
  assert_true(n >= 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
