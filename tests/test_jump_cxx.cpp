// A C++ exception out of a repeat's body or a MEM_LOOP block (jump.c,
// loop.c): an error result naming the repeat or loop, the exception reaches
// the caller untouched, and the thread is clean afterwards. Plain C++ with
// assert-style checks (no cmocka): the library is C, the caller C++.
#include <memgate.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

static int g_failures = 0;
static std::string g_name, g_msg;
static int g_error = 0;

static void capture(const memgate_result *r, void *) {
  g_name = r->name ? r->name : "";
  g_msg = r->message ? r->message : "";
  g_error = r->error;
}

#define CHECK(c)                                                      \
  do {                                                                \
    if (!(c)) {                                                       \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
      g_failures++;                                                   \
    }                                                                 \
  } while (0)

static int zero_read(void *, memgate_footprint *out) {
  out->footprint_bytes = 4096;
  return 0;
}

static void throwing_body(void *ctx) {
  if (++*static_cast<int *>(ctx) == 3) throw std::runtime_error("boom");
}

__attribute__((noinline)) static void repeat_that_throws() {
  int n = 0;
  memgate_repeat("cxx.repeat", 10, throwing_body, &n, "x.cpp", 10);
}

__attribute__((noinline)) static void loop_that_throws() {
  int n = 0;
  MEM_LOOP("cxx.loop", 10) {
    if (++n == 4) throw std::runtime_error("boom");
  }
}

int main() {
  memgate_sampler s = {zero_read, nullptr, nullptr, nullptr};
  memgate_set_sampler(&s);
  memgate_set_failure_handler(capture, nullptr);

  bool caught = false;
  try {
    repeat_that_throws();
  } catch (const std::runtime_error &e) {
    caught = std::strcmp(e.what(), "boom") == 0;
  }
  CHECK(caught);
  CHECK(memgate_begin("after", "x.cpp", 20) == 0); // finds the repeat left by the exception
  CHECK(g_name == "cxx.repeat");
  CHECK(g_error == MEMGATE_EABANDONED);
  CHECK(g_msg.find("MEM_REPEAT(\"cxx.repeat\") was left by longjmp or an exception") == 0);
  CHECK(memgate_end("after", "x.cpp", 21, nullptr) == MemgateVerdictPass);

  caught = false;
  g_name.clear();
  try {
    loop_that_throws();
  } catch (const std::runtime_error &) {
    caught = true;
  }
  CHECK(caught);
  CHECK(g_name == "cxx.loop"); // reported during unwinding (the loop variable's cleanup)
  CHECK(g_error == MEMGATE_EABANDONED);
  CHECK(g_msg.find("an exception out of its block") != std::string::npos);
  CHECK(memgate_recover("x.cpp", 30) == 0);

  unsigned before = memgate_failure_count();
  int n = 0;
  CHECK(memgate_repeat("cxx.clean", 3, [](void *c) { ++*static_cast<int *>(c); }, &n, "x.cpp", 40) ==
        MemgateVerdictPass);
  CHECK(memgate_failure_count() == before);
  std::printf("test_jump_cxx: %s\n", g_failures ? "FAILED" : "C++ exceptions out of repeats and loops: OK");
  return g_failures ? 1 : 0;
}
