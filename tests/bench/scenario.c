/*
 * scenario.c - the program the side-by-side benchmark (bench_tools) runs
 * uninstrumented, with memgate, under valgrind memcheck and under
 * AddressSanitizer's LeakSanitizer.
 *
 *   scenario buggy|unreachable|correct VISITS
 *
 *   buggy        VISITS visits of the buggy live room: each visit's gift
 *                frames stay in a global cache, reachable until exit
 *   unreachable  VISITS visits of the correct room, each also allocating a
 *                1 KiB session record whose pointer the next visit
 *                overwrites: a classic unreachable leak
 *   correct      VISITS visits of the correct room
 *
 * Built without BENCH_WITH_MEMGATE it just runs the visits (exit 0). Built
 * with it, the visits run inside one MEM_REPEAT (warm-up included, so the
 * work is the same) and the program prints memgate's verdict; exit 1 when
 * memgate reported a failure. Nothing is freed at exit on purpose: the
 * buggy room's cache is still referenced, as in a real program.
 */
#define _POSIX_C_SOURCE 200809L

#include "live_room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_WITH_MEMGATE
#  include "memgate.h"
#endif

#define SESSION_BYTES 1024u

typedef struct scenario {
  live_room_config room;
  int leak_session; /* 1: each visit loses a session record */
  unsigned visits;
} scenario;

/* The last session record; each visit overwrites it, so the previous one
 * becomes unreachable. volatile: the store must happen. */
static char *volatile g_last_session;

static void visit(void *ctx) {
  scenario *s = ctx;
  if (s->leak_session) {
    char *rec = malloc(SESSION_BYTES);
    if (rec) {
      memset(rec, 0, SESSION_BYTES);
      snprintf(rec, SESSION_BYTES, "session %u", s->visits);
      g_last_session = rec;
    }
  }
  if (live_room_run_visit(&s->room) != LIVE_ROOM_OK) {
    fprintf(stderr, "scenario: a visit failed\n");
    exit(3);
  }
  s->visits++;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s buggy|unreachable|correct VISITS\n", argv[0]);
    return 2;
  }
  scenario s;
  memset(&s, 0, sizeof s);
  live_room_config_init(&s.room);
  if (strcmp(argv[1], "buggy") == 0)
    s.room.buggy = true;
  else if (strcmp(argv[1], "unreachable") == 0)
    s.leak_session = 1;
  else if (strcmp(argv[1], "correct") != 0) {
    fprintf(stderr, "%s: unknown scenario '%s'\n", argv[0], argv[1]);
    return 2;
  }
  unsigned long visits = strtoul(argv[2], NULL, 10);
  if (visits < 8 || visits > 100000) {
    fprintf(stderr, "%s: VISITS must be 8..100000\n", argv[0]);
    return 2;
  }

#ifdef BENCH_WITH_MEMGATE
  memgate_options o;
  if (memgate_options_init(&o) != 0) {
    fprintf(stderr, "%s\n", memgate_config_error());
    return 3;
  }
  uint32_t measured = visits > o.warmup + 3 ? (uint32_t)(visits - o.warmup) : 3;
  memgate_result r;
  memgate_verdict v = memgate_repeat_opts(argv[1], measured, visit, &s, &o, __FILE__, __LINE__, &r);
  printf("memgate verdict=%s slope=%.0f heap_slope=%.0f visits=%u\n", memgate_verdict_name(v),
         r.slope_bytes, r.heap_slope_bytes, s.visits);
  return memgate_finish() ? 1 : 0;
#else
  for (unsigned long i = 0; i < visits; i++) visit(&s);
  printf("visits=%u\n", s.visits);
  return 0;
#endif
}
