"""Benchmarks of speed and memory: `python -m benchmarks.run` (or `make bench`) prints the table."""
