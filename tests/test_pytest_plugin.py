"""The pytest plugin as a user meets it: the installed package, a test file alone in a directory, plain pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

EXAMPLE = Path(__file__).parent.parent / "examples" / "test_with_plugin.py"


def run_example(
    project: Path, test_file: str = "test_with_plugin.py", **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Plain pytest on the example in `project`, as a user runs it: the installed plugin, no emulator env vars but
    extra_env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SAGEMAKER_EMULATOR_"))} | extra_env
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", test_file],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_plugin_is_registered_for_pytest() -> None:
    plugins = {e.name: e.value for e in entry_points(group="pytest11")}
    assert plugins["sagemaker_emulator"] == "emulator.pytest_plugin"


def test_the_example_passes_in_a_project_of_its_own(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "test_with_plugin.py")
    result = run_example(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("test_register_model", "test_each_test_starts_with_no_models", "test_endpoint_serves_any_sdk"):
        assert f"test_with_plugin.py::{name} PASSED" in result.stdout
    assert "3 passed" in result.stdout


def test_with_an_admin_token_in_the_env_the_reset_sends_it(tmp_path: Path) -> None:
    """The token makes the session's emulator require it; the plugin's reset passes it, so the example still passes
    (without it, the reset would get 403 and every client fixture would fail)."""
    (tmp_path / "test_with_plugin.py").write_text(
        EXAMPLE.read_text() + "\n\n"
        "import urllib.request, urllib.error, pytest\n"
        "def test_the_admin_api_needs_the_token(sagemaker_emulator_endpoint, sagemaker_emulator_admin_token):\n"
        "    assert sagemaker_emulator_admin_token == 'plugin-token'\n"
        "    with pytest.raises(urllib.error.HTTPError) as refused:\n"
        "        urllib.request.urlopen(sagemaker_emulator_endpoint + '/_emulator/state')\n"
        "    assert refused.value.code == 403\n"
    )
    result = run_example(tmp_path, SAGEMAKER_EMULATOR_ADMIN_TOKEN="plugin-token")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_the_example_fails_without_the_reset_between_tests(tmp_path: Path) -> None:
    """The example's second test really depends on the reset: with a client fixture that skips it, it fails."""
    shutil.copy(EXAMPLE, tmp_path / "test_with_plugin.py")
    (tmp_path / "conftest.py").write_text(
        "import boto3, pytest\n"
        "@pytest.fixture\n"
        "def sagemaker_client(sagemaker_emulator_endpoint):\n"
        "    return boto3.client('sagemaker', endpoint_url=sagemaker_emulator_endpoint, region_name='us-east-1',\n"
        "                        aws_access_key_id='t', aws_secret_access_key='t')\n"
    )
    result = run_example(tmp_path)
    assert result.returncode == 1
    assert "test_with_plugin.py::test_each_test_starts_with_no_models FAILED" in result.stdout


def test_without_boto3_the_client_fixture_says_what_to_install(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "test_with_plugin.py")
    # As in a venv without boto3: importing it fails (botocore stays importable for the example's own import).
    (tmp_path / "conftest.py").write_text("import sys\nsys.modules['boto3'] = None\n")
    result = run_example(tmp_path)
    assert result.returncode == 1
    assert "test_with_plugin.py::test_register_model ERROR" in result.stdout
    assert (
        "the sagemaker_client fixture needs boto3 (import of boto3 halted; None in sys.modules): pip install"
        " 'sagemaker-emulator[pytest]' (the same [pytest] extra from a git URL, path or wheel)"
    ) in result.stdout
    assert "test_with_plugin.py::test_endpoint_serves_any_sdk PASSED" in result.stdout  # needs no boto3


def test_the_pytest_extra_brings_what_the_fixtures_import() -> None:
    from importlib.metadata import requires

    extra = sorted(
        r.split(";")[0].split(">")[0].strip() for r in requires("sagemaker-emulator") or [] if 'extra == "pytest"' in r
    )
    assert extra == ["boto3", "pytest"]
