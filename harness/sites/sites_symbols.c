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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MEMGATE_SITES_HAVE_LIBDW
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
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

static void set_frame(memgate_sites_frame *f, uintptr_t pc, const char *fn, const char *file,
                      unsigned line) {
  memset(f, 0, sizeof *f);
  f->pc = pc;
  copy(f->function, sizeof f->function, fn);
  copy(f->file, sizeof f->file, file);
  f->line = file ? line : 0;
}

/* Demanglers of the languages whose runtime the program has loaded: C++
 * (__cxa_demangle, libstdc++ or libc++) and Swift (swift_demangle,
 * libswiftCore). Looked up once, under sym_lock; both return a malloc'ed
 * string (allocated inside the guard: not recorded). */
typedef char *(*cxa_demangle_fn)(const char *, char *, size_t *, int *);
typedef char *(*swift_demangle_fn)(const char *, size_t, char *, size_t *, uint32_t);
static cxa_demangle_fn cxa_demangle;
static swift_demangle_fn swift_demangle;
static bool demanglers_looked_up;

static void look_up_demanglers(void) {
  void *c = dlsym(RTLD_DEFAULT, "__cxa_demangle"), *w = dlsym(RTLD_DEFAULT, "swift_demangle");
  memcpy(&cxa_demangle, &c, sizeof c);
  memcpy(&swift_demangle, &w, sizeof w);
  demanglers_looked_up = true;
}

static bool swift_mangled(const char *n) {
  if (n[0] == '_') n++;
  return (n[0] == '$' && (n[1] == 's' || n[1] == 'S')) || strncmp(n, "_T0", 3) == 0;
}

/* The C++ demangler's answer, or NULL (it returns NULL on any failure). */
static char *demangle_cxx(const char *name) {
  int status = -1;
  return cxa_demangle != NULL ? cxa_demangle(name, NULL, NULL, &status) : NULL;
}

static char *demangle_swift(const char *name) {
  return swift_demangle != NULL ? swift_demangle(name, strlen(name), NULL, NULL, 0) : NULL;
}

/* Replaces a mangled C++ or Swift name by its readable form (cut to the
 * frame's buffer); leaves any other name as it is. */
static void demangle(memgate_sites_frame *f) {
  bool cxx = strncmp(f->function, "_Z", 2) == 0;
  if (!cxx && !swift_mangled(f->function)) return;
  if (!demanglers_looked_up) look_up_demanglers();
  char *out = cxx ? demangle_cxx(f->function) : demangle_swift(f->function);
  if (out == NULL) return;
  copy(f->function, sizeof f->function, out);
  free(out);
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

/* The value of a DW_AT_call_* attribute of an inlined call, 0 when absent. */
static unsigned call_attr(Dwarf_Die *die, unsigned name) {
  Dwarf_Attribute at;
  Dwarf_Word v = 0;
  if (dwarf_attr(die, name, &at) == NULL || dwarf_formudata(&at, &v) != 0) return 0;
  return (unsigned)v;
}

static const char *call_file(Dwarf_Die *cu, Dwarf_Die *die) {
  Dwarf_Files *files = NULL;
  size_t n = 0;
  unsigned idx = call_attr(die, DW_AT_call_file);
  if (dwarf_getsrcfiles(cu, &files, &n) != 0 || idx >= n) return NULL;
  return dwarf_filesrc(files, idx, NULL, NULL);
}

/* One frame per function around addr: the innermost inlined call first,
 * each at the line it is executing (the line table for the innermost, the
 * inlined call's DW_AT_call_file/line for the ones around it), the real
 * function last. Returns how many were written, 0 without a compile unit. */
static size_t expand(Dwarf_Die *cu, Dwarf_Addr pc, uintptr_t ret, memgate_sites_frame *out,
                     size_t cap) {
  Dwarf_Line *ln = dwarf_getsrc_die(cu, pc);
  int line0 = 0;
  const char *file = ln ? dwarf_linesrc(ln, NULL, NULL) : NULL;
  if (ln == NULL || dwarf_lineno(ln, &line0) != 0 || line0 <= 0) file = NULL;
  unsigned line = (unsigned)(line0 > 0 ? line0 : 0);
  /* dwarf_getscopes() stops at an inlined instance; the DIE nesting from
   * the innermost function out (dwarf_getscopes_die) has the whole chain. */
  Dwarf_Die *scopes = NULL, *chain = NULL;
  int n = dwarf_getscopes(cu, pc, &scopes), m = 0;
  for (int i = 0; i < n && m <= 0; i++) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)
      m = dwarf_getscopes_die(&scopes[i], &chain);
  }
  size_t k = 0;
  for (int i = 0; i < m && k < cap; i++) {
    int tag = dwarf_tag(&chain[i]);
    if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine) continue;
    set_frame(&out[k++], ret, dwarf_diename(&chain[i]), file, line);
    if (tag == DW_TAG_subprogram) break;
    file = call_file(cu, &chain[i]);
    line = call_attr(&chain[i], DW_AT_call_line);
  }
  free(chain);
  free(scopes);
  return k;
}

static size_t by_libdw(uintptr_t ret, memgate_sites_frame *out, size_t cap) {
  uintptr_t addr = ret - 1; /* a return address: the call is the instruction before it */
  Dwfl *d = session(false);
  Dwfl_Module *m = d ? dwfl_addrmodule(d, addr) : NULL;
  if (m == NULL && d != NULL && (d = session(true)) != NULL) m = dwfl_addrmodule(d, addr);
  if (m == NULL) return 0;
  Dwarf_Addr bias = 0;
  Dwarf_Die store, *cu = unit_of(m, addr, &bias, &store);
  size_t k = cu ? expand(cu, addr - bias, ret, out, cap) : 0;
  if (k > 0) return k;
  const char *obj = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  set_frame(&out[0], ret, dwfl_module_addrname(m, addr), NULL, 0);
  copy(out[0].file, sizeof out[0].file, obj);
  return 1;
}
#endif

SITES_API size_t memgate_sites_symbolize_inline(uintptr_t pc, memgate_sites_frame *out, size_t cap) {
  if (out == NULL || cap == 0) return 0;
  set_frame(&out[0], pc, NULL, NULL, 0);
  if (pc == 0) return 0;
  bool g = sites_guard_enter();
  sites_symbols_lock();
  size_t k = 0;
#ifdef MEMGATE_SITES_HAVE_LIBDW
  k = by_libdw(pc, out, cap);
  if (k > 0 && strcmp(out[k - 1].function, "?") == 0) by_dladdr(pc - 1, &out[k - 1]);
#endif
  if (k == 0 && by_dladdr(pc - 1, &out[0]) == 0) k = 1;
  for (size_t i = 0; i < k; i++) demangle(&out[i]);
  sites_symbols_unlock();
  if (g) sites_guard_leave();
  return k;
}

SITES_API int memgate_sites_symbolize(uintptr_t pc, memgate_sites_frame *out) {
  memgate_sites_frame all[8];
  size_t k = memgate_sites_symbolize_inline(pc, all, 8);
  if (out != NULL) *out = all[0];
  return k > 0 ? 0 : -1;
}

#ifdef MEMGATE_SITES_HAVE_LIBDW
/* The symbol holding data address addr (the symbol table has static
 * variables, which dladdr's dynamic table has not). */
static bool data_by_libdw(uintptr_t addr, memgate_sites_frame *out) {
  Dwfl *d = session(false);
  Dwfl_Module *m = d ? dwfl_addrmodule(d, addr) : NULL;
  if (m == NULL && d != NULL && (d = session(true)) != NULL) m = dwfl_addrmodule(d, addr);
  const char *name = m ? dwfl_module_addrname(m, addr) : NULL;
  if (name == NULL) return false;
  copy(out->function, sizeof out->function, name);
  copy(out->file, sizeof out->file, dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  return true;
}
#endif

SITES_API int memgate_sites_symbolize_data(uintptr_t addr, memgate_sites_frame *out) {
  if (out == NULL) return -1;
  set_frame(out, addr, NULL, NULL, 0);
  if (addr == 0) return -1;
  bool g = sites_guard_enter(), found = false;
  sites_symbols_lock();
#ifdef MEMGATE_SITES_HAVE_LIBDW
  found = data_by_libdw(addr, out);
#endif
  if (!found) found = by_dladdr(addr, out) == 0 && strcmp(out->function, "?") != 0;
  if (found) demangle(out);
  sites_symbols_unlock();
  if (g) sites_guard_leave();
  return found ? 0 : -1;
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
  if (depth == 0) return append(buf, cap, 0, id == MEMGATE_SITES_OVERFLOW_ID ? "(other stacks)" : "?");
  size_t shown = 0;
  for (size_t i = 0; i < depth && (max_frames == 0 || shown < max_frames); i++) {
    memgate_sites_frame f[8];
    size_t k = memgate_sites_symbolize_inline(pcs[i], f, 8);
    for (size_t j = 0; j < (k ? k : 1) && (max_frames == 0 || shown < max_frames); j++, shown++) {
      char one[sizeof f[0].function + sizeof f[0].file + 32];
      if (f[j].line > 0) snprintf(one, sizeof one, "%s %s:%u", f[j].function, f[j].file, f[j].line);
      else snprintf(one, sizeof one, "%s (%s)", f[j].function, f[j].file);
      if (shown > 0) len = append(buf, cap, len, " <- ");
      len = append(buf, cap, len, one);
    }
  }
  return len;
}
