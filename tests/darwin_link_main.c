/*
 * Link check for the Darwin build: `make check-darwin` (mk/darwin.mk,
 * mk/check-darwin.sh) compiles this with every C file of harness/src for
 * every Apple target, and links a Mach-O executable for macOS and Mac
 * Catalyst (arm64, x86_64). It is never run on Linux; on a Mac it prints one
 * sample and exits 0 when the read succeeded.
 */
#include "memgate.h"

#include <stdio.h>
#include <string.h>

#ifdef __APPLE__
#  include <mach/task_info.h>
/* tests/test_darwin_rev.c scripts counts with these sizes; a negative
 * array size here means the SDK disagrees with the unit test. */
typedef char memgate_test_rev0_is_36[TASK_VM_INFO_REV0_COUNT == 36 ? 1 : -1];
typedef char memgate_test_rev1_is_38[TASK_VM_INFO_REV1_COUNT == 38 ? 1 : -1];
typedef char memgate_test_rev2_is_42[TASK_VM_INFO_REV2_COUNT == 42 ? 1 : -1];
typedef char memgate_test_rev3_is_84[TASK_VM_INFO_REV3_COUNT == 84 ? 1 : -1];
typedef char memgate_test_rev4_is_86[TASK_VM_INFO_REV4_COUNT == 86 ? 1 : -1];
#endif

int main(void) {
  memgate_footprint fp;
  int rc;

  memset(&fp, 0, sizeof fp);
  memgate_release_free_memory();
  rc = memgate_read(&fp);
  printf("%s: memgate_read %s, footprint %llu bytes, heap %llu bytes, valid 0x%x\n",
         memgate_platform(), memgate_err_name(rc), (unsigned long long)fp.footprint_bytes,
         (unsigned long long)fp.heap_bytes, (unsigned)fp.valid);
  return rc == 0 ? 0 : 1;
}
