/*
 * sites_prog.c - the test program of libmemgate-sites.so (tests/sites/test_sites.sh
 * runs it under LD_PRELOAD). One case per argument:
 *
 *   leaks      two leaking sites at different lines (one reachable through a
 *              global cache, one unreachable), each called through two levels
 *              of functions, and a churn site: per-site live bytes exact,
 *              churn back to 0, frames named with file:line and callers
 *   family     malloc, calloc, realloc, reallocarray, posix_memalign,
 *              aligned_alloc, memalign, valloc, pvalloc, strdup: sizes right,
 *              every free credited
 *   threads    4 threads churning and leaking at once: leak exact
 *   fork       fork() while other threads allocate: no deadlock, the child
 *              records its own allocations
 *   footprint  prints the RssAnon growth of 100 000 new live blocks: the same
 *              with and without recording (the tables were touched at start-up)
 *   full       MEMGATE_SITES_BLOCKS=1000: blocks past the table are dropped
 *              and counted, live figures never overcount
 *   disabled   loaded without MEMGATE_SITES=1: not recording, nothing known
 *
 * It uses only dlsym(RTLD_DEFAULT, ...) to reach the library. Exit 0 = pass.
 */
#define _GNU_SOURCE
#include "memgate_sites.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CAP 8192
#define ITER 20

static memgate_sites_snapshot_fn snap_fn;
static memgate_sites_describe_fn describe_fn;
static memgate_sites_symbolize_fn symbolize_fn;
static memgate_sites_frames_fn frames_fn;
static memgate_sites_stats_fn stats_fn;
static memgate_sites_enabled_fn enabled_fn;
static uint64_t before[CAP], after[CAP], blocks_after[CAP];
static int failures;

/* Exported (and declared) so that the dladdr fallback can name them too. */
void *cache_thumbnail(int i);
void decode_image(int i);
void churn_buffer(int i);
void render_thumbnail(int i);
void decode_frame(int i);
void run_iteration(int i);
void *thread_leak(void);
void *child_leak(void);
extern int line_cache, line_decode, line_churn, line_render, line_frame;

#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__); \
      fputc('\n', stderr); \
      failures++; \
    } \
  } while (0)

static int bind_library(void) {
  void *f[6] = {dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SNAPSHOT),
                dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_DESCRIBE),
                dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SYMBOLIZE),
                dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_FRAMES),
                dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_STATS),
                dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_ENABLED)};
  for (int i = 0; i < 6; i++)
    if (f[i] == NULL) return -1;
  memcpy(&snap_fn, &f[0], sizeof f[0]);
  memcpy(&describe_fn, &f[1], sizeof f[1]);
  memcpy(&symbolize_fn, &f[2], sizeof f[2]);
  memcpy(&frames_fn, &f[3], sizeof f[3]);
  memcpy(&stats_fn, &f[4], sizeof f[4]);
  memcpy(&enabled_fn, &f[5], sizeof f[5]);
  return 0;
}

static uint64_t total_live(void) {
  uint64_t b[CAP], sum = 0;
  size_t n = snap_fn(NULL, b, NULL, CAP);
  for (size_t i = 0; i < n && i < CAP; i++) sum += b[i];
  return sum;
}

/* ---- leaks: the program under test ------------------------------------- */

#define THUMB_BYTES 1000u
#define DECODE_BYTES 3000u
#define CHURN_BYTES 5000u
static void *thumb_cache[ITER];
static int thumb_count;
int line_cache, line_decode, line_churn, line_render, line_frame;

__attribute__((noinline)) void *cache_thumbnail(int i) {
  line_cache = __LINE__ + 1;
  void *p = malloc(THUMB_BYTES + (unsigned)i % 1u);
  memset(p, i, THUMB_BYTES);
  thumb_cache[thumb_count++] = p; /* reachable: the cache never evicts */
  return p;
}

__attribute__((noinline)) void decode_image(int i) {
  line_decode = __LINE__ + 1;
  char *volatile p = malloc(DECODE_BYTES);
  memset(p, i, DECODE_BYTES);
  p = NULL; /* unreachable: the pointer is dropped */
}

__attribute__((noinline)) void churn_buffer(int i) {
  line_churn = __LINE__ + 1;
  char *volatile p = malloc(CHURN_BYTES);
  memset(p, i, CHURN_BYTES);
  free(p);
}

__attribute__((noinline)) void render_thumbnail(int i) {
  line_render = __LINE__ + 1;
  cache_thumbnail(i);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void decode_frame(int i) {
  line_frame = __LINE__ + 1;
  decode_image(i);
  churn_buffer(i);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void run_iteration(int i) {
  render_thumbnail(i);
  decode_frame(i);
  __asm__ volatile("" ::: "memory");
}

/* The stack whose first frame is function fn, or 0. */
static uint32_t find_site(const char *fn, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uintptr_t pc;
    memgate_sites_frame f;
    if (frames_fn((uint32_t)(i + 1), &pc, 1) == 0) continue;
    symbolize_fn(pc, &f);
    if (strcmp(f.function, fn) == 0) return (uint32_t)(i + 1);
  }
  return 0;
}

static void check_frame(uint32_t id, size_t idx, const char *fn, int line, bool with_lines) {
  uintptr_t pcs[MEMGATE_SITES_MAX_FRAMES];
  size_t d = frames_fn(id, pcs, MEMGATE_SITES_MAX_FRAMES);
  CHECK(d > idx, "stack %u has %zu frames", id, d);
  if (d <= idx) return;
  memgate_sites_frame f;
  symbolize_fn(pcs[idx], &f);
  CHECK(strcmp(f.function, fn) == 0, "frame %zu is %s, want %s", idx, f.function, fn);
  if (!with_lines) return;
  const char *base = strrchr(f.file, '/');
  CHECK(strcmp(base ? base + 1 : f.file, "sites_prog.c") == 0, "frame %zu file %s", idx, f.file);
  CHECK((int)f.line == line, "frame %zu (%s) line %u, want %d", idx, fn, f.line, line);
}

static void check_site(const char *fn, const char *caller, int line, int caller_line,
                       uint64_t want, size_t n, bool with_lines) {
  uint32_t id = find_site(fn, n);
  CHECK(id != 0, "no stack starts at %s", fn);
  if (id == 0) return;
  uint64_t got = after[id - 1] - before[id - 1];
  double err = want ? ((double)got - (double)want) / (double)want : (double)got;
  CHECK(err < 0.05 && err > -0.05, "%s: %llu bytes, want %llu", fn, (unsigned long long)got,
        (unsigned long long)want);
  check_frame(id, 0, fn, line, with_lines);
  check_frame(id, 1, caller, caller_line, with_lines);
  char buf[1024];
  describe_fn(id, 3, buf, sizeof buf);
  printf("  %-16s %6llu B over %d iterations: %s\n", fn, (unsigned long long)got, ITER, buf);
  CHECK(strstr(buf, "run_iteration") != NULL, "third frame missing: %s", buf);
}

/* The snapshot after the warm-up iteration. Not inlined, and no condition
 * in the loop: one call site for every iteration (a peeled loop would give
 * the first iteration other return addresses, so other stacks). */
static size_t n0;
__attribute__((noinline)) static void after_iteration(int i) {
  if (i == 0) n0 = snap_fn(NULL, before, NULL, CAP);
  __asm__ volatile("" ::: "memory");
}

static void case_leaks(bool with_lines) {
  for (int i = 0; i <= ITER; i++) {
    run_iteration(i);
    after_iteration(i);
  }
  size_t n = snap_fn(NULL, after, blocks_after, CAP);
  CHECK(n == n0, "new stacks appeared during the measured iterations: %zu -> %zu", n0, n);
  size_t grew = 0;
  for (size_t i = 0; i < n && i < CAP; i++) grew += after[i] > before[i];
  CHECK(grew == 2, "%zu stacks grew, want 2", grew);
  check_site("cache_thumbnail", "render_thumbnail", line_cache, line_render,
             (uint64_t)ITER * THUMB_BYTES, n, with_lines);
  check_site("decode_image", "decode_frame", line_decode, line_frame,
             (uint64_t)ITER * DECODE_BYTES, n, with_lines);
  uint32_t churn = find_site("churn_buffer", n);
  CHECK(churn != 0, "the churn site was never recorded");
  if (churn) CHECK(after[churn - 1] == 0 && blocks_after[churn - 1] == 0, "churn site holds %llu B",
                   (unsigned long long)after[churn - 1]);
}

/* ---- family ------------------------------------------------------------- */

#define EXPECT_LIVE(base, want) \
  CHECK(total_live() - (base) == (want), "live %llu, want %llu", \
        (unsigned long long)(total_live() - (base)), (unsigned long long)(want))

static void case_family(void) {
  uint64_t b = total_live();
  long pg = sysconf(_SC_PAGESIZE);
  char *m = malloc(100), *c = calloc(10, 30);
  EXPECT_LIVE(b, 400u);
  m = realloc(m, 1000);
  EXPECT_LIVE(b, 1300u);
  c = reallocarray(c, 20, 30);
  EXPECT_LIVE(b, 1600u);
  volatile size_t huge = (size_t)-1; /* hidden from the compiler's size checks */
  void *volatile keep = c;
  CHECK(reallocarray(keep, huge, 16) == NULL && errno == ENOMEM, "reallocarray overflow");
  void *pm = NULL;
  CHECK(posix_memalign(&pm, 64, 500) == 0 && ((uintptr_t)pm & 63u) == 0, "posix_memalign");
  void *aa = aligned_alloc(64, 512), *ma = memalign(128, 700), *va = valloc(900), *pv = pvalloc(100);
  EXPECT_LIVE(b, 1600u + 500u + 512u + 700u + 900u + (uint64_t)pg);
  char *s = strdup("hello");
  EXPECT_LIVE(b, 1600u + 500u + 512u + 700u + 900u + (uint64_t)pg + 6u);
  free(s);
  free(pm);
  free(aa);
  free(ma);
  free(va);
  free(pv);
  free(m);
  char *r = realloc(NULL, 50);
  EXPECT_LIVE(b, 600u + 50u);
  CHECK(realloc(r, 0) == NULL, "realloc(p, 0) frees in glibc");
  free(c);
  EXPECT_LIVE(b, 0u);
  CHECK(calloc(huge, 16) == NULL, "calloc overflow");
}

/* ---- threads ------------------------------------------------------------- */

#define THREADS 4
#define LEAKS_PER_THREAD 100
static void *thread_leaks[THREADS][LEAKS_PER_THREAD];

/* The barrier keeps the call a call (not a tail jump into malloc). */
__attribute__((noinline)) void *thread_leak(void) {
  void *p = malloc(64);
  __asm__ volatile("" ::: "memory");
  return p;
}

static void *thread_body(void *arg) {
  int t = (int)(intptr_t)arg;
  unsigned seed = (unsigned)t + 1u;
  for (int i = 0; i < 20000; i++) {
    void *volatile p = malloc(1 + rand_r(&seed) % 512); /* volatile: not elided */
    free(p);
    if (i % 200 == 0) thread_leaks[t][i / 200] = thread_leak();
  }
  return NULL;
}

static void case_threads(void) {
  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, thread_body, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
  size_t n = snap_fn(NULL, after, blocks_after, CAP);
  uint32_t id = find_site("thread_leak", n);
  CHECK(id != 0, "thread_leak not recorded");
  if (id) {
    CHECK(after[id - 1] == THREADS * LEAKS_PER_THREAD * 64u, "thread_leak holds %llu B",
          (unsigned long long)after[id - 1]);
    CHECK(blocks_after[id - 1] == THREADS * LEAKS_PER_THREAD, "thread_leak holds %llu blocks",
          (unsigned long long)blocks_after[id - 1]);
  }
  memgate_sites_stats st;
  stats_fn(&st);
  printf("  locks: %llu taken, %llu contended (%.3f %%)\n", (unsigned long long)st.lock_acquires,
         (unsigned long long)st.lock_contended,
         st.lock_acquires ? 100.0 * (double)st.lock_contended / (double)st.lock_acquires : 0.0);
}

/* ---- fork ----------------------------------------------------------------- */

static volatile int stop_churn;

static void *churner(void *arg) {
  (void)arg;
  while (!stop_churn) {
    void *volatile p = malloc(48);
    free(p);
  }
  return NULL;
}

__attribute__((noinline)) void *child_leak(void) {
  void *p = malloc(777);
  __asm__ volatile("" ::: "memory");
  return p;
}

static int child(void) {
  void *p = child_leak();
  size_t n = snap_fn(NULL, after, NULL, CAP);
  uint32_t id = find_site("child_leak", n);
  int ok = id != 0 && after[id - 1] >= 777;
  free(p);
  return ok ? 0 : 3;
}

static void case_fork(void) {
  pthread_t th[2];
  for (int t = 0; t < 2; t++) pthread_create(&th[t], NULL, churner, NULL);
  alarm(60); /* a deadlock in the atfork handlers ends the test */
  for (int i = 0; i < 50; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(child());
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: %d", i, st);
  }
  stop_churn = 1;
  for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
  alarm(0);
}

/* ---- footprint ------------------------------------------------------------ */

static long rss_anon_kb(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char *s = strstr(buf, "RssAnon:");
  return s ? strtol(s + 8, NULL, 10) : -1;
}

#define FP_BLOCKS 100000
static void *fp_blocks[FP_BLOCKS];

/* Prints the RssAnon growth of 100 000 new live blocks; test_sites.sh
 * compares it with the same run not recording. */
static void case_footprint(bool recording) {
  long r0 = rss_anon_kb();
  for (int i = 0; i < FP_BLOCKS; i++) fp_blocks[i] = malloc(24);
  long r1 = rss_anon_kb();
  printf("rss_anon_growth_kb=%ld\n", r1 - r0);
  if (recording) {
    memgate_sites_stats st;
    stats_fn(&st);
    printf("  tables %llu kB (touched at start-up), %llu live blocks\n",
           (unsigned long long)(st.table_bytes / 1024), (unsigned long long)st.blocks);
    CHECK(st.blocks >= FP_BLOCKS, "only %llu blocks live", (unsigned long long)st.blocks);
  }
  for (int i = 0; i < FP_BLOCKS; i++) free(fp_blocks[i]);
}

/* ---- full ----------------------------------------------------------------- */

static void case_full(void) {
  uint64_t b = total_live();
  for (int i = 0; i < FP_BLOCKS / 10; i++) fp_blocks[i] = malloc(32);
  memgate_sites_stats st;
  stats_fn(&st);
  uint64_t live = total_live() - b;
  printf("  cap %llu blocks, %llu dropped, %llu B recorded of %u\n",
         (unsigned long long)st.blocks_cap, (unsigned long long)st.dropped_blocks,
         (unsigned long long)live, 32u * (FP_BLOCKS / 10));
  CHECK(st.blocks_cap < FP_BLOCKS / 10, "cap %llu", (unsigned long long)st.blocks_cap);
  CHECK(st.dropped_blocks > 0, "nothing dropped");
  CHECK(live <= 32u * (FP_BLOCKS / 10), "overcounted: %llu", (unsigned long long)live);
  for (int i = 0; i < FP_BLOCKS / 10; i++) free(fp_blocks[i]);
  CHECK(total_live() == b, "after free: %llu", (unsigned long long)total_live());
}

/* ---- holders: who keeps a block alive ------------------------------------ */

/* A global list of nodes, each holding a payload; an interior pointer; a
 * block only a local holds; a lost one. Not static: a static global nobody
 * reads is optimised away with its stores. */
struct hnode {
  struct hnode *next;
  char *payload;
};
struct hnode *g_list;
char *g_interior;
char *hold_payload(int i);
struct hnode *hold_node(void);
char *hold_interior(void);
void *hold_on_stack(void);
void hold_lost(void);

__attribute__((noinline)) char *hold_payload(int i) {
  char *p = malloc(300);
  if (p) memset(p, i, 300);
  return p;
}
__attribute__((noinline)) struct hnode *hold_node(void) {
  return calloc(1, sizeof(struct hnode));
}
__attribute__((noinline)) char *hold_interior(void) {
  char *p = malloc(64);
  return p ? p + 40 : NULL;
}
__attribute__((noinline)) void *hold_on_stack(void) {
  return malloc(77);
}
__attribute__((noinline)) void hold_lost(void) {
  char *volatile p = malloc(99);
  if (p) p[0] = 1;
  p = NULL;
}

static void check_holder(uint32_t id, const memgate_sites_holder *h, uint32_t root, uint32_t hops,
                         uint32_t hop0, const char *what) {
  CHECK(id != 0, "%s: no site", what);
  CHECK(h->root == root, "%s: root %u, want %u", what, h->root, root);
  CHECK(h->hops == hops, "%s: %u holders, want %u", what, h->hops, hops);
  CHECK(hops == 0 || h->ids[0] == hop0, "%s: first holder %u, want %u", what, h->ids[0], hop0);
  CHECK(h->blocks == h->examined && h->examined > 0, "%s: %llu of %llu blocks on the path", what,
        (unsigned long long)h->blocks, (unsigned long long)h->examined);
}

static void case_holders(void) {
  memgate_sites_holders_fn holders;
  void *f = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_HOLDERS);
  CHECK(f != NULL, "no %s", MEMGATE_SITES_SYM_HOLDERS);
  if (f == NULL) return;
  memcpy(&holders, &f, sizeof f);
  for (int i = 0; i < 20; i++) {
    struct hnode *n = hold_node();
    if (n == NULL) return;
    n->payload = hold_payload(i);
    n->next = g_list;
    g_list = n;
  }
  g_interior = hold_interior();
  void *volatile local = hold_on_stack();
  hold_lost();
  size_t n = snap_fn(NULL, NULL, NULL, 0);
  uint32_t ids[5] = {find_site("hold_payload", n), find_site("hold_node", n), find_site("hold_interior", n),
                     find_site("hold_on_stack", n), find_site("hold_lost", n)};
  memgate_sites_holder h[5];
  /* Two threads allocate and free while the walks run: they wait on the
   * block locks, and the answer is the same every time. */
  pthread_t t[2];
  stop_churn = 0;
  for (int k = 0; k < 2; k++) CHECK(pthread_create(&t[k], NULL, churner, NULL) == 0, "thread");
  for (int round = 0; round < 20; round++) CHECK(holders(ids, 5, h) == 5, "holders did not answer");
  stop_churn = 1;
  for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
  check_holder(ids[0], &h[0], MEMGATE_SITES_HELD_GLOBAL, 1, ids[1], "payload (global <- node <- payload)");
  check_holder(ids[1], &h[1], MEMGATE_SITES_HELD_GLOBAL, 0, 0, "node (a list of its own site)");
  check_holder(ids[2], &h[2], MEMGATE_SITES_HELD_GLOBAL, 0, 0, "interior pointer");
  check_holder(ids[3], &h[3], MEMGATE_SITES_HELD_STACK, 0, 0, "local");
  check_holder(ids[4], &h[4], MEMGATE_SITES_HELD_NONE, 0, 0, "lost");
  CHECK(h[0].root_addr == (uintptr_t)&g_list, "payload's root %#lx, want &g_list %p",
        (unsigned long)h[0].root_addr, (void *)&g_list);
  CHECK(h[2].root_addr == (uintptr_t)&g_interior, "interior's root is not &g_interior");
  memgate_sites_symbolize_data_fn data_name;
  f = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SYMBOLIZE_DATA);
  memcpy(&data_name, &f, sizeof f);
  memgate_sites_frame g;
  CHECK(f != NULL && data_name(h[0].root_addr, &g) == 0 && strcmp(g.function, "g_list") == 0,
        "the root is named %s, want g_list", f ? g.function : "?");
  printf("  payload: held by a node, held by global %s; the local: stack; the lost block: none\n",
         f ? g.function : "?");
  free(local);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sites_prog leaks|family|threads|fork|footprint|full|holders|disabled\n");
    return 2;
  }
  const char *c = argv[1];
  if (bind_library() != 0) {
    fprintf(stderr, "sites_prog: libmemgate-sites.so is not loaded (LD_PRELOAD)\n");
    return 1;
  }
  if (strcmp(c, "footprint") == 0) {
    case_footprint(enabled_fn() == 1);
    return failures ? 1 : 0;
  }
  if (strcmp(c, "disabled") == 0) {
    void *p = malloc(10);
    CHECK(enabled_fn() == 0 && snap_fn(NULL, NULL, NULL, 0) == 0, "recording without MEMGATE_SITES=1");
    free(p);
    return failures ? 1 : 0;
  }
  CHECK(enabled_fn() == 1, "not recording");
  const char *dw = getenv("SITES_LIBDW");
  if (strcmp(c, "leaks") == 0) case_leaks(dw != NULL && strcmp(dw, "1") == 0);
  else if (strcmp(c, "family") == 0) case_family();
  else if (strcmp(c, "threads") == 0) case_threads();
  else if (strcmp(c, "fork") == 0) case_fork();
  else if (strcmp(c, "full") == 0) case_full();
  else if (strcmp(c, "holders") == 0) case_holders();
  else return 2;
  return failures ? 1 : 0;
}
