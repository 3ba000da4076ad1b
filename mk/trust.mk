# mk/trust.mk - baselines a team trusts (issue 16): bad results lines, quiet
# re-records, stale entries, tolerance from the spread, diff, history,
# headroom; included by the Makefile.
#
#   make test-trust   tests/trust/test_trust.sh with $(BUILD)/trust_demo (a
#                     small memgate test program) and $(BUILD)/memgate;
#                     `make test` runs it (TEST_EXTRA in the Makefile)

.PHONY: test-trust

$(BUILD)/trust_demo: tests/trust/trust_demo.c harness/include/memgate.h $(BUILD)/libmemgate.a
	@mkdir -p $(dir $@)
	$(CC) $(APP_CFLAGS) -o $@ tests/trust/trust_demo.c $(LDFLAGS) $(APP_LIBS)

test-trust: $(BUILD)/memgate $(BUILD)/trust_demo $(BUILD)/live_room_demo
	@sh tests/trust/test_trust.sh $(BUILD)
