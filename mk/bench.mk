# mk/bench.mk - benchmarks (issue 6); included by the Makefile.
#
#   make bench        build the benchmark programs, run them in full (about
#                     4-8 minutes on 2 cores) and write docs/BENCHMARKS.md
#   make bench-quick  the same programs with --quick (well under 2 minutes),
#                     report in $(BUILD)/bench/BENCHMARKS-quick.md; fails only
#                     when a program crashes or a false-positive count of the
#                     gated profiles (BENCH_FP_GATE) is not 0
#   make bench-build  build them only
#   make realworld …  the real-world corpus on its own (section at the end)
#   make bench-baselines  only the "Baseline files at scale" section
#                     (tests/bench/bench_baselines.sh: show/check/update on
#                     1k, 10k and 50k entries, about 20 s), printed and
#                     written to $(BUILD)/bench/BASELINES.md
#
# The programs live in tests/bench/ and link build/libmemgate.a. Each
# measurement runs in a fresh process. The tuned environment is
# `$(MEMGATE_CMD) run --` when that command exists and passes a probe,
# otherwise the programs set the same environment themselves (they say which
# in the report). bench_cost measures what memgate costs the program it
# measures (issue 13) and the candidate GLIBC_TUNABLES sets of `memgate run`;
# bench_tools compares with valgrind memcheck and massif, LeakSanitizer and
# heaptrack (each "not available" when missing). bench_scenario_asan is built with -fsanitize=address; when
# that fails (no sanitizer runtime) the LeakSanitizer column says "not
# available" instead of failing the build.

BENCH_BUILD = $(BUILD)/bench
MEMGATE_CMD ?= $(BUILD)/memgate
BENCH_ASAN_CC ?= $(CC)
# Which profiles' false leaks fail bench/bench-quick: candidate (the options
# docs/BENCHMARKS.md recommends), defaults (the library's own defaults; use
# once the library adopts the recommendation) or none.
BENCH_FP_GATE ?= defaults
BENCH_CFLAGS = $(WARN) -Iharness/include -Iexamples/live_room -Itests/bench $(CJSON_CFLAGS) $(CFLAGS)
BENCH_LIBS = $(BUILD)/libmemgate.a $(CJSON_LIBS) $(SYS_LIBS)
BENCH_COMMON = tests/bench/bench_util.c tests/bench/bench_work.c examples/live_room/live_room.c
BENCH_HDRS = tests/bench/bench_util.h tests/bench/bench_work.h examples/live_room/live_room.h \
	     harness/include/memgate.h
BENCH_DRIVERS = $(BENCH_BUILD)/bench_sampling $(BENCH_BUILD)/bench_detect $(BENCH_BUILD)/bench_fp \
		$(BENCH_BUILD)/bench_tools $(BENCH_BUILD)/bench_cost
BENCH_SCENARIOS = $(BENCH_BUILD)/bench_scenario_plain $(BENCH_BUILD)/bench_scenario_memgate

.PHONY: bench bench-quick bench-build bench-asan-build bench-baselines

bench-build: $(BENCH_DRIVERS) $(BENCH_SCENARIOS) bench-asan-build

$(BENCH_BUILD)/bench_%: tests/bench/bench_%.c $(BENCH_COMMON) $(BENCH_HDRS) $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_COMMON) $(LDFLAGS) $(BENCH_LIBS)

# The side-by-side scenario program: uninstrumented, with memgate, and under
# AddressSanitizer/LeakSanitizer. None of them links the benchmark helpers.
$(BENCH_BUILD)/bench_scenario_plain: tests/bench/scenario.c examples/live_room/live_room.c \
		examples/live_room/live_room.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ tests/bench/scenario.c examples/live_room/live_room.c $(LDFLAGS) -lpthread

$(BENCH_BUILD)/bench_scenario_memgate: tests/bench/scenario.c examples/live_room/live_room.c \
		examples/live_room/live_room.h $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DBENCH_WITH_MEMGATE -o $@ tests/bench/scenario.c \
	    examples/live_room/live_room.c $(LDFLAGS) $(BENCH_LIBS)

# Not a file target: a missing sanitizer runtime must not fail `make bench`.
bench-asan-build: tests/bench/scenario.c examples/live_room/live_room.c
	@mkdir -p $(BENCH_BUILD)
	@if $(BENCH_ASAN_CC) $(WARN) -Iexamples/live_room -O1 -g -fno-omit-frame-pointer \
	    -fsanitize=address -o $(BENCH_BUILD)/bench_scenario_asan.tmp tests/bench/scenario.c \
	    examples/live_room/live_room.c -lpthread 2>$(BENCH_BUILD)/asan-build.log; then \
	  mv -f $(BENCH_BUILD)/bench_scenario_asan.tmp $(BENCH_BUILD)/bench_scenario_asan; \
	else \
	  rm -f $(BENCH_BUILD)/bench_scenario_asan $(BENCH_BUILD)/bench_scenario_asan.tmp; \
	  echo "bench: cannot build with -fsanitize=address ($(BENCH_ASAN_CC)); see" \
	       "$(BENCH_BUILD)/asan-build.log; the LeakSanitizer column will say 'not available'"; \
	fi

# The real-world corpus (below) is one more section: --realworld names its
# build directory, --realworld-gate is RW_GATE.
BENCH_RW_ARGS = --realworld $(RW_BUILD) --realworld-gate $(RW_GATE)

bench: bench-build realworld-build
	@sh tests/bench/gen_benchmarks.sh --build $(BENCH_BUILD) --out docs/BENCHMARKS.md \
	    --memgate-cmd $(MEMGATE_CMD) --cc "$(CC)" --asan-cc "$(BENCH_ASAN_CC)" --gate $(BENCH_FP_GATE) \
	    $(BENCH_RW_ARGS)

bench-quick: bench-build realworld-build
	@sh tests/bench/gen_benchmarks.sh --quick --build $(BENCH_BUILD) \
	    --out $(BENCH_BUILD)/BENCHMARKS-quick.md --memgate-cmd $(MEMGATE_CMD) --cc "$(CC)" \
	    --asan-cc "$(BENCH_ASAN_CC)" --gate $(BENCH_FP_GATE) $(BENCH_RW_ARGS)

bench-baselines: $(MEMGATE_CMD)
	@mkdir -p $(BENCH_BUILD)
	@sh tests/bench/bench_baselines.sh --memgate-cmd $(MEMGATE_CMD) > $(BENCH_BUILD)/BASELINES.md
	@cat $(BENCH_BUILD)/BASELINES.md

# ---------------------------------------------------------------- real-world corpus
# tests/realworld/ (docs/REALWORLD.md): C cases on Debian libraries and Swift
# cases through the XCTest helper, judged bare and under `memgate run`, each in
# a fresh process and all in one process (issue 12, item 5).
#
#   make realworld-deps   install the -dev packages, valgrind and clang (or print
#                         the apt-get command: tests/realworld/deps.sh)
#   make realworld-build  build the case programs into $(BUILD)/realworld
#   make realworld        the full run: $(RW_RUNS) fresh runs per case and mode,
#                         $(RW_FIXED) all-in-one runs in the fixed order and $(RW_SEEDS)
#                         shuffled per mode, valgrind and LSan; the section is
#                         printed and kept in $(BUILD)/realworld/runs/section.md
#   make realworld-quick  one pass per case and mode (what bench-quick runs)
#   make realworld-selftest  run.sh's counting, report and gate on fake cases
#                         (tests/realworld/test_run.sh; realworld and
#                         realworld-quick run it first)
# RW_GATE=1 makes a wrong verdict fail realworld, realworld-quick, bench and
# bench-quick; it stays 0 (report only) until the verdict rules of issue 12
# are in.
RW_BUILD = $(BUILD)/realworld
RW_RUNS ?= 20
RW_SEEDS ?= 5
RW_FIXED ?= 5
RW_GATE ?= 0
RW_SWIFT_BIN = $(RW_BUILD)/swift/RealWorldSwift
# (Literal paths: mk/xctest.mk, whose variables the recipe uses, is read after this file.)
RW_SWIFT_SRCS = examples/xctest/MemgateXCTest.swift tests/realworld/swift/RealWorldSwiftTests.swift \
		tests/realworld/swift/main.swift

.PHONY: realworld realworld-quick realworld-build realworld-deps realworld-selftest

realworld-selftest:
	@sh tests/realworld/test_run.sh

realworld-deps:
	@sh tests/realworld/deps.sh

# The Swift suite is built when $(SWIFTC) exists on Linux (as make xctest);
# otherwise the report says the Swift cases were skipped.
realworld-build: lib $(MEMGATE_CMD) realworld-deps
	@sh tests/realworld/build.sh --build $(RW_BUILD) --cc "$(CC)" --asan-cc "$(BENCH_ASAN_CC)" \
	    --lib $(BUILD)/libmemgate.a --cflags "$(CFLAGS)"
	@if [ "$(UNAME_S)" = Linux ] && command -v $(SWIFTC) >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory $(RW_SWIFT_BIN); \
	else echo "realworld: Swift cases skipped ($(SWIFTC) not found, or not Linux)"; rm -f $(RW_SWIFT_BIN); fi

$(RW_SWIFT_BIN): $(RW_SWIFT_SRCS) examples/xctest/MemgateBridgingHeader.h harness/include/memgate.h \
		$(BUILD)/xctest/live_room.o $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(SWIFTC) $(XCTEST_SWIFTFLAGS) -module-name RealWorldSwift -import-objc-header $(XCTEST_BRIDGE) \
	    -Xcc -Iharness/include -o $@ $(RW_SWIFT_SRCS) $(BUILD)/xctest/live_room.o \
	    $(BUILD)/libmemgate.a $(CJSON_LIBS) $(SYS_LIBS)

RW_RUN = sh tests/realworld/run.sh --build $(RW_BUILD) --memgate-cmd $(MEMGATE_CMD) --gate $(RW_GATE) \
	 $$( [ -x $(RW_SWIFT_BIN) ] && echo --swift $(RW_SWIFT_BIN) )

realworld: realworld-build realworld-selftest
	@$(RW_RUN) --runs $(RW_RUNS) --fixed $(RW_FIXED) --seeds $(RW_SEEDS)

realworld-quick: realworld-build realworld-selftest
	@$(RW_RUN) --quick
