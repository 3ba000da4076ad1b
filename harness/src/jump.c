/*
 * Finding repeats and loops left before they finished. A test framework's
 * failed assertion leaves a repeat's body by longjmp (cmocka, Unity), C++
 * leaves it by an exception, and a MEM_LOOP block can be left by break,
 * return or goto. The run then stays on the thread's run stack with no
 * verdict; memgate__run_abandon (state.c) reports it as an error result
 * (MEMGATE_EABANDONED) naming the repeat or loop, closes the scopes its
 * body left open, and pops it, so the thread is clean for the next test.
 *
 * Found: by memgate_loop_end() (the loop variable's cleanup, gcc/clang),
 * by a framework integration calling memgate_recover() after each test
 * (memgate_cmocka.h), and at the next memgate call on the thread: a body
 * runs in frames below the address its run recorded (stacks grow down on
 * every supported platform), so an entry point whose own frame lies above
 * it was reached after the body was left.
 */
#include "state.h"

void memgate__reap_abandoned(memgate__tstate *ts, uintptr_t frame) {
  if (!ts) return;
  while (ts->run_depth > 0) {
    const memgate__run *run = &ts->runs[ts->run_depth - 1];
    if (!run->frame || frame <= run->frame) return;
    memgate__run_abandon(ts, MEMGATE__LEFT_BY_JUMP);
  }
}

void memgate__reap_here(uintptr_t frame) {
  memgate__reap_abandoned(memgate__tstate_get(), frame);
}

unsigned memgate_recover(const char *file, int line) {
  if (!memgate__enter()) {
    (void)memgate__refuse_reentry("memgate_recover", "", MemgateKindRepeat, file, line, NULL);
    return 0;
  }
  memgate__tstate *ts = memgate__tstate_get();
  unsigned n = 0;
  while (ts && ts->run_depth > 0) {
    memgate__run_abandon(ts, MEMGATE__LEFT_BY_JUMP);
    n++;
  }
  memgate__leave();
  return n;
}
