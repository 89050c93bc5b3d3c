"""The test profiles: the README's command is quick, CI's run is full (tests/profiles.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import test_fuzz
from tests.profiles import FULL

ROOT = Path(__file__).parent.parent


def profile_in(env_value: str | None) -> subprocess.CompletedProcess[str]:
    """tests/profiles.py's profile with SAGEMAKER_EMULATOR_TEST_PROFILE set to `env_value` (None: unset), in a fresh
    interpreter (the module reads it at import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_EMULATOR_")}
    if env_value is not None:
        env["SAGEMAKER_EMULATOR_TEST_PROFILE"] = env_value
    return subprocess.run(
        [sys.executable, "-c", "import tests.profiles as p; print(p.PROFILE, p.FULL)"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.parametrize(
    ("env_value", "chosen"),
    [(None, "quick False"), ("", "quick False"), ("quick", "quick False"), ("full", "full True")],
)
def test_the_quick_profile_unless_the_full_one_is_chosen(env_value: str | None, chosen: str) -> None:
    result = profile_in(env_value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == chosen


def test_the_fuzz_is_short_unless_the_profile_is_full() -> None:
    assert test_fuzz.DEFAULT_EXAMPLES == (10_000 if FULL else 600)


def test_an_unknown_profile_is_an_error_not_the_quick_run() -> None:
    result = profile_in("ful")
    assert result.returncode == 1
    assert "ValueError: SAGEMAKER_EMULATOR_TEST_PROFILE must be quick or full, not 'ful'" in result.stderr


def test_ci_runs_the_full_profile_before_the_tests() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    exported = re.search(r"^export SAGEMAKER_EMULATOR_TEST_PROFILE=(\S+)$", script, flags=re.MULTILINE)
    assert exported is not None and exported.group(1) == "full"
    assert exported.start() < script.index("\npython -m pytest")
