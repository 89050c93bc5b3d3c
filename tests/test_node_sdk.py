"""Both JavaScript SDK suites get their SDK one way (tests/node_sdk.py): installed from the lock file when missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.node_sdk import locked_node_modules
from tests.profiles import full_only

SDK_DIR = Path(__file__).parent / "sdk"


@full_only
def test_a_suite_without_node_modules_gets_what_its_lock_file_pins(tmp_path: Path) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copy(SDK_DIR / "js-auth" / name, tmp_path / name)
    assert locked_node_modules(tmp_path) == tmp_path
    assert (tmp_path / "node_modules" / "@aws-sdk" / "client-sagemaker" / "package.json").is_file()
    assert subprocess.run(["npm", "ls", "--depth=0"], cwd=tmp_path, capture_output=True, timeout=120).returncode == 0


def test_without_node_the_suites_skip_naming_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception) as skipped:
        locked_node_modules(SDK_DIR / "js")
    assert str(skipped.value) == "node and npm not installed: the JavaScript SDK v3 cases need node and npm"
