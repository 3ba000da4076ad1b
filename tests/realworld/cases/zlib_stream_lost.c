/*
 * zlib_stream_lost - leak, zlib, unreachable: each call compresses a
 * message with a heap-allocated z_stream and, on its success path, frees
 * the z_stream but forgets deflateEnd: the deflate state (about 270 KiB
 * with the default window and memory level) is lost every call.
 */
#include "../rw_case.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned char rw_in[8192];
static unsigned char rw_out[9000];

static void stream_lost_body(void *ctx) {
  z_stream *zs = calloc(1, sizeof *zs);

  (void)ctx;
  if (!zs) return;
  if (deflateInit(zs, Z_DEFAULT_COMPRESSION) != Z_OK) { free(zs); return; }
  zs->next_in = rw_in;
  zs->avail_in = sizeof rw_in;
  zs->next_out = rw_out;
  zs->avail_out = sizeof rw_out;
  deflate(zs, Z_FINISH);
  free(zs); /* the bug: deflateEnd(zs) first */
}

static void stream_lost_setup(void) {
  size_t i;
  for (i = 0; i < sizeof rw_in; i++) rw_in[i] = (unsigned char)("gift rocket room 42 "[i % 20]);
}

const rw_case rw_case_zlib_stream_lost = {
  "zlib_stream_lost", "zlib", "leak", stream_lost_setup, stream_lost_body, NULL,
};
