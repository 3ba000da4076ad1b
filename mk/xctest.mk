# mk/xctest.mk - memgate from XCTest (docs/SWIFT.md); included by
# the Makefile.
#
#   make xctest    compile examples/xctest with swiftc -import-objc-header
#                  MemgateBridgingHeader.h against $(BUILD)/libmemgate.a and
#                  the live-room model, run the suite with the toolchain's
#                  XCTest (swift-corelibs-xctest), check that it can fail
#                  (examples/xctest/run_suite.sh) and print how many tests ran
#   make swiftpm   swift build + swift test of Package.swift, warnings as
#                  errors, in $(BUILD)/swiftpm (not .build/)
#   make swiftpm-consumer  a Swift package of a user's own, elsewhere, with its
#                  own CJSON target, depending on a checkout not named memgate:
#                  its MemgateLeakTestCase subclasses pass the correct room and
#                  fail the buggy one (tests/swiftpm_consumer.sh; CI runs it)
#
# `make test` runs `xctest` when $(SWIFTC) is found on Linux, and otherwise
# prints why it skipped it. On macOS use `make swiftpm` or xcodebuild: a
# Darwin XCTest suite is a bundle, not an executable with XCTMain.

SWIFTC ?= swiftc
SWIFT ?= swift
XCTEST_BUILD = $(BUILD)/xctest
XCTEST_MODULE = MemgateXCTestSuite
XCTEST_BIN = $(XCTEST_BUILD)/$(XCTEST_MODULE)
XCTEST_DIR = examples/xctest
XCTEST_BRIDGE = $(XCTEST_DIR)/MemgateBridgingHeader.h
XCTEST_TESTS = $(XCTEST_DIR)/LiveRoomMemoryTests.swift $(XCTEST_DIR)/MemgateCAPITests.swift \
	$(XCTEST_DIR)/LiveRoomLeakTestCaseTests.swift
XCTEST_SRCS = $(XCTEST_DIR)/MemgateXCTest.swift $(XCTEST_DIR)/MemgateLeakTestCase.swift $(XCTEST_TESTS) \
	$(XCTEST_DIR)/linux/main.swift
XCTEST_SWIFTFLAGS ?= -swift-version 6 -warnings-as-errors -g
SWIFTPM_FLAGS ?= -Xcc -Wall -Xcc -Wextra -Xcc -Wshadow -Xcc -Wstrict-prototypes -Xcc -Werror \
	-Xswiftc -warnings-as-errors

XCTEST_SWIFTC_PATH := $(shell command -v $(SWIFTC) 2>/dev/null)
ifeq ($(XCTEST_SWIFTC_PATH),)
XCTEST_SKIP = $(SWIFTC) not found
else ifneq ($(UNAME_S),Linux)
XCTEST_SKIP = XCTMain executables are Linux-only; use make swiftpm or xcodebuild test
endif

ifeq ($(XCTEST_SKIP),)
XCTEST_TARGET = xctest
else
XCTEST_TARGET = xctest-skip
endif

.PHONY: xctest xctest-skip swiftpm swiftpm-consumer

xctest-skip:
	@echo "xctest: skipped ($(XCTEST_SKIP)); see docs/SWIFT.md"

xctest: $(XCTEST_BUILD)/header-import.ok $(XCTEST_BIN) $(SITES_SO)
	@SITES_LIB=$(if $(SITES_SO),$(abspath $(SITES_SO))) \
	  sh $(XCTEST_DIR)/run_suite.sh $(XCTEST_BIN) $(XCTEST_MODULE) $(XCTEST_BUILD)/logs $(XCTEST_TESTS)

# memgate.h on its own as the bridging header: it must import warning-free
# (MemgateCAPITests.swift uses the C API with no helper).
$(XCTEST_BUILD)/header-import.ok: harness/include/memgate.h $(XCTEST_DIR)/MemgateCAPITests.swift
	@mkdir -p $(dir $@)
	$(SWIFTC) $(XCTEST_SWIFTFLAGS) -typecheck -import-objc-header harness/include/memgate.h \
	    $(XCTEST_DIR)/MemgateCAPITests.swift
	@touch $@

$(XCTEST_BUILD)/live_room.o: examples/live_room/live_room.c examples/live_room/live_room.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(APP_CFLAGS) -c $< -o $@

$(XCTEST_BIN): $(XCTEST_SRCS) $(XCTEST_BRIDGE) harness/include/memgate.h examples/live_room/live_room.h \
		$(XCTEST_BUILD)/live_room.o $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(SWIFTC) $(XCTEST_SWIFTFLAGS) -module-name $(XCTEST_MODULE) \
	    -import-objc-header $(XCTEST_BRIDGE) -Xcc -Iharness/include \
	    -o $@ $(XCTEST_SRCS) $(XCTEST_BUILD)/live_room.o \
	    $(BUILD)/libmemgate.a $(CJSON_LIBS) $(SYS_LIBS)

# The build log is checked for warnings too: -warnings-as-errors does not
# cover the manifest's (e.g. a new file in a target directory).
swiftpm: | $(DEPS_STAMP)
	@set -e; mkdir -p $(BUILD)/swiftpm; log=$(BUILD)/swiftpm/build.log; \
	echo "$(SWIFT) build --build-tests --scratch-path $(BUILD)/swiftpm $(SWIFTPM_FLAGS)"; \
	$(SWIFT) build --build-tests --scratch-path $(BUILD)/swiftpm $(SWIFTPM_FLAGS) > $$log 2>&1 || { cat $$log; exit 1; }; \
	cat $$log; \
	if grep -q 'warning:' $$log; then echo "swiftpm: the build printed warnings (above)" >&2; exit 1; fi
	$(SWIFT) test --skip-build --scratch-path $(BUILD)/swiftpm

swiftpm-consumer: | $(DEPS_STAMP)
	@SWIFT=$(SWIFT) sh tests/swiftpm_consumer.sh $(abspath $(BUILD))/swiftpm-consumer
