# mk/darwin.mk - compile the Darwin code on Linux for every Apple target zig
# can build (docs/DESIGN.md, section 7). The work is done by
# mk/check-darwin.sh, one step per make target; this file only says which
# steps run for which targets.
#
#   make check-darwin                  from the repo root (the Makefile includes mk/*.mk)
#   make -f mk/darwin.mk check-darwin  on its own
#
# zig's C compiler carries Apple's headers and a libSystem stub for macOS and
# Mac Catalyst, so for those (DARWIN_TARGETS) it compiles every
# harness/src/*.c, harness/tool/*.c and examples/live_room/*.c and links
# Mach-O executables. For iOS, tvOS, watchOS (arm64_32 too) and visionOS
# (DARWIN_APPROX_TARGETS) it has no SDK: the library is compiled against its
# macOS headers, which checks each target's TargetConditionals.h branches and
# platform key, but not that SDK's declarations, and nothing is linked.
# Nothing built here runs.
#
# Steps (check-darwin runs them all; outputs under build/darwin/):
#   darwin-zig              zig present, else `python3 -m pip install ziglang==0.17.1`
#   darwin-unit             tests/test_darwin_rev.c, test_darwin_defaults.c and
#                           test_xct_text.c with cmocka, run on this machine
#   darwin-static           sampler_darwin.c hands phys_footprint to darwin_rev.c only
#   darwin-sdk-<target>     compile everything, link the library (default and
#                           private-footprint-interval builds), the tool and the
#                           example; `file` and the platform key must agree
#   darwin-approx-<target>  compile the library against the macOS headers; key
#   darwin-objc-<target>    examples/xctest/*.h and tests/darwin_xct_macros.m as
#                           Objective-C with ARC (stand-ins for XCTest: zig has none)
#
# cJSON: zig has no Apple cJSON. Sources that include <cjson/cJSON.h> see the
# host's headers through build/darwin/cjson-include/cjson -> /usr/include/cjson
# (after every other include directory: -idirafter), so nothing else from
# /usr/include leaks into the Apple build. Links use a stub libcjson.dylib
# generated from the function names in that header: it satisfies the linker
# only, so the cJSON side of those programs is not link-checked.
#
# Under the Makefile, `make test` also runs tests/test_darwin_defaults.c (in
# the Makefile's SCRIPTED_TESTS) and tests/test_xct_text.c (listed in the Makefile's TEST_BINS).

ZIG ?= python3 -m ziglang
DARWIN_PYTHON ?= python3
# The wheel installed when zig is missing; pinned to the version this was verified with.
DARWIN_ZIGLANG ?= ziglang==0.17.1
DARWIN_TARGETS ?= aarch64-macos x86_64-macos aarch64-maccatalyst x86_64-maccatalyst
DARWIN_APPROX_TARGETS ?= aarch64-ios aarch64-ios-simulator x86_64-ios-simulator \
	aarch64-tvos aarch64-tvos-simulator x86_64-tvos-simulator \
	aarch64-watchos aarch64-watchos-ilp32 aarch64-watchos-simulator x86_64-watchos-simulator \
	aarch64-visionos aarch64-visionos-simulator
DARWIN_BUILD ?= build/darwin
DARWIN_CFLAGS ?= -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
DARWIN_OBJCFLAGS ?= -x objective-c -fobjc-arc -Wall -Wextra -Werror
DARWIN_CJSON_DIR ?= /usr/include/cjson
DARWIN_HOST_CC ?= cc
DARWIN_HOST_CFLAGS ?= -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
DARWIN_PKG_CONFIG ?= pkg-config
DARWIN_SYS_LIBS = -lm -lpthread
DARWIN_SAMPLER_SRC ?= harness/src/sampler_darwin.c
DARWIN_REV_SRC ?= harness/src/darwin_rev.c

DARWIN_SH = ZIG='$(ZIG)' DARWIN_PYTHON='$(DARWIN_PYTHON)' DARWIN_ZIGLANG='$(DARWIN_ZIGLANG)' \
	DARWIN_BUILD='$(DARWIN_BUILD)' DARWIN_CFLAGS='$(DARWIN_CFLAGS)' DARWIN_OBJCFLAGS='$(DARWIN_OBJCFLAGS)' \
	DARWIN_CJSON_DIR='$(DARWIN_CJSON_DIR)' DARWIN_HOST_CC='$(DARWIN_HOST_CC)' \
	DARWIN_HOST_CFLAGS='$(DARWIN_HOST_CFLAGS)' DARWIN_PKG_CONFIG='$(DARWIN_PKG_CONFIG)' \
	DARWIN_SYS_LIBS='$(DARWIN_SYS_LIBS)' DARWIN_SAMPLER_SRC='$(DARWIN_SAMPLER_SRC)' \
	DARWIN_REV_SRC='$(DARWIN_REV_SRC)' sh mk/check-darwin.sh

DARWIN_ALL_TARGETS = $(DARWIN_TARGETS) $(DARWIN_APPROX_TARGETS)

.PHONY: check-darwin darwin-zig darwin-prep darwin-unit darwin-static \
	$(DARWIN_TARGETS:%=darwin-sdk-%) $(DARWIN_APPROX_TARGETS:%=darwin-approx-%) \
	$(DARWIN_ALL_TARGETS:%=darwin-objc-%)

check-darwin: darwin-unit darwin-static $(DARWIN_TARGETS:%=darwin-sdk-%) \
		$(DARWIN_APPROX_TARGETS:%=darwin-approx-%) $(DARWIN_ALL_TARGETS:%=darwin-objc-%)
	@echo "check-darwin: OK (zig $$($(ZIG) version))"
	@echo "  compiled and linked (zig's SDK): $(DARWIN_TARGETS)"
	@echo "  compiled against macOS headers, not linked: $(DARWIN_APPROX_TARGETS)"

darwin-zig:
	@$(DARWIN_SH) zig

darwin-prep: darwin-zig
	@$(DARWIN_SH) prep

darwin-unit:
	@$(DARWIN_SH) unit

darwin-static:
	@$(DARWIN_SH) static

$(DARWIN_TARGETS:%=darwin-sdk-%): darwin-sdk-%: darwin-prep
	@$(DARWIN_SH) sdk $*

$(DARWIN_APPROX_TARGETS:%=darwin-approx-%): darwin-approx-%: darwin-prep
	@$(DARWIN_SH) approx $*

$(DARWIN_ALL_TARGETS:%=darwin-objc-%): darwin-objc-%: darwin-zig
	@$(DARWIN_SH) objc $*

# ---- in `make test` (only when included by the Makefile) ------------------
ifneq ($(TEST_CFLAGS),)

$(BUILD)/tests/test_xct_text: tests/test_xct_text.c examples/xctest/MemgateXCTest.h $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iexamples/xctest -o $@ $< $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)
endif
