/*
 * Names and texts: error codes, verdicts, the version string. Depends on
 * nothing but the public header, so any file may call it without a circle.
 */
#include "state.h"

const char *memgate_strerror(int err) {
  switch (err) {
  case 0: return "success";
#define MEMGATE__ERR_STR(name, val, msg) \
  case MEMGATE_E##name: return msg;
    MEMGATE_ERRNO_MAP(MEMGATE__ERR_STR)
#undef MEMGATE__ERR_STR
  default: return "unknown memgate error";
  }
}

const char *memgate_err_name(int err) {
  switch (err) {
  case 0: return "MEMGATE_OK";
#define MEMGATE__ERR_NAME(name, val, msg) \
  case MEMGATE_E##name: return "MEMGATE_E" #name;
    MEMGATE_ERRNO_MAP(MEMGATE__ERR_NAME)
#undef MEMGATE__ERR_NAME
  default: return "MEMGATE_EUNKNOWN";
  }
}

#define MEMGATE__STR2(x) #x
#define MEMGATE__STR(x) MEMGATE__STR2(x)
const char *memgate_version(void) {
  return MEMGATE__STR(MEMGATE_VERSION_MAJOR) "." MEMGATE__STR(MEMGATE_VERSION_MINOR) "." MEMGATE__STR(
      MEMGATE_VERSION_PATCH);
}

const char *memgate_verdict_name(memgate_verdict verdict) {
  switch (verdict) {
  case MemgateVerdictPass: return "pass";
  case MemgateVerdictLeak: return "leak";
  case MemgateVerdictRegression: return "regression";
  case MemgateVerdictError: return "error";
  }
  return "error";
}
