/*
 * live_room_demo.c - memgate catching memory that stays referenced.
 *
 *   live_room_demo [--correct | --buggy | --both] [--iterations N]
 *
 * For each room version it runs:
 *   1. memgate_repeat_opts (MEM_REPEAT with a result copy) over
 *      live_room_visit: enter, chat, send a gift, leave. The buggy room
 *      keeps each visit's gift frames in a global cache, so memory grows by
 *      64 KiB per visit although valgrind and LeakSanitizer see no leak.
 *   2. One MEM_BEGIN/memgate_end scope around entering a room, sending a
 *      big gift and leaving.
 * memgate's default failure handler prints each failure as
 * "file:line: error: memgate: ..."; this program adds a short summary.
 *
 * Exit status: 0 when every result passed, 1 when any failed, 2 on a usage
 * error. --both (the default) runs the correct room, then the buggy one,
 * and so exits 1.
 */
#include "live_room.h"
#include "memgate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The big gift of the scope: 32 frames x 16 KiB = 512 KiB. */
#define BIG_GIFT_ID 42u
#define BIG_GIFT_FRAMES 32u

/* Bound on --iterations: the buggy room keeps 64 KiB per visit. */
#define MAX_ITERATIONS 1000ul

/* One room version and the scope names (baseline keys) it reports under. */
typedef struct version {
  const char *label;      /* for the summary */
  const char *visit_name; /* repeat */
  const char *gift_name;  /* scope */
  bool buggy;
} version;

static const version k_correct = {"correct", "live_room.visit", "live_room.gift", false};
static const version k_buggy = {"buggy", "live_room_buggy.visit", "live_room_buggy.gift", true};

static double kib(double bytes) { return bytes / 1024.0; }

/* Repeats a whole visit; prints the footprint slope next to what the model
 * itself says each visit kept (warm-up visits included). */
static void run_visits(const version *v, live_room_config *cfg, uint32_t iterations) {
  memgate_result res;
  uint64_t cache0 = live_room_cache_bytes();
  memgate_verdict verdict = memgate_repeat_opts(v->visit_name, iterations, live_room_visit, cfg,
                                                NULL, __FILE__, __LINE__, &res);
  uint64_t kept = live_room_cache_bytes() - cache0;
  uint32_t visits = res.warmup + res.iterations;

  printf("  %-22s %-5s retained per visit %8.1f KiB  (series of %u samples; model: %.1f KiB "
         "per visit)\n",
         v->visit_name, memgate_verdict_name(verdict), kib(res.slope_bytes),
         (unsigned)res.series_count, visits ? kib((double)kept) / visits : 0.0);
}

/* One scope around a visit with a big gift. */
static void run_big_gift(const version *v, const live_room_config *cfg) {
  memgate_result res;
  uint64_t cache0 = live_room_cache_bytes();
  int rc = LIVE_ROOM_ENOMEM;

  MEM_BEGIN(v->gift_name);
  live_room *room = live_room_enter(cfg);
  if (room != NULL) {
    rc = live_room_post_chat(room, "what a rocket!");
    if (rc == LIVE_ROOM_OK) rc = live_room_send_gift(room, BIG_GIFT_ID, BIG_GIFT_FRAMES);
    live_room_leave(room);
  }
  /* MEM_END's function twin, to get a copy of the result. */
  memgate_verdict verdict = memgate_end(v->gift_name, __FILE__, __LINE__, &res);

  uint64_t kept = live_room_cache_bytes() - cache0;
  if (rc != LIVE_ROOM_OK)
    fprintf(stderr, "live_room_demo: the %s room failed: %s\n", v->label, live_room_strerror(rc));
  /* A single scope fails only against a baseline (baselines/); without one
   * it reports the number. */
  printf("  %-22s %-5s retained %18.1f KiB  (after a %.0f KiB gift; model: %.1f KiB kept%s)\n",
         v->gift_name, memgate_verdict_name(verdict), kib((double)res.retained_bytes),
         kib((double)BIG_GIFT_FRAMES * (double)cfg->gift_frame_bytes), kib((double)kept),
         res.has_baseline ? "" : "; no baseline");
}

static void run_version(const version *v, uint32_t iterations) {
  live_room_config cfg;
  live_room_config_init(&cfg);
  cfg.buggy = v->buggy;
  printf("%s room:\n", v->label);
  run_visits(v, &cfg, iterations);
  run_big_gift(v, &cfg);
  fflush(stdout); /* keep the summary ordered with memgate's stderr lines */
}

static void usage(FILE *to, const char *argv0) {
  fprintf(to,
          "usage: %s [--correct | --buggy | --both] [--iterations N]\n"
          "  --correct       the room that frees everything on leave (passes)\n"
          "  --buggy         the room that caches gift frames forever (fails: leak)\n"
          "  --both          the correct room, then the buggy one (default)\n"
          "  --iterations N  measured visits, 1..%lu (default: MEMGATE_ITERATIONS or 10;\n"
          "                  growth needs 3 or more to show)\n"
          "exit status: 0 all passed, 1 a result failed, 2 usage error\n",
          argv0, MAX_ITERATIONS);
}

/* Parses a decimal in 1..MAX_ITERATIONS; false when it is not one. */
static bool parse_iterations(const char *s, uint32_t *out) {
  if (s == NULL || *s < '0' || *s > '9') return false;
  char *end;
  errno = 0;
  unsigned long n = strtoul(s, &end, 10);
  if (errno != 0 || *end != '\0' || n == 0 || n > MAX_ITERATIONS) return false;
  *out = (uint32_t)n;
  return true;
}

int main(int argc, char **argv) {
  const char *argv0 = argc > 0 ? argv[0] : "live_room_demo";
  bool correct = true, buggy = true;
  uint32_t iterations = 0; /* 0: memgate's default */

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--correct") == 0) {
      correct = true;
      buggy = false;
    } else if (strcmp(a, "--buggy") == 0) {
      correct = false;
      buggy = true;
    } else if (strcmp(a, "--both") == 0) {
      correct = buggy = true;
    } else if (strcmp(a, "--iterations") == 0) {
      if (!parse_iterations(i + 1 < argc ? argv[++i] : NULL, &iterations)) {
        fprintf(stderr, "%s: --iterations needs a number from 1 to %lu\n", argv0, MAX_ITERATIONS);
        usage(stderr, argv0);
        return 2;
      }
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout, argv0);
      return 0;
    } else {
      fprintf(stderr, "%s: unknown argument '%s'\n", argv0, a);
      usage(stderr, argv0);
      return 2;
    }
  }

  if (correct) run_version(&k_correct, iterations);
  if (buggy) run_version(&k_buggy, iterations);

  live_room_cache_clear(); /* so valgrind ends clean */
  unsigned failures = memgate_finish();
  printf("%s: %u failed result%s\n", failures ? "FAIL" : "PASS", failures,
         failures == 1 ? "" : "s");
  return failures > 0 ? 1 : 0;
}
