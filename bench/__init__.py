"""Benchmarks (`make bench`): each `bench/bench_*.py` has a `main()` that measures one goal of DESIGN.md and
writes `bench/results/<name>.json` with `write_result`. `python -m bench` runs them all and writes the summary
table docs/performance.md. Absolute times on a shared machine drift: where a goal is a ratio, measure both
sides in the same run."""
