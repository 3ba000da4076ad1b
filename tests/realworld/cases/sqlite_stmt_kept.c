/*
 * sqlite_stmt_kept - leak, SQLite, still reachable: each call prepares a
 * statement and keeps it in a global list "for reuse" without ever looking
 * it up again or finalizing it. The connection also keeps every statement
 * on its own list, so nothing is lost in the reachability sense.
 */
#include "../rw_case.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define KEPT_MAX 100000

static sqlite3 *rw_db;
static sqlite3_stmt *volatile rw_kept[KEPT_MAX]; /* the bug: never finalized (volatile: kept, not optimised away) */
static unsigned rw_kept_count;

static void stmt_kept_setup(void) {
  if (sqlite3_open(":memory:", &rw_db) != SQLITE_OK) { fprintf(stderr, "sqlite3_open failed\n"); exit(2); }
  sqlite3_exec(rw_db, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);"
               "INSERT INTO users VALUES(1, 'ann'), (2, 'bob');", NULL, NULL, NULL);
}

static void stmt_kept_body(void *ctx) {
  sqlite3_stmt *st = NULL;

  (void)ctx;
  sqlite3_prepare_v2(rw_db, "SELECT name FROM users WHERE id = ?", -1, &st, NULL);
  if (!st) return;
  sqlite3_bind_int(st, 1, 1 + (int)(rw_kept_count % 2));
  while (sqlite3_step(st) == SQLITE_ROW) (void)sqlite3_column_text(st, 0);
  sqlite3_reset(st);
  if (rw_kept_count < KEPT_MAX) rw_kept[rw_kept_count++] = st;
}

const rw_case rw_case_sqlite_stmt_kept = {
  "sqlite_stmt_kept", "SQLite", "leak", stmt_kept_setup, stmt_kept_body, NULL,
};
