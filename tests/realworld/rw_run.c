/*
 * rw_run.c - judging a case (rw_judge), running it bare (rw_plain) and the
 * command line of a one-case program (rw_main).
 *
 * Built with -DRW_NO_MEMGATE for the LeakSanitizer programs: only --plain
 * is available there, and memgate is not linked.
 */
#include "rw_case.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RW_NO_MEMGATE
#include <memgate.h>

int rw_judge(const rw_case *c) {
  char name[128];
  memgate_result r;
  memgate_verdict v;
  const char *verdict;

  snprintf(name, sizeof name, "rw.%s", c->name);
  if (c->setup) c->setup();
  v = memgate_repeat_opts(name, RW_ITERATIONS, c->body, NULL, NULL, __FILE__, __LINE__, &r);
  /* Printed after the repeat: nothing here lands in its samples. */
  verdict = memgate_verdict_name(v);
  printf("rw-verdict %s %s %s\n", c->name, c->expected, verdict);
  printf("rw-message %s %s\n", c->name, r.message ? r.message : "");
  fflush(stdout);
  if (c->teardown) c->teardown();
  return strcmp(verdict, c->expected) == 0 ? 0 : 1;
}
#endif

void rw_plain(const rw_case *c, unsigned iterations) {
  unsigned i;

  if (c->setup) c->setup();
  for (i = 0; i < iterations; i++) c->body(NULL);
  if (c->teardown) c->teardown();
}

int rw_main(const rw_case *c, int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--plain") == 0) {
    long n = strtol(argv[2], NULL, 10);
    if (n < 1 || n > 100000) {
      fprintf(stderr, "%s: --plain needs an iteration count from 1 to 100000\n", argv[0]);
      return 2;
    }
    rw_plain(c, (unsigned)n);
    return 0;
  }
#ifndef RW_NO_MEMGATE
  if (argc == 1) return rw_judge(c);
#endif
  fprintf(stderr, "usage: %s [--plain N]\n", argv[0]);
  return 2;
}
