"""The test profiles: the README's command is quick, CI's run is full (tests/profiles.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def fuzz_examples(profile: str | None) -> subprocess.CompletedProcess[str]:
    """tests/test_fuzz.py's example count under `profile`, in a fresh interpreter (the module reads it at import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_EMULATOR_")}
    if profile is not None:
        env["SAGEMAKER_EMULATOR_TEST_PROFILE"] = profile
    return subprocess.run(
        [sys.executable, "-c", "import tests.test_fuzz as f; print(f.TOTAL_EXAMPLES, f.PER_TEST)"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.parametrize(("profile", "total"), [(None, 600), ("", 600), ("quick", 600), ("full", 10_000)])
def test_the_fuzz_is_short_unless_the_full_profile_is_chosen(profile: str | None, total: int) -> None:
    result = fuzz_examples(profile)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[0]) == total


def test_an_unknown_profile_is_an_error_not_the_quick_run() -> None:
    result = fuzz_examples("ful")
    assert result.returncode == 1
    assert "ValueError: SAGEMAKER_EMULATOR_TEST_PROFILE must be quick or full, not 'ful'" in result.stderr


def test_ci_runs_the_full_profile_before_the_tests() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    exported = re.search(r"^export SAGEMAKER_EMULATOR_TEST_PROFILE=(\S+)$", script, flags=re.MULTILINE)
    assert exported is not None and exported.group(1) == "full"
    assert exported.start() < script.index("\npython -m pytest")
