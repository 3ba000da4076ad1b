/*
 * Baselines: strict JSON with positions, the baseline file model, the
 * comparison rule, platform fallback and locked atomic updates.
 *
 * Internal to memgate (hidden symbols): used by baseline.c (the in-process
 * hooks), by the memgate command (harness/tool/) and by the fuzz target.
 * The file format and the rules are documented in docs/CI.md.
 *
 * Errors: functions return 0 or a negative MEMGATE_E* code and write one
 * line "path:line:col: what is wrong" (or "path: what is wrong" when no
 * position applies) into a caller-provided buffer. Nothing here prints.
 * Ownership: *_free() releases what the parse and load functions filled; strings in
 * entries are owned by their file; memgate__bl_format() returns a malloc'd
 * buffer the caller frees.
 */
#ifndef MEMGATE_BASELINE_STORE_H
#define MEMGATE_BASELINE_STORE_H

#include "file_io.h"
#include "memgate_internal.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Strict JSON with positions
 * ------------------------------------------------------------------------ */

/* Deepest nesting accepted (baseline files need 4, results lines 3). */
#define MEMGATE__JSON_MAX_DEPTH 64
/* Longest number text accepted (cJSON parses at most 63 characters). */
#define MEMGATE__JSON_MAX_NUMBER 63

/* One value in document (pre-)order: where it starts, and where its key
 * starts when it is an object member (else key_off == value_off). */
typedef struct memgate__jtok {
  size_t value_off;
  size_t key_off;
} memgate__jtok;

typedef struct memgate__jnode {
  const cJSON *node;
  size_t tok;
} memgate__jnode;

/* A parsed document: cJSON's tree plus the position of every node. */
typedef struct memgate__jdoc {
  cJSON *root;            /* owned */
  const char *text;       /* borrowed: the parsed bytes */
  size_t len;
  memgate__jtok *toks;    /* owned, ntok entries, pre-order */
  size_t ntok;
  memgate__jnode *index;  /* owned, ntok entries sorted by node address */
} memgate__jdoc;

/* Where an error is, and what. */
typedef struct memgate__jerr {
  size_t off;             /* byte offset into the parsed text */
  char msg[256];
} memgate__jerr;

/*
 * Validates text[0..len) as exactly one JSON value (RFC 8259: UTF-8, no
 * NUL byte, no raw control characters in strings, no "\u0000", numbers of
 * at most 63 characters, nesting at most 64, an optional UTF-8 BOM), rejects
 * duplicate keys in any object, then builds cJSON's tree and the position
 * index. Returns 0, MEMGATE_EPARSE (err filled) or MEMGATE_ENOMEM.
 * text need not be NUL-terminated; it must outlive the document.
 */
MEMGATE__HIDDEN int memgate__jdoc_parse(memgate__jdoc *doc, const char *text, size_t len,
                                        memgate__jerr *err);
MEMGATE__HIDDEN void memgate__jdoc_free(memgate__jdoc *doc);
/* Offset of a node's value, and of its key (the value's for non-members). */
MEMGATE__HIDDEN size_t memgate__jdoc_value_off(const memgate__jdoc *doc, const cJSON *node);
MEMGATE__HIDDEN size_t memgate__jdoc_key_off(const memgate__jdoc *doc, const cJSON *node);
/*
 * The exact integer a number node spells (digits only: no fraction, no
 * exponent), if it lies in [lo, hi]. Returns 0, or MEMGATE_EPARSE with a
 * message in err (position of the number).
 */
MEMGATE__HIDDEN int memgate__jdoc_get_int(const memgate__jdoc *doc, const cJSON *node,
                                          int64_t lo, int64_t hi, const char *what,
                                          int64_t *out, memgate__jerr *err);
MEMGATE__HIDDEN int memgate__jdoc_get_uint(const memgate__jdoc *doc, const cJSON *node,
                                           uint64_t hi, const char *what, uint64_t *out,
                                           memgate__jerr *err);
/* Line and column (both from 1, column in bytes) of offset off in text. */
MEMGATE__HIDDEN void memgate__text_pos(const char *text, size_t len, size_t off, uint32_t *line,
                                       uint32_t *col);
/* A position carried through one text: seeking forward scans only the bytes
 * since the last seek, so positions taken in document order cost one pass in
 * all; seeking backward starts again from the top. Zero it to start. */
typedef struct memgate__text_cursor {
  size_t off;
  uint32_t line, col; /* line 0: not started */
} memgate__text_cursor;
MEMGATE__HIDDEN void memgate__text_seek(memgate__text_cursor *c, const char *text, size_t len,
                                        size_t off);
/* True when s[0..n) is valid UTF-8 without control characters (< 0x20, 0x7f). */
MEMGATE__HIDDEN bool memgate__text_clean(const char *s, size_t n);

/* ------------------------------------------------------------------------
 * Baseline files
 * ------------------------------------------------------------------------ */

#define MEMGATE__BL_FORMAT 1
/* Defaults when an entry has no tolerance fields (also written into new
 * entries, so each file states the band it uses). Retained is measured
 * precisely (trimmed, repeatable samples); the peak is an estimate that
 * moved 14-28 % between identical runs of the live-room example on Linux
 * (VmHWM-based), so it gets a wider band. */
#define MEMGATE__BL_DEFAULT_TOLERANCE_BYTES 65536
#define MEMGATE__BL_DEFAULT_TOLERANCE_PERCENT 10
#define MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES 262144
#define MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_PERCENT 25
/* The smallest peak recorded as a baseline figure: the accuracy of the
 * peak estimate (Linux: VmHWM from per-CPU RSS counters, updated only at
 * unmap time; a 64 KiB transient reads as 0 to 36 KiB). It equals the
 * default peak band, so a recorded peak is compared with a band at least
 * as wide as its accuracy. */
#define MEMGATE__BL_PEAK_FLOOR_BYTES 262144
/* Largest byte figure a baseline may hold (2^53: exact in every JSON reader). */
#define MEMGATE__BL_MAX_BYTES (INT64_C(1) << 53)
#define MEMGATE__BL_MAX_PERCENT 1000
#define MEMGATE__BL_MAX_ITERATIONS 1000000
#define MEMGATE__BL_NOTE_CAP 1024
/* Largest baseline file read (bytes). */
#define MEMGATE__BL_MAX_FILE (16u * 1024u * 1024u)
#define MEMGATE__BL_KEY_CAP 64  /* platform keys: 1..63 of a-z 0-9 . _ - */
#define MEMGATE__BL_NAME_CAP 256 /* scope names: 1..255 bytes */
#define MEMGATE__BL_ANY "any"   /* entry used on every platform without its own */

/* One (scope, platform) entry. */
typedef struct memgate__bl_entry {
  char *scope;               /* owned by the file */
  char *platform;            /* owned by the file */
  char *note;                /* owned, NULL when none */
  int kind;                  /* MemgateKindScope, MemgateKindRepeat, or -1 unspecified */
  int64_t retained_bytes;    /* expected retained, 0..MAX_BYTES */
  int64_t peak_bytes;        /* expected peak, 0..MAX_BYTES, or -1 none */
  int64_t tolerance_bytes;   /* retained band, -1: default */
  int32_t tolerance_percent; /* -1: default */
  int64_t peak_tolerance_bytes;   /* peak band, -1: default */
  int32_t peak_tolerance_percent; /* -1: default */
  uint32_t iterations;       /* measured iterations the values came from, >= 1 */
  uint32_t line, col;        /* where the entry was read; 0 when made in memory */
} memgate__bl_entry;

/* One baseline file: entries sorted by (scope, platform), byte order. */
typedef struct memgate__bl_file {
  char *path;                /* owned; for messages */
  memgate__bl_entry *entries;
  size_t count, cap;
} memgate__bl_file;

/*
 * Parses and validates a baseline file's bytes into *out (zeroed first).
 * expect_name: the file's base name ("live_room.json"); every scope must map
 * to it (NULL skips that rule). Returns 0, MEMGATE_EBASELINE (err gets
 * "path:line:col: ...") or MEMGATE_ENOMEM. On error *out is empty.
 */
MEMGATE__HIDDEN int memgate__bl_parse(const char *text, size_t len, const char *path,
                                      const char *expect_name, memgate__bl_file *out, char *err,
                                      size_t cap);
/*
 * Reads and parses path (baseline_update.c). A missing file gives an empty
 * *out and *missing = true (not an error); a dangling symbolic link, a FIFO
 * or anything but a regular file is MEMGATE_EBASELINE naming the file (never
 * blocking). Returns as memgate__bl_parse, or MEMGATE_EBASELINE for an
 * unreadable or oversized file.
 */
MEMGATE__HIDDEN int memgate__bl_load(const char *path, memgate__bl_file *out, bool *missing,
                                     char *err, size_t cap);
MEMGATE__HIDDEN void memgate__bl_free(memgate__bl_file *f);
/* Stable text: sorted keys, 2-space indentation, trailing newline. NULL on
 * out of memory; *len gets the length. Caller frees. */
MEMGATE__HIDDEN char *memgate__bl_format(const memgate__bl_file *f, size_t *len);
/* The exact entry (scope, platform), or NULL. */
MEMGATE__HIDDEN const memgate__bl_entry *memgate__bl_find(const memgate__bl_file *f,
                                                          const char *scope,
                                                          const char *platform);
/* The entry for scope on platform after the fallback chain, or NULL. */
MEMGATE__HIDDEN const memgate__bl_entry *memgate__bl_lookup(const memgate__bl_file *f,
                                                            const char *scope,
                                                            const char *platform);
/*
 * True when the measured values of e fall within the existing entry d's own
 * tolerance: the same kind (or either unspecified) and iterations, a peak on
 * both sides or on neither, retained and peak inside d's bands (neither
 * above what d allows nor below its lowest). Re-recording such a
 * measurement leaves d byte-identical: a changed value is a reviewed
 * change, not noise (docs/CI.md, "Recording").
 */
/* Frees an entry's strings (the entry itself is the caller's). */
MEMGATE__HIDDEN void memgate__bl_entry_free(memgate__bl_entry *e);
MEMGATE__HIDDEN bool memgate__bl_within(const memgate__bl_entry *d, const memgate__bl_entry *e);
/*
 * Records measured values: inserts (scope, platform) or replaces its measured
 * fields (retained, peak, iterations) unless they are memgate__bl_within the
 * existing entry's tolerance. An existing entry keeps its tolerances and
 * note unless e sets them (>= 0 / non-NULL); e's kind, when set, is kept. A
 * new entry gets the default tolerances written out. Strings are copied. 0
 * or MEMGATE_ENOMEM.
 */
MEMGATE__HIDDEN int memgate__bl_put(memgate__bl_file *f, const memgate__bl_entry *e);
/* memgate__bl_put for n entries in one pass: O((count + n) log) whatever the
 * order; equal keys apply in array order. 0 or MEMGATE_ENOMEM. */
MEMGATE__HIDDEN int memgate__bl_put_many(memgate__bl_file *f, const memgate__bl_entry *es,
                                         size_t n);
/* For the parser: appends a copy of e as it is (no defaults, order not
 * kept), then memgate__bl_sort once. */
MEMGATE__HIDDEN int memgate__bl_append(memgate__bl_file *f, const memgate__bl_entry *e);
MEMGATE__HIDDEN void memgate__bl_sort(memgate__bl_file *f);
/* malloc'd copy of s, NULL when out of memory. */
MEMGATE__HIDDEN char *memgate__bl_strdup(const char *s);

/*
 * Record merging, the one rule for MEMGATE_UPDATE=1 (baseline.c) and
 * `memgate update`: folds one measured result into the pending entry of its
 * (scope, platform). first: the entry is new (its measured fields and
 * tolerances are set; scope, platform and note are left to the caller).
 * The values are normalised first: iterations 1 for a scope, retained and
 * peak clamped to 0..MEMGATE__BL_MAX_BYTES, no peak -1. Then: a result of the
 * other kind, or with more iterations, replaces the figures; one with fewer
 * iterations is ignored; with the same iterations the largest retained and
 * the largest peak are kept (docs/CI.md, "Recording"). A peak below
 * MEMGATE__BL_PEAK_FLOOR_BYTES is not recorded (-1): it cannot be told from
 * zero (docs/DESIGN.md, "Accuracy of recorded figures").
 */
MEMGATE__HIDDEN void memgate__bl_record_merge(memgate__bl_entry *acc, bool first, memgate_kind kind,
                                              uint32_t iterations, int64_t retained, bool has_peak,
                                              int64_t peak);

/* Fallback chain for a platform key: the key itself; for "<os>-simulator-
 * <arch>" and "maccatalyst-<arch>" then "macos-<arch>"; then "any".
 * Returns how many keys were written (1..3). */
MEMGATE__HIDDEN size_t memgate__bl_fallbacks(const char *platform,
                                             char keys[3][MEMGATE__BL_KEY_CAP]);
/* True for a valid platform key (1..63 of a-z 0-9 . _ -). */
MEMGATE__HIDDEN bool memgate__bl_platform_ok(const char *key);
/* True for a valid scope name (1..255 bytes of clean UTF-8). */
MEMGATE__HIDDEN bool memgate__bl_scope_ok(const char *name);
/*
 * The file a scope's entries live in: the part of the name before the first
 * '.', characters other than A-Z a-z 0-9 _ - replaced by '_', at most 100
 * bytes, "_" when empty, plus ".json". "live_room.visit" -> "live_room.json".
 */
MEMGATE__HIDDEN void memgate__bl_file_name(const char *scope, char *buf, size_t cap);

/*
 * Locked, atomic merge into dir/name (baseline_update.c): creates dir (and
 * parents) if needed, takes an exclusive flock on the directory, removes
 * temporary files killed updaters left there, reads and parses the current
 * file through the directory's descriptor, applies memgate__bl_put_many, and
 * when the text changed writes it with memgate__write_atomic. A current file
 * that does not parse, is not a regular file or is a symbolic link is left
 * byte-for-byte untouched and its error returned (MEMGATE_EBASELINE); so is
 * the file when the write fails (a full disk, a read-only directory).
 * *changed (optional) tells whether the file was rewritten.
 */
MEMGATE__HIDDEN int memgate__bl_update(const char *dir, const char *name,
                                       const memgate__bl_entry *entries, size_t n, bool *changed,
                                       char *err, size_t cap);
/* What memgate__bl_update_ex does besides merging. */
typedef struct memgate__bl_update_ext {
  bool dry_run;  /* merge and format, write nothing; before/after get the texts */
  /* Removes every entry of the file for which drop returns true (after the
   * merge), or NULL: memgate update --prune. */
  bool (*drop)(const memgate__bl_entry *e, void *ctx);
  void *ctx;
  size_t dropped;          /* out: entries drop removed */
  char *before, *after;    /* out (dry run): malloc'd texts, the caller frees;
                            * before is NULL when there is no file */
  size_t before_len, after_len;
} memgate__bl_update_ext;
/* memgate__bl_update with ext (NULL: the same as memgate__bl_update); under
 * a dry run *changed tells whether the file would change. */
MEMGATE__HIDDEN int memgate__bl_update_ex(const char *dir, const char *name, const memgate__bl_entry *entries,
                                          size_t n, memgate__bl_update_ext *ext, bool *changed, char *err,
                                          size_t cap);

/* ------------------------------------------------------------------------
 * Comparison
 * ------------------------------------------------------------------------ */

typedef enum memgate__bl_outcome {
  MEMGATE__BL_PASS = 0,        /* within tolerance */
  MEMGATE__BL_REGRESSION = 1,  /* retained or peak above what is allowed */
  MEMGATE__BL_IMPROVEMENT = 2, /* far below the baseline (stale baseline) */
  MEMGATE__BL_KIND_MISMATCH = 3 /* entry recorded for a repeat, result is a scope (or back) */
} memgate__bl_outcome;

typedef struct memgate__bl_cmp {
  memgate__bl_outcome outcome;
  int64_t expected;       /* expected retained, scaled to the measured iterations */
  int64_t band;           /* max(tolerance_bytes, ceil(expected * tolerance_percent / 100)) */
  int64_t allowed;        /* expected + band: the largest retained that passes */
  int64_t lowest;         /* expected - band: below it is an improvement (when > 0) */
  bool scaled;            /* repeat with other iterations than the entry: expected scaled */
  bool peak_compared;     /* both sides have a peak and iterations match */
  int64_t expected_peak, peak_band, allowed_peak, lowest_peak; /* same rule, peak tolerances */
  bool retained_over, retained_under, peak_over, peak_under;
  int64_t tolerance_bytes;   /* effective values (defaults applied) */
  int32_t tolerance_percent;
  int64_t peak_tolerance_bytes;
  int32_t peak_tolerance_percent;
} memgate__bl_cmp;

MEMGATE__HIDDEN void memgate__bl_compare(const memgate__bl_entry *e, memgate_kind kind,
                                         uint32_t iterations, int64_t retained, bool has_peak,
                                         int64_t peak, memgate__bl_cmp *out);
/*
 * One line describing a comparison (no trailing newline), e.g.
 * "retained +512.0 KiB (524288 B) is above the baseline: expected 0 B, allowed
 * up to 65536 B [linux-x86_64 in baselines/live_room.json]".
 * used_platform: key of the entry; platform: the result's key; path: file.
 */
MEMGATE__HIDDEN void memgate__bl_describe(char *buf, size_t cap, const memgate__bl_cmp *c,
                                          const memgate__bl_entry *e, const char *platform,
                                          const char *path, int64_t retained, int64_t peak);
/* ------------------------------------------------------------------------
 * A directory of baseline files, and judging a result against it
 * ------------------------------------------------------------------------ */

typedef struct memgate__bl_loaded {
  char *name;              /* "live_room.json" */
  memgate__bl_file file;   /* empty when error is set */
  char *error;             /* "path:line:col: ..." when the file did not load, else NULL */
} memgate__bl_loaded;

typedef struct memgate__bl_set {
  char *dir;
  memgate__bl_loaded *files; /* sorted by name */
  size_t count;
} memgate__bl_set;

/*
 * Loads every dir/NAME.json (NAME not starting with '.'). A file that does
 * not load keeps its message in files[i].error; the others still load. A
 * missing directory gives an empty set and *missing = true. Returns 0,
 * MEMGATE_EBASELINE (directory unreadable; err) or MEMGATE_ENOMEM.
 */
MEMGATE__HIDDEN int memgate__bl_set_load(memgate__bl_set *s, const char *dir, bool *missing,
                                         char *err, size_t cap);
MEMGATE__HIDDEN void memgate__bl_set_free(memgate__bl_set *s);
/* The loaded file a scope maps to, or NULL. */
MEMGATE__HIDDEN const memgate__bl_loaded *memgate__bl_set_file(const memgate__bl_set *s,
                                                               const char *scope);

/* Settings that change how results are judged. */
typedef struct memgate__bl_policy {
  bool strict;              /* MEMGATE_STRICT=1: no baseline is an error */
  bool update;              /* MEMGATE_UPDATE=1: record instead of judging */
  bool fail_on_improvement; /* MEMGATE_FAIL_ON_IMPROVEMENT=1: improvement fails */
  bool verbose;             /* MEMGATE_VERBOSE=1: a pass says when no baseline applied */
} memgate__bl_policy;

/* Reads MEMGATE_STRICT, MEMGATE_UPDATE, MEMGATE_FAIL_ON_IMPROVEMENT and MEMGATE_VERBOSE (each
 * unset, "0" or "1"). Returns 0 or MEMGATE_ECONFIG with a message in err. */
MEMGATE__HIDDEN int memgate__bl_policy_env(memgate__bl_policy *p, char *err, size_t cap);
/* MEMGATE_BASELINES when set and not empty (*explicit_dir = true), else
 * "baselines". */
MEMGATE__HIDDEN const char *memgate__bl_dir_env(bool *explicit_dir);

typedef enum memgate__bl_status {
  MEMGATE__BL_NO_ENTRY = 0,   /* no entry for the platform (or its fallbacks) */
  MEMGATE__BL_COMPARED = 1,   /* compared: see cmp */
  MEMGATE__BL_FILE_ERROR = 2, /* the scope's file did not load */
  MEMGATE__BL_RECORD = 3      /* update mode: to be recorded */
} memgate__bl_status;

typedef struct memgate__bl_judgement {
  memgate__bl_status status;
  memgate_verdict verdict;         /* the result's final verdict */
  int error;                       /* MEMGATE_EBASELINE when verdict is error, else 0 */
  const memgate__bl_entry *entry;  /* entry used (borrowed from the set), or NULL */
  memgate__bl_cmp cmp;             /* valid when entry != NULL */
  char path[512];                  /* the scope's baseline file */
  char desc[768];                  /* one line: what the baseline says */
} memgate__bl_judgement;

/*
 * Judges one measured result against a set. measured: the verdict before
 * any baseline (pass or leak; a leak stays a leak whatever the baseline
 * says). The rules (docs/CI.md): a file error makes the verdict error; no
 * entry passes (error under strict); beyond tolerance is a regression; far
 * better is an improvement (pass, or regression with fail_on_improvement);
 * an entry for the other kind is an error; in update mode a non-leaking
 * result passes and is marked for recording.
 */
MEMGATE__HIDDEN void memgate__bl_judge(const memgate__bl_set *s, const memgate__bl_policy *pol,
                                       const char *name, memgate_kind kind, const char *platform,
                                       memgate_verdict measured, uint32_t iterations,
                                       int64_t retained, bool has_peak, int64_t peak,
                                       memgate__bl_judgement *out);

/*
 * The baseline's own verdict in a judgement, whatever the measurement
 * said: pass, regression (beyond tolerance, or an improvement under
 * fail_on_improvement) or error (*error = MEMGATE_EBASELINE: the file did
 * not load, no entry under strict, an entry of the other kind). Returns
 * false when no baseline was judged (no entry, record mode).
 */
MEMGATE__HIDDEN bool memgate__bl_verdict_of(const memgate__bl_judgement *j,
                                            const memgate__bl_policy *pol,
                                            memgate_verdict *verdict, int *error);

#endif
