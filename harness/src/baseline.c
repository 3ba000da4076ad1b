/* Baselines: placeholder until the baseline module lands (issue 3). No
 * baseline is applied; results pass or fail on the leak rule alone. */
#include "memgate_internal.h"

void memgate__baseline_init(void) {}

void memgate__baseline_apply(memgate_result *r, char *msg, size_t cap) {
  (void)r;
  (void)msg;
  (void)cap;
}
