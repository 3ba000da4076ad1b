# mk/darwin.mk - compile and link the Darwin code on Linux (docs/DESIGN.md, section 7).
#
#   make check-darwin                  from the repo root (the Makefile includes mk/*.mk)
#   make -f mk/darwin.mk check-darwin  on its own
#
# zig's C compiler carries Apple's macOS headers and a libSystem stub, so it
# can compile every harness/src/*.c for macOS and link Mach-O executables.
# Nothing built here runs; it proves the Darwin code compiles against Apple's
# real declarations and that every Apple symbol it calls exists in libSystem.
# The TASK_VM_INFO revision logic (darwin_rev.c) is unit-tested natively.
#
# Steps (check-darwin runs them all; outputs under build/darwin/):
#   darwin-zig     zig present, else `python3 -m pip install ziglang==0.17.1`
#   darwin-unit    tests/test_darwin_rev.c with cmocka, run on this machine
#   darwin-static  sampler_darwin.c hands phys_footprint to darwin_rev.c only
#   darwin-build-<target>  per target: compile harness/src/*.c,
#                  harness/tool/*.c, examples/live_room/*.c; link
#                  tests/darwin_link_main.c with the library (default and
#                  private-footprint-interval builds), and the example and
#                  tool programs; check each output with `file`
#   darwin-objc    examples/xctest/*.h as Objective-C (see docs/DESIGN.md, section 7)
#   darwin-ios-approx  sampler_darwin.c for iOS targets, but against zig's
#                  macOS headers (zig has no iOS SDK): an approximation that
#                  checks the TARGET_OS_* branches and platform keys only;
#                  nothing is linked
#
# cJSON: zig has no macOS cJSON. Sources that include <cjson/cJSON.h> see the
# host's headers through build/darwin/cjson-include/cjson -> /usr/include/cjson
# (after every other include directory: -idirafter), so nothing else from
# /usr/include leaks into the macOS build. Links use a stub libcjson.dylib
# generated from the function names in that header: it satisfies the linker
# only, so the cJSON side of those programs is not link-checked.

ZIG ?= python3 -m ziglang
DARWIN_PYTHON ?= python3
# The wheel installed when zig is missing; pinned to the version this was verified with.
DARWIN_ZIGLANG ?= ziglang==0.17.1
DARWIN_TARGETS ?= aarch64-macos x86_64-macos
DARWIN_IOS_TARGETS ?= aarch64-ios aarch64-ios-simulator x86_64-ios-simulator
DARWIN_BUILD ?= build/darwin
DARWIN_CC = $(ZIG) cc
DARWIN_CFLAGS ?= -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
DARWIN_CPPFLAGS = -Iharness/include -Iharness/src -idirafter $(DARWIN_BUILD)/cjson-include
DARWIN_OBJCFLAGS ?= -x objective-c -fobjc-arc -Wall -Wextra -Werror
DARWIN_CJSON_DIR ?= /usr/include/cjson
DARWIN_LIB_SRCS = $(wildcard harness/src/*.c)
DARWIN_TOOL_SRCS = $(wildcard harness/tool/*.c)
DARWIN_EXAMPLE_SRCS = $(wildcard examples/live_room/*.c)
DARWIN_OBJC_HEADERS = $(wildcard examples/xctest/*.h)
DARWIN_LINK_MAIN = tests/darwin_link_main.c
DARWIN_SAMPLER_SRC ?= harness/src/sampler_darwin.c
DARWIN_REV_SRC ?= harness/src/darwin_rev.c
DARWIN_HOST_CC ?= cc
DARWIN_HOST_CFLAGS ?= -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
DARWIN_PKG_CONFIG ?= pkg-config
DARWIN_SYS_LIBS = -lm -lpthread
# Headers that need Apple frameworks zig does not ship are skipped by darwin-objc.
DARWIN_OBJC_FRAMEWORK_RE = (\#[[:space:]]*(import|include)[[:space:]]*<|@import[[:space:]]+)(Foundation|XCTest|UIKit|AppKit|CoreFoundation)\b

# Removes /* */ and // comments (line structure kept).
DARWIN_STRIP_COMMENTS = awk '{ s = $$0; o = ""; while (s != "") { if (c) { i = index(s, "*/"); if (!i) break; s = substr(s, i + 2); c = 0; continue } i = index(s, "/*"); j = index(s, "//"); if (j && (!i || j < i)) { o = o substr(s, 1, j - 1); break } if (i) { o = o substr(s, 1, i - 1) " "; s = substr(s, i + 2); c = 1; continue } o = o s; s = "" } print o }'

# Reads the comment-free sampler without preprocessor lines, one C statement
# (up to ';') at a time. A statement that mentions phys_footprint must be a
# copy into the vm struct (`vm.<field> = ...`) or the opt-in interval peak
# (`out->peak_bytes = ru.ri_interval_max_phys_footprint`); no statement may
# compare a count (the revision checks live in darwin_rev.c); the fields
# memgate__darwin_fill owns are never written here.
DARWIN_STATIC_AWK = awk 'BEGIN { RS = ";" } \
  function bad(why, s) { printf "check-darwin: static check: %s: %s\n", why, s; err = 1 } \
  { s = $$0; gsub(/[ \t\n]+/, " ", s); sub(/^ +/, "", s); n = split(s, p, /[{}]/); core = p[n]; \
    pre = substr(s, 1, length(s) - length(core)); sub(/^ +/, "", core); sub(/ +$$/, "", core); \
    if (pre ~ /phys_footprint/) bad("phys_footprint outside a plain vm assignment", s); \
    else if (core ~ /phys_footprint/ && core !~ /^vm\.[a-z_]+ ?= ?[^=]/ && \
             core !~ /^out->peak_bytes ?= ?ru\.ri_interval_max_phys_footprint$$/) \
      bad("phys_footprint outside a plain vm assignment", core); \
    t = s; gsub(/->/, "", t); \
    if (t ~ /[Cc][Oo][Uu][Nn][Tt]/ && t ~ /[<>]/) bad("count compared outside darwin_rev.c", s); \
    if (s ~ /(footprint_bytes|lifetime_peak_bytes|resident_bytes|internal_bytes|compressed_bytes)/) \
      bad("field owned by memgate__darwin_fill written in the sampler", s); \
    if (s ~ /memgate__darwin_fill *\(/) fill = 1 } \
  END { if (!fill) bad("memgate__darwin_fill is never called", "-"); exit err }'

.PHONY: check-darwin darwin-zig darwin-prep darwin-unit darwin-static darwin-objc darwin-ios-approx \
	$(DARWIN_TARGETS:%=darwin-build-%)

check-darwin: darwin-unit darwin-static $(DARWIN_TARGETS:%=darwin-build-%) darwin-objc darwin-ios-approx
	@echo "check-darwin: OK ($(DARWIN_TARGETS); zig $$($(ZIG) version))"

darwin-zig:
	@if ! $(ZIG) version >/dev/null 2>&1; then \
	  echo "check-darwin: zig not found ('$(ZIG) version' failed); running: $(DARWIN_PYTHON) -m pip install $(DARWIN_ZIGLANG)"; \
	  if ! $(DARWIN_PYTHON) -m pip install '$(DARWIN_ZIGLANG)'; then \
	    echo "check-darwin: error: '$(DARWIN_PYTHON) -m pip install $(DARWIN_ZIGLANG)' failed." >&2; \
	    echo "check-darwin: install the ziglang wheel yourself (e.g. in a virtualenv) or pass ZIG=/path/to/zig." >&2; \
	    exit 1; \
	  fi; \
	  if ! $(ZIG) version >/dev/null 2>&1; then \
	    echo "check-darwin: error: ziglang is installed but '$(ZIG) version' still fails; pass ZIG=/path/to/zig." >&2; \
	    exit 1; \
	  fi; \
	fi
	@echo "check-darwin: zig $$($(ZIG) version)"

# The cJSON include shim and, when some source needs it, the stub dylib.
darwin-prep: darwin-zig
	@set -e; mkdir -p $(DARWIN_BUILD)/cjson-include; rm -f $(DARWIN_BUILD)/cjson-include/cjson; \
	needs=$$(grep -l 'cjson/cJSON\.h' /dev/null $(DARWIN_LIB_SRCS) $(DARWIN_TOOL_SRCS) $(DARWIN_EXAMPLE_SRCS) \
	  $(wildcard harness/src/*.h harness/tool/*.h examples/live_room/*.h) || true); \
	if [ -z "$$needs" ]; then exit 0; fi; \
	if [ ! -f $(DARWIN_CJSON_DIR)/cJSON.h ]; then \
	  echo "check-darwin: error: $$needs include <cjson/cJSON.h> but $(DARWIN_CJSON_DIR)/cJSON.h is missing (install libcjson-dev, or pass DARWIN_CJSON_DIR=...)" >&2; \
	  exit 1; \
	fi; \
	ln -s $(DARWIN_CJSON_DIR) $(DARWIN_BUILD)/cjson-include/cjson; \
	sed -n 's/^CJSON_PUBLIC([^)]*)[[:space:]*]*\(cJSON_[A-Za-z0-9_]*\)[[:space:]]*(.*/void \1(void); void \1(void) {}/p' \
	  $(DARWIN_CJSON_DIR)/cJSON.h > $(DARWIN_BUILD)/cjson_stub.c; \
	if [ ! -s $(DARWIN_BUILD)/cjson_stub.c ]; then \
	  echo "check-darwin: error: found no CJSON_PUBLIC functions in $(DARWIN_CJSON_DIR)/cJSON.h" >&2; exit 1; \
	fi; \
	echo "check-darwin: cJSON headers from $(DARWIN_CJSON_DIR); links use a stub libcjson.dylib ($$(wc -l < $(DARWIN_BUILD)/cjson_stub.c) names)"

darwin-unit:
	@set -e; mkdir -p $(DARWIN_BUILD)/host; \
	if ! $(DARWIN_PKG_CONFIG) --exists cmocka; then \
	  echo "check-darwin: error: cmocka not found by $(DARWIN_PKG_CONFIG) (install libcmocka-dev)" >&2; exit 1; \
	fi; \
	echo "  HOSTCC $(DARWIN_BUILD)/host/test_darwin_rev"; \
	$(DARWIN_HOST_CC) $(DARWIN_HOST_CFLAGS) -Iharness/include -Iharness/src \
	  $$($(DARWIN_PKG_CONFIG) --cflags cmocka) tests/test_darwin_rev.c $(DARWIN_REV_SRC) \
	  -o $(DARWIN_BUILD)/host/test_darwin_rev $$($(DARWIN_PKG_CONFIG) --libs cmocka); \
	./$(DARWIN_BUILD)/host/test_darwin_rev

darwin-static:
	@set -e; \
	$(DARWIN_STRIP_COMMENTS) $(DARWIN_SAMPLER_SRC) | grep -v '^[[:space:]]*#' | $(DARWIN_STATIC_AWK) || { \
	  echo "check-darwin: error: $(DARWIN_SAMPLER_SRC) must pass raw task_vm_info fields to memgate__darwin_fill (darwin_rev.c)" >&2; exit 1; }; \
	$(DARWIN_STRIP_COMMENTS) $(DARWIN_REV_SRC) | grep -Eq 'count *[<>]=? *vm->rev1_count|vm->rev1_count *[<>]=? *vm->count' || { \
	  echo "check-darwin: error: $(DARWIN_REV_SRC) no longer compares the count with rev1_count" >&2; exit 1; }; \
	echo "check-darwin: static check of $(DARWIN_SAMPLER_SRC): ok"

# One per target. Compiles everything, then links; `file` must agree.
$(DARWIN_TARGETS:%=darwin-build-%): darwin-build-%: darwin-prep
	@set -e; t=$*; out=$(DARWIN_BUILD)/$$t; arch=$(if $(filter aarch64-%,$*),arm64,$(firstword $(subst -, ,$*))); \
	cc="$(DARWIN_CC) -target $$t"; \
	command -v file >/dev/null 2>&1 || { echo "check-darwin: error: the 'file' command is missing (apt-get install file)" >&2; exit 1; }; \
	rm -rf $$out; mkdir -p $$out/lib $$out/obj; fail=0; lib=; \
	for src in $(DARWIN_LIB_SRCS); do \
	  o=$$out/lib/$$(basename $$src .c).o; echo "  CC [$$t] $$src"; \
	  $$cc $(DARWIN_CFLAGS) -fvisibility=hidden $(DARWIN_CPPFLAGS) -c $$src -o $$o || fail=1; lib="$$lib $$o"; \
	done; \
	for src in $(DARWIN_TOOL_SRCS) $(DARWIN_EXAMPLE_SRCS) $(DARWIN_LINK_MAIN); do \
	  o=$$out/obj/$$(echo $$src | tr / _ | sed 's/\.c$$/.o/'); echo "  CC [$$t] $$src"; \
	  $$cc $(DARWIN_CFLAGS) $(DARWIN_CPPFLAGS) -c $$src -o $$o || fail=1; \
	done; \
	if [ -f $(DARWIN_SAMPLER_SRC) ]; then \
	  echo "  CC [$$t] $(DARWIN_SAMPLER_SRC) -DMEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL"; \
	  $$cc $(DARWIN_CFLAGS) -fvisibility=hidden $(DARWIN_CPPFLAGS) -DMEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL \
	    -c $(DARWIN_SAMPLER_SRC) -o $$out/obj/sampler_darwin_private.o || fail=1; \
	fi; \
	if [ $$fail != 0 ]; then echo "check-darwin: error: [$$t] compile failed (see above)" >&2; exit 1; fi; \
	libs="$(DARWIN_SYS_LIBS)"; \
	if [ -f $(DARWIN_BUILD)/cjson_stub.c ]; then \
	  $$cc -shared -Wl,-install_name,@rpath/libcjson.dylib $(DARWIN_BUILD)/cjson_stub.c -o $$out/libcjson.dylib; \
	  libs="-L$$out -lcjson $$libs"; \
	fi; \
	bins=; \
	darwin_link() { b=$$1; shift; echo "  LD [$$t] $$b"; $$cc -o $$b "$$@" $$libs || fail=1; bins="$$bins $$b"; }; \
	main=$$out/obj/$$(echo $(DARWIN_LINK_MAIN) | tr / _ | sed 's/\.c$$/.o/'); \
	darwin_link $$out/memgate_link_test $$main $$lib; \
	if [ -f $$out/obj/sampler_darwin_private.o ]; then \
	  darwin_link $$out/memgate_link_test_private $$main \
	    $$(for o in $$lib; do case $$o in */sampler_darwin.o) ;; *) echo $$o;; esac; done) \
	    $$out/obj/sampler_darwin_private.o; \
	fi; \
	for set in tool:"$(DARWIN_TOOL_SRCS)" live_room:"$(DARWIN_EXAMPLE_SRCS)"; do \
	  name=$${set%%:*}; srcs=$${set#*:}; [ -n "$$srcs" ] || continue; \
	  mains=$$(grep -l '^int main *(' $$srcs | wc -l); \
	  if [ $$mains != 1 ]; then echo "  -- [$$t] $$name: $$mains files define main(); compiled, not linked"; continue; fi; \
	  objs=$$(for s in $$srcs; do echo $$out/obj/$$(echo $$s | tr / _ | sed 's/\.c$$/.o/'); done); \
	  darwin_link $$out/$$name $$objs $$lib; \
	done; \
	if [ $$fail != 0 ]; then echo "check-darwin: error: [$$t] link failed (see above)" >&2; exit 1; fi; \
	for b in $$bins; do \
	  desc=$$(file -b $$b); echo "  FILE [$$t] $$b: $$desc"; \
	  case "$$desc" in "Mach-O 64-bit $$arch executable"*) ;; \
	    *) echo "check-darwin: error: $$b is not a Mach-O 64-bit $$arch executable" >&2; exit 1;; esac; \
	done; \
	grep -q -a "macos-$$arch" $$out/memgate_link_test || { \
	  echo "check-darwin: error: [$$t] memgate_platform() does not report macos-$$arch" >&2; exit 1; }

# Objective-C helper headers: each is #imported by a generated .m and
# compiled for every target (zig 0.17's -fsyntax-only always reports an
# error, so this compiles to an object instead).
darwin-objc: darwin-zig
	@set -e; out=$(DARWIN_BUILD)/objc; rm -rf $$out; mkdir -p $$out; \
	printf '#import <objc/NSObject.h>\n@interface MemgateProbe : NSObject\n- (int)value;\n@end\n@implementation MemgateProbe\n- (int)value { @autoreleasepool { int (^f)(void) = ^{ return 1; }; return f(); } }\n@end\n' > $$out/probe.m; \
	for t in $(DARWIN_TARGETS); do \
	  $(DARWIN_CC) -target $$t $(DARWIN_OBJCFLAGS) -c $$out/probe.m -o $$out/probe-$$t.o || { \
	    echo "check-darwin: error: zig cannot compile plain Objective-C for $$t" >&2; exit 1; }; \
	done; \
	if [ -z "$(DARWIN_OBJC_HEADERS)" ]; then \
	  echo "check-darwin: no examples/xctest/*.h yet; Objective-C header check skipped (plain ObjC probe compiled)"; exit 0; \
	fi; \
	for h in $(DARWIN_OBJC_HEADERS); do \
	  if grep -Eq '$(DARWIN_OBJC_FRAMEWORK_RE)' $$h; then \
	    echo "  -- $$h needs an Apple framework zig does not ship (Foundation/XCTest/...): NOT checked"; continue; \
	  fi; \
	  case $$h in /*) abs=$$h;; *) abs=$(CURDIR)/$$h;; esac; \
	  m=$$out/$$(basename $$h .h).m; printf '#import "%s"\n' "$$abs" > $$m; \
	  for t in $(DARWIN_TARGETS); do \
	    echo "  OBJC [$$t] $$h"; \
	    $(DARWIN_CC) -target $$t $(DARWIN_OBJCFLAGS) $(DARWIN_CPPFLAGS) -c $$m -o $$out/$$(basename $$h .h)-$$t.o; \
	  done; \
	done

# zig ships no iOS SDK. Its macOS headers do carry Apple's TargetConditionals.h
# logic for iOS targets, so compiling the sampler for iOS against them checks
# which branch each target takes and the key it reports. The iOS SDK's own
# declarations (and any iOS-only difference in them) are NOT checked.
darwin-ios-approx: darwin-zig
	@set -e; out=$(DARWIN_BUILD)/ios-approx; rm -rf $$out; mkdir -p $$out; \
	lib=$$($(ZIG) env | sed -n 's/.*lib_dir"* *[=:] *"\([^"]*\)".*/\1/p'); inc=; \
	for d in any-darwin-any any-macos-any; do \
	  if [ -f $$lib/libc/include/$$d/TargetConditionals.h ]; then inc=$$lib/libc/include/$$d; fi; \
	done; \
	[ -n "$$inc" ] || { echo "check-darwin: error: no macOS TargetConditionals.h under '$$lib/libc/include'" >&2; exit 1; }; \
	for t in $(DARWIN_IOS_TARGETS); do \
	  case $$t in aarch64-*) arch=arm64;; *) arch=$${t%%-*};; esac; \
	  case $$t in *-simulator) key=ios-simulator-$$arch;; *) key=ios-$$arch;; esac; \
	  for d in "" -DMEMGATE_USE_PRIVATE_FOOTPRINT_INTERVAL; do \
	    o=$$out/sampler-$$t$$d.o; echo "  CC [$$t, macOS headers] $(DARWIN_SAMPLER_SRC) $$d"; \
	    $(DARWIN_CC) -target $$t -isystem $$inc $(DARWIN_CFLAGS) $(DARWIN_CPPFLAGS) $$d \
	      -c $(DARWIN_SAMPLER_SRC) -o $$o; \
	    grep -q -a "$$key" $$o || { \
	      echo "check-darwin: error: [$$t] the sampler does not report the key $$key" >&2; exit 1; }; \
	  done; \
	done; \
	echo "check-darwin: iOS approximation (macOS headers, not the iOS SDK): keys ok"
