/*
 * rw_one.c - the program of one case: compiled with -DRW_CASE=rw_case_NAME
 * next to cases/NAME.c, linked with that case's library only.
 *
 *   NAME            judge the case with MEM_REPEAT; exit 0 when the verdict
 *                   is the expected one, 1 when not, 2 on bad usage
 *   NAME --plain N  run the body N times without memgate (valgrind, LSan)
 */
#include "rw_case.h"

#ifndef RW_CASE
#error "compile with -DRW_CASE=rw_case_NAME"
#endif

extern const rw_case RW_CASE;

int main(int argc, char **argv) { return rw_main(&RW_CASE, argc, argv); }
