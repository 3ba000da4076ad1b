/*
 * Loading results files: the JSON lines memgate writes to $MEMGATE_RESULTS
 * (harness/src/results.c, formats 1 and 2), validated strictly with
 * positions: an unknown field is an error, as is a non-regular file.
 *
 * Used by every command that reads results (check, update, run) and meant
 * for new ones (a report command): load all files into one tool_results,
 * then read the tool_result items. Strings and arrays in an item are owned
 * by the tool_results and freed by tool_results_free().
 */
#ifndef MEMGATE_TOOL_RESULTS_LOAD_H
#define MEMGATE_TOOL_RESULTS_LOAD_H

#include "memgate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Newest results format this loader reads (the "format" field of each
 * line; 1 and 2 are read). */
#define TOOL_RESULTS_FORMAT 2
/* A run id ("run": memgate history append): 1 to TOOL_RUN_ID_MAX of
 * A-Z a-z 0-9 . _ : @ + - (so it never needs escaping). */
#define TOOL_RUN_ID_MAX 128
bool tool_run_id_ok(const char *s);
/* Largest results file read (bytes). */
#define TOOL_RESULTS_MAX_FILE (512u * 1024u * 1024u)

/* What the baseline said about a result (format 2's "baseline_verdict"). */
typedef enum tool_baseline_verdict {
  TOOL_BASELINE_NONE = 0,    /* null: no entry, record mode, or the measurement errored */
  TOOL_BASELINE_PASS,        /* within (or far below) the baseline */
  TOOL_BASELINE_REGRESSION,  /* above what the baseline allows */
  TOOL_BASELINE_ERROR        /* the baseline could not be applied (MEMGATE_EBASELINE) */
} tool_baseline_verdict;

/* One frame of an allocation site ("sites" in a results line, docs/SITES.md). */
typedef struct tool_site_frame {
  char *function;            /* "?" when unknown */
  char *file;                /* source file, or the object's path when line is 0 */
  int line;                  /* 0 when unknown */
} tool_site_frame;

/* One holder on a site's retention path ("kept_by"."holders"). */
typedef struct tool_site_holder {
  tool_site_frame *frames;   /* the holder's allocating function, then its caller */
  uint32_t n_frames;
} tool_site_holder;

/* An allocation site that grew steadily (recorded with memgate run --sites). */
typedef struct tool_site {
  tool_site_frame *frames;   /* innermost first */
  uint32_t n_frames;
  /* "kept_by" (docs/SITES.md): what keeps the site's blocks alive. kept_root
   * is NULL when absent, else "global", "stack" or "none" (unreachable). */
  char *kept_root;
  tool_site_holder *holders; /* nearest the site's blocks first */
  uint32_t n_holders;
  char *kept_symbol, *kept_object; /* root "global": the variable; else "" */
  bool kept_truncated;
  int64_t kept_blocks, kept_examined;
  double bytes_per_iteration, blocks_per_iteration;
  double share;              /* of the growth of every recorded stack, 0..1 */
  int64_t growth_bytes;      /* over the measured iterations */
} tool_site;

/* One result line. Optional figures have a has_* flag; absent strings are "". */
typedef struct tool_result {
  char *name;                /* scope name */
  memgate_kind kind;
  memgate_verdict verdict;   /* final verdict, as recorded by the measured process */
  /* The two judgements behind it: read from format 2 lines, derived once
   * for format 1 lines (regression -> measured pass; MEMGATE_EBASELINE ->
   * measured pass, baseline error), so no reader reconstructs them. */
  memgate_verdict measured_verdict;      /* pass, leak or error: the measurement alone */
  tool_baseline_verdict baseline_verdict;
  char *message;             /* one line as recorded ("" if none) */
  char *error;               /* "MEMGATE_E..." when verdict is error, else "" */
  char *file;                /* where MEM_END / MEM_REPEAT ran */
  int line;
  char *begin_file;          /* where MEM_BEGIN ran ("" if absent) */
  int begin_line;
  char *platform;            /* platform key of the measuring process */
  uint64_t before_bytes, after_bytes;
  int64_t retained_bytes;    /* after - before */
  bool has_peak;
  int64_t peak_bytes;        /* highest footprint above before_bytes */
  bool has_heap;
  int64_t heap_delta_bytes;
  int64_t warmup_bytes;
  uint32_t warmup, iterations;
  uint32_t confirm_iterations; /* of iterations, the confirmation rounds (format 2; else 0) */
  uint64_t *series;          /* footprint after warm-up and each iteration, or NULL */
  uint64_t *heap_series;     /* allocator view, same shape, or NULL */
  uint32_t series_count, heap_series_count;
  bool has_slope, has_heap_slope;
  double slope_bytes, heap_slope_bytes;
  /* The baseline the measured process applied (if any). */
  bool has_baseline;
  char *baseline_platform;
  int64_t baseline_retained_bytes, baseline_peak_bytes, allowed_bytes;
  uint64_t elapsed_ns;
  int64_t pid;
  /* When and what it measured (optional in format 2; absent in older lines). */
  bool has_time;
  int64_t time_ms;           /* "time": milliseconds since 1970-01-01 UTC */
  char *commit;              /* lowercase hex, "" when absent or null */
  uint64_t host_memory_bytes; /* 0 when absent or null */
  uint32_t host_cpus;        /* 0 when absent or null */
  char *run;                 /* run id (history files, memgate history append), "" when absent */
  /* "sites": present only when the sites were recorded (has_sites). */
  bool has_sites;
  tool_site *sites;
  uint32_t n_sites;
  bool bad_line;             /* not a measurement: a line that could not be read, as an
                              * error result (name "FILE:LINE", message "FILE:LINE:COL: ...") */
  const char *source;        /* results file it came from (owned by tool_results) */
  uint32_t source_line;      /* its line in that file */
} tool_result;

typedef struct tool_results {
  tool_result *items;
  size_t count, cap;
  char **sources;            /* file names, owned */
  size_t nsources;
} tool_results;

void tool_results_init(tool_results *rs);
void tool_results_free(tool_results *rs);

/*
 * Appends the results of path, starting at byte offset `from` (0: the whole
 * file). Blank lines are skipped. A line that cannot be read (malformed,
 * truncated, binary, wrong types, out-of-range numbers, duplicate keys,
 * unknown fields, unknown format version) is appended as an error result of
 * its own (bad_line, MEMGATE_EPARSE, its message "path:line:col: what is
 * wrong"; a last line without its newline is called a torn write) and the
 * other lines are read: one bad line does not hide the rest.
 * Returns 0; or MEMGATE_EPARSE when not one line could be read (the first
 * bad line's message in err), MEMGATE_EIO (unreadable, or not a regular
 * file: a FIFO is refused without blocking) or MEMGATE_ENOMEM, with the
 * message in err. On error nothing from this file is appended. *added
 * (optional) gets how many results (bad lines included) were.
 */
int tool_results_load(tool_results *rs, const char *path, uint64_t from, size_t *added, char *err,
                      size_t cap);

/* The same for bytes in memory; first_line numbers the first line. */
int tool_results_parse(tool_results *rs, const char *text, size_t len, const char *path,
                       uint32_t first_line, size_t *added, char *err, size_t cap);

#endif
