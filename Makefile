# motcua — the two commands a newcomer runs are `make demo` and `make test`; both set themselves up.
.PHONY: setup test test-fast demo bench lint voices clean help

help:
	@echo "make demo   run the whole hall on this machine with simulated hardware"
	@echo "make test   lint, type-check and run the full test suite (with a summary)"
	@echo "make test-fast  the same without the tests marked slow (converge, demo, end-to-end): under 2 minutes"
	@echo "make bench  run every benchmark; results in bench/results/, table in docs/performance.md"
	@echo "make voices generate the Vietnamese announcement clips with espeak-ng"

setup:
	@scripts/setup.sh

test: setup
	@scripts/test.sh

# The inner loop while changing code: `make test` still runs everything (before a merge, in CI).
test-fast: setup
	@scripts/test.sh -m "not slow"

demo: setup
	@.venv/bin/motcua demo

bench: setup
	@.venv/bin/python -m bench

lint: setup
	@.venv/bin/ruff check . && .venv/bin/mypy

voices: setup
	@.venv/bin/motcua voice --out queue_display/voice/clips

clean:
	rm -rf .venv test-output demo-out .mypy_cache .ruff_cache
