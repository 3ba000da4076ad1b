# mk/cli.mk - the memgate command, baselines, their tests and fuzzing
# (docs/CI.md).
#
#   make                build/memgate as part of `all`
#   make test           also: tests/test_baseline (cmocka, also under ASan and
#                       valgrind), tests/fuzz/replay (the fuzz corpus through
#                       the parsers), test-cli (tests/test_cli.sh: the command
#                       on golden inputs, JUnit XML parsed by python3,
#                       concurrent updates, corrupt files), tests/test_cli_text.sh
#                       (hostile names, paths, lines and messages: no injected
#                       workflow command, well-formed JUnit)
#   make baselines      record the live-room baselines (see docs/CI.md)
#   make fuzz-ci        libFuzzer on the baseline and results parsers
#                       (fuzz_parsers), then on the results-line parser and
#                       the evaluation alone (fuzz_results), 60 s each
#   make fuzz           the same for FUZZ_TIME seconds each (default 3600)
#
# Fuzzing needs clang with the libFuzzer runtime: on Debian 12 the packages
# clang-14 and libclang-rt-14-dev (FUZZ_CC picks clang-14, else clang).

TOOL_SRCS = $(wildcard harness/tool/*.c)
TOOL_HDRS = $(wildcard harness/tool/*.h) harness/src/baseline_store.h
TOOL_OBJS = $(patsubst harness/tool/%.c,$(BUILD)/tool/%.o,$(TOOL_SRCS))
TOOL_CFLAGS = $(WARN) -Iharness/include -Iharness/src $(CJSON_CFLAGS) $(CFLAGS)

.PHONY: tool test-cli baselines fuzz fuzz-ci

all: $(BUILD)/memgate
tool: $(BUILD)/memgate
demo: $(BUILD)/memgate

# The baseline modules share a header the Makefile's LIB_HDRS does not list.
$(LIB_OBJS): harness/src/baseline_store.h

$(BUILD)/tool/%.o: harness/tool/%.c $(TOOL_HDRS) $(LIB_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

$(BUILD)/memgate: $(TOOL_OBJS) $(BUILD)/libmemgate.a
	$(CC) -o $@ $(TOOL_OBJS) $(LDFLAGS) $(APP_LIBS)

# ---------------------------------------------------------------- tests

$(BUILD)/tests/test_baseline: tests/test_baseline.c harness/tool/results_load.c $(TOOL_HDRS) \
		$(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iharness/tool -o $@ tests/test_baseline.c harness/tool/results_load.c \
	    $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)

# The fuzz targets' corpus, replayed by a plain test (any compiler).
$(BUILD)/tests/fuzz_replay: tests/fuzz/replay.c tests/fuzz/fuzz_parsers.c \
		harness/tool/results_load.c $(TOOL_HDRS) $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iharness/tool -DFUZZ_CORPUS_DIR='"tests/fuzz/corpus"' -o $@ \
	    tests/fuzz/replay.c tests/fuzz/fuzz_parsers.c harness/tool/results_load.c \
	    $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)

FUZZ_RESULTS_TOOL = harness/tool/results_load.c harness/tool/evaluate.c harness/tool/util.c
$(BUILD)/tests/fuzz_replay_results: tests/fuzz/replay.c tests/fuzz/fuzz_results.c $(FUZZ_RESULTS_TOOL) \
		$(TOOL_HDRS) $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iharness/tool -DFUZZ_CORPUS_DIR='"tests/fuzz/corpus"' -o $@ \
	    tests/fuzz/replay.c tests/fuzz/fuzz_results.c $(FUZZ_RESULTS_TOOL) \
	    $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)

test-cli: $(BUILD)/memgate $(BUILD)/live_room_demo
	@sh tests/test_cli.sh $(BUILD)

# ---------------------------------------------------------------- baselines
# Records the live-room example's baselines on this machine under
# `memgate run` (its measurement environment): BASELINE_RUNS runs of the
# correct room, then `memgate update` keeps the largest retained and peak of
# all runs. The buggy room's scopes get the same values: it runs the same
# workload and must keep what the correct room keeps (docs/CI.md).
# Refuses when CI is set (memgate update does).
BASELINE_RUNS ?= 5
BASELINES_RESULTS = $(BUILD)/baselines-results.jsonl
baselines: $(BUILD)/memgate $(BUILD)/live_room_demo
	rm -f $(BASELINES_RESULTS)
	@set -e; for i in $$(seq 1 $(BASELINE_RUNS)); do \
	  echo "== run $$i of $(BASELINE_RUNS)"; \
	  $(BUILD)/memgate run --update --format text --results $(BASELINES_RESULTS) -- \
	    $(BUILD)/live_room_demo --correct >/dev/null; \
	done
	$(BUILD)/memgate update $(BASELINES_RESULTS)
	$(BUILD)/memgate update --only live_room.visit --as live_room_buggy.visit \
	    --note "copied from live_room.visit: the buggy room must keep what the correct room keeps" \
	    $(BASELINES_RESULTS)
	$(BUILD)/memgate update --only live_room.gift --as live_room_buggy.gift \
	    --note "copied from live_room.gift: the buggy room must keep what the correct room keeps" \
	    $(BASELINES_RESULTS)
	$(BUILD)/memgate show live_room live_room_buggy

# ---------------------------------------------------------------- fuzzing
FUZZ_CC ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null || echo clang)
FUZZ_BUILD ?= build/fuzz
FUZZ_TIME ?= 3600
FUZZ_CI_TIME ?= 60
FUZZ_FLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS = tests/fuzz/fuzz_parsers.c harness/tool/results_load.c harness/src/baseline_json.c \
	    harness/src/baseline_parse.c harness/src/baseline_update.c harness/src/file_io.c \
	    harness/src/baseline_file.c harness/src/baseline_set.c harness/src/buf.c \
	    harness/src/utf8.c harness/src/escape.c harness/src/validate.c harness/src/page.c
FUZZ_RUN = $(FUZZ_BUILD)/fuzz_parsers -timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/json.dict \
	   -artifact_prefix=$(FUZZ_BUILD)/ -print_final_stats=1 $(FUZZ_BUILD)/corpus tests/fuzz/corpus

$(FUZZ_BUILD)/fuzz_parsers: $(FUZZ_SRCS) $(TOOL_HDRS) $(LIB_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c99 -Wall -Wextra -Werror -Iharness/include -Iharness/src \
	    -Iharness/tool $(CJSON_CFLAGS) -o $@ $(FUZZ_SRCS) $(CJSON_LIBS) -lm -lpthread

# The results-line target: the loader and the evaluation, linked with the
# whole library built with the same instrumentation.
FUZZ_RESULTS_SRCS = tests/fuzz/fuzz_results.c $(FUZZ_RESULTS_TOOL) $(LIB_SRCS)
FUZZ_RESULTS_RUN = $(FUZZ_BUILD)/fuzz_results -timeout=10 -rss_limit_mb=2048 -dict=tests/fuzz/json.dict \
	   -artifact_prefix=$(FUZZ_BUILD)/results- -print_final_stats=1 $(FUZZ_BUILD)/corpus-results tests/fuzz/corpus

$(FUZZ_BUILD)/fuzz_results: $(FUZZ_RESULTS_SRCS) $(TOOL_HDRS) $(LIB_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(FUZZ_BUILD)/corpus-results
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c99 -Wall -Wextra -Werror -Iharness/include -Iharness/src \
	    -Iharness/tool $(CJSON_CFLAGS) -o $@ $(FUZZ_RESULTS_SRCS) $(CJSON_LIBS) -lm -lpthread

fuzz-ci: $(FUZZ_BUILD)/fuzz_parsers $(FUZZ_BUILD)/fuzz_results
	$(FUZZ_RUN) -max_total_time=$(FUZZ_CI_TIME)
	$(FUZZ_RESULTS_RUN) -max_total_time=$(FUZZ_CI_TIME)

fuzz: $(FUZZ_BUILD)/fuzz_parsers $(FUZZ_BUILD)/fuzz_results
	$(FUZZ_RUN) -max_total_time=$(FUZZ_TIME)
	$(FUZZ_RESULTS_RUN) -max_total_time=$(FUZZ_TIME)
