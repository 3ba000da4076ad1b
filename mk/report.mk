# mk/report.mk - memgate report: the HTML page and the Markdown table
# (issue 5); included by the Makefile.
#
#   make report-test     every report test: the renderer unit tests
#                        (tests/report/test_report.c, in the Makefile's TEST_BINS, so
#                        under ASan/UBSan and valgrind too), the golden
#                        inputs checked by python3 (render_test.sh) and the
#                        browser test; `make test` runs it
#   make report-browser  the browser test alone: the live-room report in
#                        headless Chromium (installed with apt-get when
#                        missing and running as root), screenshot not blank,
#                        no console errors; and the same checks failing on
#                        a blank page and on pages that throw
#   make report-demo     the live-room report: $(BUILD)/report/live_room.html
#   make report-png      docs/report.png, a screenshot of that report
#
# $(BUILD)/memgate-report is `memgate report` on its own
# (tests/report/report_main.c), so these tests do not depend on the memgate
# command's dispatcher. CHROMIUM names the browser (default chromium);
# REPORT_BROWSER=skip skips the browser test on a machine that cannot have
# one (it says so; CI does not set it).

REPORT_BUILD = $(BUILD)/report
REPORT_BIN = $(BUILD)/memgate-report
REPORT_SRCS = harness/tool/report.c harness/tool/cmd_report.c harness/tool/results_load.c \
	      harness/tool/evaluate.c harness/tool/options.c harness/tool/util.c \
	      harness/tool/history.c harness/tool/history_html.c
REPORT_HDRS = harness/tool/report.h harness/tool/history.h harness/tool/results_load.h harness/tool/tool.h harness/src/baseline_store.h $(LIB_HDRS)
REPORT_CFLAGS = $(WARN) -Iharness/include -Iharness/src -Iharness/tool $(CJSON_CFLAGS) $(CFLAGS)
REPORT_PNG_SIZE ?= 1280,1910
CHROMIUM ?= chromium
REPORT_BROWSER ?=


.PHONY: report-test report-test-unit report-test-render report-browser report-demo report-png

$(REPORT_BIN): tests/report/report_main.c $(REPORT_SRCS) $(REPORT_HDRS) $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(REPORT_CFLAGS) -o $@ tests/report/report_main.c $(REPORT_SRCS) $(LDFLAGS) $(APP_LIBS)

$(BUILD)/tests/test_report: tests/report/test_report.c $(REPORT_SRCS) $(REPORT_HDRS) $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Iharness/tool -o $@ tests/report/test_report.c $(REPORT_SRCS) $(LDFLAGS) \
	    $(BUILD)/libmemgate.a $(TEST_LIBS)

report-test: report-test-unit report-test-render report-browser

report-test-unit: $(BUILD)/tests/test_report
	@sh tests/run_tests.sh $(BUILD)/tests/test_report

report-test-render: $(REPORT_BIN)
	@sh tests/report/render_test.sh $(BUILD)

report-browser: $(REPORT_BIN) $(BUILD)/live_room_demo $(BUILD)/tests/hist_prog
	@CHROMIUM="$(CHROMIUM)" REPORT_BROWSER="$(REPORT_BROWSER)" sh tests/report/browser_test.sh $(BUILD)

report-demo: $(REPORT_BIN) $(BUILD)/live_room_demo
	@sh tests/report/demo_report.sh $(BUILD) $(REPORT_BUILD)/live_room.html

report-png: report-demo
	@CHROMIUM="$(CHROMIUM)" python3 tests/report/browser_check.py --size $(REPORT_PNG_SIZE) \
	    --png docs/report.png $(REPORT_BUILD)/live_room.html
	@echo "report-png: wrote docs/report.png"
