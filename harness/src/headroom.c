/*
 * memgate_headroom(): the bytes the process can still grow before the
 * operating system kills it for memory (memgate.h).
 *
 * Darwin: os_proc_available_memory(), the headroom below the app's jetsam
 * limit (<os/proc.h>, iOS 13+, not on macOS), else the same figure from
 * task_vm_info's limit_bytes_remaining (TASK_VM_INFO_REV4_COUNT), which
 * every SDK's <mach/task_info.h> has; 0 from both (macOS, no limit):
 * MEMGATE_EUNSUPPORTED. Compiled for every Darwin target by
 * `make check-darwin` here; not run on a device by these tests.
 * Linux: the memory cgroup of this process (/proc/self/cgroup), its limit
 * minus its usage: cgroup v2 memory.max - memory.current, v1
 * memory.limit_in_bytes - memory.usage_in_bytes, which is what the OOM
 * killer of a CI container goes by. No limit ("max", or v1's page-rounded
 * 2^63-1): MEMGATE_EUNSUPPORTED. Reads files with stack buffers only; no
 * allocation.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "memgate.h"
#include "file_io.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__APPLE__)
#  include <TargetConditionals.h>
#endif
#if defined(__has_include)
#  define MEMGATE__HAS_OS_PROC_H __has_include(<os/proc.h>)
#else
#  define MEMGATE__HAS_OS_PROC_H 1
#endif
#if defined(__APPLE__)
#  include <mach/mach.h>
#  if TARGET_OS_IPHONE && MEMGATE__HAS_OS_PROC_H
#    include <os/proc.h>
#  endif

/* task_vm_info's limit_bytes_remaining (TASK_VM_INFO_REV4_COUNT and up):
 * the same figure as os_proc_available_memory(), from <mach/task_info.h>,
 * which every SDK has; 0 when the task has no jetsam limit. */
static uint64_t limit_remaining(void) {
#  ifdef TASK_VM_INFO_REV4_COUNT
  task_vm_info_data_t vm;
  mach_msg_type_number_t count = TASK_VM_INFO_COUNT;
  if (task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&vm, &count) == KERN_SUCCESS &&
      count >= TASK_VM_INFO_REV4_COUNT)
    return (uint64_t)vm.limit_bytes_remaining;
#  endif
  return 0;
}

int memgate_headroom(uint64_t *out) {
  if (!out) return MEMGATE_EINVAL;
  uint64_t n = 0;
#  if TARGET_OS_IPHONE && MEMGATE__HAS_OS_PROC_H
  n = (uint64_t)os_proc_available_memory();
#  endif
  if (n == 0) n = limit_remaining();
  if (n == 0) return MEMGATE_EUNSUPPORTED; /* no jetsam limit (macOS, a command-line tool) */
  *out = n;
  return 0;
}

#elif defined(__linux__)

/* A number file: 0 with *v, 1 for "max" (no limit), or MEMGATE_EIO / MEMGATE_EPARSE. */
static int read_number(const char *path, uint64_t *v) {
  char buf[64], *end = NULL;
  if (memgate__read_small(path, buf, sizeof buf) < 0) return MEMGATE_EIO;
  if (strncmp(buf, "max", 3) == 0) return 1;
  errno = 0;
  unsigned long long x = strtoull(buf, &end, 10);
  if (end == buf || errno) return MEMGATE_EPARSE;
  *v = (uint64_t)x;
  return 0;
}

/* The cgroup path of this process's memory controller (v1 "N:...memory...:PATH"),
 * else the v2 one ("0::PATH"). *v2 tells which. 0 or MEMGATE_EUNSUPPORTED. */
static int memory_cgroup(char *path, size_t cap, int *v2) {
  char buf[4096], *line, *save = NULL, v2path[1024] = "";
  if (memgate__read_small("/proc/self/cgroup", buf, sizeof buf) < 0) return MEMGATE_EUNSUPPORTED;
  for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    const char *ctrl = c1 + 1, *p = c2 + 1;
    if (strncmp(line, "0", 1) == 0 && c1 == line + 1 && *ctrl == '\0') snprintf(v2path, sizeof v2path, "%s", p);
    for (const char *s = ctrl; (s = strstr(s, "memory")) != NULL; s += 6)
      if ((s == ctrl || s[-1] == ',') && (s[6] == '\0' || s[6] == ',')) {
        *v2 = 0;
        snprintf(path, cap, "/sys/fs/cgroup/memory%s", p);
        return 0;
      }
  }
  if (!*v2path) return MEMGATE_EUNSUPPORTED;
  *v2 = 1;
  snprintf(path, cap, "/sys/fs/cgroup%s", v2path);
  return 0;
}

int memgate_headroom(uint64_t *out) {
  char dir[1200], file[1300];
  uint64_t limit = 0, usage = 0;
  int v2 = 0;
  if (!out) return MEMGATE_EINVAL;
  int rc = memory_cgroup(dir, sizeof dir, &v2);
  if (rc) return rc;
  snprintf(file, sizeof file, "%s/%s", dir, v2 ? "memory.max" : "memory.limit_in_bytes");
  rc = read_number(file, &limit);
  if (rc == 1 || (rc == 0 && limit >= (UINT64_C(1) << 62))) return MEMGATE_EUNSUPPORTED; /* no limit */
  if (rc == MEMGATE_EIO) return MEMGATE_EUNSUPPORTED; /* no memory controller mounted here */
  if (rc) return rc;
  snprintf(file, sizeof file, "%s/%s", dir, v2 ? "memory.current" : "memory.usage_in_bytes");
  rc = read_number(file, &usage);
  if (rc) return rc == 1 ? MEMGATE_EPARSE : rc;
  *out = usage < limit ? limit - usage : 0;
  return 0;
}

#else

int memgate_headroom(uint64_t *out) {
  if (!out) return MEMGATE_EINVAL;
  return MEMGATE_EUNSUPPORTED;
}

#endif
