/*
 * The platform key that baselines are filed under: the sampler's own key
 * ("linux-x86_64", "macos-arm64", ...) unless MEMGATE_PLATFORM overrides it.
 */
#include "state.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_platform[64];
static int g_platform_rc;

/* 1-63 characters from a-z 0-9 . _ - */
static bool key_ok(const char *s, size_t n) {
  if (n == 0 || n >= sizeof g_platform) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

static void platform_once(void) {
  const char *env = getenv("MEMGATE_PLATFORM");
  snprintf(g_platform, sizeof g_platform, "%s", memgate__platform_key());
  if (!env) return;
  size_t n = strlen(env);
  if (key_ok(env, n)) {
    memcpy(g_platform, env, n + 1);
  } else {
    g_platform_rc = MEMGATE_ECONFIG;
    memgate__config_fail("MEMGATE_PLATFORM", env, "expected 1-63 characters from a-z 0-9 . _ -");
  }
}

static pthread_once_t g_platform_once = PTHREAD_ONCE_INIT;

const char *memgate_platform(void) {
  pthread_once(&g_platform_once, platform_once);
  return g_platform;
}

int memgate__platform_rc(void) {
  pthread_once(&g_platform_once, platform_once);
  return g_platform_rc;
}
