"""Benchmarks for issue 7: `python -m benchmarks.run` (or `make bench`) prints the table."""
