/*
 * glib_strdup_kept - leak, GLib, 24 B per iteration, still reachable: each
 * call formats a user key with g_strdup_printf and appends it to a global
 * "recently seen" table that nothing ever trims. Every string stays
 * pointed to, so LeakSanitizer and valgrind's "definitely lost" stay
 * silent. The table is preallocated: only the strings grow.
 */
#include "../rw_case.h"

#include <glib.h>

#define KEPT_MAX 100000

/* volatile: a table nothing reads would be optimised away, and the strings
 * with it would become unreachable instead of still reachable. */
static char *volatile rw_seen[KEPT_MAX]; /* the bug: appended to, never trimmed */
static unsigned rw_seen_count;

static void glib_strdup_kept_body(void *ctx) {
  char *tmp;

  (void)ctx;
  /* Ordinary transient work around the leak. */
  tmp = g_strdup_printf("lookup %u in %s", rw_seen_count, "room/42");
  g_free(g_ascii_strup(tmp, -1));
  g_free(tmp);
  if (rw_seen_count < KEPT_MAX) {
    rw_seen[rw_seen_count] = g_strdup_printf("user-%07u", rw_seen_count); /* 13 B */
    rw_seen_count++;
  }
}

const rw_case rw_case_glib_strdup_kept = {
  "glib_strdup_kept", "GLib", "leak", NULL, glib_strdup_kept_body, NULL,
};
