// sites_cxx.cpp - a C++ frame without debug information is named by its
// demangled symbol (room::Cache::keep(int)), not by "_ZN4room5Cache4keepEi".
// Built with -g0 -rdynamic by mk/sites.mk; run by test_sites.sh under the
// preload. Prints the name; exits 1 when it is not demangled. It uses
// operator new, as C++ programs do, so libstdc++ (whose __cxa_demangle the
// recorder uses) is loaded; a program without it keeps mangled names.
#include "memgate_sites.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace room {
struct Cache {
  static void *keep(int n);
};
__attribute__((noinline)) void *Cache::keep(int n) {
  void *p = std::malloc(static_cast<size_t>(n));
  if (p) std::memset(p, 1, static_cast<size_t>(n));
  return p;
}
}  // namespace room

void *kept; // not static: the store must stay
int *counter;

int main() {
  kept = room::Cache::keep(4321);
  counter = new int(1);
  void *sn = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SNAPSHOT), *fr = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_FRAMES);
  void *sy = dlsym(RTLD_DEFAULT, MEMGATE_SITES_SYM_SYMBOLIZE);
  if (!sn || !fr || !sy) return std::fprintf(stderr, "sites_cxx: the recorder is not loaded\n"), 1;
  memgate_sites_snapshot_fn snap;
  memgate_sites_frames_fn frames;
  memgate_sites_symbolize_fn symbolize;
  std::memcpy(&snap, &sn, sizeof sn);
  std::memcpy(&frames, &fr, sizeof fr);
  std::memcpy(&symbolize, &sy, sizeof sy);
  uint64_t bytes[4096];
  size_t n = snap(nullptr, bytes, nullptr, 4096);
  for (size_t i = 0; i < n && i < 4096; i++) {
    uintptr_t pc;
    memgate_sites_frame f;
    if (bytes[i] != 4321 || frames(static_cast<uint32_t>(i + 1), &pc, 1) == 0) continue;
    symbolize(pc, &f);
    std::printf("  the 4321-byte block was allocated in %s\n", f.function);
    return std::strcmp(f.function, "room::Cache::keep(int)") == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "sites_cxx: no stack holds the 4321-byte block\n");
  return 1;
}
