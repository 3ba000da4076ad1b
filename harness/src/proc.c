/*
 * What the process reads once, before its first sample: options and
 * environment, the results path, the platform key's validity, the host
 * facts of every results line (host.c), the results buffer and the
 * baselines (so no parsing lands inside a measurement).
 */
#include "state.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static memgate__proc g_proc;

static void init_once(void) {
  g_proc.opts_rc = memgate_options_init(&g_proc.opts);
  if (g_proc.opts_rc)
    snprintf(g_proc.opts_msg, sizeof g_proc.opts_msg, "%s", memgate_config_error());
  const char *rp = getenv("MEMGATE_RESULTS");
  g_proc.results_path = rp && *rp ? rp : NULL;
  const char *q = getenv("MEMGATE_QUIET");
  g_proc.quiet = q && q[0] == '1' && q[1] == '\0';
  int hrc = memgate__host_rc(); /* reads the commit, memory and CPUs, once */
  int prc = memgate__platform_rc();
  if (!prc) prc = hrc;
  if (prc && !g_proc.opts_rc) {
    g_proc.opts_rc = prc;
    snprintf(g_proc.opts_msg, sizeof g_proc.opts_msg, "%s", memgate_config_error());
  }
  memgate__results_reserve();
  memgate__baseline_init();
}

const memgate__proc *memgate__proc_get(void) {
  pthread_once(&g_once, init_once);
  return &g_proc;
}
