"""The JavaScript SDK v3 suites' one way to get their locked node_modules: installed with `npm ci` when missing or
not what the lock file pins, skipped only when node or npm is absent (.ci/run installs them ahead)."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


@functools.cache
def _install(directory: Path) -> None:
    # pytest-xdist's workers are processes of their own: the first to get here installs, the other waits for it
    # instead of running a second `npm ci` in the same directory.
    lock = Path(tempfile.gettempdir()) / f"sagemaker-emulator-npm-{hashlib.sha256(bytes(directory)).hexdigest()[:16]}"
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        _install_unlocked(directory)


def _install_unlocked(directory: Path) -> None:
    # package.json pins exact versions, so `npm ls` fails unless what the lock file names is what is installed.
    if subprocess.run(["npm", "ls", "--depth=0"], cwd=directory, capture_output=True, timeout=120).returncode == 0:
        return
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci in {directory} failed: {done.stderr.strip()}", pytrace=False)


def locked_node_modules(directory: Path) -> Path:
    """`directory` with its package-lock.json installed; skips the test when node or npm is not installed."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the JavaScript SDK v3 cases need node and npm")
    _install(directory.resolve())
    return directory
