#!/bin/sh
# The real-memory Linux suite again, in the environment `memgate run` sets:
# glibc's per-thread cache off (full allocator-view sensitivity).
BUILD=${BUILD:-build}
GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.top_pad=0:glibc.malloc.trim_threshold=4294967295 exec "$BUILD/tests/test_linux"
