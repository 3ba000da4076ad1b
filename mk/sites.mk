# mk/sites.mk - libmemgate-sites.so, the allocation-site recorder (issue 15,
# docs/SITES.md); included by the Makefile.
#
#   make                 also builds $(BUILD)/libmemgate-sites.so (Linux)
#   make install         also installs it into $(LIBDIR)
#   make test-sites      its tests (part of `make test`): a program with two
#                        leaking sites and a churn site, the allocator family,
#                        threads, fork, full tables, the footprint view
#
# A separate shared object, never linked into libmemgate: it is loaded with
# LD_PRELOAD (plus MEMGATE_SITES=1) or by `memgate run --sites`. libdw
# (elfutils, Debian libdw-dev) is used for file:line when pkg-config finds
# it; without it frames are named by dladdr() only. SITES_LIBDW=0 builds
# without it on purpose. Sanitizer flags are dropped from its CFLAGS: an
# interposed malloc cannot run under AddressSanitizer's own.

# Darwin: sites_darwin.c replaces the interposer (sites_hooks.c) and its
# start-up (sites_boot.c); compile- and link-checked by `make check-darwin`.
SITES_DARWIN_SRCS = $(filter-out harness/sites/sites_hooks.c harness/sites/sites_boot.c,\
			$(wildcard harness/sites/sites_*.c))
check-darwin: darwin-sites
.PHONY: darwin-sites
darwin-sites: darwin-zig
	@set -e; for t in $(filter %-macos,$(DARWIN_TARGETS)); do \
	  out=$(DARWIN_BUILD)/$$t/sites; rm -rf $$out; mkdir -p $$out; \
	  echo "  LD [$$t] libmemgate-sites.dylib ($(notdir $(SITES_DARWIN_SRCS)))"; \
	  $(ZIG) cc -target $$t $(DARWIN_CFLAGS) -fvisibility=hidden -Iharness/sites -dynamiclib \
	    -o $$out/libmemgate-sites.dylib $(SITES_DARWIN_SRCS) -lpthread; \
	  desc=$$(file -b $$out/libmemgate-sites.dylib); echo "  FILE [$$t] $$desc"; \
	  case "$$desc" in Mach-O*dynamically\ linked\ shared\ library*) ;; \
	    *) echo "check-darwin: error: libmemgate-sites.dylib for $$t is not a Mach-O dylib" >&2; exit 1;; esac; \
	done; echo "check-darwin: libmemgate-sites.dylib (malloc_logger) compiles and links; not run"

ifeq ($(UNAME_S),Linux)
SITES_SO = $(BUILD)/libmemgate-sites.so
SITES_SRCS = $(filter-out harness/sites/sites_darwin.c,$(wildcard harness/sites/sites_*.c))
SITES_HDRS = $(wildcard harness/sites/*.h)
SITES_LIBDW ?= $(shell $(PKG_CONFIG) --exists libdw 2>/dev/null && echo 1 || echo 0)
ifeq ($(SITES_LIBDW),1)
SITES_DW_CFLAGS = -DMEMGATE_SITES_HAVE_LIBDW $(shell $(PKG_CONFIG) --cflags libdw)
SITES_DW_LIBS = $(shell $(PKG_CONFIG) --libs libdw)
endif
# The unwinder: libunwind (Debian libunwind-dev) when found, else glibc
# backtrace() (docs/SITES.md has the timings); SITES_LIBUNWIND=0 forces backtrace().
SITES_LIBUNWIND ?= $(shell $(PKG_CONFIG) --exists libunwind 2>/dev/null && echo 1 || echo 0)
ifeq ($(SITES_LIBUNWIND),1)
SITES_DW_CFLAGS += -DMEMGATE_SITES_LIBUNWIND $(shell $(PKG_CONFIG) --cflags libunwind)
SITES_DW_LIBS += $(shell $(PKG_CONFIG) --libs libunwind)
endif
SITES_CFLAGS = $(WARN) -fPIC -fvisibility=hidden -Iharness/sites $(SITES_DW_CFLAGS) \
	       $(filter-out -fsanitize=%,$(CFLAGS))
SITES_TEST = $(BUILD)/tests/sites_prog

.PHONY: sites test-sites install-sites uninstall-sites lint-sites

all: sites
sites: $(SITES_SO)
install: install-sites
uninstall: uninstall-sites
lint: lint-sites

$(SITES_SO): $(SITES_SRCS) $(SITES_HDRS) mk/sites.mk $(BUILD)/.sites-config
	@mkdir -p $(dir $@)
	$(CC) $(SITES_CFLAGS) -shared -Wl,-soname,libmemgate-sites.so -o $@ $(SITES_SRCS) \
	    $(filter-out -fsanitize=%,$(LDFLAGS)) $(SITES_DW_LIBS) -ldl -lpthread

# Rebuilds the library when the libdw/libunwind choice changes.
$(BUILD)/.sites-config: FORCE_SITES_CONFIG
	@mkdir -p $(dir $@)
	@echo "libdw=$(SITES_LIBDW) libunwind=$(SITES_LIBUNWIND)" | cmp -s - $@ || \
	    echo "libdw=$(SITES_LIBDW) libunwind=$(SITES_LIBUNWIND)" > $@
.PHONY: FORCE_SITES_CONFIG

# -rdynamic: the dladdr() fallback can only name exported functions.
# -O1 -fno-builtin: the compiler may neither drop an unused malloc/free pair
# nor peel the measured loop (both would change what the test counts).
$(SITES_TEST): tests/sites/sites_prog.c harness/sites/memgate_sites.h
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Iharness/sites -O1 -g -fno-builtin -rdynamic -o $@ $< \
	    $(filter-out -fsanitize=%,$(LDFLAGS)) -ldl -lpthread

# MEM_REPEAT under `memgate run --sites` (libmemgate's side of the sites).
$(BUILD)/tests/sites_repeat: tests/sites/sites_repeat.c $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(APP_CFLAGS) -O1 -g -fno-builtin -rdynamic -o $@ $< $(LDFLAGS) $(APP_LIBS)

# A C++ frame without debug information: its name must come out demangled.
$(BUILD)/tests/sites_cxx: tests/sites/sites_cxx.cpp harness/sites/memgate_sites.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 -Wall -Wextra -Werror -Iharness/sites -O1 -g0 -fno-builtin -rdynamic -o $@ $< -ldl

test-sites: $(SITES_SO) $(SITES_TEST) $(BUILD)/tests/sites_repeat $(BUILD)/memgate $(BUILD)/live_room_demo \
		$(BUILD)/tests/sites_cxx
	@SITES_LIBDW=$(SITES_LIBDW) SITES_LIBUNWIND=$(SITES_LIBUNWIND) MEMGATE=$(BUILD)/memgate \
	    LIVE_ROOM_DEMO=$(BUILD)/live_room_demo SITES_CXX=$(BUILD)/tests/sites_cxx \
	    SITES_REPEAT=$(BUILD)/tests/sites_repeat sh tests/sites/test_sites.sh $(SITES_SO) $(SITES_TEST)

# The bench section (docs/BENCHMARKS.md "Allocation sites"): --sites and
# heaptrack (Debian heaptrack) side by side. `make bench` runs it first and
# tests/bench/gen_benchmarks.sh takes its output into the file.
BENCH_SITES_RUNS ?= 3
$(BUILD)/bench/sites_bench: tests/sites/sites_bench.c examples/live_room/live_room.c \
		examples/live_room/live_room.h harness/sites/memgate_sites.h $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(APP_CFLAGS) -Iexamples/live_room -Iharness/sites -rdynamic -o $@ tests/sites/sites_bench.c \
	    examples/live_room/live_room.c $(LDFLAGS) $(APP_LIBS)

bench-sites: $(SITES_SO) $(BUILD)/memgate $(BUILD)/bench/sites_bench
	@MEMGATE_SITES_LIB=$(abspath $(SITES_SO)) sh tests/sites/bench_sites.sh $(BUILD)/memgate \
	    $(BUILD)/bench/sites_bench $(BUILD)/bench/sites.md $(BENCH_SITES_RUNS)
bench: bench-sites
.PHONY: bench-sites

install-sites: $(SITES_SO)
	install -d $(DESTDIR)$(LIBDIR)
	install -m 755 $(SITES_SO) $(DESTDIR)$(LIBDIR)/libmemgate-sites.so

uninstall-sites:
	rm -f $(DESTDIR)$(LIBDIR)/libmemgate-sites.so

lint-sites:
	cppcheck --enable=warning,style,performance,portability --std=c99 --inline-suppr --quiet \
	    --error-exitcode=1 -Iharness/sites -D__linux__ -D__GLIBC__=2 -D__GLIBC_MINOR__=36 \
	    -D__x86_64__ -DMEMGATE_SITES_HAVE_LIBDW harness/sites/
else
.PHONY: sites test-sites
sites:
test-sites:
	@echo "test-sites: skipped: libmemgate-sites.so is built on Linux only (docs/SITES.md)"
endif
