"""The generated shapes are exactly what a fresh run of the generator writes from the pinned botocore."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import botocore

from emulator.shapes import generated

ROOT = Path(__file__).resolve().parent.parent


def test_generated_shapes_match_a_fresh_run() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_shapes.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_generated_from_the_pinned_botocore() -> None:
    assert generated.BOTOCORE_VERSION == botocore.__version__
    pins = (ROOT / "pyproject.toml").read_text()
    assert f'"botocore=={botocore.__version__}"' in pins
