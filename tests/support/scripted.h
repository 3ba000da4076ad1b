/*
 * Support for the library's unit tests: a scripted sampler (every sample
 * is a value the test chose, so no real memory is measured), a failure
 * handler that captures the last failed result, setup/teardown, and a
 * main() that pins the environment and can re-run the binary in a child
 * mode with another environment (memgate reads its settings once per
 * process).
 */
#ifndef MEMGATE_TEST_SCRIPTED_H
#define MEMGATE_TEST_SCRIPTED_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memgate.h"
#include "memgate_internal.h"

/* Some cases pass NULL where the header says non-null, on purpose: the
 * library must still refuse it cleanly at run time. */
#ifdef __clang__
#  pragma clang diagnostic ignored "-Wnonnull"
#endif

#define MAXS 4096
typedef struct script {
  uint64_t fp[MAXS];
  uint64_t heap[MAXS]; /* used when has_heap */
  uint64_t peak[MAXS]; /* used when has_peak (absolute) */
  size_t n, pos;
  int fail_at; /* index whose read fails (-1 none) */
  int fail_code;
  bool has_heap, has_peak;
  int resets, releases;
} script;
extern script S;

int script_read(void *ctx, memgate_footprint *out);
int script_reset(void *ctx);
void script_release(void *ctx);
/* Installs a script of footprint values (terminated by END_). */
void script_fp(uint64_t first, ...);
#define END_ UINT64_MAX
/* Script for a repeat: pre, warm-up result, then the measured series. */
void script_series(const uint64_t *fp, const uint64_t *heap, size_t n);

typedef struct capture {
  int calls;
  memgate_result last;
  char name[256], file[1024], msg[1024], begin_file[1024];
} capture;
extern capture F;
void capture_fail(const memgate_result *r, void *ctx);

int setup(void **state);
int teardown(void **state);
void noop(void *ctx);
void count_calls(void *ctx);

/* MEMGATE_RESULTS of this process (a temporary file) and this binary. */
extern char results_path[];
extern char self_path[4096];
/* Runs this binary in child mode `mode` with MEMGATE_RESULTS=path and,
 * when fsize > 0, a file size limit; returns its exit status (or -1). */
int run_child(const char *mode, const char *path, long fsize);
/* The whole file (at most 64 KiB) in a static buffer, or NULL. */
char *slurp(const char *path);

/* Runs the tests (or, with a child-mode argument, that mode). */
int scripted_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
                  size_t count);

#endif
