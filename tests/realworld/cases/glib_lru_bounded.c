/*
 * glib_lru_bounded - leak-free, GLib: an LRU cache of at most 50 entries of
 * about 416 B (a GHashTable from key to a GList link of a GQueue, a
 * 400-byte value and its key), which the code puts a new entry in on every
 * call. It fills during the first 50 calls, then evicts one entry per call
 * and stays exactly bounded (issue 12, class 2).
 */
#include "../rw_case.h"

#include <glib.h>
#include <string.h>

#define LRU_CAPACITY 50
#define LRU_VALUE 400

typedef struct lru_entry {
  char *key;
  char value[LRU_VALUE];
} lru_entry;

static GHashTable *rw_index; /* key -> GList link in rw_order (owned by the queue) */
static GQueue rw_order = G_QUEUE_INIT;
static unsigned rw_calls;

static void lru_evict_oldest(void) {
  lru_entry *old = g_queue_pop_tail(&rw_order);
  g_hash_table_remove(rw_index, old->key);
  g_free(old->key);
  g_free(old);
}

static void lru_put(const char *key) {
  lru_entry *e = g_new(lru_entry, 1);
  e->key = g_strdup(key);
  memset(e->value, (int)(rw_calls & 0xff), sizeof e->value);
  g_queue_push_head(&rw_order, e);
  g_hash_table_insert(rw_index, e->key, rw_order.head);
  if (g_queue_get_length(&rw_order) > LRU_CAPACITY) lru_evict_oldest();
}

static void glib_lru_setup(void) { rw_index = g_hash_table_new(g_str_hash, g_str_equal); }

static void glib_lru_body(void *ctx) {
  char key[32];
  GList *hit;

  (void)ctx;
  g_snprintf(key, sizeof key, "room/%u/profile", rw_calls++);
  lru_put(key);
  /* A hit on an older entry moves it to the front. */
  g_snprintf(key, sizeof key, "room/%u/profile", rw_calls / 2);
  hit = g_hash_table_lookup(rw_index, key);
  if (hit) {
    g_queue_unlink(&rw_order, hit);
    g_queue_push_head_link(&rw_order, hit);
  }
}

static void glib_lru_teardown(void) {
  while (!g_queue_is_empty(&rw_order)) lru_evict_oldest();
  g_hash_table_destroy(rw_index);
  rw_index = NULL;
}

const rw_case rw_case_glib_lru_bounded = {
  "glib_lru_bounded", "GLib", "pass", glib_lru_setup, glib_lru_body, glib_lru_teardown,
};
