"""How thorough a test run is: SAGEMAKER_EMULATOR_TEST_PROFILE=full (CI, .ci/run) or quick (unset, the README's).

quick keeps the README's test command to a few minutes on 2 cores; full adds what takes many minutes or the
package registry (the 10,000-example fuzz, the wheel built, installed into a fresh venv and used) and the slowest
real-process tests whose behaviour a quicker test also covers (`full_only`).
"""

from __future__ import annotations

import os

import pytest

PROFILE_ENV = "SAGEMAKER_EMULATOR_TEST_PROFILE"
PROFILE = os.environ.get(PROFILE_ENV) or "quick"
if PROFILE not in ("quick", "full"):  # a typo would silently run the quick profile in CI
    raise ValueError(f"{PROFILE_ENV} must be quick or full, not {PROFILE!r}")
FULL = PROFILE == "full"

# A test of many seconds (real processes, a real client started once per call) next to a quicker one of the same
# behaviour: the full profile runs it.
full_only = pytest.mark.skipif(not FULL, reason=f"a slow real-process test: {PROFILE_ENV}=full runs it")
