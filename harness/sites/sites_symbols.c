/* sites_symbols.c - symbolization, after the measurement and never in a
 * hook: libdw (elfutils) for function and file:line when the library was
 * built with it (MEMGATE_SITES_HAVE_LIBDW), else dladdr() names. Runs inside
 * the guard, so what libdw allocates is not recorded; one lock, one libdw
 * session kept for the process (reported again when an address falls
 * outside every known module, e.g. after dlopen, or after fork). */
#define _GNU_SOURCE
#include "sites_internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef MEMGATE_SITES_HAVE_LIBDW
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#endif

static sites_lock sym_lock;

void sites_symbols_lock(void) {
  sites_lock_take(&sym_lock);
}

void sites_symbols_unlock(void) {
  sites_lock_give(&sym_lock);
}

static void copy(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "?");
}

static int by_dladdr(uintptr_t addr, memgate_sites_frame *out) {
  Dl_info di;
  if (dladdr((void *)addr, &di) == 0) return -1;
  if (di.dli_sname) copy(out->function, sizeof out->function, di.dli_sname);
  if (di.dli_fname) copy(out->file, sizeof out->file, di.dli_fname);
  return 0;
}

#ifdef MEMGATE_SITES_HAVE_LIBDW
static Dwfl *dwfl;
static pid_t session_pid;
static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

/* The session, reported afresh when asked (or after fork). */
static Dwfl *session(bool fresh) {
  if (dwfl != NULL && session_pid != getpid()) fresh = true;
  if (dwfl != NULL && !fresh) return dwfl;
  if (dwfl == NULL) dwfl = dwfl_begin(&callbacks);
  if (dwfl == NULL) return NULL;
  session_pid = getpid();
  dwfl_report_begin(dwfl);
  if (dwfl_linux_proc_report(dwfl, session_pid) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
    dwfl_end(dwfl);
    dwfl = NULL;
  }
  return dwfl;
}

/* The compile unit holding addr. dwfl_module_addrdie() relies on
 * .debug_aranges, which clang does not emit: then the units are scanned. */
static Dwarf_Die *unit_of(Dwfl_Module *m, Dwarf_Addr addr, Dwarf_Addr *bias, Dwarf_Die *store) {
  Dwarf_Die *cu = dwfl_module_addrdie(m, addr, bias);
  if (cu != NULL) return cu;
  Dwarf *dw = dwfl_module_getdwarf(m, bias);
  Dwarf_Off off = 0, next = 0;
  size_t hsize = 0;
  while (dw != NULL && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
    if (dwarf_offdie(dw, off + hsize, store) != NULL && dwarf_haspc(store, addr - *bias) > 0)
      return store;
    off = next;
  }
  return NULL;
}

/* The innermost function (an inlined one included) around addr in cu,
 * and the function it was inlined into (*outer, NULL when none). */
static const char *scope_name(Dwarf_Die *cu, Dwarf_Addr pc, const char **outer) {
  Dwarf_Die *scopes = NULL;
  const char *inner = NULL;
  *outer = NULL;
  int n = dwarf_getscopes(cu, pc, &scopes);
  for (int i = 0; i < n; i++) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
    const char *name = dwarf_diename(&scopes[i]);
    if (inner == NULL) inner = name;
    else if (tag == DW_TAG_subprogram) *outer = name;
  }
  free(scopes);
  return inner;
}

static void name_and_line(Dwfl_Module *m, Dwarf_Addr addr, memgate_sites_frame *out) {
  Dwarf_Addr bias = 0;
  Dwarf_Die store, *cu = unit_of(m, addr, &bias, &store);
  const char *outer = NULL, *name = cu ? scope_name(cu, addr - bias, &outer) : NULL;
  if (name == NULL) name = dwfl_module_addrname(m, addr);
  if (name != NULL && outer != NULL && strcmp(name, outer) != 0)
    snprintf(out->function, sizeof out->function, "%s [inlined in %s]", name, outer);
  else if (name != NULL)
    copy(out->function, sizeof out->function, name);
  Dwarf_Line *ln = cu ? dwarf_getsrc_die(cu, addr - bias) : NULL;
  int line = 0;
  const char *src = ln ? dwarf_linesrc(ln, NULL, NULL) : NULL;
  if (src != NULL && dwarf_lineno(ln, &line) == 0 && line > 0) {
    copy(out->file, sizeof out->file, src);
    out->line = (unsigned)line;
  } else {
    copy(out->file, sizeof out->file, dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  }
}

static int by_libdw(uintptr_t addr, memgate_sites_frame *out) {
  Dwfl *d = session(false);
  Dwfl_Module *m = d ? dwfl_addrmodule(d, addr) : NULL;
  if (m == NULL && d != NULL && (d = session(true)) != NULL) m = dwfl_addrmodule(d, addr);
  if (m == NULL) return -1;
  name_and_line(m, addr, out);
  return 0;
}
#endif

SITES_API int memgate_sites_symbolize(uintptr_t pc, memgate_sites_frame *out) {
  if (out == NULL) return -1;
  memset(out, 0, sizeof *out);
  out->pc = pc;
  copy(out->function, sizeof out->function, "?");
  copy(out->file, sizeof out->file, "?");
  if (pc == 0) return -1;
  /* A return address: the call is the instruction before it. */
  uintptr_t addr = pc - 1;
  bool g = sites_guard_enter();
  sites_symbols_lock();
  int rc = -1;
#ifdef MEMGATE_SITES_HAVE_LIBDW
  rc = by_libdw(addr, out);
  if (rc == 0 && strcmp(out->function, "?") == 0) by_dladdr(addr, out);
#endif
  if (rc != 0) rc = by_dladdr(addr, out);
  sites_symbols_unlock();
  if (g) sites_guard_leave();
  return rc;
}

static size_t append(char *buf, size_t cap, size_t len, const char *s) {
  size_t n = strlen(s);
  if (cap > 0 && len < cap - 1) {
    size_t room = cap - 1 - len;
    memcpy(buf + len, s, n < room ? n : room);
    buf[len + (n < room ? n : room)] = '\0';
  }
  return len + n;
}

SITES_API size_t memgate_sites_describe(uint32_t id, size_t max_frames, char *buf, size_t cap) {
  uintptr_t pcs[MEMGATE_SITES_MAX_FRAMES];
  size_t depth = memgate_sites_frames(id, pcs, MEMGATE_SITES_MAX_FRAMES), len = 0;
  if (cap > 0) buf[0] = '\0';
  if (depth > MEMGATE_SITES_MAX_FRAMES) depth = MEMGATE_SITES_MAX_FRAMES;
  if (max_frames != 0 && depth > max_frames) depth = max_frames;
  if (depth == 0) return append(buf, cap, 0, id == MEMGATE_SITES_OVERFLOW_ID ? "(other stacks)" : "?");
  for (size_t i = 0; i < depth; i++) {
    memgate_sites_frame f;
    char one[sizeof f.function + sizeof f.file + 32];
    memgate_sites_symbolize(pcs[i], &f);
    if (f.line > 0) snprintf(one, sizeof one, "%s %s:%u", f.function, f.file, f.line);
    else snprintf(one, sizeof one, "%s (%s)", f.function, f.file);
    if (i > 0) len = append(buf, cap, len, " <- ");
    len = append(buf, cap, len, one);
  }
  return len;
}
