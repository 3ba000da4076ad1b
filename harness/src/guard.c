/*
 * The re-entry guard. memgate is not async-signal-safe: it takes locks and
 * may allocate. A scope begun from a signal handler that interrupted a
 * memgate call on the same thread (or from a sampler callback) would
 * deadlock or corrupt that call's state, so every entry point marks the
 * thread and a nested entry is refused as misuse, with no lock taken.
 * The mark is lifted while memgate runs user code it was given (a repeat's
 * body, the result and failure handlers), where memgate calls are allowed.
 */
#include "state.h"

#include <string.h>
#include <unistd.h>

static __thread int t_inside;

bool memgate__enter(void) {
  if (t_inside) return false;
  t_inside = 1;
  return true;
}

void memgate__leave(void) { t_inside = 0; }

bool memgate__suspend(void) {
  bool was = t_inside != 0;
  t_inside = 0;
  return was;
}

void memgate__resume(bool was) { t_inside = was ? 1 : 0; }

static void put(const char *s) {
  if (s) (void)!write(STDERR_FILENO, s, strlen(s));
}

/* Writes a line number without stdio (async-signal-safe). */
static void put_int(int v) {
  char buf[16];
  size_t i = sizeof buf;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  buf[--i] = '\0';
  do {
    buf[--i] = (char)('0' + u % 10u);
    u /= 10u;
  } while (u && i > 1);
  if (v < 0) buf[--i] = '-';
  put(buf + i);
}

memgate_verdict memgate__refuse_reentry(const char *what, const char *name, memgate_kind kind,
                                        const char *file, int line, memgate_result *out) {
  static const char why[] =
      "called from inside another memgate call on this thread (a signal handler or a sampler "
      "callback?): memgate is not async-signal-safe";
  put(file ? file : "?");
  put(":");
  put_int(line);
  put(": error: memgate: ");
  put(what);
  put("(\"");
  put(name ? name : "(null)");
  put("\") ");
  put(why);
  put("\n");
  memgate__count_failure();
  if (out) {
    memset(out, 0, sizeof *out);
    out->name = name;
    out->file = out->begin_file = file;
    out->line = out->begin_line = line;
    out->kind = kind;
    out->verdict = out->measured_verdict = MemgateVerdictError;
    out->error = MEMGATE_EREENTRANT;
    out->message = why;
    out->baseline_peak_bytes = -1;
  }
  return MemgateVerdictError;
}
