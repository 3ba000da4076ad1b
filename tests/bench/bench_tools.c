/*
 * bench_tools.c - memgate, valgrind memcheck and LeakSanitizer side by side
 * on the same three programs (scenario.c): the buggy live room (memory
 * kept reachable in a global cache), a classic unreachable leak, and the
 * correct room. Who reports what, and the wall-clock slowdown against the
 * uninstrumented program in the same run.
 *
 *   bench_tools [--quick] [--summary FILE] [--memgate-cmd PATH] [--asan-cc TEXT]
 *
 * Expects bench_scenario_plain, bench_scenario_memgate and (optionally)
 * bench_scenario_asan next to itself. A tool that is missing or does not
 * run gets a "not available" cell instead of failing the benchmark.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "bench_util.h"

#include <ctype.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { T_PLAIN, T_MEMGATE, T_MEMGATE_NR, T_VALGRIND, T_LSAN, T_MASSIF, T_HEAPTRACK, NTOOL };
enum { S_BUGGY, S_UNREACHABLE, S_CORRECT, NSCEN };
static const char *k_scen_id[NSCEN] = {"buggy", "unreachable", "correct"};
static const char *k_scen_text[NSCEN] = {
    "buggy live room: each visit's 64 KiB of gift frames stay in a global cache (reachable)",
    "classic unreachable leak: correct room + a 1 KiB session record whose pointer is dropped",
    "correct live room"};

static bool is_exec(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Parses "label: 1,234 bytes in 5 blocks" after `label` in text. */
static bool vg_field(const char *text, const char *label, unsigned long long *bytes,
                     unsigned long long *blocks) {
  const char *p = text ? strstr(text, label) : NULL;
  if (!p) return false;
  p += strlen(label);
  unsigned long long v[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    while (*p && !isdigit((unsigned char)*p)) p++;
    while (*p && (isdigit((unsigned char)*p) || *p == ',')) {
      if (*p != ',') v[k] = v[k] * 10u + (unsigned long long)(*p - '0');
      p++;
    }
  }
  *bytes = v[0];
  *blocks = v[1];
  return true;
}

static const char *human(char *buf, size_t cap, double bytes) {
  if (bytes >= 1024.0 * 1024.0)
    snprintf(buf, cap, "%.1f MiB", bytes / (1024.0 * 1024.0));
  else if (bytes >= 1024.0)
    snprintf(buf, cap, "%.1f KiB", bytes / 1024.0);
  else
    snprintf(buf, cap, "%.0f B", bytes);
  return buf;
}

/* The massif and heaptrack cells: what a heap profiler shows (no verdict). */
static void profile_cell(int tool, const bench_job *j, char *out, size_t cap) {
  char a[32], b[32];
  switch (tool) {
  case T_MASSIF: {
    double peak = 0, last = 0;
    if (!bench_get(j->out, "massif_peak", &peak) || !bench_get(j->out, "massif_last", &last)) {
      snprintf(out, cap, "not available (no massif output)");
      return;
    }
    snprintf(out, cap, "heap profile: peak %s, %s at exit (no leak verdict)",
             human(a, sizeof a, peak), human(b, sizeof b, last));
    return;
  }
  case T_HEAPTRACK: {
    char peak[32], leaked[32];
    if (!bench_get_word(j->out, "heaptrack_peak", peak, sizeof peak) ||
        !bench_get_word(j->out, "heaptrack_leaked", leaked, sizeof leaked)) {
      snprintf(out, cap, "not available (no heaptrack_print output)");
      return;
    }
    snprintf(out, cap, "\"total memory leaked: %s\" (not freed at exit, reachable or not), peak "
             "heap %s", leaked, peak);
    return;
  }
  default:
    snprintf(out, cap, "-");
  }
}

/* One cell of the "who reports what" table. */
static void report_cell(int tool, const bench_job *j, char *out, size_t cap, bool *flagged) {
  char a[32], b[32];
  *flagged = false;
  if (!j || !j->out) {
    snprintf(out, cap, "not available");
    return;
  }
  if (WIFSIGNALED(j->status)) {
    snprintf(out, cap, "crashed (signal %d)", WTERMSIG(j->status));
    return;
  }
  switch (tool) {
  case T_MEMGATE:
  case T_MEMGATE_NR: {
    char verdict[16] = "?";
    double slope = 0, hslope = 0;
    bench_get_word(j->out, "verdict", verdict, sizeof verdict);
    bench_get(j->out, "slope", &slope);
    bench_get(j->out, "heap_slope", &hslope);
    *flagged = strcmp(verdict, "leak") == 0;
    slope = (double)llround(slope);
    hslope = (double)llround(hslope);
    snprintf(out, cap, "%s%s%s: footprint %s%s, heap %s%s per visit", *flagged ? "**" : "", verdict,
             *flagged ? "**" : "", slope < 0 ? "-" : "+", human(a, sizeof a, fabs(slope)),
             hslope < 0 ? "-" : "+", human(b, sizeof b, fabs(hslope)));
    return;
  }
  case T_VALGRIND: {
    unsigned long long dl = 0, dlb = 0, il = 0, ilb = 0, pl = 0, plb = 0, sr = 0, srb = 0;
    if (strstr(j->out, "no leaks are possible")) {
      snprintf(out, cap, "nothing reported (all heap blocks freed)");
      return;
    }
    if (!vg_field(j->out, "definitely lost:", &dl, &dlb)) {
      snprintf(out, cap, "not available (no leak summary in its output)");
      return;
    }
    vg_field(j->out, "indirectly lost:", &il, &ilb);
    vg_field(j->out, "possibly lost:", &pl, &plb);
    vg_field(j->out, "still reachable:", &sr, &srb);
    *flagged = dl + il + pl > 0;
    if (*flagged)
      snprintf(out, cap, "**definitely lost %s in %llu blocks**%s, with allocation stacks",
               human(a, sizeof a, (double)dl), dlb,
               il + pl ? " (+ indirectly/possibly lost)" : "");
    else
      snprintf(out, cap, "no leak reported%s%s%s",
               sr ? " (\"still reachable: " : "", sr ? human(a, sizeof a, (double)sr) : "",
               sr ? "\" in the summary, not an error)" : "");
    return;
  }
  case T_LSAN: {
    const char *p = strstr(j->out, "SUMMARY: AddressSanitizer:");
    if (strstr(j->out, "LeakSanitizer has encountered a fatal error") ||
        strstr(j->out, "LeakSanitizer does not work under ptrace")) {
      snprintf(out, cap, "not available (LeakSanitizer could not run here)");
      return;
    }
    if (p) {
      unsigned long long bytes = 0, allocs = 0;
      if (sscanf(p, "SUMMARY: AddressSanitizer: %llu byte(s) leaked in %llu allocation(s)", &bytes,
                 &allocs) == 2) {
        *flagged = true;
        snprintf(out, cap, "**%s leaked in %llu allocations**, with allocation stacks",
                 human(a, sizeof a, (double)bytes), allocs);
        return;
      }
      snprintf(out, cap, "error reported (not a leak)");
      return;
    }
    snprintf(out, cap, "nothing reported");
    return;
  }
  case T_MASSIF:
  case T_HEAPTRACK:
    profile_cell(tool, j, out, cap);
    return;
  default:
    snprintf(out, cap, "-");
  }
}

static void usage(const char *argv0) {
  fprintf(stderr, "usage: %s [--quick] [--summary FILE] [--memgate-cmd PATH] [--asan-cc TEXT]\n",
          argv0);
}

/* Appends text to a finished job's captured output. */
static void append_out(bench_job *j, const char *text) {
  size_t n = strlen(text);
  char *o = realloc(j->out, j->out_len + n + 1);
  if (!o) return;
  memcpy(o + j->out_len, text, n + 1);
  j->out = o;
  j->out_len += n;
}

/* Reads what massif or heaptrack wrote for job tag into its output. */
static void collect_profile(int t, bench_job *j, const char *tag) {
  char line[160];
  if (t == T_MASSIF) {
    double peak, last;
    if (!bench_massif_read(tag, &peak, &last)) return;
    snprintf(line, sizeof line, "\nmassif_peak=%.0f massif_last=%.0f\n", peak, last);
  } else {
    char peak[32], leaked[32];
    if (!bench_heaptrack_read(tag, peak, leaked, sizeof peak)) return;
    snprintf(line, sizeof line, "\nheaptrack_peak=%s heaptrack_leaked=%s\n", peak, leaked);
  }
  append_out(j, line);
}

/* Sets up job j of tool t on scenario s; false when the tool is missing. */
static bool setup_job(bench_job *j, int t, int s, char prog[][4200], const char *vg,
                      const char *visits, const char *tag) {
  size_t a = 0;
  j->any_exit_ok = true;
  if (t == T_VALGRIND) {
    j->program = vg;
    j->args[a++] = "--leak-check=full";
    j->args[a++] = prog[T_PLAIN];
  } else if (t == T_MASSIF) {
    if (!bench_massif_job(j, prog[T_PLAIN], tag, &a)) return false;
  } else if (t == T_HEAPTRACK) {
    if (!bench_heaptrack_job(j, prog[T_PLAIN], tag, &a)) return false;
  } else {
    j->program = prog[t];
  }
  j->args[a++] = k_scen_id[s];
  j->args[a++] = visits;
  if (t == T_LSAN) j->extra_env[0] = "ASAN_OPTIONS=detect_leaks=1";
  if (t == T_MEMGATE_NR) j->extra_env[0] = "MEMGATE_RELEASE=0";
  return true;
}

int main(int argc, char **argv) {
  bench_handle_probe(argc, argv);
  bench_args args;
  int start = bench_driver_start(argc, argv, &args, usage);
  if (start != 0) return start;
  const bool quick = args.quick;
  const char *asan_cc = args.asan_cc;

  char dir[4096], prog[NTOOL][4200], vg[4096];
  snprintf(dir, sizeof dir, "%s", bench_self_path());
  char *d = dirname(dir);
  snprintf(prog[T_PLAIN], sizeof prog[0], "%s/bench_scenario_plain", d);
  snprintf(prog[T_MEMGATE], sizeof prog[0], "%s/bench_scenario_memgate", d);
  snprintf(prog[T_MEMGATE_NR], sizeof prog[0], "%s/bench_scenario_memgate", d);
  snprintf(prog[T_VALGRIND], sizeof prog[0], "%s/bench_scenario_plain", d);
  snprintf(prog[T_LSAN], sizeof prog[0], "%s/bench_scenario_asan", d);
  char ht[4096];
  bool avail[NTOOL] = {is_exec(prog[T_PLAIN]), is_exec(prog[T_MEMGATE]), is_exec(prog[T_MEMGATE]),
                       is_exec(prog[T_PLAIN]) && bench_which("valgrind", vg, sizeof vg),
                       is_exec(prog[T_LSAN]), false,
                       is_exec(prog[T_PLAIN]) && bench_which("heaptrack", ht, sizeof ht) &&
                           bench_which("heaptrack_print", ht, sizeof ht)};
  avail[T_MASSIF] = avail[T_VALGRIND];
  if (!avail[T_PLAIN]) {
    fprintf(stderr, "bench_tools: %s is missing (make bench-build)\n", prog[T_PLAIN]);
    return 3;
  }
  const size_t R = quick ? 1 : 5;
  const char *visits = quick ? "40" : "2000";

  /* Jobs: rep r, scenario s, tool t at ((r * NSCEN) + s) * NTOOL + t. */
  size_t njobs = R * NSCEN * NTOOL;
  bench_job *jobs = calloc(njobs, sizeof *jobs);
  if (!jobs) return 3;
  size_t bad = 0;
  for (size_t r = 0; r < R; r++)
    for (int s = 0; s < NSCEN; s++)
      for (int t = 0; t < NTOOL; t++) {
        bench_job *j = &jobs[(r * NSCEN + (size_t)s) * NTOOL + (size_t)t];
        if (!avail[t]) continue;
        char tag[32];
        snprintf(tag, sizeof tag, "r%zu.s%d", r, s);
        if (!setup_job(j, t, s, prog, vg, visits, tag)) {
          avail[t] = false;
          continue;
        }
        bad += bench_run_jobs(j, 1, 1);
        if (t == T_MASSIF || t == T_HEAPTRACK) collect_profile(t, j, tag);
      }

  /* Medians of wall time per scenario and tool. */
  double ms[NSCEN][NTOOL], faults[NSCEN][NTOOL];
  for (int s = 0; s < NSCEN; s++)
    for (int t = 0; t < NTOOL; t++) {
      double v[16], f[16];
      size_t m = 0;
      for (size_t r = 0; r < R && m < 16; r++) {
        const bench_job *j = &jobs[(r * NSCEN + (size_t)s) * NTOOL + (size_t)t];
        if (avail[t] && j->out) {
          f[m] = (double)j->minor_faults;
          v[m++] = (double)j->wall_ns / 1e6;
        }
      }
      ms[s][t] = m ? bench_median(v, m) : -1;
      faults[s][t] = m ? bench_median(f, m) : -1;
    }

  printf("## Side by side: memgate, valgrind memcheck and massif, LeakSanitizer, heaptrack\n\n");
  printf("The same program (tests/bench/scenario.c, %s visits of the live room per run), run "
         "seven ways: uninstrumented (`-O2`); with memgate (all visits inside one MEM_REPEAT: 2 "
         "warm-up + %d measured, library defaults, default glibc), once as is and once with "
         "`MEMGATE_RELEASE=0`; the uninstrumented binary under `valgrind --leak-check=full`; and "
         "built with `%s -fsanitize=address` (LeakSanitizer on, `-O1`); the uninstrumented binary under "
         "`valgrind --tool=massif` and under `heaptrack` (its figures read back with "
         "`heaptrack_print`). Nothing is freed at "
         "exit, as in a real program. Runs of each: %zu, interleaved, one at a time; wall-clock "
         "medians.\n\n",
         visits, atoi(visits) - 2, asan_cc, R);
  printf("| scenario | memgate | memgate, `MEMGATE_RELEASE=0` | valgrind memcheck | LeakSanitizer "
         "| massif | heaptrack |\n|---|---|---|---|---|---|---|\n");
  bool flagged[NSCEN][NTOOL];
  for (int s = 0; s < NSCEN; s++) {
    printf("| %s |", k_scen_text[s]);
    for (int t = T_MEMGATE; t < NTOOL; t++) {
      char cell[256];
      const bench_job *j = avail[t] ? &jobs[(size_t)s * NTOOL + (size_t)t] : NULL;
      report_cell(t, j, cell, sizeof cell, &flagged[s][t]);
      if (!avail[t] && t == T_LSAN)
        snprintf(cell, sizeof cell, "not available (no -fsanitize=address build; see "
                 "asan-build.log)");
      if (!avail[t] && (t == T_VALGRIND || t == T_MASSIF))
        snprintf(cell, sizeof cell, "not available (no valgrind)");
      if (!avail[t] && t == T_HEAPTRACK)
        snprintf(cell, sizeof cell, "not available (no heaptrack / heaptrack_print)");
      printf(" %s |", cell);
    }
    printf("\n");
  }
  printf("\nSlowdown (wall clock, median of %zu, relative to the uninstrumented run in the same "
         "batch):\n\n",
         R);
  printf("| scenario | uninstrumented | memgate | memgate, `MEMGATE_RELEASE=0` | valgrind "
         "memcheck | LeakSanitizer | massif | heaptrack |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int s = 0; s < NSCEN; s++) {
    printf("| %s | %.0f ms, %.0f faults |", k_scen_id[s], ms[s][T_PLAIN], faults[s][T_PLAIN]);
    for (int t = T_MEMGATE; t < NTOOL; t++) {
      if (ms[s][t] < 0)
        printf(" not available |");
      else if (t == T_MEMGATE || t == T_MEMGATE_NR)
        printf(" %.1f× (%.0f ms, %.0f faults) |", ms[s][t] / ms[s][T_PLAIN], ms[s][t], faults[s][t]);
      else
        printf(" %.1f× (%.0f ms) |", ms[s][t] / ms[s][T_PLAIN], ms[s][t]);
    }
    printf("\n");
  }
  printf("\n*faults*: minor page faults of the run (median). memgate's cost here is mostly "
         "those faults: before every sample it returns freed memory to the kernel "
         "(`malloc_trim(0)`), so each visit faults the room's buffers in again; with "
         "`MEMGATE_RELEASE=0` the same repeat costs %.1f× on the correct room.",
         ms[S_CORRECT][T_MEMGATE_NR] / ms[S_CORRECT][T_PLAIN]);
  if (faults[S_CORRECT][T_MEMGATE_NR] > 10.0 * (faults[S_CORRECT][T_PLAIN] + 100.0))
    printf(" That run faults too (%.0f faults): glibc's own `free()` trims the heap top at "
           "every leave (automatic trim above `M_TRIM_THRESHOLD`; strace counted about 5 `brk` "
           "calls per visit, against 6 in a whole uninstrumented run of 200 visits). The likely "
           "cause is layout: memgate fills glibc's per-thread cache when it starts (DESIGN.md section 4), "
           "so the room's small blocks come from cached chunks low in the heap and its large "
           "buffers end up together at the top, where freeing them reaches the trim threshold; "
           "uninstrumented, small blocks between them keep them off the top.",
           faults[S_CORRECT][T_MEMGATE_NR]);
  printf("\n");
  printf("\nReachability tools report memory nobody points to; the buggy room's frames are still "
         "pointed to by the cache, so for them it is not a leak however much it grows. memgate "
         "does not know who holds the memory; it sees that each visit leaves more behind. For "
         "the unreachable leak the reachability tools name the allocation site, which memgate "
         "cannot.\n\n");

  char cell[256];
  bool f;
  report_cell(T_MEMGATE, avail[T_MEMGATE] ? &jobs[S_BUGGY * NTOOL + T_MEMGATE] : NULL, cell,
              sizeof cell, &f);
  char cost[200] = "";
  if (avail[T_VALGRIND] && avail[T_LSAN])
    snprintf(cost, sizeof cost, "; run time on the correct room: memgate %.1f× (%.1f× with "
             "`MEMGATE_RELEASE=0`), valgrind %.0f×, LeakSanitizer %.1f×",
             ms[S_CORRECT][T_MEMGATE] / ms[S_CORRECT][T_PLAIN],
             ms[S_CORRECT][T_MEMGATE_NR] / ms[S_CORRECT][T_PLAIN],
             ms[S_CORRECT][T_VALGRIND] / ms[S_CORRECT][T_PLAIN],
             ms[S_CORRECT][T_LSAN] / ms[S_CORRECT][T_PLAIN]);
  bench_summary("H", "tools|on the buggy live room (memory kept reachable in a global cache) "
                "memgate reports %s; valgrind memcheck %s and LeakSanitizer %s%s",
                flagged[S_BUGGY][T_MEMGATE] ? "a leak" : "no leak",
                !avail[T_VALGRIND] ? "was not available"
                : flagged[S_BUGGY][T_VALGRIND] ? "reports a leak" : "reports none",
                !avail[T_LSAN] ? "was not available"
                : flagged[S_BUGGY][T_LSAN] ? "reports a leak" : "reports none",
                cost);
  bench_summary("H", "tools, correct room|slowdown: memgate %.1f×, valgrind memcheck %.0f×, massif "
                "%.0f×, LeakSanitizer %.1f×, heaptrack %.1f× (a negative figure: not available)",
                ms[S_CORRECT][T_MEMGATE] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_VALGRIND] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_MASSIF] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_LSAN] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_HEAPTRACK] / ms[S_CORRECT][T_PLAIN]);
  bench_summary("M", "tools_memgate=%.2f tools_memgate_norelease=%.2f tools_valgrind=%.1f "
                "tools_lsan=%.2f tools_faults_plain=%.0f tools_faults_memgate=%.0f",
                ms[S_CORRECT][T_MEMGATE] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_MEMGATE_NR] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_VALGRIND] / ms[S_CORRECT][T_PLAIN],
                ms[S_CORRECT][T_LSAN] / ms[S_CORRECT][T_PLAIN], faults[S_CORRECT][T_PLAIN],
                faults[S_CORRECT][T_MEMGATE]);
  bench_free_jobs(jobs, njobs);
  free(jobs);
  bench_summary_close();
  return bad ? 3 : 0;
}
