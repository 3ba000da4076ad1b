/*
 * rw_case.h - one case of the real-world corpus (docs/REALWORLD.md).
 *
 * A case is ordinary code on a real third-party library: a body that
 * MEM_REPEAT runs, and optional set-up and tear-down around the repeat.
 * Each cases/NAME.c defines `const rw_case rw_case_NAME`; rw_one.c turns
 * one case into a program of its own, rw_all.c runs every case in one
 * process (fixed or shuffled order).
 */
#ifndef RW_CASE_H
#define RW_CASE_H

/* Measured iterations of every C case (issue 12: "60 measured iterations,
 * library defaults"); the warm-up is memgate's default. */
#define RW_ITERATIONS 60

typedef struct rw_case {
  const char *name;        /* case name; the repeat is called "rw.<name>" */
  const char *library;     /* the library it exercises, as a reader knows it */
  const char *expected;    /* "pass" or "leak" */
  void (*setup)(void);     /* before the repeat (NULL: nothing); not measured */
  void (*body)(void *ctx); /* one iteration */
  void (*teardown)(void);  /* after the repeat (NULL: nothing); frees what the case owns */
} rw_case;

/* Judges one case with MEM_REPEAT (default options, RW_ITERATIONS) and
 * prints "rw-verdict NAME EXPECTED VERDICT" plus the message on stdout.
 * Returns 0 when the verdict is the expected one, 1 otherwise. */
int rw_judge(const rw_case *c);

/* Runs one case without memgate: set-up, `iterations` bodies, tear-down
 * (for valgrind and LeakSanitizer). */
void rw_plain(const rw_case *c, unsigned iterations);

/* The command line of one case's program: NAME [--plain N]. */
int rw_main(const rw_case *c, int argc, char **argv);

#endif
