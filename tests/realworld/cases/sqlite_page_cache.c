/*
 * sqlite_page_cache - leak-free, SQLite: a 4 MiB database file read in
 * order, 40 rows (about 10 pages) per call, through SQLite's page cache at
 * its default size (cache_size -2000: about 2 MiB, some 500 pages of
 * 4 KiB). The cache fills over the first ~50 calls and then recycles its
 * pages: bounded. Set-up writes the file (not measured).
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "../rw_case.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DB_ROWS 4000
#define ROWS_PER_CALL 40

static sqlite3 *rw_db;
static sqlite3_stmt *rw_read;
static char rw_path[64];
static int rw_next;

static void page_cache_fill(sqlite3 *db) {
  sqlite3_stmt *ins;
  char pad[1000];
  int i;

  memset(pad, 'x', sizeof pad);
  sqlite3_exec(db, "PRAGMA journal_mode=OFF; CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB);"
               "BEGIN;", NULL, NULL, NULL);
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?)", -1, &ins, NULL);
  for (i = 0; i < DB_ROWS; i++) {
    sqlite3_bind_int(ins, 1, i);
    sqlite3_bind_blob(ins, 2, pad, (int)sizeof pad, SQLITE_STATIC);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
}

static void page_cache_setup(void) {
  sqlite3 *db;
  int fd;

  snprintf(rw_path, sizeof rw_path, "/tmp/memgate-rw-sqlite.XXXXXX");
  fd = mkstemp(rw_path);
  if (fd < 0) { perror("mkstemp"); exit(2); }
  close(fd);
  if (sqlite3_open(rw_path, &db) != SQLITE_OK) { fprintf(stderr, "sqlite3_open %s failed\n", rw_path); exit(2); }
  page_cache_fill(db);
  sqlite3_close(db);
  /* A fresh connection: its page cache starts empty. */
  sqlite3_open(rw_path, &rw_db);
  sqlite3_prepare_v2(rw_db, "SELECT sum(length(pad)) FROM t WHERE id >= ? AND id < ?", -1, &rw_read, NULL);
}

static void page_cache_body(void *ctx) {
  (void)ctx;
  sqlite3_bind_int(rw_read, 1, rw_next);
  sqlite3_bind_int(rw_read, 2, rw_next + ROWS_PER_CALL);
  while (sqlite3_step(rw_read) == SQLITE_ROW) (void)sqlite3_column_int64(rw_read, 0);
  sqlite3_reset(rw_read);
  rw_next = (rw_next + ROWS_PER_CALL) % DB_ROWS;
}

static void page_cache_teardown(void) {
  sqlite3_finalize(rw_read);
  sqlite3_close(rw_db);
  rw_read = NULL;
  rw_db = NULL;
  unlink(rw_path);
}

const rw_case rw_case_sqlite_page_cache = {
  "sqlite_page_cache", "SQLite", "pass", page_cache_setup, page_cache_body, page_cache_teardown,
};
