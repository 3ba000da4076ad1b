# memgate - memory-regression gate
#
#   make            static + shared library, examples (and the memgate command);
#                   needs a C compiler and cJSON, never calls a package manager
#                   (prints the install command when cJSON is missing)
#   make deps       install what is missing (cJSON, cmocka, pkg-config)
#   make test       unit + integration tests (installs cmocka/cJSON if missing)
#   make test-asan  the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-valgrind  the tests under valgrind memcheck
#   make demo       the live-room example: correct room passes, buggy room fails
#   make install / uninstall   honour PREFIX and DESTDIR (header, libraries,
#                   memgate.pc, lib/cmake/memgate for find_package)
#
# Honours CC, CFLAGS, LDFLAGS, PREFIX, DESTDIR, PKG_CONFIG.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PKG_CONFIG ?= pkg-config
BUILD ?= build
CFLAGS ?= -O2 -g
LDFLAGS ?=

UNAME_S := $(shell uname -s)
WARN = -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
# Recursive (=) so pkg-config runs after `deps` has installed what is missing.
CJSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null)
CJSON_LIBS = $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
SYS_LIBS = -lm -lpthread

LIB_CFLAGS = $(WARN) -fPIC -fvisibility=hidden -Iharness/include -Iharness/src $(CJSON_CFLAGS) $(CFLAGS)
APP_CFLAGS = $(WARN) -Iharness/include $(CJSON_CFLAGS) $(CFLAGS)
APP_LIBS = $(BUILD)/libmemgate.a $(CJSON_LIBS) $(SYS_LIBS)

ifeq ($(UNAME_S),Darwin)
SHLIB = libmemgate.dylib
SHLIB_SONAME = $(SHLIB)
SHLIB_FLAGS = -dynamiclib -install_name $(LIBDIR)/$(SHLIB)
else
SHLIB = libmemgate.so
# The run-time name changes with the major version (ABI).
SHLIB_SONAME = libmemgate.so.$(shell sed -n 's/^\#define MEMGATE_VERSION_MAJOR //p' harness/include/memgate.h)
SHLIB_FLAGS = -shared -Wl,-soname,$(SHLIB_SONAME)
endif

LIB_SRCS = $(wildcard harness/src/*.c)
LIB_OBJS = $(patsubst harness/src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB_HDRS = harness/include/memgate.h harness/include/memgate_cmocka.h harness/src/memgate_internal.h $(wildcard harness/src/*.h)
# Dependency checks: DEPS_STAMP (cJSON, all the library needs) before any
# library object, TEST_DEPS_STAMP (cJSON + cmocka) before any cmocka test.
# They install what is missing only for the goals that promise to (make deps,
# demo and the test targets); otherwise they print the command to run.
DEPS_STAMP = $(BUILD)/.deps-lib-ok
TEST_DEPS_STAMP = $(BUILD)/.deps-test-ok
DEPS_INSTALL_GOALS = deps demo test test-deps test-unit test-asan test-valgrind xctest swiftpm swiftpm-consumer \
	fuzz fuzz-ci bench bench-quick baselines test-cli report-test check-darwin test-hostile
DEPS_CHECK = $(if $(filter $(DEPS_INSTALL_GOALS),$(MAKECMDGOALS)),,--check)

EXAMPLES = $(BUILD)/live_room_demo

.PHONY: all lib examples deps test-deps test test-unit test-asan test-valgrind demo lint install uninstall clean
.DEFAULT_GOAL := all

all: lib examples

deps: $(DEPS_STAMP) $(TEST_DEPS_STAMP)
$(DEPS_STAMP): harness/deps.sh
	@mkdir -p $(BUILD)
	@CC="$(CC)" sh harness/deps.sh --lib $(DEPS_CHECK)
	@touch $@
$(TEST_DEPS_STAMP): harness/deps.sh
	@mkdir -p $(BUILD)
	@CC="$(CC)" sh harness/deps.sh $(DEPS_CHECK)
	@touch $@

lib: $(BUILD)/libmemgate.a $(BUILD)/$(SHLIB) $(BUILD)/memgate.pc

$(BUILD)/obj/%.o: harness/src/%.c $(LIB_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/libmemgate.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/$(SHLIB): $(LIB_OBJS)
	$(CC) $(SHLIB_FLAGS) $(LDFLAGS) -o $@ $^ $(CJSON_LIBS) $(SYS_LIBS)

MEMGATE_VERSION = $(shell sed -n 's/^\#define MEMGATE_VERSION_MAJOR //p' harness/include/memgate.h).$(shell sed -n 's/^\#define MEMGATE_VERSION_MINOR //p' harness/include/memgate.h).$(shell sed -n 's/^\#define MEMGATE_VERSION_PATCH //p' harness/include/memgate.h)
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(MEMGATE_VERSION)|'

# The build tree's copy uses the PREFIX of the build; `make install`
# writes the file again with the PREFIX/LIBDIR/INCLUDEDIR of the install.
$(BUILD)/memgate.pc: harness/memgate.pc.in Makefile
	@mkdir -p $(BUILD)
	$(PC_SED) $< > $@

# ---------------------------------------------------------------- examples
examples: $(EXAMPLES)

$(BUILD)/live_room_demo: examples/live_room/live_room_demo.c examples/live_room/live_room.c \
		examples/live_room/live_room.h $(BUILD)/libmemgate.a
	$(CC) $(APP_CFLAGS) -Iexamples/live_room -o $@ examples/live_room/live_room_demo.c \
	    examples/live_room/live_room.c $(LDFLAGS) $(APP_LIBS)

demo: $(BUILD)/live_room_demo
	@sh examples/live_room/demo.sh $(BUILD)

# ---------------------------------------------------------------- tests
# Library tests on a scripted sampler, one program per source file or
# feature (tests/test_NAME.c + tests/support/scripted.c).
SCRIPTED_TESTS = scope repeat judge options handlers results status_parse darwin_defaults loop jump \
	cmocka_header
SCRIPTED_BINS = $(patsubst %,$(BUILD)/tests/test_%,$(SCRIPTED_TESTS))
TEST_CFLAGS = $(WARN) -Iharness/include -Iharness/src -Iexamples/live_room $(CMOCKA_CFLAGS) $(CJSON_CFLAGS) $(CFLAGS)
TEST_LIBS = $(CMOCKA_LIBS) $(CJSON_LIBS) $(SYS_LIBS)

$(SCRIPTED_BINS): $(BUILD)/tests/test_%: tests/test_%.c tests/support/scripted.c tests/support/scripted.h \
		  $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Itests -o $@ $< tests/support/scripted.c $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)

# The text layer: UTF-8, names/paths/lines, escapers, the byte formatter.
$(BUILD)/tests/test_text: tests/test_text.c $(LIB_HDRS) $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)

$(BUILD)/tests/test_linux: tests/test_linux.c $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(BUILD)/libmemgate.a $(TEST_LIBS)

# The same tiny program with -DMEMGATE_DISABLE: the macros must run the code
# and link nothing from memgate.
$(BUILD)/tests/test_disable: tests/test_disable.c harness/include/memgate.h harness/include/memgate_cmocka.h \
		| $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -DMEMGATE_DISABLE -o $@ $< $(LDFLAGS) $(CMOCKA_LIBS)

$(BUILD)/tests/test_darwin_rev: tests/test_darwin_rev.c harness/src/darwin_rev.c $(LIB_HDRS) | $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ tests/test_darwin_rev.c harness/src/darwin_rev.c $(LDFLAGS) $(CMOCKA_LIBS)

# On Linux (GNU ld) the model's out-of-memory paths are tested by wrapping malloc.
ifeq ($(UNAME_S),Linux)
LIVE_ROOM_WRAP = -DLIVE_ROOM_TEST_WRAP_MALLOC -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=free
endif
$(BUILD)/tests/test_live_room: tests/test_live_room.c examples/live_room/live_room.c | $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(LIVE_ROOM_WRAP) -o $@ tests/test_live_room.c examples/live_room/live_room.c $(LDFLAGS) $(CMOCKA_LIBS) -lpthread

# memgate.h in a C89 project with -DMEMGATE_DISABLE (no library linked).
$(BUILD)/tests/test_c89: tests/test_c89.c harness/include/memgate.h
	@mkdir -p $(dir $@)
	$(CC) -std=c89 -pedantic -Wall -Wextra -Werror -DMEMGATE_DISABLE -Iharness/include $(CFLAGS) \
	    -o $@ $< $(LDFLAGS)

# C++ exceptions out of repeat bodies and MEM_LOOP blocks (plain checks, no cmocka).
$(BUILD)/tests/test_jump_cxx: tests/test_jump_cxx.cpp harness/include/memgate.h $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 -Wall -Wextra -Werror -Iharness/include $(CFLAGS) -o $@ $< $(LDFLAGS) \
	    $(BUILD)/libmemgate.a $(CJSON_LIBS) $(SYS_LIBS)

# Sanitizers: a separate build tree so flags never mix.
test-asan:
	$(MAKE) BUILD=build/asan CC="$(CC)" \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" test-unit


# Static analysis of the library (cppcheck; CI installs it).
lint:
	cppcheck --enable=warning,style,performance,portability --std=c99 --inline-suppr --quiet \
	    --error-exitcode=1 -Iharness/include -Iharness/src -D__linux__ -D__GLIBC__=2 \
	    -D__GLIBC_MINOR__=36 -D__x86_64__ harness/src/
	sh tests/lint/test_file_cycles.sh
	python3 tests/lint/file_cycles.py harness/src harness/tool

# ---------------------------------------------------------------- install
# The CMake package (find_package(memgate CONFIG)) finds its paths relative to
# itself when LIBDIR and INCLUDEDIR are under PREFIX (a staged DESTDIR install
# works); otherwise it carries the absolute paths.
CMAKEDIR ?= $(LIBDIR)/cmake/memgate
CMAKE_SED = $(PC_SED) -e 's|@LIBDIR_REL@|$(filter-out /%,$(patsubst $(PREFIX)/%,%,$(LIBDIR)))|' \
	    -e 's|@INCLUDEDIR_REL@|$(filter-out /%,$(patsubst $(PREFIX)/%,%,$(INCLUDEDIR)))|' \
	    -e 's|@SHLIB_SONAME@|$(SHLIB_SONAME)|g'

install: all
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(CMAKEDIR)
	install -m 644 harness/include/memgate.h $(DESTDIR)$(INCLUDEDIR)/memgate.h
	install -m 644 harness/include/memgate_cmocka.h $(DESTDIR)$(INCLUDEDIR)/memgate_cmocka.h
	$(CMAKE_SED) harness/cmake/memgateConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/memgateConfig.cmake
	$(CMAKE_SED) harness/cmake/memgateConfigVersion.cmake.in > $(DESTDIR)$(CMAKEDIR)/memgateConfigVersion.cmake
	chmod 644 $(DESTDIR)$(CMAKEDIR)/memgateConfig.cmake $(DESTDIR)$(CMAKEDIR)/memgateConfigVersion.cmake
	install -m 644 $(BUILD)/libmemgate.a $(DESTDIR)$(LIBDIR)/libmemgate.a
	install -m 755 $(BUILD)/$(SHLIB) $(DESTDIR)$(LIBDIR)/$(SHLIB_SONAME)
	if [ "$(SHLIB_SONAME)" != "$(SHLIB)" ]; then ln -sf $(SHLIB_SONAME) $(DESTDIR)$(LIBDIR)/$(SHLIB); fi
	$(PC_SED) harness/memgate.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/memgate.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/memgate.pc
	if [ -f $(BUILD)/memgate ]; then install -m 755 $(BUILD)/memgate $(DESTDIR)$(BINDIR)/memgate; fi
	install -m 755 harness/scripts/memgate-history-push.sh $(DESTDIR)$(BINDIR)/memgate-history-push

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/memgate.h $(DESTDIR)$(INCLUDEDIR)/memgate_cmocka.h $(DESTDIR)$(LIBDIR)/libmemgate.a \
	    $(DESTDIR)$(LIBDIR)/$(SHLIB) $(DESTDIR)$(LIBDIR)/$(SHLIB_SONAME) \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/memgate.pc $(DESTDIR)$(BINDIR)/memgate $(DESTDIR)$(BINDIR)/memgate-history-push \
	    $(DESTDIR)$(CMAKEDIR)/memgateConfig.cmake $(DESTDIR)$(CMAKEDIR)/memgateConfigVersion.cmake
	rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true

clean:
	rm -rf $(BUILD) build

# Fragments for the other areas (Darwin compile check, the memgate command,
# XCTest, reports, benchmarks): their build rules and test targets.
-include $(sort $(wildcard mk/*.mk))

# ------------------------------------------------- what `make test` runs
# The one list. TEST_BINS: cmocka programs (also run by test-asan and
# test-valgrind); TEST_SCRIPTS: other test programs; TEST_EXTRA: test
# targets defined in mk/*.mk (XCTEST_TARGET is xctest or xctest-skip).
T = $(BUILD)/tests
TEST_BINS = $(SCRIPTED_BINS) $(T)/test_linux $(T)/test_disable $(T)/test_darwin_rev \
	    $(T)/test_live_room $(T)/test_text $(T)/test_jump_cxx $(T)/test_baseline \
	    $(T)/fuzz_replay $(T)/fuzz_replay_results $(T)/test_xct_text $(T)/test_report $(T)/test_c89
TEST_SCRIPTS = tests/install_check.sh tests/test_linux_tuned.sh tests/test_deps.sh \
	       tests/test_consumer.sh tests/test_cli_text.sh
TEST_EXTRA = test-cli test-trust test-hostile test-history report-test-render report-browser test-sites \
	     $(XCTEST_TARGET)

$(TEST_BINS): | $(TEST_DEPS_STAMP)
test-unit: $(TEST_BINS)
	@sh tests/run_tests.sh $(TEST_BINS)

# The tools only the tests need (python3, chromium): installed or requested.
test-deps: $(DEPS_STAMP) $(TEST_DEPS_STAMP)
	@CC="$(CC)" sh harness/deps.sh --test

test: test-deps all test-unit $(TEST_EXTRA)
	@if [ -n "$(strip $(TEST_SCRIPTS))" ]; then BUILD=$(BUILD) sh tests/run_tests.sh $(TEST_SCRIPTS); fi

test-valgrind: $(TEST_BINS)
	@MEMGATE_VALGRIND=1 sh tests/run_tests.sh --valgrind $(TEST_BINS)
