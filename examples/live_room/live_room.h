/*
 * live_room.h - a small model of a live-streaming room, used to show the
 * kind of memory growth that reachability tools (LeakSanitizer, valgrind,
 * Apple's `leaks`) cannot see.
 *
 * A room holds, while the user is inside it:
 *   - a frame-buffer pool: pool_frames buffers of pool_frame_bytes each;
 *   - a chat history: a ring of chat_capacity heap-allocated strings,
 *     filled with a backlog on entry;
 *   - decoded gift animations: each live_room_send_gift() decodes `frames`
 *     buffers of gift_frame_bytes each.
 * Every buffer is written after allocation, so its pages are resident.
 *
 * Two versions, chosen per room by live_room_config.buggy:
 *   - correct: live_room_leave() frees everything the room allocated.
 *   - buggy:   live_room_leave() frees the pool and the chat, but moves the
 *     room's gift animations into a process-wide "animation cache" to be
 *     reused next time. The cache key includes the room's serial number,
 *     which is new on every entry, so no entry can ever be found again and
 *     every visit adds entries. The memory stays referenced by a global
 *     list, so it is not a leak to valgrind or LeakSanitizer, yet it grows
 *     by exactly
 *     visit_gift_frames * gift_frame_bytes payload bytes per visit
 *     (default 4 * 16 KiB = 64 KiB, see live_room_visit_retained_bytes()).
 *
 * The model has no dependency on memgate, so Swift tests and benchmarks can
 * reuse it.
 *
 * Conventions:
 *   - Functions returning int return LIVE_ROOM_OK (0) or a negative
 *     LIVE_ROOM_E* code; live_room_strerror() gives the text.
 *   - A live_room is owned by the caller of live_room_enter() and released
 *     with live_room_leave(). Returned strings are borrowed.
 *   - Thread safety: a room must be used by one thread at a time; distinct
 *     rooms may be used from distinct threads. The global cache is guarded
 *     by a mutex, so the cache functions may be called from any thread.
 *   - Byte counts are payload bytes (what the model asked malloc for); the
 *     allocator's own headers and the small bookkeeping structs are extra.
 */
#ifndef LIVE_ROOM_H
#define LIVE_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nullability for Swift and clang; empty for compilers that lack it. */
#if defined(__has_feature)
#  if __has_feature(nullability) && __has_feature(assume_nonnull)
#    define LIVE_ROOM_NULLABLE _Nullable
#    define LIVE_ROOM_ASSUME_NONNULL_BEGIN                                     \
       _Pragma("clang diagnostic push")                                       \
       _Pragma("clang diagnostic ignored \"-Wnullability-extension\"")        \
       _Pragma("clang assume_nonnull begin")
#    define LIVE_ROOM_ASSUME_NONNULL_END                                       \
       _Pragma("clang assume_nonnull end")                                    \
       _Pragma("clang diagnostic pop")
#  endif
#endif
#ifndef LIVE_ROOM_NULLABLE
#  define LIVE_ROOM_NULLABLE
#  define LIVE_ROOM_ASSUME_NONNULL_BEGIN
#  define LIVE_ROOM_ASSUME_NONNULL_END
#endif

#ifdef __cplusplus
extern "C" {
#endif

LIVE_ROOM_ASSUME_NONNULL_BEGIN

/* Error codes (negative). */
enum {
  LIVE_ROOM_OK = 0,
  LIVE_ROOM_EINVAL = -1, /* a NULL argument, or a count/size out of range */
  LIVE_ROOM_ENOMEM = -2  /* malloc failed; nothing was changed */
};

/* Text for a LIVE_ROOM_E* code; never NULL, static storage. */
const char *live_room_strerror(int err);

/* Defaults filled by live_room_config_init(). */
#define LIVE_ROOM_DEFAULT_POOL_FRAMES 8u
#define LIVE_ROOM_DEFAULT_POOL_FRAME_BYTES (64u * 1024u)
#define LIVE_ROOM_DEFAULT_CHAT_CAPACITY 200u
#define LIVE_ROOM_DEFAULT_GIFT_FRAME_BYTES (16u * 1024u)
#define LIVE_ROOM_DEFAULT_VISIT_CHAT_MESSAGES 5u
#define LIVE_ROOM_DEFAULT_VISIT_GIFT_FRAMES 4u

/* Upper bounds checked by live_room_config_check() and live_room_send_gift(). */
#define LIVE_ROOM_MAX_FRAMES 1024u             /* pool frames, frames per gift */
#define LIVE_ROOM_MAX_FRAME_BYTES (64u << 20)  /* 64 MiB per frame */
#define LIVE_ROOM_MAX_CHAT 65536u              /* chat ring, chat posts per visit */

/*
 * How to build a room. Start from live_room_config_init() and change fields.
 * A field outside its range makes live_room_config_check() return
 * LIVE_ROOM_EINVAL and live_room_enter() return NULL; zero is out of range
 * for every field except visit_chat_messages and buggy.
 */
typedef struct live_room_config {
  size_t pool_frames;          /* frame-buffer pool size, 1..LIVE_ROOM_MAX_FRAMES (8) */
  size_t pool_frame_bytes;     /* bytes per pool frame, 1..LIVE_ROOM_MAX_FRAME_BYTES (64 KiB) */
  size_t chat_capacity;        /* chat ring slots, 1..LIVE_ROOM_MAX_CHAT (200); filled on entry */
  size_t gift_frame_bytes;     /* bytes per decoded gift frame, 1..LIVE_ROOM_MAX_FRAME_BYTES (16 KiB) */
  size_t visit_chat_messages;  /* messages live_room_visit() posts, 0..LIVE_ROOM_MAX_CHAT (5) */
  size_t visit_gift_frames;    /* frames of the one gift live_room_visit() sends,
                                  1..LIVE_ROOM_MAX_FRAMES (4) */
  bool buggy;                  /* true: leaving parks gift frames in the global cache (false) */
} live_room_config;

/* Fills *cfg with the defaults above (correct version). */
void live_room_config_init(live_room_config *cfg);

/* LIVE_ROOM_OK when every field of *cfg is in range (NULL means defaults,
 * so it is valid), else LIVE_ROOM_EINVAL. */
int live_room_config_check(const live_room_config *LIVE_ROOM_NULLABLE cfg);

/* Payload bytes one live_room_visit() with this config adds to the global
 * cache: visit_gift_frames * gift_frame_bytes when buggy, 0 when correct or
 * when cfg is invalid. NULL means defaults (0: correct). */
uint64_t live_room_visit_retained_bytes(const live_room_config *LIVE_ROOM_NULLABLE cfg);

/* ------------------------------------------------------------------------
 * Rooms
 * ------------------------------------------------------------------------ */

typedef struct live_room live_room;

/*
 * Enters a room: allocates and fills the frame pool and a full chat ring.
 * cfg is copied (NULL means defaults). Returns a room the caller owns and
 * must pass to live_room_leave(), or NULL when the config is invalid (see
 * live_room_config_check()) or memory ran out; nothing is left allocated
 * on failure.
 */
live_room *LIVE_ROOM_NULLABLE live_room_enter(const live_room_config *LIVE_ROOM_NULLABLE cfg);

/*
 * Leaves and destroys the room (NULL is a no-op). Correct version: frees
 * everything. Buggy version: frees everything except the decoded gift
 * frames, which move to the global cache (see live_room_cache_bytes()).
 */
void live_room_leave(live_room *LIVE_ROOM_NULLABLE room);

/*
 * Appends a copy of text to the chat ring, dropping (freeing) the oldest
 * message when the ring is full. Returns LIVE_ROOM_OK, LIVE_ROOM_EINVAL
 * (room or text NULL) or LIVE_ROOM_ENOMEM (ring unchanged).
 */
int live_room_post_chat(live_room *LIVE_ROOM_NULLABLE room, const char *LIVE_ROOM_NULLABLE text);

/*
 * Decodes gift `gift_id` into `frames` buffers of gift_frame_bytes each and
 * keeps them in the room until it is left (sending the same gift again
 * decodes it again). Returns LIVE_ROOM_OK, LIVE_ROOM_EINVAL (room NULL, frames 0 or above
 * LIVE_ROOM_MAX_FRAMES) or LIVE_ROOM_ENOMEM (room unchanged).
 */
int live_room_send_gift(live_room *LIVE_ROOM_NULLABLE room, uint32_t gift_id, size_t frames);

/* Number of messages in the chat ring (chat_capacity after entry); 0 for NULL. */
size_t live_room_chat_count(const live_room *LIVE_ROOM_NULLABLE room);

/* Message i of the chat ring, 0 = oldest; borrowed, valid until the next
 * post or leave. NULL when room is NULL or i >= live_room_chat_count(). */
const char *LIVE_ROOM_NULLABLE live_room_chat_at(const live_room *LIVE_ROOM_NULLABLE room,
                                                 size_t i);

/* Number of gift animations the room holds; 0 for NULL. */
size_t live_room_gift_count(const live_room *LIVE_ROOM_NULLABLE room);

/* Payload bytes the room holds: pool + chat strings (with their NULs) +
 * gift frames; 0 for NULL. */
uint64_t live_room_bytes(const live_room *LIVE_ROOM_NULLABLE room);

/* ------------------------------------------------------------------------
 * One visit, as a repeatable body
 * ------------------------------------------------------------------------ */

/*
 * One visit: enter with *cfg (NULL means defaults), post visit_chat_messages
 * messages, send gift 1 with visit_gift_frames frames, leave. Returns
 * LIVE_ROOM_OK or the first error (the room is left in every case).
 */
int live_room_run_visit(const live_room_config *LIVE_ROOM_NULLABLE cfg);

/*
 * live_room_run_visit((const live_room_config *)ctx) with the shape of a
 * memgate body, void (*)(void *ctx). The status is dropped: call
 * live_room_run_visit() when it matters. ctx is not modified.
 */
void live_room_visit(void *LIVE_ROOM_NULLABLE ctx);

/* ------------------------------------------------------------------------
 * The global gift-animation cache (only the buggy version fills it)
 * ------------------------------------------------------------------------ */

/* Payload bytes of gift frames the cache holds. */
uint64_t live_room_cache_bytes(void);

/* Number of gift animations the cache holds. */
size_t live_room_cache_count(void);

/* Frees every cached animation (bytes and count return to 0). Call it at
 * exit so a leak checker ends clean; safe to call at any time. */
void live_room_cache_clear(void);

LIVE_ROOM_ASSUME_NONNULL_END

#ifdef __cplusplus
}
#endif

#endif /* LIVE_ROOM_H */
