/*
 * Darwin sampler (macOS, iOS and the other Apple systems).
 *
 * footprint = phys_footprint from task_info(TASK_VM_INFO). This file only
 * copies the raw task_vm_info fields into a memgate__darwin_vm; which of
 * them the kernel really filled is decided by memgate__darwin_fill
 * (darwin_rev.c, unit-tested on Linux). Allocator view: size_in_use from
 * malloc_zone_statistics (which counts each magazine's last freed block,
 * see below). No allocation.
 *
 * The kernel has no public resettable footprint peak, so reset_peak reports
 * MEMGATE_EUNSUPPORTED. Building with -DMEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL
 * uses the private proc_reset_footprint_interval() and reads the interval
 * peak from proc_pid_rusage(RUSAGE_INFO_V4). Off by default: private API,
 * keep it out of App Store builds. The reset sets the interval peak to the
 * current footprint, not to zero.
 */
#ifdef __APPLE__

#include "memgate_internal.h"

#include <TargetConditionals.h>
#include <mach/mach.h>
#include <malloc/malloc.h>
#include <string.h>
#include <sys/sysctl.h>

#ifdef MEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL
#  include <sys/resource.h>
#  include <unistd.h>
#  if TARGET_OS_OSX
#    include <libproc.h> /* checks the declaration below; iOS SDKs lack it */
#  endif
int proc_pid_rusage(int pid, int flavor, rusage_info_t *buffer);
/* Private (libproc_internal.h), macOS 10.14 / iOS 12. */
int proc_reset_footprint_interval(pid_t pid);
#endif

int memgate__platform_read(memgate_footprint *out) {
  task_vm_info_data_t info;
  mach_msg_type_number_t count = TASK_VM_INFO_COUNT;
  memgate__darwin_vm vm;
  malloc_statistics_t stats;
  kern_return_t kr;
  int rc;

  kr = task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&info, &count);
  if (kr != KERN_SUCCESS) {
    memset(out, 0, sizeof *out);
    return MEMGATE_EIO;
  }

  memset(&vm, 0, sizeof vm);
  vm.count = count;
  vm.rev1_count = TASK_VM_INFO_REV1_COUNT;
  vm.phys_footprint = info.phys_footprint;
  vm.resident_size = info.resident_size;
  vm.internal = info.internal;
  vm.compressed = info.compressed;
#ifdef TASK_VM_INFO_REV3_COUNT
  vm.rev3_count = TASK_VM_INFO_REV3_COUNT;
  vm.ledger_phys_footprint_peak =
      info.ledger_phys_footprint_peak > 0 ? (uint64_t)info.ledger_phys_footprint_peak : 0;
#endif
  rc = memgate__darwin_fill(&vm, out);
  if (rc != 0) return rc;

  malloc_zone_statistics(NULL, &stats);
  out->heap_bytes = stats.size_in_use;
  out->valid |= MEMGATE_HAS_HEAP;

#ifdef MEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL
  {
    struct rusage_info_v4 ru;
    if (proc_pid_rusage(getpid(), RUSAGE_INFO_V4, (rusage_info_t *)&ru) == 0) {
      out->peak_bytes = ru.ri_interval_max_phys_footprint;
      out->valid |= MEMGATE_HAS_PEAK;
    }
  }
#endif
  return 0;
}

int memgate__platform_reset_peak(void) {
#ifdef MEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL
  return proc_reset_footprint_interval(getpid()) == 0 ? 0 : MEMGATE_EIO;
#else
  return MEMGATE_EUNSUPPORTED;
#endif
}

void memgate__platform_release(void) {
  /* Asks every zone to return what it can. The returned byte count is not
   * reliable on some libmalloc versions, so it is ignored. */
  (void)malloc_zone_pressure_relief(NULL, 0);
}

/* arm64_32 (watchOS: 64-bit instructions, 32-bit pointers) first: it also
 * defines __aarch64__. */
#if defined(__ARM64_ARCH_8_32__) || \
    ((defined(__aarch64__) || defined(__arm64__)) && defined(__ILP32__))
#  define MEMGATE__DARWIN_ARCH "arm64_32"
#elif defined(__aarch64__) || defined(__arm64__)
#  define MEMGATE__DARWIN_ARCH "arm64"
#elif defined(__x86_64__)
#  define MEMGATE__DARWIN_ARCH "x86_64"
#else
#  define MEMGATE__DARWIN_ARCH "unknown"
#endif

/* Every line is compiled by `make check-darwin`: macOS and Mac Catalyst
 * against zig's SDK headers, the others against its macOS headers
 * (docs/DESIGN.md, section 7). */
#if TARGET_OS_OSX
#  define MEMGATE__DARWIN_OS "macos"
#elif defined(TARGET_OS_MACCATALYST) && TARGET_OS_MACCATALYST
#  define MEMGATE__DARWIN_OS "maccatalyst"
#elif defined(TARGET_OS_VISION) && TARGET_OS_VISION
#  define MEMGATE__DARWIN_OS "visionos"
#elif TARGET_OS_IOS
#  define MEMGATE__DARWIN_OS "ios"
#elif TARGET_OS_TV
#  define MEMGATE__DARWIN_OS "tvos"
#elif TARGET_OS_WATCH
#  define MEMGATE__DARWIN_OS "watchos"
#else
#  define MEMGATE__DARWIN_OS "darwin"
#endif

#if defined(TARGET_OS_SIMULATOR) && TARGET_OS_SIMULATOR
#  define MEMGATE__DARWIN_SIM "-simulator"
#else
#  define MEMGATE__DARWIN_SIM ""
#endif

/* libmalloc's statistics DO count some freed blocks as in use: each
 * magazine keeps its last freed tiny, small and medium block counted, and
 * which magazine a thread frees into follows its CPU, so the allocator view
 * can step from one iteration to the next without a leak (darwin_malloc.c).
 * That is a cache the statistics count, like glibc's per-thread cache, but
 * one that cannot be filled from here: memgate__defaults_for() (options.c)
 * sets the allocator-view thresholds above what one magazine keeps. */
bool memgate__platform_alloc_cache_active(void) { return true; }
bool memgate__platform_alloc_cache_fillable(void) { return false; }
void memgate__platform_fill_alloc_cache(void) {}

/* Devices in libmalloc's sense (MALLOC_TARGET_IOS, platform.h): not the
 * simulators and not Mac Catalyst, which run the macOS allocator. */
#if TARGET_OS_IPHONE && !TARGET_OS_SIMULATOR && \
    !(defined(TARGET_OS_MACCATALYST) && TARGET_OS_MACCATALYST)
#  define MEMGATE__DARWIN_EMBEDDED true
#else
#  define MEMGATE__DARWIN_EMBEDDED false
#endif

uint64_t memgate__platform_alloc_kept_bytes(void) {
  uint64_t memsize = 0;
  size_t len = sizeof memsize;
  if (sysctlbyname("hw.memsize", &memsize, &len, NULL, 0) != 0 || len != sizeof memsize)
    memsize = 0;
  return memgate__darwin_magazine_kept_bytes(MEMGATE__DARWIN_EMBEDDED, memsize);
}

const char *memgate__platform_key(void) {
  return MEMGATE__DARWIN_OS MEMGATE__DARWIN_SIM "-" MEMGATE__DARWIN_ARCH;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int memgate__sampler_darwin_unused;
#endif /* __APPLE__ */
