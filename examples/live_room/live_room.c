/*
 * live_room.c - the live-room model; see live_room.h.
 *
 * Every buffer is filled with a non-zero byte right after malloc: a zero
 * fill could be turned into calloc by the compiler and leave fresh pages
 * untouched (not resident), which would hide them from a footprint reading.
 */
#define _POSIX_C_SOURCE 200809L

#include "live_room.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One decoded gift animation: `frame_count` buffers of `frame_bytes`. */
typedef struct gift_anim {
  struct gift_anim *next;
  uint64_t room_serial;   /* the room that decoded it */
  uint32_t gift_id;
  size_t frame_count;
  size_t frame_bytes;
  unsigned char **frames; /* frame_count buffers */
} gift_anim;

struct live_room {
  live_room_config cfg;   /* copy, checked */
  uint64_t serial;        /* unique per room, from next_serial */
  unsigned char **pool;   /* cfg.pool_frames buffers of cfg.pool_frame_bytes */
  char **chat;            /* ring of cfg.chat_capacity slots */
  size_t chat_head;       /* slot of the oldest message */
  size_t chat_count;      /* messages in the ring */
  uint64_t chat_bytes;    /* sum of strlen + 1 over the ring */
  gift_anim *gifts;       /* animations decoded in this room */
  size_t gift_count;
  uint64_t gift_bytes;    /* payload bytes of gifts */
};

/* One entry of the global animation cache: (room serial, gift id) -> the
 * decoded animation, which the entry owns. */
typedef struct cache_entry {
  struct cache_entry *next;
  uint64_t room_serial;   /* key, part 1: the room that decoded it (the bug) */
  uint32_t gift_id;       /* key, part 2 */
  gift_anim *anim;
} cache_entry;

/* The global animation cache and the room serial counter. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry *cache_head;   /* guarded by cache_lock */
static uint64_t cache_payload;    /* guarded by cache_lock */
static size_t cache_entries;      /* guarded by cache_lock */
static uint64_t next_serial = 1;  /* guarded by cache_lock */

const char *live_room_strerror(int err) {
  switch (err) {
    case LIVE_ROOM_OK: return "success";
    case LIVE_ROOM_EINVAL: return "invalid argument";
    case LIVE_ROOM_ENOMEM: return "out of memory";
    default: return "unknown error";
  }
}

void live_room_config_init(live_room_config *cfg) {
  if (cfg == NULL) return;
  cfg->pool_frames = LIVE_ROOM_DEFAULT_POOL_FRAMES;
  cfg->pool_frame_bytes = LIVE_ROOM_DEFAULT_POOL_FRAME_BYTES;
  cfg->chat_capacity = LIVE_ROOM_DEFAULT_CHAT_CAPACITY;
  cfg->gift_frame_bytes = LIVE_ROOM_DEFAULT_GIFT_FRAME_BYTES;
  cfg->visit_chat_messages = LIVE_ROOM_DEFAULT_VISIT_CHAT_MESSAGES;
  cfg->visit_gift_frames = LIVE_ROOM_DEFAULT_VISIT_GIFT_FRAMES;
  cfg->buggy = false;
}

static bool in_range(size_t v, size_t lo, size_t hi) { return v >= lo && v <= hi; }

int live_room_config_check(const live_room_config *cfg) {
  if (cfg == NULL) return LIVE_ROOM_OK;
  if (!in_range(cfg->pool_frames, 1, LIVE_ROOM_MAX_FRAMES) ||
      !in_range(cfg->pool_frame_bytes, 1, LIVE_ROOM_MAX_FRAME_BYTES) ||
      !in_range(cfg->chat_capacity, 1, LIVE_ROOM_MAX_CHAT) ||
      !in_range(cfg->gift_frame_bytes, 1, LIVE_ROOM_MAX_FRAME_BYTES) ||
      !in_range(cfg->visit_chat_messages, 0, LIVE_ROOM_MAX_CHAT) ||
      !in_range(cfg->visit_gift_frames, 1, LIVE_ROOM_MAX_FRAMES))
    return LIVE_ROOM_EINVAL;
  return LIVE_ROOM_OK;
}

uint64_t live_room_visit_retained_bytes(const live_room_config *cfg) {
  if (cfg == NULL || !cfg->buggy || live_room_config_check(cfg) != LIVE_ROOM_OK) return 0;
  /* Both factors are bounded (1024 and 64 MiB): no overflow in 64 bits. */
  return (uint64_t)cfg->visit_gift_frames * (uint64_t)cfg->gift_frame_bytes;
}

/* ------------------------------------------------------------------------
 * Buffers and gift animations
 * ------------------------------------------------------------------------ */

/* malloc(bytes) filled with `fill` (never 0, see the top of the file). */
static unsigned char *alloc_touched(size_t bytes, unsigned char fill) {
  unsigned char *p = malloc(bytes);
  if (p != NULL) memset(p, fill, bytes);
  return p;
}

/* Frees count buffers and the array holding them (NULL entries allowed). */
static void free_buffers(unsigned char **bufs, size_t count) {
  if (bufs == NULL) return;
  for (size_t i = 0; i < count; i++) free(bufs[i]);
  free(bufs);
}

static void gift_free(gift_anim *g) {
  if (g == NULL) return;
  free_buffers(g->frames, g->frame_count);
  free(g);
}

/* "Decodes" an animation: frame_count buffers with a per-gift pattern. */
static gift_anim *gift_decode(uint64_t room_serial, uint32_t gift_id, size_t frame_count,
                              size_t frame_bytes) {
  gift_anim *g = malloc(sizeof *g);
  if (g == NULL) return NULL;
  g->next = NULL;
  g->room_serial = room_serial;
  g->gift_id = gift_id;
  g->frame_count = 0; /* frames filled so far, so gift_free works midway */
  g->frame_bytes = frame_bytes;
  g->frames = malloc(frame_count * sizeof *g->frames);
  if (g->frames == NULL) {
    free(g);
    return NULL;
  }
  for (size_t f = 0; f < frame_count; f++) {
    unsigned char fill = (unsigned char)(0x80u | ((gift_id * 31u + (unsigned)f) & 0x7fu));
    g->frames[f] = alloc_touched(frame_bytes, fill);
    if (g->frames[f] == NULL) {
      gift_free(g);
      return NULL;
    }
    g->frame_count = f + 1;
  }
  return g;
}

/* ------------------------------------------------------------------------
 * Chat ring
 * ------------------------------------------------------------------------ */

/* Backlog message i, of varying length (16..256 characters, stored in
 * *len_out): "viewer<i>: " padded with one letter. */
static char *chat_backlog_message(size_t i, size_t *len_out) {
  size_t len = 16 + (i * 37u) % 241u;
  char *msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  memset(msg, 'a' + (int)(i % 26u), len);
  msg[len] = '\0';
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "viewer%zu: ", i);
  if (n > 0) {
    size_t copy = (size_t)n < sizeof prefix ? (size_t)n : sizeof prefix - 1;
    memcpy(msg, prefix, copy < len ? copy : len);
  }
  *len_out = len;
  return msg;
}

/* Stores msg (owned, strlen len) in the ring, freeing the oldest message
 * when full. */
static void chat_push(live_room *room, char *msg, size_t len) {
  size_t cap = room->cfg.chat_capacity;
  if (room->chat_count == cap) {
    char **oldest = &room->chat[room->chat_head];
    room->chat_bytes -= strlen(*oldest) + 1;
    free(*oldest);
    *oldest = msg;
    room->chat_head = (room->chat_head + 1) % cap;
  } else {
    room->chat[(room->chat_head + room->chat_count) % cap] = msg;
    room->chat_count++;
  }
  room->chat_bytes += len + 1;
}

/* ------------------------------------------------------------------------
 * Rooms
 * ------------------------------------------------------------------------ */

/* Frees everything the room owns except its gift list, then the room. */
static void room_free_except_gifts(live_room *room) {
  free_buffers(room->pool, room->cfg.pool_frames);
  if (room->chat != NULL) {
    for (size_t i = 0; i < room->chat_count; i++)
      free(room->chat[(room->chat_head + i) % room->cfg.chat_capacity]);
    free(room->chat);
  }
  free(room);
}

live_room *live_room_enter(const live_room_config *cfg) {
  if (live_room_config_check(cfg) != LIVE_ROOM_OK) return NULL;
  live_room *room = malloc(sizeof *room);
  if (room == NULL) return NULL;
  if (cfg != NULL)
    room->cfg = *cfg;
  else
    live_room_config_init(&room->cfg);
  room->chat_head = 0;
  room->chat_count = 0;
  room->chat_bytes = 0;
  room->gifts = NULL;
  room->gift_count = 0;
  room->gift_bytes = 0;
  room->chat = NULL;
  pthread_mutex_lock(&cache_lock);
  room->serial = next_serial++;
  pthread_mutex_unlock(&cache_lock);

  /* The pool starts all-NULL so a failure midway frees only what exists.
   * Counts are bounded by LIVE_ROOM_MAX_*: the array sizes cannot overflow. */
  size_t frames = room->cfg.pool_frames;
  room->pool = malloc(frames * sizeof *room->pool);
  if (room->pool == NULL) goto fail;
  for (size_t i = 0; i < frames; i++) room->pool[i] = NULL;
  room->chat = malloc(room->cfg.chat_capacity * sizeof *room->chat);
  if (room->chat == NULL) goto fail;
  for (size_t i = 0; i < frames; i++) {
    room->pool[i] = alloc_touched(room->cfg.pool_frame_bytes, (unsigned char)(1u + i % 255u));
    if (room->pool[i] == NULL) goto fail;
  }
  for (size_t i = 0; i < room->cfg.chat_capacity; i++) {
    size_t len;
    char *msg = chat_backlog_message(i, &len);
    if (msg == NULL) goto fail;
    chat_push(room, msg, len);
  }
  return room;

fail:
  room_free_except_gifts(room);
  return NULL;
}

/* Keeps g in the cache under (room_serial, g->gift_id): a new entry at the
 * head. false (g not taken) when the entry cannot be allocated. */
static bool gift_cache_put(uint64_t room_serial, gift_anim *g) {
  cache_entry *e = malloc(sizeof *e);
  if (e == NULL) return false;
  e->room_serial = room_serial;
  e->gift_id = g->gift_id;
  e->anim = g;
  pthread_mutex_lock(&cache_lock);
  e->next = cache_head;
  cache_head = e;
  cache_payload += (uint64_t)g->frame_count * (uint64_t)g->frame_bytes;
  cache_entries++;
  pthread_mutex_unlock(&cache_lock);
  return true;
}

void live_room_leave(live_room *room) {
  if (room == NULL) return;
  gift_anim *g = room->gifts;
  while (g != NULL) {
    gift_anim *next = g->next;
    g->next = NULL;
    /* The bug: "keep the animations for next time" under a key that holds
     * this room's serial, which no later room will ever have. */
    if (!room->cfg.buggy || !gift_cache_put(room->serial, g)) gift_free(g);
    g = next;
  }
  room_free_except_gifts(room);
}

int live_room_post_chat(live_room *room, const char *text) {
  if (room == NULL || text == NULL) return LIVE_ROOM_EINVAL;
  size_t len = strlen(text);
  char *copy = malloc(len + 1);
  if (copy == NULL) return LIVE_ROOM_ENOMEM;
  memcpy(copy, text, len + 1);
  chat_push(room, copy, len);
  return LIVE_ROOM_OK;
}

int live_room_send_gift(live_room *room, uint32_t gift_id, size_t frames) {
  if (room == NULL || !in_range(frames, 1, LIVE_ROOM_MAX_FRAMES)) return LIVE_ROOM_EINVAL;
  gift_anim *g = gift_decode(room->serial, gift_id, frames, room->cfg.gift_frame_bytes);
  if (g == NULL) return LIVE_ROOM_ENOMEM;
  g->next = room->gifts;
  room->gifts = g;
  room->gift_count++;
  room->gift_bytes += (uint64_t)frames * (uint64_t)g->frame_bytes;
  return LIVE_ROOM_OK;
}

size_t live_room_chat_count(const live_room *room) {
  return room != NULL ? room->chat_count : 0;
}

const char *live_room_chat_at(const live_room *room, size_t i) {
  if (room == NULL || i >= room->chat_count) return NULL;
  return room->chat[(room->chat_head + i) % room->cfg.chat_capacity];
}

size_t live_room_gift_count(const live_room *room) {
  return room != NULL ? room->gift_count : 0;
}

uint64_t live_room_bytes(const live_room *room) {
  if (room == NULL) return 0;
  uint64_t pool = (uint64_t)room->cfg.pool_frames * (uint64_t)room->cfg.pool_frame_bytes;
  return pool + room->chat_bytes + room->gift_bytes;
}

/* ------------------------------------------------------------------------
 * Visits
 * ------------------------------------------------------------------------ */

/* The gift a visit sends. */
#define VISIT_GIFT_ID 1u

int live_room_run_visit(const live_room_config *cfg) {
  int rc = live_room_config_check(cfg);
  if (rc != LIVE_ROOM_OK) return rc;
  live_room_config defaults;
  if (cfg == NULL) {
    live_room_config_init(&defaults);
    cfg = &defaults;
  }
  live_room *room = live_room_enter(cfg);
  if (room == NULL) return LIVE_ROOM_ENOMEM;
  for (size_t i = 0; i < cfg->visit_chat_messages && rc == LIVE_ROOM_OK; i++) {
    char text[64];
    snprintf(text, sizeof text, "hello from visit message %zu", i);
    rc = live_room_post_chat(room, text);
  }
  if (rc == LIVE_ROOM_OK) rc = live_room_send_gift(room, VISIT_GIFT_ID, cfg->visit_gift_frames);
  live_room_leave(room);
  return rc;
}

void live_room_visit(void *ctx) {
  (void)live_room_run_visit((const live_room_config *)ctx);
}

/* ------------------------------------------------------------------------
 * Global cache
 * ------------------------------------------------------------------------ */

uint64_t live_room_cache_bytes(void) {
  pthread_mutex_lock(&cache_lock);
  uint64_t bytes = cache_payload;
  pthread_mutex_unlock(&cache_lock);
  return bytes;
}

size_t live_room_cache_count(void) {
  pthread_mutex_lock(&cache_lock);
  size_t n = cache_entries;
  pthread_mutex_unlock(&cache_lock);
  return n;
}

void live_room_cache_clear(void) {
  pthread_mutex_lock(&cache_lock);
  cache_entry *e = cache_head;
  cache_head = NULL;
  cache_payload = 0;
  cache_entries = 0;
  pthread_mutex_unlock(&cache_lock);
  while (e != NULL) { /* outside the lock */
    cache_entry *next = e->next;
    gift_free(e->anim);
    free(e);
    e = next;
  }
}
