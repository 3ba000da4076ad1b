# mk/hostile.mk - the hostile-input suite (tests/hostile/run.sh; issue 14):
# truncated, dangling, FIFO and symlinked baseline files, read-only and full
# file systems in record mode, kill -9 during updates, and the 50k-vs-1k
# scaling ratio; every command under `timeout`. Part of `make test`.
#
#   make test-hostile    run it alone

.PHONY: test-hostile

test-hostile: $(BUILD)/memgate $(BUILD)/live_room_demo
	@sh tests/hostile/run.sh $(BUILD)
