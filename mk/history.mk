# mk/history.mk - the history across commits (docs/CI.md, "History across
# commits"): results lines that say when and what they measured, memgate
# report --history, memgate history append, the git flow.
#
#   make test-history   tests/history/test_history.sh: the new fields from
#                       GITHUB_SHA, MEMGATE_COMMIT, a real checkout and no
#                       checkout; history append (idempotent, bounded, atomic
#                       on a full or unwritable target, bad input named);
#                       report --history (content checked by check_html.py);
#                       harness/scripts/memgate-history-push.sh against a local
#                       bare repository with two appenders at once. `make test`
#                       runs it (TEST_EXTRA in the Makefile); the page in
#                       Chromium is part of report-browser.
#
# $(BUILD)/tests/hist_prog is the small program these tests run many times,
# one "commit" each (tests/history/hist_prog.c).

.PHONY: test-history

$(BUILD)/tests/hist_prog: tests/history/hist_prog.c harness/include/memgate.h $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(APP_CFLAGS) -o $@ $< $(LDFLAGS) $(APP_LIBS)

test-history: $(BUILD)/memgate $(BUILD)/memgate-report $(BUILD)/tests/hist_prog
	@sh tests/history/test_history.sh $(BUILD)
