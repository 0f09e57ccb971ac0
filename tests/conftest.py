"""Test settings shared by the suite.

Under CI (`CI=true`, as `.ci/run` is run) Hypothesis draws the same examples on every run, so a
submission's result does not depend on the luck of the draw; elsewhere it explores anew each
time, which is how property tests find new failures.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
