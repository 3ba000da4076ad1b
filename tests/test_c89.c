/*
 * A project's -std=c89 -pedantic -Werror build with -DMEMGATE_DISABLE:
 * memgate.h compiles, the macros run the code once, nothing is linked.
 */
#include <stdio.h>

#include "memgate.h"

static int g_body;
static void body(void *ctx) {
  (void)ctx;
  g_body++;
}

int main(void) {
  int loops = 0, iterations = 10;
  MEM_BEGIN("c89");
  MEM_END("c89");
  if (MEM_REPEAT("c89.repeat", 10, body, NULL) != MemgateVerdictPass) return 1;
  MEM_LOOP("c89.loop", iterations++) { loops++; }
  MEM_LOOP("c89.break", 5) {
    loops++;
    break;
  }
  if (g_body != 1 || loops != 2 || iterations != 11) return 2;
  printf("test_c89: memgate.h with -DMEMGATE_DISABLE under -std=c89 -pedantic: OK\n");
  return 0;
}
