"""The wheel as a project outside this repository gets it: built by `python -m build`, installed with its [pytest]
extra into a fresh venv, and the plugin example run there. Installing needs the package registry and minutes, so
only the full profile runs it (SAGEMAKER_EMULATOR_TEST_PROFILE=full, as .ci/run sets)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import __version__
from tests.profiles import FULL, PROFILE_ENV

ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.skipif(not FULL, reason=f"installs from the package registry: {PROFILE_ENV}=full runs it")


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No emulator settings and no pytest options from this run: the new project starts clean.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_EMULATOR_", "PYTEST_", "VIRTUAL_ENV"))}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_built_wheel_installs_in_a_fresh_venv_and_its_plugin_runs_the_example(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=tmp_path)
    wheel = dist / f"sagemaker_emulator-{__version__}-py3-none-any.whl"
    assert sorted(p.name for p in dist.iterdir()) == [wheel.name, f"sagemaker_emulator-{__version__}.tar.gz"]
    assert f"/dist/{wheel.name}[pytest]'" in (ROOT / "README.md").read_text()  # the README installs this name

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", f"{wheel}[pytest]", cwd=tmp_path)
    assert (
        run(venv / "bin" / "sagemaker-emulator", "--version", cwd=tmp_path).stdout
        == f"sagemaker-emulator {__version__}\n"
    )

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "examples" / "test_with_plugin.py", project)
    result = run(python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_with_plugin.py", cwd=project)
    assert "3 passed" in result.stdout
    # The plugin came from the wheel, not from this checkout.
    where = run(python, "-c", "import emulator; print(emulator.__file__)", cwd=project).stdout
    assert where.startswith(str(venv)), where
