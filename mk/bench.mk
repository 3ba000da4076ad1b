# mk/bench.mk - benchmarks (issue 6); included by the Makefile.
#
#   make bench        build the benchmark programs, run them in full (about
#                     4-8 minutes on 2 cores) and write docs/BENCHMARKS.md
#   make bench-quick  the same programs with --quick (well under 2 minutes),
#                     report in $(BUILD)/bench/BENCHMARKS-quick.md; fails only
#                     when a program crashes or a false-positive count of the
#                     gated profiles (BENCH_FP_GATE) is not 0
#   make bench-build  build them only
#   make bench-baselines  only the "Baseline files at scale" section
#                     (tests/bench/bench_baselines.sh: show/check/update on
#                     1k, 10k and 50k entries, about 20 s), printed and
#                     written to $(BUILD)/bench/BASELINES.md
#
# The programs live in tests/bench/ and link build/libmemgate.a. Each
# measurement runs in a fresh process. The tuned environment is
# `$(MEMGATE_CMD) run --` when that command exists and passes a probe,
# otherwise the programs set the same environment themselves (they say which
# in the report). bench_scenario_asan is built with -fsanitize=address; when
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
		$(BENCH_BUILD)/bench_tools
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

bench: bench-build
	@sh tests/bench/gen_benchmarks.sh --build $(BENCH_BUILD) --out docs/BENCHMARKS.md \
	    --memgate-cmd $(MEMGATE_CMD) --cc "$(CC)" --asan-cc "$(BENCH_ASAN_CC)" --gate $(BENCH_FP_GATE)

bench-quick: bench-build
	@sh tests/bench/gen_benchmarks.sh --quick --build $(BENCH_BUILD) \
	    --out $(BENCH_BUILD)/BENCHMARKS-quick.md --memgate-cmd $(MEMGATE_CMD) --cc "$(CC)" \
	    --asan-cc "$(BENCH_ASAN_CC)" --gate $(BENCH_FP_GATE)

bench-baselines: $(MEMGATE_CMD)
	@mkdir -p $(BENCH_BUILD)
	@sh tests/bench/bench_baselines.sh --memgate-cmd $(MEMGATE_CMD) > $(BENCH_BUILD)/BASELINES.md
	@cat $(BENCH_BUILD)/BASELINES.md
