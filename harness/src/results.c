/*
 * Results for CI: one JSON object per line appended to $MEMGATE_RESULTS.
 * The line is formatted into a buffer reserved at start-up (grown only for
 * very long series) and written with one locked O_APPEND write, so several
 * processes can append to the same file at once.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "sites.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef memgate__buf jbuf;

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static jbuf out_buf = {.pages = true}; /* outside the program's heap (page.c) */

#define jb_put memgate__buf_put
#define jb_printf memgate__buf_printf
#define jb_str memgate__buf_json_str

static void jb_key(jbuf *b, const char *k) {
  if (b->len > 1) jb_put(b, ",", 1);
  jb_str(b, k);
  jb_put(b, ":", 1);
}

static void jb_i64(jbuf *b, int64_t v) { jb_printf(b, "%lld", (long long)v); }
static void jb_u64(jbuf *b, uint64_t v) { jb_printf(b, "%llu", (unsigned long long)v); }
static void jb_dbl(jbuf *b, double v) {
  if (isfinite(v))
    jb_printf(b, "%.3f", v);
  else
    jb_put(b, "null", 4);
}

static void jb_series(jbuf *b, const uint64_t *s, uint32_t n) {
  if (!s) {
    jb_put(b, "null", 4);
    return;
  }
  jb_put(b, "[", 1);
  for (uint32_t i = 0; i < n; i++) {
    if (i) jb_put(b, ",", 1);
    jb_u64(b, s[i]);
  }
  jb_put(b, "]", 1);
}

/* The wall-clock time now as RFC 3339 UTC with milliseconds
 * ("2026-12-01T12:36:06.123Z"), or null when the clock cannot be read. */
static void jb_time_now(jbuf *b) {
  struct timespec ts;
  struct tm tm;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm) || tm.tm_year + 1900 < 1970 ||
      tm.tm_year + 1900 > 9999) {
    jb_put(b, "null", 4);
    return;
  }
  jb_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
            tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000));
}

/* A figure that is 0 when unknown: the number, or null. */
static void jb_known(jbuf *b, uint64_t v) { v ? jb_u64(b, v) : jb_put(b, "null", 4); }

/* When and what it measured: the time of the result, the commit, the
 * host's memory and CPUs (host.c, read once at start-up). */
static void format_host(jbuf *b) {
  const memgate__host *h = memgate__host_get();
  jb_key(b, "time"), jb_time_now(b);
  jb_key(b, "commit"), jb_str(b, h->commit[0] ? h->commit : NULL);
  jb_key(b, "host_memory_bytes"), jb_known(b, h->memory_bytes);
  jb_key(b, "host_cpus"), jb_known(b, h->cpus);
}

/* Formats r as one JSON line (with '\n') into b. */
static void format_result(jbuf *b, const memgate_result *r) {
  b->len = 0;
  jb_put(b, "{", 1);
  jb_key(b, "format"), jb_i64(b, MEMGATE__RESULTS_FORMAT);
  jb_key(b, "name"), jb_str(b, r->name);
  jb_key(b, "kind"), jb_str(b, r->kind == MemgateKindRepeat ? "repeat" : "scope");
  jb_key(b, "verdict"), jb_str(b, memgate_verdict_name(r->verdict));
  jb_key(b, "measured_verdict"), jb_str(b, memgate_verdict_name(r->measured_verdict));
  jb_key(b, "baseline_verdict");
  jb_str(b, r->baseline_judged ? memgate_verdict_name(r->baseline_verdict) : NULL);
  jb_key(b, "message"), jb_str(b, r->message);
  jb_key(b, "error"), jb_str(b, r->error ? memgate_err_name(r->error) : NULL);
  jb_key(b, "file"), jb_str(b, r->file);
  jb_key(b, "line"), jb_i64(b, r->line);
  jb_key(b, "begin_file"), jb_str(b, r->begin_file);
  jb_key(b, "begin_line"), jb_i64(b, r->begin_line);
  jb_key(b, "platform"), jb_str(b, r->platform);
  jb_key(b, "before_bytes"), jb_u64(b, r->before_bytes);
  jb_key(b, "after_bytes"), jb_u64(b, r->after_bytes);
  jb_key(b, "retained_bytes"), jb_i64(b, r->retained_bytes);
  jb_key(b, "peak_bytes");
  if (r->has_peak) jb_i64(b, r->peak_bytes);
  else jb_put(b, "null", 4);
  jb_key(b, "heap_delta_bytes");
  if (r->has_heap) jb_i64(b, r->heap_delta_bytes);
  else jb_put(b, "null", 4);
  jb_key(b, "warmup_bytes"), jb_i64(b, r->warmup_bytes);
  jb_key(b, "warmup"), jb_u64(b, r->warmup);
  jb_key(b, "iterations"), jb_u64(b, r->iterations);
  jb_key(b, "confirm_iterations"), jb_u64(b, r->confirm_iterations);
  jb_key(b, "series"), jb_series(b, r->series, r->series_count);
  jb_key(b, "heap_series"), jb_series(b, r->heap_series, r->series_count);
  jb_key(b, "slope_bytes"), jb_dbl(b, r->slope_bytes);
  jb_key(b, "heap_slope_bytes"), jb_dbl(b, r->heap_slope_bytes);
  jb_key(b, "baseline");
  if (r->has_baseline) {
    jb_put(b, "{\"platform\":", 12);
    jb_str(b, r->baseline_platform);
    jb_put(b, ",\"retained_bytes\":", 18);
    jb_i64(b, r->baseline_retained_bytes);
    jb_put(b, ",\"peak_bytes\":", 14);
    if (r->baseline_peak_bytes >= 0) jb_i64(b, r->baseline_peak_bytes);
    else jb_put(b, "null", 4);
    jb_put(b, ",\"allowed_bytes\":", 17);
    jb_i64(b, r->allowed_bytes);
    jb_put(b, "}", 1);
  } else {
    jb_put(b, "null", 4);
  }
  memgate__sites_json(b); /* ,"sites":[...] only when recorded */
  jb_key(b, "elapsed_ns"), jb_u64(b, r->elapsed_ns);
  jb_key(b, "pid"), jb_i64(b, (int64_t)getpid());
  format_host(b);
  jb_put(b, "}\n", 2);
}

void memgate__results_reserve(void) {
  pthread_mutex_lock(&out_lock);
  memgate__buf_reserve(&out_buf, 64 * 1024);
  pthread_mutex_unlock(&out_lock);
}

/* Opens the results file for appending without ever blocking (a FIFO
 * would): only a regular file is accepted. Returns the fd or -1 (err set). */
static int open_results(const char *path, char *err, size_t errcap) {
  /* Read access lets append_line see a torn last line; write-only files
   * are still appended to. */
  const int flags = O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK;
  int fd = open(path, O_RDWR | flags, 0644);
  if (fd < 0 && errno == EACCES) fd = open(path, O_WRONLY | flags, 0644);
  struct stat st;
  if (fd < 0) {
    snprintf(err, errcap, "memgate: cannot open results file %s: %s", path, strerror(errno));
    return -1;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errcap, "memgate: results file %s is not a regular file", path);
    close(fd);
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

/* Appends buf as one whole line under the file lock. A line cut short (a
 * full disk, a size limit) is taken back, so the file never keeps a torn
 * line; a torn line left by a killed writer gets a newline first, so the
 * new line stays whole and the torn one is reported on its own. */
static int append_line(int fd, const char *path, const memgate__buf *b, char *err, size_t errcap) {
  struct stat st;
  char last = '\n';
  if (fstat(fd, &st) != 0) {
    snprintf(err, errcap, "memgate: cannot stat results file %s: %s", path, strerror(errno));
    return MEMGATE_ERESULTS;
  }
  if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1) last = '\n';
  if ((last != '\n' && memgate__write_all(fd, "\n", 1) != 0) ||
      memgate__write_all(fd, b->p, b->len) != 0) {
    snprintf(err, errcap, "memgate: cannot write results file %s: %s", path, strerror(errno));
    (void)ftruncate(fd, st.st_size);
    return MEMGATE_ERESULTS;
  }
  return 0;
}

/* Takes the file lock, which keeps lines whole where O_APPEND writes could
 * split (large lines, network file systems). */
static int lock_results(int fd, const char *path, char *err, size_t errcap) {
  int rc;
  while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
  }
  if (rc != 0)
    snprintf(err, errcap, "memgate: cannot lock results file %s: %s", path, strerror(errno));
  return rc == 0 ? 0 : MEMGATE_ERESULTS;
}

int memgate__results_write(const char *path, const memgate_result *r, char *err, size_t errcap) {
  int rc = MEMGATE_ERESULTS;
  pthread_mutex_lock(&out_lock);
  out_buf.oom = false;
  format_result(&out_buf, r);
  if (out_buf.oom) {
    snprintf(err, errcap, "memgate: cannot format result for %s: out of memory", path);
    pthread_mutex_unlock(&out_lock);
    return MEMGATE_ENOMEM;
  }
  int fd = open_results(path, err, errcap);
  if (fd >= 0) {
    rc = lock_results(fd, path, err, errcap);
    if (rc == 0) rc = append_line(fd, path, &out_buf, err, errcap);
    flock(fd, LOCK_UN);
    if (close(fd) != 0 && rc == 0) {
      snprintf(err, errcap, "memgate: cannot write results file %s: %s", path, strerror(errno));
      rc = MEMGATE_ERESULTS;
    }
  }
  pthread_mutex_unlock(&out_lock);
  return rc;
}
