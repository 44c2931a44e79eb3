# motcua — the two commands a newcomer runs are `make demo` and `make test`; both set themselves up.
.PHONY: setup test demo bench lint voices clean help

help:
	@echo "make demo   run the whole hall on this machine with simulated hardware"
	@echo "make test   lint, type-check and run the full test suite (with a summary)"
	@echo "make bench  run every benchmark; results in bench/results/, table in docs/performance.md"
	@echo "make voices generate the Vietnamese announcement clips with espeak-ng"

setup:
	@scripts/setup.sh

test: setup
	@scripts/test.sh

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
