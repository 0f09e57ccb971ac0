"""Benchmarks: `python -m benchmarks.run` (`make bench`) prints the tables of docs/performance.md.

NumPy's BLAS runs on one thread here: its worker threads spin while they wait, and that CPU
time (the benchmarks' clock) would be charged to whichever matrix product ran last.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
